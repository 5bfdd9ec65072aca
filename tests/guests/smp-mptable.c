/* smp-mptable.c — find the MP floating pointer where MP spec §4 says
 * (the EBDA) and count processors and IOAPICs in the table. */
#include "guest.h"

void guest_main(void *start_info);

static uint8_t
sum(const uint8_t *p, uint32_t len)
{
	uint8_t s = 0;
	while (len--)
		s += *p++;
	return s;
}

void
guest_main(void *start_info)
{
	uint32_t ebda = (uint32_t) *(volatile uint16_t *) 0x40e << 4;
	const uint8_t *mpf = 0, *p, *end;
	unsigned int cpus = 0, ioapics = 0, ints = 0;

	for (uint32_t a = ebda; a < ebda + 1024; a += 16) {
		const char *s = (const char *) a;
		if (s[0] == '_' && s[1] == 'M' && s[2] == 'P' && s[3] == '_') {
			mpf = (const uint8_t *) a;
			break;
		}
	}
	if (!mpf) {
		puts("no MP floating pointer\n");
		return;
	}
	puts(sum(mpf, 16) == 0 ? "mpf checksum ok\n" : "mpf checksum BAD\n");
	const uint8_t *mpc = (const uint8_t *) *(const uint32_t *) (mpf + 4);
	uint16_t len = *(const uint16_t *) (mpc + 4);
	puts(sum(mpc, len) == 0 ? "mpc checksum ok\n" : "mpc checksum BAD\n");
	for (p = mpc + 44, end = mpc + len; p < end;) {
		if (*p == 0) {
			cpus++;
			p += 20;
		} else {
			if (*p == 2)
				ioapics++;
			if (*p == 3)
				ints++;
			p += 8;
		}
	}
	puts("cpus ");
	put_dec(cpus);
	puts(" ioapics ");
	put_dec(ioapics);
	puts(" interrupts ");
	put_dec(ints);
	putc('\n');
}
