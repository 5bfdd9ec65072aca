/* mptable.c — the Intel MultiProcessor Specification 1.4 tables.
 *
 * Without ACPI this is how a guest learns how many CPUs it has, where the
 * IOAPIC is, and which IOAPIC pin each ISA IRQ and PCI INTx# line reaches.
 * The floating pointer sits in the EBDA, where MP §4 says to search.
 */
#include "boot.h"

#include <string.h>

struct mpf_intel {               /* MP §4.1 floating pointer */
	char signature[4];           /* "_MP_" */
	uint32_t physptr;
	uint8_t length;              /* in 16-byte units */
	uint8_t specification;       /* 4 = 1.4 */
	uint8_t checksum;
	uint8_t feature1;
	uint8_t feature2;
	uint8_t feature3, feature4, feature5;
} __attribute__((packed));

struct mpc_table {               /* MP §4.2 configuration table header */
	char signature[4];           /* "PCMP" */
	uint16_t length;
	uint8_t spec;
	uint8_t checksum;
	char oem[8];
	char productid[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t oemcount;
	uint32_t lapic;
	uint16_t extended_length;
	uint8_t extended_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type;                /* 0 */
	uint8_t apicid;
	uint8_t apicver;
	uint8_t cpuflag;             /* bit 0 enabled, bit 1 bootstrap processor */
	uint32_t cpufeature;
	uint32_t featureflag;
	uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type;                /* 1 */
	uint8_t busid;
	char bustype[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type;                /* 2 */
	uint8_t apicid;
	uint8_t apicver;
	uint8_t flags;               /* bit 0 usable */
	uint32_t apicaddr;
} __attribute__((packed));

struct mpc_intsrc {
	uint8_t type;                /* 3 = I/O interrupt, 4 = local interrupt */
	uint8_t irqtype;             /* 0 INT, 1 NMI, 3 ExtINT */
	uint16_t irqflag;            /* polarity bits 0-1, trigger bits 2-3 */
	uint8_t srcbus;
	uint8_t srcbusirq;
	uint8_t dstapic;
	uint8_t dstirq;
} __attribute__((packed));

#define BUS_PCI 0
#define BUS_ISA 1
#define PCI_LEVEL_HIGH 0x0d          /* active high, level triggered */

static uint8_t
checksum(const void *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += ((const uint8_t *) p)[i];
	return (uint8_t) -sum;
}

bool
boot_write_mptable(struct vm *vm, const struct boot_config *cfg, GError **error)
{
	uint8_t buf[1024] = { 0 };
	struct mpf_intel *mpf = (struct mpf_intel *) buf;
	struct mpc_table *mpc = (struct mpc_table *) (buf + sizeof(*mpf));
	uint8_t *p = (uint8_t *) (mpc + 1);
	uint8_t ioapic_id = vm->n_vcpus;
	uint16_t entries = 0;
	uint16_t bda_ebda = BOOT_EBDA_ADDR >> 4, bda_base_kib = BOOT_EBDA_ADDR >> 10;

	/* Entries: n CPUs × 20 + 2 buses + IOAPIC + 15 ISA + PCI + 2 local. */
	if (sizeof(*mpf) + sizeof(*mpc) + vm->n_vcpus * 20 + (2 + 1 + 15 + cfg->n_pci_irqs + 2) * 8 > sizeof(buf)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "too many vCPUs for the MP table");
		return false;
	}

	for (unsigned int i = 0; i < vm->n_vcpus; i++) {
		struct mpc_cpu cpu = {
			.type = 0, .apicid = i, .apicver = 0x14,
			.cpuflag = 1 | (i == 0 ? 2 : 0),
			.cpufeature = 0x600,          /* family 6 */
			.featureflag = 0x201,         /* FPU, APIC */
		};
		memcpy(p, &cpu, sizeof(cpu));
		p += sizeof(cpu);
		entries++;
	}
	struct mpc_bus pci = { 1, BUS_PCI, "PCI   " };
	struct mpc_bus isa = { 1, BUS_ISA, "ISA   " };
	memcpy(p, &pci, sizeof(pci)); p += sizeof(pci);
	memcpy(p, &isa, sizeof(isa)); p += sizeof(isa);
	struct mpc_ioapic ioapic = { 2, ioapic_id, 0x11, 1, IOAPIC_ADDR };
	memcpy(p, &ioapic, sizeof(ioapic)); p += sizeof(ioapic);
	entries += 3;

	/* ISA IRQs: identity-mapped to IOAPIC pins, except the PIT on pin 2. */
	for (unsigned int irq = 0; irq < 16; irq++) {
		if (irq == 2)
			continue;
		struct mpc_intsrc src = { 3, 0, 0, BUS_ISA, irq, ioapic_id, irq == 0 ? 2 : irq };
		memcpy(p, &src, sizeof(src)); p += sizeof(src);
		entries++;
	}
	/* PCI: source IRQ is (device << 2) | pin, INTA# = pin 0. */
	for (unsigned int i = 0; i < cfg->n_pci_irqs; i++) {
		struct mpc_intsrc src = { 3, 0, PCI_LEVEL_HIGH, BUS_PCI,
		                          (uint8_t) (cfg->pci_irqs[i].slot << 2), ioapic_id,
		                          cfg->pci_irqs[i].irq };
		memcpy(p, &src, sizeof(src)); p += sizeof(src);
		entries++;
	}
	/* LINT0 ExtINT (the PIC), LINT1 NMI, to every local APIC. */
	struct mpc_intsrc lint0 = { 4, 3, 0, BUS_ISA, 0, 0xff, 0 };
	struct mpc_intsrc lint1 = { 4, 1, 0, BUS_ISA, 0, 0xff, 1 };
	memcpy(p, &lint0, sizeof(lint0)); p += sizeof(lint0);
	memcpy(p, &lint1, sizeof(lint1)); p += sizeof(lint1);
	entries += 2;

	memcpy(mpc->signature, "PCMP", 4);
	mpc->length = p - (uint8_t *) mpc;
	mpc->spec = 4;
	memcpy(mpc->oem, "GLASSBOX", 8);
	memcpy(mpc->productid, "glassbox-vmm", 12);
	mpc->oemcount = entries;
	mpc->lapic = LAPIC_ADDR;
	mpc->checksum = checksum(mpc, mpc->length);

	memcpy(mpf->signature, "_MP_", 4);
	mpf->physptr = BOOT_EBDA_ADDR + sizeof(*mpf);
	mpf->length = 1;
	mpf->specification = 4;
	mpf->checksum = checksum(mpf, sizeof(*mpf));

	guest_mem_write(&vm->mem, BOOT_EBDA_ADDR, buf, p - buf);
	/* BIOS data area: EBDA segment at 0x40e, base memory in KiB at 0x413. */
	guest_mem_write(&vm->mem, 0x40e, &bda_ebda, 2);
	guest_mem_write(&vm->mem, 0x413, &bda_base_kib, 2);
	return true;
}
