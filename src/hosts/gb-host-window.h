/* gb-host-window.h — one libvirt connection's host: facts, live graphs, storage, networks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "gb-libvirt-provider.h"
#include "gb-storage-page.h"

G_BEGIN_DECLS

#define GB_TYPE_HOST_WINDOW (gb_host_window_get_type ())
G_DECLARE_FINAL_TYPE (GbHostWindow, gb_host_window, GB, HOST_WINDOW, AdwWindow)

GbHostWindow  *gb_host_window_new              (GtkWindow         *parent,
                                                GbLibvirtProvider *provider);
GbLibvirtProvider *gb_host_window_get_provider (GbHostWindow      *self);
GbStoragePage *gb_host_window_get_storage_page (GbHostWindow      *self);
/* "overview", "storage" or "networks" */
void           gb_host_window_show_page        (GbHostWindow      *self,
                                                const char        *name);
/* TRUE once the host's facts are shown; the samples taken so far. */
gboolean       gb_host_window_get_loaded       (GbHostWindow      *self);
guint          gb_host_window_get_n_samples    (GbHostWindow      *self);

G_END_DECLS
