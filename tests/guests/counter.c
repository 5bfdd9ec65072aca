/* counter.c — count on COM1, ten lines a second, forever, on timer ticks.
 *
 * The count lives in guest RAM and the ticks come from the PIT through the
 * PIC: a guest saved with "save-state" and started again with --restore
 * goes on from the next number only if RAM, the vCPU (halted, interrupts
 * on), the PIC and the PIT all came back. */
#include "irq.h"

void guest_main(void *start_info);

static uint32_t count;

void
on_tick(void)
{
	if (ticks % 10 == 0) {
		puts("count ");
		put_dec(++count);
		putc('\n');
	}
}

void
guest_main(void *start_info)
{
	irq_init(100);
	puts("counter starting\n");
	halt_forever();
}
