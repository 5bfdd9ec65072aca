/* bench-block.c — glassbox-img bench against qemu-img bench, same
 * parameters, same machine, one run.  Prints both throughputs and the ratio
 * (glassbox / qemu: above 1 means we are faster).
 *
 * qemu-img bench has no random mode: it advances by a fixed step modulo the
 * image size.  A step of 4 KiB × an odd number, on an image whose size is a
 * power of two, visits the 4 KiB slots in a scattered order (a full-period
 * linear sequence), which is what "random 4 KiB I/O" means here. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#define TRIALS 5
#define RANDOM_STEP "1451307008"   /* 4096 * 354323, below qemu-img's 2^31 limit */

static const char *qemu_img, *glassbox_img, *qemu_io;

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

/* Runs "<tool> bench ARGS… FILE" and returns the seconds it reports. */
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
  if (!g_spawn_sync(NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error) ||
      !g_spawn_check_wait_status(status, NULL))
    g_error("%s bench failed: %s", tool, err ? err : error->message);
  const char *p = strstr(out, "Run completed in ");
  if (p == NULL)
    g_error("%s bench: unexpected output: %s", tool, out);
  return g_ascii_strtod(p + strlen("Run completed in "), NULL);
}

static void
fresh_image(const char *path, const char *size)
{
  g_unlink(path);
  const char *argv[] = { qemu_img, "create", "-q", "-f", "qcow2", path, size, NULL };
  run_or_die(argv);
}

typedef struct {
  const char *name;
  const char *args[16];
  guint64 count, size;
  gboolean fresh;            /* a new empty image before every run (allocating writes) */
} Case;

static void
run_case(const Case *c, const char *dir, const char *filled)
{
  double best[2] = { G_MAXDOUBLE, G_MAXDOUBLE };
  const char *tools[2] = { qemu_img, glassbox_img };
  g_autofree char *scratch = g_build_filename(dir, "fresh.qcow2", NULL);

  /* Alternate the tools so neither always runs on a warmer cache. */
  for (int t = 0; t < TRIALS; t++) {
    for (int k = 0; k < 2; k++) {
      const char *file = filled;
      if (c->fresh) {
        fresh_image(scratch, "4G");
        file = scratch;
      }
      double s = bench_once(tools[k], c->args, file);
      if (s < best[k])
        best[k] = s;
    }
  }
  double bytes = (double) c->count * (double) c->size;
  double q = bytes / best[0] / 1048576.0, g = bytes / best[1] / 1048576.0;
  printf("%-44s %9.1f MiB/s %8.0f IOPS | %9.1f MiB/s %8.0f IOPS | ratio %.2f\n", c->name,
         q, (double) c->count / best[0], g, (double) c->count / best[1], g / q);
  fflush(stdout);
}

int
main(int argc, char **argv)
{
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--glassbox-img") == 0)
      glassbox_img = argv[i + 1];
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

  static const Case cases[] = {
    { "4 KiB random writes, fresh image (alloc)", { "-w", "-t", "writeback", "-d", "64", "-c", "30000", "-s", "4k", "-S", RANDOM_STEP, NULL }, 30000, 4096, TRUE },
    { "4 KiB random reads", { "-t", "writeback", "-d", "64", "-c", "200000", "-s", "4k", "-S", RANDOM_STEP, NULL }, 200000, 4096, FALSE },
    { "64 KiB sequential reads", { "-t", "writeback", "-d", "64", "-c", "40000", "-s", "64k", NULL }, 40000, 65536, FALSE },
  };
  printf("qcow2, 64 KiB clusters, page cache (-t writeback), depth 64, best of %d runs each\n", TRIALS);
  printf("%-44s %-29s | %-29s |\n", "", "qemu-img bench", "glassbox-img bench");
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
    run_case(&cases[i], dir, filled);

  g_autofree char *scratch = g_build_filename(dir, "fresh.qcow2", NULL);
  g_unlink(scratch);
  g_unlink(filled);
  g_rmdir(dir);
  g_free(dir);
  return 0;
}
