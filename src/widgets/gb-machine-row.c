/* gb-machine-row.c — one machine in the list: name, OS, state, CPU sparkline, menu
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gb-machine-actions.h"
#include "gb-machine-edit-actions.h"
#include "gb-bundled-machine.h"
#include "gb-machine-row.h"
#include "gb-sparkline.h"

struct _GbMachineRow
{
  GtkWidget    parent_instance;

  GbMachine   *machine;

  GtkImage    *icon;
  GtkLabel    *name_label;
  GtkLabel    *os_label;
  GtkLabel    *state_label;
  GbSparkline *sparkline;
  GtkWidget   *menu_button;
};

G_DEFINE_FINAL_TYPE (GbMachineRow, gb_machine_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MACHINE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char * const state_classes[] = { "running", "paused", "shutoff", "crashed", NULL };

GtkWidget *
gb_machine_row_new (void)
{
  return g_object_new (GB_TYPE_MACHINE_ROW, NULL);
}

GbMachine *
gb_machine_row_get_machine (GbMachineRow *self)
{
  g_return_val_if_fail (GB_IS_MACHINE_ROW (self), NULL);

  return self->machine;
}

static const char *
state_class (GbMachineState state)
{
  switch (state)
    {
    case GB_MACHINE_STATE_RUNNING:
    case GB_MACHINE_STATE_SHUTTING_DOWN:
      return "running";
    case GB_MACHINE_STATE_PAUSED:
    case GB_MACHINE_STATE_SUSPENDED:
      return "paused";
    case GB_MACHINE_STATE_CRASHED:
      return "crashed";
    case GB_MACHINE_STATE_SHUTOFF:
    case GB_MACHINE_STATE_UNKNOWN:
    default:
      return "shutoff";
    }
}

static void
update_state (GbMachineRow *self)
{
  GbMachineState state = gb_machine_get_state (self->machine);

  gtk_label_set_label (self->state_label, gb_machine_state_to_string (state));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->state_label), NULL);
  /* A saved state (managed save) waits for the next start: say so, and when. */
  if (state == GB_MACHINE_STATE_SHUTOFF && gb_machine_get_saved_at (self->machine) != 0)
    {
      gint64 saved_at = gb_machine_get_saved_at (self->machine);
      g_autoptr(GDateTime) when = saved_at > 0 ? g_date_time_new_from_unix_local (saved_at) : NULL;
      g_autofree char *time = when ? g_date_time_format (when, "%x %H:%M") : NULL;
      g_autofree char *label = NULL;

      /* Translators: the state of a machine whose memory is saved, and when, e.g. "Saved 02/12/26 14:05" */
      label = time ? g_strdup_printf (_("Saved %s"), time) : g_strdup (_("Saved"));
      gtk_label_set_label (self->state_label, label);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->state_label),
                                   _("Its memory is saved; starting it resumes where it was."));
    }
  for (guint i = 0; state_classes[i]; i++)
    gtk_widget_remove_css_class (GTK_WIDGET (self->state_label), state_classes[i]);
  gtk_widget_add_css_class (GTK_WIDGET (self->state_label), state_class (state));

  /* The sparkline keeps its place (rows stay aligned) but shows only
   * while there is something to show. */
  if (state != GB_MACHINE_STATE_RUNNING)
    gb_sparkline_clear (self->sparkline);
  gtk_widget_set_opacity (GTK_WIDGET (self->sparkline), state == GB_MACHINE_STATE_RUNNING ? 1.0 : 0.0);

  gb_machine_actions_update (GTK_WIDGET (self), self->machine);
  gb_machine_edit_actions_update (GTK_WIDGET (self), self->machine);
}

static void
update_labels (GbMachineRow *self)
{
  const char *os_name = gb_machine_get_os_name (self->machine);

  gtk_label_set_label (self->name_label, gb_machine_get_name (self->machine));
  gtk_label_set_label (self->os_label, os_name ? os_name : _("Unknown operating system"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), NULL);

  /* A bundled machine whose file is broken, or whose VMM died, says why. */
  if (GB_IS_BUNDLED_MACHINE (self->machine))
    {
      GbBundledMachine *bundled = GB_BUNDLED_MACHINE (self->machine);

      if (gb_bundled_machine_get_error (bundled) != NULL)
        {
          g_autofree char *text = g_strdup_printf (_("Broken machine file: %s"),
                                                   gb_bundled_machine_get_error (bundled));

          gtk_label_set_label (self->os_label, text);
          gtk_widget_set_tooltip_text (GTK_WIDGET (self), text);
        }
      else if (gb_bundled_machine_get_crash_log (bundled) != NULL)
        gtk_widget_set_tooltip_text (GTK_WIDGET (self), gb_bundled_machine_get_crash_log (bundled));
    }
}

static void
update_stats (GbMachineRow *self)
{
  const GbMachineSample *samples;
  guint n = 0;
  double cpu[GB_MACHINE_MAX_SAMPLES];

  samples = gb_machine_get_samples (self->machine, &n);
  n = MIN (n, G_N_ELEMENTS (cpu));
  for (guint i = 0; i < n; i++)
    cpu[i] = samples[i].cpu_percent;

  gb_sparkline_set_values (self->sparkline, 0, cpu, n);
}

void
gb_machine_row_set_machine (GbMachineRow *self,
                            GbMachine    *machine)
{
  g_return_if_fail (GB_IS_MACHINE_ROW (self));
  g_return_if_fail (!machine || GB_IS_MACHINE (machine));

  if (self->machine == machine)
    return;

  if (self->machine != NULL)
    g_signal_handlers_disconnect_by_data (self->machine, self);

  g_set_object (&self->machine, machine);
  gb_sparkline_clear (self->sparkline);

  if (machine != NULL)
    {
      g_signal_connect_swapped (machine, "notify::state", G_CALLBACK (update_state), self);
      g_signal_connect_swapped (machine, "notify::saved-at", G_CALLBACK (update_state), self);
      g_signal_connect_swapped (machine, "notify::config", G_CALLBACK (update_state), self);
      g_signal_connect_swapped (machine, "notify::name", G_CALLBACK (update_labels), self);
      g_signal_connect_swapped (machine, "notify::os-name", G_CALLBACK (update_labels), self);
      if (GB_IS_BUNDLED_MACHINE (machine))
        g_signal_connect_swapped (machine, "notify::crash-log", G_CALLBACK (update_labels), self);
      g_signal_connect_swapped (machine, "stats-updated", G_CALLBACK (update_stats), self);
      update_labels (self);
      update_state (self);
      update_stats (self);
    }
  else
    {
      gb_machine_actions_update (GTK_WIDGET (self), NULL);
      gb_machine_edit_actions_update (GTK_WIDGET (self), NULL);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MACHINE]);
}

static GbMachine *
get_machine (GtkWidget *widget)
{
  return GB_MACHINE_ROW (widget)->machine;
}

static void
gb_machine_row_dispose (GObject *object)
{
  GbMachineRow *self = GB_MACHINE_ROW (object);
  GtkWidget *child;

  gb_machine_row_set_machine (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), GB_TYPE_MACHINE_ROW);
  /* Template children without an id are not disposed with the template. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (gb_machine_row_parent_class)->dispose (object);
}

static void
gb_machine_row_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  GbMachineRow *self = GB_MACHINE_ROW (object);

  switch (prop_id)
    {
    case PROP_MACHINE:
      g_value_set_object (value, self->machine);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_machine_row_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  GbMachineRow *self = GB_MACHINE_ROW (object);

  switch (prop_id)
    {
    case PROP_MACHINE:
      gb_machine_row_set_machine (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_machine_row_class_init (GbMachineRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gb_machine_row_dispose;
  object_class->get_property = gb_machine_row_get_property;
  object_class->set_property = gb_machine_row_set_property;

  properties[PROP_MACHINE] =
    g_param_spec_object ("machine", NULL, NULL,
                         GB_TYPE_MACHINE,
                         (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (GB_TYPE_SPARKLINE);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/glassbox/Glassbox/gb-machine-row.ui");
  gtk_widget_class_bind_template_child (widget_class, GbMachineRow, icon);
  gtk_widget_class_bind_template_child (widget_class, GbMachineRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, GbMachineRow, os_label);
  gtk_widget_class_bind_template_child (widget_class, GbMachineRow, state_label);
  gtk_widget_class_bind_template_child (widget_class, GbMachineRow, sparkline);
  gtk_widget_class_bind_template_child (widget_class, GbMachineRow, menu_button);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "machinerow");

  /* The row menu acts on this row's machine, whatever is selected. */
  gb_machine_actions_install_for_class (widget_class, get_machine);
  gb_machine_edit_actions_install_for_class (widget_class, get_machine);
}

static void
gb_machine_row_init (GbMachineRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gb_machine_actions_update (GTK_WIDGET (self), NULL);
  gb_machine_edit_actions_update (GTK_WIDGET (self), NULL);
}
