/* gb-osinfo.c — libosinfo look-ups, off the main thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <osinfo/osinfo.h>

#include "gb-osinfo.h"

/* Loading the database parses a few thousand XML files (~0.5 s): do it once,
 * lazily, and never on the main thread. Look-ups are serialised because
 * OsinfoDb makes no promise about concurrent readers. */
static GMutex db_lock;
static OsinfoDb *db;
static gboolean db_loaded;

static OsinfoDb *
get_db_locked (void)
{
  if (!db_loaded)
    {
      g_autoptr(OsinfoLoader) loader = osinfo_loader_new ();
      g_autoptr(GError) error = NULL;

      db_loaded = TRUE;
      osinfo_loader_process_default_path (loader, &error);
      if (error != NULL)
        g_warning ("Could not load the osinfo database: %s", error->message);
      db = g_object_ref (osinfo_loader_get_db (loader));
    }

  return db;
}

static void
resolve_name_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  const char *os_id = task_data;
  OsinfoOs *os;
  char *name = NULL;

  g_mutex_lock (&db_lock);
  os = osinfo_db_get_os (get_db_locked (), os_id);
  if (os != NULL)
    name = g_strdup (osinfo_product_get_name (OSINFO_PRODUCT (os)));
  g_mutex_unlock (&db_lock);

  if (name != NULL)
    g_task_return_pointer (task, name, g_free);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                             _("Unknown operating system “%s”"), os_id);
}

void
gb_osinfo_resolve_name_async (const char          *os_id,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (os_id != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, gb_osinfo_resolve_name_async);
  g_task_set_task_data (task, g_strdup (os_id), g_free);
  g_task_run_in_thread (task, resolve_name_thread);
}

char *
gb_osinfo_resolve_name_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
