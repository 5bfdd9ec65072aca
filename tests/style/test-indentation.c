/* test-indentation.c — one house style per folder (.editorconfig says
 * which): a C file indented the other folder's way, or with spaces and
 * tabs mixed in one indent, fails here.
 *
 *   tabs (kernel style): hypervisor/, lab/, and the tests and benchmarks
 *     of the hypervisor written in it: tests/vmm, guests, vhost-user,
 *     nested, fuzz; bench/vmm, net, nested, vhost-user.
 *   2 spaces (GNOME style): everything else — src/, the app's tests,
 *     tests/block, tests/common, bench/block, bench/display.
 *
 * What counts as wrong:
 *   - in a space folder, a tab anywhere in a line's indent;
 *   - in a tab folder, a space before a tab in an indent, or the first
 *     line of a block (the line after one ending in "{") indented with
 *     spaces only.  Spaces after the tabs stay allowed: kernel style
 *     aligns continuation lines and comment stars with them. */
#include <glib.h>
#include <string.h>

static const char *const tab_folders[] = {
	"hypervisor", "lab",
	"tests/vmm", "tests/guests", "tests/vhost-user", "tests/nested", "tests/fuzz", "tests/style",
	"bench/vmm", "bench/net", "bench/nested", "bench/vhost-user",
	NULL,
};
static const char *const roots[] = { "src", "tests", "hypervisor", "bench", "lab", NULL };

static gboolean
uses_tabs(const char *rel)
{
	for (const char *const *f = tab_folders; *f; f++) {
		size_t n = strlen(*f);
		if (!strncmp(rel, *f, n) && rel[n] == '/')
			return TRUE;
	}
	return FALSE;
}

/* Problems of one file, appended to `out` as "path:line: why". */
static void
check_file(const char *path, const char *rel, GString *out)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	gboolean tabs = uses_tabs(rel), after_brace = FALSE, in_comment = FALSE;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return;
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i]; i++) {
		const char *l = lines[i];
		size_t ws = strspn(l, " \t");
		gboolean has_tab = memchr(l, '\t', ws) != NULL;
		gboolean blank = l[ws] == '\0';
		const char *why = NULL;

		if (blank)
			continue;
		if (!tabs && has_tab)
			why = "tab in the indent (this folder indents with 2 spaces)";
		else if (tabs && has_tab && strstr(l, " \t") && strstr(l, " \t") < l + ws)
			why = "space before a tab in the indent";
		else if (tabs && after_brace && !in_comment && ws >= 2 && !has_tab)
			why = "block indented with spaces (this folder indents with tabs)";
		if (why)
			g_string_append_printf(out, "%s:%u: %s\n", rel, i + 1, why);

		/* Comments and their stars are left alone. */
		if (strstr(l, "/*") && !strstr(l, "*/"))
			in_comment = TRUE;
		else if (strstr(l, "*/"))
			in_comment = FALSE;
		after_brace = g_str_has_suffix(l, "{") && !in_comment;
	}
}

static void
walk(const char *top, const char *rel, GString *out, guint *n_files)
{
	g_autofree char *dir = g_build_filename(top, rel, NULL);
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (d == NULL)
		return;
	while ((name = g_dir_read_name(d))) {
		g_autofree char *child = g_build_filename(rel, name, NULL);
		g_autofree char *path = g_build_filename(top, child, NULL);

		if (name[0] == '.')
			continue;
		if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK))
			walk(top, child, out, n_files);
		else if (g_str_has_suffix(name, ".c") || g_str_has_suffix(name, ".h")) {
			check_file(path, child, out);
			(*n_files)++;
		}
	}
}

static void
test_indentation(void)
{
	const char *top = g_getenv("GB_SOURCE_ROOT") ? g_getenv("GB_SOURCE_ROOT") : SOURCE_ROOT;
	g_autoptr(GString) out = g_string_new(NULL);
	guint n_files = 0;

	for (const char *const *r = roots; *r; r++)
		walk(top, *r, out, &n_files);
	g_test_message("%u C files checked", n_files);
	g_assert_cmpuint(n_files, >, 100);
	if (out->len) {
		g_test_message("mixed indentation:\n%s", out->str);
		g_test_fail_printf("%s", out->str);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/style/indentation", test_indentation);
	return g_test_run();
}
