/* qcow2-check.c — recount every reference in a qcow2 image and compare
 * with the stored refcounts, as `qemu-img check` does: a stored refcount
 * above the references is a leak (wasted space, harmless), one below is a
 * corruption (a cluster could be handed out twice).  With fix flags the
 * stored refcounts are set to the counted ones. */
#include "qcow2-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- check and repair --------------------------------------------------------- */

typedef struct {
	uint32_t *refs;      /* computed reference count per host cluster */
	uint64_t nclusters;
	BlockCheckResult *res;
} CheckState;

static void
count_range(BlockImage *img, CheckState *cs, uint64_t off, uint64_t bytes)
{
	Qcow2State *s = img->qcow2;
	if (bytes == 0)
		return;
	uint64_t first = off >> s->cluster_bits, last = (off + bytes - 1) >> s->cluster_bits;
	for (uint64_t c = first; c <= last; c++) {
		if (c >= cs->nclusters) {
			cs->res->corruptions++;   /* reference past the end of the file */
			continue;
		}
		if (cs->refs[c] < UINT32_MAX)
			cs->refs[c]++;
	}
}

/* Counts the references from one L1 table (active or a snapshot's). */
static int
count_l1(BlockImage *img, CheckState *cs, const uint64_t *l1, uint64_t l1_size, bool active)
{
	Qcow2State *s = img->qcow2;
	uint64_t entries = 1ull << s->l2_bits;
	uint8_t *t = malloc(s->cluster_size);

	if (t == NULL)
		return -ENOMEM;
	for (uint64_t i = 0; i < l1_size; i++) {
		uint64_t off = l1[i] & QCOW2_OFFSET_MASK;
		if (off == 0)
			continue;
		if ((off & (cs64(s) - 1)) || (off >> s->cluster_bits) >= cs->nclusters) {
			cs->res->corruptions++;
			continue;
		}
		count_range(img, cs, off, cs64(s));
		int ret = block_file_pread(img->fd, t, s->cluster_size, off);
		if (ret < 0) {
			free(t);
			return ret;
		}
		for (uint64_t j = 0; j < entries; j++) {
			uint64_t e = qcow2_be64(t + 8 * j);
			if (e & QCOW2_OFLAG_COMPRESSED) {
				uint64_t coff, cbytes;
				qcow2_compressed_range(e, s->cluster_bits, &coff, &cbytes);
				count_range(img, cs, coff & ~511ull, round_up((coff & 511) + cbytes, 512));
				if (active) {
					cs->res->allocated_clusters++;
					cs->res->compressed_clusters++;
				}
				continue;
			}
			uint64_t h = e & QCOW2_OFFSET_MASK;
			if (h == 0)
				continue;
			if (h & (cs64(s) - 1)) {
				cs->res->corruptions++;
				continue;
			}
			count_range(img, cs, h, cs64(s));
			if (active)
				cs->res->allocated_clusters++;
		}
	}
	free(t);
	return 0;
}

static int
count_snapshots(BlockImage *img, CheckState *cs)
{
	Qcow2State *s = img->qcow2;
	uint64_t pos = s->snapshots_offset;

	for (uint32_t i = 0; i < s->nb_snapshots; i++) {
		uint8_t sh[40];
		int ret = block_file_pread(img->fd, sh, sizeof(sh), pos);
		if (ret < 0)
			return ret;
		uint64_t l1_off = qcow2_be64(sh);
		uint32_t l1_size = qcow2_be32(sh + 8);
		uint16_t id_len = qcow2_be16(sh + 12), name_len = qcow2_be16(sh + 14);
		uint32_t extra = qcow2_be32(sh + 36);
		pos += round_up(40 + (uint64_t) extra + id_len + name_len, 8);
		if ((uint64_t) l1_size * 8 > QCOW2_MAX_L1_BYTES || (l1_off & (cs64(s) - 1)) ||
		    (l1_off >> s->cluster_bits) + ((uint64_t) l1_size * 8 >> s->cluster_bits) >= cs->nclusters) {
			cs->res->corruptions++;
			continue;
		}
		count_range(img, cs, l1_off, (uint64_t) l1_size * 8);
		uint64_t *l1;
		ret = qcow2_read_table(img->fd, l1_off, l1_size, &l1);
		if (ret < 0)
			return ret;
		ret = count_l1(img, cs, l1, l1_size, false);
		free(l1);
		if (ret < 0)
			return ret;
	}
	if (s->nb_snapshots > 0)
		count_range(img, cs, s->snapshots_offset, pos - s->snapshots_offset);
	return 0;
}

typedef struct {
	uint64_t offset, index;
} RefEntry;

/* By offset, then by table index, so the first user of a block sorts first. */
static int
cmp_ref_entry(const void *a, const void *b)
{
	const RefEntry *x = a, *y = b;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int
do_check(BlockImage *img, unsigned fix, BlockCheckResult *res)
{
	Qcow2State *s = img->qcow2;
	CheckState cs = { .res = res };
	struct stat st;
	int ret;

	if (!img->read_only) {
		ret = qcow2_flush_metadata(img, true);
		if (ret < 0)
			return ret;
	}
	if (fstat(img->fd, &st) < 0)
		return -errno;
	cs.nclusters = round_up((uint64_t) st.st_size, cs64(s)) >> s->cluster_bits;
	if (cs.nclusters < s->high_water)
		cs.nclusters = s->high_water;
	cs.refs = calloc(cs.nclusters + 1, sizeof(uint32_t));
	if (cs.refs == NULL)
		return -ENOMEM;

	res->total_clusters = round_up(img->size, cs64(s)) >> s->cluster_bits;
	count_range(img, &cs, 0, cs64(s));                                    /* header */
	count_range(img, &cs, s->l1_offset, (uint64_t) s->l1_size * 8);       /* L1 */
	count_range(img, &cs, s->reftable_offset, (uint64_t) s->reftable_clusters * cs64(s));
	for (uint64_t i = 0; i < s->reftable_entries; i++) {
		uint64_t off = s->reftable[i] & QCOW2_REFT_OFFSET_MASK;
		if (off == 0)
			continue;
		if ((off & (cs64(s) - 1)) || (off >> s->cluster_bits) >= cs.nclusters) {
			res->corruptions++;
			continue;
		}
		count_range(img, &cs, off, cs64(s));
	}
	ret = count_l1(img, &cs, s->l1, s->l1_size, true);
	if (ret == 0)
		ret = count_snapshots(img, &cs);
	if (ret < 0) {
		free(cs.refs);
		return ret;
	}

	/* Two table entries naming the same refcount block: all but the first are
	 * bogus (the block's refcount would be 2); skip their ranges instead of
	 * reading the block again and again. */
	bool *dup = calloc(s->reftable_entries + 1, sizeof(bool));
	RefEntry *sorted = malloc((s->reftable_entries + 1) * sizeof(RefEntry));
	if (dup == NULL || sorted == NULL) {
		free(dup);
		free(sorted);
		free(cs.refs);
		return -ENOMEM;
	}
	uint64_t nsorted = 0;
	for (uint64_t i = 0; i < s->reftable_entries; i++)
		if ((s->reftable[i] & QCOW2_REFT_OFFSET_MASK) != 0)
			sorted[nsorted++] = (RefEntry) { s->reftable[i] & QCOW2_REFT_OFFSET_MASK, i };
	qsort(sorted, nsorted, sizeof(RefEntry), cmp_ref_entry);
	for (uint64_t i = 1; i < nsorted; i++) {
		if (sorted[i].offset == sorted[i - 1].offset) {
			dup[sorted[i].index] = true;
			res->corruptions++;
		}
	}
	free(sorted);

	/* Compare with the stored refcounts, block by block. */
	/* Refcounts past the end of the file matter too (a crash can leave
	 * counted clusters the file never grew to), but only up to the last
	 * refcount block that exists. */
	uint64_t span = cs.nclusters;
	for (uint64_t ti = s->reftable_entries; ti > 0; ti--) {
		if ((s->reftable[ti - 1] & QCOW2_REFT_OFFSET_MASK) != 0) {
			if ((ti << s->rb_bits) > span)
				span = ti << s->rb_bits;
			break;
		}
	}
	uint64_t per_block = 1ull << s->rb_bits;
	for (uint64_t ti = 0; (ti << s->rb_bits) < span && ret == 0; ti++) {
		uint64_t first = ti << s->rb_bits;
		uint64_t end = first + per_block < span ? first + per_block : span;
		uint64_t off = ti < s->reftable_entries ? s->reftable[ti] & QCOW2_REFT_OFFSET_MASK : 0;
		if (off == 0 || dup[ti] || !valid_meta_offset(s, off)) {
			/* No block: every cluster in this range must be unreferenced. */
			for (uint64_t c = first; c < end && c < cs.nclusters; c++)
				if (cs.refs[c] > 0)
					res->corruptions++;
			continue;
		}
		CacheSlot *sl;
		uint64_t idx;
		ret = qcow2_refblock_lookup(img, first, &sl, &idx);
		if (ret < 0 || sl == NULL)
			break;
		for (uint64_t c = first; c < end && ret == 0; c++) {
			/* qcow2_update_refcount below finds this same block in the cache, so sl stays valid. */
			uint64_t stored = qcow2_refcount_get(sl->data, s->refcount_order, c - first);
			uint64_t want = c < cs.nclusters ? cs.refs[c] : 0;
			if (stored == want)
				continue;
			if (stored > want) {
				res->leaks++;
				if (fix & BLOCK_CHECK_FIX_LEAKS) {
					ret = qcow2_update_refcount(img, c, (int64_t) want, true);
					if (ret == 0)
						res->leaks_fixed++;
				}
			} else {
				res->corruptions++;
				if (fix & BLOCK_CHECK_FIX_ERRORS) {
					ret = qcow2_update_refcount(img, c, (int64_t) want, true);
					if (ret == 0)
						res->corruptions_fixed++;
				}
			}
		}
	}

	for (uint64_t c = cs.nclusters; c > 0; c--) {
		if (cs.refs[c - 1] > 0) {
			res->image_end_offset = c << s->cluster_bits;
			break;
		}
	}
	free(cs.refs);
	free(dup);
	if (ret == 0 && fix && !img->read_only)
		ret = qcow2_flush_metadata(img, true);
	if (ret == 0 && fix && !img->read_only)
		ret = qcow2_sync_file(img);
	return ret;
}

int
qcow2_check(BlockImage *img, unsigned fix, BlockCheckResult *res, char **error)
{
	Qcow2State *s = img->qcow2;
	int ret;

	pthread_mutex_lock(&s->lock);
	ret = do_check(img, fix, res);
	if (ret == 0 && (fix & BLOCK_CHECK_FIX_ERRORS) && res->corruptions == res->corruptions_fixed &&
	    (s->incompat & (QCOW2_INCOMPAT_CORRUPT | QCOW2_INCOMPAT_DIRTY))) {
		uint8_t buf[8];
		s->incompat &= ~(QCOW2_INCOMPAT_CORRUPT | QCOW2_INCOMPAT_DIRTY);
		qcow2_put64(buf, s->incompat);
		ret = qcow2_write_header_fields(img, QCOW2_HDR_INCOMPAT, buf, 8);
	}
	pthread_mutex_unlock(&s->lock);
	if (ret < 0)
		block_set_error(error, "Checking '%s' failed: %s", img->filename, strerror(-ret));
	return ret;
}

/* An image left dirty by QEMU's lazy_refcounts: rebuild the refcounts from
 * the tables, then clear the bit (as QEMU does when it opens one). */
int
qcow2_repair_refcounts(BlockImage *img, char **error)
{
	Qcow2State *s = img->qcow2;
	BlockCheckResult res;
	uint8_t buf[8];
	int ret;

	memset(&res, 0, sizeof(res));
	pthread_mutex_lock(&s->lock);
	ret = do_check(img, BLOCK_CHECK_FIX_LEAKS | BLOCK_CHECK_FIX_ERRORS, &res);
	if (ret == 0 && res.corruptions != res.corruptions_fixed)
		ret = -EIO;
	if (ret == 0) {
		s->incompat &= ~QCOW2_INCOMPAT_DIRTY;
		qcow2_put64(buf, s->incompat);
		ret = qcow2_write_header_fields(img, QCOW2_HDR_INCOMPAT, buf, 8);
	}
	pthread_mutex_unlock(&s->lock);
	if (ret < 0)
		block_set_error(error, "'%s' was not closed cleanly and could not be repaired: %s", img->filename, strerror(-ret));
	return ret;
}

