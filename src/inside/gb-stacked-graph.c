/* gb-stacked-graph.c — several rates stacked over the last minute, with a legend
 *
 * Newest sample on the right; each series is a filled band on top of the
 * ones below it, so the top edge is the total.  Below the plot, a legend
 * gives each series' colour, name and last value.  The scale's top value
 * is written in the top left corner.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "gb-stacked-graph.h"

#define LEGEND_GAP 6.0
#define SWATCH 10.0

struct _GbStackedGraph
{
  GtkWidget  parent_instance;

  GArray    *series[GB_STACKED_GRAPH_MAX_SERIES];   /* of double, oldest first */
  char      *labels[GB_STACKED_GRAPH_MAX_SERIES];
  guint      n_series;
  guint      capacity;
};

G_DEFINE_FINAL_TYPE (GbStackedGraph, gb_stacked_graph, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CAPACITY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* GNOME palette: blue 3, orange 3, green 4, purple 2, red 2, dark 1. */
static const GdkRGBA colors[GB_STACKED_GRAPH_MAX_SERIES] = {
  { 0.208, 0.518, 0.894, 1 },
  { 0.902, 0.380, 0.000, 1 },
  { 0.180, 0.761, 0.494, 1 },
  { 0.753, 0.380, 0.796, 1 },
  { 0.878, 0.106, 0.141, 1 },
  { 0.604, 0.600, 0.588, 1 },
  { 0.965, 0.827, 0.176, 1 },
  { 0.525, 0.369, 0.235, 1 },
};

GtkWidget *
gb_stacked_graph_new (void)
{
  return g_object_new (GB_TYPE_STACKED_GRAPH, NULL);
}

static double
total_at (GbStackedGraph *self,
          guint           from_end)
{
  double total = 0;

  for (guint s = 0; s < self->n_series; s++)
    if (from_end < self->series[s]->len)
      total += g_array_index (self->series[s], double, self->series[s]->len - 1 - from_end);
  return total;
}

double
gb_stacked_graph_get_last_total (GbStackedGraph *self)
{
  g_return_val_if_fail (GB_IS_STACKED_GRAPH (self), 0);
  return total_at (self, 0);
}

double
gb_stacked_graph_get_max_total (GbStackedGraph *self)
{
  double max = 0;

  g_return_val_if_fail (GB_IS_STACKED_GRAPH (self), 0);
  for (guint i = 0; i < self->capacity; i++)
    max = MAX (max, total_at (self, i));
  return max;
}

static char *
format_rate (double value)
{
  if (value >= 10000)
    /* Translators: events per second, thousands, e.g. "12k/s" */
    return g_strdup_printf (_("%.0fk/s"), value / 1000);
  /* Translators: events per second, e.g. "42/s" */
  return g_strdup_printf (_("%.0f/s"), value);
}

/* A round top for the scale: 1, 2 or 5 × 10ⁿ above the data. */
static double
nice_ceiling (double value)
{
  double exp10, f;

  if (value <= 0)
    return 10;
  exp10 = pow (10, floor (log10 (value)));
  f = value / exp10;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * exp10;
}

static PangoLayout *
legend_layout (GbStackedGraph *self,
               guint           s)
{
  g_autofree char *value = NULL;
  g_autofree char *text = NULL;
  GArray *a = self->series[s];

  value = format_rate (a->len ? g_array_index (a, double, a->len - 1) : 0);
  text = g_strdup_printf ("%s %s", self->labels[s] ? self->labels[s] : "", value);
  return gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
}

/* Lays the legend out in rows across @width; returns its height. */
static double
legend_height (GbStackedGraph *self,
               double          width)
{
  double x = 0, line_h = 0, y = 0;

  for (guint s = 0; s < self->n_series; s++)
    {
      g_autoptr(PangoLayout) layout = legend_layout (self, s);
      int w, h;
      double item_w;

      pango_layout_get_pixel_size (layout, &w, &h);
      item_w = SWATCH + 4 + w + 12;
      if (x > 0 && x + item_w > width)
        {
          y += line_h + 2;
          x = 0;
        }
      x += item_w;
      line_h = MAX (line_h, h);
    }
  return self->n_series ? y + line_h : 0;
}

static void
gb_stacked_graph_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  GbStackedGraph *self = GB_STACKED_GRAPH (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  double legend_h = legend_height (self, width);
  double plot_h = height - legend_h - LEGEND_GAP;
  double top = nice_ceiling (gb_stacked_graph_get_max_total (self));
  double step = self->capacity > 1 ? width / (self->capacity - 1) : width;
  double below[1024] = { 0 };
  g_autofree char *top_text = format_rate (top);
  g_autoptr(PangoLayout) top_layout = NULL;
  GdkRGBA fg;
  cairo_t *cr;
  guint n = 0;
  double x = 0, y = plot_h + LEGEND_GAP, line_h = 0;

  if (width <= 0 || plot_h <= 4)
    return;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS

  for (guint s = 0; s < self->n_series; s++)
    n = MAX (n, self->series[s]->len);
  n = MIN (n, MIN (self->capacity, G_N_ELEMENTS (below)));

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));

  /* Frame and the middle line. */
  cairo_set_line_width (cr, 1);
  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.15);
  cairo_rectangle (cr, 0.5, 0.5, width - 1, plot_h - 1);
  cairo_stroke (cr);
  cairo_move_to (cr, 0, floor (plot_h / 2) + 0.5);
  cairo_line_to (cr, width, floor (plot_h / 2) + 0.5);
  cairo_stroke (cr);

  /* Bands, bottom to top; sample i (oldest first) sits at the right end
   * when it is the newest. */
  for (guint s = 0; s < self->n_series && n > 0; s++)
    {
      GArray *a = self->series[s];
      double x0 = width - (n - 1) * step;

      cairo_new_path (cr);
      for (guint i = 0; i < n; i++)
        {
          double v = i + a->len >= n ? g_array_index (a, double, i + a->len - n) : 0;
          double yy = plot_h - (below[i] + v) / top * plot_h;

          cairo_line_to (cr, x0 + i * step, yy);
        }
      for (guint i = n; i-- > 0;)
        cairo_line_to (cr, x0 + i * step, plot_h - below[i] / top * plot_h);
      cairo_close_path (cr);
      gdk_cairo_set_source_rgba (cr, &colors[s]);
      cairo_fill (cr);
      for (guint i = 0; i < n; i++)
        below[i] += i + a->len >= n ? g_array_index (a, double, i + a->len - n) : 0;
    }

  /* Legend. */
  for (guint s = 0; s < self->n_series; s++)
    {
      g_autoptr(PangoLayout) layout = legend_layout (self, s);
      int w, h;
      double item_w;

      pango_layout_get_pixel_size (layout, &w, &h);
      item_w = SWATCH + 4 + w + 12;
      if (x > 0 && x + item_w > width)
        {
          y += line_h + 2;
          x = 0;
        }
      gdk_cairo_set_source_rgba (cr, &colors[s]);
      cairo_rectangle (cr, x, y + (h - SWATCH) / 2, SWATCH, SWATCH);
      cairo_fill (cr);
      gdk_cairo_set_source_rgba (cr, &fg);
      cairo_move_to (cr, x + SWATCH + 4, y);
      pango_cairo_show_layout (cr, layout);
      x += item_w;
      line_h = MAX (line_h, h);
    }

  /* The scale's top. */
  top_layout = gtk_widget_create_pango_layout (widget, top_text);
  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.7);
  cairo_move_to (cr, 4, 2);
  pango_cairo_show_layout (cr, top_layout);

  cairo_destroy (cr);
}

static void
gb_stacked_graph_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  GbStackedGraph *self = GB_STACKED_GRAPH (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 120;
      *natural = 400;
    }
  else
    {
      int legend = (int) ceil (legend_height (self, for_size > 0 ? for_size : 400));

      *minimum = 80 + legend + (int) LEGEND_GAP;
      *natural = 140 + legend + (int) LEGEND_GAP;
    }
}

static GtkSizeRequestMode
gb_stacked_graph_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

void
gb_stacked_graph_set_series_label (GbStackedGraph *self,
                                   guint           series,
                                   const char     *label)
{
  g_return_if_fail (GB_IS_STACKED_GRAPH (self));
  g_return_if_fail (series < GB_STACKED_GRAPH_MAX_SERIES);

  g_free (self->labels[series]);
  self->labels[series] = g_strdup (label);
  self->n_series = MAX (self->n_series, series + 1);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

void
gb_stacked_graph_set_values (GbStackedGraph *self,
                             guint           series,
                             const double   *values,
                             guint           n_values)
{
  g_return_if_fail (GB_IS_STACKED_GRAPH (self));
  g_return_if_fail (series < GB_STACKED_GRAPH_MAX_SERIES);

  g_array_set_size (self->series[series], 0);
  if (n_values > self->capacity)
    {
      values += n_values - self->capacity;
      n_values = self->capacity;
    }
  g_array_append_vals (self->series[series], values, n_values);
  self->n_series = MAX (self->n_series, series + 1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
gb_stacked_graph_get_n_series (GbStackedGraph *self)
{
  g_return_val_if_fail (GB_IS_STACKED_GRAPH (self), 0);
  return self->n_series;
}

guint
gb_stacked_graph_get_capacity (GbStackedGraph *self)
{
  g_return_val_if_fail (GB_IS_STACKED_GRAPH (self), 0);
  return self->capacity;
}

void
gb_stacked_graph_set_capacity (GbStackedGraph *self,
                               guint           capacity)
{
  g_return_if_fail (GB_IS_STACKED_GRAPH (self));

  capacity = CLAMP (capacity, 2, 1024);
  if (self->capacity == capacity)
    return;
  self->capacity = capacity;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAPACITY]);
}

static void
gb_stacked_graph_finalize (GObject *object)
{
  GbStackedGraph *self = GB_STACKED_GRAPH (object);

  for (guint s = 0; s < GB_STACKED_GRAPH_MAX_SERIES; s++)
    {
      g_array_unref (self->series[s]);
      g_free (self->labels[s]);
    }

  G_OBJECT_CLASS (gb_stacked_graph_parent_class)->finalize (object);
}

static void
gb_stacked_graph_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  GbStackedGraph *self = GB_STACKED_GRAPH (object);

  switch (prop_id)
    {
    case PROP_CAPACITY:
      g_value_set_uint (value, self->capacity);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_stacked_graph_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  GbStackedGraph *self = GB_STACKED_GRAPH (object);

  switch (prop_id)
    {
    case PROP_CAPACITY:
      gb_stacked_graph_set_capacity (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_stacked_graph_class_init (GbStackedGraphClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = gb_stacked_graph_finalize;
  object_class->get_property = gb_stacked_graph_get_property;
  object_class->set_property = gb_stacked_graph_set_property;
  widget_class->snapshot = gb_stacked_graph_snapshot;
  widget_class->measure = gb_stacked_graph_measure;
  widget_class->get_request_mode = gb_stacked_graph_get_request_mode;

  properties[PROP_CAPACITY] =
    g_param_spec_uint ("capacity", NULL, NULL, 2, 1024, 60,
                       (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "stackedgraph");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
gb_stacked_graph_init (GbStackedGraph *self)
{
  self->capacity = 60;
  for (guint s = 0; s < GB_STACKED_GRAPH_MAX_SERIES; s++)
    self->series[s] = g_array_new (FALSE, TRUE, sizeof (double));
}
