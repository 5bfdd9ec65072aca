/* virtio.h — a minimal modern virtio-pci driver for the test guests:
 * find a device, negotiate, set up split queues, submit and poll. */
#pragma once

#include "guest.h"

#define VIRTQ_DESC_F_NEXT  1
#define VIRTQ_DESC_F_WRITE 2
#define VQ_SIZE 8

struct vq_desc { uint64_t addr; uint32_t len; uint16_t flags; uint16_t next; };
struct vq_avail { uint16_t flags; uint16_t idx; uint16_t ring[VQ_SIZE]; uint16_t used_event; };
struct vq_used_elem { uint32_t id; uint32_t len; };
struct vq_used { uint16_t flags; uint16_t idx; struct vq_used_elem ring[VQ_SIZE]; uint16_t avail_event; };

struct vq {
	struct vq_desc desc[VQ_SIZE] __attribute__((aligned(16)));
	struct vq_avail avail __attribute__((aligned(16)));
	struct vq_used used __attribute__((aligned(16)));
	uint16_t index;           /* queue number */
	uint16_t last_used;
	uint32_t notify_addr;
};

struct vdev {
	unsigned int slot;
	uint32_t bar0;
	uint32_t common, notify, isr, device;
	uint32_t notify_mult;
	unsigned int n_caps;
};

/* Common config offsets, virtio 1.2 §4.1.4.3 */
#define VC_DFSELECT  0x00
#define VC_DF        0x04
#define VC_GFSELECT  0x08
#define VC_GF        0x0c
#define VC_NUMQ      0x12
#define VC_STATUS    0x14
#define VC_QSELECT   0x16
#define VC_QSIZE     0x18
#define VC_QMSIX     0x1a
#define VC_QENABLE   0x1c
#define VC_QNOTIFY   0x1e
#define VC_QDESC     0x20
#define VC_QDRIVER   0x28
#define VC_QDEVICE   0x30

/* Finds the first virtio device with this virtio device ID; 0 if none. */
int virtio_find(uint16_t device_id, struct vdev *d);
/* Reset, ACKNOWLEDGE, DRIVER, accept VERSION_1 (+ extra low feature
 * bits that are offered), FEATURES_OK.  Returns 0 if the device agreed. */
int virtio_negotiate(struct vdev *d, uint32_t want_low);
void virtio_setup_queue(struct vdev *d, struct vq *q, uint16_t index);
void virtio_driver_ok(struct vdev *d);
uint8_t virtio_status(struct vdev *d);
/* Put descriptors [0, n) (already filled in q->desc) on the ring as one
 * chain starting at head 0, and notify. */
void vq_submit(struct vq *q, uint16_t head);
/* Poll until the device returns a chain; returns its used length, or -1
 * after a timeout (the device may have given up: check status). */
int vq_wait(struct vq *q, uint32_t spins);
