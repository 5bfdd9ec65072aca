/* test-display-teardown.c: closing a console while a screen update arrives
 *
 * A user closes a console window while the VNC server is halfway through
 * sending a picture.  gtk-vnc's connection keeps running its coroutine after
 * vnc_connection_shutdown() until it notices the socket is gone, and a
 * picture still arriving is decoded into the framebuffer the connection was
 * given.  Glassbox freed those pixels with the console: the rest of the
 * picture went into freed memory (a crash seen about once in twenty runs of
 * display-auth).
 *
 * This test plays the server itself, on a UNIX socket, so that the timing
 * is not luck: it sends the first half of a large raw update, waits for the
 * console to be gone, then sends the second half.  The framebuffer is large
 * enough (3 MiB) that malloc gives it its own mapping, so a write after the
 * free faults at once instead of landing somewhere harmless.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "gb-display.h"
#include "gb-test-qemu.h"

#define WIDTH  1024
#define HEIGHT 768

typedef struct
{
  char      *path;
  int        listen_fd;
  GThread   *thread;
  /* Main thread → server: "send the first half", "the console is gone". */
  GAsyncQueue *to_server;
  /* Server → main thread, as counters the main loop can poll. */
  gint       half_sent;
  gint       all_sent;
  char      *failure;
} FakeServer;

static gboolean
write_all (int         fd,
           const void *data,
           gsize       len)
{
  const guint8 *p = data;

  while (len > 0)
    {
      /* MSG_NOSIGNAL: once the client is gone the rest of the picture may
       * meet a closed socket; that is an answer, not a reason to die. */
      ssize_t n = send (fd, p, len, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      p += n;
      len -= n;
    }
  return TRUE;
}

static gboolean
read_exactly (int    fd,
              void  *data,
              gsize  len)
{
  guint8 *p = data;

  while (len > 0)
    {
      ssize_t n = read (fd, p, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      p += n;
      len -= n;
    }
  return TRUE;
}

static void
put_u16 (guint8 *p,
         guint16 v)
{
  p[0] = v >> 8;
  p[1] = v & 0xff;
}

/* RFB 3.8 (RFC 6143): version, security "None", ServerInit, then one raw
 * FramebufferUpdate of the whole screen, in two halves. */
static gpointer
server_thread (gpointer data)
{
  FakeServer *server = data;
  guint8 buf[64];
  guint8 init[24 + 4] = { 0 };
  guint8 update[4 + 12] = { 0 };
  g_autofree guint8 *pixels = g_malloc ((gsize) WIDTH * HEIGHT * 4);
  gsize half = (gsize) WIDTH * (HEIGHT / 2) * 4;
  int fd;

  fd = accept (server->listen_fd, NULL, NULL);
  if (fd < 0)
    {
      server->failure = g_strdup_printf ("accept: %s", g_strerror (errno));
      return NULL;
    }

  if (!write_all (fd, "RFB 003.008\n", 12) || !read_exactly (fd, buf, 12))
    goto fail;
  /* One security type, 1 = None (RFC 6143 §7.1.2); then SecurityResult OK. */
  if (!write_all (fd, "\1\1", 2) || !read_exactly (fd, buf, 1) ||
      !write_all (fd, "\0\0\0\0", 4))
    goto fail;
  /* ClientInit (one byte: shared flag), then ServerInit (§7.3.2). */
  if (!read_exactly (fd, buf, 1))
    goto fail;
  put_u16 (init, WIDTH);
  put_u16 (init + 2, HEIGHT);
  init[4] = 32;     /* bits per pixel */
  init[5] = 24;     /* depth */
  init[6] = 0;      /* little-endian */
  init[7] = 1;      /* true colour */
  put_u16 (init + 8, 255);
  put_u16 (init + 10, 255);
  put_u16 (init + 12, 255);
  init[14] = 16;
  init[15] = 8;
  init[16] = 0;
  init[23] = 4;     /* name length (big-endian u32 at 20) */
  memcpy (init + 24, "fake", 4);
  if (!write_all (fd, init, sizeof init))
    goto fail;

  /* The client's SetPixelFormat, SetEncodings and update requests stay
   * unread in the socket: a raw update is valid whatever it asked for. */
  g_async_queue_pop (server->to_server);

  memset (pixels, 0x80, (gsize) WIDTH * HEIGHT * 4);
  update[0] = 0;    /* FramebufferUpdate (§7.6.1) */
  put_u16 (update + 2, 1);
  put_u16 (update + 8, WIDTH);
  put_u16 (update + 10, HEIGHT);
  /* encoding 0 (raw) at update + 12: already zero */
  if (!write_all (fd, update, sizeof update) || !write_all (fd, pixels, half))
    goto fail;
  g_atomic_int_set (&server->half_sent, 1);

  g_async_queue_pop (server->to_server);
  /* The client may have closed the socket by now: both are fine. */
  write_all (fd, pixels + half, (gsize) WIDTH * HEIGHT * 4 - half);
  g_atomic_int_set (&server->all_sent, 1);
  close (fd);
  return NULL;

fail:
  server->failure = g_strdup ("the client left during the handshake");
  g_atomic_int_set (&server->half_sent, 1);
  close (fd);
  return NULL;
}

static gboolean
is_connected (gpointer data)
{
  return gb_display_get_state (data) == GB_DISPLAY_STATE_CONNECTED ||
         gb_display_get_state (data) == GB_DISPLAY_STATE_ERROR;
}

static gboolean
flag_set (gpointer data)
{
  return g_atomic_int_get ((gint *) data) != 0;
}

static void
test_close_mid_update (void)
{
  FakeServer server = { 0 };
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  g_autofree char *uri = NULL;
  GtkWidget *window;
  GtkWidget *display;

  server.path = g_build_filename (gb_test_tmpdir (), "teardown.sock", NULL);
  g_assert_cmpuint (strlen (server.path), <, sizeof addr.sun_path);
  strcpy (addr.sun_path, server.path);
  server.listen_fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (server.listen_fd, >=, 0);
  g_assert_no_errno (bind (server.listen_fd, (struct sockaddr *) &addr, sizeof addr));
  g_assert_no_errno (listen (server.listen_fd, 1));
  server.to_server = g_async_queue_new ();
  server.thread = g_thread_new ("fake-vnc", server_thread, &server);

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 640, 480);
  display = gb_display_new ();
  gtk_window_set_child (GTK_WINDOW (window), display);
  gtk_window_present (GTK_WINDOW (window));

  uri = g_strdup_printf ("vnc+unix://%s", server.path);
  g_assert_true (gb_display_open_uri (GB_DISPLAY (display), uri, NULL));
  g_assert_true (gb_test_wait_until (is_connected, display, 20000));
  g_assert_cmpint (gb_display_get_state (GB_DISPLAY (display)), ==, GB_DISPLAY_STATE_CONNECTED);

  /* Half a picture arrives and is decoded; the client waits for the rest. */
  g_async_queue_push (server.to_server, GINT_TO_POINTER (1));
  g_assert_true (gb_test_wait_until (flag_set, &server.half_sent, 20000));
  g_assert_null (server.failure);
  gb_test_spin (500);

  /* The user closes the console. */
  gtk_window_destroy (GTK_WINDOW (window));
  gb_test_spin (200);

  /* The rest of the picture arrives: nothing may write it anywhere. */
  g_async_queue_push (server.to_server, GINT_TO_POINTER (2));
  g_assert_true (gb_test_wait_until (flag_set, &server.all_sent, 20000));
  gb_test_spin (1000);

  g_thread_join (server.thread);
  g_assert_null (server.failure);
  close (server.listen_fd);
  g_unlink (server.path);
  g_async_queue_unref (server.to_server);
  g_free (server.path);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/display/teardown/close-mid-update", test_close_mid_update);

  return g_test_run ();
}
