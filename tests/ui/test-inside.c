/* test-inside.c — the Inside page of a running machine and the Lab window
 *
 * A Lab machine (glassbox-vmm running the lab-idle guest, which halts
 * between 1000 timer ticks a second) is shown in a GbInsidePage: after a
 * few samples the graph has HLT exits in it and the vCPU row says so.
 * Then the Lab's first experiment runs to its result table.  PNGs of both
 * are saved (inside-page-LANG.png, lab-LANG.png).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "gb-application.h"
#include "gb-inside-model.h"
#include "gb-inside-page.h"
#include "gb-lab-experiment.h"
#include "gb-lab-machine.h"
#include "gb-lab-window.h"
#include "gb-libvirt-internals.h"
#include "gb-machine-private.h"
#include "gb-stacked-graph.h"
#include "gb-test-gtk-utils.h"
#include "gb-vmm-locate.h"

static const char *
png_name (const char *stem)
{
  static char name[128];
  const char *lang = g_getenv ("LANGUAGE");

  g_snprintf (name, sizeof name, "%s-%s.png", stem, lang && *lang ? lang : "C");
  return name;
}

static gboolean
can_run_guests (void)
{
  g_autofree char *vmm = gb_vmm_find_binary (NULL);
  g_autofree char *guest = gb_lab_find_guest ("lab-idle", NULL);

  if (vmm == NULL || guest == NULL || !g_file_test ("/dev/kvm", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("glassbox-vmm, the Lab's guests or /dev/kvm are missing");
      return FALSE;
    }
  return TRUE;
}

static gboolean
enough_samples (gpointer data)
{
  return gb_inside_model_get_n_samples (data) >= 6;
}

static void
test_inside_page (void)
{
  g_autofree char *guest = NULL;
  g_autoptr(GbLabMachine) machine = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  GtkWidget *window, *page, *graph;
  GbInsideModel *model;
  g_autofree char *vcpu_title = NULL;

  if (!can_run_guests ())
    return;

  guest = gb_lab_find_guest ("lab-idle", NULL);
  gb_lab_machine_launch_async ("lab-idle", guest, "hlt", NULL, NULL, gb_test_store_result, &result);
  machine = gb_lab_machine_launch_finish (gb_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  gb_machine_resume_async (GB_MACHINE (machine), NULL, gb_test_store_result, &result);
  g_assert_true (gb_machine_resume_finish (GB_MACHINE (machine), gb_test_wait_result (&result), &error));
  g_clear_object (&result);

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 820, 1500);
  page = gb_inside_page_new ();
  gtk_window_set_child (GTK_WINDOW (window), page);
  model = gb_inside_page_get_model (GB_INSIDE_PAGE (page));
  gb_inside_model_set_interval (model, 300);
  gb_inside_page_set_machine (GB_INSIDE_PAGE (page), GB_MACHINE (machine));
  gtk_window_present (GTK_WINDOW (window));

  /* Mapped: the model samples by itself. */
  GB_TEST_WAIT_FOR (enough_samples (model), 30);
  g_assert_true (gb_inside_model_get_enabled (model));

  graph = gb_test_find_widget (page, GB_TYPE_STACKED_GRAPH, NULL, NULL);
  g_assert_nonnull (graph);
  g_test_message ("graph: %.0f exits/s at the top, %.0f now",
                  gb_stacked_graph_get_max_total (GB_STACKED_GRAPH (graph)),
                  gb_stacked_graph_get_last_total (GB_STACKED_GRAPH (graph)));
  g_assert_cmpfloat (gb_stacked_graph_get_last_total (GB_STACKED_GRAPH (graph)), >, 100);

  /* The vCPU row, its state in words, and the devices. */
  vcpu_title = g_strdup_printf (_("vCPU %s"), "0");
  g_assert_nonnull (gb_test_find_label_with_text (page, vcpu_title));
  g_assert_nonnull (gb_test_find_label_with_text (page, "serial"));
  g_assert_nonnull (gb_test_find_label_with_text (page, _("Paging on this host")));
  g_assert_true (gtk_widget_is_visible (gb_test_find_label_with_text (page, _("Where guest memory lives"))));

  gtk_test_widget_wait_for_draw (window);
  gb_test_save_png (window, png_name ("inside-page"));
  /* The memory panel (where guest memory lives) is below the screen's
   * edge: its own picture. */
  gb_test_save_png (gtk_widget_get_ancestor (gb_test_find_label_with_text (page, _("Where guest memory lives")),
                                             ADW_TYPE_PREFERENCES_GROUP),
                    png_name ("inside-memory"));

  /* Unmapped: no more sampling. */
  gtk_widget_set_visible (window, FALSE);
  g_assert_false (gb_inside_model_get_enabled (model));

  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
experiment_over (gpointer data)
{
  GbLabExperimentState state = gb_lab_experiment_get_state (data);

  return state == GB_LAB_EXPERIMENT_DONE || state == GB_LAB_EXPERIMENT_FAILED;
}

static void
test_lab (void)
{
  GtkWindow *lab;
  GbLabExperiment *experiment;

  if (!can_run_guests ())
    return;

  lab = gb_lab_window_new (NULL);
  gtk_window_set_default_size (lab, 820, 1400);
  gtk_window_present (lab);
  experiment = gb_lab_window_get_experiment (GB_LAB_WINDOW (lab), 0);
  gb_lab_window_run (GB_LAB_WINDOW (lab), 0);
  g_assert_cmpint (gb_lab_experiment_get_state (experiment), ==, GB_LAB_EXPERIMENT_RUNNING);
  GB_TEST_WAIT_FOR (experiment_over (experiment), 120);
  g_assert_cmpint (gb_lab_experiment_get_state (experiment), ==, GB_LAB_EXPERIMENT_DONE);

  /* The table is on screen: its row titles and the serial port's 8,192. */
  g_assert_nonnull (gb_test_find_label_with_text (GTK_WIDGET (lab), _("8250 serial port")));
  g_assert_nonnull (gb_test_find_label_with_text (GTK_WIDGET (lab), _("virtio-console")));
  g_assert_cmpfloat (gb_lab_experiment_get_value (experiment, 1, 1), ==, 8192);

  /* Experiments 4 and 5 are there too, with their titles (not run here:
   * tests/unit/test-inside.c runs them). */
  for (guint i = GB_LAB_PAGE_SIZES; i <= GB_LAB_KSM; i++)
    {
      GbLabExperiment *other = gb_lab_window_get_experiment (GB_LAB_WINDOW (lab), i);
      g_autofree char *title = g_strdup_printf (_("Experiment %u: %s"), i + 1, gb_lab_experiment_get_title (other));

      g_assert_cmpint (gb_lab_experiment_get_kind (other), ==, i);
      g_assert_nonnull (gb_test_find_label_with_text (GTK_WIDGET (lab), gb_lab_experiment_get_question (other)));
      g_test_message ("%s", title);
    }

  gtk_test_widget_wait_for_draw (GTK_WIDGET (lab));
  gb_test_save_png (GTK_WIDGET (lab), png_name ("lab"));
  gtk_window_destroy (lab);
}

/* A running libvirt TCG domain, as virDomainListGetStats describes it. */
#define TEST_TYPE_TCG_MACHINE (test_tcg_machine_get_type ())
G_DECLARE_FINAL_TYPE (TestTcgMachine, test_tcg_machine, TEST, TCG_MACHINE, GbMachine)

struct _TestTcgMachine { GbMachine parent_instance; };
G_DEFINE_FINAL_TYPE (TestTcgMachine, test_tcg_machine, GB_TYPE_MACHINE)

static void
tcg_query_async (GbMachine *machine, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  static virTypedParameter params[] = {
    { .field = "vcpu.0.state", .type = VIR_TYPED_PARAM_INT, .value.i = 1 },
    { .field = "vcpu.0.time", .type = VIR_TYPED_PARAM_ULLONG, .value.ul = 800000000 },
    { .field = "balloon.maximum", .type = VIR_TYPED_PARAM_ULLONG, .value.ul = 131072 },
    { .field = "balloon.rss", .type = VIR_TYPED_PARAM_ULLONG, .value.ul = 65536 },
  };
  g_autoptr(GTask) task = g_task_new (machine, cancellable, callback, user_data);

  g_task_return_pointer (task, gb_libvirt_internals_to_json (params, G_N_ELEMENTS (params), "qemu"),
                         (GDestroyNotify) json_node_unref);
}

static JsonNode *
tcg_query_finish (GbMachine *machine, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
test_tcg_machine_class_init (TestTcgMachineClass *klass)
{
  GB_MACHINE_CLASS (klass)->query_internals_async = tcg_query_async;
  GB_MACHINE_CLASS (klass)->query_internals_finish = tcg_query_finish;
}

static void
test_tcg_machine_init (TestTcgMachine *self)
{
}

static gboolean
has_sample (gpointer data)
{
  return gb_inside_model_get_available (data);
}

/* Under TCG there are no VM exits: the page says so and explains why. */
static void
test_tcg (void)
{
  g_autoptr(GbMachine) machine = g_object_new (TEST_TYPE_TCG_MACHINE, "name", "tcg", NULL);
  GtkWidget *window = gtk_window_new ();
  GtkWidget *page = gb_inside_page_new ();
  GtkWidget *tcg_title;

  _gb_machine_set_state (machine, GB_MACHINE_STATE_RUNNING);
  gtk_window_set_default_size (GTK_WINDOW (window), 820, 800);
  gtk_window_set_child (GTK_WINDOW (window), page);
  gb_inside_page_set_machine (GB_INSIDE_PAGE (page), machine);
  gtk_window_present (GTK_WINDOW (window));
  GB_TEST_WAIT_FOR (has_sample (gb_inside_page_get_model (GB_INSIDE_PAGE (page))), 10);

  tcg_title = gb_test_find_label_with_text (page, _("No VM Exits under TCG"));
  g_assert_nonnull (tcg_title);
  g_assert_true (gtk_widget_is_visible (tcg_title));
  /* QEMU's devices are not counted by libvirt: no device panel. */
  {
    GtkWidget *queues = gb_test_find_label_with_text (page, _("Virtqueues"));

    g_assert_true (queues == NULL || !gtk_widget_is_visible (queues));
  }

  gtk_test_widget_wait_for_draw (window);
  gb_test_save_png (window, png_name ("inside-tcg"));
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  gb_application_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  /* In Chinese the page's words must really be Chinese. */
  if (g_str_has_prefix (g_getenv ("LANGUAGE") ? g_getenv ("LANGUAGE") : "", "zh_CN"))
    g_assert_cmpstr (_("Paging on this host"), !=, "Paging on this host");

  g_test_add_func ("/ui/inside/page", test_inside_page);
  g_test_add_func ("/ui/inside/lab", test_lab);
  g_test_add_func ("/ui/inside/tcg", test_tcg);

  return g_test_run ();
}
