/* test-console-qemu.c — the app's console page on a real QEMU machine
 *
 * The app opens libvirt's embedded QEMU driver (qemu:///embed?root=<tmp>,
 * TCG, no daemon; the provider writes <root>/etc/qemu.conf itself), a
 * machine with a VGA screen served over VNC and a serial console is defined
 * on it, and the window is asked for that machine's console: while the
 * machine is off the screen says so; started from the window's
 * "machine.start" action, the screen shows the booting kernel's text
 * (through virDomainOpenGraphicsFD) and the serial tab the guest's own
 * lines (through virDomainOpenConsole); forced off, the screen says it is
 * off again. The New Virtual Machine wizard, opened from the window, gets
 * ready on the same embedded connection. Suite 'libvirt' (with the other
 * tests that run QEMU): ~20 s here, more when libvirt probes QEMU again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <adwaita.h>
#include <vte/vte.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "gb-application.h"
#include "gb-console-view.h"
#include "gb-creator-libvirt.h"
#include "gb-libvirt-autoptr.h"
#include "gb-libvirt-provider.h"
#include "gb-machine-creator-window.h"
#include "gb-test-gtk-utils.h"
#include "gb-window.h"

#define DOMAIN_NAME "gb-app-console"
#define MARKER "GLASSBOX-MARKER guest-is-up"

static gboolean
have_program (const char *name)
{
  g_autofree char *path = g_find_program_in_path (name);

  return path != NULL;
}

/* The test guest (tests/linux-guest/build-guest.sh) with the marker script
 * of tests/libvirt/; FALSE with the reason when it cannot be built here. */
static gboolean
build_guest (const char  *outdir,
             char       **reason)
{
  g_autofree char *marker = g_build_filename (GB_TESTS_DIR, "libvirt", "guest-marker.sh", NULL);

  return gb_test_build_linux_guest (outdir, (const char *[]) { marker, NULL }, NULL, reason);
}

static gboolean
provider_settled (gpointer data)
{
  return gb_provider_get_state (data) != GB_PROVIDER_STATE_CONNECTING;
}

static gboolean
machine_listed (gpointer data)
{
  return gb_provider_find_machine (data, DOMAIN_NAME) != NULL;
}

static gboolean
console_shown (gpointer data)
{
  GbMachine *machine = gb_window_get_selected_machine (data);

  return machine != NULL && g_strcmp0 (gb_machine_get_name (machine), DOMAIN_NAME) == 0 &&
         g_strcmp0 (gb_window_get_page (data), "console") == 0;
}

typedef struct {
  GbConsoleView *console;
  const char    *text;
} StatusSearch;

static gboolean
description_is (GtkWidget *widget,
                gpointer   data)
{
  return gtk_widget_is_drawable (widget) &&
         g_strcmp0 (adw_status_page_get_description (ADW_STATUS_PAGE (widget)), data) == 0;
}

static gboolean
screen_says (gpointer data)
{
  StatusSearch *search = data;

  return gb_test_find_widget (GTK_WIDGET (search->console), ADW_TYPE_STATUS_PAGE,
                              description_is, (gpointer) search->text) != NULL;
}

static gboolean
screen_connected (gpointer data)
{
  GbDisplay *display = gb_console_view_get_display (data);

  return gb_display_get_state (display) == GB_DISPLAY_STATE_CONNECTED &&
         gb_display_get_guest_width (display) > 0;
}

/* The kernel's log on the VGA text screen: light text on black. */
static gboolean
screen_has_text (gpointer data)
{
  g_autoptr(GdkTexture) texture = gb_test_render (GTK_WIDGET (gb_console_view_get_display (data)));

  return gb_test_count_light_pixels (texture) > 2000;
}

static gboolean
serial_shows_marker (gpointer data)
{
  GtkWidget *terminal = gb_serial_console_get_terminal (gb_console_view_get_serial_console (data));
  g_autofree char *text = NULL;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  text = vte_terminal_get_text (VTE_TERMINAL (terminal), NULL, NULL, NULL);
  G_GNUC_END_IGNORE_DEPRECATIONS
  return text != NULL && strstr (text, MARKER) != NULL;
}

static gboolean
serial_says_off (gpointer data)
{
  GtkWidget *label = gb_test_find_label_with_text (data, _("The machine is off. Start it to see its console."));

  return label != NULL && gtk_widget_is_drawable (label) &&
         gb_test_find_label_with_text (data, _("Cannot open the serial console: ")) == NULL;
}

static gboolean
creator_ready (gpointer data)
{
  GbMachineCreatorWindow *creator =
    GB_MACHINE_CREATOR_WINDOW (gb_test_find_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW));

  return creator != NULL && gb_machine_creator_get_ready (gb_machine_creator_window_get_creator (creator));
}

static gboolean
machine_off (gpointer data)
{
  return gb_machine_get_state (data) == GB_MACHINE_STATE_SHUTOFF;
}

static void
force_off_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      data)
{
  g_autoptr(GError) error = NULL;

  gb_machine_force_off_finish (GB_MACHINE (object), result, &error);
  g_assert_no_error (error);
}

static void
test_console_qemu (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gb-app-console-XXXXXX", NULL);
  g_autofree char *guest = g_build_filename (tmp, "guest", NULL);
  g_autofree char *root = g_build_filename (tmp, "libvirt", NULL);
  g_autofree char *uri = g_strdup_printf ("qemu:///embed?root=%s", root);
  g_autofree char *conf = g_build_filename (root, "etc", "qemu.conf", NULL);
  g_autofree char *reason = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *rm = NULL;
  g_autoptr(GbApplication) app = NULL;
  g_autoptr(GVirConfigDomain) config = NULL;
  g_autoptr(GVirDomain) domain = NULL;
  GbCreatorBackend *backend;
  g_autoptr(GError) error = NULL;
  StatusSearch search = { NULL, NULL };
  GbProvider *provider;
  GbConsoleView *console;
  GbMachine *machine;
  GtkWidget *window;
  GtkWindow *creator;
  gint64 t0;

  if (!have_program ("qemu-system-x86_64"))
    {
      g_test_skip ("qemu-system-x86_64 is not installed");
      return;
    }
  if (!build_guest (guest, &reason))
    {
      g_test_skip (reason);
      return;
    }

  app = gb_test_application_new ();
  t0 = g_get_monotonic_time ();
  provider = gb_application_open_connection (app, uri);
  g_assert_true (gb_test_wait_until_ms (provider_settled, provider, 180000));
  if (gb_provider_get_state (provider) != GB_PROVIDER_STATE_CONNECTED)
    {
      /* Only a missing QEMU driver is "cannot run here" (libvirt says
       * VIR_ERR_NO_CONNECT); any other failure to open it is a failure. */
      virConnectPtr probe = virConnectOpen (uri);
      virErrorPtr why = probe == NULL ? virGetLastError () : NULL;

      if (probe != NULL)
        virConnectClose (probe);
      if (why == NULL || why->code != VIR_ERR_NO_CONNECT)
        g_error ("Connecting to %s: %s", uri, gb_provider_get_error (provider));
      g_test_skip_printf ("libvirt's QEMU driver is not available: %s", gb_provider_get_error (provider));
      return;
    }
  g_test_message ("connected to %s in %.1f s", uri, (g_get_monotonic_time () - t0) / 1e6);
  /* The provider prepared the embedded root for QEMU without virtlogd. */
  g_assert_true (g_file_test (conf, G_FILE_TEST_IS_REGULAR));

  xml = g_strdup_printf (
    "<domain type='qemu'><name>" DOMAIN_NAME "</name><memory unit='MiB'>256</memory>"
    "<os><type arch='x86_64' machine='pc'>hvm</type>"
    "<kernel>%s/vmlinuz</kernel><initrd>%s/initramfs.img</initrd>"
    "<cmdline>console=tty0 console=ttyS0 no_timer_check gb.run=guest-marker.sh</cmdline></os>"
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
  g_assert_true (gb_test_wait_until_ms (machine_listed, provider, 20000));
  machine = gb_provider_find_machine (provider, DOMAIN_NAME);

  window = g_object_ref (GTK_WIDGET (gb_window_new (app)));
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 760);
  gtk_window_present (GTK_WINDOW (window));
  console = gb_window_get_console_view (GB_WINDOW (window));
  search.console = console;

  /* Off: the console page says so. */
  gb_window_show_machine (GB_WINDOW (window), provider, DOMAIN_NAME, "console");
  g_assert_true (gb_test_wait_until_ms (console_shown, window, 20000));
  search.text = _("The machine is off. Start it to see its screen.");
  g_assert_true (gb_test_wait_until_ms (screen_says, &search, 20000));

  /* Started from the window: the screen, then the kernel's text on it. */
  t0 = g_get_monotonic_time ();
  g_assert_true (gtk_widget_activate_action (window, "machine.start", NULL));
  g_assert_true (gb_test_wait_until_ms (screen_connected, console, 60000));
  g_test_message ("screen %d×%d after %.1f s",
                  gb_display_get_guest_width (gb_console_view_get_display (console)),
                  gb_display_get_guest_height (gb_console_view_get_display (console)),
                  (g_get_monotonic_time () - t0) / 1e6);
  g_assert_true (gb_test_wait_until_ms (screen_has_text, console, 120000));
  gb_test_save_png (window, "console-qemu-screen.png");

  /* The serial tab reads the guest's own lines. */
  gb_console_view_set_page (console, "serial");
  g_assert_true (gb_serial_console_get_connected (gb_console_view_get_serial_console (console)));
  g_assert_true (gb_test_wait_until_ms (serial_shows_marker, console, 120000));
  gb_test_save_png (window, "console-qemu-serial.png");
  gb_console_view_set_page (console, "screen");

  /* The wizard gets ready on the same embedded connection. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "new-machine", NULL);
  g_assert_true (gb_test_wait_until_ms (creator_ready, NULL, 120000));
  creator = gb_test_find_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW);
  backend = gb_machine_creator_get_backend (gb_machine_creator_window_get_creator (GB_MACHINE_CREATOR_WINDOW (creator)));
  g_assert_true (gb_creator_libvirt_get_connection (GB_CREATOR_LIBVIRT (backend)) ==
                 gb_libvirt_provider_get_connection (GB_LIBVIRT_PROVIDER (provider)));
  gtk_window_destroy (creator);

  /* Forced off: the screen says so again. */
  gb_machine_force_off_async (machine, NULL, force_off_cb, NULL);
  g_assert_true (gb_test_wait_until_ms (machine_off, machine, 60000));
  g_assert_true (gb_test_wait_until_ms (screen_says, &search, 20000));
  gb_test_save_png (window, "console-qemu-off.png");
  /* The serial tab says it as plainly (not libvirt's "domain is not running"). */
  gb_console_view_set_page (console, "serial");
  g_assert_true (gb_test_wait_until_ms (serial_says_off, console, 20000));
  gb_test_save_png (window, "console-qemu-serial-off.png");
  gb_console_view_set_page (console, "screen");

  gb_window_select_machine (GB_WINDOW (window), NULL);
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (window);

  gvir_domain_delete (domain, 0, NULL);
  gb_application_remove_connection (app, uri);
  rm = g_strdup_printf ("rm -rf %s", tmp);
  g_spawn_command_line_sync (rm, NULL, NULL, NULL, NULL);
}

int
main (int   argc,
      char *argv[])
{
  gb_application_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui/console-qemu", test_console_qemu);

  return g_test_run ();
}
