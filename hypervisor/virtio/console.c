/* console.c — virtio-console with a single port (virtio 1.2 §5.3), no
 * MULTIPORT: queue 0 carries input to the guest, queue 1 output from it. */
#include "device.h"

#include <errno.h>
#include <glib.h>
#include <unistd.h>

struct virtio_console_config {
	uint16_t cols;
	uint16_t rows;
	uint32_t max_nr_ports;
	uint32_t emerg_wr;
} __attribute__((packed));

struct virtio_console {
	struct virtio_device dev;
	struct virtio_console_config config;
	int out_fd;
};

#define CONSOLE_RX 0
#define CONSOLE_TX 1

static void
write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;   /* the reader went away: drop output, like a UART */
		p += n;
		len -= n;
	}
}

static void
console_queue_kick(struct virtio_device *dev, unsigned int index)
{
	struct virtio_console *con = dev->priv;
	struct virtq *vq = &dev->vqs[index];
	struct virtq_chain *chain;
	bool pushed = false;

	/* Guest input is not wired up yet: receive buffers stay queued. */
	if (index != CONSOLE_TX)
		return;

	while ((chain = virtq_pop(vq, dev->mem)) != NULL) {
		for (unsigned int i = 0; i < chain->n_out; i++)
			if (con->out_fd >= 0)
				write_all(con->out_fd, chain->iov[i].iov_base, chain->iov[i].iov_len);
		virtq_push(vq, chain, 0);
		pushed = true;
	}
	if (pushed)
		virtq_notify(vq);
}

static void
console_destroy(struct virtio_device *dev)
{
	g_free(dev->priv);
}

static const struct virtio_device_ops console_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.num_queues = 2,
	.queue_max_size = 256,
	.queue_kick = console_queue_kick,
	.destroy = console_destroy,
};

struct virtio_device *
virtio_console_new(int out_fd)
{
	struct virtio_console *con = g_new0(struct virtio_console, 1);

	virtio_device_init(&con->dev, &console_ops);
	con->dev.priv = con;
	con->out_fd = out_fd;
	con->config.cols = 80;
	con->config.rows = 25;
	con->dev.config = &con->config;
	con->dev.config_size = sizeof(con->config);
	return &con->dev;
}
