/* gb-machine-edit-actions.c — the actions that open a machine's Settings page
 *
 * The window acts on the selected machine, a row on its own: either way
 * the window selects that machine and shows the Settings page at the tab
 * the action names.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "gb-machine-edit-actions.h"
#include "gb-machine-editor.h"
#include "gb-window.h"

static const struct {
  const char *name;
  const char *tab;
} edit_actions[] = {
  { "machine.settings", "general" },
  { "machine.xml", "xml" },
  { "machine.rename", "name" },
};

static GQuark
get_machine_quark (void)
{
  return g_quark_from_static_string ("gb-machine-edit-actions-get-machine");
}

static void
edit_action_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  GbMachineActionsGetMachine get_machine = g_type_get_qdata (G_OBJECT_TYPE (widget), get_machine_quark ());
  GbMachine *machine = get_machine ? get_machine (widget) : NULL;
  GtkRoot *root = gtk_widget_get_root (widget);

  if (machine == NULL || !GB_IS_WINDOW (root) || !gb_machine_editor_can_edit (machine))
    return;

  for (guint i = 0; i < G_N_ELEMENTS (edit_actions); i++)
    if (g_str_equal (action_name, edit_actions[i].name))
      gb_window_edit_machine (GB_WINDOW (root), machine, edit_actions[i].tab);
}

void
gb_machine_edit_actions_install_for_class (GtkWidgetClass             *widget_class,
                                           GbMachineActionsGetMachine  get_machine)
{
  g_type_set_qdata (G_TYPE_FROM_CLASS (widget_class), get_machine_quark (), get_machine);

  for (guint i = 0; i < G_N_ELEMENTS (edit_actions); i++)
    gtk_widget_class_install_action (widget_class, edit_actions[i].name, NULL, edit_action_activated);
}

/* Listed in docs/editing.md (GTK 4.8's shortcuts window warned of a negative
 * label width with them added to ui/help-overlay.ui).  Ctrl+Shift+D and Ctrl+Shift+I are
 * GTK's inspector; S/D/F/P/C/R/O/E/N with Ctrl+Shift are taken. */
void
gb_machine_edit_actions_add_shortcuts (GtkWidgetClass *widget_class)
{
  GdkModifierType mods = GDK_CONTROL_MASK | GDK_SHIFT_MASK;

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_H, mods, "machine.settings", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_X, mods, "machine.xml", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F2, 0, "machine.rename", NULL);
}

void
gb_machine_edit_actions_update (GtkWidget *widget,
                                GbMachine *machine)
{
  gboolean supported = machine != NULL && gb_machine_editor_can_edit (machine);

  for (guint i = 0; i < G_N_ELEMENTS (edit_actions); i++)
    gtk_widget_action_set_enabled (widget, edit_actions[i].name, supported);
  /* libvirt renames only a machine that is off; a machine file changes
   * only then too. */
  gtk_widget_action_set_enabled (widget, "machine.rename",
                                 supported && (gb_machine_get_state (machine) == GB_MACHINE_STATE_SHUTOFF ||
                                               gb_machine_get_state (machine) == GB_MACHINE_STATE_CRASHED));
}
