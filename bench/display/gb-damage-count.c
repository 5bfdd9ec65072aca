/* gb-damage-count.c: counts the frames an X client draws, from outside
 *
 * usage: gb-damage-count PID SECONDS
 * Finds the top-level windows whose _NET_WM_PID is PID, watches them with the
 * X DAMAGE extension for SECONDS and prints "frames N".  A frame is a burst
 * of damage: notifications closer than 3 ms to the previous one belong to
 * the same frame (a toolkit draws one frame as one or a few X requests, in a
 * row).  The same count applies to any client, GTK3 or GTK4, so two viewers
 * can be compared fairly.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "gb-x-damage.h"

int
main (int argc, char *argv[])
{
  Display *dpy;
  Window root, parent, *children = NULL;
  unsigned int n_children = 0;
  int pid, watched = 0;
  double seconds, end, last = 0;
  long frames = 0;
  GbXDamage xd;

  if (argc != 3)
    {
      fprintf (stderr, "usage: %s PID SECONDS\n", argv[0]);
      return 2;
    }
  pid = atoi (argv[1]);
  seconds = atof (argv[2]);

  dpy = XOpenDisplay (NULL);
  if (dpy == NULL || !gb_x_damage_init (&xd, dpy))
    {
      fprintf (stderr, "no X display with DAMAGE\n");
      return 1;
    }

  XQueryTree (dpy, DefaultRootWindow (dpy), &root, &parent, &children, &n_children);
  for (unsigned int i = 0; i < n_children; i++)
    {
      XWindowAttributes attrs;

      if (gb_x_window_pid (&xd, children[i]) != pid)
        continue;
      if (!XGetWindowAttributes (dpy, children[i], &attrs) || attrs.map_state != IsViewable)
        continue;
      gb_x_damage_watch (&xd, children[i]);
      watched++;
    }
  if (children)
    XFree (children);
  if (watched == 0)
    {
      fprintf (stderr, "no mapped window of pid %d\n", pid);
      return 1;
    }
  XSync (dpy, False);

  end = gb_x_now () + seconds;
  for (;;)
    {
      XEvent ev;
      double t;

      if (!gb_x_wait_event (dpy, &ev, end))
        break;
      /* A burst of notifications closer than 3 ms is one frame. */
      if (!gb_x_damage_take (&xd, &ev))
        continue;
      t = gb_x_now ();
      if (t - last > 0.003)
        frames++;
      last = t;
    }

  printf ("frames %ld\n", frames);
  return 0;
}
