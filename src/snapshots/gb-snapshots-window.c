/* gb-snapshots-window.c — a libvirt machine's snapshots: the tree, create, revert, delete
 *
 * The list is the snapshot tree (children indented under their parent),
 * newest state marked "current".  One operation runs at a time; while it
 * runs a spinner turns and a sentence says what is happening.  Where
 * libvirt 9.0 cannot do something the button is insensitive and the window
 * says why (gb_libvirt_snapshot_can_*), instead of failing when pressed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gb-bundled-snapshots.h"
#include "gb-libvirt-snapshots.h"
#include "gb-snapshots-window.h"

struct _GbSnapshotsWindow
{
  AdwWindow         parent_instance;

  GbMachine        *machine;      /* a libvirt machine, or a bundled one */
  GPtrArray        *snapshots;   /* GbSnapshotInfo, tree order */
  GCancellable     *cancellable;
  gboolean          busy;
  gboolean          disposed;
  char             *select_after; /* the row to select after the next reload */

  GtkListBox       *list_box;
  GtkStack         *stack;
  GtkSpinner       *spinner;
  GtkLabel         *status_label;
  GtkLabel         *reason_label;
};

G_DEFINE_FINAL_TYPE (GbSnapshotsWindow, gb_snapshots_window, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_MACHINE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void reload (GbSnapshotsWindow *self);

GbSnapshotsWindow *
gb_snapshots_window_new (GtkWindow *parent,
                         GbMachine *machine)
{
  return g_object_new (GB_TYPE_SNAPSHOTS_WINDOW,
                       "transient-for", parent,
                       "machine", machine,
                       NULL);
}

static const GbSnapshotInfo *
selected_info (GbSnapshotsWindow *self)
{
  GtkListBoxRow *row = gtk_list_box_get_selected_row (self->list_box);
  int i = row ? gtk_list_box_row_get_index (row) : -1;

  if (i < 0 || self->snapshots == NULL || (guint) i >= self->snapshots->len)
    return NULL;
  return g_ptr_array_index (self->snapshots, i);
}

/* Where the snapshots live: libvirt, or our block engine for machines on
 * This computer (disks only, machine off). */

static gboolean
is_libvirt (GbSnapshotsWindow *self)
{
  return GB_IS_LIBVIRT_MACHINE (self->machine);
}

static gboolean
can_create (GbSnapshotsWindow  *self,
            gboolean            disk_only,
            char              **why)
{
  if (is_libvirt (self))
    return gb_libvirt_snapshot_can_create (GB_LIBVIRT_MACHINE (self->machine), disk_only, why);
  if (disk_only)
    return FALSE;   /* internal qcow2 snapshots only */
  return gb_bundled_snapshot_can_change (self->machine, why);
}

static gboolean
can_revert (GbSnapshotsWindow    *self,
            const GbSnapshotInfo *info,
            char                **why)
{
  if (is_libvirt (self))
    return gb_libvirt_snapshot_can_revert (GB_LIBVIRT_MACHINE (self->machine), info, why);
  return gb_bundled_snapshot_can_change (self->machine, why);
}

static gboolean
can_delete (GbSnapshotsWindow *self)
{
  return is_libvirt (self) || gb_bundled_snapshot_can_change (self->machine, NULL);
}

static void
backend_list (GbSnapshotsWindow   *self,
              GAsyncReadyCallback  callback)
{
  if (is_libvirt (self))
    gb_libvirt_snapshots_list_async (GB_LIBVIRT_MACHINE (self->machine), self->cancellable, callback, g_object_ref (self));
  else
    gb_bundled_snapshots_list_async (self->machine, self->cancellable, callback, g_object_ref (self));
}

typedef enum { BACKEND_CREATE, BACKEND_REVERT, BACKEND_DELETE } BackendOp;

static void
backend_op (GbSnapshotsWindow   *self,
            BackendOp            op,
            const char          *name,
            const char          *description,
            gboolean             disk_only,
            GAsyncReadyCallback  callback)
{
  gpointer data = g_object_ref (self);

  if (is_libvirt (self))
    {
      GbLibvirtMachine *m = GB_LIBVIRT_MACHINE (self->machine);

      if (op == BACKEND_CREATE)
        gb_libvirt_snapshot_create_async (m, name, description, disk_only, self->cancellable, callback, data);
      else if (op == BACKEND_REVERT)
        gb_libvirt_snapshot_revert_async (m, name, self->cancellable, callback, data);
      else
        gb_libvirt_snapshot_delete_async (m, name, self->cancellable, callback, data);
    }
  else if (op == BACKEND_CREATE)
    gb_bundled_snapshot_create_async (self->machine, name, self->cancellable, callback, data);
  else if (op == BACKEND_REVERT)
    gb_bundled_snapshot_revert_async (self->machine, name, self->cancellable, callback, data);
  else
    gb_bundled_snapshot_delete_async (self->machine, name, self->cancellable, callback, data);
}

static const char *
state_label (const char *state)
{
  if (g_strcmp0 (state, "running") == 0)
    return _("taken while running");
  if (g_strcmp0 (state, "paused") == 0)
    return _("taken while paused");
  if (g_strcmp0 (state, "disk-snapshot") == 0)
    return _("disks only");
  return _("taken while off");
}

/* The buttons follow the machine, the selection and what libvirt 9.0 can do. */
static void
update_actions (GbSnapshotsWindow *self)
{
  const GbSnapshotInfo *info;
  g_autofree char *why_create = NULL, *why_revert = NULL;
  gboolean can_create_internal, can_create_disk, revert_ok = FALSE;
  GString *reasons;

  if (self->disposed)
    return;
  info = selected_info (self);
  reasons = g_string_new (NULL);
  can_create_internal = can_create (self, FALSE, &why_create);
  can_create_disk = can_create (self, TRUE, NULL);
  if (info != NULL)
    revert_ok = can_revert (self, info, &why_revert);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "snapshots.new",
                                 !self->busy && (can_create_internal || can_create_disk));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "snapshots.revert", !self->busy && revert_ok);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "snapshots.delete", !self->busy && info != NULL && can_delete (self));

  if (why_create != NULL)
    g_string_append (reasons, why_create);
  if (why_revert != NULL && g_strcmp0 (why_revert, why_create) != 0)
    g_string_append_printf (reasons, "%s%s", reasons->len ? "\n" : "", why_revert);
  gtk_label_set_label (self->reason_label, reasons->str);
  gtk_widget_set_visible (GTK_WIDGET (self->reason_label), reasons->len > 0);
  g_string_free (reasons, TRUE);
}

static void
set_busy (GbSnapshotsWindow *self,
          const char        *status)
{
  self->busy = status != NULL;
  gtk_spinner_set_spinning (self->spinner, self->busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), self->busy);
  gtk_label_set_label (self->status_label, status ? status : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), status != NULL);
  update_actions (self);
}

static GtkWidget *
make_row (const GbSnapshotInfo *info)
{
  GtkWidget *row = adw_action_row_new ();
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (info->creation_time);
  g_autofree char *time = when ? g_date_time_format (when, "%x %X") : g_strdup ("");
  g_autofree char *subtitle = NULL;
  g_autofree char *title = NULL;

  if (info->current)
    /* Translators: a snapshot's name and the mark of the one the machine is at */
    title = g_strdup_printf (_("%s (current)"), info->name);
  else
    title = g_strdup (info->name);
  /* Translators: a snapshot's time · state · kind, e.g. "02/12/26 10:04 · taken while off · external" */
  subtitle = g_strdup_printf ("%s · %s%s%s%s%s", time, state_label (info->state),
                              info->external ? " · " : "", info->external ? _("external") : "",
                              *info->description ? "\n" : "", info->description);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 3);
  /* The screen when it was taken, where there was one. */
  if (info->screenshot != NULL)
    {
      GtkWidget *picture = gtk_picture_new_for_filename (info->screenshot);

      gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
      gtk_picture_set_content_fit (GTK_PICTURE (picture), GTK_CONTENT_FIT_CONTAIN);
      gtk_widget_set_size_request (picture, 96, 60);
      gtk_widget_set_margin_top (picture, 6);
      gtk_widget_set_margin_bottom (picture, 6);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), picture);
    }
  /* The tree: a child sits under its parent, one step further in
   * (prefixes are prepended: this one ends up first). */
  if (info->depth > 0)
    {
      GtkWidget *branch = gtk_image_new_from_icon_name ("go-next-symbolic");

      gtk_widget_set_margin_start (branch, 24 * (info->depth - 1));
      gtk_widget_add_css_class (branch, "dim-label");
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), branch);
    }
  if (info->current)
    adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("object-select-symbolic"));
  gtk_widget_set_name (row, info->name);
  return row;
}

static void
list_done (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GbSnapshotsWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = g_task_propagate_pointer (G_TASK (result), &error);
  GtkWidget *child;
  GtkListBoxRow *select = NULL;

  if (self->disposed || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, NULL);
  if (list == NULL)
    {
      gtk_label_set_label (self->status_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->status_label), TRUE);
      return;
    }

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list_box))) != NULL)
    gtk_list_box_remove (self->list_box, child);
  g_clear_pointer (&self->snapshots, g_ptr_array_unref);
  self->snapshots = g_steal_pointer (&list);
  for (guint i = 0; i < self->snapshots->len; i++)
    {
      const GbSnapshotInfo *info = g_ptr_array_index (self->snapshots, i);
      GtkWidget *row = make_row (info);

      gtk_list_box_append (self->list_box, row);
      if (g_strcmp0 (info->name, self->select_after) == 0 || (self->select_after == NULL && info->current))
        select = GTK_LIST_BOX_ROW (row);
    }
  g_clear_pointer (&self->select_after, g_free);
  if (select == NULL)
    select = gtk_list_box_get_row_at_index (self->list_box, 0);
  if (select != NULL)
    gtk_list_box_select_row (self->list_box, select);
  gtk_stack_set_visible_child_name (self->stack, self->snapshots->len ? "list" : "empty");
  update_actions (self);
}

static void
reload (GbSnapshotsWindow *self)
{
  backend_list (self, list_done);
}

/* The outcome of create/revert/delete: reload, or libvirt's reason. */
static void
op_done (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GbSnapshotsWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (self->disposed)
    return;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      GtkWidget *dialog;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_busy (self, NULL);
      dialog = adw_message_dialog_new (GTK_WINDOW (self), _("The snapshot operation failed"), error->message);
      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
    }
  reload (self);
}

/* New snapshot */

typedef struct {
  GtkEditable    *name;
  GtkEditable    *description;
  GtkCheckButton *disk_only;
} NewWidgets;

static void
new_response_cb (AdwMessageDialog *dialog,
                 const char       *response,
                 gpointer          user_data)
{
  GbSnapshotsWindow *self = user_data;
  NewWidgets *w = g_object_get_data (G_OBJECT (dialog), "widgets");
  const char *name;

  if (!g_str_equal (response, "create"))
    return;
  name = gtk_editable_get_text (w->name);
  g_free (self->select_after);
  self->select_after = g_strdup (name);
  set_busy (self, _("Taking the snapshot…"));
  backend_op (self, BACKEND_CREATE, name, gtk_editable_get_text (w->description),
              gtk_check_button_get_active (w->disk_only), op_done);
}

static void
on_name_changed (GtkEditable      *name,
                 AdwMessageDialog *dialog)
{
  adw_message_dialog_set_response_enabled (dialog, "create", *gtk_editable_get_text (name) != '\0');
}

static void
new_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  GbSnapshotsWindow *self = GB_SNAPSHOTS_WINDOW (widget);
  g_autofree char *why = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *default_name = g_date_time_format (now, "snapshot-%Y%m%d-%H%M%S");
  gboolean internal_ok = can_create (self, FALSE, &why);
  gboolean external_ok = can_create (self, TRUE, NULL);
  NewWidgets *w = g_new0 (NewWidgets, 1);
  GtkWidget *dialog, *box, *list, *name_row, *desc_row, *check;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("New Snapshot"), NULL);
  if (why != NULL)
    adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog), why);
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  name_row = adw_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (name_row), _("Name"));
  gtk_editable_set_text (GTK_EDITABLE (name_row), default_name);
  desc_row = adw_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (desc_row), _("Description"));
  gtk_list_box_append (GTK_LIST_BOX (list), name_row);
  gtk_list_box_append (GTK_LIST_BOX (list), desc_row);
  gtk_box_append (GTK_BOX (box), list);
  check = gtk_check_button_new_with_mnemonic (_("_Disks only, in new overlay files (external)"));
  /* Without an internal snapshot to offer, the external one is the choice. */
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), !internal_ok);
  gtk_widget_set_sensitive (check, internal_ok && external_ok);
  /* Machines on This computer: qcow2 internal snapshots, no description. */
  gtk_widget_set_visible (check, external_ok);
  gtk_widget_set_visible (desc_row, is_libvirt (self));
  gtk_box_append (GTK_BOX (box), check);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);

  w->name = GTK_EDITABLE (name_row);
  w->description = GTK_EDITABLE (desc_row);
  w->disk_only = GTK_CHECK_BUTTON (check);
  g_object_set_data_full (G_OBJECT (dialog), "widgets", w, g_free);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "create", _("_Take Snapshot"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "create", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "create");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (name_row, "changed", G_CALLBACK (on_name_changed), dialog);
  /* Enter in the name takes the snapshot. */
  g_signal_connect_swapped (name_row, "entry-activated", G_CALLBACK (gtk_widget_activate_default), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (new_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (name_row);
}

/* Revert and delete ask first: both lose something. */

static void
confirm_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     gpointer          user_data)
{
  GbSnapshotsWindow *self = user_data;
  const char *name = g_object_get_data (G_OBJECT (dialog), "snapshot");

  if (g_str_equal (response, "revert"))
    {
      g_free (self->select_after);
      self->select_after = g_strdup (name);
      set_busy (self, _("Reverting…"));
      backend_op (self, BACKEND_REVERT, name, NULL, FALSE, op_done);
    }
  else if (g_str_equal (response, "delete"))
    {
      set_busy (self, _("Deleting the snapshot…"));
      backend_op (self, BACKEND_DELETE, name, NULL, FALSE, op_done);
    }
}

static void
confirm (GbSnapshotsWindow    *self,
         const GbSnapshotInfo *info,
         const char           *response,
         const char           *heading,
         const char           *body,
         const char           *label)
{
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), response, label, NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), response, ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), response);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "snapshot", g_strdup (info->name), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (confirm_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
revert_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  GbSnapshotsWindow *self = GB_SNAPSHOTS_WINDOW (widget);
  const GbSnapshotInfo *info = selected_info (self);
  g_autofree char *heading = NULL;

  if (info == NULL)
    return;
  /* Translators: %s is the snapshot's name */
  heading = g_strdup_printf (_("Revert to “%s”?"), info->name);
  confirm (self, info, "revert", heading,
           _("The machine’s disks, and its memory if the snapshot has it, go back to that moment. What changed since is lost unless another snapshot keeps it."),
           _("_Revert"));
}

static void
delete_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  GbSnapshotsWindow *self = GB_SNAPSHOTS_WINDOW (widget);
  const GbSnapshotInfo *info = selected_info (self);
  g_autofree char *heading = NULL;

  if (info == NULL)
    return;
  /* Translators: %s is the snapshot's name */
  heading = g_strdup_printf (_("Delete “%s”?"), info->name);
  confirm (self, info, "delete", heading,
           _("The snapshot is removed; the machine as it is now is not changed."),
           _("_Delete"));
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  reload (GB_SNAPSHOTS_WINDOW (widget));
}

static void
update_title (GbSnapshotsWindow *self)
{
  g_autofree char *title = NULL;

  /* Translators: the Snapshots window's title; %s is the machine's name */
  title = g_strdup_printf (_("Snapshots of “%s”"), gb_machine_get_name (self->machine));
  gtk_window_set_title (GTK_WINDOW (self), title);
}

static void
gb_snapshots_window_constructed (GObject *object)
{
  GbSnapshotsWindow *self = GB_SNAPSHOTS_WINDOW (object);

  G_OBJECT_CLASS (gb_snapshots_window_parent_class)->constructed (object);

  update_title (self);
  g_signal_connect_object (self->machine, "notify::name", G_CALLBACK (update_title), self, G_CONNECT_SWAPPED);
  /* Running or not changes what can be taken. */
  g_signal_connect_object (self->machine, "notify::state", G_CALLBACK (update_actions), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->machine, "notify::config", G_CALLBACK (update_actions), self, G_CONNECT_SWAPPED);
  set_busy (self, _("Reading the snapshots…"));
  reload (self);
}

static void
gb_snapshots_window_dispose (GObject *object)
{
  GbSnapshotsWindow *self = GB_SNAPSHOTS_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  /* Answers and notifications may still arrive while a task holds us. */
  if (self->machine != NULL)
    g_signal_handlers_disconnect_by_data (self->machine, self);
  self->disposed = TRUE;
  G_OBJECT_CLASS (gb_snapshots_window_parent_class)->dispose (object);
}

static void
gb_snapshots_window_finalize (GObject *object)
{
  GbSnapshotsWindow *self = GB_SNAPSHOTS_WINDOW (object);

  g_clear_object (&self->machine);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->snapshots, g_ptr_array_unref);
  g_clear_pointer (&self->select_after, g_free);
  G_OBJECT_CLASS (gb_snapshots_window_parent_class)->finalize (object);
}

static void
gb_snapshots_window_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  GbSnapshotsWindow *self = GB_SNAPSHOTS_WINDOW (object);

  switch (prop_id)
    {
    case PROP_MACHINE:
      g_value_set_object (value, self->machine);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_snapshots_window_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  GbSnapshotsWindow *self = GB_SNAPSHOTS_WINDOW (object);

  switch (prop_id)
    {
    case PROP_MACHINE:
      self->machine = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_snapshots_window_class_init (GbSnapshotsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = gb_snapshots_window_constructed;
  object_class->dispose = gb_snapshots_window_dispose;
  object_class->finalize = gb_snapshots_window_finalize;
  object_class->get_property = gb_snapshots_window_get_property;
  object_class->set_property = gb_snapshots_window_set_property;

  properties[PROP_MACHINE] =
    g_param_spec_object ("machine", NULL, NULL, GB_TYPE_MACHINE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/glassbox/Glassbox/snapshots/gb-snapshots-window.ui");
  gtk_widget_class_bind_template_child (widget_class, GbSnapshotsWindow, list_box);
  gtk_widget_class_bind_template_child (widget_class, GbSnapshotsWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, GbSnapshotsWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, GbSnapshotsWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, GbSnapshotsWindow, reason_label);

  gtk_widget_class_install_action (widget_class, "snapshots.new", NULL, new_action);
  gtk_widget_class_install_action (widget_class, "snapshots.revert", NULL, revert_action);
  gtk_widget_class_install_action (widget_class, "snapshots.delete", NULL, delete_action);
  gtk_widget_class_install_action (widget_class, "snapshots.refresh", NULL, refresh_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "snapshots.new", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, "snapshots.revert", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "snapshots.delete", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "snapshots.refresh", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
gb_snapshots_window_init (GbSnapshotsWindow *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->list_box, "row-selected", G_CALLBACK (update_actions), self);
}
