/* passt.c — `--net passt`: user-mode networking through passt.
 *
 * passt ("Plug A Simple Socket Transport", Debian package `passt`) is a
 * separate, unprivileged, sandboxed process that gives a guest the host's
 * addresses and routes and maps its TCP/UDP/ICMP flows onto ordinary
 * sockets of the host: no NAT table, no copy of a TCP/IP stack in the
 * VMM.  It is what libvirt (<backend type='passt'/>) and Podman moved to
 * from slirp.  We are its "qemu" client: frames travel over one stream
 * socket, each preceded by its length as a 32-bit big-endian integer (the
 * framing of QEMU's `-netdev stream`/`-net socket`), plain Ethernet with no
 * virtio-net header — so no offloads are negotiated (vnet_hdr_len 0).
 *
 * Two ways to reach it:
 *  - by default the VMM starts passt itself with one end of a socketpair
 *    (`passt --fd N --foreground --one-off`), so nothing appears in the file
 *    system and passt exits when the VMM closes its end; hostfwd= rules
 *    become passt's `-t`/`-u` forwards;
 *  - `socket=PATH` connects to a passt the user (or libvirt) already runs
 *    with `--socket PATH`.
 *
 * Receive: bytes are read into one buffer and cut into frames.  While the
 * guest has no room we keep reading into that buffer (up to RX_BUFFER,
 * some 2800 full-size frames) and only then stop: passt has no congestion
 * control of its own towards the guest — it sends whatever the guest's TCP
 * window allows and drops frames its socket will not take, then
 * retransmits on a timer — so a guest that drains its ring slowly (a busy
 * or emulated one) would otherwise lose much of a burst.  Packet captures
 * of a download into a QEMU TCG guest behind vhost-user-net: reading ahead
 * 128 KiB, passt sent 106017 full-size frames in 123 s (most segments two
 * or three times); reading ahead 4 MiB, 582 of 29504 were sent again
 * (libslirp queues in the VMM too).  Debian 12's passt still stalls such a
 * slow guest at times, with QEMU's own -netdev stream as well: see
 * docs/networking.md.
 *
 * Transmit: a frame is written with its length in one sendmsg(); what the
 * socket does not take at once waits in an output buffer (bounded: past
 * TX_BUFFER_MAX frames are dropped and counted, as a full NIC FIFO would)
 * and goes when the socket is writable.  passt going away (EOF, HUP) takes
 * the link down.
 */
#include "backend.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define LEN_BYTES     4
#define MIN_FRAME     14              /* an Ethernet header */
#define RX_BUFFER     (4u << 20)      /* bytes read ahead while the guest is full */
#define FRAME_SPACE   (LEN_BYTES + NET_MAX_FRAME)
#define TX_BUFFER_MAX (1u << 20)      /* bytes waiting for passt before we drop */
#define BURST         64              /* frames per dispatch */

struct passt {
	struct net_backend be;
	int fd;
	GPid pid;                   /* the passt we started; 0 if we connected */
	GSource *source;
	gpointer tag;
	GIOCondition events;        /* what we poll for now */
	bool gone;
	/* Received bytes: frames start at rbuf[rstart], rlen bytes in all. */
	uint8_t *rbuf;
	size_t rstart, rlen;
	/* Bytes for passt that the socket has not taken yet. */
	GByteArray *wbuf;
};

static void
set_events(struct passt *p, GIOCondition events)
{
	if (p->tag && p->events != events) {
		g_source_modify_unix_fd(p->source, p->tag, events);
		p->events = events;
	}
}

static void
passt_gone(struct passt *p, const char *why)
{
	if (p->tag)
		g_source_remove_unix_fd(p->source, p->tag);
	p->tag = NULL;
	p->gone = true;
	g_printerr("glassbox-vmm: %s: %s; link down\n", p->be.description, why);
	net_backend_set_link(&p->be, false);
}

/* Writes what waits in wbuf; false if the socket is broken. */
static bool
flush_output(struct passt *p)
{
	while (p->wbuf->len) {
		ssize_t n = send(p->fd, p->wbuf->data, p->wbuf->len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n < 0)
			return false;
		g_byte_array_remove_range(p->wbuf, 0, n);
	}
	return true;
}

/* Hands complete frames to the guest.  False: the guest had no room (the
 * frame stays) or the stream is broken (p->gone). */
static bool
deliver_frames(struct passt *p, int *budget)
{
	while (p->rlen >= LEN_BYTES && *budget > 0) {
		uint8_t *at = p->rbuf + p->rstart;
		uint32_t len;
		struct iovec iov;

		memcpy(&len, at, LEN_BYTES);
		len = ntohl(len);
		if (len < MIN_FRAME || len > NET_MAX_FRAME) {
			g_autofree char *why = g_strdup_printf("passt sent a %u-byte frame: the stream is broken", len);

			passt_gone(p, why);
			return false;
		}
		if (p->rlen < LEN_BYTES + len)
			break;
		iov.iov_base = at + LEN_BYTES;
		iov.iov_len = len;
		if (!p->be.client.receive(p->be.client.opaque, &iov, 1))
			return false;
		p->rstart += LEN_BYTES + len;
		p->rlen -= LEN_BYTES + len;
		(*budget)--;
	}
	return true;
}

/* Room at the buffer's end for at least one more whole frame?  What is
 * left is moved to the front only when the end runs short, so a full
 * buffer is not moved on every frame. */
static size_t
read_space(struct passt *p)
{
	if (RX_BUFFER - p->rstart - p->rlen < FRAME_SPACE && p->rstart) {
		memmove(p->rbuf, p->rbuf + p->rstart, p->rlen);
		p->rstart = 0;
	}
	return RX_BUFFER - p->rstart - p->rlen;
}

static gboolean
passt_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
	struct passt *p = *(struct passt **) (source + 1);
	GIOCondition cond = p->tag ? g_source_query_unix_fd(source, p->tag) : 0;
	int budget = BURST;
	bool room = true;

	g_source_set_ready_time(source, -1);
	if (p->gone) {
		/* A send found the socket broken. */
		if (p->tag)
			passt_gone(p, "passt closed the connection");
		return G_SOURCE_CONTINUE;
	}
	if (!flush_output(p)) {
		passt_gone(p, g_strerror(errno));
		return G_SOURCE_CONTINUE;
	}
	/* Frames already read first: the guest may have made room. */
	room = deliver_frames(p, &budget);
	/* With the guest full, read on (into the buffer) until it is full or
	 * the socket is empty; with room, a burst at a time. */
	while (!p->gone && (!room || budget > 0)) {
		size_t space = read_space(p);
		ssize_t n;

		if (space < FRAME_SPACE)
			break;
		n = recv(p->fd, p->rbuf + p->rstart + p->rlen, space, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (cond & (G_IO_HUP | G_IO_ERR))
				passt_gone(p, "passt closed the connection");
			break;
		}
		if (n <= 0) {
			passt_gone(p, n == 0 ? "passt closed the connection" : g_strerror(errno));
			break;
		}
		p->rlen += n;
		if (room)
			room = deliver_frames(p, &budget);
	}
	if (p->gone)
		return G_SOURCE_CONTINUE;
	/* Buffer full: stop reading until rx_ready (passt's socket then
	 * pushes back).  Output waiting: wake when the socket drains. */
	set_events(p, (read_space(p) >= FRAME_SPACE ? G_IO_IN : 0) | (p->wbuf->len ? G_IO_OUT : 0));
	if (room && budget == 0)
		g_source_set_ready_time(source, 0);
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs passt_source_funcs = {
	.dispatch = passt_dispatch,
};

static bool
passt_start(struct net_backend *be, GMainContext *context, GError **error)
{
	struct passt *p = (struct passt *) be;

	p->source = g_source_new(&passt_source_funcs, sizeof(GSource) + sizeof(struct passt *));
	*(struct passt **) (p->source + 1) = p;
	g_source_set_name(p->source, be->description);
	p->events = G_IO_IN;
	p->tag = g_source_add_unix_fd(p->source, p->fd, p->events);
	g_source_attach(p->source, context);
	return true;
}

static bool
passt_send(struct net_backend *be, const struct iovec *iov, unsigned int n)
{
	struct passt *p = (struct passt *) be;
	struct iovec v[1 + n];
	struct msghdr msg = { .msg_iov = v, .msg_iovlen = 1 + n };
	size_t total = 0;
	uint32_t len;
	ssize_t r;

	if (!be->link_up || p->gone)
		return false;
	for (unsigned int i = 0; i < n; i++)
		total += iov[i].iov_len;
	if (total < MIN_FRAME || total > NET_MAX_FRAME ||
	    p->wbuf->len + LEN_BYTES + total > TX_BUFFER_MAX) {
		be->tx_errors++;
		return false;
	}
	len = htonl((uint32_t) total);
	v[0].iov_base = &len;
	v[0].iov_len = LEN_BYTES;
	memcpy(v + 1, iov, n * sizeof(*iov));

	/* Behind frames already waiting: append, or the stream would be
	 * reordered mid-frame. */
	if (p->wbuf->len) {
		r = 0;
	} else {
		do
			r = sendmsg(p->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
		while (r < 0 && errno == EINTR);
		if (r < 0 && errno != EAGAIN) {
			/* Not from here (the device holds its lock): dispatch
			 * takes the link down. */
			p->gone = true;
			if (p->source)
				g_source_set_ready_time(p->source, 0);
			be->tx_errors++;
			return false;
		}
		if (r < 0)
			r = 0;
	}
	if ((size_t) r < LEN_BYTES + total) {
		/* Keep the rest, byte for byte, for when the socket drains. */
		for (unsigned int i = 0; i < 1 + n; i++) {
			if ((size_t) r >= v[i].iov_len) {
				r -= v[i].iov_len;
				continue;
			}
			g_byte_array_append(p->wbuf, (const uint8_t *) v[i].iov_base + r, v[i].iov_len - r);
			r = 0;
		}
		if (p->source)
			g_source_set_ready_time(p->source, 0);
	}
	return true;
}

static void
passt_rx_ready(struct net_backend *be)
{
	struct passt *p = (struct passt *) be;

	/* Not now: the device holds its lock.  The held frame goes on the
	 * next iteration of the loop. */
	if (p->source && !p->gone)
		g_source_set_ready_time(p->source, 0);
}

static void
passt_free(struct net_backend *be)
{
	struct passt *p = (struct passt *) be;

	if (p->source) {
		g_source_destroy(p->source);
		g_source_unref(p->source);
	}
	if (p->fd >= 0)
		close(p->fd);
	if (p->pid > 0) {
		/* It leaves by itself when its socket closes (--one-off); the
		 * signal makes sure, the wait reaps it. */
		int status;

		kill(p->pid, SIGTERM);
		while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
			;
		g_spawn_close_pid(p->pid);
	}
	if (p->wbuf)
		g_byte_array_unref(p->wbuf);
	g_free(p->rbuf);
	g_free(p);
}

static const struct net_backend_ops passt_ops = {
	.kind = "passt",
	.start = passt_start,
	.send = passt_send,
	.rx_ready = passt_rx_ready,
	.free = passt_free,
	/* passt is another process holding the guest's flows, its address
	 * and its frames in flight; the restored VMM would meet a new passt
	 * that knows none of them. */
	.save_refused = "saving the state of a machine on passt is not supported (passt's own state is in "
	                "another process); use --net user",
};

/* "tcp:[HOSTADDR]:HOSTPORT-:GUESTPORT" (QEMU's hostfwd, as for --net user)
 * as passt's "-t HOSTADDR/HOSTPORT:GUESTPORT".  passt has one guest, so a
 * guest address is not asked for; an empty host address is 127.0.0.1, as
 * with --net user (a guest's services stay off the network unless asked). */
static bool
hostfwd_to_passt(const char *rule, GPtrArray *argv, GError **error)
{
	char proto[4], haddr[64] = "";
	unsigned int hport, gport;
	int consumed = 0;
	struct in_addr a;

	if (sscanf(rule, "%3[a-z]:%63[0-9.]:%u-:%u%n", proto, haddr, &hport, &gport, &consumed) < 4 &&
	    sscanf(rule, "%3[a-z]::%u-:%u%n", proto, &hport, &gport, &consumed) < 3)
		goto bad;
	if (rule[consumed] != '\0' || hport == 0 || hport > 65535 || gport == 0 || gport > 65535)
		goto bad;
	if (strcmp(proto, "tcp") && strcmp(proto, "udp"))
		goto bad;
	if (*haddr && inet_pton(AF_INET, haddr, &a) != 1)
		goto bad;
	g_ptr_array_add(argv, g_strdup(!strcmp(proto, "tcp") ? "--tcp-ports" : "--udp-ports"));
	g_ptr_array_add(argv, g_strdup_printf("%s/%u:%u", *haddr ? haddr : "127.0.0.1", hport, gport));
	return true;

bad:
	g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
	            "hostfwd=%s: expected tcp|udp:[HOSTADDR]:PORT-:PORT (passt forwards to its one guest)", rule);
	return false;
}

static int
connect_socket(const char *path, GError **error)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG, "passt socket %s: path too long", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "passt socket %s: %s (is passt running with --socket %s?)", path, g_strerror(errno), path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Starts passt on one end of a socketpair; returns our end. */
static int
spawn_passt(const char *program, GPtrArray *hostfwd, GPid *pid, GError **error)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) spawn_error = NULL;
	g_autofree char *path = NULL;
	int sv[2];

	path = program ? g_strdup(program) : g_find_program_in_path("passt");
	g_ptr_array_add(argv, g_strdup(path));
	/* Foreground (we reap it), one client (it exits when we close our
	 * end), informational messages off, errors to our stderr. */
	g_ptr_array_add(argv, g_strdup("--foreground"));
	g_ptr_array_add(argv, g_strdup("--one-off"));
	g_ptr_array_add(argv, g_strdup("--quiet"));
	g_ptr_array_add(argv, g_strdup("--stderr"));
	for (guint i = 0; hostfwd && i < hostfwd->len; i++)
		if (!hostfwd_to_passt(g_ptr_array_index(hostfwd, i), argv, error))
			return -1;
	if (path == NULL) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
		            "passt is not installed (Debian: apt install passt), or give its path with helper=PATH");
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "socketpair: %s", g_strerror(errno));
		return -1;
	}
	g_ptr_array_add(argv, g_strdup("--fd"));
	/* The fd number passt sees: the spawn maps sv[1] to itself. */
	g_ptr_array_add(argv, g_strdup_printf("%d", sv[1]));
	g_ptr_array_add(argv, NULL);
	fcntl(sv[1], F_SETFD, 0);
	if (!g_spawn_async_with_pipes_and_fds(NULL, (const char *const *) argv->pdata, NULL,
	                                      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
	                                      -1, -1, -1, &sv[1], &sv[1], 1, pid, NULL, NULL, NULL, &spawn_error)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "cannot run %s: %s", path, spawn_error->message);
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	close(sv[1]);
	return sv[0];
}

struct net_backend *
net_passt_new(const char *socket_path, const char *program, GPtrArray *hostfwd, GError **error)
{
	struct passt *p;
	g_autofree char *description = NULL;
	GPid pid = 0;
	int fd;

	if (socket_path) {
		if (hostfwd && hostfwd->len) {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			            "passt: hostfwd= needs the passt the VMM starts; with socket= give -t to passt itself");
			return NULL;
		}
		fd = connect_socket(socket_path, error);
		description = g_strdup_printf("passt (%s)", socket_path);
	} else {
		fd = spawn_passt(program, hostfwd, &pid, error);
		description = g_strdup("passt");
	}
	if (fd < 0)
		return NULL;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "passt: %s", g_strerror(errno));
		close(fd);
		return NULL;
	}
	p = g_new0(struct passt, 1);
	net_backend_init(&p->be, &passt_ops, description);
	p->fd = fd;
	p->pid = pid;
	p->rbuf = g_malloc(RX_BUFFER);
	p->wbuf = g_byte_array_new();
	return &p->be;
}
