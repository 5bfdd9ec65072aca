/* gb-window.c — the main window: machine list beside the selected machine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "gb-console-view.h"
#include "gb-inside-page.h"
#include "gb-quit.h"
#include "gb-lab-window.h"
#include "gb-machine-actions.h"
#include "gb-machine-details.h"
#include "gb-machine-edit-actions.h"
#include "gb-machine-editor.h"
#include "gb-machine-list.h"
#include "gb-window.h"

/* Longer messages go to a dialog: a toast shows one line. */
#define MAX_TOAST_MESSAGE 120

struct _GbWindow
{
  AdwApplicationWindow  parent_instance;

  GbMachine            *machine;   /* the selected one, observed */

  AdwToastOverlay      *toast_overlay;
  GtkWidget            *pause_button;
  GtkWidget            *resume_button;
  AdwLeaflet           *leaflet;
  GtkWidget            *sidebar;
  GtkWidget            *sidebar_separator;
  GtkWidget            *content;
  GtkWidget            *content_header;
  GbMachineList        *machine_list;
  GbMachineDetails     *details;
  GtkStack             *content_stack;
  AdwViewSwitcherTitle *content_title;
  AdwViewSwitcherBar   *switcher_bar;
  AdwViewStack         *view_stack;
  GbConsoleView        *console;
  GbInsidePage         *inside;
  GbMachineEditor      *editor;

  /* What the console view shows: this machine's domain, opened while the
   * machine was (not) running. Reopened when either changes. */
  GbMachine            *console_machine;

  /* Every machine of every connection, to find one asked for by name
   * (command line, a machine just created) once its connection lists it. */
  GListModel           *all_machines;
  GbProvider           *pending_provider;
  char                 *pending_name;
  char                 *pending_page;
  guint                 pending_source;
};

G_DEFINE_FINAL_TYPE (GbWindow, gb_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_SELECTED_MACHINE,
  PROP_PAGE,
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

/* The Settings page of @machine at @tab ("general", "cpu", "disks",
 * "network", "xml"; "name": general, with the name to type). */
void
gb_window_edit_machine (GbWindow   *self,
                        GbMachine  *machine,
                        const char *tab)
{
  g_return_if_fail (GB_IS_WINDOW (self));
  g_return_if_fail (GB_IS_MACHINE (machine));

  if (self->machine != machine)
    gb_machine_list_select_machine (self->machine_list, machine);
  adw_view_stack_set_visible_child_name (self->view_stack, "settings");
  adw_leaflet_set_visible_child (self->leaflet, self->content);
  if (g_strcmp0 (tab, "name") == 0)
    {
      gb_machine_editor_set_tab (self->editor, "general");
      gb_machine_editor_focus_name (self->editor);
    }
  else
    gb_machine_editor_set_tab (self->editor, tab);
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

static gboolean
console_page_shown (GbWindow *self)
{
  return self->machine != NULL &&
         g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), "console") == 0;
}

static void
close_console (GbWindow *self)
{
  gb_console_view_close (self->console);
  g_clear_object (&self->console_machine);
}

/* The console follows the selected machine while its page is shown (and
 * afterwards, until another machine is chosen): it is opened when the page
 * is first shown; the console view itself follows the machine's state, so
 * an off machine says so and a started one shows its screen. */
static void
update_console (GbWindow *self)
{
  GbMachine *machine = self->machine;

  if (machine == NULL || (machine != self->console_machine && !console_page_shown (self)))
    {
      if (self->console_machine != NULL)
        close_console (self);
      return;
    }

  if (machine == self->console_machine)
    return;

  self->console_machine = g_object_ref (machine);
  /* Opened in the background; a machine that is off or has no screen is
   * not an error here: the console view says so itself, on screen. */
  gb_console_view_set_machine (self->console, machine);
}

/* On a narrow window the Details | Console switcher moves from the header
 * bar to the bottom. (Hidden rather than just unrevealed: GTK 4.8 warns
 * when it allocates the folded bar's box.) */
static void
update_switcher_bar (GbWindow *self)
{
  gboolean shown = self->machine != NULL &&
                   adw_view_switcher_title_get_title_visible (self->content_title) &&
                   (self->console == NULL || !gb_console_view_get_fullscreen (self->console));

  gtk_widget_set_visible (GTK_WIDGET (self->switcher_bar), shown);
  adw_view_switcher_bar_set_reveal (self->switcher_bar, shown);
}

static void
update_machine (GbWindow *self)
{
  GbMachine *machine = self->machine;
  gboolean paused;

  gb_machine_actions_update (GTK_WIDGET (self), machine);
  /* Paused, the header offers Resume where Pause was. */
  paused = machine != NULL && gb_machine_get_state (machine) == GB_MACHINE_STATE_PAUSED;
  gtk_widget_set_visible (self->resume_button, paused);
  gtk_widget_set_visible (self->pause_button, !paused);
  gb_machine_edit_actions_update (GTK_WIDGET (self), machine);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "machine.console", machine != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "machine.inside", machine != NULL);
  adw_view_switcher_title_set_view_switcher_enabled (self->content_title, machine != NULL);
  update_switcher_bar (self);
  update_console (self);

  if (machine == NULL)
    {
      adw_view_switcher_title_set_title (self->content_title, "");
      adw_view_switcher_title_set_subtitle (self->content_title, "");
      gtk_stack_set_visible_child_name (self->content_stack, "empty");
      return;
    }

  adw_view_switcher_title_set_title (self->content_title, gb_machine_get_name (machine));
  adw_view_switcher_title_set_subtitle (self->content_title,
                                        gb_machine_state_to_string (gb_machine_get_state (machine)));
  gtk_stack_set_visible_child_name (self->content_stack, "machine");
}

/* A fullscreen console is the machine's screen and nothing else: the list
 * and the header bar step aside until it leaves fullscreen. */
static void
on_console_fullscreen (GbWindow *self)
{
  gboolean fullscreen = gb_console_view_get_fullscreen (self->console);

  gtk_widget_set_visible (self->sidebar, !fullscreen);
  gtk_widget_set_visible (self->sidebar_separator, !fullscreen);
  gtk_widget_set_visible (self->content_header, !fullscreen);
  update_switcher_bar (self);
}

static void
on_page_changed (GbWindow *self)
{
  update_console (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAGE]);
}

const char *
gb_window_get_page (GbWindow *self)
{
  g_return_val_if_fail (GB_IS_WINDOW (self), NULL);

  return adw_view_stack_get_visible_child_name (self->view_stack);
}

void
gb_window_set_page (GbWindow   *self,
                    const char *page)
{
  g_return_if_fail (GB_IS_WINDOW (self));
  g_return_if_fail (g_strcmp0 (page, "details") == 0 || g_strcmp0 (page, "console") == 0 ||
                    g_strcmp0 (page, "inside") == 0 || g_strcmp0 (page, "settings") == 0);

  adw_view_stack_set_visible_child_name (self->view_stack, page);
}

GbConsoleView *
gb_window_get_console_view (GbWindow *self)
{
  g_return_val_if_fail (GB_IS_WINDOW (self), NULL);

  return self->console;
}

static gboolean
machine_matches (GbMachine  *machine,
                 GbProvider *provider,
                 const char *name_or_uuid)
{
  if (provider != NULL && gb_machine_get_provider (machine) != provider)
    return FALSE;

  return g_strcmp0 (gb_machine_get_name (machine), name_or_uuid) == 0 ||
         g_strcmp0 (gb_machine_get_uuid (machine), name_or_uuid) == 0;
}

static gboolean
show_pending_cb (gpointer data)
{
  GbWindow *self = data;
  GbMachine *found = NULL;
  guint n;

  self->pending_source = 0;
  if (self->pending_name == NULL || self->all_machines == NULL)
    return G_SOURCE_REMOVE;

  n = g_list_model_get_n_items (self->all_machines);
  for (guint i = 0; i < n && found == NULL; i++)
    {
      g_autoptr(GbMachine) machine = g_list_model_get_item (self->all_machines, i);

      if (machine_matches (machine, self->pending_provider, self->pending_name))
        found = machine;
    }

  if (found == NULL)
    return G_SOURCE_REMOVE;  /* not listed yet: tried again when the lists change */

  gb_machine_list_select_machine (self->machine_list, found);
  if (self->machine != found)
    return G_SOURCE_REMOVE;  /* its row is not there yet */

  gb_window_set_page (self, self->pending_page);
  g_clear_object (&self->pending_provider);
  g_clear_pointer (&self->pending_name, g_free);
  g_clear_pointer (&self->pending_page, g_free);

  return G_SOURCE_REMOVE;
}

static void
schedule_show_pending (GbWindow *self)
{
  /* From an idle: the machine list updates its rows from the same
   * "items-changed" that brought us here. */
  if (self->pending_name != NULL && self->pending_source == 0)
    self->pending_source = g_idle_add (show_pending_cb, self);
}

/**
 * gb_window_show_machine:
 * @provider: (nullable): the connection to look in, or %NULL for any
 * @name_or_uuid: the machine's name or UUID
 * @page: "details" or "console"
 *
 * Selects the machine and shows that page of it, now or as soon as its
 * connection lists it (a connection still opening, a machine just defined).
 */
void
gb_window_show_machine (GbWindow   *self,
                        GbProvider *provider,
                        const char *name_or_uuid,
                        const char *page)
{
  g_return_if_fail (GB_IS_WINDOW (self));
  g_return_if_fail (!provider || GB_IS_PROVIDER (provider));
  g_return_if_fail (name_or_uuid != NULL);
  g_return_if_fail (g_strcmp0 (page, "details") == 0 || g_strcmp0 (page, "console") == 0 ||
                    g_strcmp0 (page, "inside") == 0 || g_strcmp0 (page, "settings") == 0);

  g_set_object (&self->pending_provider, provider);
  g_free (self->pending_name);
  self->pending_name = g_strdup (name_or_uuid);
  g_free (self->pending_page);
  self->pending_page = g_strdup (page);
  schedule_show_pending (self);
}

static gpointer
map_provider_to_machines (gpointer item,
                          gpointer user_data)
{
  GListModel *machines = g_object_ref (gb_provider_get_machines (item));

  g_object_unref (item);
  return machines;
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
  gb_inside_page_set_machine (self->inside, machine);
  gb_machine_editor_set_machine (self->editor, machine);
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

static void
console_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  GbWindow *self = GB_WINDOW (widget);

  if (self->machine == NULL)
    return;

  gb_window_set_page (self, "console");
  /* On a narrow window the machine's page comes forward. */
  adw_leaflet_set_visible_child (self->leaflet, self->content);
}

static void
inside_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  GbWindow *self = GB_WINDOW (widget);

  if (self->machine == NULL)
    return;

  gb_window_set_page (self, "inside");
  adw_leaflet_set_visible_child (self->leaflet, self->content);
}

static void
lab_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  gtk_window_present (gb_lab_window_new (GTK_WINDOW (widget)));
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
      g_clear_object (&self->all_machines);
      return;
    }

  gb_machine_list_set_providers (self->machine_list,
                                 gb_application_get_providers (GB_APPLICATION (app)));

  g_clear_object (&self->all_machines);
  self->all_machines = G_LIST_MODEL (gtk_flatten_list_model_new (
      G_LIST_MODEL (gtk_map_list_model_new (g_object_ref (gb_application_get_providers (GB_APPLICATION (app))),
                                            map_provider_to_machines, NULL, NULL))));
  g_signal_connect_object (self->all_machines, "items-changed",
                           G_CALLBACK (schedule_show_pending), self, G_CONNECT_SWAPPED);
  g_object_bind_property (app, "opening-default", self->machine_list, "loading",
                          G_BINDING_SYNC_CREATE);

  settings = gb_application_get_settings (GB_APPLICATION (app));
  g_settings_bind (settings, "console-scale-mode",
                   gb_console_view_get_display (self->console), "scale-mode", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "console-release-keys",
                   gb_console_view_get_display (self->console), "release-accel", G_SETTINGS_BIND_DEFAULT);
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
  if (self->console != NULL)
    close_console (self);
  g_clear_handle_id (&self->pending_source, g_source_remove);
  g_clear_object (&self->pending_provider);
  g_clear_pointer (&self->pending_name, g_free);
  g_clear_pointer (&self->pending_page, g_free);
  g_clear_object (&self->all_machines);

  gtk_widget_dispose_template (GTK_WIDGET (self), GB_TYPE_WINDOW);

  G_OBJECT_CLASS (gb_window_parent_class)->dispose (object);
}

/* Closing the last main window quits: with embedded machines running,
 * app.quit asks first (gb-quit.c), and the window stays until it may go. */
static gboolean
gb_window_close_request (GtkWindow *window)
{
  GtkApplication *app = gtk_window_get_application (window);
  guint main_windows = 0;

  if (GB_IS_APPLICATION (app))
    {
      g_autoptr(GPtrArray) running = gb_quit_find_embedded_machines (GB_APPLICATION (app));

      for (GList *l = gtk_application_get_windows (app); l != NULL; l = l->next)
        main_windows += GB_IS_WINDOW (l->data);
      if (main_windows == 1 && running->len > 0)
        {
          g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
          return TRUE;
        }
    }

  return GTK_WINDOW_CLASS (gb_window_parent_class)->close_request (window);
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

    case PROP_PAGE:
      g_value_set_string (value, gb_window_get_page (self));
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
  GTK_WINDOW_CLASS (klass)->close_request = gb_window_close_request;

  properties[PROP_SELECTED_MACHINE] =
    g_param_spec_object ("selected-machine", NULL, NULL,
                         GB_TYPE_MACHINE,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));

  /**
   * GbWindow:page:
   *
   * What is shown of the selected machine: "details" or "console".
   */
  properties[PROP_PAGE] =
    g_param_spec_string ("page", NULL, NULL,
                         "details",
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (GB_TYPE_MACHINE_LIST);
  g_type_ensure (GB_TYPE_MACHINE_DETAILS);
  g_type_ensure (GB_TYPE_CONSOLE_VIEW);
  g_type_ensure (GB_TYPE_INSIDE_PAGE);
  g_type_ensure (GB_TYPE_MACHINE_EDITOR);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/glassbox/Glassbox/gb-window.ui");
  gtk_widget_class_bind_template_child (widget_class, GbWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, GbWindow, pause_button);
  gtk_widget_class_bind_template_child (widget_class, GbWindow, resume_button);
  gtk_widget_class_bind_template_child (widget_class, GbWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, GbWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, GbWindow, sidebar_separator);
  gtk_widget_class_bind_template_child (widget_class, GbWindow, content);
  gtk_widget_class_bind_template_child (widget_class, GbWindow, content_header);
  gtk_widget_class_bind_template_child (widget_class, GbWindow, machine_list);
  gtk_widget_class_bind_template_child (widget_class, GbWindow, details);
  gtk_widget_class_bind_template_child (widget_class, GbWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, GbWindow, content_title);
  gtk_widget_class_bind_template_child (widget_class, GbWindow, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, GbWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, GbWindow, console);
  gtk_widget_class_bind_template_child (widget_class, GbWindow, inside);
  gtk_widget_class_bind_template_child (widget_class, GbWindow, editor);
  gtk_widget_class_bind_template_callback (widget_class, on_selected_machine_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_page_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_console_fullscreen);
  gtk_widget_class_bind_template_callback (widget_class, update_switcher_bar);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked);

  /* "machine.*" act on the selected machine; the rows have their own. */
  gb_machine_actions_install_for_class (widget_class, get_machine);
  gb_machine_actions_add_shortcuts (widget_class);
  gb_machine_edit_actions_install_for_class (widget_class, get_machine);
  gb_machine_edit_actions_add_shortcuts (widget_class);

  /* Documented in ui/help-overlay.ui and README.md. */
  gtk_widget_class_install_action (widget_class, "machine.console", NULL, console_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_O, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "machine.console", NULL);
  /* Ctrl+Shift+E ("exits"): GTK's inspector has Ctrl+Shift+D and I. */
  gtk_widget_class_install_action (widget_class, "machine.inside", NULL, inside_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_E, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "machine.inside", NULL);
  gtk_widget_class_install_action (widget_class, "lab.open", NULL, lab_action);
}

static void
gb_window_init (GbWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect (self, "notify::application", G_CALLBACK (on_application_changed), NULL);
  update_machine (self);
}
