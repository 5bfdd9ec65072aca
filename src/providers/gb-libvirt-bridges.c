/* gb-libvirt-bridges.c — the host bridges a libvirt connection can see
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Asked of the connection, not of this computer's /sys: on a remote
 * connection the bridges that matter are the remote host's. The interface
 * driver knows which interfaces are bridges (<interface type='bridge'>).
 * Where it is absent (session daemons, some builds) the node-device driver
 * still lists network devices; it does not say which are bridges, so
 * virtual devices that are not obviously something else (loopback, taps,
 * veth pairs, …) are taken. Bridges that belong to libvirt's own virtual
 * networks (virbr0) are left out either way: guests reach those through
 * the network, not the bridge.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "gb-libvirt-private.h"
#include "gb-libvirt-provider.h"

static char *
xpath_string (const char *xml,
              const char *expr)
{
  xmlDocPtr doc = xmlReadMemory (xml, strlen (xml), "device.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  xmlXPathContextPtr ctx;
  xmlXPathObjectPtr obj;
  char *ret = NULL;

  if (doc == NULL)
    return NULL;
  ctx = xmlXPathNewContext (doc);
  obj = xmlXPathEvalExpression ((const xmlChar *) expr, ctx);
  if (obj != NULL && obj->type == XPATH_STRING && obj->stringval != NULL && obj->stringval[0] != '\0')
    ret = g_strdup ((const char *) obj->stringval);
  xmlXPathFreeObject (obj);
  xmlXPathFreeContext (ctx);
  xmlFreeDoc (doc);
  return ret;
}

static gboolean
is_unsupported (void)
{
  virErrorPtr err = virGetLastError ();

  return err != NULL && (err->code == VIR_ERR_NO_SUPPORT || err->code == VIR_ERR_OPERATION_UNSUPPORTED);
}

/* Names of interfaces of type bridge, or -1 with libvirt's error set. */
static int
bridges_from_interfaces (virConnectPtr  conn,
                         GPtrArray     *names)
{
  virInterfacePtr *ifaces = NULL;
  int n = virConnectListAllInterfaces (conn, &ifaces, 0);

  if (n < 0)
    return -1;

  for (int i = 0; i < n; i++)
    {
      g_autofree char *xml = virInterfaceGetXMLDesc (ifaces[i], 0);
      g_autofree char *type = xml ? xpath_string (xml, "string(/interface/@type)") : NULL;

      if (xml == NULL)
        virResetLastError ();
      if (g_strcmp0 (type, "bridge") == 0)
        g_ptr_array_add (names, g_strdup (virInterfaceGetName (ifaces[i])));
      virInterfaceFree (ifaces[i]);
    }
  free (ifaces);
  return 0;
}

static gboolean
looks_like_bridge (const char *name,
                   const char *path)
{
  static const char * const not_bridges[] = {
    "lo", "tap", "vnet", "veth", "macvtap", "tun", "dummy", "wg", "vxlan", "bond", "team", NULL
  };

  /* Physical NICs live under their bus; bridges are virtual devices. */
  if (path == NULL || !g_str_has_prefix (path, "/sys/devices/virtual/net/"))
    return FALSE;
  /* libvirt's old virbr0-nic taps; VLAN devices (eth0.10). */
  if (g_str_has_suffix (name, "-nic") || strchr (name, '.') != NULL)
    return FALSE;
  for (guint i = 0; not_bridges[i] != NULL; i++)
    if (g_str_has_prefix (name, not_bridges[i]))
      return FALSE;
  return TRUE;
}

static int
bridges_from_node_devices (virConnectPtr  conn,
                           GPtrArray     *names)
{
  virNodeDevicePtr *devs = NULL;
  int n = virConnectListAllNodeDevices (conn, &devs, VIR_CONNECT_LIST_NODE_DEVICES_CAP_NET);

  if (n < 0)
    return -1;

  for (int i = 0; i < n; i++)
    {
      g_autofree char *xml = virNodeDeviceGetXMLDesc (devs[i], 0);
      g_autofree char *name = NULL;
      g_autofree char *path = NULL;

      if (xml == NULL)
        {
          virResetLastError ();
          virNodeDeviceFree (devs[i]);
          continue;
        }
      name = xpath_string (xml, "string(/device/capability[@type='net']/interface)");
      path = xpath_string (xml, "string(/device/path)");
      if (name != NULL && looks_like_bridge (name, path))
        g_ptr_array_add (names, g_steal_pointer (&name));
      virNodeDeviceFree (devs[i]);
    }
  free (devs);
  return 0;
}

/* Bridges of libvirt's own networks, to leave out. */
static GHashTable *
network_bridges (virConnectPtr conn)
{
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  virNetworkPtr *nets = NULL;
  int n = virConnectListAllNetworks (conn, &nets, 0);

  if (n < 0)
    {
      virResetLastError ();
      return set;
    }
  for (int i = 0; i < n; i++)
    {
      g_autofree char *xml = virNetworkGetXMLDesc (nets[i], 0);
      g_autofree char *mode = xml ? xpath_string (xml, "string(/network/forward/@mode)") : NULL;
      char *bridge = xml ? xpath_string (xml, "string(/network/bridge/@name)") : NULL;

      if (xml == NULL)
        virResetLastError ();
      /* A bridged network points at a host bridge: that one stays. */
      if (bridge != NULL && g_strcmp0 (mode, "bridge") != 0)
        g_hash_table_add (set, bridge);
      else
        g_free (bridge);
      virNetworkFree (nets[i]);
    }
  free (nets);
  return set;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char **) a, *(const char **) b);
}

static void
list_bridges_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  virConnectPtr conn = task_data;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) skip = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *result;
  GError *error = NULL;

  if (bridges_from_interfaces (conn, names) < 0)
    {
      if (!is_unsupported ())
        {
          gb_libvirt_set_error (&error, NULL);
          g_task_return_error (task, error);
          return;
        }
      virResetLastError ();
      if (bridges_from_node_devices (conn, names) < 0)
        {
          /* Neither driver here (an embedded connection): no bridges to offer. */
          if (!is_unsupported ())
            {
              gb_libvirt_set_error (&error, NULL);
              g_task_return_error (task, error);
              return;
            }
          virResetLastError ();
        }
    }

  skip = network_bridges (conn);
  g_ptr_array_sort (names, compare_names);
  result = g_ptr_array_new ();
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);

      if (g_hash_table_contains (skip, name) || !g_hash_table_add (seen, (gpointer) name))
        continue;
      g_ptr_array_add (result, g_strdup (name));
    }
  g_ptr_array_add (result, NULL);

  g_task_return_pointer (task, g_ptr_array_free (result, FALSE), (GDestroyNotify) g_strfreev);
}

static void
close_connection (gpointer conn)
{
  virConnectClose (conn);
}

/**
 * gb_libvirt_provider_list_bridges_async:
 * @self: a connected provider
 *
 * Lists the host's bridges as the connection sees them (see the top of
 * this file), in a worker thread.
 */
void
gb_libvirt_provider_list_bridges_async (GbLibvirtProvider   *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  virConnectPtr conn;

  g_return_if_fail (GB_IS_LIBVIRT_PROVIDER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gb_libvirt_provider_list_bridges_async);

  conn = _gb_libvirt_provider_get_handle (GB_PROVIDER (self));
  if (conn == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                               _("The connection is closed."));
      return;
    }

  virConnectRef (conn);
  g_task_set_task_data (task, conn, close_connection);
  g_task_run_in_thread (task, list_bridges_thread);
}

/**
 * gb_libvirt_provider_list_bridges_finish:
 *
 * Returns: (transfer full) (array zero-terminated=1): bridge names, sorted;
 *   empty when the connection has none or cannot tell; %NULL on error
 */
char **
gb_libvirt_provider_list_bridges_finish (GbLibvirtProvider  *self,
                                         GAsyncResult       *result,
                                         GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
