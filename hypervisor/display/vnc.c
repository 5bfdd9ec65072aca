/* vnc.c — VNC server for the framebuffer (see vnc.h for the threading).
 *
 * libvncserver keeps its own TCP listeners off (port 0): we listen on a
 * UNIX socket and hand each accepted fd to rfbNewClient().  Both our
 * listening fd and a wake-up eventfd sit in the screen's select() set so
 * rfbProcessEvents() returns as soon as someone connects or we stop.
 *
 * The pixels libvncserver sends from are the guest's framebuffer itself
 * (no copy): tearing is possible while the guest draws, but the dirty log
 * marks those pages again and the next refresh sends them once more.
 *
 * Keys: with QEMU's Extended Key Event pseudo-encoding (-258; RFB
 * community spec, "QEMU Extended Key Event Message") the client sends the
 * key's XT scancode ("qnum") besides the keysym, so the guest's own layout
 * applies; without it a US-layout keysym table is the fallback.
 */
#include "vnc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#define XK_XKB_KEYS          /* ISO_Left_Tab, ISO_Level3_Shift */
#include <rfb/keysym.h>
#include <rfb/rfb.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define REFRESH_US    (G_USEC_PER_SEC / 30)
#define MAX_CLIENTS   8
#define ENC_QEMU_EXT_KEY (-258)

struct vnc_server {
	struct framebuffer *fb;
	struct i8042 *kbd;
	struct virtio_device *tablet;
	rfbScreenInfoPtr screen;
	char *socket_path;
	char *passwords[2];         /* for rfbCheckPasswordByList, NULL-ended */
	unsigned int tcp_port;
	int listen_fd;
	int wake_fd;
	GThread *thread;
	bool stop;

	/* Display thread only. */
	bool have_pos;
	int last_x, last_y, last_mask;
	unsigned int n_clients;

	/* Counters: written by the display thread, read by anyone. */
	uint64_t connections, refused;
	uint64_t done_updates, done_bytes;   /* from clients that left */
	uint64_t live_updates, live_bytes;   /* from clients still there */
	uint64_t clients, key_events, pointer_events;
	int64_t pointer_x, pointer_y;
	uint64_t tablet_events, mouse_events;
};

/* ---- keys ---------------------------------------------------------------- */

/* qnum (XT set 1, 0x80 | code for E0-prefixed keys) → set-1 bytes. */
static void
send_qnum(struct vnc_server *s, unsigned int qnum, bool down)
{
	uint8_t codes[2];
	size_t n = 0;

	if (qnum == 0 || qnum > 0xff)
		return;
	if (qnum & 0x80)
		codes[n++] = 0xe0;
	codes[n++] = (qnum & 0x7f) | (down ? 0 : 0x80);
	i8042_key(s->kbd, codes, n);
	__atomic_add_fetch(&s->key_events, 1, __ATOMIC_RELAXED);
}

/* Keysym → qnum for a US keyboard: the fallback when a client cannot send
 * scancodes.  Shifted symbols map to their key; the client sends Shift. */
static unsigned int
keysym_to_qnum(rfbKeySym k)
{
	/* Each row: unshifted, shifted, and the first key's qnum. */
	static const struct { const char *plain, *shifted; unsigned int first; } rows[] = {
		{ "1234567890-=", "!@#$%^&*()_+", 0x02 },
		{ "qwertyuiop[]", "QWERTYUIOP{}", 0x10 },
		{ "asdfghjkl;'`", "ASDFGHJKL:\"~", 0x1e },
		{ "\\zxcvbnm,./", "|ZXCVBNM<>?", 0x2b },
	};

	if (k == ' ')
		return 0x39;
	if (k > 0x20 && k < 0x7f) {
		for (unsigned int i = 0; i < G_N_ELEMENTS(rows); i++) {
			const char *p;

			if ((p = strchr(rows[i].plain, (int) k)))
				return rows[i].first + (p - rows[i].plain);
			if ((p = strchr(rows[i].shifted, (int) k)))
				return rows[i].first + (p - rows[i].shifted);
		}
		return 0;
	}
	if (k >= XK_F1 && k <= XK_F10)
		return 0x3b + (k - XK_F1);
	switch (k) {
	case XK_F11: return 0x57;
	case XK_F12: return 0x58;
	case XK_Escape: return 0x01;
	case XK_BackSpace: return 0x0e;
	case XK_Tab: case XK_ISO_Left_Tab: return 0x0f;
	case XK_Return: return 0x1c;
	case XK_Control_L: return 0x1d;
	case XK_Shift_L: return 0x2a;
	case XK_Shift_R: return 0x36;
	case XK_KP_Multiply: return 0x37;
	case XK_Alt_L: case XK_Meta_L: return 0x38;
	case XK_Caps_Lock: return 0x3a;
	case XK_KP_Enter: return 0x9c;
	case XK_Control_R: return 0x9d;
	case XK_Alt_R: case XK_Meta_R: case XK_ISO_Level3_Shift: return 0xb8;
	case XK_Home: return 0xc7;
	case XK_Up: return 0xc8;
	case XK_Page_Up: return 0xc9;
	case XK_Left: return 0xcb;
	case XK_Right: return 0xcd;
	case XK_End: return 0xcf;
	case XK_Down: return 0xd0;
	case XK_Page_Down: return 0xd1;
	case XK_Insert: return 0xd2;
	case XK_Delete: return 0xd3;
	case XK_Super_L: return 0xdb;
	case XK_Super_R: return 0xdc;
	case XK_Menu: return 0xdd;
	default: return 0;
	}
}

static void
on_key(rfbBool down, rfbKeySym keysym, rfbClientPtr cl)
{
	struct vnc_server *s = cl->screen->screenData;

	send_qnum(s, keysym_to_qnum(keysym), down);
}

/* The pseudo-encoding is acknowledged with an empty rectangle of that
 * encoding; gtk-vnc and QEMU's clients send scancodes only after it. */
static rfbBool
ext_key_enable(rfbClientPtr cl, void **data, int encoding)
{
	uint8_t msg[16] = { rfbFramebufferUpdate, 0, 0, 1 };
	uint32_t enc = htonl((uint32_t) ENC_QEMU_EXT_KEY);

	if (encoding != ENC_QEMU_EXT_KEY)
		return FALSE;
	/* x, y, w, h = 0 (bytes 4-11), then the encoding. */
	memcpy(msg + 12, &enc, 4);
	rfbWriteExact(cl, (char *) msg, sizeof(msg));
	return TRUE;
}

static rfbBool
ext_key_message(rfbClientPtr cl, void *data, const rfbClientToServerMsg *message)
{
	struct vnc_server *s = cl->screen->screenData;
	uint8_t rest[sz_rfbQemuExtendedKeyEventMsg - 1];
	uint32_t keysym, qnum;
	uint16_t down;

	if (message->type != rfbQemuEvent)
		return FALSE;
	if (rfbReadExact(cl, (char *) rest, sizeof(rest)) <= 0) {
		rfbCloseClient(cl);
		return TRUE;
	}
	if (rest[0] != 0) {              /* only submessage 0, key events */
		rfbCloseClient(cl);
		return TRUE;
	}
	memcpy(&down, rest + 1, 2);
	memcpy(&keysym, rest + 3, 4);
	memcpy(&qnum, rest + 7, 4);
	down = ntohs(down);
	keysym = ntohl(keysym);
	qnum = ntohl(qnum);
	send_qnum(s, qnum ? qnum : keysym_to_qnum(keysym), down != 0);
	return TRUE;
}

static int ext_key_encodings[] = { ENC_QEMU_EXT_KEY, 0 };

static rfbProtocolExtension ext_key_extension = {
	.pseudoEncodings = ext_key_encodings,
	.enablePseudoEncoding = ext_key_enable,
	.handleMessage = ext_key_message,
};

/* ---- pointer ------------------------------------------------------------- */

static void
on_pointer(int mask, int x, int y, rfbClientPtr cl)
{
	struct vnc_server *s = cl->screen->screenData;
	/* RFB: bit 0 left, 1 middle, 2 right, 3/4 wheel up/down (each click
	 * a press and a release); PS/2 and ours: 0 left, 1 right, 2 middle. */
	unsigned int buttons = (mask & 1) | ((mask & 4) ? 2 : 0) | ((mask & 2) ? 4 : 0);
	int wheel = ((mask & 8) && !(s->last_mask & 8)) - ((mask & 16) && !(s->last_mask & 16));
	int dx = s->have_pos ? x - s->last_x : 0;
	int dy = s->have_pos ? s->last_y - y : 0;

	s->have_pos = true;
	s->last_mask = mask;
	s->last_x = x;
	s->last_y = y;
	__atomic_store_n(&s->pointer_x, x, __ATOMIC_RELAXED);
	__atomic_store_n(&s->pointer_y, y, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->pointer_events, 1, __ATOMIC_RELAXED);
	/* The tablet when its driver runs: absolute, scaled to 0..32767. */
	if (s->tablet) {
		unsigned int w = MAX(framebuffer_width(s->fb) - 1, 1u), h = MAX(framebuffer_height(s->fb) - 1, 1u);
		unsigned int tx = (uint64_t) CLAMP(x, 0, (int) w) * VIRTIO_TABLET_MAX / w;
		unsigned int ty = (uint64_t) CLAMP(y, 0, (int) h) * VIRTIO_TABLET_MAX / h;

		if (virtio_tablet_event(s->tablet, tx, ty, buttons, wheel)) {
			__atomic_add_fetch(&s->tablet_events, 1, __ATOMIC_RELAXED);
			return;
		}
	}
	__atomic_add_fetch(&s->mouse_events, 1, __ATOMIC_RELAXED);
	i8042_mouse(s->kbd, dx, dy, buttons);
}

/* ---- clients ------------------------------------------------------------- */

static void
on_client_gone(rfbClientPtr cl)
{
	struct vnc_server *s = cl->screen->screenData;

	/* libvncserver 0.9.14 frees a client without its extension list, and
	 * rfbDisableExtension() unlinks an entry without freeing it: unlink
	 * and free ours here (its data pointer is NULL). */
	for (rfbExtensionData **e = &cl->extensions; *e;) {
		rfbExtensionData *d = *e;

		if (d->extension == &ext_key_extension) {
			*e = d->next;
			free(d);
		} else {
			e = &d->next;
		}
	}
	__atomic_add_fetch(&s->done_bytes, rfbStatGetSentBytes(cl), __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->done_updates, rfbStatGetMessageCountSent(cl, rfbFramebufferUpdate),
	                   __ATOMIC_RELAXED);
	s->n_clients--;
}

static enum rfbNewClientAction
on_new_client(rfbClientPtr cl)
{
	struct vnc_server *s = cl->screen->screenData;

	if (s->n_clients >= MAX_CLIENTS) {
		__atomic_add_fetch(&s->refused, 1, __ATOMIC_RELAXED);
		return RFB_CLIENT_REFUSE;
	}
	cl->clientGoneHook = on_client_gone;
	s->n_clients++;
	__atomic_add_fetch(&s->connections, 1, __ATOMIC_RELAXED);
	return RFB_CLIENT_ACCEPT;
}

static void
accept_clients(struct vnc_server *s)
{
	for (;;) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		rfbClientPtr cl;
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0)
			return;
		/* The file mode already keeps others out; check the peer too,
		 * in case the socket's directory was opened up. */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		    (cred.uid != geteuid() && cred.uid != 0)) {
			__atomic_add_fetch(&s->refused, 1, __ATOMIC_RELAXED);
			close(fd);
			continue;
		}
		/* NULL: refused by on_new_client, which counted it. */
		cl = rfbNewClient(s->screen, fd);
		/* With a TCP password set, libvncserver would ask every client
		 * for it; a client it believes it dialled itself (a "reverse
		 * connection") gets security type None instead (auth.c,
		 * rfbAuthNewClient; in 0.9.14 the flag changes nothing else
		 * while the screen is always shared).  The UNIX socket's owner
		 * check stands in for the password. */
		if (cl)
			cl->reverseConnection = TRUE;
	}
}

static void
mark_rows(unsigned int y, unsigned int h, void *data)
{
	struct vnc_server *s = data;

	rfbMarkRectAsModified(s->screen, 0, y, s->screen->width, y + h);
}

static void
update_live_stats(struct vnc_server *s)
{
	rfbClientIteratorPtr it = rfbGetClientIterator(s->screen);
	uint64_t bytes = 0, updates = 0;
	rfbClientPtr cl;

	while ((cl = rfbClientIteratorNext(it))) {
		bytes += rfbStatGetSentBytes(cl);
		updates += rfbStatGetMessageCountSent(cl, rfbFramebufferUpdate);
	}
	rfbReleaseClientIterator(it);
	__atomic_store_n(&s->live_bytes, bytes, __ATOMIC_RELAXED);
	__atomic_store_n(&s->live_updates, updates, __ATOMIC_RELAXED);
	__atomic_store_n(&s->clients, s->n_clients, __ATOMIC_RELAXED);
}

static void
watch_fd(struct vnc_server *s, int fd)
{
	FD_SET(fd, &s->screen->allFds);
	s->screen->maxFd = MAX(s->screen->maxFd, fd);
}

static gpointer
display_thread(gpointer data)
{
	struct vnc_server *s = data;
	int64_t next = 0;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		int64_t now = g_get_monotonic_time();

		if (now >= next) {
			framebuffer_collect_dirty(s->fb, mark_rows, s);
			next = now + REFRESH_US;
		}
		/* libvncserver may drop closed clients' fds from the set and
		 * lower maxFd; keep ours in. */
		watch_fd(s, s->listen_fd);
		watch_fd(s, s->wake_fd);
		rfbProcessEvents(s->screen, MAX(next - now, 0));
		accept_clients(s);
		update_live_stats(s);
	}
	return NULL;
}

/* ---- set-up -------------------------------------------------------------- */

static void
vnc_log(const char *format, ...)
{
	va_list ap;

	if (!g_getenv("GLASSBOX_VMM_VERBOSE"))
		return;
	va_start(ap, format);
	fputs("glassbox-vmm: vnc: ", stderr);
	vfprintf(stderr, format, ap);
	va_end(ap);
}

static int
listen_unix(const char *path, GError **error)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old_umask;
	int fd, r;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG,
		            "VNC socket %s: a UNIX socket path must be shorter than %zu bytes",
		            path, sizeof(addr.sun_path));
		return -1;
	}
	strcpy(addr.sun_path, path);
	/* A stale socket from a crashed run is replaced; anything else stays. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	/* 0600 from the start: no window in which another user could connect. */
	old_umask = umask(0177);
	r = bind(fd, (struct sockaddr *) &addr, sizeof(addr));
	umask(old_umask);
	if (r < 0 || chmod(path, 0600) < 0 || listen(fd, 4) < 0)
		goto fail;
	return fd;

fail:
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
	            "VNC socket %s: %s", path, g_strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

struct vnc_server *
vnc_server_new(struct framebuffer *fb, struct i8042 *kbd, struct virtio_device *tablet,
               const char *socket_path, unsigned int tcp_port, const char *password_file, GError **error)
{
	static gsize extension_registered;
	struct vnc_server *s;
	int argc = 1;
	char *argv[] = { (char *) "glassbox-vmm", NULL };

	rfbLog = vnc_log;
	rfbErr = vnc_log;
	if (g_once_init_enter(&extension_registered)) {
		rfbRegisterProtocolExtension(&ext_key_extension);
		g_once_init_leave(&extension_registered, 1);
	}

	s = g_new0(struct vnc_server, 1);
	s->fb = fb;
	s->kbd = kbd;
	s->tablet = tablet;
	s->wake_fd = -1;
	s->socket_path = g_strdup(socket_path);
	s->tcp_port = tcp_port;
	s->listen_fd = -1;
	if (tcp_port) {
		char *pw = NULL;

		if (!g_file_get_contents(password_file, &pw, NULL, error)) {
			g_prefix_error(error, "--vnc password-file: ");
			vnc_server_free(s);
			return NULL;
		}
		pw[strcspn(pw, "\r\n")] = 0;
		s->passwords[0] = pw;
		if (!*pw) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			            "--vnc password-file %s: the first line (the password) is empty", password_file);
			vnc_server_free(s);
			return NULL;
		}
	}
	s->listen_fd = listen_unix(socket_path, error);
	if (s->listen_fd < 0) {
		vnc_server_free(s);
		return NULL;
	}
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	s->screen = rfbGetScreen(&argc, argv, framebuffer_width(fb), framebuffer_height(fb), 8, 3, 4);
	if (s->screen == NULL || s->wake_fd < 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot set up the VNC server");
		vnc_server_free(s);
		return NULL;
	}
	s->screen->screenData = s;
	s->screen->desktopName = "glassbox-vmm";
	s->screen->frameBuffer = (char *) framebuffer_pixels(fb);
	s->screen->paddedWidthInBytes = framebuffer_stride(fb);
	/* The guest's pixels are x8r8g8b8 in memory: red in bits 16-23. */
	s->screen->serverFormat.redShift = 16;
	s->screen->serverFormat.greenShift = 8;
	s->screen->serverFormat.blueShift = 0;
	/* No listeners of libvncserver's own; no cursor drawn into guest
	 * memory; send as soon as a refresh marked something. */
	s->screen->port = 0;
	s->screen->ipv6port = 0;
	s->screen->autoPort = FALSE;
	s->screen->httpPort = 0;
	s->screen->cursor = NULL;
	s->screen->deferUpdateTime = 0;
	s->screen->alwaysShared = TRUE;
	s->screen->kbdAddEvent = on_key;
	s->screen->ptrAddEvent = on_pointer;
	s->screen->newClientHook = on_new_client;
	if (tcp_port) {
		/* libvncserver's own listener, on loopback only. */
		s->screen->port = tcp_port;
		s->screen->listenInterface = htonl(INADDR_LOOPBACK);
		s->screen->authPasswdData = s->passwords;
		s->screen->passwordCheck = rfbCheckPasswordByList;
	}
	rfbInitServer(s->screen);
	if (tcp_port && s->screen->listenSock == RFB_INVALID_SOCKET) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
		            "--vnc: cannot listen on 127.0.0.1:%u (in use?)", tcp_port);
		vnc_server_free(s);
		return NULL;
	}

	s->thread = g_thread_new("display", display_thread, s);
	return s;
}

void
vnc_server_free(struct vnc_server *s)
{
	uint64_t one = 1;

	if (s == NULL)
		return;
	if (s->thread) {
		__atomic_store_n(&s->stop, true, __ATOMIC_RELEASE);
		if (write(s->wake_fd, &one, sizeof(one)) < 0)
			g_warning("vnc: wake-up: %s", g_strerror(errno));
		g_thread_join(s->thread);
	}
	if (s->screen) {
		rfbShutdownServer(s->screen, TRUE);
		s->screen->frameBuffer = NULL;
		rfbScreenCleanup(s->screen);
	}
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		unlink(s->socket_path);
	}
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	g_free(s->passwords[0]);
	g_free(s->socket_path);
	g_free(s);
}

const char *
vnc_server_socket_path(struct vnc_server *s)
{
	return s->socket_path;
}

static void
add_int(JsonBuilder *b, const char *name, gint64 v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, v);
}

JsonNode *
vnc_server_stats(struct vnc_server *s)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	struct framebuffer_stats fs;

	framebuffer_get_stats(s->fb, &fs);
	json_builder_begin_object(b);
	add_int(b, "width", framebuffer_width(s->fb));
	add_int(b, "height", framebuffer_height(s->fb));
	add_int(b, "framebuffer-address", framebuffer_base(s->fb));
	add_int(b, "framebuffer-bytes", framebuffer_size(s->fb));
	json_builder_set_member_name(b, "vnc-socket");
	json_builder_add_string_value(b, s->socket_path);
	if (s->tcp_port)
		add_int(b, "vnc-tcp-port", s->tcp_port);
	add_int(b, "refreshes", fs.refreshes);
	add_int(b, "dirty-pages", fs.dirty_pages);
	add_int(b, "dirty-frames", fs.dirty_frames);
	add_int(b, "clients", __atomic_load_n(&s->clients, __ATOMIC_RELAXED));
	add_int(b, "connections", __atomic_load_n(&s->connections, __ATOMIC_RELAXED));
	add_int(b, "refused", __atomic_load_n(&s->refused, __ATOMIC_RELAXED));
	add_int(b, "updates-sent", __atomic_load_n(&s->done_updates, __ATOMIC_RELAXED) +
	                           __atomic_load_n(&s->live_updates, __ATOMIC_RELAXED));
	add_int(b, "bytes-sent", __atomic_load_n(&s->done_bytes, __ATOMIC_RELAXED) +
	                         __atomic_load_n(&s->live_bytes, __ATOMIC_RELAXED));
	add_int(b, "key-events", __atomic_load_n(&s->key_events, __ATOMIC_RELAXED));
	add_int(b, "pointer-events", __atomic_load_n(&s->pointer_events, __ATOMIC_RELAXED));
	add_int(b, "pointer-x", __atomic_load_n(&s->pointer_x, __ATOMIC_RELAXED));
	add_int(b, "pointer-y", __atomic_load_n(&s->pointer_y, __ATOMIC_RELAXED));
	add_int(b, "tablet-events", __atomic_load_n(&s->tablet_events, __ATOMIC_RELAXED));
	add_int(b, "mouse-events", __atomic_load_n(&s->mouse_events, __ATOMIC_RELAXED));
	json_builder_end_object(b);
	return json_builder_get_root(b);
}
