/* test-creator-model.c — the New Machine wizard's model on test:///default
 *
 * What a user would notice: the ISO they picked is recognised as the same
 * OS osinfo-detect names; unknown media still get sensible defaults; the
 * proposed memory and disk are libosinfo's; the machine libvirt receives is
 * valid (virt-xml-validate) and says which OS it is; bad names are refused.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "gb-bundled-provider.h"
#include "gb-creator-bundled.h"
#include "gb-creator-libvirt.h"
#include "gb-disk-creator.h"
#include "gb-libvirt-provider.h"
#include "gb-machine-creator.h"
#include "gb-creator-osinfo.h"
#include "creator-test-util.h"
#include "gb-libvirt-autoptr.h"
#include "gb-test-libvirt.h"
#include "gb-test-utils.h"

static char *tmpdir;
static GbProvider *provider;    /* test:///default */
static GVirConnection *conn;    /* its connection */

/* ------------------------------------------------------------------ */

static GbMachineCreator *
new_prepared_creator (void)
{
  GbMachineCreator *creator = creator_test_prepared (provider);

  g_assert_true (gb_machine_creator_get_ready (creator));
  return creator;
}

/* A bootable ISO (isolinux) with the given volume id. */
static char *
build_iso (const char *volume_id,
           const char *file_name)
{
  g_autofree char *tree = g_build_filename (tmpdir, "iso-tree", NULL);
  g_autofree char *isolinux = g_build_filename (tree, "isolinux", NULL);
  g_autofree char *cfg = g_build_filename (isolinux, "isolinux.cfg", NULL);
  g_autofree char *iso = g_build_filename (tmpdir, file_name, NULL);
  g_autofree char *bin = g_build_filename (isolinux, "isolinux.bin", NULL);
  g_autofree char *ldl = g_build_filename (isolinux, "ldlinux.c32", NULL);
  g_autofree char *out = NULL;
  g_autofree char *contents = NULL;
  gsize len;

  if (!g_file_test ("/usr/lib/ISOLINUX/isolinux.bin", G_FILE_TEST_EXISTS) ||
      !g_file_test ("/usr/lib/syslinux/modules/bios/ldlinux.c32", G_FILE_TEST_EXISTS) ||
      !gb_test_have_program ("xorriso"))
    return NULL;

  g_mkdir_with_parents (isolinux, 0755);
  g_assert_true (g_file_get_contents ("/usr/lib/ISOLINUX/isolinux.bin", &contents, &len, NULL));
  g_assert_true (g_file_set_contents (bin, contents, len, NULL));
  g_free (contents);
  g_assert_true (g_file_get_contents ("/usr/lib/syslinux/modules/bios/ldlinux.c32", &contents, &len, NULL));
  g_assert_true (g_file_set_contents (ldl, contents, len, NULL));
  g_assert_true (g_file_set_contents (cfg, "DEFAULT linux\nLABEL linux\n  KERNEL /vmlinuz\n", -1, NULL));

  {
    const char *argv[] = { "xorriso", "-as", "mkisofs", "-quiet", "-V", volume_id,
                           "-b", "isolinux/isolinux.bin", "-c", "isolinux/boot.cat",
                           "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table",
                           "-o", iso, tree, NULL };
    g_assert_cmpint (gb_test_run (argv, &out, NULL), ==, 0);
  }
  return g_steal_pointer (&iso);
}

/* ------------------------------------------------------------------ */

static void
test_detect_debian11 (void)
{
  g_autoptr(GbMachineCreator) creator = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *iso = build_iso ("Debian 11.5.0 amd64 n", "debian11.iso");
  g_autofree char *detect_out = NULL;
  g_autofree char *expected = NULL;
  const char *argv[] = { "osinfo-detect", iso, NULL };
  OsinfoOs *os;

  if (iso == NULL)
    {
      g_test_skip ("xorriso or isolinux is not installed");
      return;
    }

  creator = new_prepared_creator ();
  gb_machine_creator_set_source_kind (creator, GB_CREATOR_SOURCE_INSTALL_MEDIA);
  g_assert_true (creator_test_detect_os (creator, iso, &error));
  g_assert_no_error (error);

  os = gb_machine_creator_get_os (creator);
  g_assert_nonnull (os);
  g_assert_true (gb_machine_creator_get_os_detected (creator));
  g_assert_cmpstr (osinfo_entity_get_id (OSINFO_ENTITY (os)), ==, "http://debian.org/debian/11");
  g_assert_cmpstr (gb_machine_creator_get_volume_id (creator), ==, "Debian 11.5.0 amd64 n");
  g_assert_cmpstr (gb_machine_creator_get_name (creator), ==, "debian11");

  /* The same answer as osinfo-detect on the same file. */
  if (!gb_test_have_program ("osinfo-detect"))
    {
      g_test_skip ("osinfo-detect (package libosinfo-bin) is not installed: not compared");
      return;
    }
  g_assert_cmpint (gb_test_run (argv, &detect_out, NULL), ==, 0);
  expected = g_strdup_printf ("installer for OS '%s (x86_64)'",
                              osinfo_product_get_name (OSINFO_PRODUCT (os)));
  g_test_message ("osinfo-detect: %s", detect_out);
  g_assert_nonnull (strstr (detect_out, expected));
}

static void
test_detect_unknown (void)
{
  g_autoptr(GbMachineCreator) creator = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autofree char *iso = NULL;
  g_autofree char *volume_id = NULL;
  OsinfoOs *os;

  volume_id = g_strdup_printf ("XQZ%08X", g_test_rand_int ());
  iso = build_iso (volume_id, "unknown.iso");
  if (iso == NULL)
    {
      g_test_skip ("xorriso or isolinux is not installed");
      return;
    }

  creator = new_prepared_creator ();
  g_assert_false (creator_test_detect_os (creator, iso, &error));
  g_assert_no_error (error);
  g_assert_false (gb_machine_creator_get_os_detected (creator));

  /* Unknown is not an error: generic Linux, and the list to choose from. */
  os = gb_machine_creator_get_os (creator);
  g_assert_nonnull (os);
  g_assert_true (g_str_has_prefix (osinfo_entity_get_id (OSINFO_ENTITY (os)), "http://libosinfo.org/linux/"));
  list = gb_osinfo_list_os (gb_osinfo_peek_db ());
  g_assert_cmpuint (list->len, >, 100);
}

/* Media newer than the database (Debian 12 against osinfo-db 2022-12). */
static void
test_detect_newer_than_db (void)
{
  OsinfoDb *db;
  g_autoptr(GbMachineCreator) creator = new_prepared_creator ();
  g_autoptr(OsinfoOs) os12 = NULL;
  g_autoptr(OsinfoOs) os99 = NULL;
  g_autoptr(OsinfoOs) none = NULL;

  db = gb_osinfo_peek_db ();
  g_assert_nonnull (db);

  if (osinfo_db_get_os (db, "http://debian.org/debian/12") != NULL)
    {
      g_test_skip ("this osinfo-db knows Debian 12 already");
      return;
    }

  os12 = gb_osinfo_find_fallback_os (db, "Debian 12.1.0 amd64 n");
  g_assert_cmpstr (osinfo_entity_get_id (OSINFO_ENTITY (os12)), ==, "http://debian.org/debian/11");
  os99 = gb_osinfo_find_fallback_os (db, "Fedora-WS-Live-99-1-1");
  g_assert_cmpstr (osinfo_os_get_distro (os99), ==, "fedora");
  none = gb_osinfo_find_fallback_os (db, "MYDISTRO 1.0");
  g_assert_true (g_str_has_prefix (osinfo_entity_get_id (OSINFO_ENTITY (none)), "http://libosinfo.org/linux/"));
}

/* What libosinfo itself says for @os on x86_64 (or arch "all" entries):
 * its recommended (or, @minimum, minimum) "ram" or "storage", in bytes. */
static gint64
libosinfo_resource (OsinfoOs   *os,
                    gboolean    minimum,
                    const char *what)
{
  g_autoptr(OsinfoResourcesList) list = minimum ? osinfo_os_get_minimum_resources (os)
                                                : osinfo_os_get_recommended_resources (os);

  for (int i = 0; i < osinfo_list_get_length (OSINFO_LIST (list)); i++)
    {
      OsinfoResources *r = OSINFO_RESOURCES (osinfo_list_get_nth (OSINFO_LIST (list), i));
      const char *arch = osinfo_resources_get_architecture (r);

      if (g_strcmp0 (arch, "x86_64") != 0 && g_strcmp0 (arch, "all") != 0)
        continue;
      return g_str_equal (what, "ram") ? osinfo_resources_get_ram (r)
                                       : osinfo_resources_get_storage (r);
    }
  return -1;
}

static gint64
libosinfo_recommended (OsinfoOs   *os,
                       const char *what)
{
  return libosinfo_resource (os, FALSE, what);
}

static void
test_resources_debian11 (void)
{
  g_autoptr(GbMachineCreator) creator = new_prepared_creator ();
  OsinfoOs *debian11 = osinfo_db_get_os (gb_osinfo_peek_db (), "http://debian.org/debian/11");
  gint64 ram = libosinfo_recommended (debian11, "ram");
  gint64 storage = libosinfo_recommended (debian11, "storage");

  g_assert_cmpint (ram, >, 0);
  g_assert_cmpint (storage, >, 0);

  gb_machine_creator_set_os (creator, debian11);
  g_assert_cmpuint ((guint64) gb_machine_creator_get_memory_mib (creator) << 20, ==, (guint64) ram);
  g_assert_cmpuint (gb_machine_creator_get_disk_size (creator), ==, (guint64) storage);
  g_test_message ("debian11: %u MiB, %" G_GUINT64_FORMAT " bytes of disk, %u vCPUs",
                  gb_machine_creator_get_memory_mib (creator),
                  gb_machine_creator_get_disk_size (creator),
                  gb_machine_creator_get_vcpus (creator));

  /* The minimum is enforced and the host caps the maximum. */
  gb_machine_creator_set_memory_mib (creator, 1);
  g_assert_cmpuint (gb_machine_creator_get_memory_mib (creator), ==, gb_machine_creator_get_min_memory_mib (creator));
  g_assert_cmpint (libosinfo_resource (debian11, TRUE, "ram"), >, 0);
  g_assert_cmpuint ((guint64) gb_machine_creator_get_min_memory_mib (creator) << 20, ==,
                    (guint64) libosinfo_resource (debian11, TRUE, "ram"));
  gb_machine_creator_set_memory_mib (creator, G_MAXUINT);
  g_assert_cmpuint (gb_machine_creator_get_memory_mib (creator), ==, gb_machine_creator_get_max_memory_mib (creator));
  gb_machine_creator_set_vcpus (creator, 100000);
  g_assert_cmpuint (gb_machine_creator_get_vcpus (creator), ==, gb_machine_creator_get_max_vcpus (creator));

  /* Debian 11 has a virtio-blk driver (inherited from older Debians). */
  g_assert_true (gb_machine_creator_get_disk_virtio (creator));
}

/* ------------------------------------------------------------------ */

static void
validate_xml (const char *xml,
              const char *label)
{
  g_autofree char *file = g_strdup_printf ("%s/%s.xml", tmpdir, label);
  g_autofree char *out = NULL;
  const char *argv[] = { "virt-xml-validate", file, "domain", NULL };

  g_assert_true (g_file_set_contents (file, xml, -1, NULL));
  if (!gb_test_have_program ("virt-xml-validate"))
    {
      g_test_message ("virt-xml-validate missing (package libvirt-clients)");
      g_test_fail ();
      return;
    }
  g_assert_cmpint (gb_test_run (argv, &out, NULL), ==, 0);
}

static GVirConfigDomain *
build_domain (GbMachineCreator  *creator,
              GError           **error)
{
  g_autoptr(GbMachineSpec) spec = gb_machine_creator_dup_spec (creator);

  return gb_creator_libvirt_build_domain (GB_CREATOR_LIBVIRT (gb_machine_creator_get_backend (creator)),
                                          spec, NULL, error);
}

static void
touch (const char *path)
{
  g_assert_true (g_file_set_contents (path, "x", 1, NULL));
}

static void
check_kind (GbCreatorSource  kind,
            const char      *label)
{
  g_autoptr(GbMachineCreator) creator = new_prepared_creator ();
  g_autoptr(GVirConfigDomain) domain = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *meta = NULL;
  g_autofree char *path = g_build_filename (tmpdir, label, NULL);
  g_autofree char *kernel = g_build_filename (tmpdir, "vmlinuz", NULL);
  g_autofree char *initrd = g_build_filename (tmpdir, "initrd.img", NULL);
  OsinfoOs *debian11 = osinfo_db_get_os (gb_osinfo_peek_db (), "http://debian.org/debian/11");
  g_autofree char *name = g_strdup_printf ("kind-%s", label);

  touch (path);
  touch (kernel);
  touch (initrd);

  gb_machine_creator_set_source_kind (creator, kind);
  if (kind != GB_CREATOR_SOURCE_TINY_LINUX)
    gb_machine_creator_set_os (creator, debian11);
  gb_machine_creator_set_name (creator, name);

  /* Without its input a source is refused, with a sentence to show. */
  domain = build_domain (creator, &error);
  g_assert_null (domain);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  switch (kind)
    {
    case GB_CREATOR_SOURCE_INSTALL_MEDIA:
    case GB_CREATOR_SOURCE_IMPORT_DISK:
      gb_machine_creator_set_source_path (creator, path);
      break;
    case GB_CREATOR_SOURCE_NETWORK_INSTALL:
      gb_machine_creator_set_source_path (creator, "http://deb.debian.org/debian/dists/bullseye/main/installer-amd64/");
      G_GNUC_FALLTHROUGH;
    case GB_CREATOR_SOURCE_DIRECT_KERNEL:
    case GB_CREATOR_SOURCE_TINY_LINUX:
      gb_machine_creator_set_kernel_path (creator, kernel);
      gb_machine_creator_set_initrd_path (creator, initrd);
      gb_machine_creator_set_kernel_cmdline (creator, "console=ttyS0");
      break;
    default:
      g_assert_not_reached ();
    }

  domain = build_domain (creator, &error);
  g_assert_no_error (error);
  g_assert_nonnull (domain);
  xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (domain));
  g_test_message ("%s", xml);
  validate_xml (xml, label);

  /* The libosinfo metadata, as virt-manager and Boxes write it. */
  meta = gvir_config_domain_get_custom_xml (domain, GB_LIBOSINFO_NS_URI);
  g_assert_nonnull (meta);
  g_assert_nonnull (strstr (xml, "xmlns:libosinfo=\"" GB_LIBOSINFO_NS_URI "\""));
  g_assert_nonnull (strstr (xml, "<libosinfo:os id=\""));
  if (kind != GB_CREATOR_SOURCE_TINY_LINUX)
    g_assert_nonnull (strstr (xml, "<libosinfo:os id=\"http://debian.org/debian/11\"/>"));

  switch (kind)
    {
    case GB_CREATOR_SOURCE_INSTALL_MEDIA:
      g_assert_nonnull (strstr (xml, "device=\"cdrom\""));
      g_assert_nonnull (strstr (xml, "bus=\"virtio\""));   /* the new disk */
      break;
    case GB_CREATOR_SOURCE_IMPORT_DISK:
      g_assert_null (strstr (xml, "device=\"cdrom\""));
      g_assert_nonnull (strstr (xml, path));
      /* The path typed before switching to "import" is the disk too. */
      {
        g_autoptr(GbMachineCreator) other = new_prepared_creator ();

        gb_machine_creator_set_source_path (other, path);
        gb_machine_creator_set_source_kind (other, GB_CREATOR_SOURCE_IMPORT_DISK);
        g_assert_cmpstr (gb_machine_creator_get_disk_path (other), ==, path);
        g_assert_cmpint (gb_machine_creator_get_disk_mode (other), ==, GB_CREATOR_DISK_EXISTING);
      }
      break;
    default:
      g_assert_nonnull (strstr (xml, "<kernel>"));
      g_assert_nonnull (strstr (xml, "<initrd>"));
      break;
    }
}

static void test_xml_install_media (void) { check_kind (GB_CREATOR_SOURCE_INSTALL_MEDIA, "install-media"); }
static void test_xml_import_disk (void) { check_kind (GB_CREATOR_SOURCE_IMPORT_DISK, "import-disk"); }
static void test_xml_direct_kernel (void) { check_kind (GB_CREATOR_SOURCE_DIRECT_KERNEL, "direct-kernel"); }
static void test_xml_network_install (void) { check_kind (GB_CREATOR_SOURCE_NETWORK_INSTALL, "network-install"); }
static void test_xml_tiny_linux (void) { check_kind (GB_CREATOR_SOURCE_TINY_LINUX, "tiny-linux"); }

/* Create on the test driver: a volume in its pool, the domain defined, and
 * the metadata still there when libvirt gives the domain back. */
static void
test_create_test_driver (void)
{
  g_autoptr(GbMachineCreator) creator = new_prepared_creator ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GVirDomain) domain = NULL;
  g_autoptr(GVirConfigDomain) conf = NULL;
  g_autoptr(GVirStoragePool) pool = NULL;
  g_autoptr(GVirStorageVol) vol = NULL;
  g_autofree char *iso = g_build_filename (tmpdir, "create.iso", NULL);
  g_autofree char *meta = NULL;
  g_autofree char *defined_xml = NULL;
  OsinfoOs *debian11 = osinfo_db_get_os (gb_osinfo_peek_db (), "http://debian.org/debian/11");

  touch (iso);
  gb_machine_creator_set_source_path (creator, iso);
  gb_machine_creator_set_os (creator, debian11);
  gb_machine_creator_set_name (creator, "created-by-test");
  g_assert_cmpstr (gb_machine_creator_get_pool_name (creator), ==, "default-pool");
  g_assert_cmpint (gb_machine_creator_get_network_kind (creator), ==, GB_CREATOR_NETWORK_NAT);

  domain = creator_test_create (creator);

  conf = gvir_domain_get_config (domain, 0, &error);
  g_assert_no_error (error);
  meta = gvir_config_domain_get_custom_xml (conf, GB_LIBOSINFO_NS_URI);
  g_assert_nonnull (meta);
  g_assert_nonnull (strstr (meta, "http://debian.org/debian/11"));

  pool = gvir_connection_find_storage_pool_by_name (conn, "default-pool");
  g_assert_nonnull (pool);
  g_assert_true (gvir_storage_pool_refresh (pool, NULL, NULL));
  vol = gvir_storage_pool_get_volume (pool, "created-by-test.qcow2");
  g_assert_nonnull (vol);
  /* The machine uses the volume just made. */
  defined_xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (conf));
  g_assert_nonnull (strstr (defined_xml, "/default-pool/created-by-test.qcow2"));

  /* The name is taken now. */
  g_assert_false (gb_machine_creator_validate_name (creator, "created-by-test", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);

  /* The next wizard offers the new volume as an existing disk. */
  {
    g_autoptr(GbMachineCreator) next = new_prepared_creator ();
    g_auto(GStrv) volumes = gb_machine_creator_list_volumes (next);

    g_assert_true (g_strv_contains ((const char * const *) volumes, "/default-pool/created-by-test.qcow2"));
  }
}

/* A network installer's kernel and initrd are fetched (here from a file://
 * tree) and the machine boots the local copies. */
static void
test_network_install_fetches (void)
{
  g_autoptr(GbMachineCreator) creator = new_prepared_creator ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GVirDomain) domain = NULL;
  g_autoptr(GVirConfigDomain) conf = NULL;
  g_autofree char *tree = g_build_filename (tmpdir, "tree", "install.amd", NULL);
  g_autofree char *kernel = g_build_filename (tree, "vmlinuz", NULL);
  g_autofree char *initrd = g_build_filename (tree, "initrd.gz", NULL);
  g_autofree char *kernel_uri = g_filename_to_uri (kernel, NULL, NULL);
  g_autofree char *initrd_uri = g_filename_to_uri (initrd, NULL, NULL);
  g_autofree char *xml = NULL;
  g_autofree char *cached = g_build_filename (g_get_user_cache_dir (), "glassbox", "boot",
                                              "netinst-vmlinuz", NULL);
  g_autofree char *contents = NULL;

  g_mkdir_with_parents (tree, 0755);
  g_assert_true (g_file_set_contents (kernel, "kernel bytes", -1, NULL));
  g_assert_true (g_file_set_contents (initrd, "initrd bytes", -1, NULL));

  gb_machine_creator_set_source_kind (creator, GB_CREATOR_SOURCE_NETWORK_INSTALL);
  gb_machine_creator_set_source_path (creator, "file:///unused/");
  gb_machine_creator_set_kernel_path (creator, kernel_uri);
  gb_machine_creator_set_initrd_path (creator, initrd_uri);
  gb_machine_creator_set_disk_mode (creator, GB_CREATOR_DISK_NONE);
  gb_machine_creator_set_name (creator, "netinst");

  domain = creator_test_create (creator);
  conf = gvir_domain_get_config (domain, 0, &error);
  g_assert_no_error (error);
  xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (conf));
  g_assert_nonnull (strstr (xml, cached));
  g_assert_null (strstr (xml, "file://"));
  g_assert_true (g_file_get_contents (cached, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "kernel bytes");
}

static void
test_name_validation (void)
{
  g_autoptr(GbMachineCreator) creator = new_prepared_creator ();
  g_autoptr(GError) error = NULL;
  g_autofree char *long_name = g_strnfill (65, 'a');
  const char *bad[] = { "", "-rf", ".hidden", "has space", "a/b", "naïve", "x;y", NULL };
  const char *good[] = { "debian11", "my-vm_2.0+test", "A", NULL };

  for (guint i = 0; bad[i]; i++)
    {
      g_assert_false (gb_machine_creator_validate_name (creator, bad[i], &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_cmpstr (error->message, !=, "");
      g_clear_error (&error);
    }
  g_assert_false (gb_machine_creator_validate_name (creator, long_name, &error));
  g_clear_error (&error);
  for (guint i = 0; good[i]; i++)
    {
      g_assert_true (gb_machine_creator_validate_name (creator, good[i], &error));
      g_assert_no_error (error);
    }

  /* test:///default has a machine called "test". */
  g_assert_false (gb_machine_creator_validate_name (creator, "test", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);

  /* Disk names too. */
  g_assert_true (gb_disk_validate_name ("disk.qcow2", NULL));
  g_assert_false (gb_disk_validate_name ("../x", NULL));
  g_assert_false (gb_disk_validate_name ("", NULL));
}

static void
test_disk_size_parsing (void)
{
  guint64 bytes = 0;

  g_assert_true (gb_disk_parse_size ("20", (guint64) 1 << 30, &bytes, NULL));
  g_assert_cmpuint (bytes, ==, (guint64) 20 << 30);
  g_assert_true (gb_disk_parse_size ("2,5", (guint64) 1 << 30, &bytes, NULL));
  g_assert_cmpuint (bytes, ==, (guint64) 5 << 29);
  g_assert_false (gb_disk_parse_size ("", 1, &bytes, NULL));
  g_assert_false (gb_disk_parse_size ("-1", (guint64) 1 << 30, &bytes, NULL));
  g_assert_false (gb_disk_parse_size ("abc", (guint64) 1 << 30, &bytes, NULL));
  g_assert_false (gb_disk_parse_size ("100", 1 << 10, &bytes, NULL));           /* 100 KiB */
  g_assert_false (gb_disk_parse_size ("65", (guint64) 1 << 40, &bytes, NULL));  /* 65 TiB */
}

/* ------------------------------------------------------------------ */

static const char caps_template[] =
  "<capabilities><host><cpu><arch>x86_64</arch>%s</cpu></host>"
  "<guest><os_type>hvm</os_type><arch name='x86_64'><wordsize>64</wordsize>"
  "<emulator>/usr/bin/qemu-system-x86_64</emulator>%s</arch></guest></capabilities>";

static GVirConfigCapabilities *
caps_from (const char *host_features,
           const char *domains)
{
  g_autofree char *xml = g_strdup_printf (caps_template, host_features, domains);
  g_autoptr(GError) error = NULL;
  GVirConfigCapabilities *caps = gvir_config_capabilities_new_from_xml (xml, &error);

  g_assert_no_error (error);
  return caps;
}

static void
test_virt_type_choice (void)
{
  const char *both = "<domain type='qemu'/><domain type='kvm'/>";
  g_autoptr(GVirConfigCapabilities) vmx = caps_from ("<feature name='vmx'/>", both);
  g_autoptr(GVirConfigCapabilities) svm = caps_from ("<feature name='svm'/><feature name='lahf_lm'/>", both);
  g_autoptr(GVirConfigCapabilities) pvm = caps_from ("<feature name='hypervisor'/>", both);
  g_autoptr(GVirConfigCapabilities) tcg = caps_from ("<feature name='vmx'/>", "<domain type='qemu'/>");
  g_autoptr(GVirConfigCapabilities) test_caps = NULL;
  g_autoptr(GError) error = NULL;

  /* kvm only when offered AND the CPU has VT-x/AMD-V. */
  g_assert_true (gb_creator_libvirt_caps_have_hw_virt (vmx));
  g_assert_cmpint (gb_creator_libvirt_choose_virt_type (vmx, "x86_64", TRUE), ==, GVIR_CONFIG_DOMAIN_VIRT_KVM);
  g_assert_cmpint (gb_creator_libvirt_choose_virt_type (svm, "x86_64",
                                                        gb_creator_libvirt_caps_have_hw_virt (svm)),
                   ==, GVIR_CONFIG_DOMAIN_VIRT_KVM);
  /* /dev/kvm without hardware virtualisation (PVM here): TCG. */
  g_assert_false (gb_creator_libvirt_caps_have_hw_virt (pvm));
  g_assert_cmpint (gb_creator_libvirt_choose_virt_type (pvm, "x86_64", FALSE), ==, GVIR_CONFIG_DOMAIN_VIRT_QEMU);
  g_assert_cmpint (gb_creator_libvirt_choose_virt_type (tcg, "x86_64", TRUE), ==, GVIR_CONFIG_DOMAIN_VIRT_QEMU);

  /* The test driver offers only 'test' on i686. */
  test_caps = gvir_connection_get_capabilities (conn, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (gb_creator_libvirt_choose_arch (test_caps), ==, "i686");
  g_assert_cmpint (gb_creator_libvirt_choose_virt_type (test_caps, "i686", FALSE), ==, GVIR_CONFIG_DOMAIN_VIRT_TEST);
}

/* zh_CN is first-class: every string the creator shows has a translation
 * (msgcmp fails on any msgid of the sources missing from the .po). */
static void
test_zh_cn_complete (void)
{
  const char *srcdir = g_getenv ("G_TEST_SRCDIR");
  g_autofree char *creator = srcdir ? g_build_filename (srcdir, "..", "src", "creator", NULL) : NULL;
  g_autofree char *pot = g_build_filename (tmpdir, "creator.pot", NULL);
  g_autofree char *cmd = NULL;

  if (creator == NULL || !gb_test_have_program ("xgettext") || !gb_test_have_program ("msgcmp"))
    {
      g_test_skip ("needs G_TEST_SRCDIR and gettext's xgettext/msgcmp");
      return;
    }
  cmd = g_strdup_printf ("cd '%s' && xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ "
                         "--keyword=ngettext:1,2 -o '%s' *.c *.ui && "
                         "msgcmp ../../po/zh_CN.po '%s' && msgfmt --check -o /dev/null ../../po/zh_CN.po",
                         creator, pot, pot);
  {
    const char *argv[] = { "sh", "-c", cmd, NULL };

    g_assert_cmpint (gb_test_run (argv, NULL, NULL), ==, 0);
  }
}

/* ------------------------------------------------------------------ */
/* Where machines run                                                 */

/* A disk file in a folder of this computer is offered only where the
 * machine runs on this computer: never for a qemu+ssh:// host. */
static void
test_folders_where_machines_run (void)
{
  g_autoptr(GbProvider) remote = gb_libvirt_provider_new ("qemu+ssh://root@example.invalid/system");
  g_autoptr(GbProvider) tcp = gb_libvirt_provider_new ("qemu+tcp://192.0.2.1/system");
  g_autofree char *machines = g_build_filename (tmpdir, "where", "machines", NULL);
  g_autofree char *runtime = g_build_filename (tmpdir, "where", "run", NULL);
  g_autoptr(GbProvider) bundled = gb_bundled_provider_new_for_dirs (machines, runtime);
  g_autoptr(GbMachineCreator) local = new_prepared_creator ();

  g_assert_true (gb_creator_libvirt_uri_is_local ("qemu:///system"));
  g_assert_true (gb_creator_libvirt_uri_is_local ("qemu:///session"));
  g_assert_true (gb_creator_libvirt_uri_is_local ("qemu:///embed?root=/tmp/x"));
  g_assert_true (gb_creator_libvirt_uri_is_local ("qemu+unix:///system"));
  g_assert_true (gb_creator_libvirt_uri_is_local ("test:///default"));
  g_assert_false (gb_creator_libvirt_uri_is_local ("qemu+ssh://root@example.invalid/system"));
  g_assert_false (gb_creator_libvirt_uri_is_local ("qemu+tls://host.example/system"));
  g_assert_false (gb_creator_libvirt_uri_is_local ("qemu://host.example/system"));

  /* Never connected: the answer does not need the remote host. */
  g_assert_false (gb_disk_can_create_in_folder (remote));
  g_assert_false (gb_disk_can_create_in_folder (tcp));
  g_assert_true (gb_machine_creator_get_local (local));
#ifdef HAVE_BLOCK_CREATE
  g_assert_true (gb_disk_can_create_in_folder (provider));
  g_assert_true (gb_disk_can_create_in_folder (bundled));
#else
  g_assert_false (gb_disk_can_create_in_folder (bundled));
#endif
}

static GbProvider *
bundled_provider (const char *label)
{
  g_autofree char *machines = g_build_filename (tmpdir, label, "machines", NULL);
  g_autofree char *runtime = g_build_filename (tmpdir, label, "run", NULL);

  return gb_bundled_provider_new_for_dirs (machines, runtime);
}

/* Glassbox's own machines: a kernel + initrd machine with two CPUs, 256
 * MiB and a new qcow2 disk in the machines folder becomes exactly that
 * glassbox-vmm --config object; install media are not offered there. */
/* The bundled backend's JSON for the creator's choices as they are now. */
static JsonObject *
bundled_config (GbCreatorBundled  *backend,
                GbMachineCreator  *creator,
                GError           **error)
{
  g_autoptr(GbMachineSpec) spec = gb_machine_creator_dup_spec (creator);

  return gb_creator_bundled_build_config (backend, spec, NULL, error);
}

static void
test_bundled_json (void)
{
  g_autoptr(GbProvider) bundled = bundled_provider ("json");
  g_autoptr(GbMachineCreator) creator = creator_test_prepared (bundled);
  g_autoptr(JsonObject) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *kernel = g_build_filename (tmpdir, "vmlinuz", NULL);
  g_autofree char *initrd = g_build_filename (tmpdir, "initrd.img", NULL);
  g_autofree char *disk = g_build_filename (gb_bundled_provider_get_machines_dir (GB_BUNDLED_PROVIDER (bundled)),
                                            "bundled-json.qcow2", NULL);
  GbCreatorBundled *backend = GB_CREATOR_BUNDLED (gb_machine_creator_get_backend (creator));
  JsonArray *disks;
  JsonObject *d;

  touch (kernel);
  touch (initrd);

  /* What it can boot, and what it offers. */
  g_assert_false (gb_machine_creator_offers_source (creator, GB_CREATOR_SOURCE_INSTALL_MEDIA));
  g_assert_false (gb_machine_creator_offers_source (creator, GB_CREATOR_SOURCE_NETWORK_INSTALL));
  g_assert_true (gb_machine_creator_offers_source (creator, GB_CREATOR_SOURCE_TINY_LINUX));
  g_assert_true (gb_machine_creator_offers_source (creator, GB_CREATOR_SOURCE_DIRECT_KERNEL));
  g_assert_true (gb_machine_creator_offers_source (creator, GB_CREATOR_SOURCE_IMPORT_DISK));
  g_assert_cmpint (gb_machine_creator_get_source_kind (creator), !=, GB_CREATOR_SOURCE_INSTALL_MEDIA);
  /* User-mode NAT by default; libvirt's NAT networks are not there. */
  g_assert_cmpint (gb_machine_creator_get_network_kind (creator), ==, GB_CREATOR_NETWORK_USER);
  g_assert_true (gb_machine_creator_offers_network (creator, GB_CREATOR_NETWORK_USER));
  g_assert_true (gb_machine_creator_offers_network (creator, GB_CREATOR_NETWORK_BRIDGE));
  g_assert_false (gb_machine_creator_offers_network (creator, GB_CREATOR_NETWORK_NAT));
  g_assert_false (gb_machine_creator_get_firmware_choice (creator));
  g_assert_false (gb_machine_creator_get_uefi_available (creator));
  g_assert_true (gb_machine_creator_get_local (creator));
  g_assert_false (gb_machine_creator_get_storage_available (creator));
  {
    g_autofree char *folder = gb_machine_creator_dup_image_folder (creator);
    g_assert_cmpstr (folder, ==, gb_bundled_provider_get_machines_dir (GB_BUNDLED_PROVIDER (bundled)));
  }

  gb_machine_creator_set_source_kind (creator, GB_CREATOR_SOURCE_DIRECT_KERNEL);
  gb_machine_creator_set_kernel_path (creator, kernel);
  gb_machine_creator_set_initrd_path (creator, initrd);
  gb_machine_creator_set_kernel_cmdline (creator, "console=ttyS0 reboot=k");
  gb_machine_creator_set_memory_mib (creator, 256);
  gb_machine_creator_set_vcpus (creator, 2);
  gb_machine_creator_set_disk_mode (creator, GB_CREATOR_DISK_NEW);
  gb_machine_creator_set_disk_size (creator, (guint64) 64 << 20);
  gb_machine_creator_set_name (creator, "bundled-json");

  config = bundled_config (backend, creator, &error);
  g_assert_no_error (error);
  g_assert_nonnull (config);
  g_assert_cmpstr (json_object_get_string_member (config, "name"), ==, "bundled-json");
  g_assert_cmpstr (json_object_get_string_member (config, "kernel"), ==, kernel);
  g_assert_cmpstr (json_object_get_string_member (config, "initrd"), ==, initrd);
  g_assert_cmpstr (json_object_get_string_member (config, "cmdline"), ==, "console=ttyS0 reboot=k");
  g_assert_cmpstr (json_object_get_string_member (config, "os-id"), ==,
                   osinfo_entity_get_id (OSINFO_ENTITY (gb_machine_creator_get_os (creator))));
  g_assert_cmpint (json_object_get_int_member (config, "memory"), ==,
                   gb_machine_creator_get_memory_mib (creator));
  g_assert_cmpint (json_object_get_int_member (config, "cpus"), ==, gb_machine_creator_get_vcpus (creator));
  g_assert_cmpint (json_object_get_int_member (config, "cpus"), ==, MIN (2, g_get_num_processors ()));
  disks = json_object_get_array_member (config, "disks");
  g_assert_cmpuint (json_array_get_length (disks), ==, 1);
  d = json_array_get_object_element (disks, 0);
  g_assert_cmpstr (json_object_get_string_member (d, "path"), ==, disk);
  g_assert_cmpstr (json_object_get_string_member (d, "format"), ==, "qcow2");
  {
    JsonArray *nics = json_object_get_array_member (config, "net");

    g_assert_nonnull (nics);
    g_assert_cmpuint (json_array_get_length (nics), ==, 1);
    g_assert_true (json_object_get_boolean_member (json_array_get_object_element (nics, 0), "user"));
  }
  {
    g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), config);
    g_autofree char *text = json_to_string (node, TRUE);
    g_test_message ("%s", text);
  }
  g_clear_pointer (&config, json_object_unref);

  /* A file where the new disk would go is never overwritten. */
  g_mkdir_with_parents (gb_bundled_provider_get_machines_dir (GB_BUNDLED_PROVIDER (bundled)), 0700);
  touch (disk);
  g_assert_false (gb_machine_creator_check (creator, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);
  g_unlink (disk);
  g_assert_true (gb_machine_creator_check (creator, &error));
  g_assert_no_error (error);

  /* No disk, no initrd: neither is written. */
  gb_machine_creator_set_disk_mode (creator, GB_CREATOR_DISK_NONE);
  gb_machine_creator_set_initrd_path (creator, NULL);
  config = bundled_config (backend, creator, &error);
  g_assert_no_error (error);
  g_assert_false (json_object_has_member (config, "disks"));
  g_assert_false (json_object_has_member (config, "initrd"));
  g_clear_pointer (&config, json_object_unref);

  /* An existing disk image needs a kernel to boot with it here. */
  gb_machine_creator_set_source_kind (creator, GB_CREATOR_SOURCE_IMPORT_DISK);
  gb_machine_creator_set_source_path (creator, initrd);
  gb_machine_creator_set_kernel_path (creator, NULL);
  g_assert_false (gb_machine_creator_check (creator, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  gb_machine_creator_set_kernel_path (creator, kernel);
  config = bundled_config (backend, creator, &error);
  g_assert_no_error (error);
  d = json_array_get_object_element (json_object_get_array_member (config, "disks"), 0);
  g_assert_cmpstr (json_object_get_string_member (d, "path"), ==, initrd);
  g_assert_cmpstr (json_object_get_string_member (d, "format"), ==, "raw");

  /* Install media cannot boot there: refused with a sentence. */
  gb_machine_creator_set_source_kind (creator, GB_CREATOR_SOURCE_INSTALL_MEDIA);
  g_assert_false (gb_machine_creator_check (creator, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
}

/* Create on Glassbox's own provider: the qcow2 disk lands in the machines
 * folder (and qemu-img accepts it), the machine's JSON file appears. */
static void
test_bundled_create (void)
{
  g_autoptr(GbProvider) bundled = bundled_provider ("create");
  g_autoptr(GbMachineCreator) creator = creator_test_prepared (bundled);
  g_autofree char *kernel = g_build_filename (tmpdir, "vmlinuz", NULL);
  const char *dir = gb_bundled_provider_get_machines_dir (GB_BUNDLED_PROVIDER (bundled));
  g_autofree char *disk = g_build_filename (dir, "bundled-made.qcow2", NULL);
  g_autofree char *uuid = NULL;
  g_autoptr(GDir) listing = NULL;
  const char *entry;
  gboolean found = FALSE;

#ifndef HAVE_BLOCK_CREATE
  g_test_skip ("built without the block engine: no disks in folders");
  return;
#endif
  touch (kernel);
  gb_machine_creator_set_source_kind (creator, GB_CREATOR_SOURCE_DIRECT_KERNEL);
  gb_machine_creator_set_kernel_path (creator, kernel);
  gb_machine_creator_set_disk_mode (creator, GB_CREATOR_DISK_NEW);
  gb_machine_creator_set_disk_size (creator, (guint64) 64 << 20);
  gb_machine_creator_set_name (creator, "bundled-made");

  uuid = creator_test_create_uuid (creator);
  g_assert_true (g_file_test (disk, G_FILE_TEST_IS_REGULAR));
  g_assert_nonnull (gb_provider_find_machine (bundled, uuid));

  listing = g_dir_open (dir, 0, NULL);
  while (listing && (entry = g_dir_read_name (listing)) != NULL)
    if (g_str_has_suffix (entry, ".json"))
      {
        g_autofree char *path = g_build_filename (dir, entry, NULL);
        g_autofree char *text = NULL;

        g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
        if (strstr (text, "bundled-made") != NULL)
          {
            g_assert_nonnull (strstr (text, kernel));
            g_assert_nonnull (strstr (text, disk));
            found = TRUE;
          }
      }
  g_assert_true (found);

  /* The name is taken now. */
  g_assert_false (gb_machine_creator_validate_name (creator, "bundled-made", NULL));

  if (gb_test_have_program ("qemu-img"))
    {
      const char *argv[] = { "qemu-img", "check", disk, NULL };
      g_assert_cmpint (gb_test_run (argv, NULL, NULL), ==, 0);
    }
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  tmpdir = gb_test_tmpdir_new ("gb-creator-XXXXXX");
  {
    /* Downloads and caches stay inside the test's directory. */
    g_autofree char *cache = g_build_filename (tmpdir, "cache", NULL);
    g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  }
  gb_test_libvirt_init ();
  provider = creator_test_libvirt_provider ("test:///default");
  conn = creator_test_connection (provider);

  g_test_add_func ("/creator/detect/debian11", test_detect_debian11);
  g_test_add_func ("/creator/detect/unknown", test_detect_unknown);
  g_test_add_func ("/creator/detect/newer-than-db", test_detect_newer_than_db);
  g_test_add_func ("/creator/resources/debian11", test_resources_debian11);
  g_test_add_func ("/creator/xml/install-media", test_xml_install_media);
  g_test_add_func ("/creator/xml/import-disk", test_xml_import_disk);
  g_test_add_func ("/creator/xml/direct-kernel", test_xml_direct_kernel);
  g_test_add_func ("/creator/xml/network-install", test_xml_network_install);
  g_test_add_func ("/creator/xml/tiny-linux", test_xml_tiny_linux);
  g_test_add_func ("/creator/create/test-driver", test_create_test_driver);
  g_test_add_func ("/creator/create/network-install-fetches", test_network_install_fetches);
  g_test_add_func ("/creator/name-validation", test_name_validation);
  g_test_add_func ("/creator/disk-size-parsing", test_disk_size_parsing);
  g_test_add_func ("/creator/virt-type-choice", test_virt_type_choice);
  g_test_add_func ("/creator/zh-CN-complete", test_zh_cn_complete);
  g_test_add_func ("/creator/folders-only-where-machines-run", test_folders_where_machines_run);
  g_test_add_func ("/creator/bundled/json", test_bundled_json);
  g_test_add_func ("/creator/bundled/create", test_bundled_create);

  ret = g_test_run ();

  g_object_unref (provider);
  gb_test_tmpdir_remove (tmpdir);
  return ret;
}
