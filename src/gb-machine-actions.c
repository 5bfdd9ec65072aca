/* gb-machine-actions.c — the "machine.*" actions, shared by the window and the rows
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "gb-application.h"
#include "gb-libvirt-machine.h"
#include "gb-migrate-dialog.h"
#include "gb-machine-actions.h"
#include "gb-snapshot-actions.h"
#include "gb-window.h"

typedef void     (*ActionAsync)  (GbMachine *, GCancellable *, GAsyncReadyCallback, gpointer);
typedef gboolean (*ActionFinish) (GbMachine *, GAsyncResult *, GError **);

typedef struct {
  const char   *name;          /* "machine.start" */
  ActionAsync   async;
  ActionFinish  finish;
  guint         enabled_states; /* bit (1 << GbMachineState) */
} MachineAction;

#define STATE(s) (1u << GB_MACHINE_STATE_##s)

static const MachineAction machine_actions[] = {
  { "machine.start", gb_machine_start_async, gb_machine_start_finish,
    STATE (SHUTOFF) | STATE (CRASHED) },
  { "machine.shutdown", gb_machine_shutdown_async, gb_machine_shutdown_finish,
    STATE (RUNNING) },
  { "machine.force-off", gb_machine_force_off_async, gb_machine_force_off_finish,
    STATE (RUNNING) | STATE (PAUSED) | STATE (SHUTTING_DOWN) | STATE (SUSPENDED) | STATE (UNKNOWN) },
  { "machine.pause", gb_machine_pause_async, gb_machine_pause_finish,
    STATE (RUNNING) },
  { "machine.resume", gb_machine_resume_async, gb_machine_resume_finish,
    STATE (PAUSED) },
  { "machine.reboot", gb_machine_reboot_async, gb_machine_reboot_finish,
    STATE (RUNNING) },
  { "machine.delete", NULL, gb_machine_delete_finish,
    STATE (SHUTOFF) | STATE (CRASHED) },
  /* Opens the Migrate dialog (libvirt machines only). */
  { "machine.migrate", NULL, NULL,
    STATE (RUNNING) | STATE (PAUSED) },
};

#undef STATE

static char *
error_title (const char *action_name,
             const char *machine_name)
{
  /* Translators: in these titles %s is the machine's name */
  if (g_str_equal (action_name, "machine.start"))
    return g_strdup_printf (_("Could not start “%s”"), machine_name);
  if (g_str_equal (action_name, "machine.shutdown"))
    return g_strdup_printf (_("Could not shut down “%s”"), machine_name);
  if (g_str_equal (action_name, "machine.force-off"))
    return g_strdup_printf (_("Could not force off “%s”"), machine_name);
  if (g_str_equal (action_name, "machine.pause"))
    return g_strdup_printf (_("Could not pause “%s”"), machine_name);
  if (g_str_equal (action_name, "machine.resume"))
    return g_strdup_printf (_("Could not resume “%s”"), machine_name);
  if (g_str_equal (action_name, "machine.reboot"))
    return g_strdup_printf (_("Could not reboot “%s”"), machine_name);
  return g_strdup_printf (_("Could not delete “%s”"), machine_name);
}

static GQuark
get_machine_quark (void)
{
  return g_quark_from_static_string ("gb-machine-actions-get-machine");
}

static const MachineAction *
find_action (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (machine_actions); i++)
    if (g_str_equal (machine_actions[i].name, name))
      return &machine_actions[i];

  return NULL;
}

/* The action's outcome is reported in the window the widget was in when
 * the user asked; if that window is gone, there is no one to tell. */
typedef struct {
  GWeakRef             window;
  const MachineAction *action;
  char                *machine_name;
} ActionData;

static ActionData *
action_data_new (GtkWidget           *widget,
                 GbMachine           *machine,
                 const MachineAction *action)
{
  ActionData *data = g_new0 (ActionData, 1);
  GtkRoot *root = gtk_widget_get_root (widget);

  g_weak_ref_init (&data->window, root);
  data->action = action;
  data->machine_name = g_strdup (gb_machine_get_name (machine));

  return data;
}

static void
action_data_free (ActionData *data)
{
  g_weak_ref_clear (&data->window);
  g_free (data->machine_name);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ActionData, action_data_free)

static void watch_shutdown (GtkRoot   *window,
                            GbMachine *machine);

static void
action_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(ActionData) data = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GtkRoot) window = NULL;
  g_autofree char *title = NULL;

  if (data->action->finish (GB_MACHINE (object), result, &error))
    {
      window = g_weak_ref_get (&data->window);
      if (window != NULL && g_str_equal (data->action->name, "machine.shutdown"))
        watch_shutdown (window, GB_MACHINE (object));
      return;
    }

  window = g_weak_ref_get (&data->window);
  title = error_title (data->action->name, data->machine_name);

  if (GB_IS_WINDOW (window))
    gb_window_show_error (GB_WINDOW (window), title, error->message);
  else
    g_warning ("%s: %s", title, error->message);
}

static void
run_action (GtkWidget           *widget,
            GbMachine           *machine,
            const MachineAction *action)
{
  action->async (machine, NULL, action_done_cb, action_data_new (widget, machine, action));
}

static GtkWindow *
parent_window (GtkWidget *widget)
{
  GtkRoot *root = gtk_widget_get_root (widget);

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static GSettings *
app_settings (GtkWidget *widget)
{
  GtkWindow *window = parent_window (widget);
  GtkApplication *app = window ? gtk_window_get_application (window) : NULL;

  return GB_IS_APPLICATION (app) ? gb_application_get_settings (GB_APPLICATION (app)) : NULL;
}

/* Force off */

typedef struct {
  GtkWidget *widget;
  GbMachine *machine;
} ConfirmData;

/* A GClosureNotify: freed with the dialog's "response" handler. */
static void
confirm_data_free (gpointer  user_data,
                   GClosure *closure)
{
  ConfirmData *data = user_data;

  g_clear_object (&data->widget);
  g_clear_object (&data->machine);
  g_free (data);
}

static ConfirmData *
confirm_data_new (GtkWidget *widget,
                  GbMachine *machine)
{
  ConfirmData *data = g_new0 (ConfirmData, 1);

  data->widget = g_object_ref (widget);
  data->machine = g_object_ref (machine);
  return data;
}

static void
force_off_response_cb (AdwMessageDialog *dialog,
                       const char       *response,
                       ConfirmData      *data)
{
  if (g_str_equal (response, "force-off"))
    run_action (data->widget, data->machine, find_action ("machine.force-off"));
}

static void
ask_force_off (GtkWidget *widget,
               GbMachine *machine)
{
  GSettings *settings = app_settings (widget);
  GtkWidget *dialog;

  if (settings != NULL && !g_settings_get_boolean (settings, "confirm-force-off"))
    {
      run_action (widget, machine, find_action ("machine.force-off"));
      return;
    }

  dialog = adw_message_dialog_new (parent_window (widget), NULL, NULL);
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog),
                                     _("Force Off “%s”?"), gb_machine_get_name (machine));
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog),
                               _("This is like pulling the power plug: whatever the machine has not saved is lost."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "force-off", _("_Force Off"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "force-off",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (force_off_response_cb),
                         confirm_data_new (widget, machine),
                         confirm_data_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Delete */

/* Shut down, and the guest did not stop: say so after "shutdown-timeout"
 * seconds and offer Force Off (the guest may ignore the power button). */

#define SHUTDOWN_WATCH_KEY "gb-machine-actions-shutdown-watch"

typedef struct {
  GWeakRef   window;
  GbMachine *machine;  /* weak: the watch lives on the machine */
  guint      timeout;
  guint      source_id;
} ShutdownWatch;

static void
shutdown_watch_free (gpointer user_data)
{
  ShutdownWatch *watch = user_data;

  g_clear_handle_id (&watch->source_id, g_source_remove);
  g_weak_ref_clear (&watch->window);
  g_free (watch);
}

static void
ask_overdue (GtkWidget *widget,
             GbMachine *machine,
             guint      timeout)
{
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  /* Translators: %s is the machine's name */
  heading = g_strdup_printf (_("“%s” Has Not Shut Down"), gb_machine_get_name (machine));
  body = g_strdup_printf (ngettext ("It was asked to shut down %u second ago and is still running: its system may "
                                    "ignore the power button, or still be busy. Forcing it off is like pulling "
                                    "the power plug: unsaved data in the machine is lost.",
                                    "It was asked to shut down %u seconds ago and is still running: its system may "
                                    "ignore the power button, or still be busy. Forcing it off is like pulling "
                                    "the power plug: unsaved data in the machine is lost.",
                                    timeout), timeout);
  dialog = adw_message_dialog_new (parent_window (widget), heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "wait", _("_Keep Waiting"),
                                    "force-off", _("_Force Off"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "force-off",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "wait");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "wait");
  g_signal_connect_data (dialog, "response", G_CALLBACK (force_off_response_cb),
                         confirm_data_new (widget, machine),
                         confirm_data_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static gboolean
shutdown_overdue_cb (gpointer user_data)
{
  ShutdownWatch *watch = user_data;
  g_autoptr(GtkRoot) window = g_weak_ref_get (&watch->window);
  GbMachine *machine = watch->machine;

  watch->source_id = 0;
  if (window != NULL && gb_machine_get_state (machine) == GB_MACHINE_STATE_SHUTTING_DOWN)
    ask_overdue (GTK_WIDGET (window), machine, watch->timeout);
  /* Frees the watch. */
  g_object_set_data (G_OBJECT (machine), SHUTDOWN_WATCH_KEY, NULL);
  return G_SOURCE_REMOVE;
}

static void
watch_shutdown (GtkRoot   *window,
                GbMachine *machine)
{
  GSettings *settings = app_settings (GTK_WIDGET (window));
  ShutdownWatch *watch = g_new0 (ShutdownWatch, 1);

  g_weak_ref_init (&watch->window, window);
  watch->machine = machine;
  watch->timeout = settings != NULL ? g_settings_get_uint (settings, "shutdown-timeout") : 60;
  watch->source_id = g_timeout_add_seconds (watch->timeout, shutdown_overdue_cb, watch);
  /* A newer request replaces an older one's watch. */
  g_object_set_data_full (G_OBJECT (machine), SHUTDOWN_WATCH_KEY, watch, shutdown_watch_free);
}

static void
delete_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    ConfirmData      *data)
{
  GtkWidget *disk_box;
  g_autoptr(GPtrArray) paths = NULL;

  if (!g_str_equal (response, "delete"))
    return;

  /* Only the disks the user ticked; none is ticked unless asked. */
  paths = g_ptr_array_new_with_free_func (g_free);
  disk_box = adw_message_dialog_get_extra_child (dialog);
  if (disk_box != NULL)
    for (GtkWidget *child = gtk_widget_get_first_child (disk_box);
         child != NULL;
         child = gtk_widget_get_next_sibling (child))
      if (GTK_IS_CHECK_BUTTON (child) && gtk_check_button_get_active (GTK_CHECK_BUTTON (child)))
        g_ptr_array_add (paths, g_strdup (g_object_get_data (G_OBJECT (child), "disk-path")));
  g_ptr_array_add (paths, NULL);

  gb_machine_delete_async (data->machine,
                           paths->len > 1 ? (const char * const *) paths->pdata : NULL,
                           NULL, action_done_cb,
                           action_data_new (data->widget, data->machine,
                                            find_action ("machine.delete")));
}

static void
ask_delete (GtkWidget *widget,
            GbMachine *machine)
{
  GbMachineConfig *config = gb_machine_get_config (machine);
  GPtrArray *disks = config ? gb_machine_config_get_disks (config) : NULL;
  GtkWidget *dialog;
  GtkWidget *disk_box = NULL;

  dialog = adw_message_dialog_new (parent_window (widget), NULL, NULL);
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog),
                                     _("Delete “%s”?"), gb_machine_get_name (machine));
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog),
                               _("The machine’s definition is removed. Its disks are kept unless you tick them below."));

  for (guint i = 0; disks != NULL && i < disks->len; i++)
    {
      const GbConfigDisk *disk = g_ptr_array_index (disks, i);
      GtkWidget *check;
      g_autofree char *label = NULL;

      if (disk->path == NULL || g_strcmp0 (disk->device, "disk") != 0)
        continue;

      if (disk_box == NULL)
        disk_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);

      if (disk->capacity > 0)
        {
          g_autofree char *size = g_format_size (disk->capacity);
          /* Translators: a disk to delete: its file and size, e.g. "/var/lib/a.qcow2 (20 GB)" */
          label = g_strdup_printf (_("Delete %s (%s)"), disk->path, size);
        }
      else
        label = g_strdup_printf (_("Delete %s"), disk->path);

      check = gtk_check_button_new_with_label (label);
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), FALSE);
      g_object_set_data_full (G_OBJECT (check), "disk-path", g_strdup (disk->path), g_free);
      gtk_box_append (GTK_BOX (disk_box), check);
    }

  if (disk_box != NULL)
    adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), disk_box);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (delete_response_cb),
                         confirm_data_new (widget, machine),
                         confirm_data_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* The destinations are the application's other connections. */
static void
open_migrate (GtkWidget *widget,
              GbMachine *machine)
{
  GApplication *app = g_application_get_default ();
  GtkRoot *root = gtk_widget_get_root (widget);
  GbMigrateDialog *dialog;

  if (!GB_IS_LIBVIRT_MACHINE (machine))
    return;
  dialog = gb_migrate_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, machine,
                                  GB_IS_APPLICATION (app) ? gb_application_get_providers (GB_APPLICATION (app)) : NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
gb_machine_actions_activate (GtkWidget  *widget,
                             GbMachine  *machine,
                             const char *action_name)
{
  const MachineAction *action;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (action_name != NULL);

  /* Save, snapshots and clone (src/snapshots/) */
  if (gb_snapshot_actions_handles (action_name))
    {
      gb_snapshot_actions_activate (widget, machine, action_name);
      return;
    }

  if (machine == NULL || !(action = find_action (action_name)))
    return;

  /* A shortcut may race a state change: check again. */
  if (!(action->enabled_states & (1u << gb_machine_get_state (machine))))
    return;
  if (g_str_equal (action_name, "machine.migrate"))
    {
      open_migrate (widget, machine);
      return;
    }
  if (action->async == NULL && gb_machine_get_config (machine) == NULL)
    return;

  if (g_str_equal (action_name, "machine.force-off"))
    ask_force_off (widget, machine);
  else if (g_str_equal (action_name, "machine.delete"))
    ask_delete (widget, machine);
  else
    run_action (widget, machine, action);
}

static void
machine_action_activated (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  GbMachineActionsGetMachine get_machine;

  get_machine = g_type_get_qdata (G_OBJECT_TYPE (widget), get_machine_quark ());
  g_return_if_fail (get_machine != NULL);

  gb_machine_actions_activate (widget, get_machine (widget), action_name);
}

void
gb_machine_actions_install_for_class (GtkWidgetClass             *widget_class,
                                      GbMachineActionsGetMachine  get_machine)
{
  g_type_set_qdata (G_TYPE_FROM_CLASS (widget_class), get_machine_quark (), get_machine);

  for (guint i = 0; i < G_N_ELEMENTS (machine_actions); i++)
    gtk_widget_class_install_action (widget_class, machine_actions[i].name, NULL,
                                     machine_action_activated);
  /* Save, snapshots and clone (src/snapshots/) */
  for (guint i = 0; gb_snapshot_action_names[i] != NULL; i++)
    gtk_widget_class_install_action (widget_class, gb_snapshot_action_names[i], NULL,
                                     machine_action_activated);
}

/* The shortcuts, documented in ui/help-overlay.ui. GTK 4.8 itself binds
 * Ctrl+Shift+A, B, D, F, G, I and Z (the inspector on D and I, text and list
 * widgets on the others), and Ctrl+Shift+H and X open a machine's settings
 * and XML (gb-machine-edit-actions.c): shut down is Ctrl+Shift+T ("turn
 * off") and force off Ctrl+Shift+K ("kill"); tests/ui/test-shortcuts.c checks every entry of the
 * shortcuts window against every GTK and libadwaita widget's bindings. */
void
gb_machine_actions_add_shortcuts (GtkWidgetClass *widget_class)
{
  GdkModifierType mods = GDK_CONTROL_MASK | GDK_SHIFT_MASK;

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_S, mods, "machine.start", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_T, mods, "machine.shutdown", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_K, mods, "machine.force-off", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_P, mods, "machine.pause", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_C, mods, "machine.resume", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_R, mods, "machine.reboot", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "machine.delete", NULL);
  /* Save, snapshots and clone (src/snapshots/) */
  gb_snapshot_actions_add_shortcuts (widget_class);
}

void
gb_machine_actions_update (GtkWidget *widget,
                           GbMachine *machine)
{
  guint state_bit = machine ? 1u << gb_machine_get_state (machine) : 0;

  for (guint i = 0; i < G_N_ELEMENTS (machine_actions); i++)
    {
      gboolean enabled = (machine_actions[i].enabled_states & state_bit) != 0;

      /* Deleting offers the machine's disks: wait until they are known. */
      if (g_str_equal (machine_actions[i].name, "machine.delete"))
        enabled = enabled && gb_machine_get_config (machine) != NULL;
      if (g_str_equal (machine_actions[i].name, "machine.migrate"))
        enabled = enabled && GB_IS_LIBVIRT_MACHINE (machine);

      gtk_widget_action_set_enabled (widget, machine_actions[i].name, enabled);
    }
  /* Save, snapshots and clone (src/snapshots/) */
  for (guint i = 0; gb_snapshot_action_names[i] != NULL; i++)
    gtk_widget_action_set_enabled (widget, gb_snapshot_action_names[i],
                                   gb_snapshot_actions_enabled (machine, gb_snapshot_action_names[i]));
}
