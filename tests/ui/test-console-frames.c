/* test-console-frames.c — the console shows what QEMU shows, while it scrolls
 *
 * A TCG guest (tests/linux-guest, gb.run=guest-scroll.sh) prints numbered
 * lines on its VGA text console without pause; the app shows its screen
 * through QEMU's VNC server, as a user sees it.
 *
 *  - While it scrolls (10 s), every frame the app shows: each row above the
 *    last is "line N: … 0123456789 N" with both N equal (read with the
 *    row's own digits as the font) and N one more than the row above's.
 *    A frame put together from two updates (new rows under old ones), or a
 *    row half drawn, is wrong; more than MAX_WRONG_PERCENT of them fail.
 *  - Then 8 times, at an arbitrary moment, the machine is paused, the app
 *    given 1.5 s to take in what the VNC server still sends, and its frame
 *    compared pixel by pixel with QEMU's own screendump
 *    (virDomainScreenshot) of the same, now still, screen.
 *
 * PNGs of wrong frames are saved.  Between two looks the main loop turns
 * as the app's does (everything ready is dispatched).  Suite 'libvirt'.
 *
 * It found issue 18 item 14: gvnc reports each decoded rectangle in its own
 * main-loop turn and QEMU sends a scrolled screen as one or two rectangles
 * per row, bottom row first; the app showed (and drew) the framebuffer
 * between two of them: about half of the frames had new rows under old
 * ones, a row mixing two lines, and when the main loop was slow the client
 * fell seconds behind.  gb-vnc-source.c now shows only whole updates.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <adwaita.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "gb-application.h"
#include "gb-console-view.h"
#include "gb-libvirt-autoptr.h"
#include "gb-libvirt-provider.h"
#include "gb-test-gtk-utils.h"
#include "gb-window.h"

#define DOMAIN_NAME "gb-console-frames"
#define N_FRAMES 8

static gboolean
build_guest (const char  *outdir,
             char       **reason)
{
  g_autofree char *scroll = g_build_filename (GB_TESTS_DIR, "ui", "guest-scroll.sh", NULL);

  return gb_test_build_linux_guest (outdir, (const char *[]) { scroll, NULL }, NULL, reason);
}

static gboolean
provider_settled (gpointer data)
{
  return gb_provider_get_state (data) != GB_PROVIDER_STATE_CONNECTING;
}

static gboolean
machine_listed (gpointer data)
{
  return gb_provider_find_machine (data, DOMAIN_NAME) != NULL;
}

static gboolean
console_shown (gpointer data)
{
  GbMachine *machine = gb_window_get_selected_machine (data);

  return machine != NULL && g_strcmp0 (gb_machine_get_name (machine), DOMAIN_NAME) == 0 &&
         g_strcmp0 (gb_window_get_page (data), "console") == 0;
}

static gboolean
screen_connected (gpointer data)
{
  GbDisplay *display = gb_console_view_get_display (data);

  return gb_display_get_state (display) == GB_DISPLAY_STATE_CONNECTED &&
         gb_display_get_guest_width (display) > 0;
}

static gboolean
screen_has_text (gpointer data)
{
  g_autoptr(GdkTexture) texture = gb_test_render (GTK_WIDGET (gb_console_view_get_display (data)));

  return gb_test_count_light_pixels (texture) > 2000;
}

static gboolean
machine_is (gpointer data)
{
  GbMachine *machine = ((gpointer *) data)[0];
  GbMachineState state = GPOINTER_TO_INT (((gpointer *) data)[1]);

  return gb_machine_get_state (machine) == state;
}

/* Turns the main loop for @ms as the app's own does: dispatching whatever
 * is ready, sleeping only when nothing is. */
static void
run_main_loop_for (guint ms)
{
  gint64 until = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < until)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
}

/* ------------------------------------------------------------------ */
/* QEMU's screendump, in a thread: libvirt's embedded driver talks to QEMU
 * through this process's main loop, which must keep turning meanwhile. */

typedef struct {
  virDomainPtr dom;
  GByteArray  *bytes;
} Shot;

static int
shot_sink (virStreamPtr st,
           const char  *data,
           size_t       n,
           void        *opaque)
{
  g_byte_array_append (opaque, (const guint8 *) data, n);
  return n;   /* bytes taken */
}

static void
shot_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  Shot *shot = task_data;
  virStreamPtr st = virStreamNew (virDomainGetConnect (shot->dom), 0);
  char *mime = virDomainScreenshot (shot->dom, st, 0, 0);

  if (mime == NULL || virStreamRecvAll (st, shot_sink, shot->bytes) < 0 || virStreamFinish (st) < 0)
    {
      virErrorPtr err = virGetLastError ();

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "screenshot: %s",
                               err ? err->message : "failed");
    }
  else
    g_task_return_pointer (task, mime, free);
  virStreamFree (st);
}

/* A P6 (RGB, maxval 255) portable pixmap, as older QEMUs dump. */
static GdkTexture *
texture_from_ppm (GByteArray *ppm)
{
  const guint8 *p = ppm->data, *end = ppm->data + ppm->len;
  int fields[3] = { 0, 0, 0 };
  g_autoptr(GBytes) pixels = NULL;

  g_assert_true (ppm->len > 2 && p[0] == 'P' && p[1] == '6');
  p += 2;
  for (int i = 0; i < 3; i++)
    {
      while (p < end && g_ascii_isspace (*p))
        p++;
      while (p < end && g_ascii_isdigit (*p))
        fields[i] = fields[i] * 10 + (*p++ - '0');
    }
  p++;   /* one whitespace byte after maxval */
  g_assert_cmpint (fields[2], ==, 255);
  g_assert_cmpint (end - p, ==, (gsize) fields[0] * fields[1] * 3);
  pixels = g_bytes_new (p, end - p);
  return gdk_memory_texture_new (fields[0], fields[1], GDK_MEMORY_R8G8B8, pixels, (gsize) fields[0] * 3);
}

/* QEMU's own picture of the screen (screendump through libvirt: PNG from
 * QEMU 7.1 on, PPM before). */
static GdkTexture *
qemu_screenshot (virDomainPtr dom)
{
  Shot shot = { dom, g_byte_array_new () };
  GAsyncResult *result = NULL;
  g_autoptr(GTask) task = g_task_new (NULL, NULL, gb_test_store_result, &result);
  g_autoptr(GError) error = NULL;
  g_autofree char *mime = NULL;
  GdkTexture *texture;

  g_task_set_task_data (task, &shot, NULL);
  g_task_run_in_thread (task, shot_thread);
  mime = g_task_propagate_pointer (G_TASK (gb_test_wait_result (&result)), &error);
  g_object_unref (result);
  g_assert_no_error (error);

  if (g_str_equal (mime, "image/x-portable-pixmap"))
    texture = texture_from_ppm (shot.bytes);
  else
    {
      g_autoptr(GBytes) bytes = g_byte_array_free_to_bytes (g_steal_pointer (&shot.bytes));

      g_assert_cmpstr (mime, ==, "image/png");
      texture = gdk_texture_new_from_bytes (bytes, &error);
      g_assert_no_error (error);
    }
  if (shot.bytes != NULL)
    g_byte_array_unref (shot.bytes);
  return texture;
}

/* Pixels of the app's frame that differ from QEMU's by more than a little
 * in any channel (VNC may be lossy). */
static guint
count_differences (GdkTexture *app_frame,
                   GdkTexture *qemu)
{
  int width = gdk_texture_get_width (qemu), height = gdk_texture_get_height (qemu);
  gsize stride = (gsize) width * 4;
  g_autofree guint8 *app = g_malloc (stride * height);
  g_autofree guint8 *ref = g_malloc (stride * height);
  guint differ = 0;

  gdk_texture_download (app_frame, app, stride);   /* CAIRO_FORMAT_ARGB32 */
  gdk_texture_download (qemu, ref, stride);
  for (gsize i = 0; i < stride * height; i += 4)
    if (ABS (app[i] - ref[i]) > 48 || ABS (app[i + 1] - ref[i + 1]) > 48 || ABS (app[i + 2] - ref[i + 2]) > 48)
      differ++;
  return differ;
}

/* VGA text mode here: 80×25 cells of 9×16 pixels. */
#define CELL_W 9
#define CELL_H 16

static gboolean
cell_equal (const guint8 *pixels,
            gsize         stride,
            int           row,
            int           col_a,
            int           col_b)
{
  for (int y = row * CELL_H; y < (row + 1) * CELL_H; y++)
    if (memcmp (pixels + y * stride + (gsize) col_a * CELL_W * 4,
                pixels + y * stride + (gsize) col_b * CELL_W * 4, CELL_W * 4) != 0)
      return FALSE;
  return TRUE;
}

static gboolean
cell_blank (const guint8 *pixels,
            gsize         stride,
            int           row,
            int           col)
{
  for (int y = row * CELL_H; y < (row + 1) * CELL_H; y++)
    for (int x = col * CELL_W; x < (col + 1) * CELL_W; x++)
      {
        const guint8 *p = pixels + y * stride + (gsize) x * 4;

        if (p[0] > 64 || p[1] > 64 || p[2] > 64)
          return FALSE;
      }
  return TRUE;
}

/* Reads @ndigits digits from column @col, with the digit glyphs at
 * @font_col … @font_col + 9; -1 if a cell is no digit. */
static gint64
read_number (const guint8 *pixels,
             gsize         stride,
             int           row,
             int           col,
             int           ndigits,
             int           font_col)
{
  gint64 n = 0;

  for (int i = 0; i < ndigits; i++)
    {
      int digit = -1;

      for (int k = 0; k < 10 && digit < 0; k++)
        if (cell_equal (pixels, stride, row, col + i, font_col + k))
          digit = k;
      if (digit < 0)
        return -1;
      n = n * 10 + digit;
    }
  return n;
}

/* The number N of a text row showing the guest's "line N: the quick brown
 * fox jumps over the lazy dog 0123456789 N", read with the row's own
 * "0123456789" as the font; -1 if the row is not such a line, or if its
 * two numbers differ (a row drawn partly from one update, partly from
 * another: RFB rectangles are 16 pixels wide, not a character). */
static gint64
row_number (const guint8 *pixels,
            gsize         stride,
            int           row)
{
  for (int d = 1; d <= 8; d++)
    {
      int font_col = 5 + d + 2 + 44;       /* "line " N ": " + the sentence + " " */
      int right_col = font_col + 11;       /* after "0123456789 " */
      gint64 left, right;

      if (right_col + d >= 80 || !cell_blank (pixels, stride, row, font_col - 1) ||
          !cell_blank (pixels, stride, row, font_col + 10) ||
          !cell_blank (pixels, stride, row, right_col + d))
        continue;
      left = read_number (pixels, stride, row, 5, d, font_col);
      right = read_number (pixels, stride, row, right_col, d, font_col);
      if (left >= 0 && left == right)
        return left;
    }
  return -1;
}

/* Rows of @frame above the one being written that are not the line after
 * the row above: a frame put together from two updates (the top of one,
 * the bottom of another) or a half-drawn row. */
static guint
count_torn_rows (GdkTexture *frame)
{
  int width = gdk_texture_get_width (frame), height = gdk_texture_get_height (frame);
  gsize stride = (gsize) width * 4;
  int rows = height / CELL_H;
  g_autofree guint8 *pixels = g_malloc (stride * height);
  gint64 previous = -1;
  guint torn = 0;

  if (width != 80 * CELL_W)
    return 0;
  gdk_texture_download (frame, pixels, stride);
  /* The last row holds the line being printed. */
  for (int r = 0; r < rows - 1; r++)
    {
      gint64 n = row_number (pixels, stride, r);

      if (n < 0 || (r > 0 && previous >= 0 && n != previous + 1))
        torn++;
      previous = n;
    }
  return torn;
}

/* Whether the screen is full of the guest's lines: they have pushed the
 * BIOS's three off the top (the kernel's boot goes to the serial port). */
static gboolean
screen_full (gpointer data)
{
  g_autoptr(GdkTexture) frame = gb_display_get_screenshot (data);
  gsize stride;
  g_autofree guint8 *pixels = NULL;

  if (frame == NULL || gdk_texture_get_width (frame) != 80 * CELL_W)
    return FALSE;
  stride = (gsize) gdk_texture_get_width (frame) * 4;
  pixels = g_malloc (stride * gdk_texture_get_height (frame));
  gdk_texture_download (frame, pixels, stride);
  return row_number (pixels, stride, 0) >= 0;
}

/* Frames the app shows while a QEMU guest scrolls may be wrong now and
 * then without a fault of ours: QEMU's VNC worker encodes the rectangles
 * it found changed from the screen as it is when it encodes them, and
 * sends what changed in the meantime elsewhere with the next update
 * (ui/vnc-jobs.c), so one update can mix two moments.  The next one puts
 * it right.  Before the app showed whole updates only, half of the frames
 * were wrong; here, a few in a hundred. */
#define MAX_WRONG_PERCENT 15

/* Every frame the app shows while the guest scrolls, for @seconds: no line
 * twice, every row the line after the one above.  Returns how many
 * different frames were looked at; @wrong says how many were wrong (the
 * first few are saved as PNGs). */
static guint
watch_scrolling (GbDisplay  *display,
                 guint       seconds,
                 guint      *wrong)
{
  gint64 until = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  g_autoptr(GBytes) previous = NULL;
  guint frames = 0;

  *wrong = 0;
  while (g_get_monotonic_time () < until)
    {
      g_autoptr(GdkTexture) frame = NULL;
      g_autoptr(GBytes) bytes = NULL;
      gsize size;
      guint8 *copy;
      guint torn;

      /* The app's main loop between two looks, as a paint would leave it. */
      run_main_loop_for (5);
      frame = gb_display_get_screenshot (display);
      if (frame == NULL)
        continue;
      size = (gsize) gdk_texture_get_width (frame) * 4 * gdk_texture_get_height (frame);
      copy = g_malloc (size);
      gdk_texture_download (frame, copy, (gsize) gdk_texture_get_width (frame) * 4);
      bytes = g_bytes_new_take (copy, size);
      if (previous != NULL && g_bytes_equal (previous, bytes))
        continue;
      g_clear_pointer (&previous, g_bytes_unref);
      previous = g_bytes_ref (bytes);
      frames++;

      torn = count_torn_rows (frame);
      if (torn > 0 && ++*wrong <= 5)
        {
          g_autofree char *png = g_strdup_printf ("console-frames-torn-%u.png", frames);
          g_autofree char *path = g_test_build_filename (G_TEST_BUILT, png, NULL);

          gdk_texture_save_to_png (frame, path);
          g_test_message ("while scrolling, frame %u has %u rows out of sequence (%s)", frames, torn, png);
        }
    }
  g_test_message ("%u frames while scrolling, %u of them wrong", frames, *wrong);
  return frames;
}

static void
test_console_frames (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gb-console-frames-XXXXXX", NULL);
  g_autofree char *guest = g_build_filename (tmp, "guest", NULL);
  g_autofree char *root = g_build_filename (tmp, "libvirt", NULL);
  g_autofree char *uri = g_strdup_printf ("qemu:///embed?root=%s", root);
  g_autofree char *xml = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *rm = NULL;
  g_autoptr(GbApplication) app = NULL;
  g_autoptr(GVirConfigDomain) config = NULL;
  g_autoptr(GVirDomain) domain = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) failures = g_ptr_array_new_with_free_func (g_free);
  virDomainPtr dom = NULL;
  GbProvider *provider;
  GbConsoleView *console;
  GbDisplay *display;
  GbMachine *machine;
  GtkWidget *window;
  gpointer wait[2];

  if (!gb_test_have_program ("qemu-system-x86_64"))
    {
      g_test_skip ("qemu-system-x86_64 is not installed");
      return;
    }
  if (!build_guest (guest, &reason))
    {
      g_test_skip (reason);
      return;
    }

  app = gb_test_application_new ();
  provider = gb_application_open_connection (app, uri);
  g_assert_true (gb_test_wait_until_ms (provider_settled, provider, 180000));
  if (gb_provider_get_state (provider) != GB_PROVIDER_STATE_CONNECTED)
    {
      g_test_skip_printf ("cannot open %s: %s", uri, gb_provider_get_error (provider));
      return;
    }

  /* The kernel's own messages go to the serial port: the VGA screen
   * scrolls with the script's lines only. */
  xml = g_strdup_printf (
    "<domain type='qemu'><name>" DOMAIN_NAME "</name><memory unit='MiB'>256</memory>"
    "<os><type arch='x86_64' machine='pc'>hvm</type>"
    "<kernel>%s/vmlinuz</kernel><initrd>%s/initramfs.img</initrd>"
    "<cmdline>console=ttyS0 quiet no_timer_check gb.run=guest-scroll.sh</cmdline></os>"
    "<devices>"
    "<graphics type='vnc'><listen type='none'/></graphics>"
    "<video><model type='vga'/></video>"
    "<serial type='pty'/>"
    "</devices></domain>", guest, guest);
  config = gvir_config_domain_new_from_xml (xml, &error);
  g_assert_no_error (error);
  domain = gvir_connection_create_domain (gb_libvirt_provider_get_connection (GB_LIBVIRT_PROVIDER (provider)),
                                          config, &error);
  g_assert_no_error (error);
  g_object_get (domain, "handle", &dom, NULL);
  g_assert_nonnull (dom);
  g_assert_true (gb_test_wait_until_ms (machine_listed, provider, 20000));
  machine = gb_provider_find_machine (provider, DOMAIN_NAME);

  window = g_object_ref (GTK_WIDGET (gb_window_new (app)));
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 760);
  gtk_window_present (GTK_WINDOW (window));
  console = gb_window_get_console_view (GB_WINDOW (window));
  display = gb_console_view_get_display (console);

  gb_window_show_machine (GB_WINDOW (window), provider, DOMAIN_NAME, "console");
  g_assert_true (gb_test_wait_until_ms (console_shown, window, 20000));
  g_assert_true (gtk_widget_activate_action (window, "machine.start", NULL));
  g_assert_true (gb_test_wait_until_ms (screen_connected, console, 120000));
  g_assert_true (gb_test_wait_until_ms (screen_has_text, console, 180000));
  if (!gb_test_wait_until_ms (screen_full, display, 240000))
    {
      g_autoptr(GdkTexture) frame = gb_display_get_screenshot (display);

      if (frame != NULL)
        gdk_texture_save_to_png (frame, g_test_get_filename (G_TEST_BUILT, "console-frames-not-full.png", NULL));
      g_error ("the guest's lines did not fill the screen in 240 s (console-frames-not-full.png)");
    }
  gb_test_save_png (window, "console-frames-window.png");

  /* While it scrolls: every new frame, its rows in sequence. */
  {
    guint wrong;
    guint frames = watch_scrolling (display, 10, &wrong);

    g_assert_cmpuint (frames, >, 10);
    if (wrong * 100 > frames * MAX_WRONG_PERCENT)
      g_ptr_array_add (failures, g_strdup_printf ("while scrolling, %u of %u frames had rows out of sequence",
                                                  wrong, frames));
  }

  for (guint k = 0; k < N_FRAMES; k++)
    {
      g_autoptr(GdkTexture) frame = NULL;
      g_autoptr(GdkTexture) qemu = NULL;
      int width, height;
      guint differ;

      /* Scroll a while (a different moment each time), then stop. */
      run_main_loop_for (200 + g_test_rand_int_range (0, 600));
      g_assert_cmpint (virDomainSuspend (dom), ==, 0);
      wait[0] = machine;
      wait[1] = GINT_TO_POINTER (GB_MACHINE_STATE_PAUSED);
      g_assert_true (gb_test_wait_until_ms (machine_is, wait, 30000));

      /* What the VNC server still had to send arrives; then nothing moves. */
      run_main_loop_for (1500);

      qemu = qemu_screenshot (dom);
      width = gdk_texture_get_width (qemu);
      height = gdk_texture_get_height (qemu);
      /* QEMU's own picture is the guest's lines in sequence: else the row
       * reader is broken, or the guest no longer scrolls (restarted). */
      if (count_torn_rows (qemu) != 0)
        {
          gdk_texture_save_to_png (qemu, g_test_get_filename (G_TEST_BUILT, "console-frames-guest.png", NULL));
          g_error ("QEMU's own screen does not show the guest's numbered lines in sequence "
                   "(console-frames-guest.png)");
        }
      frame = gb_display_get_screenshot (display);
      g_assert_nonnull (frame);
      g_assert_cmpint (gdk_texture_get_width (frame), ==, width);
      g_assert_cmpint (gdk_texture_get_height (frame), ==, height);
      differ = count_differences (frame, qemu);
      g_test_message ("frame %u: %d×%d, %u pixels differ", k, width, height, differ);
      if (differ > 0)
        {
          /* Late or lost: whether the right frame comes at all. */
          gint64 start = g_get_monotonic_time ();
          guint late = differ;

          while (late > 0 && g_get_monotonic_time () - start < 8 * G_USEC_PER_SEC)
            {
              g_autoptr(GdkTexture) again = NULL;

              run_main_loop_for (100);
              again = gb_display_get_screenshot (display);
              late = count_differences (again, qemu);
            }
          if (late == 0)
            g_test_message ("frame %u: right %d ms later", k, (int) ((g_get_monotonic_time () - start) / 1000));
          else
            g_test_message ("frame %u: still wrong 8 s later", k);
        }
      if (differ > 0)
        {
          g_autofree char *app_png = g_strdup_printf ("console-frames-%u-app.png", k);
          g_autofree char *qemu_png = g_strdup_printf ("console-frames-%u-qemu.png", k);
          g_autofree char *app_path = g_test_build_filename (G_TEST_BUILT, app_png, NULL);
          g_autofree char *qemu_path = g_test_build_filename (G_TEST_BUILT, qemu_png, NULL);

          gdk_texture_save_to_png (frame, app_path);
          gdk_texture_save_to_png (qemu, qemu_path);
          g_ptr_array_add (failures, g_strdup_printf ("frame %u: %u pixels differ (%s, %s)",
                                                      k, differ, app_png, qemu_png));
        }

      g_assert_cmpint (virDomainResume (dom), ==, 0);
      wait[1] = GINT_TO_POINTER (GB_MACHINE_STATE_RUNNING);
      g_assert_true (gb_test_wait_until_ms (machine_is, wait, 30000));
    }

  virDomainDestroy (dom);
  virDomainFree (dom);
  gb_window_select_machine (GB_WINDOW (window), NULL);
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_object_unref (window);
  gvir_domain_delete (domain, 0, NULL);
  gb_application_remove_connection (app, uri);
  rm = g_strdup_printf ("rm -rf %s", tmp);
  g_spawn_command_line_sync (rm, NULL, NULL, NULL, NULL);

  if (failures->len > 0)
    {
      /* One TAP line each; the PNG pairs are in the build folder. */
      for (guint i = 0; i < failures->len; i++)
        g_test_message ("%s", (char *) failures->pdata[i]);
      g_test_fail_printf ("the app's screen differed from the guest's %u times", failures->len);
    }
}

int
main (int   argc,
      char *argv[])
{
  gb_application_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui/console-frames", test_console_frames);

  return g_test_run ();
}
