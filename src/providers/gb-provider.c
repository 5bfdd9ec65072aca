/* gb-provider.c — a source of machines
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "gb-provider-private.h"
#include "gb-machine.h"

G_DEFINE_ENUM_TYPE (GbProviderState, gb_provider_state,
  G_DEFINE_ENUM_VALUE (GB_PROVIDER_STATE_DISCONNECTED, "disconnected"),
  G_DEFINE_ENUM_VALUE (GB_PROVIDER_STATE_CONNECTING, "connecting"),
  G_DEFINE_ENUM_VALUE (GB_PROVIDER_STATE_CONNECTED, "connected"))

typedef struct
{
  char            *title;
  char            *uri;
  char            *error;
  GListStore      *machines;
  GbProviderState  state;
  guint            stats_interval;
  gboolean         transient;
} GbProviderPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (GbProvider, gb_provider, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TITLE,
  PROP_URI,
  PROP_STATE,
  PROP_TRANSIENT,
  PROP_ERROR,
  PROP_MACHINES,
  PROP_STATS_INTERVAL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
gb_provider_finalize (GObject *object)
{
  GbProvider *self = GB_PROVIDER (object);
  GbProviderPrivate *priv = gb_provider_get_instance_private (self);

  g_clear_pointer (&priv->title, g_free);
  g_clear_pointer (&priv->uri, g_free);
  g_clear_pointer (&priv->error, g_free);
  g_clear_object (&priv->machines);

  G_OBJECT_CLASS (gb_provider_parent_class)->finalize (object);
}

static void
gb_provider_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  GbProvider *self = GB_PROVIDER (object);
  GbProviderPrivate *priv = gb_provider_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, priv->title);
      break;
    case PROP_URI:
      g_value_set_string (value, priv->uri);
      break;
    case PROP_STATE:
      g_value_set_enum (value, priv->state);
      break;
    case PROP_TRANSIENT:
      g_value_set_boolean (value, priv->transient);
      break;
    case PROP_ERROR:
      g_value_set_string (value, priv->error);
      break;
    case PROP_MACHINES:
      g_value_set_object (value, priv->machines);
      break;
    case PROP_STATS_INTERVAL:
      g_value_set_uint (value, priv->stats_interval);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_provider_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  GbProvider *self = GB_PROVIDER (object);
  GbProviderPrivate *priv = gb_provider_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_TITLE:
      priv->title = g_value_dup_string (value);
      break;
    case PROP_URI:
      priv->uri = g_value_dup_string (value);
      break;
    case PROP_TRANSIENT:
      priv->transient = g_value_get_boolean (value);
      break;
    case PROP_STATS_INTERVAL:
      gb_provider_set_stats_interval (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_provider_class_init (GbProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gb_provider_finalize;
  object_class->get_property = gb_provider_get_property;
  object_class->set_property = gb_provider_set_property;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_URI] =
    g_param_spec_string ("uri", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       GB_TYPE_PROVIDER_STATE, GB_PROVIDER_STATE_DISCONNECTED,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TRANSIENT] =
    g_param_spec_boolean ("transient", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MACHINES] =
    g_param_spec_object ("machines", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATS_INTERVAL] =
    g_param_spec_uint ("stats-interval", NULL, NULL, 0, G_MAXUINT, 1000,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gb_provider_init (GbProvider *self)
{
  GbProviderPrivate *priv = gb_provider_get_instance_private (self);

  priv->machines = g_list_store_new (GB_TYPE_MACHINE);
  priv->stats_interval = 1000;
}

const char *
gb_provider_get_title (GbProvider *self)
{
  GbProviderPrivate *priv = gb_provider_get_instance_private (self);

  g_return_val_if_fail (GB_IS_PROVIDER (self), NULL);

  return priv->title;
}

const char *
gb_provider_get_uri (GbProvider *self)
{
  GbProviderPrivate *priv = gb_provider_get_instance_private (self);

  g_return_val_if_fail (GB_IS_PROVIDER (self), NULL);

  return priv->uri;
}

GbProviderState
gb_provider_get_state (GbProvider *self)
{
  GbProviderPrivate *priv = gb_provider_get_instance_private (self);

  g_return_val_if_fail (GB_IS_PROVIDER (self), GB_PROVIDER_STATE_DISCONNECTED);

  return priv->state;
}

gboolean
gb_provider_get_transient (GbProvider *self)
{
  GbProviderPrivate *priv = gb_provider_get_instance_private (self);

  g_return_val_if_fail (GB_IS_PROVIDER (self), FALSE);

  return priv->transient;
}

const char *
gb_provider_get_error (GbProvider *self)
{
  GbProviderPrivate *priv = gb_provider_get_instance_private (self);

  g_return_val_if_fail (GB_IS_PROVIDER (self), NULL);

  return priv->error;
}

/**
 * gb_provider_get_machines:
 *
 * Returns: (transfer none): a live #GListModel of #GbMachine
 */
GListModel *
gb_provider_get_machines (GbProvider *self)
{
  GbProviderPrivate *priv = gb_provider_get_instance_private (self);

  g_return_val_if_fail (GB_IS_PROVIDER (self), NULL);

  return G_LIST_MODEL (priv->machines);
}

void
gb_provider_connect_async (GbProvider          *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (GB_IS_PROVIDER (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  GB_PROVIDER_GET_CLASS (self)->connect_async (self, cancellable, callback, user_data);
}

gboolean
gb_provider_connect_finish (GbProvider    *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (GB_IS_PROVIDER (self), FALSE);

  return GB_PROVIDER_GET_CLASS (self)->connect_finish (self, result, error);
}

void
gb_provider_disconnect (GbProvider *self)
{
  g_return_if_fail (GB_IS_PROVIDER (self));

  if (GB_PROVIDER_GET_CLASS (self)->disconnect)
    GB_PROVIDER_GET_CLASS (self)->disconnect (self);
}

/**
 * gb_provider_find_machine:
 * @name_or_uuid: a machine's name or its UUID in string form
 *
 * Returns: (transfer none) (nullable): the machine, or %NULL
 */
GbMachine *
gb_provider_find_machine (GbProvider *self,
                          const char *name_or_uuid)
{
  GbProviderPrivate *priv = gb_provider_get_instance_private (self);
  guint n;

  g_return_val_if_fail (GB_IS_PROVIDER (self), NULL);
  g_return_val_if_fail (name_or_uuid != NULL, NULL);

  n = g_list_model_get_n_items (G_LIST_MODEL (priv->machines));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GbMachine) machine = g_list_model_get_item (G_LIST_MODEL (priv->machines), i);

      if (g_strcmp0 (gb_machine_get_name (machine), name_or_uuid) == 0 ||
          g_ascii_strcasecmp (gb_machine_get_uuid (machine), name_or_uuid) == 0)
        return machine; /* the store keeps its own reference */
    }

  return NULL;
}

/* Whether the New Machine wizard and New Disk can make things here. */
gboolean
gb_provider_can_create (GbProvider *self)
{
  g_return_val_if_fail (GB_IS_PROVIDER (self), FALSE);

  return GB_PROVIDER_GET_CLASS (self)->new_creator != NULL;
}

/**
 * gb_provider_new_creator:
 *
 * The creation half of this provider: what its host offers (boot sources,
 * KVM or emulation, firmware, memory, CPUs, storage, networks), defining a
 * machine from a #GbMachineSpec and making disks.  The wizard and the New
 * Disk dialog work only through it, whatever the kind of provider.
 *
 * Returns: (transfer full) (nullable): a new backend, or %NULL where
 *   machines cannot be made
 */
GbCreatorBackend *
gb_provider_new_creator (GbProvider *self)
{
  g_return_val_if_fail (GB_IS_PROVIDER (self), NULL);

  if (GB_PROVIDER_GET_CLASS (self)->new_creator == NULL)
    return NULL;
  return GB_PROVIDER_GET_CLASS (self)->new_creator (self);
}

/* Whether the connection's menu offers Host Details and Virtual Networks. */
gboolean
gb_provider_has_host_details (GbProvider *self)
{
  g_return_val_if_fail (GB_IS_PROVIDER (self), FALSE);

  if (GB_PROVIDER_GET_CLASS (self)->has_host_details == NULL)
    return FALSE;
  return GB_PROVIDER_GET_CLASS (self)->has_host_details (self);
}

guint
gb_provider_get_stats_interval (GbProvider *self)
{
  GbProviderPrivate *priv = gb_provider_get_instance_private (self);

  g_return_val_if_fail (GB_IS_PROVIDER (self), 0);

  return priv->stats_interval;
}

/**
 * gb_provider_set_stats_interval:
 * @msec: how often to sample running machines, in milliseconds; 0 turns sampling off
 */
void
gb_provider_set_stats_interval (GbProvider *self,
                                guint       msec)
{
  GbProviderPrivate *priv = gb_provider_get_instance_private (self);

  g_return_if_fail (GB_IS_PROVIDER (self));

  if (priv->stats_interval == msec)
    return;

  priv->stats_interval = msec;
  if (GB_PROVIDER_GET_CLASS (self)->stats_interval_changed)
    GB_PROVIDER_GET_CLASS (self)->stats_interval_changed (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATS_INTERVAL]);
}

void
_gb_provider_set_state (GbProvider      *self,
                        GbProviderState  state)
{
  GbProviderPrivate *priv = gb_provider_get_instance_private (self);

  if (priv->state == state)
    return;

  priv->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

void
_gb_provider_set_error (GbProvider *self,
                        const char *error)
{
  GbProviderPrivate *priv = gb_provider_get_instance_private (self);

  if (g_strcmp0 (priv->error, error) == 0)
    return;

  g_free (priv->error);
  priv->error = g_strdup (error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

GListStore *
_gb_provider_get_store (GbProvider *self)
{
  GbProviderPrivate *priv = gb_provider_get_instance_private (self);

  return priv->machines;
}

void
_gb_provider_add_machine (GbProvider *self,
                          GbMachine  *machine)
{
  GbProviderPrivate *priv = gb_provider_get_instance_private (self);

  g_list_store_append (priv->machines, machine);
}

void
_gb_provider_remove_machine (GbProvider *self,
                             GbMachine  *machine)
{
  GbProviderPrivate *priv = gb_provider_get_instance_private (self);
  guint position;

  if (g_list_store_find (priv->machines, machine, &position))
    g_list_store_remove (priv->machines, position);
}
