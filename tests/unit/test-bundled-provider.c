/* test-bundled-provider.c — "This computer (Glassbox)" against real
 * glassbox-vmm processes running the tiny guests of tests/guests (they run
 * on PVM too): create, start, pause, resume, reset, power button, force off,
 * delete; a second provider finds a running machine again; kill -9 gives
 * CRASHED with the log; a corrupt file stays as it was; the serial console.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <unistd.h>

#include "gb-bundled-edit.h"
#include "gb-bundled-machine.h"
#include "gb-bundled-provider.h"
#include "gb-machine.h"
#include "gb-test-utils.h"

typedef struct {
  char       *dir;
  char       *machines_dir;
  char       *runtime_dir;
  GbProvider *provider;
  GArray     *pids;          /* every VMM a test started: all gone at the end */
} Fixture;

static char *
guest (const char *name)
{
  g_autofree char *file = g_strconcat (name, ".elf", NULL);

  return g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "guests", file, NULL);
}

static GbProvider *
connect_provider (Fixture *f)
{
  g_autoptr(GbProvider) provider = gb_bundled_provider_new_for_dirs (f->machines_dir, f->runtime_dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  gb_provider_connect_async (provider, NULL, gb_test_store_result, &result);
  g_assert_true (gb_provider_connect_finish (provider, gb_test_wait_result (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpint (gb_provider_get_state (provider), ==, GB_PROVIDER_STATE_CONNECTED);
  return g_steal_pointer (&provider);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *vmm = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "..", "hypervisor", "vmm", "glassbox-vmm", NULL);

  f->pids = g_array_new (FALSE, FALSE, sizeof (GPid));
  if (!g_file_test (vmm, G_FILE_TEST_IS_EXECUTABLE))
    return;
  g_setenv ("GLASSBOX_VMM", vmm, TRUE);
  f->dir = gb_test_tmpdir_new ("glassbox-bundled-XXXXXX");
  f->machines_dir = g_build_filename (f->dir, "machines", NULL);
  f->runtime_dir = g_build_filename (f->dir, "run", NULL);
  f->provider = connect_provider (f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  /* Whatever a failed assertion left running: only our own VMMs, by PID. */
  for (guint i = 0; i < f->pids->len; i++)
    {
      GPid pid = g_array_index (f->pids, GPid, i);

      if (pid > 0 && kill (pid, 0) == 0)
        kill (pid, SIGKILL);
    }
  g_array_unref (f->pids);
  if (f->provider != NULL)
    gb_provider_disconnect (f->provider);
  g_clear_object (&f->provider);
  if (f->dir != NULL)
    gb_test_tmpdir_remove (f->dir);
  g_free (f->dir);
  g_free (f->machines_dir);
  g_free (f->runtime_dir);
}

static gboolean
skip_without_vmm (Fixture *f)
{
  g_autofree char *hlt = guest ("hlt-loop");

  if (f->provider == NULL || !g_file_test (hlt, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("glassbox-vmm or the tiny guests are not built (-Dhypervisor=false)");
      return TRUE;
    }
  if (access ("/dev/kvm", R_OK | W_OK) != 0)
    {
      g_test_skip ("no usable /dev/kvm here: glassbox-vmm cannot run a guest");
      return TRUE;
    }
  return FALSE;
}

static GbMachine *
create (Fixture    *f,
        GbProvider *provider,
        const char *name,
        const char *guest_name,
        const char *const *disks,
        GError    **error)
{
  g_autoptr(JsonObject) config = json_object_new ();
  g_autofree char *kernel = guest (guest_name);
  g_autoptr(GAsyncResult) result = NULL;

  json_object_set_string_member (config, "name", name);
  json_object_set_string_member (config, "kernel", kernel);
  json_object_set_int_member (config, "memory", 32);
  json_object_set_int_member (config, "cpus", 1);
  if (disks != NULL)
    {
      JsonArray *array = json_array_new ();

      for (guint i = 0; disks[i] != NULL; i++)
        json_array_add_string_element (array, disks[i]);
      json_object_set_array_member (config, "disks", array);
    }

  gb_bundled_provider_create_machine_async (GB_BUNDLED_PROVIDER (provider), config, NULL,
                                            gb_test_store_result, &result);
  return gb_bundled_provider_create_machine_finish (GB_BUNDLED_PROVIDER (provider),
                                                    gb_test_wait_result (&result), error);
}

typedef void     (*ActionAsync)  (GbMachine *, GCancellable *, GAsyncReadyCallback, gpointer);
typedef gboolean (*ActionFinish) (GbMachine *, GAsyncResult *, GError **);

static void
run_action (GbMachine    *machine,
            ActionAsync   action_async,
            ActionFinish  action_finish)
{
  gboolean ok;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  action_async (machine, NULL, gb_test_store_result, &result);
  ok = action_finish (machine, gb_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_true (ok);
}

static void
start (Fixture   *f,
       GbMachine *machine)
{
  GPid pid;

  run_action (machine, gb_machine_start_async, gb_machine_start_finish);
  g_assert_cmpint (gb_machine_get_state (machine), ==, GB_MACHINE_STATE_RUNNING);
  pid = gb_bundled_machine_get_pid (GB_BUNDLED_MACHINE (machine));
  g_assert_cmpint (pid, >, 0);
  g_array_append_val (f->pids, pid);
}

#define WAIT_STATE(machine, s) GB_TEST_WAIT_FOR (gb_machine_get_state (machine) == (s), 30)

static JsonNode *
query_internals (GbMachine *machine)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  JsonNode *node;

  gb_machine_query_internals_async (machine, NULL, gb_test_store_result, &result);
  node = gb_machine_query_internals_finish (machine, gb_test_wait_result (&result), &error);
  g_assert_no_error (error);
  return node;
}

static void
make_file (const char *path,
           char        fill)
{
  g_autofree char *bytes = g_malloc (65536);
  g_autoptr(GError) error = NULL;

  memset (bytes, fill, 65536);
  g_file_set_contents (path, bytes, 65536, &error);
  g_assert_no_error (error);
}

static void
on_stats_updated (GbMachine *machine,
                  gpointer   user_data)
{
  (*(guint *) user_data)++;
}

/* create, start, stats, pause, resume, reset, a second provider finds it,
 * force off, delete with exactly one of its two disks */
static void       read_until  (GIOStream  *stream,
                               const char *needle);
static GIOStream *open_serial (GbMachine  *machine);

static void
test_lifecycle (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *disk_a = NULL;
  g_autofree char *disk_b = NULL;
  const char *disks[] = { "path=a.raw,format=raw", "path=b.raw,format=raw", NULL };
  g_autoptr(GbMachine) machine = NULL;
  g_autoptr(GbMachine) again = NULL;
  g_autoptr(GbProvider) second = NULL;
  g_autoptr(JsonNode) stats = NULL;
  g_autoptr(GError) error = NULL;
  GbMachineConfig *config;
  GbMachine *found;
  g_autoptr(GAsyncResult) result = NULL;
  guint n_samples = 0;

  if (skip_without_vmm (f))
    return;

  g_mkdir_with_parents (f->machines_dir, 0700);
  disk_a = g_build_filename (f->machines_dir, "a.raw", NULL);
  disk_b = g_build_filename (f->machines_dir, "b.raw", NULL);
  make_file (disk_a, 'a');
  make_file (disk_b, 'b');

  machine = create (f, f->provider, "tiny", "hlt-loop", disks, &error);
  g_assert_no_error (error);
  g_assert_true (GB_IS_BUNDLED_MACHINE (machine));
  g_assert_true (g_file_test (gb_bundled_machine_get_file (GB_BUNDLED_MACHINE (machine)), G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (gb_machine_get_state (machine), ==, GB_MACHINE_STATE_SHUTOFF);
  g_assert_true (gb_provider_find_machine (f->provider, "tiny") == machine);
  g_assert_true (g_uuid_string_is_valid (gb_machine_get_uuid (machine)));
  config = gb_machine_get_config (machine);
  g_assert_cmpuint (gb_machine_config_get_n_vcpus (config), ==, 1);
  g_assert_cmpuint (gb_machine_config_get_memory (config), ==, 32 << 20);
  g_assert_cmpuint (gb_machine_config_get_disks (config)->len, ==, 2);
  g_assert_cmpstr (((GbConfigDisk *) g_ptr_array_index (gb_machine_config_get_disks (config), 0))->path, ==, disk_a);

  /* The name is taken: nothing is written. */
  again = create (f, f->provider, "tiny", "hlt-loop", NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_assert_null (again);
  g_clear_error (&error);

  start (f, machine);
  g_assert_true (g_file_test (gb_bundled_machine_get_run_dir (GB_BUNDLED_MACHINE (machine)), G_FILE_TEST_IS_DIR));

  /* Stats: a sample each interval, memory from query-stats. */
  g_signal_connect (machine, "stats-updated", G_CALLBACK (on_stats_updated), &n_samples);
  gb_provider_set_stats_interval (f->provider, 100);
  GB_TEST_WAIT_FOR (n_samples >= 2, 30);
  g_assert_cmpuint (gb_machine_get_memory_used (machine), >, 0);
  g_signal_handlers_disconnect_by_data (machine, &n_samples);
  gb_provider_set_stats_interval (f->provider, 0);

  stats = query_internals (machine);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (stats));
  g_assert_true (json_object_has_member (json_node_get_object (stats), "vcpus"));

  run_action (machine, gb_machine_pause_async, gb_machine_pause_finish);
  WAIT_STATE (machine, GB_MACHINE_STATE_PAUSED);
  run_action (machine, gb_machine_resume_async, gb_machine_resume_finish);
  WAIT_STATE (machine, GB_MACHINE_STATE_RUNNING);
  /* Reboot: the guest really starts again (its first words, once more, on
   * a serial console opened before), and the machine stays running. */
  {
    g_autoptr(GIOStream) serial = open_serial (machine);

    run_action (machine, gb_machine_reboot_async, gb_machine_reboot_finish);
    read_until (serial, "hlt loop starting\n");
    g_assert_cmpint (gb_machine_get_state (machine), ==, GB_MACHINE_STATE_RUNNING);
  }

  /* The app restarted: a second provider finds the machine running. */
  second = connect_provider (f);
  found = gb_provider_find_machine (second, gb_machine_get_uuid (machine));
  g_assert_nonnull (found);
  g_assert_cmpint (gb_machine_get_state (found), ==, GB_MACHINE_STATE_RUNNING);
  g_assert_cmpint (gb_bundled_machine_get_pid (GB_BUNDLED_MACHINE (found)), ==,
                   gb_bundled_machine_get_pid (GB_BUNDLED_MACHINE (machine)));

  /* Force off from the second; both see it, neither calls it a crash. */
  run_action (found, gb_machine_force_off_async, gb_machine_force_off_finish);
  WAIT_STATE (machine, GB_MACHINE_STATE_SHUTOFF);
  WAIT_STATE (found, GB_MACHINE_STATE_SHUTOFF);
  g_assert_null (gb_bundled_machine_get_crash_log (GB_BUNDLED_MACHINE (machine)));
  gb_provider_disconnect (second);

  /* Delete with one disk ticked: exactly that one goes, and the file. */
  {
    const char *to_delete[] = { disk_a, NULL };
    const char *not_ours[] = { "/etc/passwd", NULL };
    g_autofree char *file = g_strdup (gb_bundled_machine_get_file (GB_BUNDLED_MACHINE (machine)));

    gb_machine_delete_async (machine, not_ours, NULL, gb_test_store_result, &result);
    g_assert_false (gb_machine_delete_finish (machine, gb_test_wait_result (&result), &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    g_assert_true (g_file_test (file, G_FILE_TEST_EXISTS));
    g_clear_object (&result);

    gb_machine_delete_async (machine, to_delete, NULL, gb_test_store_result, &result);
    g_assert_true (gb_machine_delete_finish (machine, gb_test_wait_result (&result), &error));
    g_assert_no_error (error);
    g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
    g_assert_false (g_file_test (disk_a, G_FILE_TEST_EXISTS));
    g_assert_true (g_file_test (disk_b, G_FILE_TEST_EXISTS));
    g_assert_null (gb_provider_find_machine (f->provider, "tiny"));
    g_clear_object (&result);
  }
}

/* Reads from a console stream until @needle arrives. */
static void
read_until (GIOStream  *stream,
            const char *needle)
{
  g_autoptr(GString) got = g_string_new (NULL);
  GSocket *socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));

  g_socket_set_timeout (socket, 20);
  while (strstr (got->str, needle) == NULL)
    {
      g_autoptr(GError) error = NULL;
      char buf[64];
      gssize n = g_input_stream_read (g_io_stream_get_input_stream (stream), buf, sizeof buf, NULL, &error);

      if (n <= 0)
        g_error ("serial console: \"%s\" did not arrive (%s); got \"%s\"",
                 needle, error ? error->message : "end of stream", got->str);
      g_string_append_len (got, buf, n);
    }
}

static GIOStream *
open_serial (GbMachine *machine)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  GIOStream *stream;

  gb_machine_open_serial_async (machine, NULL, NULL, gb_test_store_result, &result);
  stream = gb_machine_open_serial_finish (machine, gb_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_true (G_IS_SOCKET_CONNECTION (stream));
  return stream;
}

/* Bytes written to open_serial's stream reach the serial-echo guest's
 * interrupt handler, and its answer comes back; the console can be
 * closed and opened again. */
static void
test_serial (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GbMachine) machine = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GError) error = NULL;

  if (skip_without_vmm (f))
    return;

  machine = create (f, f->provider, "echo", "serial-echo", NULL, &error);
  g_assert_no_error (error);
  start (f, machine);

  stream = open_serial (machine);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (stream), "x", 1, NULL, NULL, &error));
  g_assert_no_error (error);
  read_until (stream, "got x\n");
  g_io_stream_close (stream, NULL, NULL);
  g_clear_object (&stream);

  g_usleep (100 * 1000);
  stream = open_serial (machine);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (stream), "y", 1, NULL, NULL, &error));
  read_until (stream, "got y\n");

  /* Deleting a running machine stops it first. */
  {
    g_autofree char *file = g_strdup (gb_bundled_machine_get_file (GB_BUNDLED_MACHINE (machine)));
    g_autoptr(GAsyncResult) result = NULL;

    gb_machine_delete_async (machine, NULL, NULL, gb_test_store_result, &result);
    g_assert_true (gb_machine_delete_finish (machine, gb_test_wait_result (&result), &error));
    g_assert_no_error (error);
    g_assert_cmpint (gb_machine_get_state (machine), ==, GB_MACHINE_STATE_SHUTOFF);
    g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
    g_assert_null (gb_provider_find_machine (f->provider, "echo"));
  }
}

/* A machine with "display": its screen through open_graphics is glassbox-vmm's
 * VNC server (the RFB greeting), a machine without one says it has none. */
static void
test_screen (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(JsonObject) config = json_object_new ();
  g_autofree char *kernel = guest ("screen");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GbMachine) machine = NULL;
  g_autoptr(GbMachine) textonly = NULL;
  g_autoptr(GError) error = NULL;
  char greeting[13] = { 0 };
  gssize n = 0;
  int fd;

  if (skip_without_vmm (f))
    return;

  json_object_set_string_member (config, "name", "screen");
  json_object_set_string_member (config, "kernel", kernel);
  json_object_set_int_member (config, "memory", 32);
  json_object_set_string_member (config, "display", "vnc,width=256,height=192");
  gb_bundled_provider_create_machine_async (GB_BUNDLED_PROVIDER (f->provider), config, NULL,
                                            gb_test_store_result, &result);
  machine = gb_bundled_provider_create_machine_finish (GB_BUNDLED_PROVIDER (f->provider),
                                                       gb_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpint (gb_machine_get_graphics_protocol (machine), ==, GB_GRAPHICS_PROTOCOL_VNC);

  /* Off: no screen to open, and it says why. */
  g_clear_object (&result);
  gb_machine_open_graphics_async (machine, NULL, gb_test_store_result, &result);
  fd = gb_machine_open_graphics_finish (machine, gb_test_wait_result (&result), &error);
  g_assert_cmpint (fd, ==, -1);
  g_assert_nonnull (error);
  g_clear_error (&error);

  start (f, machine);
  g_clear_object (&result);
  gb_machine_open_graphics_async (machine, NULL, gb_test_store_result, &result);
  fd = gb_machine_open_graphics_finish (machine, gb_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  while (n < 12)
    {
      gssize r = read (fd, greeting + n, 12 - n);

      g_assert_cmpint (r, >, 0);
      n += r;
    }
  g_assert_cmpstr (greeting, ==, "RFB 003.008\n");
  close (fd);
  run_action (machine, gb_machine_force_off_async, gb_machine_force_off_finish);

  textonly = create (f, f->provider, "text", "hlt-loop", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gb_machine_get_graphics_protocol (textonly), ==, GB_GRAPHICS_PROTOCOL_NONE);
  g_clear_object (&result);
  gb_machine_open_graphics_async (textonly, NULL, gb_test_store_result, &result);
  g_assert_cmpint (gb_machine_open_graphics_finish (textonly, gb_test_wait_result (&result), &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
}

/* The power button: today Ctrl+Alt+Del (docs/vmm-api.md); the keyboard
 * guest resets through the i8042 like Linux with reboot=k, and the
 * machine is off — not crashed. */
static void
test_power_button (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GbMachine) machine = NULL;
  g_autoptr(GError) error = NULL;

  if (skip_without_vmm (f))
    return;

  machine = create (f, f->provider, "keyboard", "keyboard", NULL, &error);
  g_assert_no_error (error);
  start (f, machine);
  run_action (machine, gb_machine_shutdown_async, gb_machine_shutdown_finish);
  WAIT_STATE (machine, GB_MACHINE_STATE_SHUTOFF);
  g_assert_null (gb_bundled_machine_get_crash_log (GB_BUNDLED_MACHINE (machine)));
}

/* kill -9 of the VMM (that PID only): CRASHED with the log's last lines,
 * the disk as it was; a new provider says the same; it starts again. */
static void
test_crash (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GbMachine) machine = NULL;
  g_autoptr(GbProvider) second = NULL;
  g_autofree char *disk = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  const char *disks[] = { "path=disk.raw,format=raw", NULL };
  g_autoptr(GError) error = NULL;
  const char *log;
  GbMachine *found;
  GPid pid;

  if (skip_without_vmm (f))
    return;

  g_mkdir_with_parents (f->machines_dir, 0700);
  disk = g_build_filename (f->machines_dir, "disk.raw", NULL);
  make_file (disk, 'd');
  g_file_get_contents (disk, &before, NULL, NULL);

  machine = create (f, f->provider, "victim", "hlt-loop", disks, &error);
  g_assert_no_error (error);
  start (f, machine);
  pid = gb_bundled_machine_get_pid (GB_BUNDLED_MACHINE (machine));
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);

  WAIT_STATE (machine, GB_MACHINE_STATE_CRASHED);
  log = gb_bundled_machine_get_crash_log (GB_BUNDLED_MACHINE (machine));
  g_assert_nonnull (log);
  g_test_message ("crash log:\n%s", log);
  /* The command line we started it with, and what we saw. */
  g_assert_nonnull (strstr (log, "glassbox-vmm run --config"));
  g_assert_nonnull (strstr (log, "killed"));
  g_file_get_contents (disk, &after, NULL, NULL);
  g_assert_cmpstr (before, ==, after);
  g_assert_true (g_file_test (gb_bundled_machine_get_file (GB_BUNDLED_MACHINE (machine)), G_FILE_TEST_EXISTS));

  /* The app restarted after the crash: still crashed, still with the log. */
  second = connect_provider (f);
  found = gb_provider_find_machine (second, "victim");
  g_assert_nonnull (found);
  g_assert_cmpint (gb_machine_get_state (found), ==, GB_MACHINE_STATE_CRASHED);
  g_assert_nonnull (gb_bundled_machine_get_crash_log (GB_BUNDLED_MACHINE (found)));
  gb_provider_disconnect (second);

  /* And it starts again. */
  start (f, machine);
  g_assert_null (gb_bundled_machine_get_crash_log (GB_BUNDLED_MACHINE (machine)));
  run_action (machine, gb_machine_force_off_async, gb_machine_force_off_finish);
  WAIT_STATE (machine, GB_MACHINE_STATE_SHUTOFF);
}

/* A file that is not a machine: shown, with the parse error, its bytes
 * untouched; the good machine beside it is there as usual. */
static void
test_broken_file (Fixture       *f,
                  gconstpointer  data)
{
  static const char garbage[] = "{ \"name\": \"half\", \"kernel\": ";
  g_autofree char *path = NULL;
  g_autofree char *odd = NULL;
  g_autofree char *after = NULL;
  g_autoptr(GbProvider) provider = NULL;
  g_autoptr(GbMachine) good = NULL;
  g_autoptr(GError) error = NULL;
  GbMachine *broken;
  g_autoptr(GAsyncResult) result = NULL;

  if (f->provider == NULL)
    {
      g_test_skip ("glassbox-vmm is not built (-Dhypervisor=false)");
      return;
    }

  good = create (f, f->provider, "good", "hlt-loop", NULL, &error);
  g_assert_no_error (error);
  path = g_build_filename (f->machines_dir, "half.json", NULL);
  g_assert_true (g_file_set_contents (path, garbage, -1, NULL));
  /* Valid JSON, wrong types: broken too, and no criticals on the way. */
  odd = g_build_filename (f->machines_dir, "odd.json", NULL);
  g_assert_true (g_file_set_contents (odd, "{\"name\": [1], \"uuid\": 5, \"cpus\": \"two\"}", -1, NULL));

  provider = connect_provider (f);
  g_assert_cmpuint (g_list_model_get_n_items (gb_provider_get_machines (provider)), ==, 3);
  g_assert_nonnull (gb_bundled_machine_get_error (GB_BUNDLED_MACHINE (gb_provider_find_machine (provider, "odd"))));
  g_assert_nonnull (gb_provider_find_machine (provider, "good"));
  broken = gb_provider_find_machine (provider, "half");
  g_assert_nonnull (broken);
  g_assert_cmpint (gb_machine_get_state (broken), ==, GB_MACHINE_STATE_UNKNOWN);
  g_assert_nonnull (gb_bundled_machine_get_error (GB_BUNDLED_MACHINE (broken)));
  g_test_message ("broken: %s", gb_bundled_machine_get_error (GB_BUNDLED_MACHINE (broken)));

  gb_machine_start_async (broken, NULL, gb_test_store_result, &result);
  g_assert_false (gb_machine_start_finish (broken, gb_test_wait_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_object (&result);

  gb_provider_disconnect (provider);
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, garbage);
}

static gboolean
update (GbMachine  *machine,
        const char *json,
        GError    **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GAsyncResult) result = NULL;

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  gb_bundled_machine_update_async (GB_BUNDLED_MACHINE (machine), json_node_get_object (json_parser_get_root (parser)),
                                   NULL, gb_test_store_result, &result);
  return gb_bundled_machine_update_finish (GB_BUNDLED_MACHINE (machine), gb_test_wait_result (&result), error);
}

/* Edit while off: CPUs, memory, name, a key removed; not while running;
 * not the UUID; not a name that is taken. */
static void
test_update (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GbMachine) machine = NULL;
  g_autoptr(GbMachine) other = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  GbMachineConfig *config;

  if (skip_without_vmm (f))
    return;

  machine = create (f, f->provider, "before", "hlt-loop", NULL, &error);
  g_assert_no_error (error);
  other = create (f, f->provider, "other", "hlt-loop", NULL, &error);
  g_assert_no_error (error);

  g_assert_true (update (machine, "{\"name\": \"after\", \"cpus\": 2, \"memory\": 48, \"cmdline\": \"x\"}", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (gb_machine_get_name (machine), ==, "after");
  config = gb_machine_get_config (machine);
  g_assert_cmpuint (gb_machine_config_get_n_vcpus (config), ==, 2);
  g_assert_cmpuint (gb_machine_config_get_memory (config), ==, 48 << 20);
  g_assert_true (gb_provider_find_machine (f->provider, "after") == machine);
  g_assert_true (update (machine, "{\"cmdline\": null}", &error));
  g_assert_true (g_file_get_contents (gb_bundled_machine_get_file (GB_BUNDLED_MACHINE (machine)), &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "\"after\""));
  g_assert_null (strstr (contents, "cmdline"));

  g_assert_false (update (machine, "{\"name\": \"other\"}", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_false (update (machine, "{\"uuid\": \"0f6c3c1e-8d8e-4c3b-9a51-6f6b7f7d2a10\"}", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* It runs with the new definition (2 vCPUs), and cannot change meanwhile. */
  start (f, machine);
  {
    g_autoptr(JsonNode) stats = query_internals (machine);
    JsonArray *vcpus = json_object_get_array_member (json_node_get_object (stats), "vcpus");

    g_assert_cmpuint (json_array_get_length (vcpus), ==, 2);
  }
  g_assert_false (update (machine, "{\"cpus\": 1}", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_clear_error (&error);
  run_action (machine, gb_machine_force_off_async, gb_machine_force_off_finish);
  WAIT_STATE (machine, GB_MACHINE_STATE_SHUTOFF);
}

static GStrv
apply_edit (GbMachine           *machine,
            const GbMachineEdit *edit,
            GError             **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  gb_bundled_edit_apply_async (GB_BUNDLED_MACHINE (machine), edit, NULL, gb_test_store_result, &result);
  return gb_bundled_edit_apply_finish (GB_BUNDLED_MACHINE (machine), gb_test_wait_result (&result), error);
}

/* The Settings page's changes in the machine file: CPUs, memory, kernel
 * and command line, a disk added and one removed, a NIC without a MAC
 * removed by its place and a bridge added; a kernel that is not there and
 * a running machine are refused with words, and the file stays as it was. */
static void
test_settings (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *disk_a = g_build_filename (f->dir ? f->dir : "/nonexistent", "a.raw", NULL);
  g_autofree char *disk_b = g_build_filename (f->dir ? f->dir : "/nonexistent", "b.raw", NULL);
  g_autofree char *kernel = guest ("serial-echo");
  g_autofree char *before = NULL, *after = NULL;
  g_autofree char *spec = NULL;
  g_autoptr(GbMachine) machine = NULL;
  g_autoptr(GbEditState) st = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) notes = NULL;
  JsonObject *json;
  JsonArray *disks, *net;

  if (skip_without_vmm (f))
    return;
  make_file (disk_a, 'a');
  make_file (disk_b, 'b');
  spec = g_strconcat ("path=", disk_a, ",format=raw", NULL);
  machine = create (f, f->provider, "edited", "hlt-loop", (const char *[]) { spec, NULL }, &error);
  g_assert_no_error (error);
  {
    g_autoptr(GbMachineEdit) nat = gb_machine_edit_new ();
    GbEditNic *nic = g_new0 (GbEditNic, 1);

    nic->type = g_strdup ("network");
    g_ptr_array_add (nat->add_nics, nic);
    notes = apply_edit (machine, nat, &error);
    g_assert_no_error (error);
    g_clear_pointer (&notes, g_strfreev);
  }

  st = gb_bundled_edit_load (GB_BUNDLED_MACHINE (machine), &error);
  g_assert_no_error (error);
  g_assert_false (st->running);
  g_assert_cmpuint (st->vcpus, ==, 1);
  g_assert_cmpuint (st->memory_kib, ==, 32 * 1024);
  g_assert_nonnull (strstr (st->xml, "\"edited\""));
  {
    g_autofree char *hlt = guest ("hlt-loop");

    g_assert_cmpstr (st->kernel, ==, hlt);
  }
  g_assert_cmpuint (gb_machine_config_get_nics (st->config)->len, ==, 1);

  /* One Apply of the page's tabs. */
  {
    g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();
    GbEditDisk *disk = g_new0 (GbEditDisk, 1);
    GbEditNic *nic = g_new0 (GbEditNic, 1);

    edit->fields = GB_EDIT_VCPUS | GB_EDIT_MEMORY | GB_EDIT_KERNEL | GB_EDIT_TITLE;
    edit->vcpus = edit->max_vcpus = 2;
    edit->memory_kib = edit->max_memory_kib = 48 * 1024;
    edit->kernel = g_strdup (kernel);
    edit->initrd = g_strdup ("");
    edit->cmdline = g_strdup ("console=ttyS0");
    edit->title = g_strdup ("Echo");
    disk->path = g_strdup (disk_b);
    disk->device = g_strdup ("disk");
    disk->read_only = TRUE;
    g_ptr_array_add (edit->add_disks, disk);
    g_ptr_array_add (edit->remove_disks, g_strdup ("vda"));
    g_ptr_array_add (edit->remove_nics, g_strdup ("#0"));
    nic->type = g_strdup ("bridge");
    nic->source = g_strdup ("br7");
    nic->mac = g_strdup ("52:54:00:aa:bb:cc");
    g_ptr_array_add (edit->add_nics, nic);
    notes = apply_edit (machine, edit, &error);
    g_assert_no_error (error);
    g_assert_nonnull (notes);
    g_assert_cmpuint (g_strv_length (notes), ==, 0);
  }
  json = gb_bundled_machine_get_json (GB_BUNDLED_MACHINE (machine));
  g_assert_cmpint (json_object_get_int_member (json, "cpus"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (json, "memory"), ==, 48);
  g_assert_cmpstr (json_object_get_string_member (json, "kernel"), ==, kernel);
  g_assert_false (json_object_has_member (json, "initrd"));
  g_assert_cmpstr (json_object_get_string_member (json, "cmdline"), ==, "console=ttyS0");
  g_assert_cmpstr (json_object_get_string_member (json, "title"), ==, "Echo");
  disks = json_object_get_array_member (json, "disks");
  g_assert_cmpuint (json_array_get_length (disks), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (disks, 0), "path"), ==, disk_b);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (disks, 0), "format"), ==, "raw");
  g_assert_true (json_object_get_boolean_member (json_array_get_object_element (disks, 0), "readonly"));
  net = json_object_get_array_member (json, "net");
  g_assert_cmpuint (json_array_get_length (net), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (net, 0), "bridge"), ==, "br7");
  /* The description follows the file. */
  g_assert_cmpuint (gb_machine_config_get_n_vcpus (gb_machine_get_config (machine)), ==, 2);

  /* Refused, with the file as it was. */
  g_assert_true (g_file_get_contents (gb_bundled_machine_get_file (GB_BUNDLED_MACHINE (machine)), &before, NULL, NULL));
  {
    g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();

    edit->fields = GB_EDIT_KERNEL | GB_EDIT_VCPUS;
    edit->vcpus = edit->max_vcpus = 1;
    edit->kernel = g_strdup ("/nonexistent/vmlinuz");
    g_assert_null (apply_edit (machine, edit, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, "/nonexistent/vmlinuz"));
    g_clear_error (&error);
  }
  g_assert_true (g_file_get_contents (gb_bundled_machine_get_file (GB_BUNDLED_MACHINE (machine)), &after, NULL, NULL));
  g_assert_cmpstr (before, ==, after);

  /* Running: the file waits. */
  {
    g_autoptr(GbMachineEdit) edit = gb_machine_edit_new ();

    g_assert_true (update (machine, "{\"net\": null}", &error));
    g_assert_no_error (error);
    start (f, machine);
    edit->fields = GB_EDIT_VCPUS;
    edit->vcpus = edit->max_vcpus = 1;
    g_assert_null (apply_edit (machine, edit, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
    g_clear_error (&error);
    run_action (machine, gb_machine_force_off_async, gb_machine_force_off_finish);
    WAIT_STATE (machine, GB_MACHINE_STATE_SHUTOFF);
  }
}

/* Files that appear in the folder while connected (another Glassbox, a
 * script) show up; a mended broken file is read again; a removed one goes. */
static void
test_folder_watch (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *path = NULL;
  g_autofree char *kernel = guest ("hlt-loop");
  g_autofree char *json = NULL;
  GbMachine *machine;

  if (f->provider == NULL)
    {
      g_test_skip ("glassbox-vmm is not built (-Dhypervisor=false)");
      return;
    }

  g_mkdir_with_parents (f->machines_dir, 0700);
  path = g_build_filename (f->machines_dir, "by-hand.json", NULL);
  g_assert_true (g_file_set_contents (path, "{ \"name\": ", -1, NULL));
  GB_TEST_WAIT_FOR (gb_provider_find_machine (f->provider, "by-hand") != NULL, 20);
  machine = gb_provider_find_machine (f->provider, "by-hand");
  g_assert_nonnull (gb_bundled_machine_get_error (GB_BUNDLED_MACHINE (machine)));

  json = g_strdup_printf ("{\"name\": \"scripted\", \"uuid\": \"0f6c3c1e-8d8e-4c3b-9a51-6f6b7f7d2a10\", "
                          "\"kernel\": \"%s\", \"memory\": 32}", kernel);
  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  GB_TEST_WAIT_FOR (gb_provider_find_machine (f->provider, "scripted") != NULL, 20);
  g_assert_null (gb_provider_find_machine (f->provider, "by-hand"));
  machine = gb_provider_find_machine (f->provider, "scripted");
  g_assert_null (gb_bundled_machine_get_error (GB_BUNDLED_MACHINE (machine)));
  g_assert_cmpint (gb_machine_get_state (machine), ==, GB_MACHINE_STATE_SHUTOFF);
  g_assert_cmpuint (g_list_model_get_n_items (gb_provider_get_machines (f->provider)), ==, 1);

  g_assert_cmpint (g_unlink (path), ==, 0);
  GB_TEST_WAIT_FOR (gb_provider_find_machine (f->provider, "scripted") == NULL, 20);
}

/* A machine glassbox-vmm refuses (its kernel is gone): start fails with the
 * VMM's own words from the log, and the machine stays off. */
static void
test_bad_kernel (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GbMachine) machine = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *kernel = NULL;

  if (skip_without_vmm (f))
    return;

  machine = create (f, f->provider, "gone", "no-such-guest", NULL, &error);
  g_assert_no_error (error);
  kernel = guest ("no-such-guest");

  gb_machine_start_async (machine, NULL, gb_test_store_result, &result);
  g_assert_false (gb_machine_start_finish (machine, gb_test_wait_result (&result), &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "no-such-guest"));
  g_assert_cmpint (gb_machine_get_state (machine), ==, GB_MACHINE_STATE_SHUTOFF);
}

/* The /dev/kvm diagnosis agrees with what this machine has. */
static void
test_kvm_status (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GbProvider) provider = gb_bundled_provider_new_for_dirs ("/nonexistent", "/nonexistent");
  const char *explanation = NULL;
  GbKvmStatus status = gb_bundled_provider_get_kvm_status (GB_BUNDLED_PROVIDER (provider), &explanation);

  g_assert_nonnull (explanation);
  g_assert_cmpuint (strlen (explanation), >, 10);
  g_test_message ("%s", explanation);

  if (!g_file_test ("/dev/kvm", G_FILE_TEST_EXISTS))
    g_assert_cmpint (status, ==, GB_KVM_STATUS_MISSING);
  else if (access ("/dev/kvm", R_OK | W_OK) != 0)
    g_assert_cmpint (status, ==, GB_KVM_STATUS_NO_ACCESS);
  else if (g_file_test ("/sys/module/kvm_pvm", G_FILE_TEST_IS_DIR))
    {
      g_assert_cmpint (status, ==, GB_KVM_STATUS_EMULATED);
      g_assert_nonnull (strstr (explanation, "QEMU"));
    }
  else
    g_assert_cmpint (status, ==, GB_KVM_STATUS_OK);
}

/* The first whole "count N" line at least @min, read off the console. */
static int
read_count (GIOStream *stream,
            int        min)
{
  g_autoptr(GString) got = g_string_new (NULL);
  GSocket *socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));

  g_socket_set_timeout (socket, 30);
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      const char *p = got->str;
      char buf[64];
      gssize n;

      /* Whole lines only: the stream may start in the middle of one. */
      while ((p = strstr (p, "\ncount ")) != NULL && strchr (p + 1, '\n') != NULL)
        {
          int v = atoi (p + 7);

          if (v >= min)
            return v;
          p++;
        }
      n = g_input_stream_read (g_io_stream_get_input_stream (stream), buf, sizeof buf, NULL, &error);
      if (n <= 0)
        g_error ("serial console: no count >= %d (%s); got \"%s\"", min,
                 error ? error->message : "end of stream", got->str);
      if (got->len == 0)
        g_string_append_c (got, '\n');
      g_string_append_len (got, buf, n);
    }
}

/* Save State: the counting guest's whole state goes to MACHINES/UUID.state,
 * the machine stops and shows when it was saved; Start goes on from it
 * (the count continues, it does not boot again) and the file goes.  A
 * guest that drives virtio-blk is saved and started again the same way. */
static void
test_save_state (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GbMachine) machine = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *state = NULL;
  int before, after;

  if (skip_without_vmm (f))
    return;
  machine = create (f, f->provider, "counter", "counter", NULL, &error);
  g_assert_no_error (error);
  state = g_build_filename (f->machines_dir, gb_machine_get_uuid (machine), NULL);
  {
    char *s = g_strconcat (state, ".state", NULL);
    g_free (state);
    state = s;
  }
  g_assert_cmpint (gb_machine_get_saved_at (machine), ==, 0);
  start (f, machine);
  {
    g_autoptr(GIOStream) serial = open_serial (machine);
    before = read_count (serial, 30);
  }

  gb_bundled_machine_save_async (GB_BUNDLED_MACHINE (machine), NULL, gb_test_store_result, &result);
  g_assert_true (gb_bundled_machine_save_finish (GB_BUNDLED_MACHINE (machine), gb_test_wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  WAIT_STATE (machine, GB_MACHINE_STATE_SHUTOFF);
  g_assert_true (g_file_test (state, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (gb_machine_get_saved_at (machine), >, g_get_real_time () / G_USEC_PER_SEC - 600);

  /* A second provider (the app started again) sees the saved state too. */
  {
    g_autoptr(GbProvider) other = connect_provider (f);
    GbMachine *seen = gb_provider_find_machine (other, "counter");

    g_assert_nonnull (seen);
    g_assert_cmpint (gb_machine_get_saved_at (seen), ==, gb_machine_get_saved_at (machine));
    gb_provider_disconnect (other);
  }

  start (f, machine);
  g_assert_false (g_file_test (state, G_FILE_TEST_EXISTS));
  g_assert_cmpint (gb_machine_get_saved_at (machine), ==, 0);
  {
    g_autoptr(GIOStream) serial = open_serial (machine);
    after = read_count (serial, 0);
  }
  g_test_message ("counted to %d before Save State, %d after Start", before, after);
  g_assert_cmpint (after, >, before);
  run_action (machine, gb_machine_force_off_async, gb_machine_force_off_finish);
  WAIT_STATE (machine, GB_MACHINE_STATE_SHUTOFF);

  /* A guest that drives virtio-blk: saved too (its queues are in the
   * file, docs/vmm-api.md), and Start goes on from the state. */
  {
    g_autoptr(GbMachine) blk = NULL;
    g_autofree char *disk = g_build_filename (f->dir, "blk.raw", NULL);
    g_autofree char *spec = g_strdup_printf ("path=%s,format=raw", disk);
    const char *disks[] = { spec, NULL };

    make_file (disk, 0);
    g_assert_cmpint (truncate (disk, 16 << 20), ==, 0);
    blk = create (f, f->provider, "blk", "virtio-blk", disks, &error);
    g_assert_no_error (error);
    {
      /* "stay": the guest keeps its device set up (tests/guests/virtio-blk.c). */
      g_autoptr(JsonObject) changes = json_object_new ();

      json_object_set_string_member (changes, "cmdline", "stay");
      gb_bundled_machine_update_async (GB_BUNDLED_MACHINE (blk), changes, NULL, gb_test_store_result, &result);
      g_assert_true (gb_bundled_machine_update_finish (GB_BUNDLED_MACHINE (blk), gb_test_wait_result (&result), &error));
      g_clear_object (&result);
    }
    start (f, blk);
    /* Give the guest's driver time to set the device up (it takes
     * microseconds; a save that came first would save a device nobody
     * drives yet, which is fine too). */
    {
      gint64 end = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;

      while (g_get_monotonic_time () < end)
        {
          while (g_main_context_iteration (NULL, FALSE))
            ;
          g_usleep (10000);
        }
    }
    gb_bundled_machine_save_async (GB_BUNDLED_MACHINE (blk), NULL, gb_test_store_result, &result);
    g_assert_true (gb_bundled_machine_save_finish (GB_BUNDLED_MACHINE (blk), gb_test_wait_result (&result), &error));
    g_assert_no_error (error);
    g_clear_object (&result);
    WAIT_STATE (blk, GB_MACHINE_STATE_SHUTOFF);
    g_assert_cmpint (gb_machine_get_saved_at (blk), >, 0);
    start (f, blk);
    g_assert_cmpint (gb_machine_get_state (blk), ==, GB_MACHINE_STATE_RUNNING);
    g_assert_cmpint (gb_machine_get_saved_at (blk), ==, 0);
    run_action (blk, gb_machine_force_off_async, gb_machine_force_off_finish);
    WAIT_STATE (blk, GB_MACHINE_STATE_SHUTOFF);
  }

  /* A machine with a screen and a NIC (User-mode, restricted: libslirp in
   * the VMM, nothing leaves it) whose guest drives the NIC: saved too,
   * and Start goes on from the state — the NIC's MAC, made up at each
   * start as the machine file names none, is the saved one again. */
  {
    g_autoptr(GbMachine) net = NULL;
    g_autoptr(JsonObject) config = json_object_new ();
    g_autoptr(JsonArray) nets = json_array_new ();
    g_autofree char *kernel = guest ("virtio-net-dhcp");

    json_object_set_string_member (config, "name", "netscreen");
    json_object_set_string_member (config, "kernel", kernel);
    json_object_set_int_member (config, "memory", 32);
    json_object_set_string_member (config, "display", "vnc,width=256,height=192");
    json_array_add_string_element (nets, "user,restrict=on");
    json_object_set_array_member (config, "net", g_steal_pointer (&nets));
    gb_bundled_provider_create_machine_async (GB_BUNDLED_PROVIDER (f->provider), config, NULL,
                                              gb_test_store_result, &result);
    net = gb_bundled_provider_create_machine_finish (GB_BUNDLED_PROVIDER (f->provider),
                                                     gb_test_wait_result (&result), &error);
    g_assert_no_error (error);
    g_clear_object (&result);
    start (f, net);
    /* The guest's driver sets the NIC up and asks for DHCP at once;
     * give it a moment, as above. */
    {
      gint64 end = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;

      while (g_get_monotonic_time () < end)
        {
          while (g_main_context_iteration (NULL, FALSE))
            ;
          g_usleep (10000);
        }
    }
    gb_bundled_machine_save_async (GB_BUNDLED_MACHINE (net), NULL, gb_test_store_result, &result);
    g_assert_true (gb_bundled_machine_save_finish (GB_BUNDLED_MACHINE (net), gb_test_wait_result (&result), &error));
    g_assert_no_error (error);
    g_clear_object (&result);
    WAIT_STATE (net, GB_MACHINE_STATE_SHUTOFF);
    g_assert_cmpint (gb_machine_get_saved_at (net), >, 0);
    start (f, net);
    g_assert_cmpint (gb_machine_get_state (net), ==, GB_MACHINE_STATE_RUNNING);
    g_assert_cmpint (gb_machine_get_saved_at (net), ==, 0);
    run_action (net, gb_machine_force_off_async, gb_machine_force_off_finish);
    WAIT_STATE (net, GB_MACHINE_STATE_SHUTOFF);
  }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  gb_test_add_ticker ();
  gb_test_drop_debug_messages ();
  /* The tests read a C-locale explanation. */
  g_setenv ("LANGUAGE", "C", TRUE);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/bundled/lifecycle", test_lifecycle);
  ADD ("/bundled/serial", test_serial);
  ADD ("/bundled/screen", test_screen);
  ADD ("/bundled/power-button", test_power_button);
  ADD ("/bundled/crash", test_crash);
  ADD ("/bundled/broken-file", test_broken_file);
  ADD ("/bundled/bad-kernel", test_bad_kernel);
  ADD ("/bundled/folder-watch", test_folder_watch);
  ADD ("/bundled/update", test_update);
  ADD ("/bundled/settings", test_settings);
  ADD ("/bundled/kvm-status", test_kvm_status);
  ADD ("/bundled/save-state", test_save_state);
#undef ADD

  return g_test_run ();
}
