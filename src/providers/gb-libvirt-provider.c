/* gb-libvirt-provider.c — a provider backed by one libvirt connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Threads: libvirt calls that may wait on a daemon (open, list, stats, close)
 * run in GTask worker threads. libvirt's events arrive on the GLib main loop
 * through libvirt-glib's event implementation (gvir_event_register()), so
 * every callback below runs on the main thread, and lifecycle events change
 * machine states at once, without polling.
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <libvirt-glib/libvirt-glib.h>
#include <libvirt/virterror.h>

#include "gb-libvirt-machine.h"
#include "gb-libvirt-private.h"
#include "gb-machine-private.h"
#include "gb-creator-libvirt.h"
#include "gb-provider-private.h"

/* Reconnecting after a drop waits 1, 2, 4 … seconds, at most this long. */
#define MAX_BACKOFF_SEC 30

struct _GbLibvirtProvider
{
  GbProvider     parent_instance;

  virConnectPtr  conn;
  int            lifecycle_id;
  /* conn as a libvirt-gobject object, for the creator and the consoles;
   * made on demand, replaced when conn is. */
  GVirConnection *gconn;
  virConnectPtr  gconn_handle;
  GWeakRef      *close_ref;        /* close_cb()'s data, freed after unregistering */
  GHashTable    *by_uuid;          /* uuid → GbLibvirtMachine; the store owns them */

  /* Events that arrive between registering for them (in the worker) and
   * applying the first listing (on the main thread), replayed after it. */
  GQueue         early_events;
  GPtrArray     *waiters;          /* GTasks of gb_provider_connect_async() */
  guint          generation;       /* bumped on disconnect: stale answers are dropped */

  guint          reconnect_source;
  guint          backoff_sec;
  guint          stats_source;

  guint          connecting : 1;
  guint          auto_reconnect : 1;
  guint          stats_busy : 1;
};

G_DEFINE_FINAL_TYPE (GbLibvirtProvider, gb_libvirt_provider, GB_TYPE_PROVIDER)

static void start_connecting (GbLibvirtProvider *self);

/* Before the connection is closed (off the main thread): our wrapper's
 * reference goes first, so that the last one is closed there. */
static void
drop_gconn (GbLibvirtProvider *self)
{
  g_clear_object (&self->gconn);
  self->gconn_handle = NULL;
}
static void update_stats_timer (GbLibvirtProvider *self);

static void
log_libvirt_error (void        *data,
                   virErrorPtr  error)
{
  /* Errors reach the user through GErrors; libvirt's default prints each to stderr. */
  g_debug ("libvirt: %s", error->message);
}

static void
ensure_event_loop (void)
{
  static gsize done;

  /* libvirt needs an event implementation before the first connection is
   * opened, for events, keepalives and the embedded driver. */
  if (g_once_init_enter (&done))
    {
      gvir_event_register ();
      virSetErrorFunc (NULL, log_libvirt_error);
      /* A write to a daemon that has just gone away must be an error
       * (and a dropped connection), not the end of the app. */
      signal (SIGPIPE, SIG_IGN);
      g_once_init_leave (&done, 1);
    }
}

/* The embedded QEMU driver reads $root/etc/qemu.conf. By default QEMU's
 * output goes to virtlogd, a daemon that embedding is meant to do without:
 * have it written to a file under the root instead. Run as root, the driver
 * would start QEMU as Debian's "libvirt-qemu" user, which cannot read a
 * private root; QEMU belongs to the app's user, so as root it runs as root.
 * An existing file is the user's and is left alone. */
static gboolean
prepare_embed_root (const char  *uri_string,
                    GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (uri_string, G_URI_FLAGS_ENCODED_QUERY, NULL);
  g_autoptr(GHashTable) params = NULL;
  g_autofree char *etc = NULL;
  g_autofree char *conf = NULL;
  const char *root;

  if (uri == NULL || g_strcmp0 (g_uri_get_path (uri), "/embed") != 0 || g_uri_get_query (uri) == NULL)
    return TRUE;

  params = g_uri_parse_params (g_uri_get_query (uri), -1, "&", G_URI_PARAMS_NONE, NULL);
  root = params ? g_hash_table_lookup (params, "root") : NULL;
  if (root == NULL)
    return TRUE;

  etc = g_build_filename (root, "etc", NULL);
  conf = g_build_filename (etc, "qemu.conf", NULL);
  if (g_file_test (conf, G_FILE_TEST_EXISTS))
    return TRUE;

  if (g_mkdir_with_parents (etc, 0700) < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not create %s: %s"), etc, g_strerror (saved_errno));
      return FALSE;
    }

  return g_file_set_contents (conf,
                              getuid () == 0
                              ? "# Written by Glassbox for libvirt's embedded QEMU driver.\n"
                                "# No virtlogd daemon: QEMU's output goes to a log file under this root.\n"
                                "stdio_handler = \"file\"\n"
                                "# QEMU runs as the app's own user.\n"
                                "user = \"root\"\n"
                                "group = \"root\"\n"
                              : "# Written by Glassbox for libvirt's embedded QEMU driver.\n"
                                "# No virtlogd daemon: QEMU's output goes to a log file under this root.\n"
                                "stdio_handler = \"file\"\n",
                              -1, error);
}

/* Closing */

typedef struct {
  virConnectPtr  conn;
  int            lifecycle_id;
  GWeakRef      *close_ref;
} CloseData;

static void close_cb (virConnectPtr conn, int reason, void *opaque);

static void
close_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  CloseData *cd = task_data;

  if (cd->lifecycle_id >= 0)
    virConnectDomainEventDeregisterAny (cd->conn, cd->lifecycle_id);
  virConnectUnregisterCloseCallback (cd->conn, close_cb);
  virConnectClose (cd->conn);
  virResetLastError ();
  /* libvirt calls close_cb() no more: its data can go. */
  if (cd->close_ref != NULL)
    gb_libvirt_weak_ref_free (cd->close_ref);
  g_task_return_boolean (task, TRUE);
}

/* Takes @conn and @close_ref. Deregistering is a round trip on a remote
 * connection, and may wait for a timeout on a dead one: never on the main thread. */
static void
close_connection_in_thread (virConnectPtr  conn,
                            int            lifecycle_id,
                            GWeakRef      *close_ref)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, NULL, NULL);
  CloseData *cd = g_new0 (CloseData, 1);

  cd->conn = conn;
  cd->lifecycle_id = lifecycle_id;
  cd->close_ref = close_ref;
  g_task_set_task_data (task, cd, g_free);
  g_task_run_in_thread (task, close_thread);
}

/* Machines */

static GbLibvirtMachine *
lookup_machine (GbLibvirtProvider *self,
                virDomainPtr       dom)
{
  char uuid[VIR_UUID_STRING_BUFLEN];

  if (virDomainGetUUIDString (dom, uuid) < 0)
    return NULL;

  return g_hash_table_lookup (self->by_uuid, uuid);
}

static void
remove_machine (GbLibvirtProvider *self,
                GbLibvirtMachine  *machine)
{
  g_autoptr(GbLibvirtMachine) hold = g_object_ref (machine);

  g_hash_table_remove (self->by_uuid, gb_machine_get_uuid (GB_MACHINE (machine)));
  _gb_provider_remove_machine (GB_PROVIDER (self), GB_MACHINE (machine));
}

static void
remove_all_machines (GbLibvirtProvider *self)
{
  g_hash_table_remove_all (self->by_uuid);
  g_list_store_remove_all (_gb_provider_get_store (GB_PROVIDER (self)));
}

static GbLibvirtMachine *
add_machine_for_event (GbLibvirtProvider *self,
                       virDomainPtr       dom,
                       int                event,
                       int                detail)
{
  char uuid[VIR_UUID_STRING_BUFLEN];
  GbLibvirtMachine *machine;
  int state;

  if (virDomainGetUUIDString (dom, uuid) < 0)
    return NULL;

  /* Name and UUID come with the event; the rest is fetched off the main thread. */
  machine = _gb_libvirt_machine_new (GB_PROVIDER (self), dom, uuid, virDomainGetName (dom));
  state = gb_libvirt_state_from_event (event, detail);
  if (event == VIR_DOMAIN_EVENT_DEFINED)
    state = GB_MACHINE_STATE_SHUTOFF;
  _gb_machine_set_state (GB_MACHINE (machine), state >= 0 ? state : GB_MACHINE_STATE_UNKNOWN);
  _gb_libvirt_machine_set_persistent (machine, event == VIR_DOMAIN_EVENT_DEFINED);

  g_hash_table_insert (self->by_uuid, g_strdup (uuid), machine);
  _gb_provider_add_machine (GB_PROVIDER (self), GB_MACHINE (machine));
  g_object_unref (machine);

  _gb_libvirt_machine_refresh (machine);
  return machine;
}

/* The source host of a migration with VIR_MIGRATE_UNDEFINE_SOURCE forgets
 * the domain without an UNDEFINED event (libvirt 9.0): after a STOPPED
 * (MIGRATED) event, ask whether it is still there, and drop it if not. */
typedef struct {
  GWeakRef     *provider;
  virDomainPtr  dom;
  char         *uuid;
} GoneCheck;

static void
gone_check_free (gpointer data)
{
  GoneCheck *check = data;

  gb_libvirt_weak_ref_free (check->provider);
  virDomainFree (check->dom);
  g_free (check->uuid);
  g_free (check);
}

static void
gone_check_thread (GTask        *task,
                   gpointer      source,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  GoneCheck *check = task_data;
  gboolean gone = virDomainIsPersistent (check->dom) < 0 &&
                  virGetLastErrorCode () == VIR_ERR_NO_DOMAIN;

  virResetLastError ();
  g_task_return_boolean (task, gone);
}

static void
gone_check_done (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GoneCheck *check = g_task_get_task_data (G_TASK (result));
  g_autoptr(GbLibvirtProvider) self = g_weak_ref_get (check->provider);
  GbLibvirtMachine *machine;

  if (self == NULL || !g_task_propagate_boolean (G_TASK (result), NULL))
    return;
  machine = g_hash_table_lookup (self->by_uuid, check->uuid);
  if (machine != NULL && gb_machine_get_state (GB_MACHINE (machine)) == GB_MACHINE_STATE_SHUTOFF)
    remove_machine (self, machine);
}

static void
check_gone_after_migration (GbLibvirtProvider *self,
                            virDomainPtr       dom)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, gone_check_done, NULL);
  GoneCheck *check = g_new0 (GoneCheck, 1);
  char uuid[VIR_UUID_STRING_BUFLEN];

  if (virDomainGetUUIDString (dom, uuid) < 0)
    uuid[0] = '\0';
  check->provider = gb_libvirt_weak_ref_new (self);
  virDomainRef (dom);
  check->dom = dom;
  check->uuid = g_strdup (uuid);
  g_task_set_task_data (task, check, gone_check_free);
  g_task_run_in_thread (task, gone_check_thread);
}

static void
handle_lifecycle (GbLibvirtProvider *self,
                  virDomainPtr       dom,
                  int                event,
                  int                detail)
{
  GbLibvirtMachine *machine = lookup_machine (self, dom);
  GbMachineState state;

  g_debug ("%s: lifecycle event %d (detail %d)", virDomainGetName (dom), event, detail);

  if (machine == NULL)
    {
      /* Defined, or started as a transient domain, by someone else. */
      if (event != VIR_DOMAIN_EVENT_UNDEFINED && event != VIR_DOMAIN_EVENT_STOPPED)
        add_machine_for_event (self, dom, event, detail);
      return;
    }

  switch (event)
    {
    case VIR_DOMAIN_EVENT_UNDEFINED:
      /* A running domain that loses its definition lives on, transient,
       * until it stops. */
      state = gb_machine_get_state (GB_MACHINE (machine));
      if (state == GB_MACHINE_STATE_SHUTOFF || state == GB_MACHINE_STATE_UNKNOWN)
        remove_machine (self, machine);
      else
        _gb_libvirt_machine_set_persistent (machine, FALSE);
      break;

    case VIR_DOMAIN_EVENT_STOPPED:
      if (!_gb_libvirt_machine_get_persistent (machine))
        remove_machine (self, machine);
      else
        {
          _gb_libvirt_machine_lifecycle (machine, event, detail);
          if (detail == VIR_DOMAIN_EVENT_STOPPED_MIGRATED)
            check_gone_after_migration (self, dom);
        }
      break;

    default:
      _gb_libvirt_machine_lifecycle (machine, event, detail);
      break;
    }
}

typedef struct {
  virDomainPtr dom;
  int          event;
  int          detail;
} EarlyEvent;

static void
early_event_free (gpointer data)
{
  EarlyEvent *ev = data;

  virDomainFree (ev->dom);
  g_free (ev);
}

static int
lifecycle_cb (virConnectPtr  conn,
              virDomainPtr   dom,
              int            event,
              int            detail,
              void          *opaque)
{
  g_autoptr(GbLibvirtProvider) self = g_weak_ref_get (opaque);

  if (self == NULL)
    return 0;

  if (conn == self->conn)
    {
      handle_lifecycle (self, dom, event, detail);
    }
  else if (self->connecting)
    {
      EarlyEvent *ev = g_new0 (EarlyEvent, 1);

      /* The domain keeps its connection alive, so comparing the pointer
       * with the connection that wins later is sound. */
      virDomainRef (dom);
      ev->dom = dom;
      ev->event = event;
      ev->detail = detail;
      g_queue_push_tail (&self->early_events, ev);
    }

  return 0;
}

/* Connection lost */

static gboolean
reconnect_timeout (gpointer user_data)
{
  GbLibvirtProvider *self = user_data;

  self->reconnect_source = 0;
  if (self->conn == NULL && !self->connecting)
    start_connecting (self);

  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (GbLibvirtProvider *self)
{
  if (!self->auto_reconnect || self->reconnect_source != 0)
    return;

  self->backoff_sec = self->backoff_sec ? MIN (self->backoff_sec * 2, MAX_BACKOFF_SEC) : 1;
  g_debug ("%s: reconnecting in %u s", gb_provider_get_uri (GB_PROVIDER (self)), self->backoff_sec);
  self->reconnect_source = g_timeout_add_seconds (self->backoff_sec, reconnect_timeout, self);
}

static void
drop_connection (GbLibvirtProvider *self)
{
  GHashTableIter iter;
  gpointer machine;

  if (self->conn == NULL)
    return;

  drop_gconn (self);
  close_connection_in_thread (g_steal_pointer (&self->conn), self->lifecycle_id,
                                  g_steal_pointer (&self->close_ref));
  self->lifecycle_id = -1;
  self->generation++;
  update_stats_timer (self);

  /* The machines stay listed, in an unknown state, until we are back. */
  g_hash_table_iter_init (&iter, self->by_uuid);
  while (g_hash_table_iter_next (&iter, NULL, &machine))
    _gb_libvirt_machine_set_handle (machine, NULL);
}

static void
close_cb (virConnectPtr  conn,
          int            reason,
          void          *opaque)
{
  g_autoptr(GbLibvirtProvider) self = g_weak_ref_get (opaque);
  g_autofree char *message = NULL;
  const char *why;

  if (self == NULL || conn != self->conn)
    return;

  switch (reason)
    {
    case VIR_CONNECT_CLOSE_REASON_KEEPALIVE:
      why = _("the host stopped answering");
      break;
    case VIR_CONNECT_CLOSE_REASON_EOF:
      why = _("the daemon closed it");
      break;
    case VIR_CONNECT_CLOSE_REASON_CLIENT:
    case VIR_CONNECT_CLOSE_REASON_ERROR:
    default:
      why = _("an error occurred");
      break;
    }

  message = g_strdup_printf (_("The connection to %s was lost: %s"),
                             gb_provider_get_uri (GB_PROVIDER (self)), why);
  g_debug ("%s", message);

  drop_connection (self);
  _gb_provider_set_error (GB_PROVIDER (self), message);
  _gb_provider_set_state (GB_PROVIDER (self), GB_PROVIDER_STATE_DISCONNECTED);
  schedule_reconnect (self);
}

/* Connecting */

typedef struct {
  char          *uri;
  virConnectPtr  conn;
  int            lifecycle_id;
  GWeakRef      *close_ref;
  GPtrArray     *infos;     /* GbLibvirtDomainInfo */
} ConnectData;

static void
connect_data_free (gpointer data)
{
  ConnectData *cd = data;

  /* Not taken by the provider: nobody wants this connection any more. */
  if (cd->conn != NULL)
    close_connection_in_thread (cd->conn, cd->lifecycle_id, cd->close_ref);
  g_free (cd->uri);
  g_clear_pointer (&cd->infos, g_ptr_array_unref);
  g_free (cd);
}

static void
connect_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  ConnectData *cd = task_data;
  g_autoptr(GError) error = NULL;
  virDomainPtr *doms = NULL;
  GWeakRef *ref;
  int n;

  if (!gb_libvirt_check_uri_scheme (cd->uri, &error) || !prepare_embed_root (cd->uri, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  cd->conn = virConnectOpenAuth (cd->uri, virConnectAuthPtrDefault, 0);
  if (cd->conn == NULL)
    goto fail;

  /* Notice a dead daemon or host without waiting for a call to fail.
   * Local drivers have no keepalive; that is fine. */
  if (virConnectSetKeepAlive (cd->conn, 5, 3) < 0)
    virResetLastError ();

  /* Events first, then the listing: nothing can happen in between unseen.
   * (libvirt frees the opaque data only of a callback it registered.) */
  ref = gb_libvirt_weak_ref_new (source_object);
  cd->lifecycle_id = virConnectDomainEventRegisterAny (cd->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                       VIR_DOMAIN_EVENT_CALLBACK (lifecycle_cb),
                                                       ref, gb_libvirt_weak_ref_free);
  if (cd->lifecycle_id < 0)
    {
      gb_libvirt_weak_ref_free (ref);
      goto fail;
    }

  /* Drivers without close callbacks (all but the remote one) accept this
   * and never call the free function: we free the data ourselves after
   * unregistering, in close_thread(). */
  cd->close_ref = gb_libvirt_weak_ref_new (source_object);
  if (virConnectRegisterCloseCallback (cd->conn, close_cb, cd->close_ref, NULL) < 0)
    virResetLastError ();

  n = virConnectListAllDomains (cd->conn, &doms, 0);
  if (n < 0)
    goto fail;

  cd->infos = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_libvirt_domain_info_free);
  for (int i = 0; i < n; i++)
    {
      g_autoptr(GError) info_error = NULL;
      GbLibvirtDomainInfo *info = gb_libvirt_domain_info_fetch (doms[i], &info_error);

      /* A domain that vanished meanwhile is simply not listed. */
      if (info != NULL)
        g_ptr_array_add (cd->infos, info);
      else
        g_debug ("Skipping a domain: %s", info_error->message);
      virDomainFree (doms[i]);
    }
  free (doms);

  g_task_return_boolean (task, TRUE);
  return;

fail:
  gb_libvirt_set_connect_error (&error, cd->uri);
  g_task_return_error (task, g_steal_pointer (&error));
}

static void
apply_listing (GbLibvirtProvider *self,
               GPtrArray         *infos)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) gone = g_ptr_array_new ();
  GListStore *store = _gb_provider_get_store (GB_PROVIDER (self));
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; i < infos->len; i++)
    {
      GbLibvirtDomainInfo *info = g_ptr_array_index (infos, i);
      GbLibvirtMachine *machine = g_hash_table_lookup (self->by_uuid, info->uuid);

      if (machine == NULL)
        {
          machine = _gb_libvirt_machine_new (GB_PROVIDER (self), info->dom, info->uuid, info->name);
          g_hash_table_insert (self->by_uuid, g_strdup (info->uuid), machine);
          g_ptr_array_add (added, machine);
        }
      _gb_libvirt_machine_apply_info (machine, info);
      g_hash_table_add (seen, info->uuid);
    }

  /* Machines that went away while we were disconnected. */
  g_hash_table_iter_init (&iter, self->by_uuid);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (seen, key))
      g_ptr_array_add (gone, value);
  for (guint i = 0; i < gone->len; i++)
    remove_machine (self, g_ptr_array_index (gone, i));

  /* One items-changed for the whole listing. */
  if (added->len > 0)
    g_list_store_splice (store, g_list_model_get_n_items (G_LIST_MODEL (store)), 0,
                         added->pdata, added->len);
}

static void
complete_waiters (GbLibvirtProvider *self,
                  const GError      *error)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->waiters);

  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }
}

static void
connect_done (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GbLibvirtProvider *self = GB_LIBVIRT_PROVIDER (object);
  ConnectData *cd = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (GPOINTER_TO_UINT (user_data) != self->generation)
    return; /* disconnected meanwhile: connect_data_free() closes it */

  self->connecting = FALSE;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_debug ("%s: %s", cd->uri, error->message);
      g_queue_clear_full (&self->early_events, early_event_free);
      _gb_provider_set_error (GB_PROVIDER (self), error->message);
      _gb_provider_set_state (GB_PROVIDER (self), GB_PROVIDER_STATE_DISCONNECTED);
      complete_waiters (self, error);
      schedule_reconnect (self);
      return;
    }

  self->conn = g_steal_pointer (&cd->conn);
  self->lifecycle_id = cd->lifecycle_id;
  self->close_ref = g_steal_pointer (&cd->close_ref);
  self->backoff_sec = 0;
  /* From now on a drop is followed by attempts to come back. */
  self->auto_reconnect = TRUE;

  apply_listing (self, cd->infos);

  while (!g_queue_is_empty (&self->early_events))
    {
      EarlyEvent *ev = g_queue_pop_head (&self->early_events);

      if (virDomainGetConnect (ev->dom) == self->conn)
        handle_lifecycle (self, ev->dom, ev->event, ev->detail);
      early_event_free (ev);
    }

  _gb_provider_set_error (GB_PROVIDER (self), NULL);
  _gb_provider_set_state (GB_PROVIDER (self), GB_PROVIDER_STATE_CONNECTED);
  update_stats_timer (self);
  complete_waiters (self, NULL);
}

static void
start_connecting (GbLibvirtProvider *self)
{
  g_autoptr(GTask) task = NULL;
  ConnectData *cd;

  g_assert (self->conn == NULL);
  g_assert (!self->connecting);

  ensure_event_loop ();

  self->connecting = TRUE;
  _gb_provider_set_state (GB_PROVIDER (self), GB_PROVIDER_STATE_CONNECTING);

  cd = g_new0 (ConnectData, 1);
  cd->uri = g_strdup (gb_provider_get_uri (GB_PROVIDER (self)));
  cd->lifecycle_id = -1;

  task = g_task_new (self, NULL, connect_done, GUINT_TO_POINTER (self->generation));
  g_task_set_source_tag (task, start_connecting);
  g_task_set_task_data (task, cd, connect_data_free);
  g_task_run_in_thread (task, connect_thread);
}

static void
gb_libvirt_provider_connect_async (GbProvider          *provider,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GbLibvirtProvider *self = GB_LIBVIRT_PROVIDER (provider);
  g_autoptr(GTask) task = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gb_libvirt_provider_connect_async);

  if (self->conn != NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_ptr_array_add (self->waiters, g_steal_pointer (&task));

  /* A connection asked for explicitly stops any wait for a retry. */
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  if (!self->connecting)
    start_connecting (self);
}

static gboolean
gb_libvirt_provider_connect_finish (GbProvider    *provider,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
gb_libvirt_provider_disconnect (GbProvider *provider)
{
  GbLibvirtProvider *self = GB_LIBVIRT_PROVIDER (provider);
  g_autoptr(GError) error = NULL;

  self->auto_reconnect = FALSE;
  self->backoff_sec = 0;
  g_clear_handle_id (&self->reconnect_source, g_source_remove);

  if (self->conn != NULL)
    {
      drop_gconn (self);
      close_connection_in_thread (g_steal_pointer (&self->conn), self->lifecycle_id,
                                  g_steal_pointer (&self->close_ref));
      self->lifecycle_id = -1;
    }
  self->generation++;
  self->connecting = FALSE;
  g_queue_clear_full (&self->early_events, early_event_free);
  update_stats_timer (self);

  remove_all_machines (self);
  _gb_provider_set_error (provider, NULL);
  _gb_provider_set_state (provider, GB_PROVIDER_STATE_DISCONNECTED);

  g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Disconnected"));
  complete_waiters (self, error);
}

/* Statistics */

typedef struct {
  virConnectPtr  conn;
  GArray        *stats;   /* GbLibvirtRawStats */
} StatsData;

static void
stats_data_free (gpointer data)
{
  StatsData *sd = data;

  virConnectClose (sd->conn);
  g_clear_pointer (&sd->stats, g_array_unref);
  g_free (sd);
}

static void
parse_record (virDomainStatsRecordPtr  record,
              GbLibvirtRawStats       *raw)
{
  guint64 balloon_current = 0, balloon_rss = 0, balloon_available = 0, balloon_unused = 0;

  for (int i = 0; i < record->nparams; i++)
    {
      const virTypedParameter *p = &record->params[i];
      guint64 v;

      if (p->type == VIR_TYPED_PARAM_ULLONG)
        v = p->value.ul;
      else if (p->type == VIR_TYPED_PARAM_UINT)
        v = p->value.ui;
      else
        continue;

      if (g_str_equal (p->field, "cpu.time"))
        {
          raw->cpu_time_ns = v;
          raw->has_cpu = TRUE;
        }
      else if (g_str_equal (p->field, "vcpu.current"))
        raw->n_vcpus = v;
      else if (g_str_equal (p->field, "balloon.current"))
        balloon_current = v;
      else if (g_str_equal (p->field, "balloon.rss"))
        balloon_rss = v;
      else if (g_str_equal (p->field, "balloon.available"))
        balloon_available = v;
      else if (g_str_equal (p->field, "balloon.unused"))
        balloon_unused = v;
      else if (g_str_has_prefix (p->field, "block.") && g_str_has_suffix (p->field, ".rd.bytes"))
        raw->rd_bytes += v;
      else if (g_str_has_prefix (p->field, "block.") && g_str_has_suffix (p->field, ".wr.bytes"))
        raw->wr_bytes += v;
      else if (g_str_has_prefix (p->field, "net.") && g_str_has_suffix (p->field, ".rx.bytes"))
        raw->rx_bytes += v;
      else if (g_str_has_prefix (p->field, "net.") && g_str_has_suffix (p->field, ".tx.bytes"))
        raw->tx_bytes += v;
    }

  /* Memory in use: what the guest itself reports through the balloon
   * driver when it does, else what the host holds for it, else its size.
   * Balloon figures are in KiB. */
  raw->has_memory = TRUE;
  if (balloon_available > 0 && balloon_unused <= balloon_available)
    raw->memory_bytes = (balloon_available - balloon_unused) * 1024;
  else if (balloon_rss > 0)
    raw->memory_bytes = balloon_rss * 1024;
  else if (balloon_current > 0)
    raw->memory_bytes = balloon_current * 1024;
  else
    raw->has_memory = FALSE;
}

static void
stats_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  StatsData *sd = task_data;
  g_autoptr(GError) error = NULL;
  virDomainStatsRecordPtr *records = NULL;
  int n;

  n = virConnectGetAllDomainStats (sd->conn,
                                   VIR_DOMAIN_STATS_CPU_TOTAL | VIR_DOMAIN_STATS_BALLOON |
                                   VIR_DOMAIN_STATS_VCPU | VIR_DOMAIN_STATS_INTERFACE |
                                   VIR_DOMAIN_STATS_BLOCK,
                                   &records, VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE);
  if (n < 0)
    {
      gb_libvirt_set_error (&error, NULL);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  sd->stats = g_array_sized_new (FALSE, TRUE, sizeof (GbLibvirtRawStats), n);
  for (int i = 0; i < n; i++)
    {
      GbLibvirtRawStats raw = { 0 };

      if (virDomainGetUUIDString (records[i]->dom, raw.uuid) < 0)
        continue;
      raw.time_us = g_get_monotonic_time ();
      parse_record (records[i], &raw);
      g_array_append_val (sd->stats, raw);
    }
  virDomainStatsRecordListFree (records);

  g_task_return_boolean (task, TRUE);
}

static void
stats_done (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GbLibvirtProvider *self = GB_LIBVIRT_PROVIDER (object);
  StatsData *sd = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  self->stats_busy = FALSE;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_debug ("Statistics: %s", error->message);
      return;
    }
  if (GPOINTER_TO_UINT (user_data) != self->generation)
    return;

  for (guint i = 0; i < sd->stats->len; i++)
    {
      const GbLibvirtRawStats *raw = &g_array_index (sd->stats, GbLibvirtRawStats, i);
      GbLibvirtMachine *machine = g_hash_table_lookup (self->by_uuid, raw->uuid);

      if (machine != NULL)
        _gb_libvirt_machine_update_stats (machine, raw);
    }
}

static gboolean
any_machine_active (GbLibvirtProvider *self)
{
  GHashTableIter iter;
  gpointer machine;

  g_hash_table_iter_init (&iter, self->by_uuid);
  while (g_hash_table_iter_next (&iter, NULL, &machine))
    {
      GbMachineState state = gb_machine_get_state (machine);

      if (state == GB_MACHINE_STATE_RUNNING || state == GB_MACHINE_STATE_PAUSED ||
          state == GB_MACHINE_STATE_SHUTTING_DOWN)
        return TRUE;
    }

  return FALSE;
}

static gboolean
stats_tick (gpointer user_data)
{
  GbLibvirtProvider *self = user_data;
  g_autoptr(GTask) task = NULL;
  StatsData *sd;

  /* A slow host skips a beat rather than piling up calls. */
  if (self->stats_busy || self->conn == NULL || !any_machine_active (self))
    return G_SOURCE_CONTINUE;

  self->stats_busy = TRUE;
  sd = g_new0 (StatsData, 1);
  virConnectRef (self->conn);
  sd->conn = self->conn;

  task = g_task_new (self, NULL, stats_done, GUINT_TO_POINTER (self->generation));
  g_task_set_source_tag (task, stats_tick);
  g_task_set_task_data (task, sd, stats_data_free);
  g_task_run_in_thread (task, stats_thread);

  return G_SOURCE_CONTINUE;
}

static void
update_stats_timer (GbLibvirtProvider *self)
{
  guint interval = gb_provider_get_stats_interval (GB_PROVIDER (self));

  g_clear_handle_id (&self->stats_source, g_source_remove);
  if (interval > 0 && self->conn != NULL)
    self->stats_source = g_timeout_add (interval, stats_tick, self);
}

static void
gb_libvirt_provider_stats_interval_changed (GbProvider *provider)
{
  update_stats_timer (GB_LIBVIRT_PROVIDER (provider));
}

/* GObject */

static void
gb_libvirt_provider_dispose (GObject *object)
{
  GbLibvirtProvider *self = GB_LIBVIRT_PROVIDER (object);

  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  g_clear_handle_id (&self->stats_source, g_source_remove);
  if (self->conn != NULL)
    {
      drop_gconn (self);
      close_connection_in_thread (g_steal_pointer (&self->conn), self->lifecycle_id,
                                  g_steal_pointer (&self->close_ref));
      self->lifecycle_id = -1;
    }
  g_queue_clear_full (&self->early_events, early_event_free);
  if (self->by_uuid != NULL)
    remove_all_machines (self);
  drop_gconn (self);

  G_OBJECT_CLASS (gb_libvirt_provider_parent_class)->dispose (object);
}

static void
gb_libvirt_provider_finalize (GObject *object)
{
  GbLibvirtProvider *self = GB_LIBVIRT_PROVIDER (object);

  g_clear_pointer (&self->by_uuid, g_hash_table_unref);
  g_clear_pointer (&self->waiters, g_ptr_array_unref);

  G_OBJECT_CLASS (gb_libvirt_provider_parent_class)->finalize (object);
}

static gboolean
gb_libvirt_provider_has_host_details (GbProvider *provider)
{
  return TRUE;
}

/* The wizard's and New Disk's half for this provider (gb-creator-libvirt.c). */
static GbCreatorBackend *
gb_libvirt_provider_new_creator (GbProvider *provider)
{
  return g_object_new (GB_TYPE_CREATOR_LIBVIRT, "provider", provider, NULL);
}

static void
gb_libvirt_provider_class_init (GbLibvirtProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GbProviderClass *provider_class = GB_PROVIDER_CLASS (klass);

  object_class->dispose = gb_libvirt_provider_dispose;
  object_class->finalize = gb_libvirt_provider_finalize;

  provider_class->connect_async = gb_libvirt_provider_connect_async;
  provider_class->connect_finish = gb_libvirt_provider_connect_finish;
  provider_class->disconnect = gb_libvirt_provider_disconnect;
  provider_class->stats_interval_changed = gb_libvirt_provider_stats_interval_changed;
  provider_class->new_creator = gb_libvirt_provider_new_creator;
  provider_class->has_host_details = gb_libvirt_provider_has_host_details;
}

static void
gb_libvirt_provider_init (GbLibvirtProvider *self)
{
  self->lifecycle_id = -1;
  self->by_uuid = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_queue_init (&self->early_events);
}

/* Construction */

static gboolean
uri_is_embedded (GUri *uri)
{
  return uri != NULL && g_strcmp0 (g_uri_get_path (uri), "/embed") == 0;
}

static gboolean
uri_is_local (GUri *uri)
{
  const char *host = uri ? g_uri_get_host (uri) : NULL;

  return host == NULL || host[0] == '\0' || g_ascii_strcasecmp (host, "localhost") == 0;
}

static char *
title_for_uri (const char *uri_string,
               GUri       *uri)
{
  const char *scheme = uri ? g_uri_get_scheme (uri) : NULL;
  const char *path = uri ? g_uri_get_path (uri) : NULL;

  if (scheme == NULL)
    return g_strdup (uri_string);

  if (g_str_equal (scheme, "test"))
    return g_strdup (_("Test"));

  if (g_str_has_prefix (scheme, "qemu"))
    {
      if (!uri_is_local (uri))
        return g_strdup_printf (_("QEMU/KVM on %s"), g_uri_get_host (uri));
      if (uri_is_embedded (uri))
        return g_strdup (_("QEMU/KVM (embedded)"));
      if (g_strcmp0 (path, "/session") == 0)
        return g_strdup (_("QEMU/KVM user session"));
      return g_strdup (_("QEMU/KVM"));
    }

  return g_strdup (uri_string);
}

/**
 * gb_libvirt_provider_new:
 * @uri: a libvirt connection URI
 *
 * Returns: (transfer full): a disconnected provider for @uri
 */
GbProvider *
gb_libvirt_provider_new (const char *uri)
{
  g_autoptr(GUri) parsed = NULL;
  g_autofree char *title = NULL;

  g_return_val_if_fail (uri != NULL, NULL);

  parsed = g_uri_parse (uri, G_URI_FLAGS_NON_DNS | G_URI_FLAGS_ENCODED_QUERY, NULL);
  title = title_for_uri (uri, parsed);

  return g_object_new (GB_TYPE_LIBVIRT_PROVIDER,
                       "uri", uri,
                       "title", title,
                       /* The embedded driver's machines live in our process. */
                       "transient", uri_is_embedded (parsed),
                       NULL);
}

gboolean
_gb_libvirt_provider_is_local (GbProvider *provider)
{
  g_autoptr(GUri) parsed = NULL;

  if (provider == NULL)
    return FALSE;

  parsed = g_uri_parse (gb_provider_get_uri (provider), G_URI_FLAGS_NON_DNS | G_URI_FLAGS_ENCODED_QUERY, NULL);
  return parsed != NULL && uri_is_local (parsed);
}

/**
 * gb_libvirt_provider_get_connection:
 *
 * The open connection as a #GVirConnection, sharing the provider's
 * handle (the embedded driver allows one per process, and a second
 * connection to the QEMU driver would probe QEMU again).
 *
 * Returns: (transfer none) (nullable): the connection, or %NULL unless
 *   the provider is connected
 */
GVirConnection *
gb_libvirt_provider_get_connection (GbLibvirtProvider *self)
{
  g_return_val_if_fail (GB_IS_LIBVIRT_PROVIDER (self), NULL);

  if (self->conn == NULL)
    return NULL;

  if (self->gconn == NULL || self->gconn_handle != self->conn)
    {
      g_clear_object (&self->gconn);
      self->gconn = g_object_new (GVIR_TYPE_CONNECTION,
                                  "uri", gb_provider_get_uri (GB_PROVIDER (self)),
                                  "handle", self->conn,
                                  NULL);
      self->gconn_handle = self->conn;
    }

  return self->gconn;
}

virConnectPtr
_gb_libvirt_provider_get_handle (GbProvider *provider)
{
  g_return_val_if_fail (GB_IS_LIBVIRT_PROVIDER (provider), NULL);

  return GB_LIBVIRT_PROVIDER (provider)->conn;
}

/* The first start: which connection to open */

/**
 * _gb_libvirt_provider_default_uris:
 * @is_root: whether the app runs as root
 * @user_data_dir: $XDG_DATA_HOME
 *
 * Returns: (transfer full): the URIs to try, in order
 */
char **
_gb_libvirt_provider_default_uris (gboolean    is_root,
                                   const char *user_data_dir)
{
  g_autofree char *root = g_build_filename (user_data_dir, "glassbox", "libvirt", NULL);
  g_autofree char *escaped = g_uri_escape_string (root, "/", FALSE);
  char **uris = g_new0 (char *, 3);

  /* root talks to the system daemon, anyone else to their session daemon,
   * which libvirt starts on demand. */
  uris[0] = g_strdup (is_root ? "qemu:///system" : "qemu:///session");
  /* No daemon at all: libvirt's QEMU driver inside our own process. */
  uris[1] = g_strdup_printf ("qemu:///embed?root=%s", escaped);

  return uris;
}

typedef struct {
  char       **uris;
  guint        next;
  GString     *errors;
  GbProvider  *trying;
} OpenFirstData;

static void
open_first_data_free (gpointer data)
{
  OpenFirstData *od = data;

  g_strfreev (od->uris);
  g_string_free (od->errors, TRUE);
  g_clear_object (&od->trying);
  g_free (od);
}

static void try_next_uri (GTask *task);

static void
open_first_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  OpenFirstData *od = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (gb_provider_connect_finish (GB_PROVIDER (object), result, &error))
    {
      g_task_return_pointer (task, g_steal_pointer (&od->trying), g_object_unref);
      return;
    }

  g_debug ("%s: %s", gb_provider_get_uri (od->trying), error->message);
  g_string_append_printf (od->errors, "\n%s: %s", gb_provider_get_uri (od->trying), error->message);
  gb_provider_disconnect (od->trying);
  g_clear_object (&od->trying);

  if (g_task_return_error_if_cancelled (task))
    return;

  try_next_uri (g_steal_pointer (&task));
}

static void
try_next_uri (GTask *task)
{
  OpenFirstData *od = g_task_get_task_data (task);
  const char *uri = od->uris[od->next];

  if (uri == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("No libvirt connection could be opened:%s"), od->errors->str);
      g_object_unref (task);
      return;
    }

  od->next++;
  od->trying = gb_libvirt_provider_new (uri);
  gb_provider_connect_async (od->trying, g_task_get_cancellable (task), open_first_cb, task);
}

/**
 * _gb_libvirt_provider_open_first_async:
 * @uris: connection URIs, in order of preference
 *
 * Connects to the first of @uris that works.
 */
void
_gb_libvirt_provider_open_first_async (const char * const  *uris,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  GTask *task;
  OpenFirstData *od;

  g_return_if_fail (uris != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, _gb_libvirt_provider_open_first_async);
  od = g_new0 (OpenFirstData, 1);
  od->uris = g_strdupv ((char **) uris);
  od->errors = g_string_new (NULL);
  g_task_set_task_data (task, od, open_first_data_free);

  try_next_uri (task);
}

GbProvider *
_gb_libvirt_provider_open_first_finish (GAsyncResult  *result,
                                        GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * gb_libvirt_provider_open_default_async:
 *
 * Opens the connection a first start uses: qemu:///session (or
 * qemu:///system as root) when its daemon can be reached, otherwise the
 * embedded QEMU driver under $XDG_DATA_HOME/glassbox/libvirt, whose
 * machines stop with the app.
 */
void
gb_libvirt_provider_open_default_async (GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_auto(GStrv) uris = _gb_libvirt_provider_default_uris (getuid () == 0, g_get_user_data_dir ());
  g_autofree char *root = g_build_filename (g_get_user_data_dir (), "glassbox", "libvirt", NULL);

  /* The embedded driver wants its root to exist. */
  if (g_mkdir_with_parents (root, 0700) < 0)
    g_debug ("Could not create %s: %s", root, g_strerror (errno));

  _gb_libvirt_provider_open_first_async ((const char * const *) uris, cancellable, callback, user_data);
}

/**
 * gb_libvirt_provider_open_default_finish:
 *
 * Returns: (transfer full): a connected provider, or %NULL with @error set
 */
GbProvider *
gb_libvirt_provider_open_default_finish (GAsyncResult  *result,
                                         GError       **error)
{
  return _gb_libvirt_provider_open_first_finish (result, error);
}
