/* gb-machine.c — one virtual machine, whatever runs it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gb-machine-config-private.h"
#include "gb-machine-private.h"
#include "gb-osinfo.h"
#include "gb-provider.h"

G_DEFINE_ENUM_TYPE (GbMachineState, gb_machine_state,
  G_DEFINE_ENUM_VALUE (GB_MACHINE_STATE_SHUTOFF, "shutoff"),
  G_DEFINE_ENUM_VALUE (GB_MACHINE_STATE_RUNNING, "running"),
  G_DEFINE_ENUM_VALUE (GB_MACHINE_STATE_PAUSED, "paused"),
  G_DEFINE_ENUM_VALUE (GB_MACHINE_STATE_SHUTTING_DOWN, "shutting-down"),
  G_DEFINE_ENUM_VALUE (GB_MACHINE_STATE_CRASHED, "crashed"),
  G_DEFINE_ENUM_VALUE (GB_MACHINE_STATE_SUSPENDED, "suspended"),
  G_DEFINE_ENUM_VALUE (GB_MACHINE_STATE_UNKNOWN, "unknown"))

typedef struct
{
  GWeakRef         provider;
  char            *name;
  char            *uuid;
  char            *os_id;
  char            *os_name;
  GbMachineConfig *config;
  GCancellable    *osinfo_cancellable;
  GbMachineState   state;
  /* A shut-down request was accepted: until the machine leaves "running",
   * it reads "Shutting down" (libvirt and the bundled VMM still say
   * running while the guest decides what to do with the power button). */
  gboolean         shutdown_pending;
  gint64           saved_at;

  /* A ring of the last GB_MACHINE_MAX_SAMPLES samples; samples_linear is
   * the same, oldest first, rebuilt on demand for gb_machine_get_samples(). */
  GbMachineSample  samples[GB_MACHINE_MAX_SAMPLES];
  GbMachineSample  samples_linear[GB_MACHINE_MAX_SAMPLES];
  guint            samples_head;  /* index of the next slot to write */
  guint            n_samples;
} GbMachinePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (GbMachine, gb_machine, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PROVIDER,
  PROP_NAME,
  PROP_UUID,
  PROP_STATE,
  PROP_OS_ID,
  PROP_OS_NAME,
  PROP_CONFIG,
  PROP_CPU_USAGE,
  PROP_MEMORY_USED,
  PROP_TRANSIENT,
  PROP_SAVED_AT,
  N_PROPS
};

enum {
  STATS_UPDATED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/**
 * gb_machine_state_to_string:
 *
 * Returns: the state's translated name, for labels
 */
const char *
gb_machine_state_to_string (GbMachineState state)
{
  switch (state)
    {
    case GB_MACHINE_STATE_SHUTOFF:
      return C_("machine state", "Shut off");
    case GB_MACHINE_STATE_RUNNING:
      return C_("machine state", "Running");
    case GB_MACHINE_STATE_PAUSED:
      return C_("machine state", "Paused");
    case GB_MACHINE_STATE_SHUTTING_DOWN:
      return C_("machine state", "Shutting down…");
    case GB_MACHINE_STATE_CRASHED:
      return C_("machine state", "Crashed");
    case GB_MACHINE_STATE_SUSPENDED:
      return C_("machine state", "Suspended");
    case GB_MACHINE_STATE_UNKNOWN:
    default:
      return C_("machine state", "Unknown");
    }
}

static void
gb_machine_dispose (GObject *object)
{
  GbMachine *self = GB_MACHINE (object);
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);

  g_cancellable_cancel (priv->osinfo_cancellable);
  g_clear_object (&priv->osinfo_cancellable);
  g_clear_object (&priv->config);

  G_OBJECT_CLASS (gb_machine_parent_class)->dispose (object);
}

static void
gb_machine_finalize (GObject *object)
{
  GbMachine *self = GB_MACHINE (object);
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);

  g_weak_ref_clear (&priv->provider);
  g_clear_pointer (&priv->name, g_free);
  g_clear_pointer (&priv->uuid, g_free);
  g_clear_pointer (&priv->os_id, g_free);
  g_clear_pointer (&priv->os_name, g_free);

  G_OBJECT_CLASS (gb_machine_parent_class)->finalize (object);
}

static void
gb_machine_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  GbMachine *self = GB_MACHINE (object);
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_PROVIDER:
      g_value_take_object (value, g_weak_ref_get (&priv->provider));
      break;
    case PROP_NAME:
      g_value_set_string (value, priv->name);
      break;
    case PROP_UUID:
      g_value_set_string (value, priv->uuid);
      break;
    case PROP_STATE:
      g_value_set_enum (value, priv->state);
      break;
    case PROP_OS_ID:
      g_value_set_string (value, priv->os_id);
      break;
    case PROP_OS_NAME:
      g_value_set_string (value, priv->os_name);
      break;
    case PROP_CONFIG:
      g_value_set_object (value, priv->config);
      break;
    case PROP_CPU_USAGE:
      g_value_set_double (value, gb_machine_get_cpu_usage (self));
      break;
    case PROP_MEMORY_USED:
      g_value_set_uint64 (value, gb_machine_get_memory_used (self));
      break;
    case PROP_TRANSIENT:
      g_value_set_boolean (value, gb_machine_get_transient (self));
      break;
    case PROP_SAVED_AT:
      g_value_set_int64 (value, priv->saved_at);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_machine_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  GbMachine *self = GB_MACHINE (object);
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_PROVIDER:
      g_weak_ref_set (&priv->provider, g_value_get_object (value));
      break;
    case PROP_NAME:
      priv->name = g_value_dup_string (value);
      break;
    case PROP_UUID:
      priv->uuid = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
gb_machine_real_action_finish (GbMachine     *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
gb_machine_real_not_supported_async (GbMachine           *self,
                                     const char          *message,
                                     gpointer             source_tag,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "%s", message);
}

static void
gb_machine_real_open_graphics_async (GbMachine           *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  gb_machine_real_not_supported_async (self, _("Glassbox cannot show this machine’s screen"), gb_machine_real_open_graphics_async,
                                       cancellable, callback, user_data);
}

static int
gb_machine_real_open_graphics_finish (GbMachine     *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  gssize fd = g_task_propagate_int (G_TASK (result), error);

  return fd < 0 ? -1 : (int) fd;
}

static void
gb_machine_real_open_serial_async (GbMachine           *self,
                                   const char          *device,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  gb_machine_real_not_supported_async (self, _("Glassbox cannot open this machine’s text console"), gb_machine_real_open_serial_async,
                                       cancellable, callback, user_data);
}

static GIOStream *
gb_machine_real_open_serial_finish (GbMachine     *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
gb_machine_real_query_internals_async (GbMachine           *self,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  gb_machine_real_not_supported_async (self, _("Glassbox cannot look inside this machine"),
                                       gb_machine_real_query_internals_async,
                                       cancellable, callback, user_data);
}

static JsonNode *
gb_machine_real_query_internals_finish (GbMachine     *self,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
gb_machine_class_init (GbMachineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = gb_machine_dispose;
  object_class->finalize = gb_machine_finalize;
  object_class->get_property = gb_machine_get_property;
  object_class->set_property = gb_machine_set_property;

  klass->action_finish = gb_machine_real_action_finish;
  klass->open_graphics_async = gb_machine_real_open_graphics_async;
  klass->open_graphics_finish = gb_machine_real_open_graphics_finish;
  klass->open_serial_async = gb_machine_real_open_serial_async;
  klass->open_serial_finish = gb_machine_real_open_serial_finish;
  klass->query_internals_async = gb_machine_real_query_internals_async;
  klass->query_internals_finish = gb_machine_real_query_internals_finish;

  properties[PROP_PROVIDER] =
    g_param_spec_object ("provider", NULL, NULL, GB_TYPE_PROVIDER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_UUID] =
    g_param_spec_string ("uuid", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       GB_TYPE_MACHINE_STATE, GB_MACHINE_STATE_UNKNOWN,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_OS_ID] =
    g_param_spec_string ("os-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_OS_NAME] =
    g_param_spec_string ("os-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONFIG] =
    g_param_spec_object ("config", NULL, NULL, GB_TYPE_MACHINE_CONFIG,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CPU_USAGE] =
    g_param_spec_double ("cpu-usage", NULL, NULL, 0.0, 100.0, 0.0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MEMORY_USED] =
    g_param_spec_uint64 ("memory-used", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TRANSIENT] =
    g_param_spec_boolean ("transient", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /* A saved state (managed save) waits for the next start: when it was
   * saved, seconds since the epoch; -1 saved at an unknown time; 0 none. */
  properties[PROP_SAVED_AT] =
    g_param_spec_int64 ("saved-at", NULL, NULL, -1, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * GbMachine::stats-updated:
   *
   * Emitted after each new sample; see gb_machine_get_samples().
   */
  signals[STATS_UPDATED] =
    g_signal_new ("stats-updated",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
gb_machine_init (GbMachine *self)
{
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);

  g_weak_ref_init (&priv->provider, NULL);
  priv->state = GB_MACHINE_STATE_UNKNOWN;
}

/**
 * gb_machine_get_provider:
 *
 * Returns: (transfer none) (nullable): the provider, or %NULL once it is gone
 */
GbProvider *
gb_machine_get_provider (GbMachine *self)
{
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);
  g_autoptr(GbProvider) provider = NULL;

  g_return_val_if_fail (GB_IS_MACHINE (self), NULL);

  /* The provider owns its machines, so while anyone can call this on a
   * machine of a live provider, the provider outlives the returned pointer. */
  provider = g_weak_ref_get (&priv->provider);
  return provider;
}

const char *
gb_machine_get_name (GbMachine *self)
{
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);

  g_return_val_if_fail (GB_IS_MACHINE (self), NULL);

  return priv->name;
}

const char *
gb_machine_get_uuid (GbMachine *self)
{
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);

  g_return_val_if_fail (GB_IS_MACHINE (self), NULL);

  return priv->uuid;
}

GbMachineState
gb_machine_get_state (GbMachine *self)
{
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);

  g_return_val_if_fail (GB_IS_MACHINE (self), GB_MACHINE_STATE_UNKNOWN);

  return priv->state;
}

const char *
gb_machine_get_os_id (GbMachine *self)
{
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);

  g_return_val_if_fail (GB_IS_MACHINE (self), NULL);

  return priv->os_id;
}

const char *
gb_machine_get_os_name (GbMachine *self)
{
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);

  g_return_val_if_fail (GB_IS_MACHINE (self), NULL);

  return priv->os_name;
}

/**
 * gb_machine_get_config:
 *
 * Returns: (transfer none) (nullable): the current definition
 */
GbMachineConfig *
gb_machine_get_config (GbMachine *self)
{
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);

  g_return_val_if_fail (GB_IS_MACHINE (self), NULL);

  return priv->config;
}

static const GbMachineSample *
last_sample (GbMachinePrivate *priv)
{
  if (priv->n_samples == 0)
    return NULL;

  return &priv->samples[(priv->samples_head + GB_MACHINE_MAX_SAMPLES - 1) % GB_MACHINE_MAX_SAMPLES];
}

static gboolean
state_is_active (GbMachineState state)
{
  return state == GB_MACHINE_STATE_RUNNING ||
         state == GB_MACHINE_STATE_PAUSED ||
         state == GB_MACHINE_STATE_SHUTTING_DOWN;
}

double
gb_machine_get_cpu_usage (GbMachine *self)
{
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);
  const GbMachineSample *sample;

  g_return_val_if_fail (GB_IS_MACHINE (self), 0.0);

  sample = last_sample (priv);
  if (sample == NULL || !state_is_active (priv->state))
    return 0.0;

  return sample->cpu_percent;
}

guint64
gb_machine_get_memory_used (GbMachine *self)
{
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);
  const GbMachineSample *sample;

  g_return_val_if_fail (GB_IS_MACHINE (self), 0);

  sample = last_sample (priv);
  if (sample == NULL || !state_is_active (priv->state))
    return 0;

  return sample->memory_bytes;
}

/**
 * gb_machine_get_transient:
 *
 * Returns: %TRUE when the machine stops with the app (its provider is transient)
 */
gboolean
gb_machine_get_transient (GbMachine *self)
{
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);
  g_autoptr(GbProvider) provider = NULL;

  g_return_val_if_fail (GB_IS_MACHINE (self), FALSE);

  provider = g_weak_ref_get (&priv->provider);
  return provider != NULL && gb_provider_get_transient (provider);
}

/**
 * gb_machine_get_samples:
 * @n_samples: (out): how many samples the returned array holds
 *
 * Returns: (array length=n_samples) (transfer none): the last samples,
 *   oldest first; valid until the next sample arrives
 */
const GbMachineSample *
gb_machine_get_samples (GbMachine *self,
                        guint     *n_samples)
{
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);
  guint first;

  g_return_val_if_fail (GB_IS_MACHINE (self), NULL);
  g_return_val_if_fail (n_samples != NULL, NULL);

  first = (priv->samples_head + GB_MACHINE_MAX_SAMPLES - priv->n_samples) % GB_MACHINE_MAX_SAMPLES;
  for (guint i = 0; i < priv->n_samples; i++)
    priv->samples_linear[i] = priv->samples[(first + i) % GB_MACHINE_MAX_SAMPLES];

  *n_samples = priv->n_samples;
  return priv->samples_linear;
}

/* Lifecycle: the base class checks and dispatches; subclasses do the work. */

static void
report_not_supported (GbMachine           *self,
                      gpointer             source_tag,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_task_report_new_error (self, callback, user_data, source_tag,
                           G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("This machine does not support that action"));
}

#define DEFINE_ACTION(action)                                                           \
void                                                                                    \
gb_machine_##action##_async (GbMachine           *self,                                 \
                             GCancellable        *cancellable,                          \
                             GAsyncReadyCallback  callback,                             \
                             gpointer             user_data)                            \
{                                                                                       \
  g_return_if_fail (GB_IS_MACHINE (self));                                              \
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));                    \
                                                                                        \
  if (GB_MACHINE_GET_CLASS (self)->action##_async == NULL)                              \
    report_not_supported (self, gb_machine_##action##_async, callback, user_data);      \
  else                                                                                  \
    GB_MACHINE_GET_CLASS (self)->action##_async (self, cancellable, callback, user_data); \
}                                                                                       \
                                                                                        \
gboolean                                                                                \
gb_machine_##action##_finish (GbMachine     *self,                                      \
                              GAsyncResult  *result,                                    \
                              GError       **error)                                     \
{                                                                                       \
  g_return_val_if_fail (GB_IS_MACHINE (self), FALSE);                                   \
                                                                                        \
  if (g_async_result_is_tagged (result, gb_machine_##action##_async))                   \
    return g_task_propagate_boolean (G_TASK (result), error);                           \
  return GB_MACHINE_GET_CLASS (self)->action_finish (self, result, error);              \
}

DEFINE_ACTION (start)
DEFINE_ACTION (force_off)
DEFINE_ACTION (pause)
DEFINE_ACTION (resume)
DEFINE_ACTION (reboot)

#undef DEFINE_ACTION

void
gb_machine_shutdown_async (GbMachine           *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (GB_IS_MACHINE (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  if (GB_MACHINE_GET_CLASS (self)->shutdown_async == NULL)
    report_not_supported (self, gb_machine_shutdown_async, callback, user_data);
  else
    GB_MACHINE_GET_CLASS (self)->shutdown_async (self, cancellable, callback, user_data);
}

/* Once the request is accepted the machine reads "Shutting down" until it
 * stops (or anything else than running is reported). */
gboolean
gb_machine_shutdown_finish (GbMachine     *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);
  gboolean ok;

  g_return_val_if_fail (GB_IS_MACHINE (self), FALSE);

  if (g_async_result_is_tagged (result, gb_machine_shutdown_async))
    ok = g_task_propagate_boolean (G_TASK (result), error);
  else
    ok = GB_MACHINE_GET_CLASS (self)->action_finish (self, result, error);

  if (ok && priv->state == GB_MACHINE_STATE_RUNNING)
    {
      priv->shutdown_pending = TRUE;
      _gb_machine_set_state (self, GB_MACHINE_STATE_RUNNING);
    }
  return ok;
}

/**
 * gb_machine_delete_async:
 * @disk_paths_to_delete: (nullable) (array zero-terminated=1): disks of this
 *   machine to delete with it; %NULL keeps every disk
 *
 * Undefines the machine (stopping it first if it runs) and deletes exactly the
 * listed disks, as storage volumes when they are volumes of a pool.
 */
void
gb_machine_delete_async (GbMachine           *self,
                         const char * const  *disk_paths_to_delete,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_return_if_fail (GB_IS_MACHINE (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  if (GB_MACHINE_GET_CLASS (self)->delete_async == NULL)
    report_not_supported (self, gb_machine_delete_async, callback, user_data);
  else
    GB_MACHINE_GET_CLASS (self)->delete_async (self, disk_paths_to_delete, cancellable, callback, user_data);
}

gboolean
gb_machine_delete_finish (GbMachine     *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (GB_IS_MACHINE (self), FALSE);

  if (g_async_result_is_tagged (result, gb_machine_delete_async))
    return g_task_propagate_boolean (G_TASK (result), error);
  return GB_MACHINE_GET_CLASS (self)->action_finish (self, result, error);
}

/* Private API */

gint64
gb_machine_get_saved_at (GbMachine *self)
{
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);

  g_return_val_if_fail (GB_IS_MACHINE (self), 0);
  return priv->saved_at;
}

void
_gb_machine_set_saved_at (GbMachine *self,
                          gint64     saved_at)
{
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);

  if (priv->saved_at == saved_at)
    return;
  priv->saved_at = saved_at;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SAVED_AT]);
}

void
_gb_machine_set_name (GbMachine  *self,
                      const char *name)
{
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);

  if (g_strcmp0 (priv->name, name) == 0)
    return;

  g_free (priv->name);
  priv->name = g_strdup (name);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}

void
_gb_machine_set_state (GbMachine      *self,
                       GbMachineState  state)
{
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);
  gboolean was_active;

  if (priv->shutdown_pending && state == GB_MACHINE_STATE_RUNNING)
    state = GB_MACHINE_STATE_SHUTTING_DOWN;
  else if (state != GB_MACHINE_STATE_SHUTTING_DOWN)
    priv->shutdown_pending = FALSE;

  if (priv->state == state)
    return;

  was_active = state_is_active (priv->state);
  priv->state = state;

  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);

  /* A stopped machine uses nothing; its history starts afresh next time. */
  if (was_active && !state_is_active (state))
    {
      gboolean had_usage = priv->n_samples > 0;

      priv->n_samples = 0;
      priv->samples_head = 0;
      if (had_usage)
        {
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CPU_USAGE]);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEMORY_USED]);
          g_signal_emit (self, signals[STATS_UPDATED], 0);
        }
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
set_os_name (GbMachine  *self,
             const char *os_name)
{
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);

  if (g_strcmp0 (priv->os_name, os_name) == 0)
    return;

  g_free (priv->os_name);
  priv->os_name = g_strdup (os_name);
  if (priv->config != NULL)
    _gb_machine_config_set_os_name (priv->config, os_name);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OS_NAME]);
}

static void
resolve_os_name_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GbMachine) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;

  name = gb_osinfo_resolve_name_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    g_debug ("%s", error->message);

  set_os_name (self, name);
}

void
_gb_machine_set_config (GbMachine       *self,
                        GbMachineConfig *config)
{
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);
  const char *os_id;

  if (priv->config == config)
    return;

  g_object_freeze_notify (G_OBJECT (self));

  g_set_object (&priv->config, config);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONFIG]);

  /* A new definition of the same OS keeps the name already resolved. */
  if (config != NULL && g_strcmp0 (gb_machine_config_get_os_id (config), priv->os_id) == 0)
    _gb_machine_config_set_os_name (config, priv->os_name);

  os_id = config ? gb_machine_config_get_os_id (config) : NULL;
  if (g_strcmp0 (os_id, priv->os_id) != 0)
    {
      g_free (priv->os_id);
      priv->os_id = g_strdup (os_id);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OS_ID]);

      g_cancellable_cancel (priv->osinfo_cancellable);
      g_clear_object (&priv->osinfo_cancellable);
      set_os_name (self, NULL);

      if (os_id != NULL)
        {
          priv->osinfo_cancellable = g_cancellable_new ();
          gb_osinfo_resolve_name_async (os_id, priv->osinfo_cancellable,
                                        resolve_os_name_cb, g_object_ref (self));
        }
    }

  g_object_thaw_notify (G_OBJECT (self));
}

void
_gb_machine_push_sample (GbMachine             *self,
                         const GbMachineSample *sample)
{
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);
  const GbMachineSample *prev = last_sample (priv);
  gboolean cpu_changed = prev == NULL || prev->cpu_percent != sample->cpu_percent;
  gboolean memory_changed = prev == NULL || prev->memory_bytes != sample->memory_bytes;

  priv->samples[priv->samples_head] = *sample;
  priv->samples_head = (priv->samples_head + 1) % GB_MACHINE_MAX_SAMPLES;
  priv->n_samples = MIN (priv->n_samples + 1, GB_MACHINE_MAX_SAMPLES);

  g_object_freeze_notify (G_OBJECT (self));
  if (cpu_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CPU_USAGE]);
  if (memory_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEMORY_USED]);
  g_object_thaw_notify (G_OBJECT (self));

  g_signal_emit (self, signals[STATS_UPDATED], 0);
}

/**
 * gb_machine_get_graphics_protocol:
 *
 * Returns: what the machine's first graphical console speaks, from its
 *   config; %GB_GRAPHICS_PROTOCOL_NONE for a machine without a screen
 */
GbGraphicsProtocol
gb_machine_get_graphics_protocol (GbMachine *self)
{
  GbMachinePrivate *priv = gb_machine_get_instance_private (self);
  GPtrArray *graphics;

  g_return_val_if_fail (GB_IS_MACHINE (self), GB_GRAPHICS_PROTOCOL_NONE);

  if (priv->config == NULL)
    return GB_GRAPHICS_PROTOCOL_NONE;

  graphics = gb_machine_config_get_graphics (priv->config);
  for (guint i = 0; graphics != NULL && i < graphics->len; i++)
    {
      const GbConfigGraphics *g = g_ptr_array_index (graphics, i);

      if (g_strcmp0 (g->type, "vnc") == 0)
        return GB_GRAPHICS_PROTOCOL_VNC;
      if (g_strcmp0 (g->type, "spice") == 0)
        return GB_GRAPHICS_PROTOCOL_SPICE;
    }
  return GB_GRAPHICS_PROTOCOL_NONE;
}

void
gb_machine_open_graphics_async (GbMachine           *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (GB_IS_MACHINE (self));

  GB_MACHINE_GET_CLASS (self)->open_graphics_async (self, cancellable, callback, user_data);
}

int
gb_machine_open_graphics_finish (GbMachine     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (GB_IS_MACHINE (self), -1);

  return GB_MACHINE_GET_CLASS (self)->open_graphics_finish (self, result, error);
}

void
gb_machine_open_serial_async (GbMachine           *self,
                              const char          *device,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (GB_IS_MACHINE (self));

  GB_MACHINE_GET_CLASS (self)->open_serial_async (self, device, cancellable, callback, user_data);
}

/**
 * gb_machine_open_serial_finish:
 *
 * Returns: (transfer full): a stream to the console, or %NULL with @error set
 */
GIOStream *
gb_machine_open_serial_finish (GbMachine     *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (GB_IS_MACHINE (self), NULL);

  return GB_MACHINE_GET_CLASS (self)->open_serial_finish (self, result, error);
}

void
gb_machine_query_internals_async (GbMachine           *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (GB_IS_MACHINE (self));

  GB_MACHINE_GET_CLASS (self)->query_internals_async (self, cancellable, callback, user_data);
}

JsonNode *
gb_machine_query_internals_finish (GbMachine     *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (GB_IS_MACHINE (self), NULL);

  return GB_MACHINE_GET_CLASS (self)->query_internals_finish (self, result, error);
}
