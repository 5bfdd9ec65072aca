/* gb-display-keyboard.h: GbDisplay's keyboard: keys to the guest, and the grab
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "gb-display-source.h"

G_BEGIN_DECLS

#define GB_TYPE_DISPLAY_KEYBOARD (gb_display_keyboard_get_type ())
G_DECLARE_FINAL_TYPE (GbDisplayKeyboard, gb_display_keyboard, GB, DISPLAY_KEYBOARD, GObject)

GbDisplayKeyboard *gb_display_keyboard_new               (GtkWidget         *display);
void               gb_display_keyboard_set_source        (GbDisplayKeyboard *self,
                                                          GbDisplaySource   *source);

gboolean           gb_display_keyboard_get_grabbed       (GbDisplayKeyboard *self);
void               gb_display_keyboard_ungrab            (GbDisplayKeyboard *self);
void               gb_display_keyboard_maybe_grab        (GbDisplayKeyboard *self);
void               gb_display_keyboard_release_grab      (GbDisplayKeyboard *self);
void               gb_display_keyboard_release_keys      (GbDisplayKeyboard *self);

/* What the pointer does, for the grab (GbDisplayMouse tells). */
void               gb_display_keyboard_pointer_entered   (GbDisplayKeyboard *self);
void               gb_display_keyboard_pointer_left      (GbDisplayKeyboard *self);
void               gb_display_keyboard_pointer_pressed   (GbDisplayKeyboard *self);

const char        *gb_display_keyboard_get_release_accel (GbDisplayKeyboard *self);
gboolean           gb_display_keyboard_set_release_accel (GbDisplayKeyboard *self,
                                                          const char        *accel);
char              *gb_display_keyboard_get_release_label (GbDisplayKeyboard *self);

gboolean           gb_display_keyboard_send_keys         (GbDisplayKeyboard *self,
                                                          const char        *combo);

G_END_DECLS
