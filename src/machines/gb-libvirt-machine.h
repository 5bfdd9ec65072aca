/* gb-libvirt-machine.h — a machine that is a libvirt domain
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libvirt-gobject/libvirt-gobject.h>

#include "gb-machine.h"

G_BEGIN_DECLS

#define GB_TYPE_LIBVIRT_MACHINE (gb_libvirt_machine_get_type ())
G_DECLARE_FINAL_TYPE (GbLibvirtMachine, gb_libvirt_machine, GB, LIBVIRT_MACHINE, GbMachine)

/* The domain as a libvirt-gobject object (for consoles). NULL while disconnected. */
GVirDomain *gb_libvirt_machine_get_domain (GbLibvirtMachine *self);

G_END_DECLS
