/* boot.c — choose a loader by the kernel file's format; shared helpers. */
#include "boot.h"
#include "acpi.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <unistd.h>

unsigned int
boot_e820(const struct vm *vm, struct e820_entry *out)
{
	uint64_t low = MIN(vm->ram.size, MEM_32BIT_GAP_START);
	unsigned int n = 0;

	out[n++] = (struct e820_entry) { 0, BOOT_EBDA_ADDR, E820_RAM };
	out[n++] = (struct e820_entry) { BOOT_EBDA_ADDR, 0xa0000 - BOOT_EBDA_ADDR, E820_RESERVED };
	out[n++] = (struct e820_entry) { BOOT_BIOS_START, HIGH_MEMORY - BOOT_BIOS_START, E820_RESERVED };
	if (low > HIGH_MEMORY)
		out[n++] = (struct e820_entry) { HIGH_MEMORY, low - HIGH_MEMORY, E820_RAM };
	if (vm->ram.size > low)
		out[n++] = (struct e820_entry) { MEM_4G, vm->ram.size - low, E820_RAM };
	return n;
}

/* GDT: 0x10 code, 0x18 data, 0x20 TSS — the selectors boot.rst asks for
 * (__BOOT_CS, __BOOT_DS) and PVH's ABI leaves to us. */
void
boot_setup_gdt(struct vm *vm, bool long_mode)
{
	uint64_t gdt[5] = {
		0,
		0,
		long_mode ? 0x00af9b000000ffffull : 0x00cf9b000000ffffull,
		0x00cf93000000ffffull,
		0x00008b0000000067ull,
	};

	guest_mem_write(&vm->mem, BOOT_GDT_ADDR, gdt, sizeof(gdt));
}

bool
boot_read_initrd(struct vm *vm, const char *path, uint64_t max_end, uint64_t min_start,
                 uint64_t *gpa, uint64_t *size, GError **error)
{
	struct stat st;
	uint64_t addr;
	uint8_t *dst;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "initrd %s: %s", path, g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	if ((uint64_t) st.st_size > max_end || ((max_end - st.st_size) & ~0xfffull) < min_start) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC,
		            "initrd %s (%" G_GUINT64_FORMAT " MiB) does not fit in the guest's %" G_GUINT64_FORMAT
		            " MiB of memory with the kernel; give the guest more --memory (at least %" G_GUINT64_FORMAT
		            " MiB)", path, ((uint64_t) st.st_size + (1 << 20) - 1) >> 20, vm->ram.size >> 20,
		            (((uint64_t) st.st_size + min_start) >> 20) + 16);
		close(fd);
		return false;
	}
	/* As high as allowed, page aligned: out of the kernel's way. */
	addr = (max_end - st.st_size) & ~0xfffull;
	dst = guest_mem_translate(&vm->mem, addr, st.st_size);
	for (off_t done = 0; dst && done < st.st_size;) {
		ssize_t n = read(fd, dst + done, st.st_size - done);
		if (n <= 0) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "initrd %s: short read", path);
			close(fd);
			return false;
		}
		done += n;
	}
	close(fd);
	*gpa = addr;
	*size = st.st_size;
	return true;
}

/* The "Image" formats other architectures boot (their boot protocols put
 * a magic number in the header): worth a clearer message than "not a
 * kernel". */
static const char *
other_arch_image(const uint8_t *file, size_t len)
{
	if (len >= 0x3c && memcmp(file + 0x38, "ARM\x64", 4) == 0)
		return "arm64 (AArch64 Image)";      /* Documentation/arch/arm64/booting.rst */
	if (len >= 0x3c && memcmp(file + 0x38, "RSC\x05", 4) == 0)
		return "RISC-V (Image)";             /* Documentation/arch/riscv/boot-image-header.rst */
	if (len >= 0x28 && memcmp(file + 0x24, "\x18\x28\x6f\x01", 4) == 0)
		return "32-bit ARM (zImage)";        /* Documentation/arch/arm/booting.rst */
	return NULL;
}

const char *
boot_elf_machine_name(uint16_t machine, bool is64)
{
	switch (machine) {
	case 3: return "i386";
	case 62: return is64 ? "x86-64" : "x86-64 (in a 32-bit ELF file)";
	case 40: return "32-bit ARM";
	case 183: return "arm64 (AArch64)";
	case 243: return "RISC-V";
	case 8: return "MIPS";
	case 20: return "32-bit PowerPC";
	case 21: return "64-bit PowerPC";
	case 22: return "s390";
	case 258: return "LoongArch";
	default: return "another architecture";
	}
}

bool
boot_load(struct vm *vm, const struct boot_config *cfg, GError **error)
{
	g_autofree uint8_t *file = NULL;
	gsize len = 0;
	bool ok;

	if (cfg->cmdline && strlen(cfg->cmdline) >= BOOT_CMDLINE_MAX) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            "kernel command line longer than %d bytes", BOOT_CMDLINE_MAX - 1);
		return false;
	}
	if (!g_file_get_contents(cfg->kernel, (char **) &file, &len, error))
		return false;

	if (len >= 4 && memcmp(file, "\177ELF", 4) == 0)
		ok = boot_load_pvh(vm, cfg, file, len, error);
	else if (len >= 0x206 && memcmp(file + 0x202, "HdrS", 4) == 0)
		ok = boot_load_bzimage(vm, cfg, file, len, error);
	else if (other_arch_image(file, len)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            "%s is a Linux kernel for %s, but glassbox-vmm runs x86 kernels: use an "
		            "x86-64 bzImage (/boot/vmlinuz-* of an amd64 system)", cfg->kernel,
		            other_arch_image(file, len));
		ok = false;
	} else {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            "%s is not a kernel: neither an ELF file (vmlinux, PVH) nor a bzImage "
		            "(no \"HdrS\" boot header)", cfg->kernel);
		ok = false;
	}
	if (ok)
		ok = boot_write_mptable(vm, cfg, error);
	if (ok)
		ok = acpi_write_tables(vm, error);
	return ok;
}

static struct kvm_segment
segment(uint16_t selector, uint8_t type, bool code64)
{
	struct kvm_segment s = {
		.base = 0,
		.limit = 0xffffffff,
		.selector = selector,
		.type = type,
		.present = 1,
		.dpl = 0,
		.db = code64 ? 0 : 1,   /* a 64-bit code segment has D=0, L=1 */
		.s = 1,
		.l = code64,
		.g = 1,
	};
	return s;
}

/* Point vCPU 0 at the entry: flat segments, protected mode; in long mode
 * also identity-mapped paging.  `arg` goes to %ebx (PVH: hvm_start_info)
 * and %esi (Linux: boot_params). */
bool
boot_enter(struct vm *vm, bool long_mode, uint64_t entry, uint64_t arg, GError **error)
{
	struct vcpu *v = &vm->vcpus[0];
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };

	boot_setup_gdt(vm, long_mode);
	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		goto fail;

	sregs.cs = segment(0x10, 0xb, long_mode);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = segment(0x18, 0x3, false);
	sregs.tr = (struct kvm_segment) {
		.base = 0, .limit = 0x67, .selector = 0x20, .type = 0xb, .present = 1,
	};
	sregs.gdt.base = BOOT_GDT_ADDR;
	sregs.gdt.limit = 5 * 8 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr0 = 0x11;                  /* PE | ET */
	sregs.cr4 = 0;
	sregs.efer = 0;

	if (long_mode) {
		/* Identity map of the first 4 GiB in 2 MiB pages (boot.rst,
		 * "64-bit Boot Protocol": the kernel, zero page and command line
		 * must be mapped). */
		uint64_t pml4[512] = { 0 }, pdpt[512] = { 0 }, pd[512];

		pml4[0] = (BOOT_PML4_ADDR + 0x1000) | 3;
		for (unsigned int i = 0; i < 4; i++) {
			pdpt[i] = (BOOT_PML4_ADDR + 0x2000 + i * 0x1000) | 3;
			for (unsigned int j = 0; j < 512; j++)
				pd[j] = ((uint64_t) i << 30) + ((uint64_t) j << 21) + 0x83;  /* P|RW|PS */
			guest_mem_write(&vm->mem, BOOT_PML4_ADDR + 0x2000 + i * 0x1000, pd, sizeof(pd));
		}
		guest_mem_write(&vm->mem, BOOT_PML4_ADDR, pml4, sizeof(pml4));
		guest_mem_write(&vm->mem, BOOT_PML4_ADDR + 0x1000, pdpt, sizeof(pdpt));
		sregs.cr3 = BOOT_PML4_ADDR;
		sregs.cr4 = 0x20;              /* PAE */
		sregs.cr0 = 0x80000011;        /* PG | ET | PE */
		sregs.efer = 0x500;            /* LME | LMA */
	}
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		goto fail;

	regs.rflags = 2;
	regs.rip = entry;
	regs.rbx = arg;
	regs.rsi = arg;
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		goto fail;
	return true;

fail:
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
	            "setting up vCPU 0 registers: %s", g_strerror(errno));
	return false;
}
