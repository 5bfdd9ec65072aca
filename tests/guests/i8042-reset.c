/* i8042-reset.c — ask the keyboard controller to pulse the reset line,
 * as Linux does with reboot=k.  The VMM must end the VM right there. */
#include "guest.h"

void guest_main(void *start_info);

void
guest_main(void *start_info)
{
	/* Wait for the controller's input buffer to be empty, as Linux does. */
	while (inb(0x64) & 0x02)
		;
	puts("resetting through the i8042\n");
	i8042_reset();
	for (volatile int i = 0; i < 1000; i++)
		;
	puts("still running after the reset\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}
