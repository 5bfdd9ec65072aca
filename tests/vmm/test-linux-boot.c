/* test-linux-boot.c — boot a real Debian kernel in glassbox-vmm: bzImage
 * through the 64-bit boot protocol, a busybox initramfs, the virtio-pci
 * modules, an ext4 file system on virtio-blk.
 *
 * It needs a /dev/kvm that runs guest code on the CPU (VT-x/AMD-V).  Some
 * hosts offer the KVM API but emulate every guest instruction (PVM, nested
 * set-ups without hardware support): there a Linux boot takes hours.  So
 * the test first times a tiny calibration guest — about a million
 * instructions — and skips, saying why, when that is slow. */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "gb-test-utils.h"
#include "vmm-test-util.h"

/* 1M instructions: ~1 ms on hardware KVM, ~1 s when emulated at ~1 µs. */
#define EMULATED_THRESHOLD_MS 100.0

static double
run_ms(const char *guest)
{
	gint64 t0 = g_get_monotonic_time();
	int status = -1;
	g_autofree char *serial = vmm_run_guest(guest, NULL, &status);
	double ms = (g_get_monotonic_time() - t0) / 1000.0;

	g_assert_cmpint(status, ==, 0);
	g_assert_nonnull(strstr(serial, "\n"));   /* it did print */
	return ms;
}

/* Returns the reason to skip, or NULL when guest code runs natively. */
static char *
kvm_is_emulated(void)
{
	/* The difference cancels out VMM start-up and teardown. */
	double base = MIN(run_ms("hello"), run_ms("hello"));
	double loop = MIN(run_ms("calibrate"), run_ms("calibrate")) - base;

	g_test_message("calibration: 1M-instruction loop took %.1f ms", loop);
	if (loop < EMULATED_THRESHOLD_MS)
		return NULL;
	return g_strdup_printf("/dev/kvm emulates guest instructions here (a 1M-instruction loop took "
	                       "%.0f ms, about %.2f us per instruction; hardware-accelerated KVM needs about "
	                       "1 ms): this is PVM or similar, and a stock Linux kernel cannot boot in "
	                       "reasonable time. Run this test on a host with VT-x/AMD-V.",
	                       loop, loop * 1000.0 / 1e6);
}

static gboolean
run_cmd(const char *const *argv, char **out, int *status)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
	                                                   G_SUBPROCESS_FLAGS_STDERR_MERGE, &error);
	if (p == NULL)
		return FALSE;
	g_subprocess_communicate_utf8(p, NULL, NULL, out, NULL, NULL);
	*status = g_subprocess_get_if_exited(p) ? g_subprocess_get_exit_status(p) : -1;
	return TRUE;
}

static void
test_linux_boot(void)
{
	g_autofree char *reason = NULL, *dir = NULL, *script = NULL, *why = NULL;
	g_autofree char *fsdir = NULL, *marker_file = NULL, *disk = NULL, *kernel = NULL, *initrd = NULL;
	g_autofree char *marker = NULL, *disk_arg = NULL, *serial = NULL;
	g_autoptr(VmmRun) run = NULL;
	g_autoptr(ApiClient) api = NULL;
	g_autoptr(JsonObject) r1 = NULL, r2 = NULL;
	gint64 t0;
	const char *up;
	int status = -1;

	/* Emulation first: it decides everything else. */
	reason = kvm_is_emulated();
	if (reason) {
		g_printerr("# SKIP linux-boot: %s\n", reason);
		g_test_skip(reason);
		return;
	}

	dir = gb_test_tmpdir_new("gb-linux-XXXXXX");
	marker = g_strdup_printf("GLASSBOX-DISK-MARKER-%08x", g_random_int());

	/* The guest mounts the virtio disk and prints what it finds. */
	script = g_build_filename(dir, "check-disk", NULL);
	g_assert_true(g_file_set_contents(script,
		"#!/bin/sh\nmount -t ext4 /dev/vda /mnt && cat /mnt/marker && umount /mnt\n", -1, NULL));
	if (!gb_test_build_linux_guest(dir, (const char *const[]) { script, NULL }, NULL, &why)) {
		g_test_skip(why);
		return;
	}
	kernel = g_build_filename(dir, "vmlinuz", NULL);
	initrd = g_build_filename(dir, "initramfs.img", NULL);

	/* An ext4 image holding the marker, made with mke2fs -d. */
	fsdir = g_build_filename(dir, "fs", NULL);
	g_mkdir(fsdir, 0755);
	marker_file = g_build_filename(fsdir, "marker", NULL);
	g_assert_true(g_file_set_contents(marker_file, marker, -1, NULL));
	disk = g_build_filename(dir, "disk.raw", NULL);
	{
		g_autofree char *o = NULL;
		const char *argv[] = { "mke2fs", "-q", "-F", "-t", "ext4", "-d", fsdir, disk, "32M", NULL };
		if (!run_cmd(argv, &o, &status) || status != 0) {
			g_test_skip("mke2fs (e2fsprogs) is needed to build the test disk");
			return;
		}
	}

	disk_arg = g_strconcat("--disk=path=", disk, ",format=raw", NULL);
	{
		const char *extra[] = { "--kernel", kernel, "--initrd", initrd, "--memory", "512", "--cpus", "2",
		                        "--cmdline", "console=ttyS0 reboot=k panic=-1 gb.run=check-disk", disk_arg, NULL };
		run = vmm_spawn("hello", extra, TRUE);   /* --kernel given again: the last one wins */
	}
	api = api_connect(run->socket_path);
	t0 = g_get_monotonic_time();
	r1 = api_call(api, "resume");
	g_assert_true(json_object_has_member(r1, "return"));
	g_assert_true(vmm_wait_serial(run, "GLASSBOX-GUEST-DONE", 120000));
	serial = vmm_serial(run);
	up = strstr(serial, "GLASSBOX-GUEST-UP ");
	g_assert_nonnull(up);
	g_test_message("Linux reached user space %.0f ms after exec (guest uptime %.*s s)",
	               (g_get_monotonic_time() - t0) / 1000.0, (int) strcspn(up + 18, "\n"), up + 18);
	g_assert_nonnull(strstr(serial, marker));
	g_assert_nonnull(strstr(serial, "GLASSBOX-GUEST-DONE 0"));
	r2 = api_call(api, "stop");
	g_assert_true(json_object_has_member(r2, "return"));
	g_assert_true(vmm_wait(run, 30000, &status));
	g_assert_cmpint(status, ==, 0);
}

static void
test_no_kvm(void)
{
	g_test_skip("/dev/kvm cannot be opened here");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/linux/boot", access("/dev/kvm", R_OK | W_OK) == 0 ? test_linux_boot : test_no_kvm);
	return g_test_run();
}
