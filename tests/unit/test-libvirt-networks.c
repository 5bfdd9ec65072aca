/* test-libvirt-networks.c — GbNetworkList, GbNetwork, network definitions and
 * the bridges listing against test:///default
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test:///default has one network, "default" (NAT on virbr0,
 * 192.168.122.0/24), and one interface, eth1. A second, raw connection in
 * the same process shares the driver's state: changes made through it
 * reach the list only through libvirt's network events. Tests run in the
 * order they are added.
 */
#include "config.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "gb-libvirt-private.h"
#include "gb-network-list.h"
#include "gb-network-private.h"
#include "gb-test-libvirt.h"
#include "gb-test-utils.h"

#define TEST_URI "test:///default"
#define WAIT_FOR(cond) GB_TEST_WAIT_FOR (cond, 30)

static GbProvider *provider;
static GbNetworkList *networks;
static virConnectPtr raw;

static GbNetworkInfo *
parse (const char *xml)
{
  GbNetworkInfo *info = g_new0 (GbNetworkInfo, 1);
  g_autoptr(GError) error = NULL;

  g_assert_true (_gb_network_info_parse_xml (info, xml, &error));
  g_assert_no_error (error);
  return info;
}

static GbNetworkInfo *
build_and_parse (const GbNetworkSettings *settings)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVirConfigNetwork) config = gb_network_config_build (settings, &error);
  g_autofree char *xml = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (config);
  xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (config));
  g_test_message ("%s", xml);
  return parse (xml);
}

static void
test_config_build (void)
{
  GbNetworkSettings nat = { .name = "lab <&>", .mode = GB_NETWORK_MODE_NAT,
                            .ipv4 = "192.168.100.0/24", .dhcp = TRUE };
  GbNetworkSettings iso = { .name = "iso", .mode = GB_NETWORK_MODE_ISOLATED,
                            .ipv4 = "10.1.2.1/16", .dhcp = TRUE,
                            .dhcp_start = "10.1.100.1", .dhcp_end = "10.1.100.50" };
  GbNetworkSettings routed = { .name = "r", .mode = GB_NETWORK_MODE_ROUTE, .ipv4 = "172.20.0.0/28" };
  GbNetworkSettings open = { .name = "o", .mode = GB_NETWORK_MODE_OPEN, .ipv4 = "172.21.0.0" };
  GbNetworkSettings bridged = { .name = "b", .mode = GB_NETWORK_MODE_BRIDGE, .bridge = "br0" };
  g_autoptr(GbNetworkInfo) info = NULL;

  /* The name is escaped by libxml2, not pasted. */
  info = build_and_parse (&nat);
  g_assert_cmpint (info->mode, ==, GB_NETWORK_MODE_NAT);
  g_assert_cmpstr (info->ipv4_address, ==, "192.168.100.1");
  g_assert_cmpuint (info->ipv4_prefix, ==, 24);
  g_assert_cmpstr (info->dhcp_start, ==, "192.168.100.2");
  g_assert_cmpstr (info->dhcp_end, ==, "192.168.100.254");
  g_assert_null (info->bridge);
  g_clear_pointer (&info, _gb_network_info_free);

  info = build_and_parse (&iso);
  g_assert_cmpint (info->mode, ==, GB_NETWORK_MODE_ISOLATED);
  g_assert_cmpstr (info->ipv4_address, ==, "10.1.2.1");
  g_assert_cmpuint (info->ipv4_prefix, ==, 16);
  g_assert_cmpstr (info->dhcp_start, ==, "10.1.100.1");
  g_assert_cmpstr (info->dhcp_end, ==, "10.1.100.50");
  g_clear_pointer (&info, _gb_network_info_free);

  info = build_and_parse (&routed);
  g_assert_cmpint (info->mode, ==, GB_NETWORK_MODE_ROUTE);
  g_assert_cmpstr (info->ipv4_address, ==, "172.20.0.1");
  g_assert_cmpuint (info->ipv4_prefix, ==, 28);
  g_assert_null (info->dhcp_start);
  g_clear_pointer (&info, _gb_network_info_free);

  info = build_and_parse (&open);
  g_assert_cmpint (info->mode, ==, GB_NETWORK_MODE_OPEN);
  g_assert_cmpuint (info->ipv4_prefix, ==, 24);
  g_clear_pointer (&info, _gb_network_info_free);

  info = build_and_parse (&bridged);
  g_assert_cmpint (info->mode, ==, GB_NETWORK_MODE_BRIDGE);
  g_assert_cmpstr (info->bridge, ==, "br0");
  g_assert_null (info->ipv4_address);
}

static void
expect_invalid (const GbNetworkSettings *settings,
                const char              *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVirConfigNetwork) config = gb_network_config_build (settings, &error);

  g_assert_null (config);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, fragment));
}

static void
test_config_invalid (void)
{
  expect_invalid (&(GbNetworkSettings) { .name = " ", .mode = GB_NETWORK_MODE_NAT, .ipv4 = "10.0.0.0/24" },
                  "name");
  expect_invalid (&(GbNetworkSettings) { .name = "a/b", .mode = GB_NETWORK_MODE_NAT, .ipv4 = "10.0.0.0/24" },
                  "/");
  expect_invalid (&(GbNetworkSettings) { .name = "x", .mode = GB_NETWORK_MODE_NAT, .ipv4 = "10.0.0.300/24" },
                  "10.0.0.300");
  expect_invalid (&(GbNetworkSettings) { .name = "x", .mode = GB_NETWORK_MODE_NAT, .ipv4 = "10.0.0.0/31" },
                  "31");
  expect_invalid (&(GbNetworkSettings) { .name = "x", .mode = GB_NETWORK_MODE_NAT, .ipv4 = "" },
                  "192.168.100.0/24");
  expect_invalid (&(GbNetworkSettings) { .name = "x", .mode = GB_NETWORK_MODE_BRIDGE }, "bridge");
  expect_invalid (&(GbNetworkSettings) { .name = "x", .mode = GB_NETWORK_MODE_NAT, .ipv4 = "10.0.0.0/24",
                                         .dhcp = TRUE, .dhcp_start = "10.0.1.2", .dhcp_end = "10.0.0.9" },
                  "outside");
  expect_invalid (&(GbNetworkSettings) { .name = "x", .mode = GB_NETWORK_MODE_NAT, .ipv4 = "10.0.0.0/24",
                                         .dhcp = TRUE, .dhcp_start = "10.0.0.20", .dhcp_end = "10.0.0.9" },
                  "ends before");
  expect_invalid (&(GbNetworkSettings) { .name = "x", .mode = GB_NETWORK_MODE_NAT, .ipv4 = "10.0.0.1/24",
                                         .dhcp = TRUE, .dhcp_start = "10.0.0.1", .dhcp_end = "10.0.0.9" },
                  "10.0.0.1");
}

static void
test_dhcp_defaults (void)
{
  g_autofree char *host = NULL, *start = NULL, *end = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (gb_network_default_dhcp_range ("192.168.100.0/24", &host, &start, &end, &error));
  g_assert_cmpstr (host, ==, "192.168.100.1");
  g_assert_cmpstr (start, ==, "192.168.100.2");
  g_assert_cmpstr (end, ==, "192.168.100.254");
  g_clear_pointer (&host, g_free);
  g_clear_pointer (&start, g_free);
  g_clear_pointer (&end, g_free);

  /* The host at the top of the range. */
  g_assert_true (gb_network_default_dhcp_range ("10.0.0.254/24", &host, &start, &end, &error));
  g_assert_cmpstr (host, ==, "10.0.0.254");
  g_assert_cmpstr (start, ==, "10.0.0.1");
  g_assert_cmpstr (end, ==, "10.0.0.253");

  g_assert_false (gb_network_default_dhcp_range ("10.0.0.255/24", NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
test_mode_labels (void)
{
  g_assert_cmpstr (gb_network_mode_to_label (GB_NETWORK_MODE_NAT), ==, "NAT");
  g_assert_cmpstr (gb_network_mode_to_label (GB_NETWORK_MODE_ISOLATED), ==, "Isolated");
  g_assert_cmpstr (gb_network_mode_to_label (GB_NETWORK_MODE_BRIDGE), ==, "Bridged");
}

static GbNetwork *
find (const char *name)
{
  return gb_network_list_lookup (networks, name);
}

static void
test_list (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GbNetwork) first = NULL;
  GbNetwork *net;

  /* Made before the provider connects: it lists when the connection opens. */
  networks = gb_network_list_new (GB_LIBVIRT_PROVIDER (provider));
  g_assert_false (gb_network_list_get_loaded (networks));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (networks)), ==, 0);

  gb_provider_connect_async (provider, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  g_assert_true (gb_provider_connect_finish (provider, result, &error));
  g_assert_no_error (error);

  WAIT_FOR (gb_network_list_get_loaded (networks));
  g_assert_null (gb_network_list_get_error (networks));
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (networks)) == GB_TYPE_NETWORK);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (networks)), ==, 1);

  first = g_list_model_get_item (G_LIST_MODEL (networks), 0);
  net = find ("default");
  g_assert_true (net == first);
  g_assert_true (find ("dd8fe884-6c02-601e-7551-cca97df1c5df") == net);
  /* As `virsh -c test:///default net-dumpxml default` shows it. */
  g_assert_cmpstr (gb_network_get_uuid (net), ==, "dd8fe884-6c02-601e-7551-cca97df1c5df");
  g_assert_true (gb_network_get_active (net));
  g_assert_true (gb_network_get_persistent (net));
  g_assert_false (gb_network_get_autostart (net));
  g_assert_cmpint (gb_network_get_mode (net), ==, GB_NETWORK_MODE_NAT);
  g_assert_cmpstr (gb_network_get_bridge (net), ==, "virbr0");
  g_assert_cmpstr (gb_network_get_ipv4_address (net), ==, "192.168.122.1");
  g_assert_cmpuint (gb_network_get_ipv4_prefix (net), ==, 24);
  g_assert_cmpstr (gb_network_get_dhcp_start (net), ==, "192.168.122.2");
  g_assert_cmpstr (gb_network_get_dhcp_end (net), ==, "192.168.122.254");
  /* The test driver has no virNetworkGetDHCPLeases: unknown, not zero. */
  g_assert_cmpint (gb_network_get_n_leases (net), ==, -1);
  g_assert_null (gb_network_get_leases (net));
}

typedef gboolean (*FinishFunc) (GbNetwork *, GAsyncResult *, GError **);

static gboolean
finish_call (GbNetwork      *net,
             GAsyncResult  **result,
             FinishFunc      finish,
             GError        **error)
{
  WAIT_FOR (*result != NULL);
  return finish (net, *result, error);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

static void
test_create_isolated (void)
{
  GbNetworkSettings settings = { .name = "glassbox-iso", .mode = GB_NETWORK_MODE_ISOLATED,
                                 .ipv4 = "192.168.150.0/24", .dhcp = TRUE };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = NULL;
  virNetworkPtr seen;
  GbNetwork *net;
  int autostart = 0;

  gb_network_list_create_async (networks, &settings, TRUE, TRUE, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  uuid = gb_network_list_create_finish (networks, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (uuid);

  WAIT_FOR (find (uuid) != NULL);
  net = find ("glassbox-iso");
  g_assert_true (net == find (uuid));
  WAIT_FOR (gb_network_get_active (net) && gb_network_get_autostart (net));
  g_assert_cmpint (gb_network_get_mode (net), ==, GB_NETWORK_MODE_ISOLATED);
  g_assert_cmpstr (gb_network_get_ipv4_address (net), ==, "192.168.150.1");
  g_assert_cmpstr (gb_network_get_dhcp_start (net), ==, "192.168.150.2");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (networks)), ==, 2);
  /* Sorted by name. */
  {
    g_autoptr(GbNetwork) second = g_list_model_get_item (G_LIST_MODEL (networks), 1);
    g_assert_true (second == net);
  }

  /* libvirt agrees. */
  seen = virNetworkLookupByName (raw, "glassbox-iso");
  g_assert_nonnull (seen);
  g_assert_cmpint (virNetworkIsActive (seen), ==, 1);
  g_assert_cmpint (virNetworkGetAutostart (seen, &autostart), ==, 0);
  g_assert_cmpint (autostart, ==, 1);
  virNetworkFree (seen);
}

static void
test_start_stop_autostart (void)
{
  GbNetwork *net = find ("glassbox-iso");
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  guint active_notifies = 0;
  gulong handler;

  handler = g_signal_connect (net, "notify::active", G_CALLBACK (count_notify), &active_notifies);

  gb_network_stop_async (net, NULL, gb_test_store_result, &result);
  g_assert_true (finish_call (net, &result, gb_network_stop_finish, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  WAIT_FOR (!gb_network_get_active (net));

  gb_network_set_autostart_async (net, FALSE, NULL, gb_test_store_result, &result);
  g_assert_true (finish_call (net, &result, gb_network_set_autostart_finish, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  /* No event for autostart in libvirt 9.0: _finish has read it again. */
  g_assert_false (gb_network_get_autostart (net));

  gb_network_start_async (net, NULL, gb_test_store_result, &result);
  g_assert_true (finish_call (net, &result, gb_network_start_finish, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  WAIT_FOR (gb_network_get_active (net));

  /* Starting it again: libvirt's own words. */
  gb_network_start_async (net, NULL, gb_test_store_result, &result);
  g_assert_false (finish_call (net, &result, gb_network_start_finish, &error));
  g_assert_error (error, GB_LIBVIRT_ERROR, VIR_ERR_OPERATION_INVALID);
  g_test_message ("libvirt says: %s", error->message);
  g_assert_nonnull (strstr (error->message, "already running"));
  g_clear_object (&result);

  g_signal_handler_disconnect (net, handler);
  g_assert_cmpuint (active_notifies, ==, 2);
}

static void
test_events_from_outside (void)
{
  GbNetworkSettings settings = { .name = "outside", .mode = GB_NETWORK_MODE_ROUTE, .ipv4 = "10.77.0.0/24" };
  g_autoptr(GVirConfigNetwork) config = gb_network_config_build (&settings, NULL);
  g_autofree char *xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (config));
  GbNetwork *def = find ("default");
  virNetworkPtr net;

  /* Defined, started, stopped and undefined behind the list's back. */
  net = virNetworkDefineXML (raw, xml);
  g_assert_nonnull (net);
  WAIT_FOR (find ("outside") != NULL);
  g_assert_false (gb_network_get_active (find ("outside")));
  g_assert_cmpint (gb_network_get_mode (find ("outside")), ==, GB_NETWORK_MODE_ROUTE);

  g_assert_cmpint (virNetworkCreate (net), ==, 0);
  WAIT_FOR (gb_network_get_active (find ("outside")));
  g_assert_cmpint (virNetworkDestroy (net), ==, 0);
  WAIT_FOR (!gb_network_get_active (find ("outside")));
  g_assert_cmpint (virNetworkUndefine (net), ==, 0);
  WAIT_FOR (find ("outside") == NULL);
  virNetworkFree (net);

  /* A transient network comes and goes with its start and stop. */
  settings.name = "transient";
  g_clear_object (&config);
  g_free (xml);
  config = gb_network_config_build (&settings, NULL);
  xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (config));
  net = virNetworkCreateXML (raw, xml);
  g_assert_nonnull (net);
  WAIT_FOR (find ("transient") != NULL);
  g_assert_false (gb_network_get_persistent (find ("transient")));
  g_assert_true (gb_network_get_active (find ("transient")));
  g_assert_cmpint (virNetworkDestroy (net), ==, 0);
  WAIT_FOR (find ("transient") == NULL);
  virNetworkFree (net);

  /* "default" untouched. */
  g_assert_true (find ("default") == def);
  g_assert_true (gb_network_get_active (def));
}

static void
test_create_errors (void)
{
  GbNetworkSettings dup = { .name = "default", .mode = GB_NETWORK_MODE_NAT, .ipv4 = "10.9.0.0/24" };
  GbNetworkSettings bad = { .name = "bad", .mode = GB_NETWORK_MODE_NAT, .ipv4 = "10.9.0.0/33" };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = NULL;

  /* libvirt refuses a second "default", in its own words. */
  gb_network_list_create_async (networks, &dup, FALSE, FALSE, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  uuid = gb_network_list_create_finish (networks, result, &error);
  g_assert_null (uuid);
  g_assert_nonnull (error);
  g_assert_true (error->domain == GB_LIBVIRT_ERROR);
  g_test_message ("libvirt says: %s", error->message);
  g_assert_nonnull (strstr (error->message, "default"));
  g_clear_error (&error);
  g_clear_object (&result);

  /* Ours, before libvirt is asked. */
  gb_network_list_create_async (networks, &bad, FALSE, FALSE, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  g_assert_null (gb_network_list_create_finish (networks, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (networks)), ==, 2);
}

static void
test_delete (void)
{
  GbNetwork *net = find ("glassbox-iso");
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;

  g_assert_true (gb_network_get_active (net));
  gb_network_delete_async (g_object_ref (net), NULL, gb_test_store_result, &result);
  g_assert_true (finish_call (net, &result, gb_network_delete_finish, &error));
  g_assert_no_error (error);
  g_object_unref (net);
  g_clear_object (&result);
  WAIT_FOR (find ("glassbox-iso") == NULL);
  g_assert_null (virNetworkLookupByName (raw, "glassbox-iso"));
  virResetLastError ();
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (networks)), ==, 1);
}

static char **
list_bridges (GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  gb_libvirt_provider_list_bridges_async (GB_LIBVIRT_PROVIDER (provider), NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  return gb_libvirt_provider_list_bridges_finish (GB_LIBVIRT_PROVIDER (provider), result, error);
}

static void
test_bridges (void)
{
  const char *br_xml =
    "<interface type='bridge' name='br0'><start mode='onboot'/>"
    "<bridge stp='off'><interface type='ethernet' name='eth1'>"
    "<mac address='aa:bb:cc:dd:ee:ff'/></interface></bridge></interface>";
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) bridges = NULL;
  virInterfacePtr iface;

  /* eth1 is not a bridge; virbr0 is the "default" network's own. */
  bridges = list_bridges (&error);
  g_assert_no_error (error);
  g_assert_nonnull (bridges);
  g_assert_cmpuint (g_strv_length (bridges), ==, 0);
  g_clear_pointer (&bridges, g_strfreev);

  iface = virInterfaceDefineXML (raw, br_xml, 0);
  g_assert_nonnull (iface);
  bridges = list_bridges (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (bridges), ==, 1);
  g_assert_cmpstr (bridges[0], ==, "br0");

  /* A bridged network onto it: created through the list, then gone again. */
  {
    GbNetworkSettings settings = { .name = "host-bridge", .mode = GB_NETWORK_MODE_BRIDGE, .bridge = bridges[0] };
    g_autoptr(GAsyncResult) result = NULL;
    g_autofree char *uuid = NULL;
    GAsyncResult *deleted = NULL;
    GbNetwork *net;

    gb_network_list_create_async (networks, &settings, FALSE, TRUE, NULL, gb_test_store_result, &result);
    WAIT_FOR (result != NULL);
    uuid = gb_network_list_create_finish (networks, result, &error);
    g_assert_no_error (error);
    WAIT_FOR (find ("host-bridge") != NULL && gb_network_get_active (find ("host-bridge")));
    net = find ("host-bridge");
    g_assert_cmpint (gb_network_get_mode (net), ==, GB_NETWORK_MODE_BRIDGE);
    g_assert_cmpstr (gb_network_get_bridge (net), ==, "br0");

    /* Still offered: a bridged network points at the host's bridge. */
    g_clear_pointer (&bridges, g_strfreev);
    bridges = list_bridges (&error);
    g_assert_cmpuint (g_strv_length (bridges), ==, 1);

    gb_network_delete_async (net, NULL, gb_test_store_result, &deleted);
    g_assert_true (finish_call (net, &deleted, gb_network_delete_finish, &error));
    g_clear_object (&deleted);
    WAIT_FOR (find ("host-bridge") == NULL);
  }

  g_assert_cmpint (virInterfaceUndefine (iface), ==, 0);
  virInterfaceFree (iface);
}

static void
test_disconnect_reconnect (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  gb_provider_disconnect (provider);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (networks)), ==, 0);
  g_assert_false (gb_network_list_get_loaded (networks));

  /* Bridges need the connection. */
  {
    g_auto(GStrv) none = list_bridges (&error);

    g_assert_null (none);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
    g_clear_error (&error);
  }

  gb_provider_connect_async (provider, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  g_assert_true (gb_provider_connect_finish (provider, result, &error));
  WAIT_FOR (gb_network_list_get_loaded (networks));
  g_assert_nonnull (find ("default"));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (networks)), ==, 1);

  /* Re-reads still in flight hold the list until they come back. */
  WAIT_FOR (G_OBJECT (networks)->ref_count == 1);
  g_assert_finalize_object (g_steal_pointer (&networks));
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  gb_test_libvirt_init ();

  provider = gb_libvirt_provider_new (TEST_URI);
  raw = virConnectOpen (TEST_URI);
  g_assert_nonnull (raw);

  g_test_add_func ("/libvirt-networks/config-build", test_config_build);
  g_test_add_func ("/libvirt-networks/config-invalid", test_config_invalid);
  g_test_add_func ("/libvirt-networks/dhcp-defaults", test_dhcp_defaults);
  g_test_add_func ("/libvirt-networks/mode-labels", test_mode_labels);
  g_test_add_func ("/libvirt-networks/list", test_list);
  g_test_add_func ("/libvirt-networks/create-isolated", test_create_isolated);
  g_test_add_func ("/libvirt-networks/start-stop-autostart", test_start_stop_autostart);
  g_test_add_func ("/libvirt-networks/events-from-outside", test_events_from_outside);
  g_test_add_func ("/libvirt-networks/create-errors", test_create_errors);
  g_test_add_func ("/libvirt-networks/delete", test_delete);
  g_test_add_func ("/libvirt-networks/bridges", test_bridges);
  g_test_add_func ("/libvirt-networks/disconnect-reconnect", test_disconnect_reconnect);

  ret = g_test_run ();

  g_clear_object (&networks);
  g_clear_object (&provider);
  virConnectClose (raw);

  return ret;
}
