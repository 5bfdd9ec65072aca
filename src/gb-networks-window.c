/* gb-networks-window.c — a connection's libvirt virtual networks
 *
 * The list (state, mode, bridge, addresses, leases, an autostart switch
 * per network) comes from a GbNetworkList, so it follows libvirt's events;
 * beside it the selected network's details and DHCP leases, with Start,
 * Stop and Delete (which asks first). Errors are libvirt's own words, in a
 * message dialog.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gb-add-network-dialog.h"
#include "gb-networks-window.h"

struct _GbNetworksWindow
{
  AdwWindow            parent_instance;

  GbNetworkList       *networks;
  GbNetwork           *selected;
  char                *pending_select;

  AdwWindowTitle      *window_title;
  GtkStack            *stack;
  AdwStatusPage       *empty_page;
  GtkListBox          *list_box;
  GtkWidget           *details_box;
  AdwPreferencesGroup *details_group;
  AdwActionRow        *state_row;
  AdwActionRow        *mode_row;
  AdwActionRow        *bridge_row;
  AdwActionRow        *address_row;
  AdwActionRow        *dhcp_row;
  AdwActionRow        *uuid_row;
  GtkListBox          *leases_list;
};

G_DEFINE_FINAL_TYPE (GbNetworksWindow, gb_networks_window, ADW_TYPE_WINDOW)

static void
show_error (GtkWidget  *widget,
            const char *heading,
            const char *message)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static char *
format_address (GbNetwork *network)
{
  if (gb_network_get_ipv4_address (network) == NULL)
    return NULL;
  return g_strdup_printf ("%s/%u", gb_network_get_ipv4_address (network),
                          gb_network_get_ipv4_prefix (network));
}

static char *
format_dhcp (GbNetwork *network)
{
  if (gb_network_get_dhcp_start (network) == NULL)
    return NULL;
  /* TRANSLATORS: a DHCP range, first – last address */
  return g_strdup_printf (_("%s – %s"), gb_network_get_dhcp_start (network),
                          gb_network_get_dhcp_end (network));
}

static char *
format_leases (GbNetwork *network)
{
  int n = gb_network_get_n_leases (network);

  if (n < 0)
    return NULL;
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d lease", "%d leases", n), n);
}

/* "NAT · virbr0 · 192.168.122.1/24 · DHCP … · 2 leases" */
static char *
format_summary (GbNetwork *network)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  char *part;

  g_ptr_array_add (parts, g_strdup (gb_network_mode_to_label (gb_network_get_mode (network))));
  if (gb_network_get_bridge (network) != NULL)
    g_ptr_array_add (parts, g_strdup (gb_network_get_bridge (network)));
  if ((part = format_address (network)) != NULL)
    g_ptr_array_add (parts, part);
  if ((part = format_dhcp (network)) != NULL)
    {
      g_ptr_array_add (parts, g_strdup_printf (_("DHCP %s"), part));
      g_free (part);
    }
  if ((part = format_leases (network)) != NULL)
    g_ptr_array_add (parts, part);
  g_ptr_array_add (parts, NULL);

  return g_strjoinv (" · ", (char **) parts->pdata);
}

static const char *
state_text (GbNetwork *network)
{
  return gb_network_get_active (network) ? _("Active") : _("Inactive");
}

/* List rows */

typedef struct {
  GbNetwork *network;
  GtkLabel  *state_label;
  GtkSwitch *autostart_switch;
} RowParts;

static void
update_row (AdwActionRow *row)
{
  RowParts *parts = g_object_get_data (G_OBJECT (row), "gb-row-parts");
  GbNetwork *network = parts->network;
  g_autofree char *summary = format_summary (network);
  g_autofree char *switch_name = g_strdup_printf (_("Start “%s” at boot"), gb_network_get_name (network));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), gb_network_get_name (network));
  adw_action_row_set_subtitle (row, summary);
  gtk_label_set_label (parts->state_label, state_text (network));
  if (gb_network_get_active (network))
    gtk_widget_add_css_class (GTK_WIDGET (parts->state_label), "success");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (parts->state_label), "success");

  /* Only a defined network starts at boot. */
  gtk_widget_set_sensitive (GTK_WIDGET (parts->autostart_switch), gb_network_get_persistent (network));
  gtk_switch_set_active (parts->autostart_switch, gb_network_get_autostart (network));
  gtk_accessible_update_property (GTK_ACCESSIBLE (parts->autostart_switch),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, switch_name, -1);
}

static void
autostart_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GtkWidget) row = user_data;
  g_autoptr(GError) error = NULL;

  if (!gb_network_set_autostart_finish (GB_NETWORK (object), result, &error))
    {
      g_autofree char *heading = g_strdup_printf (_("Could Not Change Autostart of “%s”"),
                                                  gb_network_get_name (GB_NETWORK (object)));

      if (gtk_widget_get_root (row) != NULL)
        show_error (row, heading, error->message);
    }
  /* Back to what libvirt says, whichever way it went. */
  if (gtk_widget_get_parent (row) != NULL)
    update_row (ADW_ACTION_ROW (row));
}

static void
on_autostart_toggled (GtkSwitch  *sw,
                      GParamSpec *pspec,
                      GtkWidget  *row)
{
  RowParts *parts = g_object_get_data (G_OBJECT (row), "gb-row-parts");

  if (gtk_switch_get_active (sw) == gb_network_get_autostart (parts->network))
    return;
  gb_network_set_autostart_async (parts->network, gtk_switch_get_active (sw), NULL,
                                  autostart_cb, g_object_ref (row));
}

static void
row_parts_free (gpointer data)
{
  RowParts *parts = data;

  g_object_unref (parts->network);
  g_free (parts);
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  GbNetwork *network = item;
  AdwActionRow *row = ADW_ACTION_ROW (adw_action_row_new ());
  RowParts *parts = g_new0 (RowParts, 1);
  GtkWidget *icon;

  parts->network = g_object_ref (network);
  parts->state_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (parts->state_label), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (parts->state_label), "network-state");
  parts->autostart_switch = GTK_SWITCH (gtk_switch_new ());
  gtk_widget_set_valign (GTK_WIDGET (parts->autostart_switch), GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (GTK_WIDGET (parts->autostart_switch), _("Start at Boot"));
  g_object_set_data_full (G_OBJECT (row), "gb-row-parts", parts, row_parts_free);

  icon = gtk_image_new_from_icon_name ("network-wired-symbolic");
  adw_action_row_add_prefix (row, icon);
  adw_action_row_add_suffix (row, GTK_WIDGET (parts->state_label));
  adw_action_row_add_suffix (row, GTK_WIDGET (parts->autostart_switch));
  adw_action_row_set_subtitle_lines (row, 2);
  gtk_widget_add_css_class (GTK_WIDGET (row), "network-row");

  update_row (row);
  g_signal_connect_object (network, "notify", G_CALLBACK (update_row), row, G_CONNECT_SWAPPED);
  g_signal_connect (parts->autostart_switch, "notify::active", G_CALLBACK (on_autostart_toggled), row);

  return GTK_WIDGET (row);
}

/* Details */

static void
set_row (AdwActionRow *row,
         const char   *value)
{
  gtk_widget_set_visible (GTK_WIDGET (row), value != NULL);
  adw_action_row_set_subtitle (row, value ? value : "");
}

static GtkWidget *
lease_row (const GbNetworkLease *lease)
{
  AdwActionRow *row = ADW_ACTION_ROW (adw_action_row_new ());
  g_autofree char *title = g_strdup_printf ("%s/%u", lease->ip, lease->prefix);
  g_autofree char *expiry = NULL;
  g_autofree char *subtitle = NULL;

  if (lease->expiry_time > 0)
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (lease->expiry_time);

      expiry = g_date_time_format (when, "%x %X");
    }
  /* TRANSLATORS: a DHCP lease: MAC address · host name · expiry */
  subtitle = g_strdup_printf (_("%s · %s · until %s"), lease->mac,
                              lease->hostname ? lease->hostname : _("no host name"),
                              expiry ? expiry : _("never"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (row, subtitle);
  return GTK_WIDGET (row);
}

static GtkWidget *
placeholder_row (const char *text)
{
  GtkWidget *label = gtk_label_new (text);
  GtkWidget *row;

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_set_margin_top (label, 12);
  gtk_widget_set_margin_bottom (label, 12);
  gtk_widget_set_margin_start (label, 12);
  gtk_widget_set_margin_end (label, 12);

  /* The row takes focus on its way through the list: it reads as its text. */
  row = gtk_list_box_row_new ();
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), label);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
  return row;
}

static void
update_details (GbNetworksWindow *self)
{
  GbNetwork *network = self->selected;
  GtkWidget *child;
  GPtrArray *leases;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "networks.start",
                                 network != NULL && !gb_network_get_active (network));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "networks.stop",
                                 network != NULL && gb_network_get_active (network));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "networks.delete", network != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "networks.refresh", network != NULL);
  gtk_widget_set_visible (self->details_box, network != NULL);
  if (network == NULL)
    return;

  {
    g_autofree char *address = format_address (network);
    g_autofree char *dhcp = format_dhcp (network);

    adw_preferences_group_set_title (self->details_group, gb_network_get_name (network));
    adw_preferences_group_set_description (self->details_group,
                                           gb_network_get_persistent (network) ? NULL
                                           : _("Transient: it disappears when it stops."));
    set_row (self->state_row, state_text (network));
    set_row (self->mode_row, gb_network_mode_to_label (gb_network_get_mode (network)));
    set_row (self->bridge_row, gb_network_get_bridge (network));
    set_row (self->address_row, address);
    set_row (self->dhcp_row, dhcp);
    set_row (self->uuid_row, gb_network_get_uuid (network));
  }

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->leases_list))) != NULL)
    gtk_list_box_remove (self->leases_list, child);

  leases = gb_network_get_leases (network);
  if (!gb_network_get_active (network))
    gtk_list_box_append (self->leases_list, placeholder_row (_("The network is not running.")));
  else if (leases == NULL)
    gtk_list_box_append (self->leases_list, placeholder_row (_("This connection does not report DHCP leases.")));
  else if (leases->len == 0)
    gtk_list_box_append (self->leases_list, placeholder_row (_("No guest has an address yet.")));
  else
    for (guint i = 0; i < leases->len; i++)
      gtk_list_box_append (self->leases_list, lease_row (g_ptr_array_index (leases, i)));
}

static void
set_selected (GbNetworksWindow *self,
              GbNetwork        *network)
{
  if (self->selected == network)
    return;

  if (self->selected != NULL)
    g_signal_handlers_disconnect_by_func (self->selected, update_details, self);
  g_set_object (&self->selected, network);
  if (network != NULL)
    g_signal_connect_object (network, "notify", G_CALLBACK (update_details), self, G_CONNECT_SWAPPED);
  update_details (self);

  /* Leases change without events: read them when a network is chosen. */
  if (network != NULL && gb_network_get_active (network))
    gb_network_refresh_async (network, NULL, NULL, NULL);
}

static void
on_row_selected (GbNetworksWindow *self,
                 GtkListBoxRow    *row)
{
  RowParts *parts = row ? g_object_get_data (G_OBJECT (row), "gb-row-parts") : NULL;

  set_selected (self, parts ? parts->network : NULL);
}

static gboolean
select_now (GbNetworksWindow *self,
            const char       *name_or_uuid)
{
  GbNetwork *network = gb_network_list_lookup (self->networks, name_or_uuid);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->networks));

  if (network == NULL)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GbNetwork) item = g_list_model_get_item (G_LIST_MODEL (self->networks), i);

      if (item == network)
        {
          gtk_list_box_select_row (self->list_box, gtk_list_box_get_row_at_index (self->list_box, i));
          return TRUE;
        }
    }
  return FALSE;
}

void
gb_networks_window_select (GbNetworksWindow *self,
                           const char       *name_or_uuid)
{
  g_return_if_fail (GB_IS_NETWORKS_WINDOW (self));

  g_clear_pointer (&self->pending_select, g_free);
  if (!select_now (self, name_or_uuid))
    self->pending_select = g_strdup (name_or_uuid);
}

static void
update_page (GbNetworksWindow *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->networks));
  const char *error = gb_network_list_get_error (self->networks);

  GbProvider *provider = GB_PROVIDER (gb_network_list_get_provider (self->networks));

  if (!gb_network_list_get_loaded (self->networks) &&
      gb_provider_get_state (provider) == GB_PROVIDER_STATE_DISCONNECTED)
    {
      adw_status_page_set_description (self->empty_page, _("The connection is closed."));
      gtk_stack_set_visible_child_name (self->stack, "empty");
    }
  else if (!gb_network_list_get_loaded (self->networks))
    gtk_stack_set_visible_child_name (self->stack, "loading");
  else if (n == 0)
    {
      adw_status_page_set_description (self->empty_page,
                                       error ? error
                                       : _("A virtual network gives guests addresses, and a way out through the host or none."));
      gtk_stack_set_visible_child_name (self->stack, "empty");
    }
  else
    gtk_stack_set_visible_child_name (self->stack, "list");
}

static void
on_items_changed (GbNetworksWindow *self)
{
  if (self->pending_select != NULL && select_now (self, self->pending_select))
    g_clear_pointer (&self->pending_select, g_free);
  if (gtk_list_box_get_selected_row (self->list_box) == NULL &&
      g_list_model_get_n_items (G_LIST_MODEL (self->networks)) > 0)
    gtk_list_box_select_row (self->list_box, gtk_list_box_get_row_at_index (self->list_box, 0));
  update_page (self);
}

/* Actions */

static void
on_network_created (GbNetworksWindow *self,
                    const char       *uuid)
{
  gb_networks_window_select (self, uuid);
}

static void
add_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  GbNetworksWindow *self = GB_NETWORKS_WINDOW (widget);
  GbAddNetworkDialog *dialog = gb_add_network_dialog_new (GTK_WINDOW (self), self->networks);

  g_signal_connect_object (dialog, "network-created", G_CALLBACK (on_network_created), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

typedef struct {
  GtkWidget *window;
  char      *heading;
  gboolean (*finish) (GbNetwork *, GAsyncResult *, GError **);
} CallData;

static void
call_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  CallData *cd = user_data;
  g_autoptr(GError) error = NULL;

  if (!cd->finish (GB_NETWORK (object), result, &error) && gtk_widget_get_root (cd->window) != NULL)
    show_error (cd->window, cd->heading, error->message);
  g_object_unref (cd->window);
  g_free (cd->heading);
  g_free (cd);
}

static CallData *
call_data_new (GbNetworksWindow *self,
               char             *heading,
               gboolean        (*finish) (GbNetwork *, GAsyncResult *, GError **))
{
  CallData *cd = g_new0 (CallData, 1);

  cd->window = g_object_ref (GTK_WIDGET (self));
  cd->heading = heading;
  cd->finish = finish;
  return cd;
}

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  GbNetworksWindow *self = GB_NETWORKS_WINDOW (widget);

  if (self->selected == NULL)
    return;
  gb_network_start_async (self->selected, NULL, call_cb,
                          call_data_new (self, g_strdup_printf (_("Could Not Start “%s”"),
                                                                gb_network_get_name (self->selected)),
                                         gb_network_start_finish));
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  GbNetworksWindow *self = GB_NETWORKS_WINDOW (widget);

  if (self->selected == NULL)
    return;
  gb_network_stop_async (self->selected, NULL, call_cb,
                         call_data_new (self, g_strdup_printf (_("Could Not Stop “%s”"),
                                                               gb_network_get_name (self->selected)),
                                        gb_network_stop_finish));
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  GbNetworksWindow *self = GB_NETWORKS_WINDOW (widget);

  if (self->selected == NULL)
    return;
  gb_network_refresh_async (self->selected, NULL, call_cb,
                            call_data_new (self, g_strdup_printf (_("Could Not Read “%s”"),
                                                                  gb_network_get_name (self->selected)),
                                           gb_network_refresh_finish));
}

static void
delete_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    gpointer          user_data)
{
  g_autoptr(GbNetwork) network = user_data;
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (dialog));

  if (g_strcmp0 (response, "delete") != 0 || parent == NULL)
    return;
  gb_network_delete_async (network, NULL, call_cb,
                           call_data_new (GB_NETWORKS_WINDOW (parent),
                                          g_strdup_printf (_("Could Not Delete “%s”"),
                                                           gb_network_get_name (network)),
                                          gb_network_delete_finish));
}

static void
delete_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  GbNetworksWindow *self = GB_NETWORKS_WINDOW (widget);
  GtkWidget *dialog;

  if (self->selected == NULL)
    return;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), NULL, NULL);
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _("Delete “%s”?"),
                                     gb_network_get_name (self->selected));
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog),
                               gb_network_get_active (self->selected)
                               ? _("The network is stopped and its definition removed. Running guests on it lose their connection.")
                               : _("The network’s definition is removed."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (delete_response_cb), g_object_ref (self->selected));
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Public */

GbNetworksWindow *
gb_networks_window_new (GtkWindow         *parent,
                        GbLibvirtProvider *provider)
{
  GbNetworksWindow *self;

  g_return_val_if_fail (GB_IS_LIBVIRT_PROVIDER (provider), NULL);

  self = g_object_new (GB_TYPE_NETWORKS_WINDOW,
                       "transient-for", parent,
                       "destroy-with-parent", TRUE,
                       NULL);
  self->networks = gb_network_list_new (provider);
  adw_window_title_set_subtitle (self->window_title, gb_provider_get_title (GB_PROVIDER (provider)));

  gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (self->networks), create_row, NULL, NULL);
  g_signal_connect_object (self->networks, "items-changed", G_CALLBACK (on_items_changed), self,
                           G_CONNECT_SWAPPED | G_CONNECT_AFTER);
  g_signal_connect_object (self->networks, "notify::loaded", G_CALLBACK (on_items_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->networks, "notify::error", G_CALLBACK (update_page), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (provider, "notify::state", G_CALLBACK (update_page), self,
                           G_CONNECT_SWAPPED);
  on_items_changed (self);
  update_details (self);

  return self;
}

GbNetworkList *
gb_networks_window_get_networks (GbNetworksWindow *self)
{
  g_return_val_if_fail (GB_IS_NETWORKS_WINDOW (self), NULL);
  return self->networks;
}

GbNetwork *
gb_networks_window_get_selected (GbNetworksWindow *self)
{
  g_return_val_if_fail (GB_IS_NETWORKS_WINDOW (self), NULL);
  return self->selected;
}

/* GObject */

static void
gb_networks_window_dispose (GObject *object)
{
  GbNetworksWindow *self = GB_NETWORKS_WINDOW (object);

  set_selected (self, NULL);
  if (self->networks != NULL)
    g_signal_handlers_disconnect_by_data (self->networks, self);
  if (self->list_box != NULL)
    gtk_list_box_bind_model (self->list_box, NULL, NULL, NULL, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), GB_TYPE_NETWORKS_WINDOW);
  g_clear_object (&self->networks);

  G_OBJECT_CLASS (gb_networks_window_parent_class)->dispose (object);
}

static void
gb_networks_window_finalize (GObject *object)
{
  GbNetworksWindow *self = GB_NETWORKS_WINDOW (object);

  g_free (self->pending_select);

  G_OBJECT_CLASS (gb_networks_window_parent_class)->finalize (object);
}

static void
gb_networks_window_class_init (GbNetworksWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gb_networks_window_dispose;
  object_class->finalize = gb_networks_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/glassbox/Glassbox/gb-networks-window.ui");
  gtk_widget_class_bind_template_child (widget_class, GbNetworksWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, GbNetworksWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, GbNetworksWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, GbNetworksWindow, list_box);
  gtk_widget_class_bind_template_child (widget_class, GbNetworksWindow, details_box);
  gtk_widget_class_bind_template_child (widget_class, GbNetworksWindow, details_group);
  gtk_widget_class_bind_template_child (widget_class, GbNetworksWindow, state_row);
  gtk_widget_class_bind_template_child (widget_class, GbNetworksWindow, mode_row);
  gtk_widget_class_bind_template_child (widget_class, GbNetworksWindow, bridge_row);
  gtk_widget_class_bind_template_child (widget_class, GbNetworksWindow, address_row);
  gtk_widget_class_bind_template_child (widget_class, GbNetworksWindow, dhcp_row);
  gtk_widget_class_bind_template_child (widget_class, GbNetworksWindow, uuid_row);
  gtk_widget_class_bind_template_child (widget_class, GbNetworksWindow, leases_list);
  gtk_widget_class_bind_template_callback (widget_class, on_row_selected);

  gtk_widget_class_install_action (widget_class, "networks.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "networks.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "networks.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "networks.delete", NULL, delete_action);
  gtk_widget_class_install_action (widget_class, "networks.refresh", NULL, refresh_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "networks.add", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "networks.delete", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "networks.refresh", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
gb_networks_window_init (GbNetworksWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
