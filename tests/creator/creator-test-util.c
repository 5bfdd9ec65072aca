/* creator-test-util.c — what the creator tests share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "creator-test-util.h"
#include "gb-test-utils.h"

/* A wizard model on @conn that has loaded osinfo and the host's
 * capabilities, as the window has before its first page. */
GbMachineCreator *
creator_test_prepared (GVirConnection *conn)
{
  GbMachineCreator *creator = gb_machine_creator_new (conn);
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
 * fails when libvirt refuses it. */
GVirDomain *
creator_test_create (GbMachineCreator *creator)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GVirDomain *domain;

  gb_machine_creator_create_async (creator, FALSE, NULL, gb_test_store_result, &result);
  domain = gb_machine_creator_create_finish (creator, gb_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (domain);
  return domain;
}
