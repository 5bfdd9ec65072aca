/* fuzz-driver.c — runs a libFuzzer-style target (LLVMFuzzerTestOneInput)
 * without libFuzzer, so that every build (gcc, the ASan build) fuzzes.
 *
 * It has no coverage feedback: it replays the target's corpus (seeds and
 * the inputs of crashes found earlier), then mutates corpus entries at
 * random (bit flips, interesting values, inserted, deleted and copied
 * chunks, dictionary tokens, splices) for a bounded time.  Under
 * -Dfuzzing=true the same targets are also built with libFuzzer.
 *
 *   fuzz-NAME --tap --corpus DIR [--dict FILE] [--seconds N] [--seed S] [FILE…]
 *
 * A crash (a signal, a failed assertion, a GLib critical, a sanitizer
 * report with abort_on_error=1) writes the input that caused it to
 * $TMPDIR/gb-fuzz-crash-NAME-PID and prints that path; replay it with
 * `fuzz-NAME FILE`.  The seed of the random part is printed, and
 * --seed repeats the same run. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LEN 8192

static const char *name = FUZZ_NAME;
static char *corpus_dir, *dict_file;
static gint64 seconds = 2;
static gint64 seed_opt = -1;
static GPtrArray *corpus;    /* GBytes */
static GPtrArray *dict;      /* GBytes */
static GPtrArray *files;     /* char *, inputs named on the command line */

/* The input being run, for the crash handler. */
static const uint8_t *volatile cur_data;
static volatile size_t cur_size;
static char crash_path[256];

static void
on_crash(int sig)
{
	static const char msg[] = "fuzz: crash; input saved to ";
	int fd = open(crash_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd >= 0 && cur_data) {
		size_t done = 0;
		while (done < cur_size) {
			ssize_t n = write(fd, cur_data + done, cur_size - done);
			if (n <= 0)
				break;
			done += (size_t) n;
		}
		close(fd);
		if (write(2, msg, sizeof(msg) - 1) > 0 && write(2, crash_path, strlen(crash_path)) > 0)
			(void) !write(2, "\n", 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
run_one(const uint8_t *data, size_t size)
{
	/* A copy of exactly `size` bytes, so that ASan sees any over-read. */
	uint8_t *copy = g_memdup2(data, size ? size : 1);

	cur_data = copy;
	cur_size = size;
	LLVMFuzzerTestOneInput(copy, size);
	cur_data = NULL;
	g_free(copy);
}

/* libFuzzer's dictionary format: one "token" per line, with \\, \" and
 * \xNN escapes; # comments.  Optional name= before the quote. */
static void
load_dict(const char *path)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		g_error("cannot read dictionary %s", path);
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		char *q = strchr(*l, '"');
		GByteArray *tok;

		if (**l == '#' || q == NULL)
			continue;
		tok = g_byte_array_new();
		for (q++; *q && *q != '"'; q++) {
			guint8 c = (guint8) *q;

			if (*q == '\\' && q[1] == 'x' && g_ascii_isxdigit(q[2]) && g_ascii_isxdigit(q[3])) {
				c = (guint8) (g_ascii_xdigit_value(q[2]) * 16 + g_ascii_xdigit_value(q[3]));
				q += 3;
			} else if (*q == '\\' && q[1]) {
				c = (guint8) *++q;
			}
			g_byte_array_append(tok, &c, 1);
		}
		g_ptr_array_add(dict, g_byte_array_free_to_bytes(tok));
	}
}

static gint
compare_paths(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static void
load_corpus(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *n;

	if (d == NULL)
		g_error("cannot open corpus %s", dir);
	while ((n = g_dir_read_name(d)))
		g_ptr_array_add(names, g_build_filename(dir, n, NULL));
	g_ptr_array_sort(names, compare_paths);
	for (guint i = 0; i < names->len; i++) {
		const char *path = names->pdata[i];
		char *text;
		gsize len;

		if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
			load_corpus(path);   /* e.g. regressions/ */
			continue;
		}
		if (!g_file_get_contents(path, &text, &len, NULL))
			g_error("cannot read %s", path);
		g_ptr_array_add(corpus, g_bytes_new_take(text, len));
	}
}

static void
test_corpus(void)
{
	g_assert_cmpuint(corpus->len, >, 0);
	for (guint i = 0; i < corpus->len; i++) {
		gsize len;
		const uint8_t *p = g_bytes_get_data(corpus->pdata[i], &len);
		run_one(p, len);
	}
	g_test_message("%u corpus inputs ran", corpus->len);
}

static void
test_files(void)
{
	for (guint i = 0; i < files->len; i++) {
		g_autofree char *text = NULL;
		gsize len;

		g_assert_true(g_file_get_contents(files->pdata[i], &text, &len, NULL));
		g_test_message("running %s (%zu bytes)", (char *) files->pdata[i], len);
		run_one((const uint8_t *) text, len);
	}
}

static size_t
pick_chunk(GRand *r, size_t len, size_t *start)
{
	size_t n = 1 + (size_t) g_rand_int_range(r, 0, len < 32 ? (gint32) len : 32);

	if (n > len)
		n = len;
	*start = (size_t) g_rand_int_range(r, 0, (gint32) (len - n + 1));
	return n;
}

/* Insert `n` bytes at `at`, from `src` (NULL: random). */
static size_t
insert(GRand *r, uint8_t *buf, size_t len, size_t at, const uint8_t *src, size_t n)
{
	if (len + n > MAX_LEN)
		n = MAX_LEN - len;
	memmove(buf + at + n, buf + at, len - at);
	for (size_t i = 0; i < n; i++)
		buf[at + i] = src ? src[i] : (uint8_t) g_rand_int(r);
	return len + n;
}

static size_t
mutate(GRand *r, uint8_t *buf, size_t len)
{
	static const uint32_t interesting[] = {
		0, 1, 2, 7, 8, 12, 16, 0x7f, 0x80, 0xff, 0x100, 0x1000, 0x7fff, 0x8000, 0xffff,
		0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
	};
	int rounds = 1 + g_rand_int_range(r, 0, 8);

	for (int k = 0; k < rounds; k++) {
		size_t at = len ? (size_t) g_rand_int_range(r, 0, (gint32) len) : 0;
		size_t start, n;

		switch (g_rand_int_range(r, 0, 10)) {
		case 0:   /* flip a bit */
			if (len)
				buf[at] ^= (uint8_t) (1u << g_rand_int_range(r, 0, 8));
			break;
		case 1:   /* a random byte */
			if (len)
				buf[at] = (uint8_t) g_rand_int(r);
			break;
		case 2: { /* an interesting value, 1, 2 or 4 bytes, little-endian */
			uint32_t v = interesting[g_rand_int_range(r, 0, G_N_ELEMENTS(interesting))];
			size_t w = (size_t) 1 << g_rand_int_range(r, 0, 3);
			for (size_t i = 0; i < w && at + i < len; i++)
				buf[at + i] = (uint8_t) (v >> (8 * i));
			break;
		}
		case 3:   /* small arithmetic */
			if (len)
				buf[at] = (uint8_t) (buf[at] + g_rand_int_range(r, -16, 17));
			break;
		case 4:   /* insert random bytes */
			len = insert(r, buf, len, at, NULL, 1 + (size_t) g_rand_int_range(r, 0, 16));
			break;
		case 5:   /* delete a chunk */
			if (len) {
				n = pick_chunk(r, len, &start);
				memmove(buf + start, buf + start + n, len - start - n);
				len -= n;
			}
			break;
		case 6:   /* copy a chunk elsewhere */
			if (len) {
				uint8_t tmp[32];
				n = pick_chunk(r, len, &start);
				memcpy(tmp, buf + start, n);
				len = insert(r, buf, len, at, tmp, n);
			}
			break;
		case 7:
		case 8:   /* a dictionary token, inserted or written over */
			if (dict->len) {
				gsize tl;
				const uint8_t *t = g_bytes_get_data(dict->pdata[g_rand_int_range(r, 0, (gint32) dict->len)], &tl);
				if (g_rand_boolean(r) || at + tl > len)
					len = insert(r, buf, len, at, t, tl);
				else
					memcpy(buf + at, t, tl);
			}
			break;
		case 9: { /* splice: our head, another entry's tail */
			gsize ol;
			const uint8_t *o = g_bytes_get_data(corpus->pdata[g_rand_int_range(r, 0, (gint32) corpus->len)], &ol);
			size_t from = ol ? (size_t) g_rand_int_range(r, 0, (gint32) ol) : 0;
			n = ol - from;
			if (at + n > MAX_LEN)
				n = MAX_LEN - at;
			memcpy(buf + at, o + from, n);
			len = at + n;
			break;
		}
		}
	}
	return len;
}

static void
test_mutate(void)
{
	guint32 seed = seed_opt >= 0 ? (guint32) seed_opt : (guint32) g_get_real_time();
	g_autoptr(GRand) r = g_rand_new_with_seed(seed);
	gint64 end = g_get_monotonic_time() + seconds * G_USEC_PER_SEC;
	static uint8_t buf[MAX_LEN];
	guint64 runs = 0;

	g_test_message("seed %u (repeat with --seed %u), %" G_GINT64_FORMAT " s", seed, seed, seconds);
	do {
		for (int i = 0; i < 64; i++) {
			gsize len;
			const uint8_t *p = g_bytes_get_data(corpus->pdata[g_rand_int_range(r, 0, (gint32) corpus->len)], &len);

			len = MIN(len, MAX_LEN);
			memcpy(buf, p, len);
			len = mutate(r, buf, len);
			run_one(buf, len);
			runs++;
		}
	} while (g_get_monotonic_time() < end);
	g_test_message("%" G_GUINT64_FORMAT " inputs in %" G_GINT64_FORMAT " s", runs, seconds);
}

int
main(int argc, char **argv)
{
	GOptionEntry entries[] = {
		{ "corpus", 0, 0, G_OPTION_ARG_FILENAME, &corpus_dir, "seed inputs", "DIR" },
		{ "dict", 0, 0, G_OPTION_ARG_FILENAME, &dict_file, "libFuzzer dictionary", "FILE" },
		{ "seconds", 0, 0, G_OPTION_ARG_INT64, &seconds, "how long to mutate", "N" },
		{ "seed", 0, 0, G_OPTION_ARG_INT64, &seed_opt, "random seed", "S" },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("[FILE…] — fuzz " FUZZ_NAME);
	g_autoptr(GError) error = NULL;
	g_autofree char *testpath = NULL;
	struct sigaction sa = { .sa_handler = on_crash };

	g_test_init(&argc, &argv, NULL);
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error))
		g_error("%s", error->message);

	corpus = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
	dict = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
	files = g_ptr_array_new();
	for (int i = 1; i < argc; i++)
		g_ptr_array_add(files, argv[i]);
	if (corpus_dir)
		load_corpus(corpus_dir);
	if (dict_file)
		load_dict(dict_file);

	snprintf(crash_path, sizeof(crash_path), "%s/gb-fuzz-crash-%s-%d", g_get_tmp_dir(), name, (int) getpid());
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGABRT, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGTRAP, &sa, NULL);   /* a fatal GLib critical: G_BREAKPOINT */

	if (files->len) {
		testpath = g_strdup_printf("/fuzz/%s/files", name);
		g_test_add_func(testpath, test_files);
		return g_test_run();
	}
	if (corpus->len == 0)
		g_error("no corpus: give --corpus DIR");
	testpath = g_strdup_printf("/fuzz/%s/corpus", name);
	g_test_add_func(testpath, test_corpus);
	g_free(testpath);
	testpath = g_strdup_printf("/fuzz/%s/mutate", name);
	g_test_add_func(testpath, test_mutate);
	return g_test_run();
}
