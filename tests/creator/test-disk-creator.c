/* test-disk-creator.c — what the New Disk dialog makes
 *
 * A qcow2 image in a folder that qemu-img accepts, with the size asked for;
 * a linked clone that names its backing file; full preallocation that really
 * allocates; Stop that leaves nothing behind; and an existing file that is
 * never overwritten.  Pools are exercised on test:///default.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "creator-test-util.h"
#include "gb-disk-creator-libvirt.h"
#include "gb-libvirt-autoptr.h"
#include "gb-test-libvirt.h"
#include "gb-test-utils.h"

static char *tmpdir;
static GbProvider *provider;
static GVirConnection *conn;

static char *
create_in_folder (const GbDiskSpec  *spec,
                  GCancellable      *cancellable,
                  GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  gb_disk_create_in_folder_async (conn, tmpdir, spec, NULL, NULL, cancellable, gb_test_store_result, &result);
  gb_test_wait_result (&result);
  return gb_disk_create_finish (result, error);
}

static char *
qemu_img (const char *what,
          const char *path,
          int        *status)
{
  const char *argv[] = { "qemu-img", what, "--output=json", path, NULL };
  char *out = NULL;

  *status = gb_test_run (argv, &out, NULL);
  return out;
}

static void
test_folder_qcow2 (void)
{
  g_autoptr(GbDiskSpec) spec = gb_disk_spec_new ();
  g_autoptr(GbDiskSpec) clone = gb_disk_spec_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *clone_path = NULL;
  g_autofree char *info = NULL;
  g_autofree char *check = NULL;
  int status;

  if (!gb_disk_can_create_in_folder (provider))
    {
      g_test_skip ("neither the block engine nor a local QEMU connection");
      return;
    }

  spec->name = g_strdup ("base.qcow2");
  spec->capacity = (guint64) 3 << 30;
  path = create_in_folder (spec, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));

  if (!gb_test_have_program ("qemu-img"))
    {
      g_test_skip ("qemu-img (package qemu-utils) is not installed: the image is not cross-checked");
      return;
    }
  info = qemu_img ("info", path, &status);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (info, "\"format\": \"qcow2\""));
  g_assert_nonnull (strstr (info, "\"virtual-size\": 3221225472"));
  check = qemu_img ("check", path, &status);
  g_assert_cmpint (status, ==, 0);

  /* A linked clone stores only changes and names its base. */
  clone->name = g_strdup ("clone.qcow2");
  clone->capacity = (guint64) 3 << 30;
  clone->backing_path = g_strdup (path);
  clone->backing_format = GB_DISK_FORMAT_QCOW2;
  clone_path = create_in_folder (clone, NULL, &error);
  g_assert_no_error (error);
  g_free (info);
  info = qemu_img ("info", clone_path, &status);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (info, "base.qcow2"));
  g_free (check);
  check = qemu_img ("check", clone_path, &status);
  g_assert_cmpint (status, ==, 0);
}

static void
test_folder_never_overwrites (void)
{
  g_autoptr(GbDiskSpec) spec = gb_disk_spec_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *existing = g_build_filename (tmpdir, "precious.img", NULL);
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;

  if (!gb_disk_can_create_in_folder (provider))
    {
      g_test_skip ("neither the block engine nor a local QEMU connection");
      return;
    }
  g_assert_true (g_file_set_contents (existing, "my data", -1, NULL));
  spec->name = g_strdup ("precious.img");
  spec->format = GB_DISK_FORMAT_RAW;
  spec->capacity = (guint64) 1 << 30;
  path = create_in_folder (spec, NULL, &error);
  g_assert_null (path);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_assert_true (g_file_get_contents (existing, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "my data");
}

static void
test_folder_full_prealloc_and_stop (void)
{
  g_autoptr(GbDiskSpec) spec = gb_disk_spec_new ();
  g_autoptr(GbDiskSpec) stopped = gb_disk_spec_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *stopped_path = g_build_filename (tmpdir, "stopped.raw", NULL);
  struct stat st;

  if (!gb_disk_can_create_in_folder (provider))
    {
      g_test_skip ("neither the block engine nor a local QEMU connection");
      return;
    }

  /* Full preallocation: the blocks are really there. */
  spec->name = g_strdup ("full.raw");
  spec->format = GB_DISK_FORMAT_RAW;
  spec->prealloc = GB_DISK_PREALLOC_FULL;
  spec->capacity = (guint64) 32 << 20;
  path = create_in_folder (spec, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, (off_t) spec->capacity);
  g_assert_cmpint ((guint64) st.st_blocks * 512, >=, spec->capacity);

  /* Stop: nothing is left behind. */
  stopped->name = g_strdup ("stopped.raw");
  stopped->format = GB_DISK_FORMAT_RAW;
  stopped->prealloc = GB_DISK_PREALLOC_FULL;
  stopped->capacity = (guint64) 512 << 20;
  g_cancellable_cancel (cancellable);
  g_assert_null (create_in_folder (stopped, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (g_file_test (stopped_path, G_FILE_TEST_EXISTS));
}

typedef struct {
  GCancellable *cancellable;
  double        at;        /* the fraction written when Stop was pressed */
  guint         reports;
} StopHalfway;

static void
stop_halfway_progress (double   fraction,
                       gpointer data)
{
  StopHalfway *stop = data;

  stop->reports++;
  if (fraction > 0 && fraction < 1 && !g_cancellable_is_cancelled (stop->cancellable))
    {
      stop->at = fraction;
      g_cancellable_cancel (stop->cancellable);
    }
}

/* Stop while the blocks are being written (the New Disk dialog's Stop):
 * the half-written file goes, and the result says "cancelled". */
static void
test_folder_stop_mid_write (void)
{
  g_autoptr(GbDiskSpec) spec = gb_disk_spec_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (tmpdir, "halfway.raw", NULL);
  g_autofree char *made = NULL;
  StopHalfway stop = { cancellable, 0, 0 };

  if (!gb_disk_can_create_in_folder (provider))
    {
      g_test_skip ("neither the block engine nor a local QEMU connection");
      return;
    }

  /* Big enough that writing it takes several progress reports (200 ms). */
  spec->name = g_strdup ("halfway.raw");
  spec->format = GB_DISK_FORMAT_RAW;
  spec->prealloc = GB_DISK_PREALLOC_FULL;
  spec->capacity = (guint64) 2 << 30;
  gb_disk_create_in_folder_async (conn, tmpdir, spec, stop_halfway_progress, &stop, cancellable,
                                  gb_test_store_result, &result);
  gb_test_wait_result (&result);
  made = gb_disk_create_finish (result, &error);
  g_test_message ("stopped at %.0f %% after %u progress reports", stop.at * 100, stop.reports);

  g_assert_cmpfloat (stop.at, >, 0);
  g_assert_null (made);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* The pool API path, on the test driver's "default-pool". */
static void
test_pool_volume (void)
{
  g_autoptr(GVirStoragePool) pool = NULL;
  g_autoptr(GbDiskSpec) spec = gb_disk_spec_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  g_assert_true (gvir_connection_fetch_storage_pools (conn, NULL, NULL));
  pool = gvir_connection_find_storage_pool_by_name (conn, "default-pool");
  g_assert_nonnull (pool);

  spec->name = g_strdup ("pooled.qcow2");
  spec->capacity = (guint64) 5 << 30;
  gb_disk_create_in_pool_async (pool, spec, NULL, NULL, NULL, gb_test_store_result, &result);
  gb_test_wait_result (&result);
  path = gb_disk_create_finish (result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (path, ==, "/default-pool/pooled.qcow2");

  /* The same name again is refused, not replaced. */
  gb_disk_create_in_pool_async (pool, spec, NULL, NULL, NULL, gb_test_store_result, &again);
  gb_test_wait_result (&again);
  g_assert_null (gb_disk_create_finish (again, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  tmpdir = gb_test_tmpdir_new ("gb-disk-XXXXXX");
  gb_test_libvirt_init ();
  provider = creator_test_libvirt_provider ("test:///default");
  conn = creator_test_connection (provider);

  g_test_add_func ("/disk-creator/folder/qcow2-and-clone", test_folder_qcow2);
  g_test_add_func ("/disk-creator/folder/never-overwrites", test_folder_never_overwrites);
  g_test_add_func ("/disk-creator/folder/full-prealloc-and-stop", test_folder_full_prealloc_and_stop);
  g_test_add_func ("/disk-creator/folder/stop-mid-write", test_folder_stop_mid_write);
  g_test_add_func ("/disk-creator/pool/volume", test_pool_volume);

  ret = g_test_run ();
  gb_test_tmpdir_remove (tmpdir);
  g_object_unref (provider);
  return ret;
}
