/* gb-migrate-dialog.c — move a running libvirt machine to another open connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The destination is one of the application's other libvirt connections.
 * "Migrate" hands the choices to a GbMigration; each job-stats reading it
 * makes is drawn at once: memory still to copy (the graph falls in each
 * pre-copy round and jumps back up by what the guest dirtied meanwhile),
 * the round, the dirty rate, the speed and the pause QEMU expects for the
 * last round. Closing the dialog does not stop a migration; "Cancel
 * Migration" does (virDomainAbortJob).
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gb-libvirt-machine.h"
#include "gb-libvirt-private.h"
#include "gb-libvirt-provider.h"
#include "gb-migrate-dialog.h"
#include "gb-sparkline.h"

#define MAX_POINTS 240

struct _GbMigrateDialog
{
  AdwWindow        parent_instance;

  AdwWindowTitle  *window_title;
  GtkLabel        *intro_label;
  AdwPreferencesGroup *options_group;
  AdwPreferencesGroup *progress_group;
  GtkWidget       *progress_box;
  AdwComboRow     *destination_row;
  GtkSwitch       *live_switch;
  GtkSwitch       *tunnelled_switch;
  GtkSwitch       *storage_switch;
  GtkSwitch       *persistent_switch;
  GtkSpinButton   *downtime_spin;
  GtkSpinButton   *bandwidth_spin;
  GbSparkline     *progress_graph;
  GtkLabel        *elapsed_label;
  AdwActionRow    *round_row;
  AdwActionRow    *remaining_row;
  AdwActionRow    *dirty_row;
  AdwActionRow    *speed_row;
  AdwActionRow    *downtime_row;
  AdwActionRow    *disk_row;
  GtkLabel        *status_label;
  GtkWidget       *cancel_button;

  GbMachine       *machine;
  GPtrArray       *destinations;   /* GbProvider */
  GbMigration     *migration;
  char            *destination_title;
};

G_DEFINE_FINAL_TYPE (GbMigrateDialog, gb_migrate_dialog, ADW_TYPE_WINDOW)

static GbProvider *
selected_destination (GbMigrateDialog *self)
{
  guint i = adw_combo_row_get_selected (self->destination_row);

  return i < self->destinations->len ? g_ptr_array_index (self->destinations, i) : NULL;
}

static void
update_actions (GbMigrateDialog *self)
{
  gboolean ready = self->migration == NULL && selected_destination (self) != NULL &&
                   GB_IS_LIBVIRT_MACHINE (self->machine) &&
                   _gb_libvirt_machine_get_handle (GB_LIBVIRT_MACHINE (self->machine)) != NULL;
  gboolean running = self->migration && gb_migration_get_state (self->migration) == GB_MIGRATION_STATE_RUNNING;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "migrate.start", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "migrate.cancel", running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->options_group), self->migration == NULL);
  gtk_widget_set_visible (self->cancel_button, running);
}

static char *
size_text (unsigned long long bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
}

void
gb_migrate_dialog_show_progress (GbMigrateDialog *self,
                                 GArray          *history)
{
  const GbMigrationStats *s;
  const GbMigrationStats *disk = NULL;
  double values[MAX_POINTS];
  unsigned long long max_total = 0;
  guint first, n = 0;

  g_return_if_fail (GB_IS_MIGRATE_DIALOG (self));

  /* The choices are made: the progress takes their place. */
  gtk_widget_set_visible (self->progress_box, TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->options_group), FALSE);
  if (history == NULL || history->len == 0)
    return;

  /* Memory readings only: while the disks are mirrored first, QEMU has
   * not begun on the memory and says 0 of 0. */
  first = history->len > MAX_POINTS ? history->len - MAX_POINTS : 0;
  for (guint i = first; i < history->len; i++)
    {
      const GbMigrationStats *r = &g_array_index (history, GbMigrationStats, i);

      if (r->mem_total == 0)
        continue;
      values[n++] = r->mem_remaining;
      max_total = MAX (max_total, r->mem_total);
    }
  /* The disks are copied first; the last reading that speaks of them. */
  for (guint i = 0; i < history->len; i++)
    if (g_array_index (history, GbMigrationStats, i).disk_total > 0)
      disk = &g_array_index (history, GbMigrationStats, i);

  /* One point per reading (every 250 ms), not per second: the sparkline's
   * time labels would be wrong, so the graph goes without them and the
   * elapsed time is said under it. */
  gb_sparkline_set_capacity (self->progress_graph, MAX (n, 40));
  if (max_total > 0)
    gb_sparkline_set_max_value (self->progress_graph, max_total);
  gb_sparkline_set_values (self->progress_graph, 0, values, n);

  s = &g_array_index (history, GbMigrationStats, history->len - 1);
  {
    g_autofree char *text = NULL;

    text = g_strdup_printf ("%llu", s->iteration);
    adw_action_row_set_subtitle (self->round_row, text);
  }
  {
    g_autofree char *rem = size_text (s->mem_remaining);
    g_autofree char *total = size_text (s->mem_total);
    /* Translators: "120 MiB of 1.0 GiB" */
    g_autofree char *text = g_strdup_printf (_("%s of %s"), rem, total);

    adw_action_row_set_subtitle (self->remaining_row, text);
  }
  {
    g_autofree char *rate = size_text (s->dirty_rate * (s->page_size ? s->page_size : 4096));
    /* Translators: "%llu pages/s (12 MiB/s)" */
    g_autofree char *text = g_strdup_printf (_("%llu pages/s (%s/s)"), s->dirty_rate, rate);

    adw_action_row_set_subtitle (self->dirty_row, text);
  }
  {
    g_autofree char *bps = size_text (s->mem_bps);
    g_autofree char *text = g_strdup_printf (_("%s/s"), bps);

    adw_action_row_set_subtitle (self->speed_row, text);
  }
  {
    /* Translators: the guest's pause, in milliseconds */
    g_autofree char *text = g_strdup_printf (_("%llu ms"), s->downtime_ms);

    adw_action_row_set_subtitle (self->downtime_row, text);
  }
  {
      /* Translators: elapsed time in seconds */
      g_autofree char *text = g_strdup_printf (_("%.1f s since the start"), s->elapsed_ms / 1000.0);

      gtk_label_set_label (self->elapsed_label, text);
    }
  if (disk != NULL)
    {
      g_autofree char *done = size_text (disk->disk_processed);
      g_autofree char *total = size_text (disk->disk_total);
      g_autofree char *text = g_strdup_printf (_("%s of %s"), done, total);

      adw_action_row_set_subtitle (self->disk_row, text);
    }
  else
    adw_action_row_set_subtitle (self->disk_row, _("Not copied"));
}

static void
progress_cb (GbMigrateDialog *self)
{
  gb_migrate_dialog_show_progress (self, gb_migration_get_history (self->migration));
}

static void
state_cb (GbMigrateDialog *self)
{
  GbMigrationState state = gb_migration_get_state (self->migration);
  g_autofree char *text = NULL;
  const GbMigrationStats *s = gb_migration_get_stats (self->migration);

  switch (state)
    {
    case GB_MIGRATION_STATE_RUNNING:
      /* Translators: %s is the destination host */
      text = g_strdup_printf (_("Copying to %s…"), self->destination_title);
      break;
    case GB_MIGRATION_STATE_COMPLETED:
      /* Translators: "Moved to HOST in 12.3 s, in 4 rounds; the machine paused for 25 ms" */
      text = g_strdup_printf (_("Moved to %s in %.1f s, in %llu rounds; the machine paused for %llu ms."),
                              self->destination_title, s->elapsed_ms / 1000.0,
                              (unsigned long long) gb_migration_get_max_iteration (self->migration), s->downtime_ms);
      break;
    case GB_MIGRATION_STATE_CANCELLED:
      text = g_strdup (_("Cancelled: the machine stays where it was."));
      break;
    case GB_MIGRATION_STATE_FAILED:
      /* Translators: %s is libvirt's message */
      text = g_strdup_printf (_("The migration failed: %s"), gb_migration_get_error (self->migration));
      break;
    case GB_MIGRATION_STATE_READY:
    default:
      break;
    }
  gtk_label_set_label (self->status_label, text ? text : "");
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "success");
  if (state == GB_MIGRATION_STATE_FAILED)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
  else if (state == GB_MIGRATION_STATE_COMPLETED)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "success");
  update_actions (self);
}

void
gb_migrate_dialog_get_options (GbMigrateDialog    *self,
                               GbMigrationOptions *options)
{
  GbProvider *dest;

  g_return_if_fail (GB_IS_MIGRATE_DIALOG (self));

  dest = selected_destination (self);
  memset (options, 0, sizeof *options);
  options->live = gtk_switch_get_active (self->live_switch);
  options->tunnelled = gtk_switch_get_active (self->tunnelled_switch);
  options->copy_storage = gtk_switch_get_active (self->storage_switch);
  options->persistent = gtk_switch_get_active (self->persistent_switch);
  options->undefine_source = options->persistent;
  options->max_downtime_ms = gtk_spin_button_get_value_as_int (self->downtime_spin);
  options->bandwidth_mib = gtk_spin_button_get_value_as_int (self->bandwidth_spin);
  options->dest_uri = dest ? g_strdup (gb_provider_get_uri (dest)) : NULL;
}

void
gb_migrate_dialog_set_options (GbMigrateDialog          *self,
                               const GbMigrationOptions *options)
{
  g_return_if_fail (GB_IS_MIGRATE_DIALOG (self));

  gtk_switch_set_active (self->live_switch, options->live);
  gtk_switch_set_active (self->tunnelled_switch, options->tunnelled);
  gtk_switch_set_active (self->storage_switch, options->copy_storage);
  gtk_switch_set_active (self->persistent_switch, options->persistent);
  gtk_spin_button_set_value (self->downtime_spin, options->max_downtime_ms);
  gtk_spin_button_set_value (self->bandwidth_spin, options->bandwidth_mib);
}

/* Two hosts of one kind have one title ("QEMU/KVM"): then the URI says which. */
static char *
destination_name (GbMigrateDialog *self,
                  GbProvider      *dest)
{
  GbProvider *own = gb_machine_get_provider (self->machine);

  if (own && g_strcmp0 (gb_provider_get_title (own), gb_provider_get_title (dest)) == 0)
    return g_strdup (gb_provider_get_uri (dest));
  return g_strdup (gb_provider_get_title (dest));
}

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  GbMigrateDialog *self = GB_MIGRATE_DIALOG (widget);
  GbProvider *dest = selected_destination (self);
  GbMigrationOptions options;
  virDomainPtr dom;

  if (dest == NULL || self->migration != NULL || !GB_IS_LIBVIRT_MACHINE (self->machine))
    return;
  dom = _gb_libvirt_machine_get_handle (GB_LIBVIRT_MACHINE (self->machine));
  if (dom == NULL)
    return;

  gb_migrate_dialog_get_options (self, &options);
  g_free (self->destination_title);
  self->destination_title = destination_name (self, dest);
  self->migration = gb_migration_new (dom, _gb_libvirt_provider_get_handle (dest), &options);
  g_free (options.dest_uri);
  g_signal_connect_object (self->migration, "progress", G_CALLBACK (progress_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->migration, "notify::state", G_CALLBACK (state_cb), self, G_CONNECT_SWAPPED);
  gb_migrate_dialog_show_progress (self, NULL);
  gb_migration_start (self->migration);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  GbMigrateDialog *self = GB_MIGRATE_DIALOG (widget);

  if (self->migration)
    gb_migration_cancel (self->migration);
}

GbMigrateDialog *
gb_migrate_dialog_new (GtkWindow  *parent,
                       GbMachine  *machine,
                       GListModel *providers)
{
  GbMigrateDialog *self;
  g_autoptr(GtkStringList) titles = gtk_string_list_new (NULL);
  GbProvider *own;
  g_autofree char *intro = NULL;

  g_return_val_if_fail (GB_IS_MACHINE (machine), NULL);

  self = g_object_new (GB_TYPE_MIGRATE_DIALOG, "transient-for", parent, NULL);
  self->machine = g_object_ref (machine);
  own = gb_machine_get_provider (machine);

  for (guint i = 0; providers && i < g_list_model_get_n_items (providers); i++)
    {
      g_autoptr(GbProvider) provider = g_list_model_get_item (providers, i);

      if (provider == own || !GB_IS_LIBVIRT_PROVIDER (provider) ||
          gb_provider_get_state (provider) != GB_PROVIDER_STATE_CONNECTED)
        continue;
      g_ptr_array_add (self->destinations, g_object_ref (provider));
      if (own && g_strcmp0 (gb_provider_get_title (own), gb_provider_get_title (provider)) == 0)
        gtk_string_list_append (titles, gb_provider_get_uri (provider));
      else
        gtk_string_list_append (titles, gb_provider_get_title (provider));
    }
  adw_combo_row_set_model (self->destination_row, G_LIST_MODEL (titles));

  adw_window_title_set_subtitle (self->window_title, gb_machine_get_name (machine));
  if (self->destinations->len == 0)
    intro = g_strdup (_("There is no other libvirt connection to move it to. Add one (File ▸ Add Connection), e.g. qemu+ssh://user@host/system, and come back."));
  else
    /* Translators: %s is the machine's name, then its host */
    intro = g_strdup_printf (_("Move “%s” from %s to another host. Its memory is copied while it runs; at the end it pauses for a moment and carries on there."),
                             gb_machine_get_name (machine), own ? gb_provider_get_title (own) : "?");
  gtk_label_set_label (self->intro_label, intro);
  update_actions (self);
  return self;
}

guint
gb_migrate_dialog_get_n_destinations (GbMigrateDialog *self)
{
  g_return_val_if_fail (GB_IS_MIGRATE_DIALOG (self), 0);
  return self->destinations->len;
}

void
gb_migrate_dialog_set_destination (GbMigrateDialog *self,
                                   const char      *uri)
{
  g_return_if_fail (GB_IS_MIGRATE_DIALOG (self));

  for (guint i = 0; i < self->destinations->len; i++)
    if (g_strcmp0 (gb_provider_get_uri (g_ptr_array_index (self->destinations, i)), uri) == 0)
      adw_combo_row_set_selected (self->destination_row, i);
}

GbMigration *
gb_migrate_dialog_get_migration (GbMigrateDialog *self)
{
  g_return_val_if_fail (GB_IS_MIGRATE_DIALOG (self), NULL);
  return self->migration;
}

static void
gb_migrate_dialog_dispose (GObject *object)
{
  GbMigrateDialog *self = GB_MIGRATE_DIALOG (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), GB_TYPE_MIGRATE_DIALOG);

  G_OBJECT_CLASS (gb_migrate_dialog_parent_class)->dispose (object);
}

static void
gb_migrate_dialog_finalize (GObject *object)
{
  GbMigrateDialog *self = GB_MIGRATE_DIALOG (object);

  /* A running migration goes on without the dialog: its threads hold it. */
  g_clear_object (&self->migration);
  g_clear_object (&self->machine);
  g_ptr_array_unref (self->destinations);
  g_free (self->destination_title);

  G_OBJECT_CLASS (gb_migrate_dialog_parent_class)->finalize (object);
}

static void
gb_migrate_dialog_class_init (GbMigrateDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gb_migrate_dialog_dispose;
  object_class->finalize = gb_migrate_dialog_finalize;

  g_type_ensure (GB_TYPE_SPARKLINE);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/glassbox/Glassbox/hosts/gb-migrate-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, GbMigrateDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, GbMigrateDialog, intro_label);
  gtk_widget_class_bind_template_child (widget_class, GbMigrateDialog, options_group);
  gtk_widget_class_bind_template_child (widget_class, GbMigrateDialog, progress_group);
  gtk_widget_class_bind_template_child (widget_class, GbMigrateDialog, progress_box);
  gtk_widget_class_bind_template_child (widget_class, GbMigrateDialog, destination_row);
  gtk_widget_class_bind_template_child (widget_class, GbMigrateDialog, live_switch);
  gtk_widget_class_bind_template_child (widget_class, GbMigrateDialog, tunnelled_switch);
  gtk_widget_class_bind_template_child (widget_class, GbMigrateDialog, storage_switch);
  gtk_widget_class_bind_template_child (widget_class, GbMigrateDialog, persistent_switch);
  gtk_widget_class_bind_template_child (widget_class, GbMigrateDialog, downtime_spin);
  gtk_widget_class_bind_template_child (widget_class, GbMigrateDialog, bandwidth_spin);
  gtk_widget_class_bind_template_child (widget_class, GbMigrateDialog, progress_graph);
  gtk_widget_class_bind_template_child (widget_class, GbMigrateDialog, elapsed_label);
  gtk_widget_class_bind_template_child (widget_class, GbMigrateDialog, round_row);
  gtk_widget_class_bind_template_child (widget_class, GbMigrateDialog, remaining_row);
  gtk_widget_class_bind_template_child (widget_class, GbMigrateDialog, dirty_row);
  gtk_widget_class_bind_template_child (widget_class, GbMigrateDialog, speed_row);
  gtk_widget_class_bind_template_child (widget_class, GbMigrateDialog, downtime_row);
  gtk_widget_class_bind_template_child (widget_class, GbMigrateDialog, disk_row);
  gtk_widget_class_bind_template_child (widget_class, GbMigrateDialog, status_label);
  gtk_widget_class_bind_template_child (widget_class, GbMigrateDialog, cancel_button);

  gtk_widget_class_install_action (widget_class, "migrate.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "migrate.cancel", NULL, cancel_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
gb_migrate_dialog_init (GbMigrateDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->destinations = g_ptr_array_new_with_free_func (g_object_unref);
  g_signal_connect_swapped (self->destination_row, "notify::selected", G_CALLBACK (update_actions), self);
}
