/* hostile.c — a guest that breaks the virtio rules on purpose:
 *   1. a descriptor chain that loops (virtio-rng),
 *   2. a buffer outside guest RAM (virtio-console),
 * checks that each device says DEVICE_NEEDS_RESET (virtio 1.2 §2.1.2) and
 * that a reset brings virtio-rng back.  The VMM must survive all of it. */
#include "virtio.h"

void guest_main(void *start_info);

static struct vq rng_q, con_rx, con_tx;
static uint8_t buf[64];

static int
wait_needs_reset(struct vdev *d)
{
	for (uint32_t i = 0; i < 200000; i++)
		if (virtio_status(d) & 0x40)
			return 1;
	return 0;
}

void
guest_main(void *start_info)
{
	struct vdev rng, con;
	int len;

	if (!virtio_find(4, &rng) || !virtio_find(3, &con)) {
		puts("devices missing\n");
		return;
	}

	/* 1. Loop: descriptor 0 → 1 → 0 → … */
	virtio_negotiate(&rng, 0);
	virtio_setup_queue(&rng, &rng_q, 0);
	virtio_driver_ok(&rng);
	rng_q.desc[0] = (struct vq_desc) { (uint32_t) buf, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1 };
	rng_q.desc[1] = (struct vq_desc) { (uint32_t) buf + 16, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0 };
	vq_submit(&rng_q, 0);
	puts(wait_needs_reset(&rng) ? "rng: needs reset after a looping chain\n"
	                            : "rng: no reaction to a looping chain\n");

	/* 2. A buffer in the PCI hole, where there is no RAM. */
	virtio_negotiate(&con, 0);
	virtio_setup_queue(&con, &con_rx, 0);
	virtio_setup_queue(&con, &con_tx, 1);
	virtio_driver_ok(&con);
	con_tx.desc[0] = (struct vq_desc) { 0xd0000000u, 64, 0, 0 };
	vq_submit(&con_tx, 0);
	puts(wait_needs_reset(&con) ? "console: needs reset after an out-of-range buffer\n"
	                            : "console: no reaction to an out-of-range buffer\n");

	/* 3. The driver's way out: reset and start again. */
	virtio_negotiate(&rng, 0);
	virtio_setup_queue(&rng, &rng_q, 0);
	virtio_driver_ok(&rng);
	rng_q.desc[0] = (struct vq_desc) { (uint32_t) buf, 16, VIRTQ_DESC_F_WRITE, 0 };
	vq_submit(&rng_q, 0);
	len = vq_wait(&rng_q, 10000000);
	puts("rng after reset: ");
	if (len < 0)
		puts("timeout");
	else
		put_dec(len);
	puts(" bytes\n");
}
