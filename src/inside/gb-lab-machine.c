/* gb-lab-machine.c — a throw-away glassbox-vmm running one tiny guest
 *
 * The Lab's experiments, and the tests of the Inside model, run their
 * guests in one of these: a transient `glassbox-vmm run --paused` whose
 * control socket lives in a temporary folder, spoken to through
 * GbVmmClient.  query_internals is query-stats; resume, pause and
 * force-off are the socket's commands.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <sys/prctl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "gb-install-dirs.h"
#include "gb-lab-machine.h"
#include "gb-machine-private.h"
#include "gb-vmm-locate.h"

struct _GbLabMachine
{
  GbMachine     parent_instance;

  GSubprocess  *process;
  GPid          pid;
  char         *dir;
  char         *socket_path;
  GbVmmClient  *client;
};

G_DEFINE_FINAL_TYPE (GbLabMachine, gb_lab_machine, GB_TYPE_MACHINE)

char *
gb_lab_find_guest (const char  *name,
                   GError     **error)
{
  const char *env = g_getenv ("GLASSBOX_LAB_DIR");
  g_autofree char *file = g_strconcat (name, ".elf", NULL);
  char *path;

  if (env != NULL && *env != '\0')
    path = g_build_filename (env, file, NULL);
  else if (gb_install_dirs_running_uninstalled ())
    path = g_build_filename (BUILD_ROOT, "lab", "guests", file, NULL);
  else
    {
      g_autofree char *dir = gb_install_dirs_get (LAB_DIR);
      g_autofree char *configured = g_build_filename (LAB_DIR, file, NULL);

      /* The prefix this program runs from first, then the configured one. */
      path = g_build_filename (dir, file, NULL);
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)
          && g_file_test (configured, G_FILE_TEST_IS_REGULAR))
        {
          g_free (path);
          path = g_steal_pointer (&configured);
        }
    }

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("The Lab’s guest %s is not installed"), path);
      g_free (path);
      return NULL;
    }
  return path;
}

/* ---- launching ---------------------------------------------------------- */

/* In the child before exec: a Lab machine never outlives the program that
 * started it, even when that program crashes. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

typedef struct {
  GbLabMachine *machine;
  guint         timeout_id;
  guint         tries;
} LaunchData;

static void
launch_data_free (gpointer data)
{
  LaunchData *ld = data;

  g_clear_handle_id (&ld->timeout_id, g_source_remove);
  g_clear_object (&ld->machine);
  g_free (ld);
}

static void
on_process_exit (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(GbLabMachine) self = g_weak_ref_get (weak);

  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  g_weak_ref_clear (weak);
  g_free (weak);
  if (self == NULL)
    return;
  self->pid = 0;
  _gb_machine_set_state (GB_MACHINE (self), GB_MACHINE_STATE_SHUTOFF);
}

static void
client_ready (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LaunchData *ld = g_task_get_task_data (task);
  GError *error = NULL;

  ld->machine->client = gb_vmm_client_new_finish (result, &error);
  if (ld->machine->client == NULL)
    {
      gb_lab_machine_terminate (ld->machine);
      g_task_return_error (task, error);
      return;
    }
  _gb_machine_set_state (GB_MACHINE (ld->machine), GB_MACHINE_STATE_PAUSED);
  g_task_return_pointer (task, g_object_ref (ld->machine), g_object_unref);
}

/* The VMM creates its socket once the machine is built: look every 10 ms. */
static gboolean
wait_for_socket (gpointer data)
{
  GTask *task = data;
  LaunchData *ld = g_task_get_task_data (task);

  if (g_file_test (ld->machine->socket_path, G_FILE_TEST_EXISTS))
    {
      ld->timeout_id = 0;
      gb_vmm_client_new_async (ld->machine->socket_path, g_task_get_cancellable (task),
                               client_ready, g_object_ref (task));
      g_object_unref (task);
      return G_SOURCE_REMOVE;
    }
  if (ld->machine->pid == 0 || ++ld->tries > 1000 ||
      g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      ld->timeout_id = 0;
      gb_lab_machine_terminate (ld->machine);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("glassbox-vmm did not start the guest"));
      g_object_unref (task);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

void
gb_lab_machine_launch_async (const char          *name,
                             const char          *guest,
                             const char          *cmdline,
                             const char * const  *extra_args,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *vmm = NULL;
  g_autofree char *socket_arg = NULL;
  GError *error = NULL;
  LaunchData *ld;
  GbLabMachine *self;
  const char *pid_text;

  g_task_set_source_tag (task, gb_lab_machine_launch_async);
  if ((vmm = gb_vmm_find_binary (&error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  self = g_object_new (GB_TYPE_LAB_MACHINE, "name", name, NULL);
  ld = g_new0 (LaunchData, 1);
  ld->machine = self;
  g_task_set_task_data (task, ld, launch_data_free);

  self->dir = g_dir_make_tmp ("glassbox-lab-XXXXXX", &error);
  if (self->dir == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  self->socket_path = g_build_filename (self->dir, "api.sock", NULL);
  socket_arg = g_strconcat ("--api-socket=", self->socket_path, NULL);

  g_ptr_array_add (argv, g_strdup (vmm));
  g_ptr_array_add (argv, g_strdup ("run"));
  g_ptr_array_add (argv, g_strdup ("--kernel"));
  g_ptr_array_add (argv, g_strdup (guest));
  g_ptr_array_add (argv, g_strdup ("--cmdline"));
  g_ptr_array_add (argv, g_strdup (cmdline ? cmdline : ""));
  g_ptr_array_add (argv, g_strdup ("--memory=32"));
  g_ptr_array_add (argv, g_strdup ("--serial=none"));
  g_ptr_array_add (argv, g_strdup ("--console=file=/dev/null"));
  g_ptr_array_add (argv, g_strdup ("--paused"));
  g_ptr_array_add (argv, g_strdup (socket_arg));
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (extra_args[i]));
  g_ptr_array_add (argv, NULL);

  {
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);

    g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
    self->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  }
  if (self->process == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  pid_text = g_subprocess_get_identifier (self->process);
  self->pid = pid_text ? (GPid) g_ascii_strtoll (pid_text, NULL, 10) : 0;
  {
    /* Weak: dropping the machine ends the VMM (dispose), not the reverse. */
    GWeakRef *weak = g_new0 (GWeakRef, 1);

    g_weak_ref_init (weak, self);
    g_subprocess_wait_async (self->process, NULL, on_process_exit, weak);
  }

  ld->timeout_id = g_timeout_add (10, wait_for_socket, g_object_ref (task));
}

GbLabMachine *
gb_lab_machine_launch_finish (GAsyncResult  *result,
                              GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

GbVmmClient *
gb_lab_machine_get_client (GbLabMachine *self)
{
  g_return_val_if_fail (GB_IS_LAB_MACHINE (self), NULL);
  return self->client;
}

GPid
gb_lab_machine_get_pid (GbLabMachine *self)
{
  g_return_val_if_fail (GB_IS_LAB_MACHINE (self), 0);
  return self->pid;
}

double
gb_lab_machine_get_cpu_time (GbLabMachine *self)
{
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after;

  g_return_val_if_fail (GB_IS_LAB_MACHINE (self), 0);

  if (self->pid == 0)
    return 0;
  path = g_strdup_printf ("/proc/%d/stat", (int) self->pid);
  if (!g_file_get_contents (path, &text, NULL, NULL) || (after = strrchr (text, ')')) == NULL)
    return 0;
  /* proc(5): after "(comm)", field 3 is the state; utime and stime are
   * fields 14 and 15, in clock ticks. */
  fields = g_strsplit (after + 2, " ", 0);
  if (g_strv_length (fields) < 13)
    return 0;
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) / sysconf (_SC_CLK_TCK);
}

double
gb_lab_machine_get_vcpu_time (GbLabMachine *self)
{
  g_autofree char *task_dir = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *tid;
  double seconds = 0;

  g_return_val_if_fail (GB_IS_LAB_MACHINE (self), 0);

  if (self->pid == 0)
    return 0;
  task_dir = g_strdup_printf ("/proc/%d/task", (int) self->pid);
  if ((dir = g_dir_open (task_dir, 0, NULL)) == NULL)
    return 0;
  while ((tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *comm_path = g_build_filename (task_dir, tid, "comm", NULL);
      g_autofree char *stat_path = g_build_filename (task_dir, tid, "schedstat", NULL);
      g_autofree char *comm = NULL;
      g_autofree char *stat = NULL;

      if (!g_file_get_contents (comm_path, &comm, NULL, NULL) || !g_str_has_prefix (comm, "vcpu"))
        continue;
      if (g_file_get_contents (stat_path, &stat, NULL, NULL))
        seconds += g_ascii_strtod (stat, NULL) / 1e9;
    }
  return seconds;
}

void
gb_lab_machine_terminate (GbLabMachine *self)
{
  g_return_if_fail (GB_IS_LAB_MACHINE (self));

  if (self->process != NULL && self->pid != 0)
    g_subprocess_send_signal (self->process, SIGTERM);
}

/* ---- GbMachine ----------------------------------------------------------- */

static void
command_done (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GbLabMachine *self = g_task_get_source_object (task);
  GError *error = NULL;
  JsonNode *reply = gb_vmm_client_execute_finish (GB_VMM_CLIENT (object), result, &error);
  const char *command = g_task_get_task_data (task);

  if (reply == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_str_equal (command, "resume"))
    _gb_machine_set_state (GB_MACHINE (self), GB_MACHINE_STATE_RUNNING);
  else if (g_str_equal (command, "pause"))
    _gb_machine_set_state (GB_MACHINE (self), GB_MACHINE_STATE_PAUSED);
  g_task_return_pointer (task, reply, (GDestroyNotify) json_node_unref);
}

static void
run_command (GbMachine           *machine,
             const char          *command,
             gpointer             source_tag,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  GbLabMachine *self = GB_LAB_MACHINE (machine);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, (gpointer) command, NULL);
  if (self->client == NULL || !gb_vmm_client_get_connected (self->client))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                               _("The Lab’s machine has stopped"));
      g_object_unref (task);
      return;
    }
  gb_vmm_client_execute_async (self->client, command, NULL, cancellable, command_done, task);
}

static void
gb_lab_machine_resume_async (GbMachine *machine, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  run_command (machine, "resume", gb_lab_machine_resume_async, cancellable, callback, user_data);
}

static void
gb_lab_machine_pause_async (GbMachine *machine, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  run_command (machine, "pause", gb_lab_machine_pause_async, cancellable, callback, user_data);
}

static void
gb_lab_machine_force_off_async (GbMachine *machine, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  run_command (machine, "stop", gb_lab_machine_force_off_async, cancellable, callback, user_data);
}

static gboolean
gb_lab_machine_action_finish (GbMachine     *machine,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_autoptr(JsonNode) reply = g_task_propagate_pointer (G_TASK (result), error);

  return reply != NULL;
}

static void
gb_lab_machine_query_internals_async (GbMachine *machine, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  run_command (machine, "query-stats", gb_lab_machine_query_internals_async, cancellable, callback, user_data);
}

static JsonNode *
gb_lab_machine_query_internals_finish (GbMachine     *machine,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
gb_lab_machine_dispose (GObject *object)
{
  GbLabMachine *self = GB_LAB_MACHINE (object);

  if (self->client != NULL)
    gb_vmm_client_close (self->client);
  g_clear_object (&self->client);
  /* A machine nobody holds any more must not outlive us. */
  if (self->process != NULL && self->pid != 0)
    g_subprocess_force_exit (self->process);
  g_clear_object (&self->process);

  G_OBJECT_CLASS (gb_lab_machine_parent_class)->dispose (object);
}

static void
gb_lab_machine_finalize (GObject *object)
{
  GbLabMachine *self = GB_LAB_MACHINE (object);

  if (self->socket_path != NULL)
    g_unlink (self->socket_path);
  if (self->dir != NULL)
    g_rmdir (self->dir);
  g_free (self->socket_path);
  g_free (self->dir);

  G_OBJECT_CLASS (gb_lab_machine_parent_class)->finalize (object);
}

static void
gb_lab_machine_class_init (GbLabMachineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GbMachineClass *machine_class = GB_MACHINE_CLASS (klass);

  object_class->dispose = gb_lab_machine_dispose;
  object_class->finalize = gb_lab_machine_finalize;
  machine_class->resume_async = gb_lab_machine_resume_async;
  machine_class->pause_async = gb_lab_machine_pause_async;
  machine_class->force_off_async = gb_lab_machine_force_off_async;
  machine_class->action_finish = gb_lab_machine_action_finish;
  machine_class->query_internals_async = gb_lab_machine_query_internals_async;
  machine_class->query_internals_finish = gb_lab_machine_query_internals_finish;
}

static void
gb_lab_machine_init (GbLabMachine *self)
{
}
