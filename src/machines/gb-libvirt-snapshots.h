/* gb-libvirt-snapshots.h — a libvirt machine's snapshots and saved state
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libvirt/libvirt.h>

#include "gb-libvirt-machine.h"

G_BEGIN_DECLS

/* One snapshot, as libvirt's snapshot XML describes it. */
typedef struct {
  char    *name;
  char    *parent;        /* NULL for a root */
  char    *description;   /* "" when none */
  char    *state;         /* the machine's state when taken: "running", "shutoff", "disk-snapshot" */
  gint64   creation_time; /* seconds since the epoch */
  guint    depth;         /* 0 for a root; the list is in tree order (parents first) */
  gboolean current;
  gboolean external;      /* any disk, or the memory, in a separate file */
  char    *screenshot;    /* the screen when it was taken (running machines), or NULL */
} GbSnapshotInfo;

void gb_snapshot_info_free (GbSnapshotInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbSnapshotInfo, gb_snapshot_info_free)

/* The snapshots, parents before children (GbSnapshotInfo elements). */
void       gb_libvirt_snapshots_list_async  (GbLibvirtMachine    *self,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
GPtrArray *gb_libvirt_snapshots_list_finish (GbLibvirtMachine    *self,
                                             GAsyncResult        *result,
                                             GError             **error);

/* What Debian 12's libvirt 9.0 refuses, said before the user asks: FALSE
 * and a translated sentence in @why. */
gboolean gb_libvirt_snapshot_can_create (GbLibvirtMachine     *self,
                                         gboolean              disk_only,
                                         char                **why);
gboolean gb_libvirt_snapshot_can_revert (GbLibvirtMachine     *self,
                                         const GbSnapshotInfo *info,
                                         char                **why);

/* Internal (every disk qcow2, memory too while running), or with
 * @disk_only an external disk-only snapshot (overlay files beside the disks).
 * A running machine's screen is kept beside it, in
 * $XDG_CACHE_HOME/glassbox/snapshots/UUID/, as virt-manager does. */
void     gb_libvirt_snapshot_create_async  (GbLibvirtMachine    *self,
                                            const char          *name,
                                            const char          *description,
                                            gboolean             disk_only,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
void     gb_libvirt_snapshot_revert_async  (GbLibvirtMachine    *self,
                                            const char          *name,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
void     gb_libvirt_snapshot_delete_async  (GbLibvirtMachine    *self,
                                            const char          *name,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
/* The finish of the three above. */
gboolean gb_libvirt_snapshot_finish        (GbLibvirtMachine    *self,
                                            GAsyncResult        *result,
                                            GError             **error);

/* Managed save: the running machine's memory to a file libvirt keeps; the
 * next start restores it.  The time is kept in the domain's metadata. */
void     gb_libvirt_machine_save_async     (GbLibvirtMachine    *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean gb_libvirt_machine_save_finish    (GbLibvirtMachine    *self,
                                            GAsyncResult        *result,
                                            GError             **error);
/* Whether a saved state waits for the next start, and when it was saved
 * (seconds since the epoch, 0 if unknown).  Blocking: call off the main
 * thread or where a round trip is fine (tests). */
gboolean gb_libvirt_machine_has_saved_state (GbLibvirtMachine   *self,
                                             gint64             *saved_at);

/* The same for a domain handle, in a worker thread (the domain info fetch):
 * 0 none, -1 saved at an unknown time, else seconds since the epoch. */
gint64   gb_libvirt_saved_at                (virDomainPtr        dom);

G_END_DECLS
