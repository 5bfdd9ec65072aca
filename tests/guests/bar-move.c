/* bar-move.c — firmware and Linux may place BARs themselves: move
 * virtio-rng's BAR0 elsewhere in the PCI window and use the device there
 * (registers by MMIO, notifications through the re-registered ioeventfd). */
#include "virtio.h"

void guest_main(void *start_info);

static struct vq q;
static uint8_t buf[16];

void
guest_main(void *start_info)
{
	struct vdev d;
	int len;

	if (!virtio_find(4, &d)) {
		puts("no virtio-rng\n");
		return;
	}
	/* Decoding off while the BAR moves, as PCI 3.0 §6.2.5.1 advises. */
	pci_write32(d.slot, 0x04, pci_read32(d.slot, 0x04) & ~0x2u);
	pci_write32(d.slot, 0x10, 0xe8000000u);
	pci_write32(d.slot, 0x04, pci_read32(d.slot, 0x04) | 0x6u);

	if (!virtio_find(4, &d) || d.bar0 != 0xe8000000u) {
		puts("BAR did not move\n");
		return;
	}
	puts("bar0 now ");
	put_hex(d.bar0, 8);
	puts(", old address reads ");
	put_hex(mmio_read16(0xe0000000u + VC_NUMQ), 4);    /* nothing there: all ones */
	putc('\n');
	virtio_negotiate(&d, 0);
	virtio_setup_queue(&d, &q, 0);
	virtio_driver_ok(&d);
	q.desc[0] = (struct vq_desc) { (uint32_t) buf, sizeof(buf), VIRTQ_DESC_F_WRITE, 0 };
	vq_submit(&q, 0);
	len = vq_wait(&q, 10000000);
	puts("rng via moved BAR: ");
	if (len < 0)
		puts("timeout");
	else
		put_dec(len);
	puts(" bytes\n");
}
