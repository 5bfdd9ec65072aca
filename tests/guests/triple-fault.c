/* triple-fault.c — load an empty IDT and raise #UD: the CPU cannot deliver
 * the exception, nor the #GP, nor the #DF, and shuts down.  On a PC that
 * is a reset, so the VM ends as if the guest had rebooted. */
#include "guest.h"

void guest_main(void *start_info);

void
guest_main(void *start_info)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) idtr = { 0, 0 };

	puts("triple fault next\n");
	__asm__ volatile("lidt %0; ud2" :: "m"(idtr));
	puts("still alive\n");
}
