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
 * GbDisplay itself is written in four files that share its instance
 * (gb-display-internal.h):
 *
 *   gb-display.c          the type, its properties and state, the status page
 *   gb-display-layout.c   placing the paintable (fit or 1:1, black around
 *                         it), measuring, asking the guest for the widget's size
 *   gb-display-session.c  opening a console address or a machine's screen,
 *                         following the source's state (reconnecting after a
 *                         drop), the password question, closing
 *   gb-display-extras.c   the grab hint, cursor, clipboard, send-keys,
 *                         screenshots and the display.* actions
 *
 * Asking for a password is left to whoever shows the display
 * (GbConsoleView): "needs-password" and gb_display_answer_password().
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include <adwaita.h>
#include <glib/gi18n-lib.h>

#include "gb-display-connect.h"
#include "gb-display-internal.h"
#include "gb-display-keyboard.h"
#include "gb-display-mouse.h"
#include "gb-display-paintable.h"

G_DEFINE_FINAL_TYPE (GbDisplay, gb_display, GTK_TYPE_WIDGET)

G_DEFINE_ENUM_TYPE (GbDisplayScaleMode, gb_display_scale_mode,
  G_DEFINE_ENUM_VALUE (GB_DISPLAY_SCALE_FIT, "fit"),
  G_DEFINE_ENUM_VALUE (GB_DISPLAY_SCALE_ORIGINAL, "original"))

G_DEFINE_QUARK (gb-display-error-quark, gb_display_error)

static GParamSpec *properties[N_PROPS];

/* For the other gb-display-*.c files. */
void
_gb_display_notify (GbDisplay *self,
                    guint      prop_id)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

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

void
_gb_display_set_state (GbDisplay      *self,
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
/* GObject                                                                  */

static void
gb_display_realize (GtkWidget *widget)
{
  GbDisplay *self = GB_DISPLAY (widget);

  GTK_WIDGET_CLASS (gb_display_parent_class)->realize (widget);

  g_signal_connect (gtk_widget_get_clipboard (widget), "changed",
                    G_CALLBACK (_gb_display_on_clipboard_changed), self);
}

static void
gb_display_unrealize (GtkWidget *widget)
{
  GbDisplay *self = GB_DISPLAY (widget);

  gb_display_keyboard_ungrab (self->keyboard);
  g_signal_handlers_disconnect_by_func (gtk_widget_get_clipboard (widget),
                                        _gb_display_on_clipboard_changed, self);

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

  widget_class->snapshot = _gb_display_snapshot;
  widget_class->measure = _gb_display_measure;
  widget_class->size_allocate = _gb_display_size_allocate;
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

  gtk_widget_class_install_action (widget_class, "display.send-keys", "s", _gb_display_send_keys_action);
  gtk_widget_class_install_action (widget_class, "display.screenshot", NULL, _gb_display_screenshot_action);
  gtk_widget_class_install_action (widget_class, "display.release-grab", NULL, _gb_display_release_grab_action);
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
  g_signal_connect (self->paintable, "invalidate-size", G_CALLBACK (_gb_display_on_paintable_size), self);
  g_signal_connect (self->paintable, "invalidate-contents", G_CALLBACK (_gb_display_on_paintable_contents), self);

  /* Keys and focus first, then the pointer: the order their controllers
   * see events in. */
  self->keyboard = gb_display_keyboard_new (GTK_WIDGET (self));
  gb_display_keyboard_set_release_accel (self->keyboard, "<Control><Alt>");
  g_signal_connect (self->keyboard, "notify::grabbed", G_CALLBACK (_gb_display_on_keyboard_grabbed), self);
  g_signal_connect (self->keyboard, "notify::release-accel", G_CALLBACK (_gb_display_on_keyboard_release_accel), self);
  self->mouse = gb_display_mouse_new (GTK_WIDGET (self), self->keyboard);

  _gb_display_update_hint (self);
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
