/* scroll.c — a console that scrolls as fast as it can, for the VNC server
 * benchmark (bench/vmm/bench-vnc-server.py).  Runs on glassbox-vmm's display
 * device (1af4:10f0, mode from its capability) and on QEMU's bochs-display
 * (1234:1111, mode set through the DISPI registers in BAR 2), so both VMMs'
 * VNC servers serve the same content.
 *
 * Each step moves the screen up by one 16-pixel text line (every pixel
 * changes, as when a console scrolls) and draws a new striped line at the
 * bottom; every 16 steps it prints "step N" on COM1.
 */
#include "guest.h"

void guest_main(void *start_info);

#define LINE 16

static void
dispi_write(uint32_t regs, unsigned int index, uint16_t v)
{
	/* bochs-display: the VBE DISPI registers as 16-bit MMIO at 0x500. */
	mmio_write16(regs + 0x500 + 2 * index, v);
}

void
guest_main(void *start_info)
{
	uint32_t fb = 0, stride = 0, width = 0, height = 0;

	for (unsigned int slot = 0; slot < 32 && fb == 0; slot++) {
		uint32_t id = pci_read32(slot, 0);

		if (id == 0x10f01af4) {
			for (uint8_t cap = pci_read8(slot, 0x34); cap; cap = pci_read8(slot, cap + 1)) {
				if (pci_read8(slot, cap) != 0x09)
					continue;
				width = pci_read16(slot, cap + 4);
				height = pci_read16(slot, cap + 6);
				stride = pci_read32(slot, cap + 8);
			}
			fb = pci_read32(slot, 0x10) & ~0xfu;
		} else if (id == 0x11111234) {
			uint32_t regs = pci_read32(slot, 0x18) & ~0xfu;

			width = 1024;
			height = 768;
			stride = width * 4;
			dispi_write(regs, 4, 0);          /* ENABLE off while changing */
			dispi_write(regs, 1, width);
			dispi_write(regs, 2, height);
			dispi_write(regs, 3, 32);
			dispi_write(regs, 4, 0x41);       /* enabled, linear framebuffer */
			fb = pci_read32(slot, 0x10) & ~0xfu;
		}
	}
	if (fb == 0 || width == 0) {
		puts("no display\n");
		return;
	}
	puts("scroll ");
	put_dec(width);
	putc('x');
	put_dec(height);
	putc('\n');

	for (uint32_t step = 1;; step++) {
		uint32_t dst = fb, src = fb + LINE * stride, n = (height - LINE) * stride / 4;

		__asm__ volatile("rep movsl" : "+D"(dst), "+S"(src), "+c"(n) :: "memory");
		for (uint32_t y = height - LINE; y < height; y++) {
			volatile uint32_t *row = (volatile uint32_t *) (fb + y * stride);
			uint32_t shift = (step * 8) % width;

			/* "Text": bars of 8 pixels whose pattern depends on the line. */
			for (uint32_t x = 0; x < width; x++)
				row[x] = (((x + shift) / 8 + y + step) & 3) ? 0x00202020 : 0x00c0c0c0;
		}
		if (step % 16 == 0) {
			puts("step ");
			put_dec(step);
			putc('\n');
		}
	}
}
