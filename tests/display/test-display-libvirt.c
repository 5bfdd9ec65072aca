/* test-display-libvirt.c: GbDisplay showing machines, through GbMachine
 *
 * libvirt's in-process test driver (test:///default) holds the domains; a
 * GbLibvirtProvider on it makes them GbMachines, and a second, raw
 * connection to the same driver state defines, starts and stops them behind
 * the provider's back.  A real QEMU (stopped, -S) serves VNC on a loopback
 * port for the domain whose <graphics> points at it.  The test driver cannot
 * hand out a graphics socket (virDomainOpenGraphicsFD), so this also covers
 * GbLibvirtMachine's fallback to the address in the domain XML.
 *
 *   no-graphics    a running machine without <graphics>: a clear message
 *   off            a stopped machine: a clear message
 *   vnc            a machine whose <graphics> is QEMU's VNC server: connected
 *   spice          the same with SPICE: every channel asks the machine for
 *                  its own connection, and the screen arrives
 *   not-supported  a machine whose kind cannot open a screen or a serial
 *                  console (open_* fail with NOT_SUPPORTED): sentences in
 *                  the console view, no dialog
 *   chooser        a machine with three text consoles: the console view
 *                  offers them, and the chosen one is opened and shown
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vte/vte.h>
#include <libvirt-gobject/libvirt-gobject.h>

#include "gb-console-view-private.h"
#include "gb-display-private.h"
#include "gb-libvirt-provider.h"
#include "gb-machine-private.h"
#include "gb-provider.h"
#include "gb-test-qemu.h"

/* libvirt-glib 4.0 declares no autoptr cleanups. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirDomain, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomain, g_object_unref)

static GVirConnection *conn;
static GbProvider *provider;

/* A machine of a kind that has no screen to hand out: GbMachine's default
 * answers G_IO_ERROR_NOT_SUPPORTED.  With "serial" set, its text consoles
 * are socketpairs whose far end greets with the device asked for. */
#define GB_TYPE_TEST_MACHINE (gb_test_machine_get_type ())
G_DECLARE_FINAL_TYPE (GbTestMachine, gb_test_machine, GB, TEST_MACHINE, GbMachine)

struct _GbTestMachine
{
  GbMachine  parent_instance;
  gboolean   serial;
  GPtrArray *peers;     /* far ends, as GSockets */
};

G_DEFINE_FINAL_TYPE (GbTestMachine, gb_test_machine, GB_TYPE_MACHINE)

static void
gb_test_machine_open_serial_async (GbMachine           *machine,
                                   const char          *device,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GbTestMachine *self = GB_TEST_MACHINE (machine);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSocket) ours = NULL;
  g_autoptr(GSocket) theirs = NULL;
  g_autofree char *greeting = NULL;
  int fds[2];

  if (!self->serial)
    {
      GB_MACHINE_CLASS (gb_test_machine_parent_class)->open_serial_async (machine, device, cancellable,
                                                                         callback, user_data);
      return;
    }

  task = g_task_new (self, cancellable, callback, user_data);
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  ours = g_socket_new_from_fd (fds[0], NULL);
  theirs = g_socket_new_from_fd (fds[1], NULL);
  greeting = g_strdup_printf ("This is %s\r\n", device ? device : "the first console");
  g_assert_cmpint (g_socket_send (theirs, greeting, strlen (greeting), NULL, NULL), ==, strlen (greeting));
  g_ptr_array_add (self->peers, g_steal_pointer (&theirs));
  g_task_return_pointer (task, g_socket_connection_factory_create_connection (ours), g_object_unref);
}

static void
gb_test_machine_finalize (GObject *object)
{
  g_ptr_array_unref (GB_TEST_MACHINE (object)->peers);

  G_OBJECT_CLASS (gb_test_machine_parent_class)->finalize (object);
}

static void
gb_test_machine_class_init (GbTestMachineClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gb_test_machine_finalize;
  GB_MACHINE_CLASS (klass)->open_serial_async = gb_test_machine_open_serial_async;
}

static void
gb_test_machine_init (GbTestMachine *self)
{
  self->peers = g_ptr_array_new_with_free_func (g_object_unref);
}

static gboolean
is_settled (gpointer data)
{
  GbDisplayState state = gb_display_get_state (data);

  return state == GB_DISPLAY_STATE_CONNECTED || state == GB_DISPLAY_STATE_ERROR;
}

static void
opened_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      data)
{
  GError **error = data;
  gboolean ok = gb_display_open_machine_finish (GB_DISPLAY (object), result, error);

  g_assert_true (ok == (*error == NULL));
  g_object_set_data (object, "opened", GINT_TO_POINTER (1));
}

static gboolean
has_opened (gpointer data)
{
  return g_object_get_data (data, "opened") != NULL;
}

/* Opens the machine's screen and waits for the outcome; FALSE with @error
 * on failure. */
static gboolean
open_machine (GbDisplay  *display,
              GbMachine  *machine,
              GError    **error)
{
  g_object_set_data (G_OBJECT (display), "opened", NULL);
  gb_display_open_machine_async (display, machine, NULL, opened_cb, error);
  g_assert_true (gb_test_wait_until (has_opened, display, 20000));
  return *error == NULL;
}

static gboolean
provider_has (gpointer data)
{
  return gb_provider_find_machine (provider, data) != NULL;
}

static GbMachine *
find_machine (const char *name)
{
  g_assert_true (gb_test_wait_until (provider_has, (gpointer) name, 20000));
  return gb_provider_find_machine (provider, name);
}

static gboolean
machine_state_is (gpointer data)
{
  GbMachine *machine = data;

  return (int) gb_machine_get_state (machine) ==
         GPOINTER_TO_INT (g_object_get_data (G_OBJECT (machine), "wanted"));
}

static void
wait_for_state (GbMachine      *machine,
                GbMachineState  state)
{
  g_object_set_data (G_OBJECT (machine), "wanted", GINT_TO_POINTER (state));
  g_assert_true (gb_test_wait_until (machine_state_is, machine, 20000));
}

static gboolean
has_vnc (gpointer data)
{
  return gb_machine_get_graphics_protocol (data) == GB_GRAPHICS_PROTOCOL_VNC;
}

static gboolean
provider_connected (gpointer data)
{
  return g_object_get_data (data, "result") != NULL;
}

static void
connected_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      data)
{
  g_object_set_data_full (object, "result", g_object_ref (result), g_object_unref);
}

static GVirDomain *
define_and_start (const char *xml)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVirConfigDomain) config = gvir_config_domain_new_from_xml (xml, &error);
  GVirDomain *domain;

  g_assert_no_error (error);
  domain = gvir_connection_create_domain (conn, config, &error);
  g_assert_no_error (error);
  g_assert_true (gvir_domain_start (domain, 0, &error));
  g_assert_no_error (error);
  return domain;
}

static void
test_no_graphics (void)
{
  GbMachine *machine = find_machine ("test");
  g_autoptr(GError) error = NULL;
  GbDisplay *display = GB_DISPLAY (g_object_ref_sink (gb_display_new ()));

  wait_for_state (machine, GB_MACHINE_STATE_RUNNING);
  g_assert_false (open_machine (display, machine, &error));
  g_assert_error (error, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_NO_GRAPHICS);
  g_assert_cmpint (gb_display_get_state (display), ==, GB_DISPLAY_STATE_ERROR);
  g_assert_cmpstr (gb_display_get_error (display), ==, error->message);
  g_test_message ("shown: %s", gb_display_get_error (display));

  g_object_unref (display);
}

static void
test_off (void)
{
  g_autoptr(GVirDomain) domain = gvir_connection_find_domain_by_name (conn, "test");
  GbMachine *machine = find_machine ("test");
  g_autoptr(GError) error = NULL;
  GbDisplay *display = GB_DISPLAY (g_object_ref_sink (gb_display_new ()));

  g_assert_true (gvir_domain_stop (domain, 0, &error));
  g_assert_no_error (error);
  wait_for_state (machine, GB_MACHINE_STATE_SHUTOFF);

  g_assert_false (open_machine (display, machine, &error));
  g_assert_error (error, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_NOT_RUNNING);
  g_assert_cmpint (gb_display_get_state (display), ==, GB_DISPLAY_STATE_DISCONNECTED);
  g_assert_cmpstr (gb_display_get_error (display), ==, error->message);
  g_test_message ("shown: %s", gb_display_get_error (display));

  g_object_unref (display);
  g_assert_true (gvir_domain_start (domain, 0, NULL));
  wait_for_state (machine, GB_MACHINE_STATE_RUNNING);
}

static int
free_vnc_display (void)
{
  /* A VNC display number whose port (5900 + n) nobody uses. */
  for (int n = 60; n < 100; n++)
    {
      g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                              G_SOCKET_PROTOCOL_TCP, NULL);
      g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
      g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, 5900 + n);

      if (sock != NULL && g_socket_bind (sock, addr, FALSE, NULL))
        return n;
    }
  return -1;
}

static void
test_vnc (void)
{
  g_autoptr(GbTestQemu) qemu = NULL;
  g_autoptr(GVirDomain) domain = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *vnc = NULL;
  g_autofree char *xml = NULL;
  GbMachine *machine;
  GtkWidget *window;
  GbDisplay *display;
  int n;

  if (g_find_program_in_path ("qemu-system-x86_64") == NULL)
    {
      g_test_skip ("qemu-system-x86_64 is not installed");
      return;
    }
  n = free_vnc_display ();
  g_assert_cmpint (n, >=, 0);

  vnc = g_strdup_printf ("127.0.0.1:%d", n);
  qemu = gb_test_qemu_start ("libvirt", NULL, (const char *[]) { "-vnc", vnc, NULL });

  xml = g_strdup_printf ("<domain type='test'><name>gb-vnc</name><memory>65536</memory>"
                         "<os><type>hvm</type></os><devices>"
                         "<graphics type='vnc' port='%d' autoport='no' listen='127.0.0.1'/>"
                         "</devices></domain>", 5900 + n);
  domain = define_and_start (xml);
  machine = find_machine ("gb-vnc");
  wait_for_state (machine, GB_MACHINE_STATE_RUNNING);
  g_assert_true (gb_test_wait_until (has_vnc, machine, 20000));

  window = gtk_window_new ();
  display = GB_DISPLAY (gb_display_new ());
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (display));
  gtk_window_present (GTK_WINDOW (window));

  g_assert_true (open_machine (display, machine, &error));
  g_assert_no_error (error);
  g_assert_true (gb_test_wait_until (is_settled, display, 20000));
  g_assert_cmpint (gb_display_get_state (display), ==, GB_DISPLAY_STATE_CONNECTED);
  g_assert_cmpint (gb_display_get_guest_width (display), >, 0);

  gtk_window_destroy (GTK_WINDOW (window));
  gvir_domain_stop (domain, 0, NULL);
}

static gboolean
has_spice (gpointer data)
{
  return gb_machine_get_graphics_protocol (data) == GB_GRAPHICS_PROTOCOL_SPICE;
}

static gboolean
has_screen (gpointer data)
{
  return gb_display_get_state (data) == GB_DISPLAY_STATE_CONNECTED &&
         gb_display_get_guest_width (data) > 0;
}

static void
test_spice (void)
{
  g_autoptr(GbTestQemu) qemu = NULL;
  g_autoptr(GVirDomain) domain = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *spice = NULL;
  g_autofree char *xml = NULL;
  GbMachine *machine;
  GtkWidget *window;
  GbDisplay *display;
  int port;

  if (g_find_program_in_path ("qemu-system-x86_64") == NULL)
    {
      g_test_skip ("qemu-system-x86_64 is not installed");
      return;
    }
  port = free_vnc_display ();
  g_assert_cmpint (port, >=, 0);
  port += 5900;

  spice = g_strdup_printf ("port=%d,addr=127.0.0.1,disable-ticketing=on", port);
  qemu = gb_test_qemu_start ("libvirt-spice", NULL, (const char *[]) { "-spice", spice, NULL });

  xml = g_strdup_printf ("<domain type='test'><name>gb-spice</name><memory>65536</memory>"
                         "<os><type>hvm</type></os><devices>"
                         "<graphics type='spice' port='%d' autoport='no' listen='127.0.0.1'/>"
                         "</devices></domain>", port);
  domain = define_and_start (xml);
  machine = find_machine ("gb-spice");
  wait_for_state (machine, GB_MACHINE_STATE_RUNNING);
  g_assert_true (gb_test_wait_until (has_spice, machine, 20000));

  window = gtk_window_new ();
  display = GB_DISPLAY (gb_display_new ());
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (display));
  gtk_window_present (GTK_WINDOW (window));

  /* The main channel comes from the first fd; the display channel, which
   * brings the screen, from a second one. */
  g_assert_true (open_machine (display, machine, &error));
  g_assert_no_error (error);
  g_assert_true (gb_test_wait_until (has_screen, display, 20000));
  g_test_message ("SPICE screen %d×%d", gb_display_get_guest_width (display),
                  gb_display_get_guest_height (display));

  /* Let every channel finish linking before closing. */
  gb_test_spin (1000);
  gtk_window_destroy (GTK_WINDOW (window));
  gvir_domain_stop (domain, 0, NULL);
}

static gboolean
serial_says (gpointer data)
{
  GtkWidget *console = data;
  const char *wanted = g_object_get_data (G_OBJECT (console), "wanted");

  for (GtkWidget *w = gtk_widget_get_first_child (console); w != NULL; )
    {
      if (GTK_IS_LABEL (w) && gtk_widget_get_visible (w) &&
          g_strcmp0 (gtk_label_get_text (GTK_LABEL (w)), wanted) == 0)
        return TRUE;
      /* Depth first. */
      if (gtk_widget_get_first_child (w) != NULL)
        w = gtk_widget_get_first_child (w);
      else
        {
          while (w != console && gtk_widget_get_next_sibling (w) == NULL)
            w = gtk_widget_get_parent (w);
          w = w == console ? NULL : gtk_widget_get_next_sibling (w);
        }
    }
  return FALSE;
}

static GtkWidget *
find_chooser (GbConsoleView *view)
{
  GtkWidget *w = GTK_WIDGET (view);

  /* Depth first, for the one GtkDropDown. */
  while (w != NULL)
    {
      if (GTK_IS_DROP_DOWN (w))
        return w;
      if (gtk_widget_get_first_child (w) != NULL)
        w = gtk_widget_get_first_child (w);
      else
        {
          while (w != GTK_WIDGET (view) && gtk_widget_get_next_sibling (w) == NULL)
            w = gtk_widget_get_parent (w);
          w = w == GTK_WIDGET (view) ? NULL : gtk_widget_get_next_sibling (w);
        }
    }
  g_assert_not_reached ();
}

static gboolean
terminal_shows (gpointer data)
{
  GtkWidget *terminal = data;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  g_autofree char *text = vte_terminal_get_text (VTE_TERMINAL (terminal), NULL, NULL, NULL);
  G_GNUC_END_IGNORE_DEPRECATIONS

  return text != NULL && strstr (text, g_object_get_data (G_OBJECT (terminal), "wanted")) != NULL;
}

static void
test_chooser (void)
{
  g_autoptr(GbMachine) machine = NULL;
  g_autoptr(GbMachineConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *png = NULL;
  GListModel *labels;
  GtkWidget *terminal;
  GtkWidget *chooser;
  GbConsoleView *view;
  GtkWidget *window;

  /* A running machine's XML: aliases name the consoles; the first
   * <console> is serial0 again. */
  config = gb_machine_config_new_from_xml ("<domain type='test'><name>three</name>"
                                           "<memory>65536</memory><os><type>hvm</type></os><devices>"
                                           "<serial type='pty'><target port='0'/><alias name='serial0'/></serial>"
                                           "<serial type='pty'><target port='1'/><alias name='serial1'/></serial>"
                                           "<console type='pty'><target type='serial' port='0'/><alias name='serial0'/></console>"
                                           "<console type='pty'><target type='virtio' port='1'/><alias name='console1'/></console>"
                                           "</devices></domain>", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gb_machine_config_get_consoles (config)->len, ==, 3);
  machine = g_object_new (GB_TYPE_TEST_MACHINE, "name", "three", NULL);
  GB_TEST_MACHINE (machine)->serial = TRUE;
  _gb_machine_set_config (machine, config);
  _gb_machine_set_state (machine, GB_MACHINE_STATE_RUNNING);

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 500);
  view = GB_CONSOLE_VIEW (gb_console_view_new ());
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (view));
  gtk_window_present (GTK_WINDOW (window));
  terminal = gb_serial_console_get_terminal (gb_console_view_get_serial_console (view));
  chooser = find_chooser (view);

  /* No screen: the serial tab, with the three consoles offered and the
   * first one open. */
  gb_console_view_set_machine (view, machine);
  g_assert_cmpstr (gb_console_view_get_page (view), ==, "serial");
  g_assert_true (gtk_widget_get_visible (chooser));
  labels = gtk_drop_down_get_model (GTK_DROP_DOWN (chooser));
  g_assert_cmpuint (g_list_model_get_n_items (labels), ==, 3);
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (labels), 0), ==, "Serial Port 0");
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (labels), 1), ==, "Serial Port 1");
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (labels), 2), ==, "Virtio Console 1");
  g_object_set_data (G_OBJECT (terminal), "wanted", (gpointer) "This is the first console");
  g_assert_true (gb_test_wait_until (terminal_shows, terminal, 20000));

  /* Another one chosen: that one is opened. */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (chooser), 2);
  g_object_set_data (G_OBJECT (terminal), "wanted", (gpointer) "This is console1");
  g_assert_true (gb_test_wait_until (terminal_shows, terminal, 20000));
  g_assert_true (gb_serial_console_get_connected (gb_console_view_get_serial_console (view)));
  g_object_set_data (G_OBJECT (terminal), "wanted", (gpointer) "This is the first console");
  g_assert_false (terminal_shows (terminal));
  png = gb_test_save_window_png (window, "console-chooser");
  g_test_message ("window: %s", png);

  /* The screen tab has no use for it. */
  gb_console_view_set_page (view, "screen");
  g_assert_false (gtk_widget_get_visible (chooser));

  gb_console_view_set_machine (view, NULL);
  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
display_says_why (gpointer data)
{
  return gb_display_get_state (data) == GB_DISPLAY_STATE_ERROR;
}

static void
test_not_supported (void)
{
  g_autoptr(GbMachine) machine = NULL;
  g_autoptr(GbMachineConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  GbSerialConsole *serial;
  GbConsoleView *view;
  GbDisplay *display;
  GtkWidget *window;

  /* It has a screen, as far as its config says, and it runs. */
  config = gb_machine_config_new_from_xml ("<domain type='test'><name>elsewhere</name>"
                                           "<memory>65536</memory><os><type>hvm</type></os>"
                                           "<devices><graphics type='vnc' port='-1'/></devices>"
                                           "</domain>", &error);
  g_assert_no_error (error);
  machine = g_object_new (GB_TYPE_TEST_MACHINE, "name", "elsewhere", NULL);
  _gb_machine_set_config (machine, config);
  _gb_machine_set_state (machine, GB_MACHINE_STATE_RUNNING);

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 500);
  view = GB_CONSOLE_VIEW (gb_console_view_new ());
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (view));
  gtk_window_present (GTK_WINDOW (window));
  display = gb_console_view_get_display (view);
  serial = gb_console_view_get_serial_console (view);

  gb_console_view_set_machine (view, machine);
  g_assert_true (gb_console_view_get_machine (view) == machine);

  /* The screen says why in a sentence, and the view turns to the serial
   * tab, which says why too; no window but ours opens. */
  g_assert_true (gb_test_wait_until (display_says_why, display, 20000));
  g_test_message ("screen: %s", gb_display_get_error (display));
  g_assert_cmpstr (gb_display_get_error (display), ==,
                   ("Glassbox cannot show this machine’s screen. Its serial console may still work."));
  g_object_set_data (G_OBJECT (serial), "wanted",
                     (gpointer) ("Glassbox cannot open a serial console for this machine."));
  g_assert_true (gb_test_wait_until (serial_says, serial, 20000));
  g_assert_cmpstr (gb_console_view_get_page (view), ==, "serial");
  g_assert_false (gb_serial_console_get_connected (serial));
  g_assert_null (_gb_console_view_get_password_dialog (view));
  g_assert_false (gtk_widget_get_visible (find_chooser (view)));
  g_assert_cmpuint (g_list_model_get_n_items (gtk_window_get_toplevels ()), ==, 1);

  /* Stopped: both say it is off; started: asked again. */
  _gb_machine_set_state (machine, GB_MACHINE_STATE_SHUTOFF);
  g_assert_cmpint (gb_display_get_state (display), ==, GB_DISPLAY_STATE_DISCONNECTED);
  g_object_set_data (G_OBJECT (serial), "wanted",
                     (gpointer) ("The machine is off. Start it to see its console."));
  g_assert_true (serial_says (serial));
  _gb_machine_set_state (machine, GB_MACHINE_STATE_RUNNING);
  g_assert_true (gb_test_wait_until (display_says_why, display, 20000));

  gb_console_view_set_machine (view, NULL);
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  gvir_init_object (NULL, NULL);

  conn = gvir_connection_new ("test:///default");
  if (!gvir_connection_open (conn, NULL, &error) ||
      !gvir_connection_fetch_domains (conn, NULL, &error))
    g_error ("test:///default: %s", error->message);

  provider = gb_libvirt_provider_new ("test:///default");
  gb_provider_connect_async (provider, NULL, connected_cb, NULL);
  g_assert_true (gb_test_wait_until (provider_connected, provider, 30000));
  if (!gb_provider_connect_finish (provider, g_object_get_data (G_OBJECT (provider), "result"), &error))
    g_error ("provider: %s", error->message);

  g_test_add_func ("/display/libvirt/no-graphics", test_no_graphics);
  g_test_add_func ("/display/libvirt/off", test_off);
  g_test_add_func ("/display/libvirt/vnc", test_vnc);
  g_test_add_func ("/display/libvirt/spice", test_spice);
  g_test_add_func ("/display/libvirt/not-supported", test_not_supported);
  g_test_add_func ("/display/libvirt/chooser", test_chooser);

  return g_test_run ();
}
