/* gb-inside-item-private.h — what GbInsideModel writes into its rows
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gb-inside-item.h"

G_BEGIN_DECLS

typedef struct {
  const char *detail;
  guint64     exits;
  double      exits_rate;
  double      halted;
  double      in_vmm;      /* vCPU: share of the last second in the VMM */
  guint64     kicks, interrupts, requests;
  double      kicks_rate, interrupts_rate, requests_rate;
  gboolean    has_bytes;   /* the queue counts the data it moves */
  guint64     bytes;
  double      bytes_rate;
} GbInsideItemValues;

GbInsideItem *_gb_inside_item_new    (GbInsideItemKind          kind,
                                      const char               *name);
/* Sets every value and notifies only the properties that changed. */
void          _gb_inside_item_update (GbInsideItem             *self,
                                      const GbInsideItemValues *values);

G_END_DECLS
