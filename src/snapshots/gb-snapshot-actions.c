/* gb-snapshot-actions.c — machine.save, machine.snapshots, machine.clone
 *
 * The three "machine.*" actions of issue 15's snapshots part, for libvirt
 * machines; gb-machine-actions.c installs them beside the lifecycle ones
 * and asks here whether they apply and what they do.
 *
 * Shortcuts (none is one of GTK's own: Ctrl+Shift+D/I open the inspector):
 *   Ctrl+Shift+V  save the running machine's state ("saVe"; H is Settings, B a GtkLabel binding)
 *   Ctrl+Shift+M  the Snapshots window (T is Shut Down)
 *   Ctrl+Shift+L  clone
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gb-bundled-machine.h"
#include "gb-clone-dialog.h"
#include "gb-libvirt-machine.h"
#include "gb-libvirt-snapshots.h"
#include "gb-snapshot-actions.h"
#include "gb-snapshots-window.h"
#include "gb-window.h"

const char * const gb_snapshot_action_names[] = {
  "machine.save",
  "machine.snapshots",
  "machine.clone",
  NULL
};

gboolean
gb_snapshot_actions_handles (const char *action_name)
{
  return g_strv_contains (gb_snapshot_action_names, action_name);
}

gboolean
gb_snapshot_actions_enabled (GbMachine  *machine,
                             const char *action_name)
{
  GbMachineState state;

  if (machine == NULL || gb_machine_get_config (machine) == NULL)
    return FALSE;
  state = gb_machine_get_state (machine);
  /* Machines on This computer: snapshots of their qcow2 disks (block engine). */
  if (GB_IS_BUNDLED_MACHINE (machine))
    {
      if (g_str_equal (action_name, "machine.clone"))
        return state == GB_MACHINE_STATE_SHUTOFF;
      if (g_str_equal (action_name, "machine.save"))
        return state == GB_MACHINE_STATE_RUNNING || state == GB_MACHINE_STATE_PAUSED;
      return g_str_equal (action_name, "machine.snapshots") && state != GB_MACHINE_STATE_UNKNOWN;
    }
  if (!GB_IS_LIBVIRT_MACHINE (machine))
    return FALSE;
  if (g_str_equal (action_name, "machine.save"))
    return state == GB_MACHINE_STATE_RUNNING || state == GB_MACHINE_STATE_PAUSED;
  if (g_str_equal (action_name, "machine.clone"))
    return state == GB_MACHINE_STATE_SHUTOFF;
  return state != GB_MACHINE_STATE_UNKNOWN;
}

typedef struct {
  GWeakRef  window;
  char     *machine_name;
} SaveData;

static void
save_done (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  SaveData *data = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GtkRoot) window = g_weak_ref_get (&data->window);
  gboolean ok;

  if (GB_IS_BUNDLED_MACHINE (object))
    ok = gb_bundled_machine_save_finish (GB_BUNDLED_MACHINE (object), result, &error);
  else
    ok = gb_libvirt_machine_save_finish (GB_LIBVIRT_MACHINE (object), result, &error);
  if (!ok)
    {
      /* Translators: %s is the machine's name */
      g_autofree char *title = g_strdup_printf (_("Could not save “%s”"), data->machine_name);

      if (GB_IS_WINDOW (window))
        gb_window_show_error (GB_WINDOW (window), title, error->message);
      else
        g_warning ("%s: %s", title, error->message);
    }
  g_weak_ref_clear (&data->window);
  g_free (data->machine_name);
  g_free (data);
}

void
gb_snapshot_actions_activate (GtkWidget  *widget,
                              GbMachine  *machine,
                              const char *action_name)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWindow *parent = GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;

  /* A shortcut may race a state change: check again. */
  if (!gb_snapshot_actions_enabled (machine, action_name))
    return;

  if (g_str_equal (action_name, "machine.save"))
    {
      SaveData *data = g_new0 (SaveData, 1);

      g_weak_ref_init (&data->window, root);
      data->machine_name = g_strdup (gb_machine_get_name (machine));
      if (GB_IS_BUNDLED_MACHINE (machine))
        gb_bundled_machine_save_async (GB_BUNDLED_MACHINE (machine), NULL, save_done, data);
      else
        gb_libvirt_machine_save_async (GB_LIBVIRT_MACHINE (machine), NULL, save_done, data);
    }
  else if (g_str_equal (action_name, "machine.snapshots"))
    gtk_window_present (GTK_WINDOW (gb_snapshots_window_new (parent, machine)));
  else if (g_str_equal (action_name, "machine.clone"))
    gtk_window_present (GTK_WINDOW (gb_clone_dialog_new (parent, machine)));
}

void
gb_snapshot_actions_add_shortcuts (GtkWidgetClass *widget_class)
{
  GdkModifierType mods = GDK_CONTROL_MASK | GDK_SHIFT_MASK;

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_V, mods, "machine.save", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_M, mods, "machine.snapshots", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_L, mods, "machine.clone", NULL);
}
