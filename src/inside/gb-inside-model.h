/* gb-inside-model.h — the hypervisor's counters for one machine, as rates
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "gb-machine.h"

G_BEGIN_DECLS

/* Why vCPUs left the guest, the stacks of the Inside page's graph. */
typedef enum {
  GB_INSIDE_REASON_IO,          /* port I/O (IN/OUT) */
  GB_INSIDE_REASON_MMIO,        /* a load or store to emulated memory */
  GB_INSIDE_REASON_HLT,         /* the guest went to sleep */
  GB_INSIDE_REASON_IRQ_WINDOW,  /* waiting until the guest can take an interrupt */
  GB_INSIDE_REASON_EXTERNAL,    /* a host interrupt arrived while the guest ran */
  GB_INSIDE_REASON_OTHER,       /* everything else KVM counted */
  GB_INSIDE_N_REASONS
} GbInsideReason;

/* How guest-physical addresses become host-physical ones on this host. */
typedef enum {
  GB_INSIDE_PAGING_UNKNOWN,
  GB_INSIDE_PAGING_EPT,         /* Intel VT-x extended page tables */
  GB_INSIDE_PAGING_NPT,         /* AMD-V nested page tables */
  GB_INSIDE_PAGING_SHADOW,      /* shadow page tables, no PVM */
  GB_INSIDE_PAGING_SHADOW_PVM,  /* PVM: KVM without VT-x/AMD-V, shadow paging */
} GbInsidePaging;

/* How many one-second samples the graphs keep. */
#define GB_INSIDE_HISTORY 60

#define GB_TYPE_INSIDE_MODEL (gb_inside_model_get_type ())
G_DECLARE_FINAL_TYPE (GbInsideModel, gb_inside_model, GB, INSIDE_MODEL, GObject)

/* Translated, for legends. */
const char     *gb_inside_reason_to_string        (GbInsideReason  reason);
/* Reads /sys/module once: kvm_pvm, kvm_intel's ept, kvm_amd's npt. */
GbInsidePaging  gb_inside_host_paging             (void);

GbInsideModel  *gb_inside_model_new               (GbMachine      *machine);
GbMachine      *gb_inside_model_get_machine       (GbInsideModel  *self);
void            gb_inside_model_set_machine       (GbInsideModel  *self,
                                                   GbMachine      *machine);
/* Sampling happens only while enabled (the page enables it while mapped). */
gboolean        gb_inside_model_get_enabled       (GbInsideModel  *self);
void            gb_inside_model_set_enabled       (GbInsideModel  *self,
                                                   gboolean        enabled);
guint           gb_inside_model_get_interval      (GbInsideModel  *self);
void            gb_inside_model_set_interval      (GbInsideModel  *self,
                                                   guint           interval_ms);
/* Asks once now (whether enabled or not); "sampled" follows. */
void            gb_inside_model_sample            (GbInsideModel  *self);

/* TRUE once a sample arrived; error says why not, when one failed. */
gboolean        gb_inside_model_get_available     (GbInsideModel  *self);
const char     *gb_inside_model_get_error         (GbInsideModel  *self);
/* "kvm" or "tcg" (no VM exits: QEMU translates guest code itself). */
const char     *gb_inside_model_get_accelerator   (GbInsideModel  *self);
guint           gb_inside_model_get_n_samples     (GbInsideModel  *self);
JsonObject     *gb_inside_model_get_last          (GbInsideModel  *self);

/* Exits of every vCPU together. */
double          gb_inside_model_get_exits_rate    (GbInsideModel  *self);
guint64         gb_inside_model_get_exits         (GbInsideModel  *self);
double          gb_inside_model_get_reason_rate   (GbInsideModel  *self,
                                                   GbInsideReason  reason);
guint64         gb_inside_model_get_reason_total  (GbInsideModel  *self,
                                                   GbInsideReason  reason);
/* Copies the last (up to GB_INSIDE_HISTORY) per-second rates of @reason,
 * oldest first, into @out; returns how many. */
guint           gb_inside_model_get_history       (GbInsideModel  *self,
                                                   GbInsideReason  reason,
                                                   double         *out);
/* KVM's halt polling: polls tried and polls that caught a wake-up, per second. */
double          gb_inside_model_get_halt_poll_rate         (GbInsideModel *self);
double          gb_inside_model_get_halt_poll_success_rate (GbInsideModel *self);

/* GbInsideItem rows, updated in place from sample to sample. */
GListModel     *gb_inside_model_get_vcpus         (GbInsideModel  *self);
GListModel     *gb_inside_model_get_devices       (GbInsideModel  *self);
GListModel     *gb_inside_model_get_queues        (GbInsideModel  *self);

guint64         gb_inside_model_get_memory_configured (GbInsideModel *self);
guint64         gb_inside_model_get_memory_resident   (GbInsideModel *self);
gboolean        gb_inside_model_get_hugepages         (GbInsideModel *self);
/* FALSE: guest RAM is private and offered to KSM (--ksm). */
gboolean        gb_inside_model_get_shareable         (GbInsideModel *self);
/* Host-wide, from /sys/kernel/mm/ksm; -1 where the kernel has no KSM. */
gint64          gb_inside_model_get_ksm_pages_shared  (GbInsideModel *self);
gint64          gb_inside_model_get_ksm_pages_sharing (GbInsideModel *self);
gboolean        gb_inside_model_get_ksm_running       (GbInsideModel *self);
/* This machine's own: bytes in huge pages (hugetlb and transparent) and
 * pages KSM merged, from its VMM process; -1 where it does not say. */
gint64          gb_inside_model_get_huge_bytes        (GbInsideModel *self);
gint64          gb_inside_model_get_ksm_merging_pages (GbInsideModel *self);

/* For tests and the Lab: the counters of one JSON sample, whatever the
 * provider.  Fills @totals[GB_INSIDE_N_REASONS] summed over the vCPUs and
 * returns all exits. */
guint64         gb_inside_count_exits             (JsonObject     *stats,
                                                   guint64        *totals);
/* Exits a device (by name, every range of it) handled; 0 if absent. */
guint64         gb_inside_count_device_exits      (JsonObject     *stats,
                                                   const char     *device);
/* Notifications, interrupts and requests of one virtqueue. */
/* The data a virtio-blk/-net queue moved ("bytes"); FALSE where the queue
 * does not count it. */
gboolean        gb_inside_queue_bytes             (JsonObject     *stats,
                                                   const char     *device,
                                                   guint           queue,
                                                   guint64        *bytes);
gboolean        gb_inside_count_queue             (JsonObject     *stats,
                                                   const char     *device,
                                                   guint           queue,
                                                   guint64        *notifications,
                                                   guint64        *interrupts,
                                                   guint64        *requests);

G_END_DECLS
