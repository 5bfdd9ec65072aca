/* virtio-pci.c — modern virtio over PCI (virtio 1.2 §4.1).
 *
 * Everything lives in one 32 KiB memory BAR, described to the driver by
 * vendor-specific capabilities (§4.1.4):
 *
 *   0x0000  common configuration (features, status, queue setup)  §4.1.4.3
 *   0x1000  ISR status                                            §4.1.4.5
 *   0x2000  device-specific configuration                         §4.1.4.6
 *   0x3000  notifications: queue n at 0x3000 + 4n                 §4.1.4.4
 *   0x4000  MSI-X table, 0x5000 MSI-X pending bits          PCI 3.0 §6.8.2
 *
 * Notifications are KVM ioeventfds on the notify addresses: a guest write
 * there never leaves the kernel, it just signals the queue's kick eventfd,
 * which a GLib main context (the VMM's I/O thread) waits on.  Interrupts
 * are the queue's call eventfd: with MSI-X enabled and the vector unmasked
 * it is a KVM irqfd routed to that vector's MSI message, so it never passes
 * through us either; masked vectors and legacy INTx fall back to that
 * context watching the eventfd.
 * This file knows PCI, not requests.
 */
#include "virtio-pci.h"

#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define BAR_SIZE       0x8000
#define COMMON_OFF     0x0000
#define COMMON_LEN     0x38
#define ISR_OFF        0x1000
#define DEVICE_OFF     0x2000
#define DEVICE_LEN     0x1000
#define NOTIFY_OFF     0x3000
#define NOTIFY_MULT    4
#define MSIX_TABLE_OFF 0x4000
#define MSIX_PBA_OFF   0x5000

/* §4.1.4 capability types */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG    3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG    5

/* §2.1 device status bits */
#define STATUS_ACKNOWLEDGE        1
#define STATUS_DRIVER             2
#define STATUS_DRIVER_OK          4
#define STATUS_FEATURES_OK        8
#define STATUS_DEVICE_NEEDS_RESET 0x40
#define STATUS_FAILED             0x80

#define VIRTIO_MSI_NO_VECTOR 0xffff
#define MSIX_CTRL_MASKALL    0x4000
#define MSIX_CTRL_ENABLE     0x8000
#define MSIX_ENTRY_MASKED    1
#define MAX_VECTORS (VIRTIO_DEVICE_MAX_QUEUES + 1)

struct virtio_pci_cap {
	uint8_t cap_vndr;     /* PCI_CAP_ID_VNDR = 0x09 */
	uint8_t cap_next;
	uint8_t cap_len;
	uint8_t cfg_type;
	uint8_t bar;
	uint8_t id;
	uint8_t padding[2];
	uint32_t offset;
	uint32_t length;
} __attribute__((packed));

struct virtio_pci_notify_cap {
	struct virtio_pci_cap cap;
	uint32_t notify_off_multiplier;
} __attribute__((packed));

struct virtio_pci_cfg_cap {
	struct virtio_pci_cap cap;
	uint8_t pci_cfg_data[4];
} __attribute__((packed));

struct msix_cap {
	uint8_t id;           /* 0x11 */
	uint8_t next;
	uint16_t control;     /* table size - 1, function mask, enable */
	uint32_t table;       /* offset | BIR */
	uint32_t pba;
} __attribute__((packed));

struct msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;
};

struct queue_irq {
	uint16_t vector;      /* MSI-X vector the driver chose, or NO_VECTOR */
	int irqfd_gsi;        /* call_fd is a KVM irqfd on this GSI, or -1 */
	GSource *watch;       /* …or the context watches call_fd */
};

struct virtio_pci {
	struct pci_device pci;
	struct vm *vm;
	struct virtio_device *vdev;
	GMainContext *context;
	pthread_mutex_t lock;
	struct bus_device *mmio;

	/* Common configuration registers, §4.1.4.3 */
	uint32_t device_feature_select, driver_feature_select;
	uint64_t driver_features;
	uint8_t status;
	uint16_t queue_select;
	uint16_t config_vector;
	uint8_t isr;
	uint8_t config_generation;   /* §4.1.4.3: bumped when the device changes its config */
	bool intx_level;

	struct queue_irq qirq[VIRTIO_DEVICE_MAX_QUEUES];
	GSource *kick_sources[VIRTIO_DEVICE_MAX_QUEUES];
	bool ioeventfds_on;
	uint64_t ioeventfd_base;

	unsigned int n_vectors;
	struct msix_entry msix[MAX_VECTORS];
	uint64_t pba;
	int msix_gsi[MAX_VECTORS];
	uint8_t msix_cap, cfg_cap;
};

static uint64_t
offered_features(struct virtio_pci *vp)
{
	return vp->vdev->features | (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_INDIRECT_DESC) |
	       (1ull << VIRTIO_F_EVENT_IDX);
}

/* ---- interrupts ------------------------------------------------------ */

static bool
msix_enabled(struct virtio_pci *vp)
{
	return pci_get16(&vp->pci, vp->msix_cap + 2) & MSIX_CTRL_ENABLE;
}

static bool
vector_masked(struct virtio_pci *vp, unsigned int v)
{
	return (pci_get16(&vp->pci, vp->msix_cap + 2) & MSIX_CTRL_MASKALL) ||
	       (vp->msix[v].ctrl & MSIX_ENTRY_MASKED);
}

static void
set_intx(struct virtio_pci *vp, bool level)
{
	if (pci_get16(&vp->pci, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE)
		level = false;
	if (level != vp->intx_level) {
		vp->intx_level = level;
		vm_set_irq_line(vp->vm, vp->pci.irq, level);
	}
}

/* Deliver one interrupt for queue q the slow way.  Caller holds vp->lock. */
static void
deliver_slow(struct virtio_pci *vp, unsigned int q)
{
	uint16_t v = vp->qirq[q].vector;

	if (msix_enabled(vp)) {
		if (v >= vp->n_vectors)
			return;   /* §4.1.5.1.2: NO_VECTOR means no interrupt */
		if (vector_masked(vp, v))
			vp->pba |= 1ull << v;
		else
			vm_signal_msi(vp->vm, ((uint64_t) vp->msix[v].addr_hi << 32) | vp->msix[v].addr_lo,
			              vp->msix[v].data);
	} else {
		vp->isr |= 1;      /* §4.1.4.5: queue interrupt */
		set_intx(vp, true);
	}
}

/* A queue's eventfd (call or kick) watched from a GLib context. */
struct queue_watch {
	struct virtio_pci *vp;
	unsigned int queue;
};

/* Reads the eventfd's counter: true when it had been signalled. */
static bool
eventfd_fired(int fd)
{
	uint64_t n;

	return read(fd, &n, sizeof(n)) == sizeof(n);
}

/* A source on @context that calls @ready(fd, cond, struct queue_watch *)
 * whenever @fd is signalled. */
static GSource *
watch_queue_fd(struct virtio_pci *vp, unsigned int queue, int fd, GMainContext *context,
               gboolean (*ready)(gint fd, GIOCondition cond, gpointer data))
{
	struct queue_watch *w = g_new(struct queue_watch, 1);
	GSource *source = g_unix_fd_source_new(fd, G_IO_IN);

	w->vp = vp;
	w->queue = queue;
	g_source_set_callback(source, (GSourceFunc) (void (*)(void)) ready, w, g_free);
	g_source_attach(source, context);
	return source;
}

static gboolean
call_ready(gint fd, GIOCondition cond, gpointer data)
{
	struct queue_watch *w = data;

	if (eventfd_fired(fd)) {
		pthread_mutex_lock(&w->vp->lock);
		deliver_slow(w->vp, w->queue);
		pthread_mutex_unlock(&w->vp->lock);
	}
	return G_SOURCE_CONTINUE;
}

/* Decide, per queue, whether its call eventfd is an irqfd or watched by
 * the GLib context, and switch if needed.  Caller holds vp->lock. */
static void
update_interrupts(struct virtio_pci *vp)
{
	for (unsigned int q = 0; q < vp->vdev->num_queues; q++) {
		struct queue_irq *qi = &vp->qirq[q];
		int call_fd = vp->vdev->vqs[q].call_fd;
		int want_gsi = -1;

		if (msix_enabled(vp) && qi->vector < vp->n_vectors && !vector_masked(vp, qi->vector))
			want_gsi = vp->msix_gsi[qi->vector];
		if (want_gsi == qi->irqfd_gsi && (want_gsi >= 0 || qi->watch))
			continue;

		if (qi->irqfd_gsi >= 0) {
			vm_irqfd(vp->vm, call_fd, qi->irqfd_gsi, false);
			qi->irqfd_gsi = -1;
		}
		if (want_gsi >= 0 && vm_irqfd(vp->vm, call_fd, want_gsi, true)) {
			if (qi->watch) {
				g_source_destroy(qi->watch);
				g_source_unref(qi->watch);
				qi->watch = NULL;
			}
			qi->irqfd_gsi = want_gsi;
		} else if (!qi->watch) {
			qi->watch = watch_queue_fd(vp, q, call_fd, vp->context, call_ready);
		}
	}
}

/* An unmasked vector with its pending bit set fires now (PCI 3.0 §6.8.3.4). */
static void
flush_pending(struct virtio_pci *vp)
{
	for (unsigned int v = 0; v < vp->n_vectors; v++) {
		if ((vp->pba & (1ull << v)) && msix_enabled(vp) && !vector_masked(vp, v)) {
			vp->pba &= ~(1ull << v);
			vm_signal_msi(vp->vm, ((uint64_t) vp->msix[v].addr_hi << 32) | vp->msix[v].addr_lo,
			              vp->msix[v].data);
		}
	}
}

static void
update_route(struct virtio_pci *vp, unsigned int v)
{
	vm_set_msi_route(vp->vm, vp->msix_gsi[v],
	                 ((uint64_t) vp->msix[v].addr_hi << 32) | vp->msix[v].addr_lo,
	                 vp->msix[v].data, true);
}

/* ---- notifications ------------------------------------------------------ */

static gboolean
kick_ready(gint fd, GIOCondition cond, gpointer data)
{
	struct queue_watch *w = data;
	uint64_t count;

	if (read(fd, &count, sizeof(count)) == sizeof(count))
		virtio_device_notified(w->vp->vdev, w->queue, count);
	return G_SOURCE_CONTINUE;
}

static void
set_ioeventfds(struct virtio_pci *vp, bool on, uint64_t bar)
{
	if (vp->ioeventfds_on)
		for (unsigned int q = 0; q < vp->vdev->num_queues; q++)
			vm_ioeventfd(vp->vm, vp->ioeventfd_base + NOTIFY_OFF + q * NOTIFY_MULT, 2,
			             vp->vdev->vqs[q].kick_fd, false);
	vp->ioeventfds_on = false;
	if (!on)
		return;
	for (unsigned int q = 0; q < vp->vdev->num_queues; q++)
		vm_ioeventfd(vp->vm, bar + NOTIFY_OFF + q * NOTIFY_MULT, 2, vp->vdev->vqs[q].kick_fd, true);
	vp->ioeventfds_on = true;
	vp->ioeventfd_base = bar;
}

/* ---- common configuration ---------------------------------------------- */

static void
reset_transport(struct virtio_pci *vp)
{
	virtio_device_reset(vp->vdev);
	vp->status = 0;
	vp->isr = 0;
	vp->device_feature_select = vp->driver_feature_select = 0;
	vp->driver_features = 0;
	vp->queue_select = 0;
	vp->config_vector = VIRTIO_MSI_NO_VECTOR;
	for (unsigned int q = 0; q < vp->vdev->num_queues; q++) {
		vp->qirq[q].vector = VIRTIO_MSI_NO_VECTOR;
		vp->vdev->vqs[q].size = vp->vdev->ops->queue_max_size;  /* §4.1.4.3.2 */
	}
	set_intx(vp, false);
	update_interrupts(vp);
}

static struct virtq *
selected_queue(struct virtio_pci *vp)
{
	if (vp->queue_select >= vp->vdev->num_queues)
		return NULL;
	return &vp->vdev->vqs[vp->queue_select];
}

static uint64_t
common_read(struct virtio_pci *vp, uint64_t off, unsigned int size)
{
	struct virtq *vq = selected_queue(vp);
	uint64_t features = offered_features(vp);

	switch (off) {
	case 0x00: return vp->device_feature_select;
	case 0x04:
		return vp->device_feature_select < 2 ? (uint32_t) (features >> (32 * vp->device_feature_select)) : 0;
	case 0x08: return vp->driver_feature_select;
	case 0x0c:
		return vp->driver_feature_select < 2 ? (uint32_t) (vp->driver_features >> (32 * vp->driver_feature_select)) : 0;
	case 0x10: return vp->config_vector;
	case 0x12: return vp->vdev->num_queues;
	case 0x14: return vp->status | (__atomic_load_n(&vp->vdev->broken, __ATOMIC_ACQUIRE) ? STATUS_DEVICE_NEEDS_RESET : 0);
	case 0x15: return vp->config_generation;
	case 0x16: return vp->queue_select;
	case 0x18: return vq ? vq->size : 0;
	case 0x1a: return vq ? vp->qirq[vp->queue_select].vector : VIRTIO_MSI_NO_VECTOR;
	case 0x1c: return vq ? vq->enabled : 0;
	case 0x1e: return vp->queue_select;   /* queue_notify_off: queue n at n × multiplier */
	case 0x20: return vq ? (size == 8 ? vq->desc_gpa : (uint32_t) vq->desc_gpa) : 0;
	case 0x24: return vq ? vq->desc_gpa >> 32 : 0;
	case 0x28: return vq ? (size == 8 ? vq->avail_gpa : (uint32_t) vq->avail_gpa) : 0;
	case 0x2c: return vq ? vq->avail_gpa >> 32 : 0;
	case 0x30: return vq ? (size == 8 ? vq->used_gpa : (uint32_t) vq->used_gpa) : 0;
	case 0x34: return vq ? vq->used_gpa >> 32 : 0;
	default: return 0;
	}
}

static void
set_addr(uint64_t *reg, uint64_t off_in_reg, unsigned int size, uint64_t v)
{
	if (size == 8)
		*reg = v;
	else if (off_in_reg == 0)
		*reg = (*reg & 0xffffffff00000000ull) | (uint32_t) v;
	else
		*reg = (*reg & 0xffffffffull) | ((uint64_t) (uint32_t) v << 32);
}

static void
write_status(struct virtio_pci *vp, uint8_t v)
{
	if (v == 0) {
		reset_transport(vp);   /* §4.1.4.3.1: writing 0 resets the device */
		return;
	}
	if ((v & STATUS_FEATURES_OK) && !(vp->status & STATUS_FEATURES_OK)) {
		uint64_t drv = vp->driver_features;

		/* §3.1.1: accept only what we offered, and a modern driver. */
		if ((drv & ~offered_features(vp)) || !(drv & (1ull << VIRTIO_F_VERSION_1))) {
			v &= ~STATUS_FEATURES_OK;
		} else {
			pthread_mutex_lock(&vp->vdev->lock);
			vp->vdev->driver_features = drv;
			pthread_mutex_unlock(&vp->vdev->lock);
		}
	}
	vp->status = v;
	if ((v & STATUS_DRIVER_OK) && (v & STATUS_FEATURES_OK))
		virtio_device_start(vp->vdev);
}

static void
enable_queue(struct virtio_pci *vp, struct virtq *vq)
{
	pthread_mutex_lock(&vp->vdev->lock);
	vq->indirect = vp->vdev->driver_features & (1ull << VIRTIO_F_INDIRECT_DESC);
	vq->event_idx = vp->vdev->driver_features & (1ull << VIRTIO_F_EVENT_IDX);
	vq->last_avail = 0;
	vq->used_idx = 0;
	if (virtq_map(vq, vp->vdev->mem)) {
		vq->enabled = true;
	} else {
		char reason[128];
		g_snprintf(reason, sizeof(reason), "queue %u: %s", vp->queue_select, vq->broken_reason);
		virtio_device_set_broken(vp->vdev, reason);
	}
	pthread_mutex_unlock(&vp->vdev->lock);
}

static void
common_write(struct virtio_pci *vp, uint64_t off, unsigned int size, uint64_t v)
{
	struct virtq *vq = selected_queue(vp);
	bool queue_live = vq && vq->enabled;   /* §4.1.4.3.2: no changes once enabled */

	switch (off) {
	case 0x00: vp->device_feature_select = v; break;
	case 0x08: vp->driver_feature_select = v; break;
	case 0x0c:
		if (vp->driver_feature_select < 2 && !(vp->status & STATUS_FEATURES_OK)) {
			unsigned int shift = 32 * vp->driver_feature_select;
			vp->driver_features = (vp->driver_features & ~(0xffffffffull << shift)) |
			                      ((uint64_t) (uint32_t) v << shift);
		}
		break;
	case 0x10: vp->config_vector = v < vp->n_vectors ? v : VIRTIO_MSI_NO_VECTOR; break;
	case 0x14: write_status(vp, v); break;
	case 0x16: vp->queue_select = v; break;
	case 0x18:
		if (vq && !queue_live)
			vq->size = v;   /* checked when the queue is enabled */
		break;
	case 0x1a:
		if (vq) {
			/* §4.1.5.1.2: an invalid vector reads back as NO_VECTOR. */
			vp->qirq[vp->queue_select].vector = v < vp->n_vectors ? v : VIRTIO_MSI_NO_VECTOR;
			update_interrupts(vp);
		}
		break;
	case 0x1c:
		if (vq && v == 1 && !queue_live)
			enable_queue(vp, vq);
		break;
	case 0x20: case 0x24:
		if (vq && !queue_live) set_addr(&vq->desc_gpa, off - 0x20, size, v);
		break;
	case 0x28: case 0x2c:
		if (vq && !queue_live) set_addr(&vq->avail_gpa, off - 0x28, size, v);
		break;
	case 0x30: case 0x34:
		if (vq && !queue_live) set_addr(&vq->used_gpa, off - 0x30, size, v);
		break;
	default:
		break;   /* read-only or unknown */
	}
}

/* ---- the BAR ------------------------------------------------------------ */

static void
bar_access_locked(struct virtio_pci *vp, uint64_t off, void *data, unsigned int size, bool is_write)
{
	uint64_t v = 0;

	if (is_write)
		memcpy(&v, data, MIN(size, 8u));

	if (off < COMMON_OFF + COMMON_LEN) {
		if (is_write)
			common_write(vp, off - COMMON_OFF, size, v);
		else
			v = common_read(vp, off - COMMON_OFF, size);
	} else if (off == ISR_OFF) {
		if (!is_write) {
			v = vp->isr;           /* §4.1.4.5.1: reading clears it */
			vp->isr = 0;
			set_intx(vp, false);
		}
	} else if (off >= DEVICE_OFF && off < DEVICE_OFF + DEVICE_LEN) {
		if (is_write)
			virtio_device_write_config(vp->vdev, off - DEVICE_OFF, data, size);
		else
			virtio_device_read_config(vp->vdev, off - DEVICE_OFF, &v, MIN(size, 8u));
	} else if (off >= NOTIFY_OFF && off < NOTIFY_OFF + NOTIFY_MULT * (uint64_t) vp->vdev->num_queues) {
		/* Only if the write did not match the ioeventfd (other width). */
		if (is_write) {
			uint64_t one = 1;
			if (write(vp->vdev->vqs[(off - NOTIFY_OFF) / NOTIFY_MULT].kick_fd, &one, sizeof(one)) < 0)
				g_warning("virtio-pci: kick eventfd: %s", g_strerror(errno));
		}
	} else if (off >= MSIX_TABLE_OFF && off < MSIX_TABLE_OFF + 16 * vp->n_vectors && size == 4) {
		unsigned int v_idx = (off - MSIX_TABLE_OFF) / 16;
		uint32_t *field = &vp->msix[v_idx].addr_lo + ((off % 16) / 4);

		if (is_write) {
			*field = (uint32_t) v;
			update_route(vp, v_idx);
			update_interrupts(vp);
			flush_pending(vp);
		} else {
			v = *field;
		}
	} else if (off >= MSIX_PBA_OFF && off < MSIX_PBA_OFF + 8) {
		if (!is_write)
			v = vp->pba >> (8 * (off - MSIX_PBA_OFF));
	}

	if (!is_write)
		memcpy(data, &v, MIN(size, 8u));
}

static void
bar_access(void *opaque, uint64_t off, void *data, unsigned int size, bool is_write)
{
	struct virtio_pci *vp = opaque;

	pthread_mutex_lock(&vp->lock);
	bar_access_locked(vp, off, data, size, is_write);
	pthread_mutex_unlock(&vp->lock);
}

static void
bar_update(struct pci_device *dev, int bar, uint64_t addr, bool mapped)
{
	struct virtio_pci *vp = dev->opaque;

	/* Not under vp->lock: MMIO exits take the bus lock, then vp->lock. */
	bus_move(&vp->vm->mmio, vp->mmio, addr, mapped ? BAR_SIZE : 0);
	pthread_mutex_lock(&vp->lock);
	set_ioeventfds(vp, mapped, addr);
	pthread_mutex_unlock(&vp->lock);
}

/* Config space hooks: MSI-X enable/mask bits and the PCI configuration
 * access window (§4.1.4.9), which reaches BAR registers without MMIO. */
static void
pci_config_write(struct pci_device *dev, uint32_t off, uint32_t size, uint32_t value)
{
	struct virtio_pci *vp = dev->opaque;

	pthread_mutex_lock(&vp->lock);
	if (off < (uint32_t) vp->msix_cap + 4 && off + size > (uint32_t) vp->msix_cap + 2) {
		update_interrupts(vp);
		flush_pending(vp);
	}
	if (off == (uint32_t) vp->cfg_cap + 16) {
		struct virtio_pci_cfg_cap c;
		memcpy(&c, dev->config + vp->cfg_cap, sizeof(c));
		if (c.cap.bar == 0 && (c.cap.length == 1 || c.cap.length == 2 || c.cap.length == 4) &&
		    c.cap.offset < BAR_SIZE)
			bar_access_locked(vp, c.cap.offset, &value, c.cap.length, true);
	}
	if (off <= PCI_COMMAND + 1 && off + size > PCI_COMMAND)
		set_intx(vp, vp->isr != 0);
	pthread_mutex_unlock(&vp->lock);
}

static bool
pci_config_read(struct pci_device *dev, uint32_t off, uint32_t size, uint32_t *value)
{
	struct virtio_pci *vp = dev->opaque;
	struct virtio_pci_cfg_cap c;

	if (off != (uint32_t) vp->cfg_cap + 16)
		return false;
	memcpy(&c, dev->config + vp->cfg_cap, sizeof(c));
	*value = 0;
	if (c.cap.bar == 0 && (c.cap.length == 1 || c.cap.length == 2 || c.cap.length == 4) &&
	    c.cap.offset < BAR_SIZE) {
		pthread_mutex_lock(&vp->lock);
		bar_access_locked(vp, c.cap.offset, value, c.cap.length, false);
		pthread_mutex_unlock(&vp->lock);
	}
	return true;
}

static const struct pci_device_ops virtio_pci_ops = {
	.bar_update = bar_update,
	.config_write = pci_config_write,
	.config_read = pci_config_read,
};

/* ---- set-up ------------------------------------------------------------- */

/* The device changed its own config space (virtio-net's link status): a
 * configuration change notification, §4.1.4.5 (ISR bit 1) or the MSI-X
 * config vector (§4.1.5.1.2).  Called without the device's lock. */
static void
on_config_change(struct virtio_device *dev, void *data)
{
	struct virtio_pci *vp = data;
	uint16_t v;

	pthread_mutex_lock(&vp->lock);
	vp->config_generation++;
	if (vp->status & STATUS_DRIVER_OK) {
		v = vp->config_vector;
		if (msix_enabled(vp)) {
			if (v < vp->n_vectors && vector_masked(vp, v))
				vp->pba |= 1ull << v;
			else if (v < vp->n_vectors)
				vm_signal_msi(vp->vm, ((uint64_t) vp->msix[v].addr_hi << 32) | vp->msix[v].addr_lo,
				              vp->msix[v].data);
		} else {
			vp->isr |= 2;
			set_intx(vp, true);
		}
	}
	pthread_mutex_unlock(&vp->lock);
}

static void
on_device_error(struct virtio_device *dev, const char *reason, void *data)
{
	struct virtio_pci *vp = data;
	g_autofree char *detail = g_strdup_printf("%s (PCI 00:%02x.0): %s", dev->ops->name,
	                                          vp->pci.slot, reason);

	vm_emit(vp->vm, "DEVICE_ERROR", detail);
}

static void
add_virtio_cap(struct pci_device *pci, uint8_t type, uint32_t offset, uint32_t length)
{
	struct virtio_pci_cap cap = {
		.cap_vndr = 0x09, .cap_len = sizeof(cap), .cfg_type = type,
		.bar = 0, .offset = offset, .length = length,
	};
	pci_device_add_cap(pci, &cap, sizeof(cap));
}

static uint32_t
class_for(uint16_t device_id)
{
	switch (device_id) {
	case VIRTIO_ID_BLOCK: return 0x018000;     /* mass storage, other */
	case VIRTIO_ID_CONSOLE: return 0x078000;   /* communication, other */
	case VIRTIO_ID_NET: return 0x020000;       /* network, Ethernet */
	case VIRTIO_ID_INPUT: return 0x098000;     /* input device, other */
	default: return 0x00ff00;                  /* unclassified */
	}
}

struct virtio_pci *
virtio_pci_create(struct vm *vm, struct pci_bus *bus, struct virtio_device *vdev,
                  GMainContext *context, GError **error)
{
	struct virtio_pci *vp = g_new0(struct virtio_pci, 1);
	unsigned int nq = vdev->num_queues;

	vp->vm = vm;
	vp->vdev = vdev;
	vp->context = context;
	pthread_mutex_init(&vp->lock, NULL);
	vdev->mem = &vm->mem;
	vdev->on_error = on_device_error;
	vdev->on_error_data = vp;
	vdev->on_config_change = on_config_change;
	vdev->on_config_change_data = vp;
	vp->n_vectors = nq + 1;
	for (unsigned int v = 0; v < MAX_VECTORS; v++) {
		vp->msix[v].ctrl = MSIX_ENTRY_MASKED;
		vp->msix_gsi[v] = -1;
	}
	for (unsigned int q = 0; q < VIRTIO_DEVICE_MAX_QUEUES; q++)
		vp->qirq[q].irqfd_gsi = -1;

	/* §4.1.2: modern device ID = 0x1040 + virtio device ID, revision ≥ 1. */
	if (!pci_device_init(bus, &vp->pci, vdev->ops->name, 0x1af4, 0x1040 + vdev->ops->device_id,
	                     class_for(vdev->ops->device_id), &virtio_pci_ops, vp)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "PCI bus 0 is full");
		goto fail;
	}
	vp->pci.config[PCI_REVISION_ID] = 1;
	pci_set16(&vp->pci, PCI_SUBSYSTEM_VENDOR_ID, 0x1af4);
	pci_set16(&vp->pci, PCI_SUBSYSTEM_ID, 0x40);

	for (unsigned int q = 0; q < nq; q++) {
		struct virtq *vq = &vdev->vqs[q];

		vq->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		vq->call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (vq->kick_fd < 0 || vq->call_fd < 0) {
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			            "eventfd: %s", g_strerror(errno));
			goto fail;
		}
		vp->kick_sources[q] = watch_queue_fd(vp, q, vq->kick_fd, context, kick_ready);
	}
	for (unsigned int v = 0; v < vp->n_vectors; v++) {
		vp->msix_gsi[v] = vm_alloc_msi_gsi(vm);
		if (vp->msix_gsi[v] < 0) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "out of MSI routes");
			goto fail;
		}
	}

	pci_device_add_mem_bar(bus, &vp->pci, 0, BAR_SIZE);
	add_virtio_cap(&vp->pci, VIRTIO_PCI_CAP_COMMON_CFG, COMMON_OFF, COMMON_LEN);
	struct virtio_pci_notify_cap notify = {
		.cap = { .cap_vndr = 0x09, .cap_len = sizeof(notify), .cfg_type = VIRTIO_PCI_CAP_NOTIFY_CFG,
		         .bar = 0, .offset = NOTIFY_OFF, .length = NOTIFY_MULT * nq },
		.notify_off_multiplier = NOTIFY_MULT,
	};
	pci_device_add_cap(&vp->pci, &notify, sizeof(notify));
	add_virtio_cap(&vp->pci, VIRTIO_PCI_CAP_ISR_CFG, ISR_OFF, 1);
	if (vdev->config_size)
		add_virtio_cap(&vp->pci, VIRTIO_PCI_CAP_DEVICE_CFG, DEVICE_OFF, vdev->config_size);
	struct virtio_pci_cfg_cap cfg = {
		.cap = { .cap_vndr = 0x09, .cap_len = sizeof(cfg), .cfg_type = VIRTIO_PCI_CAP_PCI_CFG },
	};
	vp->cfg_cap = pci_device_add_cap(&vp->pci, &cfg, sizeof(cfg));
	/* bar (1 byte), offset and length (4 each) are the driver's to set. */
	vp->pci.wmask[vp->cfg_cap + 4] = 0xff;
	memset(vp->pci.wmask + vp->cfg_cap + 8, 0xff, 8);
	struct msix_cap msix = {
		.id = 0x11, .control = vp->n_vectors - 1,
		.table = MSIX_TABLE_OFF | 0, .pba = MSIX_PBA_OFF | 0,
	};
	vp->msix_cap = pci_device_add_cap(&vp->pci, &msix, sizeof(msix));
	vp->pci.wmask[vp->msix_cap + 3] = (MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL) >> 8;

	vp->mmio = bus_register(&vm->mmio, vdev->ops->name, 0, 0, bar_access, vp);
	if (vp->mmio == NULL) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "too many MMIO devices");
		goto fail;
	}
	pthread_mutex_lock(&vp->lock);
	reset_transport(vp);
	pthread_mutex_unlock(&vp->lock);
	pci_device_enable(&vp->pci);
	return vp;

fail:
	virtio_pci_destroy(vp);
	return NULL;
}

void
virtio_pci_reset(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->lock);
	pci_set16(&vp->pci, vp->msix_cap + 2, vp->n_vectors - 1);
	for (unsigned int v = 0; v < vp->n_vectors; v++)
		vp->msix[v] = (struct msix_entry) { .ctrl = MSIX_ENTRY_MASKED };
	vp->pba = 0;
	reset_transport(vp);
	pthread_mutex_unlock(&vp->lock);
}

void
virtio_pci_destroy(struct virtio_pci *vp)
{
	if (vp == NULL)
		return;
	set_ioeventfds(vp, false, 0);
	for (unsigned int q = 0; q < VIRTIO_DEVICE_MAX_QUEUES; q++) {
		struct queue_irq *qi = &vp->qirq[q];

		if (qi->irqfd_gsi >= 0)
			vm_irqfd(vp->vm, vp->vdev->vqs[q].call_fd, qi->irqfd_gsi, false);
		if (qi->watch) {
			g_source_destroy(qi->watch);
			g_source_unref(qi->watch);
		}
		if (vp->kick_sources[q]) {
			g_source_destroy(vp->kick_sources[q]);
			g_source_unref(vp->kick_sources[q]);
		}
		if (vp->vdev->vqs[q].kick_fd >= 0)
			close(vp->vdev->vqs[q].kick_fd);
		if (vp->vdev->vqs[q].call_fd >= 0)
			close(vp->vdev->vqs[q].call_fd);
	}
	virtio_device_destroy(vp->vdev);
	pthread_mutex_destroy(&vp->lock);
	g_free(vp);
}

/* ---- save-state ----------------------------------------------------------- */

/* The transport's section, version 1 (savestate.c frames it with the PCI
 * slot and the version).  When the driver had started on the device
 * (status ≠ 0) the device's own part (virtio/device.c) follows. */
struct transport_saved {
	uint8_t config[256];         /* PCI configuration space: BARs, command, MSI-X control */
	uint64_t driver_features, pba;
	uint32_t device_feature_select, driver_feature_select;
	uint32_t n_vectors, has_device;
	uint16_t queue_select, config_vector;
	uint8_t status, isr, config_generation, pad;
	uint16_t vectors[VIRTIO_DEVICE_MAX_QUEUES];
	struct msix_entry msix[MAX_VECTORS];
};

static bool
can_save(struct virtio_pci *vp, bool locked, GError **error)
{
	char why[256];
	bool ok;

	/* A device no driver has touched is at its reset state: only the
	 * PCI side (BARs the firmware or kernel placed) needs keeping. */
	if (virtio_pci_get_status(vp) == 0)
		return true;
	ok = locked ? virtio_device_can_save_locked(vp->vdev, why, sizeof(why))
	            : virtio_device_can_save(vp->vdev, why, sizeof(why));
	if (ok)
		return true;
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSYS, "the guest drives %s (PCI 00:%02x.0): %s",
	            vp->vdev->ops->name, vp->pci.slot, why);
	return false;
}

bool
virtio_pci_can_save(struct virtio_pci *vp, GError **error)
{
	return can_save(vp, false, error);
}

/* vp->lock before dev->lock, the order config reads take them in. */
void
virtio_pci_freeze(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->lock);
	pthread_mutex_lock(&vp->vdev->lock);
}

void
virtio_pci_thaw(struct virtio_pci *vp)
{
	pthread_mutex_unlock(&vp->vdev->lock);
	pthread_mutex_unlock(&vp->lock);
}

bool
virtio_pci_save(struct virtio_pci *vp, GByteArray *out, GError **error)
{
	struct transport_saved t;
	size_t at = out->len;

	/* Again, frozen: the device may have broken since the caller asked. */
	if (!can_save(vp, true, error))
		return false;
	memset(&t, 0, sizeof(t));
	memcpy(t.config, vp->pci.config, sizeof(t.config));
	t.driver_features = vp->driver_features;
	t.pba = vp->pba;
	t.device_feature_select = vp->device_feature_select;
	t.driver_feature_select = vp->driver_feature_select;
	t.n_vectors = vp->n_vectors;
	t.has_device = vp->status != 0;
	t.queue_select = vp->queue_select;
	t.config_vector = vp->config_vector;
	t.status = vp->status;
	t.isr = vp->isr;
	t.config_generation = vp->config_generation;
	for (unsigned int q = 0; q < VIRTIO_DEVICE_MAX_QUEUES; q++)
		t.vectors[q] = vp->qirq[q].vector;
	memcpy(t.msix, vp->msix, sizeof(t.msix));
	g_byte_array_append(out, (const guint8 *) &t, sizeof(t));
	if (t.has_device) {
		g_byte_array_set_size(out, out->len + virtio_device_save_size(vp->vdev));
		virtio_device_save(vp->vdev, out->data + at + sizeof(t));
	}
	return true;
}

bool
virtio_pci_load(struct virtio_pci *vp, const void *buf, size_t len, GError **error)
{
	struct transport_saved t;
	char why[256];
	bool ok = true;

	if (len < sizeof(t)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: the saved state is cut short",
		            vp->vdev->ops->name);
		return false;
	}
	memcpy(&t, buf, sizeof(t));
	if (t.n_vectors != vp->n_vectors || memcmp(t.config, vp->pci.config, 4) != 0 ||
	    (!t.has_device && len != sizeof(t))) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            "PCI 00:%02x.0 was another device when the state was saved (now %s)",
		            vp->pci.slot, vp->vdev->ops->name);
		return false;
	}
	/* BARs first, without vp->lock (bar_update takes it): the MMIO
	 * region and the notify ioeventfds move to where the guest had them. */
	pci_device_restore_config(&vp->pci, t.config);

	pthread_mutex_lock(&vp->lock);
	vp->driver_features = t.driver_features;
	vp->pba = t.pba;
	vp->device_feature_select = t.device_feature_select;
	vp->driver_feature_select = t.driver_feature_select;
	vp->queue_select = t.queue_select;
	vp->config_vector = t.config_vector < vp->n_vectors ? t.config_vector : VIRTIO_MSI_NO_VECTOR;
	vp->status = t.status;
	vp->isr = t.isr;
	vp->config_generation = t.config_generation;
	for (unsigned int q = 0; q < VIRTIO_DEVICE_MAX_QUEUES; q++)
		vp->qirq[q].vector = t.vectors[q] < vp->n_vectors ? t.vectors[q] : VIRTIO_MSI_NO_VECTOR;
	memcpy(vp->msix, t.msix, sizeof(vp->msix));
	if (t.has_device && !virtio_device_load(vp->vdev, (const uint8_t *) buf + sizeof(t), len - sizeof(t),
	                                         why, sizeof(why))) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "PCI 00:%02x.0: %s", vp->pci.slot, why);
		ok = false;
	}
	/* The routes are ours to make again: each vector's MSI message into
	 * its GSI, then per queue an irqfd or the fallback watch, and the
	 * INTx line as the ISR says (the IOAPIC itself came back with
	 * KVM_SET_IRQCHIP). */
	for (unsigned int v = 0; v < vp->n_vectors; v++)
		update_route(vp, v);
	vp->intx_level = false;
	set_intx(vp, vp->isr != 0);
	update_interrupts(vp);
	pthread_mutex_unlock(&vp->lock);
	if (!ok)
		return false;

	/* A kick still in its eventfd, or an interrupt on its way through
	 * the I/O thread, when the state was taken is not in the file: look
	 * at every live queue once more, and interrupt the driver once (a
	 * spurious interrupt is harmless, §2.7.14; a lost one hangs it). */
	if (t.has_device && vp->vdev->started) {
		for (unsigned int q = 0; q < vp->vdev->num_queues; q++) {
			uint64_t one = 1;

			if (!vp->vdev->vqs[q].enabled)
				continue;
			if (write(vp->vdev->vqs[q].kick_fd, &one, sizeof(one)) < 0 ||
			    write(vp->vdev->vqs[q].call_fd, &one, sizeof(one)) < 0)
				g_warning("virtio-pci: eventfd: %s", g_strerror(errno));
		}
		/* What the driver read from config space changed while the
		 * machine was saved (virtio-net's link: the tap is gone now):
		 * a configuration change, as if it had happened live (§2.5.1). */
		if (virtio_device_config_differs(vp->vdev, (const uint8_t *) buf + sizeof(t), len - sizeof(t)))
			on_config_change(vp->vdev, vp);
	}
	return true;
}

struct virtio_device *
virtio_pci_get_device(struct virtio_pci *vp)
{
	return vp->vdev;
}

struct pci_device *
virtio_pci_get_pci(struct virtio_pci *vp)
{
	return &vp->pci;
}

uint8_t
virtio_pci_get_status(struct virtio_pci *vp)
{
	return __atomic_load_n(&vp->status, __ATOMIC_ACQUIRE);
}

uint64_t
virtio_pci_get_mmio_exits(struct virtio_pci *vp)
{
	return vp->mmio ? __atomic_load_n(&vp->mmio->exits, __ATOMIC_RELAXED) : 0;
}

const char *
virtio_pci_get_irq_mode(struct virtio_pci *vp)
{
	if (msix_enabled(vp))
		return "msix";
	if (pci_get16(&vp->pci, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE)
		return "none";
	return "intx";
}
