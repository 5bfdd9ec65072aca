/* test-vmm-client.c — GbVmmClient against a real glassbox-vmm running a tiny guest
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <glib/gstdio.h>

#include "gb-test-utils.h"
#include "gb-vmm-client.h"

typedef struct {
  char        *dir;
  char        *socket_path;
  GSubprocess *vmm;
} Fixture;

static void
on_event (GbVmmClient *client,
          const char  *name,
          JsonObject  *data,
          gpointer     user_data)
{
  GPtrArray *events = user_data;

  if (g_str_equal (name, "STATE_CHANGE"))
    g_ptr_array_add (events, g_strdup_printf ("%s:%s", name, json_object_get_string_member (data, "status")));
  else
    g_ptr_array_add (events, g_strdup (name));
}

static gboolean
socket_exists (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_EXISTS);
}

static JsonNode *
execute (GbVmmClient *client,
         const char  *command,
         GError     **error)
{
  GAsyncResult *result = NULL;

  gb_vmm_client_execute_async (client, command, NULL, NULL, gb_test_store_result, &result);
  return gb_vmm_client_execute_finish (client, gb_test_wait_result (&result), error);
}

static void
test_lifecycle (void)
{
  g_autofree char *dir = gb_test_tmpdir_new ("glassbox-vmm-client-XXXXXX");
  g_autofree char *socket_path = g_build_filename (dir, "api.sock", NULL);
  g_autofree char *vmm = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "..", "hypervisor", "vmm", "glassbox-vmm", NULL);
  g_autofree char *guest = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "guests", "hlt-loop.elf", NULL);
  g_autofree char *socket_arg = g_strconcat ("--api-socket=", socket_path, NULL);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GbVmmClient) client = NULL;
  g_autoptr(JsonNode) status = NULL;
  g_autoptr(JsonNode) stats = NULL;
  g_autoptr(JsonNode) bad = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  JsonArray *vcpus;

  if (!g_file_test (vmm, G_FILE_TEST_IS_EXECUTABLE) || !g_file_test (guest, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("glassbox-vmm or the hlt-loop guest is not built (-Dhypervisor=false)");
      return;
    }

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                           vmm, "run", "--kernel", guest, "--memory", "32", "--serial", "none",
                           socket_arg, "--paused", NULL);
  g_assert_no_error (error);
  g_assert_true (gb_test_wait_until (socket_exists, socket_path, 20));

  gb_vmm_client_new_async (socket_path, NULL, gb_test_store_result, &result);
  client = gb_vmm_client_new_finish (gb_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_true (gb_vmm_client_get_connected (client));
  g_assert_true (gb_vmm_client_has_command (client, "query-stats"));
  g_assert_false (gb_vmm_client_has_command (client, "no-such-command"));
  g_signal_connect (client, "event", G_CALLBACK (on_event), events);

  status = execute (client, "query-status", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (status), "status"), ==, "paused");

  reply = execute (client, "resume", &error);
  g_assert_no_error (error);
  /* The event comes before the reply (docs/vmm-api.md). */
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (events, 0), ==, "STATE_CHANGE:running");

  /* The guest halts in a loop woken by the PIT: give it time to do so. */
  g_usleep (300 * 1000);
  stats = execute (client, "query-stats", &error);
  g_assert_no_error (error);
  vcpus = json_object_get_array_member (json_node_get_object (stats), "vcpus");
  g_assert_cmpuint (json_array_get_length (vcpus), ==, 1);

  bad = execute (client, "no-such-command", &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_null (bad);
  g_assert_nonnull (strstr (error->message, "no-such-command"));
  g_clear_error (&error);

  g_clear_pointer (&reply, json_node_unref);
  reply = execute (client, "stop", &error);
  g_assert_no_error (error);
  GB_TEST_WAIT_FOR (!gb_vmm_client_get_connected (client), 20);
  g_assert_cmpstr (g_ptr_array_index (events, events->len - 1), ==, "STOP");

  /* A command once the VMM is gone fails at once, with words. */
  g_clear_pointer (&reply, json_node_unref);
  reply = execute (client, "query-status", &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
  g_clear_error (&error);

  g_assert_true (g_subprocess_wait_check (proc, NULL, &error));
  g_assert_no_error (error);
  gb_test_tmpdir_remove (dir);
}

/* The VMM says why it stops (STOP), then exits.  A command the app sends in
 * that moment cannot be written any more; the lines already sent must still
 * be read: a machine that was asked to stop is not taken for one that was
 * killed. */
static void
test_write_after_exit (void)
{
  g_autofree char *dir = gb_test_tmpdir_new ("glassbox-vmm-client-XXXXXX");
  g_autofree char *socket_path = g_build_filename (dir, "api.sock", NULL);
  g_autofree char *vmm = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "..", "hypervisor", "vmm", "glassbox-vmm", NULL);
  g_autofree char *guest = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "guests", "hlt-loop.elf", NULL);
  g_autofree char *socket_arg = g_strconcat ("--api-socket=", socket_path, NULL);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GbVmmClient) client = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;

  if (!g_file_test (vmm, G_FILE_TEST_IS_EXECUTABLE) || !g_file_test (guest, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("glassbox-vmm or the hlt-loop guest is not built (-Dhypervisor=false)");
      return;
    }

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                           vmm, "run", "--kernel", guest, "--memory", "32", "--serial", "none",
                           socket_arg, "--paused", NULL);
  g_assert_no_error (error);
  g_assert_true (gb_test_wait_until (socket_exists, socket_path, 20));

  gb_vmm_client_new_async (socket_path, NULL, gb_test_store_result, &result);
  client = gb_vmm_client_new_finish (gb_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_signal_connect (client, "event", G_CALLBACK (on_event), events);
  g_clear_object (&result);

  /* Stopped by a signal (ours), and gone, while this side looked away. */
  g_subprocess_send_signal (proc, SIGTERM);
  g_assert_true (g_subprocess_wait (proc, NULL, &error));
  g_assert_no_error (error);

  gb_vmm_client_execute_async (client, "query-status", NULL, NULL, gb_test_store_result, &result);
  reply = gb_vmm_client_execute_finish (client, gb_test_wait_result (&result), &error);
  g_assert_null (reply);
  g_assert_nonnull (error);
  GB_TEST_WAIT_FOR (!gb_vmm_client_get_connected (client), 20);
  g_assert_cmpuint (events->len, >, 0);
  g_assert_cmpstr (g_ptr_array_index (events, events->len - 1), ==, "STOP");

  g_clear_object (&result);
  gb_test_tmpdir_remove (dir);
}

static void
test_not_a_vmm (void)
{
  g_autofree char *dir = gb_test_tmpdir_new ("glassbox-vmm-client-XXXXXX");
  g_autofree char *socket_path = g_build_filename (dir, "missing.sock", NULL);
  g_autoptr(GbVmmClient) client = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;

  gb_vmm_client_new_async (socket_path, NULL, gb_test_store_result, &result);
  client = gb_vmm_client_new_finish (gb_test_wait_result (&result), &error);
  g_assert_null (client);
  g_assert_nonnull (error);
  gb_test_tmpdir_remove (dir);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  gb_test_add_ticker ();

  g_test_add_func ("/vmm-client/lifecycle", test_lifecycle);
  g_test_add_func ("/vmm-client/write-after-exit", test_write_after_exit);
  g_test_add_func ("/vmm-client/no-socket", test_not_a_vmm);

  return g_test_run ();
}
