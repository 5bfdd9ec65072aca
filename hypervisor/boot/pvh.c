/* pvh.c — ELF kernels entered through the PVH boot ABI.
 *
 * The kernel says where it wants to be entered with an ELF note, name "Xen",
 * type XEN_ELFNOTE_PHYS32_ENTRY (18).  We load its PT_LOAD segments at their
 * physical addresses, describe the machine in a struct hvm_start_info
 * (Xen public/arch-x86/hvm/start_info.h, version 1: with a memory map), and
 * start the vCPU in 32-bit protected mode with %ebx pointing at it.
 */
#include "boot.h"
#include "acpi.h"

#include <elf.h>
#include <string.h>

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
} __attribute__((packed));

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
} __attribute__((packed));

struct hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
} __attribute__((packed));

/* A program header, whichever ELF class it came from. */
struct phdr {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz;
};

static bool
read_phdr(const uint8_t *file, size_t len, bool is64, uint64_t phoff, unsigned int i,
          unsigned int phentsize, struct phdr *out)
{
	uint64_t at = phoff + (uint64_t) i * phentsize;

	if (is64) {
		Elf64_Phdr p;
		if (phentsize < sizeof(p) || at > len || len - at < sizeof(p))
			return false;
		memcpy(&p, file + at, sizeof(p));
		*out = (struct phdr) { p.p_type, p.p_offset, p.p_paddr, p.p_filesz, p.p_memsz };
	} else {
		Elf32_Phdr p;
		if (phentsize < sizeof(p) || at > len || len - at < sizeof(p))
			return false;
		memcpy(&p, file + at, sizeof(p));
		*out = (struct phdr) { p.p_type, p.p_offset, p.p_paddr, p.p_filesz, p.p_memsz };
	}
	return true;
}

/* Look for the PVH entry in one PT_NOTE segment. */
static bool
find_pvh_note(const uint8_t *note, uint64_t size, uint64_t *entry)
{
	uint64_t at = 0;

	while (size - at >= 12) {
		uint32_t namesz, descsz, type;
		uint64_t name_at, desc_at;

		memcpy(&namesz, note + at, 4);
		memcpy(&descsz, note + at + 4, 4);
		memcpy(&type, note + at + 8, 4);
		name_at = at + 12;
		desc_at = name_at + ((namesz + 3ull) & ~3ull);
		if (desc_at > size || ((descsz + 3ull) & ~3ull) > size - desc_at)
			return false;
		if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 &&
		    memcmp(note + name_at, "Xen", 4) == 0 && (descsz == 4 || descsz == 8)) {
			uint64_t v = 0;
			memcpy(&v, note + desc_at, descsz);
			*entry = v;
			return true;
		}
		at = desc_at + ((descsz + 3ull) & ~3ull);
	}
	return false;
}

bool
boot_load_pvh(struct vm *vm, const struct boot_config *cfg, const uint8_t *file, size_t len, GError **error)
{
	bool is64;
	uint64_t phoff, entry = 0, kernel_end = 0, initrd_gpa = 0, initrd_size = 0;
	unsigned int phnum, phentsize;
	bool have_entry = false;
	struct hvm_start_info si = { 0 };
	struct hvm_modlist_entry mod = { 0 };
	struct hvm_memmap_entry memmap[E820_MAX];
	struct e820_entry e820[E820_MAX];
	unsigned int n_e820;

	if (len < sizeof(Elf32_Ehdr) || file[EI_CLASS] == ELFCLASSNONE || file[EI_CLASS] > ELFCLASS64)
		goto truncated;
	is64 = file[EI_CLASS] == ELFCLASS64;
	if (is64) {
		Elf64_Ehdr h;
		if (len < sizeof(h))
			goto truncated;
		memcpy(&h, file, sizeof(h));
		phoff = h.e_phoff;
		phnum = h.e_phnum;
		phentsize = h.e_phentsize;
		if (h.e_machine != EM_X86_64)
			goto wrong_arch;
	} else {
		Elf32_Ehdr h;
		memcpy(&h, file, sizeof(h));
		phoff = h.e_phoff;
		phnum = h.e_phnum;
		phentsize = h.e_phentsize;
		if (h.e_machine != EM_386)
			goto wrong_arch;
	}

	/* Pass 1: validate every segment and find the entry note, before
	 * writing anything into guest memory. */
	for (unsigned int i = 0; i < phnum; i++) {
		struct phdr p;

		if (!read_phdr(file, len, is64, phoff, i, phentsize, &p))
			goto truncated;
		if (p.type != PT_LOAD && p.type != PT_NOTE)
			continue;
		if (p.offset > len || p.filesz > len - p.offset)
			goto truncated;
		if (p.type == PT_NOTE) {
			if (!have_entry)
				have_entry = find_pvh_note(file + p.offset, p.filesz, &entry);
			continue;
		}
		if (p.filesz > p.memsz || !guest_mem_translate(&vm->mem, p.paddr, p.memsz)) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC,
			            "%s: segment at 0x%" G_GINT64_MODIFIER "x (%" G_GUINT64_FORMAT
			            " KiB) does not fit in %" G_GUINT64_FORMAT " MiB of guest memory",
			            cfg->kernel, p.paddr, p.memsz >> 10, vm->ram.size >> 20);
			return false;
		}
		if (p.paddr < HIGH_MEMORY && p.memsz) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			            "%s: segment at 0x%" G_GINT64_MODIFIER "x overlaps the first MiB, "
			            "which holds boot data", cfg->kernel, p.paddr);
			return false;
		}
		kernel_end = MAX(kernel_end, p.paddr + p.memsz);
	}
	if (!have_entry) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            "%s is an ELF file without a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY), so there is "
		            "no way in: boot the bzImage of the same build instead (arch/x86/boot/bzImage; "
		            "distributions ship it as /boot/vmlinuz-*), or build the kernel with CONFIG_PVH=y",
		            cfg->kernel);
		return false;
	}

	/* Pass 2: copy. */
	for (unsigned int i = 0; i < phnum; i++) {
		struct phdr p;
		uint8_t *dst;

		read_phdr(file, len, is64, phoff, i, phentsize, &p);
		if (p.type != PT_LOAD)
			continue;
		dst = guest_mem_translate(&vm->mem, p.paddr, p.memsz);
		memcpy(dst, file + p.offset, p.filesz);
		memset(dst + p.filesz, 0, p.memsz - p.filesz);
	}

	if (cfg->initrd) {
		if (!boot_read_initrd(vm, cfg->initrd, MIN(vm->ram.size, MEM_32BIT_GAP_START),
		                      (kernel_end + 0xfff) & ~0xfffull, &initrd_gpa, &initrd_size, error))
			return false;
		mod.paddr = initrd_gpa;
		mod.size = initrd_size;
		si.nr_modules = 1;
		si.modlist_paddr = BOOT_START_INFO_ADDR + 0x40;
	}

	guest_mem_write(&vm->mem, BOOT_CMDLINE_ADDR, cfg->cmdline ? cfg->cmdline : "",
	                strlen(cfg->cmdline ? cfg->cmdline : "") + 1);
	n_e820 = boot_e820(vm, e820);
	for (unsigned int i = 0; i < n_e820; i++)
		memmap[i] = (struct hvm_memmap_entry) { e820[i].addr, e820[i].size, e820[i].type, 0 };

	si.magic = HVM_START_MAGIC;
	si.version = 1;
	si.cmdline_paddr = BOOT_CMDLINE_ADDR;
	si.memmap_paddr = BOOT_START_INFO_ADDR + 0x80;
	si.memmap_entries = n_e820;
	si.rsdp_paddr = ACPI_TABLES_ADDR;
	guest_mem_write(&vm->mem, BOOT_START_INFO_ADDR, &si, sizeof(si));
	guest_mem_write(&vm->mem, BOOT_START_INFO_ADDR + 0x40, &mod, sizeof(mod));
	guest_mem_write(&vm->mem, BOOT_START_INFO_ADDR + 0x80, memmap, n_e820 * sizeof(memmap[0]));

	return boot_enter(vm, false, entry, BOOT_START_INFO_ADDR, error);

truncated:
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
	            "%s: truncated or corrupt ELF file", cfg->kernel);
	return false;
wrong_arch:
	{
		uint16_t machine;

		memcpy(&machine, file + 18, 2);   /* e_machine, same place in both classes */
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            "%s is an ELF file for %s (e_machine %u), but glassbox-vmm runs x86 kernels: "
		            "use a kernel built for x86-64 (or i386)", cfg->kernel,
		            boot_elf_machine_name(machine, is64), machine);
	}
	return false;
}
