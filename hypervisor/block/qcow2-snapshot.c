/* qcow2-snapshot.c — internal snapshots of a qcow2 image (QEMU
 * docs/interop/qcow2.txt, "Snapshots"), what `qemu-img snapshot -l/-c/-a/-d`
 * does, for disk-only snapshots of a stopped machine.
 *
 * A snapshot is a copy of the L1 table plus an entry in the snapshot table.
 * The clusters it reaches (L2 tables, data) are shared with the active
 * image, so each gets one more reference: a cluster's refcount is the
 * number of L1 tables (active + snapshots) that reach it.  The COPIED flag
 * of an active L1/L2 entry says "refcount is exactly 1, write in place";
 * after every operation it is recomputed from the refcounts, as QEMU does.
 *
 * Crash ordering follows the rule at the top of qcow2.c: refcounts go up
 * (and reach the disk) before a new reference is written, and go down only
 * after the last reference is gone from the disk.  So:
 *
 *   create: write the L1 copy · raise refcounts · flush · write the new
 *           snapshot table · header (nb_snapshots + offset, one write) ·
 *           free the old table
 *   apply:  raise the snapshot's refcounts · flush · overwrite the active
 *           L1 · flush · lower the old active L1's refcounts
 *   delete: write the table without the entry · header · lower the
 *           snapshot's refcounts and free its L1 copy and the old table
 *
 * A crash anywhere leaves at worst leaked clusters (`check -r leaks`).
 *
 * Writing to the image afterwards copies what it shares with a snapshot
 * (qcow2.c: l2_table_for_write() for L2 tables, allocating_write() for data
 * clusters), as QEMU does.
 */
#include "block-private.h"
#include "qcow2.h"
#include "qcow2-private.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SNAPSHOT_HEADER      40        /* fixed part of a table entry */
#define SNAPSHOT_EXTRA_MAX   1024      /* QEMU's limit on extra data */
#define SNAPSHOT_TABLE_MAX   (64u << 20)

typedef struct {
	uint64_t l1_offset;
	uint32_t l1_size;
	char *id, *name;
	uint32_t date_sec, date_nsec;
	uint64_t vm_clock_nsec;
	uint32_t vm_state_size;
	uint32_t extra_size;
	uint8_t extra[SNAPSHOT_EXTRA_MAX];   /* kept as read, unknown fields included */
} Snap;

typedef struct {
	Snap *snaps;
	uint32_t n;
	uint64_t bytes;   /* size of the table on disk */
} SnapTable;

static void
table_free(SnapTable *t)
{
	for (uint32_t i = 0; i < t->n; i++) {
		free(t->snaps[i].id);
		free(t->snaps[i].name);
	}
	free(t->snaps);
	t->snaps = NULL;
	t->n = 0;
}

static char *
read_string(int fd, uint64_t off, uint16_t len, int *ret)
{
	char *str = malloc((size_t) len + 1);
	if (str == NULL) {
		*ret = -ENOMEM;
		return NULL;
	}
	*ret = block_file_pread(fd, str, len, off);
	str[len] = '\0';
	return str;
}

/* Reads the snapshot table ("Snapshot table entry" layout). */
static int
table_read(BlockImage *img, SnapTable *t, char **error)
{
	Qcow2State *s = img->qcow2;
	uint64_t pos = s->snapshots_offset;
	int ret = 0;

	memset(t, 0, sizeof(*t));
	if (s->nb_snapshots == 0)
		return 0;
	t->snaps = calloc(s->nb_snapshots, sizeof(Snap));
	if (t->snaps == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->nb_snapshots; i++) {
		uint8_t h[SNAPSHOT_HEADER];
		Snap *sn = &t->snaps[i];

		ret = block_file_pread(img->fd, h, sizeof(h), pos);
		if (ret < 0)
			break;
		sn->l1_offset = qcow2_be64(h);
		sn->l1_size = qcow2_be32(h + 8);
		uint16_t id_len = qcow2_be16(h + 12), name_len = qcow2_be16(h + 14);
		sn->date_sec = qcow2_be32(h + 16);
		sn->date_nsec = qcow2_be32(h + 20);
		sn->vm_clock_nsec = qcow2_be64(h + 24);
		sn->vm_state_size = qcow2_be32(h + 32);
		sn->extra_size = qcow2_be32(h + 36);
		if (sn->extra_size > SNAPSHOT_EXTRA_MAX) {
			block_set_error(error, "'%s': snapshot %u has too much extra data", img->filename, i);
			ret = -EINVAL;
			break;
		}
		pos += SNAPSHOT_HEADER;
		ret = block_file_pread(img->fd, sn->extra, sn->extra_size, pos);
		pos += sn->extra_size;
		t->n = i + 1;   /* from here on table_free frees the strings */
		if (ret == 0)
			sn->id = read_string(img->fd, pos, id_len, &ret);
		pos += id_len;
		if (ret == 0)
			sn->name = read_string(img->fd, pos, name_len, &ret);
		pos += name_len;
		pos = round_up(pos, 8);
		if (ret < 0)
			break;
		if (pos - s->snapshots_offset > SNAPSHOT_TABLE_MAX) {
			block_set_error(error, "'%s': snapshot table too large", img->filename);
			ret = -EFBIG;
			break;
		}
	}
	if (ret < 0) {
		table_free(t);
		return ret;
	}
	t->bytes = pos - s->snapshots_offset;
	return 0;
}

static uint64_t
entry_bytes(const Snap *sn)
{
	return round_up(SNAPSHOT_HEADER + (uint64_t) sn->extra_size + strlen(sn->id) + strlen(sn->name), 8);
}

/* Writes `t` to new clusters and points the header at it.  Returns the
 * offset of the table it replaced (or -errno).  Lock held, metadata flushed. */
static int64_t
table_write(BlockImage *img, const SnapTable *t)
{
	Qcow2State *s = img->qcow2;
	uint64_t bytes = 0, new_off = 0;
	uint8_t hdr[12];
	int ret;

	for (uint32_t i = 0; i < t->n; i++)
		bytes += entry_bytes(&t->snaps[i]);
	if (bytes > SNAPSHOT_TABLE_MAX)
		return -EFBIG;
	if (t->n > 0) {
		uint8_t *buf = calloc(1, bytes), *p = buf;
		if (buf == NULL)
			return -ENOMEM;
		for (uint32_t i = 0; i < t->n; i++) {
			const Snap *sn = &t->snaps[i];
			size_t id_len = strlen(sn->id), name_len = strlen(sn->name);
			qcow2_put64(p, sn->l1_offset);
			qcow2_put32(p + 8, sn->l1_size);
			qcow2_put16(p + 12, (uint16_t) id_len);
			qcow2_put16(p + 14, (uint16_t) name_len);
			qcow2_put32(p + 16, sn->date_sec);
			qcow2_put32(p + 20, sn->date_nsec);
			qcow2_put64(p + 24, sn->vm_clock_nsec);
			qcow2_put32(p + 32, sn->vm_state_size);
			qcow2_put32(p + 36, sn->extra_size);
			memcpy(p + SNAPSHOT_HEADER, sn->extra, sn->extra_size);
			memcpy(p + SNAPSHOT_HEADER + sn->extra_size, sn->id, id_len);
			memcpy(p + SNAPSHOT_HEADER + sn->extra_size + id_len, sn->name, name_len);
			p += entry_bytes(sn);
		}
		ret = qcow2_alloc_clusters(img, round_up(bytes, cs64(s)) / cs64(s), &new_off);
		if (ret == 0)
			ret = block_file_pwrite(img->fd, buf, bytes, new_off);
		free(buf);
		/* The new clusters' refcounts and contents reach the disk before the header names them. */
		if (ret == 0)
			ret = qcow2_flush_metadata(img, false);
		if (ret == 0)
			ret = qcow2_sync_file(img);
		if (ret < 0)
			return ret;
	}

	/* nb_snapshots (byte 60) and snapshots_offset (64) are adjacent: one write. */
	uint64_t old_off = s->snapshots_offset;
	qcow2_put32(hdr, t->n);
	qcow2_put64(hdr + 4, new_off);
	ret = qcow2_write_header_fields(img, QCOW2_HDR_NB_SNAPSHOTS, hdr, sizeof(hdr));
	if (ret < 0)
		return ret;
	s->nb_snapshots = t->n;
	s->snapshots_offset = new_off;
	return (int64_t) old_off;   /* offsets are below 2^56: never negative */
}

/* Frees the clusters [off, off + bytes). */
static int
free_range(BlockImage *img, uint64_t off, uint64_t bytes)
{
	Qcow2State *s = img->qcow2;

	if (off == 0 || bytes == 0)
		return 0;
	for (uint64_t c = off >> s->cluster_bits; c <= (off + bytes - 1) >> s->cluster_bits; c++) {
		int ret = qcow2_update_refcount(img, c, -1, false);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Writes the table and frees the one it replaced (of old_bytes bytes). */
static int
table_replace(BlockImage *img, const SnapTable *t, uint64_t old_bytes)
{
	int64_t old_off = table_write(img, t);
	if (old_off < 0)
		return (int) old_off;
	return free_range(img, (uint64_t) old_off, old_bytes);
}

/* Adds addend to the refcount of every cluster the L1 table reaches: its
 * L2 tables and, once per L1 table, the data clusters they map (QEMU's
 * qcow2_update_snapshot_refcount()).  A refcount that would overflow its
 * width is -EINVAL, as in QEMU; what was raised by then are leaks.  Lock held. */
static int
l1_refcounts(BlockImage *img, const uint64_t *l1, uint32_t l1_size, int addend)
{
	Qcow2State *s = img->qcow2;
	uint64_t entries = 1ull << s->l2_bits;
	int ret;

	for (uint32_t i = 0; i < l1_size; i++) {
		uint64_t l2_off = l1[i] & QCOW2_OFFSET_MASK;
		CacheSlot *sl;

		if (l2_off == 0)
			continue;
		if (!valid_meta_offset(s, l2_off))
			return -EIO;
		ret = qcow2_cache_get_l2(img, l2_off, &sl);
		if (ret < 0)
			return ret;
		for (uint64_t j = 0; j < entries; j++) {
			uint64_t e = qcow2_be64(sl->data + 8 * j), first, last;
			if (e & QCOW2_OFLAG_COMPRESSED) {
				uint64_t coff, cbytes;
				qcow2_compressed_range(e, s->cluster_bits, &coff, &cbytes);
				first = coff >> s->cluster_bits;
				last = (coff + cbytes - 1) >> s->cluster_bits;
			} else {
				/* Normal clusters and preallocated zero clusters both hold one. */
				uint64_t host = e & QCOW2_OFFSET_MASK;
				if (host == 0)
					continue;
				if (host & (cs64(s) - 1))
					return -EIO;
				first = last = host >> s->cluster_bits;
			}
			for (uint64_t c = first; c <= last; c++) {
				ret = qcow2_update_refcount(img, c, addend, false);
				if (ret < 0)
					return ret == -ERANGE ? -EINVAL : ret;
			}
		}
		ret = qcow2_update_refcount(img, l2_off >> s->cluster_bits, addend, false);
		if (ret < 0)
			return ret == -ERANGE ? -EINVAL : ret;
	}
	return 0;
}

/* Sets the COPIED flag of every active L1 and L2 entry exactly where the
 * cluster's refcount is 1 ("Cluster mapping": bit 63).  Lock held. */
static int
update_copied_flags(BlockImage *img)
{
	Qcow2State *s = img->qcow2;
	uint64_t entries = 1ull << s->l2_bits, rc;
	int ret;

	for (uint32_t i = 0; i < s->l1_size; i++) {
		uint64_t l2_off = s->l1[i] & QCOW2_OFFSET_MASK;
		CacheSlot *sl;

		if (l2_off == 0)
			continue;
		ret = qcow2_cache_get_l2(img, l2_off, &sl);
		if (ret < 0)
			return ret;
		for (uint64_t j = 0; j < entries; j++) {
			uint64_t e = qcow2_be64(sl->data + 8 * j), host = e & QCOW2_OFFSET_MASK;
			if ((e & QCOW2_OFLAG_COMPRESSED) || host == 0)
				continue;
			ret = qcow2_get_refcount(img, host >> s->cluster_bits, &rc);
			if (ret < 0)
				return ret;
			uint64_t ne = rc == 1 ? e | QCOW2_OFLAG_COPIED : e & ~QCOW2_OFLAG_COPIED;
			if (ne != e) {
				qcow2_put64(sl->data + 8 * j, ne);
				sl->dirty = true;
			}
		}
		ret = qcow2_get_refcount(img, l2_off >> s->cluster_bits, &rc);
		if (ret < 0)
			return ret;
		uint64_t ne = rc == 1 ? s->l1[i] | QCOW2_OFLAG_COPIED : s->l1[i] & ~QCOW2_OFLAG_COPIED;
		if (ne != s->l1[i]) {
			s->l1[i] = ne;
			s->l1_dirty[(uint64_t) i * 8 / TABLE_CHUNK] = true;
		}
	}
	return 0;
}

/* Reads a snapshot's L1 table after checking it lies inside the file. */
static int
read_snapshot_l1(BlockImage *img, const Snap *sn, uint64_t **l1)
{
	Qcow2State *s = img->qcow2;

	if ((uint64_t) sn->l1_size * 8 > QCOW2_MAX_L1_BYTES)
		return -EFBIG;
	if (sn->l1_size > 0 && !valid_meta_offset(s, sn->l1_offset))
		return -EIO;
	return qcow2_read_table(img->fd, sn->l1_offset, sn->l1_size, l1);
}

static int
find_snapshot(const SnapTable *t, const char *id, const char *name)
{
	for (uint32_t i = 0; i < t->n; i++)
		if ((id == NULL || strcmp(t->snaps[i].id, id) == 0) && (name == NULL || strcmp(t->snaps[i].name, name) == 0))
			return (int) i;
	return -1;
}

int
qcow2_snapshot_list(BlockImage *img, BlockSnapshot **out, int *count, char **error)
{
	Qcow2State *s = img->qcow2;
	SnapTable t;
	int ret;

	pthread_mutex_lock(&s->lock);
	ret = table_read(img, &t, error);
	pthread_mutex_unlock(&s->lock);
	if (ret < 0)
		return ret;
	BlockSnapshot *list = calloc(t.n ? t.n : 1, sizeof(*list));
	if (list == NULL) {
		table_free(&t);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < t.n; i++) {
		Snap *sn = &t.snaps[i];
		BlockSnapshot *b = &list[i];
		b->id = sn->id;
		b->name = sn->name;
		sn->id = sn->name = NULL;
		b->date_sec = sn->date_sec;
		b->date_nsec = sn->date_nsec;
		b->vm_clock_nsec = sn->vm_clock_nsec;
		/* Extra data: vm_state_size_large, disk size, icount (each if present). */
		b->vm_state_size = sn->extra_size >= 8 ? qcow2_be64(sn->extra) : sn->vm_state_size;
		b->disk_size = sn->extra_size >= 16 ? qcow2_be64(sn->extra + 8) : 0;
		b->icount = sn->extra_size >= 24 ? qcow2_be64(sn->extra + 16) : UINT64_MAX;
	}
	*out = list;
	*count = (int) t.n;
	table_free(&t);
	return 0;
}

int
qcow2_snapshot_create(BlockImage *img, const char *name, char **error)
{
	Qcow2State *s = img->qcow2;
	uint64_t l1_clusters = round_up((uint64_t) s->l1_size * 8, cs64(s)) / cs64(s);
	uint64_t l1_off = 0, old_bytes;
	SnapTable t;
	uint8_t *l1buf = NULL;
	int ret;

	if (strlen(name) > UINT16_MAX)
		return -ENAMETOOLONG;
	/* With 1-bit refcounts no cluster can be shared (QEMU refuses too). */
	if (qcow2_refcount_max(s->refcount_order) < 2)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	ret = s->broken ? -EIO : qcow2_flush_metadata(img, true);
	if (ret == 0)
		ret = table_read(img, &t, error);
	if (ret < 0) {
		pthread_mutex_unlock(&s->lock);
		return ret;
	}
	old_bytes = t.bytes;

	/* The new entry: id one above the highest numeric id, as QEMU picks it. */
	unsigned long max_id = 0;
	for (uint32_t i = 0; i < t.n; i++) {
		unsigned long v = strtoul(t.snaps[i].id, NULL, 10);
		if (v > max_id)
			max_id = v;
	}
	Snap *grown = realloc(t.snaps, (t.n + 1) * sizeof(Snap));
	if (grown == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	t.snaps = grown;
	Snap *sn = &t.snaps[t.n];
	memset(sn, 0, sizeof(*sn));
	t.n++;
	char idbuf[24];
	snprintf(idbuf, sizeof(idbuf), "%lu", max_id + 1);
	sn->id = strdup(idbuf);
	sn->name = strdup(name);
	if (sn->id == NULL || sn->name == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	sn->date_sec = (uint32_t) now.tv_sec;
	sn->date_nsec = (uint32_t) now.tv_nsec;
	/* Extra data as QEMU writes it: vm_state_size_large (0: disk only),
	 * the virtual disk size, icount (0 as qemu-img leaves it). */
	sn->extra_size = 24;
	qcow2_put64(sn->extra + 8, img->size);

	/* 1. The copy of the active L1 table, COPIED flags cleared (they mean
	 * something only in the active table). */
	sn->l1_size = s->l1_size;
	if (l1_clusters > 0) {
		l1buf = calloc(1, l1_clusters * cs64(s));
		if (l1buf == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		for (uint32_t i = 0; i < s->l1_size; i++)
			qcow2_put64(l1buf + 8 * i, s->l1[i] & ~QCOW2_OFLAG_COPIED);
		ret = qcow2_alloc_clusters(img, l1_clusters, &l1_off);
		if (ret == 0)
			ret = block_file_pwrite(img->fd, l1buf, (size_t) s->l1_size * 8, l1_off);
		if (ret < 0)
			goto out;
	}
	sn->l1_offset = l1_off;

	/* 2. Everything the active table reaches gains a reference; nothing in
	 * the active image is exclusively its own any more. */
	ret = l1_refcounts(img, s->l1, s->l1_size, +1);
	if (ret == 0)
		ret = update_copied_flags(img);
	if (ret == 0)
		ret = qcow2_flush_metadata(img, true);
	if (ret == 0)
		ret = qcow2_sync_file(img);

	/* 3. The table naming the snapshot. */
	if (ret == 0)
		ret = table_replace(img, &t, old_bytes);
	if (ret == 0)
		ret = qcow2_flush_metadata(img, true);
out:
	if (ret < 0 && ret != -ENOMEM && error != NULL && *error == NULL)
		block_set_error(error, "Could not create snapshot '%s' in '%s': %s", name, img->filename, strerror(-ret));
	free(l1buf);
	table_free(&t);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

int
qcow2_snapshot_apply(BlockImage *img, const char *id_or_name, char **error)
{
	Qcow2State *s = img->qcow2;
	uint64_t *snl1 = NULL, *old = NULL;
	SnapTable t;
	int ret, idx;

	pthread_mutex_lock(&s->lock);
	ret = s->broken ? -EIO : qcow2_flush_metadata(img, true);
	if (ret == 0)
		ret = table_read(img, &t, error);
	if (ret < 0) {
		pthread_mutex_unlock(&s->lock);
		return ret;
	}
	idx = find_snapshot(&t, id_or_name, NULL);
	if (idx < 0)
		idx = find_snapshot(&t, NULL, id_or_name);
	if (idx < 0) {
		ret = -ENOENT;
		goto out;
	}
	Snap *sn = &t.snaps[idx];
	ret = read_snapshot_l1(img, sn, &snl1);
	if (ret < 0)
		goto out;
	uint64_t disk_size = sn->extra_size >= 16 ? qcow2_be64(sn->extra + 8) : img->size;
	if (sn->l1_size > s->l1_size || disk_size > img->size) {
		/* Only after a shrink, which this engine never does. */
		block_set_error(error, "Snapshot '%s' is of a larger disk than '%s' is now", id_or_name, img->filename);
		ret = -ENOTSUP;
		goto out;
	}

	/* 1. The snapshot's clusters gain the active table's reference first. */
	ret = l1_refcounts(img, snl1, sn->l1_size, +1);
	if (ret == 0)
		ret = qcow2_flush_metadata(img, false);
	if (ret < 0)
		goto out;

	/* 2. The active L1 becomes the snapshot's (rest of the table empty). */
	old = malloc((size_t) s->l1_size * 8 + 8);
	if (old == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(old, s->l1, (size_t) s->l1_size * 8);
	for (uint32_t i = 0; i < s->l1_size; i++) {
		s->l1[i] = i < sn->l1_size ? snl1[i] & ~QCOW2_OFLAG_COPIED : 0;
		s->l1_dirty[(uint64_t) i * 8 / TABLE_CHUNK] = true;
	}
	ret = qcow2_flush_metadata(img, false);
	if (ret == 0 && disk_size != img->size) {
		uint8_t buf[8];
		qcow2_put64(buf, disk_size);
		ret = qcow2_write_header_fields(img, QCOW2_HDR_SIZE, buf, 8);
		if (ret == 0)
			img->size = disk_size;
	}

	/* 3. What only the old active table reached is free now. */
	if (ret == 0)
		ret = l1_refcounts(img, old, s->l1_size, -1);
	if (ret == 0)
		ret = update_copied_flags(img);
	if (ret == 0)
		ret = qcow2_flush_metadata(img, true);
out:
	if (ret < 0 && error != NULL && *error == NULL && ret != -ENOENT)
		block_set_error(error, "Could not apply snapshot '%s' to '%s': %s", id_or_name, img->filename, strerror(-ret));
	free(old);
	free(snl1);
	table_free(&t);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

int
qcow2_snapshot_delete(BlockImage *img, const char *name, char **error)
{
	Qcow2State *s = img->qcow2;
	uint64_t *snl1 = NULL;
	SnapTable t;
	Snap gone;
	int ret, idx;

	pthread_mutex_lock(&s->lock);
	ret = s->broken ? -EIO : qcow2_flush_metadata(img, true);
	if (ret == 0)
		ret = table_read(img, &t, error);
	if (ret < 0) {
		pthread_mutex_unlock(&s->lock);
		return ret;
	}
	uint64_t old_bytes = t.bytes;
	idx = find_snapshot(&t, NULL, name);
	if (idx < 0) {
		ret = -ENOENT;
		goto out;
	}
	ret = read_snapshot_l1(img, &t.snaps[idx], &snl1);
	if (ret < 0)
		goto out;

	/* 1. The table without the entry goes to disk first. */
	gone = t.snaps[idx];
	memmove(&t.snaps[idx], &t.snaps[idx + 1], (t.n - (uint32_t) idx - 1) * sizeof(Snap));
	t.n--;
	ret = table_replace(img, &t, old_bytes);

	/* 2. Then its references go: the L2 tables and data it reached, its L1 copy. */
	if (ret == 0)
		ret = l1_refcounts(img, snl1, gone.l1_size, -1);
	if (ret == 0)
		ret = free_range(img, gone.l1_offset, (uint64_t) gone.l1_size * 8);
	if (ret == 0)
		ret = update_copied_flags(img);
	if (ret == 0)
		ret = qcow2_flush_metadata(img, true);
	free(gone.id);
	free(gone.name);
out:
	if (ret < 0 && error != NULL && *error == NULL && ret != -ENOENT)
		block_set_error(error, "Could not delete snapshot '%s' from '%s': %s", name, img->filename, strerror(-ret));
	free(snl1);
	table_free(&t);
	pthread_mutex_unlock(&s->lock);
	return ret;
}
