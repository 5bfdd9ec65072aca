/* bzimage.c — the Linux x86 boot protocol, 64-bit entry
 * (Documentation/arch/x86/boot.rst, "64-bit Boot Protocol").
 *
 * A bzImage is a real-mode setup part ((setup_sects + 1) × 512 bytes, with
 * the setup header at 0x1f1) followed by the protected-mode kernel.  With a
 * 64-bit entry we never run the setup code: we copy the setup header into a
 * zeroed struct boot_params, fill what a boot loader fills (loader type,
 * command line, initrd, e820 map), load the kernel, and jump to
 * startup_64, 0x200 bytes past its start, with %rsi = boot_params.
 */
#include "boot.h"
#include "acpi.h"

#include <string.h>

/* Offsets into boot_params / the setup header (boot.rst, zero-page.rst). */
#define BP_E820_ENTRIES     0x1e8
#define BP_ACPI_RSDP_ADDR   0x070
#define BP_HDR              0x1f1
#define BP_E820_TABLE       0x2d0
#define BP_E820_TABLE_MAX   128
#define HDR_SETUP_SECTS     0x1f1
#define HDR_SYSSIZE         0x1f4
#define HDR_BOOT_FLAG       0x1fe
#define HDR_JUMP            0x200
#define HDR_VERSION         0x206
#define HDR_TYPE_OF_LOADER  0x210
#define HDR_LOADFLAGS       0x211
#define HDR_RAMDISK_IMAGE   0x218
#define HDR_RAMDISK_SIZE    0x21c
#define HDR_HEAP_END_PTR    0x224
#define HDR_CMD_LINE_PTR    0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_RELOCATABLE     0x234
#define HDR_XLOADFLAGS      0x236
#define HDR_CMDLINE_SIZE    0x238
#define HDR_PREF_ADDRESS    0x258
#define HDR_INIT_SIZE       0x260

/* struct screen_info, at the start of boot_params (uapi/linux/screen_info.h). */
#define SI_ORIG_VIDEO_ISVGA 0x0f
#define SI_LFB_WIDTH        0x12
#define SI_LFB_HEIGHT       0x14
#define SI_LFB_DEPTH        0x16
#define SI_LFB_BASE         0x18
#define SI_LFB_SIZE         0x1c
#define SI_LFB_LINELENGTH   0x24
#define SI_RED_SIZE         0x26   /* then red_pos, green size/pos, blue, rsvd */
#define VIDEO_TYPE_VLFB     0x23   /* VESA VGA in graphic mode */

#define LOADFLAG_LOADED_HIGH  0x01
#define LOADFLAG_CAN_USE_HEAP 0x80
#define XLF_KERNEL_64         0x01

static uint32_t
get32(const uint8_t *p, size_t off)
{
	uint32_t v;
	memcpy(&v, p + off, 4);
	return v;
}

static void
put32(uint8_t *p, size_t off, uint32_t v)
{
	memcpy(p + off, &v, 4);
}

static void
put16(uint8_t *p, size_t off, uint16_t v)
{
	memcpy(p + off, &v, 2);
}

/* Describe the framebuffer as a VESA linear framebuffer a BIOS set up:
 * vesafb (built into Debian's kernel) binds to exactly this, and fbcon
 * follows.  lfb_size counts 64 KiB units (drivers/video/fbdev/vesafb.c). */
static void
fill_screen_info(uint8_t *zp, const struct boot_config *cfg)
{
	static const uint8_t channels[8] = { 8, 16, 8, 8, 8, 0, 8, 24 };   /* x8r8g8b8 */

	zp[SI_ORIG_VIDEO_ISVGA] = VIDEO_TYPE_VLFB;
	put16(zp, SI_LFB_WIDTH, cfg->fb_width);
	put16(zp, SI_LFB_HEIGHT, cfg->fb_height);
	put16(zp, SI_LFB_DEPTH, 32);
	put32(zp, SI_LFB_BASE, (uint32_t) cfg->fb_base);
	put32(zp, SI_LFB_SIZE, (uint32_t) (cfg->fb_size >> 16));
	put16(zp, SI_LFB_LINELENGTH, cfg->fb_stride);
	memcpy(zp + SI_RED_SIZE, channels, sizeof(channels));
}

bool
boot_load_bzimage(struct vm *vm, const struct boot_config *cfg, const uint8_t *file, size_t len, GError **error)
{
	uint8_t zero_page[4096] = { 0 };
	uint16_t version, xloadflags;
	size_t setup_size, hdr_end, kernel_size;
	uint64_t load_addr, need, low_ram, initrd_gpa = 0, initrd_size = 0, initrd_max;
	struct e820_entry e820[E820_MAX];
	unsigned int n_e820, setup_sects;
	const char *cmdline = cfg->cmdline ? cfg->cmdline : "";

	if (len < HDR_INIT_SIZE + 4)
		goto truncated;
	memcpy(&version, file + HDR_VERSION, 2);
	if (version < 0x020c) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            "%s: boot protocol %u.%02u is too old; the 64-bit entry needs 2.12 (Linux 3.8+)",
		            cfg->kernel, version >> 8, version & 0xff);
		return false;
	}
	memcpy(&xloadflags, file + HDR_XLOADFLAGS, 2);
	if (!(xloadflags & XLF_KERNEL_64)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            "%s: this bzImage has no 64-bit entry point (a 32-bit kernel?)", cfg->kernel);
		return false;
	}

	setup_sects = file[HDR_SETUP_SECTS] ? file[HDR_SETUP_SECTS] : 4;
	setup_size = (setup_sects + 1) * 512;
	if (setup_size >= len)
		goto truncated;
	kernel_size = len - setup_size;
	/* syssize: the protected-mode part's size in 16-byte units (2.04+). */
	if ((uint64_t) get32(file, HDR_SYSSIZE) * 16 > kernel_size)
		goto truncated;

	/* A relocatable kernel still prefers its link address (16 MiB on
	 * distribution kernels); loading it there saves it a move. */
	memcpy(&load_addr, file + HDR_PREF_ADDRESS, 8);
	if (!file[HDR_RELOCATABLE] || load_addr < HIGH_MEMORY)
		load_addr = HIGH_MEMORY;
	need = MAX((uint64_t) kernel_size, (uint64_t) get32(file, HDR_INIT_SIZE));
	low_ram = MIN(vm->ram.size, MEM_32BIT_GAP_START);
	if (load_addr + need > low_ram) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC,
		            "%s needs %" G_GUINT64_FORMAT " MiB of memory from %" G_GUINT64_FORMAT
		            " MiB up to decompress, but the guest has %" G_GUINT64_FORMAT " MiB; "
		            "raise --memory", cfg->kernel, (need + (1 << 20) - 1) >> 20, load_addr >> 20,
		            vm->ram.size >> 20);
		return false;
	}
	memcpy(guest_mem_translate(&vm->mem, load_addr, kernel_size), file + setup_size, kernel_size);

	/* The setup header is copied as the file has it (boot.rst: "copy the
	 * setup header as-is"), its length encoded in the jump at 0x200. */
	hdr_end = HDR_JUMP + 2 + file[HDR_JUMP + 1];
	if (hdr_end > len || hdr_end > sizeof(zero_page))
		goto truncated;
	memcpy(zero_page + BP_HDR, file + BP_HDR, hdr_end - BP_HDR);

	zero_page[HDR_TYPE_OF_LOADER] = 0xff;   /* "undefined" boot loader */
	zero_page[HDR_LOADFLAGS] |= LOADFLAG_LOADED_HIGH | LOADFLAG_CAN_USE_HEAP;
	zero_page[HDR_HEAP_END_PTR] = 0x00;     /* 0xfe00: heap up to the usual spot */
	zero_page[HDR_HEAP_END_PTR + 1] = 0xfe;

	if (strlen(cmdline) >= MAX(get32(file, HDR_CMDLINE_SIZE), 256u)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            "%s accepts a command line of at most %u bytes", cfg->kernel,
		            get32(file, HDR_CMDLINE_SIZE));
		return false;
	}
	guest_mem_write(&vm->mem, BOOT_CMDLINE_ADDR, cmdline, strlen(cmdline) + 1);
	put32(zero_page, HDR_CMD_LINE_PTR, BOOT_CMDLINE_ADDR);

	if (cfg->initrd) {
		initrd_max = MIN((uint64_t) get32(file, HDR_INITRD_ADDR_MAX) + 1, low_ram);
		if (!boot_read_initrd(vm, cfg->initrd, initrd_max, load_addr + need,
		                      &initrd_gpa, &initrd_size, error))
			return false;
		put32(zero_page, HDR_RAMDISK_IMAGE, (uint32_t) initrd_gpa);
		put32(zero_page, HDR_RAMDISK_SIZE, (uint32_t) initrd_size);
	}

	/* boot_params.acpi_rsdp_addr (zero-page.rst, 0x070, protocol 2.14):
	 * spares the kernel its scan of the BIOS area. */
	memcpy(zero_page + BP_ACPI_RSDP_ADDR, &(uint64_t) { ACPI_TABLES_ADDR }, 8);
	if (cfg->fb_base)
		fill_screen_info(zero_page, cfg);

	n_e820 = boot_e820(vm, e820);
	G_STATIC_ASSERT(E820_MAX <= BP_E820_TABLE_MAX);
	zero_page[BP_E820_ENTRIES] = n_e820;
	memcpy(zero_page + BP_E820_TABLE, e820, n_e820 * sizeof(e820[0]));

	guest_mem_write(&vm->mem, BOOT_ZERO_PAGE_ADDR, zero_page, sizeof(zero_page));
	return boot_enter(vm, true, load_addr + 0x200, BOOT_ZERO_PAGE_ADDR, error);

truncated:
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: truncated bzImage", cfg->kernel);
	return false;
}
