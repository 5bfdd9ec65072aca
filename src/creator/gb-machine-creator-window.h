/* gb-machine-creator-window.h — the New Virtual Machine wizard
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "gb-machine-creator.h"

G_BEGIN_DECLS

#define GB_TYPE_MACHINE_CREATOR_WINDOW (gb_machine_creator_window_get_type ())
G_DECLARE_FINAL_TYPE (GbMachineCreatorWindow, gb_machine_creator_window, GB, MACHINE_CREATOR_WINDOW, AdwWindow)

GbMachineCreatorWindow *gb_machine_creator_window_new         (GtkWindow              *parent,
                                                               GListModel             *providers,
                                                               GbProvider             *provider);
GbProvider             *gb_machine_creator_window_get_provider (GbMachineCreatorWindow *self);
GbMachineCreator       *gb_machine_creator_window_get_creator (GbMachineCreatorWindow *self);
const char             *gb_machine_creator_window_get_page    (GbMachineCreatorWindow *self);

G_END_DECLS
