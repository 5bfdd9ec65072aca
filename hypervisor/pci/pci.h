/* pci.h — PCI bus 0 behind a host bridge, reached through configuration
 * mechanism 1 (ports 0xcf8 address, 0xcfc data; PCI Local Bus 3.0 §3.2.2.3.2).
 *
 * A device is 256 bytes of configuration space plus a write mask saying
 * which bits the guest may change; BARs are sized by the mask, and when the
 * guest moves a BAR or toggles memory decoding the device is told.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "vm.h"

#define PCI_MAX_DEVICES 32
#define PCI_NUM_BARS 6

#define PCI_VENDOR_ID      0x00
#define PCI_DEVICE_ID      0x02
#define PCI_COMMAND        0x04
#define PCI_STATUS         0x06
#define PCI_REVISION_ID    0x08
#define PCI_CLASS_PROG     0x09
#define PCI_HEADER_TYPE    0x0e
#define PCI_BAR0           0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID   0x2e
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN  0x3d

#define PCI_COMMAND_IO     0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS_CAP_LIST 0x10

struct pci_device;

struct pci_device_ops {
	/* A BAR became (un)mapped or moved: addr is valid when mapped. */
	void (*bar_update)(struct pci_device *dev, int bar, uint64_t addr, bool mapped);
	/* Called after the generic code applied a config write / before it
	 * returns a read; lets capabilities react (MSI-X enable, …). */
	void (*config_write)(struct pci_device *dev, uint32_t offset, uint32_t size, uint32_t value);
	bool (*config_read)(struct pci_device *dev, uint32_t offset, uint32_t size, uint32_t *value);
};

struct pci_device {
	char name[32];
	const struct pci_device_ops *ops;
	void *opaque;
	uint8_t slot;
	uint8_t irq;               /* INTA# → this IOAPIC pin */
	uint8_t config[256];
	uint8_t wmask[256];
	uint32_t bar_size[PCI_NUM_BARS];   /* 0: BAR unused */
	bool bar_mapped[PCI_NUM_BARS];
	uint64_t bar_addr[PCI_NUM_BARS];
	uint8_t cap_last;          /* offset of the last capability, 0: none */
	uint8_t cap_free;          /* where the next one goes */
};

struct pci_bus {
	struct vm *vm;
	pthread_mutex_t lock;
	uint32_t address;          /* last value written to 0xcf8 */
	struct pci_device *devs[PCI_MAX_DEVICES];
	struct pci_device host_bridge;
	uint64_t next_mmio;
};

struct pci_bus *pci_bus_create(struct vm *vm);
void pci_bus_destroy(struct pci_bus *bus);

/* Fill in IDs and claim the next free slot; returns false when full. */
bool pci_device_init(struct pci_bus *bus, struct pci_device *dev, const char *name,
                     uint16_t vendor, uint16_t device, uint32_t class_code,
                     const struct pci_device_ops *ops, void *opaque);
/* A 32-bit memory BAR of `size` bytes (power of two ≥ 4 KiB), placed
 * by us in the PCI MMIO window; the guest may move it. */
void pci_device_add_mem_bar(struct pci_bus *bus, struct pci_device *dev, int bar, uint32_t size);
/* Append a capability of `len` bytes (id in byte 0); returns its offset. */
uint8_t pci_device_add_cap(struct pci_device *dev, const void *cap, uint8_t len);
/* Turn on decoding of our preassigned BARs: a guest without firmware
 * (our tiny test payloads, Linux with pci=… left alone) finds them live. */
void pci_device_enable(struct pci_device *dev);

/* --restore: the configuration space a saved machine's device had; BARs
 * are mapped (or not) where it says, with the device told as usual. */
void pci_device_restore_config(struct pci_device *dev, const uint8_t config[256]);

static inline uint16_t pci_get16(const struct pci_device *d, unsigned int off)
{
	return d->config[off] | (d->config[off + 1] << 8);
}
static inline void pci_set16(struct pci_device *d, unsigned int off, uint16_t v)
{
	d->config[off] = v & 0xff;
	d->config[off + 1] = v >> 8;
}
static inline void pci_set32(struct pci_device *d, unsigned int off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		d->config[off + i] = (v >> (8 * i)) & 0xff;
}
