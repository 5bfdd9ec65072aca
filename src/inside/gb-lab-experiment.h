/* gb-lab-experiment.h — one of the Lab's experiments: run tiny guests, count
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "gb-machine.h"

G_BEGIN_DECLS

typedef enum {
  GB_LAB_SERIAL_VS_VIRTIO,   /* the same 4 KiB through the 8250 and virtio-console */
  GB_LAB_HLT_VS_SPIN,        /* an idle guest that halts against one that spins */
  GB_LAB_ACCESS_COST,        /* port I/O vs MMIO vs a notification through ioeventfd */
  GB_LAB_PAGE_SIZES,         /* touching guest memory in 4 KiB and in 2 MiB pages */
  GB_LAB_KSM,                /* two guests with the same memory under KSM */
  GB_LAB_N_EXPERIMENTS
} GbLabExperimentKind;

typedef enum {
  GB_LAB_EXPERIMENT_READY,
  GB_LAB_EXPERIMENT_RUNNING,
  GB_LAB_EXPERIMENT_DONE,
  GB_LAB_EXPERIMENT_FAILED,
} GbLabExperimentState;

#define GB_TYPE_LAB_EXPERIMENT_STATE (gb_lab_experiment_state_get_type ())
GType gb_lab_experiment_state_get_type (void) G_GNUC_CONST;

#define GB_TYPE_LAB_EXPERIMENT (gb_lab_experiment_get_type ())
G_DECLARE_FINAL_TYPE (GbLabExperiment, gb_lab_experiment, GB, LAB_EXPERIMENT, GObject)

GbLabExperiment      *gb_lab_experiment_new            (GbLabExperimentKind kind);
GbLabExperimentKind   gb_lab_experiment_get_kind       (GbLabExperiment  *self);
/* Translated. */
const char           *gb_lab_experiment_get_title      (GbLabExperiment  *self);
const char           *gb_lab_experiment_get_question   (GbLabExperiment  *self);
GbLabExperimentState  gb_lab_experiment_get_state      (GbLabExperiment  *self);
/* What happens now ("Writing to the serial port…"), live figures included. */
const char           *gb_lab_experiment_get_status     (GbLabExperiment  *self);
/* The machine of the run in progress (for a live Inside view), or NULL. */
GbMachine            *gb_lab_experiment_get_machine    (GbLabExperiment  *self);

void                  gb_lab_experiment_run_async      (GbLabExperiment     *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean              gb_lab_experiment_run_finish     (GbLabExperiment     *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* The result table, once DONE: rows are the guests run, columns what was
 * counted, every value from the VMM's own counters (or /proc for CPU). */
guint                 gb_lab_experiment_get_n_rows       (GbLabExperiment *self);
guint                 gb_lab_experiment_get_n_columns    (GbLabExperiment *self);
const char           *gb_lab_experiment_get_row_title    (GbLabExperiment *self,
                                                          guint            row);
const char           *gb_lab_experiment_get_column_title (GbLabExperiment *self,
                                                          guint            column);
double                gb_lab_experiment_get_value        (GbLabExperiment *self,
                                                          guint            row,
                                                          guint            column);
char                 *gb_lab_experiment_format_value     (GbLabExperiment *self,
                                                          guint            row,
                                                          guint            column);
/* The headline comparison (serial exits per virtio exit, spinning CPU per
 * halting CPU) and a sentence saying it; translated. */
double                gb_lab_experiment_get_ratio        (GbLabExperiment *self);
char                 *gb_lab_experiment_get_conclusion   (GbLabExperiment *self);

G_END_DECLS
