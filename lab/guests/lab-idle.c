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

void
guest_main(void *start_info)
{
	const struct hvm_start_info *si = start_info;
	const char *mode = (const char *) (uint32_t) si->cmdline_paddr;

	irq_init(1000);
	if (mode[0] == 's') {
		/* Busy-wait as a naive idle loop would: interrupts on, never
		 * telling the processor there is nothing to do. */
		__asm__ volatile("sti");
		for (;;)
			__asm__ volatile("pause");
	}
	halt_forever();
}
