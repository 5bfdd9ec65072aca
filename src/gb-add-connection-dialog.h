/* gb-add-connection-dialog.h — asks for a libvirt URI, connects, remembers it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "gb-application.h"

G_BEGIN_DECLS

#define GB_TYPE_ADD_CONNECTION_DIALOG (gb_add_connection_dialog_get_type ())
G_DECLARE_FINAL_TYPE (GbAddConnectionDialog, gb_add_connection_dialog, GB, ADD_CONNECTION_DIALOG, AdwWindow)

GbAddConnectionDialog *gb_add_connection_dialog_new (GbApplication *application);

G_END_DECLS
