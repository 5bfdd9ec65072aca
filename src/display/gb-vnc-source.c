/* gb-vnc-source.c: a VNC screen through libgvnc-1.0
 *
 * VncConnection speaks RFB (RFC 6143) and decodes rectangles into a
 * VncBaseFramebuffer that points at memory we own.  We ask the server for our
 * own pixel format (32 bpp, B,G,R,X in memory) so the decoders write pixels
 * straight into that memory and GbDisplay can upload them without converting.
 *
 * Two copies of the screen: gvnc decodes into the first; the second is what
 * GbDisplay shows (and screenshots).  gvnc tells us of each rectangle as it
 * decodes it, one main-loop turn each, and GTK may draw between two of
 * them: QEMU sends a scrolled text screen as a rectangle or two per row,
 * bottom row first, so a frame drawn in the middle of an update showed new
 * rows under old ones, lines twice (issue 18, item 14).  The rectangles are
 * collected and copied to the shown screen together, once gvnc has had
 * nothing more to hand us for a moment (see on_framebuffer_update()).  A main loop
 * too busy to ever get there (a loaded machine, a guest that never stops
 * drawing) still shows what came, at most FLUSH_MAX_DELAY_US late.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include <glib/gi18n-lib.h>
#include <gio/gunixsocketaddress.h>
#include <gvnc.h>

#include "gb-keymap.h"
#include "gb-vnc-source.h"

struct _GbVncSource
{
  GbDisplaySource     parent_instance;

  VncConnection      *conn;
  char               *host;
  char               *port;
  char               *unix_path;
  int                 fd;

  char               *password;
  gboolean            waiting_for_password;
  gboolean            auth_failed;
  char               *last_error;

  guint8             *pixels;   /* gvnc decodes here; owned by fb (its "gb-pixels" data) */
  guint8             *shown;    /* GbDisplay shows this */
  VncBaseFramebuffer *fb;
  cairo_region_t     *pending;  /* decoded, not yet shown */
  gint64              pending_since_us;
  guint               flush_source;
  guint               update_source;
  guint               rerequest_source;

  GbDisplayButtons    buttons;
};

G_DEFINE_FINAL_TYPE (GbVncSource, gb_vnc_source, GB_TYPE_DISPLAY_SOURCE)

/* RFB pointer mask bits for the wheel (RFC 6143 §7.5.5). */
#define VNC_WHEEL_UP   (1 << 3)
#define VNC_WHEEL_DOWN (1 << 4)

static const VncPixelFormat local_format = {
  .bits_per_pixel = 32,
  .depth = 24,
  .byte_order = G_BYTE_ORDER,
  .true_color_flag = 1,
  .red_max = 255, .green_max = 255, .blue_max = 255,
  .red_shift = 16, .green_shift = 8, .blue_shift = 0,
};

static void
gb_vnc_source_make_framebuffer (GbVncSource          *self,
                                const VncPixelFormat *remote)
{
  int width = vnc_connection_get_width (self->conn);
  int height = vnc_connection_get_height (self->conn);
  VncBaseFramebuffer *old_fb = self->fb;
  guint8 *old_shown = self->shown;

  /* QEMU announces the size again on every console switch; keeping the
   * pixels we have avoids a black screen until the next full update. */
  if (old_fb != NULL &&
      vnc_framebuffer_get_width (VNC_FRAMEBUFFER (old_fb)) == width &&
      vnc_framebuffer_get_height (VNC_FRAMEBUFFER (old_fb)) == height &&
      vnc_pixel_format_match (vnc_framebuffer_get_remote_format (VNC_FRAMEBUFFER (old_fb)), remote))
    return;

  self->pixels = g_malloc0 ((gsize) width * height * 4);
  self->shown = g_malloc0 ((gsize) width * height * 4);
  self->fb = vnc_base_framebuffer_new (self->pixels, width, height, width * 4,
                                       &local_format, remote);
  /* The pixels live exactly as long as the framebuffer object.  A
   * connection holds its own reference to it, and after
   * vnc_connection_shutdown() its coroutine may still finish the update it
   * was decoding into them: freeing them with this source (or on the next
   * connection's first resize) let that update write into freed memory. */
  g_object_set_data_full (G_OBJECT (self->fb), "gb-pixels", self->pixels, g_free);
  vnc_connection_set_framebuffer (self->conn, VNC_FRAMEBUFFER (self->fb));
  g_clear_pointer (&self->pending, cairo_region_destroy);
  g_clear_handle_id (&self->flush_source, g_source_remove);

  g_clear_object (&old_fb);

  gb_display_source_set_framebuffer (GB_DISPLAY_SOURCE (self), self->shown,
                                     width, height, (gsize) width * 4);
  g_free (old_shown);
}

/* A guest that never stops drawing keeps gvnc's rectangles coming closer
 * than FLUSH_QUIET_MS: the shown screen then follows at about 30 frames a
 * second.  At 100 ms (10 frames a second) the display benchmark showed half
 * remote-viewer's frames for the same CPU; at 34 ms console-frames still saw
 * no wrong frame in three runs (285–323 frames each). */
#define FLUSH_QUIET_MS 5
#define FLUSH_MAX_DELAY_US (34 * 1000)

/* Shows what gvnc decoded since the last time: copies it to the shown
 * screen and says which rectangles changed. */
static void
gb_vnc_source_flush (GbVncSource *self)
{
  cairo_region_t *region = g_steal_pointer (&self->pending);
  int width, height, n;

  g_clear_handle_id (&self->flush_source, g_source_remove);
  if (region == NULL)
    return;
  if (self->fb == NULL)
    {
      cairo_region_destroy (region);
      return;
    }

  width = vnc_framebuffer_get_width (VNC_FRAMEBUFFER (self->fb));
  height = vnc_framebuffer_get_height (VNC_FRAMEBUFFER (self->fb));
  cairo_region_intersect_rectangle (region, &(cairo_rectangle_int_t) { 0, 0, width, height });
  n = cairo_region_num_rectangles (region);
  for (int i = 0; i < n; i++)
    {
      cairo_rectangle_int_t r;

      cairo_region_get_rectangle (region, i, &r);
      for (int row = r.y; row < r.y + r.height; row++)
        {
          gsize offset = (gsize) row * width * 4 + (gsize) r.x * 4;

          memcpy (self->shown + offset, self->pixels + offset, (gsize) r.width * 4);
        }
      gb_display_source_invalidate (GB_DISPLAY_SOURCE (self), r.x, r.y, r.width, r.height);
    }
  cairo_region_destroy (region);
}

static gboolean
flush_cb (gpointer data)
{
  GbVncSource *self = data;

  self->flush_source = 0;
  gb_vnc_source_flush (self);
  return G_SOURCE_REMOVE;
}

static gboolean
request_update_cb (gpointer data)
{
  GbVncSource *self = data;

  self->update_source = 0;
  if (self->conn != NULL && vnc_connection_is_initialized (self->conn))
    vnc_connection_framebuffer_update_request (self->conn, TRUE, 0, 0,
                                               vnc_connection_get_width (self->conn),
                                               vnc_connection_get_height (self->conn));

  return G_SOURCE_REMOVE;
}

/* RFB sends one FramebufferUpdate per request (RFC 6143 §7.5.3) and the
 * client asks again when one has come, here after its first rectangle.
 * An update without a rectangle (QEMU can send one when what was dirty is
 * gone by the time it encodes) gives gvnc nothing to signal, so no new
 * request would follow and the screen would stay at an old frame until
 * the next full update.  The request is therefore also repeated on a
 * timer; one sent while another is pending costs the server nothing (QEMU
 * keeps one "update wanted" flag). */
#define REREQUEST_INTERVAL_MS 100

static gboolean
rerequest_cb (gpointer data)
{
  GbVncSource *self = data;

  if (self->conn == NULL || !vnc_connection_is_initialized (self->conn))
    return G_SOURCE_CONTINUE;

  if (self->pending != NULL &&
      g_get_monotonic_time () - self->pending_since_us > FLUSH_MAX_DELAY_US)
    gb_vnc_source_flush (self);

  if (self->update_source == 0)
    vnc_connection_framebuffer_update_request (self->conn, TRUE, 0, 0,
                                               vnc_connection_get_width (self->conn),
                                               vnc_connection_get_height (self->conn));

  return G_SOURCE_CONTINUE;
}

/* Whether the server is on this machine: a UNIX socket, a loopback address,
 * or a socket a machine handed over (gb_machine_open_graphics_async()). */
static gboolean
gb_vnc_source_is_local (GbVncSource *self)
{
  g_autoptr(GSocketAddress) address = NULL;

  if (self->unix_path != NULL)
    return TRUE;

  if (self->fd >= 0)
    {
      struct sockaddr_storage native;
      socklen_t len = sizeof native;

      if (getsockname (self->fd, (struct sockaddr *) &native, &len) != 0)
        return FALSE;
      if (native.ss_family == AF_UNIX)
        return TRUE;
      address = g_socket_address_new_from_native (&native, len);
      return G_IS_INET_SOCKET_ADDRESS (address) &&
             g_inet_address_get_is_loopback (
               g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
    }

  if (self->host != NULL)
    {
      g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (self->host);

      if (inet != NULL)
        return g_inet_address_get_is_loopback (inet);
      return g_ascii_strcasecmp (self->host, "localhost") == 0;
    }

  return FALSE;
}

static void
on_initialized (VncConnection *conn,
                GbVncSource   *self)
{
  /* Lossless encodings only (no Tight JPEG levels): the screen must be
   * exactly the guest's.  The server uses the first one it knows (RFC 6143
   * §7.5.2).  On this machine the bytes cost nothing to carry but
   * decompressing them costs our CPU, so a local server is asked for raw
   * pixels first: gvnc copies them row by row into our framebuffer instead
   * of inflating zlib streams and setting pixels one by one. */
  gint32 local_encodings[] = { VNC_CONNECTION_ENCODING_RAW };
  gint32 encodings[] = {
    VNC_CONNECTION_ENCODING_TIGHT,
    VNC_CONNECTION_ENCODING_ZRLE,
    VNC_CONNECTION_ENCODING_HEXTILE,
    VNC_CONNECTION_ENCODING_RRE,
    VNC_CONNECTION_ENCODING_COPY_RECT,
    VNC_CONNECTION_ENCODING_RAW,
    VNC_CONNECTION_ENCODING_EXTENDED_DESKTOP_RESIZE,
    VNC_CONNECTION_ENCODING_DESKTOP_RESIZE,
    VNC_CONNECTION_ENCODING_WMVi,
    VNC_CONNECTION_ENCODING_ALPHA_CURSOR,
    VNC_CONNECTION_ENCODING_RICH_CURSOR,
    VNC_CONNECTION_ENCODING_XCURSOR,
    VNC_CONNECTION_ENCODING_POINTER_CHANGE,
    VNC_CONNECTION_ENCODING_EXT_KEY_EVENT,
    VNC_CONNECTION_ENCODING_LAST_RECT,
    VNC_CONNECTION_ENCODING_DESKTOP_NAME,
    VNC_CONNECTION_ENCODING_LED_STATE,
  };
  g_autoptr(GArray) list = g_array_new (FALSE, FALSE, sizeof (gint32));

  if (gb_vnc_source_is_local (self))
    g_array_append_vals (list, local_encodings, G_N_ELEMENTS (local_encodings));
  g_array_append_vals (list, encodings, G_N_ELEMENTS (encodings));

  if (!vnc_connection_set_pixel_format (conn, &local_format) ||
      !vnc_connection_set_encodings (conn, list->len, &g_array_index (list, gint32, 0)))
    {
      vnc_connection_shutdown (conn);
      return;
    }

  gb_vnc_source_make_framebuffer (self, &local_format);
  gb_display_source_set_absolute_pointer (GB_DISPLAY_SOURCE (self),
                                          vnc_connection_get_abs_pointer (conn));
  gb_display_source_set_state (GB_DISPLAY_SOURCE (self), GB_DISPLAY_STATE_CONNECTED, NULL);

  vnc_connection_framebuffer_update_request (conn, FALSE, 0, 0,
                                             vnc_connection_get_width (conn),
                                             vnc_connection_get_height (conn));
  if (self->rerequest_source == 0)
    self->rerequest_source = g_timeout_add (REREQUEST_INTERVAL_MS, rerequest_cb, self);
}

static void
on_framebuffer_update (VncConnection *conn,
                       guint16        x,
                       guint16        y,
                       guint16        width,
                       guint16        height,
                       GbVncSource   *self)
{
  if (self->pending != NULL &&
      g_get_monotonic_time () - self->pending_since_us > FLUSH_MAX_DELAY_US)
    gb_vnc_source_flush (self);
  if (self->pending == NULL)
    {
      self->pending = cairo_region_create ();
      self->pending_since_us = g_get_monotonic_time ();
    }
  cairo_region_union_rectangle (self->pending, &(cairo_rectangle_int_t) { x, y, width, height });

  /* gvnc hands over each rectangle in an idle of G_PRIORITY_DEFAULT_IDLE
   * and reads the socket at G_PRIORITY_DEFAULT: a lower priority runs
   * once it has nothing more for us.  It may also have nothing because the
   * rest of the update is not in the socket yet (a big Raw update is
   * written as the socket drains): the update is taken as whole when no
   * rectangle came for FLUSH_QUIET_MS, shorter than QEMU's 30 ms between
   * two updates. */
  g_clear_handle_id (&self->flush_source, g_source_remove);
  self->flush_source = g_timeout_add_full (G_PRIORITY_LOW, FLUSH_QUIET_MS, flush_cb, self, NULL);

  /* One incremental request per batch of rectangles: the idle runs once the
   * connection has drained what the socket had for us. */
  if (self->update_source == 0)
    self->update_source = g_idle_add_full (G_PRIORITY_HIGH_IDLE, request_update_cb, self, NULL);
}

static void
on_desktop_resize (VncConnection *conn,
                   guint16        width,
                   guint16        height,
                   GbVncSource   *self)
{
  g_debug ("vnc desktop resize %ux%u", width, height);
  /* gvnc wants the new framebuffer before this handler returns. */
  gb_vnc_source_make_framebuffer (self, vnc_connection_get_pixel_format (conn));
  vnc_connection_framebuffer_update_request (conn, FALSE, 0, 0, width, height);
}

static void
on_pixel_format_changed (VncConnection  *conn,
                         VncPixelFormat *format,
                         GbVncSource    *self)
{
  g_debug ("vnc pixel format %u bpp", format->bits_per_pixel);
  gb_vnc_source_make_framebuffer (self, format);
  vnc_connection_framebuffer_update_request (conn, FALSE, 0, 0,
                                             vnc_connection_get_width (conn),
                                             vnc_connection_get_height (conn));
}

static void
on_cursor_changed (VncConnection *conn,
                   VncCursor     *cursor,
                   GbVncSource   *self)
{
  g_autoptr(GdkTexture) texture = NULL;
  int width, height;

  if (cursor == NULL)
    {
      gb_display_source_emit_cursor (GB_DISPLAY_SOURCE (self), NULL, 0, 0);
      return;
    }

  width = vnc_cursor_get_width (cursor);
  height = vnc_cursor_get_height (cursor);
  if (width > 0 && height > 0)
    {
      /* gvnc hands the cursor over as straight (not premultiplied) RGBA. */
      g_autoptr(GBytes) bytes = g_bytes_new (vnc_cursor_get_data (cursor), (gsize) width * height * 4);

      texture = gdk_memory_texture_new (width, height, GDK_MEMORY_R8G8B8A8,
                                        bytes, (gsize) width * 4);
    }

  gb_display_source_emit_cursor (GB_DISPLAY_SOURCE (self), texture,
                                 vnc_cursor_get_hotx (cursor),
                                 vnc_cursor_get_hoty (cursor));
}

static void
on_pointer_mode_changed (VncConnection *conn,
                         gboolean       absolute,
                         GbVncSource   *self)
{
  gb_display_source_set_absolute_pointer (GB_DISPLAY_SOURCE (self), absolute);
}

static void
on_server_cut_text (VncConnection *conn,
                    const GString *text,
                    GbVncSource   *self)
{
  g_autofree char *utf8 = NULL;

  /* RFB cut text is ISO 8859-1 (RFC 6143 §7.6.4). */
  utf8 = g_convert (text->str, text->len, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);
  if (utf8 != NULL)
    gb_display_source_emit_clipboard (GB_DISPLAY_SOURCE (self), utf8);
}

G_GNUC_BEGIN_IGNORE_DEPRECATIONS
static void
on_auth_choose_type (VncConnection *conn,
                     GValueArray   *types,
                     GbVncSource   *self)
{
  gboolean has_none = FALSE, has_vnc = FALSE;

  /* Loopback and UNIX sockets only: no authentication, or the classic VNC
   * password.  TLS and SASL are for remote hosts. */
  for (guint i = 0; i < types->n_values; i++)
    {
      guint type = g_value_get_enum (&types->values[i]);

      has_none |= type == VNC_CONNECTION_AUTH_NONE;
      has_vnc |= type == VNC_CONNECTION_AUTH_VNC;
    }

  if (has_none)
    vnc_connection_set_auth_type (conn, VNC_CONNECTION_AUTH_NONE);
  else if (has_vnc)
    vnc_connection_set_auth_type (conn, VNC_CONNECTION_AUTH_VNC);
  else
    vnc_connection_set_auth_type (conn, VNC_CONNECTION_AUTH_INVALID);
}

static void
on_auth_credential (VncConnection *conn,
                    GValueArray   *credentials,
                    GbVncSource   *self)
{
  for (guint i = 0; i < credentials->n_values; i++)
    {
      int type = g_value_get_enum (&credentials->values[i]);

      switch (type)
        {
        case VNC_CONNECTION_CREDENTIAL_PASSWORD:
          if (self->password == NULL)
            {
              /* Ask; gb_vnc_source_set_password() answers later. */
              self->waiting_for_password = TRUE;
              gb_display_source_emit_need_password (GB_DISPLAY_SOURCE (self));
              return;
            }
          vnc_connection_set_credential (conn, type, self->password);
          break;
        case VNC_CONNECTION_CREDENTIAL_USERNAME:
          vnc_connection_set_credential (conn, type, g_get_user_name ());
          break;
        case VNC_CONNECTION_CREDENTIAL_CLIENTNAME:
          vnc_connection_set_credential (conn, type, "glassbox");
          break;
        default:
          vnc_connection_shutdown (conn);
          return;
        }
    }
}
G_GNUC_END_IGNORE_DEPRECATIONS

static void
on_auth_failure (VncConnection *conn,
                 const char    *reason,
                 GbVncSource   *self)
{
  g_autofree char *message = NULL;

  self->auth_failed = TRUE;
  if (reason != NULL && *reason != '\0')
    message = g_strdup_printf (_("The password was not accepted: %s"), reason);
  else
    message = g_strdup (_("The password was not accepted."));
  gb_display_source_set_state (GB_DISPLAY_SOURCE (self), GB_DISPLAY_STATE_ERROR, message);
}

static void
on_auth_unsupported (VncConnection *conn,
                     guint          auth_type,
                     GbVncSource   *self)
{
  g_autofree char *message = NULL;

  self->auth_failed = TRUE;
  message = g_strdup_printf (_("The VNC server wants an authentication method Glassbox does not support (%u)."),
                             auth_type);
  gb_display_source_set_state (GB_DISPLAY_SOURCE (self), GB_DISPLAY_STATE_ERROR, message);
}

static void
on_error (VncConnection *conn,
          const char    *message,
          GbVncSource   *self)
{
  g_free (self->last_error);
  self->last_error = g_strdup (message);
}

static void
on_disconnected (VncConnection *conn,
                 GbVncSource   *self)
{
  GbDisplaySource *source = GB_DISPLAY_SOURCE (self);

  g_clear_handle_id (&self->update_source, g_source_remove);
  g_clear_handle_id (&self->rerequest_source, g_source_remove);
  g_clear_handle_id (&self->flush_source, g_source_remove);

  /* An authentication failure stays an error; anything else is a plain
   * disconnection the display may retry. */
  if (gb_display_source_get_state (source) != GB_DISPLAY_STATE_ERROR)
    gb_display_source_set_state (source, GB_DISPLAY_STATE_DISCONNECTED, self->last_error);
}

static void
gb_vnc_source_connect (GbDisplaySource *source)
{
  GbVncSource *self = GB_VNC_SOURCE (source);
  gboolean ok;

  g_return_if_fail (self->conn == NULL);

  self->conn = vnc_connection_new ();
  g_signal_connect (self->conn, "vnc-initialized", G_CALLBACK (on_initialized), self);
  g_signal_connect (self->conn, "vnc-framebuffer-update", G_CALLBACK (on_framebuffer_update), self);
  g_signal_connect (self->conn, "vnc-desktop-resize", G_CALLBACK (on_desktop_resize), self);
  g_signal_connect (self->conn, "vnc-pixel-format-changed", G_CALLBACK (on_pixel_format_changed), self);
  g_signal_connect (self->conn, "vnc-cursor-changed", G_CALLBACK (on_cursor_changed), self);
  g_signal_connect (self->conn, "vnc-pointer-mode-changed", G_CALLBACK (on_pointer_mode_changed), self);
  g_signal_connect (self->conn, "vnc-server-cut-text", G_CALLBACK (on_server_cut_text), self);
  g_signal_connect (self->conn, "vnc-auth-choose-type", G_CALLBACK (on_auth_choose_type), self);
  g_signal_connect (self->conn, "vnc-auth-credential", G_CALLBACK (on_auth_credential), self);
  g_signal_connect (self->conn, "vnc-auth-failure", G_CALLBACK (on_auth_failure), self);
  g_signal_connect (self->conn, "vnc-auth-unsupported", G_CALLBACK (on_auth_unsupported), self);
  g_signal_connect (self->conn, "vnc-error", G_CALLBACK (on_error), self);
  g_signal_connect (self->conn, "vnc-disconnected", G_CALLBACK (on_disconnected), self);

  /* Several viewers may watch one machine. */
  vnc_connection_set_shared (self->conn, TRUE);

  gb_display_source_set_state (source, GB_DISPLAY_STATE_CONNECTING, NULL);

  if (self->fd >= 0)
    {
      ok = vnc_connection_open_fd (self->conn, self->fd);
    }
  else if (self->unix_path != NULL)
    {
      g_autoptr(GSocketAddress) address = g_unix_socket_address_new (self->unix_path);

      ok = vnc_connection_open_addr (self->conn, address, NULL);
    }
  else
    {
      ok = vnc_connection_open_host (self->conn, self->host, self->port);
    }

  if (!ok)
    gb_display_source_set_state (source, GB_DISPLAY_STATE_DISCONNECTED,
                                 _("Could not open the VNC connection."));
}

static void
gb_vnc_source_disconnect (GbDisplaySource *source)
{
  GbVncSource *self = GB_VNC_SOURCE (source);

  g_clear_handle_id (&self->update_source, g_source_remove);
  g_clear_handle_id (&self->rerequest_source, g_source_remove);
  g_clear_handle_id (&self->flush_source, g_source_remove);
  if (self->conn != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->conn, self);
      vnc_connection_shutdown (self->conn);
      g_clear_object (&self->conn);
    }
  if (gb_display_source_get_state (source) != GB_DISPLAY_STATE_ERROR)
    gb_display_source_set_state (source, GB_DISPLAY_STATE_DISCONNECTED, NULL);
}

static void
gb_vnc_source_set_password (GbDisplaySource *source,
                            const char      *password)
{
  GbVncSource *self = GB_VNC_SOURCE (source);

  g_free (self->password);
  self->password = g_strdup (password);

  if (self->waiting_for_password && self->conn != NULL)
    {
      self->waiting_for_password = FALSE;
      vnc_connection_set_credential (self->conn, VNC_CONNECTION_CREDENTIAL_PASSWORD,
                                     password ? password : "");
    }
}

static void
gb_vnc_source_key (GbDisplaySource *source,
                   guint            evdev,
                   guint            keyval,
                   gboolean         pressed)
{
  GbVncSource *self = GB_VNC_SOURCE (source);

  /* gvnc sends QEMU's extended key event (the scan code) when the server
   * offers it, the keysym alone otherwise. */
  vnc_connection_key_event (self->conn, pressed, keyval, gb_keymap_evdev_to_qnum (evdev));
}

static void
gb_vnc_source_pointer (GbDisplaySource  *source,
                       double            x,
                       double            y,
                       GbDisplayButtons  buttons)
{
  GbVncSource *self = GB_VNC_SOURCE (source);
  int width = vnc_connection_get_width (self->conn);
  int height = vnc_connection_get_height (self->conn);
  int px, py;

  self->buttons = buttons;
  if (gb_display_source_get_absolute_pointer (source))
    {
      px = CLAMP ((int) x, 0, MAX (width - 1, 0));
      py = CLAMP ((int) y, 0, MAX (height - 1, 0));
    }
  else
    {
      /* QEMU's pointer-type-change extension: relative motion is sent as an
       * offset from 0x7FFF. */
      px = CLAMP (0x7FFF + (int) x, 0, 0xFFFF);
      py = CLAMP (0x7FFF + (int) y, 0, 0xFFFF);
    }
  vnc_connection_pointer_event (self->conn, buttons, px, py);
}

static void
gb_vnc_source_scroll (GbDisplaySource  *source,
                      int               steps,
                      GbDisplayButtons  buttons)
{
  GbVncSource *self = GB_VNC_SOURCE (source);
  guint8 wheel = steps < 0 ? VNC_WHEEL_UP : VNC_WHEEL_DOWN;
  int x = 0, y = 0;

  if (!gb_display_source_get_absolute_pointer (source))
    x = y = 0x7FFF;
  for (int i = 0; i < ABS (steps); i++)
    {
      /* A wheel notch is a press and a release of button 4 or 5; the
       * pointer position is left where it was (relative: no motion). */
      vnc_connection_pointer_event (self->conn, buttons | wheel, x, y);
      vnc_connection_pointer_event (self->conn, buttons, x, y);
    }
}

static gboolean
gb_vnc_source_request_size (GbDisplaySource *source,
                            int              width,
                            int              height)
{
  GbVncSource *self = GB_VNC_SOURCE (source);

  return vnc_connection_set_size (self->conn, width, height) == VNC_CONNECTION_RESIZE_STATUS_OK;
}

static void
gb_vnc_source_send_clipboard (GbDisplaySource *source,
                              const char      *text)
{
  GbVncSource *self = GB_VNC_SOURCE (source);
  g_autofree char *latin1 = NULL;
  gsize len = 0;

  latin1 = g_convert_with_fallback (text, -1, "ISO-8859-1", "UTF-8", "?", NULL, &len, NULL);
  if (latin1 != NULL)
    vnc_connection_client_cut_text (self->conn, latin1, len);
}

static void
gb_vnc_source_dispose (GObject *object)
{
  GbVncSource *self = GB_VNC_SOURCE (object);

  g_clear_handle_id (&self->update_source, g_source_remove);
  g_clear_handle_id (&self->rerequest_source, g_source_remove);
  g_clear_handle_id (&self->flush_source, g_source_remove);
  if (self->conn != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->conn, self);
      vnc_connection_shutdown (self->conn);
      g_clear_object (&self->conn);
    }
  if (self->fb != NULL)
    gb_display_source_set_framebuffer (GB_DISPLAY_SOURCE (self), NULL, 0, 0, 0);
  g_clear_object (&self->fb);
  self->pixels = NULL;

  G_OBJECT_CLASS (gb_vnc_source_parent_class)->dispose (object);
}

static void
gb_vnc_source_finalize (GObject *object)
{
  GbVncSource *self = GB_VNC_SOURCE (object);

  g_clear_pointer (&self->shown, g_free);
  g_clear_pointer (&self->pending, cairo_region_destroy);
  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->port, g_free);
  g_clear_pointer (&self->unix_path, g_free);
  g_clear_pointer (&self->password, g_free);
  g_clear_pointer (&self->last_error, g_free);

  G_OBJECT_CLASS (gb_vnc_source_parent_class)->finalize (object);
}

static void
gb_vnc_source_class_init (GbVncSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GbDisplaySourceClass *source_class = GB_DISPLAY_SOURCE_CLASS (klass);

  object_class->dispose = gb_vnc_source_dispose;
  object_class->finalize = gb_vnc_source_finalize;

  source_class->connect = gb_vnc_source_connect;
  source_class->disconnect = gb_vnc_source_disconnect;
  source_class->set_password = gb_vnc_source_set_password;
  source_class->key = gb_vnc_source_key;
  source_class->pointer = gb_vnc_source_pointer;
  source_class->scroll = gb_vnc_source_scroll;
  source_class->request_size = gb_vnc_source_request_size;
  source_class->send_clipboard = gb_vnc_source_send_clipboard;
}

static void
gb_vnc_source_init (GbVncSource *self)
{
  self->fd = -1;
}

GbDisplaySource *
gb_vnc_source_new_host (const char *host,
                        const char *port)
{
  GbVncSource *self = g_object_new (GB_TYPE_VNC_SOURCE, NULL);

  self->host = g_strdup (host);
  self->port = g_strdup (port);

  return GB_DISPLAY_SOURCE (self);
}

GbDisplaySource *
gb_vnc_source_new_unix (const char *path)
{
  GbVncSource *self = g_object_new (GB_TYPE_VNC_SOURCE, NULL);

  self->unix_path = g_strdup (path);

  return GB_DISPLAY_SOURCE (self);
}

/* Takes ownership of @fd (gvnc closes it with the connection). */
GbDisplaySource *
gb_vnc_source_new_fd (int fd)
{
  GbVncSource *self = g_object_new (GB_TYPE_VNC_SOURCE, NULL);

  self->fd = fd;

  return GB_DISPLAY_SOURCE (self);
}
