/* device.c — the transport-independent parts of every virtio device. */
#include "device.h"

#include <glib.h>
#include <string.h>

void
virtio_device_init(struct virtio_device *dev, const struct virtio_device_ops *ops)
{
	memset(dev, 0, sizeof(*dev));
	dev->ops = ops;
	dev->num_queues = ops->num_queues;
	pthread_mutex_init(&dev->lock, NULL);
	for (unsigned int i = 0; i < VIRTIO_DEVICE_MAX_QUEUES; i++) {
		dev->vqs[i].kick_fd = -1;
		dev->vqs[i].call_fd = -1;
	}
}

/* Caller holds dev->lock. */
void
virtio_device_set_broken(struct virtio_device *dev, const char *reason)
{
	if (dev->broken)
		return;
	g_strlcpy(dev->broken_reason, reason, sizeof(dev->broken_reason));
	/* Read without the lock by the transport's status register. */
	__atomic_store_n(&dev->broken, true, __ATOMIC_RELEASE);
	if (dev->on_error)
		dev->on_error(dev, dev->broken_reason, dev->on_error_data);
}

/* A queue that broke while the device worked on it breaks the device. */
static void
propagate_queue_error(struct virtio_device *dev, unsigned int index)
{
	struct virtq *vq = &dev->vqs[index];

	if (vq->broken && !dev->broken) {
		char reason[128];

		g_snprintf(reason, sizeof(reason), "queue %u: %s", index, vq->broken_reason);
		virtio_device_set_broken(dev, reason);
	}
}

void
virtio_device_kick(struct virtio_device *dev, unsigned int index)
{
	virtio_device_notified(dev, index, 1);
}

void
virtio_device_notified(struct virtio_device *dev, unsigned int index, uint64_t count)
{
	struct virtq *vq;

	if (index >= dev->num_queues)
		return;
	vq = &dev->vqs[index];

	pthread_mutex_lock(&dev->lock);
	__atomic_fetch_add(&vq->stats.kicks, count, __ATOMIC_RELAXED);
	if (dev->started && !dev->broken && vq->enabled && !vq->broken)
		dev->ops->queue_kick(dev, index);
	propagate_queue_error(dev, index);
	pthread_mutex_unlock(&dev->lock);
}

void
virtio_device_start(struct virtio_device *dev)
{
	pthread_mutex_lock(&dev->lock);
	if (!dev->started && !dev->broken) {
		dev->started = true;
		if (dev->ops->start)
			dev->ops->start(dev);
		/* Buffers made available before DRIVER_OK were not processed
		 * (their kicks were ignored): look at them now. */
		for (unsigned int i = 0; i < dev->num_queues && !dev->broken; i++) {
			if (dev->vqs[i].enabled && virtq_has_work(&dev->vqs[i]))
				dev->ops->queue_kick(dev, i);
			propagate_queue_error(dev, i);
		}
	}
	pthread_mutex_unlock(&dev->lock);
}

void
virtio_device_reset(struct virtio_device *dev)
{
	pthread_mutex_lock(&dev->lock);
	if (dev->ops->reset)
		dev->ops->reset(dev);
	for (unsigned int i = 0; i < VIRTIO_DEVICE_MAX_QUEUES; i++)
		virtq_reset(&dev->vqs[i]);
	dev->driver_features = 0;
	dev->started = false;
	__atomic_store_n(&dev->broken, false, __ATOMIC_RELEASE);
	dev->broken_reason[0] = '\0';
	pthread_mutex_unlock(&dev->lock);
}

void
virtio_device_read_config(struct virtio_device *dev, uint32_t offset, void *data, uint32_t len)
{
	pthread_mutex_lock(&dev->lock);
	memset(data, 0, len);
	if (offset < dev->config_size)
		memcpy(data, (uint8_t *) dev->config + offset, MIN(len, dev->config_size - offset));
	pthread_mutex_unlock(&dev->lock);
}

void
virtio_device_write_config(struct virtio_device *dev, uint32_t offset, const void *data, uint32_t len)
{
	pthread_mutex_lock(&dev->lock);
	if (dev->ops->write_config && offset < dev->config_size && len <= dev->config_size - offset)
		dev->ops->write_config(dev, offset, data, len);
	pthread_mutex_unlock(&dev->lock);
}

void
virtio_device_config_changed(struct virtio_device *dev)
{
	if (dev->on_config_change)
		dev->on_config_change(dev, dev->on_config_change_data);
}

/* ---- save-state ------------------------------------------------------ */

/* Version 1.  Followed by config_size bytes of config space and
 * ops->state_size bytes of the device's own state. */
struct device_saved {
	uint64_t driver_features;
	uint32_t started, n_queues;
	uint32_t config_size, state_size;
	struct virtq_saved vqs[VIRTIO_DEVICE_MAX_QUEUES];
};

bool
virtio_device_can_save(struct virtio_device *dev, char *why, size_t why_len)
{
	bool ok;

	pthread_mutex_lock(&dev->lock);
	ok = virtio_device_can_save_locked(dev, why, why_len);
	pthread_mutex_unlock(&dev->lock);
	return ok;
}

bool
virtio_device_can_save_locked(struct virtio_device *dev, char *why, size_t why_len)
{
	bool ok = true;

	if (!dev->ops->savable) {
		g_snprintf(why, why_len, "saving the state of %s is not supported yet", dev->ops->name);
		ok = false;
	} else if (dev->broken) {
		g_snprintf(why, why_len, "%s needs a reset by its driver (%s)", dev->ops->name, dev->broken_reason);
		ok = false;
	} else if (dev->ops->can_save) {
		ok = dev->ops->can_save(dev, why, why_len);
	}
	return ok;
}

size_t
virtio_device_save_size(const struct virtio_device *dev)
{
	return sizeof(struct device_saved) + dev->config_size + dev->ops->state_size;
}

void
virtio_device_save(struct virtio_device *dev, void *buf)
{
	struct device_saved s;
	uint8_t *p = buf;

	/* The caller holds the lock, and has since before guest RAM was
	 * saved: a queue_kick running in the I/O thread finished its
	 * requests (pushing them to the used ring) first, and no frame or
	 * byte of input went into the rings since. */
	memset(&s, 0, sizeof(s));
	s.driver_features = dev->driver_features;
	s.started = dev->started;
	s.n_queues = dev->num_queues;
	s.config_size = dev->config_size;
	s.state_size = dev->ops->state_size;
	for (unsigned int i = 0; i < VIRTIO_DEVICE_MAX_QUEUES; i++) {
		virtq_save(&dev->vqs[i], &s.vqs[i]);
		/* Chains in the device's hands are handed back in the file
		 * (the live queue is left as it is: a checkpoint goes on). */
		if (dev->ops->unconsumed && i < dev->num_queues)
			s.vqs[i].last_avail -= dev->ops->unconsumed(dev, i);
	}
	memcpy(p, &s, sizeof(s));
	p += sizeof(s);
	if (dev->config_size)
		memcpy(p, dev->config, dev->config_size);
	p += dev->config_size;
	memset(p, 0, dev->ops->state_size);
	if (dev->ops->save && dev->ops->state_size == 0) {
		dev->ops->save(dev, p);   /* nothing to write: virtio-blk flushes */
	} else if (dev->ops->save) {
		/* The device's own state follows the config space at any byte
		 * offset (virtio-net's config is 10 bytes): the device fills an
		 * aligned copy, which is then placed in the file. */
		void *state = g_malloc0(dev->ops->state_size);

		dev->ops->save(dev, state);
		memcpy(p, state, dev->ops->state_size);
		g_free(state);
	}
}

bool
virtio_device_load(struct virtio_device *dev, const void *buf, size_t len, char *why, size_t why_len)
{
	const uint8_t *p = buf;
	struct device_saved s;
	bool ok = false;

	if (len != virtio_device_save_size(dev)) {
		g_snprintf(why, why_len, "%s: the saved state has another size", dev->ops->name);
		return false;
	}
	memcpy(&s, p, sizeof(s));
	p += sizeof(s);
	if (s.n_queues != dev->num_queues || s.config_size != dev->config_size ||
	    s.state_size != dev->ops->state_size) {
		g_snprintf(why, why_len, "%s: the saved state is for another kind of device", dev->ops->name);
		return false;
	}
	pthread_mutex_lock(&dev->lock);
	/* Config space follows from the device's options (a disk's size):
	 * a guest that saw other values would be misled. */
	if (dev->config_size && dev->ops->load_config) {
		if (!dev->ops->load_config(dev, p, why, why_len))
			goto out;
	} else if (dev->config_size && memcmp(p, dev->config, dev->config_size) != 0) {
		g_snprintf(why, why_len, "%s: its configuration differs from the saved one (another disk size?)",
		           dev->ops->name);
		goto out;
	}
	p += dev->config_size;
	dev->driver_features = s.driver_features;
	for (unsigned int i = 0; i < VIRTIO_DEVICE_MAX_QUEUES; i++) {
		if (!virtq_load(&dev->vqs[i], &s.vqs[i], dev->mem)) {
			g_snprintf(why, why_len, "%s: queue %u: %s", dev->ops->name, i, dev->vqs[i].broken_reason);
			goto out;
		}
	}
	if (dev->ops->load && dev->ops->state_size == 0) {
		dev->ops->load(dev, p);
	} else if (dev->ops->load) {
		/* An aligned copy, as in virtio_device_save(). */
		void *state = g_memdup2(p, dev->ops->state_size);

		dev->ops->load(dev, state);
		g_free(state);
	}
	/* Not through ops->start: a device that starts something on
	 * DRIVER_OK does it again from its loaded state in load(). */
	dev->started = s.started;
	ok = true;
out:
	pthread_mutex_unlock(&dev->lock);
	return ok;
}

bool
virtio_device_config_differs(struct virtio_device *dev, const void *buf, size_t len)
{
	bool differs;

	if (len != virtio_device_save_size(dev) || dev->config_size == 0)
		return false;
	pthread_mutex_lock(&dev->lock);
	differs = memcmp((const uint8_t *) buf + sizeof(struct device_saved), dev->config, dev->config_size) != 0;
	pthread_mutex_unlock(&dev->lock);
	return differs;
}

void
virtio_device_destroy(struct virtio_device *dev)
{
	if (dev == NULL)
		return;
	/* ops->destroy frees the structure dev lives in: lock first. */
	pthread_mutex_destroy(&dev->lock);
	if (dev->ops->destroy)
		dev->ops->destroy(dev);
}
