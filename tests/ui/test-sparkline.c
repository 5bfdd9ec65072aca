/* test-sparkline.c — the graph draws what it is given
 *
 * Renders a GbSparkline and reads its pixels back: a sample at the top of
 * the scale puts the line at the top of the right edge (newest on the
 * right), a zero puts it at the bottom; the properties notify once per
 * change.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gtk/gtk.h>

#include "gb-application.h"
#include "gb-sparkline.h"
#include "gb-test-gtk-utils.h"

#define WIDTH 120
#define HEIGHT 40

typedef struct {
  guchar *pixels;   /* B8G8R8A8 premultiplied, as gdk_texture_download() gives */
  gsize   stride;
} Image;

/* Runs the widget's own snapshot and renders it with its window's renderer. */
static Image
render (GtkWidget *sparkline)
{
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (sparkline));
  Image image;

  g_assert_cmpint (gtk_widget_get_width (sparkline), ==, WIDTH);
  g_assert_cmpint (gtk_widget_get_height (sparkline), ==, HEIGHT);

  GTK_WIDGET_GET_CLASS (sparkline)->snapshot (sparkline, snapshot);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, WIDTH, HEIGHT));

  image.stride = WIDTH * 4;
  image.pixels = g_malloc0 (image.stride * HEIGHT);
  gdk_texture_download (texture, image.pixels, image.stride);
  return image;
}

/* The series colour is GNOME blue (53, 132, 228): blue clearly above red. */
static gboolean
is_blue (const Image *image,
         int          x,
         int          y)
{
  const guchar *p = image->pixels + y * image->stride + x * 4;

  return p[3] > 100 && p[0] > p[2] + 60;
}

static gboolean
column_has_blue_in_rows (const Image *image,
                         int          x,
                         int          y_from,
                         int          y_to)
{
  for (int y = y_from; y <= y_to; y++)
    if (is_blue (image, x, y))
      return TRUE;
  return FALSE;
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

static void
test_sparkline_draws_samples (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *sparkline = gb_sparkline_new ();
  double rising[60], falling[60];
  Image image;

  for (guint i = 0; i < 60; i++)
    {
      rising[i] = i * 100.0 / 59;
      falling[i] = 100.0 - rising[i];
    }

  gtk_widget_set_size_request (sparkline, WIDTH, HEIGHT);
  gtk_widget_set_halign (sparkline, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (sparkline, GTK_ALIGN_CENTER);
  gtk_window_set_decorated (GTK_WINDOW (window), FALSE);
  gb_sparkline_set_max_value (GB_SPARKLINE (sparkline), 100);
  gtk_window_set_child (GTK_WINDOW (window), sparkline);
  gtk_window_present (GTK_WINDOW (window));
  gtk_test_widget_wait_for_draw (window);

  /* Rising to 100 %: the newest (right) end is at the top, the oldest
   * (left) at the bottom. */
  gb_sparkline_set_values (GB_SPARKLINE (sparkline), 0, rising, 60);
  image = render (sparkline);
  g_assert_true (column_has_blue_in_rows (&image, WIDTH - 2, 0, 3));
  g_assert_false (column_has_blue_in_rows (&image, WIDTH - 2, HEIGHT / 2, HEIGHT - 4));
  g_assert_true (column_has_blue_in_rows (&image, 1, HEIGHT - 4, HEIGHT - 1));
  g_free (image.pixels);

  /* Falling: the other way round. */
  gb_sparkline_set_values (GB_SPARKLINE (sparkline), 0, falling, 60);
  image = render (sparkline);
  g_assert_true (column_has_blue_in_rows (&image, WIDTH - 2, HEIGHT - 4, HEIGHT - 1));
  g_assert_false (column_has_blue_in_rows (&image, WIDTH - 2, 0, HEIGHT / 2 - 4));
  g_assert_true (column_has_blue_in_rows (&image, 1, 0, 3));
  g_free (image.pixels);

  /* Cleared: no line at all. */
  gb_sparkline_clear (GB_SPARKLINE (sparkline));
  g_assert_cmpuint (gb_sparkline_get_n_values (GB_SPARKLINE (sparkline), 0), ==, 0);
  image = render (sparkline);
  for (int x = 0; x < WIDTH; x++)
    g_assert_false (column_has_blue_in_rows (&image, x, 0, HEIGHT - 1));
  g_free (image.pixels);

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_sparkline_properties (void)
{
  GtkWidget *sparkline = g_object_ref_sink (gb_sparkline_new ());
  guint notified = 0;

  g_signal_connect (sparkline, "notify", G_CALLBACK (count_notify), &notified);

  g_object_set (sparkline, "show-labels", TRUE, NULL);
  g_object_set (sparkline, "show-labels", TRUE, NULL);
  g_assert_cmpuint (notified, ==, 1);

  gb_sparkline_set_format (GB_SPARKLINE (sparkline), GB_SPARKLINE_FORMAT_RATE);
  gb_sparkline_set_format (GB_SPARKLINE (sparkline), GB_SPARKLINE_FORMAT_RATE);
  g_assert_cmpuint (notified, ==, 2);

  gb_sparkline_set_capacity (GB_SPARKLINE (sparkline), 30);
  gb_sparkline_set_max_value (GB_SPARKLINE (sparkline), 10);
  g_assert_cmpuint (notified, ==, 4);
  g_assert_cmpuint (gb_sparkline_get_capacity (GB_SPARKLINE (sparkline)), ==, 30);

  g_assert_finalize_object (sparkline);
}

static void
test_sparkline_format (void)
{
  g_autofree char *percent = gb_sparkline_format_value (GB_SPARKLINE_FORMAT_PERCENT, 42.4);
  g_autofree char *bytes = gb_sparkline_format_value (GB_SPARKLINE_FORMAT_BYTES, 2000000);
  g_autofree char *rate = gb_sparkline_format_value (GB_SPARKLINE_FORMAT_RATE, 1500);

  g_autofree char *gib = gb_sparkline_format_value (GB_SPARKLINE_FORMAT_BYTES, 1 << 30);

  /* One unit system in the whole app: IEC (KiB, MiB, GiB), as the wizard
   * and the configured memory show sizes; a 1 GiB disk is not "1.1 GB" in
   * one place and "1.0 GiB" in another.  g_format_size_full() puts a
   * no-break space between number and unit. */
  g_assert_cmpstr (percent, ==, "42 %");
  g_assert_cmpstr (bytes, ==, "1.9\u00a0MiB");
  g_assert_cmpstr (rate, ==, "1.5\u00a0KiB/s");
  g_assert_cmpstr (gib, ==, "1.0\u00a0GiB");
}

int
main (int   argc,
      char *argv[])
{
  gb_application_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui/sparkline/draws-samples", test_sparkline_draws_samples);
  g_test_add_func ("/ui/sparkline/properties", test_sparkline_properties);
  g_test_add_func ("/ui/sparkline/format", test_sparkline_format);

  return g_test_run ();
}
