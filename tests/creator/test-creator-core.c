/* test-creator-core.c — the wizard and New Disk work on any provider, through the core
 *
 * The New Machine wizard's model and the New Disk dialog get everything
 * about a place to run from the provider's creation half
 * (gb_provider_new_creator()): a provider of a kind they have never heard
 * of is offered and makes machines as soon as it hands out a backend, and
 * Glassbox's own provider makes a disk and then a machine on it through the
 * same calls the dialog and the wizard make.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "creator-test-util.h"
#include "gb-bundled-provider.h"
#include "gb-creator-backend.h"
#include "gb-libvirt-provider.h"
#include "gb-machine-creator.h"
#include "gb-test-libvirt.h"
#include "gb-test-utils.h"

static char *tmpdir;

#define TEST_UUID "6f1d2b3c-0000-4000-8000-00000000c0de"

/* ------------------------------------------------------------------ */
/* A place to run of a kind the wizard does not know                  */

#define TEST_TYPE_BACKEND (test_backend_get_type ())
G_DECLARE_FINAL_TYPE (TestBackend, test_backend, TEST, BACKEND, GbCreatorBackend)

struct _TestBackend
{
  GbCreatorBackend  parent_instance;
  GbMachineSpec    *made;      /* what create was asked for */
  gboolean          started;
};

G_DEFINE_FINAL_TYPE (TestBackend, test_backend, GB_TYPE_CREATOR_BACKEND)

static void
test_backend_prepare_async (GbCreatorBackend    *backend,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (backend, cancellable, callback, user_data);
  GbCreatorHost *host = gb_creator_host_new ();

  host->memory_mib = 4096;
  host->cpus = 4;
  host->local = TRUE;
  host->sources = GB_CREATOR_SOURCE_BIT (GB_CREATOR_SOURCE_DIRECT_KERNEL);
  host->networks = GB_CREATOR_NETWORK_BIT (GB_CREATOR_NETWORK_NONE);
  g_task_return_pointer (task, host, (GDestroyNotify) gb_creator_host_free);
}

static GbCreatorHost *
test_backend_prepare_finish (GbCreatorBackend  *backend,
                             GAsyncResult      *result,
                             GError           **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
test_backend_name_taken (GbCreatorBackend *backend,
                         const char       *name)
{
  return g_strcmp0 (name, "taken") == 0;
}

static void
test_backend_create_async (GbCreatorBackend    *backend,
                           const GbMachineSpec *spec,
                           gboolean             start,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  TestBackend *self = TEST_BACKEND (backend);
  g_autoptr(GTask) task = g_task_new (backend, cancellable, callback, user_data);

  g_clear_pointer (&self->made, gb_machine_spec_free);
  self->made = gb_machine_spec_copy (spec);
  self->started = start;
  g_task_return_pointer (task, g_strdup (TEST_UUID), g_free);
}

static char *
test_backend_create_finish (GbCreatorBackend  *backend,
                            GAsyncResult      *result,
                            GError           **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static char *
test_backend_describe (GbCreatorBackend *backend)
{
  return g_strdup ("a test place");
}

static void
test_backend_finalize (GObject *object)
{
  g_clear_pointer (&TEST_BACKEND (object)->made, gb_machine_spec_free);
  G_OBJECT_CLASS (test_backend_parent_class)->finalize (object);
}

static void
test_backend_class_init (TestBackendClass *klass)
{
  GbCreatorBackendClass *backend_class = GB_CREATOR_BACKEND_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = test_backend_finalize;
  backend_class->prepare_async = test_backend_prepare_async;
  backend_class->prepare_finish = test_backend_prepare_finish;
  backend_class->name_taken = test_backend_name_taken;
  backend_class->create_async = test_backend_create_async;
  backend_class->create_finish = test_backend_create_finish;
  backend_class->describe = test_backend_describe;
}

static void
test_backend_init (TestBackend *self)
{
}

/* A provider that makes machines: it hands out a TestBackend. */
#define TEST_TYPE_PROVIDER (test_provider_get_type ())
G_DECLARE_FINAL_TYPE (TestProvider, test_provider, TEST, PROVIDER, GbProvider)

struct _TestProvider
{
  GbProvider parent_instance;
};

G_DEFINE_FINAL_TYPE (TestProvider, test_provider, GB_TYPE_PROVIDER)

static GbCreatorBackend *
test_provider_new_creator (GbProvider *provider)
{
  return g_object_new (TEST_TYPE_BACKEND, "provider", provider, NULL);
}

static void
test_provider_class_init (TestProviderClass *klass)
{
  GB_PROVIDER_CLASS (klass)->new_creator = test_provider_new_creator;
}

static void
test_provider_init (TestProvider *self)
{
}

/* A provider that does not: no new_creator. */
#define TEST_TYPE_BARE_PROVIDER (test_bare_provider_get_type ())
G_DECLARE_FINAL_TYPE (TestBareProvider, test_bare_provider, TEST, BARE_PROVIDER, GbProvider)

struct _TestBareProvider
{
  GbProvider parent_instance;
};

G_DEFINE_FINAL_TYPE (TestBareProvider, test_bare_provider, GB_TYPE_PROVIDER)

static void
test_bare_provider_class_init (TestBareProviderClass *klass)
{
}

static void
test_bare_provider_init (TestBareProvider *self)
{
}

/* The wizard's model asks the provider, never its type: a third kind of
 * provider is offered, its host's limits and names are used, and the
 * machine it makes is exactly what was chosen. */
static void
test_any_provider (void)
{
  g_autoptr(GbProvider) place = g_object_new (TEST_TYPE_PROVIDER, NULL);
  g_autoptr(GbProvider) bare = g_object_new (TEST_TYPE_BARE_PROVIDER, NULL);
  g_autoptr(GbMachineCreator) creator = NULL;
  g_autofree char *kernel = g_build_filename (tmpdir, "any-vmlinuz", NULL);
  g_autofree char *uuid = NULL;
  g_autofree char *where = NULL;
  TestBackend *backend;

  g_assert_true (gb_creator_backend_supports (place));
  g_assert_false (gb_creator_backend_supports (bare));
  g_assert_null (gb_provider_new_creator (bare));

  creator = creator_test_prepared (place);
  backend = TEST_BACKEND (gb_machine_creator_get_backend (creator));
  g_assert_true (gb_creator_backend_get_provider (GB_CREATOR_BACKEND (backend)) == place);

  /* What the place offers is what the model offers. */
  g_assert_true (gb_machine_creator_offers_source (creator, GB_CREATOR_SOURCE_DIRECT_KERNEL));
  g_assert_false (gb_machine_creator_offers_source (creator, GB_CREATOR_SOURCE_INSTALL_MEDIA));
  g_assert_cmpint (gb_machine_creator_get_source_kind (creator), ==, GB_CREATOR_SOURCE_DIRECT_KERNEL);
  g_assert_cmpuint (gb_machine_creator_get_max_vcpus (creator), <=, 4);
  where = gb_machine_creator_describe_host (creator);
  g_assert_cmpstr (where, ==, "a test place");
  g_assert_false (gb_machine_creator_validate_name (creator, "taken", NULL));

  g_assert_true (g_file_set_contents (kernel, "not really a kernel", -1, NULL));
  gb_machine_creator_set_kernel_path (creator, kernel);
  gb_machine_creator_set_kernel_cmdline (creator, "console=ttyS0");
  gb_machine_creator_set_memory_mib (creator, 100000);
  gb_machine_creator_set_vcpus (creator, 2);
  gb_machine_creator_set_disk_mode (creator, GB_CREATOR_DISK_NONE);
  gb_machine_creator_set_network_kind (creator, GB_CREATOR_NETWORK_NONE);
  gb_machine_creator_set_name (creator, "any-place");

  uuid = creator_test_create_uuid (creator);
  g_assert_cmpstr (uuid, ==, TEST_UUID);
  g_assert_nonnull (backend->made);
  g_assert_false (backend->started);
  g_assert_cmpstr (backend->made->name, ==, "any-place");
  g_assert_cmpint (backend->made->source_kind, ==, GB_CREATOR_SOURCE_DIRECT_KERNEL);
  g_assert_cmpstr (backend->made->kernel_path, ==, kernel);
  g_assert_cmpstr (backend->made->kernel_cmdline, ==, "console=ttyS0");
  /* Within what the place said it has. */
  g_assert_cmpuint (backend->made->memory_mib, ==, gb_machine_creator_get_memory_mib (creator));
  g_assert_cmpuint (backend->made->memory_mib, <=, 4096);
  g_assert_cmpuint (backend->made->memory_mib, >, 0);
  g_assert_cmpuint (backend->made->vcpus, ==, 2);
  g_assert_cmpint (backend->made->disk_mode, ==, GB_CREATOR_DISK_NONE);
  g_assert_cmpint (backend->made->network_kind, ==, GB_CREATOR_NETWORK_NONE);
  g_assert_true (gb_machine_spec_uses_kernel_boot (backend->made));

  /* The checks that do not depend on the place are the spec's own. */
  gb_machine_creator_set_kernel_path (creator, "");
  {
    g_autoptr(GbMachineSpec) spec = gb_machine_creator_dup_spec (creator);
    g_autoptr(GError) error = NULL;

    g_assert_false (gb_machine_spec_check_source (spec, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  }
}

/* ------------------------------------------------------------------ */
/* New Disk, then a machine on it, through the provider               */

static char *
create_disk (GbCreatorBackend  *backend,
             const char        *pool,
             const char        *folder,
             const char        *name,
             GbDiskFormat       format,
             GError           **error)
{
  g_autoptr(GbDiskSpec) spec = gb_disk_spec_new ();
  g_autoptr(GAsyncResult) result = NULL;

  spec->name = g_strdup (name);
  spec->capacity = (guint64) 64 << 20;
  spec->format = format;
  gb_creator_backend_create_disk_async (backend, pool, folder, spec, NULL, NULL, NULL,
                                        gb_test_store_result, &result);
  return gb_creator_backend_create_disk_finish (backend, gb_test_wait_result (&result), error);
}

static GStrv
list_pools (GbCreatorBackend *backend)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GStrv pools;

  gb_creator_backend_list_pools_async (backend, NULL, gb_test_store_result, &result);
  pools = gb_creator_backend_list_pools_finish (backend, gb_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (pools);
  return pools;
}

static GStrv
list_volumes (GbCreatorBackend  *backend,
              const char        *pool,
              GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  gb_creator_backend_list_volumes_async (backend, pool, NULL, gb_test_store_result, &result);
  return gb_creator_backend_list_volumes_finish (backend, gb_test_wait_result (&result), error);
}

/* "This computer (Glassbox)": New Disk's folder is the machines folder
 * (made if missing), there are no pools, a qcow2 is made there and never
 * overwritten; the wizard then makes a machine on that disk, and the
 * provider lists it with the disk in its file. */
static void
test_bundled_disk_then_machine (void)
{
  g_autofree char *machines = g_build_filename (tmpdir, "bundled", "machines", NULL);
  g_autofree char *runtime = g_build_filename (tmpdir, "bundled", "run", NULL);
  g_autoptr(GbProvider) bundled = gb_bundled_provider_new_for_dirs (machines, runtime);
  g_autoptr(GbCreatorBackend) backend = gb_provider_new_creator (bundled);
  g_autoptr(GbMachineCreator) creator = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *path = NULL;
  g_autofree char *kernel = g_build_filename (tmpdir, "bundled-vmlinuz", NULL);
  g_autofree char *uuid = NULL;
  g_autofree char *header = NULL;
  g_auto(GStrv) pools = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) listing = NULL;
  const char *entry;
  gboolean found = FALSE;
  gsize len = 0;

  g_assert_nonnull (backend);
  folder = gb_creator_backend_dup_disk_folder (backend);
  g_assert_cmpstr (folder, ==, machines);
  g_assert_true (g_file_test (machines, G_FILE_TEST_IS_DIR));
  pools = list_pools (backend);
  g_assert_cmpuint (g_strv_length (pools), ==, 0);

#ifndef HAVE_BLOCK_CREATE
  g_assert_false (gb_creator_backend_disks_in_folder (backend));
  g_test_skip ("built without the block engine: Glassbox's own machines get no new disks");
  return;
#endif
  g_assert_true (gb_creator_backend_disks_in_folder (backend));

  /* No pool here. */
  g_assert_null (create_disk (backend, "default", NULL, "pool.qcow2", GB_DISK_FORMAT_QCOW2, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  path = create_disk (backend, NULL, folder, "data.qcow2", GB_DISK_FORMAT_QCOW2, &error);
  g_assert_no_error (error);
  g_assert_nonnull (path);
  g_assert_true (g_str_has_prefix (path, machines));
  g_assert_true (g_file_get_contents (path, &header, &len, NULL));
  g_assert_cmpuint (len, >=, 4);
  g_assert_cmpmem (header, 4, "QFI\xfb", 4);

  /* Never overwritten. */
  g_assert_null (create_disk (backend, NULL, folder, "data.qcow2", GB_DISK_FORMAT_QCOW2, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);

  /* The wizard, on the same provider, boots a kernel with that disk. */
  creator = creator_test_prepared (bundled);
  g_assert_true (g_file_set_contents (kernel, "not really a kernel", -1, NULL));
  gb_machine_creator_set_source_kind (creator, GB_CREATOR_SOURCE_DIRECT_KERNEL);
  gb_machine_creator_set_kernel_path (creator, kernel);
  gb_machine_creator_set_disk_mode (creator, GB_CREATOR_DISK_EXISTING);
  gb_machine_creator_set_disk_path (creator, path);
  gb_machine_creator_set_name (creator, "on-its-disk");
  uuid = creator_test_create_uuid (creator);
  g_assert_nonnull (gb_provider_find_machine (bundled, uuid));

  listing = g_dir_open (machines, 0, NULL);
  while (listing && (entry = g_dir_read_name (listing)) != NULL)
    if (g_str_has_suffix (entry, ".json"))
      {
        g_autofree char *file = g_build_filename (machines, entry, NULL);
        g_autofree char *text = NULL;

        g_assert_true (g_file_get_contents (file, &text, NULL, NULL));
        if (strstr (text, "on-its-disk") != NULL)
          {
            g_assert_nonnull (strstr (text, path));
            g_assert_nonnull (strstr (text, kernel));
            found = TRUE;
          }
      }
  g_assert_true (found);
}

/* A libvirt connection: its pools (the test driver's), their volumes read
 * fresh, a volume made in a pool and refused a second time. */
static void
test_libvirt_pool_disk (void)
{
  g_autoptr(GbProvider) provider = creator_test_libvirt_provider ("test:///default");
  g_autoptr(GbCreatorBackend) backend = gb_provider_new_creator (provider);
  g_auto(GStrv) pools = NULL;
  g_auto(GStrv) before = NULL;
  g_auto(GStrv) after = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (backend);
  g_assert_null (gb_creator_backend_dup_disk_folder (backend));
  pools = list_pools (backend);
  g_assert_cmpuint (g_strv_length (pools), >=, 1);

  before = list_volumes (backend, pools[0], &error);
  g_assert_no_error (error);
  g_assert_false (g_strv_contains ((const char * const *) before, "core-made.img"));

  path = create_disk (backend, pools[0], NULL, "core-made.img", GB_DISK_FORMAT_RAW, &error);
  g_assert_no_error (error);
  g_assert_nonnull (path);

  after = list_volumes (backend, pools[0], &error);
  g_assert_no_error (error);
  g_assert_true (g_strv_contains ((const char * const *) after, "core-made.img"));

  g_assert_null (create_disk (backend, pools[0], NULL, "core-made.img", GB_DISK_FORMAT_RAW, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  g_assert_null (list_volumes (backend, "no-such-pool", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

/* A qemu+ssh:// host cannot use a file on this computer: the backend says
 * so and refuses one, before asking the (unreachable) host anything. */
static void
test_remote_no_folder (void)
{
  g_autoptr(GbProvider) remote = gb_libvirt_provider_new ("qemu+ssh://root@example.invalid/system");
  g_autoptr(GbCreatorBackend) backend = gb_provider_new_creator (remote);
  g_autofree char *folder = g_build_filename (tmpdir, "remote", NULL);
  g_autofree char *file = g_build_filename (folder, "x.qcow2", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_mkdir_with_parents (folder, 0700) == 0);
  g_assert_false (gb_creator_backend_disks_in_folder (backend));
  g_assert_null (create_disk (backend, NULL, folder, "x.qcow2", GB_DISK_FORMAT_QCOW2, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  tmpdir = gb_test_tmpdir_new ("gb-creator-core-XXXXXX");
  {
    g_autofree char *cache = g_build_filename (tmpdir, "cache", NULL);
    g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  }
  gb_test_libvirt_init ();

  g_test_add_func ("/creator-core/any-provider", test_any_provider);
  g_test_add_func ("/creator-core/bundled-disk-then-machine", test_bundled_disk_then_machine);
  g_test_add_func ("/creator-core/libvirt-pool-disk", test_libvirt_pool_disk);
  g_test_add_func ("/creator-core/remote-no-folder", test_remote_no_folder);

  ret = g_test_run ();
  gb_test_tmpdir_remove (tmpdir);
  g_free (tmpdir);
  return ret;
}
