/* gb-inside-page.c — the Inside page: a machine as its hypervisor sees it
 *
 * Observes a GbInsideModel, which samples only while this page is mapped
 * (the visible page of the window's view stack).  Every panel carries a
 * few sentences for someone who has just read an introduction to KVM.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gb-inside-item.h"
#include "gb-inside-page.h"
#include "gb-lab-window.h"
#include "gb-stacked-graph.h"

struct _GbInsidePage
{
  GtkWidget       parent_instance;

  GbInsideModel  *model;

  GtkStack       *stack;
  AdwStatusPage  *status_page;
  GtkWidget      *tcg_group;
  AdwPreferencesGroup *libvirt_group;
  AdwActionRow   *memory_row;
  AdwActionRow   *layout_row;
  GtkLabel       *layout_value;
  GtkWidget      *devices_group;
  GtkWidget      *queues_group;
  GtkWidget      *pages_group;
  GtkWidget      *graph_card;
  GtkWidget      *totals_row;
  GtkLabel       *exits_value;
  GbStackedGraph *exits_graph;
  GtkListBox     *vcpus_list;
  GtkWidget      *halt_poll_row;
  GtkLabel       *halt_poll_value;
  GtkLabel       *totals_value;
  GtkListBox     *devices_list;
  GtkListBox     *queues_list;
  GtkLabel       *memory_value;
  AdwActionRow   *paging_row;
  GtkLabel       *paging_value;
  GtkLabel       *hugepages_value;
  GtkLabel       *ksm_value;

  GPtrArray      *vcpu_rows;   /* rows added after the two fixed ones */
};

G_DEFINE_FINAL_TYPE (GbInsidePage, gb_inside_page, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MACHINE,
  PROP_MODEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GtkWidget *
gb_inside_page_new (void)
{
  return g_object_new (GB_TYPE_INSIDE_PAGE, NULL);
}

static char *
format_rate (double value)
{
  /* Translators: events per second, e.g. "1,234/s" */
  return g_strdup_printf (_("%'.0f/s"), value);
}

/* A count with the locale's thousands separators, for "%s" in messages. */
static char *
format_count (gint64 value)
{
  return g_strdup_printf ("%'" G_GINT64_FORMAT, value);
}

static const char *
vcpu_state_to_string (const char *state)
{
  if (g_strcmp0 (state, "halted") == 0)
    return C_("vcpu state", "Halted (sleeping in HLT)");
  if (g_strcmp0 (state, "paused") == 0)
    return C_("vcpu state", "Paused");
  if (g_strcmp0 (state, "offline") == 0)
    return C_("vcpu state", "Offline");
  if (g_strcmp0 (state, "in-vmm") == 0)
    return C_("vcpu state", "In the VMM (handling exits)");
  return C_("vcpu state", "Running");
}

static const char *
interrupt_path_to_string (const char *via)
{
  if (g_strcmp0 (via, "msix") == 0)
    return _("Interrupts: MSI-X through irqfd");
  if (g_strcmp0 (via, "intx") == 0)
    return _("Interrupts: INTx (legacy line)");
  if (g_strcmp0 (via, "pio") == 0)
    return _("Port I/O, emulated");
  if (g_strcmp0 (via, "mmio") == 0)
    return _("MMIO, emulated");
  return _("No interrupts yet");
}

/* ---- rows ------------------------------------------------------------- */

static void
update_item_row (AdwActionRow *row)
{
  GbInsideItem *item = g_object_get_data (G_OBJECT (row), "item");
  GtkLabel *value = g_object_get_data (G_OBJECT (row), "value");
  g_autofree char *text = NULL;
  g_autofree char *subtitle = NULL;

  switch (gb_inside_item_get_kind (item))
    {
    case GB_INSIDE_ITEM_VCPU:
      {
        g_autofree char *rate = format_rate (gb_inside_item_get_exits_rate (item));
        g_autofree char *total = format_count (gb_inside_item_get_exits (item));

        if (gb_inside_item_get_in_vmm (item) > 0)
          /* Translators: a vCPU's state, how much of the last second it
           * slept and how much its thread spent in the VMM handling exits */
          subtitle = g_strdup_printf (_("%s · halted %.0f %%, in the VMM %.0f %% of the last second"),
                                      vcpu_state_to_string (gb_inside_item_get_detail (item)),
                                      gb_inside_item_get_halted (item) * 100,
                                      gb_inside_item_get_in_vmm (item) * 100);
        else
          /* Translators: a vCPU's state and how much of the last second it slept */
          subtitle = g_strdup_printf (_("%s · halted %.0f %% of the last second"),
                                      vcpu_state_to_string (gb_inside_item_get_detail (item)),
                                      gb_inside_item_get_halted (item) * 100);
        /* Translators: exits per second and in all, e.g. "1,000/s · 52,311 in all" */
        text = g_strdup_printf (_("%s · %s in all"), rate, total);
      }
      break;

    case GB_INSIDE_ITEM_DEVICE:
      {
        g_autofree char *rate = format_rate (gb_inside_item_get_exits_rate (item));
        g_autofree char *total = format_count (gb_inside_item_get_exits (item));

        subtitle = g_strdup (interrupt_path_to_string (gb_inside_item_get_detail (item)));
        /* What an exit buys: an emulated UART moves one byte for one or
         * two of them, a virtqueue kilobytes. */
        if (gb_inside_item_get_has_bytes (item) && gb_inside_item_get_bytes (item) > 0)
          {
            guint64 exits = gb_inside_item_get_exits (item);
            guint64 bytes = gb_inside_item_get_bytes (item);
            g_autofree char *cost = NULL;
            g_autofree char *with_cost = NULL;

            if (exits >= bytes)
              /* Translators: VM exits per byte the device moved, e.g. "2.0 exits per byte" */
              cost = g_strdup_printf (_("%.1f exits per byte"), (double) exits / (double) bytes);
            else
              {
                g_autofree char *size = g_format_size_full (bytes / MAX (exits, 1), G_FORMAT_SIZE_IEC_UNITS);

                /* Translators: the data a device moved per VM exit, e.g. "one exit per 4.0 KiB" */
                cost = g_strdup_printf (_("one exit per %s"), size);
              }
            with_cost = g_strdup_printf ("%s · %s", subtitle, cost);
            g_free (subtitle);
            subtitle = g_steal_pointer (&with_cost);
          }
        /* Translators: a device's exits per second and in all */
        text = g_strdup_printf (_("%s exits · %s in all"), rate, total);
      }
      break;

    case GB_INSIDE_ITEM_QUEUE:
      {
        g_autofree char *kicks = format_rate (gb_inside_item_get_kicks_rate (item));
        g_autofree char *irqs = format_rate (gb_inside_item_get_interrupts_rate (item));
        g_autofree char *reqs = format_rate (gb_inside_item_get_requests_rate (item));
        g_autofree char *kicks_total = format_count (gb_inside_item_get_kicks (item));
        g_autofree char *reqs_total = format_count (gb_inside_item_get_requests (item));

        /* Translators: per second: notifications (kicks), interrupts, requests */
        subtitle = g_strdup_printf (_("Kicks %s · interrupts %s · requests %s"), kicks, irqs, reqs);
        if (gb_inside_item_get_has_bytes (item))
          {
            g_autofree char *size = g_format_size_full ((guint64) gb_inside_item_get_bytes_rate (item),
                                                        G_FORMAT_SIZE_IEC_UNITS);
            g_autofree char *with_bytes = NULL;

            /* Translators: the kicks/interrupts/requests line, then the
             * data the queue moved per second, e.g. "… · 1.2 MiB/s" */
            with_bytes = g_strdup_printf (_("%s · %s/s"), subtitle, size);
            g_free (subtitle);
            subtitle = g_steal_pointer (&with_bytes);
          }
        /* Translators: totals since start */
        text = g_strdup_printf (_("%s kicks · %s requests"), kicks_total, reqs_total);
      }
      break;

    default:
      g_return_if_reached ();
    }

  adw_action_row_set_subtitle (row, subtitle);
  gtk_label_set_text (value, text);
}

static char *
item_title (GbInsideItem *item)
{
  const char *name = gb_inside_item_get_name (item);

  switch (gb_inside_item_get_kind (item))
    {
    case GB_INSIDE_ITEM_VCPU:
      /* Translators: "vCPU 0" */
      return g_strdup_printf (_("vCPU %s"), name);
    case GB_INSIDE_ITEM_QUEUE:
      {
        const char *slash = strrchr (name, '/');
        g_autofree char *device = g_strndup (name, slash ? slash - name : (gssize) strlen (name));

        /* Translators: a device's virtqueue, e.g. "virtio-blk, queue 0" */
        return g_strdup_printf (_("%s, queue %s"), device, slash ? slash + 1 : "0");
      }
    case GB_INSIDE_ITEM_DEVICE:
    default:
      return g_strdup (name);
    }
}

static GtkWidget *
create_item_row (gpointer object,
                 gpointer user_data)
{
  GbInsideItem *item = object;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *value = gtk_label_new (NULL);
  g_autofree char *title = item_title (item);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_label_set_xalign (GTK_LABEL (value), 1);
  gtk_widget_add_css_class (value, "numeric");
  gtk_widget_add_css_class (value, "dim-label");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), value);
  g_object_set_data_full (G_OBJECT (row), "item", g_object_ref (item), g_object_unref);
  g_object_set_data (G_OBJECT (row), "value", value);
  g_signal_connect_object (item, "notify", G_CALLBACK (update_item_row), row, G_CONNECT_SWAPPED);
  update_item_row (ADW_ACTION_ROW (row));
  return row;
}

/* The vCPU list also holds two fixed rows (totals, halt polling), so it
 * cannot be bound to the model: its item rows are kept by hand. */
static void
on_vcpus_changed (GbInsidePage *self,
                  guint         position,
                  guint         removed,
                  guint         added,
                  GListModel   *vcpus)
{
  for (guint i = 0; i < removed; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->vcpu_rows, position);

      gtk_list_box_remove (self->vcpus_list, row);
      g_ptr_array_remove_index (self->vcpu_rows, position);
    }
  for (guint i = 0; i < added; i++)
    {
      g_autoptr(GbInsideItem) item = g_list_model_get_item (vcpus, position + i);
      GtkWidget *row = create_item_row (item, NULL);

      gtk_list_box_insert (self->vcpus_list, row, position + i);
      g_ptr_array_insert (self->vcpu_rows, position + i, row);
    }
}

/* ---- the rest -------------------------------------------------------- */

static void
update_paging (GbInsidePage *self)
{
  const char *value, *how;

  switch (gb_inside_host_paging ())
    {
    case GB_INSIDE_PAGING_SHADOW_PVM:
      value = _("Shadow page tables (PVM)");
      how = _("This very host runs shadow paging: its /dev/kvm is PVM, KVM without VT-x or AMD-V. You can tell from kvm_pvm in /proc/modules or /sys/module/kvm_pvm. Every change a guest makes to its page tables is caught and copied into the shadow tables.");
      break;
    case GB_INSIDE_PAGING_EPT:
      value = _("EPT (extended page tables)");
      how = _("kvm_intel’s ept parameter is Y (/sys/module/kvm_intel/parameters/ept): the processor walks both page tables itself.");
      break;
    case GB_INSIDE_PAGING_NPT:
      value = _("NPT (nested page tables)");
      how = _("kvm_amd’s npt parameter is on (/sys/module/kvm_amd/parameters/npt): the processor walks both page tables itself.");
      break;
    case GB_INSIDE_PAGING_SHADOW:
      value = _("Shadow page tables");
      how = _("KVM is loaded with EPT/NPT turned off, so it keeps shadow page tables.");
      break;
    case GB_INSIDE_PAGING_UNKNOWN:
    default:
      value = _("Unknown");
      how = _("Neither kvm_intel, kvm_amd nor kvm_pvm is loaded on this computer.");
      break;
    }
  gtk_label_set_text (self->paging_value, value);
  adw_action_row_set_subtitle (self->paging_row, how);
}

/* The VMM's KVM memory slots: which guest-physical range is which part of
 * its own address space, and what the memory is made of.  libvirt says
 * nothing of QEMU's, so the row hides. */
static void
update_layout (GbInsidePage *self,
               JsonObject   *last)
{
  JsonObject *memory = last && json_object_has_member (last, "memory") ? json_object_get_object_member (last, "memory") : NULL;
  JsonArray *slots = memory && json_object_has_member (memory, "slots") ? json_object_get_array_member (memory, "slots") : NULL;
  const char *backing = memory ? json_object_get_string_member_with_default (memory, "backing", NULL) : NULL;
  g_autoptr(GString) text = g_string_new (NULL);

  gtk_widget_set_visible (GTK_WIDGET (self->layout_row), slots != NULL && json_array_get_length (slots) > 0);
  if (slots == NULL)
    return;

  for (guint i = 0; i < json_array_get_length (slots); i++)
    {
      JsonObject *slot = json_array_get_object_element (slots, i);
      guint64 gpa = (guint64) json_object_get_int_member_with_default (slot, "guest-address", 0);
      guint64 size = (guint64) json_object_get_int_member_with_default (slot, "size", 0);
      guint64 hva = (guint64) json_object_get_int_member_with_default (slot, "host-address", 0);
      g_autofree char *first = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", gpa);
      g_autofree char *last_byte = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", gpa + MAX (size, 1) - 1);
      g_autofree char *host = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", hva);

      if (text->len)
        g_string_append_c (text, '\n');
      /* Translators: a guest-physical range and the VMM's address it is
       * mapped at, e.g. "guest 0x0–0x1ffffff → VMM 0x7f3a12000000" */
      g_string_append_printf (text, _("guest %s–%s → VMM %s"), first, last_byte, host);
    }
  gtk_label_set_text (self->layout_value, text->str);

  if (g_strcmp0 (backing, "anonymous") == 0)
    adw_action_row_set_subtitle (self->layout_row, _("Each KVM memory slot is a range of the VMM process’s own memory. Here it is private anonymous memory, which KSM may merge with identical pages elsewhere."));
  else if (g_strcmp0 (backing, "memfd-hugetlb") == 0)
    adw_action_row_set_subtitle (self->layout_row, _("Each KVM memory slot is a range of the VMM process’s own memory. Here it is a memfd in 2 MiB huge pages, which another process could map too."));
  else
    adw_action_row_set_subtitle (self->layout_row, _("Each KVM memory slot is a range of the VMM process’s own memory. Here it is a memfd, shared memory another process (a vhost-user back end) could map too."));
}

static void
update_page (GbInsidePage *self)
{
  GbInsideModel *model = self->model;
  GbMachine *machine = gb_inside_model_get_machine (model);
  gboolean tcg = g_strcmp0 (gb_inside_model_get_accelerator (model), "tcg") == 0;
  gboolean libvirt;
  JsonObject *last = gb_inside_model_get_last (model);
  double history[GB_INSIDE_HISTORY];
  g_autofree char *rate = NULL;
  g_autofree char *totals = NULL;
  g_autofree char *polls = NULL;
  g_autofree char *polls_ok = NULL;
  g_autofree char *halt_text = NULL;
  g_autofree char *resident = NULL;
  g_autofree char *configured = NULL;
  g_autofree char *memory_text = NULL;
  guint64 conf;

  if (!gb_inside_model_get_available (model))
    {
      const char *error = gb_inside_model_get_error (model);
      GbMachineState state = machine ? gb_machine_get_state (machine) : GB_MACHINE_STATE_SHUTOFF;
      gboolean running = state == GB_MACHINE_STATE_RUNNING || state == GB_MACHINE_STATE_PAUSED;

      adw_status_page_set_title (self->status_page,
                                 error ? _("No Counters from This Machine")
                                       : running ? _("Reading the Counters…") : _("Nothing Runs Yet"));
      adw_status_page_set_description (self->status_page,
                                       error ? error
                                             : _("Start the machine to see what the hypervisor does for it: VM exits, device queues and memory, second by second."));
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }
  gtk_stack_set_visible_child_name (self->stack, "content");

  libvirt = last && g_strcmp0 (json_object_get_string_member_with_default (last, "source", NULL), "libvirt") == 0;
  gtk_widget_set_visible (self->tcg_group, tcg);
  gtk_widget_set_visible (GTK_WIDGET (self->libvirt_group), libvirt && !tcg);
  if (libvirt && !tcg)
    {
      const char *what = _("QEMU runs this machine on KVM, and libvirt passes on the counters KVM keeps for each vCPU. QEMU does not count its devices’ register accesses, so there are no device or virtqueue panels here.");
      /* Measured on PVM: emulated IN/OUT reach QEMU without io_exits. */
      const char *pvm = _("On this PVM host KVM emulates the guest’s port I/O instructions and does not count them as port I/O exits: they are in “Other”.");
      /* Translators: two sentences one after the other (no space in Chinese) */
      g_autofree char *description = gb_inside_host_paging () == GB_INSIDE_PAGING_SHADOW_PVM
                                     ? g_strdup_printf (C_("sentences", "%s %s"), what, pvm) : g_strdup (what);

      adw_preferences_group_set_description (self->libvirt_group, description);
    }
  adw_action_row_set_subtitle (self->memory_row,
                               libvirt ? _("QEMU’s resident memory, its own code and data included (libvirt’s balloon.rss)")
                                       : _("Guest pages the host has backed with memory so far"));
  /* libvirt does not count QEMU's device accesses. */
  gtk_widget_set_visible (self->devices_group, !libvirt);
  gtk_widget_set_visible (self->queues_group, !libvirt);
  gtk_widget_set_visible (self->pages_group, !tcg);
  /* No exits under TCG: no graph, no totals, no halt polling. */
  gtk_widget_set_visible (self->graph_card, !tcg);
  gtk_widget_set_visible (self->totals_row, !tcg);
  gtk_widget_set_visible (self->halt_poll_row, !tcg);

  for (guint r = 0; r < GB_INSIDE_N_REASONS; r++)
    {
      guint n = gb_inside_model_get_history (model, r, history);

      gb_stacked_graph_set_values (self->exits_graph, r, history, n);
    }
  rate = format_rate (gb_inside_model_get_exits_rate (model));
  gtk_label_set_text (self->exits_value, rate);

  {
    GString *s = g_string_new (NULL);

    for (guint r = 0; r < GB_INSIDE_N_REASONS; r++)
      {
        guint64 total = gb_inside_model_get_reason_total (model, r);
        g_autofree char *count = NULL;

        if (total == 0)
          continue;
        count = format_count (total);
        if (s->len)
          g_string_append (s, " · ");
        /* Translators: an exit reason and its count, e.g. "HLT 1,742" */
        g_string_append_printf (s, _("%s %s"), gb_inside_reason_to_string (r), count);
      }
    totals = g_string_free (s, FALSE);
  }
  gtk_label_set_text (self->totals_value, *totals ? totals : "0");

  polls = format_rate (gb_inside_model_get_halt_poll_rate (model));
  polls_ok = format_rate (gb_inside_model_get_halt_poll_success_rate (model));
  /* Translators: halt polls tried and successful, per second */
  halt_text = g_strdup_printf (_("%s tried · %s caught a wake-up"), polls, polls_ok);
  gtk_label_set_text (self->halt_poll_value, halt_text);

  conf = gb_inside_model_get_memory_configured (model);
  resident = g_format_size_full (gb_inside_model_get_memory_resident (model), G_FORMAT_SIZE_IEC_UNITS);
  configured = g_format_size_full (conf, G_FORMAT_SIZE_IEC_UNITS);
  if (conf > 0)
    /* Translators: resident of configured memory, e.g. "40 kB of 33.6 MB (0 %)" */
    memory_text = g_strdup_printf (_("%s of %s (%.0f %%)"), resident, configured,
                                   100.0 * gb_inside_model_get_memory_resident (model) / conf);
  else
    memory_text = g_strdup (resident);
  gtk_label_set_text (self->memory_value, memory_text);
  update_layout (self, last);

  gtk_label_set_text (self->hugepages_value,
                      gb_inside_model_get_hugepages (model) ? _("2 MiB pages") : _("No, 4 KiB pages"));
  if (gb_inside_model_get_ksm_pages_shared (model) < 0)
    gtk_label_set_text (self->ksm_value, _("Not in this kernel"));
  else
    {
      g_autofree char *ksm = NULL;
      g_autofree char *shared = format_count (gb_inside_model_get_ksm_pages_shared (model));
      g_autofree char *sharing = format_count (gb_inside_model_get_ksm_pages_sharing (model));

      /* Translators: KSM figures; the last part says whether ksmd runs */
      ksm = g_strdup_printf (_("%s shared · %s sharing · %s"), shared, sharing,
                             gb_inside_model_get_ksm_running (model) ? _("ksmd runs") : _("ksmd is off"));
      gtk_label_set_text (self->ksm_value, ksm);
    }
}

static void
open_lab_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWindow *lab = gb_lab_window_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL);

  gtk_window_present (lab);
}

GbMachine *
gb_inside_page_get_machine (GbInsidePage *self)
{
  g_return_val_if_fail (GB_IS_INSIDE_PAGE (self), NULL);
  return gb_inside_model_get_machine (self->model);
}

void
gb_inside_page_set_machine (GbInsidePage *self,
                            GbMachine    *machine)
{
  g_return_if_fail (GB_IS_INSIDE_PAGE (self));

  if (gb_inside_model_get_machine (self->model) == machine)
    return;
  gb_inside_model_set_machine (self->model, machine);
  update_page (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MACHINE]);
}

GbInsideModel *
gb_inside_page_get_model (GbInsidePage *self)
{
  g_return_val_if_fail (GB_IS_INSIDE_PAGE (self), NULL);
  return self->model;
}

static void
gb_inside_page_map (GtkWidget *widget)
{
  GbInsidePage *self = GB_INSIDE_PAGE (widget);

  GTK_WIDGET_CLASS (gb_inside_page_parent_class)->map (widget);
  gb_inside_model_set_enabled (self->model, TRUE);
}

static void
gb_inside_page_unmap (GtkWidget *widget)
{
  GbInsidePage *self = GB_INSIDE_PAGE (widget);

  gb_inside_model_set_enabled (self->model, FALSE);
  GTK_WIDGET_CLASS (gb_inside_page_parent_class)->unmap (widget);
}

static void
gb_inside_page_dispose (GObject *object)
{
  GbInsidePage *self = GB_INSIDE_PAGE (object);

  if (self->model != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->model, self);
      g_signal_handlers_disconnect_by_data (gb_inside_model_get_vcpus (self->model), self);
      gb_inside_model_set_machine (self->model, NULL);
    }
  g_clear_object (&self->model);
  g_clear_pointer (&self->vcpu_rows, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), GB_TYPE_INSIDE_PAGE);

  G_OBJECT_CLASS (gb_inside_page_parent_class)->dispose (object);
}

static void
gb_inside_page_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  GbInsidePage *self = GB_INSIDE_PAGE (object);

  switch (prop_id)
    {
    case PROP_MACHINE:
      g_value_set_object (value, gb_inside_page_get_machine (self));
      break;
    case PROP_MODEL:
      g_value_set_object (value, self->model);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_inside_page_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  GbInsidePage *self = GB_INSIDE_PAGE (object);

  switch (prop_id)
    {
    case PROP_MACHINE:
      gb_inside_page_set_machine (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_inside_page_class_init (GbInsidePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gb_inside_page_dispose;
  object_class->get_property = gb_inside_page_get_property;
  object_class->set_property = gb_inside_page_set_property;
  widget_class->map = gb_inside_page_map;
  widget_class->unmap = gb_inside_page_unmap;

  properties[PROP_MACHINE] =
    g_param_spec_object ("machine", NULL, NULL, GB_TYPE_MACHINE,
                         (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_MODEL] =
    g_param_spec_object ("model", NULL, NULL, GB_TYPE_INSIDE_MODEL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_install_action (widget_class, "inside.open-lab", NULL, open_lab_action);

  g_type_ensure (GB_TYPE_STACKED_GRAPH);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/glassbox/Glassbox/inside/gb-inside-page.ui");
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, stack);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, status_page);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, tcg_group);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, libvirt_group);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, memory_row);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, layout_row);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, layout_value);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, devices_group);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, queues_group);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, pages_group);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, graph_card);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, totals_row);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, exits_value);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, exits_graph);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, vcpus_list);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, halt_poll_row);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, halt_poll_value);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, totals_value);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, devices_list);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, queues_list);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, memory_value);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, paging_row);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, paging_value);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, hugepages_value);
  gtk_widget_class_bind_template_child (widget_class, GbInsidePage, ksm_value);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
gb_inside_page_init (GbInsidePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->vcpu_rows = g_ptr_array_new ();
  self->model = gb_inside_model_new (NULL);
  for (guint r = 0; r < GB_INSIDE_N_REASONS; r++)
    gb_stacked_graph_set_series_label (self->exits_graph, r, gb_inside_reason_to_string (r));
  gtk_list_box_bind_model (self->devices_list, gb_inside_model_get_devices (self->model),
                           create_item_row, NULL, NULL);
  gtk_list_box_bind_model (self->queues_list, gb_inside_model_get_queues (self->model),
                           create_item_row, NULL, NULL);
  g_signal_connect_object (gb_inside_model_get_vcpus (self->model), "items-changed",
                           G_CALLBACK (on_vcpus_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->model, "sampled", G_CALLBACK (update_page), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->model, "notify::error", G_CALLBACK (update_page), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->model, "notify::available", G_CALLBACK (update_page), self, G_CONNECT_SWAPPED);
  update_paging (self);
  update_page (self);
}
