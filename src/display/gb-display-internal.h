/* gb-display-internal.h: what GbDisplay's files share (not for other code)
 *
 * GbDisplay is one GObject written in four files: gb-display.c (the type,
 * its properties and state), gb-display-layout.c (placing and drawing the
 * screen), gb-display-session.c (opening, following the source,
 * reconnecting, the password question, closing) and gb-display-extras.c
 * (grab hint, cursor, clipboard, send-keys, screenshots, actions).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gb-display-keyboard.h"
#include "gb-display-mouse.h"
#include "gb-display-paintable.h"
#include "gb-display-private.h"

G_BEGIN_DECLS


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

void             _gb_display_notify             (GbDisplay *self,
                                                 guint      prop_id);

/* gb-display-extras.c */
void _gb_display_update_hint (GbDisplay *self);
void _gb_display_on_clipboard_changed (GdkClipboard *clipboard,
                                       GbDisplay    *self);
void _gb_display_on_keyboard_grabbed (GbDisplayKeyboard *keyboard,
                                      GParamSpec        *pspec,
                                      GbDisplay         *self);
void _gb_display_on_keyboard_release_accel (GbDisplayKeyboard *keyboard,
                                            GParamSpec        *pspec,
                                            GbDisplay         *self);
void _gb_display_on_source_clipboard (GbDisplaySource *source,
                                      const char      *text,
                                      GbDisplay       *self);
void _gb_display_on_source_cursor (GbDisplaySource *source,
                                   GdkTexture      *texture,
                                   int              hot_x,
                                   int              hot_y,
                                   GbDisplay       *self);
void _gb_display_release_grab_action (GtkWidget  *widget,
                                      const char *action_name,
                                      GVariant   *parameter);
void _gb_display_screenshot_action (GtkWidget  *widget,
                                    const char *action_name,
                                    GVariant   *parameter);
void _gb_display_send_keys_action (GtkWidget  *widget,
                                   const char *action_name,
                                   GVariant   *parameter);

/* gb-display-layout.c */
void _gb_display_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline);
void _gb_display_size_allocate (GtkWidget *widget,
                                int        width,
                                int        height,
                                int        baseline);
void _gb_display_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot);
void _gb_display_on_paintable_contents (GdkPaintable *paintable,
                                        GbDisplay    *self);
void _gb_display_on_paintable_size (GdkPaintable *paintable,
                                    GbDisplay    *self);

/* gb-display.c */
void _gb_display_set_state (GbDisplay      *self,
                            GbDisplayState  state,
                            const char     *error);

G_END_DECLS
