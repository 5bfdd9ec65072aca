/* gb-osinfo.c — the one libosinfo database of the process, and the OS names
 * the machine list shows
 *
 * Loading the database parses a few thousand XML files (~0.2 s, ~50 MB), so
 * it happens once, lazily, in a worker thread, the first time something
 * needs it (the New Machine wizard; a machine's OS name only when the OS's
 * own file does not give it, see name_from_os_file()); every caller that
 * asks while it loads waits for the same result.  After that the database
 * is only read, from the main thread.  (There were two loaders, one here
 * and one in the creator, each with its own copy of the database.)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "gb-osinfo.h"

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

OsinfoDb *
gb_osinfo_peek_db (void)
{
  return shared_db;
}

/* Where the osinfo-db file of @os_id would be in @dir: libosinfo's ids are
 * URLs, and osinfo-db names each OS's file after its id, as
 * "http://ubuntu.com/ubuntu/22.04" → os/ubuntu.com/ubuntu-22.04.xml. */
static char *
os_file_in (const char *dir,
            const char *os_id)
{
  const char *rest = strstr (os_id, "://");
  g_autofree char *host = NULL;
  g_autofree char *file = NULL;
  const char *slash;

  if (rest == NULL || (slash = strchr (rest + 3, '/')) == NULL || slash[1] == '\0')
    return NULL;
  host = g_strndup (rest + 3, slash - (rest + 3));
  file = g_strconcat (slash + 1, ".xml", NULL);
  g_strdelimit (file, "/", '-');
  if (strstr (host, "..") || strstr (file, ".."))
    return NULL;
  return g_build_filename (dir, "os", host, file, NULL);
}

/* The name of @os_id from its own file alone, without the whole database:
 * a machine's OS name is what the first window shows, and one file is a few
 * KiB where the database is ~50 MB of heap.  The directories are
 * libosinfo's, most overriding first.  NULL when no file has it (then the
 * whole database answers). */
static char *
name_from_os_file (const char *os_id)
{
  g_autofree char *user = g_build_filename (g_get_user_config_dir (), "osinfo", NULL);
  const char *dirs[] = {
    g_getenv ("OSINFO_USER_DIR") ? g_getenv ("OSINFO_USER_DIR") : user,
    g_getenv ("OSINFO_LOCAL_DIR") ? g_getenv ("OSINFO_LOCAL_DIR") : "/etc/osinfo",
    g_getenv ("OSINFO_SYSTEM_DIR") ? g_getenv ("OSINFO_SYSTEM_DIR") : "/usr/share/osinfo",
  };

  if (g_getenv ("OSINFO_DATA_DIR") != NULL)
    return NULL;   /* the old single-directory layout: leave it to libosinfo */
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = os_file_in (dirs[i], os_id);
      xmlDoc *doc;
      xmlXPathContext *ctx;
      xmlXPathObject *obj;
      char *name = NULL;

      if (path == NULL || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      /* libosinfo reads a single file only with a deprecation warning:
       * the name is one element, read it here. */
      doc = xmlReadFile (path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
      if (doc == NULL)
        return NULL;
      ctx = xmlXPathNewContext (doc);
      xmlXPathRegisterVariable (ctx, (const xmlChar *) "id", xmlXPathNewCString (os_id));
      /* The name in the user's language, as libosinfo picks it: the first
       * of the locale's languages that has one, else the plain name. */
      for (const char *const *lang = g_get_language_names (); name == NULL; lang++)
        {
          const char *expr = *lang && strcmp (*lang, "C") != 0 ?
                             "string(/libosinfo/os[@id=$id]/name[@xml:lang=$lang])" :
                             "string(/libosinfo/os[@id=$id]/name[not(@xml:lang)])";

          if (*lang)
            xmlXPathRegisterVariable (ctx, (const xmlChar *) "lang", xmlXPathNewCString (*lang));
          obj = xmlXPathEvalExpression ((const xmlChar *) expr, ctx);
          if (obj != NULL && obj->type == XPATH_STRING && obj->stringval != NULL && obj->stringval[0] != '\0')
            name = g_strdup ((const char *) obj->stringval);
          xmlXPathFreeObject (obj);
          if (*lang == NULL || strcmp (*lang, "C") == 0)
            break;
        }
      xmlXPathFreeContext (ctx);
      xmlFreeDoc (doc);
      return name;
    }
  return NULL;
}

static void
resolve_name_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  char *name = name_from_os_file (task_data);

  if (name != NULL)
    g_task_return_pointer (task, name, g_free);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no file of its own");
}

static void
resolve_name_db_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(OsinfoDb) db = gb_osinfo_load_db_finish (result, &error);
  const char *os_id = g_task_get_task_data (task);
  OsinfoOs *os;

  if (db == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  os = osinfo_db_get_os (db, os_id);
  if (os != NULL)
    g_task_return_pointer (task, g_strdup (osinfo_product_get_name (OSINFO_PRODUCT (os))), g_free);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                             _("Unknown operating system “%s”"), os_id);
}

static void
resolve_name_file_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *name = g_task_propagate_pointer (G_TASK (result), &error);

  if (name != NULL)
    g_task_return_pointer (task, name, g_free);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    {
      GCancellable *cancellable = g_task_get_cancellable (task);

      gb_osinfo_load_db_async (cancellable, resolve_name_db_cb, g_steal_pointer (&task));
    }
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
  if (shared_db != NULL)
    {
      gb_osinfo_load_db_async (cancellable, resolve_name_db_cb, g_steal_pointer (&task));
      return;
    }
  /* The OS's own file first, in a worker thread; the whole database only
   * if that does not answer. */
  {
    g_autoptr(GTask) file_task = g_task_new (NULL, cancellable, resolve_name_file_cb, g_steal_pointer (&task));

    g_task_set_task_data (file_task, g_strdup (os_id), g_free);
    g_task_run_in_thread (file_task, resolve_name_thread);
  }
}

char *
gb_osinfo_resolve_name_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
