/* creator-test-util.h — what the creator tests share: a connected provider,
 * a prepared wizard model, and a machine created from it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libvirt-gobject/libvirt-gobject.h>

#include "gb-machine-creator.h"

G_BEGIN_DECLS

GbProvider       *creator_test_libvirt_provider (const char        *uri);
GVirConnection   *creator_test_connection       (GbProvider        *provider);
GbMachineCreator *creator_test_prepared         (GbProvider        *provider);
gboolean          creator_test_detect_os        (GbMachineCreator  *creator,
                                                 const char        *path,
                                                 GError           **error);
char             *creator_test_create_uuid      (GbMachineCreator  *creator);
GVirDomain       *creator_test_create           (GbMachineCreator  *creator);

G_END_DECLS
