/* gb-application.h — the Glassbox application: providers, settings, app actions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "gb-provider.h"

G_BEGIN_DECLS

#define GB_TYPE_APPLICATION (gb_application_get_type ())
G_DECLARE_FINAL_TYPE (GbApplication, gb_application, GB, APPLICATION, AdwApplication)

GbApplication *gb_application_new                (void);
void           gb_application_init_i18n          (void);

GListModel    *gb_application_get_providers      (GbApplication       *self);
GSettings     *gb_application_get_settings       (GbApplication       *self);

GbProvider    *gb_application_find_provider      (GbApplication       *self,
                                                  const char          *uri);
GbProvider    *gb_application_open_connection    (GbApplication       *self,
                                                  const char          *uri);
void           gb_application_add_connection_async  (GbApplication       *self,
                                                     const char          *uri,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
GbProvider    *gb_application_add_connection_finish (GbApplication       *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);
void           gb_application_remove_connection  (GbApplication       *self,
                                                  const char          *uri);

void           gb_application_name_mnemonic_buttons (GtkWidget          *root);

G_END_DECLS
