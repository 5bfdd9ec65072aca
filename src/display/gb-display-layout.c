/* gb-display-layout.c: where GbDisplay puts the guest screen, and drawing it
 *
 * Part of GbDisplay (gb-display.c; the instance is in gb-display-internal.h):
 * the paintable placed fit or 1:1 with whole-pixel offsets, black around it
 * (only around it, so a changed frame paints each pixel once), the size the
 * widget asks for, and asking the guest for the widget's size once it has
 * settled (RESIZE_GUEST_DELAY_MS).
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

void
_gb_display_on_paintable_size (GdkPaintable *paintable,
                               GbDisplay    *self)
{
  g_object_freeze_notify (G_OBJECT (self));
  _gb_display_notify (self, PROP_GUEST_WIDTH);
  _gb_display_notify (self, PROP_GUEST_HEIGHT);
  g_object_thaw_notify (G_OBJECT (self));
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

void
_gb_display_on_paintable_contents (GdkPaintable *paintable,
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

void
_gb_display_snapshot (GtkWidget   *widget,
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

void
_gb_display_measure (GtkWidget      *widget,
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

void
_gb_display_size_allocate (GtkWidget *widget,
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
