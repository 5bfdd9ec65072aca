/* bench-nested.c — glassbox-vmm next to `qemu-system-x86_64 -M microvm
 * -accel kvm` and `-M q35 -accel kvm`, booting the same stock Debian kernel and busybox initramfs
 * on the same real (nested) KVM, in the nested test bed
 * (docs/nested-kvm.md), alternately, one run:
 *
 *   exec → /init       seconds until the guest's /init prints its marker
 *   private RSS        RssAnon at that moment: the VMM's own heap, stacks
 *                      and data.  Guest RAM is a memfd for both (QEMU's
 *                      through memory-backend-memfd), and in the outer
 *                      guest the binaries and libraries live on the
 *                      initramfs (ramfs), so both count as RssShmem there:
 *                      RssAnon is the part of "RSS beyond guest memory"
 *                      that can be told apart; code pages are not in it.
 *   total RSS          VmRSS (guest pages touched + code + private)
 *
 * Medians with min–max of GB_BENCH_RUNS runs (default 5), and ours/QEMU.
 * Nested KVM under TCG makes every VM exit expensive, and the VMMs boot
 * through different firmware paths (QEMU microvm: qboot + fw_cfg; q35:
 * SeaBIOS + linuxboot_dma.bin + fw_cfg; ours: direct load): the figures
 * compare them here, not on real hardware.
 */
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb-test-utils.h"
#include "nested-test-util.h"
#include "vmm-test-util.h"

enum { OURS, MICROVM, Q35, N_VMMS };
static const char *const vmm_names[N_VMMS] = { "glassbox-vmm", "qemu-microvm", "qemu-q35" };

/* One line per VMM: median (min-max), and ours / that VMM's median. */
static void
report(const char *what, const char *unit, GArray *a[N_VMMS])
{
	double mo = nested_median(a[OURS]);

	printf("%s:\n", what);
	for (int v = 0; v < N_VMMS; v++) {
		double m = nested_median(a[v]);

		printf("  %-13s %8.2f %s (%.2f-%.2f)", vmm_names[v], m, unit,
		       a[v]->len ? g_array_index(a[v], double, 0) : 0,
		       a[v]->len ? g_array_index(a[v], double, a[v]->len - 1) : 0);
		if (v != OURS)
			printf("   ours / this %.2f", m > 0 ? mo / m : 0);
		printf("\n");
	}
}

int
main(int argc, char **argv)
{
	g_autofree char *dir = NULL, *why = NULL, *check = NULL, *inner = NULL, *kernel = NULL;
	g_autofree char *initrd = NULL, *script = NULL, *vmm = NULL, *qemu = NULL, *bios = NULL;
	g_autofree char *results = NULL;
	g_autoptr(NestedRun) run = NULL;
	g_autofree char *seabios = NULL, *runs_file = NULL;
	GArray *times[N_VMMS], *anon[N_VMMS], *rss[N_VMMS];
	g_auto(GStrv) lines = NULL;
	int status;

	for (int v = 0; v < N_VMMS; v++) {
		times[v] = g_array_new(FALSE, FALSE, sizeof(double));
		anon[v] = g_array_new(FALSE, FALSE, sizeof(double));
		rss[v] = g_array_new(FALSE, FALSE, sizeof(double));
	}

	g_test_init(&argc, &argv, NULL);
	qemu = g_find_program_in_path("qemu-system-x86_64");
	if (qemu == NULL || !g_file_test("/usr/share/qemu/qboot.rom", G_FILE_TEST_EXISTS) ||
	    !g_file_test("/usr/share/seabios/bios-256k.bin", G_FILE_TEST_EXISTS)) {
		printf("SKIP: qemu-system-x86_64, /usr/share/qemu/qboot.rom (qemu-system-x86) and "
		       "/usr/share/seabios/bios-256k.bin (seabios) are needed\n");
		return 0;
	}
	dir = gb_test_tmpdir_new("gb-bench-nested-XXXXXX");
	check = g_test_build_filename(G_TEST_DIST, "nested", "guest-check", NULL);
	script = g_build_filename(g_getenv("G_TEST_SRCDIR"), "..", "bench", "nested", "bench-nested.sh", NULL);
	inner = g_build_filename(dir, "inner", NULL);
	kernel = g_build_filename(dir, "inner-vmlinuz", NULL);
	initrd = g_build_filename(dir, "inner-initramfs.img", NULL);
	bios = g_build_filename(dir, "bios-microvm.bin", NULL);
	seabios = g_build_filename(dir, "bios-256k.bin", NULL);
	vmm = vmm_binary();
	if (!gb_test_build_linux_guest(inner, (const char *const[]) { check, NULL }, NULL, &why)) {
		printf("SKIP: %s\n", why);
		return 0;
	}
	{
		g_autofree char *k = g_build_filename(inner, "vmlinuz", NULL);
		g_autofree char *i = g_build_filename(inner, "initramfs.img", NULL);
		g_autofree char *rom = NULL;
		gsize len;

		g_assert_cmpint(g_rename(k, kernel), ==, 0);
		g_assert_cmpint(g_rename(i, initrd), ==, 0);
		/* QEMU's microvm firmware (qboot) and q35's (SeaBIOS), found
		 * through -L: under the names QEMU looks for. */
		g_assert_true(g_file_get_contents("/usr/share/qemu/qboot.rom", &rom, &len, NULL));
		g_assert_true(g_file_set_contents(bios, rom, len, NULL));
		g_clear_pointer(&rom, g_free);
		g_assert_true(g_file_get_contents("/usr/share/seabios/bios-256k.bin", &rom, &len, NULL));
		g_assert_true(g_file_set_contents(seabios, rom, len, NULL));
		g_clear_pointer(&rom, g_free);
	}

	/* q35's option ROMs: the kernel loader over fw_cfg DMA, and the
	 * TPR-patching one QEMU loads for every PC machine. */
	/* GB_BENCH_RUNS reaches the outer guest's script as a file. */
	runs_file = g_build_filename(dir, "bench-runs", NULL);
	g_assert_true(g_file_set_contents(runs_file, g_getenv("GB_BENCH_RUNS") ? g_getenv("GB_BENCH_RUNS") : "5",
	                                  -1, NULL));
	run = nested_run(script, (const char *const[]) { kernel, initrd, bios, seabios, runs_file,
	                                                 "/usr/share/qemu/linuxboot_dma.bin",
	                                                 "/usr/share/qemu/kvmvapic.bin", NULL },
	                 (const char *const[]) { vmm, qemu, NULL }, 2000, &why);
	if (run == NULL) {
		printf("SKIP: %s\n", why);
		return 0;
	}
	results = nested_read(run, "results");
	if (results == NULL) {
		printf("no results; log:\n%s\n", run->log);
		return 1;
	}
	lines = g_strsplit(results, "\n", -1);
	for (unsigned int i = 0; lines[i]; i++) {
		char name[32];
		double secs, vmrss, shmem, rss_anon;
		int v;

		if (sscanf(lines[i], "%31s %lf %lf %lf %lf", name, &secs, &vmrss, &shmem, &rss_anon) != 5)
			continue;
		for (v = 0; v < N_VMMS && strcmp(name, vmm_names[v]) != 0; v++)
			;
		if (v == N_VMMS)
			continue;
		(void) shmem;
		g_array_append_val(times[v], secs);
		rss_anon /= 1024.0;
		vmrss /= 1024.0;
		g_array_append_val(anon[v], rss_anon);
		g_array_append_val(rss[v], vmrss);
	}
	printf("nested KVM (%s), stock Debian kernel + busybox initramfs, 256 MiB, 1 vCPU, %u + %u + %u runs:\n",
	       run->nested ? "QEMU TCG outer guest" : "host KVM", times[OURS]->len, times[MICROVM]->len,
	       times[Q35]->len);
	report("exec -> /init", "s  ", times);
	report("private RSS (RssAnon)", "MiB", anon);
	report("total RSS (VmRSS)", "MiB", rss);
	status = times[OURS]->len && times[MICROVM]->len && times[Q35]->len ? 0 : 1;
	if (status)
		printf("a VMM never reached /init; log:\n%s\n", run->log);
	for (int v = 0; v < N_VMMS; v++) {
		g_array_unref(times[v]);
		g_array_unref(anon[v]);
		g_array_unref(rss[v]);
	}
	gb_test_tmpdir_remove(dir);
	return status;
}
