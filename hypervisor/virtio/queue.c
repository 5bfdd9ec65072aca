/* queue.c — walk and validate split-virtqueue descriptor chains.
 *
 * The guest owns the rings and can rewrite them while we read, so each
 * descriptor is copied once into a local variable and only the copy is
 * checked and used (no time-of-check/time-of-use gap).  Indices published
 * by the driver are read with acquire semantics and ours are published with
 * release semantics: virtio 1.2 §2.7.13 and §2.7.8 order the ring updates
 * against the index updates.
 */
#include "queue.h"

#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
virtq_break(struct virtq *vq, const char *reason)
{
	if (!vq->broken) {
		vq->broken = true;
		vq->broken_reason = reason;
	}
}

void
virtq_reset(struct virtq *vq)
{
	int kick_fd = vq->kick_fd;
	int call_fd = vq->call_fd;
	struct virtq_stats stats = vq->stats;

	memset(vq, 0, sizeof(*vq));
	vq->kick_fd = kick_fd;
	vq->call_fd = call_fd;
	vq->stats = stats;   /* counters survive a reset: they are history */
}

void
virtq_save(const struct virtq *vq, struct virtq_saved *s)
{
	memset(s, 0, sizeof(*s));
	s->desc_gpa = vq->desc_gpa;
	s->avail_gpa = vq->avail_gpa;
	s->used_gpa = vq->used_gpa;
	s->size = vq->size;
	s->last_avail = vq->last_avail;
	s->used_idx = vq->used_idx;
	s->signalled_used = vq->signalled_used;
	s->enabled = vq->enabled;
	s->indirect = vq->indirect;
	s->event_idx = vq->event_idx;
	s->signalled_used_valid = vq->signalled_used_valid;
}

bool
virtq_load(struct virtq *vq, const struct virtq_saved *s, const struct guest_mem *mem)
{
	virtq_reset(vq);
	vq->desc_gpa = s->desc_gpa;
	vq->avail_gpa = s->avail_gpa;
	vq->used_gpa = s->used_gpa;
	vq->size = s->size;
	vq->last_avail = s->last_avail;
	vq->used_idx = s->used_idx;
	vq->signalled_used = s->signalled_used;
	vq->indirect = s->indirect;
	vq->event_idx = s->event_idx;
	vq->signalled_used_valid = s->signalled_used_valid;
	if (!s->enabled)
		return true;
	if (!virtq_map(vq, mem))
		return false;
	vq->enabled = true;
	return true;
}

bool
virtq_map(struct virtq *vq, const struct guest_mem *mem)
{
	uint64_t n = vq->size;

	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;

	if (n == 0 || n > VIRTQ_MAX_SIZE || (n & (n - 1)) != 0) {
		virtq_break(vq, "queue size is not a power of two up to 32768");
		return false;
	}
	/* virtio 1.2 §2.7, "Queue Part" table: alignment 16, 2 and 4 bytes. */
	if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3)) {
		virtq_break(vq, "ring address is misaligned");
		return false;
	}
	/* Sizes include the trailing used_event / avail_event words. */
	vq->desc = guest_mem_translate(mem, vq->desc_gpa, 16 * n);
	vq->avail = guest_mem_translate(mem, vq->avail_gpa, 6 + 2 * n);
	vq->used = guest_mem_translate(mem, vq->used_gpa, 6 + 8 * n);
	if (!vq->desc || !vq->avail || !vq->used) {
		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
		virtq_break(vq, "ring lies outside guest memory");
		return false;
	}
	return true;
}

bool
virtq_has_work(const struct virtq *vq)
{
	if (vq->broken || !vq->avail)
		return false;
	return __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE) != vq->last_avail;
}

/* Append one iovec, growing the chain as needed. */
static void
chain_append(struct virtq_chain **chainp, unsigned int *cap, void *hva, size_t len)
{
	struct virtq_chain *chain = *chainp;

	if (chain->n_out + chain->n_in == *cap) {
		*cap *= 2;
		chain = g_realloc(chain, sizeof(*chain) + *cap * sizeof(struct iovec));
		*chainp = chain;
	}
	chain->iov[chain->n_out + chain->n_in] = (struct iovec) { hva, len };
}

/* Append one guest buffer, split where it crosses from one memory region
 * into the next.  Returns false if any byte of it is not guest RAM. */
static bool
chain_add_buffer(struct virtq_chain **chainp, unsigned int *cap, const struct guest_mem *mem,
                 uint64_t gpa, uint32_t len, bool writable)
{
	while (len > 0) {
		void *hva = NULL;
		uint64_t avail = guest_mem_contiguous(mem, gpa, &hva);
		uint32_t piece;

		if (avail == 0)
			return false;
		piece = (uint32_t) MIN(avail, (uint64_t) len);
		chain_append(chainp, cap, hva, piece);
		if (writable)
			(*chainp)->n_in++;
		else
			(*chainp)->n_out++;
		gpa += piece;
		len -= piece;
	}
	return true;
}

struct virtq_chain *
virtq_pop(struct virtq *vq, const struct guest_mem *mem)
{
	const struct virtq_desc *table;
	struct virtq_chain *chain;
	unsigned int cap = 8;
	uint32_t table_size, count = 0;
	uint16_t avail_idx, head, idx;
	bool indirect_seen = false;

	if (vq->broken || !vq->enabled || !vq->desc)
		return NULL;

	avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	if (avail_idx == vq->last_avail) {
		if (!vq->event_idx)
			return NULL;
		/* virtio 1.2 §2.7.10: "notify me when you make index
		 * last_avail available" (avail_event sits after the used ring),
		 * then look again — the driver may have added a chain before it
		 * saw our word, and then it will not notify. */
		__atomic_store_n((uint16_t *) &vq->used->ring[vq->size], vq->last_avail, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
		if (avail_idx == vq->last_avail)
			return NULL;
	}
	/* virtio 1.2 §2.7.6: idx only ever runs ahead by at most the ring size. */
	if ((uint16_t) (avail_idx - vq->last_avail) > vq->size) {
		virtq_break(vq, "available index ran ahead by more than the queue size");
		return NULL;
	}

	head = __atomic_load_n(&vq->avail->ring[vq->last_avail % vq->size], __ATOMIC_RELAXED);
	if (head >= vq->size) {
		virtq_break(vq, "available ring names a descriptor past the table");
		return NULL;
	}

	chain = g_malloc0(sizeof(*chain) + cap * sizeof(struct iovec));
	chain->head = head;
	table = vq->desc;
	table_size = vq->size;
	idx = head;

	for (;;) {
		struct virtq_desc d;

		memcpy(&d, &table[idx], sizeof(d));   /* one read; use only the copy */

		/* A valid chain visits each descriptor of its table at most once. */
		if (++count > table_size) {
			virtq_break(vq, "descriptor chain loops");
			goto fail;
		}

		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* virtio 1.2 §2.7.5.3.1: only if negotiated, never with NEXT,
			 * never inside an indirect table; like QEMU we accept it only
			 * as the head of the chain. */
			if (!vq->indirect || indirect_seen || count != 1 ||
			    (d.flags & VIRTQ_DESC_F_NEXT)) {
				virtq_break(vq, "misplaced indirect descriptor");
				goto fail;
			}
			if (d.len == 0 || d.len % sizeof(struct virtq_desc) != 0 ||
			    d.len / sizeof(struct virtq_desc) > VIRTQ_MAX_SIZE) {
				virtq_break(vq, "indirect table has a bad length");
				goto fail;
			}
			table = guest_mem_translate(mem, d.addr, d.len);
			if (!table || (d.addr & 15) != 0) {
				virtq_break(vq, "indirect table lies outside guest memory");
				goto fail;
			}
			table_size = d.len / sizeof(struct virtq_desc);
			indirect_seen = true;
			count = 0;
			idx = 0;
			continue;
		}

		if (d.flags & VIRTQ_DESC_F_WRITE) {
			chain->in_len += d.len;
			if (!chain_add_buffer(&chain, &cap, mem, d.addr, d.len, true))
				goto out_of_range;
		} else {
			/* virtio 1.2 §2.7.4.2: readable buffers come first. */
			if (chain->n_in > 0) {
				virtq_break(vq, "device-readable buffer after a writable one");
				goto fail;
			}
			chain->out_len += d.len;
			if (!chain_add_buffer(&chain, &cap, mem, d.addr, d.len, false))
				goto out_of_range;
		}
		/* The used ring reports written bytes in 32 bits. */
		if (chain->in_len > UINT32_MAX || chain->out_len > UINT32_MAX) {
			virtq_break(vq, "descriptor chain longer than 4 GiB");
			goto fail;
		}

		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		idx = d.next;
		if (idx >= table_size) {
			virtq_break(vq, "next index points past the descriptor table");
			goto fail;
		}
	}

	vq->last_avail++;
	vq->stats.chains++;
	return chain;

out_of_range:
	virtq_break(vq, "buffer address outside guest memory");
fail:
	g_free(chain);
	return NULL;
}

void
virtq_chain_free(struct virtq_chain *chain)
{
	g_free(chain);
}

void
virtq_push(struct virtq *vq, struct virtq_chain *chain, uint32_t written)
{
	if (vq->used) {
		struct virtq_used_elem *e = &vq->used->ring[vq->used_idx % vq->size];

		e->id = chain->head;
		e->len = written;
		vq->used_idx++;
		/* The element must be visible before the index (§2.7.8). */
		__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
	}
	g_free(chain);
}

bool
virtq_notify(struct virtq *vq)
{
	uint64_t one = 1;

	if (!vq->avail)
		return false;
	/* Our used->idx store must be ordered before reading the driver's
	 * flags, or both sides may decide the other needs no notification. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->event_idx) {
		/* virtio 1.2 §2.7.10: interrupt only if used->idx went past
		 * used_event (after the available ring) since the last time we
		 * asked — vring_need_event() in the spec's terms. */
		uint16_t event = __atomic_load_n(&vq->avail->ring[vq->size], __ATOMIC_RELAXED);
		uint16_t old = vq->signalled_used, new = vq->used_idx;
		bool valid = vq->signalled_used_valid;

		vq->signalled_used = new;
		vq->signalled_used_valid = true;
		if (valid && (uint16_t) (new - event - 1) >= (uint16_t) (new - old))
			return false;
	} else if (__atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED) & VIRTQ_AVAIL_F_NO_INTERRUPT) {
		return false;
	}
	if (vq->call_fd < 0)
		return false;
	if (write(vq->call_fd, &one, sizeof(one)) != sizeof(one))
		return false;
	__atomic_fetch_add(&vq->stats.interrupts, 1, __ATOMIC_RELAXED);
	return true;
}

/* Copies between a flat buffer and the bytes of @iov from @offset on, in
 * the direction @to_iov says; returns how many bytes it copied. */
static size_t
iov_copy(const struct iovec *iov, unsigned int n, size_t offset, uint8_t *buf, size_t len, bool to_iov)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		if (offset >= iov[i].iov_len) {
			offset -= iov[i].iov_len;
			continue;
		}
		size_t chunk = MIN(iov[i].iov_len - offset, len - done);
		uint8_t *part = (uint8_t *) iov[i].iov_base + offset;

		if (to_iov)
			memcpy(part, buf + done, chunk);
		else
			memcpy(buf + done, part, chunk);
		done += chunk;
		offset = 0;
	}
	return done;
}

size_t
iov_to_buf(const struct iovec *iov, unsigned int n, size_t offset, void *buf, size_t len)
{
	return iov_copy(iov, n, offset, buf, len, false);
}

size_t
iov_from_buf(const struct iovec *iov, unsigned int n, size_t offset, const void *buf, size_t len)
{
	/* Only read from: iov_copy() writes to @buf only when !to_iov. */
	return iov_copy(iov, n, offset, (uint8_t *) buf, len, true);
}
