/* gb-lab-window.c — the Lab: experiments that show what the hypervisor does
 *
 * One group per experiment: its question, a Run button, the live figures
 * while it runs, and a result table (a GtkGrid) with a sentence saying
 * what the numbers mean.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gb-lab-experiment.h"
#include "gb-lab-window.h"

typedef struct {
  GbLabExperiment *experiment;
  GtkWidget       *button;
  GtkWidget       *spinner;
  GtkLabel        *status;
  GtkGrid         *table;
  GtkLabel        *conclusion;
  GCancellable    *cancellable;
} Panel;

struct _GbLabWindow
{
  AdwWindow  parent_instance;

  GtkBox    *experiments_box;
  Panel      panels[GB_LAB_N_EXPERIMENTS];
};

G_DEFINE_FINAL_TYPE (GbLabWindow, gb_lab_window, ADW_TYPE_WINDOW)

GtkWindow *
gb_lab_window_new (GtkWindow *parent)
{
  return g_object_new (GB_TYPE_LAB_WINDOW, "transient-for", parent, NULL);
}

static GtkWidget *
cell (const char *text,
      gboolean    header,
      gboolean    numeric)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), numeric ? 1 : 0);
  if (header)
    gtk_widget_add_css_class (label, "heading");
  if (numeric)
    gtk_widget_add_css_class (label, "numeric");
  return label;
}

static void
fill_table (Panel *panel)
{
  GbLabExperiment *e = panel->experiment;
  GtkWidget *child;
  guint rows = gb_lab_experiment_get_n_rows (e);
  guint cols = gb_lab_experiment_get_n_columns (e);
  g_autofree char *conclusion = NULL;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (panel->table))))
    gtk_grid_remove (panel->table, child);
  gtk_widget_set_visible (GTK_WIDGET (panel->table), rows > 0);
  if (rows == 0)
    return;

  gtk_grid_attach (panel->table, cell (_("Guest"), TRUE, FALSE), 0, 0, 1, 1);
  for (guint c = 0; c < cols; c++)
    gtk_grid_attach (panel->table, cell (gb_lab_experiment_get_column_title (e, c), TRUE, TRUE), c + 1, 0, 1, 1);
  for (guint r = 0; r < rows; r++)
    {
      gtk_grid_attach (panel->table, cell (gb_lab_experiment_get_row_title (e, r), FALSE, FALSE), 0, r + 1, 1, 1);
      for (guint c = 0; c < cols; c++)
        {
          g_autofree char *value = gb_lab_experiment_format_value (e, r, c);

          gtk_grid_attach (panel->table, cell (value, FALSE, TRUE), c + 1, r + 1, 1, 1);
        }
    }
  conclusion = gb_lab_experiment_get_conclusion (e);
  gtk_label_set_text (panel->conclusion, conclusion ? conclusion : "");
  gtk_widget_set_visible (GTK_WIDGET (panel->conclusion), conclusion != NULL);
}

static void
update_panel (Panel *panel)
{
  GbLabExperimentState state = gb_lab_experiment_get_state (panel->experiment);
  gboolean running = state == GB_LAB_EXPERIMENT_RUNNING;

  gtk_widget_set_sensitive (panel->button, !running);
  gtk_widget_set_visible (panel->spinner, running);
  g_object_set (panel->spinner, "spinning", running, NULL);
  gtk_label_set_text (panel->status, gb_lab_experiment_get_status (panel->experiment)
                                     ? gb_lab_experiment_get_status (panel->experiment) : "");
  gtk_widget_set_visible (GTK_WIDGET (panel->status), gb_lab_experiment_get_status (panel->experiment) != NULL);
  if (!running)
    fill_table (panel);
}

static void
run_done (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* The state, status and table follow the experiment's notifications. */
  gb_lab_experiment_run_finish (GB_LAB_EXPERIMENT (object), result, &error);
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("Lab experiment failed: %s", error->message);
}

void
gb_lab_window_run (GbLabWindow *self,
                   guint        index)
{
  Panel *panel;

  g_return_if_fail (GB_IS_LAB_WINDOW (self));
  g_return_if_fail (index < GB_LAB_N_EXPERIMENTS);

  panel = &self->panels[index];
  if (gb_lab_experiment_get_state (panel->experiment) == GB_LAB_EXPERIMENT_RUNNING)
    return;
  gb_lab_experiment_run_async (panel->experiment, panel->cancellable, run_done, NULL);
}

GbLabExperiment *
gb_lab_window_get_experiment (GbLabWindow *self,
                              guint        index)
{
  g_return_val_if_fail (GB_IS_LAB_WINDOW (self), NULL);
  g_return_val_if_fail (index < GB_LAB_N_EXPERIMENTS, NULL);
  return self->panels[index].experiment;
}

static void
on_run_clicked (GtkButton *button,
                gpointer   user_data)
{
  GbLabWindow *self = GB_LAB_WINDOW (gtk_widget_get_root (GTK_WIDGET (button)));

  gb_lab_window_run (self, GPOINTER_TO_UINT (user_data));
}

static void
build_panel (GbLabWindow *self,
             guint        index)
{
  Panel *panel = &self->panels[index];
  GtkWidget *group = adw_preferences_group_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *question;
  g_autofree char *title = NULL;

  panel->experiment = gb_lab_experiment_new (index);
  panel->cancellable = g_cancellable_new ();
  /* Translators: "Experiment 1: Serial Port or virtio-console?" */
  title = g_strdup_printf (_("Experiment %u: %s"), index + 1, gb_lab_experiment_get_title (panel->experiment));
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), title);

  question = gtk_label_new (gb_lab_experiment_get_question (panel->experiment));
  gtk_label_set_wrap (GTK_LABEL (question), TRUE);
  gtk_label_set_xalign (GTK_LABEL (question), 0);
  gtk_box_append (GTK_BOX (box), question);

  panel->button = gtk_button_new_with_mnemonic (_("_Run"));
  gtk_widget_add_css_class (panel->button, "suggested-action");
  gtk_widget_add_css_class (panel->button, "pill");
  gtk_accessible_update_property (GTK_ACCESSIBLE (panel->button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  g_signal_connect (panel->button, "clicked", G_CALLBACK (on_run_clicked), GUINT_TO_POINTER (index));
  gtk_box_append (GTK_BOX (row), panel->button);
  panel->spinner = gtk_spinner_new ();
  gtk_widget_set_visible (panel->spinner, FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (panel->spinner),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Running"), -1);
  gtk_box_append (GTK_BOX (row), panel->spinner);
  panel->status = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (panel->status, TRUE);
  gtk_label_set_xalign (panel->status, 0);
  gtk_widget_set_hexpand (GTK_WIDGET (panel->status), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (panel->status), "dim-label");
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (panel->status));
  gtk_box_append (GTK_BOX (box), row);

  panel->table = GTK_GRID (gtk_grid_new ());
  gtk_grid_set_column_spacing (panel->table, 18);
  gtk_grid_set_row_spacing (panel->table, 6);
  gtk_widget_add_css_class (GTK_WIDGET (panel->table), "card");
  gtk_widget_set_visible (GTK_WIDGET (panel->table), FALSE);
  g_object_set (panel->table, "margin-top", 6, NULL);
  /* Room inside the card, as a boxed list has. */
  gtk_widget_add_css_class (GTK_WIDGET (panel->table), "lab-table");
  gtk_accessible_update_property (GTK_ACCESSIBLE (panel->table),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Results"), -1);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (panel->table));

  panel->conclusion = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (panel->conclusion, TRUE);
  gtk_label_set_xalign (panel->conclusion, 0);
  gtk_widget_set_visible (GTK_WIDGET (panel->conclusion), FALSE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (panel->conclusion));

  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), box);
  gtk_box_append (self->experiments_box, group);

  g_signal_connect_swapped (panel->experiment, "notify::state", G_CALLBACK (update_panel), panel);
  g_signal_connect_swapped (panel->experiment, "notify::status", G_CALLBACK (update_panel), panel);
}

static void
gb_lab_window_dispose (GObject *object)
{
  GbLabWindow *self = GB_LAB_WINDOW (object);

  for (guint i = 0; i < GB_LAB_N_EXPERIMENTS; i++)
    {
      Panel *panel = &self->panels[i];

      if (panel->cancellable)
        g_cancellable_cancel (panel->cancellable);
      if (panel->experiment)
        g_signal_handlers_disconnect_by_data (panel->experiment, panel);
      g_clear_object (&panel->experiment);
      g_clear_object (&panel->cancellable);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), GB_TYPE_LAB_WINDOW);

  G_OBJECT_CLASS (gb_lab_window_parent_class)->dispose (object);
}

static void
gb_lab_window_class_init (GbLabWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gb_lab_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/glassbox/Glassbox/inside/gb-lab-window.ui");
  gtk_widget_class_bind_template_child (widget_class, GbLabWindow, experiments_box);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
gb_lab_window_init (GbLabWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  for (guint i = 0; i < GB_LAB_N_EXPERIMENTS; i++)
    build_panel (self, i);
}
