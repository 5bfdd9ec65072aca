/* rng.c — virtio-rng (virtio 1.2 §5.4): one queue, the driver posts
 * device-writable buffers and we fill them from the host's getrandom(). */
#include "device.h"

#include <glib.h>
#include <sys/random.h>

struct virtio_rng {
	struct virtio_device dev;   /* first: a virtio_device * is a virtio_rng * */
};

static void
rng_queue_kick(struct virtio_device *dev, unsigned int index)
{
	struct virtq *vq = &dev->vqs[index];
	struct virtq_chain *chain;
	bool pushed = false;

	while ((chain = virtq_pop(vq, dev->mem)) != NULL) {
		uint32_t written = 0;

		/* §5.4.6.1: the device MUST place one or more random bytes. */
		for (unsigned int i = chain->n_out; i < chain->n_out + chain->n_in; i++) {
			ssize_t n = getrandom(chain->iov[i].iov_base, chain->iov[i].iov_len, GRND_NONBLOCK);
			if (n <= 0)
				break;
			written += n;
			if ((size_t) n < chain->iov[i].iov_len)
				break;
		}
		virtq_push(vq, chain, written);
		pushed = true;
	}
	if (pushed)
		virtq_notify(vq);
}

static void
rng_destroy(struct virtio_device *dev)
{
	g_free(dev);
}

static const struct virtio_device_ops rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.num_queues = 1,
	.queue_max_size = 256,
	.queue_kick = rng_queue_kick,
	.destroy = rng_destroy,
	.savable = true,   /* no state of its own */
};

struct virtio_device *
virtio_rng_new(void)
{
	struct virtio_rng *rng = g_new0(struct virtio_rng, 1);

	virtio_device_init(&rng->dev, &rng_ops);
	rng->dev.priv = rng;
	return &rng->dev;
}
