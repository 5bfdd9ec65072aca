/* vnet.c — the guests' virtio-net driver (virtio 1.2 §5.1). */
#include "vnet.h"

static uint16_t rx_head;   /* descriptor of the frame vnet_poll() returned */

int
vnet_init(struct vnet *n, uint32_t want)
{
	if (!virtio_find(1, &n->d))
		return -1;
	if (virtio_negotiate(&n->d, want) < 0)
		return -1;
	mmio_write32(n->d.common + VC_GFSELECT, 0);
	n->features = mmio_read32(n->d.common + VC_GF);
	virtio_setup_queue(&n->d, &n->rx, 0);   /* §5.1.2: receiveq1 */
	virtio_setup_queue(&n->d, &n->tx, 1);   /* transmitq1 */
	for (int i = 0; i < 6; i++)
		n->mac[i] = mmio_read8(n->d.device + i);
	virtio_driver_ok(&n->d);
	for (uint16_t i = 0; i < VQ_SIZE; i++) {
		n->rx.desc[i] = (struct vq_desc) { (uint32_t) n->rxbuf[i], VNET_BUF, VIRTQ_DESC_F_WRITE, 0 };
		vq_submit(&n->rx, i);
	}
	return 0;
}

uint16_t
vnet_status(struct vnet *n)
{
	return mmio_read16(n->d.device + 6);
}

int
vnet_send(struct vnet *n, const void *frame, uint32_t len)
{
	if (len > VNET_BUF - VNET_HDR_LEN)
		return -1;
	memset(n->txbuf, 0, VNET_HDR_LEN);
	memcpy(n->txbuf + VNET_HDR_LEN, frame, len);
	n->tx.desc[0] = (struct vq_desc) { (uint32_t) n->txbuf, VNET_HDR_LEN + len, 0, 0 };
	vq_submit(&n->tx, 0);
	return vq_wait(&n->tx, 10000000);
}

int
vnet_poll(struct vnet *n, uint8_t **frame)
{
	struct vq *q = &n->rx;
	uint32_t len;

	barrier();
	if (*(volatile uint16_t *) &q->used.idx == q->last_used)
		return -1;
	rx_head = q->used.ring[q->last_used % VQ_SIZE].id;
	len = q->used.ring[q->last_used % VQ_SIZE].len;
	q->last_used++;
	if (rx_head >= VQ_SIZE || len < VNET_HDR_LEN)
		return 0;
	*frame = n->rxbuf[rx_head] + VNET_HDR_LEN;
	return len - VNET_HDR_LEN;
}

void
vnet_rx_done(struct vnet *n)
{
	vq_submit(&n->rx, rx_head);
}

void
put_mac(const uint8_t *mac)
{
	for (int i = 0; i < 6; i++) {
		put_hex(mac[i], 2);
		if (i < 5)
			putc(':');
	}
}
