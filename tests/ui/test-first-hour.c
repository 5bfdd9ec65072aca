/* test-first-hour.c — what a new user met in their first hour, walked again
 *
 * Keys go through the X server (XTEST on Xvfb) as a user's would:
 *  - wizard-race: "Try a tiny Linux", Next (Alt+Right), and "Installation
 *    media" (Alt+I) while the tiny Linux is still being put together: when
 *    it is ready the wizard stays on the source page, Next stays off and the
 *    kernel fields are not filled in for a source that has none;
 *  - iso-path: " " and "/nonexistent.iso" typed as the ISO path do not pass
 *    the source step, and the second says there is no such file; a real
 *    file passes.
 *  - new-disk: New Disk offers 20 GiB (as the wizard), refuses a raw disk
 *    named .qcow2 (and renames the default name when the format changes),
 *    says what it made in a toast, and offers the same folder next time.
 *  - guidance: with no machine selected the page offers "New Virtual
 *    Machine…"; a paused machine gets a Resume button in the header.
 *  - add-connection: "bogus://x" answers "unknown connection type", not
 *    something about CA certificates.
 *  - summary: with libvirt's "default" network stopped, the wizard's
 *    summary says Create will start it, and walking the wizard up to there
 *    has not started it.
 * PNGs in the language of the run (en, zh_CN).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <adwaita.h>
#include <libvirt/libvirt.h>

#ifdef HAVE_XTEST
# include <gdk/x11/gdkx.h>
# include <X11/extensions/XTest.h>
# include <X11/keysym.h>
#endif

#include "gb-add-connection-dialog.h"
#include "gb-application.h"
#include "gb-machine-creator-window.h"
#include "gb-machine-row.h"
#include "gb-new-disk-dialog.h"
#include "gb-test-gtk-utils.h"
#include "gb-window.h"

#define TEST_URI "test:///default"
#define TIMEOUT_MS 30000

static GbApplication *app;
static GtkWidget *main_window;

static const char *
png_name (const char *stem)
{
  static char name[128];
  const char *lang = g_getenv ("LANGUAGE");

  g_snprintf (name, sizeof name, "%s-%s.png", stem, lang && *lang ? lang : "C");
  return name;
}

static gboolean
creator_ready (gpointer data)
{
  GtkWindow *creator = gb_test_find_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW);

  return creator != NULL &&
         gb_machine_creator_get_ready (gb_machine_creator_window_get_creator (GB_MACHINE_CREATOR_WINDOW (creator)));
}

static gboolean
has_action_name (GtkWidget *widget,
                 gpointer   data)
{
  return g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), data) == 0;
}

/* The wizard's Next button can be pressed. */
static gboolean
next_enabled (GtkWidget *creator)
{
  GtkWidget *next = gb_test_find_widget (creator, GTK_TYPE_BUTTON, has_action_name, (gpointer) "creator.next");

  g_assert_nonnull (next);
  return gtk_widget_is_sensitive (next) && gtk_widget_get_mapped (next);
}

static gboolean
has_title (GtkWidget *widget,
           gpointer   data)
{
  return g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), data) == 0;
}

static gboolean
is_shown_error (GtkWidget *widget,
                gpointer   data)
{
  return gtk_widget_has_css_class (widget, "error") && gtk_widget_is_drawable (widget) &&
         *gtk_label_get_text (GTK_LABEL (widget)) != '\0';
}

static GtkLabel *
shown_error (GtkWidget *root)
{
  return GTK_LABEL (gb_test_find_widget (root, GTK_TYPE_LABEL, is_shown_error, NULL));
}

static gboolean
spinning (GtkWidget *widget,
          gpointer   data)
{
  return gtk_spinner_get_spinning (GTK_SPINNER (widget));
}

static gboolean
nothing_spins (gpointer data)
{
  return gb_test_find_widget (data, GTK_TYPE_SPINNER, spinning, NULL) == NULL;
}

static GtkWidget *
open_wizard (void)
{
  GtkWidget *creator;

  g_action_group_activate_action (G_ACTION_GROUP (app), "new-machine", NULL);
  g_assert_true (gb_test_wait_until_ms (creator_ready, NULL, TIMEOUT_MS));
  creator = GTK_WIDGET (gb_test_find_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW));
  gtk_window_set_default_size (GTK_WINDOW (creator), 760, 720);
  gtk_test_widget_wait_for_draw (creator);
  return creator;
}

static void
close_wizard (GtkWidget *creator)
{
  gtk_window_destroy (GTK_WINDOW (creator));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

#ifdef HAVE_XTEST

typedef struct {
  GtkWidget       *creator;
  GbCreatorSource  kind;
} KindWait;

static gboolean
source_kind_is (gpointer data)
{
  KindWait *wait = data;

  return gb_machine_creator_get_source_kind (gb_machine_creator_window_get_creator (GB_MACHINE_CREATOR_WINDOW (wait->creator))) == wait->kind;
}

static gboolean
tiny_is_being_assembled (gpointer data)
{
  return !nothing_spins (data);
}

static gboolean
page_left_source (gpointer data)
{
  return g_strcmp0 (gb_machine_creator_window_get_page (data), "source") != 0;
}

static void
test_wizard_race (void)
{
  GtkWidget *creator;
  GbMachineCreator *model;
  KindWait wait;

  if (!gb_test_xtest_available (main_window))
    {
      g_test_skip ("the X server has no XTEST extension: keys cannot be pressed");
      return;
    }

  creator = open_wizard ();
  model = gb_machine_creator_window_get_creator (GB_MACHINE_CREATOR_WINDOW (creator));
  wait.creator = creator;
  gb_test_focus_window (creator);

  /* Alt+T: "Try a _tiny Linux"; Alt+Right: Next. */
  gb_test_press (creator, GDK_ALT_MASK, XK_t);
  wait.kind = GB_CREATOR_SOURCE_TINY_LINUX;
  g_assert_true (gb_test_wait_until_ms (source_kind_is, &wait, TIMEOUT_MS));
  gb_test_press (creator, GDK_ALT_MASK, XK_Right);
  g_assert_true (gb_test_wait_until_ms (tiny_is_being_assembled, creator, TIMEOUT_MS));

  /* Meanwhile, Alt+I: "_Installation media", with no path. */
  gb_test_press (creator, GDK_ALT_MASK, XK_i);
  wait.kind = GB_CREATOR_SOURCE_INSTALL_MEDIA;
  g_assert_true (gb_test_wait_until_ms (source_kind_is, &wait, TIMEOUT_MS));
  if (nothing_spins (creator))
    {
      /* The cache was quick: the race was not run. Still check the end. */
      g_test_message ("the tiny Linux was ready before the source changed");
    }

  g_assert_true (gb_test_wait_until_ms (nothing_spins, creator, 180000));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpstr (gb_machine_creator_window_get_page (GB_MACHINE_CREATOR_WINDOW (creator)), ==, "source");
  g_assert_cmpint (gb_machine_creator_get_source_kind (model), ==, GB_CREATOR_SOURCE_INSTALL_MEDIA);
  g_assert_false (next_enabled (creator));
  /* The finished job did not fill in a kernel for a source without one. */
  g_assert_true (gb_machine_creator_get_kernel_path (model) == NULL ||
                 *gb_machine_creator_get_kernel_path (model) == '\0');
  gb_test_save_png (creator, png_name ("wizard-race"));

  /* Back to the tiny Linux: Next puts it together again and moves on. */
  gb_test_press (creator, GDK_ALT_MASK, XK_t);
  wait.kind = GB_CREATOR_SOURCE_TINY_LINUX;
  g_assert_true (gb_test_wait_until_ms (source_kind_is, &wait, TIMEOUT_MS));
  gb_test_press (creator, GDK_ALT_MASK, XK_Right);
  g_assert_true (gb_test_wait_until_ms (page_left_source, creator, 180000));
  g_assert_cmpstr (gb_machine_creator_window_get_page (GB_MACHINE_CREATOR_WINDOW (creator)), !=, "source");
  g_assert_nonnull (gb_machine_creator_get_kernel_path (model));

  close_wizard (creator);
}

static void
test_iso_path (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gb-first-hour-XXXXXX", NULL);
  g_autofree char *iso = g_build_filename (tmp, "real.iso", NULL);
  GtkWidget *creator, *path_row;
  GtkLabel *error;
  KindWait wait;

  if (!gb_test_xtest_available (main_window))
    {
      g_test_skip ("the X server has no XTEST extension: keys cannot be pressed");
      return;
    }

  creator = open_wizard ();
  gb_test_focus_window (creator);
  gb_test_press (creator, GDK_ALT_MASK, XK_i);
  wait.creator = creator;
  wait.kind = GB_CREATOR_SOURCE_INSTALL_MEDIA;
  g_assert_true (gb_test_wait_until_ms (source_kind_is, &wait, TIMEOUT_MS));
  gb_test_settle (creator);

  path_row = gb_test_find_widget (creator, ADW_TYPE_ENTRY_ROW, has_title, (gpointer) _("ISO file or CD device"));
  g_assert_nonnull (path_row);
  /* The keyboard goes to the row's text field. */
  g_assert_true (gtk_widget_grab_focus (gb_test_find_widget (path_row, GTK_TYPE_TEXT, NULL, NULL)));

  /* A space: not a path. */
  gb_test_type_text (creator, " ");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (path_row)), ==, " ");
  g_assert_false (next_enabled (creator));

  /* No such file: Next stays off and the field says why. */
  gtk_editable_set_text (GTK_EDITABLE (path_row), "");
  gb_test_type_text (creator, "/nonexistent.iso");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (path_row)), ==, "/nonexistent.iso");
  g_assert_false (next_enabled (creator));
  error = shown_error (creator);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (gtk_label_get_text (error), "/nonexistent.iso"));
  g_assert_true (gtk_widget_has_css_class (path_row, "error"));
  gb_test_save_png (creator, png_name ("wizard-iso-missing"));
  /* Alt+Right does not pass the step either. */
  gb_test_press (creator, GDK_ALT_MASK, XK_Right);
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpstr (gb_machine_creator_window_get_page (GB_MACHINE_CREATOR_WINDOW (creator)), ==, "source");

  /* A file that is there passes. */
  g_assert_true (g_file_set_contents (iso, "not really an ISO", -1, NULL));
  gtk_editable_set_text (GTK_EDITABLE (path_row), "");
  gb_test_type_text (creator, iso);
  g_assert_null (shown_error (creator));
  g_assert_false (gtk_widget_has_css_class (path_row, "error"));
  g_assert_true (next_enabled (creator));

  close_wizard (creator);
  g_remove (iso);
  g_rmdir (tmp);
}

#else

static void
test_wizard_race (void)
{
  g_test_skip ("built without libXtst (libxtst-dev): keys cannot be pressed");
}

static void
test_iso_path (void)
{
  g_test_skip ("built without libXtst (libxtst-dev): keys cannot be pressed");
}

#endif


static gboolean
new_disk_shown (gpointer data)
{
  return gb_test_find_dialog (GB_TYPE_NEW_DISK_DIALOG) != NULL;
}

static gboolean
new_disk_gone (gpointer data)
{
  return gb_test_find_dialog (GB_TYPE_NEW_DISK_DIALOG) == NULL;
}

static gboolean
has_entry_text (GtkWidget *widget,
                gpointer   data)
{
  return g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (widget)), data) == 0;
}

static gboolean
label_contains (GtkWidget *widget,
                gpointer   data)
{
  return strstr (gtk_label_get_text (GTK_LABEL (widget)), data) != NULL;
}

static gboolean
toast_says_created (gpointer data)
{
  return gb_test_find_widget (main_window, GTK_TYPE_LABEL, label_contains, data) != NULL;
}

static gboolean
dialog_valid (GtkWidget *dialog)
{
  gboolean valid = FALSE;

  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_object_get (dialog, "valid", &valid, NULL);
  return valid;
}

static GtkWidget *
open_new_disk (void)
{
  GtkWidget *dialog;

  g_action_group_activate_action (G_ACTION_GROUP (app), "new-disk", NULL);
  g_assert_true (gb_test_wait_until_ms (new_disk_shown, NULL, TIMEOUT_MS));
  dialog = GTK_WIDGET (gb_test_find_dialog (GB_TYPE_NEW_DISK_DIALOG));
  gtk_test_widget_wait_for_draw (dialog);
  return dialog;
}

static void
test_new_disk (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gb-first-hour-disk-XXXXXX", NULL);
  g_autofree char *made = g_build_filename (tmp, "first.img", NULL);
  g_autofree char *folder = NULL;
  GtkWidget *dialog, *name_row, *size, *error;
  GtkDropDown *unit;

  dialog = open_new_disk ();

  /* 20 GiB, as the wizard. */
  name_row = gb_test_find_widget (dialog, ADW_TYPE_ENTRY_ROW, has_title, (gpointer) _("Name"));
  g_assert_nonnull (name_row);
  size = gb_test_find_widget (dialog, GTK_TYPE_ENTRY, NULL, NULL);
  unit = GTK_DROP_DOWN (gb_test_find_widget (dialog, GTK_TYPE_DROP_DOWN, NULL, NULL));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (size)), ==, "20");
  g_assert_cmpstr (gtk_string_object_get_string (GTK_STRING_OBJECT (gtk_drop_down_get_selected_item (unit))), ==, _("GiB"));
  gb_test_save_png (dialog, png_name ("new-disk-defaults"));

  /* In a folder, raw: the default name follows the format. */
  gb_new_disk_dialog_set_folder (GB_NEW_DISK_DIALOG (dialog), tmp);
  gb_new_disk_dialog_set_format (GB_NEW_DISK_DIALOG (dialog), GB_DISK_FORMAT_RAW);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (name_row)), ==, "disk.img");
  g_assert_true (dialog_valid (dialog));

  /* A raw disk named .qcow2 is refused, and the dialog says why. */
  gtk_editable_set_text (GTK_EDITABLE (name_row), "raw.qcow2");
  g_assert_false (dialog_valid (dialog));
  error = gb_test_find_widget (dialog, GTK_TYPE_LABEL, label_contains, (gpointer) ".qcow2");
  g_assert_nonnull (error);
  g_assert_true (gtk_widget_is_drawable (error));
  gb_test_save_png (dialog, png_name ("new-disk-raw-named-qcow2"));

  /* Created: a toast says what, where, how big. */
  gtk_editable_set_text (GTK_EDITABLE (name_row), "first.img");
  g_assert_true (dialog_valid (dialog));
  g_assert_true (gtk_widget_activate_action (dialog, "disk.create", NULL));
  g_assert_true (gb_test_wait_until_ms (new_disk_gone, NULL, TIMEOUT_MS));
  g_assert_true (g_file_test (made, G_FILE_TEST_IS_REGULAR));
  g_assert_true (gb_test_wait_until_ms (toast_says_created, made, TIMEOUT_MS));
  g_assert_nonnull (gb_test_find_widget (main_window, GTK_TYPE_LABEL, label_contains, (gpointer) "raw"));
  gb_test_save_png (main_window, png_name ("new-disk-toast"));

  /* Next time, the same folder. */
  folder = g_settings_get_string (gb_application_get_settings (app), "new-disk-folder");
  g_assert_cmpstr (folder, ==, tmp);
  dialog = open_new_disk ();
  g_assert_nonnull (gb_test_find_widget (dialog, ADW_TYPE_ENTRY_ROW, has_entry_text, tmp));
  gtk_window_destroy (GTK_WINDOW (dialog));
  while (g_main_context_iteration (NULL, FALSE))
    ;

  g_remove (made);
  g_rmdir (tmp);
}

static gboolean
is_drawable_button (GtkWidget *widget,
                    gpointer   data)
{
  return has_action_name (widget, data) && gtk_widget_is_drawable (widget);
}

static GtkWidget *
shown_button (GtkWidget  *root,
              const char *action)
{
  return gb_test_find_widget (root, GTK_TYPE_BUTTON, is_drawable_button, (gpointer) action);
}

typedef struct {
  GbMachine      *machine;
  GbMachineState  state;
} StateWait;

static gboolean
state_is (gpointer data)
{
  StateWait *wait = data;

  return gb_machine_get_state (wait->machine) == wait->state;
}

static gboolean
resume_shown (gpointer data)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return shown_button (main_window, "machine.resume") != NULL;
}

static void
test_guidance (void)
{
  GtkWidget *button, *row;
  StateWait wait;

  /* No machine selected: New Virtual Machine… right there. */
  gb_window_select_machine (GB_WINDOW (main_window), NULL);
  gtk_test_widget_wait_for_draw (main_window);
  button = shown_button (main_window, "app.new-machine");
  g_assert_nonnull (button);
  gb_test_save_png (main_window, png_name ("empty-state"));
  gtk_widget_activate (button);
  g_assert_true (gb_test_wait_until_ms (creator_ready, NULL, TIMEOUT_MS));
  close_wizard (GTK_WIDGET (gb_test_find_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW)));

  /* Paused: Resume in the header, where Pause was. */
  row = gb_test_find_machine_row (main_window, "test");
  wait.machine = gb_machine_row_get_machine (GB_MACHINE_ROW (row));
  gb_window_select_machine (GB_WINDOW (main_window), wait.machine);
  wait.state = GB_MACHINE_STATE_RUNNING;
  g_assert_true (gb_test_wait_until_ms (state_is, &wait, TIMEOUT_MS));
  g_assert_null (shown_button (main_window, "machine.resume"));
  g_assert_nonnull (shown_button (main_window, "machine.pause"));
  g_assert_true (gtk_widget_activate_action (main_window, "machine.pause", NULL));
  wait.state = GB_MACHINE_STATE_PAUSED;
  g_assert_true (gb_test_wait_until_ms (state_is, &wait, TIMEOUT_MS));
  g_assert_true (gb_test_wait_until_ms (resume_shown, NULL, TIMEOUT_MS));
  g_assert_null (shown_button (main_window, "machine.pause"));
  button = shown_button (main_window, "machine.resume");
  g_assert_true (gtk_widget_is_sensitive (button));
  gb_test_save_png (main_window, png_name ("paused-resume"));
  gtk_widget_activate (button);
  wait.state = GB_MACHINE_STATE_RUNNING;
  g_assert_true (gb_test_wait_until_ms (state_is, &wait, TIMEOUT_MS));
  g_assert_false (resume_shown (NULL));
  gb_window_select_machine (GB_WINDOW (main_window), NULL);
}

static gboolean
add_connection_shown (gpointer data)
{
  return gb_test_find_dialog (GB_TYPE_ADD_CONNECTION_DIALOG) != NULL;
}

static gboolean
message_dialog_shown (gpointer data)
{
  return gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

static void
test_add_connection (void)
{
  GtkWidget *dialog, *entry;
  AdwMessageDialog *message;
  g_autofree char *expected = NULL;

  g_action_group_activate_action (G_ACTION_GROUP (app), "add-connection", NULL);
  g_assert_true (gb_test_wait_until_ms (add_connection_shown, NULL, TIMEOUT_MS));
  dialog = GTK_WIDGET (gb_test_find_dialog (GB_TYPE_ADD_CONNECTION_DIALOG));
  entry = gb_test_find_widget (dialog, GTK_TYPE_ENTRY, NULL, NULL);
  gtk_editable_set_text (GTK_EDITABLE (entry), "bogus://x");
  g_assert_true (gtk_widget_activate_action (dialog, "connection.connect", NULL));
  g_assert_true (gb_test_wait_until_ms (message_dialog_shown, NULL, TIMEOUT_MS));
  message = ADW_MESSAGE_DIALOG (gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG));
  /* Translators' words, in the run's language. */
  expected = g_strdup_printf (_("Unknown connection type “%s”: libvirt knows qemu, test, lxc, xen, ch, bhyve, "
                                "vbox, esx and a few more (qemu:///system, qemu:///session, "
                                "qemu+ssh://host/system …)."), "bogus");
  g_assert_cmpstr (adw_message_dialog_get_body (message), ==, expected);
  g_assert_null (strstr (adw_message_dialog_get_body (message), "CA "));
  gb_test_save_png (GTK_WIDGET (message), png_name ("add-connection-bogus"));
  gtk_window_destroy (GTK_WINDOW (message));
  gtk_window_destroy (GTK_WINDOW (dialog));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static gboolean
shown_row_titled (GtkWidget *widget,
                  gpointer   data)
{
  return has_title (widget, data) && gtk_widget_is_drawable (widget);
}

static void
test_summary_side_effects (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gb-first-hour-sum-XXXXXX", NULL);
  g_autofree char *iso = g_build_filename (tmp, "media.iso", NULL);
  virConnectPtr raw = virConnectOpen (TEST_URI);
  virNetworkPtr net;
  GtkWidget *creator, *path_row, *row;
  GbMachineCreator *model;
  gint64 deadline;

  /* The test driver's state is shared by every test:///default connection:
   * the app's sees the network stopped. */
  g_assert_nonnull (raw);
  net = virNetworkLookupByName (raw, "default");
  g_assert_nonnull (net);
  if (virNetworkIsActive (net) == 1)
    g_assert_cmpint (virNetworkDestroy (net), ==, 0);

  creator = open_wizard ();
  model = gb_machine_creator_window_get_creator (GB_MACHINE_CREATOR_WINDOW (creator));
  g_assert_true (g_file_set_contents (iso, "not really an ISO", -1, NULL));
  gb_machine_creator_set_source_kind (model, GB_CREATOR_SOURCE_INSTALL_MEDIA);
  path_row = gb_test_find_widget (creator, ADW_TYPE_ENTRY_ROW, has_title, (gpointer) _("ISO file or CD device"));
  gtk_editable_set_text (GTK_EDITABLE (path_row), iso);
  gb_machine_creator_set_network_kind (model, GB_CREATOR_NETWORK_NAT);

  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (g_strcmp0 (gb_machine_creator_window_get_page (GB_MACHINE_CREATOR_WINDOW (creator)), "summary") != 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      gtk_widget_activate_action (creator, "creator.next", NULL);
      for (int i = 0; i < 10; i++)
        {
          g_usleep (20000);
          while (g_main_context_iteration (NULL, FALSE))
            ;
        }
    }
  gtk_test_widget_wait_for_draw (creator);

  row = gb_test_find_widget (creator, ADW_TYPE_ACTION_ROW, shown_row_titled, (gpointer) _("Changes to this computer"));
  g_assert_nonnull (row);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "default"));
  gb_test_save_png (creator, png_name ("wizard-summary-changes"));
  /* Nothing was started on the way. */
  g_assert_cmpint (virNetworkIsActive (net), ==, 0);

  close_wizard (creator);
  g_assert_cmpint (virNetworkCreate (net), ==, 0);
  virNetworkFree (net);
  virConnectClose (raw);
  g_remove (iso);
  g_rmdir (tmp);
}

static gboolean
row_is_shown (gpointer data)
{
  return gb_test_find_machine_row (data, "test") != NULL;
}

int
main (int   argc,
      char *argv[])
{
  int status;

  gb_application_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  app = gb_test_application_new ();
  gb_application_open_connection (app, TEST_URI);
  main_window = g_object_ref (GTK_WIDGET (gb_window_new (app)));
  gtk_window_set_default_size (GTK_WINDOW (main_window), 1000, 680);
  gtk_window_present (GTK_WINDOW (main_window));
  g_assert_true (gb_test_wait_until_ms (row_is_shown, main_window, TIMEOUT_MS));

  g_test_add_func ("/ui/first-hour/wizard-race", test_wizard_race);
  g_test_add_func ("/ui/first-hour/iso-path", test_iso_path);
  g_test_add_func ("/ui/first-hour/new-disk", test_new_disk);
  g_test_add_func ("/ui/first-hour/guidance", test_guidance);
  g_test_add_func ("/ui/first-hour/add-connection", test_add_connection);
  g_test_add_func ("/ui/first-hour/summary", test_summary_side_effects);

  status = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (main_window));
  g_object_unref (main_window);
  g_object_unref (app);
  return status;
}
