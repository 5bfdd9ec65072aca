/* glassbox-img — create, inspect, check, convert, resize and benchmark disk
 * images with the gbblock engine.  Its commands, options, output and exit
 * codes follow qemu-img's, so the two can be run side by side. */
#include "config.h"
#include "block.h"

#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static gboolean quiet;

static int G_GNUC_PRINTF(1, 2)
fail(const char *fmt, ...)
{
	va_list ap;
	fputs("glassbox-img: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* qemu-img's size syntax: a number with an optional binary suffix
 * (b, k/K, M, G, T, P, E); fractions are allowed with a suffix. */
static gboolean
parse_size(const char *text, uint64_t *out)
{
	char *end = NULL;
	double v;
	uint64_t mult = 1;

	if (text == NULL || *text == '\0' || *text == '-' || g_ascii_isspace(*text))
		return FALSE;
	errno = 0;
	v = g_ascii_strtod(text, &end);
	if (errno != 0 || end == text || v < 0)
		return FALSE;
	switch (*end) {
	case '\0':            break;
	case 'b': case 'B':   mult = 1; end++; break;
	case 'k': case 'K':   mult = 1ull << 10; end++; break;
	case 'm': case 'M':   mult = 1ull << 20; end++; break;
	case 'g': case 'G':   mult = 1ull << 30; end++; break;
	case 't': case 'T':   mult = 1ull << 40; end++; break;
	case 'p': case 'P':   mult = 1ull << 50; end++; break;
	case 'e': case 'E':   mult = 1ull << 60; end++; break;
	default:              return FALSE;
	}
	if (*end != '\0')
		return FALSE;
	if (mult == 1 && strpbrk(text, ".eE") != NULL && strspn(text, "0123456789") != strlen(text))
		return FALSE;   /* no fractional byte counts */
	double bytes = v * (double) mult;
	if (bytes >= 9223372036854775808.0)
		return FALSE;
	*out = (uint64_t) bytes;
	return TRUE;
}

static char *
human_size(uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double) bytes;
	int u = 0;
	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		return g_strdup_printf("%" PRIu64 " B", bytes);
	return g_strdup_printf("%.3g %s", v, units[u]);
}

static gboolean
format_arg(const char *name, BlockFormat *out)
{
	if (name == NULL) {
		*out = BLOCK_FORMAT_AUTO;
		return TRUE;
	}
	return block_format_from_name(name, out);
}

/* Parses a GOptionContext; prints one line and returns FALSE on error. */
static gboolean
parse_options(const char *cmd, const char *params, const char *summary, GOptionEntry *entries, int *argc, char ***argv)
{
	g_autoptr(GOptionContext) ctx = g_option_context_new(params);
	g_autoptr(GError) error = NULL;
	g_autofree char *prg = g_strdup_printf("glassbox-img %s", cmd);

	g_option_context_set_summary(ctx, summary);
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_set_prgname(prg);
	if (!g_option_context_parse(ctx, argc, argv, &error)) {
		fail("%s", error->message);
		return FALSE;
	}
	return TRUE;
}

/* ---- create ------------------------------------------------------------- */

static int
cmd_create(int argc, char **argv)
{
	g_autofree char *fmt = NULL, *backing = NULL, *backing_fmt = NULL;
	g_auto(GStrv) opts = NULL;
	GOptionEntry entries[] = {
		{ "format", 'f', 0, G_OPTION_ARG_STRING, &fmt, "Image format: qcow2 (default) or raw", "FMT" },
		{ "backing", 'b', 0, G_OPTION_ARG_FILENAME, &backing, "Backing file (reads of unwritten clusters come from it)", "FILE" },
		{ "backing-format", 'F', 0, G_OPTION_ARG_STRING, &backing_fmt, "Format of the backing file", "FMT" },
		{ "options", 'o', 0, G_OPTION_ARG_STRING_ARRAY, &opts, "preallocation=off|metadata|falloc|full, cluster_size=SIZE", "OPTS" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print nothing on success", NULL },
		{ NULL }
	};
	BlockCreateOptions o = { 0 };

	if (!parse_options("create", "FILE [SIZE]", "Create a new disk image.", entries, &argc, &argv))
		return 1;
	if (argc < 2 || argc > 3)
		return fail("create: expected FILE [SIZE]");
	if (!format_arg(fmt ? fmt : "qcow2", &o.format))
		return fail("Unknown file format '%s'", fmt);
	if (!format_arg(backing_fmt, &o.backing_format))
		return fail("Unknown backing file format '%s'", backing_fmt);
	o.backing_file = backing;
	for (int i = 0; opts && opts[i]; i++) {
		g_auto(GStrv) kvs = g_strsplit(opts[i], ",", -1);
		for (int j = 0; kvs[j]; j++) {
			const char *kv = kvs[j], *eq = strchr(kv, '=');
			if (eq == NULL)
				return fail("Invalid option '%s' (expected key=value)", kv);
			g_autofree char *key = g_strndup(kv, (gsize) (eq - kv));
			const char *val = eq + 1;
			if (strcmp(key, "preallocation") == 0) {
				if (!block_prealloc_from_name(val, &o.prealloc))
					return fail("Invalid preallocation mode '%s'", val);
			} else if (strcmp(key, "cluster_size") == 0) {
				uint64_t cs;
				if (!parse_size(val, &cs) || cs > UINT32_MAX || cs == 0)
					return fail("Invalid cluster size '%s'", val);
				o.cluster_size = (uint32_t) cs;
			} else if (strcmp(key, "backing_file") == 0) {
				o.backing_file = val;
			} else if (strcmp(key, "backing_fmt") == 0) {
				if (!block_format_from_name(val, &o.backing_format))
					return fail("Unknown backing file format '%s'", val);
			} else {
				return fail("Invalid option '%s' for format '%s'", key, block_format_name(o.format));
			}
		}
	}
	if (argc == 3) {
		if (!parse_size(argv[2], &o.size))
			return fail("Invalid image size '%s': use a number with an optional k, M, G, T, P or E suffix, below 8 EiB", argv[2]);
	} else if (o.backing_file == NULL) {
		return fail("Image size must be specified when there is no backing file");
	}

	if (!quiet) {
		printf("Formatting '%s', fmt=%s", argv[1], block_format_name(o.format));
		if (o.size)
			printf(" size=%" PRIu64, o.size);
		printf("%s%s\n", o.backing_file ? " backing_file=" : "", o.backing_file ? o.backing_file : "");
	}
	char *error = NULL;
	if (block_create(argv[1], &o, &error) < 0) {
		int r = fail("%s", error ? error : "could not create the image");
		free(error);
		return r;
	}
	return 0;
}

/* ---- info --------------------------------------------------------------- */

static void
build_info_json(JsonBuilder *b, BlockImage *img)
{
	BlockInfo info;
	block_get_info(img, &info);

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "virtual-size");
	json_builder_add_int_value(b, (gint64) info.virtual_size);
	json_builder_set_member_name(b, "filename");
	json_builder_add_string_value(b, block_filename(img));
	if (info.cluster_size) {
		json_builder_set_member_name(b, "cluster-size");
		json_builder_add_int_value(b, info.cluster_size);
	}
	json_builder_set_member_name(b, "format");
	json_builder_add_string_value(b, block_format_name(info.format));
	json_builder_set_member_name(b, "actual-size");
	json_builder_add_int_value(b, (gint64) info.actual_size);
	if (info.format == BLOCK_FORMAT_QCOW2) {
		json_builder_set_member_name(b, "format-specific");
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "type");
		json_builder_add_string_value(b, "qcow2");
		json_builder_set_member_name(b, "data");
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "compat");
		json_builder_add_string_value(b, info.qcow2_version >= 3 ? "1.1" : "0.10");
		json_builder_set_member_name(b, "compression-type");
		json_builder_add_string_value(b, "zlib");
		if (info.qcow2_version >= 3) {
			json_builder_set_member_name(b, "lazy-refcounts");
			json_builder_add_boolean_value(b, info.lazy_refcounts);
		}
		json_builder_set_member_name(b, "refcount-bits");
		json_builder_add_int_value(b, info.refcount_bits);
		if (info.qcow2_version >= 3) {
			json_builder_set_member_name(b, "corrupt");
			json_builder_add_boolean_value(b, info.corrupt);
			json_builder_set_member_name(b, "extended-l2");
			json_builder_add_boolean_value(b, FALSE);
		}
		json_builder_end_object(b);
		json_builder_end_object(b);
	}
	if (info.backing_filename) {
		json_builder_set_member_name(b, "full-backing-filename");
		json_builder_add_string_value(b, info.backing_full_path);
		json_builder_set_member_name(b, "backing-filename");
		json_builder_add_string_value(b, info.backing_filename);
		if (info.backing_format != BLOCK_FORMAT_AUTO) {
			json_builder_set_member_name(b, "backing-filename-format");
			json_builder_add_string_value(b, block_format_name(info.backing_format));
		}
	}
	json_builder_set_member_name(b, "dirty-flag");
	json_builder_add_boolean_value(b, info.dirty);
	json_builder_end_object(b);
}

static void
print_info_human(BlockImage *img)
{
	BlockInfo info;
	block_get_info(img, &info);
	g_autofree char *vs = human_size(info.virtual_size);
	g_autofree char *ds = human_size(info.actual_size);

	printf("image: %s\n", block_filename(img));
	printf("file format: %s\n", block_format_name(info.format));
	printf("virtual size: %s (%" PRIu64 " bytes)\n", vs, info.virtual_size);
	printf("disk size: %s\n", ds);
	if (info.cluster_size)
		printf("cluster_size: %u\n", info.cluster_size);
	if (info.backing_filename) {
		printf("backing file: %s", info.backing_filename);
		if (strcmp(info.backing_filename, info.backing_full_path) != 0)
			printf(" (actual path: %s)", info.backing_full_path);
		printf("\n");
		if (info.backing_format != BLOCK_FORMAT_AUTO)
			printf("backing file format: %s\n", block_format_name(info.backing_format));
	}
	if (info.format == BLOCK_FORMAT_QCOW2) {
		printf("Format specific information:\n");
		printf("    compat: %s\n", info.qcow2_version >= 3 ? "1.1" : "0.10");
		printf("    compression type: zlib\n");
		if (info.qcow2_version >= 3)
			printf("    lazy refcounts: %s\n", info.lazy_refcounts ? "true" : "false");
		printf("    refcount bits: %d\n", info.refcount_bits);
		if (info.qcow2_version >= 3) {
			printf("    corrupt: %s\n", info.corrupt ? "true" : "false");
			printf("    extended l2: false\n");
		}
		if (info.dirty)
			printf("    dirty: true\n");
		if (info.nb_snapshots)
			printf("    internal snapshots: %d\n", info.nb_snapshots);
	}
}

static int
cmd_info(int argc, char **argv)
{
	g_autofree char *fmt = NULL, *output = NULL;
	gboolean chain = FALSE;
	GOptionEntry entries[] = {
		{ "format", 'f', 0, G_OPTION_ARG_STRING, &fmt, "Image format (probed if omitted)", "FMT" },
		{ "output", 0, 0, G_OPTION_ARG_STRING, &output, "human (default) or json", "FMT" },
		{ "backing-chain", 0, 0, G_OPTION_ARG_NONE, &chain, "Show every image of the backing chain", NULL },
		{ NULL }
	};
	BlockFormat format;

	if (!parse_options("info", "FILE", "Show what an image is: format, sizes, backing chain, flags.", entries, &argc, &argv))
		return 1;
	if (argc != 2)
		return fail("info: expected one FILE");
	if (!format_arg(fmt, &format))
		return fail("Unknown file format '%s'", fmt);
	if (output && strcmp(output, "json") != 0 && strcmp(output, "human") != 0)
		return fail("--output must be human or json");

	char *error = NULL;
	BlockImage *img = block_open_flags(argv[1], format, BLOCK_OPEN_READ_ONLY | (chain ? 0 : BLOCK_OPEN_NO_BACKING), &error);
	if (img == NULL) {
		int r = fail("%s", error ? error : "could not open the image");
		free(error);
		return r;
	}
	if (output && strcmp(output, "json") == 0) {
		g_autoptr(JsonBuilder) b = json_builder_new();
		g_autoptr(JsonGenerator) gen = json_generator_new();
		if (chain)
			json_builder_begin_array(b);
		for (BlockImage *i = img; i != NULL; i = chain ? block_backing(i) : NULL)
			build_info_json(b, i);
		if (chain)
			json_builder_end_array(b);
		g_autoptr(JsonNode) root = json_builder_get_root(b);
		json_generator_set_root(gen, root);
		json_generator_set_pretty(gen, TRUE);
		json_generator_set_indent(gen, 4);
		g_autofree char *text = json_generator_to_data(gen, NULL);
		printf("%s\n", text);
	} else {
		for (BlockImage *i = img; i != NULL; i = chain ? block_backing(i) : NULL) {
			if (i != img)
				printf("\n");
			print_info_human(i);
		}
	}
	block_close(img);
	return 0;
}

/* ---- check -------------------------------------------------------------- */

static void
print_check(const BlockCheckResult *r)
{
	if (r->corruptions == 0 && r->leaks == 0 && r->check_errors == 0)
		printf("No errors were found on the image.\n");
	if (r->corruptions)
		printf("\n%" PRIu64 " errors were found on the image.\n"
		       "Data may be corrupted, or further writes to the image may corrupt it.\n", r->corruptions);
	if (r->leaks)
		printf("\n%" PRIu64 " leaked clusters were found on the image.\n"
		       "This means waste of disk space, but no harm to data.\n", r->leaks);
	if (r->total_clusters)
		printf("%" PRIu64 "/%" PRIu64 " = %0.2f%% allocated, %0.2f%% fragmented, %0.2f%% compressed clusters\n",
		       r->allocated_clusters, r->total_clusters,
		       100.0 * (double) r->allocated_clusters / (double) r->total_clusters, 0.0,
		       r->allocated_clusters ? 100.0 * (double) r->compressed_clusters / (double) r->allocated_clusters : 0.0);
	if (r->image_end_offset)
		printf("Image end offset: %" PRIu64 "\n", r->image_end_offset);
}

static int
cmd_check(int argc, char **argv)
{
	g_autofree char *fmt = NULL, *repair = NULL, *output = NULL;
	GOptionEntry entries[] = {
		{ "format", 'f', 0, G_OPTION_ARG_STRING, &fmt, "Image format (probed if omitted)", "FMT" },
		{ "repair", 'r', 0, G_OPTION_ARG_STRING, &repair, "Repair leaks, or all inconsistencies", "leaks|all" },
		{ "output", 0, 0, G_OPTION_ARG_STRING, &output, "human (default) or json", "FMT" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print nothing", NULL },
		{ NULL }
	};
	BlockFormat format;
	unsigned fix = 0;

	if (!parse_options("check", "FILE", "Check an image's metadata. Exit status: 0 clean, 2 corruptions, 3 leaked clusters only, 1 the check itself failed.",
	                   entries, &argc, &argv))
		return 1;
	if (argc != 2)
		return fail("check: expected one FILE");
	if (!format_arg(fmt, &format))
		return fail("Unknown file format '%s'", fmt);
	if (repair) {
		if (strcmp(repair, "leaks") == 0)
			fix = BLOCK_CHECK_FIX_LEAKS;
		else if (strcmp(repair, "all") == 0)
			fix = BLOCK_CHECK_FIX_LEAKS | BLOCK_CHECK_FIX_ERRORS;
		else
			return fail("Unknown option value for -r (expecting 'leaks' or 'all'): %s", repair);
	}

	char *error = NULL;
	unsigned flags = BLOCK_OPEN_NO_BACKING | (fix ? BLOCK_OPEN_CHECK : BLOCK_OPEN_READ_ONLY);
	BlockImage *img = block_open_flags(argv[1], format, flags, &error);
	if (img == NULL) {
		int r = fail("%s", error ? error : "could not open the image");
		free(error);
		return r;
	}
	BlockCheckResult res;
	int ret = block_check(img, fix, &res, &error);
	if (ret == -ENOTSUP) {
		block_close(img);
		free(error);
		fail("This image format does not support checks");
		return 63;   /* qemu-img's code for "not supported" */
	}
	if (ret < 0) {
		block_close(img);
		int r = fail("%s", error ? error : "check failed");
		free(error);
		return r;
	}
	if (fix && (res.leaks_fixed || res.corruptions_fixed)) {
		if (!quiet)
			printf("The following inconsistencies were found and repaired:\n\n"
			       "    %" PRIu64 " leaked clusters\n    %" PRIu64 " corruptions\n\n"
			       "Double checking the fixed image now...\n", res.leaks_fixed, res.corruptions_fixed);
		ret = block_check(img, 0, &res, &error);
		if (ret < 0) {
			block_close(img);
			int r = fail("%s", error ? error : "check failed");
			free(error);
			return r;
		}
	}
	block_close(img);

	if (output && strcmp(output, "json") == 0) {
		/* qemu-img check --output=json's keys. */
		g_autoptr(JsonBuilder) b = json_builder_new();
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "image-end-offset");
		json_builder_add_int_value(b, (gint64) res.image_end_offset);
		json_builder_set_member_name(b, "total-clusters");
		json_builder_add_int_value(b, (gint64) res.total_clusters);
		json_builder_set_member_name(b, "check-errors");
		json_builder_add_int_value(b, (gint64) res.check_errors);
		if (res.leaks) {
			json_builder_set_member_name(b, "leaks");
			json_builder_add_int_value(b, (gint64) res.leaks);
		}
		if (res.corruptions) {
			json_builder_set_member_name(b, "corruptions");
			json_builder_add_int_value(b, (gint64) res.corruptions);
		}
		json_builder_set_member_name(b, "allocated-clusters");
		json_builder_add_int_value(b, (gint64) res.allocated_clusters);
		json_builder_set_member_name(b, "filename");
		json_builder_add_string_value(b, argv[1]);
		json_builder_set_member_name(b, "format");
		json_builder_add_string_value(b, "qcow2");
		json_builder_end_object(b);
		g_autoptr(JsonNode) root = json_builder_get_root(b);
		g_autoptr(JsonGenerator) gen = json_generator_new();
		json_generator_set_root(gen, root);
		json_generator_set_pretty(gen, TRUE);
		json_generator_set_indent(gen, 4);
		g_autofree char *text = json_generator_to_data(gen, NULL);
		printf("%s\n", text);
	} else if (!quiet) {
		print_check(&res);
	}
	if (res.check_errors)
		return 1;
	if (res.corruptions)
		return 2;
	if (res.leaks)
		return 3;
	return 0;
}

/* ---- convert ------------------------------------------------------------- */

static gboolean
buffer_is_zero(const uint8_t *p, size_t len)
{
	return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

static int
cmd_convert(int argc, char **argv)
{
	g_autofree char *fmt = NULL, *out_fmt = NULL;
	g_auto(GStrv) opts = NULL;
	gboolean progress = FALSE;
	GOptionEntry entries[] = {
		{ "format", 'f', 0, G_OPTION_ARG_STRING, &fmt, "Source format (probed if omitted)", "FMT" },
		{ "output-format", 'O', 0, G_OPTION_ARG_STRING, &out_fmt, "Destination format (default raw)", "FMT" },
		{ "options", 'o', 0, G_OPTION_ARG_STRING_ARRAY, &opts, "cluster_size=SIZE, preallocation=MODE for the destination", "OPTS" },
		{ "progress", 'p', 0, G_OPTION_ARG_NONE, &progress, "Show progress", NULL },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print nothing", NULL },
		{ NULL }
	};
	BlockCreateOptions o = { 0 };
	BlockFormat in_format;

	if (!parse_options("convert", "SRC DST", "Copy an image into a new one, in any format; zero areas stay sparse.", entries, &argc, &argv))
		return 1;
	if (argc != 3)
		return fail("convert: expected SRC DST");
	if (!format_arg(fmt, &in_format))
		return fail("Unknown file format '%s'", fmt);
	if (!format_arg(out_fmt ? out_fmt : "raw", &o.format))
		return fail("Unknown file format '%s'", out_fmt);
	for (int i = 0; opts && opts[i]; i++) {
		g_auto(GStrv) kvs = g_strsplit(opts[i], ",", -1);
		for (int j = 0; kvs[j]; j++) {
			uint64_t cs;
			if (g_str_has_prefix(kvs[j], "cluster_size=") && parse_size(kvs[j] + 13, &cs) && cs <= UINT32_MAX)
				o.cluster_size = (uint32_t) cs;
			else if (g_str_has_prefix(kvs[j], "preallocation=") && block_prealloc_from_name(kvs[j] + 14, &o.prealloc))
				;
			else
				return fail("Invalid option '%s'", kvs[j]);
		}
	}

	char *error = NULL;
	BlockImage *src = block_open_flags(argv[1], in_format, BLOCK_OPEN_READ_ONLY, &error);
	if (src == NULL) {
		int r = fail("%s", error ? error : "could not open the source");
		free(error);
		return r;
	}
	o.size = block_size(src);
	if (block_create(argv[2], &o, &error) < 0) {
		block_close(src);
		int r = fail("%s", error ? error : "could not create the destination");
		free(error);
		return r;
	}
	BlockImage *dst = block_open(argv[2], o.format, false, &error);
	if (dst == NULL) {
		block_close(src);
		int r = fail("%s", error ? error : "could not open the destination");
		free(error);
		return r;
	}

	const size_t chunk = 2u << 20;
	uint8_t *buf = g_malloc(chunk);
	uint64_t size = block_size(src);
	int ret = 0;
	for (uint64_t off = 0; off < size && ret == 0;) {
		uint64_t n = size - off < chunk ? size - off : chunk, pnum;
		bool allocated, zero;
		ret = block_status(src, off, n, &pnum, &allocated, &zero);
		if (ret < 0)
			break;
		if (!zero) {
			ret = block_pread(src, buf, (size_t) pnum, off);
			/* New images read as zeroes already: leave zero areas sparse. */
			if (ret == 0 && !buffer_is_zero(buf, (size_t) pnum))
				ret = block_pwrite(dst, buf, (size_t) pnum, off);
		}
		off += pnum;
		if (progress && !quiet)
			fprintf(stderr, "\r    (%.2f/100%%)", 100.0 * (double) off / (double) size);
	}
	if (progress && !quiet)
		fprintf(stderr, "\n");
	g_free(buf);
	if (ret == 0)
		ret = block_flush(dst);
	block_close(src);
	block_close(dst);
	if (ret < 0)
		return fail("error while converting: %s", strerror(-ret));
	return 0;
}

/* ---- resize ------------------------------------------------------------- */

static int
cmd_resize(int argc, char **argv)
{
	g_autofree char *fmt = NULL;
	GOptionEntry entries[] = {
		{ "format", 'f', 0, G_OPTION_ARG_STRING, &fmt, "Image format (probed if omitted)", "FMT" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print nothing", NULL },
		{ NULL }
	};
	BlockFormat format;
	uint64_t size;

	/* "-1G" would look like an option to GOption: qemu-img wants "--" there. */
	if (!parse_options("resize", "FILE [+]SIZE", "Grow an image's virtual size (shrinking is not supported).", entries, &argc, &argv))
		return 1;
	if (argc != 3)
		return fail("resize: expected FILE SIZE");
	if (!format_arg(fmt, &format))
		return fail("Unknown file format '%s'", fmt);
	const char *s = argv[2];
	bool relative = s[0] == '+';
	if (s[0] == '-')
		return fail("Shrinking images is not supported");
	if (!parse_size(relative ? s + 1 : s, &size))
		return fail("Invalid image size '%s'", s);

	char *error = NULL;
	BlockImage *img = block_open_flags(argv[1], format, BLOCK_OPEN_NO_BACKING, &error);
	if (img == NULL) {
		int r = fail("%s", error ? error : "could not open the image");
		free(error);
		return r;
	}
	if (relative)
		size += block_size(img);
	if (block_format(img) == BLOCK_FORMAT_QCOW2)
		size = (size + 511) & ~(uint64_t) 511;
	int ret = block_resize(img, size, &error);
	if (ret == 0)
		ret = block_flush(img);
	block_close(img);
	if (ret < 0) {
		int r = fail("%s", error ? error : strerror(-ret));
		free(error);
		return r;
	}
	if (!quiet)
		printf("Image resized.\n");
	return 0;
}

/* ---- snapshot ----------------------------------------------------------- */

/* The list as QEMU's bdrv_snapshot_dump() prints it, column for column. */
static void
print_snapshots(const BlockSnapshot *list, int n)
{
	printf("Snapshot list:\n");
	printf("%-10s%-17s%8s%20s%13s%11s\n", "ID", "TAG", "VM SIZE", "DATE", "VM CLOCK", "ICOUNT");
	for (int i = 0; i < n; i++) {
		const BlockSnapshot *sn = &list[i];
		char date[32] = "", clock_buf[32], icount[24] = "";
		time_t t = sn->date_sec;
		struct tm tm;
		g_autofree char *size = human_size(sn->vm_state_size);
		uint64_t secs = sn->vm_clock_nsec / 1000000000u;

		if (localtime_r(&t, &tm) != NULL)
			strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(clock_buf, sizeof(clock_buf), "%02u:%02u:%02u.%03u",
		         (unsigned) (secs / 3600), (unsigned) (secs / 60 % 60), (unsigned) (secs % 60),
		         (unsigned) (sn->vm_clock_nsec / 1000000u % 1000));
		if (sn->icount != UINT64_MAX)
			snprintf(icount, sizeof(icount), "%" PRId64, (int64_t) sn->icount);
		printf("%-9s %-17s %7s%20s%13s%11s\n", sn->id, sn->name, size, date, clock_buf, icount);
	}
}

static int
cmd_snapshot(int argc, char **argv)
{
	g_autofree char *fmt = NULL, *apply = NULL, *create = NULL, *delete = NULL;
	gboolean list = FALSE;
	GOptionEntry entries[] = {
		{ "format", 'f', 0, G_OPTION_ARG_STRING, &fmt, "Image format (probed if omitted)", "FMT" },
		{ "list", 'l', 0, G_OPTION_ARG_NONE, &list, "List the snapshots", NULL },
		{ "apply", 'a', 0, G_OPTION_ARG_STRING, &apply, "Revert the disk to the snapshot (ID or name)", "SNAPSHOT" },
		{ "create", 'c', 0, G_OPTION_ARG_STRING, &create, "Create a snapshot of the disk", "SNAPSHOT" },
		{ "delete", 'd', 0, G_OPTION_ARG_STRING, &delete, "Delete the snapshot with this name", "SNAPSHOT" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print nothing", NULL },
		{ NULL }
	};
	BlockFormat format;

	if (!parse_options("snapshot", "[-l | -a SNAPSHOT | -c SNAPSHOT | -d SNAPSHOT] FILE",
	                   "List, create, apply or delete internal snapshots of a stopped machine's disk.", entries, &argc, &argv))
		return 1;
	if ((list ? 1 : 0) + (apply ? 1 : 0) + (create ? 1 : 0) + (delete ? 1 : 0) > 1) {
		fail("Cannot mix '-l', '-a', '-c', '-d'");
		return 1;
	}
	if (argc != 2)
		return fail("snapshot: expected one FILE");
	if (!format_arg(fmt, &format))
		return fail("Unknown file format '%s'", fmt);

	bool write = apply || create || delete;
	unsigned flags = BLOCK_OPEN_NO_BACKING | (write ? 0 : BLOCK_OPEN_READ_ONLY);
	char *error = NULL;
	BlockImage *img = block_open_flags(argv[1], format, flags, &error);
	if (img == NULL) {
		int r = fail("%s", error ? error : "could not open the image");
		free(error);
		return r;
	}

	int ret = 0;
	if (list) {
		BlockSnapshot *sns = NULL;
		int n = 0;
		ret = block_snapshot_list(img, &sns, &n, &error);
		if (ret == 0 && n > 0)
			print_snapshots(sns, n);
		block_snapshot_list_free(sns, n);
	} else if (create) {
		ret = block_snapshot_create(img, create, NULL);
		if (ret < 0)
			fail("Could not create snapshot '%s': %d (%s)", create, ret, strerror(-ret));
	} else if (apply) {
		ret = block_snapshot_apply(img, apply, NULL);
		if (ret < 0)
			fail("Could not apply snapshot '%s': Failed to load snapshot: %s", apply, strerror(-ret));
	} else if (delete) {
		ret = block_snapshot_delete(img, delete, NULL);
		if (ret < 0)
			fail("Could not delete snapshot '%s': %s", delete, ret == -ENOENT ? "snapshot not found" : strerror(-ret));
	}
	if (ret < 0 && list)
		fail("%s", error ? error : strerror(-ret));
	free(error);
	block_close(img);
	return ret < 0 ? 1 : 0;
}

/* ---- bench -------------------------------------------------------------- */

typedef struct {
	BlockImage *img;
	uint64_t count, size, step, offset, image_size, flush_interval;
	gboolean write;
	gint64 next;      /* atomic: next request number */
	gint failed;      /* atomic: first -errno */
	gint writes_since_flush;
} Bench;

static gpointer
bench_worker(gpointer data)
{
	Bench *b = data;
	uint8_t *buf;

	if (posix_memalign((void **) &buf, 4096, b->size) != 0)
		return NULL;
	memset(buf, 0, b->size);
	for (;;) {
		gint64 i = g_atomic_int_get(&b->failed) ? (gint64) b->count : __atomic_fetch_add(&b->next, 1, __ATOMIC_RELAXED);
		if ((uint64_t) i >= b->count)
			break;
		/* Same sequence as qemu-img bench: offset advances by step, modulo the image size. */
		uint64_t off = (b->offset + (uint64_t) i * b->step) % b->image_size;
		int ret = b->write ? block_pwrite(b->img, buf, b->size, off) : block_pread(b->img, buf, b->size, off);
		if (ret == 0 && b->write && b->flush_interval &&
		    (uint64_t) g_atomic_int_add(&b->writes_since_flush, 1) + 1 >= b->flush_interval) {
			g_atomic_int_set(&b->writes_since_flush, 0);
			ret = block_flush(b->img);
		}
		if (ret < 0)
			g_atomic_int_compare_and_exchange(&b->failed, 0, ret);
	}
	free(buf);
	return NULL;
}

static int
cmd_bench(int argc, char **argv)
{
	g_autofree char *fmt = NULL, *cache = NULL, *sz = NULL, *step = NULL, *offset = NULL, *aio = NULL;
	gint64 count = 75000, depth = 64, flush_interval = 0;
	gboolean write = FALSE, native = FALSE, no_drain = FALSE, force_share = FALSE;
	GOptionEntry entries[] = {
		{ "count", 'c', 0, G_OPTION_ARG_INT64, &count, "Number of requests (default 75000)", "N" },
		{ "depth", 'd', 0, G_OPTION_ARG_INT64, &depth, "Requests in flight (default 64), served by worker threads", "N" },
		{ "format", 'f', 0, G_OPTION_ARG_STRING, &fmt, "Image format (probed if omitted)", "FMT" },
		{ "offset", 'o', 0, G_OPTION_ARG_STRING, &offset, "First offset (default 0)", "OFFSET" },
		{ "size", 's', 0, G_OPTION_ARG_STRING, &sz, "Request size (default 4k)", "SIZE" },
		{ "step", 'S', 0, G_OPTION_ARG_STRING, &step, "Distance between requests (default: the request size)", "SIZE" },
		{ "cache", 't', 0, G_OPTION_ARG_STRING, &cache, "none (O_DIRECT) or writeback (default)", "MODE" },
		{ "write", 'w', 0, G_OPTION_ARG_NONE, &write, "Write instead of read", NULL },
		{ "flush-interval", 0, 0, G_OPTION_ARG_INT64, &flush_interval, "Flush after every N writes", "N" },
		{ "no-drain", 0, 0, G_OPTION_ARG_NONE, &no_drain, "Accepted for qemu-img compatibility", NULL },
		{ "native", 'n', 0, G_OPTION_ARG_NONE, &native, "Accepted for qemu-img compatibility", NULL },
		{ "aio", 'i', 0, G_OPTION_ARG_STRING, &aio, "Accepted for qemu-img compatibility", "MODE" },
		{ "force-share", 'U', 0, G_OPTION_ARG_NONE, &force_share, "Accepted for qemu-img compatibility", NULL },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print nothing", NULL },
		{ NULL }
	};
	Bench b = { 0 };
	BlockFormat format;
	unsigned flags = 0;

	if (!parse_options("bench", "FILE", "Run a simple I/O benchmark, with qemu-img bench's parameters and output.", entries, &argc, &argv))
		return 1;
	if (argc != 2)
		return fail("bench: expected one FILE");
	if (!format_arg(fmt, &format))
		return fail("Unknown file format '%s'", fmt);
	/* qemu-img bench's limits, so both accept the same command lines. */
	if (count < 1 || count > G_MAXINT || depth < 1 || depth > G_MAXINT || flush_interval < 0)
		return fail("Invalid request count, depth or flush interval");
	b.size = 4096;
	if (sz && (!parse_size(sz, &b.size) || b.size == 0 || b.size > (1u << 30)))
		return fail("Invalid buffer size '%s'", sz);
	b.step = b.size;
	if (step && (!parse_size(step, &b.step) || b.step > G_MAXINT))
		return fail("Invalid step size '%s': must be between 0 and %d", step, G_MAXINT);
	if (offset && !parse_size(offset, &b.offset))
		return fail("Invalid offset '%s'", offset);
	if (cache == NULL || strcmp(cache, "writeback") == 0 || strcmp(cache, "unsafe") == 0)
		;
	else if (strcmp(cache, "none") == 0 || strcmp(cache, "directsync") == 0)
		flags |= BLOCK_OPEN_DIRECT;
	else if (strcmp(cache, "writethrough") != 0)
		return fail("Invalid cache mode '%s'", cache);
	if (!write)
		flags |= BLOCK_OPEN_READ_ONLY;

	char *error = NULL;
	b.img = block_open_flags(argv[1], format, flags, &error);
	if (b.img == NULL) {
		int r = fail("%s", error ? error : "could not open the image");
		free(error);
		return r;
	}
	b.count = (uint64_t) count;
	b.write = write;
	b.flush_interval = (uint64_t) flush_interval;
	b.image_size = block_size(b.img);
	if (b.image_size < b.size || b.offset >= b.image_size) {
		block_close(b.img);
		return fail("Image is too small for requests of %" PRIu64 " bytes at offset %" PRIu64, b.size, b.offset);
	}

	if (!quiet)
		printf("Sending %" PRIu64 " %s requests, %" PRIu64 " bytes each, %" G_GINT64_FORMAT " in parallel "
		       "(starting at offset %" PRIu64 ", step size %" PRIu64 ")\n",
		       b.count, write ? "write" : "read", b.size, depth, b.offset, b.step);

	/* The depth is served by as many threads, each with one synchronous
	 * request in flight, so -d means what it means to qemu-img bench (one
	 * thread issuing the requests, the system calls done by a pool of up to
	 * 64 threads with aio=threads): that many requests in flight, no more.
	 * GLASSBOX_BENCH_THREADS overrides the number of threads. */
	int nthreads = (int) MIN(depth, 64);
	const char *env = g_getenv("GLASSBOX_BENCH_THREADS");
	if (env != NULL && atoi(env) > 0)
		nthreads = atoi(env);
	if (!quiet)
		printf("Requests served by %d threads, one synchronous request each\n", nthreads);
	GThread **threads = g_new0(GThread *, nthreads);
	gint64 t0 = g_get_monotonic_time();
	for (int i = 0; i < nthreads; i++)
		threads[i] = g_thread_new("bench", bench_worker, &b);
	for (int i = 0; i < nthreads; i++)
		g_thread_join(threads[i]);
	gint64 t1 = g_get_monotonic_time();
	g_free(threads);

	int ret = g_atomic_int_get(&b.failed);
	block_close(b.img);
	if (ret < 0)
		return fail("request failed: %s", strerror(-ret));
	if (!quiet)
		printf("Run completed in %.3f seconds.\n", (double) (t1 - t0) / 1e6);
	return 0;
}

/* ---- main --------------------------------------------------------------- */

static const char usage[] =
  "Usage: glassbox-img COMMAND [OPTIONS] ARGS\n"
	"\n"
	"Disk image tool of Glassbox, with qemu-img's shape.  Formats: qcow2, raw.\n"
	"\n"
	"Commands:\n"
	"  create [-f FMT] [-b BACKING [-F FMT]] [-o preallocation=MODE,cluster_size=SIZE] FILE [SIZE]\n"
	"  info [-f FMT] [--output=human|json] [--backing-chain] FILE\n"
	"  check [-f FMT] [-r leaks|all] [--output=human|json] FILE\n"
	"  convert [-f FMT] [-O FMT] [-o OPTIONS] [-p] SRC DST\n"
	"  resize [-f FMT] FILE [+]SIZE\n"
	"  snapshot [-f FMT] [-q] [-l | -a SNAPSHOT | -c SNAPSHOT | -d SNAPSHOT] FILE\n"
	"  bench [-c COUNT] [-d DEPTH] [-f FMT] [-o OFFSET] [-s SIZE] [-S STEP] [-t none|writeback] [-w] FILE\n"
	"\n"
	"SIZE takes the suffixes k, M, G, T, P, E (powers of 1024).\n"
	"'glassbox-img COMMAND --help' describes each command.  check exits 0 when\n"
	"the image is clean, 2 on corruptions, 3 when only leaked clusters remain.\n";

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return 1;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("glassbox-img %s\n", PACKAGE_VERSION);
		return 0;
	}
	argc--;
	argv++;
	if (strcmp(cmd, "create") == 0)  return cmd_create(argc, argv);
	if (strcmp(cmd, "info") == 0)    return cmd_info(argc, argv);
	if (strcmp(cmd, "check") == 0)   return cmd_check(argc, argv);
	if (strcmp(cmd, "convert") == 0) return cmd_convert(argc, argv);
	if (strcmp(cmd, "resize") == 0)  return cmd_resize(argc, argv);
	if (strcmp(cmd, "bench") == 0)   return cmd_bench(argc, argv);
	if (strcmp(cmd, "snapshot") == 0) return cmd_snapshot(argc, argv);
	return fail("Command not found: %s (try --help)", cmd);
}
