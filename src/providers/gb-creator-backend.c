/* gb-creator-backend.c — what the New Machine wizard needs from a place to run
 *
 * The wizard's model (GbMachineCreator) holds the user's choices and knows
 * nothing of where machines run.  A backend does: it learns the host (what
 * it can boot, how fast, its storage and networks), turns the choices into
 * that place's machine description and creates disk and machine.  One
 * subclass per kind of provider, which the provider itself hands out
 * (GbProviderClass.new_creator, gb_provider_new_creator()): no caller
 * looks at the provider's type.  gb-creator-libvirt.c (domain XML, pools,
 * networks) and gb-creator-bundled.c (glassbox-vmm's JSON, disks in its
 * folder).  The choices arrive as a plain GbMachineSpec.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gb-creator-backend.h"

typedef struct
{
  GbProvider    *provider;
  GbCreatorHost *host;
} GbCreatorBackendPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (GbCreatorBackend, gb_creator_backend, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PROVIDER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GbCreatorHost *
gb_creator_host_new (void)
{
  GbCreatorHost *host = g_new0 (GbCreatorHost, 1);

  host->arch = g_strdup ("x86_64");
  host->accel = GB_CREATOR_ACCEL_OTHER;
  host->pool_paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  host->volumes = g_new0 (char *, 1);
  host->bridges = g_new0 (char *, 1);
  return host;
}

void
gb_creator_host_free (GbCreatorHost *host)
{
  if (host == NULL)
    return;
  g_free (host->arch);
  g_free (host->image_folder);
  g_clear_pointer (&host->pool_paths, g_hash_table_unref);
  g_strfreev (host->volumes);
  g_strfreev (host->bridges);
  g_free (host);
}

static void
gb_creator_backend_finalize (GObject *object)
{
  GbCreatorBackendPrivate *priv = gb_creator_backend_get_instance_private (GB_CREATOR_BACKEND (object));

  g_clear_object (&priv->provider);
  g_clear_pointer (&priv->host, gb_creator_host_free);
  G_OBJECT_CLASS (gb_creator_backend_parent_class)->finalize (object);
}

static void
gb_creator_backend_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  GbCreatorBackendPrivate *priv = gb_creator_backend_get_instance_private (GB_CREATOR_BACKEND (object));

  switch (prop_id)
    {
    case PROP_PROVIDER:
      g_value_set_object (value, priv->provider);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_creator_backend_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  GbCreatorBackendPrivate *priv = gb_creator_backend_get_instance_private (GB_CREATOR_BACKEND (object));

  switch (prop_id)
    {
    case PROP_PROVIDER:
      priv->provider = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
gb_creator_backend_real_check (GbCreatorBackend  *self,
                               const GbMachineSpec  *choices,
                               GError           **error)
{
  return TRUE;
}

static gboolean
gb_creator_backend_real_disks_in_folder (GbCreatorBackend *self)
{
  return FALSE;
}

/* No storage pools. */
static void
gb_creator_backend_real_list_pools_async (GbCreatorBackend    *self,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, gb_creator_backend_real_list_pools_async);
  g_task_return_pointer (task, g_new0 (char *, 1), (GDestroyNotify) g_strfreev);
}

static void
gb_creator_backend_real_list_volumes_async (GbCreatorBackend    *self,
                                            const char          *pool,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, gb_creator_backend_real_list_volumes_async);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           _("There is no storage pool here."));
}

static void
gb_creator_backend_class_init (GbCreatorBackendClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gb_creator_backend_finalize;
  object_class->get_property = gb_creator_backend_get_property;
  object_class->set_property = gb_creator_backend_set_property;
  klass->check = gb_creator_backend_real_check;
  klass->disks_in_folder = gb_creator_backend_real_disks_in_folder;
  klass->list_pools_async = gb_creator_backend_real_list_pools_async;
  klass->list_volumes_async = gb_creator_backend_real_list_volumes_async;

  properties[PROP_PROVIDER] =
    g_param_spec_object ("provider", NULL, NULL, GB_TYPE_PROVIDER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gb_creator_backend_init (GbCreatorBackend *self)
{
  GbCreatorBackendPrivate *priv = gb_creator_backend_get_instance_private (self);

  priv->host = gb_creator_host_new ();
}

/* Whether the wizard can make machines on @provider (it says so through
 * its new_creator vfunc). */
gboolean
gb_creator_backend_supports (GbProvider *provider)
{
  return gb_provider_can_create (provider);
}

/**
 * gb_creator_backend_new_for_provider:
 *
 * Returns: (transfer full) (nullable): the backend for @provider's kind, or
 *   %NULL when the wizard cannot make machines there
 */
GbCreatorBackend *
gb_creator_backend_new_for_provider (GbProvider *provider)
{
  return gb_provider_new_creator (provider);
}

GbProvider *
gb_creator_backend_get_provider (GbCreatorBackend *self)
{
  GbCreatorBackendPrivate *priv = gb_creator_backend_get_instance_private (self);

  return priv->provider;
}

/* What prepare learnt (defaults before it ran). */
const GbCreatorHost *
gb_creator_backend_get_host (GbCreatorBackend *self)
{
  GbCreatorBackendPrivate *priv = gb_creator_backend_get_instance_private (self);

  return priv->host;
}

void
gb_creator_backend_prepare_async (GbCreatorBackend    *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GB_CREATOR_BACKEND_GET_CLASS (self)->prepare_async (self, cancellable, callback, user_data);
}

gboolean
gb_creator_backend_prepare_finish (GbCreatorBackend  *self,
                                   GAsyncResult      *result,
                                   GError           **error)
{
  GbCreatorBackendPrivate *priv = gb_creator_backend_get_instance_private (self);
  GbCreatorHost *host = GB_CREATOR_BACKEND_GET_CLASS (self)->prepare_finish (self, result, error);

  if (host == NULL)
    return FALSE;
  gb_creator_host_free (priv->host);
  priv->host = host;
  return TRUE;
}

gboolean
gb_creator_backend_name_taken (GbCreatorBackend *self,
                               const char       *name)
{
  return GB_CREATOR_BACKEND_GET_CLASS (self)->name_taken (self, name);
}

gboolean
gb_creator_backend_check (GbCreatorBackend  *self,
                          const GbMachineSpec  *choices,
                          GError           **error)
{
  return GB_CREATOR_BACKEND_GET_CLASS (self)->check (self, choices, error);
}

void
gb_creator_backend_create_async (GbCreatorBackend    *self,
                                 const GbMachineSpec    *choices,
                                 gboolean             start,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GB_CREATOR_BACKEND_GET_CLASS (self)->create_async (self, choices, start, cancellable, callback, user_data);
}

char *
gb_creator_backend_create_finish (GbCreatorBackend  *self,
                                  GAsyncResult      *result,
                                  GError           **error)
{
  return GB_CREATOR_BACKEND_GET_CLASS (self)->create_finish (self, result, error);
}

char *
gb_creator_backend_describe (GbCreatorBackend *self)
{
  return GB_CREATOR_BACKEND_GET_CLASS (self)->describe (self);
}

char *
gb_creator_backend_dup_warning (GbCreatorBackend *self)
{
  if (GB_CREATOR_BACKEND_GET_CLASS (self)->dup_warning == NULL)
    return NULL;
  return GB_CREATOR_BACKEND_GET_CLASS (self)->dup_warning (self);
}

/* ------------------------------------------------------------------ */
/* New disks                                                          */

/* Whether a new disk may be a file in a folder of this computer: only
 * where the machines run here (never for qemu+ssh://). */
gboolean
gb_creator_backend_disks_in_folder (GbCreatorBackend *self)
{
  g_return_val_if_fail (GB_IS_CREATOR_BACKEND (self), FALSE);

  return GB_CREATOR_BACKEND_GET_CLASS (self)->disks_in_folder (self);
}

/* Returns: (transfer full) (nullable): the folder to offer first */
char *
gb_creator_backend_dup_disk_folder (GbCreatorBackend *self)
{
  g_return_val_if_fail (GB_IS_CREATOR_BACKEND (self), NULL);

  if (GB_CREATOR_BACKEND_GET_CLASS (self)->dup_disk_folder == NULL)
    return NULL;
  return GB_CREATOR_BACKEND_GET_CLASS (self)->dup_disk_folder (self);
}

void
gb_creator_backend_list_pools_async (GbCreatorBackend    *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (GB_IS_CREATOR_BACKEND (self));

  GB_CREATOR_BACKEND_GET_CLASS (self)->list_pools_async (self, cancellable, callback, user_data);
}

/* Returns: (transfer full): active pool names, the default first */
GStrv
gb_creator_backend_list_pools_finish (GbCreatorBackend  *self,
                                      GAsyncResult      *result,
                                      GError           **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
gb_creator_backend_list_volumes_async (GbCreatorBackend    *self,
                                       const char          *pool,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_return_if_fail (GB_IS_CREATOR_BACKEND (self));
  g_return_if_fail (pool != NULL);

  GB_CREATOR_BACKEND_GET_CLASS (self)->list_volumes_async (self, pool, cancellable, callback, user_data);
}

/* Returns: (transfer full): the volume names in the pool */
GStrv
gb_creator_backend_list_volumes_finish (GbCreatorBackend  *self,
                                        GAsyncResult      *result,
                                        GError           **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * gb_creator_backend_create_disk_async:
 * @pool: (nullable): a storage pool's name, or %NULL for a file in @folder
 * @folder: (nullable): the folder, when @pool is %NULL
 *
 * Makes a disk image where this place's machines can use it.
 */
void
gb_creator_backend_create_disk_async (GbCreatorBackend    *self,
                                      const char          *pool,
                                      const char          *folder,
                                      const GbDiskSpec    *spec,
                                      GbDiskProgress       progress,
                                      gpointer             progress_data,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (GB_IS_CREATOR_BACKEND (self));
  g_return_if_fail (pool != NULL || folder != NULL);

  if (pool == NULL && !gb_creator_backend_disks_in_folder (self))
    {
      g_task_report_new_error (self, callback, user_data, gb_creator_backend_create_disk_async,
                               G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("Disks in folders need a connection to this computer."));
      return;
    }
  GB_CREATOR_BACKEND_GET_CLASS (self)->create_disk_async (self, pool, folder, spec, progress, progress_data,
                                                          cancellable, callback, user_data);
}

/* Returns: (transfer full): the new disk's path */
char *
gb_creator_backend_create_disk_finish (GbCreatorBackend  *self,
                                       GAsyncResult      *result,
                                       GError           **error)
{
  return gb_disk_create_finish (result, error);
}
