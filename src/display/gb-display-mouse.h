/* gb-display-mouse.h: GbDisplay's pointer: motion, buttons and wheel to the guest
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "gb-display-keyboard.h"
#include "gb-display-source.h"

G_BEGIN_DECLS

#define GB_TYPE_DISPLAY_MOUSE (gb_display_mouse_get_type ())
G_DECLARE_FINAL_TYPE (GbDisplayMouse, gb_display_mouse, GB, DISPLAY_MOUSE, GObject)

GbDisplayMouse *gb_display_mouse_new        (GtkWidget         *display,
                                             GbDisplayKeyboard *keyboard);
void            gb_display_mouse_set_source (GbDisplayMouse    *self,
                                             GbDisplaySource   *source);

G_END_DECLS
