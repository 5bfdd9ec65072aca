/* test-creator-libvirt.c — the wizard's model end to end on real QEMU
 *
 * One embedded QEMU driver (qemu:///embed?root=<tmp>) for the whole program,
 * because opening it re-probes QEMU.  Two machines a newcomer would make:
 *
 *   - from an ISO this test builds (isolinux + Debian's kernel + a busybox
 *     initramfs from tests/linux-guest/build-guest.sh): it must boot from
 *     the CD and print a marker on its serial console;
 *   - "Try a tiny Linux": it must reach its shell and print its marker.
 *
 * On these hosts /dev/kvm is PVM, so the creator must choose TCG ('qemu').
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "creator-test-util.h"
#include "gb-creator-libvirt.h"
#include "gb-libvirt-autoptr.h"
#include "gb-libvirt-provider.h"
#include "gb-disk-creator.h"
#include "gb-machine-creator.h"
#include "gb-test-libvirt.h"
#include "gb-test-utils.h"
#include "gb-tiny-linux.h"

#define ISO_MARKER "GLASSBOX-ISO-BOOTED"

static char *tmpdir;
static GbProvider *provider;
static GVirConnection *conn;
static char *conn_error;

static gboolean
have_connection (void)
{
  if (conn != NULL)
    return TRUE;
  g_test_skip (conn_error);
  return FALSE;
}

/* The pty of the domain's first serial port, from its live XML. */
static char *
serial_pty (GVirDomain *domain)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVirConfigDomain) conf = gvir_domain_get_config (domain, 0, &error);
  GList *devices;
  char *path = NULL;

  g_assert_no_error (error);
  devices = gvir_config_domain_get_devices (conf);
  for (GList *l = devices; l && path == NULL; l = l->next)
    if (GVIR_CONFIG_IS_DOMAIN_SERIAL (l->data))
      {
        g_autoptr(GVirConfigDomainChardevSource) source =
          gvir_config_domain_chardev_get_source (GVIR_CONFIG_DOMAIN_CHARDEV (l->data));

        if (source && GVIR_CONFIG_IS_DOMAIN_CHARDEV_SOURCE_PTY (source))
          path = g_strdup (gvir_config_domain_chardev_source_pty_get_path (GVIR_CONFIG_DOMAIN_CHARDEV_SOURCE_PTY (source)));
      }
  g_list_free_full (devices, g_object_unref);
  return path;
}

/* Starts @domain paused, attaches to its serial pty, resumes it, and reads
 * until @marker appears or @timeout_s passes.  Returns what was read. */
static char *
boot_and_read (GVirDomain *domain,
               const char *marker,
               guint       timeout_s,
               gboolean   *found)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) seen = g_string_new (NULL);
  g_autofree char *pty = NULL;
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;
  struct termios tio;
  int fd;

  /* Paused first, so nothing is printed before we listen. */
  gvir_domain_start (domain, VIR_DOMAIN_START_PAUSED, &error);
  g_assert_no_error (error);
  pty = serial_pty (domain);
  g_assert_nonnull (pty);
  fd = open (pty, O_RDONLY | O_NOCTTY | O_NONBLOCK);
  g_assert_cmpint (fd, >=, 0);
  if (tcgetattr (fd, &tio) == 0)
    {
      cfmakeraw (&tio);
      tcsetattr (fd, TCSANOW, &tio);
    }
  g_assert_true (gvir_domain_resume (domain, &error));

  *found = FALSE;
  while (!*found && g_get_monotonic_time () < deadline)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      char buf[4096];
      ssize_t n;

      if (poll (&pfd, 1, 500) <= 0)
        continue;
      n = read (fd, buf, sizeof buf);
      if (n <= 0)
        {
          if (n < 0 && errno == EAGAIN)
            continue;
          break;      /* the guest powered off */
        }
      g_string_append_len (seen, buf, n);
      *found = strstr (seen->str, marker) != NULL;
    }
  close (fd);
  return g_string_free (g_steal_pointer (&seen), FALSE);
}

static void
stop (GVirDomain *domain)
{
  gvir_domain_stop (domain, 0, NULL);
  gvir_domain_delete (domain, 0, NULL);
}

static gboolean
host_has_hw_virt (void)
{
  g_autofree char *cpuinfo = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_test ("/dev/kvm", G_FILE_TEST_EXISTS) ||
      !g_file_get_contents ("/proc/cpuinfo", &cpuinfo, NULL, NULL))
    return FALSE;
  lines = g_strsplit (cpuinfo, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (g_str_has_prefix (lines[i], "flags") &&
        (strstr (lines[i], " vmx") || strstr (lines[i], " svm")))
      return TRUE;
  return FALSE;
}

static void
test_iso_boots (void)
{
  g_autoptr(GbMachineCreator) creator = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVirDomain) domain = NULL;
  g_autofree char *guest = g_build_filename (tmpdir, "guest", NULL);
  g_autofree char *tree = g_build_filename (tmpdir, "iso", NULL);
  g_autofree char *iso = g_build_filename (tmpdir, "boot.iso", NULL);
  g_autofree char *script = g_build_filename (tmpdir, "marker.sh", NULL);
  g_autofree char *cmd = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *console = NULL;
  const char *srcdir = g_getenv ("G_TEST_SRCDIR");
  gboolean found;

  if (!have_connection ())
    return;
  if (srcdir == NULL || !gb_test_have_program ("xorriso") ||
      !g_file_test ("/usr/lib/ISOLINUX/isolinux.bin", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("needs G_TEST_SRCDIR, xorriso and isolinux");
      return;
    }

  /* The guest: Debian's kernel + busybox, running marker.sh. */
  g_assert_true (g_file_set_contents (script, "#!/bin/sh\necho " ISO_MARKER "\n", -1, NULL));
  if (!gb_test_build_linux_guest (guest, (const char *[]) { script, NULL }, NULL, &reason))
    {
      g_test_skip (reason);
      return;
    }

  /* A bootable CD: isolinux starts that kernel from the ISO itself. */
  cmd = g_strdup_printf ("set -e; mkdir -p '%1$s/isolinux'; "
                         "cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 '%1$s/isolinux/'; "
                         "cp '%2$s/vmlinuz' '%1$s/vmlinuz'; cp '%2$s/initramfs.img' '%1$s/initrd.img'; "
                         "printf 'DEFAULT linux\\nTIMEOUT 1\\nLABEL linux\\n KERNEL /vmlinuz\\n"
                         " APPEND initrd=/initrd.img console=ttyS0 no_timer_check gb.run=marker.sh\\n' > '%1$s/isolinux/isolinux.cfg'; "
                         "xorriso -as mkisofs -quiet -V GLASSBOX_TEST -b isolinux/isolinux.bin -c isolinux/boot.cat "
                         "-no-emul-boot -boot-load-size 4 -boot-info-table -o '%3$s' '%1$s'",
                         tree, guest, iso);
  g_assert_cmpint (gb_test_run_shell (cmd, NULL, NULL), ==, 0);

  /* The wizard's defaults, as a newcomer accepts them. */
  creator = creator_test_prepared (provider);
  /* kvm only with VT-x/AMD-V; under PVM (these hosts) TCG. */
  g_assert_cmpint (gb_creator_libvirt_get_virt_type (GB_CREATOR_LIBVIRT (gb_machine_creator_get_backend (creator))), ==,
                   host_has_hw_virt () ? GVIR_CONFIG_DOMAIN_VIRT_KVM : GVIR_CONFIG_DOMAIN_VIRT_QEMU);
  creator_test_detect_os (creator, iso, &error);
  g_assert_no_error (error);
  g_assert_nonnull (gb_machine_creator_get_os (creator));
  gb_machine_creator_set_name (creator, "iso-boot");
  if (!gb_machine_creator_get_storage_available (creator) && !gb_disk_can_create_in_folder (provider))
    gb_machine_creator_set_disk_mode (creator, GB_CREATOR_DISK_NONE);
  gb_machine_creator_set_memory_mib (creator, 512);

  domain = creator_test_create (creator);

  console = boot_and_read (domain, ISO_MARKER, 120, &found);
  if (!found)
    g_test_message ("serial console:\n%s", console);
  g_assert_true (found);
  stop (domain);
}

static void
test_tiny_linux_boots (void)
{
  g_autoptr(GbMachineCreator) creator = NULL;
  g_autoptr(GAsyncResult) assembled = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVirDomain) domain = NULL;
  g_autofree char *console = NULL;
  gboolean found;
  gint64 start;

  if (!have_connection ())
    return;

  creator = creator_test_prepared (provider);
  gb_machine_creator_set_source_kind (creator, GB_CREATOR_SOURCE_TINY_LINUX);
  gb_machine_creator_assemble_tiny_linux_async (creator, NULL, gb_test_store_result, &assembled);
  if (!gb_machine_creator_assemble_tiny_linux_finish (creator, gb_test_wait_result (&assembled), &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
        {
          g_test_skip (error->message);
          return;
        }
      g_assert_no_error (error);
    }
  g_assert_cmpint (gb_machine_creator_get_disk_mode (creator), ==, GB_CREATOR_DISK_NONE);
  g_assert_cmpuint (gb_machine_creator_get_memory_mib (creator), ==, 256);

  domain = creator_test_create (creator);
  g_assert_cmpstr (gvir_domain_get_name (domain), ==, "tiny-linux");

  start = g_get_monotonic_time ();
  console = boot_and_read (domain, GB_TINY_LINUX_MARKER, 120, &found);
  if (!found)
    g_test_message ("serial console:\n%s", console);
  g_assert_true (found);
  g_test_message ("tiny Linux reached its shell in %.1f s (TCG)",
                  (g_get_monotonic_time () - start) / 1e6);
  stop (domain);
}

/* Every source kind's XML on the real QEMU driver: valid for
 * virt-xml-validate, accepted by libvirt's QEMU driver, and read back with
 * the libosinfo metadata; with UEFI where the OS and host allow it. */
static void
test_xml_every_kind (void)
{
  static const GbCreatorSource kinds[] = {
    GB_CREATOR_SOURCE_INSTALL_MEDIA, GB_CREATOR_SOURCE_IMPORT_DISK,
    GB_CREATOR_SOURCE_DIRECT_KERNEL, GB_CREATOR_SOURCE_NETWORK_INSTALL,
    GB_CREATOR_SOURCE_TINY_LINUX,
  };
  g_autofree char *file = g_build_filename (tmpdir, "file.img", NULL);
  g_autofree char *xml_file = g_build_filename (tmpdir, "kind.xml", NULL);

  if (!have_connection ())
    return;
  if (!gb_test_have_program ("virt-xml-validate"))
    {
      g_test_skip ("virt-xml-validate is not installed (package libvirt-clients)");
      return;
    }
  g_assert_true (g_file_set_contents (file, "x", 1, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    for (guint uefi = 0; uefi < 2; uefi++)
      {
        g_autoptr(GbMachineCreator) creator = creator_test_prepared (provider);
        g_autoptr(GVirConfigDomain) conf = NULL;
        g_autoptr(GVirConfigDomain) back = NULL;
        g_autoptr(GVirDomain) domain = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *xml = NULL;
        g_autofree char *meta = NULL;
        g_autofree char *name = g_strdup_printf ("kind-%u-%u", i, uefi);
        g_autofree char *cmd = NULL;
        int status;

        gb_machine_creator_set_source_kind (creator, kinds[i]);
        gb_machine_creator_set_source_path (creator, file);
        gb_machine_creator_set_kernel_path (creator, file);
        gb_machine_creator_set_initrd_path (creator, file);
        gb_machine_creator_set_name (creator, name);
        gb_machine_creator_set_firmware (creator, uefi ? GB_CREATOR_FIRMWARE_UEFI : GB_CREATOR_FIRMWARE_BIOS);
        if (uefi && gb_machine_creator_get_firmware (creator) != GB_CREATOR_FIRMWARE_UEFI)
          {
            g_autofree char *why = gb_machine_creator_dup_uefi_unavailable_reason (creator);

            g_test_message ("%s: no UEFI: %s", name, why);
            continue;
          }

        g_autoptr(GbMachineSpec) spec = gb_machine_creator_dup_spec (creator);

        conf = gb_creator_libvirt_build_domain (GB_CREATOR_LIBVIRT (gb_machine_creator_get_backend (creator)),
                                                spec, NULL, &error);
        g_assert_no_error (error);
        xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (conf));
        g_assert_true (g_file_set_contents (xml_file, xml, -1, NULL));
        cmd = g_strdup_printf ("virt-xml-validate '%s' domain", xml_file);
        g_assert_true (g_spawn_command_line_sync (cmd, NULL, NULL, &status, NULL));
        if (!g_spawn_check_wait_status (status, NULL))
          g_test_message ("%s", xml);
        g_assert_true (g_spawn_check_wait_status (status, NULL));
        g_assert_true (strstr (xml, "<domain type=\"qemu\"") || strstr (xml, "<domain type=\"kvm\""));

        domain = gvir_connection_create_domain (conn, conf, &error);
        g_assert_no_error (error);
        back = gvir_domain_get_config (domain, 0, &error);
        g_assert_no_error (error);
        meta = gvir_config_domain_get_custom_xml (back, "http://libosinfo.org/xmlns/libvirt/domain/1.0");
        g_assert_nonnull (meta);
        g_assert_nonnull (strstr (meta, "os id="));
        gvir_domain_delete (domain, VIR_DOMAIN_UNDEFINE_NVRAM, NULL);
      }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  tmpdir = gb_test_tmpdir_new ("gb-creator-embed-XXXXXX");
  gb_test_libvirt_init ();

  uri = g_strdup_printf ("qemu:///embed?root=%s/root", tmpdir);
  {
    /* No virtlogd here: QEMU's output goes to a file in the root.  (The
     * embedded driver reads <root>/etc/qemu.conf.) */
    g_autofree char *etc = g_build_filename (tmpdir, "root", "etc", "qemu", NULL);
    g_autofree char *conf = g_build_filename (tmpdir, "root", "etc", "qemu.conf", NULL);

    g_mkdir_with_parents (etc, 0755);
    /* As root the driver would run QEMU as libvirt-qemu, which cannot
     * enter this test's private temporary directory. */
    g_assert_true (g_file_set_contents (conf,
                                        "stdio_handler = \"file\"\n"
                                        "user = \"root\"\ngroup = \"root\"\n", -1, NULL));
  }
  if (!gb_test_have_program ("qemu-system-x86_64"))
    conn_error = g_strdup ("qemu-system-x86_64 is not installed");
  else
    {
      /* The app's way: one provider, whose connection the wizard shares. */
      g_autoptr(GAsyncResult) result = NULL;

      provider = gb_libvirt_provider_new (uri);
      gb_provider_connect_async (provider, NULL, gb_test_store_result, &result);
      if (!gb_provider_connect_finish (provider, gb_test_wait_result (&result), &error))
        {
          /* Only a missing QEMU driver is "cannot run here"; any other
           * failure to open it is a failure. */
          if (!g_error_matches (error, GB_LIBVIRT_ERROR, VIR_ERR_NO_CONNECT))
            g_error ("Connecting to %s: %s", uri, error->message);
          conn_error = g_strdup_printf ("libvirt's QEMU driver is not available: %s", error->message);
        }
      else
        conn = g_object_ref (gb_libvirt_provider_get_connection (GB_LIBVIRT_PROVIDER (provider)));
    }

  g_test_add_func ("/creator-libvirt/xml-every-kind", test_xml_every_kind);
  g_test_add_func ("/creator-libvirt/iso-boots-from-cd", test_iso_boots);
  g_test_add_func ("/creator-libvirt/tiny-linux-boots", test_tiny_linux_boots);
  ret = g_test_run ();

  g_clear_object (&conn);
  g_clear_object (&provider);
  gb_test_tmpdir_remove (tmpdir);
  return ret;
}
