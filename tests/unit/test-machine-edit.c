/* test-machine-edit.c — editing a libvirt machine (gb-libvirt-edit) on test:///default
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each change is applied to a stopped machine through the same call the
 * details page makes; the persistent XML before and after is compared line
 * by line, and exactly the expected lines may differ.  virt-xml-validate
 * checks the result where libvirt-clients is installed.  The driver's own
 * running domain "test" takes the live changes (setvcpus, setmem).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "gb-libvirt-edit.h"
#include "gb-libvirt-machine.h"
#include "gb-libvirt-private.h"
#include "gb-libvirt-provider.h"
#include "gb-test-libvirt.h"
#include "gb-test-utils.h"

#define TEST_URI "test:///default"
#define WAIT_FOR(cond) GB_TEST_WAIT_FOR (cond, 30)

static GbProvider *provider;
static virConnectPtr raw;
static char *tmpdir;

static const char *machine_xml =
  "<domain type='test'>\n"
  "  <name>edit-me</name>\n"
  "  <uuid>5e1f0c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b</uuid>\n"
  "  <memory unit='KiB'>1048576</memory>\n"
  "  <currentMemory unit='KiB'>1048576</currentMemory>\n"
  "  <vcpu placement='static'>2</vcpu>\n"
  "  <os><type arch='x86_64'>hvm</type></os>\n"
  "  <devices>\n"
  "    <disk type='file' device='disk'>\n"
  "      <driver name='qemu' type='qcow2'/>\n"
  "      <source file='/var/lib/glassbox-test/root.qcow2'/>\n"
  "      <target dev='vda' bus='virtio'/>\n"
  "    </disk>\n"
  "    <disk type='file' device='cdrom'>\n"
  "      <driver name='qemu' type='raw'/>\n"
  "      <source file='/var/lib/glassbox-test/install.iso'/>\n"
  "      <target dev='sda' bus='sata'/>\n"
  "      <readonly/>\n"
  "    </disk>\n"
  "    <interface type='network'>\n"
  "      <mac address='52:54:00:aa:bb:01'/>\n"
  "      <source network='default'/>\n"
  "      <model type='virtio'/>\n"
  "    </interface>\n"
  "  </devices>\n"
  "</domain>\n";

static char *
inactive_xml (const char *name)
{
  virDomainPtr dom = virDomainLookupByName (raw, name);
  char *xml;

  g_assert_nonnull (dom);
  xml = virDomainGetXMLDesc (dom, VIR_DOMAIN_XML_INACTIVE);
  virDomainFree (dom);
  g_assert_nonnull (xml);
  return xml;
}

/* Lines only in @a, then " | ", then lines only in @b (both stripped, in order). */
static char *
line_diff (const char *a,
           const char *b)
{
  g_auto(GStrv) la = g_strsplit (a, "\n", -1);
  g_auto(GStrv) lb = g_strsplit (b, "\n", -1);
  g_autoptr(GHashTable) ca = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) cb = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; la[i]; i++)
    {
      g_strstrip (la[i]);
      g_hash_table_insert (ca, la[i], GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (ca, la[i])) + 1));
    }
  for (guint i = 0; lb[i]; i++)
    {
      g_strstrip (lb[i]);
      g_hash_table_insert (cb, lb[i], GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (cb, lb[i])) + 1));
    }

  for (guint i = 0; la[i]; i++)
    {
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (cb, la[i]));
      if (n > 0)
        g_hash_table_insert (cb, la[i], GUINT_TO_POINTER (n - 1));
      else if (*la[i])
        g_string_append_printf (out, "%s%s", out->len ? "\n" : "", la[i]);
    }
  g_string_append (out, out->len ? "\n|" : "|");
  for (guint i = 0; lb[i]; i++)
    {
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (ca, lb[i]));
      if (n > 0)
        g_hash_table_insert (ca, lb[i], GUINT_TO_POINTER (n - 1));
      else if (*lb[i])
        g_string_append_printf (out, "\n%s", lb[i]);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
validate (const char *xml)
{
  g_autofree char *file = g_build_filename (tmpdir, "domain.xml", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *argv[] = { "virt-xml-validate", file, "domain", NULL };

  if (!gb_test_have_program ("virt-xml-validate"))
    {
      /* Part of this test cannot run here: it says so (the rest still runs). */
      g_test_skip ("virt-xml-validate (libvirt-clients) is not installed: the definition is not checked against libvirt's schema");
      return;
    }
  g_assert_true (g_file_set_contents (file, xml, -1, NULL));
  if (gb_test_run (argv, &out, &err) != 0)
    g_error ("virt-xml-validate refused the definition: %s%s\n%s", out, err, xml);
}

static char *last_after;   /* the XML check_change() saw last */

static GbMachine *
machine (const char *name)
{
  GbMachine *m = NULL;

  WAIT_FOR ((m = gb_provider_find_machine (provider, name)) != NULL);
  return m;
}

static GStrv
apply (GbMachine      *m,
       GbMachineEdit  *edit,
       GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  gb_libvirt_edit_apply_async (m, edit, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  return gb_libvirt_edit_apply_finish (m, result, error);
}

/* Applies @edit to the stopped "edit-me" and checks the XML changed by
 * exactly @expected (line_diff's form); then puts the machine back. */
static void
check_change (GbMachineEdit *edit,
              const char    *expected)
{
  GbMachine *m = machine ("edit-me");
  g_autofree char *before = inactive_xml ("edit-me");
  g_autofree char *after = NULL;
  g_autofree char *diff = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) notes = NULL;
  virDomainPtr dom;

  notes = apply (m, edit, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (notes), ==, 0); /* stopped: nothing waits */

  after = inactive_xml ("edit-me");
  diff = line_diff (before, after);
  g_assert_cmpstr (diff, ==, expected);
  validate (after);
  g_free (last_after);
  last_after = g_strdup (after);

  /* Back to the start for the next change. */
  dom = virDomainDefineXML (raw, before);
  g_assert_nonnull (dom);
  virDomainFree (dom);
}

static void
test_setup (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  virDomainPtr dom;

  gb_provider_connect_async (provider, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  g_assert_true (gb_provider_connect_finish (provider, result, &error));
  g_assert_no_error (error);

  dom = virDomainDefineXML (raw, machine_xml);
  g_assert_nonnull (dom);
  virDomainFree (dom);
  machine ("edit-me");
}

static void
test_load (void)
{
  GbMachine *m = machine ("edit-me");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GbEditState) state = NULL;
  g_autoptr(GError) error = NULL;

  gb_libvirt_edit_load_async (m, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  state = gb_libvirt_edit_load_finish (m, result, &error);
  g_assert_no_error (error);
  g_assert_false (state->running);
  g_assert_false (state->autostart);
  g_assert_cmpuint (state->vcpus, ==, 2);
  g_assert_cmpuint (state->max_vcpus, ==, 2);
  g_assert_cmpuint (state->memory_kib, ==, 1048576);
  g_assert_cmpuint (state->max_memory_kib, ==, 1048576);
  g_assert_null (state->title);
  g_assert_cmpuint (gb_machine_config_get_disks (state->config)->len, ==, 2);
  g_assert_cmpuint (gb_machine_config_get_nics (state->config)->len, ==, 1);
}

/* The Settings page goes through GbMachine (gb-machine-edit.h): a libvirt
 * machine offers the XML definition and the Devices tab, and loads the same
 * definition through the dispatcher as through gb-libvirt-edit.c. */
static void
test_through_machine (void)
{
  GbMachine *m = machine ("edit-me");
  GbEditCaps caps = gb_machine_edit_get_caps (m);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GbEditState) state = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (gb_machine_edit_supported (m));
  g_assert_cmpuint (caps & GB_EDIT_CAP_DEFINE_XML, !=, 0);
  g_assert_cmpuint (caps & GB_EDIT_CAP_DEVICES, !=, 0);
  g_assert_cmpuint (caps & GB_EDIT_CAP_USB, !=, 0);
  g_assert_cmpuint (caps & (GB_EDIT_CAP_LOAD_NOW | GB_EDIT_CAP_KERNEL | GB_EDIT_CAP_NIC_BY_PLACE), ==, 0);
  g_assert_cmpint (!!(caps & GB_EDIT_CAP_SHARES), ==, gb_libvirt_edit_have_virtiofsd ());
  g_assert_cmpint (!!(caps & GB_EDIT_CAP_TPM), ==, gb_libvirt_edit_have_swtpm ());
  g_assert_null (gb_machine_edit_load_now (m, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);

  gb_machine_edit_load_async (m, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  state = gb_machine_edit_load_finish (m, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (state);
  g_assert_cmpuint (state->max_vcpus, ==, 2);
  g_assert_cmpuint (state->memory_kib, ==, 1048576);
  g_assert_nonnull (strstr (state->xml, "<name>edit-me</name>"));
}

static void
test_vcpus (void)
{
  g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();

  edit->fields = GB_EDIT_VCPUS;
  edit->vcpus = 2;
  edit->max_vcpus = 4;
  check_change (edit,
                "<vcpu placement='static'>2</vcpu>\n|\n"
                "<vcpu placement='static' current='2'>4</vcpu>");
}

static void
test_topology (void)
{
  g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
  g_autoptr(GbMachineEdit) wrong = gb_machine_edit_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) notes = NULL;

  edit->fields = GB_EDIT_VCPUS;
  edit->vcpus = 4;
  edit->max_vcpus = 4;
  edit->sockets = 1;
  edit->cores = 2;
  edit->threads = 2;
  check_change (edit,
                "<vcpu placement='static'>2</vcpu>\n|\n"
                "<vcpu placement='static'>4</vcpu>\n"
                "<cpu>\n"
                "<topology sockets='1' dies='1' cores='2' threads='2'/>\n"
                "</cpu>");

  /* 1 × 2 × 2 is not 6. */
  wrong->fields = GB_EDIT_VCPUS;
  wrong->vcpus = wrong->max_vcpus = 6;
  wrong->sockets = 1;
  wrong->cores = 2;
  wrong->threads = 2;
  notes = apply (machine ("edit-me"), wrong, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
test_memory (void)
{
  g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();

  edit->fields = GB_EDIT_MEMORY;
  edit->memory_kib = 524288;
  edit->max_memory_kib = 2097152;
  check_change (edit,
                "<memory unit='KiB'>1048576</memory>\n"
                "<currentMemory unit='KiB'>1048576</currentMemory>\n|\n"
                "<memory unit='KiB'>2097152</memory>\n"
                "<currentMemory unit='KiB'>524288</currentMemory>");
}

static void
test_title_description (void)
{
  g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();

  edit->fields = GB_EDIT_TITLE | GB_EDIT_DESCRIPTION;
  edit->title = g_strdup ("Build box");
  edit->description = g_strdup ("Compiles & tests <things>");
  check_change (edit,
                "|\n"
                "<title>Build box</title>\n"
                "<description>Compiles &amp; tests &lt;things&gt;</description>");
}

static void
test_add_disk (void)
{
  g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
  GbEditDisk *disk = g_new0 (GbEditDisk, 1);

  disk->path = g_strdup ("/var/lib/glassbox-test/data.qcow2");
  disk->device = g_strdup ("disk");
  disk->bus = g_strdup ("virtio");
  disk->cache = g_strdup ("none");
  disk->read_only = TRUE;
  g_ptr_array_add (edit->add_disks, disk);
  check_change (edit,
                "|\n"
                "<disk type='file' device='disk'>\n"
                "<driver name='qemu' type='qcow2' cache='none'/>\n"
                "<source file='/var/lib/glassbox-test/data.qcow2'/>\n"
                "<target dev='vdb' bus='virtio'/>\n"
                "<readonly/>\n"
                "</disk>");
}

/* A new image: a qcow2 volume of the pool that holds its folder (the test
 * driver's "default-pool" at /default-pool); gone again when the
 * definition is refused. */
static void
test_new_image (void)
{
  g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
  g_autoptr(GbMachineEdit) clash = gb_machine_edit_new ();
  GbEditDisk *disk = g_new0 (GbEditDisk, 1);
  virStorageVolPtr vol;

  disk->path = g_strdup ("/default-pool/edit-new.qcow2");
  disk->device = g_strdup ("disk");
  disk->bus = g_strdup ("virtio");
  disk->new_size = 1024 * 1024 * 1024;
  g_ptr_array_add (edit->add_disks, disk);
  check_change (edit,
                "|\n"
                "<disk type='file' device='disk'>\n"
                "<driver name='qemu' type='qcow2'/>\n"
                "<source file='/default-pool/edit-new.qcow2'/>\n"
                "<target dev='vdb' bus='virtio'/>\n"
                "</disk>");
  vol = virStorageVolLookupByPath (raw, "/default-pool/edit-new.qcow2");
  g_assert_nonnull (vol);
  {
    virStorageVolInfo info;

    g_assert_cmpint (virStorageVolGetInfo (vol, &info), ==, 0);
    g_assert_cmpuint (info.capacity, ==, 1024 * 1024 * 1024);
  }
  g_assert_cmpint (virStorageVolDelete (vol, 0), ==, 0);
  virStorageVolFree (vol);

  /* Refused (two disks on vda): the image made for it is deleted. */
  disk = g_new0 (GbEditDisk, 1);
  disk->path = g_strdup ("/default-pool/edit-clash.qcow2");
  disk->target = g_strdup ("vda");
  disk->new_size = 1024 * 1024;
  g_ptr_array_add (clash->add_disks, disk);
  {
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) notes = apply (machine ("edit-me"), clash, &error);

    g_assert_null (notes);
    g_assert_nonnull (error);
  }
  vol = virStorageVolLookupByPath (raw, "/default-pool/edit-clash.qcow2");
  g_assert_null (vol);
  virResetLastError ();
}

/* An existing disk's bus (a new name on it), cache and read-only. */
static void
test_modify_disk (void)
{
  g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
  GbEditDisk *mod = g_new0 (GbEditDisk, 1);

  mod->target = g_strdup ("vda");
  mod->bus = g_strdup ("sata");
  mod->cache = g_strdup ("writeback");
  mod->read_only = TRUE;
  g_ptr_array_add (edit->modify_disks, mod);
  /* sda is the CD/DVD's: the disk becomes sdb, and libvirt gives it its
   * place on the SATA controller. */
  check_change (edit,
                "<driver name='qemu' type='qcow2'/>\n"
                "<target dev='vda' bus='virtio'/>\n|\n"
                "<driver name='qemu' type='qcow2' cache='writeback'/>\n"
                "<target dev='sdb' bus='sata'/>\n"
                "<readonly/>\n"
                "<address type='drive' controller='0' bus='0' target='0' unit='1'/>");
}

static void
test_remove_disk (void)
{
  g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();

  g_ptr_array_add (edit->remove_disks, g_strdup ("vda"));
  check_change (edit,
                "<disk type='file' device='disk'>\n"
                "<driver name='qemu' type='qcow2'/>\n"
                "<source file='/var/lib/glassbox-test/root.qcow2'/>\n"
                "<target dev='vda' bus='virtio'/>\n"
                "</disk>\n|");
}

static void
test_eject_insert (void)
{
  g_autoptr(GbMachineEdit) eject = gb_machine_edit_new ();
  g_autoptr(GbMachineEdit) insert = gb_machine_edit_new ();
  GbEditDisk *media = g_new0 (GbEditDisk, 1);

  media->target = g_strdup ("sda");
  g_ptr_array_add (eject->media, media);
  check_change (eject, "<source file='/var/lib/glassbox-test/install.iso'/>\n|");

  media = g_new0 (GbEditDisk, 1);
  media->target = g_strdup ("sda");
  media->path = g_strdup ("/var/lib/glassbox-test/other.iso");
  g_ptr_array_add (insert->media, media);
  check_change (insert,
                "<source file='/var/lib/glassbox-test/install.iso'/>\n|\n"
                "<source file='/var/lib/glassbox-test/other.iso'/>");
}

static void
test_nics (void)
{
  g_autoptr(GbMachineEdit) add = gb_machine_edit_new ();
  g_autoptr(GbMachineEdit) remove = gb_machine_edit_new ();
  GbEditNic *nic = g_new0 (GbEditNic, 1);

  nic->type = g_strdup ("bridge");
  nic->source = g_strdup ("br0");
  nic->model = g_strdup ("e1000e");
  nic->mac = g_strdup ("52:54:00:aa:bb:02");
  g_ptr_array_add (add->add_nics, nic);
  /* The test driver names the tap itself (<target dev='testnet1'/>). */
  check_change (add,
                "|\n"
                "<interface type='bridge'>\n"
                "<mac address='52:54:00:aa:bb:02'/>\n"
                "<source bridge='br0'/>\n"
                "<target dev='testnet1'/>\n"
                "<model type='e1000e'/>\n"
                "</interface>");

  g_ptr_array_add (remove->remove_nics, g_strdup ("52:54:00:AA:BB:01"));
  check_change (remove,
                "<interface type='network'>\n"
                "<mac address='52:54:00:aa:bb:01'/>\n"
                "<source network='default'/>\n"
                "<target dev='testnet0'/>\n"
                "<model type='virtio'/>\n"
                "</interface>\n|");
}

static void
test_boot (void)
{
  g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
  const char *order[] = { "cdrom", "hd", NULL };

  edit->fields = GB_EDIT_BOOT;
  edit->boot_order = g_strdupv ((char **) order);
  edit->boot_menu = TRUE;
  check_change (edit, "|\n<boot dev='cdrom'/>\n<bootmenu enable='yes'/>");
  /* In that order. */
  g_assert_nonnull (strstr (last_after, "<boot dev='cdrom'/>\n    <boot dev='hd'/>"));
}

static void
test_firmware (void)
{
  g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();

  edit->fields = GB_EDIT_FIRMWARE;
  edit->firmware = g_strdup ("efi");
  check_change (edit, "<os>\n|\n<os firmware='efi'>");
}

static GbEditState *
load (GbMachine *m)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GbEditState *state;

  gb_libvirt_edit_load_async (m, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  state = gb_libvirt_edit_load_finish (m, result, &error);
  g_assert_no_error (error);
  return state;
}

static gboolean
run_action (GbMachine   *m,
            void       (*action) (GbMachine *, GCancellable *, GAsyncReadyCallback, gpointer),
            gboolean   (*finish) (GbMachine *, GAsyncResult *, GError **))
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  action (m, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  ok = finish (m, result, &error);
  g_assert_no_error (error);
  return ok;
}

/* The firmware is chosen before the first start (virt-manager's rule): a
 * machine never started may change it; once Glassbox started it, the
 * editor says why not and Apply refuses, leaving the definition alone. */
static void
test_firmware_first_start (void)
{
  static const char xml[] =
    "<domain type='test'><name>fw-first</name><memory>65536</memory>"
    "<os><type arch='x86_64'>hvm</type></os></domain>";
  g_autoptr(GbMachineEdit) efi = gb_machine_edit_new ();
  g_autoptr(GbMachineEdit) bios = gb_machine_edit_new ();
  g_autoptr(GbEditState) fresh = NULL, started = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) notes = NULL;
  g_autofree char *before = NULL, *after = NULL;
  virDomainPtr dom = virDomainDefineXML (raw, xml);
  GbMachine *m;

  g_assert_nonnull (dom);
  virDomainFree (dom);
  m = machine ("fw-first");
  fresh = load (m);
  g_assert_false (fresh->ever_started);

  efi->fields = GB_EDIT_FIRMWARE;
  efi->firmware = g_strdup ("efi");
  bios->fields = GB_EDIT_FIRMWARE;
  bios->firmware = g_strdup ("bios");
  notes = apply (m, efi, &error);
  g_assert_no_error (error);
  g_clear_pointer (&notes, g_strfreev);
  notes = apply (m, bios, &error);
  g_assert_no_error (error);
  g_clear_pointer (&notes, g_strfreev);

  g_assert_true (run_action (m, gb_machine_start_async, gb_machine_start_finish));
  WAIT_FOR (gb_machine_get_state (m) == GB_MACHINE_STATE_RUNNING);
  g_assert_true (run_action (m, gb_machine_force_off_async, gb_machine_force_off_finish));
  WAIT_FOR (gb_machine_get_state (m) == GB_MACHINE_STATE_SHUTOFF);

  started = load (m);
  g_assert_true (started->ever_started);
  before = inactive_xml ("fw-first");
  notes = apply (m, efi, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "first starts"));
  after = inactive_xml ("fw-first");
  g_assert_cmpstr (before, ==, after);
}

static void
test_cpu_model (void)
{
  g_autoptr(GbMachineEdit) passthrough = gb_machine_edit_new ();
  g_autoptr(GbMachineEdit) named = gb_machine_edit_new ();

  passthrough->fields = GB_EDIT_CPU_MODEL;
  passthrough->cpu_mode = g_strdup ("host-passthrough");
  check_change (passthrough, "|\n<cpu mode='host-passthrough'/>");

  named->fields = GB_EDIT_CPU_MODEL;
  named->cpu_mode = g_strdup ("custom");
  named->cpu_model = g_strdup ("qemu64");
  check_change (named,
                "|\n<cpu mode='custom' match='exact'>\n"
                "<model fallback='forbid'>qemu64</model>\n"
                "</cpu>");
}

static void
test_devices (void)
{
  g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();

  edit->fields = GB_EDIT_VIDEO | GB_EDIT_SOUND | GB_EDIT_RNG | GB_EDIT_TPM | GB_EDIT_SERIAL;
  edit->video_model = g_strdup ("virtio");
  edit->sound_model = g_strdup ("ich9");
  edit->rng = TRUE;
  edit->tpm = TRUE;
  edit->serial = TRUE;
  /* libvirt adds the console's and the video's defaults. */
  check_change (edit,
                "|\n<serial type='pty'>\n<target port='0'/>\n</serial>\n"
                "<console type='pty'>\n<target type='serial' port='0'/>\n</console>\n"
                "<tpm model='tpm-crb'>\n<backend type='emulator' version='2.0'/>\n</tpm>\n"
                "<sound model='ich9'/>\n"
                "<video>\n<model type='virtio' heads='1' primary='yes'/>\n</video>\n"
                "<rng model='virtio'>\n<backend model='random'>/dev/urandom</backend>\n</rng>");

  /* Added, then taken away again: the definition is what it was. */
  {
    GbMachine *m = machine ("edit-me");
    g_autofree char *before = inactive_xml ("edit-me");
    g_autofree char *after = NULL;
    g_autoptr(GbMachineEdit) remove = gb_machine_edit_new ();
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) n1 = NULL;
    g_auto(GStrv) n2 = NULL;

    n1 = apply (m, edit, &error);
    g_assert_no_error (error);
    remove->fields = edit->fields;
    remove->video_model = g_strdup ("none");
    n2 = apply (m, remove, &error);
    g_assert_no_error (error);
    after = inactive_xml ("edit-me");
    g_assert_cmpstr (after, ==, before);
  }
}

static void
test_share_and_usb (void)
{
  g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
  GbEditShare *share = g_new0 (GbEditShare, 1);
  GbEditUsb *usb = g_new0 (GbEditUsb, 1);

  share->source = g_strdup ("/srv/shared");
  share->tag = g_strdup ("shared");
  g_ptr_array_add (edit->add_shares, share);
  usb->vendor = g_strdup ("0x046d");
  usb->product = g_strdup ("0xc52b");
  g_ptr_array_add (edit->add_usb, usb);
  /* virtiofs needs shared guest memory: <memoryBacking> comes with it. */
  check_change (edit,
                "|\n<memoryBacking>\n<source type='memfd'/>\n<access mode='shared'/>\n</memoryBacking>\n"
                "<filesystem type='mount' accessmode='passthrough'>\n<driver type='virtiofs'/>\n"
                "<source dir='/srv/shared'/>\n<target dir='shared'/>\n</filesystem>\n"
                "<hostdev mode='subsystem' type='usb' managed='yes'>\n<source>\n"
                "<vendor id='0x046d'/>\n<product id='0xc52b'/>\n</source>\n</hostdev>");

  /* Added and removed again: only <memoryBacking> stays (other shares
   * may need it; libvirt keeps what it was given). */
  {
    GbMachine *m = machine ("edit-me");
    g_autofree char *before = inactive_xml ("edit-me");
    g_autofree char *after = NULL;
    g_autofree char *diff = NULL;
    g_autoptr(GbMachineEdit) remove = gb_machine_edit_new ();
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GbEditState) state = NULL;
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) n1 = NULL;
    g_auto(GStrv) n2 = NULL;
    virDomainPtr dom;

    n1 = apply (m, edit, &error);
    g_assert_no_error (error);

    /* What the page reads back. */
    gb_libvirt_edit_load_async (m, NULL, gb_test_store_result, &result);
    WAIT_FOR (result != NULL);
    state = gb_libvirt_edit_load_finish (m, result, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (state->shares->len, ==, 1);
    g_assert_cmpstr (((GbEditShare *) g_ptr_array_index (state->shares, 0))->tag, ==, "shared");
    g_assert_cmpuint (state->usb->len, ==, 1);
    g_assert_cmpstr (((GbEditUsb *) g_ptr_array_index (state->usb, 0))->product, ==, "0xc52b");

    g_ptr_array_add (remove->remove_shares, g_strdup ("shared"));
    g_ptr_array_add (remove->remove_usb, g_strdup ("0x046D:0xC52B"));
    n2 = apply (m, remove, &error);
    g_assert_no_error (error);
    after = inactive_xml ("edit-me");
    diff = line_diff (before, after);
    g_assert_cmpstr (diff, ==, "|\n<memoryBacking>\n<source type='memfd'/>\n<access mode='shared'/>\n</memoryBacking>");
    dom = virDomainDefineXML (raw, before);
    g_assert_nonnull (dom);
    virDomainFree (dom);
  }
}

static void
test_modify_nic (void)
{
  g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
  GbEditNic *mod = g_new0 (GbEditNic, 1);

  mod->mac = g_strdup ("52:54:00:aa:bb:01");
  mod->type = g_strdup ("bridge");
  mod->source = g_strdup ("br0");
  mod->model = g_strdup ("e1000e");
  g_ptr_array_add (edit->modify_nics, mod);
  /* The test driver names the tap again (testnet0). */
  check_change (edit,
                "<interface type='network'>\n"
                "<source network='default'/>\n"
                "<model type='virtio'/>\n|\n"
                "<interface type='bridge'>\n"
                "<source bridge='br0'/>\n"
                "<model type='e1000e'/>");
}

/* A definition libvirt refuses changes nothing, and says libvirt's reason. */
static void
test_refused (void)
{
  GbMachine *m = machine ("edit-me");
  g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
  g_autofree char *before = inactive_xml ("edit-me");
  g_autofree char *after = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) notes = NULL;
  GbEditDisk *disk = g_new0 (GbEditDisk, 1);

  /* Two disks with one target: libvirt refuses the definition. */
  disk->path = g_strdup ("/var/lib/glassbox-test/clash.raw");
  disk->target = g_strdup ("vda");
  g_ptr_array_add (edit->add_disks, disk);
  edit->fields = GB_EDIT_MEMORY;
  edit->memory_kib = edit->max_memory_kib = 4194304;
  notes = apply (m, edit, &error);
  g_assert_null (notes);
  g_assert_nonnull (error);
  g_test_message ("libvirt said: %s", error->message);
  g_assert_nonnull (strstr (error->message, "vda"));
  after = inactive_xml ("edit-me");
  g_assert_cmpstr (before, ==, after);

  /* And a check of our own: more vCPUs online than the maximum. */
  g_clear_error (&error);
  g_clear_pointer (&notes, g_strfreev);
  g_ptr_array_set_size (edit->add_disks, 0);
  edit->fields = GB_EDIT_VCPUS;
  edit->vcpus = 3;
  edit->max_vcpus = 2;
  notes = apply (m, edit, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
test_autostart_rename (void)
{
  GbMachine *m = machine ("edit-me");
  g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) notes = NULL;
  virDomainPtr dom;
  int autostart = 0;

  edit->fields = GB_EDIT_AUTOSTART | GB_EDIT_NAME;
  edit->autostart = TRUE;
  edit->name = g_strdup ("edited");
  notes = apply (m, edit, &error);
  g_assert_no_error (error);

  dom = virDomainLookupByName (raw, "edited");
  g_assert_nonnull (dom);
  g_assert_cmpint (virDomainGetAutostart (dom, &autostart), ==, 0);
  g_assert_cmpint (autostart, ==, 1);
  virDomainFree (dom);
  /* The list follows: one machine, under its new name. */
  WAIT_FOR (gb_provider_find_machine (provider, "edited") != NULL &&
            gb_provider_find_machine (provider, "edit-me") == NULL);

  /* A running machine keeps its name. */
  {
    g_autoptr(GbMachineEdit) rename = gb_machine_edit_new ();
    g_auto(GStrv) n2 = NULL;
    g_autoptr(GError) e2 = NULL;

    rename->fields = GB_EDIT_NAME;
    rename->name = g_strdup ("renamed-while-running");
    n2 = apply (machine ("test"), rename, &e2);
    g_assert_error (e2, G_IO_ERROR, G_IO_ERROR_BUSY);
  }
}

/* The driver's running "test" domain: vCPUs and memory change live. */
static void
test_live (void)
{
  GbMachine *m = machine ("test");
  g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GbEditState) state = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) notes = NULL;
  virDomainPtr dom = virDomainLookupByName (raw, "test");
  virDomainInfo info;

  gb_libvirt_edit_load_async (m, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  state = gb_libvirt_edit_load_finish (m, result, &error);
  g_assert_no_error (error);
  g_assert_true (state->running);
  g_test_message ("test: %u/%u vCPUs, %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " KiB",
                  state->vcpus, state->max_vcpus, state->memory_kib, state->max_memory_kib);

  edit->fields = GB_EDIT_VCPUS | GB_EDIT_MEMORY;
  edit->max_vcpus = state->max_vcpus;
  edit->vcpus = 1;
  edit->max_memory_kib = state->max_memory_kib;
  edit->memory_kib = state->max_memory_kib / 2;
  notes = apply (m, edit, &error);
  g_assert_no_error (error);
  for (guint i = 0; notes[i]; i++)
    g_test_message ("on next boot: %s", notes[i]);

  g_assert_cmpint (virDomainGetInfo (dom, &info), ==, 0);
  g_assert_cmpuint (info.memory, ==, state->max_memory_kib / 2);
  g_assert_cmpint (virDomainGetVcpusFlags (dom, VIR_DOMAIN_AFFECT_LIVE), ==, 1);
  g_assert_cmpuint (g_strv_length (notes), ==, 0);

  /* A bigger maximum cannot come live: it waits, and says so. */
  g_clear_pointer (&notes, g_strfreev);
  edit->fields = GB_EDIT_MEMORY;
  edit->max_memory_kib = state->max_memory_kib * 2;
  edit->memory_kib = state->max_memory_kib;
  notes = apply (m, edit, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (notes), ==, 1);
  g_test_message ("on next boot: %s", notes[0]);
  virDomainFree (dom);
}

static void
test_define_xml (void)
{
  GbMachine *m = machine ("edited");
  g_autofree char *before = inactive_xml ("edited");
  g_autoptr(GString) changed = g_string_new (before);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;

  /* Not valid against the schema: refused, nothing changes. */
  g_string_replace (changed, "<devices>", "<devices><frobnicator/>", 1);
  gb_libvirt_edit_define_xml_async (m, changed->str, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  g_assert_false (gb_libvirt_edit_define_xml_finish (m, result, &error));
  g_assert_nonnull (error);
  g_test_message ("libvirt said: %s", error->message);
  after = inactive_xml ("edited");
  g_assert_cmpstr (before, ==, after);

  /* Valid: defined. */
  g_clear_error (&error);
  g_clear_object (&result);
  g_string_assign (changed, before);
  g_string_replace (changed, "<vcpu placement='static'>2</vcpu>", "<vcpu placement='static'>3</vcpu>", 1);
  gb_libvirt_edit_define_xml_async (m, changed->str, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  g_assert_true (gb_libvirt_edit_define_xml_finish (m, result, &error));
  g_assert_no_error (error);
  g_free (after);
  after = inactive_xml ("edited");
  g_assert_nonnull (strstr (after, "<vcpu placement='static'>3</vcpu>"));
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  gb_test_libvirt_init ();

  provider = gb_libvirt_provider_new (TEST_URI);
  raw = virConnectOpen (TEST_URI);
  g_assert_nonnull (raw);
  tmpdir = gb_test_tmpdir_new ("gb-edit-XXXXXX");

  g_test_add_func ("/machine-edit/setup", test_setup);
  g_test_add_func ("/machine-edit/load", test_load);
  g_test_add_func ("/machine-edit/through-machine", test_through_machine);
  g_test_add_func ("/machine-edit/vcpus", test_vcpus);
  g_test_add_func ("/machine-edit/topology", test_topology);
  g_test_add_func ("/machine-edit/memory", test_memory);
  g_test_add_func ("/machine-edit/title-description", test_title_description);
  g_test_add_func ("/machine-edit/add-disk", test_add_disk);
  g_test_add_func ("/machine-edit/new-image", test_new_image);
  g_test_add_func ("/machine-edit/modify-disk", test_modify_disk);
  g_test_add_func ("/machine-edit/remove-disk", test_remove_disk);
  g_test_add_func ("/machine-edit/eject-insert", test_eject_insert);
  g_test_add_func ("/machine-edit/nics", test_nics);
  g_test_add_func ("/machine-edit/modify-nic", test_modify_nic);
  g_test_add_func ("/machine-edit/boot", test_boot);
  g_test_add_func ("/machine-edit/firmware", test_firmware);
  g_test_add_func ("/machine-edit/firmware-first-start", test_firmware_first_start);
  g_test_add_func ("/machine-edit/cpu-model", test_cpu_model);
  g_test_add_func ("/machine-edit/devices", test_devices);
  g_test_add_func ("/machine-edit/share-and-usb", test_share_and_usb);
  g_test_add_func ("/machine-edit/refused", test_refused);
  g_test_add_func ("/machine-edit/autostart-rename", test_autostart_rename);
  g_test_add_func ("/machine-edit/live", test_live);
  g_test_add_func ("/machine-edit/define-xml", test_define_xml);

  ret = g_test_run ();

  g_clear_object (&provider);
  virConnectClose (raw);
  gb_test_tmpdir_remove (tmpdir);
  g_free (tmpdir);
  g_free (last_after);

  return ret;
}
