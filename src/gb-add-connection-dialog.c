/* gb-add-connection-dialog.c — asks for a libvirt URI, connects, remembers it
 *
 * The dialog stays open until the connection works, so a typo costs one
 * edit, and libvirt's own reason is shown when it does not — in a message
 * dialog of its own, sized to the message when it appears (a window that
 * grows after it is mapped is at the mercy of the window manager).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gb-add-connection-dialog.h"

struct _GbAddConnectionDialog
{
  AdwWindow     parent_instance;

  GCancellable *cancellable;

  GtkEntry     *uri_entry;
  GtkSpinner   *spinner;
};

G_DEFINE_FINAL_TYPE (GbAddConnectionDialog, gb_add_connection_dialog, ADW_TYPE_WINDOW)

GbAddConnectionDialog *
gb_add_connection_dialog_new (GbApplication *application)
{
  return g_object_new (GB_TYPE_ADD_CONNECTION_DIALOG,
                       "application", application,
                       NULL);
}

static char *
get_uri (GbAddConnectionDialog *self)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->uri_entry))));
}

static void
set_busy (GbAddConnectionDialog *self,
          gboolean               busy)
{
  g_autofree char *uri = get_uri (self);

  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  /* Not insensitive: a focused GtkText that turns insensitive loses its
   * focus without a focus-out (GTK 4.8 warns). Read-only is enough. */
  gtk_editable_set_editable (GTK_EDITABLE (self->uri_entry), !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "connection.connect", !busy && uri[0] != '\0');
}

static void
on_uri_changed (GbAddConnectionDialog *self)
{
  gtk_widget_remove_css_class (GTK_WIDGET (self->uri_entry), "error");
  set_busy (self, FALSE);
}

static void
connect_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GbAddConnectionDialog) self = user_data;
  g_autoptr(GbProvider) provider = NULL;
  g_autoptr(GError) error = NULL;

  provider = gb_application_add_connection_finish (GB_APPLICATION (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_busy (self, FALSE);

  if (provider == NULL)
    {
      g_autofree char *uri = get_uri (self);
      GtkWidget *dialog;

      gtk_widget_add_css_class (GTK_WIDGET (self->uri_entry), "error");
      gtk_widget_grab_focus (GTK_WIDGET (self->uri_entry));

      dialog = adw_message_dialog_new (GTK_WINDOW (self), NULL, error->message);
      adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog),
                                         _("Could Not Connect to %s"), uri);
      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
      return;
    }

  gtk_window_destroy (GTK_WINDOW (self));
}

static void
connect_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  GbAddConnectionDialog *self = GB_ADD_CONNECTION_DIALOG (widget);
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  g_autofree char *uri = get_uri (self);

  if (uri[0] == '\0' || !GB_IS_APPLICATION (app))
    return;

  set_busy (self, TRUE);

  gb_application_add_connection_async (GB_APPLICATION (app), uri, self->cancellable,
                                       connect_cb, g_object_ref (self));
}

static void
on_entry_activate (GbAddConnectionDialog *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "connection.connect", NULL);
}

static gboolean
gb_add_connection_dialog_close_request (GtkWindow *window)
{
  GbAddConnectionDialog *self = GB_ADD_CONNECTION_DIALOG (window);

  g_cancellable_cancel (self->cancellable);

  return GTK_WINDOW_CLASS (gb_add_connection_dialog_parent_class)->close_request (window);
}

static void
gb_add_connection_dialog_dispose (GObject *object)
{
  GbAddConnectionDialog *self = GB_ADD_CONNECTION_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), GB_TYPE_ADD_CONNECTION_DIALOG);

  G_OBJECT_CLASS (gb_add_connection_dialog_parent_class)->dispose (object);
}

static void
gb_add_connection_dialog_finalize (GObject *object)
{
  GbAddConnectionDialog *self = GB_ADD_CONNECTION_DIALOG (object);

  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (gb_add_connection_dialog_parent_class)->finalize (object);
}

static void
gb_add_connection_dialog_class_init (GbAddConnectionDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = gb_add_connection_dialog_dispose;
  object_class->finalize = gb_add_connection_dialog_finalize;
  window_class->close_request = gb_add_connection_dialog_close_request;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/glassbox/Glassbox/gb-add-connection-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, GbAddConnectionDialog, uri_entry);
  gtk_widget_class_bind_template_child (widget_class, GbAddConnectionDialog, spinner);
  gtk_widget_class_bind_template_callback (widget_class, on_uri_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_activate);

  gtk_widget_class_install_action (widget_class, "connection.connect", NULL, connect_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
gb_add_connection_dialog_init (GbAddConnectionDialog *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  set_busy (self, FALSE);
}
