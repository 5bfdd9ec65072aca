/* acpi.h — the ACPI tables the guest reads (tables.c, dsdt.asl) and the
 * fixed-hardware registers it writes (pm.c).
 *
 * The layout is a PC's, not a hardware-reduced one: Debian's kernels have
 * ACPI_REDUCED_HARDWARE_ONLY off and handle the fixed-feature power button
 * and the PM1 sleep registers with nothing but button.ko, so a stock kernel
 * gets an orderly power-off and a power button without a GED device.
 *
 *   RSDP (0xe0000) → XSDT → FADT → FACS, DSDT (dsdt.asl, compiled by iasl)
 *                        → MADT (APIC): local APICs, IOAPIC, overrides
 *
 * Guests booted with acpi=off still find the MP table (boot/mptable.c),
 * which says the same about CPUs and interrupt routing.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm.h"

/* Where the tables live: a 64 KiB window below the BIOS area, reserved in
 * the e820 map; the RSDP at its start is where Linux's scan of
 * 0xe0000-0xfffff (ACPI 6.5 §5.2.5.1) finds it. */
#define ACPI_TABLES_ADDR   0xe0000
#define ACPI_TABLES_SIZE   0x10000

/* Fixed-hardware registers (FADT), in I/O space. */
#define ACPI_PM1_EVT_PORT  0x600     /* PM1a status (2 bytes) + enable (2 bytes) */
#define ACPI_PM1_CNT_PORT  0x604     /* PM1a control (2 bytes) */
#define ACPI_RESET_PORT    0x608     /* FADT RESET_REG (1 byte) */
#define ACPI_PM_PORTS_LEN  0x10
#define ACPI_SCI_IRQ       9
#define ACPI_RESET_VALUE   0x01
#define ACPI_S5_SLP_TYP    5         /* dsdt.asl's \_S5 */

/* One table as built: its signature and bytes (pointing into the buffer
 * acpi_build_tables filled). */
struct acpi_table {
	char signature[5];
	uint64_t gpa;
	const uint8_t *data;
	size_t len;
};

/* Builds every table for a guest with n_cpus vCPUs into buf (which will
 * sit at guest-physical base); returns the number of tables (up to
 * max_tables) or 0 when buf is too small.  Pure: the unit test dumps them
 * for `iasl -d`. */
unsigned int acpi_build_tables(uint8_t *buf, size_t size, uint64_t base, unsigned int n_cpus,
                               struct acpi_table *tables, unsigned int max_tables);
/* Writes the tables into guest memory at ACPI_TABLES_ADDR. */
bool acpi_write_tables(struct vm *vm, GError **error);

/* pm.c: PM1 event/control registers, the reset register, the SCI. */
struct acpi_pm;
struct acpi_pm *acpi_pm_create(struct vm *vm);
/* A press of the power button (PM1 PWRBTN_STS, then SCI if the guest
 * enabled it).  Returns false when the guest never touched the ACPI
 * registers (booted with acpi=off, or no ACPI at all): the caller then
 * falls back to Ctrl+Alt+Del. */
bool acpi_pm_power_button(struct acpi_pm *pm);
void acpi_pm_reset(struct acpi_pm *pm);
void acpi_pm_destroy(struct acpi_pm *pm);
