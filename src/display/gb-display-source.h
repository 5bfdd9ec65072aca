/* gb-display-source.h: one remote screen (VNC or SPICE) as GbDisplay sees it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gdk/gdk.h>

G_BEGIN_DECLS

typedef enum {
  GB_DISPLAY_STATE_DISCONNECTED,
  GB_DISPLAY_STATE_CONNECTING,
  GB_DISPLAY_STATE_CONNECTED,
  GB_DISPLAY_STATE_ERROR,
} GbDisplayState;

typedef enum {
  GB_DISPLAY_BUTTON_LEFT   = 1 << 0,
  GB_DISPLAY_BUTTON_MIDDLE = 1 << 1,
  GB_DISPLAY_BUTTON_RIGHT  = 1 << 2,
} GbDisplayButtons;

#define GB_TYPE_DISPLAY_STATE (gb_display_state_get_type ())
GType gb_display_state_get_type (void);

#define GB_TYPE_DISPLAY_SOURCE (gb_display_source_get_type ())
G_DECLARE_DERIVABLE_TYPE (GbDisplaySource, gb_display_source, GB, DISPLAY_SOURCE, GObject)

/*
 * A source owns the remote connection and a framebuffer in memory, always
 * 32 bits per pixel, B,G,R,X byte order (what both VNC, with the pixel format
 * we ask for, and SPICE's 32_xRGB primary surface give on little-endian
 * hosts).  It tells the display what changed with signals:
 *
 *   "invalidate" (x, y, width, height)  pixels in that rectangle changed
 *   "resized"    (width, height)        a new framebuffer; everything changed
 *   "cursor"     (GdkTexture *, hot_x, hot_y)  guest pointer shape (NULL: none)
 *   "need-password" ()                  the server asks for a password
 *   "clipboard"  (const char *text)     the guest copied text
 *
 * and with the properties "state", "error" and "absolute-pointer".
 */
struct _GbDisplaySourceClass
{
  GObjectClass parent_class;

  void     (*connect)         (GbDisplaySource *self);
  void     (*disconnect)      (GbDisplaySource *self);
  void     (*set_password)    (GbDisplaySource *self,
                               const char      *password);
  /* evdev is the Linux key code; keyval the GDK keysym for servers that only
   * understand keysyms. */
  void     (*key)             (GbDisplaySource *self,
                               guint            evdev,
                               guint            keyval,
                               gboolean         pressed);
  /* Absolute guest coordinates, or a relative motion when the guest has no
   * absolute pointer (then x, y are deltas). */
  void     (*pointer)         (GbDisplaySource *self,
                               double           x,
                               double           y,
                               GbDisplayButtons buttons);
  void     (*scroll)          (GbDisplaySource *self,
                               int              steps,
                               GbDisplayButtons buttons);
  gboolean (*request_size)    (GbDisplaySource *self,
                               int              width,
                               int              height);
  void     (*send_clipboard)  (GbDisplaySource *self,
                               const char      *text);
};

void            gb_display_source_connect          (GbDisplaySource  *self);
void            gb_display_source_disconnect       (GbDisplaySource  *self);
void            gb_display_source_set_password     (GbDisplaySource  *self,
                                                    const char       *password);
void            gb_display_source_key              (GbDisplaySource  *self,
                                                    guint             evdev,
                                                    guint             keyval,
                                                    gboolean          pressed);
void            gb_display_source_pointer          (GbDisplaySource  *self,
                                                    double            x,
                                                    double            y,
                                                    GbDisplayButtons  buttons);
void            gb_display_source_scroll           (GbDisplaySource  *self,
                                                    int               steps,
                                                    GbDisplayButtons  buttons);
gboolean        gb_display_source_request_size     (GbDisplaySource  *self,
                                                    int               width,
                                                    int               height);
void            gb_display_source_send_clipboard   (GbDisplaySource  *self,
                                                    const char       *text);

GbDisplayState  gb_display_source_get_state        (GbDisplaySource  *self);
const char     *gb_display_source_get_error        (GbDisplaySource  *self);
gboolean        gb_display_source_get_absolute_pointer (GbDisplaySource *self);
const guint8   *gb_display_source_get_framebuffer  (GbDisplaySource  *self,
                                                    int              *width,
                                                    int              *height,
                                                    gsize            *stride);

/* For implementations. */
void            gb_display_source_set_state        (GbDisplaySource  *self,
                                                    GbDisplayState    state,
                                                    const char       *error);
void            gb_display_source_set_absolute_pointer (GbDisplaySource *self,
                                                    gboolean          absolute);
void            gb_display_source_set_framebuffer  (GbDisplaySource  *self,
                                                    const guint8     *data,
                                                    int               width,
                                                    int               height,
                                                    gsize             stride);
void            gb_display_source_invalidate       (GbDisplaySource  *self,
                                                    int               x,
                                                    int               y,
                                                    int               width,
                                                    int               height);
void            gb_display_source_emit_cursor      (GbDisplaySource  *self,
                                                    GdkTexture       *texture,
                                                    int               hot_x,
                                                    int               hot_y);
void            gb_display_source_emit_need_password (GbDisplaySource *self);
void            gb_display_source_emit_clipboard   (GbDisplaySource  *self,
                                                    const char       *text);

G_END_DECLS
