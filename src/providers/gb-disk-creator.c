/* gb-disk-creator.c — creating a disk image: in a libvirt pool or a folder
 *
 * A libvirt pool gets its volume through the storage API
 * (virStorageVolCreateXML), so it works on remote hosts too.  A plain folder
 * (the bundled backend's machines live in folders) uses Glassbox's own block
 * engine when it is built in; without it, a transient libvirt "dir" pool
 * over the folder does the same job on a local connection.
 *
 * Existing files are never overwritten: the name is checked against the
 * pool's refreshed volume list and the file system before anything is made.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gi18n.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "gb-libvirt-error.h"
#include "gb-creator-backend.h"
#include "gb-disk-creator-libvirt.h"
#include "gb-libvirt-autoptr.h"

#ifdef HAVE_BLOCK_CREATE
# include "block.h"
#endif

GbDiskSpec *
gb_disk_spec_new (void)
{
  GbDiskSpec *spec = g_new0 (GbDiskSpec, 1);

  spec->format = GB_DISK_FORMAT_QCOW2;
  spec->backing_format = GB_DISK_FORMAT_QCOW2;
  return spec;
}

GbDiskSpec *
gb_disk_spec_copy (const GbDiskSpec *spec)
{
  GbDiskSpec *copy = g_memdup2 (spec, sizeof *spec);

  copy->name = g_strdup (spec->name);
  copy->backing_path = g_strdup (spec->backing_path);
  return copy;
}

void
gb_disk_spec_free (GbDiskSpec *spec)
{
  if (spec == NULL)
    return;
  g_free (spec->name);
  g_free (spec->backing_path);
  g_free (spec);
}

const char *
gb_disk_format_to_string (GbDiskFormat format)
{
  return format == GB_DISK_FORMAT_RAW ? "raw" : "qcow2";
}

/**
 * gb_disk_validate_name:
 *
 * A disk name is a single file name: not empty, no "/", not "." or "..",
 * no leading dot or dash (hidden files, options), printable UTF-8, at most
 * 200 bytes.
 */
gboolean
gb_disk_validate_name (const char  *name,
                       GError     **error)
{
  if (name == NULL || *name == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Enter a name"));
      return FALSE;
    }
  if (strlen (name) > 200)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The name is too long"));
      return FALSE;
    }
  if (!g_utf8_validate (name, -1, NULL) || strchr (name, '/') != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("A name cannot contain “/”"));
      return FALSE;
    }
  if (name[0] == '.' || name[0] == '-')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("A name cannot start with “.” or “-”"));
      return FALSE;
    }
  for (const char *p = name; *p; p = g_utf8_next_char (p))
    if (!g_unichar_isprint (g_utf8_get_char (p)))
      {
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                             _("A name cannot contain control characters"));
        return FALSE;
      }

  return TRUE;
}

/**
 * gb_disk_parse_size:
 * @text: a number as typed, e.g. "20" or "2.5" (the locale's decimal comma
 *   is accepted too)
 * @unit: bytes per unit (e.g. 1 GiB)
 *
 * Between 1 MiB and 64 TiB, rounded up to 512 bytes.
 */
gboolean
gb_disk_parse_size (const char  *text,
                    guint64      unit,
                    guint64     *bytes,
                    GError     **error)
{
  g_autofree char *copy = NULL;
  char *end = NULL;
  double value;
  double total;

  if (text == NULL || *g_strstrip (copy = g_strdup (text)) == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Enter a size"));
      return FALSE;
    }

  g_strdelimit (copy, ",", '.');
  value = g_ascii_strtod (copy, &end);
  if (end == copy || *end != '\0' || !(value > 0) || value != value)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The size must be a positive number"));
      return FALSE;
    }

  total = value * (double) unit;
  if (total < (double) GB_DISK_MIN_SIZE)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The smallest disk is 1 MiB"));
      return FALSE;
    }
  if (total > (double) GB_DISK_MAX_SIZE)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The largest disk is 64 TiB"));
      return FALSE;
    }

  *bytes = ((guint64) total + 511) & ~(guint64) 511;
  return TRUE;
}

/* Whether a file can be made in a folder: with the block engine always,
 * else through a local QEMU driver's transient "dir" pool. */
gboolean
gb_disk_folder_possible (GVirConnection *connection)
{
#ifdef HAVE_BLOCK_CREATE
  return TRUE;
#else
  const char *uri;

  if (connection == NULL || !gvir_connection_is_open (connection))
    return FALSE;
  /* A local QEMU driver writes real files; the test driver does not. */
  uri = gvir_connection_get_uri (connection);
  return uri != NULL && g_str_has_prefix (uri, "qemu:///");
#endif
}

/**
 * gb_disk_can_create_in_folder:
 *
 * Whether a new disk may be a file in a folder of this computer for
 * machines of @provider: only where they run on this computer (Glassbox's
 * own machines, a local libvirt connection), never for a remote host such
 * as qemu+ssh://, whose machines cannot see our disks.
 */
gboolean
gb_disk_can_create_in_folder (GbProvider *provider)
{
  g_autoptr(GbCreatorBackend) backend = provider ? gb_provider_new_creator (provider) : NULL;

  return backend != NULL && gb_creator_backend_disks_in_folder (backend);
}

static void
set_error_from_libvirt (GError     **error,
                        const char  *what)
{
  /* libvirt's error as a sentence (gb-libvirt-error.c), after what failed. */
  gb_libvirt_set_error (error, NULL);
  g_prefix_error (error, "%s: ", what);
}

/* The pool's target directory, from its XML; blocking. */
char *
gb_storage_pool_get_path (GVirStoragePool *pool)
{
  g_autoptr(GVirConfigStoragePool) conf = gvir_storage_pool_get_config (pool, 0, NULL);
  g_autoptr(GVirConfigStoragePoolTarget) target = NULL;

  if (conf == NULL)
    return NULL;
  target = gvir_config_storage_pool_get_target (conf);
  if (target == NULL)
    return NULL;
  return g_strdup (gvir_config_storage_pool_target_get_path (target));
}

typedef struct
{
  GVirStoragePool *pool;
  GVirConnection  *connection;
  char            *folder;
  GbDiskSpec      *spec;
  GbDiskProgress   progress;
  gpointer         progress_data;
  char            *target_path;   /* known once the worker has looked */
  GMutex           lock;
  guint            poll_id;
  gboolean         engine;        /* progress comes from the block engine */
  double           fraction;      /* from the block engine's callback */
} CreateData;

static void
create_data_free (gpointer data)
{
  CreateData *cd = data;

  g_clear_handle_id (&cd->poll_id, g_source_remove);
  g_clear_object (&cd->pool);
  g_clear_object (&cd->connection);
  g_free (cd->folder);
  g_free (cd->target_path);
  gb_disk_spec_free (cd->spec);
  g_mutex_clear (&cd->lock);
  g_free (cd);
}

static GVirConfigStorageVol *
build_volume_config (const GbDiskSpec *spec)
{
  GVirConfigStorageVol *vol = gvir_config_storage_vol_new ();
  g_autoptr(GVirConfigStorageVolTarget) target = gvir_config_storage_vol_target_new ();

  gvir_config_storage_vol_set_name (vol, spec->name);
  gvir_config_storage_vol_set_capacity (vol, spec->capacity);
  /* allocation == capacity asks libvirt to reserve (raw) or preallocate
   * (qcow2) the whole disk now. */
  gvir_config_storage_vol_set_allocation (vol,
                                          spec->prealloc >= GB_DISK_PREALLOC_FALLOC
                                          ? spec->capacity : 0);
  gvir_config_storage_vol_target_set_format (target, gb_disk_format_to_string (spec->format));
  if (spec->format == GB_DISK_FORMAT_QCOW2)
    gvir_config_storage_vol_target_set_compat (target, "1.1");
  gvir_config_storage_vol_set_target (vol, target);

  if (spec->backing_path != NULL)
    {
      g_autoptr(GVirConfigStorageVolBackingStore) backing =
        gvir_config_storage_vol_backing_store_new ();

      gvir_config_storage_vol_backing_store_set_path (backing, spec->backing_path);
      gvir_config_storage_vol_backing_store_set_format (backing,
                                                        gb_disk_format_to_string (spec->backing_format));
      gvir_config_storage_vol_set_backing_store (vol, backing);
    }

  return vol;
}

/* Creates the volume in @pool; blocking, for worker threads.  Returns the
 * new volume's path. */
static char *
create_volume_sync (GVirStoragePool   *pool,
                    const GbDiskSpec  *spec,
                    CreateData        *cd,
                    GCancellable      *cancellable,
                    GError           **error)
{
  g_autoptr(GVirConfigStorageVol) conf = NULL;
  g_autoptr(GVirStorageVol) existing = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  virStoragePoolPtr handle = NULL;
  virStorageVolPtr vol = NULL;
  unsigned int flags = 0;
  char *ret = NULL;

  if (!gb_disk_validate_name (spec->name, error))
    return NULL;
  if (spec->prealloc == GB_DISK_PREALLOC_METADATA && spec->format != GB_DISK_FORMAT_QCOW2)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Only qcow2 disks have metadata to preallocate"));
      return NULL;
    }

  /* The volume list is only as fresh as the last refresh. */
  if (!gvir_storage_pool_refresh (pool, cancellable, error))
    return NULL;
  existing = gvir_storage_pool_get_volume (pool, spec->name);
  if (existing != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("A disk called “%s” exists already"), spec->name);
      return NULL;
    }

  dir = gb_storage_pool_get_path (pool);
  if (dir != NULL && g_str_has_prefix (dir, "/"))
    {
      path = g_build_filename (dir, spec->name, NULL);
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       _("A file called “%s” exists already"), path);
          return NULL;
        }
      g_mutex_lock (&cd->lock);
      cd->target_path = g_strdup (path);
      g_mutex_unlock (&cd->lock);
    }

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  conf = build_volume_config (spec);
  xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (conf));
  if (spec->prealloc == GB_DISK_PREALLOC_METADATA)
    flags |= VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA;

  g_object_get (pool, "handle", &handle, NULL);
  vol = virStorageVolCreateXML (handle, xml, flags);
  if (vol == NULL)
    {
      set_error_from_libvirt (error, _("Could not create the disk"));
      goto out;
    }

  /* libvirt cannot stop half-way; a cancelled creation is undone. */
  if (g_cancellable_is_cancelled (cancellable))
    {
      virStorageVolDelete (vol, 0);
      g_cancellable_set_error_if_cancelled (cancellable, error);
      goto out;
    }

  ret = virStorageVolGetPath (vol);
  if (ret == NULL)
    set_error_from_libvirt (error, _("Could not create the disk"));

out:
  if (vol)
    virStorageVolFree (vol);
  if (handle)
    g_boxed_free (GVIR_TYPE_STORAGE_POOL_HANDLE, handle);
  return ret;
}

/* Progress while libvirt fills the file: how much of it is allocated. */
static gboolean
poll_allocation (gpointer user_data)
{
  CreateData *cd = user_data;
  g_autofree char *path = NULL;
  struct stat st;
  double fraction = 0;

  g_mutex_lock (&cd->lock);
  path = g_strdup (cd->target_path);
  if (cd->engine)
    fraction = cd->fraction;
  g_mutex_unlock (&cd->lock);

  if (!cd->engine && path != NULL && stat (path, &st) == 0 && cd->spec->capacity > 0)
    fraction = MIN (1.0, (double) st.st_blocks * 512 / (double) cd->spec->capacity);

  cd->progress (fraction, cd->progress_data);
  return G_SOURCE_CONTINUE;
}

/**
 * gb_disk_create_in_pool_sync:
 *
 * The blocking form of gb_disk_create_in_pool_async(), for code that is in
 * a worker thread already.  Returns the new volume's path.
 */
char *
gb_disk_create_in_pool_sync (GVirStoragePool   *pool,
                             const GbDiskSpec  *spec,
                             GCancellable      *cancellable,
                             GError           **error)
{
  CreateData cd = { 0, };
  char *ret;

  g_mutex_init (&cd.lock);
  ret = create_volume_sync (pool, spec, &cd, cancellable, error);
  g_free (cd.target_path);
  g_mutex_clear (&cd.lock);
  return ret;
}

static void
create_in_pool_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  CreateData *cd = task_data;
  g_autoptr(GError) error = NULL;
  char *path;

  path = create_volume_sync (cd->pool, cd->spec, cd, cancellable, &error);
  if (path == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, path, g_free);
}

static void
start_progress (CreateData *cd)
{
  if (cd->progress != NULL && cd->spec->prealloc >= GB_DISK_PREALLOC_FALLOC)
    cd->poll_id = g_timeout_add (200, poll_allocation, cd);
}

/**
 * gb_disk_create_in_pool_async:
 * @progress: (nullable): told how far full preallocation has got
 *
 * Creates a volume in @pool (virStorageVolCreateXML) without blocking.  The
 * result is the new volume's path.
 */
void
gb_disk_create_in_pool_async (GVirStoragePool     *pool,
                              const GbDiskSpec    *spec,
                              GbDiskProgress       progress,
                              gpointer             progress_data,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  CreateData *cd = g_new0 (CreateData, 1);

  g_mutex_init (&cd->lock);
  cd->pool = g_object_ref (pool);
  cd->spec = gb_disk_spec_copy (spec);
  cd->progress = progress;
  cd->progress_data = progress_data;
  g_task_set_source_tag (task, gb_disk_create_in_pool_async);
  g_task_set_task_data (task, cd, create_data_free);
  /* The worker checks the cancellable itself, to undo a finished volume. */
  g_task_set_return_on_cancel (task, FALSE);
  start_progress (cd);
  g_task_run_in_thread (task, create_in_pool_thread);
}

#ifdef HAVE_BLOCK_CREATE
typedef struct
{
  CreateData   *cd;
  GCancellable *cancellable;
} EngineProgress;

static bool
block_progress_cb (uint64_t done,
                   uint64_t total,
                   void    *user_data)
{
  EngineProgress *ep = user_data;

  g_mutex_lock (&ep->cd->lock);
  ep->cd->fraction = total ? (double) done / (double) total : 0;
  g_mutex_unlock (&ep->cd->lock);
  return !g_cancellable_is_cancelled (ep->cancellable);
}
#endif

/* Creates @cd->folder/@cd->spec->name; blocking.  Returns the path. */
static char *
create_in_folder (CreateData    *cd,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autofree char *path = NULL;

  if (!gb_disk_validate_name (cd->spec->name, error))
    return NULL;

  path = g_build_filename (cd->folder, cd->spec->name, NULL);
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("A file called “%s” exists already"), path);
      return NULL;
    }
  if (g_mkdir_with_parents (cd->folder, 0755) < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not create %s: %s"), cd->folder, g_strerror (saved));
      return NULL;
    }

#ifdef HAVE_BLOCK_CREATE
  {
    BlockCreateOptions opts = { 0, };
    EngineProgress ep = { cd, cancellable };
    char *message = NULL;
    int r;

    opts.format = cd->spec->format == GB_DISK_FORMAT_RAW ? BLOCK_FORMAT_RAW : BLOCK_FORMAT_QCOW2;
    opts.size = cd->spec->capacity;
    opts.prealloc = (BlockPrealloc) cd->spec->prealloc;
    opts.backing_file = cd->spec->backing_path;
    opts.backing_format = cd->spec->backing_format == GB_DISK_FORMAT_RAW ? BLOCK_FORMAT_RAW : BLOCK_FORMAT_QCOW2;
    opts.progress = block_progress_cb;
    opts.user_data = &ep;
    r = block_create (path, &opts, &message);
    if (r < 0)
      {
        /* A cancelled create removes its file itself. */
        if (r != -ECANCELED || !g_cancellable_set_error_if_cancelled (cancellable, error))
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (-r),
                       _("Could not create the disk: %s"), message ? message : g_strerror (-r));
        free (message);
        return NULL;
      }
    return g_steal_pointer (&path);
  }
#else
  {
    /* A transient pool over the folder, gone again when destroyed. */
    g_autoptr(GVirConfigStoragePool) conf = gvir_config_storage_pool_new ();
    g_autoptr(GVirConfigStoragePoolTarget) target = gvir_config_storage_pool_target_new ();
    g_autofree char *name = g_strdup_printf ("glassbox-folder-%08x", g_str_hash (cd->folder) ^ g_random_int ());
    g_autofree char *xml = NULL;
    virConnectPtr conn = NULL;
    virStoragePoolPtr pool_ptr;
    GVirStoragePool *pool;
    char *vol_path;

    if (cd->connection == NULL)
      {
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                             _("Disks in folders need a local connection"));
        return NULL;
      }

    gvir_config_storage_pool_set_name (conf, name);
    gvir_config_storage_pool_set_pool_type (conf, GVIR_CONFIG_STORAGE_POOL_TYPE_DIR);
    gvir_config_storage_pool_target_set_path (target, cd->folder);
    gvir_config_storage_pool_set_target (conf, target);
    xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (conf));

    g_object_get (cd->connection, "handle", &conn, NULL);
    pool_ptr = virStoragePoolCreateXML (conn, xml, 0);
    if (pool_ptr == NULL)
      {
        set_error_from_libvirt (error, _("Could not use the folder"));
        g_boxed_free (GVIR_TYPE_CONNECTION_HANDLE, conn);
        return NULL;
      }

    pool = g_object_new (GVIR_TYPE_STORAGE_POOL, "handle", pool_ptr, NULL);
    vol_path = create_volume_sync (pool, cd->spec, cd, cancellable, error);
    virStoragePoolDestroy (pool_ptr);
    virStoragePoolFree (pool_ptr);
    g_object_unref (pool);
    g_boxed_free (GVIR_TYPE_CONNECTION_HANDLE, conn);
    return vol_path;
  }
#endif
}

static void
create_in_folder_thread (GTask        *task,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  g_autoptr(GError) error = NULL;
  char *path = create_in_folder (task_data, cancellable, &error);

  if (path == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, path, g_free);
}

/**
 * gb_disk_create_in_folder_sync:
 *
 * The blocking form of gb_disk_create_in_folder_async(), for worker
 * threads.  Returns the new file's path.
 */
char *
gb_disk_create_in_folder_sync (GVirConnection    *connection,
                               const char        *folder,
                               const GbDiskSpec  *spec,
                               GCancellable      *cancellable,
                               GError           **error)
{
  CreateData cd = { 0, };
  char *ret;

  g_mutex_init (&cd.lock);
  cd.connection = connection;
  cd.folder = (char *) folder;
  cd.spec = (GbDiskSpec *) spec;
  ret = create_in_folder (&cd, cancellable, error);
  g_mutex_clear (&cd.lock);
  return ret;
}

/**
 * gb_disk_create_in_folder_async:
 * @connection: (nullable): used when the block engine is not built in
 *
 * Creates the image file @folder/@spec->name without blocking.  The result
 * is its path.
 */
void
gb_disk_create_in_folder_async (GVirConnection      *connection,
                                const char          *folder,
                                const GbDiskSpec    *spec,
                                GbDiskProgress       progress,
                                gpointer             progress_data,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  CreateData *cd = g_new0 (CreateData, 1);

  g_mutex_init (&cd->lock);
  cd->connection = connection ? g_object_ref (connection) : NULL;
  cd->folder = g_strdup (folder);
  cd->spec = gb_disk_spec_copy (spec);
  cd->progress = progress;
  cd->progress_data = progress_data;
  g_task_set_source_tag (task, gb_disk_create_in_folder_async);
  g_task_set_task_data (task, cd, create_data_free);
  g_task_set_return_on_cancel (task, FALSE);

  if (!gb_disk_folder_possible (connection))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("Disks in folders need a local connection"));
      return;
    }

#ifdef HAVE_BLOCK_CREATE
  cd->engine = TRUE;
#endif
  start_progress (cd);
  g_task_run_in_thread (task, create_in_folder_thread);
}

char *
gb_disk_create_finish (GAsyncResult  *result,
                       GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
