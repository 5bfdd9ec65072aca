/* gb-provider-row.h — a connection's header in the machine list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "gb-provider.h"

G_BEGIN_DECLS

#define GB_TYPE_PROVIDER_ROW (gb_provider_row_get_type ())
G_DECLARE_FINAL_TYPE (GbProviderRow, gb_provider_row, GB, PROVIDER_ROW, GtkWidget)

GtkWidget  *gb_provider_row_new          (void);
GbProvider *gb_provider_row_get_provider (GbProviderRow *self);
void        gb_provider_row_set_provider (GbProviderRow *self,
                                          GbProvider    *provider);

G_END_DECLS
