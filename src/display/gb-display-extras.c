/* gb-display-extras.c: GbDisplay's grab hint, cursor, clipboard, keys and screenshots
 *
 * Part of GbDisplay (gb-display.c; the instance is in gb-display-internal.h):
 * the "press … to release the keyboard" hint while grabbed, the guest's
 * cursor, the clipboard both ways, send-keys, screenshots and the
 * display.* actions that call them.
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

void
_gb_display_update_hint (GbDisplay *self)
{
  g_autofree char *label = gb_display_keyboard_get_release_label (self->keyboard);
  g_autofree char *text = g_strdup_printf (_("Press %s to release the keyboard"), label);

  gtk_label_set_text (GTK_LABEL (self->hint_label), text);
}

static gboolean
hide_hint_cb (gpointer data)
{
  GbDisplay *self = data;

  self->hint_timeout = 0;
  gtk_revealer_set_reveal_child (GTK_REVEALER (self->hint_revealer), FALSE);
  return G_SOURCE_REMOVE;
}

/* A grab says for a while how to get the shortcuts back. */
void
_gb_display_on_keyboard_grabbed (GbDisplayKeyboard *keyboard,
                                 GParamSpec        *pspec,
                                 GbDisplay         *self)
{
  gboolean grabbed = gb_display_keyboard_get_grabbed (keyboard);

  g_clear_handle_id (&self->hint_timeout, g_source_remove);
  gtk_revealer_set_reveal_child (GTK_REVEALER (self->hint_revealer), grabbed);
  if (grabbed)
    self->hint_timeout = g_timeout_add (HINT_TIMEOUT_MS, hide_hint_cb, self);
  _gb_display_notify (self, PROP_GRABBED);
}

void
_gb_display_on_keyboard_release_accel (GbDisplayKeyboard *keyboard,
                                       GParamSpec        *pspec,
                                       GbDisplay         *self)
{
  _gb_display_update_hint (self);
  _gb_display_notify (self, PROP_RELEASE_ACCEL);
}

void
gb_display_release_grab (GbDisplay *self)
{
  g_return_if_fail (GB_IS_DISPLAY (self));

  gb_display_keyboard_release_grab (self->keyboard);
}

void
_gb_display_on_source_cursor (GbDisplaySource *source,
                              GdkTexture      *texture,
                              int              hot_x,
                              int              hot_y,
                              GbDisplay       *self)
{
  g_autoptr(GdkCursor) cursor = NULL;

  if (texture != NULL)
    cursor = gdk_cursor_new_from_texture (texture, hot_x, hot_y, NULL);
  gtk_widget_set_cursor (GTK_WIDGET (self), cursor);
}

void
_gb_display_on_source_clipboard (GbDisplaySource *source,
                                 const char      *text,
                                 GbDisplay       *self)
{
  g_free (self->clipboard_from_guest);
  self->clipboard_from_guest = g_strdup (text);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), text);
}

static void
clipboard_read_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      data)
{
  g_autoptr(GbDisplay) self = data;
  g_autofree char *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, NULL);

  if (text != NULL && self->source != NULL && g_strcmp0 (text, self->clipboard_from_guest) != 0)
    gb_display_source_send_clipboard (self->source, text);
}

void
_gb_display_on_clipboard_changed (GdkClipboard *clipboard,
                                  GbDisplay    *self)
{
  /* What the guest put there needs no trip back. */
  if (gdk_clipboard_is_local (clipboard) || self->source == NULL)
    return;
  gdk_clipboard_read_text_async (clipboard, NULL, clipboard_read_cb, g_object_ref (self));
}

/**
 * gb_display_send_keys:
 * @combo: keys joined by "-", pressed in order and released in reverse:
 *   "ctrl-alt-del", "ctrl-alt-backspace", "ctrl-alt-f1" … "ctrl-alt-f12",
 *   "print"
 *
 * Returns: FALSE if @combo names an unknown key or nothing is connected.
 */
gboolean
gb_display_send_keys (GbDisplay  *self,
                      const char *combo)
{
  g_return_val_if_fail (GB_IS_DISPLAY (self), FALSE);
  g_return_val_if_fail (combo != NULL, FALSE);

  return gb_display_keyboard_send_keys (self->keyboard, combo);
}

/**
 * gb_display_get_screenshot:
 *
 * Returns: (transfer full) (nullable): the guest screen now, at its own size.
 */
GdkTexture *
gb_display_get_screenshot (GbDisplay *self)
{
  g_return_val_if_fail (GB_IS_DISPLAY (self), NULL);

  return gb_display_paintable_get_screenshot (self->paintable);
}

gboolean
gb_display_save_screenshot (GbDisplay   *self,
                            const char  *path,
                            GError     **error)
{
  g_autoptr(GdkTexture) texture = NULL;

  g_return_val_if_fail (GB_IS_DISPLAY (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  texture = gb_display_get_screenshot (self);
  if (texture == NULL)
    {
      g_set_error (error, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_FAILED,
                   _("There is no screen to save."));
      return FALSE;
    }
  if (!gdk_texture_save_to_png (texture, path))
    {
      g_set_error (error, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_FAILED,
                   _("Could not write “%s”."), path);
      return FALSE;
    }
  return TRUE;
}

static void
screenshot_response_cb (GtkNativeDialog *chooser,
                        int              response,
                        GbDisplay       *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;

      if (path == NULL || !gb_display_save_screenshot (self, path, &error))
        g_warning ("Screenshot: %s", error ? error->message : "not a local file");
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  g_object_unref (self);
}

void
_gb_display_screenshot_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  GbDisplay *self = GB_DISPLAY (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *chooser;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%d %H-%M-%S");
  g_autofree char *name = g_strdup_printf (_("Screenshot %s.png"), stamp);

  if (self->source == NULL)
    return;

  chooser = gtk_file_chooser_native_new (_("Save Screenshot"),
                                         GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_signal_connect (chooser, "response", G_CALLBACK (screenshot_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

void
_gb_display_send_keys_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  gb_display_send_keys (GB_DISPLAY (widget), g_variant_get_string (parameter, NULL));
}

void
_gb_display_release_grab_action (GtkWidget  *widget,
                                 const char *action_name,
                                 GVariant   *parameter)
{
  gb_display_release_grab (GB_DISPLAY (widget));
}
