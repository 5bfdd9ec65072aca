/* lab-touch.c — the Lab's fourth experiment: how host memory follows the
 * pages a guest touches, in 4 KiB and in 2 MiB pages.
 *
 * The command line chooses "touch" (write one byte to every 4 KiB page of
 * the 32 MiB from 16 MiB up, printing a dot on COM1 after every MiB) or
 * "none" (nothing touched: what loading and setup alone back), or "fill"
 * (the Lab's fifth experiment, KSM: the same 32 MiB filled completely with
 * a pattern in which every page differs from the others but is the same
 * in every guest that runs this, so two such guests can share each page).  The host
 * picks the page size (glassbox-vmm --hugepages) and gives the guest
 * 64 MiB.  Then the vCPU halts with interrupts off: the host's signal that
 * the guest is done.  No paging: a physical address is a pointer.
 */
#include "guest.h"

#define TOUCH_START (16u << 20)
#define TOUCH_MIB 32u          /* gb-lab-experiment.c's TOUCH_MIB */
#define PAGE 4096u

void guest_main(void *start_info);
void on_tick(void);

/* irq.c, linked into every Lab guest, calls this; no timer runs here. */
void
on_tick(void)
{
}

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

void
guest_main(void *start_info)
{
	const struct hvm_start_info *si = start_info;
	const char *mode = (const char *) (uint32_t) si->cmdline_paddr;

	if (mode[0] == 'f') {
		for (uint32_t mib = 0; mib < TOUCH_MIB; mib++) {
			volatile uint32_t *p = (volatile uint32_t *) (TOUCH_START + (mib << 20));

			for (uint32_t i = 0; i < (1u << 20) / 4; i++)
				p[i] = ((mib << 20) / 4 + i) * 0x9e3779b9u;
			putc('.');
		}
		putc('\n');
	} else if (mode[0] == 't') {
		for (uint32_t mib = 0; mib < TOUCH_MIB; mib++) {
			uint32_t base = TOUCH_START + (mib << 20);

			for (uint32_t off = 0; off < (1u << 20); off += PAGE)
				mmio_write8(base + off, 0x5a);
			putc('.');
		}
		putc('\n');
	}
	for (;;)
		__asm__ volatile("cli; hlt");
}
