/* test-vmm.c — glassbox-vmm as a user sees it: boot a tiny guest, read
 * what it printed, drive it through the control socket, check the disk
 * with QEMU's own tools afterwards. */
#include <glib/gstdio.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "gb-test-utils.h"
#include "vmm-test-util.h"

static void
assert_contains(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) == NULL)
		g_error("expected to find \"%s\" in:\n%s", needle, haystack);
}

static void
test_hello(void)
{
	int status = -1;
	g_autofree char *serial = vmm_run_guest("hello", NULL, &status);

	g_assert_cmpint(status, ==, 0);
	g_assert_cmpstr(serial, ==, "hello from a glassbox guest\n");
}

/* --serial stdio (the default): the guest's COM1 is our stdout. */
static void
test_serial_stdio(void)
{
	g_autofree char *vmm = vmm_binary(), *guest = guest_path("hello");
	g_autofree char *out = NULL;
	g_autoptr(GError) error = NULL;
	const char *argv[] = { vmm, "run", "--kernel", guest, "--memory", "16", NULL };
	g_autoptr(GSubprocess) p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);

	g_assert_no_error(error);
	g_subprocess_communicate_utf8(p, NULL, NULL, &out, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_subprocess_get_exit_status(p), ==, 0);
	g_assert_cmpstr(out, ==, "hello from a glassbox guest\n");
}

/* --serial pty: the VMM names the pseudo-terminal on stderr; whoever opens
 * it talks to COM1 both ways. */
static void
test_serial_pty(void)
{
	const char *extra[] = { "--serial", "pty", NULL };
	g_autoptr(VmmRun) run = vmm_spawn("serial-echo", extra, TRUE);
	g_autoptr(ApiClient) api = api_connect(run->socket_path);
	g_autoptr(JsonObject) r = NULL;
	g_autofree char *err = vmm_stderr(run);
	g_autofree char *pts = NULL;
	GString *got = g_string_new(NULL);
	const char *at = strstr(err, "serial on ");
	int fd, status = -1;

	g_assert_nonnull(at);
	pts = g_strndup(at + 10, strcspn(at + 10, "\n"));
	fd = open(pts, O_RDWR | O_NOCTTY);
	g_assert_cmpint(fd, >=, 0);
	r = api_call(api, "resume");
	g_assert_true(json_object_has_member(r, "return"));
	while (!strstr(got->str, "serial echo ready\n")) {
		char buf[64];
		ssize_t n = read(fd, buf, sizeof(buf));
		g_assert_cmpint(n, >, 0);
		g_string_append_len(got, buf, n);
	}
	g_assert_cmpint(write(fd, "q", 1), ==, 1);
	g_assert_true(vmm_wait(run, 30000, &status));
	g_assert_cmpint(status, ==, 0);
	close(fd);
	g_string_free(got, TRUE);
}

static int
connect_unix(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint(fd, >=, 0);
	g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
	g_assert_cmpint(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
	return fd;
}

/* Reads from @fd until @needle has arrived (or the guest went quiet). */
static void
read_until(int fd, const char *needle)
{
	g_autoptr(GString) got = g_string_new(NULL);
	struct timeval tv = { .tv_sec = 20 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (!strstr(got->str, needle)) {
		char buf[64];
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n <= 0)
			g_error("serial socket: \"%s\" did not arrive; got \"%s\"", needle, got->str);
		g_string_append_len(got, buf, n);
	}
}

/* --serial socket=PATH: what the app's console uses.  One client at a time,
 * both ways, 0600, and a client can leave and come back. */
static void
test_serial_socket(void)
{
	g_autofree char *dir = g_dir_make_tmp("glassbox-serial-sock-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "serial.sock", NULL);
	g_autofree char *arg = g_strconcat("--serial=socket=", path, NULL);
	const char *extra[] = { arg, NULL };
	g_autoptr(VmmRun) run = vmm_spawn("serial-echo", extra, TRUE);
	g_autoptr(ApiClient) api = api_connect(run->socket_path);
	g_autoptr(JsonObject) r = NULL;
	struct stat st;
	char c;
	int fd, second, status = -1;

	g_assert_cmpint(stat(path, &st), ==, 0);
	g_assert_true(S_ISSOCK(st.st_mode));
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);

	fd = connect_unix(path);
	/* The second one is accepted and closed at once: it reads end of file. */
	second = connect_unix(path);
	g_assert_cmpint(read(second, &c, 1), ==, 0);
	close(second);

	r = api_call(api, "resume");
	g_assert_true(json_object_has_member(r, "return"));
	read_until(fd, "serial echo ready\n");
	g_assert_cmpint(write(fd, "a", 1), ==, 1);
	read_until(fd, "got a\n");

	/* Leave and come back: the line is free again. */
	close(fd);
	g_usleep(100 * 1000);
	fd = connect_unix(path);
	g_assert_cmpint(write(fd, "b", 1), ==, 1);
	read_until(fd, "got b\n");
	g_assert_cmpint(write(fd, "q", 1), ==, 1);
	g_assert_true(vmm_wait(run, 30000, &status));
	g_assert_cmpint(status, ==, 0);
	close(fd);
	/* Removed at exit, like the control socket. */
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	g_rmdir(dir);
}

/* COM1 input is interrupt-driven: bytes on our stdin reach the guest's
 * IRQ 4 handler. */
static void
test_serial_input(void)
{
	g_autofree char *vmm = vmm_binary(), *guest = guest_path("serial-echo");
	g_autofree char *out = NULL;
	g_autoptr(GError) error = NULL;
	const char *argv[] = { vmm, "run", "--kernel", guest, "--memory", "16", NULL };
	g_autoptr(GSubprocess) p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
	                                                   G_SUBPROCESS_FLAGS_STDIN_PIPE, &error);
	GDataInputStream *in;
	g_autofree char *first = NULL;

	g_assert_no_error(error);
	in = g_data_input_stream_new(g_subprocess_get_stdout_pipe(p));
	first = g_data_input_stream_read_line_utf8(in, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(first, ==, "serial echo ready");
	g_assert_true(g_output_stream_write_all(g_subprocess_get_stdin_pipe(p), "hiq", 3, NULL, NULL, &error));
	g_output_stream_flush(g_subprocess_get_stdin_pipe(p), NULL, NULL);
	out = g_data_input_stream_read_upto(in, "", 0, NULL, NULL, &error);
	g_assert_true(g_subprocess_wait(p, NULL, &error));
	g_assert_cmpint(g_subprocess_get_exit_status(p), ==, 0);
	g_assert_cmpstr(out, ==, "got h\ngot i\ngot q\n");
	g_object_unref(in);
}

/* --ksm (private, mergeable RAM) boots; --hugepages boots or says what to do. */
static void
test_memory_options(void)
{
	g_autoptr(VmmRun) run = NULL;
	g_autofree char *serial = NULL, *err = NULL;
	const char *ksm[] = { "--ksm", NULL };
	const char *huge[] = { "--hugepages", NULL };
	int status = -1;

	serial = vmm_run_guest("hello", ksm, &status);
	g_assert_cmpint(status, ==, 0);
	g_assert_cmpstr(serial, ==, "hello from a glassbox guest\n");
	g_clear_pointer(&serial, g_free);

	run = vmm_spawn("hello", huge, FALSE);
	g_assert_true(vmm_wait(run, 30000, &status));
	if (status == 0) {
		serial = vmm_serial(run);
		g_assert_cmpstr(serial, ==, "hello from a glassbox guest\n");
	} else {
		err = vmm_stderr(run);
		g_assert_cmpint(status, ==, 2);
		assert_contains(err, "--hugepages: cannot map 32 MiB of 2 MiB pages; reserve them in /proc/sys/vm/nr_hugepages");
		g_test_message("no huge pages reserved here: %s", err);
	}
}

static char *
make_disk(const char *dir, const char *name, const char *sector0, gsize size)
{
	char *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;

	g_file_set_contents(path, sector0, -1, &error);
	g_assert_no_error(error);
	g_assert_cmpint(truncate(path, size), ==, 0);
	return path;
}

static void
test_pci_enum(void)
{
	g_autofree char *dir = gb_test_tmpdir_new("gb-vmm-XXXXXX");
	g_autofree char *disk = make_disk(dir, "d.raw", "x", 1 << 20);
	g_autofree char *disk_arg = g_strconcat("--disk=path=", disk, ",format=raw", NULL);
	g_autofree char *con = g_build_filename(dir, "console.txt", NULL);
	g_autofree char *con_arg = g_strconcat("--console=file=", con, NULL);
	const char *extra[] = { disk_arg, con_arg, NULL };
	int status = -1;
	g_autofree char *serial = vmm_run_guest("pci-enum", extra, &status);

	g_assert_cmpint(status, ==, 0);
	/* Host bridge, then our devices in command-line order, with the modern
	 * virtio IDs (0x1040 + device type), one 32 KiB memory BAR in the PCI
	 * window, a PCI INTx line, and every virtio capability plus MSI-X
	 * (one vector per queue + config). */
	assert_contains(serial, "pci 00:00.0 8086:1237 class 060000");
	assert_contains(serial, "pci 00:01.0 1af4:1042 class 018000 rev 01 bar0 e0000000 size 00008000 irq 17 "
	                        "caps common@bar0+0000 notify@bar0+3000 isr@bar0+1000 device@bar0+2000 "
	                        "pci-cfg@bar0+0000 msix/2 numq 1\n");
	assert_contains(serial, "pci 00:02.0 1af4:1043 class 078000 rev 01 bar0 e0008000 size 00008000 irq 18 "
	                        "caps common@bar0+0000 notify@bar0+3000 isr@bar0+1000 device@bar0+2000 "
	                        "pci-cfg@bar0+0000 msix/3 numq 2\n");
	assert_contains(serial, "pci 00:03.0 1af4:1044 class 00ff00 rev 01 bar0 e0010000 size 00008000 irq 19 "
	                        "caps common@bar0+0000 notify@bar0+3000 isr@bar0+1000 pci-cfg@bar0+0000 msix/2 numq 1\n");
	assert_contains(serial, "pci scan done");
	g_assert_null(strstr(serial, "pci 00:04.0"));
	gb_test_tmpdir_remove(dir);
}

/* The guest moves a BAR: registers and notifications follow it, and the
 * old address no longer answers. */
static void
test_bar_move(void)
{
	int status = -1;
	g_autofree char *serial = vmm_run_guest("bar-move", NULL, &status);

	g_assert_cmpint(status, ==, 0);
	g_assert_cmpstr(serial, ==, "bar0 now e8000000, old address reads ffff\nrng via moved BAR: 16 bytes\n");
}

static gboolean
run_tool(const char *const *argv, char **out)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
	                                                   G_SUBPROCESS_FLAGS_STDERR_MERGE, &error);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(p, NULL, NULL, out, NULL, &error);
	g_assert_no_error(error);
	return g_subprocess_get_if_exited(p) && g_subprocess_get_exit_status(p) == 0;
}

static void
test_virtio_blk_qcow2(void)
{
	g_autofree char *qemu_img = g_find_program_in_path("qemu-img");
	g_autofree char *qemu_io = g_find_program_in_path("qemu-io");
	g_autofree char *dir = NULL, *raw = NULL, *qcow2 = NULL, *disk_arg = NULL, *serial = NULL;
	g_autofree char *out = NULL, *out2 = NULL, *out3 = NULL;
	int status = -1;

	if (!qemu_img || !qemu_io) {
		g_test_skip("qemu-img/qemu-io not installed: they are the independent check of the qcow2 file");
		return;
	}
	dir = gb_test_tmpdir_new("gb-vmm-XXXXXX");
	raw = make_disk(dir, "s.raw", "GLASSBOX-SECTOR0 marker", 16 << 20);
	qcow2 = g_build_filename(dir, "d.qcow2", NULL);
	{
		const char *argv[] = { qemu_img, "convert", "-f", "raw", "-O", "qcow2", raw, qcow2, NULL };
		g_assert_true(run_tool(argv, &out));
	}
	disk_arg = g_strconcat("--disk=path=", qcow2, ",format=qcow2,serial=gb-disk-7", NULL);
	{
		const char *extra[] = { disk_arg, NULL };
		serial = vmm_run_guest("virtio-blk", extra, &status);
	}
	g_assert_cmpint(status, ==, 0);
	assert_contains(serial, "capacity 32768 sectors\n");
	assert_contains(serial, "read status 0\nsector0: GLASSBOX-SECTOR0\n");
	assert_contains(serial, "write status 0\n");
	assert_contains(serial, "flush status 0\n");
	assert_contains(serial, "get-id status 0\nserial: gb-disk-7\n");
	assert_contains(serial, "read-past-end status 1\n");
	assert_contains(serial, "write-2m status 0\nwrite-zeroes status 0\ndiscard status 0\n");
	/* No MSI-X set up: completions raised the legacy interrupt, ISR bit 0. */
	assert_contains(serial, "isr 1\n");

	/* QEMU's tools agree: the image is consistent and holds the pattern. */
	{
		const char *argv[] = { qemu_img, "check", "-f", "qcow2", qcow2, NULL };
		g_assert_true(run_tool(argv, &out2));
		assert_contains(out2, "No errors were found");
	}
	{
		const char *argv[] = { qemu_io, "-f", "qcow2", "-c", "read -P 0xa5 1M 4k", "-c", "read -P 0 1052672 4k",
		                       "-c", "read -P 0 2M 4k", "-c", "read -P 0 3M 4k", qcow2, NULL };
		g_assert_true(run_tool(argv, &out3));
		g_assert_null(strstr(out3, "verification failed"));
		assert_contains(out3, "read 4096/4096 bytes at offset 1048576");
	}
	gb_test_tmpdir_remove(dir);
}

/* query-stats counts the data a virtio-blk queue moved, exactly: the
 * guest reads one sector and writes two 4 KiB blocks; its flush, GET_ID,
 * failed read past the end, write-zeroes and discard move no disk data. */
static void
test_virtio_blk_stats(void)
{
	g_autofree char *dir = gb_test_tmpdir_new("gb-vmm-XXXXXX");
	g_autofree char *disk = make_disk(dir, "s.raw", "GLASSBOX-SECTOR0 marker", 16 << 20);
	g_autofree char *disk_arg = g_strconcat("--disk=path=", disk, ",format=raw", NULL);
	const char *extra[] = { disk_arg, "--cmdline", "stay", NULL };
	g_autoptr(VmmRun) run = vmm_spawn("virtio-blk", extra, TRUE);
	g_autoptr(ApiClient) api = api_connect(run->socket_path);
	g_autoptr(JsonObject) r1 = NULL, r2 = NULL, r3 = NULL;
	JsonArray *devices;
	JsonObject *blk = NULL, *q0;
	int status = -1;

	r1 = api_call(api, "resume");
	g_assert_true(json_object_has_member(r1, "return"));
	g_assert_true(vmm_wait_serial(run, "virtio-blk done\n", 30000));

	r2 = api_call(api, "query-stats");
	devices = json_object_get_array_member(json_object_get_object_member(r2, "return"), "virtio");
	for (guint i = 0; i < json_array_get_length(devices); i++) {
		JsonObject *d = json_array_get_object_element(devices, i);

		if (!g_strcmp0(json_object_get_string_member(d, "device"), "virtio-blk"))
			blk = d;
	}
	g_assert_nonnull(blk);
	q0 = json_array_get_object_element(json_object_get_array_member(blk, "queues"), 0);
	g_assert_cmpint(json_object_get_int_member(q0, "requests"), ==, 8);
	g_assert_cmpint(json_object_get_int_member(q0, "bytes-read"), ==, 512);
	g_assert_cmpint(json_object_get_int_member(q0, "bytes-written"), ==, 2 * 4096);
	g_assert_cmpint(json_object_get_int_member(q0, "bytes"), ==, 512 + 2 * 4096);

	r3 = api_call(api, "stop");
	g_assert_true(json_object_has_member(r3, "return"));
	g_assert_true(vmm_wait(run, 10000, &status));
	g_assert_cmpint(status, ==, 0);
	gb_test_tmpdir_remove(dir);
}

static void
test_virtio_blk_readonly(void)
{
	g_autofree char *dir = gb_test_tmpdir_new("gb-vmm-XXXXXX");
	g_autofree char *disk = make_disk(dir, "ro.raw", "READ-ONLY-SECTOR", 4 << 20);
	g_autofree char *disk_arg = g_strconcat("--disk=path=", disk, ",format=raw,readonly=on", NULL);
	const char *extra[] = { disk_arg, NULL };
	g_autofree char *contents = NULL;
	gsize len;
	int status = -1;
	g_autofree char *serial = vmm_run_guest("virtio-blk", extra, &status);

	g_assert_cmpint(status, ==, 0);
	assert_contains(serial, "sector0: READ-ONLY-SECTOR");
	assert_contains(serial, "write status 1\n");      /* VIRTIO_BLK_S_IOERR */
	/* Read-only: DISCARD and WRITE_ZEROES are not even offered. */
	assert_contains(serial, "write-zeroes status 2\ndiscard status 2\n");   /* UNSUPP */
	g_assert_true(g_file_get_contents(disk, &contents, &len, NULL));
	for (gsize i = 1 << 20; i < (1 << 20) + 4096; i++)
		g_assert_cmpint(contents[i], ==, 0);
	gb_test_tmpdir_remove(dir);
}

static void
test_virtio_console(void)
{
	g_autofree char *dir = gb_test_tmpdir_new("gb-vmm-XXXXXX");
	g_autofree char *con = g_build_filename(dir, "console.txt", NULL);
	g_autofree char *con_arg = g_strconcat("--console=file=", con, NULL);
	const char *extra[] = { con_arg, NULL };
	g_autofree char *text = NULL;
	int status = -1;
	g_autofree char *serial = vmm_run_guest("virtio-console", extra, &status);

	g_assert_cmpint(status, ==, 0);
	assert_contains(serial, "console write done");
	g_assert_true(g_file_get_contents(con, &text, NULL, NULL));
	g_assert_cmpstr(text, ==, "hello through virtio-console\n");
	gb_test_tmpdir_remove(dir);
}

/* --console stdio: hvc0's output is our stdout, our stdin is its input. */
static void
test_console_input(void)
{
	g_autofree char *vmm = vmm_binary(), *guest = guest_path("console-echo");
	g_autofree char *dir = gb_test_tmpdir_new("gb-vmm-XXXXXX");
	g_autofree char *serial_file = g_build_filename(dir, "serial.txt", NULL);
	g_autofree char *serial_arg = g_strconcat("--serial=file=", serial_file, NULL);
	g_autofree char *line = NULL, *serial = NULL;
	g_autoptr(GError) error = NULL;
	const char *argv[] = { vmm, "run", "--kernel", guest, "--memory", "16", "--console", "stdio", serial_arg, NULL };
	g_autoptr(GSubprocess) p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
	                                                   G_SUBPROCESS_FLAGS_STDIN_PIPE, &error);
	GDataInputStream *out;

	g_assert_no_error(error);
	out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(p));
	line = g_data_input_stream_read_line_utf8(out, NULL, NULL, &error);
	g_assert_cmpstr(line, ==, "type something");
	g_assert_true(g_output_stream_write_all(g_subprocess_get_stdin_pipe(p), "ping\n", 5, NULL, NULL, &error));
	g_assert_true(g_subprocess_wait(p, NULL, &error));
	g_assert_cmpint(g_subprocess_get_exit_status(p), ==, 0);
	g_assert_true(g_file_get_contents(serial_file, &serial, NULL, NULL));
	g_assert_cmpstr(serial, ==, "console waiting for input\nconsole got: ping\n");
	g_object_unref(out);
	gb_test_tmpdir_remove(dir);
}

/* virtio-console counts the data bytes each queue moved: the guest's
 * "type something\n" (15 bytes) read from its transmit buffer, the host's
 * "ping\n" (5) written into its receive buffer — exactly. */
static void
test_console_bytes(void)
{
	g_autofree char *vmm = vmm_binary(), *guest = guest_path("console-echo");
	g_autofree char *dir = gb_test_tmpdir_new("gb-vmm-XXXXXX");
	g_autofree char *serial_file = g_build_filename(dir, "serial.txt", NULL);
	g_autofree char *serial_arg = g_strconcat("--serial=file=", serial_file, NULL);
	g_autofree char *socket = g_build_filename(dir, "api.sock", NULL);
	g_autofree char *socket_arg = g_strconcat("--api-socket=", socket, NULL);
	g_autofree char *line = NULL, *serial = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(ApiClient) api = NULL;
	g_autoptr(JsonObject) stats = NULL, stop = NULL;
	const char *argv[] = { vmm, "run", "--kernel", guest, "--memory", "16", "--console", "stdio",
	                       serial_arg, socket_arg, "--cmdline", "stay", NULL };
	g_autoptr(GSubprocess) p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
	                                                   G_SUBPROCESS_FLAGS_STDIN_PIPE, &error);
	g_autoptr(GDataInputStream) out = NULL;
	JsonArray *virtio, *queues = NULL;

	g_assert_no_error(error);
	out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(p));
	line = g_data_input_stream_read_line_utf8(out, NULL, NULL, &error);
	g_assert_cmpstr(line, ==, "type something");
	g_assert_true(g_output_stream_write_all(g_subprocess_get_stdin_pipe(p), "ping\n", 5, NULL, NULL, &error));
	for (int i = 0; i < 3000 && !(serial && strstr(serial, "console got: ping\n")); i++) {
		g_clear_pointer(&serial, g_free);
		g_file_get_contents(serial_file, &serial, NULL, NULL);
		g_usleep(10000);
	}
	g_assert_nonnull(strstr(serial, "console got: ping\n"));

	api = api_connect(socket);
	stats = api_call(api, "query-stats");
	virtio = json_object_get_array_member(json_object_get_object_member(stats, "return"), "virtio");
	for (guint i = 0; i < json_array_get_length(virtio); i++) {
		JsonObject *d = json_array_get_object_element(virtio, i);

		if (!g_strcmp0(json_object_get_string_member(d, "device"), "virtio-console"))
			queues = json_object_get_array_member(d, "queues");
	}
	g_assert_nonnull(queues);
	g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(queues, 0), "bytes"), ==, 5);
	g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(queues, 1), "bytes"), ==, 15);

	stop = api_call(api, "stop");
	g_assert_true(json_object_has_member(stop, "return"));
	g_assert_true(g_subprocess_wait(p, NULL, &error));
	gb_test_tmpdir_remove(dir);
}

static void
test_mptable(void)
{
	const char *extra[] = { "--cpus", "4", NULL };
	int status = -1;
	g_autofree char *serial = vmm_run_guest("smp-mptable", extra, &status);

	g_assert_cmpint(status, ==, 0);
	assert_contains(serial, "mpf checksum ok\nmpc checksum ok\n");
	/* 4 processors, one IOAPIC, 15 ISA interrupts + virtio-rng's INTA#. */
	assert_contains(serial, "cpus 4 ioapics 1 interrupts 16\n");
}

/* A triple fault is a reset on a PC: the VM ends, and says why. */
static void
test_triple_fault(void)
{
	g_autoptr(VmmRun) run = vmm_spawn("triple-fault", NULL, TRUE);
	g_autoptr(ApiClient) api = api_connect(run->socket_path);
	g_autoptr(JsonObject) r = NULL;
	g_autofree char *serial = NULL;
	JsonObject *ev;
	int status = -1;

	r = api_call(api, "resume");
	g_assert_true(json_object_has_member(r, "return"));
	ev = api_wait_event(api, "GUEST_RESET", 30000);
	g_assert_nonnull(ev);
	assert_contains(json_object_get_string_member(json_object_get_object_member(ev, "data"), "detail"),
	                "vCPU 0: triple fault");
	g_assert_true(vmm_wait(run, 30000, &status));
	g_assert_cmpint(status, ==, 0);
	serial = vmm_serial(run);
	g_assert_cmpstr(serial, ==, "triple fault next\n");
}

/* SIGTERM is an orderly stop: exit 0, socket removed, STOP event sent. */
static void
test_sigterm(void)
{
	g_autoptr(VmmRun) run = vmm_spawn("hlt-loop", NULL, TRUE);
	g_autoptr(ApiClient) api = api_connect(run->socket_path);
	g_autoptr(JsonObject) r = NULL;
	JsonObject *ev;
	int status = -1;

	r = api_call(api, "resume");
	g_assert_true(json_object_has_member(r, "return"));
	g_assert_true(vmm_wait_serial(run, "hlt loop running", 30000));
	g_subprocess_send_signal(run->proc, SIGTERM);
	ev = api_wait_event(api, "STOP", 10000);
	g_assert_nonnull(ev);
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(ev, "data"), "detail"), ==,
	                "terminated by a signal");
	g_assert_true(vmm_wait(run, 30000, &status));
	g_assert_cmpint(status, ==, 0);
	g_assert_false(g_file_test(run->socket_path, G_FILE_TEST_EXISTS));
}

/* MSI-X as Linux uses it: the queue's interrupt reaches the guest's local
 * APIC at the vector it programmed, through a KVM irqfd. */
static void
test_msix(void)
{
	int status = -1;
	g_autofree char *serial = vmm_run_guest("msix", NULL, &status);

	g_assert_cmpint(status, ==, 0);
	g_assert_cmpstr(serial, ==, "msi-x armed\nmsi-x interrupt received, used 1, isr 0\n");
}

/* Legacy INTx: the IOAPIC pin the Interrupt Line register names delivers
 * the queue interrupt; reading ISR acknowledges it. */
static void
test_intx(void)
{
	int status = -1;
	g_autofree char *serial = vmm_run_guest("intx", NULL, &status);

	g_assert_cmpint(status, ==, 0);
	g_assert_cmpstr(serial, ==, "interrupt line 17\nintx interrupt received, used 1, isr 1, isr after read 0\n");
}

/* i8042 reset (Linux reboot=k) ends the VM, and says so on the socket. */
static void
test_i8042_reset(void)
{
	g_autoptr(VmmRun) run = vmm_spawn("i8042-reset", NULL, TRUE);
	g_autoptr(ApiClient) api = api_connect(run->socket_path);
	g_autoptr(JsonObject) reply = api_call(api, "resume");
	JsonObject *ev;
	g_autofree char *serial = NULL;
	int status = -1;

	g_assert_true(json_object_has_member(reply, "return"));
	ev = api_wait_event(api, "GUEST_RESET", 30000);
	g_assert_nonnull(ev);
	assert_contains(json_object_get_string_member(json_object_get_object_member(ev, "data"), "detail"), "i8042");
	ev = api_wait_event(api, "STOP", 30000);
	g_assert_nonnull(ev);
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(ev, "data"), "reason"), ==,
	                "guest-reset");
	g_assert_true(vmm_wait(run, 30000, &status));
	g_assert_cmpint(status, ==, 0);
	serial = vmm_serial(run);
	g_assert_cmpstr(serial, ==, "resetting through the i8042\n");
	/* The socket is gone with the VMM. */
	g_assert_false(g_file_test(run->socket_path, G_FILE_TEST_EXISTS));
}

static gint64
kernel_stat(JsonObject *stats, const char *name)
{
	JsonObject *vcpu0 = json_array_get_object_element(json_object_get_array_member(stats, "vcpus"), 0);
	JsonObject *kernel = json_object_get_object_member(vcpu0, "kernel");

	return json_object_has_member(kernel, name) ? json_object_get_int_member(kernel, name) : -1;
}

static JsonObject *
ret(JsonObject *reply)
{
	g_assert_true(json_object_has_member(reply, "return"));
	return json_object_get_object_member(reply, "return");
}

/* The control socket end to end, on a guest that sleeps in HLT. */
static void
test_control_socket(void)
{
	g_autoptr(VmmRun) run = vmm_spawn("hlt-loop", NULL, TRUE);
	g_autoptr(ApiClient) api = api_connect(run->socket_path);
	g_autoptr(JsonObject) r1 = NULL, r2 = NULL, r3 = NULL, r4 = NULL, r5 = NULL;
	g_autoptr(JsonObject) r6 = NULL, r7 = NULL, r8 = NULL, r9 = NULL, r10 = NULL;
	JsonObject *stats, *vcpu0, *ev, *mem;
	struct stat st;
	gint64 halts;
	int status = -1;

	/* Only the owner may talk to the VMM. */
	g_assert_cmpint(g_stat(run->socket_path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);

	r1 = api_call(api, "query-status");
	g_assert_cmpstr(json_object_get_string_member(ret(r1), "status"), ==, "paused");
	g_assert_cmpint(json_object_get_int_member(ret(r1), "memory-mib"), ==, 32);

	r2 = api_call(api, "resume");
	g_assert_cmpstr(json_object_get_string_member(ret(r2), "status"), ==, "running");
	g_assert_nonnull(api_wait_event(api, "STATE_CHANGE", 1000));
	g_assert_true(vmm_wait_serial(run, "hlt loop running", 30000));

	/* HLT: the guest sleeps between timer interrupts; KVM counts the
	 * halts in the kernel (they never reach user space). */
	r3 = api_call(api, "query-stats");
	stats = ret(r3);
	vcpu0 = json_array_get_object_element(json_object_get_array_member(stats, "vcpus"), 0);
	g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(vcpu0, "exits"), "io"), >, 0);
	halts = kernel_stat(stats, "halt_exits");
	if (halts < 0)
		g_test_message("this KVM has no binary stats fd: halts are not visible");
	else
		g_assert_cmpint(halts, >=, 20);
	mem = json_object_get_object_member(stats, "memory");
	g_assert_cmpint(json_object_get_int_member(mem, "guest-bytes"), ==, 32 << 20);
	g_assert_cmpint(json_object_get_int_member(mem, "resident-bytes"), >, 0);
	g_assert_true(json_object_get_boolean_member(mem, "shareable"));

	/* Pause: no more halts while paused. */
	r4 = api_call(api, "pause");
	g_assert_cmpstr(json_object_get_string_member(ret(r4), "status"), ==, "paused");
	r5 = api_call(api, "query-stats");
	g_usleep(200000);
	r6 = api_call(api, "query-stats");
	if (halts >= 0)
		g_assert_cmpint(kernel_stat(ret(r5), "halt_exits"), ==, kernel_stat(ret(r6), "halt_exits"));
	r7 = api_call(api, "resume");
	g_assert_cmpstr(json_object_get_string_member(ret(r7), "status"), ==, "running");

	/* Reset: the guest starts over (prints its banner again). */
	r8 = api_call(api, "reset");
	g_assert_true(json_object_has_member(r8, "return"));
	g_assert_nonnull(api_wait_event(api, "RESET", 5000));
	g_assert_true(vmm_wait_serial(run, "hlt loop running\nhlt loop starting\nhlt loop running\n", 30000));

	/* Unknown commands are errors, not crashes. */
	r9 = api_call(api, "make-coffee");
	g_assert_true(json_object_has_member(r9, "error"));
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(r9, "error"), "class"), ==,
	                "CommandNotFound");

	r10 = api_call(api, "stop");
	g_assert_true(json_object_has_member(r10, "return"));
	ev = api_wait_event(api, "STOP", 10000);
	g_assert_nonnull(ev);
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(ev, "data"), "reason"), ==,
	                "requested");
	g_assert_true(vmm_wait(run, 30000, &status));
	g_assert_cmpint(status, ==, 0);
}

static const char *
error_desc(JsonObject *reply)
{
	g_assert_true(json_object_has_member(reply, "error"));
	return json_object_get_string_member(json_object_get_object_member(reply, "error"), "desc");
}

/* Garbage on the socket gets error replies; a client vanishing mid-line
 * does not disturb the VMM or the next client. */
static void
test_control_socket_garbage(void)
{
	g_autoptr(VmmRun) run = vmm_spawn("hlt-loop", NULL, TRUE);
	g_autoptr(ApiClient) a = api_connect(run->socket_path);
	g_autoptr(ApiClient) b = NULL, c = NULL;
	g_autoptr(JsonObject) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL, ok = NULL, st = NULL;
	int status = -1;

	e1 = api_raw(a, "this is not json");
	g_assert_cmpstr(error_desc(e1), ==, "not valid JSON");
	e2 = api_raw(a, "[1, 2, 3]");
	g_assert_cmpstr(error_desc(e2), ==, "expected a JSON object");
	e3 = api_raw(a, "{\"execute\": 5, \"id\": 9}");
	g_assert_cmpstr(error_desc(e3), ==, "missing \"execute\"");
	g_assert_cmpint(json_object_get_int_member(e3, "id"), ==, 9);
	e4 = api_raw(a, "{\"execute\": \"pause\", \"arguments\": 3}");
	g_assert_cmpstr(error_desc(e4), ==, "\"arguments\" must be an object");
	g_output_stream_write_all(a->out, "{\"execute\": \"st", 16, NULL, NULL, NULL);
	g_clear_pointer(&a, api_client_free);

	/* Every connected client gets every event. */
	b = api_connect(run->socket_path);
	c = api_connect(run->socket_path);
	ok = api_call(b, "resume");
	g_assert_true(json_object_has_member(ok, "return"));
	g_assert_nonnull(api_wait_event(b, "STATE_CHANGE", 5000));
	g_assert_nonnull(api_wait_event(c, "STATE_CHANGE", 5000));
	g_assert_true(vmm_wait_serial(run, "hlt loop running", 30000));
	st = api_call(b, "stop");
	g_assert_true(json_object_has_member(st, "return"));
	g_assert_true(vmm_wait(run, 30000, &status));
	g_assert_cmpint(status, ==, 0);
}

/* powerdown = Ctrl+Alt+Del on the keyboard; the guest reboots (reset),
 * which ends the VM. */
static void
test_powerdown(void)
{
	g_autoptr(VmmRun) run = vmm_spawn("keyboard", NULL, TRUE);
	g_autoptr(ApiClient) api = api_connect(run->socket_path);
	g_autoptr(JsonObject) r1 = NULL;
	g_autoptr(JsonObject) r2 = NULL;
	g_autofree char *serial = NULL;
	int status = -1;

	r1 = api_call(api, "resume");
	g_assert_true(json_object_has_member(r1, "return"));
	g_assert_true(vmm_wait_serial(run, "keyboard ready", 30000));
	r2 = api_call(api, "powerdown");
	g_assert_true(json_object_has_member(r2, "return"));
	g_assert_nonnull(api_wait_event(api, "GUEST_RESET", 30000));
	g_assert_true(vmm_wait(run, 30000, &status));
	g_assert_cmpint(status, ==, 0);
	serial = vmm_serial(run);
	assert_contains(serial, "scancode 1d\nscancode 38\nscancode e0\nscancode 53\nctrl+alt+del: rebooting\n");
}

/* A guest that feeds the devices a looping chain and a buffer outside its
 * RAM: each device is marked broken and reported, the VMM carries on, and
 * a driver reset revives the device. */
static void
test_hostile_guest(void)
{
	g_autofree char *dir = gb_test_tmpdir_new("gb-vmm-XXXXXX");
	g_autofree char *con = g_build_filename(dir, "console.txt", NULL);
	g_autofree char *con_arg = g_strconcat("--console=file=", con, NULL);
	const char *extra[] = { con_arg, NULL };
	g_autoptr(VmmRun) run = vmm_spawn("hostile", extra, TRUE);
	g_autoptr(ApiClient) api = api_connect(run->socket_path);
	g_autoptr(JsonObject) r1 = NULL;
	g_autofree char *serial = NULL;
	JsonObject *ev;
	int status = -1, errors = 0;

	r1 = api_call(api, "resume");
	g_assert_true(json_object_has_member(r1, "return"));
	g_assert_true(vmm_wait(run, 60000, &status));
	g_assert_cmpint(status, ==, 0);
	serial = vmm_serial(run);
	assert_contains(serial, "rng: needs reset after a looping chain\n");
	assert_contains(serial, "console: needs reset after an out-of-range buffer\n");
	assert_contains(serial, "rng after reset: 16 bytes\n");

	g_assert_nonnull(api_wait_event(api, "STOP", 10000));
	for (unsigned int i = 0; i < api->events->len; i++) {
		ev = g_ptr_array_index(api->events, i);
		if (g_strcmp0(json_object_get_string_member(ev, "event"), "DEVICE_ERROR"))
			continue;
		const char *detail = json_object_get_string_member(json_object_get_object_member(ev, "data"), "detail");
		if (errors == 0)
			assert_contains(detail, "virtio-rng (PCI 00:02.0): queue 0: descriptor chain loops");
		else
			assert_contains(detail, "virtio-console (PCI 00:01.0): queue 1: buffer address outside guest memory");
		errors++;
	}
	g_assert_cmpint(errors, ==, 2);
	gb_test_tmpdir_remove(dir);
}

/* A run that must fail before the guest starts: exit status 2 and a
 * message that says what is wrong. */
static void
check_fails(const char *const *argv, const char *expect)
{
	g_autofree char *err = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);

	g_assert_no_error(error);
	g_subprocess_communicate_utf8(p, NULL, NULL, NULL, &err, &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_subprocess_get_exit_status(p), ==, 2);
	assert_contains(err, expect);
}

/* The Linux 64-bit boot protocol, seen from inside a (tiny) bzImage:
 * long mode with paging, boot_params with the header copied and the
 * loader type set, the command line, the e820 map, the initrd. */
static void
test_bzimage(void)
{
	g_autofree char *dir = gb_test_tmpdir_new("gb-vmm-XXXXXX");
	g_autofree char *initrd = g_build_filename(dir, "initrd", NULL);
	g_autofree char *kernel = g_build_filename(g_getenv("G_TEST_BUILDDIR"), "guests", "bzImage", NULL);
	g_autofree char *vmm = vmm_binary();
	g_autofree char *serial = NULL, *long_cmdline = NULL;
	const char *extra[] = { "--kernel", kernel, "--initrd", initrd, "--memory", "64",
	                        "--cmdline", "console=ttyS0 glassbox bzimage test", NULL };
	int status = -1;

	g_assert_true(g_file_set_contents(initrd, "INITRD-MARKER-42\n", -1, NULL));
	serial = vmm_run_guest("hello", extra, &status);   /* the later --kernel wins */
	g_assert_cmpint(status, ==, 0);
	g_assert_cmpstr(serial, ==,
	                "kernel at 0x1000000, cs 0x10, long mode, paging+PAE\n"
	                "boot_params at 0x7000, loader 0xff, header HdrS\n"
	                "cmdline: console=ttyS0 glassbox bzimage test\n"
	                "e820: 0x4 entries, RAM up to 0x4000000\n"
	                "initrd: 0x11 bytes: INITRD-MARKER-42\n");

	/* Its header says 255 bytes of command line at most. */
	long_cmdline = g_strnfill(300, 'x');
	{
		const char *argv[] = { vmm, "run", "--kernel", kernel, "--cmdline", long_cmdline, "--serial", "none", NULL };
		check_fails(argv, "accepts a command line of at most 255 bytes");
	}
	gb_test_tmpdir_remove(dir);
}

/* CMOS: the host's UTC date in BCD, 24-hour mode, battery good, the memory
 * size firmware would record, and NVRAM that keeps what is written. */
static void
test_rtc(void)
{
	const char *extra[] = { "--memory", "64", NULL };
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *expect = g_date_time_format(now, "date %Y-%m status-b 02 status-d 80\n"
	                                                  "memory above 16 MiB: 768 x 64 KiB\nnvram 5a\n");
	int status = -1;
	g_autofree char *serial = vmm_run_guest("rtc", extra, &status);

	g_assert_cmpint(status, ==, 0);
	g_assert_cmpstr(serial, ==, expect);
}

/* The PVH boot ABI: hvm_start_info with the e820-style memory map, the
 * command line, and the initrd as module 0. */
static void
test_pvh_start_info(void)
{
	g_autofree char *dir = gb_test_tmpdir_new("gb-vmm-XXXXXX");
	g_autofree char *initrd = g_build_filename(dir, "initrd", NULL);
	const char *extra[] = { "--initrd", initrd, "--memory", "64", "--cmdline", "pvh says hi", NULL };
	int status = -1;
	g_autofree char *serial = NULL;

	g_assert_true(g_file_set_contents(initrd, "INITRD-MARKER-42\n", -1, NULL));
	serial = vmm_run_guest("pvh-info", extra, &status);
	g_assert_cmpint(status, ==, 0);
	g_assert_cmpstr(serial, ==,
	                "magic 336ec578 version 1\n"
	                "cmdline: pvh says hi\n"
	                "memmap: 00000000+0009fc00/ram 0009fc00+00000400/reserved "
	                "000e0000+00020000/reserved 00100000+03f00000/ram\n"
	                "ram KiB 65151\n"
	                "modules 1, first 17 bytes: INITRD-MARKER-42\n");
	gb_test_tmpdir_remove(dir);
}

/* Kernels that are not kernels. */
static void
check_bad_kernel(const char *file, const char *memory, const char *expect)
{
	g_autofree char *vmm = vmm_binary();
	const char *argv[] = { vmm, "run", "--kernel", file, "--memory", memory, "--serial", "none", NULL };

	check_fails(argv, expect);
}

static void
test_bad_kernels(void)
{
	g_autofree char *dir = gb_test_tmpdir_new("gb-vmm-XXXXXX");
	g_autofree char *text = g_build_filename(dir, "notes.txt", NULL);
	g_autofree char *trunc = g_build_filename(dir, "truncated.elf", NULL);
	g_autofree char *big = g_build_filename(dir, "big-bzImage", NULL);
	g_autofree char *hello = guest_path("hello");
	g_autofree char *elf = NULL;
	gsize elf_len;
	guint8 bz[8192] = { 0 };
	guint32 init_size = 64 << 20, syssize = (sizeof(bz) - 5 * 512) / 16;
	guint64 pref = 16 << 20;
	guint16 version = 0x020f, xlf = 1;

	g_assert_true(g_file_set_contents(text, "just some text, not a kernel\n", -1, NULL));
	check_bad_kernel(text, "32", "is not a kernel");

	g_assert_true(g_file_get_contents(hello, &elf, &elf_len, NULL));
	g_assert_true(g_file_set_contents(trunc, elf, 200, NULL));
	check_bad_kernel(trunc, "32", "truncated or corrupt ELF");

	/* The same ELF claiming a 64 MiB segment (p_memsz of the first
	 * program header, ELF32: e_phoff at 0x1c, p_memsz at +20). */
	{
		guint32 phoff, memsz = 64 << 20;
		memcpy(&phoff, elf + 0x1c, 4);
		memcpy(elf + phoff + 20, &memsz, 4);
		g_assert_true(g_file_set_contents(trunc, elf, elf_len, NULL));
		check_bad_kernel(trunc, "32", "does not fit in 32 MiB of guest memory");
	}

	/* A bzImage header asking for 64 MiB to decompress into, at 16 MiB. */
	bz[0x1f1] = 4;
	memcpy(bz + 0x1f4, &syssize, 4);
	bz[0x1fe] = 0x55;
	bz[0x1ff] = 0xaa;
	memcpy(bz + 0x202, "HdrS", 4);
	memcpy(bz + 0x206, &version, 2);
	bz[0x234] = 1;
	memcpy(bz + 0x236, &xlf, 2);
	memcpy(bz + 0x258, &pref, 8);
	memcpy(bz + 0x260, &init_size, 4);
	g_assert_true(g_file_set_contents(big, (char *) bz, sizeof(bz), NULL));
	check_bad_kernel(big, "32", "raise --memory");
	/* The same file cut short of what its header claims. */
	g_assert_true(g_file_set_contents(big, (char *) bz, 4096, NULL));
	check_bad_kernel(big, "128", "truncated bzImage");

	check_bad_kernel("/nonexistent/vmlinuz", "32", "/nonexistent/vmlinuz");

	/* A kernel for another architecture: an ELF file for AArch64 (the
	 * tiny guest with e_machine changed), an arm64 "Image" (magic at 0x38). */
	{
		g_autofree char *arm = g_build_filename(dir, "arm64.elf", NULL);
		g_autofree char *image = g_build_filename(dir, "Image", NULL);
		guint16 aarch64 = 183;
		char img[4096] = { 0 };

		g_free(elf);
		g_assert_true(g_file_get_contents(hello, &elf, &elf_len, NULL));
		memcpy(elf + 18, &aarch64, 2);
		g_assert_true(g_file_set_contents(arm, elf, elf_len, NULL));
		check_bad_kernel(arm, "32", "is an ELF file for arm64 (AArch64)");
		memcpy(img + 0x38, "ARM\x64", 4);
		g_assert_true(g_file_set_contents(image, img, sizeof(img), NULL));
		check_bad_kernel(image, "32", "is a Linux kernel for arm64");
	}

	/* A vmlinux without the PVH note (and no bzImage): the tiny guest
	 * with its PT_NOTE program header turned into PT_NULL. */
	{
		g_autofree char *nonote = g_build_filename(dir, "vmlinux-without-pvh", NULL);
		guint32 phoff, type;
		guint16 phentsize, phnum;
		gboolean found = FALSE;

		g_free(elf);
		g_assert_true(g_file_get_contents(hello, &elf, &elf_len, NULL));
		memcpy(&phoff, elf + 0x1c, 4);
		memcpy(&phentsize, elf + 0x2a, 2);
		memcpy(&phnum, elf + 0x2c, 2);
		for (unsigned int i = 0; i < phnum; i++) {
			memcpy(&type, elf + phoff + i * phentsize, 4);
			if (type == 4) {   /* PT_NOTE */
				memset(elf + phoff + i * phentsize, 0, 4);
				found = TRUE;
			}
		}
		g_assert_true(found);
		g_assert_true(g_file_set_contents(nonote, elf, elf_len, NULL));
		check_bad_kernel(nonote, "32", "without a PVH entry note");
		check_bad_kernel(nonote, "32", "boot the bzImage of the same build instead");
	}
	gb_test_tmpdir_remove(dir);
}

/* Guests that cannot fit the machine asked for say so. */
static void
test_too_big(void)
{
	g_autofree char *dir = gb_test_tmpdir_new("gb-vmm-XXXXXX");
	g_autofree char *initrd = g_build_filename(dir, "big-initrd", NULL);
	g_autofree char *hello = guest_path("hello");
	g_autofree char *vmm = vmm_binary();
	FILE *f = fopen(initrd, "w");

	/* A 40 MiB initrd (sparse) for a 32 MiB guest. */
	g_assert_nonnull(f);
	g_assert_cmpint(ftruncate(fileno(f), 40 << 20), ==, 0);
	fclose(f);
	{
		const char *argv[] = { vmm, "run", "--kernel", hello, "--initrd", initrd, "--memory", "32",
		                       "--serial", "none", NULL };
		check_fails(argv, "does not fit in the guest's 32 MiB of memory");
	}
	/* More vCPUs than glassbox-vmm (and KVM, for huge counts) allows. */
	{
		const char *argv[] = { vmm, "run", "--kernel", hello, "--cpus", "1000", "--serial", "none", NULL };
		check_fails(argv, "--cpus must be between 1 and 64");
	}
	gb_test_tmpdir_remove(dir);
}

/* --config: the JSON form the app writes. */
static void
test_config_json(void)
{
	g_autofree char *dir = gb_test_tmpdir_new("gb-vmm-XXXXXX");
	g_autofree char *cfg = g_build_filename(dir, "machine.json", NULL);
	g_autofree char *serial_file = g_build_filename(dir, "serial.txt", NULL);
	g_autofree char *hello = guest_path("hello");
	g_autofree char *vmm = vmm_binary();
	g_autofree char *json = g_strdup_printf("{\"kernel\": \"%s\", \"memory\": 24, \"cpus\": 2, "
	                                        "\"serial\": \"file=%s\", \"rng\": false}", hello, serial_file);
	g_autofree char *out = NULL;
	g_autoptr(GError) error = NULL;
	const char *argv[] = { vmm, "run", "--config", cfg, NULL };
	g_autoptr(GSubprocess) p = NULL;

	g_assert_true(g_file_set_contents(cfg, json, -1, NULL));
	p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_NONE, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_wait(p, NULL, &error));
	g_assert_cmpint(g_subprocess_get_exit_status(p), ==, 0);
	g_assert_true(g_file_get_contents(serial_file, &out, NULL, NULL));
	g_assert_cmpstr(out, ==, "hello from a glassbox guest\n");

	/* A wrong type is an error that names the key. */
	g_assert_true(g_file_set_contents(cfg, "{\"kernel\": 5}", -1, NULL));
	check_fails(argv, "\"kernel\" must be a string");
	g_assert_true(g_file_set_contents(cfg, "{\"kernel\": \"k\", \"disks\": [{\"format\": \"raw\"}]}", -1, NULL));
	check_fails(argv, "a disk has no \"path\"");
	gb_test_tmpdir_remove(dir);
}

static void
test_help(void)
{
	g_autofree char *vmm = vmm_binary();
	g_autofree char *out = NULL;
	g_autoptr(GError) error = NULL;
	const char *argv[] = { vmm, "run", "--help", NULL };
	g_autoptr(GSubprocess) p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);

	g_assert_no_error(error);
	g_subprocess_communicate_utf8(p, NULL, NULL, &out, NULL, &error);
	g_assert_cmpint(g_subprocess_get_exit_status(p), ==, 0);
	for (const char *const *o = (const char *const[]) { "--kernel", "--initrd", "--cmdline", "--memory",
	     "--cpus", "--disk", "--serial", "--api-socket", "--hugepages", "--ksm", "--config", NULL }; *o; o++)
		assert_contains(out, *o);
}

static void
test_no_kvm(void)
{
	g_test_skip("/dev/kvm cannot be opened here: glassbox-vmm has nothing to run guests on");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/vmm/help", test_help);
	if (access("/dev/kvm", R_OK | W_OK) != 0) {
		g_test_add_func("/vmm/kvm-available", test_no_kvm);
		return g_test_run();
	}
	g_test_add_func("/vmm/bad-kernels", test_bad_kernels);
	g_test_add_func("/vmm/too-big", test_too_big);
	g_test_add_func("/vmm/bzimage-boot-protocol", test_bzimage);
	g_test_add_func("/vmm/pvh-start-info", test_pvh_start_info);
	g_test_add_func("/vmm/hello", test_hello);
	g_test_add_func("/vmm/serial-stdio", test_serial_stdio);
	g_test_add_func("/vmm/serial-input", test_serial_input);
	g_test_add_func("/vmm/serial-pty", test_serial_pty);
	g_test_add_func("/vmm/serial-socket", test_serial_socket);
	g_test_add_func("/vmm/memory-options", test_memory_options);
	g_test_add_func("/vmm/config-json", test_config_json);
	g_test_add_func("/vmm/mptable", test_mptable);
	g_test_add_func("/vmm/rtc", test_rtc);
	g_test_add_func("/vmm/pci-enumeration", test_pci_enum);
	g_test_add_func("/vmm/pci-bar-move", test_bar_move);
	g_test_add_func("/vmm/virtio-blk-qcow2", test_virtio_blk_qcow2);
	g_test_add_func("/vmm/virtio-blk-readonly", test_virtio_blk_readonly);
	g_test_add_func("/vmm/virtio-blk-stats", test_virtio_blk_stats);
	g_test_add_func("/vmm/virtio-console", test_virtio_console);
	g_test_add_func("/vmm/virtio-console-input", test_console_input);
	g_test_add_func("/vmm/virtio-console-bytes", test_console_bytes);
	g_test_add_func("/vmm/msix", test_msix);
	g_test_add_func("/vmm/intx", test_intx);
	g_test_add_func("/vmm/i8042-reset", test_i8042_reset);
	g_test_add_func("/vmm/triple-fault", test_triple_fault);
	g_test_add_func("/vmm/sigterm", test_sigterm);
	g_test_add_func("/vmm/control-socket", test_control_socket);
	g_test_add_func("/vmm/control-socket-garbage", test_control_socket_garbage);
	g_test_add_func("/vmm/powerdown", test_powerdown);
	g_test_add_func("/vmm/hostile-guest", test_hostile_guest);
	return g_test_run();
}
