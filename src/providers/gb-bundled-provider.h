/* gb-bundled-provider.h — "This computer (Glassbox)": machines glassbox-vmm runs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "gb-provider.h"

G_BEGIN_DECLS

typedef enum {
  GB_KVM_STATUS_OK,
  GB_KVM_STATUS_MISSING,     /* no /dev/kvm */
  GB_KVM_STATUS_NO_ACCESS,   /* /dev/kvm, but not for this user */
  GB_KVM_STATUS_EMULATED,    /* PVM and the like: every instruction emulated */
} GbKvmStatus;

#define GB_TYPE_KVM_STATUS (gb_kvm_status_get_type ())
GType gb_kvm_status_get_type (void) G_GNUC_CONST;

/* Its URI, for gb_provider_get_uri() and `glassbox --connect`. */
#define GB_BUNDLED_PROVIDER_URI "glassbox:///session"

#define GB_TYPE_BUNDLED_PROVIDER (gb_bundled_provider_get_type ())
G_DECLARE_FINAL_TYPE (GbBundledProvider, gb_bundled_provider, GB, BUNDLED_PROVIDER, GbProvider)

/* Machines in $XDG_DATA_HOME/glassbox/machines, running ones in
 * $XDG_RUNTIME_DIR/glassbox. */
GbProvider  *gb_bundled_provider_new                   (void);
/* The same with other folders (tests). */
GbProvider  *gb_bundled_provider_new_for_dirs          (const char          *machines_dir,
                                                        const char          *runtime_dir);
const char  *gb_bundled_provider_get_machines_dir      (GbBundledProvider   *self);
const char  *gb_bundled_provider_get_runtime_dir       (GbBundledProvider   *self);

/* Writes a new machine file.  @config is a glassbox-vmm --config object
 * plus "name" (and "uuid", made if absent; optional "os-id", "title").
 * Fails if the name is taken. */
void         gb_bundled_provider_create_machine_async  (GbBundledProvider   *self,
                                                        JsonObject          *config,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
/* Returns: (transfer full): the new machine, already in the provider's list */
GbMachine   *gb_bundled_provider_create_machine_finish (GbBundledProvider   *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* What /dev/kvm offers here, probed once (off the main thread; the first
 * call before that probe ended probes at once — it is a few system calls).
 * @explanation: (out) (optional): plain translated words for the user. */
GbKvmStatus  gb_bundled_provider_get_kvm_status        (GbBundledProvider   *self,
                                                        const char         **explanation);

G_END_DECLS
