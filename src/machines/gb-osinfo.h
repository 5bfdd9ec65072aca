/* gb-osinfo.h — libosinfo look-ups, off the main thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Loads the osinfo database once per process (in a worker thread, the first
 * time it is needed) and finds the human name of @os_id, e.g.
 * "http://debian.org/debian/11" → "Debian 11". */
void  gb_osinfo_resolve_name_async  (const char          *os_id,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
/* Returns NULL with @error set when the id is unknown. */
char *gb_osinfo_resolve_name_finish (GAsyncResult        *result,
                                     GError             **error);

G_END_DECLS
