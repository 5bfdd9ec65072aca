/* gb-stacked-graph.h — several rates stacked over the last minute, with a legend
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define GB_STACKED_GRAPH_MAX_SERIES 8

#define GB_TYPE_STACKED_GRAPH (gb_stacked_graph_get_type ())
G_DECLARE_FINAL_TYPE (GbStackedGraph, gb_stacked_graph, GB, STACKED_GRAPH, GtkWidget)

GtkWidget *gb_stacked_graph_new              (void);
/* Series are stacked in index order, 0 at the bottom. */
void       gb_stacked_graph_set_series_label (GbStackedGraph *self,
                                              guint           series,
                                              const char     *label);
void       gb_stacked_graph_set_values       (GbStackedGraph *self,
                                              guint           series,
                                              const double   *values,
                                              guint           n_values);
guint      gb_stacked_graph_get_n_series     (GbStackedGraph *self);
guint      gb_stacked_graph_get_capacity     (GbStackedGraph *self);
void       gb_stacked_graph_set_capacity     (GbStackedGraph *self,
                                              guint           capacity);
/* The top of the stack in the last sample, and the largest in view. */
double     gb_stacked_graph_get_last_total   (GbStackedGraph *self);
double     gb_stacked_graph_get_max_total    (GbStackedGraph *self);

G_END_DECLS
