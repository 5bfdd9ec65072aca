/* gb-api-call.c — the smallest client of the glassbox-vmm control socket,
 * for scripts that run where neither socat nor `nc -U` exists (busybox's nc
 * has no UNIX sockets): the nested test bed's outer guest.
 *
 *   gb-api-call SOCKET COMMAND[=ARGUMENTS]...
 *
 * Waits up to 10 s for SOCKET to accept, sends each COMMAND as
 * {"execute": COMMAND, "id": N} (with "arguments": ARGUMENTS, a JSON
 * object, when given: screendump='{"filename":"/tmp/s.ppm"}') and prints every line the VMM sends (the
 * greeting, events, replies) until the reply to the last command.  Exit
 * status 0 when every reply was a "return", 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static FILE *
connect_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path))
		return NULL;
	strcpy(sa.sun_path, path);
	for (int tries = 0; tries < 100; tries++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return NULL;
		if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0)
			return fdopen(fd, "r+");
		close(fd);
		usleep(100000);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	char line[65536];
	int status = 0;
	FILE *f;

	if (argc < 3) {
		fprintf(stderr, "usage: gb-api-call SOCKET COMMAND[=ARGUMENTS]...\n");
		return 2;
	}
	f = connect_socket(argv[1]);
	if (f == NULL) {
		fprintf(stderr, "gb-api-call: cannot connect to %s\n", argv[1]);
		return 1;
	}
	setvbuf(f, NULL, _IONBF, 0);
	for (int i = 2; i < argc; i++) {
		const char *args = strchr(argv[i], '=');
		char want[32];

		if (args)
			fprintf(f, "{\"execute\":\"%.*s\",\"arguments\":%s,\"id\":%d}\n",
			        (int) (args - argv[i]), argv[i], args + 1, i);
		else
			fprintf(f, "{\"execute\":\"%s\",\"id\":%d}\n", argv[i], i);
		fflush(f);
		snprintf(want, sizeof(want), "\"id\":%d}", i);
		for (;;) {
			if (fgets(line, sizeof(line), f) == NULL) {
				fprintf(stderr, "gb-api-call: the VMM closed the socket\n");
				fclose(f);
				return 1;
			}
			fputs(line, stdout);
			if (strstr(line, want)) {
				if (strncmp(line, "{\"return\"", 9) != 0)
					status = 1;
				break;
			}
		}
	}
	fflush(stdout);
	fclose(f);
	return status;
}
