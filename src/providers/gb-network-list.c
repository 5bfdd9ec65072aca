/* gb-network-list.c — a libvirt connection's virtual networks, as a GListModel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Follows the provider: when it connects, the list takes a reference on the
 * same virConnectPtr, registers for network lifecycle events and lists the
 * networks (both in a worker thread: each is a round trip to the daemon);
 * when it disconnects, the list empties. After the listing, only events
 * change it: each event re-reads that one network in a worker thread, and a
 * network libvirt no longer knows is removed. Events that arrive while the
 * listing is under way are replayed after it, so nothing is missed between
 * registering and listing.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <libvirt/virterror.h>

#include "gb-libvirt-private.h"
#include "gb-network-list.h"
#include "gb-network-private.h"

struct _GbNetworkList
{
  GObject            parent_instance;

  GbLibvirtProvider *provider;
  gulong             state_handler;

  virConnectPtr      conn;          /* a reference on the provider's connection */
  int                event_id;
  GListStore        *store;         /* GbNetwork, by name */
  GHashTable        *by_uuid;       /* uuid → GbNetwork (the store owns them) */
  GHashTable        *serials;       /* uuid → the latest refresh asked for */
  GPtrArray         *pending;       /* virNetworkPtr of events during the listing */
  char              *error;
  guint              generation;    /* bumped on each new connection */
  guint              serial;
  guint              loaded : 1;
  guint              listing : 1;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (GbNetworkList, gb_network_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_PROVIDER,
  PROP_LOADED,
  PROP_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* GListModel: the store's, passed on */

static GType
get_item_type (GListModel *model)
{
  return GB_TYPE_NETWORK;
}

static guint
get_n_items (GListModel *model)
{
  return g_list_model_get_n_items (G_LIST_MODEL (GB_NETWORK_LIST (model)->store));
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  return g_list_model_get_item (G_LIST_MODEL (GB_NETWORK_LIST (model)->store), position);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
store_items_changed (GListModel    *store,
                     guint          position,
                     guint          removed,
                     guint          added,
                     GbNetworkList *self)
{
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
}

/* Letting go of a connection: a round trip, never on the main thread. */

typedef struct {
  virConnectPtr conn;
  int           event_id;
} ReleaseData;

static void
release_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  ReleaseData *rd = task_data;

  if (rd->event_id >= 0 && virConnectNetworkEventDeregisterAny (rd->conn, rd->event_id) < 0)
    virResetLastError ();
  virConnectClose (rd->conn);
  virResetLastError ();
  g_task_return_boolean (task, TRUE);
}

static void
release_in_thread (virConnectPtr conn,
                   int           event_id)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, NULL, NULL);
  ReleaseData *rd = g_new0 (ReleaseData, 1);

  rd->conn = conn;
  rd->event_id = event_id;
  g_task_set_task_data (task, rd, g_free);
  g_task_run_in_thread (task, release_thread);
}

static void
free_network (gpointer net)
{
  virNetworkFree (net);
}

/* Networks */

static int
compare_by_name (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  return g_utf8_collate (gb_network_get_name ((GbNetwork *) a), gb_network_get_name ((GbNetwork *) b));
}

static int
compare_by_name_indirect (gconstpointer a,
                          gconstpointer b,
                          gpointer      user_data)
{
  return compare_by_name (*(GbNetwork **) a, *(GbNetwork **) b, user_data);
}

static void
add_network (GbNetworkList       *self,
             const GbNetworkInfo *info)
{
  g_autoptr(GbNetwork) network = _gb_network_new (info);

  g_hash_table_insert (self->by_uuid, g_strdup (info->uuid), network);
  g_list_store_insert_sorted (self->store, network, compare_by_name, NULL);
}

static void
remove_network (GbNetworkList *self,
                const char    *uuid)
{
  GbNetwork *network = g_hash_table_lookup (self->by_uuid, uuid);
  guint position;

  if (network == NULL)
    return;
  if (g_list_store_find (self->store, network, &position))
    {
      g_hash_table_remove (self->by_uuid, uuid);
      g_list_store_remove (self->store, position);
    }
}

static void
apply_info (GbNetworkList       *self,
            const GbNetworkInfo *info)
{
  GbNetwork *network = g_hash_table_lookup (self->by_uuid, info->uuid);

  if (network == NULL)
    add_network (self, info);
  else
    _gb_network_apply_info (network, info);
}

/* Re-reading one network after an event */

typedef struct {
  virNetworkPtr  net;
  char          *uuid;
  guint          serial;
  guint          generation;
  GbNetworkInfo *info;
} RefreshData;

static void
refresh_data_free (gpointer data)
{
  RefreshData *rd = data;

  g_clear_pointer (&rd->net, virNetworkFree);
  g_clear_pointer (&rd->info, _gb_network_info_free);
  g_free (rd->uuid);
  g_free (rd);
}

static void
refresh_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  RefreshData *rd = task_data;
  GError *error = NULL;

  rd->info = _gb_network_info_fetch (rd->net, &error);
  if (rd->info == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
refresh_done (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GbNetworkList *self = GB_NETWORK_LIST (object);
  RefreshData *rd = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);

  /* A newer refresh of the same network, or another connection, wins. */
  if (rd->generation != self->generation ||
      GPOINTER_TO_UINT (g_hash_table_lookup (self->serials, rd->uuid)) != rd->serial)
    return;
  g_hash_table_remove (self->serials, rd->uuid);

  if (ok)
    apply_info (self, rd->info);
  else if (g_error_matches (error, GB_LIBVIRT_ERROR, VIR_ERR_NO_NETWORK))
    remove_network (self, rd->uuid);  /* undefined, or a transient one stopped */
  else
    g_debug ("Could not read network %s: %s", virNetworkGetName (rd->net), error->message);
}

static void
request_refresh (GbNetworkList *self,
                 virNetworkPtr  net)
{
  g_autoptr(GTask) task = NULL;
  char uuid[VIR_UUID_STRING_BUFLEN];
  RefreshData *rd;

  if (virNetworkGetUUIDString (net, uuid) < 0)
    {
      virResetLastError ();
      return;
    }

  rd = g_new0 (RefreshData, 1);
  virNetworkRef (net);
  rd->net = net;
  rd->uuid = g_strdup (uuid);
  rd->serial = ++self->serial;
  rd->generation = self->generation;
  g_hash_table_insert (self->serials, g_strdup (uuid), GUINT_TO_POINTER (rd->serial));

  task = g_task_new (self, NULL, refresh_done, NULL);
  g_task_set_source_tag (task, request_refresh);
  g_task_set_task_data (task, rd, refresh_data_free);
  g_task_run_in_thread (task, refresh_thread);
}

static void
network_event_cb (virConnectPtr  conn,
                  virNetworkPtr  net,
                  int            event,
                  int            detail,
                  void          *opaque)
{
  g_autoptr(GbNetworkList) self = g_weak_ref_get (opaque);
  char uuid[VIR_UUID_STRING_BUFLEN];
  GbNetwork *network;

  if (self == NULL || conn != self->conn)
    return;

  g_debug ("network %s: lifecycle event %d (detail %d)", virNetworkGetName (net), event, detail);

  if (self->listing)
    {
      virNetworkRef (net);
      g_ptr_array_add (self->pending, net);
      return;
    }

  /* The state at once; the rest (bridge, leases) when the re-read comes back. */
  if (virNetworkGetUUIDString (net, uuid) == 0 &&
      (network = g_hash_table_lookup (self->by_uuid, uuid)) != NULL)
    {
      if (event == VIR_NETWORK_EVENT_STARTED)
        _gb_network_set_active (network, TRUE);
      else if (event == VIR_NETWORK_EVENT_STOPPED)
        _gb_network_set_active (network, FALSE);
    }

  request_refresh (self, net);
}

/* Listing */

typedef struct {
  virConnectPtr  conn;
  int            event_id;
  GPtrArray     *infos;     /* GbNetworkInfo */
} ListData;

static void
list_data_free (gpointer data)
{
  ListData *ld = data;

  /* Not taken: the list moved on to another connection meanwhile. */
  if (ld->conn != NULL)
    release_in_thread (ld->conn, ld->event_id);
  g_clear_pointer (&ld->infos, g_ptr_array_unref);
  g_free (ld);
}

static void
list_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  ListData *ld = task_data;
  GError *error = NULL;
  virNetworkPtr *nets = NULL;
  GWeakRef *ref;
  int n;

  /* Events first, then the listing: nothing can happen in between unseen. */
  ref = gb_libvirt_weak_ref_new (source_object);
  ld->event_id = virConnectNetworkEventRegisterAny (ld->conn, NULL, VIR_NETWORK_EVENT_ID_LIFECYCLE,
                                                    VIR_NETWORK_EVENT_CALLBACK (network_event_cb),
                                                    ref, gb_libvirt_weak_ref_free);
  if (ld->event_id < 0)
    {
      gb_libvirt_weak_ref_free (ref);
      gb_libvirt_set_error (&error, NULL);
      g_task_return_error (task, error);
      return;
    }

  n = virConnectListAllNetworks (ld->conn, &nets, 0);
  if (n < 0)
    {
      gb_libvirt_set_error (&error, NULL);
      g_task_return_error (task, error);
      return;
    }

  ld->infos = g_ptr_array_new_with_free_func ((GDestroyNotify) _gb_network_info_free);
  for (int i = 0; i < n; i++)
    {
      g_autoptr(GError) info_error = NULL;
      GbNetworkInfo *info = _gb_network_info_fetch (nets[i], &info_error);

      /* One that vanished meanwhile is simply not listed. */
      if (info != NULL)
        g_ptr_array_add (ld->infos, info);
      else
        g_debug ("Skipping a network: %s", info_error->message);
      virNetworkFree (nets[i]);
    }
  free (nets);

  g_task_return_boolean (task, TRUE);
}

static void
set_error (GbNetworkList *self,
           const char    *message)
{
  if (g_strcmp0 (self->error, message) == 0)
    return;
  g_free (self->error);
  self->error = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

static void
set_loaded (GbNetworkList *self,
            gboolean       loaded)
{
  if (!self->loaded == !loaded)
    return;
  self->loaded = !!loaded;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
}

static void
list_done (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GbNetworkList *self = GB_NETWORK_LIST (object);
  ListData *ld = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);

  if (GPOINTER_TO_UINT (user_data) != self->generation)
    return;  /* list_data_free() lets go of that connection */

  self->listing = FALSE;
  pending = g_steal_pointer (&self->pending);
  self->pending = g_ptr_array_new_with_free_func (free_network);

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_debug ("Listing networks: %s", error->message);
      set_error (self, error->message);
      set_loaded (self, TRUE);
      return;
    }

  /* The connection's event registration is ours now. */
  self->event_id = ld->event_id;
  g_clear_pointer (&ld->conn, virConnectClose);

  for (guint i = 0; i < ld->infos->len; i++)
    {
      GbNetworkInfo *info = g_ptr_array_index (ld->infos, i);
      GbNetwork *network = _gb_network_new (info);

      g_hash_table_insert (self->by_uuid, g_strdup (info->uuid), network);
      g_ptr_array_add (added, network);
    }
  g_ptr_array_sort_with_data (added, (GCompareDataFunc) compare_by_name_indirect, NULL);
  /* One items-changed for the whole listing. */
  g_list_store_splice (self->store, 0, 0, added->pdata, added->len);

  for (guint i = 0; i < pending->len; i++)
    request_refresh (self, g_ptr_array_index (pending, i));

  set_error (self, NULL);
  set_loaded (self, TRUE);
}

static void
detach (GbNetworkList *self)
{
  self->generation++;
  self->listing = FALSE;
  g_ptr_array_set_size (self->pending, 0);
  g_hash_table_remove_all (self->serials);

  if (self->conn != NULL)
    {
      release_in_thread (g_steal_pointer (&self->conn), self->event_id);
      self->event_id = -1;
    }

  g_hash_table_remove_all (self->by_uuid);
  g_list_store_remove_all (self->store);
  set_loaded (self, FALSE);
}

static void
follow_provider (GbNetworkList *self)
{
  virConnectPtr handle = _gb_libvirt_provider_get_handle (GB_PROVIDER (self->provider));
  g_autoptr(GTask) task = NULL;
  ListData *ld;

  if (handle == self->conn)
    return;

  detach (self);
  if (handle == NULL)
    return;

  virConnectRef (handle);
  self->conn = handle;
  self->listing = TRUE;

  ld = g_new0 (ListData, 1);
  virConnectRef (handle);
  ld->conn = handle;
  ld->event_id = -1;

  task = g_task_new (self, NULL, list_done, GUINT_TO_POINTER (self->generation));
  g_task_set_source_tag (task, follow_provider);
  g_task_set_task_data (task, ld, list_data_free);
  g_task_run_in_thread (task, list_thread);
}

static void
provider_state_changed (GbNetworkList *self)
{
  follow_provider (self);
}

/* Creating */

typedef struct {
  virConnectPtr  conn;
  char          *xml;
  gboolean       autostart;
  gboolean       start;
  virNetworkPtr  net;
  char          *uuid;
} CreateData;

static void
create_data_free (gpointer data)
{
  CreateData *cd = data;

  g_clear_pointer (&cd->conn, virConnectClose);
  g_clear_pointer (&cd->net, virNetworkFree);
  g_free (cd->xml);
  g_free (cd->uuid);
  g_free (cd);
}

static void
create_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  CreateData *cd = task_data;
  GError *error = NULL;
  char uuid[VIR_UUID_STRING_BUFLEN];

  cd->net = virNetworkDefineXML (cd->conn, cd->xml);
  if (cd->net == NULL)
    goto fail;

  if ((cd->autostart && virNetworkSetAutostart (cd->net, 1) < 0) ||
      (cd->start && virNetworkCreate (cd->net) < 0))
    {
      /* Keep libvirt's reason, then take back the definition. */
      gb_libvirt_set_error (&error, NULL);
      if (virNetworkUndefine (cd->net) < 0)
        virResetLastError ();
      g_task_return_error (task, error);
      return;
    }

  if (virNetworkGetUUIDString (cd->net, uuid) < 0)
    goto fail;
  cd->uuid = g_strdup (uuid);
  g_task_return_boolean (task, TRUE);
  return;

fail:
  gb_libvirt_set_error (&error, NULL);
  g_task_return_error (task, error);
}

static void
create_done (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  GbNetworkList *self = GB_NETWORK_LIST (object);
  g_autoptr(GTask) outer = user_data;
  CreateData *cd = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (outer, g_steal_pointer (&error));
      return;
    }

  /* The "defined" event brings it too; reading it here as well keeps the
   * list right on a driver that is slow with its events. */
  if (virNetworkGetConnect (cd->net) == self->conn && !self->listing)
    request_refresh (self, cd->net);

  g_task_return_pointer (outer, g_strdup (cd->uuid), g_free);
}

void
gb_network_list_create_async (GbNetworkList            *self,
                              const GbNetworkSettings  *settings,
                              gboolean                  autostart,
                              gboolean                  start,
                              GCancellable             *cancellable,
                              GAsyncReadyCallback       callback,
                              gpointer                  user_data)
{
  g_autoptr(GTask) outer = NULL;
  g_autoptr(GTask) inner = NULL;
  g_autoptr(GVirConfigNetwork) config = NULL;
  GError *error = NULL;
  CreateData *cd;

  g_return_if_fail (GB_IS_NETWORK_LIST (self));
  g_return_if_fail (settings != NULL);

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, gb_network_list_create_async);

  if (self->conn == NULL)
    {
      g_task_return_new_error (outer, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                               _("The connection is closed."));
      return;
    }

  config = gb_network_config_build (settings, &error);
  if (config == NULL)
    {
      g_task_return_error (outer, error);
      return;
    }

  cd = g_new0 (CreateData, 1);
  virConnectRef (self->conn);
  cd->conn = self->conn;
  cd->xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (config));
  cd->autostart = autostart;
  cd->start = start;
  g_debug ("Defining network:\n%s", cd->xml);

  inner = g_task_new (self, cancellable, create_done, g_steal_pointer (&outer));
  g_task_set_source_tag (inner, gb_network_list_create_async);
  g_task_set_task_data (inner, cd, create_data_free);
  g_task_run_in_thread (inner, create_thread);
}

char *
gb_network_list_create_finish (GbNetworkList  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Public */

/**
 * gb_network_list_new:
 * @provider: a libvirt provider, connected or not
 *
 * Returns: (transfer full): the provider's networks
 */
GbNetworkList *
gb_network_list_new (GbLibvirtProvider *provider)
{
  g_return_val_if_fail (GB_IS_LIBVIRT_PROVIDER (provider), NULL);

  return g_object_new (GB_TYPE_NETWORK_LIST, "provider", provider, NULL);
}

GbLibvirtProvider *
gb_network_list_get_provider (GbNetworkList *self)
{
  g_return_val_if_fail (GB_IS_NETWORK_LIST (self), NULL);
  return self->provider;
}

gboolean
gb_network_list_get_loaded (GbNetworkList *self)
{
  g_return_val_if_fail (GB_IS_NETWORK_LIST (self), FALSE);
  return self->loaded;
}

const char *
gb_network_list_get_error (GbNetworkList *self)
{
  g_return_val_if_fail (GB_IS_NETWORK_LIST (self), NULL);
  return self->error;
}

/**
 * gb_network_list_lookup:
 *
 * Returns: (transfer none) (nullable): the network with that name or UUID
 */
GbNetwork *
gb_network_list_lookup (GbNetworkList *self,
                        const char    *name_or_uuid)
{
  GHashTableIter iter;
  gpointer network;

  g_return_val_if_fail (GB_IS_NETWORK_LIST (self), NULL);
  g_return_val_if_fail (name_or_uuid != NULL, NULL);

  network = g_hash_table_lookup (self->by_uuid, name_or_uuid);
  if (network != NULL)
    return network;

  g_hash_table_iter_init (&iter, self->by_uuid);
  while (g_hash_table_iter_next (&iter, NULL, &network))
    if (g_strcmp0 (gb_network_get_name (network), name_or_uuid) == 0)
      return network;

  return NULL;
}

/* GObject */

static void
gb_network_list_constructed (GObject *object)
{
  GbNetworkList *self = GB_NETWORK_LIST (object);

  G_OBJECT_CLASS (gb_network_list_parent_class)->constructed (object);

  g_return_if_fail (self->provider != NULL);
  self->state_handler = g_signal_connect_object (self->provider, "notify::state",
                                                 G_CALLBACK (provider_state_changed), self,
                                                 G_CONNECT_SWAPPED);
  follow_provider (self);
}

static void
gb_network_list_dispose (GObject *object)
{
  GbNetworkList *self = GB_NETWORK_LIST (object);

  if (self->provider != NULL)
    g_clear_signal_handler (&self->state_handler, self->provider);
  if (self->store != NULL)
    detach (self);
  g_clear_object (&self->provider);

  G_OBJECT_CLASS (gb_network_list_parent_class)->dispose (object);
}

static void
gb_network_list_finalize (GObject *object)
{
  GbNetworkList *self = GB_NETWORK_LIST (object);

  g_clear_object (&self->store);
  g_clear_pointer (&self->by_uuid, g_hash_table_unref);
  g_clear_pointer (&self->serials, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_free (self->error);

  G_OBJECT_CLASS (gb_network_list_parent_class)->finalize (object);
}

static void
gb_network_list_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  GbNetworkList *self = GB_NETWORK_LIST (object);

  switch (prop_id)
    {
    case PROP_PROVIDER: g_value_set_object (value, self->provider); break;
    case PROP_LOADED: g_value_set_boolean (value, self->loaded); break;
    case PROP_ERROR: g_value_set_string (value, self->error); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_network_list_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  GbNetworkList *self = GB_NETWORK_LIST (object);

  switch (prop_id)
    {
    case PROP_PROVIDER: self->provider = g_value_dup_object (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_network_list_class_init (GbNetworkListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = gb_network_list_constructed;
  object_class->dispose = gb_network_list_dispose;
  object_class->finalize = gb_network_list_finalize;
  object_class->get_property = gb_network_list_get_property;
  object_class->set_property = gb_network_list_set_property;

  properties[PROP_PROVIDER] =
    g_param_spec_object ("provider", NULL, NULL, GB_TYPE_LIBVIRT_PROVIDER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gb_network_list_init (GbNetworkList *self)
{
  self->event_id = -1;
  self->store = g_list_store_new (GB_TYPE_NETWORK);
  g_signal_connect (self->store, "items-changed", G_CALLBACK (store_items_changed), self);
  self->by_uuid = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->serials = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->pending = g_ptr_array_new_with_free_func (free_network);
}
