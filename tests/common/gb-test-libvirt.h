/* gb-test-libvirt.h — libvirt connections for the provider and creator tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libvirt-gobject/libvirt-gobject.h>

G_BEGIN_DECLS

void            gb_test_libvirt_init          (void);
GVirConnection *gb_test_libvirt_open          (const char *uri);

G_END_DECLS
