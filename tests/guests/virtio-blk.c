/* virtio-blk.c — a minimal virtio-blk driver (virtio 1.2 §5.2): read
 * sector 0, write 4 KiB of 0xa5 at 1 MiB, flush, ask for the serial, read
 * past the end, then write 4 KiB of 0x5a at 2 MiB and zero it again with
 * WRITE_ZEROES, and DISCARD 4 KiB at 3 MiB.  Every result goes to COM1 for
 * the host test. */
#include "virtio.h"

void guest_main(void *start_info);

struct blk_req { uint32_t type; uint32_t reserved; uint64_t sector; };
struct blk_seg { uint64_t sector; uint32_t num_sectors; uint32_t flags; };

static struct vq q;
static struct blk_req req;
static uint8_t data[4096] __attribute__((aligned(512)));
static volatile uint8_t status;

/* One request: header, optional data (device-writable for reads), status. */
static int
blk_request(uint32_t type, uint64_t sector, uint32_t len, int device_writes)
{
	int n = 0;

	req.type = type;
	req.reserved = 0;
	req.sector = sector;
	status = 0xff;
	q.desc[n] = (struct vq_desc) { (uint32_t) &req, sizeof(req), VIRTQ_DESC_F_NEXT, n + 1 };
	n++;
	if (len) {
		q.desc[n] = (struct vq_desc) { (uint32_t) data, len,
		                               VIRTQ_DESC_F_NEXT | (device_writes ? VIRTQ_DESC_F_WRITE : 0), n + 1 };
		n++;
	}
	q.desc[n] = (struct vq_desc) { (uint32_t) &status, 1, VIRTQ_DESC_F_WRITE, 0 };
	vq_submit(&q, 0);
	if (vq_wait(&q, 10000000) < 0)
		return -1;
	return status;
}

static void
report(const char *what, int st)
{
	puts(what);
	puts(" status ");
	if (st < 0)
		puts("timeout");
	else
		put_dec(st);
	putc('\n');
}

void
guest_main(void *start_info)
{
	struct vdev d;
	uint32_t cap_lo;

	if (!virtio_find(2, &d)) {
		puts("no virtio-blk\n");
		return;
	}
	/* FLUSH (9), DISCARD (13), WRITE_ZEROES (14) when offered. */
	if (virtio_negotiate(&d, (1u << 9) | (1u << 13) | (1u << 14)) < 0) {
		puts("features refused\n");
		return;
	}
	virtio_setup_queue(&d, &q, 0);
	virtio_driver_ok(&d);

	cap_lo = mmio_read32(d.device);
	puts("capacity ");
	put_dec(cap_lo);
	puts(" sectors\n");

	report("read", blk_request(0, 0, 512, 1));
	puts("sector0: ");
	for (int i = 0; i < 16; i++)
		putc(data[i] >= 32 && data[i] < 127 ? data[i] : '.');
	putc('\n');

	memset(data, 0xa5, sizeof(data));
	report("write", blk_request(1, 2048, sizeof(data), 0));
	report("flush", blk_request(4, 0, 0, 0));

	memset(data, 0, 32);
	report("get-id", blk_request(8, 0, 20, 1));
	puts("serial: ");
	for (int i = 0; i < 20 && data[i]; i++)
		putc(data[i]);
	putc('\n');

	report("read-past-end", blk_request(0, cap_lo, 512, 1));

	memset(data, 0x5a, sizeof(data));
	report("write-2m", blk_request(1, 4096, sizeof(data), 0));
	/* The segment travels as device-readable data after the header. */
	struct blk_seg seg = { 4096, 8, 1 /* unmap allowed */ };
	memcpy(data, &seg, sizeof(seg));
	report("write-zeroes", blk_request(13, 0, sizeof(seg), 0));
	seg = (struct blk_seg) { 6144, 8, 0 };
	memcpy(data, &seg, sizeof(seg));
	report("discard", blk_request(11, 0, sizeof(seg), 0));
	puts("isr ");
	put_dec(mmio_read8(d.isr));
	putc('\n');
	puts("virtio-blk done\n");

	/* "stay" on the command line: keep the machine (and its counters)
	 * for the host to read, instead of resetting it. */
	if (cmdline_has(start_info, "stay"))
		for (;;)
			__asm__ volatile("cli; hlt");
}
