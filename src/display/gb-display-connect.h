/* gb-display-connect.h: where GbDisplay's sources come from
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gb-display-source.h"
#include "gb-machine.h"

G_BEGIN_DECLS

GbDisplaySource *_gb_display_source_new_for_uri         (const char           *uri,
                                                         GError              **error);

gboolean         _gb_display_machine_can_show           (GbMachine            *machine,
                                                         GError              **error);
void             _gb_display_source_open_machine_async  (GbMachine            *machine,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
GbDisplaySource *_gb_display_source_open_machine_finish (GAsyncResult         *result,
                                                         GError              **error);

G_END_DECLS
