/* test-libvirt-snapshots.c — snapshots, managed save and clone of a libvirt
 * machine against test:///default
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The test driver keeps snapshots and managed-save state without running
 * anything, which is enough for the tree, the refusals and the state the
 * list shows; the disks of the clone test are real files (qemu-img makes
 * and compares them).  tests/libvirt/test-snapshots-qemu.c does the same
 * to a real TCG guest.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "gb-libvirt-clone.h"
#include "gb-libvirt-machine.h"
#include "gb-libvirt-private.h"
#include "gb-libvirt-provider.h"
#include "gb-libvirt-snapshots.h"
#include "gb-test-libvirt.h"
#include "gb-test-utils.h"

#define TEST_URI "test:///default"
#define WAIT_FOR(cond) GB_TEST_WAIT_FOR (cond, 30)

static GbProvider *provider;
static virConnectPtr raw;

static GbLibvirtMachine *
machine_named (const char *name)
{
  GbMachine *m = NULL;

  WAIT_FOR ((m = gb_provider_find_machine (provider, name)) != NULL);
  WAIT_FOR (gb_machine_get_config (m) != NULL);
  return GB_LIBVIRT_MACHINE (m);
}

static gboolean
snap_op (GbLibvirtMachine *m,
         int               op,
         const char       *name,
         gboolean          disk_only,
         GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  if (op == 0)
    gb_libvirt_snapshot_create_async (m, name, "a description", disk_only, NULL, gb_test_store_result, &result);
  else if (op == 1)
    gb_libvirt_snapshot_revert_async (m, name, NULL, gb_test_store_result, &result);
  else
    gb_libvirt_snapshot_delete_async (m, name, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  return gb_libvirt_snapshot_finish (m, result, error);
}

static GPtrArray *
list_snapshots (GbLibvirtMachine *m)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *list;

  gb_libvirt_snapshots_list_async (m, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  list = gb_libvirt_snapshots_list_finish (m, result, &error);
  g_assert_no_error (error);
  return list;
}

static GbSnapshotInfo *
find_info (GPtrArray  *list,
           const char *name)
{
  for (guint i = 0; i < list->len; i++)
    if (g_str_equal (((GbSnapshotInfo *) list->pdata[i])->name, name))
      return list->pdata[i];
  return NULL;
}

/* A tree: a → b → c, a → d; revert moves "current"; delete removes one. */
static void
test_tree (void)
{
  GbLibvirtMachine *m = machine_named ("test");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  GbSnapshotInfo *info;

  g_assert_true (snap_op (m, 0, "a", FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (snap_op (m, 0, "b", FALSE, NULL));
  g_assert_true (snap_op (m, 0, "c", FALSE, NULL));
  g_assert_true (snap_op (m, 1, "a", FALSE, NULL));
  g_assert_true (snap_op (m, 0, "d", FALSE, NULL));

  list = list_snapshots (m);
  g_assert_cmpuint (list->len, ==, 4);
  /* Parents first, with their depth. */
  g_assert_cmpstr (((GbSnapshotInfo *) list->pdata[0])->name, ==, "a");
  info = find_info (list, "a");
  g_assert_cmpuint (info->depth, ==, 0);
  g_assert_null (info->parent);
  g_assert_cmpstr (info->description, ==, "a description");
  g_assert_cmpstr (info->state, ==, "running");
  g_assert_cmpint (info->creation_time, >, 1700000000);
  g_assert_false (info->external);
  g_assert_cmpuint (find_info (list, "b")->depth, ==, 1);
  g_assert_cmpstr (find_info (list, "b")->parent, ==, "a");
  g_assert_cmpuint (find_info (list, "c")->depth, ==, 2);
  g_assert_cmpuint (find_info (list, "d")->depth, ==, 1);
  g_assert_true (find_info (list, "d")->current);
  g_assert_false (find_info (list, "c")->current);
  /* Taken while running: the screen is kept (the test driver's picture). */
  g_assert_nonnull (find_info (list, "a")->screenshot);
  g_assert_true (g_file_test (find_info (list, "a")->screenshot, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_str_has_prefix (find_info (list, "a")->screenshot, g_get_user_cache_dir ()));

  g_assert_true (snap_op (m, 1, "c", FALSE, NULL));
  g_clear_pointer (&list, g_ptr_array_unref);
  list = list_snapshots (m);
  g_assert_true (find_info (list, "c")->current);

  /* Deleting b: c moves up to a; b's screenshot goes with it. */
  g_autofree char *b_shot = g_strdup (find_info (list, "b")->screenshot);
  g_assert_nonnull (b_shot);
  g_assert_true (snap_op (m, 2, "b", FALSE, NULL));
  g_assert_false (g_file_test (b_shot, G_FILE_TEST_EXISTS));
  g_clear_pointer (&list, g_ptr_array_unref);
  list = list_snapshots (m);
  g_assert_cmpuint (list->len, ==, 3);
  g_assert_null (find_info (list, "b"));
  g_assert_cmpstr (find_info (list, "c")->parent, ==, "a");
  g_assert_cmpuint (find_info (list, "c")->depth, ==, 1);

  /* libvirt's own words for what does not exist. */
  g_assert_false (snap_op (m, 1, "no-such", FALSE, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "no-such"));
  g_clear_error (&error);

  for (guint i = 0; i < list->len; i++)
    g_assert_true (snap_op (m, 2, ((GbSnapshotInfo *) list->pdata[i])->name, FALSE, NULL));
  g_clear_pointer (&list, g_ptr_array_unref);
  list = list_snapshots (m);
  g_assert_cmpuint (list->len, ==, 0);
}

static const char uefi_xml[] =
  "<domain type='test'>"
  "  <name>uefi</name>"
  "  <memory>65536</memory>"
  "  <os><type arch='x86_64' machine='q35'>hvm</type>"
  "    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>"
  "    <nvram>/var/lib/libvirt/qemu/nvram/uefi_VARS.fd</nvram></os>"
  "  <devices>"
  "    <disk type='file' device='disk'><driver name='qemu' type='raw'/>"
  "      <source file='/var/lib/libvirt/images/uefi.img'/><target dev='vda' bus='virtio'/></disk>"
  "  </devices>"
  "</domain>";

/* What libvirt 9.0 refuses is said, before asking. */
static void
test_refusals (void)
{
  virDomainPtr dom = virDomainDefineXML (raw, uefi_xml);
  GbLibvirtMachine *m;
  g_autofree char *why = NULL;
  g_autofree char *why_raw = NULL;
  g_autofree char *why_revert = NULL;
  GbSnapshotInfo external = { .name = (char *) "ext", .external = TRUE };
  GbSnapshotInfo internal = { .name = (char *) "int", .external = FALSE };
  unsigned long version = 0;

  g_assert_nonnull (dom);
  m = machine_named ("uefi");

  /* Off: the raw disk is what stops an internal snapshot. */
  g_assert_false (gb_libvirt_snapshot_can_create (m, FALSE, &why_raw));
  g_assert_nonnull (strstr (why_raw, "qcow2"));
  g_assert_true (gb_libvirt_snapshot_can_create (m, TRUE, NULL));

  /* Running UEFI: refused whatever the disks, with the reason. */
  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  WAIT_FOR (gb_machine_get_state (GB_MACHINE (m)) == GB_MACHINE_STATE_RUNNING);
  g_assert_false (gb_libvirt_snapshot_can_create (m, FALSE, &why));
  g_assert_nonnull (strstr (why, "UEFI"));
  g_assert_true (gb_libvirt_snapshot_can_create (m, TRUE, NULL));

  /* Reverting to an external snapshot: needs libvirt 9.9. */
  g_assert_cmpint (virConnectGetLibVersion (raw, &version), ==, 0);
  g_assert_true (gb_libvirt_snapshot_can_revert (m, &internal, NULL));
  if (version < 9009000)
    {
      g_assert_false (gb_libvirt_snapshot_can_revert (m, &external, &why_revert));
      g_assert_nonnull (strstr (why_revert, "9.9"));
      g_test_message ("refused: %s", why_revert);
    }
  else
    g_assert_true (gb_libvirt_snapshot_can_revert (m, &external, NULL));

  virDomainDestroy (dom);
  virDomainUndefineFlags (dom, VIR_DOMAIN_UNDEFINE_NVRAM);
  virDomainFree (dom);
}

/* Managed save: the machine stops, a saved state waits with its time, the
 * next start takes it. */
static void
test_managed_save (void)
{
  GbLibvirtMachine *m = machine_named ("test");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) started = NULL;
  g_autoptr(GError) error = NULL;
  gint64 saved_at = 0, before = g_get_real_time () / G_USEC_PER_SEC;

  if (gb_machine_get_state (GB_MACHINE (m)) != GB_MACHINE_STATE_RUNNING)
    {
      gb_machine_start_async (GB_MACHINE (m), NULL, gb_test_store_result, &started);
      WAIT_FOR (started != NULL);
      g_clear_object (&started);
    }
  WAIT_FOR (gb_machine_get_state (GB_MACHINE (m)) == GB_MACHINE_STATE_RUNNING);
  g_assert_false (gb_libvirt_machine_has_saved_state (m, NULL));

  gb_libvirt_machine_save_async (m, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  g_assert_true (gb_libvirt_machine_save_finish (m, result, &error));
  g_assert_no_error (error);
  WAIT_FOR (gb_machine_get_state (GB_MACHINE (m)) == GB_MACHINE_STATE_SHUTOFF);
  g_assert_true (gb_libvirt_machine_has_saved_state (m, &saved_at));
  g_assert_cmpint (saved_at, >=, before);
  g_assert_cmpint (saved_at, <=, g_get_real_time () / G_USEC_PER_SEC);
  /* The machine says so too, for the list ("Saved" and the time). */
  WAIT_FOR (gb_machine_get_saved_at (GB_MACHINE (m)) == saved_at);

  gb_machine_start_async (GB_MACHINE (m), NULL, gb_test_store_result, &started);
  WAIT_FOR (started != NULL);
  g_assert_true (gb_machine_start_finish (GB_MACHINE (m), started, &error));
  WAIT_FOR (gb_machine_get_state (GB_MACHINE (m)) == GB_MACHINE_STATE_RUNNING);
  g_assert_false (gb_libvirt_machine_has_saved_state (m, NULL));
  WAIT_FOR (gb_machine_get_saved_at (GB_MACHINE (m)) == 0);
}

static const char clone_xml[] =
  "<domain type='test'>"
  "  <name>orig</name>"
  "  <memory>65536</memory>"
  "  <os><type arch='x86_64'>hvm</type><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader><nvram>%s</nvram></os>"
  "  <devices>"
  "    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
  "      <source file='%s'/><target dev='vda' bus='virtio'/></disk>"
  "    <disk type='file' device='disk'><driver name='qemu' type='raw'/>"
  "      <source file='%s'/><target dev='vdb' bus='virtio'/></disk>"
  "    <disk type='file' device='disk'><driver name='qemu' type='raw'/>"
  "      <source file='%s'/><target dev='vdc' bus='virtio'/><shareable/></disk>"
  "    <interface type='network'><mac address='52:54:00:aa:bb:01'/><source network='default'/></interface>"
  "    <interface type='network'><mac address='52:54:00:aa:bb:02'/><source network='default'/></interface>"
  "    <graphics type='vnc' port='5911' autoport='no' listen='127.0.0.1'/>"
  "  </devices>"
  "</domain>";

static int
qemu_img (const char *a, const char *b, const char *c, const char *d, const char *e)
{
  const char *argv[] = { "qemu-img", a, b, c, d, e, NULL };
  return gb_test_run (argv, NULL, NULL);
}

static void
progress_cb (guint64  done,
             guint64  total,
             gpointer user_data)
{
  guint64 *last = user_data;

  g_assert_cmpuint (done, <=, total);
  g_assert_cmpuint (done, >=, last[0]);
  last[0] = done;
  last[1] = total;
}

static char *
clone_machine (GbLibvirtMachine *m,
               const char       *name,
               gboolean          linked,
               guint64          *progress,
               GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  progress[0] = progress[1] = 0;
  gb_libvirt_machine_clone_async (m, name, linked, progress_cb, progress, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  return gb_libvirt_machine_clone_finish (m, result, error);
}

static char *
xml_of (const char *name)
{
  virDomainPtr dom = virDomainLookupByName (raw, name);
  char *xml;

  g_assert_nonnull (dom);
  xml = virDomainGetXMLDesc (dom, VIR_DOMAIN_XML_INACTIVE);
  virDomainFree (dom);
  return xml;
}

/* Two disks copied and independent, a shared one shared, new UUID and
 * MACs, graphics port automatic, NVRAM copied; then a linked clone. */
static void
test_clone (void)
{
  g_autofree char *dir = gb_test_tmpdir_new ("gb-clone-XXXXXX");
  g_autofree char *d1 = g_build_filename (dir, "orig.qcow2", NULL);
  g_autofree char *d2 = g_build_filename (dir, "data.img", NULL);
  g_autofree char *d3 = g_build_filename (dir, "shared.img", NULL);
  g_autofree char *nv = g_build_filename (dir, "orig_VARS.fd", NULL);
  g_autofree char *c1 = g_build_filename (dir, "orig-clone.qcow2", NULL);
  g_autofree char *c2 = g_build_filename (dir, "orig-clone-1.img", NULL);
  g_autofree char *cnv = g_build_filename (dir, "orig-clone_VARS.fd", NULL);
  g_autofree char *xml = NULL, *new_xml = NULL, *old_xml = NULL, *uuid = NULL, *default_name = NULL;
  g_autoptr(GError) error = NULL;
  guint64 progress[2] = { 0, 0 };
  virDomainPtr dom;
  GbLibvirtMachine *m;

  if (!gb_test_skip_without_program ("qemu-img", "qemu-utils"))
    return;
  {
    const char *mk1[] = { "qemu-img", "create", "-q", "-f", "qcow2", d1, "64M", NULL };
    const char *mk2[] = { "qemu-img", "create", "-q", "-f", "raw", d2, "32M", NULL };
    const char *mk3[] = { "qemu-img", "create", "-q", "-f", "raw", d3, "1M", NULL };
    const char *w1[] = { "qemu-io", "-f", "qcow2", "-c", "write -P 0x11 1M 3M", d1, NULL };
    const char *w2[] = { "qemu-io", "-f", "raw", "-c", "write -P 0x22 8M 1M", d2, NULL };
    g_assert_cmpint (gb_test_run (mk1, NULL, NULL), ==, 0);
    g_assert_cmpint (gb_test_run (mk2, NULL, NULL), ==, 0);
    g_assert_cmpint (gb_test_run (mk3, NULL, NULL), ==, 0);
    g_assert_cmpint (gb_test_run (w1, NULL, NULL), ==, 0);
    g_assert_cmpint (gb_test_run (w2, NULL, NULL), ==, 0);
  }
  g_assert_true (g_file_set_contents (nv, "firmware variables", -1, NULL));
  xml = g_strdup_printf (clone_xml, nv, d1, d2, d3);
  dom = virDomainDefineXML (raw, xml);
  g_assert_nonnull (dom);
  m = machine_named ("orig");

  /* A running machine is not cloned. */
  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  g_assert_null (clone_machine (m, "x", FALSE, progress, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_clear_error (&error);
  g_assert_cmpint (virDomainDestroy (dom), ==, 0);

  default_name = gb_libvirt_clone_default_name (m);
  g_assert_cmpstr (default_name, ==, "orig-clone");
  /* The raw disk's name is taken by a stray file: the copy gets -1. */
  g_autofree char *stray = g_build_filename (dir, "orig-clone.img", NULL);
  g_assert_true (g_file_set_contents (stray, "", 0, NULL));

  uuid = clone_machine (m, default_name, FALSE, progress, &error);
  g_assert_no_error (error);
  g_assert_nonnull (uuid);
  g_assert_cmpstr (uuid, !=, gb_machine_get_uuid (GB_MACHINE (m)));
  g_assert_cmpuint (progress[1], >, 32u << 20);
  g_assert_cmpuint (progress[0], ==, progress[1]);

  new_xml = xml_of ("orig-clone");
  old_xml = xml_of ("orig");
  g_test_message ("%s", new_xml);
  g_assert_nonnull (strstr (new_xml, uuid));
  g_assert_null (strstr (new_xml, "52:54:00:aa:bb:01"));
  g_assert_null (strstr (new_xml, "52:54:00:aa:bb:02"));
  g_assert_nonnull (strstr (new_xml, "52:54:00:"));
  g_assert_null (strstr (new_xml, "5911"));
  g_assert_nonnull (strstr (new_xml, "autoport='yes'"));
  g_assert_nonnull (strstr (new_xml, c1));
  g_assert_nonnull (strstr (new_xml, c2));
  g_assert_nonnull (strstr (new_xml, d3));          /* shared */
  g_assert_nonnull (strstr (new_xml, cnv));
  g_assert_nonnull (strstr (old_xml, d1));          /* the source is unchanged */

  /* The copies: same content, then independent. */
  g_assert_cmpint (qemu_img ("compare", "-q", d1, c1, NULL), ==, 0);
  g_assert_cmpint (qemu_img ("compare", "-q", d2, c2, NULL), ==, 0);
  {
    g_autofree char *vars = NULL;
    struct stat st1, st2;
    const char *w[] = { "qemu-io", "-f", "qcow2", "-c", "write -P 0x99 1M 4k", c1, NULL };
    g_assert_true (g_file_get_contents (cnv, &vars, NULL, NULL));
    g_assert_cmpstr (vars, ==, "firmware variables");
    /* Sparse: the 32 MiB raw copy holds about the 1 MiB written. */
    g_assert_cmpint (g_stat (c2, &st2), ==, 0);
    g_assert_cmpint (g_stat (d2, &st1), ==, 0);
    g_assert_cmpint (st2.st_size, ==, st1.st_size);
    g_assert_cmpint (st2.st_blocks * 512, <, 4 << 20);
    g_assert_cmpint (gb_test_run (w, NULL, NULL), ==, 0);
  }
  g_assert_cmpint (qemu_img ("compare", "-q", d1, c1, NULL), ==, 1);

  /* Cancelled: no machine, no copies left behind. */
  {
    g_autoptr(GCancellable) cancel = g_cancellable_new ();
    g_autoptr(GAsyncResult) result = NULL;
    g_autofree char *cancelled_disk = g_build_filename (dir, "cancelled.qcow2", NULL);
    virDomainPtr gone;

    gb_libvirt_machine_clone_async (m, "cancelled", FALSE, NULL, NULL, cancel, gb_test_store_result, &result);
    g_cancellable_cancel (cancel);
    WAIT_FOR (result != NULL);
    g_assert_null (gb_libvirt_machine_clone_finish (m, result, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
    g_assert_false (g_file_test (cancelled_disk, G_FILE_TEST_EXISTS));
    gone = virDomainLookupByName (raw, "cancelled");
    g_assert_null (gone);
  }

  /* The name is taken now. */
  g_assert_null (clone_machine (m, default_name, FALSE, progress, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);

#ifdef HAVE_BLOCK_CREATE
  /* Linked: qcow2 overlays whose backing files are the sources. */
  {
    g_autofree char *luuid = clone_machine (m, "linked", TRUE, progress, &error);
    g_autofree char *lxml = NULL;
    g_autofree char *l1 = g_build_filename (dir, "linked.qcow2", NULL);
    g_autofree char *l2 = g_build_filename (dir, "linked-1.qcow2", NULL);
    g_autofree char *info = NULL;
    const char *info_argv[] = { "qemu-img", "info", l2, NULL };

    g_assert_no_error (error);
    g_assert_nonnull (luuid);
    lxml = xml_of ("linked");
    g_assert_nonnull (strstr (lxml, l1));
    g_assert_nonnull (strstr (lxml, l2));
    g_assert_cmpint (qemu_img ("compare", "-q", d1, l1, NULL), ==, 0);
    g_assert_cmpint (qemu_img ("compare", "-q", d2, l2, NULL), ==, 0);
    g_assert_cmpint (gb_test_run (info_argv, &info, NULL), ==, 0);
    g_assert_nonnull (strstr (info, "backing file: "));
    g_assert_nonnull (strstr (info, d2));
  }
#endif

  virDomainFree (dom);
  gb_test_tmpdir_remove (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GAsyncResult) result = NULL;
  int ret;

  g_autofree char *cache = NULL;

  g_test_init (&argc, &argv, NULL);
  gb_test_libvirt_init ();
  /* Screenshots go to the cache: a temporary one. */
  cache = gb_test_tmpdir_new ("gb-cache-XXXXXX");
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);

  provider = gb_libvirt_provider_new (TEST_URI);
  raw = virConnectOpen (TEST_URI);
  g_assert_nonnull (raw);
  gb_provider_connect_async (provider, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  g_assert_true (gb_provider_connect_finish (provider, result, NULL));

  g_test_add_func ("/libvirt-snapshots/tree", test_tree);
  g_test_add_func ("/libvirt-snapshots/refusals", test_refusals);
  g_test_add_func ("/libvirt-snapshots/managed-save", test_managed_save);
  g_test_add_func ("/libvirt-snapshots/clone", test_clone);

  ret = g_test_run ();

  g_clear_object (&provider);
  virConnectClose (raw);
  gb_test_tmpdir_remove (cache);
  return ret;
}
