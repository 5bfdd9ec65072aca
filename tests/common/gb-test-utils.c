/* gb-test-utils.c — what the non-UI test programs share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gb-test-utils.h"

#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

/* ------------------------------------------------------------------ */
/* Main loop                                                          */

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* A 50 ms ticker keeps a blocking g_main_context_iteration() from
 * sleeping forever when the condition waited for changes without a
 * main-loop source firing (libvirt's own threads, a file on disk). */
void
gb_test_add_ticker (void)
{
  g_timeout_add (50, tick, NULL);
}

/* Iterates until @predicate holds: TRUE, or FALSE after @seconds. */
static gboolean
wait_timed_out (gpointer data)
{
  gboolean *timed_out = data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* A timeout source wakes the loop at the deadline, so waiting ends on time
 * even when nothing else happens. */
gboolean
gb_test_wait_until_ms (GbTestPredicate predicate,
                       gpointer        data,
                       guint           timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, wait_timed_out, &timed_out);

  while (!predicate (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  if (!timed_out)
    g_source_remove (id);

  return predicate (data);
}

gboolean
gb_test_wait_until (GbTestPredicate predicate,
                    gpointer        data,
                    guint           seconds)
{
  return gb_test_wait_until_ms (predicate, data, seconds * 1000);
}

/* One turn of GB_TEST_WAIT_FOR(): fails the test once @deadline passed. */
void
gb_test_iterate_before (gint64      deadline,
                        guint       seconds,
                        const char *what)
{
  if (g_get_monotonic_time () > deadline)
    g_error ("Timed out after %u s waiting for %s", seconds, what);
  g_main_context_iteration (NULL, TRUE);
}

/* ------------------------------------------------------------------ */
/* Async results                                                      */

/* A GAsyncReadyCallback whose user_data is a GAsyncResult ** to fill. */
void
gb_test_store_result (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Iterates until gb_test_store_result() filled @slot; returns it.  No
 * time limit of its own: the test's meson timeout is the limit. */
GAsyncResult *
gb_test_wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

/* ------------------------------------------------------------------ */
/* Temporary folders                                                  */

/* A new private folder (g_dir_make_tmp(), @tmpl ends in XXXXXX). */
char *
gb_test_tmpdir_new (const char *tmpl)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp (tmpl, &error);

  g_assert_no_error (error);
  return dir;
}

/* Removes @dir and all below it; symbolic links are removed, not followed. */
void
gb_test_tmpdir_remove (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        gb_test_tmpdir_remove (path);
      else if (g_unlink (path) != 0)
        g_printerr ("could not remove %s\n", path);
    }
  if (d != NULL)
    g_dir_close (d);
  if (g_rmdir (dir) != 0)
    g_printerr ("could not remove %s\n", dir);
}

/* ------------------------------------------------------------------ */
/* Programs on the host                                               */

gboolean
gb_test_have_program (const char *name)
{
  g_autofree char *path = g_find_program_in_path (name);

  return path != NULL;
}

/* FALSE, and the test skipped with the reason, when @name is not on PATH. */
gboolean
gb_test_skip_without_program (const char *name,
                              const char *package)
{
  g_autofree char *why = NULL;

  if (gb_test_have_program (name))
    return TRUE;
  if (package != NULL)
    why = g_strdup_printf ("%s (package %s) is not installed", name, package);
  else
    why = g_strdup_printf ("%s is not installed", name);
  g_test_skip (why);
  return FALSE;
}

/* Runs @argv (looked up on PATH) to its end and returns its exit status,
 * or -1 when a signal ended it; when it fails, what it printed goes to the
 * test log.  Standard output is always captured: the test's own speaks
 * TAP.  Failing to start it at all fails the test. */
int
gb_test_run (const char *const  *argv,
             char              **out,
             char              **err)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out_local = NULL;
  g_autofree char *err_local = NULL;
  char **outp = out != NULL ? out : &out_local;
  char **errp = err != NULL ? err : &err_local;
  int status = 0;
  int code;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     outp, errp, &status, &error))
    g_error ("could not run %s: %s", argv[0], error->message);
  code = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
  if (code != 0)
    g_test_message ("%s exited with %d: %s%s", argv[0], code, *outp, *errp);
  return code;
}

/* gb_test_run() of @program and the arguments after it, NULL-terminated. */
int
gb_test_run_args (const char *program,
                  ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) program);
  va_start (ap, program);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  return gb_test_run ((const char *const *) argv->pdata, NULL, NULL);
}

/* gb_test_run() of `bash -c @cmd`. */
int
gb_test_run_shell (const char  *cmd,
                   char       **out,
                   char       **err)
{
  const char *argv[] = { "bash", "-c", cmd, NULL };

  return gb_test_run (argv, out, err);
}

/* ------------------------------------------------------------------ */
/* The Linux test guest                                               */

/* Builds vmlinuz + initramfs.img into @outdir with
 * tests/linux-guest/build-guest.sh, the guest running @scripts (may be
 * NULL) and carrying @extra_binaries (GB_GUEST_EXTRA_BINARIES, may be
 * NULL).  FALSE with the *reason when it cannot be built here (the script
 * exits 77: no package reachable); any other failure fails the test. */
gboolean
gb_test_build_linux_guest (const char         *outdir,
                           const char *const  *scripts,
                           const char         *extra_binaries,
                           char              **reason)
{
  g_autofree char *script = g_build_filename (GB_TESTS_SRCDIR, "linux-guest", "build-guest.sh", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(GStrv) env = g_get_environ ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  if (!g_file_test (script, G_FILE_TEST_EXISTS))
    {
      *reason = g_strdup ("tests/linux-guest/build-guest.sh is not in this tree");
      return FALSE;
    }

  g_ptr_array_add (argv, (gpointer) "/bin/bash");
  g_ptr_array_add (argv, script);
  g_ptr_array_add (argv, (gpointer) outdir);
  for (guint i = 0; scripts != NULL && scripts[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) scripts[i]);
  g_ptr_array_add (argv, NULL);
  if (extra_binaries != NULL)
    env = g_environ_setenv (env, "GB_GUEST_EXTRA_BINARIES", extra_binaries, TRUE);

  if (!g_spawn_sync (NULL, (char **) argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL,
                     &out, &err, &status, &error))
    g_error ("could not run %s: %s", script, error->message);

  if (WIFEXITED (status) && WEXITSTATUS (status) == 77)
    {
      *reason = g_strdup_printf ("cannot build the Linux test guest: %s", g_strstrip (err));
      return FALSE;
    }
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("build-guest.sh failed: %s\n%s", error->message, err);

  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Logs                                                               */

static GLogFunc default_log_handler;

static void
drop_debug (const char     *log_domain,
            GLogLevelFlags  log_level,
            const char     *message,
            gpointer        user_data)
{
  if ((log_level & G_LOG_LEVEL_MASK) != G_LOG_LEVEL_DEBUG)
    default_log_handler (log_domain, log_level, message, user_data);
}

/* g_test_init() shows debug output, and libvirt-glib's event loop is
 * chatty: keep it out of the TAP stream unless asked for. */
void
gb_test_drop_debug_messages (void)
{
  if (g_getenv ("G_MESSAGES_DEBUG") == NULL)
    default_log_handler = g_log_set_default_handler (drop_debug, NULL);
}

/* ------------------------------------------------------------------ */
/* QEMU's image tools                                                 */

void
gb_test_qemu_img_create (const char *path,
                         const char *format,
                         const char *size)
{
  g_assert_cmpint (gb_test_run_args ("qemu-img", "create", "-q", "-f", format, path, size, NULL), ==, 0);
}

void
gb_test_qemu_io (const char *path,
                 const char *format,
                 const char *command)
{
  g_assert_cmpint (gb_test_run_args ("qemu-io", "-f", format, "-c", command, path, NULL), ==, 0);
}

/* qemu-io reads the pattern back (it exits 0 either way: read what it says). */
void
gb_test_qemu_io_assert_pattern (const char *path,
                                const char *format,
                                const char *command)
{
  const char *argv[] = { "qemu-io", "-f", format, "-c", command, path, NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (gb_test_run (argv, &out, NULL), ==, 0);
  if (strstr (out, "Pattern verification failed") != NULL || strstr (out, "read ") == NULL)
    g_error ("%s on %s: %s", command, path, out);
}

/* ------------------------------------------------------------------ */
/* A private libvirtd                                                 */

#define NOBODY 65534

static char *
find_libvirtd (void)
{
  char *libvirtd = g_find_program_in_path ("libvirtd");

  return libvirtd != NULL ? libvirtd : g_strdup ("/usr/sbin/libvirtd");
}

/* TRUE when it can run here; otherwise the test is skipped, with why. */
gboolean
gb_test_skip_without_private_libvirtd (void)
{
  g_autofree char *libvirtd = find_libvirtd ();
  g_autofree char *setpriv = g_find_program_in_path ("setpriv");

  if (!g_file_test (libvirtd, G_FILE_TEST_IS_EXECUTABLE) || setpriv == NULL)
    {
      g_test_skip ("needs libvirtd (libvirt-daemon-system) and setpriv (util-linux)");
      return FALSE;
    }
  if (getuid () != 0)
    {
      g_test_skip ("runs the private libvirtd as another user, which needs root");
      return FALSE;
    }
  return TRUE;
}

char *
gb_test_private_libvirtd_dir (const char *tmpl)
{
  char *dir = gb_test_tmpdir_new (tmpl);
  g_autofree char *run = g_build_filename (dir, "run", NULL);

  g_assert_cmpint (g_mkdir (run, 0700), ==, 0);
  g_assert_cmpint (chown (dir, NOBODY, NOBODY), ==, 0);
  g_assert_cmpint (chown (run, NOBODY, NOBODY), ==, 0);
  return dir;
}

char *
gb_test_private_libvirtd_socket (const char *dir)
{
  return g_build_filename (dir, "run", "libvirt", "libvirt-sock", NULL);
}

/* @config: a libvirtd.conf to listen with (--listen -f), or NULL. */
GSubprocess *
gb_test_private_libvirtd_start (const char *dir,
                                const char *config)
{
  g_autofree char *libvirtd = find_libvirtd ();
  g_autofree char *setpriv = g_find_program_in_path ("setpriv");
  g_autofree char *home = g_strdup_printf ("HOME=%s", dir);
  g_autofree char *runtime = g_strdup_printf ("XDG_RUNTIME_DIR=%s/run", dir);
  g_autofree char *log = g_build_filename (dir, "libvirtd.log", NULL);
  g_autofree char *sock = gb_test_private_libvirtd_socket (dir);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;
  GSubprocess *daemon;

  g_assert_nonnull (setpriv);
  /* Started again in the same folder: wait for the new socket. */
  g_unlink (sock);
  g_subprocess_launcher_set_stdout_file_path (launcher, log);
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  daemon = g_subprocess_launcher_spawn (launcher, &error,
                                        /* The daemon ends with the test, even if the test fails. */
                                        setpriv, "--pdeathsig=TERM",
                                        "--reuid=65534", "--regid=65534", "--clear-groups",
                                        "env", "-i", home, runtime, "PATH=/usr/sbin:/usr/bin:/bin",
                                        libvirtd, config ? "--listen" : NULL, "-f", config, NULL);
  g_assert_no_error (error);
  GB_TEST_WAIT_FOR (g_file_test (sock, G_FILE_TEST_EXISTS), 30);
  return daemon;
}

void
gb_test_private_libvirtd_stop (GSubprocess *daemon)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (daemon, SIGTERM);
  g_subprocess_wait (daemon, NULL, &error);
  g_assert_no_error (error);
}
