/* pci.c — configuration mechanism 1 and BAR bookkeeping. */
#include "pci.h"

#include <string.h>

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA    0xcfc
#define CONFIG_ENABLE  0x80000000u

static struct pci_device *
lookup(struct pci_bus *bus, uint32_t address)
{
	unsigned int busnr = (address >> 16) & 0xff;
	unsigned int slot = (address >> 11) & 0x1f;
	unsigned int func = (address >> 8) & 0x7;

	if (!(address & CONFIG_ENABLE) || busnr != 0 || func != 0)
		return NULL;
	return bus->devs[slot];
}

/* Work out where each BAR decodes now and tell the device of changes. */
static void
update_bars(struct pci_device *dev)
{
	bool mem_on = pci_get16(dev, PCI_COMMAND) & PCI_COMMAND_MEMORY;

	for (int i = 0; i < PCI_NUM_BARS; i++) {
		uint32_t raw;
		uint64_t addr;
		bool mapped;

		if (dev->bar_size[i] == 0)
			continue;
		memcpy(&raw, dev->config + PCI_BAR0 + 4 * i, 4);
		addr = raw & ~0xfu;
		/* An address of all-ones (sizing in progress) or 0 decodes nothing. */
		mapped = mem_on && addr != 0 && addr + dev->bar_size[i] <= MEM_4G &&
		         addr != ((0xffffffffu & ~(dev->bar_size[i] - 1)));
		if (mapped == dev->bar_mapped[i] && (!mapped || addr == dev->bar_addr[i]))
			continue;
		dev->bar_mapped[i] = mapped;
		dev->bar_addr[i] = addr;
		if (dev->ops && dev->ops->bar_update)
			dev->ops->bar_update(dev, i, addr, mapped);
	}
}

static uint32_t
config_read(struct pci_device *dev, uint32_t off, uint32_t size)
{
	uint32_t v = 0;

	if (dev->ops && dev->ops->config_read && dev->ops->config_read(dev, off, size, &v))
		return v;
	memcpy(&v, dev->config + off, size);
	return v;
}

static void
config_write(struct pci_device *dev, uint32_t off, uint32_t size, uint32_t value)
{
	for (uint32_t i = 0; i < size; i++) {
		uint8_t m = dev->wmask[off + i];
		uint8_t b = (value >> (8 * i)) & 0xff;
		dev->config[off + i] = (dev->config[off + i] & ~m) | (b & m);
	}
	if (off < PCI_BAR0 + 4 * PCI_NUM_BARS && off + size > PCI_COMMAND)
		update_bars(dev);
	if (dev->ops && dev->ops->config_write)
		dev->ops->config_write(dev, off, size, value);
}

static void
address_access(void *opaque, uint64_t offset, void *data, unsigned int size, bool is_write)
{
	struct pci_bus *bus = opaque;

	if (size != 4 || offset != 0) {
		/* Byte accesses to 0xcf8-0xcfb are not configuration cycles. */
		if (!is_write)
			memset(data, 0xff, size);
		return;
	}
	pthread_mutex_lock(&bus->lock);
	if (is_write)
		memcpy(&bus->address, data, 4);
	else
		memcpy(data, &bus->address, 4);
	pthread_mutex_unlock(&bus->lock);
}

static void
data_access(void *opaque, uint64_t offset, void *data, unsigned int size, bool is_write)
{
	struct pci_bus *bus = opaque;
	struct pci_device *dev;
	uint32_t reg, v = 0;

	pthread_mutex_lock(&bus->lock);
	dev = lookup(bus, bus->address);
	reg = (bus->address & 0xfc) + offset;
	if (dev == NULL || (size != 1 && size != 2 && size != 4) || reg + size > 256) {
		/* No device: reads float to all ones (vendor 0xffff = empty slot). */
		if (!is_write)
			memset(data, 0xff, size);
	} else if (is_write) {
		memcpy(&v, data, size);
		config_write(dev, reg, size, v);
	} else {
		v = config_read(dev, reg, size);
		memcpy(data, &v, size);
	}
	pthread_mutex_unlock(&bus->lock);
}

struct pci_bus *
pci_bus_create(struct vm *vm)
{
	struct pci_bus *bus = g_new0(struct pci_bus, 1);

	bus->vm = vm;
	bus->next_mmio = PCI_MMIO_START;
	pthread_mutex_init(&bus->lock, NULL);
	/* Slot 0: an Intel 440FX-style host bridge, class 06.00.00. */
	pci_device_init(bus, &bus->host_bridge, "host-bridge", 0x8086, 0x1237, 0x060000, NULL, NULL);
	bus_register(&vm->pio, "pci-config", CONFIG_ADDRESS, 4, address_access, bus);
	bus_register(&vm->pio, "pci-config", CONFIG_DATA, 4, data_access, bus);
	return bus;
}

void
pci_bus_destroy(struct pci_bus *bus)
{
	if (bus == NULL)
		return;
	pthread_mutex_destroy(&bus->lock);
	g_free(bus);
}

bool
pci_device_init(struct pci_bus *bus, struct pci_device *dev, const char *name,
                uint16_t vendor, uint16_t device, uint32_t class_code,
                const struct pci_device_ops *ops, void *opaque)
{
	unsigned int slot;

	for (slot = 0; slot < PCI_MAX_DEVICES && bus->devs[slot]; slot++)
		;
	if (slot == PCI_MAX_DEVICES)
		return false;

	g_strlcpy(dev->name, name, sizeof(dev->name));
	dev->ops = ops;
	dev->opaque = opaque;
	dev->slot = slot;
	pci_set16(dev, PCI_VENDOR_ID, vendor);
	pci_set16(dev, PCI_DEVICE_ID, device);
	dev->config[PCI_CLASS_PROG] = class_code & 0xff;
	dev->config[PCI_CLASS_PROG + 1] = (class_code >> 8) & 0xff;
	dev->config[PCI_CLASS_PROG + 2] = (class_code >> 16) & 0xff;
	dev->config[PCI_HEADER_TYPE] = 0;
	/* Writable: command (memory, bus master, INTx disable), the cache line
	 * size and latency timer, the interrupt line. */
	dev->wmask[PCI_COMMAND] = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	dev->wmask[PCI_COMMAND + 1] = PCI_COMMAND_INTX_DISABLE >> 8;
	dev->wmask[0x0c] = 0xff;
	dev->wmask[0x0d] = 0xff;
	dev->wmask[PCI_INTERRUPT_LINE] = 0xff;
	if (slot > 0) {
		dev->irq = 16 + (slot % 8);   /* IOAPIC pins 16-23 are PCI's */
		dev->config[PCI_INTERRUPT_LINE] = dev->irq;
		dev->config[PCI_INTERRUPT_PIN] = 1;   /* INTA# */
	}
	bus->devs[slot] = dev;
	return true;
}

void
pci_device_add_mem_bar(struct pci_bus *bus, struct pci_device *dev, int bar, uint32_t size)
{
	uint64_t addr = (bus->next_mmio + size - 1) & ~((uint64_t) size - 1);
	uint32_t mask = ~(size - 1);

	bus->next_mmio = addr + size;
	dev->bar_size[bar] = size;
	pci_set32(dev, PCI_BAR0 + 4 * bar, (uint32_t) addr);   /* 32-bit, non-prefetchable */
	for (int i = 0; i < 4; i++)
		dev->wmask[PCI_BAR0 + 4 * bar + i] = (mask >> (8 * i)) & 0xff;
}

uint8_t
pci_device_add_cap(struct pci_device *dev, const void *cap, uint8_t len)
{
	uint8_t off = dev->cap_free ? dev->cap_free : 0x40;

	/* Capabilities are packed from 0x40, dword aligned, linked by byte 1. */
	memcpy(dev->config + off, cap, len);
	dev->config[off + 1] = 0;
	if (dev->cap_last)
		dev->config[dev->cap_last + 1] = off;
	else
		dev->config[PCI_CAPABILITY_LIST] = off;
	dev->cap_last = off;
	dev->cap_free = (off + len + 3) & ~3;
	pci_set16(dev, PCI_STATUS, pci_get16(dev, PCI_STATUS) | PCI_STATUS_CAP_LIST);
	return off;
}

void
pci_device_enable(struct pci_device *dev)
{
	pci_set16(dev, PCI_COMMAND, pci_get16(dev, PCI_COMMAND) | PCI_COMMAND_MEMORY);
	update_bars(dev);
}

void
pci_device_restore_config(struct pci_device *dev, const uint8_t config[256])
{
	memcpy(dev->config, config, sizeof(dev->config));
	update_bars(dev);
}
