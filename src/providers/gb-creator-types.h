/* gb-creator-types.h — the choices the New Machine wizard offers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  GB_CREATOR_SOURCE_INSTALL_MEDIA,   /*< nick=install-media >*/
  GB_CREATOR_SOURCE_IMPORT_DISK,     /*< nick=import-disk >*/
  GB_CREATOR_SOURCE_DIRECT_KERNEL,   /*< nick=direct-kernel >*/
  GB_CREATOR_SOURCE_NETWORK_INSTALL, /*< nick=network-install >*/
  GB_CREATOR_SOURCE_TINY_LINUX,      /*< nick=tiny-linux >*/
} GbCreatorSource;

typedef enum
{
  GB_CREATOR_NETWORK_NAT,     /*< nick=nat >*/
  GB_CREATOR_NETWORK_BRIDGE,  /*< nick=bridge >*/
  GB_CREATOR_NETWORK_USER,    /*< nick=user >*/
  GB_CREATOR_NETWORK_NONE,    /*< nick=none >*/
} GbCreatorNetwork;

typedef enum
{
  GB_CREATOR_FIRMWARE_BIOS,  /*< nick=bios >*/
  GB_CREATOR_FIRMWARE_UEFI,  /*< nick=uefi >*/
} GbCreatorFirmware;

typedef enum
{
  GB_CREATOR_DISK_NEW,       /*< nick=new >*/
  GB_CREATOR_DISK_EXISTING,  /*< nick=existing >*/
  GB_CREATOR_DISK_NONE,      /*< nick=none >*/
} GbCreatorDisk;

/* How guest code runs where the machine will run. */
typedef enum
{
  GB_CREATOR_ACCEL_HARDWARE,  /*< nick=hardware >*/  /* KVM on VT-x/AMD-V */
  GB_CREATOR_ACCEL_EMULATED,  /*< nick=emulated >*/  /* TCG, or a KVM that emulates (PVM) */
  GB_CREATOR_ACCEL_OTHER,     /*< nick=other >*/     /* e.g. libvirt's test driver */
} GbCreatorAccel;

#define GB_CREATOR_SOURCE_BIT(kind) (1u << (kind))
#define GB_CREATOR_NETWORK_BIT(kind) (1u << (kind))

/* What a place to run offers, learnt once by a backend's prepare. */
typedef struct
{
  char           *arch;              /* "x86_64", "i686", … */
  GbCreatorAccel  accel;
  guint           memory_mib;        /* 0: unknown */
  guint           cpus;              /* 0: unknown */
  guint           sources;           /* GB_CREATOR_SOURCE_BIT()s it can boot */
  guint           networks;          /* GB_CREATOR_NETWORK_BIT()s it offers */
  gboolean        firmware_choice;   /* BIOS or UEFI is a choice there */
  gboolean        local;             /* machines run on this computer */
  gboolean        storage_available; /* it has storage pools */
  gboolean        nat_available;     /* libvirt networks (NAT) */
  /* libvirt's "default" network, which NAT needs: Create defines and/or
   * starts it, and the summary says so first. */
  gboolean        default_network_defined;
  gboolean        default_network_active;
  char           *image_folder;      /* where a new disk goes without pools */
  GHashTable     *pool_paths;        /* active pools: name → directory ("" unknown) */
  GStrv           volumes;           /* existing disks in them, sorted */
  GStrv           bridges;           /* network bridges it can connect to, sorted */
} GbCreatorHost;

GbCreatorHost *gb_creator_host_new  (void);
void           gb_creator_host_free (GbCreatorHost *host);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbCreatorHost, gb_creator_host_free)

G_END_DECLS
