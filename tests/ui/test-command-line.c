/* test-command-line.c — `glassbox --connect URI` opens exactly that connection
 *
 * Runs the application as main() does (g_application_run with a command
 * line), with a different connection remembered in GSettings: only the
 * one given on the command line is opened, and it is not remembered.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>

#include "gb-application.h"
#include "gb-test-gtk-utils.h"
#include "gb-window.h"

#define TIMEOUT_MS 20000

typedef struct {
  GbApplication *app;
  gboolean       checked;
} Fixture;

static gboolean
provider_connected (gpointer data)
{
  GbApplication *app = data;
  GbProvider *provider = gb_application_find_provider (app, "test:///default");

  return provider != NULL && gb_provider_get_state (provider) == GB_PROVIDER_STATE_CONNECTED;
}

static gboolean
check_and_quit (gpointer data)
{
  Fixture *fixture = data;
  GbApplication *app = fixture->app;
  GListModel *providers = gb_application_get_providers (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_auto(GStrv) remembered = NULL;

  g_assert_true (GB_IS_WINDOW (window));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));

  /* Exactly the connection asked for, and it works. */
  g_assert_cmpuint (g_list_model_get_n_items (providers), ==, 1);
  g_assert_nonnull (gb_application_find_provider (app, "test:///default"));
  g_assert_null (gb_application_find_provider (app, "test:///remembered-but-not-asked-for"));
  g_assert_true (gb_test_wait_until_ms (provider_connected, app, TIMEOUT_MS));

  /* For this run only: the remembered list is unchanged. */
  remembered = g_settings_get_strv (gb_application_get_settings (app), "connections");
  g_assert_cmpuint (g_strv_length (remembered), ==, 1);
  g_assert_cmpstr (remembered[0], ==, "test:///remembered-but-not-asked-for");

  fixture->checked = TRUE;
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);

  return G_SOURCE_REMOVE;
}

static void
on_activate (GbApplication *app,
             Fixture       *fixture)
{
  g_idle_add (check_and_quit, fixture);
}

static void
test_connect_option (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  const char *remembered[] = { "test:///remembered-but-not-asked-for", NULL };
  char *argv[] = { (char *) "glassbox", (char *) "--connect", (char *) "test:///default", NULL };
  Fixture fixture = { NULL, FALSE };
  int status;

  g_settings_set_strv (settings, "connections", remembered);

  fixture.app = gb_application_new ();
  status = gb_test_application_run (fixture.app, argv, G_CALLBACK (on_activate), &fixture);

  g_assert_cmpint (status, ==, 0);
  g_assert_true (fixture.checked);
  g_assert_finalize_object (fixture.app);
}

int
main (int   argc,
      char *argv[])
{
  gb_application_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui/command-line/connect", test_connect_option);

  return g_test_run ();
}
