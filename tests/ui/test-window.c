/* test-window.c — the main window on libvirt's test driver, as a user sees it
 *
 * Opens test:///default, finds the machine "test" in the list, forces it
 * off through its row's action (answering the confirmation dialog), starts
 * it again, and checks the state label each time; then looks at the details
 * page, saves a PNG of the window and checks that the window is finalized.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>

#include "gb-application.h"
#include "gb-machine-row.h"
#include "gb-test-utils.h"
#include "gb-window.h"

#define TEST_URI "test:///default"
#define TIMEOUT_MS 20000

static GbApplication *app;

typedef struct {
  GtkWidget  *window;
  const char *name;
  GtkWidget  *row;
} RowSearch;

static gboolean
row_is_shown (gpointer data)
{
  RowSearch *search = data;

  search->row = gb_test_find_machine_row (search->window, search->name);
  return search->row != NULL;
}

typedef struct {
  GtkWidget  *root;
  const char *text;
} LabelSearch;

static gboolean
state_label_is (gpointer data)
{
  LabelSearch *search = data;
  GtkWidget *label = gb_test_find_label_with_class (search->root, "machine-state");

  return label != NULL && g_strcmp0 (gtk_label_get_text (GTK_LABEL (label)), search->text) == 0;
}

static gboolean
label_is_shown (gpointer data)
{
  LabelSearch *search = data;

  return gb_test_find_label_with_text (search->root, search->text) != NULL;
}

/* The first figure on the details page is the processor's. */
static gboolean
cpu_figure_shown (gpointer data)
{
  LabelSearch *search = data;
  GtkWidget *label = gb_test_find_label_with_class (search->root, "numeric");
  const char *text = label ? gtk_label_get_text (GTK_LABEL (label)) : "";

  return g_str_has_suffix (text, " %");
}

static gboolean
message_dialog_is_shown (gpointer data)
{
  return gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

static GtkWidget *
open_window (void)
{
  GtkWidget *window;

  gb_application_open_connection (app, TEST_URI);
  window = g_object_ref (GTK_WIDGET (gb_window_new (app)));
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 760);
  gtk_window_present (GTK_WINDOW (window));

  return window;
}

static void
close_window (GtkWidget *window)
{
  gtk_window_destroy (GTK_WINDOW (window));
  /* Let pending async results (which hold weak references only) drain. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (window);
}

static void
test_window_lifecycle (void)
{
  GtkWidget *window = open_window ();
  RowSearch row = { window, "test", NULL };
  LabelSearch state = { NULL, NULL };
  GtkWindow *dialog;
  GtkWidget *details;

  /* The machine appears under its connection, running (test:///default
   * starts it). */
  g_assert_true (gb_test_wait_for (row_is_shown, &row, TIMEOUT_MS));
  state.root = row.row;
  state.text = "Running";
  g_assert_true (gb_test_wait_for (state_label_is, &state, TIMEOUT_MS));

  /* The connection's header row says which connection it is. */
  {
    LabelSearch uri = { window, TEST_URI };
    g_assert_true (gb_test_wait_for (label_is_shown, &uri, TIMEOUT_MS));
  }

  /* Force off asks first. */
  g_assert_true (gtk_widget_activate_action (row.row, "machine.force-off", NULL));
  g_assert_true (gb_test_wait_for (message_dialog_is_shown, NULL, TIMEOUT_MS));
  dialog = gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "force-off");
  gtk_window_destroy (dialog);

  state.text = "Shut off";
  g_assert_true (gb_test_wait_for (state_label_is, &state, TIMEOUT_MS));

  /* Start it through the same row's action. */
  g_assert_true (gtk_widget_activate_action (row.row, "machine.start", NULL));
  state.text = "Running";
  g_assert_true (gb_test_wait_for (state_label_is, &state, TIMEOUT_MS));

  /* Selecting it opens its details page with its configuration. */
  gb_window_select_machine (GB_WINDOW (window), gb_machine_row_get_machine (GB_MACHINE_ROW (row.row)));
  g_assert_true (gb_window_get_selected_machine (GB_WINDOW (window)) ==
                 gb_machine_row_get_machine (GB_MACHINE_ROW (row.row)));
  details = gb_test_find_widget (window, g_type_from_name ("GbMachineDetails"), NULL, NULL);
  g_assert_nonnull (details);
  {
    LabelSearch processors = { details, "Processors" };
    LabelSearch disks = { details, "Disks" };
    g_assert_true (gb_test_wait_for (label_is_shown, &processors, TIMEOUT_MS));
    g_assert_true (gb_test_wait_for (label_is_shown, &disks, TIMEOUT_MS));
  }

  /* The graphs follow the machine's samples: the processor figure
   * changes from "Waiting for data…" to a percentage. */
  {
    LabelSearch cpu = { details, NULL };
    g_assert_true (gb_test_wait_for (cpu_figure_shown, &cpu, TIMEOUT_MS));
  }

  gtk_test_widget_wait_for_draw (window);
  gb_test_save_png (window, "window.png");

  /* Leave the machine running for the next test, as the driver had it. */
  gb_window_select_machine (GB_WINDOW (window), NULL);
  close_window (window);
}

static void
test_window_shortcut (void)
{
  GtkWidget *window = open_window ();
  RowSearch row = { window, "test", NULL };
  LabelSearch state = { NULL, "Running" };
  GbMachine *machine;

  g_assert_true (gb_test_wait_for (row_is_shown, &row, TIMEOUT_MS));
  state.root = row.row;
  g_assert_true (gb_test_wait_for (state_label_is, &state, TIMEOUT_MS));
  machine = gb_machine_row_get_machine (GB_MACHINE_ROW (row.row));

  /* Window actions act on the selected machine: pause and resume it. */
  gb_window_select_machine (GB_WINDOW (window), machine);
  g_assert_true (gtk_widget_activate_action (window, "machine.pause", NULL));
  state.text = "Paused";
  g_assert_true (gb_test_wait_for (state_label_is, &state, TIMEOUT_MS));

  g_assert_true (gtk_widget_activate_action (window, "machine.resume", NULL));
  state.text = "Running";
  g_assert_true (gb_test_wait_for (state_label_is, &state, TIMEOUT_MS));

  gb_window_select_machine (GB_WINDOW (window), NULL);
  close_window (window);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  gb_application_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);

  app = gb_test_application_new ();

  g_test_add_func ("/ui/window/lifecycle", test_window_lifecycle);
  g_test_add_func ("/ui/window/pause-resume", test_window_shortcut);

  ret = g_test_run ();

  g_clear_object (&app);
  return ret;
}
