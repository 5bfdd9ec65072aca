/* test-display-libvirt.c: GbDisplay opening libvirt domains
 *
 * libvirt's in-process test driver (test:///default) holds the domains; a
 * real QEMU (stopped, -S) serves VNC on a loopback port for the domain whose
 * <graphics> points at it.  The test driver cannot hand out a graphics socket
 * (virDomainOpenGraphicsFD), so this also covers the fallback to the address
 * in the domain XML.
 *
 *   no-graphics  a running machine without <graphics>: a clear message
 *   off          a stopped machine: a clear message
 *   vnc          a machine whose <graphics> is QEMU's VNC server: connected
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "gb-display-private.h"
#include "gb-test-qemu.h"

/* libvirt-glib 4.0 declares no autoptr cleanups. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirDomain, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomain, g_object_unref)

static GVirConnection *conn;

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
  gboolean ok = gb_display_open_domain_finish (GB_DISPLAY (object), result, error);

  g_assert_true (ok == (*error == NULL));
  g_object_set_data (object, "opened", GINT_TO_POINTER (1));
}

static gboolean
has_opened (gpointer data)
{
  return g_object_get_data (data, "opened") != NULL;
}

/* Opens the domain and waits for the outcome; FALSE with @error on failure. */
static gboolean
open_domain (GbDisplay   *display,
             GVirDomain  *domain,
             GError     **error)
{
  g_object_set_data (G_OBJECT (display), "opened", NULL);
  gb_display_open_domain_async (display, domain, NULL, opened_cb, error);
  g_assert_true (gb_test_wait_until (has_opened, display, 20000));
  return *error == NULL;
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
  g_autoptr(GVirDomain) domain = gvir_connection_find_domain_by_name (conn, "test");
  g_autoptr(GError) error = NULL;
  GbDisplay *display = GB_DISPLAY (g_object_ref_sink (gb_display_new ()));

  g_assert_nonnull (domain);
  g_assert_false (open_domain (display, domain, &error));
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
  g_autoptr(GError) error = NULL;
  GbDisplay *display = GB_DISPLAY (g_object_ref_sink (gb_display_new ()));

  g_assert_true (gvir_domain_stop (domain, 0, &error));
  g_assert_no_error (error);

  g_assert_false (open_domain (display, domain, &error));
  g_assert_error (error, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_NOT_RUNNING);
  g_assert_cmpint (gb_display_get_state (display), ==, GB_DISPLAY_STATE_DISCONNECTED);
  g_assert_cmpstr (gb_display_get_error (display), ==, error->message);
  g_test_message ("shown: %s", gb_display_get_error (display));

  g_object_unref (display);
  g_assert_true (gvir_domain_start (domain, 0, NULL));
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

  window = gtk_window_new ();
  display = GB_DISPLAY (gb_display_new ());
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (display));
  gtk_window_present (GTK_WINDOW (window));

  g_assert_true (open_domain (display, domain, &error));
  g_assert_no_error (error);
  g_assert_true (gb_test_wait_until (is_settled, display, 20000));
  g_assert_cmpint (gb_display_get_state (display), ==, GB_DISPLAY_STATE_CONNECTED);
  g_assert_cmpint (gb_display_get_guest_width (display), >, 0);

  gtk_window_destroy (GTK_WINDOW (window));
  gvir_domain_stop (domain, 0, NULL);
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

  g_test_add_func ("/display/libvirt/no-graphics", test_no_graphics);
  g_test_add_func ("/display/libvirt/off", test_off);
  g_test_add_func ("/display/libvirt/vnc", test_vnc);

  return g_test_run ();
}
