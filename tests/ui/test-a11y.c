/* test-a11y.c — the app through the accessibility tree, as a screen reader
 * user meets it
 *
 * The app runs in this process with GTK's AT-SPI backend on a private
 * session bus (meson runs this program under dbus-run-session and Xvfb);
 * tests/ui/a11y-probe.py, a separate process, reads the tree over AT-SPI —
 * the same tree Orca reads — while this process keeps the main loop turning.
 *
 *  - names: every control that takes focus or can be activated, in the main
 *    window (details, console, Inside pages), every page of the New Virtual
 *    Machine wizard, New Disk and Virtual Networks, has an accessible name
 *    (a tooltip is not one; GTK 4.8 names an icon button "GtkImage");
 *  - roles: the wizard's exclusive options are radio buttons, not check boxes;
 *  - keyboard: Tab reaches the machine rows, Down and Up move between machines
 *    (not into row menus); in the wizard, Down stays in the option list.
 *    Keys are real key presses (XTEST); focus is read back through AT-SPI.
 *
 * When AT-SPI cannot run here (no Python bindings for it, GTK_A11Y set to
 * test or none) the tests say why and skip.  A probe that does not start,
 * dies or raises is a failure, shown with the probe's stderr.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <adwaita.h>
#include <libvirt/libvirt.h>

#ifdef HAVE_XTEST
# include <gdk/x11/gdkx.h>
# include <X11/extensions/XTest.h>
# include <X11/keysym.h>
#endif

#include "gb-application.h"
#include "gb-machine-creator-window.h"
#include "gb-machine-row.h"
#include "gb-networks-window.h"
#include "gb-new-disk-dialog.h"
#include "gb-test-gtk-utils.h"
#include "gb-window.h"

#define TEST_URI "test:///default"
#define TIMEOUT_MS 30000

static GbApplication *app;
static GSubprocess *probe;
static GDataInputStream *probe_out;
static char *probe_skip;   /* why AT-SPI cannot be used, or NULL */
static char *probe_failure;   /* why the probe did not work, or NULL */
static char *probe_stderr;   /* the file the probe's stderr goes to */

static gboolean
is_chinese (void)
{
  return g_str_has_prefix (g_getenv ("LANGUAGE") ? g_getenv ("LANGUAGE") : "", "zh");
}

static char *
png_name (const char *stem)
{
  return g_strdup_printf ("a11y-%s%s.png", stem, is_chinese () ? "-zh_CN" : "");
}

/* ------------------------------------------------------------------ */
/* The probe                                                          */

/* What the probe wrote on stderr so far, as "# " lines of the TAP output. */
static void
probe_show_stderr (void)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (probe_stderr == NULL || !g_file_get_contents (probe_stderr, &text, NULL, NULL))
    return;
  g_test_message ("the AT-SPI probe's stderr:");
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '\0')
      g_test_message ("  %s", lines[i]);
}

/* "exit status N" or "signal N" of a probe that closed its stdout (one
 * that did so and lives on is ended here: "signal 9"). */
static const char *
probe_how_it_ended (void)
{
  static char how[64];

  if (probe == NULL)
    return "unknown";
  g_subprocess_force_exit (probe);
  if (!g_subprocess_wait (probe, NULL, NULL))
    return "unknown";
  if (g_subprocess_get_if_signaled (probe))
    g_snprintf (how, sizeof how, "signal %d", g_subprocess_get_term_sig (probe));
  else
    g_snprintf (how, sizeof how, "exit status %d", g_subprocess_get_exit_status (probe));
  return how;
}

/* The probe failed: the test fails (it does not skip) with its stderr. */
G_GNUC_PRINTF (1, 2) G_GNUC_NORETURN static void
probe_fail (const char *format,
            ...)
{
  g_autofree char *why = NULL;
  va_list args;

  va_start (args, format);
  why = g_strdup_vprintf (format, args);
  va_end (args);
  probe_show_stderr ();
  g_error ("the AT-SPI probe failed: %s", why);
}

static char *
probe_read_line (void)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;
  char *line;

  /* The probe gives the app 120 s to appear on the bus; every other answer
   * takes a few seconds at most. */
  g_data_input_stream_read_line_async (probe_out, G_PRIORITY_DEFAULT, NULL,
                                       gb_test_store_result, &result);
  GB_TEST_WAIT_FOR (result != NULL, 150);
  line = g_data_input_stream_read_line_finish_utf8 (probe_out, result, NULL, &error);
  g_assert_no_error (error);
  g_object_unref (result);
  return line;
}

static void
probe_start (void)
{
  const char *python = g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE) ? "/usr/bin/python3" : "python3";
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "a11y-probe.py", NULL);
  g_autofree char *pid = g_strdup_printf ("%d", (int) getpid ());
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *first = NULL;
  int fd;

  if (probe != NULL || probe_skip != NULL || probe_failure != NULL)
    return;

  if (g_strcmp0 (g_getenv ("GTK_A11Y"), "test") == 0 || g_strcmp0 (g_getenv ("GTK_A11Y"), "none") == 0)
    {
      probe_skip = g_strdup ("GTK_A11Y is set to test or none: GTK does not export its tree over AT-SPI");
      return;
    }

  /* Its stderr goes to a file: shown when it fails, and at the end. */
  if (probe_stderr == NULL)
    {
      fd = g_file_open_tmp ("gb-a11y-probe-XXXXXX.log", &probe_stderr, &error);
      g_assert_no_error (error);
      close (fd);
    }
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_stderr_file_path (launcher, probe_stderr);
  /* The tests run with G_DEBUG=fatal-warnings, for the app.  libatspi in
   * the probe warns when an object goes away while it reads the tree
   * ("dbind-WARNING: AT-SPI: Error in GetItems"), which happens on a
   * loaded machine and is no fault of the app: it must not kill the probe. */
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  probe = g_subprocess_launcher_spawn (launcher, &error, python, script, pid, NULL);
  if (probe == NULL)
    {
      probe_skip = g_strdup_printf ("cannot run %s: %s", python, error->message);
      return;
    }
  probe_out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (probe));

  first = probe_read_line ();
  if (first != NULL && g_str_has_prefix (first, "skip "))
    probe_skip = g_strdup (first + 5);
  else if (first == NULL)
    probe_failure = g_strdup_printf ("it ended without an answer (%s)", probe_how_it_ended ());
  else if (g_str_has_prefix (first, "fail "))
    probe_failure = g_strdup (first + 5);
  else if (!g_str_equal (first, "ready"))
    probe_failure = g_strdup_printf ("it answered “%s” instead of “ready”", first);
  if (probe_skip != NULL || probe_failure != NULL)
    {
      g_clear_object (&probe_out);
      g_clear_object (&probe);
    }
}

static gboolean
probe_usable (void)
{
  probe_start ();
  if (probe_failure != NULL)
    probe_fail ("%s", probe_failure);
  if (probe_skip != NULL)
    {
      g_test_skip (probe_skip);
      return FALSE;
    }
  return TRUE;
}

/* Sends @command and returns the answer's lines. */
static GStrv
probe_ask (const char *command)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *line = g_strdup_printf ("%s\n", command);
  g_autoptr(GError) error = NULL;

  /* What was drawn last is what the tree has: let GTK catch up. */
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);

  g_output_stream_write_all (g_subprocess_get_stdin_pipe (probe), line, strlen (line), NULL, NULL, &error);
  if (error != NULL)
    probe_fail ("cannot send it “%s”: %s (%s)", command, error->message, probe_how_it_ended ());

  for (;;)
    {
      g_autofree char *answer = probe_read_line ();

      if (answer == NULL)
        probe_fail ("it ended while answering “%s” (%s)", command, probe_how_it_ended ());
      if (g_str_has_prefix (answer, "error "))
        probe_fail ("%s", answer + 6);
      if (g_str_equal (answer, "."))
        break;
      g_strv_builder_add (builder, answer);
    }

  return g_strv_builder_end (builder);
}

/* Adds "<where>: <role> <path>" of every unnamed control to @missing. */
static void
collect_unnamed (GPtrArray  *missing,
                 const char *where)
{
  g_auto(GStrv) lines = NULL;

  if (g_getenv ("GB_TEST_A11Y_DUMP") != NULL)
    g_strfreev (probe_ask ("dump"));
  lines = probe_ask ("names");

  for (guint i = 0; lines[i]; i++)
    {
      g_test_message ("%s: unnamed %s", where, lines[i]);
      g_ptr_array_add (missing, g_strdup_printf ("%s: %s", where, lines[i]));
    }
}

static void
assert_none_unnamed (GPtrArray *missing)
{
  if (missing->len > 0)
    {
      g_autoptr(GString) all = g_string_new (NULL);

      for (guint i = 0; i < missing->len; i++)
        g_string_append_printf (all, "\n  %s", (char *) missing->pdata[i]);
      g_error ("%u controls have no accessible name:%s", missing->len, all->str);
    }
}

/* "<role>\t<name>" of the focused object, or "" */
static char *
probe_focus (void)
{
  g_auto(GStrv) lines = probe_ask ("focus");

  return g_strdup (lines[0] ? lines[0] : "");
}

/* ------------------------------------------------------------------ */
/* The app                                                            */

static gboolean
row_is_shown (gpointer data)
{
  return gb_test_find_machine_row (data, "test") != NULL;
}

static gboolean
dialog_shown (gpointer data)
{
  return gb_test_find_dialog (GPOINTER_TO_SIZE (data)) != NULL;
}

static gboolean
creator_ready (gpointer data)
{
  return gb_machine_creator_get_ready (gb_machine_creator_window_get_creator (data));
}

static void
settle (GtkWidget *window)
{
  gtk_test_widget_wait_for_draw (window);
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
}

static void
define_machines (void)
{
  static gboolean done;
  virConnectPtr conn;

  if (done)
    return;
  done = TRUE;

  conn = virConnectOpen (TEST_URI);
  g_assert_nonnull (conn);
  for (int i = 3; i >= 1; i--)
    {
      g_autofree char *xml = g_strdup_printf ("<domain type='test'><name>vm%d</name>"
                                              "<memory unit='MiB'>64</memory>"
                                              "<os><type>hvm</type></os></domain>", i);
      virDomainPtr dom = virDomainDefineXML (conn, xml);

      g_assert_nonnull (dom);
      virDomainFree (dom);
    }
  /* test:///default keeps its state while a connection is open. */
  (void) conn;
}

static GtkWidget *
open_window (void)
{
  GtkWidget *window;

  define_machines ();
  gb_application_open_connection (app, TEST_URI);
  window = g_object_ref (GTK_WIDGET (gb_window_new (app)));
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 760);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (gb_test_wait_until_ms (row_is_shown, window, TIMEOUT_MS));
  return window;
}

static void
close_window (GtkWidget *window)
{
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_object_unref (window);
}

static void
close_dialog (GType type)
{
  GtkWindow *dialog = gb_test_find_dialog (type);

  if (dialog != NULL)
    gtk_window_destroy (dialog);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static gboolean
stack_has_summary (GtkWidget *widget,
                   gpointer   data)
{
  return gtk_stack_get_child_by_name (GTK_STACK (widget), "summary") != NULL;
}

static GtkStack *
creator_stack (GtkWindow *creator)
{
  return GTK_STACK (gb_test_find_widget (GTK_WIDGET (creator), GTK_TYPE_STACK, stack_has_summary, NULL));
}

/* ------------------------------------------------------------------ */
/* Names                                                              */

static void
test_names_main_window (void)
{
  g_autoptr(GPtrArray) missing = g_ptr_array_new_with_free_func (g_free);
  GtkWidget *window, *row;
  g_autofree char *png = NULL;

  window = open_window ();
  if (!probe_usable ())
    {
      close_window (window);
      return;
    }
  settle (window);
  collect_unnamed (missing, "main window, nothing selected");

  row = gb_test_find_machine_row (window, "test");
  gb_window_select_machine (GB_WINDOW (window), gb_machine_row_get_machine (GB_MACHINE_ROW (row)));
  gb_window_set_page (GB_WINDOW (window), "details");
  settle (window);
  collect_unnamed (missing, "details page");
  png = png_name ("details");
  gb_test_save_png (window, png);
  g_clear_pointer (&png, g_free);

  gb_window_set_page (GB_WINDOW (window), "console");
  settle (window);
  collect_unnamed (missing, "console page");
  png = png_name ("console");
  gb_test_save_png (window, png);
  g_clear_pointer (&png, g_free);

  gb_window_set_page (GB_WINDOW (window), "inside");
  settle (window);
  collect_unnamed (missing, "Inside page");

  gb_window_select_machine (GB_WINDOW (window), NULL);
  close_window (window);
  assert_none_unnamed (missing);
}

static void
test_names_dialogs (void)
{
  static const char *pages[] = { "source", "os", "resources", "storage", "network", "firmware", "summary" };
  g_autoptr(GPtrArray) missing = g_ptr_array_new_with_free_func (g_free);
  GtkWidget *window;
  GtkWindow *creator;
  GtkStack *stack;

  window = open_window ();
  if (!probe_usable ())
    {
      close_window (window);
      return;
    }

  g_action_group_activate_action (G_ACTION_GROUP (app), "new-machine", NULL);
  g_assert_true (gb_test_wait_until_ms (dialog_shown, GSIZE_TO_POINTER (GB_TYPE_MACHINE_CREATOR_WINDOW), TIMEOUT_MS));
  creator = gb_test_find_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW);
  g_assert_true (gb_test_wait_until_ms (creator_ready, creator, TIMEOUT_MS));
  stack = creator_stack (creator);
  g_assert_nonnull (stack);
  /* GTK 4.8 exports the hidden pages of a stack too: one walk sees every
   * page; the PNGs show each. */
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      g_autofree char *stem = g_strdup_printf ("wizard-%s", pages[i]);
      g_autofree char *png = png_name (stem);

      gtk_stack_set_visible_child_name (stack, pages[i]);
      settle (GTK_WIDGET (creator));
      gb_test_save_png (GTK_WIDGET (creator), png);
    }
  collect_unnamed (missing, "wizard");
  close_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW);

  g_action_group_activate_action (G_ACTION_GROUP (app), "new-disk", NULL);
  g_assert_true (gb_test_wait_until_ms (dialog_shown, GSIZE_TO_POINTER (GB_TYPE_NEW_DISK_DIALOG), TIMEOUT_MS));
  settle (GTK_WIDGET (gb_test_find_dialog (GB_TYPE_NEW_DISK_DIALOG)));
  collect_unnamed (missing, "New Disk");
  {
    g_autofree char *png = png_name ("new-disk");
    gb_test_save_png (GTK_WIDGET (gb_test_find_dialog (GB_TYPE_NEW_DISK_DIALOG)), png);
  }
  close_dialog (GB_TYPE_NEW_DISK_DIALOG);

  g_action_group_activate_action (G_ACTION_GROUP (app), "networks", g_variant_new_string (TEST_URI));
  g_assert_true (gb_test_wait_until_ms (dialog_shown, GSIZE_TO_POINTER (GB_TYPE_NETWORKS_WINDOW), TIMEOUT_MS));
  settle (GTK_WIDGET (gb_test_find_dialog (GB_TYPE_NETWORKS_WINDOW)));
  collect_unnamed (missing, "Virtual Networks");
  close_dialog (GB_TYPE_NETWORKS_WINDOW);

  close_window (window);
  assert_none_unnamed (missing);
}

/* The source and disk choices are one of several: radio buttons. */
/* The lines of @lines (taken) whose last tab-separated field is @window,
 * without that field. */
static GStrv
in_window (GStrv       lines,
           const char *window)
{
  g_autoptr(GStrvBuilder) kept = g_strv_builder_new ();

  for (guint i = 0; lines != NULL && lines[i] != NULL; i++)
    {
      char *tab = strrchr (lines[i], '\t');

      if (tab != NULL && g_strcmp0 (tab + 1, window) == 0)
        {
          *tab = '\0';
          g_strv_builder_add (kept, lines[i]);
        }
    }
  g_strfreev (lines);
  return g_strv_builder_end (kept);
}

static void
test_wizard_roles (void)
{
  GtkWidget *window;
  GtkWindow *creator;
  g_auto(GStrv) checks = NULL;
  g_auto(GStrv) radios = NULL;

  window = open_window ();
  if (!probe_usable ())
    {
      close_window (window);
      return;
    }
  g_action_group_activate_action (G_ACTION_GROUP (app), "new-machine", NULL);
  g_assert_true (gb_test_wait_until_ms (dialog_shown, GSIZE_TO_POINTER (GB_TYPE_MACHINE_CREATOR_WINDOW), TIMEOUT_MS));
  creator = gb_test_find_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW);
  g_assert_true (gb_test_wait_until_ms (creator_ready, creator, TIMEOUT_MS));
  gtk_stack_set_visible_child_name (creator_stack (creator), "source");
  settle (GTK_WIDGET (creator));

  /* Only the wizard's: the main window behind it has switches of its own
   * (the Settings page). */
  checks = in_window (probe_ask ("roles check_box"), gtk_window_get_title (GTK_WINDOW (creator)));
  radios = in_window (probe_ask ("roles radio_button"), gtk_window_get_title (GTK_WINDOW (creator)));
  for (guint i = 0; radios[i]; i++)
    g_test_message ("radio: %s", radios[i]);
  for (guint i = 0; checks[i]; i++)
    g_test_message ("check box: %s", checks[i]);
  /* Source (5), disk (3), network (3), firmware (2): one of each group;
   * the one check box left is "Customize before starting", a switch. */
  g_assert_cmpuint (g_strv_length (radios), ==, 13);
  g_assert_cmpuint (g_strv_length (checks), <=, 1);

  close_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW);
  close_window (window);
}

/* ------------------------------------------------------------------ */
/* Keyboard                                                           */

#ifdef HAVE_XTEST
/* Xvfb has no window manager: give the window the keyboard ourselves. */
static void
give_keyboard (GtkWidget *window)
{
  settle (window);
  gb_test_focus_window (window);
}

static gboolean
is_mapped_popover_menu (GtkWidget *widget,
                        gpointer   data)
{
  return gtk_widget_get_mapped (widget);
}

static gboolean
popover_menu_shown (gpointer data)
{
  return gb_test_find_widget (data, GTK_TYPE_POPOVER_MENU, is_mapped_popover_menu, NULL) != NULL;
}

static gboolean
popover_menu_gone (gpointer data)
{
  return !popover_menu_shown (data);
}

#endif

/* Whether @focus ("<role>\t<name>") is the list item of machine @name:
 * "vm1, Shut off" (zh_CN: "vm1，已关机"). */
static gboolean
focus_on_machine (const char *focus,
                  const char *name)
{
  g_autofree char *prefix = g_strdup_printf ("list item\t%s", name);

  return g_str_has_prefix (focus, prefix) &&
         (g_str_has_prefix (focus + strlen (prefix), ",") || g_str_has_prefix (focus + strlen (prefix), "，"));
}

/* Tab from the window's start reaches a machine row, named after the
 * machine; Down and Up go to the next and previous machine, by name. */
static void
test_keyboard_list (void)
{
#ifdef HAVE_XTEST
  GtkWidget *window;
  g_autofree char *focus = NULL;
  guint tabs;

  window = open_window ();
  if (!probe_usable ())
    {
      close_window (window);
      return;
    }
  if (!gb_test_xtest_available (window))
    {
      g_test_skip ("the X server has no XTEST extension: keys cannot be pressed");
      close_window (window);
      return;
    }
  give_keyboard (window);

  for (tabs = 0; tabs < 12; tabs++)
    {
      g_clear_pointer (&focus, g_free);
      focus = probe_focus ();
      g_test_message ("after %u Tab: %s", tabs, focus);
      if (g_str_has_prefix (focus, "list item\t"))
        break;
      gb_test_press (window, 0, XK_Tab);
    }
  g_assert_true (g_str_has_prefix (focus, "list item\t"));
  /* The first machine of the connection, by name: "test", then vm1…vm3. */
  g_assert_true (focus_on_machine (focus, "test"));

  gb_test_press (window, 0, XK_Down);
  g_clear_pointer (&focus, g_free);
  focus = probe_focus ();
  g_test_message ("after Down: %s", focus);
  g_assert_true (focus_on_machine (focus, "vm1"));

  gb_test_press (window, 0, XK_Down);
  gb_test_press (window, 0, XK_Down);
  g_clear_pointer (&focus, g_free);
  focus = probe_focus ();
  g_test_message ("after Down Down: %s", focus);
  g_assert_true (focus_on_machine (focus, "vm3"));

  gb_test_press (window, 0, XK_Up);
  g_clear_pointer (&focus, g_free);
  focus = probe_focus ();
  g_test_message ("after Up: %s", focus);
  g_assert_true (focus_on_machine (focus, "vm2"));

  /* The Menu key opens the row's menu; Escape closes it, the row keeps
   * the focus. */
  gb_test_press (window, 0, XK_Menu);
  g_assert_true (gb_test_wait_until_ms (popover_menu_shown, window, TIMEOUT_MS));
  {
    g_autofree char *png = png_name ("row-menu");
    gb_test_save_png (window, png);
  }
  gb_test_press (window, 0, XK_Escape);
  g_assert_true (gb_test_wait_until_ms (popover_menu_gone, window, TIMEOUT_MS));
  g_clear_pointer (&focus, g_free);
  focus = probe_focus ();
  g_test_message ("after Menu, Escape: %s", focus);
  g_assert_true (focus_on_machine (focus, "vm2"));

  /* Up past the first machine: the connection's header (its menu
   * button), then nowhere. */
  gb_test_press (window, 0, XK_Up);
  gb_test_press (window, 0, XK_Up);
  gb_test_press (window, 0, XK_Up);
  g_clear_pointer (&focus, g_free);
  focus = probe_focus ();
  g_test_message ("after Up Up Up: %s", focus);
  g_assert_true (g_str_has_prefix (focus, "push button\t"));
  g_assert_false (focus_on_machine (focus, "test"));
  g_assert_false (g_str_has_prefix (focus, "list item\tvm"));
  {
    g_autofree char *header = g_steal_pointer (&focus);

    gb_test_press (window, 0, XK_Up);
    focus = probe_focus ();
    g_assert_cmpstr (focus, ==, header);
  }

  close_window (window);
#else
  g_test_skip ("built without XTEST (libxtst-dev): keys cannot be pressed");
#endif
}

static gboolean
option_named (GStrv       radios,
              const char *name)
{
  for (guint i = 0; radios[i]; i++)
    if (g_str_equal (strchr (radios[i], '\t') + 1, name))
      return TRUE;
  return FALSE;
}

/* On the wizard's first page, Down walks the source options and stays
 * there at the last one. */
static void
test_keyboard_wizard (void)
{
#ifdef HAVE_XTEST
  GtkWidget *window;
  GtkWindow *creator;
  g_autofree char *focus = NULL;
  g_auto(GStrv) radios = NULL;
  guint tabs, n_options;

  window = open_window ();
  if (!probe_usable ())
    {
      close_window (window);
      return;
    }
  if (!gb_test_xtest_available (window))
    {
      g_test_skip ("the X server has no XTEST extension: keys cannot be pressed");
      close_window (window);
      return;
    }
  g_action_group_activate_action (G_ACTION_GROUP (app), "new-machine", NULL);
  g_assert_true (gb_test_wait_until_ms (dialog_shown, GSIZE_TO_POINTER (GB_TYPE_MACHINE_CREATOR_WINDOW), TIMEOUT_MS));
  creator = gb_test_find_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW);
  g_assert_true (gb_test_wait_until_ms (creator_ready, creator, TIMEOUT_MS));
  give_keyboard (GTK_WIDGET (creator));

  radios = in_window (probe_ask ("roles radio_button"), gtk_window_get_title (GTK_WINDOW (creator)));
  n_options = g_strv_length (radios);
  g_assert_cmpuint (n_options, >=, 4);

  for (tabs = 0; tabs < 15; tabs++)
    {
      g_clear_pointer (&focus, g_free);
      focus = probe_focus ();
      g_test_message ("after %u Tab: %s", tabs, focus);
      if (g_strv_contains ((const char * const *) radios, focus))
        break;
      gb_test_press (GTK_WIDGET (creator), 0, XK_Tab);
    }
  g_assert_true (g_strv_contains ((const char * const *) radios, focus));
  gb_test_save_png (GTK_WIDGET (creator), "a11y-wizard-keyboard.png");

  /* Down goes through the options (their rows or their radio buttons)
   * and, past the last, stays there: never to the ISO field below. */
  for (guint i = 0; i < 5 + 2; i++)
    {
      const char *name;

      gb_test_press (GTK_WIDGET (creator), 0, XK_Down);
      g_clear_pointer (&focus, g_free);
      focus = probe_focus ();
      {
        GtkWidget *w = gtk_root_get_focus (GTK_ROOT (creator));
        g_test_message ("after Down: %s (%s in %s)", focus, w ? G_OBJECT_TYPE_NAME (w) : "-",
                        w && gtk_widget_get_parent (w) ? G_OBJECT_TYPE_NAME (gtk_widget_get_parent (w)) : "-");
      }
      name = strchr (focus, '\t') ? strchr (focus, '\t') + 1 : "";
      g_assert_true (g_str_has_prefix (focus, "radio button\t") || g_str_has_prefix (focus, "list item\t"));
      g_assert_true (option_named (radios, name));
    }

  close_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW);
  close_window (window);
#else
  g_test_skip ("built without XTEST (libxtst-dev): keys cannot be pressed");
#endif
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  gb_application_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);
  /* A probe that died must not take us with it when we write to it: we
   * fail with its stderr instead. */
  signal (SIGPIPE, SIG_IGN);

  app = gb_test_application_new ();

  g_test_add_func ("/ui/a11y/names/main-window", test_names_main_window);
  g_test_add_func ("/ui/a11y/names/dialogs", test_names_dialogs);
  g_test_add_func ("/ui/a11y/roles/wizard-options", test_wizard_roles);
  g_test_add_func ("/ui/a11y/keyboard/list", test_keyboard_list);
  g_test_add_func ("/ui/a11y/keyboard/wizard", test_keyboard_wizard);

  ret = g_test_run ();

  if (probe != NULL)
    {
      g_output_stream_write_all (g_subprocess_get_stdin_pipe (probe), "quit\n", 5, NULL, NULL, NULL);
      g_subprocess_wait (probe, NULL, NULL);
    }
  g_clear_object (&probe_out);
  g_clear_object (&probe);
  g_clear_object (&app);

  /* Whatever the probe said (a "dump", warnings) goes to our stderr. */
  if (probe_stderr != NULL)
    {
      g_autofree char *text = NULL;

      if (g_file_get_contents (probe_stderr, &text, NULL, NULL))
        fputs (text, stderr);
      g_unlink (probe_stderr);
      g_free (probe_stderr);
    }
  return ret;
}
