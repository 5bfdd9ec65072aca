/* test-quit-embedded.c — an embedded connection's machines stop when Glassbox quits
 *
 * The row of a qemu:///embed connection promises "its machines stop when
 * Glassbox quits"; QEMU is a daemon, so without care it lives on with
 * parent 1. Here Glassbox's own tiny Linux (src/creator/gb-tiny-linux.sh)
 * runs on an embedded connection under TCG, and app.quit:
 *   - asks (Shut Down / Force Off / Cancel); Cancel keeps everything;
 *   - Shut Down presses the ACPI power button: the tiny Linux powers off
 *     (its serial line says it saw the button), the QEMU process whose PID
 *     the test read from libvirt's state folder is gone, then the app quits;
 *   - started again, Force Off ends QEMU at once;
 *   - a machine found running when the connection opens again (as after a
 *     crash of Glassbox) is adopted: listed as running, asked about on
 *     quit, and forced off.
 * Before that, Shut Down from the window: the machine reads "Shutting
 * down…" until the tiny Linux has powered off; a second one booted with
 * acpi=off ignores the button, and after the "shutdown-timeout" setting the
 * window says it has not shut down and offers Force Off.
 * Suite 'libvirt' (QEMU runs): ~60 s with QEMU's capabilities cached.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>
#include <adwaita.h>

#include "gb-application.h"
#include "gb-libvirt-autoptr.h"
#include "gb-libvirt-provider.h"
#include "gb-test-gtk-utils.h"
#include "gb-window.h"

#define DOMAIN_NAME "gb-quit-embedded"
#define DEAF_NAME "gb-quit-embedded-deaf"

typedef struct {
  char *log;     /* the serial line, as a file */
  char *root;    /* the embedded driver's root */
} Paths;

/* "stem-en.png", "stem-zh_CN.png": both languages' runs keep their PNGs. */
static const char *
png_name (const char *stem)
{
  static char name[128];
  const char *lang = g_getenv ("LANGUAGE");

  g_snprintf (name, sizeof name, "%s-%s.png", stem, lang && *lang ? lang : "C");
  return name;
}

static gboolean
have_program (const char *name)
{
  g_autofree char *path = g_find_program_in_path (name);

  return path != NULL;
}

static gboolean
provider_settled (gpointer data)
{
  return gb_provider_get_state (data) != GB_PROVIDER_STATE_CONNECTING;
}

static gboolean
log_has (const char *log,
         const char *text)
{
  g_autofree char *contents = NULL;
  gsize len;

  if (!g_file_get_contents (log, &contents, &len, NULL))
    return FALSE;
  /* The serial log may hold NULs (terminal queries): search all of it. */
  return memmem (contents, len, text, strlen (text)) != NULL;
}

static gboolean
guest_up (gpointer data)
{
  return log_has (data, "GLASSBOX-TINY-LINUX-UP");
}

/* The PID libvirt wrote for the machine's QEMU, found under the root. */
static GPid
find_qemu_pid (const char *dir,
               const char *domain)
{
  g_autofree char *pid_name = g_strconcat (domain, ".pid", NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      GPid pid;

      if (g_str_equal (name, pid_name))
        {
          g_autofree char *text = NULL;

          if (g_file_get_contents (path, &text, NULL, NULL) && (pid = atoi (text)) > 0)
            return pid;
        }
      else if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK) &&
               (pid = find_qemu_pid (path, domain)) > 0)
        return pid;
    }
  return 0;
}

/* Gone, or a zombie nobody reaped yet (its parent is init). */
static gboolean
process_gone (gpointer data)
{
  GPid pid = GPOINTER_TO_INT (data);
  g_autofree char *stat_path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *stat = NULL;
  const char *paren;

  if (kill (pid, 0) != 0 && errno == ESRCH)
    return TRUE;
  if (!g_file_get_contents (stat_path, &stat, NULL, NULL))
    return TRUE;
  paren = strrchr (stat, ')');
  return paren != NULL && paren[1] == ' ' && paren[2] == 'Z';
}

static gboolean
message_dialog_shown (gpointer data)
{
  return gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

static gboolean
no_main_window (gpointer data)
{
  for (GList *l = gtk_application_get_windows (data); l != NULL; l = l->next)
    if (GB_IS_WINDOW (l->data))
      return FALSE;
  return TRUE;
}

static gboolean
machine_listed (gpointer data)
{
  return gb_provider_find_machine (data, DOMAIN_NAME) != NULL;
}

static gboolean
machine_running (gpointer data)
{
  return gb_machine_get_state (data) == GB_MACHINE_STATE_RUNNING;
}

static gboolean
machine_shutting_down (gpointer data)
{
  return gb_machine_get_state (data) == GB_MACHINE_STATE_SHUTTING_DOWN;
}

static gboolean
machine_off (gpointer data)
{
  return gb_machine_get_state (data) == GB_MACHINE_STATE_SHUTOFF;
}

static void
start_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      data)
{
  g_autoptr(GError) error = NULL;

  gb_machine_start_finish (GB_MACHINE (object), result, &error);
  g_assert_no_error (error);
}

/* Starts the machine and returns its QEMU's PID once the guest is up. */
static GPid
start_machine (GbMachine   *machine,
               const Paths *paths)
{
  GPid pid;

  g_remove (paths->log);
  gb_machine_start_async (machine, NULL, start_cb, NULL);
  g_assert_true (gb_test_wait_until_ms (guest_up, paths->log, 180000));
  pid = find_qemu_pid (paths->root, gb_machine_get_name (machine));
  g_assert_cmpint (pid, >, 0);
  g_assert_false (process_gone (GINT_TO_POINTER (pid)));
  g_test_message ("QEMU runs as PID %d", pid);
  return pid;
}

/* Quits and answers the question with @response, as a click does. */
static AdwMessageDialog *
quit_and_answer (GbApplication *app,
                 const char    *response,
                 const char    *png)
{
  AdwMessageDialog *dialog;

  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  g_assert_true (gb_test_wait_until_ms (message_dialog_shown, NULL, 10000));
  dialog = ADW_MESSAGE_DIALOG (gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_true (adw_message_dialog_has_response (dialog, "shutdown"));
  g_assert_true (adw_message_dialog_has_response (dialog, "force-off"));
  g_assert_true (adw_message_dialog_has_response (dialog, "cancel"));
  if (png != NULL)
    gb_test_save_png (GTK_WIDGET (dialog), png);
  adw_message_dialog_response (dialog, response);
  gtk_window_destroy (GTK_WINDOW (dialog));

  return ADW_MESSAGE_DIALOG (gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG));
}

static GVirDomain *
define_domain (GbProvider  *provider,
               const char  *name,
               GStrv        files,
               const char  *log,
               const char  *cmdline)
{
  g_autoptr(GVirConfigDomain) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  GVirDomain *domain;

  xml = g_strdup_printf (
    "<domain type='qemu'><name>%s</name><memory unit='MiB'>256</memory>"
    "<os><type arch='x86_64' machine='pc'>hvm</type>"
    "<kernel>%s</kernel><initrd>%s</initrd><cmdline>console=ttyS0 quiet no_timer_check%s</cmdline></os>"
    "<features><acpi/></features>"
    "<devices><serial type='file'><source path='%s'/></serial></devices></domain>",
    name, files[0], files[1], cmdline, log);
  config = gvir_config_domain_new_from_xml (xml, &error);
  g_assert_no_error (error);
  domain = gvir_connection_create_domain (gb_libvirt_provider_get_connection (GB_LIBVIRT_PROVIDER (provider)),
                                          config, &error);
  g_assert_no_error (error);
  while (gb_provider_find_machine (provider, name) == NULL)
    g_main_context_iteration (NULL, TRUE);
  return domain;
}

static void
test_quit_embedded (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gb-quit-embedded-XXXXXX", NULL);
  g_autofree char *tiny = g_build_filename (g_get_user_cache_dir (), "glassbox", "test-guests", "tiny-linux", NULL);
  g_autofree char *script = g_build_filename (GB_SRC_DIR, "src", "creator", "gb-tiny-linux.sh", NULL);
  g_autofree char *uri = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *rm = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GbApplication) app = NULL;
  g_autoptr(GVirDomain) domain = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "/bin/bash", script, tiny, NULL };
  g_autoptr(GVirDomain) deaf = NULL;
  g_autofree char *deaf_log = NULL;
  GbMachine *deaf_machine;
  Paths deaf_paths;
  AdwMessageDialog *waiting;
  Paths paths;
  GbProvider *provider;
  GbMachine *machine;
  GtkWidget *window;
  GPid pid;
  int status;
  gint64 t0;

  paths.root = g_build_filename (tmp, "libvirt", NULL);
  paths.log = g_build_filename (tmp, "serial.log", NULL);
  uri = g_strdup_printf ("qemu:///embed?root=%s", paths.root);

  if (!have_program ("qemu-system-x86_64"))
    {
      g_test_skip ("qemu-system-x86_64 is not installed");
      goto out;
    }
  /* The tiny Linux, as the wizard assembles it. */
  if (!g_spawn_sync (NULL, (char **) argv, NULL, 0, NULL, NULL, &out, &err, &status, &error))
    g_error ("Could not run %s: %s", script, error->message);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 77)
    {
      g_test_skip_printf ("cannot assemble the tiny Linux: %s", g_strstrip (err));
      goto out;
    }
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 2);

  app = gb_test_application_new ();
  /* Long enough that only the guest's own power-off can end it. */
  g_settings_set_uint (gb_application_get_settings (app), "shutdown-timeout", 600);
  provider = gb_application_open_connection (app, uri);
  g_assert_true (gb_test_wait_until_ms (provider_settled, provider, 180000));
  if (gb_provider_get_state (provider) != GB_PROVIDER_STATE_CONNECTED)
    {
      g_test_skip_printf ("cannot open %s: %s", uri, gb_provider_get_error (provider));
      goto out;
    }
  g_assert_true (gb_provider_get_transient (provider));

  domain = define_domain (provider, DOMAIN_NAME, lines, paths.log, "");
  machine = gb_provider_find_machine (provider, DOMAIN_NAME);
  deaf_log = g_build_filename (tmp, "deaf.log", NULL);
  deaf_paths.root = paths.root;
  deaf_paths.log = deaf_log;
  deaf = define_domain (provider, DEAF_NAME, lines, deaf_log, " acpi=off");
  deaf_machine = gb_provider_find_machine (provider, DEAF_NAME);

  window = GTK_WIDGET (gb_window_new (app));
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 680);
  gtk_window_present (GTK_WINDOW (window));

  /* Shut Down from the window: "Shutting down…" until the guest is off. */
  pid = start_machine (machine, &paths);
  gb_window_select_machine (GB_WINDOW (window), machine);
  g_assert_true (gtk_widget_activate_action (window, "machine.shutdown", NULL));
  g_assert_true (gb_test_wait_until_ms (machine_shutting_down, machine, 20000));
  gb_test_save_png (window, png_name ("shutting-down"));
  g_assert_true (gb_test_wait_until_ms (machine_off, machine, 120000));
  g_assert_true (log_has (paths.log, "GLASSBOX-TINY-LINUX-POWER-BUTTON"));
  g_assert_true (gb_test_wait_until_ms (process_gone, GINT_TO_POINTER (pid), 60000));

  /* A guest deaf to the button: after the timeout the window says so and
   * offers Force Off. */
  g_settings_set_uint (gb_application_get_settings (app), "shutdown-timeout", 3);
  pid = start_machine (deaf_machine, &deaf_paths);
  gb_window_select_machine (GB_WINDOW (window), deaf_machine);
  g_assert_true (gtk_widget_activate_action (window, "machine.shutdown", NULL));
  g_assert_true (gb_test_wait_until_ms (machine_shutting_down, deaf_machine, 20000));
  g_assert_true (gb_test_wait_until_ms (message_dialog_shown, NULL, 30000));
  {
    AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG));

    g_assert_true (adw_message_dialog_has_response (dialog, "force-off"));
    g_assert_true (adw_message_dialog_has_response (dialog, "wait"));
    gb_test_save_png (GTK_WIDGET (dialog), png_name ("shutdown-overdue"));
    adw_message_dialog_response (dialog, "force-off");
    gtk_window_destroy (GTK_WINDOW (dialog));
  }
  g_assert_true (gb_test_wait_until_ms (machine_off, deaf_machine, 60000));
  g_assert_true (gb_test_wait_until_ms (process_gone, GINT_TO_POINTER (pid), 60000));
  g_settings_set_uint (gb_application_get_settings (app), "shutdown-timeout", 600);

  pid = start_machine (machine, &paths);

  /* Cancel: nothing stops, nothing closes. */
  g_assert_null (quit_and_answer (app, "cancel", png_name ("quit-embedded-ask")));
  g_assert_false (no_main_window (app));
  g_assert_false (process_gone (GINT_TO_POINTER (pid)));

  /* Shut Down: the ACPI power button; the tiny Linux powers itself off,
   * QEMU ends, then the app quits. */
  t0 = g_get_monotonic_time ();
  waiting = quit_and_answer (app, "shutdown", NULL);
  g_assert_nonnull (waiting);
  g_assert_true (adw_message_dialog_has_response (waiting, "force-off"));
  gb_test_save_png (GTK_WIDGET (waiting), png_name ("quit-embedded-shutting-down"));
  g_assert_true (gb_test_wait_until_ms (process_gone, GINT_TO_POINTER (pid), 120000));
  g_test_message ("QEMU gone %.1f s after Shut Down", (g_get_monotonic_time () - t0) / 1e6);
  g_assert_true (log_has (paths.log, "GLASSBOX-TINY-LINUX-POWER-BUTTON"));
  g_assert_true (gb_test_wait_until_ms (no_main_window, app, 20000));
  g_assert_true (gb_test_wait_until_ms (machine_off, machine, 20000));

  /* Again, with a window, and Force Off. */
  window = GTK_WIDGET (gb_window_new (app));
  gtk_window_present (GTK_WINDOW (window));
  pid = start_machine (machine, &paths);
  g_assert_null (quit_and_answer (app, "force-off", NULL));
  g_assert_true (gb_test_wait_until_ms (process_gone, GINT_TO_POINTER (pid), 60000));
  g_assert_false (log_has (paths.log, "GLASSBOX-TINY-LINUX-POWER-BUTTON"));
  g_assert_true (gb_test_wait_until_ms (no_main_window, app, 20000));

  /* A machine found running when the connection opens (Glassbox was
   * killed, say) is adopted: listed as running, and it can be stopped. */
  gvir_domain_delete (deaf, 0, NULL);
  window = GTK_WIDGET (gb_window_new (app));
  gtk_window_present (GTK_WINDOW (window));
  pid = start_machine (machine, &paths);
  g_clear_object (&domain);
  gb_application_remove_connection (app, uri);
  g_assert_false (process_gone (GINT_TO_POINTER (pid)));
  provider = gb_application_open_connection (app, uri);
  g_assert_true (gb_test_wait_until_ms (provider_settled, provider, 180000));
  g_assert_cmpint (gb_provider_get_state (provider), ==, GB_PROVIDER_STATE_CONNECTED);
  g_assert_true (gb_test_wait_until_ms (machine_listed, provider, 20000));
  machine = gb_provider_find_machine (provider, DOMAIN_NAME);
  g_assert_true (gb_test_wait_until_ms (machine_running, machine, 20000));
  g_test_message ("found running again: %s", gb_machine_state_to_string (gb_machine_get_state (machine)));
  g_assert_null (quit_and_answer (app, "force-off", NULL));
  g_assert_true (gb_test_wait_until_ms (process_gone, GINT_TO_POINTER (pid), 60000));
  g_assert_true (gb_test_wait_until_ms (no_main_window, app, 20000));
  gb_application_remove_connection (app, uri);

out:
  rm = g_strdup_printf ("rm -rf %s", tmp);
  g_spawn_command_line_sync (rm, NULL, NULL, NULL, NULL);
  g_free (paths.root);
  g_free (paths.log);
}

int
main (int   argc,
      char *argv[])
{
  gb_application_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui/quit-embedded", test_quit_embedded);

  return g_test_run ();
}
