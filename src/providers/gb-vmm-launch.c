/* gb-vmm-launch.c — start glassbox-vmm for a machine file, detached
 *
 * The VMM is started --paused and connected to before the guest's first
 * instruction, so its owner misses no event.  GSubprocess reaps it while
 * this process lives; setsid() keeps it running after we quit (a libvirt
 * session domain outlives virt-manager the same way).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "gb-vmm-launch.h"
#include "gb-vmm-locate.h"

/* How long glassbox-vmm may take to assemble the machine and listen. */
#define SOCKET_TIMEOUT_US (20 * G_USEC_PER_SEC)

typedef struct {
  GTask       *task;         /* until it completes */
  char        *run_dir;
  char        *api;
  gint64       deadline;
  guint        timeout_id;
  gboolean     done;
  /* Held by the process wait, the socket poll and the connection attempt:
   * the VMM may die while we are still connecting. */
  gint         refs;
} Launch;

static Launch *
launch_ref (Launch *launch)
{
  launch->refs++;
  return launch;
}

static void
launch_unref (Launch *launch)
{
  if (--launch->refs > 0)
    return;

  g_clear_object (&launch->task);
  g_free (launch->run_dir);
  g_free (launch->api);
  g_free (launch);
}

char *
gb_vmm_log_read_tail (const char *run_dir,
                      guint       n_lines)
{
  g_autofree char *path = g_build_filename (run_dir, GB_VMM_LOG_FILE, NULL);
  g_autofree char *contents = NULL;
  gsize length = 0;
  const char *start;
  guint seen = 0;

  if (!g_file_get_contents (path, &contents, &length, NULL) || length == 0)
    return NULL;

  while (length > 0 && contents[length - 1] == '\n')
    contents[--length] = '\0';
  start = contents + length;
  while (start > contents)
    {
      if (start[-1] == '\n' && ++seen == n_lines)
        break;
      start--;
    }

  return g_utf8_make_valid (start, -1);
}

void
gb_vmm_log_append (const char *run_dir,
                   const char *what)
{
  g_autofree char *path = g_build_filename (run_dir, GB_VMM_LOG_FILE, NULL);
  g_autofree char *line = g_strdup_printf ("glassbox: %s\n", what);
  int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

  if (fd < 0)
    return;
  if (write (fd, line, strlen (line)) < 0)
    g_debug ("%s: %s", path, g_strerror (errno));
  close (fd);
}

/* Fails the launch, with what the VMM said (not our own "glassbox:" lines). */
static void
launch_fail (Launch *launch,
             GError *error)
{
  g_autofree char *tail = gb_vmm_log_read_tail (launch->run_dir, 5);
  g_autoptr(GString) said = g_string_new (NULL);

  g_clear_handle_id (&launch->timeout_id, g_source_remove);
  if (launch->done)
    {
      g_error_free (error);
      return;
    }
  launch->done = TRUE;

  if (tail != NULL)
    {
      g_auto(GStrv) lines = g_strsplit (tail, "\n", -1);

      for (guint i = 0; lines[i] != NULL; i++)
        if (*lines[i] != '\0' && !g_str_has_prefix (lines[i], "glassbox: "))
          g_string_append_printf (said, "%s\n", lines[i]);
    }
  if (said->len > 0)
    g_prefix_error (&error, "%s", said->str);

  g_task_return_error (launch->task, error);
  g_clear_object (&launch->task);
}

static void
connect_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Launch *launch = user_data;
  GbVmmClient *client;
  GError *error = NULL;

  client = gb_vmm_client_new_finish (result, &error);
  if (client == NULL)
    launch_fail (launch, error);
  else if (launch->done)
    g_object_unref (client);   /* it ended meanwhile */
  else
    {
      launch->done = TRUE;
      g_task_return_pointer (launch->task, client, g_object_unref);
      g_clear_object (&launch->task);
    }
  launch_unref (launch);
}

static gboolean
wait_socket (gpointer user_data)
{
  Launch *launch = user_data;

  if (launch->done)
    {
      launch->timeout_id = 0;
      return G_SOURCE_REMOVE;
    }

  /* A short wait: a folder monitor would be more machinery than it saves. */
  if (g_file_test (launch->api, G_FILE_TEST_EXISTS))
    {
      launch->timeout_id = 0;
      gb_vmm_client_new_async (launch->api, NULL, connect_cb, launch_ref (launch));
      return G_SOURCE_REMOVE;
    }

  if (g_get_monotonic_time () > launch->deadline)
    {
      launch->timeout_id = 0;
      launch_fail (launch, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                                _("The virtual machine monitor did not open its control socket")));
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

static void
process_exited_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Launch *launch = user_data;
  GSubprocess *process = G_SUBPROCESS (object);

  g_subprocess_wait_finish (process, result, NULL);

  /* Ended before we were connected: that is a failed start. */
  if (!launch->done)
    {
      g_autofree char *why = NULL;

      if (g_subprocess_get_if_exited (process))
        why = g_strdup_printf (_("The virtual machine monitor exited with status %d"),
                               g_subprocess_get_exit_status (process));
      else
        why = g_strdup (_("The virtual machine monitor was killed"));
      launch_fail (launch, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, why));
    }

  launch_unref (launch);
}

static void
child_setup (gpointer user_data)
{
  /* Its own session: no SIGHUP or terminal signals when the app (or its
   * terminal) goes. */
  setsid ();
}

void
gb_vmm_launch_async (const char          *config_file,
                     const char          *work_dir,
                     const char          *run_dir,
                     const char          *restore_file,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *vmm = NULL;
  g_autofree char *api = g_build_filename (run_dir, GB_VMM_API_SOCKET, NULL);
  g_autofree char *serial = g_build_filename (run_dir, GB_VMM_SERIAL_SOCKET, NULL);
  g_autofree char *log = g_build_filename (run_dir, GB_VMM_LOG_FILE, NULL);
  g_autofree char *serial_arg = g_strconcat ("socket=", serial, NULL);
  g_autofree char *header = NULL;
  g_autofree char *command_line = NULL;
  GError *error = NULL;
  Launch *launch;
  int log_fd;

  g_task_set_source_tag (task, gb_vmm_launch_async);

  if (!(vmm = gb_vmm_find_binary (&error)))
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_mkdir_with_parents (run_dir, 0700) < 0)
    {
      int errsv = errno;
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (errsv),
                               _("Cannot create %s: %s"), run_dir, g_strerror (errsv));
      return;
    }
  /* A stale control socket of a killed run would look like a live one. */
  g_unlink (api);

  {
    const char *argv[] = { vmm, "run", "--config", config_file, "--api-socket", api,
                           "--serial", serial_arg, "--paused",
                           restore_file ? "--restore" : NULL, restore_file, NULL };

    command_line = g_strjoinv (" ", (char **) argv);
    header = g_strdup_printf ("glassbox: %s\n", command_line);

    log_fd = open (log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (log_fd < 0)
      {
        int errsv = errno;
        g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (errsv),
                                 _("Cannot create %s: %s"), log, g_strerror (errsv));
        return;
      }
    if (write (log_fd, header, strlen (header)) < 0)
      g_debug ("%s: %s", log, g_strerror (errno));

    launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
    g_subprocess_launcher_set_stdin_file_path (launcher, "/dev/null");
    g_subprocess_launcher_take_stdout_fd (launcher, log_fd);
    g_subprocess_launcher_set_cwd (launcher, work_dir);
    /* So that the log says why it stopped. */
    g_subprocess_launcher_setenv (launcher, "GLASSBOX_VMM_VERBOSE", "1", TRUE);
    g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
    process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  }
  if (process == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  launch = g_new0 (Launch, 1);
  launch->refs = 1;   /* the process wait's */
  launch->task = g_steal_pointer (&task);
  launch->run_dir = g_strdup (run_dir);
  launch->api = g_steal_pointer (&api);
  launch->deadline = g_get_monotonic_time () + SOCKET_TIMEOUT_US;
  launch->timeout_id = g_timeout_add_full (G_PRIORITY_DEFAULT, 20, wait_socket,
                                           launch_ref (launch), (GDestroyNotify) launch_unref);
  g_subprocess_wait_async (process, NULL, process_exited_cb, launch);
}

/**
 * gb_vmm_launch_finish:
 *
 * Returns: (transfer full): a client connected to the paused VMM
 */
GbVmmClient *
gb_vmm_launch_finish (GAsyncResult  *result,
                      GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
