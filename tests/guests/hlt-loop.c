/* hlt-loop.c — sleep in HLT between timer ticks, forever.  After 20 ticks
 * it says so; the host then looks at query-stats (halts counted per vCPU),
 * pauses, resumes, resets and stops it through the control socket. */
#include "irq.h"

void guest_main(void *start_info);

void
on_tick(void)
{
	if (ticks == 20)
		puts("hlt loop running\n");
}

void
guest_main(void *start_info)
{
	irq_init(1000);
	puts("hlt loop starting\n");
	halt_forever();
}
