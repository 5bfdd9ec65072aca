/* test-bundled-snapshots.c — snapshots of a stopped machine on This computer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A bundled machine (a JSON file in a temporary machines folder, never
 * started) with two qcow2 disks: a snapshot is taken on both through our
 * block engine, the disks are changed behind its back (qemu-io), revert
 * gives back what they held, delete removes it; QEMU's tools see the same.
 * A raw disk is refused with the reason.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "gb-bundled-provider.h"
#include "gb-bundled-snapshots.h"
#include "gb-test-utils.h"

static GbMachine *
create (GbProvider *provider,
        const char *name,
        const char *disk1,
        const char *disk2)
{
  g_autoptr(JsonObject) config = json_object_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *disks = json_array_new ();
  GbMachine *machine;

  json_object_set_string_member (config, "name", name);
  json_object_set_string_member (config, "kernel", "/nonexistent/kernel");
  json_object_set_int_member (config, "memory", 32);
  json_object_set_int_member (config, "cpus", 1);
  json_array_add_string_element (disks, disk1);
  if (disk2 != NULL)
    json_array_add_string_element (disks, disk2);
  json_object_set_array_member (config, "disks", disks);
  gb_bundled_provider_create_machine_async (GB_BUNDLED_PROVIDER (provider), config, NULL,
                                            gb_test_store_result, &result);
  machine = gb_bundled_provider_create_machine_finish (GB_BUNDLED_PROVIDER (provider),
                                                       gb_test_wait_result (&result), &error);
  g_assert_no_error (error);
  GB_TEST_WAIT_FOR (gb_machine_get_config (machine) != NULL, 30);
  return machine;
}

static gboolean
op (GbMachine  *machine,
    int         which,
    const char *name,
    GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  if (which == 0)
    gb_bundled_snapshot_create_async (machine, name, NULL, gb_test_store_result, &result);
  else if (which == 1)
    gb_bundled_snapshot_revert_async (machine, name, NULL, gb_test_store_result, &result);
  else
    gb_bundled_snapshot_delete_async (machine, name, NULL, gb_test_store_result, &result);
  return gb_bundled_snapshot_finish (machine, gb_test_wait_result (&result), error);
}

static GPtrArray *
list (GbMachine *machine)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *l;

  gb_bundled_snapshots_list_async (machine, NULL, gb_test_store_result, &result);
  l = gb_bundled_snapshots_list_finish (machine, gb_test_wait_result (&result), &error);
  g_assert_no_error (error);
  return l;
}

static void
test_bundled_snapshots (void)
{
  g_autofree char *dir = gb_test_tmpdir_new ("gb-bsnap-XXXXXX");
  g_autofree char *machines = g_build_filename (dir, "machines", NULL);
  g_autofree char *runtime = g_build_filename (dir, "run", NULL);
  g_autofree char *d1 = g_build_filename (dir, "a.qcow2", NULL);
  g_autofree char *d2 = g_build_filename (dir, "b.qcow2", NULL);
  g_autofree char *raw = g_build_filename (dir, "c.img", NULL);
  g_autofree char *spec1 = g_strdup_printf ("path=%s,format=qcow2", d1);
  g_autofree char *spec2 = g_strdup_printf ("path=%s,format=qcow2", d2);
  g_autofree char *spec3 = g_strdup_printf ("path=%s,format=raw", raw);
  g_autoptr(GbProvider) provider = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) snaps = NULL;
  g_autofree char *why = NULL;
  GbMachine *machine, *raw_machine;
  g_autofree char *out = NULL;

  if (!gb_test_skip_without_program ("qemu-img", "qemu-utils"))
    return;
  gb_test_qemu_img_create (d1, "qcow2", "8M");
  gb_test_qemu_img_create (d2, "qcow2", "8M");
  gb_test_qemu_img_create (raw, "raw", "1M");
  gb_test_qemu_io (d1, "qcow2", "write -P 0x11 0 1M");
  gb_test_qemu_io (d2, "qcow2", "write -P 0x22 0 1M");

  provider = gb_bundled_provider_new_for_dirs (machines, runtime);
  gb_provider_connect_async (provider, NULL, gb_test_store_result, &result);
  g_assert_true (gb_provider_connect_finish (provider, gb_test_wait_result (&result), &error));
  machine = create (provider, "two-disks", spec1, spec2);
  raw_machine = create (provider, "raw-disk", spec3, NULL);

  g_assert_true (gb_bundled_snapshot_can_change (machine, NULL));
  g_assert_false (gb_bundled_snapshot_can_change (raw_machine, &why));
  g_assert_nonnull (strstr (why, "qcow2"));
  g_assert_false (op (raw_machine, 0, "x", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);

  snaps = list (machine);
  g_assert_cmpuint (snaps->len, ==, 0);
  g_clear_pointer (&snaps, g_ptr_array_unref);

  g_assert_true (op (machine, 0, "clean", &error));
  g_assert_no_error (error);
  g_assert_false (op (machine, 0, "clean", &error));   /* one name, one snapshot */
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);
  snaps = list (machine);
  g_assert_cmpuint (snaps->len, ==, 1);
  g_assert_cmpstr (((GbSnapshotInfo *) snaps->pdata[0])->name, ==, "clean");
  g_assert_cmpint (((GbSnapshotInfo *) snaps->pdata[0])->creation_time, >, 1700000000);
  g_clear_pointer (&snaps, g_ptr_array_unref);
  /* QEMU sees the snapshot on both disks. */
  {
    const char *l1[] = { "qemu-img", "snapshot", "-l", d1, NULL };
    const char *l2[] = { "qemu-img", "snapshot", "-l", d2, NULL };
    g_autofree char *o2 = NULL;
    g_assert_cmpint (gb_test_run (l1, &out, NULL), ==, 0);
    g_assert_cmpint (gb_test_run (l2, &o2, NULL), ==, 0);
    g_assert_nonnull (strstr (out, "clean"));
    g_assert_nonnull (strstr (o2, "clean"));
  }

  /* The disks change; revert brings both back. */
  gb_test_qemu_io (d1, "qcow2", "write -P 0x99 0 64k");
  gb_test_qemu_io (d2, "qcow2", "write -P 0x98 512k 4k");
  gb_test_qemu_io_assert_pattern (d1, "qcow2", "read -P 0x99 0 64k");
  g_assert_true (op (machine, 1, "clean", &error));
  g_assert_no_error (error);
  gb_test_qemu_io_assert_pattern (d1, "qcow2", "read -P 0x11 0 1M");
  gb_test_qemu_io_assert_pattern (d2, "qcow2", "read -P 0x22 0 1M");
  g_assert_cmpint (gb_test_run_args ("qemu-img", "check", "-q", d1, NULL), ==, 0);
  g_assert_cmpint (gb_test_run_args ("qemu-img", "check", "-q", d2, NULL), ==, 0);

  g_assert_true (op (machine, 2, "clean", &error));
  snaps = list (machine);
  g_assert_cmpuint (snaps->len, ==, 0);
  g_assert_false (op (machine, 1, "clean", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

  gb_provider_disconnect (provider);
  gb_test_tmpdir_remove (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bundled-snapshots/create-revert-delete", test_bundled_snapshots);
  return g_test_run ();
}
