/* gb-libvirt-clone.c — a copy of a stopped libvirt machine, with virt-clone's rules
 *
 * The inactive domain XML is edited as a parsed tree (libxml2): new name,
 * no UUID (libvirt makes one), new MACs (52:54:00 prefix, as QEMU's own),
 * graphics ports automatic, the NVRAM file copied, disk sources replaced.
 * Disks are copied in a GTask thread by gb-disk-copy.c: sparse copies or
 * reflinks, or with "linked" qcow2 overlays whose backing file is the
 * source.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "gb-libvirt-clone.h"
#include "gb-libvirt-private.h"

char *
gb_libvirt_clone_default_name (GbLibvirtMachine *self)
{
  return g_strdup_printf ("%s-clone", gb_machine_get_name (GB_MACHINE (self)));
}

typedef struct {
  virDomainPtr  dom;
  char         *new_name;
  gboolean      linked;
  GbDiskCopy   *copy;
} CloneData;

static void
clone_data_free (gpointer data)
{
  CloneData *cd = data;

  virDomainFree (cd->dom);
  g_free (cd->new_name);
  gb_disk_copy_free (cd->copy);
  g_free (cd);
}

static xmlNodePtr
first_node (xmlXPathContextPtr  ctx,
            const char         *expr,
            xmlNodePtr          relative)
{
  xmlXPathObjectPtr obj;
  xmlNodePtr node = NULL;

  ctx->node = relative;
  obj = xmlXPathEvalExpression ((const xmlChar *) expr, ctx);
  if (obj != NULL && obj->nodesetval != NULL && obj->nodesetval->nodeNr > 0)
    node = obj->nodesetval->nodeTab[0];
  xmlXPathFreeObject (obj);
  return node;
}

static gboolean
rewrite_and_copy (CloneData     *cd,
                  xmlDocPtr      doc,
                  GCancellable  *cancellable,
                  GError       **error)
{
  xmlXPathContextPtr ctx = xmlXPathNewContext (doc);
  xmlNodePtr root = xmlDocGetRootElement (doc), node;
  xmlXPathObjectPtr disks = NULL, nics = NULL, graphics = NULL;
  g_autoptr(GPtrArray) copies = g_ptr_array_new_with_free_func (g_free);   /* src, dst, fmt triples */
  GbDiskCopy *copy = cd->copy;
  gboolean ok = FALSE;

  /* Name and UUID. */
  if ((node = first_node (ctx, "/domain/name", root)) != NULL)
    xmlNodeSetContent (node, (const xmlChar *) cd->new_name);
  if ((node = first_node (ctx, "/domain/uuid", root)) != NULL)
    {
      xmlUnlinkNode (node);
      xmlFreeNode (node);
    }

  /* A new MAC for every NIC. */
  ctx->node = root;
  nics = xmlXPathEvalExpression ((const xmlChar *) "/domain/devices/interface/mac", ctx);
  for (int i = 0; nics && nics->nodesetval && i < nics->nodesetval->nodeNr; i++)
    {
      g_autofree char *mac = gb_disk_copy_random_mac ();
      xmlSetProp (nics->nodesetval->nodeTab[i], (const xmlChar *) "address", (const xmlChar *) mac);
    }

  /* Graphics ports: automatic. */
  graphics = xmlXPathEvalExpression ((const xmlChar *) "/domain/devices/graphics[@port]", ctx);
  for (int i = 0; graphics && graphics->nodesetval && i < graphics->nodesetval->nodeNr; i++)
    {
      xmlNodePtr g = graphics->nodesetval->nodeTab[i];
      xmlUnsetProp (g, (const xmlChar *) "port");
      xmlUnsetProp (g, (const xmlChar *) "tlsPort");
      xmlSetProp (g, (const xmlChar *) "autoport", (const xmlChar *) "yes");
    }

  /* NVRAM: a copy of the variables, named after the clone. */
  if ((node = first_node (ctx, "/domain/os/nvram", root)) != NULL)
    {
      g_autofree char *src = (char *) xmlNodeGetContent (node);

      if (src != NULL && *src != '\0' && g_file_test (src, G_FILE_TEST_EXISTS))
        {
          g_autofree char *vars = g_strdup_printf ("%s_VARS", cd->new_name);
          g_autofree char *dst = gb_disk_copy_free_path (copy, src, vars, ".fd");

          gb_disk_copy_count (copy, src);
          g_ptr_array_add (copies, g_strdup (src));
          g_ptr_array_add (copies, g_strdup (dst));
          g_ptr_array_add (copies, g_strdup ("nvram"));   /* always a plain copy */
          xmlNodeSetContent (node, (const xmlChar *) dst);
        }
      else if (src != NULL && *src != '\0')
        {
          /* Not made yet (never started): libvirt makes one from the template. */
          xmlUnlinkNode (node);
          xmlFreeNode (node);
        }
    }

  /* Disks: shareable and read-only ones are shared; file disks are copied. */
  disks = xmlXPathEvalExpression ((const xmlChar *) "/domain/devices/disk[@device='disk']", ctx);
  for (int i = 0; disks && disks->nodesetval && i < disks->nodesetval->nodeNr; i++)
    {
      xmlNodePtr disk = disks->nodesetval->nodeTab[i], source, driver;
      g_autofree char *type = (char *) xmlGetProp (disk, (const xmlChar *) "type");
      g_autofree char *src = NULL, *fmt = NULL, *dst = NULL;

      if (first_node (ctx, "shareable", disk) != NULL || first_node (ctx, "readonly", disk) != NULL)
        continue;
      source = first_node (ctx, "source", disk);
      if (source == NULL)
        continue;
      if (g_strcmp0 (type, "file") != 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       _("Only disks that are files can be cloned; mark the others shareable or remove them first"));
          goto out;
        }
      src = (char *) xmlGetProp (source, (const xmlChar *) "file");
      driver = first_node (ctx, "driver", disk);
      fmt = driver ? (char *) xmlGetProp (driver, (const xmlChar *) "type") : NULL;
      dst = gb_disk_copy_free_path (copy, src, cd->new_name, cd->linked ? ".qcow2" : NULL);
      if (dst == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, _("No free file name for the copy of %s"), src);
          goto out;
        }
      if (!cd->linked)
        gb_disk_copy_count (copy, src);
      xmlSetProp (source, (const xmlChar *) "file", (const xmlChar *) dst);
      if (cd->linked && driver != NULL)
        xmlSetProp (driver, (const xmlChar *) "type", (const xmlChar *) "qcow2");
      g_ptr_array_add (copies, g_steal_pointer (&src));
      g_ptr_array_add (copies, g_strdup (dst));
      g_ptr_array_add (copies, g_steal_pointer (&fmt));
    }

  /* The files, in order; the NVRAM is always copied, disks as asked. */
  gb_disk_copy_report (copy, TRUE);
  for (guint i = 0; i < copies->len; i += 3)
    {
      const char *src = copies->pdata[i], *dst = copies->pdata[i + 1], *fmt = copies->pdata[i + 2];
      gboolean nvram = g_strcmp0 (fmt, "nvram") == 0;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        goto out;

      if (cd->linked && !nvram)
        {
          if (!gb_disk_copy_overlay (copy, src, fmt, dst, error))
            goto out;
        }
      else if (!gb_disk_copy_file (copy, src, dst, cancellable, error))
        goto out;
    }
  ok = TRUE;

out:
  xmlXPathFreeObject (disks);
  xmlXPathFreeObject (nics);
  xmlXPathFreeObject (graphics);
  xmlXPathFreeContext (ctx);
  return ok;
}

static void
clone_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  CloneData *cd = task_data;
  g_autofree char *xml = NULL;
  xmlChar *out_xml = NULL;
  xmlDocPtr doc = NULL;
  virDomainPtr clone = NULL;
  GError *error = NULL;
  int state = 0, size = 0;
  char uuid[VIR_UUID_STRING_BUFLEN];

  if (virDomainGetState (cd->dom, &state, NULL, 0) < 0)
    goto libvirt_error;
  if (state != VIR_DOMAIN_SHUTOFF)
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_BUSY, _("Shut the machine down before cloning it"));
      goto out;
    }
  if ((clone = virDomainLookupByName (virDomainGetConnect (cd->dom), cd->new_name)) != NULL)
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_EXISTS, _("A machine named “%s” exists already"), cd->new_name);
      goto out;
    }
  virResetLastError ();
  clone = NULL;

  xml = virDomainGetXMLDesc (cd->dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
  if (xml == NULL)
    goto libvirt_error;
  doc = xmlReadMemory (xml, strlen (xml), "domain.xml", NULL, XML_PARSE_NONET);
  if (doc == NULL)
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The machine’s definition could not be read"));
      goto out;
    }
  if (!rewrite_and_copy (cd, doc, cancellable, &error))
    goto out;

  /* The last moment a cancel still undoes everything. */
  if (g_cancellable_set_error_if_cancelled (cancellable, &error))
    goto out;
  xmlDocDumpMemory (doc, &out_xml, &size);
  clone = virDomainDefineXML (virDomainGetConnect (cd->dom), (const char *) out_xml);
  if (clone == NULL || virDomainGetUUIDString (clone, uuid) < 0)
    goto libvirt_error;
  gb_disk_copy_keep (cd->copy);   /* they belong to the clone now */
  g_task_return_pointer (task, g_strdup (uuid), g_free);
  goto cleanup;

libvirt_error:
  gb_libvirt_set_error (&error, NULL);
out:
  gb_disk_copy_undo (cd->copy);
  g_task_return_error (task, error);
cleanup:
  if (clone != NULL)
    virDomainFree (clone);
  xmlFree (out_xml);
  if (doc != NULL)
    xmlFreeDoc (doc);
}

void
gb_libvirt_machine_clone_async (GbLibvirtMachine     *self,
                                const char           *new_name,
                                gboolean              linked,
                                GbCloneProgressFunc   progress,
                                gpointer              progress_data,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  virDomainPtr dom = _gb_libvirt_machine_get_handle (self);
  CloneData *cd;

  g_task_set_source_tag (task, gb_libvirt_machine_clone_async);
  if (dom == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                               _("“%s” cannot be reached: its connection is closed"),
                               gb_machine_get_name (GB_MACHINE (self)));
      return;
    }
  if (new_name == NULL || *new_name == '\0')
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("The clone needs a name"));
      return;
    }
  if (!_gb_libvirt_provider_is_local (gb_machine_get_provider (GB_MACHINE (self))))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("Machines on another computer cannot be cloned from here yet"));
      return;
    }

  virDomainRef (dom);
  cd = g_new0 (CloneData, 1);
  cd->dom = dom;
  cd->new_name = g_strdup (new_name);
  cd->linked = linked;
  cd->copy = gb_disk_copy_new (progress, progress_data);
  g_task_set_task_data (task, cd, clone_data_free);
  /* The answer says what happened: a clone defined before the cancel
   * arrived is reported, not hidden behind "cancelled". */
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, clone_thread);
}

char *
gb_libvirt_machine_clone_finish (GbLibvirtMachine  *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
