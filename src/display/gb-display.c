/* gb-display.c: one GTK4 widget for every graphical console (VNC, SPICE)
 *
 * The widget connects a source (gb-vnc-source.c, gb-spice-source.c) to what
 * the user sees and does, each part in its own file as libmks splits its
 * display:
 *
 *   GbDisplayPaintable  the guest framebuffer in tiles (gb-display-paintable.c)
 *   GbDisplayKeyboard   keys to the guest, and the keyboard grab
 *   GbDisplayMouse      pointer, buttons and wheel to the guest
 *
 * This file places the paintable (fit or 1:1, black around it), says what
 * is going on (a status page, the grab hint), follows the source's state
 * (reconnecting after a drop), and carries the clipboard, the cursor and
 * screenshots.  Asking for a password is left to whoever shows the display
 * (GbConsoleView): "needs-password" and gb_display_answer_password().
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include <adwaita.h>
#include <glib/gi18n-lib.h>

#include "gb-display-connect.h"
#include "gb-display-keyboard.h"
#include "gb-display-mouse.h"
#include "gb-display-paintable.h"
#include "gb-display-private.h"

#define HINT_TIMEOUT_MS 3000
#define RESIZE_GUEST_DELAY_MS 400
#define RECONNECT_MIN_MS 500
#define RECONNECT_MAX_MS 4000

typedef enum {
  TARGET_NONE,
  TARGET_URI,
  TARGET_MACHINE,
} TargetKind;

struct _GbDisplay
{
  GtkWidget           parent_instance;

  /* template */
  GtkWidget          *status_page;
  GtkWidget          *hint_revealer;
  GtkWidget          *hint_label;

  /* what to (re)connect to */
  TargetKind          target;
  char               *uri;
  GbMachine          *machine;
  char               *password;

  GbDisplaySource    *source;
  GCancellable       *cancellable;
  GbDisplayState      state;
  char               *error;
  gboolean            ever_connected;
  guint               reconnect_source;
  guint               reconnect_delay;

  GbDisplayPaintable *paintable;
  GbDisplayKeyboard  *keyboard;
  GbDisplayMouse     *mouse;

  GbDisplayScaleMode  scale_mode;
  guint               hint_timeout;

  /* guest side extras */
  gboolean            resize_guest;
  gboolean            reconnect;
  guint               resize_source;
  char               *clipboard_from_guest;
  gboolean            needs_password;
};

G_DEFINE_FINAL_TYPE (GbDisplay, gb_display, GTK_TYPE_WIDGET)

G_DEFINE_ENUM_TYPE (GbDisplayScaleMode, gb_display_scale_mode,
  G_DEFINE_ENUM_VALUE (GB_DISPLAY_SCALE_FIT, "fit"),
  G_DEFINE_ENUM_VALUE (GB_DISPLAY_SCALE_ORIGINAL, "original"))

G_DEFINE_QUARK (gb-display-error-quark, gb_display_error)

enum {
  PROP_0,
  PROP_STATE,
  PROP_ERROR,
  PROP_SCALE_MODE,
  PROP_GRABBED,
  PROP_RELEASE_ACCEL,
  PROP_RESIZE_GUEST,
  PROP_RECONNECT,
  PROP_GUEST_WIDTH,
  PROP_GUEST_HEIGHT,
  PROP_NEEDS_PASSWORD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void gb_display_start (GbDisplay *self);

/* ------------------------------------------------------------------------ */
/* State                                                                    */

static void
gb_display_update_status (GbDisplay *self)
{
  AdwStatusPage *page = ADW_STATUS_PAGE (self->status_page);
  const char *title = NULL;
  const char *icon = "video-display-symbolic";

  switch (self->state)
    {
    case GB_DISPLAY_STATE_CONNECTED:
      gtk_widget_set_visible (self->status_page, FALSE);
      return;
    case GB_DISPLAY_STATE_CONNECTING:
      title = self->ever_connected ? _("Reconnecting…") : _("Connecting…");
      break;
    case GB_DISPLAY_STATE_DISCONNECTED:
      title = _("Disconnected");
      break;
    case GB_DISPLAY_STATE_ERROR:
    default:
      title = _("Cannot Show the Screen");
      icon = "dialog-warning-symbolic";
      break;
    }

  adw_status_page_set_title (page, title);
  adw_status_page_set_icon_name (page, icon);
  adw_status_page_set_description (page, self->error);
  gtk_widget_set_visible (self->status_page, TRUE);
}

static void
gb_display_set_state (GbDisplay      *self,
                      GbDisplayState  state,
                      const char     *error)
{
  gboolean error_changed = g_strcmp0 (error, self->error) != 0;

  g_object_freeze_notify (G_OBJECT (self));
  if (error_changed)
    {
      g_free (self->error);
      self->error = g_strdup (error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
    }
  if (state != self->state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (state != GB_DISPLAY_STATE_CONNECTED)
    gb_display_keyboard_ungrab (self->keyboard);
  gb_display_update_status (self);
  /* Tiles are only drawn while connected: whatever piled up shows now. */
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_thaw_notify (G_OBJECT (self));
}

/* ------------------------------------------------------------------------ */
/* Screen                                                                   */

static void
on_paintable_size (GdkPaintable *paintable,
                   GbDisplay    *self)
{
  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GUEST_WIDTH]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GUEST_HEIGHT]);
  g_object_thaw_notify (G_OBJECT (self));
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

static void
on_paintable_contents (GdkPaintable *paintable,
                       GbDisplay    *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* Where the guest screen sits in the widget: offset and scale (also for
 * GbDisplayMouse, which turns positions into guest pixels). */
void
_gb_display_get_placement (GbDisplay *self,
                           double    *x,
                           double    *y,
                           double    *scale)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self));
  int height = gtk_widget_get_height (GTK_WIDGET (self));
  int fb_width = gb_display_paintable_get_width (self->paintable);
  int fb_height = gb_display_paintable_get_height (self->paintable);
  double s = 1.0;

  if (fb_width <= 0 || fb_height <= 0)
    {
      *x = *y = 0;
      *scale = 1.0;
      return;
    }

  if (self->scale_mode == GB_DISPLAY_SCALE_FIT)
    s = MIN ((double) width / fb_width, (double) height / fb_height);
  if (s <= 0)
    s = 1.0;

  /* Whole pixels keep 1:1 drawing sharp. */
  *x = floor (MAX (0, (width - fb_width * s) / 2));
  *y = floor (MAX (0, (height - fb_height * s) / 2));
  *scale = s;
}

/* ------------------------------------------------------------------------ */
/* GtkWidget                                                                */

/* Black where the guest screen is not: around it only, so that a frame in
 * which the guest changed paints those pixels once, not black first. */
static void
gb_display_append_background (GbDisplay             *self,
                              GtkSnapshot           *snapshot,
                              const graphene_rect_t *guest)
{
  const GdkRGBA black = { 0, 0, 0, 1 };
  double width = gtk_widget_get_width (GTK_WIDGET (self));
  double height = gtk_widget_get_height (GTK_WIDGET (self));
  double left = guest ? guest->origin.x : 0;
  double top = guest ? guest->origin.y : 0;
  double right = guest ? MIN (width, left + guest->size.width) : 0;
  double bottom = guest ? MIN (height, top + guest->size.height) : 0;

  if (right <= left || bottom <= top)
    {
      gtk_snapshot_append_color (snapshot, &black, &GRAPHENE_RECT_INIT (0, 0, width, height));
      return;
    }
  if (top > 0)
    gtk_snapshot_append_color (snapshot, &black, &GRAPHENE_RECT_INIT (0, 0, width, top));
  if (bottom < height)
    gtk_snapshot_append_color (snapshot, &black,
                               &GRAPHENE_RECT_INIT (0, bottom, width, height - bottom));
  if (left > 0)
    gtk_snapshot_append_color (snapshot, &black,
                               &GRAPHENE_RECT_INIT (0, top, left, bottom - top));
  if (right < width)
    gtk_snapshot_append_color (snapshot, &black,
                               &GRAPHENE_RECT_INIT (right, top, width - right, bottom - top));
}

static void
gb_display_snapshot (GtkWidget   *widget,
                     GtkSnapshot *snapshot)
{
  GbDisplay *self = GB_DISPLAY (widget);
  int fb_width = gb_display_paintable_get_width (self->paintable);
  int fb_height = gb_display_paintable_get_height (self->paintable);
  double x, y, scale;

  if (self->state == GB_DISPLAY_STATE_CONNECTED && gb_display_paintable_has_tiles (self->paintable))
    {
      /* The damaged tiles first: then whether every tile is there. */
      gb_display_paintable_update (self->paintable);
      _gb_display_get_placement (self, &x, &y, &scale);

      /* Scaled, tile edges fall between pixels and blend with what is
       * under them: keep black under the whole screen then. */
      gb_display_append_background (self, snapshot,
                                    scale == 1.0 && gb_display_paintable_has_all_tiles (self->paintable)
                                    ? &GRAPHENE_RECT_INIT (x, y, fb_width * scale, fb_height * scale)
                                    : NULL);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
      gdk_paintable_snapshot (GDK_PAINTABLE (self->paintable), snapshot,
                              fb_width * scale, fb_height * scale);
      gtk_snapshot_restore (snapshot);
    }
  else
    gb_display_append_background (self, snapshot, NULL);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    gtk_widget_snapshot_child (widget, child, snapshot);
}

static void
gb_display_measure (GtkWidget      *widget,
                    GtkOrientation  orientation,
                    int             for_size,
                    int            *minimum,
                    int            *natural,
                    int            *minimum_baseline,
                    int            *natural_baseline)
{
  GbDisplay *self = GB_DISPLAY (widget);
  int fb = orientation == GTK_ORIENTATION_HORIZONTAL
           ? gb_display_paintable_get_width (self->paintable)
           : gb_display_paintable_get_height (self->paintable);

  *minimum = self->scale_mode == GB_DISPLAY_SCALE_ORIGINAL ? fb : 0;
  *natural = fb;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      int child_min = 0, child_nat = 0;

      if (!gtk_widget_should_layout (child))
        continue;
      gtk_widget_measure (child, orientation, -1, &child_min, &child_nat, NULL, NULL);
      *minimum = MAX (*minimum, child_min);
      *natural = MAX (*natural, child_nat);
    }
}

static gboolean
gb_display_resize_guest_cb (gpointer data)
{
  GbDisplay *self = data;
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));

  self->resize_source = 0;
  if (self->source != NULL)
    gb_display_source_request_size (self->source,
                                    gtk_widget_get_width (GTK_WIDGET (self)) * scale,
                                    gtk_widget_get_height (GTK_WIDGET (self)) * scale);
  return G_SOURCE_REMOVE;
}

static void
gb_display_size_allocate (GtkWidget *widget,
                          int        width,
                          int        height,
                          int        baseline)
{
  GbDisplay *self = GB_DISPLAY (widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (gtk_widget_should_layout (child))
      gtk_widget_allocate (child, width, height, -1, NULL);

  if (self->resize_guest && self->scale_mode == GB_DISPLAY_SCALE_FIT &&
      self->state == GB_DISPLAY_STATE_CONNECTED &&
      (width != gb_display_paintable_get_width (self->paintable) ||
       height != gb_display_paintable_get_height (self->paintable)))
    {
      g_clear_handle_id (&self->resize_source, g_source_remove);
      self->resize_source = g_timeout_add (RESIZE_GUEST_DELAY_MS, gb_display_resize_guest_cb, self);
    }
}


/* ------------------------------------------------------------------------ */
/* Keyboard grab hint                                                       */

static void
gb_display_update_hint (GbDisplay *self)
{
  g_autofree char *label = gb_display_keyboard_get_release_label (self->keyboard);
  g_autofree char *text = g_strdup_printf (_("Press %s to release the keyboard"), label);

  gtk_label_set_text (GTK_LABEL (self->hint_label), text);
}

static gboolean
hide_hint_cb (gpointer data)
{
  GbDisplay *self = data;

  self->hint_timeout = 0;
  gtk_revealer_set_reveal_child (GTK_REVEALER (self->hint_revealer), FALSE);
  return G_SOURCE_REMOVE;
}

/* A grab says for a while how to get the shortcuts back. */
static void
on_keyboard_grabbed (GbDisplayKeyboard *keyboard,
                     GParamSpec        *pspec,
                     GbDisplay         *self)
{
  gboolean grabbed = gb_display_keyboard_get_grabbed (keyboard);

  g_clear_handle_id (&self->hint_timeout, g_source_remove);
  gtk_revealer_set_reveal_child (GTK_REVEALER (self->hint_revealer), grabbed);
  if (grabbed)
    self->hint_timeout = g_timeout_add (HINT_TIMEOUT_MS, hide_hint_cb, self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GRABBED]);
}

static void
on_keyboard_release_accel (GbDisplayKeyboard *keyboard,
                           GParamSpec        *pspec,
                           GbDisplay         *self)
{
  gb_display_update_hint (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RELEASE_ACCEL]);
}

void
gb_display_release_grab (GbDisplay *self)
{
  g_return_if_fail (GB_IS_DISPLAY (self));

  gb_display_keyboard_release_grab (self->keyboard);
}

/* ------------------------------------------------------------------------ */
/* Source signals                                                           */

static void
on_source_cursor (GbDisplaySource *source,
                  GdkTexture      *texture,
                  int              hot_x,
                  int              hot_y,
                  GbDisplay       *self)
{
  g_autoptr(GdkCursor) cursor = NULL;

  if (texture != NULL)
    cursor = gdk_cursor_new_from_texture (texture, hot_x, hot_y, NULL);
  gtk_widget_set_cursor (GTK_WIDGET (self), cursor);
}

static void
on_source_clipboard (GbDisplaySource *source,
                     const char      *text,
                     GbDisplay       *self)
{
  g_free (self->clipboard_from_guest);
  self->clipboard_from_guest = g_strdup (text);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), text);
}

static void
clipboard_read_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      data)
{
  g_autoptr(GbDisplay) self = data;
  g_autofree char *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, NULL);

  if (text != NULL && self->source != NULL && g_strcmp0 (text, self->clipboard_from_guest) != 0)
    gb_display_source_send_clipboard (self->source, text);
}

static void
on_clipboard_changed (GdkClipboard *clipboard,
                      GbDisplay    *self)
{
  /* What the guest put there needs no trip back. */
  if (gdk_clipboard_is_local (clipboard) || self->source == NULL)
    return;
  gdk_clipboard_read_text_async (clipboard, NULL, clipboard_read_cb, g_object_ref (self));
}

static void
gb_display_set_needs_password (GbDisplay *self,
                               gboolean   needs_password)
{
  if (self->needs_password == needs_password)
    return;
  self->needs_password = needs_password;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NEEDS_PASSWORD]);
}

static void
on_source_need_password (GbDisplaySource *source,
                         GbDisplay       *self)
{
  gb_display_set_needs_password (self, TRUE);
}

/**
 * gb_display_answer_password:
 * @password: (nullable): what the user typed, or %NULL if they would not
 *
 * Answers the server's question ("needs-password"); %NULL gives up, with
 * the reason on screen.
 */
void
gb_display_answer_password (GbDisplay  *self,
                            const char *password)
{
  g_return_if_fail (GB_IS_DISPLAY (self));

  if (!self->needs_password)
    return;
  gb_display_set_needs_password (self, FALSE);
  if (self->source == NULL)
    return;

  if (password != NULL)
    {
      gb_display_source_set_password (self->source, password);
    }
  else
    {
      gb_display_source_disconnect (self->source);
      gb_display_set_state (self, GB_DISPLAY_STATE_ERROR, _("No password was given."));
    }
}

gboolean
gb_display_get_needs_password (GbDisplay *self)
{
  g_return_val_if_fail (GB_IS_DISPLAY (self), FALSE);

  return self->needs_password;
}

static gboolean
reconnect_cb (gpointer data)
{
  GbDisplay *self = data;

  self->reconnect_source = 0;
  gb_display_start (self);
  return G_SOURCE_REMOVE;
}

static void
gb_display_schedule_reconnect (GbDisplay *self)
{
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  self->reconnect_source = g_timeout_add (self->reconnect_delay, reconnect_cb, self);
  self->reconnect_delay = MIN (self->reconnect_delay * 2, RECONNECT_MAX_MS);
}

static void
on_source_state (GbDisplaySource *source,
                 GParamSpec      *pspec,
                 GbDisplay       *self)
{
  const char *error = gb_display_source_get_error (source);

  switch (gb_display_source_get_state (source))
    {
    case GB_DISPLAY_STATE_CONNECTED:
      self->ever_connected = TRUE;
      self->reconnect_delay = RECONNECT_MIN_MS;
      gb_display_set_state (self, GB_DISPLAY_STATE_CONNECTED, NULL);
      gb_display_keyboard_maybe_grab (self->keyboard);
      break;

    case GB_DISPLAY_STATE_CONNECTING:
      gb_display_set_state (self, GB_DISPLAY_STATE_CONNECTING, NULL);
      break;

    case GB_DISPLAY_STATE_ERROR:
      gb_display_set_state (self, GB_DISPLAY_STATE_ERROR, error);
      break;

    case GB_DISPLAY_STATE_DISCONNECTED:
    default:
      gb_display_keyboard_release_keys (self->keyboard);
      if (self->reconnect && self->ever_connected)
        {
          /* A reboot or a restart of the machine: the server comes back. */
          gb_display_set_state (self, GB_DISPLAY_STATE_CONNECTING, NULL);
          gb_display_schedule_reconnect (self);
        }
      else if (error != NULL)
        {
          gb_display_set_state (self, GB_DISPLAY_STATE_ERROR, error);
        }
      else
        {
          gb_display_set_state (self, GB_DISPLAY_STATE_ERROR,
                                _("Could not connect to the machine's console."));
        }
      break;
    }
}

/* ------------------------------------------------------------------------ */
/* Opening                                                                  */

static void
gb_display_drop_source (GbDisplay *self)
{
  if (self->source == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->source, self);
  gb_display_source_disconnect (self->source);
  g_clear_object (&self->source);

  gb_display_keyboard_set_source (self->keyboard, NULL);
  gb_display_mouse_set_source (self->mouse, NULL);
  gb_display_paintable_set_source (self->paintable, NULL);
  gb_display_set_needs_password (self, FALSE);
  gtk_widget_set_cursor (GTK_WIDGET (self), NULL);
}

/* Shows why there is nothing to show.  An off machine is not watched here:
 * whoever follows the machine's "state" (GbConsoleView) opens it again. */
static void
gb_display_fail (GbDisplay    *self,
                 const GError *error)
{
  if (g_error_matches (error, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_NOT_RUNNING))
    gb_display_set_state (self, GB_DISPLAY_STATE_DISCONNECTED, error->message);
  else
    gb_display_set_state (self, GB_DISPLAY_STATE_ERROR, error->message);
}

static void
gb_display_attach (GbDisplay       *self,
                   GbDisplaySource *source)
{
  self->source = source;
  gb_display_paintable_set_source (self->paintable, source);
  gb_display_keyboard_set_source (self->keyboard, source);
  gb_display_mouse_set_source (self->mouse, source);
  g_signal_connect (source, "notify::state", G_CALLBACK (on_source_state), self);
  g_signal_connect (source, "cursor", G_CALLBACK (on_source_cursor), self);
  g_signal_connect (source, "need-password", G_CALLBACK (on_source_need_password), self);
  g_signal_connect (source, "clipboard", G_CALLBACK (on_source_clipboard), self);

  if (self->password != NULL)
    gb_display_source_set_password (source, self->password);
  gb_display_source_connect (source);
}

static void
open_machine_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      data)
{
  g_autoptr(GTask) task = data;
  g_autoptr(GError) error = NULL;
  GbDisplay *self = g_task_get_source_object (task);
  GbDisplaySource *source;

  source = _gb_display_source_open_machine_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* Closed or reopened meanwhile: nothing of this is ours any more. */
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (source == NULL)
    {
      gb_display_fail (self, error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  gb_display_attach (self, source);
  g_task_return_boolean (task, TRUE);
}

/* Asks the machine for a connection to its screen; @task completes when the
 * connection has started or failed. */
static void
gb_display_open_machine_with_task (GbDisplay *self,
                                   GTask     *task)
{
  g_autoptr(GError) error = NULL;

  if (!_gb_display_machine_can_show (self->machine, &error))
    {
      gb_display_fail (self, error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  gb_display_set_state (self, GB_DISPLAY_STATE_CONNECTING, NULL);
  _gb_display_source_open_machine_async (self->machine, self->cancellable, open_machine_cb,
                                         g_object_ref (task));
}

/* (Re)connects to the current target.  @open_task, if any, completes when
 * the connection has started or failed. */
static void
gb_display_start_with_task (GbDisplay *self,
                            GTask     *open_task)
{
  g_autoptr(GError) error = NULL;

  gb_display_drop_source (self);

  if (self->target == TARGET_URI)
    {
      GbDisplaySource *source = _gb_display_source_new_for_uri (self->uri, &error);

      if (source == NULL)
        gb_display_fail (self, error);
      else
        gb_display_attach (self, source);
    }
  else if (self->target == TARGET_MACHINE)
    {
      g_autoptr(GTask) task = open_task ? g_object_ref (open_task)
                                        : g_task_new (self, NULL, NULL, NULL);

      gb_display_open_machine_with_task (self, task);
    }
}

static void
gb_display_start (GbDisplay *self)
{
  gb_display_start_with_task (self, NULL);
}

/**
 * gb_display_open_uri:
 * @uri: vnc://HOST:PORT, vnc+unix:///PATH, spice://HOST:PORT or
 *   spice+unix:///PATH
 *
 * Connects to a console.  Progress and failures show in the "state" and
 * "error" properties; a FALSE return only means @uri is not a console
 * address.
 */
gboolean
gb_display_open_uri (GbDisplay   *self,
                     const char  *uri,
                     GError     **error)
{
  g_autoptr(GbDisplaySource) probe = NULL;

  g_return_val_if_fail (GB_IS_DISPLAY (self), FALSE);
  g_return_val_if_fail (uri != NULL, FALSE);

  probe = _gb_display_source_new_for_uri (uri, error);
  if (probe == NULL)
    return FALSE;

  gb_display_close (self);
  self->target = TARGET_URI;
  self->uri = g_strdup (uri);
  gb_display_start (self);
  return TRUE;
}

/**
 * gb_display_open_machine_async:
 *
 * Shows @machine's screen: asks it for a connection
 * (gb_machine_open_graphics_async(), once more per SPICE channel) and draws
 * what its protocol sends.  Completes when the connection has started, or
 * with a GB_DISPLAY_ERROR when the machine is off or has no screen; either
 * way the reason is on screen and in "error".  The display does not watch
 * the machine: open it again when it starts (GbConsoleView does).
 */
void
gb_display_open_machine_async (GbDisplay           *self,
                               GbMachine           *machine,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (GB_IS_DISPLAY (self));
  g_return_if_fail (GB_IS_MACHINE (machine));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gb_display_open_machine_async);

  gb_display_close (self);
  self->target = TARGET_MACHINE;
  self->machine = g_object_ref (machine);
  gb_display_start_with_task (self, task);
}

gboolean
gb_display_open_machine_finish (GbDisplay     *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The same, for callers that only watch "state" and "error". */
void
gb_display_open_machine (GbDisplay *self,
                         GbMachine *machine)
{
  gb_display_open_machine_async (self, machine, NULL, NULL, NULL);
}

void
gb_display_close (GbDisplay *self)
{
  g_return_if_fail (GB_IS_DISPLAY (self));

  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  g_clear_handle_id (&self->resize_source, g_source_remove);
  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
  gb_display_keyboard_release_keys (self->keyboard);
  gb_display_drop_source (self);
  self->target = TARGET_NONE;
  g_clear_pointer (&self->uri, g_free);
  g_clear_object (&self->machine);
  self->ever_connected = FALSE;
  self->reconnect_delay = RECONNECT_MIN_MS;
  gb_display_set_state (self, GB_DISPLAY_STATE_DISCONNECTED, NULL);
}

/* ------------------------------------------------------------------------ */
/* Send keys, screenshots                                                   */

/**
 * gb_display_send_keys:
 * @combo: keys joined by "-", pressed in order and released in reverse:
 *   "ctrl-alt-del", "ctrl-alt-backspace", "ctrl-alt-f1" … "ctrl-alt-f12",
 *   "print"
 *
 * Returns: FALSE if @combo names an unknown key or nothing is connected.
 */
gboolean
gb_display_send_keys (GbDisplay  *self,
                      const char *combo)
{
  g_return_val_if_fail (GB_IS_DISPLAY (self), FALSE);
  g_return_val_if_fail (combo != NULL, FALSE);

  return gb_display_keyboard_send_keys (self->keyboard, combo);
}

/**
 * gb_display_get_screenshot:
 *
 * Returns: (transfer full) (nullable): the guest screen now, at its own size.
 */
GdkTexture *
gb_display_get_screenshot (GbDisplay *self)
{
  g_return_val_if_fail (GB_IS_DISPLAY (self), NULL);

  return gb_display_paintable_get_screenshot (self->paintable);
}

gboolean
gb_display_save_screenshot (GbDisplay   *self,
                            const char  *path,
                            GError     **error)
{
  g_autoptr(GdkTexture) texture = NULL;

  g_return_val_if_fail (GB_IS_DISPLAY (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  texture = gb_display_get_screenshot (self);
  if (texture == NULL)
    {
      g_set_error (error, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_FAILED,
                   _("There is no screen to save."));
      return FALSE;
    }
  if (!gdk_texture_save_to_png (texture, path))
    {
      g_set_error (error, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_FAILED,
                   _("Could not write “%s”."), path);
      return FALSE;
    }
  return TRUE;
}

static void
screenshot_response_cb (GtkNativeDialog *chooser,
                        int              response,
                        GbDisplay       *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;

      if (path == NULL || !gb_display_save_screenshot (self, path, &error))
        g_warning ("Screenshot: %s", error ? error->message : "not a local file");
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  g_object_unref (self);
}

static void
screenshot_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  GbDisplay *self = GB_DISPLAY (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *chooser;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%d %H-%M-%S");
  g_autofree char *name = g_strdup_printf (_("Screenshot %s.png"), stamp);

  if (self->source == NULL)
    return;

  chooser = gtk_file_chooser_native_new (_("Save Screenshot"),
                                         GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_signal_connect (chooser, "response", G_CALLBACK (screenshot_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
send_keys_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  gb_display_send_keys (GB_DISPLAY (widget), g_variant_get_string (parameter, NULL));
}

static void
release_grab_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  gb_display_release_grab (GB_DISPLAY (widget));
}

/* ------------------------------------------------------------------------ */
/* GObject                                                                  */

static void
gb_display_realize (GtkWidget *widget)
{
  GbDisplay *self = GB_DISPLAY (widget);

  GTK_WIDGET_CLASS (gb_display_parent_class)->realize (widget);

  g_signal_connect (gtk_widget_get_clipboard (widget), "changed",
                    G_CALLBACK (on_clipboard_changed), self);
}

static void
gb_display_unrealize (GtkWidget *widget)
{
  GbDisplay *self = GB_DISPLAY (widget);

  gb_display_keyboard_ungrab (self->keyboard);
  g_signal_handlers_disconnect_by_func (gtk_widget_get_clipboard (widget),
                                        on_clipboard_changed, self);

  GTK_WIDGET_CLASS (gb_display_parent_class)->unrealize (widget);
}

static void
gb_display_dispose (GObject *object)
{
  GbDisplay *self = GB_DISPLAY (object);

  gb_display_close (self);
  g_clear_handle_id (&self->hint_timeout, g_source_remove);
  if (self->keyboard != NULL)
    g_signal_handlers_disconnect_by_data (self->keyboard, self);
  if (self->paintable != NULL)
    g_signal_handlers_disconnect_by_data (self->paintable, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), GB_TYPE_DISPLAY);

  G_OBJECT_CLASS (gb_display_parent_class)->dispose (object);
}

static void
gb_display_finalize (GObject *object)
{
  GbDisplay *self = GB_DISPLAY (object);

  g_clear_pointer (&self->error, g_free);
  g_clear_pointer (&self->password, g_free);
  g_clear_pointer (&self->clipboard_from_guest, g_free);
  /* Their controllers went with the widget's. */
  g_clear_object (&self->mouse);
  g_clear_object (&self->keyboard);
  g_clear_object (&self->paintable);

  G_OBJECT_CLASS (gb_display_parent_class)->finalize (object);
}

static void
gb_display_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  GbDisplay *self = GB_DISPLAY (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    case PROP_SCALE_MODE:
      g_value_set_enum (value, self->scale_mode);
      break;
    case PROP_GRABBED:
      g_value_set_boolean (value, gb_display_keyboard_get_grabbed (self->keyboard));
      break;
    case PROP_RELEASE_ACCEL:
      g_value_set_string (value, gb_display_keyboard_get_release_accel (self->keyboard));
      break;
    case PROP_RESIZE_GUEST:
      g_value_set_boolean (value, self->resize_guest);
      break;
    case PROP_RECONNECT:
      g_value_set_boolean (value, self->reconnect);
      break;
    case PROP_GUEST_WIDTH:
      g_value_set_int (value, gb_display_paintable_get_width (self->paintable));
      break;
    case PROP_GUEST_HEIGHT:
      g_value_set_int (value, gb_display_paintable_get_height (self->paintable));
      break;
    case PROP_NEEDS_PASSWORD:
      g_value_set_boolean (value, self->needs_password);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_display_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  GbDisplay *self = GB_DISPLAY (object);

  switch (prop_id)
    {
    case PROP_SCALE_MODE:
      gb_display_set_scale_mode (self, g_value_get_enum (value));
      break;
    case PROP_RELEASE_ACCEL:
      gb_display_set_release_accel (self, g_value_get_string (value));
      break;
    case PROP_RESIZE_GUEST:
      gb_display_set_resize_guest (self, g_value_get_boolean (value));
      break;
    case PROP_RECONNECT:
      gb_display_set_reconnect (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_display_class_init (GbDisplayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gb_display_dispose;
  object_class->finalize = gb_display_finalize;
  object_class->get_property = gb_display_get_property;
  object_class->set_property = gb_display_set_property;

  widget_class->snapshot = gb_display_snapshot;
  widget_class->measure = gb_display_measure;
  widget_class->size_allocate = gb_display_size_allocate;
  widget_class->realize = gb_display_realize;
  widget_class->unrealize = gb_display_unrealize;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       GB_TYPE_DISPLAY_STATE, GB_DISPLAY_STATE_DISCONNECTED,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SCALE_MODE] =
    g_param_spec_enum ("scale-mode", NULL, NULL,
                       GB_TYPE_DISPLAY_SCALE_MODE, GB_DISPLAY_SCALE_FIT,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_GRABBED] =
    g_param_spec_boolean ("grabbed", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_RELEASE_ACCEL] =
    g_param_spec_string ("release-accel", NULL, NULL, "<Control><Alt>",
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_RESIZE_GUEST] =
    g_param_spec_boolean ("resize-guest", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_RECONNECT] =
    g_param_spec_boolean ("reconnect", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_GUEST_WIDTH] =
    g_param_spec_int ("guest-width", NULL, NULL, 0, G_MAXINT, 0,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_GUEST_HEIGHT] =
    g_param_spec_int ("guest-height", NULL, NULL, 0, G_MAXINT, 0,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* The server asked for a password: answer with gb_display_answer_password(). */
  properties[PROP_NEEDS_PASSWORD] =
    g_param_spec_boolean ("needs-password", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_install_action (widget_class, "display.send-keys", "s", send_keys_action);
  gtk_widget_class_install_action (widget_class, "display.screenshot", NULL, screenshot_action);
  gtk_widget_class_install_action (widget_class, "display.release-grab", NULL, release_grab_action);
  gtk_widget_class_install_property_action (widget_class, "display.scale-mode", "scale-mode");

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/glassbox/Glassbox/display/gb-display.ui");
  gtk_widget_class_bind_template_child (widget_class, GbDisplay, status_page);
  gtk_widget_class_bind_template_child (widget_class, GbDisplay, hint_revealer);
  gtk_widget_class_bind_template_child (widget_class, GbDisplay, hint_label);

  gtk_widget_class_set_css_name (widget_class, "gb-display");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
gb_display_init (GbDisplay *self)
{
  g_type_ensure (ADW_TYPE_STATUS_PAGE);
  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Machine screen"),
                                  -1);

  self->reconnect = TRUE;
  self->resize_guest = TRUE;
  self->reconnect_delay = RECONNECT_MIN_MS;

  self->paintable = gb_display_paintable_new ();
  g_signal_connect (self->paintable, "invalidate-size", G_CALLBACK (on_paintable_size), self);
  g_signal_connect (self->paintable, "invalidate-contents", G_CALLBACK (on_paintable_contents), self);

  /* Keys and focus first, then the pointer: the order their controllers
   * see events in. */
  self->keyboard = gb_display_keyboard_new (GTK_WIDGET (self));
  gb_display_keyboard_set_release_accel (self->keyboard, "<Control><Alt>");
  g_signal_connect (self->keyboard, "notify::grabbed", G_CALLBACK (on_keyboard_grabbed), self);
  g_signal_connect (self->keyboard, "notify::release-accel", G_CALLBACK (on_keyboard_release_accel), self);
  self->mouse = gb_display_mouse_new (GTK_WIDGET (self), self->keyboard);

  gb_display_update_hint (self);
  gb_display_update_status (self);
}

GtkWidget *
gb_display_new (void)
{
  return g_object_new (GB_TYPE_DISPLAY, NULL);
}

/* ------------------------------------------------------------------------ */
/* Properties                                                               */

GbDisplayState
gb_display_get_state (GbDisplay *self)
{
  g_return_val_if_fail (GB_IS_DISPLAY (self), GB_DISPLAY_STATE_DISCONNECTED);
  return self->state;
}

const char *
gb_display_get_error (GbDisplay *self)
{
  g_return_val_if_fail (GB_IS_DISPLAY (self), NULL);
  return self->error;
}

gboolean
gb_display_get_grabbed (GbDisplay *self)
{
  g_return_val_if_fail (GB_IS_DISPLAY (self), FALSE);
  return gb_display_keyboard_get_grabbed (self->keyboard);
}

GbDisplayScaleMode
gb_display_get_scale_mode (GbDisplay *self)
{
  g_return_val_if_fail (GB_IS_DISPLAY (self), GB_DISPLAY_SCALE_FIT);
  return self->scale_mode;
}

void
gb_display_set_scale_mode (GbDisplay          *self,
                           GbDisplayScaleMode  mode)
{
  g_return_if_fail (GB_IS_DISPLAY (self));

  if (self->scale_mode == mode)
    return;
  self->scale_mode = mode;
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCALE_MODE]);
}

const char *
gb_display_get_release_accel (GbDisplay *self)
{
  g_return_val_if_fail (GB_IS_DISPLAY (self), NULL);
  return gb_display_keyboard_get_release_accel (self->keyboard);
}

/* @accel: as gtk_accelerator_parse() reads it; modifiers alone are fine
 * ("<Control><Alt>", the default), so is a key ("<Shift>F12"). */
void
gb_display_set_release_accel (GbDisplay  *self,
                              const char *accel)
{
  g_return_if_fail (GB_IS_DISPLAY (self));

  if (accel == NULL)
    accel = "<Control><Alt>";
  if (!gb_display_keyboard_set_release_accel (self->keyboard, accel))
    g_warning ("Not a key combination: %s", accel);
}

gboolean
gb_display_get_resize_guest (GbDisplay *self)
{
  g_return_val_if_fail (GB_IS_DISPLAY (self), FALSE);
  return self->resize_guest;
}

void
gb_display_set_resize_guest (GbDisplay *self,
                             gboolean   resize_guest)
{
  g_return_if_fail (GB_IS_DISPLAY (self));

  resize_guest = !!resize_guest;
  if (self->resize_guest == resize_guest)
    return;
  self->resize_guest = resize_guest;
  gtk_widget_queue_allocate (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESIZE_GUEST]);
}

gboolean
gb_display_get_reconnect (GbDisplay *self)
{
  g_return_val_if_fail (GB_IS_DISPLAY (self), FALSE);
  return self->reconnect;
}

void
gb_display_set_reconnect (GbDisplay *self,
                          gboolean   reconnect)
{
  g_return_if_fail (GB_IS_DISPLAY (self));

  reconnect = !!reconnect;
  if (self->reconnect == reconnect)
    return;
  self->reconnect = reconnect;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECONNECT]);
}

/* A password to answer the server with instead of asking; NULL to ask. */
void
gb_display_set_password (GbDisplay  *self,
                         const char *password)
{
  g_return_if_fail (GB_IS_DISPLAY (self));

  g_free (self->password);
  self->password = g_strdup (password);
}

int
gb_display_get_guest_width (GbDisplay *self)
{
  g_return_val_if_fail (GB_IS_DISPLAY (self), 0);
  return gb_display_paintable_get_width (self->paintable);
}

int
gb_display_get_guest_height (GbDisplay *self)
{
  g_return_val_if_fail (GB_IS_DISPLAY (self), 0);
  return gb_display_paintable_get_height (self->paintable);
}

/* ------------------------------------------------------------------------ */
/* Private                                                                  */

GdkTexture *
_gb_display_render_texture (GbDisplay *self)
{
  GtkNative *native = gtk_widget_get_native (GTK_WIDGET (self));

  if (native == NULL)
    return NULL;
  return gb_display_paintable_render_texture (self->paintable, gtk_native_get_renderer (native));
}

guint64
_gb_display_get_frame_count (GbDisplay *self)
{
  return gb_display_paintable_get_frame_count (self->paintable);
}

guint64
_gb_display_get_tile_uploads (GbDisplay *self)
{
  return gb_display_paintable_get_tile_uploads (self->paintable);
}

/* Shows @source (the display takes a reference), as if a URI had been
 * opened: the tests drive the widget with a source of their own. */
void
_gb_display_open_source (GbDisplay       *self,
                         GbDisplaySource *source)
{
  g_return_if_fail (GB_IS_DISPLAY (self));
  g_return_if_fail (GB_IS_DISPLAY_SOURCE (source));

  gb_display_close (self);
  gb_display_attach (self, g_object_ref (source));
}

GbDisplaySource *
_gb_display_get_source (GbDisplay *self)
{
  return self->source;
}
