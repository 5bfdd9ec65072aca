/* test-first-start.c — the very first start opens a local connection by itself
 *
 * With nothing remembered, the app looks for the first local connection
 * that works (qemu:///session, qemu:///system as root, else the embedded
 * driver), shows that it is looking, then lists it, remembers it, and — if
 * it is the embedded driver — says that its machines stop with the app.
 * Opening the QEMU driver can take up to a minute when libvirt re-probes
 * QEMU (DESIGN.md §3), hence the long timeout. `--show-domain-creator` on
 * a first start opens the wizard on that connection once it is found.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <adwaita.h>

#include "gb-application.h"
#include "gb-libvirt-autoptr.h"
#include "gb-machine-creator-window.h"
#include "gb-test-gtk-utils.h"
#include "gb-window.h"

#define TIMEOUT_MS (240 * 1000)

typedef struct {
  GtkWidget  *root;
  const char *text;
} LabelSearch;

static gboolean
label_is_shown (gpointer data)
{
  LabelSearch *search = data;

  return gb_test_find_label_with_text (search->root, search->text) != NULL;
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
test_first_start (void)
{
  g_autoptr(GbApplication) app = gb_test_application_new ();
  g_auto(GStrv) remembered = NULL;
  GtkWindow *window;
  GbProvider *provider;
  LabelSearch looking, uri;

  remembered = g_settings_get_strv (gb_application_get_settings (app), "connections");
  g_assert_cmpuint (g_strv_length (remembered), ==, 0);
  g_clear_pointer (&remembered, g_strfreev);

  g_application_activate (G_APPLICATION (app));
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (GB_IS_WINDOW (window));

  /* While it looks, it says so (rather than "No Connections"). */
  looking = (LabelSearch) { GTK_WIDGET (window), "Opening a Local Connection…" };
  g_assert_true (gb_test_wait_until_ms (label_is_shown, &looking, 5000));

  g_assert_true (gb_test_wait_until_ms (provider_connected, app, TIMEOUT_MS));
  provider = first_provider (app);
  g_test_message ("first start opened %s (%s)", gb_provider_get_uri (provider),
                  gb_provider_get_title (provider));

  uri = (LabelSearch) { GTK_WIDGET (window), gb_provider_get_uri (provider) };
  g_assert_true (gb_test_wait_until_ms (label_is_shown, &uri, 5000));

  /* A fresh embedded driver has no machines, and says so. */
  if (g_list_model_get_n_items (gb_provider_get_machines (provider)) == 0)
    {
      LabelSearch empty = { GTK_WIDGET (window), "No machines on this connection yet." };
      g_assert_true (gb_test_wait_until_ms (label_is_shown, &empty, 5000));
    }

  remembered = g_settings_get_strv (gb_application_get_settings (app), "connections");
  g_assert_true (g_strv_contains ((const char * const *) remembered, gb_provider_get_uri (provider)));

  if (gb_provider_get_transient (provider))
    {
      LabelSearch warning = { GTK_WIDGET (window), "Embedded: its machines stop when Glassbox quits." };
      g_assert_true (g_str_has_prefix (gb_provider_get_uri (provider), "qemu:///embed"));
      g_assert_true (gb_test_wait_until_ms (label_is_shown, &warning, 5000));
    }

  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
  gb_test_save_png (GTK_WIDGET (window), "first-start.png");

  gb_provider_disconnect (provider);
  gtk_window_destroy (window);
}

/* `glassbox --show-domain-creator` on the very first start: the wizard
 * opens on the local connection once it is found, not with an error that
 * there is none. */

typedef struct {
  GbApplication *app;
  char          *uri;
} Fixture;

static gboolean
creator_ready (gpointer data)
{
  GtkWindow *creator = gb_test_find_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW);

  return creator != NULL &&
         gb_machine_creator_get_ready (gb_machine_creator_window_get_creator (GB_MACHINE_CREATOR_WINDOW (creator)));
}

static gboolean
check_creator_and_quit (gpointer data)
{
  Fixture *fixture = data;
  GtkWindow *creator;

  g_assert_true (gb_test_wait_until_ms (creator_ready, NULL, TIMEOUT_MS));
  creator = gb_test_find_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW);
  fixture->uri = g_strdup (gb_provider_get_uri (gb_machine_creator_window_get_provider (GB_MACHINE_CREATOR_WINDOW (creator))));
  g_test_message ("the wizard opened on %s", fixture->uri);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (creator));
  gb_test_save_png (GTK_WIDGET (creator), "first-start-creator.png");

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "quit", NULL);
  return G_SOURCE_REMOVE;
}

static void
on_activate (GbApplication *app,
             Fixture       *fixture)
{
  g_idle_add (check_creator_and_quit, fixture);
}

static void
test_first_start_creator (void)
{
  char *argv[] = { (char *) "glassbox", (char *) "--show-domain-creator", NULL };
  Fixture fixture = { NULL, NULL };
  int status;

  fixture.app = gb_application_new ();
  /* A first start again: nothing remembered. */
  g_settings_reset (gb_application_get_settings (fixture.app), "connections");
  status = gb_test_application_run (fixture.app, argv, G_CALLBACK (on_activate), &fixture);

  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (fixture.uri);
  g_assert_true (g_str_has_prefix (fixture.uri, "qemu:///"));
  g_free (fixture.uri);
  g_assert_finalize_object (fixture.app);

  /* Forgotten again, for the next first start. */
  {
    g_autoptr(GSettings) settings = g_settings_new (APP_ID);

    g_settings_reset (settings, "connections");
  }
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)))
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
  g_autofree char *data_home = g_dir_make_tmp ("glassbox-first-start-XXXXXX", NULL);
  int ret;

  /* A fresh user: nothing remembered, an empty data directory for the
   * embedded driver's root. Before GLib reads it. */
  g_assert_nonnull (data_home);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);

  gb_application_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);

  /* The command line first: its application must not find the other one
   * still registered on the session bus. */
  g_test_add_func ("/ui/first-start-creator", test_first_start_creator);
  g_test_add_func ("/ui/first-start", test_first_start);

  ret = g_test_run ();

  /* The embedded driver leaves its state under data_home; it is ours. */
  remove_tree (data_home);

  return ret;
}
