/* gb-add-network-dialog.c — makes a libvirt virtual network
 *
 * Name, mode (NAT, routed, isolated, open, or bridged onto a host bridge
 * the connection lists), for the routed kinds an IPv4 network with a DHCP
 * range that follows it, and whether to start it now and at boot. The
 * dialog stays open until libvirt has made the network, and shows
 * libvirt's own reason when it does not.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gb-add-network-dialog.h"

struct _GbAddNetworkDialog
{
  AdwWindow        parent_instance;

  GbNetworkList   *networks;
  GCancellable    *cancellable;
  GtkStringList   *bridges;

  AdwEntryRow     *name_row;
  AdwComboRow     *mode_row;
  AdwComboRow     *bridge_row;
  AdwPreferencesGroup *ipv4_group;
  AdwEntryRow     *ipv4_row;
  AdwExpanderRow  *dhcp_row;
  AdwEntryRow     *dhcp_start_row;
  AdwEntryRow     *dhcp_end_row;
  GtkSwitch       *start_switch;
  GtkSwitch       *autostart_switch;
  GtkLabel        *error_label;
  GtkSpinner      *spinner;

  guint            busy : 1;
  guint            bridges_loaded : 1;
};

G_DEFINE_FINAL_TYPE (GbAddNetworkDialog, gb_add_network_dialog, ADW_TYPE_WINDOW)

enum {
  NETWORK_CREATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The order of the mode row. */
static const GbNetworkMode modes[] = {
  GB_NETWORK_MODE_NAT,
  GB_NETWORK_MODE_ROUTE,
  GB_NETWORK_MODE_ISOLATED,
  GB_NETWORK_MODE_OPEN,
  GB_NETWORK_MODE_BRIDGE,
};

static GbNetworkMode
selected_mode (GbAddNetworkDialog *self)
{
  guint i = adw_combo_row_get_selected (self->mode_row);

  return i < G_N_ELEMENTS (modes) ? modes[i] : GB_NETWORK_MODE_NAT;
}

static const char *
mode_description (GbNetworkMode mode)
{
  switch (mode)
    {
    case GB_NETWORK_MODE_NAT:
      return _("Guests reach other networks through the host’s address.");
    case GB_NETWORK_MODE_ROUTE:
      return _("Guests are routed to other networks with their own addresses.");
    case GB_NETWORK_MODE_ISOLATED:
      return _("Guests reach only each other and the host.");
    case GB_NETWORK_MODE_OPEN:
      return _("Routed, without firewall rules from libvirt.");
    case GB_NETWORK_MODE_BRIDGE:
      return _("Guests join the host bridge’s network directly.");
    case GB_NETWORK_MODE_OTHER:
    default:
      return NULL;
    }
}

static const char *
selected_bridge (GbAddNetworkDialog *self)
{
  guint i = adw_combo_row_get_selected (self->bridge_row);

  if (self->bridges == NULL || i == GTK_INVALID_LIST_POSITION)
    return NULL;
  return gtk_string_list_get_string (self->bridges, i);
}

static void
update (GbAddNetworkDialog *self)
{
  GbNetworkMode mode = selected_mode (self);
  gboolean bridged = mode == GB_NETWORK_MODE_BRIDGE;
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  g_autofree char *stripped = g_strstrip (g_strdup (name));
  gboolean ready = stripped[0] != '\0';

  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->mode_row), mode_description (mode));
  gtk_widget_set_visible (GTK_WIDGET (self->bridge_row), bridged);
  gtk_widget_set_visible (GTK_WIDGET (self->ipv4_group), !bridged);

  if (bridged)
    {
      ready = ready && selected_bridge (self) != NULL;
      if (!self->bridges_loaded)
        adw_action_row_set_subtitle (ADW_ACTION_ROW (self->bridge_row), _("Looking for bridges…"));
      else if (selected_bridge (self) == NULL)
        adw_action_row_set_subtitle (ADW_ACTION_ROW (self->bridge_row), _("This host has no bridges."));
      else
        adw_action_row_set_subtitle (ADW_ACTION_ROW (self->bridge_row), NULL);
    }

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "add-network.create", ready && !self->busy);
}

static void
on_changed (GbAddNetworkDialog *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  update (self);
}

static void
on_mode_changed (GbAddNetworkDialog *self)
{
  on_changed (self);
}

/* The DHCP range follows the network while it is a valid one. */
static void
on_ipv4_changed (GbAddNetworkDialog *self)
{
  g_autofree char *start = NULL;
  g_autofree char *end = NULL;

  if (gb_network_default_dhcp_range (gtk_editable_get_text (GTK_EDITABLE (self->ipv4_row)),
                                     NULL, &start, &end, NULL))
    {
      gtk_editable_set_text (GTK_EDITABLE (self->dhcp_start_row), start);
      gtk_editable_set_text (GTK_EDITABLE (self->dhcp_end_row), end);
    }
  on_changed (self);
}

static void
on_entry_activated (GbAddNetworkDialog *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "add-network.create", NULL);
}

static void
set_busy (GbAddNetworkDialog *self,
          gboolean            busy)
{
  self->busy = busy;
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  update (self);
}

static void
show_error (GbAddNetworkDialog *self,
            const char         *message)
{
  gtk_label_set_label (self->error_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
}

static void
create_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GbAddNetworkDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = NULL;

  uuid = gb_network_list_create_finish (GB_NETWORK_LIST (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_busy (self, FALSE);
  if (uuid == NULL)
    {
      show_error (self, error->message);
      return;
    }

  g_signal_emit (self, signals[NETWORK_CREATED], 0, uuid);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
create_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  GbAddNetworkDialog *self = GB_ADD_NETWORK_DIALOG (widget);
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  g_autofree char *ipv4 = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->ipv4_row))));
  g_autofree char *start = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->dhcp_start_row))));
  g_autofree char *end = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->dhcp_end_row))));
  GbNetworkSettings settings = { 0 };

  if (self->busy)
    return;

  settings.name = name;
  settings.mode = selected_mode (self);
  if (settings.mode == GB_NETWORK_MODE_BRIDGE)
    settings.bridge = selected_bridge (self);
  else
    {
      settings.ipv4 = ipv4;
      settings.dhcp = adw_expander_row_get_enable_expansion (self->dhcp_row);
      settings.dhcp_start = start[0] ? start : NULL;
      settings.dhcp_end = end[0] ? end : NULL;
    }

  set_busy (self, TRUE);
  gb_network_list_create_async (self->networks, &settings,
                                gtk_switch_get_active (self->autostart_switch),
                                gtk_switch_get_active (self->start_switch),
                                self->cancellable, create_cb, g_object_ref (self));
}

static void
bridges_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GbAddNetworkDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) bridges = NULL;

  bridges = gb_libvirt_provider_list_bridges_finish (GB_LIBVIRT_PROVIDER (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    g_debug ("Listing bridges: %s", error->message);

  self->bridges_loaded = TRUE;
  self->bridges = gtk_string_list_new ((const char * const *) bridges);
  adw_combo_row_set_model (self->bridge_row, G_LIST_MODEL (self->bridges));
  update (self);
}

static void
gb_add_network_dialog_dispose (GObject *object)
{
  GbAddNetworkDialog *self = GB_ADD_NETWORK_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), GB_TYPE_ADD_NETWORK_DIALOG);

  G_OBJECT_CLASS (gb_add_network_dialog_parent_class)->dispose (object);
}

static void
gb_add_network_dialog_finalize (GObject *object)
{
  GbAddNetworkDialog *self = GB_ADD_NETWORK_DIALOG (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->networks);
  g_clear_object (&self->bridges);

  G_OBJECT_CLASS (gb_add_network_dialog_parent_class)->finalize (object);
}

static void
gb_add_network_dialog_class_init (GbAddNetworkDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gb_add_network_dialog_dispose;
  object_class->finalize = gb_add_network_dialog_finalize;

  /**
   * GbAddNetworkDialog::network-created:
   * @uuid: the new network's UUID
   */
  signals[NETWORK_CREATED] =
    g_signal_new ("network-created", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/glassbox/Glassbox/gb-add-network-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, GbAddNetworkDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, GbAddNetworkDialog, mode_row);
  gtk_widget_class_bind_template_child (widget_class, GbAddNetworkDialog, bridge_row);
  gtk_widget_class_bind_template_child (widget_class, GbAddNetworkDialog, ipv4_group);
  gtk_widget_class_bind_template_child (widget_class, GbAddNetworkDialog, ipv4_row);
  gtk_widget_class_bind_template_child (widget_class, GbAddNetworkDialog, dhcp_row);
  gtk_widget_class_bind_template_child (widget_class, GbAddNetworkDialog, dhcp_start_row);
  gtk_widget_class_bind_template_child (widget_class, GbAddNetworkDialog, dhcp_end_row);
  gtk_widget_class_bind_template_child (widget_class, GbAddNetworkDialog, start_switch);
  gtk_widget_class_bind_template_child (widget_class, GbAddNetworkDialog, autostart_switch);
  gtk_widget_class_bind_template_child (widget_class, GbAddNetworkDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, GbAddNetworkDialog, spinner);
  gtk_widget_class_bind_template_callback (widget_class, on_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_mode_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_ipv4_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_activated);

  gtk_widget_class_install_action (widget_class, "add-network.create", NULL, create_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
gb_add_network_dialog_init (GbAddNetworkDialog *self)
{
  g_autoptr(GtkStringList) labels = gtk_string_list_new (NULL);

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    gtk_string_list_append (labels, gb_network_mode_to_label (modes[i]));
  adw_combo_row_set_model (self->mode_row, G_LIST_MODEL (labels));
}

GbAddNetworkDialog *
gb_add_network_dialog_new (GtkWindow     *parent,
                           GbNetworkList *networks)
{
  GbAddNetworkDialog *self;
  GbLibvirtProvider *provider;
  g_autofree char *name = NULL;

  g_return_val_if_fail (GB_IS_NETWORK_LIST (networks), NULL);

  self = g_object_new (GB_TYPE_ADD_NETWORK_DIALOG, "transient-for", parent, NULL);
  self->networks = g_object_ref (networks);

  /* A free name to start from. */
  for (guint i = 1; name == NULL || gb_network_list_lookup (networks, name) != NULL; i++)
    {
      g_free (name);
      name = g_strdup_printf ("network%u", i);
    }
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
  on_ipv4_changed (self);

  provider = gb_network_list_get_provider (networks);
  gb_libvirt_provider_list_bridges_async (provider, self->cancellable, bridges_cb, g_object_ref (self));

  update (self);
  return self;
}
