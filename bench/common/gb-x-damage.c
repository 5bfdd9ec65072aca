/* gb-x-damage.c: watching an X client's windows draw, from outside
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gb-x-damage.h"

#include <poll.h>
#include <time.h>

#include <X11/Xatom.h>
#include <X11/extensions/Xdamage.h>

double
gb_x_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
gb_x_damage_init (GbXDamage *xd,
                  Display   *dpy)
{
  int damage_error;

  xd->dpy = dpy;
  xd->pid_atom = XInternAtom (dpy, "_NET_WM_PID", False);
  return XDamageQueryExtension (dpy, &xd->damage_event, &damage_error);
}

int
gb_x_window_pid (GbXDamage *xd,
                 Window     w)
{
  Atom type;
  int format;
  unsigned long n, after;
  unsigned char *data = NULL;
  int pid = -1;

  if (XGetWindowProperty (xd->dpy, w, xd->pid_atom, 0, 1, False, XA_CARDINAL, &type, &format,
                          &n, &after, &data) == Success && data != NULL && n == 1)
    pid = (int) *(unsigned long *) data;
  if (data)
    XFree (data);
  return pid;
}

void
gb_x_damage_watch (GbXDamage *xd,
                   Window     w)
{
  XDamageCreate (xd->dpy, w, XDamageReportNonEmpty);
}

int
gb_x_damage_take (GbXDamage *xd,
                  XEvent    *ev)
{
  if (ev->type != xd->damage_event + XDamageNotify)
    return 0;
  XDamageSubtract (xd->dpy, ((XDamageNotifyEvent *) ev)->damage, None, None);
  return 1;
}

int
gb_x_wait_event (Display *dpy,
                 XEvent  *ev,
                 double   until)
{
  while (!XPending (dpy))
    {
      struct pollfd p = { ConnectionNumber (dpy), POLLIN, 0 };
      int ms = (int) ((until - gb_x_now ()) * 1000);

      if (ms <= 0)
        return 0;
      poll (&p, 1, ms);
    }
  XNextEvent (dpy, ev);
  return 1;
}
