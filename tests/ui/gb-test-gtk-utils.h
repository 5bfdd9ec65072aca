/* gb-test-gtk-utils.h — helpers for the UI tests: the app, find widgets, save a
 * PNG.  Waiting on the main loop is tests/common/gb-test-utils.h's.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "gb-application.h"
#include "gb-test-utils.h"

G_BEGIN_DECLS

GbApplication *gb_test_application_new       (void);
int            gb_test_application_run       (GbApplication   *app,
                                              char           **argv,
                                              GCallback        on_activate,
                                              gpointer         data);
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
