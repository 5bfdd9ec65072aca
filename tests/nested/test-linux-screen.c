/* test-linux-screen.c — a stock Debian kernel's console on glassbox-vmm's
 * framebuffer: with --display vnc the kernel's built-in vesafb binds to the
 * VLFB framebuffer the boot parameters describe, fbcon draws the console on
 * it, and a screendump on the control socket shows that text.
 *
 * The guest (tests/nested/screen-check) fills row 12 of its 80x30 console
 * with '#'; the screendump must be 640x480, carry a screenful of text, and
 * have that row drawn where an 8x16 font puts it (pixel rows 176-191).
 * Then keys typed through the VNC socket (tests/nested/gb-vnc-type.c) run
 * a command in the guest's shell on the console: its output reaches the
 * serial log, and a second screendump shows the screen changed.
 * Runs in the nested test bed like test-linux-boot.c (docs/nested-kvm.md);
 * the script is tests/nested/linux-screen.sh.  The screendumps are kept as
 * linux-screen.ppm and linux-typed.ppm in the test build folder for a
 * person to look at. */
#include <glib/gstdio.h>
#include <string.h>

#include "gb-test-utils.h"
#include "nested-test-util.h"
#include "vmm-test-util.h"

#define WIDTH 640
#define HEIGHT 480
/* Row 12 (1-based) of the console in the kernel's 8x16 VGA font. */
#define MARKER_ROW 12
#define CELL_W 8
#define CELL_H 16

static NestedRun *bed;
static char *skip_reason;

static void
run_bed(void)
{
	g_autofree char *dir = gb_test_tmpdir_new("gb-screen-XXXXXX");
	const char *src = g_getenv("G_TEST_SRCDIR");
	g_autofree char *check = g_build_filename(src, "nested", "screen-check", NULL);
	g_autofree char *script = g_build_filename(src, "nested", "linux-screen.sh", NULL);
	g_autofree char *inner = g_build_filename(dir, "inner", NULL);
	g_autofree char *kernel = g_build_filename(dir, "inner-vmlinuz", NULL);
	g_autofree char *initrd = g_build_filename(dir, "inner-initramfs.img", NULL);
	g_autofree char *vmm = vmm_binary();
	g_autofree char *api = g_build_filename(g_getenv("G_TEST_BUILDDIR"), "nested", "gb-api-call", NULL);
	g_autofree char *type = g_build_filename(g_getenv("G_TEST_BUILDDIR"), "nested", "gb-vnc-type", NULL);

	if (!gb_test_build_linux_guest(inner, (const char *const[]) { check, NULL }, NULL, &skip_reason))
		goto out;
	{
		g_autofree char *k = g_build_filename(inner, "vmlinuz", NULL);
		g_autofree char *i = g_build_filename(inner, "initramfs.img", NULL);
		g_assert_cmpint(g_rename(k, kernel), ==, 0);
		g_assert_cmpint(g_rename(i, initrd), ==, 0);
	}
	bed = nested_run(script, (const char *const[]) { kernel, initrd, NULL },
	                 (const char *const[]) { vmm, api, type, NULL }, 600, &skip_reason);
	if (bed) {
		g_printerr("# linux-screen: %.1f s in all (%s)\n", bed->seconds,
		           bed->nested ? "nested test bed, outer boot included" : "host KVM");
		if (bed->status != 0)
			g_printerr("%s\n", bed->log ? bed->log : "(no log)");
	}
out:
	gb_test_tmpdir_remove(dir);
}

static gboolean
skip_if_no_bed(void)
{
	if (bed)
		return FALSE;
	g_printerr("# SKIP: %s\n", skip_reason);
	g_test_skip(skip_reason);
	return TRUE;
}

static void
assert_line(const char *text, const char *line)
{
	if (text == NULL || strstr(text, line) == NULL) {
		g_printerr("expected \"%s\" in:\n%s\n", line, text ? text : "(nothing)");
		g_printerr("--- script log:\n%s\n", bed->log ? bed->log : "");
		g_assert_nonnull(text);
		g_assert_nonnull(strstr(text, line));
	}
}

/* The kernel found the framebuffer and moved its console onto it. */
static void
test_fbcon_bound(void)
{
	g_autofree char *serial = NULL, *status = NULL;

	if (skip_if_no_bed())
		return;
	serial = nested_read(bed, "screen/serial.log");
	status = nested_read(bed, "screen/status");
	assert_line(serial, "GB-SCREEN-READY");
	assert_line(serial, "vesafb: framebuffer at 0xd0000000");
	assert_line(serial, "vesafb: mode is 640x480x32");
	assert_line(serial, "Console: switching to colour frame buffer device 80x30");
	assert_line(serial, "GB-FB 0 VESA VGA");
	assert_line(serial, "GB-TTY-SIZE 30 80");
	g_assert_null(strstr(serial, "GB-SCREEN-NOT-STOPPED"));
	g_assert_nonnull(status);
	g_assert_cmpint(atoi(status), ==, 0);
}

/* Reads the next whitespace-separated decimal of a PPM header. */
static int
ppm_number(const guint8 *data, gsize len, gsize *at)
{
	int v = 0;

	while (*at < len && g_ascii_isspace(data[*at]))
		(*at)++;
	if (*at >= len || !g_ascii_isdigit(data[*at]))
		return -1;
	while (*at < len && g_ascii_isdigit(data[*at]))
		v = v * 10 + (data[(*at)++] - '0');
	return v;
}

/* The RGB pixels of the screendump $GB_OUT/screen/NAME (a 640x480 binary
 * PPM), kept in the test build folder as linux-NAME for a person to look
 * at; *data is the whole file, to free. */
static const guint8 *
load_screendump(const char *name, guint8 **data)
{
	g_autofree char *sub = g_build_filename("screen", name, NULL);
	g_autofree char *path = nested_path(bed, sub);
	g_autofree char *api = nested_read(bed, "screen/api.log");
	g_autofree char *keep_name = g_strconcat("linux-", name, NULL);
	g_autofree char *keep = g_build_filename(g_getenv("G_TEST_BUILDDIR"), keep_name, NULL);
	gsize len, at = 2;
	int w, h, maxval;

	if (!g_file_get_contents(path, (char **) data, &len, NULL)) {
		g_printerr("no screendump %s; api.log:\n%s\n--- script log:\n%s\n", name, api ? api : "",
		           bed->log ? bed->log : "");
		g_assert_not_reached();
	}
	if (g_file_set_contents(keep, (const char *) *data, len, NULL))
		g_test_message("the screendump is kept in %s", keep);
	assert_line(api, "\"format\":\"ppm\"");

	/* P6, width, height, maxval, one whitespace byte, then RGB. */
	g_assert_cmpint(len, >, 2);
	g_assert_cmpmem(*data, 2, "P6", 2);
	w = ppm_number(*data, len, &at);
	h = ppm_number(*data, len, &at);
	maxval = ppm_number(*data, len, &at);
	at++;
	g_assert_cmpint(w, ==, WIDTH);
	g_assert_cmpint(h, ==, HEIGHT);
	g_assert_cmpint(maxval, ==, 255);
	g_assert_cmpuint(len - at, ==, (gsize) WIDTH * HEIGHT * 3);
	return *data + at;
}

static void
test_screendump_shows_console(void)
{
	g_autofree guint8 *data = NULL;
	g_autoptr(GHashTable) colours = g_hash_table_new(g_direct_hash, g_direct_equal);
	const guint8 *px;
	guint32 background = 0;
	guint best = 0, foreground = 0, marker_rows = 0, first_marker = HEIGHT, last_marker = 0;

	if (skip_if_no_bed())
		return;
	px = load_screendump("screen.ppm", &data);

	/* The background is the most common colour; everything else is text. */
	for (int i = 0; i < WIDTH * HEIGHT; i++) {
		guint32 c = px[i * 3] << 16 | px[i * 3 + 1] << 8 | px[i * 3 + 2];
		guint n = GPOINTER_TO_UINT(g_hash_table_lookup(colours, GUINT_TO_POINTER(c))) + 1;

		g_hash_table_insert(colours, GUINT_TO_POINTER(c), GUINT_TO_POINTER(n));
		if (n > best) {
			best = n;
			background = c;
		}
	}
	foreground = WIDTH * HEIGHT - best;
	g_test_message("screendump: background #%06x, %u foreground pixels (%.1f%%), %u colours",
	               background, foreground, 100.0 * foreground / (WIDTH * HEIGHT),
	               g_hash_table_size(colours));
	/* A screenful of kernel messages in an 8x16 font lights well over 3%
	 * of the pixels; a blank or garbled screen does not. */
	g_assert_cmpuint(foreground, >, WIDTH * HEIGHT / 33);

	/* The marker: pixel rows where every one of the 80 character cells
	 * has a lit pixel.  Kernel text has spaces in every line; a row of
	 * '#' has none. */
	for (int y = 0; y < HEIGHT; y++) {
		int cells = 0;

		for (int cx = 0; cx < WIDTH / CELL_W; cx++) {
			for (int x = cx * CELL_W; x < (cx + 1) * CELL_W; x++) {
				const guint8 *p = px + ((gsize) y * WIDTH + x) * 3;

				if ((guint32) (p[0] << 16 | p[1] << 8 | p[2]) != background) {
					cells++;
					break;
				}
			}
		}
		if (cells == WIDTH / CELL_W) {
			marker_rows++;
			first_marker = MIN(first_marker, (guint) y);
			last_marker = MAX(last_marker, (guint) y);
		}
	}
	g_test_message("marker: %u fully lit pixel rows, y %u..%u", marker_rows, first_marker, last_marker);
	/* VGA 8x16 '#' has 7 lit rows of its 16. */
	g_assert_cmpuint(marker_rows, >=, 5);
	g_assert_cmpuint(first_marker, >=, (MARKER_ROW - 1) * CELL_H);
	g_assert_cmpuint(last_marker, <, MARKER_ROW * CELL_H);
}

/* Keys typed through VNC reach the guest's shell: the command they spell
 * ran (its output, computed by the shell, is on the serial log), and the
 * screen shows something new. */
static void
test_vnc_keys_run_command(void)
{
	g_autofree char *serial = NULL, *vnc = NULL;
	g_autofree guint8 *before_data = NULL, *after_data = NULL;
	const guint8 *before, *after;
	guint changed = 0;

	if (skip_if_no_bed())
		return;
	serial = nested_read(bed, "screen/serial.log");
	vnc = nested_read(bed, "screen/vnc.log");
	g_test_message("gb-vnc-type: %s", vnc ? g_strstrip(vnc) : "(no log)");
	assert_line(serial, "AT Translated Set 2 keyboard");
	assert_line(vnc, "connected, screen 640x480");
	/* The typed text is "GB-TYPED-$((6*7))": only the shell makes 42. */
	assert_line(serial, "GB-TYPED-42");
	before = load_screendump("screen.ppm", &before_data);
	after = load_screendump("typed.ppm", &after_data);
	for (gsize i = 0; i < (gsize) WIDTH * HEIGHT * 3; i++)
		changed += before[i] != after[i];
	g_test_message("typing changed %u of the screen's bytes", changed);
	g_assert_cmpuint(changed, >, 0);
}

int
main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/linux-screen/fbcon-bound", test_fbcon_bound);
	g_test_add_func("/linux-screen/screendump-shows-console", test_screendump_shows_console);
	g_test_add_func("/linux-screen/vnc-keys-run-a-command", test_vnc_keys_run_command);
	run_bed();
	ret = g_test_run();
	nested_run_free(bed);
	g_free(skip_reason);
	return ret;
}
