/* gb-askpass.h — ssh's passphrase and password prompts, asked in the app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define GB_TYPE_ASKPASS (gb_askpass_get_type ())
G_DECLARE_FINAL_TYPE (GbAskpass, gb_askpass, GB, ASKPASS, GObject)

GbAskpass  *gb_askpass_new            (GtkApplication  *application);
/* Listens for glassbox-askpass and points SSH_ASKPASS at it. */
gboolean    gb_askpass_start          (GbAskpass       *self,
                                       GError         **error);
/* The helper program ssh runs, or NULL when it is not installed. */
char       *gb_askpass_find_helper    (void);
/* How many prompts were asked so far (for tests). */
guint       gb_askpass_get_n_asked    (GbAskpass       *self);

G_END_DECLS
