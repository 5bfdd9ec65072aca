/* intx.c — the legacy interrupt path: no MSI-X, so virtio-rng's queue
 * interrupt is INTA#, a level-triggered IOAPIC pin (the one the MP table
 * and the Interrupt Line register name), routed here to vector 0x50.
 * Reading ISR acknowledges it and lowers the line (virtio 1.2 §4.1.4.5). */
#include "irq.h"
#include "virtio.h"

void guest_main(void *start_info);
void intx_isr(void);
void intx_arrived(void);

#define LAPIC  0xfee00000u
#define IOAPIC 0xfec00000u

static struct vq q;
static struct vdev d;
static uint8_t buf[32];

static void
ioapic_write(uint32_t reg, uint32_t v)
{
	mmio_write32(IOAPIC, reg);
	mmio_write32(IOAPIC + 0x10, v);
}

void
intx_arrived(void)
{
	uint8_t isr = mmio_read8(d.isr);

	puts("intx interrupt received, used ");
	put_dec(q.used.idx);
	puts(", isr ");
	put_dec(isr);
	puts(", isr after read ");
	put_dec(mmio_read8(d.isr));
	putc('\n');
	mmio_write32(LAPIC + 0xb0, 0);      /* EOI, also to the IOAPIC (level) */
}

__asm__(".text\nintx_isr:\n  addl $12, %esp\n  call intx_arrived\n  jmp _start_reset\n");

void
guest_main(void *start_info)
{
	unsigned int pin;

	irq_init(1000);
	outb(0x21, 0xff);                     /* PIC fully masked */
	irq_set_gate(0x50, intx_isr);
	mmio_write32(LAPIC + 0xf0, 0x1ff);    /* APIC software enable */

	if (!virtio_find(4, &d)) {
		puts("no virtio-rng\n");
		return;
	}
	pin = pci_read8(d.slot, 0x3c);
	puts("interrupt line ");
	put_dec(pin);
	putc('\n');
	/* Redirection entry: vector 0x50, fixed, active high, level, unmasked, CPU 0. */
	ioapic_write(0x10 + 2 * pin + 1, 0);
	ioapic_write(0x10 + 2 * pin, 0x50 | (1u << 15));

	virtio_negotiate(&d, 0);
	virtio_setup_queue(&d, &q, 0);
	virtio_driver_ok(&d);
	q.desc[0] = (struct vq_desc) { (uint32_t) buf, sizeof(buf), VIRTQ_DESC_F_WRITE, 0 };
	vq_submit(&q, 0);
	halt_forever();
}
