/* block-private.h — what the format drivers share with block.c. */
#pragma once

#include "block.h"

#include <stdarg.h>

typedef struct Qcow2State Qcow2State;

struct BlockImage {
	BlockFormat format;
	unsigned flags;
	bool read_only;
	int fd;           /* buffered I/O, always valid */
	int dfd;          /* O_DIRECT descriptor for aligned data I/O, or -1 */
	char *filename;
	uint64_t size;    /* virtual size */

	/* Backing chain (qcow2 only). */
	BlockImage *backing;
	char *backing_filename;   /* as stored */
	char *backing_full_path;  /* resolved */
	BlockFormat backing_format;

	Qcow2State *qcow2;
};

/* Errors: one English line, malloc'd. */
void block_set_error(char **error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Resolves a backing file name relative to the image that names it, as QEMU
 * does: an absolute name is used as-is, a relative one is taken from the
 * directory of the image. */
char *block_resolve_backing(const char *image_path, const char *backing);

/* File I/O helpers that loop over short transfers.  A read past the end of
 * the file fills the rest with zeroes (a sparse tail reads as zero). */
int block_file_pread(int fd, void *buf, size_t len, uint64_t offset);
int block_file_pwrite(int fd, const void *buf, size_t len, uint64_t offset);
int block_file_preadv(BlockImage *img, const struct iovec *iov, int iovcnt, uint64_t offset, size_t len);
int block_file_pwritev(BlockImage *img, const struct iovec *iov, int iovcnt, uint64_t offset, size_t len);

/* iovec helpers. */
size_t block_iov_size(const struct iovec *iov, int iovcnt);
/* Fills out[] (capacity max) with the part of iov covering [skip, skip+len);
 * returns the count, or -1 if max is too small. */
int  block_iov_slice(const struct iovec *iov, int iovcnt, size_t skip, size_t len, struct iovec *out, int max);
void block_iov_memset(const struct iovec *iov, int iovcnt, size_t skip, int c, size_t len);
void block_iov_to_buf(const struct iovec *iov, int iovcnt, size_t skip, void *buf, size_t len);
void block_iov_from_buf(const struct iovec *iov, int iovcnt, size_t skip, const void *buf, size_t len);

/* Reads through a backing image: past its end reads zeroes. */
int block_backing_preadv(BlockImage *backing, const struct iovec *iov, int iovcnt, size_t skip, size_t len, uint64_t offset);

/* raw.c */
int  raw_open(BlockImage *img, char **error);
int  raw_preadv(BlockImage *img, const struct iovec *iov, int iovcnt, uint64_t offset, size_t len);
int  raw_pwritev(BlockImage *img, const struct iovec *iov, int iovcnt, uint64_t offset, size_t len);
int  raw_discard(BlockImage *img, uint64_t offset, uint64_t len);
int  raw_write_zeroes(BlockImage *img, uint64_t offset, uint64_t len, bool may_unmap);
int  raw_resize(BlockImage *img, uint64_t new_size, char **error);
int  raw_create(int fd, const BlockCreateOptions *opts, char **error);

/* qcow2.c */
int  qcow2_open(BlockImage *img, char **error);
void qcow2_close(BlockImage *img);
int  qcow2_preadv(BlockImage *img, const struct iovec *iov, int iovcnt, uint64_t offset, size_t len);
int  qcow2_pwritev(BlockImage *img, const struct iovec *iov, int iovcnt, uint64_t offset, size_t len);
int  qcow2_flush(BlockImage *img);
int  qcow2_discard(BlockImage *img, uint64_t offset, uint64_t len);
int  qcow2_write_zeroes(BlockImage *img, uint64_t offset, uint64_t len, bool may_unmap);
int  qcow2_resize(BlockImage *img, uint64_t new_size, char **error);
int  qcow2_create(int fd, const char *path, const BlockCreateOptions *opts, char **error);
int  qcow2_get_info(BlockImage *img, BlockInfo *info);
int  qcow2_check(BlockImage *img, unsigned fix, BlockCheckResult *res, char **error);
int  qcow2_snapshot_list(BlockImage *img, BlockSnapshot **out, int *count, char **error);
int  qcow2_snapshot_create(BlockImage *img, const char *name, char **error);
int  qcow2_snapshot_apply(BlockImage *img, const char *id_or_name, char **error);
int  qcow2_snapshot_delete(BlockImage *img, const char *name, char **error);
int  qcow2_status(BlockImage *img, uint64_t offset, uint64_t len, uint64_t *pnum, bool *allocated, bool *zero);
