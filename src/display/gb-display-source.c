/* gb-display-source.c: the part of a remote screen shared by VNC and SPICE
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "gb-display-source.h"

G_DEFINE_ENUM_TYPE (GbDisplayState, gb_display_state,
  G_DEFINE_ENUM_VALUE (GB_DISPLAY_STATE_DISCONNECTED, "disconnected"),
  G_DEFINE_ENUM_VALUE (GB_DISPLAY_STATE_CONNECTING, "connecting"),
  G_DEFINE_ENUM_VALUE (GB_DISPLAY_STATE_CONNECTED, "connected"),
  G_DEFINE_ENUM_VALUE (GB_DISPLAY_STATE_ERROR, "error"))

typedef struct
{
  GbDisplayState  state;
  char           *error;
  gboolean        absolute_pointer;
  const guint8   *data;
  int             width;
  int             height;
  gsize           stride;
} GbDisplaySourcePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (GbDisplaySource, gb_display_source, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_ERROR,
  PROP_ABSOLUTE_POINTER,
  N_PROPS
};

enum {
  INVALIDATE,
  RESIZED,
  CURSOR,
  NEED_PASSWORD,
  CLIPBOARD,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
gb_display_source_finalize (GObject *object)
{
  GbDisplaySource *self = GB_DISPLAY_SOURCE (object);
  GbDisplaySourcePrivate *priv = gb_display_source_get_instance_private (self);

  g_clear_pointer (&priv->error, g_free);

  G_OBJECT_CLASS (gb_display_source_parent_class)->finalize (object);
}

static void
gb_display_source_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  GbDisplaySource *self = GB_DISPLAY_SOURCE (object);
  GbDisplaySourcePrivate *priv = gb_display_source_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, priv->state);
      break;
    case PROP_ERROR:
      g_value_set_string (value, priv->error);
      break;
    case PROP_ABSOLUTE_POINTER:
      g_value_set_boolean (value, priv->absolute_pointer);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_display_source_class_init (GbDisplaySourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gb_display_source_finalize;
  object_class->get_property = gb_display_source_get_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       GB_TYPE_DISPLAY_STATE, GB_DISPLAY_STATE_DISCONNECTED,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ABSOLUTE_POINTER] =
    g_param_spec_boolean ("absolute-pointer", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[INVALIDATE] =
    g_signal_new ("invalidate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE,
                  4, G_TYPE_INT, G_TYPE_INT, G_TYPE_INT, G_TYPE_INT);
  signals[RESIZED] =
    g_signal_new ("resized", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);
  signals[CURSOR] =
    g_signal_new ("cursor", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE,
                  3, GDK_TYPE_TEXTURE, G_TYPE_INT, G_TYPE_INT);
  signals[NEED_PASSWORD] =
    g_signal_new ("need-password", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[CLIPBOARD] =
    g_signal_new ("clipboard", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
gb_display_source_init (GbDisplaySource *self)
{
}

void
gb_display_source_connect (GbDisplaySource *self)
{
  g_return_if_fail (GB_IS_DISPLAY_SOURCE (self));

  GB_DISPLAY_SOURCE_GET_CLASS (self)->connect (self);
}

void
gb_display_source_disconnect (GbDisplaySource *self)
{
  g_return_if_fail (GB_IS_DISPLAY_SOURCE (self));

  GB_DISPLAY_SOURCE_GET_CLASS (self)->disconnect (self);
}

void
gb_display_source_set_password (GbDisplaySource *self,
                                const char      *password)
{
  g_return_if_fail (GB_IS_DISPLAY_SOURCE (self));

  GB_DISPLAY_SOURCE_GET_CLASS (self)->set_password (self, password);
}

void
gb_display_source_key (GbDisplaySource *self,
                       guint            evdev,
                       guint            keyval,
                       gboolean         pressed)
{
  GbDisplaySourcePrivate *priv = gb_display_source_get_instance_private (self);

  g_return_if_fail (GB_IS_DISPLAY_SOURCE (self));

  if (priv->state == GB_DISPLAY_STATE_CONNECTED)
    GB_DISPLAY_SOURCE_GET_CLASS (self)->key (self, evdev, keyval, pressed);
}

void
gb_display_source_pointer (GbDisplaySource  *self,
                           double            x,
                           double            y,
                           GbDisplayButtons  buttons)
{
  GbDisplaySourcePrivate *priv = gb_display_source_get_instance_private (self);

  g_return_if_fail (GB_IS_DISPLAY_SOURCE (self));

  if (priv->state == GB_DISPLAY_STATE_CONNECTED)
    GB_DISPLAY_SOURCE_GET_CLASS (self)->pointer (self, x, y, buttons);
}

void
gb_display_source_scroll (GbDisplaySource  *self,
                          int               steps,
                          GbDisplayButtons  buttons)
{
  GbDisplaySourcePrivate *priv = gb_display_source_get_instance_private (self);

  g_return_if_fail (GB_IS_DISPLAY_SOURCE (self));

  if (priv->state == GB_DISPLAY_STATE_CONNECTED && steps != 0)
    GB_DISPLAY_SOURCE_GET_CLASS (self)->scroll (self, steps, buttons);
}

gboolean
gb_display_source_request_size (GbDisplaySource *self,
                                int              width,
                                int              height)
{
  GbDisplaySourcePrivate *priv = gb_display_source_get_instance_private (self);
  GbDisplaySourceClass *klass;

  g_return_val_if_fail (GB_IS_DISPLAY_SOURCE (self), FALSE);

  klass = GB_DISPLAY_SOURCE_GET_CLASS (self);
  if (priv->state != GB_DISPLAY_STATE_CONNECTED || klass->request_size == NULL)
    return FALSE;

  return klass->request_size (self, width, height);
}

void
gb_display_source_send_clipboard (GbDisplaySource *self,
                                  const char      *text)
{
  GbDisplaySourcePrivate *priv = gb_display_source_get_instance_private (self);
  GbDisplaySourceClass *klass;

  g_return_if_fail (GB_IS_DISPLAY_SOURCE (self));

  klass = GB_DISPLAY_SOURCE_GET_CLASS (self);
  if (priv->state == GB_DISPLAY_STATE_CONNECTED && klass->send_clipboard != NULL)
    klass->send_clipboard (self, text);
}

GbDisplayState
gb_display_source_get_state (GbDisplaySource *self)
{
  GbDisplaySourcePrivate *priv = gb_display_source_get_instance_private (self);

  g_return_val_if_fail (GB_IS_DISPLAY_SOURCE (self), GB_DISPLAY_STATE_DISCONNECTED);

  return priv->state;
}

const char *
gb_display_source_get_error (GbDisplaySource *self)
{
  GbDisplaySourcePrivate *priv = gb_display_source_get_instance_private (self);

  g_return_val_if_fail (GB_IS_DISPLAY_SOURCE (self), NULL);

  return priv->error;
}

gboolean
gb_display_source_get_absolute_pointer (GbDisplaySource *self)
{
  GbDisplaySourcePrivate *priv = gb_display_source_get_instance_private (self);

  g_return_val_if_fail (GB_IS_DISPLAY_SOURCE (self), FALSE);

  return priv->absolute_pointer;
}

const guint8 *
gb_display_source_get_framebuffer (GbDisplaySource *self,
                                   int             *width,
                                   int             *height,
                                   gsize           *stride)
{
  GbDisplaySourcePrivate *priv = gb_display_source_get_instance_private (self);

  g_return_val_if_fail (GB_IS_DISPLAY_SOURCE (self), NULL);

  *width = priv->width;
  *height = priv->height;
  *stride = priv->stride;

  return priv->data;
}

void
gb_display_source_set_state (GbDisplaySource *self,
                             GbDisplayState   state,
                             const char      *error)
{
  GbDisplaySourcePrivate *priv = gb_display_source_get_instance_private (self);
  gboolean changed_error;

  g_return_if_fail (GB_IS_DISPLAY_SOURCE (self));

  g_object_freeze_notify (G_OBJECT (self));
  changed_error = g_strcmp0 (priv->error, error) != 0;
  if (changed_error)
    {
      g_free (priv->error);
      priv->error = g_strdup (error);
    }
  if (priv->state != state)
    {
      priv->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (changed_error)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
  g_object_thaw_notify (G_OBJECT (self));
}

void
gb_display_source_set_absolute_pointer (GbDisplaySource *self,
                                        gboolean         absolute)
{
  GbDisplaySourcePrivate *priv = gb_display_source_get_instance_private (self);

  g_return_if_fail (GB_IS_DISPLAY_SOURCE (self));

  absolute = !!absolute;
  if (priv->absolute_pointer != absolute)
    {
      priv->absolute_pointer = absolute;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ABSOLUTE_POINTER]);
    }
}

void
gb_display_source_set_framebuffer (GbDisplaySource *self,
                                   const guint8    *data,
                                   int              width,
                                   int              height,
                                   gsize            stride)
{
  GbDisplaySourcePrivate *priv = gb_display_source_get_instance_private (self);

  g_return_if_fail (GB_IS_DISPLAY_SOURCE (self));

  priv->data = data;
  priv->width = data ? width : 0;
  priv->height = data ? height : 0;
  priv->stride = data ? stride : 0;

  g_signal_emit (self, signals[RESIZED], 0, priv->width, priv->height);
}

void
gb_display_source_invalidate (GbDisplaySource *self,
                              int              x,
                              int              y,
                              int              width,
                              int              height)
{
  GbDisplaySourcePrivate *priv = gb_display_source_get_instance_private (self);
  int x2, y2;

  g_return_if_fail (GB_IS_DISPLAY_SOURCE (self));

  /* Servers may describe rectangles that reach past the edge. */
  x2 = CLAMP (x + width, 0, priv->width);
  y2 = CLAMP (y + height, 0, priv->height);
  x = CLAMP (x, 0, priv->width);
  y = CLAMP (y, 0, priv->height);
  if (x2 > x && y2 > y)
    g_signal_emit (self, signals[INVALIDATE], 0, x, y, x2 - x, y2 - y);
}

void
gb_display_source_emit_cursor (GbDisplaySource *self,
                               GdkTexture      *texture,
                               int              hot_x,
                               int              hot_y)
{
  g_signal_emit (self, signals[CURSOR], 0, texture, hot_x, hot_y);
}

void
gb_display_source_emit_need_password (GbDisplaySource *self)
{
  g_signal_emit (self, signals[NEED_PASSWORD], 0);
}

void
gb_display_source_emit_clipboard (GbDisplaySource *self,
                                  const char      *text)
{
  g_signal_emit (self, signals[CLIPBOARD], 0, text);
}
