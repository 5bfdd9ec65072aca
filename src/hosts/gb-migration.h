/* gb-migration.h — one machine moving from one libvirt host to another
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <libvirt/libvirt.h>

G_BEGIN_DECLS

typedef enum {
  GB_MIGRATION_STATE_READY,
  GB_MIGRATION_STATE_RUNNING,
  GB_MIGRATION_STATE_COMPLETED,
  GB_MIGRATION_STATE_FAILED,
  GB_MIGRATION_STATE_CANCELLED,
} GbMigrationState;

typedef struct {
  gboolean  live;            /* keep the guest running while memory is copied */
  gboolean  tunnelled;       /* through the libvirt connection (peer to peer) */
  gboolean  copy_storage;    /* VIR_MIGRATE_NON_SHARED_DISK */
  gboolean  persistent;      /* define it on the destination … */
  gboolean  undefine_source; /* … and forget it on the source */
  guint64   max_downtime_ms; /* 0: libvirt's default */
  guint64   bandwidth_mib;   /* MiB/s, 0: unlimited */
  char     *dest_uri;        /* tunnelled: the destination as the source host reaches it */
  char     *migrate_uri;     /* direct: where QEMU sends the memory, or NULL (destination decides) */
} GbMigrationOptions;

/* One reading of virDomainGetJobStats. */
typedef struct {
  gint64   time_us;
  unsigned long long  elapsed_ms;
  unsigned long long  mem_total;
  unsigned long long  mem_processed;
  unsigned long long  mem_remaining;
  unsigned long long  mem_bps;          /* bytes/s */
  unsigned long long  dirty_rate;       /* pages/s */
  unsigned long long  page_size;
  unsigned long long  iteration;        /* pre-copy round */
  unsigned long long  downtime_ms;      /* expected while running, real when completed */
  unsigned long long  disk_total;
  unsigned long long  disk_processed;
  unsigned long long  disk_remaining;
} GbMigrationStats;

#define GB_TYPE_MIGRATION (gb_migration_get_type ())
G_DECLARE_FINAL_TYPE (GbMigration, gb_migration, GB, MIGRATION, GObject)

/* @dconn may be NULL when tunnelled (the source reaches options->dest_uri). */
GbMigration            *gb_migration_new            (virDomainPtr              dom,
                                                     virConnectPtr             dconn,
                                                     const GbMigrationOptions *options);
unsigned int            gb_migration_options_flags  (const GbMigrationOptions *options);
GbMigrationState        gb_migration_get_state      (GbMigration              *self);
const char             *gb_migration_get_error      (GbMigration              *self);
/* The last reading, and every reading so far (GbMigrationStats). */
const GbMigrationStats *gb_migration_get_stats      (GbMigration              *self);
GArray                 *gb_migration_get_history    (GbMigration              *self);
guint64                 gb_migration_get_max_iteration (GbMigration           *self);
/* Job stats are read every @interval_ms while it runs (default 250). */
void                    gb_migration_set_interval   (GbMigration              *self,
                                                     guint                     interval_ms);
void                    gb_migration_start          (GbMigration              *self);
void                    gb_migration_cancel         (GbMigration              *self);

G_END_DECLS
