/* input.c — virtio-input as an absolute pointer: a tablet (virtio 1.2
 * §5.8).  The host cursor's position goes to the guest as ABS_X/ABS_Y in
 * 0..32767 plus button keys and REL_WHEEL, so the guest's pointer sits exactly under the
 * host's without grabbing — what QEMU's virtio-tablet does, and what
 * Linux's virtio_input + evdev (hid-generic not needed) turn into an input
 * device.
 *
 * Queue 0 (eventq): the driver posts 8-byte device-writable buffers, each
 * gets one struct virtio_input_event; events from the host wait in a small
 * ring until buffers are there.  Queue 1 (statusq): LED and similar events
 * from the driver, which a tablet ignores.
 *
 * Configuration space (§5.8.4): the driver writes select and subsel, then
 * reads size and the union; we fill them on each write.
 */
#include "device.h"

#include <glib.h>
#include <string.h>

/* Linux input event codes (include/uapi/linux/input-event-codes.h). */
#define EV_SYN     0x00
#define EV_KEY     0x01
#define EV_REL     0x02
#define EV_ABS     0x03
#define REL_WHEEL  0x08
#define SYN_REPORT 0
#define ABS_X      0x00
#define ABS_Y      0x01
#define BTN_LEFT   0x110
#define BTN_RIGHT  0x111
#define BTN_MIDDLE 0x112
#define BUS_VIRTUAL 0x06

#define VIRTIO_INPUT_CFG_UNSET     0x00
#define VIRTIO_INPUT_CFG_ID_NAME   0x01
#define VIRTIO_INPUT_CFG_ID_SERIAL 0x02
#define VIRTIO_INPUT_CFG_ID_DEVIDS 0x03
#define VIRTIO_INPUT_CFG_PROP_BITS 0x10
#define VIRTIO_INPUT_CFG_EV_BITS   0x11
#define VIRTIO_INPUT_CFG_ABS_INFO  0x12

#define INPUT_EVENTQ  0
#define INPUT_STATUSQ 1
#define PENDING_MAX   256

struct virtio_input_config {
	uint8_t select;
	uint8_t subsel;
	uint8_t size;
	uint8_t reserved[5];
	union {
		char string[128];
		uint8_t bitmap[128];
		struct { uint32_t min, max, fuzz, flat, res; } abs;
		struct { uint16_t bustype, vendor, product, version; } ids;
	} u;
} __attribute__((packed));

struct virtio_input_event {
	uint16_t type;
	uint16_t code;
	uint32_t value;
} __attribute__((packed));

struct virtio_input {
	struct virtio_device dev;
	struct virtio_input_config config;
	struct virtio_input_event pending[PENDING_MAX];
	unsigned int head, len;
	unsigned int buttons;
};

static void
set_bit(uint8_t *bitmap, unsigned int bit)
{
	bitmap[bit / 8] |= 1u << (bit % 8);
}

/* Fill size and the union for what select/subsel now ask. */
static void
input_update_config(struct virtio_input *in)
{
	struct virtio_input_config *c = &in->config;
	static const char name[] = "Glassbox Tablet";

	memset(&c->u, 0, sizeof(c->u));
	c->size = 0;
	switch (c->select) {
	case VIRTIO_INPUT_CFG_ID_NAME:
		memcpy(c->u.string, name, sizeof(name) - 1);
		c->size = sizeof(name) - 1;
		break;
	case VIRTIO_INPUT_CFG_ID_DEVIDS:
		c->u.ids.bustype = GUINT16_TO_LE(BUS_VIRTUAL);
		c->u.ids.vendor = GUINT16_TO_LE(0x1af4);
		c->u.ids.product = GUINT16_TO_LE(0x0001);
		c->u.ids.version = GUINT16_TO_LE(1);
		c->size = sizeof(c->u.ids);
		break;
	case VIRTIO_INPUT_CFG_EV_BITS:
		if (c->subsel == EV_KEY) {
			set_bit(c->u.bitmap, BTN_LEFT);
			set_bit(c->u.bitmap, BTN_RIGHT);
			set_bit(c->u.bitmap, BTN_MIDDLE);
			c->size = BTN_MIDDLE / 8 + 1;
		} else if (c->subsel == EV_REL) {
			set_bit(c->u.bitmap, REL_WHEEL);
			c->size = REL_WHEEL / 8 + 1;
		} else if (c->subsel == EV_ABS) {
			set_bit(c->u.bitmap, ABS_X);
			set_bit(c->u.bitmap, ABS_Y);
			c->size = 1;
		}
		break;
	case VIRTIO_INPUT_CFG_ABS_INFO:
		if (c->subsel == ABS_X || c->subsel == ABS_Y) {
			c->u.abs.min = 0;
			c->u.abs.max = GUINT32_TO_LE(VIRTIO_TABLET_MAX);
			c->size = sizeof(c->u.abs);
		}
		break;
	default:   /* UNSET, ID_SERIAL, PROP_BITS: nothing to say */
		break;
	}
}

static void
input_write_config(struct virtio_device *dev, uint32_t offset, const void *data, uint32_t len)
{
	struct virtio_input *in = dev->priv;
	const uint8_t *p = data;

	/* Only select (0) and subsel (1) are writable (§5.8.4). */
	for (uint32_t i = 0; i < len; i++) {
		if (offset + i == 0)
			in->config.select = p[i];
		else if (offset + i == 1)
			in->config.subsel = p[i];
	}
	input_update_config(in);
}

/* Hand waiting events to buffers the driver posted.  Called with the lock. */
static void
input_fill(struct virtio_input *in)
{
	struct virtio_device *dev = &in->dev;
	struct virtq *vq = &dev->vqs[INPUT_EVENTQ];
	struct virtq_chain *chain;
	bool pushed = false;

	if (!dev->started || dev->broken || !vq->enabled)
		return;
	while (in->len > 0 && (chain = virtq_pop(vq, dev->mem)) != NULL) {
		size_t n = iov_from_buf(chain->iov + chain->n_out, chain->n_in, 0, &in->pending[in->head],
		                        sizeof(in->pending[0]));

		in->head = (in->head + 1) % PENDING_MAX;
		in->len--;
		virtq_push(vq, chain, n);
		pushed = true;
	}
	if (pushed)
		virtq_notify(vq);
}

static void
input_queue_kick(struct virtio_device *dev, unsigned int index)
{
	struct virtio_input *in = dev->priv;
	struct virtq *vq = &dev->vqs[index];
	struct virtq_chain *chain;
	bool pushed = false;

	if (index == INPUT_EVENTQ) {
		input_fill(in);
		return;
	}
	/* statusq: LEDs and the like; a tablet has none. */
	while ((chain = virtq_pop(vq, dev->mem)) != NULL) {
		virtq_push(vq, chain, 0);
		pushed = true;
	}
	if (pushed)
		virtq_notify(vq);
}

static void
queue_event(struct virtio_input *in, uint16_t type, uint16_t code, uint32_t value)
{
	unsigned int at = (in->head + in->len) % PENDING_MAX;

	in->pending[at] = (struct virtio_input_event) {
		GUINT16_TO_LE(type), GUINT16_TO_LE(code), GUINT32_TO_LE(value),
	};
	in->len++;
}

bool
virtio_tablet_event(struct virtio_device *dev, unsigned int x, unsigned int y, unsigned int buttons,
                    int wheel)
{
	static const uint16_t codes[3] = { BTN_LEFT, BTN_RIGHT, BTN_MIDDLE };
	struct virtio_input *in = dev->priv;
	bool ok;

	pthread_mutex_lock(&dev->lock);
	ok = dev->started && !dev->broken && dev->vqs[INPUT_EVENTQ].enabled;
	/* A report (up to 7 events) goes in whole or not at all. */
	if (ok && in->len + 7 <= PENDING_MAX) {
		queue_event(in, EV_ABS, ABS_X, MIN(x, VIRTIO_TABLET_MAX));
		queue_event(in, EV_ABS, ABS_Y, MIN(y, VIRTIO_TABLET_MAX));
		for (unsigned int i = 0; i < 3; i++)
			if (((buttons ^ in->buttons) >> i) & 1)
				queue_event(in, EV_KEY, codes[i], (buttons >> i) & 1);
		if (wheel)
			queue_event(in, EV_REL, REL_WHEEL, (uint32_t) wheel);
		queue_event(in, EV_SYN, SYN_REPORT, 0);
		in->buttons = buttons;
		input_fill(in);
	}
	pthread_mutex_unlock(&dev->lock);
	return ok;
}

static void
input_reset(struct virtio_device *dev)
{
	struct virtio_input *in = dev->priv;

	in->head = in->len = 0;
	in->buttons = 0;
	in->config.select = in->config.subsel = 0;
	input_update_config(in);
}

/* save-state: events still waiting for the driver's buffers and the
 * buttons held, so that the next report says only what changed.  Every
 * event is on the used ring the moment it fits a buffer (input_fill), so
 * nothing else is in flight. */
struct input_saved {
	struct virtio_input_event pending[PENDING_MAX];
	uint32_t head, len, buttons, pad;
};

static void
input_save(struct virtio_device *dev, void *state)
{
	struct virtio_input *in = dev->priv;
	struct input_saved *s = state;

	memcpy(s->pending, in->pending, sizeof(s->pending));
	s->head = in->head;
	s->len = in->len;
	s->buttons = in->buttons;
}

static void
input_load(struct virtio_device *dev, const void *state)
{
	struct virtio_input *in = dev->priv;
	const struct input_saved *s = state;

	memcpy(in->pending, s->pending, sizeof(in->pending));
	in->head = s->head % PENDING_MAX;
	in->len = MIN(s->len, (uint32_t) PENDING_MAX);
	in->buttons = s->buttons & 7;
}

/* Config space is what the driver last selected (§5.8.4): select and
 * subsel come from the file, the rest follows from them. */
static bool
input_load_config(struct virtio_device *dev, const void *saved, char *why, size_t why_len)
{
	struct virtio_input *in = dev->priv;
	const struct virtio_input_config *c = saved;

	in->config.select = c->select;
	in->config.subsel = c->subsel;
	input_update_config(in);
	if (memcmp(&in->config, c, sizeof(in->config)) != 0) {
		g_snprintf(why, why_len, "virtio-tablet: saved by a glassbox-vmm with another tablet");
		return false;
	}
	return true;
}

static void
input_destroy(struct virtio_device *dev)
{
	g_free(dev->priv);
}

static const struct virtio_device_ops input_ops = {
	.name = "virtio-tablet",
	.device_id = VIRTIO_ID_INPUT,
	.num_queues = 2,
	.queue_max_size = 256,
	.queue_kick = input_queue_kick,
	.reset = input_reset,
	.write_config = input_write_config,
	.destroy = input_destroy,
	.savable = true,
	.state_size = sizeof(struct input_saved),
	.save = input_save,
	.load = input_load,
	.load_config = input_load_config,
};

struct virtio_device *
virtio_tablet_new(void)
{
	struct virtio_input *in = g_new0(struct virtio_input, 1);

	virtio_device_init(&in->dev, &input_ops);
	in->dev.priv = in;
	in->dev.config = &in->config;
	in->dev.config_size = sizeof(in->config);
	input_update_config(in);
	return &in->dev;
}
