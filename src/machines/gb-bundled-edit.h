/* gb-bundled-edit.h — changing one of Glassbox's own machines: its machine
 * file, through the Settings page's GbEditState and GbMachineEdit
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gb-bundled-machine.h"
#include "gb-machine-edit.h"

G_BEGIN_DECLS

/* What the Settings page shows: name, title, CPUs, memory, kernel, initrd,
 * command line, disks and NICs from the machine file, and the file itself
 * (in GbEditState's "xml", read only).  NULL with @error for a broken file. */
GbEditState *gb_bundled_edit_load         (GbBundledMachine     *machine,
                                           GError              **error);

/* Writes @edit into the machine file (gb_bundled_machine_update_async):
 * only while the machine is off, as glassbox-vmm reads the file when it
 * starts.  Disks and NICs to remove are named as the page names them:
 * disks by target ("vdb"), NICs by MAC or by "#N" (their place in the
 * file) when they have none.  Returns (finish) an empty array: nothing
 * waits for a next start. */
void         gb_bundled_edit_apply_async  (GbBundledMachine     *machine,
                                           const GbMachineEdit  *edit,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
GStrv        gb_bundled_edit_apply_finish (GbBundledMachine     *machine,
                                           GAsyncResult         *result,
                                           GError              **error);

G_END_DECLS
