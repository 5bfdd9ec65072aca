/* gb-preferences-window.c — preferences, each one a GSettings key
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gb-preferences-window.h"

struct _GbPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GSettings            *settings;
  GPtrArray            *connection_rows;

  AdwPreferencesGroup  *connections_group;
  GtkSwitch            *confirm_force_off_switch;
  GtkSwitch            *xml_editing_switch;
  GtkSpinButton        *stats_interval_spin;
  AdwComboRow          *console_scale_row;
};

G_DEFINE_FINAL_TYPE (GbPreferencesWindow, gb_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void bind_settings (GbPreferencesWindow *self,
                           GSettings           *settings);

GbPreferencesWindow *
gb_preferences_window_new (GbApplication *application)
{
  GbPreferencesWindow *self;

  g_return_val_if_fail (GB_IS_APPLICATION (application), NULL);

  self = g_object_new (GB_TYPE_PREFERENCES_WINDOW,
                       "application", application,
                       NULL);
  bind_settings (self, gb_application_get_settings (application));

  return self;
}

static void
update_connections (GbPreferencesWindow *self)
{
  g_auto(GStrv) uris = g_settings_get_strv (self->settings, "connections");

  for (guint i = 0; i < self->connection_rows->len; i++)
    adw_preferences_group_remove (self->connections_group,
                                  g_ptr_array_index (self->connection_rows, i));
  g_ptr_array_set_size (self->connection_rows, 0);

  for (guint i = 0; uris[i] != NULL; i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *button = gtk_button_new_from_icon_name ("user-trash-symbolic");

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), uris[i]);
      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (button, "flat");
      gtk_widget_set_tooltip_text (button, _("Forget This Connection"));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "app.remove-connection");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", uris[i]);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
      adw_preferences_group_add (self->connections_group, row);
      g_ptr_array_add (self->connection_rows, row);
    }

  if (uris[0] == NULL)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     _("None: the first local connection that works is opened"));
      adw_preferences_group_add (self->connections_group, row);
      g_ptr_array_add (self->connection_rows, row);
    }
}

/* "console-scale-mode" is an enum whose values are the row's positions:
 * fit (0), original (1). */
static gboolean
scale_mode_to_position (GValue   *value,
                        GVariant *variant,
                        gpointer  user_data)
{
  g_value_set_uint (value, g_str_equal (g_variant_get_string (variant, NULL), "original") ? 1 : 0);
  return TRUE;
}

static GVariant *
position_to_scale_mode (const GValue       *value,
                        const GVariantType *expected_type,
                        gpointer            user_data)
{
  return g_variant_new_string (g_value_get_uint (value) == 1 ? "original" : "fit");
}

static void
bind_settings (GbPreferencesWindow *self,
               GSettings           *settings)
{
  self->settings = g_object_ref (settings);

  g_settings_bind (self->settings, "confirm-force-off",
                   self->confirm_force_off_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "xml-editing",
                   self->xml_editing_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "stats-interval",
                   self->stats_interval_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "console-scale-mode",
                                self->console_scale_row, "selected", G_SETTINGS_BIND_DEFAULT,
                                scale_mode_to_position, position_to_scale_mode, NULL, NULL);

  g_signal_connect_object (self->settings, "changed::connections",
                           G_CALLBACK (update_connections), self, G_CONNECT_SWAPPED);
  update_connections (self);
}

static void
gb_preferences_window_dispose (GObject *object)
{
  GbPreferencesWindow *self = GB_PREFERENCES_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), GB_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (gb_preferences_window_parent_class)->dispose (object);
}

static void
gb_preferences_window_finalize (GObject *object)
{
  GbPreferencesWindow *self = GB_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);
  g_clear_pointer (&self->connection_rows, g_ptr_array_unref);

  G_OBJECT_CLASS (gb_preferences_window_parent_class)->finalize (object);
}

static void
gb_preferences_window_class_init (GbPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gb_preferences_window_dispose;
  object_class->finalize = gb_preferences_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/glassbox/Glassbox/gb-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, GbPreferencesWindow, connections_group);
  gtk_widget_class_bind_template_child (widget_class, GbPreferencesWindow, confirm_force_off_switch);
  gtk_widget_class_bind_template_child (widget_class, GbPreferencesWindow, xml_editing_switch);
  gtk_widget_class_bind_template_child (widget_class, GbPreferencesWindow, stats_interval_spin);
  gtk_widget_class_bind_template_child (widget_class, GbPreferencesWindow, console_scale_row);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
gb_preferences_window_init (GbPreferencesWindow *self)
{
  self->connection_rows = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}
