/* gb-window.h — the main window: machine list beside the selected machine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "gb-application.h"
#include "gb-console-view.h"
#include "gb-machine.h"

G_BEGIN_DECLS

#define GB_TYPE_WINDOW (gb_window_get_type ())
G_DECLARE_FINAL_TYPE (GbWindow, gb_window, GB, WINDOW, AdwApplicationWindow)

GbWindow  *gb_window_new                  (GbApplication *application);
GbMachine *gb_window_get_selected_machine (GbWindow      *self);
void       gb_window_select_machine       (GbWindow      *self,
                                           GbMachine     *machine);
void       gb_window_edit_machine         (GbWindow      *self,
                                           GbMachine     *machine,
                                           const char    *tab);
void       gb_window_add_toast            (GbWindow      *self,
                                           AdwToast      *toast);
void       gb_window_show_error           (GbWindow      *self,
                                           const char    *title,
                                           const char    *message);

/* "details" or "console": what is shown of the selected machine. */
const char    *gb_window_get_page         (GbWindow      *self);
void           gb_window_set_page         (GbWindow      *self,
                                           const char    *page);
GbConsoleView *gb_window_get_console_view (GbWindow      *self);
void           gb_window_show_machine     (GbWindow      *self,
                                           GbProvider    *provider,
                                           const char    *name_or_uuid,
                                           const char    *page);

G_END_DECLS
