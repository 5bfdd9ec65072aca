/* gb-machine-spec.c — a new machine as the user chose it, for a provider to make
 *
 * The wizard's model (src/creator/gb-machine-creator.c) hands these plain
 * choices to the provider's GbCreatorBackend; what does not depend on the
 * place to run (a valid name, a complete source) is checked here.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "gb-machine-spec.h"

GbMachineSpec *
gb_machine_spec_new (void)
{
  return g_new0 (GbMachineSpec, 1);
}

GbMachineSpec *
gb_machine_spec_copy (const GbMachineSpec *spec)
{
  GbMachineSpec *copy = g_memdup2 (spec, sizeof *spec);

  copy->name = g_strdup (spec->name);
  copy->os = spec->os ? g_object_ref (spec->os) : NULL;
  copy->source_path = g_strdup (spec->source_path);
  copy->kernel_path = g_strdup (spec->kernel_path);
  copy->initrd_path = g_strdup (spec->initrd_path);
  copy->kernel_cmdline = g_strdup (spec->kernel_cmdline);
  copy->disk_path = g_strdup (spec->disk_path);
  copy->pool_name = g_strdup (spec->pool_name);
  copy->bridge_name = g_strdup (spec->bridge_name);
  return copy;
}

void
gb_machine_spec_free (GbMachineSpec *spec)
{
  if (spec == NULL)
    return;
  g_free (spec->name);
  g_clear_object (&spec->os);
  g_free (spec->source_path);
  g_free (spec->kernel_path);
  g_free (spec->initrd_path);
  g_free (spec->kernel_cmdline);
  g_free (spec->disk_path);
  g_free (spec->pool_name);
  g_free (spec->bridge_name);
  g_free (spec);
}

/* Whether the machine boots a kernel given to it (not a disk or a CD). */
gboolean
gb_machine_spec_uses_kernel_boot (const GbMachineSpec *spec)
{
  return spec->source_kind == GB_CREATOR_SOURCE_DIRECT_KERNEL ||
         spec->source_kind == GB_CREATOR_SOURCE_NETWORK_INSTALL ||
         spec->source_kind == GB_CREATOR_SOURCE_TINY_LINUX;
}

/**
 * gb_machine_name_is_valid:
 *
 * A machine name becomes file names on the host, so: 1–64 characters,
 * ASCII letters, digits, and "-", "_", ".", "+", starting with a letter or
 * a digit.
 */
gboolean
gb_machine_name_is_valid (const char  *name,
                          GError     **error)
{
  if (name == NULL || *name == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Give the machine a name"));
      return FALSE;
    }
  if (strlen (name) > 64)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The name can be at most 64 characters long"));
      return FALSE;
    }
  if (!g_ascii_isalnum (name[0]))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The name must start with a letter or a digit"));
      return FALSE;
    }
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr ("-_.+", *p) == NULL)
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                     _("Use only letters, digits, “-”, “_”, “.” and “+” (not “%c”)"),
                     g_ascii_isprint (*p) ? *p : '?');
        return FALSE;
      }
  return TRUE;
}

/**
 * gb_machine_spec_check_source:
 *
 * Whatever the place to run: the name is valid and the chosen source has
 * what it needs (a file, a kernel, a disk).  A sentence for the user if not.
 */
gboolean
gb_machine_spec_check_source (const GbMachineSpec  *self,
                              GError              **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (!gb_machine_name_is_valid (self->name, error))
    return FALSE;

  switch (self->source_kind)
    {
    case GB_CREATOR_SOURCE_INSTALL_MEDIA:
    case GB_CREATOR_SOURCE_IMPORT_DISK:
      if (self->source_path == NULL || *self->source_path == '\0')
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               self->source_kind == GB_CREATOR_SOURCE_IMPORT_DISK
                               ? _("Choose the disk image to import")
                               : _("Choose the installation media"));
          return FALSE;
        }
      break;
    case GB_CREATOR_SOURCE_DIRECT_KERNEL:
    case GB_CREATOR_SOURCE_NETWORK_INSTALL:
    case GB_CREATOR_SOURCE_TINY_LINUX:
      if (self->kernel_path == NULL || *self->kernel_path == '\0')
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               self->source_kind == GB_CREATOR_SOURCE_NETWORK_INSTALL
                               ? _("No installer kernel was found at that address")
                               : _("Choose the kernel to boot"));
          return FALSE;
        }
      break;
    default:
      g_assert_not_reached ();
    }

  if (self->disk_mode == GB_CREATOR_DISK_EXISTING && (self->disk_path == NULL || *self->disk_path == '\0'))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Choose the disk image to use"));
      return FALSE;
    }
  return TRUE;
}
