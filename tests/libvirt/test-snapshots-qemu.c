/* test-snapshots-qemu.c — snapshots, managed save and clone of a real (TCG)
 * guest on libvirt's QEMU driver (qemu:///embed)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The guest (tests/linux-guest/build-guest.sh + guest-snapshots.sh) counts
 * on its serial console and writes or reads a marker at the start of its
 * qcow2 disks (vda, and the data disk vdb, which starts with a marker the
 * host wrote) when told to on the console.  In order, on one connection:
 *
 *   snapshot "before" of the running guest (internal: disks + memory) →
 *   the guest writes the marker → revert → the guest reads no marker and
 *   counts on from the snapshot's moment → delete → no snapshots;
 *   managed save → "Saved" with a time → start → the counter continues
 *   from where it was (a fresh boot would count from 1);
 *   stopped, cloned (full copy) → new UUID and MAC, both disks are copies
 *   (qemu-img compare) → the clone boots, sees vda and vdb and the host's
 *   marker, writes its own on vdb → the source boots beside it, sees both
 *   disks and still the host's marker; the data disks now differ (qemu-img
 *   compare); a disk-only snapshot of the running clone.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "gb-libvirt-clone.h"
#include "gb-libvirt-machine.h"
#include "gb-libvirt-private.h"
#include "gb-libvirt-provider.h"
#include "gb-libvirt-snapshots.h"
#include "gb-test-libvirt.h"
#include "gb-test-utils.h"

#define DOMAIN_NAME "glassbox-snap-guest"
#define SOURCE_MAC  "52:54:00:12:34:56"
#define DATA_MARK   "GLASSBOX-DATA-DISK"   /* 18 bytes, as "check2" shows them */

static void
console_send (GbTestConsole *console,
              const char *line)
{
  g_autofree char *l = g_strdup_printf ("%s\n", line);
  g_assert_cmpint (virStreamSend (console->stream, l, strlen (l)), ==, (int) strlen (l));
}

/* The last complete "GLASSBOX-COUNT n" line the console showed, or 0 (a
 * line still arriving could show "1" of "12"). */
static guint
last_count (GbTestConsole *console)
{
  const char *p = console->text->str, *last = NULL;

  while ((p = strstr (p, "GLASSBOX-COUNT ")) != NULL)
    {
      if (strchr (p, '\n') != NULL)
        last = p;
      p += 15;
    }
  return last ? (guint) g_ascii_strtoull (last + 15, NULL, 10) : 0;
}

typedef struct {
  GbTestConsole *console;
  const char *text;
  guint       min_count;
} Wait;

static gboolean
console_shows (gpointer data)
{
  Wait *w = data;

  if (w->text != NULL)
    return strstr (w->console->text->str, w->text) != NULL;
  return last_count (w->console) >= w->min_count;
}

static void
wait_console (GbTestConsole *console,
              const char *text,
              guint       min_count,
              guint       seconds)
{
  Wait w = { console, text, min_count };

  if (!gb_test_wait_until (console_shows, &w, seconds))
    g_error ("Waited %u s for \"%s\" (count %u) on the console; it said:\n%s",
             seconds, text ? text : "", min_count, console->text->str);
}

/* The guest's answer to a command: the rest of the last line that starts
 * with PREFIX, once that whole line has arrived. */
typedef struct {
  GbTestConsole *console;
  const char    *prefix;
} Answer;

static gboolean
answer_complete (gpointer data)
{
  Answer *a = data;
  const char *p = g_strrstr (a->console->text->str, a->prefix);

  return p != NULL && strchr (p, '\n') != NULL;
}

static char *
ask (GbTestConsole *console,
     const char    *command,
     const char    *prefix)
{
  Answer a = { console, prefix };
  const char *p;

  g_string_truncate (console->text, 0);
  console_send (console, command);
  if (!gb_test_wait_until (answer_complete, &a, 60))
    g_error ("No answer to \"%s\"; the console said:\n%s", command, console->text->str);
  p = g_strrstr (console->text->str, prefix) + strlen (prefix);
  return g_strndup (p, strcspn (p, "\r\n"));
}

/* "check": the 18 bytes at the start of /dev/vda; "check2": of /dev/vdb. */
static char *
check_disk (GbTestConsole *console)
{
  return ask (console, "check", "GLASSBOX-DISK:");
}

static char *
check_data_disk (GbTestConsole *console)
{
  return ask (console, "check2", "GLASSBOX-DISK2:");
}

static void
add_disk (GVirConfigDomain *domain,
          const char       *path,
          const char       *target)
{
  GVirConfigDomainDisk *disk = gvir_config_domain_disk_new ();
  GVirConfigDomainDiskDriver *driver = gvir_config_domain_disk_driver_new ();

  gvir_config_domain_disk_set_type (disk, GVIR_CONFIG_DOMAIN_DISK_FILE);
  gvir_config_domain_disk_set_guest_device_type (disk, GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_DISK);
  gvir_config_domain_disk_set_source (disk, path);
  gvir_config_domain_disk_driver_set_name (driver, "qemu");
  gvir_config_domain_disk_driver_set_format (driver, GVIR_CONFIG_DOMAIN_DISK_FORMAT_QCOW2);
  gvir_config_domain_disk_set_driver (disk, driver);
  gvir_config_domain_disk_set_target_bus (disk, GVIR_CONFIG_DOMAIN_DISK_BUS_VIRTIO);
  gvir_config_domain_disk_set_target_dev (disk, target);
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (disk));
  g_object_unref (driver);
  g_object_unref (disk);
}

static char *
domain_xml (const char *kernel,
            const char *initrd,
            const char *disk_path,
            const char *data_path)
{
  GVirConfigDomain *domain = gvir_config_domain_new ();
  GVirConfigDomainOs *os = gvir_config_domain_os_new ();
  GVirConfigDomainSerial *serial = gvir_config_domain_serial_new ();
  GVirConfigDomainConsole *console = gvir_config_domain_console_new ();
  GVirConfigDomainChardevSourcePty *pty = gvir_config_domain_chardev_source_pty_new ();
  GVirConfigDomainChardevSourcePty *pty2 = gvir_config_domain_chardev_source_pty_new ();
  GVirConfigDomainInterface *nic = GVIR_CONFIG_DOMAIN_INTERFACE (gvir_config_domain_interface_user_new ());
  char *features[] = { (char *) "acpi", (char *) "apic", NULL };
  char *xml;

  gvir_config_domain_set_virt_type (domain, GVIR_CONFIG_DOMAIN_VIRT_QEMU);
  gvir_config_domain_set_name (domain, DOMAIN_NAME);
  gvir_config_domain_set_memory (domain, 128 * 1024);  /* KiB: small, so savevm is quick */
  gvir_config_domain_set_vcpus (domain, 1);
  gvir_config_domain_set_features (domain, features);

  gvir_config_domain_os_set_os_type (os, GVIR_CONFIG_DOMAIN_OS_TYPE_HVM);
  gvir_config_domain_os_set_arch (os, "x86_64");
  gvir_config_domain_os_set_kernel (os, kernel);
  gvir_config_domain_os_set_ramdisk (os, initrd);
  gvir_config_domain_os_set_cmdline (os, "console=ttyS0 quiet no_timer_check gb.run=guest-snapshots.sh");
  gvir_config_domain_set_os (domain, os);

  add_disk (domain, disk_path, "vda");
  add_disk (domain, data_path, "vdb");

  gvir_config_domain_interface_set_mac (nic, SOURCE_MAC);
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (nic));

  gvir_config_domain_chardev_set_source (GVIR_CONFIG_DOMAIN_CHARDEV (serial),
                                         GVIR_CONFIG_DOMAIN_CHARDEV_SOURCE (pty));
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (serial));
  gvir_config_domain_chardev_set_source (GVIR_CONFIG_DOMAIN_CHARDEV (console),
                                         GVIR_CONFIG_DOMAIN_CHARDEV_SOURCE (pty2));
  gvir_config_domain_console_set_target_type (console, GVIR_CONFIG_DOMAIN_CONSOLE_TARGET_SERIAL);
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (console));

  xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (domain));
  g_object_unref (nic);
  g_object_unref (pty2);
  g_object_unref (pty);
  g_object_unref (console);
  g_object_unref (serial);
  g_object_unref (os);
  g_object_unref (domain);
  return xml;
}

static void
run_action (GbMachine *machine,
            void     (*async) (GbMachine *, GCancellable *, GAsyncReadyCallback, gpointer),
            gboolean (*finish) (GbMachine *, GAsyncResult *, GError **))
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  async (machine, NULL, gb_test_store_result, &result);
  GB_TEST_WAIT_FOR (result != NULL, 120);
  finish (machine, result, &error);
  g_assert_no_error (error);
}

static void
snap (GbMachine  *machine,
      int         op,
      const char *name)
{
  GbLibvirtMachine *m = GB_LIBVIRT_MACHINE (machine);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();

  if (op == 0)
    gb_libvirt_snapshot_create_async (m, name, "before the marker", FALSE, NULL, gb_test_store_result, &result);
  else if (op == 1)
    gb_libvirt_snapshot_revert_async (m, name, NULL, gb_test_store_result, &result);
  else
    gb_libvirt_snapshot_delete_async (m, name, NULL, gb_test_store_result, &result);
  GB_TEST_WAIT_FOR (result != NULL, 120);
  if (!gb_libvirt_snapshot_finish (m, result, &error))
    g_error ("snapshot %s %s: %s", op == 0 ? "create" : op == 1 ? "revert" : "delete", name, error->message);
  g_test_message ("snapshot %s %s: %.1f s", op == 0 ? "create" : op == 1 ? "revert" : "delete", name,
                  (g_get_monotonic_time () - t0) / 1e6);
}

static GPtrArray *
list (GbMachine *machine)
{
  g_autoptr(GAsyncResult) result = NULL;
  GPtrArray *l;

  gb_libvirt_snapshots_list_async (GB_LIBVIRT_MACHINE (machine), NULL, gb_test_store_result, &result);
  GB_TEST_WAIT_FOR (result != NULL, 60);
  l = gb_libvirt_snapshots_list_finish (GB_LIBVIRT_MACHINE (machine), result, NULL);
  g_assert_nonnull (l);
  return l;
}

static void
test_snapshots_qemu (void)
{
  g_autofree char *tmp = gb_test_tmpdir_new ("gb-snap-XXXXXX");
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "libvirt", "guest-snapshots.sh", NULL);
  g_autofree char *guest_dir = g_build_filename (tmp, "guest", NULL);
  g_autofree char *root = g_build_filename (tmp, "libvirt", NULL);
  g_autofree char *uri = g_strdup_printf ("qemu:///embed?root=%s", root);
  g_autofree char *kernel = g_build_filename (guest_dir, "vmlinuz", NULL);
  g_autofree char *initrd = g_build_filename (guest_dir, "initramfs.img", NULL);
  g_autofree char *disk = g_build_filename (tmp, DOMAIN_NAME ".qcow2", NULL);
  g_autofree char *data = g_build_filename (tmp, DOMAIN_NAME "-data.qcow2", NULL);
  g_autofree char *data_raw = g_build_filename (tmp, "data.raw", NULL);
  g_autofree char *clone_disk = g_build_filename (tmp, DOMAIN_NAME "-clone.qcow2", NULL);
  /* The clone names its second copy after itself too (gb_disk_copy_free_path). */
  g_autofree char *clone_data = g_build_filename (tmp, DOMAIN_NAME "-clone-1.qcow2", NULL);
  g_autofree char *reason = NULL, *xml = NULL, *clone_uuid = NULL;
  g_autoptr(GbProvider) provider = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) snaps = NULL;
  GbTestConsole console = { 0 }, source_console = { 0 };
  GbMachine *machine, *clone;
  virDomainPtr dom;
  guint before_save, after_restore;
  gint64 saved_at;

  if (!gb_test_skip_without_program ("qemu-system-x86_64", NULL) ||
      !gb_test_skip_without_program ("qemu-img", "qemu-utils"))
    return;
  if (!gb_test_build_linux_guest (guest_dir, (const char *[]) { script, NULL }, NULL, &reason))
    {
      g_test_skip (reason);
      return;
    }
  {
    const char *mk[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "16M", NULL };
    /* The data disk starts with a marker the host wrote. */
    const char *conv[] = { "qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", data_raw, data, NULL };
    g_autofree char *block = g_malloc0 (1 << 20);

    memcpy (block, DATA_MARK, strlen (DATA_MARK));
    g_assert_true (g_file_set_contents (data_raw, block, 1 << 20, NULL));
    g_assert_cmpint (gb_test_run (mk, NULL, NULL), ==, 0);
    g_assert_cmpint (gb_test_run (conv, NULL, NULL), ==, 0);
  }

  provider = gb_libvirt_provider_new (uri);
  gb_provider_connect_async (provider, NULL, gb_test_store_result, &result);
  GB_TEST_WAIT_FOR (result != NULL, 150);
  if (!gb_provider_connect_finish (provider, result, &error))
    {
      g_autofree char *why = g_strdup_printf ("libvirt's QEMU driver is not available: %s", error->message);
      g_test_skip (why);
      return;
    }

  xml = domain_xml (kernel, initrd, disk, data);
  dom = virDomainDefineXML (_gb_libvirt_provider_get_handle (provider), xml);
  if (dom == NULL)
    g_error ("Defining the domain: %s", virGetLastErrorMessage ());
  virDomainFree (dom);
  GB_TEST_WAIT_FOR (gb_provider_find_machine (provider, DOMAIN_NAME) != NULL, 30);
  machine = gb_provider_find_machine (provider, DOMAIN_NAME);
  GB_TEST_WAIT_FOR (gb_machine_get_config (machine) != NULL, 30);
  g_assert_true (gb_libvirt_snapshot_can_create (GB_LIBVIRT_MACHINE (machine), FALSE, NULL));

  /* Boot; the counter runs. */
  run_action (machine, gb_machine_start_async, gb_machine_start_finish);
  GB_TEST_WAIT_FOR (gb_machine_get_state (machine) == GB_MACHINE_STATE_RUNNING, 60);
  gb_test_console_open (&console, _gb_libvirt_machine_get_handle (GB_LIBVIRT_MACHINE (machine)));
  wait_console (&console, NULL, 3, 120);
  {
    g_autofree char *d = check_disk (&console);
    g_autofree char *d2 = check_data_disk (&console);
    g_assert_cmpstr (d, ==, "..................");
    g_assert_cmpstr (d2, ==, DATA_MARK);
  }

  /* Snapshot, marker, revert: the marker is gone. */
  g_assert_true (gb_libvirt_snapshot_can_create (GB_LIBVIRT_MACHINE (machine), FALSE, NULL));
  snap (machine, 0, "before");
  console_send (&console, "mark");
  wait_console (&console, "GLASSBOX-MARKED", 0, 60);
  {
    g_autofree char *d = check_disk (&console);
    g_assert_cmpstr (d, ==, "GLASSBOX-DISK-MARK");
  }
  snaps = list (machine);
  g_assert_cmpuint (snaps->len, ==, 1);
  g_assert_cmpstr (((GbSnapshotInfo *) snaps->pdata[0])->state, ==, "running");
  g_assert_false (((GbSnapshotInfo *) snaps->pdata[0])->external);

  snap (machine, 1, "before");
  GB_TEST_WAIT_FOR (gb_machine_get_state (machine) == GB_MACHINE_STATE_RUNNING, 60);
  gb_test_console_close (&console);
  gb_test_console_open (&console, _gb_libvirt_machine_get_handle (GB_LIBVIRT_MACHINE (machine)));
  {
    g_autofree char *d = check_disk (&console);
    g_test_message ("the disk after the revert: %s", d);
    g_assert_cmpstr (d, ==, "..................");
  }

  snap (machine, 2, "before");
  g_clear_pointer (&snaps, g_ptr_array_unref);
  snaps = list (machine);
  g_assert_cmpuint (snaps->len, ==, 0);

  /* Managed save and restore: the counter goes on. */
  wait_console (&console, NULL, last_count (&console) + 3, 60);
  {
    g_autoptr(GAsyncResult) saved = NULL;

    gb_libvirt_machine_save_async (GB_LIBVIRT_MACHINE (machine), NULL, gb_test_store_result, &saved);
    GB_TEST_WAIT_FOR (saved != NULL, 120);
    g_assert_true (gb_libvirt_machine_save_finish (GB_LIBVIRT_MACHINE (machine), saved, &error));
    g_assert_no_error (error);
  }
  GB_TEST_WAIT_FOR (console.eof || gb_machine_get_state (machine) == GB_MACHINE_STATE_SHUTOFF, 60);
  before_save = last_count (&console);
  gb_test_console_close (&console);
  GB_TEST_WAIT_FOR (gb_machine_get_state (machine) == GB_MACHINE_STATE_SHUTOFF, 60);
  GB_TEST_WAIT_FOR (gb_machine_get_saved_at (machine) != 0, 30);
  g_assert_true (gb_libvirt_machine_has_saved_state (GB_LIBVIRT_MACHINE (machine), &saved_at));
  g_assert_cmpint (saved_at, >, 0);
  g_test_message ("saved at count %u", before_save);

  run_action (machine, gb_machine_start_async, gb_machine_start_finish);
  GB_TEST_WAIT_FOR (gb_machine_get_state (machine) == GB_MACHINE_STATE_RUNNING, 60);
  gb_test_console_open (&console, _gb_libvirt_machine_get_handle (GB_LIBVIRT_MACHINE (machine)));
  wait_console (&console, NULL, 1, 60);
  after_restore = last_count (&console);
  g_test_message ("first count after restore: %u", after_restore);
  /* Continues: never back to the first counts of a fresh boot. */
  g_assert_cmpuint (after_restore, >, before_save);
  g_assert_cmpuint (after_restore, <, before_save + 100);
  GB_TEST_WAIT_FOR (gb_machine_get_saved_at (machine) == 0, 30);

  /* Off, then cloned (full copies): a new UUID and MAC, both disks are
   * copies, and it boots seeing both. */
  console_send (&console, "off");
  GB_TEST_WAIT_FOR (gb_machine_get_state (machine) == GB_MACHINE_STATE_SHUTOFF, 60);
  gb_test_console_close (&console);
  {
    g_autoptr(GAsyncResult) cloned = NULL;
    g_autofree char *clone_xml = NULL;
    const char *cmp[] = { "qemu-img", "compare", "-q", disk, clone_disk, NULL };
    const char *cmp_data[] = { "qemu-img", "compare", "-q", data, clone_data, NULL };
    gint64 t0 = g_get_monotonic_time ();

    gb_libvirt_machine_clone_async (GB_LIBVIRT_MACHINE (machine), DOMAIN_NAME "-clone", FALSE, NULL, NULL,
                                    NULL, gb_test_store_result, &cloned);
    GB_TEST_WAIT_FOR (cloned != NULL, 120);
    clone_uuid = gb_libvirt_machine_clone_finish (GB_LIBVIRT_MACHINE (machine), cloned, &error);
    g_assert_no_error (error);
    g_test_message ("clone: %.1f s", (g_get_monotonic_time () - t0) / 1e6);
    g_assert_cmpstr (clone_uuid, !=, gb_machine_get_uuid (machine));

    dom = virDomainLookupByUUIDString (_gb_libvirt_provider_get_handle (provider), clone_uuid);
    g_assert_nonnull (dom);
    clone_xml = virDomainGetXMLDesc (dom, VIR_DOMAIN_XML_INACTIVE);
    virDomainFree (dom);
    g_assert_nonnull (clone_xml);
    g_assert_null (strstr (clone_xml, SOURCE_MAC));
    g_assert_nonnull (strstr (clone_xml, "<mac address='52:54:00:"));
    g_assert_nonnull (strstr (clone_xml, clone_disk));
    g_assert_nonnull (strstr (clone_xml, clone_data));
    g_assert_null (strstr (clone_xml, "'" DOMAIN_NAME ".qcow2'"));
    g_assert_null (strstr (clone_xml, data));
    g_assert_cmpint (gb_test_run (cmp, NULL, NULL), ==, 0);
    g_assert_cmpint (gb_test_run (cmp_data, NULL, NULL), ==, 0);
  }
  GB_TEST_WAIT_FOR ((clone = gb_provider_find_machine (provider, clone_uuid)) != NULL, 30);
  GB_TEST_WAIT_FOR (gb_machine_get_config (clone) != NULL, 30);
  g_assert_cmpstr (gb_machine_get_name (clone), ==, DOMAIN_NAME "-clone");
  run_action (clone, gb_machine_start_async, gb_machine_start_finish);
  GB_TEST_WAIT_FOR (gb_machine_get_state (clone) == GB_MACHINE_STATE_RUNNING, 60);
  gb_test_console_open (&console, _gb_libvirt_machine_get_handle (GB_LIBVIRT_MACHINE (clone)));
  wait_console (&console, NULL, 2, 120);
  {
    g_autofree char *disks = ask (&console, "disks", "GLASSBOX-DISKS ");
    g_autofree char *d = check_disk (&console);
    g_autofree char *d2 = check_data_disk (&console);

    g_assert_cmpstr (disks, ==, "vda vdb END");
    /* The marker written before the revert is not on the clone's disk either. */
    g_assert_cmpstr (d, ==, "..................");
    g_assert_cmpstr (d2, ==, DATA_MARK);
  }
  /* The clone writes over its data disk's marker... */
  console_send (&console, "mark2");
  wait_console (&console, "GLASSBOX-MARKED2", 0, 60);
  {
    g_autofree char *d2 = check_data_disk (&console);
    g_assert_cmpstr (d2, ==, "GLASSBOX-DISK-MARK");
  }
  /* ...and the source, started beside it, boots, sees both its disks and
   * still reads the host's marker on its own. */
  run_action (machine, gb_machine_start_async, gb_machine_start_finish);
  GB_TEST_WAIT_FOR (gb_machine_get_state (machine) == GB_MACHINE_STATE_RUNNING, 60);
  gb_test_console_open (&source_console, _gb_libvirt_machine_get_handle (GB_LIBVIRT_MACHINE (machine)));
  wait_console (&source_console, NULL, 2, 120);
  {
    g_autofree char *disks = ask (&source_console, "disks", "GLASSBOX-DISKS ");
    g_autofree char *d2 = check_data_disk (&source_console);

    g_assert_cmpstr (disks, ==, "vda vdb END");
    g_assert_cmpstr (d2, ==, DATA_MARK);
  }
  console_send (&source_console, "off");
  GB_TEST_WAIT_FOR (gb_machine_get_state (machine) == GB_MACHINE_STATE_SHUTOFF, 60);
  gb_test_console_close (&source_console);
  /* The images say the same: the data disks differ now, the system disks
   * do not (-U: the clone still runs). */
  {
    const char *cmp[] = { "qemu-img", "compare", "-q", "-U", disk, clone_disk, NULL };
    const char *cmp_data[] = { "qemu-img", "compare", "-q", "-U", data, clone_data, NULL };

    g_assert_cmpint (gb_test_run (cmp, NULL, NULL), ==, 0);
    g_assert_cmpint (gb_test_run (cmp_data, NULL, NULL), ==, 1);
  }
  /* A disk-only external snapshot of the running clone: an overlay file;
   * reverting to it is refused before asking on libvirt < 9.9. */
  {
    g_autoptr(GAsyncResult) made = NULL;
    g_autoptr(GPtrArray) ext = NULL;
    g_autofree char *why = NULL;
    unsigned long version = 0;
    GbSnapshotInfo *info;

    g_assert_true (gb_libvirt_snapshot_can_create (GB_LIBVIRT_MACHINE (clone), TRUE, NULL));
    gb_libvirt_snapshot_create_async (GB_LIBVIRT_MACHINE (clone), "outside", NULL, TRUE, NULL,
                                      gb_test_store_result, &made);
    GB_TEST_WAIT_FOR (made != NULL, 120);
    if (!gb_libvirt_snapshot_finish (GB_LIBVIRT_MACHINE (clone), made, &error))
      g_error ("disk-only snapshot: %s", error->message);
    ext = list (clone);
    g_assert_cmpuint (ext->len, ==, 1);
    info = ext->pdata[0];
    g_assert_true (info->external);
    g_assert_cmpstr (info->state, ==, "disk-snapshot");
    g_assert_cmpint (virConnectGetLibVersion (_gb_libvirt_provider_get_handle (provider), &version), ==, 0);
    if (version < 9009000)
      {
        g_assert_false (gb_libvirt_snapshot_can_revert (GB_LIBVIRT_MACHINE (clone), info, &why));
        g_test_message ("refused: %s", why);
      }
  }
  console_send (&console, "off");
  GB_TEST_WAIT_FOR (gb_machine_get_state (clone) == GB_MACHINE_STATE_SHUTOFF, 60);
  gb_test_console_close (&console);

  gb_provider_disconnect (provider);
  g_clear_object (&provider);
  gb_test_tmpdir_remove (tmp);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  gb_test_libvirt_init ();

  g_test_add_func ("/libvirt/snapshots-qemu", test_snapshots_qemu);

  return g_test_run ();
}
