/* gb-creator-backend.h — what the New Machine wizard needs from a place to run
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "gb-creator-types.h"
#include "gb-disk-creator.h"
#include "gb-machine-spec.h"
#include "gb-provider.h"

G_BEGIN_DECLS


#define GB_TYPE_CREATOR_BACKEND (gb_creator_backend_get_type ())
G_DECLARE_DERIVABLE_TYPE (GbCreatorBackend, gb_creator_backend, GB, CREATOR_BACKEND, GObject)

struct _GbCreatorBackendClass
{
  GObjectClass parent_class;

  /* Learns the host, off the main thread; the result is a GbCreatorHost. */
  void           (*prepare_async)  (GbCreatorBackend     *self,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
  GbCreatorHost *(*prepare_finish) (GbCreatorBackend     *self,
                                    GAsyncResult         *result,
                                    GError              **error);
  /* From what prepare learnt: no blocking call. */
  gboolean       (*name_taken)     (GbCreatorBackend     *self,
                                    const char           *name);
  /* Whether the choices make a machine here, with a sentence if not. */
  gboolean       (*check)          (GbCreatorBackend     *self,
                                    const GbMachineSpec     *choices,
                                    GError              **error);
  /* Makes disk and machine; the result is the new machine's UUID. */
  void           (*create_async)   (GbCreatorBackend     *self,
                                    const GbMachineSpec     *choices,
                                    gboolean              start,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
  char          *(*create_finish)  (GbCreatorBackend     *self,
                                    GAsyncResult         *result,
                                    GError              **error);
  /* One line for the summary: where, and how fast. */
  char          *(*describe)       (GbCreatorBackend     *self);
  /* A problem of the host to show before anything is chosen; NULL if none. */
  char          *(*dup_warning)    (GbCreatorBackend     *self);

  /* New disks (the New Disk dialog).  Whether a file in a folder of this
   * computer is of use to this place's machines, and which folder to offer
   * first (nullable). */
  gboolean       (*disks_in_folder)     (GbCreatorBackend  *self);
  char          *(*dup_disk_folder)     (GbCreatorBackend  *self);
  /* Its active storage pools by name, the default first; an empty list
   * where it has none.  The result is a GStrv. */
  void           (*list_pools_async)    (GbCreatorBackend    *self,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
  /* The volumes in @pool by name, freshly read.  The result is a GStrv. */
  void           (*list_volumes_async)  (GbCreatorBackend    *self,
                                         const char          *pool,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
  /* A disk in @pool, or (pool NULL) a file in @folder; the result is its
   * path (char *). */
  void           (*create_disk_async)   (GbCreatorBackend    *self,
                                         const char          *pool,
                                         const char          *folder,
                                         const GbDiskSpec    *spec,
                                         GbDiskProgress       progress,
                                         gpointer             progress_data,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
};

gboolean             gb_creator_backend_supports       (GbProvider           *provider);
GbCreatorBackend    *gb_creator_backend_new_for_provider (GbProvider         *provider);

GbProvider          *gb_creator_backend_get_provider   (GbCreatorBackend     *self);
const GbCreatorHost *gb_creator_backend_get_host       (GbCreatorBackend     *self);

void                 gb_creator_backend_prepare_async  (GbCreatorBackend     *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean             gb_creator_backend_prepare_finish (GbCreatorBackend     *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
gboolean             gb_creator_backend_name_taken     (GbCreatorBackend     *self,
                                                        const char           *name);
gboolean             gb_creator_backend_check          (GbCreatorBackend     *self,
                                                        const GbMachineSpec     *choices,
                                                        GError              **error);
void                 gb_creator_backend_create_async   (GbCreatorBackend     *self,
                                                        const GbMachineSpec     *choices,
                                                        gboolean              start,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
char                *gb_creator_backend_create_finish  (GbCreatorBackend     *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
char                *gb_creator_backend_describe       (GbCreatorBackend     *self);
char                *gb_creator_backend_dup_warning    (GbCreatorBackend     *self);

gboolean             gb_creator_backend_disks_in_folder     (GbCreatorBackend    *self);
char                *gb_creator_backend_dup_disk_folder     (GbCreatorBackend    *self);
void                 gb_creator_backend_list_pools_async    (GbCreatorBackend    *self,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
GStrv                gb_creator_backend_list_pools_finish   (GbCreatorBackend    *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
void                 gb_creator_backend_list_volumes_async  (GbCreatorBackend    *self,
                                                             const char          *pool,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
GStrv                gb_creator_backend_list_volumes_finish (GbCreatorBackend    *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
void                 gb_creator_backend_create_disk_async   (GbCreatorBackend    *self,
                                                             const char          *pool,
                                                             const char          *folder,
                                                             const GbDiskSpec    *spec,
                                                             GbDiskProgress       progress,
                                                             gpointer             progress_data,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
char                *gb_creator_backend_create_disk_finish  (GbCreatorBackend    *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);

G_END_DECLS
