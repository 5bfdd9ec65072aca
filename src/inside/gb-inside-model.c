/* gb-inside-model.c — the hypervisor's counters for one machine, as rates
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every second while enabled, asks the machine for its internals (JSON in
 * the shape of glassbox-vmm's query-stats, docs/vmm-api.md), subtracts the
 * previous sample and turns the counters into rates: exits per second by
 * reason for the stacked graph, and GbInsideItem rows for vCPUs, devices
 * and virtqueues.  Counters only grow; a smaller value than last time
 * means the machine restarted, and counts as a new start.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gb-inside-item-private.h"
#include "gb-inside-model.h"
#include "gb-inside-model-private.h"

struct _GbInsideModel
{
  GObject        parent_instance;

  GbMachine     *machine;
  gulong         state_handler;
  gboolean       enabled;
  guint          interval_ms;
  guint          timeout_id;
  GCancellable  *cancellable;   /* the query in flight, if any */

  char          *error;
  char          *accelerator;
  JsonNode      *last;
  gint64         last_time_us;
  guint          n_samples;

  guint64        exits;
  double         exits_rate;
  guint64        reason_totals[GB_INSIDE_N_REASONS];
  double         reason_rates[GB_INSIDE_N_REASONS];
  double         history[GB_INSIDE_N_REASONS][GB_INSIDE_HISTORY];
  guint          history_head;
  guint          n_history;
  double         halt_poll_rate;
  double         halt_poll_success_rate;

  GListStore    *vcpus;
  GListStore    *devices;
  GListStore    *queues;

  guint64        memory_configured;
  guint64        memory_resident;
  gboolean       hugepages;
  gboolean       shareable;
  gint64         ksm_shared;
  gint64         ksm_sharing;
  gboolean       ksm_running;
};

G_DEFINE_FINAL_TYPE (GbInsideModel, gb_inside_model, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MACHINE,
  PROP_ENABLED,
  PROP_INTERVAL,
  PROP_AVAILABLE,
  PROP_ERROR,
  PROP_ACCELERATOR,
  PROP_N_SAMPLES,
  PROP_EXITS,
  PROP_EXITS_RATE,
  PROP_MEMORY_CONFIGURED,
  PROP_MEMORY_RESIDENT,
  PROP_HUGEPAGES,
  PROP_SHAREABLE,
  PROP_KSM_PAGES_SHARED,
  PROP_KSM_PAGES_SHARING,
  N_PROPS
};

enum {
  SAMPLED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void schedule (GbInsideModel *self);

const char *
gb_inside_reason_to_string (GbInsideReason reason)
{
  switch (reason)
    {
    case GB_INSIDE_REASON_IO:
      return C_("exit reason", "Port I/O");
    case GB_INSIDE_REASON_MMIO:
      return C_("exit reason", "MMIO");
    case GB_INSIDE_REASON_HLT:
      return C_("exit reason", "HLT");
    case GB_INSIDE_REASON_IRQ_WINDOW:
      return C_("exit reason", "Interrupt window");
    case GB_INSIDE_REASON_EXTERNAL:
      return C_("exit reason", "External interrupt");
    case GB_INSIDE_REASON_OTHER:
    case GB_INSIDE_N_REASONS:
    default:
      return C_("exit reason", "Other");
    }
}

static char *
read_sys (const char *path)
{
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return g_strstrip (text);
}

GbInsidePaging
gb_inside_host_paging (void)
{
  static gsize once;
  static GbInsidePaging paging;

  if (g_once_init_enter (&once))
    {
      g_autofree char *ept = read_sys ("/sys/module/kvm_intel/parameters/ept");
      g_autofree char *npt = read_sys ("/sys/module/kvm_amd/parameters/npt");

      if (g_file_test ("/sys/module/kvm_pvm", G_FILE_TEST_IS_DIR))
        paging = GB_INSIDE_PAGING_SHADOW_PVM;
      else if (ept != NULL)
        paging = (ept[0] == 'Y' || ept[0] == '1') ? GB_INSIDE_PAGING_EPT : GB_INSIDE_PAGING_SHADOW;
      else if (npt != NULL)
        paging = (npt[0] == 'Y' || npt[0] == '1') ? GB_INSIDE_PAGING_NPT : GB_INSIDE_PAGING_SHADOW;
      else
        paging = GB_INSIDE_PAGING_UNKNOWN;
      g_once_init_leave (&once, 1);
    }
  return paging;
}

/* ---- reading one sample ---------------------------------------------- */

guint64
_gb_inside_json_uint (JsonObject *object,
                      const char *name)
{
  JsonNode *node;

  if (object == NULL || (node = json_object_get_member (object, name)) == NULL ||
      !JSON_NODE_HOLDS_VALUE (node))
    return 0;
  return (guint64) MAX (json_node_get_int (node), 0);
}

JsonObject *
_gb_inside_json_object (JsonObject *object,
                        const char *name)
{
  JsonNode *node;

  if (object == NULL || (node = json_object_get_member (object, name)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

JsonArray *
_gb_inside_json_array (JsonObject *object,
                       const char *name)
{
  JsonNode *node;

  if (object == NULL || (node = json_object_get_member (object, name)) == NULL ||
      !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  return json_node_get_array (node);
}

/* One vCPU's exits by reason.  Two sources: the exits that reached the
 * VMM ("exits", by KVM_EXIT_* reason) and KVM's own counters ("kernel",
 * which include the exits KVM handled without us: HLT with the in-kernel
 * LAPIC, interrupt windows, host interrupts).  For a reason both count,
 * the larger is right (KVM handles some port writes itself through
 * ioeventfd; some kernels do not count io_exits at all).  "Other" is what
 * KVM's total leaves over. */
static guint64
vcpu_exits (JsonObject *vcpu,
            guint64    *reasons)
{
  JsonObject *user = _gb_inside_json_object (vcpu, "exits");
  JsonObject *kernel = _gb_inside_json_object (vcpu, "kernel");
  guint64 user_total = 0, sum = 0, total;

  if (user != NULL)
    {
      g_autoptr(GList) names = json_object_get_members (user);

      for (GList *l = names; l != NULL; l = l->next)
        user_total += _gb_inside_json_uint (user, l->data);
    }

  reasons[GB_INSIDE_REASON_IO] = MAX (_gb_inside_json_uint (user, "io"), _gb_inside_json_uint (kernel, "io_exits"));
  reasons[GB_INSIDE_REASON_MMIO] = MAX (_gb_inside_json_uint (user, "mmio"), _gb_inside_json_uint (kernel, "mmio_exits"));
  reasons[GB_INSIDE_REASON_HLT] = MAX (_gb_inside_json_uint (user, "hlt"), _gb_inside_json_uint (kernel, "halt_exits"));
  reasons[GB_INSIDE_REASON_IRQ_WINDOW] = MAX (_gb_inside_json_uint (user, "irq-window-open"), _gb_inside_json_uint (kernel, "irq_window_exits"));
  reasons[GB_INSIDE_REASON_EXTERNAL] = _gb_inside_json_uint (kernel, "irq_exits");
  for (guint i = 0; i < GB_INSIDE_REASON_OTHER; i++)
    sum += reasons[i];

  total = _gb_inside_json_uint (kernel, "exits");
  if (total == 0)
    total = user_total;
  total = MAX (total, sum);
  reasons[GB_INSIDE_REASON_OTHER] = total - sum;
  return total;
}

guint64
gb_inside_count_exits (JsonObject *stats,
                       guint64    *totals)
{
  JsonArray *vcpus = _gb_inside_json_array (stats, "vcpus");
  guint64 all = 0;

  if (totals != NULL)
    memset (totals, 0, sizeof (guint64) * GB_INSIDE_N_REASONS);
  for (guint i = 0; vcpus != NULL && i < json_array_get_length (vcpus); i++)
    {
      guint64 reasons[GB_INSIDE_N_REASONS];
      JsonNode *node = json_array_get_element (vcpus, i);

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      all += vcpu_exits (json_node_get_object (node), reasons);
      for (guint r = 0; totals != NULL && r < GB_INSIDE_N_REASONS; r++)
        totals[r] += reasons[r];
    }
  return all;
}

guint64
gb_inside_count_device_exits (JsonObject *stats,
                              const char *device)
{
  JsonArray *devices = _gb_inside_json_array (stats, "devices");
  guint64 exits = 0;

  for (guint i = 0; devices != NULL && i < json_array_get_length (devices); i++)
    {
      JsonObject *d = json_array_get_object_element (devices, i);

      if (d != NULL && g_strcmp0 (json_object_get_string_member_with_default (d, "name", NULL), device) == 0)
        exits += _gb_inside_json_uint (d, "exits");
    }
  return exits;
}

gboolean
gb_inside_count_queue (JsonObject *stats,
                       const char *device,
                       guint       queue,
                       guint64    *notifications,
                       guint64    *interrupts,
                       guint64    *requests)
{
  JsonArray *virtio = _gb_inside_json_array (stats, "virtio");

  for (guint i = 0; virtio != NULL && i < json_array_get_length (virtio); i++)
    {
      JsonObject *d = json_array_get_object_element (virtio, i);
      JsonArray *queues;

      if (d == NULL || g_strcmp0 (json_object_get_string_member_with_default (d, "device", NULL), device) != 0)
        continue;
      queues = _gb_inside_json_array (d, "queues");
      for (guint q = 0; queues != NULL && q < json_array_get_length (queues); q++)
        {
          JsonObject *qo = json_array_get_object_element (queues, q);

          if (qo == NULL || _gb_inside_json_uint (qo, "index") != queue)
            continue;
          if (notifications)
            *notifications = _gb_inside_json_uint (qo, "notifications");
          if (interrupts)
            *interrupts = _gb_inside_json_uint (qo, "interrupts");
          if (requests)
            *requests = _gb_inside_json_uint (qo, "requests");
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
gb_inside_queue_bytes (JsonObject *stats,
                       const char *device,
                       guint       queue,
                       guint64    *bytes)
{
  JsonArray *virtio = _gb_inside_json_array (stats, "virtio");

  for (guint i = 0; virtio != NULL && i < json_array_get_length (virtio); i++)
    {
      JsonObject *d = json_array_get_object_element (virtio, i);
      JsonArray *queues;

      if (d == NULL || g_strcmp0 (json_object_get_string_member_with_default (d, "device", NULL), device) != 0)
        continue;
      queues = _gb_inside_json_array (d, "queues");
      for (guint q = 0; queues != NULL && q < json_array_get_length (queues); q++)
        {
          JsonObject *qo = json_array_get_object_element (queues, q);

          if (qo == NULL || _gb_inside_json_uint (qo, "index") != queue)
            continue;
          if (!json_object_has_member (qo, "bytes"))
            return FALSE;
          *bytes = _gb_inside_json_uint (qo, "bytes");
          return TRUE;
        }
    }
  return FALSE;
}

/* ---- rates --------------------------------------------------------------- */

static double
rate (guint64 now,
      guint64 before,
      double  seconds)
{
  if (seconds <= 0 || now < before)
    return 0;
  return (double) (now - before) / seconds;
}

static JsonObject *
find_by (JsonArray  *array,
         const char *key,
         const char *value,
         guint64     index)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *o = json_array_get_object_element (array, i);

      if (o == NULL)
        continue;
      if (value != NULL && g_strcmp0 (json_object_get_string_member_with_default (o, key, NULL), value) != 0)
        continue;
      if (value == NULL && _gb_inside_json_uint (o, key) != index)
        continue;
      return o;
    }
  return NULL;
}

/* The data bytes device @name moved: the UART counts its own, a virtio
 * device's queues count theirs (virtio-blk, virtio-net).  FALSE where the
 * device counts none. */
static gboolean
device_bytes (JsonObject *stats,
              const char *name,
              guint64    *bytes)
{
  JsonArray *devices = _gb_inside_json_array (stats, "devices");
  JsonObject *vd = find_by (_gb_inside_json_array (stats, "virtio"), "device", name, 0);
  gboolean has = FALSE;

  *bytes = 0;
  for (guint i = 0; devices != NULL && i < json_array_get_length (devices); i++)
    {
      JsonObject *d = json_array_get_object_element (devices, i);

      if (d == NULL || g_strcmp0 (json_object_get_string_member_with_default (d, "name", NULL), name) != 0 ||
          !json_object_has_member (d, "bytes"))
        continue;
      *bytes += _gb_inside_json_uint (d, "bytes");
      has = TRUE;
    }
  if (vd != NULL)
    {
      JsonArray *queues = _gb_inside_json_array (vd, "queues");

      for (guint q = 0; queues != NULL && q < json_array_get_length (queues); q++)
        {
          JsonObject *qo = json_array_get_object_element (queues, q);

          if (qo == NULL || !json_object_has_member (qo, "bytes"))
            continue;
          *bytes += _gb_inside_json_uint (qo, "bytes");
          has = TRUE;
        }
    }
  return has;
}

/* Keeps the rows of @store when the new names are the same; otherwise
 * replaces them all.  @names and @values have @n entries. */
static void
update_store (GListStore               *store,
              GbInsideItemKind          kind,
              GPtrArray                *names,
              const GbInsideItemValues *values)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (store));
  gboolean same = n == names->len;

  for (guint i = 0; same && i < n; i++)
    {
      g_autoptr(GbInsideItem) item = g_list_model_get_item (G_LIST_MODEL (store), i);

      same = g_str_equal (gb_inside_item_get_name (item), g_ptr_array_index (names, i));
    }

  if (!same)
    {
      g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = 0; i < names->len; i++)
        {
          GbInsideItem *item = _gb_inside_item_new (kind, g_ptr_array_index (names, i));

          _gb_inside_item_update (item, &values[i]);
          g_ptr_array_add (items, item);
        }
      g_list_store_splice (store, 0, n, items->pdata, items->len);
      return;
    }

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GbInsideItem) item = g_list_model_get_item (G_LIST_MODEL (store), i);

      _gb_inside_item_update (item, &values[i]);
    }
}

static void
update_vcpus (GbInsideModel *self,
              JsonObject    *now,
              JsonObject    *before,
              double         seconds)
{
  JsonArray *vcpus = _gb_inside_json_array (now, "vcpus");
  JsonArray *old_vcpus = _gb_inside_json_array (before, "vcpus");
  guint n = vcpus ? json_array_get_length (vcpus) : 0;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree GbInsideItemValues *values = g_new0 (GbInsideItemValues, MAX (n, 1));
  gboolean paused = self->machine != NULL && gb_machine_get_state (self->machine) == GB_MACHINE_STATE_PAUSED;
  guint64 polls = 0, old_polls = 0, successes = 0, old_successes = 0;

  for (guint i = 0; i < n; i++)
    {
      JsonObject *v = json_array_get_object_element (vcpus, i);
      guint64 id = _gb_inside_json_uint (v, "id");
      JsonObject *old = find_by (old_vcpus, "id", NULL, id);
      JsonObject *kernel = _gb_inside_json_object (v, "kernel");
      JsonObject *old_kernel = _gb_inside_json_object (old, "kernel");
      guint64 reasons[GB_INSIDE_N_REASONS], old_reasons[GB_INSIDE_N_REASONS];
      guint64 total = vcpu_exits (v, reasons);
      guint64 old_total = old ? vcpu_exits (old, old_reasons) : total;
      const char *state = json_object_get_string_member_with_default (v, "state", NULL);
      double halted = 0, in_vmm = 0;

      /* KVM's halt_wait_ns grows while the vCPU sleeps in HLT: the share
       * of the last second it grew by is the share the vCPU slept. */
      if (old_kernel != NULL && json_object_has_member (kernel, "halt_wait_ns"))
        halted = CLAMP (rate (_gb_inside_json_uint (kernel, "halt_wait_ns"),
                              _gb_inside_json_uint (old_kernel, "halt_wait_ns"), seconds) / 1e9, 0, 1);
      /* glassbox-vmm's vmm-ns grows while the vCPU thread handles an
       * exit in user space: the share of the second the guest waited on
       * the VMM. */
      if (old != NULL && json_object_has_member (v, "vmm-ns"))
        in_vmm = CLAMP (rate (_gb_inside_json_uint (v, "vmm-ns"),
                              _gb_inside_json_uint (old, "vmm-ns"), seconds) / 1e9, 0, 1);
      polls += _gb_inside_json_uint (kernel, "halt_attempted_poll");
      old_polls += _gb_inside_json_uint (old_kernel, "halt_attempted_poll");
      successes += _gb_inside_json_uint (kernel, "halt_successful_poll");
      old_successes += _gb_inside_json_uint (old_kernel, "halt_successful_poll");

      /* libvirt's QEMU driver says "running" for every online vCPU,
       * sleeping or not: KVM's halt time tells them apart. */
      if (state == NULL || g_str_equal (state, "running"))
        state = paused ? "paused" : halted >= 0.5 ? "halted" : in_vmm >= 0.5 ? "in-vmm" : "running";
      g_ptr_array_add (names, g_strdup_printf ("%" G_GUINT64_FORMAT, id));
      values[i].detail = state;
      values[i].exits = total;
      values[i].exits_rate = old ? rate (total, old_total, seconds) : 0;
      values[i].halted = halted;
      values[i].in_vmm = in_vmm;
    }
  self->halt_poll_rate = before ? rate (polls, old_polls, seconds) : 0;
  self->halt_poll_success_rate = before ? rate (successes, old_successes, seconds) : 0;
  update_store (self->vcpus, GB_INSIDE_ITEM_VCPU, names, values);
}

static void
update_devices (GbInsideModel *self,
                JsonObject    *now,
                JsonObject    *before,
                double         seconds)
{
  JsonArray *devices = _gb_inside_json_array (now, "devices");
  JsonArray *virtio = _gb_inside_json_array (now, "virtio");
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) values = g_array_new (FALSE, TRUE, sizeof (GbInsideItemValues));
  g_autoptr(GPtrArray) qnames = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) qvalues = g_array_new (FALSE, TRUE, sizeof (GbInsideItemValues));

  /* A device may own several ranges (i8042's two ports): one row. */
  for (guint i = 0; devices != NULL && i < json_array_get_length (devices); i++)
    {
      JsonObject *d = json_array_get_object_element (devices, i);
      const char *name = d ? json_object_get_string_member_with_default (d, "name", NULL) : NULL;
      GbInsideItemValues v = { 0 };
      JsonObject *vd;
      guint64 exits, old_bytes = 0;
      gboolean seen = FALSE;

      if (name == NULL)
        continue;
      for (guint j = 0; j < names->len && !seen; j++)
        seen = g_str_equal (g_ptr_array_index (names, j), name);
      if (seen)
        continue;

      exits = gb_inside_count_device_exits (now, name);
      vd = find_by (virtio, "device", name, 0);
      v.detail = vd ? json_object_get_string_member_with_default (vd, "interrupts-via", "none")
                    : json_object_get_string_member_with_default (d, "bus", NULL);
      v.exits = exits;
      v.exits_rate = before ? rate (exits, gb_inside_count_device_exits (before, name), seconds) : 0;
      v.has_bytes = device_bytes (now, name, &v.bytes);
      if (v.has_bytes && before != NULL && device_bytes (before, name, &old_bytes))
        v.bytes_rate = rate (v.bytes, old_bytes, seconds);
      g_ptr_array_add (names, g_strdup (name));
      g_array_append_val (values, v);
    }

  for (guint i = 0; virtio != NULL && i < json_array_get_length (virtio); i++)
    {
      JsonObject *d = json_array_get_object_element (virtio, i);
      const char *name = d ? json_object_get_string_member_with_default (d, "device", NULL) : NULL;
      JsonArray *queues = _gb_inside_json_array (d, "queues");

      for (guint q = 0; name != NULL && queues != NULL && q < json_array_get_length (queues); q++)
        {
          guint64 index = _gb_inside_json_uint (json_array_get_object_element (queues, q), "index");
          guint64 k0 = 0, i0 = 0, r0 = 0, b0 = 0;
          GbInsideItemValues v = { 0 };
          gboolean had;

          gb_inside_count_queue (now, name, index, &v.kicks, &v.interrupts, &v.requests);
          had = before && gb_inside_count_queue (before, name, index, &k0, &i0, &r0);
          v.detail = json_object_get_string_member_with_default (d, "interrupts-via", "none");
          v.kicks_rate = had ? rate (v.kicks, k0, seconds) : 0;
          v.interrupts_rate = had ? rate (v.interrupts, i0, seconds) : 0;
          v.requests_rate = had ? rate (v.requests, r0, seconds) : 0;
          v.has_bytes = gb_inside_queue_bytes (now, name, index, &v.bytes);
          if (v.has_bytes && had && gb_inside_queue_bytes (before, name, index, &b0))
            v.bytes_rate = rate (v.bytes, b0, seconds);
          g_ptr_array_add (qnames, g_strdup_printf ("%s/%" G_GUINT64_FORMAT, name, index));
          g_array_append_val (qvalues, v);
        }
    }

  update_store (self->devices, GB_INSIDE_ITEM_DEVICE, names, (GbInsideItemValues *) values->data);
  update_store (self->queues, GB_INSIDE_ITEM_QUEUE, qnames, (GbInsideItemValues *) qvalues->data);
}

static gint64
read_ksm (const char *name)
{
  g_autofree char *path = g_build_filename ("/sys/kernel/mm/ksm", name, NULL);
  g_autofree char *text = read_sys (path);

  return text ? g_ascii_strtoll (text, NULL, 10) : -1;
}

#define SET(field, value, prop) \
  G_STMT_START { \
    __typeof__ (self->field) v_ = (value); \
    if (self->field != v_) \
      { \
        self->field = v_; \
        g_object_notify_by_pspec (G_OBJECT (self), properties[prop]); \
      } \
  } G_STMT_END

static void
set_error (GbInsideModel *self,
           const char    *error)
{
  if (g_strcmp0 (self->error, error) == 0)
    return;
  g_free (self->error);
  self->error = g_strdup (error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

static void
take_sample (GbInsideModel *self,
             JsonNode      *node)
{
  JsonObject *now = json_node_get_object (node);
  JsonObject *before = self->last ? json_node_get_object (self->last) : NULL;
  JsonObject *memory = _gb_inside_json_object (now, "memory");
  const char *accelerator = json_object_get_string_member_with_default (now, "accelerator", "kvm");
  gint64 time_us = g_get_monotonic_time ();
  double seconds = before ? (time_us - self->last_time_us) / 1e6 : 0;
  guint64 reasons[GB_INSIDE_N_REASONS], old_reasons[GB_INSIDE_N_REASONS];
  guint64 exits, old_exits = 0;

  g_object_freeze_notify (G_OBJECT (self));

  exits = gb_inside_count_exits (now, reasons);
  if (before != NULL)
    old_exits = gb_inside_count_exits (before, old_reasons);
  /* Counters went back: the machine started again.  Rates from here on. */
  if (before != NULL && exits < old_exits)
    before = NULL;

  for (guint r = 0; r < GB_INSIDE_N_REASONS; r++)
    {
      self->reason_totals[r] = reasons[r];
      self->reason_rates[r] = before ? rate (reasons[r], old_reasons[r], seconds) : 0;
    }
  if (before != NULL)
    {
      for (guint r = 0; r < GB_INSIDE_N_REASONS; r++)
        self->history[r][self->history_head] = self->reason_rates[r];
      self->history_head = (self->history_head + 1) % GB_INSIDE_HISTORY;
      self->n_history = MIN (self->n_history + 1, GB_INSIDE_HISTORY);
    }

  update_vcpus (self, now, before, seconds);
  update_devices (self, now, before, seconds);

  SET (exits, exits, PROP_EXITS);
  SET (exits_rate, before ? rate (exits, old_exits, seconds) : 0, PROP_EXITS_RATE);
  SET (memory_configured, _gb_inside_json_uint (memory, "guest-bytes"), PROP_MEMORY_CONFIGURED);
  SET (memory_resident, _gb_inside_json_uint (memory, "resident-bytes"), PROP_MEMORY_RESIDENT);
  SET (hugepages, memory && json_object_get_boolean_member_with_default (memory, "hugepages", FALSE), PROP_HUGEPAGES);
  SET (shareable, memory && json_object_get_boolean_member_with_default (memory, "shareable", TRUE), PROP_SHAREABLE);
  SET (ksm_shared, read_ksm ("pages_shared"), PROP_KSM_PAGES_SHARED);
  SET (ksm_sharing, read_ksm ("pages_sharing"), PROP_KSM_PAGES_SHARING);
  self->ksm_running = read_ksm ("run") == 1;

  if (g_strcmp0 (self->accelerator, accelerator) != 0)
    {
      g_free (self->accelerator);
      self->accelerator = g_strdup (accelerator);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACCELERATOR]);
    }

  g_clear_pointer (&self->last, json_node_unref);
  self->last = json_node_ref (node);
  self->last_time_us = time_us;
  self->n_samples++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_SAMPLES]);
  if (self->n_samples == 1)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVAILABLE]);
  set_error (self, NULL);

  g_object_thaw_notify (G_OBJECT (self));
  g_signal_emit (self, signals[SAMPLED], 0);
}

#undef SET

/* ---- polling --------------------------------------------------------- */

static void
query_done (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GbInsideModel) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  node = gb_machine_query_internals_finish (GB_MACHINE (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->cancellable);
  if (GB_MACHINE (object) != self->machine)
    return;

  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    take_sample (self, node);
  else
    set_error (self, error ? error->message : _("The hypervisor sent no counters."));
  schedule (self);
}

static void
query (GbInsideModel *self)
{
  if (self->machine == NULL || self->cancellable != NULL)
    return;
  self->cancellable = g_cancellable_new ();
  gb_machine_query_internals_async (self->machine, self->cancellable, query_done, g_object_ref (self));
}

static gboolean
on_timeout (gpointer data)
{
  GbInsideModel *self = data;

  self->timeout_id = 0;
  query (self);
  return G_SOURCE_REMOVE;
}

static gboolean
machine_runs (GbInsideModel *self)
{
  GbMachineState state;

  if (self->machine == NULL)
    return FALSE;
  state = gb_machine_get_state (self->machine);
  return state == GB_MACHINE_STATE_RUNNING || state == GB_MACHINE_STATE_PAUSED ||
         state == GB_MACHINE_STATE_SHUTTING_DOWN;
}

/* The next query one interval after the last answer: a slow provider is
 * never asked twice at once. */
static void
schedule (GbInsideModel *self)
{
  if (!self->enabled || !machine_runs (self) || self->timeout_id != 0 || self->cancellable != NULL)
    return;
  self->timeout_id = g_timeout_add (self->interval_ms, on_timeout, self);
}

static void
stop_polling (GbInsideModel *self)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
}

static void
start_polling (GbInsideModel *self)
{
  if (!self->enabled || !machine_runs (self))
    return;
  if (self->timeout_id == 0 && self->cancellable == NULL)
    query (self);
}

void
gb_inside_model_sample (GbInsideModel *self)
{
  g_return_if_fail (GB_IS_INSIDE_MODEL (self));

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  query (self);
}

static void
reset_samples (GbInsideModel *self)
{
  g_clear_pointer (&self->last, json_node_unref);
  self->n_samples = 0;
  self->n_history = 0;
  self->history_head = 0;
  memset (self->reason_rates, 0, sizeof self->reason_rates);
  memset (self->reason_totals, 0, sizeof self->reason_totals);
  self->exits = 0;
  self->exits_rate = 0;
  g_list_store_remove_all (self->vcpus);
  g_list_store_remove_all (self->devices);
  g_list_store_remove_all (self->queues);
  g_clear_pointer (&self->error, g_free);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_SAMPLES]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVAILABLE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXITS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXITS_RATE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

static void
on_machine_state (GbInsideModel *self)
{
  if (machine_runs (self))
    start_polling (self);
  else
    {
      /* A stopped machine's counters are gone; the next run starts anew. */
      stop_polling (self);
      if (self->n_samples > 0)
        reset_samples (self);
    }
}

/* ---- GObject ------------------------------------------------------------ */

GbInsideModel *
gb_inside_model_new (GbMachine *machine)
{
  return g_object_new (GB_TYPE_INSIDE_MODEL, "machine", machine, NULL);
}

GbMachine *
gb_inside_model_get_machine (GbInsideModel *self)
{
  g_return_val_if_fail (GB_IS_INSIDE_MODEL (self), NULL);
  return self->machine;
}

void
gb_inside_model_set_machine (GbInsideModel *self,
                             GbMachine     *machine)
{
  g_return_if_fail (GB_IS_INSIDE_MODEL (self));
  g_return_if_fail (machine == NULL || GB_IS_MACHINE (machine));

  if (self->machine == machine)
    return;

  stop_polling (self);
  if (self->machine != NULL)
    g_clear_signal_handler (&self->state_handler, self->machine);
  g_set_object (&self->machine, machine);
  if (machine != NULL)
    self->state_handler = g_signal_connect_object (machine, "notify::state",
                                                   G_CALLBACK (on_machine_state), self,
                                                   G_CONNECT_SWAPPED);
  g_object_freeze_notify (G_OBJECT (self));
  reset_samples (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MACHINE]);
  g_object_thaw_notify (G_OBJECT (self));
  start_polling (self);
}

gboolean
gb_inside_model_get_enabled (GbInsideModel *self)
{
  g_return_val_if_fail (GB_IS_INSIDE_MODEL (self), FALSE);
  return self->enabled;
}

void
gb_inside_model_set_enabled (GbInsideModel *self,
                             gboolean       enabled)
{
  g_return_if_fail (GB_IS_INSIDE_MODEL (self));

  enabled = !!enabled;
  if (self->enabled == enabled)
    return;
  self->enabled = enabled;
  if (enabled)
    start_polling (self);
  else
    stop_polling (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENABLED]);
}

guint
gb_inside_model_get_interval (GbInsideModel *self)
{
  g_return_val_if_fail (GB_IS_INSIDE_MODEL (self), 0);
  return self->interval_ms;
}

void
gb_inside_model_set_interval (GbInsideModel *self,
                              guint          interval_ms)
{
  g_return_if_fail (GB_IS_INSIDE_MODEL (self));

  interval_ms = MAX (interval_ms, 50);
  if (self->interval_ms == interval_ms)
    return;
  self->interval_ms = interval_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INTERVAL]);
}

gboolean gb_inside_model_get_available (GbInsideModel *self) { return self->n_samples > 0; }
const char *gb_inside_model_get_error (GbInsideModel *self) { return self->error; }
const char *gb_inside_model_get_accelerator (GbInsideModel *self) { return self->accelerator; }
guint gb_inside_model_get_n_samples (GbInsideModel *self) { return self->n_samples; }
JsonObject *gb_inside_model_get_last (GbInsideModel *self) { return self->last ? json_node_get_object (self->last) : NULL; }
double gb_inside_model_get_exits_rate (GbInsideModel *self) { return self->exits_rate; }
guint64 gb_inside_model_get_exits (GbInsideModel *self) { return self->exits; }
double gb_inside_model_get_halt_poll_rate (GbInsideModel *self) { return self->halt_poll_rate; }
double gb_inside_model_get_halt_poll_success_rate (GbInsideModel *self) { return self->halt_poll_success_rate; }
GListModel *gb_inside_model_get_vcpus (GbInsideModel *self) { return G_LIST_MODEL (self->vcpus); }
GListModel *gb_inside_model_get_devices (GbInsideModel *self) { return G_LIST_MODEL (self->devices); }
GListModel *gb_inside_model_get_queues (GbInsideModel *self) { return G_LIST_MODEL (self->queues); }
guint64 gb_inside_model_get_memory_configured (GbInsideModel *self) { return self->memory_configured; }
guint64 gb_inside_model_get_memory_resident (GbInsideModel *self) { return self->memory_resident; }
gboolean gb_inside_model_get_hugepages (GbInsideModel *self) { return self->hugepages; }
gboolean gb_inside_model_get_shareable (GbInsideModel *self) { return self->shareable; }
gint64 gb_inside_model_get_ksm_pages_shared (GbInsideModel *self) { return self->ksm_shared; }
gint64 gb_inside_model_get_ksm_pages_sharing (GbInsideModel *self) { return self->ksm_sharing; }
gboolean gb_inside_model_get_ksm_running (GbInsideModel *self) { return self->ksm_running; }

double
gb_inside_model_get_reason_rate (GbInsideModel  *self,
                                 GbInsideReason  reason)
{
  g_return_val_if_fail (GB_IS_INSIDE_MODEL (self), 0);
  g_return_val_if_fail (reason < GB_INSIDE_N_REASONS, 0);
  return self->reason_rates[reason];
}

guint64
gb_inside_model_get_reason_total (GbInsideModel  *self,
                                  GbInsideReason  reason)
{
  g_return_val_if_fail (GB_IS_INSIDE_MODEL (self), 0);
  g_return_val_if_fail (reason < GB_INSIDE_N_REASONS, 0);
  return self->reason_totals[reason];
}

guint
gb_inside_model_get_history (GbInsideModel  *self,
                             GbInsideReason  reason,
                             double         *out)
{
  guint start;

  g_return_val_if_fail (GB_IS_INSIDE_MODEL (self), 0);
  g_return_val_if_fail (reason < GB_INSIDE_N_REASONS, 0);

  start = (self->history_head + GB_INSIDE_HISTORY - self->n_history) % GB_INSIDE_HISTORY;
  for (guint i = 0; i < self->n_history; i++)
    out[i] = self->history[reason][(start + i) % GB_INSIDE_HISTORY];
  return self->n_history;
}

static void
gb_inside_model_dispose (GObject *object)
{
  GbInsideModel *self = GB_INSIDE_MODEL (object);

  stop_polling (self);
  if (self->machine != NULL)
    g_clear_signal_handler (&self->state_handler, self->machine);
  g_clear_object (&self->machine);

  G_OBJECT_CLASS (gb_inside_model_parent_class)->dispose (object);
}

static void
gb_inside_model_finalize (GObject *object)
{
  GbInsideModel *self = GB_INSIDE_MODEL (object);

  g_clear_pointer (&self->last, json_node_unref);
  g_clear_object (&self->vcpus);
  g_clear_object (&self->devices);
  g_clear_object (&self->queues);
  g_free (self->error);
  g_free (self->accelerator);

  G_OBJECT_CLASS (gb_inside_model_parent_class)->finalize (object);
}

static void
gb_inside_model_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  GbInsideModel *self = GB_INSIDE_MODEL (object);

  switch (prop_id)
    {
    case PROP_MACHINE: g_value_set_object (value, self->machine); break;
    case PROP_ENABLED: g_value_set_boolean (value, self->enabled); break;
    case PROP_INTERVAL: g_value_set_uint (value, self->interval_ms); break;
    case PROP_AVAILABLE: g_value_set_boolean (value, self->n_samples > 0); break;
    case PROP_ERROR: g_value_set_string (value, self->error); break;
    case PROP_ACCELERATOR: g_value_set_string (value, self->accelerator); break;
    case PROP_N_SAMPLES: g_value_set_uint (value, self->n_samples); break;
    case PROP_EXITS: g_value_set_uint64 (value, self->exits); break;
    case PROP_EXITS_RATE: g_value_set_double (value, self->exits_rate); break;
    case PROP_MEMORY_CONFIGURED: g_value_set_uint64 (value, self->memory_configured); break;
    case PROP_MEMORY_RESIDENT: g_value_set_uint64 (value, self->memory_resident); break;
    case PROP_HUGEPAGES: g_value_set_boolean (value, self->hugepages); break;
    case PROP_SHAREABLE: g_value_set_boolean (value, self->shareable); break;
    case PROP_KSM_PAGES_SHARED: g_value_set_int64 (value, self->ksm_shared); break;
    case PROP_KSM_PAGES_SHARING: g_value_set_int64 (value, self->ksm_sharing); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_inside_model_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  GbInsideModel *self = GB_INSIDE_MODEL (object);

  switch (prop_id)
    {
    case PROP_MACHINE: gb_inside_model_set_machine (self, g_value_get_object (value)); break;
    case PROP_ENABLED: gb_inside_model_set_enabled (self, g_value_get_boolean (value)); break;
    case PROP_INTERVAL: gb_inside_model_set_interval (self, g_value_get_uint (value)); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_inside_model_class_init (GbInsideModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = gb_inside_model_dispose;
  object_class->finalize = gb_inside_model_finalize;
  object_class->get_property = gb_inside_model_get_property;
  object_class->set_property = gb_inside_model_set_property;

  properties[PROP_MACHINE] = g_param_spec_object ("machine", NULL, NULL, GB_TYPE_MACHINE, rw);
  properties[PROP_ENABLED] = g_param_spec_boolean ("enabled", NULL, NULL, FALSE, rw);
  properties[PROP_INTERVAL] = g_param_spec_uint ("interval", NULL, NULL, 50, G_MAXUINT, 1000, rw);
  properties[PROP_AVAILABLE] = g_param_spec_boolean ("available", NULL, NULL, FALSE, ro);
  properties[PROP_ERROR] = g_param_spec_string ("error", NULL, NULL, NULL, ro);
  properties[PROP_ACCELERATOR] = g_param_spec_string ("accelerator", NULL, NULL, NULL, ro);
  properties[PROP_N_SAMPLES] = g_param_spec_uint ("n-samples", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_EXITS] = g_param_spec_uint64 ("exits", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_EXITS_RATE] = g_param_spec_double ("exits-rate", NULL, NULL, 0, G_MAXDOUBLE, 0, ro);
  properties[PROP_MEMORY_CONFIGURED] = g_param_spec_uint64 ("memory-configured", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_MEMORY_RESIDENT] = g_param_spec_uint64 ("memory-resident", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_HUGEPAGES] = g_param_spec_boolean ("hugepages", NULL, NULL, FALSE, ro);
  properties[PROP_SHAREABLE] = g_param_spec_boolean ("shareable", NULL, NULL, FALSE, ro);
  properties[PROP_KSM_PAGES_SHARED] = g_param_spec_int64 ("ksm-pages-shared", NULL, NULL, -1, G_MAXINT64, -1, ro);
  properties[PROP_KSM_PAGES_SHARING] = g_param_spec_int64 ("ksm-pages-sharing", NULL, NULL, -1, G_MAXINT64, -1, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * GbInsideModel::sampled:
   *
   * A new sample arrived and every property and row has been updated.
   */
  signals[SAMPLED] = g_signal_new ("sampled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
gb_inside_model_init (GbInsideModel *self)
{
  self->interval_ms = 1000;
  self->ksm_shared = -1;
  self->ksm_sharing = -1;
  self->shareable = TRUE;
  self->vcpus = g_list_store_new (GB_TYPE_INSIDE_ITEM);
  self->devices = g_list_store_new (GB_TYPE_INSIDE_ITEM);
  self->queues = g_list_store_new (GB_TYPE_INSIDE_ITEM);
}
