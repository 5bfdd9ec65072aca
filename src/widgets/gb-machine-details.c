/* gb-machine-details.c — the selected machine: its configuration and live graphs
 *
 * The graphs follow the machine's "stats-updated" signal (the provider
 * samples once a second) only while this page is mapped.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "gb-bundled-machine.h"
#include "gb-machine-details.h"
#include "gb-sparkline.h"

struct _GbMachineDetails
{
  GtkWidget            parent_instance;

  GbMachine           *machine;
  GbMachineConfig     *config;
  gulong               stats_handler;

  /* rows added to the groups below for the current config */
  GPtrArray           *dynamic_rows;

  GtkLabel            *state_value;
  AdwPreferencesGroup *problem_group;
  GtkLabel            *problem_label;
  GtkLabel            *os_value;
  GtkLabel            *vcpus_value;
  GtkLabel            *memory_value;
  GtkLabel            *firmware_value;
  GtkLabel            *uuid_value;
  AdwPreferencesGroup *disks_group;
  AdwPreferencesGroup *nics_group;
  AdwPreferencesGroup *graphics_group;

  GtkLabel            *cpu_value;
  GtkLabel            *memory_used_value;
  GtkLabel            *disk_value;
  GtkLabel            *net_value;
  GbSparkline         *cpu_graph;
  GbSparkline         *memory_graph;
  GbSparkline         *disk_graph;
  GbSparkline         *net_graph;
};

G_DEFINE_FINAL_TYPE (GbMachineDetails, gb_machine_details, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MACHINE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GtkWidget *
gb_machine_details_new (void)
{
  return g_object_new (GB_TYPE_MACHINE_DETAILS, NULL);
}

GbMachine *
gb_machine_details_get_machine (GbMachineDetails *self)
{
  g_return_val_if_fail (GB_IS_MACHINE_DETAILS (self), NULL);

  return self->machine;
}

static void
add_row (GbMachineDetails    *self,
         AdwPreferencesGroup *group,
         const char          *title,
         const char          *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  /* Paths, MACs and addresses are data, not markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle ? subtitle : "");
  adw_preferences_group_add (group, row);
  g_object_set_data (G_OBJECT (row), "group", group);
  g_ptr_array_add (self->dynamic_rows, row);
}

static void
clear_rows (GbMachineDetails *self)
{
  for (guint i = 0; i < self->dynamic_rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->dynamic_rows, i);
      adw_preferences_group_remove (g_object_get_data (G_OBJECT (row), "group"), row);
    }
  g_ptr_array_set_size (self->dynamic_rows, 0);
}

/* "vda · virtio · qcow2 · 20.0 GiB" */
static char *
describe_disk (const GbConfigDisk *disk)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  if (disk->target)
    g_ptr_array_add (parts, g_strdup (disk->target));
  if (g_strcmp0 (disk->device, "cdrom") == 0)
    g_ptr_array_add (parts, g_strdup (_("CD/DVD")));
  if (disk->bus)
    g_ptr_array_add (parts, g_strdup (disk->bus));
  if (disk->format)
    g_ptr_array_add (parts, g_strdup (disk->format));
  if (disk->capacity > 0)
    g_ptr_array_add (parts, g_format_size_full (disk->capacity, G_FORMAT_SIZE_IEC_UNITS));
  if (disk->read_only)
    g_ptr_array_add (parts, g_strdup (_("read-only")));
  g_ptr_array_add (parts, NULL);

  return g_strjoinv (" · ", (char **) parts->pdata);
}

static char *
describe_nic (const GbConfigNic *nic)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  /* libvirt's interface types are words of its XML, not of the user's
   * language: the common ones are said in a sentence of their own. */
  if (g_strcmp0 (nic->type, "network") == 0 && nic->source)
    /* Translators: a network card on a libvirt virtual network, e.g. Virtual network “default” */
    g_ptr_array_add (parts, g_strdup_printf (_("Virtual network “%s”"), nic->source));
  else if (g_strcmp0 (nic->type, "bridge") == 0 && nic->source)
    /* Translators: a network card joined to a host bridge, e.g. Bridge br0 */
    g_ptr_array_add (parts, g_strdup_printf (_("Bridge %s"), nic->source));
  else if (g_strcmp0 (nic->type, "user") == 0 && g_strcmp0 (nic->source, "passt") == 0)
    g_ptr_array_add (parts, g_strdup (_("User-mode networking (passt)")));
  else if (g_strcmp0 (nic->type, "user") == 0)
    g_ptr_array_add (parts, g_strdup (_("User-mode networking")));
  else if (g_strcmp0 (nic->type, "direct") == 0 && nic->source)
    /* Translators: a network card attached directly (macvtap) to a host device, e.g. Direct on eth0 */
    g_ptr_array_add (parts, g_strdup_printf (_("Direct on %s"), nic->source));
  else if (nic->type && nic->source)
    /* Translators: a NIC's source, e.g. "ethernet tap0" */
    g_ptr_array_add (parts, g_strdup_printf (_("%s %s"), nic->type, nic->source));
  else if (nic->type)
    g_ptr_array_add (parts, g_strdup (nic->type));
  if (nic->model)
    g_ptr_array_add (parts, g_strdup (nic->model));
  g_ptr_array_add (parts, NULL);

  return g_strjoinv (" · ", (char **) parts->pdata);
}

static char *
describe_graphics (const GbConfigGraphics *graphics)
{
  if (graphics->socket)
    return g_strdup (graphics->socket);
  if (graphics->port > 0)
    return g_strdup_printf ("%s:%d", graphics->listen ? graphics->listen : "127.0.0.1", graphics->port);
  if (graphics->port < 0)
    return g_strdup (_("Port chosen when the machine starts"));
  return g_strdup (graphics->listen ? graphics->listen : "");
}

static void
update_config (GbMachineDetails *self)
{
  GbMachineConfig *config = self->machine ? gb_machine_get_config (self->machine) : NULL;
  GPtrArray *items;
  const char *os_name;

  g_set_object (&self->config, config);
  clear_rows (self);

  if (self->machine == NULL)
    return;

  os_name = gb_machine_get_os_name (self->machine);
  if (os_name == NULL && config != NULL)
    os_name = gb_machine_config_get_os_name (config);
  gtk_label_set_label (self->os_value, os_name ? os_name : _("Unknown"));
  /* The libosinfo id, for those who want the exact entry. */
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->os_value), gb_machine_get_os_id (self->machine));
  gtk_label_set_label (self->uuid_value, gb_machine_get_uuid (self->machine));

  if (config == NULL)
    {
      gtk_label_set_label (self->vcpus_value, "");
      gtk_label_set_label (self->memory_value, "");
      gtk_label_set_label (self->firmware_value, "");
      return;
    }

  {
    g_autofree char *vcpus = g_strdup_printf ("%u", gb_machine_config_get_n_vcpus (config));
    g_autofree char *memory = g_format_size_full (gb_machine_config_get_memory (config),
                                                   G_FORMAT_SIZE_IEC_UNITS);
    const char *firmware = gb_machine_config_get_firmware (config);

    gtk_label_set_label (self->vcpus_value, vcpus);
    gtk_label_set_label (self->memory_value, memory);
    if (g_strcmp0 (firmware, "kernel") == 0)
      gtk_label_set_label (self->firmware_value, _("None (boots a Linux kernel directly)"));
    else
      gtk_label_set_label (self->firmware_value,
                           g_strcmp0 (firmware, "efi") == 0 ? _("UEFI") : _("BIOS"));
  }

  items = gb_machine_config_get_disks (config);
  for (guint i = 0; items && i < items->len; i++)
    {
      const GbConfigDisk *disk = g_ptr_array_index (items, i);
      g_autofree char *subtitle = describe_disk (disk);

      add_row (self, self->disks_group, disk->path ? disk->path : _("Empty drive"), subtitle);
    }
  if (items == NULL || items->len == 0)
    add_row (self, self->disks_group, _("No disks"), NULL);

  items = gb_machine_config_get_nics (config);
  for (guint i = 0; items && i < items->len; i++)
    {
      const GbConfigNic *nic = g_ptr_array_index (items, i);
      g_autofree char *subtitle = describe_nic (nic);

      add_row (self, self->nics_group, nic->mac ? nic->mac : _("Automatic address"), subtitle);
    }
  if (items == NULL || items->len == 0)
    add_row (self, self->nics_group, _("No network interfaces"), NULL);

  items = gb_machine_config_get_graphics (config);
  for (guint i = 0; items && i < items->len; i++)
    {
      const GbConfigGraphics *graphics = g_ptr_array_index (items, i);
      g_autofree char *title = g_ascii_strup (graphics->type ? graphics->type : "", -1);
      g_autofree char *subtitle = describe_graphics (graphics);

      add_row (self, self->graphics_group, title, subtitle);
    }
  if (items == NULL || items->len == 0)
    add_row (self, self->graphics_group, _("No graphical console"), NULL);
}

static void
update_state (GbMachineDetails *self)
{
  if (self->machine == NULL)
    return;

  gtk_label_set_label (self->state_value,
                       gb_machine_state_to_string (gb_machine_get_state (self->machine)));

  /* A bundled machine says what went wrong: its file, or its VMM's log. */
  if (GB_IS_BUNDLED_MACHINE (self->machine) &&
      gb_bundled_machine_get_error (GB_BUNDLED_MACHINE (self->machine)) != NULL)
    {
      adw_preferences_group_set_title (self->problem_group, _("The machine file cannot be read"));
      adw_preferences_group_set_description (self->problem_group,
                                             gb_bundled_machine_get_file (GB_BUNDLED_MACHINE (self->machine)));
      gtk_label_set_label (self->problem_label, gb_bundled_machine_get_error (GB_BUNDLED_MACHINE (self->machine)));
      gtk_widget_set_visible (GTK_WIDGET (self->problem_group), TRUE);
    }
  else if (GB_IS_BUNDLED_MACHINE (self->machine) &&
           gb_machine_get_state (self->machine) == GB_MACHINE_STATE_CRASHED &&
           gb_bundled_machine_get_crash_log (GB_BUNDLED_MACHINE (self->machine)) != NULL)
    {
      adw_preferences_group_set_title (self->problem_group, _("The virtual machine monitor ended unexpectedly"));
      adw_preferences_group_set_description (self->problem_group, _("The last lines of its log:"));
      gtk_label_set_label (self->problem_label, gb_bundled_machine_get_crash_log (GB_BUNDLED_MACHINE (self->machine)));
      gtk_widget_set_visible (GTK_WIDGET (self->problem_group), TRUE);
    }
  else
    gtk_widget_set_visible (GTK_WIDGET (self->problem_group), FALSE);
}

static void
update_stats (GbMachineDetails *self)
{
  const GbMachineSample *samples = NULL;
  double cpu[GB_MACHINE_MAX_SAMPLES], mem[GB_MACHINE_MAX_SAMPLES];
  double rd[GB_MACHINE_MAX_SAMPLES], wr[GB_MACHINE_MAX_SAMPLES];
  double rx[GB_MACHINE_MAX_SAMPLES], tx[GB_MACHINE_MAX_SAMPLES];
  guint n = 0;

  if (self->machine != NULL)
    samples = gb_machine_get_samples (self->machine, &n);
  n = MIN (n, GB_MACHINE_MAX_SAMPLES);

  for (guint i = 0; i < n; i++)
    {
      cpu[i] = samples[i].cpu_percent;
      mem[i] = samples[i].memory_bytes;
      rd[i] = samples[i].disk_read_bps;
      wr[i] = samples[i].disk_write_bps;
      rx[i] = samples[i].net_rx_bps;
      tx[i] = samples[i].net_tx_bps;
    }

  gb_sparkline_set_values (self->cpu_graph, 0, cpu, n);
  gb_sparkline_set_values (self->memory_graph, 0, mem, n);
  gb_sparkline_set_values (self->disk_graph, 0, rd, n);
  gb_sparkline_set_values (self->disk_graph, 1, wr, n);
  gb_sparkline_set_values (self->net_graph, 0, rx, n);
  gb_sparkline_set_values (self->net_graph, 1, tx, n);

  if (n == 0)
    {
      gboolean running = self->machine != NULL &&
                         gb_machine_get_state (self->machine) == GB_MACHINE_STATE_RUNNING;
      const char *none = running ? _("Waiting for data…") : _("Not running");

      gtk_label_set_label (self->cpu_value, none);
      gtk_label_set_label (self->memory_used_value, none);
      gtk_label_set_label (self->disk_value, none);
      gtk_label_set_label (self->net_value, none);
      return;
    }

  {
    const GbMachineSample *last = &samples[n - 1];
    g_autofree char *cpu_text = gb_sparkline_format_value (GB_SPARKLINE_FORMAT_PERCENT, last->cpu_percent);
    /* A running machine never uses 0 bytes: 0 means its connection gave
     * no figure (no balloon device, or a driver without memory stats). */
    g_autofree char *mem_text = last->memory_bytes > 0
                                ? gb_sparkline_format_value (GB_SPARKLINE_FORMAT_BYTES, last->memory_bytes)
                                : g_strdup (_("Not reported by this connection"));

    gtk_label_set_label (self->cpu_value, cpu_text);
    gtk_label_set_label (self->memory_used_value, mem_text);
    g_autofree char *rd_text = gb_sparkline_format_value (GB_SPARKLINE_FORMAT_RATE, last->disk_read_bps);
    g_autofree char *wr_text = gb_sparkline_format_value (GB_SPARKLINE_FORMAT_RATE, last->disk_write_bps);
    g_autofree char *rx_text = gb_sparkline_format_value (GB_SPARKLINE_FORMAT_RATE, last->net_rx_bps);
    g_autofree char *tx_text = gb_sparkline_format_value (GB_SPARKLINE_FORMAT_RATE, last->net_tx_bps);
    g_autofree char *disk_text = NULL;
    g_autofree char *net_text = NULL;

    /* The first series is drawn blue, the second orange; the labels name
     * them in that order. */
    /* Translators: disk rates, e.g. "read 1.2 MB/s, write 40 kB/s" */
    disk_text = g_strdup_printf (_("read %s, write %s"), rd_text, wr_text);
    /* Translators: network rates, e.g. "in 1.2 MB/s, out 40 kB/s" */
    net_text = g_strdup_printf (_("in %s, out %s"), rx_text, tx_text);

    gtk_label_set_label (self->disk_value, disk_text);
    gtk_label_set_label (self->net_value, net_text);
    /* Ellipsized on narrow windows: the whole text stays one hover away. */
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->disk_value), disk_text);
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->net_value), net_text);
  }
}

static void
watch_stats (GbMachineDetails *self)
{
  if (self->stats_handler != 0 || self->machine == NULL)
    return;

  self->stats_handler = g_signal_connect_swapped (self->machine, "stats-updated",
                                                  G_CALLBACK (update_stats), self);
  update_stats (self);
}

static void
unwatch_stats (GbMachineDetails *self)
{
  if (self->stats_handler != 0)
    g_clear_signal_handler (&self->stats_handler, self->machine);
}

void
gb_machine_details_set_machine (GbMachineDetails *self,
                                GbMachine        *machine)
{
  g_return_if_fail (GB_IS_MACHINE_DETAILS (self));
  g_return_if_fail (!machine || GB_IS_MACHINE (machine));

  if (self->machine == machine)
    return;

  unwatch_stats (self);
  if (self->machine != NULL)
    g_signal_handlers_disconnect_by_data (self->machine, self);

  g_set_object (&self->machine, machine);

  if (machine != NULL)
    {
      g_signal_connect_swapped (machine, "notify::state", G_CALLBACK (update_state), self);
      g_signal_connect_swapped (machine, "notify::state", G_CALLBACK (update_stats), self);
      if (GB_IS_BUNDLED_MACHINE (machine))
        g_signal_connect_swapped (machine, "notify::crash-log", G_CALLBACK (update_state), self);
      g_signal_connect_swapped (machine, "notify::config", G_CALLBACK (update_config), self);
      g_signal_connect_swapped (machine, "notify::os-name", G_CALLBACK (update_config), self);
      if (gtk_widget_get_mapped (GTK_WIDGET (self)))
        watch_stats (self);
    }

  update_config (self);
  update_state (self);
  update_stats (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MACHINE]);
}

static void
gb_machine_details_map (GtkWidget *widget)
{
  GbMachineDetails *self = GB_MACHINE_DETAILS (widget);

  GTK_WIDGET_CLASS (gb_machine_details_parent_class)->map (widget);
  watch_stats (self);
}

static void
gb_machine_details_unmap (GtkWidget *widget)
{
  GbMachineDetails *self = GB_MACHINE_DETAILS (widget);

  unwatch_stats (self);
  GTK_WIDGET_CLASS (gb_machine_details_parent_class)->unmap (widget);
}

static void
gb_machine_details_dispose (GObject *object)
{
  GbMachineDetails *self = GB_MACHINE_DETAILS (object);
  GtkWidget *child;

  gb_machine_details_set_machine (self, NULL);
  g_clear_object (&self->config);
  if (self->dynamic_rows != NULL)
    clear_rows (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), GB_TYPE_MACHINE_DETAILS);
  /* Template children without an id are not disposed with the template. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (gb_machine_details_parent_class)->dispose (object);
}

static void
gb_machine_details_finalize (GObject *object)
{
  GbMachineDetails *self = GB_MACHINE_DETAILS (object);

  g_clear_pointer (&self->dynamic_rows, g_ptr_array_unref);

  G_OBJECT_CLASS (gb_machine_details_parent_class)->finalize (object);
}

static void
gb_machine_details_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  GbMachineDetails *self = GB_MACHINE_DETAILS (object);

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
gb_machine_details_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  GbMachineDetails *self = GB_MACHINE_DETAILS (object);

  switch (prop_id)
    {
    case PROP_MACHINE:
      gb_machine_details_set_machine (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_machine_details_class_init (GbMachineDetailsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gb_machine_details_dispose;
  object_class->finalize = gb_machine_details_finalize;
  object_class->get_property = gb_machine_details_get_property;
  object_class->set_property = gb_machine_details_set_property;

  widget_class->map = gb_machine_details_map;
  widget_class->unmap = gb_machine_details_unmap;

  properties[PROP_MACHINE] =
    g_param_spec_object ("machine", NULL, NULL,
                         GB_TYPE_MACHINE,
                         (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (GB_TYPE_SPARKLINE);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/glassbox/Glassbox/gb-machine-details.ui");
  gtk_widget_class_bind_template_child (widget_class, GbMachineDetails, state_value);
  gtk_widget_class_bind_template_child (widget_class, GbMachineDetails, problem_group);
  gtk_widget_class_bind_template_child (widget_class, GbMachineDetails, problem_label);
  gtk_widget_class_bind_template_child (widget_class, GbMachineDetails, os_value);
  gtk_widget_class_bind_template_child (widget_class, GbMachineDetails, vcpus_value);
  gtk_widget_class_bind_template_child (widget_class, GbMachineDetails, memory_value);
  gtk_widget_class_bind_template_child (widget_class, GbMachineDetails, firmware_value);
  gtk_widget_class_bind_template_child (widget_class, GbMachineDetails, uuid_value);
  gtk_widget_class_bind_template_child (widget_class, GbMachineDetails, disks_group);
  gtk_widget_class_bind_template_child (widget_class, GbMachineDetails, nics_group);
  gtk_widget_class_bind_template_child (widget_class, GbMachineDetails, graphics_group);
  gtk_widget_class_bind_template_child (widget_class, GbMachineDetails, cpu_value);
  gtk_widget_class_bind_template_child (widget_class, GbMachineDetails, memory_used_value);
  gtk_widget_class_bind_template_child (widget_class, GbMachineDetails, disk_value);
  gtk_widget_class_bind_template_child (widget_class, GbMachineDetails, net_value);
  gtk_widget_class_bind_template_child (widget_class, GbMachineDetails, cpu_graph);
  gtk_widget_class_bind_template_child (widget_class, GbMachineDetails, memory_graph);
  gtk_widget_class_bind_template_child (widget_class, GbMachineDetails, disk_graph);
  gtk_widget_class_bind_template_child (widget_class, GbMachineDetails, net_graph);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "machinedetails");
}

static void
gb_machine_details_init (GbMachineDetails *self)
{
  self->dynamic_rows = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}
