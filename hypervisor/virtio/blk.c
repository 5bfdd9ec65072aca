/* blk.c — virtio-blk (virtio 1.2 §5.2) on the raw/qcow2 engine (block.h).
 *
 * A request is a chain: a 16-byte header the device reads, data (read for
 * writes, written for reads), and one status byte the device writes last.
 * The engine is thread-safe and synchronous; the front door decides which
 * thread runs queue_kick.
 */
#include "device.h"

#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"

/* Feature bits, §5.2.3 */
#define VIRTIO_BLK_F_SEG_MAX      2
#define VIRTIO_BLK_F_RO           5
#define VIRTIO_BLK_F_BLK_SIZE     6
#define VIRTIO_BLK_F_FLUSH        9
#define VIRTIO_BLK_F_DISCARD      13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Request types and status, §5.2.6 */
#define VIRTIO_BLK_T_IN           0
#define VIRTIO_BLK_T_OUT          1
#define VIRTIO_BLK_T_FLUSH        4
#define VIRTIO_BLK_T_GET_ID       8
#define VIRTIO_BLK_T_DISCARD      11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_ID_BYTES 20
#define SECTOR 512u
#define QUEUE_SIZE 128
#define MAX_DISCARD_SEGS 32

struct virtio_blk_config {           /* §5.2.4 */
	uint64_t capacity;               /* in 512-byte sectors */
	uint32_t size_max;
	uint32_t seg_max;
	struct {
		uint16_t cylinders;
		uint8_t heads;
		uint8_t sectors;
	} geometry;
	uint32_t blk_size;
	struct {
		uint8_t physical_block_exp;
		uint8_t alignment_offset;
		uint16_t min_io_size;
		uint32_t opt_io_size;
	} topology;
	uint8_t writeback;
	uint8_t unused0;
	uint16_t num_queues;
	uint32_t max_discard_sectors;
	uint32_t max_discard_seg;
	uint32_t discard_sector_alignment;
	uint32_t max_write_zeroes_sectors;
	uint32_t max_write_zeroes_seg;
	uint8_t write_zeroes_may_unmap;
	uint8_t unused1[3];
} __attribute__((packed));

struct virtio_blk_req_header {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
} __attribute__((packed));

struct virtio_blk_discard_write_zeroes {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;                  /* bit 0: unmap */
} __attribute__((packed));

struct virtio_blk {
	struct virtio_device dev;
	struct virtio_blk_config config;
	BlockImage *img;
	bool read_only;
	char serial[VIRTIO_BLK_ID_BYTES];
	/* Data moved by successful reads and writes (not headers, status
	 * bytes, flushes or discards): the Inside view's bytes per second. */
	uint64_t bytes_read, bytes_written;
};

/* Make dst a view of `len` bytes of src starting at `offset`. */
static unsigned int
iov_slice(const struct iovec *src, unsigned int n, size_t offset, size_t len, struct iovec *dst)
{
	unsigned int out = 0;

	for (unsigned int i = 0; i < n && len > 0; i++) {
		if (offset >= src[i].iov_len) {
			offset -= src[i].iov_len;
			continue;
		}
		size_t chunk = MIN(src[i].iov_len - offset, len);
		dst[out++] = (struct iovec) { (uint8_t *) src[i].iov_base + offset, chunk };
		len -= chunk;
		offset = 0;
	}
	return out;
}

static bool
range_ok(const struct virtio_blk *blk, uint64_t sector, uint64_t bytes)
{
	uint64_t cap = blk->config.capacity;

	return sector <= cap && bytes / SECTOR <= cap - sector;
}

static uint8_t
blk_discard_or_zero(struct virtio_blk *blk, uint32_t type, const struct iovec *data, unsigned int n, size_t len)
{
	size_t nseg = len / sizeof(struct virtio_blk_discard_write_zeroes);

	if (len % sizeof(struct virtio_blk_discard_write_zeroes) != 0 || nseg == 0 ||
	    nseg > MAX_DISCARD_SEGS)
		return VIRTIO_BLK_S_UNSUPP;
	if (blk->read_only)
		return VIRTIO_BLK_S_IOERR;

	for (size_t i = 0; i < nseg; i++) {
		struct virtio_blk_discard_write_zeroes seg;
		int ret;

		iov_to_buf(data, n, i * sizeof(seg), &seg, sizeof(seg));
		/* §5.2.6.2: unknown flags, or unmap on a discard, are unsupported. */
		if ((seg.flags & ~1u) || (type == VIRTIO_BLK_T_DISCARD && seg.flags))
			return VIRTIO_BLK_S_UNSUPP;
		if (!range_ok(blk, seg.sector, (uint64_t) seg.num_sectors * SECTOR))
			return VIRTIO_BLK_S_IOERR;
		if (type == VIRTIO_BLK_T_DISCARD)
			ret = block_discard(blk->img, seg.sector * SECTOR, (uint64_t) seg.num_sectors * SECTOR);
		else
			ret = block_write_zeroes(blk->img, seg.sector * SECTOR,
			                         (uint64_t) seg.num_sectors * SECTOR, seg.flags & 1);
		/* Discard is a hint: a file system that cannot punch holes is fine. */
		if (ret == -ENOTSUP || ret == -EOPNOTSUPP)
			ret = type == VIRTIO_BLK_T_DISCARD ? 0 : ret;
		if (ret < 0)
			return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

/* Handle one request; returns bytes written into the driver's buffers
 * (data + status), or -1 if the chain is not a virtio-blk request. */
static int64_t
blk_handle(struct virtio_blk *blk, struct virtq_chain *chain)
{
	struct virtio_blk_req_header hdr;
	const struct iovec *in = chain->iov + chain->n_out;
	struct iovec *data;
	unsigned int ndata;
	size_t out_data_len, in_data_len;
	uint8_t status = VIRTIO_BLK_S_OK;
	uint32_t written = 0;
	int ret;

	/* §5.2.6.1: header first, status byte last. */
	if (chain->out_len < sizeof(hdr) || chain->in_len < 1)
		return -1;
	iov_to_buf(chain->iov, chain->n_out, 0, &hdr, sizeof(hdr));
	out_data_len = chain->out_len - sizeof(hdr);
	in_data_len = chain->in_len - 1;

	data = g_new(struct iovec, chain->n_out + chain->n_in + 1);

	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
		ndata = iov_slice(in, chain->n_in, 0, in_data_len, data);
		if (in_data_len % SECTOR != 0 || !range_ok(blk, hdr.sector, in_data_len)) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		ret = block_preadv(blk->img, data, ndata, hdr.sector * SECTOR);
		if (ret < 0) {
			status = VIRTIO_BLK_S_IOERR;
		} else {
			written = in_data_len;
			__atomic_fetch_add(&blk->bytes_read, in_data_len, __ATOMIC_RELAXED);
		}
		break;

	case VIRTIO_BLK_T_OUT:
		ndata = iov_slice(chain->iov, chain->n_out, sizeof(hdr), out_data_len, data);
		if (blk->read_only || out_data_len % SECTOR != 0 ||
		    !range_ok(blk, hdr.sector, out_data_len)) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		if (block_pwritev(blk->img, data, ndata, hdr.sector * SECTOR) < 0)
			status = VIRTIO_BLK_S_IOERR;
		else
			__atomic_fetch_add(&blk->bytes_written, out_data_len, __ATOMIC_RELAXED);
		break;

	case VIRTIO_BLK_T_FLUSH:
		if (!blk->read_only && block_flush(blk->img) < 0)
			status = VIRTIO_BLK_S_IOERR;
		break;

	case VIRTIO_BLK_T_GET_ID:
		/* §5.2.6: up to 20 bytes, not NUL-terminated if all are used. */
		written = iov_from_buf(in, chain->n_in, 0, blk->serial,
		                       MIN(in_data_len, (size_t) VIRTIO_BLK_ID_BYTES));
		break;

	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		/* Only what was negotiated (never offered on a read-only disk). */
		if (!(blk->dev.driver_features & (1ull << (hdr.type == VIRTIO_BLK_T_DISCARD ?
		                                            VIRTIO_BLK_F_DISCARD : VIRTIO_BLK_F_WRITE_ZEROES)))) {
			status = VIRTIO_BLK_S_UNSUPP;
			break;
		}
		ndata = iov_slice(chain->iov, chain->n_out, sizeof(hdr), out_data_len, data);
		status = blk_discard_or_zero(blk, hdr.type, data, ndata, out_data_len);
		break;

	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	g_free(data);

	iov_from_buf(in, chain->n_in, in_data_len, &status, 1);
	return (int64_t) written + 1;
}

static void
blk_queue_kick(struct virtio_device *dev, unsigned int index)
{
	struct virtio_blk *blk = dev->priv;
	struct virtq *vq = &dev->vqs[index];
	struct virtq_chain *chain;
	bool pushed = false;

	while ((chain = virtq_pop(vq, dev->mem)) != NULL) {
		int64_t written = blk_handle(blk, chain);

		if (written < 0) {
			virtq_chain_free(chain);
			virtio_device_set_broken(dev, "request without header or status byte");
			break;
		}
		virtq_push(vq, chain, (uint32_t) written);
		pushed = true;
	}
	if (pushed)
		virtq_notify(vq);
}

/* One request queue: its bytes, both ways and together ("bytes", as
 * virtio-net's queues report theirs). */
static void
blk_get_stats(struct virtio_device *dev, int queue, const struct virtio_stats_sink *sink)
{
	struct virtio_blk *blk = dev->priv;
	uint64_t r = __atomic_load_n(&blk->bytes_read, __ATOMIC_RELAXED);
	uint64_t w = __atomic_load_n(&blk->bytes_written, __ATOMIC_RELAXED);

	if (queue < 0)
		return;
	sink->add_int(sink->data, "bytes-read", (int64_t) r);
	sink->add_int(sink->data, "bytes-written", (int64_t) w);
	sink->add_int(sink->data, "bytes", (int64_t) (r + w));
}

static void
blk_destroy(struct virtio_device *dev)
{
	struct virtio_blk *blk = dev->priv;

	block_close(blk->img);
	g_free(blk);
}

/* save-state: requests are done when queue_kick returns, so nothing is
 * in flight; what they wrote goes to the disk before the state file is
 * complete, so the pair survives a host crash. */
static void
blk_save(struct virtio_device *dev, void *state)
{
	struct virtio_blk *blk = dev->priv;

	if (!blk->read_only && block_flush(blk->img) < 0)
		g_warning("virtio-blk: flush before save-state failed");
}

static const struct virtio_device_ops blk_ops = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.num_queues = 1,
	.queue_max_size = QUEUE_SIZE,
	.queue_kick = blk_queue_kick,
	.get_stats = blk_get_stats,
	.destroy = blk_destroy,
	.savable = true,
	.save = blk_save,
};

struct virtio_device *
virtio_blk_new(const char *path, int format, bool read_only, const char *serial, char **error)
{
	struct virtio_blk *blk;
	BlockImage *img;
	char *err = NULL;

	img = block_open(path, (BlockFormat) format, read_only, &err);
	if (img == NULL) {
		*error = g_strdup_printf("%s: %s", path, err ? err : "cannot open");
		free(err);
		return NULL;
	}

	blk = g_new0(struct virtio_blk, 1);
	virtio_device_init(&blk->dev, &blk_ops);
	blk->dev.priv = blk;
	blk->img = img;
	blk->read_only = read_only;
	if (serial)
		memcpy(blk->serial, serial, MIN(strlen(serial), sizeof(blk->serial)));  /* not NUL-terminated at 20 */

	blk->config.capacity = block_size(img) / SECTOR;
	blk->config.seg_max = QUEUE_SIZE - 2;
	blk->config.blk_size = SECTOR;
	blk->config.num_queues = 1;
	blk->config.max_discard_sectors = UINT32_MAX;
	blk->config.max_discard_seg = MAX_DISCARD_SEGS;
	blk->config.discard_sector_alignment = 1;
	blk->config.max_write_zeroes_sectors = UINT32_MAX;
	blk->config.max_write_zeroes_seg = MAX_DISCARD_SEGS;
	blk->config.write_zeroes_may_unmap = 1;
	blk->dev.config = &blk->config;
	blk->dev.config_size = sizeof(blk->config);

	blk->dev.features = (1ull << VIRTIO_BLK_F_SEG_MAX) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
	                    (1ull << VIRTIO_BLK_F_FLUSH);
	if (read_only)
		blk->dev.features |= 1ull << VIRTIO_BLK_F_RO;
	else
		blk->dev.features |= (1ull << VIRTIO_BLK_F_DISCARD) | (1ull << VIRTIO_BLK_F_WRITE_ZEROES);
	return &blk->dev;
}
