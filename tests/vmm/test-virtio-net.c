/* test-virtio-net.c — virtio-net (hypervisor/virtio/net.c) against
 * simulated guest memory and a fake backend: what the tiny guests cannot
 * reach — a frame spread over several receive buffers (MRG_RXBUF,
 * virtio 1.2 §5.1.6.4), a frame waiting for buffers, a buffer too small
 * without MRG_RXBUF, a tap's frame read straight into the guest's buffers,
 * headers passed through to a vnet-header backend, the link going down,
 * and two queue pairs following vhost-user ring enables. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "backend.h"
#include "device.h"
#include "queue.h"

#define RAM_SIZE (1u << 20)
#define QSIZE 8
#define RX_DESC 0x1000
#define RX_AVAIL 0x2000
#define RX_USED 0x3000
#define TX_DESC 0x4000
#define TX_AVAIL 0x5000
#define TX_USED 0x6000
#define BUFS 0x10000

#define F_CSUM 0
#define F_HOST_TSO4 11
#define F_MRG_RXBUF 15
#define F_MQ 22

struct hdr {
	uint8_t flags, gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset, num_buffers;
} __attribute__((packed));

/* ---- a backend that records ------------------------------------------- */

typedef struct {
	struct net_backend be;
	GPtrArray *sent;          /* GBytes */
	unsigned int rx_ready_calls;
	unsigned int offloads;
	bool detached;            /* multiqueue: out of the tap's queue set */
} FakeBackend;

static bool
fake_start(struct net_backend *be, GMainContext *c, GError **e)
{
	return true;
}

static bool
fake_send(struct net_backend *be, const struct iovec *iov, unsigned int n)
{
	FakeBackend *f = (FakeBackend *) be;
	GByteArray *a = g_byte_array_new();

	for (unsigned int i = 0; i < n; i++)
		g_byte_array_append(a, iov[i].iov_base, iov[i].iov_len);
	g_ptr_array_add(f->sent, g_byte_array_free_to_bytes(a));
	return true;
}

static void
fake_rx_ready(struct net_backend *be)
{
	((FakeBackend *) be)->rx_ready_calls++;
}

static bool
fake_set_offloads(struct net_backend *be, unsigned int offloads)
{
	((FakeBackend *) be)->offloads = offloads;
	return true;
}

static bool
fake_set_queue_enabled(struct net_backend *be, bool enabled)
{
	((FakeBackend *) be)->detached = !enabled;
	return true;
}

static void
fake_free(struct net_backend *be)
{
	/* The fixture owns it. */
}

static const struct net_backend_ops fake_ops = {
	.kind = "fake", .start = fake_start, .send = fake_send, .rx_ready = fake_rx_ready,
	.set_offloads = fake_set_offloads, .set_queue_enabled = fake_set_queue_enabled, .free = fake_free,
};

/* ---- fixture ------------------------------------------------------------ */

typedef struct {
	uint8_t *ram;
	struct guest_mem mem;
	FakeBackend *fb;
	FakeBackend *fb2;         /* the second pair's, or NULL */
	struct virtio_device *dev;
	uint16_t rx_avail, tx_avail;
	unsigned int config_changes;
} Fixture;

static void *
gpa(Fixture *f, uint64_t a)
{
	return f->ram + a;
}

static void
on_config_change(struct virtio_device *dev, void *data)
{
	((Fixture *) data)->config_changes++;
}

static void
setup_queue(Fixture *f, unsigned int q, uint64_t desc, uint64_t avail, uint64_t used)
{
	struct virtq *vq = &f->dev->vqs[q];

	vq->size = QSIZE;
	vq->desc_gpa = desc;
	vq->avail_gpa = avail;
	vq->used_gpa = used;
	g_assert_true(virtq_map(vq, &f->mem));
	vq->enabled = true;
}

/* Device with a backend that does (12) or does not (0) carry headers,
 * the driver accepting `features`. */
static void
start(Fixture *f, unsigned int hdr_len, uint64_t features)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };

	f->ram = g_malloc0(RAM_SIZE);
	g_assert_true(guest_mem_add_region(&f->mem, 0, RAM_SIZE, f->ram));
	f->fb = g_new0(FakeBackend, 1);
	net_backend_init(&f->fb->be, &fake_ops, "fake");
	f->fb->be.vnet_hdr_len = hdr_len;
	f->fb->sent = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
	f->dev = virtio_net_new(&f->fb->be, mac);
	f->dev->mem = &f->mem;
	f->dev->on_config_change = on_config_change;
	f->dev->on_config_change_data = f;
	g_assert_cmpuint(features & ~f->dev->features, ==, 0);   /* only what it offers */
	f->dev->driver_features = features;
	setup_queue(f, 0, RX_DESC, RX_AVAIL, RX_USED);
	setup_queue(f, 1, TX_DESC, TX_AVAIL, TX_USED);
	virtio_device_start(f->dev);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	FakeBackend *fb = f->fb;

	virtio_device_destroy(f->dev);   /* calls fake_free, frees the description */
	g_ptr_array_unref(fb->sent);
	g_free(fb);
	if (f->fb2) {
		g_ptr_array_unref(f->fb2->sent);
		g_free(f->fb2);
	}
	g_free(f->ram);
}

static void
put_desc(Fixture *f, uint64_t table, unsigned int i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	struct virtq_desc d = { addr, len, flags, next };

	memcpy(gpa(f, table + 16 * i), &d, sizeof(d));
}

static void
avail(Fixture *f, unsigned int q, uint16_t head)
{
	struct virtq_avail *a = gpa(f, q == 0 ? RX_AVAIL : TX_AVAIL);
	uint16_t *idx = q == 0 ? &f->rx_avail : &f->tx_avail;

	a->ring[*idx % QSIZE] = head;
	a->idx = ++*idx;
}

/* Receive buffer i: `len` device-writable bytes at BUFS + i * 4096. */
static void
post_rx(Fixture *f, unsigned int i, uint32_t len)
{
	put_desc(f, RX_DESC, i, BUFS + i * 4096, len, VIRTQ_DESC_F_WRITE, 0);
	avail(f, 0, i);
	virtio_device_kick(f->dev, 0);
}

static bool
deliver(Fixture *f, const uint8_t *frame, size_t len)
{
	struct iovec iov = { (void *) frame, len };

	return f->fb->be.client.receive(f->fb->be.client.opaque, &iov, 1);
}

static struct virtq_used *
rx_used(Fixture *f)
{
	return gpa(f, RX_USED);
}

/* ---- tests -------------------------------------------------------------- */

static void
test_config_and_link(Fixture *f, gconstpointer data)
{
	uint8_t cfg[8];

	start(f, 0, 0);
	virtio_device_read_config(f->dev, 0, cfg, 8);
	g_assert_cmpmem(cfg, 6, ((uint8_t[]) { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc }), 6);
	g_assert_cmpuint(cfg[6], ==, 1);                  /* VIRTIO_NET_S_LINK_UP */
	/* No offloads without a header-carrying backend. */
	g_assert_cmpuint(f->dev->features & (1ull << F_CSUM), ==, 0);
	g_assert_cmpuint(f->dev->features & (1ull << F_MRG_RXBUF), !=, 0);

	net_backend_set_link(&f->fb->be, false);
	virtio_device_read_config(f->dev, 0, cfg, 8);
	g_assert_cmpuint(cfg[6], ==, 0);
	g_assert_cmpuint(f->config_changes, ==, 1);
	net_backend_set_link(&f->fb->be, false);           /* no change, no interrupt */
	g_assert_cmpuint(f->config_changes, ==, 1);
}

/* A 2500-byte frame over three 1000-byte buffers: num_buffers 3 in the
 * first header, the bytes in order, used lengths 1000, 1000, 512. */
static void
test_rx_mergeable(Fixture *f, gconstpointer data)
{
	uint8_t frame[2500];
	struct hdr h;

	start(f, 0, 1ull << F_MRG_RXBUF);
	for (unsigned int i = 0; i < sizeof(frame); i++)
		frame[i] = i * 7;
	post_rx(f, 0, 1000);
	/* Only one buffer: the frame waits, nothing is used yet. */
	g_assert_false(deliver(f, frame, sizeof(frame)));
	g_assert_cmpuint(rx_used(f)->idx, ==, 0);
	post_rx(f, 1, 1000);
	post_rx(f, 2, 1000);
	g_assert_cmpuint(f->fb->rx_ready_calls, >=, 3);
	g_assert_true(deliver(f, frame, sizeof(frame)));

	g_assert_cmpuint(rx_used(f)->idx, ==, 3);
	g_assert_cmpuint(rx_used(f)->ring[0].id, ==, 0);
	g_assert_cmpuint(rx_used(f)->ring[0].len, ==, 1000);
	g_assert_cmpuint(rx_used(f)->ring[1].len, ==, 1000);
	g_assert_cmpuint(rx_used(f)->ring[2].len, ==, 12 + 2500 - 2000);
	memcpy(&h, gpa(f, BUFS), sizeof(h));
	g_assert_cmpuint(h.num_buffers, ==, 3);
	g_assert_cmpuint(h.gso_type, ==, 0);
	g_assert_cmpmem(gpa(f, BUFS + 12), 988, frame, 988);
	g_assert_cmpmem(gpa(f, BUFS + 4096), 1000, frame + 988, 1000);
	g_assert_cmpmem(gpa(f, BUFS + 8192), 512, frame + 1988, 512);
}

/* save-state while a frame waits for buffers: the two receive buffers the
 * device holds go into the file as still available (the live device goes
 * on as it was); a device loaded from it takes them again and, given a
 * third, puts the frame into all three in order — none lost, none used
 * twice. */
static void
test_save_holds_buffers(Fixture *f, gconstpointer data)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
	FakeBackend *fb2 = g_new0(FakeBackend, 1);
	struct virtio_device *dev2;
	uint8_t frame[2500];
	struct iovec iov = { frame, sizeof(frame) };
	g_autofree uint8_t *buf = NULL;
	size_t len;
	char why[256] = "";

	start(f, 0, 1ull << F_MRG_RXBUF);
	memset(frame, 0x5a, sizeof(frame));
	post_rx(f, 0, 1000);
	post_rx(f, 1, 1000);
	g_assert_false(deliver(f, frame, sizeof(frame)));
	g_assert_cmpuint(f->dev->vqs[0].last_avail, ==, 2);
	g_assert_true(virtio_device_can_save(f->dev, why, sizeof(why)));
	len = virtio_device_save_size(f->dev);
	buf = g_malloc0(len);
	pthread_mutex_lock(&f->dev->lock);
	virtio_device_save(f->dev, buf);
	pthread_mutex_unlock(&f->dev->lock);
	g_assert_cmpuint(f->dev->vqs[0].last_avail, ==, 2);

	net_backend_init(&fb2->be, &fake_ops, "fake");
	fb2->sent = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
	dev2 = virtio_net_new(&fb2->be, mac);
	dev2->mem = &f->mem;
	if (!virtio_device_load(dev2, buf, len, why, sizeof(why)))
		g_error("load: %s", why);
	g_assert_true(dev2->started);
	g_assert_cmpuint(dev2->vqs[0].last_avail, ==, 0);
	g_assert_false(virtio_device_config_differs(dev2, buf, len));

	put_desc(f, RX_DESC, 2, BUFS + 2 * 4096, 1000, VIRTQ_DESC_F_WRITE, 0);
	avail(f, 0, 2);
	virtio_device_kick(dev2, 0);
	g_assert_true(fb2->be.client.receive(fb2->be.client.opaque, &iov, 1));
	g_assert_cmpuint(rx_used(f)->idx, ==, 3);
	for (unsigned int i = 0; i < 3; i++)
		g_assert_cmpuint(rx_used(f)->ring[i].id, ==, i);
	g_assert_cmpuint(dev2->vqs[0].last_avail, ==, 3);

	virtio_device_destroy(dev2);
	g_ptr_array_unref(fb2->sent);
	g_free(fb2);
}

/* Without MRG_RXBUF a frame must fit one buffer (§5.1.6.3.1): a bigger one
 * is dropped and counted, the buffer stays for the next frame. */
static void
test_rx_too_big(Fixture *f, gconstpointer data)
{
	uint8_t big[200] = { 0 }, small[50];
	struct hdr h;

	start(f, 0, 0);
	memset(small, 0x5a, sizeof(small));
	post_rx(f, 0, 100);
	g_assert_true(deliver(f, big, sizeof(big)));        /* taken: dropped */
	g_assert_cmpuint(rx_used(f)->idx, ==, 0);
	g_assert_true(deliver(f, small, sizeof(small)));
	g_assert_cmpuint(rx_used(f)->idx, ==, 1);
	g_assert_cmpuint(rx_used(f)->ring[0].len, ==, 12 + 50);
	memcpy(&h, gpa(f, BUFS), sizeof(h));
	g_assert_cmpuint(h.num_buffers, ==, 1);
	g_assert_cmpmem(gpa(f, BUFS + 12), 50, small, 50);
}

/* ---- straight into the guest's buffers (client.receive_direct) ------- */

typedef struct {
	const uint8_t *data;   /* header + frame, as a tap hands it */
	size_t len;
	int err;               /* read fails with it when not 0 */
	unsigned int calls;
	size_t room;           /* what the device offered */
} FakeRead;

static ssize_t
fake_read(void *ctx, const struct iovec *iov, unsigned int n)
{
	FakeRead *r = ctx;

	r->calls++;
	r->room = 0;
	for (unsigned int i = 0; i < n; i++)
		r->room += iov[i].iov_len;
	if (r->err) {
		errno = r->err;
		return -1;
	}
	return iov_from_buf(iov, n, 0, r->data, r->len);
}

/* Receive chain i: `len` device-writable bytes at 0x20000 + i * 0x10000
 * (room for buffers larger than post_rx's). */
static void
post_rx_big(Fixture *f, unsigned int i, uint32_t len)
{
	put_desc(f, RX_DESC, i, 0x20000 + i * 0x10000, len, VIRTQ_DESC_F_WRITE, 0);
	avail(f, 0, i);
	virtio_device_kick(f->dev, 0);
}

static bool
deliver_direct(Fixture *f, FakeRead *r, ssize_t *result)
{
	return f->fb->be.client.receive_direct(f->fb->be.client.opaque, fake_read, r, result);
}

/* With MRG_RXBUF and room for the largest frame (12 + 64 KiB), the
 * backend's read writes into the guest's buffers: a frame takes the chains
 * it fills, num_buffers says how many (§5.1.6.4), and the chains it did not
 * need take the next frame.  Less room: no read (the backend falls back to
 * receive).  A failed read or a header the driver did not negotiate uses
 * nothing. */
static void
test_rx_direct(Fixture *f, gconstpointer data)
{
	g_autofree uint8_t *buf = g_malloc(12 + 50000);
	FakeRead r = { buf, 12 + 50000 };
	ssize_t result = 0;
	struct hdr h = { 0 };

	start(f, 12, 1ull << F_MRG_RXBUF);
	for (unsigned int i = 0; i < 50000; i++)
		buf[12 + i] = i * 13;
	memcpy(buf, &h, sizeof(h));

	post_rx_big(f, 0, 40000);
	g_assert_false(deliver_direct(f, &r, &result));   /* 40000 < 12 + 65536 */
	g_assert_cmpuint(r.calls, ==, 0);
	post_rx_big(f, 1, 40000);
	post_rx_big(f, 2, 40000);

	/* A read that finds nothing (EAGAIN) uses nothing. */
	r.err = EAGAIN;
	g_assert_true(deliver_direct(f, &r, &result));
	g_assert_cmpint(result, ==, -1);
	g_assert_cmpint(errno, ==, EAGAIN);
	g_assert_cmpuint(r.room, ==, 12 + 65536);
	g_assert_cmpuint(rx_used(f)->idx, ==, 0);
	r.err = 0;

	/* 50012 bytes: all of chain 0, 10012 of chain 1. */
	g_assert_true(deliver_direct(f, &r, &result));
	g_assert_cmpint(result, ==, 12 + 50000);
	g_assert_cmpuint(rx_used(f)->idx, ==, 2);
	g_assert_cmpuint(rx_used(f)->ring[0].id, ==, 0);
	g_assert_cmpuint(rx_used(f)->ring[0].len, ==, 40000);
	g_assert_cmpuint(rx_used(f)->ring[1].id, ==, 1);
	g_assert_cmpuint(rx_used(f)->ring[1].len, ==, 12 + 50000 - 40000);
	memcpy(&h, gpa(f, 0x20000), sizeof(h));
	g_assert_cmpuint(h.num_buffers, ==, 2);
	g_assert_cmpmem(gpa(f, 0x20000 + 12), 40000 - 12, buf + 12, 40000 - 12);
	g_assert_cmpmem(gpa(f, 0x30000), 10012, buf + 40000, 10012);

	/* Segmentation the driver did not accept: dropped, chain 2 kept. */
	post_rx_big(f, 3, 40000);
	h = (struct hdr) { .gso_type = 1, .gso_size = 1448 };   /* TCPv4 */
	memcpy(buf, &h, sizeof(h));
	r.len = 12 + 100;
	g_assert_true(deliver_direct(f, &r, &result));
	g_assert_cmpuint(rx_used(f)->idx, ==, 2);

	/* The next frame goes into chain 2, the one the dropped frame had. */
	h = (struct hdr) { 0 };
	memcpy(buf, &h, sizeof(h));
	g_assert_true(deliver_direct(f, &r, &result));
	g_assert_cmpint(result, ==, 12 + 100);
	g_assert_cmpuint(rx_used(f)->idx, ==, 3);
	g_assert_cmpuint(rx_used(f)->ring[2].id, ==, 2);
	g_assert_cmpuint(rx_used(f)->ring[2].len, ==, 12 + 100);
	memcpy(&h, gpa(f, 0x40000), sizeof(h));
	g_assert_cmpuint(h.num_buffers, ==, 1);
	g_assert_cmpuint(h.gso_type, ==, 0);
	g_assert_cmpmem(gpa(f, 0x40000 + 12), 100, buf + 12, 100);
}

/* A backend without headers (libslirp, passt) never reads direct. */
static void
test_rx_direct_no_header(Fixture *f, gconstpointer data)
{
	uint8_t frame[100] = { 0 };
	FakeRead r = { frame, sizeof(frame) };
	ssize_t result;

	start(f, 0, 1ull << F_MRG_RXBUF);
	post_rx_big(f, 0, 0xf000);
	post_rx_big(f, 1, 0xf000);
	g_assert_false(deliver_direct(f, &r, &result));
	g_assert_cmpuint(r.calls, ==, 0);
}

/* A frame from the guest with its header split over two descriptors
 * reaches a header-carrying backend whole; bad ones never do. */
static void
test_tx(Fixture *f, gconstpointer data)
{
	struct hdr h = { 0 };
	uint8_t frame[60];
	GBytes *b;
	gsize len;
	const uint8_t *p;

	start(f, 12, (1ull << F_CSUM) | (1ull << F_HOST_TSO4));
	g_assert_cmpuint(f->fb->offloads, ==, 0);   /* no GUEST_* accepted: nothing offloaded to us */
	for (unsigned int i = 0; i < sizeof(frame); i++)
		frame[i] = i;
	h.flags = 1;            /* NEEDS_CSUM, negotiated */
	h.csum_start = 34;
	h.csum_offset = 16;
	memcpy(gpa(f, 0x20000), &h, 6);
	memcpy(gpa(f, 0x20100), (uint8_t *) &h + 6, 6);
	memcpy(gpa(f, 0x20100 + 6), frame, sizeof(frame));
	put_desc(f, TX_DESC, 0, 0x20000, 6, VIRTQ_DESC_F_NEXT, 1);
	put_desc(f, TX_DESC, 1, 0x20100, 6 + sizeof(frame), 0, 0);
	avail(f, 1, 0);

	/* A runt (header + 10 bytes), then a checksum outside the frame. */
	memset(gpa(f, 0x21000), 0, 12 + 10);
	put_desc(f, TX_DESC, 2, 0x21000, 12 + 10, 0, 0);
	avail(f, 1, 2);
	h.csum_start = 50;
	memcpy(gpa(f, 0x22000), &h, 12);
	memcpy(gpa(f, 0x22000 + 12), frame, sizeof(frame));
	put_desc(f, TX_DESC, 3, 0x22000, 12 + sizeof(frame), 0, 0);
	avail(f, 1, 3);
	virtio_device_kick(f->dev, 1);

	g_assert_cmpuint(f->fb->sent->len, ==, 1);
	b = g_ptr_array_index(f->fb->sent, 0);
	p = g_bytes_get_data(b, &len);
	g_assert_cmpuint(len, ==, 12 + sizeof(frame));
	g_assert_cmpuint(p[0], ==, 1);
	g_assert_cmpmem(p + 12, sizeof(frame), frame, sizeof(frame));
	g_assert_cmpuint(((struct virtq_used *) gpa(f, TX_USED))->idx, ==, 3);   /* all three returned */
	g_assert_false(f->dev->broken);
}

/* A frame in more pieces than one writev takes goes out as one linear copy:
 * an indirect table of 70 descriptors (header + 69 two-byte pieces). */
static void
test_tx_many_pieces(Fixture *f, gconstpointer data)
{
	const uint64_t table = 0x30000, bufs = 0x40000;
	struct hdr h = { 0 };
	GBytes *b;
	gsize len;
	const uint8_t *p;

	start(f, 12, 0);
	f->dev->vqs[1].indirect = true;
	memcpy(gpa(f, bufs), &h, sizeof(h));
	put_desc(f, table, 0, bufs, 12, VIRTQ_DESC_F_NEXT, 1);
	for (unsigned int i = 1; i < 70; i++) {
		uint8_t piece[2] = { i, i };

		memcpy(gpa(f, bufs + 0x100 + 16 * i), piece, 2);
		put_desc(f, table, i, bufs + 0x100 + 16 * i, 2, i < 69 ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	}
	put_desc(f, TX_DESC, 0, table, 70 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	avail(f, 1, 0);
	virtio_device_kick(f->dev, 1);

	g_assert_false(f->dev->broken);
	g_assert_cmpuint(f->fb->sent->len, ==, 1);
	b = g_ptr_array_index(f->fb->sent, 0);
	p = g_bytes_get_data(b, &len);
	g_assert_cmpuint(len, ==, 12 + 138);
	for (unsigned int i = 1; i < 70; i++) {
		g_assert_cmpuint(p[12 + 2 * (i - 1)], ==, i);
		g_assert_cmpuint(p[12 + 2 * (i - 1) + 1], ==, i);
	}
}

static void
test_not_started(Fixture *f, gconstpointer data)
{
	uint8_t frame[64] = { 0 };

	start(f, 0, 0);
	virtio_device_reset(f->dev);
	g_assert_false(deliver(f, frame, sizeof(frame)));   /* held until the driver is back */
}

/* Two pairs behind vhost-user: QEMU keeps the control queue (no CTRL_VQ
 * reaches us) and enables the rings of the pairs the driver uses.  A
 * frame for pair 1 waits in its backend (the tap's second queue, detached)
 * until both of pair 1's rings are enabled, then lands in receive queue 2;
 * with one of them disabled again it waits again. */
#define Q2_DESC 0x7000
#define Q2_AVAIL 0x8000
#define Q2_USED 0x9000

static void
test_ring_enable(Fixture *f, gconstpointer data)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
	FakeBackend *fb[2];
	struct net_backend *bes[2];
	struct virtq_avail *a2;
	struct virtq_used *u2;
	uint8_t frame[64] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct iovec iov = { frame, sizeof(frame) };
	unsigned int ready;

	f->ram = g_malloc0(RAM_SIZE);
	g_assert_true(guest_mem_add_region(&f->mem, 0, RAM_SIZE, f->ram));
	for (unsigned int i = 0; i < 2; i++) {
		fb[i] = g_new0(FakeBackend, 1);
		net_backend_init(&fb[i]->be, &fake_ops, "fake");
		fb[i]->sent = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
		bes[i] = &fb[i]->be;
	}
	f->fb = fb[0];   /* the fixture frees both */
	f->fb2 = fb[1];
	f->dev = virtio_net_new_mq(bes, 2, mac);
	g_assert_nonnull(f->dev->ops->ring_enable);
	f->dev->mem = &f->mem;
	f->dev->driver_features = (1ull << F_MRG_RXBUF) | (1ull << F_MQ);
	setup_queue(f, 0, RX_DESC, RX_AVAIL, RX_USED);
	setup_queue(f, 1, TX_DESC, TX_AVAIL, TX_USED);
	setup_queue(f, 2, Q2_DESC, Q2_AVAIL, Q2_USED);
	setup_queue(f, 3, Q2_DESC + 0x4000, Q2_AVAIL + 0x4000, Q2_USED + 0x4000);
	virtio_device_start(f->dev);
	g_assert_true(fb[1]->detached);

	/* One receive buffer on queue 2 (receiveq2). */
	put_desc(f, Q2_DESC, 0, BUFS, 2048, VIRTQ_DESC_F_WRITE, 0);
	a2 = gpa(f, Q2_AVAIL);
	u2 = gpa(f, Q2_USED);
	a2->ring[0] = 0;
	a2->idx = 1;
	virtio_device_kick(f->dev, 2);
	g_assert_false(fb[1]->be.client.receive(fb[1]->be.client.opaque, &iov, 1));

	/* Pair 0 enabled, pair 1 disabled: what QEMU sends at FEATURES_OK. */
	pthread_mutex_lock(&f->dev->lock);
	f->dev->ops->ring_enable(f->dev, 0, true);
	f->dev->ops->ring_enable(f->dev, 1, true);
	f->dev->ops->ring_enable(f->dev, 2, false);
	f->dev->ops->ring_enable(f->dev, 3, false);
	pthread_mutex_unlock(&f->dev->lock);
	g_assert_true(fb[1]->detached);
	g_assert_false(fb[1]->be.client.receive(fb[1]->be.client.opaque, &iov, 1));
	g_assert_cmpuint(u2->idx, ==, 0);

	/* The driver set two pairs: pair 1's rings. */
	ready = fb[1]->rx_ready_calls;
	pthread_mutex_lock(&f->dev->lock);
	f->dev->ops->ring_enable(f->dev, 2, true);
	g_assert_true(fb[1]->detached);   /* half a pair is no pair */
	f->dev->ops->ring_enable(f->dev, 3, true);
	pthread_mutex_unlock(&f->dev->lock);
	g_assert_false(fb[1]->detached);
	g_assert_cmpuint(fb[1]->rx_ready_calls, >, ready);   /* the held frame may come */
	g_assert_true(fb[1]->be.client.receive(fb[1]->be.client.opaque, &iov, 1));
	g_assert_cmpuint(u2->idx, ==, 1);
	g_assert_cmpmem(gpa(f, BUFS + 12), sizeof(frame), frame, sizeof(frame));

	/* Back to one pair. */
	pthread_mutex_lock(&f->dev->lock);
	f->dev->ops->ring_enable(f->dev, 3, false);
	pthread_mutex_unlock(&f->dev->lock);
	g_assert_true(fb[1]->detached);
	a2->ring[1] = 0;
	a2->idx = 2;
	virtio_device_kick(f->dev, 2);
	g_assert_false(fb[1]->be.client.receive(fb[1]->be.client.opaque, &iov, 1));
	g_assert_cmpuint(u2->idx, ==, 1);

	/* A device reset keeps what the front-end enabled. */
	pthread_mutex_lock(&f->dev->lock);
	f->dev->ops->ring_enable(f->dev, 3, true);
	pthread_mutex_unlock(&f->dev->lock);
	virtio_device_reset(f->dev);
	g_assert_false(fb[1]->detached);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/virtio-net/config-and-link", Fixture, NULL, NULL, test_config_and_link, fixture_teardown);
	g_test_add("/virtio-net/rx-mergeable", Fixture, NULL, NULL, test_rx_mergeable, fixture_teardown);
	g_test_add("/virtio-net/rx-too-big", Fixture, NULL, NULL, test_rx_too_big, fixture_teardown);
	g_test_add("/virtio-net/rx-direct", Fixture, NULL, NULL, test_rx_direct, fixture_teardown);
	g_test_add("/virtio-net/rx-direct-no-header", Fixture, NULL, NULL, test_rx_direct_no_header, fixture_teardown);
	g_test_add("/virtio-net/tx", Fixture, NULL, NULL, test_tx, fixture_teardown);
	g_test_add("/virtio-net/tx-many-pieces", Fixture, NULL, NULL, test_tx_many_pieces, fixture_teardown);
	g_test_add("/virtio-net/not-started", Fixture, NULL, NULL, test_not_started, fixture_teardown);
	g_test_add("/virtio-net/save-holds-buffers", Fixture, NULL, NULL, test_save_holds_buffers, fixture_teardown);
	g_test_add("/virtio-net/ring-enable", Fixture, NULL, NULL, test_ring_enable, fixture_teardown);
	return g_test_run();
}
