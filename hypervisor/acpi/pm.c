/* pm.c — ACPI fixed hardware (ACPI 6.5 §4.8): the PM1a event and control
 * registers, the FADT reset register, and the SCI.
 *
 *   0x600  PM1a_STS  (16 bits, write 1 to clear)  bit 8 PWRBTN_STS, bit 15 WAK_STS
 *   0x602  PM1a_EN   (16 bits)                     bit 8 PWRBTN_EN
 *   0x604  PM1a_CNT  (16 bits)                     bit 0 SCI_EN, bits 10-12 SLP_TYP, bit 13 SLP_EN
 *   0x608  RESET_REG (8 bits)                      ACPI_RESET_VALUE resets
 *
 * The SCI (IRQ 9, level, active high per the MADT override) is asserted
 * while any enabled status bit is set (§4.8.3.1); the guest's handler
 * clears the status and the line drops.
 *
 * Power-off: Linux's acpi_power_off() writes SLP_TYP = \_S5's value, then
 * SLP_TYP | SLP_EN (§4.8.3.2.1, §7.4.2); that write ends the VM as
 * GUEST_POWEROFF.  A reset through RESET_REG (Linux's acpi_reboot(), the
 * default reboot= on x86) ends it as GUEST_RESET, like the i8042 reset line.
 */
#include "acpi.h"

#include <pthread.h>
#include <string.h>

#define PM1_TMR_STS     (1u << 0)
#define PM1_PWRBTN      (1u << 8)   /* STS and EN */
#define PM1_WAK_STS     (1u << 15)
#define PM1_STS_MASK    (PM1_TMR_STS | (1u << 4) | (1u << 5) | PM1_PWRBTN | (1u << 9) | (1u << 10) | PM1_WAK_STS)
#define PM1_CNT_SCI_EN  (1u << 0)
#define PM1_CNT_SLP_EN  (1u << 13)
#define PM1_CNT_SLP_TYP(v) (((v) >> 10) & 7)

struct acpi_pm {
	struct vm *vm;
	pthread_mutex_t lock;
	uint16_t sts, en, cnt;
	bool guest_uses_acpi;   /* the guest has touched these registers */
	int sci_level;
};

static void
update_sci(struct acpi_pm *pm)
{
	int level = (pm->sts & pm->en) != 0;

	if (level != pm->sci_level) {
		pm->sci_level = level;
		vm_set_irq_line(pm->vm, ACPI_SCI_IRQ, level);
	}
}

static uint16_t
read16(struct acpi_pm *pm, uint64_t off)
{
	switch (off) {
	case 0: return pm->sts;
	case 2: return pm->en;
	case 4: return pm->cnt;
	default: return 0;
	}
}

static void
write16(struct acpi_pm *pm, uint64_t off, uint16_t v)
{
	switch (off) {
	case 0:
		pm->sts &= ~(v & PM1_STS_MASK);
		break;
	case 2:
		pm->en = v & (PM1_TMR_STS | (1u << 5) | PM1_PWRBTN | (1u << 9) | (1u << 10));
		break;
	case 4:
		/* SLP_EN is write-only and reads as 0; SCI_EN stays set: with no
		 * SMI_CMD in the FADT the hardware is always in ACPI mode. */
		pm->cnt = (v & ~PM1_CNT_SLP_EN) | PM1_CNT_SCI_EN;
		if ((v & PM1_CNT_SLP_EN) && PM1_CNT_SLP_TYP(v) == ACPI_S5_SLP_TYP)
			vm_request_stop(pm->vm, VM_STOP_GUEST_POWEROFF,
			                "guest powered off through ACPI (S5 in PM1a_CNT)");
		/* Other sleep states are not offered in the DSDT; a guest that asks
		 * anyway wakes at once. */
		else if (v & PM1_CNT_SLP_EN)
			pm->sts |= PM1_WAK_STS;
		break;
	}
}

static void
pm_access(void *opaque, uint64_t offset, void *data, unsigned int size, bool is_write)
{
	struct acpi_pm *pm = opaque;
	uint8_t *b = data;

	pthread_mutex_lock(&pm->lock);
	pm->guest_uses_acpi = true;
	if (offset == ACPI_RESET_PORT - ACPI_PM1_EVT_PORT) {
		if (is_write && b[0] == ACPI_RESET_VALUE)
			vm_request_stop(pm->vm, VM_STOP_GUEST_RESET, "guest reset through the ACPI reset register");
		else if (!is_write)
			memset(data, 0, size);
	} else if (offset < 6) {
		/* Registers are 16 bits wide; ACPICA may read the event block as
		 * one 32-bit access or as bytes: split into the bytes touched. */
		for (unsigned int i = 0; i < size && offset + i < 6; i++) {
			uint64_t reg = (offset + i) & ~1ull;
			unsigned int shift = ((offset + i) & 1) * 8;
			uint16_t cur = read16(pm, reg);

			if (is_write) {
				/* Status bits: a byte write clears only the bits it names. */
				uint16_t mask = 0xff << shift;
				uint16_t v = (uint16_t) (b[i] << shift);
				write16(pm, reg, reg == 0 ? v : (uint16_t) ((cur & ~mask) | v));
			} else {
				b[i] = cur >> shift;
			}
		}
	} else if (!is_write) {
		memset(data, 0, size);
	}
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

struct acpi_pm *
acpi_pm_create(struct vm *vm)
{
	struct acpi_pm *pm = g_new0(struct acpi_pm, 1);

	pm->vm = vm;
	pm->cnt = PM1_CNT_SCI_EN;
	pthread_mutex_init(&pm->lock, NULL);
	bus_register(&vm->pio, "acpi-pm", ACPI_PM1_EVT_PORT, ACPI_PM_PORTS_LEN, pm_access, pm);
	return pm;
}

bool
acpi_pm_power_button(struct acpi_pm *pm)
{
	bool acpi;

	pthread_mutex_lock(&pm->lock);
	acpi = pm->guest_uses_acpi;
	if (acpi) {
		pm->sts |= PM1_PWRBTN;
		update_sci(pm);
	}
	pthread_mutex_unlock(&pm->lock);
	return acpi;
}

void
acpi_pm_reset(struct acpi_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->sts = pm->en = 0;
	pm->cnt = PM1_CNT_SCI_EN;
	pm->guest_uses_acpi = false;
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

void
acpi_pm_destroy(struct acpi_pm *pm)
{
	if (pm == NULL)
		return;
	pthread_mutex_destroy(&pm->lock);
	g_free(pm);
}
