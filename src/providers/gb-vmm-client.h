/* gb-vmm-client.h — one connection to a glassbox-vmm control socket
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define GB_TYPE_VMM_CLIENT (gb_vmm_client_get_type ())
G_DECLARE_FINAL_TYPE (GbVmmClient, gb_vmm_client, GB, VMM_CLIENT, GObject)

/* Connects to the UNIX socket at @socket_path and reads the greeting. */
void         gb_vmm_client_new_async      (const char           *socket_path,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
GbVmmClient *gb_vmm_client_new_finish     (GAsyncResult         *result,
                                           GError              **error);

const char  *gb_vmm_client_get_socket_path (GbVmmClient         *self);
/* FALSE once the VMM closed the socket (it stopped, or died). */
gboolean     gb_vmm_client_get_connected  (GbVmmClient          *self);
/* The greeting's "commands", so callers can tell what this VMM offers. */
gboolean     gb_vmm_client_has_command    (GbVmmClient          *self,
                                           const char           *command);

/* Sends {"execute": @command, "arguments": @arguments}; the result is the
 * reply's "return" value, or a GError carrying the reply's "desc". */
void         gb_vmm_client_execute_async  (GbVmmClient          *self,
                                           const char           *command,
                                           JsonObject           *arguments,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
JsonNode    *gb_vmm_client_execute_finish (GbVmmClient          *self,
                                           GAsyncResult         *result,
                                           GError              **error);

void         gb_vmm_client_close          (GbVmmClient          *self);

G_END_DECLS
