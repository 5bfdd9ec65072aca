/* gb-display-paintable.h: a guest framebuffer as a GdkPaintable, in tiles
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "gb-display-source.h"

G_BEGIN_DECLS

#define GB_TYPE_DISPLAY_PAINTABLE (gb_display_paintable_get_type ())
G_DECLARE_FINAL_TYPE (GbDisplayPaintable, gb_display_paintable, GB, DISPLAY_PAINTABLE, GObject)

GbDisplayPaintable *gb_display_paintable_new            (void);
void                gb_display_paintable_set_source     (GbDisplayPaintable *self,
                                                         GbDisplaySource    *source);
void                gb_display_paintable_update         (GbDisplayPaintable *self);
int                 gb_display_paintable_get_width      (GbDisplayPaintable *self);
int                 gb_display_paintable_get_height     (GbDisplayPaintable *self);
gboolean            gb_display_paintable_has_tiles      (GbDisplayPaintable *self);
gboolean            gb_display_paintable_has_all_tiles  (GbDisplayPaintable *self);
GdkTexture         *gb_display_paintable_get_screenshot (GbDisplayPaintable *self);
GdkTexture         *gb_display_paintable_render_texture (GbDisplayPaintable *self,
                                                         GskRenderer        *renderer);
guint64             gb_display_paintable_get_frame_count  (GbDisplayPaintable *self);
guint64             gb_display_paintable_get_tile_uploads (GbDisplayPaintable *self);

G_END_DECLS
