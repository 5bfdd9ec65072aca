/* gb-display-connect.c: where GbDisplay's sources come from
 *
 * A display shows a source; this file makes one, unconnected, from what the
 * caller has: a console address (vnc://, spice+unix://, …) or a GbMachine,
 * which hands over a connected socket (gb_machine_open_graphics_async()).
 * The widget never opens a connection itself, as libmks's MksDisplay is
 * handed a screen its session opened.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "gb-display.h"
#include "gb-display-connect.h"
#include "gb-spice-source.h"
#include "gb-vnc-source.h"

/**
 * _gb_display_source_new_for_uri:
 * @uri: vnc://HOST:PORT, vnc+unix:///PATH, spice://HOST:PORT or
 *   spice+unix:///PATH
 *
 * Returns: (transfer full): a source for @uri, or %NULL with
 *   %GB_DISPLAY_ERROR_INVALID_URI
 */
GbDisplaySource *
_gb_display_source_new_for_uri (const char  *text,
                                GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  const char *scheme;

  if (uri == NULL)
    goto invalid;
  scheme = g_uri_get_scheme (uri);

  if (g_str_equal (scheme, "vnc") && g_uri_get_host (uri) != NULL)
    {
      int port = g_uri_get_port (uri);
      g_autofree char *port_str = g_strdup_printf ("%d", port > 0 ? port : 5900);

      return gb_vnc_source_new_host (g_uri_get_host (uri), port_str);
    }
  if (g_str_equal (scheme, "vnc+unix") && *g_uri_get_path (uri) == '/')
    return gb_vnc_source_new_unix (g_uri_get_path (uri));
  if (g_str_equal (scheme, "spice") || g_str_equal (scheme, "spice+unix"))
    return gb_spice_source_new_uri (text);

invalid:
  g_set_error (error, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_INVALID_URI,
               _("“%s” is not a console address (vnc://, vnc+unix://, spice:// or spice+unix://)."),
               text);
  return NULL;
}

static gboolean
machine_is_running (GbMachine *machine)
{
  switch (gb_machine_get_state (machine))
    {
    case GB_MACHINE_STATE_RUNNING:
    case GB_MACHINE_STATE_PAUSED:
    case GB_MACHINE_STATE_SHUTTING_DOWN:
      return TRUE;
    default:
      return FALSE;
    }
}

/* What can be said at once, from the machine's state and config: it is off
 * (%GB_DISPLAY_ERROR_NOT_RUNNING) or has no screen
 * (%GB_DISPLAY_ERROR_NO_GRAPHICS). */
gboolean
_gb_display_machine_can_show (GbMachine  *machine,
                              GError    **error)
{
  if (!machine_is_running (machine))
    {
      g_set_error (error, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_NOT_RUNNING,
                   _("The machine is off. Start it to see its screen."));
      return FALSE;
    }
  if (gb_machine_get_graphics_protocol (machine) == GB_GRAPHICS_PROTOCOL_NONE)
    {
      g_set_error (error, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_NO_GRAPHICS,
                   _("This machine has no graphical display. Its serial console may still work."));
      return FALSE;
    }
  return TRUE;
}

static void
open_graphics_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      data)
{
  GbMachine *machine = GB_MACHINE (object);
  g_autoptr(GTask) task = data;
  g_autoptr(GError) error = NULL;
  int fd;

  fd = gb_machine_open_graphics_finish (machine, result, &error);
  if (fd >= 0 && g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      close (fd);
      g_task_return_error_if_cancelled (task);
      return;
    }

  if (fd < 0)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
        /* Not a failure of this machine: its kind cannot show a screen. */
        g_task_return_new_error (task, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_NO_GRAPHICS,
                                 _("Glassbox cannot show this machine’s screen. Its serial console may still work."));
      else
        g_task_return_new_error (task, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_FAILED,
                                 "%s", error->message);
      return;
    }

  if (gb_machine_get_graphics_protocol (machine) == GB_GRAPHICS_PROTOCOL_SPICE)
    g_task_return_pointer (task, gb_spice_source_new_machine (machine, fd), g_object_unref);
  else
    g_task_return_pointer (task, gb_vnc_source_new_fd (fd), g_object_unref);
}

/**
 * _gb_display_source_open_machine_async:
 *
 * Asks @machine for a connection to its screen and makes a source speaking
 * its protocol on it (SPICE asks the machine again for each channel).
 */
void
_gb_display_source_open_machine_async (GbMachine           *machine,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (machine, cancellable, callback, user_data);

  g_task_set_source_tag (task, _gb_display_source_open_machine_async);
  gb_machine_open_graphics_async (machine, cancellable, open_graphics_cb, g_object_ref (task));
}

/**
 * _gb_display_source_open_machine_finish:
 *
 * Returns: (transfer full): a source, not yet connected, or %NULL with a
 *   %GB_DISPLAY_ERROR (or %G_IO_ERROR_CANCELLED)
 */
GbDisplaySource *
_gb_display_source_open_machine_finish (GAsyncResult  *result,
                                        GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
