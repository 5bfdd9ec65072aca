/* savestate.h — a running machine's state in a file, and back */
#pragma once

#include <glib.h>

#include "devices.h"
#include "framebuffer.h"
#include "virtio-pci.h"
#include "vm.h"

/* Writes every vCPU's registers (general, segment, FPU/XSAVE, XCRs, debug,
 * local APIC, MP state, pending events, MSRs), the interrupt controllers,
 * the PIT, kvmclock, the UART, all guest RAM, each virtio-pci device in
 * @virtio (struct virtio_pci *; may be NULL) and the screen @fb (may be
 * NULL: no --display) to @path (a new file, written
 * whole, then renamed into place).  The vCPUs must be paused. */
bool savestate_write(struct vm *vm, struct serial *serial, GPtrArray *virtio, struct framebuffer *fb,
                     const char *path, GError **error);
/* Puts a machine built with the same vCPU count and memory size back into
 * the state in @path; before the vCPUs first run. */
bool savestate_read(struct vm *vm, struct serial *serial, GPtrArray *virtio, struct framebuffer *fb,
                    const char *path, GError **error);
