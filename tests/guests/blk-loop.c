/* blk-loop.c — virtio-blk I/O that never stops, for save-state: ten rounds
 * a second on PIT ticks, round N writes 4 KiB numbered N to one of 32
 * slots, reads it back, and reads back round N-1's slot too.  Each round
 * says "round N ok" (or what went wrong) on COM1.  Saved between two
 * rounds and restored, the guest goes on with round N+1 only if its RAM,
 * the queue's addresses and ring positions and the disk all came back:
 * a device that forgot its last_avail/used_idx never answers, and a
 * disk not written through reads back other data. */
#include "irq.h"
#include "virtio.h"

void guest_main(void *start_info);

#define SLOTS 32

struct blk_req { uint32_t type; uint32_t reserved; uint64_t sector; };

static struct vdev d;
static struct vq q;
static struct blk_req req;
static uint32_t data[1024] __attribute__((aligned(512)));
static volatile uint8_t status;
static uint32_t round;
static int ready;

/* One request, polled: 0 when the device answered OK. */
static int
blk_request(uint32_t type, uint32_t n)
{
	req.type = type;
	req.reserved = 0;
	req.sector = (uint64_t) (n % SLOTS) * 8;
	status = 0xff;
	q.desc[0] = (struct vq_desc) { (uint32_t) &req, sizeof(req), VIRTQ_DESC_F_NEXT, 1 };
	q.desc[1] = (struct vq_desc) { (uint32_t) data, sizeof(data),
	                               VIRTQ_DESC_F_NEXT | (type == 0 ? VIRTQ_DESC_F_WRITE : 0), 2 };
	q.desc[2] = (struct vq_desc) { (uint32_t) &status, 1, VIRTQ_DESC_F_WRITE, 0 };
	vq_submit(&q, 0);
	if (vq_wait(&q, 50000000) < 0)
		return -1;
	return status;
}

static uint32_t
word(uint32_t n, uint32_t i)
{
	return n * 0x9e3779b9u + i;
}

static void
fill(uint32_t n)
{
	for (uint32_t i = 0; i < 1024; i++)
		data[i] = word(n, i);
}

static int
check(uint32_t n)
{
	for (uint32_t i = 0; i < 1024; i++)
		if (data[i] != word(n, i))
			return 0;
	return 1;
}

static void
say(uint32_t n, const char *what)
{
	puts("round ");
	put_dec(n);
	putc(' ');
	puts(what);
	putc('\n');
}

void
on_tick(void)
{
	uint32_t n;

	if (!ready || ticks % 10 != 0)
		return;
	n = ++round;
	fill(n);
	if (blk_request(1, n) != 0) {
		say(n, "write failed");
		return;
	}
	for (uint32_t i = 0; i < 1024; i++)
		data[i] = 0;
	if (blk_request(0, n) != 0 || !check(n)) {
		say(n, "read-back MISMATCH");
		return;
	}
	if (n > 1 && (blk_request(0, n - 1) != 0 || !check(n - 1))) {
		say(n, "previous MISMATCH");
		return;
	}
	say(n, "ok");
}

void
guest_main(void *start_info)
{
	if (!virtio_find(2, &d)) {
		puts("no virtio-blk\n");
		return;
	}
	if (virtio_negotiate(&d, 0) < 0) {
		puts("features refused\n");
		return;
	}
	virtio_setup_queue(&d, &q, 0);
	virtio_driver_ok(&d);
	irq_init(100);
	puts("blk-loop starting\n");
	ready = 1;
	halt_forever();
}
