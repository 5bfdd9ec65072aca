/* test-vhost-user-protocol.c — `glassbox-vmm vhost-user-blk` against a
 * small front-end written here: the messages QEMU sends, in the order it
 * sends them, plus the ones a broken or hostile front-end might send.
 * No guest, no QEMU: each case runs in well under a second, and under the
 * sanitizer build too.  One case talks to `glassbox-vmm vhost-user-net`
 * with two queue pairs (multiqueue: GET_QUEUE_NUM, ring enables).
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "gb-test-utils.h"
#include "vhost-user-test-util.h"

/* The protocol's numbers (QEMU docs/interop/vhost-user.rst). */
enum {
	GET_FEATURES = 1, SET_FEATURES = 2, SET_OWNER = 3, SET_MEM_TABLE = 5,
	SET_VRING_NUM = 8, SET_VRING_ADDR = 9, SET_VRING_BASE = 10, GET_VRING_BASE = 11,
	SET_VRING_KICK = 12, SET_VRING_CALL = 13, GET_PROTOCOL_FEATURES = 15,
	SET_PROTOCOL_FEATURES = 16, GET_QUEUE_NUM = 17, SET_VRING_ENABLE = 18, GET_CONFIG = 24,
};
#define FLAG_VERSION    1u
#define FLAG_REPLY      (1u << 2)
#define FLAG_NEED_REPLY (1u << 3)
#define F_PROTOCOL_FEATURES (1ull << 30)
#define F_VERSION_1         (1ull << 32)
#define BLK_F_RO            (1ull << 5)
#define BLK_F_FLUSH         (1ull << 9)
#define PF_MQ        (1ull << 0)
#define PF_REPLY_ACK (1ull << 3)
#define PF_CONFIG    (1ull << 9)
#define NET_F_MQ     (1ull << 22)

#define DISK_SIZE (1 << 20)
#define MEM_SIZE  (1 << 20)
#define MEM_GPA   0x40000000ull      /* guest-physical base of our one region */
#define MEM_UADDR 0x7e0000000000ull  /* "QEMU's" address of it: deliberately unrelated */

typedef struct {
	uint32_t request, flags, size;
	uint8_t payload[512];
} __attribute__((packed)) Msg;

typedef struct {
	char *dir;
	char *image;
	Backend *backend;
	int sock;
} Fixture;

static int
connect_to(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint(fd, >=, 0);
	g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
	g_assert_cmpint(connect(fd, (struct sockaddr *) &addr, sizeof(addr)), ==, 0);
	return fd;
}

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
	g_autofree char *content = g_malloc(DISK_SIZE);

	for (int i = 0; i < DISK_SIZE; i++)
		content[i] = (char) (i * 7 + i / 512);
	f->dir = gb_test_tmpdir_new("gb-vhost-proto-XXXXXX");
	f->image = g_build_filename(f->dir, "disk.raw", NULL);
	g_assert_true(g_file_set_contents(f->image, content, DISK_SIZE, NULL));
	{
		g_autofree char *spec = g_strdup_printf("%s,format=raw", f->image);

		f->backend = backend_start(f->dir, spec);
	}
	g_assert_nonnull(f->backend);
	f->sock = connect_to(f->backend->socket_path);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
	if (f->sock >= 0)
		close(f->sock);
	/* A clean exit (0) also means no leak report from the sanitizers. */
	g_assert_cmpint(backend_stop(f->backend), ==, 0);
	backend_free(f->backend);
	gb_test_tmpdir_remove(f->dir);
	g_free(f->image);
	g_free(f->dir);
}

static void
send_msg(int sock, uint32_t request, uint32_t flags, const void *payload, uint32_t size,
         const int *fds, unsigned int n_fds)
{
	Msg m = { request, FLAG_VERSION | flags, size, { 0 } };
	struct iovec iov = { &m, 12 + size };
	char control[CMSG_SPACE(8 * sizeof(int))] = { 0 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	g_assert_cmpuint(size, <=, sizeof(m.payload));
	if (size > 0)
		memcpy(m.payload, payload, size);
	if (n_fds > 0) {
		struct cmsghdr *c;

		mh.msg_control = control;
		mh.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, n_fds * sizeof(int));
	}
	g_assert_cmpint(sendmsg(sock, &mh, MSG_NOSIGNAL), ==, (ssize_t) (12 + size));
}

/* Reads one reply; FALSE if the back-end hung up (or said nothing within
 * 5 s). */
static gboolean
recv_msg(int sock, Msg *m)
{
	struct pollfd p = { sock, POLLIN, 0 };
	ssize_t n;

	if (poll(&p, 1, 5000) != 1)
		return FALSE;
	n = recv(sock, m, 12, MSG_WAITALL);
	if (n != 12)
		return FALSE;
	g_assert_cmpuint(m->size, <=, sizeof(m->payload));
	if (m->size > 0)
		g_assert_cmpint(recv(sock, m->payload, m->size, MSG_WAITALL), ==, (ssize_t) m->size);
	return TRUE;
}

static uint64_t
get_u64(int sock, uint32_t request)
{
	Msg m;
	uint64_t v;

	send_msg(sock, request, 0, NULL, 0, NULL, 0);
	g_assert_true(recv_msg(sock, &m));
	g_assert_cmpuint(m.request, ==, request);
	g_assert_cmpuint(m.flags & FLAG_REPLY, !=, 0);
	g_assert_cmpuint(m.size, ==, 8);
	memcpy(&v, m.payload, 8);
	return v;
}

static void
set_u64(int sock, uint32_t request, uint64_t value)
{
	send_msg(sock, request, 0, &value, 8, NULL, 0);
}

/* Sends with NEED_REPLY and returns the REPLY_ACK value (0 = success). */
static uint64_t
acked(int sock, uint32_t request, const void *payload, uint32_t size, const int *fds, unsigned int n_fds)
{
	Msg m;
	uint64_t v;

	send_msg(sock, request, FLAG_NEED_REPLY, payload, size, fds, n_fds);
	g_assert_true(recv_msg(sock, &m));
	g_assert_cmpuint(m.request, ==, request);
	g_assert_cmpuint(m.size, ==, 8);
	memcpy(&v, m.payload, 8);
	return v;
}

static void
handshake(int sock)
{
	uint64_t features = get_u64(sock, GET_FEATURES);

	g_assert_cmpuint(features & F_PROTOCOL_FEATURES, !=, 0);
	set_u64(sock, SET_PROTOCOL_FEATURES, PF_MQ | PF_REPLY_ACK | PF_CONFIG);
	send_msg(sock, SET_OWNER, 0, NULL, 0, NULL, 0);
}

static gboolean
backend_said(Fixture *f, const char *needle)
{
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

	do {
		g_autofree char *err = backend_stderr(f->backend);

		if (strstr(err, needle))
			return TRUE;
		g_usleep(20000);
	} while (g_get_monotonic_time() < end);
	return FALSE;
}

/* What QEMU asks before it starts a vhost-user-blk device. */
static void
test_negotiation(Fixture *f, gconstpointer data)
{
	uint64_t features = get_u64(f->sock, GET_FEATURES);
	uint64_t protocol = get_u64(f->sock, GET_PROTOCOL_FEATURES);
	struct { uint32_t offset, size, flags; uint8_t data[60]; } __attribute__((packed)) cfg = { 0, 60, 0, { 0 } };
	uint64_t capacity, bad = 1ull << 63;
	Msg m;

	g_assert_cmpuint(features & F_VERSION_1, !=, 0);
	g_assert_cmpuint(features & BLK_F_FLUSH, !=, 0);
	g_assert_cmpuint(features & BLK_F_RO, ==, 0);
	g_assert_cmpuint(protocol & (PF_MQ | PF_REPLY_ACK | PF_CONFIG), ==, PF_MQ | PF_REPLY_ACK | PF_CONFIG);
	set_u64(f->sock, SET_PROTOCOL_FEATURES, PF_MQ | PF_REPLY_ACK | PF_CONFIG);
	send_msg(f->sock, SET_OWNER, 0, NULL, 0, NULL, 0);
	g_assert_cmpuint(get_u64(f->sock, GET_QUEUE_NUM), ==, 1);

	/* virtio_blk_config: capacity in 512-byte sectors first. */
	send_msg(f->sock, GET_CONFIG, 0, &cfg, sizeof(cfg), NULL, 0);
	g_assert_true(recv_msg(f->sock, &m));
	g_assert_cmpuint(m.request, ==, GET_CONFIG);
	g_assert_cmpuint(m.size, ==, sizeof(cfg));
	memcpy(&capacity, m.payload + 12, 8);
	g_assert_cmpuint(capacity, ==, DISK_SIZE / 512);

	/* A feature bit never offered is refused (and said so). */
	g_assert_cmpuint(acked(f->sock, SET_FEATURES, &bad, 8, NULL, 0), !=, 0);
	g_assert_cmpuint(acked(f->sock, SET_FEATURES, &features, 8, NULL, 0), ==, 0);
}

/* An unknown request gets a clear error; with an ack requested the
 * session goes on, without one the back-end hangs up (the front-end might
 * be waiting for a reply it cannot have) and serves the next front-end. */
static void
test_unknown_request(Fixture *f, gconstpointer data)
{
	Msg m;

	handshake(f->sock);
	g_assert_cmpuint(acked(f->sock, 99, NULL, 0, NULL, 0), !=, 0);
	g_assert_true(backend_said(f, "request 99 (an unknown request) is not supported"));
	g_assert_cmpuint(get_u64(f->sock, GET_QUEUE_NUM), ==, 1);

	send_msg(f->sock, 99, 0, NULL, 0, NULL, 0);
	g_assert_false(recv_msg(f->sock, &m));
	close(f->sock);

	f->sock = connect_to(f->backend->socket_path);
	g_assert_cmpuint(get_u64(f->sock, GET_QUEUE_NUM), ==, 1);
}

typedef struct {
	uint32_t n_regions, padding;
	struct { uint64_t gpa, size, uaddr, offset; } r[2];
} __attribute__((packed)) MemTable;

static int
make_memfd(size_t size)
{
	int fd = memfd_create("guest-ram", MFD_CLOEXEC);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(ftruncate(fd, size), ==, 0);
	return fd;
}

/* Memory tables that would let the back-end touch memory it must not. */
static void
test_bad_memory_table(Fixture *f, gconstpointer data)
{
	int fds[2] = { make_memfd(MEM_SIZE), make_memfd(MEM_SIZE) };
	MemTable t = { 1, 0, { { MEM_GPA, 2 * MEM_SIZE, MEM_UADDR, 0 } } };
	Msg m;

	handshake(f->sock);
	/* Larger than its file: mapping it would turn accesses into SIGBUS. */
	g_assert_cmpuint(acked(f->sock, SET_MEM_TABLE, &t, 8 + 32, fds, 1), !=, 0);
	g_assert_true(backend_said(f, "larger than its file"));
	/* An offset that wraps around. */
	t.r[0] = (typeof(t.r[0])) { MEM_GPA, MEM_SIZE, MEM_UADDR, UINT64_MAX - 100 };
	g_assert_cmpuint(acked(f->sock, SET_MEM_TABLE, &t, 8 + 32, fds, 1), !=, 0);
	/* Two regions on top of each other. */
	t.n_regions = 2;
	t.r[0] = (typeof(t.r[0])) { MEM_GPA, MEM_SIZE, MEM_UADDR, 0 };
	t.r[1] = (typeof(t.r[1])) { MEM_GPA + 4096, MEM_SIZE - 4096, MEM_UADDR + MEM_SIZE, 0 };
	g_assert_cmpuint(acked(f->sock, SET_MEM_TABLE, &t, 8 + 64, fds, 2), !=, 0);
	g_assert_true(backend_said(f, "overlaps"));
	/* A good one is accepted. */
	t.n_regions = 1;
	g_assert_cmpuint(acked(f->sock, SET_MEM_TABLE, &t, 8 + 32, fds, 1), ==, 0);
	/* Fewer fds than regions: the protocol is broken, the back-end hangs up. */
	t.n_regions = 2;
	t.r[1] = (typeof(t.r[1])) { MEM_GPA + MEM_SIZE, MEM_SIZE, MEM_UADDR + MEM_SIZE, 0 };
	send_msg(f->sock, SET_MEM_TABLE, FLAG_NEED_REPLY, &t, 8 + 64, fds, 1);
	g_assert_false(recv_msg(f->sock, &m));
	close(fds[0]);
	close(fds[1]);
}

/* Ring layout inside our 1 MiB of "guest RAM" (offsets from MEM_GPA). */
#define DESC_OFF   0x0000
#define AVAIL_OFF  0x1000
#define USED_OFF   0x2000
#define HDR_OFF    0x3000
#define DATA_OFF   0x4000
#define STATUS_OFF 0x5000
#define QSIZE 8

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; } __attribute__((packed));

/* Puts a three-descriptor virtio-blk request at avail slot `slot`. */
static void
queue_request(uint8_t *ram, uint16_t slot, uint32_t type, uint64_t sector, uint32_t len)
{
	struct desc *d = (struct desc *) (ram + DESC_OFF);
	uint16_t *avail = (uint16_t *) (ram + AVAIL_OFF);
	struct { uint32_t type, reserved; uint64_t sector; } hdr = { type, 0, sector };

	memcpy(ram + HDR_OFF, &hdr, sizeof(hdr));
	ram[STATUS_OFF] = 0xff;
	d[0] = (struct desc) { MEM_GPA + HDR_OFF, sizeof(hdr), 1, 1 };
	d[1] = (struct desc) { MEM_GPA + DATA_OFF, len, (uint16_t) (1 | (type == 0 ? 2 : 0)), 2 };
	d[2] = (struct desc) { MEM_GPA + STATUS_OFF, 1, 2, 0 };
	avail[2 + slot % QSIZE] = 0;
	__atomic_store_n(&avail[1], (uint16_t) (slot + 1), __ATOMIC_RELEASE);
}

static gboolean
wait_call(int call_fd, int timeout_ms)
{
	struct pollfd p = { call_fd, POLLIN, 0 };
	uint64_t v;

	if (poll(&p, 1, timeout_ms) != 1)
		return FALSE;
	return read(call_fd, &v, sizeof(v)) == sizeof(v);
}

/* The whole start-up QEMU does, then real requests through the ring: the
 * back-end must translate the ring addresses from the front-end's address
 * space to guest-physical ones and read and write the right bytes. */
static void
test_ring_io(Fixture *f, gconstpointer data)
{
	int mem_fd = make_memfd(MEM_SIZE);
	int kick = eventfd(0, EFD_CLOEXEC), call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint8_t *ram = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mem_fd, 0);
	MemTable t = { 1, 0, { { MEM_GPA, MEM_SIZE, MEM_UADDR, 0 } } };
	struct { uint32_t index, num; } state;
	struct { uint32_t index, flags; uint64_t desc, used, avail, log; } __attribute__((packed)) addr = {
		0, 0, MEM_UADDR + DESC_OFF, MEM_UADDR + USED_OFF, MEM_UADDR + AVAIL_OFF, 0 };
	g_autofree char *disk = NULL;
	uint64_t features, one = 1, zero_idx = 0;
	volatile uint16_t *used_idx = (uint16_t *) (ram + USED_OFF + 2);
	gsize disk_len;
	Msg m;

	g_assert_true(ram != MAP_FAILED);
	handshake(f->sock);
	features = F_VERSION_1 | F_PROTOCOL_FEATURES | BLK_F_FLUSH;
	g_assert_cmpuint(acked(f->sock, SET_FEATURES, &features, 8, NULL, 0), ==, 0);
	g_assert_cmpuint(acked(f->sock, SET_MEM_TABLE, &t, 8 + 32, &mem_fd, 1), ==, 0);
	state.index = 0;
	state.num = QSIZE;
	g_assert_cmpuint(acked(f->sock, SET_VRING_NUM, &state, 8, NULL, 0), ==, 0);
	state.num = 0;
	g_assert_cmpuint(acked(f->sock, SET_VRING_BASE, &state, 8, NULL, 0), ==, 0);
	g_assert_cmpuint(acked(f->sock, SET_VRING_ADDR, &addr, sizeof(addr), NULL, 0), ==, 0);
	g_assert_cmpuint(acked(f->sock, SET_VRING_KICK, &zero_idx, 8, &kick, 1), ==, 0);
	g_assert_cmpuint(acked(f->sock, SET_VRING_CALL, &zero_idx, 8, &call, 1), ==, 0);

	/* Read sectors 3 and 4.  With VHOST_USER_F_PROTOCOL_FEATURES the ring
	 * starts disabled (spec, "Ring states"): the request waits until
	 * SET_VRING_ENABLE, then is served without another kick. */
	g_assert_true(g_file_get_contents(f->image, &disk, &disk_len, NULL));
	queue_request(ram, 0, 0 /* VIRTIO_BLK_T_IN */, 3, 1024);
	g_assert_cmpint(write(kick, &one, 8), ==, 8);
	g_assert_false(wait_call(call, 300));
	g_assert_cmpuint(*used_idx, ==, 0);
	state.num = 1;
	g_assert_cmpuint(acked(f->sock, SET_VRING_ENABLE, &state, 8, NULL, 0), ==, 0);
	g_assert_true(wait_call(call, 5000));
	g_assert_cmpuint(*used_idx, ==, 1);
	g_assert_cmpuint(ram[STATUS_OFF], ==, 0);
	g_assert_cmpmem(ram + DATA_OFF, 1024, disk + 3 * 512, 1024);

	/* Write sector 10, then flush. */
	memset(ram + DATA_OFF, 0x5a, 512);
	queue_request(ram, 1, 1 /* VIRTIO_BLK_T_OUT */, 10, 512);
	g_assert_cmpint(write(kick, &one, 8), ==, 8);
	g_assert_true(wait_call(call, 5000));
	g_assert_cmpuint(*used_idx, ==, 2);
	g_assert_cmpuint(ram[STATUS_OFF], ==, 0);
	queue_request(ram, 2, 4 /* VIRTIO_BLK_T_FLUSH */, 0, 0);
	{
		struct desc *d = (struct desc *) (ram + DESC_OFF);

		d[0].next = 2;   /* header → status, no data */
	}
	g_assert_cmpint(write(kick, &one, 8), ==, 8);
	g_assert_true(wait_call(call, 5000));
	g_assert_cmpuint(*used_idx, ==, 3);
	g_assert_cmpuint(ram[STATUS_OFF], ==, 0);
	g_clear_pointer(&disk, g_free);
	g_assert_true(g_file_get_contents(f->image, &disk, &disk_len, NULL));
	for (int i = 0; i < 512; i++)
		g_assert_cmpuint((uint8_t) disk[10 * 512 + i], ==, 0x5a);

	/* GET_VRING_BASE stops the ring and says where it stopped. */
	state.num = 0;
	send_msg(f->sock, GET_VRING_BASE, 0, &state, 8, NULL, 0);
	g_assert_true(recv_msg(f->sock, &m));
	g_assert_cmpuint(m.request, ==, GET_VRING_BASE);
	memcpy(&state, m.payload, 8);
	g_assert_cmpuint(state.num, ==, 3);
	/* …and a stopped ring is left alone. */
	queue_request(ram, 3, 0, 0, 512);
	g_assert_cmpint(write(kick, &one, 8), ==, 8);
	g_assert_false(wait_call(call, 300));
	g_assert_cmpuint(*used_idx, ==, 3);

	/* Restart with the avail ring outside every region: the back-end
	 * refuses to run the ring rather than follow the address. */
	addr.avail = MEM_UADDR + MEM_SIZE + 0x1000;
	g_assert_cmpuint(acked(f->sock, SET_VRING_ADDR, &addr, sizeof(addr), NULL, 0), ==, 0);
	state.num = 3;
	g_assert_cmpuint(acked(f->sock, SET_VRING_BASE, &state, 8, NULL, 0), ==, 0);
	g_assert_cmpuint(acked(f->sock, SET_VRING_KICK, &zero_idx, 8, &kick, 1), ==, 0);
	g_assert_true(backend_said(f, "not in any memory region"));
	g_assert_false(wait_call(call, 300));
	g_assert_cmpuint(*used_idx, ==, 3);

	/* Disconnect: the back-end resets the device and unmaps our memory,
	 * then serves the next front-end. */
	close(f->sock);
	g_assert_true(backend_said(f, "front-end disconnected"));
	f->sock = connect_to(f->backend->socket_path);
	g_assert_cmpuint(get_u64(f->sock, GET_QUEUE_NUM), ==, 1);

	munmap(ram, MEM_SIZE);
	close(mem_fd);
	close(kick);
	close(call);
}

/* ---- vhost-user-net, two queue pairs ------------------------------------ */

/* Asks the back-end for its counters (SIGUSR1) and returns the block it
 * printed: the `n`-th, counted over the whole run. */
static char *
net_stats(GSubprocess *proc, const char *err_path, unsigned int n)
{
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

	g_subprocess_send_signal(proc, SIGUSR1);
	do {
		g_autofree char *err = NULL;
		const char *p, *last = NULL;
		unsigned int count = 0;

		g_file_get_contents(err_path, &err, NULL, NULL);
		/* The queue lines follow the device's line; queue 4 (the
		 * control queue) ends a block. */
		for (p = err; p && (p = strstr(p, "virtio-net queue 4:")) != NULL; p++)
			count++;
		if (count >= n) {
			for (p = err; (p = strstr(p, "vhost-user: stats virtio-net:")) != NULL; p++)
				last = p;
			return g_strdup(last);
		}
		g_usleep(20000);
	} while (g_get_monotonic_time() < end);
	g_assert_not_reached();
}

/* "running=yes" on queue `q`'s line of a stats block? */
static gboolean
ring_running(const char *stats, unsigned int q)
{
	g_autofree char *head = g_strdup_printf("virtio-net queue %u:", q);
	const char *line = strstr(stats, head);
	g_autofree char *text = NULL;

	g_assert_nonnull(line);
	text = g_strndup(line, strcspn(line, "\n"));
	return strstr(text, " running=yes") != NULL;
}

/* `glassbox-vmm vhost-user-net --net tap=…,queues=2` in a network
 * namespace of its own (unshare -n: the multi_queue tap dies with it).
 * GET_QUEUE_NUM answers the pair count, as QEMU's vhost-user-net compares
 * it with its queues=; every ring starts disabled; the device's pairs in
 * use follow the rings the front-end enables. */
static void
test_net_mq(void)
{
	g_autofree char *dir = NULL, *sock_path = NULL, *err_path = NULL, *vmm = vhost_test_vmm_binary();
	g_autofree char *cmd = NULL, *err = NULL, *stats = NULL;
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GError) error = NULL;
	int mem_fd, kicks[4], calls[4], sock;
	MemTable t = { 1, 0, { { MEM_GPA, MEM_SIZE, MEM_UADDR, 0 } } };
	uint64_t features;
	unsigned int blocks = 0;

	if (getuid() != 0 || !gb_test_have_program("unshare") || !gb_test_have_program("ip") ||
	    access("/dev/net/tun", R_OK | W_OK) != 0) {
		g_test_skip("needs root, unshare, ip (iproute2) and /dev/net/tun for a multi_queue tap in a "
		            "network namespace");
		return;
	}
	dir = gb_test_tmpdir_new("gb-vhost-mq-XXXXXX");
	sock_path = g_build_filename(dir, "net.sock", NULL);
	err_path = g_build_filename(dir, "backend.err", NULL);
	cmd = g_strdup_printf("ip tuntap add gbmqp mode tap multi_queue && exec '%s' vhost-user-net "
	                      "--socket '%s' --net tap=gbmqp,queues=2", vmm, sock_path);
	launcher = vhost_test_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
	g_subprocess_launcher_set_stderr_file_path(launcher, err_path);
	proc = g_subprocess_launcher_spawn(launcher, &error, "unshare", "-n", "sh", "-c", cmd, NULL);
	g_assert_no_error(error);
	if (!vhost_test_wait_listening(proc, err_path, &err))
		g_error("vhost-user-net did not start: %s", err);
	sock = connect_to(sock_path);

	handshake(sock);
	g_assert_cmpuint(get_u64(sock, GET_QUEUE_NUM), ==, 2);
	features = get_u64(sock, GET_FEATURES);
	g_assert_cmpuint(features & NET_F_MQ, !=, 0);
	features = F_VERSION_1 | F_PROTOCOL_FEATURES | NET_F_MQ;
	g_assert_cmpuint(acked(sock, SET_FEATURES, &features, 8, NULL, 0), ==, 0);
	mem_fd = make_memfd(MEM_SIZE);
	g_assert_cmpuint(acked(sock, SET_MEM_TABLE, &t, 8 + 32, &mem_fd, 1), ==, 0);
	/* Rings 0-3 (rx0, tx0, rx1, tx1), each in its own 32 KiB of "RAM",
	 * told everything but SET_VRING_ENABLE, as QEMU does for a pair the
	 * driver does not use yet. */
	for (uint32_t i = 0; i < 4; i++) {
		struct { uint32_t index, num; } state = { i, QSIZE };
		uint64_t base = MEM_UADDR + i * 0x8000;
		struct { uint32_t index, flags; uint64_t desc, used, avail, log; } __attribute__((packed)) addr = {
			i, 0, base + DESC_OFF, base + USED_OFF, base + AVAIL_OFF, 0 };
		uint64_t index = i;

		kicks[i] = eventfd(0, EFD_CLOEXEC);
		calls[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		g_assert_cmpuint(acked(sock, SET_VRING_NUM, &state, 8, NULL, 0), ==, 0);
		state.num = 0;
		g_assert_cmpuint(acked(sock, SET_VRING_BASE, &state, 8, NULL, 0), ==, 0);
		g_assert_cmpuint(acked(sock, SET_VRING_ADDR, &addr, sizeof(addr), NULL, 0), ==, 0);
		g_assert_cmpuint(acked(sock, SET_VRING_KICK, &index, 8, &kicks[i], 1), ==, 0);
		g_assert_cmpuint(acked(sock, SET_VRING_CALL, &index, 8, &calls[i], 1), ==, 0);
	}
	stats = net_stats(proc, err_path, ++blocks);
	for (unsigned int q = 0; q < 4; q++)
		g_assert_false(ring_running(stats, q));
	g_assert_nonnull(strstr(stats, " queue-pairs=2 active-pairs=1"));   /* as after reset */

	/* The first pair, as QEMU enables it when the driver sets features. */
	for (uint32_t i = 0; i < 4; i++) {
		struct { uint32_t index, num; } state = { i, i < 2 };

		g_assert_cmpuint(acked(sock, SET_VRING_ENABLE, &state, 8, NULL, 0), ==, 0);
	}
	g_clear_pointer(&stats, g_free);
	stats = net_stats(proc, err_path, ++blocks);
	g_assert_true(ring_running(stats, 0) && ring_running(stats, 1));
	g_assert_false(ring_running(stats, 2) || ring_running(stats, 3));
	g_assert_nonnull(strstr(stats, " active-pairs=1"));

	/* The driver asked QEMU for two pairs: the second pair's rings. */
	for (uint32_t i = 2; i < 4; i++) {
		struct { uint32_t index, num; } state = { i, 1 };

		g_assert_cmpuint(acked(sock, SET_VRING_ENABLE, &state, 8, NULL, 0), ==, 0);
	}
	g_clear_pointer(&stats, g_free);
	stats = net_stats(proc, err_path, ++blocks);
	for (unsigned int q = 0; q < 4; q++)
		g_assert_true(ring_running(stats, q));
	g_assert_nonnull(strstr(stats, " active-pairs=2"));

	/* Back to one pair (ethtool -L combined 1): its transmit ring first. */
	{
		struct { uint32_t index, num; } state = { 3, 0 };

		g_assert_cmpuint(acked(sock, SET_VRING_ENABLE, &state, 8, NULL, 0), ==, 0);
	}
	g_clear_pointer(&stats, g_free);
	stats = net_stats(proc, err_path, ++blocks);
	g_assert_false(ring_running(stats, 3));
	g_assert_nonnull(strstr(stats, " active-pairs=1"));

	/* A disconnect forgets the enables: one pair again, as after reset. */
	close(sock);
	g_assert_true(file_wait_for(err_path, "front-end disconnected", 5000));
	g_clear_pointer(&stats, g_free);
	stats = net_stats(proc, err_path, ++blocks);
	g_assert_nonnull(strstr(stats, " active-pairs=1"));
	for (unsigned int q = 0; q < 4; q++)
		g_assert_false(ring_running(stats, q));

	g_subprocess_send_signal(proc, SIGTERM);
	g_assert_true(proc_wait(proc, 60000));
	g_assert_true(g_subprocess_get_if_exited(proc));
	g_assert_cmpint(g_subprocess_get_exit_status(proc), ==, 0);
	for (unsigned int i = 0; i < 4; i++) {
		close(kicks[i]);
		close(calls[i]);
	}
	close(mem_fd);
	gb_test_tmpdir_remove(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/vhost-user/protocol/negotiation", Fixture, NULL, fixture_set_up, test_negotiation, fixture_tear_down);
	g_test_add("/vhost-user/protocol/unknown-request", Fixture, NULL, fixture_set_up, test_unknown_request, fixture_tear_down);
	g_test_add("/vhost-user/protocol/bad-memory-table", Fixture, NULL, fixture_set_up, test_bad_memory_table, fixture_tear_down);
	g_test_add("/vhost-user/protocol/ring-io", Fixture, NULL, fixture_set_up, test_ring_io, fixture_tear_down);
	g_test_add_func("/vhost-user/protocol/net-multiqueue", test_net_mq);
	return g_test_run();
}
