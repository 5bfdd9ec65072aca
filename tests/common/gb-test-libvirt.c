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

static void
console_event (virStreamPtr  stream,
               int           events,
               void         *opaque)
{
  GbTestConsole *console = opaque;
  char buf[1024];
  int n;

  while ((n = virStreamRecv (stream, buf, sizeof buf)) > 0)
    g_string_append_len (console->text, buf, n);
  if (n == 0 || (n < 0 && n != -2) || (events & (VIR_STREAM_EVENT_HANGUP | VIR_STREAM_EVENT_ERROR)))
    {
      console->eof = TRUE;
      virStreamEventRemoveCallback (stream);
    }
}

void
gb_test_console_open (GbTestConsole *console,
                      virDomainPtr   dom)
{
  console->text = g_string_new (NULL);
  console->eof = FALSE;
  console->stream = virStreamNew (virDomainGetConnect (dom), VIR_STREAM_NONBLOCK);
  g_assert_nonnull (console->stream);
  g_assert_cmpint (virDomainOpenConsole (dom, NULL, console->stream, VIR_DOMAIN_CONSOLE_FORCE), ==, 0);
  g_assert_cmpint (virStreamEventAddCallback (console->stream,
                                              VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_HANGUP |
                                              VIR_STREAM_EVENT_ERROR,
                                              console_event, console, NULL), ==, 0);
}

void
gb_test_console_close (GbTestConsole *console)
{
  if (!console->eof)
    {
      virStreamEventRemoveCallback (console->stream);
      virStreamAbort (console->stream);
    }
  virStreamFree (console->stream);
  g_string_free (console->text, TRUE);
  console->text = NULL;
}
