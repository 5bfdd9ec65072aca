/* gb-new-disk-dialog.c — the New Disk dialog
 *
 * Name, location (a libvirt storage pool, or a folder where the machines
 * run on this computer: Glassbox's own, or a local libvirt), size, format,
 * preallocation, and an optional backing image.  Every field is checked as
 * it is typed; Create is enabled only when all of them are valid, and the
 * first problem is shown under the form in plain words.  The work itself is
 * gb-disk-creator.c's, in a worker thread; full preallocation shows its
 * progress and can be stopped.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "gb-creator-backend.h"
#include "gb-disk-creator.h"
#include "gb-new-disk-dialog.h"

struct _GbNewDiskDialog
{
  AdwWindow        parent_instance;

  GbProvider      *provider;
  GbCreatorBackend *backend;      /* the provider's creation half; nullable */
  GPtrArray       *pools;          /* pool names, same order as the combo */
  GHashTable      *volumes;        /* pool name → GHashTable of its volume names, once read */
  GCancellable    *cancellable;    /* the dialog's life */
  GCancellable    *create_cancellable;
  gboolean         creating;
  gboolean         valid;
  gboolean         prefer_folder;  /* set_folder() was called */
  gboolean         folder_offered; /* the machines run on this computer */
  gboolean         own_folder;     /* the provider has its own disk folder */
  /* What the last Create made, for gb_new_disk_dialog_get_created(). */
  GbDiskFormat     created_format;
  guint64          created_capacity;
  char            *created_folder;

  AdwEntryRow     *name_row;
  AdwComboRow     *location_row;
  GtkStringList   *location_model;
  AdwEntryRow     *folder_row;
  AdwActionRow    *size_row;
  GtkEntry        *size_entry;
  GtkDropDown     *unit_dropdown;
  AdwComboRow     *format_row;
  AdwComboRow     *prealloc_row;
  AdwExpanderRow  *backing_expander;
  AdwEntryRow     *backing_row;
  GtkLabel        *error_label;
  GtkBox          *progress_box;
  GtkProgressBar  *progress_bar;
};

G_DEFINE_FINAL_TYPE (GbNewDiskDialog, gb_new_disk_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_PROVIDER,
  PROP_VALID,
  N_PROPS
};

enum {
  DISK_CREATED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static const guint64 units[] = { (guint64) 1 << 20, (guint64) 1 << 30, (guint64) 1 << 40 };

static gboolean
folder_selected (GbNewDiskDialog *self)
{
  return self->folder_offered && adw_combo_row_get_selected (self->location_row) == self->pools->len;
}

static const char *
selected_pool (GbNewDiskDialog *self)
{
  guint i = adw_combo_row_get_selected (self->location_row);

  return i < self->pools->len ? g_ptr_array_index (self->pools, i) : NULL;
}

static void
mark (GtkWidget *widget,
      gboolean   bad)
{
  if (bad)
    gtk_widget_add_css_class (widget, "error");
  else
    gtk_widget_remove_css_class (widget, "error");
}

/* Fills @spec from the form; FALSE with a sentence for the first problem. */
static gboolean
read_form (GbNewDiskDialog  *self,
           GbDiskSpec       *spec,
           char            **folder_out,
           GError          **error)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  const char *folder = gtk_editable_get_text (GTK_EDITABLE (self->folder_row));
  const char *backing = gtk_editable_get_text (GTK_EDITABLE (self->backing_row));
  guint unit = gtk_drop_down_get_selected (self->unit_dropdown);
  gboolean bad_name = FALSE, bad_size = FALSE, bad_folder = FALSE, bad_backing = FALSE;
  gboolean ok = TRUE;

  spec->format = adw_combo_row_get_selected (self->format_row) == 1 ? GB_DISK_FORMAT_RAW : GB_DISK_FORMAT_QCOW2;
  spec->prealloc = (GbDiskPrealloc) MIN (adw_combo_row_get_selected (self->prealloc_row), GB_DISK_PREALLOC_FULL);

  if (!gb_disk_validate_name (name, error))
    ok = FALSE, bad_name = TRUE;
  else if (folder_selected (self))
    {
      g_autofree char *path = NULL;

      if (self->backend == NULL || !gb_creator_backend_disks_in_folder (self->backend))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("Disks in folders need a connection to this computer."));
          ok = FALSE, bad_folder = TRUE;
        }
      else if (*folder == '\0' || !g_file_test (folder, G_FILE_TEST_IS_DIR))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               *folder ? _("That folder does not exist.") : _("Choose a folder."));
          ok = FALSE, bad_folder = TRUE;
        }
      else if (g_file_test ((path = g_build_filename (folder, name, NULL)), G_FILE_TEST_EXISTS))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       _("“%s” exists already; Glassbox never overwrites a file."), name);
          ok = FALSE, bad_name = TRUE;
        }
    }
  else if (selected_pool (self) == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("Choose where to put the disk."));
      ok = FALSE;
    }
  else if (g_hash_table_lookup (self->volumes, selected_pool (self)) != NULL)
    {
      GHashTable *existing = g_hash_table_lookup (self->volumes, selected_pool (self));

      if (g_hash_table_contains (existing, name))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       _("The pool has a disk called “%s” already."), name);
          ok = FALSE, bad_name = TRUE;
        }
    }

  /* A raw file named .qcow2 (or a qcow2 named .raw) would be opened in the
   * wrong format by whoever trusts the name, the next dialog included. */
  if (ok && spec->format == GB_DISK_FORMAT_RAW && g_str_has_suffix (name, ".qcow2"))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
                           _("A raw disk must not be named “.qcow2”: other programs would take it for a qcow2 "
                             "image. Name it “.img” or “.raw”, or choose the qcow2 format."));
      ok = FALSE, bad_name = TRUE;
    }
  else if (ok && spec->format == GB_DISK_FORMAT_QCOW2 && g_str_has_suffix (name, ".raw"))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
                           _("A qcow2 disk must not be named “.raw”: name it “.qcow2”, or choose the raw format."));
      ok = FALSE, bad_name = TRUE;
    }

  if (ok && !gb_disk_parse_size (gtk_editable_get_text (GTK_EDITABLE (self->size_entry)),
                                 units[MIN (unit, G_N_ELEMENTS (units) - 1)], &spec->capacity, error))
    ok = FALSE, bad_size = TRUE;

  if (ok && spec->format == GB_DISK_FORMAT_RAW && spec->prealloc == GB_DISK_PREALLOC_METADATA)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Only qcow2 disks have metadata to preallocate."));
      ok = FALSE;
    }

  if (ok && adw_expander_row_get_enable_expansion (self->backing_expander))
    {
      if (spec->format != GB_DISK_FORMAT_QCOW2)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("Linked clones must be qcow2 disks."));
          ok = FALSE;
        }
      else if (*backing == '\0')
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("Choose the image to start from."));
          ok = FALSE, bad_backing = TRUE;
        }
      else if (folder_selected (self) && !g_file_test (backing, G_FILE_TEST_IS_REGULAR))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("The image to start from does not exist."));
          ok = FALSE, bad_backing = TRUE;
        }
      else
        {
          g_free (spec->backing_path);
          spec->backing_path = g_strdup (backing);
          spec->backing_format = g_str_has_suffix (backing, ".qcow2") ? GB_DISK_FORMAT_QCOW2 : GB_DISK_FORMAT_RAW;
          /* Trust the file's own header over its name when we can read it
           * (only when creating: not on every keystroke). */
          if (folder_out != NULL)
            {
              gsize len = 0;
              g_autoptr(GFile) f = g_file_new_for_path (backing);
              g_autoptr(GFileInputStream) in = g_file_read (f, NULL, NULL);
              char magic[4];

              if (in && g_input_stream_read_all (G_INPUT_STREAM (in), magic, 4, &len, NULL, NULL) && len == 4)
                spec->backing_format = memcmp (magic, "QFI\xfb", 4) == 0 ? GB_DISK_FORMAT_QCOW2 : GB_DISK_FORMAT_RAW;
            }
        }
    }

  spec->name = g_strdup (name);
  if (folder_out)
    *folder_out = g_strdup (folder);

  mark (GTK_WIDGET (self->name_row), bad_name);
  mark (GTK_WIDGET (self->size_entry), bad_size);
  mark (GTK_WIDGET (self->folder_row), bad_folder);
  mark (GTK_WIDGET (self->backing_row), bad_backing);
  return ok;
}

static void
revalidate (GbNewDiskDialog *self)
{
  g_autoptr(GbDiskSpec) spec = gb_disk_spec_new ();
  g_autoptr(GError) error = NULL;
  gboolean valid;

  /* While the disk is being made its file exists: nothing to check. */
  if (self->creating)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "disk.create", FALSE);
      return;
    }

  valid = read_form (self, spec, NULL, &error);

  gtk_widget_set_visible (GTK_WIDGET (self->folder_row), folder_selected (self));
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), !valid);
  gtk_label_set_text (self->error_label, error ? error->message : "");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "disk.create", valid);

  if (valid != self->valid)
    {
      self->valid = valid;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VALID]);
    }
}

static void
revalidate_cb (GbNewDiskDialog *self)
{
  revalidate (self);
}

/* Switching the format renames a name that still has the other format's
 * extension: "disk.qcow2" becomes "disk.img" for raw, and back. */
static void
format_changed_cb (GbNewDiskDialog *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  gboolean raw = adw_combo_row_get_selected (self->format_row) == 1;
  const char *from = raw ? ".qcow2" : ".img";
  const char *to = raw ? ".img" : ".qcow2";

  if (g_str_has_suffix (name, from))
    {
      g_autofree char *stem = g_strndup (name, strlen (name) - strlen (from));
      g_autofree char *renamed = g_strconcat (stem, to, NULL);

      gtk_editable_set_text (GTK_EDITABLE (self->name_row), renamed);
    }
  revalidate (self);
}

static void
entry_activated_cb (GbNewDiskDialog *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "disk.create", NULL);
}

/* ------------------------------------------------------------------ */

typedef struct
{
  GbNewDiskDialog *self;
  char            *pool;
} VolumesData;

static void
volumes_listed_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  VolumesData *vd = user_data;
  g_autoptr(GbNewDiskDialog) self = vd->self;
  g_autofree char *pool = vd->pool;
  g_auto(GStrv) names = gb_creator_backend_list_volumes_finish (GB_CREATOR_BACKEND (object), result, NULL);

  g_free (vd);
  /* Until a pool is read again its volume list is unknown; creating
   * checks again anyway. */
  if (names != NULL)
    {
      GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

      for (guint i = 0; names[i]; i++)
        g_hash_table_add (set, g_strdup (names[i]));
      g_hash_table_replace (self->volumes, g_strdup (pool), set);
    }
  if (g_cancellable_is_cancelled (self->cancellable))
    return;     /* the dialog is closing */
  revalidate (self);
}

static void
location_changed_cb (GbNewDiskDialog *self)
{
  const char *pool = selected_pool (self);

  /* The volume list is only as fresh as the last time it was read. */
  if (pool != NULL)
    {
      VolumesData *vd = g_new0 (VolumesData, 1);

      vd->self = g_object_ref (self);
      vd->pool = g_strdup (pool);
      gb_creator_backend_list_volumes_async (self->backend, pool, self->cancellable, volumes_listed_cb, vd);
    }
  revalidate (self);
}

static void
pools_listed_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GbNewDiskDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) pools = gb_creator_backend_list_pools_finish (GB_CREATOR_BACKEND (object), result, &error);
  guint preferred = 0;

  if (pools == NULL)
    g_debug ("no storage pools: %s", error->message);
  if (g_cancellable_is_cancelled (self->cancellable))
    return;     /* the dialog is closing */

  /* The default pool comes first. */
  for (guint i = 0; pools != NULL && pools[i]; i++)
    {
      g_autofree char *label = g_strdup_printf (_("Pool “%s”"), pools[i]);

      g_ptr_array_add (self->pools, g_strdup (pools[i]));
      gtk_string_list_splice (self->location_model, self->pools->len - 1, 0,
                              (const char * const[]) { label, NULL });
    }

  /* The pools arrive after the caller may have asked for a folder. */
  if (self->prefer_folder)
    preferred = self->pools->len;
  adw_combo_row_set_selected (self->location_row, preferred);
  location_changed_cb (self);
}

static void
folder_chosen_cb (GtkNativeDialog *dialog,
                  int              response,
                  gpointer         user_data)
{
  AdwEntryRow *row = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path)
        gtk_editable_set_text (GTK_EDITABLE (row), path);
    }
  g_object_unref (dialog);
}

static void
choose (GbNewDiskDialog      *self,
        AdwEntryRow          *row,
        GtkFileChooserAction  action,
        const char           *title)
{
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (title, GTK_WINDOW (self), action,
                                                               _("_Choose"), _("_Cancel"));

  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (folder_chosen_cb), row);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
choose_folder_cb (GbNewDiskDialog *self)
{
  choose (self, self->folder_row, GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("Choose a Folder"));
}

static void
choose_backing_cb (GbNewDiskDialog *self)
{
  choose (self, self->backing_row, GTK_FILE_CHOOSER_ACTION_OPEN, _("Choose the Image to Start From"));
}

/* ------------------------------------------------------------------ */

static void
set_creating (GbNewDiskDialog *self,
              gboolean         creating,
              gboolean         show_progress)
{
  GtkWidget *form[] = {
    GTK_WIDGET (self->name_row), GTK_WIDGET (self->location_row), GTK_WIDGET (self->folder_row),
    GTK_WIDGET (self->size_row), GTK_WIDGET (self->format_row), GTK_WIDGET (self->prealloc_row),
    GTK_WIDGET (self->backing_expander),
  };

  /* The form is what is being made: it cannot change meanwhile. */
  for (guint i = 0; i < G_N_ELEMENTS (form); i++)
    gtk_widget_set_sensitive (form[i], !creating);
  self->creating = creating;
  gtk_widget_set_visible (GTK_WIDGET (self->progress_box), creating && show_progress);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "disk.stop", creating);
  revalidate (self);
}

static void
progress_cb (double   fraction,
             gpointer user_data)
{
  GbNewDiskDialog *self = user_data;
  g_autofree char *text = NULL;

  if (g_cancellable_is_cancelled (self->cancellable))
    return;     /* the dialog is closing */
  text = g_strdup_printf (_("%.0f %% written"), fraction * 100);
  gtk_progress_bar_set_fraction (self->progress_bar, fraction);
  gtk_progress_bar_set_text (self->progress_bar, text);
}

static void
created_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GbNewDiskDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = gb_creator_backend_create_disk_finish (GB_CREATOR_BACKEND (object), result, &error);

  g_clear_object (&self->create_cancellable);
  if (g_cancellable_is_cancelled (self->cancellable))
    return;     /* the dialog is closing; a stopped creation left nothing */
  set_creating (self, FALSE, FALSE);

  if (path == NULL)
    {
      gtk_label_set_text (self->error_label,
                          g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                          ? _("Stopped; nothing was kept.") : error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
      return;
    }

  g_signal_emit (self, signals[DISK_CREATED], 0, path);
  gtk_window_close (GTK_WINDOW (self));
}

static void
create_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  GbNewDiskDialog *self = GB_NEW_DISK_DIALOG (widget);
  g_autoptr(GbDiskSpec) spec = gb_disk_spec_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = NULL;
  gboolean slow;

  if (self->creating || !read_form (self, spec, &folder, &error))
    return;

  self->created_format = spec->format;
  self->created_capacity = spec->capacity;
  g_free (self->created_folder);
  self->created_folder = folder_selected (self) ? g_strdup (folder) : NULL;
  slow = spec->prealloc >= GB_DISK_PREALLOC_FALLOC;
  self->create_cancellable = g_cancellable_new ();
  set_creating (self, TRUE, slow);

  gb_creator_backend_create_disk_async (self->backend,
                                        folder_selected (self) ? NULL : selected_pool (self),
                                        folder, spec, progress_cb, self, self->create_cancellable,
                                        created_cb, g_object_ref (self));
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  GbNewDiskDialog *self = GB_NEW_DISK_DIALOG (widget);

  if (self->create_cancellable)
    g_cancellable_cancel (self->create_cancellable);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  GbNewDiskDialog *self = GB_NEW_DISK_DIALOG (widget);

  /* Stopping a creation first; a second press closes. */
  if (self->creating)
    {
      stop_action (widget, NULL, NULL);
      return;
    }
  gtk_window_close (GTK_WINDOW (self));
}

/* ------------------------------------------------------------------ */

static void
gb_new_disk_dialog_constructed (GObject *object)
{
  GbNewDiskDialog *self = (GbNewDiskDialog *) object;

  G_OBJECT_CLASS (gb_new_disk_dialog_parent_class)->constructed (object);

  /* Everything about where the disk goes is the provider's creation half. */
  if (self->provider != NULL)
    self->backend = gb_provider_new_creator (self->provider);
  /* A file on this computer's disk is of use only to machines that run
   * here (not to a qemu+ssh:// host). */
  self->folder_offered = self->backend != NULL && gb_creator_backend_disks_in_folder (self->backend);
  if (self->folder_offered)
    gtk_string_list_append (self->location_model, _("A folder…"));
  else
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self->location_row),
                                 _("A storage pool of this connection: its machines run on another computer, "
                                   "so a folder here would be no use to them."));
  if (self->backend != NULL)
    {
      /* Glassbox's own machines folder, for one. */
      g_autofree char *folder = gb_creator_backend_dup_disk_folder (self->backend);

      self->own_folder = folder != NULL;
      if (folder != NULL)
        gb_new_disk_dialog_set_folder (self, folder);
      gb_creator_backend_list_pools_async (self->backend, self->cancellable,
                                           pools_listed_cb, g_object_ref (self));
    }
  revalidate (self);
}

/* Closing or destroying the dialog stops a creation in progress (which
 * removes its file); callbacks still pending then leave the widgets alone. */
static void
stop_everything (GbNewDiskDialog *self)
{
  g_cancellable_cancel (self->cancellable);
  if (self->create_cancellable != NULL)
    g_cancellable_cancel (self->create_cancellable);
}

static gboolean
gb_new_disk_dialog_close_request (GtkWindow *window)
{
  stop_everything (GB_NEW_DISK_DIALOG (window));
  return GTK_WINDOW_CLASS (gb_new_disk_dialog_parent_class)->close_request (window);
}

static void
gb_new_disk_dialog_unrealize (GtkWidget *widget)
{
  stop_everything (GB_NEW_DISK_DIALOG (widget));
  GTK_WIDGET_CLASS (gb_new_disk_dialog_parent_class)->unrealize (widget);
}

static void
gb_new_disk_dialog_dispose (GObject *object)
{
  GbNewDiskDialog *self = (GbNewDiskDialog *) object;

  stop_everything (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), GB_TYPE_NEW_DISK_DIALOG);

  G_OBJECT_CLASS (gb_new_disk_dialog_parent_class)->dispose (object);
}

static void
gb_new_disk_dialog_finalize (GObject *object)
{
  GbNewDiskDialog *self = (GbNewDiskDialog *) object;

  g_clear_object (&self->provider);
  g_clear_object (&self->backend);
  g_clear_pointer (&self->volumes, g_hash_table_unref);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->create_cancellable);
  g_clear_pointer (&self->pools, g_ptr_array_unref);

  g_free (self->created_folder);

  G_OBJECT_CLASS (gb_new_disk_dialog_parent_class)->finalize (object);
}

static void
gb_new_disk_dialog_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  GbNewDiskDialog *self = GB_NEW_DISK_DIALOG (object);

  switch (prop_id)
    {
    case PROP_PROVIDER:
      g_value_set_object (value, self->provider);
      break;
    case PROP_VALID:
      g_value_set_boolean (value, self->valid);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_new_disk_dialog_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  GbNewDiskDialog *self = GB_NEW_DISK_DIALOG (object);

  switch (prop_id)
    {
    case PROP_PROVIDER:
      self->provider = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_new_disk_dialog_class_init (GbNewDiskDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = gb_new_disk_dialog_constructed;
  object_class->dispose = gb_new_disk_dialog_dispose;
  object_class->finalize = gb_new_disk_dialog_finalize;
  object_class->get_property = gb_new_disk_dialog_get_property;
  object_class->set_property = gb_new_disk_dialog_set_property;
  widget_class->unrealize = gb_new_disk_dialog_unrealize;
  GTK_WINDOW_CLASS (klass)->close_request = gb_new_disk_dialog_close_request;

  properties[PROP_PROVIDER] =
    g_param_spec_object ("provider", NULL, NULL, GB_TYPE_PROVIDER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_VALID] =
    g_param_spec_boolean ("valid", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * GbNewDiskDialog::disk-created:
   * @path: the new image's path on the host
   */
  signals[DISK_CREATED] =
    g_signal_new ("disk-created", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/glassbox/Glassbox/creator/gb-new-disk-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, GbNewDiskDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, GbNewDiskDialog, location_row);
  gtk_widget_class_bind_template_child (widget_class, GbNewDiskDialog, location_model);
  gtk_widget_class_bind_template_child (widget_class, GbNewDiskDialog, folder_row);
  gtk_widget_class_bind_template_child (widget_class, GbNewDiskDialog, size_row);
  gtk_widget_class_bind_template_child (widget_class, GbNewDiskDialog, size_entry);
  gtk_widget_class_bind_template_child (widget_class, GbNewDiskDialog, unit_dropdown);
  gtk_widget_class_bind_template_child (widget_class, GbNewDiskDialog, format_row);
  gtk_widget_class_bind_template_child (widget_class, GbNewDiskDialog, prealloc_row);
  gtk_widget_class_bind_template_child (widget_class, GbNewDiskDialog, backing_expander);
  gtk_widget_class_bind_template_child (widget_class, GbNewDiskDialog, backing_row);
  gtk_widget_class_bind_template_child (widget_class, GbNewDiskDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, GbNewDiskDialog, progress_box);
  gtk_widget_class_bind_template_child (widget_class, GbNewDiskDialog, progress_bar);
  gtk_widget_class_bind_template_callback (widget_class, revalidate_cb);
  gtk_widget_class_bind_template_callback (widget_class, entry_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, choose_folder_cb);
  gtk_widget_class_bind_template_callback (widget_class, choose_backing_cb);

  gtk_widget_class_install_action (widget_class, "disk.create", NULL, create_action);
  gtk_widget_class_install_action (widget_class, "disk.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "disk.cancel", NULL, cancel_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "disk.create", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "disk.cancel", NULL);
}

/* The widgets inside AdwExpanderRow (its enable switch) and GtkDropDown
 * (its button) are their own; libadwaita 1.2 and GTK 4.8 leave them
 * without an accessible name. */
static void
name_inner (GtkWidget  *root,
            GType       type,
            const char *name)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        gtk_accessible_update_property (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
      else
        name_inner (child, type, name);
    }
}

static void
gb_new_disk_dialog_init (GbNewDiskDialog *self)
{
  self->pools = g_ptr_array_new_with_free_func (g_free);
  self->volumes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_hash_table_unref);
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect_swapped (self->location_row, "notify::selected", G_CALLBACK (location_changed_cb), self);
  g_signal_connect_swapped (self->unit_dropdown, "notify::selected", G_CALLBACK (revalidate_cb), self);
  g_signal_connect_swapped (self->format_row, "notify::selected", G_CALLBACK (format_changed_cb), self);
  g_signal_connect_swapped (self->prealloc_row, "notify::selected", G_CALLBACK (revalidate_cb), self);
  g_signal_connect_swapped (self->backing_expander, "notify::enable-expansion", G_CALLBACK (revalidate_cb), self);
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), "disk.qcow2");
  /* 20 GiB, as the wizard. (In the template "selected" came before the
   * drop-down's model, which reset it to the first unit: 20 MiB.) */
  gtk_drop_down_set_selected (self->unit_dropdown, 1);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "disk.stop", FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->backing_expander),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Linked clone"), -1);
  name_inner (GTK_WIDGET (self->backing_expander), GTK_TYPE_SWITCH, _("Linked clone"));
  name_inner (GTK_WIDGET (self->unit_dropdown), GTK_TYPE_TOGGLE_BUTTON, _("Size unit"));
}

/**
 * gb_new_disk_dialog_new:
 * @parent: (nullable): the window it belongs to
 * @provider: (nullable): where the disk's machine runs: a libvirt
 *   connection's pools, and a folder when its machines run on this computer
 *
 * The New Disk dialog.  ::disk-created tells the path of the new image.
 */
GbNewDiskDialog *
gb_new_disk_dialog_new (GtkWindow  *parent,
                        GbProvider *provider)
{
  return g_object_new (GB_TYPE_NEW_DISK_DIALOG,
                       "provider", provider,
                       "transient-for", parent,
                       NULL);
}

/* Preselects "a folder…" with @folder (the bundled backend's disks). */
void
gb_new_disk_dialog_set_folder (GbNewDiskDialog *self,
                               const char      *folder)
{
  g_return_if_fail (GB_IS_NEW_DISK_DIALOG (self));

  if (!self->folder_offered)
    return;
  gtk_editable_set_text (GTK_EDITABLE (self->folder_row), folder ? folder : "");
  self->prefer_folder = TRUE;
  adw_combo_row_set_selected (self->location_row,
                              g_list_model_get_n_items (G_LIST_MODEL (self->location_model)) - 1);
  revalidate (self);
}

void
gb_new_disk_dialog_set_disk_name (GbNewDiskDialog *self,
                                  const char      *name)
{
  g_return_if_fail (GB_IS_NEW_DISK_DIALOG (self));

  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name ? name : "");
}

/* Shows @bytes in the largest unit that keeps it a whole number. */
void
gb_new_disk_dialog_set_size (GbNewDiskDialog *self,
                             guint64          bytes)
{
  g_autofree char *text = NULL;
  guint unit = 0;

  g_return_if_fail (GB_IS_NEW_DISK_DIALOG (self));

  for (guint i = G_N_ELEMENTS (units); i > 0; i--)
    if (bytes >= units[i - 1] && bytes % units[i - 1] == 0)
      {
        unit = i - 1;
        break;
      }
  text = g_strdup_printf ("%" G_GUINT64_FORMAT, bytes / units[unit]);
  gtk_drop_down_set_selected (self->unit_dropdown, unit);
  gtk_editable_set_text (GTK_EDITABLE (self->size_entry), text);
}

void
gb_new_disk_dialog_set_format (GbNewDiskDialog *self,
                               GbDiskFormat     format)
{
  g_return_if_fail (GB_IS_NEW_DISK_DIALOG (self));

  adw_combo_row_set_selected (self->format_row, format == GB_DISK_FORMAT_RAW ? 1 : 0);
}

void
gb_new_disk_dialog_set_prealloc (GbNewDiskDialog *self,
                                 GbDiskPrealloc   prealloc)
{
  g_return_if_fail (GB_IS_NEW_DISK_DIALOG (self));

  adw_combo_row_set_selected (self->prealloc_row, (guint) prealloc);
}

/**
 * gb_new_disk_dialog_get_created:
 * @folder: (out) (optional) (transfer none): the folder it was made in, or
 *   %NULL for a storage pool
 *
 * What the last Create made (for ::disk-created handlers, which may say so).
 */
void
gb_new_disk_dialog_get_created (GbNewDiskDialog  *self,
                                GbDiskFormat     *format,
                                guint64          *capacity,
                                const char      **folder)
{
  g_return_if_fail (GB_IS_NEW_DISK_DIALOG (self));

  if (format != NULL)
    *format = self->created_format;
  if (capacity != NULL)
    *capacity = self->created_capacity;
  if (folder != NULL)
    *folder = self->created_folder;
}

GbProvider *
gb_new_disk_dialog_get_provider (GbNewDiskDialog *self)
{
  g_return_val_if_fail (GB_IS_NEW_DISK_DIALOG (self), NULL);

  return self->provider;
}

/* Whether the provider keeps its disks in a folder of its own (Glassbox's
 * machines folder), which the dialog offers first. */
gboolean
gb_new_disk_dialog_has_own_folder (GbNewDiskDialog *self)
{
  g_return_val_if_fail (GB_IS_NEW_DISK_DIALOG (self), FALSE);

  return self->own_folder;
}
