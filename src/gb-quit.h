/* gb-quit.h — quitting with embedded machines running: ask, stop them, then quit
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "gb-application.h"

G_BEGIN_DECLS

GPtrArray *gb_quit_find_embedded_machines (GbApplication *app);
void       gb_quit_ask_and_stop           (GbApplication *app,
                                           GtkWindow     *parent,
                                           GCallback      quit,
                                           gpointer       data);

G_END_DECLS
