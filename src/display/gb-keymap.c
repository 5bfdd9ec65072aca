/* gb-keymap.c: lookups in the tables gen-keymap.py writes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "gb-keymap.h"
#include "gb-keymap-tables.h"

/* QEMU "qnum": XT set 1 with the E0 prefix in bit 7; 0 when unknown. */
guint
gb_keymap_evdev_to_qnum (guint evdev)
{
  return evdev < GB_KEYMAP_EVDEV_MAX ? gb_keymap_qnum_table[evdev] : 0;
}

/* XT set 1 with the E0 prefix in bit 8, as spice_inputs_channel_key_press()
 * takes it; 0 when unknown. */
guint
gb_keymap_evdev_to_xt (guint evdev)
{
  return evdev < GB_KEYMAP_EVDEV_MAX ? gb_keymap_xt_table[evdev] : 0;
}
