/* irq.c — IDT, 8259 PIC and 8254 PIT set-up for the guests that halt. */
#include "irq.h"

volatile uint32_t ticks;

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t zero;
	uint8_t type;           /* 0x8e: present, ring 0, 32-bit interrupt gate */
	uint16_t offset_hi;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(8)));

void timer_isr(void);
void other_isr(void);

/* PVM's instruction emulator has no IRET, so a handler never returns to
 * the code it interrupted: it drops the interrupt frame, acknowledges the
 * PIC, calls the guest's on_tick() and goes back to sleep.  That is enough
 * for guests whose main loop is "sleep until the next tick". */
__asm__(
	".text\n"
	"timer_isr:\n"
	"  addl $12, %esp\n"       /* eip, cs, eflags */
	"  incl ticks\n"
	"  movb $0x20, %al\n"
	"  outb %al, $0x20\n"      /* EOI to the master PIC */
	"  call on_tick\n"
	"  jmp halt_forever\n"
	"other_isr:\n"
	"  addl $12, %esp\n"
	"  movb $0x20, %al\n"
	"  outb %al, $0xa0\n"
	"  outb %al, $0x20\n"
	"  jmp halt_forever\n"
	".globl halt_forever\n"
	"halt_forever:\n"
	"  sti\n"                  /* STI's one-instruction shadow covers HLT */
	"1: hlt\n"
	"  jmp 1b\n");

void
irq_set_gate(unsigned int v, void (*fn)(void))
{
	uint32_t a = (uint32_t) fn;

	idt[v] = (struct idt_gate) { a & 0xffff, 0x10, 0, 0x8e, a >> 16 };
}

void
irq_init(uint32_t hz)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint32_t) idt };
	uint16_t divisor = 1193182 / hz;

	for (unsigned int v = 0; v < 256; v++)
		irq_set_gate(v, other_isr);
	irq_set_gate(0x20, timer_isr);
	__asm__ volatile("lidt %0" :: "m"(idtr));

	/* 8259A initialisation words ICW1-ICW4, then masks. */
	outb(0x20, 0x11); outb(0xa0, 0x11);
	outb(0x21, 0x20); outb(0xa1, 0x28);
	outb(0x21, 0x04); outb(0xa1, 0x02);
	outb(0x21, 0x01); outb(0xa1, 0x01);
	outb(0x21, 0xfe); outb(0xa1, 0xff);

	/* PIT channel 0, lobyte/hibyte, mode 2 (rate generator). */
	outb(0x43, 0x34);
	outb(0x40, divisor & 0xff);
	outb(0x40, divisor >> 8);
}

/* Guests without a timer never get here; the ones with one override it. */
__attribute__((weak)) void
on_tick(void)
{
}
