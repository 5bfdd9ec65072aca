/* tablet.c — a virtio-input driver (virtio 1.2 §5.8): read what the device
 * says it is through the select/subsel configuration window, post eight
 * event buffers and print every event that comes back, as
 * "ev TYPE CODE VALUE" (hex).  BTN_RIGHT pressed (type 1, code 0x111,
 * value 1) ends the guest. */
#include "virtio.h"

void guest_main(void *start_info);

struct event { uint16_t type, code; uint32_t value; };

static struct vq eventq, statusq;
static struct event events[VQ_SIZE];

static uint8_t
cfg_select(struct vdev *d, uint8_t select, uint8_t subsel)
{
	mmio_write8(d->device + 0, select);
	mmio_write8(d->device + 1, subsel);
	return mmio_read8(d->device + 2);      /* size */
}

void
guest_main(void *start_info)
{
	struct vdev d;
	uint8_t size;

	if (!virtio_find(18, &d)) {
		puts("no virtio-input\n");
		return;
	}
	if (virtio_negotiate(&d, 0) < 0) {
		puts("features refused\n");
		return;
	}

	size = cfg_select(&d, 0x01, 0);            /* ID_NAME */
	puts("name ");
	for (uint8_t i = 0; i < size; i++)
		putc(mmio_read8(d.device + 8 + i));
	size = cfg_select(&d, 0x11, 0x03);         /* EV_BITS, EV_ABS */
	puts(", abs bits ");
	put_hex(size ? mmio_read8(d.device + 8) : 0, 2);
	size = cfg_select(&d, 0x11, 0x02);         /* EV_BITS, EV_REL: REL_WHEEL is bit 8 */
	puts(", rel bits ");
	put_hex(size > 1 ? mmio_read8(d.device + 8 + 1) : 0, 2);
	size = cfg_select(&d, 0x11, 0x01);         /* EV_BITS, EV_KEY: BTN_LEFT is bit 0x110 */
	puts(", key bits at 0x110 ");
	put_hex(size > 0x22 ? mmio_read8(d.device + 8 + 0x22) : 0, 2);
	size = cfg_select(&d, 0x12, 0x00);         /* ABS_INFO, ABS_X */
	puts(", x max ");
	put_dec(size ? mmio_read32(d.device + 8 + 4) : 0);
	putc('\n');

	virtio_setup_queue(&d, &eventq, 0);
	virtio_setup_queue(&d, &statusq, 1);
	for (uint16_t i = 0; i < VQ_SIZE; i++)
		eventq.desc[i] = (struct vq_desc) { (uint32_t) &events[i], sizeof(events[i]), VIRTQ_DESC_F_WRITE, 0 };
	virtio_driver_ok(&d);
	for (uint16_t i = 0; i < VQ_SIZE; i++)
		vq_submit(&eventq, i);
	puts("tablet ready\n");

	for (;;) {
		uint16_t id;
		struct event *e;

		barrier();
		if (*(volatile uint16_t *) &eventq.used.idx == eventq.last_used)
			continue;
		id = eventq.used.ring[eventq.last_used % VQ_SIZE].id;
		eventq.last_used++;
		e = &events[id];
		puts("ev ");
		put_hex(e->type, 1);
		putc(' ');
		put_hex(e->code, 3);
		putc(' ');
		put_hex(e->value, 4);
		putc('\n');
		if (e->type == 1 && e->code == 0x111 && e->value == 1) {
			puts("bye\n");
			return;
		}
		vq_submit(&eventq, id);           /* the buffer goes back */
	}
}
