/* bench-nested.c — glassbox-vmm next to `qemu-system-x86_64 -M microvm
 * -accel kvm`, booting the same stock Debian kernel and busybox initramfs
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
 * Nested KVM under TCG makes every VM exit expensive, and both VMMs boot
 * through different firmware paths (QEMU microvm: qboot + fw_cfg; ours:
 * direct load): the figures compare the two here, not real hardware.
 */
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb-test-utils.h"
#include "nested-test-util.h"
#include "vmm-test-util.h"

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;
	return x < y ? -1 : x > y;
}

static double
median(GArray *a)
{
	g_array_sort(a, cmp_double);
	if (a->len == 0)
		return 0;
	if (a->len % 2)
		return g_array_index(a, double, a->len / 2);
	return (g_array_index(a, double, a->len / 2 - 1) + g_array_index(a, double, a->len / 2)) / 2;
}

static void
report(const char *what, const char *unit, GArray *ours, GArray *qemu)
{
	double mo = median(ours), mq = median(qemu);

	printf("%-22s glassbox-vmm %7.2f %s (%.2f-%.2f)   qemu microvm %7.2f %s (%.2f-%.2f)   ratio %.2f\n",
	       what, mo, unit, ours->len ? g_array_index(ours, double, 0) : 0,
	       ours->len ? g_array_index(ours, double, ours->len - 1) : 0, mq, unit,
	       qemu->len ? g_array_index(qemu, double, 0) : 0,
	       qemu->len ? g_array_index(qemu, double, qemu->len - 1) : 0, mq > 0 ? mo / mq : 0);
}

int
main(int argc, char **argv)
{
	g_autofree char *dir = NULL, *why = NULL, *check = NULL, *inner = NULL, *kernel = NULL;
	g_autofree char *initrd = NULL, *script = NULL, *vmm = NULL, *qemu = NULL, *bios = NULL;
	g_autofree char *results = NULL;
	g_autoptr(NestedRun) run = NULL;
	g_autoptr(GArray) t_ours = g_array_new(FALSE, FALSE, sizeof(double));
	g_autoptr(GArray) t_qemu = g_array_new(FALSE, FALSE, sizeof(double));
	g_autoptr(GArray) m_ours = g_array_new(FALSE, FALSE, sizeof(double));
	g_autoptr(GArray) m_qemu = g_array_new(FALSE, FALSE, sizeof(double));
	g_autoptr(GArray) r_ours = g_array_new(FALSE, FALSE, sizeof(double));
	g_autoptr(GArray) r_qemu = g_array_new(FALSE, FALSE, sizeof(double));
	g_auto(GStrv) lines = NULL;

	g_test_init(&argc, &argv, NULL);
	qemu = g_find_program_in_path("qemu-system-x86_64");
	if (qemu == NULL || !g_file_test("/usr/share/qemu/qboot.rom", G_FILE_TEST_EXISTS)) {
		printf("SKIP: qemu-system-x86_64 and /usr/share/qemu/qboot.rom (qemu-system-x86) are needed\n");
		return 0;
	}
	dir = gb_test_tmpdir_new("gb-bench-nested-XXXXXX");
	check = g_test_build_filename(G_TEST_DIST, "nested", "guest-check", NULL);
	script = g_build_filename(g_getenv("G_TEST_SRCDIR"), "..", "bench", "nested", "bench-nested.sh", NULL);
	inner = g_build_filename(dir, "inner", NULL);
	kernel = g_build_filename(dir, "inner-vmlinuz", NULL);
	initrd = g_build_filename(dir, "inner-initramfs.img", NULL);
	bios = g_build_filename(dir, "bios-microvm.bin", NULL);
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
		/* QEMU's microvm firmware (qboot), found through -L. */
		g_assert_true(g_file_get_contents("/usr/share/qemu/qboot.rom", &rom, &len, NULL));
		g_assert_true(g_file_set_contents(bios, rom, len, NULL));
	}

	run = nested_run(script, (const char *const[]) { kernel, initrd, bios, NULL },
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
		double secs, rss, shmem, anon;

		if (sscanf(lines[i], "%31s %lf %lf %lf %lf", name, &secs, &rss, &shmem, &anon) != 5)
			continue;
		gboolean ours = strcmp(name, "glassbox-vmm") == 0;
		double anon_mib = anon / 1024.0, rss_mib = rss / 1024.0;

		(void) shmem;
		g_array_append_val(ours ? t_ours : t_qemu, secs);
		g_array_append_val(ours ? m_ours : m_qemu, anon_mib);
		g_array_append_val(ours ? r_ours : r_qemu, rss_mib);
	}
	printf("nested KVM (%s), stock Debian kernel + busybox initramfs, 256 MiB, 1 vCPU, %u + %u runs:\n",
	       run->nested ? "QEMU TCG outer guest" : "host KVM", t_ours->len, t_qemu->len);
	report("exec -> /init", "s  ", t_ours, t_qemu);
	report("private RSS (RssAnon)", "MiB", m_ours, m_qemu);
	report("total RSS (VmRSS)", "MiB", r_ours, r_qemu);
	gb_test_tmpdir_remove(dir);
	return t_ours->len && t_qemu->len ? 0 : 1;
}
