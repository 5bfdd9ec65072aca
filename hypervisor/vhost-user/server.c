/* server.c — the vhost-user protocol, back-end side.
 *
 * The protocol is QEMU's docs/interop/vhost-user.rst ("the spec" below).
 * A front-end (QEMU) connects to our UNIX socket and sends requests: a
 * 12-byte header {request, flags, size}, `size` bytes of payload, and for
 * some requests file descriptors as SCM_RIGHTS ancillary data.  We answer
 * the requests that want an answer with the same header (REPLY flag set)
 * and a payload.
 *
 * Everything runs on one thread: a poll() loop over the listening socket,
 * the connection, the kick eventfds of the rings the device is running, and
 * the fds of a GLib context the device's backend may have (virtio-net).
 * A kick runs the device's queue handler right here (virtio-blk does its I/O
 * synchronously), so no request ever races with the device.
 *
 * What the front-end sends is untrusted: every payload size is checked
 * before it is read, every fd count matches the request, every memory region
 * lies within its file, and ring addresses are only used after they have
 * been translated into guest-physical addresses of the regions we mapped
 * (virtq_map() then checks that each ring lies wholly in one region).
 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CONTEXT_FDS 64

/* Header flags (spec, "Header"): the version lives in the low two bits. */
#define VHOST_USER_VERSION         0x1
#define VHOST_USER_VERSION_MASK    0x3
#define VHOST_USER_FLAG_REPLY      (1u << 2)
#define VHOST_USER_FLAG_NEED_REPLY (1u << 3)

/* The virtio feature bit that says "protocol features exist" (spec,
 * "Protocol features"); it is not a device feature. */
#define VHOST_USER_F_PROTOCOL_FEATURES 30

/* Protocol feature bits we offer. */
#define VHOST_USER_PROTOCOL_F_MQ           0
#define VHOST_USER_PROTOCOL_F_REPLY_ACK    3
#define VHOST_USER_PROTOCOL_F_CONFIG       9
#define VHOST_USER_PROTOCOL_F_RESET_DEVICE 13

#define SUPPORTED_PROTOCOL_FEATURES ((1ull << VHOST_USER_PROTOCOL_F_MQ) | \
                                     (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) | \
                                     (1ull << VHOST_USER_PROTOCOL_F_CONFIG) | \
                                     (1ull << VHOST_USER_PROTOCOL_F_RESET_DEVICE))

/* Front-end requests (spec, "Front-end message types"). */
enum {
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_RESET_OWNER = 4,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_LOG_BASE = 6,
	VHOST_USER_SET_LOG_FD = 7,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_SET_VRING_ERR = 14,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_GET_CONFIG = 24,
	VHOST_USER_SET_CONFIG = 25,
	VHOST_USER_RESET_DEVICE = 34,
};

#define VHOST_USER_MAX_FDS        8    /* fds per message, as QEMU sends at most */
#define VHOST_USER_MAX_REGIONS    8    /* regions in SET_MEM_TABLE */
#define VHOST_USER_MAX_CONFIG     256  /* device config space, spec "Device configuration space" */
#define VHOST_USER_MAX_PAYLOAD    4096 /* anything larger is not a request we know */
#define VHOST_USER_VRING_IDX_MASK 0xff
#define VHOST_USER_VRING_NOFD     (1ull << 8)

struct vhost_user_header {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
} __attribute__((packed));

struct vhost_user_vring_state {
	uint32_t index;
	uint32_t num;
} __attribute__((packed));

struct vhost_user_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc_user_addr;
	uint64_t used_user_addr;
	uint64_t avail_user_addr;
	uint64_t log_guest_addr;
} __attribute__((packed));

struct vhost_user_region {
	uint64_t guest_addr;
	uint64_t size;
	uint64_t user_addr;      /* where the front-end has it mapped */
	uint64_t mmap_offset;    /* where it starts in the fd */
} __attribute__((packed));

struct vhost_user_memory {
	uint32_t n_regions;
	uint32_t padding;
	struct vhost_user_region regions[VHOST_USER_MAX_REGIONS];
} __attribute__((packed));

struct vhost_user_config {
	uint32_t offset;
	uint32_t size;
	uint32_t flags;
	uint8_t data[VHOST_USER_MAX_CONFIG];
} __attribute__((packed));

struct vhost_user_msg {
	struct vhost_user_header hdr;
	union {
		uint64_t u64;
		struct vhost_user_vring_state state;
		struct vhost_user_vring_addr addr;
		struct vhost_user_memory memory;
		struct vhost_user_config config;
		uint8_t bytes[VHOST_USER_MAX_PAYLOAD];
	} payload;
	int fds[VHOST_USER_MAX_FDS];
	unsigned int n_fds;
};

/* One mmap()ed region of guest memory. */
struct mapping {
	void *base;              /* what mmap() returned */
	size_t length;           /* mmap_offset + size */
	uint64_t user_addr;      /* front-end's address of the region's start */
	uint64_t size;
	uint64_t gpa;
};

/* What the front-end told us about one ring. */
struct vring {
	uint16_t num;
	uint64_t desc_uaddr, avail_uaddr, used_uaddr;
	bool addr_set;
	uint16_t base;           /* next avail index, while the device is not running it */
	int kick_fd, call_fd, err_fd;
	bool enabled;            /* SET_VRING_ENABLE */
	bool started;            /* has a kick fd; until GET_VRING_BASE stops it */
	bool running;            /* handed to the device */
};

struct vhost_user_server {
	char *path;
	int listen_fd;
	int conn_fd;
	int signal_fd;
	struct virtio_device *dev;

	uint64_t features;            /* SET_FEATURES */
	uint64_t protocol_features;   /* SET_PROTOCOL_FEATURES */

	struct mapping maps[VHOST_USER_MAX_REGIONS];
	unsigned int n_maps;
	struct guest_mem mem;         /* the same regions, for the device */

	struct vring rings[VIRTIO_DEVICE_MAX_QUEUES];
	unsigned int queue_num;       /* GET_QUEUE_NUM's answer */

	bool device_error;            /* set by the device's on_error */
	bool device_error_reported;

	GMainContext *context;        /* the device's own sources, or NULL */
};

/* What a handler tells the dispatcher. */
typedef enum {
	HANDLED_OK,
	HANDLED_FAILED,   /* the request failed: REPLY_ACK says so, the session goes on */
	HANDLED_DROP,     /* the front-end broke the protocol: disconnect */
} Handled;

static void
log_msg(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static bool log_quiet;   /* vhost_user_set_quiet() */

void
vhost_user_set_quiet(bool quiet)
{
	log_quiet = quiet;
}

static void
log_msg(const char *fmt, ...)
{
	va_list ap;

	if (log_quiet)
		return;
	va_start(ap, fmt);
	fputs("vhost-user: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static const char *
request_name(uint32_t request)
{
	switch (request) {
	case VHOST_USER_GET_FEATURES: return "GET_FEATURES";
	case VHOST_USER_SET_FEATURES: return "SET_FEATURES";
	case VHOST_USER_SET_OWNER: return "SET_OWNER";
	case VHOST_USER_RESET_OWNER: return "RESET_OWNER";
	case VHOST_USER_SET_MEM_TABLE: return "SET_MEM_TABLE";
	case VHOST_USER_SET_LOG_BASE: return "SET_LOG_BASE";
	case VHOST_USER_SET_LOG_FD: return "SET_LOG_FD";
	case VHOST_USER_SET_VRING_NUM: return "SET_VRING_NUM";
	case VHOST_USER_SET_VRING_ADDR: return "SET_VRING_ADDR";
	case VHOST_USER_SET_VRING_BASE: return "SET_VRING_BASE";
	case VHOST_USER_GET_VRING_BASE: return "GET_VRING_BASE";
	case VHOST_USER_SET_VRING_KICK: return "SET_VRING_KICK";
	case VHOST_USER_SET_VRING_CALL: return "SET_VRING_CALL";
	case VHOST_USER_SET_VRING_ERR: return "SET_VRING_ERR";
	case VHOST_USER_GET_PROTOCOL_FEATURES: return "GET_PROTOCOL_FEATURES";
	case VHOST_USER_SET_PROTOCOL_FEATURES: return "SET_PROTOCOL_FEATURES";
	case VHOST_USER_GET_QUEUE_NUM: return "GET_QUEUE_NUM";
	case VHOST_USER_SET_VRING_ENABLE: return "SET_VRING_ENABLE";
	case VHOST_USER_GET_CONFIG: return "GET_CONFIG";
	case VHOST_USER_SET_CONFIG: return "SET_CONFIG";
	case VHOST_USER_RESET_DEVICE: return "RESET_DEVICE";
	default: return "an unknown request";
	}
}

static void
close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static bool
has_protocol_feature(const struct vhost_user_server *s, unsigned int bit)
{
	return (s->protocol_features >> bit) & 1;
}

/* Features offered: the device's own, plus what the core (queue.c) and this
 * transport implement: indirect descriptors and EVENT_IDX, no packed ring. */
static uint64_t
offered_features(const struct vhost_user_server *s)
{
	return s->dev->features | (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_INDIRECT_DESC) |
	       (1ull << VIRTIO_F_EVENT_IDX) | (1ull << VHOST_USER_F_PROTOCOL_FEATURES);
}

/* ---- Guest memory ------------------------------------------------------ */

/* Front-end address → guest-physical address.  The spec's ring addresses
 * (SET_VRING_ADDR) are in the front-end's address space ("user
 * addresses"); the regions of SET_MEM_TABLE relate the two. */
static bool
user_to_gpa(const struct vhost_user_server *s, uint64_t uaddr, uint64_t *gpa)
{
	for (unsigned int i = 0; i < s->n_maps; i++) {
		const struct mapping *m = &s->maps[i];

		if (uaddr >= m->user_addr && uaddr - m->user_addr < m->size) {
			*gpa = m->gpa + (uaddr - m->user_addr);
			return true;
		}
	}
	return false;
}

static void
unmap_all(struct mapping *maps, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		munmap(maps[i].base, maps[i].length);
}

/* ---- Rings ------------------------------------------------------------- */

static void
vring_init(struct vring *r)
{
	memset(r, 0, sizeof(*r));
	r->kick_fd = -1;
	r->call_fd = -1;
	r->err_fd = -1;
}

/* Take a ring away from the device, remembering where it stopped. */
static void
ring_pause(struct vhost_user_server *s, unsigned int index)
{
	struct vring *r = &s->rings[index];
	struct virtq *vq = &s->dev->vqs[index];

	if (!r->running)
		return;
	pthread_mutex_lock(&s->dev->lock);
	r->base = vq->last_avail;
	vq->enabled = false;
	vq->kick_fd = -1;
	pthread_mutex_unlock(&s->dev->lock);
	r->running = false;
}

/* Hand a ring to the device once the front-end has told us everything:
 * size, addresses, memory, a kick fd, and (with protocol features) that
 * the ring is enabled — the spec, "Starting and stopping rings". */
static void
ring_try_start(struct vhost_user_server *s, unsigned int index)
{
	struct vring *r = &s->rings[index];
	struct virtio_device *dev = s->dev;
	struct virtq *vq = &dev->vqs[index];
	uint64_t desc, avail, used;
	bool start_device = false;
	bool ok;

	if (r->running || !r->started || !r->addr_set || r->num == 0 || s->n_maps == 0)
		return;
	/* Without protocol features a ring is enabled as soon as it starts. */
	if ((s->features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES)) && !r->enabled)
		return;

	if (!user_to_gpa(s, r->desc_uaddr, &desc) || !user_to_gpa(s, r->avail_uaddr, &avail) ||
	    !user_to_gpa(s, r->used_uaddr, &used)) {
		log_msg("ring %u: its addresses are not in any memory region the front-end sent", index);
		return;
	}

	pthread_mutex_lock(&dev->lock);
	dev->mem = &s->mem;
	virtq_reset(vq);
	vq->size = r->num;
	vq->desc_gpa = desc;
	vq->avail_gpa = avail;
	vq->used_gpa = used;
	vq->indirect = s->features & (1ull << VIRTIO_F_INDIRECT_DESC);
	vq->event_idx = s->features & (1ull << VIRTIO_F_EVENT_IDX);
	vq->kick_fd = r->kick_fd;
	vq->call_fd = r->call_fd;
	ok = virtq_map(vq, &s->mem);
	if (ok) {
		/* SET_VRING_BASE gave the next avail index; the used index is
		 * whatever the ring says (a stopped ring has nothing in flight). */
		vq->last_avail = r->base;
		vq->used_idx = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
		vq->enabled = true;
		if (!dev->started) {
			/* Virtio-level features without the vhost-user bit. */
			dev->driver_features = s->features & ~(1ull << VHOST_USER_F_PROTOCOL_FEATURES);
			start_device = true;
		}
	}
	pthread_mutex_unlock(&dev->lock);

	if (!ok) {
		log_msg("ring %u: %s", index, vq->broken_reason ? vq->broken_reason : "cannot map");
		return;
	}
	r->running = true;
	if (start_device)
		virtio_device_start(dev);
	/* The driver may have made buffers available before we were told. */
	if (virtq_has_work(vq))
		virtio_device_kick(dev, index);
}

/* The device learns which rings the front-end enabled (virtio-net's
 * queue pairs follow them), whether or not they run yet. */
static void
tell_ring_enable(struct vhost_user_server *s, unsigned int index, bool enabled)
{
	if (s->dev->ops->ring_enable == NULL || index >= s->dev->num_queues)
		return;
	pthread_mutex_lock(&s->dev->lock);
	s->dev->ops->ring_enable(s->dev, index, enabled);
	pthread_mutex_unlock(&s->dev->lock);
}

static bool
any_ring_running(const struct vhost_user_server *s)
{
	for (unsigned int i = 0; i < s->dev->num_queues; i++)
		if (s->rings[i].running)
			return true;
	return false;
}

/* Back to the state of a fresh connection, except the socket: device
 * reset, rings forgotten, memory unmapped. */
static void
session_reset(struct vhost_user_server *s)
{
	for (unsigned int i = 0; i < VIRTIO_DEVICE_MAX_QUEUES; i++) {
		ring_pause(s, i);
		if (s->rings[i].enabled)
			tell_ring_enable(s, i, false);
		close_fd(&s->rings[i].kick_fd);
		close_fd(&s->rings[i].call_fd);
		close_fd(&s->rings[i].err_fd);
		vring_init(&s->rings[i]);
	}
	virtio_device_reset(s->dev);
	pthread_mutex_lock(&s->dev->lock);
	for (unsigned int i = 0; i < VIRTIO_DEVICE_MAX_QUEUES; i++) {
		s->dev->vqs[i].kick_fd = -1;
		s->dev->vqs[i].call_fd = -1;
	}
	s->dev->mem = NULL;
	pthread_mutex_unlock(&s->dev->lock);
	unmap_all(s->maps, s->n_maps);
	s->n_maps = 0;
	memset(&s->mem, 0, sizeof(s->mem));
	s->features = 0;
	s->device_error = false;
	s->device_error_reported = false;
}

/* ---- Messages ---------------------------------------------------------- */

static void
msg_close_fds(struct vhost_user_msg *msg)
{
	for (unsigned int i = 0; i < msg->n_fds; i++)
		close_fd(&msg->fds[i]);
	msg->n_fds = 0;
}

/* Take the message's only fd (the caller owns it), or -1. */
static int
msg_take_fd(struct vhost_user_msg *msg)
{
	int fd;

	if (msg->n_fds != 1)
		return -1;
	fd = msg->fds[0];
	msg->fds[0] = -1;
	msg->n_fds = 0;
	return fd;
}

/* Moves all @len bytes through the socket, across short transfers and
 * signals; false on end of file or an error. */
static bool
transfer_full(int fd, uint8_t *p, size_t len, bool sending)
{
	while (len > 0) {
		ssize_t n = sending ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t) n;
	}
	return true;
}

static bool
read_full(int fd, void *buf, size_t len)
{
	return transfer_full(fd, buf, len, false);
}

/* Reads one request.  False on end of file, a read error, or a header we
 * cannot trust (wrong version, payload too large). */
static bool
msg_read(int fd, struct vhost_user_msg *msg)
{
	char control[CMSG_SPACE(VHOST_USER_MAX_FDS * sizeof(int))];
	struct iovec iov = { &msg->hdr, sizeof(msg->hdr) };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = sizeof(control),
	};
	ssize_t n;

	msg->n_fds = 0;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return false;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			unsigned int count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (unsigned int i = 0; i < count; i++) {
				int f;

				memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				if (msg->n_fds < VHOST_USER_MAX_FDS)
					msg->fds[msg->n_fds++] = f;
				else
					close(f);
			}
		}
	}
	if (mh.msg_flags & MSG_CTRUNC) {
		log_msg("a request carried more than %d file descriptors", VHOST_USER_MAX_FDS);
		goto fail;
	}

	if ((size_t) n < sizeof(msg->hdr) &&
	    !read_full(fd, (uint8_t *) &msg->hdr + n, sizeof(msg->hdr) - (size_t) n))
		goto fail;
	if ((msg->hdr.flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION) {
		log_msg("protocol version %u is not 1", msg->hdr.flags & VHOST_USER_VERSION_MASK);
		goto fail;
	}
	if (msg->hdr.size > VHOST_USER_MAX_PAYLOAD) {
		log_msg("%s: payload of %u bytes is too large", request_name(msg->hdr.request), msg->hdr.size);
		goto fail;
	}
	memset(&msg->payload, 0, sizeof(msg->payload));
	if (msg->hdr.size > 0 && !read_full(fd, &msg->payload, msg->hdr.size))
		goto fail;
	return true;

fail:
	msg_close_fds(msg);
	return false;
}

static bool
send_reply(struct vhost_user_server *s, uint32_t request, const void *payload, uint32_t size)
{
	struct {
		struct vhost_user_header hdr;
		uint8_t payload[sizeof(struct vhost_user_config)];
	} __attribute__((packed)) reply;

	g_assert(size <= sizeof(reply.payload));
	reply.hdr.request = request;
	reply.hdr.flags = VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY;
	reply.hdr.size = size;
	memcpy(reply.payload, payload, size);
	return transfer_full(s->conn_fd, (uint8_t *) &reply, sizeof(reply.hdr) + size, true);
}

static bool
send_u64(struct vhost_user_server *s, uint32_t request, uint64_t value)
{
	return send_reply(s, request, &value, sizeof(value));
}

/* The payload must be exactly this size (the spec fixes it per request). */
static bool
payload_is(const struct vhost_user_msg *msg, size_t size)
{
	if (msg->hdr.size != size) {
		log_msg("%s: payload is %u bytes, expected %zu", request_name(msg->hdr.request),
		        msg->hdr.size, size);
		return false;
	}
	return true;
}

/* The ring a request names, or NULL (and a logged reason). */
static struct vring *
ring_of(struct vhost_user_server *s, const struct vhost_user_msg *msg, uint32_t index, unsigned int *out)
{
	if (index >= s->dev->num_queues) {
		log_msg("%s: ring %u does not exist (the device has %u)", request_name(msg->hdr.request),
		        index, s->dev->num_queues);
		return NULL;
	}
	*out = index;
	return &s->rings[index];
}

/* ---- Request handlers -------------------------------------------------- */

/* SET_FEATURES and SET_PROTOCOL_FEATURES: a u64 of bits, every one of
 * them among those we offered. */
static Handled
accept_offered_bits(const struct vhost_user_msg *msg, uint64_t offered, uint64_t *out)
{
	uint64_t unknown;

	if (!payload_is(msg, sizeof(uint64_t)))
		return HANDLED_DROP;
	unknown = msg->payload.u64 & ~offered;
	if (unknown) {
		log_msg("%s: bits 0x%" G_GINT64_MODIFIER "x were never offered",
		        request_name(msg->hdr.request), unknown);
		return HANDLED_FAILED;
	}
	*out = msg->payload.u64;
	return HANDLED_OK;
}

static Handled
handle_set_features(struct vhost_user_server *s, struct vhost_user_msg *msg)
{
	return accept_offered_bits(msg, offered_features(s), &s->features);
}

static Handled
handle_set_protocol_features(struct vhost_user_server *s, struct vhost_user_msg *msg)
{
	return accept_offered_bits(msg, SUPPORTED_PROTOCOL_FEATURES, &s->protocol_features);
}

/* SET_MEM_TABLE: one fd per region.  All new regions are checked and mapped
 * before anything old is let go, so a bad table leaves the old one intact. */
static Handled
handle_set_mem_table(struct vhost_user_server *s, struct vhost_user_msg *msg)
{
	const struct vhost_user_memory *table = &msg->payload.memory;
	struct mapping maps[VHOST_USER_MAX_REGIONS];
	struct guest_mem mem = { 0 };
	unsigned int n = 0;
	bool was_running[VIRTIO_DEVICE_MAX_QUEUES];

	if (msg->hdr.size < 8 || table->n_regions == 0 || table->n_regions > VHOST_USER_MAX_REGIONS ||
	    msg->hdr.size < 8 + table->n_regions * sizeof(struct vhost_user_region)) {
		log_msg("SET_MEM_TABLE: malformed table (%u bytes)", msg->hdr.size);
		return HANDLED_DROP;
	}
	if (msg->n_fds != table->n_regions) {
		log_msg("SET_MEM_TABLE: %u regions but %u file descriptors", table->n_regions, msg->n_fds);
		return HANDLED_DROP;
	}

	for (n = 0; n < table->n_regions; n++) {
		const struct vhost_user_region *r = &table->regions[n];
		struct stat st;
		uint64_t length;
		void *base;

		if (r->size == 0 || r->mmap_offset > UINT64_MAX - r->size ||
		    r->user_addr > UINT64_MAX - r->size || r->guest_addr > UINT64_MAX - r->size) {
			log_msg("SET_MEM_TABLE: region %u has an impossible size or offset", n);
			goto fail;
		}
		length = r->mmap_offset + r->size;
		/* Mapping past the end of the file would turn a guest access
		 * into SIGBUS for us. */
		if (fstat(msg->fds[n], &st) < 0 || (S_ISREG(st.st_mode) && (uint64_t) st.st_size < length) ||
		    length > SIZE_MAX) {
			log_msg("SET_MEM_TABLE: region %u is larger than its file", n);
			goto fail;
		}
		base = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, msg->fds[n], 0);
		if (base == MAP_FAILED) {
			log_msg("SET_MEM_TABLE: cannot map region %u: %s", n, g_strerror(errno));
			goto fail;
		}
		maps[n] = (struct mapping) {
			.base = base,
			.length = length,
			.user_addr = r->user_addr,
			.size = r->size,
			.gpa = r->guest_addr,
		};
		if (!guest_mem_add_region(&mem, r->guest_addr, r->size, (uint8_t *) base + r->mmap_offset)) {
			log_msg("SET_MEM_TABLE: region %u overlaps another one", n);
			n++;
			goto fail;
		}
	}
	msg_close_fds(msg);   /* the mappings keep the memory alive */

	/* Swap tables with the rings stopped, then let them run again. */
	for (unsigned int i = 0; i < VIRTIO_DEVICE_MAX_QUEUES; i++) {
		was_running[i] = s->rings[i].running;
		ring_pause(s, i);
	}
	pthread_mutex_lock(&s->dev->lock);
	unmap_all(s->maps, s->n_maps);
	memcpy(s->maps, maps, sizeof(maps));
	s->n_maps = n;
	s->mem = mem;
	pthread_mutex_unlock(&s->dev->lock);
	for (unsigned int i = 0; i < VIRTIO_DEVICE_MAX_QUEUES; i++)
		if (was_running[i] || s->rings[i].started)
			ring_try_start(s, i);
	return HANDLED_OK;

fail:
	unmap_all(maps, n);
	return HANDLED_FAILED;
}

static Handled
handle_vring_num(struct vhost_user_server *s, struct vhost_user_msg *msg)
{
	unsigned int index;
	struct vring *r;
	uint32_t num;

	if (!payload_is(msg, sizeof(struct vhost_user_vring_state)))
		return HANDLED_DROP;
	if (!(r = ring_of(s, msg, msg->payload.state.index, &index)))
		return HANDLED_FAILED;
	num = msg->payload.state.num;
	/* virtio 1.2 §2.7: a power of two; and no more than the device takes. */
	if (num == 0 || (num & (num - 1)) || num > s->dev->ops->queue_max_size) {
		log_msg("SET_VRING_NUM: ring %u size %u is not a power of two up to %u", index, num,
		        s->dev->ops->queue_max_size);
		return HANDLED_FAILED;
	}
	if (r->running) {
		log_msg("SET_VRING_NUM: ring %u is running", index);
		return HANDLED_FAILED;
	}
	r->num = (uint16_t) num;
	return HANDLED_OK;
}

static Handled
handle_vring_addr(struct vhost_user_server *s, struct vhost_user_msg *msg)
{
	const struct vhost_user_vring_addr *a = &msg->payload.addr;
	unsigned int index;
	struct vring *r;

	if (!payload_is(msg, sizeof(*a)))
		return HANDLED_DROP;
	if (!(r = ring_of(s, msg, a->index, &index)))
		return HANDLED_FAILED;
	if (r->running) {
		log_msg("SET_VRING_ADDR: ring %u is running", index);
		return HANDLED_FAILED;
	}
	/* Kept as front-end addresses: they are translated when the ring
	 * starts, against whatever memory table is current then. */
	r->desc_uaddr = a->desc_user_addr;
	r->avail_uaddr = a->avail_user_addr;
	r->used_uaddr = a->used_user_addr;
	r->addr_set = true;
	return HANDLED_OK;
}

static Handled
handle_vring_base(struct vhost_user_server *s, struct vhost_user_msg *msg)
{
	unsigned int index;
	struct vring *r;

	if (!payload_is(msg, sizeof(struct vhost_user_vring_state)))
		return HANDLED_DROP;
	if (!(r = ring_of(s, msg, msg->payload.state.index, &index)))
		return HANDLED_FAILED;
	if (r->running || msg->payload.state.num > UINT16_MAX) {
		log_msg("SET_VRING_BASE: ring %u is running or the index is out of range", index);
		return HANDLED_FAILED;
	}
	r->base = (uint16_t) msg->payload.state.num;
	return HANDLED_OK;
}

/* GET_VRING_BASE stops the ring (spec, "Starting and stopping rings") and
 * answers with the next avail index, which the front-end keeps for the
 * restart.  With every ring stopped the device is reset. */
static Handled
handle_get_vring_base(struct vhost_user_server *s, struct vhost_user_msg *msg)
{
	struct vhost_user_vring_state state;
	unsigned int index;
	struct vring *r;

	if (!payload_is(msg, sizeof(state)))
		return HANDLED_DROP;
	if (!(r = ring_of(s, msg, msg->payload.state.index, &index)))
		return HANDLED_DROP;   /* the front-end waits for an answer we cannot give */
	ring_pause(s, index);
	r->started = false;
	close_fd(&r->kick_fd);
	state.index = index;
	state.num = r->base;
	if (!any_ring_running(s) && s->dev->started) {
		virtio_device_reset(s->dev);
		s->device_error = false;
		s->device_error_reported = false;
	}
	return send_reply(s, msg->hdr.request, &state, sizeof(state)) ? HANDLED_OK : HANDLED_DROP;
}

/* SET_VRING_KICK / CALL / ERR: u64 payload, ring index in bits 0-7, bit 8
 * set when no fd comes with it. */
static Handled
handle_vring_fd(struct vhost_user_server *s, struct vhost_user_msg *msg)
{
	unsigned int index;
	struct vring *r;
	bool no_fd;
	int fd;

	if (!payload_is(msg, sizeof(uint64_t)))
		return HANDLED_DROP;
	no_fd = msg->payload.u64 & VHOST_USER_VRING_NOFD;
	if (no_fd != (msg->n_fds == 0) || msg->n_fds > 1) {
		log_msg("%s: wrong number of file descriptors (%u)", request_name(msg->hdr.request), msg->n_fds);
		return HANDLED_DROP;
	}
	if (!(r = ring_of(s, msg, msg->payload.u64 & VHOST_USER_VRING_IDX_MASK, &index)))
		return HANDLED_FAILED;
	fd = msg_take_fd(msg);

	switch (msg->hdr.request) {
	case VHOST_USER_SET_VRING_KICK:
		if (no_fd) {
			/* Polling the avail ring instead of an eventfd: not offered. */
			log_msg("SET_VRING_KICK: ring %u without a kick fd (polling) is not supported", index);
			return HANDLED_FAILED;
		}
		ring_pause(s, index);
		close_fd(&r->kick_fd);
		r->kick_fd = fd;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		r->started = true;
		ring_try_start(s, index);
		break;
	case VHOST_USER_SET_VRING_CALL:
		/* QEMU swaps call fds while the ring runs (masking MSI-X vectors):
		 * the device simply signals the new one from now on. */
		pthread_mutex_lock(&s->dev->lock);
		if (r->running)
			s->dev->vqs[index].call_fd = fd;
		pthread_mutex_unlock(&s->dev->lock);
		close_fd(&r->call_fd);
		r->call_fd = fd;
		break;
	case VHOST_USER_SET_VRING_ERR:
		close_fd(&r->err_fd);
		r->err_fd = fd;
		break;
	}
	return HANDLED_OK;
}

static Handled
handle_vring_enable(struct vhost_user_server *s, struct vhost_user_msg *msg)
{
	unsigned int index;
	struct vring *r;

	if (!payload_is(msg, sizeof(struct vhost_user_vring_state)))
		return HANDLED_DROP;
	/* Without VHOST_USER_F_PROTOCOL_FEATURES in SET_FEATURES a ring runs as
	 * soon as it starts and this message has nothing to enable — but
	 * QEMU 7.2's vhost-user-net leaves that bit out of SET_FEATURES (its
	 * vhost_net_init() overwrites backend_features) and still sends it,
	 * expecting success.  Accept it, as libvhost-user does; disabling a
	 * ring still stops it. */
	if (!(r = ring_of(s, msg, msg->payload.state.index, &index)))
		return HANDLED_FAILED;
	r->enabled = msg->payload.state.num != 0;
	tell_ring_enable(s, index, r->enabled);
	if (r->enabled)
		ring_try_start(s, index);
	else
		ring_pause(s, index);
	return HANDLED_OK;
}

static Handled
handle_config(struct vhost_user_server *s, struct vhost_user_msg *msg)
{
	struct vhost_user_config *cfg = &msg->payload.config;
	const size_t head = offsetof(struct vhost_user_config, data);

	if (msg->hdr.size < head || cfg->size > VHOST_USER_MAX_CONFIG ||
	    msg->hdr.size != head + cfg->size || cfg->offset > VHOST_USER_MAX_CONFIG - cfg->size) {
		log_msg("%s: malformed request (%u bytes, offset %u, size %u)", request_name(msg->hdr.request),
		        msg->hdr.size, cfg->offset, cfg->size);
		return msg->hdr.request == VHOST_USER_GET_CONFIG ? HANDLED_DROP : HANDLED_FAILED;
	}
	if (msg->hdr.request == VHOST_USER_SET_CONFIG) {
		virtio_device_write_config(s->dev, cfg->offset, cfg->data, cfg->size);
		return HANDLED_OK;
	}
	/* The reply repeats offset, size and flags with the bytes filled in. */
	virtio_device_read_config(s->dev, cfg->offset, cfg->data, cfg->size);
	return send_reply(s, msg->hdr.request, cfg, msg->hdr.size) ? HANDLED_OK : HANDLED_DROP;
}

/* Returns false when the connection must close. */
static bool
dispatch(struct vhost_user_server *s, struct vhost_user_msg *msg)
{
	uint32_t request = msg->hdr.request;
	bool replied = false;   /* this request has its own reply */
	Handled h = HANDLED_OK;

	switch (request) {
	case VHOST_USER_GET_FEATURES:
		replied = true;
		h = send_u64(s, request, offered_features(s)) ? HANDLED_OK : HANDLED_DROP;
		break;
	case VHOST_USER_SET_FEATURES:
		h = handle_set_features(s, msg);
		break;
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		replied = true;
		h = send_u64(s, request, SUPPORTED_PROTOCOL_FEATURES) ? HANDLED_OK : HANDLED_DROP;
		break;
	case VHOST_USER_SET_PROTOCOL_FEATURES:
		h = handle_set_protocol_features(s, msg);
		break;
	case VHOST_USER_SET_OWNER:
		break;   /* the connection is the session: nothing to record */
	case VHOST_USER_RESET_OWNER:
	case VHOST_USER_RESET_DEVICE: {
		uint64_t protocol = s->protocol_features;

		session_reset(s);
		s->protocol_features = protocol;
		break;
	}
	case VHOST_USER_GET_QUEUE_NUM:
		replied = true;
		h = send_u64(s, request, s->queue_num) ? HANDLED_OK : HANDLED_DROP;
		break;
	case VHOST_USER_SET_MEM_TABLE:
		h = handle_set_mem_table(s, msg);
		break;
	case VHOST_USER_SET_VRING_NUM:
		h = handle_vring_num(s, msg);
		break;
	case VHOST_USER_SET_VRING_ADDR:
		h = handle_vring_addr(s, msg);
		break;
	case VHOST_USER_SET_VRING_BASE:
		h = handle_vring_base(s, msg);
		break;
	case VHOST_USER_GET_VRING_BASE:
		replied = true;
		h = handle_get_vring_base(s, msg);
		break;
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
	case VHOST_USER_SET_VRING_ERR:
		h = handle_vring_fd(s, msg);
		break;
	case VHOST_USER_SET_VRING_ENABLE:
		h = handle_vring_enable(s, msg);
		break;
	case VHOST_USER_GET_CONFIG:
		replied = true;
		h = handle_config(s, msg);
		break;
	case VHOST_USER_SET_CONFIG:
		h = handle_config(s, msg);
		break;
	default:
		/* Everything else needs a protocol feature we never offered.  If
		 * the front-end wants an ack it gets a failure; otherwise it may
		 * be waiting for a reply we cannot produce, so hang up rather
		 * than leave it stuck. */
		log_msg("request %u (%s) is not supported by this back-end", request, request_name(request));
		h = (msg->hdr.flags & VHOST_USER_FLAG_NEED_REPLY) &&
		    has_protocol_feature(s, VHOST_USER_PROTOCOL_F_REPLY_ACK) ? HANDLED_FAILED : HANDLED_DROP;
		break;
	}
	msg_close_fds(msg);   /* fds a handler did not take */

	if (h == HANDLED_DROP)
		return false;
	if (h == HANDLED_FAILED && !replied)
		log_msg("%s failed", request_name(request));
	/* Spec, "REPLY_ACK": a zero u64 for success, non-zero for failure. */
	if (!replied && (msg->hdr.flags & VHOST_USER_FLAG_NEED_REPLY) &&
	    has_protocol_feature(s, VHOST_USER_PROTOCOL_F_REPLY_ACK))
		return send_u64(s, request, h == HANDLED_OK ? 0 : 1);
	return true;
}

/* ---- The device's error callback -------------------------------------- */

static void
on_device_error(struct virtio_device *dev, const char *reason, void *data)
{
	struct vhost_user_server *s = data;

	/* Called with dev->lock held: only record it. */
	s->device_error = true;
}

/* Tell the operator and the front-end (through the rings' error fds,
 * spec SET_VRING_ERR) that the driver broke the device. */
static void
report_device_error(struct vhost_user_server *s)
{
	uint64_t one = 1;

	if (!s->device_error || s->device_error_reported)
		return;
	s->device_error_reported = true;
	log_msg("%s: the driver broke the device (%s); it stays stopped until reset",
	        s->dev->ops->name, s->dev->broken_reason);
	for (unsigned int i = 0; i < s->dev->num_queues; i++)
		if (s->rings[i].err_fd >= 0 && write(s->rings[i].err_fd, &one, sizeof(one)) < 0)
			log_msg("cannot signal the error fd of ring %u: %s", i, g_strerror(errno));
}

/* ---- Statistics -------------------------------------------------------- */

/* The device's counters as "name=value" words on one line, the names
 * query-stats uses for the same device inside glassbox-vmm run. */
static void
stats_add_int(void *data, const char *name, int64_t value)
{
	g_string_append_printf(data, " %s=%" G_GINT64_FORMAT, name, (gint64) value);
}

static void
stats_add_string(void *data, const char *name, const char *value)
{
	g_string_append_printf(data, " %s=%s", name, value);
}

/* SIGUSR1, and once more at the end: one line for the device, one per
 * queue, on stderr (stdout is the "listening" line a supervisor waits
 * for).  Counters only grow; they are read without dev->lock, as
 * query-stats does. */
static void
print_stats(struct vhost_user_server *s)
{
	struct virtio_device *dev = s->dev;
	g_autoptr(GString) line = g_string_new(NULL);
	const struct virtio_stats_sink sink = { stats_add_int, stats_add_string, line };

	g_string_printf(line, "vhost-user: stats %s: broken=%s", dev->ops->name, dev->broken ? "yes" : "no");
	if (dev->ops->get_stats)
		dev->ops->get_stats(dev, -1, &sink);
	fprintf(stderr, "%s\n", line->str);
	for (unsigned int q = 0; q < dev->num_queues; q++) {
		const struct virtq *vq = &dev->vqs[q];

		g_string_printf(line, "vhost-user: stats %s queue %u: enabled=%s running=%s", dev->ops->name, q,
		                s->rings[q].enabled ? "yes" : "no", s->rings[q].running ? "yes" : "no");
		stats_add_int(line, "notifications", __atomic_load_n(&vq->stats.kicks, __ATOMIC_RELAXED));
		stats_add_int(line, "interrupts", __atomic_load_n(&vq->stats.interrupts, __ATOMIC_RELAXED));
		stats_add_int(line, "requests", __atomic_load_n(&vq->stats.chains, __ATOMIC_RELAXED));
		if (dev->ops->get_stats)
			dev->ops->get_stats(dev, (int) q, &sink);
		fprintf(stderr, "%s\n", line->str);
	}
	fflush(stderr);
}

/* ---- The server -------------------------------------------------------- */

struct vhost_user_server *
vhost_user_server_new(const char *socket_path, struct virtio_device *dev, char **error)
{
	struct vhost_user_server *s;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(socket_path) >= sizeof(addr.sun_path)) {
		*error = g_strdup_printf("%s: socket path is too long", socket_path);
		return NULL;
	}
	strcpy(addr.sun_path, socket_path);
	/* A stale socket from an earlier run may go; nothing else may. */
	if (lstat(socket_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			*error = g_strdup_printf("%s exists and is not a socket", socket_path);
			return NULL;
		}
		unlink(socket_path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *) &addr, sizeof(addr)) < 0 || listen(fd, 1) < 0) {
		*error = g_strdup_printf("%s: %s", socket_path, g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}

	s = g_new0(struct vhost_user_server, 1);
	s->path = g_strdup(socket_path);
	s->listen_fd = fd;
	s->conn_fd = -1;
	s->signal_fd = -1;
	s->dev = dev;
	s->queue_num = dev->num_queues;
	for (unsigned int i = 0; i < VIRTIO_DEVICE_MAX_QUEUES; i++)
		vring_init(&s->rings[i]);
	dev->on_error = on_device_error;
	dev->on_error_data = s;
	return s;
}

static void
disconnect(struct vhost_user_server *s)
{
	session_reset(s);
	s->protocol_features = 0;
	close_fd(&s->conn_fd);
	log_msg("front-end disconnected; device reset, waiting for the next one");
}

int
vhost_user_server_run(struct vhost_user_server *s)
{
	static struct vhost_user_msg msg;   /* 4 KiB: not on the stack */
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	s->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (s->signal_fd < 0) {
		log_msg("signalfd: %s", g_strerror(errno));
		return 1;
	}

	if (s->context && !g_main_context_acquire(s->context)) {
		log_msg("the device's main context belongs to another thread");
		return 1;
	}
	for (;;) {
		struct pollfd fds[2 + VIRTIO_DEVICE_MAX_QUEUES + MAX_CONTEXT_FDS];
		unsigned int ring_of_fd[2 + VIRTIO_DEVICE_MAX_QUEUES];
		GPollFD gfds[MAX_CONTEXT_FDS];
		nfds_t n = 0, first_gfd;
		gint max_priority = 0, timeout = -1, n_gfds = 0;

		fds[n++] = (struct pollfd) { s->signal_fd, POLLIN, 0 };
		/* One front-end at a time: the next waits in the backlog. */
		fds[n++] = (struct pollfd) { s->conn_fd >= 0 ? s->conn_fd : s->listen_fd, POLLIN, 0 };
		for (unsigned int i = 0; i < s->dev->num_queues; i++) {
			if (s->rings[i].running) {
				ring_of_fd[n] = i;
				fds[n++] = (struct pollfd) { s->rings[i].kick_fd, POLLIN, 0 };
			}
		}

		/* The device's backend (virtio-net's tap or libslirp) has GLib
		 * sources: poll their fds in this same loop, so that they run in
		 * this thread, as the kicks do (GLib's "poll it yourself" API). */
		first_gfd = n;
		if (s->context) {
			g_main_context_prepare(s->context, &max_priority);
			n_gfds = g_main_context_query(s->context, max_priority, &timeout, gfds, MAX_CONTEXT_FDS);
			if (n_gfds > MAX_CONTEXT_FDS) {
				log_msg("the device watches more than %d fds", MAX_CONTEXT_FDS);
				n_gfds = MAX_CONTEXT_FDS;
			}
			for (gint i = 0; i < n_gfds; i++)
				fds[n++] = (struct pollfd) { gfds[i].fd, gfds[i].events, 0 };
		}

		if (poll(fds, n, timeout) < 0) {
			if (errno != EINTR) {
				log_msg("poll: %s", g_strerror(errno));
				return 1;
			}
			for (nfds_t i = 0; i < n; i++)
				fds[i].revents = 0;
		}
		if (s->context) {
			for (gint i = 0; i < n_gfds; i++)
				gfds[i].revents = fds[first_gfd + i].revents;
			if (g_main_context_check(s->context, max_priority, gfds, n_gfds))
				g_main_context_dispatch(s->context);
		}
		if (fds[0].revents) {
			struct signalfd_siginfo si;

			if (read(s->signal_fd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGUSR1)
				print_stats(s);
			else
				break;
		}

		/* Kicks first: a request in flight finishes before, say, a
		 * GET_VRING_BASE that follows it is answered. */
		for (nfds_t i = 2; i < first_gfd; i++) {
			uint64_t count;

			if (!(fds[i].revents & POLLIN) || !s->rings[ring_of_fd[i]].running)
				continue;
			if (read(fds[i].fd, &count, sizeof(count)) == sizeof(count))
				virtio_device_notified(s->dev, ring_of_fd[i], count);
		}
		report_device_error(s);

		if (fds[1].revents && s->conn_fd < 0) {
			s->conn_fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
			if (s->conn_fd < 0) {
				if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN)
					continue;
				log_msg("accept: %s", g_strerror(errno));
				return 1;
			}
			log_msg("front-end connected");
		} else if (fds[1].revents) {
			if (!msg_read(s->conn_fd, &msg) || !dispatch(s, &msg))
				disconnect(s);
			report_device_error(s);
		}
	}

	print_stats(s);
	if (s->conn_fd >= 0)
		disconnect(s);
	if (s->context)
		g_main_context_release(s->context);
	return 0;
}

/* The loop above, minus the sockets it waits on: the front-end is already
 * connected at `fd` and has queued its requests.  Each is read and
 * dispatched, and the kicks of the rings that started are run, until the
 * socket has nothing more to read; then the session ends as a disconnect
 * ends it (fd closed, device reset, memory unmapped).  The fuzzer and the
 * unit tests drive the protocol through this, in one thread. */
void
vhost_user_server_serve_fd(struct vhost_user_server *s, int fd)
{
	static struct vhost_user_msg msg;
	struct pollfd pfd = { fd, POLLIN, 0 };

	g_assert(s->conn_fd < 0);
	s->conn_fd = fd;
	while (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN)) {
		if (!msg_read(fd, &msg) || !dispatch(s, &msg))
			break;
		for (unsigned int i = 0; i < s->dev->num_queues; i++) {
			struct pollfd kick = { s->rings[i].kick_fd, POLLIN, 0 };
			uint64_t count;

			if (s->rings[i].running && poll(&kick, 1, 0) == 1 &&
			    read(kick.fd, &count, sizeof(count)) == sizeof(count))
				virtio_device_notified(s->dev, i, count);
		}
		report_device_error(s);
	}
	disconnect(s);
}

void
vhost_user_server_set_queue_num(struct vhost_user_server *s, unsigned int queue_num)
{
	s->queue_num = queue_num;
}

void
vhost_user_server_set_context(struct vhost_user_server *s, GMainContext *context)
{
	s->context = context;
}

void
vhost_user_server_free(struct vhost_user_server *s)
{
	if (s == NULL)
		return;
	if (s->conn_fd >= 0)
		disconnect(s);
	close_fd(&s->signal_fd);
	close_fd(&s->listen_fd);
	unlink(s->path);
	s->dev->on_error = NULL;
	g_free(s->path);
	g_free(s);
}
