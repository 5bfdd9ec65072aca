/* main.c — what a kernel entered through the 64-bit boot protocol can see:
 * long mode, the boot_params the loader filled, the command line, the e820
 * map and the initrd.  Reported on COM1 for tests/vmm. */
#include <stddef.h>
#include <stdint.h>

void bz_main(const uint8_t *bp);

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static void
putc(char c)
{
	while (!(inb(0x3fd) & 0x20))
		;
	outb(0x3f8, c);
}

static void
puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static void
put_hex(uint64_t v)
{
	int started = 0;

	puts("0x");
	for (int i = 15; i >= 0; i--) {
		int d = (v >> (4 * i)) & 0xf;
		if (d || started || i == 0) {
			putc("0123456789abcdef"[d]);
			started = 1;
		}
	}
}

static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t) p[3] << 24; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t) get32(p + 4) << 32; }

void
bz_main(const uint8_t *bp)
{
	uint64_t efer_lo, efer_hi, cr0, cr4, ram_top = 0;
	uint16_t cs;
	const uint8_t *e820 = bp + 0x2d0;
	unsigned int n = bp[0x1e8];
	const char *initrd = (const char *) (uintptr_t) get32(bp + 0x218);
	uint32_t initrd_size = get32(bp + 0x21c);

	__asm__ volatile("rdmsr" : "=a"(efer_lo), "=d"(efer_hi) : "c"(0xc0000080));
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	puts("kernel at ");
	put_hex((uintptr_t) &bz_main & ~0xfffull);
	puts(", cs ");
	put_hex(cs);
	puts(efer_lo & 0x400 ? ", long mode" : ", NOT long mode");
	puts((cr0 & 0x80000000u) && (cr4 & 0x20) ? ", paging+PAE\n" : ", paging off?\n");

	puts("boot_params at ");
	put_hex((uintptr_t) bp);
	puts(", loader ");
	put_hex(bp[0x210]);
	puts(", header ");
	for (int i = 0; i < 4; i++)
		putc(bp[0x202 + i]);
	putc('\n');

	puts("cmdline: ");
	puts((const char *) (uintptr_t) get32(bp + 0x228));
	putc('\n');

	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *e = e820 + 20 * i;
		if (get32(e + 16) == 1 && get64(e) + get64(e + 8) > ram_top)
			ram_top = get64(e) + get64(e + 8);
	}
	puts("e820: ");
	put_hex(n);
	puts(" entries, RAM up to ");
	put_hex(ram_top);
	putc('\n');

	puts("initrd: ");
	put_hex(initrd_size);
	puts(" bytes: ");
	for (uint32_t i = 0; i < initrd_size && i < 32 && initrd[i] != '\n'; i++)
		putc(initrd[i]);
	putc('\n');

	/* screen_info (offset 0 of boot_params), when the loader set a mode. */
	if (bp[0x0f]) {
		const uint8_t *si = bp;

		puts("screen_info: type ");
		put_hex(si[0x0f]);
		puts(", ");
		put_hex(si[0x12] | si[0x13] << 8);
		puts("x");
		put_hex(si[0x14] | si[0x15] << 8);
		puts("x");
		put_hex(si[0x16] | si[0x17] << 8);
		puts(" at ");
		put_hex(get32(si + 0x18));
		puts(", 64K units ");
		put_hex(get32(si + 0x1c));
		puts(", line ");
		put_hex(si[0x24] | si[0x25] << 8);
		puts(", rgbx");
		for (int i = 0; i < 8; i += 2) {
			puts(" ");
			put_hex(si[0x26 + i]);
			puts("@");
			put_hex(si[0x27 + i]);
		}
		putc('\n');
	}
}
