/* gb-bundled-machine.c — a machine glassbox-vmm runs, described by a JSON file
 *
 * The file is the `glassbox-vmm run --config` form plus "name" and "uuid"
 * (docs/vmm.md).  While the machine runs, one glassbox-vmm process per
 * machine, started in its own session so that it outlives the app (like a
 * libvirt session domain), keeps its control socket, serial socket and log in
 * the machine's run folder.  Everything the app learns about a running
 * machine comes from the control socket's events; a socket that closes
 * without a STOP event means the VMM died.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gio/gunixsocketaddress.h>
#include <unistd.h>

#include "gb-bundled-edit.h"
#include "gb-bundled-machine-private.h"
#include "gb-machine-private.h"
#include "gb-provider-private.h"
#include "gb-vmm-client.h"
#include "gb-vmm-launch.h"

#define CRASH_LOG_LINES 20

struct _GbBundledMachine
{
  GbMachine    parent_instance;

  char        *file;
  char        *machines_dir;
  char        *run_dir;
  JsonObject  *json;           /* NULL: the file is broken */
  char        *error;
  char        *crash_log;

  GbVmmClient *client;         /* while it runs */
  gboolean     starting;       /* gb_vmm_launch_async() under way */
  gboolean     restoring;      /* ... with --restore of the saved state */
  GPid         pid;
  char        *stop_reason;    /* from the STOP event */
  GCancellable *cancellable;

  /* Stats */
  guint64      last_cpu_ticks;
  gint64       last_cpu_time;
  gboolean     sample_in_flight;
};

G_DEFINE_FINAL_TYPE (GbBundledMachine, gb_bundled_machine, GB_TYPE_MACHINE)

enum {
  PROP_0,
  PROP_FILE,
  PROP_ERROR,
  PROP_CRASH_LOG,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* A string member, or NULL when it is missing or not a string (a
 * hand-edited file may hold anything; no criticals for that). */
static const char *
file_string (JsonObject *object,
              const char *key)
{
  JsonNode *node = json_object_get_member (object, key);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static char *
run_path (GbBundledMachine *self,
          const char       *name)
{
  return g_build_filename (self->run_dir, name, NULL);
}

/* The saved state ("save-state", Save State): MACHINES/UUID.state. */
static char *
state_path (GbBundledMachine *self)
{
  g_autofree char *name = g_strconcat (gb_machine_get_uuid (GB_MACHINE (self)), ".state", NULL);

  return g_build_filename (self->machines_dir, name, NULL);
}

static void
update_saved_at (GbBundledMachine *self)
{
  g_autofree char *path = state_path (self);
  GStatBuf st;

  _gb_machine_set_saved_at (GB_MACHINE (self), g_stat (path, &st) == 0 ? (gint64) st.st_mtime : 0);
}

/* A state the VMM could not take back (another vCPU count or memory size
 * since, a damaged file) would fail every start: it goes, and the error
 * says so.  Only when the VMM's own words name --restore. */
static gboolean
discard_failed_state (GbBundledMachine *self)
{
  g_autofree char *tail = gb_vmm_log_read_tail (self->run_dir, 5);
  g_autofree char *path = NULL;

  if (!self->restoring || tail == NULL || strstr (tail, "--restore") == NULL)
    return FALSE;
  path = state_path (self);
  g_unlink (path);
  update_saved_at (self);
  return TRUE;
}

static void
set_crash_log (GbBundledMachine *self,
               const char       *log)
{
  if (g_strcmp0 (self->crash_log, log) == 0)
    return;

  g_free (self->crash_log);
  self->crash_log = g_strdup (log);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CRASH_LOG]);
}

static void
crashed (GbBundledMachine *self,
         const char       *why)
{
  g_autofree char *tail = NULL;

  gb_vmm_log_append (self->run_dir, why);
  tail = gb_vmm_log_read_tail (self->run_dir, CRASH_LOG_LINES);
  set_crash_log (self, tail);
  _gb_machine_set_state (GB_MACHINE (self), GB_MACHINE_STATE_CRASHED);
}

/* ---- the control socket -------------------------------------------------- */

static void
on_event (GbVmmClient *client,
          const char  *name,
          JsonObject  *data,
          gpointer     user_data)
{
  GbBundledMachine *self = user_data;

  if (g_str_equal (name, "STATE_CHANGE"))
    {
      const char *status = json_object_get_string_member_with_default (data, "status", "");

      if (g_str_equal (status, "running"))
        _gb_machine_set_state (GB_MACHINE (self), GB_MACHINE_STATE_RUNNING);
      else if (g_str_equal (status, "paused"))
        _gb_machine_set_state (GB_MACHINE (self), GB_MACHINE_STATE_PAUSED);
      /* "shutdown": STOP follows and says why. */
    }
  else if (g_str_equal (name, "STOP"))
    {
      g_free (self->stop_reason);
      self->stop_reason = g_strdup (json_object_get_string_member_with_default (data, "reason", "requested"));
    }
}

static void
release_client (GbBundledMachine *self)
{
  if (self->client == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->client, self);
  gb_vmm_client_close (self->client);
  g_clear_object (&self->client);
  self->pid = 0;
  self->sample_in_flight = FALSE;
}

static void
on_connected_changed (GbVmmClient *client,
                      GParamSpec  *pspec,
                      gpointer     user_data)
{
  GbBundledMachine *self = user_data;
  g_autofree char *reason = NULL;

  if (gb_vmm_client_get_connected (client))
    return;

  reason = g_steal_pointer (&self->stop_reason);
  release_client (self);

  if (reason == NULL)
    {
      /* Gone without a word: killed, or it crashed.  Its disks are left as
       * they are; the stale socket tells the next app start the same. */
      crashed (self, _("the virtual machine monitor ended without stopping the machine (was it killed?)"));
      return;
    }

  if (g_str_equal (reason, "error"))
    {
      crashed (self, _("the virtual machine monitor stopped on an error"));
      return;
    }

  set_crash_log (self, NULL);
  _gb_machine_set_state (GB_MACHINE (self), GB_MACHINE_STATE_SHUTOFF);
}

static void
query_status_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GbBundledMachine *self = g_task_get_source_object (task);
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *status;

  reply = gb_vmm_client_execute_finish (GB_VMM_CLIENT (object), result, &error);
  if (reply == NULL || !JSON_NODE_HOLDS_OBJECT (reply))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  status = json_node_get_object (reply);
  self->pid = (GPid) json_object_get_int_member_with_default (status, "pid", 0);
  if (g_strcmp0 (json_object_get_string_member_with_default (status, "status", ""), "paused") == 0)
    _gb_machine_set_state (GB_MACHINE (self), GB_MACHINE_STATE_PAUSED);
  else
    _gb_machine_set_state (GB_MACHINE (self), GB_MACHINE_STATE_RUNNING);

  g_task_return_boolean (task, TRUE);
}

/* Takes @client as the machine's; @task completes once its state is known. */
static void
adopt_client (GbBundledMachine *self,
              GbVmmClient      *client,
              GTask            *task)
{
  release_client (self);
  self->client = g_object_ref (client);
  g_clear_pointer (&self->stop_reason, g_free);
  self->last_cpu_time = 0;
  set_crash_log (self, NULL);

  g_signal_connect (client, "event", G_CALLBACK (on_event), self);
  g_signal_connect (client, "notify::connected", G_CALLBACK (on_connected_changed), self);

  gb_vmm_client_execute_async (client, "query-status", NULL, g_task_get_cancellable (task),
                               query_status_cb, g_object_ref (task));
}

static void
attach_connect_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GbBundledMachine *self = g_task_get_source_object (task);
  g_autoptr(GbVmmClient) client = NULL;
  g_autoptr(GError) error = NULL;

  client = gb_vmm_client_new_finish (result, &error);
  if (client == NULL)
    {
      g_autofree char *why = NULL;

      /* A socket nobody listens on: the VMM died without removing it. */
      g_debug ("%s: %s", self->run_dir, error->message);
      why = g_strdup_printf (_("the virtual machine monitor is gone but left its control socket (%s)"),
                             error->message);
      crashed (self, why);
      g_task_return_boolean (task, TRUE);
      return;
    }

  adopt_client (self, client, task);
}

void
_gb_bundled_machine_attach_async (GbBundledMachine    *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *api = NULL;

  g_task_set_source_tag (task, _gb_bundled_machine_attach_async);

  if (self->json == NULL || self->client != NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* glassbox-vmm removes its socket when it ends; one that is there
   * belongs to a running VMM, or to one that was killed. */
  api = run_path (self, GB_VMM_API_SOCKET);
  if (!g_file_test (api, G_FILE_TEST_EXISTS))
    {
      _gb_machine_set_state (GB_MACHINE (self), GB_MACHINE_STATE_SHUTOFF);
      g_task_return_boolean (task, TRUE);
      return;
    }

  gb_vmm_client_new_async (api, cancellable, attach_connect_cb, g_steal_pointer (&task));
}

void
_gb_bundled_machine_attach_finish (GbBundledMachine *self,
                                   GAsyncResult     *result)
{
  g_task_propagate_boolean (G_TASK (result), NULL);
}

void
_gb_bundled_machine_detach (GbBundledMachine *self)
{
  g_return_if_fail (GB_IS_BUNDLED_MACHINE (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  release_client (self);
}

/* ---- lifecycle ---------------------------------------------------------- */

static gboolean
check_file (GbBundledMachine  *self,
            GError           **error)
{
  if (self->json != NULL)
    return TRUE;

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               _("The machine file %s cannot be read: %s"), self->file, self->error);
  return FALSE;
}

static gboolean
check_running (GbBundledMachine  *self,
               GError           **error)
{
  if (self->client != NULL && gb_vmm_client_get_connected (self->client))
    return TRUE;

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                       _("The machine is not running"));
  return FALSE;
}

/* A control-socket command whose reply only says it was done. */
static void
execute_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonNode) reply = NULL;
  GError *error = NULL;

  reply = gb_vmm_client_execute_finish (GB_VMM_CLIENT (object), result, &error);
  if (reply == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
start_status_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GbBundledMachine *self = GB_BUNDLED_MACHINE (object);

  g_task_propagate_boolean (G_TASK (result), NULL);
  if (self->client == NULL)
    {
      /* Gone between connecting and now: the socket's close said "crashed". */
      if (discard_failed_state (self))
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                                 _("The saved state could not be restored and was discarded; start the machine again to boot it afresh"));
      else
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                                 _("The virtual machine monitor ended at once"));
      self->restoring = FALSE;
      return;
    }

  /* The saved state is in the VMM now; like libvirt's managed save, the
   * file goes once the machine runs from it. */
  if (self->restoring)
    {
      g_autofree char *path = state_path (self);

      g_unlink (path);
      update_saved_at (self);
      self->restoring = FALSE;
    }

  /* Started --paused so that we were listening before the first guest
   * instruction; now let it run. */
  gb_vmm_client_execute_async (self->client, "resume", NULL, NULL, execute_cb, g_steal_pointer (&task));
}

static void
start_launched_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GbBundledMachine *self = g_task_get_source_object (task);
  g_autoptr(GbVmmClient) client = NULL;
  g_autoptr(GTask) status = NULL;
  GError *error = NULL;

  self->starting = FALSE;
  client = gb_vmm_launch_finish (result, &error);
  if (client == NULL)
    {
      if (discard_failed_state (self))
        g_prefix_error (&error, "%s: ", _("The saved state could not be restored and was discarded; start the machine again to boot it afresh"));
      self->restoring = FALSE;
      g_task_return_error (task, error);
      return;
    }

  status = g_task_new (self, NULL, start_status_cb, g_steal_pointer (&task));
  adopt_client (self, client, status);
}

static void
gb_bundled_machine_start_async (GbMachine           *machine,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GbBundledMachine *self = GB_BUNDLED_MACHINE (machine);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *state = NULL;
  GError *error = NULL;

  g_task_set_source_tag (task, gb_bundled_machine_start_async);

  if (!check_file (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (self->client != NULL || self->starting)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_EXISTS, _("The machine is already running"));
      return;
    }

  /* A new run: the last crash is history (its log is about to be replaced). */
  g_clear_pointer (&self->stop_reason, g_free);
  set_crash_log (self, NULL);
  if (gb_machine_get_state (machine) == GB_MACHINE_STATE_CRASHED)
    _gb_machine_set_state (machine, GB_MACHINE_STATE_SHUTOFF);

  self->starting = TRUE;
  state = state_path (self);
  self->restoring = g_file_test (state, G_FILE_TEST_IS_REGULAR);
  /* Relative disk paths in the file are relative to the machines folder. */
  gb_vmm_launch_async (self->file, self->machines_dir, self->run_dir,
                       self->restoring ? state : NULL, cancellable,
                       start_launched_cb, g_steal_pointer (&task));
}

static void
execute_action (GbMachine           *machine,
                const char          *command,
                gpointer             source_tag,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  GbBundledMachine *self = GB_BUNDLED_MACHINE (machine);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;

  g_task_set_source_tag (task, source_tag);
  if (!check_running (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  gb_vmm_client_execute_async (self->client, command, NULL, cancellable, execute_cb, g_steal_pointer (&task));
}

#define DEFINE_COMMAND_ACTION(action, command)                                         \
static void                                                                            \
gb_bundled_machine_##action##_async (GbMachine           *machine,                     \
                                     GCancellable        *cancellable,                 \
                                     GAsyncReadyCallback  callback,                    \
                                     gpointer             user_data)                   \
{                                                                                      \
  execute_action (machine, command, gb_bundled_machine_##action##_async,               \
                  cancellable, callback, user_data);                                   \
}

/* "powerdown" presses Ctrl+Alt+Del until the VMM has an ACPI power button;
 * a Linux guest booted with reboot=k then ends the VM (docs/vmm-api.md). */
DEFINE_COMMAND_ACTION (shutdown, "powerdown")
DEFINE_COMMAND_ACTION (force_off, "stop")
DEFINE_COMMAND_ACTION (pause, "pause")
DEFINE_COMMAND_ACTION (resume, "resume")
DEFINE_COMMAND_ACTION (reboot, "reset")

#undef DEFINE_COMMAND_ACTION

/* ---- save state ----------------------------------------------------------- */

static void
save_stop_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GbBundledMachine *self = g_task_get_source_object (task);
  g_autoptr(JsonNode) reply = NULL;
  GError *error = NULL;

  update_saved_at (self);
  reply = gb_vmm_client_execute_finish (GB_VMM_CLIENT (object), result, &error);
  if (reply == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
save_state_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GbBundledMachine *self = g_task_get_source_object (task);
  g_autoptr(JsonNode) reply = NULL;
  GError *error = NULL;

  reply = gb_vmm_client_execute_finish (GB_VMM_CLIENT (object), result, &error);
  if (reply == NULL)
    {
      /* What glassbox-vmm still refuses, in the app's words: a NIC on
       * passt (its connections live in the passt process; docs/vmm-api.md,
       * save-state).  Screens and NICs on User, Bridge or a tap are saved. */
      if (error->domain == G_IO_ERROR && strstr (error->message, "passt") != NULL)
        {
          g_autofree char *why = g_steal_pointer (&error->message);

          error->message = g_strdup_printf ("%s (%s)",
                                            _("A machine whose network runs through passt cannot be saved: "
                                              "passt keeps its connections in a process of its own. "
                                              "Shut the machine down instead, or change its network to User-mode NAT"),
                                            why);
        }
      g_task_return_error (task, error);
      return;
    }
  if (!check_running (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  /* Written and paused: ending it now makes it a managed save. */
  gb_vmm_client_execute_async (self->client, "stop", NULL, NULL, save_stop_cb, g_steal_pointer (&task));
}

void
gb_bundled_machine_save_async (GbBundledMachine    *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(JsonObject) args = json_object_new ();
  g_autofree char *path = NULL;
  GError *error = NULL;

  g_return_if_fail (GB_IS_BUNDLED_MACHINE (self));
  g_task_set_source_tag (task, gb_bundled_machine_save_async);
  if (!check_running (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  path = state_path (self);
  json_object_set_string_member (args, "filename", path);
  gb_vmm_client_execute_async (self->client, "save-state", args, cancellable,
                               save_state_cb, g_steal_pointer (&task));
}

gboolean
gb_bundled_machine_save_finish (GbBundledMachine  *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- delete ------------------------------------------------------------- */

typedef struct {
  GStrv    disks;
  gulong   handler;
} DeleteData;

static void
delete_data_free (DeleteData *data)
{
  g_strfreev (data->disks);
  g_free (data);
}

static void
delete_files (GTask *task)
{
  GbBundledMachine *self = g_task_get_source_object (task);
  DeleteData *data = g_task_get_task_data (task);
  g_autoptr(GbProvider) provider = NULL;
  const char *names[] = { GB_VMM_API_SOCKET, GB_VMM_SERIAL_SOCKET, GB_VMM_LOG_FILE };

  for (guint i = 0; data->disks != NULL && data->disks[i] != NULL; i++)
    {
      if (g_unlink (data->disks[i]) < 0 && errno != ENOENT)
        {
          int errsv = errno;
          g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (errsv),
                                   _("Cannot delete %s: %s"), data->disks[i], g_strerror (errsv));
          return;
        }
    }

  if (g_unlink (self->file) < 0 && errno != ENOENT)
    {
      int errsv = errno;
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (errsv),
                               _("Cannot delete %s: %s"), self->file, g_strerror (errsv));
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = run_path (self, names[i]);
      g_unlink (path);
    }
  g_rmdir (self->run_dir);
  {
    g_autofree char *state = state_path (self);
    g_unlink (state);
  }

  g_set_object (&provider, gb_machine_get_provider (GB_MACHINE (self)));
  if (provider != NULL)
    _gb_provider_remove_machine (provider, GB_MACHINE (self));

  g_task_return_boolean (task, TRUE);
}

static void
delete_stopped_cb (GbVmmClient *client,
                   GParamSpec  *pspec,
                   gpointer     user_data)
{
  GTask *task = user_data;
  DeleteData *data = g_task_get_task_data (task);

  if (gb_vmm_client_get_connected (client))
    return;

  g_clear_signal_handler (&data->handler, client);
  delete_files (task);
  g_object_unref (task);
}

static void
delete_stop_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(JsonNode) reply = gb_vmm_client_execute_finish (GB_VMM_CLIENT (object), result, NULL);

  /* Either way, the socket closing (delete_stopped_cb) goes on. */
}

static gboolean
is_disk_of (GbBundledMachine *self,
            const char       *path)
{
  GbMachineConfig *config = gb_machine_get_config (GB_MACHINE (self));
  GPtrArray *disks = config ? gb_machine_config_get_disks (config) : NULL;

  for (guint i = 0; disks != NULL && i < disks->len; i++)
    {
      const GbConfigDisk *disk = g_ptr_array_index (disks, i);

      if (g_strcmp0 (disk->path, path) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
gb_bundled_machine_delete_async (GbMachine           *machine,
                                 const char * const  *disk_paths_to_delete,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GbBundledMachine *self = GB_BUNDLED_MACHINE (machine);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  DeleteData *data = g_new0 (DeleteData, 1);

  g_task_set_source_tag (task, gb_bundled_machine_delete_async);
  data->disks = g_strdupv ((char **) disk_paths_to_delete);
  g_task_set_task_data (task, data, (GDestroyNotify) delete_data_free);

  /* Only this machine's disks: a path from elsewhere is a mistake, and
   * nothing is deleted then. */
  for (guint i = 0; data->disks != NULL && data->disks[i] != NULL; i++)
    {
      if (!is_disk_of (self, data->disks[i]))
        {
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                   _("%s is not a disk of this machine"), data->disks[i]);
          return;
        }
    }

  if (self->client != NULL && gb_vmm_client_get_connected (self->client))
    {
      /* Stop it first; the files go once the VMM has let go of them. */
      data->handler = g_signal_connect (self->client, "notify::connected",
                                        G_CALLBACK (delete_stopped_cb), g_object_ref (task));
      gb_vmm_client_execute_async (self->client, "stop", NULL, NULL, delete_stop_cb, NULL);
      return;
    }

  delete_files (task);
}

/* ---- update -------------------------------------------------------------- */

typedef struct {
  JsonObject *object;     /* the new whole file */
  char       *contents;
} UpdateData;

static void
update_data_free (UpdateData *data)
{
  json_object_unref (data->object);
  g_free (data->contents);
  g_free (data);
}

static void
update_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GbBundledMachine *self = source_object;
  UpdateData *data = task_data;
  GError *error = NULL;

  /* Atomic, like creation: the old file or the new one, never half. */
  if (!g_file_set_contents_full (self->file, data->contents, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
update_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GbBundledMachine *self = GB_BUNDLED_MACHINE (object);
  g_autoptr(GTask) task = user_data;
  UpdateData *data = g_task_get_task_data (task);
  g_autoptr(GbMachineConfig) config = NULL;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }

  g_clear_pointer (&self->json, json_object_unref);
  self->json = json_object_ref (data->object);
  config = gb_machine_config_new_from_vmm_json (self->json, self->machines_dir);
  _gb_machine_set_name (GB_MACHINE (self), gb_machine_config_get_name (config));
  _gb_machine_set_config (GB_MACHINE (self), config);
  g_task_return_boolean (task, TRUE);
}

void
gb_bundled_machine_update_async (GbBundledMachine    *self,
                                 JsonObject          *changes,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GList) members = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(JsonNode) root = NULL;
  GbMachineState state;
  UpdateData *data;
  GError *error = NULL;

  g_return_if_fail (GB_IS_BUNDLED_MACHINE (self));
  g_return_if_fail (changes != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gb_bundled_machine_update_async);

  if (!check_file (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  state = gb_machine_get_state (GB_MACHINE (self));
  if (self->client != NULL || self->starting ||
      !(state == GB_MACHINE_STATE_SHUTOFF || state == GB_MACHINE_STATE_CRASHED))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BUSY,
                               _("Shut the machine off before changing it"));
      return;
    }

  data = g_new0 (UpdateData, 1);
  data->object = json_object_new ();
  g_task_set_task_data (task, data, (GDestroyNotify) update_data_free);

  /* A copy of the file's object with the changes applied. */
  members = json_object_get_members (self->json);
  for (GList *l = members; l != NULL; l = l->next)
    json_object_set_member (data->object, l->data, json_node_copy (json_object_get_member (self->json, l->data)));
  g_clear_pointer (&members, g_list_free);
  members = json_object_get_members (changes);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *key = l->data;
      JsonNode *value = json_object_get_member (changes, key);

      if (g_str_equal (key, "uuid"))
        {
          if (g_strcmp0 (file_string (changes, "uuid"), gb_machine_get_uuid (GB_MACHINE (self))) != 0)
            {
              g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                       _("A machine’s UUID cannot change"));
              return;
            }
          continue;
        }
      if (g_str_equal (key, "name"))
        {
          const char *name = file_string (changes, "name");
          GbProvider *provider = gb_machine_get_provider (GB_MACHINE (self));
          GbMachine *other = provider && name ? gb_provider_find_machine (provider, name) : NULL;

          if (name == NULL || strspn (name, " \t\n") == strlen (name))
            {
              g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                       _("The machine needs a name"));
              return;
            }
          if (other != NULL && other != GB_MACHINE (self))
            {
              g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_EXISTS,
                                       _("There is already a machine called “%s” on this computer"), name);
              return;
            }
        }

      if (JSON_NODE_HOLDS_NULL (value))
        json_object_remove_member (data->object, key);
      else
        json_object_set_member (data->object, key, json_node_copy (value));
    }

  root = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (root, data->object);
  generator = json_generator_new ();
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, root);
  data->contents = json_generator_to_data (generator, NULL);

  {
    g_autoptr(GTask) thread_task = g_task_new (self, cancellable, update_done_cb, g_steal_pointer (&task));

    g_task_set_task_data (thread_task, data, NULL);
    g_task_run_in_thread (thread_task, update_thread);
  }
}

gboolean
gb_bundled_machine_update_finish (GbBundledMachine  *self,
                                  GAsyncResult      *result,
                                  GError           **error)
{
  g_return_val_if_fail (GB_IS_BUNDLED_MACHINE (self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- consoles and internals ---------------------------------------------- */

/* Connects to one of the VMM's sockets in the run folder; @callback gets
 * the GSocketClient's result.  Fails at once when the machine is off. */
static void
connect_run_socket (GbBundledMachine    *self,
                    const char          *name,
                    GTask               *task,
                    GAsyncReadyCallback  callback)
{
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *path = run_path (self, name);
  GError *error = NULL;

  if (!check_running (self, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  client = g_socket_client_new ();
  address = g_unix_socket_address_new (path);
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (address),
                                 g_task_get_cancellable (task), callback, task);
}

static void
serial_connect_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GSocketConnection *connection;
  GError *error = NULL;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (object), result, &error);
  if (connection == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, connection, g_object_unref);
}

static void
gb_bundled_machine_open_serial_async (GbMachine           *machine,
                                      const char          *device,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  GbBundledMachine *self = GB_BUNDLED_MACHINE (machine);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, gb_bundled_machine_open_serial_async);

  if (device != NULL && !g_str_equal (device, "serial0"))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("This machine has no console “%s”"), device);
      return;
    }
  /* glassbox-vmm --serial socket=: one client at a time, reconnects allowed. */
  connect_run_socket (self, GB_VMM_SERIAL_SOCKET, g_steal_pointer (&task), serial_connect_cb);
}

static void
graphics_connect_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GSocketConnection) connection = NULL;
  GError *error = NULL;
  int fd;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (object), result, &error);
  if (connection == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* The caller owns the fd it gets, blocking as virDomainOpenGraphicsFD's
   * is; the connection closes its own. */
  fd = dup (g_socket_get_fd (g_socket_connection_get_socket (connection)));
  if (fd >= 0)
    fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
  if (fd < 0)
    g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (errno),
                             "%s", g_strerror (errno));
  else
    g_task_return_int (task, fd);
}

static void
gb_bundled_machine_open_graphics_async (GbMachine           *machine,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  GbBundledMachine *self = GB_BUNDLED_MACHINE (machine);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, gb_bundled_machine_open_graphics_async);

  if (gb_machine_get_graphics_protocol (machine) != GB_GRAPHICS_PROTOCOL_VNC)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("This machine has no screen; its console is text only"));
      return;
    }
  /* glassbox-vmm's VNC server: RFB on a mode-0600 UNIX socket, several
   * clients at once (docs/vmm-api.md, query-display). */
  connect_run_socket (self, GB_VMM_VNC_SOCKET, g_steal_pointer (&task), graphics_connect_cb);
}

static int
gb_bundled_machine_open_graphics_finish (GbMachine     *machine,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  gssize fd = g_task_propagate_int (G_TASK (result), error);

  return fd < 0 ? -1 : (int) fd;
}

static void
query_stats_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  JsonNode *reply;
  GError *error = NULL;

  reply = gb_vmm_client_execute_finish (GB_VMM_CLIENT (object), result, &error);
  if (reply == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, reply, (GDestroyNotify) json_node_unref);
}

static void
gb_bundled_machine_query_internals_async (GbMachine           *machine,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  GbBundledMachine *self = GB_BUNDLED_MACHINE (machine);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;

  g_task_set_source_tag (task, gb_bundled_machine_query_internals_async);
  if (!check_running (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  gb_vmm_client_execute_async (self->client, "query-stats", NULL, cancellable,
                               query_stats_cb, g_steal_pointer (&task));
}

/* ---- stats -------------------------------------------------------------- */

/* utime + stime of a process, in clock ticks (proc(5), fields 14 and 15). */
static gboolean
read_cpu_ticks (GPid     pid,
                guint64 *ticks)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *contents = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after_comm;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;
  /* The command name may hold spaces; fields are counted after its ')'. */
  after_comm = strrchr (contents, ')');
  if (after_comm == NULL)
    return FALSE;
  fields = g_strsplit (after_comm + 2, " ", 0);
  /* fields[0] is field 3 (state): utime is [11], stime [12]. */
  if (g_strv_length (fields) < 13)
    return FALSE;
  *ticks = g_ascii_strtoull (fields[11], NULL, 10) + g_ascii_strtoull (fields[12], NULL, 10);
  return TRUE;
}

typedef struct {
  GbBundledMachine *self;
  double            cpu_percent;
} SampleData;

static void
sample_stats_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  SampleData *data = user_data;
  g_autoptr(GbBundledMachine) self = data->self;
  g_autoptr(JsonNode) stats = NULL;
  GbMachineSample sample = { 0 };
  JsonObject *memory = NULL;

  stats = gb_vmm_client_execute_finish (GB_VMM_CLIENT (object), result, NULL);
  self->sample_in_flight = FALSE;
  if (stats == NULL || self->client == NULL)
    {
      g_free (data);
      return;
    }

  if (JSON_NODE_HOLDS_OBJECT (stats) &&
      json_object_has_member (json_node_get_object (stats), "memory"))
    memory = json_object_get_object_member (json_node_get_object (stats), "memory");

  sample.time_us = g_get_monotonic_time ();
  sample.cpu_percent = data->cpu_percent;
  if (memory != NULL)
    sample.memory_bytes = (guint64) json_object_get_int_member_with_default (memory, "resident-bytes", 0);
  _gb_machine_push_sample (GB_MACHINE (self), &sample);
  g_free (data);
}

void
_gb_bundled_machine_sample (GbBundledMachine *self)
{
  GbMachineConfig *config = gb_machine_get_config (GB_MACHINE (self));
  guint n_vcpus = config ? MAX (gb_machine_config_get_n_vcpus (config), 1) : 1;
  gint64 now = g_get_monotonic_time ();
  guint64 ticks = 0;
  double cpu = 0.0;
  SampleData *data;

  g_return_if_fail (GB_IS_BUNDLED_MACHINE (self));

  if (self->client == NULL || self->pid <= 0 || self->sample_in_flight)
    return;

  if (read_cpu_ticks (self->pid, &ticks))
    {
      if (self->last_cpu_time > 0 && now > self->last_cpu_time)
        {
          double seconds = (now - self->last_cpu_time) / (double) G_USEC_PER_SEC;
          double used = (ticks - self->last_cpu_ticks) / (double) sysconf (_SC_CLK_TCK);

          /* Of all the machine's vCPUs, as GbMachineSample wants it. */
          cpu = CLAMP (100.0 * used / seconds / n_vcpus, 0.0, 100.0);
        }
      self->last_cpu_ticks = ticks;
      self->last_cpu_time = now;
    }

  data = g_new0 (SampleData, 1);
  data->self = g_object_ref (self);
  data->cpu_percent = cpu;
  self->sample_in_flight = TRUE;
  gb_vmm_client_execute_async (self->client, "query-stats", NULL, NULL, sample_stats_cb, data);
}

/* ---- GObject ------------------------------------------------------------- */

static void
gb_bundled_machine_dispose (GObject *object)
{
  GbBundledMachine *self = GB_BUNDLED_MACHINE (object);

  g_cancellable_cancel (self->cancellable);
  /* The VMM, if any, runs on: it is the machine, not ours to end. */
  release_client (self);

  G_OBJECT_CLASS (gb_bundled_machine_parent_class)->dispose (object);
}

static void
gb_bundled_machine_finalize (GObject *object)
{
  GbBundledMachine *self = GB_BUNDLED_MACHINE (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->json, json_object_unref);
  g_free (self->file);
  g_free (self->machines_dir);
  g_free (self->run_dir);
  g_free (self->error);
  g_free (self->crash_log);
  g_free (self->stop_reason);

  G_OBJECT_CLASS (gb_bundled_machine_parent_class)->finalize (object);
}

static void
gb_bundled_machine_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  GbBundledMachine *self = GB_BUNDLED_MACHINE (object);

  switch (prop_id)
    {
    case PROP_FILE:
      g_value_set_string (value, self->file);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    case PROP_CRASH_LOG:
      g_value_set_string (value, self->crash_log);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* Editing is gb-bundled-edit.c's: the machine file, in memory. */
static guint
gb_bundled_machine_edit_get_caps (GbMachine *machine)
{
  return GB_EDIT_CAP_SUPPORTED | GB_EDIT_CAP_LOAD_NOW | GB_EDIT_CAP_KERNEL | GB_EDIT_CAP_NIC_BY_PLACE;
}

static GbEditState *
gb_bundled_machine_edit_load (GbMachine  *machine,
                              GError    **error)
{
  return gb_bundled_edit_load (GB_BUNDLED_MACHINE (machine), error);
}

static void
gb_bundled_machine_edit_apply_async (GbMachine           *machine,
                                     const GbMachineEdit *edit,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  gb_bundled_edit_apply_async (GB_BUNDLED_MACHINE (machine), edit, cancellable, callback, user_data);
}

static GStrv
gb_bundled_machine_edit_apply_finish (GbMachine     *machine,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  return gb_bundled_edit_apply_finish (GB_BUNDLED_MACHINE (machine), result, error);
}

static void
gb_bundled_machine_class_init (GbBundledMachineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GbMachineClass *machine_class = GB_MACHINE_CLASS (klass);

  object_class->dispose = gb_bundled_machine_dispose;
  object_class->finalize = gb_bundled_machine_finalize;
  object_class->get_property = gb_bundled_machine_get_property;

  machine_class->start_async = gb_bundled_machine_start_async;
  machine_class->shutdown_async = gb_bundled_machine_shutdown_async;
  machine_class->force_off_async = gb_bundled_machine_force_off_async;
  machine_class->pause_async = gb_bundled_machine_pause_async;
  machine_class->resume_async = gb_bundled_machine_resume_async;
  machine_class->reboot_async = gb_bundled_machine_reboot_async;
  machine_class->delete_async = gb_bundled_machine_delete_async;
  machine_class->open_serial_async = gb_bundled_machine_open_serial_async;
  machine_class->query_internals_async = gb_bundled_machine_query_internals_async;
  machine_class->open_graphics_async = gb_bundled_machine_open_graphics_async;
  machine_class->open_graphics_finish = gb_bundled_machine_open_graphics_finish;
  machine_class->edit_get_caps = gb_bundled_machine_edit_get_caps;
  machine_class->edit_load = gb_bundled_machine_edit_load;
  machine_class->edit_apply_async = gb_bundled_machine_edit_apply_async;
  machine_class->edit_apply_finish = gb_bundled_machine_edit_apply_finish;

  properties[PROP_FILE] =
    g_param_spec_string ("file", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CRASH_LOG] =
    g_param_spec_string ("crash-log", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gb_bundled_machine_init (GbBundledMachine *self)
{
  self->cancellable = g_cancellable_new ();
}


/* Parses a machine file; a file that is not a machine gives a broken
 * machine (state UNKNOWN, "error" set), named after the file, so that the
 * user sees it and the file stays as it is. */
GbBundledMachine *
_gb_bundled_machine_new (GbProvider   *provider,
                         const char   *file,
                         const char   *runtime_dir,
                         const char   *contents,
                         gsize         length,
                         const GError *read_error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *basename = g_path_get_basename (file);
  g_autofree char *stem = g_str_has_suffix (basename, ".json")
                          ? g_strndup (basename, strlen (basename) - 5) : g_strdup (basename);
  g_autoptr(GbMachineConfig) config = NULL;
  JsonObject *object = NULL;
  const char *name = NULL;
  const char *uuid = NULL;
  GbBundledMachine *self;

  if (read_error != NULL)
    error = g_error_copy (read_error);
  else if (json_parser_load_from_data (parser, contents, length, &error))
    {
      JsonNode *root = json_parser_get_root (parser);

      if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
        g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                             _("The file does not hold a JSON object"));
      else
        {
          object = json_node_get_object (root);
          name = file_string (object, "name");
          uuid = file_string (object, "uuid");
          if (name == NULL || *name == '\0' || uuid == NULL || !g_uuid_string_is_valid (uuid))
            {
              g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                   _("The machine has no “name” or no valid “uuid”"));
              object = NULL;
            }
        }
    }

  self = g_object_new (GB_TYPE_BUNDLED_MACHINE,
                       "provider", provider,
                       "name", object ? name : stem,
                       "uuid", object ? uuid : stem,
                       NULL);
  self->file = g_strdup (file);
  self->machines_dir = g_path_get_dirname (file);
  self->run_dir = g_build_filename (runtime_dir, object ? uuid : stem, NULL);

  if (object != NULL)
    {
      self->json = json_object_ref (object);
      config = gb_machine_config_new_from_vmm_json (object, self->machines_dir);
      _gb_machine_set_config (GB_MACHINE (self), config);
      _gb_machine_set_state (GB_MACHINE (self), GB_MACHINE_STATE_SHUTOFF);
      update_saved_at (self);
    }
  else
    {
      self->error = g_strdup (error->message);
      _gb_machine_set_state (GB_MACHINE (self), GB_MACHINE_STATE_UNKNOWN);
    }

  return self;
}

const char *
gb_bundled_machine_get_file (GbBundledMachine *self)
{
  g_return_val_if_fail (GB_IS_BUNDLED_MACHINE (self), NULL);

  return self->file;
}

const char *
gb_bundled_machine_get_run_dir (GbBundledMachine *self)
{
  g_return_val_if_fail (GB_IS_BUNDLED_MACHINE (self), NULL);

  return self->run_dir;
}

/**
 * gb_bundled_machine_get_error:
 *
 * Returns: (nullable): why the machine file cannot be used; %NULL when it can
 */
const char *
gb_bundled_machine_get_error (GbBundledMachine *self)
{
  g_return_val_if_fail (GB_IS_BUNDLED_MACHINE (self), NULL);

  return self->error;
}

/**
 * gb_bundled_machine_get_crash_log:
 *
 * Returns: (nullable): the last lines of glassbox-vmm's log when the
 *   machine is %GB_MACHINE_STATE_CRASHED
 */
const char *
gb_bundled_machine_get_crash_log (GbBundledMachine *self)
{
  g_return_val_if_fail (GB_IS_BUNDLED_MACHINE (self), NULL);

  return self->crash_log;
}

JsonObject *
gb_bundled_machine_get_json (GbBundledMachine *self)
{
  g_return_val_if_fail (GB_IS_BUNDLED_MACHINE (self), NULL);

  return self->json;
}

GPid
gb_bundled_machine_get_pid (GbBundledMachine *self)
{
  g_return_val_if_fail (GB_IS_BUNDLED_MACHINE (self), 0);

  return self->client != NULL ? self->pid : 0;
}
