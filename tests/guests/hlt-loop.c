/* hlt-loop.c — sleep in HLT between timer ticks, forever.  After 20 ticks
 * it says so; the host then looks at query-stats (halts counted per vCPU),
 * pauses, resumes, resets and stops it through the control socket. */
#include "irq.h"

void guest_main(void *start_info);

void
guest_main(void *start_info)
{
	int announced = 0;

	irq_init(1000);
	puts("hlt loop starting\n");
	__asm__ volatile("sti");
	for (;;) {
		__asm__ volatile("hlt");
		if (!announced && ticks >= 20) {
			puts("hlt loop running\n");
			announced = 1;
		}
	}
}
