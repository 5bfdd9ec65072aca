/* test-kvm-internals.c — the Inside view of real libvirt domains
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two domains on libvirt's QEMU driver (qemu:///embed?root=<tmpdir>), both
 * booting the hlt-loop tiny guest directly: QEMU starts PVH ELF kernels
 * through their Xen note, and the guest halts between PIT ticks.
 *
 *   <domain type='kvm'>   QEMU on /dev/kvm: libvirt passes KVM's own
 *                         statistics through VIR_DOMAIN_STATS_VM (libvirt
 *                         ≥ 8.9, QEMU ≥ 7.1), and the Inside model shows
 *                         the guest's HLT exits, counted by KVM.
 *   <domain type='qemu'>  TCG: no VM exits exist; the model says "tcg" and
 *                         counts none, so the page explains instead.
 *
 * What is asserted is what the Inside page draws from: GbInsideModel fed
 * by the machine's query_internals, not libvirt's raw parameters.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "gb-inside-model.h"
#include "gb-libvirt-machine.h"
#include "gb-libvirt-private.h"
#include "gb-libvirt-provider.h"
#include "gb-test-libvirt.h"
#include "gb-test-utils.h"

static char *
domain_xml (const char           *name,
            GVirConfigDomainVirtType type,
            const char           *kernel)
{
  /* (libvirt-gconfig 4.0 declares no g_autoptr() cleanups.) */
  GVirConfigDomain *domain = gvir_config_domain_new ();
  GVirConfigDomainOs *os = gvir_config_domain_os_new ();
  char *features[] = { (char *) "acpi", (char *) "apic", NULL };
  char *xml;

  gvir_config_domain_set_virt_type (domain, type);
  gvir_config_domain_set_name (domain, name);
  gvir_config_domain_set_memory (domain, 64 * 1024);  /* KiB */
  gvir_config_domain_set_vcpus (domain, 1);
  gvir_config_domain_set_features (domain, features);
  gvir_config_domain_os_set_os_type (os, GVIR_CONFIG_DOMAIN_OS_TYPE_HVM);
  gvir_config_domain_os_set_arch (os, "x86_64");
  gvir_config_domain_os_set_kernel (os, kernel);
  gvir_config_domain_set_os (domain, os);
  xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (domain));

  g_object_unref (os);
  g_object_unref (domain);
  return xml;
}

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
define (GbProvider               *provider,
        const char               *name,
        GVirConfigDomainVirtType  type,
        const char               *kernel)
{
  g_autofree char *xml = domain_xml (name, type, kernel);
  virDomainPtr dom = virDomainDefineXML (_gb_libvirt_provider_get_handle (provider), xml);

  if (dom == NULL)
    g_error ("Defining %s: %s", name, virGetLastErrorMessage ());
  virDomainFree (dom);
  GB_TEST_WAIT_FOR (gb_provider_find_machine (provider, name) != NULL, 10);
  return gb_provider_find_machine (provider, name);
}

static gboolean
model_counted_halts (gpointer data)
{
  GbInsideModel *model = data;

  return gb_inside_model_get_reason_total (model, GB_INSIDE_REASON_HLT) > 0 &&
         gb_inside_model_get_n_samples (model) >= 2;
}

static gboolean
model_has_samples (gpointer data)
{
  return gb_inside_model_get_n_samples (data) >= 3;
}

static void
test_kvm_and_tcg (void)
{
  g_autofree char *tmp = gb_test_tmpdir_new ("gb-libvirt-kvm-XXXXXX");
  g_autofree char *root = g_build_filename (tmp, "libvirt", NULL);
  g_autofree char *uri = g_strdup_printf ("qemu:///embed?root=%s", root);
  g_autofree char *kernel = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "guests", "hlt-loop.elf", NULL);
  g_autoptr(GbProvider) provider = NULL;
  g_autoptr(GbInsideModel) kvm_model = NULL;
  g_autoptr(GbInsideModel) tcg_model = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GbMachine *kvm, *tcg;

  if (!gb_test_skip_without_program ("qemu-system-x86_64", NULL))
    return;
  if (!g_file_test (kernel, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("the hlt-loop tiny guest is not built (-Dhypervisor=false)");
      return;
    }
  if (g_access ("/dev/kvm", R_OK | W_OK) != 0)
    {
      g_test_skip ("/dev/kvm is missing or not accessible: a type='kvm' domain cannot start here");
      return;
    }

  provider = gb_libvirt_provider_new (uri);
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

  /* KVM: exits counted by KVM itself, read through libvirt. */
  kvm = define (provider, "gb-kvm-guest", GVIR_CONFIG_DOMAIN_VIRT_KVM, kernel);
  if (!run_action (kvm, gb_machine_start_async, gb_machine_start_finish, &error))
    g_error ("Starting the type='kvm' domain: %s", error->message);
  GB_TEST_WAIT_FOR (gb_machine_get_state (kvm) == GB_MACHINE_STATE_RUNNING, 30);

  kvm_model = gb_inside_model_new (kvm);
  gb_inside_model_set_interval (kvm_model, 250);
  gb_inside_model_set_enabled (kvm_model, TRUE);
  GB_TEST_WAIT_FOR (model_counted_halts (kvm_model) || gb_inside_model_get_n_samples (kvm_model) >= 40, 60);
  g_test_message ("kvm domain: accelerator %s, %" G_GUINT64_FORMAT " exits, %" G_GUINT64_FORMAT " of them HLT",
                  gb_inside_model_get_accelerator (kvm_model),
                  gb_inside_model_get_exits (kvm_model),
                  gb_inside_model_get_reason_total (kvm_model, GB_INSIDE_REASON_HLT));
  g_assert_true (gb_inside_model_get_available (kvm_model));
  g_assert_cmpstr (gb_inside_model_get_accelerator (kvm_model), ==, "kvm");
  g_assert_cmpuint (gb_inside_model_get_exits (kvm_model), >, 0);
  g_assert_cmpuint (gb_inside_model_get_reason_total (kvm_model, GB_INSIDE_REASON_HLT), >, 0);
  gb_inside_model_set_enabled (kvm_model, FALSE);
  g_assert_true (run_action (kvm, gb_machine_force_off_async, gb_machine_force_off_finish, &error));
  g_assert_no_error (error);

  /* TCG: no exits to count; the model says which accelerator runs it. */
  tcg = define (provider, "gb-tcg-guest", GVIR_CONFIG_DOMAIN_VIRT_QEMU, kernel);
  if (!run_action (tcg, gb_machine_start_async, gb_machine_start_finish, &error))
    g_error ("Starting the type='qemu' domain: %s", error->message);
  GB_TEST_WAIT_FOR (gb_machine_get_state (tcg) == GB_MACHINE_STATE_RUNNING, 30);
  tcg_model = gb_inside_model_new (tcg);
  gb_inside_model_set_interval (tcg_model, 250);
  gb_inside_model_set_enabled (tcg_model, TRUE);
  GB_TEST_WAIT_FOR (model_has_samples (tcg_model), 60);
  g_assert_cmpstr (gb_inside_model_get_accelerator (tcg_model), ==, "tcg");
  g_assert_cmpuint (gb_inside_model_get_exits (tcg_model), ==, 0);
  gb_inside_model_set_enabled (tcg_model, FALSE);
  g_assert_true (run_action (tcg, gb_machine_force_off_async, gb_machine_force_off_finish, &error));
  g_assert_no_error (error);

  gb_provider_disconnect (provider);
  g_clear_object (&provider);
  gb_test_tmpdir_remove (tmp);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  gb_test_libvirt_init ();
  gb_test_add_ticker ();

  g_test_add_func ("/libvirt/inside/kvm-and-tcg", test_kvm_and_tcg);

  return g_test_run ();
}
