/* virtio-console.c — write one line through virtio-console's transmit
 * queue (virtio 1.2 §5.3: queue 1 is port 0's output). */
#include "virtio.h"

void guest_main(void *start_info);

static struct vq rx, tx;
static const char msg[] = "hello through virtio-console\n";

void
guest_main(void *start_info)
{
	struct vdev d;
	int len;

	if (!virtio_find(3, &d)) {
		puts("no virtio-console\n");
		return;
	}
	if (virtio_negotiate(&d, 0) < 0) {
		puts("features refused\n");
		return;
	}
	virtio_setup_queue(&d, &rx, 0);
	virtio_setup_queue(&d, &tx, 1);
	virtio_driver_ok(&d);

	tx.desc[0] = (struct vq_desc) { (uint32_t) msg, sizeof(msg) - 1, 0, 0 };
	vq_submit(&tx, 0);
	len = vq_wait(&tx, 10000000);
	puts(len < 0 ? "console timeout\n" : "console write done\n");
}
