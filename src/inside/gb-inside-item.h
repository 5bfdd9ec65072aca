/* gb-inside-item.h — one row of the Inside view: a vCPU, a device or a virtqueue
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
  GB_INSIDE_ITEM_VCPU,
  GB_INSIDE_ITEM_DEVICE,
  GB_INSIDE_ITEM_QUEUE,
} GbInsideItemKind;

#define GB_TYPE_INSIDE_ITEM_KIND (gb_inside_item_kind_get_type ())
GType gb_inside_item_kind_get_type (void) G_GNUC_CONST;

#define GB_TYPE_INSIDE_ITEM (gb_inside_item_get_type ())
G_DECLARE_FINAL_TYPE (GbInsideItem, gb_inside_item, GB, INSIDE_ITEM, GObject)

/* What a row counts.  For a vCPU, "exits" are every VM exit (KVM's own
 * counter where the kernel has one, else the ones that reached the VMM);
 * for a device, the accesses it handled in the VMM; for a virtqueue,
 * notifications (kicks), interrupts and requests. */
GbInsideItemKind gb_inside_item_get_kind            (GbInsideItem *self);
const char      *gb_inside_item_get_name            (GbInsideItem *self);
/* vCPU: "running", "halted", "in-vmm", "paused" or "offline"; device: "pio" or
 * "mmio"; virtio device queue: "msix", "intx" or "none" (interrupt path). */
const char      *gb_inside_item_get_detail          (GbInsideItem *self);
double           gb_inside_item_get_exits_rate      (GbInsideItem *self);
guint64          gb_inside_item_get_exits           (GbInsideItem *self);
double           gb_inside_item_get_halted          (GbInsideItem *self);
/* vCPU: the share of the last second its thread spent in the VMM handling
 * exits (glassbox-vmm's vmm-ns); 0 where nothing counts it. */
double           gb_inside_item_get_in_vmm          (GbInsideItem *self);
double           gb_inside_item_get_kicks_rate      (GbInsideItem *self);
double           gb_inside_item_get_interrupts_rate (GbInsideItem *self);
double           gb_inside_item_get_requests_rate   (GbInsideItem *self);
guint64          gb_inside_item_get_kicks           (GbInsideItem *self);
guint64          gb_inside_item_get_interrupts      (GbInsideItem *self);
guint64          gb_inside_item_get_requests        (GbInsideItem *self);
/* The data a virtio-blk/-net queue, or a device (the UART, a virtio disk
 * or NIC), moved — disk data, frames without their virtio-net header,
 * characters — in all and per second; FALSE where nothing counts it. */
gboolean         gb_inside_item_get_has_bytes       (GbInsideItem *self);
guint64          gb_inside_item_get_bytes           (GbInsideItem *self);
double           gb_inside_item_get_bytes_rate      (GbInsideItem *self);

G_END_DECLS
