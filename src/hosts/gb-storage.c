/* gb-storage.c — one libvirt connection's storage pools and volumes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything here blocks on libvirt: the window calls it through
 * gb_storage_run_async(), a test may call it directly. Pool and volume
 * definitions are written with libvirt-gconfig; what libvirt answers is read
 * back with XPath (libvirt-gconfig 4.0 has few getters for storage).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "gb-libvirt-private.h"
#include "gb-storage.h"

#define CHUNK (256 * 1024)

G_DEFINE_QUARK (gb-storage-error-quark, gb_storage_error)

void
gb_storage_pool_info_free (GbStoragePoolInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info->type);
  g_free (info->target);
  g_free (info->source);
  g_free (info);
}

void
gb_storage_volume_info_free (GbStorageVolumeInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info->pool);
  g_free (info->path);
  g_free (info->format);
  g_free (info->backing);
  g_strfreev (info->used_by);
  g_free (info);
}

/* XPath on a libvirt XML document */

typedef struct {
  xmlDoc          *doc;
  xmlXPathContext *ctx;
} Xml;

static gboolean
xml_open (Xml        *xml,
          const char *text)
{
  xml->doc = text ? xmlReadMemory (text, strlen (text), NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING) : NULL;
  xml->ctx = xml->doc ? xmlXPathNewContext (xml->doc) : NULL;
  return xml->ctx != NULL;
}

static void
xml_close (Xml *xml)
{
  g_clear_pointer (&xml->ctx, xmlXPathFreeContext);
  g_clear_pointer (&xml->doc, xmlFreeDoc);
}

static char *
xml_string (Xml        *xml,
            const char *expr)
{
  xmlXPathObject *obj;
  char *ret = NULL;

  if (xml->ctx == NULL)
    return NULL;
  obj = xmlXPathEvalExpression ((const xmlChar *) expr, xml->ctx);
  if (obj != NULL && obj->type == XPATH_STRING && obj->stringval && *obj->stringval)
    ret = g_strdup ((const char *) obj->stringval);
  xmlXPathFreeObject (obj);
  return ret;
}

/* Pools */

static const char * const offered_types[] = { "dir", "fs", "netfs", "logical", "iscsi", "disk" };

char **
gb_storage_pool_types (virConnectPtr conn)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *caps = virConnectGetStoragePoolCapabilities (conn, 0);
  Xml xml = { 0 };

  if (caps == NULL)
    {
      /* An older or remote daemon that cannot say: a folder always works. */
      virResetLastError ();
      g_strv_builder_add (builder, "dir");
      return g_strv_builder_end (builder);
    }

  xml_open (&xml, caps);
  for (guint i = 0; i < G_N_ELEMENTS (offered_types); i++)
    {
      g_autofree char *expr = g_strdup_printf ("string(/storagepoolCapabilities/pool[@type='%s']/@supported)",
                                               offered_types[i]);
      g_autofree char *supported = xml_string (&xml, expr);

      if (g_strcmp0 (supported, "yes") == 0)
        g_strv_builder_add (builder, offered_types[i]);
    }
  xml_close (&xml);
  return g_strv_builder_end (builder);
}

static GbStoragePoolInfo *
pool_info_fetch (virStoragePoolPtr pool)
{
  GbStoragePoolInfo *info = g_new0 (GbStoragePoolInfo, 1);
  virStoragePoolInfo vinfo;
  g_autofree char *desc = virStoragePoolGetXMLDesc (pool, 0);
  int autostart = 0;
  Xml xml = { 0 };

  info->name = g_strdup (virStoragePoolGetName (pool));
  if (virStoragePoolGetInfo (pool, &vinfo) == 0)
    {
      info->active = vinfo.state == VIR_STORAGE_POOL_RUNNING || vinfo.state == VIR_STORAGE_POOL_DEGRADED;
      info->capacity = vinfo.capacity;
      info->allocation = vinfo.allocation;
      info->available = vinfo.available;
    }
  if (virStoragePoolGetAutostart (pool, &autostart) == 0)
    info->autostart = autostart != 0;
  info->persistent = virStoragePoolIsPersistent (pool) == 1;
  virResetLastError ();

  xml_open (&xml, desc);
  info->type = xml_string (&xml, "string(/pool/@type)");
  info->target = xml_string (&xml, "string(/pool/target/path)");
  {
    g_autofree char *host = xml_string (&xml, "string(/pool/source/host/@name)");
    g_autofree char *dir = xml_string (&xml, "string(/pool/source/dir/@path)");
    g_autofree char *device = xml_string (&xml, "string(/pool/source/device/@path)");
    g_autofree char *name = xml_string (&xml, "string(/pool/source/name)");

    if (host != NULL)
      info->source = g_strdup_printf ("%s:%s", host, dir ? dir : device ? device : "");
    else if (device != NULL)
      info->source = g_steal_pointer (&device);
    else if (name != NULL)
      info->source = g_steal_pointer (&name);
  }
  xml_close (&xml);
  return info;
}

static int
compare_pools (gconstpointer a,
               gconstpointer b)
{
  const GbStoragePoolInfo *pa = *(GbStoragePoolInfo * const *) a;
  const GbStoragePoolInfo *pb = *(GbStoragePoolInfo * const *) b;

  return g_utf8_collate (pa->name, pb->name);
}

GPtrArray *
gb_storage_list_pools (virConnectPtr   conn,
                       GError        **error)
{
  virStoragePoolPtr *pools = NULL;
  GPtrArray *ret;
  int n;

  n = virConnectListAllStoragePools (conn, &pools, 0);
  if (n < 0)
    {
      gb_libvirt_set_error (error, _("Could not list the storage pools"));
      return NULL;
    }
  ret = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_storage_pool_info_free);
  for (int i = 0; i < n; i++)
    {
      g_ptr_array_add (ret, pool_info_fetch (pools[i]));
      virStoragePoolFree (pools[i]);
    }
  free (pools);
  g_ptr_array_sort (ret, compare_pools);
  return ret;
}

char *
gb_storage_pool_xml (const GbStoragePoolSpec *spec)
{
  /* libvirt-gconfig 4.0 declares no autoptr cleanups: unreffed at the end. */
  GVirConfigStoragePool *pool = gvir_config_storage_pool_new ();
  GVirConfigStoragePoolTarget *target = gvir_config_storage_pool_target_new ();
  GVirConfigStoragePoolSource *source = gvir_config_storage_pool_source_new ();
  char *xml;
  GVirConfigStoragePoolType type = GVIR_CONFIG_STORAGE_POOL_TYPE_DIR;
  gboolean has_source = FALSE;

  if (g_str_equal (spec->type, "fs"))
    type = GVIR_CONFIG_STORAGE_POOL_TYPE_FS;
  else if (g_str_equal (spec->type, "netfs"))
    type = GVIR_CONFIG_STORAGE_POOL_TYPE_NETFS;
  else if (g_str_equal (spec->type, "logical"))
    type = GVIR_CONFIG_STORAGE_POOL_TYPE_LOGICAL;
  else if (g_str_equal (spec->type, "iscsi"))
    type = GVIR_CONFIG_STORAGE_POOL_TYPE_ISCSI;
  else if (g_str_equal (spec->type, "disk"))
    type = GVIR_CONFIG_STORAGE_POOL_TYPE_DISK;

  gvir_config_storage_pool_set_name (pool, spec->name);
  gvir_config_storage_pool_set_pool_type (pool, type);

  if (spec->source_host && *spec->source_host)
    {
      gvir_config_storage_pool_source_set_host (source, spec->source_host);
      has_source = TRUE;
    }
  if (spec->source_dir && *spec->source_dir)
    {
      gvir_config_storage_pool_source_set_directory (source, spec->source_dir);
      has_source = TRUE;
    }
  if (spec->source_device && *spec->source_device)
    {
      gvir_config_storage_pool_source_set_device_path (source, spec->source_device);
      has_source = TRUE;
    }
  if (spec->source_name && *spec->source_name)
    {
      gvir_config_storage_pool_source_set_name (source, spec->source_name);
      has_source = TRUE;
    }
  if (has_source)
    gvir_config_storage_pool_set_source (pool, source);

  /* An iSCSI pool's volumes appear as /dev/disk/by-path; the others where the user said. */
  if (spec->target && *spec->target)
    gvir_config_storage_pool_target_set_path (target, spec->target);
  else if (type == GVIR_CONFIG_STORAGE_POOL_TYPE_ISCSI)
    gvir_config_storage_pool_target_set_path (target, "/dev/disk/by-path");
  gvir_config_storage_pool_set_target (pool, target);

  xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (pool));
  g_object_unref (source);
  g_object_unref (target);
  g_object_unref (pool);
  return xml;
}

gboolean
gb_storage_pool_create (virConnectPtr             conn,
                        const GbStoragePoolSpec  *spec,
                        GError                  **error)
{
  g_autofree char *xml = gb_storage_pool_xml (spec);
  virStoragePoolPtr pool;

  pool = virStoragePoolDefineXML (conn, xml, 0);
  if (pool == NULL)
    {
      gb_libvirt_set_error (error, _("Could not define the storage pool"));
      return FALSE;
    }

  /* Building makes a folder for dir and netfs; for the others it would
   * format a disk or a volume group, which a user must do on purpose. */
  if ((g_str_equal (spec->type, "dir") || g_str_equal (spec->type, "netfs")) &&
      virStoragePoolBuild (pool, 0) < 0)
    virResetLastError ();   /* already there: starting says whether it is usable */

  if (virStoragePoolCreate (pool, 0) < 0)
    {
      gb_libvirt_set_error (error, _("Could not start the storage pool"));
      virStoragePoolUndefine (pool);
      virStoragePoolFree (pool);
      return FALSE;
    }
  virStoragePoolSetAutostart (pool, 1);
  virResetLastError ();
  virStoragePoolFree (pool);
  return TRUE;
}

static virStoragePoolPtr
lookup_pool (virConnectPtr   conn,
             const char     *name,
             GError        **error)
{
  virStoragePoolPtr pool = virStoragePoolLookupByName (conn, name);

  if (pool == NULL)
    gb_libvirt_set_error (error, _("No such storage pool"));
  return pool;
}

gboolean
gb_storage_pool_act (virConnectPtr         conn,
                     const char           *name,
                     GbStoragePoolAction   action,
                     GError              **error)
{
  virStoragePoolPtr pool = lookup_pool (conn, name, error);
  int ret = 0;

  if (pool == NULL)
    return FALSE;

  switch (action)
    {
    case GB_STORAGE_POOL_START:
      ret = virStoragePoolCreate (pool, 0);
      break;
    case GB_STORAGE_POOL_STOP:
      ret = virStoragePoolDestroy (pool);
      break;
    case GB_STORAGE_POOL_REFRESH:
      ret = virStoragePoolRefresh (pool, 0);
      break;
    case GB_STORAGE_POOL_AUTOSTART_ON:
    case GB_STORAGE_POOL_AUTOSTART_OFF:
      ret = virStoragePoolSetAutostart (pool, action == GB_STORAGE_POOL_AUTOSTART_ON);
      break;
    case GB_STORAGE_POOL_DELETE:
      {
        g_autofree char *desc = virStoragePoolGetXMLDesc (pool, 0);
        g_autofree char *type = NULL;
        Xml xml = { 0 };

        xml_open (&xml, desc);
        type = xml_string (&xml, "string(/pool/@type)");
        xml_close (&xml);
        if (virStoragePoolIsActive (pool) == 1)
          ret = virStoragePoolDestroy (pool);
        /* Only an empty folder goes with its pool: deleting a pool never
         * deletes the user's files, and never wipes a disk or a VG. */
        if (ret == 0 && g_strcmp0 (type, "dir") == 0 && virStoragePoolDelete (pool, 0) < 0)
          virResetLastError ();
        if (ret == 0 && virStoragePoolIsPersistent (pool) == 1)
          ret = virStoragePoolUndefine (pool);
      }
      break;
    }

  if (ret < 0)
    gb_libvirt_set_error (error, _("The storage pool refused"));
  virStoragePoolFree (pool);
  return ret == 0;
}

/* Which machines use what */

typedef struct {
  char *domain;
  char *path;      /* a file or device, or NULL */
  char *pool;      /* <source pool= volume=>, or NULL */
  char *volume;
} DiskUse;

static void
disk_use_free (DiskUse *use)
{
  g_free (use->domain);
  g_free (use->path);
  g_free (use->pool);
  g_free (use->volume);
  g_free (use);
}

/* Every disk of every machine (defined or running) on the connection; empty
 * when the connection has no machines (e.g. storage:///session). */
static GPtrArray *
list_disk_uses (virConnectPtr conn)
{
  GPtrArray *uses = g_ptr_array_new_with_free_func ((GDestroyNotify) disk_use_free);
  virDomainPtr *doms = NULL;
  int n = virConnectListAllDomains (conn, &doms, 0);

  if (n < 0)
    {
      virResetLastError ();
      return uses;
    }
  for (int i = 0; i < n; i++)
    {
      g_autofree char *desc = virDomainGetXMLDesc (doms[i], 0);
      Xml xml = { 0 };

      if (xml_open (&xml, desc))
        {
          xmlXPathObject *obj = xmlXPathEvalExpression ((const xmlChar *) "/domain/devices/disk/source", xml.ctx);

          for (int j = 0; obj && obj->nodesetval && j < obj->nodesetval->nodeNr; j++)
            {
              xmlNode *node = obj->nodesetval->nodeTab[j];
              DiskUse *use = g_new0 (DiskUse, 1);
              xmlChar *file = xmlGetProp (node, (const xmlChar *) "file");
              xmlChar *dev = xmlGetProp (node, (const xmlChar *) "dev");
              xmlChar *pool = xmlGetProp (node, (const xmlChar *) "pool");
              xmlChar *volume = xmlGetProp (node, (const xmlChar *) "volume");

              use->domain = g_strdup (virDomainGetName (doms[i]));
              use->path = g_strdup ((const char *) (file ? file : dev));
              use->pool = g_strdup ((const char *) pool);
              use->volume = g_strdup ((const char *) volume);
              xmlFree (file);
              xmlFree (dev);
              xmlFree (pool);
              xmlFree (volume);
              g_ptr_array_add (uses, use);
            }
          xmlXPathFreeObject (obj);
        }
      xml_close (&xml);
      virDomainFree (doms[i]);
    }
  free (doms);
  virResetLastError ();
  return uses;
}

static char **
users_of (GPtrArray  *uses,
          const char *pool,
          const char *volume,
          const char *path)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GPtrArray) seen = g_ptr_array_new ();

  for (guint i = 0; i < uses->len; i++)
    {
      DiskUse *use = g_ptr_array_index (uses, i);
      gboolean match = (path && g_strcmp0 (use->path, path) == 0) ||
                       (pool && volume && g_strcmp0 (use->pool, pool) == 0 &&
                        g_strcmp0 (use->volume, volume) == 0);

      if (match && !g_ptr_array_find_with_equal_func (seen, use->domain, g_str_equal, NULL))
        {
          g_ptr_array_add (seen, use->domain);
          g_strv_builder_add (builder, use->domain);
        }
    }
  return g_strv_builder_end (builder);
}

char **
gb_storage_volume_users (virConnectPtr  conn,
                         const char    *pool,
                         const char    *volume,
                         const char    *path)
{
  g_autoptr(GPtrArray) uses = list_disk_uses (conn);

  return users_of (uses, pool, volume, path);
}

/* Volumes */

static GbStorageVolumeInfo *
volume_info_fetch (virStorageVolPtr  vol,
                   const char       *pool,
                   GPtrArray        *uses)
{
  GbStorageVolumeInfo *info = g_new0 (GbStorageVolumeInfo, 1);
  g_autofree char *desc = virStorageVolGetXMLDesc (vol, 0);
  virStorageVolInfo vinfo;
  Xml xml = { 0 };

  info->name = g_strdup (virStorageVolGetName (vol));
  info->pool = g_strdup (pool);
  {
    char *path = virStorageVolGetPath (vol);

    info->path = g_strdup (path);
    free (path);
  }
  if (virStorageVolGetInfo (vol, &vinfo) == 0)
    {
      info->capacity = vinfo.capacity;
      info->allocation = vinfo.allocation;
    }
  virResetLastError ();
  xml_open (&xml, desc);
  info->format = xml_string (&xml, "string(/volume/target/format/@type)");
  info->backing = xml_string (&xml, "string(/volume/backingStore/path)");
  xml_close (&xml);
  info->used_by = users_of (uses, pool, info->name, info->path);
  return info;
}

static int
compare_volumes (gconstpointer a,
                 gconstpointer b)
{
  const GbStorageVolumeInfo *va = *(GbStorageVolumeInfo * const *) a;
  const GbStorageVolumeInfo *vb = *(GbStorageVolumeInfo * const *) b;

  return g_utf8_collate (va->name, vb->name);
}

GPtrArray *
gb_storage_list_volumes (virConnectPtr   conn,
                         const char     *name,
                         GError        **error)
{
  virStoragePoolPtr pool = lookup_pool (conn, name, error);
  g_autoptr(GPtrArray) uses = NULL;
  virStorageVolPtr *vols = NULL;
  GPtrArray *ret;
  int n;

  if (pool == NULL)
    return NULL;
  n = virStoragePoolListAllVolumes (pool, &vols, 0);
  if (n < 0)
    {
      gb_libvirt_set_error (error, _("Could not list the volumes"));
      virStoragePoolFree (pool);
      return NULL;
    }
  uses = list_disk_uses (conn);
  ret = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_storage_volume_info_free);
  for (int i = 0; i < n; i++)
    {
      g_ptr_array_add (ret, volume_info_fetch (vols[i], name, uses));
      virStorageVolFree (vols[i]);
    }
  free (vols);
  virStoragePoolFree (pool);
  g_ptr_array_sort (ret, compare_volumes);
  return ret;
}

char *
gb_storage_volume_xml (const GbStorageVolumeSpec *spec)
{
  GVirConfigStorageVol *vol = gvir_config_storage_vol_new ();
  GVirConfigStorageVolTarget *target = gvir_config_storage_vol_target_new ();
  const char *format = spec->format ? spec->format : "qcow2";
  char *xml;

  gvir_config_storage_vol_set_name (vol, spec->name);
  gvir_config_storage_vol_set_capacity (vol, spec->capacity);
  /* Thin: a qcow2 grows as the guest writes, a raw file stays sparse. */
  gvir_config_storage_vol_set_allocation (vol, 0);
  gvir_config_storage_vol_target_set_format (target, format);
  if (g_str_equal (format, "qcow2"))
    gvir_config_storage_vol_target_set_compat (target, "1.1");
  gvir_config_storage_vol_set_target (vol, target);

  if (spec->backing != NULL && *spec->backing)
    {
      GVirConfigStorageVolBackingStore *backing = gvir_config_storage_vol_backing_store_new ();

      gvir_config_storage_vol_backing_store_set_path (backing, spec->backing);
      gvir_config_storage_vol_backing_store_set_format (backing,
                                                        spec->backing_format ? spec->backing_format : "qcow2");
      gvir_config_storage_vol_set_backing_store (vol, backing);
      g_object_unref (backing);
    }
  xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (vol));
  g_object_unref (target);
  g_object_unref (vol);
  return xml;
}

gboolean
gb_storage_volume_create (virConnectPtr               conn,
                          const char                 *name,
                          const GbStorageVolumeSpec  *spec,
                          GError                    **error)
{
  virStoragePoolPtr pool = lookup_pool (conn, name, error);
  g_autofree char *xml = NULL;
  virStorageVolPtr vol;

  if (pool == NULL)
    return FALSE;
  xml = gb_storage_volume_xml (spec);
  vol = virStorageVolCreateXML (pool, xml, 0);
  if (vol == NULL)
    gb_libvirt_set_error (error, _("Could not create the volume"));
  else
    virStorageVolFree (vol);
  virStoragePoolFree (pool);
  return vol != NULL;
}

static virStorageVolPtr
lookup_volume (virConnectPtr   conn,
               const char     *pool_name,
               const char     *name,
               GError        **error)
{
  virStoragePoolPtr pool = lookup_pool (conn, pool_name, error);
  virStorageVolPtr vol;

  if (pool == NULL)
    return NULL;
  vol = virStorageVolLookupByName (pool, name);
  if (vol == NULL)
    gb_libvirt_set_error (error, _("No such volume"));
  virStoragePoolFree (pool);
  return vol;
}

gboolean
gb_storage_volume_resize (virConnectPtr   conn,
                          const char     *pool,
                          const char     *name,
                          guint64         capacity,
                          GError        **error)
{
  virStorageVolPtr vol = lookup_volume (conn, pool, name, error);
  virStorageVolInfo info;
  unsigned int flags = 0;
  int ret;

  if (vol == NULL)
    return FALSE;
  /* Shrinking loses the guest's data at the end: libvirt wants it said. */
  if (virStorageVolGetInfo (vol, &info) == 0 && capacity < info.capacity)
    flags |= VIR_STORAGE_VOL_RESIZE_SHRINK;
  ret = virStorageVolResize (vol, capacity, flags);
  if (ret < 0)
    gb_libvirt_set_error (error, _("Could not resize the volume"));
  virStorageVolFree (vol);
  return ret == 0;
}

gboolean
gb_storage_volume_delete (virConnectPtr   conn,
                          const char     *pool,
                          const char     *name,
                          gboolean        even_if_used,
                          GError        **error)
{
  virStorageVolPtr vol = lookup_volume (conn, pool, name, error);
  int ret;

  if (vol == NULL)
    return FALSE;

  if (!even_if_used)
    {
      char *path = virStorageVolGetPath (vol);
      g_auto(GStrv) users = gb_storage_volume_users (conn, pool, name, path);

      free (path);
      if (users[0] != NULL)
        {
          g_autofree char *list = g_strjoinv (", ", users);

          g_set_error (error, GB_STORAGE_ERROR, GB_STORAGE_ERROR_IN_USE,
                       /* Translators: %s is a list of machine names */
                       _("The volume is a disk of %s"), list);
          virStorageVolFree (vol);
          return FALSE;
        }
    }

  ret = virStorageVolDelete (vol, 0);
  if (ret < 0)
    gb_libvirt_set_error (error, _("Could not delete the volume"));
  virStorageVolFree (vol);
  return ret == 0;
}

/* Upload and download */

static gboolean
write_all (int           fd,
           const char   *buf,
           gsize         len)
{
  while (len > 0)
    {
      gssize n = write (fd, buf, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      buf += n;
      len -= n;
    }
  return TRUE;
}

static gboolean
upload (virStorageVolPtr   vol,
        virStreamPtr       st,
        int                fd,
        guint64           *total,
        gsize             *done,
        GCancellable      *cancellable,
        GError           **error)
{
  g_autofree char *buf = g_malloc (CHUNK);
  struct stat sb;

  if (fstat (fd, &sb) < 0)
    {
      g_set_error (error, GB_STORAGE_ERROR, GB_STORAGE_ERROR_LOCAL_FILE, "%s", g_strerror (errno));
      return FALSE;
    }
  *total = sb.st_size;
  if (virStorageVolUpload (vol, st, 0, sb.st_size, 0) < 0)
    {
      gb_libvirt_set_error (error, _("Could not upload to the volume"));
      return FALSE;
    }

  for (;;)
    {
      gssize n = read (fd, buf, CHUNK);
      gssize off = 0;

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          g_set_error (error, GB_STORAGE_ERROR, GB_STORAGE_ERROR_LOCAL_FILE, "%s", g_strerror (errno));
          virStreamAbort (st);
          return FALSE;
        }
      if (n == 0)
        break;
      if (g_cancellable_is_cancelled (cancellable))
        {
          g_set_error_literal (error, GB_STORAGE_ERROR, GB_STORAGE_ERROR_CANCELLED, _("Cancelled"));
          virStreamAbort (st);
          return FALSE;
        }
      while (off < n)
        {
          int sent = virStreamSend (st, buf + off, n - off);

          if (sent < 0)
            {
              gb_libvirt_set_error (error, _("The upload stopped"));
              virStreamAbort (st);
              return FALSE;
            }
          off += sent;
        }
      g_atomic_pointer_add (done, n);
    }

  if (virStreamFinish (st) < 0)
    {
      gb_libvirt_set_error (error, _("The upload did not finish"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
download (virStorageVolPtr   vol,
          virStreamPtr       st,
          int                fd,
          guint64           *total,
          gsize             *done,
          GCancellable      *cancellable,
          GError           **error)
{
  g_autofree char *buf = g_malloc (CHUNK);
  virStorageVolInfo info;

  /* The bytes that come are the file's, not the guest-visible capacity. */
  if (virStorageVolGetInfoFlags (vol, &info, VIR_STORAGE_VOL_GET_PHYSICAL) == 0)
    *total = info.allocation;
  virResetLastError ();
  if (virStorageVolDownload (vol, st, 0, 0, 0) < 0)
    {
      gb_libvirt_set_error (error, _("Could not download the volume"));
      return FALSE;
    }

  for (;;)
    {
      int n = virStreamRecv (st, buf, CHUNK);

      if (n < 0)
        {
          gb_libvirt_set_error (error, _("The download stopped"));
          virStreamAbort (st);
          return FALSE;
        }
      if (n == 0)
        break;
      if (!write_all (fd, buf, n))
        {
          g_set_error (error, GB_STORAGE_ERROR, GB_STORAGE_ERROR_LOCAL_FILE, "%s", g_strerror (errno));
          virStreamAbort (st);
          return FALSE;
        }
      g_atomic_pointer_add (done, n);
      if (g_cancellable_is_cancelled (cancellable))
        {
          g_set_error_literal (error, GB_STORAGE_ERROR, GB_STORAGE_ERROR_CANCELLED, _("Cancelled"));
          virStreamAbort (st);
          return FALSE;
        }
    }
  if (virStreamFinish (st) < 0)
    {
      gb_libvirt_set_error (error, _("The download did not finish"));
      return FALSE;
    }
  return TRUE;
}

gboolean
gb_storage_volume_transfer (virConnectPtr   conn,
                            const char     *pool,
                            const char     *name,
                            const char     *local_path,
                            gboolean        is_upload,
                            guint64        *total,
                            gsize          *done,
                            GCancellable   *cancellable,
                            GError        **error)
{
  virStorageVolPtr vol = lookup_volume (conn, pool, name, error);
  virStreamPtr st = NULL;
  guint64 total_dummy = 0;
  gsize done_dummy = 0;
  gboolean ok = FALSE;
  int fd;

  if (vol == NULL)
    return FALSE;
  total = total ? total : &total_dummy;
  done = done ? done : &done_dummy;

  fd = is_upload ? g_open (local_path, O_RDONLY | O_CLOEXEC, 0)
                 : g_open (local_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, GB_STORAGE_ERROR, GB_STORAGE_ERROR_LOCAL_FILE,
                   "%s: %s", local_path, g_strerror (saved));
      virStorageVolFree (vol);
      return FALSE;
    }

  st = virStreamNew (conn, 0);
  if (st == NULL)
    gb_libvirt_set_error (error, NULL);
  else if (is_upload)
    ok = upload (vol, st, fd, total, done, cancellable, error);
  else
    ok = download (vol, st, fd, total, done, cancellable, error);

  if (st != NULL)
    virStreamFree (st);
  if (close (fd) < 0 && ok)
    {
      g_set_error (error, GB_STORAGE_ERROR, GB_STORAGE_ERROR_LOCAL_FILE, "%s", g_strerror (errno));
      ok = FALSE;
    }
  virStorageVolFree (vol);
  return ok;
}

/* The worker thread */

typedef struct {
  virConnectPtr   conn;
  GbStorageFunc   func;
  gpointer        data;
  GDestroyNotify  data_free;
  GDestroyNotify  result_free;
} RunData;

static void
run_data_free (RunData *run)
{
  if (run->data_free && run->data)
    run->data_free (run->data);
  virConnectClose (run->conn);
  g_free (run);
}

static void
run_thread (GTask        *task,
            gpointer      source,
            gpointer      task_data,
            GCancellable *cancellable)
{
  RunData *run = task_data;
  GError *error = NULL;
  gpointer ret = run->func (run->conn, run->data, cancellable, &error);

  if (error != NULL)
    {
      if (ret && run->result_free)
        run->result_free (ret);
      g_task_return_error (task, error);
    }
  else
    g_task_return_pointer (task, ret, run->result_free);
}

void
gb_storage_run_async (virConnectPtr        conn,
                      GbStorageFunc        func,
                      gpointer             data,
                      GDestroyNotify       data_free,
                      GDestroyNotify       result_free,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  RunData *run = g_new0 (RunData, 1);

  g_task_set_source_tag (task, gb_storage_run_async);
  virConnectRef (conn);
  run->conn = conn;
  run->func = func;
  run->data = data;
  run->data_free = data_free;
  run->result_free = result_free;
  g_task_set_task_data (task, run, (GDestroyNotify) run_data_free);
  g_task_run_in_thread (task, run_thread);
}

gpointer
gb_storage_run_finish (GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
