/* vnet.h — a minimal virtio-net driver for the test guests (virtio 1.2
 * §5.1): one receive and one transmit queue, polled, 2 KiB buffers. */
#pragma once

#include "virtio.h"

#define VNET_HDR_LEN 12          /* struct virtio_net_hdr_v1, §5.1.6 */
#define VNET_BUF 2048

#define VIRTIO_NET_F_MAC       (1u << 5)
#define VIRTIO_NET_F_MRG_RXBUF (1u << 15)
#define VIRTIO_NET_F_STATUS    (1u << 16)

struct vnet {
	struct vdev d;
	struct vq rx, tx;
	uint8_t rxbuf[VQ_SIZE][VNET_BUF] __attribute__((aligned(16)));
	uint8_t txbuf[VNET_BUF] __attribute__((aligned(16)));
	uint8_t mac[6];
	uint32_t features;     /* what we accepted, low 32 bits */
};

/* Find, negotiate (want & offered), set up both queues, post every receive
 * buffer, DRIVER_OK.  0 on success. */
int vnet_init(struct vnet *n, uint32_t want);
/* Config `status` (§5.1.4): bit 0 = link up. */
uint16_t vnet_status(struct vnet *n);
/* Send one frame (header added); returns the used length or -1. */
int vnet_send(struct vnet *n, const void *frame, uint32_t len);
/* A received frame, if any: *frame points at it (after the header);
 * returns its length, or -1 if none.  vnet_rx_done() gives it back. */
int vnet_poll(struct vnet *n, uint8_t **frame);
void vnet_rx_done(struct vnet *n);
void put_mac(const uint8_t *mac);
