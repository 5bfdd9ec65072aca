/* gb-spice-source.h: a SPICE screen through spice-client-glib-2.0
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gb-display-source.h"

G_BEGIN_DECLS

#define GB_TYPE_SPICE_SOURCE (gb_spice_source_get_type ())
G_DECLARE_FINAL_TYPE (GbSpiceSource, gb_spice_source, GB, SPICE_SOURCE, GbDisplaySource)

GbDisplaySource *gb_spice_source_new_uri (const char *uri);
GbDisplaySource *gb_spice_source_new_fd  (int         fd);

/* With gb_spice_source_new_fd(), every further channel needs its own
 * connected socket: @func returns one (or -1). */
typedef int (*GbSpiceFdFunc) (gpointer user_data);
void             gb_spice_source_set_fd_func (GbSpiceSource  *self,
                                              GbSpiceFdFunc   func,
                                              gpointer        user_data,
                                              GDestroyNotify  destroy);

G_END_DECLS
