/* test-bundled.c — "This computer (Glassbox)" in the main window
 *
 * With its own data and runtime folders: a machine file for the hlt-loop
 * tiny guest and a broken one.  The bundled provider is listed first, its
 * row says what /dev/kvm offers, both machines are listed (the broken one
 * as Unknown); the machine starts through its row's action, runs in a real
 * glassbox-vmm, and is forced off again.  New Virtual Machine… makes one
 * there from a tiny guest's kernel, which is listed, selected and runs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <adwaita.h>

#include "gb-application.h"
#include "gb-bundled-machine.h"
#include "gb-bundled-provider.h"
#include "gb-machine-creator-window.h"
#include "gb-machine-editor.h"
#include "gb-machine-row.h"
#include "gb-inside-page.h"
#include "gb-stacked-graph.h"
#include "gb-test-gtk-utils.h"
#include "gb-window.h"

#define TIMEOUT_MS 30000

typedef struct {
  GtkWidget  *root;
  const char *text;
  GtkWidget  *row;
} Search;

static gboolean
label_is_shown (gpointer data)
{
  Search *search = data;

  return gb_test_find_label_with_text (search->root, search->text) != NULL;
}

static gboolean
row_is_shown (gpointer data)
{
  Search *search = data;

  search->row = gb_test_find_machine_row (search->root, search->text);
  return search->row != NULL;
}

static gboolean
state_label_is (gpointer data)
{
  Search *search = data;
  GtkWidget *label = gb_test_find_label_with_class (search->row, "machine-state");

  return label != NULL && g_strcmp0 (gtk_label_get_text (GTK_LABEL (label)), search->text) == 0;
}

static gboolean
message_dialog_is_shown (gpointer data)
{
  return gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

static GbProvider *
first_provider (GbApplication *app)
{
  GListModel *providers = gb_application_get_providers (app);
  g_autoptr(GbProvider) provider = g_list_model_get_n_items (providers) > 0 ?
                                   g_list_model_get_item (providers, 0) : NULL;

  return provider;  /* the list keeps it alive */
}

static gboolean
provider_connected (gpointer data)
{
  GbProvider *provider = first_provider (data);

  return provider != NULL && gb_provider_get_state (provider) == GB_PROVIDER_STATE_CONNECTED;
}

static void
write_machines (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "glassbox", "machines", NULL);
  g_autofree char *kernel = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "..", "guests", "hlt-loop.elf", NULL);
  g_autofree char *good = g_build_filename (dir, "5b0e5a44-5d3c-4a57-9d3e-0d6a1c1f2b01.json", NULL);
  g_autofree char *bad = g_build_filename (dir, "half.json", NULL);
  g_autofree char *json = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  json = g_strdup_printf ("{\"name\": \"tiny\", \"uuid\": \"5b0e5a44-5d3c-4a57-9d3e-0d6a1c1f2b01\",\n"
                          " \"kernel\": \"%s\", \"memory\": 32, \"cpus\": 1}\n", kernel);
  g_assert_true (g_file_set_contents (good, json, -1, NULL));
  g_assert_true (g_file_set_contents (bad, "{ \"name\": ", -1, NULL));
}

static void new_machine (GbApplication *app,
                         GtkWindow     *window);

static gboolean
inside_sampled (gpointer data)
{
  return gb_inside_model_get_n_samples (gb_inside_page_get_model (data)) >= 3;
}

static void
test_bundled (void)
{
  g_autoptr(GbApplication) app = gb_test_application_new ();
  g_autofree char *kernel = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "..", "guests", "hlt-loop.elf", NULL);
  const char *connections[] = { "test:///default", NULL };
  const char *explanation = NULL;
  GbProvider *provider;
  GbMachine *machine;
  GtkWindow *window;
  GtkWindow *dialog;
  Search search;
  GPid pid;

  if (!g_file_test (kernel, G_FILE_TEST_EXISTS) || access ("/dev/kvm", R_OK | W_OK) != 0)
    {
      g_test_skip ("needs the tiny guests and a usable /dev/kvm");
      return;
    }

  write_machines ();
  /* Not a first start: no search for a local libvirt connection. */
  g_settings_set_strv (gb_application_get_settings (app), "connections", connections);

  g_application_activate (G_APPLICATION (app));
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (GB_IS_WINDOW (window));
  gtk_window_set_default_size (window, 1100, 760);

  g_assert_true (gb_test_wait_until_ms (provider_connected, app, TIMEOUT_MS));
  provider = first_provider (app);
  g_assert_true (GB_IS_BUNDLED_PROVIDER (provider));

  search = (Search) { GTK_WIDGET (window), "This computer (Glassbox)", NULL };
  g_assert_true (gb_test_wait_until_ms (label_is_shown, &search, TIMEOUT_MS));
  if (gb_bundled_provider_get_kvm_status (GB_BUNDLED_PROVIDER (provider), &explanation) != GB_KVM_STATUS_OK)
    {
      search.text = explanation;
      g_assert_true (gb_test_wait_until_ms (label_is_shown, &search, TIMEOUT_MS));
    }

  /* The broken file is a machine too, in an unknown state. */
  search = (Search) { GTK_WIDGET (window), "half", NULL };
  g_assert_true (gb_test_wait_until_ms (row_is_shown, &search, TIMEOUT_MS));
  search.text = "Unknown";
  g_assert_true (gb_test_wait_until_ms (state_label_is, &search, TIMEOUT_MS));

  search = (Search) { GTK_WIDGET (window), "tiny", NULL };
  g_assert_true (gb_test_wait_until_ms (row_is_shown, &search, TIMEOUT_MS));
  search.text = "Shut off";
  g_assert_true (gb_test_wait_until_ms (state_label_is, &search, TIMEOUT_MS));

  /* Start: a real glassbox-vmm runs the tiny guest. */
  g_assert_true (gtk_widget_activate_action (search.row, "machine.start", NULL));
  search.text = "Running";
  g_assert_true (gb_test_wait_until_ms (state_label_is, &search, TIMEOUT_MS));
  machine = gb_machine_row_get_machine (GB_MACHINE_ROW (search.row));
  pid = gb_bundled_machine_get_pid (GB_BUNDLED_MACHINE (machine));
  g_assert_cmpint (pid, >, 0);

  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
  gb_test_save_png (GTK_WIDGET (window), "bundled.png");

  /* Its Inside page: the VMM's own counters, the guest halting between ticks. */
  gb_window_select_machine (GB_WINDOW (window), machine);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "machine.inside", NULL));
  {
    GtkWidget *inside = gb_test_find_widget (GTK_WIDGET (window), GB_TYPE_INSIDE_PAGE, NULL, NULL);
    GtkWidget *graph;

    g_assert_nonnull (inside);
    g_assert_true (gb_test_wait_until_ms (inside_sampled, inside, TIMEOUT_MS));
    graph = gb_test_find_widget (inside, GB_TYPE_STACKED_GRAPH, NULL, NULL);
    g_assert_nonnull (graph);
    g_assert_cmpfloat (gb_stacked_graph_get_last_total (GB_STACKED_GRAPH (graph)), >, 0);
    gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
    gb_test_save_png (GTK_WIDGET (window), "bundled-inside.png");
    gb_window_set_page (GB_WINDOW (window), "details");
  }

  /* Force off, answering the question. */
  g_assert_true (gtk_widget_activate_action (search.row, "machine.force-off", NULL));
  g_assert_true (gb_test_wait_until_ms (message_dialog_is_shown, NULL, TIMEOUT_MS));
  dialog = gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "force-off");
  gtk_window_destroy (dialog);
  search.text = "Shut off";
  if (!gb_test_wait_until_ms (state_label_is, &search, TIMEOUT_MS))
    {
      kill (pid, SIGKILL);   /* ours: leave nothing running */
      g_error ("the machine did not shut off");
    }

  /* The broken machine's details say what is wrong with its file. */
  {
    Search half = { GTK_WIDGET (window), "half", NULL };
    Search title = { GTK_WIDGET (window), "The machine file cannot be read", NULL };

    g_assert_true (gb_test_wait_until_ms (row_is_shown, &half, TIMEOUT_MS));
    gb_window_select_machine (GB_WINDOW (window), gb_machine_row_get_machine (GB_MACHINE_ROW (half.row)));
    g_assert_true (gb_test_wait_until_ms (label_is_shown, &title, TIMEOUT_MS));
  }

  /* Started again and killed (its PID only): Crashed, and the details
   * show the last lines of its log. */
  g_assert_true (gtk_widget_activate_action (search.row, "machine.start", NULL));
  search.text = "Running";
  g_assert_true (gb_test_wait_until_ms (state_label_is, &search, TIMEOUT_MS));
  pid = gb_bundled_machine_get_pid (GB_BUNDLED_MACHINE (machine));
  g_assert_cmpint (pid, >, 0);
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  search.text = "Crashed";
  g_assert_true (gb_test_wait_until_ms (state_label_is, &search, TIMEOUT_MS));
  gb_window_select_machine (GB_WINDOW (window), machine);
  {
    Search title = { GTK_WIDGET (window), "The virtual machine monitor ended unexpectedly", NULL };

    g_assert_true (gb_test_wait_until_ms (label_is_shown, &title, TIMEOUT_MS));
  }
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
  gb_test_save_png (GTK_WIDGET (window), "bundled-crashed.png");
  gb_window_select_machine (GB_WINDOW (window), NULL);

  new_machine (app, window);

  for (guint i = 0; i < g_list_model_get_n_items (gb_application_get_providers (app)); i++)
    {
      g_autoptr(GbProvider) p = g_list_model_get_item (gb_application_get_providers (app), i);
      gb_provider_disconnect (p);
    }
  gtk_window_destroy (window);
}

static gboolean
creator_is_ready (gpointer data)
{
  GtkWindow *creator = gb_test_find_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW);

  return creator != NULL &&
         gb_machine_creator_get_ready (gb_machine_creator_window_get_creator (GB_MACHINE_CREATOR_WINDOW (creator)));
}

static gboolean
creator_is_gone (gpointer data)
{
  return gb_test_find_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW) == NULL;
}

static gboolean
expected_machine_selected (gpointer data)
{
  return gb_window_get_selected_machine (data) == g_object_get_data (G_OBJECT (data), "gb-expected");
}

/* The row's second line says the system the wizard chose (as libosinfo
 * names it), once the osinfo database has answered. */
static gboolean
os_label_is (gpointer data)
{
  Search *search = data;

  return search->row != NULL &&
         gb_test_find_label_with_text (search->row, search->text) != NULL;
}

static AdwComboRow *
find_combo_row (GtkWidget *root)
{
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      AdwComboRow *found;

      if (ADW_IS_COMBO_ROW (c))
        return ADW_COMBO_ROW (c);
      if ((found = find_combo_row (c)) != NULL)
        return found;
    }
  return NULL;
}

static gboolean
settings_shown (gpointer data)
{
  return g_strcmp0 (gb_window_get_page (GB_WINDOW (data)), "settings") == 0;
}

static gboolean
editor_idle (gpointer data)
{
  return !gb_machine_editor_get_busy (data);
}

static gboolean
machine_has_one_cpu (gpointer data)
{
  GbMachineConfig *config = gb_machine_get_config (data);

  return config != NULL && gb_machine_config_get_n_vcpus (config) == 1;
}

static GtkWidget *
editor_child (GtkWidget  *editor,
              const char *id)
{
  return GTK_WIDGET (gtk_widget_get_template_child (editor, GB_TYPE_MACHINE_EDITOR, id));
}

/* The Settings page of a machine that is off shows its machine file's
 * kernel and command line, no libvirt-only tab, and writes a change of
 * CPUs and command line into the file. */
static void
settings (GtkWindow  *window,
          GbMachine  *machine,
          const char *kernel)
{
  GtkWidget *editor;
  GtkStack *stack;
  g_autofree char *contents = NULL;

  gb_window_select_machine (GB_WINDOW (window), machine);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "machine.settings", NULL));
  g_assert_true (gb_test_wait_until_ms (settings_shown, window, TIMEOUT_MS));
  editor = gb_test_find_widget (GTK_WIDGET (window), GB_TYPE_MACHINE_EDITOR, NULL, NULL);
  g_assert_nonnull (editor);
  g_assert_true (gb_test_wait_until_ms (editor_idle, editor, TIMEOUT_MS));

  g_assert_true (gtk_widget_get_visible (editor_child (editor, "boot_group")));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (editor_child (editor, "kernel_row"))), ==, kernel);
  stack = GTK_STACK (editor_child (editor, "stack"));
  g_assert_false (gtk_stack_page_get_visible (gtk_stack_get_page (stack, gtk_stack_get_child_by_name (stack, "devices"))));
  g_assert_cmpstr (gtk_stack_page_get_title (gtk_stack_get_page (stack, gtk_stack_get_child_by_name (stack, "xml"))),
                   ==, "Machine File");
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
  gb_test_save_png (GTK_WIDGET (window), "bundled-settings.png");

  gtk_editable_set_text (GTK_EDITABLE (editor_child (editor, "cmdline_row")), "console=ttyS0 quiet");
  g_assert_true (gtk_widget_activate_action (editor, "editor.apply", NULL));
  g_assert_true (gb_test_wait_until_ms (editor_idle, editor, TIMEOUT_MS));
  g_assert_cmpstr (gb_machine_editor_get_status (GB_MACHINE_EDITOR (editor)), ==, "Applied.");

  gb_machine_editor_set_tab (GB_MACHINE_EDITOR (editor), "cpu");
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (editor_child (editor, "vcpus_spin")), 1);
  g_assert_true (gtk_widget_activate_action (editor, "editor.apply", NULL));
  g_assert_true (gb_test_wait_until_ms (machine_has_one_cpu, machine, TIMEOUT_MS));
  g_assert_true (gb_test_wait_until_ms (editor_idle, editor, TIMEOUT_MS));

  g_assert_true (g_file_get_contents (gb_bundled_machine_get_file (GB_BUNDLED_MACHINE (machine)), &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "\"cmdline\" : \"console=ttyS0 quiet\""));
  g_assert_nonnull (strstr (contents, "\"cpus\" : 1"));
  gb_machine_editor_set_tab (GB_MACHINE_EDITOR (editor), "xml");
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
  gb_test_save_png (GTK_WIDGET (window), "bundled-settings-file.png");
  gb_window_set_page (GB_WINDOW (window), "details");
}

/* New Virtual Machine… on "This computer (Glassbox)": chosen as the place
 * to run beside the test driver, a tiny guest's kernel booted directly; the
 * machine appears under This computer, selected, and runs in a real
 * glassbox-vmm until it is forced off. */
static void
new_machine (GbApplication *app,
             GtkWindow     *window)
{
  g_autofree char *kernel = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "..", "guests", "serial-echo.elf", NULL);
  GbMachineCreatorWindow *creator;
  GbMachineCreator *model;
  GbProvider *bundled;
  GbMachine *machine;
  GtkWindow *dialog;
  g_autofree char *os_name = NULL;
  Search search;
  GPid pid;

  g_assert_true (g_file_test (kernel, G_FILE_TEST_EXISTS));
  bundled = first_provider (app);
  g_assert_true (GB_IS_BUNDLED_PROVIDER (bundled));

  g_action_group_activate_action (G_ACTION_GROUP (app), "new-machine", NULL);
  g_assert_true (gb_test_wait_until_ms (creator_is_ready, NULL, TIMEOUT_MS));
  creator = GB_MACHINE_CREATOR_WINDOW (gb_test_find_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW));
  model = gb_machine_creator_window_get_creator (creator);

  /* This computer is listed first among the places. */
  adw_combo_row_set_selected (find_combo_row (GTK_WIDGET (creator)), 0);
  g_assert_true (gb_machine_creator_window_get_provider (creator) == bundled);
  g_assert_true (gb_test_wait_until_ms (creator_is_ready, NULL, TIMEOUT_MS));
  g_assert_false (gb_machine_creator_offers_source (model, GB_CREATOR_SOURCE_INSTALL_MEDIA));

  gb_machine_creator_set_source_kind (model, GB_CREATOR_SOURCE_DIRECT_KERNEL);
  gb_machine_creator_set_kernel_path (model, kernel);
  /* Source, system, memory, storage, network; no firmware step here. */
  for (guint i = 0; i < 5; i++)
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (creator), "creator.next", NULL));
  g_assert_cmpstr (gb_machine_creator_window_get_page (creator), ==, "summary");
  gb_machine_creator_set_name (model, "echo");
  gb_machine_creator_set_memory_mib (model, gb_machine_creator_get_min_memory_mib (model));
  g_assert_nonnull (gb_machine_creator_get_os (model));
  os_name = g_strdup (osinfo_product_get_name (OSINFO_PRODUCT (gb_machine_creator_get_os (model))));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (creator));
  gb_test_save_png (GTK_WIDGET (creator), "bundled-new-machine.png");

  /* Create (and start): the wizard closes, the machine is listed. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (creator), "creator.create", NULL));
  g_assert_true (gb_test_wait_until_ms (creator_is_gone, NULL, TIMEOUT_MS));
  search = (Search) { GTK_WIDGET (window), "echo", NULL };
  g_assert_true (gb_test_wait_until_ms (row_is_shown, &search, TIMEOUT_MS));
  machine = gb_machine_row_get_machine (GB_MACHINE_ROW (search.row));
  g_assert_true (gb_machine_get_provider (machine) == bundled);
  search.text = "Running";
  g_assert_true (gb_test_wait_until_ms (state_label_is, &search, TIMEOUT_MS));
  pid = gb_bundled_machine_get_pid (GB_BUNDLED_MACHINE (machine));
  g_assert_cmpint (pid, >, 0);
  g_object_set_data (G_OBJECT (window), "gb-expected", machine);
  g_assert_true (gb_test_wait_until_ms (expected_machine_selected, window, TIMEOUT_MS));
  search.text = os_name;
  g_assert_true (gb_test_wait_until_ms (os_label_is, &search, TIMEOUT_MS));
  search.text = "Running";
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
  gb_test_save_png (GTK_WIDGET (window), "bundled-created.png");

  g_assert_true (gtk_widget_activate_action (search.row, "machine.force-off", NULL));
  g_assert_true (gb_test_wait_until_ms (message_dialog_is_shown, NULL, TIMEOUT_MS));
  dialog = gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "force-off");
  gtk_window_destroy (dialog);
  search.text = "Shut off";
  if (!gb_test_wait_until_ms (state_label_is, &search, TIMEOUT_MS))
    {
      kill (pid, SIGKILL);   /* ours: leave nothing running */
      g_error ("the machine did not shut off");
    }
  settings (window, machine, kernel);
  gb_window_select_machine (GB_WINDOW (window), NULL);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *home = g_dir_make_tmp ("glassbox-ui-bundled-XXXXXX", NULL);
  g_autofree char *data = g_build_filename (home, "data", NULL);
  g_autofree char *run = g_build_filename (home, "run", NULL);
  g_autofree char *vmm = NULL;
  int ret;

  /* Our own folders, before GLib reads them; and the provider back on
   * (the other UI tests leave it out). */
  g_assert_nonnull (home);
  g_mkdir (run, 0700);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("XDG_RUNTIME_DIR", run, TRUE);
  g_unsetenv ("GLASSBOX_NO_BUNDLED_PROVIDER");

  gb_application_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);
  vmm = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "..", "..", "hypervisor", "vmm", "glassbox-vmm", NULL);
  g_setenv ("GLASSBOX_VMM", vmm, TRUE);

  g_test_add_func ("/ui/bundled", test_bundled);

  ret = g_test_run ();
  remove_tree (home);
  return ret;
}
