/* gb-network-config.h — a libvirt virtual network's definition: built from a
 * few choices, read back from libvirt's XML, IPv4 arithmetic for the dialog
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <libvirt-gconfig/libvirt-gconfig.h>

G_BEGIN_DECLS

/* libvirt's <forward mode=…>; ISOLATED is a network without <forward>. */
typedef enum {
  GB_NETWORK_MODE_ISOLATED,
  GB_NETWORK_MODE_NAT,
  GB_NETWORK_MODE_ROUTE,
  GB_NETWORK_MODE_OPEN,
  GB_NETWORK_MODE_BRIDGE,
  GB_NETWORK_MODE_OTHER,     /* passthrough, private, vepa, hostdev: listed, not made here */
} GbNetworkMode;

#define GB_TYPE_NETWORK_MODE (gb_network_mode_get_type ())
GType        gb_network_mode_get_type     (void) G_GNUC_CONST;
/* A short translated label ("NAT", "Isolated", …). */
const char  *gb_network_mode_to_label     (GbNetworkMode mode);

/* What the user chooses for a new network. Strings belong to the caller. */
typedef struct {
  const char    *name;
  GbNetworkMode  mode;
  /* BRIDGE: the existing host bridge. Other modes: NULL, libvirt picks virbrN. */
  const char    *bridge;
  /* Not BRIDGE: "192.168.100.0/24" (the host takes the first address) or
   * "192.168.100.1/24" (the host's own address). */
  const char    *ipv4;
  gboolean       dhcp;
  /* NULL: the whole subnet but the host's address (gb_network_default_dhcp_range()). */
  const char    *dhcp_start;
  const char    *dhcp_end;
} GbNetworkSettings;

/* A GVirConfigNetwork for @settings, checked against libvirt's network.rng
 * where that is installed. Errors are G_IO_ERROR_INVALID_ARGUMENT with a
 * sentence for the user. */
GVirConfigNetwork *gb_network_config_build        (const GbNetworkSettings  *settings,
                                                   GError                  **error);

/* IPv4 in host byte order. A missing "/N" means /24. */
gboolean           gb_ipv4_parse_cidr             (const char  *text,
                                                   guint32     *address,
                                                   guint       *prefix,
                                                   GError     **error);
char              *gb_ipv4_to_string              (guint32      address);
/* The host's address and the default DHCP range for @ipv4 ("192.168.100.0/24"
 * → 192.168.100.1, 192.168.100.2 – 192.168.100.254). */
gboolean           gb_network_default_dhcp_range  (const char  *ipv4,
                                                   char       **host,
                                                   char       **start,
                                                   char       **end,
                                                   GError     **error);

G_END_DECLS
