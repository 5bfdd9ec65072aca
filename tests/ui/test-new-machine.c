/* test-new-machine.c — the New Virtual Machine wizard and New Disk dialog from the app
 *
 * `glassbox --connect test:///default --show-domain-creator` opens the
 * wizard on that connection; from the window, "app.new-machine" and
 * "app.new-disk" open the wizard and the dialog on the selected machine's
 * connection, and the wizard gets ready there (it reads the connection's
 * capabilities, pools and networks). When the wizard reports a machine
 * created, the window selects it and shows its console — or, when the user
 * chose to customize it, its details. (The wizard's own steps are tested in
 * tests/creator/; here the wizard is filled in through its model, walked
 * with its Next action and its Create action makes the machine.)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>
#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libvirt-gobject/libvirt-gobject.h>

#include <glib/gstdio.h>

#include "gb-application.h"
#include "gb-creator-osinfo.h"
#include "gb-libvirt-autoptr.h"
#include "gb-libvirt-provider.h"
#include "gb-machine-creator.h"
#include "gb-machine-creator-window.h"
#include "gb-machine-row.h"
#include "gb-new-disk-dialog.h"
#include "gb-test-gtk-utils.h"
#include "gb-window.h"

#define TEST_URI "test:///default"
#define TIMEOUT_MS 30000

static const char *
png_name (const char *stem)
{
  static char name[128];
  const char *lang = g_getenv ("LANGUAGE");

  g_snprintf (name, sizeof name, "%s-%s.png", stem, lang && *lang ? lang : "C");
  return name;
}

static gboolean
creator_shown (gpointer data)
{
  return gb_test_find_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW) != NULL;
}

static gboolean
creator_gone (gpointer data)
{
  return !creator_shown (data);
}

static gboolean
new_disk_shown (gpointer data)
{
  return gb_test_find_dialog (GB_TYPE_NEW_DISK_DIALOG) != NULL;
}

static gboolean
creator_ready (gpointer data)
{
  return gb_machine_creator_get_ready (gb_machine_creator_window_get_creator (data));
}

static gboolean
row_is_shown (gpointer data)
{
  return gb_test_find_machine_row (data, "test") != NULL;
}

static char *
connection_uri_of (gpointer window)
{
  g_autoptr(GbProvider) provider = NULL;

  g_object_get (window, "provider", &provider, NULL);
  g_assert_nonnull (provider);
  return g_strdup (gb_provider_get_uri (provider));
}

static void
close_and_wait (GtkWindow *window)
{
  gtk_window_destroy (window);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* --show-domain-creator */

typedef struct {
  GbApplication *app;
  gboolean       checked;
} Fixture;

static gboolean
check_and_quit (gpointer data)
{
  Fixture *fixture = data;
  GbMachineCreatorWindow *creator;
  g_autofree char *uri = NULL;

  g_assert_true (gb_test_wait_until_ms (creator_shown, NULL, TIMEOUT_MS));
  creator = GB_MACHINE_CREATOR_WINDOW (gb_test_find_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW));
  uri = connection_uri_of (creator);
  g_assert_cmpstr (uri, ==, TEST_URI);
  g_assert_true (gb_test_wait_until_ms (creator_ready, creator, TIMEOUT_MS));
  g_assert_cmpstr (gb_machine_creator_window_get_page (creator), ==, "source");
  gb_test_save_png (GTK_WIDGET (creator), png_name ("show-domain-creator"));

  fixture->checked = TRUE;
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "quit", NULL);
  return G_SOURCE_REMOVE;
}

static void
on_activate (GbApplication *app,
             Fixture       *fixture)
{
  g_idle_add (check_and_quit, fixture);
}

static void
test_show_domain_creator (void)
{
  char *argv[] = { (char *) "glassbox", (char *) "--connect", (char *) TEST_URI,
                   (char *) "--show-domain-creator", NULL };
  Fixture fixture = { NULL, FALSE };
  int status;

  fixture.app = gb_application_new ();
  status = gb_test_application_run (fixture.app, argv, G_CALLBACK (on_activate), &fixture);

  g_assert_cmpint (status, ==, 0);
  g_assert_true (fixture.checked);
  g_assert_finalize_object (fixture.app);
}

/* From the window */

typedef struct {
  GtkWidget  *window;
  const char *name;
  const char *page;
} ShownSearch;

static gboolean
machine_page_shown (gpointer data)
{
  ShownSearch *search = data;
  GbMachine *machine = gb_window_get_selected_machine (GB_WINDOW (search->window));

  return machine != NULL && g_strcmp0 (gb_machine_get_name (machine), search->name) == 0 &&
         g_strcmp0 (gb_window_get_page (GB_WINDOW (search->window)), search->page) == 0;
}

typedef struct {
  GbMachineCreatorWindow *creator;
  const char             *page;
} PageSearch;

static gboolean
page_is_not (gpointer data)
{
  PageSearch *search = data;

  return g_strcmp0 (gb_machine_creator_window_get_page (search->creator), search->page) != 0;
}

/* The wizard, opened from the window, makes the machine itself: a kernel
 * booted directly, the rest left as the wizard proposes; the app reacts to
 * what the wizard then reports. */
static void
created_and_shown (GtkWidget  *window,
                   GbProvider *provider,
                   const char *name,
                   gboolean    customize)
{
  g_autofree char *tmp = g_dir_make_tmp ("gb-new-machine-XXXXXX", NULL);
  g_autofree char *kernel = g_build_filename (tmp, "vmlinuz", NULL);
  GbMachineCreatorWindow *creator;
  GbMachineCreator *model;
  GtkWidget *customize_switch;
  GbMachine *machine;
  ShownSearch search = { window, name, customize ? "details" : "console" };

  /* Whatever was shown before, the new machine's page follows. */
  gb_window_set_page (GB_WINDOW (window), customize ? "console" : "details");

  g_action_group_activate_action (G_ACTION_GROUP (gtk_window_get_application (GTK_WINDOW (window))),
                                  "new-machine", NULL);
  g_assert_true (gb_test_wait_until_ms (creator_shown, NULL, TIMEOUT_MS));
  creator = GB_MACHINE_CREATOR_WINDOW (gb_test_find_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW));
  g_assert_true (gb_test_wait_until_ms (creator_ready, creator, TIMEOUT_MS));
  model = gb_machine_creator_window_get_creator (creator);

  g_assert_true (g_file_set_contents (kernel, "not really a kernel", -1, NULL));
  gb_machine_creator_set_source_kind (model, GB_CREATOR_SOURCE_DIRECT_KERNEL);
  gb_machine_creator_set_kernel_path (model, kernel);
  gb_machine_creator_set_os (model, osinfo_db_get_os (gb_osinfo_peek_db (), "http://debian.org/debian/11"));
  gb_machine_creator_set_name (model, name);
  customize_switch = gb_test_find_widget (GTK_WIDGET (creator), GTK_TYPE_SWITCH, NULL, NULL);
  g_assert_nonnull (customize_switch);
  gtk_switch_set_active (GTK_SWITCH (customize_switch), customize);

  /* Next, page by page, as the user would; then Create. */
  for (guint i = 0; g_strcmp0 (gb_machine_creator_window_get_page (creator), "summary") != 0; i++)
    {
      PageSearch left = { creator, gb_machine_creator_window_get_page (creator) };

      g_assert_cmpuint (i, <, 10);
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (creator), "creator.next", NULL));
      g_assert_true (gb_test_wait_until_ms (page_is_not, &left, TIMEOUT_MS));
    }
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (creator), "creator.create", NULL));
  /* The wizard closes itself once the machine exists. */
  g_assert_true (gb_test_wait_until_ms (creator_gone, NULL, TIMEOUT_MS));

  g_assert_true (gb_test_wait_until_ms (machine_page_shown, &search, TIMEOUT_MS));
  machine = gb_provider_find_machine (provider, name);
  g_assert_nonnull (machine);
  /* Created and started, or (to customize) created and left off. */
  g_assert_cmpint (gb_machine_get_state (machine), ==,
                   customize ? GB_MACHINE_STATE_SHUTOFF : GB_MACHINE_STATE_RUNNING);

  g_unlink (kernel);
  g_rmdir (tmp);
}

static void
test_actions (void)
{
  g_autoptr(GbApplication) app = gb_test_application_new ();
  GtkWidget *window, *row;
  GbMachineCreatorWindow *creator;
  GbProvider *provider;
  g_autofree char *uri = NULL;
  g_autofree char *disk_uri = NULL;

  provider = gb_application_open_connection (app, TEST_URI);
  window = g_object_ref (GTK_WIDGET (gb_window_new (app)));
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 760);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (gb_test_wait_until_ms (row_is_shown, window, TIMEOUT_MS));
  row = gb_test_find_machine_row (window, "test");
  gb_window_select_machine (GB_WINDOW (window), gb_machine_row_get_machine (GB_MACHINE_ROW (row)));

  /* New Virtual Machine… on the selected machine's connection. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "new-machine", NULL);
  g_assert_true (gb_test_wait_until_ms (creator_shown, NULL, TIMEOUT_MS));
  creator = GB_MACHINE_CREATOR_WINDOW (gb_test_find_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW));
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (creator)) == GTK_WINDOW (window));
  uri = connection_uri_of (creator);
  g_assert_cmpstr (uri, ==, TEST_URI);
  g_assert_true (gb_test_wait_until_ms (creator_ready, creator, TIMEOUT_MS));
  gb_test_save_png (GTK_WIDGET (creator), png_name ("new-machine"));
  close_and_wait (GTK_WINDOW (creator));
  g_assert_false (creator_shown (NULL));

  /* New Disk… likewise. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "new-disk", NULL);
  g_assert_true (gb_test_wait_until_ms (new_disk_shown, NULL, TIMEOUT_MS));
  disk_uri = connection_uri_of (gb_test_find_dialog (GB_TYPE_NEW_DISK_DIALOG));
  g_assert_cmpstr (disk_uri, ==, TEST_URI);
  gb_test_save_png (GTK_WIDGET (gb_test_find_dialog (GB_TYPE_NEW_DISK_DIALOG)), png_name ("new-disk"));
  close_and_wait (gb_test_find_dialog (GB_TYPE_NEW_DISK_DIALOG));

  /* A machine created and started: its console; to customize: its details. */
  created_and_shown (window, provider, "gb-wizard-started", FALSE);
  gb_test_save_png (window, png_name ("machine-created-console"));
  created_and_shown (window, provider, "gb-wizard-customize", TRUE);

  gb_window_select_machine (GB_WINDOW (window), NULL);
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (window);
}

int
main (int   argc,
      char *argv[])
{
  gb_application_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);
  /* The PNGs show where things end, not a cross-fade on the way. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  g_test_add_func ("/ui/new-machine/show-domain-creator", test_show_domain_creator);
  g_test_add_func ("/ui/new-machine/actions", test_actions);

  return g_test_run ();
}
