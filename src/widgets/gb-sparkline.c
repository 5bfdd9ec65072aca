/* gb-sparkline.c — a small line graph of the last samples, with optional axis labels
 *
 * Newest sample on the right. The row uses it at 60×24 for CPU; the details
 * page at full width with labels (the scale's top value and the time span)
 * and up to two series (read/write, receive/send).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "gb-sparkline.h"

struct _GbSparkline
{
  GtkWidget          parent_instance;

  GArray            *series[GB_SPARKLINE_MAX_SERIES];   /* of double, oldest first */
  double             max_value;                          /* 0: scale to the data */
  guint              capacity;                           /* samples across the width */
  GbSparklineFormat  format;
  guint              show_labels : 1;
};

G_DEFINE_ENUM_TYPE (GbSparklineFormat, gb_sparkline_format,
  G_DEFINE_ENUM_VALUE (GB_SPARKLINE_FORMAT_PERCENT, "percent"),
  G_DEFINE_ENUM_VALUE (GB_SPARKLINE_FORMAT_BYTES, "bytes"),
  G_DEFINE_ENUM_VALUE (GB_SPARKLINE_FORMAT_RATE, "rate"))

G_DEFINE_FINAL_TYPE (GbSparkline, gb_sparkline, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MAX_VALUE,
  PROP_CAPACITY,
  PROP_SHOW_LABELS,
  PROP_FORMAT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Series colours: GNOME palette blue 3 and orange 3. */
static const GdkRGBA series_colors[GB_SPARKLINE_MAX_SERIES] = {
  { 0.208, 0.518, 0.894, 1.0 },
  { 0.902, 0.380, 0.000, 1.0 },
};

GtkWidget *
gb_sparkline_new (void)
{
  return g_object_new (GB_TYPE_SPARKLINE, NULL);
}

char *
gb_sparkline_format_value (GbSparklineFormat format,
                           double            value)
{
  switch (format)
    {
    case GB_SPARKLINE_FORMAT_PERCENT:
      /* Translators: a CPU load, e.g. "42 %" */
      return g_strdup_printf (_("%.0f %%"), value);

    case GB_SPARKLINE_FORMAT_BYTES:
      return g_format_size_full ((guint64) MAX (value, 0), G_FORMAT_SIZE_IEC_UNITS);

    case GB_SPARKLINE_FORMAT_RATE:
      {
        g_autofree char *size = g_format_size_full ((guint64) MAX (value, 0), G_FORMAT_SIZE_IEC_UNITS);
        /* Translators: a transfer rate, e.g. "1.2 MB/s" */
        return g_strdup_printf (_("%s/s"), size);
      }

    default:
      g_return_val_if_reached (NULL);
    }
}

/* A round top for the scale (1, 2 or 5 × 10ⁿ) so the label reads well. */
static double
nice_ceiling (double value)
{
  double magnitude, fraction;

  if (value <= 0)
    return 1;

  magnitude = pow (10, floor (log10 (value)));
  fraction = value / magnitude;

  if (fraction <= 1)
    return magnitude;
  if (fraction <= 2)
    return 2 * magnitude;
  if (fraction <= 5)
    return 5 * magnitude;
  return 10 * magnitude;
}

/* The same in IEC units, for sizes and rates: 1, 2, 5, 10 … 500 KiB,
 * then 1 MiB, so the label reads "2 MiB", not "1.9 MiB". */
static double
nice_ceiling_iec (double value)
{
  double unit = 1, top;

  while (value > 1000 * unit)
    unit *= 1024;
  top = nice_ceiling (value / unit);
  /* 1000 KiB is written 1000.0 KiB: take the next unit instead. */
  return (top > 500 ? 1024 : top) * unit;
}

static double
scale_top (GbSparkline *self)
{
  double top = 0;

  if (self->max_value > 0)
    return self->max_value;

  for (guint s = 0; s < GB_SPARKLINE_MAX_SERIES; s++)
    for (guint i = 0; i < self->series[s]->len; i++)
      top = MAX (top, g_array_index (self->series[s], double, i));

  /* An idle machine should not fill the graph with noise: the scale
   * starts at 1 MiB for sizes and 1 KiB/s for rates. */
  if (self->format == GB_SPARKLINE_FORMAT_BYTES)
    return nice_ceiling_iec (MAX (top, 1024.0 * 1024.0));
  else if (self->format == GB_SPARKLINE_FORMAT_RATE)
    return nice_ceiling_iec (MAX (top, 1024.0));

  return nice_ceiling (top);
}

static void
draw_series (GbSparkline *self,
             cairo_t     *cr,
             GArray      *values,
             const GdkRGBA *color,
             double       x0,
             double       y0,
             double       width,
             double       height,
             double       top)
{
  guint n = values->len;
  guint first = n > self->capacity ? n - self->capacity : 0;
  double step = width / MAX (self->capacity - 1, 1);
  double x_last = x0 + width;
  double x_first = x_last - (n - first - 1) * step;

  if (n - first < 2)
    return;

  cairo_new_path (cr);
  for (guint i = first; i < n; i++)
    {
      double v = CLAMP (g_array_index (values, double, i) / top, 0.0, 1.0);
      double x = x_last - (n - 1 - i) * step;
      double y = y0 + height - v * height;

      if (i == first)
        cairo_move_to (cr, x, y);
      else
        cairo_line_to (cr, x, y);
    }

  /* Line first, then the same path closed along the bottom as a soft fill. */
  cairo_set_line_width (cr, self->show_labels ? 2.0 : 1.5);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  gdk_cairo_set_source_rgba (cr, color);
  cairo_stroke_preserve (cr);

  cairo_line_to (cr, x_last, y0 + height);
  cairo_line_to (cr, x_first, y0 + height);
  cairo_close_path (cr);
  cairo_set_source_rgba (cr, color->red, color->green, color->blue, 0.2);
  cairo_fill (cr);
}

static void
gb_sparkline_snapshot (GtkWidget   *widget,
                       GtkSnapshot *snapshot)
{
  GbSparkline *self = GB_SPARKLINE (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  GdkRGBA fg;
  double top = scale_top (self);
  double plot_y = 0, plot_h = height;
  PangoLayout *top_layout = NULL;
  PangoLayout *span_layout = NULL;
  cairo_t *cr;

  if (width <= 0 || height <= 0)
    return;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);

  if (self->show_labels)
    {
      gboolean has_data = self->max_value > 0 || self->series[0]->len > 0;
      /* Without samples the scale means nothing: no top label then. */
      g_autofree char *top_text = has_data ? gb_sparkline_format_value (self->format, top) : g_strdup ("");
      g_autofree char *span_text = NULL;
      int text_h;

      /* Translators: the time the graph spans, in seconds: "60 s" */
      span_text = g_strdup_printf (_("%u s"), self->capacity);
      top_layout = gtk_widget_create_pango_layout (widget, top_text);
      span_layout = gtk_widget_create_pango_layout (widget, span_text);
      pango_layout_get_pixel_size (top_layout, NULL, &text_h);
      plot_y = text_h + 2;
      plot_h = height - 2 * (text_h + 2);
      if (plot_h < 8)
        plot_h = height - plot_y;
    }

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));

  /* Frame and, with labels, half and full scale lines. */
  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.06);
  cairo_rectangle (cr, 0, plot_y, width, plot_h);
  cairo_fill (cr);

  if (self->show_labels)
    {
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.15);
      cairo_set_line_width (cr, 1);
      for (int k = 0; k <= 2; k++)
        {
          double y = floor (plot_y + plot_h * k / 2.0) + 0.5;
          cairo_move_to (cr, 0, y);
          cairo_line_to (cr, width, y);
        }
      cairo_stroke (cr);
    }

  for (guint s = GB_SPARKLINE_MAX_SERIES; s-- > 0;)
    draw_series (self, cr, self->series[s], &series_colors[s],
                 0, plot_y, width, plot_h, top);

  cairo_destroy (cr);

  if (self->show_labels)
    {
      GdkRGBA dim = fg;
      int span_w, span_h;

      dim.alpha *= 0.6;
      gtk_snapshot_append_layout (snapshot, top_layout, &dim);

      pango_layout_get_pixel_size (span_layout, &span_w, &span_h);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (0, height - span_h));
      gtk_snapshot_append_layout (snapshot, span_layout, &dim);
      gtk_snapshot_restore (snapshot);

      g_object_unref (top_layout);
      g_object_unref (span_layout);
    }
}

static void
gb_sparkline_measure (GtkWidget      *widget,
                      GtkOrientation  orientation,
                      int             for_size,
                      int            *minimum,
                      int            *natural,
                      int            *minimum_baseline,
                      int            *natural_baseline)
{
  GbSparkline *self = GB_SPARKLINE (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = self->show_labels ? 120 : 40;
      *natural = self->show_labels ? 240 : 60;
    }
  else
    {
      *minimum = self->show_labels ? 90 : 16;
      *natural = self->show_labels ? 120 : 24;
    }
}

void
gb_sparkline_set_values (GbSparkline  *self,
                         guint         series,
                         const double *values,
                         guint         n_values)
{
  g_return_if_fail (GB_IS_SPARKLINE (self));
  g_return_if_fail (series < GB_SPARKLINE_MAX_SERIES);
  g_return_if_fail (values != NULL || n_values == 0);

  g_array_set_size (self->series[series], 0);
  if (n_values > 0)
    g_array_append_vals (self->series[series], values, n_values);

  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
gb_sparkline_clear (GbSparkline *self)
{
  g_return_if_fail (GB_IS_SPARKLINE (self));

  for (guint s = 0; s < GB_SPARKLINE_MAX_SERIES; s++)
    g_array_set_size (self->series[s], 0);

  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
gb_sparkline_get_n_values (GbSparkline *self,
                           guint        series)
{
  g_return_val_if_fail (GB_IS_SPARKLINE (self), 0);
  g_return_val_if_fail (series < GB_SPARKLINE_MAX_SERIES, 0);

  return self->series[series]->len;
}

double
gb_sparkline_get_max_value (GbSparkline *self)
{
  g_return_val_if_fail (GB_IS_SPARKLINE (self), 0);

  return self->max_value;
}

void
gb_sparkline_set_max_value (GbSparkline *self,
                            double       max_value)
{
  g_return_if_fail (GB_IS_SPARKLINE (self));

  if (self->max_value == max_value)
    return;

  self->max_value = max_value;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_VALUE]);
}

guint
gb_sparkline_get_capacity (GbSparkline *self)
{
  g_return_val_if_fail (GB_IS_SPARKLINE (self), 0);

  return self->capacity;
}

void
gb_sparkline_set_capacity (GbSparkline *self,
                           guint        capacity)
{
  g_return_if_fail (GB_IS_SPARKLINE (self));
  g_return_if_fail (capacity >= 2);

  if (self->capacity == capacity)
    return;

  self->capacity = capacity;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAPACITY]);
}

gboolean
gb_sparkline_get_show_labels (GbSparkline *self)
{
  g_return_val_if_fail (GB_IS_SPARKLINE (self), FALSE);

  return self->show_labels;
}

void
gb_sparkline_set_show_labels (GbSparkline *self,
                              gboolean     show_labels)
{
  g_return_if_fail (GB_IS_SPARKLINE (self));

  show_labels = !!show_labels;
  if (self->show_labels == show_labels)
    return;

  self->show_labels = show_labels;
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_LABELS]);
}

GbSparklineFormat
gb_sparkline_get_format (GbSparkline *self)
{
  g_return_val_if_fail (GB_IS_SPARKLINE (self), GB_SPARKLINE_FORMAT_PERCENT);

  return self->format;
}

void
gb_sparkline_set_format (GbSparkline       *self,
                         GbSparklineFormat  format)
{
  g_return_if_fail (GB_IS_SPARKLINE (self));

  if (self->format == format)
    return;

  self->format = format;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FORMAT]);
}

static void
gb_sparkline_finalize (GObject *object)
{
  GbSparkline *self = GB_SPARKLINE (object);

  for (guint s = 0; s < GB_SPARKLINE_MAX_SERIES; s++)
    g_clear_pointer (&self->series[s], g_array_unref);

  G_OBJECT_CLASS (gb_sparkline_parent_class)->finalize (object);
}

static void
gb_sparkline_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  GbSparkline *self = GB_SPARKLINE (object);

  switch (prop_id)
    {
    case PROP_MAX_VALUE:
      g_value_set_double (value, self->max_value);
      break;

    case PROP_CAPACITY:
      g_value_set_uint (value, self->capacity);
      break;

    case PROP_SHOW_LABELS:
      g_value_set_boolean (value, self->show_labels);
      break;

    case PROP_FORMAT:
      g_value_set_enum (value, self->format);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_sparkline_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  GbSparkline *self = GB_SPARKLINE (object);

  switch (prop_id)
    {
    case PROP_MAX_VALUE:
      gb_sparkline_set_max_value (self, g_value_get_double (value));
      break;

    case PROP_CAPACITY:
      gb_sparkline_set_capacity (self, g_value_get_uint (value));
      break;

    case PROP_SHOW_LABELS:
      gb_sparkline_set_show_labels (self, g_value_get_boolean (value));
      break;

    case PROP_FORMAT:
      gb_sparkline_set_format (self, g_value_get_enum (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_sparkline_class_init (GbSparklineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = gb_sparkline_finalize;
  object_class->get_property = gb_sparkline_get_property;
  object_class->set_property = gb_sparkline_set_property;

  widget_class->snapshot = gb_sparkline_snapshot;
  widget_class->measure = gb_sparkline_measure;

  /**
   * GbSparkline:max-value:
   *
   * The value at the top of the graph, or 0 to round up from the largest sample.
   */
  properties[PROP_MAX_VALUE] =
    g_param_spec_double ("max-value", NULL, NULL,
                         0, G_MAXDOUBLE, 0,
                         (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));

  properties[PROP_CAPACITY] =
    g_param_spec_uint ("capacity", NULL, NULL,
                       2, 3600, 60,
                       (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));

  properties[PROP_SHOW_LABELS] =
    g_param_spec_boolean ("show-labels", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));

  properties[PROP_FORMAT] =
    g_param_spec_enum ("format", NULL, NULL,
                       GB_TYPE_SPARKLINE_FORMAT, GB_SPARKLINE_FORMAT_PERCENT,
                       (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "sparkline");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
gb_sparkline_init (GbSparkline *self)
{
  for (guint s = 0; s < GB_SPARKLINE_MAX_SERIES; s++)
    self->series[s] = g_array_new (FALSE, FALSE, sizeof (double));

  self->capacity = 60;
  self->format = GB_SPARKLINE_FORMAT_PERCENT;
}
