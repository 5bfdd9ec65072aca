/* serial-socket.c — COM1 on a listening UNIX socket (--serial socket=PATH).
 *
 * The app's console attaches here.  Unlike a pty, a socket tells us when
 * the other end goes (EOF), so output is only written while someone reads;
 * and unlike stdio it survives the app: the VMM runs detached, the app
 * reconnects when it starts again. */
#include "serial-socket.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct serial_socket {
	struct serial *serial;
	char *path;
	int listen_fd;
	int client_fd;          /* -1: nobody attached */
	guint listen_watch, client_watch;
};

static void
detach_client(struct serial_socket *ss)
{
	if (ss->client_fd < 0)
		return;
	serial_set_output(ss->serial, -1);
	if (ss->client_watch)
		g_source_remove(ss->client_watch);
	ss->client_watch = 0;
	close(ss->client_fd);
	ss->client_fd = -1;
}

static gboolean
client_readable(gint fd, GIOCondition cond, gpointer data)
{
	struct serial_socket *ss = data;
	uint8_t buf[64];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n > 0) {
		serial_input(ss->serial, buf, n);
		return G_SOURCE_CONTINUE;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	/* EOF or error: the client left; the next one may come. */
	ss->client_watch = 0;
	detach_client(ss);
	return G_SOURCE_REMOVE;
}

static gboolean
listen_readable(gint fd, GIOCondition cond, gpointer data)
{
	struct serial_socket *ss = data;
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (c < 0)
		return G_SOURCE_CONTINUE;
	if (ss->client_fd >= 0) {
		/* One reader and one typist: a UART has one line. */
		close(c);
		return G_SOURCE_CONTINUE;
	}
	ss->client_fd = c;
	/* Non-blocking: a client that stops reading loses bytes (EAGAIN in
	 * serial_emit) instead of stalling the vCPU. */
	serial_set_output(ss->serial, c);
	ss->client_watch = g_unix_fd_add(c, G_IO_IN | G_IO_HUP | G_IO_ERR, client_readable, ss);
	return G_SOURCE_CONTINUE;
}

struct serial_socket *
serial_socket_new(const char *path, struct serial *serial, GError **error)
{
	struct serial_socket *ss;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old_umask;
	int fd, ret;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG,
		            "serial socket %s: path too long for a UNIX socket", path);
		return NULL;
	}
	strcpy(addr.sun_path, path);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "serial socket: %s", g_strerror(errno));
		return NULL;
	}
	/* A stale socket of a run that was killed is replaced, like the
	 * control socket's. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		g_unlink(path);
	/* 0600 from the start: no window where another user could connect. */
	old_umask = umask(0177);
	ret = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old_umask);
	if (ret < 0 || listen(fd, 1) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "serial socket %s: %s", path, g_strerror(errno));
		close(fd);
		return NULL;
	}

	/* A client that hangs up while the guest writes must not kill us with
	 * SIGPIPE; the write fails with EPIPE instead and the byte is lost. */
	signal(SIGPIPE, SIG_IGN);

	ss = g_new0(struct serial_socket, 1);
	ss->serial = serial;
	ss->path = g_strdup(path);
	ss->listen_fd = fd;
	ss->client_fd = -1;
	ss->listen_watch = g_unix_fd_add(fd, G_IO_IN, listen_readable, ss);
	return ss;
}

void
serial_socket_free(struct serial_socket *ss)
{
	if (ss == NULL)
		return;
	detach_client(ss);
	if (ss->listen_watch)
		g_source_remove(ss->listen_watch);
	close(ss->listen_fd);
	g_unlink(ss->path);
	g_free(ss->path);
	g_free(ss);
}
