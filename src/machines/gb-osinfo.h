/* gb-osinfo.h — the process's one libosinfo database, loaded off the main thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <osinfo/osinfo.h>

G_BEGIN_DECLS

/* Loads the database once per process, in a worker thread, the first time
 * it is asked for; the result is shared (callers get a new reference).
 * Call from the main thread. */
void      gb_osinfo_load_db_async       (GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
OsinfoDb *gb_osinfo_load_db_finish      (GAsyncResult        *result,
                                         GError             **error);
/* The database if it is loaded already, else NULL.  No reference. */
OsinfoDb *gb_osinfo_peek_db             (void);

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
