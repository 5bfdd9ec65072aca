/* tables.c — RSDP, XSDT, FADT, FACS, MADT, and the DSDT compiled from
 * dsdt.asl (ACPI 6.5 chapter 5).
 *
 * All of them fit in one 64 KiB window at ACPI_TABLES_ADDR:
 *
 *   +0x000  RSDP   revision 2: points at the XSDT only (no RSDT)
 *   +0x040  FACS   64-byte aligned (§5.2.10), no waking vector, no global lock owner
 *   +0x080  XSDT   FADT, MADT
 *   +0x100  FADT   revision 6: PM1a event/control blocks, SCI 9, reset register
 *   +0x240  MADT   then the DSDT right after it
 *
 * QEMU's microvm, Firecracker and cloud-hypervisor give a hardware-reduced
 * FADT with a GED device for the power button; that needs an ASL _EVT
 * method the kernel runs, and Debian's kernel handles the older fixed-feature
 * button just as well — so we are a PC here: PM1 registers, an SCI.
 */
#include "acpi.h"

#include <string.h>

#include "dsdt.hex"   /* dsdt_aml_code[]: iasl -tc of dsdt.asl */

#define OEM_ID        "GLSBOX"
#define OEM_TABLE_ID  "GBVMM   "
#define CREATOR_ID    "GBOX"


struct acpi_header {                 /* §5.2.6 */
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {                   /* §5.2.5.3 */
	char signature[8];               /* "RSD PTR " */
	uint8_t checksum;                /* first 20 bytes */
	char oem_id[6];
	uint8_t revision;                /* 2: ACPI 2.0+ */
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum;       /* all 36 bytes */
	uint8_t reserved[3];
} __attribute__((packed));

struct acpi_gas {                    /* §5.2.3.2 Generic Address Structure */
	uint8_t space_id;                /* 1: system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;             /* 1 byte, 2 word, 3 dword */
	uint64_t address;
} __attribute__((packed));

struct acpi_fadt {                   /* §5.2.9, revision 6 */
	struct acpi_header h;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;                /* 0: no SMM, the hardware is always in ACPI mode */
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
	uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
	struct acpi_gas sleep_control_reg, sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} __attribute__((packed));

struct acpi_facs {                   /* §5.2.10 */
	char signature[4];
	uint32_t length;                 /* 64 */
	uint32_t hardware_signature;
	uint32_t firmware_waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_firmware_waking_vector;
	uint8_t version;                 /* 2 */
	uint8_t reserved[3];
	uint32_t ospm_flags;
	uint8_t reserved2[24];
} __attribute__((packed));

struct madt_lapic {                  /* §5.2.12.2, type 0 */
	uint8_t type, length;
	uint8_t processor_uid, apic_id;
	uint32_t flags;                  /* bit 0: enabled */
} __attribute__((packed));

struct madt_ioapic {                 /* §5.2.12.3, type 1 */
	uint8_t type, length;
	uint8_t ioapic_id, reserved;
	uint32_t address;
	uint32_t gsi_base;
} __attribute__((packed));

struct madt_override {               /* §5.2.12.5, type 2 */
	uint8_t type, length;
	uint8_t bus, source;
	uint32_t gsi;
	uint16_t flags;                  /* MPS INTI flags: polarity bits 0-1, trigger bits 2-3 */
} __attribute__((packed));

struct madt_lapic_nmi {              /* §5.2.12.7, type 4 */
	uint8_t type, length;
	uint8_t processor_uid;           /* 0xff: all */
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

/* FADT flags (§5.2.9 Table 5.10) */
#define FADT_WBINVD          (1u << 0)
#define FADT_PROC_C1         (1u << 2)
#define FADT_SLP_BUTTON      (1u << 5)   /* no fixed-feature sleep button */
#define FADT_RESET_REG_SUP   (1u << 10)
/* PWR_BUTTON (bit 4) stays clear: the power button is the fixed feature. */

/* IA-PC boot architecture flags (§5.2.9.3) */
#define BOOT_LEGACY_DEVICES  (1u << 0)
#define BOOT_8042            (1u << 1)

static uint8_t
checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return (uint8_t) -sum;
}

static void
header(struct acpi_header *h, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, OEM_ID, 6);
	memcpy(h->oem_table_id, OEM_TABLE_ID, 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, CREATOR_ID, 4);
	h->creator_revision = 1;
	h->checksum = 0;
	h->checksum = checksum(h, len);
}

static struct acpi_gas
io_gas(uint16_t port, uint8_t bits)
{
	return (struct acpi_gas) {
		.space_id = 1, .bit_width = bits, .bit_offset = 0,
		.access_size = bits >= 32 ? 3 : bits == 16 ? 2 : 1, .address = port,
	};
}

static void
add(struct acpi_table *t, unsigned int *n, unsigned int max, const char *sig, uint64_t gpa,
    const uint8_t *data, size_t len)
{
	if (*n >= max)
		return;
	memcpy(t[*n].signature, sig, 4);
	t[*n].signature[4] = '\0';
	t[*n].gpa = gpa;
	t[*n].data = data;
	t[*n].len = len;
	(*n)++;
}

unsigned int
acpi_build_tables(uint8_t *buf, size_t size, uint64_t base, unsigned int n_cpus,
                  struct acpi_table *tables, unsigned int max_tables)
{
	const size_t rsdp_off = 0x0, facs_off = 0x40, xsdt_off = 0x80, fadt_off = 0x100, madt_off = 0x240;
	size_t madt_len = sizeof(struct acpi_header) + 8 + n_cpus * sizeof(struct madt_lapic) +
	                  sizeof(struct madt_ioapic) + 2 * sizeof(struct madt_override) +
	                  sizeof(struct madt_lapic_nmi);
	size_t dsdt_off = (madt_off + madt_len + 15) & ~(size_t) 15;
	size_t xsdt_len = sizeof(struct acpi_header) + 2 * 8;
	struct acpi_rsdp *rsdp = (void *) (buf + rsdp_off);
	struct acpi_facs *facs = (void *) (buf + facs_off);
	struct acpi_header *xsdt = (void *) (buf + xsdt_off);
	struct acpi_fadt *fadt = (void *) (buf + fadt_off);
	struct acpi_header *madt = (void *) (buf + madt_off);
	uint8_t *p;
	uint64_t entries[2] = { base + fadt_off, base + madt_off };
	uint8_t ioapic_id = n_cpus;   /* as the MP table numbers it: after the CPUs */
	unsigned int n = 0;

	G_STATIC_ASSERT(sizeof(struct acpi_fadt) == 276);
	G_STATIC_ASSERT(sizeof(struct acpi_facs) == 64);
	if (n_cpus == 0 || n_cpus > 254 || dsdt_off + sizeof(dsdt_aml_code) > size ||
	    xsdt_off + xsdt_len > fadt_off)
		return 0;
	memset(buf, 0, dsdt_off + sizeof(dsdt_aml_code));

	/* DSDT: as iasl made it (its checksum included). */
	memcpy(buf + dsdt_off, dsdt_aml_code, sizeof(dsdt_aml_code));

	/* FACS: no checksum; nothing in it the guest needs but its presence
	 * (ACPICA looks for it whenever the hardware is not reduced). */
	memcpy(facs->signature, "FACS", 4);
	facs->length = sizeof(*facs);
	facs->version = 2;

	/* FADT */
	/* FACS and DSDT through the 64-bit fields only: ACPI 6.5 §5.2.9 wants
	 * FIRMWARE_CTRL zero when X_FIRMWARE_CTRL is set. */
	fadt->preferred_pm_profile = 0;          /* unspecified */
	fadt->sci_int = ACPI_SCI_IRQ;
	fadt->pm1a_evt_blk = ACPI_PM1_EVT_PORT;
	fadt->pm1a_cnt_blk = ACPI_PM1_CNT_PORT;
	fadt->pm1_evt_len = 4;
	fadt->pm1_cnt_len = 2;
	fadt->p_lvl2_lat = 101;                  /* > 100: no C2 */
	fadt->p_lvl3_lat = 1001;                 /* > 1000: no C3 */
	fadt->century = 0x32;                    /* devices/rtc.c keeps it there */
	fadt->iapc_boot_arch = BOOT_LEGACY_DEVICES | BOOT_8042;
	fadt->flags = FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_RESET_REG_SUP;
	fadt->reset_reg = io_gas(ACPI_RESET_PORT, 8);
	fadt->reset_value = ACPI_RESET_VALUE;
	fadt->minor_version = 5;
	fadt->x_firmware_ctrl = base + facs_off;
	fadt->x_dsdt = base + dsdt_off;
	fadt->x_pm1a_evt_blk = io_gas(ACPI_PM1_EVT_PORT, 32);
	fadt->x_pm1a_cnt_blk = io_gas(ACPI_PM1_CNT_PORT, 16);
	memcpy(&fadt->hypervisor_vendor_id, "GLASSBOX", 8);
	header(&fadt->h, "FACP", sizeof(*fadt), 6);

	/* MADT: the same machine the MP table describes. */
	p = buf + madt_off + sizeof(struct acpi_header);
	*(uint32_t *) p = LAPIC_ADDR;
	*(uint32_t *) (p + 4) = 1;               /* PCAT_COMPAT: there are 8259s */
	p += 8;
	for (unsigned int i = 0; i < n_cpus; i++) {
		struct madt_lapic l = { 0, sizeof(l), i, i, 1 };
		memcpy(p, &l, sizeof(l));
		p += sizeof(l);
	}
	{
		struct madt_ioapic io = { 1, sizeof(io), ioapic_id, 0, IOAPIC_ADDR, 0 };
		/* ISA IRQ 0 (PIT) is IOAPIC pin 2; the SCI is level, active high
		 * (KVM's IOAPIC line follows our level as is, as in QEMU's PCs). */
		struct madt_override irq0 = { 2, sizeof(irq0), 0, 0, 2, 0 };
		struct madt_override sci = { 2, sizeof(sci), 0, ACPI_SCI_IRQ, ACPI_SCI_IRQ, 0x000d };
		struct madt_lapic_nmi nmi = { 4, sizeof(nmi), 0xff, 0, 1 };   /* LINT1 is NMI */

		memcpy(p, &io, sizeof(io));
		p += sizeof(io);
		memcpy(p, &irq0, sizeof(irq0));
		p += sizeof(irq0);
		memcpy(p, &sci, sizeof(sci));
		p += sizeof(sci);
		memcpy(p, &nmi, sizeof(nmi));
		p += sizeof(nmi);
	}
	g_assert((size_t) (p - (buf + madt_off)) == madt_len);
	header(madt, "APIC", madt_len, 5);

	/* XSDT */
	memcpy((uint8_t *) xsdt + sizeof(struct acpi_header), entries, sizeof(entries));
	header(xsdt, "XSDT", xsdt_len, 1);

	/* RSDP */
	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, OEM_ID, 6);
	rsdp->revision = 2;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = base + xsdt_off;
	rsdp->checksum = checksum(rsdp, 20);
	rsdp->extended_checksum = checksum(rsdp, sizeof(*rsdp));

	add(tables, &n, max_tables, "RSDP", base + rsdp_off, (uint8_t *) rsdp, sizeof(*rsdp));
	add(tables, &n, max_tables, "XSDT", base + xsdt_off, (uint8_t *) xsdt, xsdt_len);
	add(tables, &n, max_tables, "FACP", base + fadt_off, (uint8_t *) fadt, sizeof(*fadt));
	add(tables, &n, max_tables, "FACS", base + facs_off, (uint8_t *) facs, sizeof(*facs));
	add(tables, &n, max_tables, "APIC", base + madt_off, (uint8_t *) madt, madt_len);
	add(tables, &n, max_tables, "DSDT", base + dsdt_off, buf + dsdt_off, sizeof(dsdt_aml_code));
	return n;
}

bool
acpi_write_tables(struct vm *vm, GError **error)
{
	g_autofree uint8_t *buf = g_malloc0(ACPI_TABLES_SIZE);
	struct acpi_table t[8];

	if (acpi_build_tables(buf, ACPI_TABLES_SIZE, ACPI_TABLES_ADDR, vm->n_vcpus, t, G_N_ELEMENTS(t)) == 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
		            "the ACPI tables for %u vCPUs do not fit in %u KiB", vm->n_vcpus,
		            ACPI_TABLES_SIZE / 1024);
		return false;
	}
	if (!guest_mem_write(&vm->mem, ACPI_TABLES_ADDR, buf, ACPI_TABLES_SIZE)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "no guest RAM for the ACPI tables");
		return false;
	}
	return true;
}
