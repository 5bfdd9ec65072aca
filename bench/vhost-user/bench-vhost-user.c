/* bench-vhost-user.c — `glassbox-vmm vhost-user-blk` next to
 * `qemu-storage-daemon --export type=vhost-user-blk`, in one run.
 *
 * The same QEMU TCG guest (Debian kernel, busybox; bench-dd.sh) boots
 * against each back-end, each serving its own fresh, identical 1 GiB
 * qcow2 image, and runs dd with 1 MiB blocks over 256 MiB, O_DIRECT, write
 * then read (each four times over different stretches, averaged).  The guest times each phase; the host reads the back-end's
 * CPU time (utime + stime in /proc/PID/stat) at the guest's markers.
 * Back-ends alternate, RUNS rounds; medians and ranges are printed with
 * the ratio of the medians.
 *
 * usage: bench-vhost-user GLASSBOX-VMM BUILD-GUEST.SH BENCH-DD.SH
 * Exit 77 (skipped) when QEMU, qemu-storage-daemon or the guest's kernel
 * package is not available, with the reason on stdout.
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vhost-user-test-util.h"

#define RUNS 5
#define PHASE_MIB 256.0      /* one dd; the guest averages four (bench-dd.sh) */
#define DDS_PER_PHASE 4
#define TIMEOUT_MS (300 * 1000)

enum { OURS, QSD, N_BACKENDS };
static const char *const backend_names[N_BACKENDS] = { "glassbox-vmm", "qemu-storage-daemon" };

typedef struct {
	double write_mibs, read_mibs;       /* MiB/s */
	double write_cpu, read_cpu;         /* back-end CPU seconds per GiB */
} Sample;

static const char *vmm_path;
static char *guest_dir;
static char *work_dir;

static double
cpu_seconds(GSubprocess *proc)
{
	g_autofree char *path = g_strdup_printf("/proc/%s/stat", g_subprocess_get_identifier(proc));
	g_autofree char *text = NULL;
	g_auto(GStrv) fields = NULL;
	const char *after_comm;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return -1;
	/* Fields after the ")" that closes comm: state is field 3, so utime
	 * (14) and stime (15) are the 12th and 13th words after it. */
	after_comm = strrchr(text, ')');
	if (after_comm == NULL)
		return -1;
	fields = g_strsplit(after_comm + 2, " ", -1);
	if (g_strv_length(fields) < 13)
		return -1;
	return (g_ascii_strtod(fields[11], NULL) + g_ascii_strtod(fields[12], NULL)) / sysconf(_SC_CLK_TCK);
}

static GSubprocess *
start_backend(int which, const char *image, const char *socket_path, GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher =
		g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
	GSubprocess *proc;

	g_unlink(socket_path);
	if (which == OURS) {
		g_autofree char *disk = g_strdup_printf("%s,format=qcow2", image);

		proc = g_subprocess_launcher_spawn(launcher, error, vmm_path, "vhost-user-blk",
		                                   "--socket", socket_path, "--disk", disk, NULL);
	} else {
		g_autofree char *file = g_strdup_printf("driver=file,node-name=file,filename=%s", image);
		g_autofree char *exp = g_strdup_printf("type=vhost-user-blk,id=exp,node-name=disk,"
		                                       "addr.type=unix,addr.path=%s,writable=on", socket_path);

		/* Defaults on both sides: host page cache, one queue. */
		proc = g_subprocess_launcher_spawn(launcher, error, "qemu-storage-daemon",
		                                   "--blockdev", file,
		                                   "--blockdev", "driver=qcow2,node-name=disk,file=file",
		                                   "--export", exp, NULL);
	}
	if (proc == NULL)
		return NULL;

	for (int i = 0; i < 300; i++) {
		/* Probing with a connection would take the one front-end slot:
		 * wait for the socket file (bind and listen follow each other
		 * closely) and check the process lives. */
		if (g_file_test(socket_path, G_FILE_TEST_EXISTS)) {
			g_usleep(200 * 1000);
			return proc;
		}
		if (g_subprocess_get_identifier(proc) == NULL)
			break;
		g_usleep(20 * 1000);
	}
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s did not start", backend_names[which]);
	g_subprocess_force_exit(proc);
	g_object_unref(proc);
	return NULL;
}

static gboolean
run_one(int which, int round, Sample *out, GError **error)
{
	g_autofree char *image = g_strdup_printf("%s/%s-%d.qcow2", work_dir, which == OURS ? "gb" : "qsd", round);
	g_autofree char *socket_path = g_build_filename(work_dir, "blk.sock", NULL);
	g_autofree char *serial_path = g_strdup_printf("%s/serial-%d-%d.txt", work_dir, which, round);
	g_autofree char *err_path = g_build_filename(work_dir, "qemu.err", NULL);
	g_autofree char *serial = NULL, *w = NULL, *r = NULL;
	g_autoptr(GSubprocess) backend = NULL;
	g_autoptr(GSubprocess) qemu = NULL;
	const char *create[] = { "qemu-img", "create", "-q", "-f", "qcow2", image, "1G", NULL };
	double cpu0, cpu1, cpu2;

	if (host_run(NULL, create) != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "qemu-img create failed");
		return FALSE;
	}
	backend = start_backend(which, image, socket_path, error);
	if (backend == NULL)
		return FALSE;
	qemu = qemu_start(guest_dir, socket_path, "bench-dd.sh", serial_path, err_path, FALSE, error);
	if (qemu == NULL)
		return FALSE;

	/* The guest sleeps 2 s after each marker: plenty to read the CPU. */
	if (!file_wait_for(serial_path, "GB: ready", TIMEOUT_MS))
		goto timeout;
	cpu0 = cpu_seconds(backend);
	if (!file_wait_for(serial_path, "GB: write-seconds", TIMEOUT_MS))
		goto timeout;
	cpu1 = cpu_seconds(backend);
	if (!file_wait_for(serial_path, "GB: read-seconds", TIMEOUT_MS))
		goto timeout;
	cpu2 = cpu_seconds(backend);
	proc_wait(qemu, TIMEOUT_MS);
	g_subprocess_send_signal(backend, SIGTERM);
	proc_wait(backend, 60000);
	g_unlink(image);

	g_file_get_contents(serial_path, &serial, NULL, NULL);
	w = guest_value(serial, "write-seconds");
	r = guest_value(serial, "read-seconds");
	if (!w || !r || strstr(serial, "FAILED") || g_ascii_strtod(w, NULL) <= 0 || g_ascii_strtod(r, NULL) <= 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the guest's dd failed:\n%s", serial);
		return FALSE;
	}
	out->write_mibs = PHASE_MIB / g_ascii_strtod(w, NULL);
	out->read_mibs = PHASE_MIB / g_ascii_strtod(r, NULL);
	out->write_cpu = (cpu1 - cpu0) / (DDS_PER_PHASE * PHASE_MIB / 1024);
	out->read_cpu = (cpu2 - cpu1) / (DDS_PER_PHASE * PHASE_MIB / 1024);
	return TRUE;

timeout:
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s: the guest did not finish", backend_names[which]);
	g_subprocess_force_exit(qemu);
	g_subprocess_force_exit(backend);
	return FALSE;
}

/* The machine's load average, printed with the figures it affected. */
static void
print_load(void)
{
	g_autofree char *load = NULL;
	double a, b, c;

	if (g_file_get_contents("/proc/loadavg", &load, NULL, NULL) &&
	    sscanf(load, "%lf %lf %lf", &a, &b, &c) == 3)
		printf("load average at the end: %.2f %.2f %.2f\n", a, b, c);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return (x > y) - (x < y);
}

/* Median of one field over the rounds; *lo and *hi get the range. */
static double
median(Sample *s, size_t field_offset, double *lo, double *hi)
{
	double v[RUNS];

	for (int i = 0; i < RUNS; i++)
		v[i] = *(double *) ((char *) &s[i] + field_offset);
	qsort(v, RUNS, sizeof(double), cmp_double);
	*lo = v[0];
	*hi = v[RUNS - 1];
	return v[RUNS / 2];
}

static int
build_guest(const char *builder, const char *script)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *err = NULL;
	const char *argv[] = { builder, guest_dir, script, NULL };
	int status;

	if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
	                  &status, &error)) {
		printf("SKIP: %s\n", error->message);
		return 77;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		printf("SKIP: %s", err);
		return 77;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		printf("build-guest.sh failed: %s", err);
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	Sample s[N_BACKENDS][RUNS];
	g_autoptr(GError) error = NULL;
	g_autofree char *qemu = g_find_program_in_path("qemu-system-x86_64");
	g_autofree char *qsd = g_find_program_in_path("qemu-storage-daemon");
	g_autofree char *cmd = NULL;
	int status;

	if (argc != 4) {
		fprintf(stderr, "usage: %s GLASSBOX-VMM BUILD-GUEST.SH BENCH-DD.SH\n", argv[0]);
		return 2;
	}
	if (!qemu || !qsd) {
		printf("SKIP: %s is not installed (packages qemu-system-x86, qemu-utils)\n",
		       qemu ? "qemu-storage-daemon" : "qemu-system-x86_64");
		return 77;
	}
	vmm_path = argv[1];
	work_dir = g_dir_make_tmp("gb-bench-vhost-XXXXXX", &error);
	g_assert_no_error(error);
	guest_dir = g_build_filename(work_dir, "guest", NULL);
	status = build_guest(argv[2], argv[3]);

	for (int round = 0; round < RUNS && status == 0; round++) {
		/* Alternate who goes first, so neither always gets a warm host. */
		for (int k = 0; k < N_BACKENDS && status == 0; k++) {
			int which = (round + k) % N_BACKENDS;

			if (!run_one(which, round, &s[which][round], &error)) {
				printf("%s\n", error->message);
				status = 1;
				break;
			}
			printf("# round %d %-20s write %7.1f MiB/s %6.2f CPU s/GiB   read %7.1f MiB/s %6.2f CPU s/GiB\n",
			       round + 1, backend_names[which], s[which][round].write_mibs, s[which][round].write_cpu,
			       s[which][round].read_mibs, s[which][round].read_cpu);
			fflush(stdout);
		}
	}

	if (status == 0) {
		struct { const char *label; size_t off; } rows[] = {
			{ "write MiB/s", G_STRUCT_OFFSET(Sample, write_mibs) },
			{ "read MiB/s", G_STRUCT_OFFSET(Sample, read_mibs) },
			{ "write CPU s/GiB", G_STRUCT_OFFSET(Sample, write_cpu) },
			{ "read CPU s/GiB", G_STRUCT_OFFSET(Sample, read_cpu) },
		};

		printf("vhost-user-blk, QEMU TCG guest, dd bs=1M count=256 O_DIRECT (x4 per boot), fresh qcow2, "
		       "host page cache; %d boots each\n", RUNS);
		printf("%-16s %24s %24s %7s\n", "", "glassbox-vmm", "qemu-storage-daemon", "ratio");
		for (unsigned int i = 0; i < G_N_ELEMENTS(rows); i++) {
			double olo, ohi, plo, phi;
			double ours = median(s[OURS], rows[i].off, &olo, &ohi);
			double peer = median(s[QSD], rows[i].off, &plo, &phi);
			g_autofree char *o = g_strdup_printf("%.2f (%.2f-%.2f)", ours, olo, ohi);
			g_autofree char *p = g_strdup_printf("%.2f (%.2f-%.2f)", peer, plo, phi);

			printf("%-16s %24s %24s %6.2fx\n", rows[i].label, o, p, peer > 0 ? ours / peer : 0);
		}
		printf("(median, range in brackets; ratio = glassbox-vmm / qemu-storage-daemon)\n");
		print_load();
	}

	cmd = g_strdup_printf("rm -rf '%s'", work_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", work_dir);
	return status;
}
