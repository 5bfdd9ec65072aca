/* gb-libvirt-error.h — libvirt's errors as sentences a user can act on
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sets @error (GB_LIBVIRT_ERROR, libvirt's virErrorNumber as the code) from
 * libvirt's last error in this thread: a plain sentence for the common
 * errors, libvirt's own text kept after it as the detail. */
void        gb_libvirt_set_error          (GError     **error,
                                           const char  *fallback);
void        gb_libvirt_set_error_full     (GError     **error,
                                           int          code,
                                           const char  *libvirt_message);
const char *gb_libvirt_error_sentence     (int          code);
gboolean    gb_libvirt_check_uri_scheme   (const char  *uri,
                                           GError     **error);
/* Like gb_libvirt_set_error() after opening @uri failed: TLS certificate
 * trouble of a "+tls" connection gets a sentence that says where the
 * certificates go. */
void        gb_libvirt_set_connect_error  (GError     **error,
                                           const char  *uri);

G_END_DECLS
