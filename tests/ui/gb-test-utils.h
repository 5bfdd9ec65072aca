/* gb-test-utils.h — helpers for the UI tests: wait, find widgets, save a PNG
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "gb-application.h"

G_BEGIN_DECLS

typedef gboolean (*GbTestCondition) (gpointer data);

GbApplication *gb_test_application_new       (void);
gboolean       gb_test_wait_for              (GbTestCondition  condition,
                                              gpointer         data,
                                              guint            timeout_ms);
GtkWidget     *gb_test_find_widget           (GtkWidget       *root,
                                              GType            type,
                                              gboolean       (*match) (GtkWidget *widget,
                                                                       gpointer   data),
                                              gpointer         data);
GtkWidget     *gb_test_find_machine_row      (GtkWidget       *root,
                                              const char      *machine_name);
GtkWidget     *gb_test_find_label_with_class (GtkWidget       *root,
                                              const char      *css_class);
GtkWidget     *gb_test_find_label_with_text  (GtkWidget       *root,
                                              const char      *text);
GtkWindow     *gb_test_find_dialog           (GType            type);
GdkTexture    *gb_test_render                (GtkWidget       *widget);
guint          gb_test_count_light_pixels    (GdkTexture      *texture);
void           gb_test_save_png              (GtkWidget       *widget,
                                              const char      *filename);

G_END_DECLS
