/* gb-install-dirs.h — where the installed app's files are
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean  gb_install_dirs_running_uninstalled (void);
char     *gb_install_dirs_get                 (const char *configured_dir);

G_END_DECLS
