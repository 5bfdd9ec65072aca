/* gb-vmm-launch.h — start glassbox-vmm for a machine file, detached
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gb-vmm-client.h"

G_BEGIN_DECLS

/* What a running machine keeps in its run folder. */
#define GB_VMM_API_SOCKET    "api.sock"
#define GB_VMM_SERIAL_SOCKET "serial.sock"
/* glassbox-vmm puts its VNC socket beside the control socket (docs/vmm.md). */
#define GB_VMM_VNC_SOCKET    GB_VMM_API_SOCKET ".vnc"
#define GB_VMM_LOG_FILE      "vmm.log"

/* Spawns `glassbox-vmm run --config @config_file --api-socket RUN/api.sock
 * --serial socket=RUN/serial.sock --paused` in @work_dir, in a session of
 * its own so that it outlives the caller, with stdout and stderr in
 * RUN/vmm.log after a first line "glassbox: COMMAND"; waits for the control
 * socket and connects to it.  The guest has not run yet: send "resume".
 * A VMM that ends first fails the call with what it said in its log.
 * @restore_file (nullable): adds `--restore FILE`, a "save-state" file. */
void         gb_vmm_launch_async        (const char           *config_file,
                                         const char           *work_dir,
                                         const char           *run_dir,
                                         const char           *restore_file,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
GbVmmClient *gb_vmm_launch_finish       (GAsyncResult         *result,
                                         GError              **error);

/* The last @n_lines lines of RUN/vmm.log, or NULL. */
char        *gb_vmm_log_read_tail       (const char           *run_dir,
                                         guint                 n_lines);
/* Adds "glassbox: @what" to RUN/vmm.log: what the app saw, beside what the
 * VMM said. */
void         gb_vmm_log_append          (const char           *run_dir,
                                         const char           *what);

G_END_DECLS
