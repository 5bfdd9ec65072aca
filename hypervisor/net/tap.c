/* tap.c — a Linux tap device as a network backend.
 *
 * `--net tap=IFNAME` opens an existing tap (made beforehand by
 * `ip tuntap add IFNAME mode tap user $USER`, so the VMM needs no
 * privilege) through /dev/net/tun with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR:
 * every frame read or written carries a 12-byte struct virtio_net_hdr_v1,
 * which is exactly what the guest's virtio-net driver reads and writes, so
 * checksum and segmentation offloads pass through without us touching the
 * packet (as kvmtool, Firecracker and cloud-hypervisor do).  TUNSETOFFLOAD
 * tells the kernel which offloaded frames the guest may be handed.
 *
 * Frames from the host are read straight into the guest's receive buffers
 * when the device has room for the largest frame (client.receive_direct:
 * the kernel copies each frame once, as vhost-net does); otherwise into
 * one bounce buffer, offered to the device.  When the guest has no receive
 * buffers we stop reading and the kernel queues (and eventually drops)
 * them, like a real NIC's FIFO.  A tap
 * deleted under us makes poll() report an error and read() fail with
 * EBADFD: the link goes down.
 *
 * Multiqueue (`--net tap=IFNAME,queues=N`, a tap made with `ip tuntap add
 * … multi_queue`): the tap is opened N times with IFF_MULTI_QUEUE, one fd
 * per virtio-net queue pair; the kernel spreads flows over the attached
 * fds by their hash (tun's automq).  Queues the driver does not use are
 * detached (TUNSETQUEUE IFF_DETACH_QUEUE) so no flow lands where nobody
 * reads; a detached fd reports POLLERR and EBADFD, so it leaves the poll
 * set while detached.  The device may detach from a vCPU thread (a reset):
 * set_queue_enabled only does the ioctl and flips `detached`, the poll set
 * changes in dispatch, in the I/O thread.
 */
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define BURST 64   /* frames per dispatch, so one busy tap cannot starve the loop */

struct tap {
	struct net_backend be;
	int fd;
	GSource *source;
	gpointer tag;
	bool reading;             /* polling for G_IO_IN */
	bool gone;                /* a write found the tap gone */
	bool detached;            /* multiqueue: out of the device's queue set (atomic) */
	size_t pending_len;       /* a frame in buf the guest had no room for */
	uint8_t buf[NET_VNET_HDR_LEN + NET_MAX_FRAME];
};

static void
tap_gone(struct tap *t, const char *why)
{
	/* Off the poll set entirely: poll() reports POLLERR on a dead tap
	 * whatever we ask for, and would spin the loop. */
	if (t->tag)
		g_source_remove_unix_fd(t->source, t->tag);
	t->tag = NULL;
	t->reading = false;
	t->pending_len = 0;
	g_printerr("glassbox-vmm: %s: %s; link down\n", t->be.description, why);
	net_backend_set_link(&t->be, false);
}

/* Offer the held frame; false if the guest still has no room. */
static bool
deliver(struct tap *t)
{
	struct iovec iov = { t->buf, t->pending_len };

	if (!t->be.client.receive(t->be.client.opaque, &iov, 1))
		return false;
	t->pending_len = 0;
	return true;
}

static void
pause_reading(struct tap *t)
{
	if (t->reading && t->tag) {
		g_source_modify_unix_fd(t->source, t->tag, 0);
		t->reading = false;
	}
}

static ssize_t
tap_readv(void *ctx, const struct iovec *iov, unsigned int n)
{
	struct tap *t = ctx;

	return readv(t->fd, iov, n);
}

/* One frame from the tap: into the guest's buffers if the device has the
 * room (*delivered), else into buf (the caller offers it). */
static ssize_t
tap_read_frame(struct tap *t, bool *delivered)
{
	ssize_t n;

	*delivered = t->be.client.receive_direct &&
	             t->be.client.receive_direct(t->be.client.opaque, tap_readv, t, &n);
	if (!*delivered)
		n = read(t->fd, t->buf, sizeof(t->buf));
	return n;
}

static gboolean
tap_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
	struct tap *t = *(struct tap **) (source + 1);
	GIOCondition cond = t->tag ? g_source_query_unix_fd(source, t->tag) : 0;
	int i;

	g_source_set_ready_time(source, -1);
	if (__atomic_load_n(&t->detached, __ATOMIC_ACQUIRE)) {
		/* Out of the tap's queue set: its fd says POLLERR now. */
		if (t->tag)
			g_source_remove_unix_fd(source, t->tag);
		t->tag = NULL;
		t->reading = false;
		t->pending_len = 0;   /* the old queue's frame: gone with it */
		return G_SOURCE_CONTINUE;
	}
	if (!t->be.link_up)
		return G_SOURCE_CONTINUE;
	if (t->tag == NULL) {
		/* Attached again (link up: tap_gone() was not the reason). */
		t->tag = g_source_add_unix_fd(source, t->fd, G_IO_IN);
		t->reading = true;
		cond = 0;
	}
	if (t->pending_len && !deliver(t)) {
		pause_reading(t);
		return G_SOURCE_CONTINUE;
	}
	if (t->gone || (cond & (G_IO_ERR | G_IO_HUP | G_IO_NVAL))) {
		struct ifreq ifr;

		/* A multiqueue fd detached and attached again since the poll
		 * looks the same; a tap that is gone answers no ioctl. */
		if (!t->gone && ioctl(t->fd, TUNGETIFF, &ifr) == 0)
			return G_SOURCE_CONTINUE;
		tap_gone(t, "the tap device went away");
		return G_SOURCE_CONTINUE;
	}
	for (i = 0; i < BURST && t->reading; i++) {
		bool delivered;
		ssize_t n = tap_read_frame(t, &delivered);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n < 0 && __atomic_load_n(&t->detached, __ATOMIC_ACQUIRE))
			break;   /* detached under us: EBADFD, not a dead tap */
		if (n < 0) {
			tap_gone(t, g_strerror(errno));
			break;
		}
		if (delivered || (size_t) n <= t->be.vnet_hdr_len)
			continue;   /* in the guest already; or nothing but a header */
		t->pending_len = n;
		if (!deliver(t)) {
			pause_reading(t);
			break;
		}
	}
	/* A full burst: come back next iteration, after the other sources. */
	if (i == BURST && t->reading)
		g_source_set_ready_time(source, 0);
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs tap_source_funcs = {
	.dispatch = tap_dispatch,
};

static bool
tap_start(struct net_backend *be, GMainContext *context, GError **error)
{
	struct tap *t = (struct tap *) be;

	t->source = g_source_new(&tap_source_funcs, sizeof(GSource) + sizeof(struct tap *));
	*(struct tap **) (t->source + 1) = t;
	g_source_set_name(t->source, be->description);
	if (!__atomic_load_n(&t->detached, __ATOMIC_ACQUIRE)) {
		t->tag = g_source_add_unix_fd(t->source, t->fd, G_IO_IN);
		t->reading = true;
	}
	g_source_attach(t->source, context);
	return true;
}

static bool
tap_send(struct net_backend *be, const struct iovec *iov, unsigned int n)
{
	struct tap *t = (struct tap *) be;
	ssize_t r;

	if (!be->link_up || __atomic_load_n(&t->detached, __ATOMIC_ACQUIRE))
		return false;
	do
		r = writev(t->fd, iov, n);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		/* EAGAIN: the tap's queue is full; EIO: the interface is down;
		 * EINVAL: the kernel refused the header.  The frame is lost, as
		 * on a wire.  EBADFD: the tap is gone. */
		if (errno == EBADFD && t->source && !__atomic_load_n(&t->detached, __ATOMIC_ACQUIRE)) {
			/* Not from here (the device holds its lock): dispatch
			 * takes the link down. */
			t->gone = true;
			g_source_set_ready_time(t->source, 0);
		}
		be->tx_errors++;
		return false;
	}
	return true;
}

static void
tap_rx_ready(struct net_backend *be)
{
	struct tap *t = (struct tap *) be;

	if (!be->link_up || t->source == NULL || t->tag == NULL)
		return;
	if (!t->reading) {
		g_source_modify_unix_fd(t->source, t->tag, G_IO_IN);
		t->reading = true;
	}
	/* Not now: the device holds its lock.  The held frame goes on the
	 * next iteration of the loop. */
	g_source_set_ready_time(t->source, 0);
}

static bool
tap_set_offloads(struct net_backend *be, unsigned int offloads)
{
	struct tap *t = (struct tap *) be;

	return ioctl(t->fd, TUNSETOFFLOAD, (unsigned long) offloads) == 0;
}

static bool
tap_set_queue_enabled(struct net_backend *be, bool enabled)
{
	struct tap *t = (struct tap *) be;
	struct ifreq ifr = { 0 };

	if (__atomic_load_n(&t->detached, __ATOMIC_ACQUIRE) == !enabled)
		return true;
	/* Detaching: flag first, so a read failing from here on is not taken
	 * for a dead tap.  Attaching: flag after, once the fd works. */
	if (!enabled)
		__atomic_store_n(&t->detached, true, __ATOMIC_RELEASE);
	ifr.ifr_flags = enabled ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
	if (ioctl(t->fd, TUNSETQUEUE, &ifr) < 0) {
		g_printerr("glassbox-vmm: %s: TUNSETQUEUE %s: %s\n", be->description,
		           enabled ? "attach" : "detach", g_strerror(errno));
		if (enabled)
			return false;
	}
	if (enabled)
		__atomic_store_n(&t->detached, false, __ATOMIC_RELEASE);
	/* The poll set follows in dispatch, in the I/O thread. */
	if (t->source)
		g_source_set_ready_time(t->source, 0);
	return true;
}

static void
tap_free(struct net_backend *be)
{
	struct tap *t = (struct tap *) be;

	if (t->source) {
		g_source_destroy(t->source);
		g_source_unref(t->source);
	}
	if (t->fd >= 0)
		close(t->fd);
	g_free(t);
}

static const struct net_backend_ops tap_ops = {
	.kind = "tap",
	.start = tap_start,
	.send = tap_send,
	.rx_ready = tap_rx_ready,
	.set_offloads = tap_set_offloads,
	.set_queue_enabled = tap_set_queue_enabled,
	.free = tap_free,
};

static const struct net_backend_ops bridge_ops = {
	.kind = "bridge",
	.start = tap_start,
	.send = tap_send,
	.rx_ready = tap_rx_ready,
	.set_offloads = tap_set_offloads,
	.free = tap_free,
};

struct net_backend *
net_tap_from_fd(int fd, const char *kind, const char *description, GError **error)
{
	struct tap *t;
	unsigned int features = 0;
	int hdr_len = NET_VNET_HDR_LEN;
	struct ifreq ifr = { 0 };

	/* The fd must be a tap with a virtio-net header on every frame: the
	 * helper opened it with IFF_VNET_HDR (qemu-bridge-helper --use-vnet). */
	if (ioctl(fd, TUNGETIFF, &ifr) < 0 || !(ifr.ifr_flags & IFF_TAP) || !(ifr.ifr_flags & IFF_VNET_HDR) ||
	    ioctl(fd, TUNGETFEATURES, &features) < 0 || !(features & IFF_VNET_HDR) ||
	    ioctl(fd, TUNSETVNETHDRSZ, &hdr_len) < 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            "%s: not a tap with virtio-net headers (%s)", description, g_strerror(errno));
		close(fd);
		return NULL;
	}
	/* Nothing offloaded until the guest's driver says what it takes. */
	ioctl(fd, TUNSETOFFLOAD, 0ul);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", description, g_strerror(errno));
		close(fd);
		return NULL;
	}
	t = g_new0(struct tap, 1);
	net_backend_init(&t->be, !strcmp(kind, "bridge") ? &bridge_ops : &tap_ops, description);
	t->be.vnet_hdr_len = NET_VNET_HDR_LEN;
	t->fd = fd;
	return &t->be;
}

static struct net_backend *
tap_open(const char *ifname, bool multi_queue, unsigned int index, GError **error)
{
	g_autofree char *description = multi_queue ? g_strdup_printf("tap %s queue %u", ifname, index)
	                                            : g_strdup_printf("tap %s", ifname);
	struct ifreq ifr = { 0 };
	int fd;

	/* TUNSETIFF on a name that does not exist would create a new tap
	 * (given CAP_NET_ADMIN): --net tap= means one that is there. */
	if (if_nametoindex(ifname) == 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
		            "tap %s does not exist (create it with `ip tuntap add %s mode tap%s user $USER`)",
		            ifname, ifname, multi_queue ? " multi_queue" : "");
		return NULL;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "/dev/net/tun: %s", g_strerror(errno));
		return NULL;
	}
	g_strlcpy(ifr.ifr_name, ifname, IFNAMSIZ);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (multi_queue ? IFF_MULTI_QUEUE : 0);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		/* The kernel says EINVAL when the flag does not match how the
		 * tap was made: say which way round. */
		if (errno == EINVAL && multi_queue)
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			            "tap %s: cannot open queue %u (queues= needs a tap made with "
			            "`ip tuntap add %s mode tap multi_queue user $USER`)", ifname, index, ifname);
		else if (errno == EINVAL)
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			            "tap %s: %s (a multi_queue tap needs queues=N)", ifname, g_strerror(errno));
		else
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			            "tap %s: %s (is it a tap, and may this user open it?)", ifname, g_strerror(errno));
		close(fd);
		return NULL;
	}
	return net_tap_from_fd(fd, "tap", description, error);
}

struct net_backend *
net_tap_open(const char *ifname, GError **error)
{
	return tap_open(ifname, false, 0, error);
}

struct net_backend *
net_tap_open_queue(const char *ifname, unsigned int index, GError **error)
{
	return tap_open(ifname, true, index, error);
}
