/* gb-network-config.c — a libvirt virtual network's definition
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libvirt-gconfig 4.0's GVirConfigNetwork has no setters or getters (only
 * new() and new_from_xml()), so the tree under its root node is built with
 * libxml2's tree API — element by element, every value escaped by libxml2,
 * never by string pasting — and the result is checked against libvirt's
 * own network.rng with gvir_config_object_validate(). Reading goes through
 * XPath, as GbMachineConfig reads domains.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "gb-network-config.h"
#include "gb-network-private.h"

G_DEFINE_ENUM_TYPE (GbNetworkMode, gb_network_mode,
                    G_DEFINE_ENUM_VALUE (GB_NETWORK_MODE_ISOLATED, "isolated"),
                    G_DEFINE_ENUM_VALUE (GB_NETWORK_MODE_NAT, "nat"),
                    G_DEFINE_ENUM_VALUE (GB_NETWORK_MODE_ROUTE, "route"),
                    G_DEFINE_ENUM_VALUE (GB_NETWORK_MODE_OPEN, "open"),
                    G_DEFINE_ENUM_VALUE (GB_NETWORK_MODE_BRIDGE, "bridge"),
                    G_DEFINE_ENUM_VALUE (GB_NETWORK_MODE_OTHER, "other"))

const char *
gb_network_mode_to_label (GbNetworkMode mode)
{
  switch (mode)
    {
    case GB_NETWORK_MODE_ISOLATED:
      return _("Isolated");
    case GB_NETWORK_MODE_NAT:
      return _("NAT");
    case GB_NETWORK_MODE_ROUTE:
      return _("Routed");
    case GB_NETWORK_MODE_OPEN:
      return _("Open");
    case GB_NETWORK_MODE_BRIDGE:
      return _("Bridged");
    case GB_NETWORK_MODE_OTHER:
    default:
      return _("Other");
    }
}

/* libvirt's spelling of each mode we create. */
static const char *
mode_to_xml (GbNetworkMode mode)
{
  switch (mode)
    {
    case GB_NETWORK_MODE_NAT:
      return "nat";
    case GB_NETWORK_MODE_ROUTE:
      return "route";
    case GB_NETWORK_MODE_OPEN:
      return "open";
    case GB_NETWORK_MODE_BRIDGE:
      return "bridge";
    case GB_NETWORK_MODE_ISOLATED:
    case GB_NETWORK_MODE_OTHER:
    default:
      return NULL;
    }
}

static GbNetworkMode
mode_from_xml (const char *mode)
{
  if (mode == NULL)
    return GB_NETWORK_MODE_ISOLATED;
  if (g_str_equal (mode, "nat"))
    return GB_NETWORK_MODE_NAT;
  if (g_str_equal (mode, "route"))
    return GB_NETWORK_MODE_ROUTE;
  if (g_str_equal (mode, "open"))
    return GB_NETWORK_MODE_OPEN;
  if (g_str_equal (mode, "bridge"))
    return GB_NETWORK_MODE_BRIDGE;
  return GB_NETWORK_MODE_OTHER;
}

/* IPv4 */

gboolean
gb_ipv4_parse_cidr (const char  *text,
                    guint32     *address,
                    guint       *prefix,
                    GError     **error)
{
  g_autofree char *copy = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  const guint8 *bytes;
  char *slash;
  guint64 bits = 24;

  if (text == NULL || *text == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Enter an IPv4 network such as 192.168.100.0/24."));
      return FALSE;
    }

  copy = g_strstrip (g_strdup (text));
  slash = strchr (copy, '/');
  if (slash != NULL)
    {
      *slash = '\0';
      /* /8 … /30: a smaller network has no room for a host and a guest. */
      if (!g_ascii_string_to_unsigned (slash + 1, 10, 8, 30, &bits, NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("“%s” is not a prefix length between 8 and 30."), slash + 1);
          return FALSE;
        }
    }

  inet = g_inet_address_new_from_string (copy);
  if (inet == NULL || g_inet_address_get_family (inet) != G_SOCKET_FAMILY_IPV4)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an IPv4 address."), copy);
      return FALSE;
    }

  bytes = g_inet_address_to_bytes (inet);
  *address = ((guint32) bytes[0] << 24) | ((guint32) bytes[1] << 16) |
             ((guint32) bytes[2] << 8) | bytes[3];
  *prefix = bits;
  return TRUE;
}

char *
gb_ipv4_to_string (guint32 address)
{
  return g_strdup_printf ("%u.%u.%u.%u", address >> 24, (address >> 16) & 0xff,
                          (address >> 8) & 0xff, address & 0xff);
}

static guint32
prefix_to_mask (guint prefix)
{
  return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

/* The host's address in @ipv4's subnet, and the subnet's bounds. */
static gboolean
subnet_of (const char  *ipv4,
           guint32     *host,
           guint       *prefix,
           guint32     *first,
           guint32     *last,
           GError     **error)
{
  guint32 address, mask;

  if (!gb_ipv4_parse_cidr (ipv4, &address, prefix, error))
    return FALSE;

  mask = prefix_to_mask (*prefix);
  *first = (address & mask) + 1;        /* after the network address */
  *last = (address | ~mask) - 1;        /* before the broadcast address */
  /* The network address itself stands for "the host takes the first one". */
  *host = (address & ~mask) == 0 ? *first : address;
  if (*host > *last)
    {
      g_autofree char *text = gb_ipv4_to_string (address);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("%s is the broadcast address of its network."), text);
      return FALSE;
    }
  return TRUE;
}

gboolean
gb_network_default_dhcp_range (const char  *ipv4,
                               char       **host,
                               char       **start,
                               char       **end,
                               GError     **error)
{
  guint32 h, first, last, s, e;
  guint prefix;

  if (!subnet_of (ipv4, &h, &prefix, &first, &last, error))
    return FALSE;

  /* Everything but the host's own address; it sits at one end in practice. */
  s = h == first ? first + 1 : first;
  e = h == last ? last - 1 : last;

  if (host)
    *host = gb_ipv4_to_string (h);
  if (start)
    *start = gb_ipv4_to_string (s);
  if (end)
    *end = gb_ipv4_to_string (e);
  return TRUE;
}

static gboolean
parse_in_subnet (const char  *text,
                 guint32      first,
                 guint32      last,
                 guint32     *out,
                 GError     **error)
{
  guint32 address;
  guint prefix;

  if (text == NULL || strchr (text, '/') != NULL ||
      !gb_ipv4_parse_cidr (text, &address, &prefix, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an IPv4 address."), text ? text : "");
      return FALSE;
    }
  if (address < first || address > last)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("%s is outside the network."), text);
      return FALSE;
    }
  *out = address;
  return TRUE;
}

/* Building */

static xmlNodePtr
add_element (xmlNodePtr  parent,
             const char *name)
{
  return xmlNewChild (parent, NULL, (const xmlChar *) name, NULL);
}

static void
set_attr (xmlNodePtr  node,
          const char *name,
          const char *value)
{
  xmlSetProp (node, (const xmlChar *) name, (const xmlChar *) value);
}

static gboolean
check_name (const char  *name,
            GError     **error)
{
  g_autofree char *stripped = g_strstrip (g_strdup (name ? name : ""));

  if (*stripped == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The network needs a name."));
      return FALSE;
    }
  /* libvirt keeps the definition in a file named after the network. */
  if (strchr (name, '/') != NULL || !g_utf8_validate (name, -1, NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("A network name cannot contain “/”."));
      return FALSE;
    }
  return TRUE;
}

/**
 * gb_network_config_build:
 *
 * Returns: (transfer full): the definition, or %NULL with @error set
 */
GVirConfigNetwork *
gb_network_config_build (const GbNetworkSettings  *settings,
                         GError                  **error)
{
  g_autoptr(GVirConfigNetwork) config = NULL;
  const char *mode;
  xmlNodePtr root = NULL;
  xmlNodePtr node;

  g_return_val_if_fail (settings != NULL, NULL);

  if (!check_name (settings->name, error))
    return NULL;
  if (settings->mode == GB_NETWORK_MODE_OTHER)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("This kind of network cannot be created here."));
      return NULL;
    }
  if (settings->mode == GB_NETWORK_MODE_BRIDGE &&
      (settings->bridge == NULL || settings->bridge[0] == '\0'))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Choose the host bridge to connect to."));
      return NULL;
    }

  config = gvir_config_network_new ();
  g_object_get (config, "node", &root, NULL);
  g_return_val_if_fail (root != NULL, NULL);

  /* <name> is text: libxml2 escapes it. */
  xmlNewTextChild (root, NULL, (const xmlChar *) "name", (const xmlChar *) settings->name);

  mode = mode_to_xml (settings->mode);
  if (mode != NULL)
    {
      node = add_element (root, "forward");
      set_attr (node, "mode", mode);
    }

  if (settings->mode == GB_NETWORK_MODE_BRIDGE)
    {
      /* libvirt only plugs guests' taps into it: no addresses, no DHCP. */
      node = add_element (root, "bridge");
      set_attr (node, "name", settings->bridge);
    }
  else
    {
      guint32 host, first, last, dhcp_start, dhcp_end;
      guint prefix;
      g_autofree char *host_text = NULL;
      g_autofree char *prefix_text = NULL;
      g_autofree char *default_start = NULL;
      g_autofree char *default_end = NULL;
      xmlNodePtr ip;

      if (!subnet_of (settings->ipv4, &host, &prefix, &first, &last, error))
        return NULL;

      host_text = gb_ipv4_to_string (host);
      prefix_text = g_strdup_printf ("%u", prefix);
      ip = add_element (root, "ip");
      set_attr (ip, "address", host_text);
      set_attr (ip, "prefix", prefix_text);

      if (settings->dhcp)
        {
          if (!gb_network_default_dhcp_range (settings->ipv4, NULL, &default_start, &default_end, error))
            return NULL;
          if (!parse_in_subnet (settings->dhcp_start ? settings->dhcp_start : default_start,
                                first, last, &dhcp_start, error) ||
              !parse_in_subnet (settings->dhcp_end ? settings->dhcp_end : default_end,
                                first, last, &dhcp_end, error))
            return NULL;
          if (dhcp_start > dhcp_end)
            {
              g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                   _("The DHCP range ends before it starts."));
              return NULL;
            }
          if (host >= dhcp_start && host <= dhcp_end)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The DHCP range includes the host’s own address, %s."), host_text);
              return NULL;
            }

          {
            g_autofree char *s = gb_ipv4_to_string (dhcp_start);
            g_autofree char *e = gb_ipv4_to_string (dhcp_end);

            node = add_element (add_element (ip, "dhcp"), "range");
            set_attr (node, "start", s);
            set_attr (node, "end", e);
          }
        }
    }

  /* The schema ships with the libvirt daemon; a client-only machine lets
   * the daemon check. */
  if (g_file_test (gvir_config_object_get_schema (GVIR_CONFIG_OBJECT (config)), G_FILE_TEST_EXISTS))
    {
      g_autoptr(GError) invalid = NULL;

      gvir_config_object_validate (GVIR_CONFIG_OBJECT (config), &invalid);
      if (invalid != NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("The network definition is not valid: %s"), invalid->message);
          return NULL;
        }
    }

  return g_steal_pointer (&config);
}

/* Reading */

static char *
xpath_string (xmlXPathContext *ctx,
              const char      *expr)
{
  xmlXPathObject *obj = xmlXPathEvalExpression ((const xmlChar *) expr, ctx);
  char *ret = NULL;

  if (obj != NULL && obj->type == XPATH_STRING && obj->stringval != NULL && obj->stringval[0] != '\0')
    ret = g_strdup ((const char *) obj->stringval);
  xmlXPathFreeObject (obj);
  return ret;
}

static gboolean
xpath_bool (xmlXPathContext *ctx,
            const char      *expr)
{
  xmlXPathObject *obj = xmlXPathEvalExpression ((const xmlChar *) expr, ctx);
  gboolean ret = obj != NULL && obj->type == XPATH_BOOLEAN && obj->boolval;

  xmlXPathFreeObject (obj);
  return ret;
}

static guint
netmask_to_prefix (const char *netmask)
{
  guint32 address;
  guint prefix, n = 0;

  if (netmask == NULL || !gb_ipv4_parse_cidr (netmask, &address, &prefix, NULL))
    return 0;
  while (n < 32 && (address & (0x80000000u >> n)))
    n++;
  return n;
}

gboolean
_gb_network_info_parse_xml (GbNetworkInfo  *info,
                            const char     *xml,
                            GError        **error)
{
  g_autoptr(GVirConfigNetwork) config = NULL;
  g_autofree char *mode = NULL;
  g_autofree char *prefix = NULL;
  g_autofree char *netmask = NULL;
  xmlXPathContext *ctx;
  xmlNodePtr root = NULL;

  config = gvir_config_network_new_from_xml (xml, error);
  if (config == NULL)
    return FALSE;
  g_object_get (config, "node", &root, NULL);
  if (root == NULL || root->doc == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("Unreadable network definition"));
      return FALSE;
    }

  ctx = xmlXPathNewContext (root->doc);
  mode = xpath_string (ctx, "string(/network/forward/@mode)");
  /* <forward/> without a mode is NAT. */
  if (mode == NULL && xpath_bool (ctx, "boolean(/network/forward)"))
    mode = g_strdup ("nat");
  info->mode = mode_from_xml (mode);
  info->bridge = xpath_string (ctx, "string(/network/bridge/@name)");
  if (info->bridge == NULL)
    info->bridge = xpath_string (ctx, "string((/network/forward/@dev | /network/forward/interface/@dev)[1])");

  /* The first IPv4 address (no family means IPv4). */
#define IP4 "/network/ip[not(@family) or @family='ipv4'][1]"
  info->ipv4_address = xpath_string (ctx, "string(" IP4 "/@address)");
  prefix = xpath_string (ctx, "string(" IP4 "/@prefix)");
  netmask = xpath_string (ctx, "string(" IP4 "/@netmask)");
  if (prefix != NULL)
    info->ipv4_prefix = (guint) g_ascii_strtoull (prefix, NULL, 10);
  else if (netmask != NULL)
    info->ipv4_prefix = netmask_to_prefix (netmask);
  else if (info->ipv4_address != NULL)
    info->ipv4_prefix = 24;
  info->dhcp_start = xpath_string (ctx, "string(" IP4 "/dhcp/range[1]/@start)");
  info->dhcp_end = xpath_string (ctx, "string(" IP4 "/dhcp/range[1]/@end)");
#undef IP4

  xmlXPathFreeContext (ctx);
  return TRUE;
}
