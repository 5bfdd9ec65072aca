/* pci-enum.c — list PCI bus 0 as a driver would find it: IDs, BAR0 address
 * and size, the capability list. One line per device, for the host test. */
#include "guest.h"

void guest_main(void *start_info);

static const char *const vcap_names[] = { "?", "common", "notify", "isr", "device", "pci-cfg" };

void
guest_main(void *start_info)
{
	for (unsigned int slot = 0; slot < 32; slot++) {
		uint32_t id = pci_read32(slot, 0);
		uint32_t bar, size;
		uint8_t cfg_cap = 0;

		if ((id & 0xffff) == 0xffff)
			continue;
		puts("pci 00:");
		put_hex(slot, 2);
		puts(".0 ");
		put_hex(id & 0xffff, 4);
		putc(':');
		put_hex(id >> 16, 4);
		puts(" class ");
		put_hex(pci_read32(slot, 8) >> 8, 6);
		puts(" rev ");
		put_hex(pci_read8(slot, 8), 2);

		/* Size BAR0 the classic way: write all ones, read the mask back. */
		bar = pci_read32(slot, 0x10);
		pci_write32(slot, 0x10, 0xffffffff);
		size = ~(pci_read32(slot, 0x10) & ~0xfu) + 1;
		pci_write32(slot, 0x10, bar);
		if (bar) {
			puts(" bar0 ");
			put_hex(bar, 8);
			puts(" size ");
			put_hex(size, 8);
		}
		if (pci_read8(slot, 0x3d)) {
			puts(" irq ");
			put_dec(pci_read8(slot, 0x3c));
		}
		if (pci_read16(slot, 6) & 0x10) {
			puts(" caps");
			for (uint8_t cap = pci_read8(slot, 0x34); cap; cap = pci_read8(slot, cap + 1)) {
				uint8_t id8 = pci_read8(slot, cap);
				putc(' ');
				if (id8 == 0x09) {
					uint8_t t = pci_read8(slot, cap + 3);
					if (t == 5)
						cfg_cap = cap;
					puts(t < 6 ? vcap_names[t] : "?");
					puts("@bar");
					put_dec(pci_read8(slot, cap + 4));
					putc('+');
					put_hex(pci_read32(slot, cap + 8), 4);
				} else if (id8 == 0x11) {
					puts("msix/");
					put_dec((pci_read16(slot, cap + 2) & 0x7ff) + 1);
				} else {
					put_hex(id8, 2);
				}
			}
		}
		/* virtio 1.2 §4.1.4.9: read num_queues (common config +0x12)
		 * through the configuration-space window, without MMIO. */
		if (cfg_cap) {
			pci_write32(slot, cfg_cap + 4, 0);          /* BAR 0 */
			pci_write32(slot, cfg_cap + 8, 0x12);       /* offset */
			pci_write32(slot, cfg_cap + 12, 2);         /* length */
			puts(" numq ");
			put_dec(pci_read32(slot, cfg_cap + 16) & 0xffff);
		}
		putc('\n');
	}
	puts("pci scan done\n");
}
