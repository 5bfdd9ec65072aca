/* test-display-spice.c: GbConsoleView (with its GbDisplay) against QEMU's
 * SPICE server on a UNIX socket
 *
 *   pixels  the widget's tiles, rendered by GTK, equal QEMU's screendump
 *   keys    a shell command typed with XTest reaches the guest (XT set 1
 *           scan codes through the inputs channel)
 *   actions the console view's actions and the screenshot file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "gb-console-view.h"
#include "gb-display-private.h"
#include "gb-test-qemu.h"

static char *guest_dir;
static char *skip_reason;
static GbTestQemu *qemu;
static GtkWidget *window;
static GbConsoleView *view;
static GbDisplay *display;

static gboolean
is_connected (gpointer data)
{
  return gb_display_get_state (display) == GB_DISPLAY_STATE_CONNECTED;
}

static gboolean
framebuffer_console_up (gpointer data)
{
  return gb_display_get_guest_width (display) > 720;
}

static gboolean
widget_matches_guest (gpointer data)
{
  g_autoptr(GdkTexture) before = gb_test_qemu_screendump (qemu);
  g_autoptr(GdkTexture) after = NULL;
  g_autoptr(GdkTexture) shown = NULL;
  gssize diff;

  gb_test_spin (500);
  after = gb_test_qemu_screendump (qemu);
  shown = _gb_display_render_texture (display);
  if (before == NULL || after == NULL || shown == NULL)
    return FALSE;
  if (gb_test_texture_diff (before, after) != 0)
    return FALSE;
  diff = gb_test_texture_diff (shown, after);
  if (diff == 0)
    return TRUE;

  {
    g_autofree char *a = g_strdup_printf ("%s/spice-widget.png", gb_test_tmpdir ());
    g_autofree char *b = g_strdup_printf ("%s/spice-guest.png", gb_test_tmpdir ());

    gdk_texture_save_to_png (shown, a);
    gdk_texture_save_to_png (after, b);
    g_test_message ("widget differs from guest in %" G_GSSIZE_FORMAT " pixels (%s, %s)", diff, a, b);
  }
  return FALSE;
}

static void
test_pixels (void)
{
  g_autofree char *sock = g_strdup_printf ("%s/spice.sock", gb_test_tmpdir ());
  g_autofree char *spice = g_strdup_printf ("unix=on,addr=%s,disable-ticketing=on,"
                                            "image-compression=auto_glz,jpeg-wan-compression=never,"
                                            "zlib-glz-wan-compression=never,streaming-video=off", sock);
  g_autofree char *uri = g_strdup_printf ("spice+unix://%s", sock);
  const char *args[] = { "-spice", spice, NULL };
  g_autoptr(GdkTexture) shown = NULL;
  g_autoptr(GError) error = NULL;

  if (skip_reason != NULL)
    {
      g_test_skip (skip_reason);
      return;
    }

  qemu = gb_test_qemu_start ("spice", guest_dir, args);

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 760);
  view = GB_CONSOLE_VIEW (gb_console_view_new ());
  display = gb_console_view_get_display (view);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (view));
  gtk_window_present (GTK_WINDOW (window));

  g_assert_true (gb_console_view_open_uri (view, uri, &error));
  g_assert_no_error (error);
  g_assert_true (gb_test_wait_until (is_connected, NULL, 30000));
  g_assert_true (gb_test_wait_until (framebuffer_console_up, NULL, 90000));

  g_assert_true (gb_test_wait_until (widget_matches_guest, NULL, 60000));
  shown = _gb_display_render_texture (display);
  g_assert_cmpuint (gb_test_texture_lit (shown), >, 500);

  {
    g_autofree char *png = gb_test_save_window_png (window, "spice-window");

    g_test_message ("the window: %s", png);
  }
}

static void
test_keys (void)
{
  if (qemu == NULL)
    {
      g_test_skip (skip_reason ? skip_reason : "no guest");
      return;
    }

  gtk_widget_grab_focus (GTK_WIDGET (display));
  gb_test_xtest_move_into (GTK_WIDGET (display));
  gb_test_spin (300);
  g_assert_true (gtk_widget_has_focus (GTK_WIDGET (display)));

  gb_test_xtest_type ("echo GB-SPICE-$((6*7)) > /dev/ttyS0\n");
  g_assert_true (gb_test_qemu_wait_serial (qemu, "GB-SPICE-42", 30000));
}

static void
test_actions (void)
{
  g_autofree char *path = g_strdup_printf ("%s/shot.png", gb_test_tmpdir ());
  g_autoptr(GdkTexture) saved = NULL;
  g_autoptr(GdkTexture) guest = NULL;
  g_autoptr(GError) error = NULL;

  if (qemu == NULL)
    {
      g_test_skip (skip_reason ? skip_reason : "no guest");
      return;
    }

  /* Screenshot: the PNG holds the guest screen at its own size (once the
   * screen has settled after the typing). */
  g_assert_true (gb_test_wait_until (widget_matches_guest, NULL, 30000));
  g_assert_true (gb_display_save_screenshot (display, path, &error));
  g_assert_no_error (error);
  saved = gdk_texture_new_from_filename (path, &error);
  g_assert_no_error (error);
  guest = gb_test_qemu_screendump (qemu);
  g_assert_cmpint (gb_test_texture_diff (saved, guest), ==, 0);

  /* Scale mode through the console view's action. */
  gtk_widget_activate_action (GTK_WIDGET (view), "console.scale-mode", "s", "original");
  g_assert_cmpint (gb_display_get_scale_mode (display), ==, GB_DISPLAY_SCALE_ORIGINAL);
  /* 1:1 in a window smaller than the guest: the display keeps the guest's
   * size and the view scrolls. */
  gb_test_spin (300);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (display)), >=, gb_display_get_guest_width (display));
  g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (display)), >=, gb_display_get_guest_height (display));
  gtk_widget_activate_action (GTK_WIDGET (view), "console.toggle-scale", NULL);
  g_assert_cmpint (gb_display_get_scale_mode (display), ==, GB_DISPLAY_SCALE_FIT);
  gb_test_spin (300);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (display)), <, gb_display_get_guest_width (display));

  /* Fullscreen hides the toolbar; leaving it brings it back. */
  gtk_widget_activate_action (GTK_WIDGET (view), "console.fullscreen", NULL);
  g_assert_true (gb_console_view_get_fullscreen (view));
  gtk_widget_activate_action (GTK_WIDGET (view), "console.fullscreen", NULL);
  g_assert_false (gb_console_view_get_fullscreen (view));

  /* Send Keys: Ctrl+Alt+F2 switches the guest to its second virtual
   * terminal (Linux switches only to allocated ones: writing to it allocates
   * it), nearly empty; Ctrl+Alt+F1 brings the shell back. */
  gb_test_xtest_type ("echo vt2 > /dev/tty2\n");
  g_assert_true (gb_test_wait_until (widget_matches_guest, NULL, 30000));
  g_clear_object (&guest);
  guest = gb_test_qemu_screendump (qemu);
  g_assert_true (gb_display_send_keys (display, "ctrl-alt-f2"));
  gb_test_spin (1500);
  {
    g_autoptr(GdkTexture) vt2 = gb_test_qemu_screendump (qemu);

    g_assert_cmpuint (gb_test_texture_lit (vt2), <, gb_test_texture_lit (guest));
  }
  gtk_widget_activate_action (GTK_WIDGET (view), "console.send-keys", "s", "ctrl-alt-f1");
  g_assert_true (gb_test_wait_until (widget_matches_guest, NULL, 30000));
  {
    g_autoptr(GdkTexture) back = gb_test_qemu_screendump (qemu);

    g_assert_cmpint (gb_test_texture_diff (back, guest), ==, 0);
  }
  g_assert_false (gb_display_send_keys (display, "ctrl-alt-nosuchkey"));
}

static void
on_size (GbDisplay  *d,
         GParamSpec *pspec,
         guint      *changes)
{
  (*changes)++;
}

static gboolean
back_in_mode (gpointer data)
{
  int *mode = data;

  return gb_display_get_guest_width (display) == mode[0] &&
         gb_display_get_guest_height (display) == mode[1];
}

static void
test_resize (void)
{
  int mode[2];
  guint changes = 0;
  gulong id;

  if (qemu == NULL)
    {
      g_test_skip (skip_reason ? skip_reason : "no guest");
      return;
    }

  /* A reset: the primary surface goes away, comes back in the BIOS text
   * mode, then in the framebuffer mode; the widget follows each surface. */
  mode[0] = gb_display_get_guest_width (display);
  mode[1] = gb_display_get_guest_height (display);
  id = g_signal_connect (display, "notify::guest-width", G_CALLBACK (on_size), &changes);
  g_free (gb_test_qemu_qmp (qemu, "{\"execute\":\"system_reset\"}"));
  for (int i = 0; i < 900 && !(changes >= 2 && back_in_mode (mode)); i++)
    gb_test_spin (100);
  g_signal_handler_disconnect (display, id);

  g_test_message ("%u width changes", changes);
  g_assert_cmpuint (changes, >=, 2);
  g_assert_true (back_in_mode (mode));
  g_assert_cmpint (gb_display_get_state (display), ==, GB_DISPLAY_STATE_CONNECTED);
  g_assert_true (gb_test_wait_until (widget_matches_guest, NULL, 60000));
}

static void
test_close (void)
{
  if (view == NULL)
    {
      g_test_skip (skip_reason ? skip_reason : "no view");
      return;
    }

  g_object_add_weak_pointer (G_OBJECT (view), (gpointer *) &view);
  gb_console_view_close (view);
  g_assert_cmpint (gb_display_get_state (display), ==, GB_DISPLAY_STATE_DISCONNECTED);
  gtk_window_destroy (GTK_WINDOW (window));
  gb_test_spin (100);
  g_assert_null (view);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  guest_dir = gb_test_guest_dir (&skip_reason);

  g_test_add_func ("/display/spice/pixels", test_pixels);
  g_test_add_func ("/display/spice/keys", test_keys);
  g_test_add_func ("/display/spice/actions", test_actions);
  g_test_add_func ("/display/spice/resize", test_resize);
  g_test_add_func ("/display/spice/close", test_close);

  ret = g_test_run ();

  g_clear_pointer (&qemu, gb_test_qemu_free);
  return ret;
}
