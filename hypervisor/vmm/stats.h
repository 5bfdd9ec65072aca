/* stats.h — query-stats for the control socket. */
#pragma once

#include <json-glib/json-glib.h>

#include "vm.h"

/* vCPU exits (user space and KVM's own counters), port/MMIO exits per
 * device, per-virtqueue notifications/interrupts/requests, guest memory.
 * `virtio` holds struct virtio_pci *. */
JsonNode *vmm_stats(struct vm *vm, GPtrArray *virtio);
