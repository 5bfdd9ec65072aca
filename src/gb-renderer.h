/* gb-renderer.h — which GTK renderer the app draws with
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void gb_renderer_choose (void);

G_END_DECLS
