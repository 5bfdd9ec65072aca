/* gb-quit.c — quitting with embedded machines running: ask, stop them, then quit
 *
 * A connection's row promises that an embedded connection's machines stop
 * when Glassbox quits (qemu:///embed runs QEMU from our process, but QEMU
 * itself is a daemon: left alone it outlives us with parent 1). So quitting
 * with such machines running asks first — Shut Down, Force Off or Cancel —
 * and quits only once they have stopped. A guest that ignores the power
 * button is forced off after the "shutdown-timeout" setting (seconds).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gb-machine.h"
#include "gb-quit.h"

typedef void (*QuitFunc) (gpointer data);

typedef struct {
  GbApplication    *app;
  GPtrArray        *machines;   /* GbMachine */
  QuitFunc          quit;
  gpointer          data;
  AdwMessageDialog *waiting;    /* "Shutting Down…", while we wait (weak) */
  guint             poll_id;
  gint64            deadline;   /* monotonic µs; then forced off */
  gboolean          forced;
} QuitJob;

#define JOB_KEY "gb-quit-job"

static gboolean
machine_is_running (GbMachine *machine)
{
  GbMachineState state = gb_machine_get_state (machine);

  return state != GB_MACHINE_STATE_SHUTOFF && state != GB_MACHINE_STATE_CRASHED;
}

/**
 * gb_quit_find_embedded_machines:
 *
 * Returns: (transfer container): the running machines of every connection
 * whose machines stop with the app (embedded ones)
 */
GPtrArray *
gb_quit_find_embedded_machines (GbApplication *app)
{
  GListModel *providers = gb_application_get_providers (app);
  GPtrArray *machines = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < g_list_model_get_n_items (providers); i++)
    {
      g_autoptr(GbProvider) provider = g_list_model_get_item (providers, i);
      GListModel *list;

      if (!gb_provider_get_transient (provider) ||
          gb_provider_get_state (provider) != GB_PROVIDER_STATE_CONNECTED)
        continue;
      list = gb_provider_get_machines (provider);
      for (guint j = 0; j < g_list_model_get_n_items (list); j++)
        {
          g_autoptr(GbMachine) machine = g_list_model_get_item (list, j);

          if (machine_is_running (machine))
            g_ptr_array_add (machines, g_steal_pointer (&machine));
        }
    }

  return machines;
}

static void
quit_job_finish (QuitJob *job)
{
  g_clear_handle_id (&job->poll_id, g_source_remove);
  if (job->waiting != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (job->waiting), (gpointer *) &job->waiting);
      gtk_window_destroy (GTK_WINDOW (job->waiting));
    }
  g_object_set_data (G_OBJECT (job->app), JOB_KEY, NULL);

  job->quit (job->data);

  g_application_release (G_APPLICATION (job->app));
  g_ptr_array_unref (job->machines);
  g_object_unref (job->app);
  g_free (job);
}

static void
force_off_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* A machine that stopped meanwhile answers "not running": fine. */
  if (!gb_machine_force_off_finish (GB_MACHINE (object), result, &error))
    g_debug ("Forcing %s off on quit: %s", gb_machine_get_name (GB_MACHINE (object)), error->message);
}

static void
shutdown_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!gb_machine_shutdown_finish (GB_MACHINE (object), result, &error))
    g_debug ("Shutting %s down on quit: %s", gb_machine_get_name (GB_MACHINE (object)), error->message);
}

static void
force_off_all (QuitJob *job)
{
  job->forced = TRUE;
  for (guint i = 0; i < job->machines->len; i++)
    {
      GbMachine *machine = g_ptr_array_index (job->machines, i);

      if (machine_is_running (machine))
        gb_machine_force_off_async (machine, NULL, force_off_cb, NULL);
    }
}

static gboolean
poll_machines (gpointer user_data)
{
  QuitJob *job = user_data;

  for (guint i = 0; i < job->machines->len; i++)
    if (machine_is_running (g_ptr_array_index (job->machines, i)))
      {
        if (!job->forced && g_get_monotonic_time () > job->deadline)
          force_off_all (job);
        return G_SOURCE_CONTINUE;
      }

  job->poll_id = 0;
  quit_job_finish (job);
  return G_SOURCE_REMOVE;
}

static void
waiting_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     QuitJob          *job)
{
  if (g_str_equal (response, "force-off") && !job->forced)
    force_off_all (job);
}

static void
show_waiting (QuitJob   *job,
              GtkWindow *parent,
              guint      timeout)
{
  g_autofree char *body = g_strdup_printf (ngettext ("Glassbox quits when the machine has stopped. "
                                                     "If it has not stopped after %u seconds, it is forced off.",
                                                     "Glassbox quits when the machines have stopped. "
                                                     "Those still running after %u seconds are forced off.",
                                                     job->machines->len), timeout);
  GtkWidget *dialog = adw_message_dialog_new (parent, _("Shutting Down…"), body);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "force-off", _("_Force Off Now"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "force-off",
                                              ADW_RESPONSE_DESTRUCTIVE);
  g_signal_connect (dialog, "response", G_CALLBACK (waiting_response_cb), job);
  /* Weak: closed by the user (Escape), it just goes; we keep waiting. */
  job->waiting = ADW_MESSAGE_DIALOG (dialog);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &job->waiting);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
ask_response_cb (AdwMessageDialog *dialog,
                 const char       *response,
                 QuitJob          *job)
{
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (dialog));
  guint timeout = 60;
  GSettings *settings = gb_application_get_settings (job->app);

  if (g_str_equal (response, "cancel"))
    {
      g_object_set_data (G_OBJECT (job->app), JOB_KEY, NULL);
      g_application_release (G_APPLICATION (job->app));
      g_ptr_array_unref (job->machines);
      g_object_unref (job->app);
      g_free (job);
      return;
    }

  if (settings != NULL)
    timeout = g_settings_get_uint (settings, "shutdown-timeout");
  job->deadline = g_get_monotonic_time () + (gint64) timeout * G_USEC_PER_SEC;

  if (g_str_equal (response, "shutdown"))
    {
      for (guint i = 0; i < job->machines->len; i++)
        gb_machine_shutdown_async (g_ptr_array_index (job->machines, i), NULL, shutdown_cb, NULL);
      show_waiting (job, parent, timeout);
    }
  else
    force_off_all (job);

  job->poll_id = g_timeout_add (200, poll_machines, job);
}

/**
 * gb_quit_ask_and_stop:
 * @quit: (scope async): `void quit (gpointer data)`, called once every
 *   embedded machine has stopped (not at all when the user cancels)
 *
 * Asks whether to shut the running embedded machines down or force them
 * off, does so, then calls @quit. A second call while one is under way
 * shows the question again.
 */
void
gb_quit_ask_and_stop (GbApplication *app,
                      GtkWindow     *parent,
                      GCallback      quit,
                      gpointer       data)
{
  g_autofree char *body = NULL;
  GtkWidget *dialog;
  QuitJob *job;

  if ((job = g_object_get_data (G_OBJECT (app), JOB_KEY)) != NULL)
    {
      if (job->waiting != NULL)
        gtk_window_present (GTK_WINDOW (job->waiting));
      return;
    }

  job = g_new0 (QuitJob, 1);
  job->app = g_object_ref (app);
  job->machines = gb_quit_find_embedded_machines (app);
  job->quit = (QuitFunc) quit;
  job->data = data;
  g_object_set_data (G_OBJECT (app), JOB_KEY, job);
  /* The windows may close meanwhile: the application stays until we quit. */
  g_application_hold (G_APPLICATION (app));

  if (job->machines->len == 1)
    /* Translators: %s is a machine's name */
    body = g_strdup_printf (_("“%s” runs on an embedded connection: it stops when Glassbox quits."),
                            gb_machine_get_name (g_ptr_array_index (job->machines, 0)));
  else
    body = g_strdup_printf (ngettext ("%u machine runs on an embedded connection: it stops when Glassbox quits.",
                                      "%u machines run on embedded connections: they stop when Glassbox quits.",
                                      job->machines->len),
                            job->machines->len);

  dialog = adw_message_dialog_new (parent,
                                   ngettext ("Stop the Running Machine?", "Stop the Running Machines?",
                                             job->machines->len),
                                   body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "force-off", _("_Force Off"),
                                    "shutdown", _("_Shut Down"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "force-off",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "shutdown",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "shutdown");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (ask_response_cb), job);
  gtk_window_present (GTK_WINDOW (dialog));
}
