/* test-console.c — a machine's console page in the main window
 *
 * On libvirt's test driver the machine "test" has no graphics and no
 * console a stream can reach. The console page must say so in words (not
 * crash, not stay blank), follow the machine when it is forced off and
 * started again, and `glassbox --show-domain-console test` must open the
 * window straight on that page (and an unknown name must be reported). PNGs of the screen and serial tabs are
 * saved into the build directory. Run in English and in Simplified Chinese.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <adwaita.h>

#include "gb-application.h"
#include "gb-console-view.h"
#include "gb-machine-row.h"
#include "gb-preferences-window.h"
#include "gb-test-gtk-utils.h"
#include "gb-window.h"

#define TEST_URI "test:///default"
#define TIMEOUT_MS 20000

/* The display's own words, looked up in the same catalogue it uses. */
#define NO_GRAPHICS_MESSAGE \
  _("This machine has no graphical display. Its serial console may still work.")
#define MACHINE_OFF_MESSAGE \
  _("The machine is off. Start it to see its screen.")

static const char *
png_name (const char *stem)
{
  static char name[128];
  const char *lang = g_getenv ("LANGUAGE");

  g_snprintf (name, sizeof name, "%s-%s.png", stem, lang && *lang ? lang : "C");
  return name;
}

static gboolean
row_is_shown (gpointer data)
{
  return gb_test_find_machine_row (data, "test") != NULL;
}

typedef struct {
  GtkWidget  *root;
  const char *text;
} StatusSearch;

static gboolean
status_page_says (GtkWidget *widget,
                  gpointer   data)
{
  return g_strcmp0 (adw_status_page_get_description (ADW_STATUS_PAGE (widget)), data) == 0;
}

/* The serial tab's status line, when it has something to say. */
static GtkWidget *
serial_status_label (GbConsoleView *console)
{
  GtkWidget *label = gb_test_find_widget (GTK_WIDGET (gb_console_view_get_serial_console (console)),
                                          GTK_TYPE_LABEL, NULL, NULL);

  return label != NULL && *gtk_label_get_text (GTK_LABEL (label)) != '\0' ? label : NULL;
}

static gboolean
serial_says_why (gpointer data)
{
  return serial_status_label (data) != NULL;
}

/* The console's screen tab shows an AdwStatusPage with this description. */
static gboolean
console_says (gpointer data)
{
  StatusSearch *search = data;

  return gb_test_find_widget (search->root, ADW_TYPE_STATUS_PAGE,
                              status_page_says, (gpointer) search->text) != NULL;
}

/* The screen is black until the guest draws: a message on it must be drawn
 * in light pixels, or the user sees a black rectangle. A line of text is a
 * few thousand of them; the black screen alone has none. */
static void
assert_readable_on_screen (GbConsoleView *console)
{
  g_autoptr(GdkTexture) texture = gb_test_render (GTK_WIDGET (gb_console_view_get_display (console)));
  guint light = gb_test_count_light_pixels (texture);

  g_test_message ("light pixels on the screen tab: %u", light);
  g_assert_cmpuint (light, >, 1000);
}

static gboolean
is_visible (GtkWidget *widget,
            gpointer   data)
{
  return gtk_widget_is_visible (widget);
}

static gboolean
is_drawable (GtkWidget *widget,
             gpointer   data)
{
  return gtk_widget_is_drawable (widget);
}

static gboolean
machine_state_is (gpointer data)
{
  GbMachine *machine = data;
  GbMachineState wanted = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (machine), "wanted"));

  return gb_machine_get_state (machine) == wanted;
}

static void
wait_for_state (GbMachine      *machine,
                GbMachineState  state)
{
  g_object_set_data (G_OBJECT (machine), "wanted", GINT_TO_POINTER (state));
  g_assert_true (gb_test_wait_until_ms (machine_state_is, machine, TIMEOUT_MS));
}

static void
force_off_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (gb_machine_force_off_finish (GB_MACHINE (object), result, &error));
  g_assert_no_error (error);
}

static void
start_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (gb_machine_start_finish (GB_MACHINE (object), result, &error));
  g_assert_no_error (error);
}

static void
test_console_page (void)
{
  g_autoptr(GbApplication) app = gb_test_application_new ();
  GtkWidget *window, *row, *label;
  GbConsoleView *console;
  GbSerialConsole *serial;
  GbMachine *machine;
  StatusSearch search = { NULL, NULL };

  gb_application_open_connection (app, TEST_URI);
  window = g_object_ref (GTK_WIDGET (gb_window_new (app)));
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 760);
  gtk_window_present (GTK_WINDOW (window));

  g_assert_true (gb_test_wait_until_ms (row_is_shown, window, TIMEOUT_MS));
  row = gb_test_find_machine_row (window, "test");
  machine = gb_machine_row_get_machine (GB_MACHINE_ROW (row));
  wait_for_state (machine, GB_MACHINE_STATE_RUNNING);

  /* Nothing selected: no Details | Console switcher, no console to open. */
  g_assert_null (gb_test_find_widget (window, ADW_TYPE_VIEW_SWITCHER, is_drawable, NULL));
  gtk_widget_activate_action (window, "machine.console", NULL);
  g_assert_cmpstr (gb_window_get_page (GB_WINDOW (window)), ==, "details");

  gb_window_select_machine (GB_WINDOW (window), machine);
  g_assert_cmpstr (gb_window_get_page (GB_WINDOW (window)), ==, "details");
  gtk_test_widget_wait_for_draw (window);
  g_assert_nonnull (gb_test_find_widget (window, ADW_TYPE_VIEW_SWITCHER, is_drawable, NULL));

  /* The "machine.console" action shows the console page of that machine. */
  g_assert_true (gtk_widget_activate_action (window, "machine.console", NULL));
  g_assert_cmpstr (gb_window_get_page (GB_WINDOW (window)), ==, "console");
  console = gb_window_get_console_view (GB_WINDOW (window));
  g_assert_true (gtk_widget_is_drawable (GTK_WIDGET (console)));

  /* Running, but no <graphics>: the console shows what there is, the
   * serial tab; the test driver has no console stream either, which that
   * tab says in words instead of showing a blank terminal. */
  search.root = GTK_WIDGET (console);
  search.text = NO_GRAPHICS_MESSAGE;
  g_assert_true (gb_test_wait_until_ms (console_says, &search, TIMEOUT_MS));
  g_assert_cmpint (gb_display_get_state (gb_console_view_get_display (console)), ==,
                   GB_DISPLAY_STATE_ERROR);
  g_assert_cmpstr (gb_console_view_get_page (console), ==, "serial");
  serial = gb_console_view_get_serial_console (console);
  g_assert_true (gb_test_wait_until_ms (serial_says_why, console, TIMEOUT_MS));
  g_assert_false (gb_serial_console_get_connected (serial));
  label = serial_status_label (console);
  g_assert_true (gtk_widget_is_drawable (label));
  g_test_message ("serial tab says: %s", gtk_label_get_text (GTK_LABEL (label)));
  gb_test_save_png (window, png_name ("console-serial"));

  /* The screen tab says why there is no screen, readably. */
  gb_console_view_set_page (console, "screen");
  g_assert_cmpstr (gb_console_view_get_page (console), ==, "screen");
  assert_readable_on_screen (console);
  gb_test_save_png (window, png_name ("console-screen"));

  /* Fullscreen (Shift+F11 in the console): the screen alone, then back. */
  {
    GtkWidget *list = gb_test_find_widget (window, g_type_from_name ("GbMachineList"), NULL, NULL);

    g_assert_nonnull (list);
    g_assert_true (gtk_widget_is_visible (list));
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (console), "console.fullscreen", NULL));
    g_assert_true (gb_console_view_get_fullscreen (console));
    g_assert_false (gtk_widget_is_visible (list));
    g_assert_null (gb_test_find_widget (window, ADW_TYPE_VIEW_SWITCHER_TITLE, is_visible, NULL));
    gb_test_save_png (window, png_name ("console-fullscreen"));
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (console), "console.fullscreen", NULL));
    g_assert_false (gb_console_view_get_fullscreen (console));
    g_assert_true (gtk_widget_is_visible (list));
    g_assert_nonnull (gb_test_find_widget (window, ADW_TYPE_VIEW_SWITCHER_TITLE, is_visible, NULL));
  }

  /* A narrow window: the console fits, the switcher moves to the bottom. */
  gtk_window_set_default_size (GTK_WINDOW (window), 400, 700);
  gtk_test_widget_wait_for_draw (window);
  g_assert_nonnull (gb_test_find_widget (window, ADW_TYPE_VIEW_SWITCHER_BAR, is_visible, NULL));
  gb_test_save_png (window, png_name ("console-narrow"));
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 760);
  gtk_test_widget_wait_for_draw (window);

  /* Forced off: the console follows and says the machine is off. */
  gb_machine_force_off_async (machine, NULL, force_off_cb, NULL);
  wait_for_state (machine, GB_MACHINE_STATE_SHUTOFF);
  search.text = MACHINE_OFF_MESSAGE;
  g_assert_true (gb_test_wait_until_ms (console_says, &search, TIMEOUT_MS));
  assert_readable_on_screen (console);
  gb_test_save_png (window, png_name ("console-off"));

  /* Started again: the console is opened again. */
  gb_machine_start_async (machine, NULL, start_cb, NULL);
  wait_for_state (machine, GB_MACHINE_STATE_RUNNING);
  search.text = NO_GRAPHICS_MESSAGE;
  g_assert_true (gb_test_wait_until_ms (console_says, &search, TIMEOUT_MS));

  /* The scaling chosen in the console is remembered (GSettings), and a
   * setting changed elsewhere reaches the console. */
  {
    GSettings *settings = gb_application_get_settings (app);
    GbDisplay *display = gb_console_view_get_display (console);

    g_assert_cmpint (g_settings_get_enum (settings, "console-scale-mode"), ==, GB_DISPLAY_SCALE_FIT);
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (console), "console.toggle-scale", NULL));
    g_assert_cmpint (gb_display_get_scale_mode (display), ==, GB_DISPLAY_SCALE_ORIGINAL);
    g_assert_cmpint (g_settings_get_enum (settings, "console-scale-mode"), ==, GB_DISPLAY_SCALE_ORIGINAL);
    g_settings_reset (settings, "console-scale-mode");
    g_assert_cmpint (gb_display_get_scale_mode (display), ==, GB_DISPLAY_SCALE_FIT);

    /* Preferences ▸ Console ▸ Screen Size is the same setting. */
    {
      GbPreferencesWindow *prefs = gb_preferences_window_new (app);
      GtkWidget *scale_row;

      gtk_window_present (GTK_WINDOW (prefs));
      scale_row = gb_test_find_widget (GTK_WIDGET (prefs), ADW_TYPE_COMBO_ROW, NULL, NULL);
      g_assert_nonnull (scale_row);
      g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (scale_row)), ==, 0);
      adw_combo_row_set_selected (ADW_COMBO_ROW (scale_row), 1);
      g_assert_cmpint (gb_display_get_scale_mode (display), ==, GB_DISPLAY_SCALE_ORIGINAL);
      gb_test_save_png (GTK_WIDGET (prefs), png_name ("preferences-console"));
      adw_combo_row_set_selected (ADW_COMBO_ROW (scale_row), 0);
      g_assert_cmpint (gb_display_get_scale_mode (display), ==, GB_DISPLAY_SCALE_FIT);
      gtk_window_destroy (GTK_WINDOW (prefs));
    }

    g_settings_set_string (settings, "console-release-keys", "<Control><Shift>");
    g_assert_cmpstr (gb_display_get_release_accel (display), ==, "<Control><Shift>");
    g_settings_reset (settings, "console-release-keys");
    g_assert_cmpstr (gb_display_get_release_accel (display), ==, "<Control><Alt>");
  }

  /* Back to the details; then nothing selected closes the console. */
  gb_window_set_page (GB_WINDOW (window), "details");
  g_assert_cmpstr (gb_window_get_page (GB_WINDOW (window)), ==, "details");
  gb_window_select_machine (GB_WINDOW (window), NULL);
  g_assert_cmpint (gb_display_get_state (gb_console_view_get_display (console)), ==,
                   GB_DISPLAY_STATE_DISCONNECTED);

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (window);
}

/* `glassbox --connect test:///default --show-domain-console test` */

typedef struct {
  GbApplication *app;
  gboolean       checked;
} Fixture;

static gboolean
console_of_test_shown (gpointer data)
{
  GbApplication *app = data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));
  GbMachine *machine;

  if (!GB_IS_WINDOW (window))
    return FALSE;
  machine = gb_window_get_selected_machine (GB_WINDOW (window));
  return machine != NULL && g_strcmp0 (gb_machine_get_name (machine), "test") == 0 &&
         g_strcmp0 (gb_window_get_page (GB_WINDOW (window)), "console") == 0;
}

static gboolean
check_and_quit (gpointer data)
{
  Fixture *fixture = data;
  GtkWindow *window;
  StatusSearch search = { NULL, NULL };

  g_assert_true (gb_test_wait_until_ms (console_of_test_shown, fixture->app, TIMEOUT_MS));
  window = gtk_application_get_active_window (GTK_APPLICATION (fixture->app));
  search.root = GTK_WIDGET (gb_window_get_console_view (GB_WINDOW (window)));
  search.text = NO_GRAPHICS_MESSAGE;
  g_assert_true (gb_test_wait_until_ms (console_says, &search, TIMEOUT_MS));
  gb_console_view_set_page (gb_window_get_console_view (GB_WINDOW (window)), "screen");
  gb_test_save_png (GTK_WIDGET (window), png_name ("show-domain-console"));

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
test_show_domain_console (void)
{
  char *argv[] = { (char *) "glassbox", (char *) "--connect", (char *) TEST_URI,
                   (char *) "--show-domain-console", (char *) "test", NULL };
  Fixture fixture = { NULL, FALSE };
  int status;

  fixture.app = gb_application_new ();
  status = gb_test_application_run (fixture.app, argv, G_CALLBACK (on_activate), &fixture);

  g_assert_cmpint (status, ==, 0);
  g_assert_true (fixture.checked);
  g_assert_finalize_object (fixture.app);
}

/* `--show-domain-console` with a name the connection does not have: the
 * window says so once the connection has listed its machines. */

typedef struct {
  GtkWidget *root;
  char      *text;
} ToastSearch;

static gboolean
toast_shown (gpointer data)
{
  ToastSearch *search = data;

  return gb_test_find_label_with_text (search->root, search->text) != NULL;
}

static gboolean
check_unknown_and_quit (gpointer data)
{
  Fixture *fixture = data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (fixture->app));
  g_autofree char *message = g_strdup_printf (_("There is no machine “%s” on %s."),
                                              "no-such-machine", TEST_URI);
  ToastSearch search = { GTK_WIDGET (window), NULL };

  g_assert_true (GB_IS_WINDOW (window));
  search.text = g_strdup_printf (_("%s: %s"), _("Cannot open the console"), message);
  g_assert_true (gb_test_wait_until_ms (toast_shown, &search, TIMEOUT_MS));
  g_assert_null (gb_window_get_selected_machine (GB_WINDOW (window)));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));
  g_assert_null (gb_test_find_widget (GTK_WIDGET (window), ADW_TYPE_VIEW_SWITCHER, is_drawable, NULL));
  gb_test_save_png (GTK_WIDGET (window), png_name ("show-domain-console-unknown"));
  g_free (search.text);

  fixture->checked = TRUE;
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "quit", NULL);
  return G_SOURCE_REMOVE;
}

static void
on_activate_unknown (GbApplication *app,
                     Fixture       *fixture)
{
  g_idle_add (check_unknown_and_quit, fixture);
}

static void
test_show_domain_console_unknown (void)
{
  char *argv[] = { (char *) "glassbox", (char *) "--connect", (char *) TEST_URI,
                   (char *) "--show-domain-console", (char *) "no-such-machine", NULL };
  Fixture fixture = { NULL, FALSE };
  int status;

  fixture.app = gb_application_new ();
  status = gb_test_application_run (fixture.app, argv, G_CALLBACK (on_activate_unknown), &fixture);

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
  /* The PNGs show where things end, not a cross-fade on the way. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  /* In Chinese the messages checked above must really be Chinese. */
  if (g_str_has_prefix (g_getenv ("LANGUAGE") ? g_getenv ("LANGUAGE") : "", "zh_CN"))
    g_assert_cmpstr (NO_GRAPHICS_MESSAGE, !=,
                     "This machine has no graphical display. Its serial console may still work.");

  /* The command line first: it registers an application of its own, which
   * must not find the other one still exported on the session bus. */
  g_test_add_func ("/ui/console/show-domain-console", test_show_domain_console);
  g_test_add_func ("/ui/console/show-domain-console-unknown", test_show_domain_console_unknown);
  g_test_add_func ("/ui/console/page", test_console_page);

  return g_test_run ();
}
