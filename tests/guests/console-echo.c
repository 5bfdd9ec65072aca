/* console-echo.c — virtio-console input: post a receive buffer on queue 0
 * and report on COM1 what the host typed into it.  With "stay" on the
 * command line the machine then stays (halted) for the host to read its
 * counters, instead of resetting. */
#include "virtio.h"

void guest_main(void *start_info);

static struct vq rx, tx;
static char in[64];
static const char msg[] = "type something\n";

void
guest_main(void *start_info)
{
	struct vdev d;
	int len;

	if (!virtio_find(3, &d) || virtio_negotiate(&d, 0) < 0) {
		puts("no virtio-console\n");
		return;
	}
	virtio_setup_queue(&d, &rx, 0);
	virtio_setup_queue(&d, &tx, 1);
	virtio_driver_ok(&d);

	rx.desc[0] = (struct vq_desc) { (uint32_t) in, sizeof(in) - 1, VIRTQ_DESC_F_WRITE, 0 };
	vq_submit(&rx, 0);
	tx.desc[0] = (struct vq_desc) { (uint32_t) msg, sizeof(msg) - 1, 0, 0 };
	vq_submit(&tx, 0);
	vq_wait(&tx, 1000000);

	puts("console waiting for input\n");
	len = vq_wait(&rx, 100000000);
	if (len < 0) {
		puts("console input timeout\n");
		return;
	}
	in[len] = 0;
	puts("console got: ");
	puts(in);
	if (cmdline_has(start_info, "stay"))
		for (;;)
			__asm__ volatile("cli; hlt");
}
