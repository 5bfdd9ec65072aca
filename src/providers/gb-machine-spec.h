/* gb-machine-spec.h — a new machine as the user chose it, for a provider to make
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <osinfo/osinfo.h>

#include "gb-creator-types.h"

G_BEGIN_DECLS

/* The New Machine wizard's choices at the moment they are checked or
 * made into a machine: plain data, so that the provider's creation half
 * (GbCreatorBackend, in the core) never needs the wizard's model. */
typedef struct
{
  char              *name;
  OsinfoOs          *os;              /* nullable */
  GbCreatorSource    source_kind;
  char              *source_path;     /* ISO, disk to import, or tree URL */
  char              *kernel_path;
  char              *initrd_path;
  char              *kernel_cmdline;
  guint              memory_mib;
  guint              vcpus;
  GbCreatorDisk      disk_mode;
  guint64            disk_size;       /* bytes, for a new disk */
  char              *disk_path;       /* an existing image */
  gboolean           disk_virtio;     /* virtio-blk, else SATA */
  char              *pool_name;       /* nullable: the provider's default */
  GbCreatorNetwork   network_kind;
  char              *bridge_name;
  GbCreatorFirmware  firmware;
} GbMachineSpec;

GbMachineSpec *gb_machine_spec_new              (void);
GbMachineSpec *gb_machine_spec_copy             (const GbMachineSpec  *spec);
void           gb_machine_spec_free             (GbMachineSpec        *spec);

gboolean       gb_machine_spec_uses_kernel_boot (const GbMachineSpec  *spec);
gboolean       gb_machine_spec_check_source     (const GbMachineSpec  *spec,
                                                 GError              **error);
gboolean       gb_machine_name_is_valid         (const char           *name,
                                                 GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbMachineSpec, gb_machine_spec_free)

G_END_DECLS
