/* gb-test-libvirt.h — libvirt connections for the provider and creator tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libvirt-gobject/libvirt-gobject.h>
#include <libvirt/libvirt.h>

G_BEGIN_DECLS

/* A domain's serial console, read through virDomainOpenConsole() on the
 * main loop into @text until the stream ends (@eof). */
typedef struct {
  virStreamPtr stream;
  GString     *text;
  gboolean     eof;
} GbTestConsole;

void            gb_test_libvirt_init          (void);
GVirConnection *gb_test_libvirt_open          (const char *uri);
/* A domain that boots a tiny guest (tests/guests/NAME.elf) as a PVH
 * kernel: 64 MiB, @vcpus, COM1 on a pty, machine type @machine (NULL: the
 * default), <domain type='kvm'> or 'qemu' (TCG). */
char           *gb_test_tiny_domain_xml       (const char    *name,
                                               gboolean       kvm,
                                               const char    *machine,
                                               guint          vcpus,
                                               const char    *kernel);
void            gb_test_console_open          (GbTestConsole *console,
                                               virDomainPtr   dom);
void            gb_test_console_close         (GbTestConsole *console);

G_END_DECLS
