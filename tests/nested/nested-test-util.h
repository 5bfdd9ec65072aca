/* nested-test-util.h — run a shell script where glassbox-vmm can boot real
 * Linux: on the host when its /dev/kvm runs guest code natively, otherwise
 * inside an "outer" Debian guest under QEMU TCG whose kvm_amd gives a real
 * (nested) KVM.  See docs/nested-kvm.md.
 *
 * The script runs with:
 *   $GB_IN   a folder holding `files` (by basename)
 *   $GB_OUT  an empty folder; what the script leaves there comes back
 *   PATH     holding `binaries` (by basename) ahead of the system's
 *   GB_NESTED=1 inside the outer guest
 */
#pragma once

#include <glib.h>

typedef struct {
	char *dir;          /* private temporary folder, removed by nested_run_free() */
	char *outdir;       /* what the script left in $GB_OUT */
	char *log;          /* the outer guest's serial log (nested) or the script's output (direct) */
	int status;         /* the script's exit status; -1 when it did not finish */
	double seconds;     /* wall time of the whole run, outer boot included */
	gboolean nested;    /* ran inside the outer guest */
} NestedRun;

/* Runs `script`; NULL (and *why, the reason to skip) when it cannot run
 * here.  A run that times out or fails still returns a NestedRun, with
 * status -1 and the log for the test to print. */
NestedRun *nested_run(const char *script, const char *const *files, const char *const *binaries,
                      int timeout_s, char **why);
/* Contents of $GB_OUT/name, or NULL. */
char *nested_read(NestedRun *run, const char *name);
char *nested_path(NestedRun *run, const char *name);
void nested_run_free(NestedRun *run);

/* NULL when the host's /dev/kvm runs guest code natively, else why not
 * (times the `calibrate` tiny guest against `hello`). */
char *nested_host_kvm_not_native(void);

/* The median of the doubles in @a (0 when empty), for the benchmarks that
 * run in the bed.  Sorts @a: read its minimum and maximum afterwards. */
double nested_median(GArray *a);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NestedRun, nested_run_free)
