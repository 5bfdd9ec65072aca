/* test-vmm-net.c — virtio-net end to end with tiny guests: frames through a
 * tap both ways, a tap deleted under the VMM (link down), a hostile guest's
 * frames dropped and counted, libslirp's DHCP and host port forward, and
 * the same through passt (a process the VMM starts).
 *
 * Every case runs in a child process inside a fresh network namespace
 * (`ip netns add gbtest-net-PID`) that the child enters with setns() before
 * it starts anything: the tap, the VMM (its child, so it inherits the
 * namespace), the raw socket that plays the host, libslirp's and passt's
 * loopback listeners, and the veth pair passt takes its addresses from.
 * The parent deletes the namespace and kills whatever the case left
 * running, however the case ended (run_case()).  Nothing leaves this
 * machine. */
#include <arpa/inet.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gb-test-utils.h"
#include "vmm-test-util.h"

#define ETHERTYPE_TEST 0x88b5   /* IEEE 802 local experimental */
#define TAP "gbtap0"
#define GUEST_MAC "52:54:00:12:34:56"

static char *netns_name;
static char *skip_reason;       /* why no case can have a namespace here */
static char *case_skip;         /* in a case's child: why it skipped */

/* Every case runs in a child process of its own (run_case()), inside a
 * fresh namespace; this process stays outside, waits, and cleans up after
 * it whatever way it ended.  A failed g_assert() aborts only the child: its
 * VMM, passt or helper become ours (PR_SET_CHILD_SUBREAPER), are killed by
 * PID, and the namespace is deleted, so nothing is left behind and meson
 * does not wait for its timeout on a VMM that still holds our stdout. */
#define CASE_TIMEOUT_S 120

static pid_t case_pid;
static volatile sig_atomic_t terminated;

static void
assert_contains(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) == NULL)
		g_error("expected to find \"%s\" in:\n%s", needle, haystack);
}

static int
run_cmd(const char *cmd, char **err)
{
	return gb_test_run_shell(cmd, NULL, err);
}

/* g_test_skip() in a case's child: the parent reports it (the child's own
 * GTest state dies with it). */
static void
skip(const char *why)
{
	g_test_skip(why);
	if (case_skip == NULL)
		case_skip = g_strdup(why);
}

static gboolean
skip_if_no_netns(void)
{
	if (skip_reason) {
		skip(skip_reason);
		return TRUE;
	}
	if (access("/dev/kvm", R_OK | W_OK) != 0) {
		skip("/dev/kvm cannot be opened here");
		return TRUE;
	}
	return FALSE;
}

/* Namespaces gbtest-net-PID left by an earlier run that died before it
 * could delete them (SIGKILL, a power cut): their PID no longer runs.
 * One whose owner is alive belongs to a run going on now, and stays. */
static void
remove_stale_netns(void)
{
	g_autoptr(GDir) d = g_dir_open("/run/netns", 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *cmd = NULL, *pids = NULL;
		char *end;
		long owner;

		if (!g_str_has_prefix(name, "gbtest-net-"))
			continue;
		owner = strtol(name + strlen("gbtest-net-"), &end, 10);
		if (*end != '\0' || owner <= 1 || kill(owner, 0) == 0 || errno != ESRCH)
			continue;
		cmd = g_strdup_printf("ip netns pids %s", name);
		gb_test_run_shell(cmd, &pids, NULL);
		if (pids && *g_strstrip(pids))
			g_printerr("stale namespace %s still holds processes %s (not ours to kill)\n", name, pids);
		g_free(cmd);
		cmd = g_strdup_printf("ip netns del %s", name);
		if (run_cmd(cmd, NULL) == 0)
			g_printerr("removed stale namespace %s (its test, PID %ld, is gone)\n", name, owner);
	}
}

/* Checks once that this machine can make a namespace and a tap at all. */
static void
check_netns(void)
{
	g_autofree char *cmd = NULL, *err = NULL;

	if (getuid() != 0) {
		skip_reason = g_strdup("needs root to make a network namespace and a tap");
		return;
	}
	if (!gb_test_have_program("ip") || access("/dev/net/tun", R_OK | W_OK) != 0) {
		skip_reason = g_strdup("needs ip (iproute2) and /dev/net/tun");
		return;
	}
	remove_stale_netns();
	netns_name = g_strdup_printf("gbtest-net-%d", (int) getpid());
	cmd = g_strdup_printf("ip netns add %s && ip netns del %s", netns_name, netns_name);
	if (run_cmd(cmd, &err) != 0) {
		skip_reason = g_strdup_printf("ip netns add failed: %s", err);
		g_clear_pointer(&netns_name, g_free);
	}
}

/* Kills (SIGKILL, by PID) and reaps every process left to us: what a
 * failed case started — the VMM, passt, a bridge helper — and, as
 * orphans, whatever they started.  Repeats until none is left, since a
 * killed process's own children come to us next. */
static void
kill_leftovers(void)
{
	for (int round = 0; round < 100; round++) {
		g_autofree char *path = g_strdup_printf("/proc/self/task/%d/children", (int) getpid());
		g_autofree char *text = NULL;
		g_auto(GStrv) pids = NULL;
		int n = 0;

		if (!g_file_get_contents(path, &text, NULL, NULL))
			return;
		pids = g_strsplit(g_strstrip(text), " ", -1);
		for (int i = 0; pids[i]; i++) {
			pid_t pid = atoi(pids[i]);
			g_autofree char *comm_path = g_strdup_printf("/proc/%d/comm", (int) pid);
			g_autofree char *comm = NULL;

			if (pid <= 1)
				continue;
			g_file_get_contents(comm_path, &comm, NULL, NULL);
			g_printerr("killing leftover process %d (%s)\n", (int) pid, comm ? g_strstrip(comm) : "?");
			kill(pid, SIGKILL);
			n++;
		}
		if (n == 0)
			return;
		for (int i = 0; pids[i]; i++)
			if (atoi(pids[i]) > 1)
				waitpid(atoi(pids[i]), NULL, 0);
	}
}

/* SIGTERM (meson's timeout) or SIGINT: end the case now; run_case() then
 * cleans up and the program exits. */
static void
on_terminate(int sig)
{
	(void) sig;
	terminated = 1;
	if (case_pid > 0)
		kill(case_pid, SIGKILL);
}

static void
remove_tree(const char *dir)
{
	const char *argv[] = { "rm", "-rf", "--one-file-system", dir, NULL };

	gb_test_run(argv, NULL, NULL);
}

/* The child's part: enter the namespace, run the case, say how it ended
 * (0 passed, 77 skipped with the reason on `report`, anything else or a
 * signal: failed).  TAP is the parent's: the child's standard output —
 * g_test_message(), GLib's "Bail out!" — goes to the log (stderr). */
static void G_GNUC_NORETURN
case_child(void (*body)(void), int ns_fd, const char *tmp, int report)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	dup2(STDERR_FILENO, STDOUT_FILENO);
	/* Temporary files go below the case's folder, removed by the parent. */
	g_setenv("TMPDIR", tmp, TRUE);
	if (ns_fd >= 0) {
		if (setns(ns_fd, CLONE_NEWNET) != 0) {
			g_free(skip_reason);
			skip_reason = g_strdup_printf("cannot enter %s: %s", netns_name, g_strerror(errno));
		} else {
			run_cmd("ip link set lo up", NULL);
		}
		close(ns_fd);
	}
	body();
	fflush(stdout);
	fflush(stderr);
	if (case_skip) {
		if (write(report, case_skip, strlen(case_skip)) < 0)
			_exit(1);
		_exit(77);
	}
	_exit(g_test_failed() ? 1 : 0);
}

static void
run_case(gconstpointer data)
{
	void (*body)(void) = (void (*)(void)) data;
	g_autofree char *tmpl = g_build_filename(g_getenv("TMPDIR") ? g_getenv("TMPDIR") : "/tmp",
	                                         "gbtest-net-XXXXXX", NULL);
	g_autofree char *cmd = NULL, *reason = NULL;
	gint64 deadline = g_get_monotonic_time() + CASE_TIMEOUT_S * G_USEC_PER_SEC;
	gboolean timed_out = FALSE;
	char buf[512];
	ssize_t n;
	int report[2], ns_fd = -1, status = 0;
	pid_t pid;

	g_assert_nonnull(g_mkdtemp(tmpl));
	/* Others may pass through (passt, which drops root for nobody, makes
	 * its socket in a folder below), not list it. */
	g_assert_cmpint(g_chmod(tmpl, 0711), ==, 0);
	if (netns_name) {
		g_autofree char *path = g_strdup_printf("/run/netns/%s", netns_name);

		cmd = g_strdup_printf("ip netns add %s", netns_name);
		g_assert_cmpint(run_cmd(cmd, NULL), ==, 0);
		ns_fd = open(path, O_RDONLY | O_CLOEXEC);
		g_assert_cmpint(ns_fd, >=, 0);
	}
	g_assert_cmpint(pipe2(report, O_CLOEXEC), ==, 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		close(report[0]);
		case_child(body, ns_fd, tmpl, report[1]);
	}
	case_pid = pid;
	close(report[1]);
	if (ns_fd >= 0)
		close(ns_fd);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (g_get_monotonic_time() > deadline && !timed_out) {
			timed_out = TRUE;
			kill(pid, SIGKILL);
		}
		g_usleep(10000);
	}
	case_pid = 0;
	n = read(report[0], buf, sizeof(buf) - 1);
	close(report[0]);
	reason = n > 0 ? g_strndup(buf, n) : NULL;

	kill_leftovers();
	if (netns_name) {
		g_autofree char *pids = NULL;

		/* Nothing else should live there, but the namespace is ours. */
		g_free(cmd);
		cmd = g_strdup_printf("ip netns pids %s", netns_name);
		if (gb_test_run_shell(cmd, &pids, NULL) == 0 && *g_strstrip(pids)) {
			g_auto(GStrv) list = g_strsplit_set(pids, " \n", -1);

			for (int i = 0; list[i]; i++)
				if (atoi(list[i]) > 1) {
					g_printerr("killing process %s left in %s\n", list[i], netns_name);
					kill(atoi(list[i]), SIGKILL);
				}
		}
		g_free(cmd);
		cmd = g_strdup_printf("ip netns del %s", netns_name);
		if (run_cmd(cmd, NULL) != 0)
			g_printerr("could not delete the namespace %s\n", netns_name);
	}
	remove_tree(tmpl);

	if (terminated) {
		g_printerr("terminated; cleaned up\n");
		_exit(1);
	}
	if (timed_out)
		g_test_fail_printf("the case took longer than %d s; killed", CASE_TIMEOUT_S);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		g_test_skip(reason ? reason : "skipped");
	else if (WIFSIGNALED(status))
		g_test_fail_printf("the case died of signal %d (%s): its log is above", WTERMSIG(status),
		                   g_strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status) != 0)
		g_test_fail_printf("the case exited with %d: its log is above", WEXITSTATUS(status));
}

static void
make_tap(void)
{
	g_autofree char *err = NULL;

	run_cmd("ip link del " TAP, NULL);
	g_assert_cmpint(run_cmd("ip tuntap add " TAP " mode tap && ip link set " TAP " up", &err), ==, 0);
	/* No IPv6 chatter (router solicitations) from the host side. */
	run_cmd("sysctl -qw net.ipv6.conf." TAP ".disable_ipv6=1", NULL);
}

/* The host's end: a raw socket on an interface for our EtherType only. */
static int
host_socket_on(const char *ifname)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETHERTYPE_TEST),
		.sll_ifindex = if_nametoindex(ifname),
	};
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETHERTYPE_TEST));

	g_assert_cmpint(s, >=, 0);
	g_assert_cmpint(sll.sll_ifindex, >, 0);
	g_assert_cmpint(bind(s, (struct sockaddr *) &sll, sizeof(sll)), ==, 0);
	return s;
}

static int
host_socket(void)
{
	return host_socket_on(TAP);
}

/* Waits for a frame whose payload starts with `text`; fills src MAC. */
static gboolean
host_wait_frame(int s, const char *text, uint8_t src[6], int timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
	uint8_t buf[2048];

	while (g_get_monotonic_time() < deadline) {
		struct pollfd p = { s, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(s, buf, sizeof(buf), 0);
		if (n < 14 + (ssize_t) strlen(text))
			continue;
		if (memcmp(buf + 14, text, strlen(text)) == 0) {
			if (src)
				memcpy(src, buf + 6, 6);
			return TRUE;
		}
	}
	return FALSE;
}

static void
host_send(int s, const char *text)
{
	uint8_t frame[128] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1,
	                       ETHERTYPE_TEST >> 8, ETHERTYPE_TEST & 0xff };
	size_t len = 14 + strlen(text);

	memcpy(frame + 14, text, strlen(text));
	g_assert_cmpint(send(s, frame, len, 0), ==, (ssize_t) len);
}

/* The virtio-net entry of query-stats. */
static JsonObject *
net_stats(ApiClient *api, JsonObject **reply_out)
{
	JsonObject *reply = api_call(api, "query-stats");
	JsonArray *virtio = json_object_get_array_member(json_object_get_object_member(reply, "return"), "virtio");

	*reply_out = reply;
	for (unsigned int i = 0; i < json_array_get_length(virtio); i++) {
		JsonObject *d = json_array_get_object_element(virtio, i);
		if (!g_strcmp0(json_object_get_string_member(d, "device"), "virtio-net"))
			return d;
	}
	g_error("no virtio-net in query-stats");
}

static JsonObject *
queue(JsonObject *dev, unsigned int q)
{
	return json_array_get_object_element(json_object_get_array_member(dev, "queues"), q);
}

static JsonObject *save_state(ApiClient *api, const char *file);

/* A frame from the guest reaches the host, one from the host reaches the
 * guest (and comes back), then the tap is deleted: the guest sees its
 * link go down (VIRTIO_NET_F_STATUS, a configuration change). */
static void
test_tap(void)
{
	const char *extra[] = { "--no-rng", "--net", "tap=" TAP ",mac=" GUEST_MAC, NULL };
	g_autoptr(VmmRun) run = NULL;
	g_autoptr(ApiClient) api = NULL;
	g_autoptr(JsonObject) r = NULL, stats = NULL;
	g_autofree char *serial = NULL, *err = NULL;
	JsonObject *dev;
	uint8_t src[6];
	int s, status = -1;

	if (skip_if_no_netns())
		return;
	make_tap();
	s = host_socket();
	run = vmm_spawn("virtio-net", extra, TRUE);
	api = api_connect(run->socket_path);
	r = api_call(api, "resume");

	g_assert_true(host_wait_frame(s, "hello from guest", src, 30000));
	g_assert_cmpmem(src, 6, ((uint8_t[]) { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }), 6);
	g_assert_true(vmm_wait_serial(run, "sent hello", 10000));
	serial = vmm_serial(run);
	assert_contains(serial, "mac " GUEST_MAC "\n");
	assert_contains(serial, "link up\n");

	host_send(s, "hello guest");
	g_assert_true(vmm_wait_serial(run, "rx 25 bytes: hello guest\n", 20000));
	g_assert_true(host_wait_frame(s, "echo: hello guest", NULL, 20000));

	/* The counters follow the send: give them a moment. */
	for (int i = 0; i < 100; i++) {
		g_clear_pointer(&stats, json_object_unref);
		dev = net_stats(api, &stats);
		if (json_object_get_int_member(queue(dev, 1), "packets") == 2)
			break;
		g_usleep(20000);
	}
	g_assert_cmpstr(json_object_get_string_member(dev, "mac"), ==, GUEST_MAC);
	g_assert_cmpstr(json_object_get_string_member(dev, "backend"), ==, "tap " TAP);
	g_assert_cmpstr(json_object_get_string_member(dev, "link"), ==, "up");
	g_assert_cmpstr(json_object_get_string_member(queue(dev, 0), "name"), ==, "rx");
	g_assert_cmpint(json_object_get_int_member(queue(dev, 0), "packets"), >=, 1);
	g_assert_cmpint(json_object_get_int_member(queue(dev, 0), "bytes"), >=, 25);
	g_assert_cmpint(json_object_get_int_member(queue(dev, 1), "packets"), ==, 2);
	g_assert_cmpint(json_object_get_int_member(queue(dev, 1), "bytes"), ==, 14 + 16 + 14 + 17);
	g_assert_cmpint(json_object_get_int_member(queue(dev, 1), "drops"), ==, 0);
	g_assert_cmpint(json_object_get_int_member(queue(dev, 1), "notifications"), >=, 2);

	/* The host end goes away: link down, and the guest says so (then
	 * returns, which resets — ends — the VM). */
	g_assert_cmpint(run_cmd("ip link del " TAP, NULL), ==, 0);
	g_assert_true(vmm_wait_serial(run, "link down\n", 20000));
	g_assert_true(vmm_wait(run, 30000, &status));
	g_assert_cmpint(status, ==, 0);
	err = vmm_stderr(run);
	assert_contains(err, "tap " TAP ": the tap device went away; link down");
	close(s);
}

/* One IPv4/UDP frame from 10.9.0.1:sport to the guest's MAC: only the
 * addresses and ports matter (the tap's flow hash picks the queue). */
static void
host_send_udp(int s, uint16_t sport)
{
	uint8_t f[14 + 20 + 8 + 4] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00 };
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint32_t sum = 0;
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = if_nametoindex(TAP),
		.sll_halen = 6,
		.sll_addr = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 },
	};

	ip[0] = 0x45;
	ip[3] = sizeof(f) - 14;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, (uint8_t[]) { 10, 9, 0, 1, 10, 9, 0, 2 }, 8);
	for (int i = 0; i < 20; i += 2)
		sum += ip[i] << 8 | ip[i + 1];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = ~sum >> 8;
	ip[11] = ~sum & 0xff;
	udp[0] = sport >> 8;
	udp[1] = sport & 0xff;
	udp[3] = 9;   /* discard */
	udp[5] = 8 + 4;
	/* skb->protocol is what the socket says (it is bound to our test
	 * EtherType): IPv4 here, or the flow dissector sees no ports. */
	g_assert_cmpint(sendto(s, f, sizeof(f), 0, (struct sockaddr *) &sll, sizeof(sll)), ==, (ssize_t) sizeof(f));
}

/* Multiqueue (--net tap=…,queues=2 on a multi_queue tap): the guest
 * negotiates VIRTIO_NET_F_MQ, a bad VQ_PAIRS_SET is refused and a good one
 * accepted on the control queue, a frame goes out on each transmit queue,
 * and 64 flows from the host arrive spread over both receive queues (the
 * tap's flow hash): counted by the guest and by query-stats per queue.
 * After a reset without MQ every flow arrives on the one queue left (the
 * second tap queue is detached again). */
static void
test_mq(void)
{
	const char *extra[] = { "--no-rng", "--cpus", "2", "--net", "tap=" TAP ",mac=" GUEST_MAC ",queues=2", NULL };
	g_autoptr(VmmRun) run = NULL;
	g_autoptr(ApiClient) api = NULL;
	g_autoptr(JsonObject) r = NULL, stats = NULL;
	g_autofree char *serial = NULL, *err = NULL;
	g_autofree char *vmm = vmm_binary(), *guest = guest_path("virtio-net-mq");
	JsonObject *dev;
	const char *line;
	unsigned int pair0 = 0, pair1 = 0;
	int s, status = -1;
	int64_t rx0 = 0, rx1 = 0;

	if (skip_if_no_netns())
		return;
	/* A tap made without multi_queue cannot give two queues. */
	make_tap();
	{
		const char *argv[] = { vmm, "run", "--kernel", guest, "--no-rng", "--cpus", "2",
		                       "--net", "tap=" TAP ",queues=2", NULL };

		g_assert_cmpint(gb_test_run(argv, NULL, &err), !=, 0);
		assert_contains(err, "queues= needs a tap made with `ip tuntap add " TAP " mode tap multi_queue");
		g_clear_pointer(&err, g_free);
	}
	run_cmd("ip link del " TAP, NULL);
	g_assert_cmpint(run_cmd("ip tuntap add " TAP " mode tap multi_queue && ip link set " TAP " up", &err), ==, 0);
	g_clear_pointer(&err, g_free);
	run_cmd("sysctl -qw net.ipv6.conf." TAP ".disable_ipv6=1", NULL);
	/* More pairs than vCPUs is refused. */
	{
		const char *argv[] = { vmm, "run", "--kernel", guest, "--no-rng", "--cpus", "1",
		                       "--net", "tap=" TAP ",queues=2", NULL };

		g_assert_cmpint(gb_test_run(argv, NULL, &err), !=, 0);
		assert_contains(err, "queues=2 is more than the machine's 1 vCPUs");
		g_clear_pointer(&err, g_free);
	}

	s = host_socket();
	run = vmm_spawn("virtio-net-mq", extra, TRUE);
	api = api_connect(run->socket_path);
	r = api_call(api, "resume");

	g_assert_true(host_wait_frame(s, "hello from pair 0", NULL, 30000));
	g_assert_true(host_wait_frame(s, "hello from pair 1", NULL, 30000));
	g_assert_true(vmm_wait_serial(run, "sent hellos\n", 10000));
	serial = vmm_serial(run);
	assert_contains(serial, "max pairs 2\n");
	assert_contains(serial, "set 3 pairs: ack 1\n");   /* VIRTIO_NET_ERR: more than max_virtqueue_pairs */
	assert_contains(serial, "set 2 pairs: ack 0\n");   /* VIRTIO_NET_OK */
	g_clear_pointer(&serial, g_free);

	for (unsigned int i = 0; i < 64; i++) {
		host_send_udp(s, 20000 + 7 * i);
		g_usleep(2000);
	}
	for (int i = 0; i < 250; i++) {
		g_clear_pointer(&stats, json_object_unref);
		dev = net_stats(api, &stats);
		rx0 = json_object_get_int_member(queue(dev, 0), "packets");
		rx1 = json_object_get_int_member(queue(dev, 2), "packets");
		if (rx0 + rx1 >= 64)
			break;
		g_usleep(20000);
	}
	g_test_message("rx0 %" G_GINT64_FORMAT " rx1 %" G_GINT64_FORMAT, rx0, rx1);
	g_assert_cmpint(json_object_get_int_member(dev, "queue-pairs"), ==, 2);
	g_assert_cmpint(json_object_get_int_member(dev, "active-pairs"), ==, 2);
	g_assert_cmpstr(json_object_get_string_member(queue(dev, 0), "name"), ==, "rx0");
	g_assert_cmpstr(json_object_get_string_member(queue(dev, 3), "name"), ==, "tx1");
	g_assert_cmpstr(json_object_get_string_member(queue(dev, 4), "name"), ==, "ctrl");
	g_assert_cmpint(json_object_get_int_member(queue(dev, 4), "packets"), ==, 1);   /* commands done */
	g_assert_cmpint(json_object_get_int_member(queue(dev, 4), "drops"), ==, 1);     /* refused */
	g_assert_cmpint(json_object_get_int_member(queue(dev, 1), "packets"), ==, 1);
	g_assert_cmpint(json_object_get_int_member(queue(dev, 3), "packets"), ==, 1);
	g_assert_cmpint(rx0 + rx1, ==, 64);
	/* Spread: with 64 flows hashed over two queues, both get some. */
	g_assert_cmpint(rx0, >, 0);
	g_assert_cmpint(rx1, >, 0);

	host_send(s, "quit");
	g_assert_true(vmm_wait_serial(run, "quit\n", 20000));
	serial = vmm_serial(run);
	line = strstr(serial, "rx pair0 ");
	g_assert_nonnull(line);
	g_assert_cmpint(sscanf(line, "rx pair0 %u pair1 %u", &pair0, &pair1), ==, 2);
	g_assert_cmpuint(pair0, ==, rx0);
	g_assert_cmpuint(pair1, ==, rx1);

	/* Reset, one pair: all 64 flows on queue 0, none lost to queue 1. */
	g_assert_true(vmm_wait_serial(run, "single queue\n", 20000));
	for (unsigned int i = 0; i < 64; i++) {
		host_send_udp(s, 20000 + 7 * i);
		g_usleep(2000);
	}
	for (int i = 0; i < 250; i++) {
		g_clear_pointer(&stats, json_object_unref);
		dev = net_stats(api, &stats);
		if (json_object_get_int_member(queue(dev, 0), "packets") >= rx0 + 1 + 64)
			break;
		g_usleep(20000);
	}
	g_assert_cmpint(json_object_get_int_member(dev, "active-pairs"), ==, 1);
	/* +1: the "quit" frame that ended the first round came on queue 0 or 1. */
	g_assert_cmpint(json_object_get_int_member(queue(dev, 0), "packets") +
	                json_object_get_int_member(queue(dev, 2), "packets"), ==, rx0 + rx1 + 1 + 64);
	host_send(s, "quit");
	g_assert_true(vmm_wait_serial(run, "done\n", 20000));
	g_clear_pointer(&serial, g_free);
	serial = vmm_serial(run);
	assert_contains(serial, "rx single 64\n");
	g_assert_true(vmm_wait(run, 30000, &status));
	g_assert_cmpint(status, ==, 0);
	close(s);
	run_cmd("ip link del " TAP, NULL);
}

/* Frames no NIC should send are dropped and counted; good frames before
 * and after still go out; a ring the guest breaks needs a reset, and after
 * it the device works again.  The VMM lives through it all. */
static void
test_hostile(void)
{
	const char *extra[] = { "--no-rng", "--net", "tap=" TAP, NULL };
	g_autoptr(VmmRun) run = NULL;
	g_autoptr(ApiClient) api = NULL;
	g_autoptr(JsonObject) r = NULL, stats = NULL, st = NULL;
	g_autofree char *serial = NULL;
	JsonObject *dev;
	int s, status = -1;

	if (skip_if_no_netns())
		return;
	make_tap();
	s = host_socket();
	run = vmm_spawn("virtio-net-hostile", extra, TRUE);
	api = api_connect(run->socket_path);
	r = api_call(api, "resume");

	g_assert_true(host_wait_frame(s, "after hostile", NULL, 30000));
	g_assert_true(host_wait_frame(s, "after reset", NULL, 30000));
	g_assert_true(vmm_wait_serial(run, "done\n", 20000));
	serial = vmm_serial(run);
	for (const char *what = "short chain\0oversize frame\0runt\0gso not negotiated\0csum not negotiated\0";
	     *what; what += strlen(what) + 1) {
		g_autofree char *line = g_strdup_printf("%s: returned\n", what);
		assert_contains(serial, line);
	}
	assert_contains(serial, "needs reset after a looping chain\n");

	dev = net_stats(api, &stats);
	/* Five bad frames and the looping chain; two good frames went out. */
	g_assert_cmpint(json_object_get_int_member(queue(dev, 1), "drops"), ==, 6);
	g_assert_cmpint(json_object_get_int_member(queue(dev, 1), "packets"), ==, 2);
	g_assert_false(json_object_get_boolean_member(dev, "broken"));
	g_assert_nonnull(api_wait_event(api, "DEVICE_ERROR", 5000));
	st = api_call(api, "query-status");
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(st, "return"), "status"),
	                ==, "running");
	/* A clean exit (and, in the ASan build, no leaks). */
	g_clear_pointer(&r, json_object_unref);
	r = api_call(api, "stop");
	g_assert_true(vmm_wait(run, 30000, &status));
	g_assert_cmpint(status, ==, 0);
	close(s);
	run_cmd("ip link del " TAP, NULL);
}

/* --net bridge=: QEMU's helper makes the tap and puts it on the bridge;
 * the VMM only receives the fd.  The helper's allow-list is
 * /etc/qemu/bridge.conf: `helper=` names a wrapper that runs the real
 * helper in a private mount namespace where an overlay on /etc holds our
 * bridge.conf — the host's /etc is never touched. */
static void
test_bridge(void)
{
	static const char helper_path[] = "/usr/lib/qemu/qemu-bridge-helper";
	g_autofree char *dir = NULL, *wrapper = NULL, *script = NULL, *conf_dir = NULL, *probe = NULL;
	g_autofree char *net = NULL, *bad_net = NULL, *err = NULL, *links = NULL;
	g_autofree char *vmm = vmm_binary(), *guest = guest_path("virtio-net");
	g_autoptr(VmmRun) run = NULL;
	g_autoptr(ApiClient) api = NULL;
	g_autoptr(JsonObject) r = NULL, stats = NULL;
	JsonObject *dev;
	int s, status = -1;

	if (skip_if_no_netns())
		return;
	if (access(helper_path, X_OK) != 0) {
		skip("qemu-bridge-helper (qemu-system-common) is not installed");
		return;
	}
	dir = gb_test_tmpdir_new("vmm-net-bridge-XXXXXX");
	conf_dir = g_build_filename(dir, "upper", "qemu", NULL);
	g_assert_cmpint(g_mkdir_with_parents(conf_dir, 0755), ==, 0);
	{
		g_autofree char *conf = g_build_filename(conf_dir, "bridge.conf", NULL);
		g_autofree char *work = g_build_filename(dir, "work", NULL);

		g_assert_true(g_file_set_contents(conf, "allow gbbr0\n", -1, NULL));
		g_assert_cmpint(g_mkdir_with_parents(work, 0755), ==, 0);
		script = g_strdup_printf("#!/bin/sh\n"
		                         "exec unshare --mount --propagation private sh -c '"
		                         "mount -t overlay overlay -o lowerdir=/etc,upperdir=%s/upper,workdir=%s "
		                         "/etc && exec %s \"$@\"' sh \"$@\"\n",
		                         dir, work, helper_path);
	}
	wrapper = g_build_filename(dir, "helper.sh", NULL);
	g_assert_true(g_file_set_contents(wrapper, script, -1, NULL));
	g_assert_cmpint(g_chmod(wrapper, 0755), ==, 0);
	probe = g_strdup_printf("unshare --mount --propagation private sh -c "
	                        "'mount -t overlay overlay -o lowerdir=/etc,upperdir=%s/upper,workdir=%s/work /etc "
	                        "&& grep -q gbbr0 /etc/qemu/bridge.conf'", dir, dir);
	if (run_cmd(probe, &err) != 0) {
		g_autofree char *why = g_strdup_printf("cannot overlay /etc in a private mount namespace: %s", err);
		skip(why);
		gb_test_tmpdir_remove(dir);
		return;
	}
	g_clear_pointer(&err, g_free);

	run_cmd("ip link del gbbr0", NULL);
	g_assert_cmpint(run_cmd("ip link add gbbr0 type bridge && ip link set gbbr0 up", NULL), ==, 0);
	run_cmd("sysctl -qw net.ipv6.conf.gbbr0.disable_ipv6=1", NULL);

	/* A bridge the allow-list does not name: refused, with the helper's
	 * reason, before the guest runs. */
	{
		const char *argv[] = { vmm, "run", "--kernel", guest, "--net", NULL, NULL };
		g_autofree char *bad_err = NULL;

		run_cmd("ip link add gbbr9 type bridge", NULL);
		bad_net = g_strdup_printf("bridge=gbbr9,helper=%s", wrapper);
		argv[5] = bad_net;
		g_assert_cmpint(gb_test_run(argv, NULL, &bad_err), ==, 2);
		assert_contains(bad_err, "bridge gbbr9: ");
		assert_contains(bad_err, "gave no tap");
		run_cmd("ip link del gbbr9", NULL);
	}

	{
		struct sockaddr_ll sll = {
			.sll_family = AF_PACKET,
			.sll_protocol = htons(ETHERTYPE_TEST),
			.sll_ifindex = if_nametoindex("gbbr0"),
		};

		s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETHERTYPE_TEST));
		g_assert_cmpint(s, >=, 0);
		g_assert_cmpint(bind(s, (struct sockaddr *) &sll, sizeof(sll)), ==, 0);
	}
	net = g_strdup_printf("bridge=gbbr0,helper=%s,mac=" GUEST_MAC, wrapper);
	{
		const char *extra[] = { "--no-rng", "--net", net, NULL };
		run = vmm_spawn("virtio-net", extra, TRUE);
	}
	api = api_connect(run->socket_path);
	r = api_call(api, "resume");
	g_assert_true(host_wait_frame(s, "hello from guest", NULL, 30000));
	g_assert_cmpint(gb_test_run_shell("ip -o link show master gbbr0", &links, NULL), ==, 0);
	assert_contains(links, "tap");
	host_send(s, "hello guest");
	g_assert_true(vmm_wait_serial(run, "rx 25 bytes: hello guest\n", 20000));
	g_assert_true(host_wait_frame(s, "echo: hello guest", NULL, 20000));
	dev = net_stats(api, &stats);
	g_assert_true(g_str_has_prefix(json_object_get_string_member(dev, "backend"), "bridge gbbr0 (tap"));
	host_send(s, "quit");
	g_assert_true(vmm_wait(run, 30000, &status));
	g_assert_cmpint(status, ==, 0);
	close(s);
	run_cmd("ip link del gbbr0", NULL);
	gb_test_tmpdir_remove(dir);
}

/* The build's glassbox-bridge-helper, with an allow-list naming `allow`:
 * the helper reads GLASSBOX_BRIDGE_CONF when it runs with its caller's own
 * credentials (root here, no setuid), and the VMM passes the environment
 * on.  We are a case's child: the variable dies with it. */
static char *
own_helper(const char *dir, const char *allow)
{
	g_autofree char *conf = g_build_filename(dir, "bridge.conf", NULL);
	g_autofree char *text = g_strdup_printf("# bridges for test-vmm-net\nallow %s\n", allow);

	g_assert_true(g_file_set_contents(conf, text, -1, NULL));
	g_setenv("GLASSBOX_BRIDGE_CONF", conf, TRUE);
	return g_build_filename(g_getenv("G_TEST_BUILDDIR"), "..", "hypervisor", "net",
	                        "glassbox-bridge-helper", NULL);
}

/* The tap the helper put on `bridge`: "tapN", from the VMM's backend text
 * "bridge BR[ vlan N] (tapN)". */
static char *
helper_tap(JsonObject *dev)
{
	const char *backend = json_object_get_string_member(dev, "backend");
	const char *open = strrchr(backend, '(');

	g_assert_nonnull(open);
	return g_strndup(open + 1, strcspn(open + 1, ")"));
}

/* --net bridge=BR,helper=glassbox-bridge-helper without a VLAN: our helper
 * does what qemu-bridge-helper does (frames both ways through the bridge);
 * a bridge its allow-list does not name is refused with its reason, and
 * vlan= on a bridge without VLAN filtering is refused, saying how to turn
 * it on. */
static void
test_bridge_helper(void)
{
	g_autofree char *dir = NULL, *helper = NULL, *net = NULL, *err = NULL, *links = NULL;
	g_autofree char *vmm = vmm_binary(), *guest = guest_path("virtio-net");
	g_autoptr(VmmRun) run = NULL;
	g_autoptr(ApiClient) api = NULL;
	g_autoptr(JsonObject) r = NULL, stats = NULL;
	JsonObject *dev;
	int s, status = -1;

	if (skip_if_no_netns())
		return;
	dir = gb_test_tmpdir_new("vmm-net-helper-XXXXXX");
	helper = own_helper(dir, "gbbr0");
	g_assert_true(g_file_test(helper, G_FILE_TEST_IS_EXECUTABLE));
	g_assert_cmpint(run_cmd("ip link add gbbr0 type bridge && ip link set gbbr0 up && "
	                        "ip link add gbbr9 type bridge", NULL), ==, 0);
	run_cmd("sysctl -qw net.ipv6.conf.gbbr0.disable_ipv6=1", NULL);

	{
		const char *argv[] = { vmm, "run", "--kernel", guest, "--net", NULL, NULL };
		g_autofree char *bad = g_strdup_printf("bridge=gbbr9,helper=%s", helper);
		g_autofree char *want = g_strdup_printf("bridge gbbr9 is not allowed by %s/bridge.conf "
		                                        "(it needs a line \"allow gbbr9\")", dir);

		argv[5] = bad;
		g_assert_cmpint(gb_test_run(argv, NULL, &err), ==, 2);
		assert_contains(err, want);
		g_clear_pointer(&err, g_free);

		g_free(bad);
		bad = g_strdup_printf("bridge=gbbr0,vlan=10,helper=%s", helper);
		argv[5] = bad;
		g_assert_cmpint(gb_test_run(argv, NULL, &err), ==, 2);
		assert_contains(err, "bridge gbbr0 has VLAN filtering off, so vlan=10 cannot be kept apart "
		                     "(turn it on: ip link set gbbr0 type bridge vlan_filtering 1)");
		g_clear_pointer(&err, g_free);
		/* The JSON form says the same ("vlan": a number). */
		{
			g_autofree char *config = g_build_filename(dir, "m.json", NULL);
			g_autofree char *json = g_strdup_printf(
				"{\"kernel\": \"%s\", \"memory\": 32, \"net\": [{\"bridge\": \"gbbr0\", "
				"\"vlan\": 10, \"helper\": \"%s\"}]}", guest, helper);
			const char *cargv[] = { vmm, "run", "--config", config, NULL };

			g_assert_true(g_file_set_contents(config, json, -1, NULL));
			g_assert_cmpint(gb_test_run(cargv, NULL, &err), ==, 2);
			assert_contains(err, "bridge gbbr0 has VLAN filtering off, so vlan=10 cannot be kept apart");
			g_clear_pointer(&err, g_free);
		}
		/* Nothing was left on the bridges. */
		g_assert_cmpint(gb_test_run_shell("ip -o link show master gbbr0; ip -o link show master gbbr9",
		                                  &links, NULL), ==, 0);
		g_assert_cmpstr(links, ==, "");
		g_clear_pointer(&links, g_free);
	}

	s = host_socket_on("gbbr0");
	net = g_strdup_printf("bridge=gbbr0,helper=%s,mac=" GUEST_MAC, helper);
	{
		const char *extra[] = { "--no-rng", "--net", net, NULL };
		run = vmm_spawn("virtio-net", extra, TRUE);
	}
	api = api_connect(run->socket_path);
	r = api_call(api, "resume");
	g_assert_true(host_wait_frame(s, "hello from guest", NULL, 30000));
	host_send(s, "hello guest");
	g_assert_true(vmm_wait_serial(run, "rx 25 bytes: hello guest\n", 20000));
	g_assert_true(host_wait_frame(s, "echo: hello guest", NULL, 20000));
	dev = net_stats(api, &stats);
	g_assert_true(g_str_has_prefix(json_object_get_string_member(dev, "backend"), "bridge gbbr0 (tap"));
	{
		g_autofree char *tap = helper_tap(dev);
		g_autofree char *cmd = g_strdup_printf("ip -o link show %s", tap);

		g_assert_cmpint(gb_test_run_shell(cmd, &links, NULL), ==, 0);
		assert_contains(links, "master gbbr0");
		assert_contains(links, ",UP,");
	}
	host_send(s, "quit");
	g_assert_true(vmm_wait(run, 30000, &status));
	g_assert_cmpint(status, ==, 0);
	close(s);
	gb_test_tmpdir_remove(dir);
}

/* --net bridge=BR,vlan=N with a bridge that filters VLANs: this host's
 * kernel cannot (no CONFIG_BRIDGE_VLAN_FILTERING), so the test is
 * tests/nested/test-bridge-vlan.c, in a Debian kernel in the nested test
 * bed, on every host. */

/* --net user,restrict=on: libslirp answers the guest's DHCPDISCOVER with
 * 10.0.2.15, and a host port forward on loopback reaches the guest's port
 * 22 (forwards still work when the guest may reach nothing outside). */
/* --net user on a machine whose guest never touches its NIC (the
 * bundled provider's default for any guest): libslirp then polls no fd
 * at all, and the VMM runs the guest to its end.  (An empty poll list
 * once made the VMM pass NULL to memcmp(): UBSan stopped it in the
 * sanitized build.) */
static void
test_user_unused(void)
{
	const char *extra[] = { "--no-rng", "--net", "user", NULL };
	g_autoptr(VmmRun) run = vmm_spawn("hello", extra, FALSE);
	int status = -1;

	g_assert_true(vmm_wait(run, 30000, &status));
	g_assert_cmpint(status, ==, 0);
	g_assert_true(vmm_wait_serial(run, "hello from a glassbox guest", 1000));
}

static void
test_user(void)
{
	const char *extra[] = { "--no-rng", "--net", "user,restrict=on,hostfwd=tcp:127.0.0.1:2222-:22", NULL };
	g_autoptr(VmmRun) run = NULL;
	g_autoptr(ApiClient) api = NULL;
	g_autoptr(JsonObject) r = NULL, stats = NULL;
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketConnection) conn = NULL;
	g_autoptr(GError) error = NULL;
	JsonObject *dev;
	int status = -1;

	if (skip_if_no_netns())
		return;
	run = vmm_spawn("virtio-net-dhcp", extra, TRUE);
	api = api_connect(run->socket_path);
	r = api_call(api, "resume");

	g_assert_true(vmm_wait_serial(run, "offer 10.0.2.15 from 10.0.2.2\n", 30000));
	conn = g_socket_client_connect_to_host(client, "127.0.0.1:2222", 0, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(vmm_wait_serial(run, "syn to port 22\n", 30000));

	dev = net_stats(api, &stats);
	g_assert_cmpstr(json_object_get_string_member(dev, "backend"), ==, "user (restricted)");
	g_assert_cmpint(json_object_get_int_member(queue(dev, 0), "packets"), >=, 2);
	g_assert_cmpint(json_object_get_int_member(queue(dev, 1), "packets"), >=, 1);
	g_clear_pointer(&r, json_object_unref);
	r = api_call(api, "stop");
	g_assert_true(vmm_wait(run, 30000, &status));
	g_assert_cmpint(status, ==, 0);
}

/* --net passt: the VMM starts passt on a socketpair; passt copies the
 * addresses of the namespace's default-route interface (a veth pair that
 * lives and ends inside the namespace: 10.0.2.15/24, gateway 10.0.2.2), so
 * its DHCP offers the guest 10.0.2.15; hostfwd= becomes passt's -t and a
 * connection to loopback reaches the guest's port 22.  When passt dies
 * under the VMM the link goes down and the VMM says so. */
static void
test_passt(void)
{
	const char *extra[] = { "--no-rng", "--net", "passt,hostfwd=tcp:127.0.0.1:2224-:22", NULL };
	g_autoptr(VmmRun) run = NULL;
	g_autoptr(ApiClient) api = NULL;
	g_autoptr(JsonObject) r = NULL, stats = NULL, after = NULL;
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketConnection) conn = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *pids = NULL, *cmd = NULL, *err = NULL;
	JsonObject *dev;
	int status = -1;

	if (skip_if_no_netns())
		return;
	if (!gb_test_have_program("passt")) {
		skip("passt is not installed (Debian package passt)");
		return;
	}
	run_cmd("ip link del gbveth0", NULL);
	g_assert_cmpint(run_cmd("ip link add gbveth0 type veth peer name gbveth1 && "
	                        "ip addr add 10.0.2.15/24 dev gbveth0 && ip link set gbveth0 up && "
	                        "ip link set gbveth1 up && ip route add default via 10.0.2.2", &err), ==, 0);
	run = vmm_spawn("virtio-net-dhcp", extra, TRUE);
	api = api_connect(run->socket_path);
	r = api_call(api, "resume");

	g_assert_true(vmm_wait_serial(run, "offer 10.0.2.15 from", 30000));
	/* passt binds its forward a moment after it starts: try for a while. */
	for (int i = 0; i < 100 && conn == NULL; i++) {
		g_clear_error(&error);
		conn = g_socket_client_connect_to_host(client, "127.0.0.1:2224", 0, NULL, &error);
		if (conn == NULL)
			g_usleep(100000);
	}
	g_assert_no_error(error);
	g_assert_true(vmm_wait_serial(run, "syn to port 22\n", 30000));

	dev = net_stats(api, &stats);
	g_assert_cmpstr(json_object_get_string_member(dev, "backend"), ==, "passt");
	g_assert_cmpstr(json_object_get_string_member(dev, "link"), ==, "up");
	g_assert_cmpint(json_object_get_int_member(queue(dev, 0), "packets"), >=, 2);
	g_assert_cmpint(json_object_get_int_member(queue(dev, 1), "packets"), >=, 1);

	/* Save State is refused on passt (its state is in passt), with
	 * the reason and nothing written; the machine runs on. */
	{
		g_autofree char *dir = gb_test_tmpdir_new("gb-net-save-XXXXXX");
		g_autofree char *state = g_build_filename(dir, "passt.state", NULL);
		g_autoptr(JsonObject) refused = save_state(api, state);
		const char *desc;

		g_assert_true(json_object_has_member(refused, "error"));
		desc = json_object_get_string_member(json_object_get_object_member(refused, "error"), "desc");
		g_test_message("refused: %s", desc);
		assert_contains(desc, "passt");
		assert_contains(desc, "not supported");
		g_assert_false(g_file_test(state, G_FILE_TEST_EXISTS));
		gb_test_tmpdir_remove(dir);
	}

	/* passt is the VMM's only child: kill it, by the PID the kernel
	 * lists among the VMM's children. */
	cmd = g_strdup_printf("/proc/%s/task/%s/children", g_subprocess_get_identifier(run->proc),
	                      g_subprocess_get_identifier(run->proc));
	g_assert_true(g_file_get_contents(cmd, &pids, NULL, NULL));
	g_assert_cmpint(atoi(pids), >, 1);
	g_assert_cmpint(kill(atoi(pids), SIGKILL), ==, 0);
	for (int i = 0; i < 200; i++) {
		g_clear_pointer(&after, json_object_unref);
		if (!g_strcmp0(json_object_get_string_member(net_stats(api, &after), "link"), "down"))
			break;
		g_usleep(50000);
	}
	g_assert_cmpstr(json_object_get_string_member(net_stats(api, &after), "link"), ==, "down");
	g_clear_pointer(&r, json_object_unref);
	r = api_call(api, "stop");
	g_assert_true(vmm_wait(run, 30000, &status));
	g_assert_cmpint(status, ==, 0);
	g_free(err);
	err = vmm_stderr(run);
	assert_contains(err, "passt: passt closed the connection; link down");
	run_cmd("ip route del default; ip link del gbveth0", NULL);
}

/* --net passt,socket=PATH: a passt the user started (`passt --socket
 * PATH`), which the VMM only connects to; its DHCP reaches the guest. */
static void
test_passt_socket(void)
{
	g_autofree char *dir = NULL, *sock = NULL, *net = NULL, *err = NULL;
	g_autoptr(GSubprocess) passt = NULL;
	g_autoptr(VmmRun) run = NULL;
	g_autoptr(ApiClient) api = NULL;
	g_autoptr(JsonObject) r = NULL, stats = NULL;
	g_autoptr(GError) error = NULL;
	int status = -1;

	if (skip_if_no_netns())
		return;
	if (!gb_test_have_program("passt")) {
		skip("passt is not installed (Debian package passt)");
		return;
	}
	run_cmd("ip link del gbveth0", NULL);
	g_assert_cmpint(run_cmd("ip link add gbveth0 type veth peer name gbveth1 && "
	                        "ip addr add 10.0.2.15/24 dev gbveth0 && ip link set gbveth0 up && "
	                        "ip link set gbveth1 up && ip route add default via 10.0.2.2", &err), ==, 0);
	dir = gb_test_tmpdir_new("vmm-net-passt-XXXXXX");
	/* passt drops root for nobody: it must be able to make its socket. */
	g_assert_cmpint(g_chmod(dir, 0777), ==, 0);
	sock = g_build_filename(dir, "passt.socket", NULL);
	passt = g_subprocess_new(G_SUBPROCESS_FLAGS_STDERR_SILENCE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
	                         "passt", "--foreground", "--one-off", "--quiet", "--socket", sock, NULL);
	g_assert_no_error(error);
	for (int i = 0; i < 200 && !g_file_test(sock, G_FILE_TEST_EXISTS); i++)
		g_usleep(50000);
	g_assert_true(g_file_test(sock, G_FILE_TEST_EXISTS));

	net = g_strdup_printf("passt,socket=%s", sock);
	{
		const char *extra[] = { "--no-rng", "--net", net, NULL };
		run = vmm_spawn("virtio-net-dhcp", extra, TRUE);
	}
	api = api_connect(run->socket_path);
	r = api_call(api, "resume");
	g_assert_true(vmm_wait_serial(run, "offer 10.0.2.15 from", 30000));
	{
		g_autofree char *want = g_strdup_printf("passt (%s)", sock);

		g_assert_cmpstr(json_object_get_string_member(net_stats(api, &stats), "backend"), ==, want);
	}
	g_clear_pointer(&r, json_object_unref);
	r = api_call(api, "stop");
	g_assert_true(vmm_wait(run, 30000, &status));
	g_assert_cmpint(status, ==, 0);
	/* --one-off: passt leaves when its one client has gone. */
	g_assert_true(g_subprocess_wait(passt, NULL, &error));
	g_assert_no_error(error);
	run_cmd("ip route del default; ip link del gbveth0", NULL);
	gb_test_tmpdir_remove(dir);
}

/* ---- save-state with a NIC --------------------------------------------- */

static JsonObject *
save_state(ApiClient *api, const char *file)
{
	g_autofree char *text = g_strdup_printf("{\"execute\": \"save-state\", \"arguments\": {\"filename\": \"%s\"}, \"id\": \"s\"}", file);

	return api_raw(api, text);
}

static void
assert_saved(ApiClient *api, JsonObject *reply)
{
	if (!json_object_has_member(reply, "return")) {
		g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), reply);
		g_autofree char *text = json_to_string(node, FALSE);

		g_error("save-state: %s", text);
	}
	g_assert_nonnull(api_wait_event(api, "STATE_CHANGE", 10000));
}

static unsigned int
count_lines(const char *text, const char *prefix)
{
	unsigned int n = 0;

	for (const char *p = text; (p = strstr(p, prefix)) != NULL; p += strlen(prefix))
		n++;
	return n;
}

/* A frame from the host, its "rx" line on the guest's serial port and the
 * guest's echo back on the wire. */
static void
ping(VmmRun *run, int s, unsigned int i)
{
	g_autofree char *text = g_strdup_printf("ping %u", i);
	g_autofree char *line = g_strdup_printf("rx %zu bytes: %s\n", 14 + strlen(text), text);
	g_autofree char *echo = g_strdup_printf("echo: %s", text);

	host_send(s, text);
	if (!vmm_wait_serial(run, line, 20000)) {
		g_autofree char *out = vmm_serial(run), *err = vmm_stderr(run);
		g_error("no \"%s\" from the guest; serial:\n%s\nstderr:\n%s", text, out, err);
	}
	g_assert_true(host_wait_frame(s, echo, NULL, 20000));
}

/* A guest echoing frames on a tap is saved mid-run (its rings hold posted
 * receive buffers), the VMM stops, a new one restores it on the same tap
 * (re-opened from --net): frames flow both ways again, each echoed once,
 * the guest does not boot again, and query-stats counts on from where it
 * was.  A restore with another MAC is refused, naming both. */
static void
test_save_restore_tap(void)
{
	const char *net = "tap=" TAP ",mac=" GUEST_MAC;
	g_autofree char *dir = NULL, *state = NULL, *after = NULL;
	g_autoptr(JsonObject) r = NULL, r2 = NULL, stats = NULL;
	gint64 tx_before, rx_before;
	JsonObject *dev;
	int s, status = -1;

	if (skip_if_no_netns())
		return;
	dir = gb_test_tmpdir_new("gb-net-save-XXXXXX");
	state = g_build_filename(dir, "net.state", NULL);
	make_tap();
	s = host_socket();
	{
		const char *extra[] = { "--no-rng", "--net", net, NULL };
		g_autoptr(VmmRun) run = vmm_spawn("virtio-net", extra, TRUE);
		g_autoptr(ApiClient) api = api_connect(run->socket_path);

		r = api_call(api, "resume");
		g_assert_true(host_wait_frame(s, "hello from guest", NULL, 30000));
		g_assert_true(vmm_wait_serial(run, "sent hello", 10000));
		for (unsigned int i = 1; i <= 3; i++)
			ping(run, s, i);
		r2 = save_state(api, state);
		assert_saved(api, r2);
		dev = net_stats(api, &stats);
		tx_before = json_object_get_int_member(queue(dev, 1), "packets");
		rx_before = json_object_get_int_member(queue(dev, 0), "packets");
		g_assert_cmpint(tx_before, ==, 4);   /* hello and three echoes */
		g_assert_cmpint(rx_before, >=, 3);
		g_clear_pointer(&r, json_object_unref);
		r = api_call(api, "stop");
		g_assert_true(vmm_wait(run, 30000, &status));
		g_assert_cmpint(status, ==, 0);
	}
	{
		const char *extra[] = { "--no-rng", "--net", net, "--restore", state, NULL };
		g_autoptr(VmmRun) run = vmm_spawn("virtio-net", extra, TRUE);
		g_autoptr(ApiClient) api = api_connect(run->socket_path);

		g_clear_pointer(&r, json_object_unref);
		r = api_call(api, "resume");
		g_assert_true(json_object_has_member(r, "return"));
		for (unsigned int i = 4; i <= 6; i++)
			ping(run, s, i);
		after = vmm_serial(run);
		/* Not booted again; each frame reached the guest once. */
		g_assert_null(strstr(after, "sent hello"));
		g_assert_null(strstr(after, "ping 1"));
		g_assert_cmpuint(count_lines(after, "rx "), ==, 3);
		g_clear_pointer(&stats, json_object_unref);
		for (int i = 0; i < 100; i++) {
			g_clear_pointer(&stats, json_object_unref);
			dev = net_stats(api, &stats);
			if (json_object_get_int_member(queue(dev, 1), "packets") >= tx_before + 3)
				break;
			g_usleep(20000);
		}
		g_test_message("tx packets %" G_GINT64_FORMAT " at the save, %" G_GINT64_FORMAT " after three more",
		               tx_before, json_object_get_int_member(queue(dev, 1), "packets"));
		g_assert_cmpint(json_object_get_int_member(queue(dev, 1), "packets"), ==, tx_before + 3);
		g_assert_cmpint(json_object_get_int_member(queue(dev, 0), "packets"), >=, rx_before + 3);
		g_assert_cmpstr(json_object_get_string_member(dev, "link"), ==, "up");
		g_clear_pointer(&r, json_object_unref);
		r = api_call(api, "stop");
		g_assert_true(vmm_wait(run, 30000, &status));
		g_assert_cmpint(status, ==, 0);
	}
	/* Another MAC: the guest's driver knows the saved one. */
	{
		const char *extra[] = { "--no-rng", "--net", "tap=" TAP ",mac=52:54:00:ab:cd:ef", "--restore", state, NULL };
		g_autoptr(VmmRun) run = vmm_spawn("virtio-net", extra, FALSE);
		g_autofree char *err = NULL;

		g_assert_true(vmm_wait(run, 30000, &status));
		g_assert_cmpint(status, !=, 0);
		err = vmm_stderr(run);
		g_test_message("refused: %s", err);
		assert_contains(err, GUEST_MAC);
		assert_contains(err, "52:54:00:ab:cd:ef");
		g_assert_null(strstr(err, "Sanitizer"));
	}
	close(s);
	run_cmd("ip link del " TAP, NULL);
	gb_test_tmpdir_remove(dir);
}

/* --net user: saved after the guest's DHCP, restored on a new libslirp
 * (its connections are not kept, see hypervisor/net/slirp.c): the guest
 * keeps its address, and a host port forward reaches it again — libslirp
 * asks for its MAC by ARP and the guest answers, so frames flow both
 * ways. */
static void
test_save_restore_user(void)
{
	const char *net = "user,restrict=on,hostfwd=tcp:127.0.0.1:2223-:22";
	g_autofree char *dir = NULL, *state = NULL, *after = NULL;
	g_autoptr(JsonObject) r = NULL, r2 = NULL;
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketConnection) conn = NULL;
	g_autoptr(GError) error = NULL;
	int status = -1;

	if (skip_if_no_netns())
		return;
	dir = gb_test_tmpdir_new("gb-net-save-XXXXXX");
	state = g_build_filename(dir, "user.state", NULL);
	{
		const char *extra[] = { "--no-rng", "--net", net, NULL };
		g_autoptr(VmmRun) run = vmm_spawn("virtio-net-dhcp", extra, TRUE);
		g_autoptr(ApiClient) api = api_connect(run->socket_path);

		r = api_call(api, "resume");
		g_assert_true(vmm_wait_serial(run, "offer 10.0.2.15 from 10.0.2.2\n", 30000));
		r2 = save_state(api, state);
		assert_saved(api, r2);
		g_clear_pointer(&r, json_object_unref);
		r = api_call(api, "stop");
		g_assert_true(vmm_wait(run, 30000, &status));
		g_assert_cmpint(status, ==, 0);
	}
	{
		const char *extra[] = { "--no-rng", "--net", net, "--restore", state, NULL };
		g_autoptr(VmmRun) run = vmm_spawn("virtio-net-dhcp", extra, TRUE);
		g_autoptr(ApiClient) api = api_connect(run->socket_path);

		g_clear_pointer(&r, json_object_unref);
		r = api_call(api, "resume");
		g_assert_true(json_object_has_member(r, "return"));
		conn = g_socket_client_connect_to_host(client, "127.0.0.1:2223", 0, NULL, &error);
		g_assert_no_error(error);
		if (!vmm_wait_serial(run, "syn to port 22\n", 30000)) {
			g_autofree char *out = vmm_serial(run), *err = vmm_stderr(run);
			g_autoptr(JsonObject) st = api_call(api, "query-stats");
			g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), st);
			g_autofree char *text = json_to_string(node, FALSE);

			g_error("no SYN reached the restored guest; serial:\n%s\nstderr:\n%s\nstats: %s", out, err, text);
		}
		after = vmm_serial(run);
		g_assert_null(strstr(after, "sent discover"));
		assert_contains(after, "arp reply\n");
		g_clear_object(&conn);
		g_clear_pointer(&r, json_object_unref);
		r = api_call(api, "stop");
		g_assert_true(vmm_wait(run, 30000, &status));
		g_assert_cmpint(status, ==, 0);
	}
	gb_test_tmpdir_remove(dir);
}

/* Bad --net text is refused before anything starts, saying why; a JSON
 * "net" entry works like --net. */
static void
test_options(void)
{
	static const char *const bad[][2] = {
		{ "tap=", "expected tap=IFNAME" },
		{ "wire", "expected tap=IFNAME" },
		{ "user,mac=01:00:00:00:00:01", "cannot understand \"mac=01:00:00:00:00:01\"" },
		{ "tap=x,hostfwd=tcp::1-:2", "cannot understand \"hostfwd" },
		{ "user,hostfwd=tcp:1.2.3.4", "hostfwd=tcp:1.2.3.4: expected" },
		{ "tap=gbnosuchtap0", "tap gbnosuchtap0 does not exist" },
		{ "user,restrict=maybe", "cannot understand \"restrict=maybe\"" },
		{ "tap=x,restrict=on", "cannot understand \"restrict=on\"" },
		{ "passt,restrict=on", "cannot understand \"restrict=on\"" },
		{ "passt,hostfwd=tcp::1-10.0.2.15:2", "(passt forwards to its one guest)" },
		{ "passt,socket=/nonexistent/passt.socket", "passt socket /nonexistent/passt.socket: " },
		{ "user,queues=2", "queues=2 needs tap=IFNAME (a tap made with multi_queue); user has a single queue" },
		{ "passt,queues=2", "passt has a single queue" },
		{ "bridge=br0,queues=2", "bridge has a single queue" },
		{ "bridge=br0,vlan=0", "vlan=0: expected a VLAN id from 1 to 4094" },
		{ "bridge=br0,vlan=4095", "vlan=4095: expected a VLAN id from 1 to 4094" },
		{ "bridge=br0,vlan=ten", "vlan=ten: expected a VLAN id" },
		{ "tap=x,vlan=10", "cannot understand \"vlan=10\"" },
		{ "tap=x,queues=0", "queues=0: expected a number of queue pairs from 1 to 8" },
		{ "tap=x,queues=9", "queues=9: expected a number of queue pairs from 1 to 8" },
	};
	g_autofree char *dir = gb_test_tmpdir_new("vmm-net-XXXXXX");
	g_autofree char *config = g_build_filename(dir, "m.json", NULL);
	g_autofree char *serial_opt = g_strconcat("--serial=file=", dir, "/serial.txt", NULL);
	g_autofree char *vmm = vmm_binary(), *guest = guest_path("virtio-net-dhcp");

	for (unsigned int i = 0; i < G_N_ELEMENTS(bad); i++) {
		const char *argv[] = { vmm, "run", "--kernel", guest, "--net", bad[i][0], NULL };
		g_autofree char *err = NULL;

		g_assert_cmpint(gb_test_run(argv, NULL, &err), ==, 2);
		assert_contains(err, bad[i][1]);
	}
	if (skip_if_no_netns())
		return;

	/* JSON: the object form the app writes. */
	{
		const char *json = "{\"kernel\": \"KERNEL\", \"memory\": 32, \"rng\": false,"
		                   " \"net\": [{\"user\": true, \"mac\": \"52:54:00:ab:cd:ef\","
		                   " \"hostfwd\": [\"tcp:127.0.0.1:2223-:22\"]}]}";
		g_autofree char *text = NULL;
		GString *s = g_string_new(json);
		const char *argv[] = { vmm, "run", "--config", config, serial_opt, "--api-socket", NULL, NULL };
		g_autofree char *sock = g_build_filename(dir, "api.sock", NULL);
		g_autoptr(GSubprocess) p = NULL;
		g_autoptr(GError) error = NULL;
		g_autofree char *serial_path = g_build_filename(dir, "serial.txt", NULL);
		gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
		gboolean seen = FALSE;

		g_string_replace(s, "KERNEL", guest, 1);
		text = g_string_free(s, FALSE);
		g_assert_true(g_file_set_contents(config, text, -1, NULL));
		argv[6] = sock;
		p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
		g_assert_no_error(error);
		while (!seen && g_get_monotonic_time() < deadline) {
			g_autofree char *out = NULL;

			g_usleep(50000);
			if (g_file_get_contents(serial_path, &out, NULL, NULL) && strstr(out, "offer 10.0.2.15"))
				seen = TRUE;
			if (out)
				g_assert_null(strstr(out, "no virtio-net"));
			if (seen)
				assert_contains(out, "mac 52:54:00:ab:cd:ef\n");
		}
		g_subprocess_force_exit(p);
		g_subprocess_wait(p, NULL, NULL);
		g_assert_true(seen);
	}
	gb_test_tmpdir_remove(dir);
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *path;
		void (*body)(void);
	} cases[] = {
		{ "/vmm-net/options", test_options },
		{ "/vmm-net/tap", test_tap },
		{ "/vmm-net/hostile", test_hostile },
		{ "/vmm-net/mq", test_mq },
		{ "/vmm-net/bridge", test_bridge },
		{ "/vmm-net/bridge-helper", test_bridge_helper },
		{ "/vmm-net/user", test_user },
		{ "/vmm-net/user-unused", test_user_unused },
		{ "/vmm-net/passt", test_passt },
		{ "/vmm-net/passt-socket", test_passt_socket },
		{ "/vmm-net/save-restore-tap", test_save_restore_tap },
		{ "/vmm-net/save-restore-user", test_save_restore_user },
	};
	struct sigaction sa = { .sa_handler = on_terminate };

	g_test_init(&argc, &argv, NULL);
	/* Orphans of a case's child (its VMM, passt) become ours to kill. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	check_netns();
	for (unsigned int i = 0; i < G_N_ELEMENTS(cases); i++)
		g_test_add_data_func(cases[i].path, (gconstpointer) cases[i].body, run_case);
	return g_test_run();
}
