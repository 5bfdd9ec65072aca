/* net.c — virtio-net (virtio 1.2 §5.1): one or more queue pairs in front
 * of host backends (hypervisor/net/backend.h), one backend per pair.
 * §5.1.2: queue 2k is receiveq(k+1), 2k+1 transmitq(k+1); with more than
 * one pair (a multiqueue tap) the control queue follows the last pair.
 *
 * Features (§5.1.3) offered:
 *   - VIRTIO_NET_F_MAC: the address is in config space (§5.1.4).
 *   - VIRTIO_NET_F_STATUS: config `status` says whether the link is up; it
 *     goes down when the backend does (a tap deleted under us), with a
 *     configuration change interrupt (§5.1.4.2, §2.5.1).
 *   - VIRTIO_NET_F_MRG_RXBUF: a received frame may span several receive
 *     buffers, num_buffers in the first header says how many (§5.1.6.4).
 *   - only when the backend passes struct virtio_net_hdr through untouched
 *     (a tap with IFF_VNET_HDR): CSUM, HOST_TSO4/6, HOST_ECN (the guest
 *     may send partially checksummed and unsegmented frames, the host
 *     kernel finishes them) and GUEST_CSUM, GUEST_TSO4/6, GUEST_ECN (the
 *     host may hand us such frames: TUNSETOFFLOAD with what the driver
 *     accepted).  With libslirp every frame is complete: no offloads.
 *   - only with more than one queue pair: VIRTIO_NET_F_CTRL_VQ and
 *     VIRTIO_NET_F_MQ (§5.1.6.5.5): max_virtqueue_pairs in config space,
 *     the driver picks how many it uses with VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET
 *     on the control queue.  Until then (and without MQ) only the first
 *     pair works; each pair has its own tap fd, and the backends of unused
 *     pairs are taken out of the tap's queue set so the kernel steers no
 *     flow there (the "automatic receive steering" is the tap's flow hash).
 *     Behind vhost-user the front-end (QEMU) keeps the control queue and
 *     enables the rings of the pairs the driver chose: the pairs in use
 *     follow those enables instead (net_ring_enable).
 *
 * Every frame carries the 12-byte struct virtio_net_hdr first (§5.1.6:
 * with VIRTIO_F_VERSION_1 num_buffers is always there).
 *
 * Receive (§5.1.6.4): chains taken off the receive ring wait in a stash
 * until a frame fills them.  A backend that reads frames with the header
 * (a tap) reads each one straight into the stashed buffers when they have
 * room for the largest frame (net_receive_direct: one copy, the kernel's,
 * as vhost-net); otherwise the backend's copy is copied in (net_receive).
 *
 * What a guest can get wrong in a transmitted frame — a chain shorter
 * than the header, a frame longer than 64 KiB, a runt, a header asking for
 * an offload it did not negotiate or a checksum outside the frame — drops
 * that frame and counts it (tx "drops"); the device carries on, as a NIC
 * drops a bad descriptor.  Chains that break the ring itself are queue.c's
 * to catch: the device then needs a reset (§2.1.2).
 */
#include "device.h"

#include <errno.h>
#include <glib.h>
#include <limits.h>
#include <string.h>

#include "backend.h"

#define QUEUE_SIZE 256
#define RXQ(pair) (2 * (pair))
#define TXQ(pair) (2 * (pair) + 1)

/* §5.1.3 feature bits */
#define VIRTIO_NET_F_CSUM       0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC        5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN  9
#define VIRTIO_NET_F_HOST_TSO4  11
#define VIRTIO_NET_F_HOST_TSO6  12
#define VIRTIO_NET_F_HOST_ECN   13
#define VIRTIO_NET_F_MRG_RXBUF  15
#define VIRTIO_NET_F_STATUS     16
#define VIRTIO_NET_F_CTRL_VQ    17
#define VIRTIO_NET_F_MQ         22

/* §5.1.6.5 control queue */
#define VIRTIO_NET_OK  0
#define VIRTIO_NET_ERR 1
#define VIRTIO_NET_CTRL_MQ 4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN 1

#define VIRTIO_NET_S_LINK_UP 1   /* §5.1.4 */

/* §5.1.6 */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE  0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_TCPV6 4
#define VIRTIO_NET_HDR_GSO_ECN   0x80

#define ETH_HLEN 14

#define F(bit) (1ull << (bit))

struct virtio_net_config {
	uint8_t mac[6];
	uint16_t status;
	uint16_t max_virtqueue_pairs;
} __attribute__((packed));

struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
} __attribute__((packed));
_Static_assert(sizeof(struct virtio_net_hdr) == NET_VNET_HDR_LEN, "virtio 1.2 §5.1.6");

struct net_counters {
	uint64_t packets, bytes, drops;
};

struct virtio_net;

/* One receive/transmit pair and the backend (tap fd) behind it. */
struct net_pair {
	struct virtio_net *n;
	unsigned int index;
	struct net_backend *be;

	/* Receive chains taken off the ring but not yet used: with
	 * MRG_RXBUF a frame waits until they add up to its size, and queue.c
	 * cannot put a chain back. */
	struct virtq_chain *stash[QUEUE_SIZE];
	unsigned int n_stash;
	uint64_t stash_bytes;
	/* A chain too short for a header was used while others sat in the
	 * stash: the stash is then not the last chains taken, and save-state
	 * cannot hand it back by moving last_avail (net_can_save). */
	bool stash_gap;

	struct net_counters rx, tx;
};

struct virtio_net {
	struct virtio_device dev;
	struct virtio_net_config config;
	struct net_backend *be;        /* pairs[0].be: offloads, link, stats */
	char mac_text[18];

	bool mac_made_up;              /* no mac= given: --restore takes the saved one */

	unsigned int n_pairs;          /* max_virtqueue_pairs */
	unsigned int active_pairs;     /* what the driver set (§5.1.6.5.5), 1 until then */
	/* vhost-user: the rings the front-end enabled (bit i: queue i);
	 * while any is, they alone say which pairs are in use (net_ring_enable). */
	uint32_t rings_enabled;
	struct net_pair pairs[NET_MAX_QUEUE_PAIRS];
	struct net_counters ctrl;      /* packets: commands, drops: refused ones */

	/* Linear copy for a frame spread over more pieces than writev takes. */
	uint8_t tx_buf[NET_MAX_FRAME];
};

static void
count(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static bool
has(struct virtio_device *dev, unsigned int bit)
{
	return dev->driver_features & F(bit);
}

/* Copy `len` bytes from src (from soff) to dst (from doff). */
static size_t
iov_copy_iov(const struct iovec *dst, unsigned int dn, size_t doff,
             const struct iovec *src, unsigned int sn, size_t soff, size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < sn && done < len; i++) {
		if (soff >= src[i].iov_len) {
			soff -= src[i].iov_len;
			continue;
		}
		size_t chunk = MIN(src[i].iov_len - soff, len - done);
		size_t n = iov_from_buf(dst, dn, doff + done, (uint8_t *) src[i].iov_base + soff, chunk);

		done += n;
		if (n < chunk)
			break;
		soff = 0;
	}
	return done;
}

static size_t
iov_length(const struct iovec *iov, unsigned int n)
{
	size_t len = 0;

	for (unsigned int i = 0; i < n; i++)
		len += iov[i].iov_len;
	return len;
}

static void
stash_clear(struct net_pair *n)
{
	for (unsigned int i = 0; i < n->n_stash; i++)
		virtq_chain_free(n->stash[i]);
	n->n_stash = 0;
	n->stash_bytes = 0;
	n->stash_gap = false;
}

static void
stash_take(struct net_pair *n, unsigned int count_)
{
	memmove(n->stash, n->stash + count_, (n->n_stash - count_) * sizeof(n->stash[0]));
	n->n_stash -= count_;
	n->stash_bytes = 0;
	for (unsigned int i = 0; i < n->n_stash; i++)
		n->stash_bytes += n->stash[i]->in_len;
	if (n->n_stash == 0)
		n->stash_gap = false;
}

/* Take receive chains off the ring until `need` bytes fit (or one chain,
 * without MRG_RXBUF, where a frame must fit one buffer: §5.1.6.3.1). */
static void
stash_fill(struct net_pair *n, uint64_t need, bool mergeable)
{
	struct virtio_device *dev = &n->n->dev;
	struct virtq *vq = &dev->vqs[RXQ(n->index)];
	struct virtq_chain *chain;

	while (n->n_stash < QUEUE_SIZE && (n->n_stash == 0 || (mergeable && n->stash_bytes < need))) {
		chain = virtq_pop(vq, dev->mem);
		if (chain == NULL)
			break;
		if (chain->in_len < NET_VNET_HDR_LEN) {
			/* No room even for the header: hand it back empty. */
			if (n->n_stash > 0)
				n->stash_gap = true;
			virtq_push(vq, chain, 0);
			count(&n->rx.drops, 1);
			continue;
		}
		n->stash[n->n_stash++] = chain;
		n->stash_bytes += chain->in_len;
	}
	if (vq->broken) {
		char reason[128];

		g_snprintf(reason, sizeof(reason), "queue %u: %s", RXQ(n->index), vq->broken_reason);
		virtio_device_set_broken(dev, reason);
	}
}

/* ---- host → guest ---------------------------------------------------- */

/* §5.1.6.4.1: the driver gets nothing it did not accept.  Clears what
 * may be cleared (a checksum hint); false when the frame must be dropped
 * (segmentation it cannot take). */
static bool
rx_header_ok(struct virtio_device *dev, struct virtio_net_hdr *h)
{
	if (!has(dev, VIRTIO_NET_F_GUEST_CSUM))
		h->flags = 0;
	switch (h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE:
		break;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		if (!has(dev, VIRTIO_NET_F_GUEST_TSO4))
			return false;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (!has(dev, VIRTIO_NET_F_GUEST_TSO6))
			return false;
		break;
	default:
		return false;
	}
	return !(h->gso_type & VIRTIO_NET_HDR_GSO_ECN) || has(dev, VIRTIO_NET_F_GUEST_ECN);
}

/* Can the stash take a frame of `need` bytes, header included?  Takes
 * chains off the ring as it needs them.  False: not now (the driver may
 * post more); *too_big: never (it cannot fit, drop it). */
static bool
stash_room(struct net_pair *n, uint64_t need, bool *too_big)
{
	bool mergeable = has(&n->n->dev, VIRTIO_NET_F_MRG_RXBUF);

	*too_big = false;
	stash_fill(n, need, mergeable);
	if (n->n->dev.broken || n->n_stash == 0)
		return false;
	if (!mergeable) {
		/* §5.1.6.3.1: without MRG_RXBUF a frame fits one buffer. */
		*too_big = n->stash[0]->in_len < need;
		return !*too_big;
	}
	if (n->stash_bytes >= need)
		return true;
	*too_big = n->n_stash == QUEUE_SIZE;   /* the whole ring is not enough */
	return false;
}

/* The frame of `len` bytes (header included) now fills the first stashed
 * chains: set num_buffers in its header (§5.1.6.4: how many buffers it
 * took), put them on the used ring and tell the driver. */
static void
rx_push_frame(struct net_pair *n, size_t len)
{
	struct virtq *vq = &n->n->dev.vqs[RXQ(n->index)];
	uint16_t used = 0;
	size_t done = 0;

	while (done < len) {
		done += MIN(n->stash[used]->in_len, len - done);
		used++;
	}
	iov_from_buf(n->stash[0]->iov + n->stash[0]->n_out, n->stash[0]->n_in,
	             offsetof(struct virtio_net_hdr, num_buffers), &used, sizeof(used));
	done = 0;
	for (unsigned int i = 0; i < used; i++) {
		struct virtq_chain *c = n->stash[i];
		size_t w = MIN(c->in_len, len - done);

		done += w;
		n->stash[i] = NULL;
		virtq_push(vq, c, w);
	}
	stash_take(n, used);
	count(&n->rx.packets, 1);
	count(&n->rx.bytes, len - NET_VNET_HDR_LEN);
	virtq_notify(vq);
}

/* May this pair take frames now?  §5.1.6.5.5: nothing on a pair the
 * driver does not use. */
static bool
rx_open(struct net_pair *n)
{
	struct virtio_device *dev = &n->n->dev;
	struct virtq *vq = &dev->vqs[RXQ(n->index)];

	return dev->started && !dev->broken && vq->enabled && !vq->broken && n->index < n->n->active_pairs;
}

/* The backend's frame goes into the guest's receive buffers (§5.1.6.4).
 * False: no buffers now, offer it again after rx_ready. */
static bool
net_receive(void *opaque, const struct iovec *iov, unsigned int niov)
{
	struct net_pair *n = opaque;
	struct virtio_device *dev = &n->n->dev;
	struct virtio_net_hdr h = { 0 };
	size_t total = iov_length(iov, niov), off = n->be->vnet_hdr_len, frame_len, need, done = 0;
	bool accepted = true, too_big;

	pthread_mutex_lock(&dev->lock);
	if (!rx_open(n)) {
		accepted = false;
		goto out;
	}
	if (total <= off) {
		count(&n->rx.drops, 1);
		goto out;
	}
	frame_len = total - off;
	if (off)
		iov_to_buf(iov, niov, 0, &h, sizeof(h));
	if (!rx_header_ok(dev, &h)) {
		count(&n->rx.drops, 1);
		goto out;
	}
	need = NET_VNET_HDR_LEN + frame_len;
	if (!stash_room(n, need, &too_big)) {
		if (too_big)
			count(&n->rx.drops, 1);   /* larger than the guest's buffers take */
		else
			accepted = false;         /* wait for the driver to post more */
		goto out;
	}
	/* Scatter header + frame over as many chains as it takes. */
	for (unsigned int i = 0; done < need; i++) {
		struct virtq_chain *c = n->stash[i];
		const struct iovec *in = c->iov + c->n_out;
		size_t room = MIN(c->in_len, need - done), w = 0;

		if (i == 0) {
			iov_from_buf(in, c->n_in, 0, &h, sizeof(h));
			w = sizeof(h);
		}
		w += iov_copy_iov(in, c->n_in, w, iov, niov, off + (done + w - sizeof(h)), room - w);
		done += w;
	}
	rx_push_frame(n, need);
out:
	pthread_mutex_unlock(&dev->lock);
	return accepted;
}

/* The same, with one copy less: the backend reads the frame straight into
 * the guest's buffers, as vhost-net does in the kernel.  A tap cannot say
 * how long its next frame is before the read, so the buffers offered are
 * room for the largest (NET_MAX_FRAME); what the frame does not fill stays
 * in the stash for the next.  False: not that much room now, or the pair
 * takes no frames (the backend then reads into its own buffer and uses
 * net_receive, which waits for room). */
static bool
net_receive_direct(void *opaque, net_read_fn read_frame, void *ctx, ssize_t *result)
{
	struct net_pair *n = opaque;
	struct virtio_device *dev = &n->n->dev;
	struct iovec iov[IOV_MAX];
	struct virtio_net_hdr h;
	size_t need = NET_VNET_HDR_LEN + NET_MAX_FRAME, room = 0;
	unsigned int k = 0;
	bool too_big, ok = false;

	pthread_mutex_lock(&dev->lock);
	if (!rx_open(n) || n->be->vnet_hdr_len != NET_VNET_HDR_LEN || !stash_room(n, need, &too_big))
		goto out;
	for (unsigned int i = 0; i < n->n_stash && room < need; i++) {
		const struct virtq_chain *c = n->stash[i];

		for (unsigned int j = c->n_out; j < c->n_out + c->n_in && room < need; j++) {
			if (k == G_N_ELEMENTS(iov))
				goto out;   /* scattered finer than readv takes */
			iov[k] = c->iov[j];
			iov[k].iov_len = MIN(iov[k].iov_len, need - room);
			room += iov[k++].iov_len;
		}
	}
	/* The header lands in the first chain (at least 12 bytes long:
	 * stash_fill), maybe split over its descriptors; iov_to_buf and
	 * iov_from_buf below read and write it across them. */
	ok = true;
	*result = read_frame(ctx, iov, k);
	if (*result < 0) {
		int err = errno;   /* read_frame's, for the backend */

		pthread_mutex_unlock(&dev->lock);
		errno = err;
		return true;
	}
	if (*result <= (ssize_t) NET_VNET_HDR_LEN) {
		count(&n->rx.drops, 1);   /* nothing but a header: not a frame */
		goto out;
	}
	/* The header the host wrote, checked as net_receive does; a frame
	 * dropped leaves its buffers in the stash, to be written over. */
	iov_to_buf(iov, k, 0, &h, sizeof(h));
	if (!rx_header_ok(dev, &h)) {
		count(&n->rx.drops, 1);
		goto out;
	}
	iov_from_buf(iov, k, 0, &h, sizeof(h));
	rx_push_frame(n, *result);
out:
	pthread_mutex_unlock(&dev->lock);
	return ok;
}

static void
net_link_changed(void *opaque, bool up)
{
	struct virtio_net *n = ((struct net_pair *) opaque)->n;

	pthread_mutex_lock(&n->dev.lock);
	n->config.status = up ? VIRTIO_NET_S_LINK_UP : 0;
	pthread_mutex_unlock(&n->dev.lock);
	virtio_device_config_changed(&n->dev);
}

/* ---- guest → host ---------------------------------------------------- */

/* Is this header one we may pass on?  (§5.1.6.2.1: the driver sets only
 * what it negotiated.) */
static bool
tx_header_ok(struct virtio_net *n, const struct virtio_net_hdr *h, size_t frame_len)
{
	struct virtio_device *dev = &n->dev;

	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (!has(dev, VIRTIO_NET_F_CSUM))
			return false;
		if ((size_t) h->csum_start + h->csum_offset + 2 > frame_len)
			return false;
	}
	switch (h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return !(h->gso_type & VIRTIO_NET_HDR_GSO_ECN);
	case VIRTIO_NET_HDR_GSO_TCPV4:
		if (!has(dev, VIRTIO_NET_F_HOST_TSO4))
			return false;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (!has(dev, VIRTIO_NET_F_HOST_TSO6))
			return false;
		break;
	default:
		return false;
	}
	if ((h->gso_type & VIRTIO_NET_HDR_GSO_ECN) && !has(dev, VIRTIO_NET_F_HOST_ECN))
		return false;
	return h->gso_size != 0;
}

static void
net_transmit(struct virtio_net *vn, struct net_pair *n, struct virtq_chain *chain)
{
	struct virtio_net_hdr h;
	struct iovec out[64];
	unsigned int k = 0;
	size_t frame_len, skip = sizeof(h);

	if (chain->out_len < sizeof(h) || chain->out_len - sizeof(h) < ETH_HLEN ||
	    chain->out_len - sizeof(h) > NET_MAX_FRAME) {
		count(&n->tx.drops, 1);   /* no header, a runt, or oversize */
		return;
	}
	frame_len = chain->out_len - sizeof(h);
	/* Our copy of the header: what we check is what the host gets. */
	iov_to_buf(chain->iov, chain->n_out, 0, &h, sizeof(h));
	if (!tx_header_ok(vn, &h, frame_len)) {
		count(&n->tx.drops, 1);
		return;
	}
	if (n->be->vnet_hdr_len) {
		h.num_buffers = 0;
		out[k++] = (struct iovec) { &h, sizeof(h) };
	}
	for (unsigned int i = 0; i < chain->n_out; i++) {
		struct iovec v = chain->iov[i];

		if (skip >= v.iov_len) {
			skip -= v.iov_len;
			continue;
		}
		v.iov_base = (uint8_t *) v.iov_base + skip;
		v.iov_len -= skip;
		skip = 0;
		if (k == G_N_ELEMENTS(out)) {
			/* Scattered into many pieces: send one linear copy. */
			iov_to_buf(chain->iov, chain->n_out, sizeof(h), vn->tx_buf, frame_len);
			k = n->be->vnet_hdr_len ? 1 : 0;
			out[k++] = (struct iovec) { vn->tx_buf, frame_len };
			break;
		}
		out[k++] = v;
	}
	if (!n->be->ops->send(n->be, out, k)) {
		count(&n->tx.drops, 1);
		return;
	}
	count(&n->tx.packets, 1);
	count(&n->tx.bytes, frame_len);
}

/* §5.1.2: the control queue is queue 2N with MQ (N = max_virtqueue_pairs),
 * else queue 2. */
static unsigned int
ctrl_queue(struct virtio_net *n)
{
	return has(&n->dev, VIRTIO_NET_F_MQ) ? 2 * n->n_pairs : 2;
}

/* Pairs [0, count) take frames, the rest are out of the tap's set. */
static void
set_active_pairs(struct virtio_net *n, unsigned int count_)
{
	__atomic_store_n(&n->active_pairs, count_, __ATOMIC_RELAXED);   /* read by get_stats without the lock */
	for (unsigned int i = 1; i < n->n_pairs; i++) {
		struct net_backend *be = n->pairs[i].be;

		if (i >= count_)
			stash_clear(&n->pairs[i]);   /* §5.1.6.5.5: the driver takes them back */
		if (be->ops->set_queue_enabled)
			be->ops->set_queue_enabled(be, i < count_);
	}
}

/* One command (§5.1.6.5): struct virtio_net_ctrl { u8 class, command; }
 * and its data readable, one ack byte writable at the end. */
static uint8_t
net_ctrl_command(struct virtio_net *n, struct virtq_chain *chain)
{
	uint8_t hdr[2];
	uint16_t pairs;

	if (chain->out_len < sizeof(hdr) || chain->in_len < 1)
		return VIRTIO_NET_ERR;
	iov_to_buf(chain->iov, chain->n_out, 0, hdr, sizeof(hdr));
	if (hdr[0] != VIRTIO_NET_CTRL_MQ || hdr[1] != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET ||
	    !has(&n->dev, VIRTIO_NET_F_MQ) || chain->out_len < sizeof(hdr) + sizeof(pairs))
		return VIRTIO_NET_ERR;   /* nothing else offered (no CTRL_RX, VLAN, …) */
	iov_to_buf(chain->iov, chain->n_out, sizeof(hdr), &pairs, sizeof(pairs));
	/* §5.1.6.5.5.2: MIN ≤ pairs ≤ max_virtqueue_pairs, else an error. */
	if (pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || pairs > n->n_pairs)
		return VIRTIO_NET_ERR;
	set_active_pairs(n, pairs);
	/* The pairs now in use may have buffers and frames waiting. */
	for (unsigned int i = 0; i < pairs; i++)
		n->pairs[i].be->ops->rx_ready(n->pairs[i].be);
	return VIRTIO_NET_OK;
}

/* vhost-user: QEMU keeps the control queue to itself (its virtio-net
 * answers VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET) and passes the driver's choice
 * on as ring enables: pair k's two rings are enabled once the driver uses
 * more than k pairs, disabled when it uses fewer.  A driver uses pairs
 * 0 .. k-1 (§5.1.6.5.5), so the pairs in use are those, from the first,
 * whose rings are both enabled.  No ring enabled at all (a front-end that
 * never sends SET_VRING_ENABLE, or none connected): the state after
 * reset, one pair. */
static unsigned int
pairs_of_enabled_rings(struct virtio_net *n)
{
	unsigned int k = 0;

	if (n->rings_enabled == 0)
		return 1;
	while (k < n->n_pairs && (n->rings_enabled & (1u << RXQ(k))) && (n->rings_enabled & (1u << TXQ(k))))
		k++;
	return k;
}

static void
net_ring_enable(struct virtio_device *dev, unsigned int index, bool enabled)
{
	struct virtio_net *n = dev->priv;
	unsigned int pairs;

	if (index >= 2 * n->n_pairs)
		return;   /* the control queue is not ours to run under vhost-user */
	if (enabled)
		n->rings_enabled |= 1u << index;
	else
		n->rings_enabled &= ~(1u << index);
	pairs = pairs_of_enabled_rings(n);
	if (pairs == n->active_pairs)
		return;
	set_active_pairs(n, pairs);
	/* As after VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET: buffers and frames may wait. */
	if (dev->started)
		for (unsigned int i = 0; i < pairs; i++)
			n->pairs[i].be->ops->rx_ready(n->pairs[i].be);
}

static void
net_ctrl_kick(struct virtio_net *n, struct virtq *vq)
{
	struct virtq_chain *chain;
	bool pushed = false;

	while ((chain = virtq_pop(vq, n->dev.mem)) != NULL) {
		uint8_t ack = net_ctrl_command(n, chain);

		count(ack == VIRTIO_NET_OK ? &n->ctrl.packets : &n->ctrl.drops, 1);
		if (chain->in_len >= 1) {
			/* The ack is the last writable byte. */
			iov_from_buf(chain->iov + chain->n_out, chain->n_in, chain->in_len - 1, &ack, 1);
			virtq_push(vq, chain, 1);
		} else {
			virtq_push(vq, chain, 0);
		}
		pushed = true;
	}
	if (vq->broken)
		count(&n->ctrl.drops, 1);
	if (pushed)
		virtq_notify(vq);
}

static void
net_queue_kick(struct virtio_device *dev, unsigned int index)
{
	struct virtio_net *vn = dev->priv;
	struct virtq *vq = &dev->vqs[index];
	struct virtq_chain *chain;
	struct net_pair *n;
	bool pushed = false;

	if (has(dev, VIRTIO_NET_F_CTRL_VQ) && index == ctrl_queue(vn)) {
		net_ctrl_kick(vn, vq);
		return;
	}
	if (index / 2 >= vn->n_pairs)
		return;
	n = &vn->pairs[index / 2];
	if (index % 2 == 0) {
		/* New receive buffers: frames the backend held back may come. */
		if (n->index < vn->active_pairs)
			n->be->ops->rx_ready(n->be);
		return;
	}
	while ((chain = virtq_pop(vq, dev->mem)) != NULL) {
		/* A pair the driver did not enable has no fd in the tap. */
		if (n->index < vn->active_pairs)
			net_transmit(vn, n, chain);
		else
			count(&n->tx.drops, 1);
		virtq_push(vq, chain, 0);
		pushed = true;
	}
	if (vq->broken)
		count(&n->tx.drops, 1);   /* the chain that broke the ring */
	if (pushed)
		virtq_notify(vq);
}

/* ---- lifecycle --------------------------------------------------------- */

/* The host may hand the guest only what its driver accepted. */
static void
apply_offloads(struct virtio_device *dev)
{
	struct virtio_net *n = dev->priv;
	unsigned int offloads = 0;

	if (has(dev, VIRTIO_NET_F_GUEST_CSUM))
		offloads |= NET_OFFLOAD_CSUM;
	if (has(dev, VIRTIO_NET_F_GUEST_TSO4))
		offloads |= NET_OFFLOAD_TSO4;
	if (has(dev, VIRTIO_NET_F_GUEST_TSO6))
		offloads |= NET_OFFLOAD_TSO6;
	if (has(dev, VIRTIO_NET_F_GUEST_ECN))
		offloads |= NET_OFFLOAD_ECN;
	if (n->be->ops->set_offloads && !n->be->ops->set_offloads(n->be, offloads))
		g_printerr("glassbox-vmm: %s: TUNSETOFFLOAD %#x refused\n", n->be->description, offloads);
}

static void
net_start(struct virtio_device *dev)
{
	struct virtio_net *n = dev->priv;

	apply_offloads(dev);
	for (unsigned int i = 0; i < n->active_pairs; i++)
		n->pairs[i].be->ops->rx_ready(n->pairs[i].be);
}

static void
net_reset(struct virtio_device *dev)
{
	struct virtio_net *n = dev->priv;

	for (unsigned int i = 0; i < n->n_pairs; i++)
		stash_clear(&n->pairs[i]);
	/* §5.1.6.5.5: after reset only the first pair, until the driver says
	 * (under vhost-user the front-end's ring enables say it, and a reset
	 * there does not undo them: QEMU sends them again only when they
	 * change). */
	set_active_pairs(n, pairs_of_enabled_rings(n));
	if (n->be->ops->set_offloads)
		n->be->ops->set_offloads(n->be, 0);
}

static void
net_get_stats(struct virtio_device *dev, int queue, const struct virtio_stats_sink *sink)
{
	struct virtio_net *n = dev->priv;
	const struct net_counters *c;
	char name[16];

	if (queue < 0) {
		sink->add_string(sink->data, "mac", n->mac_text);
		sink->add_string(sink->data, "backend", n->be->description);
		sink->add_string(sink->data, "link", n->be->link_up ? "up" : "down");
		sink->add_int(sink->data, "queue-pairs", n->n_pairs);
		sink->add_int(sink->data, "active-pairs", __atomic_load_n(&n->active_pairs, __ATOMIC_RELAXED));
		return;
	}
	/* One pair: "rx", "tx" (as always); more: "rx0", "tx0", … "ctrl". */
	if ((unsigned int) queue >= 2 * n->n_pairs) {
		g_strlcpy(name, "ctrl", sizeof(name));
		c = &n->ctrl;
	} else {
		g_snprintf(name, sizeof(name), "%s", queue % 2 ? "tx" : "rx");
		if (n->n_pairs > 1)
			g_snprintf(name + 2, sizeof(name) - 2, "%u", queue / 2);
		c = queue % 2 ? &n->pairs[queue / 2].tx : &n->pairs[queue / 2].rx;
	}
	sink->add_string(sink->data, "name", name);
	sink->add_int(sink->data, "packets", __atomic_load_n(&c->packets, __ATOMIC_RELAXED));
	sink->add_int(sink->data, "bytes", __atomic_load_n(&c->bytes, __ATOMIC_RELAXED));
	sink->add_int(sink->data, "drops", __atomic_load_n(&c->drops, __ATOMIC_RELAXED));
}

/* ---- save-state -------------------------------------------------------- */

/* What the device keeps beyond its queues and config space (fixed
 * layout, in the file as is): the pairs the driver enabled with
 * VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET and the counters, so that query-stats
 * goes on counting.  The negotiated features, each queue's addresses and
 * positions are virtio/device.c's; the MAC and max_virtqueue_pairs are in
 * config space and must match (net_load_config).
 *
 * Not kept: frames in the backend that the guest has not been given yet
 * (the tap's queue, libslirp's output queue) and those the host had not
 * taken yet.  A network is allowed to lose frames — TCP retransmits, and
 * QEMU's virtio-net does not save its backend's queues either (it flushes
 * or drops them at stop) — but what is in the rings is exact: every
 * transmit chain is on the used ring before queue_kick returns, and the
 * receive chains held in the stash go into the file as still available
 * (net_unconsumed), to be taken again after the restore. */
struct net_saved {
	uint32_t active_pairs, pad;
	struct net_counters rx[NET_MAX_QUEUE_PAIRS], tx[NET_MAX_QUEUE_PAIRS], ctrl;
};

static bool
net_can_save(struct virtio_device *dev, char *why, size_t why_len)
{
	struct virtio_net *n = dev->priv;

	for (unsigned int i = 0; i < n->n_pairs; i++) {
		const char *refused = n->pairs[i].be->ops->save_refused;

		if (refused) {
			g_snprintf(why, why_len, "%s: %s", n->pairs[i].be->description, refused);
			return false;
		}
		if (n->pairs[i].stash_gap) {
			g_snprintf(why, why_len, "virtio-net: receive queue %u holds buffers out of order "
			           "(the driver posted one too short for a header); try again", RXQ(i));
			return false;
		}
	}
	return true;
}

static uint16_t
net_unconsumed(struct virtio_device *dev, unsigned int index)
{
	struct virtio_net *n = dev->priv;

	if (index % 2 != 0 || index / 2 >= n->n_pairs)
		return 0;   /* transmit and control queues hold nothing */
	return n->pairs[index / 2].n_stash;
}

/* The MAC and the pair count must be what the driver saw; the link status
 * is as the backend is now (a tap gone in between: the driver is told,
 * virtio_device_config_differs). */
static bool
net_load_config(struct virtio_device *dev, const void *saved, char *why, size_t why_len)
{
	struct virtio_net *n = dev->priv;
	struct virtio_net_config c;

	memcpy(&c, saved, sizeof(c));
	if (memcmp(c.mac, n->config.mac, 6) != 0 && n->mac_made_up) {
		/* The address was random: the one the guest knows wins. */
		memcpy(n->config.mac, c.mac, 6);
		g_snprintf(n->mac_text, sizeof(n->mac_text), "%02x:%02x:%02x:%02x:%02x:%02x",
		           c.mac[0], c.mac[1], c.mac[2], c.mac[3], c.mac[4], c.mac[5]);
	}
	if (memcmp(c.mac, n->config.mac, 6) != 0) {
		g_snprintf(why, why_len, "virtio-net: saved with MAC %02x:%02x:%02x:%02x:%02x:%02x, this one has %s "
		           "(--net needs mac= with the saved address)",
		           c.mac[0], c.mac[1], c.mac[2], c.mac[3], c.mac[4], c.mac[5], n->mac_text);
		return false;
	}
	if (c.max_virtqueue_pairs != n->config.max_virtqueue_pairs) {
		g_snprintf(why, why_len, "virtio-net %s: saved with %u queue pairs, this one has %u (queues=)",
		           n->mac_text, c.max_virtqueue_pairs, n->config.max_virtqueue_pairs);
		return false;
	}
	return true;
}

static void
net_save(struct virtio_device *dev, void *state)
{
	struct virtio_net *n = dev->priv;
	struct net_saved *s = state;

	s->active_pairs = n->active_pairs;
	for (unsigned int i = 0; i < n->n_pairs; i++) {
		s->rx[i] = n->pairs[i].rx;
		s->tx[i] = n->pairs[i].tx;
	}
	s->ctrl = n->ctrl;
}

static void
net_load(struct virtio_device *dev, const void *state)
{
	struct virtio_net *n = dev->priv;
	const struct net_saved *s = state;

	for (unsigned int i = 0; i < n->n_pairs; i++) {
		stash_clear(&n->pairs[i]);
		n->pairs[i].rx = s->rx[i];
		n->pairs[i].tx = s->tx[i];
	}
	n->ctrl = s->ctrl;
	/* The tap's queue set as the driver left it (a bad value from the
	 * file: the state after reset). */
	set_active_pairs(n, s->active_pairs >= 1 && s->active_pairs <= n->n_pairs ? s->active_pairs : 1);
	/* As net_start (driver_features are loaded: none before the driver
	 * negotiated), but the frames wait: the backends' sources run once
	 * the I/O thread does, and the restore kicks every live queue. */
	apply_offloads(dev);
}

void
virtio_net_set_mac_made_up(struct virtio_device *dev)
{
	struct virtio_net *n = dev->priv;

	n->mac_made_up = true;
}

static void
net_destroy(struct virtio_device *dev)
{
	struct virtio_net *n = dev->priv;

	for (unsigned int i = 0; i < n->n_pairs; i++) {
		stash_clear(&n->pairs[i]);
		net_backend_free(n->pairs[i].be);
	}
	g_free(n);
}

static const struct virtio_device_ops net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.num_queues = 2,
	.queue_max_size = QUEUE_SIZE,
	.queue_kick = net_queue_kick,
	.start = net_start,
	.reset = net_reset,
	.get_stats = net_get_stats,
	.destroy = net_destroy,
	.savable = true,
	.state_size = sizeof(struct net_saved),
	.save = net_save,
	.load = net_load,
	.can_save = net_can_save,
	.unconsumed = net_unconsumed,
	.load_config = net_load_config,
	.ring_enable = net_ring_enable,
};

struct virtio_device *
virtio_net_new(struct net_backend *be, const uint8_t mac[6])
{
	return virtio_net_new_mq(&be, 1, mac);
}

struct virtio_device *
virtio_net_new_mq(struct net_backend **bes, unsigned int n_pairs, const uint8_t mac[6])
{
	struct virtio_net *n = g_new0(struct virtio_net, 1);
	struct net_backend *be = bes[0];

	g_assert(n_pairs >= 1 && n_pairs <= NET_MAX_QUEUE_PAIRS);
	virtio_device_init(&n->dev, &net_ops);
	n->dev.priv = n;
	n->be = be;
	n->n_pairs = n_pairs;
	for (unsigned int i = 0; i < n_pairs; i++) {
		n->pairs[i].n = n;
		n->pairs[i].index = i;
		n->pairs[i].be = bes[i];
		bes[i]->client.receive = net_receive;
		bes[i]->client.receive_direct = net_receive_direct;
		bes[i]->client.link_changed = net_link_changed;
		bes[i]->client.opaque = &n->pairs[i];
	}
	if (n_pairs > 1) {
		/* 2N queues and the control queue (§5.1.2). */
		n->dev.num_queues = 2 * n_pairs + 1;
		n->dev.features |= F(VIRTIO_NET_F_CTRL_VQ) | F(VIRTIO_NET_F_MQ);
	}
	set_active_pairs(n, 1);
	memcpy(n->config.mac, mac, 6);
	g_snprintf(n->mac_text, sizeof(n->mac_text), "%02x:%02x:%02x:%02x:%02x:%02x",
	           mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	n->config.status = be->link_up ? VIRTIO_NET_S_LINK_UP : 0;
	n->config.max_virtqueue_pairs = n_pairs;
	n->dev.config = &n->config;
	n->dev.config_size = sizeof(n->config);
	n->dev.features |= F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS) | F(VIRTIO_NET_F_MRG_RXBUF);
	if (be->vnet_hdr_len == NET_VNET_HDR_LEN)
		n->dev.features |= F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_HOST_TSO4) | F(VIRTIO_NET_F_HOST_TSO6) |
		                   F(VIRTIO_NET_F_HOST_ECN) | F(VIRTIO_NET_F_GUEST_CSUM) |
		                   F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6) |
		                   F(VIRTIO_NET_F_GUEST_ECN);
	return &n->dev;
}
