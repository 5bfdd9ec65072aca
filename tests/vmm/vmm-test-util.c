/* vmm-test-util.c — see vmm-test-util.h. */
#include "vmm-test-util.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>
#include <signal.h>

char *
vmm_binary(void)
{
	return g_build_filename(g_getenv("G_TEST_BUILDDIR"), "..", "hypervisor", "vmm", "glassbox-vmm", NULL);
}

char *
guest_path(const char *name)
{
	g_autofree char *file = g_strconcat(name, ".elf", NULL);
	return g_build_filename(g_getenv("G_TEST_BUILDDIR"), "guests", file, NULL);
}

VmmRun *
vmm_spawn(const char *guest, const char *const *extra, gboolean api)
{
	VmmRun *run = g_new0(VmmRun, 1);
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_INHERIT);
	g_autoptr(GError) error = NULL;

	run->dir = g_dir_make_tmp("glassbox-vmm-test-XXXXXX", &error);
	g_assert_no_error(error);
	run->serial_path = g_build_filename(run->dir, "serial.txt", NULL);
	run->stderr_path = g_build_filename(run->dir, "stderr.txt", NULL);
	run->socket_path = g_build_filename(run->dir, "api.sock", NULL);

	g_ptr_array_add(argv, vmm_binary());
	g_ptr_array_add(argv, g_strdup("run"));
	g_ptr_array_add(argv, g_strdup("--kernel"));
	g_ptr_array_add(argv, guest_path(guest));
	g_ptr_array_add(argv, g_strdup("--memory"));
	g_ptr_array_add(argv, g_strdup("32"));
	g_ptr_array_add(argv, g_strconcat("--serial=file=", run->serial_path, NULL));
	if (api) {
		g_ptr_array_add(argv, g_strconcat("--api-socket=", run->socket_path, NULL));
		g_ptr_array_add(argv, g_strdup("--paused"));
	}
	for (unsigned int i = 0; extra && extra[i]; i++)
		g_ptr_array_add(argv, g_strdup(extra[i]));
	g_ptr_array_add(argv, NULL);

	g_subprocess_launcher_set_stderr_file_path(launcher, run->stderr_path);
	run->proc = g_subprocess_launcher_spawnv(launcher, (const char *const *) argv->pdata, &error);
	g_assert_no_error(error);
	return run;
}

gboolean
vmm_wait(VmmRun *run, int timeout_ms, int *exit_status)
{
	gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;

	while (g_subprocess_get_identifier(run->proc) != NULL) {
		if (g_get_monotonic_time() > deadline) {
			g_subprocess_send_signal(run->proc, SIGKILL);
			g_subprocess_wait(run->proc, NULL, NULL);
			return FALSE;
		}
		g_usleep(5000);
	}
	g_subprocess_wait(run->proc, NULL, NULL);
	if (exit_status)
		*exit_status = g_subprocess_get_if_exited(run->proc) ? g_subprocess_get_exit_status(run->proc)
		                                                    : 128 + g_subprocess_get_term_sig(run->proc);
	return TRUE;
}

static char *
slurp(const char *path)
{
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return g_strdup("");
	return text;
}

char *
vmm_serial(VmmRun *run)
{
	return slurp(run->serial_path);
}

char *
vmm_stderr(VmmRun *run)
{
	return slurp(run->stderr_path);
}

gboolean
vmm_wait_serial(VmmRun *run, const char *needle, int timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;

	while (g_get_monotonic_time() < deadline) {
		g_autofree char *text = vmm_serial(run);
		if (strstr(text, needle))
			return TRUE;
		g_usleep(10000);
	}
	return FALSE;
}

static void
rm_rf(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *p = g_build_filename(dir, name, NULL);
		g_unlink(p);
	}
	g_rmdir(dir);
}

void
vmm_run_free(VmmRun *run)
{
	if (run->proc) {
		if (g_subprocess_get_identifier(run->proc)) {
			g_subprocess_send_signal(run->proc, SIGKILL);
			g_subprocess_wait(run->proc, NULL, NULL);
		}
		g_object_unref(run->proc);
	}
	rm_rf(run->dir);
	g_free(run->dir);
	g_free(run->serial_path);
	g_free(run->stderr_path);
	g_free(run->socket_path);
	g_free(run);
}

char *
vmm_run_guest(const char *guest, const char *const *extra, int *exit_status)
{
	g_autoptr(VmmRun) run = vmm_spawn(guest, extra, FALSE);
	char *serial;

	g_assert_true(vmm_wait(run, 60000, exit_status));
	serial = vmm_serial(run);
	if (*exit_status != 0) {
		g_autofree char *err = vmm_stderr(run);
		g_test_message("glassbox-vmm exited %d; stderr: %s", *exit_status, err);
	}
	return serial;
}

ApiClient *
api_connect(const char *path)
{
	ApiClient *c = g_new0(ApiClient, 1);
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
	g_autoptr(GError) error = NULL;
	g_autofree char *greeting = NULL;

	/* The socket appears once the VMM has set the machine up; between its
	 * bind() and listen() a connection is refused: retry for a while. */
	for (int i = 0; i < 2000; i++) {
		g_clear_error(&error);
		c->conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL, &error);
		if (c->conn)
			break;
		g_usleep(10000);
	}
	g_assert_no_error(error);
	g_socket_set_timeout(g_socket_connection_get_socket(c->conn), 20);
	c->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(c->conn)));
	c->out = g_io_stream_get_output_stream(G_IO_STREAM(c->conn));
	c->events = g_ptr_array_new_with_free_func((GDestroyNotify) json_object_unref);

	greeting = g_data_input_stream_read_line_utf8(c->in, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(strstr(greeting, "\"greeting\""));
	return c;
}

/* One line as a JSON object (a new reference), NULL at EOF. */
static JsonObject *
read_object(ApiClient *c)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *line = g_data_input_stream_read_line_utf8(c->in, NULL, NULL, &error);
	g_autoptr(JsonParser) parser = json_parser_new();

	if (line == NULL)
		return NULL;
	g_assert_true(json_parser_load_from_data(parser, line, -1, &error));
	g_assert_true(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)));
	return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

JsonObject *
api_call(ApiClient *c, const char *command)
{
	g_autofree char *line = g_strdup_printf("{\"execute\": \"%s\", \"id\": \"t1\"}\n", command);
	JsonObject *o;

	g_assert_true(g_output_stream_write_all(c->out, line, strlen(line), NULL, NULL, NULL));
	while ((o = read_object(c)) != NULL) {
		if (json_object_has_member(o, "event")) {
			g_ptr_array_add(c->events, o);
			continue;
		}
		g_assert_cmpstr(json_object_get_string_member(o, "id"), ==, "t1");
		return o;
	}
	g_assert_not_reached();
}

JsonObject *
api_raw(ApiClient *c, const char *text)
{
	g_autofree char *line = g_strconcat(text, "\n", NULL);
	JsonObject *o;

	g_assert_true(g_output_stream_write_all(c->out, line, strlen(line), NULL, NULL, NULL));
	while ((o = read_object(c)) != NULL) {
		if (!json_object_has_member(o, "event"))
			return o;
		g_ptr_array_add(c->events, o);
	}
	g_assert_not_reached();
}

static JsonObject *
find_event(ApiClient *c, const char *event)
{
	for (unsigned int i = 0; i < c->events->len; i++) {
		JsonObject *o = g_ptr_array_index(c->events, i);
		if (!g_strcmp0(json_object_get_string_member(o, "event"), event))
			return o;
	}
	return NULL;
}

JsonObject *
api_wait_event(ApiClient *c, const char *event, int timeout_ms)
{
	GSocket *sock = g_socket_connection_get_socket(c->conn);
	JsonObject *o = find_event(c, event);

	g_socket_set_timeout(sock, (timeout_ms + 999) / 1000);
	while (o == NULL) {
		JsonObject *next = read_object(c);
		if (next == NULL)
			break;
		g_ptr_array_add(c->events, next);
		if (!g_strcmp0(json_object_get_string_member(next, "event"), event))
			o = next;
	}
	g_socket_set_timeout(sock, 20);
	return o;
}

void
api_client_free(ApiClient *c)
{
	g_object_unref(c->in);
	g_io_stream_close(G_IO_STREAM(c->conn), NULL, NULL);
	g_object_unref(c->conn);
	g_ptr_array_unref(c->events);
	g_free(c);
}
