/* test-reconnect.c — a connection whose daemon goes away and comes back
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A private libvirtd, run as "nobody" in session mode, with everything
 * (socket, pid file, state) under a temporary directory: it touches nothing
 * of the host's libvirt. The provider talks to the test driver through it
 * (test+unix:///default?socket=…), so the connection goes over the remote
 * protocol and can really drop: the test stops the daemon (by its PID), sees
 * the provider go DISCONNECTED, starts it again, and sees the provider come
 * back by itself.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>

#include "gb-libvirt-machine.h"
#include "gb-libvirt-private.h"
#include "gb-libvirt-provider.h"
#include "gb-test-libvirt.h"
#include "gb-test-utils.h"

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  guint      *changes)
{
  (*changes)++;
}

static void
on_state_changed (GbProvider *provider,
                  GParamSpec *pspec,
                  guint      *changes)
{
  (*changes)++;
}

static gboolean
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
test_reconnect (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *sock = NULL;
  g_autofree char *uri = NULL;
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(GSubprocess) daemon2 = NULL;
  g_autoptr(GbProvider) provider = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) result2 = NULL;
  g_autoptr(GError) error = NULL;
  GbMachine *machine;
  guint changes = 0, state_changes = 0;
  gboolean watched = FALSE;
  gint64 t0;

  if (!gb_test_skip_without_private_libvirtd ())
    return;

  dir = gb_test_private_libvirtd_dir ("gb-reconnect-XXXXXX");
  sock = gb_test_private_libvirtd_socket (dir);
  uri = g_strdup_printf ("test+unix:///default?socket=%s", sock);

  daemon = gb_test_private_libvirtd_start (dir, NULL);

  provider = gb_libvirt_provider_new (uri);
  gb_provider_connect_async (provider, NULL, gb_test_store_result, &result);
  GB_TEST_WAIT_FOR (result != NULL, 30);
  g_assert_true (gb_provider_connect_finish (provider, result, &error));
  g_assert_no_error (error);

  machine = gb_provider_find_machine (provider, "test");
  g_assert_nonnull (machine);
  g_assert_cmpint (gb_machine_get_state (machine), ==, GB_MACHINE_STATE_RUNNING);
  g_signal_connect (gb_provider_get_machines (provider), "items-changed",
                    G_CALLBACK (on_items_changed), &changes);

  /* The daemon goes away: the provider says so, the machines stay listed
   * in an unknown state, and acting on them says why it cannot. */
  gb_test_private_libvirtd_stop (daemon);
  t0 = g_get_monotonic_time ();
  GB_TEST_WAIT_FOR (gb_provider_get_state (provider) == GB_PROVIDER_STATE_DISCONNECTED, 30);
  g_test_message ("drop noticed after %.2f s", (g_get_monotonic_time () - t0) / 1e6);
  g_assert_nonnull (gb_provider_get_error (provider));
  g_assert_nonnull (strstr (gb_provider_get_error (provider), uri));
  g_assert_true (gb_provider_find_machine (provider, "test") == machine);
  g_assert_cmpint (gb_machine_get_state (machine), ==, GB_MACHINE_STATE_UNKNOWN);
  g_assert_null (gb_libvirt_machine_get_domain (GB_LIBVIRT_MACHINE (machine)));

  gb_machine_pause_async (machine, NULL, gb_test_store_result, &result2);
  GB_TEST_WAIT_FOR (result2 != NULL, 10);
  g_assert_false (gb_machine_pause_finish (machine, result2, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
  g_clear_error (&error);

  /* Back: the provider reconnects by itself, with the same machine objects. */
  daemon2 = gb_test_private_libvirtd_start (dir, NULL);
  t0 = g_get_monotonic_time ();
  GB_TEST_WAIT_FOR (gb_provider_get_state (provider) == GB_PROVIDER_STATE_CONNECTED, 60);
  g_test_message ("reconnected %.2f s after the daemon was back", (g_get_monotonic_time () - t0) / 1e6);
  g_assert_null (gb_provider_get_error (provider));
  g_assert_true (gb_provider_find_machine (provider, "test") == machine);
  g_assert_cmpint (gb_machine_get_state (machine), ==, GB_MACHINE_STATE_RUNNING);
  g_assert_nonnull (gb_libvirt_machine_get_domain (GB_LIBVIRT_MACHINE (machine)));
  g_assert_cmpuint (changes, ==, 0);

  /* And it works again: events included. */
  gb_machine_pause_async (machine, NULL, gb_test_store_result, &result2);
  g_clear_object (&result2);
  GB_TEST_WAIT_FOR (result2 != NULL, 10);
  g_assert_true (gb_machine_pause_finish (machine, result2, &error));
  g_assert_no_error (error);
  GB_TEST_WAIT_FOR (gb_machine_get_state (machine) == GB_MACHINE_STATE_PAUSED, 10);

  /* Disconnecting on purpose is not a drop: no reconnecting after it.  The
   * daemon is still there, so a reconnect would succeed: watch for longer
   * than the first back-off (1 s after a good connection) — twice over. */
  gb_provider_disconnect (provider);
  g_assert_cmpint (gb_provider_get_state (provider), ==, GB_PROVIDER_STATE_DISCONNECTED);
  g_signal_connect (provider, "notify::state", G_CALLBACK (on_state_changed), &state_changes);
  g_timeout_add_seconds (3, set_flag, &watched);
  GB_TEST_WAIT_FOR (watched, 30);
  g_assert_cmpuint (state_changes, ==, 0);
  g_assert_cmpint (gb_provider_get_state (provider), ==, GB_PROVIDER_STATE_DISCONNECTED);
  g_signal_handlers_disconnect_by_func (provider, on_state_changed, &state_changes);
  g_clear_object (&provider);

  gb_test_private_libvirtd_stop (daemon2);
  gb_test_tmpdir_remove (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  gb_test_libvirt_init ();

  g_test_add_func ("/libvirt/reconnect", test_reconnect);

  return g_test_run ();
}
