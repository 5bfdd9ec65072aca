/* gb-host-window.c — one libvirt connection's host: facts, live graphs, storage, networks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * virt-manager's Connection Details in three pages: an overview (what the
 * hypervisor and libvirt are, which CPU and how much memory, whether QEMU
 * gets KVM or emulates with TCG, and the host's CPU and memory use drawn
 * each second from virNodeGetCPUStats/virNodeGetMemoryStats), the storage
 * pools and volumes (GbStoragePage), and the virtual networks (the
 * existing GbNetworksWindow, opened from here). Every libvirt call runs in
 * a worker thread; closing the window cancels what is still out.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gb-host-info.h"
#include "gb-host-window.h"
#include "gb-libvirt-private.h"
#include "gb-networks-window.h"
#include "gb-sparkline.h"
#include "gb-storage.h"

#define N_SAMPLES 60
#define SAMPLE_MS 1000

struct _GbHostWindow
{
  AdwWindow             parent_instance;

  AdwViewSwitcherTitle *switcher_title;
  AdwViewStack         *view_stack;
  GbSparkline          *cpu_graph;
  GbSparkline          *memory_graph;
  GtkLabel             *cpu_value;
  GtkLabel             *memory_value;
  AdwActionRow         *hostname_row;
  AdwActionRow         *uri_row;
  AdwActionRow         *hypervisor_row;
  AdwActionRow         *accel_row;
  AdwActionRow         *libvirt_row;
  AdwActionRow         *cpu_model_row;
  AdwActionRow         *cpus_row;
  AdwActionRow         *memory_row;
  GbStoragePage        *storage_page;

  GbLibvirtProvider    *provider;
  GCancellable         *cancellable;
  guint                 sample_timer;
  gboolean              sampling;
  gboolean              loaded;
  GbHostSample          prev;
  double                cpu[N_SAMPLES];
  double                memory[N_SAMPLES];
  guint                 n_cpu;
  guint                 n_memory;
  guint                 n_samples;
};

G_DEFINE_FINAL_TYPE (GbHostWindow, gb_host_window, ADW_TYPE_WINDOW)

static virConnectPtr
get_conn (GbHostWindow *self)
{
  return _gb_libvirt_provider_get_handle (GB_PROVIDER (self->provider));
}

static void
set_subtitle (AdwActionRow *row,
              const char   *text)
{
  adw_action_row_set_subtitle (row, text && *text ? text : _("Unknown"));
}

static void
show_info (GbHostWindow     *self,
           const GbHostInfo *info)
{
  g_autofree char *hv = NULL;
  g_autofree char *cpus = NULL;
  g_autofree char *mem = g_format_size_full (info->memory, G_FORMAT_SIZE_IEC_UNITS);
  const char *accel;

  set_subtitle (self->hostname_row, info->hostname);
  hv = info->hypervisor_version ? g_strdup_printf ("%s %s", info->hypervisor, info->hypervisor_version)
                                : g_strdup (info->hypervisor);
  set_subtitle (self->hypervisor_row, hv);
  set_subtitle (self->libvirt_row, info->libvirt_version);
  switch (info->accel)
    {
    case GB_HOST_ACCEL_KVM:
      accel = _("KVM: the processor runs guests directly");
      break;
    case GB_HOST_ACCEL_TCG:
      accel = _("TCG: QEMU emulates the processor (no usable KVM)");
      break;
    default:
      accel = _("Not QEMU");
      break;
    }
  set_subtitle (self->accel_row, accel);
  set_subtitle (self->cpu_model_row, info->cpu_model ? info->cpu_model : info->arch);
  /* Translators: "2 × 2400 MHz (x86_64)" */
  cpus = g_strdup_printf (_("%u × %u MHz (%s)"), info->cpus, info->mhz, info->arch ? info->arch : "?");
  set_subtitle (self->cpus_row, cpus);
  set_subtitle (self->memory_row, mem);
}

static gpointer
info_run (virConnectPtr   conn,
          gpointer        data,
          GCancellable   *cancellable,
          GError        **error)
{
  return gb_host_info_fetch (conn, error);
}

static void
info_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GbHostInfo) info = gb_storage_run_finish (result, &error);
  GbHostWindow *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = GB_HOST_WINDOW (user_data);
  if (info == NULL)
    {
      set_subtitle (self->hostname_row, error->message);
      return;
    }
  show_info (self, info);
  self->loaded = TRUE;
}

static void
push (double *values,
      guint  *n,
      double  value)
{
  if (*n == N_SAMPLES)
    {
      memmove (values, values + 1, (N_SAMPLES - 1) * sizeof (double));
      (*n)--;
    }
  values[(*n)++] = value;
}

static gpointer
sample_run (virConnectPtr   conn,
            gpointer        data,
            GCancellable   *cancellable,
            GError        **error)
{
  GbHostSample *sample = g_new0 (GbHostSample, 1);

  gb_host_sample_fetch (conn, sample);
  return sample;
}

static void
sample_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree GbHostSample *sample = gb_storage_run_finish (result, &error);
  GbHostWindow *self;
  double cpu;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = GB_HOST_WINDOW (user_data);
  self->sampling = FALSE;
  if (sample == NULL)
    return;
  self->n_samples++;

  cpu = gb_host_sample_cpu_percent (&self->prev, sample);
  if (cpu >= 0)
    {
      g_autofree char *text = g_strdup_printf ("%.0f %%", cpu);

      push (self->cpu, &self->n_cpu, cpu);
      gb_sparkline_set_values (self->cpu_graph, 0, self->cpu, self->n_cpu);
      gtk_label_set_label (self->cpu_value, text);
    }
  else if (!sample->has_cpu)
    gtk_label_set_label (self->cpu_value, _("Not reported by this connection"));

  if (sample->has_memory)
    {
      g_autofree char *used = g_format_size_full (sample->mem_used, G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *total = g_format_size_full (sample->mem_total, G_FORMAT_SIZE_IEC_UNITS);
      /* Translators: "3.1 GiB of 24 GiB" */
      g_autofree char *text = g_strdup_printf (_("%s of %s"), used, total);

      push (self->memory, &self->n_memory, sample->mem_used);
      gb_sparkline_set_max_value (self->memory_graph, sample->mem_total);
      gb_sparkline_set_values (self->memory_graph, 0, self->memory, self->n_memory);
      gtk_label_set_label (self->memory_value, text);
    }
  else
    gtk_label_set_label (self->memory_value, _("Not reported by this connection"));
  self->prev = *sample;
}

static gboolean
sample_tick (gpointer user_data)
{
  GbHostWindow *self = user_data;
  virConnectPtr conn = get_conn (self);

  if (self->sampling || conn == NULL)
    return G_SOURCE_CONTINUE;
  self->sampling = TRUE;
  gb_storage_run_async (conn, sample_run, NULL, NULL, g_free, self->cancellable, sample_cb, self);
  return G_SOURCE_CONTINUE;
}

static void
networks_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  GbHostWindow *self = GB_HOST_WINDOW (widget);
  GbNetworksWindow *window = gb_networks_window_new (GTK_WINDOW (self), self->provider);

  gtk_window_present (GTK_WINDOW (window));
}

GbHostWindow *
gb_host_window_new (GtkWindow         *parent,
                    GbLibvirtProvider *provider)
{
  GbHostWindow *self;
  virConnectPtr conn;

  g_return_val_if_fail (GB_IS_LIBVIRT_PROVIDER (provider), NULL);

  self = g_object_new (GB_TYPE_HOST_WINDOW,
                       "transient-for", parent,
                       "application", parent ? gtk_window_get_application (parent) : NULL,
                       NULL);
  self->provider = g_object_ref (provider);
  adw_view_switcher_title_set_subtitle (self->switcher_title, gb_provider_get_title (GB_PROVIDER (provider)));
  set_subtitle (self->uri_row, gb_provider_get_uri (GB_PROVIDER (provider)));
  gb_storage_page_set_provider (self->storage_page, provider);

  if ((conn = get_conn (self)) != NULL)
    {
      gb_storage_run_async (conn, info_run, NULL, NULL, (GDestroyNotify) gb_host_info_free,
                            self->cancellable, info_cb, self);
      sample_tick (self);
      self->sample_timer = g_timeout_add (SAMPLE_MS, sample_tick, self);
    }
  else
    set_subtitle (self->hostname_row, _("The connection is closed"));
  return self;
}

GbLibvirtProvider *
gb_host_window_get_provider (GbHostWindow *self)
{
  g_return_val_if_fail (GB_IS_HOST_WINDOW (self), NULL);
  return self->provider;
}

GbStoragePage *
gb_host_window_get_storage_page (GbHostWindow *self)
{
  g_return_val_if_fail (GB_IS_HOST_WINDOW (self), NULL);
  return self->storage_page;
}

void
gb_host_window_show_page (GbHostWindow *self,
                          const char   *name)
{
  g_return_if_fail (GB_IS_HOST_WINDOW (self));
  adw_view_stack_set_visible_child_name (self->view_stack, name);
}

gboolean
gb_host_window_get_loaded (GbHostWindow *self)
{
  g_return_val_if_fail (GB_IS_HOST_WINDOW (self), FALSE);
  return self->loaded;
}

guint
gb_host_window_get_n_samples (GbHostWindow *self)
{
  g_return_val_if_fail (GB_IS_HOST_WINDOW (self), 0);
  return self->n_samples;
}

static void
gb_host_window_dispose (GObject *object)
{
  GbHostWindow *self = GB_HOST_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->sample_timer, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), GB_TYPE_HOST_WINDOW);

  G_OBJECT_CLASS (gb_host_window_parent_class)->dispose (object);
}

static void
gb_host_window_finalize (GObject *object)
{
  GbHostWindow *self = GB_HOST_WINDOW (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->provider);

  G_OBJECT_CLASS (gb_host_window_parent_class)->finalize (object);
}

static void
gb_host_window_class_init (GbHostWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gb_host_window_dispose;
  object_class->finalize = gb_host_window_finalize;

  g_type_ensure (GB_TYPE_SPARKLINE);
  g_type_ensure (GB_TYPE_STORAGE_PAGE);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/glassbox/Glassbox/hosts/gb-host-window.ui");
  gtk_widget_class_bind_template_child (widget_class, GbHostWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, GbHostWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, GbHostWindow, cpu_graph);
  gtk_widget_class_bind_template_child (widget_class, GbHostWindow, memory_graph);
  gtk_widget_class_bind_template_child (widget_class, GbHostWindow, cpu_value);
  gtk_widget_class_bind_template_child (widget_class, GbHostWindow, memory_value);
  gtk_widget_class_bind_template_child (widget_class, GbHostWindow, hostname_row);
  gtk_widget_class_bind_template_child (widget_class, GbHostWindow, uri_row);
  gtk_widget_class_bind_template_child (widget_class, GbHostWindow, hypervisor_row);
  gtk_widget_class_bind_template_child (widget_class, GbHostWindow, accel_row);
  gtk_widget_class_bind_template_child (widget_class, GbHostWindow, libvirt_row);
  gtk_widget_class_bind_template_child (widget_class, GbHostWindow, cpu_model_row);
  gtk_widget_class_bind_template_child (widget_class, GbHostWindow, cpus_row);
  gtk_widget_class_bind_template_child (widget_class, GbHostWindow, memory_row);
  gtk_widget_class_bind_template_child (widget_class, GbHostWindow, storage_page);

  gtk_widget_class_install_action (widget_class, "host.networks", NULL, networks_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
gb_host_window_init (GbHostWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}
