/* gb-creator-osinfo.c — the shared libosinfo database and what the creator asks of it
 *
 * Loading the database parses a few thousand XML files (~0.2 s, ~50 MB), so
 * it happens once, lazily, in a worker thread; every caller that asks while
 * it loads waits for the same result.  After that the database is only read,
 * from the main thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "gb-creator-osinfo.h"

static OsinfoDb  *shared_db;
static GPtrArray *waiting;   /* GTask*, callers waiting for the load */

static void
load_db_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  g_autoptr(OsinfoLoader) loader = osinfo_loader_new ();
  g_autoptr(GError) error = NULL;
  OsinfoDb *db;

  osinfo_loader_process_default_path (loader, &error);
  db = osinfo_loader_get_db (loader);

  /* A broken user override file makes process_default_path report an error
   * after it has loaded everything else: only fail when nothing loaded. */
  if (error != NULL && osinfo_list_get_length (OSINFO_LIST (osinfo_db_get_os_list (db))) == 0)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (error != NULL)
    g_debug ("osinfo: %s", error->message);

  g_task_return_pointer (task, g_object_ref (db), g_object_unref);
}

static void
load_db_done (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GPtrArray) tasks = g_steal_pointer (&waiting);
  g_autoptr(GError) error = NULL;
  OsinfoDb *db;

  db = g_task_propagate_pointer (G_TASK (result), &error);
  if (db != NULL && shared_db == NULL)
    shared_db = db;
  else
    g_clear_object (&db);

  for (guint i = 0; i < tasks->len; i++)
    {
      GTask *task = g_ptr_array_index (tasks, i);

      if (shared_db != NULL)
        g_task_return_pointer (task, g_object_ref (shared_db), g_object_unref);
      else
        g_task_return_error (task, g_error_copy (error));
    }
}

/**
 * gb_osinfo_load_db_async:
 *
 * Loads the osinfo database once per process, off the main thread.  The
 * result is shared; callers get a new reference.
 */
void
gb_osinfo_load_db_async (GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, gb_osinfo_load_db_async);

  if (shared_db != NULL)
    {
      g_task_return_pointer (task, g_object_ref (shared_db), g_object_unref);
      return;
    }

  if (waiting == NULL)
    {
      g_autoptr(GTask) load = g_task_new (NULL, NULL, load_db_done, NULL);

      waiting = g_ptr_array_new_with_free_func (g_object_unref);
      g_task_set_source_tag (load, load_db_thread);
      g_task_run_in_thread (load, load_db_thread);
    }

  g_ptr_array_add (waiting, g_steal_pointer (&task));
}

OsinfoDb *
gb_osinfo_load_db_finish (GAsyncResult  *result,
                          GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The database if it is loaded already, else NULL.  No reference. */
OsinfoDb *
gb_osinfo_peek_db (void)
{
  return shared_db;
}

static int
compare_versions (OsinfoOs *a,
                  OsinfoOs *b)
{
  const char *va = osinfo_product_get_version (OSINFO_PRODUCT (a));
  const char *vb = osinfo_product_get_version (OSINFO_PRODUCT (b));

  return strverscmp (va ? va : "", vb ? vb : "");
}

static gboolean
is_released (OsinfoOs *os)
{
  return osinfo_os_get_release_status (os) == OSINFO_RELEASE_STATUS_RELEASED;
}

/* The newest "Generic Linux YYYY" entry (linux2022 with Debian 12's db). */
OsinfoOs *
gb_osinfo_generic_linux (OsinfoDb *db)
{
  g_autoptr(OsinfoOsList) list = osinfo_db_get_os_list (db);
  OsinfoOs *best = NULL;
  guint n = osinfo_list_get_length (OSINFO_LIST (list));

  for (guint i = 0; i < n; i++)
    {
      OsinfoOs *os = OSINFO_OS (osinfo_list_get_nth (OSINFO_LIST (list), i));
      const char *id = osinfo_entity_get_id (OSINFO_ENTITY (os));

      if (!g_str_has_prefix (id, "http://libosinfo.org/linux/"))
        continue;
      if (best == NULL || compare_versions (os, best) > 0)
        best = os;
    }

  return best ? g_object_ref (best) : NULL;
}

/**
 * gb_osinfo_find_fallback_os:
 * @volume_id: (nullable): the media's volume id, e.g. "Debian 12.1.0 amd64 n"
 *
 * For media the database does not know (often: newer than the database),
 * the closest thing it does know: the same distribution's release with the
 * highest version not above the one in the volume id (or its newest release
 * when the volume id names a newer one), else generic Linux.  Never NULL
 * while the database has a generic Linux entry.
 */
OsinfoOs *
gb_osinfo_find_fallback_os (OsinfoDb   *db,
                            const char *volume_id)
{
  g_autofree char *lower = NULL;
  g_auto(GStrv) words = NULL;
  g_autoptr(OsinfoOsList) list = NULL;
  const char *wanted_version = NULL;
  OsinfoOs *newest = NULL;
  OsinfoOs *closest = NULL;
  guint n;

  if (volume_id == NULL || *volume_id == '\0')
    return gb_osinfo_generic_linux (db);

  lower = g_ascii_strdown (volume_id, -1);
  g_strdelimit (lower, "_-", ' ');
  words = g_strsplit (lower, " ", -1);
  if (words[0] == NULL || *words[0] == '\0')
    return gb_osinfo_generic_linux (db);

  for (guint i = 1; words[i] != NULL; i++)
    if (g_ascii_isdigit (words[i][0]))
      {
        wanted_version = words[i];
        break;
      }

  list = osinfo_db_get_os_list (db);
  n = osinfo_list_get_length (OSINFO_LIST (list));
  for (guint i = 0; i < n; i++)
    {
      OsinfoOs *os = OSINFO_OS (osinfo_list_get_nth (OSINFO_LIST (list), i));
      const char *distro = osinfo_os_get_distro (os);
      const char *version = osinfo_product_get_version (OSINFO_PRODUCT (os));

      if (distro == NULL || g_ascii_strcasecmp (distro, words[0]) != 0)
        continue;
      if (!is_released (os) || version == NULL || !g_ascii_isdigit (version[0]))
        continue;

      if (newest == NULL || compare_versions (os, newest) > 0)
        newest = os;

      /* "11" matches "11.5.0"; keep the highest version <= the wanted one. */
      if (wanted_version != NULL &&
          strverscmp (version, wanted_version) <= 0 &&
          (closest == NULL || compare_versions (os, closest) > 0))
        closest = os;
    }

  if (closest != NULL)
    return g_object_ref (closest);
  if (newest != NULL)
    return g_object_ref (newest);
  return gb_osinfo_generic_linux (db);
}

static int
compare_os_by_name (gconstpointer a,
                    gconstpointer b)
{
  OsinfoProduct *pa = *(OsinfoProduct **) a;
  OsinfoProduct *pb = *(OsinfoProduct **) b;

  return g_utf8_collate (osinfo_product_get_name (pa) ?: "",
                         osinfo_product_get_name (pb) ?: "");
}

/* Every operating system in the database, sorted by name (a new array of
 * references), for the searchable list. */
GPtrArray *
gb_osinfo_list_os (OsinfoDb *db)
{
  g_autoptr(OsinfoOsList) list = osinfo_db_get_os_list (db);
  GPtrArray *ret = g_ptr_array_new_with_free_func (g_object_unref);
  guint n = osinfo_list_get_length (OSINFO_LIST (list));

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (ret, g_object_ref (osinfo_list_get_nth (OSINFO_LIST (list), i)));
  g_ptr_array_sort (ret, compare_os_by_name);

  return ret;
}

static void
fill_from_list (OsinfoResourcesList *list,
                const char          *arch,
                GbOsResources       *out)
{
  guint n;

  if (list == NULL || out == NULL)
    return;

  /* An entry for this very architecture wins over arch="all". */
  n = osinfo_list_get_length (OSINFO_LIST (list));
  for (guint pass = 0; pass < 2; pass++)
    for (guint i = 0; i < n; i++)
      {
        OsinfoResources *r = OSINFO_RESOURCES (osinfo_list_get_nth (OSINFO_LIST (list), i));
        const char *r_arch = osinfo_resources_get_architecture (r);

        if (g_strcmp0 (r_arch, pass == 0 ? arch : OSINFO_ARCHITECTURE_ALL) != 0)
          continue;

        if (out->ram <= 0 && osinfo_resources_get_ram (r) > 0)
          out->ram = osinfo_resources_get_ram (r);
        if (out->n_cpus <= 0 && osinfo_resources_get_n_cpus (r) > 0)
          out->n_cpus = osinfo_resources_get_n_cpus (r);
        if (out->storage <= 0 && osinfo_resources_get_storage (r) > 0)
          out->storage = osinfo_resources_get_storage (r);
      }
}

/**
 * gb_osinfo_get_resources:
 *
 * libosinfo's minimum and recommended resources for @os on @arch.  Values the
 * OS itself leaves out come from the OS it derives from (as libosinfo's
 * "inherit" means); what is still unknown stays 0.
 */
void
gb_osinfo_get_resources (OsinfoOs      *os,
                         const char    *arch,
                         GbOsResources *minimum,
                         GbOsResources *recommended)
{
  g_autoptr(OsinfoOs) current = g_object_ref (os);

  if (minimum)
    *minimum = (GbOsResources) { 0, };
  if (recommended)
    *recommended = (GbOsResources) { 0, };

  for (guint depth = 0; current != NULL && depth < 16; depth++)
    {
      g_autoptr(OsinfoResourcesList) min_list = osinfo_os_get_minimum_resources (current);
      g_autoptr(OsinfoResourcesList) rec_list = osinfo_os_get_recommended_resources (current);
      g_autoptr(OsinfoProductList) parents = NULL;

      fill_from_list (min_list, arch, minimum);
      fill_from_list (rec_list, arch, recommended);

      if ((minimum == NULL || (minimum->ram && minimum->n_cpus && minimum->storage)) &&
          (recommended == NULL || (recommended->ram && recommended->n_cpus && recommended->storage)))
        break;

      parents = osinfo_product_get_related (OSINFO_PRODUCT (current),
                                            OSINFO_PRODUCT_RELATIONSHIP_DERIVES_FROM);
      if (osinfo_list_get_length (OSINFO_LIST (parents)) == 0)
        break;
      g_set_object (&current, OSINFO_OS (osinfo_list_get_nth (OSINFO_LIST (parents), 0)));
    }
}

/* Whether the OS has a driver for a device named @name_a (or @name_b), as
 * listed in its (inherited) device list, e.g. "virtio-block". */
gboolean
gb_osinfo_supports_device (OsinfoOs   *os,
                           const char *name_a,
                           const char *name_b)
{
  g_autoptr(OsinfoDeviceList) devices = NULL;
  guint n;

  if (os == NULL)
    return FALSE;

  devices = osinfo_os_get_all_devices (os, NULL);
  n = osinfo_list_get_length (OSINFO_LIST (devices));
  for (guint i = 0; i < n; i++)
    {
      OsinfoDevice *dev = OSINFO_DEVICE (osinfo_list_get_nth (OSINFO_LIST (devices), i));
      const char *name = osinfo_device_get_name (dev);

      if (g_strcmp0 (name, name_a) == 0 || (name_b && g_strcmp0 (name, name_b) == 0))
        return TRUE;
    }

  return FALSE;
}

gboolean
gb_osinfo_supports_virtio_block (OsinfoOs *os)
{
  return gb_osinfo_supports_device (os, "virtio-block", "virtio1.0-block");
}

gboolean
gb_osinfo_supports_virtio_net (OsinfoOs *os)
{
  return gb_osinfo_supports_device (os, "virtio-net", "virtio1.0-net");
}

/**
 * gb_osinfo_supports_efi:
 *
 * An explicit <firmware type="efi"/> for @arch decides.  Without one,
 * osinfo-db (2022) simply has not recorded it for most systems: a Linux
 * released since 2013 (when distributions shipped signed EFI loaders)
 * counts as supporting it; anything else does not.
 */
gboolean
gb_osinfo_supports_efi (OsinfoOs   *os,
                        const char *arch)
{
  g_autoptr(OsinfoFirmwareList) list = NULL;
  const char *released;
  guint n;

  if (os == NULL)
    return FALSE;

  list = osinfo_os_get_complete_firmware_list (os, NULL);
  n = osinfo_list_get_length (OSINFO_LIST (list));
  for (guint i = 0; i < n; i++)
    {
      OsinfoFirmware *fw = OSINFO_FIRMWARE (osinfo_list_get_nth (OSINFO_LIST (list), i));

      if (g_strcmp0 (osinfo_firmware_get_firmware_type (fw), "efi") == 0 &&
          g_strcmp0 (osinfo_firmware_get_architecture (fw), arch) == 0)
        return osinfo_firmware_is_supported (fw);
    }

  if (g_strcmp0 (osinfo_os_get_family (os), "linux") != 0)
    return FALSE;

  /* "YYYY-MM-DD"; the generic Linux entries have none. */
  released = osinfo_product_get_release_date_string (OSINFO_PRODUCT (os));
  if (released == NULL)
    return g_str_has_prefix (osinfo_entity_get_id (OSINFO_ENTITY (os)),
                             "http://libosinfo.org/linux/");
  return atoi (released) >= 2013;
}
