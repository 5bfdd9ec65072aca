/* test-display-serial.c: GbSerialConsole against a real character device
 *
 * QEMU's human monitor on a UNIX socket is the peer: it greets, echoes and
 * answers what is typed, like a guest's serial console.  The test types a
 * command into the VTE terminal with XTest; QEMU's answer appears in it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <string.h>
#include <vte/vte.h>

#include "gb-serial-console.h"
#include "gb-test-qemu.h"

static GtkWidget *terminal;

static gboolean
terminal_shows (gpointer data)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  g_autofree char *text = vte_terminal_get_text (VTE_TERMINAL (terminal), NULL, NULL, NULL);
  G_GNUC_END_IGNORE_DEPRECATIONS

  return text != NULL && strstr (text, data) != NULL;
}

static gboolean
is_closed (gpointer data)
{
  return !gb_serial_console_get_connected (data);
}

static void
test_monitor (void)
{
  g_autofree char *sock = g_strdup_printf ("%s/monitor.sock", gb_test_tmpdir ());
  g_autofree char *arg = g_strdup_printf ("unix:%s,server=on,wait=off", sock);
  g_autoptr(GbTestQemu) qemu = NULL;
  g_autoptr(GError) error = NULL;
  GbSerialConsole *console;
  GtkWidget *window;

  if (g_find_program_in_path ("qemu-system-x86_64") == NULL)
    {
      g_test_skip ("qemu-system-x86_64 is not installed");
      return;
    }
  qemu = gb_test_qemu_start ("serial", NULL, (const char *[]) { "-name", "gb-serial-peer", "-monitor", arg, NULL });

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 500);
  console = GB_SERIAL_CONSOLE (gb_serial_console_new ());
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (console));
  gtk_window_present (GTK_WINDOW (window));
  terminal = gb_serial_console_get_terminal (console);

  g_assert_true (gb_serial_console_open_unix (console, sock, &error));
  g_assert_no_error (error);
  g_assert_true (gb_serial_console_get_connected (console));

  /* Bytes from the peer reach the terminal… */
  g_assert_true (gb_test_wait_until (terminal_shows, "QEMU", 20000));

  /* …and keystrokes go back: the monitor answers a command. */
  gtk_widget_grab_focus (terminal);
  gb_test_xtest_move_into (terminal);
  gb_test_spin (300);
  gb_test_xtest_type ("info name\n");
  g_assert_true (gb_test_wait_until (terminal_shows, "gb-serial-peer", 20000));

  /* The peer goes away: the console says so. */
  gb_test_qemu_quit (qemu);
  g_assert_true (gb_test_wait_until (is_closed, console, 20000));
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/display/serial/monitor", test_monitor);

  return g_test_run ();
}
