/* gb-test-libvirt.c — libvirt connections for the provider and creator tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gb-test-libvirt.h"

#include <libvirt/virterror.h>

#include "gb-test-utils.h"

static void
quiet_error (void        *data,
             virErrorPtr  error)
{
}

/* What every program talking to libvirt sets up after g_test_init():
 * debug messages dropped, libvirt's own stderr report of each error
 * silenced (the tests check the GErrors), the 50 ms ticker, and
 * libvirt-glib's event loop. */
void
gb_test_libvirt_init (void)
{
  gb_test_drop_debug_messages ();
  virSetErrorFunc (NULL, quiet_error);
  gb_test_add_ticker ();
  gvir_init_object (NULL, NULL);
}

/* An open connection to @uri, or the test fails. */
GVirConnection *
gb_test_libvirt_open (const char *uri)
{
  g_autoptr(GError) error = NULL;
  GVirConnection *conn = gvir_connection_new (uri);

  if (!gvir_connection_open (conn, NULL, &error))
    g_error ("%s: %s", uri, error->message);
  return conn;
}
