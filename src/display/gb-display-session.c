/* gb-display-session.c: what GbDisplay shows, from opening to closing
 *
 * Part of GbDisplay (gb-display.c; the instance is in gb-display-internal.h):
 * opening a console address or a machine's screen (through
 * gb-display-connect.c), attaching the source to the paintable, keyboard
 * and mouse, following the source's state (reconnecting with back-off from
 * RECONNECT_MIN_MS to RECONNECT_MAX_MS after a drop of a screen that was
 * shown), the server's password question ("needs-password",
 * gb_display_answer_password()), and closing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include <adwaita.h>
#include <glib/gi18n-lib.h>

#include "gb-display-connect.h"
#include "gb-display-internal.h"
#include "gb-display-keyboard.h"
#include "gb-display-mouse.h"
#include "gb-display-paintable.h"

static void gb_display_start (GbDisplay *self);

static void
gb_display_set_needs_password (GbDisplay *self,
                               gboolean   needs_password)
{
  if (self->needs_password == needs_password)
    return;
  self->needs_password = needs_password;
  _gb_display_notify (self, PROP_NEEDS_PASSWORD);
}

static void
on_source_need_password (GbDisplaySource *source,
                         GbDisplay       *self)
{
  gb_display_set_needs_password (self, TRUE);
}

/**
 * gb_display_answer_password:
 * @password: (nullable): what the user typed, or %NULL if they would not
 *
 * Answers the server's question ("needs-password"); %NULL gives up, with
 * the reason on screen.
 */
void
gb_display_answer_password (GbDisplay  *self,
                            const char *password)
{
  g_return_if_fail (GB_IS_DISPLAY (self));

  if (!self->needs_password)
    return;
  gb_display_set_needs_password (self, FALSE);
  if (self->source == NULL)
    return;

  if (password != NULL)
    {
      gb_display_source_set_password (self->source, password);
    }
  else
    {
      gb_display_source_disconnect (self->source);
      _gb_display_set_state (self, GB_DISPLAY_STATE_ERROR, _("No password was given."));
    }
}

gboolean
gb_display_get_needs_password (GbDisplay *self)
{
  g_return_val_if_fail (GB_IS_DISPLAY (self), FALSE);

  return self->needs_password;
}

static gboolean
reconnect_cb (gpointer data)
{
  GbDisplay *self = data;

  self->reconnect_source = 0;
  gb_display_start (self);
  return G_SOURCE_REMOVE;
}

static void
gb_display_schedule_reconnect (GbDisplay *self)
{
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  self->reconnect_source = g_timeout_add (self->reconnect_delay, reconnect_cb, self);
  self->reconnect_delay = MIN (self->reconnect_delay * 2, RECONNECT_MAX_MS);
}

static void
on_source_state (GbDisplaySource *source,
                 GParamSpec      *pspec,
                 GbDisplay       *self)
{
  const char *error = gb_display_source_get_error (source);

  switch (gb_display_source_get_state (source))
    {
    case GB_DISPLAY_STATE_CONNECTED:
      self->ever_connected = TRUE;
      self->reconnect_delay = RECONNECT_MIN_MS;
      _gb_display_set_state (self, GB_DISPLAY_STATE_CONNECTED, NULL);
      gb_display_keyboard_maybe_grab (self->keyboard);
      break;

    case GB_DISPLAY_STATE_CONNECTING:
      _gb_display_set_state (self, GB_DISPLAY_STATE_CONNECTING, NULL);
      break;

    case GB_DISPLAY_STATE_ERROR:
      _gb_display_set_state (self, GB_DISPLAY_STATE_ERROR, error);
      break;

    case GB_DISPLAY_STATE_DISCONNECTED:
    default:
      gb_display_keyboard_release_keys (self->keyboard);
      if (self->reconnect && self->ever_connected)
        {
          /* A reboot or a restart of the machine: the server comes back. */
          _gb_display_set_state (self, GB_DISPLAY_STATE_CONNECTING, NULL);
          gb_display_schedule_reconnect (self);
        }
      else if (error != NULL)
        {
          _gb_display_set_state (self, GB_DISPLAY_STATE_ERROR, error);
        }
      else
        {
          _gb_display_set_state (self, GB_DISPLAY_STATE_ERROR,
                                _("Could not connect to the machine's console."));
        }
      break;
    }
}

static void
gb_display_drop_source (GbDisplay *self)
{
  if (self->source == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->source, self);
  gb_display_source_disconnect (self->source);
  g_clear_object (&self->source);

  gb_display_keyboard_set_source (self->keyboard, NULL);
  gb_display_mouse_set_source (self->mouse, NULL);
  gb_display_paintable_set_source (self->paintable, NULL);
  gb_display_set_needs_password (self, FALSE);
  gtk_widget_set_cursor (GTK_WIDGET (self), NULL);
}

/* Shows why there is nothing to show.  An off machine is not watched here:
 * whoever follows the machine's "state" (GbConsoleView) opens it again. */
static void
gb_display_fail (GbDisplay    *self,
                 const GError *error)
{
  if (g_error_matches (error, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_NOT_RUNNING))
    _gb_display_set_state (self, GB_DISPLAY_STATE_DISCONNECTED, error->message);
  else
    _gb_display_set_state (self, GB_DISPLAY_STATE_ERROR, error->message);
}

static void
gb_display_attach (GbDisplay       *self,
                   GbDisplaySource *source)
{
  self->source = source;
  gb_display_paintable_set_source (self->paintable, source);
  gb_display_keyboard_set_source (self->keyboard, source);
  gb_display_mouse_set_source (self->mouse, source);
  g_signal_connect (source, "notify::state", G_CALLBACK (on_source_state), self);
  g_signal_connect (source, "cursor", G_CALLBACK (_gb_display_on_source_cursor), self);
  g_signal_connect (source, "need-password", G_CALLBACK (on_source_need_password), self);
  g_signal_connect (source, "clipboard", G_CALLBACK (_gb_display_on_source_clipboard), self);

  if (self->password != NULL)
    gb_display_source_set_password (source, self->password);
  gb_display_source_connect (source);
}

static void
open_machine_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      data)
{
  g_autoptr(GTask) task = data;
  g_autoptr(GError) error = NULL;
  GbDisplay *self = g_task_get_source_object (task);
  GbDisplaySource *source;

  source = _gb_display_source_open_machine_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* Closed or reopened meanwhile: nothing of this is ours any more. */
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (source == NULL)
    {
      gb_display_fail (self, error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  gb_display_attach (self, source);
  g_task_return_boolean (task, TRUE);
}

/* Asks the machine for a connection to its screen; @task completes when the
 * connection has started or failed. */
static void
gb_display_open_machine_with_task (GbDisplay *self,
                                   GTask     *task)
{
  g_autoptr(GError) error = NULL;

  if (!_gb_display_machine_can_show (self->machine, &error))
    {
      gb_display_fail (self, error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  _gb_display_set_state (self, GB_DISPLAY_STATE_CONNECTING, NULL);
  _gb_display_source_open_machine_async (self->machine, self->cancellable, open_machine_cb,
                                         g_object_ref (task));
}

/* (Re)connects to the current target.  @open_task, if any, completes when
 * the connection has started or failed. */
static void
gb_display_start_with_task (GbDisplay *self,
                            GTask     *open_task)
{
  g_autoptr(GError) error = NULL;

  gb_display_drop_source (self);

  if (self->target == TARGET_URI)
    {
      GbDisplaySource *source = _gb_display_source_new_for_uri (self->uri, &error);

      if (source == NULL)
        gb_display_fail (self, error);
      else
        gb_display_attach (self, source);
    }
  else if (self->target == TARGET_MACHINE)
    {
      g_autoptr(GTask) task = open_task ? g_object_ref (open_task)
                                        : g_task_new (self, NULL, NULL, NULL);

      gb_display_open_machine_with_task (self, task);
    }
}

static void
gb_display_start (GbDisplay *self)
{
  gb_display_start_with_task (self, NULL);
}

/**
 * gb_display_open_uri:
 * @uri: vnc://HOST:PORT, vnc+unix:///PATH, spice://HOST:PORT or
 *   spice+unix:///PATH
 *
 * Connects to a console.  Progress and failures show in the "state" and
 * "error" properties; a FALSE return only means @uri is not a console
 * address.
 */
gboolean
gb_display_open_uri (GbDisplay   *self,
                     const char  *uri,
                     GError     **error)
{
  g_autoptr(GbDisplaySource) probe = NULL;

  g_return_val_if_fail (GB_IS_DISPLAY (self), FALSE);
  g_return_val_if_fail (uri != NULL, FALSE);

  probe = _gb_display_source_new_for_uri (uri, error);
  if (probe == NULL)
    return FALSE;

  gb_display_close (self);
  self->target = TARGET_URI;
  self->uri = g_strdup (uri);
  gb_display_start (self);
  return TRUE;
}

/**
 * gb_display_open_machine_async:
 *
 * Shows @machine's screen: asks it for a connection
 * (gb_machine_open_graphics_async(), once more per SPICE channel) and draws
 * what its protocol sends.  Completes when the connection has started, or
 * with a GB_DISPLAY_ERROR when the machine is off or has no screen; either
 * way the reason is on screen and in "error".  The display does not watch
 * the machine: open it again when it starts (GbConsoleView does).
 */
void
gb_display_open_machine_async (GbDisplay           *self,
                               GbMachine           *machine,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (GB_IS_DISPLAY (self));
  g_return_if_fail (GB_IS_MACHINE (machine));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gb_display_open_machine_async);

  gb_display_close (self);
  self->target = TARGET_MACHINE;
  self->machine = g_object_ref (machine);
  gb_display_start_with_task (self, task);
}

gboolean
gb_display_open_machine_finish (GbDisplay     *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The same, for callers that only watch "state" and "error". */
void
gb_display_open_machine (GbDisplay *self,
                         GbMachine *machine)
{
  gb_display_open_machine_async (self, machine, NULL, NULL, NULL);
}

void
gb_display_close (GbDisplay *self)
{
  g_return_if_fail (GB_IS_DISPLAY (self));

  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  g_clear_handle_id (&self->resize_source, g_source_remove);
  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
  gb_display_keyboard_release_keys (self->keyboard);
  gb_display_drop_source (self);
  self->target = TARGET_NONE;
  g_clear_pointer (&self->uri, g_free);
  g_clear_object (&self->machine);
  self->ever_connected = FALSE;
  self->reconnect_delay = RECONNECT_MIN_MS;
  _gb_display_set_state (self, GB_DISPLAY_STATE_DISCONNECTED, NULL);
}

/* Shows @source (the display takes a reference), as if a URI had been
 * opened: the tests drive the widget with a source of their own. */
void
_gb_display_open_source (GbDisplay       *self,
                         GbDisplaySource *source)
{
  g_return_if_fail (GB_IS_DISPLAY (self));
  g_return_if_fail (GB_IS_DISPLAY_SOURCE (source));

  gb_display_close (self);
  gb_display_attach (self, g_object_ref (source));
}

GbDisplaySource *
_gb_display_get_source (GbDisplay *self)
{
  return self->source;
}
