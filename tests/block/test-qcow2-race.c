/* test-qcow2-race.c — discard against a write in flight (qcow2 engine).
 *
 * A write into a cluster the guest already owns goes to the file outside
 * the engine's lock.  If a discard of that cluster, a flush (which frees
 * it) and a new allocation (which takes the first free cluster) all happen
 * in that window, the late write lands in a cluster that now holds another
 * guest offset: that offset reads back bytes it was never written.
 *
 * Three threads, for a few seconds: one overwrites guest cluster 0 with 'A'
 * bytes; one discards it and flushes; one discards and rewrites clusters
 * 1..15 with its own pattern and reads each back at once.  Every read must
 * return what was written there.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "block.h"
#include "block-test-util.h"

#define CLUSTER 4096
#define NCLUSTERS 16

static __thread gboolean slow_writes;

ssize_t pwritev (int fd, const struct iovec *iov, int iovcnt, off_t offset);

ssize_t
pwritev (int                 fd,
         const struct iovec *iov,
         int                 iovcnt,
         off_t               offset)
{
  if (slow_writes)
    g_usleep (2000);
  return syscall (SYS_pwritev, fd, iov, iovcnt, (long) offset, (long) ((guint64) offset >> 32));
}

typedef struct {
  BlockImage *img;
  gint stop;
  gint corrupt;
  gint64 writes, discards, checks;
  guint8 seen;
} Race;

static gpointer
overwriter (gpointer data)
{
  Race *r = data;
  guint8 buf[CLUSTER];

  memset (buf, 'A', sizeof buf);
  slow_writes = TRUE;
  while (!g_atomic_int_get (&r->stop))
    {
      g_assert_cmpint (block_pwrite (r->img, buf, sizeof buf, 0), ==, 0);
      r->writes++;
    }
  return NULL;
}

static gpointer
discarder (gpointer data)
{
  Race *r = data;

  while (!g_atomic_int_get (&r->stop))
    {
      g_assert_cmpint (block_discard (r->img, 0, CLUSTER), ==, 0);
      g_assert_cmpint (block_flush (r->img), ==, 0);
      r->discards++;
    }
  return NULL;
}

static gpointer
checker (gpointer data)
{
  Race *r = data;
  guint8 buf[CLUSTER], back[CLUSTER];
  guint round = 0;

  while (!g_atomic_int_get (&r->stop) && !g_atomic_int_get (&r->corrupt))
    {
      for (guint k = 1; k < NCLUSTERS; k++)
        {
          memset (buf, (int) ('a' + (k + round) % 26), sizeof buf);
          g_assert_cmpint (block_discard (r->img, (guint64) k * CLUSTER, CLUSTER), ==, 0);
          g_assert_cmpint (block_flush (r->img), ==, 0);
          g_assert_cmpint (block_pwrite (r->img, buf, sizeof buf, (guint64) k * CLUSTER), ==, 0);
          g_assert_cmpint (block_pread (r->img, back, sizeof back, (guint64) k * CLUSTER), ==, 0);
          r->checks++;
          if (memcmp (buf, back, sizeof buf) != 0)
            {
              r->seen = back[0] != buf[0] ? back[0] : back[CLUSTER - 1];
              g_atomic_int_set (&r->corrupt, 1);
              break;
            }
        }
      round++;
    }
  return NULL;
}

static void
test_discard_vs_write (void)
{
  char *dir = bt_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "race.qcow2", NULL);
  BlockCreateOptions opts = { .format = BLOCK_FORMAT_QCOW2, .size = NCLUSTERS * CLUSTER,
                              .cluster_size = CLUSTER };
  char *error = NULL;
  Race r = { 0 };
  GThread *t[3];
  BlockCheckResult check;

  g_assert_cmpint (block_create (path, &opts, &error), ==, 0);
  r.img = block_open (path, BLOCK_FORMAT_QCOW2, false, &error);
  g_assert_nonnull (r.img);

  t[0] = g_thread_new ("overwrite", overwriter, &r);
  t[1] = g_thread_new ("discard", discarder, &r);
  t[2] = g_thread_new ("check", checker, &r);
  for (int i = 0; i < 100 && !g_atomic_int_get (&r.corrupt); i++)
    g_usleep (50000);   /* 5 s at most */
  g_atomic_int_set (&r.stop, 1);
  for (int i = 0; i < 3; i++)
    g_thread_join (t[i]);

  g_test_message ("%" G_GINT64_FORMAT " overwrites, %" G_GINT64_FORMAT " discards, %" G_GINT64_FORMAT " checks",
                  r.writes, r.discards, r.checks);
  if (r.corrupt)
    g_test_fail_printf ("a cluster read back '%c' bytes it was never written (a late write into a freed "
                        "and reused cluster)", r.seen);

  g_assert_cmpint (block_flush (r.img), ==, 0);
  g_assert_cmpint (block_check (r.img, 0, &check, &error), ==, 0);
  g_assert_cmpint (check.corruptions, ==, 0);
  block_close (r.img);
  bt_tmpdir_free (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/qcow2/race/discard-vs-write", test_discard_vs_write);
  return g_test_run ();
}
