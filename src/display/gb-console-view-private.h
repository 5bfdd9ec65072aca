/* gb-console-view-private.h: GbConsoleView internals for the tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gb-console-view.h"

G_BEGIN_DECLS

/* The password dialog while it is shown, or NULL. */
GtkWidget *_gb_console_view_get_password_dialog (GbConsoleView *self);

G_END_DECLS
