/* gb-lab-machine.h — a throw-away glassbox-vmm running one tiny guest
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gb-machine.h"
#include "gb-vmm-client.h"

G_BEGIN_DECLS

#define GB_TYPE_LAB_MACHINE (gb_lab_machine_get_type ())
G_DECLARE_FINAL_TYPE (GbLabMachine, gb_lab_machine, GB, LAB_MACHINE, GbMachine)

/* The folder of the Lab's guests: $GLASSBOX_LAB_DIR, the build tree's
 * when this program runs from it, else the installed one (in the prefix
 * this program runs from, then as configured: gb-install-dirs.c). */
char         *gb_lab_find_guest          (const char           *name,
                                          GError              **error);

/* Starts `glassbox-vmm run --paused` on @guest (an ELF path) with
 * @cmdline, its control socket in a new temporary folder, and connects to
 * it.  The machine is PAUSED when this finishes; resume it to run.
 * @extra_args (nullable) are more `run` options. */
void          gb_lab_machine_launch_async  (const char           *name,
                                            const char           *guest,
                                            const char           *cmdline,
                                            const char * const   *extra_args,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
GbLabMachine *gb_lab_machine_launch_finish (GAsyncResult         *result,
                                            GError              **error);

GbVmmClient  *gb_lab_machine_get_client    (GbLabMachine         *self);
/* The VMM's process ID (for /proc/PID/stat), 0 once it exited. */
GPid          gb_lab_machine_get_pid       (GbLabMachine         *self);
/* Host CPU time the VMM process used so far, in seconds (utime + stime). */
double        gb_lab_machine_get_cpu_time  (GbLabMachine         *self);
/* CPU time the VMM's vCPU threads ("vcpuN") ran so far, in seconds, from
 * /proc/PID/task/TID/schedstat (nanoseconds): guest code plus every exit
 * handled in that thread, not the time it waited for a CPU. */
double        gb_lab_machine_get_vcpu_time (GbLabMachine        *self);
/* Ends the VMM (SIGTERM) if it still runs. */
void          gb_lab_machine_terminate     (GbLabMachine         *self);

G_END_DECLS
