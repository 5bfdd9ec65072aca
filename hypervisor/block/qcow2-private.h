/* qcow2-private.h — what qcow2.c (I/O, allocation, caches) shares with
 * qcow2-check.c (consistency check and repair). */
#pragma once

#include "block-private.h"
#include "qcow2.h"

#include <pthread.h>

#define TABLE_CHUNK 4096   /* dirty tracking granularity of L1 / refcount table */

/* ---- metadata caches ----------------------------------------------------- */

typedef struct {
	uint64_t offset;      /* host offset of the cluster held, valid when used */
	uint8_t *data;
	int next;             /* hash chain */
	bool used, dirty, ref;
} CacheSlot;

typedef struct {
	CacheSlot *slots;
	int nslots, nused, hand;
	int *buckets;
	int nbuckets;
} Cache;

typedef struct {
	uint64_t offset, bytes;
} PendingFree;

struct Qcow2State {
	pthread_mutex_t lock;

	int version;
	unsigned cluster_bits;
	uint32_t cluster_size;
	unsigned l2_bits;             /* log2(entries per L2 table) */
	unsigned refcount_order;
	unsigned rb_bits;             /* log2(entries per refcount block) */
	uint32_t header_length;
	uint64_t incompat, compat, autoclear;
	uint32_t nb_snapshots;
	uint64_t snapshots_offset;

	uint64_t l1_offset;
	uint32_t l1_size;
	uint64_t *l1;
	bool *l1_dirty;               /* per TABLE_CHUNK */

	uint64_t reftable_offset;
	uint32_t reftable_clusters;
	uint64_t reftable_entries;
	uint64_t *reftable;
	bool *reftable_dirty;

	Cache l2_cache, rb_cache;

	/* Allocator state, in clusters. */
	uint64_t high_water;          /* nothing at or after this is allocated */
	uint64_t free_hint;           /* no free cluster before this (with a block) */
	uint64_t fresh_from;          /* clusters from here on were never written: read as zero */

	PendingFree *frees;
	size_t nfrees, frees_cap;
	/* Data I/O in flight outside the lock (host ranges; bytes 0 = unused
	 * slot): a pending free that overlaps one is not applied yet. */
	PendingFree *io;
	size_t nio, io_cap;

	bool broken;                  /* metadata inconsistency found: no more writes */
};

static inline uint64_t cs64(const Qcow2State *s) { return s->cluster_size; }
static inline uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

/* A metadata offset must be cluster-aligned, non-zero and inside the file. */
static inline bool
valid_meta_offset(const Qcow2State *s, uint64_t off)
{
	return off != 0 && (off & (cs64(s) - 1)) == 0 && (off >> s->cluster_bits) < s->high_water;
}

/* qcow2.c */
int qcow2_sync_file(BlockImage *img);
int qcow2_flush_metadata(BlockImage *img, bool apply_frees);
int qcow2_refblock_lookup(BlockImage *img, uint64_t cluster, CacheSlot **slot, uint64_t *index);
int qcow2_get_refcount(BlockImage *img, uint64_t cluster, uint64_t *value);
int qcow2_update_refcount(BlockImage *img, uint64_t cluster, int64_t delta, bool set);
int qcow2_read_table(int fd, uint64_t off, uint64_t entries, uint64_t **out);
int qcow2_write_header_fields(BlockImage *img, uint64_t offset, const uint8_t *buf, size_t len);
int qcow2_alloc_clusters(BlockImage *img, uint64_t n, uint64_t *out_off);
int qcow2_cache_get_l2(BlockImage *img, uint64_t off, CacheSlot **out);

/* qcow2-check.c */
int qcow2_repair_refcounts(BlockImage *img, char **error);
