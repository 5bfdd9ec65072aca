/* gb-display.h: one GTK4 widget for every graphical console (VNC, SPICE)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>
#include "gb-display-source.h"
#include "gb-machine.h"

G_BEGIN_DECLS

typedef enum {
  GB_DISPLAY_SCALE_FIT,      /* fit the window, keeping the aspect ratio */
  GB_DISPLAY_SCALE_ORIGINAL, /* one guest pixel per screen pixel ("1:1") */
} GbDisplayScaleMode;

#define GB_TYPE_DISPLAY_SCALE_MODE (gb_display_scale_mode_get_type ())
GType gb_display_scale_mode_get_type (void);

#define GB_DISPLAY_ERROR (gb_display_error_quark ())
GQuark gb_display_error_quark (void);

typedef enum {
  GB_DISPLAY_ERROR_INVALID_URI,
  GB_DISPLAY_ERROR_NOT_RUNNING,
  GB_DISPLAY_ERROR_NO_GRAPHICS,
  GB_DISPLAY_ERROR_FAILED,
} GbDisplayError;

#define GB_TYPE_DISPLAY (gb_display_get_type ())
G_DECLARE_FINAL_TYPE (GbDisplay, gb_display, GB, DISPLAY, GtkWidget)

GtkWidget          *gb_display_new                (void);

gboolean            gb_display_open_uri           (GbDisplay          *self,
                                                   const char         *uri,
                                                   GError            **error);
void                gb_display_open_machine_async (GbDisplay          *self,
                                                   GbMachine          *machine,
                                                   GCancellable       *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer            user_data);
gboolean            gb_display_open_machine_finish (GbDisplay         *self,
                                                   GAsyncResult       *result,
                                                   GError            **error);
void                gb_display_open_machine       (GbDisplay          *self,
                                                   GbMachine          *machine);
void                gb_display_close              (GbDisplay          *self);

GbDisplayState      gb_display_get_state          (GbDisplay          *self);
const char         *gb_display_get_error          (GbDisplay          *self);
gboolean            gb_display_get_grabbed        (GbDisplay          *self);
void                gb_display_release_grab       (GbDisplay          *self);

GbDisplayScaleMode  gb_display_get_scale_mode     (GbDisplay          *self);
void                gb_display_set_scale_mode     (GbDisplay          *self,
                                                   GbDisplayScaleMode  mode);
const char         *gb_display_get_release_accel  (GbDisplay          *self);
void                gb_display_set_release_accel  (GbDisplay          *self,
                                                   const char         *accel);
gboolean            gb_display_get_resize_guest   (GbDisplay          *self);
void                gb_display_set_resize_guest   (GbDisplay          *self,
                                                   gboolean            resize_guest);
gboolean            gb_display_get_reconnect      (GbDisplay          *self);
void                gb_display_set_reconnect      (GbDisplay          *self,
                                                   gboolean            reconnect);
void                gb_display_set_password       (GbDisplay          *self,
                                                   const char         *password);
gboolean            gb_display_get_needs_password (GbDisplay          *self);
void                gb_display_answer_password    (GbDisplay          *self,
                                                   const char         *password);

int                 gb_display_get_guest_width    (GbDisplay          *self);
int                 gb_display_get_guest_height   (GbDisplay          *self);

gboolean            gb_display_send_keys          (GbDisplay          *self,
                                                   const char         *combo);
GdkTexture         *gb_display_get_screenshot     (GbDisplay          *self);
gboolean            gb_display_save_screenshot    (GbDisplay          *self,
                                                   const char         *path,
                                                   GError            **error);

G_END_DECLS
