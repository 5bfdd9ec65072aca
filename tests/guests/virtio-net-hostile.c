/* virtio-net-hostile.c — a guest that sends what no NIC should accept
 * (virtio 1.2 §5.1.6.2): a chain shorter than the header, a 70,000-byte
 * frame, a runt, a GSO header it never negotiated, a checksum request it
 * never negotiated; then a good frame ("after hostile"), then a chain
 * that loops (the device must say DEVICE_NEEDS_RESET, §2.1.2), then after
 * a reset one more good frame ("after reset").  The VMM must live through
 * all of it and count the drops. */
#include "vnet.h"

void guest_main(void *start_info);

static struct vnet n;
static uint8_t big[12 + 70000] __attribute__((aligned(16)));
static uint8_t frame[128];

struct hdr { uint8_t flags, gso_type; uint16_t hdr_len, gso_size, csum_start, csum_offset, num_buffers; };

static uint32_t
make_frame(const char *text)
{
	uint32_t len = 14;

	memset(frame, 0xff, 6);
	memcpy(frame + 6, n.mac, 6);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	while (*text)
		frame[len++] = *text++;
	return len;
}

/* One chain of one descriptor, header included by the caller. */
static void
send_raw(const void *buf, uint32_t len, const char *what)
{
	int r;

	n.tx.desc[0] = (struct vq_desc) { (uint32_t) buf, len, 0, 0 };
	vq_submit(&n.tx, 0);
	r = vq_wait(&n.tx, 10000000);
	puts(what);
	puts(r < 0 ? ": no answer\n" : ": returned\n");
}

void
guest_main(void *start_info)
{
	struct hdr *h = (struct hdr *) big;
	uint32_t len;

	if (vnet_init(&n, VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS) < 0) {
		puts("no virtio-net\n");
		return;
	}
	send_raw(big, 4, "short chain");
	send_raw(big, sizeof(big), "oversize frame");
	send_raw(big, 12 + 6, "runt");

	len = make_frame("bad gso");
	memset(big, 0, 12);
	h->gso_type = 1;           /* TCPV4, not negotiated */
	h->gso_size = 1400;
	memcpy(big + 12, frame, len);
	send_raw(big, 12 + len, "gso not negotiated");

	memset(big, 0, 12);
	h->flags = 1;              /* NEEDS_CSUM, not negotiated */
	h->csum_start = 1000;
	send_raw(big, 12 + len, "csum not negotiated");

	len = make_frame("after hostile");
	vnet_send(&n, frame, len);
	puts("hostile sent\n");

	/* A chain that loops: 0 → 1 → 0 → … */
	n.tx.desc[0] = (struct vq_desc) { (uint32_t) big, 64, VIRTQ_DESC_F_NEXT, 1 };
	n.tx.desc[1] = (struct vq_desc) { (uint32_t) big + 64, 64, VIRTQ_DESC_F_NEXT, 0 };
	vq_submit(&n.tx, 0);
	for (uint32_t i = 0; i < 200000; i++)
		if (virtio_status(&n.d) & 0x40) {
			puts("needs reset after a looping chain\n");
			break;
		}

	if (vnet_init(&n, VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS) < 0) {
		puts("reset failed\n");
		return;
	}
	len = make_frame("after reset");
	vnet_send(&n, frame, len);
	puts("done\n");
	for (;;)
		__asm__ volatile("hlt");
}
