/* gb-display.c: one GTK4 widget for every graphical console (VNC, SPICE)
 *
 * The widget draws the guest's framebuffer itself.  GTK 4.8 has no texture
 * builders and no way to update part of a texture, so the framebuffer is cut
 * into 128×128 tiles, each its own render node; when the source says a
 * rectangle changed, only the tiles it touches are copied and re-created at
 * the next frame, and GTK redraws only those.
 *
 * Keys go to the guest as scan codes computed from the hardware keycode
 * (gb-keymap.c), never from keysyms alone, so the guest's own layout applies.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#include <adwaita.h>
#include <glib/gi18n-lib.h>

#include "gb-display-private.h"
#include "gb-keymap.h"
#include "gb-spice-source.h"
#include "gb-vnc-source.h"

#define TILE_SIZE 128
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

  /* framebuffer tiles */
  int                 fb_width;
  int                 fb_height;
  int                 tiles_x;
  int                 tiles_y;
  GskRenderNode     **tiles;
  gboolean           *dirty;
  gboolean            any_dirty;
  guint64             frames;
  guint64             tile_uploads;

  /* input */
  GbDisplayScaleMode  scale_mode;
  GbDisplayButtons    buttons;
  double              last_x;
  double              last_y;
  gboolean            have_last;
  guint8              keys_down[GB_KEYMAP_EVDEV_OFFSET + 256];
  char               *release_accel;
  guint               release_keyval;
  GdkModifierType     release_mods;
  gboolean            pointer_inside;
  gboolean            grabbed;
  gboolean            released_by_user;
  guint               hint_timeout;

  /* guest side extras */
  gboolean            resize_guest;
  gboolean            reconnect;
  guint               resize_source;
  char               *clipboard_from_guest;
  GtkWidget          *password_dialog;
};

G_DEFINE_FINAL_TYPE (GbDisplay, gb_display, GTK_TYPE_WIDGET)

G_DEFINE_ENUM_TYPE (GbDisplayScaleMode, gb_display_scale_mode,
  G_DEFINE_ENUM_VALUE (GB_DISPLAY_SCALE_FIT, "fit"),
  G_DEFINE_ENUM_VALUE (GB_DISPLAY_SCALE_ORIGINAL, "original"))

G_DEFINE_QUARK (gb-display-error-quark, gb_display_error)

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
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void gb_display_start (GbDisplay *self);
static void gb_display_set_grabbed (GbDisplay *self, gboolean grabbed);

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

static void
gb_display_set_state (GbDisplay      *self,
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
    gb_display_set_grabbed (self, FALSE);
  gb_display_update_status (self);
  /* Tiles are only drawn while connected: whatever piled up shows now. */
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_thaw_notify (G_OBJECT (self));
}

/* ------------------------------------------------------------------------ */
/* Tiles                                                                    */

static void
gb_display_free_tiles (GbDisplay *self)
{
  for (int i = 0; i < self->tiles_x * self->tiles_y; i++)
    g_clear_pointer (&self->tiles[i], gsk_render_node_unref);
  g_clear_pointer (&self->tiles, g_free);
  g_clear_pointer (&self->dirty, g_free);
  self->tiles_x = self->tiles_y = 0;
}

static void
on_source_resized (GbDisplaySource *source,
                   int              width,
                   int              height,
                   GbDisplay       *self)
{
  gboolean changed = width != self->fb_width || height != self->fb_height;

  gb_display_free_tiles (self);
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
    {
      g_object_freeze_notify (G_OBJECT (self));
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GUEST_WIDTH]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GUEST_HEIGHT]);
      g_object_thaw_notify (G_OBJECT (self));
      gtk_widget_queue_resize (GTK_WIDGET (self));
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_source_invalidate (GbDisplaySource *source,
                      int              x,
                      int              y,
                      int              width,
                      int              height,
                      GbDisplay       *self)
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
      gtk_widget_queue_draw (GTK_WIDGET (self));
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

static void
gb_display_upload_tiles (GbDisplay *self)
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
gb_display_append_tiles (GbDisplay   *self,
                         GtkSnapshot *snapshot)
{
  /* Unchanged tiles are the same nodes as in the last frame, so GTK's diff
   * of the two frames leaves them alone. */
  for (int i = 0; i < self->tiles_x * self->tiles_y; i++)
    if (self->tiles[i] != NULL)
      gtk_snapshot_append_node (snapshot, self->tiles[i]);
}

/* Where the guest screen sits in the widget: offset and scale. */
static void
gb_display_get_placement (GbDisplay *self,
                          double    *x,
                          double    *y,
                          double    *scale)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self));
  int height = gtk_widget_get_height (GTK_WIDGET (self));
  double s = 1.0;

  if (self->fb_width <= 0 || self->fb_height <= 0)
    {
      *x = *y = 0;
      *scale = 1.0;
      return;
    }

  if (self->scale_mode == GB_DISPLAY_SCALE_FIT)
    s = MIN ((double) width / self->fb_width, (double) height / self->fb_height);
  if (s <= 0)
    s = 1.0;

  /* Whole pixels keep 1:1 drawing sharp. */
  *x = floor (MAX (0, (width - self->fb_width * s) / 2));
  *y = floor (MAX (0, (height - self->fb_height * s) / 2));
  *scale = s;
}

/* ------------------------------------------------------------------------ */
/* GtkWidget                                                                */

static gboolean
gb_display_has_all_tiles (GbDisplay *self)
{
  if (self->tiles == NULL)
    return FALSE;
  for (int i = 0; i < self->tiles_x * self->tiles_y; i++)
    if (self->tiles[i] == NULL)
      return FALSE;
  return TRUE;
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

static void
gb_display_snapshot (GtkWidget   *widget,
                     GtkSnapshot *snapshot)
{
  GbDisplay *self = GB_DISPLAY (widget);
  double x, y, scale;

  if (self->state == GB_DISPLAY_STATE_CONNECTED && self->tiles != NULL)
    {
      gb_display_upload_tiles (self);
      gb_display_get_placement (self, &x, &y, &scale);

      /* Scaled, tile edges fall between pixels and blend with what is
       * under them: keep black under the whole screen then. */
      gb_display_append_background (self, snapshot,
                                    scale == 1.0 && gb_display_has_all_tiles (self)
                                    ? &GRAPHENE_RECT_INIT (x, y,
                                                           self->fb_width * scale,
                                                           self->fb_height * scale)
                                    : NULL);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
      gtk_snapshot_scale (snapshot, scale, scale);
      gb_display_append_tiles (self, snapshot);
      gtk_snapshot_restore (snapshot);
    }
  else
    gb_display_append_background (self, snapshot, NULL);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    gtk_widget_snapshot_child (widget, child, snapshot);
}

static void
gb_display_measure (GtkWidget      *widget,
                    GtkOrientation  orientation,
                    int             for_size,
                    int            *minimum,
                    int            *natural,
                    int            *minimum_baseline,
                    int            *natural_baseline)
{
  GbDisplay *self = GB_DISPLAY (widget);
  int fb = orientation == GTK_ORIENTATION_HORIZONTAL ? self->fb_width : self->fb_height;

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

static void
gb_display_size_allocate (GtkWidget *widget,
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
      (width != self->fb_width || height != self->fb_height))
    {
      g_clear_handle_id (&self->resize_source, g_source_remove);
      self->resize_source = g_timeout_add (RESIZE_GUEST_DELAY_MS, gb_display_resize_guest_cb, self);
    }
}


/* ------------------------------------------------------------------------ */
/* Keyboard grab                                                            */

static void
gb_display_update_hint (GbDisplay *self)
{
  g_autofree char *label = gtk_accelerator_get_label (self->release_keyval, self->release_mods);
  g_autofree char *text = g_strdup_printf (_("Press %s to release the keyboard"), label);

  gtk_label_set_text (GTK_LABEL (self->hint_label), text);
}

static gboolean
hide_hint_cb (gpointer data)
{
  GbDisplay *self = data;

  self->hint_timeout = 0;
  gtk_revealer_set_reveal_child (GTK_REVEALER (self->hint_revealer), FALSE);
  return G_SOURCE_REMOVE;
}

static void
gb_display_set_grabbed (GbDisplay *self,
                        gboolean   grabbed)
{
  GtkNative *native = gtk_widget_get_native (GTK_WIDGET (self));
  GdkSurface *surface = native ? gtk_native_get_surface (native) : NULL;

  grabbed = !!grabbed;
  if (grabbed == self->grabbed)
    return;
  if (grabbed && !GDK_IS_TOPLEVEL (surface))
    return;

  self->grabbed = grabbed;
  g_clear_handle_id (&self->hint_timeout, g_source_remove);
  if (grabbed)
    {
      /* Alt+Tab, Super and friends go to the guest while the pointer is in. */
      gdk_toplevel_inhibit_system_shortcuts (GDK_TOPLEVEL (surface), NULL);
      gtk_revealer_set_reveal_child (GTK_REVEALER (self->hint_revealer), TRUE);
      self->hint_timeout = g_timeout_add (HINT_TIMEOUT_MS, hide_hint_cb, self);
    }
  else
    {
      if (GDK_IS_TOPLEVEL (surface))
        gdk_toplevel_restore_system_shortcuts (GDK_TOPLEVEL (surface));
      gtk_revealer_set_reveal_child (GTK_REVEALER (self->hint_revealer), FALSE);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GRABBED]);
}

static void
gb_display_maybe_grab (GbDisplay *self)
{
  if (self->pointer_inside && !self->released_by_user &&
      self->state == GB_DISPLAY_STATE_CONNECTED &&
      gtk_widget_has_focus (GTK_WIDGET (self)))
    gb_display_set_grabbed (self, TRUE);
}

void
gb_display_release_grab (GbDisplay *self)
{
  g_return_if_fail (GB_IS_DISPLAY (self));

  if (self->grabbed)
    self->released_by_user = TRUE;
  gb_display_set_grabbed (self, FALSE);
}

static GdkModifierType
modifier_of_keyval (guint keyval)
{
  switch (keyval)
    {
    case GDK_KEY_Control_L: case GDK_KEY_Control_R:
      return GDK_CONTROL_MASK;
    case GDK_KEY_Alt_L: case GDK_KEY_Alt_R: case GDK_KEY_Meta_L: case GDK_KEY_Meta_R:
      return GDK_ALT_MASK;
    case GDK_KEY_Shift_L: case GDK_KEY_Shift_R:
      return GDK_SHIFT_MASK;
    case GDK_KEY_Super_L: case GDK_KEY_Super_R:
      return GDK_SUPER_MASK;
    default:
      return 0;
    }
}

/* TRUE when this key press completes the release combination. */
static gboolean
is_release_combination (GbDisplay       *self,
                        guint            keyval,
                        GdkModifierType  state)
{
  GdkModifierType mask = GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SHIFT_MASK | GDK_SUPER_MASK;
  GdkModifierType mods = state & mask;

  if (self->release_mods == 0 && self->release_keyval == 0)
    return FALSE;

  if (self->release_keyval == 0)
    return modifier_of_keyval (keyval) != 0 &&
           (mods | modifier_of_keyval (keyval)) == self->release_mods;

  return gdk_keyval_to_lower (keyval) == gdk_keyval_to_lower (self->release_keyval) &&
         mods == self->release_mods;
}

/* ------------------------------------------------------------------------ */
/* Input                                                                    */

static void
gb_display_release_keys (GbDisplay *self)
{
  for (guint evdev = 0; evdev < G_N_ELEMENTS (self->keys_down); evdev++)
    {
      if (!self->keys_down[evdev])
        continue;
      self->keys_down[evdev] = FALSE;
      if (self->source != NULL)
        gb_display_source_key (self->source, evdev, 0, FALSE);
    }
}

static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GbDisplay             *self)
{
  guint evdev;

  if (self->source == NULL || self->state != GB_DISPLAY_STATE_CONNECTED)
    return FALSE;

  if (is_release_combination (self, keyval, state))
    {
      gb_display_release_grab (self);
      if (self->release_keyval != 0)
        return TRUE;
    }

  if (keycode < GB_KEYMAP_EVDEV_OFFSET)
    return FALSE;
  evdev = keycode - GB_KEYMAP_EVDEV_OFFSET;
  if (evdev >= G_N_ELEMENTS (self->keys_down))
    return FALSE;

  self->keys_down[evdev] = TRUE;
  gb_display_source_key (self->source, evdev, keyval, TRUE);
  return TRUE;
}

static void
on_key_released (GtkEventControllerKey *controller,
                 guint                  keyval,
                 guint                  keycode,
                 GdkModifierType        state,
                 GbDisplay             *self)
{
  guint evdev;

  if (self->source == NULL || keycode < GB_KEYMAP_EVDEV_OFFSET)
    return;
  evdev = keycode - GB_KEYMAP_EVDEV_OFFSET;
  if (evdev >= G_N_ELEMENTS (self->keys_down) || !self->keys_down[evdev])
    return;

  self->keys_down[evdev] = FALSE;
  gb_display_source_key (self->source, evdev, keyval, FALSE);
}

static void
on_focus_enter (GtkEventControllerFocus *controller,
                GbDisplay               *self)
{
  gb_display_maybe_grab (self);
}

static void
on_focus_leave (GtkEventControllerFocus *controller,
                GbDisplay               *self)
{
  /* Keys held when focus goes elsewhere would stay down in the guest. */
  gb_display_release_keys (self);
  gb_display_set_grabbed (self, FALSE);
}

static void
on_pointer_enter (GtkEventControllerMotion *controller,
                  double                    x,
                  double                    y,
                  GbDisplay                *self)
{
  self->pointer_inside = TRUE;
  self->have_last = FALSE;
  gb_display_maybe_grab (self);
}

static void
on_pointer_leave (GtkEventControllerMotion *controller,
                  GbDisplay                *self)
{
  self->pointer_inside = FALSE;
  self->released_by_user = FALSE;
  gb_display_set_grabbed (self, FALSE);
}

static void
gb_display_send_pointer (GbDisplay *self,
                         double     wx,
                         double     wy)
{
  double ox, oy, scale, gx, gy;

  if (self->source == NULL || self->state != GB_DISPLAY_STATE_CONNECTED)
    return;

  gb_display_get_placement (self, &ox, &oy, &scale);
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
                 GbDisplay                *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  GdkEventType type = gdk_event_get_event_type (event);
  GtkNative *native;
  double sx, sy, nx, ny, wx, wy;

  if (type != GDK_BUTTON_PRESS && type != GDK_BUTTON_RELEASE &&
      type != GDK_MOTION_NOTIFY && type != GDK_SCROLL)
    return FALSE;
  if (self->source == NULL || self->state != GB_DISPLAY_STATE_CONNECTED)
    return FALSE;

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
            self->released_by_user = FALSE;
            gtk_widget_grab_focus (widget);
            gb_display_maybe_grab (self);
          }
        else
          {
            self->buttons &= ~mask;
          }
        gb_display_send_pointer (self, wx, wy);
        return TRUE;
      }

    case GDK_MOTION_NOTIFY:
      gb_display_send_pointer (self, wx, wy);
      return TRUE;

    case GDK_SCROLL:
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

    default:
      return FALSE;
    }
}

/* ------------------------------------------------------------------------ */
/* Source signals                                                           */

static void
on_source_cursor (GbDisplaySource *source,
                  GdkTexture      *texture,
                  int              hot_x,
                  int              hot_y,
                  GbDisplay       *self)
{
  g_autoptr(GdkCursor) cursor = NULL;

  if (texture != NULL)
    cursor = gdk_cursor_new_from_texture (texture, hot_x, hot_y, NULL);
  gtk_widget_set_cursor (GTK_WIDGET (self), cursor);
}

static void
on_source_clipboard (GbDisplaySource *source,
                     const char      *text,
                     GbDisplay       *self)
{
  g_free (self->clipboard_from_guest);
  self->clipboard_from_guest = g_strdup (text);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), text);
}

static void
clipboard_read_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      data)
{
  g_autoptr(GbDisplay) self = data;
  g_autofree char *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, NULL);

  if (text != NULL && self->source != NULL && g_strcmp0 (text, self->clipboard_from_guest) != 0)
    gb_display_source_send_clipboard (self->source, text);
}

static void
on_clipboard_changed (GdkClipboard *clipboard,
                      GbDisplay    *self)
{
  /* What the guest put there needs no trip back. */
  if (gdk_clipboard_is_local (clipboard) || self->source == NULL)
    return;
  gdk_clipboard_read_text_async (clipboard, NULL, clipboard_read_cb, g_object_ref (self));
}

static void
on_password_response (AdwMessageDialog *dialog,
                      const char       *response,
                      GbDisplay        *self)
{
  GtkWidget *entry = adw_message_dialog_get_extra_child (dialog);

  if (g_strcmp0 (response, "connect") == 0 && self->source != NULL)
    {
      gb_display_source_set_password (self->source, gtk_editable_get_text (GTK_EDITABLE (entry)));
    }
  else if (self->source != NULL)
    {
      gb_display_source_disconnect (self->source);
      gb_display_set_state (self, GB_DISPLAY_STATE_ERROR, _("No password was given."));
    }
  self->password_dialog = NULL;
}

static void
on_source_need_password (GbDisplaySource *source,
                         GbDisplay       *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *entry;

  if (self->password_dialog != NULL)
    return;

  self->password_dialog =
    adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                            _("Password Required"),
                            _("This machine's console is protected by a password."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (self->password_dialog),
                                    "cancel", _("_Cancel"),
                                    "connect", _("C_onnect"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (self->password_dialog),
                                              "connect", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (self->password_dialog), "connect");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (self->password_dialog), "cancel");

  /* A plain entry: GTK 4.8's GtkPasswordEntry leaves a caps-lock handler
   * behind when its window is destroyed. */
  entry = gtk_entry_new ();
  gtk_entry_set_visibility (GTK_ENTRY (entry), FALSE);
  gtk_entry_set_input_purpose (GTK_ENTRY (entry), GTK_INPUT_PURPOSE_PASSWORD);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Password"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (self->password_dialog), entry);

  g_signal_connect (self->password_dialog, "response", G_CALLBACK (on_password_response), self);
  gtk_window_present (GTK_WINDOW (self->password_dialog));
}

static gboolean
reconnect_cb (gpointer data)
{
  GbDisplay *self = data;

  self->reconnect_source = 0;
  gb_display_start (self);
  return G_SOURCE_REMOVE;
}

static void
gb_display_schedule_reconnect (GbDisplay *self)
{
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  self->reconnect_source = g_timeout_add (self->reconnect_delay, reconnect_cb, self);
  self->reconnect_delay = MIN (self->reconnect_delay * 2, RECONNECT_MAX_MS);
}

static void
on_source_state (GbDisplaySource *source,
                 GParamSpec      *pspec,
                 GbDisplay       *self)
{
  const char *error = gb_display_source_get_error (source);

  switch (gb_display_source_get_state (source))
    {
    case GB_DISPLAY_STATE_CONNECTED:
      self->ever_connected = TRUE;
      self->reconnect_delay = RECONNECT_MIN_MS;
      gb_display_set_state (self, GB_DISPLAY_STATE_CONNECTED, NULL);
      gb_display_maybe_grab (self);
      break;

    case GB_DISPLAY_STATE_CONNECTING:
      gb_display_set_state (self, GB_DISPLAY_STATE_CONNECTING, NULL);
      break;

    case GB_DISPLAY_STATE_ERROR:
      gb_display_set_state (self, GB_DISPLAY_STATE_ERROR, error);
      break;

    case GB_DISPLAY_STATE_DISCONNECTED:
    default:
      gb_display_release_keys (self);
      if (self->reconnect && self->ever_connected)
        {
          /* A reboot or a restart of the machine: the server comes back. */
          gb_display_set_state (self, GB_DISPLAY_STATE_CONNECTING, NULL);
          gb_display_schedule_reconnect (self);
        }
      else if (error != NULL)
        {
          gb_display_set_state (self, GB_DISPLAY_STATE_ERROR, error);
        }
      else
        {
          gb_display_set_state (self, GB_DISPLAY_STATE_ERROR,
                                _("Could not connect to the machine's console."));
        }
      break;
    }
}

/* ------------------------------------------------------------------------ */
/* Opening                                                                  */

static void
gb_display_drop_source (GbDisplay *self)
{
  if (self->source == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->source, self);
  gb_display_source_disconnect (self->source);
  g_clear_object (&self->source);

  gb_display_free_tiles (self);
  if (self->fb_width != 0 || self->fb_height != 0)
    {
      self->fb_width = self->fb_height = 0;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GUEST_WIDTH]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GUEST_HEIGHT]);
      gtk_widget_queue_resize (GTK_WIDGET (self));
    }
  gtk_widget_set_cursor (GTK_WIDGET (self), NULL);
}

static GbDisplaySource *
source_for_uri (const char  *text,
                GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  const char *scheme;

  if (uri == NULL)
    goto invalid;
  scheme = g_uri_get_scheme (uri);

  if (g_str_equal (scheme, "vnc") && g_uri_get_host (uri) != NULL)
    {
      int port = g_uri_get_port (uri);
      g_autofree char *port_str = g_strdup_printf ("%d", port > 0 ? port : 5900);

      return gb_vnc_source_new_host (g_uri_get_host (uri), port_str);
    }
  if (g_str_equal (scheme, "vnc+unix") && *g_uri_get_path (uri) == '/')
    return gb_vnc_source_new_unix (g_uri_get_path (uri));
  if (g_str_equal (scheme, "spice") || g_str_equal (scheme, "spice+unix"))
    return gb_spice_source_new_uri (text);

invalid:
  g_set_error (error, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_INVALID_URI,
               _("“%s” is not a console address (vnc://, vnc+unix://, spice:// or spice+unix://)."),
               text);
  return NULL;
}

/* Shows why there is nothing to show.  An off machine is not watched here:
 * whoever follows the machine's "state" (GbConsoleView) opens it again. */
static void
gb_display_fail (GbDisplay    *self,
                 const GError *error)
{
  if (g_error_matches (error, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_NOT_RUNNING))
    gb_display_set_state (self, GB_DISPLAY_STATE_DISCONNECTED, error->message);
  else
    gb_display_set_state (self, GB_DISPLAY_STATE_ERROR, error->message);
}

static void
gb_display_attach (GbDisplay       *self,
                   GbDisplaySource *source)
{
  self->source = source;
  g_signal_connect (source, "notify::state", G_CALLBACK (on_source_state), self);
  g_signal_connect (source, "resized", G_CALLBACK (on_source_resized), self);
  g_signal_connect (source, "invalidate", G_CALLBACK (on_source_invalidate), self);
  g_signal_connect (source, "cursor", G_CALLBACK (on_source_cursor), self);
  g_signal_connect (source, "need-password", G_CALLBACK (on_source_need_password), self);
  g_signal_connect (source, "clipboard", G_CALLBACK (on_source_clipboard), self);

  if (self->password != NULL)
    gb_display_source_set_password (source, self->password);
  gb_display_source_connect (source);
}

static gboolean
machine_is_running (GbMachine *machine)
{
  switch (gb_machine_get_state (machine))
    {
    case GB_MACHINE_STATE_RUNNING:
    case GB_MACHINE_STATE_PAUSED:
    case GB_MACHINE_STATE_SHUTTING_DOWN:
      return TRUE;
    default:
      return FALSE;
    }
}

static void
open_graphics_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      data)
{
  GbMachine *machine = GB_MACHINE (object);
  g_autoptr(GTask) task = data;
  g_autoptr(GError) error = NULL;
  GbDisplay *self = g_task_get_source_object (task);
  GbDisplaySource *source;
  int fd;

  fd = gb_machine_open_graphics_finish (machine, result, &error);
  if (g_cancellable_is_cancelled (g_object_get_data (G_OBJECT (task), "gb-cancellable")))
    {
      /* Closed or reopened meanwhile: nothing of this is ours any more. */
      if (fd >= 0)
        close (fd);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "The display was closed");
      return;
    }

  if (fd < 0)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
        {
          /* Not a failure of this machine: this kind cannot show a screen. */
          g_clear_error (&error);
          g_set_error (&error, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_NO_GRAPHICS,
                       _("Glassbox cannot show this machine’s screen. Its serial console may still work."));
        }
      else
        {
          g_autoptr(GError) wrapped = NULL;

          g_set_error (&wrapped, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_FAILED, "%s", error->message);
          g_clear_error (&error);
          error = g_steal_pointer (&wrapped);
        }
      gb_display_fail (self, error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (gb_machine_get_graphics_protocol (machine) == GB_GRAPHICS_PROTOCOL_SPICE)
    source = gb_spice_source_new_machine (machine, fd);
  else
    source = gb_vnc_source_new_fd (fd);
  gb_display_attach (self, source);
  g_task_return_boolean (task, TRUE);
}

/* Asks the machine for a connection to its screen; @task completes when the
 * connection has started or failed. */
static void
gb_display_open_machine_with_task (GbDisplay *self,
                                   GTask     *task)
{
  g_autoptr(GError) error = NULL;

  if (!machine_is_running (self->machine))
    g_set_error (&error, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_NOT_RUNNING,
                 _("The machine is off. Start it to see its screen."));
  else if (gb_machine_get_graphics_protocol (self->machine) == GB_GRAPHICS_PROTOCOL_NONE)
    g_set_error (&error, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_NO_GRAPHICS,
                 _("This machine has no graphical display. Its serial console may still work."));

  if (error != NULL)
    {
      gb_display_fail (self, error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  gb_display_set_state (self, GB_DISPLAY_STATE_CONNECTING, NULL);
  g_object_set_data_full (G_OBJECT (task), "gb-cancellable",
                          g_object_ref (self->cancellable), g_object_unref);
  gb_machine_open_graphics_async (self->machine, self->cancellable, open_graphics_cb,
                                  g_object_ref (task));
}

/* (Re)connects to the current target.  @open_task, if any, completes when
 * the connection has started or failed. */
static void
gb_display_start_with_task (GbDisplay *self,
                            GTask     *open_task)
{
  g_autoptr(GError) error = NULL;

  gb_display_drop_source (self);

  if (self->target == TARGET_URI)
    {
      GbDisplaySource *source = source_for_uri (self->uri, &error);

      if (source == NULL)
        gb_display_fail (self, error);
      else
        gb_display_attach (self, source);
    }
  else if (self->target == TARGET_MACHINE)
    {
      g_autoptr(GTask) task = open_task ? g_object_ref (open_task)
                                        : g_task_new (self, NULL, NULL, NULL);

      gb_display_open_machine_with_task (self, task);
    }
}

static void
gb_display_start (GbDisplay *self)
{
  gb_display_start_with_task (self, NULL);
}

/**
 * gb_display_open_uri:
 * @uri: vnc://HOST:PORT, vnc+unix:///PATH, spice://HOST:PORT or
 *   spice+unix:///PATH
 *
 * Connects to a console.  Progress and failures show in the "state" and
 * "error" properties; a FALSE return only means @uri is not a console
 * address.
 */
gboolean
gb_display_open_uri (GbDisplay   *self,
                     const char  *uri,
                     GError     **error)
{
  g_autoptr(GbDisplaySource) probe = NULL;

  g_return_val_if_fail (GB_IS_DISPLAY (self), FALSE);
  g_return_val_if_fail (uri != NULL, FALSE);

  probe = source_for_uri (uri, error);
  if (probe == NULL)
    return FALSE;

  gb_display_close (self);
  self->target = TARGET_URI;
  self->uri = g_strdup (uri);
  gb_display_start (self);
  return TRUE;
}

/**
 * gb_display_open_machine_async:
 *
 * Shows @machine's screen: asks it for a connection
 * (gb_machine_open_graphics_async(), once more per SPICE channel) and draws
 * what its protocol sends.  Completes when the connection has started, or
 * with a GB_DISPLAY_ERROR when the machine is off or has no screen; either
 * way the reason is on screen and in "error".  The display does not watch
 * the machine: open it again when it starts (GbConsoleView does).
 */
void
gb_display_open_machine_async (GbDisplay           *self,
                               GbMachine           *machine,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (GB_IS_DISPLAY (self));
  g_return_if_fail (GB_IS_MACHINE (machine));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gb_display_open_machine_async);

  gb_display_close (self);
  self->target = TARGET_MACHINE;
  self->machine = g_object_ref (machine);
  gb_display_start_with_task (self, task);
}

gboolean
gb_display_open_machine_finish (GbDisplay     *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The same, for callers that only watch "state" and "error". */
void
gb_display_open_machine (GbDisplay *self,
                         GbMachine *machine)
{
  gb_display_open_machine_async (self, machine, NULL, NULL, NULL);
}

void
gb_display_close (GbDisplay *self)
{
  g_return_if_fail (GB_IS_DISPLAY (self));

  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  g_clear_handle_id (&self->resize_source, g_source_remove);
  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
  if (self->password_dialog != NULL)
    {
      GtkWidget *dialog = g_steal_pointer (&self->password_dialog);

      g_signal_handlers_disconnect_by_data (dialog, self);
      gtk_window_destroy (GTK_WINDOW (dialog));
    }
  gb_display_release_keys (self);
  gb_display_drop_source (self);
  self->target = TARGET_NONE;
  g_clear_pointer (&self->uri, g_free);
  g_clear_object (&self->machine);
  self->ever_connected = FALSE;
  self->reconnect_delay = RECONNECT_MIN_MS;
  gb_display_set_state (self, GB_DISPLAY_STATE_DISCONNECTED, NULL);
}

/* ------------------------------------------------------------------------ */
/* Send keys, screenshots                                                   */

static const struct {
  const char *name;
  guint       evdev;
  guint       keyval;
} named_keys[] = {
  { "ctrl", 29, GDK_KEY_Control_L },
  { "alt", 56, GDK_KEY_Alt_L },
  { "shift", 42, GDK_KEY_Shift_L },
  { "del", 111, GDK_KEY_Delete },
  { "backspace", 14, GDK_KEY_BackSpace },
  { "print", 99, GDK_KEY_Print },
  { "f1", 59, GDK_KEY_F1 }, { "f2", 60, GDK_KEY_F2 }, { "f3", 61, GDK_KEY_F3 },
  { "f4", 62, GDK_KEY_F4 }, { "f5", 63, GDK_KEY_F5 }, { "f6", 64, GDK_KEY_F6 },
  { "f7", 65, GDK_KEY_F7 }, { "f8", 66, GDK_KEY_F8 }, { "f9", 67, GDK_KEY_F9 },
  { "f10", 68, GDK_KEY_F10 }, { "f11", 87, GDK_KEY_F11 }, { "f12", 88, GDK_KEY_F12 },
};

/**
 * gb_display_send_keys:
 * @combo: keys joined by "-", pressed in order and released in reverse:
 *   "ctrl-alt-del", "ctrl-alt-backspace", "ctrl-alt-f1" … "ctrl-alt-f12",
 *   "print"
 *
 * Returns: FALSE if @combo names an unknown key or nothing is connected.
 */
gboolean
gb_display_send_keys (GbDisplay  *self,
                      const char *combo)
{
  g_auto(GStrv) names = NULL;
  guint count;
  guint index[8];

  g_return_val_if_fail (GB_IS_DISPLAY (self), FALSE);
  g_return_val_if_fail (combo != NULL, FALSE);

  names = g_strsplit (combo, "-", -1);
  count = g_strv_length (names);
  if (count == 0 || count > G_N_ELEMENTS (index))
    return FALSE;

  for (guint i = 0; i < count; i++)
    {
      guint k;

      for (k = 0; k < G_N_ELEMENTS (named_keys); k++)
        if (g_ascii_strcasecmp (names[i], named_keys[k].name) == 0)
          break;
      if (k == G_N_ELEMENTS (named_keys))
        return FALSE;
      index[i] = k;
    }

  if (self->source == NULL || self->state != GB_DISPLAY_STATE_CONNECTED)
    return FALSE;

  for (guint i = 0; i < count; i++)
    gb_display_source_key (self->source, named_keys[index[i]].evdev, named_keys[index[i]].keyval, TRUE);
  for (guint i = count; i > 0; i--)
    gb_display_source_key (self->source, named_keys[index[i - 1]].evdev, named_keys[index[i - 1]].keyval, FALSE);

  return TRUE;
}

/**
 * gb_display_get_screenshot:
 *
 * Returns: (transfer full) (nullable): the guest screen now, at its own size.
 */
GdkTexture *
gb_display_get_screenshot (GbDisplay *self)
{
  const guint8 *data;
  int width, height;
  gsize stride;

  g_return_val_if_fail (GB_IS_DISPLAY (self), NULL);

  if (self->source == NULL)
    return NULL;
  data = gb_display_source_get_framebuffer (self->source, &width, &height, &stride);
  if (data == NULL || width <= 0 || height <= 0)
    return NULL;

  return texture_from_framebuffer (data, stride, 0, 0, width, height);
}

gboolean
gb_display_save_screenshot (GbDisplay   *self,
                            const char  *path,
                            GError     **error)
{
  g_autoptr(GdkTexture) texture = NULL;

  g_return_val_if_fail (GB_IS_DISPLAY (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  texture = gb_display_get_screenshot (self);
  if (texture == NULL)
    {
      g_set_error (error, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_FAILED,
                   _("There is no screen to save."));
      return FALSE;
    }
  if (!gdk_texture_save_to_png (texture, path))
    {
      g_set_error (error, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_FAILED,
                   _("Could not write “%s”."), path);
      return FALSE;
    }
  return TRUE;
}

static void
screenshot_response_cb (GtkNativeDialog *chooser,
                        int              response,
                        GbDisplay       *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;

      if (path == NULL || !gb_display_save_screenshot (self, path, &error))
        g_warning ("Screenshot: %s", error ? error->message : "not a local file");
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  g_object_unref (self);
}

static void
screenshot_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  GbDisplay *self = GB_DISPLAY (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *chooser;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%d %H-%M-%S");
  g_autofree char *name = g_strdup_printf (_("Screenshot %s.png"), stamp);

  if (self->source == NULL)
    return;

  chooser = gtk_file_chooser_native_new (_("Save Screenshot"),
                                         GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_signal_connect (chooser, "response", G_CALLBACK (screenshot_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
send_keys_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  gb_display_send_keys (GB_DISPLAY (widget), g_variant_get_string (parameter, NULL));
}

static void
release_grab_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  gb_display_release_grab (GB_DISPLAY (widget));
}

/* ------------------------------------------------------------------------ */
/* GObject                                                                  */

static void
gb_display_realize (GtkWidget *widget)
{
  GbDisplay *self = GB_DISPLAY (widget);

  GTK_WIDGET_CLASS (gb_display_parent_class)->realize (widget);

  g_signal_connect (gtk_widget_get_clipboard (widget), "changed",
                    G_CALLBACK (on_clipboard_changed), self);
}

static void
gb_display_unrealize (GtkWidget *widget)
{
  GbDisplay *self = GB_DISPLAY (widget);

  gb_display_set_grabbed (self, FALSE);
  g_signal_handlers_disconnect_by_func (gtk_widget_get_clipboard (widget),
                                        on_clipboard_changed, self);

  GTK_WIDGET_CLASS (gb_display_parent_class)->unrealize (widget);
}

static void
gb_display_dispose (GObject *object)
{
  GbDisplay *self = GB_DISPLAY (object);

  gb_display_close (self);
  g_clear_handle_id (&self->hint_timeout, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), GB_TYPE_DISPLAY);

  G_OBJECT_CLASS (gb_display_parent_class)->dispose (object);
}

static void
gb_display_finalize (GObject *object)
{
  GbDisplay *self = GB_DISPLAY (object);

  g_clear_pointer (&self->error, g_free);
  g_clear_pointer (&self->password, g_free);
  g_clear_pointer (&self->release_accel, g_free);
  g_clear_pointer (&self->clipboard_from_guest, g_free);

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
      g_value_set_boolean (value, self->grabbed);
      break;
    case PROP_RELEASE_ACCEL:
      g_value_set_string (value, self->release_accel);
      break;
    case PROP_RESIZE_GUEST:
      g_value_set_boolean (value, self->resize_guest);
      break;
    case PROP_RECONNECT:
      g_value_set_boolean (value, self->reconnect);
      break;
    case PROP_GUEST_WIDTH:
      g_value_set_int (value, self->fb_width);
      break;
    case PROP_GUEST_HEIGHT:
      g_value_set_int (value, self->fb_height);
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

  widget_class->snapshot = gb_display_snapshot;
  widget_class->measure = gb_display_measure;
  widget_class->size_allocate = gb_display_size_allocate;
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
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_install_action (widget_class, "display.send-keys", "s", send_keys_action);
  gtk_widget_class_install_action (widget_class, "display.screenshot", NULL, screenshot_action);
  gtk_widget_class_install_action (widget_class, "display.release-grab", NULL, release_grab_action);
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
  GtkEventController *controller;

  g_type_ensure (ADW_TYPE_STATUS_PAGE);
  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Machine screen"),
                                  -1);

  self->reconnect = TRUE;
  self->resize_guest = TRUE;
  self->reconnect_delay = RECONNECT_MIN_MS;
  gb_display_set_release_accel (self, "<Control><Alt>");
  gb_display_update_status (self);

  controller = gtk_event_controller_key_new ();
  g_signal_connect (controller, "key-pressed", G_CALLBACK (on_key_pressed), self);
  g_signal_connect (controller, "key-released", G_CALLBACK (on_key_released), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_focus_new ();
  g_signal_connect (controller, "enter", G_CALLBACK (on_focus_enter), self);
  g_signal_connect (controller, "leave", G_CALLBACK (on_focus_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_motion_new ();
  g_signal_connect (controller, "enter", G_CALLBACK (on_pointer_enter), self);
  g_signal_connect (controller, "leave", G_CALLBACK (on_pointer_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_legacy_new ();
  g_signal_connect (controller, "event", G_CALLBACK (on_legacy_event), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
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
  return self->grabbed;
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
  return self->release_accel;
}

/* @accel: as gtk_accelerator_parse() reads it; modifiers alone are fine
 * ("<Control><Alt>", the default), so is a key ("<Shift>F12"). */
void
gb_display_set_release_accel (GbDisplay  *self,
                              const char *accel)
{
  guint keyval = 0;
  GdkModifierType mods = 0;

  g_return_if_fail (GB_IS_DISPLAY (self));

  if (accel == NULL)
    accel = "<Control><Alt>";
  if (g_strcmp0 (accel, self->release_accel) == 0)
    return;
  if (!gtk_accelerator_parse (accel, &keyval, &mods) || (keyval == 0 && mods == 0))
    {
      g_warning ("Not a key combination: %s", accel);
      return;
    }

  g_free (self->release_accel);
  self->release_accel = g_strdup (accel);
  self->release_keyval = keyval;
  self->release_mods = mods;
  gb_display_update_hint (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RELEASE_ACCEL]);
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
  return self->fb_width;
}

int
gb_display_get_guest_height (GbDisplay *self)
{
  g_return_val_if_fail (GB_IS_DISPLAY (self), 0);
  return self->fb_height;
}

/* ------------------------------------------------------------------------ */
/* Private                                                                  */

GdkTexture *
_gb_display_render_texture (GbDisplay *self)
{
  GtkNative *native = gtk_widget_get_native (GTK_WIDGET (self));
  g_autoptr(GskRenderNode) node = NULL;
  GtkSnapshot *snapshot;

  if (native == NULL || self->tiles == NULL)
    return NULL;

  gb_display_upload_tiles (self);
  snapshot = gtk_snapshot_new ();
  gb_display_append_tiles (self, snapshot);
  node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    return NULL;

  return gsk_renderer_render_texture (gtk_native_get_renderer (native), node,
                                      &GRAPHENE_RECT_INIT (0, 0, self->fb_width, self->fb_height));
}

guint64
_gb_display_get_frame_count (GbDisplay *self)
{
  return self->frames;
}

guint64
_gb_display_get_tile_uploads (GbDisplay *self)
{
  return self->tile_uploads;
}

GbDisplaySource *
_gb_display_get_source (GbDisplay *self)
{
  return self->source;
}

GtkWidget *
_gb_display_get_password_dialog (GbDisplay *self)
{
  return self->password_dialog;
}
