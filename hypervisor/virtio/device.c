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
	struct virtq *vq;

	if (index >= dev->num_queues)
		return;
	vq = &dev->vqs[index];

	pthread_mutex_lock(&dev->lock);
	__atomic_fetch_add(&vq->stats.kicks, 1, __ATOMIC_RELAXED);
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
