/* test-shortcuts.c — the keyboard shortcuts, pressed for real
 *
 * Keys go through the X server (XTEST on Xvfb) to the focused window, as a
 * user's would: Ctrl+Shift+P pauses the selected machine, Ctrl+Shift+C
 * resumes it, Ctrl+Shift+O opens its console, Ctrl+N the New Virtual
 * Machine wizard, Ctrl+Shift+N the New Disk dialog, Ctrl+comma the
 * preferences, Ctrl+? the shortcuts.
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

#include "gb-application.h"
#include "gb-machine-row.h"
#include "gb-machine-creator-window.h"
#include "gb-new-disk-dialog.h"
#include "gb-preferences-window.h"
#include "gb-test-gtk-utils.h"
#include "gb-window.h"

#define TIMEOUT_MS 20000

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

/* Xvfb has no window manager: give the window the keyboard ourselves. */
static void
refocus (GtkWidget *window)
{
  Display *dpy = gdk_x11_display_get_xdisplay (gtk_widget_get_display (window));

  while (g_main_context_iteration (NULL, FALSE))
    ;
  XSetInputFocus (dpy, gdk_x11_surface_get_xid (gtk_native_get_surface (GTK_NATIVE (window))),
                  RevertToParent, CurrentTime);
  XSync (dpy, False);
  g_assert_true (gb_test_wait_until_ms (window_is_active, window, TIMEOUT_MS));
}

/* Presses the modifiers, then the key, and lets everything go. */
static void
press (GtkWidget *window,
       guint      modifiers,   /* GDK_CONTROL_MASK | GDK_SHIFT_MASK */
       KeySym     keysym)
{
  Display *dpy = gdk_x11_display_get_xdisplay (gtk_widget_get_display (window));
  KeyCode control = XKeysymToKeycode (dpy, XK_Control_L);
  KeyCode shift = XKeysymToKeycode (dpy, XK_Shift_L);
  KeyCode key = XKeysymToKeycode (dpy, keysym);

  g_assert_cmpuint (key, !=, 0);

  if (modifiers & GDK_CONTROL_MASK)
    XTestFakeKeyEvent (dpy, control, True, CurrentTime);
  if (modifiers & GDK_SHIFT_MASK)
    XTestFakeKeyEvent (dpy, shift, True, CurrentTime);
  XTestFakeKeyEvent (dpy, key, True, CurrentTime);
  XTestFakeKeyEvent (dpy, key, False, CurrentTime);
  if (modifiers & GDK_SHIFT_MASK)
    XTestFakeKeyEvent (dpy, shift, False, CurrentTime);
  if (modifiers & GDK_CONTROL_MASK)
    XTestFakeKeyEvent (dpy, control, False, CurrentTime);
  XFlush (dpy);
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

  press (window, GDK_CONTROL_MASK | GDK_SHIFT_MASK, XK_p);
  state.text = "Paused";
  g_assert_true (gb_test_wait_until_ms (state_label_is, &state, TIMEOUT_MS));

  press (window, GDK_CONTROL_MASK | GDK_SHIFT_MASK, XK_c);
  state.text = "Running";
  g_assert_true (gb_test_wait_until_ms (state_label_is, &state, TIMEOUT_MS));

  /* Ctrl+Shift+O opens the selected machine's console, as the
   * "machine.console" action does. */
  g_assert_cmpstr (gb_window_get_page (GB_WINDOW (window)), ==, "details");
  press (window, GDK_CONTROL_MASK | GDK_SHIFT_MASK, XK_o);
  g_assert_true (gb_test_wait_until_ms (console_page_shown, window, TIMEOUT_MS));
  gb_window_set_page (GB_WINDOW (window), "details");
  refocus (window);

  /* Ctrl+N: the New Virtual Machine wizard; Ctrl+Shift+N: New Disk. */
  press (window, GDK_CONTROL_MASK, XK_n);
  g_assert_true (gb_test_wait_until_ms (creator_shown, NULL, TIMEOUT_MS));
  gtk_window_destroy (gb_test_find_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW));
  refocus (window);
  press (window, GDK_CONTROL_MASK | GDK_SHIFT_MASK, XK_n);
  g_assert_true (gb_test_wait_until_ms (new_disk_shown, NULL, TIMEOUT_MS));
  gtk_window_destroy (gb_test_find_dialog (GB_TYPE_NEW_DISK_DIALOG));
  refocus (window);

  /* An application accelerator: Ctrl+comma. */
  press (window, GDK_CONTROL_MASK, XK_comma);
  g_assert_true (gb_test_wait_until_ms (preferences_shown, NULL, TIMEOUT_MS));
  gtk_window_destroy (gb_test_find_dialog (GB_TYPE_PREFERENCES_WINDOW));

  /* Ctrl+? (Shift+slash here) shows the shortcuts window. */
  XSetInputFocus (dpy, gdk_x11_surface_get_xid (gtk_native_get_surface (GTK_NATIVE (window))),
                  RevertToParent, CurrentTime);
  XSync (dpy, False);
  g_assert_true (gb_test_wait_until_ms (window_is_active, window, TIMEOUT_MS));
  press (window, GDK_CONTROL_MASK | GDK_SHIFT_MASK, XK_slash);
  g_assert_true (gb_test_wait_until_ms (shortcuts_shown, NULL, TIMEOUT_MS));
  gb_test_save_png (GTK_WIDGET (gb_test_find_dialog (GTK_TYPE_SHORTCUTS_WINDOW)), "shortcuts-window.png");
  gtk_widget_set_visible (GTK_WIDGET (gb_test_find_dialog (GTK_TYPE_SHORTCUTS_WINDOW)), FALSE);

  gb_window_select_machine (GB_WINDOW (window), NULL);
  gtk_window_destroy (GTK_WINDOW (window));
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

  g_test_add_func ("/ui/shortcuts", test_shortcuts);

  return g_test_run ();
}
