/* test-shortcuts.c — the keyboard shortcuts, pressed for real
 *
 * Keys go through the X server (XTEST on Xvfb) to the focused window, as a
 * user's would: every machine shortcut (Ctrl+Shift+P pause, C resume,
 * T shut down, S start, R reboot, K force off, Delete, O console, E inside),
 * Ctrl+N the New Virtual Machine wizard, Ctrl+Shift+N the New Disk dialog,
 * Ctrl+O Add Connection, Ctrl+comma the preferences, Ctrl+? the shortcuts,
 * Ctrl+Q quit,
 * and in the console Shift+F9 (fit / original size) and Shift+F11
 * (fullscreen).
 * After each press GTK's inspector must not have opened: GTK 4.8 binds
 * Ctrl+Shift+D and Ctrl+Shift+I to it, and Ctrl+Shift+D once was Shut Down.
 *
 * /ui/shortcuts/gtk-bindings checks every entry of the shortcuts window
 * against the key bindings of every GTK and libadwaita widget.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>

#ifdef HAVE_XTEST
# include <gdk/x11/gdkx.h>
# include <X11/extensions/XTest.h>
# include <X11/keysym.h>
#endif

#include "gb-add-connection-dialog.h"
#include "gb-application.h"
#include "gb-console-view.h"
#include "gb-serial-console.h"
#include "gb-machine-row.h"
#include "gb-machine-creator-window.h"
#include "gb-new-disk-dialog.h"
#include "gb-preferences-window.h"
#include "gb-test-gtk-utils.h"
#include "gb-window.h"

#define TIMEOUT_MS 20000

/* Every accelerator of the shortcuts window (ui/help-overlay.ui). */
static GPtrArray *
help_overlay_accels (void)
{
  g_autoptr(GtkBuilder) builder = gtk_builder_new_from_resource ("/org/glassbox/Glassbox/gtk/help-overlay.ui");
  GtkWidget *window = GTK_WIDGET (gtk_builder_get_object (builder, "help_overlay"));
  GPtrArray *accels = g_ptr_array_new_with_free_func (g_free);
  GtkWidget *child;

  g_assert_nonnull (window);
  for (child = gtk_widget_get_first_child (window); child != NULL; )
    {
      if (GTK_IS_SHORTCUTS_SHORTCUT (child))
        {
          char *accel = NULL;

          g_object_get (child, "accelerator", &accel, NULL);
          g_ptr_array_add (accels, accel);
        }
      /* Depth first through the whole tree. */
      if (gtk_widget_get_first_child (child) != NULL)
        child = gtk_widget_get_first_child (child);
      else
        {
          while (child != window && gtk_widget_get_next_sibling (child) == NULL)
            child = gtk_widget_get_parent (child);
          child = child == window ? NULL : gtk_widget_get_next_sibling (child);
        }
    }
  gtk_window_destroy (GTK_WINDOW (window));
  return accels;
}

typedef struct {
  GPtrArray *ours;       /* GtkShortcutTrigger */
  GPtrArray *ours_text;  /* the accelerators, as written */
  GString   *clashes;
} BindingScan;

static void
check_trigger (BindingScan        *scan,
               GType               type,
               GtkShortcutTrigger *trigger)
{
  if (GTK_IS_ALTERNATIVE_TRIGGER (trigger))
    {
      check_trigger (scan, type, gtk_alternative_trigger_get_first (GTK_ALTERNATIVE_TRIGGER (trigger)));
      check_trigger (scan, type, gtk_alternative_trigger_get_second (GTK_ALTERNATIVE_TRIGGER (trigger)));
      return;
    }

  for (guint i = 0; i < scan->ours->len; i++)
    {
      const char *accel = g_ptr_array_index (scan->ours_text, i);

      if (!gtk_shortcut_trigger_equal (g_ptr_array_index (scan->ours, i), trigger))
        continue;
      /* Delete deletes the selected machine (as in Files and Boxes); GTK's
       * text fields bind it too, and win while they have the focus, so
       * Delete in a field never reaches the window. */
      if (g_str_equal (accel, "Delete") &&
          (g_type_is_a (type, GTK_TYPE_TEXT) || g_type_is_a (type, GTK_TYPE_TEXT_VIEW)))
        continue;
      /* Ctrl+N (new machine, as every GNOME app's "New") moves the cursor in
       * GtkTreeView and GtkIconView and scrolls the emoji chooser: Glassbox
       * uses neither of the first two, and the third binds it only while it
       * is open. */
      if (g_str_equal (accel, "<Control>n") &&
          (g_type_is_a (type, GTK_TYPE_TREE_VIEW) || g_type_is_a (type, GTK_TYPE_ICON_VIEW) ||
           g_str_equal (g_type_name (type), "GtkEmojiChooser")))
        continue;
      g_string_append_printf (scan->clashes, "%s is bound by %s; ", accel, g_type_name (type));
    }
}

static void
scan_type (BindingScan *scan,
           GType        type)
{
  g_autofree GType *children = NULL;
  guint n_children;

  /* GTK's and libadwaita's own; Glassbox's are what is being checked. */
  if (!G_TYPE_IS_ABSTRACT (type) &&
      (g_str_has_prefix (g_type_name (type), "Gtk") || g_str_has_prefix (g_type_name (type), "Adw")))
    {
      GtkWidget *widget = g_object_ref_sink (g_object_new (type, NULL));
      g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

      for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
        {
          g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

          if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
            continue;
          for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
            {
              g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);

              check_trigger (scan, type, gtk_shortcut_get_trigger (shortcut));
            }
        }
      if (GTK_IS_WINDOW (widget))
        gtk_window_destroy (GTK_WINDOW (widget));
      g_object_unref (widget);
    }

  children = g_type_children (type, &n_children);
  for (guint i = 0; i < n_children; i++)
    scan_type (scan, children[i]);
}

/* No shortcut of ours is a key GTK's own widgets (the inspector in every
 * window, text fields, lists, labels …) already take. */
static void
test_gtk_bindings (void)
{
  g_autoptr(GPtrArray) accels = help_overlay_accels ();
  g_autoptr(GPtrArray) triggers = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GString) clashes = g_string_new (NULL);
  BindingScan scan = { triggers, accels, clashes };

  g_assert_cmpuint (accels->len, >=, 20);
  for (guint i = 0; i < accels->len; i++)
    {
      GtkShortcutTrigger *trigger = gtk_shortcut_trigger_parse_string (g_ptr_array_index (accels, i));

      g_assert_nonnull (trigger);
      g_ptr_array_add (triggers, trigger);
    }

  /* Every GTK and libadwaita widget type, abstract ones' subclasses too. */
  gtk_test_register_all_types ();
  g_type_ensure (ADW_TYPE_APPLICATION_WINDOW);
  g_type_ensure (ADW_TYPE_LEAFLET);
  g_type_ensure (ADW_TYPE_FLAP);
  g_type_ensure (ADW_TYPE_CAROUSEL);
  g_type_ensure (ADW_TYPE_TAB_VIEW);
  g_type_ensure (ADW_TYPE_TAB_BAR);
  g_type_ensure (ADW_TYPE_ENTRY_ROW);
  g_type_ensure (ADW_TYPE_COMBO_ROW);
  g_type_ensure (ADW_TYPE_MESSAGE_DIALOG);
  g_type_ensure (ADW_TYPE_PREFERENCES_WINDOW);
  g_type_ensure (ADW_TYPE_TOAST_OVERLAY);
  g_type_ensure (ADW_TYPE_VIEW_STACK);
  scan_type (&scan, GTK_TYPE_WIDGET);

  /* The scan itself finds GTK's inspector binding. */
  {
    g_autoptr(GtkShortcutTrigger) inspector = gtk_shortcut_trigger_parse_string ("<Control><Shift>d");
    g_autoptr(GPtrArray) probe = g_ptr_array_new ();
    g_autoptr(GPtrArray) probe_text = g_ptr_array_new ();
    g_autoptr(GString) found = g_string_new (NULL);
    BindingScan inspector_scan = { probe, probe_text, found };

    g_ptr_array_add (probe, inspector);
    g_ptr_array_add (probe_text, (gpointer) "<Control><Shift>d");
    scan_type (&inspector_scan, GTK_TYPE_WINDOW);
    g_assert_true (strstr (found->str, "GtkWindow") != NULL);
  }

  if (clashes->len > 0)
    g_error ("shortcuts that GTK already binds: %s", clashes->str);
}

#ifdef HAVE_XTEST

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

/* GTK's inspector (or its "Do you want to use GTK Inspector?" warning) is
 * a toplevel of its own type. */
static gboolean
inspector_shown (void)
{
  g_autoptr(GListModel) toplevels = g_object_ref (gtk_window_get_toplevels ());

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (strstr (G_OBJECT_TYPE_NAME (window), "Inspector") != NULL)
        return TRUE;
    }
  return FALSE;
}

static gboolean
message_dialog_shown (gpointer data)
{
  return gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

static gboolean
add_connection_shown (gpointer data)
{
  return gb_test_find_dialog (GB_TYPE_ADD_CONNECTION_DIALOG) != NULL;
}

static gboolean
inside_page_shown (gpointer data)
{
  return g_strcmp0 (gb_window_get_page (data), "inside") == 0;
}

static gboolean
row_is_shown (gpointer data)
{
  return gb_test_find_machine_row (data, "test") != NULL;
}

static gboolean
window_is_active (gpointer data)
{
  return gtk_window_is_active (data);
}

static gboolean
preferences_shown (gpointer data)
{
  return gb_test_find_dialog (GB_TYPE_PREFERENCES_WINDOW) != NULL;
}

static gboolean
shortcuts_shown (gpointer data)
{
  return gb_test_find_dialog (GTK_TYPE_SHORTCUTS_WINDOW) != NULL;
}

typedef struct {
  GbDisplay          *display;
  GbDisplayScaleMode  mode;
} ScaleWait;

static gboolean
scale_mode_changed (gpointer data)
{
  ScaleWait *wait = data;

  return gb_display_get_scale_mode (wait->display) != wait->mode;
}

static gboolean
window_closed (gpointer data)
{
  g_autoptr(GListModel) toplevels = g_object_ref (gtk_window_get_toplevels ());

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (window == data)
        return FALSE;
    }
  return TRUE;
}

static gboolean
scale_mode_back (gpointer data)
{
  return !scale_mode_changed (data);
}

static gboolean
console_windowed (gpointer data)
{
  return !gb_console_view_get_fullscreen (data);
}

static gboolean
console_fullscreen (gpointer data)
{
  return gb_console_view_get_fullscreen (data);
}

static gboolean
console_page_shown (gpointer data)
{
  return g_strcmp0 (gb_window_get_page (data), "console") == 0;
}

static gboolean
creator_shown (gpointer data)
{
  return gb_test_find_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW) != NULL;
}

static gboolean
new_disk_shown (gpointer data)
{
  return gb_test_find_dialog (GB_TYPE_NEW_DISK_DIALOG) != NULL;
}

/* No key is bound twice in the window's own class bindings (two branches
 * once both took Ctrl+Shift+H). */
static void
assert_no_duplicate_bindings (GtkWidget *window)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (window);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          GtkShortcutAction *action = gtk_shortcut_get_action (shortcut);
          char *trigger = gtk_shortcut_trigger_to_string (gtk_shortcut_get_trigger (shortcut));
          char *what = gtk_shortcut_action_to_string (action);
          const char *before = g_hash_table_lookup (seen, trigger);

          /* GtkWindow's own (Tab, arrows …) are not ours to check. */
          if (g_str_has_prefix (what, "action(machine.") || g_str_has_prefix (what, "action(lab."))
            {
              if (before != NULL)
                g_error ("%s is bound to both %s and %s", trigger, before, what);
              g_hash_table_insert (seen, trigger, what);
            }
          else
            {
              g_free (trigger);
              g_free (what);
            }
        }
    }
  g_assert_cmpuint (g_hash_table_size (seen), >=, 8);
}

/* Presses a machine shortcut and waits for the machine's state label to
 * read @expected; GTK's inspector must not have answered instead. */
static void
press_for_state (GtkWidget   *window,
                 LabelSearch *state,
                 KeySym       keysym,
                 const char  *expected)
{
  g_test_message ("Ctrl+Shift+%s: waiting for “%s”", XKeysymToString (keysym), expected);
  gb_test_press (window, GDK_CONTROL_MASK | GDK_SHIFT_MASK, keysym);
  state->text = expected;
  g_assert_true (gb_test_wait_until_ms (state_label_is, state, TIMEOUT_MS));
  g_assert_false (inspector_shown ());
}

static gboolean
no_message_dialog (gpointer data)
{
  return !message_dialog_shown (data);
}

static void
answer_message_dialog (const char *response)
{
  GtkWindow *dialog;

  g_assert_true (gb_test_wait_until_ms (message_dialog_shown, NULL, TIMEOUT_MS));
  dialog = gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG);
  g_test_message ("answering “%s”: %s", adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), response);
  /* As a click does: the response, then the dialog closes. */
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), response);
  gtk_window_destroy (dialog);
  g_assert_true (gb_test_wait_until_ms (no_message_dialog, NULL, TIMEOUT_MS));
}

static void
test_shortcuts (void)
{
  g_autoptr(GbApplication) app = gb_test_application_new ();
  GtkWidget *window, *row;
  LabelSearch state = { NULL, "Running" };
  Display *dpy;
  int event_base, error_base, major, minor;

  window = g_object_ref (GTK_WIDGET (gb_window_new (app)));
  gb_application_open_connection (app, "test:///default");
  gtk_window_present (GTK_WINDOW (window));

  dpy = gdk_x11_display_get_xdisplay (gtk_widget_get_display (window));
  if (!XTestQueryExtension (dpy, &event_base, &error_base, &major, &minor))
    {
      g_test_skip ("the X server has no XTEST extension: keys cannot be pressed");
      gtk_window_destroy (GTK_WINDOW (window));
      g_object_unref (window);
      return;
    }

  g_assert_true (gb_test_wait_until_ms (row_is_shown, window, TIMEOUT_MS));
  assert_no_duplicate_bindings (window);
  row = gb_test_find_machine_row (window, "test");
  state.root = row;
  g_assert_true (gb_test_wait_until_ms (state_label_is, &state, TIMEOUT_MS));
  gb_window_select_machine (GB_WINDOW (window), gb_machine_row_get_machine (GB_MACHINE_ROW (row)));

  /* Xvfb has no window manager: give the window the keyboard ourselves. */
  gtk_test_widget_wait_for_draw (window);
  XSetInputFocus (dpy, gdk_x11_surface_get_xid (gtk_native_get_surface (GTK_NATIVE (window))),
                  RevertToParent, CurrentTime);
  XSync (dpy, False);
  g_assert_true (gb_test_wait_until_ms (window_is_active, window, TIMEOUT_MS));

  press_for_state (window, &state, XK_p, "Paused");
  press_for_state (window, &state, XK_c, "Running");
  /* Shut Down: Ctrl+Shift+T; Ctrl+Shift+D opened GTK's inspector. */
  press_for_state (window, &state, XK_t, "Shut off");
  press_for_state (window, &state, XK_s, "Running");
  /* Reboot: the test driver reboots at once; the machine runs on. */
  press_for_state (window, &state, XK_r, "Running");
  /* Force Off asks first. */
  gb_test_press (window, GDK_CONTROL_MASK | GDK_SHIFT_MASK, XK_k);
  answer_message_dialog ("force-off");
  g_assert_false (inspector_shown ());
  state.text = "Shut off";
  g_assert_true (gb_test_wait_until_ms (state_label_is, &state, TIMEOUT_MS));
  gb_test_focus_window (window);
  /* Delete asks too; keep the machine. */
  gb_test_press (window, 0, XK_Delete);
  answer_message_dialog ("cancel");
  g_assert_nonnull (gb_test_find_machine_row (window, "test"));
  gb_test_focus_window (window);
  press_for_state (window, &state, XK_s, "Running");

  /* Ctrl+Shift+E: the Inside page. */
  gb_test_press (window, GDK_CONTROL_MASK | GDK_SHIFT_MASK, XK_e);
  g_assert_true (gb_test_wait_until_ms (inside_page_shown, window, TIMEOUT_MS));
  gb_window_set_page (GB_WINDOW (window), "details");
  gb_test_focus_window (window);

  /* Ctrl+Shift+O opens the selected machine's console, as the
   * "machine.console" action does. */
  g_assert_cmpstr (gb_window_get_page (GB_WINDOW (window)), ==, "details");
  gb_test_press (window, GDK_CONTROL_MASK | GDK_SHIFT_MASK, XK_o);
  g_assert_true (gb_test_wait_until_ms (console_page_shown, window, TIMEOUT_MS));

  /* In the console: Shift+F9 fit / original size (Shift+F10 opens GTK's
   * context menus), Shift+F11 fullscreen on and off. */
  {
    GbConsoleView *console = gb_window_get_console_view (GB_WINDOW (window));
    GbDisplay *display = gb_console_view_get_display (console);
    GtkWidget *terminal = gb_serial_console_get_terminal (gb_console_view_get_serial_console (console));
    GbDisplayScaleMode mode = gb_display_get_scale_mode (display);

    /* The test machine has no screen: the serial terminal has the keys. */
    gtk_test_widget_wait_for_draw (window);
    g_assert_true (gtk_widget_grab_focus (terminal));
    gb_test_press (window, GDK_SHIFT_MASK, XK_F9);
    g_assert_true (gb_test_wait_until_ms (scale_mode_changed, &(ScaleWait) { display, mode }, TIMEOUT_MS));
    gb_test_press (window, GDK_SHIFT_MASK, XK_F9);
    g_assert_true (gb_test_wait_until_ms (scale_mode_back, &(ScaleWait) { display, mode }, TIMEOUT_MS));
    gb_test_press (window, GDK_SHIFT_MASK, XK_F11);
    g_assert_true (gb_test_wait_until_ms (console_fullscreen, console, TIMEOUT_MS));
    gb_test_press (window, GDK_SHIFT_MASK, XK_F11);
    g_assert_true (gb_test_wait_until_ms (console_windowed, console, TIMEOUT_MS));
    g_assert_false (inspector_shown ());
  }
  gb_window_set_page (GB_WINDOW (window), "details");
  gb_test_focus_window (window);

  /* Ctrl+N: the New Virtual Machine wizard; Ctrl+Shift+N: New Disk. */
  gb_test_press (window, GDK_CONTROL_MASK, XK_n);
  g_assert_true (gb_test_wait_until_ms (creator_shown, NULL, TIMEOUT_MS));
  gtk_window_destroy (gb_test_find_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW));
  gb_test_focus_window (window);
  gb_test_press (window, GDK_CONTROL_MASK | GDK_SHIFT_MASK, XK_n);
  g_assert_true (gb_test_wait_until_ms (new_disk_shown, NULL, TIMEOUT_MS));
  gtk_window_destroy (gb_test_find_dialog (GB_TYPE_NEW_DISK_DIALOG));
  gb_test_focus_window (window);
  gb_test_press (window, GDK_CONTROL_MASK, XK_o);
  g_assert_true (gb_test_wait_until_ms (add_connection_shown, NULL, TIMEOUT_MS));
  gtk_window_destroy (gb_test_find_dialog (GB_TYPE_ADD_CONNECTION_DIALOG));
  gb_test_focus_window (window);

  /* An application accelerator: Ctrl+comma. */
  gb_test_press (window, GDK_CONTROL_MASK, XK_comma);
  g_assert_true (gb_test_wait_until_ms (preferences_shown, NULL, TIMEOUT_MS));
  gtk_window_destroy (gb_test_find_dialog (GB_TYPE_PREFERENCES_WINDOW));

  /* Ctrl+? (Shift+slash here) shows the shortcuts window. */
  XSetInputFocus (dpy, gdk_x11_surface_get_xid (gtk_native_get_surface (GTK_NATIVE (window))),
                  RevertToParent, CurrentTime);
  XSync (dpy, False);
  g_assert_true (gb_test_wait_until_ms (window_is_active, window, TIMEOUT_MS));
  gb_test_press (window, GDK_CONTROL_MASK | GDK_SHIFT_MASK, XK_slash);
  g_assert_true (gb_test_wait_until_ms (shortcuts_shown, NULL, TIMEOUT_MS));
  gb_test_save_png (GTK_WIDGET (gb_test_find_dialog (GTK_TYPE_SHORTCUTS_WINDOW)), "shortcuts-window.png");
  gtk_widget_set_visible (GTK_WIDGET (gb_test_find_dialog (GTK_TYPE_SHORTCUTS_WINDOW)), FALSE);

  /* Ctrl+Q: no embedded machine runs, so the windows just close. */
  gb_window_select_machine (GB_WINDOW (window), NULL);
  gb_test_focus_window (window);
  gb_test_press (window, GDK_CONTROL_MASK, XK_q);
  g_assert_true (gb_test_wait_until_ms (window_closed, window, TIMEOUT_MS));
  g_assert_false (inspector_shown ());
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (window);
}

#else

static void
test_shortcuts (void)
{
  g_test_skip ("built without libXtst (libxtst-dev): keys cannot be pressed");
}

#endif

int
main (int   argc,
      char *argv[])
{
  gb_application_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui/shortcuts/keys", test_shortcuts);
  g_test_add_func ("/ui/shortcuts/gtk-bindings", test_gtk_bindings);

  return g_test_run ();
}
