/* lab-idle.c — the Lab's second experiment: an idle guest that sleeps in
 * HLT between timer ticks ("hlt") against one that spins ("spin").  Both
 * take the same 1000 Hz PIT interrupt; the host counts exits and the CPU
 * time its process used. */
#include "irq.h"

void guest_main(void *start_info);

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

void
on_tick(void)
{
}

/* The spinning guest's timer handler.  Like irq.c's, it cannot IRET (PVM's
 * instruction emulator has none): it drops the frame, acknowledges the PIC
 * and goes back to spinning instead of back to sleep. */
void spin_isr(void);
void spin_forever(void) __attribute__((noreturn));
__asm__(
	".text\n"
	"spin_isr:\n"
	"  addl $12, %esp\n"
	"  incl ticks\n"
	"  movb $0x20, %al\n"
	"  outb %al, $0x20\n"
	"  jmp spin_forever\n"
	".globl spin_forever\n"
	"spin_forever:\n"
	"  sti\n"
	"1: pause\n"
	"  jmp 1b\n");

void
guest_main(void *start_info)
{
	const struct hvm_start_info *si = start_info;
	const char *mode = (const char *) (uint32_t) si->cmdline_paddr;

	irq_init(1000);
	if (mode[0] == 's') {
		/* Busy-wait as a naive idle loop would: interrupts on, never
		 * telling the processor there is nothing to do. */
		irq_set_gate(0x20, spin_isr);
		spin_forever();
	}
	halt_forever();
}
