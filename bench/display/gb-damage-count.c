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
#include <poll.h>
#include <time.h>

#include <X11/Xlib.h>
#include <X11/Xatom.h>
#include <X11/extensions/Xdamage.h>

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
window_pid (Display *dpy, Window w, Atom pid_atom)
{
  Atom type;
  int format;
  unsigned long n, after;
  unsigned char *data = NULL;
  int pid = -1;

  if (XGetWindowProperty (dpy, w, pid_atom, 0, 1, False, XA_CARDINAL, &type, &format,
                          &n, &after, &data) == Success && data != NULL && n == 1)
    pid = (int) *(unsigned long *) data;
  if (data)
    XFree (data);
  return pid;
}

int
main (int argc, char *argv[])
{
  Display *dpy;
  Window root, parent, *children = NULL;
  unsigned int n_children = 0;
  int pid, damage_event, damage_error, watched = 0;
  double seconds, end, last = 0;
  long frames = 0;
  Atom pid_atom;

  if (argc != 3)
    {
      fprintf (stderr, "usage: %s PID SECONDS\n", argv[0]);
      return 2;
    }
  pid = atoi (argv[1]);
  seconds = atof (argv[2]);

  dpy = XOpenDisplay (NULL);
  if (dpy == NULL || !XDamageQueryExtension (dpy, &damage_event, &damage_error))
    {
      fprintf (stderr, "no X display with DAMAGE\n");
      return 1;
    }
  pid_atom = XInternAtom (dpy, "_NET_WM_PID", False);

  XQueryTree (dpy, DefaultRootWindow (dpy), &root, &parent, &children, &n_children);
  for (unsigned int i = 0; i < n_children; i++)
    {
      XWindowAttributes attrs;

      if (window_pid (dpy, children[i], pid_atom) != pid)
        continue;
      if (!XGetWindowAttributes (dpy, children[i], &attrs) || attrs.map_state != IsViewable)
        continue;
      XDamageCreate (dpy, children[i], XDamageReportNonEmpty);
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

  end = now () + seconds;
  while (now () < end)
    {
      struct pollfd pfd = { ConnectionNumber (dpy), POLLIN, 0 };

      if (XPending (dpy) == 0)
        {
          poll (&pfd, 1, 50);
          continue;
        }
      while (XPending (dpy) > 0)
        {
          XEvent ev;

          XNextEvent (dpy, &ev);
          if (ev.type == damage_event + XDamageNotify)
            {
              XDamageNotifyEvent *dev = (XDamageNotifyEvent *) &ev;
              double t = now ();

              /* Re-arm: the next drawing reports again. */
              XDamageSubtract (dpy, dev->damage, None, None);
              if (t - last > 0.003)
                frames++;
              last = t;
            }
        }
    }

  printf ("frames %ld\n", frames);
  return 0;
}
