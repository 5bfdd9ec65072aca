/* virtio-pci.h — the modern virtio PCI transport (virtio 1.2 §4.1): one
 * front door for a struct virtio_device (virtio/device.h). */
#pragma once

#include <glib.h>

#include "device.h"
#include "pci.h"

struct virtio_pci;

/* Puts `vdev` on the bus (taking ownership of it), with its registers in a
 * memory BAR, notifications through ioeventfd and interrupts through
 * MSI-X irqfds or INTx.  Kicks are handled in `context`'s thread. */
struct virtio_pci *virtio_pci_create(struct vm *vm, struct pci_bus *bus, struct virtio_device *vdev,
                                     GMainContext *context, GError **error);
void virtio_pci_destroy(struct virtio_pci *vp);
/* Back to power-on state (machine reset). */
void virtio_pci_reset(struct virtio_pci *vp);

/* save-state: whether this device's state can be saved (its driver has
 * not started, or the device is ops->savable and not broken); its section
 * appended to @out (waits for requests in progress); and --restore, before
 * the vCPUs run: registers, BARs, MSI-X table, queues, then the irqfd,
 * ioeventfd and MSI routes made again. */
bool virtio_pci_can_save(struct virtio_pci *vp, GError **error);
/* Hold the device still from before guest RAM is written until its section
 * is taken (virtio_pci_save is called frozen): waits for requests in
 * progress, and the I/O thread puts no frame or console byte into the
 * guest's rings meanwhile — RAM and the ring positions in the file agree. */
void virtio_pci_freeze(struct virtio_pci *vp);
void virtio_pci_thaw(struct virtio_pci *vp);
bool virtio_pci_save(struct virtio_pci *vp, GByteArray *out, GError **error);
bool virtio_pci_load(struct virtio_pci *vp, const void *buf, size_t len, GError **error);

struct virtio_device *virtio_pci_get_device(struct virtio_pci *vp);
struct pci_device *virtio_pci_get_pci(struct virtio_pci *vp);
/* The device status byte the driver wrote (virtio 1.2 §2.1); 0: no driver. */
uint8_t virtio_pci_get_status(struct virtio_pci *vp);
/* MMIO exits that reached the transport (i.e. not absorbed by ioeventfd). */
uint64_t virtio_pci_get_mmio_exits(struct virtio_pci *vp);
/* "msix", "intx" or "none": how interrupts are delivered right now. */
const char *virtio_pci_get_irq_mode(struct virtio_pci *vp);
