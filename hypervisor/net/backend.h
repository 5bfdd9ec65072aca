/* backend.h — where a virtual NIC's frames go on the host.
 *
 * A backend moves whole Ethernet frames between a device (virtio-net,
 * hypervisor/virtio/net.c) and the host: a tap device (tap.c), a tap that a
 * privileged helper made on a bridge (bridge.c), libslirp's user-mode
 * network stack (slirp.c), or a passt process (passt.c).  The device knows nothing of which one it has.
 *
 * Frames in both directions may begin with a struct virtio_net_hdr_v1
 * (virtio 1.2 §5.1.6, 12 bytes): when be->vnet_hdr_len is 12 the backend
 * understands and produces it (a tap opened with IFF_VNET_HDR), so checksum
 * and segmentation offloads can pass through untouched; when it is 0 frames
 * are plain Ethernet and the device must not negotiate offloads.
 *
 * Threading: everything happens in the thread that runs the GMainContext
 * given to net_backend_start() (the VMM's I/O thread).  A backend never
 * calls the client from inside ops->send or ops->rx_ready — only from its
 * own sources — so the device may hold its lock while it calls those.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#define NET_VNET_HDR_LEN 12        /* struct virtio_net_hdr_v1 */
#define NET_MAX_FRAME    65536     /* largest frame (a 64 KiB GSO frame) without header */

/* TUNSETOFFLOAD bits (linux/if_tun.h), passed to ops->set_offloads. */
#define NET_OFFLOAD_CSUM 0x01
#define NET_OFFLOAD_TSO4 0x02
#define NET_OFFLOAD_TSO6 0x04
#define NET_OFFLOAD_ECN  0x08

struct net_backend;

/* Reads one frame into iov[0 .. n) (a readv): bytes, or -1 with errno. */
typedef ssize_t (*net_read_fn)(void *ctx, const struct iovec *iov, unsigned int n);

/* The device's side, filled in by the device before net_backend_start(). */
struct net_backend_client {
	/* One frame for the guest in iov[0 .. n).  Returns false when the
	 * guest has no room for it right now: the backend keeps the frame and
	 * offers it again after the device calls net_backend_rx_ready(). */
	bool (*receive)(void *opaque, const struct iovec *iov, unsigned int n);
	/* Optional, for a backend that reads frames with their virtio-net
	 * header (vnet_hdr_len 12): the device calls `read_frame` once with the
	 * guest's own receive buffers, room for the largest frame, and takes
	 * what it read (*result: its return value; -1 leaves errno as read
	 * set it) — one copy instead of two.  False, without calling `read_frame`:
	 * not that much room now; the backend reads into its own buffer and
	 * offers the frame through receive. */
	bool (*receive_direct)(void *opaque, net_read_fn read_frame, void *ctx, ssize_t *result);
	/* The host end came or went (a tap deleted under us: link down). */
	void (*link_changed)(void *opaque, bool up);
	void *opaque;
};

struct net_backend_ops {
	const char *kind;   /* "tap", "bridge", "user", "passt" */
	/* Attach sources to `context`; frames start flowing. */
	bool (*start)(struct net_backend *be, GMainContext *context, GError **error);
	/* One frame from the guest.  False: dropped (the host end refused it). */
	bool (*send)(struct net_backend *be, const struct iovec *iov, unsigned int n);
	/* The guest posted receive buffers: frames held back may come now. */
	void (*rx_ready)(struct net_backend *be);
	/* Which offloads the guest accepts in frames it receives (TUNSETOFFLOAD). */
	bool (*set_offloads)(struct net_backend *be, unsigned int offloads);
	/* Optional (multiqueue taps): take this queue in or out of the
	 * device's set (TUNSETQUEUE), so the kernel steers flows only to the
	 * queue pairs the driver uses.  Never calls the client. */
	bool (*set_queue_enabled)(struct net_backend *be, bool enabled);
	void (*free)(struct net_backend *be);
	/* save-state: NULL when the backend can be opened again from the same
	 * --net option on --restore (its queued frames may be lost: see
	 * virtio/net.c); else why not, for the user. */
	const char *save_refused;
};

struct net_backend {
	const struct net_backend_ops *ops;
	char *description;           /* "tap tap0", "bridge br0 (tap1)", "user" */
	unsigned int vnet_hdr_len;   /* 0 or NET_VNET_HDR_LEN */
	bool link_up;
	struct net_backend_client client;

	/* What the host end refused (ops->send returned false). */
	uint64_t tx_errors;
};

/* What --net says, parsed.  "tap=IFNAME", "bridge=BR[,vlan=VID][,helper=PATH]",
 * "user[,hostfwd=tcp:[HOSTADDR]:PORT-[GUESTADDR]:PORT]…[,restrict=on]",
 * "passt[,hostfwd=tcp:[HOSTADDR]:PORT-:PORT]…[,helper=PATH|,socket=PATH]",
 * each optionally with ",mac=52:54:00:12:34:56". */
struct net_spec {
	char *kind;                  /* "tap", "bridge", "user", "passt" */
	char *name;                  /* tap or bridge name */
	char *helper;                /* bridge helper (NULL: qemu-bridge-helper, or
	                              * glassbox-bridge-helper with a vlan) or passt
	                              * program (NULL: passt from PATH) */
	unsigned int vlan;           /* bridge: the port's VLAN id, 1-4094 (0: none) */
	char *socket;                /* passt: connect to a running passt's socket */
	GPtrArray *hostfwd;          /* char * rules, user and passt */
	bool restricted;             /* user: restrict=on, no way out but hostfwd */
	uint8_t mac[6];
	bool has_mac;
	unsigned int queues;         /* tap: queue pairs, one tap fd each (1: no multiqueue) */
};

#define NET_MAX_QUEUE_PAIRS 8    /* VIRTIO_DEVICE_MAX_QUEUES = 2 × 8 + the control queue */

bool net_spec_parse(const char *text, struct net_spec *spec, GError **error);
void net_spec_clear(struct net_spec *spec);

/* Open the backend a spec names (the tap is opened, the helper run, the
 * slirp instance made) — frames flow after net_backend_start(). */
struct net_backend *net_backend_new(const struct net_spec *spec, GError **error);
/* All spec->queues backends (one per queue pair) into bes[]; false with
 * every one already opened freed. */
bool net_backend_new_queues(const struct net_spec *spec, struct net_backend **bes, GError **error);
bool net_backend_start(struct net_backend *be, GMainContext *context, GError **error);
void net_backend_free(struct net_backend *be);

/* Used by the backends. */
void net_backend_init(struct net_backend *be, const struct net_backend_ops *ops, const char *description);
void net_backend_set_link(struct net_backend *be, bool up);

/* The backends' constructors. */
struct net_backend *net_tap_open(const char *ifname, GError **error);
/* Queue `index` of a tap made with `multi_queue` (IFF_MULTI_QUEUE): open
 * once per queue pair, each its own fd. */
struct net_backend *net_tap_open_queue(const char *ifname, unsigned int index, GError **error);
/* Takes ownership of an open tap fd (from the bridge helper). */
struct net_backend *net_tap_from_fd(int fd, const char *kind, const char *description, GError **error);
/* vlan 0: no VLAN; otherwise the helper (glassbox-bridge-helper unless
 * `helper` names another that takes --vlan) makes the tap an access port
 * of that VLAN. */
struct net_backend *net_bridge_open(const char *bridge, const char *helper, unsigned int vlan, GError **error);
struct net_backend *net_slirp_new(GPtrArray *hostfwd, bool restricted, GError **error);
/* socket_path: connect to a running passt; NULL: start `program` (NULL:
 * passt from PATH) with the forwards in hostfwd. */
struct net_backend *net_passt_new(const char *socket_path, const char *program, GPtrArray *hostfwd,
                                  GError **error);
