/* console.c — virtio-console with a single port (virtio 1.2 §5.3), no
 * MULTIPORT: queue 0 carries input to the guest, queue 1 output from it.
 * Input is pushed in by the front door (virtio_console_input) and waits in
 * a small buffer until the driver posts receive buffers. */
#include "device.h"

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <unistd.h>

struct virtio_console_config {
	uint16_t cols;
	uint16_t rows;
	uint32_t max_nr_ports;
	uint32_t emerg_wr;
} __attribute__((packed));

#define PENDING_MAX 4096

struct virtio_console {
	struct virtio_device dev;
	struct virtio_console_config config;
	int out_fd;
	/* Input that arrived before the driver posted receive buffers. */
	uint8_t pending[PENDING_MAX];
	size_t pending_len;
	/* Data bytes moved through each queue (query-stats "bytes"): what
	 * the device wrote into receive buffers, what it read from transmit
	 * buffers.  Written under dev->lock, read without it. */
	uint64_t bytes[2];
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

/* Move pending input into receive buffers the driver has posted. */
static void
console_fill_rx(struct virtio_console *con)
{
	struct virtio_device *dev = &con->dev;
	struct virtq *vq = &dev->vqs[CONSOLE_RX];
	struct virtq_chain *chain;
	bool pushed = false;

	if (!dev->started || dev->broken || !vq->enabled)
		return;
	while (con->pending_len > 0 && (chain = virtq_pop(vq, dev->mem)) != NULL) {
		size_t n = iov_from_buf(chain->iov + chain->n_out, chain->n_in, 0, con->pending, con->pending_len);

		memmove(con->pending, con->pending + n, con->pending_len - n);
		con->pending_len -= n;
		__atomic_fetch_add(&con->bytes[CONSOLE_RX], n, __ATOMIC_RELAXED);
		virtq_push(vq, chain, n);
		pushed = true;
	}
	if (pushed)
		virtq_notify(vq);
}

static void
console_queue_kick(struct virtio_device *dev, unsigned int index)
{
	struct virtio_console *con = dev->priv;
	struct virtq *vq = &dev->vqs[index];
	struct virtq_chain *chain;
	bool pushed = false;

	/* New receive buffers: hand over what is waiting. */
	if (index == CONSOLE_RX) {
		console_fill_rx(con);
		return;
	}

	while ((chain = virtq_pop(vq, dev->mem)) != NULL) {
		for (unsigned int i = 0; i < chain->n_out; i++)
			if (con->out_fd >= 0)
				write_all(con->out_fd, chain->iov[i].iov_base, chain->iov[i].iov_len);
		/* Counted whether or not anyone reads the output: the guest
		 * handed over these bytes either way. */
		__atomic_fetch_add(&con->bytes[CONSOLE_TX], chain->out_len, __ATOMIC_RELAXED);
		virtq_push(vq, chain, 0);
		pushed = true;
	}
	if (pushed)
		virtq_notify(vq);
}

void
virtio_console_input(struct virtio_device *dev, const uint8_t *buf, size_t len)
{
	struct virtio_console *con = dev->priv;

	pthread_mutex_lock(&dev->lock);
	/* Like a full UART FIFO, input beyond the buffer is dropped. */
	len = MIN(len, PENDING_MAX - con->pending_len);
	memcpy(con->pending + con->pending_len, buf, len);
	con->pending_len += len;
	console_fill_rx(con);
	pthread_mutex_unlock(&dev->lock);
}

static void
console_reset(struct virtio_device *dev)
{
	struct virtio_console *con = dev->priv;

	con->pending_len = 0;
}

static void
console_get_stats(struct virtio_device *dev, int queue, const struct virtio_stats_sink *sink)
{
	struct virtio_console *con = dev->priv;

	if (queue == CONSOLE_RX || queue == CONSOLE_TX)
		sink->add_int(sink->data, "bytes",
		              (int64_t) __atomic_load_n(&con->bytes[queue], __ATOMIC_RELAXED));
}

static void
console_destroy(struct virtio_device *dev)
{
	g_free(dev->priv);
}

/* save-state: input still waiting for receive buffers. */
struct console_saved {
	uint32_t pending_len;
	uint8_t pending[PENDING_MAX];
};

static void
console_save(struct virtio_device *dev, void *state)
{
	struct virtio_console *con = dev->priv;
	struct console_saved *s = state;

	s->pending_len = con->pending_len;
	memcpy(s->pending, con->pending, con->pending_len);
}

static void
console_load(struct virtio_device *dev, const void *state)
{
	struct virtio_console *con = dev->priv;
	const struct console_saved *s = state;

	con->pending_len = MIN(s->pending_len, PENDING_MAX);
	memcpy(con->pending, s->pending, con->pending_len);
}

static const struct virtio_device_ops console_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.num_queues = 2,
	.queue_max_size = 256,
	.queue_kick = console_queue_kick,
	.reset = console_reset,
	.get_stats = console_get_stats,
	.destroy = console_destroy,
	.savable = true,
	.state_size = sizeof(struct console_saved),
	.save = console_save,
	.load = console_load,
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
