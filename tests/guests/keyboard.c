/* keyboard.c — read scancodes from the i8042 like a polling driver, and
 * when Ctrl+Alt+Del arrives (set 1: 1d 38 e0 53) do what Linux does for
 * it with reboot=k: reset through the controller. */
#include "guest.h"

void guest_main(void *start_info);

void
guest_main(void *start_info)
{
	uint8_t last[4] = { 0 };

	puts("keyboard ready\n");
	for (;;) {
		uint8_t b;

		while (!(inb(0x64) & 0x01))
			;
		b = inb(0x60);
		puts("scancode ");
		put_hex(b, 2);
		putc('\n');
		last[0] = last[1];
		last[1] = last[2];
		last[2] = last[3];
		last[3] = b;
		if (last[0] == 0x1d && last[1] == 0x38 && last[2] == 0xe0 && last[3] == 0x53) {
			puts("ctrl+alt+del: rebooting\n");
			return;   /* start.S resets through the i8042 */
		}
	}
}
