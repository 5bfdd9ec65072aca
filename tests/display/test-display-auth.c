/* test-display-auth.c: VNC and SPICE passwords against QEMU's servers
 *
 * QEMU runs stopped (-S, no guest needed) with `-vnc ...,password=on` (the
 * password set over QMP), and another with a SPICE password.  A wrong password ends in the error state with
 * the reason on screen, without a crash; with no password the console view
 * asks in a dialog, and the right answer connects.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "gb-console-view-private.h"
#include "gb-display-private.h"
#include "gb-test-qemu.h"

static GbTestQemu *qemu;
static GbTestQemu *spice_qemu;
static char *uri;

static gboolean need_vnc_qemu   (void);
static gboolean need_spice_qemu (void);

static gboolean
is_settled (gpointer data)
{
  GbDisplayState state = gb_display_get_state (data);

  return state == GB_DISPLAY_STATE_CONNECTED || state == GB_DISPLAY_STATE_ERROR;
}

static gboolean
has_dialog (gpointer data)
{
  return _gb_console_view_get_password_dialog (data) != NULL;
}

/* The display inside a console view, which asks for passwords. */
static GtkWidget *
new_window (GbDisplay **display)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *view = gb_console_view_new ();

  gtk_window_set_default_size (GTK_WINDOW (window), 800, 600);
  *display = gb_console_view_get_display (GB_CONSOLE_VIEW (view));
  gtk_window_set_child (GTK_WINDOW (window), view);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static GbConsoleView *
view_of (GbDisplay *display)
{
  return GB_CONSOLE_VIEW (gtk_widget_get_ancestor (GTK_WIDGET (display), GB_TYPE_CONSOLE_VIEW));
}

static void
test_wrong_password (void)
{
  GbDisplay *display;
  GtkWidget *window;

  if (!need_vnc_qemu ())
    return;
  window = new_window (&display);

  gb_display_set_password (display, "wrong");
  g_assert_true (gb_display_open_uri (display, uri, NULL));
  g_assert_true (gb_test_wait_until (is_settled, display, 20000));

  g_assert_cmpint (gb_display_get_state (display), ==, GB_DISPLAY_STATE_ERROR);
  g_assert_nonnull (gb_display_get_error (display));
  g_test_message ("shown: %s", gb_display_get_error (display));
  g_assert_cmpuint (strlen (gb_display_get_error (display)), >, 0);
  /* An authentication failure is final: no reconnect loop. */
  gb_test_spin (1500);
  g_assert_cmpint (gb_display_get_state (display), ==, GB_DISPLAY_STATE_ERROR);

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
answer_dialog (GbDisplay  *display,
               const char *password)
{
  GtkWidget *dialog;
  GtkWidget *entry;

  g_assert_true (gb_test_wait_until (has_dialog, view_of (display), 20000));
  dialog = _gb_console_view_get_password_dialog (view_of (display));
  g_assert_true (ADW_IS_MESSAGE_DIALOG (dialog));
  g_assert_true (gtk_widget_get_visible (dialog));
  entry = adw_message_dialog_get_extra_child (ADW_MESSAGE_DIALOG (dialog));
  gtk_editable_set_text (GTK_EDITABLE (entry), password);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "connect");
}

static void
test_dialog (void)
{
  GbDisplay *display;
  GtkWidget *window;

  if (!need_vnc_qemu ())
    return;
  window = new_window (&display);

  /* Wrong answer: error. */
  g_assert_true (gb_display_open_uri (display, uri, NULL));
  answer_dialog (display, "nope");
  g_assert_true (gb_test_wait_until (is_settled, display, 20000));
  g_assert_cmpint (gb_display_get_state (display), ==, GB_DISPLAY_STATE_ERROR);

  /* Right answer: connected, and a screen arrives. */
  g_assert_true (gb_display_open_uri (display, uri, NULL));
  answer_dialog (display, "secret");
  g_assert_true (gb_test_wait_until (is_settled, display, 20000));
  g_assert_cmpint (gb_display_get_state (display), ==, GB_DISPLAY_STATE_CONNECTED);
  g_assert_null (gb_display_get_error (display));
  g_assert_cmpint (gb_display_get_guest_width (display), >, 0);

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_spice_password (void)
{
  g_autofree char *spice_uri = g_strdup_printf ("spice+unix://%s/auth-spice.sock", gb_test_tmpdir ());
  GbDisplay *display;
  GtkWidget *window;

  if (!need_spice_qemu ())
    return;
  window = new_window (&display);

  /* The right one connects, and a screen arrives. */
  gb_display_set_password (display, "secret");
  g_assert_true (gb_display_open_uri (display, spice_uri, NULL));
  g_assert_true (gb_test_wait_until (is_settled, display, 20000));
  g_assert_cmpint (gb_display_get_state (display), ==, GB_DISPLAY_STATE_CONNECTED);
  g_assert_cmpint (gb_display_get_guest_width (display), >, 0);

  /* Let every channel finish linking: spice-client-glib warns about a
   * channel closed halfway through its link. */
  gb_test_spin (1000);
  gb_display_close (display);

  /* Wrong: the error state, no reconnect loop. */
  gb_display_set_password (display, "wrong");
  g_assert_true (gb_display_open_uri (display, spice_uri, NULL));
  g_assert_true (gb_test_wait_until (is_settled, display, 20000));
  g_assert_cmpint (gb_display_get_state (display), ==, GB_DISPLAY_STATE_ERROR);
  g_test_message ("shown: %s", gb_display_get_error (display));
  gb_test_spin (1500);
  g_assert_cmpint (gb_display_get_state (display), ==, GB_DISPLAY_STATE_ERROR);

  g_assert_nonnull (gb_display_get_error (display));
  g_assert_nonnull (strstr (gb_display_get_error (display), "password"));

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_bad_uri (void)
{
  g_autoptr(GError) error = NULL;
  GbDisplay *display = GB_DISPLAY (g_object_ref_sink (gb_display_new ()));

  g_assert_false (gb_display_open_uri (display, "http://example.invalid/", &error));
  g_assert_error (error, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_INVALID_URI);
  g_assert_cmpint (gb_display_get_state (display), ==, GB_DISPLAY_STATE_DISCONNECTED);
  g_object_unref (display);
}

static void
test_refused (void)
{
  g_autofree char *missing = g_strdup_printf ("vnc+unix://%s/nothing-here.sock", gb_test_tmpdir ());
  GbDisplay *display;
  GtkWidget *window = new_window (&display);

  /* Nobody listens: a clear error, not a hang. */
  g_assert_true (gb_display_open_uri (display, missing, NULL));
  g_assert_true (gb_test_wait_until (is_settled, display, 20000));
  g_assert_cmpint (gb_display_get_state (display), ==, GB_DISPLAY_STATE_ERROR);
  g_assert_nonnull (gb_display_get_error (display));

  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
have_qemu (void)
{
  g_autofree char *path = g_find_program_in_path ("qemu-system-x86_64");

  if (path == NULL)
    g_test_skip ("qemu-system-x86_64 (package qemu-system-x86) is not installed");
  return path != NULL;
}

/* QEMU with a VNC password, started by the first test that needs it; FALSE
 * (and the test skipped, with the reason) where QEMU is not installed. */
static gboolean
need_vnc_qemu (void)
{
  g_autofree char *vnc = NULL;
  g_autofree char *reply = NULL;

  if (qemu != NULL)
    return TRUE;
  if (!have_qemu ())
    return FALSE;
  vnc = g_strdup_printf ("unix:%s/auth.sock,password=on", gb_test_tmpdir ());
  uri = g_strdup_printf ("vnc+unix://%s/auth.sock", gb_test_tmpdir ());
  qemu = gb_test_qemu_start ("auth", NULL, (const char *[]) { "-vnc", vnc, NULL });
  reply = gb_test_qemu_qmp (qemu, "{\"execute\":\"change-vnc-password\",\"arguments\":{\"password\":\"secret\"}}");
  g_assert_nonnull (strstr (reply, "\"return\""));
  return TRUE;
}

static gboolean
need_spice_qemu (void)
{
  g_autofree char *spice = NULL;

  if (spice_qemu != NULL)
    return TRUE;
  if (!have_qemu ())
    return FALSE;
  spice = g_strdup_printf ("unix=on,addr=%s/auth-spice.sock,password-secret=sec0", gb_test_tmpdir ());
  spice_qemu = gb_test_qemu_start ("auth-spice", NULL, (const char *[]) {
                                     "-object", "secret,id=sec0,data=secret",
                                     "-spice", spice, NULL });
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/display/auth/bad-uri", test_bad_uri);
  g_test_add_func ("/display/auth/refused", test_refused);
  g_test_add_func ("/display/auth/wrong-password", test_wrong_password);
  g_test_add_func ("/display/auth/dialog", test_dialog);
  g_test_add_func ("/display/auth/spice-password", test_spice_password);

  ret = g_test_run ();

  g_clear_pointer (&qemu, gb_test_qemu_free);
  g_clear_pointer (&spice_qemu, gb_test_qemu_free);
  g_clear_pointer (&uri, g_free);
  return ret;
}
