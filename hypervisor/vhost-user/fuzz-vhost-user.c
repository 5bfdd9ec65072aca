/* fuzz-vhost-user.c — fuzz target for the vhost-user back-end (server.c),
 * the code an untrusted front-end talks to.  The input is a stream of
 * requests as they go on the wire (12-byte header, `size` bytes of
 * payload; the last one cut short where the input ends).  Each request is
 * sent with its own sendmsg() and the file descriptors its kind carries:
 * one memfd per region for SET_MEM_TABLE (holding the whole input, so that
 * rings and descriptors in guest memory are fuzzed too), an eventfd for
 * SET_VRING_KICK/CALL/ERR unless bit 8 (no fd) is set.  Header flag bit 7,
 * reserved by the spec, inverts that choice so that wrong fd counts are
 * tried too.  Each input goes to two servers in turn: one with a
 * virtio-blk on a 1 MiB raw memfd behind it, one with a two-pair
 * virtio-net (multiqueue: the ring enables choose its pairs) whose
 * backends swallow every frame and never produce one.
 *
 * Entry point LLVMFuzzerTestOneInput: built with libFuzzer under
 * -Dfuzzing=true (CC=clang), and always with tests/fuzz/fuzz-driver.c,
 * which the unit and slow suites run. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend.h"
#include "device.h"
#include "server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT   16384     /* all requests fit in the socket's buffer */
#define GUEST_SIZE  65536
#define HDR_SIZE    12
#define FLAG_INVERT (1u << 7)

static struct vhost_user_server *server, *net_server;

/* ---- a network backend that goes nowhere -------------------------------- */

static bool
sink_send(struct net_backend *be, const struct iovec *iov, unsigned int n)
{
	return true;
}

static void
sink_rx_ready(struct net_backend *be)
{
}

static bool
sink_set_offloads(struct net_backend *be, unsigned int offloads)
{
	return true;
}

static bool
sink_set_queue_enabled(struct net_backend *be, bool enabled)
{
	return true;
}

static void
sink_free(struct net_backend *be)
{
	g_free(be);
}

static const struct net_backend_ops sink_ops = {
	.kind = "sink",
	.send = sink_send,
	.rx_ready = sink_rx_ready,
	.set_offloads = sink_set_offloads,
	.set_queue_enabled = sink_set_queue_enabled,
	.free = sink_free,
};

static struct vhost_user_server *
serve(struct virtio_device *dev, const char *name)
{
	char *error = NULL, *dir, *sock;
	struct vhost_user_server *s;

	dir = g_dir_make_tmp("gb-fuzz-vhost-XXXXXX", NULL);
	sock = g_build_filename(dir, name, NULL);
	s = vhost_user_server_new(sock, dev, &error);
	if (s == NULL) {
		fprintf(stderr, "fuzz-vhost-user: %s\n", error);
		abort();
	}
	/* The socket file is never connected to: only serve_fd() is used. */
	unlink(sock);
	rmdir(dir);
	g_free(sock);
	g_free(dir);
	return s;
}

/* Two pairs, a tap's 12-byte header (so the offloads are offered too). */
static void
setup_net(void)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	struct net_backend *bes[2];
	struct virtio_device *dev;

	for (unsigned int i = 0; i < 2; i++) {
		bes[i] = g_new0(struct net_backend, 1);
		bes[i]->ops = &sink_ops;
		bes[i]->description = g_strdup("sink");
		bes[i]->vnet_hdr_len = NET_VNET_HDR_LEN;
		bes[i]->link_up = true;
	}
	dev = virtio_net_new_mq(bes, 2, mac);
	net_server = serve(dev, "net.sock");
	vhost_user_server_set_queue_num(net_server, 2);
}

static void
setup(void)
{
	char *error = NULL, disk[64];
	struct virtio_device *dev;
	int fd = memfd_create("fuzz-disk", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, 1 << 20) < 0)
		abort();
	/* The fd stays open for the life of the process: the device uses it
	 * through this path. */
	snprintf(disk, sizeof(disk), "/proc/self/fd/%d", fd);
	dev = virtio_blk_new(disk, 0, false, "fuzz", &error);
	if (dev == NULL) {
		fprintf(stderr, "fuzz-vhost-user: %s\n", error);
		abort();
	}
	server = serve(dev, "blk.sock");
	setup_net();
	vhost_user_set_quiet(true);
}

/* How many fds this request carries. */
static unsigned int
fds_for(uint32_t request, uint32_t flags, const uint8_t *payload, size_t len)
{
	unsigned int n = 0;
	uint64_t u64 = 0;

	switch (request) {
	case 5:   /* SET_MEM_TABLE: n_regions, clamped to what a message can carry */
		if (len >= 4) {
			uint32_t regions;
			memcpy(&regions, payload, 4);
			n = regions > 8 ? 8 : regions;
		}
		break;
	case 12: case 13: case 14:   /* SET_VRING_KICK/CALL/ERR */
		memcpy(&u64, payload, len < 8 ? len : 8);
		n = (u64 & (1u << 8)) ? 0 : 1;
		break;
	}
	if (flags & FLAG_INVERT)
		n = n ? 0 : 1;
	return n;
}

static int
make_fd(uint32_t request, const uint8_t *data, size_t size)
{
	int fd;

	if (request == 5) {
		fd = memfd_create("fuzz-guest", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, GUEST_SIZE) < 0 ||
		    pwrite(fd, data, size < GUEST_SIZE ? size : GUEST_SIZE, 0) < 0)
			abort();
		return fd;
	}
	fd = eventfd(1, EFD_CLOEXEC);   /* already kicked */
	if (fd < 0)
		abort();
	return fd;
}

/* The whole input, request by request, to one server. */
static void
run_one(struct vhost_user_server *s, const uint8_t *data, size_t size)
{
	int sv[2];
	size_t pos = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
		abort();

	while (pos + HDR_SIZE <= size) {
		uint32_t hdr[3];
		size_t len;
		int fds[8];
		unsigned int n_fds;
		char control[CMSG_SPACE(sizeof(fds))];
		struct iovec iov;
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t sent;

		memcpy(hdr, data + pos, HDR_SIZE);
		len = hdr[2] < size - pos - HDR_SIZE ? hdr[2] : size - pos - HDR_SIZE;
		n_fds = fds_for(hdr[0], hdr[1], data + pos + HDR_SIZE, len);
		for (unsigned int i = 0; i < n_fds; i++)
			fds[i] = make_fd(hdr[0], data, size);
		iov = (struct iovec) { (void *) (data + pos), HDR_SIZE + len };
		if (n_fds) {
			struct cmsghdr *c;

			memset(control, 0, sizeof(control));
			mh.msg_control = control;
			mh.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
			memcpy(CMSG_DATA(c), fds, n_fds * sizeof(int));
		}
		sent = sendmsg(sv[0], &mh, MSG_NOSIGNAL);
		for (unsigned int i = 0; i < n_fds; i++)
			close(fds[i]);
		if (sent < 0)
			break;   /* the buffer is full: serve what is there */
		pos += HDR_SIZE + len;
	}
	/* End of file after the last request, so that a request whose size
	 * promises more than was sent fails instead of waiting. */
	shutdown(sv[0], SHUT_WR);
	vhost_user_server_serve_fd(s, sv[1]);
	close(sv[0]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (server == NULL)
		setup();
	if (size > FUZZ_MAX_INPUT)
		size = FUZZ_MAX_INPUT;
	run_one(server, data, size);
	run_one(net_server, data, size);
	return 0;
}
