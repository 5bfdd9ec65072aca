/* gb-libvirt-console.c — a libvirt console stream as a GIOStream
 *
 * virDomainOpenConsole fills a virStream, which libvirt drives with its own
 * event callbacks (gvir_event_register() puts them on the GLib main loop).
 * Consoles want a GIOStream (GbSerialConsole reads any).  libvirt-gobject's
 * GVirStream is one, but its input stream ignores cancellation and removes
 * the stream's event callback after each read, so a console closed while a
 * read is pending is freed under libvirt's feet.
 *
 * Instead, one end of a socketpair is handed out as a GSocketConnection and
 * a pump on the main loop copies bytes between the other end and the
 * virStream.  Guest output waits in a buffer while the socket is full (and
 * the stream is not read meanwhile: flow control); keystrokes that the
 * stream cannot take at once are dropped, as a serial line would.  Either
 * side closing ends both.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib-unix.h>
#include <libvirt/virterror.h>

#include "gb-libvirt-error.h"
#include "gb-libvirt-console.h"

typedef struct {
  virStreamPtr  stream;
  int           fd;         /* our end of the socketpair */
  guint         fd_watch;   /* reading keystrokes from the console */
  guint         out_watch;  /* waiting for room for guest output */
  GByteArray   *pending;    /* guest output the socket had no room for */
  guint         stream_watched : 1;
} Pump;

static void pump_update_stream_events (Pump *pump);

static void
pump_free (Pump *pump)
{
  g_clear_handle_id (&pump->fd_watch, g_source_remove);
  g_clear_handle_id (&pump->out_watch, g_source_remove);
  if (pump->fd >= 0)
    close (pump->fd);
  g_byte_array_unref (pump->pending);
  g_free (pump);
}

/* The stream is let go from an idle: pump_close() may run inside the
 * stream's own event callback, and libvirt still uses the stream when that
 * returns. */
static gboolean
stream_finish_idle (gpointer data)
{
  virStreamPtr stream = data;

  virStreamAbort (stream);
  virResetLastError ();
  virStreamFree (stream);
  return G_SOURCE_REMOVE;
}

/* Ends both sides.  The pump itself is freed by libvirt when the stream
 * callback is removed (its free callback), or here if there is none. */
static void
pump_close (Pump *pump)
{
  virStreamPtr stream = pump->stream;

  if (stream == NULL)
    return;
  pump->stream = NULL;

  g_clear_handle_id (&pump->fd_watch, g_source_remove);
  g_clear_handle_id (&pump->out_watch, g_source_remove);
  if (pump->fd >= 0)
    {
      close (pump->fd);
      pump->fd = -1;
    }

  if (pump->stream_watched)
    virStreamEventRemoveCallback (stream);
  else
    pump_free (pump);
  g_idle_add (stream_finish_idle, stream);
}

/* Writes what is pending; FALSE if the other side is gone. */
static gboolean
pump_flush (Pump *pump)
{
  while (pump->pending->len > 0)
    {
      ssize_t n = send (pump->fd, pump->pending->data, pump->pending->len, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return TRUE;
      if (n <= 0)
        return FALSE;
      g_byte_array_remove_range (pump->pending, 0, n);
    }
  return TRUE;
}

static gboolean
on_fd_writable (int          fd,
                GIOCondition condition,
                gpointer     data)
{
  Pump *pump = data;

  if (!pump_flush (pump))
    {
      pump->out_watch = 0;
      pump_close (pump);
      return G_SOURCE_REMOVE;
    }
  if (pump->pending->len > 0)
    return G_SOURCE_CONTINUE;

  pump->out_watch = 0;
  pump_update_stream_events (pump);
  return G_SOURCE_REMOVE;
}

static void
on_stream_event (virStreamPtr stream,
                 int          events,
                 void        *data)
{
  Pump *pump = data;

  if (pump->stream == NULL)
    return;

  if (events & VIR_STREAM_EVENT_READABLE)
    {
      char buffer[4096];
      int n = virStreamRecv (stream, buffer, sizeof buffer);

      if (n > 0)
        {
          g_byte_array_append (pump->pending, (const guint8 *) buffer, n);
          if (!pump_flush (pump))
            {
              pump_close (pump);
              return;
            }
          if (pump->pending->len > 0 && pump->out_watch == 0)
            {
              pump->out_watch = g_unix_fd_add (pump->fd, G_IO_OUT, on_fd_writable, pump);
              pump_update_stream_events (pump);
            }
          return;
        }
      if (n == -2)  /* would block after all */
        return;
      /* 0: the guest side ended; < 0: an error. */
      pump_close (pump);
      return;
    }

  if (events & (VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP))
    pump_close (pump);
}

static void
pump_update_stream_events (Pump *pump)
{
  int events = VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP;

  if (pump->stream == NULL)
    return;
  /* No more guest output while the console has not taken the last. */
  if (pump->pending->len == 0)
    events |= VIR_STREAM_EVENT_READABLE;
  virStreamEventUpdateCallback (pump->stream, events);
}

static gboolean
on_fd_readable (int          fd,
                GIOCondition condition,
                gpointer     data)
{
  Pump *pump = data;
  char buffer[4096];
  ssize_t n;

  n = recv (fd, buffer, sizeof buffer, 0);
  if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    {
      /* The console closed its end. */
      pump->fd_watch = 0;
      pump_close (pump);
      return G_SOURCE_REMOVE;
    }

  /* Keystrokes are tiny; a full send buffer just drops them. */
  if (virStreamSend (pump->stream, buffer, n) < 0)
    {
      g_debug ("console: %s", virGetLastErrorMessage ());
      virResetLastError ();
    }
  return G_SOURCE_CONTINUE;
}

static void
stream_callback_free (void *data)
{
  pump_free (data);
}

/**
 * _gb_libvirt_console_wrap:
 * @stream: a non-blocking stream virDomainOpenConsole filled; the wrapper
 *   takes it over
 *
 * Call on the main thread.
 *
 * Returns: (transfer full): a stream to the console, or %NULL with @error
 *   set (and @stream aborted)
 */
GIOStream *
_gb_libvirt_console_wrap (virStreamPtr   stream,
                          GError       **error)
{
  g_autoptr(GSocket) socket = NULL;
  Pump *pump;
  int fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "socketpair: %s", g_strerror (saved_errno));
      virStreamAbort (stream);
      virStreamFree (stream);
      return NULL;
    }

  socket = g_socket_new_from_fd (fds[1], error);
  if (socket == NULL)
    {
      close (fds[0]);
      close (fds[1]);
      virStreamAbort (stream);
      virStreamFree (stream);
      return NULL;
    }

  pump = g_new0 (Pump, 1);
  pump->stream = stream;
  pump->fd = fds[0];
  pump->pending = g_byte_array_new ();

  if (virStreamEventAddCallback (stream,
                                 VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR |
                                 VIR_STREAM_EVENT_HANGUP,
                                 on_stream_event, pump, stream_callback_free) < 0)
    {
      gb_libvirt_set_error (error, NULL);
      pump_close (pump);
      return NULL;
    }
  pump->stream_watched = TRUE;
  pump->fd_watch = g_unix_fd_add (pump->fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_fd_readable, pump);

  return G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
}
