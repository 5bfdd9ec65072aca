/* gb-serial-io.c — the guest's serial port through glassbox-vmm's serial
 * socket (--serial socket=PATH), for the nested test bed's scripts, where
 * neither socat nor `nc -U` exists.
 *
 *   gb-serial-io SOCKET [MARKER TEXT]
 *
 * Waits up to 10 s for SOCKET to accept, then copies what the guest writes
 * to stdout until the VMM closes the socket.  With MARKER and TEXT: once
 * MARKER has appeared in the output, TEXT and a newline are typed into the
 * guest, one byte at a time as a person would — the way the app's serial
 * console (a VTE terminal on the same socket) sends keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int
connect_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	for (int tries = 0; tries < 100; tries++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0)
			return fd;
		close(fd);
		usleep(100000);
	}
	return -1;
}

int
main(int argc, char **argv)
{
	const char *marker = argc >= 4 ? argv[2] : NULL;
	const char *text = argc >= 4 ? argv[3] : NULL;
	size_t marker_len = marker ? strlen(marker) : 0;
	char *tail = marker ? calloc(1, marker_len + 1) : NULL;
	char buf[4096];
	ssize_t n;
	int fd;

	if (argc != 2 && argc != 4) {
		fprintf(stderr, "usage: gb-serial-io SOCKET [MARKER TEXT]\n");
		return 2;
	}
	fd = connect_socket(argv[1]);
	if (fd < 0) {
		fprintf(stderr, "gb-serial-io: cannot connect to %s\n", argv[1]);
		return 1;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		fwrite(buf, 1, (size_t) n, stdout);
		if (!marker)
			continue;
		/* Look for the marker across reads: keep its length of tail. */
		for (ssize_t i = 0; i < n && marker; i++) {
			memmove(tail, tail + 1, marker_len - 1);
			tail[marker_len - 1] = buf[i];
			if (memcmp(tail, marker, marker_len) == 0) {
				for (const char *c = text; *c; c++) {
					if (write(fd, c, 1) != 1)
						break;
					usleep(20000);
				}
				if (write(fd, "\r", 1) != 1)
					fprintf(stderr, "gb-serial-io: could not type into the guest\n");
				marker = NULL;
			}
		}
	}
	free(tail);
	close(fd);
	return 0;
}
