/* test-virtqueue.c — the virtqueue walker against simulated guest memory.
 *
 * Guest RAM here is two g_malloc'd regions at guest-physical 0 and 1 MiB,
 * so buffers that cross a region boundary are exercised too.  Each hostile
 * case checks what a guest would notice: the queue is broken with a reason,
 * the device reports it, and no chain comes out.
 */
#include <glib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "device.h"
#include "queue.h"

#define REGION_SIZE (1u << 20)
#define QSIZE 8
#define DESC_GPA  0x1000
#define AVAIL_GPA 0x2000
#define USED_GPA  0x3000

typedef struct {
	struct guest_mem mem;
	uint8_t *ram[2];
	struct virtq vq;
	uint16_t avail_idx;
} Fixture;

static void *
gpa(Fixture *f, uint64_t addr)
{
	return guest_mem_translate(&f->mem, addr, 1);
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	memset(f, 0, sizeof(*f));
	f->ram[0] = g_malloc0(REGION_SIZE);
	f->ram[1] = g_malloc0(REGION_SIZE);
	g_assert_true(guest_mem_add_region(&f->mem, 0, REGION_SIZE, f->ram[0]));
	g_assert_true(guest_mem_add_region(&f->mem, REGION_SIZE, REGION_SIZE, f->ram[1]));
	f->vq.kick_fd = -1;
	f->vq.call_fd = -1;
	virtq_reset(&f->vq);
	f->vq.size = QSIZE;
	f->vq.desc_gpa = DESC_GPA;
	f->vq.avail_gpa = AVAIL_GPA;
	f->vq.used_gpa = USED_GPA;
	f->vq.enabled = true;
	g_assert_true(virtq_map(&f->vq, &f->mem));
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_free(f->ram[0]);
	g_free(f->ram[1]);
}

static void
set_desc(Fixture *f, uint64_t table, unsigned int i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	struct virtq_desc d = { addr, len, flags, next };
	memcpy((uint8_t *) gpa(f, table) + 16 * i, &d, sizeof(d));
}

static void
make_available(Fixture *f, uint16_t head)
{
	struct virtq_avail *avail = gpa(f, AVAIL_GPA);
	avail->ring[f->avail_idx % QSIZE] = head;
	avail->idx = ++f->avail_idx;
}

static void
test_mem_translate(void)
{
	struct guest_mem mem = { 0 };
	static uint8_t a[4096], b[4096];

	g_assert_true(guest_mem_add_region(&mem, 0, sizeof(a), a));
	g_assert_true(guest_mem_add_region(&mem, 0x10000, sizeof(b), b));
	g_assert_false(guest_mem_add_region(&mem, 0x800, 16, b));        /* overlap */
	g_assert_false(guest_mem_add_region(&mem, UINT64_MAX - 1, 16, b)); /* wraps */
	g_assert_true(guest_mem_translate(&mem, 0, 4096) == a);
	g_assert_true(guest_mem_translate(&mem, 0x10010, 16) == b + 16);
	g_assert_null(guest_mem_translate(&mem, 4000, 200));             /* runs off the end */
	g_assert_null(guest_mem_translate(&mem, 0x5000, 1));             /* hole */
	g_assert_null(guest_mem_translate(&mem, 0x10000, UINT64_MAX));   /* huge length */
	g_assert_null(guest_mem_translate(&mem, UINT64_MAX, 2));
}

static void
test_simple_chain(Fixture *f, gconstpointer data)
{
	struct virtq_chain *c;
	struct virtq_used *used = gpa(f, USED_GPA);

	memcpy(gpa(f, 0x10000), "hello", 5);
	set_desc(f, DESC_GPA, 0, 0x10000, 5, VIRTQ_DESC_F_NEXT, 3);
	set_desc(f, DESC_GPA, 3, 0x20000, 100, VIRTQ_DESC_F_WRITE, 0);
	make_available(f, 0);

	c = virtq_pop(&f->vq, &f->mem);
	g_assert_nonnull(c);
	g_assert_cmpuint(c->head, ==, 0);
	g_assert_cmpuint(c->n_out, ==, 1);
	g_assert_cmpuint(c->n_in, ==, 1);
	g_assert_cmpuint(c->out_len, ==, 5);
	g_assert_cmpuint(c->in_len, ==, 100);
	g_assert_cmpmem(c->iov[0].iov_base, 5, "hello", 5);
	g_assert_true(c->iov[1].iov_base == gpa(f, 0x20000));
	g_assert_null(virtq_pop(&f->vq, &f->mem));   /* nothing more */
	virtq_push(&f->vq, c, 42);

	g_assert_cmpuint(used->idx, ==, 1);
	g_assert_cmpuint(used->ring[0].id, ==, 0);
	g_assert_cmpuint(used->ring[0].len, ==, 42);
	g_assert_false(f->vq.broken);
	g_assert_cmpuint(f->vq.stats.chains, ==, 1);
}

static void
test_split_across_regions(Fixture *f, gconstpointer data)
{
	struct virtq_chain *c;

	/* 32 bytes ending 16 bytes into the second region: two iovecs. */
	set_desc(f, DESC_GPA, 1, REGION_SIZE - 16, 32, VIRTQ_DESC_F_WRITE, 0);
	make_available(f, 1);
	c = virtq_pop(&f->vq, &f->mem);
	g_assert_nonnull(c);
	g_assert_cmpuint(c->n_in, ==, 2);
	g_assert_cmpuint(c->iov[0].iov_len, ==, 16);
	g_assert_true(c->iov[1].iov_base == f->ram[1]);
	g_assert_cmpuint(c->in_len, ==, 32);
	virtq_chain_free(c);
}

static void
expect_broken(Fixture *f, const char *reason_part)
{
	g_assert_null(virtq_pop(&f->vq, &f->mem));
	g_assert_true(f->vq.broken);
	g_assert_nonnull(strstr(f->vq.broken_reason, reason_part));
	/* Once broken, nothing more comes out even if the guest fixes things. */
	g_assert_null(virtq_pop(&f->vq, &f->mem));
}

static void
test_loop(Fixture *f, gconstpointer data)
{
	set_desc(f, DESC_GPA, 0, 0x10000, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(f, DESC_GPA, 1, 0x10000, 16, VIRTQ_DESC_F_NEXT, 0);
	make_available(f, 0);
	expect_broken(f, "loops");
}

static void
test_self_loop(Fixture *f, gconstpointer data)
{
	set_desc(f, DESC_GPA, 2, 0x10000, 16, VIRTQ_DESC_F_NEXT, 2);
	make_available(f, 2);
	expect_broken(f, "loops");
}

static void
test_out_of_range_buffer(Fixture *f, gconstpointer data)
{
	set_desc(f, DESC_GPA, 0, 0x7fff0000ull, 512, VIRTQ_DESC_F_WRITE, 0);
	make_available(f, 0);
	expect_broken(f, "outside guest memory");
}

static void
test_buffer_past_end(Fixture *f, gconstpointer data)
{
	/* Starts inside RAM, ends past it. */
	set_desc(f, DESC_GPA, 0, 2 * REGION_SIZE - 8, 64, 0, 0);
	make_available(f, 0);
	expect_broken(f, "outside guest memory");
}

static void
test_bad_head(Fixture *f, gconstpointer data)
{
	make_available(f, QSIZE + 3);
	expect_broken(f, "past the table");
}

static void
test_bad_next(Fixture *f, gconstpointer data)
{
	set_desc(f, DESC_GPA, 0, 0x10000, 16, VIRTQ_DESC_F_NEXT, 200);
	make_available(f, 0);
	expect_broken(f, "past the descriptor table");
}

static void
test_avail_runaway(Fixture *f, gconstpointer data)
{
	struct virtq_avail *avail = gpa(f, AVAIL_GPA);

	avail->idx = QSIZE + 5;
	expect_broken(f, "ran ahead");
}

static void
test_readable_after_writable(Fixture *f, gconstpointer data)
{
	set_desc(f, DESC_GPA, 0, 0x10000, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc(f, DESC_GPA, 1, 0x11000, 16, 0, 0);
	make_available(f, 0);
	expect_broken(f, "readable buffer after");
}

static void
test_indirect(Fixture *f, gconstpointer data)
{
	struct virtq_chain *c;
	const uint64_t table = 0x8000;

	f->vq.indirect = true;
	set_desc(f, table, 0, 0x10000, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(f, table, 1, 0x11000, 512, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
	set_desc(f, table, 2, 0x12000, 1, VIRTQ_DESC_F_WRITE, 0);
	set_desc(f, DESC_GPA, 4, table, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	make_available(f, 4);
	c = virtq_pop(&f->vq, &f->mem);
	g_assert_nonnull(c);
	g_assert_cmpuint(c->head, ==, 4);
	g_assert_cmpuint(c->n_out, ==, 1);
	g_assert_cmpuint(c->n_in, ==, 2);
	g_assert_cmpuint(c->in_len, ==, 513);
	virtq_push(&f->vq, c, 513);
}

static void
test_indirect_not_negotiated(Fixture *f, gconstpointer data)
{
	set_desc(f, 0x8000, 0, 0x10000, 16, 0, 0);
	set_desc(f, DESC_GPA, 0, 0x8000, 16, VIRTQ_DESC_F_INDIRECT, 0);
	make_available(f, 0);
	expect_broken(f, "indirect");
}

static void
test_nested_indirect(Fixture *f, gconstpointer data)
{
	f->vq.indirect = true;
	set_desc(f, 0x8000, 0, 0x9000, 16, VIRTQ_DESC_F_INDIRECT, 0);
	set_desc(f, DESC_GPA, 0, 0x8000, 16, VIRTQ_DESC_F_INDIRECT, 0);
	make_available(f, 0);
	expect_broken(f, "indirect");
}

static void
test_indirect_loop(Fixture *f, gconstpointer data)
{
	f->vq.indirect = true;
	set_desc(f, 0x8000, 0, 0x10000, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(f, 0x8000, 1, 0x10000, 16, VIRTQ_DESC_F_NEXT, 0);
	set_desc(f, DESC_GPA, 0, 0x8000, 32, VIRTQ_DESC_F_INDIRECT, 0);
	make_available(f, 0);
	expect_broken(f, "loops");
}

static void
test_ring_outside_memory(void)
{
	struct guest_mem mem = { 0 };
	static uint8_t ram[8192];
	struct virtq vq = { .kick_fd = -1, .call_fd = -1 };

	g_assert_true(guest_mem_add_region(&mem, 0, sizeof(ram), ram));
	vq.size = 256;
	vq.desc_gpa = 0;
	vq.avail_gpa = 4096;
	vq.used_gpa = 7000;   /* 7000 + 6 + 8 * 256 > 8192 */
	g_assert_false(virtq_map(&vq, &mem));
	g_assert_true(vq.broken);

	memset(&vq, 0, sizeof(vq));
	vq.size = 100;        /* not a power of two */
	g_assert_false(virtq_map(&vq, &mem));
	g_assert_true(vq.broken);
}

/* Random rings over random memory with a hole in it: whatever the bytes
 * say, every chain that comes out lies wholly inside guest RAM, and nothing
 * crashes (run it under ASan: the build's second configuration does). */
static gboolean
iov_inside(const struct iovec *iov, uint8_t *const *ram, gsize size)
{
	for (int r = 0; r < 2; r++) {
		uint8_t *b = iov->iov_base;
		if (b >= ram[r] && b <= ram[r] + size && iov->iov_len <= (gsize) (ram[r] + size - b))
			return TRUE;
	}
	return FALSE;
}

static void
test_random_garbage(void)
{
	const gsize size = 64 << 10;
	const uint64_t second = size + 4096;      /* a one-page hole between regions */
	g_autoptr(GRand) rng = g_rand_new_with_seed(20261121);
	uint8_t *ram[2] = { g_malloc(size), g_malloc(size) };
	struct guest_mem mem = { 0 };
	unsigned int chains = 0, broken = 0;

	g_assert_true(guest_mem_add_region(&mem, 0, size, ram[0]));
	g_assert_true(guest_mem_add_region(&mem, second, size, ram[1]));

	for (int iter = 0; iter < 3000; iter++) {
		struct virtq vq = { .kick_fd = -1, .call_fd = -1 };

		/* Plausible garbage everywhere: small values for lengths and
		 * indices, addresses around guest RAM (and its hole). */
		for (gsize i = 0; i < size; i += 8) {
			struct virtq_desc d = {
				.addr = g_rand_int_range(rng, 0, 2 * size + 8192),
				.len = g_rand_boolean(rng) ? (guint32) g_rand_int_range(rng, 0, 4096) : g_rand_int(rng),
				.flags = g_rand_int_range(rng, 0, 8),
				.next = g_rand_int_range(rng, 0, 40),
			};
			memcpy(ram[0] + i, &d, 8);
			memcpy(ram[1] + i, (uint8_t *) &d + 8, 8);
		}
		vq.size = 1u << g_rand_int_range(rng, 0, 6);
		vq.desc_gpa = g_rand_int_range(rng, 0, 2 * size) & ~15u;
		vq.avail_gpa = g_rand_int_range(rng, 0, 2 * size) & ~1u;
		vq.used_gpa = g_rand_int_range(rng, 0, 2 * size) & ~3u;
		vq.indirect = g_rand_boolean(rng);
		vq.enabled = true;
		if (!virtq_map(&vq, &mem))
			continue;
		/* Descriptors: mostly well-formed, some not. */
		for (unsigned int i = 0; i < vq.size; i++) {
			struct virtq_desc d = {
				.addr = g_rand_int_range(rng, 0, 2 * size + 8192),
				.len = g_rand_int_range(rng, 0, 100) ? (guint32) g_rand_int_range(rng, 0, 8192) : g_rand_int(rng),
				.flags = (g_rand_boolean(rng) ? VIRTQ_DESC_F_NEXT : 0) |
				         (i > 0 && g_rand_boolean(rng) ? VIRTQ_DESC_F_WRITE : 0) |
				         (g_rand_int_range(rng, 0, 10) == 0 ? VIRTQ_DESC_F_INDIRECT : 0),
				.next = g_rand_int_range(rng, 0, 20) ? MIN(i + 1, vq.size - 1u) : (unsigned int) g_rand_int_range(rng, 0, 70),
			};
			if (d.flags & VIRTQ_DESC_F_INDIRECT)
				d.len = 16 * g_rand_int_range(rng, 1, 6);
			memcpy(&vq.desc[i], &d, sizeof(d));
		}
		vq.avail->idx = g_rand_int_range(rng, 0, vq.size + 3);
		for (unsigned int i = 0; i < vq.size; i++)
			vq.avail->ring[i] = g_rand_int_range(rng, 0, 20) ? (guint32) g_rand_int_range(rng, 0, vq.size)
			                                                   : g_rand_int(rng);
		for (int k = 0; k < 16; k++) {
			struct virtq_chain *c = virtq_pop(&vq, &mem);
			if (c == NULL)
				break;
			for (unsigned int i = 0; i < c->n_out + c->n_in; i++)
				g_assert_true(iov_inside(&c->iov[i], ram, size));
			g_assert_cmpuint(c->head, <, vq.size);
			chains++;
			virtq_push(&vq, c, g_rand_int(rng));
		}
		broken += vq.broken;
	}
	g_test_message("%u chains accepted, %u queues broken", chains, broken);
	/* Both outcomes must occur, or the generator tests nothing. */
	g_assert_cmpuint(broken, >, 100);
	g_assert_cmpuint(chains, >, 100);
	g_free(ram[0]);
	g_free(ram[1]);
}

/* The same chains driven through a real device (virtio-rng) and the
 * device interface: kick → buffer filled → used ring → call eventfd. */
static void
on_error(struct virtio_device *dev, const char *reason, void *data)
{
	g_strlcpy(data, reason, 128);
}

static void
test_rng_device(Fixture *f, gconstpointer data)
{
	struct virtio_device *dev = virtio_rng_new();
	struct virtq_used *used = gpa(f, USED_GPA);
	char reason[128] = "";
	uint8_t zero[64] = { 0 };
	uint64_t count = 0;
	int call = eventfd(0, EFD_CLOEXEC);

	dev->mem = &f->mem;
	dev->on_error = on_error;
	dev->on_error_data = reason;
	dev->vqs[0] = f->vq;
	dev->vqs[0].call_fd = call;
	virtio_device_start(dev);

	set_desc(f, DESC_GPA, 0, 0x40000, 64, VIRTQ_DESC_F_WRITE, 0);
	make_available(f, 0);
	virtio_device_kick(dev, 0);
	g_assert_cmpuint(used->idx, ==, 1);
	g_assert_cmpuint(used->ring[0].len, ==, 64);
	g_assert_true(memcmp(gpa(f, 0x40000), zero, 64) != 0);
	g_assert_cmpint(read(call, &count, sizeof(count)), ==, sizeof(count));
	g_assert_cmpuint(count, ==, 1);
	g_assert_cmpuint(dev->vqs[0].stats.kicks, ==, 1);
	g_assert_cmpuint(dev->vqs[0].stats.interrupts, ==, 1);

	/* A hostile chain breaks the device and tells its owner once. */
	set_desc(f, DESC_GPA, 1, 0x40000, 64, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	make_available(f, 1);
	virtio_device_kick(dev, 0);
	g_assert_true(dev->broken);
	g_assert_nonnull(strstr(reason, "queue 0"));
	g_assert_nonnull(strstr(reason, "loops"));
	g_assert_cmpuint(used->idx, ==, 1);

	/* Reset (the driver's way out) makes it usable again. */
	virtio_device_reset(dev);
	g_assert_false(dev->broken);
	g_assert_false(dev->vqs[0].broken);

	close(call);
	virtio_device_destroy(dev);
}

/* VIRTIO_F_EVENT_IDX (virtio 1.2 §2.7.10): an empty pop publishes
 * avail_event; an interrupt goes out only when used->idx passes the
 * driver's used_event. */
static void
test_event_idx(Fixture *f, gconstpointer data)
{
	struct virtq_avail *avail = gpa(f, AVAIL_GPA);
	struct virtq_used *used = gpa(f, USED_GPA);
	uint16_t *avail_event = (uint16_t *) &used->ring[QSIZE];
	uint16_t *used_event = &avail->ring[QSIZE];
	struct virtq_chain *c;
	uint64_t n;
	int call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	f->vq.event_idx = true;
	f->vq.call_fd = call;
	*avail_event = 0xffff;
	g_assert_null(virtq_pop(&f->vq, &f->mem));
	g_assert_cmpuint(*avail_event, ==, 0);          /* "tell me about entry 0" */

	set_desc(f, DESC_GPA, 0, 0x10000, 16, VIRTQ_DESC_F_WRITE, 0);
	set_desc(f, DESC_GPA, 1, 0x10100, 16, VIRTQ_DESC_F_WRITE, 0);
	set_desc(f, DESC_GPA, 2, 0x10200, 16, VIRTQ_DESC_F_WRITE, 0);
	make_available(f, 0);
	make_available(f, 1);
	make_available(f, 2);
	/* The driver wants an interrupt once entry 1 is used (used_event 1). */
	*used_event = 1;
	c = virtq_pop(&f->vq, &f->mem);
	virtq_push(&f->vq, c, 16);
	g_assert_true(virtq_notify(&f->vq));             /* first ever: always */
	g_assert_cmpint(read(call, &n, sizeof(n)), ==, sizeof(n));
	c = virtq_pop(&f->vq, &f->mem);
	virtq_push(&f->vq, c, 16);
	g_assert_true(virtq_notify(&f->vq));             /* used->idx 1 → 2 passes 1 */
	c = virtq_pop(&f->vq, &f->mem);
	virtq_push(&f->vq, c, 16);
	g_assert_false(virtq_notify(&f->vq));            /* 2 → 3: the driver did not ask */
	g_assert_false(virtq_notify(&f->vq));            /* nothing new */
	*used_event = 2;
	g_assert_null(virtq_pop(&f->vq, &f->mem));
	g_assert_cmpuint(*avail_event, ==, 3);
	g_assert_cmpuint(used->idx, ==, 3);
	g_assert_false(f->vq.broken);
	close(call);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/virtqueue/guest-mem", test_mem_translate);
	g_test_add_func("/virtqueue/ring-outside-memory", test_ring_outside_memory);
	g_test_add_func("/virtqueue/random-garbage", test_random_garbage);
#define ADD(name, fn) g_test_add("/virtqueue/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("simple-chain", test_simple_chain);
	ADD("split-across-regions", test_split_across_regions);
	ADD("loop", test_loop);
	ADD("self-loop", test_self_loop);
	ADD("out-of-range-buffer", test_out_of_range_buffer);
	ADD("buffer-past-end", test_buffer_past_end);
	ADD("bad-head", test_bad_head);
	ADD("bad-next", test_bad_next);
	ADD("avail-runaway", test_avail_runaway);
	ADD("readable-after-writable", test_readable_after_writable);
	ADD("indirect", test_indirect);
	ADD("indirect-not-negotiated", test_indirect_not_negotiated);
	ADD("nested-indirect", test_nested_indirect);
	ADD("indirect-loop", test_indirect_loop);
	ADD("rng-device", test_rng_device);
	ADD("event-idx", test_event_idx);
#undef ADD
	return g_test_run();
}
