/* gb-vmm-locate.c — where glassbox-vmm is
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "gb-install-dirs.h"
#include "gb-vmm-locate.h"

char *
gb_vmm_find_binary (GError **error)
{
  const char *env = g_getenv ("GLASSBOX_VMM");
  const char *configured[] = { LIBEXECDIR, BINDIR };
  char *found;

  if (env != NULL && *env != '\0')
    {
      if (g_file_test (env, G_FILE_TEST_IS_EXECUTABLE))
        return g_strdup (env);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("GLASSBOX_VMM names %s, which is not a program"), env);
      return NULL;
    }

  if (gb_install_dirs_running_uninstalled ()
      && g_file_test (BUILD_ROOT "/hypervisor/vmm/glassbox-vmm", G_FILE_TEST_IS_EXECUTABLE))
    return g_strdup (BUILD_ROOT "/hypervisor/vmm/glassbox-vmm");

  /* The prefix this program runs from first, then the configured one. */
  for (guint pass = 0; pass < 2; pass++)
    for (guint i = 0; i < G_N_ELEMENTS (configured); i++)
      {
        g_autofree char *dir = pass == 0 ? gb_install_dirs_get (configured[i])
                                         : g_strdup (configured[i]);
        g_autofree char *path = g_build_filename (dir, "glassbox-vmm", NULL);

        if (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
          return g_steal_pointer (&path);
      }

  if ((found = g_find_program_in_path ("glassbox-vmm")) != NULL)
    return found;

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       _("Glassbox’s own virtual machine monitor, glassbox-vmm, is not installed"));
  return NULL;
}
