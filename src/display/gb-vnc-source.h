/* gb-vnc-source.h: a VNC screen through libgvnc-1.0
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gb-display-source.h"

G_BEGIN_DECLS

#define GB_TYPE_VNC_SOURCE (gb_vnc_source_get_type ())
G_DECLARE_FINAL_TYPE (GbVncSource, gb_vnc_source, GB, VNC_SOURCE, GbDisplaySource)

GbDisplaySource *gb_vnc_source_new_host (const char *host,
                                         const char *port);
GbDisplaySource *gb_vnc_source_new_unix (const char *path);
GbDisplaySource *gb_vnc_source_new_fd   (int         fd);

G_END_DECLS
