/* gb-serial-console.h: a guest's serial console in a VTE terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define GB_TYPE_SERIAL_CONSOLE (gb_serial_console_get_type ())
G_DECLARE_FINAL_TYPE (GbSerialConsole, gb_serial_console, GB, SERIAL_CONSOLE, GtkWidget)

GtkWidget  *gb_serial_console_new          (void);
void        gb_serial_console_open_stream  (GbSerialConsole  *self,
                                            GIOStream        *stream);
gboolean    gb_serial_console_open_unix    (GbSerialConsole  *self,
                                            const char       *path,
                                            GError          **error);
void        gb_serial_console_set_status   (GbSerialConsole  *self,
                                            const char       *message);
void        gb_serial_console_close        (GbSerialConsole  *self);
gboolean    gb_serial_console_get_connected (GbSerialConsole *self);
GtkWidget  *gb_serial_console_get_terminal (GbSerialConsole  *self);

G_END_DECLS
