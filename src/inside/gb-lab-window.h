/* gb-lab-window.h — the Lab: experiments that show what the hypervisor does
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define GB_TYPE_LAB_WINDOW (gb_lab_window_get_type ())
G_DECLARE_FINAL_TYPE (GbLabWindow, gb_lab_window, GB, LAB_WINDOW, AdwWindow)

GtkWindow *gb_lab_window_new (GtkWindow *parent);
/* Runs experiment @index (0: serial vs virtio-console) as if its Run
 * button was pressed. */
void       gb_lab_window_run (GbLabWindow *self,
                              guint        index);

/* The experiment behind panel @index. */
struct _GbLabExperiment *gb_lab_window_get_experiment (GbLabWindow *self,
                                                       guint        index);

G_END_DECLS
