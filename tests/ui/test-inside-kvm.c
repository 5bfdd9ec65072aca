/* test-inside-kvm.c — the Inside page of a real libvirt type='kvm' domain
 *
 * libvirt's QEMU driver in-process (qemu:///embed?root=<tmpdir>) runs the
 * counter tiny guest as a PVH kernel under QEMU on /dev/kvm (q35, two
 * vCPUs); the page, fed by GbLibvirtMachine's query_internals
 * (virDomainListGetStats: KVM's own counters), draws a non-empty exits
 * graph and both vCPUs, and hides the device panels libvirt cannot fill.
 * PNG: inside-kvm-LANG.png.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libvirt/virterror.h>

#include "gb-application.h"
#include "gb-inside-model.h"
#include "gb-inside-page.h"
#include "gb-libvirt-machine.h"
#include "gb-libvirt-private.h"
#include "gb-libvirt-provider.h"
#include "gb-stacked-graph.h"
#include "gb-test-gtk-utils.h"
#include "gb-test-libvirt.h"

static const char *
png_name (const char *stem)
{
  static char name[128];
  const char *lang = g_getenv ("LANGUAGE");

  g_snprintf (name, sizeof name, "%s-%s.png", stem, lang && *lang ? lang : "C");
  return name;
}

static gboolean
enough_samples (gpointer data)
{
  GbInsideModel *model = data;

  /* Past SeaBIOS (emulated instruction by instruction under PVM): the
   * guest halts between its 100 timer ticks a second. */
  return gb_inside_model_get_n_samples (model) >= 8 &&
         gb_inside_model_get_reason_rate (model, GB_INSIDE_REASON_HLT) >= 50;
}

static void
test_kvm_page (void)
{
  g_autofree char *tmp = NULL;
  g_autofree char *root = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *vcpu0 = NULL;
  g_autofree char *vcpu1 = NULL;
  g_autoptr(GbProvider) provider = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  virDomainPtr dom;
  GbMachine *machine;
  GtkWidget *window, *page, *graph, *queues;
  GbInsideModel *model;

  if (!g_file_test (GB_COUNTER_GUEST, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("the counter tiny guest is not built (-Dhypervisor=false)");
      return;
    }
  if (!gb_test_skip_without_program ("qemu-system-x86_64", NULL))
    return;
  if (g_access ("/dev/kvm", R_OK | W_OK) != 0)
    {
      g_test_skip ("/dev/kvm is missing or not accessible: a type='kvm' domain cannot start here");
      return;
    }

  tmp = gb_test_tmpdir_new ("gb-ui-kvm-XXXXXX");
  root = g_build_filename (tmp, "libvirt", NULL);
  uri = g_strdup_printf ("qemu:///embed?root=%s", root);
  provider = gb_libvirt_provider_new (uri);
  gb_provider_connect_async (provider, NULL, gb_test_store_result, &result);
  GB_TEST_WAIT_FOR (result != NULL, 150);
  if (!gb_provider_connect_finish (provider, result, &error))
    {
      if (g_error_matches (error, GB_LIBVIRT_ERROR, VIR_ERR_NO_CONNECT))
        {
          g_autofree char *why = g_strdup_printf ("libvirt's QEMU driver is not available: %s", error->message);

          g_test_skip (why);
          gb_test_tmpdir_remove (tmp);
          return;
        }
      g_error ("Connecting to %s: %s", uri, error->message);
    }
  g_clear_object (&result);

  xml = gb_test_tiny_domain_xml ("counter-on-kvm", TRUE, "q35", 2, GB_COUNTER_GUEST);
  dom = virDomainDefineXML (_gb_libvirt_provider_get_handle (provider), xml);
  if (dom == NULL)
    g_error ("Defining the domain: %s", virGetLastErrorMessage ());
  virDomainFree (dom);
  GB_TEST_WAIT_FOR (gb_provider_find_machine (provider, "counter-on-kvm") != NULL, 10);
  machine = gb_provider_find_machine (provider, "counter-on-kvm");
  gb_machine_start_async (machine, NULL, gb_test_store_result, &result);
  if (!gb_machine_start_finish (machine, gb_test_wait_result (&result), &error))
    g_error ("Starting the type='kvm' domain: %s", error->message);
  g_clear_object (&result);
  GB_TEST_WAIT_FOR (gb_machine_get_state (machine) == GB_MACHINE_STATE_RUNNING, 30);

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 820, 780);
  page = gb_inside_page_new ();
  gtk_window_set_child (GTK_WINDOW (window), page);
  model = gb_inside_page_get_model (GB_INSIDE_PAGE (page));
  gb_inside_model_set_interval (model, 300);
  gb_inside_page_set_machine (GB_INSIDE_PAGE (page), machine);
  gtk_window_present (GTK_WINDOW (window));
  GB_TEST_WAIT_FOR (enough_samples (model), 60);

  g_assert_cmpstr (gb_inside_model_get_accelerator (model), ==, "kvm");
  graph = gb_test_find_widget (page, GB_TYPE_STACKED_GRAPH, NULL, NULL);
  g_assert_nonnull (graph);
  g_assert_true (gtk_widget_is_visible (graph));
  g_test_message ("graph: %.0f exits/s now, %.0f at the top",
                  gb_stacked_graph_get_last_total (GB_STACKED_GRAPH (graph)),
                  gb_stacked_graph_get_max_total (GB_STACKED_GRAPH (graph)));
  g_assert_cmpfloat (gb_stacked_graph_get_last_total (GB_STACKED_GRAPH (graph)), >, 0);

  vcpu0 = g_strdup_printf (_("vCPU %s"), "0");
  vcpu1 = g_strdup_printf (_("vCPU %s"), "1");
  g_assert_nonnull (gb_test_find_label_with_text (page, vcpu0));
  g_assert_nonnull (gb_test_find_label_with_text (page, vcpu1));
  g_assert_nonnull (gb_test_find_label_with_text (page, _("Paging on this host")));
  /* libvirt does not count QEMU's device accesses: no device panels. */
  queues = gb_test_find_label_with_text (page, _("Virtqueues"));
  g_assert_true (queues == NULL || !gtk_widget_is_visible (queues));
  g_assert_true (gtk_widget_is_visible (gb_test_find_label_with_text (page, _("Counted by KVM, Read through libvirt"))));
  /* libvirt says nothing of QEMU's memory slots. */
  {
    GtkWidget *layout = gb_test_find_label_with_text (page, _("Where guest memory lives"));

    g_assert_true (layout == NULL || !gtk_widget_is_visible (layout));
  }

  gtk_test_widget_wait_for_draw (window);
  gb_test_save_png (window, png_name ("inside-kvm"));
  gtk_window_destroy (GTK_WINDOW (window));

  gb_machine_force_off_async (machine, NULL, gb_test_store_result, &result);
  g_assert_true (gb_machine_force_off_finish (machine, gb_test_wait_result (&result), &error));
  g_assert_no_error (error);
  gb_provider_disconnect (provider);
  g_clear_object (&provider);
  gb_test_tmpdir_remove (tmp);
}

int
main (int   argc,
      char *argv[])
{
  gb_application_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  gb_test_libvirt_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  g_test_add_func ("/ui/inside/kvm", test_kvm_page);

  return g_test_run ();
}
