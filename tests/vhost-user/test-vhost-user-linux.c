/* test-vhost-user-linux.c — Linux's own virtio_blk driver against our
 * virtio-blk, served by `glassbox-vmm vhost-user-blk` to QEMU (TCG).
 *
 * The guest is a Debian kernel with a busybox initramfs
 * (tests/linux-guest/build-guest.sh) plus mke2fs, e2fsck, fstrim and
 * util-linux's fallocate from the host; each test boots it with one of the
 * scripts in tests/vhost-user/guest/, which print "GB: key value" lines on
 * the serial console.  The host then checks the image with qemu-img and
 * glassbox-img.  A test that cannot run here (no kernel package, no QEMU)
 * skips and says why.
 */
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "gb-test-utils.h"
#include "vhost-user-test-util.h"

#define GUEST_TIMEOUT_MS (180 * 1000)   /* one TCG boot, on a loaded machine */

static char *guest_dir;       /* vmlinuz + initramfs.img, built once */
static char *guest_skip;      /* why the guest cannot be built here */

static void
build_guest(void)
{
	const char *src = g_getenv("G_TEST_SRCDIR");
	g_autofree char *gdir = g_build_filename(src, "vhost-user", "guest", NULL);
	const char *names[] = { "ext4-fill.sh", "ext4-verify.sh", "zeroes.sh", "read-only.sh", "write-forever.sh" };
	g_autoptr(GPtrArray) scripts = g_ptr_array_new_with_free_func(g_free);

	if (!gb_test_have_program("qemu-system-x86_64")) {
		guest_skip = g_strdup("qemu-system-x86_64 (package qemu-system-x86) is not installed");
		return;
	}
	for (unsigned int i = 0; i < 4; i++) {
		const char *tools[] = { "/sbin/mke2fs", "/sbin/e2fsck", "/sbin/fstrim", "/usr/bin/fallocate" };

		if (!g_file_test(tools[i], G_FILE_TEST_IS_EXECUTABLE)) {
			guest_skip = g_strdup_printf("%s is not installed (packages e2fsprogs, util-linux)", tools[i]);
			return;
		}
	}

	guest_dir = gb_test_tmpdir_new("gb-vhost-guest-XXXXXX");
	for (unsigned int i = 0; i < G_N_ELEMENTS(names); i++)
		g_ptr_array_add(scripts, g_build_filename(gdir, names[i], NULL));
	g_ptr_array_add(scripts, NULL);
	gb_test_build_linux_guest(guest_dir, (const char *const *) scripts->pdata,
	                          "/sbin/mke2fs /sbin/e2fsck /sbin/fstrim /usr/bin/fallocate", &guest_skip);
}

/* Per test: a private directory, removed at the end. */
typedef struct {
	char *dir;
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
	f->dir = gb_test_tmpdir_new("gb-vhost-XXXXXX");
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
	gb_test_tmpdir_remove(f->dir);
	g_free(f->dir);
}

static char *
path_in(Fixture *f, const char *name)
{
	return g_build_filename(f->dir, name, NULL);
}

static gboolean
need_guest(void)
{
	if (guest_skip) {
		g_test_skip(guest_skip);
		return FALSE;
	}
	return TRUE;
}

/* Boots the guest with `script` against the back-end and waits for it to
 * power off.  Returns the serial output. */
static char *
boot_guest(Fixture *f, Backend *b, const char *script)
{
	g_autofree char *serial_path = g_strdup_printf("%s/serial-%s.txt", f->dir, script);
	g_autofree char *err_path = g_strdup_printf("%s/qemu-%s.err", f->dir, script);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) qemu = NULL;
	char *serial = NULL;
	gint64 start = g_get_monotonic_time();

	qemu = qemu_start(guest_dir, b->socket_path, script, serial_path, err_path, FALSE, &error);
	g_assert_no_error(error);
	g_assert_true(proc_wait(qemu, GUEST_TIMEOUT_MS));
	g_file_get_contents(serial_path, &serial, NULL, NULL);
	g_test_message("%s: guest ran %.1f s", script, (g_get_monotonic_time() - start) / 1e6);
	if (serial == NULL || strstr(serial, "GLASSBOX-GUEST-DONE 0") == NULL) {
		g_autofree char *qerr = NULL;
		g_autofree char *berr = backend_stderr(b);

		g_file_get_contents(err_path, &qerr, NULL, NULL);
		g_test_message("serial:\n%s\nqemu stderr:\n%s\nbackend stderr:\n%s", serial, qerr, berr);
	}
	g_assert_nonnull(serial);
	g_assert_nonnull(strstr(serial, "GLASSBOX-GUEST-DONE 0"));
	g_assert_true(g_subprocess_get_if_exited(qemu));
	g_assert_cmpint(g_subprocess_get_exit_status(qemu), ==, 0);
	return serial;
}

static void
assert_guest(const char *serial, const char *key, const char *expected)
{
	g_autofree char *value = guest_value(serial, key);

	if (g_strcmp0(value, expected) != 0)
		g_test_message("guest said \"%s %s\", expected \"%s\"", key, value ? value : "(nothing)", expected);
	g_assert_cmpstr(value, ==, expected);
}

static guint64
guest_number(const char *serial, const char *key)
{
	g_autofree char *value = guest_value(serial, key);

	g_assert_nonnull(value);
	return g_ascii_strtoull(value, NULL, 10);
}

static void
create_qcow2(const char *path, const char *size)
{
	const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", path, size, NULL };

	g_assert_cmpint(host_run(NULL, argv), ==, 0);
}

static char *
glassbox_img(void)
{
	return g_build_filename(g_getenv("G_TEST_BUILDDIR"), "..", "hypervisor", "img", "glassbox-img", NULL);
}

/* qemu-img check and glassbox-img check agree the image is clean; with
 * `leaks_ok` leaked clusters (exit 3) are accepted, corruption never. */
static void
assert_image_consistent(const char *image, gboolean leaks_ok)
{
	g_autofree char *gbimg = glassbox_img();
	const char *qargv[] = { "qemu-img", "check", "-f", "qcow2", image, NULL };
	const char *gargv[] = { gbimg, "check", "-f", "qcow2", image, NULL };
	g_autofree char *qout = NULL, *gout = NULL;
	int q = host_run(&qout, qargv);
	int g = host_run(&gout, gargv);

	g_test_message("qemu-img check: %d\n%s\nglassbox-img check: %d\n%s", q, qout, g, gout);
	if (leaks_ok) {
		g_assert_true(q == 0 || q == 3);
		g_assert_true(g == 0 || g == 3);
	} else {
		g_assert_cmpint(q, ==, 0);
		g_assert_cmpint(g, ==, 0);
	}
}

/* The checksum the guest printed for `name` ("GB: sum <sha256>  <name>"). */
static char *
guest_sum(const char *serial, const char *name)
{
	g_auto(GStrv) lines = g_strsplit(serial, "\n", -1);

	for (unsigned int i = 0; lines[i]; i++) {
		g_auto(GStrv) words = g_strsplit_set(g_strstrip(lines[i]), " ", -1);

		if (g_strv_length(words) == 5 && g_str_equal(words[0], "GB:") && g_str_equal(words[1], "sum") &&
		    g_str_equal(words[4], name))
			return g_strdup(words[2]);
	}
	g_assert_not_reached();
}

static char *
sha256_of_file_range(const char *path, goffset offset, gsize len)
{
	g_autoptr(GMappedFile) map = g_mapped_file_new(path, FALSE, NULL);

	g_assert_nonnull(map);
	g_assert_cmpuint(g_mapped_file_get_length(map), >=, offset + len);
	return g_compute_checksum_for_data(G_CHECKSUM_SHA256,
	                                   (const guchar *) g_mapped_file_get_contents(map) + offset, len);
}

/* mkfs.ext4, files, sync, umount, fsck, remount, verify, fstrim — then a
 * second boot against the same back-end process (it has reconnected) finds
 * everything intact, and the host agrees byte for byte. */
static void
test_ext4_qcow2(Fixture *f, gconstpointer data)
{
	g_autofree char *image = path_in(f, "disk.qcow2");
	g_autofree char *raw_gb = path_in(f, "disk-glassbox.raw");
	g_autofree char *serial1 = NULL, *serial2 = NULL, *trimmed = NULL;
	g_autofree char *berr = NULL, *gbimg = glassbox_img();
	g_autoptr(Backend) b = NULL;
	const char *pid;

	if (!need_guest())
		return;
	create_qcow2(image, "256M");
	b = backend_start(f->dir, image);
	g_assert_nonnull(b);
	pid = g_subprocess_get_identifier(b->proc);

	serial1 = boot_guest(f, b, "ext4-fill.sh");
	assert_guest(serial1, "write-cache", "write back");   /* VIRTIO_BLK_F_FLUSH negotiated */
	assert_guest(serial1, "fsck", "clean");
	assert_guest(serial1, "verify", "ok");
	g_assert_cmpuint(guest_number(serial1, "flushes"), >, 0);  /* flush requests completed */
	g_assert_cmpuint(guest_number(serial1, "discards"), >, 0);
	trimmed = guest_value(serial1, "fstrim");
	g_assert_nonnull(trimmed);
	g_assert_nonnull(strstr(trimmed, "trimmed"));
	g_assert_null(strstr(trimmed, "(0 bytes)"));

	/* Same process, new front-end: the server kept listening. */
	g_assert_cmpstr(g_subprocess_get_identifier(b->proc), ==, pid);
	serial2 = boot_guest(f, b, "ext4-verify.sh");
	assert_guest(serial2, "fsck", "clean");
	assert_guest(serial2, "verify", "ok");

	berr = backend_stderr(b);
	g_assert_nonnull(strstr(berr, "front-end disconnected"));
	g_assert_cmpint(backend_stop(b), ==, 0);

	assert_image_consistent(image, FALSE);

	/* glassbox-img's reading of the image equals qemu-img's. */
	{
		const char *conv[] = { gbimg, "convert", "-f", "qcow2", "-O", "raw", image, raw_gb, NULL };
		const char *cmp[] = { "qemu-img", "compare", "-f", "qcow2", "-F", "raw", image, raw_gb, NULL };

		g_assert_cmpint(host_run(NULL, conv), ==, 0);
		g_assert_cmpint(host_run(NULL, cmp), ==, 0);
	}

	/* And the files the guest wrote are in it, with the guest's checksums
	 * (debugfs reads ext4 without mounting). */
	for (unsigned int i = 0; i < 2; i++) {
		const char *name = i == 0 ? "odd" : "dir/small7";
		g_autofree char *out = path_in(f, "dumped");
		g_autofree char *req = g_strdup_printf("dump /%s %s", name, out);
		const char *dbg[] = { "debugfs", "-R", req, raw_gb, NULL };
		g_autofree char *content = NULL, *got = NULL, *want = guest_sum(serial1, name);
		gsize len;

		g_assert_cmpint(host_run(NULL, dbg), ==, 0);
		g_assert_true(g_file_get_contents(out, &content, &len, NULL));
		got = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *) content, len);
		g_assert_cmpstr(got, ==, want);
		g_unlink(out);
	}
}

/* Write-zeroes (with and without unmap), discard and flush requests all
 * reach our device, and the engine records them as zero clusters. */
static void
test_zeroes_and_flush(Fixture *f, gconstpointer data)
{
	g_autofree char *image = path_in(f, "zero.qcow2");
	g_autofree char *raw = path_in(f, "zero.raw");
	g_autofree char *serial = NULL, *map = NULL, *tail_sum = NULL, *got = NULL;
	g_autoptr(Backend) b = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonArray *extents;

	if (!need_guest())
		return;
	create_qcow2(image, "64M");
	b = backend_start(f->dir, image);
	g_assert_nonnull(b);
	serial = boot_guest(f, b, "zeroes.sh");

	g_assert_cmpuint(guest_number(serial, "write-zeroes-max"), >, 0);  /* VIRTIO_BLK_F_WRITE_ZEROES */
	/* A block-device hole punch has no fallback: it succeeds only through
	 * VIRTIO_BLK_T_WRITE_ZEROES. */
	assert_guest(serial, "punch", "ok");
	assert_guest(serial, "zero-range", "ok");
	assert_guest(serial, "discard", "ok");
	assert_guest(serial, "zeroes", "read back");
	assert_guest(serial, "untouched", "data intact");
	g_assert_cmpuint(guest_number(serial, "flushes"), >, 0);
	g_assert_cmpint(backend_stop(b), ==, 0);

	assert_image_consistent(image, FALSE);

	/* The engine wrote zero clusters, not 8 MiB of zero bytes. */
	{
		const char *argv[] = { "qemu-img", "map", "--output=json", "-f", "qcow2", image, NULL };

		g_assert_cmpint(host_run(&map, argv), ==, 0);
	}
	g_assert_true(json_parser_load_from_data(parser, map, -1, &error));
	extents = json_node_get_array(json_parser_get_root(parser));
	for (guint i = 0; i < json_array_get_length(extents); i++) {
		JsonObject *e = json_array_get_object_element(extents, i);
		gint64 start = json_object_get_int_member(e, "start");

		if (start < 12 << 20) {   /* punched, zeroed, discarded */
			g_assert_true(json_object_get_boolean_member(e, "zero"));
			g_assert_false(json_object_get_boolean_member(e, "data"));
		}
	}

	/* qemu-img reads the same bytes the guest left there. */
	{
		const char *argv[] = { "qemu-img", "convert", "-f", "qcow2", "-O", "raw", image, raw, NULL };
		g_autofree char *zero = g_malloc0(12 << 20);
		g_autofree char *want_zero = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *) zero, 12 << 20);
		g_autofree char *got_zero = NULL;

		g_assert_cmpint(host_run(NULL, argv), ==, 0);
		got_zero = sha256_of_file_range(raw, 0, 12 << 20);
		g_assert_cmpstr(got_zero, ==, want_zero);
	}
	tail_sum = guest_value(serial, "tail-sum");
	got = sha256_of_file_range(raw, 12 << 20, 4 << 20);
	g_assert_cmpstr(got, ==, tail_sum);
}

/* readonly=on: the guest sees a read-only disk, reads it, and cannot
 * change a byte of it. */
static void
test_read_only(Fixture *f, gconstpointer data)
{
	g_autofree char *image = path_in(f, "ro.raw");
	g_autofree char *content_dir = path_in(f, "content");
	g_autofree char *hello = g_build_filename(content_dir, "hello", NULL);
	g_autofree char *spec = NULL, *serial = NULL, *before = NULL, *after = NULL;
	g_autofree char *hello_sum = NULL, *file = NULL;
	g_autoptr(Backend) b = NULL;
	gsize len;
	const char *mkfs[] = { "/sbin/mke2fs", "-q", "-t", "ext4", "-d", content_dir, image, "32M", NULL };

	if (!need_guest())
		return;
	g_assert_cmpint(g_mkdir(content_dir, 0700), ==, 0);
	g_assert_true(g_file_set_contents(hello, "Hello from the host, read-only.\n", -1, NULL));
	g_assert_cmpint(host_run(NULL, mkfs), ==, 0);
	g_assert_true(g_file_get_contents(image, &file, &len, NULL));
	before = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *) file, len);
	g_clear_pointer(&file, g_free);

	spec = g_strdup_printf("%s,format=raw,readonly=on", image);
	b = backend_start(f->dir, spec);
	g_assert_nonnull(b);
	serial = boot_guest(f, b, "read-only.sh");
	assert_guest(serial, "ro", "1");
	assert_guest(serial, "raw", "write refused");
	assert_guest(serial, "mount", "ok");
	assert_guest(serial, "file", "write refused");
	assert_guest(serial, "remount", "rw refused");
	hello_sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "Hello from the host, read-only.\n", -1);
	assert_guest(serial, "hello", hello_sum);
	g_assert_cmpint(backend_stop(b), ==, 0);

	g_assert_true(g_file_get_contents(image, &file, &len, NULL));
	after = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *) file, len);
	g_assert_cmpstr(after, ==, before);
}

/* The back-end is killed (SIGKILL, by PID) while the guest writes: QEMU
 * reports the lost back-end and the qcow2 image is not corrupt.  A new
 * back-end on the same socket and image takes over: QEMU reconnects, the
 * guest's writes carry on to the end, and every chunk is on the disk. */
static void
test_kill_mid_io(Fixture *f, gconstpointer data)
{
	g_autofree char *image = path_in(f, "kill.qcow2");
	g_autofree char *raw = path_in(f, "kill.raw");
	g_autofree char *serial_path = path_in(f, "serial-kill.txt");
	g_autofree char *err_path = path_in(f, "qemu-kill.err");
	g_autofree char *serial = NULL, *qerr = NULL, *chunk_sum = NULL;
	g_autoptr(Backend) b = NULL;
	g_autoptr(Backend) b2 = NULL;
	g_autoptr(GSubprocess) qemu = NULL;
	g_autoptr(GError) error = NULL;
	const char *convert[] = { "qemu-img", "convert", "-f", "qcow2", "-O", "raw", image, raw, NULL };

	if (!need_guest())
		return;
	create_qcow2(image, "128M");
	b = backend_start(f->dir, image);
	g_assert_nonnull(b);
	qemu = qemu_start(guest_dir, b->socket_path, "write-forever.sh", serial_path, err_path, TRUE, &error);
	g_assert_no_error(error);

	g_assert_true(file_wait_for(serial_path, "GB: chunk 5", GUEST_TIMEOUT_MS));
	g_subprocess_send_signal(b->proc, SIGKILL);   /* the next chunks are in flight */
	g_assert_true(proc_wait(b->proc, 10000));

	/* QEMU notices the socket closing and says so on stderr. */
	g_assert_true(file_wait_for(err_path, "vhost", 30000));
	g_file_get_contents(err_path, &qerr, NULL, NULL);
	g_test_message("qemu after the kill: %s", qerr);

	/* What the dead back-end left is consistent (leaks allowed), and the
	 * chunks the guest had made durable are there. */
	assert_image_consistent(image, TRUE);
	g_file_get_contents(serial_path, &serial, NULL, NULL);
	chunk_sum = guest_value(serial, "chunk-sum");
	g_assert_nonnull(chunk_sum);
	g_assert_cmpint(host_run(NULL, convert), ==, 0);
	for (int i = 0; i < 5; i++) {
		g_autofree char *got = sha256_of_file_range(raw, (goffset) i << 22, 4 << 20);

		g_assert_cmpstr(got, ==, chunk_sum);
	}
	g_unlink(raw);

	/* A new back-end: QEMU redials, re-sends everything, and the guest's
	 * stalled request is served. */
	b2 = backend_start(f->dir, image);
	g_assert_nonnull(b2);
	g_assert_true(proc_wait(qemu, GUEST_TIMEOUT_MS));
	g_clear_pointer(&serial, g_free);
	g_file_get_contents(serial_path, &serial, NULL, NULL);
	if (strstr(serial, "GLASSBOX-GUEST-DONE 0") == NULL)
		g_test_message("serial:\n%s", serial);
	assert_guest(serial, "finished", "60");
	g_assert_nonnull(strstr(serial, "GLASSBOX-GUEST-DONE 0"));
	g_assert_cmpint(backend_stop(b2), ==, 0);

	assert_image_consistent(image, TRUE);
	g_assert_cmpint(host_run(NULL, convert), ==, 0);
	for (int i = 0; i < 30; i++) {
		g_autofree char *got = sha256_of_file_range(raw, (goffset) i << 22, 4 << 20);

		g_assert_cmpstr(got, ==, chunk_sum);
	}
}

int
main(int argc, char **argv)
{
	int status;

	g_test_init(&argc, &argv, NULL);
	build_guest();
	if (guest_skip)
		g_printerr("# skipping the Linux guests: %s\n", guest_skip);

	g_test_add("/vhost-user/linux/ext4-qcow2", Fixture, NULL, fixture_set_up, test_ext4_qcow2, fixture_tear_down);
	g_test_add("/vhost-user/linux/write-zeroes-flush", Fixture, NULL, fixture_set_up, test_zeroes_and_flush, fixture_tear_down);
	g_test_add("/vhost-user/linux/read-only", Fixture, NULL, fixture_set_up, test_read_only, fixture_tear_down);
	g_test_add("/vhost-user/linux/kill-and-restart", Fixture, NULL, fixture_set_up, test_kill_mid_io, fixture_tear_down);
	status = g_test_run();

	if (guest_dir)
		gb_test_tmpdir_remove(guest_dir);
	return status;
}
