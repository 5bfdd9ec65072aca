/* gb-x-damage.h: watching an X client's windows draw, from outside
 *
 * What the benchmarks that time a GUI program through the X server share
 * (bench/startup/gb-first-window.c, bench/display/gb-damage-count.c): a
 * window's owner by _NET_WM_PID, the X DAMAGE extension's notifications
 * (one per drawing, re-armed after each), and waiting for X events with a
 * deadline.  Plain Xlib, so it watches a GTK 3 and a GTK 4 client alike.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <X11/Xlib.h>

typedef struct {
  Display *dpy;
  Atom     pid_atom;      /* _NET_WM_PID */
  int      damage_event;  /* the DAMAGE extension's first event number */
} GbXDamage;

/* Monotonic seconds. */
double gb_x_now (void);

/* Fills @xd for @dpy; 0 when the X server has no DAMAGE extension. */
int    gb_x_damage_init (GbXDamage *xd,
                         Display   *dpy);

/* The _NET_WM_PID of window @w, or -1. */
int    gb_x_window_pid (GbXDamage *xd,
                        Window     w);

/* Reports every drawing into @w (XDamageReportNonEmpty). */
void   gb_x_damage_watch (GbXDamage *xd,
                          Window     w);

/* 1 when @ev is a DAMAGE notification (then re-armed: the next drawing
 * reports again), 0 for any other event. */
int    gb_x_damage_take (GbXDamage *xd,
                         XEvent    *ev);

/* The next X event into @ev, waiting until @until (gb_x_now() seconds);
 * 0 when none came by then. */
int    gb_x_wait_event (Display *dpy,
                        XEvent  *ev,
                        double   until);
