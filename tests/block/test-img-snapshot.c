/* test-img-snapshot.c — `glassbox-img snapshot -l/-c/-a/-d` against
 * `qemu-img snapshot` on the same images: the same list, the same exit
 * codes and messages, images `qemu-img check` finds clean, and the disk
 * content each snapshot held coming back byte for byte — also on an
 * overlay whose backing file must stay as it is. */
#include "block-test-util.h"

#include <errno.h>
#include <string.h>

static gboolean
need_qemu(void)
{
  return bt_need_tool("qemu-img") && bt_need_tool("qemu-io") && bt_glassbox_img();
}

static void
assert_checks_clean(const char *path)
{
  g_autofree char *out = NULL, *err = NULL;
  int st = bt_runv(&out, &err, bt_need_tool("qemu-img"), "check", path, NULL);
  if (st != 0)
    g_error("qemu-img check %s exited %d:\n%s%s", path, st, out, err);
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  st = bt_runv(&out, &err, bt_glassbox_img(), "check", path, NULL);
  if (st != 0)
    g_error("glassbox-img check %s exited %d:\n%s%s", path, st, out, err);
}

static void
qemu_io(const char *path, const char *cmd)
{
  g_autofree char *out = NULL, *err = NULL;
  int st = bt_runv(&out, &err, bt_need_tool("qemu-io"), "-f", "qcow2", "-c", cmd, path, NULL);
  if (st != 0 || strstr(out, "error") || strstr(out, "failed"))
    g_error("qemu-io -c '%s' %s: %d\n%s%s", cmd, path, st, out, err);
}

static int
gb_snapshot(const char *opt, const char *arg, const char *path, char **out, char **err)
{
  if (arg == NULL)
    return bt_runv(out, err, bt_glassbox_img(), "snapshot", opt, path, NULL);
  return bt_runv(out, err, bt_glassbox_img(), "snapshot", opt, arg, path, NULL);
}

static int
qemu_snapshot(const char *opt, const char *arg, const char *path, char **out, char **err)
{
  if (arg == NULL)
    return bt_runv(out, err, bt_need_tool("qemu-img"), "snapshot", opt, path, NULL);
  return bt_runv(out, err, bt_need_tool("qemu-img"), "snapshot", opt, arg, path, NULL);
}

static void
assert_lists_equal(const char *path, int expected_rows)
{
  g_autofree char *ours = NULL, *theirs = NULL;
  g_assert_cmpint(gb_snapshot("-l", NULL, path, &ours, NULL), ==, 0);
  g_assert_cmpint(qemu_snapshot("-l", NULL, path, &theirs, NULL), ==, 0);
  g_assert_cmpstr(ours, ==, theirs);
  int lines = 0;
  for (const char *p = ours; *p; p++)
    lines += *p == '\n';
  g_assert_cmpint(lines, ==, expected_rows ? expected_rows + 2 : 0);
}

/* The whole disk as QEMU reads it. */
static guint8 *
content(const char *dir, const char *path, gsize *len)
{
  return bt_qemu_read_all(dir, path, len);
}

/* Create with us, change the disk with QEMU, go back with us — for several
 * cluster sizes, both qcow2 versions and compressed clusters. */
static void
test_create_apply_delete(void)
{
  static const struct { const char *opts; gboolean compressed; } layouts[] = {
    { "cluster_size=65536", FALSE },
    { "cluster_size=512", FALSE },
    { "cluster_size=2M", FALSE },
    { "compat=0.10", FALSE },
    { "refcount_bits=4", FALSE },
    { "cluster_size=65536", TRUE },
  };

  if (!need_qemu())
    return;
  char *dir = bt_tmpdir_new();
  for (guint i = 0; i < G_N_ELEMENTS(layouts); i++) {
    g_autofree char *path = g_strdup_printf("%s/disk%u.qcow2", dir, i);
    g_test_message("layout %s%s", layouts[i].opts, layouts[i].compressed ? " (compressed)" : "");
    if (layouts[i].compressed) {
      g_autofree char *raw = g_strdup_printf("%s/src%u.raw", dir, i);
      g_assert_cmpint(bt_runv(NULL, NULL, bt_need_tool("qemu-img"), "create", "-q", "-f", "raw", raw, "8M", NULL), ==, 0);
      g_assert_cmpint(bt_runv(NULL, NULL, bt_need_tool("qemu-io"), "-f", "raw", "-c", "write -P 0x5a 0 3M", raw, NULL), ==, 0);
      g_assert_cmpint(bt_runv(NULL, NULL, bt_need_tool("qemu-img"), "convert", "-c", "-f", "raw", "-O", "qcow2", raw, path, NULL), ==, 0);
    } else {
      g_assert_cmpint(bt_runv(NULL, NULL, bt_need_tool("qemu-img"), "create", "-q", "-f", "qcow2", "-o", layouts[i].opts, path, "8M", NULL), ==, 0);
      qemu_io(path, "write -P 0x11 0 3M");
      qemu_io(path, "write -z 4M 64k");
    }
    gsize len0, len1, len2;
    g_autofree guint8 *at_s1 = content(dir, path, &len0);

    /* s1 by us; QEMU sees it, the image is clean, the data unchanged. */
    g_assert_cmpint(gb_snapshot("-c", "s1", path, NULL, NULL), ==, 0);
    assert_checks_clean(path);
    assert_lists_equal(path, 1);
    g_autofree guint8 *after = content(dir, path, &len1);
    g_assert_cmpuint(len0, ==, len1);
    bt_assert_same(at_s1, after, len0);

    /* The disk changes (QEMU does the copy-on-write), s2 by us. */
    qemu_io(path, "write -P 0x22 512k 1M");
    qemu_io(path, "write -P 0x33 6M 100k");
    qemu_io(path, "discard 0 64k");
    g_autofree guint8 *at_s2 = content(dir, path, &len2);
    g_assert_cmpint(gb_snapshot("-c", "s2", path, NULL, NULL), ==, 0);
    assert_checks_clean(path);
    assert_lists_equal(path, 2);
    qemu_io(path, "write -P 0x44 0 2M");

    /* Back to s1 (by name) and to s2 (by ID): each disk as it was. */
    g_assert_cmpint(gb_snapshot("-a", "s1", path, NULL, NULL), ==, 0);
    assert_checks_clean(path);
    g_autofree guint8 *back1 = content(dir, path, &len1);
    bt_assert_same(at_s1, back1, len0);
    g_assert_cmpint(gb_snapshot("-a", "2", path, NULL, NULL), ==, 0);
    assert_checks_clean(path);
    g_autofree guint8 *back2 = content(dir, path, &len2);
    bt_assert_same(at_s2, back2, len0);

    /* Delete both: the image is plain again and our engine writes to it. */
    g_assert_cmpint(gb_snapshot("-d", "s1", path, NULL, NULL), ==, 0);
    assert_checks_clean(path);
    assert_lists_equal(path, 1);
    g_assert_cmpint(gb_snapshot("-d", "s2", path, NULL, NULL), ==, 0);
    assert_checks_clean(path);
    assert_lists_equal(path, 0);
    g_autofree guint8 *last = content(dir, path, &len2);
    bt_assert_same(at_s2, last, len0);

    char *error = NULL;
    BlockImage *img = block_open(path, BLOCK_FORMAT_QCOW2, false, &error);
    g_assert_nonnull(img);
    guint8 buf[4096];
    memset(buf, 0x77, sizeof(buf));
    g_assert_cmpint(block_pwrite(img, buf, sizeof(buf), 4096), ==, 0);
    g_assert_cmpint(block_flush(img), ==, 0);
    block_close(img);
    assert_checks_clean(path);
    qemu_io(path, "read -P 0x77 4096 4096");
  }
  bt_tmpdir_free(dir);
}

/* Snapshots QEMU made, applied and deleted by us; ours applied by QEMU. */
static void
test_interchange(void)
{
  if (!need_qemu())
    return;
  char *dir = bt_tmpdir_new();
  g_autofree char *path = g_build_filename(dir, "x.qcow2", NULL);
  gsize len, l2;
  g_assert_cmpint(bt_runv(NULL, NULL, bt_need_tool("qemu-img"), "create", "-q", "-f", "qcow2", path, "16M", NULL), ==, 0);
  qemu_io(path, "write -P 0xa1 1M 2M");
  g_autofree guint8 *a = content(dir, path, &len);
  g_assert_cmpint(qemu_snapshot("-c", "qemu-made", path, NULL, NULL), ==, 0);
  qemu_io(path, "write -P 0xb2 1M 1M");
  g_autofree guint8 *b = content(dir, path, &len);
  g_assert_cmpint(gb_snapshot("-c", "ours", path, NULL, NULL), ==, 0);
  assert_lists_equal(path, 2);

  g_assert_cmpint(gb_snapshot("-a", "qemu-made", path, NULL, NULL), ==, 0);
  assert_checks_clean(path);
  g_autofree guint8 *got_a = content(dir, path, &l2);
  bt_assert_same(a, got_a, len);
  g_assert_cmpint(qemu_snapshot("-a", "ours", path, NULL, NULL), ==, 0);
  assert_checks_clean(path);
  g_autofree guint8 *got_b = content(dir, path, &l2);
  bt_assert_same(b, got_b, len);

  g_assert_cmpint(gb_snapshot("-d", "qemu-made", path, NULL, NULL), ==, 0);
  g_assert_cmpint(qemu_snapshot("-d", "ours", path, NULL, NULL), ==, 0);
  assert_checks_clean(path);
  assert_lists_equal(path, 0);
  bt_tmpdir_free(dir);
}

/* An overlay with a backing file (a linked clone's disk): snapshots live in
 * the overlay only; reverting brings back what the overlay held and,
 * where it held nothing, the backing file's data again; the backing file
 * never changes and keeps no snapshot; QEMU agrees at each step. */
static void
test_backing_file(void)
{
  if (!need_qemu())
    return;
  char *dir = bt_tmpdir_new();
  g_autofree char *base = g_build_filename(dir, "base.qcow2", NULL);
  g_autofree char *top = g_build_filename(dir, "top.qcow2", NULL);
  g_autofree char *info = NULL, *base_list = NULL;
  gsize len, l2, lb;

  g_assert_cmpint(bt_runv(NULL, NULL, bt_need_tool("qemu-img"), "create", "-q", "-f", "qcow2", base, "8M", NULL), ==, 0);
  qemu_io(base, "write -P 0x11 0 4M");
  g_assert_cmpint(bt_runv(NULL, NULL, bt_need_tool("qemu-img"), "create", "-q", "-f", "qcow2",
                          "-b", base, "-F", "qcow2", top, NULL), ==, 0);
  qemu_io(top, "write -P 0x22 1M 1M");
  g_autofree guint8 *base_before = content(dir, base, &lb);
  g_autofree guint8 *at_s1 = content(dir, top, &len);

  g_assert_cmpint(gb_snapshot("-c", "s1", top, NULL, NULL), ==, 0);
  assert_checks_clean(top);
  assert_lists_equal(top, 1);
  /* The whole chain changes: clusters from the backing file get copied
   * up, fresh ones are written. */
  qemu_io(top, "write -P 0x33 0 3M");
  qemu_io(top, "write -P 0x44 6M 64k");

  g_assert_cmpint(gb_snapshot("-a", "s1", top, NULL, NULL), ==, 0);
  assert_checks_clean(top);
  g_autofree guint8 *back = content(dir, top, &l2);
  g_assert_cmpuint(l2, ==, len);
  bt_assert_same(at_s1, back, len);

  /* The backing file: untouched, no snapshot, still the overlay's base. */
  g_autofree guint8 *base_after = content(dir, base, &l2);
  bt_assert_same(base_before, base_after, lb);
  g_assert_cmpint(qemu_snapshot("-l", NULL, base, &base_list, NULL), ==, 0);
  g_assert_cmpstr(base_list, ==, "");
  g_assert_cmpint(bt_runv(&info, NULL, bt_need_tool("qemu-img"), "info", top, NULL), ==, 0);
  g_assert_nonnull(strstr(info, base));

  /* QEMU reverts ours as well, and we delete it. */
  qemu_io(top, "write -P 0x55 1M 64k");
  g_assert_cmpint(qemu_snapshot("-a", "s1", top, NULL, NULL), ==, 0);
  g_autofree guint8 *back2 = content(dir, top, &l2);
  bt_assert_same(at_s1, back2, len);
  g_assert_cmpint(gb_snapshot("-d", "s1", top, NULL, NULL), ==, 0);
  assert_checks_clean(top);
  assert_lists_equal(top, 0);
  bt_tmpdir_free(dir);
}

/* Strips "qemu-img: " / "glassbox-img: " from each line. */
static char *
unprefixed(const char *err)
{
  g_auto(GStrv) lines = g_strsplit(err, "\n", -1);
  GString *s = g_string_new(NULL);
  for (guint i = 0; lines[i]; i++) {
    const char *l = lines[i];
    if (g_str_has_prefix(l, "qemu-img: "))
      l += strlen("qemu-img: ");
    else if (g_str_has_prefix(l, "glassbox-img: "))
      l += strlen("glassbox-img: ");
    else
      continue;
    g_string_append_printf(s, "%s\n", l);
  }
  return g_string_free(s, FALSE);
}

/* The failures: the same exit code and message as qemu-img. */
static void
test_errors(void)
{
  static const struct { const char *opt, *arg; gboolean raw; } cases[] = {
    { "-a", "nope", FALSE },
    { "-d", "nope", FALSE },
    { "-d", "1", FALSE },        /* -d takes a name, never an ID */
    { "-c", "x", TRUE },
    { "-l", NULL, TRUE },
    { "-l", NULL, FALSE },
  };

  if (!need_qemu())
    return;
  char *dir = bt_tmpdir_new();
  g_autofree char *path = g_build_filename(dir, "e.qcow2", NULL);
  g_autofree char *raw = g_build_filename(dir, "e.raw", NULL);
  g_assert_cmpint(bt_runv(NULL, NULL, bt_need_tool("qemu-img"), "create", "-q", "-f", "qcow2", path, "1M", NULL), ==, 0);
  g_assert_cmpint(bt_runv(NULL, NULL, bt_need_tool("qemu-img"), "create", "-q", "-f", "raw", raw, "1M", NULL), ==, 0);
  g_assert_cmpint(qemu_snapshot("-c", "one", path, NULL, NULL), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL;
    const char *file = cases[i].raw ? raw : path;
    int ours = gb_snapshot(cases[i].opt, cases[i].arg, file, &o1, &e1);
    /* (qemu-img snapshot has no -f: it probes raw and warns, unprefixed.) */
    int theirs = qemu_snapshot(cases[i].opt, cases[i].arg, file, &o2, &e2);
    g_test_message("%s %s: ours %d, qemu-img %d", cases[i].opt, cases[i].arg ? cases[i].arg : "", ours, theirs);
    g_assert_cmpint(ours, ==, theirs);
    g_assert_cmpstr(o1, ==, o2);
    g_autofree char *m1 = unprefixed(e1), *m2 = unprefixed(e2);
    g_assert_cmpstr(m1, ==, m2);
  }

  /* Mixing actions is refused, as qemu-img does. */
  g_autofree char *err = NULL;
  g_assert_cmpint(bt_runv(NULL, &err, bt_glassbox_img(), "snapshot", "-l", "-c", "x", path, NULL), ==, 1);
  g_assert_nonnull(strstr(err, "Cannot mix"));

  bt_tmpdir_free(dir);
}

/* Our engine writes to an image that has snapshots: what the snapshot
 * shares is copied on write (data clusters and whole L2 tables, partial
 * and whole clusters, discard, zeroes with and without unmap), the image
 * stays clean for qemu-img check, the disk reads as written, and the
 * snapshot still gives back what it held.  Once with small caches, so
 * evictions happen in the middle of it all. */
static void
test_engine_copy_on_write(void)
{
  static const char *const caches[] = { NULL, "16384" };

  if (!need_qemu())
    return;
  for (guint c = 0; c < G_N_ELEMENTS(caches); c++) {
    char *dir = bt_tmpdir_new();
    g_autofree char *path = g_build_filename(dir, "cow.qcow2", NULL);
    gsize len, len2;
    const guint64 size = 16u << 20;

    g_test_message("caches: %s", caches[c] ? caches[c] : "default");
    /* 4 KiB clusters: 2 MiB per L2 table, so writes touch several tables. */
    g_assert_cmpint(bt_runv(NULL, NULL, bt_need_tool("qemu-img"), "create", "-q", "-f", "qcow2",
                            "-o", "cluster_size=4096", path, "16M", NULL), ==, 0);
    qemu_io(path, "write -P 0x11 0 6M");
    qemu_io(path, "write -P 0x12 9M 1M");
    qemu_io(path, "write -z 11M 256k");
    qemu_io(path, "write -P 0x13 12M 64k");
    qemu_io(path, "write -z 12M 64k");     /* zero clusters that keep their allocation */
    g_autofree guint8 *at_snap = content(dir, path, &len);
    g_assert_cmpuint(len, ==, size);
    g_assert_cmpint(gb_snapshot("-c", "base", path, NULL, NULL), ==, 0);

    /* The expected disk, changed as we change the image. */
    guint8 *expect = g_memdup2(at_snap, len);
    if (caches[c])
      g_setenv("GBBLOCK_CACHE_BYTES", caches[c], TRUE);
    char *error = NULL;
    BlockImage *img = block_open(path, BLOCK_FORMAT_QCOW2, false, &error);
    g_unsetenv("GBBLOCK_CACHE_BYTES");
    if (img == NULL)
      g_error("open: %s", error);
    g_autofree guint8 *buf = g_malloc(1u << 20);
    struct { guint64 off, len; guint8 pat; } writes[] = {
      { 100, 1000, 0xa1 },              /* partial cluster in a shared one */
      { 8192, 4096, 0xa2 },             /* one whole cluster */
      { (2u << 20) - 512, 8192, 0xa3 }, /* across two L2 tables */
      { 5u << 20, 1u << 20, 0xa4 },     /* a whole MiB */
      { 9u << 20, 3000, 0xa5 },
      { 14u << 20, 65536, 0xa6 },       /* where nothing was */
      { 100, 10, 0xa7 },                /* again, now in our own copy */
    };
    for (guint i = 0; i < G_N_ELEMENTS(writes); i++) {
      memset(buf, writes[i].pat, writes[i].len);
      g_assert_cmpint(block_pwrite(img, buf, writes[i].len, writes[i].off), ==, 0);
      memset(expect + writes[i].off, writes[i].pat, writes[i].len);
    }
    g_assert_cmpint(block_discard(img, 3u << 20, 1u << 20), ==, 0);
    memset(expect + (3u << 20), 0, 1u << 20);
    g_assert_cmpint(block_write_zeroes(img, 1u << 20, 64u << 10, false), ==, 0);
    memset(expect + (1u << 20), 0, 64u << 10);
    g_assert_cmpint(block_write_zeroes(img, 11u << 20, 8192, false), ==, 0);   /* preallocated zeroes, shared */
    memset(expect + (11u << 20), 0, 8192);
    memset(buf, 0xa8, 4096);
    g_assert_cmpint(block_pwrite(img, buf, 4096, 11u << 20), ==, 0);          /* then written */
    memset(expect + (11u << 20), 0xa8, 4096);
    memset(buf, 0xa9, 4096);
    g_assert_cmpint(block_pwrite(img, buf, 4096, (12u << 20) + 4096), ==, 0); /* a shared zero cluster */
    memset(expect + (12u << 20) + 4096, 0xa9, 4096);
    g_assert_cmpint(block_flush(img), ==, 0);
    block_close(img);

    assert_checks_clean(path);
    g_autofree guint8 *now = content(dir, path, &len2);
    bt_assert_same(expect, now, len);
    g_free(expect);
    /* The snapshot kept its disk. */
    g_assert_cmpint(gb_snapshot("-a", "base", path, NULL, NULL), ==, 0);
    assert_checks_clean(path);
    g_autofree guint8 *back = content(dir, path, &len2);
    bt_assert_same(at_snap, back, len);
    /* And deleting it leaves a plain, clean image. */
    g_assert_cmpint(gb_snapshot("-d", "base", path, NULL, NULL), ==, 0);
    assert_checks_clean(path);
    bt_tmpdir_free(dir);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  bt_init(&argc, &argv);
  g_test_add_func("/block/snapshot/create-apply-delete", test_create_apply_delete);
  g_test_add_func("/block/snapshot/interchange-with-qemu", test_interchange);
  g_test_add_func("/block/snapshot/errors", test_errors);
  g_test_add_func("/block/snapshot/backing-file", test_backing_file);
  g_test_add_func("/block/snapshot/engine-copy-on-write", test_engine_copy_on_write);
  return g_test_run();
}
