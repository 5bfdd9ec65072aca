/* gb-frame.c — the host's end of a tiny virtio-net guest's frames (EtherType
 * 0x88b5, IEEE 802 local experimental, tests/guests/virtio-net.c), for the
 * nested test bed's scripts, which have no raw sockets of their own:
 *
 *   gb-frame IFACE send TEXT       one broadcast frame saying TEXT
 *   gb-frame IFACE listen SECONDS  print the text of every such frame that
 *                                  arrives on IFACE (not our own), a line each
 *
 * packet(7): an AF_PACKET socket bound to one interface and protocol. */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ETHERTYPE_TEST 0x88b5

int
main(int argc, char **argv)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETHERTYPE_TEST) };
	unsigned char frame[2048];
	int s;

	if (argc != 4 || (strcmp(argv[2], "send") && strcmp(argv[2], "listen"))) {
		fprintf(stderr, "usage: gb-frame IFACE send TEXT | gb-frame IFACE listen SECONDS\n");
		return 2;
	}
	sll.sll_ifindex = if_nametoindex(argv[1]);
	s = socket(AF_PACKET, SOCK_RAW, htons(ETHERTYPE_TEST));
	if (sll.sll_ifindex == 0 || s < 0 || bind(s, (struct sockaddr *) &sll, sizeof(sll)) < 0) {
		perror(argv[1]);
		return 1;
	}
	if (!strcmp(argv[2], "send")) {
		size_t len = strlen(argv[3]);

		if (len > 1000)
			len = 1000;
		memset(frame, 0xff, 6);                                  /* broadcast */
		memcpy(frame + 6, "\x02\x00\x00\x00\x00\x01", 6);        /* locally administered */
		frame[12] = ETHERTYPE_TEST >> 8;
		frame[13] = ETHERTYPE_TEST & 0xff;
		memcpy(frame + 14, argv[3], len);
		if (send(s, frame, 14 + len, 0) != (ssize_t) (14 + len)) {
			perror("send");
			return 1;
		}
		return 0;
	}
	{
		time_t end = time(NULL) + atoi(argv[3]);

		setvbuf(stdout, NULL, _IOLBF, 0);
		while (time(NULL) < end) {
			struct pollfd p = { s, POLLIN, 0 };
			struct sockaddr_ll from;
			socklen_t fl = sizeof(from);
			ssize_t n;

			if (poll(&p, 1, 200) <= 0)
				continue;
			n = recvfrom(s, frame, sizeof(frame), 0, (struct sockaddr *) &from, &fl);
			/* A packet socket also sees what leaves the interface. */
			if (n <= 14 || from.sll_pkttype == PACKET_OUTGOING)
				continue;
			for (ssize_t i = 14; i < n; i++)
				putchar(frame[i] >= 32 && frame[i] < 127 ? frame[i] : '.');
			putchar('\n');
		}
	}
	return 0;
}
