/* test-block-interop.c — the engine and glassbox-img against QEMU's own
 * tools: what we create QEMU accepts, what QEMU writes we read byte for
 * byte, what we write QEMU reads byte for byte. */
#include "block-test-util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define SEED 20261121

static gboolean
need_qemu(void)
{
  return bt_need_tool("qemu-img") && bt_need_tool("qemu-io") && bt_glassbox_img();
}

static void
assert_qemu_check_clean(const char *path)
{
  g_autofree char *out = NULL, *err = NULL;
  int st = bt_runv(&out, &err, bt_need_tool("qemu-img"), "check", path, NULL);
  if (st != 0)
    g_error("qemu-img check %s exited %d:\n%s%s", path, st, out, err);
}

/* ---- images we create pass qemu-img check, and QEMU reads them as we say --- */

static void
test_create_accepted_by_qemu(void)
{
  static const char *const clusters[] = { "512", "4k", "64k", "2M" };
  static const char *const preallocs[] = { "off", "metadata", "falloc", "full" };

  if (!need_qemu())
    return;
  char *dir = bt_tmpdir_new();
  for (guint c = 0; c < G_N_ELEMENTS(clusters); c++) {
    for (guint p = 0; p < G_N_ELEMENTS(preallocs); p++) {
      g_autofree char *path = g_strdup_printf("%s/c%u-p%u.qcow2", dir, c, p);
      g_autofree char *opt = g_strdup_printf("preallocation=%s,cluster_size=%s", preallocs[p], clusters[c]);
      const char *size = c == 0 ? "24M" : "100M";
      g_autofree char *err = NULL;
      int st = bt_runv(NULL, &err, bt_glassbox_img(), "create", "-q", "-f", "qcow2", "-o", opt, path, size, NULL);
      g_assert_cmpint(st, ==, 0);
      assert_qemu_check_clean(path);

      g_autoptr(JsonObject) info = bt_qemu_info(path);
      g_assert_cmpstr(json_object_get_string_member(info, "format"), ==, "qcow2");
      guint64 expect_size = c == 0 ? 24u << 20 : 100u << 20;
      g_assert_cmpint(json_object_get_int_member(info, "virtual-size"), ==, expect_size);
      guint64 cs = c == 0 ? 512 : c == 1 ? 4096 : c == 2 ? 65536 : 2u << 20;
      g_assert_cmpint(json_object_get_int_member(info, "cluster-size"), ==, cs);
      if (p == 3) /* full: the data is really on disk */
        g_assert_cmpint(json_object_get_int_member(info, "actual-size"), >=, expect_size);
      if (p == 0) /* off: nearly nothing on disk */
        g_assert_cmpint(json_object_get_int_member(info, "actual-size"), <, 8u << 20);
      g_unlink(path);
    }
  }

  /* Raw, and qcow2 with a backing file given by a relative name. */
  g_autofree char *raw = g_build_filename(dir, "disk.raw", NULL);
  g_autofree char *top = g_build_filename(dir, "top.qcow2", NULL);
  g_assert_cmpint(bt_runv(NULL, NULL, bt_glassbox_img(), "create", "-q", "-f", "raw", raw, "3M", NULL), ==, 0);
  g_assert_cmpint(bt_runv(NULL, NULL, bt_glassbox_img(), "create", "-q", "-f", "qcow2", "-b", "disk.raw", "-F", "raw", top, NULL), ==, 0);
  assert_qemu_check_clean(top);
  g_autoptr(JsonObject) info = bt_qemu_info(top);
  g_assert_cmpint(json_object_get_int_member(info, "virtual-size"), ==, 3u << 20);
  g_assert_cmpstr(json_object_get_string_member(info, "backing-filename"), ==, "disk.raw");
  g_assert_cmpstr(json_object_get_string_member(info, "backing-filename-format"), ==, "raw");
  g_autoptr(JsonObject) rinfo = bt_qemu_info(raw);
  g_assert_cmpstr(json_object_get_string_member(rinfo, "format"), ==, "raw");
  g_assert_cmpint(json_object_get_int_member(rinfo, "virtual-size"), ==, 3u << 20);
  bt_tmpdir_free(dir);
}

/* ---- glassbox-img info agrees with qemu-img info ------------------------- */

static JsonObject *
our_info(const char *path)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = NULL;
  int st = bt_runv(&out, &err, bt_glassbox_img(), "info", "--output=json", path, NULL);
  if (st != 0)
    g_error("glassbox-img info %s failed: %s", path, err);
  json_parser_load_from_data(parser, out, -1, &error);
  g_assert_no_error(error);
  return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

static void
assert_same_member(JsonObject *a, JsonObject *b, const char *name)
{
  g_assert_cmpint(json_object_has_member(a, name), ==, json_object_has_member(b, name));
  if (!json_object_has_member(a, name))
    return;
  JsonNode *na = json_object_get_member(a, name), *nb = json_object_get_member(b, name);
  if (!json_node_equal(na, nb)) {
    g_autofree char *sa = json_to_string(na, FALSE), *sb = json_to_string(nb, FALSE);
    g_error("\"%s\" differs: ours %s, qemu-img %s", name, sa, sb);
  }
}

static void
test_info_agrees(void)
{
  if (!need_qemu())
    return;
  char *dir = bt_tmpdir_new();
  g_autofree char *base = g_build_filename(dir, "base.qcow2", NULL);
  g_autofree char *v2 = g_build_filename(dir, "v2.qcow2", NULL);
  g_autofree char *top = g_build_filename(dir, "top.qcow2", NULL);
  g_autofree char *raw = g_build_filename(dir, "r.raw", NULL);
  g_autofree char *small = g_build_filename(dir, "small.qcow2", NULL);
  g_autofree char *ours = g_build_filename(dir, "ours.qcow2", NULL);
  const char *qi = bt_need_tool("qemu-img");

  g_assert_cmpint(bt_runv(NULL, NULL, qi, "create", "-q", "-f", "qcow2", base, "1G", NULL), ==, 0);
  g_assert_cmpint(bt_runv(NULL, NULL, qi, "create", "-q", "-f", "qcow2", "-o", "compat=0.10", v2, "10M", NULL), ==, 0);
  g_assert_cmpint(bt_runv(NULL, NULL, qi, "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", top, NULL), ==, 0);
  g_assert_cmpint(bt_runv(NULL, NULL, qi, "create", "-q", "-f", "raw", raw, "5M", NULL), ==, 0);
  g_assert_cmpint(bt_runv(NULL, NULL, qi, "create", "-q", "-f", "qcow2", "-o", "cluster_size=4k,refcount_bits=1,lazy_refcounts=on", small, "7M", NULL), ==, 0);
  g_assert_cmpint(bt_runv(NULL, NULL, bt_glassbox_img(), "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", ours, NULL), ==, 0);

  const char *paths[] = { base, v2, top, raw, small, ours };
  for (guint i = 0; i < G_N_ELEMENTS(paths); i++) {
    g_autoptr(JsonObject) q = bt_qemu_info(paths[i]);
    g_autoptr(JsonObject) o = our_info(paths[i]);
    static const char *const keys[] = { "virtual-size", "format", "cluster-size", "backing-filename",
                                        "full-backing-filename", "backing-filename-format", "dirty-flag" };
    for (guint k = 0; k < G_N_ELEMENTS(keys); k++)
      assert_same_member(o, q, keys[k]);
    /* Disk usage is measured the same way (allocated blocks). */
    g_assert_cmpint(json_object_get_int_member(o, "actual-size"), ==, json_object_get_int_member(q, "actual-size"));
    if (json_object_has_member(q, "format-specific")) {
      JsonObject *qd = json_object_get_object_member(json_object_get_object_member(q, "format-specific"), "data");
      JsonObject *od = json_object_get_object_member(json_object_get_object_member(o, "format-specific"), "data");
      static const char *const fkeys[] = { "compat", "lazy-refcounts", "refcount-bits", "corrupt", "extended-l2" };
      for (guint k = 0; k < G_N_ELEMENTS(fkeys); k++)
        assert_same_member(od, qd, fkeys[k]);
    }
  }
  bt_tmpdir_free(dir);
}

/* ---- data QEMU writes reads back identically through our engine --------- */

/* Random qemu-io writes (patterns, zero writes, discards, compressed
 * writes) with a fixed seed, then the whole disk read through our engine
 * must equal what qemu-img convert reads. */
static void
run_qemu_io(const char *path, GPtrArray *cmds)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new();
  g_ptr_array_add(args, (gpointer) bt_need_tool("qemu-io"));
  for (guint i = 0; i < cmds->len; i++) {
    g_ptr_array_add(args, "-c");
    g_ptr_array_add(args, cmds->pdata[i]);
  }
  g_ptr_array_add(args, (gpointer) path);
  g_ptr_array_add(args, NULL);
  g_autofree char *out = NULL, *err = NULL;
  int st = bt_run(&out, &err, (const char *const *) args->pdata);
  if (st != 0 || strstr(out, "failed") != NULL)
    g_error("qemu-io on %s failed: %s%s", path, out, err);
}

/* Random qemu-io requests with a fixed seed: pattern writes, zero writes
 * (with and without unmap), discards.  With `compressed`, first a set of
 * compressed clusters (QEMU only compresses into unallocated clusters),
 * which the later requests then partly overwrite. */
static void
qemu_io_random(const char *path, guint64 size, guint64 cs, int nops, guint32 seed, gboolean compressed)
{
  g_autoptr(GPtrArray) cmds = g_ptr_array_new_with_free_func(g_free);
  GRand *rand = g_rand_new_with_seed(seed);

  if (compressed) {
    g_autoptr(GHashTable) used = g_hash_table_new(NULL, NULL);
    guint64 nclusters = size / cs;
    for (int i = 0; i < nops / 4 && (guint64) i < nclusters / 2; i++) {
      guint64 c = (guint64) g_rand_int_range(rand, 0, (gint32) nclusters);
      if (g_hash_table_contains(used, GSIZE_TO_POINTER(c + 1)))
        continue;
      g_hash_table_add(used, GSIZE_TO_POINTER(c + 1));
      g_ptr_array_add(cmds, g_strdup_printf("write -q -c -P 0x%02x %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
                                            g_rand_int_range(rand, 1, 255), c * cs, cs));
    }
    run_qemu_io(path, cmds);
    g_ptr_array_set_size(cmds, 0);
  }
  for (int i = 0; i < nops; i++) {
    guint64 off = (guint64) g_rand_int_range(rand, 0, (gint32) (size / 512)) * 512;
    guint64 len = (guint64) g_rand_int_range(rand, 1, 400) * 512;
    if (off + len > size)
      len = size - off;
    int kind = g_rand_int_range(rand, 0, 10);
    char *cmd;
    if (kind < 7)
      cmd = g_strdup_printf("write -q -P 0x%02x %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, g_rand_int_range(rand, 1, 255), off, len);
    else if (kind == 7)
      cmd = g_strdup_printf("write -q -z %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, off, len);
    else if (kind == 8)
      cmd = g_strdup_printf("write -q -z -u %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, off, len);
    else
      cmd = g_strdup_printf("discard -q %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, off, len);
    g_ptr_array_add(cmds, cmd);
  }
  run_qemu_io(path, cmds);
  g_rand_free(rand);
}

static void
assert_engine_reads_like_qemu(const char *dir, const char *path)
{
  gsize a_len, b_len;
  g_autofree guint8 *ours = bt_engine_read_all(path, &a_len);
  g_autofree guint8 *theirs = bt_qemu_read_all(dir, path, &b_len);
  g_assert_cmpuint(a_len, ==, b_len);
  bt_assert_same(ours, theirs, a_len);
}

static void
test_read_qemu_written(void)
{
  static const struct { const char *opts; guint64 cs; } cases[] = {
    { "cluster_size=64k", 65536 },
    { "cluster_size=512", 512 },
    { "cluster_size=4k,refcount_bits=1", 4096 },
    { "cluster_size=2M", 2u << 20 },
    { "compat=0.10", 65536 },
    { "cluster_size=16k,refcount_bits=64", 16384 },
  };
  if (!need_qemu())
    return;
  char *dir = bt_tmpdir_new();
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *path = g_strdup_printf("%s/q%u.qcow2", dir, i);
    guint64 size = 12u << 20;
    g_assert_cmpint(bt_runv(NULL, NULL, bt_need_tool("qemu-img"), "create", "-q", "-f", "qcow2", "-o", cases[i].opts, path, "12M", NULL), ==, 0);
    qemu_io_random(path, size, cases[i].cs, 150, SEED + i, TRUE);
    assert_engine_reads_like_qemu(dir, path);
    g_unlink(path);
  }
  bt_tmpdir_free(dir);
}

/* base.raw (1 MiB) <- mid.qcow2 (2 MiB, relative name) <- top.qcow2 (3 MiB):
 * past the end of a shorter backing file reads as zeroes. */
static void
test_read_backing_chain(void)
{
  if (!need_qemu())
    return;
  char *dir = bt_tmpdir_new();
  const char *qi = bt_need_tool("qemu-img");
  g_autofree char *base = g_build_filename(dir, "base.raw", NULL);
  g_autofree char *mid = g_build_filename(dir, "mid.qcow2", NULL);
  g_autofree char *top = g_build_filename(dir, "top.qcow2", NULL);

  g_assert_cmpint(bt_runv(NULL, NULL, qi, "create", "-q", "-f", "raw", base, "1M", NULL), ==, 0);
  qemu_io_random(base, 1u << 20, 65536, 30, SEED, FALSE);
  g_assert_cmpint(bt_runv(NULL, NULL, qi, "create", "-q", "-f", "qcow2", "-o", "cluster_size=4k", "-b", "base.raw", "-F", "raw", mid, "2M", NULL), ==, 0);
  qemu_io_random(mid, 2u << 20, 4096, 40, SEED + 1, TRUE);
  g_assert_cmpint(bt_runv(NULL, NULL, qi, "create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", top, "3M", NULL), ==, 0);
  qemu_io_random(top, 3u << 20, 65536, 40, SEED + 2, TRUE);
  assert_engine_reads_like_qemu(dir, top);

  /* glassbox-img convert flattens the chain exactly as qemu-img does. */
  g_autofree char *flat = g_build_filename(dir, "flat.qcow2", NULL);
  g_assert_cmpint(bt_runv(NULL, NULL, bt_glassbox_img(), "convert", "-O", "qcow2", top, flat, NULL), ==, 0);
  g_assert_cmpint(bt_runv(NULL, NULL, qi, "compare", top, flat, NULL), ==, 0);
  assert_qemu_check_clean(flat);
  bt_tmpdir_free(dir);
}

/* ---- data we write reads back identically through QEMU --------------------- */

typedef struct {
  BlockImage *img;
  guint8 *mirror;      /* what the disk must read as */
  guint64 size;
} Writer;

static void
random_engine_ops(Writer *w, guint32 seed, int nops, guint64 max_len)
{
  GRand *rand = g_rand_new_with_seed(seed);
  guint8 *buf = g_malloc(max_len);

  for (int i = 0; i < nops; i++) {
    guint64 off = g_rand_int_range(rand, 0, (gint32) (w->size / 512)) * 512ull;
    if (g_rand_boolean(rand))
      off += g_rand_int_range(rand, 0, 512);   /* unaligned too */
    guint64 len = g_rand_int_range(rand, 1, (gint32) max_len);
    if (off >= w->size)
      continue;
    if (off + len > w->size)
      len = w->size - off;
    int kind = g_rand_int_range(rand, 0, 10);
    if (kind < 7) {
      for (guint64 j = 0; j < len; j++)
        buf[j] = (guint8) g_rand_int(rand);
      /* Write through a vector of three pieces to test iovec splitting. */
      struct iovec iov[3] = { { buf, len / 3 }, { buf + len / 3, len / 3 }, { buf + 2 * (len / 3), len - 2 * (len / 3) } };
      g_assert_cmpint(block_pwritev(w->img, iov, 3, off), ==, 0);
      memcpy(w->mirror + off, buf, len);
    } else if (kind < 9) {
      g_assert_cmpint(block_write_zeroes(w->img, off, len, kind == 8), ==, 0);
      memset(w->mirror + off, 0, len);
    } else {
      /* Discard may keep the data or drop it; make the mirror agree by
       * reading back what the engine now returns, then check it is either. */
      g_assert_cmpint(block_discard(w->img, off, len), ==, 0);
      g_autofree guint8 *now = g_malloc(len);
      g_assert_cmpint(block_pread(w->img, now, len, off), ==, 0);
      for (guint64 j = 0; j < len; j++)
        g_assert_true(now[j] == w->mirror[off + j] || now[j] == 0);
      memcpy(w->mirror + off, now, len);
    }
    if (g_rand_int_range(rand, 0, 20) == 0)
      g_assert_cmpint(block_flush(w->img), ==, 0);
  }
  g_free(buf);
  g_rand_free(rand);
}

static void
write_mirror(const char *path, const guint8 *data, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_file_set_contents(path, (const char *) data, (gssize) len, &error);
  g_assert_no_error(error);
}

static void
test_write_read_by_qemu(void)
{
  static const guint32 clusters[] = { 65536, 512, 2u << 20, 4096 };
  if (!need_qemu())
    return;
  char *dir = bt_tmpdir_new();
  const char *qi = bt_need_tool("qemu-img");

  for (guint c = 0; c < G_N_ELEMENTS(clusters); c++) {
    g_autofree char *path = g_strdup_printf("%s/w%u.qcow2", dir, c);
    g_autofree char *mirror_path = g_strdup_printf("%s/w%u.mirror", dir, c);
    BlockCreateOptions o = { .format = BLOCK_FORMAT_QCOW2, .size = 10u << 20, .cluster_size = clusters[c] };
    char *error = NULL;
    g_assert_cmpint(block_create(path, &o, &error), ==, 0);
    Writer w = { .size = o.size, .mirror = g_malloc0(o.size) };
    if (clusters[c] == 512)   /* tiny caches: constant eviction */
      g_setenv("GBBLOCK_CACHE_BYTES", "2048", TRUE);
    w.img = block_open(path, BLOCK_FORMAT_QCOW2, false, &error);
    g_assert_nonnull(w.img);
    random_engine_ops(&w, SEED + c, 300, 300000);
    block_close(w.img);
    g_unsetenv("GBBLOCK_CACHE_BYTES");

    assert_qemu_check_clean(path);
    write_mirror(mirror_path, w.mirror, w.size);
    g_autofree char *out = NULL;
    int st = bt_runv(&out, NULL, qi, "compare", "-f", "qcow2", "-F", "raw", path, mirror_path, NULL);
    if (st != 0)
      g_error("qemu-img compare: %s", out);
    /* And qemu-img convert reads the same bytes. */
    gsize len;
    g_autofree guint8 *theirs = bt_qemu_read_all(dir, path, &len);
    g_assert_cmpuint(len, ==, w.size);
    bt_assert_same(theirs, w.mirror, len);
    g_free(w.mirror);
  }
  bt_tmpdir_free(dir);
}

/* Our engine writing into images QEMU made with other refcount widths, and
 * into raw images, with O_DIRECT on one of them. */
static void
test_write_other_layouts(void)
{
  static const struct { const char *fmt, *opts; unsigned flags; } cases[] = {
    { "qcow2", "refcount_bits=1,cluster_size=4k", 0 },
    { "qcow2", "refcount_bits=2,cluster_size=512", 0 },
    { "qcow2", "refcount_bits=4,cluster_size=2k", 0 },
    { "qcow2", "refcount_bits=8", 0 },
    { "qcow2", "refcount_bits=32,cluster_size=8k", 0 },
    { "qcow2", "refcount_bits=64,cluster_size=1k", 0 },
    { "qcow2", "cluster_size=64k", BLOCK_OPEN_DIRECT },
    { "raw", NULL, 0 },
    { "raw", NULL, BLOCK_OPEN_DIRECT },
  };
  if (!need_qemu())
    return;
  char *dir = bt_tmpdir_new();
  const char *qi = bt_need_tool("qemu-img");
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *path = g_strdup_printf("%s/l%u.img", dir, i);
    g_autofree char *mirror_path = g_strdup_printf("%s/l%u.mirror", dir, i);
    const guint64 size = 6u << 20;
    if (cases[i].opts)
      g_assert_cmpint(bt_runv(NULL, NULL, qi, "create", "-q", "-f", cases[i].fmt, "-o", cases[i].opts, path, "6M", NULL), ==, 0);
    else
      g_assert_cmpint(bt_runv(NULL, NULL, qi, "create", "-q", "-f", cases[i].fmt, path, "6M", NULL), ==, 0);
    char *error = NULL;
    Writer w = { .size = size, .mirror = g_malloc0(size) };
    BlockFormat fmt = strcmp(cases[i].fmt, "raw") == 0 ? BLOCK_FORMAT_RAW : BLOCK_FORMAT_QCOW2;
    w.img = block_open_flags(path, fmt, cases[i].flags, &error);
    if (w.img == NULL)
      g_error("open %s: %s", path, error);
    random_engine_ops(&w, SEED + 40 + i, 200, 200000);
    /* Aligned requests too, which take the O_DIRECT path when enabled. */
    guint8 *abuf = NULL;
    if (posix_memalign((void **) &abuf, 4096, 65536) != 0)
      g_error("out of memory");
    for (int k = 0; k < 32; k++) {
      guint64 off = (guint64) g_random_int_range(0, (gint32) (size / 65536)) * 65536;
      memset(abuf, 0x30 + k, 65536);
      g_assert_cmpint(block_pwrite(w.img, abuf, 65536, off), ==, 0);
      memcpy(w.mirror + off, abuf, 65536);
      g_assert_cmpint(block_pread(w.img, abuf, 65536, off), ==, 0);
      g_assert_cmpmem(abuf, 65536, w.mirror + off, 65536);
    }
    free(abuf);
    block_close(w.img);
    if (fmt == BLOCK_FORMAT_QCOW2)
      assert_qemu_check_clean(path);
    write_mirror(mirror_path, w.mirror, size);
    g_autofree char *out = NULL;
    int st = bt_runv(&out, NULL, qi, "compare", "-f", cases[i].fmt, "-F", "raw", path, mirror_path, NULL);
    if (st != 0)
      g_error("case %u: qemu-img compare: %s", i, out);
    g_free(w.mirror);
  }
  bt_tmpdir_free(dir);
}

/* Internal snapshots: readable, check counts their clusters, writes refused. */
static void
test_snapshots_read_only(void)
{
  if (!need_qemu())
    return;
  char *dir = bt_tmpdir_new();
  const char *qi = bt_need_tool("qemu-img"), *gi = bt_glassbox_img();
  g_autofree char *path = g_build_filename(dir, "snap.qcow2", NULL);

  g_assert_cmpint(bt_runv(NULL, NULL, qi, "create", "-q", "-f", "qcow2", path, "8M", NULL), ==, 0);
  qemu_io_random(path, 8u << 20, 65536, 60, SEED + 50, FALSE);
  g_assert_cmpint(bt_runv(NULL, NULL, qi, "snapshot", "-c", "first", path, NULL), ==, 0);
  qemu_io_random(path, 8u << 20, 65536, 60, SEED + 51, FALSE);
  gsize len;
  g_autofree guint8 *at_second = bt_qemu_read_all(dir, path, &len);
  g_assert_cmpint(bt_runv(NULL, NULL, qi, "snapshot", "-c", "second", path, NULL), ==, 0);
  qemu_io_random(path, 8u << 20, 65536, 60, SEED + 52, FALSE);

  g_autofree char *out = NULL;
  int st = bt_runv(&out, NULL, gi, "check", path, NULL);
  if (st != 0)
    g_error("glassbox-img check on an image with snapshots: exit %d\n%s", st, out);
  assert_engine_reads_like_qemu(dir, path);
  /* Writable too: clusters shared with the snapshots are copied on write
   * (tests/block/test-img-snapshot.c checks that in detail). */
  char *error = NULL;
  BlockImage *img = block_open(path, BLOCK_FORMAT_AUTO, false, &error);
  g_assert_nonnull(img);
  guint8 buf[65536];
  memset(buf, 0xe7, sizeof(buf));
  g_assert_cmpint(block_pwrite(img, buf, sizeof(buf), 12345), ==, 0);
  g_assert_cmpint(block_flush(img), ==, 0);
  block_close(img);
  assert_qemu_check_clean(path);
  g_assert_cmpint(bt_runv(NULL, NULL, qi, "snapshot", "-a", "second", path, NULL), ==, 0);
  g_autofree guint8 *back = bt_qemu_read_all(dir, path, &len);
  bt_assert_same(at_second, back, len);
  bt_tmpdir_free(dir);
}

/* Writing on top of QEMU's compressed clusters and through a backing file. */
static void
test_write_over_compressed_and_backing(void)
{
  if (!need_qemu())
    return;
  char *dir = bt_tmpdir_new();
  const char *qi = bt_need_tool("qemu-img");
  g_autofree char *base = g_build_filename(dir, "base.qcow2", NULL);
  g_autofree char *top = g_build_filename(dir, "top.qcow2", NULL);
  g_autofree char *mirror_path = g_build_filename(dir, "top.mirror", NULL);
  guint64 size = 8u << 20;

  g_assert_cmpint(bt_runv(NULL, NULL, qi, "create", "-q", "-f", "qcow2", "-o", "cluster_size=4k", base, "8M", NULL), ==, 0);
  qemu_io_random(base, size, 4096, 200, SEED, TRUE);
  /* Overwrite parts of compressed clusters in place (copy-on-write of a
   * compressed cluster frees it): the base itself, then a child. */
  gsize len;
  Writer w = { .size = size };
  w.mirror = bt_qemu_read_all(dir, base, &len);
  char *error = NULL;
  w.img = block_open(base, BLOCK_FORMAT_AUTO, false, &error);
  g_assert_nonnull(w.img);
  random_engine_ops(&w, SEED + 7, 200, 20000);
  block_close(w.img);
  assert_qemu_check_clean(base);
  write_mirror(mirror_path, w.mirror, size);
  g_assert_cmpint(bt_runv(NULL, NULL, qi, "compare", "-F", "raw", base, mirror_path, NULL), ==, 0);

  BlockCreateOptions o = { .format = BLOCK_FORMAT_QCOW2, .backing_file = "base.qcow2", .backing_format = BLOCK_FORMAT_QCOW2 };
  g_assert_cmpint(block_create(top, &o, &error), ==, 0);
  w.img = block_open(top, BLOCK_FORMAT_AUTO, false, &error);
  g_assert_nonnull(w.img);
  g_assert_cmpuint(block_size(w.img), ==, size);
  random_engine_ops(&w, SEED + 8, 200, 100000);
  block_close(w.img);
  assert_qemu_check_clean(top);
  write_mirror(mirror_path, w.mirror, size);
  g_assert_cmpint(bt_runv(NULL, NULL, qi, "compare", "-F", "raw", top, mirror_path, NULL), ==, 0);
  g_free(w.mirror);
  bt_tmpdir_free(dir);
}

/* Version 2 images (compat=0.10): read what QEMU wrote, write, stay valid. */
static void
test_v2_images(void)
{
  if (!need_qemu())
    return;
  char *dir = bt_tmpdir_new();
  const char *qi = bt_need_tool("qemu-img");
  g_autofree char *path = g_build_filename(dir, "v2.qcow2", NULL);
  g_autofree char *mirror_path = g_build_filename(dir, "v2.mirror", NULL);
  guint64 size = 6u << 20;

  g_assert_cmpint(bt_runv(NULL, NULL, qi, "create", "-q", "-f", "qcow2", "-o", "compat=0.10", path, "6M", NULL), ==, 0);
  qemu_io_random(path, size, 65536, 100, SEED + 3, TRUE);
  assert_engine_reads_like_qemu(dir, path);

  gsize len;
  Writer w = { .size = size };
  w.mirror = bt_qemu_read_all(dir, path, &len);
  char *error = NULL;
  w.img = block_open(path, BLOCK_FORMAT_QCOW2, false, &error);
  g_assert_nonnull(w.img);
  random_engine_ops(&w, SEED + 4, 150, 200000);
  block_close(w.img);
  assert_qemu_check_clean(path);
  g_autoptr(JsonObject) info = bt_qemu_info(path);
  g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(json_object_get_object_member(info, "format-specific"), "data"), "compat"), ==, "0.10");
  write_mirror(mirror_path, w.mirror, size);
  g_assert_cmpint(bt_runv(NULL, NULL, qi, "compare", "-F", "raw", path, mirror_path, NULL), ==, 0);
  g_free(w.mirror);
  bt_tmpdir_free(dir);
}

/* ---- resize ------------------------------------------------------------------ */

static void
test_resize(void)
{
  if (!need_qemu())
    return;
  char *dir = bt_tmpdir_new();
  const char *qi = bt_need_tool("qemu-img");
  const char *gi = bt_glassbox_img();
  g_autofree char *path = g_build_filename(dir, "grow.qcow2", NULL);
  g_autofree char *raw = g_build_filename(dir, "grow.raw", NULL);
  g_autofree char *err = NULL;

  /* 512-byte clusters: growing to 1 GiB needs a bigger L1 table and more
   * refcount blocks. */
  g_assert_cmpint(bt_runv(NULL, NULL, qi, "create", "-q", "-f", "qcow2", "-o", "cluster_size=512", path, "1M", NULL), ==, 0);
  g_assert_cmpint(bt_runv(NULL, NULL, bt_need_tool("qemu-io"), "-c", "write -q -P 0x42 1000 100000", path, NULL), ==, 0);
  g_assert_cmpint(bt_runv(NULL, NULL, gi, "resize", "-q", path, "1G", NULL), ==, 0);
  assert_qemu_check_clean(path);
  g_autoptr(JsonObject) info = bt_qemu_info(path);
  g_assert_cmpint(json_object_get_int_member(info, "virtual-size"), ==, 1u << 30);
  g_assert_cmpint(bt_runv(NULL, NULL, bt_need_tool("qemu-io"), "-c", "read -q -P 0x42 1000 100000", "-c", "read -q -P 0 101000 1M", path, NULL), ==, 0);
  /* Write at the new end, relative grow, then refuse to shrink. */
  char *error = NULL;
  BlockImage *img = block_open(path, BLOCK_FORMAT_AUTO, false, &error);
  g_assert_nonnull(img);
  guint8 buf[4096];
  memset(buf, 0x99, sizeof(buf));
  g_assert_cmpint(block_pwrite(img, buf, sizeof(buf), (1u << 30) - 4096), ==, 0);
  block_close(img);
  g_assert_cmpint(bt_runv(NULL, NULL, gi, "resize", "-q", path, "+512M", NULL), ==, 0);
  g_assert_cmpint(bt_runv(NULL, &err, gi, "resize", path, "--", "-1M", NULL), ==, 1);
  g_clear_pointer(&err, g_free);
  g_assert_cmpint(bt_runv(NULL, &err, gi, "resize", path, "1M", NULL), ==, 1);
  assert_qemu_check_clean(path);
  g_autoptr(JsonObject) info2 = bt_qemu_info(path);
  g_assert_cmpint(json_object_get_int_member(info2, "virtual-size"), ==, 3u << 29);
  g_assert_cmpint(bt_runv(NULL, NULL, bt_need_tool("qemu-io"), "-c", "read -q -P 0x99 1073737728 4096", path, NULL), ==, 0);

  /* raw */
  g_assert_cmpint(bt_runv(NULL, NULL, gi, "create", "-q", "-f", "raw", raw, "1M", NULL), ==, 0);
  g_assert_cmpint(bt_runv(NULL, NULL, gi, "resize", "-q", "-f", "raw", raw, "5M", NULL), ==, 0);
  g_autoptr(JsonObject) rinfo = bt_qemu_info(raw);
  g_assert_cmpint(json_object_get_int_member(rinfo, "virtual-size"), ==, 5u << 20);
  bt_tmpdir_free(dir);
}

/* ---- bad input: one line on stderr, exit 1, never a crash ------------------ */

static void
write_bytes(const char *path, const void *data, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_file_set_contents(path, data, (gssize) len, &error);
  g_assert_no_error(error);
}

static void
assert_one_line_error(const char *what, const char *const *argv)
{
  g_autofree char *out = NULL, *err = NULL;
  int st = bt_run(&out, &err, argv);
  g_test_message("%s: exit %d, stderr: %s", what, st, err);
  if (st != 1)
    g_error("%s: expected exit 1, got %d (stderr: %s)", what, st, err);
  g_assert_true(g_str_has_suffix(err, "\n"));
  g_assert_cmpuint(strlen(err), >, 15);
  g_assert_true(strchr(err, '\n') == err + strlen(err) - 1);   /* exactly one line */
}

static void
patch_be32(const char *path, goffset where, guint32 value)
{
  int fd = open(path, O_WRONLY);
  guint32 be = GUINT32_TO_BE(value);
  g_assert_cmpint(pwrite(fd, &be, 4, where), ==, 4);
  close(fd);
}

static void
patch_be64(const char *path, goffset where, guint64 value)
{
  int fd = open(path, O_WRONLY);
  guint64 be = GUINT64_TO_BE(value);
  g_assert_cmpint(pwrite(fd, &be, 8, where), ==, 8);
  close(fd);
}

static void
test_bad_input(void)
{
  if (!need_qemu())
    return;
  char *dir = bt_tmpdir_new();
  const char *gi = bt_glassbox_img(), *qi = bt_need_tool("qemu-img");
  g_autofree char *good = g_build_filename(dir, "good.qcow2", NULL);
  g_autofree char *junk = g_build_filename(dir, "junk.img", NULL);
  g_autofree char *trunc = g_build_filename(dir, "trunc.qcow2", NULL);
  g_autofree char *orphan = g_build_filename(dir, "orphan.qcow2", NULL);
  g_autofree char *gone = g_build_filename(dir, "gone.qcow2", NULL);
  g_autofree char *nx = g_build_filename(dir, "new.qcow2", NULL);
  g_autofree char *bad = g_build_filename(dir, "bad.qcow2", NULL);

  g_assert_cmpint(bt_runv(NULL, NULL, qi, "create", "-q", "-f", "qcow2", good, "64M", NULL), ==, 0);
  write_bytes(junk, "this is not a disk image at all, just some text\n", 48);
  g_autofree char *good_data = NULL;
  gsize good_len;
  g_assert_true(g_file_get_contents(good, &good_data, &good_len, NULL));
  write_bytes(trunc, good_data, 60);
  g_assert_cmpint(bt_runv(NULL, NULL, qi, "create", "-q", "-f", "qcow2", gone, "1M", NULL), ==, 0);
  g_assert_cmpint(bt_runv(NULL, NULL, qi, "create", "-q", "-f", "qcow2", "-b", "gone.qcow2", "-F", "qcow2", orphan, NULL), ==, 0);
  g_unlink(gone);

  { const char *a[] = { gi, "info", "-f", "qcow2", junk, NULL }; assert_one_line_error("wrong magic", a); }
  { const char *a[] = { gi, "check", "-f", "qcow2", junk, NULL }; assert_one_line_error("check wrong magic", a); }
  { const char *a[] = { gi, "info", trunc, NULL }; assert_one_line_error("truncated header", a); }
  { const char *a[] = { gi, "convert", "-O", "raw", trunc, nx, NULL }; assert_one_line_error("convert truncated", a); }
  g_assert_false(g_file_test(nx, G_FILE_TEST_EXISTS));
  { const char *a[] = { gi, "create", "-f", "qcow2", nx, "99E", NULL }; assert_one_line_error("absurd size", a); }
  { const char *a[] = { gi, "create", "-f", "qcow2", nx, "1e30", NULL }; assert_one_line_error("absurd size (float)", a); }
  { const char *a[] = { gi, "create", "-f", "qcow2", nx, "-5G", NULL }; assert_one_line_error("negative size", a); }
  { const char *a[] = { gi, "create", "-f", "qcow2", nx, "12X", NULL }; assert_one_line_error("bad suffix", a); }
  { const char *a[] = { gi, "create", "-f", "qcow2", "-o", "cluster_size=1000", nx, "1M", NULL }; assert_one_line_error("bad cluster size", a); }
  { const char *a[] = { gi, "create", "-f", "vmdk", nx, "1M", NULL }; assert_one_line_error("unknown format", a); }
  { const char *a[] = { gi, "create", "-f", "qcow2", "-b", "missing.qcow2", "-F", "qcow2", nx, NULL }; assert_one_line_error("missing backing at create", a); }
  g_assert_false(g_file_test(nx, G_FILE_TEST_EXISTS));
  { const char *a[] = { gi, "create", "-f", "qcow2", good, "1M", NULL }; assert_one_line_error("existing file", a); }
  { const char *a[] = { gi, "info", "--backing-chain", orphan, NULL }; assert_one_line_error("missing backing", a); }
  { const char *a[] = { gi, "convert", "-O", "raw", orphan, nx, NULL }; assert_one_line_error("convert with missing backing", a); }
  { const char *a[] = { gi, "info", "/nonexistent/disk.qcow2", NULL }; assert_one_line_error("no such file", a); }
  { const char *a[] = { gi, "frobnicate", good, NULL }; assert_one_line_error("unknown command", a); }

  /* Headers with insane fields. */
  struct { const char *what; goffset at; int width; guint64 value; } patches[] = {
    { "cluster bits 30", 20, 4, 30 },
    { "version 9", 4, 4, 9 },
    { "huge L1", 36, 4, 0x7fffffff },
    { "unaligned L1", 40, 8, 0x30001 },
    { "refcount table of 2^31 clusters", 56, 4, 0x80000000u },
    { "virtual size 2^63", 24, 8, 1ull << 63 },
    { "refcount order 9", 96, 4, 9 },
    { "unknown incompatible feature", 72, 8, 1ull << 40 },
    { "backing name offset outside header", 8, 8, 1ull << 40 },
  };
  for (guint i = 0; i < G_N_ELEMENTS(patches); i++) {
    write_bytes(bad, good_data, good_len);
    if (patches[i].width == 4)
      patch_be32(bad, patches[i].at, (guint32) patches[i].value);
    else
      patch_be64(bad, patches[i].at, patches[i].value);
    if (patches[i].at == 8)
      patch_be32(bad, 16, 10);
    const char *a[] = { gi, "info", bad, NULL };
    assert_one_line_error(patches[i].what, a);
  }

  /* An L2 pointer past the end of the file: reads fail cleanly. */
  write_bytes(bad, good_data, good_len);
  g_assert_cmpint(bt_runv(NULL, NULL, bt_need_tool("qemu-io"), "-c", "write -q -P 1 0 64k", bad, NULL), ==, 0);
  g_autoptr(JsonObject) info = bt_qemu_info(bad);
  (void) info;
  patch_be64(bad, 0x30000, 0x8000000000000000ull | (1ull << 40));   /* L1[0] with QEMU's layout */
  { const char *a[] = { gi, "convert", "-O", "raw", bad, nx, NULL }; assert_one_line_error("L2 beyond end of file", a); }
  bt_tmpdir_free(dir);
}

/* ---- several threads writing at once ------------------------------------------ */

typedef struct {
  BlockImage *img;
  guint8 *mirror;
  int id, nthreads;
  guint64 size, chunk;
} ThreadJob;

static void *
thread_writer(void *data)
{
  ThreadJob *j = data;
  guint8 *buf;
  /* Page-aligned, so that a direct-I/O image takes its O_DIRECT path. */
  if (posix_memalign((void **) &buf, 4096, j->chunk) != 0)
    g_error("out of memory");
  GRand *rand = g_rand_new_with_seed(SEED + (guint32) j->id);

  /* Chunk k belongs to thread k % nthreads: the ranges are disjoint but
   * share clusters and L2 tables, so allocation races are exercised. */
  guint64 nchunks = j->size / j->chunk;
  for (int pass = 0; pass < 3; pass++) {
    for (guint64 k = (guint64) j->id; k < nchunks; k += (guint64) j->nthreads) {
      if (g_rand_int_range(rand, 0, 3) == 0)
        continue;
      for (guint64 i = 0; i < j->chunk; i++)
        buf[i] = (guint8) g_rand_int(rand);
      if (block_pwrite(j->img, buf, j->chunk, k * j->chunk) != 0)
        g_error("thread %d: write failed", j->id);
      memcpy(j->mirror + k * j->chunk, buf, j->chunk);
      if (g_rand_int_range(rand, 0, 50) == 0)
        block_flush(j->img);
    }
  }
  g_rand_free(rand);
  free(buf);
  return NULL;
}

static void
test_threads(void)
{
  if (!need_qemu())
    return;
  char *dir = bt_tmpdir_new();
  g_autofree char *path = g_build_filename(dir, "threads.qcow2", NULL);
  g_autofree char *mirror_path = g_build_filename(dir, "threads.mirror", NULL);
  const guint64 size = 24u << 20;
  const int nthreads = 6;
  char *error = NULL;

  /* Round 2: 512-byte clusters and caches of a few tables, so L2 tables
   * and refcount blocks are evicted (and metadata flushed) all the time
   * while other threads allocate.  Round 3: 4 KiB writes with O_DIRECT
   * (cache=none), several of them in flight into each new 64 KiB cluster,
   * whose data is written outside the metadata lock. */
  static const guint64 cluster[] = { 65536, 4096, 512, 65536 };
  static const guint64 chunk[] = { 12288, 1536, 2560, 4096 };
  for (int round = 0; round < 4; round++) {
    BlockCreateOptions o = { .format = BLOCK_FORMAT_QCOW2, .size = size, .cluster_size = (uint32_t) cluster[round] };
    if (round == 2)
      g_setenv("GBBLOCK_CACHE_BYTES", "4096", TRUE);
    g_unlink(path);
    g_assert_cmpint(block_create(path, &o, &error), ==, 0);
    BlockImage *img = block_open_flags(path, BLOCK_FORMAT_QCOW2, round == 3 ? BLOCK_OPEN_DIRECT : 0, &error);
    g_assert_nonnull(img);
    guint8 *mirror = g_malloc0(size);
    pthread_t th[6];
    ThreadJob jobs[6];
    for (int i = 0; i < nthreads; i++) {
      jobs[i] = (ThreadJob) { img, mirror, i, nthreads, size, chunk[round] };
      pthread_create(&th[i], NULL, thread_writer, &jobs[i]);
    }
    for (int i = 0; i < nthreads; i++)
      pthread_join(th[i], NULL);
    block_close(img);
    g_unsetenv("GBBLOCK_CACHE_BYTES");
    assert_qemu_check_clean(path);
    write_mirror(mirror_path, mirror, size);
    g_autofree char *out = NULL;
    int st = bt_runv(&out, NULL, bt_need_tool("qemu-img"), "compare", "-F", "raw", path, mirror_path, NULL);
    if (st != 0)
      g_error("qemu-img compare: %s", out);
    g_free(mirror);
  }
  bt_tmpdir_free(dir);
}

/* ---- flags: dirty (lazy refcounts) and corrupt ----------------------------------- */

static void
test_dirty_and_corrupt(void)
{
  if (!need_qemu())
    return;
  char *dir = bt_tmpdir_new();
  const char *qi = bt_need_tool("qemu-img"), *gi = bt_glassbox_img();
  g_autofree char *path = g_build_filename(dir, "lazy.qcow2", NULL);
  char *error = NULL;

  /* qemu-io's "abort" leaves a lazy-refcounts image dirty, with refcounts
   * not yet written: the state a crashed QEMU leaves. */
  g_assert_cmpint(bt_runv(NULL, NULL, qi, "create", "-q", "-f", "qcow2", "-o", "lazy_refcounts=on", path, "16M", NULL), ==, 0);
  bt_runv(NULL, NULL, bt_need_tool("qemu-io"), "-c", "write -q -P 0x61 0 3M", "-c", "abort", path, NULL);
  g_autoptr(JsonObject) o = our_info(path);
  g_assert_true(json_object_get_boolean_member(o, "dirty-flag"));

  /* Read-only: readable as is.  Read-write: repaired first, like QEMU. */
  BlockImage *img = block_open(path, BLOCK_FORMAT_AUTO, true, &error);
  g_assert_nonnull(img);
  guint8 buf[512];
  g_assert_cmpint(block_pread(img, buf, sizeof(buf), 1u << 20), ==, 0);
  g_assert_cmpuint(buf[0], ==, 0x61);
  block_close(img);
  img = block_open(path, BLOCK_FORMAT_AUTO, false, &error);
  g_assert_nonnull(img);
  memset(buf, 0x62, sizeof(buf));
  g_assert_cmpint(block_pwrite(img, buf, sizeof(buf), 5u << 20), ==, 0);
  block_close(img);
  g_autoptr(JsonObject) q = bt_qemu_info(path);
  g_assert_false(json_object_get_boolean_member(q, "dirty-flag"));
  assert_qemu_check_clean(path);
  g_assert_cmpint(bt_runv(NULL, NULL, bt_need_tool("qemu-io"), "-c", "read -q -P 0x61 0 3M", "-c", "read -q -P 0x62 5M 512", path, NULL), ==, 0);

  /* Corrupt bit: read-only only; check -r all clears it. */
  g_autoptr(GError) gerr = NULL;
  int fd = open(path, O_RDWR);
  guint64 be = GUINT64_TO_BE(2);
  g_assert_cmpint(pwrite(fd, &be, 8, 72), ==, 8);
  close(fd);
  img = block_open(path, BLOCK_FORMAT_AUTO, false, &error);
  g_assert_null(img);
  g_assert_nonnull(strstr(error, "corrupt"));
  g_clear_pointer(&error, free);
  img = block_open(path, BLOCK_FORMAT_AUTO, true, &error);
  g_assert_nonnull(img);
  block_close(img);
  g_assert_cmpint(bt_runv(NULL, NULL, gi, "check", "-q", "-r", "all", path, NULL), ==, 0);
  g_autoptr(JsonObject) q2 = bt_qemu_info(path);
  g_assert_false(json_object_get_boolean_member(json_object_get_object_member(json_object_get_object_member(q2, "format-specific"), "data"), "corrupt"));
  bt_tmpdir_free(dir);
}

/* ---- check finds and repairs what qemu-img does ----------------------------------- */

static void
test_check_leaks(void)
{
  if (!need_qemu())
    return;
  char *dir = bt_tmpdir_new();
  const char *qi = bt_need_tool("qemu-img"), *gi = bt_glassbox_img();
  g_autofree char *path = g_build_filename(dir, "leak.qcow2", NULL);

  /* Leak two clusters by hand: raise refcounts of clusters nobody uses. */
  g_assert_cmpint(bt_runv(NULL, NULL, qi, "create", "-q", "-f", "qcow2", path, "16M", NULL), ==, 0);
  g_assert_cmpint(bt_runv(NULL, NULL, bt_need_tool("qemu-io"), "-c", "write -q -P 3 0 128k", path, NULL), ==, 0);
  int fd = open(path, O_RDWR);
  guint16 one = GUINT16_TO_BE(1);
  /* QEMU's layout: refcount block at 0x20000, 16-bit entries; clusters 20 and 21 are unused. */
  g_assert_cmpint(pwrite(fd, &one, 2, 0x20000 + 2 * 20), ==, 2);
  g_assert_cmpint(pwrite(fd, &one, 2, 0x20000 + 2 * 21), ==, 2);
  g_assert_cmpint(ftruncate(fd, 22 * 65536), ==, 0);
  close(fd);
  g_autofree char *out = NULL;
  g_assert_cmpint(bt_runv(NULL, NULL, qi, "check", path, NULL), ==, 3);
  g_assert_cmpint(bt_runv(&out, NULL, gi, "check", path, NULL), ==, 3);
  g_assert_nonnull(strstr(out, "2 leaked clusters"));
  g_assert_cmpint(bt_runv(NULL, NULL, gi, "check", "-q", "-r", "leaks", path, NULL), ==, 0);
  g_assert_cmpint(bt_runv(NULL, NULL, qi, "check", path, NULL), ==, 0);

  /* A refcount that is too low is a corruption (exit 2); -r all fixes it. */
  guint16 zero = 0;
  fd = open(path, O_RDWR);
  g_assert_cmpint(pwrite(fd, &zero, 2, 0x20000 + 2 * 4), ==, 2);   /* the first data cluster */
  close(fd);
  g_assert_cmpint(bt_runv(NULL, NULL, qi, "check", path, NULL), ==, 2);
  g_assert_cmpint(bt_runv(NULL, NULL, gi, "check", path, NULL), ==, 2);
  g_assert_cmpint(bt_runv(NULL, NULL, gi, "check", "-q", "-r", "all", path, NULL), ==, 0);
  g_assert_cmpint(bt_runv(NULL, NULL, qi, "check", path, NULL), ==, 0);
  g_assert_cmpint(bt_runv(NULL, NULL, bt_need_tool("qemu-io"), "-c", "read -q -P 3 0 128k", path, NULL), ==, 0);
  bt_tmpdir_free(dir);
}

/* ---- block_create: progress, cancel, never overwrite -------------------------- */

typedef struct {
  guint calls;
  guint64 last_done, total;
  guint cancel_after;
  gboolean monotonic;
} Progress;

static bool
on_progress(uint64_t done, uint64_t total, void *data)
{
  Progress *p = data;
  if (done < p->last_done)
    p->monotonic = FALSE;
  p->last_done = done;
  p->total = total;
  p->calls++;
  return p->cancel_after == 0 || p->calls < p->cancel_after;
}

static void
test_create_progress_cancel(void)
{
  char *dir = bt_tmpdir_new();
  char *error = NULL;

  for (int fmt = 0; fmt < 2; fmt++) {
    g_autofree char *path = g_strdup_printf("%s/full%d.img", dir, fmt);
    Progress p = { .monotonic = TRUE };
    BlockCreateOptions o = {
      .format = fmt ? BLOCK_FORMAT_RAW : BLOCK_FORMAT_QCOW2, .size = 64u << 20,
      .prealloc = BLOCK_PREALLOC_FULL, .progress = on_progress, .user_data = &p,
    };
    g_assert_cmpint(block_create(path, &o, &error), ==, 0);
    g_assert_cmpuint(p.calls, >, 10);           /* reported as it goes, not once */
    g_assert_true(p.monotonic);
    g_assert_cmpuint(p.last_done, ==, 64u << 20);
    g_assert_cmpuint(p.total, ==, 64u << 20);

    /* Never overwrite. */
    g_assert_cmpint(block_create(path, &o, &error), ==, -EEXIST);
    g_assert_nonnull(error);
    g_clear_pointer(&error, free);
    g_unlink(path);

    /* Cancel half way: error, and no file left behind. */
    Progress c = { .monotonic = TRUE, .cancel_after = 8 };
    o.user_data = &c;
    g_assert_cmpint(block_create(path, &o, &error), ==, -ECANCELED);
    g_assert_nonnull(error);
    g_clear_pointer(&error, free);
    g_assert_cmpuint(c.calls, ==, 8);
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
  }
  bt_tmpdir_free(dir);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  bt_init(&argc, &argv);
  g_test_add_func("/block/create/accepted-by-qemu", test_create_accepted_by_qemu);
  g_test_add_func("/block/create/progress-cancel", test_create_progress_cancel);
  g_test_add_func("/block/info/agrees-with-qemu", test_info_agrees);
  g_test_add_func("/block/read/qemu-written", test_read_qemu_written);
  g_test_add_func("/block/read/backing-chain", test_read_backing_chain);
  g_test_add_func("/block/write/read-by-qemu", test_write_read_by_qemu);
  g_test_add_func("/block/write/over-compressed-and-backing", test_write_over_compressed_and_backing);
  g_test_add_func("/block/v2", test_v2_images);
  g_test_add_func("/block/write/other-layouts", test_write_other_layouts);
  g_test_add_func("/block/snapshots-read-only", test_snapshots_read_only);
  g_test_add_func("/block/resize", test_resize);
  g_test_add_func("/block/bad-input", test_bad_input);
  g_test_add_func("/block/threads", test_threads);
  g_test_add_func("/block/dirty-and-corrupt", test_dirty_and_corrupt);
  g_test_add_func("/block/check/leaks-and-repair", test_check_leaks);
  return g_test_run();
}
