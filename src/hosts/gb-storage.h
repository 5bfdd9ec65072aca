/* gb-storage.h — one libvirt connection's storage pools and volumes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Plain functions on a virConnectPtr that block: call them from a worker
 * thread (gb_storage_run_async() does) or from a test. Definitions are built
 * with libvirt-gconfig; what libvirt says comes back as a GB_LIBVIRT_ERROR
 * with libvirt's own message.
 */
#pragma once

#include <gio/gio.h>
#include <libvirt/libvirt.h>

G_BEGIN_DECLS

#define GB_STORAGE_ERROR (gb_storage_error_quark ())
GQuark gb_storage_error_quark (void);

typedef enum {
  GB_STORAGE_ERROR_IN_USE,    /* a machine uses the volume */
  GB_STORAGE_ERROR_CANCELLED,
  GB_STORAGE_ERROR_LOCAL_FILE,
} GbStorageError;

typedef struct {
  char     *name;
  char     *type;          /* "dir", "fs", "netfs", "logical", "iscsi", "disk", … */
  char     *target;        /* target path */
  char     *source;        /* a short description of the source, or NULL */
  gboolean  active;
  gboolean  autostart;
  gboolean  persistent;
  guint64   capacity;
  guint64   allocation;
  guint64   available;
} GbStoragePoolInfo;

typedef struct {
  char     *name;
  char     *pool;
  char     *path;
  char     *format;        /* "qcow2", "raw", … or NULL */
  char     *backing;       /* backing file path, or NULL */
  guint64   capacity;
  guint64   allocation;
  char    **used_by;       /* names of the machines whose disks are this volume */
} GbStorageVolumeInfo;

typedef struct {
  const char *name;
  const char *type;        /* as libvirt names it */
  const char *target;      /* dir, fs, netfs, logical: where it appears */
  const char *source_host; /* netfs, iscsi */
  const char *source_dir;  /* netfs: the export */
  const char *source_device; /* fs, disk: the block device; iscsi: the IQN */
  const char *source_name; /* logical: the volume group */
} GbStoragePoolSpec;

typedef struct {
  const char *name;
  const char *format;      /* "qcow2" or "raw" */
  guint64     capacity;
  const char *backing;     /* a path, or NULL */
  const char *backing_format;
} GbStorageVolumeSpec;

typedef enum {
  GB_STORAGE_POOL_START,
  GB_STORAGE_POOL_STOP,
  GB_STORAGE_POOL_REFRESH,
  GB_STORAGE_POOL_AUTOSTART_ON,
  GB_STORAGE_POOL_AUTOSTART_OFF,
  GB_STORAGE_POOL_DELETE,  /* stops, undefines; a "dir" pool's folder is removed when empty */
} GbStoragePoolAction;

void       gb_storage_pool_info_free    (GbStoragePoolInfo   *info);
void       gb_storage_volume_info_free  (GbStorageVolumeInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbStoragePoolInfo, gb_storage_pool_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbStorageVolumeInfo, gb_storage_volume_info_free)

/* Pool types this connection can define, from its storage pool capabilities
 * (virConnectGetStoragePoolCapabilities); "dir" first. */
char     **gb_storage_pool_types        (virConnectPtr         conn);

GPtrArray *gb_storage_list_pools        (virConnectPtr         conn,
                                         GError              **error);
char      *gb_storage_pool_xml          (const GbStoragePoolSpec *spec);
gboolean   gb_storage_pool_create       (virConnectPtr         conn,
                                         const GbStoragePoolSpec *spec,
                                         GError              **error);
gboolean   gb_storage_pool_act          (virConnectPtr         conn,
                                         const char           *pool,
                                         GbStoragePoolAction   action,
                                         GError              **error);

GPtrArray *gb_storage_list_volumes      (virConnectPtr         conn,
                                         const char           *pool,
                                         GError              **error);
char      *gb_storage_volume_xml        (const GbStorageVolumeSpec *spec);
gboolean   gb_storage_volume_create     (virConnectPtr         conn,
                                         const char           *pool,
                                         const GbStorageVolumeSpec *spec,
                                         GError              **error);
gboolean   gb_storage_volume_resize     (virConnectPtr         conn,
                                         const char           *pool,
                                         const char           *volume,
                                         guint64               capacity,
                                         GError              **error);
/* Refuses (GB_STORAGE_ERROR_IN_USE, naming the machines) while a machine's
 * disk is this volume, unless @even_if_used. */
gboolean   gb_storage_volume_delete     (virConnectPtr         conn,
                                         const char           *pool,
                                         const char           *volume,
                                         gboolean              even_if_used,
                                         GError              **error);
/* The machines of @conn whose disks are @path (or pool/volume). */
char     **gb_storage_volume_users      (virConnectPtr         conn,
                                         const char           *pool,
                                         const char           *volume,
                                         const char           *path);

/* Copies a local file into the volume (virStorageVolUpload) or the volume
 * into a local file (virStorageVolDownload) through a libvirt stream; @done
 * (read it with g_atomic_pointer_get()) counts bytes, @total is set first. */
gboolean   gb_storage_volume_transfer   (virConnectPtr         conn,
                                         const char           *pool,
                                         const char           *volume,
                                         const char           *local_path,
                                         gboolean              upload,
                                         guint64              *total,
                                         gsize                *done,
                                         GCancellable         *cancellable,
                                         GError              **error);

/* Runs @func (conn, data, cancellable, error) in a worker thread, with its
 * own reference on @conn. Returns what @func returned (NULL + error = failed). */
typedef gpointer (*GbStorageFunc) (virConnectPtr   conn,
                                   gpointer        data,
                                   GCancellable   *cancellable,
                                   GError        **error);
void       gb_storage_run_async         (virConnectPtr         conn,
                                         GbStorageFunc         func,
                                         gpointer              data,
                                         GDestroyNotify        data_free,
                                         GDestroyNotify        result_free,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
gpointer   gb_storage_run_finish        (GAsyncResult         *result,
                                         GError              **error);

G_END_DECLS
