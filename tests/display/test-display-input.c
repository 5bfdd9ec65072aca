/* test-display-input.c: what GbDisplay sends a guest, and what it shows of it
 *
 * A source of the test's own (a GbDisplaySource subclass with a framebuffer
 * in memory) stands for the remote server, so every call the widget makes
 * is recorded exactly.  Real X events (XTest, under Xvfb) drive the widget:
 *
 *   mouse       the pointer over the widget reaches the guest at the guest
 *               pixel under it; a click presses and releases the left button
 *   scroll      the wheel turned up, then down, over the widget reaches the
 *               guest as scroll steps that way, with the buttons held
 *   resize      the guest is asked for the widget's size once it settles,
 *               and again when the window changes size; never when
 *               "resize-guest" is off
 *   clipboard   text the guest copies lands on the host clipboard; text
 *               another X client copies is sent to the guest
 *   screenshot  the "display.screenshot" action asks where to save, with a
 *               dated PNG name
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <gdk/x11/gdkx.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <X11/extensions/XTest.h>

#include "gb-display-private.h"
#include "gb-display-source.h"
#include "gb-test-qemu.h"

#define GUEST_WIDTH  640
#define GUEST_HEIGHT 400

/* The fake server ------------------------------------------------------- */

#define GB_TYPE_TEST_SOURCE (gb_test_source_get_type ())
G_DECLARE_FINAL_TYPE (GbTestSource, gb_test_source, GB, TEST_SOURCE, GbDisplaySource)

struct _GbTestSource
{
  GbDisplaySource  parent_instance;

  guint8          *pixels;
  int              width;
  int              height;

  /* What the display sent. */
  guint            n_pointer;
  double           x, y;
  GbDisplayButtons buttons;
  GbDisplayButtons buttons_seen;   /* every button held at some point */
  int              scroll_up;      /* steps, each way */
  int              scroll_down;
  GbDisplayButtons scroll_buttons; /* held at the last step */
  GArray          *size_requests;  /* int pairs */
  char            *clipboard;
};

G_DEFINE_FINAL_TYPE (GbTestSource, gb_test_source, GB_TYPE_DISPLAY_SOURCE)

/* A new framebuffer: a gradient, so a screenshot has something to compare. */
static void
gb_test_source_resize (GbTestSource *self,
                       int           width,
                       int           height)
{
  guint8 *old = self->pixels;

  self->pixels = g_malloc ((gsize) width * height * 4);
  self->width = width;
  self->height = height;
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guint8 *p = self->pixels + ((gsize) y * width + x) * 4;

        p[0] = x & 0xff;           /* B */
        p[1] = y & 0xff;           /* G */
        p[2] = (x + y) & 0xff;     /* R */
        p[3] = 0xff;
      }
  gb_display_source_set_framebuffer (GB_DISPLAY_SOURCE (self), self->pixels, width, height,
                                     (gsize) width * 4);
  g_free (old);
}

static void
gb_test_source_connect (GbDisplaySource *source)
{
  GbTestSource *self = GB_TEST_SOURCE (source);

  gb_display_source_set_absolute_pointer (source, TRUE);
  gb_test_source_resize (self, GUEST_WIDTH, GUEST_HEIGHT);
  gb_display_source_set_state (source, GB_DISPLAY_STATE_CONNECTED, NULL);
}

static void
gb_test_source_disconnect (GbDisplaySource *source)
{
  gb_display_source_set_framebuffer (source, NULL, 0, 0, 0);
  if (gb_display_source_get_state (source) != GB_DISPLAY_STATE_ERROR)
    gb_display_source_set_state (source, GB_DISPLAY_STATE_DISCONNECTED, NULL);
}

static void
gb_test_source_pointer (GbDisplaySource  *source,
                        double            x,
                        double            y,
                        GbDisplayButtons  buttons)
{
  GbTestSource *self = GB_TEST_SOURCE (source);

  self->n_pointer++;
  self->x = x;
  self->y = y;
  self->buttons = buttons;
  self->buttons_seen |= buttons;
}

static void
gb_test_source_scroll (GbDisplaySource  *source,
                       int               steps,
                       GbDisplayButtons  buttons)
{
  GbTestSource *self = GB_TEST_SOURCE (source);

  if (steps < 0)
    self->scroll_up += -steps;
  else
    self->scroll_down += steps;
  self->scroll_buttons = buttons;
}

static gboolean
gb_test_source_request_size (GbDisplaySource *source,
                             int              width,
                             int              height)
{
  GbTestSource *self = GB_TEST_SOURCE (source);
  int size[2] = { width, height };

  g_array_append_vals (self->size_requests, size, 2);
  return TRUE;
}

static void
gb_test_source_send_clipboard (GbDisplaySource *source,
                               const char      *text)
{
  GbTestSource *self = GB_TEST_SOURCE (source);

  g_free (self->clipboard);
  self->clipboard = g_strdup (text);
}

static void
gb_test_source_finalize (GObject *object)
{
  GbTestSource *self = GB_TEST_SOURCE (object);

  g_clear_pointer (&self->pixels, g_free);
  g_clear_pointer (&self->size_requests, g_array_unref);
  g_clear_pointer (&self->clipboard, g_free);

  G_OBJECT_CLASS (gb_test_source_parent_class)->finalize (object);
}

static void
gb_test_source_class_init (GbTestSourceClass *klass)
{
  GbDisplaySourceClass *source_class = GB_DISPLAY_SOURCE_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = gb_test_source_finalize;
  source_class->connect = gb_test_source_connect;
  source_class->disconnect = gb_test_source_disconnect;
  source_class->pointer = gb_test_source_pointer;
  source_class->scroll = gb_test_source_scroll;
  source_class->request_size = gb_test_source_request_size;
  source_class->send_clipboard = gb_test_source_send_clipboard;
}

static void
gb_test_source_init (GbTestSource *self)
{
  self->size_requests = g_array_new (FALSE, FALSE, sizeof (int));
}

/* The widget ------------------------------------------------------------ */

static GtkWidget *window;
static GbDisplay *display;
static GbTestSource *source;

static Display *
xdisplay (void)
{
  return gdk_x11_display_get_xdisplay (gdk_display_get_default ());
}

static gboolean
is_connected (gpointer data)
{
  return gb_display_get_state (display) == GB_DISPLAY_STATE_CONNECTED &&
         gb_display_get_guest_width (display) > 0;
}

/* Puts the pointer over widget point (wx, wy), with XTest. */
static void
move_to (double wx,
         double wy)
{
  GtkNative *native = gtk_widget_get_native (GTK_WIDGET (display));
  Window xid = gdk_x11_surface_get_xid (gtk_native_get_surface (native));
  double x = 0, y = 0, nx = 0, ny = 0;
  Window child;
  int rx, ry;

  g_assert_true (gtk_widget_translate_coordinates (GTK_WIDGET (display), GTK_WIDGET (native),
                                                   wx, wy, &x, &y));
  gtk_native_get_surface_transform (native, &nx, &ny);
  XTranslateCoordinates (xdisplay (), xid, DefaultRootWindow (xdisplay ()),
                         (int) round (x + nx), (int) round (y + ny), &rx, &ry, &child);
  XTestFakeMotionEvent (xdisplay (), -1, rx, ry, CurrentTime);
  XFlush (xdisplay ());
}

static void
button (guint    number,
        gboolean down)
{
  XTestFakeButtonEvent (xdisplay (), number, down, CurrentTime);
  XFlush (xdisplay ());
}

typedef struct {
  double x, y;
} Point;

static gboolean
pointer_at (gpointer data)
{
  Point *p = data;

  return source->n_pointer > 0 && fabs (source->x - p->x) <= 1.5 && fabs (source->y - p->y) <= 1.5;
}

static void
setup (void)
{
  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 600);
  display = GB_DISPLAY (gb_display_new ());
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (display));
  gtk_window_present (GTK_WINDOW (window));
  gb_test_spin (300);

  source = g_object_new (GB_TYPE_TEST_SOURCE, NULL);
  _gb_display_open_source (display, GB_DISPLAY_SOURCE (source));
  g_assert_true (gb_test_wait_until (is_connected, NULL, 10000));
  g_assert_cmpint (gb_display_get_guest_width (display), ==, GUEST_WIDTH);
}

static void
teardown (void)
{
  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&source);
  gb_test_spin (100);
}

static void
test_mouse (void)
{
  double ox, oy, scale;
  /* Guest pixels to aim at: near two corners and the middle. */
  const Point targets[] = { { 40, 30 }, { GUEST_WIDTH - 50, GUEST_HEIGHT - 20 }, { 320, 200 } };

  setup ();
  _gb_display_get_placement (display, &ox, &oy, &scale);
  g_test_message ("guest at (%.0f, %.0f), %.3f widget pixels per guest pixel", ox, oy, scale);
  g_assert_cmpfloat (scale, >, 0);

  for (guint i = 0; i < G_N_ELEMENTS (targets); i++)
    {
      Point p = targets[i];

      /* The middle of the guest pixel, where rounding cannot tip it over. */
      move_to (ox + (p.x + 0.5) * scale, oy + (p.y + 0.5) * scale);
      g_assert_true (gb_test_wait_until (pointer_at, &p, 5000));
      g_assert_cmpint (source->buttons, ==, 0);
    }

  /* A click: the left button goes down, then up, at the same place. */
  button (1, TRUE);
  gb_test_spin (200);
  g_assert_cmpint (source->buttons, ==, GB_DISPLAY_BUTTON_LEFT);
  button (1, FALSE);
  gb_test_spin (200);
  g_assert_cmpint (source->buttons, ==, 0);
  g_assert_cmpfloat (fabs (source->x - 320), <=, 1.5);
  /* The right button is the right button. */
  button (3, TRUE);
  gb_test_spin (200);
  g_assert_cmpint (source->buttons, ==, GB_DISPLAY_BUTTON_RIGHT);
  button (3, FALSE);
  gb_test_spin (200);
  g_assert_cmpint (source->buttons_seen, ==, GB_DISPLAY_BUTTON_LEFT | GB_DISPLAY_BUTTON_RIGHT);

  teardown ();
}

static gboolean
scrolled_up (gpointer data)
{
  return source->scroll_up >= GPOINTER_TO_INT (data);
}

static gboolean
scrolled_down (gpointer data)
{
  return source->scroll_down >= GPOINTER_TO_INT (data);
}

/* X buttons 4 and 5 are the wheel's clicks up and down (XTest). */
static void
wheel (guint number,
       guint clicks)
{
  for (guint i = 0; i < clicks; i++)
    {
      button (number, TRUE);
      button (number, FALSE);
      gb_test_spin (100);
    }
}

static void
test_scroll (void)
{
  double ox, oy, scale;
  Point middle = { GUEST_WIDTH / 2, GUEST_HEIGHT / 2 };

  setup ();
  _gb_display_get_placement (display, &ox, &oy, &scale);
  move_to (ox + (middle.x + 0.5) * scale, oy + (middle.y + 0.5) * scale);
  g_assert_true (gb_test_wait_until (pointer_at, &middle, 5000));

  /* Up: one step up a click, none down. */
  wheel (4, 3);
  g_assert_true (gb_test_wait_until (scrolled_up, GINT_TO_POINTER (3), 5000));
  gb_test_spin (300);
  g_test_message ("3 clicks up: %d steps up, %d down", source->scroll_up, source->scroll_down);
  g_assert_cmpint (source->scroll_up, ==, 3);
  g_assert_cmpint (source->scroll_down, ==, 0);
  g_assert_cmpint (source->scroll_buttons, ==, 0);

  /* Down, with the right button held: steps down, the button with them. */
  button (3, TRUE);
  gb_test_spin (200);
  wheel (5, 3);
  g_assert_true (gb_test_wait_until (scrolled_down, GINT_TO_POINTER (3), 5000));
  gb_test_spin (300);
  g_test_message ("3 clicks down: %d steps down, %d up", source->scroll_down, source->scroll_up);
  g_assert_cmpint (source->scroll_down, ==, 3);
  g_assert_cmpint (source->scroll_up, ==, 3);
  g_assert_cmpint (source->scroll_buttons, ==, GB_DISPLAY_BUTTON_RIGHT);
  button (3, FALSE);
  gb_test_spin (200);

  teardown ();
}

typedef struct {
  int width, height;
} Size;

static gboolean
asked_for (gpointer data)
{
  Size *size = data;
  GArray *r = source->size_requests;

  return r->len >= 2 &&
         g_array_index (r, int, r->len - 2) == size->width &&
         g_array_index (r, int, r->len - 1) == size->height;
}

static gboolean
widget_is (gpointer data)
{
  Size *size = data;

  return gtk_widget_get_width (GTK_WIDGET (display)) == size->width &&
         gtk_widget_get_height (GTK_WIDGET (display)) == size->height;
}

static void
test_resize_guest (void)
{
  int scale;
  Size size;
  guint before;

  setup ();
  scale = gtk_widget_get_scale_factor (GTK_WIDGET (display));
  g_assert_true (gb_display_get_resize_guest (display));

  /* The window is not the guest's size: the guest is asked for the
   * widget's, in device pixels. */
  size.width = gtk_widget_get_width (GTK_WIDGET (display)) * scale;
  size.height = gtk_widget_get_height (GTK_WIDGET (display)) * scale;
  g_assert_cmpint (size.width, !=, GUEST_WIDTH);
  g_assert_true (gb_test_wait_until (asked_for, &size, 10000));

  /* The guest follows: a new framebuffer of that size is shown 1:1. */
  gb_test_source_resize (source, size.width, size.height);
  gb_test_spin (500);
  g_assert_cmpint (gb_display_get_guest_width (display), ==, size.width);
  before = source->size_requests->len;
  gb_test_spin (1000);
  /* …and nothing more is asked while the sizes agree. */
  g_assert_cmpuint (source->size_requests->len, ==, before);

  /* The window changes size: asked again, for the new size. */
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 700);
  {
    Size target = { 900, 700 };

    g_assert_true (gb_test_wait_until (widget_is, &target, 10000));
  }
  size.width = gtk_widget_get_width (GTK_WIDGET (display)) * scale;
  size.height = gtk_widget_get_height (GTK_WIDGET (display)) * scale;
  g_assert_true (gb_test_wait_until (asked_for, &size, 10000));

  /* Turned off: a size change asks for nothing. */
  gb_display_set_resize_guest (display, FALSE);
  before = source->size_requests->len;
  gtk_window_set_default_size (GTK_WINDOW (window), 700, 500);
  {
    Size target = { 700, 500 };

    g_assert_true (gb_test_wait_until (widget_is, &target, 10000));
  }
  gb_test_spin (1500);
  g_assert_cmpuint (source->size_requests->len, ==, before);

  teardown ();
}

static void
read_text_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      data)
{
  char **text = data;

  *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, NULL);
  if (*text == NULL)
    *text = g_strdup ("");
}

static gboolean
is_set (gpointer data)
{
  return *(char **) data != NULL;
}

static gboolean
guest_got (gpointer data)
{
  return g_strcmp0 (source->clipboard, data) == 0;
}

static void
test_clipboard (void)
{
  const char *from_guest = "copied in the guest: ünïcödé ✓";
  const char *from_host = "copied on the host: 主机";
  g_autofree char *text = NULL;
  GdkDisplay *other;

  setup ();

  /* The guest copies: the host clipboard has it. */
  gb_display_source_emit_clipboard (GB_DISPLAY_SOURCE (source), from_guest);
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (display)), NULL,
                                 read_text_cb, &text);
  g_assert_true (gb_test_wait_until (is_set, &text, 10000));
  g_assert_cmpstr (text, ==, from_guest);
  /* What came from the guest is not sent back to it. */
  gb_test_spin (300);
  g_assert_null (source->clipboard);

  /* Another X client (a second connection to the X server) copies: the
   * guest is sent the text. */
  other = gdk_display_open (gdk_display_get_name (gdk_display_get_default ()));
  g_assert_nonnull (other);
  gdk_clipboard_set_text (gdk_display_get_clipboard (other), from_host);
  g_assert_true (gb_test_wait_until (guest_got, (gpointer) from_host, 10000));

  gdk_display_close (other);
  teardown ();
}

static gboolean
file_chooser_shown (gpointer data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, i);

      if (GTK_IS_FILE_CHOOSER (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
        {
          *(GtkWindow **) data = w;
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
no_file_chooser (gpointer data)
{
  GtkWindow *chooser = NULL;

  return !file_chooser_shown (&chooser);
}

/* The action asks where to save, proposing a dated PNG name; cancelled, it
 * saves nothing.  (What a screenshot holds is checked in display-spice,
 * through gb_display_save_screenshot(), which the action calls.) */
static void
test_screenshot_action (void)
{
  GtkWindow *chooser = NULL;
  g_autofree char *name = NULL;

  setup ();

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (display), "display.screenshot", NULL));
  g_assert_true (gb_test_wait_until (file_chooser_shown, &chooser, 10000));
  g_assert_cmpint (gtk_file_chooser_get_action (GTK_FILE_CHOOSER (chooser)), ==, GTK_FILE_CHOOSER_ACTION_SAVE);
  g_assert_true (gtk_window_get_transient_for (chooser) == GTK_WINDOW (window));
  name = gtk_file_chooser_get_current_name (GTK_FILE_CHOOSER (chooser));
  g_test_message ("proposed: %s", name);
  g_assert_true (g_str_has_prefix (name, "Screenshot "));
  g_assert_true (g_str_has_suffix (name, ".png"));

  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_CANCEL);
  g_assert_true (gb_test_wait_until (no_file_chooser, NULL, 10000));

  teardown ();
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  g_test_add_func ("/display/input/mouse", test_mouse);
  g_test_add_func ("/display/input/scroll", test_scroll);
  g_test_add_func ("/display/input/resize-guest", test_resize_guest);
  g_test_add_func ("/display/input/clipboard", test_clipboard);
  g_test_add_func ("/display/input/screenshot-action", test_screenshot_action);

  return g_test_run ();
}
