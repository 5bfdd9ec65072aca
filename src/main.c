/* main.c — starts Glassbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "gb-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GbApplication) app = NULL;

  gb_application_init_i18n ();

  app = gb_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
