/* block.c — opening images, format probing, and dispatch to raw.c / qcow2.c. */
#include "block-private.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A backing chain deeper than this is almost certainly a loop. */
#define MAX_BACKING_DEPTH 64

void
block_set_error(char **error, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (error == NULL || *error != NULL)
		return;   /* keep the first, most specific message */
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	*error = msg;
}

const char *
block_format_name(BlockFormat format)
{
	switch (format) {
	case BLOCK_FORMAT_RAW:   return "raw";
	case BLOCK_FORMAT_QCOW2: return "qcow2";
	default:                 return NULL;
	}
}

bool
block_format_from_name(const char *name, BlockFormat *out)
{
	if (strcmp(name, "raw") == 0)
		*out = BLOCK_FORMAT_RAW;
	else if (strcmp(name, "qcow2") == 0)
		*out = BLOCK_FORMAT_QCOW2;
	else
		return false;
	return true;
}

bool
block_prealloc_from_name(const char *name, BlockPrealloc *out)
{
	static const char *const names[] = { "off", "metadata", "falloc", "full" };
	for (unsigned i = 0; i < 4; i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (BlockPrealloc) i;
			return true;
		}
	}
	return false;
}

char *
block_resolve_backing(const char *image_path, const char *backing)
{
	char *copy, *dir, *out = NULL;

	if (backing[0] == '/' || strchr(image_path, '/') == NULL)
		return strdup(backing);
	copy = strdup(image_path);
	if (copy == NULL)
		return NULL;
	dir = dirname(copy);
	if (asprintf(&out, "%s/%s", dir, backing) < 0)
		out = NULL;
	free(copy);
	return out;
}

/* ---- plain file I/O ---------------------------------------------------- */

/* Fault injection for the crash tests (like QEMU's blkdebug): with
 * GBBLOCK_FAULT_AFTER_WRITES=N in the environment, the process exits at
 * once instead of issuing its N-th write to any image file.  Everything
 * written before stays in the page cache, exactly as after a SIGKILL, so a
 * test can stop the engine at every write in turn. */
static long fault_after = -1;
static long write_count;
static pthread_once_t fault_once = PTHREAD_ONCE_INIT;

static void
fault_init(void)
{
	const char *env = getenv("GBBLOCK_FAULT_AFTER_WRITES");
	if (env != NULL && atol(env) > 0)
		fault_after = atol(env);
}

static void
fault_point(void)
{
	pthread_once(&fault_once, fault_init);
	if (fault_after > 0 && __atomic_add_fetch(&write_count, 1, __ATOMIC_SEQ_CST) >= fault_after)
		_exit(99);
}

int
block_file_pread(int fd, void *buf, size_t len, uint64_t offset)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t) offset);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {          /* past the end of the file: zeroes */
			memset(p, 0, len);
			return 0;
		}
		p += n;
		len -= (size_t) n;
		offset += (uint64_t) n;
	}
	return 0;
}

int
block_file_pwrite(int fd, const void *buf, size_t len, uint64_t offset)
{
	const uint8_t *p = buf;

	fault_point();
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t) offset);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t) n;
		offset += (uint64_t) n;
	}
	return 0;
}

size_t
block_iov_size(const struct iovec *iov, int iovcnt)
{
	size_t total = 0;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	return total;
}

static void
iov_walk(const struct iovec *iov, int iovcnt, size_t skip, size_t len,
         void (*fn)(uint8_t *p, size_t l, size_t done, void *data), void *data)
{
	size_t done = 0;

	for (int i = 0; i < iovcnt && len > 0; i++) {
		size_t l = iov[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		size_t take = l - skip < len ? l - skip : len;
		fn((uint8_t *) iov[i].iov_base + skip, take, done, data);
		done += take;
		len -= take;
		skip = 0;
	}
}

struct slice {
	struct iovec *out;
	int max;
	int n;          /* pieces so far; -1 once they did not fit in max */
};

static void
slice_fn(uint8_t *p, size_t l, size_t done, void *data)
{
	struct slice *sl = data;

	if (sl->n < 0)
		return;
	if (sl->n == sl->max) {
		sl->n = -1;
		return;
	}
	sl->out[sl->n].iov_base = p;
	sl->out[sl->n].iov_len = l;
	sl->n++;
}

int
block_iov_slice(const struct iovec *iov, int iovcnt, size_t skip, size_t len, struct iovec *out, int max)
{
	struct slice sl = { out, max, 0 };

	iov_walk(iov, iovcnt, skip, len, slice_fn, &sl);
	return sl.n;
}

static void memset_fn(uint8_t *p, size_t l, size_t done, void *data) { memset(p, *(int *) data, l); }
static void to_buf_fn(uint8_t *p, size_t l, size_t done, void *data) { memcpy((uint8_t *) data + done, p, l); }
static void from_buf_fn(uint8_t *p, size_t l, size_t done, void *data) { memcpy(p, (const uint8_t *) data + done, l); }

void block_iov_memset(const struct iovec *iov, int iovcnt, size_t skip, int c, size_t len) { iov_walk(iov, iovcnt, skip, len, memset_fn, &c); }
void block_iov_to_buf(const struct iovec *iov, int iovcnt, size_t skip, void *buf, size_t len) { iov_walk(iov, iovcnt, skip, len, to_buf_fn, buf); }
void block_iov_from_buf(const struct iovec *iov, int iovcnt, size_t skip, const void *buf, size_t len) { iov_walk(iov, iovcnt, skip, len, from_buf_fn, (void *) buf); }

/* O_DIRECT needs buffers, lengths and offsets aligned to the logical block
 * size; 4096 covers every device we meet.  Anything else goes buffered. */
static bool
iov_is_aligned(const struct iovec *iov, int iovcnt, uint64_t offset)
{
	if (offset % 4096)
		return false;
	for (int i = 0; i < iovcnt; i++)
		if (((uintptr_t) iov[i].iov_base | iov[i].iov_len) % 4096)
			return false;
	return true;
}

static int
file_rw_iov(BlockImage *img, const struct iovec *iov, int iovcnt, uint64_t offset, size_t len, bool write)
{
	struct iovec local[64];
	struct iovec *v = local;
	int cnt, ret = 0;

	/* Copy so that short transfers can be resumed. */
	if (iovcnt > 64) {
		v = malloc(sizeof(*v) * (size_t) iovcnt);
		if (v == NULL)
			return -ENOMEM;
	}
	cnt = block_iov_slice(iov, iovcnt, 0, len, v, iovcnt > 64 ? iovcnt : 64);
	int fd = img->dfd >= 0 && iov_is_aligned(v, cnt, offset) ? img->dfd : img->fd;
	if (write)
		fault_point();

	struct iovec *cur = v;
	while (len > 0) {
		ssize_t n = write ? pwritev(fd, cur, cnt > IOV_MAX ? IOV_MAX : cnt, (off_t) offset)
											: preadv(fd, cur, cnt > IOV_MAX ? IOV_MAX : cnt, (off_t) offset);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (n == 0) {
			if (write) {
				ret = -EIO;
			} else {
				block_iov_memset(cur, cnt, 0, 0, len);   /* past EOF */
			}
			break;
		}
		len -= (size_t) n;
		offset += (uint64_t) n;
		size_t adv = (size_t) n;
		while (cnt > 0 && adv >= cur->iov_len) {
			adv -= cur->iov_len;
			cur++;
			cnt--;
		}
		if (cnt > 0) {
			cur->iov_base = (uint8_t *) cur->iov_base + adv;
			cur->iov_len -= adv;
		}
	}
	if (v != local)
		free(v);
	return ret;
}

int
block_file_preadv(BlockImage *img, const struct iovec *iov, int iovcnt, uint64_t offset, size_t len)
{
	return file_rw_iov(img, iov, iovcnt, offset, len, false);
}

int
block_file_pwritev(BlockImage *img, const struct iovec *iov, int iovcnt, uint64_t offset, size_t len)
{
	return file_rw_iov(img, iov, iovcnt, offset, len, true);
}

int
block_backing_preadv(BlockImage *backing, const struct iovec *iov, int iovcnt, size_t skip, size_t len, uint64_t offset)
{
	struct iovec local[16];
	struct iovec *v = local;
	int cnt, ret = 0;

	if (offset >= backing->size) {
		block_iov_memset(iov, iovcnt, skip, 0, len);
		return 0;
	}
	if (offset + len > backing->size) {
		size_t in = (size_t) (backing->size - offset);
		block_iov_memset(iov, iovcnt, skip + in, 0, len - in);
		len = in;
	}
	if (iovcnt > 16) {
		v = malloc(sizeof(*v) * (size_t) iovcnt);
		if (v == NULL)
			return -ENOMEM;
	}
	cnt = block_iov_slice(iov, iovcnt, skip, len, v, iovcnt > 16 ? iovcnt : 16);
	if (cnt < 0)
		ret = -EINVAL;
	else
		ret = block_preadv(backing, v, cnt, offset);
	if (v != local)
		free(v);
	return ret;
}

/* ---- open / close ------------------------------------------------------- */

static BlockImage *
open_depth(const char *path, BlockFormat format, unsigned flags, int depth, char **error)
{
	BlockImage *img;
	struct stat st;
	bool ro = flags & BLOCK_OPEN_READ_ONLY;
	int ret;

	if (depth > MAX_BACKING_DEPTH) {
		block_set_error(error, "%s: backing chain is longer than %d images (a loop?)", path, MAX_BACKING_DEPTH);
		return NULL;
	}
	img = calloc(1, sizeof(*img));
	if (img == NULL) {
		block_set_error(error, "out of memory");
		return NULL;
	}
	img->dfd = -1;
	img->flags = flags;
	img->read_only = ro;
	img->filename = strdup(path);
	img->fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (img->fd < 0) {
		block_set_error(error, "Could not open '%s': %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(img->fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		block_set_error(error, "Could not open '%s': %s", path, S_ISDIR(st.st_mode) ? "Is a directory" : strerror(errno));
		goto fail;
	}
	if (flags & BLOCK_OPEN_DIRECT) {
		img->dfd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_DIRECT);
		if (img->dfd < 0) {
			block_set_error(error, "Could not open '%s' with O_DIRECT: %s", path, strerror(errno));
			goto fail;
		}
	}

	if (format == BLOCK_FORMAT_AUTO) {
		uint8_t magic[4] = { 0 };
		int r = block_file_pread(img->fd, magic, 4, 0);
		if (r < 0) {
			block_set_error(error, "Could not read '%s': %s", path, strerror(-r));
			goto fail;
		}
		format = memcmp(magic, "QFI\xfb", 4) == 0 ? BLOCK_FORMAT_QCOW2 : BLOCK_FORMAT_RAW;
	}
	img->format = format;

	ret = format == BLOCK_FORMAT_QCOW2 ? qcow2_open(img, error) : raw_open(img, error);
	if (ret < 0)
		goto fail;

	if (img->backing_filename != NULL && !(flags & BLOCK_OPEN_NO_BACKING)) {
		char *err = NULL;
		img->backing = open_depth(img->backing_full_path, img->backing_format,
		                          BLOCK_OPEN_READ_ONLY | (flags & BLOCK_OPEN_DIRECT), depth + 1, &err);
		if (img->backing == NULL) {
			block_set_error(error, "Could not open backing file of '%s': %s", path, err ? err : "unknown error");
			free(err);
			goto fail;
		}
	}
	return img;

fail:
	block_close(img);
	return NULL;
}

BlockImage *
block_open_flags(const char *path, BlockFormat format, unsigned flags, char **error)
{
	return open_depth(path, format, flags, 0, error);
}

BlockImage *
block_open(const char *path, BlockFormat format, bool read_only, char **error)
{
	return open_depth(path, format, read_only ? BLOCK_OPEN_READ_ONLY : 0, 0, error);
}

void
block_close(BlockImage *img)
{
	if (img == NULL)
		return;
	if (img->qcow2 != NULL)
		qcow2_close(img);
	if (img->backing != NULL)
		block_close(img->backing);
	if (img->dfd >= 0)
		close(img->dfd);
	if (img->fd >= 0)
		close(img->fd);
	free(img->filename);
	free(img->backing_filename);
	free(img->backing_full_path);
	free(img);
}

uint64_t    block_size(const BlockImage *img)        { return img->size; }
bool        block_is_read_only(const BlockImage *img) { return img->read_only; }
BlockFormat block_format(const BlockImage *img)       { return img->format; }
BlockImage *block_backing(const BlockImage *img)      { return img->backing; }
const char *block_filename(const BlockImage *img)     { return img->filename; }

/* ---- I/O dispatch ------------------------------------------------------- */

static int
check_range(const BlockImage *img, uint64_t offset, uint64_t len)
{
	if (offset > img->size || len > img->size - offset)
		return -EINVAL;
	return 0;
}

int
block_preadv(BlockImage *img, const struct iovec *iov, int iovcnt, uint64_t offset)
{
	size_t len = block_iov_size(iov, iovcnt);
	int ret = check_range(img, offset, len);
	if (ret < 0 || len == 0)
		return ret;
	return img->format == BLOCK_FORMAT_QCOW2 ? qcow2_preadv(img, iov, iovcnt, offset, len)
																					 : raw_preadv(img, iov, iovcnt, offset, len);
}

/* What every request that changes the image checks first: the image is
 * writable and the range lies inside it (0, or a negative errno). */
static int
check_write(BlockImage *img, uint64_t offset, uint64_t len)
{
	if (img->read_only)
		return -EROFS;
	return check_range(img, offset, len);
}

int
block_pwritev(BlockImage *img, const struct iovec *iov, int iovcnt, uint64_t offset)
{
	size_t len = block_iov_size(iov, iovcnt);
	int ret;

	ret = check_write(img, offset, len);
	if (ret < 0 || len == 0)
		return ret;
	return img->format == BLOCK_FORMAT_QCOW2 ? qcow2_pwritev(img, iov, iovcnt, offset, len)
																					 : raw_pwritev(img, iov, iovcnt, offset, len);
}

int
block_pread(BlockImage *img, void *buf, size_t len, uint64_t offset)
{
	struct iovec iov = { buf, len };
	return block_preadv(img, &iov, 1, offset);
}

int
block_pwrite(BlockImage *img, const void *buf, size_t len, uint64_t offset)
{
	struct iovec iov = { (void *) buf, len };
	return block_pwritev(img, &iov, 1, offset);
}

int
block_flush(BlockImage *img)
{
	if (img->read_only)
		return 0;
	if (img->format == BLOCK_FORMAT_QCOW2)
		return qcow2_flush(img);
	return fdatasync(img->fd) < 0 ? -errno : 0;
}

int
block_discard(BlockImage *img, uint64_t offset, uint64_t len)
{
	int ret;

	ret = check_write(img, offset, len);
	if (ret < 0 || len == 0)
		return ret;
	return img->format == BLOCK_FORMAT_QCOW2 ? qcow2_discard(img, offset, len)
																					 : raw_discard(img, offset, len);
}

int
block_write_zeroes(BlockImage *img, uint64_t offset, uint64_t len, bool may_unmap)
{
	int ret;

	ret = check_write(img, offset, len);
	if (ret < 0 || len == 0)
		return ret;
	return img->format == BLOCK_FORMAT_QCOW2 ? qcow2_write_zeroes(img, offset, len, may_unmap)
																					 : raw_write_zeroes(img, offset, len, may_unmap);
}

int
block_resize(BlockImage *img, uint64_t new_size, char **error)
{
	if (img->read_only) {
		block_set_error(error, "Image is opened read-only");
		return -EROFS;
	}
	if (new_size < img->size) {
		block_set_error(error, "Shrinking images is not supported");
		return -ENOTSUP;
	}
	if (new_size == img->size)
		return 0;
	return img->format == BLOCK_FORMAT_QCOW2 ? qcow2_resize(img, new_size, error)
																					 : raw_resize(img, new_size, error);
}

int
block_get_info(BlockImage *img, BlockInfo *info)
{
	struct stat st;

	memset(info, 0, sizeof(*info));
	info->format = img->format;
	info->virtual_size = img->size;
	if (fstat(img->fd, &st) == 0)
		info->actual_size = (uint64_t) st.st_blocks * 512;
	info->backing_filename = img->backing_filename;
	info->backing_full_path = img->backing_full_path;
	info->backing_format = img->backing_format;
	if (img->format == BLOCK_FORMAT_QCOW2)
		return qcow2_get_info(img, info);
	return 0;
}

int
block_check(BlockImage *img, unsigned fix, BlockCheckResult *result, char **error)
{
	memset(result, 0, sizeof(*result));
	if (img->format != BLOCK_FORMAT_QCOW2) {
		block_set_error(error, "This image format does not support checks");
		return -ENOTSUP;
	}
	if (fix && img->read_only) {
		block_set_error(error, "Image must be opened read-write to repair it");
		return -EROFS;
	}
	return qcow2_check(img, fix, result, error);
}

int
block_status(BlockImage *img, uint64_t offset, uint64_t len, uint64_t *pnum, bool *allocated, bool *zero)
{
	int ret = check_range(img, offset, len);
	if (ret < 0)
		return ret;
	if (img->format == BLOCK_FORMAT_QCOW2)
		return qcow2_status(img, offset, len, pnum, allocated, zero);
	*pnum = len;
	*allocated = true;
	*zero = false;
	return 0;
}

/* ---- create -------------------------------------------------------------- */

int
block_create(const char *path, const BlockCreateOptions *opts_in, char **error)
{
	BlockCreateOptions opts = *opts_in;
	int fd, ret;

	if (opts.format == BLOCK_FORMAT_AUTO)
		opts.format = BLOCK_FORMAT_QCOW2;
	if (opts.cluster_size == 0)
		opts.cluster_size = 65536;
	if (opts.format == BLOCK_FORMAT_QCOW2 &&
	    (opts.cluster_size < 512 || opts.cluster_size > 2 * 1024 * 1024 ||
	     (opts.cluster_size & (opts.cluster_size - 1)))) {
		block_set_error(error, "Cluster size must be a power of two between 512 and 2M");
		return -EINVAL;
	}
	if (opts.backing_file != NULL && opts.format != BLOCK_FORMAT_QCOW2) {
		block_set_error(error, "Backing files are only supported by qcow2");
		return -EINVAL;
	}
	if (opts.backing_file != NULL && opts.prealloc != BLOCK_PREALLOC_OFF) {
		block_set_error(error, "Backing file and preallocation can only be used at the same time if extended_l2 is on");
		return -EINVAL;
	}
	if (opts.format == BLOCK_FORMAT_RAW && opts.prealloc == BLOCK_PREALLOC_METADATA) {
		block_set_error(error, "Unsupported preallocation mode 'metadata' for raw images");
		return -EINVAL;
	}

	/* The backing file must exist; it also gives the size if none is set. */
	if (opts.backing_file != NULL) {
		char *resolved = block_resolve_backing(path, opts.backing_file);
		char *err = NULL;
		BlockImage *b = resolved ? block_open_flags(resolved, opts.backing_format, BLOCK_OPEN_READ_ONLY, &err) : NULL;
		free(resolved);
		if (b == NULL) {
			block_set_error(error, "Could not open backing file: %s", err ? err : "out of memory");
			free(err);
			return -ENOENT;
		}
		if (opts.size == 0)
			opts.size = b->size;
		opts.backing_format = b->format;
		block_close(b);
	}

	opts.size = (opts.size + 511) & ~(uint64_t) 511;
	if (opts.size > ((uint64_t) 1 << 62)) {
		block_set_error(error, "Image size is too large");
		return -EFBIG;
	}

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		if (ret == -EEXIST)
			block_set_error(error, "'%s' already exists; not overwriting it", path);
		else
			block_set_error(error, "Could not create '%s': %s", path, strerror(errno));
		return ret;
	}
	if (opts.format == BLOCK_FORMAT_QCOW2)
		ret = qcow2_create(fd, path, &opts, error);
	else
		ret = raw_create(fd, &opts, error);
	if (ret == 0 && fsync(fd) < 0) {
		ret = -errno;
		block_set_error(error, "Could not write '%s': %s", path, strerror(errno));
	}
	close(fd);
	if (ret < 0) {
		if (ret == -ECANCELED)
			block_set_error(error, "Creating '%s' was cancelled", path);
		else
			block_set_error(error, "Could not create '%s': %s", path, strerror(-ret));
		unlink(path);
	}
	return ret;
}

/* ---- internal snapshots (qcow2-snapshot.c) ------------------------------ */

int
block_snapshot_list(BlockImage *img, BlockSnapshot **out, int *count, char **error)
{
	*out = NULL;
	*count = 0;
	if (img->format != BLOCK_FORMAT_QCOW2)
		return 0;
	return qcow2_snapshot_list(img, out, count, error);
}

void
block_snapshot_list_free(BlockSnapshot *list, int count)
{
	for (int i = 0; i < count; i++) {
		free(list[i].id);
		free(list[i].name);
	}
	free(list);
}

static int
snapshot_check(BlockImage *img, char **error)
{
	if (img->format != BLOCK_FORMAT_QCOW2) {
		block_set_error(error, "'%s': %s images have no internal snapshots", img->filename, block_format_name(img->format));
		return -ENOTSUP;
	}
	if (img->read_only)
		return -EROFS;
	return 0;
}

int
block_snapshot_create(BlockImage *img, const char *name, char **error)
{
	int ret = snapshot_check(img, error);
	return ret < 0 ? ret : qcow2_snapshot_create(img, name, error);
}

int
block_snapshot_apply(BlockImage *img, const char *id_or_name, char **error)
{
	int ret = snapshot_check(img, error);
	return ret < 0 ? ret : qcow2_snapshot_apply(img, id_or_name, error);
}

int
block_snapshot_delete(BlockImage *img, const char *name, char **error)
{
	int ret = snapshot_check(img, error);
	return ret < 0 ? ret : qcow2_snapshot_delete(img, name, error);
}
