/* qcow2.c — the qcow2 format (QEMU docs/interop/qcow2.txt): version 2 and 3
 * images, read and write.
 *
 * CRASH CONSISTENCY — the order in which metadata reaches the file
 * ------------------------------------------------------------------
 * The rule the whole file follows: *every reference written to disk points
 * at something whose refcount is already on disk, and every cluster that is
 * referenced holds its final contents before the reference is written.*
 * Killing the process (or losing power, thanks to the fdatasync()s between
 * the steps) at any moment then leaves, at worst, clusters whose refcount
 * says "used" while nothing points at them: leaks, which `check -r leaks`
 * repairs.  Never the reverse (a reference to a cluster with refcount 0),
 * which would be corruption.
 *
 * L2 tables and refcount blocks live in write-back caches (like QEMU's), and
 * the L1 and refcount tables are kept in memory.  An allocating write:
 *
 *   1. takes a free cluster and raises its refcount   — in the cache only
 *   2. writes the guest data into that cluster        — pwrite, straight away
 *   3. points the L2 entry at the cluster             — in the cache only
 *
 * and a flush (block_flush, a dirty L2 table leaving the cache, a resize)
 * writes the caches back in this order, with a flush between each step:
 *
 *   A. dirty refcount blocks                    fdatasync
 *   B. dirty refcount-table entries             fdatasync   (step A's blocks exist)
 *   C. dirty L2 tables                          fdatasync   (their clusters are counted)
 *   D. dirty L1 entries                         fdatasync   (their L2 tables exist)
 *   E. the frees queued since the last flush: refcounts go down only now,
 *      after the references to those clusters are gone from the disk.
 *
 * Refcount blocks can be written at any time (the cache evicts them freely)
 * because in memory a refcount is never lower than the number of references
 * on disk: increments happen before the reference exists, decrements (step
 * E) after it is gone.  A freed cluster is not reused before step E, so a
 * stale L2 entry on disk never points at someone else's new data.
 *
 * Tables that move (growing the L1 table or the refcount table) are written
 * in full at their new place, flushed, and only then does the header point at
 * them (one 12-byte write of adjacent fields, then a flush); the old copy is
 * freed afterwards.
 *
 * The dirty bit (incompatible feature bit 0) is how QEMU's lazy_refcounts
 * mode says "refcounts on disk may be wrong".  We never set it — we keep
 * refcounts exact — but an image that has it set is repaired (refcounts
 * rebuilt from the L1/L2 tables) before we write to it, as QEMU does.  An
 * image with the corrupt bit set opens read-only only.  When we find
 * inconsistent metadata at run time we set the corrupt bit ourselves and
 * refuse further writes, so damage does not spread.
 *
 * One exception, which keeps the rule's meaning: a cluster past the old end
 * of the file (never written) that replaces a guest cluster reading as zero
 * already holds that cluster's contents, zeroes, so it is linked first and
 * its data written afterwards (allocating_write()).
 *
 * LOCKING: one mutex guards all metadata (caches, tables, allocator).  Guest
 * data I/O to clusters that are already allocated, or fresh as above, runs
 * outside it; writes that copy (from a backing file, a compressed cluster,
 * or into a reused cluster) run under it.
 */
#include "block-private.h"
#include "qcow2.h"
#include "qcow2-private.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define L2_CACHE_BYTES     (32u << 20)
#define RB_CACHE_BYTES     (4u << 20)
#define MIN_CACHE_SLOTS    4
#define MAX_PENDING_FREES  4096

/* ---- small helpers -------------------------------------------------------- */


static int
corrupt(BlockImage *img, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
corrupt(BlockImage *img, const char *fmt, ...)
{
	Qcow2State *s = img->qcow2;
	va_list ap;

	if (!s->broken && !img->read_only && !(img->flags & BLOCK_OPEN_CHECK)) {
		uint8_t buf[8];
		fprintf(stderr, "qcow2: marking image '%s' as corrupt: ", img->filename);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fprintf(stderr, "; further writes are refused\n");
		s->incompat |= QCOW2_INCOMPAT_CORRUPT;
		qcow2_put64(buf, s->incompat);
		if (block_file_pwrite(img->fd, buf, 8, QCOW2_HDR_INCOMPAT) == 0)
			(void) fdatasync(img->fd);
	}
	if (!(img->flags & BLOCK_OPEN_CHECK))
		s->broken = true;
	return -EIO;
}

int
qcow2_sync_file(BlockImage *img)
{
	return fdatasync(img->fd) < 0 ? -errno : 0;
}

/* ---- cache ------------------------------------------------------------- */

static unsigned
hash_offset(uint64_t off, int nbuckets)
{
	return (unsigned) (((off >> 9) * 0x9e3779b97f4a7c15ull) >> 33) % (unsigned) nbuckets;
}

static int
cache_init(Cache *c, uint32_t cluster_size, uint32_t bytes)
{
	int n = (int) (bytes / cluster_size);
	if (n < MIN_CACHE_SLOTS)
		n = MIN_CACHE_SLOTS;
	c->slots = calloc((size_t) n, sizeof(*c->slots));
	c->nbuckets = n * 2 + 1;
	c->buckets = malloc(sizeof(int) * (size_t) c->nbuckets);
	if (c->slots == NULL || c->buckets == NULL)
		return -ENOMEM;
	memset(c->buckets, 0xff, sizeof(int) * (size_t) c->nbuckets);   /* all -1: empty chains */
	c->nslots = n;
	return 0;
}

static void
cache_destroy(Cache *c)
{
	if (c->slots != NULL)
		for (int i = 0; i < c->nused; i++)   /* slots are taken in order */
			free(c->slots[i].data);
	free(c->slots);
	free(c->buckets);
	memset(c, 0, sizeof(*c));
}

static int
cache_find(const Cache *c, uint64_t off)
{
	for (int i = c->buckets[hash_offset(off, c->nbuckets)]; i >= 0; i = c->slots[i].next)
		if (c->slots[i].offset == off)
			return i;
	return -1;
}

static void
cache_unhash(Cache *c, int idx)
{
	int *p = &c->buckets[hash_offset(c->slots[idx].offset, c->nbuckets)];
	while (*p != idx)
		p = &c->slots[*p].next;
	*p = c->slots[idx].next;
}

static void
cache_hash(Cache *c, int idx)
{
	unsigned b = hash_offset(c->slots[idx].offset, c->nbuckets);
	c->slots[idx].next = c->buckets[b];
	c->buckets[b] = idx;
}


/* Picks a slot for a new entry (clock algorithm), writing back what it
 * held.  A dirty L2 table may only reach the disk after the refcounts it
 * depends on, so evicting one flushes all metadata in order. */
static int
cache_victim(BlockImage *img, Cache *c, int *out)
{
	int idx;

	if (c->nused < c->nslots) {
		idx = c->nused++;
	} else {
		for (;;) {
			CacheSlot *sl = &c->slots[c->hand];
			if (!sl->ref)
				break;
			sl->ref = false;
			c->hand = (c->hand + 1) % c->nslots;
		}
		idx = c->hand;
		c->hand = (c->hand + 1) % c->nslots;
	}
	CacheSlot *sl = &c->slots[idx];
	if (sl->used && sl->dirty) {
		int ret;
		if (c == &img->qcow2->l2_cache) {
			ret = qcow2_flush_metadata(img, false);
		} else {
			ret = block_file_pwrite(img->fd, sl->data, img->qcow2->cluster_size, sl->offset);
			if (ret == 0)
				sl->dirty = false;
		}
		if (ret < 0)
			return ret;
	}
	if (sl->used)
		cache_unhash(c, idx);
	sl->used = false;
	if (sl->data == NULL && posix_memalign((void **) &sl->data, 4096, img->qcow2->cluster_size) != 0) {
		sl->data = NULL;
		return -ENOMEM;
	}
	*out = idx;
	return 0;
}

/* Returns the cached cluster at `off`, reading it unless `fresh` (a newly
 * allocated table that starts as zeroes and is marked dirty). */
static int
cache_get(BlockImage *img, Cache *c, uint64_t off, bool fresh, CacheSlot **out)
{
	Qcow2State *s = img->qcow2;
	int idx = cache_find(c, off), ret;

	if (idx >= 0) {
		c->slots[idx].ref = true;
		if (fresh) {
			memset(c->slots[idx].data, 0, s->cluster_size);
			c->slots[idx].dirty = true;
		}
		*out = &c->slots[idx];
		return 0;
	}
	ret = cache_victim(img, c, &idx);
	if (ret < 0)
		return ret;
	CacheSlot *sl = &c->slots[idx];
	if (fresh) {
		memset(sl->data, 0, s->cluster_size);
	} else {
		ret = block_file_pread(img->fd, sl->data, s->cluster_size, off);
		if (ret < 0)
			return ret;
	}
	sl->offset = off;
	sl->used = true;
	sl->dirty = fresh;
	sl->ref = true;
	cache_hash(c, idx);
	*out = sl;
	return 0;
}

/* ---- header and tables --------------------------------------------------- */

static int
write_table_chunks(BlockImage *img, uint64_t table_off, const uint64_t *table, uint64_t entries, bool *dirty, bool all)
{
	uint8_t buf[TABLE_CHUNK];
	uint64_t per = TABLE_CHUNK / 8;
	uint64_t nchunks = (entries + per - 1) / per;

	for (uint64_t ch = 0; ch < nchunks; ch++) {
		if (!all && !dirty[ch])
			continue;
		uint64_t first = ch * per;
		uint64_t n = entries - first < per ? entries - first : per;
		for (uint64_t i = 0; i < n; i++)
			qcow2_put64(buf + 8 * i, table[first + i]);
		int ret = block_file_pwrite(img->fd, buf, n * 8, table_off + first * 8);
		if (ret < 0)
			return ret;
		if (dirty)
			dirty[ch] = false;
	}
	return 0;
}

static bool
any_dirty(const bool *dirty, uint64_t entries)
{
	uint64_t nchunks = (entries * 8 + TABLE_CHUNK - 1) / TABLE_CHUNK;
	for (uint64_t i = 0; i < nchunks; i++)
		if (dirty[i])
			return true;
	return false;
}

static bool
cache_any_dirty(const Cache *c)
{
	for (int i = 0; i < c->nused; i++)
		if (c->slots[i].used && c->slots[i].dirty)
			return true;
	return false;
}

static int
cache_write_dirty(BlockImage *img, Cache *c)
{
	for (int i = 0; i < c->nused; i++) {
		CacheSlot *sl = &c->slots[i];
		if (sl->used && sl->dirty) {
			int ret = block_file_pwrite(img->fd, sl->data, img->qcow2->cluster_size, sl->offset);
			if (ret < 0)
				return ret;
			sl->dirty = false;
		}
	}
	return 0;
}

/* ---- refcounts --------------------------------------------------------- */

/* Finds the refcount block covering `cluster`; *slot is NULL when there is none. */
int
qcow2_refblock_lookup(BlockImage *img, uint64_t cluster, CacheSlot **slot, uint64_t *index)
{
	Qcow2State *s = img->qcow2;
	uint64_t ti = cluster >> s->rb_bits;

	*slot = NULL;
	*index = cluster & ((1ull << s->rb_bits) - 1);
	if (ti >= s->reftable_entries)
		return 0;
	uint64_t off = s->reftable[ti] & QCOW2_REFT_OFFSET_MASK;
	if (off == 0)
		return 0;
	if (!valid_meta_offset(s, off))
		return corrupt(img, "refcount block %" PRIu64 " at invalid offset 0x%" PRIx64, ti, off);
	return cache_get(img, &s->rb_cache, off, false, slot);
}

int
qcow2_get_refcount(BlockImage *img, uint64_t cluster, uint64_t *value)
{
	CacheSlot *sl;
	uint64_t idx;
	int ret = qcow2_refblock_lookup(img, cluster, &sl, &idx);
	if (ret < 0)
		return ret;
	*value = sl ? qcow2_refcount_get(sl->data, img->qcow2->refcount_order, idx) : 0;
	return 0;
}

static void
note_freed(Qcow2State *s, uint64_t cluster)
{
	if (cluster < s->free_hint)
		s->free_hint = cluster;
	/* The freed cluster held data: it no longer reads as zero. */
	if (s->fresh_from < s->high_water)
		s->fresh_from = s->high_water;
}

/* Adds delta (or sets, when set is true) to the refcount of one cluster. */
int
qcow2_update_refcount(BlockImage *img, uint64_t cluster, int64_t delta, bool set)
{
	Qcow2State *s = img->qcow2;
	CacheSlot *sl;
	uint64_t idx;
	int ret = qcow2_refblock_lookup(img, cluster, &sl, &idx);
	if (ret < 0)
		return ret;
	if (sl == NULL) {
		if (!set && delta < 0)
			return corrupt(img, "freeing cluster %" PRIu64 " that has no refcount block", cluster);
		if (set && delta == 0)
			return 0;
		return corrupt(img, "cluster %" PRIu64 " has no refcount block", cluster);
	}
	uint64_t old = qcow2_refcount_get(sl->data, s->refcount_order, idx);
	uint64_t val;
	if (set) {
		val = (uint64_t) delta;
	} else if (delta < 0) {
		if (old < (uint64_t) -delta)
			return corrupt(img, "refcount of cluster %" PRIu64 " would drop below zero", cluster);
		val = old - (uint64_t) -delta;
	} else {
		if (qcow2_refcount_max(s->refcount_order) - old < (uint64_t) delta)
			return -ERANGE;
		val = old + (uint64_t) delta;
	}
	if (val > qcow2_refcount_max(s->refcount_order))
		return -ERANGE;
	qcow2_refcount_set(sl->data, s->refcount_order, idx, val);
	sl->dirty = true;
	if (val == 0 && old != 0)
		note_freed(s, cluster);
	return 0;
}

/* Queues clusters to be freed at the next flush, after the references to
 * them have left the disk (step E at the top of this file). */
/* Data moves between the guest and the file outside s->lock.  While it
 * does, the clusters it touches must not become free: a discard may drop
 * them from their L2 table meanwhile, and a free applied then lets the next
 * allocation hand them to another guest offset before the late write lands
 * there (or a late read returns that offset's data).  So each such I/O is
 * registered under the lock, and a deferred free that overlaps one stays
 * queued for a later flush (QEMU's qcow2 likewise keeps a discarded
 * cluster until the requests on it have finished).  Lock held. */
static int
io_begin(Qcow2State *s, uint64_t offset, uint64_t bytes, size_t *slot)
{
	for (size_t i = 0; i < s->nio; i++) {
		if (s->io[i].bytes == 0) {
			s->io[i] = (PendingFree) { offset, bytes };
			*slot = i;
			return 0;
		}
	}
	if (s->nio == s->io_cap) {
		size_t cap = s->io_cap ? s->io_cap * 2 : 16;
		PendingFree *n = realloc(s->io, cap * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		s->io = n;
		s->io_cap = cap;
	}
	s->io[s->nio] = (PendingFree) { offset, bytes };
	*slot = s->nio++;
	return 0;
}

/* Takes the lock itself: called when the I/O is done. */
static void
io_end(Qcow2State *s, size_t slot)
{
	pthread_mutex_lock(&s->lock);
	s->io[slot].bytes = 0;
	while (s->nio > 0 && s->io[s->nio - 1].bytes == 0)
		s->nio--;
	pthread_mutex_unlock(&s->lock);
}

static bool
io_in_flight(const Qcow2State *s, uint64_t offset, uint64_t bytes)
{
	for (size_t i = 0; i < s->nio; i++)
		if (s->io[i].bytes != 0 && s->io[i].offset < offset + bytes && offset < s->io[i].offset + s->io[i].bytes)
			return true;
	return false;
}

static int
queue_free(BlockImage *img, uint64_t offset, uint64_t bytes)
{
	Qcow2State *s = img->qcow2;

	if (s->nfrees == s->frees_cap) {
		size_t cap = s->frees_cap ? s->frees_cap * 2 : 64;
		PendingFree *n = realloc(s->frees, cap * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		s->frees = n;
		s->frees_cap = cap;
	}
	s->frees[s->nfrees++] = (PendingFree) { offset, bytes };
	if (s->nfrees >= MAX_PENDING_FREES)
		return qcow2_flush_metadata(img, true);
	return 0;
}

/* Allocates n contiguous clusters at the end of the image.  Refcount blocks
 * for ranges that have none are placed right after the area, and when the
 * refcount table itself is too small a bigger copy goes there too. */
static int
alloc_end_area(BlockImage *img, uint64_t n, uint64_t *out_off)
{
	Qcow2State *s = img->qcow2;
	uint64_t per_cluster = cs64(s) / 8;
	uint64_t start = s->high_water;
	uint64_t new_entries, nb_blocks, tc, total;
	int ret;

restart:
	new_entries = s->reftable_entries;
	nb_blocks = 0;
	for (;;) {
		tc = new_entries > s->reftable_entries ? (new_entries * 8 + cs64(s) - 1) / cs64(s) : 0;
		total = n + tc + nb_blocks;
		uint64_t first_ti = start >> s->rb_bits, last_ti = (start + total - 1) >> s->rb_bits;
		if (last_ti >= new_entries) {
			uint64_t want = last_ti + 1;
			if (want < s->reftable_entries * 2)
				want = s->reftable_entries * 2;
			new_entries = round_up(want, per_cluster);
			if (new_entries * 8 > QCOW2_MAX_REFTABLE_BYTES)
				return -EFBIG;
			continue;
		}
		uint64_t missing = 0;
		for (uint64_t ti = first_ti; ti <= last_ti; ti++)
			if (ti >= s->reftable_entries || (s->reftable[ti] & QCOW2_REFT_OFFSET_MASK) == 0)
				missing++;
		if (missing == nb_blocks)
			break;
		nb_blocks = missing;
	}

	/* The area must be free where refcount blocks already exist (leaked
	 * clusters past the end of the file are possible after a crash). */
	for (uint64_t c = start; c < start + total; c++) {
		uint64_t rc;
		ret = qcow2_get_refcount(img, c, &rc);
		if (ret < 0)
			return ret;
		if (rc != 0) {
			start = c + 1;
			goto restart;
		}
	}

	uint64_t *table = s->reftable;
	uint64_t old_entries = s->reftable_entries;
	if (tc > 0) {
		table = calloc(new_entries, sizeof(uint64_t));
		bool *dirty = calloc((new_entries * 8 + TABLE_CHUNK - 1) / TABLE_CHUNK, sizeof(bool));
		if (table == NULL || dirty == NULL) {
			free(table);
			free(dirty);
			return -ENOMEM;
		}
		memcpy(table, s->reftable, old_entries * sizeof(uint64_t));
		free(s->reftable_dirty);
		s->reftable_dirty = dirty;
	}

	/* New refcount blocks, one per range lacking one, after the area and the table. */
	uint64_t next_block = start + n + tc;
	uint64_t first_ti = start >> s->rb_bits, last_ti = (start + total - 1) >> s->rb_bits;
	for (uint64_t ti = first_ti; ti <= last_ti; ti++) {
		if (ti < old_entries && (table[ti] & QCOW2_REFT_OFFSET_MASK) != 0)
			continue;
		uint64_t off = next_block++ << s->cluster_bits;
		CacheSlot *sl;
		table[ti] = off;
		s->reftable_dirty[ti * 8 / TABLE_CHUNK] = true;
		/* high_water must cover the block before the cache may look it up. */
		if (s->high_water < start + total)
			s->high_water = start + total;
		ret = cache_get(img, &s->rb_cache, off, true, &sl);
		if (ret < 0)
			return ret;
	}
	uint64_t *old_table = NULL;
	if (tc > 0) {
		old_table = s->reftable;
		s->reftable = table;
		s->reftable_entries = new_entries;
		free(old_table);   /* its entries live on in the new table */
	}
	if (s->high_water < start + total)
		s->high_water = start + total;

	for (uint64_t c = start; c < start + total; c++) {
		ret = qcow2_update_refcount(img, c, 1, true);
		if (ret < 0)
			return ret;
	}

	if (tc > 0) {
		/* The new table goes live: blocks, flush, table, flush, header, flush. */
		uint64_t old_off = s->reftable_offset, old_clusters = s->reftable_clusters;
		uint64_t new_off = (start + n) << s->cluster_bits;
		uint8_t hdr[12];

		ret = cache_write_dirty(img, &s->rb_cache);
		if (ret == 0) ret = qcow2_sync_file(img);
		if (ret == 0) ret = write_table_chunks(img, new_off, s->reftable, s->reftable_entries, s->reftable_dirty, true);
		if (ret == 0) ret = qcow2_sync_file(img);
		qcow2_put64(hdr, new_off);
		qcow2_put32(hdr + 8, (uint32_t) tc);
		if (ret == 0) ret = block_file_pwrite(img->fd, hdr, 12, QCOW2_HDR_REFTABLE_OFFSET);
		if (ret == 0) ret = qcow2_sync_file(img);
		if (ret < 0)
			return ret;
		s->reftable_offset = new_off;
		s->reftable_clusters = (uint32_t) tc;
		for (uint64_t i = 0; i < old_clusters; i++) {
			ret = qcow2_update_refcount(img, (old_off >> s->cluster_bits) + i, -1, false);
			if (ret < 0)
				return ret;
		}
	}
	*out_off = start << s->cluster_bits;
	return 0;
}

/* Allocates one cluster: the first free one below the end, else at the end. */
static int
alloc_cluster(BlockImage *img, uint64_t *out_off)
{
	Qcow2State *s = img->qcow2;
	uint64_t c = s->free_hint;

	while (c < s->high_water) {
		CacheSlot *sl;
		uint64_t idx;
		int ret = qcow2_refblock_lookup(img, c, &sl, &idx);
		if (ret < 0)
			return ret;
		uint64_t block_end = ((c >> s->rb_bits) + 1) << s->rb_bits;
		if (block_end > s->high_water)
			block_end = s->high_water;
		if (sl == NULL) {
			c = block_end;
			continue;
		}
		for (; c < block_end; c++, idx++) {
			if (qcow2_refcount_get(sl->data, s->refcount_order, idx) == 0) {
				qcow2_refcount_set(sl->data, s->refcount_order, idx, 1);
				sl->dirty = true;
				s->free_hint = c + 1;
				*out_off = c << s->cluster_bits;
				return 0;
			}
		}
	}
	s->free_hint = s->high_water;
	int ret = alloc_end_area(img, 1, out_off);
	if (ret == 0)
		s->free_hint = s->high_water;
	return ret;
}

/* For qcow2-snapshot.c: n clusters (one may come from a hole, several come
 * from the end of the file), refcounts raised in the cache; an L2 table or a
 * refcount block through its cache.  Lock held. */
int
qcow2_alloc_clusters(BlockImage *img, uint64_t n, uint64_t *out_off)
{
	return n == 1 ? alloc_cluster(img, out_off) : alloc_end_area(img, n, out_off);
}

int
qcow2_cache_get_l2(BlockImage *img, uint64_t off, CacheSlot **out)
{
	return cache_get(img, &img->qcow2->l2_cache, off, false, out);
}

/* ---- L1 / L2 --------------------------------------------------------------- */

static int
l2_table(BlockImage *img, uint64_t l1_index, bool alloc, CacheSlot **out)
{
	Qcow2State *s = img->qcow2;
	uint64_t off;
	int ret;

	*out = NULL;
	if (l1_index >= s->l1_size)
		return corrupt(img, "guest offset beyond the L1 table");
	off = s->l1[l1_index] & QCOW2_OFFSET_MASK;
	if (off == 0) {
		if (!alloc)
			return 0;
		ret = alloc_cluster(img, &off);
		if (ret < 0)
			return ret;
		ret = cache_get(img, &s->l2_cache, off, true, out);
		if (ret < 0)
			return ret;
		s->l1[l1_index] = off | QCOW2_OFLAG_COPIED;
		s->l1_dirty[l1_index * 8 / TABLE_CHUNK] = true;
		return 0;
	}
	if (!valid_meta_offset(s, off))
		return corrupt(img, "L2 table %" PRIu64 " at invalid offset 0x%" PRIx64, l1_index, off);
	return cache_get(img, &s->l2_cache, off, false, out);
}

static inline uint64_t l2_get(const CacheSlot *sl, uint64_t i) { return qcow2_be64(sl->data + 8 * i); }
static inline void l2_set(CacheSlot *sl, uint64_t i, uint64_t e) { qcow2_put64(sl->data + 8 * i, e); sl->dirty = true; }

/* The L2 table for a change.  A table whose L1 entry lacks COPIED is
 * shared with a snapshot ("Cluster mapping": COPIED means refcount 1): the
 * active L1 gets its own copy first, and the shared one loses this
 * reference once the new L1 entry is on disk.  The data clusters keep their
 * refcounts: each counts the L1 tables that reach it, and that has not
 * changed.  Lock held. */
static int
l2_table_for_write(BlockImage *img, uint64_t l1_index, bool alloc, CacheSlot **out)
{
	Qcow2State *s = img->qcow2;
	uint64_t old_off, new_off;
	uint8_t *copy;
	CacheSlot *sl;
	int ret;

	ret = l2_table(img, l1_index, alloc, out);
	if (ret < 0 || *out == NULL || (s->l1[l1_index] & QCOW2_OFLAG_COPIED))
		return ret;
	old_off = s->l1[l1_index] & QCOW2_OFFSET_MASK;
	/* Getting the new slot may evict the old one: keep its contents. */
	copy = malloc(s->cluster_size);
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, (*out)->data, s->cluster_size);
	*out = NULL;
	ret = alloc_cluster(img, &new_off);
	if (ret == 0)
		ret = cache_get(img, &s->l2_cache, new_off, true, &sl);
	if (ret < 0) {
		free(copy);
		return ret;
	}
	memcpy(sl->data, copy, s->cluster_size);
	free(copy);
	sl->dirty = true;
	s->l1[l1_index] = new_off | QCOW2_OFLAG_COPIED;
	s->l1_dirty[l1_index * 8 / TABLE_CHUNK] = true;
	*out = sl;
	return queue_free(img, old_off, cs64(s));
}


typedef enum { EXT_UNALLOC, EXT_ZERO, EXT_DATA, EXT_COMPRESSED } ExtType;

typedef struct {
	ExtType type;
	uint64_t host;     /* EXT_DATA: host offset of the first byte */
	uint64_t entry;    /* EXT_COMPRESSED: the L2 entry */
	uint64_t bytes;    /* length of the run */
} Extent;

static int
classify(BlockImage *img, uint64_t entry, ExtType *type, uint64_t *host)
{
	Qcow2State *s = img->qcow2;

	if (entry & QCOW2_OFLAG_COMPRESSED) {
		*type = EXT_COMPRESSED;
		return 0;
	}
	uint64_t off = entry & QCOW2_OFFSET_MASK;
	if (s->version >= 3 && (entry & QCOW2_OFLAG_ZERO)) {
		*type = EXT_ZERO;
		*host = off;
		return 0;
	}
	if (off == 0) {
		*type = EXT_UNALLOC;
		return 0;
	}
	if (off & (cs64(s) - 1))
		return corrupt(img, "data cluster at unaligned offset 0x%" PRIx64, off);
	*type = EXT_DATA;
	*host = off;
	return 0;
}

/* Maps guest [offset, offset+len) as far as one run of the same kind goes,
 * within one L2 table.  Called with the lock held. */
static int
map_range(BlockImage *img, uint64_t offset, uint64_t len, Extent *ext)
{
	Qcow2State *s = img->qcow2;
	uint64_t l1_index = offset >> (s->cluster_bits + s->l2_bits);
	uint64_t l2_index = (offset >> s->cluster_bits) & ((1ull << s->l2_bits) - 1);
	uint64_t in = offset & (cs64(s) - 1);
	uint64_t table_end = ((l1_index + 1) << (s->cluster_bits + s->l2_bits)) - offset;
	uint64_t max = len < table_end ? len : table_end;
	CacheSlot *sl;
	int ret;

	ret = l2_table(img, l1_index, false, &sl);
	if (ret < 0)
		return ret;
	if (sl == NULL) {
		ext->type = EXT_UNALLOC;
		ext->bytes = max;
		return 0;
	}
	uint64_t e = l2_get(sl, l2_index), host = 0;
	ret = classify(img, e, &ext->type, &host);
	if (ret < 0)
		return ret;
	ext->entry = e;
	ext->host = host + in;
	ext->bytes = cs64(s) - in;
	if (ext->type == EXT_COMPRESSED) {
		if (ext->bytes > max)
			ext->bytes = max;
		return 0;
	}
	for (uint64_t i = l2_index + 1; ext->bytes < max; i++) {
		ExtType t;
		uint64_t h = 0;
		ret = classify(img, l2_get(sl, i), &t, &h);
		if (ret < 0)
			return ret;
		if (t != ext->type || (t == EXT_DATA && h != host + (i - l2_index) * cs64(s)))
			break;
		ext->bytes += cs64(s);
	}
	if (ext->bytes > max)
		ext->bytes = max;
	return 0;
}

/* Decompression state reused across the clusters of one request: zlib's
 * window allocation dominates the cost of small compressed clusters. */
typedef struct {
	z_stream z;
	bool ready;
	uint8_t *in;
	size_t in_cap;
} Inflater;

static void
inflater_end(Inflater *inf)
{
	if (inf->ready)
		inflateEnd(&inf->z);
	free(inf->in);
}

static int
read_compressed(BlockImage *img, Inflater *inf, uint64_t entry, uint8_t *out)
{
	Qcow2State *s = img->qcow2;
	uint64_t off, bytes;
	int ret;

	qcow2_compressed_range(entry, s->cluster_bits, &off, &bytes);
	if (bytes > 2 * cs64(s) + 512)
		return corrupt(img, "compressed cluster too large");
	if (bytes > inf->in_cap) {
		uint8_t *n = realloc(inf->in, bytes);
		if (n == NULL)
			return -ENOMEM;
		inf->in = n;
		inf->in_cap = bytes;
	}
	ret = block_file_pread(img->fd, inf->in, bytes, off);
	if (ret < 0)
		return ret;
	if (!inf->ready) {
		memset(&inf->z, 0, sizeof(inf->z));
		if (inflateInit2(&inf->z, -12) != Z_OK)   /* raw deflate, 4 KiB window: what QEMU writes */
			return -ENOMEM;
		inf->ready = true;
	} else if (inflateReset(&inf->z) != Z_OK) {
		return -EIO;
	}
	inf->z.next_in = inf->in;
	inf->z.avail_in = (uInt) bytes;
	inf->z.next_out = out;
	inf->z.avail_out = s->cluster_size;
	int zr = inflate(&inf->z, Z_FINISH);
	/* The descriptor rounds up to whole sectors, so trailing input is normal. */
	if ((zr != Z_STREAM_END && zr != Z_BUF_ERROR) || inf->z.avail_out != 0)
		return -EIO;
	return 0;
}

/* ---- reads ------------------------------------------------------------------ */

int
qcow2_preadv(BlockImage *img, const struct iovec *iov, int iovcnt, uint64_t offset, size_t len)
{
	Qcow2State *s = img->qcow2;
	Inflater inf = { .ready = false };
	uint8_t *cbuf = NULL;
	size_t done = 0;
	int ret = 0;

	while (done < len) {
		Extent ext;
		size_t slot = 0;
		bool in_flight = false;
		pthread_mutex_lock(&s->lock);
		ret = map_range(img, offset + done, len - done, &ext);
		/* The clusters read stay ours until the read is done (io_begin()). */
		if (ret == 0 && ext.type == EXT_DATA) {
			ret = io_begin(s, ext.host, ext.bytes, &slot);
			in_flight = ret == 0;
		} else if (ret == 0 && ext.type == EXT_COMPRESSED) {
			uint64_t coff, cbytes;
			qcow2_compressed_range(ext.entry, s->cluster_bits, &coff, &cbytes);
			ret = io_begin(s, coff, cbytes, &slot);
			in_flight = ret == 0;
		}
		pthread_mutex_unlock(&s->lock);
		if (ret < 0)
			break;
		size_t n = (size_t) ext.bytes;

		switch (ext.type) {
		case EXT_UNALLOC:
			if (img->backing != NULL) {
				ret = block_backing_preadv(img->backing, iov, iovcnt, done, n, offset + done);
				break;
			}
			/* fall through */
		case EXT_ZERO:
			block_iov_memset(iov, iovcnt, done, 0, n);
			break;
		case EXT_DATA: {
			struct iovec local[16], *v = local;
			int max = iovcnt > 16 ? iovcnt : 16;
			if (iovcnt > 16 && (v = malloc(sizeof(*v) * (size_t) iovcnt)) == NULL) {
				ret = -ENOMEM;
				break;
			}
			int cnt = block_iov_slice(iov, iovcnt, done, n, v, max);
			ret = block_file_preadv(img, v, cnt, ext.host, n);
			if (v != local)
				free(v);
			break;
		}
		case EXT_COMPRESSED:
			if (cbuf == NULL && (cbuf = malloc(s->cluster_size)) == NULL) {
				ret = -ENOMEM;
				break;
			}
			ret = read_compressed(img, &inf, ext.entry, cbuf);
			if (ret == 0)
				block_iov_from_buf(iov, iovcnt, done, cbuf + ((offset + done) & (cs64(s) - 1)), n);
			break;
		}
		if (in_flight)
			io_end(s, slot);
		if (ret < 0)
			break;
		done += n;
	}
	inflater_end(&inf);
	free(cbuf);
	return ret;
}

/* ---- writes ------------------------------------------------------------------ */

/* Fills buf (one cluster) with what guest cluster `gcl` reads as now, for
 * copy-on-write of a partially written cluster. */
static int
read_old_cluster(BlockImage *img, ExtType type, uint64_t entry, uint64_t host, uint64_t guest_off, uint8_t *buf)
{
	Qcow2State *s = img->qcow2;

	switch (type) {
	case EXT_UNALLOC:
		if (img->backing != NULL) {
			struct iovec v = { buf, s->cluster_size };
			uint64_t n = cs64(s);
			if (guest_off + n > img->size)
				n = img->size - guest_off;
			memset(buf, 0, s->cluster_size);
			return block_backing_preadv(img->backing, &v, 1, 0, (size_t) n, guest_off);
		}
		/* fall through */
	case EXT_ZERO:
		memset(buf, 0, s->cluster_size);
		return 0;
	case EXT_COMPRESSED: {
		Inflater inf = { .ready = false };
		int ret = read_compressed(img, &inf, entry, buf);
		inflater_end(&inf);
		return ret;
	}
	case EXT_DATA:
		return block_file_pread(img->fd, buf, s->cluster_size, host);
	}
	return -EINVAL;
}

static bool
reads_as_zero(const BlockImage *img, ExtType type)
{
	return type == EXT_ZERO || (type == EXT_UNALLOC && img->backing == NULL);
}

/* Writes [in, in+n) of the guest cluster at guest_off, which is not yet a
 * plain allocated cluster: allocate one (or reuse a preallocated zero
 * cluster), fill the rest of it, then point the L2 entry at it.  Lock held.
 *
 * The common case — a cluster that reads as zero today, given a cluster at
 * the end of the file that was never written — needs neither a copy nor an
 * ordering between data and reference: the new cluster already holds what
 * the guest cluster reads as (zeroes) before the data arrives.  Then the L2
 * entry is set at once and *defer is set to the host cluster: the caller
 * writes the data outside the lock like a plain overwrite, so the other
 * requests into the same cluster (a sequential writer has a cluster's worth
 * in flight) and allocations elsewhere go on in parallel instead of queueing
 * behind this one's I/O.  (QEMU gets the same effect by tracking in-flight
 * allocations per cluster, block/qcow2-cluster.c handle_dependencies().) */
static int
allocating_write(BlockImage *img, CacheSlot *l2, uint64_t l2_index, uint64_t guest_off,
                 const struct iovec *iov, int iovcnt, size_t skip, size_t in, size_t n,
                 uint64_t *defer)
{
	Qcow2State *s = img->qcow2;
	uint64_t entry = l2_get(l2, l2_index), old_host = 0, new_off;
	uint64_t l2_off = l2->offset;
	ExtType type;
	int ret;

	ret = classify(img, entry, &type, &old_host);
	if (ret < 0)
		return ret;

	/* A preallocated zero cluster is reused only when it is ours alone. */
	bool reuse = type == EXT_ZERO && old_host != 0 && (entry & QCOW2_OFLAG_COPIED);
	if (reuse) {
		new_off = old_host;
	} else {
		ret = alloc_cluster(img, &new_off);
		if (ret < 0)
			return ret;
	}

	bool whole = in == 0 && n == s->cluster_size;
	bool fresh = !reuse && (new_off >> s->cluster_bits) >= s->fresh_from;
	if (fresh && reads_as_zero(img, type)) {
		/* Give the file system the whole cluster now, as zeroes (unwritten
		 * extents): the data writes into it are then overwrites inside the
		 * file, which ext4 and XFS run in parallel even with O_DIRECT, where
		 * writes into a hole or past the end of the file take the inode lock
		 * exclusively and allocate 4 KiB at a time.  Only an optimisation: a
		 * hole reads as zeroes too, so a failure here changes nothing. */
		if (!whole)
			(void) fallocate(img->fd, 0, (off_t) new_off, (off_t) s->cluster_size);
		l2_set(l2, l2_index, new_off | QCOW2_OFLAG_COPIED);
		*defer = new_off;
		/* A zero cluster's preallocation shared with a snapshot loses this
		 * reference, as below. */
		if (type == EXT_ZERO && old_host != 0)
			return queue_free(img, old_host, cs64(s));
		return 0;
	}
	if (whole) {
		struct iovec local[16], *v = local;
		int max = iovcnt > 16 ? iovcnt : 16;
		if (iovcnt > 16 && (v = malloc(sizeof(*v) * (size_t) iovcnt)) == NULL)
			return -ENOMEM;
		int cnt = block_iov_slice(iov, iovcnt, skip, n, v, max);
		ret = block_file_pwritev(img, v, cnt, new_off + in, n);
		if (v != local)
			free(v);
	} else {
		uint8_t *buf;
		if (posix_memalign((void **) &buf, 4096, s->cluster_size) != 0)
			return -ENOMEM;
		ret = read_old_cluster(img, type, entry, old_host, guest_off - in, buf);
		if (ret == 0) {
			block_iov_to_buf(iov, iovcnt, skip, buf + in, n);
			struct iovec v = { buf, s->cluster_size };
			ret = block_file_pwritev(img, &v, 1, new_off, s->cluster_size);
		}
		free(buf);
	}
	if (ret < 0)
		return ret;

	/* Reading the backing file may have evicted the L2 table; look it up again. */
	CacheSlot *sl;
	ret = cache_get(img, &s->l2_cache, l2_off, false, &sl);
	if (ret < 0)
		return ret;
	l2_set(sl, l2_index, new_off | QCOW2_OFLAG_COPIED);
	/* Copy-on-write of a cluster shared with a snapshot (or a zero cluster's
	 * shared preallocation): the old one loses this reference. */
	if ((type == EXT_DATA || type == EXT_ZERO) && old_host != 0 && !reuse)
		return queue_free(img, old_host, cs64(s));
	if (type == EXT_COMPRESSED) {
		uint64_t coff, cbytes;
		qcow2_compressed_range(entry, s->cluster_bits, &coff, &cbytes);
		return queue_free(img, coff & ~511ull, round_up((coff & 511) + cbytes, 512));
	}
	return 0;
}

int
qcow2_pwritev(BlockImage *img, const struct iovec *iov, int iovcnt, uint64_t offset, size_t len)
{
	Qcow2State *s = img->qcow2;
	size_t done = 0;
	int ret = 0;

	while (done < len) {
		uint64_t pos = offset + done;
		uint64_t l1_index = pos >> (s->cluster_bits + s->l2_bits);
		uint64_t l2_index = (pos >> s->cluster_bits) & ((1ull << s->l2_bits) - 1);
		size_t in = (size_t) (pos & (cs64(s) - 1));
		size_t n = s->cluster_size - in < len - done ? s->cluster_size - in : len - done;
		uint64_t host = 0, run = 0;
		CacheSlot *sl;

		pthread_mutex_lock(&s->lock);
		if (s->broken) {
			pthread_mutex_unlock(&s->lock);
			return -EIO;
		}
		ret = l2_table_for_write(img, l1_index, true, &sl);
		if (ret == 0) {
			ExtType type;
			uint64_t entry = l2_get(sl, l2_index);
			ret = classify(img, entry, &type, &host);
			/* In place only where the cluster is ours alone (COPIED). */
			if (ret == 0 && type == EXT_DATA && (entry & QCOW2_OFLAG_COPIED)) {
				/* Plain overwrite: extend over following contiguous clusters, then
				 * write outside the lock. */
				run = n;
				for (uint64_t i = l2_index + 1; i < (1ull << s->l2_bits) && done + run < len; i++) {
					ExtType t;
					uint64_t h = 0;
					if (classify(img, l2_get(sl, i), &t, &h) < 0 || t != EXT_DATA || h != host + (i - l2_index) * cs64(s) ||
					    !(l2_get(sl, i) & QCOW2_OFLAG_COPIED))
						break;
					uint64_t more = len - done - run;
					run += more < cs64(s) ? more : cs64(s);
				}
			} else if (ret == 0) {
				uint64_t defer = 0;
				ret = allocating_write(img, sl, l2_index, pos, iov, iovcnt, done, in, n, &defer);
				if (ret == 0 && defer != 0) {
					host = defer;   /* the data goes outside the lock, see allocating_write() */
					run = n;
				}
			}
		}
		size_t slot = 0;
		if (ret == 0 && run > 0)
			ret = io_begin(s, host + in, run, &slot);
		pthread_mutex_unlock(&s->lock);
		if (ret < 0)
			return ret;

		if (run > 0) {
			struct iovec local[16], *v = local;
			int max = iovcnt > 16 ? iovcnt : 16;
			if (iovcnt > 16 && (v = malloc(sizeof(*v) * (size_t) iovcnt)) == NULL) {
				io_end(s, slot);
				return -ENOMEM;
			}
			int cnt = block_iov_slice(iov, iovcnt, done, (size_t) run, v, max);
			ret = block_file_pwritev(img, v, cnt, host + in, (size_t) run);
			io_end(s, slot);
			if (v != local)
				free(v);
			if (ret < 0)
				return ret;
			done += (size_t) run;
		} else {
			done += n;
		}
	}
	return 0;
}

/* ---- discard and zeroes --------------------------------------------------- */

/* Changes whole clusters [offset, offset+len) to `zero` (zero flag) or
 * unallocated, freeing what they held unless keep_alloc. */
static int
set_clusters(BlockImage *img, uint64_t offset, uint64_t len, bool zero, bool keep_alloc)
{
	Qcow2State *s = img->qcow2;

	for (uint64_t pos = offset; pos < offset + len; pos += cs64(s)) {
		uint64_t l1_index = pos >> (s->cluster_bits + s->l2_bits);
		uint64_t l2_index = (pos >> s->cluster_bits) & ((1ull << s->l2_bits) - 1);
		CacheSlot *sl;
		ExtType type;
		uint64_t host = 0;
		int ret = l2_table_for_write(img, l1_index, zero, &sl);
		if (ret < 0)
			return ret;
		if (sl == NULL)
			continue;     /* unallocated already, and no zero flag wanted */
		uint64_t e = l2_get(sl, l2_index);
		ret = classify(img, e, &type, &host);
		if (ret < 0)
			return ret;
		uint64_t ne;
		if (zero)
			/* A cluster shared with a snapshot is not kept as our preallocation. */
			ne = (keep_alloc && host != 0 && type != EXT_COMPRESSED && (e & QCOW2_OFLAG_COPIED))
					 ? host | QCOW2_OFLAG_COPIED | QCOW2_OFLAG_ZERO : QCOW2_OFLAG_ZERO;
		else
			ne = 0;
		if (ne == e)
			continue;
		l2_set(sl, l2_index, ne);
		if (type == EXT_COMPRESSED) {
			uint64_t coff, cbytes;
			qcow2_compressed_range(e, s->cluster_bits, &coff, &cbytes);
			ret = queue_free(img, coff & ~511ull, round_up((coff & 511) + cbytes, 512));
		} else if (host != 0 && !(ne & QCOW2_OFFSET_MASK)) {
			ret = queue_free(img, host, cs64(s));
		}
		if (ret < 0)
			return ret;
	}
	return 0;
}

int
qcow2_discard(BlockImage *img, uint64_t offset, uint64_t len)
{
	Qcow2State *s = img->qcow2;
	uint64_t start = round_up(offset, cs64(s));
	uint64_t end = (offset + len) & ~(cs64(s) - 1);
	int ret;

	/* A cluster cut by the end of the image counts as whole. */
	if (offset + len == img->size)
		end = round_up(img->size, cs64(s));
	if (start >= end)
		return 0;   /* discard is a hint; partial clusters are kept */
	if (img->backing != NULL && s->version < 3)
		return 0;   /* v2 cannot hide the backing file without writing zeroes */

	pthread_mutex_lock(&s->lock);
	/* With a backing file, "unallocated" would show its data: use the zero flag. */
	ret = s->broken ? -EIO : set_clusters(img, start, end - start, img->backing != NULL, false);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static int
write_zero_data(BlockImage *img, uint64_t offset, uint64_t len)
{
	uint8_t *zeroes;
	int ret = 0;

	if (len == 0)
		return 0;
	zeroes = calloc(1, 1u << 20);
	if (zeroes == NULL)
		return -ENOMEM;
	while (len > 0 && ret == 0) {
		size_t n = len > (1u << 20) ? (1u << 20) : (size_t) len;
		struct iovec v = { zeroes, n };
		ret = qcow2_pwritev(img, &v, 1, offset, n);
		offset += n;
		len -= n;
	}
	free(zeroes);
	return ret;
}

int
qcow2_write_zeroes(BlockImage *img, uint64_t offset, uint64_t len, bool may_unmap)
{
	Qcow2State *s = img->qcow2;
	uint64_t end_req = offset + len;
	uint64_t start = round_up(offset, cs64(s));
	uint64_t end = end_req & ~(cs64(s) - 1);
	int ret;

	if (end_req == img->size)
		end = round_up(end_req, cs64(s));   /* the cluster cut by the image end counts as whole */
	/* v2 has no zero flag: only "unallocated, no backing file" reads as zero. */
	bool by_metadata = start < end && (s->version >= 3 || (img->backing == NULL && may_unmap));
	if (!by_metadata)
		return write_zero_data(img, offset, len);

	ret = write_zero_data(img, offset, start - offset);
	if (ret == 0 && end < end_req)
		ret = write_zero_data(img, end, end_req - end);
	if (ret < 0)
		return ret;

	pthread_mutex_lock(&s->lock);
	if (s->broken)
		ret = -EIO;
	else if (s->version >= 3)
		ret = set_clusters(img, start, end - start, true, !may_unmap);
	else
		ret = set_clusters(img, start, end - start, false, false);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/* ---- flush ----------------------------------------------------------------- */

/* Writes all metadata back in the order described at the top of the file.
 * Lock held. */
int
qcow2_flush_metadata(BlockImage *img, bool apply_frees)
{
	Qcow2State *s = img->qcow2;
	int ret;

	if (img->read_only)
		return 0;

	/* A. refcount blocks */
	if (cache_any_dirty(&s->rb_cache)) {
		ret = cache_write_dirty(img, &s->rb_cache);
		if (ret == 0) ret = qcow2_sync_file(img);
		if (ret < 0) return ret;
	}
	/* B. refcount table */
	if (any_dirty(s->reftable_dirty, s->reftable_entries)) {
		ret = write_table_chunks(img, s->reftable_offset, s->reftable, s->reftable_entries, s->reftable_dirty, false);
		if (ret == 0) ret = qcow2_sync_file(img);
		if (ret < 0) return ret;
	}
	/* C. L2 tables */
	if (cache_any_dirty(&s->l2_cache)) {
		ret = cache_write_dirty(img, &s->l2_cache);
		if (ret == 0) ret = qcow2_sync_file(img);
		if (ret < 0) return ret;
	}
	/* D. L1 table */
	if (any_dirty(s->l1_dirty, s->l1_size)) {
		ret = write_table_chunks(img, s->l1_offset, s->l1, s->l1_size, s->l1_dirty, false);
		if (ret == 0) ret = qcow2_sync_file(img);
		if (ret < 0) return ret;
	}
	/* E. deferred frees: the references are gone from the disk now */
	if (apply_frees && s->nfrees > 0) {
		/* Those with data I/O still in flight on them wait (see io_begin()). */
		size_t n = s->nfrees, kept = 0;
		for (size_t i = 0; i < n; i++) {
			PendingFree f = s->frees[i];
			if (io_in_flight(s, f.offset, f.bytes)) {
				s->frees[kept++] = f;
				continue;
			}
			uint64_t first = f.offset >> s->cluster_bits;
			uint64_t last = (f.offset + f.bytes - 1) >> s->cluster_bits;
			for (uint64_t c = first; c <= last; c++) {
				ret = qcow2_update_refcount(img, c, -1, false);
				if (ret < 0) {
					/* Keep what was not applied; the cluster in hand leaks at worst. */
					memmove(s->frees + kept, s->frees + i + 1, (n - i - 1) * sizeof(*s->frees));
					s->nfrees = kept + (n - i - 1);
					return ret;
				}
			}
		}
		s->nfrees = kept;
		ret = cache_write_dirty(img, &s->rb_cache);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int
qcow2_flush(BlockImage *img)
{
	Qcow2State *s = img->qcow2;
	int ret;

	pthread_mutex_lock(&s->lock);
	ret = qcow2_flush_metadata(img, true);
	pthread_mutex_unlock(&s->lock);
	/* Metadata order is settled inside qcow2_flush_metadata; this last sync is for
	 * the guest's data, and other requests may proceed meanwhile. */
	if (ret == 0)
		ret = qcow2_sync_file(img);
	return ret;
}

/* ---- resize ---------------------------------------------------------------- */

int
qcow2_write_header_fields(BlockImage *img, uint64_t offset, const uint8_t *buf, size_t len)
{
	int ret = block_file_pwrite(img->fd, buf, len, offset);
	return ret < 0 ? ret : qcow2_sync_file(img);
}

static int
grow_l1(BlockImage *img, uint64_t new_l1_size)
{
	Qcow2State *s = img->qcow2;
	uint64_t clusters = round_up(new_l1_size * 8, cs64(s)) / cs64(s);
	uint64_t new_off, old_off = s->l1_offset, old_clusters = round_up((uint64_t) s->l1_size * 8, cs64(s)) / cs64(s);
	uint64_t *l1;
	bool *dirty;
	uint8_t hdr[12];
	int ret;

	if (new_l1_size * 8 > QCOW2_MAX_L1_BYTES)
		return -EFBIG;
	l1 = calloc(new_l1_size, sizeof(uint64_t));
	dirty = calloc((new_l1_size * 8 + TABLE_CHUNK - 1) / TABLE_CHUNK, sizeof(bool));
	if (l1 == NULL || dirty == NULL) {
		free(l1);
		free(dirty);
		return -ENOMEM;
	}
	memcpy(l1, s->l1, (size_t) s->l1_size * 8);

	/* Everything the new table points at must be on disk first. */
	ret = alloc_end_area(img, clusters, &new_off);
	if (ret == 0) ret = qcow2_flush_metadata(img, false);
	if (ret == 0) ret = write_table_chunks(img, new_off, l1, new_l1_size, dirty, true);
	if (ret == 0) ret = qcow2_sync_file(img);
	qcow2_put32(hdr, (uint32_t) new_l1_size);
	qcow2_put64(hdr + 4, new_off);
	if (ret == 0) ret = qcow2_write_header_fields(img, QCOW2_HDR_L1_SIZE, hdr, 12);
	if (ret < 0) {
		free(l1);
		free(dirty);
		return ret;
	}
	free(s->l1);
	free(s->l1_dirty);
	s->l1 = l1;
	s->l1_dirty = dirty;
	s->l1_size = (uint32_t) new_l1_size;
	s->l1_offset = new_off;
	for (uint64_t i = 0; i < old_clusters && old_off != 0; i++) {
		ret = qcow2_update_refcount(img, (old_off >> s->cluster_bits) + i, -1, false);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int
qcow2_resize(BlockImage *img, uint64_t new_size, char **error)
{
	Qcow2State *s = img->qcow2;
	uint64_t need = qcow2_l1_entries_for(new_size, s->cluster_bits);
	uint8_t buf[8];
	int ret = 0;

	if (need * 8 > QCOW2_MAX_L1_BYTES) {
		block_set_error(error, "Image size is too large for this cluster size");
		return -EFBIG;
	}
	pthread_mutex_lock(&s->lock);
	if (s->broken)
		ret = -EIO;
	if (ret == 0 && need > s->l1_size)
		ret = grow_l1(img, need);
	if (ret == 0) {
		qcow2_put64(buf, new_size);
		ret = qcow2_write_header_fields(img, QCOW2_HDR_SIZE, buf, 8);
	}
	if (ret == 0) {
		img->size = new_size;
		ret = qcow2_flush_metadata(img, true);
	}
	pthread_mutex_unlock(&s->lock);
	if (ret < 0)
		block_set_error(error, "Could not resize '%s': %s", img->filename, strerror(-ret));
	return ret;
}

/* ---- open / close ---------------------------------------------------------- */

int
qcow2_read_table(int fd, uint64_t off, uint64_t entries, uint64_t **out)
{
	uint8_t *raw = malloc(entries * 8 + 1);
	uint64_t *t = calloc(entries + 1, sizeof(uint64_t));
	int ret = 0;

	if (raw == NULL || t == NULL)
		ret = -ENOMEM;
	else if (entries > 0)
		ret = block_file_pread(fd, raw, entries * 8, off);
	if (ret == 0)
		for (uint64_t i = 0; i < entries; i++)
			t[i] = qcow2_be64(raw + 8 * i);
	free(raw);
	if (ret < 0) {
		free(t);
		return ret;
	}
	*out = t;
	return 0;
}


int
qcow2_open(BlockImage *img, char **error)
{
	uint8_t h[QCOW2_OUR_HEADER_LENGTH];
	Qcow2State *s;
	struct stat st;
	int ret;

	memset(h, 0, sizeof(h));
	if (fstat(img->fd, &st) < 0) {
		block_set_error(error, "Could not stat '%s': %s", img->filename, strerror(errno));
		return -errno;
	}
	if ((uint64_t) st.st_size < QCOW2_V2_HEADER_LENGTH) {
		block_set_error(error, "'%s' is too short to be a qcow2 image (truncated?)", img->filename);
		return -EINVAL;
	}
	ret = block_file_pread(img->fd, h, sizeof(h), 0);
	if (ret < 0) {
		block_set_error(error, "Could not read '%s': %s", img->filename, strerror(-ret));
		return ret;
	}
	if (qcow2_be32(h) != QCOW2_MAGIC) {
		block_set_error(error, "'%s' is not a qcow2 image (bad magic)", img->filename);
		return -EINVAL;
	}

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	img->qcow2 = s;
	pthread_mutex_init(&s->lock, NULL);

	s->version = (int) qcow2_be32(h + QCOW2_HDR_VERSION);
	s->cluster_bits = qcow2_be32(h + QCOW2_HDR_CLUSTER_BITS);
	uint64_t size = qcow2_be64(h + QCOW2_HDR_SIZE);
	uint64_t backing_off = qcow2_be64(h + QCOW2_HDR_BACKING_OFFSET);
	uint32_t backing_len = qcow2_be32(h + QCOW2_HDR_BACKING_SIZE);
	uint32_t crypt = qcow2_be32(h + QCOW2_HDR_CRYPT);
	s->l1_size = qcow2_be32(h + QCOW2_HDR_L1_SIZE);
	s->l1_offset = qcow2_be64(h + QCOW2_HDR_L1_OFFSET);
	s->reftable_offset = qcow2_be64(h + QCOW2_HDR_REFTABLE_OFFSET);
	s->reftable_clusters = qcow2_be32(h + QCOW2_HDR_REFTABLE_CLUSTERS);
	s->nb_snapshots = qcow2_be32(h + QCOW2_HDR_NB_SNAPSHOTS);
	s->snapshots_offset = qcow2_be64(h + QCOW2_HDR_SNAPSHOTS_OFFSET);

	if (s->version != 2 && s->version != 3) {
		block_set_error(error, "'%s': unsupported qcow2 version %d", img->filename, s->version);
		return -ENOTSUP;
	}
	if (s->cluster_bits < 9 || s->cluster_bits > 21) {
		block_set_error(error, "'%s': cluster size 2^%u is outside 512 B .. 2 MiB", img->filename, s->cluster_bits);
		return -EINVAL;
	}
	s->cluster_size = 1u << s->cluster_bits;
	s->l2_bits = s->cluster_bits - 3;
	if (s->version == 2) {
		s->refcount_order = 4;
		s->header_length = QCOW2_V2_HEADER_LENGTH;
	} else {
		s->incompat = qcow2_be64(h + QCOW2_HDR_INCOMPAT);
		s->compat = qcow2_be64(h + QCOW2_HDR_COMPAT);
		s->autoclear = qcow2_be64(h + QCOW2_HDR_AUTOCLEAR);
		s->refcount_order = qcow2_be32(h + QCOW2_HDR_REFCOUNT_ORDER);
		s->header_length = qcow2_be32(h + QCOW2_HDR_LENGTH);
		if (s->header_length < QCOW2_V3_HEADER_LENGTH || s->header_length > s->cluster_size ||
		    s->header_length % 8 != 0) {
			block_set_error(error, "'%s': invalid qcow2 header length %u", img->filename, s->header_length);
			return -EINVAL;
		}
		if (s->refcount_order > 6) {
			block_set_error(error, "'%s': invalid refcount order %u", img->filename, s->refcount_order);
			return -EINVAL;
		}
	}
	s->rb_bits = s->cluster_bits + 3 - s->refcount_order;

	if (s->incompat & ~QCOW2_INCOMPAT_KNOWN) {
		const char *what = (s->incompat & QCOW2_INCOMPAT_DATA_FILE) ? "external data file"
										 : (s->incompat & QCOW2_INCOMPAT_EXTL2) ? "extended L2 entries"
										 : "unknown incompatible feature";
		block_set_error(error, "'%s': unsupported qcow2 feature: %s", img->filename, what);
		return -ENOTSUP;
	}
	if ((s->incompat & QCOW2_INCOMPAT_COMPRESSION) && s->header_length > QCOW2_HDR_COMPRESSION &&
	    h[QCOW2_HDR_COMPRESSION] != 0) {
		block_set_error(error, "'%s': unsupported compression type (only zlib is supported)", img->filename);
		return -ENOTSUP;
	}
	if (crypt != 0) {
		block_set_error(error, "'%s': encrypted qcow2 images are not supported", img->filename);
		return -ENOTSUP;
	}
	if (size > ((uint64_t) 1 << 62)) {
		block_set_error(error, "'%s': virtual size %" PRIu64 " is too large", img->filename, size);
		return -EFBIG;
	}
	img->size = size;
	if ((uint64_t) s->l1_size * 8 > QCOW2_MAX_L1_BYTES ||
	    s->l1_size < qcow2_l1_entries_for(size, s->cluster_bits) ||
	    (s->l1_offset & (cs64(s) - 1)) || (s->l1_size > 0 && s->l1_offset == 0)) {
		block_set_error(error, "'%s': invalid L1 table (size %u, offset 0x%" PRIx64 ")", img->filename, s->l1_size, s->l1_offset);
		return -EINVAL;
	}
	/* Both tables must lie inside the file: a header claiming more is damaged
	 * (and would make us read megabytes of nothing). */
	if (s->l1_offset > (uint64_t) st.st_size || (uint64_t) s->l1_size * 8 > (uint64_t) st.st_size - s->l1_offset) {
		block_set_error(error, "'%s': the L1 table lies past the end of the file (truncated?)", img->filename);
		return -EINVAL;
	}
	if (s->reftable_clusters == 0 || (uint64_t) s->reftable_clusters * s->cluster_size > QCOW2_MAX_REFTABLE_BYTES ||
	    s->reftable_offset == 0 || (s->reftable_offset & (cs64(s) - 1)) ||
	    s->reftable_offset > (uint64_t) st.st_size ||
	    (uint64_t) s->reftable_clusters * s->cluster_size > round_up((uint64_t) st.st_size, cs64(s)) - s->reftable_offset) {
		block_set_error(error, "'%s': invalid refcount table", img->filename);
		return -EINVAL;
	}
	if (s->nb_snapshots > 65536 || (s->nb_snapshots > 0 && (s->snapshots_offset & (cs64(s) - 1)))) {
		block_set_error(error, "'%s': invalid snapshot table", img->filename);
		return -EINVAL;
	}
	if (backing_off != 0 && (backing_len == 0 || backing_len > QCOW2_MAX_BACKING_NAME || backing_off > s->cluster_size)) {
		block_set_error(error, "'%s': invalid backing file name", img->filename);
		return -EINVAL;
	}

	/* Header extensions, up to the end of the first cluster. */
	uint64_t ext_end = backing_off ? backing_off : s->cluster_size;
	if (s->version >= 3 || s->header_length < ext_end) {
		uint64_t pos = s->header_length;
		while (pos + 8 <= ext_end) {
			uint8_t eh[8];
			ret = block_file_pread(img->fd, eh, 8, pos);
			if (ret < 0)
				return ret;
			uint32_t type = qcow2_be32(eh), len = qcow2_be32(eh + 4);
			if (type == QCOW2_EXT_END)
				break;
			pos += 8;
			if (len > ext_end - pos) {
				block_set_error(error, "'%s': header extension 0x%x runs past the header", img->filename, type);
				return -EINVAL;
			}
			if (type == QCOW2_EXT_BACKING_FORMAT) {
				char fmt[32] = "";
				if (len < sizeof(fmt)) {
					ret = block_file_pread(img->fd, fmt, len, pos);
					if (ret < 0)
						return ret;
					fmt[len] = '\0';
				}
				if (!block_format_from_name(fmt, &img->backing_format)) {
					block_set_error(error, "'%s': unsupported backing format '%s'", img->filename, fmt);
					return -ENOTSUP;
				}
			}
			pos += round_up(len, 8);
		}
	}

	if (backing_off != 0) {
		img->backing_filename = calloc(1, backing_len + 1);
		if (img->backing_filename == NULL)
			return -ENOMEM;
		ret = block_file_pread(img->fd, img->backing_filename, backing_len, backing_off);
		if (ret < 0)
			return ret;
		if (strlen(img->backing_filename) != backing_len) {
			block_set_error(error, "'%s': backing file name contains a NUL byte", img->filename);
			return -EINVAL;
		}
		img->backing_full_path = block_resolve_backing(img->filename, img->backing_filename);
		if (img->backing_full_path == NULL)
			return -ENOMEM;
	}

	/* Tables. */
	s->high_water = round_up((uint64_t) st.st_size, cs64(s)) >> s->cluster_bits;
	s->fresh_from = s->high_water;
	s->reftable_entries = (uint64_t) s->reftable_clusters * s->cluster_size / 8;
	ret = qcow2_read_table(img->fd, s->l1_offset, s->l1_size, &s->l1);
	if (ret == 0)
		ret = qcow2_read_table(img->fd, s->reftable_offset, s->reftable_entries, &s->reftable);
	if (ret < 0) {
		block_set_error(error, "Could not read '%s': %s", img->filename, strerror(-ret));
		return ret;
	}
	s->l1_dirty = calloc(((uint64_t) s->l1_size * 8 + TABLE_CHUNK - 1) / TABLE_CHUNK + 1, sizeof(bool));
	s->reftable_dirty = calloc((s->reftable_entries * 8 + TABLE_CHUNK - 1) / TABLE_CHUNK + 1, sizeof(bool));
	/* GBBLOCK_CACHE_BYTES shrinks both caches: tests use it to make
	 * evictions (and the flushes they force) happen all the time. */
	uint32_t l2_bytes = L2_CACHE_BYTES, rb_bytes = RB_CACHE_BYTES;
	const char *env = getenv("GBBLOCK_CACHE_BYTES");
	if (env != NULL && strtoul(env, NULL, 10) > 0)
		l2_bytes = rb_bytes = (uint32_t) strtoul(env, NULL, 10);
	if (s->l1_dirty == NULL || s->reftable_dirty == NULL ||
	    cache_init(&s->l2_cache, s->cluster_size, l2_bytes) < 0 ||
	    cache_init(&s->rb_cache, s->cluster_size, rb_bytes) < 0)
		return -ENOMEM;

	if (img->read_only)
		return 0;

	if (s->incompat & QCOW2_INCOMPAT_CORRUPT) {
		if (!(img->flags & BLOCK_OPEN_CHECK)) {
			block_set_error(error, "'%s' is marked corrupt; it can only be opened read-only (repair it with 'check -r all')", img->filename);
			return -EROFS;
		}
	}
	if (s->autoclear != 0) {
		/* We maintain none of the autoclear features (e.g. bitmaps): clearing
		 * the bits tells readers their data may be stale, as the spec asks. */
		uint8_t buf[8] = { 0 };
		s->autoclear = 0;
		ret = qcow2_write_header_fields(img, QCOW2_HDR_AUTOCLEAR, buf, 8);
		if (ret < 0)
			return ret;
	}
	if ((s->incompat & QCOW2_INCOMPAT_DIRTY) && !(img->flags & BLOCK_OPEN_CHECK)) {
		ret = qcow2_repair_refcounts(img, error);
		if (ret < 0)
			return ret;
	}
	return 0;
}

void
qcow2_close(BlockImage *img)
{
	Qcow2State *s = img->qcow2;

	if (s->l1 != NULL && s->reftable != NULL && !s->broken) {
		pthread_mutex_lock(&s->lock);
		(void) qcow2_flush_metadata(img, true);
		pthread_mutex_unlock(&s->lock);
	}
	cache_destroy(&s->l2_cache);
	cache_destroy(&s->rb_cache);
	free(s->l1);
	free(s->l1_dirty);
	free(s->reftable);
	free(s->reftable_dirty);
	free(s->frees);
	free(s->io);
	pthread_mutex_destroy(&s->lock);
	free(s);
	img->qcow2 = NULL;
}

int
qcow2_get_info(BlockImage *img, BlockInfo *info)
{
	Qcow2State *s = img->qcow2;

	info->cluster_size = s->cluster_size;
	info->dirty = s->incompat & QCOW2_INCOMPAT_DIRTY;
	info->corrupt = s->incompat & QCOW2_INCOMPAT_CORRUPT;
	info->lazy_refcounts = s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS;
	info->qcow2_version = s->version;
	info->refcount_bits = 1 << s->refcount_order;
	info->nb_snapshots = (int) s->nb_snapshots;
	return 0;
}

int
qcow2_status(BlockImage *img, uint64_t offset, uint64_t len, uint64_t *pnum, bool *allocated, bool *zero)
{
	Qcow2State *s = img->qcow2;
	Extent ext;
	int ret;

	pthread_mutex_lock(&s->lock);
	ret = map_range(img, offset, len, &ext);
	pthread_mutex_unlock(&s->lock);
	if (ret < 0)
		return ret;
	*pnum = ext.bytes;
	*allocated = ext.type != EXT_UNALLOC;
	*zero = ext.type == EXT_ZERO || (ext.type == EXT_UNALLOC && img->backing == NULL);
	return 0;
}

/* ---- create ------------------------------------------------------------------------ */

/* Writes a minimal image (header, refcount table, one refcount block, empty
 * L1), then lets the engine grow it to the requested size and preallocate:
 * the same code paths as any resize, so create needs no layout maths of its own. */
int
qcow2_create(int fd, const char *path, const BlockCreateOptions *opts, char **error)
{
	uint32_t cs = opts->cluster_size;
	unsigned cb = (unsigned) __builtin_ctz(cs);
	uint8_t *buf = calloc(3, cs);
	int ret;

	if (buf == NULL)
		return -ENOMEM;

	uint8_t *h = buf;
	qcow2_put32(h + QCOW2_HDR_MAGIC, QCOW2_MAGIC);
	qcow2_put32(h + QCOW2_HDR_VERSION, 3);
	qcow2_put32(h + QCOW2_HDR_CLUSTER_BITS, cb);
	qcow2_put64(h + QCOW2_HDR_SIZE, 0);
	qcow2_put64(h + QCOW2_HDR_REFTABLE_OFFSET, cs);
	qcow2_put32(h + QCOW2_HDR_REFTABLE_CLUSTERS, 1);
	qcow2_put32(h + QCOW2_HDR_REFCOUNT_ORDER, 4);
	qcow2_put32(h + QCOW2_HDR_LENGTH, QCOW2_OUR_HEADER_LENGTH);

	/* Extensions: backing format, end; then the backing file name. */
	uint64_t pos = QCOW2_OUR_HEADER_LENGTH;
	if (opts->backing_file != NULL) {
		const char *fmt = block_format_name(opts->backing_format);
		size_t flen = strlen(fmt), blen = strlen(opts->backing_file);
		if (blen > QCOW2_MAX_BACKING_NAME || pos + 16 + round_up(flen, 8) + blen > cs) {
			free(buf);
			block_set_error(error, "Backing file name is too long");
			return -ENAMETOOLONG;
		}
		qcow2_put32(h + pos, QCOW2_EXT_BACKING_FORMAT);
		qcow2_put32(h + pos + 4, (uint32_t) flen);
		memcpy(h + pos + 8, fmt, flen);
		pos += 8 + round_up(flen, 8);
		pos += 8;   /* end-of-extensions marker: already zero */
		memcpy(h + pos, opts->backing_file, blen);
		qcow2_put64(h + QCOW2_HDR_BACKING_OFFSET, pos);
		qcow2_put32(h + QCOW2_HDR_BACKING_SIZE, (uint32_t) blen);
	}

	/* Refcount table (cluster 1) → block (cluster 2), which counts clusters 0-2. */
	qcow2_put64(buf + cs, 2ull * cs);
	for (int i = 0; i < 3; i++)
		qcow2_refcount_set(buf + 2 * cs, 4, (uint64_t) i, 1);
	ret = block_file_pwrite(fd, buf, 3ull * cs, 0);
	free(buf);
	if (ret < 0)
		return ret;

	char *err = NULL;
	BlockImage *img = block_open_flags(path, BLOCK_FORMAT_QCOW2, BLOCK_OPEN_NO_BACKING, &err);
	if (img == NULL) {
		block_set_error(error, "%s", err ? err : "could not reopen the new image");
		free(err);
		return -EIO;
	}
	ret = qcow2_resize(img, opts->size, error);

	/* Preallocation: every guest cluster gets a host cluster, one contiguous
	 * run per L2 table, so `full` can then write zeroes run by run. */
	Qcow2State *s = img->qcow2;
	uint64_t nclusters = round_up(opts->size, cs) >> cb;
	uint64_t per_l2 = 1ull << s->l2_bits;
	uint64_t *runs = NULL;   /* host offset of each L2 table's data run */
	uint64_t nruns = (nclusters + per_l2 - 1) / per_l2;

	if (ret == 0 && opts->prealloc != BLOCK_PREALLOC_OFF && nclusters > 0) {
		runs = calloc(nruns, sizeof(uint64_t));
		if (runs == NULL)
			ret = -ENOMEM;
		pthread_mutex_lock(&s->lock);
		for (uint64_t t = 0; t < nruns && ret == 0; t++) {
			uint64_t k = nclusters - t * per_l2 < per_l2 ? nclusters - t * per_l2 : per_l2;
			CacheSlot *sl;
			uint64_t data;
			ret = l2_table(img, t, true, &sl);
			if (ret == 0)
				ret = alloc_end_area(img, k, &data);
			if (ret == 0)
				ret = cache_get(img, &s->l2_cache, s->l1[t] & QCOW2_OFFSET_MASK, false, &sl);
			if (ret < 0)
				break;
			runs[t] = data;
			for (uint64_t j = 0; j < k; j++)
				l2_set(sl, j, (data + j * cs) | QCOW2_OFLAG_COPIED);
		}
		if (ret == 0)
			ret = qcow2_flush_metadata(img, true);
		uint64_t end = s->high_water << cb;
		pthread_mutex_unlock(&s->lock);

		if (ret == 0 && opts->prealloc == BLOCK_PREALLOC_METADATA && ftruncate(fd, (off_t) end) < 0)
			ret = -errno;
		if (ret == 0 && opts->prealloc == BLOCK_PREALLOC_FALLOC) {
			int r = posix_fallocate(fd, 0, (off_t) end);
			if (r != 0)
				ret = -r;
		}
		if (ret == 0 && opts->prealloc == BLOCK_PREALLOC_FULL) {
			static const uint8_t zeroes[1 << 20];
			uint64_t done = 0;
			for (uint64_t t = 0; t < nruns && ret == 0; t++) {
				uint64_t k = nclusters - t * per_l2 < per_l2 ? nclusters - t * per_l2 : per_l2;
				uint64_t bytes = k << cb, off = 0;
				while (off < bytes && ret == 0) {
					size_t n = bytes - off > sizeof(zeroes) ? sizeof(zeroes) : (size_t) (bytes - off);
					ret = block_file_pwrite(fd, zeroes, n, runs[t] + off);
					off += n;
					done += n;
					if (ret == 0 && opts->progress != NULL &&
					    !opts->progress(done < opts->size ? done : opts->size, opts->size, opts->user_data))
						ret = -ECANCELED;
				}
			}
		}
	}
	free(runs);
	block_close(img);
	if (ret == 0 && opts->progress != NULL && opts->prealloc != BLOCK_PREALLOC_FULL &&
	    !opts->progress(opts->size, opts->size, opts->user_data))
		ret = -ECANCELED;
	return ret;
}
