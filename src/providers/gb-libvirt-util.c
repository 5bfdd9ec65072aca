/* gb-libvirt-util.c — errors, states and domain look-ups shared by the libvirt classes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <libvirt/virterror.h>

#include "gb-libvirt-private.h"
#include "gb-libvirt-snapshots.h"

GbMachineState
gb_libvirt_state_from_virt (int state)
{
  switch (state)
    {
    case VIR_DOMAIN_RUNNING:
    case VIR_DOMAIN_BLOCKED:
      return GB_MACHINE_STATE_RUNNING;
    case VIR_DOMAIN_PAUSED:
      return GB_MACHINE_STATE_PAUSED;
    case VIR_DOMAIN_SHUTDOWN:
      return GB_MACHINE_STATE_SHUTTING_DOWN;
    case VIR_DOMAIN_SHUTOFF:
      return GB_MACHINE_STATE_SHUTOFF;
    case VIR_DOMAIN_CRASHED:
      return GB_MACHINE_STATE_CRASHED;
    case VIR_DOMAIN_PMSUSPENDED:
      return GB_MACHINE_STATE_SUSPENDED;
    case VIR_DOMAIN_NOSTATE:
    default:
      return GB_MACHINE_STATE_UNKNOWN;
    }
}

int
gb_libvirt_state_from_event (int event,
                             int detail)
{
  switch (event)
    {
    case VIR_DOMAIN_EVENT_STARTED:
    case VIR_DOMAIN_EVENT_RESUMED:
      return GB_MACHINE_STATE_RUNNING;
    case VIR_DOMAIN_EVENT_SUSPENDED:
      return GB_MACHINE_STATE_PAUSED;
    case VIR_DOMAIN_EVENT_STOPPED:
      return GB_MACHINE_STATE_SHUTOFF;
    case VIR_DOMAIN_EVENT_SHUTDOWN:
      /* The guest has finished shutting down; STOPPED follows unless
       * <on_poweroff> keeps the domain around. When the host ended it
       * (force off kills QEMU), STOPPED follows at once: no state between. */
      if (detail == VIR_DOMAIN_EVENT_SHUTDOWN_HOST)
        return -1;
      return GB_MACHINE_STATE_SHUTTING_DOWN;
    case VIR_DOMAIN_EVENT_PMSUSPENDED:
      return GB_MACHINE_STATE_SUSPENDED;
    case VIR_DOMAIN_EVENT_CRASHED:
      return GB_MACHINE_STATE_CRASHED;
    case VIR_DOMAIN_EVENT_DEFINED:
    case VIR_DOMAIN_EVENT_UNDEFINED:
    default:
      return -1;
    }
}

/* Runs in a worker thread: a few round trips on a remote connection. */
GbLibvirtDomainInfo *
gb_libvirt_domain_info_fetch (virDomainPtr   dom,
                              GError       **error)
{
  g_autoptr(GbLibvirtDomainInfo) info = g_new0 (GbLibvirtDomainInfo, 1);
  char uuid[VIR_UUID_STRING_BUFLEN];
  g_autofree char *xml = NULL;
  int state, reason, persistent;

  virDomainRef (dom);
  info->dom = dom;

  if (virDomainGetUUIDString (dom, uuid) < 0)
    {
      gb_libvirt_set_error (error, NULL);
      return NULL;
    }
  info->uuid = g_strdup (uuid);
  info->name = g_strdup (virDomainGetName (dom));

  if (virDomainGetState (dom, &state, &reason, 0) < 0)
    {
      gb_libvirt_set_error (error, NULL);
      return NULL;
    }
  info->state = gb_libvirt_state_from_virt (state);

  persistent = virDomainIsPersistent (dom);
  if (persistent < 0)
    {
      gb_libvirt_set_error (error, NULL);
      return NULL;
    }
  info->persistent = persistent == 1;
  /* A saved state matters only while off; libvirt drops its image only
   * after the STARTED event of the restore. */
  info->saved_at = state == VIR_DOMAIN_SHUTOFF ? gb_libvirt_saved_at (dom) : 0;

  /* The live definition while it runs (ports of automatic displays), else the stored one. */
  xml = virDomainGetXMLDesc (dom, 0);
  if (xml == NULL)
    {
      gb_libvirt_set_error (error, NULL);
      return NULL;
    }
  info->config = gb_machine_config_new_from_xml (xml, error);
  if (info->config == NULL)
    return NULL;

  /* Sizes are not in the XML; the driver knows them (qemu reads the image header). */
  {
    GPtrArray *disks = gb_machine_config_get_disks (info->config);

    for (guint i = 0; i < disks->len; i++)
      {
        GbConfigDisk *disk = g_ptr_array_index (disks, i);
        virDomainBlockInfo block;

        if (disk->target == NULL || disk->path == NULL)
          continue;
        if (virDomainGetBlockInfo (dom, disk->target, &block, 0) == 0)
          disk->capacity = block.capacity;
        else
          virResetLastError ();
      }
  }

  return g_steal_pointer (&info);
}

void
gb_libvirt_domain_info_free (GbLibvirtDomainInfo *info)
{
  if (info == NULL)
    return;

  if (info->dom != NULL)
    virDomainFree (info->dom);
  g_free (info->uuid);
  g_free (info->name);
  g_clear_object (&info->config);
  g_free (info);
}

/* Opaque data of libvirt callbacks: a weak reference, so that a callback
 * arriving after its object is gone does nothing.  Free with
 * gb_libvirt_weak_ref_free(), which has libvirt's freecb signature. */
GWeakRef *
gb_libvirt_weak_ref_new (gpointer object)
{
  GWeakRef *ref = g_new0 (GWeakRef, 1);

  g_weak_ref_init (ref, object);
  return ref;
}

void
gb_libvirt_weak_ref_free (void *data)
{
  GWeakRef *ref = data;

  g_weak_ref_clear (ref);
  g_free (ref);
}
