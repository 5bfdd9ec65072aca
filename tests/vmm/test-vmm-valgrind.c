/* test-vmm-valgrind.c — glassbox-vmm under valgrind memcheck: no invalid
 * accesses and no leaks across a whole run (set-up, devices, guest I/O,
 * device errors, the control socket, teardown).  Registered only in builds
 * without sanitizers (valgrind cannot run an ASan binary). */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "gb-test-utils.h"
#include "vmm-test-util.h"

typedef void (*Driver)(const char *socket_path);

static void
memcheck_driven(const char *guest, const char *const *extra_args, Driver drive)
{
	g_autofree char *valgrind = g_find_program_in_path("valgrind");
	g_autofree char *dir = NULL, *log = NULL, *log_arg = NULL, *vmm = NULL, *kernel = NULL;
	g_autofree char *report = NULL, *sock = NULL, *sock_arg = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GSubprocess) p = NULL;
	g_autoptr(GError) error = NULL;

	if (!valgrind) {
		g_test_skip("valgrind is not installed");
		return;
	}
	dir = gb_test_tmpdir_new("gb-vg-XXXXXX");
	log = g_build_filename(dir, "valgrind.log", NULL);
	log_arg = g_strconcat("--log-file=", log, NULL);
	sock = g_build_filename(dir, "api.sock", NULL);
	sock_arg = g_strconcat("--api-socket=", sock, NULL);
	vmm = vmm_binary();
	kernel = guest_path(guest);

	for (const char *const *a = (const char *const[]) { valgrind, "--tool=memcheck", "--leak-check=full",
	     "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99", log_arg,
	     vmm, "run", "--kernel", kernel, "--memory", "32", "--serial", "none", sock_arg, NULL }; *a; a++)
		g_ptr_array_add(argv, (gpointer) *a);
	for (unsigned int i = 0; extra_args && extra_args[i]; i++)
		g_ptr_array_add(argv, (gpointer) extra_args[i]);
	g_ptr_array_add(argv, NULL);

	p = g_subprocess_newv((const char *const *) argv->pdata, G_SUBPROCESS_FLAGS_NONE, &error);
	g_assert_no_error(error);
	if (drive)
		drive(sock);
	g_assert_true(g_subprocess_wait(p, NULL, &error));
	g_assert_true(g_file_get_contents(log, &report, NULL, NULL));
	if (g_subprocess_get_exit_status(p) != 0)
		g_error("valgrind reported problems (exit %d):\n%s", g_subprocess_get_exit_status(p), report);
	g_assert_nonnull(strstr(report, "ERROR SUMMARY: 0 errors"));
	gb_test_tmpdir_remove(dir);
}

static void
memcheck(const char *guest, const char *const *extra_args)
{
	memcheck_driven(guest, extra_args, NULL);
}

/* Every control-socket command once, then stop. */
static void
drive_socket(const char *socket_path)
{
	g_autoptr(ApiClient) api = api_connect(socket_path);
	const char *commands[] = { "query-status", "query-stats", "pause", "resume", "reset", "powerdown",
	                           "query-stats", "stop", NULL };

	for (unsigned int i = 0; commands[i]; i++) {
		JsonObject *reply = api_call(api, commands[i]);
		g_assert_true(json_object_has_member(reply, "return"));
		json_object_unref(reply);
	}
	g_assert_nonnull(api_wait_event(api, "STOP", 60000));
}

static void
test_control_socket(void)
{
	memcheck_driven("hlt-loop", NULL, drive_socket);
}

static void
read_exact(int fd, void *buf, size_t n)
{
	for (size_t done = 0; done < n;) {
		ssize_t r = read(fd, (char *) buf + done, n - done);
		g_assert_cmpint(r, >, 0);
		done += r;
	}
}

/* The screen: query-display, screendump, then one VNC client by hand
 * (handshake, a full update, a key, a pointer move) and a second that
 * sends garbage, then stop with the first still connected. */
static void
drive_display(const char *socket_path)
{
	g_autoptr(ApiClient) api = api_connect(socket_path);
	g_autofree char *vnc = g_strconcat(socket_path, ".vnc", NULL);
	g_autofree char *dump = g_strconcat(socket_path, ".ppm", NULL);
	g_autofree char *cmd = g_strdup_printf("{\"execute\": \"screendump\", \"arguments\": {\"filename\": \"%s\"}}", dump);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	guint8 buf[64 * 48 * 4 + 64], n_types;
	guint32 name_len;
	JsonObject *reply;
	int fd, junk;

	reply = api_call(api, "query-display");
	g_assert_true(json_object_has_member(reply, "return"));
	json_object_unref(reply);
	reply = api_raw(api, cmd);
	g_assert_true(json_object_has_member(reply, "return"));
	json_object_unref(reply);
	g_unlink(dump);

	g_strlcpy(addr.sun_path, vnc, sizeof(addr.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	g_assert_cmpint(connect(fd, (struct sockaddr *) &addr, sizeof(addr)), ==, 0);
	read_exact(fd, buf, 12);
	g_assert_cmpint(write(fd, "RFB 003.008\n", 12), ==, 12);
	read_exact(fd, &n_types, 1);
	read_exact(fd, buf, n_types);
	g_assert_cmpint(write(fd, "\x01", 1), ==, 1);
	read_exact(fd, buf, 4);                       /* SecurityResult */
	g_assert_cmpint(write(fd, "\x01", 1), ==, 1);
	read_exact(fd, buf, 24);                      /* ServerInit */
	memcpy(&name_len, buf + 20, 4);
	read_exact(fd, buf, GUINT32_FROM_BE(name_len));
	g_assert_cmpint(write(fd, "\x03\x00\x00\x00\x00\x00\x00\x40\x00\x30", 10), ==, 10);
	read_exact(fd, buf, 4 + 12 + 64 * 48 * 4);   /* one Raw rectangle */
	g_assert_cmpint(write(fd, "\x04\x01\x00\x00\x00\x00\x00\x61", 8), ==, 8);   /* 'a' down */
	g_assert_cmpint(write(fd, "\x05\x01\x00\x10\x00\x10", 6), ==, 6);             /* pointer */

	junk = socket(AF_UNIX, SOCK_STREAM, 0);
	g_assert_cmpint(connect(junk, (struct sockaddr *) &addr, sizeof(addr)), ==, 0);
	read_exact(junk, buf, 12);
	g_assert_cmpint(write(junk, "GET / HTTP/1.0\r\n\r\n", 18), ==, 18);
	while (read(junk, buf, sizeof(buf)) > 0)
		;
	close(junk);

	reply = api_call(api, "stop");
	json_object_unref(reply);
	g_assert_nonnull(api_wait_event(api, "STOP", 60000));
	close(fd);
}

static void
test_display(void)
{
	memcheck_driven("hlt-loop", (const char *const[]) { "--display=vnc,width=64,height=48", NULL },
	                drive_display);
}

static void
test_virtio_blk(void)
{
	g_autofree char *dir = gb_test_tmpdir_new("gb-vg-XXXXXX");
	g_autofree char *disk = g_build_filename(dir, "d.raw", NULL);
	g_autofree char *disk_arg = NULL;

	g_assert_true(g_file_set_contents(disk, "sector zero", -1, NULL));
	g_assert_cmpint(truncate(disk, 8 << 20), ==, 0);
	disk_arg = g_strconcat("--disk=path=", disk, ",format=raw,serial=vg", NULL);
	memcheck("virtio-blk", (const char *const[]) { disk_arg, NULL });
	gb_test_tmpdir_remove(dir);
}

static void
test_hostile(void)
{
	g_autofree char *dir = gb_test_tmpdir_new("gb-vg-XXXXXX");
	g_autofree char *con = g_build_filename(dir, "con.txt", NULL);
	g_autofree char *con_arg = g_strconcat("--console=file=", con, NULL);

	memcheck("hostile", (const char *const[]) { con_arg, NULL });
	gb_test_tmpdir_remove(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/valgrind/virtio-blk", test_virtio_blk);
	g_test_add_func("/valgrind/hostile-guest", test_hostile);
	g_test_add_func("/valgrind/control-socket", test_control_socket);
	g_test_add_func("/valgrind/display", test_display);
	return g_test_run();
}
