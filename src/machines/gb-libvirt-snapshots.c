/* gb-libvirt-snapshots.c — a libvirt machine's snapshots and managed save
 *
 * Every libvirt call runs in a GTask thread.  Snapshot XML is read and
 * written through libvirt-gconfig.  What libvirt 9.0 (Debian 12) refuses
 * is said before the user asks (gb_libvirt_snapshot_can_*), in the words
 * of the limit, not as a failed call.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "gb-libvirt-private.h"
#include "gb-libvirt-snapshots.h"
#include "gb-machine-private.h"

/* Reverting to an external snapshot needs libvirt 9.9 (its release notes:
 * "qemu: Implement support for reverting external snapshots"). */
#define LIBVIRT_EXTERNAL_REVERT_VERSION 9009000

#define SAVED_NS_URI "https://glassbox.invalid/xmlns/saved/1"
#define SAVED_NS_KEY "glassbox-saved"

void
gb_snapshot_info_free (GbSnapshotInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info->parent);
  g_free (info->description);
  g_free (info->state);
  g_free (info->screenshot);
  g_free (info);
}

static virDomainPtr
ref_dom (GbLibvirtMachine  *self,
         GError           **error)
{
  virDomainPtr dom = _gb_libvirt_machine_get_handle (self);

  if (dom == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                   _("“%s” cannot be reached: its connection is closed"),
                   gb_machine_get_name (GB_MACHINE (self)));
      return NULL;
    }
  virDomainRef (dom);
  return dom;
}

static void
set_why (char       **why,
         const char  *text)
{
  if (why != NULL)
    *why = g_strdup (text);
}

static void
dom_unref (gpointer dom)
{
  virDomainFree (dom);
}

/* ---- screenshots ------------------------------------------------------- */

/* Where a snapshot's screenshot is kept: our cache, by domain UUID and
 * snapshot name (escaped: a name may hold any character). */
static char *
screenshot_path (virDomainPtr  dom,
                 const char   *name)
{
  char uuid[VIR_UUID_STRING_BUFLEN];
  g_autofree char *file = NULL;

  if (virDomainGetUUIDString (dom, uuid) < 0)
    return NULL;
  file = g_uri_escape_string (name, NULL, FALSE);
  return g_build_filename (g_get_user_cache_dir (), "glassbox", "snapshots", uuid, file, NULL);
}

static int
screenshot_sink (virStreamPtr  stream,
                 const char   *data,
                 size_t        n,
                 void         *opaque)
{
  int fd = *(int *) opaque;
  ssize_t done = 0;

  while ((size_t) done < n)
    {
      ssize_t w = write (fd, data + done, n - done);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return -1;
      done += w;
    }
  return (int) n;
}

/* The running machine's first screen into @path (any format GdkPixbuf
 * reads: QEMU sends PPM, the test driver PNG).  Best effort: a machine
 * without a screen just has no picture. */
static gboolean
take_screenshot (virDomainPtr  dom,
                 const char   *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *tmp = g_strconcat (path, ".part", NULL);
  virStreamPtr stream;
  char *mime;
  int fd, ok;

  if (virDomainIsActive (dom) != 1 || g_mkdir_with_parents (dir, 0700) < 0)
    return FALSE;
  stream = virStreamNew (virDomainGetConnect (dom), 0);
  if (stream == NULL)
    return FALSE;
  mime = virDomainScreenshot (dom, stream, 0, 0);
  if (mime == NULL)
    {
      g_debug ("No screenshot: %s", virGetLastErrorMessage ());
      virResetLastError ();
      virStreamFree (stream);
      return FALSE;
    }
  free (mime);
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ok = fd >= 0 && virStreamRecvAll (stream, screenshot_sink, &fd) == 0 && virStreamFinish (stream) == 0;
  if (!ok)
    {
      virStreamAbort (stream);
      virResetLastError ();
    }
  virStreamFree (stream);
  if (fd >= 0)
    close (fd);
  if (ok && g_rename (tmp, path) == 0)
    return TRUE;
  g_unlink (tmp);
  return FALSE;
}

static const char *
state_name (GVirConfigDomainSnapshotDomainState state)
{
  switch (state)
    {
    case GVIR_CONFIG_DOMAIN_SNAPSHOT_DOMAIN_STATE_RUNNING: return "running";
    case GVIR_CONFIG_DOMAIN_SNAPSHOT_DOMAIN_STATE_PAUSED: return "paused";
    case GVIR_CONFIG_DOMAIN_SNAPSHOT_DOMAIN_STATE_SHUTOFF: return "shutoff";
    case GVIR_CONFIG_DOMAIN_SNAPSHOT_DOMAIN_STATE_CRASHED: return "crashed";
    case GVIR_CONFIG_DOMAIN_SNAPSHOT_DOMAIN_STATE_DISK_SNAPSHOT: return "disk-snapshot";
    case GVIR_CONFIG_DOMAIN_SNAPSHOT_DOMAIN_STATE_PMSUSPENDED: return "pmsuspended";
    default: return "nostate";
    }
}

/* ---- list ------------------------------------------------------------- */

/* Whether the memory or any disk of the snapshot lives in a file of its own. */
static gboolean
snapshot_is_external (const char *xml)
{
  xmlDocPtr doc = xmlReadMemory (xml, strlen (xml), "snapshot.xml", NULL, XML_PARSE_NONET);
  xmlXPathContextPtr ctx;
  xmlXPathObjectPtr obj;
  gboolean external = FALSE;

  if (doc == NULL)
    return FALSE;
  ctx = xmlXPathNewContext (doc);
  obj = xmlXPathEvalExpression ((const xmlChar *)
                                "/domainsnapshot/memory[@snapshot='external'] | "
                                "/domainsnapshot/disks/disk[@snapshot='external']", ctx);
  external = obj != NULL && obj->nodesetval != NULL && obj->nodesetval->nodeNr > 0;
  xmlXPathFreeObject (obj);
  xmlXPathFreeContext (ctx);
  xmlFreeDoc (doc);
  return external;
}

static GbSnapshotInfo *
snapshot_info_new (virDomainSnapshotPtr snap,
                   GError             **error)
{
  g_autofree char *xml = virDomainSnapshotGetXMLDesc (snap, 0);
  g_autoptr(GObject) conf_object = NULL;
  GVirConfigDomainSnapshot *conf;
  GbSnapshotInfo *info;

  if (xml == NULL)
    {
      gb_libvirt_set_error (error, NULL);
      return NULL;
    }
  conf = gvir_config_domain_snapshot_new_from_xml (xml, error);
  if (conf == NULL)
    return NULL;
  conf_object = G_OBJECT (conf);

  info = g_new0 (GbSnapshotInfo, 1);
  info->name = g_strdup (virDomainSnapshotGetName (snap));
  info->parent = g_strdup (gvir_config_domain_snapshot_get_parent (conf));
  info->description = g_strdup (gvir_config_domain_snapshot_get_description (conf));
  if (info->description == NULL)
    info->description = g_strdup ("");
  info->state = g_strdup (state_name (gvir_config_domain_snapshot_get_state (conf)));
  info->creation_time = gvir_config_domain_snapshot_get_creation_time (conf);
  info->current = virDomainSnapshotIsCurrent (snap, 0) == 1;
  /* (libvirt-gconfig 4.0's enums lack "no" for memory and disks: it
   * complains on every disk-only snapshot, so these two are read here.) */
  info->external = snapshot_is_external (xml);
  {
    g_autofree char *shot = screenshot_path (virDomainSnapshotGetDomain (snap), info->name);
    if (shot != NULL && g_file_test (shot, G_FILE_TEST_IS_REGULAR))
      info->screenshot = g_steal_pointer (&shot);
  }
  return info;
}

static void
list_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  virDomainSnapshotPtr *snaps = NULL;
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_snapshot_info_free);
  g_autoptr(GHashTable) depth = g_hash_table_new (g_str_hash, g_str_equal);
  GError *error = NULL;
  int n;

  n = virDomainListAllSnapshots (task_data, &snaps, VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL);
  if (n < 0)
    {
      gb_libvirt_set_error (&error, NULL);
      g_task_return_error (task, error);
      return;
    }
  for (int i = 0; i < n; i++)
    {
      GbSnapshotInfo *info = error ? NULL : snapshot_info_new (snaps[i], &error);

      if (info != NULL)
        {
          /* Topological order: a parent is listed before its children. */
          if (info->parent != NULL)
            info->depth = GPOINTER_TO_UINT (g_hash_table_lookup (depth, info->parent));
          g_hash_table_insert (depth, info->name, GUINT_TO_POINTER (info->depth + 1));
          g_ptr_array_add (list, info);
        }
      virDomainSnapshotFree (snaps[i]);
    }
  free (snaps);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&list), (GDestroyNotify) g_ptr_array_unref);
}

void
gb_libvirt_snapshots_list_async (GbLibvirtMachine    *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;
  virDomainPtr dom;

  g_task_set_source_tag (task, gb_libvirt_snapshots_list_async);
  if ((dom = ref_dom (self, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_set_task_data (task, dom, dom_unref);
  g_task_run_in_thread (task, list_thread);
}

GPtrArray *
gb_libvirt_snapshots_list_finish (GbLibvirtMachine  *self,
                                  GAsyncResult      *result,
                                  GError           **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- what libvirt 9.0 refuses ----------------------------------------- */

static gboolean
is_uefi (GbMachineConfig *config)
{
  return config != NULL && g_strcmp0 (gb_machine_config_get_firmware (config), "efi") == 0;
}

gboolean
gb_libvirt_snapshot_can_create (GbLibvirtMachine  *self,
                                gboolean           disk_only,
                                char             **why)
{
  GbMachine *machine = GB_MACHINE (self);
  GbMachineConfig *config = gb_machine_get_config (machine);
  GbMachineState state = gb_machine_get_state (machine);
  GPtrArray *disks = config ? gb_machine_config_get_disks (config) : NULL;
  gboolean running = state == GB_MACHINE_STATE_RUNNING || state == GB_MACHINE_STATE_PAUSED;

  if (config == NULL || _gb_libvirt_machine_get_handle (self) == NULL)
    {
      set_why (why, _("The machine’s definition is not known yet."));
      return FALSE;
    }
  if (disk_only)
    return TRUE;

  if (running && is_uefi (config))
    {
      set_why (why, _("libvirt 9.0 cannot take an internal snapshot of a running UEFI machine (its firmware variables are in a pflash file). Shut it down first, or take a disk-only snapshot."));
      return FALSE;
    }
  for (guint i = 0; disks != NULL && i < disks->len; i++)
    {
      const GbConfigDisk *disk = g_ptr_array_index (disks, i);

      if (g_strcmp0 (disk->device, "disk") != 0 || disk->path == NULL || disk->read_only)
        continue;
      if (disk->format != NULL && g_strcmp0 (disk->format, "qcow2") != 0)
        {
          if (why != NULL)
            *why = g_strdup_printf (_("The disk %s is in %s format: internal snapshots need every disk in qcow2. Take a disk-only snapshot instead."),
                                    disk->target ? disk->target : disk->path, disk->format);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
gb_libvirt_snapshot_can_revert (GbLibvirtMachine     *self,
                                const GbSnapshotInfo *info,
                                char                **why)
{
  virDomainPtr dom = _gb_libvirt_machine_get_handle (self);
  unsigned long version = 0;

  if (dom == NULL)
    {
      set_why (why, _("The machine cannot be reached: its connection is closed."));
      return FALSE;
    }
  if (info->external)
    {
      if (virConnectGetLibVersion (virDomainGetConnect (dom), &version) < 0)
        version = 0;
      if (version < LIBVIRT_EXTERNAL_REVERT_VERSION)
        {
          if (why != NULL)
            *why = g_strdup_printf (_("Reverting to an external snapshot needs libvirt 9.9 or newer; this connection runs libvirt %lu.%lu.%lu."),
                                    version / 1000000, version / 1000 % 1000, version % 1000);
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- create, revert, delete ------------------------------------------- */

typedef enum { SNAP_CREATE, SNAP_REVERT, SNAP_DELETE } SnapOp;

typedef struct {
  virDomainPtr dom;
  SnapOp       op;
  char        *name;
  char        *xml;
  gboolean     disk_only;
} SnapData;

static void
snap_data_free (gpointer data)
{
  SnapData *sd = data;

  virDomainFree (sd->dom);
  g_free (sd->name);
  g_free (sd->xml);
  g_free (sd);
}

static void
snap_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SnapData *sd = task_data;
  virDomainSnapshotPtr snap = NULL;
  GError *error = NULL;
  int ret = -1;

  if (sd->op == SNAP_CREATE)
    {
      /* The screen first: the snapshot is of this moment. */
      g_autofree char *shot = screenshot_path (sd->dom, " screen being taken");
      gboolean have_shot = shot != NULL && take_screenshot (sd->dom, shot);

      snap = virDomainSnapshotCreateXML (sd->dom, sd->xml,
                                         sd->disk_only ? VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY : 0);
      ret = snap != NULL ? 0 : -1;
      if (have_shot)
        {
          g_autofree char *final = snap ? screenshot_path (sd->dom, virDomainSnapshotGetName (snap)) : NULL;
          if (final == NULL || g_rename (shot, final) < 0)
            g_unlink (shot);
        }
    }
  else
    {
      snap = virDomainSnapshotLookupByName (sd->dom, sd->name, 0);
      if (snap != NULL && sd->op == SNAP_REVERT)
        ret = virDomainRevertToSnapshot (snap, 0);
      else if (snap != NULL)
        {
          ret = virDomainSnapshotDelete (snap, 0);
          if (ret == 0)
            {
              g_autofree char *shot = screenshot_path (sd->dom, sd->name);
              if (shot != NULL)
                g_unlink (shot);
            }
        }
    }
  if (ret < 0)
    gb_libvirt_set_error (&error, NULL);
  if (snap != NULL)
    virDomainSnapshotFree (snap);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
run_snap (GbLibvirtMachine    *self,
          SnapData            *sd,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;

  g_task_set_source_tag (task, gb_libvirt_snapshot_finish);
  if ((sd->dom = ref_dom (self, &error)) == NULL)
    {
      snap_data_free (sd);
      g_task_return_error (task, error);
      return;
    }
  g_task_set_task_data (task, sd, snap_data_free);
  /* Once asked, libvirt finishes; cancelling only drops the answer. */
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, snap_thread);
}

void
gb_libvirt_snapshot_create_async (GbLibvirtMachine    *self,
                                  const char          *name,
                                  const char          *description,
                                  gboolean             disk_only,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GVirConfigDomainSnapshot *conf = gvir_config_domain_snapshot_new ();
  g_autoptr(GObject) conf_object = G_OBJECT (conf);
  SnapData *sd = g_new0 (SnapData, 1);

  if (name != NULL && *name != '\0')
    gvir_config_domain_snapshot_set_name (conf, name);
  if (description != NULL && *description != '\0')
    gvir_config_domain_snapshot_set_description (conf, description);
  sd->op = SNAP_CREATE;
  sd->disk_only = disk_only;
  sd->xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (conf));
  run_snap (self, sd, cancellable, callback, user_data);
}

void
gb_libvirt_snapshot_revert_async (GbLibvirtMachine    *self,
                                  const char          *name,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  SnapData *sd = g_new0 (SnapData, 1);

  sd->op = SNAP_REVERT;
  sd->name = g_strdup (name);
  run_snap (self, sd, cancellable, callback, user_data);
}

void
gb_libvirt_snapshot_delete_async (GbLibvirtMachine    *self,
                                  const char          *name,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  SnapData *sd = g_new0 (SnapData, 1);

  sd->op = SNAP_DELETE;
  sd->name = g_strdup (name);
  run_snap (self, sd, cancellable, callback, user_data);
}

gboolean
gb_libvirt_snapshot_finish (GbLibvirtMachine  *self,
                            GAsyncResult      *result,
                            GError           **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- managed save ----------------------------------------------------- */

static void
save_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  virDomainPtr dom = task_data;
  GError *error = NULL;
  g_autofree char *meta = NULL;

  /* The time first: a save that fails leaves a stale time, which
   * has_saved_state ignores since no saved image exists. */
  meta = g_strdup_printf ("<saved time='%" G_GINT64_FORMAT "'/>", g_get_real_time () / G_USEC_PER_SEC);
  if (virDomainSetMetadata (dom, VIR_DOMAIN_METADATA_ELEMENT, meta, SAVED_NS_KEY, SAVED_NS_URI,
                            VIR_DOMAIN_AFFECT_CONFIG) < 0)
    g_debug ("Could not record the save time: %s", virGetLastErrorMessage ());
  if (virDomainManagedSave (dom, 0) < 0)
    {
      gb_libvirt_set_error (&error, NULL);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
gb_libvirt_machine_save_async (GbLibvirtMachine    *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;
  virDomainPtr dom;

  g_task_set_source_tag (task, gb_libvirt_machine_save_async);
  if ((dom = ref_dom (self, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_set_task_data (task, dom, dom_unref);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, save_thread);
}

gboolean
gb_libvirt_machine_save_finish (GbLibvirtMachine  *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

gint64
gb_libvirt_saved_at (virDomainPtr dom)
{
  g_autofree char *meta = NULL;
  const char *t;
  gint64 when;

  if (virDomainHasManagedSaveImage (dom, 0) != 1)
    {
      virResetLastError ();
      return 0;
    }
  meta = virDomainGetMetadata (dom, VIR_DOMAIN_METADATA_ELEMENT, SAVED_NS_URI, VIR_DOMAIN_AFFECT_CONFIG);
  virResetLastError ();
  /* libvirt hands the element back as it stores it: <saved time="…"/>. */
  if (meta != NULL && (t = strstr (meta, "time=")) != NULL && (when = g_ascii_strtoll (t + 6, NULL, 10)) > 0)
    return when;
  return -1;
}

gboolean
gb_libvirt_machine_has_saved_state (GbLibvirtMachine *self,
                                    gint64           *saved_at)
{
  virDomainPtr dom = _gb_libvirt_machine_get_handle (self);
  gint64 when = dom ? gb_libvirt_saved_at (dom) : 0;

  if (saved_at != NULL)
    *saved_at = when;
  return when != 0;
}
