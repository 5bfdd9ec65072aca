/* gb-test-libvirt.c — libvirt connections for the provider and creator tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gb-test-libvirt.h"

#include <libvirt-gconfig/libvirt-gconfig.h>
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

char *
gb_test_tiny_domain_xml (const char *name,
                         gboolean    kvm,
                         const char *machine,
                         guint       vcpus,
                         const char *kernel)
{
  /* (libvirt-gconfig 4.0 declares no g_autoptr() cleanups.) */
  GVirConfigDomain *domain = gvir_config_domain_new ();
  GVirConfigDomainOs *os = gvir_config_domain_os_new ();
  GVirConfigDomainSerial *serial = gvir_config_domain_serial_new ();
  GVirConfigDomainChardevSourcePty *pty = gvir_config_domain_chardev_source_pty_new ();
  char *features[] = { (char *) "acpi", (char *) "apic", NULL };
  char *xml;

  gvir_config_domain_set_virt_type (domain, kvm ? GVIR_CONFIG_DOMAIN_VIRT_KVM : GVIR_CONFIG_DOMAIN_VIRT_QEMU);
  gvir_config_domain_set_name (domain, name);
  gvir_config_domain_set_memory (domain, 64 * 1024);  /* KiB */
  gvir_config_domain_set_vcpus (domain, vcpus);
  gvir_config_domain_set_features (domain, features);
  gvir_config_domain_os_set_os_type (os, GVIR_CONFIG_DOMAIN_OS_TYPE_HVM);
  gvir_config_domain_os_set_arch (os, "x86_64");
  if (machine != NULL)
    gvir_config_domain_os_set_machine (os, machine);
  gvir_config_domain_os_set_kernel (os, kernel);
  gvir_config_domain_set_os (domain, os);
  gvir_config_domain_chardev_set_source (GVIR_CONFIG_DOMAIN_CHARDEV (serial),
                                         GVIR_CONFIG_DOMAIN_CHARDEV_SOURCE (pty));
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (serial));
  xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (domain));

  g_object_unref (pty);
  g_object_unref (serial);
  g_object_unref (os);
  g_object_unref (domain);
  return xml;
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
