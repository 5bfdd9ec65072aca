/* gb-console-view.h: a machine's consoles, graphical and serial, with a toolbar
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "gb-display.h"
#include "gb-serial-console.h"

G_BEGIN_DECLS

#define GB_TYPE_CONSOLE_VIEW (gb_console_view_get_type ())
G_DECLARE_FINAL_TYPE (GbConsoleView, gb_console_view, GB, CONSOLE_VIEW, GtkWidget)

GtkWidget       *gb_console_view_new                (void);
GbDisplay       *gb_console_view_get_display        (GbConsoleView  *self);
GbSerialConsole *gb_console_view_get_serial_console (GbConsoleView  *self);

/* Shows the machine's screen and first serial console, following its state. */
GbMachine       *gb_console_view_get_machine        (GbConsoleView  *self);
void             gb_console_view_set_machine        (GbConsoleView  *self,
                                                     GbMachine      *machine);
gboolean         gb_console_view_open_uri           (GbConsoleView  *self,
                                                     const char     *uri,
                                                     GError        **error);
void             gb_console_view_close              (GbConsoleView  *self);

/* "screen" or "serial" */
const char      *gb_console_view_get_page           (GbConsoleView  *self);
void             gb_console_view_set_page           (GbConsoleView  *self,
                                                     const char     *page);

gboolean         gb_console_view_get_fullscreen     (GbConsoleView  *self);
void             gb_console_view_set_fullscreen     (GbConsoleView  *self,
                                                     gboolean        fullscreen);

G_END_DECLS
