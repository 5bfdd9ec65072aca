/* test-kvm-internals.c — the Inside view of real libvirt domains
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two domains on libvirt's QEMU driver (qemu:///embed?root=<tmpdir>, one
 * connection for both: opening it may cost ~50 s while QEMU's capabilities
 * are probed), each booting a tiny guest directly: QEMU starts PVH ELF
 * kernels through their Xen note.
 *
 *   <domain type='kvm'>   q35, 2 vCPUs, the counter guest: it halts between
 *                         PIT ticks and prints "count N" on COM1 ten times
 *                         a second, so KVM counts HLT exits and port I/O
 *                         exits.  libvirt passes KVM's own statistics
 *                         through VIR_DOMAIN_STATS_VM/VCPU (libvirt ≥ 8.9,
 *                         QEMU ≥ 7.1, from QEMU's query-stats, which reads
 *                         KVM's binary stats fds — PVM has them too).
 *   <domain type='qemu'>  TCG: no VM exits exist; the model says "tcg" and
 *                         counts none, so the page explains instead.
 *
 * What is asserted is what the Inside page draws from: GbInsideModel fed
 * by GbLibvirtMachine's query_internals, not libvirt's raw parameters.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "gb-inside-item.h"
#include "gb-inside-model.h"
#include "gb-libvirt-machine.h"
#include "gb-libvirt-private.h"
#include "gb-libvirt-provider.h"
#include "gb-test-libvirt.h"
#include "gb-test-utils.h"

static char *tmp;
static GbProvider *provider;
static char *skip_reason;

typedef void (*AsyncFunc) (GbMachine *, GCancellable *, GAsyncReadyCallback, gpointer);
typedef gboolean (*FinishFunc) (GbMachine *, GAsyncResult *, GError **);

static gboolean
run_action (GbMachine  *machine,
            AsyncFunc   async,
            FinishFunc  finish,
            GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  async (machine, NULL, gb_test_store_result, &result);
  GB_TEST_WAIT_FOR (result != NULL, 60);
  return finish (machine, result, error);
}

static GbMachine *
define (const char *name,
        gboolean    kvm,
        const char *machine,
        guint       vcpus,
        const char *kernel)
{
  g_autofree char *xml = gb_test_tiny_domain_xml (name, kvm, machine, vcpus, kernel);
  virDomainPtr dom = virDomainDefineXML (_gb_libvirt_provider_get_handle (provider), xml);

  if (dom == NULL)
    g_error ("Defining %s: %s", name, virGetLastErrorMessage ());
  virDomainFree (dom);
  GB_TEST_WAIT_FOR (gb_provider_find_machine (provider, name) != NULL, 10);
  return gb_provider_find_machine (provider, name);
}

static char *
guest_path (const char *name)
{
  g_autofree char *file = g_strconcat (name, ".elf", NULL);

  return g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "guests", file, NULL);
}

/* The one connection of the program, opened by the first test that needs
 * it; NULL (and the reason in skip_reason) where it cannot be. */
static gboolean
have_provider (void)
{
  g_autofree char *root = NULL;
  g_autofree char *uri = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  if (provider != NULL)
    return TRUE;
  if (skip_reason != NULL)
    {
      g_test_skip (skip_reason);
      return FALSE;
    }

  if (!gb_test_have_program ("qemu-system-x86_64"))
    skip_reason = g_strdup ("qemu-system-x86_64 is not installed");
  else if (g_access ("/dev/kvm", R_OK | W_OK) != 0)
    skip_reason = g_strdup ("/dev/kvm is missing or not accessible: a type='kvm' domain cannot start here");
  if (skip_reason != NULL)
    {
      g_test_skip (skip_reason);
      return FALSE;
    }

  tmp = gb_test_tmpdir_new ("gb-libvirt-kvm-XXXXXX");
  root = g_build_filename (tmp, "libvirt", NULL);
  uri = g_strdup_printf ("qemu:///embed?root=%s", root);
  provider = gb_libvirt_provider_new (uri);
  gb_provider_connect_async (provider, NULL, gb_test_store_result, &result);
  GB_TEST_WAIT_FOR (result != NULL, 150);
  if (!gb_provider_connect_finish (provider, result, &error))
    {
      g_clear_object (&provider);
      if (g_error_matches (error, GB_LIBVIRT_ERROR, VIR_ERR_NO_CONNECT))
        {
          skip_reason = g_strdup_printf ("libvirt's QEMU driver is not available: %s", error->message);
          g_test_skip (skip_reason);
          return FALSE;
        }
      g_error ("Connecting to %s: %s", uri, error->message);
    }
  return TRUE;
}

static guint64
io_and_hlt (GbInsideModel *model,
            guint64       *hlt)
{
  *hlt = gb_inside_model_get_reason_total (model, GB_INSIDE_REASON_HLT);
  return gb_inside_model_get_reason_total (model, GB_INSIDE_REASON_IO);
}

static void
test_kvm (void)
{
  g_autofree char *kernel = guest_path ("counter");
  g_autoptr(GbInsideModel) model = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dump = NULL;
  GbTestConsole console;
  GbMachine *kvm;
  GListModel *vcpus;
  JsonObject *last, *vm;
  guint64 io0, hlt0, other0, io1, hlt1, other1, resident;
  guint n0;

  if (!g_file_test (kernel, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("the counter tiny guest is not built (-Dhypervisor=false)");
      return;
    }
  if (!have_provider ())
    return;

  kvm = define ("gb-kvm-guest", TRUE, "q35", 2, kernel);
  if (!run_action (kvm, gb_machine_start_async, gb_machine_start_finish, &error))
    g_error ("Starting the type='kvm' domain: %s", error->message);
  GB_TEST_WAIT_FOR (gb_machine_get_state (kvm) == GB_MACHINE_STATE_RUNNING, 30);

  /* The guest runs: it counts on its serial port. */
  gb_test_console_open (&console, _gb_libvirt_machine_get_handle (GB_LIBVIRT_MACHINE (kvm)));
  GB_TEST_WAIT_FOR (strstr (console.text->str, "count 3\n") != NULL || console.eof, 60);
  g_assert_nonnull (strstr (console.text->str, "count 3\n"));

  model = gb_inside_model_new (kvm);
  gb_inside_model_set_interval (model, 250);
  gb_inside_model_set_enabled (model, TRUE);
  GB_TEST_WAIT_FOR (gb_inside_model_get_n_samples (model) >= 2, 60);

  last = gb_inside_model_get_last (model);
  vm = json_object_get_object_member (last, "vm");
  dump = json_to_string (json_object_get_member (last, "vm"), FALSE);
  g_test_message ("VIR_DOMAIN_STATS_VM: %u counters (%s)", json_object_get_size (vm), dump);
  /* QEMU asks KVM's VM stats fd (KVM_GET_STATS_FD on the VM): remote_tlb_flush,
   * mmu_*, … — if these are missing, libvirt or QEMU are too old, or the
   * kernel has no binary stats. */
  g_assert_cmpuint (json_object_get_size (vm), >, 0);

  /* Exits by reason move while the guest runs: HLT between ticks, port
   * I/O for every byte it prints (and the UART status reads). */
  n0 = gb_inside_model_get_n_samples (model);
  io0 = io_and_hlt (model, &hlt0);
  other0 = gb_inside_model_get_reason_total (model, GB_INSIDE_REASON_OTHER);
  GB_TEST_WAIT_FOR (gb_inside_model_get_n_samples (model) >= n0 + 8, 60);
  io1 = io_and_hlt (model, &hlt1);
  other1 = gb_inside_model_get_reason_total (model, GB_INSIDE_REASON_OTHER);
  g_test_message ("kvm domain: accelerator %s, %" G_GUINT64_FORMAT " exits (%.0f/s); "
                  "port I/O %" G_GUINT64_FORMAT " → %" G_GUINT64_FORMAT " (%.0f/s), "
                  "HLT %" G_GUINT64_FORMAT " → %" G_GUINT64_FORMAT " (%.0f/s), "
                  "other %" G_GUINT64_FORMAT " → %" G_GUINT64_FORMAT " (%.0f/s)",
                  gb_inside_model_get_accelerator (model),
                  gb_inside_model_get_exits (model), gb_inside_model_get_exits_rate (model),
                  io0, io1, gb_inside_model_get_reason_rate (model, GB_INSIDE_REASON_IO),
                  hlt0, hlt1, gb_inside_model_get_reason_rate (model, GB_INSIDE_REASON_HLT),
                  other0, other1, gb_inside_model_get_reason_rate (model, GB_INSIDE_REASON_OTHER));
  g_assert_true (gb_inside_model_get_available (model));
  g_assert_null (gb_inside_model_get_error (model));
  g_assert_cmpstr (gb_inside_model_get_accelerator (model), ==, "kvm");
  g_assert_cmpuint (hlt1, >, hlt0);
  if (io1 == 0 && gb_inside_host_paging () == GB_INSIDE_PAGING_SHADOW_PVM)
    {
      /* Measured on this host: PVM runs the guest deprivileged, its IN/OUT
       * trap and go through KVM's instruction emulator, and that path
       * exits to QEMU (KVM_EXIT_IO) without counting io_exits — only
       * VT-x's and SVM's I/O intercepts count it.  QEMU reports no exits
       * of its own, so through libvirt these land in "Other". */
      g_test_message ("PVM: KVM's io_exits stays 0 for emulated port I/O; the serial port's exits are in Other");
      g_assert_cmpuint (other1, >, other0);
    }
  else
    g_assert_cmpuint (io1, >, io0);
  g_assert_cmpfloat (gb_inside_model_get_exits_rate (model), >, 0);

  /* Both vCPUs have rows (the second waits for a SIPI that never comes). */
  vcpus = gb_inside_model_get_vcpus (model);
  g_assert_cmpuint (g_list_model_get_n_items (vcpus), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GbInsideItem) item = g_list_model_get_item (vcpus, i);
      g_autofree char *id = g_strdup_printf ("%u", i);

      g_test_message ("vCPU %s: %s, %" G_GUINT64_FORMAT " exits", gb_inside_item_get_name (item),
                      gb_inside_item_get_detail (item), gb_inside_item_get_exits (item));
      g_assert_cmpstr (gb_inside_item_get_name (item), ==, id);
      g_assert_nonnull (gb_inside_item_get_detail (item));
    }
  {
    g_autoptr(GbInsideItem) bsp = g_list_model_get_item (vcpus, 0);

    /* libvirt calls it "running"; KVM's halt_wait_ns says it sleeps. */
    g_assert_cmpstr (gb_inside_item_get_detail (bsp), ==, "halted");
    g_assert_cmpuint (gb_inside_item_get_exits (bsp), >, 0);
  }

  /* Memory: what the domain was given, and a resident QEMU process that
   * holds at least what the guest touched and not absurdly more. */
  resident = gb_inside_model_get_memory_resident (model);
  g_test_message ("memory: %" G_GUINT64_FORMAT " configured, %" G_GUINT64_FORMAT " resident (QEMU's RSS)",
                  gb_inside_model_get_memory_configured (model), resident);
  g_assert_cmpuint (gb_inside_model_get_memory_configured (model), ==, 64 * 1024 * 1024);
  g_assert_cmpuint (resident, >, 1024 * 1024);
  g_assert_cmpuint (resident, <, 2ull * 1024 * 1024 * 1024);

  gb_inside_model_set_enabled (model, FALSE);
  gb_test_console_close (&console);
  g_assert_true (run_action (kvm, gb_machine_force_off_async, gb_machine_force_off_finish, &error));
  g_assert_no_error (error);
}

static gboolean
model_has_samples (gpointer data)
{
  return gb_inside_model_get_n_samples (data) >= 3;
}

static void
test_tcg (void)
{
  g_autofree char *kernel = guest_path ("hlt-loop");
  g_autoptr(GbInsideModel) model = NULL;
  g_autoptr(GError) error = NULL;
  GbMachine *tcg;

  if (!g_file_test (kernel, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("the hlt-loop tiny guest is not built (-Dhypervisor=false)");
      return;
    }
  if (!have_provider ())
    return;

  /* TCG: no exits to count; the model says which accelerator runs it. */
  tcg = define ("gb-tcg-guest", FALSE, NULL, 1, kernel);
  if (!run_action (tcg, gb_machine_start_async, gb_machine_start_finish, &error))
    g_error ("Starting the type='qemu' domain: %s", error->message);
  GB_TEST_WAIT_FOR (gb_machine_get_state (tcg) == GB_MACHINE_STATE_RUNNING, 30);
  model = gb_inside_model_new (tcg);
  gb_inside_model_set_interval (model, 250);
  gb_inside_model_set_enabled (model, TRUE);
  GB_TEST_WAIT_FOR (model_has_samples (model), 60);
  g_assert_cmpstr (gb_inside_model_get_accelerator (model), ==, "tcg");
  g_assert_cmpuint (gb_inside_model_get_exits (model), ==, 0);
  gb_inside_model_set_enabled (model, FALSE);
  g_assert_true (run_action (tcg, gb_machine_force_off_async, gb_machine_force_off_finish, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  gb_test_libvirt_init ();
  gb_test_add_ticker ();

  g_test_add_func ("/libvirt/inside/kvm", test_kvm);
  g_test_add_func ("/libvirt/inside/tcg", test_tcg);

  status = g_test_run ();
  if (provider != NULL)
    {
      gb_provider_disconnect (provider);
      g_clear_object (&provider);
    }
  if (tmp != NULL)
    gb_test_tmpdir_remove (tmp);
  g_free (tmp);
  g_free (skip_reason);
  return status;
}
