/* test-storage.c — storage pools and volumes through libvirt's real storage driver
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A private libvirtd (run as "nobody", session mode, everything under a
 * temporary folder, as test-reconnect does) serves storage:///session: a
 * folder pool is created, volumes are made (qcow2 with a backing file, raw),
 * resized, uploaded and downloaded through libvirt streams, and deleted.
 * "In use" needs machines beside volumes: that part runs on test:///default,
 * whose domains and pools live in the same driver.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <libvirt/virterror.h>
#include <signal.h>

#include "gb-storage.h"
#include "gb-test-utils.h"

#define MiB (1024 * 1024)

static GbStorageVolumeInfo *
find_volume (GPtrArray  *vols,
             const char *name)
{
  for (guint i = 0; vols && i < vols->len; i++)
    {
      GbStorageVolumeInfo *info = g_ptr_array_index (vols, i);

      if (g_str_equal (info->name, name))
        return info;
    }
  return NULL;
}

static GbStoragePoolInfo *
find_pool (GPtrArray  *pools,
           const char *name)
{
  for (guint i = 0; pools && i < pools->len; i++)
    {
      GbStoragePoolInfo *info = g_ptr_array_index (pools, i);

      if (g_str_equal (info->name, name))
        return info;
    }
  return NULL;
}

static char *
checksum_file (const char *path)
{
  g_autofree char *data = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, len);
}

static void
test_storage_daemon (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *pool_dir = NULL;
  g_autofree char *sock = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *upload_path = NULL;
  g_autofree char *download_path = NULL;
  g_autofree char *sum_up = NULL;
  g_autofree char *sum_down = NULL;
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(GPtrArray) pools = NULL;
  g_autoptr(GPtrArray) vols = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) bytes = NULL;
  g_auto(GStrv) types = NULL;
  GbStorageVolumeInfo *vol;
  GbStoragePoolInfo *pool;
  virConnectPtr conn;
  guint64 total = 0;
  gsize done = 0;

  if (!gb_test_skip_without_private_libvirtd ())
    return;

  dir = gb_test_private_libvirtd_dir ("gb-storage-XXXXXX");
  pool_dir = g_build_filename (dir, "pool", NULL);
  g_assert_cmpint (chmod (dir, 0755), ==, 0);
  sock = gb_test_private_libvirtd_socket (dir);
  /* The storage driver alone: no QEMU capability probe. */
  uri = g_strdup_printf ("storage+unix:///session?socket=%s", sock);
  daemon = gb_test_private_libvirtd_start (dir, NULL);

  conn = virConnectOpen (uri);
  g_assert_nonnull (conn);

  /* The pool types offered come from the daemon's capabilities. */
  types = gb_storage_pool_types (conn);
  g_assert_true (g_strv_contains ((const char * const *) types, "dir"));
  g_test_message ("pool types: %s", g_strjoinv (" ", types));

  /* A folder pool: defined, built (the folder appears), started, autostarted. */
  {
    GbStoragePoolSpec spec = { .name = "gb-test", .type = "dir", .target = pool_dir };

    g_assert_true (gb_storage_pool_create (conn, &spec, &error));
    g_assert_no_error (error);
  }
  g_assert_true (g_file_test (pool_dir, G_FILE_TEST_IS_DIR));
  pools = gb_storage_list_pools (conn, &error);
  g_assert_no_error (error);
  pool = find_pool (pools, "gb-test");
  g_assert_nonnull (pool);
  g_assert_cmpstr (pool->type, ==, "dir");
  g_assert_cmpstr (pool->target, ==, pool_dir);
  g_assert_true (pool->active);
  g_assert_true (pool->autostart);
  g_assert_cmpuint (pool->capacity, >, 0);
  g_clear_pointer (&pools, g_ptr_array_unref);

  /* Volumes: a qcow2, an overlay on it, a raw file. */
  {
    g_autofree char *base_path = g_build_filename (pool_dir, "base.qcow2", NULL);
    GbStorageVolumeSpec base = { .name = "base.qcow2", .format = "qcow2", .capacity = 16 * MiB };
    GbStorageVolumeSpec overlay = { .name = "overlay.qcow2", .format = "qcow2", .capacity = 16 * MiB,
                                    .backing = base_path, .backing_format = "qcow2" };
    GbStorageVolumeSpec raw = { .name = "data.img", .format = "raw", .capacity = 4 * MiB };

    g_assert_true (gb_storage_volume_create (conn, "gb-test", &base, &error));
    g_assert_no_error (error);
    g_assert_true (gb_storage_volume_create (conn, "gb-test", &overlay, &error));
    g_assert_no_error (error);
    g_assert_true (gb_storage_volume_create (conn, "gb-test", &raw, &error));
    g_assert_no_error (error);

    vols = gb_storage_list_volumes (conn, "gb-test", &error);
    g_assert_no_error (error);
    g_assert_cmpuint (vols->len, ==, 3);
    vol = find_volume (vols, "overlay.qcow2");
    g_assert_nonnull (vol);
    g_assert_cmpstr (vol->format, ==, "qcow2");
    g_assert_cmpstr (vol->backing, ==, base_path);
    g_assert_cmpuint (vol->capacity, ==, 16 * MiB);
    g_assert_cmpuint (vol->allocation, <, 16 * MiB);   /* thin */
    vol = find_volume (vols, "data.img");
    g_assert_cmpstr (vol->format, ==, "raw");
    g_assert_cmpuint (vol->capacity, ==, 4 * MiB);
    g_assert_null (vol->used_by[0]);
    g_clear_pointer (&vols, g_ptr_array_unref);
  }

  /* Upload 4 MiB of noise into the raw volume and download it back. */
  upload_path = g_build_filename (dir, "upload.bin", NULL);
  download_path = g_build_filename (dir, "download.bin", NULL);
  bytes = g_byte_array_sized_new (4 * MiB);
  for (guint i = 0; i < 4 * MiB / 4; i++)
    {
      guint32 r = g_random_int ();
      g_byte_array_append (bytes, (guint8 *) &r, 4);
    }
  g_assert_true (g_file_set_contents (upload_path, (char *) bytes->data, bytes->len, NULL));
  g_assert_true (gb_storage_volume_transfer (conn, "gb-test", "data.img", upload_path, TRUE,
                                             &total, &done, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (total, ==, 4 * MiB);
  g_assert_cmpuint (done, ==, 4 * MiB);
  total = 0;
  done = 0;
  g_assert_true (gb_storage_volume_transfer (conn, "gb-test", "data.img", download_path, FALSE,
                                             &total, &done, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (done, ==, 4 * MiB);
  sum_up = checksum_file (upload_path);
  sum_down = checksum_file (download_path);
  g_assert_cmpstr (sum_up, ==, sum_down);
  g_test_message ("upload and download: sha256 %s", sum_down);

  /* Resize: grow the raw volume and the qcow2. */
  g_assert_true (gb_storage_volume_resize (conn, "gb-test", "data.img", 8 * MiB, &error));
  g_assert_no_error (error);
  g_assert_true (gb_storage_volume_resize (conn, "gb-test", "base.qcow2", 32 * MiB, &error));
  g_assert_no_error (error);
  vols = gb_storage_list_volumes (conn, "gb-test", &error);
  g_assert_cmpuint (find_volume (vols, "data.img")->capacity, ==, 8 * MiB);
  g_assert_cmpuint (find_volume (vols, "base.qcow2")->capacity, ==, 32 * MiB);
  g_clear_pointer (&vols, g_ptr_array_unref);

  /* Delete, refresh, stop, start, delete the pool. */
  g_assert_true (gb_storage_volume_delete (conn, "gb-test", "overlay.qcow2", FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (gb_storage_volume_delete (conn, "gb-test", "base.qcow2", FALSE, &error));
  g_assert_true (gb_storage_volume_delete (conn, "gb-test", "data.img", FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (gb_storage_pool_act (conn, "gb-test", GB_STORAGE_POOL_REFRESH, &error));
  vols = gb_storage_list_volumes (conn, "gb-test", &error);
  g_assert_cmpuint (vols->len, ==, 0);
  g_clear_pointer (&vols, g_ptr_array_unref);

  g_assert_true (gb_storage_pool_act (conn, "gb-test", GB_STORAGE_POOL_AUTOSTART_OFF, &error));
  g_assert_true (gb_storage_pool_act (conn, "gb-test", GB_STORAGE_POOL_STOP, &error));
  pools = gb_storage_list_pools (conn, &error);
  g_assert_false (find_pool (pools, "gb-test")->active);
  g_assert_false (find_pool (pools, "gb-test")->autostart);
  g_clear_pointer (&pools, g_ptr_array_unref);
  g_assert_true (gb_storage_pool_act (conn, "gb-test", GB_STORAGE_POOL_START, &error));
  g_assert_true (gb_storage_pool_act (conn, "gb-test", GB_STORAGE_POOL_DELETE, &error));
  g_assert_no_error (error);
  pools = gb_storage_list_pools (conn, &error);
  g_assert_null (find_pool (pools, "gb-test"));
  g_assert_false (g_file_test (pool_dir, G_FILE_TEST_EXISTS));

  virConnectClose (conn);
  gb_test_private_libvirtd_stop (daemon);
  gb_test_tmpdir_remove (dir);
}

static void
test_storage_in_use (void)
{
  virConnectPtr conn = virConnectOpen ("test:///default");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) vols = NULL;
  g_autofree char *xml = NULL;
  GbStorageVolumeSpec spec = { .name = "gb-used.img", .format = "raw", .capacity = MiB };
  GbStorageVolumeInfo *vol;
  virDomainPtr dom;

  g_assert_nonnull (conn);
  g_assert_true (gb_storage_volume_create (conn, "default-pool", &spec, &error));
  g_assert_no_error (error);
  vols = gb_storage_list_volumes (conn, "default-pool", &error);
  vol = find_volume (vols, "gb-used.img");
  g_assert_nonnull (vol);

  xml = g_strdup_printf ("<domain type='test'><name>gb-disk-user</name><memory>65536</memory>"
                         "<os><type>hvm</type></os><devices><disk type='file' device='disk'>"
                         "<source file='%s'/><target dev='vda' bus='virtio'/></disk></devices></domain>",
                         vol->path);
  dom = virDomainDefineXML (conn, xml);
  g_assert_nonnull (dom);
  g_clear_pointer (&vols, g_ptr_array_unref);

  /* The list names the machine; deleting refuses, and says who uses it. */
  vols = gb_storage_list_volumes (conn, "default-pool", &error);
  vol = find_volume (vols, "gb-used.img");
  g_assert_cmpstr (vol->used_by[0], ==, "gb-disk-user");
  g_assert_null (vol->used_by[1]);
  g_assert_false (gb_storage_volume_delete (conn, "default-pool", "gb-used.img", FALSE, &error));
  g_assert_error (error, GB_STORAGE_ERROR, GB_STORAGE_ERROR_IN_USE);
  g_assert_nonnull (strstr (error->message, "gb-disk-user"));
  g_clear_error (&error);
  g_clear_pointer (&vols, g_ptr_array_unref);
  vols = gb_storage_list_volumes (conn, "default-pool", &error);
  g_assert_nonnull (find_volume (vols, "gb-used.img"));
  g_clear_pointer (&vols, g_ptr_array_unref);

  /* Confirmed: it goes. */
  g_assert_true (gb_storage_volume_delete (conn, "default-pool", "gb-used.img", TRUE, &error));
  g_assert_no_error (error);
  vols = gb_storage_list_volumes (conn, "default-pool", &error);
  g_assert_null (find_volume (vols, "gb-used.img"));

  virDomainUndefine (dom);
  virDomainFree (dom);
  virConnectClose (conn);
}

/* A "fs" pool: a file system on a block device, which libvirt mounts. The
 * device is a loop device on a 64 MiB ext4 image the test makes; mounting
 * needs a root libvirtd, so this one runs in its own mount and network
 * namespaces (unshare), with its own /run/libvirt, /var/lib/libvirt,
 * /etc/libvirt, /var/cache/libvirt and /var/log/libvirt bound from the test's
 * folder: the mount happens there only, nothing of the host's libvirt is
 * used. The loop device is detached at the end. */
static void
test_storage_fs_pool (void)
{
  g_autofree char *libvirtd = g_find_program_in_path ("libvirtd");
  g_autofree char *losetup = g_find_program_in_path ("losetup");
  g_autofree char *mkfs = g_find_program_in_path ("mkfs.ext4");
  g_autofree char *dir = NULL;
  g_autofree char *image = NULL;
  g_autofree char *cmd = NULL;
  g_autofree char *out = NULL;
  g_autofree char *device = NULL;
  g_autofree char *sock = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *script = NULL;
  g_autofree char *mounts_path = NULL;
  g_autofree char *mounts = NULL;
  g_autofree char *up = NULL;
  g_autofree char *down = NULL;
  g_autofree char *sum_up = NULL;
  g_autofree char *sum_down = NULL;
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) pools = NULL;
  g_autoptr(GPtrArray) vols = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  GbStoragePoolSpec spec = { .name = "gb-fs", .type = "fs", .target = "/var/lib/libvirt/gb-fs" };
  GbStorageVolumeSpec raw = { .name = "on-ext4.img", .format = "raw", .capacity = 4 * MiB };
  GbStoragePoolInfo *pool;
  virConnectPtr conn;
  guint64 total = 0;
  gsize done = 0;

  if (getuid () != 0)
    {
      g_test_skip ("a loop device and a libvirtd that mounts need root");
      return;
    }
  if (libvirtd == NULL)
    libvirtd = g_strdup ("/usr/sbin/libvirtd");
  if (!g_file_test (libvirtd, G_FILE_TEST_IS_EXECUTABLE) || losetup == NULL || mkfs == NULL)
    {
      g_test_skip ("needs libvirtd (libvirt-daemon-system), losetup (util-linux) and mkfs.ext4 (e2fsprogs)");
      return;
    }

  dir = gb_test_tmpdir_new ("gb-storage-fs-XXXXXX");
  image = g_build_filename (dir, "ext4.img", NULL);
  cmd = g_strdup_printf ("truncate -s 64M '%s' && mkfs.ext4 -q -F '%s' && losetup -f --show '%s'", image, image, image);
  if (gb_test_run_shell (cmd, &out, NULL) != 0)
    {
      g_test_skip ("no loop device here (losetup failed)");
      gb_test_tmpdir_remove (dir);
      return;
    }
  device = g_strdup (g_strstrip (out));
  g_test_message ("ext4 image on %s", device);

  sock = g_build_filename (dir, "run", "libvirt-sock", NULL);
  script = g_strdup_printf (
    "set -e; d='%s'\n"
    "mkdir -p \"$d/run\" \"$d/lib/gb-fs\" \"$d/etc\" \"$d/cache\" \"$d/log\"\n"
    "mount --make-rprivate /\n"
    "mount --bind \"$d/run\" /run/libvirt\n"
    "mount --bind \"$d/lib\" /var/lib/libvirt\n"
    "mount --bind \"$d/etc\" /etc/libvirt\n"
    "mount --bind \"$d/cache\" /var/cache/libvirt\n"
    "mount --bind \"$d/log\" /var/log/libvirt\n"
    "printf 'unix_sock_rw_perms = \"0700\"\\nauth_unix_rw = \"none\"\\n' > /etc/libvirt/libvirtd.conf\n"
    "exec '%s' -f /etc/libvirt/libvirtd.conf\n", dir, libvirtd);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  {
    g_autofree char *log = g_build_filename (dir, "libvirtd.out", NULL);

    g_subprocess_launcher_set_stdout_file_path (launcher, log);
    g_subprocess_launcher_set_stderr_file_path (launcher, log);
  }
  daemon = g_subprocess_launcher_spawn (launcher, &error, "unshare", "--mount", "--net", "--",
                                        "/bin/sh", "-c", script, NULL);
  g_assert_no_error (error);
  GB_TEST_WAIT_FOR (g_file_test (sock, G_FILE_TEST_EXISTS), 30);

  uri = g_strdup_printf ("storage+unix:///system?socket=%s", sock);
  conn = virConnectOpen (uri);
  g_assert_nonnull (conn);

  /* Defined, started (libvirt mounts the device), autostart. */
  spec.source_device = device;
  g_assert_true (gb_storage_pool_create (conn, &spec, &error));
  g_assert_no_error (error);
  pools = gb_storage_list_pools (conn, &error);
  g_assert_no_error (error);
  pool = find_pool (pools, "gb-fs");
  g_assert_nonnull (pool);
  g_assert_cmpstr (pool->type, ==, "fs");
  g_assert_true (pool->active);
  g_assert_cmpstr (pool->source, !=, NULL);
  g_test_message ("pool gb-fs: %s on %s, %" G_GUINT64_FORMAT " MiB",
                  pool->source, pool->target, pool->capacity / MiB);
  /* The size of the small file system, not of the host's disk. */
  g_assert_cmpuint (pool->capacity, >, 32 * MiB);
  g_assert_cmpuint (pool->capacity, <, 64 * MiB);
  mounts_path = g_strdup_printf ("/proc/%s/mounts", g_subprocess_get_identifier (daemon));
  g_assert_true (g_file_get_contents (mounts_path, &mounts, NULL, NULL));
  g_assert_nonnull (strstr (mounts, device));
  g_clear_pointer (&mounts, g_free);

  /* A volume on it, a round trip through a stream. */
  g_assert_true (gb_storage_volume_create (conn, "gb-fs", &raw, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 4 * MiB / 4; i++)
    {
      guint32 r = g_random_int ();

      g_byte_array_append (bytes, (guint8 *) &r, 4);
    }
  up = g_build_filename (dir, "up.bin", NULL);
  down = g_build_filename (dir, "down.bin", NULL);
  g_assert_true (g_file_set_contents (up, (char *) bytes->data, bytes->len, NULL));
  g_assert_true (gb_storage_volume_transfer (conn, "gb-fs", "on-ext4.img", up, TRUE, &total, &done, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (gb_storage_volume_transfer (conn, "gb-fs", "on-ext4.img", down, FALSE, &total, &done, NULL, &error));
  g_assert_no_error (error);
  sum_up = checksum_file (up);
  sum_down = checksum_file (down);
  g_assert_cmpstr (sum_up, ==, sum_down);
  vols = gb_storage_list_volumes (conn, "gb-fs", &error);
  g_assert_nonnull (find_volume (vols, "on-ext4.img"));
  g_assert_true (gb_storage_volume_delete (conn, "gb-fs", "on-ext4.img", FALSE, &error));
  g_assert_no_error (error);

  /* Stopped: unmounted. Deleted: gone from the list, the device untouched. */
  g_assert_true (gb_storage_pool_act (conn, "gb-fs", GB_STORAGE_POOL_STOP, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (mounts_path, &mounts, NULL, NULL));
  g_assert_null (strstr (mounts, device));
  g_assert_true (gb_storage_pool_act (conn, "gb-fs", GB_STORAGE_POOL_DELETE, &error));
  g_assert_no_error (error);
  g_clear_pointer (&pools, g_ptr_array_unref);
  pools = gb_storage_list_pools (conn, &error);
  g_assert_null (find_pool (pools, "gb-fs"));
  virConnectClose (conn);

  g_subprocess_send_signal (daemon, SIGTERM);
  g_subprocess_wait (daemon, NULL, NULL);
  g_free (cmd);
  cmd = g_strdup_printf ("losetup -d '%s'", device);
  g_assert_cmpint (gb_test_run_shell (cmd, NULL, NULL), ==, 0);
  gb_test_tmpdir_remove (dir);
}

/* libvirt prints every error it reports; the ones expected here are checked. */
static void
quiet (void        *data,
       virErrorPtr  err)
{
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  gb_test_add_ticker ();
  virSetErrorFunc (NULL, quiet);
  g_test_add_func ("/storage/pool-volumes-upload-download", test_storage_daemon);
  g_test_add_func ("/storage/volume-in-use", test_storage_in_use);
  g_test_add_func ("/storage/fs-pool-on-loop-device", test_storage_fs_pool);
  return g_test_run ();
}
