/* guest.c — COM1 output, PCI config mechanism 1, i8042 reset. */
#include "guest.h"

#define COM1 0x3f8

void
putc(char c)
{
	/* The VMM's UART transmits instantly; wait for THRE anyway, as a
	 * driver for real hardware must. */
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, c);
}

void
puts(const char *s)
{
	while (*s)
		putc(*s++);
}

void
put_hex(uint32_t v, int digits)
{
	for (int i = digits - 1; i >= 0; i--)
		putc("0123456789abcdef"[(v >> (4 * i)) & 0xf]);
}

void
put_dec(uint32_t v)
{
	char buf[12];
	int n = 0;

	do {
		buf[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (n)
		putc(buf[--n]);
}

void *
memset(void *d, int c, size_t n)
{
	uint8_t *p = d;
	while (n--)
		*p++ = c;
	return d;
}

void *
memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

uint32_t
pci_read32(unsigned int slot, unsigned int off)
{
	outl(0xcf8, 0x80000000u | (slot << 11) | (off & 0xfc));
	return inl(0xcfc);
}

uint16_t
pci_read16(unsigned int slot, unsigned int off)
{
	return pci_read32(slot, off) >> (8 * (off & 2));
}

uint8_t
pci_read8(unsigned int slot, unsigned int off)
{
	return pci_read32(slot, off) >> (8 * (off & 3));
}

void
pci_write32(unsigned int slot, unsigned int off, uint32_t v)
{
	outl(0xcf8, 0x80000000u | (slot << 11) | (off & 0xfc));
	outl(0xcfc, v);
}

void
i8042_reset(void)
{
	outb(0x64, 0xfe);
}

/* Whether the PVH command line (struct hvm_start_info, cmdline_paddr at
 * offset 24) contains `word`. */
int
cmdline_has(void *start_info, const char *word)
{
	const char *p = (const char *) (uint32_t) *(uint64_t *) ((uint8_t *) start_info + 24);

	for (; p && *p; p++) {
		int i = 0;

		while (word[i] && p[i] == word[i])
			i++;
		if (!word[i])
			return 1;
	}
	return 0;
}
