/* lab-access.c — the Lab's third experiment: what one access costs when it
 * is a port write, an MMIO read, or a virtqueue notification.
 *
 * The command line chooses "pio" (10000 writes to the UART's scratch
 * register, emulated in the VMM), "mmio" (10000 reads of virtio-console's
 * device_feature_select, emulated in the VMM), "notify" (10000 writes to
 * virtio-console's receive-queue notification address, which KVM hands to
 * an ioeventfd without leaving the kernel) or "none" (setup only, the
 * baseline).  Then the vCPU halts with interrupts off: the host's signal
 * that the guest is done.
 */
#include "irq.h"
#include "virtio.h"

#define COM1 0x3f8
#define COUNT 10000

void guest_main(void *start_info);

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

static struct vq rx, tx;

void
on_tick(void)
{
}

void
guest_main(void *start_info)
{
	const struct hvm_start_info *si = start_info;
	const char *mode = (const char *) (uint32_t) si->cmdline_paddr;
	struct vdev d;
	int ok;

	ok = virtio_find(3, &d) && virtio_negotiate(&d, 0) == 0;
	if (ok) {
		virtio_setup_queue(&d, &rx, 0);
		virtio_setup_queue(&d, &tx, 1);
		virtio_driver_ok(&d);
	}

	if (mode[0] == 'p') {
		for (int i = 0; i < COUNT; i++)
			outb(COM1 + 7, i);                    /* 8250 scratch register */
	} else if (mode[0] == 'm' && ok) {
		for (int i = 0; i < COUNT; i++)
			(void) mmio_read32(d.common + VC_DFSELECT);
	} else if (mode[0] == 'n' && mode[1] == 'o' && mode[2] == 't' && ok) {
		/* virtio 1.2 §4.1.5.2: the queue index written to its
		 * notification address.  Queue 0 has no buffers, so the device
		 * finds nothing to do: only the notification is measured. */
		for (int i = 0; i < COUNT; i++)
			mmio_write16(rx.notify_addr, 0);
	}
	for (;;)
		__asm__ volatile("cli; hlt");
}
