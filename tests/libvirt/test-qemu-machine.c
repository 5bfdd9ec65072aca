/* test-qemu-machine.c — a real libvirt QEMU driver, a real (TCG) guest
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The connection is qemu:///embed?root=<tmpdir>: libvirt's QEMU driver in
 * this process, no daemon to start or clean up, nothing left behind in the
 * host's libvirt. The driver probes QEMU's capabilities when first needed
 * (at the first define: ~4 s in our runs; DESIGN.md measured ~50 s when the
 * probe had to be redone), so this program opens ONE connection and runs
 * every case on it, in order, as one test.
 *
 * The guest is Debian's kernel with a busybox initramfs
 * (tests/linux-guest/build-guest.sh), booted directly (<kernel>/<initrd>)
 * with TCG (<domain type='qemu'>), its console on a serial pty.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "gb-libvirt-machine.h"
#include "gb-libvirt-private.h"
#include "gb-libvirt-provider.h"
#include "gb-test-libvirt.h"
#include "gb-test-utils.h"

#define DOMAIN_NAME "glassbox-tcg-guest"
#define MARKER "GLASSBOX-MARKER guest-is-up"

/* How long the guest gets to react to the ACPI power button. */
#define ACPI_GRACE_SEC 8

typedef gboolean (*FinishFunc) (GbMachine *, GAsyncResult *, GError **);
typedef void (*AsyncFunc) (GbMachine *, GCancellable *, GAsyncReadyCallback, gpointer);

static void
run_action (GbMachine  *machine,
            AsyncFunc   async,
            FinishFunc  finish)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  async (machine, NULL, gb_test_store_result, &result);
  GB_TEST_WAIT_FOR (result != NULL, 60);
  finish (machine, result, &error);
  g_assert_no_error (error);
}

/* State changes, as notify::state tells them. */
static GArray *states;

static void
on_state (GbMachine  *machine,
          GParamSpec *pspec,
          gpointer    data)
{
  GbMachineState state = gb_machine_get_state (machine);

  g_test_message ("state: %s", gb_machine_state_to_string (state));
  g_array_append_val (states, state);
}

static GbMachineState
last_state (void)
{
  return states->len ? g_array_index (states, GbMachineState, states->len - 1) : GB_MACHINE_STATE_UNKNOWN;
}

/* The serial console (gb_test_console_open) has shown the marker. */
static gboolean
console_has_marker (gpointer data)
{
  GbTestConsole *console = data;

  return strstr (console->text->str, MARKER) != NULL;
}

/* The domain, built with libvirt-gconfig. */
static char *
domain_xml (const char *kernel,
            const char *initrd)
{
  /* (libvirt-gconfig 4.0 declares no g_autoptr() cleanups.) */
  GVirConfigDomain *domain = gvir_config_domain_new ();
  GVirConfigDomainOs *os = gvir_config_domain_os_new ();
  GVirConfigDomainSerial *serial = gvir_config_domain_serial_new ();
  GVirConfigDomainConsole *console = gvir_config_domain_console_new ();
  GVirConfigDomainChardevSourcePty *pty = gvir_config_domain_chardev_source_pty_new ();
  GVirConfigDomainChardevSourcePty *pty2 = gvir_config_domain_chardev_source_pty_new ();
  char *features[] = { (char *) "acpi", (char *) "apic", NULL };
  char *xml;

  gvir_config_domain_set_virt_type (domain, GVIR_CONFIG_DOMAIN_VIRT_QEMU);
  gvir_config_domain_set_name (domain, DOMAIN_NAME);
  gvir_config_domain_set_memory (domain, 256 * 1024);  /* KiB */
  gvir_config_domain_set_vcpus (domain, 1);
  gvir_config_domain_set_features (domain, features);

  gvir_config_domain_os_set_os_type (os, GVIR_CONFIG_DOMAIN_OS_TYPE_HVM);
  gvir_config_domain_os_set_arch (os, "x86_64");
  gvir_config_domain_os_set_kernel (os, kernel);
  gvir_config_domain_os_set_ramdisk (os, initrd);
  gvir_config_domain_os_set_cmdline (os, "console=ttyS0 quiet no_timer_check gb.run=guest-marker.sh");
  gvir_config_domain_set_os (domain, os);

  gvir_config_domain_chardev_set_source (GVIR_CONFIG_DOMAIN_CHARDEV (serial),
                                         GVIR_CONFIG_DOMAIN_CHARDEV_SOURCE (pty));
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (serial));
  gvir_config_domain_chardev_set_source (GVIR_CONFIG_DOMAIN_CHARDEV (console),
                                         GVIR_CONFIG_DOMAIN_CHARDEV_SOURCE (pty2));
  gvir_config_domain_console_set_target_type (console, GVIR_CONFIG_DOMAIN_CONSOLE_TARGET_SERIAL);
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (console));

  xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (domain));

  g_object_unref (pty2);
  g_object_unref (pty);
  g_object_unref (console);
  g_object_unref (serial);
  g_object_unref (os);
  g_object_unref (domain);

  return xml;
}

static gboolean
machine_state_is (gpointer data)
{
  GbMachine **pair = data;

  return (int) gb_machine_get_state (pair[0]) == GPOINTER_TO_INT (pair[1]);
}

static void
on_stats_updated (GbMachine *machine,
                  guint     *count)
{
  (*count)++;
}

static void
test_qemu_machine (void)
{
  g_autofree char *tmp = gb_test_tmpdir_new ("gb-libvirt-XXXXXX");
  g_autofree char *marker = g_test_build_filename (G_TEST_DIST, "libvirt", "guest-marker.sh", NULL);
  g_autofree char *guest_dir = g_build_filename (tmp, "guest", NULL);
  g_autofree char *root = g_build_filename (tmp, "libvirt", NULL);
  g_autofree char *uri = g_strdup_printf ("qemu:///embed?root=%s", root);
  g_autofree char *kernel = g_build_filename (guest_dir, "vmlinuz", NULL);
  g_autofree char *initrd = g_build_filename (guest_dir, "initramfs.img", NULL);
  g_autofree char *reason = NULL;
  g_autofree char *xml = NULL;
  g_autoptr(GbProvider) provider = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const GbMachineSample *samples;
  gpointer pair[2];
  GbTestConsole console = { 0 };
  GbMachine *machine;
  virDomainPtr dom;
  guint updates = 0, n_samples, before;
  gint64 t0;
  gulong handler;

  if (!gb_test_skip_without_program ("qemu-system-x86_64", NULL))
    return;
  if (!gb_test_build_linux_guest (guest_dir, (const char *[]) { marker, NULL }, NULL, &reason))
    {
      g_test_skip (reason);
      return;
    }

  /* One connection for everything below. */
  t0 = g_get_monotonic_time ();
  provider = gb_libvirt_provider_new (uri);
  g_assert_true (gb_provider_get_transient (provider));
  gb_provider_connect_async (provider, NULL, gb_test_store_result, &result);
  GB_TEST_WAIT_FOR (result != NULL, 150);
  if (!gb_provider_connect_finish (provider, result, &error))
    {
      if (g_error_matches (error, GB_LIBVIRT_ERROR, VIR_ERR_NO_CONNECT))
        {
          g_autofree char *why = g_strdup_printf ("libvirt's QEMU driver is not available: %s", error->message);
          g_test_skip (why);
          return;
        }
      g_error ("Connecting to %s: %s", uri, error->message);
    }
  g_test_message ("connected to %s in %.3f s", uri, (g_get_monotonic_time () - t0) / 1e6);
  g_assert_cmpint (gb_provider_get_state (provider), ==, GB_PROVIDER_STATE_CONNECTED);
  g_assert_cmpuint (g_list_model_get_n_items (gb_provider_get_machines (provider)), ==, 0);

  /* Define: the machine appears, by event. */
  xml = domain_xml (kernel, initrd);
  dom = virDomainDefineXML (_gb_libvirt_provider_get_handle (provider), xml);
  if (dom == NULL)
    g_error ("Defining the domain: %s", virGetLastErrorMessage ());
  virDomainFree (dom);
  GB_TEST_WAIT_FOR (gb_provider_find_machine (provider, DOMAIN_NAME) != NULL, 10);
  g_test_message ("defined %.3f s after asking for the connection", (g_get_monotonic_time () - t0) / 1e6);
  machine = gb_provider_find_machine (provider, DOMAIN_NAME);
  GB_TEST_WAIT_FOR (gb_machine_get_config (machine) != NULL, 10);
  g_assert_cmpint (gb_machine_get_state (machine), ==, GB_MACHINE_STATE_SHUTOFF);
  g_assert_cmpuint (gb_machine_config_get_memory (gb_machine_get_config (machine)), ==, 256 * 1024 * 1024);
  g_assert_true (gb_machine_get_transient (machine));

  states = g_array_new (FALSE, FALSE, sizeof (GbMachineState));
  handler = g_signal_connect (machine, "notify::state", G_CALLBACK (on_state), NULL);

  /* Start: RUNNING arrives by event. */
  gb_provider_set_stats_interval (provider, 500);
  g_signal_connect (machine, "stats-updated", G_CALLBACK (on_stats_updated), &updates);
  t0 = g_get_monotonic_time ();
  run_action (machine, gb_machine_start_async, gb_machine_start_finish);
  GB_TEST_WAIT_FOR (last_state () == GB_MACHINE_STATE_RUNNING, 30);

  /* The guest's serial console says it is up. */
  gb_test_console_open (&console, _gb_libvirt_machine_get_handle (GB_LIBVIRT_MACHINE (machine)));
  if (!gb_test_wait_until (console_has_marker, &console, 60))
    g_error ("No marker on the console after 60 s; it said:\n%s", console.text->str);
  g_test_message ("marker read from the serial console %.1f s after start",
                  (g_get_monotonic_time () - t0) / 1e6);
  g_assert_nonnull (strstr (console.text->str, "GLASSBOX-GUEST-UP"));

  /* Starting twice: QEMU's driver's own error.  Checked while the guest is
   * known to be up and waiting on its console, so it cannot have stopped. */
  {
    g_autoptr(GAsyncResult) again = NULL;
    g_autoptr(GError) start_error = NULL;

    gb_machine_start_async (machine, NULL, gb_test_store_result, &again);
    GB_TEST_WAIT_FOR (again != NULL, 30);
    g_assert_false (gb_machine_start_finish (machine, again, &start_error));
    g_assert_error (start_error, GB_LIBVIRT_ERROR, VIR_ERR_OPERATION_INVALID);
    /* A plain sentence first (gb-libvirt-error.c), libvirt's words kept after it. */
    g_assert_true (g_str_has_prefix (start_error->message, gb_libvirt_error_sentence (VIR_ERR_OPERATION_INVALID)));
    g_assert_true (g_str_has_suffix (start_error->message, "Requested operation is not valid: domain is already running"));
  }

  /* Real statistics: a booting TCG guest uses CPU, and QEMU holds memory. */
  GB_TEST_WAIT_FOR (updates >= 3, 30);
  samples = gb_machine_get_samples (machine, &n_samples);
  g_assert_cmpuint (n_samples, >=, 3);
  g_test_message ("last sample: cpu %.1f %%, memory %" G_GUINT64_FORMAT " KiB",
                  samples[n_samples - 1].cpu_percent, samples[n_samples - 1].memory_bytes / 1024);
  g_assert_cmpfloat (samples[n_samples - 1].memory_bytes, >, 0);
  g_assert_cmpfloat (samples[n_samples - 1].cpu_percent, <=, 100.0);
  {
    double max_cpu = 0;

    for (guint i = 0; i < n_samples; i++)
      max_cpu = MAX (max_cpu, samples[i].cpu_percent);
    g_assert_cmpfloat (max_cpu, >, 0.0);
  }
  g_assert_cmpfloat (gb_machine_get_cpu_usage (machine), ==, samples[n_samples - 1].cpu_percent);

  /* Shut down (ACPI). libvirt delivers the power button, but this guest
   * has no ACPI button driver (Debian builds button.ko and evdev.ko as
   * modules, and the initramfs does not carry them), so it does not react:
   * that is what a user of such a guest sees too, and what we check. */
  run_action (machine, gb_machine_shutdown_async, gb_machine_shutdown_finish);
  pair[0] = machine;
  pair[1] = GINT_TO_POINTER (GB_MACHINE_STATE_SHUTOFF);
  g_assert_false (gb_test_wait_until (machine_state_is, pair, ACPI_GRACE_SEC));
  /* Still running in libvirt's eyes; ours says the request is pending
   * ("Shutting down…") until the machine stops. */
  g_assert_cmpint (gb_machine_get_state (machine), ==, GB_MACHINE_STATE_SHUTTING_DOWN);

  /* The guest powers itself off when told so on its console: SHUTOFF by event. */
  before = states->len;
  g_assert_cmpint (virStreamSend (console.stream, "off\n", 4), ==, 4);
  pair[1] = GINT_TO_POINTER (GB_MACHINE_STATE_SHUTOFF);
  if (!gb_test_wait_until (machine_state_is, pair, 60))
    g_error ("Still %s 60 s after \"off\" on the console; it said:\n%s",
             gb_machine_state_to_string (gb_machine_get_state (machine)), console.text->str);
  g_assert_nonnull (strstr (console.text->str, "GLASSBOX-GUEST-DONE 0"));
  gb_test_console_close (&console);
  /* libvirt says SHUTDOWN (the guest finished: we read "Shutting down"
   * already since the request), then STOPPED. */
  g_assert_cmpuint (states->len, ==, before + 1);
  g_assert_cmpint (g_array_index (states, GbMachineState, before), ==, GB_MACHINE_STATE_SHUTOFF);
  /* No samples for a machine that is off. */
  gb_machine_get_samples (machine, &n_samples);
  g_assert_cmpuint (n_samples, ==, 0);

  /* Start again, pause, resume, force off: each seen by event. */
  run_action (machine, gb_machine_start_async, gb_machine_start_finish);
  GB_TEST_WAIT_FOR (last_state () == GB_MACHINE_STATE_RUNNING, 30);
  run_action (machine, gb_machine_pause_async, gb_machine_pause_finish);
  GB_TEST_WAIT_FOR (last_state () == GB_MACHINE_STATE_PAUSED, 30);
  run_action (machine, gb_machine_resume_async, gb_machine_resume_finish);
  GB_TEST_WAIT_FOR (last_state () == GB_MACHINE_STATE_RUNNING, 30);
  before = states->len;
  run_action (machine, gb_machine_force_off_async, gb_machine_force_off_finish);
  GB_TEST_WAIT_FOR (last_state () == GB_MACHINE_STATE_SHUTOFF, 30);
  /* Killed by the host: straight to SHUTOFF, no "shutting down" on the way. */
  g_assert_cmpuint (states->len, ==, before + 1);

  /* Start once more, for the delete below. */
  run_action (machine, gb_machine_start_async, gb_machine_start_finish);
  GB_TEST_WAIT_FOR (last_state () == GB_MACHINE_STATE_RUNNING, 30);

  /* Delete a running machine: stopped, undefined, gone from the list. */
  g_signal_handler_disconnect (machine, handler);
  {
    g_autoptr(GAsyncResult) deleted = NULL;
    g_autoptr(GbMachine) hold = g_object_ref (machine);

    gb_machine_delete_async (machine, NULL, NULL, gb_test_store_result, &deleted);
    GB_TEST_WAIT_FOR (deleted != NULL, 30);
    g_assert_true (gb_machine_delete_finish (machine, deleted, &error));
    g_assert_no_error (error);
    GB_TEST_WAIT_FOR (gb_provider_find_machine (provider, DOMAIN_NAME) == NULL, 30);
  }

  g_array_unref (states);
  gb_provider_disconnect (provider);
  g_clear_object (&provider);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  gb_test_libvirt_init ();

  g_test_add_func ("/libvirt/qemu-machine", test_qemu_machine);

  return g_test_run ();
}
