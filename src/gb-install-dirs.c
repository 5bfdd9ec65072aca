/* gb-install-dirs.c — where the installed app's files are
 *
 * The app finds what it needs at run time (glassbox-vmm, the Lab's guests,
 * its translations) through its prefix, never through the build tree it
 * was built in:
 *
 *  - Run from the build tree (the program itself lies under BUILD_ROOT and
 *    not in a <prefix>/<bindir> there), it uses the build tree's files, so
 *    that build-aux/run.sh and the tests need no install.
 *  - Installed, it looks first in the prefix it finds itself in: the folder
 *    above the <bindir> holding /proc/self/exe.  For an ordinary install
 *    that is PREFIX; for a tree installed with `meson install --destdir`
 *    or moved elsewhere it is that folder, which is what the install test
 *    (tests/install/) runs.  The configured absolute folders come second.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <gio/gio.h>

#include "gb-install-dirs.h"

static char *
read_self (void)
{
  return g_file_read_link ("/proc/self/exe", NULL);
}

/* The prefix the running program is installed in, or NULL when it is not
 * in a <prefix>/<bindir> (e.g. the build tree's src/glassbox). */
static const char *
runtime_prefix (void)
{
  static char *prefix;
  static gsize once;

  if (g_once_init_enter (&once))
    {
      g_autofree char *self = read_self ();
      g_autofree char *dir = self ? g_path_get_dirname (self) : NULL;
      gsize prefix_len = strlen (PREFIX);
      const char *bindir_rel;

      /* BINDIR is PREFIX/<bindir> unless bindir was set outside the prefix,
       * and then the program cannot tell where its prefix is. */
      if (dir != NULL && g_str_has_prefix (BINDIR, PREFIX) && BINDIR[prefix_len] == '/')
        {
          bindir_rel = BINDIR + prefix_len;      /* "/bin" */
          if (g_str_has_suffix (dir, bindir_rel))
            prefix = g_strndup (dir, strlen (dir) - strlen (bindir_rel));
        }
      g_once_init_leave (&once, 1);
    }
  return prefix;
}

/**
 * gb_install_dirs_running_uninstalled:
 *
 * Returns: %TRUE when the running program is one built in the build tree
 *   (and not installed, even into a folder inside the build tree).
 */
gboolean
gb_install_dirs_running_uninstalled (void)
{
  g_autofree char *self = read_self ();

  return self != NULL && g_str_has_prefix (self, BUILD_ROOT "/") && runtime_prefix () == NULL;
}

/**
 * gb_install_dirs_get:
 * @configured_dir: an installation folder as configured (LIBEXECDIR,
 *   LOCALEDIR, LAB_DIR, … from config.h)
 *
 * Returns: (transfer full): @configured_dir inside the prefix the running
 *   program was found in; @configured_dir itself when the program is not
 *   installed in a prefix or the folder lies outside the prefix.
 */
char *
gb_install_dirs_get (const char *configured_dir)
{
  const char *prefix = runtime_prefix ();
  gsize prefix_len = strlen (PREFIX);

  if (prefix == NULL
      || !g_str_has_prefix (configured_dir, PREFIX)
      || (configured_dir[prefix_len] != '/' && configured_dir[prefix_len] != '\0'))
    return g_strdup (configured_dir);
  return g_strconcat (prefix, configured_dir + prefix_len, NULL);
}
