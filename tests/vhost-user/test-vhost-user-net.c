/* test-vhost-user-net.c — Linux's own virtio_net driver against our
 * virtio-net, served by `glassbox-vmm vhost-user-net` to QEMU (TCG).
 *
 * The guest is the Debian kernel + busybox initramfs of
 * tests/linux-guest/build-guest.sh with the scripts tests/vhost-user/guest/
 * net-*.sh, which print "GB: key value" lines on the serial console.
 *
 *   - tap: our backend on a tap whose host end is 10.0.77.1; the guest
 *     (10.0.77.2) pings it, downloads 16 MiB from a server the test runs
 *     there and uploads 16 MiB to another; both SHA-256 sums must match.
 *     Linux negotiates checksum and TSO offloads, so those pass through the
 *     tap's virtio-net header for real.
 *   - user: libslirp gives the guest a DHCP lease, the guest reaches a
 *     server on the host's loopback through the gateway 10.0.2.2, and a
 *     host port forward reaches a server in the guest.
 *   - mq: `--net tap=…,queues=2` on a multi_queue tap, QEMU with -smp 2,
 *     `-netdev vhost-user,queues=2` and `virtio-net-pci,mq=on`: the driver
 *     takes two queue pairs (QEMU enables the second pair's rings when the
 *     driver asks for two, and our device's pairs follow them), four TCP
 *     flows each way arrive intact, again after the guest reloads
 *     virtio_net (a device reset), and the back-end's counters (SIGUSR1,
 *     and at its end) show two pairs in use and packets on both receive
 *     and both transmit queues.
 *   - passt: the same through a passt process the back-end starts; passt
 *     copies its addresses from a veth pair inside the namespace
 *     (10.0.2.15/24, default route via 10.0.2.2, routed nowhere), so the
 *     guest's lease and the gateway are the same as libslirp's.
 *
 * All of it inside a network namespace this program makes and enters
 * before it starts anything (the backend, QEMU and the servers inherit
 * it), deleted at the end.  Nothing leaves the machine.
 *
 * QEMU 7.2 (Debian 12) segfaults in vhost_net_start() →
 * msix_set_vector_notifiers() when the driver sets DRIVER_OK on this
 * vhost-user virtio-net with MSI-X, before it sends us anything for that
 * start (docs/vhost-user.md); `vectors=0` (INTx) avoids that path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gb-test-utils.h"
#include "vhost-user-test-util.h"

#define GUEST_TIMEOUT_MS (240 * 1000)
#define BLOB_SIZE (16u << 20)

static char *guest_dir;
static char *guest_skip;
static char *netns_name;
static int orig_netns = -1;

/* ---- the namespace -------------------------------------------------------- */

static void
enter_netns(void)
{
	g_autofree char *cmd = NULL, *err = NULL, *path = NULL;
	int fd;

	if (getuid() != 0) {
		guest_skip = g_strdup("needs root to make a network namespace and a tap");
		return;
	}
	if (!gb_test_have_program("ip") || access("/dev/net/tun", R_OK | W_OK) != 0) {
		guest_skip = g_strdup("needs ip (iproute2) and /dev/net/tun");
		return;
	}
	netns_name = g_strdup_printf("gbtest-vunet-%d", (int) getpid());
	cmd = g_strdup_printf("ip netns add %s", netns_name);
	if (gb_test_run_shell(cmd, NULL, &err) != 0) {
		guest_skip = g_strdup_printf("ip netns add failed: %s", err);
		g_clear_pointer(&netns_name, g_free);
		return;
	}
	orig_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	path = g_strdup_printf("/run/netns/%s", netns_name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
		guest_skip = g_strdup_printf("cannot enter %s: %s", path, g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	gb_test_run_shell("ip link set lo up", NULL, NULL);
}

static void
leave_netns(void)
{
	g_autofree char *cmd = NULL;

	if (orig_netns >= 0) {
		if (setns(orig_netns, CLONE_NEWNET) != 0)
			g_printerr("could not leave the test namespace: %s\n", g_strerror(errno));
		close(orig_netns);
	}
	if (netns_name) {
		cmd = g_strdup_printf("ip netns del %s", netns_name);
		gb_test_run_shell(cmd, NULL, NULL);
	}
}

static void
build_guest(void)
{
	const char *src = g_getenv("G_TEST_SRCDIR");
	g_autofree char *tap = g_build_filename(src, "vhost-user", "guest", "net-tap.sh", NULL);
	g_autofree char *user = g_build_filename(src, "vhost-user", "guest", "net-user.sh", NULL);
	g_autofree char *peer = g_build_filename(src, "vhost-user", "guest", "net-peer.sh", NULL);
	g_autofree char *mq = g_build_filename(src, "vhost-user", "guest", "net-mq.sh", NULL);
	const char *scripts[] = { tap, user, peer, mq, NULL };

	if (guest_skip)
		return;
	if (!gb_test_have_program("qemu-system-x86_64")) {
		guest_skip = g_strdup("qemu-system-x86_64 (package qemu-system-x86) is not installed");
		return;
	}
	guest_dir = gb_test_tmpdir_new("gb-vunet-guest-XXXXXX");
	gb_test_build_linux_guest(guest_dir, scripts, NULL, &guest_skip);
}

/* ---- processes -------------------------------------------------------------- */

typedef struct {
	char *dir;
	GSubprocess *backend;
	char *socket_path, *backend_err;
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
	f->dir = gb_test_tmpdir_new("gb-vunet-XXXXXX");
	f->socket_path = g_build_filename(f->dir, "net.sock", NULL);
	f->backend_err = g_build_filename(f->dir, "backend.err", NULL);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
	if (f->backend) {
		if (g_subprocess_get_identifier(f->backend)) {
			g_subprocess_send_signal(f->backend, SIGKILL);
			proc_wait(f->backend, 10000);
		}
		g_object_unref(f->backend);
	}
	gb_test_tmpdir_remove(f->dir);
	g_free(f->dir);
	g_free(f->socket_path);
	g_free(f->backend_err);
}

static GSubprocess *
spawn_backend(const char *socket_path, const char *err_path, const char *net)
{
	g_autoptr(GSubprocessLauncher) launcher = vhost_test_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
	g_autoptr(GError) error = NULL;
	g_autofree char *vmm = vhost_test_vmm_binary(), *err = NULL;
	GSubprocess *proc;

	g_subprocess_launcher_set_stderr_file_path(launcher, err_path);
	proc = g_subprocess_launcher_spawn(launcher, &error, vmm, "vhost-user-net",
	                                   "--socket", socket_path, "--net", net, NULL);
	g_assert_no_error(error);
	if (!vhost_test_wait_listening(proc, err_path, &err))
		g_error("vhost-user-net did not start: %s", err);
	return proc;
}

static void
start_backend(Fixture *f, const char *net)
{
	f->backend = spawn_backend(f->socket_path, f->backend_err, net);
}

/* SIGTERM, a clean exit (the ASan build's leak check included). */
static void
stop_backend(Fixture *f)
{
	g_subprocess_send_signal(f->backend, SIGTERM);
	g_assert_true(proc_wait(f->backend, 60000));
	g_assert_true(g_subprocess_get_if_exited(f->backend));
	g_assert_cmpint(g_subprocess_get_exit_status(f->backend), ==, 0);
}

static GSubprocess *
spawn_qemu(Fixture *f, const char *socket_path, const char *mac, const char *append_extra,
           const char *serial_path, const char *err_name, unsigned int queues);

static GSubprocess *
start_qemu(Fixture *f, const char *script, const char *serial_path)
{
	g_autofree char *extra = g_strdup_printf("gb.run=%s", script);

	return spawn_qemu(f, f->socket_path, "52:54:00:12:34:56", extra, serial_path, "qemu.err", 1);
}

/* With queues > 1: that many queue pairs (mq=on) and as many vCPUs, so
 * that Linux's virtio_net uses them all. */
static GSubprocess *
spawn_qemu(Fixture *f, const char *socket_path, const char *mac, const char *append_extra,
           const char *serial_path, const char *err_name, unsigned int queues)
{
	g_autoptr(GSubprocessLauncher) launcher = vhost_test_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
	g_autofree char *kernel = g_build_filename(guest_dir, "vmlinuz", NULL);
	g_autofree char *initrd = g_build_filename(guest_dir, "initramfs.img", NULL);
	g_autofree char *chardev = g_strdup_printf("socket,id=net,path=%s", socket_path);
	/* no_timer_check: on a loaded host the TCG vCPU can miss Linux's boot-time
	 * check that the PIT's interrupt arrives, and it then panics ("IO-APIC +
	 * timer doesn't work!"; seen in a CI run). */
	g_autofree char *append = g_strdup_printf("console=ttyS0 quiet panic=-1 no_timer_check %s", append_extra);
	g_autofree char *serial = g_strdup_printf("file:%s", serial_path);
	g_autofree char *err = g_build_filename(f->dir, err_name, NULL);
	g_autofree char *device = g_strdup_printf("virtio-net-pci,netdev=n0,mac=%s,vectors=0%s", mac,
	                                          queues > 1 ? ",mq=on" : "");
	g_autofree char *netdev = g_strdup_printf("vhost-user,id=n0,chardev=net,queues=%u", queues);
	g_autofree char *smp = g_strdup_printf("%u", queues);
	g_autoptr(GError) error = NULL;
	GSubprocess *qemu;

	g_subprocess_launcher_set_stderr_file_path(launcher, err);
	qemu = g_subprocess_launcher_spawn(launcher, &error, "qemu-system-x86_64",
		"-accel", "tcg", "-m", "512", "-smp", smp, "-nodefaults", "-display", "none", "-no-reboot",
		"-object", "memory-backend-memfd,id=mem,size=512M,share=on", "-numa", "node,memdev=mem",
		"-chardev", chardev, "-netdev", netdev,
		"-device", device,
		"-kernel", kernel, "-initrd", initrd, "-append", append, "-serial", serial, NULL);
	g_assert_no_error(error);
	return qemu;
}

/* Waits for QEMU to power off; returns the serial output. */
static char *
wait_guest(Fixture *f, GSubprocess *qemu, const char *serial_path)
{
	char *serial = NULL;

	g_assert_true(proc_wait(qemu, GUEST_TIMEOUT_MS));
	g_file_get_contents(serial_path, &serial, NULL, NULL);
	if (serial == NULL || strstr(serial, "GLASSBOX-GUEST-DONE 0") == NULL) {
		g_autofree char *qerr_path = g_build_filename(f->dir, "qemu.err", NULL);
		g_autofree char *qerr = NULL, *berr = NULL;

		g_file_get_contents(qerr_path, &qerr, NULL, NULL);
		g_file_get_contents(f->backend_err, &berr, NULL, NULL);
		g_test_message("serial:\n%s\nqemu stderr:\n%s\nbackend stderr:\n%s", serial, qerr, berr);
	}
	g_assert_nonnull(serial);
	g_assert_nonnull(strstr(serial, "GLASSBOX-GUEST-DONE 0"));
	return serial;
}

static void
assert_guest(const char *serial, const char *key, const char *expected)
{
	g_autofree char *value = guest_value(serial, key);

	if (g_strcmp0(value, expected) != 0)
		g_test_message("guest said \"%s %s\", expected \"%s\"", key, value ? value : "(nothing)", expected);
	g_assert_cmpstr(value, ==, expected);
}

/* ---- the host's servers (threads, plain sockets) ------------------------ */

typedef struct {
	int listen_fd;
	const guint8 *data;     /* to send, or NULL: receive */
	gsize len;
	char *received_sum;     /* SHA-256 of what arrived */
	gsize received;
} Server;

static int
listen_on(const char *addr, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(inet_pton(AF_INET, addr, &sa.sin_addr), ==, 1);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	g_assert_cmpint(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), ==, 0);
	g_assert_cmpint(listen(fd, 1), ==, 0);
	return fd;
}

static gpointer
server_thread(gpointer data)
{
	Server *s = data;
	int c = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (c < 0)
		return NULL;
	if (s->data) {
		gsize done = 0;

		while (done < s->len) {
			ssize_t n = send(c, s->data + done, s->len - done, MSG_NOSIGNAL);
			if (n <= 0)
				break;
			done += n;
		}
	} else {
		g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
		guint8 buf[65536];
		ssize_t n;

		while ((n = recv(c, buf, sizeof(buf), 0)) > 0) {
			g_checksum_update(sum, buf, n);
			s->received += n;
		}
		s->received_sum = g_strdup(g_checksum_get_string(sum));
	}
	close(c);
	return NULL;
}

/* ---- tests ---------------------------------------------------------------- */

static void
test_tap(Fixture *f, gconstpointer data)
{
	g_autofree char *serial_path = g_build_filename(f->dir, "serial-tap.txt", NULL);
	g_autofree char *serial = NULL, *features = NULL, *blob_sum = NULL, *berr = NULL;
	g_autofree guint8 *blob = NULL;
	g_autoptr(GSubprocess) qemu = NULL;
	Server down = { 0 }, up = { 0 };
	GThread *t1, *t2;

	if (guest_skip) {
		g_test_skip(guest_skip);
		return;
	}
	gb_test_run_shell("ip link del gbtap0", NULL, NULL);
	g_assert_cmpint(gb_test_run_shell("ip tuntap add gbtap0 mode tap && ip addr add 10.0.77.1/24 dev gbtap0 "
	                                  "&& ip link set gbtap0 up", NULL, NULL), ==, 0);

	blob = g_malloc(BLOB_SIZE);
	for (gsize i = 0; i < BLOB_SIZE / 4; i++)
		((guint32 *) blob)[i] = g_random_int();
	blob_sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, blob, BLOB_SIZE);
	down = (Server) { listen_on("10.0.77.1", 8080), blob, BLOB_SIZE, NULL, 0 };
	up = (Server) { listen_on("10.0.77.1", 8081), NULL, 0, NULL, 0 };
	t1 = g_thread_new("download", server_thread, &down);
	t2 = g_thread_new("upload", server_thread, &up);

	start_backend(f, "tap=gbtap0");
	qemu = start_qemu(f, "net-tap.sh", serial_path);
	serial = wait_guest(f, qemu, serial_path);

	/* Whatever the guest printed, the server threads end now. */
	shutdown(down.listen_fd, SHUT_RDWR);
	shutdown(up.listen_fd, SHUT_RDWR);
	g_thread_join(t1);
	g_thread_join(t2);
	close(down.listen_fd);
	close(up.listen_fd);

	assert_guest(serial, "mac", "52:54:00:12:34:56");
	assert_guest(serial, "carrier", "1");
	assert_guest(serial, "ping", "ok");
	/* Linux took MRG_RXBUF (15), CSUM (0), GUEST_CSUM (1), HOST_TSO4 (11)
	 * and GUEST_TSO4 (7): offloads really went through the tap; and
	 * EVENT_IDX (29) from the core. */
	features = guest_value(serial, "features");
	g_assert_nonnull(features);
	g_assert_cmpuint(strlen(features), >=, 33);
	g_assert_cmpint(features[15], ==, '1');
	g_assert_cmpint(features[0], ==, '1');
	g_assert_cmpint(features[1], ==, '1');
	g_assert_cmpint(features[7], ==, '1');
	g_assert_cmpint(features[11], ==, '1');
	g_assert_cmpint(features[29], ==, '1');          /* VIRTIO_F_EVENT_IDX */
	assert_guest(serial, "download-sum", blob_sum);
	assert_guest(serial, "upload sent", NULL);
	g_assert_cmpuint(up.received, ==, BLOB_SIZE);
	{
		g_autofree char *guest_up = guest_value(serial, "upload-sum");

		g_assert_cmpstr(up.received_sum, ==, guest_up);
	}
	g_free(up.received_sum);
	stop_backend(f);
	g_file_get_contents(f->backend_err, &berr, NULL, NULL);
	g_assert_null(strstr(berr, "broke the device"));
	gb_test_run_shell("ip link del gbtap0", NULL, NULL);
}

/* ---- multiqueue ------------------------------------------------------------ */

#define MQ_FLOWS 4
#define MQ_FLOW_SIZE (2u << 20)

typedef struct {
	const char *addr;
	int port;
	const guint8 *data;
	gsize len;
	gboolean sent;
} Sender;

/* Host → guest: connect (the guest's nc may not listen yet), send it all. */
static gpointer
sender_thread(gpointer data)
{
	Sender *c = data;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(c->port) };

	inet_pton(AF_INET, c->addr, &sa.sin_addr);
	for (int attempt = 0; attempt < 120 && !c->sent; attempt++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		gsize done = 0;

		if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0) {
			while (done < c->len) {
				ssize_t n = send(fd, c->data + done, c->len - done, MSG_NOSIGNAL);
				if (n <= 0)
					break;
				done += n;
			}
			c->sent = done == c->len;
		}
		close(fd);
		if (!c->sent)
			g_usleep(500000);
	}
	return NULL;
}

/* The value of `key=` on the last "vhost-user: stats … `what`:" line of
 * the back-end's stderr, or -1. */
static gint64
backend_stat(const char *err, const char *what, const char *key)
{
	g_autofree char *head = g_strdup_printf("vhost-user: stats virtio-net%s:", what);
	g_autofree char *word = g_strdup_printf(" %s=", key);
	const char *p = err, *last = NULL;
	g_autofree char *line = NULL;
	const char *v;

	while ((p = strstr(p, head)) != NULL)
		last = p++;
	if (last == NULL)
		return -1;
	line = g_strndup(last, strcspn(last, "\n"));
	v = strstr(line, word);
	return v ? g_ascii_strtoll(v + strlen(word), NULL, 10) : -1;
}

static gint64
queue_packets(const char *err, unsigned int queue)
{
	g_autofree char *what = g_strdup_printf(" queue %u", queue);

	return backend_stat(err, what, "packets");
}

/* How often `needle` is in the file at `path`. */
static unsigned int
count_of(const char *path, const char *needle)
{
	g_autofree char *text = NULL;
	unsigned int n = 0;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return 0;
	for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* One round of the guest's net-mq.sh: four flows each way at once, every
 * one byte for byte.  Returns the seconds the flows took. */
static double
mq_round(Fixture *f, const char *serial_path, unsigned int round)
{
	g_autofree char *ready = g_strdup_printf("GB: ready%u", round), *done = g_strdup_printf("GB: done%u", round);
	g_autofree char *serial = NULL, *stats = NULL;
	guint8 *blobs[MQ_FLOWS];
	Server in[MQ_FLOWS];
	Sender out[MQ_FLOWS];
	GThread *threads[2 * MQ_FLOWS];
	gint64 t0;

	for (unsigned int i = 0; i < MQ_FLOWS; i++) {
		blobs[i] = g_malloc(MQ_FLOW_SIZE);
		for (gsize j = 0; j < MQ_FLOW_SIZE / 4; j++)
			((guint32 *) blobs[i])[j] = g_random_int();
		in[i] = (Server) { listen_on("10.0.79.1", 7001 + i), NULL, 0, NULL, 0 };
		out[i] = (Sender) { "10.0.79.2", 6001 + i, blobs[i], MQ_FLOW_SIZE, FALSE };
		threads[i] = g_thread_new("mq-receive", server_thread, &in[i]);
	}
	if (!file_wait_for(serial_path, ready, GUEST_TIMEOUT_MS)) {
		g_autofree char *so_far = NULL, *berr = NULL;

		g_file_get_contents(serial_path, &so_far, NULL, NULL);
		g_file_get_contents(f->backend_err, &berr, NULL, NULL);
		g_error("the guest did not get to \"%s\"; its console:\n%s\nthe back-end said:\n%s",
		        ready, so_far ? so_far : "", berr ? berr : "");
	}
	/* The driver has chosen its pairs by now: what the device uses, live
	 * (the round-th block of counters). */
	g_subprocess_send_signal(f->backend, SIGUSR1);
	for (int wait = 0; count_of(f->backend_err, "active-pairs=") < round && wait < 100; wait++)
		g_usleep(100000);
	g_file_get_contents(f->backend_err, &stats, NULL, NULL);
	g_assert_cmpint(backend_stat(stats, "", "queue-pairs"), ==, 2);
	g_assert_cmpint(backend_stat(stats, "", "active-pairs"), ==, 2);

	t0 = g_get_monotonic_time();
	for (unsigned int i = 0; i < MQ_FLOWS; i++)
		threads[MQ_FLOWS + i] = g_thread_new("mq-send", sender_thread, &out[i]);
	g_assert_true(file_wait_for(serial_path, done, GUEST_TIMEOUT_MS));
	for (unsigned int i = 0; i < MQ_FLOWS; i++) {
		shutdown(in[i].listen_fd, SHUT_RDWR);
		g_thread_join(threads[i]);
		g_thread_join(threads[MQ_FLOWS + i]);
		close(in[i].listen_fd);
	}
	g_file_get_contents(serial_path, &serial, NULL, NULL);
	for (unsigned int i = 0; i < MQ_FLOWS; i++) {
		g_autofree char *key_sent = g_strdup_printf("sent%u-%u", round, i + 1);
		g_autofree char *key_got = g_strdup_printf("got%u-%u", round, i + 1);
		g_autofree char *guest_sent = guest_value(serial, key_sent), *guest_got = guest_value(serial, key_got);
		g_autofree char *blob_sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, blobs[i], MQ_FLOW_SIZE);
		g_autofree char *expect_got = g_strdup_printf("%u %s", MQ_FLOW_SIZE, blob_sum);

		/* guest → host */
		g_assert_true(out[i].sent);
		g_assert_cmpuint(in[i].received, ==, MQ_FLOW_SIZE);
		g_assert_cmpstr(in[i].received_sum, ==, guest_sent);
		/* host → guest */
		g_assert_cmpstr(guest_got, ==, expect_got);
		g_free(in[i].received_sum);
		g_free(blobs[i]);
	}
	return (g_get_monotonic_time() - t0) / 1e6;
}

/* Two queue pairs through QEMU's vhost-user multiqueue: the second pair
 * works only if its ring enables reach our device.  Twice: the guest
 * reloads virtio_net in between (a device reset; QEMU then enables the
 * second pair again when the new driver asks). */
static void
test_mq(Fixture *f, gconstpointer data)
{
	g_autofree char *serial_path = g_build_filename(f->dir, "serial-mq.txt", NULL);
	g_autofree char *serial = NULL, *err = NULL;
	g_autoptr(GSubprocess) qemu = NULL;
	gint64 t0 = g_get_monotonic_time();
	double secs[2];

	if (guest_skip) {
		g_test_skip(guest_skip);
		return;
	}
	gb_test_run_shell("ip link del gbmq0", NULL, NULL);
	g_assert_cmpint(gb_test_run_shell("ip tuntap add gbmq0 mode tap multi_queue && "
	                                  "ip addr add 10.0.79.1/24 dev gbmq0 && ip link set gbmq0 up",
	                                  NULL, NULL), ==, 0);
	start_backend(f, "tap=gbmq0,queues=2");
	qemu = spawn_qemu(f, f->socket_path, "52:54:00:12:34:56", "gb.run=net-mq.sh", serial_path, "qemu.err", 2);

	secs[0] = mq_round(f, serial_path, 1);
	secs[1] = mq_round(f, serial_path, 2);

	serial = wait_guest(f, qemu, serial_path);
	stop_backend(f);
	g_file_get_contents(f->backend_err, &err, NULL, NULL);
	g_test_message("mq: %.1f s in all; flows %.1f s, then %.1f s after the reload; packets rx0 %" G_GINT64_FORMAT
	               ", tx0 %" G_GINT64_FORMAT ", rx1 %" G_GINT64_FORMAT ", tx1 %" G_GINT64_FORMAT,
	               (g_get_monotonic_time() - t0) / 1e6, secs[0], secs[1], queue_packets(err, 0),
	               queue_packets(err, 1), queue_packets(err, 2), queue_packets(err, 3));

	/* Linux's driver set up two pairs, both times. */
	assert_guest(serial, "queues1", "rx-0 rx-1 tx-0 tx-1 ");
	assert_guest(serial, "reloaded", NULL);
	assert_guest(serial, "queues2", "rx-0 rx-1 tx-0 tx-1 ");
	/* Frames moved on both pairs, each way. */
	for (unsigned int q = 0; q < 4; q++)
		g_assert_cmpint(queue_packets(err, q), >, 0);
	g_assert_null(strstr(err, "broke the device"));
	gb_test_run_shell("ip link del gbmq0", NULL, NULL);
}

/* Debian 12's passt (0.0~git20230309) sometimes never hands this slow TCG
 * guest the data of a connection, either way: QEMU's own -netdev stream to
 * the same passt does the same (docs/networking.md), so it is not ours to
 * fail on.  The lease through passt must have come all the same; then the
 * test ends everything it started and skips with @why. */
static void
skip_passt_stall(Fixture *f, GSubprocess *qemu, Server *srv, GThread *t,
                 const char *serial_path, const char *why)
{
	g_autofree char *so_far = NULL;
	g_autofree char *lease = NULL;

	g_file_get_contents(serial_path, &so_far, NULL, NULL);
	g_subprocess_force_exit(qemu);
	proc_wait(qemu, 10000);
	shutdown(srv->listen_fd, SHUT_RDWR);
	g_thread_join(t);
	close(srv->listen_fd);
	stop_backend(f);
	gb_test_run_shell("ip route del default; ip link del gbveth0", NULL, NULL);
	lease = guest_value(so_far ? so_far : "", "lease");
	g_assert_nonnull(lease);
	g_assert_true(g_str_has_prefix(lease, "10.0.2.15 router 10.0.2.2 dns "));
	g_test_skip(why);
}

static void
test_user(Fixture *f, gconstpointer data)
{
	const char *kind = data;   /* "user" or "passt" */
	gboolean passt = !g_strcmp0(kind, "passt");
	/* Each its own host port: the other's listener may linger a moment. */
	int host_port = passt ? 2223 : 2222;
	g_autofree char *net = g_strdup_printf("%s,hostfwd=tcp:127.0.0.1:%d-:7777", kind, host_port);
	g_autofree char *host_addr = g_strdup_printf("127.0.0.1:%d", host_port);
	g_autofree char *lease = NULL;
	static const char hello[] = "hello from the host\n";
	g_autofree char *serial_path = g_build_filename(f->dir, "serial-user.txt", NULL);
	g_autofree char *serial = NULL;
	g_autoptr(GSubprocess) qemu = NULL;
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketConnection) conn = NULL;
	g_autoptr(GError) error = NULL;
	Server srv = { 0 };
	GThread *t;
	char buf[64] = "";
	gssize n;

	if (guest_skip) {
		g_test_skip(guest_skip);
		return;
	}
	if (passt && !gb_test_have_program("passt")) {
		g_test_skip("passt is not installed (Debian package passt)");
		return;
	}
	if (passt) {
		g_autofree char *err = NULL;

		gb_test_run_shell("ip link del gbveth0", NULL, NULL);
		if (gb_test_run_shell("ip link add gbveth0 type veth peer name gbveth1 && "
		                      "ip addr add 10.0.2.15/24 dev gbveth0 && ip link set gbveth0 up && "
		                      "ip link set gbveth1 up && ip route add default via 10.0.2.2", NULL, &err) != 0)
			g_error("cannot make passt's veth pair: %s", err);
	}
	srv = (Server) { listen_on("127.0.0.1", 8082), (const guint8 *) hello, strlen(hello), NULL, 0 };
	t = g_thread_new("host-server", server_thread, &srv);

	start_backend(f, net);
	qemu = start_qemu(f, "net-user.sh", serial_path);

	/* passt may stall the host's 20 bytes: the guest waits in nc for good.
	 * Through libslirp they take a second or two after the lease, so 40 s
	 * without them is the stall (the default run waited 120 s here, every
	 * time, for the same verdict). */
	if (passt && file_wait_for(serial_path, "GB: lease", GUEST_TIMEOUT_MS) &&
	    !file_wait_for(serial_path, "GB: listening", 40 * 1000)) {
		skip_passt_stall(f, qemu, &srv, t, serial_path,
		                 "the guest got its lease through passt, then passt stalled the connection "
		                 "to the host's loopback (a known fault of Debian 12's passt with a slow "
		                 "guest, the same with QEMU's -netdev stream; docs/networking.md)");
		return;
	}
	if (!file_wait_for(serial_path, "GB: listening", GUEST_TIMEOUT_MS)) {
		g_autofree char *so_far = NULL, *berr = NULL;

		g_file_get_contents(serial_path, &so_far, NULL, NULL);
		g_file_get_contents(f->backend_err, &berr, NULL, NULL);
		g_error("the guest did not get to \"GB: listening\"; its console:\n%s\nthe back-end said:\n%s",
		        so_far ? so_far : "", berr ? berr : "");
	}
	/* passt binds its forward a moment after it starts. */
	for (int i = 0; i < 50; i++) {
		g_clear_error(&error);
		conn = g_socket_client_connect_to_host(client, host_addr, 0, NULL, &error);
		if (conn)
			break;
		g_usleep(100000);
	}
	g_assert_no_error(error);
	n = g_input_stream_read(g_io_stream_get_input_stream(G_IO_STREAM(conn)), buf, sizeof(buf) - 1, NULL, &error);
	/* The same fault on the way in: passt accepts the forwarded connection
	 * and ends it without the guest's bytes.  Our own forward path through
	 * passt is asserted by /vmm-net/passt (tests/vmm). */
	if (passt && (error != NULL || n <= 0)) {
		g_clear_error(&error);
		g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
		skip_passt_stall(f, qemu, &srv, t, serial_path,
		                 "the guest got its lease through passt, then passt closed the forwarded "
		                 "connection without the guest's bytes (the known fault of Debian 12's "
		                 "passt with a slow guest; docs/networking.md)");
		return;
	}
	g_assert_no_error(error);
	g_assert_cmpint(n, >, 0);
	g_assert_cmpstr(buf, ==, "hello from the guest\n");
	g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);

	serial = wait_guest(f, qemu, serial_path);
	shutdown(srv.listen_fd, SHUT_RDWR);
	g_thread_join(t);
	close(srv.listen_fd);

	/* passt offers the host's DNS servers (resolv.conf): not checked. */
	lease = guest_value(serial, "lease");
	if (passt) {
		g_assert_nonnull(lease);
		g_assert_true(g_str_has_prefix(lease, "10.0.2.15 router 10.0.2.2 dns "));
	}
	else
		assert_guest(serial, "lease", "10.0.2.15 router 10.0.2.2 dns 10.0.2.3");
	assert_guest(serial, "from-host", "hello from the host");
	assert_guest(serial, "forward done", NULL);
	stop_backend(f);
	if (passt)
		gb_test_run_shell("ip route del default; ip link del gbveth0", NULL, NULL);
}

/* The rest of the line after `prefix` ("GB-SENT "), or "" (a new string). */
static char *
line_after(const char *text, const char *prefix)
{
	const char *p = strstr(text, prefix);

	if (p == NULL)
		return g_strdup("");
	p += strlen(prefix);
	return g_strstrip(g_strndup(p, strcspn(p, "\r\n")));
}

/* Two guests, each on its own vhost-user-net back-end and tap, both taps
 * on one bridge (the seeds' br0): they ping each other and move 64 MiB
 * over TCP with matching SHA-256 sums. */
static void
test_bridge_two_guests(Fixture *f, gconstpointer data)
{
	g_autofree char *sock_b = g_build_filename(f->dir, "net-b.sock", NULL);
	g_autofree char *err_b = g_build_filename(f->dir, "backend-b.err", NULL);
	g_autofree char *serial_a = g_build_filename(f->dir, "serial-a.txt", NULL);
	g_autofree char *serial_b = g_build_filename(f->dir, "serial-b.txt", NULL);
	g_autofree char *out_a = NULL, *out_b = NULL, *sent = NULL, *received = NULL, *secs = NULL;
	g_autoptr(GSubprocess) backend_b = NULL, qemu_a = NULL, qemu_b = NULL;
	gint64 t0 = g_get_monotonic_time();

	if (guest_skip) {
		g_test_skip(guest_skip);
		return;
	}
	gb_test_run_shell("ip link del gbbr0; ip link del gbtap0; ip link del gbtap1", NULL, NULL);
	g_assert_cmpint(gb_test_run_shell("ip link add name gbbr0 type bridge && ip link set gbbr0 up && "
	                                  "for n in 0 1; do ip tuntap add gbtap$n mode tap && "
	                                  "ip link set gbtap$n master gbbr0 && ip link set gbtap$n up; done",
	                                  NULL, NULL), ==, 0);
	start_backend(f, "tap=gbtap0");
	backend_b = spawn_backend(sock_b, err_b, "tap=gbtap1");
	qemu_a = spawn_qemu(f, f->socket_path, "52:54:00:00:88:0a",
	                    "gb.run=net-peer.sh gb.ip=10.0.88.10 gb.peer=10.0.88.11 gb.role=server",
	                    serial_a, "qemu-a.err", 1);
	qemu_b = spawn_qemu(f, sock_b, "52:54:00:00:88:0b",
	                    "gb.run=net-peer.sh gb.ip=10.0.88.11 gb.peer=10.0.88.10 gb.role=client",
	                    serial_b, "qemu-b.err", 1);
	out_b = wait_guest(f, qemu_b, serial_b);
	out_a = wait_guest(f, qemu_a, serial_a);
	secs = line_after(out_b, "GB-SEND-SECONDS ");
	g_test_message("two guests: %.1f s in all; 64 MiB went across in %s s",
	               (g_get_monotonic_time() - t0) / 1e6, secs);

	g_assert_nonnull(strstr(out_a, "GB-PING ok"));
	g_assert_nonnull(strstr(out_b, "GB-PING ok"));
	g_assert_nonnull(strstr(out_a, "GB-NET-MAC 52:54:00:00:88:0a"));
	sent = line_after(out_b, "GB-SENT ");
	received = line_after(out_a, "GB-RECEIVED ");
	g_assert_cmpuint(strlen(sent), ==, 64);
	g_assert_cmpstr(received, ==, sent);
	/* The empty file's sum would mean nothing arrived. */
	g_assert_cmpstr(received, !=, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	stop_backend(f);
	g_subprocess_send_signal(backend_b, SIGTERM);
	g_assert_true(proc_wait(backend_b, 60000));
	g_assert_cmpint(g_subprocess_get_exit_status(backend_b), ==, 0);
	gb_test_run_shell("ip link del gbtap0; ip link del gbtap1; ip link del gbbr0", NULL, NULL);
}

int
main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	enter_netns();
	build_guest();
	g_test_add("/vhost-user-net/tap", Fixture, NULL, fixture_set_up, test_tap, fixture_tear_down);
	g_test_add("/vhost-user-net/user", Fixture, "user", fixture_set_up, test_user, fixture_tear_down);
	g_test_add("/vhost-user-net/passt", Fixture, "passt", fixture_set_up, test_user, fixture_tear_down);
	g_test_add("/vhost-user-net/mq", Fixture, NULL, fixture_set_up, test_mq, fixture_tear_down);
	g_test_add("/vhost-user-net/bridge-two-guests", Fixture, NULL, fixture_set_up, test_bridge_two_guests,
	           fixture_tear_down);
	ret = g_test_run();
	if (guest_dir) {
		gb_test_tmpdir_remove(guest_dir);
		g_free(guest_dir);
	}
	leave_netns();
	return ret;
}
