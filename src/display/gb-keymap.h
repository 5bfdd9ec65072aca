/* gb-keymap.h: hardware key codes to the scan codes remote consoles want
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* X11 and Wayland hardware keycodes are Linux evdev codes plus 8. */
#define GB_KEYMAP_EVDEV_OFFSET 8

guint gb_keymap_evdev_to_qnum (guint evdev);
guint gb_keymap_evdev_to_xt   (guint evdev);

G_END_DECLS
