/* test-acpi.c — the ACPI tables glassbox-vmm gives its guests, checked
 * by the reference: ACPICA's own disassembler (`iasl -d`, acpica-tools)
 * must read every table without errors, and the fields a guest relies on
 * (checksums, pointers, one local APIC per vCPU) are checked here too. */
#include <glib/gstdio.h>
#include <string.h>

#include "acpi.h"
#include "gb-test-utils.h"

static uint8_t
sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	for (size_t i = 0; i < len; i++)
		s += p[i];
	return s;
}

static void
test_tables(gconstpointer data)
{
	unsigned int n_cpus = GPOINTER_TO_UINT(data);
	g_autofree uint8_t *buf = g_malloc0(ACPI_TABLES_SIZE);
	g_autofree char *dir = NULL;
	struct acpi_table t[8];
	unsigned int n;

	n = acpi_build_tables(buf, ACPI_TABLES_SIZE, ACPI_TABLES_ADDR, n_cpus, t, G_N_ELEMENTS(t));
	g_assert_cmpuint(n, ==, 6);

	for (unsigned int i = 0; i < n; i++) {
		/* Every table is inside the window, where its pointer says. */
		g_assert_cmpuint(t[i].gpa, >=, ACPI_TABLES_ADDR);
		g_assert_cmpuint(t[i].gpa + t[i].len, <=, ACPI_TABLES_ADDR + ACPI_TABLES_SIZE);
		g_assert_true(t[i].data == buf + (t[i].gpa - ACPI_TABLES_ADDR));
		if (!strcmp(t[i].signature, "RSDP")) {
			g_assert_cmpuint(t[i].gpa, ==, ACPI_TABLES_ADDR);   /* found by the BIOS-area scan */
			g_assert_cmpuint(sum(t[i].data, 20), ==, 0);
			g_assert_cmpuint(sum(t[i].data, 36), ==, 0);
		} else if (strcmp(t[i].signature, "FACS") != 0) {
			uint32_t len;

			memcpy(&len, t[i].data + 4, 4);
			g_assert_cmpuint(len, ==, t[i].len);
			g_assert_cmpuint(sum(t[i].data, t[i].len), ==, 0);
		}
		if (!strcmp(t[i].signature, "APIC")) {
			unsigned int lapics = 0;

			for (size_t off = 44; off < t[i].len; off += t[i].data[off + 1]) {
				g_assert_cmpuint(t[i].data[off + 1], >, 0);
				lapics += t[i].data[off] == 0;
			}
			g_assert_cmpuint(lapics, ==, n_cpus);
		}
	}

	/* ACPICA's disassembler reads each table as a guest's ACPICA would. */
	if (!gb_test_have_program("iasl")) {
		g_test_skip("iasl (acpica-tools) is not installed");
		return;
	}
	dir = gb_test_tmpdir_new("gb-acpi-XXXXXX");
	for (unsigned int i = 0; i < n; i++) {
		g_autofree char *name = g_strdup_printf("%s.dat", t[i].signature);
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_autofree char *dsl = g_strdup_printf("%s/%s.dsl", dir, t[i].signature);
		g_autofree char *out = NULL, *err = NULL, *text = NULL;
		const char *argv[] = { "iasl", "-d", path, NULL };
		int status;

		/* iasl -d reads tables with a header; the RSDP is checked above. */
		if (!strcmp(t[i].signature, "RSDP"))
			continue;
		g_assert_true(g_file_set_contents(path, (const char *) t[i].data, t[i].len, NULL));
		status = gb_test_run(argv, &out, &err);
		if (status != 0 || strstr(out, "Error") || strstr(err, "Error"))
			g_error("iasl -d %s: status %d\n%s", name, status, g_strdelimit(g_strconcat(out, err, NULL), "\n", ' '));
		g_assert_true(g_file_get_contents(dsl, &text, NULL, NULL));
		g_test_message("%s: %zu bytes, disassembled to %zu bytes", t[i].signature, t[i].len, strlen(text));
		/* What the guest acts on, as ACPICA reads it. */
		if (!strcmp(t[i].signature, "FACP")) {
			g_assert_nonnull(strstr(text, "Control Method Power Button (V1) : 0"));
			g_assert_nonnull(strstr(text, "Reset Register Supported (V2) : 1"));
			g_assert_nonnull(strstr(text, "SCI Interrupt : 0009"));
		}
		if (!strcmp(t[i].signature, "DSDT")) {
			g_assert_nonnull(strstr(text, "Name (_S5, Package"));
			g_assert_nonnull(strstr(text, "_PRT"));
		}
	}
	gb_test_tmpdir_remove(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_data_func("/acpi/tables/1-cpu", GUINT_TO_POINTER(1), test_tables);
	g_test_add_data_func("/acpi/tables/4-cpus", GUINT_TO_POINTER(4), test_tables);
	g_test_add_data_func("/acpi/tables/64-cpus", GUINT_TO_POINTER(64), test_tables);
	return g_test_run();
}
