/* test-display-domain.c: a real libvirt QEMU domain, through its own sockets
 *
 * libvirt's embedded QEMU driver (qemu:///embed, no daemon), through a
 * GbLibvirtProvider, runs a TCG guest whose VNC server listens nowhere
 * (<listen type='none'/>): the only way in is virDomainOpenGraphicsFD, which
 * GbLibvirtMachine's open_graphics uses.  The guest's serial port is a pty
 * that the console view reads through the machine's open_serial
 * (virDomainOpenConsole).  A command typed into the screen prints a marker
 * on the serial port; the marker shows in the serial console.
 *
 * Opening the embedded driver costs about a minute here (QEMU capabilities
 * are probed), so this runs in the "slow" suite.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <string.h>
#include <glib/gstdio.h>
#include <vte/vte.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libvirt-gobject/libvirt-gobject.h>

#include "gb-console-view.h"
#include "gb-display-private.h"
#include "gb-libvirt-provider.h"
#include "gb-test-qemu.h"

/* libvirt-glib 4.0 declares no autoptr cleanups. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomain, g_object_unref)

static GbDisplay *display;
static GtkWidget *terminal;

static gboolean
is_connected (gpointer data)
{
  return gb_display_get_state (display) == GB_DISPLAY_STATE_CONNECTED &&
         gb_display_get_guest_width (display) > 0;
}

static gboolean
serial_connected (gpointer data)
{
  return gb_serial_console_get_connected (data);
}

static gboolean
framebuffer_console_up (gpointer data)
{
  return gb_display_get_guest_width (display) > 720;
}

static gboolean
has_result (gpointer data)
{
  return g_object_get_data (data, "result") != NULL;
}

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      data)
{
  g_object_set_data_full (object, "result", g_object_ref (result), g_object_unref);
}

static gboolean
machine_runs_with_vnc (gpointer data)
{
  GbMachine *machine = gb_provider_find_machine (data, "gb-display-test");

  return machine != NULL &&
         gb_machine_get_state (machine) == GB_MACHINE_STATE_RUNNING &&
         gb_machine_get_graphics_protocol (machine) == GB_GRAPHICS_PROTOCOL_VNC;
}

static gboolean
terminal_shows (gpointer data)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  g_autofree char *text = vte_terminal_get_text (VTE_TERMINAL (terminal), NULL, NULL, NULL);
  G_GNUC_END_IGNORE_DEPRECATIONS

  return text != NULL && strstr (text, data) != NULL;
}

static void
test_domain (void)
{
  g_autofree char *skip = NULL;
  g_autofree char *guest = gb_test_guest_dir (&skip);
  g_autofree char *root = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *xml = NULL;
  g_autoptr(GbProvider) provider = NULL;
  g_autoptr(GVirConfigDomain) config = NULL;
  g_autoptr(GError) error = NULL;
  GVirDomain *domain;
  GbConsoleView *view;
  GtkWidget *window;

  if (guest == NULL)
    {
      g_test_skip (skip);
      return;
    }

  root = g_strdup_printf ("%s/libvirt", gb_test_tmpdir ());
  uri = g_strdup_printf ("qemu:///embed?root=%s", root);
  {
    /* No virtlogd here: QEMU's output goes to a plain file. */
    g_autofree char *etc = g_build_filename (root, "etc", NULL);
    g_autofree char *conf = g_build_filename (etc, "qemu.conf", NULL);

    g_mkdir_with_parents (etc, 0755);
    g_assert_true (g_file_set_contents (conf, "stdio_handler = \"file\"\nuser = \"root\"\ngroup = \"root\"\n", -1, NULL));
  }
  provider = gb_libvirt_provider_new (uri);
  gb_provider_connect_async (provider, NULL, store_result_cb, NULL);
  g_assert_true (gb_test_wait_until (has_result, provider, 180000));
  if (!gb_provider_connect_finish (provider, g_object_get_data (G_OBJECT (provider), "result"), &error))
    {
      /* Only a missing QEMU driver is "cannot run here". */
      if (!g_error_matches (error, GB_LIBVIRT_ERROR, VIR_ERR_NO_CONNECT))
        g_error ("Connecting to %s: %s", uri, error->message);
      g_test_skip_printf ("libvirt's QEMU driver is not available: %s", error->message);
      return;
    }

  xml = g_strdup_printf (
    "<domain type='qemu'><name>gb-display-test</name><memory unit='MiB'>256</memory>"
    "<os><type arch='x86_64' machine='pc'>hvm</type>"
    "<kernel>%s/vmlinuz</kernel><initrd>%s/initramfs.img</initrd>"
    "<cmdline>console=ttyS0 console=tty0 no_timer_check vt.global_cursor_default=0 loglevel=4</cmdline></os>"
    "<devices>"
    "<graphics type='vnc'><listen type='none'/></graphics>"
    "<video><model type='vga'/></video>"
    "<serial type='pty'/><console type='pty'/>"
    "</devices></domain>", guest, guest);
  config = gvir_config_domain_new_from_xml (xml, &error);
  g_assert_no_error (error);
  domain = gvir_connection_create_domain (gb_libvirt_provider_get_connection (GB_LIBVIRT_PROVIDER (provider)),
                                          config, &error);
  g_assert_no_error (error);
  gvir_domain_start (domain, 0, &error);
  g_assert_no_error (error);
  /* The embedded driver has no autodestroy: from here on a failed check
   * must not skip the end of the test, which stops the guest. */
  g_test_set_nonfatal_assertions ();

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  view = GB_CONSOLE_VIEW (gb_console_view_new ());
  display = gb_console_view_get_display (view);
  terminal = gb_serial_console_get_terminal (gb_console_view_get_serial_console (view));
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (view));
  gtk_window_present (GTK_WINDOW (window));

  /* The provider hears of the start by event, and reads the live XML. */
  g_assert_true (gb_test_wait_until (machine_runs_with_vnc, provider, 30000));
  gb_console_view_set_machine (view, gb_provider_find_machine (provider, "gb-display-test"));
  g_assert_true (gb_test_wait_until (serial_connected, gb_console_view_get_serial_console (view), 30000));
  g_assert_true (gb_test_wait_until (is_connected, NULL, 60000));

  /* The framebuffer console (bochs-drm) comes up just before the shell. */
  g_assert_true (gb_test_wait_until (framebuffer_console_up, NULL, 120000));
  gb_test_spin (3000);
  gtk_widget_grab_focus (GTK_WIDGET (display));
  gb_test_xtest_move_into (GTK_WIDGET (display));
  gb_test_spin (300);
  gb_test_xtest_type ("echo GB-DOMAIN-$((6*7)) > /dev/ttyS0\n");
  /* VTE draws (and parses) what it is fed while it is on screen. */
  gb_console_view_set_page (view, "serial");
  g_assert_cmpstr (gb_console_view_get_page (view), ==, "serial");
  if (!gb_test_wait_until (terminal_shows, "GB-DOMAIN-42", 60000))
    {
      g_autofree char *png = gb_test_save_window_png (window, "domain-window");
      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      g_autofree char *text = vte_terminal_get_text (VTE_TERMINAL (terminal), NULL, NULL, NULL);
      G_GNUC_END_IGNORE_DEPRECATIONS

      g_test_message ("window: %s; serial console shows: %s", png, text);
      g_test_fail ();
    }

  gb_console_view_close (view);
  gtk_window_destroy (GTK_WINDOW (window));
  gvir_domain_stop (domain, 0, NULL);
  gvir_domain_delete (domain, 0, NULL);
  g_object_unref (domain);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  gvir_init_object (NULL, NULL);

  g_test_add_func ("/display/domain/graphics-fd-and-console", test_domain);

  return g_test_run ();
}
