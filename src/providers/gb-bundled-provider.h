/* gb-bundled-provider.h — "This computer (Glassbox)": machines run by glassbox-vmm
 *
 * TEMP stand-in (branch creator): the real one comes from branch `bundled`.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "gb-provider.h"

G_BEGIN_DECLS

#define GB_TYPE_BUNDLED_PROVIDER (gb_bundled_provider_get_type ())
G_DECLARE_FINAL_TYPE (GbBundledProvider, gb_bundled_provider, GB, BUNDLED_PROVIDER, GbProvider)

GbProvider *gb_bundled_provider_new (void);
GbProvider *gb_bundled_provider_new_for_dirs (const char *machines_dir, const char *runtime_dir);
const char *gb_bundled_provider_get_machines_dir (GbBundledProvider *self);
/* @config = glassbox-vmm --config JSON object (docs/vmm.md: kernel, initrd, cmdline, memory, cpus, disks, serial, …) + "name" (uuid made if absent) */
void        gb_bundled_provider_create_machine_async  (GbBundledProvider *self, JsonObject *config, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
GbMachine  *gb_bundled_provider_create_machine_finish (GbBundledProvider *self, GAsyncResult *result, GError **error);
typedef enum { GB_KVM_STATUS_OK, GB_KVM_STATUS_MISSING, GB_KVM_STATUS_NO_ACCESS, GB_KVM_STATUS_EMULATED } GbKvmStatus;
GbKvmStatus gb_bundled_provider_get_kvm_status (GbBundledProvider *self, const char **explanation);

G_END_DECLS
