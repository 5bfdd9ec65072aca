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

#include <string.h>
#include <glib/gstdio.h>
#include <adwaita.h>
#include <libvirt/libvirt.h>

#include "gb-application.h"
#include "gb-libvirt-machine.h"
#include "gb-libvirt-private.h"
#include "gb-machine-config.h"
#include "gb-machine-row.h"
#include "gb-sparkline.h"
#include "gb-test-gtk-utils.h"
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
  g_assert_true (gb_test_wait_until_ms (row_is_shown, &row, TIMEOUT_MS));
  state.root = row.row;
  state.text = "Running";
  g_assert_true (gb_test_wait_until_ms (state_label_is, &state, TIMEOUT_MS));

  /* The connection's header row says which connection it is. */
  {
    LabelSearch uri = { window, TEST_URI };
    g_assert_true (gb_test_wait_until_ms (label_is_shown, &uri, TIMEOUT_MS));
  }

  /* Force off asks first. */
  g_assert_true (gtk_widget_activate_action (row.row, "machine.force-off", NULL));
  g_assert_true (gb_test_wait_until_ms (message_dialog_is_shown, NULL, TIMEOUT_MS));
  dialog = gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "force-off");
  gtk_window_destroy (dialog);

  state.text = "Shut off";
  g_assert_true (gb_test_wait_until_ms (state_label_is, &state, TIMEOUT_MS));

  /* Start it through the same row's action. */
  g_assert_true (gtk_widget_activate_action (row.row, "machine.start", NULL));
  state.text = "Running";
  g_assert_true (gb_test_wait_until_ms (state_label_is, &state, TIMEOUT_MS));

  /* Selecting it opens its details page with its configuration. */
  gb_window_select_machine (GB_WINDOW (window), gb_machine_row_get_machine (GB_MACHINE_ROW (row.row)));
  g_assert_true (gb_window_get_selected_machine (GB_WINDOW (window)) ==
                 gb_machine_row_get_machine (GB_MACHINE_ROW (row.row)));
  details = gb_test_find_widget (window, g_type_from_name ("GbMachineDetails"), NULL, NULL);
  g_assert_nonnull (details);
  {
    LabelSearch processors = { details, "Processors" };
    LabelSearch disks = { details, "Disks" };
    g_assert_true (gb_test_wait_until_ms (label_is_shown, &processors, TIMEOUT_MS));
    g_assert_true (gb_test_wait_until_ms (label_is_shown, &disks, TIMEOUT_MS));
  }

  /* …and those are this machine's values, as libvirt defines it (see
   * `virsh -c test:///default dumpxml test`), not just the page's titles. */
  {
    GbMachine *machine = gb_machine_row_get_machine (GB_MACHINE_ROW (row.row));
    GbMachineConfig *config = gb_machine_get_config (machine);
    g_autofree char *memory = NULL;
    const GbConfigDisk *disk;
    const GbConfigNic *nic;
    LabelSearch value = { details, NULL };

    g_assert_nonnull (config);
    g_assert_cmpuint (gb_machine_config_get_memory (config), ==, G_GUINT64_CONSTANT (8388608) * 1024);
    memory = g_format_size_full (gb_machine_config_get_memory (config), G_FORMAT_SIZE_IEC_UNITS);
    disk = g_ptr_array_index (gb_machine_config_get_disks (config), 0);
    nic = g_ptr_array_index (gb_machine_config_get_nics (config), 0);

    /* "8.0 GiB", with GLib's no-break space */
    g_assert_true (g_str_has_prefix (memory, "8.0"));
    value.text = memory;
    g_assert_true (gb_test_wait_until_ms (label_is_shown, &value, TIMEOUT_MS));
    value.text = "6695eb01-f6a4-8304-79aa-97f2502e193f";
    g_assert_cmpstr (gb_machine_get_uuid (machine), ==, value.text);
    g_assert_true (gb_test_wait_until_ms (label_is_shown, &value, TIMEOUT_MS));
    value.text = "/guest/diskimage1";
    g_assert_cmpstr (disk->path, ==, value.text);
    g_assert_true (gb_test_wait_until_ms (label_is_shown, &value, TIMEOUT_MS));
    value.text = "aa:bb:cc:dd:ee:ff";
    g_assert_cmpstr (nic->mac, ==, value.text);
    g_assert_true (gb_test_wait_until_ms (label_is_shown, &value, TIMEOUT_MS));
  }

  /* The graphs follow the machine's samples: the processor figure
   * changes from "Waiting for data…" to a percentage. */
  {
    LabelSearch cpu = { details, NULL };
    g_assert_true (gb_test_wait_until_ms (cpu_figure_shown, &cpu, TIMEOUT_MS));
  }

  /* The disk and network figures are this machine's rates: two records of
   * its counters, two seconds apart (as the provider's poll would give). */
  {
    GbMachine *machine = gb_machine_row_get_machine (GB_MACHINE_ROW (row.row));
    GbLibvirtRawStats raw = { 0 };
    gint64 t0 = g_get_monotonic_time () + 1000 * G_USEC_PER_SEC;
    g_autofree char *rd = gb_sparkline_format_value (GB_SPARKLINE_FORMAT_RATE, 3 << 20);
    g_autofree char *wr = gb_sparkline_format_value (GB_SPARKLINE_FORMAT_RATE, 40 << 10);
    g_autofree char *rx = gb_sparkline_format_value (GB_SPARKLINE_FORMAT_RATE, 1500);
    g_autofree char *tx = gb_sparkline_format_value (GB_SPARKLINE_FORMAT_RATE, 250);
    g_autofree char *disk = g_strdup_printf ("read %s, write %s", rd, wr);
    g_autofree char *net = g_strdup_printf ("in %s, out %s", rx, tx);
    LabelSearch value = { details, NULL };

    gb_provider_set_stats_interval (gb_machine_get_provider (machine), 0);
    g_strlcpy (raw.uuid, gb_machine_get_uuid (machine), sizeof raw.uuid);
    raw.time_us = t0;
    _gb_libvirt_machine_update_stats (GB_LIBVIRT_MACHINE (machine), &raw);
    raw.time_us = t0 + 2 * G_USEC_PER_SEC;
    raw.rd_bytes = 6 << 20;
    raw.wr_bytes = 80 << 10;
    raw.rx_bytes = 3000;
    raw.tx_bytes = 500;
    _gb_libvirt_machine_update_stats (GB_LIBVIRT_MACHINE (machine), &raw);

    value.text = disk;
    g_assert_true (gb_test_wait_until_ms (label_is_shown, &value, TIMEOUT_MS));
    value.text = net;
    g_assert_true (gb_test_wait_until_ms (label_is_shown, &value, TIMEOUT_MS));
  }

  gtk_test_widget_wait_for_draw (window);
  gb_test_save_png (window, "window.png");

  /* The lower half of the page: disks, interfaces, graphics. */
  {
    GtkWidget *scrolled = gb_test_find_widget (details, GTK_TYPE_SCROLLED_WINDOW, NULL, NULL);
    GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));

    gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
    gtk_test_widget_wait_for_draw (window);
    gb_test_save_png (window, "window-details-end.png");
  }

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

  g_assert_true (gb_test_wait_until_ms (row_is_shown, &row, TIMEOUT_MS));
  state.root = row.row;
  g_assert_true (gb_test_wait_until_ms (state_label_is, &state, TIMEOUT_MS));
  machine = gb_machine_row_get_machine (GB_MACHINE_ROW (row.row));

  /* The row's menu offers what the state allows: a running machine can be
   * paused, not started. */
  {
    GtkWidget *menu_button = gb_test_find_widget (row.row, GTK_TYPE_MENU_BUTTON, NULL, NULL);
    GtkPopover *popover;
    LabelSearch pause_item;

    g_assert_nonnull (menu_button);
    gtk_menu_button_popup (GTK_MENU_BUTTON (menu_button));
    popover = gtk_menu_button_get_popover (GTK_MENU_BUTTON (menu_button));
    g_assert_nonnull (popover);
    pause_item = (LabelSearch) { GTK_WIDGET (popover), "Pause" };
    g_assert_true (gb_test_wait_until_ms (label_is_shown, &pause_item, TIMEOUT_MS));
    g_assert_nonnull (gb_test_find_label_with_text (GTK_WIDGET (popover), "Force Off…"));
    g_assert_null (gb_test_find_label_with_text (GTK_WIDGET (popover), "Start"));
    g_assert_null (gb_test_find_label_with_text (GTK_WIDGET (popover), "Resume"));
    gtk_test_widget_wait_for_draw (GTK_WIDGET (popover));
    gb_test_save_png (GTK_WIDGET (popover), "row-menu.png");
    gtk_menu_button_popdown (GTK_MENU_BUTTON (menu_button));
  }

  /* Window actions act on the selected machine: pause and resume it. */
  gb_window_select_machine (GB_WINDOW (window), machine);
  g_assert_true (gtk_widget_activate_action (window, "machine.pause", NULL));
  state.text = "Paused";
  g_assert_true (gb_test_wait_until_ms (state_label_is, &state, TIMEOUT_MS));

  g_assert_true (gtk_widget_activate_action (window, "machine.resume", NULL));
  state.text = "Running";
  g_assert_true (gb_test_wait_until_ms (state_label_is, &state, TIMEOUT_MS));

  gb_window_select_machine (GB_WINDOW (window), NULL);
  close_window (window);
}

static gboolean
has_icon (GtkWidget *widget,
          gpointer   data)
{
  return g_strcmp0 (gtk_button_get_icon_name (GTK_BUTTON (widget)), data) == 0;
}

static gboolean
row_is_gone (gpointer data)
{
  RowSearch *search = data;

  return gb_test_find_machine_row (search->window, search->name) == NULL;
}

typedef struct {
  const char *path;
  GtkWidget  *check;
} CheckSearch;

static gboolean
check_names_path (GtkWidget *widget,
                  gpointer   data)
{
  const char *label = gtk_check_button_get_label (GTK_CHECK_BUTTON (widget));

  return label != NULL && strstr (label, data) != NULL;
}

static gboolean
has_two_disks (gpointer data)
{
  GbMachine *machine = gb_machine_row_get_machine (GB_MACHINE_ROW (data));
  GbMachineConfig *config = gb_machine_get_config (machine);

  return config != NULL && gb_machine_config_get_disks (config)->len == 2;
}

/* A machine with two disk files; the user ticks one of them in the delete
 * dialog: that one is deleted with the machine, the other is kept. */
static void
test_window_delete (void)
{
  g_autofree char *dir = g_dir_make_tmp ("glassbox-ui-XXXXXX", NULL);
  g_autofree char *kept = g_build_filename (dir, "kept.img", NULL);
  g_autofree char *deleted = g_build_filename (dir, "deleted.img", NULL);
  g_autofree char *xml = NULL;
  GtkWidget *window;
  RowSearch row = { NULL, "deleteme", NULL };
  AdwMessageDialog *dialog;
  GtkWidget *extra, *check_kept, *check_deleted;
  virConnectPtr conn;
  virDomainPtr dom;

  g_assert_nonnull (dir);
  g_assert_true (g_file_set_contents (kept, "kept", -1, NULL));
  g_assert_true (g_file_set_contents (deleted, "deleted", -1, NULL));

  /* test:///default's state is shared by every connection of this process:
   * the provider learns of the new domain by its "defined" event. */
  conn = virConnectOpen (TEST_URI);
  g_assert_nonnull (conn);
  xml = g_strdup_printf ("<domain type='test'><name>deleteme</name>"
                         "<memory unit='MiB'>64</memory><os><type>hvm</type></os><devices>"
                         "<disk type='file' device='disk'><source file='%s'/><target dev='vda' bus='virtio'/></disk>"
                         "<disk type='file' device='disk'><source file='%s'/><target dev='vdb' bus='virtio'/></disk>"
                         "</devices></domain>", kept, deleted);
  dom = virDomainDefineXML (conn, xml);
  g_assert_nonnull (dom);
  virDomainFree (dom);

  window = open_window ();
  row.window = window;
  g_assert_true (gb_test_wait_until_ms (row_is_shown, &row, TIMEOUT_MS));

  /* The definition is read after the event; the dialog lists its disks. */
  g_assert_true (gb_test_wait_until_ms (has_two_disks, row.row, TIMEOUT_MS));
  g_assert_true (gtk_widget_activate_action (row.row, "machine.delete", NULL));
  g_assert_true (gb_test_wait_until_ms (message_dialog_is_shown, NULL, TIMEOUT_MS));
  dialog = ADW_MESSAGE_DIALOG (gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG));

  /* One check box per disk, none ticked unless the user ticks it. */
  extra = adw_message_dialog_get_extra_child (dialog);
  g_assert_nonnull (extra);
  check_kept = gb_test_find_widget (extra, GTK_TYPE_CHECK_BUTTON, check_names_path, kept);
  check_deleted = gb_test_find_widget (extra, GTK_TYPE_CHECK_BUTTON, check_names_path, deleted);
  g_assert_nonnull (check_kept);
  g_assert_nonnull (check_deleted);
  g_assert_false (gtk_check_button_get_active (GTK_CHECK_BUTTON (check_kept)));
  g_assert_false (gtk_check_button_get_active (GTK_CHECK_BUTTON (check_deleted)));

  gtk_check_button_set_active (GTK_CHECK_BUTTON (check_deleted), TRUE);
  gb_test_save_png (GTK_WIDGET (dialog), "delete-dialog.png");
  adw_message_dialog_response (dialog, "delete");
  gtk_window_destroy (GTK_WINDOW (dialog));

  g_assert_true (gb_test_wait_until_ms (row_is_gone, &row, TIMEOUT_MS));
  g_assert_false (g_file_test (deleted, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (kept, G_FILE_TEST_EXISTS));

  close_window (window);
  virConnectClose (conn);
  g_unlink (kept);
  g_rmdir (dir);
}

static gboolean
leaflet_shows (gpointer data)
{
  GtkWidget **pair = data;   /* { leaflet, child } */

  return adw_leaflet_get_folded (ADW_LEAFLET (pair[0])) &&
         adw_leaflet_get_visible_child (ADW_LEAFLET (pair[0])) == pair[1] &&
         !adw_leaflet_get_child_transition_running (ADW_LEAFLET (pair[0]));
}

/* On a narrow window the list and the details page take turns: choosing a
 * machine shows its page, "Back" returns to the list. */
static void
test_window_narrow (void)
{
  GtkWidget *window = open_window ();
  RowSearch row = { window, "test", NULL };
  GtkWidget *leaflet, *details, *content, *back;
  GtkWidget *pair[2];

  gtk_window_set_default_size (GTK_WINDOW (window), 400, 700);
  g_assert_true (gb_test_wait_until_ms (row_is_shown, &row, TIMEOUT_MS));

  leaflet = gb_test_find_widget (window, ADW_TYPE_LEAFLET, NULL, NULL);
  details = gb_test_find_widget (window, g_type_from_name ("GbMachineDetails"), NULL, NULL);
  g_assert_nonnull (leaflet);
  content = gtk_widget_get_ancestor (gtk_widget_get_parent (details), GTK_TYPE_BOX);

  gb_window_select_machine (GB_WINDOW (window), gb_machine_row_get_machine (GB_MACHINE_ROW (row.row)));
  pair[0] = leaflet;
  pair[1] = content;
  g_assert_true (gb_test_wait_until_ms (leaflet_shows, pair, TIMEOUT_MS));
  gtk_test_widget_wait_for_draw (window);
  gb_test_save_png (window, "window-narrow.png");

  back = gb_test_find_widget (content, GTK_TYPE_BUTTON, has_icon, (gpointer) "go-previous-symbolic");
  g_assert_nonnull (back);
  g_assert_true (gtk_widget_get_visible (back));
  g_signal_emit_by_name (back, "clicked");
  /* The sidebar: the box holding the machine list. */
  pair[1] = gtk_widget_get_parent (gb_test_find_widget (window, g_type_from_name ("GbMachineList"), NULL, NULL));
  g_assert_nonnull (pair[1]);
  g_assert_true (gb_test_wait_until_ms (leaflet_shows, pair, TIMEOUT_MS));

  /* Choosing the same machine again opens its page again. */
  g_assert_null (gb_window_get_selected_machine (GB_WINDOW (window)));
  gb_window_select_machine (GB_WINDOW (window), gb_machine_row_get_machine (GB_MACHINE_ROW (row.row)));
  pair[1] = content;
  g_assert_true (gb_test_wait_until_ms (leaflet_shows, pair, TIMEOUT_MS));

  gb_window_select_machine (GB_WINDOW (window), NULL);
  close_window (window);
}

/* With "Ask Before Forcing Off" turned off in Preferences, force off acts
 * at once. */
static void
test_window_force_off_without_asking (void)
{
  GSettings *settings = gb_application_get_settings (app);
  GtkWidget *window = open_window ();
  RowSearch row = { window, "test", NULL };
  LabelSearch state = { NULL, "Running" };

  g_assert_true (gb_test_wait_until_ms (row_is_shown, &row, TIMEOUT_MS));
  state.root = row.row;
  g_assert_true (gb_test_wait_until_ms (state_label_is, &state, TIMEOUT_MS));

  g_settings_set_boolean (settings, "confirm-force-off", FALSE);
  g_assert_true (gtk_widget_activate_action (row.row, "machine.force-off", NULL));
  g_assert_null (gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG));
  state.text = "Shut off";
  g_assert_true (gb_test_wait_until_ms (state_label_is, &state, TIMEOUT_MS));
  g_assert_null (gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG));
  g_settings_reset (settings, "confirm-force-off");

  g_assert_true (gtk_widget_activate_action (row.row, "machine.start", NULL));
  state.text = "Running";
  g_assert_true (gb_test_wait_until_ms (state_label_is, &state, TIMEOUT_MS));

  close_window (window);
}

static gboolean
label_starts_with (GtkWidget *widget,
                   gpointer   data)
{
  return g_str_has_prefix (gtk_label_get_text (GTK_LABEL (widget)), data);
}

static gboolean
toast_is_shown (gpointer data)
{
  LabelSearch *search = data;

  return gb_test_find_widget (search->root, GTK_TYPE_LABEL, label_starts_with,
                              (gpointer) search->text) != NULL;
}

/* When libvirt refuses, its own words reach the user. The machine is
 * stopped behind Glassbox's back (another libvirt client) and, before the
 * event arrives, the user asks to shut it down. */
static void
test_window_libvirt_error (void)
{
  GtkWidget *window = open_window ();
  RowSearch row = { window, "test", NULL };
  LabelSearch state = { NULL, "Running" };
  LabelSearch toast = { window, "Could not shut down “test”: " };
  GtkWidget *label;
  virConnectPtr conn;
  virDomainPtr dom;

  g_assert_true (gb_test_wait_until_ms (row_is_shown, &row, TIMEOUT_MS));
  state.root = row.row;
  g_assert_true (gb_test_wait_until_ms (state_label_is, &state, TIMEOUT_MS));

  conn = virConnectOpen (TEST_URI);
  g_assert_nonnull (conn);
  dom = virDomainLookupByName (conn, "test");
  g_assert_nonnull (dom);
  g_assert_cmpint (virDomainDestroy (dom), ==, 0);

  /* No main loop iteration since: Glassbox still believes it runs. */
  g_assert_true (gtk_widget_activate_action (row.row, "machine.shutdown", NULL));
  g_assert_true (gb_test_wait_until_ms (toast_is_shown, &toast, TIMEOUT_MS));
  label = gb_test_find_widget (window, GTK_TYPE_LABEL, label_starts_with, (gpointer) toast.text);
  g_test_message ("toast: %s", gtk_label_get_text (GTK_LABEL (label)));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (label)), "not running"));

  /* And the list caught up by the event. */
  state.text = "Shut off";
  g_assert_true (gb_test_wait_until_ms (state_label_is, &state, TIMEOUT_MS));

  gtk_test_widget_wait_for_draw (window);
  gb_test_save_png (window, "window-error-toast.png");

  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  state.text = "Running";
  g_assert_true (gb_test_wait_until_ms (state_label_is, &state, TIMEOUT_MS));
  virDomainFree (dom);
  virConnectClose (conn);

  close_window (window);
}

/* A toast shows one line; libvirt's longer messages go to a dialog whole. */
static void
test_window_long_error (void)
{
  GtkWidget *window = open_window ();
  g_autoptr(GString) message = g_string_new ("internal error: ");
  AdwMessageDialog *dialog;

  for (guint i = 0; i < 20; i++)
    g_string_append (message, "the hypervisor said something long; ");

  gb_window_show_error (GB_WINDOW (window), "Could not start “x”", message->str);
  g_assert_true (gb_test_wait_until_ms (message_dialog_is_shown, NULL, TIMEOUT_MS));
  dialog = ADW_MESSAGE_DIALOG (gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Could not start “x”");
  g_assert_cmpstr (adw_message_dialog_get_body (dialog), ==, message->str);
  gtk_window_destroy (GTK_WINDOW (dialog));

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
  g_test_add_func ("/ui/window/delete", test_window_delete);
  g_test_add_func ("/ui/window/long-error", test_window_long_error);
  g_test_add_func ("/ui/window/narrow", test_window_narrow);
  g_test_add_func ("/ui/window/force-off-without-asking", test_window_force_off_without_asking);
  g_test_add_func ("/ui/window/libvirt-error", test_window_libvirt_error);

  ret = g_test_run ();

  g_clear_object (&app);
  return ret;
}
