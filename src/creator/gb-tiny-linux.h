/* gb-tiny-linux.h — "Try a tiny Linux": a kernel and a busybox initramfs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The marker the tiny Linux prints on its consoles once it is up. */
#define GB_TINY_LINUX_MARKER "GLASSBOX-TINY-LINUX-UP"
/* Kernel messages and a shell on both the serial line and the screen. */
#define GB_TINY_LINUX_CMDLINE "console=ttyS0 console=tty0 panic=-1"

char     *gb_tiny_linux_default_dir   (void);
void      gb_tiny_linux_assemble_async  (const char           *out_dir,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
gboolean  gb_tiny_linux_assemble_finish (GAsyncResult         *result,
                                         char                **kernel_path,
                                         char                **initrd_path,
                                         GError              **error);

G_END_DECLS
