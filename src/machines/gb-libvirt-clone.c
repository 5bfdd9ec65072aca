/* gb-libvirt-clone.c — a copy of a stopped libvirt machine, with virt-clone's rules
 *
 * The inactive domain XML is edited as a parsed tree (libxml2): new name,
 * no UUID (libvirt makes one), new MACs (52:54:00 prefix, as QEMU's own),
 * graphics ports automatic, the NVRAM file copied, disk sources replaced.
 * Disks are copied in a GTask thread: FICLONE first (a reflink costs
 * nothing on Btrfs/XFS), else only the data extents (SEEK_DATA/SEEK_HOLE)
 * so the copy stays sparse; with "linked", a qcow2 overlay whose backing
 * file is the source, made by our block engine.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#ifdef HAVE_BLOCK_CREATE
#include "block.h"
#endif

#include "gb-libvirt-clone.h"
#include "gb-libvirt-private.h"

#define COPY_CHUNK (4u << 20)

char *
gb_libvirt_clone_default_name (GbLibvirtMachine *self)
{
  return g_strdup_printf ("%s-clone", gb_machine_get_name (GB_MACHINE (self)));
}

typedef struct {
  virDomainPtr         dom;
  char                *new_name;
  gboolean             linked;
  GbCloneProgressFunc  progress;
  gpointer             progress_data;
  GMainContext        *context;
  GPtrArray           *created;   /* files to remove if anything fails */
  guint64              done, total;
  gint64               last_report;
} CloneData;

static void
clone_data_free (gpointer data)
{
  CloneData *cd = data;

  virDomainFree (cd->dom);
  g_free (cd->new_name);
  g_clear_pointer (&cd->context, g_main_context_unref);
  g_ptr_array_unref (cd->created);
  g_free (cd);
}

typedef struct {
  GbCloneProgressFunc func;
  gpointer            data;
  guint64             done, total;
} ProgressReport;

static gboolean
report_progress_cb (gpointer user_data)
{
  ProgressReport *r = user_data;

  r->func (r->done, r->total, r->data);
  return G_SOURCE_REMOVE;
}

static void
report_progress (CloneData *cd,
                 gboolean   force)
{
  gint64 now = g_get_monotonic_time ();
  ProgressReport *r;

  if (cd->progress == NULL || (!force && now - cd->last_report < G_USEC_PER_SEC / 10))
    return;
  cd->last_report = now;
  r = g_new (ProgressReport, 1);
  *r = (ProgressReport) { cd->progress, cd->progress_data, cd->done, cd->total };
  g_main_context_invoke_full (cd->context, G_PRIORITY_DEFAULT, report_progress_cb, r, g_free);
}

static gboolean
str_equal0 (gconstpointer a,
            gconstpointer b)
{
  return g_strcmp0 (a, b) == 0;
}

/* A file name next to @path for the clone: NEWNAME.ext, or NEWNAME-N.ext
 * when taken (virt-clone's pattern). */
static char *
clone_path (GPtrArray  *reserved,
            const char *path,
            const char *new_name,
            const char *ext_override)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  const char *dot = strrchr (base, '.');
  const char *ext = ext_override ? ext_override : dot ? dot : "";

  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *name = i == 0 ? g_strdup_printf ("%s%s", new_name, ext)
                                     : g_strdup_printf ("%s-%u%s", new_name, i, ext);
      char *candidate = g_build_filename (dir, name, NULL);

      /* Names chosen for earlier disks of this clone count as taken. */
      if (!g_file_test (candidate, G_FILE_TEST_EXISTS) &&
          !g_ptr_array_find_with_equal_func (reserved, candidate, str_equal0, NULL))
        return candidate;
      g_free (candidate);
    }
  return NULL;
}

/* Copies @src to @dst (which must not exist): a reflink, else the data
 * extents only, in chunks, with progress and cancellation. */
static gboolean
copy_file (CloneData     *cd,
           const char    *src,
           const char    *dst,
           GCancellable  *cancellable,
           GError       **error)
{
  int in = -1, out = -1, saved;
  struct stat st;
  gboolean ok = FALSE;
  off_t pos = 0;

  in = open (src, O_RDONLY | O_CLOEXEC);
  if (in < 0 || fstat (in, &st) < 0)
    goto fail;
  out = open (dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 0777);
  if (out < 0)
    goto fail;
  g_ptr_array_add (cd->created, g_strdup (dst));

  if (ioctl (out, FICLONE, in) == 0)
    {
      cd->done += st.st_size;
      report_progress (cd, TRUE);
      ok = TRUE;
      goto out;
    }
  if (ftruncate (out, st.st_size) < 0)
    goto fail;
  while (pos < st.st_size)
    {
      off_t data = lseek (in, pos, SEEK_DATA), hole;

      if (data < 0 && errno == ENXIO)
        break;                  /* only a hole is left */
      if (data < 0)
        data = pos;             /* no SEEK_DATA here: copy everything */
      hole = lseek (in, data, SEEK_HOLE);
      if (hole < 0)
        hole = st.st_size;
      cd->done += data - pos;
      pos = data;
      while (pos < hole)
        {
          size_t len = MIN ((off_t) COPY_CHUNK, hole - pos);
          loff_t off_in = pos, off_out = pos;
          ssize_t n;

          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            goto out;
          n = copy_file_range (in, &off_in, out, &off_out, len, 0);
          if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP))
            {
              g_autofree char *buf = g_malloc (len);
              n = pread (in, buf, len, pos);
              if (n > 0 && pwrite (out, buf, n, pos) != n)
                n = -1;
            }
          if (n <= 0)
            goto fail;
          pos += n;
          cd->done += n;
          report_progress (cd, FALSE);
        }
    }
  cd->done += st.st_size - pos;
  report_progress (cd, TRUE);
  ok = fsync (out) == 0;
  if (!ok)
    goto fail;
  goto out;

fail:
  saved = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
               _("Could not copy %s to %s: %s"), src, dst, g_strerror (saved));
out:
  if (in >= 0)
    close (in);
  if (out >= 0)
    close (out);
  return ok;
}

static gboolean
make_overlay (CloneData   *cd,
              const char  *src,
              const char  *format,
              const char  *dst,
              GError     **error)
{
#ifdef HAVE_BLOCK_CREATE
  BlockCreateOptions opts = { 0 };
  char *err = NULL;
  int ret;

  opts.format = BLOCK_FORMAT_QCOW2;
  opts.backing_file = src;
  if (!block_format_from_name (format ? format : "raw", &opts.backing_format))
    opts.backing_format = BLOCK_FORMAT_AUTO;
  ret = block_create (dst, &opts, &err);
  if (ret < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (-ret),
                   _("Could not create %s: %s"), dst, err ? err : g_strerror (-ret));
      free (err);
      return FALSE;
    }
  g_ptr_array_add (cd->created, g_strdup (dst));
  return TRUE;
#else
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               _("Linked clones need Glassbox’s disk engine, which this build lacks"));
  return FALSE;
#endif
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

static char *
random_mac (void)
{
  return g_strdup_printf ("52:54:00:%02x:%02x:%02x", g_random_int_range (0, 256),
                          g_random_int_range (0, 256), g_random_int_range (0, 256));
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
      g_autofree char *mac = random_mac ();
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
          g_autofree char *dst = clone_path (copies, src, vars, ".fd");
          struct stat st;

          if (stat (src, &st) == 0)
            cd->total += st.st_size;
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
      dst = clone_path (copies, src, cd->new_name, cd->linked ? ".qcow2" : NULL);
      if (dst == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, _("No free file name for the copy of %s"), src);
          goto out;
        }
      if (!cd->linked)
        {
          struct stat st;
          if (stat (src, &st) == 0)
            cd->total += st.st_size;
        }
      xmlSetProp (source, (const xmlChar *) "file", (const xmlChar *) dst);
      if (cd->linked && driver != NULL)
        xmlSetProp (driver, (const xmlChar *) "type", (const xmlChar *) "qcow2");
      g_ptr_array_add (copies, g_steal_pointer (&src));
      g_ptr_array_add (copies, g_strdup (dst));
      g_ptr_array_add (copies, g_steal_pointer (&fmt));
    }

  /* The files, in order; the NVRAM is always copied, disks as asked. */
  report_progress (cd, TRUE);
  for (guint i = 0; i < copies->len; i += 3)
    {
      const char *src = copies->pdata[i], *dst = copies->pdata[i + 1], *fmt = copies->pdata[i + 2];
      gboolean nvram = g_strcmp0 (fmt, "nvram") == 0;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        goto out;

      if (cd->linked && !nvram)
        {
          if (!make_overlay (cd, src, fmt, dst, error))
            goto out;
        }
      else if (!copy_file (cd, src, dst, cancellable, error))
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
  g_ptr_array_set_size (cd->created, 0);   /* they belong to the clone now */
  g_task_return_pointer (task, g_strdup (uuid), g_free);
  goto cleanup;

libvirt_error:
  gb_libvirt_set_error (&error, NULL);
out:
  for (guint i = 0; i < cd->created->len; i++)
    g_unlink (cd->created->pdata[i]);
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
  cd->progress = progress;
  cd->progress_data = progress_data;
  cd->context = g_main_context_ref_thread_default ();
  cd->created = g_ptr_array_new_with_free_func (g_free);
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
