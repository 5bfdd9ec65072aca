/* test-block-crash.c — crash consistency: a writer process using the
 * engine is killed with SIGKILL at a random moment; `qemu-img check` must
 * then find no corruption (leaked clusters are allowed), `glassbox-img
 * check -r leaks` must repair the leaks, and data flushed before the kill
 * must read back intact.
 *
 *   test-block-crash [--rounds N] --glassbox-img PATH
 *   test-block-crash --writer IMAGE SEED   (the process that gets killed)
 */
#include "block-test-util.h"

#include <glib/gstdio.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define STABLE_BYTES (1u << 20)
#define STABLE_BYTE  0xa5

static int rounds = 5;

typedef struct {
  BlockImage *img;
  guint32 seed;
  guint64 stable_bytes;
  guint64 align;           /* offsets and lengths: multiples of this */
  int failed;
} WriterJob;

/* Writes, zeroes, discards and flushes at random for a minute. */
static void *
writer_loop(void *data)
{
  WriterJob *j = data;
  guint8 *buf;
  if (posix_memalign((void **) &buf, 4096, 256 * 1024) != 0)
    return NULL;
  GRand *rand = g_rand_new_with_seed(j->seed);
  guint64 size = block_size(j->img);
  guint64 slots = (size - j->stable_bytes) / j->align;
  gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
  while (g_get_monotonic_time() < deadline) {
    guint64 off = j->stable_bytes + (guint64) g_rand_int_range(rand, 0, (gint32) slots) * j->align;
    guint64 len = (guint64) g_rand_int_range(rand, 1, (gint32) (256 * 1024 / j->align)) * j->align;
    if (off + len > size)
      len = size - off;
    int kind = g_rand_int_range(rand, 0, 20);
    int ret;
    if (kind < 15) {
      memset(buf, g_rand_int_range(rand, 0, 256), len);
      ret = block_pwrite(j->img, buf, len, off);
    } else if (kind < 17) {
      ret = block_write_zeroes(j->img, off, len, kind == 16);
    } else if (kind < 19) {
      ret = block_discard(j->img, off, len);
    } else {
      ret = block_flush(j->img);
    }
    if (ret != 0) {
      fprintf(stderr, "writer: request failed: %d\n", ret);
      j->failed = 1;
      break;
    }
  }
  g_rand_free(rand);
  free(buf);
  return NULL;
}

/* The writer: fill the stable region, flush, tell the parent, then write,
 * zero, discard and flush at random until killed (or until the engine's
 * fault injection stops it).  With GB_TEST_WRITER_THREADS=N it opens the
 * image with O_DIRECT and N threads send 4 KiB-aligned requests at once, so
 * that concurrent allocations into the same new clusters are killed too. */
static int
run_writer(const char *path, guint32 seed, guint64 stable_bytes)
{
  char *error = NULL;
  const char *env = g_getenv("GB_TEST_WRITER_THREADS");
  int nthreads = env ? CLAMP(atoi(env), 1, 16) : 1;
  BlockImage *img = block_open_flags(path, BLOCK_FORMAT_QCOW2, env ? BLOCK_OPEN_DIRECT : 0, &error);
  if (img == NULL) {
    fprintf(stderr, "writer: %s\n", error);
    return 1;
  }
  guint8 *buf;
  if (posix_memalign((void **) &buf, 4096, 256 * 1024) != 0)
    return 1;
  memset(buf, STABLE_BYTE, 256 * 1024);
  for (guint64 off = 0; off < stable_bytes; off += 256 * 1024)
    if (block_pwrite(img, buf, MIN(256 * 1024, stable_bytes - off), off) != 0)
      return 1;
  if (block_flush(img) != 0)
    return 1;
  if (write(STDOUT_FILENO, "R", 1) != 1)
    return 1;

  WriterJob jobs[16];
  pthread_t th[16];
  for (int i = 0; i < nthreads; i++) {
    jobs[i] = (WriterJob) { img, seed + (guint32) i, stable_bytes, env ? 4096 : 512, 0 };
    if (nthreads == 1)
      writer_loop(&jobs[i]);
    else
      pthread_create(&th[i], NULL, writer_loop, &jobs[i]);
  }
  int failed = 0;
  for (int i = 0; i < nthreads; i++) {
    if (nthreads > 1)
      pthread_join(th[i], NULL);
    failed |= jobs[i].failed;
  }
  return failed;   /* not reached in a test: the parent kills us first */
}

static void
test_crash_rounds(void)
{
  static const guint32 clusters[] = { 512, 4096, 65536 };
  const char *qi = bt_need_tool("qemu-img"), *qio = bt_need_tool("qemu-io"), *gi = bt_glassbox_img();
  if (qi == NULL || qio == NULL || gi == NULL)
    return;

  char *dir = bt_tmpdir_new();
  g_autofree char *path = g_build_filename(dir, "crash.qcow2", NULL);
  g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
  GRand *rand = g_rand_new_with_seed(4242);
  guint total_leaks_rounds = 0;

  for (int r = 0; r < rounds; r++) {
    char *error = NULL;
    guint32 cs = clusters[r % G_N_ELEMENTS(clusters)];
    BlockCreateOptions o = { .format = BLOCK_FORMAT_QCOW2, .size = 256u << 20, .cluster_size = cs };
    g_unlink(path);
    g_assert_cmpint(block_create(path, &o, &error), ==, 0);

    g_autofree char *seed = g_strdup_printf("%u", (guint) r * 7919u + 1);
    /* Every other set of three rounds (one per cluster size) runs the
     * writer with tiny caches, so evictions force metadata flushes in the
     * middle of requests too. */
    gboolean tiny = (r / 3) % 2 == 1;
    /* Odd rounds: four threads with O_DIRECT (see run_writer()). */
    gboolean threads = r % 2 == 1;
    g_autofree char *stable = g_strdup_printf("%u", STABLE_BYTES);
    const char *argv[] = { self, "--writer", path, seed, stable, NULL };
    GPid pid;
    int out_fd;
    g_autoptr(GError) gerr = NULL;
    g_auto(GStrv) envp = tiny ? g_environ_setenv(g_get_environ(), "GBBLOCK_CACHE_BYTES", "4096", TRUE) : g_get_environ();
    if (threads)
      envp = g_environ_setenv(envp, "GB_TEST_WRITER_THREADS", "4", TRUE);
    g_assert_true(g_spawn_async_with_pipes(NULL, (char **) argv, envp, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                           &pid, NULL, &out_fd, NULL, &gerr));
    char ready = 0;
    g_assert_cmpint(read(out_fd, &ready, 1), ==, 1);
    g_assert_cmpint(ready, ==, 'R');
    /* Kill at a random moment: anywhere from right away to 300 ms in. */
    g_usleep((gulong) g_rand_int_range(rand, 0, 300) * 1000);
    g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
    int status;
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    close(out_fd);
    g_spawn_close_pid(pid);

    g_autofree char *out = NULL, *err = NULL;
    int st = bt_runv(&out, &err, qi, "check", path, NULL);
    g_test_message("round %d (cluster %u%s%s): qemu-img check exit %d", r, cs, tiny ? ", tiny caches" : "",
                   threads ? ", 4 threads, O_DIRECT" : "", st);
    if (st != 0 && st != 3)
      g_error("round %d: qemu-img check found corruption (exit %d):\n%s%s", r, st, out, err);
    if (st == 3)
      total_leaks_rounds++;
    /* Our check agrees, and repairs the leaks.  It may find more leaks
     * than qemu-img: counted clusters past the end of the file (allocated,
     * then killed before the data extended the file), which qemu-img does
     * not look at. */
    int ours = bt_runv(NULL, NULL, gi, "check", path, NULL);
    if (st == 3)
      g_assert_cmpint(ours, ==, 3);
    else
      g_assert_true(ours == 0 || ours == 3);
    g_assert_cmpint(bt_runv(NULL, NULL, gi, "check", "-q", "-r", "leaks", path, NULL), ==, 0);
    g_clear_pointer(&out, g_free);
    st = bt_runv(&out, NULL, qi, "check", path, NULL);
    if (st != 0)
      g_error("round %d: after repair qemu-img check exits %d:\n%s", r, st, out);
    /* What was flushed before the kill is intact. */
    g_autofree char *cmd = g_strdup_printf("read -q -P 0x%02x 0 %u", STABLE_BYTE, STABLE_BYTES);
    g_assert_cmpint(bt_runv(NULL, NULL, qio, "-c", cmd, path, NULL), ==, 0);
  }
  g_test_message("%u of %d rounds left leaked clusters (allowed; repaired)", total_leaks_rounds, rounds);
  g_rand_free(rand);
  bt_tmpdir_free(dir);
}

/* Stops the writer at its 1st, 2nd, ... write to the image file (the
 * engine's fault injection), so every point of the flush ordering is hit,
 * not only the ones a random SIGKILL happens to land on.  After each stop:
 * no corruption, and the data flushed before it reads back. */
static void
test_crash_every_write(void)
{
  static const struct { guint32 cluster; const char *cache; } configs[] = {
    { 65536, NULL }, { 512, "4096" }, { 4096, "8192" },
  };
  const char *qi = bt_need_tool("qemu-img"), *qio = bt_need_tool("qemu-io"), *gi = bt_glassbox_img();
  if (qi == NULL || qio == NULL || gi == NULL)
    return;

  char *dir = bt_tmpdir_new();
  g_autofree char *path = g_build_filename(dir, "fault.qcow2", NULL);
  g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
  const guint64 stable = 32768;
  /* The default suite takes every 7th write point of the first 420; --rounds
   * 60 (suite slow) takes every one. */
  int step = rounds >= 50 ? 1 : 7, last = 420;
  guint points = 0, ready_points = 0;

  for (guint c = 0; c < G_N_ELEMENTS(configs); c++) {
    for (int n = 1 + (int) c; n <= last; n += step) {
      char *error = NULL;
      BlockCreateOptions o = { .format = BLOCK_FORMAT_QCOW2, .size = 64u << 20, .cluster_size = configs[c].cluster };
      g_unlink(path);
      g_assert_cmpint(block_create(path, &o, &error), ==, 0);

      g_autofree char *nstr = g_strdup_printf("%d", n);
      g_autofree char *sstr = g_strdup_printf("%" G_GUINT64_FORMAT, stable);
      g_auto(GStrv) envp = g_environ_setenv(g_get_environ(), "GBBLOCK_FAULT_AFTER_WRITES", nstr, TRUE);
      if (configs[c].cache)
        envp = g_environ_setenv(envp, "GBBLOCK_CACHE_BYTES", configs[c].cache, TRUE);
      const char *argv[] = { self, "--writer", path, "77", sstr, NULL };
      g_autofree char *out = NULL;
      int status;
      g_autoptr(GError) gerr = NULL;
      g_assert_true(g_spawn_sync(NULL, (char **) argv, envp, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &gerr));
      g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 99);   /* stopped by the fault, not by an error */
      gboolean ready = out != NULL && strchr(out, 'R') != NULL;

      g_autofree char *cout = NULL;
      int st = bt_runv(&cout, NULL, qi, "check", path, NULL);
      if (st != 0 && st != 3)
        g_error("cluster %u, stopped before write %d: qemu-img check exit %d:\n%s", configs[c].cluster, n, st, cout);
      g_assert_cmpint(bt_runv(NULL, NULL, gi, "check", "-q", "-r", "leaks", path, NULL), ==, 0);
      if (ready) {
        g_autofree char *cmd = g_strdup_printf("read -q -P 0x%02x 0 %" G_GUINT64_FORMAT, STABLE_BYTE, stable);
        g_assert_cmpint(bt_runv(NULL, NULL, qio, "-c", cmd, path, NULL), ==, 0);
        ready_points++;
      }
      points++;
    }
  }
  g_test_message("%u stop points checked, %u after the first flush", points, ready_points);
  g_assert_cmpuint(ready_points, >, points / 2);   /* most stops land in the random phase */
  bt_tmpdir_free(dir);
}

int
main(int argc, char **argv)
{
  if (argc == 5 && strcmp(argv[1], "--writer") == 0)
    return run_writer(argv[2], (guint32) strtoul(argv[3], NULL, 10), g_ascii_strtoull(argv[4], NULL, 10));

  g_test_init(&argc, &argv, NULL);
  bt_init(&argc, &argv);
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--rounds") == 0)
      rounds = atoi(argv[i + 1]);
  g_test_add_func("/block/crash/sigkill", test_crash_rounds);
  g_test_add_func("/block/crash/every-write", test_crash_every_write);
  return g_test_run();
}
