/* gb-inside-page.h — the Inside page: a machine as its hypervisor sees it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "gb-inside-model.h"
#include "gb-machine.h"

G_BEGIN_DECLS

#define GB_TYPE_INSIDE_PAGE (gb_inside_page_get_type ())
G_DECLARE_FINAL_TYPE (GbInsidePage, gb_inside_page, GB, INSIDE_PAGE, GtkWidget)

GtkWidget     *gb_inside_page_new         (void);
GbMachine     *gb_inside_page_get_machine (GbInsidePage *self);
void           gb_inside_page_set_machine (GbInsidePage *self,
                                           GbMachine    *machine);
/* The model behind the page; it samples while the page is mapped. */
GbInsideModel *gb_inside_page_get_model   (GbInsidePage *self);

G_END_DECLS
