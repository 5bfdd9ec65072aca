/* gb-sparkline.h — a small line graph of the last samples, with optional axis labels
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum {
  GB_SPARKLINE_FORMAT_PERCENT,   /* 0..100 */
  GB_SPARKLINE_FORMAT_BYTES,     /* e.g. memory */
  GB_SPARKLINE_FORMAT_RATE,      /* bytes per second */
} GbSparklineFormat;

#define GB_TYPE_SPARKLINE_FORMAT (gb_sparkline_format_get_type ())
GType gb_sparkline_format_get_type (void) G_GNUC_CONST;

#define GB_SPARKLINE_MAX_SERIES 2

#define GB_TYPE_SPARKLINE (gb_sparkline_get_type ())
G_DECLARE_FINAL_TYPE (GbSparkline, gb_sparkline, GB, SPARKLINE, GtkWidget)

GtkWidget         *gb_sparkline_new             (void);
void               gb_sparkline_set_values      (GbSparkline       *self,
                                                 guint              series,
                                                 const double      *values,
                                                 guint              n_values);
void               gb_sparkline_clear           (GbSparkline       *self);
guint              gb_sparkline_get_n_values    (GbSparkline       *self,
                                                 guint              series);
double             gb_sparkline_get_max_value   (GbSparkline       *self);
void               gb_sparkline_set_max_value   (GbSparkline       *self,
                                                 double             max_value);
guint              gb_sparkline_get_capacity    (GbSparkline       *self);
void               gb_sparkline_set_capacity    (GbSparkline       *self,
                                                 guint              capacity);
gboolean           gb_sparkline_get_show_labels (GbSparkline       *self);
void               gb_sparkline_set_show_labels (GbSparkline       *self,
                                                 gboolean           show_labels);
GbSparklineFormat  gb_sparkline_get_format      (GbSparkline       *self);
void               gb_sparkline_set_format      (GbSparkline       *self,
                                                 GbSparklineFormat  format);
char              *gb_sparkline_format_value    (GbSparklineFormat  format,
                                                 double             value);

G_END_DECLS
