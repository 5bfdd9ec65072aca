/* virtio-net-dhcp.c — a tiny guest on `--net user` (libslirp): sends one
 * DHCPDISCOVER (RFC 2131) and prints the address the OFFER gives it
 * ("offer 10.0.2.15"), then answers ARP requests for that address and
 * prints the destination port of every TCP SYN that reaches it ("syn to
 * port N": a host port forward arriving).  Runs until the VMM is stopped. */
#include "vnet.h"

void guest_main(void *start_info);

static struct vnet n;
static uint8_t pkt[600];
static uint8_t my_ip[4];
static int have_ip;

static int
memcmp_(const uint8_t *a, const uint8_t *b, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return 1;
	return 0;
}

static uint16_t
csum(const uint8_t *p, uint32_t len)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static void
put_ip(const uint8_t *ip)
{
	for (int i = 0; i < 4; i++) {
		put_dec(ip[i]);
		if (i < 3)
			putc('.');
	}
}

static void
send_discover(void)
{
	uint8_t *ip = pkt + 14, *udp = ip + 20, *bootp = udp + 8, *opt = bootp + 236;
	uint32_t blen = 236 + 4 + 3 + 1, len = 14 + 20 + 8 + blen;
	uint16_t c;

	memset(pkt, 0, sizeof(pkt));
	memset(pkt, 0xff, 6);
	memcpy(pkt + 6, n.mac, 6);
	pkt[12] = 0x08;                       /* IPv4 */
	ip[0] = 0x45;
	ip[2] = (20 + 8 + blen) >> 8;
	ip[3] = (20 + 8 + blen) & 0xff;
	ip[8] = 64;                           /* TTL */
	ip[9] = 17;                           /* UDP */
	memset(ip + 16, 0xff, 4);             /* to 255.255.255.255 from 0.0.0.0 */
	c = csum(ip, 20);
	ip[10] = c >> 8;
	ip[11] = c & 0xff;
	udp[1] = 68;                          /* bootpc → bootps */
	udp[3] = 67;
	udp[4] = (8 + blen) >> 8;
	udp[5] = (8 + blen) & 0xff;           /* checksum 0: none (RFC 768) */
	bootp[0] = 1;                         /* BOOTREQUEST */
	bootp[1] = 1;                         /* Ethernet */
	bootp[2] = 6;
	bootp[4] = 0x47; bootp[5] = 0x42; bootp[6] = 0x4f; bootp[7] = 0x58;   /* xid "GBOX" */
	memcpy(bootp + 28, n.mac, 6);         /* chaddr */
	opt[0] = 0x63; opt[1] = 0x82; opt[2] = 0x53; opt[3] = 0x63;          /* magic cookie */
	opt[4] = 53; opt[5] = 1; opt[6] = 1;  /* DHCPDISCOVER */
	opt[7] = 255;
	if (vnet_send(&n, pkt, len) < 0)
		puts("send timed out\n");
}

static void
answer_arp(const uint8_t *f)
{
	const uint8_t *a = f + 14;

	/* A request (op 1) for our address: reply (RFC 826). */
	if (!have_ip || a[7] != 1 || memcmp_(a + 24, my_ip, 4))
		return;
	memcpy(pkt, f + 6, 6);
	memcpy(pkt + 6, n.mac, 6);
	pkt[12] = 0x08;
	pkt[13] = 0x06;
	memcpy(pkt + 14, a, 6);               /* htype, ptype, hlen, plen */
	pkt[20] = 0;
	pkt[21] = 2;                          /* reply */
	memcpy(pkt + 22, n.mac, 6);
	memcpy(pkt + 28, my_ip, 4);
	memcpy(pkt + 32, a + 8, 10);          /* the asker's MAC and IP */
	vnet_send(&n, pkt, 42);
	puts("arp reply\n");
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
	putc('\n');
	send_discover();
	puts("sent discover\n");
	for (;;) {
		len = vnet_poll(&n, &f);
		if (len < 0)
			continue;
		if (len >= 42 && f[12] == 0x08 && f[13] == 0x06) {
			answer_arp(f);
		} else if (len >= 14 + 20 + 8 && f[12] == 0x08 && f[13] == 0x00) {
			const uint8_t *ip = f + 14, *l4 = ip + (ip[0] & 15) * 4;

			if (ip[9] == 17 && l4[3] == 68 && len >= (l4 - f) + 8 + 236) {
				const uint8_t *bootp = l4 + 8;

				if (bootp[0] == 2 && !have_ip) {      /* BOOTREPLY */
					memcpy(my_ip, bootp + 16, 4);     /* yiaddr */
					have_ip = 1;
					puts("offer ");
					put_ip(my_ip);
					puts(" from ");
					put_ip(bootp + 20);               /* siaddr */
					putc('\n');
				}
			} else if (ip[9] == 6 && (l4[13] & 0x02)) {   /* TCP SYN */
				puts("syn to port ");
				put_dec((l4[2] << 8) | l4[3]);
				putc('\n');
			}
		}
		vnet_rx_done(&n);
	}
}
