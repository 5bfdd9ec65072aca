/* lab-write.c — the Lab's first experiment: write the same 4 KiB to the
 * emulated 8250 UART and to virtio-console, and let the host count.
 *
 * The command line chooses: "serial", "virtio" or "none" (set up both
 * devices, write nothing: the baseline the host subtracts).  Both devices
 * are set up in every mode so the modes differ only in the write.  At the
 * end the vCPU halts with interrupts off, forever: the host sees that as
 * the first HLT exit and reads the counters of a machine that is done.
 */
#include "irq.h"
#include "virtio.h"

#define COM1 0x3f8
#define SIZE 4096

void guest_main(void *start_info);

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

static struct vq rx, tx;
static char buf[SIZE];

void
on_tick(void)
{
}

static int
streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static void
stop(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

void
guest_main(void *start_info)
{
	const struct hvm_start_info *si = start_info;
	const char *mode = (const char *) (uint32_t) si->cmdline_paddr;
	struct vdev d;
	int ok;

	for (int i = 0; i < SIZE; i++)
		buf[i] = "glassbox lab: the same bytes, two ways\n"[i % 39];

	ok = virtio_find(3, &d) && virtio_negotiate(&d, 0) == 0;
	if (ok) {
		virtio_setup_queue(&d, &rx, 0);
		virtio_setup_queue(&d, &tx, 1);
		virtio_driver_ok(&d);
	}

	if (streq(mode, "serial")) {
		/* What an 8250 driver does: wait for the transmit holding
		 * register to be empty (LSR bit 5), then write the byte.  Two
		 * port accesses, two VM exits, per byte. */
		for (int i = 0; i < SIZE; i++) {
			while (!(inb(COM1 + 5) & 0x20))
				;
			outb(COM1, buf[i]);
		}
	} else if (streq(mode, "virtio") && ok) {
		/* One descriptor for all 4 KiB, one notification (virtio 1.2
		 * §2.7.13), then poll the used ring. */
		tx.desc[0] = (struct vq_desc) { (uint32_t) buf, SIZE, 0, 0 };
		vq_submit(&tx, 0);
		vq_wait(&tx, 100000000);
	}
	stop();
}
