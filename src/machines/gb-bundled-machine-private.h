/* gb-bundled-machine-private.h — what GbBundledProvider uses
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gb-bundled-machine.h"

G_BEGIN_DECLS

GbBundledMachine *_gb_bundled_machine_new            (GbProvider          *provider,
                                                      const char          *file,
                                                      const char          *runtime_dir,
                                                      const char          *contents,
                                                      gsize                length,
                                                      const GError        *read_error);
/* Finds a running glassbox-vmm through its control socket; never fails. */
void              _gb_bundled_machine_attach_async   (GbBundledMachine    *self,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
void              _gb_bundled_machine_attach_finish  (GbBundledMachine    *self,
                                                      GAsyncResult        *result);
/* Lets go of the control socket; the VMM runs on. */
void              _gb_bundled_machine_detach         (GbBundledMachine    *self);
/* One stats sample (CPU of the process, memory from query-stats). */
void              _gb_bundled_machine_sample         (GbBundledMachine    *self);

G_END_DECLS
