/* gb-machine-list.c — the machines of every connection, grouped by connection
 *
 * GTK 4.8 has no list sections, so the list is a GtkTreeListModel: the
 * providers are its roots (shown as header rows, always expanded and not
 * selectable) and each provider's live "machines" model is their children,
 * sorted by name as a file manager sorts file names ("m2" before "m10"), as
 * virt-manager does: libvirt lists machines in no useful order.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "gb-machine-list.h"
#include "gb-machine-row.h"
#include "gb-provider.h"
#include "gb-provider-row.h"

struct _GbMachineList
{
  GtkWidget           parent_instance;

  GListModel         *providers;
  GtkTreeListModel   *tree;
  GtkSingleSelection *selection;
  GbMachine          *selected;
  gboolean            loading;

  GtkStack           *stack;
  GtkListView        *list_view;
};

G_DEFINE_FINAL_TYPE (GbMachineList, gb_machine_list, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_PROVIDERS,
  PROP_SELECTED_MACHINE,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GtkWidget *
gb_machine_list_new (void)
{
  return g_object_new (GB_TYPE_MACHINE_LIST, NULL);
}

GListModel *
gb_machine_list_get_providers (GbMachineList *self)
{
  g_return_val_if_fail (GB_IS_MACHINE_LIST (self), NULL);

  return self->providers;
}

GbMachine *
gb_machine_list_get_selected_machine (GbMachineList *self)
{
  g_return_val_if_fail (GB_IS_MACHINE_LIST (self), NULL);

  return self->selected;
}

static int
compare_machine_names (gconstpointer a,
                       gconstpointer b,
                       gpointer      user_data)
{
  const char *name_a = gb_machine_get_name ((GbMachine *) a);
  const char *name_b = gb_machine_get_name ((GbMachine *) b);
  g_autofree char *key_a = g_utf8_collate_key_for_filename (name_a ? name_a : "", -1);
  g_autofree char *key_b = g_utf8_collate_key_for_filename (name_b ? name_b : "", -1);
  int cmp = strcmp (key_a, key_b);

  /* Equal keys ("VM" and "vm" in some locales): keep a stable order. */
  if (cmp == 0)
    cmp = g_strcmp0 (name_a, name_b);

  return cmp < 0 ? GTK_ORDERING_SMALLER : cmp > 0 ? GTK_ORDERING_LARGER : GTK_ORDERING_EQUAL;
}

static GListModel *
create_child_model (gpointer item,
                    gpointer user_data)
{
  GtkSorter *sorter;

  if (!GB_IS_PROVIDER (item))
    return NULL;

  sorter = GTK_SORTER (gtk_custom_sorter_new (compare_machine_names, NULL, NULL));
  return G_LIST_MODEL (gtk_sort_list_model_new (g_object_ref (gb_provider_get_machines (GB_PROVIDER (item))),
                                                sorter));
}

static void
update_empty (GbMachineList *self)
{
  gboolean empty = self->providers == NULL || g_list_model_get_n_items (self->providers) == 0;

  if (!empty)
    gtk_stack_set_visible_child_name (self->stack, "list");
  else
    gtk_stack_set_visible_child_name (self->stack, self->loading ? "loading" : "empty");
}

static void
on_selection_changed (GbMachineList *self)
{
  GtkTreeListRow *row = self->selection ? gtk_single_selection_get_selected_item (self->selection) : NULL;
  g_autoptr(GObject) item = row ? gtk_tree_list_row_get_item (row) : NULL;
  GbMachine *machine = GB_IS_MACHINE (item) ? GB_MACHINE (item) : NULL;

  if (g_set_object (&self->selected, machine))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED_MACHINE]);
}

void
gb_machine_list_set_providers (GbMachineList *self,
                               GListModel    *providers)
{
  g_return_if_fail (GB_IS_MACHINE_LIST (self));
  g_return_if_fail (!providers || G_IS_LIST_MODEL (providers));

  if (self->providers == providers)
    return;

  if (self->providers != NULL)
    g_signal_handlers_disconnect_by_func (self->providers, update_empty, self);
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_func (self->selection, on_selection_changed, self);

  gtk_list_view_set_model (self->list_view, NULL);
  g_clear_object (&self->selection);
  g_clear_object (&self->tree);
  g_set_object (&self->providers, providers);

  if (providers != NULL)
    {
      g_signal_connect_swapped (providers, "items-changed", G_CALLBACK (update_empty), self);

      self->tree = gtk_tree_list_model_new (g_object_ref (providers), FALSE, TRUE,
                                            create_child_model, NULL, NULL);
      self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->tree)));
      gtk_single_selection_set_autoselect (self->selection, FALSE);
      gtk_single_selection_set_can_unselect (self->selection, TRUE);
      gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
      g_signal_connect_swapped (self->selection, "notify::selected-item",
                                G_CALLBACK (on_selection_changed), self);
      gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));
    }

  update_empty (self);
  on_selection_changed (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROVIDERS]);
}

gboolean
gb_machine_list_get_loading (GbMachineList *self)
{
  g_return_val_if_fail (GB_IS_MACHINE_LIST (self), FALSE);

  return self->loading;
}

void
gb_machine_list_set_loading (GbMachineList *self,
                             gboolean       loading)
{
  g_return_if_fail (GB_IS_MACHINE_LIST (self));

  loading = !!loading;
  if (self->loading == loading)
    return;

  self->loading = loading;
  update_empty (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

void
gb_machine_list_select_machine (GbMachineList *self,
                                GbMachine     *machine)
{
  guint n;

  g_return_if_fail (GB_IS_MACHINE_LIST (self));
  g_return_if_fail (!machine || GB_IS_MACHINE (machine));

  if (self->selection == NULL)
    return;

  if (machine == NULL)
    {
      gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
      return;
    }

  n = g_list_model_get_n_items (G_LIST_MODEL (self->tree));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkTreeListRow) row = g_list_model_get_item (G_LIST_MODEL (self->tree), i);
      g_autoptr(GObject) item = gtk_tree_list_row_get_item (row);

      if (item == (GObject *) machine)
        {
          gtk_single_selection_set_selected (self->selection, i);
          return;
        }
    }
}

/* One factory for both kinds of row: the child is swapped when a recycled
 * list item moves between a header and a machine. */
static void
bind_item (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           GbMachineList            *self)
{
  GtkTreeListRow *row = gtk_list_item_get_item (list_item);
  g_autoptr(GObject) item = gtk_tree_list_row_get_item (row);
  GtkWidget *child = gtk_list_item_get_child (list_item);

  if (GB_IS_PROVIDER (item))
    {
      if (!GB_IS_PROVIDER_ROW (child))
        {
          child = gb_provider_row_new ();
          gtk_list_item_set_child (list_item, child);
        }
      gb_provider_row_set_provider (GB_PROVIDER_ROW (child), GB_PROVIDER (item));
      gtk_list_item_set_selectable (list_item, FALSE);
      gtk_list_item_set_activatable (list_item, FALSE);
    }
  else if (GB_IS_MACHINE (item))
    {
      if (!GB_IS_MACHINE_ROW (child))
        {
          child = gb_machine_row_new ();
          gtk_list_item_set_child (list_item, child);
        }
      gb_machine_row_set_machine (GB_MACHINE_ROW (child), GB_MACHINE (item));
      gtk_list_item_set_selectable (list_item, TRUE);
      gtk_list_item_set_activatable (list_item, TRUE);
    }
}

static void
unbind_item (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             GbMachineList            *self)
{
  GtkWidget *child = gtk_list_item_get_child (list_item);

  if (GB_IS_PROVIDER_ROW (child))
    gb_provider_row_set_provider (GB_PROVIDER_ROW (child), NULL);
  else if (GB_IS_MACHINE_ROW (child))
    gb_machine_row_set_machine (GB_MACHINE_ROW (child), NULL);
}

/* What a list item shows: a GbMachineRow's machine or a GbProviderRow's
 * provider. */
static gpointer
row_item (GtkWidget *content)
{
  if (GB_IS_MACHINE_ROW (content))
    return gb_machine_row_get_machine (GB_MACHINE_ROW (content));
  if (GB_IS_PROVIDER_ROW (content))
    return gb_provider_row_get_provider (GB_PROVIDER_ROW (content));
  return NULL;
}

/* The list item widget (GtkListView's child) that shows @item, if any. */
static GtkWidget *
find_item_widget (GbMachineList *self,
                  gpointer       item)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->list_view));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (item != NULL && row_item (gtk_widget_get_first_child (child)) == item)
      return child;
  return NULL;
}

/* The machine or provider at @position of the list (a new reference). */
static GObject *
item_at (GbMachineList *self,
         guint          position)
{
  g_autoptr(GtkTreeListRow) row = g_list_model_get_item (G_LIST_MODEL (self->tree), position);

  return row ? gtk_tree_list_row_get_item (row) : NULL;
}

static GbMachine *
machine_at (GbMachineList *self,
            guint          position)
{
  g_autoptr(GObject) item = item_at (self, position);

  return GB_IS_MACHINE (item) ? GB_MACHINE (item) : NULL;
}

/* The list item widget holding the focus, or NULL. */
static GtkWidget *
focused_item_widget (GbMachineList *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root ? gtk_root_get_focus (root) : NULL;

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->list_view));
       child != NULL && focus != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (focus == child || gtk_widget_is_ancestor (focus, child))
      return child;
  return NULL;
}

/* The position of the row whose list item has the focus, or
 * GTK_INVALID_LIST_POSITION. */
static guint
focused_position (GbMachineList *self)
{
  GtkWidget *child = focused_item_widget (self);
  gpointer item = child ? row_item (gtk_widget_get_first_child (child)) : NULL;
  guint n;

  if (item == NULL)
    return GTK_INVALID_LIST_POSITION;

  n = g_list_model_get_n_items (G_LIST_MODEL (self->tree));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) here = item_at (self, i);

      if ((gpointer) here == item)
        return i;
    }
  return GTK_INVALID_LIST_POSITION;
}

static GtkWidget *
find_menu_button (GtkWidget *widget)
{
  if (GTK_IS_MENU_BUTTON (widget) && gtk_widget_get_visible (widget))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_menu_button (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Scrolls the row at @position into view and focuses its list item (the
 * list view's own grab_focus() focuses the view itself);
 * "list.scroll-to-item" once more then moves the view's focus tracker to
 * the focused item. */
static gboolean
focus_position (GbMachineList *self,
                guint          position)
{
  g_autoptr(GObject) item = item_at (self, position);
  GtkWidget *child;

  gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", position);
  child = find_item_widget (self, item);
  if (child == NULL)
    return FALSE;
  /* A header's list item cannot take the focus itself, but its button can. */
  if (!gtk_widget_grab_focus (child) && !gtk_widget_child_focus (child, GTK_DIR_TAB_FORWARD))
    return FALSE;
  gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", position);
  return TRUE;
}

/* GTK 4.8's list view takes focus by Tab only once one of its items has
 * had it (its focus tracker starts empty), so Tab went from the header to
 * the page and never to a machine.  Tab into the list lands on the
 * selected machine, or the first one; Tab out of it leaves it. */
static gboolean
gb_machine_list_focus (GtkWidget        *widget,
                       GtkDirectionType  direction)
{
  GbMachineList *self = GB_MACHINE_LIST (widget);
  guint position;

  if ((direction != GTK_DIR_TAB_FORWARD && direction != GTK_DIR_TAB_BACKWARD) ||
      self->selection == NULL ||
      g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "list") != 0)
    return GTK_WIDGET_CLASS (gb_machine_list_parent_class)->focus (widget, direction);

  if (gtk_widget_get_focus_child (GTK_WIDGET (self)) != NULL)
    return FALSE;

  position = gtk_single_selection_get_selected (self->selection);
  if (position == GTK_INVALID_LIST_POSITION || machine_at (self, position) == NULL)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (self->tree));

      position = GTK_INVALID_LIST_POSITION;
      for (guint i = 0; i < n && position == GTK_INVALID_LIST_POSITION; i++)
        if (machine_at (self, i) != NULL)
          position = i;
    }
  if (position == GTK_INVALID_LIST_POSITION)
    return GTK_WIDGET_CLASS (gb_machine_list_parent_class)->focus (widget, direction);

  return focus_position (self, position);
}

/* Up and Down go to the previous and next row (a machine is selected as
 * it is reached; on a connection's header, its menu button takes the
 * focus: GTK 4.8 focuses an unselectable list item only through a
 * child); at either end
 * they stay (GTK 4.8 moved the focus out of the list, to whatever lay in
 * that direction).  The Menu key and Shift+F10 open the focused row's
 * menu, whose button the pointer uses (it takes no focus itself, so that
 * Tab and the arrows stay on the rows). */
static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GbMachineList         *self)
{
  GdkModifierType mods = state & (GDK_CONTROL_MASK | GDK_SHIFT_MASK | GDK_ALT_MASK);
  guint position, n;
  int step;

  if (keyval == GDK_KEY_Menu || (keyval == GDK_KEY_F10 && mods == GDK_SHIFT_MASK))
    {
      GtkWidget *child = focused_item_widget (self);
      GtkWidget *button = child ? find_menu_button (child) : NULL;

      if (button == NULL)
        return FALSE;
      gtk_menu_button_popup (GTK_MENU_BUTTON (button));
      return TRUE;
    }

  if (mods != 0)
    return FALSE;
  if (keyval == GDK_KEY_Up || keyval == GDK_KEY_KP_Up)
    step = -1;
  else if (keyval == GDK_KEY_Down || keyval == GDK_KEY_KP_Down)
    step = 1;
  else
    return FALSE;

  position = focused_position (self);
  if (position == GTK_INVALID_LIST_POSITION)
    return FALSE;

  n = g_list_model_get_n_items (G_LIST_MODEL (self->tree));
  if ((step < 0 && position == 0) || (step > 0 && position + 1 >= n))
    return TRUE;

  position += step;
  if (machine_at (self, position) != NULL)
    gtk_single_selection_set_selected (self->selection, position);
  focus_position (self, position);
  return TRUE;
}

static void
gb_machine_list_dispose (GObject *object)
{
  GbMachineList *self = GB_MACHINE_LIST (object);
  GtkWidget *child;

  gb_machine_list_set_providers (self, NULL);
  g_clear_object (&self->selected);
  gtk_widget_dispose_template (GTK_WIDGET (self), GB_TYPE_MACHINE_LIST);
  /* Template children without an id are not disposed with the template. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (gb_machine_list_parent_class)->dispose (object);
}

static void
gb_machine_list_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  GbMachineList *self = GB_MACHINE_LIST (object);

  switch (prop_id)
    {
    case PROP_PROVIDERS:
      g_value_set_object (value, self->providers);
      break;

    case PROP_SELECTED_MACHINE:
      g_value_set_object (value, self->selected);
      break;

    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_machine_list_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  GbMachineList *self = GB_MACHINE_LIST (object);

  switch (prop_id)
    {
    case PROP_PROVIDERS:
      gb_machine_list_set_providers (self, g_value_get_object (value));
      break;

    case PROP_LOADING:
      gb_machine_list_set_loading (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_machine_list_class_init (GbMachineListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gb_machine_list_dispose;
  object_class->get_property = gb_machine_list_get_property;
  object_class->set_property = gb_machine_list_set_property;
  widget_class->focus = gb_machine_list_focus;

  /**
   * GbMachineList:providers:
   *
   * A #GListModel of #GbProvider: one group of machines each.
   */
  properties[PROP_PROVIDERS] =
    g_param_spec_object ("providers", NULL, NULL,
                         G_TYPE_LIST_MODEL,
                         (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));

  properties[PROP_SELECTED_MACHINE] =
    g_param_spec_object ("selected-machine", NULL, NULL,
                         GB_TYPE_MACHINE,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));

  /**
   * GbMachineList:loading:
   *
   * While there is no provider yet, whether one is being opened (a
   * spinner instead of "No Connections").
   */
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/glassbox/Glassbox/gb-machine-list.ui");
  gtk_widget_class_bind_template_child (widget_class, GbMachineList, stack);
  gtk_widget_class_bind_template_child (widget_class, GbMachineList, list_view);
  gtk_widget_class_bind_template_callback (widget_class, bind_item);
  gtk_widget_class_bind_template_callback (widget_class, unbind_item);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "machinelist");
}

static void
gb_machine_list_init (GbMachineList *self)
{
  GtkEventController *keys;

  gtk_widget_init_template (GTK_WIDGET (self));
  update_empty (self);

  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self->list_view), keys);
}
