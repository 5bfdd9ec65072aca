/* gb-vnc-type.c — types text into a machine through glassbox-vmm's VNC
 * socket, for scripts in the nested test bed's outer guest (no VNC client
 * there).  The smallest RFB 3.8 client (RFC 6143): version, security type
 * None, ClientInit, ServerInit, then one KeyEvent (7.5.4) down and up per
 * character, with Shift_L around the characters a US keyboard shifts (the
 * VMM maps plain keysyms with a US table; docs/vmm-api.md).
 *
 *   gb-vnc-type VNC-SOCKET TEXT
 *
 * "\n" in TEXT (backslash, n) is Return.  Exit status 0 when every event
 * was written.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define XK_RETURN  0xff0d
#define XK_SHIFT_L 0xffe1

static int
read_all(int fd, void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = read(fd, (char *) buf + done, len - done);

		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len) == (ssize_t) len ? 0 : -1;
}

/* 7.5.4 KeyEvent: type 4, down-flag, 2 bytes padding, keysym. */
static int
key(int fd, uint32_t keysym, int down)
{
	uint8_t msg[8] = { 4, (uint8_t) down };
	uint32_t k = htonl(keysym);

	memcpy(msg + 4, &k, 4);
	if (write_all(fd, msg, sizeof(msg)) < 0)
		return -1;
	/* The guest drains the i8042's small queue one IRQ at a time; under
	 * nested TCG that is slow. */
	usleep(40000);
	return 0;
}

static int
handshake(int fd)
{
	char version[12];
	uint8_t n, types[255], none = 1, shared = 1;
	uint8_t init[24];
	uint32_t result, name_len;
	char name[256];

	if (read_all(fd, version, 12) < 0 || memcmp(version, "RFB 003.", 8) != 0)
		return -1;
	if (write_all(fd, "RFB 003.008\n", 12) < 0)
		return -1;
	/* 7.1.2: the number of security types, then the types; 0 is failure. */
	if (read_all(fd, &n, 1) < 0 || n == 0 || read_all(fd, types, n) < 0 ||
	    memchr(types, 1, n) == NULL)
		return -1;
	if (write_all(fd, &none, 1) < 0 || read_all(fd, &result, 4) < 0 || result != 0)
		return -1;
	/* 7.3.1 ClientInit (shared), 7.3.2 ServerInit: size, pixel format,
	 * name. */
	if (write_all(fd, &shared, 1) < 0 || read_all(fd, init, 24) < 0)
		return -1;
	memcpy(&name_len, init + 20, 4);
	name_len = ntohl(name_len);
	while (name_len > 0) {
		uint32_t chunk = name_len < sizeof(name) ? name_len : sizeof(name);

		if (read_all(fd, name, chunk) < 0)
			return -1;
		name_len -= chunk;
	}
	fprintf(stderr, "gb-vnc-type: connected, screen %ux%u\n",
	        init[0] << 8 | init[1], init[2] << 8 | init[3]);
	return 0;
}

int
main(int argc, char **argv)
{
	static const char shifted[] = "~!@#$%^&*()_+{}|:\"<>?ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = -1;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: gb-vnc-type VNC-SOCKET TEXT\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	for (int tries = 0; tries < 100; tries++) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0)
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
		usleep(100000);
	}
	if (fd < 0 || handshake(fd) < 0) {
		fprintf(stderr, "gb-vnc-type: no VNC session on %s\n", argv[1]);
		return 1;
	}
	for (const char *p = argv[2]; *p; p++) {
		uint32_t k = (unsigned char) *p;
		int shift = strchr(shifted, *p) != NULL;

		if (p[0] == '\\' && p[1] == 'n') {
			k = XK_RETURN;
			shift = 0;
			p++;
		}
		if ((shift && key(fd, XK_SHIFT_L, 1) < 0) || key(fd, k, 1) < 0 || key(fd, k, 0) < 0 ||
		    (shift && key(fd, XK_SHIFT_L, 0) < 0)) {
			fprintf(stderr, "gb-vnc-type: the VMM closed the VNC socket\n");
			close(fd);
			return 1;
		}
	}
	/* Let the server read the last events before it sees the close. */
	usleep(200000);
	close(fd);
	return 0;
}
