/* gb-lab-experiment.c — one of the Lab's experiments: run tiny guests, count
 *
 * Each experiment runs its guest (lab/guests/) several times, once per
 * "arm", each in a fresh GbLabMachine, and reads the VMM's own counters
 * through query-stats — never a number the guest or the app wrote down.
 *
 * 1. lab-write.elf with "none", "serial", "virtio": the guest sets up
 *    both devices every time, then writes 4 KiB to one of them and halts
 *    with interrupts off.  The first HLT exit says it is done.
 * 2. lab-idle.elf with "hlt" and "spin": a 1000 Hz timer either way; the
 *    host samples after 0.3 s and again one second later.
 * 3. lab-access.elf with "none", "pio", "mmio", "notify": 10000 accesses
 *    of one kind after the same setup, done like experiment 1.
 * 4. lab-touch.elf with "none" and "touch" (32 MiB, page by page), each in
 *    4 KiB pages and then with --hugepages; the host's huge pages in use
 *    come from /sys/kernel/mm/hugepages, reserved for the run if there are
 *    too few and we may (root), and given back afterwards.
 * 5. lab-touch.elf "fill" twice, under --ksm, both kept running: the same
 *    32 MiB in each.  /sys/kernel/mm/ksm is read before, when both are done,
 *    and 2, 5, 10, 15 s later.  ksmd is started for the run if it was off
 *    and we may (root), and stopped again afterwards.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gb-inside-model.h"
#include "gb-inside-model-private.h"
#include "gb-lab-experiment.h"
#include "gb-lab-machine.h"

#define WRITE_SIZE 4096
#define MAX_ARMS 4
#define ACCESS_COUNT 10000   /* lab-access.c's COUNT */
#define MAX_COLUMNS 5
#define TOUCH_MIB 32         /* lab-touch.c's TOUCH_MIB */
#define TOUCH_MEMORY_MIB 64  /* guest RAM for lab-touch: 32 huge pages */
#define HUGEPAGES_DIR "/sys/kernel/mm/hugepages/hugepages-2048kB"
#define KSM_DIR "/sys/kernel/mm/ksm"
#define KSM_SAMPLES 6        /* before, both done, then ksm_later[] */

static const guint ksm_later[] = { 2, 5, 10, 15 };   /* seconds after both are done */

G_DEFINE_ENUM_TYPE (GbLabExperimentState, gb_lab_experiment_state,
  G_DEFINE_ENUM_VALUE (GB_LAB_EXPERIMENT_READY, "ready"),
  G_DEFINE_ENUM_VALUE (GB_LAB_EXPERIMENT_RUNNING, "running"),
  G_DEFINE_ENUM_VALUE (GB_LAB_EXPERIMENT_DONE, "done"),
  G_DEFINE_ENUM_VALUE (GB_LAB_EXPERIMENT_FAILED, "failed"))

typedef struct {
  double exits;          /* every exit KVM counted */
  double vmm_exits;      /* exits that reached the VMM (KVM_RUN returned) */
  double device_exits;   /* accesses the device's registers caused */
  double kicks;          /* virtqueue notifications */
  double hlt_exits;
  double seconds;        /* wall clock of the measured span */
  double cpu_seconds;    /* VMM process CPU over the span */
  double vcpu_seconds;   /* vCPU threads' run time over the span */
  double resident_mib;   /* memory.resident-bytes when the guest is done */
  double hugepages;      /* host huge pages this VMM took */
  double page_faults;    /* KVM's pf_fixed, all vCPUs */
  gboolean skipped;      /* not run: no huge pages on this host */
} Arm;

struct _GbLabExperiment
{
  GObject               parent_instance;

  GbLabExperimentKind   kind;
  GbLabExperimentState  state;
  char                 *status;
  GbLabMachine         *machine;
  Arm                   arms[MAX_ARMS];
  guint                 n_arms_done;

  /* The run in progress. */
  GTask                *task;
  guint                 arm;
  gint64                t0;
  double                cpu0;
  double                vcpu0;
  JsonNode             *first;
  guint                 timeout_id;
  guint                 polls;
  /* Experiment 4: the nr_hugepages to restore afterwards (-1: untouched), and why there are
   * none (NULL if there are). */
  gint64                old_nr_hugepages;
  guint                 waits;
  guint                 settle_polls;   /* polls spent waiting for a kick */
  char                 *no_hugepages;
  /* Experiment 5: the first guest, kept running while the second fills
   * its memory; /sys/kernel/mm/ksm's pages_shared and pages_sharing at
   * each sample; ksm/run to restore (-1: untouched); why KSM cannot run. */
  GbLabMachine         *machine2;
  gint64                ksm_shared[KSM_SAMPLES];
  gint64                ksm_sharing[KSM_SAMPLES];
  gint64                ksm_merged[KSM_SAMPLES];   /* both VMMs' ksm_merging_pages, -1: unknown */
  guint                 n_ksm_samples;
  gint64                old_ksm_run;
  char                 *no_ksm;
};

G_DEFINE_FINAL_TYPE (GbLabExperiment, gb_lab_experiment, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_STATUS,
  PROP_MACHINE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char *arm_modes[GB_LAB_N_EXPERIMENTS][MAX_ARMS] = {
  { "none", "serial", "virtio", NULL },
  { "hlt", "spin", NULL },
  { "none", "pio", "mmio", "notify" },
  { "none", "touch", "huge-none", "huge-touch" },
  { "fill", "fill", NULL },
};

static void start_arm (GbLabExperiment *self);
static void complete (GbLabExperiment *self);

/* After an arm (run or skipped): the next one, or the end. */
static void
next_arm (GbLabExperiment *self)
{
  self->n_arms_done = self->arm + 1;
  self->arm++;
  if (self->arm < MAX_ARMS && arm_modes[self->kind][self->arm] != NULL)
    {
      start_arm (self);
      return;
    }

  complete (self);
}

GbLabExperiment *
gb_lab_experiment_new (GbLabExperimentKind kind)
{
  GbLabExperiment *self;

  g_return_val_if_fail (kind < GB_LAB_N_EXPERIMENTS, NULL);
  self = g_object_new (GB_TYPE_LAB_EXPERIMENT, NULL);
  self->kind = kind;
  return self;
}

GbLabExperimentKind gb_lab_experiment_get_kind (GbLabExperiment *self) { return self->kind; }
GbLabExperimentState gb_lab_experiment_get_state (GbLabExperiment *self) { return self->state; }
const char *gb_lab_experiment_get_status (GbLabExperiment *self) { return self->status; }
GbMachine *gb_lab_experiment_get_machine (GbLabExperiment *self) { return (GbMachine *) self->machine; }

const char *
gb_lab_experiment_get_title (GbLabExperiment *self)
{
  switch (self->kind)
    {
    case GB_LAB_SERIAL_VS_VIRTIO:
      return _("Serial Port or virtio-console?");
    case GB_LAB_ACCESS_COST:
      return _("What Does One Access Cost?");
    case GB_LAB_PAGE_SIZES:
      return _("Touching Memory: 4 KiB or 2 MiB Pages?");
    case GB_LAB_KSM:
      return _("Can Two Guests Share Their Memory?");
    case GB_LAB_HLT_VS_SPIN:
    case GB_LAB_N_EXPERIMENTS:
    default:
      return _("Halting or Spinning When Idle?");
    }
}

const char *
gb_lab_experiment_get_question (GbLabExperiment *self)
{
  switch (self->kind)
    {
    case GB_LAB_SERIAL_VS_VIRTIO:
      return _("A tiny guest writes the same 4 KiB twice: once to the emulated 8250 serial port, byte by byte, the way a driver for real hardware must, and once to virtio-console, as one buffer on a virtqueue. How many VM exits does each cost, and how long does each take? A third run sets up both devices and writes nothing, so you can see what the setup alone costs.");
    case GB_LAB_KSM:
      return _("Two guests fill 32 MiB each with exactly the same data. Their memory is offered to KSM, the kernel’s same-page merging: a kernel thread, ksmd, scans it, finds pages with the same contents and keeps only one copy, copy-on-write. How many pages end up shared, and how quickly?");
    case GB_LAB_PAGE_SIZES:
      return _("A guest with 64 MiB writes one byte to every 4 KiB page of 32 MiB of its memory. The host backs guest memory only where the guest has touched it: how much does the VMM’s resident memory grow, and how many page faults does KVM handle? The same guest runs again on 2 MiB huge pages, where one fault backs 512 small pages at once. Runs that touch nothing show what loading the guest alone backs.");
    case GB_LAB_ACCESS_COST:
      return _("A guest touches a device 10,000 times in three ways: writes to a port of the emulated serial port, reads of a virtio register in emulated MMIO, and notifications to a virtqueue, which KVM passes to an ioeventfd. The first two stop the vCPU and go up to the VMM every time; the third stays in the kernel. How long does one access of each kind take?");
    case GB_LAB_HLT_VS_SPIN:
    case GB_LAB_N_EXPERIMENTS:
    default:
      return _("Two idle guests take the same 1000 timer interrupts a second. One waits for the next with HLT, the other spins in a loop. Which one causes more VM exits, and which one burns a host CPU doing nothing?");
    }
}

static void
set_status (GbLabExperiment *self,
            const char      *status)
{
  if (g_strcmp0 (self->status, status) == 0)
    return;
  g_free (self->status);
  self->status = g_strdup (status);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

static void
set_state (GbLabExperiment      *self,
           GbLabExperimentState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_machine (GbLabExperiment *self,
             GbLabMachine    *machine)
{
  if (self->machine == machine)
    return;
  if (self->machine != NULL)
    gb_lab_machine_terminate (self->machine);
  g_set_object (&self->machine, machine);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MACHINE]);
}

static const char *
arm_status (GbLabExperiment *self)
{
  const char *mode = arm_modes[self->kind][self->arm];

  if (g_str_equal (mode, "none") && self->kind == GB_LAB_PAGE_SIZES)
    return _("Starting a guest in 4 KiB pages, touching nothing…");
  if (g_str_equal (mode, "none"))
    return _("Setting up both devices, writing nothing…");
  if (g_str_equal (mode, "serial"))
    return _("Writing 4 KiB to the serial port…");
  if (g_str_equal (mode, "virtio"))
    return _("Writing 4 KiB to virtio-console…");
  if (g_str_equal (mode, "hlt"))
    return _("Idling with HLT for one second…");
  if (g_str_equal (mode, "pio"))
    return _("Writing to a port 10,000 times…");
  if (g_str_equal (mode, "mmio"))
    return _("Reading an MMIO register 10,000 times…");
  if (g_str_equal (mode, "notify"))
    return _("Notifying a virtqueue 10,000 times…");
  if (g_str_equal (mode, "fill"))
    return self->arm == 0 ? _("The first guest fills 32 MiB…") : _("The second guest fills the same 32 MiB…");
  if (g_str_equal (mode, "touch"))
    return _("Touching 32 MiB in 4 KiB pages…");
  if (g_str_equal (mode, "huge-touch"))
    return _("Touching 32 MiB on 2 MiB pages…");
  if (g_str_equal (mode, "huge-none"))
    return _("Starting a guest on 2 MiB pages, touching nothing…");
  return _("Idling in a busy loop for one second…");
}

/* ---- huge pages (experiment 4) ------------------------------------------ */

static gint64
read_sys_int (const char *path)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  return g_ascii_strtoll (text, NULL, 10);
}

static gboolean
write_sys_int (const char *path,
               gint64      value)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT "\n", value);

  return g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_NONE, 0644, NULL);
}

/* 2 MiB pages this VMM process has faulted in: "HugetlbPages" in
 * /proc/PID/status (proc(5)), in kB.  Per process, so a previous run's
 * VMM that is still exiting does not count. */
static double
hugepages_of (GbLabMachine *machine)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) gb_lab_machine_get_pid (machine));
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents (path, &text, NULL, NULL) ||
      (line = strstr (text, "\nHugetlbPages:")) == NULL)
    return 0;
  return g_ascii_strtoll (line + strlen ("\nHugetlbPages:"), NULL, 10) / 2048.0;
}

/* --hugepages maps guest RAM from the hugetlb pool (MFD_HUGETLB), which
 * holds only what /proc/sys/vm/nr_hugepages reserved — none by default.
 * If the pool is short, grow it for this run when we may, else say why. */
static void
prepare_hugepages (GbLabExperiment *self)
{
  gint64 need = TOUCH_MEMORY_MIB / 2;
  gint64 nr = read_sys_int (HUGEPAGES_DIR "/nr_hugepages");
  gint64 free_pages = read_sys_int (HUGEPAGES_DIR "/free_hugepages");

  self->old_nr_hugepages = -1;
  g_clear_pointer (&self->no_hugepages, g_free);
  if (nr < 0 || free_pages < 0)
    {
      self->no_hugepages = g_strdup (_("this kernel has no 2 MiB huge pages"));
      return;
    }
  if (free_pages >= need)
    return;
  if (!write_sys_int (HUGEPAGES_DIR "/nr_hugepages", nr + need - free_pages))
    {
      self->no_hugepages = g_strdup_printf (_("%d free huge pages on this host, %d needed, and reserving more needs root"),
                                            (int) free_pages, (int) need);
      return;
    }
  self->old_nr_hugepages = nr;
  if (read_sys_int (HUGEPAGES_DIR "/free_hugepages") < need)
    self->no_hugepages = g_strdup (_("the kernel found too little contiguous memory for the huge pages"));
}

static void
restore_hugepages (GbLabExperiment *self)
{
  if (self->old_nr_hugepages < 0)
    return;
  write_sys_int (HUGEPAGES_DIR "/nr_hugepages", self->old_nr_hugepages);
  self->old_nr_hugepages = -1;
}

static guint64
sum_vcpu_kernel_stat (JsonObject *stats,
                      const char *name)
{
  JsonArray *vcpus = _gb_inside_json_array (stats, "vcpus");
  guint64 sum = 0;

  for (guint i = 0; vcpus != NULL && i < json_array_get_length (vcpus); i++)
    {
      JsonObject *vcpu = json_array_get_object_element (vcpus, i);

      sum += _gb_inside_json_uint (_gb_inside_json_object (vcpu, "kernel"), name);
    }
  return sum;
}

/* ---- KSM (experiment 5) -------------------------------------------------- */

/* --ksm marks guest RAM MADV_MERGEABLE; ksmd merges only while
 * /sys/kernel/mm/ksm/run is 1.  Start it for this run when we may. */
static void
prepare_ksm (GbLabExperiment *self)
{
  gint64 run = read_sys_int (KSM_DIR "/run");

  self->old_ksm_run = -1;
  self->n_ksm_samples = 0;
  g_clear_pointer (&self->no_ksm, g_free);
  if (run < 0)
    {
      self->no_ksm = g_strdup (_("this kernel has no KSM (no /sys/kernel/mm/ksm)"));
      return;
    }
  if (run == 1)
    return;
  if (!write_sys_int (KSM_DIR "/run", 1))
    {
      self->no_ksm = g_strdup (_("KSM is off on this host (/sys/kernel/mm/ksm/run is not 1) and turning it on needs root"));
      return;
    }
  self->old_ksm_run = run;
}

static void
restore_ksm (GbLabExperiment *self)
{
  if (self->old_ksm_run < 0)
    return;
  write_sys_int (KSM_DIR "/run", self->old_ksm_run);
  self->old_ksm_run = -1;
}

/* Pages of this process KSM merged: /proc/PID/ksm_merging_pages (Linux
 * 5.19+); per process, unlike the host-wide counters.  -1 if unknown. */
static gint64
ksm_merging_pages_of (GbLabMachine *machine)
{
  g_autofree char *path = NULL;

  if (machine == NULL || gb_lab_machine_get_pid (machine) == 0)
    return -1;
  path = g_strdup_printf ("/proc/%d/ksm_merging_pages", (int) gb_lab_machine_get_pid (machine));
  return read_sys_int (path);
}

static void
sample_ksm (GbLabExperiment *self)
{
  gint64 a, b;

  if (self->n_ksm_samples >= KSM_SAMPLES)
    return;
  a = ksm_merging_pages_of (self->machine2);
  b = ksm_merging_pages_of (self->machine);
  self->ksm_merged[self->n_ksm_samples] = self->machine == NULL ? 0 : a >= 0 && b >= 0 ? a + b : -1;
  self->ksm_shared[self->n_ksm_samples] = read_sys_int (KSM_DIR "/pages_shared");
  self->ksm_sharing[self->n_ksm_samples] = read_sys_int (KSM_DIR "/pages_sharing");
  self->n_ksm_samples++;
}

static void
end_machine2 (GbLabExperiment *self)
{
  if (self->machine2 == NULL)
    return;
  gb_lab_machine_terminate (self->machine2);
  g_clear_object (&self->machine2);
}

static void
complete (GbLabExperiment *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  set_machine (self, NULL);
  end_machine2 (self);
  restore_hugepages (self);
  restore_ksm (self);
  set_status (self, _("Done"));
  set_state (self, GB_LAB_EXPERIMENT_DONE);
  g_task_return_boolean (task, TRUE);
}

static gboolean
on_ksm_sample (gpointer data)
{
  GbLabExperiment *self = data;
  guint i;

  self->timeout_id = 0;
  sample_ksm (self);
  i = self->n_ksm_samples - 3;   /* ksm_later[] index just sampled */
  if (i + 1 >= G_N_ELEMENTS (ksm_later))
    {
      complete (self);
      return G_SOURCE_REMOVE;
    }
  {
    g_autofree char *count = g_strdup_printf ("%'" G_GINT64_FORMAT, self->ksm_sharing[self->n_ksm_samples - 1]);
    g_autofree char *status = g_strdup_printf (_("Both guests are done; ksmd merges: %s pages sharing so far…"), count);

    set_status (self, status);
  }
  self->timeout_id = g_timeout_add ((ksm_later[i + 1] - ksm_later[i]) * 1000, on_ksm_sample, self);
  return G_SOURCE_REMOVE;
}

static void
fail (GbLabExperiment *self,
      GError          *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  restore_hugepages (self);
  restore_ksm (self);
  end_machine2 (self);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_clear_pointer (&self->first, json_node_unref);
  set_machine (self, NULL);
  set_status (self, error->message);
  set_state (self, GB_LAB_EXPERIMENT_FAILED);
  g_task_return_error (task, error);
}

static void
finish_arm (GbLabExperiment *self,
            JsonObject      *stats)
{
  Arm *arm = &self->arms[self->arm];
  guint64 reasons[GB_INSIDE_N_REASONS];
  double seconds = (g_get_monotonic_time () - self->t0) / 1e6;
  double cpu = gb_lab_machine_get_cpu_time (self->machine) - self->cpu0;
  double vcpu = gb_lab_machine_get_vcpu_time (self->machine) - self->vcpu0;

  if (self->kind == GB_LAB_KSM)
    {
      JsonObject *memory = _gb_inside_json_object (stats, "memory");

      arm->resident_mib = memory ? json_object_get_int_member_with_default (memory, "resident-bytes", 0) / 1048576.0 : 0;
      arm->vcpu_seconds = vcpu;
      arm->seconds = seconds;
    }
  else if (self->kind == GB_LAB_PAGE_SIZES)
    {
      JsonObject *memory = _gb_inside_json_object (stats, "memory");

      arm->exits = gb_inside_count_exits (stats, reasons);
      arm->resident_mib = memory ? json_object_get_int_member_with_default (memory, "resident-bytes", 0) / 1048576.0 : 0;
      arm->hugepages = hugepages_of (self->machine);
      /* pf_fixed: faults KVM resolved by mapping a page (EPT violations
       * or, under shadow paging, shadow page faults). */
      arm->page_faults = sum_vcpu_kernel_stat (stats, "pf_fixed");
      arm->seconds = seconds;
      arm->cpu_seconds = cpu;
      arm->vcpu_seconds = vcpu;
    }
  else if (self->kind == GB_LAB_ACCESS_COST)
    {
      guint64 kicks = 0;

      arm->exits = gb_inside_count_exits (stats, reasons);
      arm->vmm_exits = reasons[GB_INSIDE_REASON_IO] + reasons[GB_INSIDE_REASON_MMIO];
      gb_inside_count_queue (stats, "virtio-console", 0, &kicks, NULL, NULL);
      arm->kicks = kicks;
      arm->seconds = seconds;
      arm->cpu_seconds = cpu;
      arm->vcpu_seconds = vcpu;
    }
  else if (self->kind == GB_LAB_SERIAL_VS_VIRTIO)
    {
      const char *mode = arm_modes[self->kind][self->arm];
      guint64 kicks = 0;

      arm->exits = gb_inside_count_exits (stats, reasons);
      arm->hlt_exits = reasons[GB_INSIDE_REASON_HLT];
      gb_inside_count_queue (stats, "virtio-console", 1, &kicks, NULL, NULL);
      arm->kicks = kicks;
      arm->device_exits = g_str_equal (mode, "serial")
                          ? gb_inside_count_device_exits (stats, "serial")
                          : gb_inside_count_device_exits (stats, "virtio-console");
      arm->seconds = seconds;
      arm->cpu_seconds = cpu;
      arm->vcpu_seconds = vcpu;
    }
  else
    {
      JsonObject *first = json_node_get_object (self->first);
      guint64 first_reasons[GB_INSIDE_N_REASONS];
      guint64 first_exits = gb_inside_count_exits (first, first_reasons);

      arm->exits = gb_inside_count_exits (stats, reasons) - first_exits;
      arm->hlt_exits = reasons[GB_INSIDE_REASON_HLT] - first_reasons[GB_INSIDE_REASON_HLT];
      arm->seconds = seconds;
      arm->cpu_seconds = cpu;
    }

  g_clear_pointer (&self->first, json_node_unref);
  if (self->kind == GB_LAB_KSM && self->arm == 0)
    {
      /* Keep the first guest (and its memory) while the second runs. */
      self->machine2 = g_steal_pointer (&self->machine);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MACHINE]);
    }
  else if (self->kind == GB_LAB_KSM)
    {
      /* Both filled: now watch ksmd, both guests still running. */
      self->n_arms_done = 2;
      sample_ksm (self);
      self->timeout_id = g_timeout_add (ksm_later[0] * 1000, on_ksm_sample, self);
      set_status (self, _("Both guests are done; waiting for ksmd…"));
      return;
    }
  else
    set_machine (self, NULL);
  next_arm (self);
}

static void poll_stats (GbLabExperiment *self);

/* Whether this arm's guest notified a virtqueue and the device has not
 * counted all of its notifications yet. */
static gboolean
awaits_kick (GbLabExperiment *self,
             JsonObject      *stats)
{
  const char *mode = arm_modes[self->kind][self->arm];
  guint64 kicks = 0;

  if (g_strcmp0 (mode, "notify") == 0)
    {
      gb_inside_count_queue (stats, "virtio-console", 0, &kicks, NULL, NULL);
      return kicks < ACCESS_COUNT;
    }
  else if (self->kind == GB_LAB_SERIAL_VS_VIRTIO && g_strcmp0 (mode, "virtio") == 0)
    gb_inside_count_queue (stats, "virtio-console", 1, &kicks, NULL, NULL);
  else
    return FALSE;

  return kicks == 0;
}

static gboolean
on_poll_timeout (gpointer data)
{
  GbLabExperiment *self = data;

  self->timeout_id = 0;
  poll_stats (self);
  return G_SOURCE_REMOVE;
}

static void
stats_done (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GbLabExperiment) self = user_data;
  g_autoptr(JsonNode) node = NULL;
  GError *error = NULL;
  JsonObject *stats;

  node = gb_machine_query_internals_finish (GB_MACHINE (object), result, &error);
  if (self->task == NULL)
    {
      g_clear_error (&error);
      return;
    }
  if (node == NULL)
    {
      fail (self, error);
      return;
    }
  stats = json_node_get_object (node);
  self->polls++;

  if (self->kind != GB_LAB_HLT_VS_SPIN)
    {
      guint64 reasons[GB_INSIDE_N_REASONS];
      guint64 exits = gb_inside_count_exits (stats, reasons);
      g_autofree char *status = NULL;
      g_autofree char *count = NULL;

      /* The guest's last instruction is HLT with interrupts off: the
       * first HLT exit means it is done. */
      if (reasons[GB_INSIDE_REASON_HLT] > 0)
        {
          /* KVM has signalled the notifications' eventfd when the guest
           * halts, but on a loaded host the VMM's I/O thread may not have
           * read it yet: give the device up to 2 s to count them. */
          if (awaits_kick (self, stats) && self->settle_polls++ < 400)
            {
              self->timeout_id = g_timeout_add (5, on_poll_timeout, self);
              return;
            }
          finish_arm (self, stats);
          return;
        }
      if (g_get_monotonic_time () - self->t0 > 60 * G_USEC_PER_SEC)
        {
          fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                           _("The guest did not finish within a minute")));
          return;
        }
      /* Translators: live figures while an experiment runs */
      count = g_strdup_printf ("%'" G_GUINT64_FORMAT, exits);
      status = g_strdup_printf (_("%s %s VM exits so far"), arm_status (self), count);
      set_status (self, status);
      self->timeout_id = g_timeout_add (5, on_poll_timeout, self);
    }
  else
    {
      if (self->first == NULL)
        {
          self->first = json_node_ref (node);
          self->t0 = g_get_monotonic_time ();
          self->cpu0 = gb_lab_machine_get_cpu_time (self->machine);
          self->timeout_id = g_timeout_add (1000, on_poll_timeout, self);
          return;
        }
      finish_arm (self, stats);
    }
}

static void
poll_stats (GbLabExperiment *self)
{
  if (self->machine == NULL)
    return;
  gb_machine_query_internals_async (GB_MACHINE (self->machine), g_task_get_cancellable (self->task),
                                    stats_done, g_object_ref (self));
}

static void
resumed (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GbLabExperiment) self = user_data;
  GError *error = NULL;

  if (!gb_machine_resume_finish (GB_MACHINE (object), result, &error))
    {
      if (self->task != NULL)
        fail (self, error);
      else
        g_clear_error (&error);
      return;
    }
  if (self->task == NULL)
    return;
  /* Experiment 2 measures a steady second: let the guest settle first. */
  self->timeout_id = g_timeout_add (self->kind == GB_LAB_HLT_VS_SPIN ? 300 : 5, on_poll_timeout, self);
}

static void
launched (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GbLabExperiment) self = user_data;
  g_autoptr(GbLabMachine) machine = NULL;
  GError *error = NULL;

  machine = gb_lab_machine_launch_finish (result, &error);
  if (self->task == NULL)
    {
      g_clear_error (&error);
      return;
    }
  if (machine == NULL)
    {
      fail (self, error);
      return;
    }
  set_machine (self, machine);
  /* Before the guest runs: the vCPU threads have only waited so far (the
   * machine started paused), so from here on their run time is the
   * guest's work and its exits. */
  self->t0 = g_get_monotonic_time ();
  self->cpu0 = gb_lab_machine_get_cpu_time (machine);
  self->vcpu0 = gb_lab_machine_get_vcpu_time (machine);
  gb_machine_resume_async (GB_MACHINE (machine), g_task_get_cancellable (self->task), resumed, g_object_ref (self));
}

static gboolean
retry_start_arm (gpointer data)
{
  GbLabExperiment *self = data;

  self->timeout_id = 0;
  start_arm (self);
  return G_SOURCE_REMOVE;
}

static void
start_arm (GbLabExperiment *self)
{
  const char *guest_name = self->kind == GB_LAB_SERIAL_VS_VIRTIO ? "lab-write"
                           : self->kind == GB_LAB_ACCESS_COST ? "lab-access"
                           : self->kind == GB_LAB_PAGE_SIZES || self->kind == GB_LAB_KSM ? "lab-touch"
                           : "lab-idle";
  const char *mode = arm_modes[self->kind][self->arm];
  const char *cmdline = mode;
  const char *extra[3] = { NULL, };
  g_autofree char *guest = NULL;
  g_autofree char *name = NULL;
  GError *error = NULL;

  if (self->kind == GB_LAB_PAGE_SIZES)
    {
      extra[0] = "--memory=" G_STRINGIFY (TOUCH_MEMORY_MIB);
      if (g_str_has_prefix (mode, "huge-"))
        {
          if (self->no_hugepages != NULL)
            {
              self->arms[self->arm].skipped = TRUE;
              next_arm (self);
              return;
            }
          /* The previous run's VMM may still be exiting, its 2 MiB pages
           * reserved: wait for the pool (up to 5 s) rather than fail. */
          if (read_sys_int (HUGEPAGES_DIR "/free_hugepages") < TOUCH_MEMORY_MIB / 2 && self->waits++ < 100)
            {
              self->timeout_id = g_timeout_add (50, retry_start_arm, self);
              return;
            }
          extra[1] = "--hugepages";
          cmdline = mode + strlen ("huge-");
        }
    }
  else if (self->kind == GB_LAB_KSM)
    {
      extra[0] = "--memory=" G_STRINGIFY (TOUCH_MEMORY_MIB);
      extra[1] = "--ksm";
    }

  if ((guest = gb_lab_find_guest (guest_name, &error)) == NULL)
    {
      fail (self, error);
      return;
    }
  set_status (self, arm_status (self));
  self->polls = 0;
  self->waits = 0;
  self->settle_polls = 0;
  name = g_strdup_printf ("lab-%s", mode);
  gb_lab_machine_launch_async (name, guest, cmdline, extra, g_task_get_cancellable (self->task),
                               launched, g_object_ref (self));
}

void
gb_lab_experiment_run_async (GbLabExperiment     *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_return_if_fail (GB_IS_LAB_EXPERIMENT (self));

  g_task_set_source_tag (task, gb_lab_experiment_run_async);
  if (self->task != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BUSY, _("The experiment is already running"));
      return;
    }
  self->task = g_steal_pointer (&task);
  self->arm = 0;
  self->n_arms_done = 0;
  memset (self->arms, 0, sizeof self->arms);
  if (self->kind == GB_LAB_PAGE_SIZES)
    prepare_hugepages (self);
  set_state (self, GB_LAB_EXPERIMENT_RUNNING);
  if (self->kind == GB_LAB_KSM)
    {
      prepare_ksm (self);
      if (self->no_ksm != NULL)
        {
          complete (self);
          return;
        }
      sample_ksm (self);
    }
  start_arm (self);
}

gboolean
gb_lab_experiment_run_finish (GbLabExperiment  *self,
                              GAsyncResult     *result,
                              GError          **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- the table --------------------------------------------------------- */

guint
gb_lab_experiment_get_n_rows (GbLabExperiment *self)
{
  if (self->state == GB_LAB_EXPERIMENT_DONE && self->kind == GB_LAB_KSM)
    return self->no_ksm != NULL ? 1 : self->n_ksm_samples;
  return self->state == GB_LAB_EXPERIMENT_DONE ? self->n_arms_done : 0;
}

guint
gb_lab_experiment_get_n_columns (GbLabExperiment *self)
{
  return self->kind == GB_LAB_HLT_VS_SPIN ? 3
         : self->kind == GB_LAB_PAGE_SIZES || self->kind == GB_LAB_KSM ? 4 : 5;
}

const char *
gb_lab_experiment_get_row_title (GbLabExperiment *self,
                                 guint            row)
{
  const char *mode;

  if (self->kind == GB_LAB_KSM)
    {
      static const char *later[] = { N_("2 s later"), N_("5 s later"), N_("10 s later"), N_("15 s later") };

      G_STATIC_ASSERT (G_N_ELEMENTS (later) == G_N_ELEMENTS (ksm_later));
      if (self->no_ksm != NULL)
        return _("Not run: KSM is not available on this host");
      if (row == 0)
        return _("Before the guests started");
      if (row == 1)
        return _("Both guests have filled 32 MiB");
      return row - 2 < G_N_ELEMENTS (later) ? _(later[row - 2]) : NULL;
    }
  g_return_val_if_fail (row < MAX_ARMS, NULL);
  mode = arm_modes[self->kind][row];
  if (self->kind == GB_LAB_PAGE_SIZES)
    {
      if (self->arms[row].skipped)
        return _("2 MiB pages: not run, no huge pages on this host");
      if (g_strcmp0 (mode, "none") == 0)
        return _("4 KiB pages, nothing touched");
      if (g_strcmp0 (mode, "touch") == 0)
        return _("4 KiB pages, 32 MiB touched");
      if (g_strcmp0 (mode, "huge-none") == 0)
        return _("2 MiB pages, nothing touched");
      return _("2 MiB pages, 32 MiB touched");
    }
  if (g_strcmp0 (mode, "none") == 0 && self->kind == GB_LAB_ACCESS_COST)
    return _("Setup only, no accesses");
  if (g_strcmp0 (mode, "none") == 0)
    return _("Nothing written (setup only)");
  if (g_strcmp0 (mode, "serial") == 0)
    return _("8250 serial port");
  if (g_strcmp0 (mode, "virtio") == 0)
    return _("virtio-console");
  if (g_strcmp0 (mode, "hlt") == 0)
    return _("Idle with HLT");
  if (g_strcmp0 (mode, "pio") == 0)
    return _("Port write (8250 scratch register)");
  if (g_strcmp0 (mode, "mmio") == 0)
    return _("MMIO read (virtio register)");
  if (g_strcmp0 (mode, "notify") == 0)
    return _("Virtqueue notification (ioeventfd)");
  return _("Idle in a busy loop");
}

const char *
gb_lab_experiment_get_column_title (GbLabExperiment *self,
                                    guint            column)
{
  static const char *write_columns[] = {
    N_("VM exits (KVM)"), N_("Exits on the device"), N_("Kicks"), N_("vCPU time, ms"), N_("Exits per byte"),
  };
  static const char *access_columns[] = {
    N_("Exits to the VMM"), N_("VM exits (KVM)"), N_("Kicks the device saw"), N_("vCPU time, ms"), N_("µs per access"),
  };
  static const char *touch_columns[] = {
    N_("Resident, MiB"), N_("Huge pages taken"), N_("Page faults (KVM)"), N_("vCPU time, ms"),
  };
  static const char *ksm_columns[] = {
    N_("Merged pages of the two guests"), N_("Pages shared (host)"), N_("Pages sharing (host)"), N_("Saved on the host, MiB"),
  };
  static const char *idle_columns[] = {
    N_("VM exits per second"), N_("HLT exits per second"), N_("Host CPU, %"),
  };

  if (self->kind == GB_LAB_SERIAL_VS_VIRTIO)
    return column < G_N_ELEMENTS (write_columns) ? _(write_columns[column]) : NULL;
  if (self->kind == GB_LAB_ACCESS_COST)
    return column < G_N_ELEMENTS (access_columns) ? _(access_columns[column]) : NULL;
  if (self->kind == GB_LAB_PAGE_SIZES)
    return column < G_N_ELEMENTS (touch_columns) ? _(touch_columns[column]) : NULL;
  if (self->kind == GB_LAB_KSM)
    return column < G_N_ELEMENTS (ksm_columns) ? _(ksm_columns[column]) : NULL;
  return column < G_N_ELEMENTS (idle_columns) ? _(idle_columns[column]) : NULL;
}

double
gb_lab_experiment_get_value (GbLabExperiment *self,
                             guint            row,
                             guint            column)
{
  const Arm *arm;

  if (self->kind == GB_LAB_KSM)
    {
      if (row >= self->n_ksm_samples)
        return 0;
      switch (column)
        {
        case 0: return self->ksm_merged[row];
        case 1: return MAX (self->ksm_shared[row], 0);
        case 2: return MAX (self->ksm_sharing[row], 0);
        /* Every "sharing" page is a copy KSM freed (kernel
         * Documentation/admin-guide/mm/ksm.rst). */
        case 3: return MAX (self->ksm_sharing[row], 0) * 4096.0 / 1048576.0;
        default: return 0;
        }
    }
  g_return_val_if_fail (row < MAX_ARMS, 0);
  arm = &self->arms[row];

  if (self->kind == GB_LAB_SERIAL_VS_VIRTIO)
    {
      gboolean wrote = g_strcmp0 (arm_modes[self->kind][row], "none") != 0;

      switch (column)
        {
        case 0: return arm->exits;
        case 1: return arm->device_exits;
        case 2: return arm->kicks;
        case 3: return arm->vcpu_seconds * 1000;
        /* Exits the write itself caused (register accesses and kicks; the
         * baseline row's are setup) per byte written. */
        case 4: return wrote ? (arm->device_exits - (row == 2 ? self->arms[0].device_exits : 0) + arm->kicks) / WRITE_SIZE : 0;
        default: return 0;
        }
    }

  if (self->kind == GB_LAB_PAGE_SIZES)
    {
      switch (column)
        {
        case 0: return arm->resident_mib;
        case 1: return arm->hugepages;
        case 2: return arm->page_faults;
        case 3: return arm->vcpu_seconds * 1000;
        default: return 0;
        }
    }

  if (self->kind == GB_LAB_ACCESS_COST)
    {
      /* Everything above the setup-only run (row 0), which row 0 shows as is. */
      const Arm *base = row > 0 ? &self->arms[0] : NULL;
      double ms = (arm->vcpu_seconds - (base ? base->vcpu_seconds : 0)) * 1000;

      switch (column)
        {
        case 0: return MAX (arm->vmm_exits - (base ? base->vmm_exits : 0), 0);
        case 1: return MAX (arm->exits - (base ? base->exits : 0), 0);
        case 2: return arm->kicks;
        case 3: return base ? MAX (ms, 0) : arm->vcpu_seconds * 1000;
        case 4: return base ? MAX (ms, 0) * 1000 / ACCESS_COUNT : 0;
        default: return 0;
        }
    }

  switch (column)
    {
    case 0: return arm->seconds > 0 ? arm->exits / arm->seconds : 0;
    case 1: return arm->seconds > 0 ? arm->hlt_exits / arm->seconds : 0;
    case 2: return arm->seconds > 0 ? 100 * arm->cpu_seconds / arm->seconds : 0;
    default: return 0;
    }
}

char *
gb_lab_experiment_format_value (GbLabExperiment *self,
                                guint            row,
                                guint            column)
{
  double v = gb_lab_experiment_get_value (self, row, column);

  if (self->kind == GB_LAB_PAGE_SIZES && row < MAX_ARMS && self->arms[row].skipped)
    return g_strdup ("—");
  if (self->kind == GB_LAB_KSM && self->no_ksm != NULL)
    return g_strdup ("—");
  if (self->kind == GB_LAB_KSM && column == 0 && v < 0)
    return g_strdup ("—");
  if (self->kind == GB_LAB_KSM && column == 3)
    return g_strdup_printf ("%.1f", v);
  if (self->kind == GB_LAB_PAGE_SIZES && column == 0)
    return g_strdup_printf ("%.1f", v);

  if (self->kind == GB_LAB_SERIAL_VS_VIRTIO && column == 4)
    return g_strdup_printf ("%.4f", v);
  if (self->kind != GB_LAB_HLT_VS_SPIN && column == 3)
    return g_strdup_printf ("%.1f", v);
  if (self->kind == GB_LAB_ACCESS_COST && column == 4)
    return g_strdup_printf ("%.1f", v);
  return g_strdup_printf ("%'.0f", v);
}

double
gb_lab_experiment_get_ratio (GbLabExperiment *self)
{
  if (self->state != GB_LAB_EXPERIMENT_DONE)
    return 0;
  if (self->kind == GB_LAB_SERIAL_VS_VIRTIO)
    {
      double serial = gb_lab_experiment_get_value (self, 1, 4);
      double virtio = gb_lab_experiment_get_value (self, 2, 4);

      return serial / MAX (virtio, 1.0 / WRITE_SIZE);
    }
  if (self->kind == GB_LAB_ACCESS_COST)
    return gb_lab_experiment_get_value (self, 1, 4) / MAX (gb_lab_experiment_get_value (self, 3, 4), 0.01);
  /* The two guests' merged pages at the end, else the host's pages
   * sharing at the end against before the guests. */
  if (self->kind == GB_LAB_KSM)
    {
      guint last = self->n_ksm_samples - 1;

      if (self->n_ksm_samples < 2)
        return 0;
      return self->ksm_merged[last] >= 0 ? self->ksm_merged[last]
             : MAX (self->ksm_sharing[last] - self->ksm_sharing[0], 0);
    }
  /* vCPU time to touch 32 MiB: 4 KiB pages against 2 MiB pages (the
   * host's faults on guest RAM are taken in the vCPU thread). */
  if (self->kind == GB_LAB_PAGE_SIZES)
    return self->arms[3].skipped ? 0
           : MAX (self->arms[1].vcpu_seconds - self->arms[0].vcpu_seconds, 0)
             / MAX (self->arms[3].vcpu_seconds - self->arms[2].vcpu_seconds, 1e-5);
  return gb_lab_experiment_get_value (self, 1, 2) / MAX (gb_lab_experiment_get_value (self, 0, 2), 0.1);
}

char *
gb_lab_experiment_get_conclusion (GbLabExperiment *self)
{
  if (self->state != GB_LAB_EXPERIMENT_DONE)
    return NULL;
  if (self->kind == GB_LAB_SERIAL_VS_VIRTIO)
    return g_strdup_printf (_("The serial port cost %.0f times as many exits per byte as virtio-console: every byte is two register accesses, and every access leaves the guest. virtio-console carried all 4 KiB in one buffer with one kick, which KVM turned into an eventfd without a trip to the VMM."),
                            gb_lab_experiment_get_ratio (self));
  if (self->kind == GB_LAB_KSM)
    {
      if (self->no_ksm != NULL)
        return g_strdup_printf (_("The experiment could not run: %s."), self->no_ksm);
      return g_strdup_printf (_("After %u s, KSM had merged %.0f pages of the two guests: %.1f MiB that the host keeps once instead of twice. Each guest filled 8,192 pages, so at most 16,384 can be merged. ksmd scans a limited number of pages every few milliseconds, so sharing grows over seconds, not at once. A guest that writes to a shared page gets its own copy back."),
                              ksm_later[G_N_ELEMENTS (ksm_later) - 1], gb_lab_experiment_get_ratio (self),
                              gb_lab_experiment_get_ratio (self) * 4096.0 / 2 / 1048576.0);
    }
  if (self->kind == GB_LAB_PAGE_SIZES)
    {
      double grew = self->arms[1].resident_mib - self->arms[0].resident_mib;

      if (self->arms[3].skipped)
        return g_strdup_printf (_("Touching 32 MiB made the VMM’s resident memory grow by %.1f MiB: the host backs guest memory page by page, only where the guest wrote. The 2 MiB runs could not run: %s."),
                                grew, self->no_hugepages ? self->no_hugepages : "");
      return g_strdup_printf (_("Touching 32 MiB made the VMM’s resident memory grow by %.1f MiB in 4 KiB pages and by %.1f MiB on 2 MiB pages, which took %.0f huge pages from the host’s pool. The host backs guest memory only where the guest wrote. In 4 KiB pages the touching took %.1f times as much vCPU time: the host has to find and map 8,192 pages instead of 16."),
                              grew, self->arms[3].resident_mib - self->arms[2].resident_mib,
                              self->arms[3].hugepages - self->arms[2].hugepages,
                              gb_lab_experiment_get_ratio (self));
    }
  if (self->kind == GB_LAB_ACCESS_COST)
    return g_strdup_printf (_("A port write cost %.0f times as long as a virtqueue notification. Port and MMIO accesses each stop the vCPU, leave KVM_RUN and wait for the VMM’s thread to play the device; a notification is matched to its ioeventfd inside KVM, which only signals an eventfd — the device may read many signals at once, and the eventfd’s counter still tells it how many there were."),
                            gb_lab_experiment_get_ratio (self));
  return g_strdup_printf (_("The spinning guest kept a host CPU %.0f times as busy as the halting one. With HLT the vCPU sleeps in KVM until the next timer interrupt; a busy loop looks like work to the host, which cannot tell it from a real computation."),
                          gb_lab_experiment_get_ratio (self));
}

/* ---- GObject ----------------------------------------------------------- */

static void
gb_lab_experiment_dispose (GObject *object)
{
  GbLabExperiment *self = GB_LAB_EXPERIMENT (object);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  set_machine (self, NULL);
  g_clear_pointer (&self->first, json_node_unref);
  restore_hugepages (self);
  end_machine2 (self);
  restore_ksm (self);

  G_OBJECT_CLASS (gb_lab_experiment_parent_class)->dispose (object);
}

static void
gb_lab_experiment_finalize (GObject *object)
{
  GbLabExperiment *self = GB_LAB_EXPERIMENT (object);

  g_free (self->status);
  g_free (self->no_hugepages);
  g_free (self->no_ksm);

  G_OBJECT_CLASS (gb_lab_experiment_parent_class)->finalize (object);
}

static void
gb_lab_experiment_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  GbLabExperiment *self = GB_LAB_EXPERIMENT (object);

  switch (prop_id)
    {
    case PROP_STATE: g_value_set_enum (value, self->state); break;
    case PROP_STATUS: g_value_set_string (value, self->status); break;
    case PROP_MACHINE: g_value_set_object (value, self->machine); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_lab_experiment_class_init (GbLabExperimentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = gb_lab_experiment_dispose;
  object_class->finalize = gb_lab_experiment_finalize;
  object_class->get_property = gb_lab_experiment_get_property;

  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, GB_TYPE_LAB_EXPERIMENT_STATE,
                                              GB_LAB_EXPERIMENT_READY, ro);
  properties[PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, NULL, ro);
  properties[PROP_MACHINE] = g_param_spec_object ("machine", NULL, NULL, GB_TYPE_MACHINE, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gb_lab_experiment_init (GbLabExperiment *self)
{
  self->old_nr_hugepages = -1;
  self->old_ksm_run = -1;
}
