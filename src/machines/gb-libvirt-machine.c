/* gb-libvirt-machine.c — a machine that is a libvirt domain
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gio/gunixsocketaddress.h>
#include <libvirt/virterror.h>
#include <libvirt-glib/libvirt-glib.h>

#include "gb-libvirt-console.h"
#include "gb-libvirt-edit.h"
#include "gb-libvirt-internals.h"
#include "gb-libvirt-machine.h"
#include "gb-libvirt-private.h"
#include "gb-machine-private.h"
#include "gb-provider.h"

struct _GbLibvirtMachine
{
  GbMachine          parent_instance;

  virDomainPtr       dom;        /* NULL while the provider is disconnected */
  GVirDomain        *gdomain;    /* made on demand for consoles */

  /* Counts lifecycle events, so that a refresh that started before an event
   * does not overwrite the state the event set. */
  guint              event_serial;
  guint              refreshing : 1;
  guint              refresh_again : 1;
  guint              persistent : 1;
  guint              has_prev_stats : 1;
  GbLibvirtRawStats  prev_stats;
};

G_DEFINE_FINAL_TYPE (GbLibvirtMachine, gb_libvirt_machine, GB_TYPE_MACHINE)

typedef enum {
  ACTION_START,
  ACTION_SHUTDOWN,
  ACTION_FORCE_OFF,
  ACTION_PAUSE,
  ACTION_RESUME,
  ACTION_REBOOT,
} Action;

static void
gb_libvirt_machine_finalize (GObject *object)
{
  GbLibvirtMachine *self = GB_LIBVIRT_MACHINE (object);

  g_clear_object (&self->gdomain);
  g_clear_pointer (&self->dom, virDomainFree);

  G_OBJECT_CLASS (gb_libvirt_machine_parent_class)->finalize (object);
}

static virDomainPtr
ref_handle (GbLibvirtMachine  *self,
            GError           **error)
{
  if (self->dom == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                   _("“%s” cannot be reached: its connection is closed"),
                   gb_machine_get_name (GB_MACHINE (self)));
      return NULL;
    }

  virDomainRef (self->dom);
  return self->dom;
}

typedef struct {
  virDomainPtr dom;
  Action       action;
} ActionData;

static void
action_data_free (gpointer data)
{
  ActionData *ad = data;

  virDomainFree (ad->dom);
  g_free (ad);
}

static void
action_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ActionData *ad = task_data;
  g_autoptr(GError) error = NULL;
  int ret = -1;

  switch (ad->action)
    {
    case ACTION_START:
      ret = virDomainCreate (ad->dom);
      /* Remembered in the definition: the firmware is chosen before the
       * first start only.  Transient machines have no definition to keep it. */
      if (ret == 0 &&
          virDomainSetMetadata (ad->dom, VIR_DOMAIN_METADATA_ELEMENT, "<started/>",
                                GB_LIBVIRT_STARTED_NS_KEY, GB_LIBVIRT_STARTED_NS_URI,
                                VIR_DOMAIN_AFFECT_CONFIG) < 0)
        virResetLastError ();
      break;
    case ACTION_SHUTDOWN:
      /* The ACPI power button, as a user would press it. Drivers without
       * that choice (the test driver) take the default. */
      ret = virDomainShutdownFlags (ad->dom, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN);
      if (ret < 0)
        {
          virErrorPtr err = virGetLastError ();

          if (err && (err->code == VIR_ERR_INVALID_ARG || err->code == VIR_ERR_NO_SUPPORT))
            ret = virDomainShutdownFlags (ad->dom, 0);
        }
      break;
    case ACTION_FORCE_OFF:
      ret = virDomainDestroy (ad->dom);
      break;
    case ACTION_PAUSE:
      ret = virDomainSuspend (ad->dom);
      break;
    case ACTION_RESUME:
      ret = virDomainResume (ad->dom);
      break;
    case ACTION_REBOOT:
      ret = virDomainReboot (ad->dom, 0);
      break;
    default:
      g_assert_not_reached ();
    }

  if (ret < 0)
    {
      gb_libvirt_set_error (&error, NULL);
      g_task_return_error (task, g_steal_pointer (&error));
    }
  else
    g_task_return_boolean (task, TRUE);
}

static void
run_action (GbLibvirtMachine    *self,
            Action               action,
            gpointer             source_tag,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  ActionData *ad;
  virDomainPtr dom;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  dom = ref_handle (self, &error);
  if (dom == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  ad = g_new0 (ActionData, 1);
  ad->dom = dom;
  ad->action = action;
  g_task_set_task_data (task, ad, action_data_free);
  /* Once asked, libvirt finishes the call; cancelling only drops the answer. */
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, action_thread);
}

#define DEFINE_ACTION(name, ACTION)                                              \
static void                                                                      \
gb_libvirt_machine_##name##_async (GbMachine           *machine,                 \
                                   GCancellable        *cancellable,             \
                                   GAsyncReadyCallback  callback,                \
                                   gpointer             user_data)               \
{                                                                                \
  run_action (GB_LIBVIRT_MACHINE (machine), ACTION,                              \
              gb_libvirt_machine_##name##_async, cancellable, callback, user_data); \
}

DEFINE_ACTION (start, ACTION_START)
DEFINE_ACTION (shutdown, ACTION_SHUTDOWN)
DEFINE_ACTION (force_off, ACTION_FORCE_OFF)
DEFINE_ACTION (pause, ACTION_PAUSE)
DEFINE_ACTION (resume, ACTION_RESUME)
DEFINE_ACTION (reboot, ACTION_REBOOT)

#undef DEFINE_ACTION

/* Delete */

typedef struct {
  virDomainPtr  dom;
  char        **paths;
  gboolean      local;
} DeleteData;

static void
delete_data_free (gpointer data)
{
  DeleteData *dd = data;

  virDomainFree (dd->dom);
  g_strfreev (dd->paths);
  g_free (dd);
}

static gboolean
delete_disk (virConnectPtr   conn,
             const char     *path,
             gboolean        local,
             GError        **error)
{
  virStorageVolPtr vol;

  /* A volume of a storage pool goes through the pool (it may not even be a
   * file on this machine); anything else is a plain file. */
  vol = virStorageVolLookupByPath (conn, path);
  if (vol != NULL)
    {
      int ret = virStorageVolDelete (vol, 0);

      virStorageVolFree (vol);
      if (ret < 0)
        {
          gb_libvirt_set_error (error, NULL);
          g_prefix_error (error, _("Could not delete “%s”: "), path);
          return FALSE;
        }
      return TRUE;
    }
  virResetLastError ();

  if (!local)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("Could not delete “%s”: it is not a storage volume, and the machine is on another host"),
                   path);
      return FALSE;
    }

  if (g_unlink (path) < 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not delete “%s”: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}

static void
delete_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  DeleteData *dd = task_data;
  g_autoptr(GError) error = NULL;
  virConnectPtr conn = virDomainGetConnect (dd->dom);
  int active = virDomainIsActive (dd->dom);
  int persistent = virDomainIsPersistent (dd->dom);

  if (active < 0 || persistent < 0)
    goto fail;

  if (active == 1 && virDomainDestroy (dd->dom) < 0)
    goto fail;

  /* Also drop what would keep libvirt from undefining: a managed save
   * image, snapshot and checkpoint metadata, UEFI variables. */
  if (persistent == 1 &&
      virDomainUndefineFlags (dd->dom,
                              VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                              VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                              VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA |
                              VIR_DOMAIN_UNDEFINE_NVRAM) < 0)
    {
      virErrorPtr err = virGetLastError ();

      /* Drivers that know none of these flags (the test driver knows some)
       * have nothing of the kind to remove. */
      if (err == NULL || (err->code != VIR_ERR_INVALID_ARG && err->code != VIR_ERR_NO_SUPPORT))
        goto fail;
      if (virDomainUndefine (dd->dom) < 0)
        goto fail;
    }

  for (guint i = 0; dd->paths && dd->paths[i]; i++)
    {
      g_autoptr(GError) disk_error = NULL;

      if (!delete_disk (conn, dd->paths[i], dd->local, &disk_error) && error == NULL)
        error = g_steal_pointer (&disk_error);
    }

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
  return;

fail:
  gb_libvirt_set_error (&error, NULL);
  g_task_return_error (task, g_steal_pointer (&error));
}

static void
gb_libvirt_machine_delete_async (GbMachine           *machine,
                                 const char * const  *disk_paths_to_delete,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GbLibvirtMachine *self = GB_LIBVIRT_MACHINE (machine);
  GbMachineConfig *config = gb_machine_get_config (machine);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  DeleteData *dd;
  virDomainPtr dom;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gb_libvirt_machine_delete_async);

  /* Only ever delete files that are disks of this machine. */
  for (guint i = 0; disk_paths_to_delete && disk_paths_to_delete[i]; i++)
    {
      GPtrArray *disks = config ? gb_machine_config_get_disks (config) : NULL;
      gboolean found = FALSE;

      for (guint j = 0; disks && j < disks->len && !found; j++)
        {
          GbConfigDisk *disk = g_ptr_array_index (disks, j);

          found = g_strcmp0 (disk->path, disk_paths_to_delete[i]) == 0;
        }

      if (!found)
        {
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                   _("“%s” is not a disk of “%s”"),
                                   disk_paths_to_delete[i], gb_machine_get_name (machine));
          return;
        }
    }

  dom = ref_handle (self, &error);
  if (dom == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  dd = g_new0 (DeleteData, 1);
  dd->dom = dom;
  dd->paths = g_strdupv ((char **) disk_paths_to_delete);
  dd->local = _gb_libvirt_provider_is_local (gb_machine_get_provider (machine));
  g_task_set_task_data (task, dd, delete_data_free);
  g_task_run_in_thread (task, delete_thread);
}

/* Consoles */

static void
domain_unref (gpointer dom)
{
  virDomainFree (dom);
}

typedef struct {
  int fd;
} GraphicsFd;

static void
graphics_fd_free (gpointer data)
{
  GraphicsFd *g = data;

  if (g->fd >= 0)
    close (g->fd);
  g_free (g);
}

/* The first VNC or SPICE <graphics> of the live definition: its index among
 * all <graphics> (what virDomainOpenGraphicsFD counts) and, for when libvirt
 * cannot hand out a socket, the address it listens on. */
static gboolean
find_graphics (virDomainPtr   dom,
               guint         *index,
               char         **socket_path,
               int           *port,
               GError       **error)
{
  g_autofree char *xml = virDomainGetXMLDesc (dom, 0);
  g_autoptr(GError) parse_error = NULL;
  GVirConfigDomain *config;
  GList *devices;
  gboolean found = FALSE;

  if (xml == NULL)
    {
      gb_libvirt_set_error (error, NULL);
      return FALSE;
    }
  config = gvir_config_domain_new_from_xml (xml, &parse_error);
  if (config == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s", parse_error->message);
      return FALSE;
    }

  *index = 0;
  devices = gvir_config_domain_get_devices (config);
  g_object_unref (config);
  for (GList *l = devices; l != NULL && !found; l = l->next)
    {
      if (!GVIR_CONFIG_IS_DOMAIN_GRAPHICS (l->data))
        continue;
      if (GVIR_CONFIG_IS_DOMAIN_GRAPHICS_VNC (l->data))
        {
          GVirConfigDomainGraphicsVnc *vnc = l->data;

          *socket_path = g_strdup (gvir_config_domain_graphics_vnc_get_socket (vnc));
          *port = gvir_config_domain_graphics_vnc_get_port (vnc);
          found = TRUE;
        }
      else if (GVIR_CONFIG_IS_DOMAIN_GRAPHICS_SPICE (l->data))
        {
          *port = gvir_config_domain_graphics_spice_get_port (l->data);
          found = TRUE;
        }
      else
        (*index)++;
    }
  g_list_free_full (devices, g_object_unref);

  if (!found)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 _("This machine has no graphical display"));
  return found;
}

/* Connects to the address in the XML: a UNIX socket, or a port on this
 * computer (where a local libvirt's QEMU listens). */
static int
connect_graphics_address (const char    *socket_path,
                          int            port,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  int fd;

  if (socket_path != NULL)
    address = g_unix_socket_address_new (socket_path);
  else
    {
      g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);

      address = g_inet_socket_address_new (loopback, port);
    }

  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), cancellable, error);
  if (connection == NULL)
    return -1;

  fd = dup (g_socket_get_fd (g_socket_connection_get_socket (connection)));
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s", g_strerror (saved_errno));
    }
  return fd;
}

static void
open_graphics_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  virDomainPtr dom = task_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *socket_path = NULL;
  g_autofree char *fd_error = NULL;
  GraphicsFd *g;
  guint index = 0;
  int port = 0;
  int fd;

  if (!find_graphics (dom, &index, &socket_path, &port, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Preferred: libvirt hands over a connected socket, so neither the port
   * nor the socket path needs to be reachable from here, and (SKIPAUTH) the
   * console's password is not asked for.  A read-only connection may not
   * skip the password: then ask again without. */
  fd = virDomainOpenGraphicsFD (dom, index, VIR_DOMAIN_OPEN_GRAPHICS_SKIPAUTH);
  if (fd < 0)
    fd = virDomainOpenGraphicsFD (dom, index, 0);
  if (fd < 0)
    {
      fd_error = g_strdup (virGetLastErrorMessage ());
      virResetLastError ();

      /* Drivers that cannot (the test driver): the address in the XML. */
      if (socket_path != NULL || port > 0)
        fd = connect_graphics_address (socket_path, port, cancellable, &error);
      if (fd < 0)
        {
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                                   _("Cannot reach the machine’s display: %s"),
                                   error ? error->message : fd_error);
          return;
        }
    }

  g = g_new0 (GraphicsFd, 1);
  g->fd = fd;
  g_task_return_pointer (task, g, graphics_fd_free);
}

static void
gb_libvirt_machine_open_graphics_async (GbMachine           *machine,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  GbLibvirtMachine *self = GB_LIBVIRT_MACHINE (machine);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  virDomainPtr dom;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gb_libvirt_machine_open_graphics_async);

  dom = ref_handle (self, &error);
  if (dom == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_set_task_data (task, dom, domain_unref);
  g_task_run_in_thread (task, open_graphics_thread);
}

static int
gb_libvirt_machine_open_graphics_finish (GbMachine     *machine,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  GraphicsFd *g = g_task_propagate_pointer (G_TASK (result), error);
  int fd;

  /* A cancelled task frees the answer (closing the fd) itself. */
  if (g == NULL)
    return -1;
  fd = g->fd;
  g->fd = -1;
  graphics_fd_free (g);
  return fd;
}

typedef struct {
  virDomainPtr  dom;
  char         *device;
} SerialData;

static void
serial_data_free (gpointer data)
{
  SerialData *sd = data;

  virDomainFree (sd->dom);
  g_free (sd->device);
  g_free (sd);
}

static void
stream_abort_free (gpointer data)
{
  virStreamAbort (data);
  virStreamFree (data);
}

static void
open_serial_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  SerialData *sd = task_data;
  g_autoptr(GError) error = NULL;
  virStreamPtr stream;

  /* Non-blocking: libvirt's event callbacks on the GLib main loop drive it.
   * FORCE takes the console over from another viewer. */
  stream = virStreamNew (virDomainGetConnect (sd->dom), VIR_STREAM_NONBLOCK);
  if (stream == NULL ||
      virDomainOpenConsole (sd->dom, sd->device, stream, VIR_DOMAIN_CONSOLE_FORCE) < 0)
    {
      virErrorPtr err = virGetLastError ();

      /* Powered off a moment ago (our state may still say running): say
       * so as the screen does, not in libvirt's words. */
      if (err != NULL && err->code == VIR_ERR_OPERATION_INVALID && virDomainIsActive (sd->dom) == 0)
        {
          virResetLastError ();
          g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                               _("The machine is off. Start it to see its console."));
        }
      else
        {
          gb_libvirt_set_error (&error, NULL);
          g_prefix_error (&error, _("Cannot open the serial console: "));
        }
      if (stream != NULL)
        virStreamFree (stream);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task, stream, stream_abort_free);
}

/* Back on the main thread, where the stream's callbacks run. */
static void
open_serial_done (GObject      *object,
                  GAsyncResult *result,
                  gpointer      data)
{
  g_autoptr(GTask) task = data;
  g_autoptr(GError) error = NULL;
  virStreamPtr stream;
  GIOStream *io;

  stream = g_task_propagate_pointer (G_TASK (result), &error);
  if (stream == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  io = _gb_libvirt_console_wrap (stream, &error);
  if (io == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, io, g_object_unref);
}

static void
gb_libvirt_machine_open_serial_async (GbMachine           *machine,
                                      const char          *device,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  GbLibvirtMachine *self = GB_LIBVIRT_MACHINE (machine);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) thread_task = NULL;
  g_autoptr(GError) error = NULL;
  SerialData *sd;
  virDomainPtr dom;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gb_libvirt_machine_open_serial_async);

  dom = ref_handle (self, &error);
  if (dom == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Stream callbacks need libvirt's event loop on GLib's. */
  gvir_event_register ();

  sd = g_new0 (SerialData, 1);
  sd->dom = dom;
  sd->device = g_strdup (device);
  thread_task = g_task_new (self, NULL, open_serial_done, g_steal_pointer (&task));
  g_task_set_task_data (thread_task, sd, serial_data_free);
  g_task_run_in_thread (thread_task, open_serial_thread);
}

/* The Inside view: libvirt's statistics for this one domain, mapped onto
 * query-stats (gb-libvirt-internals.c).  Off the main thread: a remote
 * connection may take its time. */
static void
internals_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  virDomainPtr doms[2] = { task_data, NULL };
  virDomainStatsRecordPtr *records = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *type = NULL;
  GError *error = NULL;
  int n;

  n = virDomainListGetStats (doms,
                             VIR_DOMAIN_STATS_VM | VIR_DOMAIN_STATS_VCPU | VIR_DOMAIN_STATS_BALLOON |
                             VIR_DOMAIN_STATS_BLOCK | VIR_DOMAIN_STATS_INTERFACE,
                             &records, 0);
  if (n < 0)
    {
      gb_libvirt_set_error (&error, _("The machine's statistics could not be read"));
      g_task_return_error (task, error);
      return;
    }
  xml = virDomainGetXMLDesc (doms[0], 0);
  type = gb_libvirt_internals_domain_type (xml);
  if (n >= 1)
    g_task_return_pointer (task, gb_libvirt_internals_to_json (records[0]->params, records[0]->nparams, type),
                           (GDestroyNotify) json_node_unref);
  else
    g_task_return_pointer (task, gb_libvirt_internals_to_json (NULL, 0, type), (GDestroyNotify) json_node_unref);
  virDomainStatsRecordListFree (records);
}

static void
internals_domain_free (gpointer dom)
{
  virDomainFree (dom);
}

static void
gb_libvirt_machine_query_internals_async (GbMachine           *machine,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  GbLibvirtMachine *self = GB_LIBVIRT_MACHINE (machine);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;
  virDomainPtr dom;

  g_task_set_source_tag (task, gb_libvirt_machine_query_internals_async);
  if ((dom = ref_handle (self, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_set_task_data (task, dom, internals_domain_free);
  g_task_run_in_thread (task, internals_thread);
}

static JsonNode *
gb_libvirt_machine_query_internals_finish (GbMachine     *machine,
                                           GAsyncResult  *result,
                                           GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Editing is gb-libvirt-edit.c's; shared folders and a TPM need
 * virtiofsd and swtpm on this computer. */
static guint
gb_libvirt_machine_edit_get_caps (GbMachine *machine)
{
  guint caps = GB_EDIT_CAP_SUPPORTED | GB_EDIT_CAP_DEFINE_XML | GB_EDIT_CAP_DEVICES | GB_EDIT_CAP_USB;

  if (gb_libvirt_edit_have_virtiofsd ())
    caps |= GB_EDIT_CAP_SHARES;
  if (gb_libvirt_edit_have_swtpm ())
    caps |= GB_EDIT_CAP_TPM;
  return caps;
}

static void
gb_libvirt_machine_class_init (GbLibvirtMachineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GbMachineClass *machine_class = GB_MACHINE_CLASS (klass);

  object_class->finalize = gb_libvirt_machine_finalize;

  machine_class->start_async = gb_libvirt_machine_start_async;
  machine_class->shutdown_async = gb_libvirt_machine_shutdown_async;
  machine_class->force_off_async = gb_libvirt_machine_force_off_async;
  machine_class->pause_async = gb_libvirt_machine_pause_async;
  machine_class->resume_async = gb_libvirt_machine_resume_async;
  machine_class->reboot_async = gb_libvirt_machine_reboot_async;
  machine_class->delete_async = gb_libvirt_machine_delete_async;
  machine_class->open_graphics_async = gb_libvirt_machine_open_graphics_async;
  machine_class->open_graphics_finish = gb_libvirt_machine_open_graphics_finish;
  machine_class->open_serial_async = gb_libvirt_machine_open_serial_async;
  machine_class->query_internals_async = gb_libvirt_machine_query_internals_async;
  machine_class->query_internals_finish = gb_libvirt_machine_query_internals_finish;
  machine_class->edit_get_caps = gb_libvirt_machine_edit_get_caps;
  machine_class->edit_load_async = gb_libvirt_edit_load_async;
  machine_class->edit_load_finish = gb_libvirt_edit_load_finish;
  machine_class->edit_apply_async = gb_libvirt_edit_apply_async;
  machine_class->edit_apply_finish = gb_libvirt_edit_apply_finish;
  machine_class->edit_define_xml_async = gb_libvirt_edit_define_xml_async;
  machine_class->edit_define_xml_finish = gb_libvirt_edit_define_xml_finish;
  machine_class->edit_list_usb_async = gb_libvirt_edit_list_usb_async;
  machine_class->edit_list_usb_finish = gb_libvirt_edit_list_usb_finish;
}

static void
gb_libvirt_machine_init (GbLibvirtMachine *self)
{
  self->persistent = TRUE;
}

/**
 * gb_libvirt_machine_get_domain:
 *
 * Returns: (transfer none) (nullable): the domain as a libvirt-gobject
 *   object, or %NULL while the connection is closed
 */
GVirDomain *
gb_libvirt_machine_get_domain (GbLibvirtMachine *self)
{
  g_return_val_if_fail (GB_IS_LIBVIRT_MACHINE (self), NULL);

  if (self->dom == NULL)
    return NULL;

  if (self->gdomain == NULL)
    self->gdomain = g_object_new (GVIR_TYPE_DOMAIN, "handle", self->dom, NULL);

  return self->gdomain;
}

/* Private API, for GbLibvirtProvider */

GbLibvirtMachine *
_gb_libvirt_machine_new (GbProvider   *provider,
                         virDomainPtr  dom,
                         const char   *uuid,
                         const char   *name)
{
  GbLibvirtMachine *self;

  self = g_object_new (GB_TYPE_LIBVIRT_MACHINE,
                       "provider", provider,
                       "uuid", uuid,
                       "name", name,
                       NULL);
  _gb_libvirt_machine_set_handle (self, dom);

  return self;
}

virDomainPtr
_gb_libvirt_machine_get_handle (GbLibvirtMachine *self)
{
  return self->dom;
}

void
_gb_libvirt_machine_set_handle (GbLibvirtMachine *self,
                                virDomainPtr      dom)
{
  if (dom == self->dom)
    return;

  if (dom != NULL)
    virDomainRef (dom);
  g_clear_pointer (&self->dom, virDomainFree);
  g_clear_object (&self->gdomain);
  self->dom = dom;
  self->has_prev_stats = FALSE;

  if (dom == NULL)
    _gb_machine_set_state (GB_MACHINE (self), GB_MACHINE_STATE_UNKNOWN);
}

gboolean
_gb_libvirt_machine_get_persistent (GbLibvirtMachine *self)
{
  return self->persistent;
}

void
_gb_libvirt_machine_set_persistent (GbLibvirtMachine *self,
                                    gboolean          persistent)
{
  self->persistent = !!persistent;
}

void
_gb_libvirt_machine_apply_info (GbLibvirtMachine          *self,
                                const GbLibvirtDomainInfo *info)
{
  GbMachine *machine = GB_MACHINE (self);

  g_object_freeze_notify (G_OBJECT (self));
  _gb_libvirt_machine_set_handle (self, info->dom);
  _gb_machine_set_name (machine, info->name);
  _gb_machine_set_state (machine, info->state);
  _gb_machine_set_config (machine, info->config);
  _gb_machine_set_saved_at (machine, info->saved_at);
  self->persistent = info->persistent;
  g_object_thaw_notify (G_OBJECT (self));
}

static void
refresh_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  GError *error = NULL;
  GbLibvirtDomainInfo *info;

  info = gb_libvirt_domain_info_fetch (task_data, &error);
  if (info == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, info, (GDestroyNotify) gb_libvirt_domain_info_free);
}

static void
refresh_done (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GbLibvirtMachine *self = GB_LIBVIRT_MACHINE (object);
  guint serial = GPOINTER_TO_UINT (user_data);
  g_autoptr(GbLibvirtDomainInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  self->refreshing = FALSE;

  info = g_task_propagate_pointer (G_TASK (result), &error);
  if (info == NULL)
    {
      /* Gone in the meantime (the provider hears of that by event) or
       * disconnected: nothing to update. */
      g_debug ("Could not refresh %s: %s", gb_machine_get_name (GB_MACHINE (self)), error->message);
    }
  else if (info->dom == self->dom)
    {
      g_object_freeze_notify (G_OBJECT (self));
      _gb_machine_set_name (GB_MACHINE (self), info->name);
      _gb_machine_set_config (GB_MACHINE (self), info->config);
      _gb_machine_set_saved_at (GB_MACHINE (self), info->saved_at);
      self->persistent = info->persistent;
      /* An event that arrived meanwhile knows better than this answer. */
      if (serial == self->event_serial)
        _gb_machine_set_state (GB_MACHINE (self), info->state);
      g_object_thaw_notify (G_OBJECT (self));
    }

  if (self->refresh_again)
    {
      self->refresh_again = FALSE;
      _gb_libvirt_machine_refresh (self);
    }
}

void
_gb_libvirt_machine_refresh (GbLibvirtMachine *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->dom == NULL)
    return;

  /* One at a time, and one more if asked meanwhile: answers stay in order. */
  if (self->refreshing)
    {
      self->refresh_again = TRUE;
      return;
    }
  self->refreshing = TRUE;

  task = g_task_new (self, NULL, refresh_done, GUINT_TO_POINTER (self->event_serial));
  g_task_set_source_tag (task, _gb_libvirt_machine_refresh);
  virDomainRef (self->dom);
  g_task_set_task_data (task, self->dom, domain_unref);
  g_task_run_in_thread (task, refresh_thread);
}

void
_gb_libvirt_machine_lifecycle (GbLibvirtMachine *self,
                               int               event,
                               int               detail)
{
  int state = gb_libvirt_state_from_event (event, detail);

  self->event_serial++;

  if (state >= 0)
    _gb_machine_set_state (GB_MACHINE (self), state);
  /* A new run counts CPU time from zero again. */
  if (event == VIR_DOMAIN_EVENT_STARTED || event == VIR_DOMAIN_EVENT_STOPPED)
    self->has_prev_stats = FALSE;

  /* A new definition, or a start or stop (the live definition differs from
   * the stored one: display ports, hot-plugged devices). */
  if (event == VIR_DOMAIN_EVENT_DEFINED ||
      event == VIR_DOMAIN_EVENT_STARTED ||
      event == VIR_DOMAIN_EVENT_STOPPED)
    _gb_libvirt_machine_refresh (self);
}

static double
rate (guint64 now,
      guint64 before,
      double  seconds)
{
  return now >= before ? (double) (now - before) / seconds : 0.0;
}

void
_gb_libvirt_machine_update_stats (GbLibvirtMachine        *self,
                                  const GbLibvirtRawStats *raw)
{
  GbLibvirtRawStats *prev = &self->prev_stats;
  GbMachineState state = gb_machine_get_state (GB_MACHINE (self));
  GbMachineSample sample = { 0 };
  double seconds;

  if (state != GB_MACHINE_STATE_RUNNING &&
      state != GB_MACHINE_STATE_PAUSED &&
      state != GB_MACHINE_STATE_SHUTTING_DOWN)
    {
      self->has_prev_stats = FALSE;
      return;
    }

  /* Rates need two records; the first only sets the baseline. */
  if (!self->has_prev_stats || raw->time_us <= prev->time_us)
    {
      *prev = *raw;
      self->has_prev_stats = TRUE;
      return;
    }

  seconds = (raw->time_us - prev->time_us) / (double) G_USEC_PER_SEC;

  sample.time_us = raw->time_us;
  if (raw->has_cpu && prev->has_cpu)
    {
      GbMachineConfig *config = gb_machine_get_config (GB_MACHINE (self));
      guint n_vcpus = raw->n_vcpus;

      if (n_vcpus == 0 && config != NULL)
        n_vcpus = gb_machine_config_get_n_vcpus (config);
      n_vcpus = MAX (n_vcpus, 1);

      /* cpu.time is nanoseconds of host CPU for all vCPUs together. */
      sample.cpu_percent = rate (raw->cpu_time_ns, prev->cpu_time_ns, seconds) / 1e9 / n_vcpus * 100.0;
      sample.cpu_percent = CLAMP (sample.cpu_percent, 0.0, 100.0);
    }
  sample.memory_bytes = raw->has_memory ? raw->memory_bytes : 0;
  sample.disk_read_bps = rate (raw->rd_bytes, prev->rd_bytes, seconds);
  sample.disk_write_bps = rate (raw->wr_bytes, prev->wr_bytes, seconds);
  sample.net_rx_bps = rate (raw->rx_bytes, prev->rx_bytes, seconds);
  sample.net_tx_bps = rate (raw->tx_bytes, prev->tx_bytes, seconds);

  *prev = *raw;
  _gb_machine_push_sample (GB_MACHINE (self), &sample);
}
