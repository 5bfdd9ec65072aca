/* test-qcow2-math.c — the small pure pieces of the qcow2 format: refcount
 * packing for every refcount width, L1 sizing, compressed descriptors. */
#include <glib.h>

#include "qcow2.h"

static void
test_refcount_widths(void)
{
  guint8 block[512];

  for (unsigned order = 0; order <= 6; order++) {
    guint64 entries = sizeof(block) * 8 >> order;
    guint64 max = qcow2_refcount_max(order);
    memset(block, 0, sizeof(block));
    /* Write a distinct value into each entry, then read them all back: a
     * packing mistake shows up as a neighbour being overwritten. */
    for (guint64 i = 0; i < entries; i++)
      qcow2_refcount_set(block, order, i, (i * 7 + 3) & max);
    for (guint64 i = 0; i < entries; i++)
      g_assert_cmpuint(qcow2_refcount_get(block, order, i), ==, (i * 7 + 3) & max);
    qcow2_refcount_set(block, order, 1, max);
    g_assert_cmpuint(qcow2_refcount_get(block, order, 1), ==, max);
    g_assert_cmpuint(qcow2_refcount_get(block, order, 0), ==, 3 & max);
    g_assert_cmpuint(qcow2_refcount_get(block, order, 2), ==, 17 & max);
  }
  g_assert_cmpuint(qcow2_refcount_max(0), ==, 1);
  g_assert_cmpuint(qcow2_refcount_max(4), ==, 65535);
  g_assert_cmpuint(qcow2_refcount_max(6), ==, G_MAXUINT64);
}

static void
test_refcount_layout(void)
{
  guint8 block[8] = { 0 };

  /* 16-bit refcounts are big-endian (the default QEMU writes). */
  qcow2_refcount_set(block, 4, 1, 0x0102);
  g_assert_cmpuint(block[2], ==, 0x01);
  g_assert_cmpuint(block[3], ==, 0x02);
  /* 1-bit refcounts fill each byte from its least significant bit. */
  memset(block, 0, sizeof(block));
  qcow2_refcount_set(block, 0, 0, 1);
  qcow2_refcount_set(block, 0, 9, 1);
  g_assert_cmpuint(block[0], ==, 0x01);
  g_assert_cmpuint(block[1], ==, 0x02);
}

static void
test_l1_entries(void)
{
  /* 64 KiB clusters: one L2 table maps 8192 * 64 KiB = 512 MiB. */
  g_assert_cmpuint(qcow2_l1_entries_for(0, 16), ==, 0);
  g_assert_cmpuint(qcow2_l1_entries_for(1, 16), ==, 1);
  g_assert_cmpuint(qcow2_l1_entries_for(512ull << 20, 16), ==, 1);
  g_assert_cmpuint(qcow2_l1_entries_for((512ull << 20) + 1, 16), ==, 2);
  g_assert_cmpuint(qcow2_l1_entries_for(1ull << 40, 16), ==, 2048);
  /* 512-byte clusters: one table maps 64 * 512 = 32 KiB. */
  g_assert_cmpuint(qcow2_l1_entries_for(1ull << 30, 9), ==, 32768);
  /* 2 MiB clusters: 262144 * 2 MiB = 512 GiB per table. */
  g_assert_cmpuint(qcow2_l1_entries_for(1ull << 40, 21), ==, 2);
}

static void
test_compressed_descriptor(void)
{
  guint64 off, bytes;
  /* 64 KiB clusters: x = 62 - 8 = 54; 3 additional sectors, host offset 0x12345. */
  guint64 entry = QCOW2_OFLAG_COMPRESSED | (3ull << 54) | 0x12345;
  qcow2_compressed_range(entry, 16, &off, &bytes);
  g_assert_cmpuint(off, ==, 0x12345);
  g_assert_cmpuint(bytes, ==, 4 * 512 - 0x145);
  /* 4 KiB clusters: x = 58. */
  entry = QCOW2_OFLAG_COMPRESSED | (0ull << 58) | 0x200;
  qcow2_compressed_range(entry, 12, &off, &bytes);
  g_assert_cmpuint(off, ==, 0x200);
  g_assert_cmpuint(bytes, ==, 512);
}

static void
test_big_endian(void)
{
  guint8 b[8];
  qcow2_put64(b, 0x0102030405060708ull);
  g_assert_cmpuint(b[0], ==, 1);
  g_assert_cmpuint(b[7], ==, 8);
  g_assert_cmpuint(qcow2_be64(b), ==, 0x0102030405060708ull);
  g_assert_cmpuint(qcow2_be32(b + 4), ==, 0x05060708u);
  g_assert_cmpuint(qcow2_be16(b + 2), ==, 0x0304u);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/qcow2/refcount/widths", test_refcount_widths);
  g_test_add_func("/qcow2/refcount/layout", test_refcount_layout);
  g_test_add_func("/qcow2/l1-entries", test_l1_entries);
  g_test_add_func("/qcow2/compressed-descriptor", test_compressed_descriptor);
  g_test_add_func("/qcow2/big-endian", test_big_endian);
  return g_test_run();
}
