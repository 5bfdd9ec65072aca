/* virtio-net-mq.c — a tiny guest on a multiqueue tap (virtio 1.2 §5.1):
 * negotiates VIRTIO_NET_F_MQ and VIRTIO_NET_F_CTRL_VQ, reads
 * max_virtqueue_pairs, sets up both pairs and the control queue (queue 2N,
 * §5.1.2), asks for 3 pairs (must be refused) and then 2 with
 * VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET (§5.1.6.5.5), sends one 0x88b5 frame on
 * each transmit queue, then counts the IPv4 frames arriving on each
 * receive queue until a 0x88b5 frame says "quit":
 * "rx pair0 A pair1 B".  Then it resets the device and comes back without
 * MQ, one pair, and counts again until the next "quit": "rx single N" —
 * every flow must now arrive on the one queue left. */
#include "vnet.h"

void guest_main(void *start_info);

#define VIRTIO_NET_F_CTRL_VQ (1u << 17)
#define VIRTIO_NET_F_MQ      (1u << 22)
#define PAIRS 2

static struct vdev d;
static struct vq rx[PAIRS], tx[PAIRS], ctrl;
static uint8_t rxbuf[PAIRS][VQ_SIZE][VNET_BUF] __attribute__((aligned(16)));
static uint8_t txbuf[VNET_BUF] __attribute__((aligned(16)));
static uint8_t cmd[4] __attribute__((aligned(16)));
static volatile uint8_t ack;
static uint8_t mac[6];

/* VIRTIO_NET_CTRL_MQ (4), VQ_PAIRS_SET (0), le16 pairs; the device's ack. */
static int
is_quit(const uint8_t *f, uint32_t len)
{
	return len >= VNET_HDR_LEN + 18 && f[12] == 0x88 && f[13] == 0xb5 &&
	       f[14] == 'q' && f[15] == 'u' && f[16] == 'i' && f[17] == 't';
}

/* Count IPv4 frames on the first `pairs` receive queues until "quit". */
static void
count_until_quit(int pairs, uint32_t *count)
{
	for (;;) {
		for (int p = 0; p < pairs; p++) {
			struct vq *q = &rx[p];
			uint16_t head;
			uint32_t len;
			uint8_t *f;

			barrier();
			if (*(volatile uint16_t *) &q->used.idx == q->last_used)
				continue;
			head = q->used.ring[q->last_used % VQ_SIZE].id;
			len = q->used.ring[q->last_used % VQ_SIZE].len;
			q->last_used++;
			if (head >= VQ_SIZE)
				continue;
			f = rxbuf[p][head] + VNET_HDR_LEN;
			if (len >= VNET_HDR_LEN + 14 && f[12] == 0x08 && f[13] == 0x00)
				count[p]++;
			if (is_quit(f, len))
				return;
			vq_submit(q, head);
		}
	}
}

static void
post_rx(int p)
{
	for (uint16_t i = 0; i < VQ_SIZE; i++) {
		rx[p].desc[i] = (struct vq_desc) { (uint32_t) rxbuf[p][i], VNET_BUF, VIRTQ_DESC_F_WRITE, 0 };
		vq_submit(&rx[p], i);
	}
}

static int
set_pairs(uint16_t pairs)
{
	cmd[0] = 4;
	cmd[1] = 0;
	cmd[2] = pairs & 0xff;
	cmd[3] = pairs >> 8;
	ack = 0xee;
	ctrl.desc[0] = (struct vq_desc) { (uint32_t) cmd, sizeof(cmd), VIRTQ_DESC_F_NEXT, 1 };
	ctrl.desc[1] = (struct vq_desc) { (uint32_t) &ack, 1, VIRTQ_DESC_F_WRITE, 0 };
	vq_submit(&ctrl, 0);
	if (vq_wait(&ctrl, 10000000) < 0)
		return -1;
	return ack;
}

static void
send_on(unsigned int pair, const char *text)
{
	uint32_t len = VNET_HDR_LEN + 14;

	memset(txbuf, 0, VNET_HDR_LEN);
	memset(txbuf + VNET_HDR_LEN, 0xff, 6);
	memcpy(txbuf + VNET_HDR_LEN + 6, mac, 6);
	txbuf[VNET_HDR_LEN + 12] = 0x88;
	txbuf[VNET_HDR_LEN + 13] = 0xb5;
	while (*text)
		txbuf[len++] = *text++;
	tx[pair].desc[0] = (struct vq_desc) { (uint32_t) txbuf, len, 0, 0 };
	vq_submit(&tx[pair], 0);
	if (vq_wait(&tx[pair], 10000000) < 0)
		puts("send timed out\n");
}

void
guest_main(void *start_info)
{
	uint32_t features, count[PAIRS] = { 0 }, single[1] = { 0 };
	uint16_t max_pairs;
	int a;

	if (!virtio_find(1, &d) ||
	    virtio_negotiate(&d, VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS | VIRTIO_NET_F_CTRL_VQ | VIRTIO_NET_F_MQ) < 0) {
		puts("no virtio-net\n");
		return;
	}
	mmio_write32(d.common + VC_GFSELECT, 0);
	features = mmio_read32(d.common + VC_GF);
	max_pairs = mmio_read16(d.device + 8);   /* §5.1.4 max_virtqueue_pairs */
	puts("features ");
	put_hex(features, 8);
	puts("\nmax pairs ");
	put_dec(max_pairs);
	putc('\n');
	if (!(features & VIRTIO_NET_F_MQ) || !(features & VIRTIO_NET_F_CTRL_VQ) || max_pairs != PAIRS) {
		puts("no multiqueue\n");
		return;
	}
	for (int i = 0; i < 6; i++)
		mac[i] = mmio_read8(d.device + i);
	for (int p = 0; p < PAIRS; p++) {
		virtio_setup_queue(&d, &rx[p], 2 * p);
		virtio_setup_queue(&d, &tx[p], 2 * p + 1);
	}
	virtio_setup_queue(&d, &ctrl, 2 * max_pairs);
	virtio_driver_ok(&d);
	for (int p = 0; p < PAIRS; p++)
		post_rx(p);

	a = set_pairs(PAIRS + 1);
	puts("set 3 pairs: ack ");
	put_dec(a);
	a = set_pairs(PAIRS);
	puts("\nset 2 pairs: ack ");
	put_dec(a);
	putc('\n');
	send_on(0, "hello from pair 0");
	send_on(1, "hello from pair 1");
	puts("sent hellos\n");

	count_until_quit(PAIRS, count);
	puts("rx pair0 ");
	put_dec(count[0]);
	puts(" pair1 ");
	put_dec(count[1]);
	puts("\nquit\n");

	/* Reset (§2.4) and start again without MQ: one pair only. */
	if (virtio_negotiate(&d, VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS) < 0) {
		puts("renegotiation failed\n");
		return;
	}
	virtio_setup_queue(&d, &rx[0], 0);
	virtio_setup_queue(&d, &tx[0], 1);
	virtio_driver_ok(&d);
	post_rx(0);
	puts("single queue\n");
	count_until_quit(1, single);
	puts("rx single ");
	put_dec(single[0]);
	puts("\ndone\n");
}
