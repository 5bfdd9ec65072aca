/* creator-test-util.h — what the creator tests share: a prepared wizard
 * model, and a machine created from it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gb-machine-creator.h"

G_BEGIN_DECLS

GbMachineCreator *creator_test_prepared  (GVirConnection    *conn);
gboolean          creator_test_detect_os (GbMachineCreator  *creator,
                                          const char        *path,
                                          GError           **error);
GVirDomain       *creator_test_create    (GbMachineCreator  *creator);

G_END_DECLS
