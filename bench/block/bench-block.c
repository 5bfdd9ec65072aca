/* bench-block.c — glassbox-img bench against qemu-img bench: same
 * arguments, same machine, same run.
 *
 * What is timed: the wall time of each whole `bench` process — opening the
 * image, all the requests, the final flush and close — as a user running the
 * command would see it.  The image is created (writes: a fresh empty one
 * before every run) outside the timing.  Each case runs N times per tool,
 * the tools alternating so that neither always finds a warmer cache, and
 * the median with min–max is printed, then the ratio of the medians
 * (qemu-img time / glassbox-img time: above 1 means Glassbox is faster).
 *
 * Parallelism: both tools get the same -d, the number of requests in
 * flight.  qemu-img issues them from one thread and its thread pool
 * (aio=threads, up to 64 threads) makes the system calls; glassbox-img runs
 * that many threads, each with one synchronous request.  The line
 * glassbox-img prints about it is quoted in the output.
 *
 * Access patterns: qemu-img bench has no random mode; it advances by a fixed
 * step modulo the image size.  A step of 4 KiB × an odd number, on an image
 * whose size is a power of two, visits the 4 KiB slots in a scattered order
 * (a full-period sequence): "scattered" below.
 *
 *   bench-block --glassbox-img PATH [--runs N]
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEPTH        "16"
#define SCATTER_STEP "1451307008"   /* 4096 * 354323, below qemu-img's 2^31 limit */

static const char *qemu_img, *glassbox_img, *qemu_io;
static int runs = 5;
static char *glassbox_threads;      /* what glassbox-img said about its threads */

static void
run_or_die(const char *const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  int status;
  if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error) ||
      !g_spawn_check_wait_status(status, NULL))
    g_error("%s %s failed: %s%s", argv[0], argv[1], error ? error->message : "", err ? err : "");
}

static char *
loadavg(void)
{
  g_autofree char *s = NULL;
  if (!g_file_get_contents("/proc/loadavg", &s, NULL, NULL))
    return g_strdup("?");
  char **f = g_strsplit(s, " ", 4);
  char *out = g_strdup_printf("%s %s %s", f[0], f[1] ? f[1] : "", f[1] && f[2] ? f[2] : "");
  g_strfreev(f);
  return out;
}

/* Runs "<tool> bench ARGS… FILE" and returns its wall time in seconds. */
static double
bench_once(const char *tool, const char *const *args, const char *file)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  g_ptr_array_add(argv, (gpointer) tool);
  g_ptr_array_add(argv, "bench");
  for (int i = 0; args[i]; i++)
    g_ptr_array_add(argv, (gpointer) args[i]);
  g_ptr_array_add(argv, (gpointer) file);
  g_ptr_array_add(argv, NULL);
  gint64 t0 = g_get_monotonic_time();
  if (!g_spawn_sync(NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error) ||
      !g_spawn_check_wait_status(status, NULL))
    g_error("%s bench failed: %s", tool, err ? err : error->message);
  gint64 t1 = g_get_monotonic_time();
  if (strstr(out, "Run completed in ") == NULL)
    g_error("%s bench: unexpected output: %s", tool, out);
  const char *p = strstr(out, "Requests served by ");
  if (p != NULL && glassbox_threads == NULL)
    glassbox_threads = g_strndup(p, strcspn(p, "\n"));
  return (double) (t1 - t0) / 1e6;
}

static void
fresh_image(const char *path, const char *size)
{
  g_unlink(path);
  const char *argv[] = { qemu_img, "create", "-q", "-f", "qcow2", path, size, NULL };
  run_or_die(argv);
}

static int
cmp_double(const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
  qsort(v, (size_t) n, sizeof(double), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef struct {
  const char *name;
  const char *args[16];
  gboolean write;            /* a fresh empty 4 GiB image before every run (allocating writes) */
} Case;

static void
run_case(const Case *c, const char *dir, const char *filled)
{
  const char *tools[2] = { qemu_img, glassbox_img };
  g_autofree char *scratch = g_build_filename(dir, "fresh.qcow2", NULL);
  double *t[2] = { g_new(double, runs), g_new(double, runs) };

  for (int r = 0; r < runs; r++) {
    for (int k = 0; k < 2; k++) {
      /* Alternate which tool goes first, too. */
      int tool = (k + r) % 2;
      const char *file = filled;
      if (c->write) {
        fresh_image(scratch, "4G");
        file = scratch;
      }
      t[tool][r] = bench_once(tools[tool], c->args, file);
    }
  }
  double mq = median(t[0], runs), mg = median(t[1], runs);
  g_autofree char *la = loadavg();
  printf("%-36s %7.2f (%5.2f–%5.2f) %7.2f (%5.2f–%5.2f)  %5.2f×   %s\n", c->name,
         mq, t[0][0], t[0][runs - 1], mg, t[1][0], t[1][runs - 1], mq / mg, la);
  fflush(stdout);
  g_free(t[0]);
  g_free(t[1]);
}

int
main(int argc, char **argv)
{
  for (int i = 1; i + 1 < argc; i++) {
    if (strcmp(argv[i], "--glassbox-img") == 0)
      glassbox_img = argv[i + 1];
    else if (strcmp(argv[i], "--runs") == 0)
      runs = MAX(1, atoi(argv[i + 1]));
  }
  qemu_img = g_find_program_in_path("qemu-img");
  qemu_io = g_find_program_in_path("qemu-io");
  if (glassbox_img == NULL || qemu_img == NULL || qemu_io == NULL) {
    printf("SKIP: needs --glassbox-img PATH and qemu-img/qemu-io in PATH (Debian qemu-utils)\n");
    return 77;
  }
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp("gbblock-bench-XXXXXX", &error);
  g_assert_no_error(error);
  g_autofree char *filled = g_build_filename(dir, "filled.qcow2", NULL);

  /* The read cases read a 1 GiB image whose every cluster holds data. */
  fresh_image(filled, "1G");
  const char *fill[] = { qemu_io, "-c", "write -q -P 0x5a 0 1G", filled, NULL };
  run_or_die(fill);
  /* Let the 1 GiB reach the disk now, so write-back does not run during
   * the read cases, and pull it into the page cache once. */
  int fd = open(filled, O_RDONLY);
  g_assert_cmpint(fd, >=, 0);
  fsync(fd);
  static char chunk[1 << 20];
  while (read(fd, chunk, sizeof(chunk)) > 0)
    ;
  close(fd);

#define W(cache, n, step) { "-w", "-t", cache, "-d", DEPTH, "-c", n, "-s", "4096", "-S", step, NULL }
#define R(cache, n, step) { "-t", cache, "-d", DEPTH, "-c", n, "-s", "4096", "-S", step, NULL }
  static const Case cases[] = {
    { "write alloc, sequential,  none",      W("none", "50000", "4096"), TRUE },
    { "write alloc, scattered,   none",      W("none", "20000", SCATTER_STEP), TRUE },
    { "read,        sequential,  none",      R("none", "100000", "4096"), FALSE },
    { "read,        scattered,   none",      R("none", "50000", SCATTER_STEP), FALSE },
    { "write alloc, sequential,  writeback", W("writeback", "50000", "4096"), TRUE },
    { "write alloc, scattered,   writeback", W("writeback", "20000", SCATTER_STEP), TRUE },
    { "read,        sequential,  writeback", R("writeback", "200000", "4096"), FALSE },
    { "read,        scattered,   writeback", R("writeback", "200000", SCATTER_STEP), FALSE },
  };

  char date[64];
  time_t now = time(NULL);
  strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime(&now));
  g_autofree char *la = loadavg();
  printf("qemu-img bench vs glassbox-img bench, qcow2 with 64 KiB clusters, 4 KiB requests\n");
  printf("%s, %ld CPUs, load average at start %s\n", date, sysconf(_SC_NPROCESSORS_ONLN), la);
  printf("Seconds of wall time per whole process (open, requests, final flush and close;\n"
         "image creation not timed): median (min–max) of %d runs per tool, alternating.\n", runs);
  printf("Writes go to a fresh empty 4 GiB image (every write allocates); reads read a\n"
         "1 GiB image full of data.  Cache: none = O_DIRECT, writeback = page cache.\n");
  printf("Both get -d %s: qemu-img issues the requests from one thread, its thread pool\n"
         "(aio=threads) makes the system calls; glassbox-img runs one synchronous request\n"
         "per thread.  Ratio: qemu-img time / glassbox-img time (above 1: Glassbox faster).\n", DEPTH);
  printf("Commands: TOOL bench ARGS FILE, ARGS per case:\n");
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *a = g_strjoinv(" ", (char **) cases[i].args);
    printf("  %-36s %s\n", cases[i].name, a);
  }
  printf("\n%-36s %-21s %-21s %-8s %s\n", "", "qemu-img s", "glassbox-img s", "ratio", "load after");
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
    run_case(&cases[i], dir, filled);
  printf("glassbox-img: %s\n", glassbox_threads ? glassbox_threads : "(did not say how many threads)");

  g_autofree char *scratch = g_build_filename(dir, "fresh.qcow2", NULL);
  g_unlink(scratch);
  g_unlink(filled);
  g_rmdir(dir);
  g_free(dir);
  g_free(glassbox_threads);
  return 0;
}
