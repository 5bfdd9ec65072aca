/* gb-display-mouse.c: GbDisplay's pointer: motion, buttons and wheel to the guest
 *
 * Positions are turned into guest pixels through where GbDisplay placed the
 * screen (_gb_display_get_placement()): absolute coordinates for a guest
 * with a tablet, or the motion since the last event for one with a plain
 * mouse.  A click also gives the display the focus, which can start the
 * keyboard grab (GbDisplayKeyboard).
 *
 * Events are taken raw (GtkEventControllerLegacy): gestures would claim
 * sequences and delay buttons, and the guest wants every one at once.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "gb-display-mouse.h"
#include "gb-display-private.h"

struct _GbDisplayMouse
{
  GObject            parent_instance;

  GtkWidget         *display;    /* owns us */
  GbDisplayKeyboard *keyboard;   /* owned by the display too */
  GbDisplaySource   *source;

  GbDisplayButtons   buttons;
  double             last_x;
  double             last_y;
  gboolean           have_last;
};

G_DEFINE_FINAL_TYPE (GbDisplayMouse, gb_display_mouse, G_TYPE_OBJECT)

static gboolean
is_connected (GbDisplayMouse *self)
{
  return self->source != NULL &&
         gb_display_get_state (GB_DISPLAY (self->display)) == GB_DISPLAY_STATE_CONNECTED;
}

static void
on_pointer_enter (GtkEventControllerMotion *controller,
                  double                    x,
                  double                    y,
                  GbDisplayMouse           *self)
{
  self->have_last = FALSE;
  gb_display_keyboard_pointer_entered (self->keyboard);
}

static void
on_pointer_leave (GtkEventControllerMotion *controller,
                  GbDisplayMouse           *self)
{
  gb_display_keyboard_pointer_left (self->keyboard);
}

static void
gb_display_mouse_send_pointer (GbDisplayMouse *self,
                               double          wx,
                               double          wy)
{
  double ox, oy, scale, gx, gy;

  if (!is_connected (self))
    return;

  _gb_display_get_placement (GB_DISPLAY (self->display), &ox, &oy, &scale);
  gx = (wx - ox) / scale;
  gy = (wy - oy) / scale;

  if (gb_display_source_get_absolute_pointer (self->source))
    {
      gb_display_source_pointer (self->source, gx, gy, self->buttons);
    }
  else
    {
      double dx = self->have_last ? gx - self->last_x : 0;
      double dy = self->have_last ? gy - self->last_y : 0;

      gb_display_source_pointer (self->source, dx, dy, self->buttons);
    }
  self->last_x = gx;
  self->last_y = gy;
  self->have_last = TRUE;
}

static gboolean
on_legacy_event (GtkEventControllerLegacy *controller,
                 GdkEvent                 *event,
                 GbDisplayMouse           *self)
{
  GtkWidget *widget = self->display;
  GdkEventType type = gdk_event_get_event_type (event);
  GtkNative *native;
  double sx, sy, nx, ny, wx, wy;

  if (type != GDK_BUTTON_PRESS && type != GDK_BUTTON_RELEASE &&
      type != GDK_MOTION_NOTIFY && type != GDK_SCROLL)
    return FALSE;
  if (!is_connected (self))
    return FALSE;

  /* A wheel step goes where the pointer already is: no position needed.
   * (gdk_event_get_position() fails on X11 wheel events with GTK 4.8;
   * asking for one here dropped every step.) */
  if (type == GDK_SCROLL)
    {
      GdkScrollDirection direction = gdk_scroll_event_get_direction (event);
      double dx = 0, dy = 0;
      int steps = 0;

      if (direction == GDK_SCROLL_UP)
        steps = -1;
      else if (direction == GDK_SCROLL_DOWN)
        steps = 1;
      else if (direction == GDK_SCROLL_SMOOTH)
        {
          gdk_scroll_event_get_deltas (event, &dx, &dy);
          steps = dy > 0.5 ? 1 : dy < -0.5 ? -1 : 0;
        }
      gb_display_source_scroll (self->source, steps, self->buttons);
      return TRUE;
    }

  /* Event positions are in surface coordinates. */
  native = gtk_widget_get_native (widget);
  if (!gdk_event_get_position (event, &sx, &sy))
    return FALSE;
  gtk_native_get_surface_transform (native, &nx, &ny);
  if (!gtk_widget_translate_coordinates (GTK_WIDGET (native), widget, sx - nx, sy - ny, &wx, &wy))
    return FALSE;

  switch ((int) type)
    {
    case GDK_BUTTON_PRESS:
    case GDK_BUTTON_RELEASE:
      {
        guint button = gdk_button_event_get_button (event);
        GbDisplayButtons mask = button == 1 ? GB_DISPLAY_BUTTON_LEFT
                              : button == 2 ? GB_DISPLAY_BUTTON_MIDDLE
                              : button == 3 ? GB_DISPLAY_BUTTON_RIGHT : 0;

        if (type == GDK_BUTTON_PRESS)
          {
            self->buttons |= mask;
            gtk_widget_grab_focus (widget);
            gb_display_keyboard_pointer_pressed (self->keyboard);
          }
        else
          {
            self->buttons &= ~mask;
          }
        gb_display_mouse_send_pointer (self, wx, wy);
        return TRUE;
      }

    case GDK_MOTION_NOTIFY:
      gb_display_mouse_send_pointer (self, wx, wy);
      return TRUE;

    default:
      return FALSE;
    }
}

void
gb_display_mouse_set_source (GbDisplayMouse  *self,
                             GbDisplaySource *source)
{
  g_set_object (&self->source, source);
}

static void
gb_display_mouse_finalize (GObject *object)
{
  GbDisplayMouse *self = GB_DISPLAY_MOUSE (object);

  g_clear_object (&self->source);
  g_clear_object (&self->keyboard);

  G_OBJECT_CLASS (gb_display_mouse_parent_class)->finalize (object);
}

static void
gb_display_mouse_class_init (GbDisplayMouseClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gb_display_mouse_finalize;
}

static void
gb_display_mouse_init (GbDisplayMouse *self)
{
}

/* Listens to the pointer over @display; @display keeps the mouse for as
 * long as it lives. */
GbDisplayMouse *
gb_display_mouse_new (GtkWidget         *display,
                      GbDisplayKeyboard *keyboard)
{
  GbDisplayMouse *self = g_object_new (GB_TYPE_DISPLAY_MOUSE, NULL);
  GtkEventController *controller;

  self->display = display;
  self->keyboard = g_object_ref (keyboard);

  controller = gtk_event_controller_motion_new ();
  g_signal_connect_object (controller, "enter", G_CALLBACK (on_pointer_enter), self, 0);
  g_signal_connect_object (controller, "leave", G_CALLBACK (on_pointer_leave), self, 0);
  gtk_widget_add_controller (display, controller);

  controller = gtk_event_controller_legacy_new ();
  g_signal_connect_object (controller, "event", G_CALLBACK (on_legacy_event), self, 0);
  gtk_widget_add_controller (display, controller);

  return self;
}
