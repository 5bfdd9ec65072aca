/* gb-libvirt-error.c — libvirt's errors as sentences a user can act on
 *
 * The one place where libvirt's errors become GErrors. libvirt's messages
 * are written for administrators ("Requested operation is not valid: domain
 * is not running"); for the common ones the user reads a plain sentence
 * first, and libvirt's text after it as the detail, for a bug report. The
 * code stays libvirt's virErrorNumber, so callers can still match it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <libintl.h>
#include <string.h>
#include <glib/gi18n.h>
#include <libvirt/virterror.h>

#include "gb-libvirt-error.h"
#include "gb-libvirt-provider.h"

G_DEFINE_QUARK (gb-libvirt-error-quark, gb_libvirt_error)

/**
 * gb_libvirt_error_sentence:
 *
 * Returns: (nullable): a plain sentence for a common libvirt error code,
 *   or %NULL when libvirt's own message says it as well as we could
 */
const char *
gb_libvirt_error_sentence (int code)
{
  switch (code)
    {
    case VIR_ERR_OPERATION_INVALID:
      return _("The machine is not in a state that allows this (for example, it is off, or already running).");
    case VIR_ERR_NO_DOMAIN:
      return _("This machine no longer exists on the connection.");
    case VIR_ERR_NO_CONNECT:
      return _("Unknown connection type, or its libvirt driver is not installed.");
    case VIR_ERR_AUTH_FAILED:
    case VIR_ERR_AUTH_CANCELLED:
    case VIR_ERR_AUTH_UNAVAILABLE:
      return _("The connection did not accept your credentials.");
    case VIR_ERR_OPERATION_DENIED:
    case VIR_ERR_ACCESS_DENIED:
      return _("Permission denied: this connection does not allow you to do that.");
    case VIR_ERR_OPERATION_TIMEOUT:
      return _("The host did not answer in time.");
    case VIR_ERR_NO_SUPPORT:
    case VIR_ERR_OPERATION_UNSUPPORTED:
      return _("This connection cannot do that.");
    case VIR_ERR_CONFIG_UNSUPPORTED:
      return _("The host cannot run the machine as it is configured.");
    case VIR_ERR_NO_NETWORK:
      return _("This virtual network no longer exists.");
    case VIR_ERR_NO_STORAGE_POOL:
      return _("This storage pool no longer exists.");
    case VIR_ERR_NO_STORAGE_VOL:
      return _("This disk image no longer exists.");
    case VIR_ERR_SYSTEM_ERROR:
      return _("The host system refused the request.");
    default:
      return NULL;
    }
}

/* "Plain sentence.\nDetails: libvirt's text" */
void
gb_libvirt_set_error_full (GError     **error,
                           int          code,
                           const char  *libvirt_message)
{
  const char *sentence = gb_libvirt_error_sentence (code);

  if (sentence != NULL && libvirt_message != NULL)
    /* Translators: a plain sentence, then libvirt's own message */
    g_set_error (error, GB_LIBVIRT_ERROR, code, _("%s\nDetails: %s"), sentence, libvirt_message);
  else
    g_set_error_literal (error, GB_LIBVIRT_ERROR, code,
                         libvirt_message ? libvirt_message : sentence ? sentence : _("Unknown libvirt error"));
}

void
gb_libvirt_set_error (GError     **error,
                      const char  *fallback)
{
  virErrorPtr err = virGetLastError ();

  if (err != NULL && err->message != NULL)
    gb_libvirt_set_error_full (error, err->code, err->message);
  else
    g_set_error_literal (error, GB_LIBVIRT_ERROR, VIR_ERR_INTERNAL_ERROR,
                         fallback ? fallback : _("Unknown libvirt error"));
  virResetLastError ();
}

/* libvirt's drivers, by URI scheme (before any "+transport"). */
static const char * const known_schemes[] = {
  "qemu", "test", "lxc", "xen", "libxl", "bhyve", "ch", "vbox", "vmwareplayer", "vmwarews",
  "vmwarefusion", "vz", "parallels", "esx", "gsx", "vpx", "hyperv", "openvz",
};

/**
 * gb_libvirt_check_uri_scheme:
 *
 * An unknown scheme ("bogus://x") is handed by libvirt to its remote
 * driver, which answers with something about CA certificates: say what is
 * wrong before libvirt is asked at all.
 */
gboolean
gb_libvirt_check_uri_scheme (const char  *uri,
                             GError     **error)
{
  g_autofree char *scheme = g_uri_parse_scheme (uri ? uri : "");
  char *plus;

  if (scheme == NULL)
    {
      g_set_error (error, GB_LIBVIRT_ERROR, VIR_ERR_INVALID_ARG,
                   /* Translators: %s is what the user typed as a connection address */
                   _("“%s” is not a connection address: it should look like qemu:///system."),
                   uri ? uri : "");
      return FALSE;
    }
  if ((plus = strchr (scheme, '+')) != NULL)
    *plus = '\0';
  for (guint i = 0; i < G_N_ELEMENTS (known_schemes); i++)
    if (g_ascii_strcasecmp (scheme, known_schemes[i]) == 0)
      return TRUE;

  g_set_error (error, GB_LIBVIRT_ERROR, VIR_ERR_NO_CONNECT,
               /* Translators: %s is a URI scheme such as "bogus" */
               _("Unknown connection type “%s”: libvirt knows qemu, test, lxc, xen, ch, bhyve, vbox, esx and a "
                 "few more (qemu:///system, qemu:///session, qemu+ssh://host/system …)."),
               scheme);
  return FALSE;
}

static gboolean
uses_tls (const char *uri)
{
  g_autofree char *scheme = g_uri_parse_scheme (uri ? uri : "");
  const char *plus = scheme ? strchr (scheme, '+') : NULL;

  return plus != NULL && g_ascii_strcasecmp (plus + 1, "tls") == 0;
}

/* libvirt's messages about TLS certificates (libvirt 9.0's msgids). */
static const char * const certificate_msgids[] = {
  "Cannot read CA certificate '%s'",
  "Cannot read certificate '%s'",
  "Failed to verify peer's certificate",
  "Our own certificate %s failed validation against %s: %s",
  "Unable to verify server certificate %s against CA certificate %s",
  "Certificate %s owner does not match the hostname %s",
  "The server certificate %s has expired",
  "The CA certificate %s has expired",
  "The client certificate %s has expired",
  "Unable to import client certificate %s",
  "Unable to import CA certificate list %s",
  "The certificate hasn't got a known issuer.",
  "The certificate is not trusted.",
};

/* The longest stretch of @text without a conversion ("%s"). */
static char *
longest_literal (const char *text)
{
  g_auto(GStrv) parts = g_strsplit (text, "%s", -1);
  const char *best = "";

  for (guint i = 0; parts[i]; i++)
    if (strlen (parts[i]) > strlen (best))
      best = parts[i];
  return g_strstrip (g_strdup (best));
}

/* libvirt translates its messages: look for its own words in English and
 * in the user's language. */
static gboolean
mentions_certificate (const char *message)
{
  if (strstr (message, "certificate") != NULL)
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (certificate_msgids); i++)
    {
      const char *translated = dgettext ("libvirt", certificate_msgids[i]);
      g_autofree char *literal = NULL;

      if (translated == certificate_msgids[i])
        continue;
      literal = longest_literal (translated);
      if (strlen (literal) >= 6 && strstr (message, literal) != NULL)
        return TRUE;
    }
  return FALSE;
}

void
gb_libvirt_set_connect_error (GError     **error,
                              const char  *uri)
{
  virErrorPtr err = virGetLastError ();

  /* libvirt says "Cannot read CA certificate '…'", "Our own certificate …
   * failed validation against …", "The server certificate … is not
   * trusted": right, but not what to do about it. */
  if (err != NULL && err->message != NULL && uses_tls (uri) && mentions_certificate (err->message))
    {
      g_set_error (error, GB_LIBVIRT_ERROR, err->code,
                   /* Translators: a plain sentence, then libvirt's own message */
                   _("%s\nDetails: %s"),
                   _("The TLS certificates for this connection are missing or do not match. Glassbox needs the "
                     "certificate authority’s certificate (cacert.pem) and this computer’s certificate and key "
                     "(clientcert.pem, clientkey.pem) signed by it: in ~/.pki/libvirt/ (as root: /etc/pki/), or in "
                     "the folder the address names with pkipath=…"),
                   err->message);
      virResetLastError ();
      return;
    }
  gb_libvirt_set_error (error, NULL);
}
