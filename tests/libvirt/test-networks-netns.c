/* test-networks-netns.c — GbNetworkList against libvirt's real network driver,
 * inside a network namespace this test creates
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A private libvirtd runs in a fresh network namespace (`ip netns add`),
 * in a mount namespace of its own (`ip netns exec` makes one) where
 * /etc/libvirt, /var/lib/libvirt, /var/cache/libvirt and /var/log/libvirt
 * are folders of a temporary directory and /run is an empty tmpfs: it sees
 * none of the host's libvirt state, and its bridges, dnsmasq and iptables
 * rules exist only in that namespace. The app connects over its socket in
 * the temporary directory (qemu+unix:///system: the provider wants domain
 * events; the QEMU driver does not probe QEMU until a domain needs it).
 *
 * Through GbNetworkList: a NAT and an isolated network are created and
 * started — their bridges appear in the namespace with the host's address
 * and not on the host, dnsmasq runs, and a DHCP client in a second
 * namespace (on a veth into the NAT bridge) shows up as the network's lease;
 * a bridge made in the namespace is listed by
 * gb_libvirt_provider_list_bridges_async(), and a bridged network onto it
 * starts; then everything is deleted and the bridges are gone. Nothing is
 * sent anywhere. Needs root; otherwise it skips and says why.
 */
#include "config.h"

#include <signal.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "gb-libvirt-provider.h"
#include "gb-network-list.h"
#include "gb-test-libvirt.h"
#include "gb-test-utils.h"

#define WAIT_FOR(cond) GB_TEST_WAIT_FOR (cond, 60)

static char *netns;
static char *client_netns;
static char *dir;
static GSubprocess *daemon_process;

static int
in_netns (const char  *cmd,
          char       **out)
{
  /* The whole of @cmd in the namespace (it may hold "&&"; never a quote). */
  g_autofree char *full = g_strdup_printf ("ip netns exec %s sh -c '%s'", netns, cmd);

  g_assert_null (strchr (cmd, '\''));

  return gb_test_run_shell (full, out, NULL);
}

static gboolean
host_has_link (const char *name)
{
  g_autofree char *path = g_build_filename ("/sys/class/net", name, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static char *
netns_addresses (const char *dev)
{
  g_autofree char *cmd = g_strdup_printf ("ip -4 -br addr show dev %s", dev);
  char *out = NULL;

  if (in_netns (cmd, &out) != 0)
    g_clear_pointer (&out, g_free);
  return out;
}

static gboolean
netns_runs (const char *comm)
{
  g_autofree char *out = NULL;
  g_auto(GStrv) pids = NULL;

  g_autofree char *cmd = g_strdup_printf ("ip netns pids %s", netns);
  if (gb_test_run_shell (cmd, &out, NULL) != 0)
    return FALSE;
  pids = g_strsplit (out, "\n", -1);
  for (guint i = 0; pids[i] != NULL; i++)
    {
      g_autofree char *path = NULL;
      g_autofree char *name = NULL;

      if (pids[i][0] == '\0')
        continue;
      path = g_strdup_printf ("/proc/%s/comm", pids[i]);
      if (g_file_get_contents (path, &name, NULL, NULL) && g_str_equal (g_strstrip (name), comm))
        return TRUE;
    }
  return FALSE;
}

static gboolean
never (gpointer data)
{
  return FALSE;
}

static gboolean
can_run (void)
{
  const char *programs[][2] = {
    { "ip", "iproute2" }, { "libvirtd", "libvirt-daemon" }, { "dnsmasq", "dnsmasq-base" },
    { "iptables", "iptables" },
  };

  if (getuid () != 0)
    {
      g_test_skip ("needs root: it creates a network namespace and runs libvirtd in it");
      return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (programs); i++)
    if (!g_file_test (g_strdup_printf ("/usr/sbin/%s", programs[i][0]), G_FILE_TEST_IS_EXECUTABLE) &&
        gb_test_skip_without_program (programs[i][0], programs[i][1]))
      return FALSE;
  return TRUE;
}

static gboolean
start_daemon (void)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;
  g_autofree char *conf = g_build_filename (dir, "libvirtd.conf", NULL);
  g_autofree char *conf_text = NULL;
  g_autofree char *log = g_build_filename (dir, "libvirtd.out", NULL);
  g_autofree char *sock = g_build_filename (dir, "sock", "libvirt-sock", NULL);
  g_autofree char *script = NULL;
  g_autofree char *cmd = NULL;
  const char *subdirs[] = { "etc", "lib", "cache", "log", "sock" };

  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *sub = g_build_filename (dir, subdirs[i], NULL);
      g_assert_cmpint (g_mkdir (sub, 0700), ==, 0);
    }
  conf_text = g_strdup_printf ("unix_sock_dir = \"%s/sock\"\n"
                               "unix_sock_rw_perms = \"0700\"\n"
                               "auth_unix_rw = \"none\"\n"
                               "auth_unix_ro = \"none\"\n"
                               "log_outputs = \"3:file:%s/libvirtd.log\"\n",
                               dir, dir);
  g_assert_true (g_file_set_contents (conf, conf_text, -1, NULL));

  cmd = g_strdup_printf ("ip netns add %s", netns);
  if (gb_test_run_shell (cmd, NULL, NULL) != 0)
    {
      g_test_skip ("`ip netns add` failed: network namespaces are not available here");
      return FALSE;
    }

  /* Only mount points that exist on the host can be covered. */
  script = g_strdup_printf ("set -e; mount -t tmpfs tmpfs /run; mkdir -p /run/libvirt; "
                            "for d in etc:/etc/libvirt lib:/var/lib/libvirt cache:/var/cache/libvirt log:/var/log/libvirt; do "
                            "  src=%s/${d%%%%:*}; dst=${d#*:}; [ -d $dst ] && mount --bind $src $dst; done; "
                            "ip link set lo up; exec libvirtd -f %s",
                            dir, conf);
  g_subprocess_launcher_set_stdout_file_path (launcher, log);
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  g_subprocess_launcher_setenv (launcher, "PATH", "/usr/sbin:/usr/bin:/sbin:/bin", TRUE);
  /* The daemon ends with this test, even if the test fails. */
  daemon_process = g_subprocess_launcher_spawn (launcher, &error, "setpriv", "--pdeathsig=TERM",
                                                "ip", "netns", "exec", netns,
                                                "sh", "-c", script, NULL);
  g_assert_no_error (error);

  for (int i = 0; i < 300 && !g_file_test (sock, G_FILE_TEST_EXISTS); i++)
    {
      g_main_context_iteration (NULL, FALSE);
      if (g_subprocess_get_identifier (daemon_process) == NULL)
        break;  /* it exited */
      g_usleep (100 * 1000);
    }
  if (!g_file_test (sock, G_FILE_TEST_EXISTS))
    {
      g_autofree char *out = NULL;

      g_file_get_contents (log, &out, NULL, NULL);
      g_test_message ("libvirtd: %s", out ? out : "(no output)");
      g_test_fail_printf ("the private libvirtd did not start");
      return FALSE;
    }
  return TRUE;
}

static void
stop_everything (void)
{
  g_autofree char *cmd = NULL;
  g_autofree char *pids = NULL;

  if (daemon_process != NULL)
    {
      g_subprocess_send_signal (daemon_process, SIGTERM);
      g_subprocess_wait (daemon_process, NULL, NULL);
      g_clear_object (&daemon_process);
    }
  if (netns != NULL)
    {
      /* Whatever libvirtd left running in our namespace (dnsmasq after a
       * failure): processes this test started, ended by PID. */
      cmd = g_strdup_printf ("ip netns pids %s", netns);
      if (gb_test_run_shell (cmd, &pids, NULL) == 0)
        {
          g_auto(GStrv) list = g_strsplit (pids, "\n", -1);

          for (guint i = 0; list[i] != NULL; i++)
            if (list[i][0] != '\0')
              kill ((pid_t) g_ascii_strtoll (list[i], NULL, 10), SIGTERM);
        }
      g_free (cmd);
      cmd = g_strdup_printf ("ip netns del %s", netns);
      gb_test_run_shell (cmd, NULL, NULL);
    }
  if (client_netns != NULL)
    {
      g_free (cmd);
      cmd = g_strdup_printf ("ip netns del %s", client_netns);
      gb_test_run_shell (cmd, NULL, NULL);
    }
  if (dir != NULL)
    gb_test_tmpdir_remove (dir);
}

static char *
create (GbNetworkList           *networks,
        const GbNetworkSettings *settings)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *uuid;

  gb_network_list_create_async (networks, settings, TRUE, TRUE, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  uuid = gb_network_list_create_finish (networks, result, &error);
  g_assert_no_error (error);
  /* "active" comes with the event at once; the rest with the re-read after it. */
  WAIT_FOR (gb_network_list_lookup (networks, uuid) != NULL &&
            gb_network_get_active (gb_network_list_lookup (networks, uuid)) &&
            gb_network_get_autostart (gb_network_list_lookup (networks, uuid)) &&
            (gb_network_get_mode (gb_network_list_lookup (networks, uuid)) == GB_NETWORK_MODE_BRIDGE ||
             gb_network_get_n_leases (gb_network_list_lookup (networks, uuid)) >= 0) &&
            gb_network_get_bridge (gb_network_list_lookup (networks, uuid)) != NULL);
  return uuid;
}

static void
delete (GbNetworkList *networks,
        const char    *uuid)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GbNetwork *net = gb_network_list_lookup (networks, uuid);

  gb_network_delete_async (net, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  g_assert_true (gb_network_delete_finish (net, result, &error));
  g_assert_no_error (error);
  WAIT_FOR (gb_network_list_lookup (networks, uuid) == NULL);
}

static char **
list_bridges (GbProvider *provider)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char **bridges;

  gb_libvirt_provider_list_bridges_async (GB_LIBVIRT_PROVIDER (provider), NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  bridges = gb_libvirt_provider_list_bridges_finish (GB_LIBVIRT_PROVIDER (provider), result, &error);
  g_assert_no_error (error);
  return bridges;
}

static void
test_networks_in_netns (void)
{
  GbNetworkSettings nat = { .name = "gb-nat", .mode = GB_NETWORK_MODE_NAT,
                            .ipv4 = "192.168.211.0/24", .dhcp = TRUE };
  GbNetworkSettings isolated = { .name = "gb-isolated", .mode = GB_NETWORK_MODE_ISOLATED,
                                 .ipv4 = "192.168.212.0/24", .dhcp = TRUE };
  GbNetworkSettings bridged = { .name = "gb-bridged", .mode = GB_NETWORK_MODE_BRIDGE, .bridge = "gbbr0" };
  g_autoptr(GbProvider) provider = NULL;
  g_autoptr(GbNetworkList) networks = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *nat_uuid = NULL;
  g_autofree char *iso_uuid = NULL;
  g_autofree char *bridged_uuid = NULL;
  g_autofree char *nat_bridge = NULL;
  g_autofree char *iso_bridge = NULL;
  g_autofree char *addresses = NULL;
  g_auto(GStrv) bridges = NULL;
  gboolean host_had_nat_bridge, host_had_iso_bridge;
  GbNetwork *net;

  if (!can_run ())
    return;

  netns = g_strdup_printf ("gb-netnet-%d", (int) getpid ());
  dir = gb_test_tmpdir_new ("gb-networks-XXXXXX");
  if (!start_daemon ())
    {
      stop_everything ();
      return;
    }

  uri = g_strdup_printf ("qemu+unix:///system?socket=%s/sock/libvirt-sock", dir);
  provider = gb_libvirt_provider_new (uri);
  networks = gb_network_list_new (GB_LIBVIRT_PROVIDER (provider));
  gb_provider_connect_async (provider, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  gb_provider_connect_finish (provider, result, &error);
  g_assert_no_error (error);
  WAIT_FOR (gb_network_list_get_loaded (networks));
  g_assert_null (gb_network_list_get_error (networks));
  /* A fresh configuration directory: no "default" network. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (networks)), ==, 0);

  /* NAT: a bridge with the host's address, dnsmasq, leases reported. */
  nat_uuid = create (networks, &nat);
  net = gb_network_list_lookup (networks, nat_uuid);
  nat_bridge = g_strdup (gb_network_get_bridge (net));
  g_test_message ("NAT network on %s", nat_bridge);
  g_assert_cmpint (gb_network_get_mode (net), ==, GB_NETWORK_MODE_NAT);
  g_assert_cmpint (gb_network_get_n_leases (net), ==, 0);
  addresses = netns_addresses (nat_bridge);
  g_test_message ("in the namespace: %s", addresses);
  g_assert_nonnull (addresses);
  g_assert_nonnull (strstr (addresses, "192.168.211.1/24"));
  g_clear_pointer (&addresses, g_free);
  g_assert_true (netns_runs ("dnsmasq"));

  /* A real lease: a DHCP client (busybox udhcpc) in a second namespace of
   * ours, on a veth pair into the NAT bridge. dnsmasq's lease reaches
   * GbNetwork through virNetworkGetDHCPLeases. */
  if (!gb_test_have_program ("busybox"))
    g_test_message ("no busybox (busybox-static): the DHCP lease is not checked");
  else
    {
      g_autofree char *cmd = NULL;
      g_autoptr(GAsyncResult) refreshed = NULL;
      GbNetworkLease *lease;

      client_netns = g_strdup_printf ("gb-netcli-%d", (int) getpid ());
      cmd = g_strdup_printf ("ip netns add %s", client_netns);
      g_assert_cmpint (gb_test_run_shell (cmd, NULL, NULL), ==, 0);
      g_free (cmd);
      cmd = g_strdup_printf ("ip link add gbv0 type veth peer name gbv1 netns %s && "
                             "ip link set gbv0 master %s up", client_netns, nat_bridge);
      g_assert_cmpint (in_netns (cmd, NULL), ==, 0);
      g_free (cmd);
      cmd = g_strdup_printf ("ip netns exec %s sh -c 'ip link set gbv1 address 52:54:00:4c:ea:5e up && "
                             "busybox udhcpc -i gbv1 -n -q -t 10 -T 1 -s /bin/true -x hostname:gbclient'",
                             client_netns);
      g_assert_cmpint (gb_test_run_shell (cmd, NULL, NULL), ==, 0);

      /* dnsmasq's lease script writes libvirt's status file a moment after
       * the client has its address; leases have no event: read again. */
      net = gb_network_list_lookup (networks, nat_uuid);
      for (int i = 0; i < 50 && gb_network_get_n_leases (net) < 1; i++)
        {
          g_clear_object (&refreshed);
          if (i > 0)
            gb_test_wait_until_ms (never, NULL, 200);
          gb_network_refresh_async (net, NULL, gb_test_store_result, &refreshed);
          WAIT_FOR (refreshed != NULL);
          g_assert_true (gb_network_refresh_finish (net, refreshed, &error));
          g_assert_no_error (error);
        }
      g_assert_cmpint (gb_network_get_n_leases (net), ==, 1);
      lease = g_ptr_array_index (gb_network_get_leases (net), 0);
      g_test_message ("lease: %s %s/%u %s", lease->mac, lease->ip, lease->prefix, lease->hostname);
      g_assert_cmpstr (lease->mac, ==, "52:54:00:4c:ea:5e");
      g_assert_true (g_str_has_prefix (lease->ip, "192.168.211."));
      g_assert_cmpuint (lease->prefix, ==, 24);
      g_assert_cmpstr (lease->hostname, ==, "gbclient");
      g_assert_cmpint (lease->expiry_time, >, g_get_real_time () / G_USEC_PER_SEC);
    }

  /* Isolated: a second bridge. */
  iso_uuid = create (networks, &isolated);
  net = gb_network_list_lookup (networks, iso_uuid);
  iso_bridge = g_strdup (gb_network_get_bridge (net));
  g_test_message ("isolated network on %s", iso_bridge);
  g_assert_cmpstr (iso_bridge, !=, nat_bridge);
  g_assert_cmpint (gb_network_get_mode (net), ==, GB_NETWORK_MODE_ISOLATED);
  addresses = netns_addresses (iso_bridge);
  g_assert_nonnull (addresses);
  g_assert_nonnull (strstr (addresses, "192.168.212.1/24"));
  g_clear_pointer (&addresses, g_free);

  /* The host's own network stack is untouched. */
  host_had_nat_bridge = host_has_link (nat_bridge);
  host_had_iso_bridge = host_has_link (iso_bridge);
  if (!host_had_nat_bridge)
    g_test_message ("%s exists only in the namespace", nat_bridge);

  /* A host bridge of the daemon's host (the namespace), listed through the
   * connection; libvirt's own bridges are not offered. */
  g_assert_cmpint (in_netns ("ip link add gbbr0 type bridge", NULL), ==, 0);
  bridges = list_bridges (provider);
  {
    g_autofree char *joined = g_strjoinv (", ", bridges);
    g_test_message ("bridges: %s", joined);
  }
  if (g_strv_length (bridges) == 0)
    g_test_message ("this libvirtd has neither an interface nor a node-device driver that sees bridges");
  else
    {
      g_assert_true (g_strv_contains ((const char * const *) bridges, "gbbr0"));
      g_assert_false (g_strv_contains ((const char * const *) bridges, nat_bridge));
      g_assert_false (g_strv_contains ((const char * const *) bridges, iso_bridge));
    }

  bridged_uuid = create (networks, &bridged);
  net = gb_network_list_lookup (networks, bridged_uuid);
  g_assert_cmpint (gb_network_get_mode (net), ==, GB_NETWORK_MODE_BRIDGE);
  g_assert_cmpstr (gb_network_get_bridge (net), ==, "gbbr0");

  /* Stop one, then delete all: the bridges go with them. */
  {
    g_autoptr(GAsyncResult) stopped = NULL;
    net = gb_network_list_lookup (networks, iso_uuid);
    gb_network_stop_async (net, NULL, gb_test_store_result, &stopped);
    WAIT_FOR (stopped != NULL);
    g_assert_true (gb_network_stop_finish (net, stopped, &error));
    g_assert_no_error (error);
    WAIT_FOR (!gb_network_get_active (net));
    g_assert_null (netns_addresses (iso_bridge));
  }
  delete (networks, bridged_uuid);
  delete (networks, iso_uuid);
  delete (networks, nat_uuid);
  g_assert_null (netns_addresses (nat_bridge));
  g_assert_false (netns_runs ("dnsmasq"));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (networks)), ==, 0);
  g_assert_cmpint (host_has_link (nat_bridge), ==, host_had_nat_bridge);
  g_assert_cmpint (host_has_link (iso_bridge), ==, host_had_iso_bridge);

  gb_provider_disconnect (provider);
  /* Re-reads still in flight hold the list until they come back. */
  WAIT_FOR (G_OBJECT (networks)->ref_count == 1);
  g_assert_finalize_object (g_steal_pointer (&networks));
  g_clear_object (&provider);
  /* The connection is let go in worker threads: give them a moment before
   * the daemon goes, so that they do not outlive the program. */
  gb_test_wait_until_ms (never, NULL, 1000);
  stop_everything ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  gb_test_libvirt_init ();

  g_test_add_func ("/libvirt/networks-in-netns", test_networks_in_netns);

  return g_test_run ();
}
