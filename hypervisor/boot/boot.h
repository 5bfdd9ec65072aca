/* boot.h — putting a kernel into guest memory and pointing vCPU 0 at it.
 *
 * Two entry protocols, picked from the file's first bytes:
 *   - ELF with a PVH note (Linux vmlinux, our test payloads): the vCPU starts
 *     in 32-bit protected mode, paging off, %ebx = struct hvm_start_info
 *     (pvh.c; Xen's "HVM direct boot ABI").
 *   - bzImage: the Linux x86 64-bit boot protocol (bzimage.c;
 *     Documentation/arch/x86/boot.rst): we fill struct boot_params (the
 *     "zero page") ourselves and enter startup_64 with paging on.
 * Either way the guest also finds an MP table (mptable.c) describing the
 * vCPUs, the IOAPIC and how ISA and PCI interrupts are wired, and ACPI
 * tables (acpi/tables.c) saying the same and more.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "vm.h"

/* Low-memory layout the loaders share.  Everything below 1 MiB that we use
 * is marked in the e820 map so the guest keeps its hands off. */
#define BOOT_GDT_ADDR         0x500
#define BOOT_START_INFO_ADDR  0x6000    /* PVH hvm_start_info + modules + memmap */
#define BOOT_ZERO_PAGE_ADDR   0x7000    /* bzImage boot_params */
#define BOOT_PML4_ADDR        0x9000    /* identity page tables for 64-bit entry */
#define BOOT_CMDLINE_ADDR     0x20000
#define BOOT_CMDLINE_MAX      4096
#define BOOT_EBDA_ADDR        0x9fc00   /* MP table lives here */
#define BOOT_BIOS_START       0xe0000   /* ACPI tables (acpi/acpi.h) + BIOS area */
#define HIGH_MEMORY           0x100000

struct boot_pci_irq {
	uint8_t slot;   /* PCI device number on bus 0 */
	uint8_t irq;    /* IOAPIC pin / ISA IRQ its INTA# is wired to */
};

struct boot_config {
	const char *kernel;
	const char *initrd;        /* NULL: none */
	const char *cmdline;       /* NULL: empty */
	unsigned int n_pci_irqs;
	struct boot_pci_irq pci_irqs[32];
	/* A linear framebuffer for boot_params.screen_info; fb_base 0: none. */
	uint64_t fb_base, fb_size;
	unsigned int fb_width, fb_height, fb_stride;
};

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

#define E820_RAM      1
#define E820_RESERVED 2
#define E820_MAX      8

/* Loads kernel (and initrd, cmdline, MP table) and sets vCPU 0's registers.
 * Errors are for a user: which file, what is wrong with it. */
bool boot_load(struct vm *vm, const struct boot_config *cfg, GError **error);

/* Internals shared by the loaders. */
unsigned int boot_e820(const struct vm *vm, struct e820_entry *out);
bool boot_load_pvh(struct vm *vm, const struct boot_config *cfg, const uint8_t *file, size_t len, GError **error);
bool boot_load_bzimage(struct vm *vm, const struct boot_config *cfg, const uint8_t *file, size_t len, GError **error);
bool boot_write_mptable(struct vm *vm, const struct boot_config *cfg, GError **error);
/* Reads a whole file straight into guest memory [gpa, gpa + size). */
bool boot_read_initrd(struct vm *vm, const char *path, uint64_t max_end, uint64_t min_start,
                      uint64_t *gpa, uint64_t *size, GError **error);
void boot_setup_gdt(struct vm *vm, bool long_mode);
/* "arm64 (AArch64)" for ELF e_machine 183, and so on: for error messages. */
const char *boot_elf_machine_name(uint16_t machine, bool is64);
bool boot_enter(struct vm *vm, bool long_mode, uint64_t entry, uint64_t arg, GError **error);
