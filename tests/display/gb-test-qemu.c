/* gb-test-qemu.c: a TCG QEMU with a VNC or SPICE server for the display tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <glib/gstdio.h>
#include <gdk/x11/gdkx.h>
#include <gio/gunixsocketaddress.h>
#include <X11/XKBlib.h>
#include <X11/extensions/XTest.h>

#include "gb-test-qemu.h"

struct _GbTestQemu
{
  char              *name;
  GSubprocess       *process;
  char              *qmp_path;
  char              *serial_path;
  GSocketConnection *qmp;
  GDataInputStream  *qmp_in;
};

static char *tmpdir;

/* Runs at a normal exit only: after a crash the directory (screenshots,
 * serial logs) stays for a person to look at. */
static void
remove_tmpdir (void)
{
  const char *argv[] = { "rm", "-rf", tmpdir, NULL };

  if (g_getenv ("GB_TEST_KEEP_TMPDIR") == NULL)
    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}

const char *
gb_test_tmpdir (void)
{
  if (tmpdir == NULL)
    {
      tmpdir = g_dir_make_tmp ("gb-display-XXXXXX", NULL);
      g_assert_nonnull (tmpdir);
      atexit (remove_tmpdir);
    }
  return tmpdir;
}

char *
gb_test_guest_dir (char **skip_reason)
{
  g_autofree char *out = g_build_filename (GB_TEST_BUILDDIR, "guest-bochs", NULL);
  g_autofree char *stderr_text = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) env = g_get_environ ();
  const char *argv[] = { "bash", GB_BUILD_GUEST_SH, out, NULL };
  int status = 0;

  if (g_find_program_in_path ("qemu-system-x86_64") == NULL)
    {
      *skip_reason = g_strdup ("qemu-system-x86_64 is not installed");
      return NULL;
    }

  /* bochs: the DRM driver for QEMU's std VGA, so the guest switches from
   * the BIOS text mode to a framebuffer console while booting. */
  env = g_environ_setenv (env, "GB_GUEST_EXTRA_MODULES", "bochs", TRUE);
  if (!g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, &stderr_text, &status, &error))
    {
      *skip_reason = g_strdup_printf ("build-guest.sh: %s", error->message);
      return NULL;
    }
  if (WIFEXITED (status) && WEXITSTATUS (status) == 77)
    {
      *skip_reason = g_strdup_printf ("no test guest: %s", g_strstrip (stderr_text));
      return NULL;
    }
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    g_error ("build-guest.sh failed: %s", stderr_text);

  return g_steal_pointer (&out);
}

static void
qmp_connect (GbTestQemu *qemu)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (qemu->qmp_path);
  g_autofree char *greeting = NULL;
  g_autofree char *reply = NULL;

  for (int i = 0; i < 200 && qemu->qmp == NULL; i++)
    {
      qemu->qmp = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, NULL);
      if (qemu->qmp == NULL)
        g_usleep (50 * 1000);
    }
  g_assert_nonnull (qemu->qmp);

  qemu->qmp_in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (qemu->qmp)));
  greeting = g_data_input_stream_read_line (qemu->qmp_in, NULL, NULL, NULL);
  g_assert_nonnull (greeting);
  g_assert_nonnull (strstr (greeting, "QMP"));
  reply = gb_test_qemu_qmp (qemu, "{\"execute\":\"qmp_capabilities\"}");
  g_assert_nonnull (strstr (reply, "\"return\""));
}

/* If the test crashes, its QEMU goes with it. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

GbTestQemu *
gb_test_qemu_start (const char         *name,
                    const char         *guest_dir,
                    const char *const  *display_args)
{
  GbTestQemu *qemu = g_new0 (GbTestQemu, 1);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;

  qemu->name = g_strdup (name);
  qemu->qmp_path = g_strdup_printf ("%s/%s-qmp.sock", gb_test_tmpdir (), name);
  qemu->serial_path = g_strdup_printf ("%s/%s-serial.log", gb_test_tmpdir (), name);
  g_unlink (qemu->qmp_path);
  g_unlink (qemu->serial_path);

  g_ptr_array_add (argv, g_strdup ("qemu-system-x86_64"));
  for (const char *const *a = (const char *const[]) {
         "-accel", "tcg", "-m", "256", "-nodefaults", "-no-user-config",
         "-vga", "std", "-display", "none", "-nic", "none", NULL }; *a; a++)
    g_ptr_array_add (argv, g_strdup (*a));
  g_ptr_array_add (argv, g_strdup ("-qmp"));
  g_ptr_array_add (argv, g_strdup_printf ("unix:%s,server=on,wait=off", qemu->qmp_path));
  g_ptr_array_add (argv, g_strdup ("-serial"));
  g_ptr_array_add (argv, g_strdup_printf ("file:%s", qemu->serial_path));
  if (guest_dir != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("-kernel"));
      g_ptr_array_add (argv, g_build_filename (guest_dir, "vmlinuz", NULL));
      g_ptr_array_add (argv, g_strdup ("-initrd"));
      g_ptr_array_add (argv, g_build_filename (guest_dir, "initramfs.img", NULL));
      /* /dev/console is the last console= (the VGA tty, where the shell
       * runs); the kernel log also goes to the serial port.  No blinking
       * cursor, so a still screen is still. */
      g_ptr_array_add (argv, g_strdup ("-append"));
      g_ptr_array_add (argv, g_strdup ("console=ttyS0 console=tty0 no_timer_check vt.global_cursor_default=0 "
                                       "loglevel=4 panic=-1"));
    }
  else
    {
      g_ptr_array_add (argv, g_strdup ("-S"));
    }
  for (const char *const *a = display_args; *a; a++)
    g_ptr_array_add (argv, g_strdup (*a));
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  qemu->process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  qmp_connect (qemu);
  return qemu;
}

char *
gb_test_qemu_qmp (GbTestQemu *qemu,
                  const char *json)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (qemu->qmp));
  g_autofree char *line = g_strconcat (json, "\n", NULL);
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (out, line, strlen (line), NULL, NULL, &error);
  g_assert_no_error (error);

  for (;;)
    {
      char *reply = g_data_input_stream_read_line (qemu->qmp_in, NULL, NULL, &error);

      g_assert_no_error (error);
      if (reply == NULL)
        return g_strdup ("");
      /* Asynchronous events interleave with replies. */
      if (strstr (reply, "\"event\"") != NULL && strstr (reply, "\"return\"") == NULL)
        {
          g_free (reply);
          continue;
        }
      return reply;
    }
}

void
gb_test_qemu_quit (GbTestQemu *qemu)
{
  g_autofree char *reply = NULL;

  if (qemu->process == NULL)
    return;
  reply = gb_test_qemu_qmp (qemu, "{\"execute\":\"quit\"}");
  g_subprocess_wait (qemu->process, NULL, NULL);
  g_clear_object (&qemu->process);
  g_clear_object (&qemu->qmp_in);
  g_clear_object (&qemu->qmp);
}

void
gb_test_qemu_free (GbTestQemu *qemu)
{
  if (qemu->process != NULL)
    {
      /* Only the QEMU this test started, by its PID. */
      g_subprocess_force_exit (qemu->process);
      g_subprocess_wait (qemu->process, NULL, NULL);
      g_clear_object (&qemu->process);
    }
  g_clear_object (&qemu->qmp_in);
  g_clear_object (&qemu->qmp);
  g_unlink (qemu->qmp_path);
  g_free (qemu->qmp_path);
  g_free (qemu->serial_path);
  g_free (qemu->name);
  g_free (qemu);
}

/* A binary PPM (P6, maxval 255), as QEMU's screendump writes it. */
static GdkTexture *
texture_from_ppm (const char *path)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  int width, height, maxval, consumed = 0;

  if (!g_file_get_contents (path, &data, &len, NULL))
    return NULL;
  if (sscanf (data, "P6 %d %d %d%n", &width, &height, &maxval, &consumed) != 3 || maxval != 255)
    return NULL;
  consumed++;  /* the single whitespace after maxval */
  if (len < (gsize) consumed + (gsize) width * height * 3)
    return NULL;

  {
    g_autoptr(GBytes) bytes = g_bytes_new (data + consumed, (gsize) width * height * 3);

    return gdk_memory_texture_new (width, height, GDK_MEMORY_R8G8B8, bytes, (gsize) width * 3);
  }
}

GdkTexture *
gb_test_qemu_screendump (GbTestQemu *qemu)
{
  g_autofree char *path = g_strdup_printf ("%s/%s-screen.ppm", gb_test_tmpdir (), qemu->name);
  g_autofree char *cmd = g_strdup_printf ("{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"%s\"}}", path);
  g_autofree char *reply = gb_test_qemu_qmp (qemu, cmd);

  g_assert_nonnull (strstr (reply, "\"return\""));
  return texture_from_ppm (path);
}

char *
gb_test_qemu_serial (GbTestQemu *qemu)
{
  char *text = NULL;

  if (!g_file_get_contents (qemu->serial_path, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

typedef struct {
  GbTestQemu *qemu;
  const char *needle;
} SerialWait;

static gboolean
serial_has (gpointer data)
{
  SerialWait *w = data;
  g_autofree char *text = gb_test_qemu_serial (w->qemu);

  return strstr (text, w->needle) != NULL;
}

gboolean
gb_test_qemu_wait_serial (GbTestQemu *qemu,
                          const char *needle,
                          guint       timeout_ms)
{
  SerialWait w = { qemu, needle };

  return gb_test_wait_until (serial_has, &w, timeout_ms);
}

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
gb_test_wait_until (gboolean (*cond) (gpointer data),
                    gpointer   data,
                    guint      timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!cond (data))
    {
      gboolean tick = FALSE;
      guint id;

      if (g_get_monotonic_time () > end)
        return FALSE;
      id = g_timeout_add (20, timeout_cb, &tick);
      while (!tick)
        g_main_context_iteration (NULL, TRUE);
      (void) id;
    }
  return TRUE;
}

void
gb_test_spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, timeout_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static guint32 *
download (GdkTexture *texture)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  guint32 *pixels = g_new (guint32, (gsize) width * height);

  /* Cairo's ARGB32: one native-endian 32-bit word per pixel. */
  gdk_texture_download (texture, (guchar *) pixels, (gsize) width * 4);
  return pixels;
}

gssize
gb_test_texture_diff (GdkTexture *a,
                      GdkTexture *b)
{
  g_autofree guint32 *pa = NULL;
  g_autofree guint32 *pb = NULL;
  gsize n, diff = 0;

  if (gdk_texture_get_width (a) != gdk_texture_get_width (b) ||
      gdk_texture_get_height (a) != gdk_texture_get_height (b))
    return -1;

  pa = download (a);
  pb = download (b);
  n = (gsize) gdk_texture_get_width (a) * gdk_texture_get_height (a);
  for (gsize i = 0; i < n; i++)
    if ((pa[i] & 0xffffff) != (pb[i] & 0xffffff))
      diff++;
  return diff;
}

gsize
gb_test_texture_lit (GdkTexture *texture)
{
  g_autofree guint32 *p = download (texture);
  gsize n = (gsize) gdk_texture_get_width (texture) * gdk_texture_get_height (texture);
  gsize lit = 0;

  for (gsize i = 0; i < n; i++)
    if ((p[i] & 0xffffff) != 0)
      lit++;
  return lit;
}

static Display *
xdisplay (void)
{
  return gdk_x11_display_get_xdisplay (gdk_display_get_default ());
}

void
gb_test_xtest_move_into (GtkWidget *widget)
{
  GtkNative *native = gtk_widget_get_native (widget);
  GdkSurface *surface = gtk_native_get_surface (native);
  Window xid = gdk_x11_surface_get_xid (surface);
  double x = 0, y = 0, nx = 0, ny = 0;
  Window child;
  int rx, ry;

  gtk_widget_translate_coordinates (widget, GTK_WIDGET (native),
                                    gtk_widget_get_width (widget) / 2.0,
                                    gtk_widget_get_height (widget) / 2.0, &x, &y);
  gtk_native_get_surface_transform (native, &nx, &ny);
  XTranslateCoordinates (xdisplay (), xid, DefaultRootWindow (xdisplay ()),
                         (int) (x + nx), (int) (y + ny), &rx, &ry, &child);
  XTestFakeMotionEvent (xdisplay (), -1, rx, ry, CurrentTime);
  XSetInputFocus (xdisplay (), xid, RevertToParent, CurrentTime);
  XFlush (xdisplay ());
}

static void
fake_key (KeyCode code,
          gboolean down)
{
  XTestFakeKeyEvent (xdisplay (), code, down, CurrentTime);
  XFlush (xdisplay ());
  /* Let GTK see each event before the next, as with real typing. */
  gb_test_spin (15);
}

void
gb_test_xtest_type (const char *text)
{
  Display *dpy = xdisplay ();
  KeyCode shift = XKeysymToKeycode (dpy, XK_Shift_L);

  for (const char *p = text; *p; p++)
    {
      KeySym sym;
      KeyCode code;
      gboolean shifted;
      char name[2] = { *p, 0 };

      switch (*p)
        {
        case '\n': sym = XK_Return; break;
        case ' ': sym = XK_space; break;
        default: sym = XStringToKeysym (name); break;
        }
      if (sym == NoSymbol)
        {
          static const struct { char c; KeySym sym; } punct[] = {
            { '>', XK_greater }, { '<', XK_less }, { '-', XK_minus }, { '/', XK_slash },
            { '$', XK_dollar }, { '(', XK_parenleft }, { ')', XK_parenright },
            { '*', XK_asterisk }, { '.', XK_period }, { '=', XK_equal }, { '_', XK_underscore },
            { '"', XK_quotedbl }, { '\'', XK_apostrophe }, { '|', XK_bar }, { ';', XK_semicolon },
            { ':', XK_colon }, { '+', XK_plus }, { '!', XK_exclam }, { '&', XK_ampersand },
          };
          for (guint i = 0; i < G_N_ELEMENTS (punct); i++)
            if (punct[i].c == *p)
              sym = punct[i].sym;
        }
      g_assert_true (sym != NoSymbol);
      /* The main-keyboard key giving @sym at level 1 or 2, as a person
       * would press it (XKeysymToKeycode may pick a keypad or media key). */
      code = 0;
      shifted = FALSE;
      for (int level = 0; level < 2 && code == 0; level++)
        for (int kc = 9; kc < 120 && code == 0; kc++)
          if (XkbKeycodeToKeysym (dpy, kc, 0, level) == sym)
            {
              code = kc;
              shifted = level == 1;
            }
      g_assert_true (code != 0);

      if (shifted)
        fake_key (shift, TRUE);
      fake_key (code, TRUE);
      fake_key (code, FALSE);
      if (shifted)
        fake_key (shift, FALSE);
    }
}

void
gb_test_xtest_chord (const char *const *keysyms)
{
  Display *dpy = xdisplay ();
  guint n = g_strv_length ((char **) keysyms);

  for (guint i = 0; i < n; i++)
    fake_key (XKeysymToKeycode (dpy, XStringToKeysym (keysyms[i])), TRUE);
  for (guint i = n; i > 0; i--)
    fake_key (XKeysymToKeycode (dpy, XStringToKeysym (keysyms[i - 1])), FALSE);
}

char *
gb_test_save_window_png (GtkWidget  *window,
                         const char *name)
{
  GdkPaintable *paintable;
  GtkSnapshot *snapshot;
  int width, height;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  char *path = g_strdup_printf ("%s/%s.png", gb_test_tmpdir (), name);

  /* On a loaded machine the window may not have had its first frame yet:
   * nothing to render then. */
  gtk_test_widget_wait_for_draw (window);
  paintable = gtk_widget_paintable_new (window);
  snapshot = gtk_snapshot_new ();
  width = gtk_widget_get_width (window);
  height = gtk_widget_get_height (window);
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    {
      g_test_message ("%s: the window drew nothing, no PNG", name);
      g_object_unref (paintable);
      return path;
    }
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  gdk_texture_save_to_png (texture, path);
  g_object_unref (paintable);
  return path;
}
