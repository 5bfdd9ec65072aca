/* device.h — a virtio device, independent of how the guest reaches it.
 *
 * A device (virtio-blk, -console, -rng, …) is written against this header
 * only.  It sees four things and nothing else:
 *
 *   1. guest memory: dev->mem, a struct guest_mem (guest-mem.h), i.e. a list
 *      of regions {guest-physical address, size, host pointer}.  Never a single
 *      base pointer: our VMM has two RAM slots, a vhost-user server has
 *      whatever regions QEMU sends.
 *   2. its queues: dev->vqs[0 .. dev->num_queues), struct virtq (queue.h);
 *      dev->num_queues starts as ops->num_queues, a device whose count
 *      depends on its options (virtio-net multiqueue) sets it before the
 *      front door sees the device.
 *      Descriptor chains come out of virtq_pop() already validated; a device
 *      never reads a descriptor table itself.
 *   3. a kick eventfd per queue (vq->kick_fd): the driver's "buffers are
 *      ready".  The front door (transport) waits on it and calls
 *      virtio_device_kick(), which runs ops->queue_kick with dev->lock held.
 *   4. a call eventfd per queue (vq->call_fd): the device writes it, through
 *      virtq_notify(), to interrupt the driver.  What an interrupt *is*
 *      belongs to the front door: an MSI-X irqfd or INTx for our PCI
 *      transport, a forwarded eventfd for vhost-user.
 *
 * Two front doors drive devices through this interface:
 *
 *   - hypervisor/pci/virtio-pci.c: modern virtio-pci for our own guests.  It
 *     owns feature negotiation and the device status byte (virtio 1.2 §3.1),
 *     fills vq->size/desc_gpa/avail_gpa/used_gpa from the common config
 *     registers, sets vq->enabled, calls virtq_map() and, on DRIVER_OK,
 *     virtio_device_start().
 *   - a vhost-user server: gets the memory table as fds, mmaps them and fills
 *     a struct guest_mem (ring addresses in VHOST_USER_SET_VRING_ADDR are in
 *     QEMU's address space: translate them to guest-physical first), stores
 *     SET_FEATURES in dev->driver_features (and vq->indirect from
 *     VIRTIO_F_INDIRECT_DESC, vq->event_idx from VIRTIO_F_EVENT_IDX), SET_VRING_NUM in vq->size, SET_VRING_BASE in
 *     vq->last_avail and vq->used_idx, takes kick/call fds from
 *     SET_VRING_KICK/CALL, sets vq->enabled on SET_VRING_ENABLE (and
 *     tells ops->ring_enable), calls
 *     virtq_map() and virtio_device_start(), and waits on the kick fds
 *     exactly as the PCI transport does.  The device offers
 *     dev->features; VIRTIO_F_VERSION_1, VIRTIO_F_INDIRECT_DESC and
 *     VIRTIO_F_EVENT_IDX are the front door's to add.
 *
 * Threading: every entry point below takes dev->lock; device callbacks run
 * with it held and must not call back into these functions.  ops->queue_kick
 * may block on I/O (virtio-blk does): the front door decides which thread
 * runs it.
 *
 * Errors: a guest that breaks the rules (a bad chain, a malformed request)
 * gets the device marked broken: it stops processing, the transport reports
 * DEVICE_NEEDS_RESET (virtio 1.2 §2.1.2), and dev->on_error (if set) is
 * called once with a reason.  The VMM itself never aborts on guest input.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest-mem.h"
#include "queue.h"

/* Device IDs, virtio 1.2 §5 */
#define VIRTIO_ID_NET     1
#define VIRTIO_ID_BLOCK   2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG     4
#define VIRTIO_ID_INPUT   18

/* Reserved feature bits, virtio 1.2 §6 */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_VERSION_1     32

/* 8 virtio-net queue pairs and the control queue (net.c, §5.1.2). */
#define VIRTIO_DEVICE_MAX_QUEUES 17

struct virtio_device;

/* Where a device's own counters go (query-stats): the front door supplies
 * one, the device calls it per counter.  Keeps device code free of JSON. */
struct virtio_stats_sink {
	void (*add_int)(void *data, const char *name, int64_t value);
	void (*add_string)(void *data, const char *name, const char *value);
	void *data;
};

struct virtio_device_ops {
	const char *name;          /* "virtio-blk": used in stats and events */
	uint16_t device_id;        /* VIRTIO_ID_* */
	uint16_t num_queues;
	uint16_t queue_max_size;   /* largest Queue Size the device accepts */

	/* Called with dev->lock held.  Each may be NULL except queue_kick. */
	void (*queue_kick)(struct virtio_device *dev, unsigned int index);
	void (*start)(struct virtio_device *dev);   /* driver set DRIVER_OK */
	void (*reset)(struct virtio_device *dev);   /* driver reset the device */
	void (*write_config)(struct virtio_device *dev, uint32_t offset,
	                     const void *data, uint32_t len);
	void (*destroy)(struct virtio_device *dev); /* free dev->priv */
	/* Optional: the device's own counters, for the whole device (queue
	 * -1) or one queue.  Called without dev->lock (counters only grow). */
	void (*get_stats)(struct virtio_device *dev, int queue, const struct virtio_stats_sink *sink);

	/* "save-state" (hypervisor/vmm/savestate.c).  A device that sets
	 * savable has no state beyond its queues, its config space (which
	 * must come out the same on the restoring side: it depends only on
	 * the device's options) and the state_size bytes save()/load() carry;
	 * it handles every request to the end inside queue_kick, so holding
	 * dev->lock quiesces it.  Others are refused once a driver runs them.
	 * save/load are called with dev->lock held; either may be NULL. */
	bool savable;
	uint32_t state_size;
	void (*save)(struct virtio_device *dev, void *state);
	void (*load)(struct virtio_device *dev, const void *state);
	/* Optional.  A device may still refuse (*why says why) when its state
	 * at this moment is one the file cannot hold. */
	bool (*can_save)(struct virtio_device *dev, char *why, size_t why_len);
	/* Optional: how many chains the device took off queue `index` and
	 * still holds unused (virtio-net's receive buffers waiting for a
	 * frame).  They go into the file as still available — last_avail
	 * moved back by that many — so the restored device takes them again;
	 * they must be the last ones taken, in order. */
	uint16_t (*unconsumed)(struct virtio_device *dev, unsigned int index);
	/* Optional: take the config space saved in the file.  Without it the
	 * bytes must be equal (config space follows from the options).  A
	 * device whose config the driver writes (virtio-input's select)
	 * copies it; one with live fields (virtio-net's link status) checks
	 * the rest.  False with *why set: it cannot be this device's. */
	bool (*load_config)(struct virtio_device *dev, const void *saved, char *why, size_t why_len);
	/* Optional, vhost-user only: the front-end enabled or disabled ring
	 * `index` (VHOST_USER_SET_VRING_ENABLE, the spec's "Multiple queue
	 * support"); called with dev->lock held.  virtio-net's queue pairs
	 * follow it: QEMU runs the control queue itself and enables the
	 * rings of pair k once the driver asks for more than k pairs. */
	void (*ring_enable)(struct virtio_device *dev, unsigned int index, bool enabled);
};

struct virtio_device {
	const struct virtio_device_ops *ops;
	void *priv;                     /* the device's own state */
	uint16_t num_queues;            /* ops->num_queues unless the device changed it */

	/* Device feature bits offered (VIRTIO_F_VERSION_1 is always added). */
	uint64_t features;
	/* What the driver accepted (written by the front door). */
	uint64_t driver_features;

	/* Device-specific configuration space (virtio 1.2 §4.1.4.6), owned by
	 * the device, read by the front door under dev->lock. */
	void *config;
	uint32_t config_size;

	const struct guest_mem *mem;    /* set by the front door */
	struct virtq vqs[VIRTIO_DEVICE_MAX_QUEUES];

	pthread_mutex_t lock;
	bool started;
	bool broken;
	char broken_reason[128];

	/* Optional: told once each time the device becomes broken.  Called with
	 * dev->lock held, possibly from any thread: only record or schedule. */
	void (*on_error)(struct virtio_device *dev, const char *reason, void *data);
	void *on_error_data;

	/* Optional, set by the front door: the device changed its config
	 * space on its own (virtio 1.2 §2.5.1, e.g. virtio-net's link status):
	 * bump config_generation and send a configuration change interrupt.
	 * Called WITHOUT dev->lock held (the front door takes its own lock
	 * first and dev->lock after, as for config reads). */
	void (*on_config_change)(struct virtio_device *dev, void *data);
	void *on_config_change_data;
};

/* Fill the common part; the device sets priv, features and config after.
 * All kick/call fds start at -1. */
void virtio_device_init(struct virtio_device *dev, const struct virtio_device_ops *ops);

/* The driver's notification for queue `index` arrived (the caller has
 * already drained the kick eventfd).  Counts it and runs ops->queue_kick
 * unless the queue is not enabled or the device is broken. */
void virtio_device_kick(struct virtio_device *dev, unsigned int index);

/* The same for `count` notifications read at once: an eventfd's read
 * returns how many times it was signalled since the last read (eventfd(2)),
 * so the statistics count every notification the driver wrote even when
 * the device handles them in one go. */
void virtio_device_notified(struct virtio_device *dev, unsigned int index, uint64_t count);

/* Driver set DRIVER_OK / reset the device (virtio 1.2 §3.1, §2.4). */
void virtio_device_start(struct virtio_device *dev);
void virtio_device_reset(struct virtio_device *dev);

/* Read/write device-specific config space; out-of-range bytes read as 0
 * and writes to them are ignored. */
void virtio_device_read_config(struct virtio_device *dev, uint32_t offset, void *data, uint32_t len);
void virtio_device_write_config(struct virtio_device *dev, uint32_t offset, const void *data, uint32_t len);

/* Mark broken because of what the driver did (called by devices with the
 * lock held, and by virtio_device_kick when a queue broke). */
void virtio_device_set_broken(struct virtio_device *dev, const char *reason);

/* The device changed its config space: tell the front door.  The caller
 * must not hold dev->lock. */
void virtio_device_config_changed(struct virtio_device *dev);

/* save-state.  virtio_device_save_size() bytes go out through
 * virtio_device_save(), called with dev->lock held — taken before guest
 * RAM was saved, which waits for a request being handled to finish and
 * keeps the I/O thread out of the rings; virtio_device_load() puts them
 * back before the vCPUs run, mapping enabled queues again.  A device that
 * is broken or not savable (ops->savable, ops->can_save) is refused: *why
 * says which, for the user. */
bool virtio_device_can_save(struct virtio_device *dev, char *why, size_t why_len);
bool virtio_device_can_save_locked(struct virtio_device *dev, char *why, size_t why_len);
size_t virtio_device_save_size(const struct virtio_device *dev);
void virtio_device_save(struct virtio_device *dev, void *buf);
bool virtio_device_load(struct virtio_device *dev, const void *buf, size_t len, char *why, size_t why_len);
/* After virtio_device_load(): does the config space now differ from what
 * the driver saw when the state was saved (a link that went down in
 * between)?  The front door then tells the driver (§2.5.1). */
bool virtio_device_config_differs(struct virtio_device *dev, const void *buf, size_t len);

/* Run ops->destroy.  The front door closes the fds it created. */
void virtio_device_destroy(struct virtio_device *dev);

/* The devices.  Each returns NULL with *error set on failure. */
struct virtio_device *virtio_blk_new(const char *path, int format, bool read_only,
                                     const char *serial, char **error);
struct virtio_device *virtio_console_new(int out_fd);
/* Bytes typed at the host end of a virtio-console. */
void virtio_console_input(struct virtio_device *dev, const uint8_t *buf, size_t len);
struct virtio_device *virtio_rng_new(void);
/* virtio-input tablet: absolute position 0..VIRTIO_TABLET_MAX on each axis,
 * buttons bit 0 left, 1 right, 2 middle, wheel clicks (> 0: away from the
 * user).  Returns false (and drops the
 * event) while no driver runs the device: the caller can fall back to
 * another pointer. */
#define VIRTIO_TABLET_MAX 32767
struct virtio_device *virtio_tablet_new(void);
bool virtio_tablet_event(struct virtio_device *dev, unsigned int x, unsigned int y, unsigned int buttons,
                         int wheel);
struct net_backend;
/* Takes ownership of `be` (hypervisor/net/backend.h); `mac` is the NIC's
 * address.  The front door then starts the backend in its I/O context. */
struct virtio_device *virtio_net_new(struct net_backend *be, const uint8_t mac[6]);
/* Multiqueue: one backend per queue pair (n_pairs ≤ NET_MAX_QUEUE_PAIRS,
 * all taken); more than one offers VIRTIO_NET_F_MQ and the control queue. */
struct virtio_device *virtio_net_new_mq(struct net_backend **bes, unsigned int n_pairs, const uint8_t mac[6]);
/* The MAC was made up (no mac= option): --restore replaces it with the
 * saved one, which the guest's driver has read, instead of refusing. */
void virtio_net_set_mac_made_up(struct virtio_device *dev);
