/* virtio.c — the guests' side of modern virtio-pci (virtio 1.2 §4.1). */
#include "virtio.h"

int
virtio_find(uint16_t device_id, struct vdev *d)
{
	for (unsigned int slot = 0; slot < 32; slot++) {
		uint32_t id = pci_read32(slot, 0);
		uint8_t cap;

		if ((id & 0xffff) != 0x1af4 || (id >> 16) != 0x1040u + device_id)
			continue;
		memset(d, 0, sizeof(*d));
		d->slot = slot;
		d->bar0 = pci_read32(slot, 0x10) & ~0xfu;
		/* Walk the capability list for the four virtio structures. */
		for (cap = pci_read8(slot, 0x34); cap; cap = pci_read8(slot, cap + 1)) {
			d->n_caps++;
			if (pci_read8(slot, cap) != 0x09)
				continue;
			uint8_t type = pci_read8(slot, cap + 3);
			uint32_t off = pci_read32(slot, cap + 8);
			if (type == 1) d->common = d->bar0 + off;
			if (type == 2) {
				d->notify = d->bar0 + off;
				d->notify_mult = pci_read32(slot, cap + 16);
			}
			if (type == 3) d->isr = d->bar0 + off;
			if (type == 4) d->device = d->bar0 + off;
		}
		/* Memory decoding and bus mastering on. */
		pci_write32(slot, 0x04, pci_read32(slot, 0x04) | 0x6);
		return d->common != 0;
	}
	return 0;
}

uint8_t
virtio_status(struct vdev *d)
{
	return mmio_read8(d->common + VC_STATUS);
}

int
virtio_negotiate(struct vdev *d, uint32_t want_low)
{
	uint32_t offered;

	mmio_write8(d->common + VC_STATUS, 0);          /* reset */
	mmio_write8(d->common + VC_STATUS, 1);          /* ACKNOWLEDGE */
	mmio_write8(d->common + VC_STATUS, 1 | 2);      /* DRIVER */
	mmio_write32(d->common + VC_DFSELECT, 0);
	offered = mmio_read32(d->common + VC_DF);
	mmio_write32(d->common + VC_GFSELECT, 0);
	mmio_write32(d->common + VC_GF, offered & want_low);
	mmio_write32(d->common + VC_GFSELECT, 1);
	mmio_write32(d->common + VC_GF, 1);             /* VIRTIO_F_VERSION_1 (bit 32) */
	mmio_write8(d->common + VC_STATUS, 1 | 2 | 8);  /* FEATURES_OK */
	return (virtio_status(d) & 8) ? 0 : -1;
}

void
virtio_setup_queue(struct vdev *d, struct vq *q, uint16_t index)
{
	memset(q, 0, sizeof(*q));
	q->index = index;
	mmio_write16(d->common + VC_QSELECT, index);
	mmio_write16(d->common + VC_QSIZE, VQ_SIZE);
	mmio_write32(d->common + VC_QDESC, (uint32_t) q->desc);
	mmio_write32(d->common + VC_QDESC + 4, 0);
	mmio_write32(d->common + VC_QDRIVER, (uint32_t) &q->avail);
	mmio_write32(d->common + VC_QDRIVER + 4, 0);
	mmio_write32(d->common + VC_QDEVICE, (uint32_t) &q->used);
	mmio_write32(d->common + VC_QDEVICE + 4, 0);
	q->notify_addr = d->notify + mmio_read16(d->common + VC_QNOTIFY) * d->notify_mult;
	mmio_write16(d->common + VC_QENABLE, 1);
}

void
virtio_driver_ok(struct vdev *d)
{
	mmio_write8(d->common + VC_STATUS, 1 | 2 | 8 | 4);
}

void
vq_submit(struct vq *q, uint16_t head)
{
	q->avail.ring[q->avail.idx % VQ_SIZE] = head;
	barrier();
	q->avail.idx++;
	barrier();
	mmio_write16(q->notify_addr, q->index);      /* §4.1.5.2: write the queue index */
}

int
vq_wait(struct vq *q, uint32_t spins)
{
	while (spins--) {
		barrier();
		if (*(volatile uint16_t *) &q->used.idx != q->last_used) {
			int len = q->used.ring[q->last_used % VQ_SIZE].len;
			q->last_used++;
			return len;
		}
	}
	return -1;
}
