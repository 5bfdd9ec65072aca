/* test-inside.c — the Inside model against real glassbox-vmm runs of the
 * Lab's guests (exact counts), the Lab's experiments, and libvirt's
 * statistics mapped onto query-stats (a TCG domain, from a fixture).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>

#include "gb-inside-item.h"
#include "gb-inside-model.h"
#include "gb-lab-experiment.h"
#include "gb-lab-machine.h"
#include "gb-libvirt-internals.h"
#include "gb-libvirt-provider.h"
#include "gb-provider.h"
#include "gb-test-libvirt.h"
#include "gb-test-utils.h"
#include "gb-vmm-locate.h"

static gboolean
can_run_guests (void)
{
  g_autofree char *vmm = gb_vmm_find_binary (NULL);
  g_autofree char *guest = gb_lab_find_guest ("lab-write", NULL);

  if (vmm == NULL || guest == NULL)
    {
      g_test_skip ("glassbox-vmm or the Lab's guests are not built (-Dhypervisor=false)");
      return FALSE;
    }
  if (!g_file_test ("/dev/kvm", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no /dev/kvm on this machine");
      return FALSE;
    }
  return TRUE;
}

static GbLabMachine *
launch (const char *guest_name,
        const char *mode)
{
  g_autofree char *guest = gb_lab_find_guest (guest_name, NULL);
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  GbLabMachine *machine;

  gb_lab_machine_launch_async (mode, guest, mode, NULL, NULL, gb_test_store_result, &result);
  machine = gb_lab_machine_launch_finish (gb_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpint (gb_machine_get_state (GB_MACHINE (machine)), ==, GB_MACHINE_STATE_PAUSED);
  g_clear_object (&result);

  gb_machine_resume_async (GB_MACHINE (machine), NULL, gb_test_store_result, &result);
  g_assert_true (gb_machine_resume_finish (GB_MACHINE (machine), gb_test_wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpint (gb_machine_get_state (GB_MACHINE (machine)), ==, GB_MACHINE_STATE_RUNNING);
  return machine;
}

static GbInsideItem *
find_item (GListModel *list,
           const char *name)
{
  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr(GbInsideItem) item = g_list_model_get_item (list, i);

      if (g_str_equal (gb_inside_item_get_name (item), name))
        return item;
    }
  return NULL;
}

static gboolean
guest_done (gpointer data)
{
  GbInsideModel *model = data;

  return gb_inside_model_get_reason_total (model, GB_INSIDE_REASON_HLT) > 0;
}

/* lab-write "serial" writes 4096 bytes, each after one read of the line
 * status register: exactly 8192 port accesses, 8192 exits on "serial". */
static void
test_port_writes (void)
{
  g_autoptr(GbLabMachine) machine = NULL;
  g_autoptr(GbInsideModel) model = NULL;
  GbInsideItem *serial;

  if (!can_run_guests ())
    return;

  machine = launch ("lab-write", "serial");
  model = gb_inside_model_new (GB_MACHINE (machine));
  gb_inside_model_set_interval (model, 50);
  gb_inside_model_set_enabled (model, TRUE);
  GB_TEST_WAIT_FOR (guest_done (model), 60);

  serial = find_item (gb_inside_model_get_devices (model), "serial");
  g_assert_nonnull (serial);
  g_test_message ("serial: %" G_GUINT64_FORMAT " exits for 4096 bytes", gb_inside_item_get_exits (serial));
  g_assert_cmpuint (gb_inside_item_get_exits (serial), ==, 2 * 4096);
  /* Two exits for every byte the UART moved. */
  g_assert_true (gb_inside_item_get_has_bytes (serial));
  g_assert_cmpuint (gb_inside_item_get_bytes (serial), ==, 4096);
  g_assert_cmpuint (gb_inside_model_get_reason_total (model, GB_INSIDE_REASON_IO), >=, 2 * 4096);
  g_assert_cmpuint (g_list_model_get_n_items (gb_inside_model_get_vcpus (model)), ==, 1);
  g_assert_cmpuint (gb_inside_model_get_memory_configured (model), ==, 32 * 1024 * 1024);
  g_assert_cmpuint (gb_inside_model_get_memory_resident (model), >, 0);
  /* 8192 exits went up to the VMM: its vCPU thread spent time there. */
  {
    JsonArray *vcpus = json_object_get_array_member (gb_inside_model_get_last (model), "vcpus");
    gint64 vmm_ns = json_object_get_int_member (json_array_get_object_element (vcpus, 0), "vmm-ns");

    g_test_message ("vCPU 0 in the VMM: %.1f ms for 8192 exits", vmm_ns / 1e6);
    g_assert_cmpint (vmm_ns, >, 0);
  }
  /* Where that memory lives: one KVM slot, guest 0–32 MiB, in a memfd. */
  {
    JsonObject *memory = json_object_get_object_member (gb_inside_model_get_last (model), "memory");
    JsonArray *slots = json_object_get_array_member (memory, "slots");
    JsonObject *slot = json_array_get_object_element (slots, 0);

    g_assert_cmpstr (json_object_get_string_member (memory, "backing"), ==, "memfd");
    g_assert_cmpuint (json_array_get_length (slots), ==, 1);
    g_assert_cmpint (json_object_get_int_member (slot, "guest-address"), ==, 0);
    g_assert_cmpint (json_object_get_int_member (slot, "size"), ==, 32 * 1024 * 1024);
    g_assert_cmpint (json_object_get_int_member (slot, "host-address"), !=, 0);
  }
  gb_inside_model_set_enabled (model, FALSE);
}

/* lab-write "virtio": one buffer, one kick, one request on queue 1. */
static void
test_kicks (void)
{
  g_autoptr(GbLabMachine) machine = NULL;
  g_autoptr(GbInsideModel) model = NULL;
  GbInsideItem *tx, *rx, *console, *serial;

  if (!can_run_guests ())
    return;

  machine = launch ("lab-write", "virtio");
  model = gb_inside_model_new (GB_MACHINE (machine));
  gb_inside_model_set_interval (model, 50);
  gb_inside_model_set_enabled (model, TRUE);
  GB_TEST_WAIT_FOR (guest_done (model), 60);

  tx = find_item (gb_inside_model_get_queues (model), "virtio-console/1");
  rx = find_item (gb_inside_model_get_queues (model), "virtio-console/0");
  g_assert_nonnull (tx);
  g_assert_nonnull (rx);
  g_assert_cmpuint (gb_inside_item_get_kicks (tx), ==, 1);
  g_assert_cmpuint (gb_inside_item_get_requests (tx), ==, 1);
  /* The 4096 bytes the device read from the guest's one buffer, exactly;
   * nothing went the other way. */
  g_assert_true (gb_inside_item_get_has_bytes (tx));
  g_assert_cmpuint (gb_inside_item_get_bytes (tx), ==, 4096);
  g_assert_true (gb_inside_item_get_has_bytes (rx));
  g_assert_cmpuint (gb_inside_item_get_bytes (rx), ==, 0);
  console = find_item (gb_inside_model_get_devices (model), "virtio-console");
  g_assert_nonnull (console);
  g_assert_cmpuint (gb_inside_item_get_bytes (console), ==, 4096);
  g_test_message ("virtio-console: %" G_GUINT64_FORMAT " exits for 4096 bytes", gb_inside_item_get_exits (console));
  g_assert_cmpuint (gb_inside_item_get_kicks (rx), ==, 0);
  /* Nothing went through the serial port. */
  serial = find_item (gb_inside_model_get_devices (model), "serial");
  g_assert_true (serial == NULL || gb_inside_item_get_exits (serial) == 0);
}

static gboolean
has_rates (gpointer data)
{
  GbInsideModel *model = data;

  return gb_inside_model_get_n_samples (model) >= 4;
}

/* lab-idle "hlt": a 1000 Hz timer and HLT between ticks — HLT exits,
 * hundreds a second, and the vCPU halted most of the time. */
static void
test_hlt (void)
{
  g_autoptr(GbLabMachine) machine = NULL;
  g_autoptr(GbInsideModel) model = NULL;
  double history[GB_INSIDE_HISTORY];
  g_autoptr(GbInsideItem) vcpu = NULL;
  guint n;

  if (!can_run_guests ())
    return;

  machine = launch ("lab-idle", "hlt");
  model = gb_inside_model_new (GB_MACHINE (machine));
  gb_inside_model_set_interval (model, 250);
  gb_inside_model_set_enabled (model, TRUE);
  GB_TEST_WAIT_FOR (has_rates (model), 30);

  g_test_message ("HLT exits: %" G_GUINT64_FORMAT " in all, %.0f/s",
                  gb_inside_model_get_reason_total (model, GB_INSIDE_REASON_HLT),
                  gb_inside_model_get_reason_rate (model, GB_INSIDE_REASON_HLT));
  g_assert_cmpuint (gb_inside_model_get_reason_total (model, GB_INSIDE_REASON_HLT), >, 100);
  g_assert_cmpfloat (gb_inside_model_get_reason_rate (model, GB_INSIDE_REASON_HLT), >, 100);
  n = gb_inside_model_get_history (model, GB_INSIDE_REASON_HLT, history);
  g_assert_cmpuint (n, ==, gb_inside_model_get_n_samples (model) - 1);
  g_assert_cmpfloat (history[n - 1], >, 0);
  vcpu = g_list_model_get_item (gb_inside_model_get_vcpus (model), 0);
  g_test_message ("vCPU 0: %s, halted %.0f %%", gb_inside_item_get_detail (vcpu), gb_inside_item_get_halted (vcpu) * 100);
  g_assert_cmpstr (gb_inside_item_get_detail (vcpu), ==, "halted");

  /* Disabled: no more samples. */
  gb_inside_model_set_enabled (model, FALSE);
  n = gb_inside_model_get_n_samples (model);
  gb_test_iterate_before (g_get_monotonic_time () + 600 * 1000, 1, "nothing");
  g_usleep (600 * 1000);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (gb_inside_model_get_n_samples (model), ==, n);

  /* The machine stops: the model forgets it. */
  gb_lab_machine_terminate (machine);
  GB_TEST_WAIT_FOR (gb_machine_get_state (GB_MACHINE (machine)) == GB_MACHINE_STATE_SHUTOFF, 20);
  g_assert_false (gb_inside_model_get_available (model));
}

static void
run_experiment (GbLabExperiment *experiment)
{
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;

  gb_lab_experiment_run_async (experiment, NULL, gb_test_store_result, &result);
  g_assert_true (gb_lab_experiment_run_finish (experiment, gb_test_wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpint (gb_lab_experiment_get_state (experiment), ==, GB_LAB_EXPERIMENT_DONE);
  for (guint r = 0; r < gb_lab_experiment_get_n_rows (experiment); r++)
    {
      g_autoptr(GString) line = g_string_new (gb_lab_experiment_get_row_title (experiment, r));

      for (guint c = 0; c < gb_lab_experiment_get_n_columns (experiment); c++)
        {
          g_autofree char *v = gb_lab_experiment_format_value (experiment, r, c);

          g_string_append_printf (line, " | %s %s", gb_lab_experiment_get_column_title (experiment, c), v);
        }
      g_test_message ("%s", line->str);
    }
}

static void
test_lab_serial_vs_virtio (void)
{
  g_autoptr(GbLabExperiment) experiment = gb_lab_experiment_new (GB_LAB_SERIAL_VS_VIRTIO);
  g_autofree char *conclusion = NULL;

  if (!can_run_guests ())
    return;

  run_experiment (experiment);
  g_assert_cmpuint (gb_lab_experiment_get_n_rows (experiment), ==, 3);
  /* Row 1 serial, row 2 virtio-console; column 1 exits on the device,
   * 2 kicks, 4 exits per byte. */
  g_assert_cmpfloat (gb_lab_experiment_get_value (experiment, 1, 1), ==, 8192);
  g_assert_cmpfloat (gb_lab_experiment_get_value (experiment, 2, 2), ==, 1);
  g_assert_cmpfloat (gb_lab_experiment_get_value (experiment, 1, 4), ==, 2.0);
  g_assert_cmpfloat (gb_lab_experiment_get_value (experiment, 2, 4), <, 0.01);
  g_assert_cmpfloat (gb_lab_experiment_get_value (experiment, 1, 0), >, gb_lab_experiment_get_value (experiment, 2, 0));
  g_assert_cmpfloat (gb_lab_experiment_get_value (experiment, 1, 3), >, gb_lab_experiment_get_value (experiment, 2, 3));
  conclusion = gb_lab_experiment_get_conclusion (experiment);
  g_test_message ("serial/virtio-console exits per byte: %.0f", gb_lab_experiment_get_ratio (experiment));
  printf ("# serial exits per byte / virtio-console exits per byte = %.0f\n", gb_lab_experiment_get_ratio (experiment));
  g_assert_cmpfloat (gb_lab_experiment_get_ratio (experiment), >, 100);
  g_assert_nonnull (conclusion);
}

static void
test_lab_hlt_vs_spin (void)
{
  g_autoptr(GbLabExperiment) experiment = gb_lab_experiment_new (GB_LAB_HLT_VS_SPIN);

  if (!can_run_guests ())
    return;

  run_experiment (experiment);
  g_assert_cmpuint (gb_lab_experiment_get_n_rows (experiment), ==, 2);
  /* HLT exits only where the guest halts; the spinning guest costs more
   * host CPU than the halting one. */
  g_assert_cmpfloat (gb_lab_experiment_get_value (experiment, 0, 1), >, 100);
  g_assert_cmpfloat (gb_lab_experiment_get_value (experiment, 1, 1), <, 10);
  g_assert_cmpfloat (gb_lab_experiment_get_value (experiment, 1, 2), >, gb_lab_experiment_get_value (experiment, 0, 2));
  printf ("# host CPU spinning / halting = %.1f\n", gb_lab_experiment_get_ratio (experiment));
}

static void
test_lab_access_cost (void)
{
  g_autoptr(GbLabExperiment) experiment = gb_lab_experiment_new (GB_LAB_ACCESS_COST);

  if (!can_run_guests ())
    return;

  run_experiment (experiment);
  g_assert_cmpuint (gb_lab_experiment_get_n_rows (experiment), ==, 4);
  /* Rows: setup only, port write, MMIO read, notification.  Column 0:
   * exits that reached the VMM above the setup-only run — exactly one per
   * emulated access, none for ioeventfd. */
  g_assert_cmpfloat (gb_lab_experiment_get_value (experiment, 1, 0), ==, 10000);
  g_assert_cmpfloat (gb_lab_experiment_get_value (experiment, 2, 0), ==, 10000);
  g_assert_cmpfloat (gb_lab_experiment_get_value (experiment, 3, 0), ==, 0);
  /* K notifications written, K counted: the device may read many at once,
   * but the eventfd's counter says how many. */
  g_assert_cmpfloat (gb_lab_experiment_get_value (experiment, 3, 2), ==, 10000);
  /* A trip to the VMM costs more than a notification that stays in KVM. */
  g_assert_cmpfloat (gb_lab_experiment_get_value (experiment, 1, 4), >, gb_lab_experiment_get_value (experiment, 3, 4));
  g_assert_cmpfloat (gb_lab_experiment_get_value (experiment, 2, 4), >, gb_lab_experiment_get_value (experiment, 3, 4));
  printf ("# µs per port write / µs per ioeventfd notification = %.1f\n", gb_lab_experiment_get_ratio (experiment));
}

static void
print_rows (GbLabExperiment *experiment)
{
  for (guint r = 0; r < gb_lab_experiment_get_n_rows (experiment); r++)
    {
      printf ("# %s:", gb_lab_experiment_get_row_title (experiment, r));
      for (guint c = 0; c < gb_lab_experiment_get_n_columns (experiment); c++)
        {
          g_autofree char *v = gb_lab_experiment_format_value (experiment, r, c);

          printf (" %s %s;", gb_lab_experiment_get_column_title (experiment, c), v);
        }
      printf ("\n");
    }
}

static void
test_lab_page_sizes (void)
{
  g_autoptr(GbLabExperiment) experiment = gb_lab_experiment_new (GB_LAB_PAGE_SIZES);
  g_autofree char *conclusion = NULL;
  double grew;

  if (!can_run_guests ())
    return;

  run_experiment (experiment);
  print_rows (experiment);
  conclusion = gb_lab_experiment_get_conclusion (experiment);
  printf ("# %s\n", conclusion);
  g_assert_cmpuint (gb_lab_experiment_get_n_rows (experiment), ==, 4);
  /* Rows: 4 KiB nothing / 32 MiB touched, 2 MiB nothing / touched.  The
   * VMM's resident memory grows by about what the guest touched (page
   * tables, the UART's dots: a little more; never less). */
  grew = gb_lab_experiment_get_value (experiment, 1, 0) - gb_lab_experiment_get_value (experiment, 0, 0);
  g_assert_cmpfloat (grew, >=, 31.5);
  g_assert_cmpfloat (grew, <=, 36);
  /* No huge pages in 4 KiB runs. */
  g_assert_cmpfloat (gb_lab_experiment_get_value (experiment, 1, 1), ==, 0);
  if (g_str_has_prefix (gb_lab_experiment_get_row_title (experiment, 3), "2 MiB pages: not run"))
    {
      printf ("# 2 MiB rows skipped: %s\n", conclusion);
      g_test_skip ("no 2 MiB huge pages on this host and none can be reserved (needs root)");
      return;
    }
  /* 32 MiB on 2 MiB pages: 16 more huge pages taken from the pool than
   * when touching nothing, and resident grows by the same 32 MiB. */
  g_assert_cmpfloat (gb_lab_experiment_get_value (experiment, 3, 1) - gb_lab_experiment_get_value (experiment, 2, 1), >=, 16);
  grew = gb_lab_experiment_get_value (experiment, 3, 0) - gb_lab_experiment_get_value (experiment, 2, 0);
  g_assert_cmpfloat (grew, >=, 31.5);
  g_assert_cmpfloat (grew, <=, 36);
  printf ("# vCPU time touching 32 MiB, 4 KiB / 2 MiB pages = %.1f\n", gb_lab_experiment_get_ratio (experiment));
}

/* sysfs files are written in place (g_file_set_contents would rename). */
static gboolean
write_sysfs (const char *path,
             const char *value)
{
  FILE *f = fopen (path, "w");
  gboolean ok;

  if (f == NULL)
    return FALSE;
  ok = fputs (value, f) >= 0;
  return fclose (f) == 0 && ok;
}

static void
test_lab_ksm (void)
{
  g_autoptr(GbLabExperiment) experiment = gb_lab_experiment_new (GB_LAB_KSM);
  g_autofree char *conclusion = NULL;
  guint n;

  if (!can_run_guests ())
    return;

  /* ksmd scans every mergeable page on the host in turn: with other tests'
   * QEMU guests beside us (QEMU offers its RAM to KSM by default) a full
   * pass takes longer than the experiment.  For the test only, and put
   * back after: a faster ksmd where we may set it (root). */
  {
    g_autofree char *pages = NULL, *sleep_ms = NULL;
    gboolean faster = g_file_get_contents ("/sys/kernel/mm/ksm/pages_to_scan", &pages, NULL, NULL) &&
                      g_file_get_contents ("/sys/kernel/mm/ksm/sleep_millisecs", &sleep_ms, NULL, NULL) &&
                      write_sysfs ("/sys/kernel/mm/ksm/pages_to_scan", "20000");

    if (faster)
      write_sysfs ("/sys/kernel/mm/ksm/sleep_millisecs", "10");
    run_experiment (experiment);
    if (faster)
      {
        write_sysfs ("/sys/kernel/mm/ksm/pages_to_scan", g_strstrip (pages));
        write_sysfs ("/sys/kernel/mm/ksm/sleep_millisecs", g_strstrip (sleep_ms));
      }
  }
  print_rows (experiment);
  conclusion = gb_lab_experiment_get_conclusion (experiment);
  printf ("# %s\n", conclusion);
  n = gb_lab_experiment_get_n_rows (experiment);
  if (n == 1)
    {
      g_test_skip (conclusion);
      return;
    }
  /* Rows: before, both filled, 2/5/10/15 s later.  Column 0: the two
   * VMMs' own merged pages (/proc/PID/ksm_merging_pages), column 2: the
   * host's pages_sharing.  Identical memory in two guests gets merged. */
  g_assert_cmpuint (n, ==, 6);
  if (gb_lab_experiment_get_value (experiment, n - 1, 0) >= 0)
    {
      g_assert_cmpfloat (gb_lab_experiment_get_value (experiment, n - 1, 0), >, 0);
      g_assert_cmpfloat (gb_lab_experiment_get_value (experiment, n - 1, 0), <=, 2 * 8192 + 512);   /* + setup pages, the same in both */
    }
  else
    g_assert_cmpfloat (gb_lab_experiment_get_value (experiment, n - 1, 2), >, gb_lab_experiment_get_value (experiment, 0, 2));
  g_assert_cmpfloat (gb_lab_experiment_get_value (experiment, n - 1, 2), >, 0);
  g_assert_cmpfloat (gb_lab_experiment_get_ratio (experiment), >, 0);
  printf ("# KSM: %.0f pages of the two guests merged after 15 s\n", gb_lab_experiment_get_ratio (experiment));
}

/* ---- this machine's huge pages and KSM ---------------------------------- */

#define HUGEPAGES_DIR "/sys/kernel/mm/hugepages/hugepages-2048kB"

static gint64
read_int_file (const char *path)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  return g_ascii_strtoll (text, NULL, 10);
}

/* "Key:   N kB" of a /proc file, in bytes; -1 when missing. */
static gint64
proc_kib (const char *path,
          const char *key)
{
  g_autofree char *text = NULL;
  g_autofree char *needle = g_strdup_printf ("\n%s:", key);
  const char *line;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (line = strstr (text, needle)) == NULL)
    return -1;
  return g_ascii_strtoll (line + strlen (needle), NULL, 10) * 1024;
}

/* lab-touch "touch" in 64 MiB on 2 MiB pages (--hugepages) writes to every
 * page of 32 MiB: the machine's own huge-page figure is at least those
 * 32 MiB and is what /proc/PID/status says of its VMM; its KSM figure is
 * /proc/PID/ksm_merging_pages (0: its RAM is not offered to KSM). */
static void
test_machine_memory (void)
{
  static const char *extra[] = { "--memory=64", "--hugepages", NULL };
  g_autoptr(GbLabMachine) machine = NULL;
  g_autoptr(GbInsideModel) model = NULL;
  g_autofree char *guest = NULL;
  g_autofree char *status_path = NULL;
  g_autofree char *ksm_path = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  gint64 nr, free_pages, old_nr = -1, hugetlb, merging;
  JsonObject *memory;

  if (!can_run_guests ())
    return;
  nr = read_int_file (HUGEPAGES_DIR "/nr_hugepages");
  free_pages = read_int_file (HUGEPAGES_DIR "/free_hugepages");
  if (nr < 0)
    {
      g_test_skip ("this kernel has no 2 MiB huge pages");
      return;
    }
  if (free_pages < 32)
    {
      g_autofree char *more = g_strdup_printf ("%" G_GINT64_FORMAT, nr + 32 - free_pages);

      if (!write_sysfs (HUGEPAGES_DIR "/nr_hugepages", more) ||
          read_int_file (HUGEPAGES_DIR "/free_hugepages") < 32)
        {
          g_autofree char *old = g_strdup_printf ("%" G_GINT64_FORMAT, nr);

          write_sysfs (HUGEPAGES_DIR "/nr_hugepages", old);
          g_test_skip ("fewer than 32 free 2 MiB huge pages and none can be reserved (needs root and free memory)");
          return;
        }
      old_nr = nr;
    }

  guest = gb_lab_find_guest ("lab-touch", NULL);
  gb_lab_machine_launch_async ("touch", guest, "touch", extra, NULL, gb_test_store_result, &result);
  machine = gb_lab_machine_launch_finish (gb_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  gb_machine_resume_async (GB_MACHINE (machine), NULL, gb_test_store_result, &result);
  g_assert_true (gb_machine_resume_finish (GB_MACHINE (machine), gb_test_wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  model = gb_inside_model_new (GB_MACHINE (machine));
  gb_inside_model_set_interval (model, 50);
  gb_inside_model_set_enabled (model, TRUE);
  GB_TEST_WAIT_FOR (guest_done (model), 60);
  /* One more sample, taken after the guest stopped touching memory. */
  {
    guint n = gb_inside_model_get_n_samples (model);

    GB_TEST_WAIT_FOR (gb_inside_model_get_n_samples (model) > n + 1, 30);
  }
  gb_inside_model_set_enabled (model, FALSE);

  status_path = g_strdup_printf ("/proc/%d/status", (int) gb_lab_machine_get_pid (machine));
  ksm_path = g_strdup_printf ("/proc/%d/ksm_merging_pages", (int) gb_lab_machine_get_pid (machine));
  hugetlb = proc_kib (status_path, "HugetlbPages");
  merging = read_int_file (ksm_path);
  memory = json_object_get_object_member (gb_inside_model_get_last (model), "memory");
  g_test_message ("this machine: %" G_GINT64_FORMAT " bytes in huge pages (/proc: hugetlb %" G_GINT64_FORMAT
                  "), KSM merged %" G_GINT64_FORMAT " (/proc: %" G_GINT64_FORMAT ")",
                  gb_inside_model_get_huge_bytes (model), hugetlb,
                  gb_inside_model_get_ksm_merging_pages (model), merging);
  printf ("# huge pages of this machine: %.1f MiB\n", gb_inside_model_get_huge_bytes (model) / 1048576.0);

  g_assert_true (json_object_has_member (memory, "hugetlb-bytes"));
  g_assert_cmpint (json_object_get_int_member (memory, "hugetlb-bytes"), ==, hugetlb);
  g_assert_cmpint (gb_inside_model_get_huge_bytes (model), >=, 32 * 1024 * 1024);
  g_assert_cmpint (gb_inside_model_get_huge_bytes (model), >=, hugetlb);
  if (merging >= 0)
    {
      g_assert_true (json_object_has_member (memory, "ksm-merging-pages"));
      g_assert_cmpint (gb_inside_model_get_ksm_merging_pages (model), ==, merging);
    }
  else
    g_assert_cmpint (gb_inside_model_get_ksm_merging_pages (model), ==, -1);

  gb_lab_machine_terminate (machine);
  if (old_nr >= 0)
    {
      g_autofree char *old = g_strdup_printf ("%" G_GINT64_FORMAT, old_nr);

      /* The pages come back once the VMM has gone. */
      GB_TEST_WAIT_FOR (gb_lab_machine_get_pid (machine) == 0, 30);
      write_sysfs (HUGEPAGES_DIR "/nr_hugepages", old);
    }
}

/* ---- libvirt ------------------------------------------------------------ */

#define P_ULL(f, v) { .field = f, .type = VIR_TYPED_PARAM_ULLONG, .value.ul = (v) }
#define P_INT(f, v) { .field = f, .type = VIR_TYPED_PARAM_INT, .value.i = (v) }

/* What virDomainListGetStats gives for a KVM domain with libvirt ≥ 8.9 and
 * QEMU ≥ 7.1 (names as libvirt forms them from QEMU's query-stats). */
static virTypedParameter kvm_params[] = {
  P_INT ("vcpu.current", 2),
  P_INT ("vcpu.0.state", 1),
  P_ULL ("vcpu.0.time", 1500000000),
  P_ULL ("vcpu.0.exits.sum", 5000),
  P_ULL ("vcpu.0.halt_exits.sum", 3000),
  P_ULL ("vcpu.0.io_exits.sum", 1200),
  P_ULL ("vcpu.0.halt_wait_ns.sum", 900000000),
  P_ULL ("vcpu.0.halt_poll_fail_ns.max", 7),
  P_INT ("vcpu.1.state", 2),
  P_ULL ("vcpu.1.exits.sum", 100),
  P_ULL ("vm.remote_tlb_flush.sum", 42),
  P_ULL ("vm.max_mmu_page_hash_collisions.max", 3),
  P_ULL ("balloon.maximum", 65536),
  P_ULL ("balloon.rss", 20480),
  P_INT ("block.count", 1),
  { .field = "block.0.name", .type = VIR_TYPED_PARAM_STRING, .value.s = (char *) "vda" },
  P_ULL ("block.0.rd.bytes", 4096),
  P_ULL ("block.0.wr.reqs", 3),
  P_INT ("net.count", 1),
  { .field = "net.0.name", .type = VIR_TYPED_PARAM_STRING, .value.s = (char *) "vnet0" },
  P_ULL ("net.0.rx.bytes", 1500),
};

static void
test_libvirt_mapping (void)
{
  g_autoptr(JsonNode) node = gb_libvirt_internals_to_json (kvm_params, G_N_ELEMENTS (kvm_params), "kvm");
  JsonObject *root = json_node_get_object (node);
  JsonArray *vcpus = json_object_get_array_member (root, "vcpus");
  JsonObject *v0 = json_array_get_object_element (vcpus, 0);
  JsonObject *k0 = json_object_get_object_member (v0, "kernel");
  guint64 reasons[GB_INSIDE_N_REASONS];
  g_autofree char *type = NULL;

  g_assert_cmpstr (json_object_get_string_member (root, "accelerator"), ==, "kvm");
  g_assert_cmpuint (json_array_get_length (vcpus), ==, 2);
  g_assert_cmpint (json_object_get_int_member (v0, "id"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (v0, "state"), ==, "running");
  g_assert_cmpint (json_object_get_int_member (k0, "exits"), ==, 5000);
  g_assert_cmpint (json_object_get_int_member (k0, "halt_exits"), ==, 3000);
  g_assert_false (json_object_has_member (k0, "halt_poll_fail_ns"));   /* peaks are left out */
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (vcpus, 1), "state"), ==, "halted");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "vm"), "remote_tlb_flush"), ==, 42);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "memory"), "guest-bytes"), ==, 64 * 1024 * 1024);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "memory"), "resident-bytes"), ==, 20 * 1024 * 1024);
  {
    JsonObject *vda = json_array_get_object_element (json_object_get_array_member (root, "block"), 0);
    JsonObject *vnet0 = json_array_get_object_element (json_object_get_array_member (root, "net"), 0);

    g_assert_cmpstr (json_object_get_string_member (vda, "name"), ==, "vda");
    g_assert_cmpint (json_object_get_int_member (vda, "rd-bytes"), ==, 4096);
    g_assert_cmpint (json_object_get_int_member (vda, "wr-reqs"), ==, 3);
    g_assert_cmpstr (json_object_get_string_member (vnet0, "name"), ==, "vnet0");
    g_assert_cmpint (json_object_get_int_member (vnet0, "rx-bytes"), ==, 1500);
  }

  /* The model reads it like glassbox-vmm's own. */
  g_assert_cmpuint (gb_inside_count_exits (root, reasons), ==, 5100);
  g_assert_cmpuint (reasons[GB_INSIDE_REASON_HLT], ==, 3000);
  g_assert_cmpuint (reasons[GB_INSIDE_REASON_IO], ==, 1200);
  g_assert_cmpuint (reasons[GB_INSIDE_REASON_OTHER], ==, 900);

  type = gb_libvirt_internals_domain_type ("<domain type='qemu' id='3'>\n  <name>t</name>");
  g_assert_cmpstr (type, ==, "qemu");
}

/* A machine whose internals are a fixture: what a libvirt TCG domain gives. */
#define TEST_TYPE_FIXTURE_MACHINE (test_fixture_machine_get_type ())
G_DECLARE_FINAL_TYPE (TestFixtureMachine, test_fixture_machine, TEST, FIXTURE_MACHINE, GbMachine)

struct _TestFixtureMachine { GbMachine parent_instance; };
G_DEFINE_FINAL_TYPE (TestFixtureMachine, test_fixture_machine, GB_TYPE_MACHINE)

static virTypedParameter tcg_params[] = {
  P_INT ("vcpu.current", 1),
  P_INT ("vcpu.0.state", 1),
  P_ULL ("vcpu.0.time", 800000000),
  P_ULL ("balloon.maximum", 131072),
};

static void
fixture_query_async (GbMachine *machine, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (machine, cancellable, callback, user_data);

  g_task_return_pointer (task, gb_libvirt_internals_to_json (tcg_params, G_N_ELEMENTS (tcg_params), "qemu"),
                         (GDestroyNotify) json_node_unref);
}

static JsonNode *
fixture_query_finish (GbMachine *machine, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
test_fixture_machine_class_init (TestFixtureMachineClass *klass)
{
  GB_MACHINE_CLASS (klass)->query_internals_async = fixture_query_async;
  GB_MACHINE_CLASS (klass)->query_internals_finish = fixture_query_finish;
}

static void
test_fixture_machine_init (TestFixtureMachine *self)
{
}

static void
test_tcg (void)
{
  g_autoptr(GbMachine) machine = g_object_new (TEST_TYPE_FIXTURE_MACHINE, "name", "tcg", NULL);
  g_autoptr(GbInsideModel) model = gb_inside_model_new (machine);

  gb_inside_model_sample (model);
  GB_TEST_WAIT_FOR (gb_inside_model_get_available (model), 10);
  g_assert_cmpstr (gb_inside_model_get_accelerator (model), ==, "tcg");
  g_assert_cmpuint (gb_inside_model_get_exits (model), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (gb_inside_model_get_vcpus (model)), ==, 1);
  g_assert_cmpuint (gb_inside_model_get_memory_configured (model), ==, 128 * 1024 * 1024);
}

/* A machine whose disk queue moves 1 MiB between two samples, beside a
 * queue that does not count bytes (an older VMM's virtio-console). */
#define TEST_TYPE_BYTES_MACHINE (test_bytes_machine_get_type ())
G_DECLARE_FINAL_TYPE (TestBytesMachine, test_bytes_machine, TEST, BYTES_MACHINE, GbMachine)

struct _TestBytesMachine { GbMachine parent_instance; guint queries; };
G_DEFINE_FINAL_TYPE (TestBytesMachine, test_bytes_machine, GB_TYPE_MACHINE)

static void
bytes_query_async (GbMachine *machine, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  TestBytesMachine *self = TEST_BYTES_MACHINE (machine);
  g_autoptr(GTask) task = g_task_new (machine, cancellable, callback, user_data);
  g_autofree char *json = NULL;
  guint64 moved = (guint64) self->queries++ << 20;

  json = g_strdup_printf ("{ \"vcpus\": [], \"virtio\": ["
                          "  { \"device\": \"virtio-blk\", \"interrupts-via\": \"msix\", \"queues\": ["
                          "    { \"index\": 0, \"notifications\": 1, \"interrupts\": 1, \"requests\": 1,"
                          "      \"bytes-read\": %" G_GUINT64_FORMAT ", \"bytes-written\": 0, \"bytes\": %" G_GUINT64_FORMAT " } ] },"
                          "  { \"device\": \"virtio-console\", \"interrupts-via\": \"msix\", \"queues\": ["
                          "    { \"index\": 0, \"notifications\": 1, \"interrupts\": 1, \"requests\": 1 } ] } ] }",
                          moved, moved);
  g_task_return_pointer (task, json_from_string (json, NULL), (GDestroyNotify) json_node_unref);
}

static void
test_bytes_machine_class_init (TestBytesMachineClass *klass)
{
  GB_MACHINE_CLASS (klass)->query_internals_async = bytes_query_async;
  GB_MACHINE_CLASS (klass)->query_internals_finish = fixture_query_finish;
}

static void
test_bytes_machine_init (TestBytesMachine *self)
{
}

static void
test_queue_bytes (void)
{
  g_autoptr(GbMachine) machine = g_object_new (TEST_TYPE_BYTES_MACHINE, "name", "disk", NULL);
  g_autoptr(GbInsideModel) model = gb_inside_model_new (machine);
  GListModel *queues;
  g_autoptr(GbInsideItem) blk = NULL;
  g_autoptr(GbInsideItem) console = NULL;

  gb_inside_model_sample (model);
  GB_TEST_WAIT_FOR (gb_inside_model_get_n_samples (model) == 1, 10);
  g_usleep (100 * 1000);
  gb_inside_model_sample (model);
  GB_TEST_WAIT_FOR (gb_inside_model_get_n_samples (model) == 2, 10);

  queues = gb_inside_model_get_queues (model);
  g_assert_cmpuint (g_list_model_get_n_items (queues), ==, 2);
  blk = g_list_model_get_item (queues, 0);
  console = g_list_model_get_item (queues, 1);
  g_assert_cmpstr (gb_inside_item_get_name (blk), ==, "virtio-blk/0");
  g_assert_true (gb_inside_item_get_has_bytes (blk));
  g_assert_cmpuint (gb_inside_item_get_bytes (blk), ==, 1 << 20);
  /* 1 MiB in a little over 0.1 s. */
  g_assert_cmpfloat (gb_inside_item_get_bytes_rate (blk), >, 1024 * 1024);
  g_assert_cmpfloat (gb_inside_item_get_bytes_rate (blk), <, 10.5 * 1024 * 1024);
  g_assert_false (gb_inside_item_get_has_bytes (console));
}

/* A libvirt machine whose disk reads 1 MiB in 8 requests and writes
 * 256 KiB in 2, and whose NIC receives 150,000 bytes in 100 packets and
 * sends 15,000 in 10, between each two samples. */
#define TEST_TYPE_IO_MACHINE (test_io_machine_get_type ())
G_DECLARE_FINAL_TYPE (TestIoMachine, test_io_machine, TEST, IO_MACHINE, GbMachine)

struct _TestIoMachine { GbMachine parent_instance; guint queries; };
G_DEFINE_FINAL_TYPE (TestIoMachine, test_io_machine, GB_TYPE_MACHINE)

static void
io_query_async (GbMachine *machine, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  TestIoMachine *self = TEST_IO_MACHINE (machine);
  g_autoptr(GTask) task = g_task_new (machine, cancellable, callback, user_data);
  guint64 n = self->queries++;
  virTypedParameter params[] = {
    P_INT ("vcpu.current", 1),
    P_INT ("vcpu.0.state", 1),
    P_ULL ("vcpu.0.exits.sum", 1000 + 100 * n),
    P_INT ("block.count", 1),
    { .field = "block.0.name", .type = VIR_TYPED_PARAM_STRING, .value.s = (char *) "vda" },
    P_ULL ("block.0.rd.reqs", 8 * n),
    P_ULL ("block.0.rd.bytes", n << 20),
    P_ULL ("block.0.wr.reqs", 2 * n),
    P_ULL ("block.0.wr.bytes", n << 18),
    P_INT ("net.count", 1),
    { .field = "net.0.name", .type = VIR_TYPED_PARAM_STRING, .value.s = (char *) "vnet0" },
    P_ULL ("net.0.rx.bytes", 150000 * n),
    P_ULL ("net.0.rx.pkts", 100 * n),
    P_ULL ("net.0.tx.bytes", 15000 * n),
    P_ULL ("net.0.tx.pkts", 10 * n),
  };

  g_task_return_pointer (task, gb_libvirt_internals_to_json (params, G_N_ELEMENTS (params), "kvm"),
                         (GDestroyNotify) json_node_unref);
}

static void
test_io_machine_class_init (TestIoMachineClass *klass)
{
  GB_MACHINE_CLASS (klass)->query_internals_async = io_query_async;
  GB_MACHINE_CLASS (klass)->query_internals_finish = fixture_query_finish;
}

static void
test_io_machine_init (TestIoMachine *self)
{
}

/* The rates of a libvirt machine's disk and NIC after two samples: what
 * moved between them divided by the time between them (the model's own
 * clock, measured here from outside as an upper and lower bound). */
static void
test_libvirt_io (void)
{
  g_autoptr(GbMachine) machine = g_object_new (TEST_TYPE_IO_MACHINE, "name", "io", NULL);
  g_autoptr(GbInsideModel) model = gb_inside_model_new (machine);
  GListModel *devices;
  g_autoptr(GbInsideItem) vda = NULL;
  g_autoptr(GbInsideItem) vnet0 = NULL;
  gint64 start, end;
  double s_min, s_max;

  start = g_get_monotonic_time ();
  gb_inside_model_sample (model);
  GB_TEST_WAIT_FOR (gb_inside_model_get_n_samples (model) == 1, 10);
  g_usleep (200 * 1000);
  gb_inside_model_sample (model);
  GB_TEST_WAIT_FOR (gb_inside_model_get_n_samples (model) == 2, 10);
  end = g_get_monotonic_time ();
  s_min = 0.2;
  s_max = (end - start) / 1e6;

  devices = gb_inside_model_get_devices (model);
  g_assert_cmpuint (g_list_model_get_n_items (devices), ==, 2);
  vda = g_list_model_get_item (devices, 0);
  vnet0 = g_list_model_get_item (devices, 1);
  g_assert_cmpint (gb_inside_item_get_kind (vda), ==, GB_INSIDE_ITEM_DISK);
  g_assert_cmpstr (gb_inside_item_get_name (vda), ==, "vda");
  g_assert_cmpint (gb_inside_item_get_kind (vnet0), ==, GB_INSIDE_ITEM_NIC);
  g_assert_cmpstr (gb_inside_item_get_name (vnet0), ==, "vnet0");
  g_test_message ("vda: read %.0f B/s (%.1f req/s), write %.0f B/s; vnet0: rx %.0f B/s (%.1f pkt/s), tx %.0f B/s (%.1f pkt/s)",
                  gb_inside_item_get_read_bytes_rate (vda), gb_inside_item_get_read_ops_rate (vda),
                  gb_inside_item_get_write_bytes_rate (vda),
                  gb_inside_item_get_read_bytes_rate (vnet0), gb_inside_item_get_read_ops_rate (vnet0),
                  gb_inside_item_get_write_bytes_rate (vnet0), gb_inside_item_get_write_ops_rate (vnet0));

#define ASSERT_RATE(value, per_sample) \
  G_STMT_START { \
    g_assert_cmpfloat ((value), >=, (per_sample) / s_max); \
    g_assert_cmpfloat ((value), <=, (per_sample) / s_min); \
  } G_STMT_END
  ASSERT_RATE (gb_inside_item_get_read_bytes_rate (vda), 1 << 20);
  ASSERT_RATE (gb_inside_item_get_write_bytes_rate (vda), 1 << 18);
  ASSERT_RATE (gb_inside_item_get_read_ops_rate (vda), 8);
  ASSERT_RATE (gb_inside_item_get_write_ops_rate (vda), 2);
  ASSERT_RATE (gb_inside_item_get_read_bytes_rate (vnet0), 150000);
  ASSERT_RATE (gb_inside_item_get_write_bytes_rate (vnet0), 15000);
  ASSERT_RATE (gb_inside_item_get_read_ops_rate (vnet0), 100);
  ASSERT_RATE (gb_inside_item_get_write_ops_rate (vnet0), 10);
#undef ASSERT_RATE
  /* Read and written in the same second, in the same proportion. */
  g_assert_cmpfloat_with_epsilon (gb_inside_item_get_read_bytes_rate (vda) / gb_inside_item_get_write_bytes_rate (vda), 4.0, 1e-9);
  g_assert_cmpuint (gb_inside_item_get_bytes (vda), ==, (1 << 20) + (1 << 18));
  g_assert_cmpuint (gb_inside_item_get_bytes (vnet0), ==, 165000);
}

/* A real libvirt machine (the test driver's running "test" domain) goes
 * through virDomainListGetStats into the model without an error, and a
 * <domain type='test'> is not TCG. */
static void
test_libvirt_machine (void)
{
  g_autoptr(GbProvider) provider = gb_libvirt_provider_new ("test:///default");
  g_autoptr(GbInsideModel) model = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  GbMachine *machine;

  gb_provider_connect_async (provider, NULL, gb_test_store_result, &result);
  g_assert_true (gb_provider_connect_finish (provider, gb_test_wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  GB_TEST_WAIT_FOR (gb_provider_find_machine (provider, "test") != NULL, 30);
  machine = gb_provider_find_machine (provider, "test");
  g_assert_cmpint (gb_machine_get_state (machine), ==, GB_MACHINE_STATE_RUNNING);

  model = gb_inside_model_new (machine);
  gb_inside_model_sample (model);
  GB_TEST_WAIT_FOR (gb_inside_model_get_available (model) || gb_inside_model_get_error (model), 30);
  g_assert_null (gb_inside_model_get_error (model));
  g_assert_cmpstr (gb_inside_model_get_accelerator (model), ==, "kvm");
  g_assert_cmpstr (json_object_get_string_member (gb_inside_model_get_last (model), "source"), ==, "libvirt");
  /* The test driver gives no VCPU group; QEMU's driver does (see the fixture). */
  g_test_message ("test:///default: %u vCPU rows", g_list_model_get_n_items (gb_inside_model_get_vcpus (model)));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  gb_test_add_ticker ();
  gb_test_libvirt_init ();

  g_test_add_func ("/inside/port-writes", test_port_writes);
  g_test_add_func ("/inside/kicks", test_kicks);
  g_test_add_func ("/inside/hlt", test_hlt);
  g_test_add_func ("/inside/libvirt-mapping", test_libvirt_mapping);
  g_test_add_func ("/inside/tcg", test_tcg);
  g_test_add_func ("/inside/queue-bytes", test_queue_bytes);
  g_test_add_func ("/inside/libvirt-machine", test_libvirt_machine);
  g_test_add_func ("/inside/machine-memory", test_machine_memory);
  g_test_add_func ("/inside/libvirt-io", test_libvirt_io);
  g_test_add_func ("/lab/serial-vs-virtio", test_lab_serial_vs_virtio);
  g_test_add_func ("/lab/hlt-vs-spin", test_lab_hlt_vs_spin);
  g_test_add_func ("/lab/access-cost", test_lab_access_cost);
  g_test_add_func ("/lab/page-sizes", test_lab_page_sizes);
  g_test_add_func ("/lab/ksm", test_lab_ksm);

  return g_test_run ();
}
