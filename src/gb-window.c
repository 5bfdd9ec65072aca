/* gb-window.c — the main window: machine list beside the selected machine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "gb-machine-actions.h"
#include "gb-machine-details.h"
#include "gb-machine-list.h"
#include "gb-window.h"

/* Longer messages go to a dialog: a toast shows one line. */
#define MAX_TOAST_MESSAGE 120

struct _GbWindow
{
  AdwApplicationWindow  parent_instance;

  GbMachine            *machine;   /* the selected one, observed */

  AdwToastOverlay      *toast_overlay;
  AdwLeaflet           *leaflet;
  GtkWidget            *content;
  GbMachineList        *machine_list;
  GbMachineDetails     *details;
  GtkStack             *content_stack;
  AdwWindowTitle       *content_title;
};

G_DEFINE_FINAL_TYPE (GbWindow, gb_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_SELECTED_MACHINE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GbWindow *
gb_window_new (GbApplication *application)
{
  return g_object_new (GB_TYPE_WINDOW,
                       "application", application,
                       NULL);
}

GbMachine *
gb_window_get_selected_machine (GbWindow *self)
{
  g_return_val_if_fail (GB_IS_WINDOW (self), NULL);

  return self->machine;
}

void
gb_window_select_machine (GbWindow  *self,
                          GbMachine *machine)
{
  g_return_if_fail (GB_IS_WINDOW (self));

  gb_machine_list_select_machine (self->machine_list, machine);
}

void
gb_window_add_toast (GbWindow *self,
                     AdwToast *toast)
{
  g_return_if_fail (GB_IS_WINDOW (self));

  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

void
gb_window_show_error (GbWindow   *self,
                      const char *title,
                      const char *message)
{
  g_return_if_fail (GB_IS_WINDOW (self));
  g_return_if_fail (title != NULL);

  if (message == NULL)
    message = "";

  if (g_utf8_strlen (message, -1) > MAX_TOAST_MESSAGE || strchr (message, '\n'))
    {
      GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), title, message);

      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
    }
  else
    {
      g_autofree char *text = NULL;
      AdwToast *toast;

      /* Translators: a failed action and libvirt's reason, e.g. "Could not start “web”: Requested operation is not valid" */
      text = g_markup_printf_escaped (_("%s: %s"), title, message);
      toast = adw_toast_new (text);
      adw_toast_set_timeout (toast, 0);  /* stays until dismissed: nothing is lost */
      adw_toast_overlay_add_toast (self->toast_overlay, toast);
    }
}

static void
update_machine (GbWindow *self)
{
  GbMachine *machine = self->machine;

  gb_machine_actions_update (GTK_WIDGET (self), machine);

  if (machine == NULL)
    {
      adw_window_title_set_title (self->content_title, "");
      adw_window_title_set_subtitle (self->content_title, "");
      gtk_stack_set_visible_child_name (self->content_stack, "empty");
      return;
    }

  adw_window_title_set_title (self->content_title, gb_machine_get_name (machine));
  adw_window_title_set_subtitle (self->content_title,
                                 gb_machine_state_to_string (gb_machine_get_state (machine)));
  gtk_stack_set_visible_child_name (self->content_stack, "details");
}

static void
on_selected_machine_changed (GbWindow      *self,
                             GParamSpec    *pspec,
                             GbMachineList *list)
{
  GbMachine *machine = gb_machine_list_get_selected_machine (list);

  if (self->machine == machine)
    return;

  if (self->machine != NULL)
    g_signal_handlers_disconnect_by_func (self->machine, update_machine, self);

  g_set_object (&self->machine, machine);

  if (machine != NULL)
    {
      g_signal_connect_object (machine, "notify::state", G_CALLBACK (update_machine),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (machine, "notify::name", G_CALLBACK (update_machine),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (machine, "notify::config", G_CALLBACK (update_machine),
                               self, G_CONNECT_SWAPPED);
      /* On a narrow window, choosing a machine opens its page. */
      adw_leaflet_set_visible_child (self->leaflet, self->content);
    }

  gb_machine_details_set_machine (self->details, machine);
  update_machine (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED_MACHINE]);
}

static void
on_back_clicked (GbWindow  *self,
                 GtkButton *button)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
  /* Unselected, so that choosing the same machine again opens it again. */
  gb_machine_list_select_machine (self->machine_list, NULL);
}

static GbMachine *
get_machine (GtkWidget *widget)
{
  return GB_WINDOW (widget)->machine;
}

/* "application" is not a construct property: it is set after constructed(),
 * so the window follows it. */
static void
on_application_changed (GbWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  GSettings *settings;

  if (!GB_IS_APPLICATION (app))
    {
      gb_machine_list_set_providers (self->machine_list, NULL);
      return;
    }

  gb_machine_list_set_providers (self->machine_list,
                                 gb_application_get_providers (GB_APPLICATION (app)));
  g_object_bind_property (app, "opening-default", self->machine_list, "loading",
                          G_BINDING_SYNC_CREATE);

  settings = gb_application_get_settings (GB_APPLICATION (app));
  g_settings_bind (settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
}

static void
gb_window_dispose (GObject *object)
{
  GbWindow *self = GB_WINDOW (object);

  if (self->machine != NULL)
    g_signal_handlers_disconnect_by_func (self->machine, update_machine, self);
  g_clear_object (&self->machine);

  gtk_widget_dispose_template (GTK_WIDGET (self), GB_TYPE_WINDOW);

  G_OBJECT_CLASS (gb_window_parent_class)->dispose (object);
}

static void
gb_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  GbWindow *self = GB_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SELECTED_MACHINE:
      g_value_set_object (value, self->machine);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_window_class_init (GbWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gb_window_dispose;
  object_class->get_property = gb_window_get_property;

  properties[PROP_SELECTED_MACHINE] =
    g_param_spec_object ("selected-machine", NULL, NULL,
                         GB_TYPE_MACHINE,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (GB_TYPE_MACHINE_LIST);
  g_type_ensure (GB_TYPE_MACHINE_DETAILS);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/glassbox/Glassbox/gb-window.ui");
  gtk_widget_class_bind_template_child (widget_class, GbWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, GbWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, GbWindow, content);
  gtk_widget_class_bind_template_child (widget_class, GbWindow, machine_list);
  gtk_widget_class_bind_template_child (widget_class, GbWindow, details);
  gtk_widget_class_bind_template_child (widget_class, GbWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, GbWindow, content_title);
  gtk_widget_class_bind_template_callback (widget_class, on_selected_machine_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked);

  /* "machine.*" act on the selected machine; the rows have their own. */
  gb_machine_actions_install_for_class (widget_class, get_machine);
  gb_machine_actions_add_shortcuts (widget_class);
}

static void
gb_window_init (GbWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect (self, "notify::application", G_CALLBACK (on_application_changed), NULL);
  update_machine (self);
}
