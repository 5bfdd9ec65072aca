/* gb-creator-osinfo.h — the shared libosinfo database and what the creator asks of it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <osinfo/osinfo.h>

G_BEGIN_DECLS

typedef struct
{
  gint64 ram;      /* bytes, 0 when libosinfo does not say */
  gint   n_cpus;   /* 0 when libosinfo does not say */
  gint64 storage;  /* bytes, 0 when libosinfo does not say */
} GbOsResources;

void      gb_osinfo_load_db_async          (GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
OsinfoDb *gb_osinfo_load_db_finish         (GAsyncResult         *result,
                                            GError              **error);
OsinfoDb *gb_osinfo_peek_db                (void);

OsinfoOs *gb_osinfo_find_fallback_os       (OsinfoDb             *db,
                                            const char           *volume_id);
OsinfoOs *gb_osinfo_generic_linux          (OsinfoDb             *db);
GPtrArray *gb_osinfo_list_os               (OsinfoDb             *db);

void      gb_osinfo_get_resources          (OsinfoOs             *os,
                                            const char           *arch,
                                            GbOsResources        *minimum,
                                            GbOsResources        *recommended);
gboolean  gb_osinfo_supports_device        (OsinfoOs             *os,
                                            const char           *name_a,
                                            const char           *name_b);
gboolean  gb_osinfo_supports_virtio_block  (OsinfoOs             *os);
gboolean  gb_osinfo_supports_virtio_net    (OsinfoOs             *os);
gboolean  gb_osinfo_supports_efi           (OsinfoOs             *os,
                                            const char           *arch);

G_END_DECLS
