/* gb-libvirt-private.h — what the libvirt provider and machine share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libvirt/libvirt.h>

#include "gb-libvirt-error.h"
#include "gb-libvirt-provider.h"
#include "gb-machine.h"

G_BEGIN_DECLS

GbMachineState  gb_libvirt_state_from_virt (int             state);
GWeakRef       *gb_libvirt_weak_ref_new    (gpointer        object);
void            gb_libvirt_weak_ref_free   (void           *data);
/* The state a lifecycle event puts the domain in, or -1 if it does not say. */
int             gb_libvirt_state_from_event (int            event,
                                             int            detail);

/* What the provider learns of a domain off the main thread. */
typedef struct {
  virDomainPtr     dom;
  char            *uuid;
  char            *name;
  GbMachineConfig *config;
  GbMachineState   state;
  gboolean         persistent;
  gint64           saved_at;    /* see gb_machine_get_saved_at() */
} GbLibvirtDomainInfo;

GbLibvirtDomainInfo *gb_libvirt_domain_info_fetch (virDomainPtr          dom,
                                                   GError              **error);
void                 gb_libvirt_domain_info_free  (GbLibvirtDomainInfo  *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbLibvirtDomainInfo, gb_libvirt_domain_info_free)

/* One raw record of virConnectGetAllDomainStats(); rates come from two of them. */
typedef struct {
  char     uuid[VIR_UUID_STRING_BUFLEN];
  gint64   time_us;
  guint64  cpu_time_ns;
  guint64  memory_bytes;
  guint64  rd_bytes;
  guint64  wr_bytes;
  guint64  rx_bytes;
  guint64  tx_bytes;
  guint    n_vcpus;
  guint    has_cpu : 1;
  guint    has_memory : 1;
} GbLibvirtRawStats;

/* Provider → machine */
typedef struct _GbLibvirtMachine GbLibvirtMachine;

GbLibvirtMachine *_gb_libvirt_machine_new           (GbProvider                *provider,
                                                     virDomainPtr               dom,
                                                     const char                *uuid,
                                                     const char                *name);
virDomainPtr      _gb_libvirt_machine_get_handle    (GbLibvirtMachine          *self);
/* Replaces the domain handle (a new connection), or drops it (NULL: disconnected). */
void              _gb_libvirt_machine_set_handle    (GbLibvirtMachine          *self,
                                                     virDomainPtr               dom);
gboolean          _gb_libvirt_machine_get_persistent (GbLibvirtMachine         *self);
void              _gb_libvirt_machine_set_persistent (GbLibvirtMachine         *self,
                                                      gboolean                  persistent);
void              _gb_libvirt_machine_apply_info    (GbLibvirtMachine          *self,
                                                     const GbLibvirtDomainInfo *info);
/* Re-reads definition, state and persistence off the main thread. */
void              _gb_libvirt_machine_refresh       (GbLibvirtMachine          *self);
void              _gb_libvirt_machine_lifecycle     (GbLibvirtMachine          *self,
                                                     int                        event,
                                                     int                        detail);
void              _gb_libvirt_machine_update_stats  (GbLibvirtMachine          *self,
                                                     const GbLibvirtRawStats   *raw);

/* Provider internals the tests use. */
char            **_gb_libvirt_provider_default_uris (gboolean                   is_root,
                                                     const char                *user_data_dir);
void              _gb_libvirt_provider_open_first_async  (const char * const   *uris,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
GbProvider       *_gb_libvirt_provider_open_first_finish (GAsyncResult         *result,
                                                          GError              **error);
gboolean          _gb_libvirt_provider_is_local     (GbProvider                *provider);
/* The open connection, or NULL (for in-tree tests that define domains). */
virConnectPtr     _gb_libvirt_provider_get_handle   (GbProvider                *provider);

/* <metadata><gbstarted:started/></metadata>: the machine has been started
 * at least once (gb-libvirt-machine.c sets it); its firmware is then no
 * longer offered for change (gb-libvirt-edit.c), as in virt-manager. */
#define GB_LIBVIRT_STARTED_NS_KEY "gbstarted"
#define GB_LIBVIRT_STARTED_NS_URI "https://glassbox.invalid/xmlns/started/1"

G_END_DECLS
