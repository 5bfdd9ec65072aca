/* screen.c — find the display device on PCI, draw a known pattern into
 * its framebuffer, then echo keyboard and mouse bytes from the i8042 to
 * COM1.  Key 'f' (set 1 make code 0x21) fills scanlines 64-79 white so the
 * host can check the dirty log; 'm' (0x32) moves the framebuffer's BAR to
 * 0xd8000000 and paints row 0 red through the new address; 'q' (0x10)
 * ends the guest (reset).
 *
 * The pattern, for the host test to recompute: pixel (x, y) is
 *   red = x & 0xff, green = y & 0xff, blue = (x + y) & 0xff.
 */
#include "guest.h"

void guest_main(void *start_info);

static uint8_t
read_i8042(uint8_t *status)
{
	uint8_t s;

	while (!((s = inb(0x64)) & 0x01))
		;
	*status = s;
	return inb(0x60);
}

void
guest_main(void *start_info)
{
	unsigned int slot, width = 0, height = 0, stride = 0;
	uint32_t fb = 0;
	uint8_t mouse[3], status;
	unsigned int n_mouse = 0;

	for (slot = 0; slot < 32; slot++)
		if (pci_read32(slot, 0) == 0x10f01af4)
			break;
	if (slot == 32) {
		puts("no display device\n");
		return;
	}
	fb = pci_read32(slot, 0x10) & ~0xfu;
	/* The vendor-specific capability (ID 09h) carries the mode. */
	for (uint8_t cap = pci_read8(slot, 0x34); cap; cap = pci_read8(slot, cap + 1)) {
		if (pci_read8(slot, cap) != 0x09)
			continue;
		width = pci_read16(slot, cap + 4);
		height = pci_read16(slot, cap + 6);
		stride = pci_read32(slot, cap + 8);
	}
	puts("display ");
	put_dec(width);
	putc('x');
	put_dec(height);
	puts(" stride ");
	put_dec(stride);
	puts(" at ");
	put_hex(fb, 8);
	putc('\n');
	if (width == 0)
		return;

	for (unsigned int y = 0; y < height; y++) {
		volatile uint32_t *row = (volatile uint32_t *) (fb + y * stride);

		for (unsigned int x = 0; x < width; x++)
			row[x] = ((x & 0xff) << 16) | ((y & 0xff) << 8) | ((x + y) & 0xff);
	}
	puts("pattern drawn\n");

	/* The mouse: enable the aux port and data reporting (0xd4 prefixes a
	 * byte for the mouse); it answers 0xfa. */
	outb(0x64, 0xa8);
	outb(0x64, 0xd4);
	outb(0x60, 0xf4);
	if (read_i8042(&status) != 0xfa || !(status & 0x20)) {
		puts("mouse did not acknowledge\n");
		return;
	}
	puts("input ready\n");

	for (;;) {
		uint8_t b = read_i8042(&status);

		if (status & 0x20) {
			mouse[n_mouse++] = b;
			if (n_mouse == 3) {
				puts("mouse ");
				put_hex(mouse[0], 2);
				putc(' ');
				put_hex(mouse[1], 2);
				putc(' ');
				put_hex(mouse[2], 2);
				putc('\n');
				n_mouse = 0;
			}
			continue;
		}
		puts("key ");
		put_hex(b, 2);
		putc('\n');
		if (b == 0x21 && height >= 80) {
			/* One rep stosl over whole rows (width == stride / 4 here):
			 * over in a moment, so a 30 Hz dirty-log read rarely
			 * falls in the middle and counts a page twice. */
			uint32_t dst = fb + 64 * stride, count = 16 * stride / 4;

			__asm__ volatile("rep stosl" : "+D"(dst), "+c"(count) : "a"(0x00ffffff) : "memory");
			puts("filled rows 64-79\n");
		}
		if (b == 0x32) {
			uint32_t cmd = pci_read32(slot, 0x04) & 0xffff;

			/* As a PCI driver would: decoding off while the BAR moves. */
			pci_write32(slot, 0x04, cmd & ~2u);
			pci_write32(slot, 0x10, 0xd8000000);
			pci_write32(slot, 0x04, cmd | 2u);
			fb = pci_read32(slot, 0x10) & ~0xfu;
			for (unsigned int x = 0; x < width; x++)
				((volatile uint32_t *) fb)[x] = 0x00ff0000;
			puts("moved to ");
			put_hex(fb, 8);
			putc('\n');
		}
		if (b == 0x10) {
			puts("bye\n");
			return;
		}
	}
}
