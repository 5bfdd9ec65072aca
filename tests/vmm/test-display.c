/* test-display.c — glassbox-vmm's screen, seen the way the app sees it:
 * a VNC client (gvnc, the GLib half of gtk-vnc, as GbDisplay uses it) on
 * the VMM's UNIX socket, with the tiny guest tests/guests/screen.c drawing
 * a known pattern and echoing the i8042's key and mouse bytes to COM1. */
#include <errno.h>
#include <gvnc.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gb-test-utils.h"
#include "vmm-test-util.h"

#define W 256
#define H 192

static const char *const display_args[] = { "--display", "vnc,width=256,height=192", NULL };

static guint32
pattern(unsigned int x, unsigned int y)
{
	return ((x & 0xff) << 16) | ((y & 0xff) << 8) | ((x + y) & 0xff);
}

/* ---- a VNC client ---------------------------------------------------- */

typedef struct {
	VncConnection *conn;
	VncBaseFramebuffer *fb;
	guint32 pixels[W * H];
	gboolean initialized, closed, auth_failed;
	const char *password;   /* NULL: expect no authentication */
	guint updates;
	guint request_idle;
	int min_y, max_y;       /* rows updated since the last reset */
} Client;

static const VncPixelFormat local_format = {
	.bits_per_pixel = 32,
	.depth = 24,
	.byte_order = G_BYTE_ORDER,
	.true_color_flag = 1,
	.red_max = 255, .green_max = 255, .blue_max = 255,
	.red_shift = 16, .green_shift = 8, .blue_shift = 0,
};

static void
on_initialized(VncConnection *conn, Client *c)
{
	gint32 encodings[] = { VNC_CONNECTION_ENCODING_RAW, VNC_CONNECTION_ENCODING_EXT_KEY_EVENT };

	g_assert_cmpint(vnc_connection_get_width(conn), ==, W);
	g_assert_cmpint(vnc_connection_get_height(conn), ==, H);
	g_assert_true(vnc_connection_set_pixel_format(conn, &local_format));
	g_assert_true(vnc_connection_set_encodings(conn, G_N_ELEMENTS(encodings), encodings));
	c->fb = vnc_base_framebuffer_new((guint8 *) c->pixels, W, H, W * 4, &local_format, &local_format);
	vnc_connection_set_framebuffer(conn, VNC_FRAMEBUFFER(c->fb));
	vnc_connection_framebuffer_update_request(conn, FALSE, 0, 0, W, H);
	c->initialized = TRUE;
}

/* As GbDisplay does: one incremental request per batch of rectangles. */
static gboolean
request_update(gpointer data)
{
	Client *c = data;

	c->request_idle = 0;
	vnc_connection_framebuffer_update_request(c->conn, TRUE, 0, 0, W, H);
	return G_SOURCE_REMOVE;
}

static void
on_update(VncConnection *conn, guint16 x, guint16 y, guint16 w, guint16 h, Client *c)
{
	c->updates++;
	c->min_y = MIN(c->min_y, y);
	c->max_y = MAX(c->max_y, y + h);
	if (c->request_idle == 0)
		c->request_idle = g_idle_add_full(G_PRIORITY_HIGH_IDLE, request_update, c, NULL);
}

G_GNUC_BEGIN_IGNORE_DEPRECATIONS
static void
on_auth_choose(VncConnection *conn, GValueArray *types, Client *c)
{
	gboolean has_none = FALSE, has_vnc = FALSE;

	for (guint i = 0; i < types->n_values; i++) {
		has_none |= g_value_get_enum(&types->values[i]) == VNC_CONNECTION_AUTH_NONE;
		has_vnc |= g_value_get_enum(&types->values[i]) == VNC_CONNECTION_AUTH_VNC;
	}
	/* The UNIX socket asks for nothing; TCP only ever for the password. */
	if (c->password) {
		g_assert_false(has_none);
		g_assert_true(has_vnc);
		vnc_connection_set_auth_type(conn, VNC_CONNECTION_AUTH_VNC);
	} else {
		g_assert_true(has_none);
		vnc_connection_set_auth_type(conn, VNC_CONNECTION_AUTH_NONE);
	}
}

static void
on_auth_credential(VncConnection *conn, GValueArray *creds, Client *c)
{
	for (guint i = 0; i < creds->n_values; i++)
		if (g_value_get_enum(&creds->values[i]) == VNC_CONNECTION_CREDENTIAL_PASSWORD)
			vnc_connection_set_credential(conn, VNC_CONNECTION_CREDENTIAL_PASSWORD, c->password);
}
G_GNUC_END_IGNORE_DEPRECATIONS

static void
on_auth_failure(VncConnection *conn, const char *reason, Client *c)
{
	c->auth_failed = TRUE;
}

static void
on_disconnected(VncConnection *conn, Client *c)
{
	c->closed = TRUE;
}

static Client *
client_new(const char *password)
{
	Client *c = g_new0(Client, 1);

	c->password = password;
	c->min_y = G_MAXINT;
	c->conn = vnc_connection_new();
	g_signal_connect(c->conn, "vnc-initialized", G_CALLBACK(on_initialized), c);
	g_signal_connect(c->conn, "vnc-framebuffer-update", G_CALLBACK(on_update), c);
	g_signal_connect(c->conn, "vnc-auth-choose-type", G_CALLBACK(on_auth_choose), c);
	g_signal_connect(c->conn, "vnc-disconnected", G_CALLBACK(on_disconnected), c);
	g_signal_connect(c->conn, "vnc-auth-credential", G_CALLBACK(on_auth_credential), c);
	g_signal_connect(c->conn, "vnc-auth-failure", G_CALLBACK(on_auth_failure), c);
	vnc_connection_set_shared(c->conn, TRUE);
	return c;
}

static Client *
client_connect(const char *path)
{
	Client *c = client_new(NULL);
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);

	g_assert_true(vnc_connection_open_addr(c->conn, addr, NULL));
	GB_TEST_WAIT_FOR(c->initialized || c->closed, 20);
	g_assert_true(c->initialized);
	return c;
}

static void
client_free(Client *c)
{
	g_clear_handle_id(&c->request_idle, g_source_remove);
	g_signal_handlers_disconnect_by_data(c->conn, c);
	vnc_connection_shutdown(c->conn);
	g_object_unref(c->conn);
	g_clear_object(&c->fb);
	g_free(c);
}

/* Runs the main loop for ms milliseconds (the ticker wakes it). */
static void
spin_ms(guint ms)
{
	gint64 end = g_get_monotonic_time() + (gint64) ms * 1000;

	while (g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, TRUE);
}

/* Until nothing more arrives for 300 ms: no update is in flight. */
static void
client_settle(Client *c)
{
	guint before;

	do {
		before = c->updates;
		spin_ms(300);
	} while (c->updates != before);
}

static gboolean
client_shows_pattern(Client *c)
{
	for (unsigned int y = 0; y < H; y++)
		for (unsigned int x = 0; x < W; x++)
			if ((c->pixels[y * W + x] & 0xffffff) != pattern(x, y))
				return FALSE;
	return TRUE;
}

/* ---- helpers ------------------------------------------------------------- */

static gboolean
serial_has(VmmRun *run, const char *needle)
{
	g_autofree char *text = vmm_serial(run);

	return text && strstr(text, needle);
}

static JsonObject *
display_stats(ApiClient *api)
{
	JsonObject *reply = api_call(api, "query-display");

	g_assert_true(json_object_has_member(reply, "return"));
	return reply;
}

static gint64
display_stat(ApiClient *api, const char *name)
{
	g_autoptr(JsonObject) reply = display_stats(api);

	return json_object_get_int_member(json_object_get_object_member(reply, "return"), name);
}

static char *
vnc_path(VmmRun *run)
{
	return g_strconcat(run->socket_path, ".vnc", NULL);
}

static VmmRun *
start_guest(const char *guest, const char *ready, ApiClient **api)
{
	VmmRun *run = vmm_spawn(guest, display_args, TRUE);
	g_autoptr(JsonObject) r = NULL;
	g_autofree char *vnc = vnc_path(run);
	gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

	while (!g_file_test(run->socket_path, G_FILE_TEST_EXISTS) || !g_file_test(vnc, G_FILE_TEST_EXISTS)) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_usleep(10000);
	}
	*api = api_connect(run->socket_path);
	r = api_call(*api, "resume");
	g_assert_true(json_object_has_member(r, "return"));
	if (!vmm_wait_serial(run, ready, 60000)) {
		g_autofree char *serial = vmm_serial(run);
		g_autofree char *err = vmm_stderr(run);
		g_error("%s guest did not get ready; serial:\n%s\nstderr:\n%s", guest, serial, err);
	}
	return run;
}

static VmmRun *
start_screen_guest(ApiClient **api)
{
	return start_guest("screen", "input ready", api);
}

static void
stop_screen_guest(VmmRun *run, ApiClient *api)
{
	int status = -1;
	g_autofree char *err = NULL;

	api_client_free(api);
	g_assert_true(vmm_wait(run, 30000, &status));
	err = vmm_stderr(run);
	if (status != 0)
		g_printerr("glassbox-vmm stderr:\n%s\n", err);
	g_assert_cmpint(status, ==, 0);
	vmm_run_free(run);
}

static void
send_key(Client *c, guint keyval, guint16 qnum)
{
	vnc_connection_key_event(c->conn, TRUE, keyval, qnum);
	vnc_connection_key_event(c->conn, FALSE, keyval, qnum);
}

/* ---- tests --------------------------------------------------------------- */

static void
test_screen(void)
{
	ApiClient *api = NULL;
	VmmRun *run = start_screen_guest(&api);
	g_autofree char *vnc = vnc_path(run);
	g_autofree char *dump = g_build_filename(run->dir, "screen.ppm", NULL);
	g_autofree char *cmd = NULL;
	g_autofree char *ppm = NULL;
	g_autoptr(JsonObject) reply = NULL;
	struct stat st;
	gsize len;
	const char *hdr = "P6\n256 192\n255\n";
	gint64 before, after;
	Client *c;

	/* Only the owner may connect: the socket is created 0600. */
	g_assert_cmpint(stat(vnc, &st), ==, 0);
	g_assert_true(S_ISSOCK(st.st_mode));
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);

	/* The client sees exactly the guest's pattern. */
	c = client_connect(vnc);
	GB_TEST_WAIT_FOR(client_shows_pattern(c), 20);

	/* screendump writes the same pixels. */
	cmd = g_strdup_printf("{\"execute\": \"screendump\", \"arguments\": {\"filename\": \"%s\"}}", dump);
	reply = api_raw(api, cmd);
	g_assert_true(json_object_has_member(reply, "return"));
	g_assert_true(g_file_get_contents(dump, &ppm, &len, NULL));
	g_assert_cmpuint(len, ==, strlen(hdr) + W * H * 3);
	g_assert_cmpmem(ppm, strlen(hdr), hdr, strlen(hdr));
	for (unsigned int i = 0; i < W * H; i++) {
		const guint8 *p = (const guint8 *) ppm + strlen(hdr) + 3 * i;
		guint32 v = (p[0] << 16) | (p[1] << 8) | p[2];
		if (v != (c->pixels[i] & 0xffffff))
			g_error("screendump and VNC differ at (%u, %u): %06x vs %06x", i % W, i / W, v,
			        c->pixels[i] & 0xffffff);
	}

	/* Quiet screen: the dirty count stands still, no update in flight. */
	do {
		before = display_stat(api, "dirty-pages");
		client_settle(c);
	} while (display_stat(api, "dirty-pages") != before);

	/* 'f' (qnum 0x21): the guest fills rows 64-79, bytes 64 KiB to 80 KiB
	 * at 1024 bytes a row — four pages.  Only those rows come over VNC. */
	c->min_y = G_MAXINT;
	c->max_y = -1;
	send_key(c, 'f', 0x21);
	GB_TEST_WAIT_FOR(serial_has(run, "filled rows 64-79"), 20);
	GB_TEST_WAIT_FOR(c->max_y >= 80 && (c->pixels[79 * W] & 0xffffff) == 0xffffff, 20);
	client_settle(c);
	after = display_stat(api, "dirty-pages");
	g_test_message("dirty pages for a 4-page fill: %" G_GINT64_FORMAT, after - before);
	/* Exactly 4, or a page seen twice if a 30 Hz refresh fell mid-fill. */
	g_assert_cmpint(after - before, >=, 4);
	g_assert_cmpint(after - before, <=, 7);
	g_assert_cmpint(c->min_y, ==, 64);
	g_assert_cmpint(c->max_y, ==, 80);
	for (unsigned int y = 0; y < H; y++)
		for (unsigned int x = 0; x < W; x++) {
			guint32 want = y >= 64 && y < 80 ? 0xffffff : pattern(x, y);
			g_assert_cmphex(c->pixels[y * W + x] & 0xffffff, ==, want);
		}

	/* Keys arrive as set-1 scancodes: 'a' by scancode (QEMU extended key
	 * event), 'b' by keysym only (the US-layout fallback). */
	send_key(c, 'a', 0x1e);
	GB_TEST_WAIT_FOR(serial_has(run, "key 1e\nkey 9e\n"), 20);
	send_key(c, 'b', 0);
	GB_TEST_WAIT_FOR(serial_has(run, "key 30\nkey b0\n"), 20);
	/* An extended key: Up is E0 48. */
	send_key(c, 0xff52, 0xc8);
	GB_TEST_WAIT_FOR(serial_has(run, "key e0\nkey 48\nkey e0\nkey c8\n"), 20);

	/* The pointer: absolute VNC positions become PS/2 motion.  The first
	 * event only sets the origin; then 10 right, 10 up, left button. */
	vnc_connection_pointer_event(c->conn, 0, 100, 100);
	GB_TEST_WAIT_FOR(serial_has(run, "mouse 08 00 00\n"), 20);
	vnc_connection_pointer_event(c->conn, 1, 110, 90);
	GB_TEST_WAIT_FOR(serial_has(run, "mouse 09 0a 0a\n"), 20);
	/* 20 left and 5 down, no buttons: negative deltas with sign bits. */
	vnc_connection_pointer_event(c->conn, 0, 90, 95);
	GB_TEST_WAIT_FOR(serial_has(run, "mouse 38 ec fb\n"), 20);
	g_clear_pointer(&reply, json_object_unref);
	{
		g_autoptr(JsonObject) r = display_stats(api);
		JsonObject *d = json_object_get_object_member(r, "return");

		g_assert_cmpint(json_object_get_int_member(d, "pointer-x"), ==, 90);
		g_assert_cmpint(json_object_get_int_member(d, "pointer-y"), ==, 95);
		g_assert_cmpint(json_object_get_int_member(d, "clients"), ==, 1);
		g_assert_cmpint(json_object_get_int_member(d, "key-events"), ==, 8);
		g_assert_cmpint(json_object_get_int_member(d, "updates-sent"), >=, 2);
		/* At least the first full frame went over raw: 4 bytes a pixel. */
		g_assert_cmpint(json_object_get_int_member(d, "bytes-sent"), >=, W * H * 4);
	}
	{
		/* query-stats carries the same numbers for the inside view. */
		g_autoptr(JsonObject) r = api_call(api, "query-stats");
		JsonObject *s = json_object_get_object_member(r, "return");

		g_assert_true(json_object_has_member(s, "display"));
		g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(s, "display"), "width"), ==, W);
	}

	/* The guest moves the framebuffer's BAR: KVM's memory slot follows,
	 * the same pixels stay, and what it draws at the new address shows. */
	send_key(c, 'm', 0x32);
	GB_TEST_WAIT_FOR(serial_has(run, "moved to d8000000\n"), 20);
	GB_TEST_WAIT_FOR((c->pixels[0] & 0xffffff) == 0xff0000 && (c->pixels[W - 1] & 0xffffff) == 0xff0000, 20);
	g_assert_cmphex(c->pixels[W] & 0xffffff, ==, pattern(0, 1));
	g_clear_pointer(&reply, json_object_unref);
	reply = api_raw(api, cmd);
	g_assert_true(json_object_has_member(reply, "return"));
	g_clear_pointer(&ppm, g_free);
	g_assert_true(g_file_get_contents(dump, &ppm, &len, NULL));
	g_assert_cmpmem(ppm + strlen(hdr), 3, "\xff\x00\x00", 3);

	/* 'q' ends the guest; the VMM exits cleanly with a client attached. */
	send_key(c, 'q', 0x10);
	GB_TEST_WAIT_FOR(serial_has(run, "bye\n"), 20);
	client_free(c);
	stop_screen_guest(run, api);
}

static int
unix_connect(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint(fd, >=, 0);
	g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
	if (connect(fd, (struct sockaddr *) &addr, sizeof(addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static gboolean
read_exact(int fd, void *buf, size_t n)
{
	struct timeval tv = { .tv_sec = 10 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (size_t done = 0; done < n;) {
		ssize_t r = read(fd, (char *) buf + done, n - done);
		if (r <= 0)
			return FALSE;
		done += r;
	}
	return TRUE;
}

/* RFB 3.8 handshake by hand, security "None"; returns after ServerInit. */
static int
raw_handshake(const char *path)
{
	char version[12];
	guint8 n_types, types[255], init[24];
	guint32 result, name_len;
	g_autofree char *name = NULL;
	int fd = unix_connect(path);

	g_assert_cmpint(fd, >=, 0);
	g_assert_true(read_exact(fd, version, 12));
	g_assert_cmpmem(version, 4, "RFB ", 4);
	g_assert_cmpint(write(fd, "RFB 003.008\n", 12), ==, 12);
	g_assert_true(read_exact(fd, &n_types, 1));
	g_assert_cmpuint(n_types, >, 0);
	g_assert_true(read_exact(fd, types, n_types));
	g_assert_cmpint(write(fd, "\x01", 1), ==, 1);
	g_assert_true(read_exact(fd, &result, 4));
	g_assert_cmpuint(result, ==, 0);
	g_assert_cmpint(write(fd, "\x01", 1), ==, 1);     /* shared */
	g_assert_true(read_exact(fd, init, 24));
	g_assert_cmpuint((init[0] << 8) | init[1], ==, W);
	name_len = GUINT32_FROM_BE(*(guint32 *) (init + 20));
	g_assert_cmpuint(name_len, <, 256);
	name = g_malloc(name_len + 1);
	g_assert_true(read_exact(fd, name, name_len));
	return fd;
}

static void
test_hostile_clients(void)
{
	ApiClient *api = NULL;
	VmmRun *run = start_screen_guest(&api);
	g_autofree char *vnc = vnc_path(run);
	guint8 garbage[4096];
	guint8 buf[65536];
	int fd;

	/* Garbage instead of a protocol version: the server hangs up. */
	for (unsigned int i = 0; i < sizeof(garbage); i++)
		garbage[i] = g_random_int();
	fd = unix_connect(vnc);
	g_assert_cmpint(fd, >=, 0);
	g_assert_true(read_exact(fd, buf, 12));
	if (write(fd, garbage, sizeof(garbage)) < 0)
		g_test_message("write: %s", g_strerror(errno));
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);

	/* A proper client asking for a 65535x65535 update at 65535,65535, then
	 * a non-incremental full one: clipped to the screen, nothing breaks. */
	fd = raw_handshake(vnc);
	{
		guint8 req1[10] = { 3, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
		guint8 req2[10] = { 3, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff };
		guint8 hdr[4];

		g_assert_cmpint(write(fd, req1, sizeof(req1)), ==, sizeof(req1));
		g_assert_cmpint(write(fd, req2, sizeof(req2)), ==, sizeof(req2));
		g_assert_true(read_exact(fd, hdr, 4));
		g_assert_cmpuint(hdr[0], ==, 0);               /* FramebufferUpdate */
	}
	/* Then garbage mid-session: an unknown message type closes it. */
	if (write(fd, garbage, sizeof(garbage)) < 0)
		g_test_message("write: %s", g_strerror(errno));
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);

	/* A QEMU message without having announced the pseudo-encoding, and
	 * one claiming a huge cut-text length: both just end that client. */
	fd = raw_handshake(vnc);
	g_assert_cmpint(write(fd, "\xff\x00\x00\x01\x00\x00\x00\x61\x00\x00\x00\x1e", 12), ==, 12);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	fd = raw_handshake(vnc);
	g_assert_cmpint(write(fd, "\x06\x00\x00\x00\x7f\xff\xff\xff", 8), ==, 8);
	close(fd);

	/* Someone else on this machine cannot connect at all. */
	if (getuid() == 0) {
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			int cfd;

			if (setgid(65534) < 0 || setuid(65534) < 0)
				_exit(3);
			cfd = unix_connect(vnc);
			_exit(cfd < 0 && errno == EACCES ? 0 : 1);
		}
		g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
		g_assert_true(WIFEXITED(status));
		g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	} else {
		g_test_message("not root: the other-user connection check needs setuid; the 0600 mode is checked in /display/screen");
	}

	/* Still alive and serving: a well-behaved client gets the pattern. */
	{
		g_autoptr(JsonObject) r = api_call(api, "query-status");
		Client *c;

		g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(r, "return"), "status"), ==, "running");
		c = client_connect(vnc);
		GB_TEST_WAIT_FOR(client_shows_pattern(c), 20);
		send_key(c, 'q', 0x10);
		GB_TEST_WAIT_FOR(serial_has(run, "bye\n"), 20);
		client_free(c);
	}
	stop_screen_guest(run, api);
}

static void
test_no_display(void)
{
	VmmRun *run = vmm_spawn("hello", NULL, TRUE);
	g_autoptr(JsonObject) r = NULL;
	gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	ApiClient *api;

	while (!g_file_test(run->socket_path, G_FILE_TEST_EXISTS)) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_usleep(10000);
	}
	api = api_connect(run->socket_path);
	r = api_call(api, "query-display");
	g_assert_true(json_object_has_member(r, "error"));
	g_clear_pointer(&r, json_object_unref);
	r = api_call(api, "stop");
	api_client_free(api);
	g_assert_true(vmm_wait(run, 30000, NULL));
	vmm_run_free(run);
}

static void check_fails(const char *const *argv, const char *expect);

/* A port nobody listens on now (bound, then released). */
static guint16
free_port(void)
{
	g_autoptr(GSocket) sock = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, NULL);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocketAddress) bound = NULL;

	g_assert_true(g_socket_bind(sock, any, FALSE, NULL));
	bound = g_socket_get_local_address(sock, NULL);
	return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

/* --vnc tcp=127.0.0.1:N,password-file=F: loopback TCP asks for the
 * password (and only it), a wrong one is refused, and the UNIX socket
 * still asks for nothing.  Refused: other addresses, no password. */
static void
test_vnc_tcp(void)
{
	g_autofree char *dir = gb_test_tmpdir_new("gb-display-XXXXXX");
	g_autofree char *pwfile = g_build_filename(dir, "password", NULL);
	guint16 port = free_port();
	g_autofree char *vnc_arg = g_strdup_printf("--vnc=tcp=127.0.0.1:%u,password-file=%s", port, pwfile);
	g_autofree char *port_str = g_strdup_printf("%u", port);
	const char *args[] = { "--display", "vnc,width=256,height=192", vnc_arg, NULL };
	g_autofree char *vmm = vmm_binary();
	g_autofree char *kernel = guest_path("hello");
	VmmRun *run;
	ApiClient *api;
	g_autoptr(JsonObject) r = NULL;
	g_autofree char *vnc = NULL;
	Client *c;

	g_assert_true(g_file_set_contents(pwfile, "s3cret\n", -1, NULL));
	run = vmm_spawn("screen", args, TRUE);
	vnc = vnc_path(run);
	for (gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	     !g_file_test(run->socket_path, G_FILE_TEST_EXISTS);) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(10000);
	}
	api = api_connect(run->socket_path);
	r = api_call(api, "resume");
	g_assert_true(vmm_wait_serial(run, "input ready", 60000));

	/* Right password over TCP: the pattern. */
	c = client_new("s3cret");
	g_assert_true(vnc_connection_open_host(c->conn, "127.0.0.1", port_str));
	GB_TEST_WAIT_FOR(c->initialized || c->closed, 20);
	g_assert_true(c->initialized);
	GB_TEST_WAIT_FOR(client_shows_pattern(c), 20);
	client_free(c);

	/* Wrong password: refused. */
	c = client_new("guess");
	g_assert_true(vnc_connection_open_host(c->conn, "127.0.0.1", port_str));
	GB_TEST_WAIT_FOR(c->closed, 20);
	g_assert_true(c->auth_failed);
	g_assert_false(c->initialized);
	client_free(c);

	/* The UNIX socket: no password asked (client_connect checks). */
	c = client_connect(vnc);
	GB_TEST_WAIT_FOR(client_shows_pattern(c), 20);
	send_key(c, 'q', 0x10);
	GB_TEST_WAIT_FOR(serial_has(run, "bye\n"), 20);
	client_free(c);
	stop_screen_guest(run, api);

	{
		const char *argv[] = { vmm, "run", "--kernel", kernel, "--display", "vnc", "--vnc-socket", pwfile,
		                       "--vnc", "tcp=0.0.0.0:5999,password-file=/dev/null", NULL };
		check_fails(argv, "TCP on loopback only, and only with a password");
	}
	{
		const char *argv[] = { vmm, "run", "--kernel", kernel, "--display", "vnc", "--vnc-socket", pwfile,
		                       "--vnc", "tcp=127.0.0.1:5999", NULL };
		check_fails(argv, "TCP on loopback only, and only with a password");
	}
	gb_test_tmpdir_remove(dir);
}

/* The absolute pointer: a virtio-input tablet beside the screen.  The
 * guest's driver reads what the device is, then gets ABS_X/ABS_Y scaled to
 * 0..32767 and button keys, each report closed by SYN_REPORT. */
static void
test_tablet(void)
{
	ApiClient *api = NULL;
	VmmRun *run = start_guest("tablet", "tablet ready", &api);
	g_autofree char *vnc = vnc_path(run);
	g_autofree char *expect = NULL;
	Client *c;

	g_assert_true(serial_has(run, "name Glassbox Tablet, abs bits 03, rel bits 01, key bits at 0x110 07, x max 32767\n"));
	c = client_connect(vnc);
	vnc_connection_pointer_event(c->conn, 0, W - 1, H - 1);
	GB_TEST_WAIT_FOR(serial_has(run, "ev 3 000 7fff\nev 3 001 7fff\nev 0 000 0000\n"), 20);
	vnc_connection_pointer_event(c->conn, 1, 128, 96);
	expect = g_strdup_printf("ev 3 000 %04x\nev 3 001 %04x\nev 1 110 0001\nev 0 000 0000\n",
	                         128 * 32767 / (W - 1), 96 * 32767 / (H - 1));
	GB_TEST_WAIT_FOR(serial_has(run, expect), 20);
	{
		g_autoptr(JsonObject) r = display_stats(api);
		JsonObject *d = json_object_get_object_member(r, "return");

		g_assert_cmpint(json_object_get_int_member(d, "tablet-events"), ==, 2);
		g_assert_cmpint(json_object_get_int_member(d, "mouse-events"), ==, 0);
	}
	/* A wheel click down (RFB button 5 pressed and released), left held:
	 * REL_WHEEL -1 once, no button change. */
	vnc_connection_pointer_event(c->conn, 1 | 16, 128, 96);
	vnc_connection_pointer_event(c->conn, 1, 128, 96);
	g_clear_pointer(&expect, g_free);
	expect = g_strdup_printf("ev 3 000 %04x\nev 3 001 %04x\nev 2 008 ffff\nev 0 000 0000\n",
	                         128 * 32767 / (W - 1), 96 * 32767 / (H - 1));
	GB_TEST_WAIT_FOR(serial_has(run, expect), 20);
	/* RFB button 3 is the right button: the guest ends on it. */
	vnc_connection_pointer_event(c->conn, 1 | 4, 128, 96);
	GB_TEST_WAIT_FOR(serial_has(run, "ev 1 111 0001\nbye\n"), 20);
	client_free(c);
	stop_screen_guest(run, api);
}

/* ---- save-state with a screen ------------------------------------------- */

static JsonObject *
save_state(ApiClient *api, const char *file)
{
	g_autofree char *text = g_strdup_printf("{\"execute\": \"save-state\", \"arguments\": {\"filename\": \"%s\"}}", file);

	return api_raw(api, text);
}

static char *
screendump(ApiClient *api, const char *file)
{
	g_autofree char *cmd = g_strdup_printf("{\"execute\": \"screendump\", \"arguments\": {\"filename\": \"%s\"}}", file);
	g_autoptr(JsonObject) reply = api_raw(api, cmd);
	char *ppm = NULL;

	g_assert_true(json_object_has_member(reply, "return"));
	g_assert_true(g_file_get_contents(file, &ppm, NULL, NULL));
	return ppm;
}

/* Saved and stopped, then a new VMM with --restore: a screen guest that
 * had moved its framebuffer's BAR shows the same picture (screendump and a
 * VNC client), and what it draws next through the moved BAR shows too. */
static void
test_save_restore_screen(void)
{
	g_autofree char *dir = gb_test_tmpdir_new("gb-display-save-XXXXXX");
	g_autofree char *state = g_build_filename(dir, "screen.state", NULL);
	g_autofree char *dump_before = g_build_filename(dir, "before.ppm", NULL);
	g_autofree char *dump_after = g_build_filename(dir, "after.ppm", NULL);
	g_autofree char *before = NULL, *after = NULL;
	const char *hdr = "P6\n256 192\n255\n";
	int status = -1;

	{
		ApiClient *api = NULL;
		VmmRun *run = start_screen_guest(&api);
		g_autofree char *vnc = vnc_path(run);
		g_autoptr(JsonObject) r = NULL, r2 = NULL;
		Client *c = client_connect(vnc);

		GB_TEST_WAIT_FOR(client_shows_pattern(c), 20);
		send_key(c, 'm', 0x32);
		GB_TEST_WAIT_FOR(serial_has(run, "moved to d8000000\n"), 20);
		before = screendump(api, dump_before);
		g_assert_cmpmem(before + strlen(hdr), 3, "\xff\x00\x00", 3);
		r = save_state(api, state);
		if (!json_object_has_member(r, "return")) {
			g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), r);
			g_autofree char *text = json_to_string(node, FALSE);
			g_error("save-state: %s", text);
		}
		client_free(c);
		r2 = api_call(api, "stop");
		stop_screen_guest(run, api);
	}
	{
		const char *extra[] = { "--display", "vnc,width=256,height=192", "--restore", state, NULL };
		VmmRun *run = vmm_spawn("screen", extra, TRUE);
		ApiClient *api = api_connect(run->socket_path);
		g_autofree char *vnc = vnc_path(run);
		g_autoptr(JsonObject) r = api_call(api, "resume");
		g_autofree char *serial = NULL;
		Client *c;

		g_assert_true(json_object_has_member(r, "return"));
		after = screendump(api, dump_after);
		/* Byte for byte the picture at the save: row 0 red, the rest
		 * the pattern. */
		g_assert_true(memcmp(before, after, strlen(hdr) + W * H * 3) == 0);
		c = client_connect(vnc);
		GB_TEST_WAIT_FOR((c->pixels[0] & 0xffffff) == 0xff0000 && (c->pixels[W * H - 1] & 0xffffff) ==
		                 pattern(W - 1, H - 1), 20);
		g_assert_cmphex(c->pixels[W] & 0xffffff, ==, pattern(0, 1));
		/* The guest draws through the BAR where it had moved it. */
		send_key(c, 'f', 0x21);
		GB_TEST_WAIT_FOR(serial_has(run, "filled rows 64-79"), 20);
		GB_TEST_WAIT_FOR((c->pixels[79 * W] & 0xffffff) == 0xffffff, 20);
		serial = vmm_serial(run);
		g_assert_null(strstr(serial, "pattern drawn"));   /* not booted again */
		send_key(c, 'q', 0x10);
		GB_TEST_WAIT_FOR(serial_has(run, "bye\n"), 20);
		client_free(c);
		stop_screen_guest(run, api);
	}
	/* Another screen size: refused, naming both. */
	{
		const char *extra[] = { "--display", "vnc,width=320,height=200", "--restore", state, NULL };
		g_autoptr(VmmRun) run = vmm_spawn("screen", extra, TRUE);
		g_autofree char *err = NULL;

		g_assert_true(vmm_wait(run, 30000, &status));
		g_assert_cmpint(status, !=, 0);
		err = vmm_stderr(run);
		g_test_message("refused: %s", err);
		g_assert_nonnull(strstr(err, "256x192"));
		g_assert_nonnull(strstr(err, "320x200"));
	}
	/* No screen at all: the tablet's slot is empty, named as such. */
	{
		const char *extra[] = { "--restore", state, NULL };
		g_autoptr(VmmRun) run = vmm_spawn("screen", extra, FALSE);
		g_autofree char *err = NULL;

		g_assert_true(vmm_wait(run, 30000, &status));
		g_assert_cmpint(status, !=, 0);
		err = vmm_stderr(run);
		g_test_message("refused: %s", err);
		g_assert_nonnull(strstr(err, "display"));
	}
	gb_test_tmpdir_remove(dir);
}

/* The tablet saved with the left button held: after --restore the next
 * report releases it (the device kept what it had sent), and events keep
 * reaching the driver's buffers. */
static void
test_save_restore_tablet(void)
{
	g_autofree char *dir = gb_test_tmpdir_new("gb-display-save-XXXXXX");
	g_autofree char *state = g_build_filename(dir, "tablet.state", NULL);
	g_autofree char *expect = NULL;

	{
		ApiClient *api = NULL;
		VmmRun *run = start_guest("tablet", "tablet ready", &api);
		g_autofree char *vnc = vnc_path(run);
		g_autoptr(JsonObject) r = NULL, r2 = NULL;
		Client *c = client_connect(vnc);

		vnc_connection_pointer_event(c->conn, 1, 128, 96);
		expect = g_strdup_printf("ev 3 000 %04x\nev 3 001 %04x\nev 1 110 0001\nev 0 000 0000\n",
		                         128 * 32767 / (W - 1), 96 * 32767 / (H - 1));
		GB_TEST_WAIT_FOR(serial_has(run, expect), 20);
		r = save_state(api, state);
		if (!json_object_has_member(r, "return")) {
			g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), r);
			g_autofree char *text = json_to_string(node, FALSE);
			g_error("save-state: %s", text);
		}
		client_free(c);
		r2 = api_call(api, "stop");
		stop_screen_guest(run, api);
	}
	{
		const char *extra[] = { "--display", "vnc,width=256,height=192", "--restore", state, NULL };
		VmmRun *run = vmm_spawn("tablet", extra, TRUE);
		ApiClient *api = api_connect(run->socket_path);
		g_autofree char *vnc = NULL;
		g_autoptr(JsonObject) r = api_call(api, "resume");
		g_autofree char *serial = NULL;
		Client *c;

		g_assert_true(json_object_has_member(r, "return"));
		vnc = vnc_path(run);
		c = client_connect(vnc);
		vnc_connection_pointer_event(c->conn, 0, 0, 0);
		GB_TEST_WAIT_FOR(serial_has(run, "ev 3 000 0000\nev 3 001 0000\nev 1 110 0000\nev 0 000 0000\n"), 20);
		serial = vmm_serial(run);
		g_assert_null(strstr(serial, "tablet ready"));   /* not booted again */
		/* RFB button 3 is the right button: the guest ends on it. */
		vnc_connection_pointer_event(c->conn, 4, 0, 0);
		GB_TEST_WAIT_FOR(serial_has(run, "ev 1 111 0001\nbye\n"), 20);
		client_free(c);
		stop_screen_guest(run, api);
	}
	gb_test_tmpdir_remove(dir);
}

/* A bzImage kernel learns about the screen from boot_params.screen_info,
 * as a VESA linear framebuffer: what Debian's built-in vesafb binds to. */
static void
test_bzimage_screen_info(void)
{
	g_autofree char *dir = gb_test_tmpdir_new("gb-display-XXXXXX");
	g_autofree char *sock = g_build_filename(dir, "vnc", NULL);
	g_autofree char *kernel = g_build_filename(g_getenv("G_TEST_BUILDDIR"), "guests", "bzImage", NULL);
	g_autofree char *sock_arg = g_strconcat("--vnc-socket=", sock, NULL);
	const char *extra[] = { "--kernel", kernel, "--memory", "64", "--display", "vnc", sock_arg, NULL };
	int status = -1;
	g_autofree char *serial = vmm_run_guest("hello", extra, &status);

	g_assert_cmpint(status, ==, 0);
	g_assert_nonnull(strstr(serial, "screen_info: type 0x23, 0x400x0x300x0x20 at 0xd0000000, "
	                                "64K units 0x40, line 0x1000, rgbx 0x8@0x10 0x8@0x8 0x8@0x0 0x8@0x18\n"));
	/* The socket goes away with the VMM. */
	g_assert_false(g_file_test(sock, G_FILE_TEST_EXISTS));
	gb_test_tmpdir_remove(dir);
}

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
	if (!strstr(err, expect))
		g_error("expected \"%s\" in:\n%s", expect, err);
}

/* The JSON form the app writes, and what a PCI scan then finds: the display
 * after the virtio devices, class 03.80.00, BAR 0 prefetchable at
 * 0xd0000000, 1 MiB for 320x200.  Bad options are refused with a reason. */
static void
test_options(void)
{
	g_autofree char *dir = gb_test_tmpdir_new("gb-display-XXXXXX");
	g_autofree char *sock = g_build_filename(dir, "screen.vnc", NULL);
	g_autofree char *json = g_build_filename(dir, "machine.json", NULL);
	g_autofree char *text = g_strdup_printf("{\"display\": \"vnc,width=320,height=200\", \"vnc-socket\": \"%s\"}", sock);
	g_autofree char *config_arg = g_strconcat("--config=", json, NULL);
	g_autofree char *vmm = vmm_binary();
	g_autofree char *kernel = guest_path("hello");
	const char *extra[] = { config_arg, NULL };
	int status = -1;
	g_autofree char *serial = NULL;

	g_assert_true(g_file_set_contents(json, text, -1, NULL));
	serial = vmm_run_guest("pci-enum", extra, &status);
	g_assert_cmpint(status, ==, 0);
	if (!strstr(serial, "1af4:10f0 class 038000 rev 00 bar0 d0000008 size 00100000"))
		g_error("no display device in:\n%s", serial);
	/* virtio-rng keeps slot 1. */
	g_assert_nonnull(strstr(serial, "pci 00:01.0 1af4:1044"));
	g_assert_nonnull(strstr(serial, "pci 00:02.0 1af4:10f0"));
	{
		const char *argv[] = { vmm, "run", "--kernel", kernel, "--display", "vnc", NULL };
		check_fails(argv, "--display vnc needs --vnc-socket PATH");
	}
	{
		const char *argv[] = { vmm, "run", "--kernel", kernel, "--display", "vnc,width=9000", "--vnc-socket", sock, NULL };
		check_fails(argv, "expected vnc[,width=W][,height=H]");
	}
	{
		const char *argv[] = { vmm, "run", "--kernel", kernel, "--display", "sdl", "--vnc-socket", sock, NULL };
		check_fails(argv, "expected vnc[,width=W][,height=H]");
	}
	{
		g_autofree char *long_path = g_strnfill(120, 'x');
		g_autofree char *long_sock = g_strconcat("/tmp/", long_path, NULL);
		const char *argv[] = { vmm, "run", "--kernel", kernel, "--display", "vnc", "--vnc-socket", long_sock, NULL };
		check_fails(argv, "must be shorter than 108 bytes");
	}
	gb_test_tmpdir_remove(dir);
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
	/* The guest's serial output is a file: wake up to look at it. */
	gb_test_add_ticker();

	if (access("/dev/kvm", R_OK | W_OK) != 0) {
		g_test_add_func("/display/kvm-available", test_no_kvm);
		return g_test_run();
	}
	g_test_add_func("/display/screen", test_screen);
	g_test_add_func("/display/hostile-clients", test_hostile_clients);
	g_test_add_func("/display/tablet", test_tablet);
	g_test_add_func("/display/vnc-tcp", test_vnc_tcp);
	g_test_add_func("/display/none", test_no_display);
	g_test_add_func("/display/bzimage-screen-info", test_bzimage_screen_info);
	g_test_add_func("/display/options", test_options);
	g_test_add_func("/display/save-restore-screen", test_save_restore_screen);
	g_test_add_func("/display/save-restore-tablet", test_save_restore_tablet);
	return g_test_run();
}
