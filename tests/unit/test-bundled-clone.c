/* test-bundled-clone.c — clones of a stopped machine on This computer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A bundled machine (a JSON file in a temporary machines folder, never
 * started) with a relative qcow2 disk (object form), an absolute sparse raw
 * disk (string form), a read-only seed and three NICs.  A full clone has a
 * new name, UUID and MACs, no fixed VNC port, disks that qemu-img finds
 * identical yet independent (a write to the clone leaves the source as it
 * was) and still sparse; the seed is shared.  A linked clone's disks are
 * qcow2 overlays backed by the sources.  A taken name, an empty name, a
 * running machine, one with a saved state and a cancel are refused,
 * leaving no file behind.
 */
#include "config.h"

#include <sys/stat.h>
#include <glib/gstdio.h>

#include "gb-bundled-clone.h"
#include "gb-bundled-provider.h"
#include "gb-machine-private.h"
#include "gb-test-utils.h"

#define MIB (1024 * 1024)

typedef struct {
  guint   calls;
  guint64 done, total;
} Progress;

static void
progress_cb (guint64  done,
             guint64  total,
             gpointer user_data)
{
  Progress *p = user_data;

  g_assert_cmpuint (done, <=, total);
  g_assert_cmpuint (done, >=, p->done);   /* never goes back */
  p->calls++;
  p->done = done;
  p->total = total;
}

static GbMachine *
do_clone (GbMachine     *machine,
       const char    *name,
       gboolean       linked,
       Progress      *progress,
       GCancellable  *cancellable,
       GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  gb_bundled_machine_clone_async (GB_BUNDLED_MACHINE (machine), name, linked,
                                  progress ? progress_cb : NULL, progress,
                                  cancellable, gb_test_store_result, &result);
  return gb_bundled_machine_clone_finish (GB_BUNDLED_MACHINE (machine), gb_test_wait_result (&result), error);
}

static guint
count_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static const char *
disk_path (JsonObject *json,
           guint       i)
{
  JsonNode *node = json_array_get_element (json_object_get_array_member (json, "disks"), i);

  if (JSON_NODE_HOLDS_OBJECT (node))
    return json_object_get_string_member (json_node_get_object (node), "path");
  return json_node_get_string (node);
}

/* The MAC of NIC @i, from its object or "…,mac=…" string. */
static char *
nic_mac (JsonObject *json,
         guint       i)
{
  JsonNode *node = json_array_get_element (json_object_get_array_member (json, "net"), i);
  const char *spec, *mac;

  if (JSON_NODE_HOLDS_OBJECT (node))
    return g_strdup (json_object_get_string_member_with_default (json_node_get_object (node), "mac", ""));
  spec = json_node_get_string (node);
  mac = strstr (spec, "mac=");
  return mac ? g_strndup (mac + 4, 17) : g_strdup ("");
}

static void
test_bundled_clone (void)
{
  g_autofree char *dir = gb_test_tmpdir_new ("gb-bclone-XXXXXX");
  g_autofree char *machines = g_build_filename (dir, "machines", NULL);
  g_autofree char *runtime = g_build_filename (dir, "run", NULL);
  g_autofree char *d1 = g_build_filename (machines, "orig.qcow2", NULL);
  g_autofree char *d2 = g_build_filename (dir, "data.img", NULL);
  g_autofree char *seed = g_build_filename (dir, "seed.raw", NULL);
  g_autofree char *spec2 = g_strdup_printf ("path=%s,format=raw,serial=data", d2);
  g_autofree char *spec3 = g_strdup_printf ("path=%s,format=raw,readonly=on", seed);
  g_autofree char *c1 = g_build_filename (machines, "orig-clone.qcow2", NULL);
  g_autofree char *c2 = g_build_filename (dir, "orig-clone.img", NULL);
  g_autofree char *l1 = g_build_filename (machines, "orig-linked.qcow2", NULL);
  g_autofree char *l2 = g_build_filename (dir, "orig-linked.qcow2", NULL);
  g_autofree char *l2b = g_build_filename (dir, "orig-linked-1.qcow2", NULL);
  g_autoptr(GbProvider) provider = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GbMachine) full = NULL, linked = NULL, none = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  GbMachine *machine;
  JsonObject *json;
  Progress progress = { 0 };
  struct stat st;
  guint n_machines_files, n_dir_files;

  if (!gb_test_skip_without_program ("qemu-img", "qemu-utils") ||
      !gb_test_skip_without_program ("qemu-io", "qemu-utils"))
    return;
  g_assert_cmpint (g_mkdir_with_parents (machines, 0700), ==, 0);
  gb_test_qemu_img_create (d1, "qcow2", "16M");
  gb_test_qemu_img_create (d2, "raw", "64M");
  gb_test_qemu_img_create (seed, "raw", "1M");
  gb_test_qemu_io (d1, "qcow2", "write -P 0x11 0 1M");
  gb_test_qemu_io (d2, "raw", "write -P 0x22 8M 1M");

  provider = gb_bundled_provider_new_for_dirs (machines, runtime);
  gb_provider_connect_async (provider, NULL, gb_test_store_result, &result);
  g_assert_true (gb_provider_connect_finish (provider, gb_test_wait_result (&result), &error));
  g_clear_object (&result);

  /* The source: every form the machine file allows. */
  {
    g_autoptr(JsonParser) parser = json_parser_new ();
    g_autofree char *text = g_strdup_printf (
      "{ \"name\": \"orig\", \"kernel\": \"/nonexistent/kernel\", \"memory\": 32, \"cpus\": 1,"
      "  \"disks\": [ { \"path\": \"orig.qcow2\", \"format\": \"qcow2\", \"serial\": \"root\" }, \"%s\", \"%s\" ],"
      "  \"net\": [ { \"user\": true, \"mac\": \"52:54:00:12:34:56\" }, \"tap=tap0,mac=52:54:00:12:34:57\", { \"user\": true } ],"
      "  \"display\": \"vnc\", \"vnc\": \"tcp=127.0.0.1:5901\", \"api-socket\": \"/tmp/orig.sock\" }",
      spec2, spec3);

    g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
    gb_bundled_provider_create_machine_async (GB_BUNDLED_PROVIDER (provider),
                                              json_node_get_object (json_parser_get_root (parser)),
                                              NULL, gb_test_store_result, &result);
    machine = gb_bundled_provider_create_machine_finish (GB_BUNDLED_PROVIDER (provider),
                                                         gb_test_wait_result (&result), &error);
    g_assert_no_error (error);
    g_object_unref (machine);   /* the provider keeps it */
  }
  {
    g_autofree char *default_name = gb_bundled_clone_default_name (GB_BUNDLED_MACHINE (machine));
    g_assert_cmpstr (default_name, ==, "orig-clone");
  }
  n_machines_files = count_files (machines);
  n_dir_files = count_files (dir);

  /* Refused, and nothing is written: a taken name, no name, a machine that runs. */
  g_assert_null (do_clone (machine, "orig", FALSE, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, "orig"));
  g_clear_error (&error);
  g_assert_null (do_clone (machine, "  ", FALSE, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  _gb_machine_set_state (machine, GB_MACHINE_STATE_RUNNING);
  g_assert_null (do_clone (machine, "orig-running", FALSE, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_clear_error (&error);
  _gb_machine_set_state (machine, GB_MACHINE_STATE_SHUTOFF);
  _gb_machine_set_saved_at (machine, 1700000000);   /* a saved state (Save State) */
  g_assert_null (do_clone (machine, "orig-saved", FALSE, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_assert_nonnull (strstr (error->message, "saved state"));
  g_clear_error (&error);
  _gb_machine_set_saved_at (machine, 0);
  /* Cancelled: what was copied is removed, no machine appears. */
  cancellable = g_cancellable_new ();
  g_cancellable_cancel (cancellable);
  g_assert_null (do_clone (machine, "orig-cancelled", FALSE, NULL, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_null (gb_provider_find_machine (provider, "orig-cancelled"));
  g_assert_cmpuint (count_files (machines), ==, n_machines_files);
  g_assert_cmpuint (count_files (dir), ==, n_dir_files);

  /* A full clone. */
  full = do_clone (machine, "orig-clone", FALSE, &progress, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (full);
  g_assert_true (gb_provider_find_machine (provider, "orig-clone") == full);
  g_assert_cmpstr (gb_machine_get_name (full), ==, "orig-clone");
  g_assert_true (g_uuid_string_is_valid (gb_machine_get_uuid (full)));
  g_assert_cmpstr (gb_machine_get_uuid (full), !=, gb_machine_get_uuid (machine));
  g_assert_cmpint (gb_machine_get_state (full), ==, GB_MACHINE_STATE_SHUTOFF);
  /* Progress reached the end of all the bytes of both disks. */
  GB_TEST_WAIT_FOR (progress.calls > 0 && progress.done == progress.total, 30);
  g_assert_cmpuint (progress.total, >=, 64 * MIB);

  json = gb_bundled_machine_get_json (GB_BUNDLED_MACHINE (full));
  g_assert_cmpstr (disk_path (json, 0), ==, "orig-clone.qcow2");   /* still relative */
  g_assert_nonnull (strstr (disk_path (json, 1), c2));
  g_assert_nonnull (strstr (disk_path (json, 1), "serial=data"));
  g_assert_cmpstr (disk_path (json, 2), ==, spec3);                 /* the read-only seed is shared */
  g_assert_false (json_object_has_member (json, "vnc"));
  g_assert_false (json_object_has_member (json, "api-socket"));
  g_assert_true (json_object_has_member (json, "display"));
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *mac = nic_mac (json, i);
      g_autofree char *old = nic_mac (gb_bundled_machine_get_json (GB_BUNDLED_MACHINE (machine)), i);

      g_assert_true (g_str_has_prefix (mac, "52:54:00:"));
      g_assert_cmpuint (strlen (mac), ==, 17);
      g_assert_cmpstr (mac, !=, old);
    }
  g_assert_nonnull (strstr (json_node_get_string (json_array_get_element (json_object_get_array_member (json, "net"), 1)), "tap=tap0,"));

  /* The copies hold the same data, the raw one is still sparse, and they are independent. */
  g_assert_cmpint (gb_test_run_args ("qemu-img", "compare", "-q", d1, c1, NULL), ==, 0);
  {
    const char *argv[] = { "qemu-img", "compare", "-q", "-f", "raw", "-F", "raw", d2, c2, NULL };
    g_assert_cmpint (gb_test_run (argv, NULL, NULL), ==, 0);
  }
  g_assert_cmpint (stat (c2, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, 64 * MIB);
  g_assert_cmpint ((gint64) st.st_blocks * 512, <, 16 * MIB);
  gb_test_qemu_io (c1, "qcow2", "write -P 0x33 0 64k");
  gb_test_qemu_io (c2, "raw", "write -P 0x44 8M 64k");
  gb_test_qemu_io_assert_pattern (d1, "qcow2", "read -P 0x11 0 1M");
  gb_test_qemu_io_assert_pattern (d2, "raw", "read -P 0x22 8M 1M");
  gb_test_qemu_io_assert_pattern (c1, "qcow2", "read -P 0x33 0 64k");

  /* Again with the same name: refused, nothing overwritten. */
  g_assert_null (do_clone (machine, "orig-clone", FALSE, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);
  gb_test_qemu_io_assert_pattern (c1, "qcow2", "read -P 0x33 0 64k");

  /* A linked clone: overlays backed by the sources; the raw disk's name
   * NEW.qcow2 is taken in that folder by nothing, the first disk's too. */
  linked = do_clone (machine, "orig-linked", TRUE, NULL, NULL, &error);
  g_assert_no_error (error);
  json = gb_bundled_machine_get_json (GB_BUNDLED_MACHINE (linked));
  g_assert_cmpstr (disk_path (json, 0), ==, "orig-linked.qcow2");
  g_assert_nonnull (strstr (disk_path (json, 1), l2));
  g_assert_nonnull (strstr (disk_path (json, 1), "format=qcow2"));
  g_assert_false (g_file_test (l2b, G_FILE_TEST_EXISTS));
  {
    const char *info[] = { "qemu-img", "info", "--output=json", l1, NULL };
    const char *info2[] = { "qemu-img", "info", "--output=json", l2, NULL };
    g_autofree char *out = NULL, *out2 = NULL;

    g_assert_cmpint (gb_test_run (info, &out, NULL), ==, 0);
    g_assert_nonnull (strstr (out, d1));
    g_assert_cmpint (gb_test_run (info2, &out2, NULL), ==, 0);
    g_assert_nonnull (strstr (out2, d2));
    g_assert_nonnull (strstr (out2, "\"backing-filename-format\": \"raw\""));
  }
  g_assert_cmpint (stat (l1, &st), ==, 0);
  g_assert_cmpint (st.st_size, <, 4 * MIB);
  gb_test_qemu_io_assert_pattern (l1, "qcow2", "read -P 0x11 0 1M");
  gb_test_qemu_io_assert_pattern (l2, "qcow2", "read -P 0x22 8M 1M");
  gb_test_qemu_io (l1, "qcow2", "write -P 0x55 0 64k");
  gb_test_qemu_io_assert_pattern (d1, "qcow2", "read -P 0x11 0 1M");
  g_assert_cmpint (gb_test_run_args ("qemu-img", "check", "-q", l1, NULL), ==, 0);

  /* Both clones are machines the provider reads back from their files. */
  g_assert_cmpuint (count_files (machines), ==, n_machines_files + 4);

  gb_provider_disconnect (provider);
  gb_test_tmpdir_remove (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bundled-clone/full-linked-refused", test_bundled_clone);
  return g_test_run ();
}
