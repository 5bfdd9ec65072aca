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

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/virtqueue/guest-mem", test_mem_translate);
	g_test_add_func("/virtqueue/ring-outside-memory", test_ring_outside_memory);
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
#undef ADD
	return g_test_run();
}
