/* gb-clone-dialog.c — clone a stopped machine: name, linked or full, progress, cancel
 *
 * The copy runs in a worker thread (gb_libvirt_machine_clone_async, or
 * gb_bundled_machine_clone_async for a machine on This computer); the
 * bar shows the bytes copied; Cancel during the copy stops it and the
 * copies made so far are removed.  Once the clone is defined the dialog
 * closes and the new machine appears in the list (libvirt's event, or the
 * bundled provider adding it).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gb-bundled-clone.h"
#include "gb-clone-dialog.h"
#include "gb-libvirt-clone.h"

struct _GbCloneDialog
{
  AdwWindow         parent_instance;

  GbMachine        *machine;   /* a GbLibvirtMachine or a GbBundledMachine */
  GCancellable     *cancellable;  /* set while cloning */
  gboolean          disposed;

  AdwEntryRow      *name_row;
  GtkSwitch        *linked_switch;
  GtkLabel         *disks_label;
  GtkProgressBar   *progress_bar;
};

G_DEFINE_FINAL_TYPE (GbCloneDialog, gb_clone_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_MACHINE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GbCloneDialog *
gb_clone_dialog_new (GtkWindow *parent,
                     GbMachine *machine)
{
  return g_object_new (GB_TYPE_CLONE_DIALOG,
                       "transient-for", parent,
                       "machine", machine,
                       NULL);
}

static void
update_actions (GbCloneDialog *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  gboolean off = gb_machine_get_state (GB_MACHINE (self->machine)) == GB_MACHINE_STATE_SHUTOFF;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "clone.clone",
                                 self->cancellable == NULL && off && *name != '\0');
}

/* What happens to each disk, in a sentence the user can check. */
static void
describe_disks (GbCloneDialog *self)
{
  GbMachineConfig *config = gb_machine_get_config (GB_MACHINE (self->machine));
  GPtrArray *disks = config ? gb_machine_config_get_disks (config) : NULL;
  gboolean linked = gtk_switch_get_active (self->linked_switch);
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; disks != NULL && i < disks->len; i++)
    {
      const GbConfigDisk *disk = g_ptr_array_index (disks, i);

      if (g_strcmp0 (disk->device, "disk") != 0 || disk->path == NULL)
        continue;
      if (text->len > 0)
        g_string_append_c (text, '\n');
      if (disk->read_only)
        /* Translators: %s is a disk's file */
        g_string_append_printf (text, _("%s: shared (read-only)"), disk->path);
      else if (linked)
        g_string_append_printf (text, _("%s: a new overlay backed by it"), disk->path);
      else
        g_string_append_printf (text, _("%s: copied"), disk->path);
    }
  if (gb_machine_get_state (GB_MACHINE (self->machine)) != GB_MACHINE_STATE_SHUTOFF)
    {
      if (text->len > 0)
        g_string_prepend_c (text, '\n');
      g_string_prepend (text, _("Shut the machine down to clone it."));
    }
  gtk_label_set_label (self->disks_label, text->str);
}

static void
progress_cb (guint64  done,
             guint64  total,
             gpointer user_data)
{
  GbCloneDialog *self = user_data;
  g_autofree char *d = g_format_size (done), *t = g_format_size (total);
  g_autofree char *text = NULL;

  if (self->disposed)
    return;

  /* Translators: progress of the copy, e.g. "1.2 GB of 4.0 GB" */
  text = g_strdup_printf (_("%s of %s"), d, t);
  gtk_progress_bar_set_fraction (self->progress_bar, total ? (double) done / total : 1.0);
  gtk_progress_bar_set_text (self->progress_bar, text);
}

static void
clone_done (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GbCloneDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = NULL;
  g_autoptr(GbMachine) clone = NULL;
  gboolean done;

  if (GB_IS_BUNDLED_MACHINE (object))
    done = (clone = gb_bundled_machine_clone_finish (GB_BUNDLED_MACHINE (object), result, &error)) != NULL;
  else
    done = (uuid = gb_libvirt_machine_clone_finish (GB_LIBVIRT_MACHINE (object), result, &error)) != NULL;

  g_clear_object (&self->cancellable);
  if (self->disposed)
    return;
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), FALSE);
  gtk_editable_set_editable (GTK_EDITABLE (self->name_row), TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->linked_switch), TRUE);
  update_actions (self);
  if (done)
    {
      gtk_window_destroy (GTK_WINDOW (self));
      return;
    }
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Could not clone the machine"), error->message);

      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
    }
}

static void
clone_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  GbCloneDialog *self = GB_CLONE_DIALOG (widget);

  self->cancellable = g_cancellable_new ();
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_progress_bar_set_text (self->progress_bar, _("Starting…"));
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), TRUE);
  /* Read-only rather than insensitive: a focused entry keeps its focus. */
  gtk_editable_set_editable (GTK_EDITABLE (self->name_row), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->linked_switch), FALSE);
  update_actions (self);
  if (GB_IS_BUNDLED_MACHINE (self->machine))
    gb_bundled_machine_clone_async (GB_BUNDLED_MACHINE (self->machine),
                                    gtk_editable_get_text (GTK_EDITABLE (self->name_row)),
                                    gtk_switch_get_active (self->linked_switch),
                                    progress_cb, self, self->cancellable,
                                    clone_done, g_object_ref (self));
  else
    gb_libvirt_machine_clone_async (GB_LIBVIRT_MACHINE (self->machine),
                                    gtk_editable_get_text (GTK_EDITABLE (self->name_row)),
                                    gtk_switch_get_active (self->linked_switch),
                                    progress_cb, self, self->cancellable,
                                    clone_done, g_object_ref (self));
}

/* Cancel stops a running copy, else closes. */
static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  GbCloneDialog *self = GB_CLONE_DIALOG (widget);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  else
    gtk_window_destroy (GTK_WINDOW (self));
}

static gboolean
on_close_request (GbCloneDialog *self)
{
  /* Closing while copying cancels first; clone_done then finds no copy. */
  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      return TRUE;
    }
  return FALSE;
}

static void
gb_clone_dialog_constructed (GObject *object)
{
  GbCloneDialog *self = GB_CLONE_DIALOG (object);
  g_autofree char *name = NULL;
  g_autofree char *title = NULL;

  G_OBJECT_CLASS (gb_clone_dialog_parent_class)->constructed (object);

  if (GB_IS_BUNDLED_MACHINE (self->machine))
    name = gb_bundled_clone_default_name (GB_BUNDLED_MACHINE (self->machine));
  else
    name = gb_libvirt_clone_default_name (GB_LIBVIRT_MACHINE (self->machine));

  /* Translators: the Clone dialog's title; %s is the machine's name */
  title = g_strdup_printf (_("Clone “%s”"), gb_machine_get_name (GB_MACHINE (self->machine)));
  gtk_window_set_title (GTK_WINDOW (self), title);
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
  g_signal_connect_object (self->machine, "notify::state", G_CALLBACK (update_actions), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->machine, "notify::state", G_CALLBACK (describe_disks), self, G_CONNECT_SWAPPED);
  describe_disks (self);
  update_actions (self);
}

static void
gb_clone_dialog_dispose (GObject *object)
{
  GbCloneDialog *self = GB_CLONE_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->machine != NULL)
    g_signal_handlers_disconnect_by_data (self->machine, self);
  self->disposed = TRUE;
  G_OBJECT_CLASS (gb_clone_dialog_parent_class)->dispose (object);
}

static void
gb_clone_dialog_finalize (GObject *object)
{
  GbCloneDialog *self = GB_CLONE_DIALOG (object);

  g_clear_object (&self->machine);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (gb_clone_dialog_parent_class)->finalize (object);
}

static void
gb_clone_dialog_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  GbCloneDialog *self = GB_CLONE_DIALOG (object);

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
gb_clone_dialog_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  GbCloneDialog *self = GB_CLONE_DIALOG (object);

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
gb_clone_dialog_class_init (GbCloneDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = gb_clone_dialog_constructed;
  object_class->dispose = gb_clone_dialog_dispose;
  object_class->finalize = gb_clone_dialog_finalize;
  object_class->get_property = gb_clone_dialog_get_property;
  object_class->set_property = gb_clone_dialog_set_property;

  properties[PROP_MACHINE] =
    g_param_spec_object ("machine", NULL, NULL, GB_TYPE_MACHINE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/glassbox/Glassbox/snapshots/gb-clone-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, GbCloneDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, GbCloneDialog, linked_switch);
  gtk_widget_class_bind_template_child (widget_class, GbCloneDialog, disks_label);
  gtk_widget_class_bind_template_child (widget_class, GbCloneDialog, progress_bar);

  gtk_widget_class_install_action (widget_class, "clone.clone", NULL, clone_action);
  gtk_widget_class_install_action (widget_class, "clone.cancel", NULL, cancel_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "clone.clone", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "clone.cancel", NULL);
}

static void
on_name_activated (GbCloneDialog *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "clone.clone", NULL);
}

static void
gb_clone_dialog_init (GbCloneDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->name_row, "changed", G_CALLBACK (update_actions), self);
  g_signal_connect_swapped (self->linked_switch, "notify::active", G_CALLBACK (describe_disks), self);
  /* Enter in the name clones, as the default button would. */
  g_signal_connect_swapped (self->name_row, "entry-activated", G_CALLBACK (on_name_activated), self);
  g_signal_connect (self, "close-request", G_CALLBACK (on_close_request), NULL);
}
