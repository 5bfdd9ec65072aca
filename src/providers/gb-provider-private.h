/* gb-provider-private.h — what provider implementations use
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gb-provider.h"

G_BEGIN_DECLS

void        _gb_provider_set_state         (GbProvider      *self,
                                            GbProviderState  state);
void        _gb_provider_set_error         (GbProvider      *self,
                                            const char      *error);
/* The live list behind "machines". */
GListStore *_gb_provider_get_store         (GbProvider      *self);
void        _gb_provider_add_machine       (GbProvider      *self,
                                            GbMachine       *machine);
void        _gb_provider_remove_machine    (GbProvider      *self,
                                            GbMachine       *machine);

G_END_DECLS
