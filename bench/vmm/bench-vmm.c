/* bench-vmm.c — glassbox-vmm next to `qemu-system-x86_64 -M microvm -accel
 * kvm` on the same tiny PVH guest, in one run:
 *
 *   exec → first KVM_RUN   ours: the timestamp glassbox-vmm logs with
 *                          GLASSBOX_VMM_TRACE_START=1 (CLOCK_MONOTONIC);
 *                          QEMU: its kvm_vcpu_ioctl trace event for the first
 *                          KVM_RUN (type 0xae80), wall-clock stamped by
 *                          -msg timestamp=on (tracing costs QEMU a little).
 *   exec → first serial byte   both: the guest writes COM1 first thing.
 *   RSS beyond guest memory    both with guest RAM in a memfd (QEMU:
 *                          memory-backend-memfd), so VmRSS − RssShmem is
 *                          what the VMM itself costs; measured while the
 *                          guest sleeps in HLT.  The private (RssAnon) part
 *                          is shown too: the rest is shared-library pages.
 *
 * RUNS interleaved runs of each (start-up and memory alike); prints medians
 * with min-max, and the ratio of the medians (ours/QEMU).
 */
#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUNS 5
#define GUEST_MIB "32"

typedef struct {
	double first_run_ms;     /* < 0: not measured */
	double first_byte_ms;
	double rss_mib, overhead_mib, anon_mib;
	char *error;
} Sample;

static const char *qemu_bin = "qemu-system-x86_64";

/* Reads until `needle` has appeared on fd (or EOF / timeout). */
static gboolean
wait_output(int fd, const char *needle, int timeout_ms, GString *seen)
{
	gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;

	while (!strstr(seen->str, needle)) {
		struct pollfd p = { fd, POLLIN, 0 };
		int left = (deadline - g_get_monotonic_time()) / 1000;
		char buf[256];
		ssize_t n;

		if (left <= 0 || poll(&p, 1, left) <= 0)
			return FALSE;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return FALSE;
		g_string_append_len(seen, buf, n);
	}
	return TRUE;
}

static int
stream_fd(GInputStream *s)
{
	return g_unix_input_stream_get_fd(G_UNIX_INPUT_STREAM(s));
}

static char *
read_all(GInputStream *s)
{
	GString *out = g_string_new(NULL);
	char buf[4096];
	gssize n;

	while ((n = g_input_stream_read(s, buf, sizeof(buf), NULL, NULL)) > 0)
		g_string_append_len(out, buf, n);
	return g_string_free(out, FALSE);
}

static long
status_kib(GPid pid, const char *key)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", pid);
	g_autofree char *text = NULL;
	char *at;

	if (!g_file_get_contents(path, &text, NULL, NULL) || !(at = strstr(text, key)))
		return -1;
	return strtol(at + strlen(key) + 1, NULL, 10);
}

static GSubprocess *
spawn(const char *const *argv, gboolean ours, GError **error)
{
	g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
	                                                             G_SUBPROCESS_FLAGS_STDERR_PIPE);
	if (ours)
		g_subprocess_launcher_setenv(l, "GLASSBOX_VMM_TRACE_START", "1", TRUE);
	return g_subprocess_launcher_spawnv(l, argv, error);
}

static void
finish(GSubprocess *p)
{
	if (g_subprocess_get_identifier(p))
		g_subprocess_send_signal(p, SIGTERM);
	g_subprocess_wait(p, NULL, NULL);
}

static Sample
measure(const char *const *argv, gboolean ours, gboolean rss)
{
	Sample s = { -1, -1, -1, -1, -1, NULL };
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) out = g_string_new(NULL);
	g_autofree char *err = NULL;
	g_autoptr(GSubprocess) p = NULL;
	gint64 t0 = g_get_monotonic_time(), t0_real = g_get_real_time();
	const char *needle = rss ? "hlt loop starting" : "h";

	p = spawn(argv, ours, &error);
	if (p == NULL) {
		s.error = g_strdup(error->message);
		return s;
	}
	if (!wait_output(stream_fd(g_subprocess_get_stdout_pipe(p)), needle, 20000, out)) {
		finish(p);
		err = read_all(g_subprocess_get_stderr_pipe(p));
		s.error = g_strdup_printf("no guest output; stderr: %s", err);
		return s;
	}
	s.first_byte_ms = (g_get_monotonic_time() - t0) / 1000.0;

	if (rss) {
		GPid pid = atoi(g_subprocess_get_identifier(p));
		g_usleep(300000);   /* let it settle in HLT */
		long vmrss = status_kib(pid, "VmRSS:"), shmem = status_kib(pid, "RssShmem:");
		s.rss_mib = vmrss / 1024.0;
		s.overhead_mib = (vmrss - shmem) / 1024.0;
		s.anon_mib = status_kib(pid, "RssAnon:") / 1024.0;
	}
	finish(p);
	err = read_all(g_subprocess_get_stderr_pipe(p));

	if (ours) {
		const char *at = strstr(err, "first KVM_RUN at ");
		if (at)
			s.first_run_ms = (g_ascii_strtoll(at + 17, NULL, 10) / 1000 - t0) / 1000.0;
	} else {
		/* "PID@SECONDS.MICROS:kvm_vcpu_ioctl cpu_index 0, type 0xae80, …" */
		for (char *line = strtok(err, "\n"); line; line = strtok(NULL, "\n")) {
			char *at = strchr(line, '@');
			if (at && strstr(line, "type 0xae80,")) {
				double when = g_ascii_strtod(at + 1, NULL);
				s.first_run_ms = (when * 1e6 - t0_real) / 1000.0;
				break;
			}
		}
	}
	return s;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;
	return x < y ? -1 : x > y;
}

/* Sorts v; the median, and the range through *lo / *hi. */
static double
median(double *v, int n, double *lo, double *hi)
{
	if (n == 0)
		return *lo = *hi = -1;
	qsort(v, n, sizeof(double), cmp_double);
	*lo = v[0];
	*hi = v[n - 1];
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
line(const char *what, double *ours, int n_ours, double *qemu, int n_q, const char *unit)
{
	double olo, ohi, qlo, qhi;
	double o = median(ours, n_ours, &olo, &ohi), q = median(qemu, n_q, &qlo, &qhi);

	if (n_q > 0 && q > 0)
		printf("%-28s glassbox-vmm %7.2f (%.2f-%.2f) %s   qemu microvm %7.2f (%.2f-%.2f) %s   ratio %.3fx\n",
		       what, o, olo, ohi, unit, q, qlo, qhi, unit, o / q);
	else
		printf("%-28s glassbox-vmm %7.2f (%.2f-%.2f) %s   qemu microvm      n/a\n", what, o, olo, ohi, unit);
}

int
main(int argc, char **argv)
{
	const char *vmm, *guests;
	g_autofree char *hello = NULL, *hlt = NULL;
	double ours_run[RUNS], ours_byte[RUNS], q_run[RUNS], q_byte[RUNS];
	double ours_over[RUNS], ours_anon[RUNS], ours_rss[RUNS], q_over[RUNS], q_anon[RUNS], q_rss[RUNS];
	int n_ours = 0, n_q = 0, n_ours_rss = 0, n_q_rss = 0;
	g_autofree char *qemu_error = NULL;
	g_autofree char *load = NULL;

	if (argc != 3) {
		fprintf(stderr, "usage: %s GLASSBOX-VMM GUESTS-DIR\n", argv[0]);
		return 2;
	}
	vmm = argv[1];
	guests = argv[2];
	hello = g_build_filename(guests, "hello.elf", NULL);
	hlt = g_build_filename(guests, "hlt-loop.elf", NULL);
	if (!g_find_program_in_path(qemu_bin))
		qemu_error = g_strdup("qemu-system-x86_64 is not installed");

	const char *ours_argv[] = { vmm, "run", "--kernel", hello, "--memory", GUEST_MIB, NULL };
	const char *ours_rss_argv[] = { vmm, "run", "--kernel", hlt, "--memory", GUEST_MIB, NULL };
	const char *q_argv[] = { qemu_bin, "-M", "microvm", "-accel", "kvm", "-m", GUEST_MIB,
	                         "-object", "memory-backend-memfd,id=mem,size=" GUEST_MIB "M",
	                         "-machine", "memory-backend=mem", "-kernel", hello,
	                         "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio",
	                         "-trace", "enable=kvm_vcpu_ioctl", "-msg", "timestamp=on", NULL };
	const char *q_rss_argv[] = { qemu_bin, "-M", "microvm", "-accel", "kvm", "-m", GUEST_MIB,
	                             "-object", "memory-backend-memfd,id=mem,size=" GUEST_MIB "M",
	                             "-machine", "memory-backend=mem", "-kernel", hlt,
	                             "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio", NULL };

	g_file_get_contents("/proc/loadavg", &load, NULL, NULL);
	/* Interleave the two so that machine noise hits both alike. */
	for (int i = 0; i < RUNS; i++) {
		Sample s = measure(ours_argv, TRUE, FALSE);
		if (s.error) {
			fprintf(stderr, "glassbox-vmm failed: %s\n", s.error);
			return 1;
		}
		ours_run[n_ours] = s.first_run_ms;
		ours_byte[n_ours++] = s.first_byte_ms;
		if (!qemu_error) {
			Sample q = measure(q_argv, FALSE, FALSE);
			if (q.error)
				qemu_error = q.error;
			else {
				q_run[n_q] = q.first_run_ms;
				q_byte[n_q++] = q.first_byte_ms;
			}
		}
	}
	for (int i = 0; i < RUNS; i++) {
		Sample s = measure(ours_rss_argv, TRUE, TRUE);
		if (s.error) {
			fprintf(stderr, "glassbox-vmm failed: %s\n", s.error);
			return 1;
		}
		ours_over[n_ours_rss] = s.overhead_mib;
		ours_anon[n_ours_rss] = s.anon_mib;
		ours_rss[n_ours_rss++] = s.rss_mib;
		if (!qemu_error) {
			Sample q = measure(q_rss_argv, FALSE, TRUE);
			if (q.error)
				qemu_error = q.error;
			else {
				q_over[n_q_rss] = q.overhead_mib;
				q_anon[n_q_rss] = q.anon_mib;
				q_rss[n_q_rss++] = q.rss_mib;
			}
		}
	}

	printf("glassbox-vmm vs qemu-system-x86_64 -M microvm -accel kvm, %s MiB guest,\n"
	       "median (min-max) of %d interleaved runs each, ratio of the medians (ours/QEMU)\n",
	       GUEST_MIB, RUNS);
	{
		g_auto(GStrv) f = g_strsplit(load ? load : "? ? ?", " ", 4);
		printf("load average at start: %s %s %s\n", f[0], f[1] ? f[1] : "", f[1] && f[2] ? f[2] : "");
	}
	line("exec -> first KVM_RUN", ours_run, n_ours, q_run, n_q, "ms ");
	line("exec -> first serial byte", ours_byte, n_ours, q_byte, n_q, "ms ");
	line("RSS beyond guest memory", ours_over, n_ours_rss, q_over, n_q_rss, "MiB");
	line("  of which private (anon)", ours_anon, n_ours_rss, q_anon, n_q_rss, "MiB");
	line("RSS total", ours_rss, n_ours_rss, q_rss, n_q_rss, "MiB");
	if (qemu_error)
		printf("qemu: %s\n", qemu_error);
	return 0;
}
