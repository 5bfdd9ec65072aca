/* rtc.c — read the CMOS clock (BCD, 24-hour) and the memory sizes PC
 * firmware leaves in CMOS, through ports 0x70/0x71. */
#include "guest.h"

void guest_main(void *start_info);

static uint8_t
cmos(uint8_t index)
{
	outb(0x70, index);
	return inb(0x71);
}

static unsigned int
bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

void
guest_main(void *start_info)
{
	/* Wait out an update in progress (register A bit 7), as drivers do. */
	while (cmos(0x0a) & 0x80)
		;
	puts("date 20");
	put_dec(bcd(cmos(0x09)) / 10);
	put_dec(bcd(cmos(0x09)) % 10);
	putc('-');
	put_dec(bcd(cmos(0x08)) / 10);
	put_dec(bcd(cmos(0x08)) % 10);
	puts(" status-b ");
	put_hex(cmos(0x0b), 2);
	puts(" status-d ");
	put_hex(cmos(0x0d), 2);
	puts("\nmemory above 16 MiB: ");
	put_dec(cmos(0x34) | cmos(0x35) << 8);
	puts(" x 64 KiB\n");
	/* NVRAM keeps what is written. */
	outb(0x70, 0x40);
	outb(0x71, 0x5a);
	puts("nvram ");
	put_hex(cmos(0x40), 2);
	putc('\n');
}
