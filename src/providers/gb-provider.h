/* gb-provider.h — a source of machines: one libvirt connection, or the bundled backend
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _GbMachine GbMachine;
typedef struct _GbCreatorBackend GbCreatorBackend;

typedef enum {
  GB_PROVIDER_STATE_DISCONNECTED,
  GB_PROVIDER_STATE_CONNECTING,
  GB_PROVIDER_STATE_CONNECTED,
} GbProviderState;

#define GB_TYPE_PROVIDER_STATE (gb_provider_state_get_type ())
GType gb_provider_state_get_type (void) G_GNUC_CONST;

#define GB_TYPE_PROVIDER (gb_provider_get_type ())
G_DECLARE_DERIVABLE_TYPE (GbProvider, gb_provider, GB, PROVIDER, GObject)

struct _GbProviderClass
{
  GObjectClass parent_class;

  void       (*connect_async)      (GbProvider          *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data);
  gboolean   (*connect_finish)     (GbProvider          *self,
                                    GAsyncResult        *result,
                                    GError             **error);
  void       (*disconnect)         (GbProvider          *self);
  /* Called when the stats interval changes (0 = off). */
  void       (*stats_interval_changed) (GbProvider      *self);
  /* What the New Machine wizard and the New Disk dialog need of this kind
   * of provider (its host's capabilities, storage, networks; defining
   * machines and making disks): a new GbCreatorBackend, or NULL (the
   * default) where machines cannot be made. */
  GbCreatorBackend *(*new_creator) (GbProvider          *self);
  /* Whether the Host Details and Virtual Networks windows apply to this
   * provider (a libvirt connection); the default: no. */
  gboolean   (*has_host_details)   (GbProvider          *self);

  /*< private >*/
  gpointer padding[6];
};

const char      *gb_provider_get_title          (GbProvider          *self);
const char      *gb_provider_get_uri            (GbProvider          *self);
GbProviderState  gb_provider_get_state          (GbProvider          *self);
gboolean         gb_provider_get_transient      (GbProvider          *self);
const char      *gb_provider_get_error          (GbProvider          *self);
GListModel      *gb_provider_get_machines       (GbProvider          *self);

void             gb_provider_connect_async      (GbProvider          *self,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean         gb_provider_connect_finish     (GbProvider          *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);
void             gb_provider_disconnect         (GbProvider          *self);

GbMachine       *gb_provider_find_machine       (GbProvider          *self,
                                                 const char          *name_or_uuid);

gboolean         gb_provider_can_create         (GbProvider          *self);
GbCreatorBackend *gb_provider_new_creator       (GbProvider          *self);
gboolean         gb_provider_has_host_details   (GbProvider          *self);

guint            gb_provider_get_stats_interval (GbProvider          *self);
void             gb_provider_set_stats_interval (GbProvider          *self,
                                                 guint                msec);

G_END_DECLS
