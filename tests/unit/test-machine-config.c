/* test-machine-config.c — GbMachineConfig from domain XML, as virt-manager and Boxes write it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "gb-machine-config.h"

static const char domain_xml[] =
  "<domain type='kvm'>\n"
  "  <name>win-and-more</name>\n"
  "  <uuid>d1a9c1b4-3b1e-4b0c-9f51-2f0a6ad1e001</uuid>\n"
  "  <metadata>\n"
  "    <libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'>\n"
  "      <libosinfo:os id='http://fedoraproject.org/fedora/37'/>\n"
  "    </libosinfo:libosinfo>\n"
  "  </metadata>\n"
  "  <memory unit='KiB'>4194304</memory>\n"
  "  <currentMemory unit='KiB'>2097152</currentMemory>\n"
  "  <vcpu placement='static'>4</vcpu>\n"
  "  <os>\n"
  "    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n"
  "    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>\n"
  "    <nvram>/var/lib/libvirt/qemu/nvram/win_VARS.fd</nvram>\n"
  "  </os>\n"
  "  <devices>\n"
  "    <disk type='file' device='disk'>\n"
  "      <driver name='qemu' type='qcow2'/>\n"
  "      <source file='/var/lib/libvirt/images/a.qcow2'/>\n"
  "      <target dev='sda' bus='sata'/>\n"
  "    </disk>\n"
  "    <disk type='file' device='cdrom'>\n"
  "      <driver name='qemu' type='raw'/>\n"
  "      <source file='/srv/iso/fedora.iso'/>\n"
  "      <target dev='sdb' bus='sata'/>\n"
  "      <readonly/>\n"
  "    </disk>\n"
  "    <disk type='volume' device='disk'>\n"
  "      <driver name='qemu' type='raw'/>\n"
  "      <source pool='default' volume='data.img'/>\n"
  "      <target dev='vdb' bus='virtio'/>\n"
  "    </disk>\n"
  "    <disk type='file' device='cdrom'>\n"
  "      <target dev='sdc' bus='sata'/>\n"
  "      <readonly/>\n"
  "    </disk>\n"
  "    <interface type='bridge'>\n"
  "      <mac address='52:54:00:aa:bb:01'/>\n"
  "      <source bridge='br0'/>\n"
  "      <model type='e1000e'/>\n"
  "    </interface>\n"
  "    <interface type='user'>\n"
  "      <mac address='52:54:00:aa:bb:02'/>\n"
  "      <model type='virtio'/>\n"
  "    </interface>\n"
  "    <interface type='user'>\n"
  "      <backend type='passt'/>\n"
  "      <model type='virtio'/>\n"
  "    </interface>\n"
  "    <graphics type='spice' autoport='yes'>\n"
  "      <listen type='address' address='127.0.0.1'/>\n"
  "    </graphics>\n"
  "    <graphics type='vnc' socket='/run/vnc.sock'/>\n"
  "  </devices>\n"
  "</domain>\n";

static void
test_parse (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GbMachineConfig) config = gb_machine_config_new_from_xml (domain_xml, &error);
  GPtrArray *disks, *nics, *graphics;
  GbConfigDisk *disk;
  GbConfigNic *nic;
  GbConfigGraphics *g;

  g_assert_no_error (error);
  g_assert_nonnull (config);

  g_assert_cmpstr (gb_machine_config_get_name (config), ==, "win-and-more");
  g_assert_cmpstr (gb_machine_config_get_uuid (config), ==, "d1a9c1b4-3b1e-4b0c-9f51-2f0a6ad1e001");
  g_assert_cmpuint (gb_machine_config_get_n_vcpus (config), ==, 4);
  g_assert_cmpuint (gb_machine_config_get_memory (config), ==, G_GUINT64_CONSTANT (4) << 30);
  g_assert_cmpstr (gb_machine_config_get_firmware (config), ==, "efi");
  g_assert_cmpstr (gb_machine_config_get_os_id (config), ==, "http://fedoraproject.org/fedora/37");
  /* Resolved later, by the machine, off the main thread. */
  g_assert_null (gb_machine_config_get_os_name (config));

  disks = gb_machine_config_get_disks (config);
  g_assert_cmpuint (disks->len, ==, 4);

  disk = disks->pdata[0];
  g_assert_cmpstr (disk->target, ==, "sda");
  g_assert_cmpstr (disk->path, ==, "/var/lib/libvirt/images/a.qcow2");
  g_assert_cmpstr (disk->format, ==, "qcow2");
  g_assert_cmpstr (disk->bus, ==, "sata");
  g_assert_cmpstr (disk->device, ==, "disk");
  g_assert_false (disk->read_only);

  disk = disks->pdata[1];
  g_assert_cmpstr (disk->device, ==, "cdrom");
  g_assert_cmpstr (disk->format, ==, "raw");
  g_assert_cmpstr (disk->path, ==, "/srv/iso/fedora.iso");
  g_assert_true (disk->read_only);

  disk = disks->pdata[2];
  g_assert_cmpstr (disk->path, ==, "default/data.img");
  g_assert_cmpstr (disk->bus, ==, "virtio");

  /* An empty drive. */
  disk = disks->pdata[3];
  g_assert_null (disk->path);
  g_assert_null (disk->format);
  g_assert_cmpstr (disk->device, ==, "cdrom");

  nics = gb_machine_config_get_nics (config);
  g_assert_cmpuint (nics->len, ==, 3);
  nic = nics->pdata[0];
  g_assert_cmpstr (nic->mac, ==, "52:54:00:aa:bb:01");
  g_assert_cmpstr (nic->type, ==, "bridge");
  g_assert_cmpstr (nic->source, ==, "br0");
  g_assert_cmpstr (nic->model, ==, "e1000e");
  nic = nics->pdata[1];
  g_assert_cmpstr (nic->type, ==, "user");
  g_assert_null (nic->source);
  nic = nics->pdata[2];
  g_assert_cmpstr (nic->type, ==, "user");
  g_assert_cmpstr (nic->source, ==, "passt");

  graphics = gb_machine_config_get_graphics (config);
  g_assert_cmpuint (graphics->len, ==, 2);
  g = graphics->pdata[0];
  g_assert_cmpstr (g->type, ==, "spice");
  g_assert_cmpstr (g->listen, ==, "127.0.0.1");
  g = graphics->pdata[1];
  g_assert_cmpstr (g->type, ==, "vnc");
  g_assert_cmpstr (g->socket, ==, "/run/vnc.sock");
}

static void
test_boxed_copy (void)
{
  g_autoptr(GbMachineConfig) config = gb_machine_config_new_from_xml (domain_xml, NULL);
  GbConfigDisk *disk = gb_machine_config_get_disks (config)->pdata[1];
  g_autoptr(GbConfigDisk) copy = g_boxed_copy (GB_TYPE_CONFIG_DISK, disk);

  g_assert_true (copy != disk);
  g_assert_cmpstr (copy->path, ==, disk->path);
  g_assert_true (copy->read_only);
}

static void
test_bios_and_no_metadata (void)
{
  g_autoptr(GbMachineConfig) config =
    gb_machine_config_new_from_xml ("<domain type='qemu'><name>plain</name><memory>131072</memory>"
                                    "<vcpu>1</vcpu><os><type>hvm</type></os></domain>", NULL);

  g_assert_nonnull (config);
  g_assert_cmpstr (gb_machine_config_get_firmware (config), ==, "bios");
  g_assert_null (gb_machine_config_get_os_id (config));
  g_assert_cmpuint (gb_machine_config_get_memory (config), ==, 128 * 1024 * 1024);
  g_assert_cmpuint (gb_machine_config_get_disks (config)->len, ==, 0);
}

static void
test_invalid (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GbMachineConfig) config = gb_machine_config_new_from_xml ("<domain><name>broken", &error);

  g_assert_null (config);
  g_assert_nonnull (error);
}

/* A glassbox-vmm machine file: both forms of "disks", relative paths from
 * the machines folder, the VMM's defaults for what is left out. */
static void
test_vmm_json (void)
{
  static const char json[] =
    "{ \"name\": \"tiny\", \"uuid\": \"5b0e5a44-5d3c-4a57-9d3e-0d6a1c1f2b01\","
    "  \"os-id\": \"http://debian.org/debian/12\", \"kernel\": \"vmlinuz\", \"cpus\": 2, \"memory\": 512,"
    "  \"disks\": [ { \"path\": \"root.qcow2\", \"format\": \"qcow2\" },"
    "              \"path=/srv/seed.raw,format=raw,readonly=on\", 42 ],"
    "  \"net\": [ { \"user\": true, \"mac\": \"52:54:00:12:34:56\" }, { \"bridge\": \"br0\" },"
    "           \"tap=tap0,mac=52:54:00:12:34:57\", { \"user\": false } ] }";
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GbMachineConfig) config = NULL;
  g_autoptr(GbMachineConfig) bare = NULL;
  g_autoptr(JsonObject) empty = json_object_new ();
  GPtrArray *disks;
  GPtrArray *nics;
  const GbConfigDisk *d;
  const GbConfigNic *n;

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  config = gb_machine_config_new_from_vmm_json (json_node_get_object (json_parser_get_root (parser)), "/home/u/machines");

  g_assert_cmpstr (gb_machine_config_get_name (config), ==, "tiny");
  g_assert_cmpstr (gb_machine_config_get_uuid (config), ==, "5b0e5a44-5d3c-4a57-9d3e-0d6a1c1f2b01");
  g_assert_cmpstr (gb_machine_config_get_os_id (config), ==, "http://debian.org/debian/12");
  g_assert_cmpstr (gb_machine_config_get_firmware (config), ==, "kernel");
  g_assert_cmpuint (gb_machine_config_get_n_vcpus (config), ==, 2);
  g_assert_cmpuint (gb_machine_config_get_memory (config), ==, (guint64) 512 << 20);

  disks = gb_machine_config_get_disks (config);
  g_assert_cmpuint (disks->len, ==, 2);   /* 42 is not a disk */
  d = g_ptr_array_index (disks, 0);
  g_assert_cmpstr (d->path, ==, "/home/u/machines/root.qcow2");
  g_assert_cmpstr (d->format, ==, "qcow2");
  g_assert_cmpstr (d->target, ==, "vda");
  g_assert_cmpstr (d->bus, ==, "virtio");
  g_assert_false (d->read_only);
  d = g_ptr_array_index (disks, 1);
  g_assert_cmpstr (d->path, ==, "/srv/seed.raw");
  g_assert_cmpstr (d->format, ==, "raw");
  g_assert_cmpstr (d->target, ==, "vdb");
  g_assert_true (d->read_only);

  /* Its NICs in libvirt's words; "user": false is no NIC. */
  nics = gb_machine_config_get_nics (config);
  g_assert_cmpuint (nics->len, ==, 3);
  n = g_ptr_array_index (nics, 0);
  g_assert_cmpstr (n->type, ==, "user");
  g_assert_null (n->source);
  g_assert_cmpstr (n->mac, ==, "52:54:00:12:34:56");
  g_assert_cmpstr (n->model, ==, "virtio");
  n = g_ptr_array_index (nics, 1);
  g_assert_cmpstr (n->type, ==, "bridge");
  g_assert_cmpstr (n->source, ==, "br0");
  g_assert_null (n->mac);
  n = g_ptr_array_index (nics, 2);
  g_assert_cmpstr (n->type, ==, "ethernet");
  g_assert_cmpstr (n->source, ==, "tap0");
  g_assert_cmpstr (n->mac, ==, "52:54:00:12:34:57");
  g_assert_cmpuint (gb_machine_config_get_graphics (config)->len, ==, 0);

  /* passt, as an object and as --net text: a user-mode NIC whose backend
   * is passt, as libvirt's <interface type='user'><backend type='passt'/>. */
  {
    static const char passt_json[] = "{ \"net\": [ { \"passt\": true }, \"passt,hostfwd=tcp::2222-:22\" ] }";
    g_autoptr(JsonParser) p = json_parser_new ();
    g_autoptr(GbMachineConfig) c = NULL;

    g_assert_true (json_parser_load_from_data (p, passt_json, -1, NULL));
    c = gb_machine_config_new_from_vmm_json (json_node_get_object (json_parser_get_root (p)), NULL);
    nics = gb_machine_config_get_nics (c);
    g_assert_cmpuint (nics->len, ==, 2);
    for (guint i = 0; i < 2; i++)
      {
        n = g_ptr_array_index (nics, i);
        g_assert_cmpstr (n->type, ==, "user");
        g_assert_cmpstr (n->source, ==, "passt");
      }
  }

  /* glassbox-vmm's defaults: 1 CPU, 256 MiB. */
  bare = gb_machine_config_new_from_vmm_json (empty, NULL);
  g_assert_cmpuint (gb_machine_config_get_n_vcpus (bare), ==, 1);
  g_assert_cmpuint (gb_machine_config_get_memory (bare), ==, (guint64) 256 << 20);
  g_assert_cmpuint (gb_machine_config_get_disks (bare)->len, ==, 0);
  g_assert_cmpuint (gb_machine_config_get_nics (bare)->len, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/machine-config/parse", test_parse);
  g_test_add_func ("/machine-config/boxed-copy", test_boxed_copy);
  g_test_add_func ("/machine-config/bios-and-no-metadata", test_bios_and_no_metadata);
  g_test_add_func ("/machine-config/invalid", test_invalid);
  g_test_add_func ("/machine-config/vmm-json", test_vmm_json);

  return g_test_run ();
}
