/* bench-net.c — two network paths side by side, in one run:
 *
 *  tap:  `glassbox-vmm vhost-user-net --net tap=` (our virtio-net and tap
 *        backend) next to QEMU's own `-netdev tap` (vhost=off);
 *  user: our vhost-user-net with `--net user` (libslirp in the VMM) next to
 *        the same with `--net passt` (a passt process the VMM starts).
 *
 * The same QEMU TCG guest (Debian kernel, busybox; bench-net.sh) boots
 * with a virtio-net NIC on the same tap, once through our back-end and
 * once through QEMU's, and moves 64 MiB host → guest and 64 MiB guest →
 * host over TCP to servers this program runs on the tap's host end.  The
 * guest times each transfer; the host reads CPU times (utime + stime in
 * /proc/PID/stat) of QEMU and of our back-end at the guest's markers.
 * Back-ends alternate, RUNS rounds; medians and ranges are printed with the
 * ratio of the medians.  Everything runs in a network namespace this
 * program makes (`ip netns add`) and deletes.  TCG dominates the cost on
 * both sides: the figures compare whole paths, not the devices alone.
 *
 * In user mode the servers listen on 127.0.0.1 and the guest talks to the
 * gateway 10.0.2.2, which libslirp and passt both map to the host's
 * loopback; the guest is 10.0.2.15/24 in both.  passt copies its addresses
 * from the namespace's default-route interface, so a veth pair inside the
 * namespace carries exactly those (nothing is routed anywhere).  The
 * back-end's CPU time includes passt's (the VMM's child).
 *
 * usage: bench-net tap|user GLASSBOX-VMM BUILD-GUEST.SH BENCH-NET.SH
 * Exit 77 (skipped) without root, QEMU, passt (user) or the guest's kernel.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vhost-user-test-util.h"

#define RUNS 5
#define MIB 64.0
#define TIMEOUT_MS (300 * 1000)

enum { OURS, PEER, N_BACKENDS };
static const char *const tap_names[N_BACKENDS] = { "glassbox vhost-user-net", "QEMU -netdev tap" };
static const char *const user_names[N_BACKENDS] = { "libslirp (--net user)", "passt (--net passt)" };
static const char *const *backend_names = tap_names;
static gboolean user_mode;

typedef struct {
	double down_mibs, up_mibs;          /* MiB/s, as the guest timed them */
	double down_cpu, up_cpu;            /* host CPU s/GiB: QEMU + our back-end */
	double down_be_cpu, up_be_cpu;      /* of that, the back-end process (ours only) */
} Sample;

static const char *vmm_path;
static char *guest_dir, *work_dir, *netns_name;

static double
pid_cpu_seconds(const char *pid)
{
	g_autofree char *path = NULL, *text = NULL;
	g_auto(GStrv) fields = NULL;
	const char *after_comm;

	path = g_strdup_printf("/proc/%s/stat", pid);
	if (!g_file_get_contents(path, &text, NULL, NULL) || !(after_comm = strrchr(text, ')')))
		return 0;
	fields = g_strsplit(after_comm + 2, " ", -1);
	if (g_strv_length(fields) < 13)
		return 0;
	return (g_ascii_strtod(fields[11], NULL) + g_ascii_strtod(fields[12], NULL)) / sysconf(_SC_CLK_TCK);
}

/* utime + stime of the process and its live children (passt, which the
 * VMM started: a child's time reaches the parent's only once reaped). */
static double
cpu_seconds(GSubprocess *proc)
{
	g_autofree char *children_path = NULL, *children = NULL;
	g_auto(GStrv) pids = NULL;
	const char *pid;
	double total;

	if (proc == NULL || (pid = g_subprocess_get_identifier(proc)) == NULL)
		return 0;
	total = pid_cpu_seconds(pid);
	children_path = g_strdup_printf("/proc/%s/task/%s/children", pid, pid);
	if (g_file_get_contents(children_path, &children, NULL, NULL)) {
		pids = g_strsplit(g_strstrip(children), " ", -1);
		for (unsigned int i = 0; pids[i]; i++)
			if (*pids[i])
				total += pid_cpu_seconds(pids[i]);
	}
	return total;
}

/* ---- the host's two servers ------------------------------------------------ */

typedef struct {
	int fd;
	gboolean send;
	gsize bytes;
} Server;

static int
listen_on(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, user_mode ? "127.0.0.1" : "10.0.77.1", &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0 || listen(fd, 1) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static gpointer
server_thread(gpointer data)
{
	Server *s = data;
	static guint8 buf[1 << 16];
	int c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
	ssize_t n;

	if (c < 0)
		return NULL;
	if (s->send) {
		while (s->bytes < (gsize) MIB * 1024 * 1024 &&
		       (n = send(c, buf, MIN(sizeof(buf), (gsize) MIB * 1024 * 1024 - s->bytes), MSG_NOSIGNAL)) > 0)
			s->bytes += n;
	} else {
		guint8 in[1 << 16];

		while ((n = recv(c, in, sizeof(in), 0)) > 0)
			s->bytes += n;
	}
	close(c);
	return NULL;
}

/* ---- one boot ---------------------------------------------------------------- */

static GSubprocess *
start_ours(int which, const char *socket_path, GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher =
		g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
	GSubprocess *proc;

	g_unlink(socket_path);
	proc = g_subprocess_launcher_spawn(launcher, error, vmm_path, "vhost-user-net",
	                                   "--socket", socket_path, "--net",
	                                   !user_mode ? "tap=gbtap0" : which == OURS ? "user" : "passt", NULL);
	for (int i = 0; proc && i < 300; i++) {
		if (g_file_test(socket_path, G_FILE_TEST_EXISTS)) {
			g_usleep(200 * 1000);
			return proc;
		}
		g_usleep(20 * 1000);
	}
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "vhost-user-net did not start");
	if (proc) {
		g_subprocess_force_exit(proc);
		g_object_unref(proc);
	}
	return NULL;
}

static GSubprocess *
start_qemu(int which, const char *socket_path, const char *serial_path, GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher =
		g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
	g_autofree char *kernel = g_build_filename(guest_dir, "vmlinuz", NULL);
	g_autofree char *initrd = g_build_filename(guest_dir, "initramfs.img", NULL);
	g_autofree char *chardev = g_strdup_printf("socket,id=net,path=%s", socket_path);
	g_autofree char *serial = g_strdup_printf("file:%s", serial_path);
	gboolean vhost_user = user_mode || which == OURS;
	const char *netdev = vhost_user ? "vhost-user,id=n0,chardev=net"
	                                : "tap,id=n0,ifname=gbtap0,script=no,downscript=no,vhost=off";
	const char *append = user_mode ? "console=ttyS0 quiet panic=-1 gb.run=bench-net.sh gb.ip=10.0.2.15/24 gb.peer=10.0.2.2"
	                               : "console=ttyS0 quiet panic=-1 gb.run=bench-net.sh";

	/* The same guest device both times; vectors=0 because QEMU 7.2
	 * segfaults with MSI-X on vhost-user-net (docs/vhost-user.md). */
	return g_subprocess_launcher_spawn(launcher, error, "qemu-system-x86_64",
		"-accel", "tcg", "-m", "512", "-smp", "1", "-nodefaults", "-display", "none", "-no-reboot",
		"-object", "memory-backend-memfd,id=mem,size=512M,share=on", "-numa", "node,memdev=mem",
		"-chardev", vhost_user ? chardev : "null,id=net", "-netdev", netdev,
		"-device", "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56,vectors=0",
		"-kernel", kernel, "-initrd", initrd,
		"-append", append, "-serial", serial, NULL);
}

static gboolean
run_one(int which, int round, Sample *out, GError **error)
{
	g_autofree char *socket_path = g_build_filename(work_dir, "net.sock", NULL);
	g_autofree char *serial_path = g_strdup_printf("%s/serial-%d-%d.txt", work_dir, which, round);
	g_autofree char *serial = NULL, *d = NULL, *u = NULL;
	g_autoptr(GSubprocess) backend = NULL;
	g_autoptr(GSubprocess) qemu = NULL;
	Server down = { listen_on(8080), TRUE, 0 }, up = { listen_on(8081), FALSE, 0 };
	GThread *t1, *t2;
	double q0, q1, q2, b0, b1, b2;
	gboolean ok = FALSE;

	if (down.fd < 0 || up.fd < 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot listen: %s", g_strerror(errno));
		return FALSE;
	}
	t1 = g_thread_new("down", server_thread, &down);
	t2 = g_thread_new("up", server_thread, &up);
	if ((user_mode || which == OURS) && !(backend = start_ours(which, socket_path, error)))
		goto out;
	if (!(qemu = start_qemu(which, socket_path, serial_path, error)))
		goto out;
	if (!file_wait_for(serial_path, "GB: ready", TIMEOUT_MS))
		goto timeout;
	q0 = cpu_seconds(qemu), b0 = cpu_seconds(backend);
	if (!file_wait_for(serial_path, "GB: down-seconds", TIMEOUT_MS))
		goto timeout;
	q1 = cpu_seconds(qemu), b1 = cpu_seconds(backend);
	if (!file_wait_for(serial_path, "GB: up-seconds", TIMEOUT_MS))
		goto timeout;
	q2 = cpu_seconds(qemu), b2 = cpu_seconds(backend);
	proc_wait(qemu, TIMEOUT_MS);
	g_file_get_contents(serial_path, &serial, NULL, NULL);
	d = guest_value(serial, "down-seconds");
	u = guest_value(serial, "up-seconds");
	if (!d || !u || strstr(serial, "FAILED") || g_ascii_strtod(d, NULL) <= 0 || g_ascii_strtod(u, NULL) <= 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: the guest's transfers failed:\n%s",
		            backend_names[which], serial);
		goto out;
	}
	out->down_mibs = MIB / g_ascii_strtod(d, NULL);
	out->up_mibs = MIB / g_ascii_strtod(u, NULL);
	out->down_cpu = ((q1 - q0) + (b1 - b0)) / (MIB / 1024);
	out->up_cpu = ((q2 - q1) + (b2 - b1)) / (MIB / 1024);
	out->down_be_cpu = (b1 - b0) / (MIB / 1024);
	out->up_be_cpu = (b2 - b1) / (MIB / 1024);
	ok = TRUE;
	goto out;

timeout:
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s: the guest did not finish", backend_names[which]);
out:
	if (qemu && g_subprocess_get_identifier(qemu)) {
		g_subprocess_force_exit(qemu);
		proc_wait(qemu, 10000);
	}
	if (backend) {
		g_subprocess_send_signal(backend, SIGTERM);
		proc_wait(backend, 60000);
	}
	shutdown(down.fd, SHUT_RDWR);
	shutdown(up.fd, SHUT_RDWR);
	g_thread_join(t1);
	g_thread_join(t2);
	close(down.fd);
	close(up.fd);
	if (ok && (down.bytes != (gsize) MIB * 1024 * 1024 || up.bytes != (gsize) MIB * 1024 * 1024)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %zu bytes down, %zu up (expected 64 MiB)",
		            backend_names[which], down.bytes, up.bytes);
		ok = FALSE;
	}
	return ok;
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
sh(const char *cmd)
{
	int status = system(cmd);

	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Makes the namespace and the tap, and moves this thread (and so every
 * child) into it.  77: cannot here. */
static int
enter_netns(void)
{
	g_autofree char *cmd = NULL, *path = NULL;
	int fd;

	if (getuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0) {
		printf("SKIP: needs root and /dev/net/tun for a network namespace and a tap\n");
		return 77;
	}
	netns_name = g_strdup_printf("gbbench-net-%d", (int) getpid());
	cmd = g_strdup_printf("ip netns add %s", netns_name);
	if (sh(cmd) != 0) {
		printf("SKIP: ip netns add failed\n");
		g_clear_pointer(&netns_name, g_free);
		return 77;
	}
	path = g_strdup_printf("/run/netns/%s", netns_name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
		printf("cannot enter %s: %s\n", path, g_strerror(errno));
		return 1;
	}
	close(fd);
	if (user_mode) {
		/* passt's template interface, and ping sockets for passt (it
		 * runs as nobody) so the guest's ping of the gateway works. */
		if (sh("ip link set lo up && ip link add gbveth0 type veth peer name gbveth1 && "
		       "ip addr add 10.0.2.15/24 dev gbveth0 && ip link set gbveth0 up && ip link set gbveth1 up && "
		       "ip route add default via 10.0.2.2 && "
		       "sysctl -qw net.ipv4.ping_group_range='0 2147483647'") != 0) {
			printf("cannot set up the veth pair\n");
			return 1;
		}
		return 0;
	}
	if (sh("ip link set lo up && ip tuntap add gbtap0 mode tap && ip addr add 10.0.77.1/24 dev gbtap0 "
	       "&& ip link set gbtap0 up") != 0) {
		printf("cannot set up the tap\n");
		return 1;
	}
	return 0;
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
	g_autofree char *passt = NULL;
	g_autofree char *cmd = NULL;
	int status;

	if (argc != 5 || (strcmp(argv[1], "tap") && strcmp(argv[1], "user"))) {
		fprintf(stderr, "usage: %s tap|user GLASSBOX-VMM BUILD-GUEST.SH BENCH-NET.SH\n", argv[0]);
		return 2;
	}
	user_mode = !strcmp(argv[1], "user");
	if (user_mode)
		backend_names = user_names;
	argv++;
	if (!qemu) {
		printf("SKIP: qemu-system-x86_64 is not installed (package qemu-system-x86)\n");
		return 77;
	}
	if (user_mode && !(passt = g_find_program_in_path("passt"))) {
		printf("SKIP: passt is not installed (package passt)\n");
		return 77;
	}
	vmm_path = argv[1];
	work_dir = g_dir_make_tmp("gb-bench-net-XXXXXX", &error);
	g_assert_no_error(error);
	guest_dir = g_build_filename(work_dir, "guest", NULL);
	status = build_guest(argv[2], argv[3]);
	if (status == 0)
		status = enter_netns();

	for (int round = 0; round < RUNS && status == 0; round++) {
		for (int k = 0; k < N_BACKENDS && status == 0; k++) {
			int which = (round + k) % N_BACKENDS;

			if (!run_one(which, round, &s[which][round], &error)) {
				printf("%s\n", error->message);
				status = 1;
				/* Debian 12's passt (0.0~git20230309) stops sending
				 * to this slow guest part-way through the download
				 * (~8 MB in); QEMU's own -netdev stream to the same
				 * passt stalls the same way (docs/networking.md), so
				 * there is nothing of ours to measure: say so. */
				if (user_mode && which == PEER &&
				    g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
					printf("SKIP: passt stalled the TCG guest's transfer (a known limit of this "
					       "passt version with a slow guest, not of the back-end; see "
					       "docs/networking.md): no passt figures to set beside libslirp's\n");
					status = 77;
				}
				break;
			}
			printf("# round %d %-24s down %6.2f MiB/s %6.1f CPU s/GiB   up %6.2f MiB/s %6.1f CPU s/GiB\n",
			       round + 1, backend_names[which], s[which][round].down_mibs, s[which][round].down_cpu,
			       s[which][round].up_mibs, s[which][round].up_cpu);
			fflush(stdout);
		}
	}

	if (status == 0) {
		struct { const char *label; size_t off; } rows[] = {
			{ "host→guest MiB/s", G_STRUCT_OFFSET(Sample, down_mibs) },
			{ "guest→host MiB/s", G_STRUCT_OFFSET(Sample, up_mibs) },
			{ "host→guest CPU s/GiB", G_STRUCT_OFFSET(Sample, down_cpu) },
			{ "guest→host CPU s/GiB", G_STRUCT_OFFSET(Sample, up_cpu) },
		};
		double lo, hi;

		if (user_mode)
			printf("user-mode networking behind our vhost-user-net, QEMU TCG guest, 64 MiB each way over TCP "
			       "to the host's loopback; %d boots each\n", RUNS);
		else
			printf("virtio-net, QEMU TCG guest, 64 MiB each way over TCP on one tap; %d boots each\n", RUNS);
		printf("%-22s %26s %26s %7s\n", "", backend_names[OURS], backend_names[PEER], "ratio");
		for (unsigned int i = 0; i < G_N_ELEMENTS(rows); i++) {
			double olo, ohi, plo, phi;
			double ours = median(s[OURS], rows[i].off, &olo, &ohi);
			double peer = median(s[PEER], rows[i].off, &plo, &phi);
			g_autofree char *o = g_strdup_printf("%.2f (%.2f-%.2f)", ours, olo, ohi);
			g_autofree char *p = g_strdup_printf("%.2f (%.2f-%.2f)", peer, plo, phi);

			printf("%-22s %26s %26s %6.2fx\n", rows[i].label, o, p, peer > 0 ? ours / peer : 0);
		}
		printf("(median, range in brackets; ratio = %s; CPU = QEMU + back-end process%s)\n",
		       user_mode ? "libslirp / passt" : "glassbox / QEMU", user_mode ? " (+ passt)" : "");
		print_load();
		for (int k = 0; k < (user_mode ? N_BACKENDS : 1); k++)
			printf("of which the back-end (%s): host→guest %.2f, guest→host %.2f CPU s/GiB\n",
			       backend_names[k],
			       median(s[k], G_STRUCT_OFFSET(Sample, down_be_cpu), &lo, &hi),
			       median(s[k], G_STRUCT_OFFSET(Sample, up_be_cpu), &lo, &hi));
	}

	if (netns_name) {
		cmd = g_strdup_printf("ip netns del %s", netns_name);
		sh(cmd);
		g_free(cmd);
	}
	cmd = g_strdup_printf("rm -rf '%s'", work_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", work_dir);
	return status;
}
