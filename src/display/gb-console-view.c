/* gb-console-view.c: a machine's consoles, graphical and serial, with a toolbar
 *
 * The screen (GbDisplay) and the serial console (GbSerialConsole) are two
 * pages of a stack with a switcher in the toolbar.  In fullscreen the toolbar
 * hides and a small floating one slides in when the pointer touches the top
 * edge.  The "console.*" actions forward to the display, so the toolbar, the
 * menus and the keyboard shortcuts all share one implementation.
 *
 * Given a GbMachine, the view opens its consoles through the machine
 * (gb_machine_open_graphics_async(), gb_machine_open_serial_async()) and
 * follows its "state": opened again when it starts, closed with a sentence
 * when it stops.  No timers, no provider calls of its own.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <string.h>

#include <adwaita.h>
#include <vte/vte.h>

#include "gb-console-view-private.h"

#define REVEAL_EDGE_PX 4
#define REVEAL_HIDE_MS 2000

struct _GbConsoleView
{
  GtkWidget   parent_instance;

  GtkWidget  *overlay;
  GtkWidget  *fullscreen_revealer;
  GtkWidget  *toolbar;
  GtkWidget  *status_label;
  GtkWidget  *stack;
  GtkWidget  *scroller;
  GbDisplay  *display;
  GbSerialConsole *serial;

  GtkWidget  *password_dialog;

  GbMachine  *machine;
  GCancellable *serial_cancellable;
  gboolean    opened_running;
  /* The text console shown, when the machine has several; NULL: the first. */
  char       *serial_device;
  GtkWidget  *console_chooser;
  GStrv       chooser_devices;
  gboolean    updating_chooser;

  gboolean    fullscreen;
  guint       hide_source;
};

G_DEFINE_FINAL_TYPE (GbConsoleView, gb_console_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_FULLSCREEN,
  PROP_SCALE_MODE,
  PROP_MACHINE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_status (GbConsoleView *self)
{
  g_autofree char *text = NULL;
  int width = gb_display_get_guest_width (self->display);
  int height = gb_display_get_guest_height (self->display);

  switch (gb_display_get_state (self->display))
    {
    case GB_DISPLAY_STATE_CONNECTED:
      /* Translators: the guest screen's resolution, e.g. "1024×768" */
      text = g_strdup_printf (_("%d×%d"), width, height);
      break;
    case GB_DISPLAY_STATE_CONNECTING:
      text = g_strdup (_("Connecting…"));
      break;
    case GB_DISPLAY_STATE_ERROR:
    case GB_DISPLAY_STATE_DISCONNECTED:
    default:
      text = g_strdup (_("Not connected"));
      break;
    }
  gtk_label_set_text (GTK_LABEL (self->status_label), text);
  /* It speaks of the screen: the serial page says its own state. */
  gtk_widget_set_visible (self->status_label,
                          g_strcmp0 (gb_console_view_get_page (self), "screen") == 0);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "console.screenshot",
                                 gb_display_get_state (self->display) == GB_DISPLAY_STATE_CONNECTED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "console.send-keys",
                                 gb_display_get_state (self->display) == GB_DISPLAY_STATE_CONNECTED);
}

static void
on_display_notify (GbDisplay     *display,
                   GParamSpec    *pspec,
                   GbConsoleView *self)
{
  update_status (self);
}

/* Password ---------------------------------------------------------------- */

static void
on_password_response (AdwMessageDialog *dialog,
                      const char       *response,
                      GbConsoleView    *self)
{
  GtkWidget *entry = adw_message_dialog_get_extra_child (dialog);

  /* The dialog closes itself after this, and closing emits "response" once
   * more (its close response): by then the answer is given, and this view
   * may be gone. */
  g_signal_handlers_disconnect_by_data (dialog, self);
  self->password_dialog = NULL;
  gb_display_answer_password (self->display,
                              g_strcmp0 (response, "connect") == 0
                              ? gtk_editable_get_text (GTK_EDITABLE (entry)) : NULL);
}

static void
gb_console_view_close_password_dialog (GbConsoleView *self)
{
  GtkWidget *dialog = g_steal_pointer (&self->password_dialog);

  if (dialog == NULL)
    return;
  g_signal_handlers_disconnect_by_data (dialog, self);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* The display asks, or no longer needs to (closed, reopened). */
static void
on_display_needs_password (GbDisplay     *display,
                           GParamSpec    *pspec,
                           GbConsoleView *self)
{
  g_autoptr(GtkBuilder) builder = NULL;
  GtkRoot *root;

  if (!gb_display_get_needs_password (display))
    {
      gb_console_view_close_password_dialog (self);
      return;
    }
  if (self->password_dialog != NULL)
    return;

  builder = gtk_builder_new_from_resource ("/org/glassbox/Glassbox/display/gb-password-dialog.ui");
  self->password_dialog = GTK_WIDGET (gtk_builder_get_object (builder, "dialog"));
  root = gtk_widget_get_root (GTK_WIDGET (self));
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (self->password_dialog), GTK_WINDOW (root));
  gtk_window_set_modal (GTK_WINDOW (self->password_dialog), TRUE);
  g_signal_connect (self->password_dialog, "response", G_CALLBACK (on_password_response), self);
  gtk_window_present (GTK_WINDOW (self->password_dialog));
}

GtkWidget *
_gb_console_view_get_password_dialog (GbConsoleView *self)
{
  return self->password_dialog;
}

/* Fullscreen --------------------------------------------------------------- */

static gboolean
hide_revealer_cb (gpointer data)
{
  GbConsoleView *self = data;

  self->hide_source = 0;
  gtk_revealer_set_reveal_child (GTK_REVEALER (self->fullscreen_revealer), FALSE);
  return G_SOURCE_REMOVE;
}

static void
on_overlay_motion (GtkEventControllerMotion *controller,
                   double                    x,
                   double                    y,
                   GbConsoleView            *self)
{
  if (!self->fullscreen)
    return;

  if (y <= REVEAL_EDGE_PX)
    {
      gtk_revealer_set_reveal_child (GTK_REVEALER (self->fullscreen_revealer), TRUE);
      g_clear_handle_id (&self->hide_source, g_source_remove);
    }
  else if (gtk_revealer_get_reveal_child (GTK_REVEALER (self->fullscreen_revealer)) &&
           self->hide_source == 0 &&
           y > gtk_widget_get_height (self->fullscreen_revealer) + REVEAL_EDGE_PX)
    {
      self->hide_source = g_timeout_add (REVEAL_HIDE_MS, hide_revealer_cb, self);
    }
}

gboolean
gb_console_view_get_fullscreen (GbConsoleView *self)
{
  g_return_val_if_fail (GB_IS_CONSOLE_VIEW (self), FALSE);

  return self->fullscreen;
}

void
gb_console_view_set_fullscreen (GbConsoleView *self,
                                gboolean       fullscreen)
{
  GtkRoot *root;

  g_return_if_fail (GB_IS_CONSOLE_VIEW (self));

  fullscreen = !!fullscreen;
  if (self->fullscreen == fullscreen)
    return;

  self->fullscreen = fullscreen;
  root = gtk_widget_get_root (GTK_WIDGET (self));
  if (GTK_IS_WINDOW (root))
    {
      if (fullscreen)
        gtk_window_fullscreen (GTK_WINDOW (root));
      else
        gtk_window_unfullscreen (GTK_WINDOW (root));
    }
  gtk_widget_set_visible (self->toolbar, !fullscreen);
  gtk_revealer_set_reveal_child (GTK_REVEALER (self->fullscreen_revealer), FALSE);
  g_clear_handle_id (&self->hide_source, g_source_remove);
  if (fullscreen)
    gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "screen");

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FULLSCREEN]);
}

const char *
gb_console_view_get_page (GbConsoleView *self)
{
  g_return_val_if_fail (GB_IS_CONSOLE_VIEW (self), NULL);

  return gtk_stack_get_visible_child_name (GTK_STACK (self->stack));
}

void
gb_console_view_set_page (GbConsoleView *self,
                          const char    *page)
{
  g_return_if_fail (GB_IS_CONSOLE_VIEW (self));
  g_return_if_fail (g_strcmp0 (page, "screen") == 0 || g_strcmp0 (page, "serial") == 0);

  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), page);
}

GtkWidget *
gb_console_view_new (void)
{
  return g_object_new (GB_TYPE_CONSOLE_VIEW, NULL);
}

GbDisplay *
gb_console_view_get_display (GbConsoleView *self)
{
  g_return_val_if_fail (GB_IS_CONSOLE_VIEW (self), NULL);

  return self->display;
}

GbSerialConsole *
gb_console_view_get_serial_console (GbConsoleView *self)
{
  g_return_val_if_fail (GB_IS_CONSOLE_VIEW (self), NULL);

  return self->serial;
}

static gboolean
machine_is_running (GbMachine *machine)
{
  switch (gb_machine_get_state (machine))
    {
    case GB_MACHINE_STATE_RUNNING:
    case GB_MACHINE_STATE_PAUSED:
    case GB_MACHINE_STATE_SHUTTING_DOWN:
      return TRUE;
    default:
      return FALSE;
    }
}

static void
open_display_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      data)
{
  g_autoptr(GbConsoleView) self = data;
  g_autoptr(GError) error = NULL;

  /* No screen: show the serial console (or why it cannot be shown). */
  if (!gb_display_open_machine_finish (GB_DISPLAY (object), result, &error) &&
      g_error_matches (error, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_NO_GRAPHICS))
    gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "serial");
}

static void
open_serial_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      data)
{
  g_autoptr(GbConsoleView) self = data;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GError) error = NULL;

  stream = gb_machine_open_serial_finish (GB_MACHINE (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (stream != NULL)
    gb_serial_console_open_stream (self->serial, stream);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    gb_serial_console_set_status (self->serial,
                                  _("Glassbox cannot open a serial console for this machine."));
  else
    gb_serial_console_set_status (self->serial, error->message);
}

/* (Re)opens the text console for the machine's current state. */
static void
gb_console_view_open_serial (GbConsoleView *self)
{
  if (self->serial_cancellable != NULL)
    {
      g_cancellable_cancel (self->serial_cancellable);
      g_clear_object (&self->serial_cancellable);
    }
  gb_serial_console_close (self->serial);
  if (machine_is_running (self->machine))
    {
      self->serial_cancellable = g_cancellable_new ();
      gb_serial_console_set_status (self->serial, _("Connecting…"));
      gb_machine_open_serial_async (self->machine, self->serial_device, self->serial_cancellable,
                                    open_serial_cb, g_object_ref (self));
    }
  else
    {
      gb_serial_console_set_status (self->serial,
                                    _("The machine is off. Start it to see its console."));
    }
}

/* (Re)opens both consoles for the machine's current state. */
static void
gb_console_view_open_machine (GbConsoleView *self)
{
  gboolean running = machine_is_running (self->machine);

  self->opened_running = running;
  gb_console_view_open_serial (self);

  /* No screen: the serial console is what there is. */
  if (running && gb_machine_get_graphics_protocol (self->machine) == GB_GRAPHICS_PROTOCOL_NONE)
    gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "serial");

  /* The display says itself that the machine is off or has no screen. */
  gb_display_open_machine_async (self->display, self->machine, NULL,
                                 open_display_cb, g_object_ref (self));
}

/* Console chooser ---------------------------------------------------------- */

static char *
console_label (const GbConfigConsole *console)
{
  if (g_strcmp0 (console->type, "virtio") == 0)
    /* Translators: a text console on a virtio-serial port, e.g. "Virtio Console 1" */
    return g_strdup_printf (_("Virtio Console %d"), console->port);
  /* Translators: a serial port, counted from 0 as the guest does: "Serial Port 0" is ttyS0 */
  return g_strdup_printf (_("Serial Port %d"), console->port);
}

static void
update_console_chooser_visible (GbConsoleView *self)
{
  gtk_widget_set_visible (self->console_chooser,
                          self->chooser_devices != NULL &&
                          g_strv_length (self->chooser_devices) > 1 &&
                          g_strcmp0 (gb_console_view_get_page (self), "serial") == 0);
}

/* Offers the machine's text consoles when it has more than one. */
static void
update_console_chooser (GbConsoleView *self)
{
  GbMachineConfig *config = self->machine ? gb_machine_get_config (self->machine) : NULL;
  GPtrArray *consoles = config ? gb_machine_config_get_consoles (config) : NULL;
  g_autoptr(GStrvBuilder) devices = g_strv_builder_new ();
  g_autoptr(GtkStringList) labels = gtk_string_list_new (NULL);
  g_auto(GStrv) list = NULL;
  guint selected = 0;

  for (guint i = 0; consoles != NULL && i < consoles->len; i++)
    {
      const GbConfigConsole *console = g_ptr_array_index (consoles, i);
      g_autofree char *label = console_label (console);

      g_strv_builder_add (devices, console->device);
      gtk_string_list_append (labels, label);
      if (g_strcmp0 (console->device, self->serial_device) == 0)
        selected = i;
    }
  list = g_strv_builder_end (devices);

  if (self->chooser_devices == NULL || !g_strv_equal ((const char * const *) list,
                                                      (const char * const *) self->chooser_devices))
    {
      self->updating_chooser = TRUE;
      gtk_drop_down_set_model (GTK_DROP_DOWN (self->console_chooser), G_LIST_MODEL (labels));
      gtk_drop_down_set_selected (GTK_DROP_DOWN (self->console_chooser), selected);
      self->updating_chooser = FALSE;
      g_strfreev (self->chooser_devices);
      self->chooser_devices = g_steal_pointer (&list);
      /* A console that is gone: back to the first. */
      if (self->serial_device != NULL && !g_strv_contains ((const char * const *) self->chooser_devices,
                                                           self->serial_device))
        g_clear_pointer (&self->serial_device, g_free);
    }
  update_console_chooser_visible (self);
}

static void
on_console_chosen (GtkDropDown   *chooser,
                   GParamSpec    *pspec,
                   GbConsoleView *self)
{
  guint selected = gtk_drop_down_get_selected (chooser);

  if (self->updating_chooser || self->machine == NULL || self->chooser_devices == NULL ||
      selected >= g_strv_length (self->chooser_devices))
    return;
  if (g_strcmp0 (self->chooser_devices[selected], self->serial_device) == 0 ||
      (self->serial_device == NULL && selected == 0))
    return;

  g_free (self->serial_device);
  self->serial_device = g_strdup (self->chooser_devices[selected]);
  /* Another console: what the last one said is not its. */
  vte_terminal_reset (VTE_TERMINAL (gb_serial_console_get_terminal (self->serial)), TRUE, TRUE);
  gb_console_view_open_serial (self);
}

static void
on_machine_config (GbMachine     *machine,
                   GParamSpec    *pspec,
                   GbConsoleView *self)
{
  update_console_chooser (self);
}

static void
on_page_changed (GtkStack      *stack,
                 GParamSpec    *pspec,
                 GbConsoleView *self)
{
  update_console_chooser_visible (self);
  update_status (self);
}

/* Machine ------------------------------------------------------------------ */

static void
on_machine_state (GbMachine     *machine,
                  GParamSpec    *pspec,
                  GbConsoleView *self)
{
  /* Only a start or a stop changes what there is to connect to: a pause or
   * a shutdown in progress keeps the consoles as they are. */
  if (machine_is_running (machine) != self->opened_running)
    gb_console_view_open_machine (self);
}

static void
gb_console_view_drop_machine (GbConsoleView *self)
{
  if (self->serial_cancellable != NULL)
    {
      g_cancellable_cancel (self->serial_cancellable);
      g_clear_object (&self->serial_cancellable);
    }
  if (self->machine != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->machine, self);
      g_clear_object (&self->machine);
    }
  g_clear_pointer (&self->serial_device, g_free);
}

GbMachine *
gb_console_view_get_machine (GbConsoleView *self)
{
  g_return_val_if_fail (GB_IS_CONSOLE_VIEW (self), NULL);

  return self->machine;
}

/**
 * gb_console_view_set_machine:
 * @machine: (nullable): the machine whose consoles to show
 *
 * Opens the machine's graphical console (in the background: progress and
 * failures show on screen and in the display's "state" and "error") and its
 * first serial console, and opens them again whenever the machine starts or
 * stops.  A machine without a screen shows its serial console.  %NULL
 * closes both.
 */
void
gb_console_view_set_machine (GbConsoleView *self,
                             GbMachine     *machine)
{
  g_return_if_fail (GB_IS_CONSOLE_VIEW (self));
  g_return_if_fail (machine == NULL || GB_IS_MACHINE (machine));

  if (machine == self->machine)
    return;

  gb_console_view_drop_machine (self);
  if (machine == NULL)
    {
      gb_display_close (self->display);
      gb_serial_console_close (self->serial);
      gb_serial_console_set_status (self->serial, _("Not connected."));
    }
  else
    {
      self->machine = g_object_ref (machine);
      g_signal_connect (machine, "notify::state", G_CALLBACK (on_machine_state), self);
      g_signal_connect (machine, "notify::config", G_CALLBACK (on_machine_config), self);
      gb_console_view_open_machine (self);
    }
  update_console_chooser (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MACHINE]);
}

gboolean
gb_console_view_open_uri (GbConsoleView  *self,
                          const char     *uri,
                          GError        **error)
{
  g_return_val_if_fail (GB_IS_CONSOLE_VIEW (self), FALSE);

  gb_console_view_set_machine (self, NULL);
  return gb_display_open_uri (self->display, uri, error);
}

void
gb_console_view_close (GbConsoleView *self)
{
  g_return_if_fail (GB_IS_CONSOLE_VIEW (self));

  gb_console_view_set_machine (self, NULL);
  gb_display_close (self->display);
  gb_serial_console_close (self->serial);
}

static void
fullscreen_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  GbConsoleView *self = GB_CONSOLE_VIEW (widget);

  gb_console_view_set_fullscreen (self, !self->fullscreen);
}

static void
forward_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  GbConsoleView *self = GB_CONSOLE_VIEW (widget);
  const char *suffix = strchr (action_name, '.') + 1;
  g_autofree char *target = g_strconcat ("display.", suffix, NULL);

  gtk_widget_activate_action_variant (GTK_WIDGET (self->display), target, parameter);
}

static void
toggle_scale_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  GbConsoleView *self = GB_CONSOLE_VIEW (widget);

  gb_display_set_scale_mode (self->display,
                             gb_display_get_scale_mode (self->display) == GB_DISPLAY_SCALE_FIT
                               ? GB_DISPLAY_SCALE_ORIGINAL : GB_DISPLAY_SCALE_FIT);
}

static void
gb_console_view_dispose (GObject *object)
{
  GbConsoleView *self = GB_CONSOLE_VIEW (object);

  g_clear_handle_id (&self->hide_source, g_source_remove);
  gb_console_view_close_password_dialog (self);
  gb_console_view_drop_machine (self);
  if (self->display != NULL)
    g_signal_handlers_disconnect_by_data (self->display, self);
  if (self->stack != NULL)
    g_signal_handlers_disconnect_by_data (self->stack, self);
  if (self->console_chooser != NULL)
    g_signal_handlers_disconnect_by_data (self->console_chooser, self);
  g_clear_pointer (&self->chooser_devices, g_strfreev);
  gtk_widget_dispose_template (GTK_WIDGET (self), GB_TYPE_CONSOLE_VIEW);

  G_OBJECT_CLASS (gb_console_view_parent_class)->dispose (object);
}

static void
gb_console_view_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  GbConsoleView *self = GB_CONSOLE_VIEW (object);

  switch (prop_id)
    {
    case PROP_FULLSCREEN:
      g_value_set_boolean (value, self->fullscreen);
      break;
    case PROP_SCALE_MODE:
      g_value_set_enum (value, gb_display_get_scale_mode (self->display));
      break;
    case PROP_MACHINE:
      g_value_set_object (value, self->machine);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_console_view_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  GbConsoleView *self = GB_CONSOLE_VIEW (object);

  switch (prop_id)
    {
    case PROP_FULLSCREEN:
      gb_console_view_set_fullscreen (self, g_value_get_boolean (value));
      break;
    case PROP_SCALE_MODE:
      gb_display_set_scale_mode (self->display, g_value_get_enum (value));
      break;
    case PROP_MACHINE:
      gb_console_view_set_machine (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
on_display_scale_mode (GbDisplay     *display,
                       GParamSpec    *pspec,
                       GbConsoleView *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCALE_MODE]);
}

static void
gb_console_view_class_init (GbConsoleViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gb_console_view_dispose;
  object_class->get_property = gb_console_view_get_property;
  object_class->set_property = gb_console_view_set_property;

  properties[PROP_FULLSCREEN] =
    g_param_spec_boolean ("fullscreen", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SCALE_MODE] =
    g_param_spec_enum ("scale-mode", NULL, NULL,
                       GB_TYPE_DISPLAY_SCALE_MODE, GB_DISPLAY_SCALE_FIT,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_MACHINE] =
    g_param_spec_object ("machine", NULL, NULL,
                         GB_TYPE_MACHINE,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_install_action (widget_class, "console.fullscreen", NULL, fullscreen_action);
  gtk_widget_class_install_action (widget_class, "console.send-keys", "s", forward_action);
  gtk_widget_class_install_action (widget_class, "console.screenshot", NULL, forward_action);
  gtk_widget_class_install_action (widget_class, "console.toggle-scale", NULL, toggle_scale_action);
  gtk_widget_class_install_property_action (widget_class, "console.scale-mode", "scale-mode");

  /* Shift+F11/F12 as in virt-viewer: they reach the console view before the
   * guest does (the shortcut controller below runs in the capture phase). */
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/glassbox/Glassbox/display/gb-console-view.ui");
  gtk_widget_class_bind_template_child (widget_class, GbConsoleView, overlay);
  gtk_widget_class_bind_template_child (widget_class, GbConsoleView, fullscreen_revealer);
  gtk_widget_class_bind_template_child (widget_class, GbConsoleView, toolbar);
  gtk_widget_class_bind_template_child (widget_class, GbConsoleView, status_label);
  gtk_widget_class_bind_template_child (widget_class, GbConsoleView, stack);
  gtk_widget_class_bind_template_child (widget_class, GbConsoleView, scroller);
  gtk_widget_class_bind_template_child (widget_class, GbConsoleView, display);
  gtk_widget_class_bind_template_child (widget_class, GbConsoleView, serial);
  gtk_widget_class_bind_template_child (widget_class, GbConsoleView, console_chooser);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "gb-console-view");
}

static void
add_shortcut (GtkShortcutController *controller,
              const char            *trigger,
              const char            *action,
              GVariant              *target)
{
  GtkShortcut *shortcut = gtk_shortcut_new (gtk_shortcut_trigger_parse_string (trigger),
                                            gtk_named_action_new (action));

  if (target != NULL)
    gtk_shortcut_set_arguments (shortcut, target);
  gtk_shortcut_controller_add_shortcut (controller, shortcut);
}

static void
gb_console_view_init (GbConsoleView *self)
{
  GtkEventController *controller;

  g_type_ensure (GB_TYPE_DISPLAY);
  g_type_ensure (GB_TYPE_SERIAL_CONSOLE);
  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect (self->display, "notify::state", G_CALLBACK (on_display_notify), self);
  g_signal_connect (self->display, "notify::guest-width", G_CALLBACK (on_display_notify), self);
  g_signal_connect (self->display, "notify::guest-height", G_CALLBACK (on_display_notify), self);
  g_signal_connect (self->display, "notify::scale-mode", G_CALLBACK (on_display_scale_mode), self);
  g_signal_connect (self->display, "notify::needs-password", G_CALLBACK (on_display_needs_password), self);
  g_signal_connect (self->stack, "notify::visible-child-name", G_CALLBACK (on_page_changed), self);
  g_signal_connect (self->console_chooser, "notify::selected", G_CALLBACK (on_console_chosen), self);
  update_status (self);

  /* In the capture phase, so these win over the guest getting the keys.
   * Not Shift+F10: GTK's labels and text widgets open their menu with it. */
  controller = gtk_shortcut_controller_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  add_shortcut (GTK_SHORTCUT_CONTROLLER (controller), "<Shift>F11", "console.fullscreen", NULL);
  add_shortcut (GTK_SHORTCUT_CONTROLLER (controller), "<Shift>F12", "console.screenshot", NULL);
  add_shortcut (GTK_SHORTCUT_CONTROLLER (controller), "<Shift>F9", "console.toggle-scale", NULL);
  add_shortcut (GTK_SHORTCUT_CONTROLLER (controller), "<Control><Alt>End", "console.send-keys",
                g_variant_new_string ("ctrl-alt-del"));
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_motion_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect (controller, "motion", G_CALLBACK (on_overlay_motion), self);
  gtk_widget_add_controller (self->overlay, controller);
}
