/* test-qemu-edit.c — editing a real QEMU (TCG) machine, stopped and running
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * qemu:///embed?root=<tmpdir> with the Debian kernel + busybox guest
 * (tests/linux-guest/build-guest.sh).  On the stopped machine, an edit
 * (1 of 2 vCPUs online, more memory) gives exactly that XML, which
 * virt-xml-validate accepts.  Then, with the guest running, one Apply adds
 * a virtio disk and brings the second vCPU: the guest itself, asked on its
 * serial console, sees /sys/block/vda and a second CPU, which it brings
 * online.
 */
#include "config.h"

#include <fcntl.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "gb-libvirt-edit.h"
#include "gb-libvirt-machine.h"
#include "gb-libvirt-private.h"
#include "gb-libvirt-provider.h"
#include "gb-test-libvirt.h"
#include "gb-test-utils.h"

#define DOMAIN_NAME "glassbox-edit-guest"
#define MARKER "GLASSBOX-MARKER guest-is-up"

static gboolean
console_has_marker (gpointer data)
{
  GbTestConsole *console = data;
  return strstr (console->text->str, MARKER) != NULL;
}

/* Sends @command and returns the guest's answer line (from @prefix to "END"). */
static char *
ask (GbTestConsole *console,
     const char *command,
     const char *prefix)
{
  gsize from = console->text->len;
  g_autofree char *line = g_strdup_printf ("%s\n", command);
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  g_assert_cmpint (virStreamSend (console->stream, line, strlen (line)), ==, (int) strlen (line));
  while (g_get_monotonic_time () < deadline)
    {
      const char *start = strstr (console->text->str + from, prefix);
      const char *end = start ? strstr (start, "END") : NULL;

      if (end != NULL)
        return g_strndup (start, end - start);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
  g_error ("No answer to “%s”; the console said:\n%s", command, console->text->str + from);
  return NULL;
}

static char *
domain_xml (const char *kernel,
            const char *initrd)
{
  GVirConfigDomain *domain = gvir_config_domain_new ();
  GVirConfigDomainOs *os = gvir_config_domain_os_new ();
  GVirConfigDomainSerial *serial = gvir_config_domain_serial_new ();
  GVirConfigDomainChardevSourcePty *pty = gvir_config_domain_chardev_source_pty_new ();
  char *features[] = { (char *) "acpi", (char *) "apic", NULL };
  char *xml;

  gvir_config_domain_set_virt_type (domain, GVIR_CONFIG_DOMAIN_VIRT_QEMU);
  gvir_config_domain_set_name (domain, DOMAIN_NAME);
  gvir_config_domain_set_memory (domain, 256 * 1024);
  gvir_config_domain_set_vcpus (domain, 1);
  gvir_config_domain_set_features (domain, features);
  gvir_config_domain_os_set_os_type (os, GVIR_CONFIG_DOMAIN_OS_TYPE_HVM);
  gvir_config_domain_os_set_arch (os, "x86_64");
  gvir_config_domain_os_set_kernel (os, kernel);
  gvir_config_domain_os_set_ramdisk (os, initrd);
  gvir_config_domain_os_set_cmdline (os, "console=ttyS0 quiet gb.run=guest-edit.sh");
  gvir_config_domain_set_os (domain, os);
  gvir_config_domain_chardev_set_source (GVIR_CONFIG_DOMAIN_CHARDEV (serial),
                                         GVIR_CONFIG_DOMAIN_CHARDEV_SOURCE (pty));
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (serial));
  xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (domain));
  g_object_unref (pty);
  g_object_unref (serial);
  g_object_unref (os);
  g_object_unref (domain);
  return xml;
}

static GStrv
apply (GbMachine     *machine,
       GbMachineEdit *edit)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GStrv notes;

  gb_libvirt_edit_apply_async (machine, edit, NULL, gb_test_store_result, &result);
  GB_TEST_WAIT_FOR (result != NULL, 60);
  notes = gb_libvirt_edit_apply_finish (machine, result, &error);
  g_assert_no_error (error);
  for (guint i = 0; notes[i]; i++)
    g_test_message ("waits for the next start: %s", notes[i]);
  return notes;
}

static char *
xml_of (GbMachine *machine,
        guint      flags)
{
  char *xml = virDomainGetXMLDesc (_gb_libvirt_machine_get_handle (GB_LIBVIRT_MACHINE (machine)), flags);

  g_assert_nonnull (xml);
  return xml;
}

static void
test_qemu_edit (void)
{
  g_autofree char *tmp = gb_test_tmpdir_new ("gb-edit-XXXXXX");
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "libvirt", "guest-edit.sh", NULL);
  g_autofree char *guest_dir = g_build_filename (tmp, "guest", NULL);
  g_autofree char *root = g_build_filename (tmp, "libvirt", NULL);
  g_autofree char *uri = g_strdup_printf ("qemu:///embed?root=%s", root);
  g_autofree char *kernel = g_build_filename (guest_dir, "vmlinuz", NULL);
  g_autofree char *initrd = g_build_filename (guest_dir, "initramfs.img", NULL);
  g_autofree char *disk = g_build_filename (tmp, "data.raw", NULL);
  g_autofree char *reason = NULL;
  g_autofree char *xml = NULL;
  g_autoptr(GbProvider) provider = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GbTestConsole console = { 0 };
  GbMachine *machine;
  virDomainPtr dom;

  if (!gb_test_skip_without_program ("qemu-system-x86_64", NULL))
    return;
  if (!gb_test_build_linux_guest (guest_dir, (const char *[]) { script, NULL }, NULL, &reason))
    {
      g_test_skip (reason);
      return;
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

  xml = domain_xml (kernel, initrd);
  dom = virDomainDefineXML (_gb_libvirt_provider_get_handle (provider), xml);
  if (dom == NULL)
    g_error ("Defining the domain: %s", virGetLastErrorMessage ());
  virDomainFree (dom);
  GB_TEST_WAIT_FOR (gb_provider_find_machine (provider, DOMAIN_NAME) != NULL, 30);
  machine = gb_provider_find_machine (provider, DOMAIN_NAME);

  /* Stopped: 1 of 2 vCPUs, 384 MiB of at most 512 MiB. */
  {
    g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
    g_auto(GStrv) notes = NULL;
    g_autofree char *after = NULL;
    g_autofree char *file = g_build_filename (tmp, "domain.xml", NULL);

    edit->fields = GB_EDIT_VCPUS | GB_EDIT_MEMORY;
    edit->vcpus = 1;
    edit->max_vcpus = 2;
    edit->memory_kib = 384 * 1024;
    edit->max_memory_kib = 512 * 1024;
    notes = apply (machine, edit);
    g_assert_cmpuint (g_strv_length (notes), ==, 0);
    after = xml_of (machine, VIR_DOMAIN_XML_INACTIVE);
    g_assert_nonnull (strstr (after, "<vcpu placement='static' current='1'>2</vcpu>"));
    g_assert_nonnull (strstr (after, "<memory unit='KiB'>524288</memory>"));
    g_assert_nonnull (strstr (after, "<currentMemory unit='KiB'>393216</currentMemory>"));
    if (gb_test_have_program ("virt-xml-validate"))
      {
        const char *argv[] = { "virt-xml-validate", file, "domain", NULL };
        g_autofree char *out = NULL;
        g_autofree char *err = NULL;

        g_assert_true (g_file_set_contents (file, after, -1, NULL));
        if (gb_test_run (argv, &out, &err) != 0)
          g_error ("virt-xml-validate: %s%s", out, err);
      }
    else
      /* Part of this test cannot run here: it says so (the rest still runs). */
      g_test_skip ("virt-xml-validate (libvirt-clients) is not installed: the definition is not checked against libvirt's schema");
  }

  /* Running: the guest sees one disk-less machine with one CPU. */
  {
    g_autoptr(GAsyncResult) started = NULL;

    gb_machine_start_async (machine, NULL, gb_test_store_result, &started);
    GB_TEST_WAIT_FOR (started != NULL, 60);
    g_assert_true (gb_machine_start_finish (machine, started, &error));
    g_assert_no_error (error);
  }
  gb_test_console_open (&console, _gb_libvirt_machine_get_handle (GB_LIBVIRT_MACHINE (machine)));
  if (!gb_test_wait_until (console_has_marker, &console, 90))
    g_error ("No marker on the console after 90 s; it said:\n%s", console.text->str);
  {
    g_autofree char *disks = ask (&console, "disks", "DISKS ");
    g_autofree char *cpus = ask (&console, "cpus", "CPUS ");

    g_test_message ("before: %s / %s", disks, cpus);
    g_assert_null (strstr (disks, "vda"));
    g_assert_nonnull (strstr (cpus, "present=0 "));
  }

  /* One Apply: a new virtio disk and the second vCPU, live. */
  {
    g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
    GbEditDisk *add = g_new0 (GbEditDisk, 1);
    g_auto(GStrv) notes = NULL;
    g_autofree char *live = NULL;
    g_autofree char *disks = NULL;
    g_autofree char *cpus = NULL;
    gint64 deadline;
    int fd;

    fd = g_open (disk, O_CREAT | O_WRONLY, 0644);
    g_assert_cmpint (fd, >=, 0);
    g_assert_cmpint (ftruncate (fd, 16 * 1024 * 1024), ==, 0);
    close (fd);

    add->path = g_strdup (disk);
    add->device = g_strdup ("disk");
    add->bus = g_strdup ("virtio");
    add->format = g_strdup ("raw");
    g_ptr_array_add (edit->add_disks, add);
    edit->fields = GB_EDIT_VCPUS;
    edit->vcpus = 2;
    edit->max_vcpus = 2;
    notes = apply (machine, edit);
    g_assert_cmpuint (g_strv_length (notes), ==, 0);

    live = xml_of (machine, 0);
    g_assert_nonnull (strstr (live, "<target dev='vda' bus='virtio'/>"));
    g_assert_cmpint (virDomainGetVcpusFlags (_gb_libvirt_machine_get_handle (GB_LIBVIRT_MACHINE (machine)),
                                             VIR_DOMAIN_AFFECT_LIVE), ==, 2);

    /* The guest sees both (hot-plug takes a moment under TCG). */
    deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
    do
      {
        g_clear_pointer (&disks, g_free);
        g_clear_pointer (&cpus, g_free);
        disks = ask (&console, "disks", "DISKS ");
        cpus = ask (&console, "cpus", "CPUS ");
        if (strstr (disks, "vda") && strstr (cpus, "online=0-1"))
          break;
        g_usleep (G_USEC_PER_SEC / 2);
      }
    while (g_get_monotonic_time () < deadline);
    g_test_message ("after: %s / %s", disks, cpus);
    g_assert_nonnull (strstr (disks, "vda"));
    g_assert_nonnull (strstr (cpus, "present=0-1"));
    g_assert_nonnull (strstr (cpus, "online=0-1"));
  }

  g_assert_cmpint (virStreamSend (console.stream, "off\n", 4), ==, 4);
  {
    gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

    while (gb_machine_get_state (machine) != GB_MACHINE_STATE_SHUTOFF && g_get_monotonic_time () < deadline)
      g_main_context_iteration (NULL, TRUE);
    if (gb_machine_get_state (machine) != GB_MACHINE_STATE_SHUTOFF)
      virDomainDestroy (_gb_libvirt_machine_get_handle (GB_LIBVIRT_MACHINE (machine)));
  }
  gb_test_console_close (&console);
  {
    g_autoptr(GAsyncResult) deleted = NULL;

    gb_machine_delete_async (machine, NULL, NULL, gb_test_store_result, &deleted);
    GB_TEST_WAIT_FOR (deleted != NULL, 30);
  }
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

  g_test_add_func ("/libvirt/qemu-edit", test_qemu_edit);

  return g_test_run ();
}
