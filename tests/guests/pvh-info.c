/* pvh-info.c — what the PVH boot ABI hands over in %ebx: struct
 * hvm_start_info (magic, version 1 memory map, command line, modules). */
#include "guest.h"

void guest_main(void *start_info);

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_modlist_entry { uint64_t paddr, size, cmdline_paddr, reserved; };
struct hvm_memmap_entry { uint64_t addr, size; uint32_t type, reserved; };

void
guest_main(void *start_info)
{
	const struct hvm_start_info *si = start_info;
	const struct hvm_memmap_entry *map = (const void *) (uint32_t) si->memmap_paddr;
	uint64_t ram = 0;

	puts("magic ");
	put_hex(si->magic, 8);
	puts(" version ");
	put_dec(si->version);
	puts("\ncmdline: ");
	puts((const char *) (uint32_t) si->cmdline_paddr);
	puts("\nmemmap:");
	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		puts(" ");
		put_hex((uint32_t) map[i].addr, 8);
		puts("+");
		put_hex((uint32_t) map[i].size, 8);
		puts(map[i].type == 1 ? "/ram" : "/reserved");
		if (map[i].type == 1)
			ram += map[i].size;
	}
	puts("\nram KiB ");
	put_dec((uint32_t) (ram >> 10));
	puts("\nmodules ");
	put_dec(si->nr_modules);
	if (si->nr_modules) {
		const struct hvm_modlist_entry *m = (const void *) (uint32_t) si->modlist_paddr;
		const char *p = (const char *) (uint32_t) m->paddr;
		puts(", first ");
		put_dec((uint32_t) m->size);
		puts(" bytes: ");
		for (uint32_t i = 0; i < m->size && p[i] != '\n'; i++)
			putc(p[i]);
	}
	putc('\n');
}
