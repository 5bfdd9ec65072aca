/* bench-nested-user.c — user-mode networking side by side: libslirp inside
 * glassbox-vmm (`--net user`) and passt, the separate process the VMM starts
 * (`--net passt`), moving the same data with the same stock Debian kernel
 * on the same real (nested) KVM, in the nested test bed
 * (docs/nested-kvm.md).
 *
 * Why here and not in bench/net (`--benchmark net-user`): there the guest
 * runs under QEMU TCG and reads so slowly that it closes its TCP window,
 * and Debian 12's passt does not resume after a zero window
 * (docs/networking.md, "user or passt?").  On KVM the guest reads quickly.
 *
 * bench-nested-user.sh boots the guest (user-guest: 1 vCPU, 256 MiB, one
 * virtio-net NIC) in glassbox-vmm with `--net user`, then with `--net
 * passt`, GB_BENCH_RUNS rounds (5).  The guest takes GB_BENCH_MIB MiB (32)
 * from busybox nc on the outer guest's loopback, through the gateway
 * 10.0.2.2 that both map to loopback, and sends as many back; it times
 * each transfer and cuts one that has not finished in GB_BENCH_WAIT s
 * (240): a stall.  A stall, or a connection that ended with bytes missing,
 * is reported with what it moved and left out of the figures.  The outer guest counts the bytes and reads the CPU time of the
 * VMM (utime + stime, all threads) and of passt (its child) at the guest's
 * markers.  Medians with min–max and the ratio libslirp / passt.
 *
 * What the figures are: every exit of the inner guest is emulated SVM work
 * in the outer guest's QEMU TCG, so both are far below what hardware KVM
 * gives; the CPU time includes the vCPU thread, where the inner guest runs.
 * They compare the two stacks' costs on this bed, not throughput on
 * hardware.
 *
 * GB_BENCH_RESULTS=FILE reads the results of a run kept with
 * GLASSBOX_NESTED_KEEP=1 (its out/results) again instead of running.
 *
 * Exit 77 (skipped) where passt, iproute2's ip or the bed is missing.
 */
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb-test-utils.h"
#include "nested-test-util.h"
#include "vmm-test-util.h"

enum { SLIRP, PASST, N_BACKENDS };
static const char *const backend_names[N_BACKENDS] = { "user", "passt" };
static const char *const backend_titles[N_BACKENDS] = { "libslirp (--net user)", "passt (--net passt)" };
enum { DOWN_MIBS, UP_MIBS, DOWN_CPU, UP_CPU, DOWN_PASST_CPU, UP_PASST_CPU, N_MEASURES };
static const char *const measure_titles[N_MEASURES] = {
	"outer -> inner MiB/s", "inner -> outer MiB/s", "outer -> inner CPU s/GiB", "inner -> outer CPU s/GiB",
	"  of which passt (down)", "  of which passt (up)",
};

static void
print_cell(GArray *a)
{
	double m;

	if (a->len == 0) {
		printf(" %-24s", "-");
		return;
	}
	m = nested_median(a);   /* sorts: before the minimum and maximum are read */
	printf(" %7.2f (%7.2f-%7.2f)", m, g_array_index(a, double, 0), g_array_index(a, double, a->len - 1));
}

/* A transfer the guest cut at its limit stalled; one that ended sooner
 * with bytes missing was closed or reset early. */
static void
report_short(GString *out, const char *title, int round, const char *direction, double bytes, int mib,
             double seconds, int wait_s)
{
	g_string_append_printf(out, "%s: round %d, %s: %.1f of %d MiB, %s after %.0f s\n", title, round, direction,
	                       bytes / 1048576.0, mib, seconds >= wait_s - 1 ? "stalled, cut" : "connection ended",
	                       seconds);
}

static void
append(GArray *a, double x)
{
	g_array_append_val(a, x);
}

/* Parses the outer guest's results lines and prints the table; FALSE
 * when libslirp's runs did not all complete or a round gave nothing. */
static gboolean
report(const char *results, int mib, int runs, int wait_s, const char *where, const char *loadavg_before)
{
	g_autoptr(GString) stalls = g_string_new(NULL);
	g_autofree char *after = NULL;
	GArray *m[N_BACKENDS][N_MEASURES];
	int stalled[N_BACKENDS][2] = { { 0 } };
	int rounds[N_BACKENDS] = { 0 };
	double expected = mib * 1048576.0;
	gboolean ok;
	g_auto(GStrv) lines = NULL;

	for (int b = 0; b < N_BACKENDS; b++)
		for (int k = 0; k < N_MEASURES; k++)
			m[b][k] = g_array_new(FALSE, FALSE, sizeof(double));
	lines = g_strsplit(results, "\n", -1);
	for (unsigned int i = 0; lines[i]; i++) {
		char name[32];
		double down_bytes, down_s, up_bytes, up_s, down_ticks, up_ticks, down_child, up_child;
		int b;

		if (sscanf(lines[i], "%31s %lf %lf %lf %lf %lf %lf %lf %lf", name, &down_bytes, &down_s, &up_bytes,
		           &up_s, &down_ticks, &up_ticks, &down_child, &up_child) != 9)
			continue;
		for (b = 0; b < N_BACKENDS && strcmp(name, backend_names[b]); b++)
			;
		if (b == N_BACKENDS)
			continue;
		rounds[b]++;
		/* A direction counts only with every byte there; one cut at
		 * the guest's limit is a stall, reported with what it moved. */
		/* passt gone between two markers: its CPU time there went
		 * with it (the difference is negative), so that direction's
		 * CPU is not counted. */
		if (down_child < 0 || up_child < 0)
			g_string_append_printf(stalls, "%s: round %d: passt was gone by the guest's last marker\n",
			                       backend_titles[b], rounds[b]);
		if (down_bytes == expected && down_s > 0) {
			append(m[b][DOWN_MIBS], down_bytes / 1048576.0 / down_s);
			if (down_child >= 0)
				append(m[b][DOWN_CPU], (down_ticks + down_child) / 100.0 / (down_bytes / 1073741824.0));
			if (b == PASST && down_child >= 0)
				append(m[b][DOWN_PASST_CPU], down_child / 100.0 / (down_bytes / 1073741824.0));
		} else {
			stalled[b][0]++;
			report_short(stalls, backend_titles[b], rounds[b], "outer -> inner", down_bytes, mib, down_s,
			             wait_s);
		}
		if (up_bytes == expected && up_s > 0) {
			append(m[b][UP_MIBS], up_bytes / 1048576.0 / up_s);
			if (up_child >= 0)
				append(m[b][UP_CPU], (up_ticks + up_child) / 100.0 / (up_bytes / 1073741824.0));
			if (b == PASST && up_child >= 0)
				append(m[b][UP_PASST_CPU], up_child / 100.0 / (up_bytes / 1073741824.0));
		} else {
			stalled[b][1]++;
			report_short(stalls, backend_titles[b], rounds[b], "inner -> outer", up_bytes, mib, up_s, wait_s);
		}
	}
	printf("nested KVM (%s), stock Debian kernel + busybox, 1 vCPU, 256 MiB, one virtio-net NIC, "
	       "%d MiB each way over TCP (busybox nc) to the outer guest's loopback through the gateway "
	       "10.0.2.2; rounds with a result: libslirp %d, passt %d of %d; load average %s: %s",
	       where, mib, rounds[SLIRP], rounds[PASST], runs, g_getenv("GB_BENCH_RESULTS") ? "now" : "before",
	       loadavg_before ? loadavg_before : "?\n");
	printf("%-26s", "");
	for (int b = 0; b < N_BACKENDS; b++)
		printf(" %-24s", backend_titles[b]);
	printf(" libslirp/passt\n");
	for (int k = 0; k < N_MEASURES; k++) {
		double ms, mp;

		printf("%-26s", measure_titles[k]);
		for (int b = 0; b < N_BACKENDS; b++)
			print_cell(m[b][k]);
		ms = nested_median(m[SLIRP][k]);
		mp = nested_median(m[PASST][k]);
		if (k < DOWN_PASST_CPU && ms > 0 && mp > 0)
			printf(" %14.2f\n", ms / mp);
		else
			printf(" %14s\n", "-");
	}
	printf("(CPU: the VMM process, all threads, the inner guest's vCPU included, plus passt's)\n");
	if (stalls->len)
		printf("transfers that came short (a stall is cut after %d s; left out of the figures above):\n%s",
		       wait_s, stalls->str);
	g_file_get_contents("/proc/loadavg", &after, NULL, NULL);
	printf("load average after: %s", after ? after : "?\n");
	/* A stall of passt's is a finding, reported; libslirp's is a failure,
	 * and so is a round that gave no result at all. */
	ok = rounds[SLIRP] == runs && rounds[PASST] == runs && !stalled[SLIRP][0] && !stalled[SLIRP][1];
	for (int b = 0; b < N_BACKENDS; b++)
		for (int k = 0; k < N_MEASURES; k++)
			g_array_unref(m[b][k]);
	return ok;
}

int
main(int argc, char **argv)
{
	g_autofree char *dir = NULL, *why = NULL, *guest = NULL, *inner = NULL, *kernel = NULL;
	g_autofree char *initrd = NULL, *script = NULL, *vmm = NULL, *ip = NULL, *passt = NULL;
	g_autofree char *results = NULL, *loadavg = NULL, *env = NULL;
	g_autoptr(NestedRun) run = NULL;
	const char *files[4];
	int mib = g_getenv("GB_BENCH_MIB") ? atoi(g_getenv("GB_BENCH_MIB")) : 32;
	int wait_s = g_getenv("GB_BENCH_WAIT") ? atoi(g_getenv("GB_BENCH_WAIT")) : 240;
	int runs = g_getenv("GB_BENCH_RUNS") ? atoi(g_getenv("GB_BENCH_RUNS")) : 5;
	gboolean ok;

	g_test_init(&argc, &argv, NULL);
	ip = g_find_program_in_path("ip");
	passt = g_find_program_in_path("passt");
	if (ip == NULL || passt == NULL) {
		printf("SKIP: passt (package passt) and ip (iproute2) are needed\n");
		return 77;
	}
	if (mib <= 0 || runs <= 0 || wait_s <= 0) {
		printf("GB_BENCH_MIB, GB_BENCH_RUNS and GB_BENCH_WAIT must be positive\n");
		return 1;
	}
	g_file_get_contents("/proc/loadavg", &loadavg, NULL, NULL);
	if (g_getenv("GB_BENCH_RESULTS")) {
		g_autoptr(GError) error = NULL;

		if (!g_file_get_contents(g_getenv("GB_BENCH_RESULTS"), &results, NULL, &error)) {
			printf("GB_BENCH_RESULTS: %s\n", error->message);
			return 1;
		}
		return report(results, mib, runs, wait_s, "a kept run's results", loadavg) ? 0 : 1;
	}
	dir = gb_test_tmpdir_new("gb-bench-nested-user-XXXXXX");
	guest = g_build_filename(g_getenv("G_TEST_SRCDIR"), "..", "bench", "nested", "user-guest", NULL);
	script = g_build_filename(g_getenv("G_TEST_SRCDIR"), "..", "bench", "nested", "bench-nested-user.sh", NULL);
	inner = g_build_filename(dir, "inner", NULL);
	kernel = g_build_filename(dir, "inner-vmlinuz", NULL);
	initrd = g_build_filename(dir, "inner-initramfs.img", NULL);
	env = g_build_filename(dir, "bench-env", NULL);
	vmm = vmm_binary();
	if (!gb_test_build_linux_guest(inner, (const char *const[]) { guest, NULL }, NULL, &why)) {
		printf("SKIP: %s\n", why);
		gb_test_tmpdir_remove(dir);
		return 77;
	}
	{
		g_autofree char *k = g_build_filename(inner, "vmlinuz", NULL);
		g_autofree char *i = g_build_filename(inner, "initramfs.img", NULL);

		g_assert_cmpint(g_rename(k, kernel), ==, 0);
		g_assert_cmpint(g_rename(i, initrd), ==, 0);
	}
	/* The settings reach the outer guest as a file its script sources. */
	{
		g_autofree char *env_text = g_strdup_printf("GB_BENCH_RUNS='%d'\nGB_BENCH_MIB='%d'\nGB_BENCH_WAIT='%d'\n",
		                                            runs, mib, wait_s);

		g_assert_true(g_file_set_contents(env, env_text, -1, NULL));
	}
	files[0] = kernel;
	files[1] = initrd;
	files[2] = env;
	files[3] = NULL;

	/* iproute2's ip for the veth pair; passt with its libraries (the bed
	 * copies each binary with what ldd finds).  The time limit: two boots
	 * a round, each up to two transfers of wait_s and ~2 min besides. */
	run = nested_run(script, files, (const char *const[]) { vmm, ip, passt, NULL },
	                 600 + runs * 2 * (2 * wait_s + 150), &why);
	if (run == NULL) {
		printf("SKIP: %s\n", why);
		gb_test_tmpdir_remove(dir);
		return 77;
	}
	results = nested_read(run, "results");
	if (results == NULL) {
		g_autofree char *skip = nested_read(run, "skip");

		gb_test_tmpdir_remove(dir);
		if (skip) {
			printf("SKIP: %s\n", skip);
			return 77;
		}
		printf("no results; log:\n%s\n", run->log);
		return 1;
	}
	g_printerr("# outer guest: %.0f s in all, boot included\n", run->seconds);
	ok = report(results, mib, runs, wait_s, run->nested ? "QEMU TCG outer guest" : "host KVM", loadavg);
	if (!ok)
		printf("log of the outer guest's script:\n%s\n", run->log ? run->log : "");
	gb_test_tmpdir_remove(dir);
	return ok ? 0 : 1;
}
