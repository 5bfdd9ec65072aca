/* bench-net-rx.c — our virtio-net receive path alone, on this host: frames
 * from a real tap into a simulated guest's receive ring, the frame copied
 * twice (read into the tap backend's buffer, then into the guest's
 * buffers: net_receive) or once (read straight into the guest's buffers:
 * net_receive_direct), in one run.
 *
 * In a network namespace this program makes (unshare), a tap with a
 * 65000-byte MTU; a sender thread writes 60000-byte UDP datagrams to a
 * neighbour behind it, each one frame, never more than 8 ahead of the
 * receiver (a full tap would drop).  The receiving thread runs the tap
 * backend's GLib source and plays the driver: it posts 256 receive
 * buffers of 4 KiB (MRG_RXBUF, as Linux posts them) and gives each back
 * once the device used it.  Measured: that thread's CPU time per GiB
 * received (CLOCK_THREAD_CPUTIME_ID: what the VMM's I/O thread would pay,
 * the driver's few stores included) and the wall-clock rate.  The two
 * modes alternate, RUNS rounds (GB_BENCH_RUNS, 5); medians with min–max.
 *
 * No guest, no KVM: what it shows is the device's and backend's own cost
 * per byte, which the nested-KVM bed (bench/nested) cannot separate.
 * Needs root (a network namespace and a tap); else it says SKIP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "device.h"
#include "queue.h"

#define RAM_SIZE  (4u << 20)
#define QSIZE     256
#define DESC      0x1000
#define AVAIL     0x2000
#define USED      0x3000
#define BUFS      0x100000
#define BUF_LEN   4096
#define DGRAM     60000
#define AHEAD     8     /* 8 frames of 15 buffers: the ring (256) never runs dry */
#define TOTAL_MIB 512

#define F_MRG_RXBUF 15

typedef struct {
	uint8_t *ram;
	struct guest_mem mem;
	struct virtio_device *dev;
	uint16_t avail_idx, used_seen;
	uint64_t frames, bytes;   /* received (the guest's view) */
	gint sent;                /* datagrams the sender wrote (atomic) */
	gint stop;
} Bench;

static void *
gpa(Bench *b, uint64_t a)
{
	return b->ram + a;
}

static void
post(Bench *b, uint16_t i)
{
	struct virtq_desc d = { BUFS + (uint64_t) i * BUF_LEN, BUF_LEN, VIRTQ_DESC_F_WRITE, 0 };
	struct virtq_avail *a = gpa(b, AVAIL);

	memcpy(gpa(b, DESC + 16 * i), &d, sizeof(d));
	a->ring[b->avail_idx % QSIZE] = i;
	__atomic_store_n(&a->idx, ++b->avail_idx, __ATOMIC_RELEASE);
}

/* The driver's half: count what the device used, post those buffers
 * again (Linux reads the header's num_buffers; the used lengths add up
 * to the same). */
static void
recycle(Bench *b)
{
	struct virtq_used *u = gpa(b, USED);
	uint16_t idx = __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE);
	/* Kick only when the device had taken every buffer posted: that is
	 * when Linux's driver would (EVENT_IDX, avail_event). */
	bool dry = b->dev->vqs[0].last_avail == b->avail_idx, any = false;

	while (b->used_seen != idx) {
		struct virtq_used_elem e = u->ring[b->used_seen % QSIZE];
		uint16_t num_buffers;

		if (e.len >= NET_VNET_HDR_LEN) {
			memcpy(&num_buffers, gpa(b, BUFS + (uint64_t) e.id * BUF_LEN + 10), 2);
			if (num_buffers >= 1)   /* a frame's first buffer */
				__atomic_store_n(&b->frames, b->frames + 1, __ATOMIC_RELAXED);
		}
		b->bytes += e.len;
		post(b, e.id);
		b->used_seen++;
		any = true;
	}
	if (any && dry)
		virtio_device_kick(b->dev, 0);
}

static gpointer
sender(gpointer data)
{
	Bench *b = data;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	g_autofree uint8_t *payload = g_malloc0(DGRAM);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, "10.9.0.2", &to.sin_addr);
	while (!g_atomic_int_get(&b->stop)) {
		/* Never more than AHEAD frames in the tap: it would drop. */
		if ((uint64_t) g_atomic_int_get(&b->sent) >= __atomic_load_n(&b->frames, __ATOMIC_RELAXED) + AHEAD) {
			usleep(20);
			continue;
		}
		if (sendto(s, payload, DGRAM, 0, (struct sockaddr *) &to, sizeof(to)) == DGRAM)
			g_atomic_int_inc(&b->sent);
	}
	close(s);
	return NULL;
}

static double
thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One round: TOTAL_MIB MiB through a fresh device and tap backend; CPU
 * s/GiB and MiB/s. */
static bool
round_once(bool direct, double *cpu_per_gib, double *mib_s, char **why)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	GMainContext *ctx = g_main_context_new();
	Bench b = { 0 };
	struct net_backend *be;
	struct virtq *vq;
	GThread *t;
	GError *error = NULL;
	double c0, w0;
	uint64_t target = (uint64_t) TOTAL_MIB << 20;

	be = net_tap_open("gbrx0", &error);
	if (be == NULL || !net_backend_start(be, ctx, &error)) {
		*why = g_strdup(error->message);
		g_error_free(error);
		net_backend_free(be);
		g_main_context_unref(ctx);
		return false;
	}
	b.ram = g_malloc0(RAM_SIZE);
	g_assert_true(guest_mem_add_region(&b.mem, 0, RAM_SIZE, b.ram));
	b.dev = virtio_net_new(be, mac);
	if (!direct)
		be->client.receive_direct = NULL;   /* every frame through the backend's buffer */
	b.dev->mem = &b.mem;
	/* What Linux takes: mergeable buffers and the offloads. */
	b.dev->driver_features = b.dev->features;
	g_assert_true(b.dev->driver_features & (1ull << F_MRG_RXBUF));
	vq = &b.dev->vqs[0];
	vq->size = QSIZE;
	vq->desc_gpa = DESC;
	vq->avail_gpa = AVAIL;
	vq->used_gpa = USED;
	g_assert_true(virtq_map(vq, &b.mem));
	vq->enabled = true;
	for (uint16_t i = 0; i < QSIZE; i++)
		post(&b, i);
	virtio_device_start(b.dev);

	t = g_thread_new("sender", sender, &b);
	c0 = thread_cpu_s();
	w0 = g_get_monotonic_time() / 1e6;
	while (b.bytes < target) {
		g_main_context_iteration(ctx, TRUE);
		recycle(&b);
	}
	*cpu_per_gib = (thread_cpu_s() - c0) / (b.bytes / 1073741824.0);
	*mib_s = b.bytes / 1048576.0 / (g_get_monotonic_time() / 1e6 - w0);
	g_atomic_int_set(&b.stop, 1);
	g_thread_join(t);
	virtio_device_destroy(b.dev);   /* and the backend: its source, its fd */
	g_main_context_unref(ctx);
	g_free(b.ram);
	return true;
}

static int
cmp_double(gconstpointer a, gconstpointer b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return x < y ? -1 : x > y;
}

/* Sorts `a`: read its minimum and maximum afterwards. */
static double
median(GArray *a)
{
	g_array_sort(a, cmp_double);
	if (a->len % 2)
		return g_array_index(a, double, a->len / 2);
	return (g_array_index(a, double, a->len / 2 - 1) + g_array_index(a, double, a->len / 2)) / 2;
}

static void
print_cell(const char *what, GArray *a)
{
	double m = median(a);   /* sorts */

	printf(" %s %.3f (%.3f-%.3f)", what, m, g_array_index(a, double, 0), g_array_index(a, double, a->len - 1));
}

int
main(void)
{
	int runs = g_getenv("GB_BENCH_RUNS") ? atoi(g_getenv("GB_BENCH_RUNS")) : 5;
	static const char *const names[2] = { "two copies (net_receive)", "one copy (net_receive_direct)" };
	struct ifreq ifr = { 0 };
	GArray *cpu[2], *rate[2];
	g_autofree char *why = NULL;
	int fd;

	if (unshare(CLONE_NEWNET) < 0) {
		printf("SKIP: a network namespace of its own (unshare: %s; needs root)\n", g_strerror(errno));
		return 0;
	}
	/* A persistent tap, so that each round can open it afresh; it goes
	 * with the namespace when this program ends. */
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	g_strlcpy(ifr.ifr_name, "gbrx0", IFNAMSIZ);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0) {
		printf("SKIP: a tap (/dev/net/tun: %s)\n", g_strerror(errno));
		return 0;
	}
	close(fd);
	/* One frame per datagram (MTU), a neighbour that needs no ARP. */
	if (system("ip link set gbrx0 mtu 65000 up && ip addr add 10.9.0.1/24 dev gbrx0 && "
	           "ip neigh add 10.9.0.2 lladdr 52:54:00:12:34:56 dev gbrx0") != 0) {
		printf("SKIP: ip (iproute2) could not set up the tap\n");
		return 0;
	}
	for (int m = 0; m < 2; m++) {
		cpu[m] = g_array_new(FALSE, FALSE, sizeof(double));
		rate[m] = g_array_new(FALSE, FALSE, sizeof(double));
	}
	for (int r = 0; r < runs; r++) {
		for (int m = 0; m < 2; m++) {
			double c, w;

			if (!round_once(m == 1, &c, &w, &why)) {
				printf("SKIP: %s\n", why);
				return 0;
			}
			printf("round %d %-30s %.3f CPU s/GiB %.0f MiB/s\n", r + 1, names[m], c, w);
			g_array_append_val(cpu[m], c);
			g_array_append_val(rate[m], w);
		}
	}
	printf("our virtio-net receive path on this host (tap -> simulated guest ring, %d-byte UDP frames, "
	       "MRG_RXBUF 4 KiB buffers, %d MiB a round, %d rounds), receiving thread:\n", DGRAM, TOTAL_MIB, runs);
	for (int m = 0; m < 2; m++) {
		printf("  %-30s", names[m]);
		print_cell("CPU s/GiB", cpu[m]);
		print_cell("MiB/s", rate[m]);
		printf("\n");
	}
	printf("  one copy / two copies: CPU %.2f, MiB/s %.2f\n", median(cpu[1]) / median(cpu[0]),
	       median(rate[1]) / median(rate[0]));
	for (int m = 0; m < 2; m++) {
		g_array_unref(cpu[m]);
		g_array_unref(rate[m]);
	}
	return 0;
}
