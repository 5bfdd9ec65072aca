/* bus.c — who answers a port or MMIO address.
 *
 * Devices register [base, base + len) on the port bus or the MMIO bus; a
 * vCPU thread that exits on an access looks the address up here.  PCI BARs
 * can move when the guest reprograms them, so lookups take a read lock and
 * moves a write lock.
 */
#include "vm.h"

#include <string.h>

void
bus_init(struct bus *bus)
{
	memset(bus, 0, sizeof(*bus));
	pthread_rwlock_init(&bus->lock, NULL);
}

void
bus_destroy(struct bus *bus)
{
	pthread_rwlock_destroy(&bus->lock);
}

struct bus_device *
bus_register(struct bus *bus, const char *name, uint64_t base, uint64_t len,
             bus_access_fn access, void *opaque)
{
	struct bus_device *dev = NULL;

	pthread_rwlock_wrlock(&bus->lock);
	if (bus->n < BUS_MAX_DEVICES) {
		dev = &bus->devs[bus->n++];
		*dev = (struct bus_device) { name, base, len, access, opaque, 0 };
	}
	pthread_rwlock_unlock(&bus->lock);
	return dev;
}

void
bus_move(struct bus *bus, struct bus_device *dev, uint64_t new_base, uint64_t len)
{
	pthread_rwlock_wrlock(&bus->lock);
	dev->base = new_base;
	dev->len = len;
	pthread_rwlock_unlock(&bus->lock);
}

bool
bus_access(struct bus *bus, uint64_t addr, void *data, unsigned int size, bool is_write)
{
	bus_access_fn access = NULL;
	void *opaque = NULL;
	uint64_t offset = 0;

	/* Look up under the lock, call without it: a device may itself move a
	 * BAR (taking the write lock), and devices live as long as the VM. */
	pthread_rwlock_rdlock(&bus->lock);
	for (unsigned int i = 0; i < bus->n; i++) {
		struct bus_device *dev = &bus->devs[i];

		if (dev->len && addr >= dev->base && addr - dev->base < dev->len) {
			__atomic_fetch_add(&dev->exits, 1, __ATOMIC_RELAXED);
			access = dev->access;
			opaque = dev->opaque;
			offset = addr - dev->base;
			break;
		}
	}
	pthread_rwlock_unlock(&bus->lock);
	if (access) {
		access(opaque, offset, data, size, is_write);
		return true;
	}
	__atomic_fetch_add(&bus->unhandled, 1, __ATOMIC_RELAXED);
	if (!is_write)
		memset(data, 0xff, size);   /* an empty ISA/PCI bus floats high */
	return false;
}
