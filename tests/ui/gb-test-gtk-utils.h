/* gb-test-gtk-utils.h — helpers for the UI tests: the app, find widgets, save a
 * PNG, press keys through XTEST.  Waiting on the main loop is tests/common/gb-test-utils.h's.
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

#ifdef HAVE_XTEST
#include <X11/X.h>

/* Real key events through the X server's XTEST extension (Xvfb has it), so
 * that keys travel GTK's whole input path.  Only with -DHAVE_XTEST. */
gboolean       gb_test_xtest_available       (GtkWidget       *widget);
/* Xvfb has no window manager: gives @window the keyboard and waits until
 * GTK calls it active. */
void           gb_test_focus_window          (GtkWidget       *window);
/* Presses @keysym with @modifiers (Control, Shift, Alt) held, then lets
 * GTK handle it before returning. */
void           gb_test_press                 (GtkWidget       *window,
                                              GdkModifierType  modifiers,
                                              KeySym           keysym);
/* Types printable ASCII, with Shift where the keymap needs it. */
void           gb_test_type_text             (GtkWidget       *window,
                                              const char      *text);
/* Lets GTK read every event the X server has for it (~300 ms). */
void           gb_test_settle                (GtkWidget       *window);
#endif

G_END_DECLS
