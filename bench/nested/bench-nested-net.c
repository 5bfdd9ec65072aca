/* bench-nested-net.c — glassbox-vmm's virtio-net next to QEMU's, moving
 * the same data over the same tap with the same stock Debian kernel, on
 * the same real (nested) KVM, in the nested test bed (docs/nested-kvm.md).
 *
 * bench-nested-net.sh boots the guest (net-guest: 1 vCPU, 256 MiB, one
 * virtio-net NIC on a tap in the outer guest) in turn in glassbox-vmm
 * (`--net tap=`), in QEMU `-M pc` with `-netdev tap,vhost=off` (QEMU's own
 * user-space virtio-net: what we are) and, as a reference, with vhost=on
 * (the outer kernel's vhost_net), and QEMU with its NIC served by our
 * `glassbox-vmm vhost-user-net` (GB_BENCH_VMMS picks some of the four).
 * The guest takes GB_BENCH_MIB MiB (32)
 * from busybox nc in the outer guest and sends as many back; it times each
 * transfer, the outer guest counts the bytes and reads the VMM's CPU time
 * (utime + stime, all threads, plus QEMU's vhost worker) at the guest's
 * markers.  GB_BENCH_RUNS rounds (3); every round as measured, what was
 * counted in it (the guest's interrupts and TCP segments, the tap's drops,
 * each VMM thread's CPU ticks, our exits and queue counters), ours /
 * vhost=off round by round, and medians with min–max and the ratio
 * ours / QEMU's.
 *
 * What the figures are: every exit of the inner guest is emulated SVM work
 * in the outer guest's QEMU TCG, milliseconds instead of microseconds, and
 * each frame a user-space device handles costs several exits (the kick, the
 * interrupt, the guest's EOI).  They compare the two devices' exit and
 * copy costs here; they are not throughput on hardware KVM.
 */
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb-test-utils.h"
#include "nested-test-util.h"
#include "vmm-test-util.h"

enum { OURS, QEMU_OFF, QEMU_ON, VHOST_USER, N_VMMS };
static const char *const vmm_names[N_VMMS] = { "glassbox-vmm", "qemu-vhost-off", "qemu-vhost-on", "vhost-user" };
static const char *const vmm_titles[N_VMMS] = { "glassbox-vmm", "QEMU vhost=off", "QEMU vhost=on",
                                                "QEMU + our vhost-user" };
enum { DOWN_MIBS, UP_MIBS, DOWN_CPU, UP_CPU, N_MEASURES };
static const char *const measure_titles[N_MEASURES] = {
	"outer -> inner MiB/s", "inner -> outer MiB/s", "outer -> inner CPU s/GiB", "inner -> outer CPU s/GiB",
};

static void
print_cell(GArray *a)
{
	double m;

	if (a->len == 0) {
		printf(" %-22s", "-");
		return;
	}
	m = nested_median(a);   /* sorts: before the minimum and maximum are read */
	printf(" %7.2f (%.2f-%.2f)", m, g_array_index(a, double, 0), g_array_index(a, double, a->len - 1));
}

/* GB_BENCH_VMMS (bench-nested-net.sh): the VMMs to run, all by default. */
static gboolean
vmm_wanted(const char *name)
{
	const char *list = g_getenv("GB_BENCH_VMMS");
	g_auto(GStrv) names = NULL;

	if (list == NULL || *list == '\0')
		return TRUE;
	names = g_strsplit(list, " ", -1);
	return g_strv_contains((const char *const *) names, name);
}

int
main(int argc, char **argv)
{
	g_autofree char *dir = NULL, *why = NULL, *guest = NULL, *inner = NULL, *kernel = NULL;
	g_autofree char *initrd = NULL, *script = NULL, *vmm = NULL, *qemu = NULL, *ip = NULL;
	g_autofree char *results = NULL, *loadavg = NULL, *env = NULL, *diag = NULL, *api = NULL;
	g_autoptr(NestedRun) run = NULL;
	GArray *m[N_VMMS][N_MEASURES];
	const char *roms[] = { "/usr/share/seabios/bios-256k.bin", "/usr/share/qemu/linuxboot_dma.bin",
	                       "/usr/share/qemu/kvmvapic.bin" };
	const char *files[8];
	int mib = g_getenv("GB_BENCH_MIB") ? atoi(g_getenv("GB_BENCH_MIB")) : 32;
	int failed = 0;
	gboolean ok;
	g_auto(GStrv) lines = NULL;

	g_test_init(&argc, &argv, NULL);
	qemu = g_find_program_in_path("qemu-system-x86_64");
	ip = g_find_program_in_path("ip");
	if (qemu == NULL || ip == NULL) {
		printf("SKIP: qemu-system-x86_64 (qemu-system-x86) and ip (iproute2) are needed\n");
		return 0;
	}
	for (unsigned int i = 0; i < G_N_ELEMENTS(roms); i++) {
		if (!g_file_test(roms[i], G_FILE_TEST_EXISTS)) {
			printf("SKIP: %s (QEMU's -M pc firmware: seabios, qemu-system-data) is needed\n", roms[i]);
			return 0;
		}
	}
	g_file_get_contents("/proc/loadavg", &loadavg, NULL, NULL);
	dir = gb_test_tmpdir_new("gb-bench-nested-net-XXXXXX");
	guest = g_build_filename(g_getenv("G_TEST_SRCDIR"), "..", "bench", "nested", "net-guest", NULL);
	script = g_build_filename(g_getenv("G_TEST_SRCDIR"), "..", "bench", "nested", "bench-nested-net.sh", NULL);
	inner = g_build_filename(dir, "inner", NULL);
	kernel = g_build_filename(dir, "inner-vmlinuz", NULL);
	initrd = g_build_filename(dir, "inner-initramfs.img", NULL);
	env = g_build_filename(dir, "bench-env", NULL);
	vmm = vmm_binary();
	api = g_build_filename(g_getenv("G_TEST_BUILDDIR"), "nested", "gb-api-call", NULL);
	if (!gb_test_build_linux_guest(inner, (const char *const[]) { guest, NULL }, NULL, &why)) {
		printf("SKIP: %s\n", why);
		return 0;
	}
	{
		g_autofree char *k = g_build_filename(inner, "vmlinuz", NULL);
		g_autofree char *i = g_build_filename(inner, "initramfs.img", NULL);

		g_assert_cmpint(g_rename(k, kernel), ==, 0);
		g_assert_cmpint(g_rename(i, initrd), ==, 0);
	}
	/* The firmware QEMU -M pc loads, found through -L $GB_IN. */
	files[0] = kernel;
	files[1] = initrd;
	for (unsigned int i = 0; i < G_N_ELEMENTS(roms); i++)
		files[2 + i] = roms[i];

	/* The settings reach the outer guest as a file its script sources. */
	{
		g_autofree char *env_text = g_strdup_printf("GB_BENCH_RUNS='%s'\nGB_BENCH_MIB='%d'\nGB_BENCH_VMMS='%s'\n",
		                                            g_getenv("GB_BENCH_RUNS") ? g_getenv("GB_BENCH_RUNS") : "3",
		                                            mib, g_getenv("GB_BENCH_VMMS") ? g_getenv("GB_BENCH_VMMS") : "");

		g_assert_true(g_file_set_contents(env, env_text, -1, NULL));
	}
	files[2 + G_N_ELEMENTS(roms)] = env;
	files[3 + G_N_ELEMENTS(roms)] = NULL;

	/* iproute2's ip: busybox's has no `ip tuntap`. */
	run = nested_run(script, files, (const char *const[]) { vmm, qemu, ip, api, NULL }, 3000, &why);
	if (run == NULL) {
		printf("SKIP: %s\n", why);
		return 0;
	}
	results = nested_read(run, "results");
	if (results == NULL) {
		g_autofree char *skip = nested_read(run, "skip");

		if (skip) {
			printf("SKIP: %s\n", skip);
			return 0;
		}
		printf("no results; log:\n%s\n", run->log);
		return 1;
	}
	/* Every round as measured, then what the guest, the tap and our VMM
	 * counted in it: the medians below hide how the rounds spread. */
	printf("rounds (VMM down-bytes down-s up-bytes up-s cpu-down-ticks cpu-up-ticks):\n%s", results);
	diag = nested_read(run, "diag");
	if (diag)
		printf("counters:\n%s", diag);
	for (int v = 0; v < N_VMMS; v++)
		for (int k = 0; k < N_MEASURES; k++)
			m[v][k] = g_array_new(FALSE, FALSE, sizeof(double));
	lines = g_strsplit(results, "\n", -1);
	for (unsigned int i = 0; lines[i]; i++) {
		char name[32];
		double down_bytes, down_s, up_bytes, up_s, down_ticks, up_ticks, x;
		int v;

		if (sscanf(lines[i], "%31s %lf %lf %lf %lf %lf %lf", name, &down_bytes, &down_s, &up_bytes, &up_s,
		           &down_ticks, &up_ticks) != 7)
			continue;
		for (v = 0; v < N_VMMS && strcmp(name, vmm_names[v]); v++)
			;
		if (v == N_VMMS)
			continue;
		/* Every byte there, or the run does not count. */
		if (down_bytes != mib * 1048576.0 || up_bytes != mib * 1048576.0 || down_s <= 0 || up_s <= 0) {
			printf("%s: a transfer came short (%.0f and %.0f bytes of %d MiB): not counted\n", name,
			       down_bytes, up_bytes, mib);
			failed++;
			continue;
		}
		x = down_bytes / 1048576.0 / down_s;
		g_array_append_val(m[v][DOWN_MIBS], x);
		x = up_bytes / 1048576.0 / up_s;
		g_array_append_val(m[v][UP_MIBS], x);
		x = down_ticks / 100.0 / (down_bytes / 1073741824.0);
		g_array_append_val(m[v][DOWN_CPU], x);
		x = up_ticks / 100.0 / (up_bytes / 1073741824.0);
		g_array_append_val(m[v][UP_CPU], x);
	}
	/* The load of the machine drifts during a run, and the VMMs take turns
	 * round by round: ours next to QEMU's vhost=off in the same round is
	 * the fairer comparison.  (Arrays still in round order here.) */
	if (!failed && m[OURS][0]->len == m[QEMU_OFF][0]->len && m[OURS][0]->len > 0) {
		printf("ours / vhost=off round by round:\n");
		for (int k = 0; k < N_MEASURES; k++) {
			g_autoptr(GArray) r = g_array_new(FALSE, FALSE, sizeof(double));

			printf("  %-26s", measure_titles[k]);
			for (unsigned int i = 0; i < m[OURS][k]->len; i++) {
				double x = g_array_index(m[OURS][k], double, i) / g_array_index(m[QEMU_OFF][k], double, i);

				printf(" %.2f", x);
				g_array_append_val(r, x);
			}
			printf("  median %.2f\n", nested_median(r));
		}
	}
	printf("nested KVM (%s), stock Debian kernel + busybox, 1 vCPU, 256 MiB, one virtio-net NIC on a tap, "
	       "%d MiB each way over TCP (busybox nc); runs: %u / %u / %u / %u; load average before: %s",
	       run->nested ? "QEMU TCG outer guest" : "host KVM", mib, m[OURS][0]->len, m[QEMU_OFF][0]->len,
	       m[QEMU_ON][0]->len, m[VHOST_USER][0]->len, loadavg ? loadavg : "?\n");
	printf("%-26s", "");
	for (int v = 0; v < N_VMMS; v++)
		printf(" %-22s", vmm_titles[v]);
	printf(" ours/vhost=off ours/vhost=on\n");
	for (int k = 0; k < N_MEASURES; k++) {
		double mo, moff, mon;

		printf("%-26s", measure_titles[k]);
		for (int v = 0; v < N_VMMS; v++)
			print_cell(m[v][k]);
		mo = nested_median(m[OURS][k]);
		moff = nested_median(m[QEMU_OFF][k]);
		mon = nested_median(m[QEMU_ON][k]);
		printf(" %14.2f %13.2f\n", moff > 0 ? mo / moff : 0, mon > 0 ? mo / mon : 0);
	}
	g_free(loadavg);
	loadavg = NULL;
	g_file_get_contents("/proc/loadavg", &loadavg, NULL, NULL);
	printf("load average after: %s", loadavg ? loadavg : "?\n");
	printf("(%.0f s in all, outer boot included)\n", run->seconds);
	/* vhost=on only where the outer kernel has /dev/vhost-net. */
	ok = !failed;
	for (int v = 0; v < N_VMMS; v++)
		ok = ok && (m[v][0]->len > 0 || !vmm_wanted(vmm_names[v]) || v == QEMU_ON);
	for (int v = 0; v < N_VMMS; v++)
		for (int k = 0; k < N_MEASURES; k++)
			g_array_unref(m[v][k]);
	gb_test_tmpdir_remove(dir);
	return ok ? 0 : 1;
}
