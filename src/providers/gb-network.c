/* gb-network.c — one libvirt virtual network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GbNetwork is what GbNetworkList last read of a network. Every libvirt
 * call runs in a GTask worker thread; "active" follows the lifecycle events
 * GbNetworkList receives, while autostart (libvirt 9.0 has no event for it)
 * and the DHCP leases (dnsmasq tells nobody) are read again after each call.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <libvirt/virterror.h>

#include "gb-libvirt-private.h"
#include "gb-network-private.h"

G_DEFINE_BOXED_TYPE (GbNetworkLease, gb_network_lease, gb_network_lease_copy, gb_network_lease_free)

GbNetworkLease *
gb_network_lease_copy (const GbNetworkLease *lease)
{
  GbNetworkLease *copy = g_new0 (GbNetworkLease, 1);

  copy->mac = g_strdup (lease->mac);
  copy->ip = g_strdup (lease->ip);
  copy->prefix = lease->prefix;
  copy->hostname = g_strdup (lease->hostname);
  copy->expiry_time = lease->expiry_time;
  return copy;
}

void
gb_network_lease_free (GbNetworkLease *lease)
{
  if (lease == NULL)
    return;
  g_free (lease->mac);
  g_free (lease->ip);
  g_free (lease->hostname);
  g_free (lease);
}

struct _GbNetwork
{
  GObject        parent_instance;

  virNetworkPtr  net;
  char          *name;
  char          *uuid;
  char          *bridge;
  char          *ipv4_address;
  char          *dhcp_start;
  char          *dhcp_end;
  GPtrArray     *leases;
  GbNetworkMode  mode;
  guint          ipv4_prefix;
  guint          active : 1;
  guint          autostart : 1;
  guint          persistent : 1;
  gint64         read_at;       /* of the info applied last */
};

G_DEFINE_FINAL_TYPE (GbNetwork, gb_network, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_UUID,
  PROP_ACTIVE,
  PROP_AUTOSTART,
  PROP_PERSISTENT,
  PROP_MODE,
  PROP_BRIDGE,
  PROP_IPV4_ADDRESS,
  PROP_IPV4_PREFIX,
  PROP_DHCP_START,
  PROP_DHCP_END,
  PROP_N_LEASES,
  PROP_LEASES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Info */

GbNetworkInfo *
_gb_network_info_fetch (virNetworkPtr   net,
                        GError        **error)
{
  g_autoptr(GbNetworkInfo) info = g_new0 (GbNetworkInfo, 1);
  char uuid[VIR_UUID_STRING_BUFLEN];
  g_autofree char *xml = NULL;
  int active, persistent, autostart = 0;

  info->read_at = g_get_monotonic_time ();

  virNetworkRef (net);
  info->net = net;

  if (virNetworkGetUUIDString (net, uuid) < 0)
    goto fail;
  info->uuid = g_strdup (uuid);
  info->name = g_strdup (virNetworkGetName (net));

  active = virNetworkIsActive (net);
  if (active < 0)
    goto fail;
  persistent = virNetworkIsPersistent (net);
  if (persistent < 0)
    goto fail;
  if (virNetworkGetAutostart (net, &autostart) < 0)
    {
      virResetLastError ();
      autostart = 0;
    }
  info->active = active == 1;
  info->persistent = persistent == 1;
  info->autostart = autostart != 0;

  /* The live definition while it runs (the bridge libvirt chose). */
  xml = virNetworkGetXMLDesc (net, 0);
  if (xml == NULL)
    goto fail;
  if (!_gb_network_info_parse_xml (info, xml, error))
    return NULL;

  if (info->active)
    {
      virNetworkDHCPLeasePtr *leases = NULL;
      int n = virNetworkGetDHCPLeases (net, NULL, &leases, 0);

      if (n >= 0)
        {
          info->leases = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_network_lease_free);
          for (int i = 0; i < n; i++)
            {
              GbNetworkLease *lease = g_new0 (GbNetworkLease, 1);

              lease->mac = g_strdup (leases[i]->mac);
              lease->ip = g_strdup (leases[i]->ipaddr);
              lease->prefix = leases[i]->prefix;
              lease->hostname = g_strdup (leases[i]->hostname);
              lease->expiry_time = leases[i]->expirytime;
              g_ptr_array_add (info->leases, lease);
              virNetworkDHCPLeaseFree (leases[i]);
            }
          free (leases);
        }
      else
        {
          /* The test driver, or a network without DHCP: unknown, not an error. */
          virErrorPtr err = virGetLastError ();

          g_debug ("%s: no leases: %s", info->name, err && err->message ? err->message : "?");
          virResetLastError ();
        }
    }

  return g_steal_pointer (&info);

fail:
  gb_libvirt_set_error (error, NULL);
  return NULL;
}

void
_gb_network_info_free (GbNetworkInfo *info)
{
  if (info == NULL)
    return;
  g_clear_pointer (&info->net, virNetworkFree);
  g_free (info->uuid);
  g_free (info->name);
  g_free (info->bridge);
  g_free (info->ipv4_address);
  g_free (info->dhcp_start);
  g_free (info->dhcp_end);
  g_clear_pointer (&info->leases, g_ptr_array_unref);
  g_free (info);
}

/* Applying */

static void
set_string (GbNetwork   *self,
            char       **field,
            const char  *value,
            int          prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_flag (GbNetwork *self,
          gboolean   current,
          gboolean   value,
          int        prop)
{
  if (!current != !value)
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static gboolean
leases_equal (GPtrArray *a,
              GPtrArray *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    {
      GbNetworkLease *x = g_ptr_array_index (a, i), *y = g_ptr_array_index (b, i);

      if (g_strcmp0 (x->mac, y->mac) || g_strcmp0 (x->ip, y->ip) ||
          g_strcmp0 (x->hostname, y->hostname) || x->expiry_time != y->expiry_time)
        return FALSE;
    }
  return TRUE;
}

static gpointer
copy_lease (gconstpointer lease,
            gpointer      user_data)
{
  return gb_network_lease_copy (lease);
}

void
_gb_network_set_active (GbNetwork *self,
                        gboolean   active)
{
  g_return_if_fail (GB_IS_NETWORK (self));

  if (!self->active == !active)
    return;
  self->active = !!active;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACTIVE]);
  if (!active && self->leases != NULL)
    {
      g_clear_pointer (&self->leases, g_ptr_array_unref);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LEASES]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_LEASES]);
    }
}

void
_gb_network_apply_info (GbNetwork           *self,
                        const GbNetworkInfo *info)
{
  g_return_if_fail (GB_IS_NETWORK (self));

  /* Reads run in worker threads and can finish out of order: a re-read
   * begun for an event before an autostart change must not undo what the
   * change's own later read found. */
  if (info->read_at < self->read_at)
    return;
  self->read_at = info->read_at;

  g_object_freeze_notify (G_OBJECT (self));

  if (info->net != self->net)
    {
      virNetworkRef (info->net);
      g_clear_pointer (&self->net, virNetworkFree);
      self->net = info->net;
    }

  set_string (self, &self->name, info->name, PROP_NAME);
  set_string (self, &self->uuid, info->uuid, PROP_UUID);
  set_string (self, &self->bridge, info->bridge, PROP_BRIDGE);
  set_string (self, &self->ipv4_address, info->ipv4_address, PROP_IPV4_ADDRESS);
  set_string (self, &self->dhcp_start, info->dhcp_start, PROP_DHCP_START);
  set_string (self, &self->dhcp_end, info->dhcp_end, PROP_DHCP_END);

  set_flag (self, self->active, info->active, PROP_ACTIVE);
  self->active = !!info->active;
  set_flag (self, self->autostart, info->autostart, PROP_AUTOSTART);
  self->autostart = !!info->autostart;
  set_flag (self, self->persistent, info->persistent, PROP_PERSISTENT);
  self->persistent = !!info->persistent;

  if (self->mode != info->mode)
    {
      self->mode = info->mode;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODE]);
    }
  if (self->ipv4_prefix != info->ipv4_prefix)
    {
      self->ipv4_prefix = info->ipv4_prefix;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IPV4_PREFIX]);
    }

  if (!leases_equal (self->leases, info->leases))
    {
      int before = gb_network_get_n_leases (self);

      g_clear_pointer (&self->leases, g_ptr_array_unref);
      if (info->leases != NULL)
        self->leases = g_ptr_array_copy (info->leases, copy_lease, NULL);
      if (self->leases != NULL)
        g_ptr_array_set_free_func (self->leases, (GDestroyNotify) gb_network_lease_free);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LEASES]);
      if (before != gb_network_get_n_leases (self))
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_LEASES]);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

GbNetwork *
_gb_network_new (const GbNetworkInfo *info)
{
  GbNetwork *self = g_object_new (GB_TYPE_NETWORK, NULL);

  _gb_network_apply_info (self, info);
  return self;
}

virNetworkPtr
_gb_network_get_handle (GbNetwork *self)
{
  g_return_val_if_fail (GB_IS_NETWORK (self), NULL);

  return self->net;
}

/* Calls */

typedef enum {
  OP_START,
  OP_STOP,
  OP_AUTOSTART_ON,
  OP_AUTOSTART_OFF,
  OP_DELETE,
  OP_REFRESH,
} Op;

typedef struct {
  virNetworkPtr  net;
  Op             op;
  GbNetworkInfo *info;     /* read again after the call; NULL after delete */
} OpData;

static void
op_data_free (gpointer data)
{
  OpData *od = data;

  g_clear_pointer (&od->net, virNetworkFree);
  g_clear_pointer (&od->info, _gb_network_info_free);
  g_free (od);
}

static void
op_thread (GTask        *task,
           gpointer      source_object,
           gpointer      task_data,
           GCancellable *cancellable)
{
  OpData *od = task_data;
  g_autoptr(GError) error = NULL;
  int ret = 0;

  switch (od->op)
    {
    case OP_START:
      ret = virNetworkCreate (od->net);
      break;
    case OP_STOP:
      ret = virNetworkDestroy (od->net);
      break;
    case OP_AUTOSTART_ON:
    case OP_AUTOSTART_OFF:
      ret = virNetworkSetAutostart (od->net, od->op == OP_AUTOSTART_ON);
      break;
    case OP_DELETE:
      {
        int active = virNetworkIsActive (od->net);
        int persistent;

        /* A transient network ends when it stops; a persistent one is
         * stopped first, as libvirt refuses to forget a running one's
         * definition only for later. */
        if (active < 0)
          ret = -1;
        else if (active == 1)
          ret = virNetworkDestroy (od->net);
        if (ret == 0)
          {
            persistent = virNetworkIsPersistent (od->net);
            if (persistent < 0 && active == 1)
              {
                /* Gone with the stop: it was transient. */
                virResetLastError ();
                persistent = 0;
              }
            if (persistent < 0)
              ret = -1;
            else if (persistent == 1)
              ret = virNetworkUndefine (od->net);
          }
      }
      break;
    case OP_REFRESH:
    default:
      break;
    }

  if (ret < 0)
    {
      gb_libvirt_set_error (&error, NULL);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (od->op != OP_DELETE)
    {
      od->info = _gb_network_info_fetch (od->net, &error);
      if (od->info == NULL && od->op == OP_REFRESH)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      /* After a successful call, a failed read only means no update. */
      if (error != NULL)
        g_debug ("Could not read the network again: %s", error->message);
    }

  g_task_return_boolean (task, TRUE);
}

static void
op_done (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GbNetwork *self = GB_NETWORK (object);
  g_autoptr(GTask) outer = user_data;
  OpData *od = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (outer, g_steal_pointer (&error));
      return;
    }

  /* Only if it is still the same network (a new connection replaces it). */
  if (od->info != NULL && self->net != NULL && g_strcmp0 (od->info->uuid, self->uuid) == 0)
    _gb_network_apply_info (self, od->info);

  g_task_return_boolean (outer, TRUE);
}

static void
run_op (GbNetwork           *self,
        Op                   op,
        gpointer             source_tag,
        GCancellable        *cancellable,
        GAsyncReadyCallback  callback,
        gpointer             user_data)
{
  g_autoptr(GTask) outer = NULL;
  g_autoptr(GTask) inner = NULL;
  OpData *od;

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, source_tag);

  if (self->net == NULL)
    {
      g_task_return_new_error (outer, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                               _("The connection is closed."));
      return;
    }

  od = g_new0 (OpData, 1);
  virNetworkRef (self->net);
  od->net = self->net;
  od->op = op;

  inner = g_task_new (self, cancellable, op_done, g_steal_pointer (&outer));
  g_task_set_source_tag (inner, run_op);
  g_task_set_task_data (inner, od, op_data_free);
  g_task_run_in_thread (inner, op_thread);
}

static gboolean
finish_op (GbNetwork     *self,
           GAsyncResult  *result,
           gpointer       source_tag,
           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
gb_network_start_async (GbNetwork           *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (GB_IS_NETWORK (self));
  run_op (self, OP_START, gb_network_start_async, cancellable, callback, user_data);
}

gboolean
gb_network_start_finish (GbNetwork     *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  return finish_op (self, result, gb_network_start_async, error);
}

void
gb_network_stop_async (GbNetwork           *self,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_return_if_fail (GB_IS_NETWORK (self));
  run_op (self, OP_STOP, gb_network_stop_async, cancellable, callback, user_data);
}

gboolean
gb_network_stop_finish (GbNetwork     *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  return finish_op (self, result, gb_network_stop_async, error);
}

void
gb_network_set_autostart_async (GbNetwork           *self,
                                gboolean             autostart,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (GB_IS_NETWORK (self));
  run_op (self, autostart ? OP_AUTOSTART_ON : OP_AUTOSTART_OFF, gb_network_set_autostart_async,
          cancellable, callback, user_data);
}

gboolean
gb_network_set_autostart_finish (GbNetwork     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return finish_op (self, result, gb_network_set_autostart_async, error);
}

void
gb_network_delete_async (GbNetwork           *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_return_if_fail (GB_IS_NETWORK (self));
  run_op (self, OP_DELETE, gb_network_delete_async, cancellable, callback, user_data);
}

gboolean
gb_network_delete_finish (GbNetwork     *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  return finish_op (self, result, gb_network_delete_async, error);
}

void
gb_network_refresh_async (GbNetwork           *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (GB_IS_NETWORK (self));
  run_op (self, OP_REFRESH, gb_network_refresh_async, cancellable, callback, user_data);
}

gboolean
gb_network_refresh_finish (GbNetwork     *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  return finish_op (self, result, gb_network_refresh_async, error);
}

/* Getters */

const char *
gb_network_get_name (GbNetwork *self)
{
  g_return_val_if_fail (GB_IS_NETWORK (self), NULL);
  return self->name;
}

const char *
gb_network_get_uuid (GbNetwork *self)
{
  g_return_val_if_fail (GB_IS_NETWORK (self), NULL);
  return self->uuid;
}

gboolean
gb_network_get_active (GbNetwork *self)
{
  g_return_val_if_fail (GB_IS_NETWORK (self), FALSE);
  return self->active;
}

gboolean
gb_network_get_autostart (GbNetwork *self)
{
  g_return_val_if_fail (GB_IS_NETWORK (self), FALSE);
  return self->autostart;
}

gboolean
gb_network_get_persistent (GbNetwork *self)
{
  g_return_val_if_fail (GB_IS_NETWORK (self), FALSE);
  return self->persistent;
}

GbNetworkMode
gb_network_get_mode (GbNetwork *self)
{
  g_return_val_if_fail (GB_IS_NETWORK (self), GB_NETWORK_MODE_OTHER);
  return self->mode;
}

const char *
gb_network_get_bridge (GbNetwork *self)
{
  g_return_val_if_fail (GB_IS_NETWORK (self), NULL);
  return self->bridge;
}

const char *
gb_network_get_ipv4_address (GbNetwork *self)
{
  g_return_val_if_fail (GB_IS_NETWORK (self), NULL);
  return self->ipv4_address;
}

guint
gb_network_get_ipv4_prefix (GbNetwork *self)
{
  g_return_val_if_fail (GB_IS_NETWORK (self), 0);
  return self->ipv4_prefix;
}

const char *
gb_network_get_dhcp_start (GbNetwork *self)
{
  g_return_val_if_fail (GB_IS_NETWORK (self), NULL);
  return self->dhcp_start;
}

const char *
gb_network_get_dhcp_end (GbNetwork *self)
{
  g_return_val_if_fail (GB_IS_NETWORK (self), NULL);
  return self->dhcp_end;
}

int
gb_network_get_n_leases (GbNetwork *self)
{
  g_return_val_if_fail (GB_IS_NETWORK (self), -1);
  return self->leases ? (int) self->leases->len : -1;
}

GPtrArray *
gb_network_get_leases (GbNetwork *self)
{
  g_return_val_if_fail (GB_IS_NETWORK (self), NULL);
  return self->leases;
}

/* GObject */

static void
gb_network_finalize (GObject *object)
{
  GbNetwork *self = GB_NETWORK (object);

  g_clear_pointer (&self->net, virNetworkFree);
  g_free (self->name);
  g_free (self->uuid);
  g_free (self->bridge);
  g_free (self->ipv4_address);
  g_free (self->dhcp_start);
  g_free (self->dhcp_end);
  g_clear_pointer (&self->leases, g_ptr_array_unref);

  G_OBJECT_CLASS (gb_network_parent_class)->finalize (object);
}

static void
gb_network_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  GbNetwork *self = GB_NETWORK (object);

  switch (prop_id)
    {
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_UUID: g_value_set_string (value, self->uuid); break;
    case PROP_ACTIVE: g_value_set_boolean (value, self->active); break;
    case PROP_AUTOSTART: g_value_set_boolean (value, self->autostart); break;
    case PROP_PERSISTENT: g_value_set_boolean (value, self->persistent); break;
    case PROP_MODE: g_value_set_enum (value, self->mode); break;
    case PROP_BRIDGE: g_value_set_string (value, self->bridge); break;
    case PROP_IPV4_ADDRESS: g_value_set_string (value, self->ipv4_address); break;
    case PROP_IPV4_PREFIX: g_value_set_uint (value, self->ipv4_prefix); break;
    case PROP_DHCP_START: g_value_set_string (value, self->dhcp_start); break;
    case PROP_DHCP_END: g_value_set_string (value, self->dhcp_end); break;
    case PROP_N_LEASES: g_value_set_int (value, gb_network_get_n_leases (self)); break;
    case PROP_LEASES: g_value_set_boxed (value, self->leases); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_network_class_init (GbNetworkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = gb_network_finalize;
  object_class->get_property = gb_network_get_property;

  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_UUID] = g_param_spec_string ("uuid", NULL, NULL, NULL, flags);
  properties[PROP_ACTIVE] = g_param_spec_boolean ("active", NULL, NULL, FALSE, flags);
  properties[PROP_AUTOSTART] = g_param_spec_boolean ("autostart", NULL, NULL, FALSE, flags);
  properties[PROP_PERSISTENT] = g_param_spec_boolean ("persistent", NULL, NULL, FALSE, flags);
  properties[PROP_MODE] = g_param_spec_enum ("mode", NULL, NULL, GB_TYPE_NETWORK_MODE,
                                             GB_NETWORK_MODE_ISOLATED, flags);
  properties[PROP_BRIDGE] = g_param_spec_string ("bridge", NULL, NULL, NULL, flags);
  properties[PROP_IPV4_ADDRESS] = g_param_spec_string ("ipv4-address", NULL, NULL, NULL, flags);
  properties[PROP_IPV4_PREFIX] = g_param_spec_uint ("ipv4-prefix", NULL, NULL, 0, 32, 0, flags);
  properties[PROP_DHCP_START] = g_param_spec_string ("dhcp-start", NULL, NULL, NULL, flags);
  properties[PROP_DHCP_END] = g_param_spec_string ("dhcp-end", NULL, NULL, NULL, flags);
  properties[PROP_N_LEASES] = g_param_spec_int ("n-leases", NULL, NULL, -1, G_MAXINT, -1, flags);
  properties[PROP_LEASES] = g_param_spec_boxed ("leases", NULL, NULL, G_TYPE_PTR_ARRAY, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gb_network_init (GbNetwork *self)
{
}
