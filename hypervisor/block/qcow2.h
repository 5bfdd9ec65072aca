/* qcow2.h — the qcow2 on-disk format: constants and the small pure helpers
 * (entry decoding, refcount packing, table sizes) that unit tests check
 * directly.  Section numbers refer to QEMU's docs/interop/qcow2.txt. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define QCOW2_MAGIC 0x514649fbu          /* "QFI\xfb" */

/* Header field offsets ("Header" section). */
enum {
	QCOW2_HDR_MAGIC = 0, QCOW2_HDR_VERSION = 4, QCOW2_HDR_BACKING_OFFSET = 8,
	QCOW2_HDR_BACKING_SIZE = 16, QCOW2_HDR_CLUSTER_BITS = 20, QCOW2_HDR_SIZE = 24,
	QCOW2_HDR_CRYPT = 32, QCOW2_HDR_L1_SIZE = 36, QCOW2_HDR_L1_OFFSET = 40,
	QCOW2_HDR_REFTABLE_OFFSET = 48, QCOW2_HDR_REFTABLE_CLUSTERS = 56,
	QCOW2_HDR_NB_SNAPSHOTS = 60, QCOW2_HDR_SNAPSHOTS_OFFSET = 64,
	QCOW2_HDR_INCOMPAT = 72, QCOW2_HDR_COMPAT = 80, QCOW2_HDR_AUTOCLEAR = 88,
	QCOW2_HDR_REFCOUNT_ORDER = 96, QCOW2_HDR_LENGTH = 100, QCOW2_HDR_COMPRESSION = 104,
	QCOW2_V2_HEADER_LENGTH = 72, QCOW2_V3_HEADER_LENGTH = 104, QCOW2_OUR_HEADER_LENGTH = 112,
};

/* Incompatible features (bits of header byte 72). */
#define QCOW2_INCOMPAT_DIRTY        (1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT      (1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE    (1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION  (1ull << 3)
#define QCOW2_INCOMPAT_EXTL2        (1ull << 4)
#define QCOW2_INCOMPAT_KNOWN        (QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT | QCOW2_INCOMPAT_COMPRESSION)
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ull << 0)

/* Header extensions. */
#define QCOW2_EXT_END             0x00000000u
#define QCOW2_EXT_BACKING_FORMAT  0xe2792acau
#define QCOW2_EXT_FEATURE_TABLE   0x6803f857u

/* L1/L2 entries ("Cluster mapping"). */
#define QCOW2_OFLAG_COPIED     (1ull << 63)
#define QCOW2_OFLAG_COMPRESSED (1ull << 62)
#define QCOW2_OFLAG_ZERO       (1ull << 0)
#define QCOW2_OFFSET_MASK      0x00fffffffffffe00ull   /* bits 9-55 */
#define QCOW2_L1_RESERVED      0x7f000000000001ffull
#define QCOW2_L2_RESERVED      0x3f000000000001feull
#define QCOW2_REFT_OFFSET_MASK 0xfffffffffffffe00ull

#define QCOW2_MAX_L1_BYTES        (32u << 20)   /* QEMU's limits, so fuzzed headers cannot make us allocate GiBs */
#define QCOW2_MAX_REFTABLE_BYTES  (8u << 20)
#define QCOW2_MAX_BACKING_NAME    1023

static inline uint16_t qcow2_be16(const uint8_t *p) { return (uint16_t) (p[0] << 8 | p[1]); }
static inline uint32_t qcow2_be32(const uint8_t *p) { return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3]; }
static inline uint64_t qcow2_be64(const uint8_t *p) { return (uint64_t) qcow2_be32(p) << 32 | qcow2_be32(p + 4); }
static inline void qcow2_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t) (v >> 8); p[1] = (uint8_t) v; }
static inline void qcow2_put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t) (v >> (24 - 8 * i)); }
static inline void qcow2_put64(uint8_t *p, uint64_t v) { qcow2_put32(p, (uint32_t) (v >> 32)); qcow2_put32(p + 4, (uint32_t) v); }

/* Number of L1 entries needed to map `size` bytes: each L2 table holds
 * cluster_size / 8 entries of one cluster each. */
static inline uint64_t
qcow2_l1_entries_for(uint64_t size, unsigned cluster_bits)
{
	unsigned shift = cluster_bits + (cluster_bits - 3);
	return (size + (1ull << shift) - 1) >> shift;
}

/* Compressed cluster descriptor ("Compressed Clusters Descriptor"):
 * x = 62 - (cluster_bits - 8); bits 0..x-1 host offset, bits x..61 the
 * number of additional 512-byte sectors. */
static inline void
qcow2_compressed_range(uint64_t entry, unsigned cluster_bits, uint64_t *offset, uint64_t *bytes)
{
	unsigned x = 62 - (cluster_bits - 8);
	uint64_t off = entry & ((1ull << x) - 1);
	uint64_t nb_sectors = ((entry & ~QCOW2_OFLAG_COPIED & ~QCOW2_OFLAG_COMPRESSED) >> x) + 1;
	*offset = off;
	*bytes = nb_sectors * 512 - (off & 511);
}

/* Refcount entries are 1 << order bits wide; sub-byte widths are packed
 * from the least significant bit, wider ones are big-endian ("Refcount"). */
static inline uint64_t
qcow2_refcount_get(const uint8_t *block, unsigned order, uint64_t index)
{
	switch (order) {
	case 0: return (block[index / 8] >> (index % 8)) & 1;
	case 1: return (block[index / 4] >> (2 * (index % 4))) & 3;
	case 2: return (block[index / 2] >> (4 * (index % 2))) & 15;
	case 3: return block[index];
	case 4: return qcow2_be16(block + 2 * index);
	case 5: return qcow2_be32(block + 4 * index);
	default: return qcow2_be64(block + 8 * index);
	}
}

static inline void
qcow2_refcount_set(uint8_t *block, unsigned order, uint64_t index, uint64_t value)
{
	unsigned shift;
	uint8_t mask;

	switch (order) {
	case 0: shift = index % 8; mask = 1; block += index / 8; break;
	case 1: shift = 2 * (index % 4); mask = 3; block += index / 4; break;
	case 2: shift = 4 * (index % 2); mask = 15; block += index / 2; break;
	case 3: block[index] = (uint8_t) value; return;
	case 4: qcow2_put16(block + 2 * index, (uint16_t) value); return;
	case 5: qcow2_put32(block + 4 * index, (uint32_t) value); return;
	default: qcow2_put64(block + 8 * index, value); return;
	}
	*block = (uint8_t) ((*block & ~(mask << shift)) | ((value & mask) << shift));
}

static inline uint64_t
qcow2_refcount_max(unsigned order)
{
	return order >= 6 ? UINT64_MAX : (1ull << (1u << order)) - 1;
}
