/* machine.h — one running machine: the VM, its devices, its control socket,
 * and the main loop that ties them together. */
#pragma once

#include <glib.h>

#include "options.h"

struct machine;

/* Builds the machine and loads the kernel; nothing runs yet. */
struct machine *machine_new(const struct vmm_options *opts, GError **error);
/* Runs until the guest resets or powers off, "stop" arrives, or a fatal
 * error; returns the process exit status (0 for an orderly end). */
int machine_run(struct machine *m);
void machine_free(struct machine *m);
