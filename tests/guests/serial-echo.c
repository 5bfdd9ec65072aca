/* serial-echo.c — interrupt-driven COM1 input: the UART raises IRQ 4 when a
 * byte arrives (IER bit 0, OUT2 set), the handler echoes it; 'q' resets. */
#include "irq.h"

void guest_main(void *start_info);
void serial_irq(void);
void serial_isr(void);

__asm__(".text\nserial_isr:\n  addl $12, %esp\n  call serial_irq\n  jmp halt_forever\n");

void
serial_irq(void)
{
	/* The interrupt identification register says why we are here. */
	while ((inb(0x3f8 + 2) & 0x0f) == 0x04) {
		char c = inb(0x3f8);

		puts("got ");
		putc(c);
		putc('\n');
		if (c == 'q')
			i8042_reset();
	}
	outb(0x20, 0x20);                 /* EOI */
}

void
guest_main(void *start_info)
{
	irq_init(1000);
	outb(0x21, 0xef);                 /* only IRQ 4 */
	irq_set_gate(0x24, serial_isr);
	outb(0x3f8 + 4, 0x08);            /* MCR: OUT2 gates the IRQ line */
	outb(0x3f8 + 1, 0x01);            /* IER: received data available */
	puts("serial echo ready\n");
	halt_forever();
}
