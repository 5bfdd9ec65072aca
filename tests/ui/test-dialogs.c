/* test-dialogs.c — add connection, preferences, shortcuts and about windows
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>

#include "gb-add-connection-dialog.h"
#include "gb-application.h"
#include "gb-preferences-window.h"
#include "gb-test-gtk-utils.h"
#include "gb-window.h"

#define TIMEOUT_MS 20000

static GbApplication *app;

static gboolean
window_of_type_shown (gpointer data)
{
  return gb_test_find_dialog (GPOINTER_TO_SIZE (data)) != NULL;
}

static gboolean
provider_added (gpointer data)
{
  return gb_application_find_provider (app, data) != NULL;
}

static gboolean
has_action_name (GtkWidget *widget,
                 gpointer   data)
{
  return g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), data) == 0;
}

static GtkWidget *
open_window (void)
{
  GtkWidget *window = g_object_ref (GTK_WIDGET (gb_window_new (app)));

  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static void
close_window (GtkWidget *window)
{
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (window);
}

static void
test_add_connection (void)
{
  GtkWidget *window = open_window ();
  GtkWindow *dialog;
  GtkWidget *entry;
  GtkWidget *connect_button;
  AdwMessageDialog *error_dialog;
  GSettings *settings = gb_application_get_settings (app);
  g_auto(GStrv) remembered = NULL;

  gb_application_remove_connection (app, "test:///default");

  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), "add-connection"));
  g_action_group_activate_action (G_ACTION_GROUP (app), "add-connection", NULL);
  g_assert_true (gb_test_wait_until_ms (window_of_type_shown,
                                   GSIZE_TO_POINTER (GB_TYPE_ADD_CONNECTION_DIALOG), TIMEOUT_MS));
  dialog = gb_test_find_dialog (GB_TYPE_ADD_CONNECTION_DIALOG);
  entry = gb_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_ENTRY, NULL, NULL);
  g_assert_nonnull (entry);

  /* The example is shown as the placeholder. */
  g_assert_cmpstr (gtk_entry_get_placeholder_text (GTK_ENTRY (entry)), ==,
                   "qemu+ssh://user@host/system");

  /* An empty URI cannot be submitted: "Connect" is greyed out until
   * something is typed. */
  connect_button = gb_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_BUTTON,
                                        has_action_name, (gpointer) "connection.connect");
  g_assert_nonnull (connect_button);
  g_assert_false (gtk_widget_is_sensitive (connect_button));
  gtk_editable_set_text (GTK_EDITABLE (entry), "   ");
  g_assert_false (gtk_widget_is_sensitive (connect_button));

  /* A URI libvirt refuses: its message is shown, nothing is added, and
   * the URI stays there to be corrected. */
  gtk_editable_set_text (GTK_EDITABLE (entry), "nosuchdriver:///system");
  gtk_widget_activate_action (GTK_WIDGET (dialog), "connection.connect", NULL);
  g_assert_true (gb_test_wait_until_ms (window_of_type_shown,
                                   GSIZE_TO_POINTER (ADW_TYPE_MESSAGE_DIALOG), TIMEOUT_MS));
  error_dialog = ADW_MESSAGE_DIALOG (gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (error_dialog)) == dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (error_dialog), ==,
                   "Could Not Connect to nosuchdriver:///system");
  g_assert_cmpstr (adw_message_dialog_get_body (error_dialog), !=, "");
  g_test_message ("libvirt said: %s", adw_message_dialog_get_body (error_dialog));
  g_assert_null (gb_application_find_provider (app, "nosuchdriver:///system"));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "nosuchdriver:///system");
  gtk_test_widget_wait_for_draw (GTK_WIDGET (error_dialog));
  gb_test_save_png (GTK_WIDGET (error_dialog), "add-connection-error.png");
  adw_message_dialog_response (error_dialog, "close");
  gtk_window_destroy (GTK_WINDOW (error_dialog));

  /* One that works: added, remembered, and the dialog closes. */
  gtk_editable_set_text (GTK_EDITABLE (entry), "test:///default");
  g_assert_true (gtk_widget_is_sensitive (connect_button));
  gtk_widget_activate_action (GTK_WIDGET (dialog), "connection.connect", NULL);
  g_assert_true (gb_test_wait_until_ms (provider_added, (gpointer) "test:///default", TIMEOUT_MS));
  remembered = g_settings_get_strv (settings, "connections");
  g_assert_true (g_strv_contains ((const char * const *) remembered, "test:///default"));
  g_assert_null (gb_test_find_dialog (GB_TYPE_ADD_CONNECTION_DIALOG));

  gb_application_remove_connection (app, "test:///default");
  close_window (window);
}

static void
test_preferences (void)
{
  GtkWidget *window = open_window ();
  GSettings *settings = gb_application_get_settings (app);
  GtkWindow *prefs;
  GtkWidget *toggle;

  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  g_assert_true (gb_test_wait_until_ms (window_of_type_shown,
                                   GSIZE_TO_POINTER (GB_TYPE_PREFERENCES_WINDOW), TIMEOUT_MS));
  prefs = gb_test_find_dialog (GB_TYPE_PREFERENCES_WINDOW);

  /* The switch is bound to the setting, both ways. */
  toggle = gb_test_find_widget (GTK_WIDGET (prefs), GTK_TYPE_SWITCH, NULL, NULL);
  g_assert_nonnull (toggle);
  g_assert_true (g_settings_get_boolean (settings, "confirm-force-off"));
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (toggle)));
  gtk_switch_set_active (GTK_SWITCH (toggle), FALSE);
  g_assert_false (g_settings_get_boolean (settings, "confirm-force-off"));
  g_settings_set_boolean (settings, "confirm-force-off", TRUE);
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (toggle)));

  /* The statistics interval reaches the open connections. */
  {
    GbProvider *provider = gb_application_open_connection (app, "test:///default");
    GtkWidget *spin = gb_test_find_widget (GTK_WIDGET (prefs), GTK_TYPE_SPIN_BUTTON, NULL, NULL);

    g_assert_cmpuint (gb_provider_get_stats_interval (provider), ==, 1000);
    gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 2.5);
    g_assert_cmpfloat (g_settings_get_double (settings, "stats-interval"), ==, 2.5);
    g_assert_cmpuint (gb_provider_get_stats_interval (provider), ==, 2500);
    g_settings_reset (settings, "stats-interval");
    g_assert_cmpuint (gb_provider_get_stats_interval (provider), ==, 1000);
    gb_application_remove_connection (app, "test:///default");
  }

  /* The window's size is remembered. */
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 600);
  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 900);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 600);

  gtk_test_widget_wait_for_draw (GTK_WIDGET (prefs));
  gb_test_save_png (GTK_WIDGET (prefs), "preferences.png");

  gtk_window_destroy (prefs);
  close_window (window);
}

static void
test_shortcuts_and_about (void)
{
  GtkWidget *window = open_window ();
  GtkWindow *shortcuts, *about;
  const char * const *accels;

  /* GtkApplication gives every window its help overlay from the resource. */
  g_assert_true (gtk_widget_activate_action (window, "win.show-help-overlay", NULL));
  g_assert_true (gb_test_wait_until_ms (window_of_type_shown,
                                   GSIZE_TO_POINTER (GTK_TYPE_SHORTCUTS_WINDOW), TIMEOUT_MS));
  shortcuts = gb_test_find_dialog (GTK_TYPE_SHORTCUTS_WINDOW);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (shortcuts));
  gb_test_save_png (GTK_WIDGET (shortcuts), "shortcuts.png");
  gtk_widget_set_visible (GTK_WIDGET (shortcuts), FALSE);

  accels = (const char * const *) gtk_application_get_accels_for_action (GTK_APPLICATION (app), "app.quit");
  g_assert_true (g_strv_contains (accels, "<Control>q"));
  g_strfreev ((char **) accels);

  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  g_assert_true (gb_test_wait_until_ms (window_of_type_shown,
                                   GSIZE_TO_POINTER (ADW_TYPE_ABOUT_WINDOW), TIMEOUT_MS));
  about = gb_test_find_dialog (ADW_TYPE_ABOUT_WINDOW);
  g_assert_cmpstr (adw_about_window_get_application_name (ADW_ABOUT_WINDOW (about)), ==, "Glassbox");
  gtk_window_destroy (about);

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

  g_test_add_func ("/ui/dialogs/add-connection", test_add_connection);
  g_test_add_func ("/ui/dialogs/preferences", test_preferences);
  g_test_add_func ("/ui/dialogs/shortcuts-and-about", test_shortcuts_and_about);

  ret = g_test_run ();

  g_clear_object (&app);
  return ret;
}
