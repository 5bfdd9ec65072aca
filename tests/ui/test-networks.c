/* test-networks.c — the Virtual Networks window on test:///default
 *
 * Opens the window from the connection's action (app.networks), sees the
 * driver's "default" network, adds an isolated network through the Add
 * Network dialog with keys pressed for real (XTEST: Ctrl+N, the name, the
 * IPv4 network, Return), sees it listed and selected, and deletes it with
 * the Delete key, confirming. PNGs of each step are saved in the build
 * directory; run with LANGUAGE=zh_CN it checks the Chinese strings too.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>

#ifdef HAVE_XTEST
# include <gdk/x11/gdkx.h>
# include <X11/extensions/XTest.h>
# include <X11/keysym.h>
#endif

#include "gb-add-network-dialog.h"
#include "gb-application.h"
#include "gb-networks-window.h"
#include "gb-provider-row.h"
#include "gb-test-gtk-utils.h"
#include "gb-window.h"

#define TEST_URI "test:///default"
#define TIMEOUT_MS 20000

static gboolean
is_chinese (void)
{
  return g_strcmp0 (g_getenv ("LANGUAGE"), "zh_CN") == 0;
}

static char *
png_name (const char *stem)
{
  return g_strdup_printf ("%s%s.png", stem, is_chinese () ? "-zh_CN" : "");
}

#ifdef HAVE_XTEST

typedef struct {
  const char *title;
} TitleMatch;

static gboolean
row_has_title (GtkWidget *widget,
               gpointer   data)
{
  return g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), data) == 0;
}

static GtkWidget *
find_row (GtkWidget  *root,
          GType       type,
          const char *title)
{
  return gb_test_find_widget (root, type, row_has_title, (gpointer) title);
}

static gboolean
networks_window_shown (gpointer data)
{
  return gb_test_find_dialog (GB_TYPE_NETWORKS_WINDOW) != NULL;
}

static gboolean
add_dialog_shown (gpointer data)
{
  return gb_test_find_dialog (GB_TYPE_ADD_NETWORK_DIALOG) != NULL;
}

static gboolean
add_dialog_gone (gpointer data)
{
  return gb_test_find_dialog (GB_TYPE_ADD_NETWORK_DIALOG) == NULL;
}

static gboolean
message_dialog_shown (gpointer data)
{
  return gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

static gboolean
provider_connected (gpointer data)
{
  GbProvider *provider = gb_application_find_provider (data, TEST_URI);

  return provider != NULL && gb_provider_get_state (provider) == GB_PROVIDER_STATE_CONNECTED;
}

static gboolean
network_selected (gpointer data)
{
  GbNetworksWindow *window = GB_NETWORKS_WINDOW (gb_test_find_dialog (GB_TYPE_NETWORKS_WINDOW));
  GbNetwork *selected = window ? gb_networks_window_get_selected (window) : NULL;

  return selected != NULL && g_strcmp0 (gb_network_get_name (selected), data) == 0;
}

static gboolean
error_shown (gpointer data)
{
  return gb_test_find_label_with_class (data, "error") != NULL;
}

static gboolean
network_running_at_boot (gpointer data)
{
  return gb_network_get_active (data) && gb_network_get_autostart (data);
}

static gboolean
network_gone (gpointer data)
{
  GbNetworksWindow *window = GB_NETWORKS_WINDOW (gb_test_find_dialog (GB_TYPE_NETWORKS_WINDOW));

  return gb_network_list_lookup (gb_networks_window_get_networks (window), data) == NULL &&
         find_row (GTK_WIDGET (window), ADW_TYPE_ACTION_ROW, data) == NULL;
}

static gboolean
has_label_text (GtkWidget  *root,
                const char *text)
{
  return gb_test_find_label_with_text (root, text) != NULL;
}

static void
test_networks_window (void)
{
  g_autoptr(GbApplication) app = gb_test_application_new ();
  g_autofree char *png = NULL;
  GtkWidget *main_window, *window, *dialog, *row, *message;
  GbNetwork *net;
  Display *dpy;
  int event_base, error_base, major, minor;

  main_window = g_object_ref (GTK_WIDGET (gb_window_new (app)));
  gb_application_open_connection (app, TEST_URI);
  gtk_window_present (GTK_WINDOW (main_window));

  dpy = gdk_x11_display_get_xdisplay (gtk_widget_get_display (main_window));
  if (!XTestQueryExtension (dpy, &event_base, &error_base, &major, &minor))
    {
      g_test_skip ("the X server has no XTEST extension: keys cannot be pressed");
      gtk_window_destroy (GTK_WINDOW (main_window));
      g_object_unref (main_window);
      return;
    }
  g_assert_true (gb_test_wait_until_ms (provider_connected, app, TIMEOUT_MS));

  /* The connection's row menu has "Virtual Networks": app.networks for its URI. */
  {
    GtkWidget *provider_row = gb_test_find_widget (main_window, GB_TYPE_PROVIDER_ROW, NULL, NULL);
    GtkWidget *button = gb_test_find_widget (provider_row, GTK_TYPE_MENU_BUTTON, NULL, NULL);
    GMenuModel *menu = gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (button));
    gboolean found = FALSE;

    for (int i = 0; i < g_menu_model_get_n_items (menu) && !found; i++)
      {
        g_autofree char *action = NULL;
        g_autofree char *label = NULL;
        g_autoptr(GVariant) target = g_menu_model_get_item_attribute_value (menu, i, G_MENU_ATTRIBUTE_TARGET, NULL);

        g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_ACTION, "s", &action);
        g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_LABEL, "s", &label);
        if (g_strcmp0 (action, "app.networks") == 0)
          {
            g_assert_cmpstr (label, ==, is_chinese () ? "虚拟网络(_N)" : "Virtual _Networks");
            g_assert_cmpstr (g_variant_get_string (target, NULL), ==, TEST_URI);
            found = TRUE;
          }
      }
    g_assert_true (found);
  }
  g_action_group_activate_action (G_ACTION_GROUP (app), "networks", g_variant_new_string (TEST_URI));
  g_assert_true (gb_test_wait_until_ms (networks_window_shown, NULL, TIMEOUT_MS));
  window = GTK_WIDGET (gb_test_find_dialog (GB_TYPE_NETWORKS_WINDOW));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, is_chinese () ? "虚拟网络" : "Virtual Networks");

  /* The driver's "default" network, selected, with its details. */
  g_assert_true (gb_test_wait_until_ms (network_selected, (gpointer) "default", TIMEOUT_MS));
  row = find_row (window, ADW_TYPE_ACTION_ROW, "default");
  g_assert_nonnull (row);
  g_test_message ("default: %s", adw_action_row_get_subtitle (ADW_ACTION_ROW (row)));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "virbr0"));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "192.168.122.1/24"));
  g_assert_true (has_label_text (row, is_chinese () ? "活动" : "Active"));
  g_assert_nonnull (find_row (window, ADW_TYPE_ACTION_ROW, is_chinese () ? "DHCP 范围" : "DHCP Range"));
  gtk_test_widget_wait_for_draw (window);
  png = png_name ("networks-window");
  gb_test_save_png (window, png);
  g_clear_pointer (&png, g_free);

  /* Ctrl+N: Add Network. */
  gb_test_focus_window (window);
  gb_test_press (window, GDK_CONTROL_MASK, XK_n);
  g_assert_true (gb_test_wait_until_ms (add_dialog_shown, NULL, TIMEOUT_MS));
  dialog = GTK_WIDGET (gb_test_find_dialog (GB_TYPE_ADD_NETWORK_DIALOG));
  gb_test_focus_window (dialog);

  /* The name, typed over the suggestion. */
  row = find_row (dialog, ADW_TYPE_ENTRY_ROW, is_chinese () ? "名称" : "Name");
  g_assert_nonnull (row);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, "network1");
  gtk_widget_grab_focus (row);

  /* A name libvirt already has: its own words, and the dialog stays. */
  gb_test_press (dialog, GDK_CONTROL_MASK, XK_a);
  gb_test_type_text (dialog, "default");
  gb_test_press (dialog, 0, XK_Return);
  g_assert_true (gb_test_wait_until_ms (error_shown, dialog, TIMEOUT_MS));
  g_test_message ("libvirt says: %s", gtk_label_get_text (GTK_LABEL (gb_test_find_label_with_class (dialog, "error"))));
  /* libvirt's message, in libvirt's own translation under zh_CN. */
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (gb_test_find_label_with_class (dialog, "error"))),
                            "'default'"));
  gtk_test_widget_wait_for_draw (dialog);
  png = png_name ("add-network-error");
  gb_test_save_png (dialog, png);
  g_clear_pointer (&png, g_free);
  g_assert_true (gb_test_find_dialog (GB_TYPE_ADD_NETWORK_DIALOG) == GTK_WINDOW (dialog));

  gb_test_press (dialog, GDK_CONTROL_MASK, XK_a);
  gb_test_type_text (dialog, "lab-isolated");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, "lab-isolated");
  /* Typing hides the error again. */
  g_assert_null (gb_test_find_label_with_class (dialog, "error"));

  /* Isolated (third in the list), then its network. */
  row = find_row (dialog, ADW_TYPE_COMBO_ROW, is_chinese () ? "模式" : "Mode");
  g_assert_nonnull (row);
  adw_combo_row_set_selected (ADW_COMBO_ROW (row), 2);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==,
                   is_chinese () ? "客户机只能互相访问以及访问主机。" : "Guests reach only each other and the host.");
  row = find_row (dialog, ADW_TYPE_ENTRY_ROW, is_chinese () ? "网络（地址/前缀）" : "Network (address/prefix)");
  g_assert_nonnull (row);
  gtk_widget_grab_focus (row);
  gb_test_press (dialog, GDK_CONTROL_MASK, XK_a);
  gb_test_type_text (dialog, "10.20.30.0/24");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, "10.20.30.0/24");
  /* The DHCP range followed. */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_row (dialog, ADW_TYPE_ENTRY_ROW,
                                                                  is_chinese () ? "起始地址" : "First Address"))),
                   ==, "10.20.30.2");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_row (dialog, ADW_TYPE_ENTRY_ROW,
                                                                  is_chinese () ? "结束地址" : "Last Address"))),
                   ==, "10.20.30.254");
  gtk_test_widget_wait_for_draw (dialog);
  png = png_name ("add-network-dialog");
  gb_test_save_png (dialog, png);
  g_clear_pointer (&png, g_free);

  /* Return in the entry creates it; the dialog closes and the new network is selected. */
  gb_test_press (dialog, 0, XK_Return);
  g_assert_true (gb_test_wait_until_ms (add_dialog_gone, NULL, TIMEOUT_MS));
  g_assert_true (gb_test_wait_until_ms (network_selected, (gpointer) "lab-isolated", TIMEOUT_MS));
  net = gb_networks_window_get_selected (GB_NETWORKS_WINDOW (window));
  g_assert_cmpint (gb_network_get_mode (net), ==, GB_NETWORK_MODE_ISOLATED);
  /* "active" comes with libvirt's event, autostart with the re-read after it. */
  g_assert_true (gb_test_wait_until_ms (network_running_at_boot, net, TIMEOUT_MS));
  row = find_row (window, ADW_TYPE_ACTION_ROW, "lab-isolated");
  g_assert_nonnull (row);
  g_test_message ("lab-isolated: %s", adw_action_row_get_subtitle (ADW_ACTION_ROW (row)));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "10.20.30.1/24"));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                            is_chinese () ? "隔离" : "Isolated"));
  gtk_test_widget_wait_for_draw (window);
  png = png_name ("networks-window-added");
  gb_test_save_png (window, png);
  g_clear_pointer (&png, g_free);

  /* Delete asks first; confirming deletes it. */
  gb_test_focus_window (window);
  gb_test_press (window, 0, XK_Delete);
  g_assert_true (gb_test_wait_until_ms (message_dialog_shown, NULL, TIMEOUT_MS));
  message = GTK_WIDGET (gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (message)), ==,
                   is_chinese () ? "删除“lab-isolated”？" : "Delete “lab-isolated”?");
  gtk_test_widget_wait_for_draw (message);
  png = png_name ("delete-network-dialog");
  gb_test_save_png (message, png);
  g_clear_pointer (&png, g_free);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (message), "delete");
  gtk_window_destroy (GTK_WINDOW (message));
  g_assert_true (gb_test_wait_until_ms (network_gone, (gpointer) "lab-isolated", TIMEOUT_MS));
  g_assert_true (gb_test_wait_until_ms (network_selected, (gpointer) "default", TIMEOUT_MS));

  g_object_ref (window);
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (window);

  gtk_window_destroy (GTK_WINDOW (main_window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (main_window);
}

#else

static void
test_networks_window (void)
{
  g_test_skip ("built without libXtst (libxtst-dev): keys cannot be pressed");
}

#endif

int
main (int   argc,
      char *argv[])
{
  gb_application_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui/networks-window", test_networks_window);

  return g_test_run ();
}
