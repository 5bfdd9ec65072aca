/* gb-libvirt-console.h — a libvirt console stream as a GIOStream
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <libvirt/libvirt.h>

G_BEGIN_DECLS

GIOStream *_gb_libvirt_console_wrap (virStreamPtr   stream,
                                     GError       **error);

G_END_DECLS
