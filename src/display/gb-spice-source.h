/* gb-spice-source.h: a SPICE screen through spice-client-glib-2.0
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gb-display-source.h"
#include "gb-machine.h"

G_BEGIN_DECLS

#define GB_TYPE_SPICE_SOURCE (gb_spice_source_get_type ())
G_DECLARE_FINAL_TYPE (GbSpiceSource, gb_spice_source, GB, SPICE_SOURCE, GbDisplaySource)

GbDisplaySource *gb_spice_source_new_uri     (const char *uri);
GbDisplaySource *gb_spice_source_new_machine (GbMachine *machine,
                                              int        fd);

G_END_DECLS
