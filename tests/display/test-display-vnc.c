/* test-display-vnc.c: GbDisplay against QEMU's own VNC server
 *
 * One TCG guest (Debian kernel + busybox, std VGA with the bochs DRM driver)
 * serves VNC on a UNIX socket.  In order:
 *   pixels     the widget's tiles, rendered by GTK, equal QEMU's screendump
 *   keys       a shell command typed with XTest reaches the guest's shell
 *   resize     a guest reboot goes through the BIOS text mode and back; the
 *              widget follows on the same connection
 *   reconnect  QEMU quits and comes back on the same socket: the widget
 *              reconnects by itself
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "gb-display-private.h"
#include "gb-test-qemu.h"

static char *guest_dir;
static char *skip_reason;
static GbTestQemu *qemu;
static GtkWidget *window;
static GbDisplay *display;
static char *vnc_uri;
static char *vnc_arg;
static GArray *sizes;

static const char *
vnc_args (void)
{
  return vnc_arg;
}

static gboolean
is_connected (gpointer data)
{
  return gb_display_get_state (display) == GB_DISPLAY_STATE_CONNECTED;
}

static gboolean
is_connecting (gpointer data)
{
  return gb_display_get_state (display) == GB_DISPLAY_STATE_CONNECTING;
}

static gboolean
framebuffer_console_up (gpointer data)
{
  /* The BIOS text mode is 720×400; bochs-drm switches to a bigger mode. */
  return gb_display_get_guest_width (display) > 720;
}

static void
on_size (GbDisplay  *d,
         GParamSpec *pspec,
         gpointer    data)
{
  int size[2] = { gb_display_get_guest_width (d), gb_display_get_guest_height (d) };

  if (size[0] == 0 || size[1] == 0)
    return;
  if (sizes->len > 0)
    {
      int *last = &g_array_index (sizes, int, sizes->len - 2);

      if (last[0] == size[0] && last[1] == size[1])
        return;
    }
  g_array_append_vals (sizes, size, 2);
}

/* A still screen: two screendumps half a second apart agree, and the widget,
 * given that time to catch up, shows exactly the same pixels. */
static gboolean
widget_matches_guest (gpointer data)
{
  g_autoptr(GdkTexture) before = gb_test_qemu_screendump (qemu);
  g_autoptr(GdkTexture) after = NULL;
  g_autoptr(GdkTexture) shown = NULL;

  gb_test_spin (500);
  after = gb_test_qemu_screendump (qemu);
  shown = _gb_display_render_texture (display);
  if (before == NULL || after == NULL || shown == NULL)
    return FALSE;
  if (gb_test_texture_diff (before, after) != 0)
    return FALSE;  /* still changing */
  if (gb_test_texture_diff (shown, after) == 0)
    return TRUE;

  {
    g_autofree char *a = g_strdup_printf ("%s/vnc-widget.png", gb_test_tmpdir ());
    g_autofree char *b = g_strdup_printf ("%s/vnc-guest.png", gb_test_tmpdir ());

    gdk_texture_save_to_png (shown, a);
    gdk_texture_save_to_png (after, b);
    g_test_message ("widget %dx%d differs from guest %dx%d in %" G_GSSIZE_FORMAT " pixels (%s, %s)",
                    gdk_texture_get_width (shown), gdk_texture_get_height (shown),
                    gdk_texture_get_width (after), gdk_texture_get_height (after),
                    gb_test_texture_diff (shown, after), a, b);
  }
  return FALSE;
}

static void
assert_pixels_match (void)
{
  g_autoptr(GdkTexture) shown = NULL;

  g_assert_true (gb_test_wait_until (widget_matches_guest, NULL, 60000));
  shown = _gb_display_render_texture (display);
  /* Not a trivially black screen: the shell prompt and boot text are lit. */
  g_assert_cmpuint (gb_test_texture_lit (shown), >, 500);
}

/* 128×128 tiles (gb-display-paintable.c) over the guest's screen. */
static guint
screen_tiles (void)
{
  return ((gb_display_get_guest_width (display) + 127) / 128) *
         ((gb_display_get_guest_height (display) + 127) / 128);
}

static void
test_pixels (void)
{
  const char *args[] = { "-vnc", vnc_args (), NULL };
  g_autoptr(GError) error = NULL;
  guint64 frames, uploads;

  if (skip_reason != NULL)
    {
      g_test_skip (skip_reason);
      return;
    }

  qemu = gb_test_qemu_start ("vnc", guest_dir, args);

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 760);
  display = GB_DISPLAY (gb_display_new ());
  g_signal_connect (display, "notify::guest-width", G_CALLBACK (on_size), NULL);
  g_signal_connect (display, "notify::guest-height", G_CALLBACK (on_size), NULL);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (display));
  gtk_window_present (GTK_WINDOW (window));

  g_assert_true (gb_display_open_uri (display, vnc_uri, &error));
  g_assert_no_error (error);
  g_assert_true (gb_test_wait_until (is_connected, NULL, 30000));
  g_assert_true (gb_test_wait_until (framebuffer_console_up, NULL, 90000));

  assert_pixels_match ();
  /* Only damaged tiles are uploaded: fewer uploads than frames × tiles. */
  frames = _gb_display_get_frame_count (display);
  uploads = _gb_display_get_tile_uploads (display);
  g_test_message ("%" G_GUINT64_FORMAT " frames, %" G_GUINT64_FORMAT " tile uploads, %u tiles a screen",
                  frames, uploads, screen_tiles ());
  g_assert_cmpuint (frames, >, 0);
  g_assert_cmpuint (uploads, >=, screen_tiles ());
  g_assert_cmpuint (uploads, <, frames * screen_tiles ());

  /* A still screen (the guest's cursor is off) uploads nothing, however
   * often GTK draws it. */
  for (guint i = 0; i < 10; i++)
    {
      gtk_widget_queue_draw (GTK_WIDGET (display));
      gb_test_spin (150);
    }
  g_assert_cmpuint (_gb_display_get_tile_uploads (display), ==, uploads);
  g_assert_cmpuint (_gb_display_get_frame_count (display), ==, frames);
}

static void
test_keys (void)
{
  guint64 uploads, frames;

  if (qemu == NULL)
    {
      g_test_skip (skip_reason ? skip_reason : "no guest");
      return;
    }

  gtk_widget_grab_focus (GTK_WIDGET (display));
  gb_test_xtest_move_into (GTK_WIDGET (display));
  gb_test_spin (300);
  g_assert_true (gtk_widget_has_focus (GTK_WIDGET (display)));

  /* Pointer inside a focused display: the keyboard is grabbed, and the
   * release combination (Ctrl+Alt by default) gives it back. */
  g_assert_true (gb_display_get_grabbed (display));
  gb_test_xtest_chord ((const char *[]) { "Control_L", "Alt_L", NULL });
  g_assert_false (gb_display_get_grabbed (display));

  /* Shifted characters ($ ( ) * >) included; the guest computes the marker,
   * so only a command that really ran can print it. */
  uploads = _gb_display_get_tile_uploads (display);
  frames = _gb_display_get_frame_count (display);
  gb_test_xtest_type ("echo GB-VNC-$((6*7)) > /dev/ttyS0\n");
  if (!gb_test_qemu_wait_serial (qemu, "GB-VNC-42", 30000))
    {
      g_autoptr(GdkTexture) screen = gb_test_qemu_screendump (qemu);
      g_autofree char *path = g_strdup_printf ("%s/vnc-keys.png", gb_test_tmpdir ());

      gdk_texture_save_to_png (screen, path);
      g_test_message ("the guest screen after typing: %s", path);
      g_test_fail ();
      return;
    }

  /* The typed line shows, and only the tiles it touched were uploaded
   * again: each frame re-uploads fewer than a whole screen's tiles. */
  assert_pixels_match ();
  uploads = _gb_display_get_tile_uploads (display) - uploads;
  frames = _gb_display_get_frame_count (display) - frames;
  g_test_message ("typing a line: %" G_GUINT64_FORMAT " frames, %" G_GUINT64_FORMAT " tile uploads",
                  frames, uploads);
  g_assert_cmpuint (frames, >, 0);
  g_assert_cmpuint (uploads, >=, frames);
  /* A character or a line of text is a few tiles of a screen. */
  g_assert_cmpuint (uploads, <=, frames * screen_tiles () / 4);
}

static void
test_resize (void)
{
  guint before;
  int width, height;

  if (qemu == NULL)
    {
      g_test_skip (skip_reason ? skip_reason : "no guest");
      return;
    }

  width = gb_display_get_guest_width (display);
  height = gb_display_get_guest_height (display);
  before = sizes->len / 2;

  /* A reset keeps QEMU's VNC server: same connection, new modes. */
  g_free (gb_test_qemu_qmp (qemu, "{\"execute\":\"system_reset\"}"));
  /* Wait for the mode list to grow by the BIOS mode and come back. */
  for (int i = 0; i < 900; i++)
    {
      if (sizes->len / 2 >= before + 2 &&
          gb_display_get_guest_width (display) == width &&
          gb_display_get_guest_height (display) == height)
        break;
      gb_test_spin (100);
    }

  for (guint i = 0; i < sizes->len / 2; i++)
    g_test_message ("guest mode %u: %dx%d", i,
                    g_array_index (sizes, int, 2 * i), g_array_index (sizes, int, 2 * i + 1));

  g_assert_cmpuint (sizes->len / 2, >=, before + 2);
  g_assert_cmpint (gb_display_get_guest_width (display), ==, width);
  g_assert_cmpint (gb_display_get_guest_height (display), ==, height);
  g_assert_cmpint (gb_display_get_state (display), ==, GB_DISPLAY_STATE_CONNECTED);
  assert_pixels_match ();
}

static void
test_reconnect (void)
{
  const char *args[] = { "-vnc", vnc_args (), NULL };

  if (qemu == NULL)
    {
      g_test_skip (skip_reason ? skip_reason : "no guest");
      return;
    }

  /* The machine goes away… */
  gb_test_qemu_quit (qemu);
  g_clear_pointer (&qemu, gb_test_qemu_free);
  g_assert_true (gb_test_wait_until (is_connecting, NULL, 10000));

  /* …and comes back on the same socket: the widget finds it alone. */
  qemu = gb_test_qemu_start ("vnc", guest_dir, args);
  g_assert_true (gb_test_wait_until (is_connected, NULL, 30000));
  g_assert_true (gb_test_wait_until (framebuffer_console_up, NULL, 90000));
  assert_pixels_match ();
}

static void
test_close (void)
{
  GbDisplaySource *source;

  if (display == NULL)
    {
      g_test_skip (skip_reason ? skip_reason : "no display");
      return;
    }

  source = _gb_display_get_source (display);
  g_object_add_weak_pointer (G_OBJECT (source), (gpointer *) &source);
  g_object_add_weak_pointer (G_OBJECT (display), (gpointer *) &display);

  gb_display_close (display);
  g_assert_cmpint (gb_display_get_state (display), ==, GB_DISPLAY_STATE_DISCONNECTED);
  g_assert_null (source);

  gtk_window_destroy (GTK_WINDOW (window));
  gb_test_spin (100);
  g_assert_null (display);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  guest_dir = gb_test_guest_dir (&skip_reason);
  sizes = g_array_new (FALSE, FALSE, sizeof (int));
  vnc_arg = g_strdup_printf ("unix:%s/vnc.sock", gb_test_tmpdir ());
  vnc_uri = g_strdup_printf ("vnc+unix://%s/vnc.sock", gb_test_tmpdir ());

  g_test_add_func ("/display/vnc/pixels", test_pixels);
  g_test_add_func ("/display/vnc/keys", test_keys);
  g_test_add_func ("/display/vnc/resize", test_resize);
  g_test_add_func ("/display/vnc/reconnect", test_reconnect);
  g_test_add_func ("/display/vnc/close", test_close);

  ret = g_test_run ();

  g_clear_pointer (&qemu, gb_test_qemu_free);
  return ret;
}
