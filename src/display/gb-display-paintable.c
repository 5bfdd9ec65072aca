/* gb-display-paintable.c: a guest framebuffer as a GdkPaintable, in tiles
 *
 * GTK 4.8 has no texture builders and no way to update part of a texture,
 * so the framebuffer is cut into 128×128 tiles, each its own render node;
 * when the source says a rectangle changed, only the tiles it touches are
 * copied and re-created at the next frame, and GTK redraws only those.
 *
 * The paintable's intrinsic size is the guest's; GbDisplay places and
 * scales it.  It says "invalidate-size" when the guest's resolution
 * changes and "invalidate-contents" when pixels do.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "gb-display-paintable.h"

#define TILE_SIZE 128

struct _GbDisplayPaintable
{
  GObject           parent_instance;

  GbDisplaySource  *source;

  int               fb_width;
  int               fb_height;
  int               tiles_x;
  int               tiles_y;
  GskRenderNode   **tiles;
  gboolean         *dirty;
  gboolean          any_dirty;
  guint64           frames;
  guint64           tile_uploads;
};

static void gb_display_paintable_iface_init (GdkPaintableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (GbDisplayPaintable, gb_display_paintable, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (GDK_TYPE_PAINTABLE,
                                                      gb_display_paintable_iface_init))

static void
gb_display_paintable_free_tiles (GbDisplayPaintable *self)
{
  for (int i = 0; i < self->tiles_x * self->tiles_y; i++)
    g_clear_pointer (&self->tiles[i], gsk_render_node_unref);
  g_clear_pointer (&self->tiles, g_free);
  g_clear_pointer (&self->dirty, g_free);
  self->tiles_x = self->tiles_y = 0;
}

static void
on_source_resized (GbDisplaySource    *source,
                   int                 width,
                   int                 height,
                   GbDisplayPaintable *self)
{
  gboolean changed = width != self->fb_width || height != self->fb_height;

  gb_display_paintable_free_tiles (self);
  self->fb_width = width;
  self->fb_height = height;
  self->tiles_x = (width + TILE_SIZE - 1) / TILE_SIZE;
  self->tiles_y = (height + TILE_SIZE - 1) / TILE_SIZE;
  self->tiles = g_new0 (GskRenderNode *, self->tiles_x * self->tiles_y);
  self->dirty = g_new (gboolean, self->tiles_x * self->tiles_y);
  for (int i = 0; i < self->tiles_x * self->tiles_y; i++)
    self->dirty[i] = TRUE;
  self->any_dirty = self->tiles_x * self->tiles_y > 0;

  if (changed)
    gdk_paintable_invalidate_size (GDK_PAINTABLE (self));
  gdk_paintable_invalidate_contents (GDK_PAINTABLE (self));
}

static void
on_source_invalidate (GbDisplaySource    *source,
                      int                 x,
                      int                 y,
                      int                 width,
                      int                 height,
                      GbDisplayPaintable *self)
{
  int tx1 = x / TILE_SIZE;
  int ty1 = y / TILE_SIZE;
  int tx2 = MIN ((x + width - 1) / TILE_SIZE, self->tiles_x - 1);
  int ty2 = MIN ((y + height - 1) / TILE_SIZE, self->tiles_y - 1);

  for (int ty = ty1; ty <= ty2; ty++)
    for (int tx = tx1; tx <= tx2; tx++)
      self->dirty[ty * self->tiles_x + tx] = TRUE;

  if (!self->any_dirty)
    {
      self->any_dirty = TRUE;
      gdk_paintable_invalidate_contents (GDK_PAINTABLE (self));
    }
}

/* Copies a rectangle of the framebuffer into a new texture (screenshots).
 * Both servers give 32-bit pixels, B,G,R and an undefined fourth byte; GTK
 * 4.8 has no "X" formats, so the texture drops that byte. */
static GdkTexture *
texture_from_framebuffer (const guint8 *data,
                          gsize         stride,
                          int           x,
                          int           y,
                          int           width,
                          int           height)
{
  gsize tile_stride = (gsize) width * 3;
  guint8 *pixels = g_malloc (tile_stride * height);
  g_autoptr(GBytes) bytes = NULL;

  for (int row = 0; row < height; row++)
    {
      const guint8 *src = data + (gsize) (y + row) * stride + (gsize) x * 4;
      guint8 *dst = pixels + (gsize) row * tile_stride;

      for (int col = 0; col < width; col++, src += 4, dst += 3)
        {
          dst[0] = src[0];
          dst[1] = src[1];
          dst[2] = src[2];
        }
    }

  bytes = g_bytes_new_take (pixels, tile_stride * height);
  return gdk_memory_texture_new (width, height, GDK_MEMORY_B8G8R8, bytes, tile_stride);
}

/* Makes the render node of one tile.  The framebuffer's pixels (32 bits,
 * B,G,R,X in memory, i.e. native-endian 0xXXRRGGBB) are exactly cairo's
 * RGB24, so a tile is a cairo image surface filled with one memcpy per row
 * and painted into a cairo node.  A GdkMemoryTexture would cost GTK 4.8 a
 * format conversion into a fresh cairo surface at every draw; a cairo node
 * draws the surface as it is (opaque, no blending).  The node's recording
 * holds a snapshot of the surface, so our reference can go at once; nothing
 * writes to the surface after that. */
static GskRenderNode *
tile_from_framebuffer (const guint8 *data,
                       gsize         stride,
                       int           x,
                       int           y,
                       int           width,
                       int           height)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
  guint8 *pixels = cairo_image_surface_get_data (surface);
  gsize tile_stride = cairo_image_surface_get_stride (surface);
  GskRenderNode *node;
  cairo_t *cr;

  for (int row = 0; row < height; row++)
    memcpy (pixels + (gsize) row * tile_stride,
            data + (gsize) (y + row) * stride + (gsize) x * 4,
            (gsize) width * 4);
  cairo_surface_mark_dirty (surface);

  node = gsk_cairo_node_new (&GRAPHENE_RECT_INIT (x, y, width, height));
  cr = gsk_cairo_node_get_draw_context (node);
  cairo_set_source_surface (cr, surface, x, y);
  /* Scaled, a tile's edge pixels repeat outward instead of fading to
   * transparent: no seams between tiles. */
  cairo_pattern_set_extend (cairo_get_source (cr), CAIRO_EXTEND_PAD);
  cairo_rectangle (cr, x, y, width, height);
  cairo_fill (cr);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);

  return node;
}

/* Re-creates the damaged tiles (the snapshot does too, if not done). */
void
gb_display_paintable_update (GbDisplayPaintable *self)
{
  const guint8 *data;
  int width, height;
  gsize stride;
  gboolean uploaded = FALSE;

  if (!self->any_dirty || self->source == NULL)
    return;

  data = gb_display_source_get_framebuffer (self->source, &width, &height, &stride);
  if (data == NULL || width != self->fb_width || height != self->fb_height)
    return;

  for (int ty = 0; ty < self->tiles_y; ty++)
    for (int tx = 0; tx < self->tiles_x; tx++)
      {
        int i = ty * self->tiles_x + tx;
        int x = tx * TILE_SIZE, y = ty * TILE_SIZE;

        if (!self->dirty[i])
          continue;

        g_clear_pointer (&self->tiles[i], gsk_render_node_unref);
        self->tiles[i] = tile_from_framebuffer (data, stride, x, y,
                                                MIN (TILE_SIZE, width - x),
                                                MIN (TILE_SIZE, height - y));
        self->dirty[i] = FALSE;
        self->tile_uploads++;
        uploaded = TRUE;
      }

  self->any_dirty = FALSE;
  if (uploaded)
    self->frames++;
}

static void
gb_display_paintable_append_tiles (GbDisplayPaintable *self,
                                   GtkSnapshot        *snapshot)
{
  /* Unchanged tiles are the same nodes as in the last frame, so GTK's diff
   * of the two frames leaves them alone. */
  for (int i = 0; i < self->tiles_x * self->tiles_y; i++)
    if (self->tiles[i] != NULL)
      gtk_snapshot_append_node (snapshot, self->tiles[i]);
}

static void
gb_display_paintable_snapshot (GdkPaintable *paintable,
                               GdkSnapshot  *snapshot,
                               double        width,
                               double        height)
{
  GbDisplayPaintable *self = GB_DISPLAY_PAINTABLE (paintable);

  if (self->tiles == NULL || self->fb_width <= 0 || self->fb_height <= 0)
    return;

  gb_display_paintable_update (self);
  gtk_snapshot_save (snapshot);
  if (width != self->fb_width || height != self->fb_height)
    gtk_snapshot_scale (snapshot, width / self->fb_width, height / self->fb_height);
  gb_display_paintable_append_tiles (self, snapshot);
  gtk_snapshot_restore (snapshot);
}

static int
gb_display_paintable_get_intrinsic_width (GdkPaintable *paintable)
{
  return GB_DISPLAY_PAINTABLE (paintable)->fb_width;
}

static int
gb_display_paintable_get_intrinsic_height (GdkPaintable *paintable)
{
  return GB_DISPLAY_PAINTABLE (paintable)->fb_height;
}

static void
gb_display_paintable_iface_init (GdkPaintableInterface *iface)
{
  iface->snapshot = gb_display_paintable_snapshot;
  iface->get_intrinsic_width = gb_display_paintable_get_intrinsic_width;
  iface->get_intrinsic_height = gb_display_paintable_get_intrinsic_height;
}

static void
gb_display_paintable_dispose (GObject *object)
{
  gb_display_paintable_set_source (GB_DISPLAY_PAINTABLE (object), NULL);

  G_OBJECT_CLASS (gb_display_paintable_parent_class)->dispose (object);
}

static void
gb_display_paintable_class_init (GbDisplayPaintableClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = gb_display_paintable_dispose;
}

static void
gb_display_paintable_init (GbDisplayPaintable *self)
{
}

GbDisplayPaintable *
gb_display_paintable_new (void)
{
  return g_object_new (GB_TYPE_DISPLAY_PAINTABLE, NULL);
}

/* Draws @source's framebuffer from now on; NULL empties the paintable. */
void
gb_display_paintable_set_source (GbDisplayPaintable *self,
                                 GbDisplaySource    *source)
{
  g_return_if_fail (GB_IS_DISPLAY_PAINTABLE (self));

  if (self->source == source)
    return;

  if (self->source != NULL)
    g_signal_handlers_disconnect_by_data (self->source, self);
  g_set_object (&self->source, source);
  if (source != NULL)
    {
      g_signal_connect (source, "resized", G_CALLBACK (on_source_resized), self);
      g_signal_connect (source, "invalidate", G_CALLBACK (on_source_invalidate), self);
    }

  gb_display_paintable_free_tiles (self);
  if (self->fb_width != 0 || self->fb_height != 0)
    {
      self->fb_width = self->fb_height = 0;
      gdk_paintable_invalidate_size (GDK_PAINTABLE (self));
    }
}

int
gb_display_paintable_get_width (GbDisplayPaintable *self)
{
  return self->fb_width;
}

int
gb_display_paintable_get_height (GbDisplayPaintable *self)
{
  return self->fb_height;
}

/* Whether there is a framebuffer to draw (the source said its size). */
gboolean
gb_display_paintable_has_tiles (GbDisplayPaintable *self)
{
  return self->tiles != NULL;
}

/* Whether every tile has been drawn once: the screen covers its area. */
gboolean
gb_display_paintable_has_all_tiles (GbDisplayPaintable *self)
{
  if (self->tiles == NULL)
    return FALSE;
  for (int i = 0; i < self->tiles_x * self->tiles_y; i++)
    if (self->tiles[i] == NULL)
      return FALSE;
  return TRUE;
}

/**
 * gb_display_paintable_get_screenshot:
 *
 * Returns: (transfer full) (nullable): the guest screen now, at its own size.
 */
GdkTexture *
gb_display_paintable_get_screenshot (GbDisplayPaintable *self)
{
  const guint8 *data;
  int width, height;
  gsize stride;

  if (self->source == NULL)
    return NULL;
  data = gb_display_source_get_framebuffer (self->source, &width, &height, &stride);
  if (data == NULL || width <= 0 || height <= 0)
    return NULL;

  return texture_from_framebuffer (data, stride, 0, 0, width, height);
}

/* The tiles as GTK draws them, rendered 1:1 by @renderer (tests). */
GdkTexture *
gb_display_paintable_render_texture (GbDisplayPaintable *self,
                                     GskRenderer        *renderer)
{
  g_autoptr(GskRenderNode) node = NULL;
  GtkSnapshot *snapshot;

  if (self->tiles == NULL)
    return NULL;

  gb_display_paintable_update (self);
  snapshot = gtk_snapshot_new ();
  gb_display_paintable_append_tiles (self, snapshot);
  node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    return NULL;

  return gsk_renderer_render_texture (renderer, node,
                                      &GRAPHENE_RECT_INIT (0, 0, self->fb_width, self->fb_height));
}

/* Frames drawn with at least one re-uploaded tile. */
guint64
gb_display_paintable_get_frame_count (GbDisplayPaintable *self)
{
  return self->frames;
}

/* Tile uploads since the paintable was made. */
guint64
gb_display_paintable_get_tile_uploads (GbDisplayPaintable *self)
{
  return self->tile_uploads;
}
