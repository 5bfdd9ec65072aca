/* gb-provider-row.c — a connection's header in the machine list
 *
 * Shows the connection's title, URI and state. An embedded (transient)
 * connection says that its machines stop when Glassbox quits; "This
 * computer (Glassbox)" says what /dev/kvm offers, in plain words.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gb-bundled-provider.h"
#include "gb-provider-row.h"

struct _GbProviderRow
{
  GtkWidget   parent_instance;

  GbProvider *provider;

  GtkLabel   *title_label;
  GtkLabel   *state_label;
  GtkLabel   *uri_label;
  GtkLabel   *transient_label;
  GtkLabel   *kvm_label;
  GtkLabel   *error_label;
  GtkLabel   *empty_label;
  GtkWidget  *menu_button;
};

G_DEFINE_FINAL_TYPE (GbProviderRow, gb_provider_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_PROVIDER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GtkWidget *
gb_provider_row_new (void)
{
  return g_object_new (GB_TYPE_PROVIDER_ROW, NULL);
}

GbProvider *
gb_provider_row_get_provider (GbProviderRow *self)
{
  g_return_val_if_fail (GB_IS_PROVIDER_ROW (self), NULL);

  return self->provider;
}

static void
update (GbProviderRow *self)
{
  GbProvider *provider = self->provider;
  const char *error = gb_provider_get_error (provider);
  const char *state_text = NULL;
  GbProviderState state = gb_provider_get_state (provider);
  GMenu *menu;

  gtk_label_set_label (self->title_label, gb_provider_get_title (provider));
  gtk_label_set_label (self->uri_label, gb_provider_get_uri (provider));
  gtk_widget_set_visible (GTK_WIDGET (self->transient_label), gb_provider_get_transient (provider));

  if (GB_IS_BUNDLED_PROVIDER (provider))
    {
      const char *explanation = NULL;
      GbKvmStatus kvm = gb_bundled_provider_get_kvm_status (GB_BUNDLED_PROVIDER (provider), &explanation);

      /* Where its machines are is what a user looks for, not a URI. */
      gtk_label_set_label (self->uri_label,
                           gb_bundled_provider_get_machines_dir (GB_BUNDLED_PROVIDER (provider)));
      gtk_label_set_label (self->kvm_label, explanation);
      gtk_widget_set_visible (GTK_WIDGET (self->kvm_label), kvm != GB_KVM_STATUS_OK);
    }
  else
    gtk_widget_set_visible (GTK_WIDGET (self->kvm_label), FALSE);

  switch (state)
    {
    case GB_PROVIDER_STATE_CONNECTED:
      state_text = _("Connected");
      break;

    case GB_PROVIDER_STATE_CONNECTING:
      state_text = _("Connecting…");
      break;

    case GB_PROVIDER_STATE_DISCONNECTED:
    default:
      state_text = error ? _("Error") : _("Disconnected");
      break;
    }

  gtk_label_set_label (self->state_label, state_text);
  {
    /* The list item around this row is what takes focus: a screen reader
     * reads its name, "Test (test:///default), Connected". */
    g_autofree char *name = g_strdup_printf (C_("accessible name of a connection in the list", "%s, %s"),
                                             gb_provider_get_title (provider), state_text);

    gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
    if (gtk_widget_get_parent (GTK_WIDGET (self)) != NULL)
      gtk_accessible_update_property (GTK_ACCESSIBLE (gtk_widget_get_parent (GTK_WIDGET (self))),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  }
  gtk_widget_remove_css_class (GTK_WIDGET (self->state_label), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->state_label), "success");
  if (state == GB_PROVIDER_STATE_CONNECTED)
    gtk_widget_add_css_class (GTK_WIDGET (self->state_label), "success");
  else if (error != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->state_label), "error");

  /* A connection without machines still says something under its header. */
  gtk_widget_set_visible (GTK_WIDGET (self->empty_label),
                          state == GB_PROVIDER_STATE_CONNECTED &&
                          g_list_model_get_n_items (gb_provider_get_machines (provider)) == 0);

  gtk_label_set_label (self->error_label, error);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label),
                          error != NULL && state != GB_PROVIDER_STATE_CONNECTED);

  /* The menu names this connection; the actions live on the application. */
  menu = g_menu_new ();
  if (state == GB_PROVIDER_STATE_DISCONNECTED)
    {
      g_autoptr(GMenuItem) item = g_menu_item_new (_("_Reconnect"), NULL);
      g_menu_item_set_action_and_target (item, "app.reconnect", "s", gb_provider_get_uri (provider));
      g_menu_append_item (menu, item);
    }
  if (state == GB_PROVIDER_STATE_CONNECTED && gb_provider_has_host_details (provider))
    {
      g_autoptr(GMenuItem) item = g_menu_item_new (_("Virtual _Networks"), NULL);
      g_menu_item_set_action_and_target (item, "app.networks", "s", gb_provider_get_uri (provider));
      g_menu_append_item (menu, item);
    }
  if (state == GB_PROVIDER_STATE_CONNECTED && gb_provider_has_host_details (provider))
    {
      g_autoptr(GMenuItem) item = g_menu_item_new (_("_Host Details"), NULL);
      g_menu_item_set_action_and_target (item, "app.host", "s", gb_provider_get_uri (provider));
      g_menu_append_item (menu, item);
    }
  /* This computer's own machines are not a connection one removes. */
  if (!GB_IS_BUNDLED_PROVIDER (provider))
    {
      g_autoptr(GMenuItem) item = g_menu_item_new (_("_Remove Connection"), NULL);
      g_menu_item_set_action_and_target (item, "app.remove-connection", "s", gb_provider_get_uri (provider));
      g_menu_append_item (menu, item);
    }
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (self->menu_button), G_MENU_MODEL (menu));
  gtk_widget_set_visible (self->menu_button, g_menu_model_get_n_items (G_MENU_MODEL (menu)) > 0);
  g_object_unref (menu);
}

void
gb_provider_row_set_provider (GbProviderRow *self,
                              GbProvider    *provider)
{
  g_return_if_fail (GB_IS_PROVIDER_ROW (self));
  g_return_if_fail (!provider || GB_IS_PROVIDER (provider));

  if (self->provider == provider)
    return;

  if (self->provider != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->provider, self);
      g_signal_handlers_disconnect_by_data (gb_provider_get_machines (self->provider), self);
    }

  g_set_object (&self->provider, provider);

  if (provider != NULL)
    {
      g_signal_connect_swapped (provider, "notify::state", G_CALLBACK (update), self);
      g_signal_connect_swapped (provider, "notify::error", G_CALLBACK (update), self);
      g_signal_connect_swapped (provider, "notify::title", G_CALLBACK (update), self);
      g_signal_connect_swapped (provider, "notify::transient", G_CALLBACK (update), self);
      if (GB_IS_BUNDLED_PROVIDER (provider))
        g_signal_connect_swapped (provider, "notify::kvm-status", G_CALLBACK (update), self);
      g_signal_connect_object (gb_provider_get_machines (provider), "items-changed",
                               G_CALLBACK (update), self, G_CONNECT_SWAPPED);
      update (self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROVIDER]);
}

static void
gb_provider_row_dispose (GObject *object)
{
  GbProviderRow *self = GB_PROVIDER_ROW (object);
  GtkWidget *child;

  gb_provider_row_set_provider (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), GB_TYPE_PROVIDER_ROW);
  /* Template children without an id are not disposed with the template. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (gb_provider_row_parent_class)->dispose (object);
}

static void
gb_provider_row_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  GbProviderRow *self = GB_PROVIDER_ROW (object);

  switch (prop_id)
    {
    case PROP_PROVIDER:
      g_value_set_object (value, self->provider);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_provider_row_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  GbProviderRow *self = GB_PROVIDER_ROW (object);

  switch (prop_id)
    {
    case PROP_PROVIDER:
      gb_provider_row_set_provider (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_provider_row_class_init (GbProviderRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gb_provider_row_dispose;
  object_class->get_property = gb_provider_row_get_property;
  object_class->set_property = gb_provider_row_set_property;

  properties[PROP_PROVIDER] =
    g_param_spec_object ("provider", NULL, NULL,
                         GB_TYPE_PROVIDER,
                         (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/glassbox/Glassbox/gb-provider-row.ui");
  gtk_widget_class_bind_template_child (widget_class, GbProviderRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, GbProviderRow, state_label);
  gtk_widget_class_bind_template_child (widget_class, GbProviderRow, uri_label);
  gtk_widget_class_bind_template_child (widget_class, GbProviderRow, transient_label);
  gtk_widget_class_bind_template_child (widget_class, GbProviderRow, kvm_label);
  gtk_widget_class_bind_template_child (widget_class, GbProviderRow, error_label);
  gtk_widget_class_bind_template_child (widget_class, GbProviderRow, empty_label);
  gtk_widget_class_bind_template_child (widget_class, GbProviderRow, menu_button);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "providerrow");
}

static void
gb_provider_row_init (GbProviderRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
