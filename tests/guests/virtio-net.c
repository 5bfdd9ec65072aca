/* virtio-net.c — a tiny guest on a tap (virtio 1.2 §5.1): says its MAC and
 * link state, broadcasts one frame of EtherType 0x88b5 (IEEE 802 local
 * experimental) saying "hello from guest", then echoes every 0x88b5 frame
 * it receives — on COM1 ("rx N bytes: TEXT") and back on the wire
 * ("echo: TEXT") — until a frame says "quit" or the link goes down. */
#include "vnet.h"

void guest_main(void *start_info);

static struct vnet n;
static uint8_t frame[256];

static void
send_text(const char *a, const uint8_t *b, uint32_t blen)
{
	uint32_t len = 14;

	memset(frame, 0xff, 6);                  /* broadcast */
	memcpy(frame + 6, n.mac, 6);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	while (*a && len < sizeof(frame))
		frame[len++] = *a++;
	for (uint32_t i = 0; i < blen && len < sizeof(frame); i++)
		frame[len++] = b[i];
	if (vnet_send(&n, frame, len) < 0)
		puts("send timed out\n");
}

void
guest_main(void *start_info)
{
	uint8_t *f;
	int len;

	if (vnet_init(&n, VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS | VIRTIO_NET_F_MRG_RXBUF) < 0) {
		puts("no virtio-net\n");
		return;
	}
	puts("mac ");
	put_mac(n.mac);
	puts("\nfeatures ");
	put_hex(n.features, 8);
	puts(vnet_status(&n) & 1 ? "\nlink up\n" : "\nlink down\n");
	send_text("hello from guest", 0, 0);
	puts("sent hello\n");
	for (;;) {
		if (!(vnet_status(&n) & 1)) {
			puts("link down\n");
			return;
		}
		len = vnet_poll(&n, &f);
		if (len < 0)
			continue;
		if (len > 14 && f[12] == 0x88 && f[13] == 0xb5) {
			const uint8_t *text = f + 14;
			int tlen = len - 14;

			puts("rx ");
			put_dec(len);
			puts(" bytes: ");
			for (int i = 0; i < tlen; i++)
				putc(text[i] >= 32 && text[i] < 127 ? text[i] : '.');
			putc('\n');
			if (tlen >= 4 && text[0] == 'q' && text[1] == 'u' && text[2] == 'i' && text[3] == 't') {
				puts("quit\n");
				return;
			}
			send_text("echo: ", text, tlen);
		}
		vnet_rx_done(&n);
	}
}
