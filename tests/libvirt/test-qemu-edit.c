/* test-qemu-edit.c — editing a real QEMU (TCG) machine, stopped and running
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * qemu:///embed?root=<tmpdir> with the Debian kernel + busybox guest
 * (tests/linux-guest/build-guest.sh, with virtio-scsi, SCSI disk and CD-ROM
 * and virtio-balloon modules).  One connection and one guest for all the
 * cases, in order (opening qemu:///embed costs most of a minute):
 *
 *   stopped: an edit (1 of 2 vCPUs online, more memory) gives exactly that
 *     XML, which virt-xml-validate accepts;
 *   running, each change applied live and asked of the guest itself on its
 *   serial console (guest-edit.sh):
 *     a virtio disk and the second vCPU hot-plugged: the guest sees vda
 *     and CPU 1; the disk removed from the paused guest: the page says the
 *     guest has been asked to let it go, and once resumed vda goes;
 *     a SCSI disk hot-plugged (sda, its size) and removed;
 *     the empty CD-ROM drive: a medium inserted (the guest reads its first
 *     sector), changed for another, ejected (no medium);
 *     a user-mode NIC hot-plugged (eth0) and removed;
 *     the memory lowered and raised within the maximum (the guest's
 *     MemTotal follows its balloon);
 *     what libvirt cannot change live (a new maximum of vCPUs or memory,
 *     boot order, a disk's cache, a NIC's model) is defined and said, in
 *     the sentences the Settings page shows under "Applied. Waiting for
 *     the next start:", while the running machine keeps what it had.
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

/* An empty CD-ROM drive and a virtio-scsi controller for the disks to
 * come; libvirt adds the virtio balloon itself.  no_timer_check: on a busy
 * host, TCG is too slow for the kernel's IO-APIC timer check, which then
 * stalls the boot ("MP-BIOS bug: 8254 timer not connected"). */
static char *
domain_xml (const char *kernel,
            const char *initrd)
{
  return g_markup_printf_escaped (
    "<domain type='qemu'>"
    "<name>" DOMAIN_NAME "</name>"
    "<memory unit='KiB'>262144</memory>"
    "<vcpu>1</vcpu>"
    "<os><type arch='x86_64'>hvm</type><kernel>%s</kernel><initrd>%s</initrd>"
    "<cmdline>console=ttyS0 quiet no_timer_check gb.run=guest-edit.sh</cmdline></os>"
    "<features><acpi/><apic/></features>"
    "<devices>"
    "<controller type='scsi' index='0' model='virtio-scsi'/>"
    "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
    "<target dev='sda' bus='scsi'/><readonly/></disk>"
    "<serial type='pty'/>"
    "</devices></domain>",
    kernel, initrd);
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

/* One guest for every case: made by the first, used by the others in order. */
static struct {
  char          *tmp;
  char          *skip;       /* why the cases cannot run here */
  GbProvider    *provider;
  GbMachine     *machine;
  GbTestConsole  console;
  gboolean       running;    /* the guest answers on its console */
  char          *nic_mac;    /* the hot-plugged NIC */
} fx;

static virDomainPtr
handle (void)
{
  return _gb_libvirt_machine_get_handle (GB_LIBVIRT_MACHINE (fx.machine));
}

/* Whether the case can run: skipped with the first case's reason, or
 * after an earlier case left no running guest. */
static gboolean
ready (gboolean need_running)
{
  if (fx.skip != NULL)
    {
      g_test_skip (fx.skip);
      return FALSE;
    }
  if (need_running && !fx.running)
    {
      g_test_skip ("the guest is not running (an earlier case failed)");
      return FALSE;
    }
  return TRUE;
}

/* Asks @command until the answer has (@present) or lacks (!@present) @what,
 * for up to 60 s: hot-plug, ACPI ejection and ballooning take a moment
 * under TCG.  Returns the last answer. */
static char *
ask_until (const char *command,
           const char *prefix,
           const char *what,
           gboolean    present)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  char *answer = NULL;

  do
    {
      g_free (answer);
      answer = ask (&fx.console, command, prefix);
      if ((strstr (answer, what) != NULL) == present)
        break;
      g_usleep (G_USEC_PER_SEC / 2);
    }
  while (g_get_monotonic_time () < deadline);
  g_test_message ("%s: %s", command, answer);
  return answer;
}

static guint64
mem_total_kib (void)
{
  g_autofree char *mem = ask (&fx.console, "mem", "MEM ");

  return g_ascii_strtoull (mem + 4, NULL, 10);
}

/* A raw file of @mib MiB whose first sector starts with @marker. */
static char *
make_file (const char *name,
           guint       mib,
           const char *marker)
{
  char *path = g_build_filename (fx.tmp, name, NULL);
  int fd = g_open (path, O_CREAT | O_WRONLY | O_TRUNC, 0644);

  g_assert_cmpint (fd, >=, 0);
  if (marker != NULL)
    g_assert_cmpint (write (fd, marker, strlen (marker)), ==, (int) strlen (marker));
  g_assert_cmpint (ftruncate (fd, (off_t) mib * 1024 * 1024), ==, 0);
  close (fd);
  return path;
}

static GbEditDisk *
new_disk (const char *path,
          const char *bus)
{
  GbEditDisk *disk = g_new0 (GbEditDisk, 1);

  disk->path = g_strdup (path);
  disk->device = g_strdup ("disk");
  disk->bus = g_strdup (bus);
  disk->format = g_strdup ("raw");
  return disk;
}

static GbEditDisk *
new_media (const char *path)
{
  GbEditDisk *media = g_new0 (GbEditDisk, 1);

  media->target = g_strdup ("sda");
  media->path = g_strdup (path);
  return media;
}

static gboolean
strv_has (GStrv       notes,
          const char *note)
{
  return notes != NULL && g_strv_contains ((const char *const *) notes, note);
}

static void
test_stopped (void)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "libvirt", "guest-edit.sh", NULL);
  g_autofree char *guest_dir = NULL;
  g_autofree char *root = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *kernel = NULL;
  g_autofree char *initrd = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *xml = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  virDomainPtr dom;
  gboolean built;

  if (!gb_test_have_program ("qemu-system-x86_64"))
    {
      fx.skip = g_strdup ("qemu-system-x86_64 is not installed");
      ready (FALSE);
      return;
    }
  fx.tmp = gb_test_tmpdir_new ("gb-edit-XXXXXX");
  guest_dir = g_build_filename (fx.tmp, "guest", NULL);
  root = g_build_filename (fx.tmp, "libvirt", NULL);
  uri = g_strdup_printf ("qemu:///embed?root=%s", root);
  kernel = g_build_filename (guest_dir, "vmlinuz", NULL);
  initrd = g_build_filename (guest_dir, "initramfs.img", NULL);

  /* SCSI disks and CD-ROMs on virtio-scsi, and the balloon driver. */
  g_setenv ("GB_GUEST_EXTRA_MODULES", "virtio_scsi sd_mod sr_mod virtio_balloon", TRUE);
  built = gb_test_build_linux_guest (guest_dir, (const char *[]) { script, NULL }, NULL, &reason);
  g_unsetenv ("GB_GUEST_EXTRA_MODULES");
  if (!built)
    {
      fx.skip = g_steal_pointer (&reason);
      ready (FALSE);
      return;
    }

  fx.provider = gb_libvirt_provider_new (uri);
  gb_provider_connect_async (fx.provider, NULL, gb_test_store_result, &result);
  GB_TEST_WAIT_FOR (result != NULL, 150);
  if (!gb_provider_connect_finish (fx.provider, result, &error))
    {
      fx.skip = g_strdup_printf ("libvirt's QEMU driver is not available: %s", error->message);
      ready (FALSE);
      return;
    }

  xml = domain_xml (kernel, initrd);
  dom = virDomainDefineXML (_gb_libvirt_provider_get_handle (fx.provider), xml);
  if (dom == NULL)
    g_error ("Defining the domain: %s", virGetLastErrorMessage ());
  virDomainFree (dom);
  GB_TEST_WAIT_FOR (gb_provider_find_machine (fx.provider, DOMAIN_NAME) != NULL, 30);
  fx.machine = gb_provider_find_machine (fx.provider, DOMAIN_NAME);

  /* Stopped: 1 of 2 vCPUs, 384 MiB of at most 512 MiB. */
  {
    g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
    g_auto(GStrv) notes = NULL;
    g_autofree char *after = NULL;
    g_autofree char *file = g_build_filename (fx.tmp, "domain.xml", NULL);

    edit->fields = GB_EDIT_VCPUS | GB_EDIT_MEMORY;
    edit->vcpus = 1;
    edit->max_vcpus = 2;
    edit->memory_kib = 384 * 1024;
    edit->max_memory_kib = 512 * 1024;
    notes = apply (fx.machine, edit);
    g_assert_cmpuint (g_strv_length (notes), ==, 0);
    after = xml_of (fx.machine, VIR_DOMAIN_XML_INACTIVE);
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
}

static void
test_virtio_disk_and_vcpu (void)
{
  g_autoptr(GError) error = NULL;

  if (!ready (FALSE))
    return;

  /* Running: the guest sees no disk and one CPU. */
  {
    g_autoptr(GAsyncResult) started = NULL;

    gb_machine_start_async (fx.machine, NULL, gb_test_store_result, &started);
    GB_TEST_WAIT_FOR (started != NULL, 60);
    g_assert_true (gb_machine_start_finish (fx.machine, started, &error));
    g_assert_no_error (error);
  }
  gb_test_console_open (&fx.console, handle ());
  if (!gb_test_wait_until (console_has_marker, &fx.console, 180))
    g_error ("No marker on the console after 180 s; it said:\n%s", fx.console.text->str);
  fx.running = TRUE;
  {
    g_autofree char *disks = ask (&fx.console, "disks", "DISKS ");
    g_autofree char *cpus = ask (&fx.console, "cpus", "CPUS ");

    g_test_message ("before: %s / %s", disks, cpus);
    g_assert_null (strstr (disks, "vda"));
    g_assert_nonnull (strstr (disks, "sr0"));
    g_assert_nonnull (strstr (cpus, "present=0 "));
  }

  /* One Apply: a new virtio disk and the second vCPU, live. */
  {
    g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
    g_autofree char *disk = make_file ("data.raw", 16, NULL);
    g_auto(GStrv) notes = NULL;
    g_autofree char *live = NULL;
    g_autofree char *disks = NULL;
    g_autofree char *cpus = NULL;
    gint64 deadline;

    g_ptr_array_add (edit->add_disks, new_disk (disk, "virtio"));
    edit->fields = GB_EDIT_VCPUS;
    edit->vcpus = 2;
    edit->max_vcpus = 2;
    notes = apply (fx.machine, edit);
    g_assert_cmpuint (g_strv_length (notes), ==, 0);

    live = xml_of (fx.machine, 0);
    g_assert_nonnull (strstr (live, "<target dev='vda' bus='virtio'/>"));
    g_assert_cmpint (virDomainGetVcpusFlags (handle (), VIR_DOMAIN_AFFECT_LIVE), ==, 2);

    /* The guest sees both (hot-plug takes a moment under TCG). */
    deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
    do
      {
        g_clear_pointer (&disks, g_free);
        g_clear_pointer (&cpus, g_free);
        disks = ask (&fx.console, "disks", "DISKS ");
        cpus = ask (&fx.console, "cpus", "CPUS ");
        if (strstr (disks, "vda") && strstr (cpus, "online=0-1"))
          break;
        g_usleep (G_USEC_PER_SEC / 2);
      }
    while (g_get_monotonic_time () < deadline);
    g_test_message ("after: %s / %s", disks, cpus);
    g_assert_nonnull (strstr (disks, "vda:32768"));
    g_assert_nonnull (strstr (cpus, "present=0-1"));
    g_assert_nonnull (strstr (cpus, "online=0-1"));
  }
}

/* The virtio disk removed from a paused guest: a PCI device leaves only
 * when the guest lets it go (ACPI), which a paused guest cannot, so libvirt
 * gives up waiting after 5 s and the page says what happens.  Resumed, the
 * guest lets it go. */
static void
test_virtio_disk_unplug (void)
{
  g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) notes = NULL;
  g_autofree char *disks = NULL;
  g_autofree char *defined = NULL;
  g_autofree char *live = NULL;

  if (!ready (TRUE))
    return;

  {
    g_autoptr(GAsyncResult) paused = NULL;

    gb_machine_pause_async (fx.machine, NULL, gb_test_store_result, &paused);
    GB_TEST_WAIT_FOR (paused != NULL, 60);
    g_assert_true (gb_machine_pause_finish (fx.machine, paused, &error));
  }
  g_ptr_array_add (edit->remove_disks, g_strdup ("vda"));
  notes = apply (fx.machine, edit);
  g_assert_cmpuint (g_strv_length (notes), ==, 1);
  g_assert_cmpstr (notes[0], ==, "Disk vda: the guest has been asked to let it go and has not yet. "
                                 "It goes when the guest does, or when the machine next starts.");
  defined = xml_of (fx.machine, VIR_DOMAIN_XML_INACTIVE);
  g_assert_null (strstr (defined, "<target dev='vda'"));
  live = xml_of (fx.machine, 0);
  g_assert_nonnull (strstr (live, "<target dev='vda'"));
  g_clear_pointer (&live, g_free);

  {
    g_autoptr(GAsyncResult) resumed = NULL;

    gb_machine_resume_async (fx.machine, NULL, gb_test_store_result, &resumed);
    GB_TEST_WAIT_FOR (resumed != NULL, 60);
    g_assert_true (gb_machine_resume_finish (fx.machine, resumed, &error));
  }
  disks = ask_until ("disks", "DISKS ", "vda", FALSE);
  g_assert_null (strstr (disks, "vda"));
  /* libvirt drops it from what runs once QEMU says it is gone. */
  {
    gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

    do
      {
        g_clear_pointer (&live, g_free);
        live = xml_of (fx.machine, 0);
        if (strstr (live, "<target dev='vda'") == NULL)
          break;
        g_main_context_iteration (NULL, FALSE);
        g_usleep (G_USEC_PER_SEC / 10);
      }
    while (g_get_monotonic_time () < deadline);
  }
  g_assert_null (strstr (live, "<target dev='vda'"));
}

/* A SCSI disk on the virtio-scsi controller, plugged and unplugged. */
static void
test_scsi_disk (void)
{
  g_autofree char *disk = NULL;
  g_autofree char *disks = NULL;
  g_autofree char *target = NULL;

  if (!ready (TRUE))
    return;

  disk = make_file ("scsi.raw", 8, NULL);
  {
    g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
    g_auto(GStrv) notes = NULL;
    g_autofree char *live = NULL;

    g_ptr_array_add (edit->add_disks, new_disk (disk, "scsi"));
    notes = apply (fx.machine, edit);
    g_assert_cmpuint (g_strv_length (notes), ==, 0);
    live = xml_of (fx.machine, 0);
    /* The CD-ROM is sda: the new disk's name is the next one. */
    g_assert_nonnull (strstr (live, "<target dev='sdb' bus='scsi'/>"));
  }
  /* In the guest, the first SCSI disk (the CD-ROM is sr0): 8 MiB. */
  disks = ask_until ("disks", "DISKS ", "sda:16384", TRUE);
  g_assert_nonnull (strstr (disks, "sda:16384"));
  g_clear_pointer (&disks, g_free);

  {
    g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
    g_auto(GStrv) notes = NULL;
    g_autofree char *live = NULL;

    g_ptr_array_add (edit->remove_disks, g_strdup ("sdb"));
    notes = apply (fx.machine, edit);
    g_assert_cmpuint (g_strv_length (notes), ==, 0);
    live = xml_of (fx.machine, 0);
    g_assert_null (strstr (live, "<target dev='sdb'"));
  }
  disks = ask_until ("disks", "DISKS ", "sda:", FALSE);
  g_assert_null (strstr (disks, "sda:"));
}

/* The running machine's empty CD-ROM drive: a medium in, another, out. */
static void
test_cdrom_media (void)
{
  g_autofree char *one = NULL;
  g_autofree char *two = NULL;
  struct { const char **path; const char *guest_reads; const char *live; } steps[] = {
    { (const char **) &one, "GLASSBOX-CD-ONE", "cd-one.iso" },
    { (const char **) &two, "GLASSBOX-CD-TWO", "cd-two.iso" },
    { NULL, "none", NULL },
  };

  if (!ready (TRUE))
    return;

  {
    g_autofree char *empty = ask (&fx.console, "cdrom", "CDROM ");
    g_test_message ("empty drive: %s", empty);
    g_assert_nonnull (strstr (empty, "CDROM none"));
  }
  one = make_file ("cd-one.iso", 1, "GLASSBOX-CD-ONE");
  two = make_file ("cd-two.iso", 1, "GLASSBOX-CD-TWO");

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
      g_auto(GStrv) notes = NULL;
      g_autofree char *live = NULL;
      g_autofree char *defined = NULL;
      g_autofree char *reads = NULL;
      g_autofree char *want = g_strdup_printf ("CDROM %s", steps[i].guest_reads);

      g_ptr_array_add (edit->media, new_media (steps[i].path ? *steps[i].path : NULL));
      notes = apply (fx.machine, edit);
      g_assert_cmpuint (g_strv_length (notes), ==, 0);
      live = xml_of (fx.machine, 0);
      defined = xml_of (fx.machine, VIR_DOMAIN_XML_INACTIVE);
      if (steps[i].live != NULL)
        {
          g_assert_nonnull (strstr (live, steps[i].live));
          g_assert_nonnull (strstr (defined, steps[i].live));
        }
      else
        {
          g_assert_null (strstr (live, ".iso"));
          g_assert_null (strstr (defined, ".iso"));
        }
      reads = ask_until ("cdrom", "CDROM ", steps[i].guest_reads, TRUE);
      g_assert_cmpstr (g_strstrip (reads), ==, want);
    }
}

/* A user-mode NIC (QEMU's own NAT: no network driver needed) plugged. */
static void
test_nic (void)
{
  g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
  GbEditNic *nic = g_new0 (GbEditNic, 1);
  g_auto(GStrv) notes = NULL;
  g_autofree char *live = NULL;
  g_autofree char *nics = NULL;

  if (!ready (TRUE))
    return;

  nics = ask (&fx.console, "nics", "NICS ");
  g_test_message ("before: %s", nics);
  g_assert_null (strstr (nics, "eth0"));
  g_clear_pointer (&nics, g_free);

  nic->type = g_strdup ("user");
  nic->model = g_strdup ("virtio");
  nic->mac = g_strdup ("52:54:00:ed:17:01");
  g_ptr_array_add (edit->add_nics, nic);
  notes = apply (fx.machine, edit);
  g_assert_cmpuint (g_strv_length (notes), ==, 0);
  live = xml_of (fx.machine, 0);
  g_assert_nonnull (strstr (live, "<interface type='user'>"));
  g_assert_nonnull (strstr (live, "<mac address='52:54:00:ed:17:01'/>"));
  fx.nic_mac = g_strdup ("52:54:00:ed:17:01");

  nics = ask_until ("nics", "NICS ", "eth0", TRUE);
  g_assert_nonnull (strstr (nics, "eth0"));
}

/* Memory within the running maximum: the balloon moves, the guest's
 * MemTotal follows. */
static void
test_memory (void)
{
  guint64 before, lowered, raised;
  gint64 deadline;
  virDomainInfo info;

  if (!ready (TRUE))
    return;

  before = mem_total_kib ();
  g_test_message ("MemTotal at 384 MiB: %" G_GUINT64_FORMAT " KiB", before);
  g_assert_cmpuint (before, >, 256 * 1024);

  {
    g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
    g_auto(GStrv) notes = NULL;

    edit->fields = GB_EDIT_MEMORY;
    edit->memory_kib = 256 * 1024;
    edit->max_memory_kib = 512 * 1024;
    notes = apply (fx.machine, edit);
    g_assert_cmpuint (g_strv_length (notes), ==, 0);
  }
  /* The guest inflates its balloon; what libvirt reports (dominfo's "Used
   * memory", the balloon's size as QEMU last told it) follows. */
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (((lowered = mem_total_kib ()) > before - 96 * 1024 ||
          virDomainGetInfo (handle (), &info) != 0 || info.memory != 256 * 1024) &&
         g_get_monotonic_time () < deadline)
    g_usleep (G_USEC_PER_SEC / 2);
  g_test_message ("MemTotal at 256 MiB: %" G_GUINT64_FORMAT " KiB", lowered);
  g_assert_cmpuint (lowered, <=, before - 96 * 1024);
  g_assert_cmpint (virDomainGetInfo (handle (), &info), ==, 0);
  g_assert_cmpuint (info.memory, ==, 256 * 1024);

  {
    g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
    g_auto(GStrv) notes = NULL;

    edit->fields = GB_EDIT_MEMORY;
    edit->memory_kib = 448 * 1024;
    edit->max_memory_kib = 512 * 1024;
    notes = apply (fx.machine, edit);
    g_assert_cmpuint (g_strv_length (notes), ==, 0);
  }
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while ((raised = mem_total_kib ()) < before + 32 * 1024 && g_get_monotonic_time () < deadline)
    g_usleep (G_USEC_PER_SEC / 2);
  g_test_message ("MemTotal at 448 MiB: %" G_GUINT64_FORMAT " KiB", raised);
  g_assert_cmpuint (raised, >=, before + 32 * 1024);
}

/* What libvirt cannot change in a running machine: defined, said in the
 * Settings page's sentences, and the running machine keeps what it had. */
static void
test_next_start (void)
{
  g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
  const char *order[] = { "cdrom", "hd", NULL };
  GbEditDisk *cache = g_new0 (GbEditDisk, 1);
  GbEditNic *model = g_new0 (GbEditNic, 1);
  g_auto(GStrv) notes = NULL;
  g_autofree char *defined = NULL;
  g_autofree char *live = NULL;
  g_autofree char *nic_note = NULL;
  gboolean nic_said = FALSE;

  if (!ready (TRUE) || fx.nic_mac == NULL)
    {
      if (fx.skip == NULL && fx.running)
        g_test_skip ("no hot-plugged NIC (an earlier case failed)");
      return;
    }

  edit->fields = GB_EDIT_VCPUS | GB_EDIT_MEMORY | GB_EDIT_BOOT;
  edit->vcpus = 2;
  edit->max_vcpus = 3;
  edit->memory_kib = 640 * 1024;
  edit->max_memory_kib = 768 * 1024;
  edit->boot_order = g_strdupv ((GStrv) order);
  edit->boot_menu = TRUE;
  cache->target = g_strdup ("sda");
  cache->bus = g_strdup ("scsi");
  cache->cache = g_strdup ("writeback");
  cache->read_only = TRUE;
  g_ptr_array_add (edit->modify_disks, cache);
  model->type = g_strdup ("network");
  model->source = g_strdup ("default");
  model->model = g_strdup ("e1000e");
  model->mac = g_strdup (fx.nic_mac);
  g_ptr_array_add (edit->modify_nics, model);
  notes = apply (fx.machine, edit);

  /* The sentences the page lists under "Applied. Waiting for the next start:". */
  g_assert_true (strv_has (notes, "The maximum number of processors changes when the machine next starts."));
  g_assert_true (strv_has (notes, "The maximum memory changes when the machine next starts."));
  g_assert_true (strv_has (notes, "More memory than the running machine's maximum: it comes when it next starts."));
  g_assert_true (strv_has (notes, "The boot order and menu change when the machine next starts."));
  g_assert_true (strv_has (notes, "Disk sda's bus, cache and read-only setting change when the machine next starts."));
  /* libvirt refuses a new model live, and its reason follows in brackets. */
  nic_note = g_strdup_printf ("Network interface %s changes when the machine next starts. (", fx.nic_mac);
  for (guint i = 0; notes[i]; i++)
    if (g_str_has_prefix (notes[i], nic_note) && g_str_has_suffix (notes[i], ")"))
      nic_said = TRUE;
  g_assert_true (nic_said);
  g_assert_cmpuint (g_strv_length (notes), ==, 6);

  /* Defined for the next start ... */
  defined = xml_of (fx.machine, VIR_DOMAIN_XML_INACTIVE);
  g_assert_nonnull (strstr (defined, "current='2'>3</vcpu>"));
  g_assert_nonnull (strstr (defined, "<memory unit='KiB'>786432</memory>"));
  g_assert_nonnull (strstr (defined, "<boot dev='cdrom'/>\n    <boot dev='hd'/>\n    <bootmenu enable='yes'/>"));
  g_assert_nonnull (strstr (defined, "cache='writeback'"));
  g_assert_nonnull (strstr (defined, "<model type='e1000e'/>"));
  /* ... while the running machine keeps what it had. */
  g_assert_cmpint (virDomainGetVcpusFlags (handle (), VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_VCPU_MAXIMUM), ==, 2);
  g_assert_cmpuint (virDomainGetMaxMemory (handle ()), ==, 512 * 1024);
  live = xml_of (fx.machine, 0);
  g_assert_null (strstr (live, "cache='writeback'"));
  g_assert_null (strstr (live, "e1000e"));
  g_assert_nonnull (strstr (live, "<interface type='user'>"));
}

/* The NIC removed while the guest runs: eth0 goes. */
static void
test_nic_unplug (void)
{
  g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
  g_auto(GStrv) notes = NULL;
  g_autofree char *nics = NULL;
  g_autofree char *live = NULL;

  if (!ready (TRUE) || fx.nic_mac == NULL)
    {
      if (fx.skip == NULL && fx.running)
        g_test_skip ("no hot-plugged NIC (an earlier case failed)");
      return;
    }

  g_ptr_array_add (edit->remove_nics, g_strdup (fx.nic_mac));
  notes = apply (fx.machine, edit);
  /* A guest slower than libvirt's 5 s (a loaded host, TCG) is said to be
   * still letting it go; nothing else waits. */
  if (g_strv_length (notes) == 1)
    {
      g_autofree char *asked = g_strdup_printf ("Network interface %s: the guest has been asked to let it go and has not yet. "
                                                "It goes when the guest does, or when the machine next starts.", fx.nic_mac);
      g_assert_cmpstr (notes[0], ==, asked);
    }
  else
    g_assert_cmpuint (g_strv_length (notes), ==, 0);
  nics = ask_until ("nics", "NICS ", "eth0", FALSE);
  g_assert_null (strstr (nics, "eth0"));
  live = xml_of (fx.machine, 0);
  g_assert_null (strstr (live, "<interface"));
}

static void
teardown (void)
{
  if (fx.machine != NULL)
    {
      g_autoptr(GAsyncResult) deleted = NULL;

      if (fx.running)
        {
          gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

          g_assert_cmpint (virStreamSend (fx.console.stream, "off\n", 4), ==, 4);
          while (gb_machine_get_state (fx.machine) != GB_MACHINE_STATE_SHUTOFF && g_get_monotonic_time () < deadline)
            g_main_context_iteration (NULL, TRUE);
        }
      if (gb_machine_get_state (fx.machine) != GB_MACHINE_STATE_SHUTOFF)
        virDomainDestroy (handle ());
      if (fx.console.stream != NULL)
        gb_test_console_close (&fx.console);
      gb_machine_delete_async (fx.machine, NULL, NULL, gb_test_store_result, &deleted);
      GB_TEST_WAIT_FOR (deleted != NULL, 30);
    }
  if (fx.provider != NULL)
    {
      gb_provider_disconnect (fx.provider);
      g_clear_object (&fx.provider);
    }
  if (fx.tmp != NULL)
    gb_test_tmpdir_remove (fx.tmp);
  g_clear_pointer (&fx.tmp, g_free);
  g_clear_pointer (&fx.skip, g_free);
  g_clear_pointer (&fx.nic_mac, g_free);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  gb_test_libvirt_init ();

  /* In order, on one guest. */
  g_test_add_func ("/libvirt/qemu-edit/stopped", test_stopped);
  g_test_add_func ("/libvirt/qemu-edit/virtio-disk-and-vcpu", test_virtio_disk_and_vcpu);
  g_test_add_func ("/libvirt/qemu-edit/virtio-disk-unplug", test_virtio_disk_unplug);
  g_test_add_func ("/libvirt/qemu-edit/scsi-disk", test_scsi_disk);
  g_test_add_func ("/libvirt/qemu-edit/cdrom-media", test_cdrom_media);
  g_test_add_func ("/libvirt/qemu-edit/nic", test_nic);
  g_test_add_func ("/libvirt/qemu-edit/memory", test_memory);
  g_test_add_func ("/libvirt/qemu-edit/next-start", test_next_start);
  g_test_add_func ("/libvirt/qemu-edit/nic-unplug", test_nic_unplug);

  ret = g_test_run ();
  teardown ();
  return ret;
}
