/* gb-libvirt-internals.h — libvirt's domain statistics in query-stats form
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libvirt/libvirt.h>

G_BEGIN_DECLS

/* Maps the typed parameters of one virDomainStatsRecord (groups VM, VCPU,
 * BALLOON, BLOCK, INTERFACE) onto the JSON shape of glassbox-vmm's
 * query-stats (docs/vmm-api.md), so the Inside view reads both alike.
 * @domain_type is the <domain type=…> attribute: "qemu" means TCG, which
 * has no VM exits ("accelerator": "tcg").  Returns: (transfer full). */
JsonNode *gb_libvirt_internals_to_json (const virTypedParameter *params,
                                        int                      n_params,
                                        const char              *domain_type);

/* The type attribute of a domain's XML ("kvm", "qemu", …), or NULL. */
char     *gb_libvirt_internals_domain_type (const char *xml);

G_END_DECLS
