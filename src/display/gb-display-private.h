/* gb-display-private.h: GbDisplay internals for its parts and the tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gb-display.h"

G_BEGIN_DECLS

/* The tiles as GTK draws them, rendered 1:1 by the widget's renderer. */
GdkTexture      *_gb_display_render_texture     (GbDisplay *self);
/* Frames drawn with at least one re-uploaded tile since the widget was made. */
guint64          _gb_display_get_frame_count    (GbDisplay *self);
/* Tile uploads since the widget was made. */
guint64          _gb_display_get_tile_uploads   (GbDisplay *self);
GbDisplaySource *_gb_display_get_source         (GbDisplay *self);
/* Shows a source the caller made (a test's own), as if a URI was opened. */
void             _gb_display_open_source        (GbDisplay       *self,
                                                 GbDisplaySource *source);
/* Where the guest screen sits in the widget: offset, and widget pixels per
 * guest pixel. */
void             _gb_display_get_placement      (GbDisplay *self,
                                                 double    *x,
                                                 double    *y,
                                                 double    *scale);

G_END_DECLS
