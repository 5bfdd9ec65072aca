/* gb-first-window.c: how long a GUI program takes to show its first window,
 * and how much memory it holds once it has
 *
 * usage: gb-first-window SETTLE_SECONDS PROGRAM [ARGS…]
 * Starts PROGRAM and watches the X server (no window manager: Xvfb) for the
 * first top-level window mapped whose _NET_WM_PID is the program's, then
 * waits until no window of it has been drawn (X DAMAGE) for SETTLE_SECONDS,
 * so that whatever the window loads on its own after the first frame is
 * counted.  Prints one line
 *   window SECONDS settled SECONDS rss KIB anon KIB
 * (seconds from fork to the map, and to the end of drawing; VmRSS and
 * RssAnon of the program's process at that moment), then kills it.  The
 * same for any client, GTK 3 or GTK 4, so programs compare fairly.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gb-x-damage.h"

static long
status_kib (pid_t pid, const char *field)
{
  char path[64], line[256];
  long v = -1;
  FILE *f;

  snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
  if ((f = fopen (path, "r")) == NULL)
    return -1;
  while (fgets (line, sizeof line, f))
    if (!strncmp (line, field, strlen (field)) && line[strlen (field)] == ':')
      v = strtol (line + strlen (field) + 1, NULL, 10);
  fclose (f);
  return v;
}

int
main (int argc, char **argv)
{
  Display *dpy = NULL;
  GbXDamage xd;
  double settle, t0, t_window = -1, last_damage, deadline;
  pid_t child;
  XEvent ev;

  if (argc < 3)
    {
      fprintf (stderr, "usage: gb-first-window SETTLE_SECONDS PROGRAM [ARGS…] (under X)\n");
      return 2;
    }
  /* Xvfb resets when its last client has gone (the program measured
   * before): a connection during the reset is refused, so try for 10 s.
   * The clock starts after this. */
  for (int i = 0; i < 100 && (dpy = XOpenDisplay (NULL)) == NULL; i++)
    usleep (100000);
  if (dpy == NULL)
    {
      fprintf (stderr, "gb-first-window: cannot open the X display %s\n",
               getenv ("DISPLAY") ? getenv ("DISPLAY") : "(DISPLAY is not set)");
      return 2;
    }
  settle = atof (argv[1]);
  if (!gb_x_damage_init (&xd, dpy))
    {
      fprintf (stderr, "gb-first-window: no DAMAGE extension\n");
      return 2;
    }
  XSelectInput (dpy, DefaultRootWindow (dpy), SubstructureNotifyMask);
  XSync (dpy, False);

  t0 = gb_x_now ();
  child = fork ();
  if (child == 0)
    {
      execvp (argv[2], argv + 2);
      perror (argv[2]);
      _exit (127);
    }

  /* The first mapped top-level window of the child. */
  deadline = t0 + 120;
  while (t_window < 0)
    {
      if (!gb_x_wait_event (dpy, &ev, deadline))
        {
          fprintf (stderr, "gb-first-window: %s showed no window in 120 s\n", argv[2]);
          kill (child, SIGKILL);
          waitpid (child, NULL, 0);
          return 1;
        }
      if (ev.type == MapNotify && gb_x_window_pid (&xd, ev.xmap.window) == child)
        {
          t_window = gb_x_now () - t0;
          gb_x_damage_watch (&xd, ev.xmap.window);
        }
    }

  /* Then until it stops drawing (new windows of it are watched too). */
  last_damage = gb_x_now ();
  deadline = last_damage + 60;
  for (;;)
    {
      double until = last_damage + settle < deadline ? last_damage + settle : deadline;

      if (!gb_x_wait_event (dpy, &ev, until))
        break;
      if (gb_x_damage_take (&xd, &ev))
        last_damage = gb_x_now ();
      else if (ev.type == MapNotify && gb_x_window_pid (&xd, ev.xmap.window) == child)
        gb_x_damage_watch (&xd, ev.xmap.window);
    }

  printf ("window %.3f settled %.3f rss %ld anon %ld\n", t_window, last_damage - t0,
          status_kib (child, "VmRSS"), status_kib (child, "RssAnon"));
  fflush (stdout);
  kill (child, SIGTERM);
  for (int i = 0; i < 50 && waitpid (child, NULL, WNOHANG) == 0; i++)
    usleep (100000);
  kill (child, SIGKILL);
  waitpid (child, NULL, 0);
  XCloseDisplay (dpy);
  return 0;
}
