/* creator-test-util.c — what the creator tests share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "creator-test-util.h"
#include "gb-libvirt-provider.h"
#include "gb-test-utils.h"

/* A libvirt provider on @uri, connected as the app's would be. */
GbProvider *
creator_test_libvirt_provider (const char *uri)
{
  GbProvider *provider = gb_libvirt_provider_new (uri);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  gb_provider_connect_async (provider, NULL, gb_test_store_result, &result);
  g_assert_true (gb_provider_connect_finish (provider, gb_test_wait_result (&result), &error));
  g_assert_no_error (error);
  return provider;
}

/* The provider's own connection, for looking at what the wizard made. */
GVirConnection *
creator_test_connection (GbProvider *provider)
{
  GVirConnection *conn = gb_libvirt_provider_get_connection (GB_LIBVIRT_PROVIDER (provider));

  g_assert_nonnull (conn);
  return conn;
}

/* A wizard model on @provider that has loaded osinfo and the host's
 * capabilities, as the window has before its first page. */
GbMachineCreator *
creator_test_prepared (GbProvider *provider)
{
  GbMachineCreator *creator = gb_machine_creator_new (provider);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  gb_machine_creator_prepare_async (creator, NULL, gb_test_store_result, &result);
  g_assert_true (gb_machine_creator_prepare_finish (creator, gb_test_wait_result (&result), &error));
  g_assert_no_error (error);
  return creator;
}

/* Points @creator at the medium @path and waits for osinfo's answer. */
gboolean
creator_test_detect_os (GbMachineCreator  *creator,
                        const char        *path,
                        GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  gb_machine_creator_set_source_path (creator, path);
  gb_machine_creator_detect_os_async (creator, NULL, gb_test_store_result, &result);
  return gb_machine_creator_detect_os_finish (creator, gb_test_wait_result (&result), error);
}

/* Create (without starting) the machine @creator describes; the test
 * fails when it is refused.  Returns its UUID. */
char *
creator_test_create_uuid (GbMachineCreator *creator)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *uuid;

  gb_machine_creator_create_async (creator, FALSE, NULL, gb_test_store_result, &result);
  uuid = gb_machine_creator_create_finish (creator, gb_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (uuid);
  return uuid;
}

/* The same on a libvirt provider, returning the domain libvirt defined. */
GVirDomain *
creator_test_create (GbMachineCreator *creator)
{
  g_autofree char *uuid = creator_test_create_uuid (creator);
  GVirConnection *conn = creator_test_connection (gb_machine_creator_get_provider (creator));
  GVirDomain *domain;

  g_assert_true (gvir_connection_fetch_domains (conn, NULL, NULL));
  domain = gvir_connection_get_domain (conn, uuid);
  g_assert_nonnull (domain);
  return domain;
}
