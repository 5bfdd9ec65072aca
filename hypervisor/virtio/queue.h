/* queue.h — the split virtqueue (virtio 1.2 §2.7), device side.
 *
 * queue.c is the only code in glassbox-vmm that reads a descriptor table.
 * It hands devices a validated chain: a list of host iovecs, the
 * device-readable ones first, then the device-writable ones.  Everything a
 * guest can get wrong — a head or next index past the table, a loop, a
 * buffer outside guest RAM, a readable buffer after a writable one, an
 * indirect table inside an indirect table, more buffers than the ring
 * holds — marks the queue broken instead.  A broken queue hands out no
 * more chains until the driver resets the device.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "guest-mem.h"

#define VIRTQ_MAX_SIZE 32768   /* virtio 1.2 §2.7: Queue Size ≤ 32768 */

/* Descriptor flags, virtio 1.2 §2.7.5 */
#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4

/* virtio 1.2 §2.7.6: the driver asks us not to interrupt */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

/* virtio 1.2 §6: VIRTIO_F_EVENT_IDX — used_event / avail_event words */
#define VIRTIO_F_EVENT_IDX 29

/* Ring layouts as they sit in guest memory (little-endian; x86 host).
 * Naturally aligned, no padding: the checks in virtq_map() make the host
 * views aligned too, so the index words can be accessed atomically. */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
_Static_assert(sizeof(struct virtq_desc) == 16, "virtio 1.2 §2.7.5");

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtio 1.2 §2.7.8");

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];
};

/* Counters the control socket reports (read without the lock: they only
 * grow, and a torn read of a statistic is harmless). */
struct virtq_stats {
	uint64_t kicks;       /* driver → device notifications */
	uint64_t interrupts;  /* device → driver notifications sent */
	uint64_t chains;      /* descriptor chains consumed */
};

struct virtq {
	/* Set by the transport (PCI registers or vhost-user messages). */
	uint16_t size;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool enabled;
	bool indirect;         /* VIRTIO_F_INDIRECT_DESC was negotiated */
	bool event_idx;        /* VIRTIO_F_EVENT_IDX was negotiated */
	int kick_fd;           /* eventfd the driver's notifications arrive on */
	int call_fd;           /* eventfd we write to interrupt the driver */

	/* Device-side state. */
	uint16_t last_avail;   /* next avail->ring slot we will read */
	uint16_t used_idx;     /* our copy of used->idx */
	bool broken;
	const char *broken_reason;  /* static string */
	uint16_t signalled_used;    /* used_idx at the last virtq_notify() (EVENT_IDX) */
	bool signalled_used_valid;

	struct virtq_desc *desc;    /* host views of the rings, from virtq_map() */
	struct virtq_avail *avail;
	struct virtq_used *used;

	struct virtq_stats stats;
};

/* One validated chain.  iov[0 .. n_out) are device-readable ("out" from the
 * driver's point of view), iov[n_out .. n_out + n_in) device-writable. */
struct virtq_chain {
	uint16_t head;
	unsigned int n_out, n_in;
	uint64_t out_len, in_len;  /* bytes */
	struct iovec iov[];
};

/* What "save-state" keeps of a queue: the transport's registers and our
 * position in the rings (the rings themselves are in guest RAM, saved
 * with it).  Fixed layout: it goes into the state file as is. */
struct virtq_saved {
	uint64_t desc_gpa, avail_gpa, used_gpa;
	uint16_t size, last_avail, used_idx, signalled_used;
	uint8_t enabled, indirect, event_idx, signalled_used_valid;
	uint32_t pad;
};

/* Copy out / put back a queue's state (fds and counters stay as they
 * are).  virtq_load() maps an enabled queue again: false, queue marked
 * broken, if the rings are no longer where guest RAM is. */
void virtq_save(const struct virtq *vq, struct virtq_saved *s);
bool virtq_load(struct virtq *vq, const struct virtq_saved *s, const struct guest_mem *mem);

/* Reset to the state after device reset (virtio 1.2 §2.4): fds are kept. */
void virtq_reset(struct virtq *vq);

/* Resolve the three rings in guest memory.  Call when the driver enables
 * the queue (and again if the memory map changes).  Returns false, and
 * marks the queue broken, if the size is not a power of two ≤ 32768 or a
 * ring is not wholly in guest RAM or misaligned (virtio 1.2 §2.7 table). */
bool virtq_map(struct virtq *vq, const struct guest_mem *mem);

/* Next available chain, or NULL if there is none or the queue is broken
 * (check vq->broken).  Free with virtq_push() or virtq_chain_free().
 * With EVENT_IDX, finding the ring empty also asks the driver to notify
 * us when it adds the next chain (avail_event, virtio 1.2 §2.7.10). */
struct virtq_chain *virtq_pop(struct virtq *vq, const struct guest_mem *mem);

/* Return a chain to the driver with `written` bytes written into its
 * device-writable buffers, and free it. */
void virtq_push(struct virtq *vq, struct virtq_chain *chain, uint32_t written);

void virtq_chain_free(struct virtq_chain *chain);

/* Interrupt the driver unless it asked not to be: VIRTQ_AVAIL_F_NO_INTERRUPT,
 * or with EVENT_IDX unless used->idx has passed its used_event (virtio 1.2
 * §2.7.10).  Call once after a batch of virtq_push().  Returns true if the
 * call eventfd was written. */
bool virtq_notify(struct virtq *vq);

/* True when the driver has made buffers available we have not taken. */
bool virtq_has_work(const struct virtq *vq);

/* Copy helpers over a chain's iovecs. */
size_t iov_to_buf(const struct iovec *iov, unsigned int n, size_t offset, void *buf, size_t len);
size_t iov_from_buf(const struct iovec *iov, unsigned int n, size_t offset, const void *buf, size_t len);
