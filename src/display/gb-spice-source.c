/* gb-spice-source.c: a SPICE screen through spice-client-glib-2.0
 *
 * A SpiceSession opens a main channel; the server then announces the other
 * channels and we connect the ones a console needs: display (the primary
 * surface and "invalidate" rectangles), inputs (scan codes, pointer), cursor
 * (the guest's pointer shape).  The main channel carries the agent: guest
 * resolution changes and the clipboard.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <spice-client.h>
#include <spice/vd_agent.h>

#include "gb-keymap.h"
#include "gb-spice-source.h"

struct _GbSpiceSource
{
  GbDisplaySource     parent_instance;

  SpiceSession       *session;
  SpiceMainChannel   *main;
  SpiceDisplayChannel *display;
  SpiceInputsChannel *inputs;
  SpiceCursorChannel *cursor;

  char               *uri;
  int                 fd;

  char               *password;
  gboolean            auth_failed;

  /* Where further channels get their sockets (gb_spice_source_new_machine). */
  GbMachine          *machine;
  GCancellable       *cancellable;

  guint               drop_source;

  GbDisplayButtons    buttons;
  char               *clipboard_text;
};

G_DEFINE_FINAL_TYPE (GbSpiceSource, gb_spice_source, GB_TYPE_DISPLAY_SOURCE)

static void
update_mouse_mode (GbSpiceSource *self)
{
  int mode = 0;

  g_object_get (self->main, "mouse-mode", &mode, NULL);
  gb_display_source_set_absolute_pointer (GB_DISPLAY_SOURCE (self),
                                          mode == SPICE_MOUSE_MODE_CLIENT);
}

static void
on_mouse_mode (GObject       *object,
               GParamSpec    *pspec,
               GbSpiceSource *self)
{
  update_mouse_mode (self);
}

static gboolean
drop_session_cb (gpointer data)
{
  GbSpiceSource *self = data;

  self->drop_source = 0;
  /* Stop the link retries; the session object itself goes with the source
   * (spice-client-glib's channels still use it while they wind down). */
  if (self->session != NULL)
    spice_session_disconnect (self->session);
  return G_SOURCE_REMOVE;
}

/* After a refused password spice-client-glib would retry the link by
 * itself; close the session instead (not from inside its own signal). */
static void
gb_spice_source_drop_session_later (GbSpiceSource *self)
{
  if (self->drop_source == 0)
    self->drop_source = g_idle_add (drop_session_cb, self);
}

static void
on_main_channel_event (SpiceChannel      *channel,
                       SpiceChannelEvent  event,
                       GbSpiceSource     *self)
{
  GbDisplaySource *source = GB_DISPLAY_SOURCE (self);
  const GError *error = spice_channel_get_error (channel);

  g_debug ("SPICE main channel event %d (%s)", event, error ? error->message : "no error");

  /* spice-server rejects a wrong ticket during the link step, and
   * spice-client-glib reports that as ERROR_LINK (without a GError) rather
   * than ERROR_AUTH: before the first picture, treat it as one. */
  if (event == SPICE_CHANNEL_ERROR_LINK &&
      (error == NULL ||
       g_error_matches (error, SPICE_CLIENT_ERROR, SPICE_CLIENT_ERROR_AUTH_NEEDS_PASSWORD) ||
       g_error_matches (error, SPICE_CLIENT_ERROR, SPICE_CLIENT_ERROR_AUTH_NEEDS_USERNAME)) &&
      gb_display_source_get_state (source) == GB_DISPLAY_STATE_CONNECTING)
    event = SPICE_CHANNEL_ERROR_AUTH;

  if (gb_display_source_get_state (source) == GB_DISPLAY_STATE_ERROR)
    return;

  switch (event)
    {
    case SPICE_CHANNEL_OPENED:
      break;

    case SPICE_CHANNEL_ERROR_AUTH:
      gb_spice_source_drop_session_later (self);
      if (self->password == NULL)
        {
          gb_display_source_emit_need_password (source);
        }
      else
        {
          self->auth_failed = TRUE;
          gb_display_source_set_state (source, GB_DISPLAY_STATE_ERROR,
                                       _("The password was not accepted."));
        }
      break;

    case SPICE_CHANNEL_ERROR_CONNECT:
    case SPICE_CHANNEL_ERROR_TLS:
    case SPICE_CHANNEL_ERROR_LINK:
    case SPICE_CHANNEL_ERROR_IO:
      if (gb_display_source_get_state (source) != GB_DISPLAY_STATE_ERROR)
        gb_display_source_set_state (source, GB_DISPLAY_STATE_DISCONNECTED,
                                     _("The SPICE connection failed."));
      break;

    case SPICE_CHANNEL_CLOSED:
    case SPICE_CHANNEL_SWITCHING:
    case SPICE_CHANNEL_NONE:
    default:
      break;
    }
}

static void
on_session_disconnected (SpiceSession  *session,
                         GbSpiceSource *self)
{
  GbDisplaySource *source = GB_DISPLAY_SOURCE (self);

  if (gb_display_source_get_state (source) != GB_DISPLAY_STATE_ERROR &&
      gb_display_source_get_state (source) != GB_DISPLAY_STATE_DISCONNECTED)
    gb_display_source_set_state (source, GB_DISPLAY_STATE_DISCONNECTED, NULL);
}

static void
on_primary_create (SpiceChannel  *channel,
                   int            format,
                   int            width,
                   int            height,
                   int            stride,
                   int            shmid,
                   gpointer       data,
                   GbSpiceSource *self)
{
  GbDisplaySource *source = GB_DISPLAY_SOURCE (self);

  if (format != SPICE_SURFACE_FMT_32_xRGB && format != SPICE_SURFACE_FMT_32_ARGB)
    {
      g_autofree char *message =
        g_strdup_printf (_("The SPICE server uses a pixel format Glassbox cannot show (%d)."), format);

      gb_display_source_set_state (source, GB_DISPLAY_STATE_ERROR, message);
      return;
    }

  /* The surface belongs to the channel; it stays valid until
   * "display-primary-destroy" or the next "display-primary-create". */
  gb_display_source_set_framebuffer (source, data, width, height, stride);
  gb_display_source_set_state (source, GB_DISPLAY_STATE_CONNECTED, NULL);
}

static void
on_primary_destroy (SpiceChannel  *channel,
                    GbSpiceSource *self)
{
  gb_display_source_set_framebuffer (GB_DISPLAY_SOURCE (self), NULL, 0, 0, 0);
}

static void
on_invalidate (SpiceChannel  *channel,
               int            x,
               int            y,
               int            width,
               int            height,
               GbSpiceSource *self)
{
  gb_display_source_invalidate (GB_DISPLAY_SOURCE (self), x, y, width, height);
}

static void
on_cursor_shape (GObject       *object,
                 GParamSpec    *pspec,
                 GbSpiceSource *self)
{
  g_autoptr(GdkTexture) texture = NULL;
  SpiceCursorShape *shape = NULL;
  int hot_x = 0, hot_y = 0;

  g_object_get (object, "cursor", &shape, NULL);
  if (shape != NULL && shape->data != NULL && shape->width > 0 && shape->height > 0)
    {
      /* spice-client-glib converts every cursor type to 32-bit RGBA. */
      g_autoptr(GBytes) bytes = g_bytes_new (shape->data, (gsize) shape->width * shape->height * 4);

      texture = gdk_memory_texture_new (shape->width, shape->height, GDK_MEMORY_R8G8B8A8,
                                        bytes, (gsize) shape->width * 4);
      hot_x = shape->hot_spot_x;
      hot_y = shape->hot_spot_y;
    }
  if (shape != NULL)
    g_boxed_free (SPICE_TYPE_CURSOR_SHAPE, shape);

  gb_display_source_emit_cursor (GB_DISPLAY_SOURCE (self), texture, hot_x, hot_y);
}

static void
on_cursor_hide (SpiceCursorChannel *channel,
                GbSpiceSource      *self)
{
  gb_display_source_emit_cursor (GB_DISPLAY_SOURCE (self), NULL, 0, 0);
}

static gboolean
on_clipboard_grab (SpiceMainChannel *channel,
                   guint             selection,
                   guint32          *types,
                   guint             ntypes,
                   GbSpiceSource    *self)
{
  if (selection != VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD)
    return TRUE;

  for (guint i = 0; i < ntypes; i++)
    {
      if (types[i] == VD_AGENT_CLIPBOARD_UTF8_TEXT)
        {
          spice_main_channel_clipboard_selection_request (channel, selection,
                                                          VD_AGENT_CLIPBOARD_UTF8_TEXT);
          break;
        }
    }

  return TRUE;
}

static void
on_clipboard_data (SpiceMainChannel *channel,
                   guint             selection,
                   guint             type,
                   const guchar     *data,
                   guint             size,
                   GbSpiceSource    *self)
{
  g_autofree char *text = NULL;

  if (selection != VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD || type != VD_AGENT_CLIPBOARD_UTF8_TEXT)
    return;

  text = g_strndup ((const char *) data, size);
  if (g_utf8_validate (text, -1, NULL))
    gb_display_source_emit_clipboard (GB_DISPLAY_SOURCE (self), text);
}

static gboolean
on_clipboard_request (SpiceMainChannel *channel,
                      guint             selection,
                      guint             type,
                      GbSpiceSource    *self)
{
  if (type != VD_AGENT_CLIPBOARD_UTF8_TEXT || self->clipboard_text == NULL)
    return FALSE;

  spice_main_channel_clipboard_selection_notify (channel, selection, type,
                                                 (const guchar *) self->clipboard_text,
                                                 strlen (self->clipboard_text));
  return TRUE;
}

static void
channel_fd_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      data)
{
  /* spice-client-glib 0.42 declares no autoptr cleanups. */
  g_autoptr(GObject) channel = data;
  g_autoptr(GError) error = NULL;
  int fd = gb_machine_open_graphics_finish (GB_MACHINE (object), result, &error);

  /* Cancelled: the session is gone, and the channel with it. */
  if (fd < 0)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("No socket for a SPICE channel: %s", error->message);
      return;
    }
  if (!spice_channel_open_fd (SPICE_CHANNEL (channel), fd))
    {
      close (fd);
      g_debug ("A SPICE channel refused its socket");
    }
}

/* The channel waits for spice_channel_open_fd(): the machine is asked for
 * one more connection, off the main thread where it is a round trip. */
static void
on_open_fd (SpiceChannel  *channel,
            int            with_tls,
            GbSpiceSource *self)
{
  gb_machine_open_graphics_async (self->machine, self->cancellable, channel_fd_cb,
                                  g_object_ref (channel));
}

static void
on_channel_new (SpiceSession  *session,
                SpiceChannel  *channel,
                GbSpiceSource *self)
{
  int id = 0;

  g_object_get (channel, "channel-id", &id, NULL);
  if (self->machine != NULL)
    g_signal_connect (channel, "open-fd", G_CALLBACK (on_open_fd), self);

  if (SPICE_IS_MAIN_CHANNEL (channel))
    {
      g_set_object (&self->main, SPICE_MAIN_CHANNEL (channel));
      g_signal_connect (channel, "channel-event", G_CALLBACK (on_main_channel_event), self);
      g_signal_connect (channel, "notify::mouse-mode", G_CALLBACK (on_mouse_mode), self);
      g_signal_connect (channel, "main-clipboard-selection-grab", G_CALLBACK (on_clipboard_grab), self);
      g_signal_connect (channel, "main-clipboard-selection", G_CALLBACK (on_clipboard_data), self);
      g_signal_connect (channel, "main-clipboard-selection-request", G_CALLBACK (on_clipboard_request), self);
      update_mouse_mode (self);
      /* The session connects the main channel itself. */
    }
  else if (SPICE_IS_DISPLAY_CHANNEL (channel) && id == 0)
    {
      g_set_object (&self->display, SPICE_DISPLAY_CHANNEL (channel));
      g_signal_connect (channel, "display-primary-create", G_CALLBACK (on_primary_create), self);
      g_signal_connect (channel, "display-primary-destroy", G_CALLBACK (on_primary_destroy), self);
      g_signal_connect (channel, "display-invalidate", G_CALLBACK (on_invalidate), self);
      spice_channel_connect (channel);
    }
  else if (SPICE_IS_INPUTS_CHANNEL (channel))
    {
      g_set_object (&self->inputs, SPICE_INPUTS_CHANNEL (channel));
      spice_channel_connect (channel);
    }
  else if (SPICE_IS_CURSOR_CHANNEL (channel) && id == 0)
    {
      g_set_object (&self->cursor, SPICE_CURSOR_CHANNEL (channel));
      g_signal_connect (channel, "notify::cursor", G_CALLBACK (on_cursor_shape), self);
      g_signal_connect (channel, "cursor-hide", G_CALLBACK (on_cursor_hide), self);
      spice_channel_connect (channel);
    }
  /* Audio, USB redirection, smartcards, ports: not a console's business. */
}

static void
on_channel_destroy (SpiceSession  *session,
                    SpiceChannel  *channel,
                    GbSpiceSource *self)
{
  g_signal_handlers_disconnect_by_data (channel, self);

  if ((gpointer) channel == (gpointer) self->main)
    g_clear_object (&self->main);
  else if ((gpointer) channel == (gpointer) self->display)
    {
      gb_display_source_set_framebuffer (GB_DISPLAY_SOURCE (self), NULL, 0, 0, 0);
      g_clear_object (&self->display);
    }
  else if ((gpointer) channel == (gpointer) self->inputs)
    g_clear_object (&self->inputs);
  else if ((gpointer) channel == (gpointer) self->cursor)
    g_clear_object (&self->cursor);
}

static void
gb_spice_source_drop_session (GbSpiceSource *self)
{
  g_clear_handle_id (&self->drop_source, g_source_remove);
  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
  if (self->session == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->session, self);
  /* Every channel, not only the ones kept: each has "open-fd" for a
   * machine's socket, and channels outlive the session while they wind
   * down, after this source is gone. */
  {
    GList *channels = spice_session_get_channels (self->session);

    for (GList *l = channels; l != NULL; l = l->next)
      g_signal_handlers_disconnect_by_data (l->data, self);
    g_list_free (channels);
  }
  if (self->main != NULL)
    g_signal_handlers_disconnect_by_data (self->main, self);
  if (self->display != NULL)
    g_signal_handlers_disconnect_by_data (self->display, self);
  if (self->cursor != NULL)
    g_signal_handlers_disconnect_by_data (self->cursor, self);
  g_clear_object (&self->main);
  g_clear_object (&self->display);
  g_clear_object (&self->inputs);
  g_clear_object (&self->cursor);

  spice_session_disconnect (self->session);
  g_clear_object (&self->session);
}

static void
gb_spice_source_connect (GbDisplaySource *source)
{
  GbSpiceSource *self = GB_SPICE_SOURCE (source);
  gboolean ok;

  g_return_if_fail (self->session == NULL);

  self->session = spice_session_new ();
  g_object_set (self->session,
                "enable-audio", FALSE,
                "enable-usbredir", FALSE,
                "enable-smartcard", FALSE,
                NULL);
  g_signal_connect (self->session, "channel-new", G_CALLBACK (on_channel_new), self);
  g_signal_connect (self->session, "channel-destroy", G_CALLBACK (on_channel_destroy), self);
  g_signal_connect (self->session, "disconnected", G_CALLBACK (on_session_disconnected), self);

  gb_display_source_set_state (source, GB_DISPLAY_STATE_CONNECTING, NULL);
  if (self->machine != NULL)
    self->cancellable = g_cancellable_new ();

  if (self->fd >= 0)
    {
      if (self->password != NULL)
        g_object_set (self->session, "password", self->password, NULL);
      ok = spice_session_open_fd (self->session, self->fd);
      self->fd = -1;
    }
  else
    {
      /* Setting "uri" resets the password: the password comes after. */
      g_object_set (self->session, "uri", self->uri, NULL);
      if (self->password != NULL)
        g_object_set (self->session, "password", self->password, NULL);
      ok = spice_session_connect (self->session);
    }

  if (!ok)
    gb_display_source_set_state (source, GB_DISPLAY_STATE_DISCONNECTED,
                                 _("Could not open the SPICE connection."));
}

static void
gb_spice_source_disconnect (GbDisplaySource *source)
{
  GbSpiceSource *self = GB_SPICE_SOURCE (source);

  gb_spice_source_drop_session (self);
  gb_display_source_set_framebuffer (source, NULL, 0, 0, 0);
  if (gb_display_source_get_state (source) != GB_DISPLAY_STATE_ERROR)
    gb_display_source_set_state (source, GB_DISPLAY_STATE_DISCONNECTED, NULL);
}

static void
gb_spice_source_set_password (GbDisplaySource *source,
                              const char      *password)
{
  GbSpiceSource *self = GB_SPICE_SOURCE (source);
  /* Asked for (need-password): connect again, now with it. */
  gboolean retry = self->password == NULL &&
                   gb_display_source_get_state (source) == GB_DISPLAY_STATE_CONNECTING;

  g_free (self->password);
  self->password = g_strdup (password ? password : "");

  /* SPICE has no "send the password now": reconnect with it. */
  if (retry)
    {
      gb_spice_source_drop_session (self);
      gb_spice_source_connect (source);
    }
}

static void
gb_spice_source_key (GbDisplaySource *source,
                     guint            evdev,
                     guint            keyval,
                     gboolean         pressed)
{
  GbSpiceSource *self = GB_SPICE_SOURCE (source);
  guint scancode = gb_keymap_evdev_to_xt (evdev);

  if (self->inputs == NULL || scancode == 0)
    return;

  if (pressed)
    spice_inputs_channel_key_press (self->inputs, scancode);
  else
    spice_inputs_channel_key_release (self->inputs, scancode);
}

static void
gb_spice_source_pointer (GbDisplaySource  *source,
                         double            x,
                         double            y,
                         GbDisplayButtons  buttons)
{
  GbSpiceSource *self = GB_SPICE_SOURCE (source);
  static const struct { GbDisplayButtons mask; int button; } map[] = {
    { GB_DISPLAY_BUTTON_LEFT, SPICE_MOUSE_BUTTON_LEFT },
    { GB_DISPLAY_BUTTON_MIDDLE, SPICE_MOUSE_BUTTON_MIDDLE },
    { GB_DISPLAY_BUTTON_RIGHT, SPICE_MOUSE_BUTTON_RIGHT },
  };

  if (self->inputs == NULL)
    return;

  /* Move first, then report button changes at the new place. */
  if (gb_display_source_get_absolute_pointer (source))
    spice_inputs_channel_position (self->inputs, (int) x, (int) y, 0, self->buttons);
  else if ((int) x != 0 || (int) y != 0)
    spice_inputs_channel_motion (self->inputs, (int) x, (int) y, self->buttons);

  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    {
      if ((buttons & map[i].mask) && !(self->buttons & map[i].mask))
        spice_inputs_channel_button_press (self->inputs, map[i].button, buttons);
      else if (!(buttons & map[i].mask) && (self->buttons & map[i].mask))
        spice_inputs_channel_button_release (self->inputs, map[i].button, buttons);
    }
  self->buttons = buttons;
}

static void
gb_spice_source_scroll (GbDisplaySource  *source,
                        int               steps,
                        GbDisplayButtons  buttons)
{
  GbSpiceSource *self = GB_SPICE_SOURCE (source);
  int button = steps < 0 ? SPICE_MOUSE_BUTTON_UP : SPICE_MOUSE_BUTTON_DOWN;

  if (self->inputs == NULL)
    return;

  for (int i = 0; i < ABS (steps); i++)
    {
      spice_inputs_channel_button_press (self->inputs, button, buttons);
      spice_inputs_channel_button_release (self->inputs, button, buttons);
    }
}

static gboolean
gb_spice_source_request_size (GbDisplaySource *source,
                              int              width,
                              int              height)
{
  GbSpiceSource *self = GB_SPICE_SOURCE (source);
  gboolean agent = FALSE;

  if (self->main == NULL)
    return FALSE;

  /* Only the guest agent can change the guest's resolution. */
  g_object_get (self->main, "agent-connected", &agent, NULL);
  if (!agent)
    return FALSE;

  spice_main_channel_update_display_enabled (self->main, 0, TRUE, FALSE);
  spice_main_channel_update_display (self->main, 0, 0, 0, width, height, TRUE);
  return TRUE;
}

static void
gb_spice_source_send_clipboard (GbDisplaySource *source,
                                const char      *text)
{
  GbSpiceSource *self = GB_SPICE_SOURCE (source);
  guint32 types[] = { VD_AGENT_CLIPBOARD_UTF8_TEXT };
  gboolean agent = FALSE;

  if (self->main == NULL)
    return;
  g_object_get (self->main, "agent-connected", &agent, NULL);
  if (!agent)
    return;

  g_free (self->clipboard_text);
  self->clipboard_text = g_strdup (text);
  /* Announce; the agent asks for the data with a selection request. */
  spice_main_channel_clipboard_selection_grab (self->main, VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD,
                                               types, G_N_ELEMENTS (types));
}

static void
gb_spice_source_dispose (GObject *object)
{
  GbSpiceSource *self = GB_SPICE_SOURCE (object);

  gb_spice_source_drop_session (self);

  G_OBJECT_CLASS (gb_spice_source_parent_class)->dispose (object);
}

static void
gb_spice_source_finalize (GObject *object)
{
  GbSpiceSource *self = GB_SPICE_SOURCE (object);

  if (self->fd >= 0)
    close (self->fd);
  g_clear_pointer (&self->uri, g_free);
  g_clear_pointer (&self->password, g_free);
  g_clear_pointer (&self->clipboard_text, g_free);
  g_clear_object (&self->machine);

  G_OBJECT_CLASS (gb_spice_source_parent_class)->finalize (object);
}

static void
gb_spice_source_class_init (GbSpiceSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GbDisplaySourceClass *source_class = GB_DISPLAY_SOURCE_CLASS (klass);

  object_class->dispose = gb_spice_source_dispose;
  object_class->finalize = gb_spice_source_finalize;

  source_class->connect = gb_spice_source_connect;
  source_class->disconnect = gb_spice_source_disconnect;
  source_class->set_password = gb_spice_source_set_password;
  source_class->key = gb_spice_source_key;
  source_class->pointer = gb_spice_source_pointer;
  source_class->scroll = gb_spice_source_scroll;
  source_class->request_size = gb_spice_source_request_size;
  source_class->send_clipboard = gb_spice_source_send_clipboard;
}

static void
gb_spice_source_init (GbSpiceSource *self)
{
  self->fd = -1;
}

/* @uri: spice://HOST:PORT or spice+unix:///PATH */
GbDisplaySource *
gb_spice_source_new_uri (const char *uri)
{
  GbSpiceSource *self = g_object_new (GB_TYPE_SPICE_SOURCE, NULL);

  self->uri = g_strdup (uri);

  return GB_DISPLAY_SOURCE (self);
}

/**
 * gb_spice_source_new_machine:
 * @fd: a connected socket to @machine's SPICE server, for the main channel;
 *   the source owns it
 *
 * SPICE opens one connection per channel: the others are asked of @machine
 * (gb_machine_open_graphics_async()) when the server announces them.
 */
GbDisplaySource *
gb_spice_source_new_machine (GbMachine *machine,
                             int        fd)
{
  GbSpiceSource *self = g_object_new (GB_TYPE_SPICE_SOURCE, NULL);

  self->machine = g_object_ref (machine);
  self->fd = fd;

  return GB_DISPLAY_SOURCE (self);
}
