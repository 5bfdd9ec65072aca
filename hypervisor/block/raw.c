/* raw.c — a raw image: guest offset == file offset. */
#include "block-private.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

int
raw_open(BlockImage *img, char **error)
{
	struct stat st;

	if (fstat(img->fd, &st) < 0) {
		block_set_error(error, "Could not stat '%s': %s", img->filename, strerror(errno));
		return -errno;
	}
	if (S_ISBLK(st.st_mode)) {
		uint64_t bytes = 0;
		if (ioctl(img->fd, BLKGETSIZE64, &bytes) < 0) {
			block_set_error(error, "Could not get the size of '%s': %s", img->filename, strerror(errno));
			return -errno;
		}
		img->size = bytes;
	} else {
		img->size = (uint64_t) st.st_size;
	}
	return 0;
}

int
raw_preadv(BlockImage *img, const struct iovec *iov, int iovcnt, uint64_t offset, size_t len)
{
	return block_file_preadv(img, iov, iovcnt, offset, len);
}

int
raw_pwritev(BlockImage *img, const struct iovec *iov, int iovcnt, uint64_t offset, size_t len)
{
	return block_file_pwritev(img, iov, iovcnt, offset, len);
}

static int
write_zero_buffer(int fd, uint64_t offset, uint64_t len)
{
	static const uint8_t zeroes[65536];
	while (len > 0) {
		size_t n = len > sizeof(zeroes) ? sizeof(zeroes) : (size_t) len;
		int ret = block_file_pwrite(fd, zeroes, n, offset);
		if (ret < 0)
			return ret;
		offset += n;
		len -= n;
	}
	return 0;
}

int
raw_discard(BlockImage *img, uint64_t offset, uint64_t len)
{
	/* Discard is a hint: a file system that cannot punch holes just keeps the data. */
	if (fallocate(img->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t) offset, (off_t) len) < 0 &&
	    errno != EOPNOTSUPP && errno != ENOTTY && errno != ENODEV)
		return -errno;
	return 0;
}

int
raw_write_zeroes(BlockImage *img, uint64_t offset, uint64_t len, bool may_unmap)
{
	int mode = may_unmap ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;

	if (fallocate(img->fd, mode, (off_t) offset, (off_t) len) == 0)
		return 0;
	return write_zero_buffer(img->fd, offset, len);
}

int
raw_resize(BlockImage *img, uint64_t new_size, char **error)
{
	if (ftruncate(img->fd, (off_t) new_size) < 0) {
		block_set_error(error, "Could not resize '%s': %s", img->filename, strerror(errno));
		return -errno;
	}
	img->size = new_size;
	return 0;
}

/* Preallocation for raw: falloc reserves the blocks, full writes zeroes and
 * reports progress every chunk so the caller can show it and cancel. */
int
raw_create(int fd, const BlockCreateOptions *opts, char **error)
{
	uint64_t size = opts->size;

	if (opts->prealloc == BLOCK_PREALLOC_FALLOC) {
		int ret = posix_fallocate(fd, 0, (off_t) size);
		if (ret != 0)
			return -ret;
	} else if (opts->prealloc == BLOCK_PREALLOC_FULL) {
		static const uint8_t zeroes[1 << 20];
		for (uint64_t done = 0; done < size;) {
			size_t n = size - done > sizeof(zeroes) ? sizeof(zeroes) : (size_t) (size - done);
			int ret = block_file_pwrite(fd, zeroes, n, done);
			if (ret < 0)
				return ret;
			done += n;
			if (opts->progress != NULL && !opts->progress(done, size, opts->user_data))
				return -ECANCELED;
		}
	}
	if (ftruncate(fd, (off_t) size) < 0)
		return -errno;
	if (opts->progress != NULL && opts->prealloc != BLOCK_PREALLOC_FULL &&
	    !opts->progress(size, size, opts->user_data))
		return -ECANCELED;
	return 0;
}
