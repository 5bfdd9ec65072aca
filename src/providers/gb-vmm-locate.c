/* gb-vmm-locate.c — where glassbox-vmm is
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "gb-vmm-locate.h"

static gboolean
running_from_build_tree (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);

  return self != NULL && g_str_has_prefix (self, BUILD_ROOT "/");
}

char *
gb_vmm_find_binary (GError **error)
{
  const char *env = g_getenv ("GLASSBOX_VMM");
  const char *installed[] = { LIBEXECDIR "/glassbox-vmm", BINDIR "/glassbox-vmm" };
  char *found;

  if (env != NULL && *env != '\0')
    {
      if (g_file_test (env, G_FILE_TEST_IS_EXECUTABLE))
        return g_strdup (env);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("GLASSBOX_VMM names %s, which is not a program"), env);
      return NULL;
    }

  if (running_from_build_tree ()
      && g_file_test (BUILD_ROOT "/hypervisor/vmm/glassbox-vmm", G_FILE_TEST_IS_EXECUTABLE))
    return g_strdup (BUILD_ROOT "/hypervisor/vmm/glassbox-vmm");

  for (guint i = 0; i < G_N_ELEMENTS (installed); i++)
    if (g_file_test (installed[i], G_FILE_TEST_IS_EXECUTABLE))
      return g_strdup (installed[i]);

  if ((found = g_find_program_in_path ("glassbox-vmm")) != NULL)
    return found;

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       _("Glassbox’s own virtual machine monitor, glassbox-vmm, is not installed"));
  return NULL;
}
