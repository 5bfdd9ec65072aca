/* test-libvirt-error.c — libvirt's errors as plain sentences (gb-libvirt-error.c)
 *
 *  - the common codes read as a sentence, with libvirt's text kept as the
 *    detail and its code kept for matching;
 *  - a real error of the test driver (a machine that is not there) goes
 *    through gb_libvirt_set_error the same way;
 *  - "bogus://x" is refused as an unknown connection type before libvirt
 *    is asked (libvirt's remote driver would talk of CA certificates), by
 *    the check and by a provider that tries to connect.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "gb-libvirt-error.h"
#include "gb-libvirt-provider.h"
#include "gb-test-libvirt.h"
#include "gb-test-utils.h"

static void
test_sentences (void)
{
  g_autoptr(GError) error = NULL;

  gb_libvirt_set_error_full (&error, VIR_ERR_OPERATION_INVALID,
                             "Requested operation is not valid: domain is not running");
  g_assert_error (error, GB_LIBVIRT_ERROR, VIR_ERR_OPERATION_INVALID);
  /* The sentence first, libvirt's words after it. */
  g_assert_true (g_str_has_prefix (error->message, gb_libvirt_error_sentence (VIR_ERR_OPERATION_INVALID)));
  g_assert_true (g_str_has_suffix (error->message, "domain is not running"));
  g_clear_error (&error);

  /* No sentence for a rare code: libvirt's message alone. */
  gb_libvirt_set_error_full (&error, VIR_ERR_XML_ERROR, "XML error: bad");
  g_assert_cmpstr (error->message, ==, "XML error: bad");

  g_assert_nonnull (gb_libvirt_error_sentence (VIR_ERR_NO_DOMAIN));
  g_assert_nonnull (gb_libvirt_error_sentence (VIR_ERR_NO_CONNECT));
  g_assert_nonnull (gb_libvirt_error_sentence (VIR_ERR_ACCESS_DENIED));
  g_assert_null (gb_libvirt_error_sentence (VIR_ERR_XML_ERROR));
}

static void
test_real_error (void)
{
  virConnectPtr conn = virConnectOpen ("test:///default");
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (conn);
  /* A machine that is not there. */
  g_assert_null (virDomainLookupByName (conn, "no-such-machine"));
  gb_libvirt_set_error (&error, NULL);
  g_assert_error (error, GB_LIBVIRT_ERROR, VIR_ERR_NO_DOMAIN);
  g_assert_true (g_str_has_prefix (error->message, gb_libvirt_error_sentence (VIR_ERR_NO_DOMAIN)));
  /* libvirt's own words follow, on their own line. */
  g_assert_nonnull (strstr (error->message, "\n"));
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "Details: "));
  virConnectClose (conn);
}

static void
test_unknown_scheme (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GbProvider) provider = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  g_assert_true (gb_libvirt_check_uri_scheme ("qemu:///system", NULL));
  g_assert_true (gb_libvirt_check_uri_scheme ("qemu+ssh://host/system", NULL));
  g_assert_true (gb_libvirt_check_uri_scheme ("test:///default", NULL));
  g_assert_false (gb_libvirt_check_uri_scheme ("bogus://x", &error));
  g_assert_error (error, GB_LIBVIRT_ERROR, VIR_ERR_NO_CONNECT);
  g_assert_nonnull (strstr (error->message, "Unknown connection type"));
  g_assert_nonnull (strstr (error->message, "“bogus”"));
  g_assert_null (strstr (error->message, "CA"));
  g_clear_error (&error);
  g_assert_false (gb_libvirt_check_uri_scheme ("no scheme", &error));
  g_clear_error (&error);

  /* A provider says the same, and never reaches libvirt's remote driver. */
  provider = gb_libvirt_provider_new ("bogus://x");
  gb_provider_connect_async (provider, NULL, gb_test_store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (gb_provider_connect_finish (provider, result, &error));
  g_assert_error (error, GB_LIBVIRT_ERROR, VIR_ERR_NO_CONNECT);
  g_assert_nonnull (strstr (gb_provider_get_error (provider), "Unknown connection type"));
}

int
main (int   argc,
      char *argv[])
{
  /* The sentences are compared in English. */
  g_setenv ("LANGUAGE", "en", TRUE);
  g_test_init (&argc, &argv, NULL);
  gb_test_libvirt_init ();

  g_test_add_func ("/libvirt-error/sentences", test_sentences);
  g_test_add_func ("/libvirt-error/real-error", test_real_error);
  g_test_add_func ("/libvirt-error/unknown-scheme", test_unknown_scheme);

  return g_test_run ();
}
