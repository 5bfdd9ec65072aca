/* test-display-bundled.c: the console view on a glassbox-vmm machine
 *
 * The same console view as for libvirt machines, on a machine of the
 * bundled provider ("This computer (Glassbox)"): the tiny "screen" guest
 * draws a known pattern into glassbox-vmm's framebuffer and echoes what its
 * i8042 receives to the serial port.  The view follows the machine's state
 * (off: a sentence; started: the screen and the serial console open by
 * themselves); the screen's pixels are the pattern; a key typed into the
 * screen with XTest reaches the guest, which answers on the serial tab and
 * repaints rows of the screen.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <vte/vte.h>

#include "gb-bundled-machine.h"
#include "gb-bundled-provider.h"
#include "gb-console-view.h"
#include "gb-display-private.h"
#include "gb-test-qemu.h"

#define WIDTH 256
#define HEIGHT 192

static GbConsoleView *view;
static GtkWidget *terminal;

static gboolean
has_result (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static gboolean
display_is (gpointer data)
{
  return (int) gb_display_get_state (gb_console_view_get_display (view)) == GPOINTER_TO_INT (data);
}

static gboolean
screen_is_up (gpointer data)
{
  GbDisplay *display = gb_console_view_get_display (view);

  return gb_display_get_state (display) == GB_DISPLAY_STATE_CONNECTED &&
         gb_display_get_guest_width (display) == WIDTH;
}

static gboolean
terminal_shows (gpointer data)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  g_autofree char *text = vte_terminal_get_text (VTE_TERMINAL (terminal), NULL, NULL, NULL);
  G_GNUC_END_IGNORE_DEPRECATIONS

  return text != NULL && strstr (text, data) != NULL;
}

/* The guest screen as R,G,B of one pixel. */
static void
pixel_at (GdkTexture *texture,
          int         x,
          int         y,
          guint8      rgb[3])
{
  gsize stride = gdk_texture_get_width (texture) * 4;
  g_autofree guint8 *data = g_malloc (stride * gdk_texture_get_height (texture));
  const guint8 *p;

  /* CAIRO_FORMAT_ARGB32: B,G,R,A in memory here. */
  gdk_texture_download (texture, data, stride);
  p = data + (gsize) y * stride + (gsize) x * 4;
  rgb[0] = p[2];
  rgb[1] = p[1];
  rgb[2] = p[0];
}

static gboolean
row_is_white (gpointer data)
{
  g_autoptr(GdkTexture) texture = gb_display_get_screenshot (gb_console_view_get_display (view));
  guint8 rgb[3];

  if (texture == NULL)
    return FALSE;
  pixel_at (texture, 10, GPOINTER_TO_INT (data), rgb);
  return rgb[0] == 0xff && rgb[1] == 0xff && rgb[2] == 0xff;
}

static void
test_screen_and_serial (void)
{
  g_autofree char *vmm = g_build_filename (GB_BUILD_ROOT, "hypervisor", "vmm", "glassbox-vmm", NULL);
  g_autofree char *kernel = g_build_filename (GB_BUILD_ROOT, "tests", "guests", "screen.elf", NULL);
  g_autofree char *machines = g_build_filename (gb_test_tmpdir (), "machines", NULL);
  g_autofree char *run = g_build_filename (gb_test_tmpdir (), "run", NULL);
  g_autoptr(JsonObject) config = json_object_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GbProvider) provider = NULL;
  g_autoptr(GbMachine) machine = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *png = NULL;
  GtkWidget *window;
  GPid pid = 0;

  if (!g_file_test (vmm, G_FILE_TEST_IS_EXECUTABLE) || !g_file_test (kernel, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("glassbox-vmm or the tiny guests are not built (-Dhypervisor=false)");
      return;
    }
  if (access ("/dev/kvm", R_OK | W_OK) != 0)
    {
      g_test_skip ("no usable /dev/kvm here: glassbox-vmm cannot run a guest");
      return;
    }
  g_setenv ("GLASSBOX_VMM", vmm, TRUE);

  provider = gb_bundled_provider_new_for_dirs (machines, run);
  gb_provider_connect_async (provider, NULL, store_result_cb, &result);
  g_assert_true (gb_test_wait_until (has_result, &result, 20000));
  g_assert_true (gb_provider_connect_finish (provider, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  json_object_set_string_member (config, "name", "screen");
  json_object_set_string_member (config, "kernel", kernel);
  json_object_set_int_member (config, "memory", 32);
  json_object_set_string_member (config, "display", "vnc,width=256,height=192");
  gb_bundled_provider_create_machine_async (GB_BUNDLED_PROVIDER (provider), config, NULL,
                                            store_result_cb, &result);
  g_assert_true (gb_test_wait_until (has_result, &result, 20000));
  machine = gb_bundled_provider_create_machine_finish (GB_BUNDLED_PROVIDER (provider), result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 600);
  view = GB_CONSOLE_VIEW (gb_console_view_new ());
  terminal = gb_serial_console_get_terminal (gb_console_view_get_serial_console (view));
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (view));
  gtk_window_present (GTK_WINDOW (window));

  /* Off: the screen says so. */
  gb_console_view_set_machine (view, machine);
  g_assert_cmpint (gb_display_get_state (gb_console_view_get_display (view)), ==,
                   GB_DISPLAY_STATE_DISCONNECTED);
  g_test_message ("off: %s", gb_display_get_error (gb_console_view_get_display (view)));

  /* Started elsewhere (not through the view): it follows, and the screen
   * arrives at the guest's size. */
  gb_machine_start_async (machine, NULL, store_result_cb, &result);
  g_assert_true (gb_test_wait_until (has_result, &result, 30000));
  g_assert_true (gb_machine_start_finish (machine, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  pid = gb_bundled_machine_get_pid (GB_BUNDLED_MACHINE (machine));
  /* From here on the VMM must be stopped whatever fails. */
  g_test_set_nonfatal_assertions ();

  g_assert_true (gb_test_wait_until (screen_is_up, NULL, 30000));
  g_assert_cmpint (gb_display_get_guest_height (gb_console_view_get_display (view)), ==, HEIGHT);
  g_assert_true (gb_serial_console_get_connected (gb_console_view_get_serial_console (view)));

  /* The pattern: red = x, green = y, blue = x + y (mod 256). */
  gb_test_spin (500);
  texture = gb_display_get_screenshot (gb_console_view_get_display (view));
  g_assert_nonnull (texture);
  if (texture != NULL)
    {
      static const int points[][2] = { { 0, 0 }, { 17, 3 }, { 200, 150 }, { 255, 191 } };

      for (guint i = 0; i < G_N_ELEMENTS (points); i++)
        {
          int x = points[i][0], y = points[i][1];
          guint8 rgb[3];

          pixel_at (texture, x, y, rgb);
          g_assert_cmpuint (rgb[0], ==, x & 0xff);
          g_assert_cmpuint (rgb[1], ==, y & 0xff);
          g_assert_cmpuint (rgb[2], ==, (x + y) & 0xff);
        }
    }

  /* A key typed into the screen reaches the guest: it fills rows 64-79
   * white and says so on its serial port. */
  gtk_widget_grab_focus (GTK_WIDGET (gb_console_view_get_display (view)));
  gb_test_xtest_move_into (GTK_WIDGET (gb_console_view_get_display (view)));
  gb_test_spin (300);
  gb_test_xtest_type ("f");
  g_assert_true (gb_test_wait_until (row_is_white, GINT_TO_POINTER (70), 20000));
  png = gb_test_save_window_png (window, "bundled-screen");
  g_test_message ("screen: %s", png);

  /* VTE parses what it is fed while it is on screen. */
  gb_console_view_set_page (view, "serial");
  g_assert_true (gb_test_wait_until (terminal_shows, (gpointer) "filled rows 64-79", 20000));
  g_clear_pointer (&png, g_free);
  png = gb_test_save_window_png (window, "bundled-serial");
  g_test_message ("serial: %s", png);

  /* Forced off: the view follows again. */
  gb_machine_force_off_async (machine, NULL, store_result_cb, &result);
  g_assert_true (gb_test_wait_until (has_result, &result, 30000));
  g_assert_true (gb_machine_force_off_finish (machine, result, &error));
  g_assert_no_error (error);
  g_assert_true (gb_test_wait_until (display_is, GINT_TO_POINTER (GB_DISPLAY_STATE_DISCONNECTED), 20000));
  g_assert_false (gb_serial_console_get_connected (gb_console_view_get_serial_console (view)));

  gb_console_view_set_machine (view, NULL);
  gtk_window_destroy (GTK_WINDOW (window));
  if (pid > 0 && kill (pid, 0) == 0)
    kill (pid, SIGKILL);
  gb_provider_disconnect (provider);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/display/bundled/screen-and-serial", test_screen_and_serial);

  return g_test_run ();
}
