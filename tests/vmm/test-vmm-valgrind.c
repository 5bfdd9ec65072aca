/* test-vmm-valgrind.c — glassbox-vmm under valgrind memcheck: no invalid
 * accesses and no leaks across a whole run (set-up, devices, guest I/O,
 * device errors, the control socket, teardown).  Registered only in builds
 * without sanitizers (valgrind cannot run an ASan binary). */
#include <glib/gstdio.h>
#include <string.h>
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
	return g_test_run();
}
