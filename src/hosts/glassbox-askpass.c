/* glassbox-askpass.c — ssh's SSH_ASKPASS program, asking through the app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libvirt's qemu+ssh:// transport runs ssh(1) as a child of the app, with
 * no terminal; ssh then runs $SSH_ASKPASS with its prompt ("Enter
 * passphrase for key …", "root@host's password:") as the only argument and
 * reads the answer from its standard output. GbAskpass (gb-askpass.c)
 * listens on the abstract UNIX socket "glassbox-askpass-<app pid>". libvirt
 * passes only a few variables on to ssh, so the socket is not named in the
 * environment: this program looks for it at each of its ancestors (ssh, then
 * the app) in turn.
 *
 * Protocol: the prompt, then end of writing; the app answers "1" and the
 * secret, or "0" when the user cancelled. Exit status 0 with the secret and
 * a newline on standard output, 1 otherwise (ssh then gives up).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_ANSWER 4096

static pid_t
parent_of (pid_t pid)
{
  char path[64];
  char line[256];
  FILE *f;
  long ppid = -1;

  snprintf (path, sizeof path, "/proc/%ld/status", (long) pid);
  f = fopen (path, "re");
  if (f == NULL)
    return -1;
  while (fgets (line, sizeof line, f))
    if (sscanf (line, "PPid: %ld", &ppid) == 1)
      break;
  fclose (f);
  return (pid_t) ppid;
}

static int
connect_to (pid_t pid)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int len;

  if (fd < 0)
    return -1;
  /* Abstract: sun_path starts with a NUL byte, the name is not terminated. */
  len = snprintf (addr.sun_path + 1, sizeof addr.sun_path - 1, "glassbox-askpass-%ld", (long) pid);
  if (connect (fd, (struct sockaddr *) &addr, offsetof (struct sockaddr_un, sun_path) + 1 + len) < 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

static int
write_all (int         fd,
           const char *buf,
           size_t      len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, buf, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return -1;
      buf += n;
      len -= (size_t) n;
    }
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  const char *prompt = argc > 1 ? argv[1] : "";
  char answer[MAX_ANSWER + 1];
  size_t got = 0;
  pid_t pid = getppid ();
  int fd = -1;

  /* ssh's parent is the app; a wrapper in between is allowed. */
  for (int depth = 0; depth < 4 && pid > 1 && fd < 0; depth++)
    {
      fd = connect_to (pid);
      if (fd < 0)
        pid = parent_of (pid);
    }
  if (fd < 0)
    {
      fprintf (stderr, "glassbox-askpass: Glassbox is not asking for this (no app found above process %ld)\n",
               (long) getppid ());
      return 1;
    }

  if (write_all (fd, prompt, strlen (prompt)) < 0 || shutdown (fd, SHUT_WR) < 0)
    {
      close (fd);
      return 1;
    }
  while (got < MAX_ANSWER)
    {
      ssize_t n = read (fd, answer + got, MAX_ANSWER - got);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      got += (size_t) n;
    }
  close (fd);
  if (got < 1 || answer[0] != '1')
    return 1;
  answer[got] = '\0';
  if (write_all (STDOUT_FILENO, answer + 1, got - 1) < 0 || write_all (STDOUT_FILENO, "\n", 1) < 0)
    return 1;
  explicit_bzero (answer, sizeof answer);
  return 0;
}
