/* gb-vmm-locate.h — where glassbox-vmm is
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The glassbox-vmm to run: $GLASSBOX_VMM if set; the build tree's when this
 * program runs from the build tree; else the installed one (libexecdir, then
 * bindir, in the prefix this program runs from, then as configured); else
 * the first on $PATH.  Returns NULL with @error set when none
 * exists. */
char *gb_vmm_find_binary (GError **error);

G_END_DECLS
