/* gb-bundled-machine.h — a machine glassbox-vmm runs, described by a JSON file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gb-machine.h"

G_BEGIN_DECLS

#define GB_TYPE_BUNDLED_MACHINE (gb_bundled_machine_get_type ())
G_DECLARE_FINAL_TYPE (GbBundledMachine, gb_bundled_machine, GB, BUNDLED_MACHINE, GbMachine)

/* The machine file ($XDG_DATA_HOME/glassbox/machines/UUID.json). */
const char *gb_bundled_machine_get_file      (GbBundledMachine *self);
/* Where its sockets and log are while it runs ($XDG_RUNTIME_DIR/glassbox/UUID). */
const char *gb_bundled_machine_get_run_dir   (GbBundledMachine *self);
/* Why the file cannot be read (the machine is broken: state UNKNOWN), or NULL. */
const char *gb_bundled_machine_get_error     (GbBundledMachine *self);
/* The last lines of glassbox-vmm's log when the machine crashed, or NULL. */
const char *gb_bundled_machine_get_crash_log (GbBundledMachine *self);
/* The glassbox-vmm process while it runs, else 0. */
GPid        gb_bundled_machine_get_pid       (GbBundledMachine *self);
/* The machine file's object as last read or written (NULL: broken). */
JsonObject *gb_bundled_machine_get_json      (GbBundledMachine *self);

/* Changes the machine while it is off: each member of @changes replaces
 * the file's (a JSON null removes it), "uuid" cannot change, a new "name"
 * must be free.  The file is written atomically; "config" follows. */
void        gb_bundled_machine_update_async  (GbBundledMachine    *self,
                                              JsonObject          *changes,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    gb_bundled_machine_update_finish (GbBundledMachine    *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Save State: the running machine's whole state (glassbox-vmm "save-state")
 * to MACHINES/UUID.state, then the machine stops; the next start goes on
 * from it (--restore) and removes the file, as libvirt's managed save.
 * glassbox-vmm refuses guests that drive virtio-net or the tablet, or have a
 * display, with its reason (docs/vmm-api.md). */
void        gb_bundled_machine_save_async    (GbBundledMachine    *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    gb_bundled_machine_save_finish   (GbBundledMachine    *self,
                                              GAsyncResult        *result,
                                              GError             **error);

G_END_DECLS
