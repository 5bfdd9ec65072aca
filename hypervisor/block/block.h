/* block.h — disk images for glassbox-vmm and glassbox-img: raw and qcow2.
 *
 * Plain C, no GLib: the engine is small enough to fuzz and to read in one
 * sitting.  See docs/block.md for what each format supports.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

typedef enum { BLOCK_FORMAT_AUTO, BLOCK_FORMAT_RAW, BLOCK_FORMAT_QCOW2 } BlockFormat;
typedef enum { BLOCK_PREALLOC_OFF, BLOCK_PREALLOC_METADATA, BLOCK_PREALLOC_FALLOC, BLOCK_PREALLOC_FULL } BlockPrealloc;
typedef struct BlockImage BlockImage;

/* All int-returning functions return 0 or -errno.  *error (if non-NULL)
 * receives a malloc'd one-line English message on failure; the caller frees
 * it.  All I/O functions are thread-safe. */
BlockImage *block_open(const char *path, BlockFormat format, bool read_only, char **error);
void        block_close(BlockImage *img);
uint64_t    block_size(const BlockImage *img);            /* virtual size, bytes */
bool        block_is_read_only(const BlockImage *img);
BlockFormat block_format(const BlockImage *img);
int block_pread (BlockImage *img, void *buf, size_t len, uint64_t offset);
int block_pwrite(BlockImage *img, const void *buf, size_t len, uint64_t offset);
int block_preadv (BlockImage *img, const struct iovec *iov, int iovcnt, uint64_t offset);
int block_pwritev(BlockImage *img, const struct iovec *iov, int iovcnt, uint64_t offset);
int block_flush(BlockImage *img);
int block_discard(BlockImage *img, uint64_t offset, uint64_t len);
int block_write_zeroes(BlockImage *img, uint64_t offset, uint64_t len, bool may_unmap);

typedef struct {
	BlockFormat format; uint64_t size; uint32_t cluster_size; /* 0 = 64 KiB */
	BlockPrealloc prealloc; const char *backing_file; BlockFormat backing_format;
	/* progress: called with done/total bytes; return false to cancel (then the file is removed) */
	bool (*progress)(uint64_t done, uint64_t total, void *user_data); void *user_data;
} BlockCreateOptions;
/* Never overwrites an existing file: -EEXIST.  A cancelled create returns -ECANCELED. */
int block_create(const char *path, const BlockCreateOptions *opts, char **error);

/* ---- Additions beyond the core API ---------------------------------- */

typedef enum {
	BLOCK_OPEN_READ_ONLY  = 1 << 0,
	BLOCK_OPEN_DIRECT     = 1 << 1, /* O_DIRECT for aligned data I/O (cache=none) */
	BLOCK_OPEN_NO_BACKING = 1 << 2, /* do not open the backing file (info, fuzzing) */
	BLOCK_OPEN_CHECK      = 1 << 3, /* allow read-write open of a corrupt image, to repair it */
} BlockOpenFlags;

BlockImage *block_open_flags(const char *path, BlockFormat format, unsigned flags, char **error);

const char *block_format_name(BlockFormat format);          /* "raw", "qcow2", NULL for AUTO */
bool        block_format_from_name(const char *name, BlockFormat *out);
bool        block_prealloc_from_name(const char *name, BlockPrealloc *out);

/* Grows the virtual size; shrinking is refused with -ENOTSUP. */
int block_resize(BlockImage *img, uint64_t new_size, char **error);

/* The image this one reads unallocated clusters from, or NULL. */
BlockImage *block_backing(const BlockImage *img);
const char *block_filename(const BlockImage *img);

typedef struct {
	BlockFormat format;
	uint64_t virtual_size;
	uint64_t actual_size;          /* bytes the file occupies on disk */
	uint32_t cluster_size;         /* 0 for raw */
	const char *backing_filename;  /* as stored in the image, or NULL */
	const char *backing_full_path; /* resolved like QEMU does, or NULL */
	BlockFormat backing_format;    /* AUTO when not recorded */
	bool dirty, corrupt, lazy_refcounts;
	int qcow2_version;             /* 2 or 3 */
	int refcount_bits;
	int nb_snapshots;
} BlockInfo;
int block_get_info(BlockImage *img, BlockInfo *info);

typedef struct {
	uint64_t corruptions, leaks, check_errors;
	uint64_t corruptions_fixed, leaks_fixed;
	uint64_t allocated_clusters, total_clusters, compressed_clusters, fragmented_clusters;
	uint64_t image_end_offset;
} BlockCheckResult;
enum { BLOCK_CHECK_FIX_LEAKS = 1 << 0, BLOCK_CHECK_FIX_ERRORS = 1 << 1 };
/* Checks metadata consistency; with fix flags (image opened read-write)
 * repairs what it can.  Returns -ENOTSUP for formats without metadata. */
int block_check(BlockImage *img, unsigned fix, BlockCheckResult *result, char **error);

/* Status of the range starting at offset: sets *pnum to the length of a run
 * (≤ len) that is all allocated-in-this-layer (*allocated) and, when it
 * reads as zeroes without I/O, *zero. */
int block_status(BlockImage *img, uint64_t offset, uint64_t len, uint64_t *pnum, bool *allocated, bool *zero);

/* Internal snapshots (qcow2 "Snapshots" section): what `qemu-img snapshot`
 * does, on an image opened read-write (list: any open).  Writes to an image
 * with snapshots copy the clusters they share on write.  Raw images have
 * none: list returns 0 entries, the others -ENOTSUP. */
typedef struct {
	char *id, *name;
	uint32_t date_sec, date_nsec;
	uint64_t vm_clock_nsec;
	uint64_t vm_state_size;
	uint64_t disk_size;            /* 0 when not recorded */
	uint64_t icount;               /* UINT64_MAX when not recorded */
} BlockSnapshot;
int  block_snapshot_list(BlockImage *img, BlockSnapshot **out, int *count, char **error);
void block_snapshot_list_free(BlockSnapshot *list, int count);
/* A new snapshot of the current disk state, id = highest numeric id + 1. */
int  block_snapshot_create(BlockImage *img, const char *name, char **error);
/* The disk state of the snapshot whose id, or else name, is id_or_name
 * becomes the current one (-ENOENT when there is none). */
int  block_snapshot_apply(BlockImage *img, const char *id_or_name, char **error);
/* Deletes the first snapshot named name (-ENOENT when there is none). */
int  block_snapshot_delete(BlockImage *img, const char *name, char **error);
