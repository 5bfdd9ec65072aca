/* gb-add-network-dialog.h — makes a libvirt virtual network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "gb-network-list.h"

G_BEGIN_DECLS

#define GB_TYPE_ADD_NETWORK_DIALOG (gb_add_network_dialog_get_type ())
G_DECLARE_FINAL_TYPE (GbAddNetworkDialog, gb_add_network_dialog, GB, ADD_NETWORK_DIALOG, AdwWindow)

/* Emits "network-created" (the new network's UUID) and closes once libvirt
 * has defined (and, if asked, started) the network. */
GbAddNetworkDialog *gb_add_network_dialog_new (GtkWindow     *parent,
                                               GbNetworkList *networks);

G_END_DECLS
