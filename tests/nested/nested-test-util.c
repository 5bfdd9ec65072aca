/* nested-test-util.c — see nested-test-util.h and docs/nested-kvm.md.
 *
 * The outer guest is the Linux test guest of tests/linux-guest/
 * build-guest.sh with more in it: the kvm and kvm_amd modules (from the
 * same Debian package), the binaries with every shared library ldd finds
 * (so a sanitized glassbox-vmm brings its ASan runtime along), the files,
 * and a wrapper that runs the script and writes $GB_OUT as a tar archive
 * straight onto the outer guest's only disk, /dev/vda: a raw image the host
 * unpacks with tar.  No 9p, no file system to mount on the host, nothing
 * that needs privileges.
 */
#include "nested-test-util.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "gb-test-utils.h"
#include "vmm-test-util.h"

/* Outer guest: QEMU's TCG emulates AMD SVM with nested paging for -cpu max. */
#define OUTER_MEMORY_MIB "2048"
#define OUTER_CPUS "2"
#define RESULTS_DISK_SIZE (1024LL << 20)

/* What the outer guest's script leaves of its time limit: QEMU's firmware
 * and kernel load before the guest's clock starts (a few seconds under
 * TCG, more on a loaded machine) and writing $GB_OUT to the results disk. */
#define NESTED_RESULTS_MARGIN_S 40

/* 1M instructions: ~1 ms on hardware KVM, ~1 s when emulated at ~1 µs. */
#define EMULATED_THRESHOLD_MS 100.0

static double
run_ms(const char *guest)
{
	gint64 t0 = g_get_monotonic_time();
	int status = -1;
	g_autofree char *serial = vmm_run_guest(guest, NULL, &status);

	if (status != 0)
		return 1e9;
	return (g_get_monotonic_time() - t0) / 1000.0;
}

char *
nested_host_kvm_not_native(void)
{
	double base, loop;

	if (access("/dev/kvm", R_OK | W_OK) != 0)
		return g_strdup("/dev/kvm cannot be opened here");
	/* Hardware KVM is kvm_intel or kvm_amd.  Without either (PVM here:
	 * kvm_pvm) there is nothing to time: a timing alone can mislead on a
	 * loaded machine, where the VMM's own start-up varies by more than the
	 * loop takes. */
	if (!g_file_test("/sys/module/kvm_intel", G_FILE_TEST_IS_DIR) &&
	    !g_file_test("/sys/module/kvm_amd", G_FILE_TEST_IS_DIR))
		return g_strdup_printf("/dev/kvm here is not hardware KVM (neither kvm_intel nor kvm_amd is "
		                       "loaded%s)", g_file_test("/sys/module/kvm_pvm", G_FILE_TEST_IS_DIR) ?
		                       "; it is PVM, kvm_pvm" : "");
	/* The difference cancels out VMM start-up and teardown. */
	base = MIN(run_ms("hello"), run_ms("hello"));
	loop = MIN(run_ms("calibrate"), run_ms("calibrate"));
	/* Direct mode only on evidence: a tiny guest that failed (1e9) twice,
	 * say on a machine too loaded for its timeout, made the difference 0
	 * or negative — "native" — and a stock Linux then went to this
	 * host's emulating KVM and timed out. */
	if (base >= 1e9 || loop >= 1e9)
		return g_strdup("the calibration guests (hello, calibrate) did not run on /dev/kvm here, "
		                "so it cannot be shown to run guest code natively");
	loop -= base;
	g_test_message("calibration: 1M-instruction loop took %.1f ms", loop);
	if (loop < EMULATED_THRESHOLD_MS)
		return NULL;
	return g_strdup_printf("/dev/kvm emulates guest instructions here (a 1M-instruction loop took "
	                       "%.0f ms, about %.2f us per instruction; hardware KVM needs about 1 ms)",
	                       loop, loop * 1000.0 / 1e6);
}

/* Waits for `p` up to `timeout_s`; kills it and returns FALSE after. */
static gboolean
wait_or_kill(GSubprocess *p, int timeout_s)
{
	gint64 deadline = g_get_monotonic_time() + (gint64) timeout_s * G_USEC_PER_SEC;

	while (g_subprocess_get_identifier(p) != NULL) {
		if (g_get_monotonic_time() > deadline) {
			g_subprocess_send_signal(p, SIGKILL);
			g_subprocess_wait(p, NULL, NULL);
			return FALSE;
		}
		g_usleep(20000);
	}
	g_subprocess_wait(p, NULL, NULL);
	return TRUE;
}

static void
read_int_file(NestedRun *run, const char *name, int *value)
{
	g_autofree char *text = nested_read(run, name);

	*value = text ? atoi(text) : -1;
}

/* The sanitizer options of this test, for the VMM inside the outer guest;
 * the LeakSanitizer suppressions file travels along as lsan.supp. */
static char *
sanitizer_exports(GPtrArray *files)
{
	static const char *const vars[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS" };
	GString *s = g_string_new(NULL);

	for (unsigned int i = 0; i < G_N_ELEMENTS(vars); i++) {
		const char *v = g_getenv(vars[i]);
		g_auto(GStrv) parts = NULL;

		if (v == NULL)
			continue;
		parts = g_strsplit(v, ":", -1);
		for (unsigned int j = 0; parts[j]; j++) {
			if (g_str_has_prefix(parts[j], "suppressions=")) {
				g_ptr_array_add(files, g_strdup(parts[j] + strlen("suppressions=")));
				g_free(parts[j]);
				parts[j] = g_strdup("suppressions=/tests/lsan.supp");
			}
		}
		g_autofree char *joined = g_strjoinv(":", parts);
		g_string_append_printf(s, "export %s='%s'\n", vars[i], joined);
	}
	return g_string_free(s, FALSE);
}

static gboolean
run_nested(NestedRun *run, const char *script, const char *const *files, const char *const *binaries,
           int timeout_s, char **why)
{
	g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) supp = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	g_autofree char *outer = g_build_filename(run->dir, "outer", NULL);
	g_autofree char *wrapper = g_build_filename(run->dir, "nested-main", NULL);
	g_autofree char *exports = sanitizer_exports(supp);
	g_autofree char *wrapper_text = NULL, *bins = NULL, *kernel = NULL, *initrd = NULL;
	g_autofree char *results = g_build_filename(run->dir, "results.img", NULL);
	g_autofree char *serial = g_build_filename(run->dir, "outer-serial.log", NULL);
	g_autofree char *serial_arg = NULL, *drive_arg = NULL, *script_name = g_path_get_basename(script);
	g_autoptr(GSubprocess) qemu = NULL;
	gboolean ok;
	int fd;

	if (!gb_test_have_program("qemu-system-x86_64")) {
		*why = g_strdup("no native KVM here and qemu-system-x86_64 (qemu-system-x86) is not installed "
		                "for the nested test bed");
		return FALSE;
	}

	/* The wrapper: run the script, keep its output and status, write
	 * $GB_OUT to the results disk as a tar archive. */
	/* GB_DEADLINE: the outer guest's uptime (/proc/uptime, which starts
	 * after QEMU's firmware and kernel load) by which the script must be
	 * done, so that its results — a hung scenario's threads.log and
	 * serial log above all — are on the disk before QEMU is killed. */
	wrapper_text = g_strdup_printf(
		"#!/bin/sh\n"
		"export GB_IN=/tests GB_OUT=/out GB_NESTED=1 PATH=/sbin:/bin:/usr/bin GB_DEADLINE=%d\n"
		"%s"
		"mkdir -p /out\n"
		"echo \"GB-NESTED: $(grep -c ^processor /proc/cpuinfo) CPUs, $(ls /dev/kvm 2>&1)\"\n"
		"dmesg | grep -i 'nested paging' | tail -1\n"
		"{ sh /tests/%s; echo $? > /out/script.status; } 2>&1 | tee /out/script.log\n"
		"tar -C /out -cf /dev/vda . && sync && echo GB-NESTED-RESULTS-WRITTEN\n",
		timeout_s - NESTED_RESULTS_MARGIN_S, exports, script_name);
	g_assert_true(g_file_set_contents(wrapper, wrapper_text, -1, NULL));

	g_ptr_array_add(all, g_strdup(wrapper));
	g_ptr_array_add(all, g_strdup(script));
	for (unsigned int i = 0; files && files[i]; i++)
		g_ptr_array_add(all, g_strdup(files[i]));
	for (unsigned int i = 0; i < supp->len; i++) {
		g_autofree char *copy = g_build_filename(run->dir, "lsan.supp", NULL);
		g_autofree char *text = NULL;

		if (g_file_get_contents(g_ptr_array_index(supp, i), &text, NULL, NULL) &&
		    g_file_set_contents(copy, text, -1, NULL))
			g_ptr_array_add(all, g_strdup(copy));
	}
	g_ptr_array_add(all, NULL);
	bins = binaries ? g_strjoinv(" ", (char **) binaries) : g_strdup("");

	/* tun and bridge: inner guests on a bridge through taps (linux-boot.sh);
	 * veth: the far ends of bridge ports (bridge-vlan.sh); vhost_net: QEMU's
	 * vhost=on, the reference in bench/nested's network benchmark. */
	g_setenv("GB_GUEST_EXTRA_MODULES", "kvm_amd tun bridge veth vhost_net", TRUE);
	ok = gb_test_build_linux_guest(outer, (const char *const *) all->pdata, bins, why);
	g_unsetenv("GB_GUEST_EXTRA_MODULES");
	if (!ok)
		return FALSE;
	kernel = g_build_filename(outer, "vmlinuz", NULL);
	initrd = g_build_filename(outer, "initramfs.img", NULL);

	fd = open(results, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(ftruncate(fd, RESULTS_DISK_SIZE), ==, 0);
	close(fd);

	/* no_timer_check: Linux's check that the PIT's interrupt reaches it
	 * through the IO-APIC counts ticks during a busy wait, which TCG's
	 * vCPU threads on a loaded host can miss; the outer kernel then
	 * panicked ("IO-APIC + timer doesn't work!", once in 2026-12-02's
	 * runs of the bed's core beside a second copy and a busy loop). */
	serial_arg = g_strconcat("file:", serial, NULL);
	drive_arg = g_strconcat("file=", results, ",format=raw,if=virtio", NULL);
	{
		const char *argv[] = {
			"qemu-system-x86_64", "-accel", "tcg,thread=multi", "-cpu", "max",
			"-smp", OUTER_CPUS, "-m", OUTER_MEMORY_MIB, "-display", "none", "-monitor", "none",
			"-nic", "none", "-no-reboot", "-serial", serial_arg,
			"-kernel", kernel, "-initrd", initrd,
			"-append", "console=ttyS0 panic=-1 quiet no_timer_check gb.run=nested-main",
			"-drive", drive_arg, NULL
		};
		qemu = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDIN_INHERIT, &error);
	}
	g_assert_no_error(error);
	if (!wait_or_kill(qemu, timeout_s))
		g_test_message("the outer guest did not finish in %d s", timeout_s);

	g_file_get_contents(serial, &run->log, NULL, NULL);
	{
		g_autofree char *cmd = g_strdup_printf("tar -C '%s' -xf '%s'", run->outdir, results);
		gb_test_run_shell(cmd, NULL, NULL);
	}
	return TRUE;
}

static gboolean
run_direct(NestedRun *run, const char *script, const char *const *files, const char *const *binaries,
           int timeout_s)
{
	g_autofree char *in = g_build_filename(run->dir, "in", NULL);
	g_autofree char *bin = g_build_filename(run->dir, "bin", NULL);
	g_autofree char *path = g_strconcat(bin, ":", g_getenv("PATH"), NULL);
	g_autofree char *log = g_build_filename(run->dir, "script.log", NULL);
	g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_MERGE);
	g_autoptr(GSubprocess) p = NULL;
	g_autoptr(GError) error = NULL;

	g_mkdir(in, 0755);
	g_mkdir(bin, 0755);
	for (unsigned int i = 0; files && files[i]; i++) {
		g_autofree char *base = g_path_get_basename(files[i]);
		g_autofree char *link = g_build_filename(in, base, NULL);
		g_assert_cmpint(symlink(files[i], link), ==, 0);
	}
	for (unsigned int i = 0; binaries && binaries[i]; i++) {
		g_autofree char *base = g_path_get_basename(binaries[i]);
		g_autofree char *link = g_build_filename(bin, base, NULL);
		g_assert_cmpint(symlink(binaries[i], link), ==, 0);
	}
	g_subprocess_launcher_setenv(l, "GB_IN", in, TRUE);
	g_subprocess_launcher_setenv(l, "GB_OUT", run->outdir, TRUE);
	g_subprocess_launcher_setenv(l, "PATH", path, TRUE);
	g_subprocess_launcher_set_stdout_file_path(l, log);
	p = g_subprocess_launcher_spawn(l, &error, "sh", script, NULL);
	g_assert_no_error(error);
	if (wait_or_kill(p, timeout_s) && g_subprocess_get_if_exited(p)) {
		g_autofree char *st = g_strdup_printf("%d\n", g_subprocess_get_exit_status(p));
		g_autofree char *stf = g_build_filename(run->outdir, "script.status", NULL);
		g_file_set_contents(stf, st, -1, NULL);
	}
	g_file_get_contents(log, &run->log, NULL, NULL);
	return TRUE;
}

NestedRun *
nested_run(const char *script, const char *const *files, const char *const *binaries, int timeout_s,
           char **why)
{
	g_autoptr(NestedRun) run = g_new0(NestedRun, 1);
	const char *mode = g_getenv("GLASSBOX_NESTED");   /* "direct", "nested" or unset: choose */
	gint64 t0 = g_get_monotonic_time();
	gboolean direct;

	if (mode && !strcmp(mode, "direct")) {
		direct = TRUE;
	} else if (mode && !strcmp(mode, "nested")) {
		direct = FALSE;
	} else {
		g_autofree char *reason = nested_host_kvm_not_native();

		direct = reason == NULL;
		if (reason)
			g_test_message("running in the nested test bed: %s", reason);
	}

	run->dir = gb_test_tmpdir_new("gb-nested-XXXXXX");
	run->outdir = g_build_filename(run->dir, "out", NULL);
	g_mkdir(run->outdir, 0755);
	run->nested = !direct;
	if (direct) {
		run_direct(run, script, files, binaries, timeout_s);
	} else if (!run_nested(run, script, files, binaries, timeout_s, why)) {
		return NULL;
	}
	run->seconds = (g_get_monotonic_time() - t0) / 1e6;
	read_int_file(run, "script.status", &run->status);
	return g_steal_pointer(&run);
}

char *
nested_path(NestedRun *run, const char *name)
{
	return g_build_filename(run->outdir, name, NULL);
}

char *
nested_read(NestedRun *run, const char *name)
{
	g_autofree char *path = nested_path(run, name);
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	return text;
}

void
nested_run_free(NestedRun *run)
{
	if (run == NULL)
		return;
	if (run->dir && !g_getenv("GLASSBOX_NESTED_KEEP"))
		gb_test_tmpdir_remove(run->dir);
	else if (run->dir)
		g_printerr("# nested test bed files kept in %s\n", run->dir);
	g_free(run->dir);
	g_free(run->outdir);
	g_free(run->log);
	g_free(run);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return x < y ? -1 : x > y;
}

double
nested_median(GArray *a)
{
	g_array_sort(a, cmp_double);
	if (a->len == 0)
		return 0;
	if (a->len % 2)
		return g_array_index(a, double, a->len / 2);
	return (g_array_index(a, double, a->len / 2 - 1) + g_array_index(a, double, a->len / 2)) / 2;
}
