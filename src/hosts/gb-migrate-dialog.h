/* gb-migrate-dialog.h — move a running libvirt machine to another open connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "gb-machine.h"
#include "gb-migration.h"

G_BEGIN_DECLS

#define GB_TYPE_MIGRATE_DIALOG (gb_migrate_dialog_get_type ())
G_DECLARE_FINAL_TYPE (GbMigrateDialog, gb_migrate_dialog, GB, MIGRATE_DIALOG, AdwWindow)

/* @providers: the application's connections; the destinations offered are
 * the connected libvirt ones other than the machine's own. */
GbMigrateDialog *gb_migrate_dialog_new             (GtkWindow        *parent,
                                                    GbMachine        *machine,
                                                    GListModel       *providers);
guint            gb_migrate_dialog_get_n_destinations (GbMigrateDialog *self);
void             gb_migrate_dialog_set_destination (GbMigrateDialog  *self,
                                                    const char       *uri);
/* The options as the switches and spin buttons say. */
void             gb_migrate_dialog_get_options     (GbMigrateDialog  *self,
                                                    GbMigrationOptions *options);
void             gb_migrate_dialog_set_options     (GbMigrateDialog  *self,
                                                    const GbMigrationOptions *options);
/* The running or finished migration, or NULL before "Migrate". */
GbMigration     *gb_migrate_dialog_get_migration   (GbMigrateDialog  *self);
/* Draws job-stats readings (GbMigrationStats): what each "progress" does. */
void             gb_migrate_dialog_show_progress   (GbMigrateDialog  *self,
                                                    GArray           *history);

G_END_DECLS
