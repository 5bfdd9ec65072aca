/* gb-test-gtk-utils.c — helpers for the UI tests: the app, find widgets, save a PNG
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "gb-machine-row.h"
#include "gb-test-gtk-utils.h"

#ifdef HAVE_XTEST
# include <gdk/x11/gdkx.h>
# include <X11/XKBlib.h>
# include <X11/extensions/XTest.h>
# include <X11/keysym.h>
#endif

/* The application as the program would run it, registered (so "startup"
 * ran: actions, accelerators, style.css) but without a main loop of its
 * own: the tests iterate the default context themselves. */
GbApplication *
gb_test_application_new (void)
{
  g_autoptr(GError) error = NULL;
  GbApplication *app = gb_application_new ();

  g_application_set_flags (G_APPLICATION (app),
                           G_APPLICATION_HANDLES_COMMAND_LINE | G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);

  /* A blinking cursor's timeout can fire while another window holds the
   * X focus, which GTK reports as a warning; the tests fail on warnings. */
  g_object_set (gtk_settings_get_default (),
                "gtk-cursor-blink", FALSE,
                "gtk-enable-animations", FALSE,
                NULL);

  return app;
}

/* Runs @app as main() does, with the NULL-terminated @argv; @on_activate
 * runs after the app's own "activate" handler (so the window exists), with
 * @data.  Returns the exit status. */
int
gb_test_application_run (GbApplication  *app,
                         char          **argv,
                         GCallback       on_activate,
                         gpointer        data)
{
  g_application_set_flags (G_APPLICATION (app),
                           G_APPLICATION_HANDLES_COMMAND_LINE | G_APPLICATION_NON_UNIQUE);
  g_signal_connect_after (app, "activate", on_activate, data);

  return g_application_run (G_APPLICATION (app), g_strv_length (argv), argv);
}

GtkWidget *
gb_test_find_widget (GtkWidget  *root,
                     GType       type,
                     gboolean  (*match) (GtkWidget *widget,
                                         gpointer   data),
                     gpointer    data)
{
  if (root == NULL)
    return NULL;

  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type) && gtk_widget_get_visible (root) &&
      (match == NULL || match (root, data)))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = gb_test_find_widget (child, type, match, data);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static gboolean
row_has_machine_name (GtkWidget *widget,
                      gpointer   data)
{
  GbMachine *machine = gb_machine_row_get_machine (GB_MACHINE_ROW (widget));

  return machine != NULL && g_strcmp0 (gb_machine_get_name (machine), data) == 0;
}

GtkWidget *
gb_test_find_machine_row (GtkWidget  *root,
                          const char *machine_name)
{
  return gb_test_find_widget (root, GB_TYPE_MACHINE_ROW, row_has_machine_name,
                              (gpointer) machine_name);
}

static gboolean
has_css_class (GtkWidget *widget,
               gpointer   data)
{
  return gtk_widget_has_css_class (widget, data);
}

GtkWidget *
gb_test_find_label_with_class (GtkWidget  *root,
                               const char *css_class)
{
  return gb_test_find_widget (root, GTK_TYPE_LABEL, has_css_class, (gpointer) css_class);
}

static gboolean
has_text (GtkWidget *widget,
          gpointer   data)
{
  return g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), data) == 0;
}

GtkWidget *
gb_test_find_label_with_text (GtkWidget  *root,
                              const char *text)
{
  return gb_test_find_widget (root, GTK_TYPE_LABEL, has_text, (gpointer) text);
}

GtkWindow *
gb_test_find_dialog (GType type)
{
  g_autoptr(GListModel) toplevels = g_object_ref (gtk_window_get_toplevels ());
  guint n = g_list_model_get_n_items (toplevels);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }

  return NULL;
}

/* Renders the widget as the screen last showed it. A GtkWidgetPaintable
 * has nothing to show between a queued redraw and the next frame, so this
 * waits for frames until it has. */
GdkTexture *
gb_test_render (GtkWidget *widget)
{
  g_autoptr(GskRenderNode) node = NULL;
  GskRenderer *renderer;
  int width = 0, height = 0;

  for (guint attempt = 0; attempt < 50 && node == NULL; attempt++)
    {
      g_autoptr(GdkPaintable) paintable = NULL;
      GtkSnapshot *snapshot;

      gtk_test_widget_wait_for_draw (GTK_WIDGET (gtk_widget_get_root (widget)));
      width = gtk_widget_get_width (widget);
      height = gtk_widget_get_height (widget);
      paintable = gtk_widget_paintable_new (widget);
      snapshot = gtk_snapshot_new ();
      gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
      node = gtk_snapshot_free_to_node (snapshot);
    }

  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);
  g_assert_nonnull (node);

  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  return gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
}

/* How many pixels of the texture are light (luma above one half): text
 * drawn light on a dark area, or a light area. */
guint
gb_test_count_light_pixels (GdkTexture *texture)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  gsize stride = (gsize) width * 4;
  g_autofree guchar *data = g_malloc (stride * height);
  guint count = 0;

  /* Downloaded as GDK_MEMORY_DEFAULT: B, G, R, A (premultiplied). */
  gdk_texture_download (texture, data, stride);
  for (gsize i = 0; i < stride * height; i += 4)
    if (data[i] * 114 + data[i + 1] * 587 + data[i + 2] * 299 > 128 * 1000)
      count++;

  return count;
}

/* Writes a PNG of the widget next to the test program (G_TEST_BUILDDIR),
 * to be looked at. */
void
gb_test_save_png (GtkWidget  *widget,
                  const char *filename)
{
  g_autoptr(GdkTexture) texture = gb_test_render (widget);
  g_autofree char *path = NULL;

  g_assert_nonnull (texture);
  path = g_test_build_filename (G_TEST_BUILT, filename, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("saved %s (%d×%d)", path,
                  gdk_texture_get_width (texture), gdk_texture_get_height (texture));
}

#ifdef HAVE_XTEST

#define FOCUS_TIMEOUT_MS 30000

static Display *
xdisplay_of (GtkWidget *widget)
{
  return gdk_x11_display_get_xdisplay (gtk_widget_get_display (widget));
}

gboolean
gb_test_xtest_available (GtkWidget *widget)
{
  int event_base, error_base, major, minor;

  return GDK_IS_X11_DISPLAY (gtk_widget_get_display (widget)) &&
         XTestQueryExtension (xdisplay_of (widget), &event_base, &error_base, &major, &minor);
}

static gboolean
window_is_active (gpointer data)
{
  return gtk_window_is_active (data);
}

void
gb_test_focus_window (GtkWidget *window)
{
  Display *dpy = xdisplay_of (window);

  gtk_test_widget_wait_for_draw (window);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  XSetInputFocus (dpy, gdk_x11_surface_get_xid (gtk_native_get_surface (GTK_NATIVE (window))),
                  RevertToParent, CurrentTime);
  XSync (dpy, False);
  g_assert_true (gb_test_wait_until_ms (window_is_active, window, FOCUS_TIMEOUT_MS));
}

void
gb_test_press (GtkWidget       *window,
               GdkModifierType  modifiers,
               KeySym           keysym)
{
  Display *dpy = xdisplay_of (window);
  static const struct { GdkModifierType mask; KeySym sym; } mods[] = {
    { GDK_CONTROL_MASK, XK_Control_L }, { GDK_SHIFT_MASK, XK_Shift_L }, { GDK_ALT_MASK, XK_Alt_L },
  };
  KeyCode key = XKeysymToKeycode (dpy, keysym);

  g_assert_cmpuint (key, !=, 0);
  for (guint i = 0; i < G_N_ELEMENTS (mods); i++)
    if (modifiers & mods[i].mask)
      XTestFakeKeyEvent (dpy, XKeysymToKeycode (dpy, mods[i].sym), True, CurrentTime);
  XTestFakeKeyEvent (dpy, key, True, CurrentTime);
  XTestFakeKeyEvent (dpy, key, False, CurrentTime);
  for (guint i = G_N_ELEMENTS (mods); i > 0; i--)
    if (modifiers & mods[i - 1].mask)
      XTestFakeKeyEvent (dpy, XKeysymToKeycode (dpy, mods[i - 1].sym), False, CurrentTime);
  XSync (dpy, False);
  /* Let GTK take the key (and move its focus) before the next one. */
  for (int i = 0; i < 20; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (2000);
    }
}

void
gb_test_type_text (GtkWidget  *window,
                   const char *text)
{
  Display *dpy = xdisplay_of (window);

  for (const char *p = text; *p != '\0'; p++)
    {
      /* Printable ASCII keysyms are the characters themselves. */
      KeySym sym = (KeySym) (guchar) *p;
      KeyCode code;
      gboolean shifted;

      g_assert_true (g_ascii_isprint (*p));
      code = XKeysymToKeycode (dpy, sym);
      shifted = code != 0 && XkbKeycodeToKeysym (dpy, code, 0, 0) != sym &&
                XkbKeycodeToKeysym (dpy, code, 0, 1) == sym;
      gb_test_press (window, shifted ? GDK_SHIFT_MASK : 0, sym);
    }
}

void
gb_test_settle (GtkWidget *window)
{
  XSync (xdisplay_of (window), False);
  for (int i = 0; i < 5; i++)
    {
      g_usleep (60000);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
}

#endif
