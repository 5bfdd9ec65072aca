/* gb-machine-editor.c — the Settings page of a machine
 *
 * The page reads the persistent definition (gb_machine_edit_load_async,
 * through the machine's provider) and fills five tabs from it.  Apply sends
 * only the visible tab's changes (gb_machine_edit_apply_async, or the XML
 * through gb_machine_edit_define_xml_async); Revert fills that tab again
 * from the definition.  A refused Apply leaves what was typed in place and
 * shows the provider's message; changes that wait for the next boot are
 * listed.  What the page offers follows the machine's GbEditCaps; no
 * libvirt here.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "gb-machine-edit.h"
#include "gb-machine-editor.h"

struct _GbMachineEditor
{
  GtkWidget      parent_instance;

  GbMachine     *machine;
  GbEditState   *state;
  GCancellable  *cancellable;
  GSettings     *settings;
  char          *status;
  guint          busy;
  gboolean       filling;
  GbEditCaps     caps;          /* what the machine's provider can change */

  /* Disk and NIC changes waiting for Apply */
  GPtrArray     *add_disks;     /* GbEditDisk */
  GPtrArray     *add_nics;      /* GbEditNic */
  GHashTable    *remove_disks;  /* target → TRUE */
  GHashTable    *remove_nics;   /* MAC → TRUE */
  GHashTable    *media_rows;    /* target → AdwEntryRow of a CD/DVD drive */
  GPtrArray     *disk_rows;
  GPtrArray     *nic_rows;
  GPtrArray     *add_shares;    /* GbEditShare */
  GPtrArray     *add_usb;       /* GbEditUsb */
  GHashTable    *remove_shares; /* tag → TRUE */
  GHashTable    *remove_usb;    /* "vendor:product" → TRUE */
  GPtrArray     *share_rows;
  GPtrArray     *usb_rows;
  GPtrArray     *host_usb;      /* GbEditUsb, the choices of usb_choice_row */

  GtkStack            *stack;
  GtkWidget           *switcher;
  GtkLabel            *status_label;
  AdwEntryRow         *name_row;
  AdwEntryRow         *title_row;
  AdwPreferencesGroup *boot_group;
  AdwEntryRow         *kernel_row;
  AdwEntryRow         *initrd_row;
  AdwEntryRow         *cmdline_row;
  GtkSwitch           *autostart_switch;
  GtkTextView         *description_view;
  GtkSpinButton       *vcpus_spin;
  GtkSpinButton       *max_vcpus_spin;
  GtkSpinButton       *sockets_spin;
  GtkSpinButton       *cores_spin;
  GtkSpinButton       *threads_spin;
  GtkSpinButton       *memory_spin;
  GtkSpinButton       *max_memory_spin;
  AdwPreferencesGroup *disks_group;
  AdwEntryRow         *disk_path_row;
  GtkSpinButton       *disk_size_spin;
  AdwComboRow         *disk_device_row;
  AdwComboRow         *disk_bus_row;
  AdwComboRow         *disk_cache_row;
  GtkSwitch           *disk_readonly_switch;
  AdwPreferencesGroup *nics_group;
  AdwComboRow         *nic_type_row;
  AdwEntryRow         *nic_source_row;
  AdwComboRow         *nic_model_row;
  AdwEntryRow         *nic_mac_row;
  AdwComboRow         *boot_order_row;
  GtkSwitch           *boot_menu_switch;
  AdwComboRow         *firmware_row;
  AdwComboRow         *cpu_mode_row;
  AdwEntryRow         *cpu_model_row;
  AdwComboRow         *video_row;
  AdwComboRow         *sound_row;
  GtkSwitch           *rng_switch;
  GtkSwitch           *serial_switch;
  GtkSwitch           *tpm_switch;
  AdwActionRow        *tpm_row;
  AdwPreferencesGroup *shares_group;
  AdwPreferencesGroup *share_add_group;
  AdwEntryRow         *share_source_row;
  AdwEntryRow         *share_tag_row;
  AdwPreferencesGroup *usb_group;
  AdwComboRow         *usb_choice_row;
  GtkStringList       *usb_choices;
  GtkLabel            *xml_hint;
  GtkTextView         *xml_view;
};

G_DEFINE_FINAL_TYPE (GbMachineEditor, gb_machine_editor, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MACHINE,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The combo rows' items, in the template's order. */
static const char *const buses[] = { "virtio", "sata", "scsi", "usb", "ide" };
static const char *const caches[] = { "default", "none", "writeback", "writethrough", "directsync", "unsafe" };
static const char *const models[] = { "virtio", "e1000e", "rtl8139" };
static const char *const boot_orders[] = { "hd,cdrom", "cdrom,hd", "network,hd", "hd" };
static const char *const firmwares[] = { "bios", "efi" };
static const char *const cpu_modes[] = { "", "host-passthrough", "host-model", "custom" };
static const char *const videos[] = { "none", "vga", "bochs", "qxl", "virtio" };
static const char *const sounds[] = { "none", "ich9", "ich6", "ac97" };

/* The index of @value in @values, or @fallback.  The combo row keeps the
 * index it was filled with ("filled"), so an unknown value the list cannot
 * show (a cirrus card) is not changed unless the user picks another. */
static guint
index_of (const char *const *values,
          guint              n_values,
          const char        *value,
          guint              fallback)
{
  for (guint i = 0; i < n_values; i++)
    if (g_strcmp0 (values[i], value ? value : "") == 0)
      return i;
  return fallback;
}

static void
fill_combo (AdwComboRow *row,
            guint        index)
{
  adw_combo_row_set_selected (row, index);
  g_object_set_data (G_OBJECT (row), "filled", GUINT_TO_POINTER (index + 1));
}

static gboolean
combo_changed (AdwComboRow *row)
{
  return adw_combo_row_get_selected (row) + 1 != GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (row), "filled"));
}

static void load (GbMachineEditor *self);
/* The layout without a machine (or with one that cannot be edited): every
 * row, nothing loaded. */
#define NO_MACHINE_CAPS (GB_EDIT_CAP_DEFINE_XML | GB_EDIT_CAP_DEVICES)
static void fill_tab (GbMachineEditor *self, const char *tab);

gboolean
gb_machine_editor_can_edit (GbMachine *machine)
{
  g_return_val_if_fail (GB_IS_MACHINE (machine), FALSE);

  return gb_machine_edit_supported (machine);
}

GtkWidget *
gb_machine_editor_new (void)
{
  return g_object_new (GB_TYPE_MACHINE_EDITOR, NULL);
}

GbMachine *
gb_machine_editor_get_machine (GbMachineEditor *self)
{
  g_return_val_if_fail (GB_IS_MACHINE_EDITOR (self), NULL);
  return self->machine;
}

gboolean
gb_machine_editor_get_busy (GbMachineEditor *self)
{
  g_return_val_if_fail (GB_IS_MACHINE_EDITOR (self), FALSE);
  return self->busy > 0;
}

const char *
gb_machine_editor_get_status (GbMachineEditor *self)
{
  g_return_val_if_fail (GB_IS_MACHINE_EDITOR (self), NULL);
  return self->status;
}

void
gb_machine_editor_focus_name (GbMachineEditor *self)
{
  g_return_if_fail (GB_IS_MACHINE_EDITOR (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
}

const char *
gb_machine_editor_get_tab (GbMachineEditor *self)
{
  g_return_val_if_fail (GB_IS_MACHINE_EDITOR (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

void
gb_machine_editor_set_tab (GbMachineEditor *self,
                           const char      *tab)
{
  g_return_if_fail (GB_IS_MACHINE_EDITOR (self));
  gtk_stack_set_visible_child_name (self->stack, tab);
}

static void
set_busy (GbMachineEditor *self,
          gboolean         busy)
{
  self->busy += busy ? 1 : -1;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
set_status (GbMachineEditor *self,
            const char      *text,
            gboolean         error)
{
  g_free (self->status);
  self->status = g_strdup (text);
  gtk_label_set_label (self->status_label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), text != NULL);
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
}

static gboolean
editable (GbMachineEditor *self)
{
  return self->state != NULL && self->busy == 0;
}

static void
update_buttons (GbMachineEditor *self)
{
  const char *tab = gtk_stack_get_visible_child_name (self->stack);
  gboolean can = editable (self);

  if (g_strcmp0 (tab, "xml") == 0)
    can = can && g_settings_get_boolean (self->settings, "xml-editing") && (self->caps & GB_EDIT_CAP_DEFINE_XML);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.apply", can);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.revert", self->state != NULL && self->busy == 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.add-disk", can);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.add-nic", can);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.add-share", can && (self->caps & GB_EDIT_CAP_SHARES));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.add-usb",
                                 can && self->host_usb != NULL && self->host_usb->len > 0);
  /* Renaming is for a machine that is off (libvirt's rule). */
  gtk_widget_set_sensitive (GTK_WIDGET (self->name_row), self->state != NULL && !self->state->running);
}

/* Another tab: the last Apply's outcome belonged to the one left. */
static void
on_tab_changed (GbMachineEditor *self)
{
  set_status (self, NULL, FALSE);
  update_buttons (self);
}

static void
on_changed (GbMachineEditor *self)
{
  if (self->filling)
    return;
  /* The last Apply's outcome no longer describes what is shown. */
  if (self->status != NULL)
    set_status (self, NULL, FALSE);
}

/* Filling the tabs from the definition */

static char *
describe_disk (const GbConfigDisk *disk)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (parts, g_strdup (disk->target ? disk->target : "?"));
  if (g_strcmp0 (disk->device, "cdrom") == 0)
    g_ptr_array_add (parts, g_strdup (_("CD/DVD")));
  if (disk->bus)
    g_ptr_array_add (parts, g_strdup (disk->bus));
  if (disk->format)
    g_ptr_array_add (parts, g_strdup (disk->format));
  if (disk->read_only)
    g_ptr_array_add (parts, g_strdup (_("read-only")));
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (" · ", (char **) parts->pdata);
}

static void
clear_group_rows (AdwPreferencesGroup *group,
                  GPtrArray           *rows)
{
  for (guint i = 0; i < rows->len; i++)
    adw_preferences_group_remove (group, g_ptr_array_index (rows, i));
  g_ptr_array_set_size (rows, 0);
}

static void fill_disks (GbMachineEditor *self, gboolean keep);
static void fill_nics (GbMachineEditor *self, gboolean keep);

static void
on_remove_disk_toggled (GtkToggleButton *button,
                        GbMachineEditor *self)
{
  const char *target = g_object_get_data (G_OBJECT (button), "target");
  GtkWidget *row = g_object_get_data (G_OBJECT (button), "row");

  if (gtk_toggle_button_get_active (button))
    g_hash_table_add (self->remove_disks, g_strdup (target));
  else
    g_hash_table_remove (self->remove_disks, target);
  gtk_widget_set_opacity (row, gtk_toggle_button_get_active (button) ? 0.5 : 1.0);
  on_changed (self);
}

static void
on_remove_nic_toggled (GtkToggleButton *button,
                       GbMachineEditor *self)
{
  const char *mac = g_object_get_data (G_OBJECT (button), "mac");
  GtkWidget *row = g_object_get_data (G_OBJECT (button), "row");

  if (gtk_toggle_button_get_active (button))
    g_hash_table_add (self->remove_nics, g_strdup (mac));
  else
    g_hash_table_remove (self->remove_nics, mac);
  gtk_widget_set_opacity (row, gtk_toggle_button_get_active (button) ? 0.5 : 1.0);
  on_changed (self);
}

static void
on_eject_clicked (GtkButton *button,
                  AdwEntryRow *row)
{
  gtk_editable_set_text (GTK_EDITABLE (row), "");
}

static void
on_undo_add_clicked (GtkButton       *button,
                     GbMachineEditor *self)
{
  gpointer item = g_object_get_data (G_OBJECT (button), "item");

  if (!g_ptr_array_remove (self->add_disks, item))
    g_ptr_array_remove (self->add_nics, item);
  fill_disks (self, TRUE);
  fill_nics (self, TRUE);
}

/* An icon button's tooltip is not its name: a screen reader reads the
 * same words as its name. */
static void
set_tip_and_name (GtkWidget  *widget,
                  const char *text)
{
  gtk_widget_set_tooltip_text (widget, text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
}

static GtkWidget *
remove_toggle (GbMachineEditor *self,
               GtkWidget       *row,
               const char      *key,
               const char      *value,
               gboolean         active,
               GCallback        callback)
{
  GtkWidget *toggle = gtk_toggle_button_new ();

  gtk_button_set_icon_name (GTK_BUTTON (toggle), "user-trash-symbolic");
  gtk_widget_set_valign (toggle, GTK_ALIGN_CENTER);
  set_tip_and_name (toggle, _("Remove when applied"));
  gtk_widget_add_css_class (toggle, "flat");
  g_object_set_data_full (G_OBJECT (toggle), key, g_strdup (value), g_free);
  g_object_set_data (G_OBJECT (toggle), "row", row);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (toggle), active);
  gtk_widget_set_opacity (row, active ? 0.5 : 1.0);
  g_signal_connect (toggle, "toggled", callback, self);
  return toggle;
}

static GtkWidget *
undo_button (GbMachineEditor *self,
             gpointer         item)
{
  GtkWidget *button = gtk_button_new_from_icon_name ("edit-undo-symbolic");

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  set_tip_and_name (button, _("Do not add"));
  gtk_widget_add_css_class (button, "flat");
  g_object_set_data (G_OBJECT (button), "item", item);
  g_signal_connect (button, "clicked", G_CALLBACK (on_undo_add_clicked), self);
  return button;
}

typedef struct {
  guint    bus;
  guint    cache;
  gboolean read_only;
  gboolean expanded;
} DiskChoice;

/* @keep: the rows are made again for a disk added or taken back; what was
 * chosen in them stays. */
static void
fill_disks (GbMachineEditor *self,
            gboolean         keep)
{
  GPtrArray *disks = self->state ? gb_machine_config_get_disks (self->state->config) : NULL;
  g_autoptr(GHashTable) old_media = g_steal_pointer (&self->media_rows);
  g_autoptr(GHashTable) choices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) typed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint i = 0; keep && i < self->disk_rows->len; i++)
    {
      GObject *row = g_ptr_array_index (self->disk_rows, i);
      AdwComboRow *bus_row = g_object_get_data (row, "bus-row");
      DiskChoice *choice;

      if (bus_row == NULL)
        continue;
      choice = g_new0 (DiskChoice, 1);
      choice->bus = adw_combo_row_get_selected (bus_row);
      choice->cache = adw_combo_row_get_selected (g_object_get_data (row, "cache-row"));
      choice->read_only = gtk_switch_get_active (g_object_get_data (row, "ro-switch"));
      choice->expanded = adw_expander_row_get_expanded (ADW_EXPANDER_ROW (row));
      g_hash_table_insert (choices, g_strdup (g_object_get_data (row, "target")), choice);
    }
  if (keep && old_media != NULL)
    {
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, old_media);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (typed, g_strdup (key), g_strdup (gtk_editable_get_text (GTK_EDITABLE (value))));
    }

  self->media_rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  clear_group_rows (self->disks_group, self->disk_rows);

  for (guint i = 0; disks && i < disks->len; i++)
    {
      const GbConfigDisk *disk = g_ptr_array_index (disks, i);
      g_autofree char *subtitle = describe_disk (disk);
      gboolean removed = disk->target && g_hash_table_contains (self->remove_disks, disk->target);
      GtkWidget *row;

      if (g_strcmp0 (disk->device, "cdrom") == 0 && disk->target != NULL)
        {
          /* A drive: its medium is the row's text; empty is ejected. */
          GtkWidget *eject = gtk_button_new_from_icon_name ("media-eject-symbolic");

          row = adw_entry_row_new ();
          g_autofree char *title = g_strdup_printf (_("CD/DVD %s"), subtitle);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
          gtk_editable_set_text (GTK_EDITABLE (row), disk->path ? disk->path : "");
          g_object_set_data_full (G_OBJECT (row), "medium", g_strdup (disk->path ? disk->path : ""), g_free);
          gtk_widget_set_valign (eject, GTK_ALIGN_CENTER);
          set_tip_and_name (eject, _("Eject"));
          gtk_widget_add_css_class (eject, "flat");
          g_signal_connect (eject, "clicked", G_CALLBACK (on_eject_clicked), row);
          g_signal_connect_swapped (row, "changed", G_CALLBACK (on_changed), self);
          adw_entry_row_add_suffix (ADW_ENTRY_ROW (row), eject);
          adw_entry_row_add_suffix (ADW_ENTRY_ROW (row),
                                    remove_toggle (self, row, "target", disk->target, removed,
                                                   G_CALLBACK (on_remove_disk_toggled)));
          g_hash_table_insert (self->media_rows, g_strdup (disk->target), row);
          /* A medium typed before the rows were made again stays. */
          if (g_hash_table_contains (typed, disk->target))
            gtk_editable_set_text (GTK_EDITABLE (row), g_hash_table_lookup (typed, disk->target));
        }
      else if (disk->target != NULL && (self->caps & GB_EDIT_CAP_DEVICES))
        {
          /* A disk: its bus, cache mode and read-only inside the row. */
          static const char *const bus_labels[] = { N_("VirtIO"), N_("SATA"), N_("SCSI"), N_("USB"), N_("IDE") };
          static const char *const cache_labels[] = { N_("Default"), N_("None"), N_("Write-back"),
                                                      N_("Write-through"), N_("Direct sync"), N_("Unsafe") };
          g_autoptr(GtkStringList) bus_list = gtk_string_list_new (NULL);
          g_autoptr(GtkStringList) cache_list = gtk_string_list_new (NULL);
          GtkWidget *bus_row = adw_combo_row_new ();
          GtkWidget *cache_row = adw_combo_row_new ();
          GtkWidget *ro_row = adw_action_row_new ();
          GtkWidget *ro_switch = gtk_switch_new ();
          const char *cache = self->state->disk_cache ? g_hash_table_lookup (self->state->disk_cache, disk->target) : NULL;

          for (guint b = 0; b < G_N_ELEMENTS (bus_labels); b++)
            gtk_string_list_append (bus_list, _(bus_labels[b]));
          for (guint c = 0; c < G_N_ELEMENTS (cache_labels); c++)
            gtk_string_list_append (cache_list, _(cache_labels[c]));

          row = adw_expander_row_new ();
          adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), disk->path ? disk->path : _("Empty drive"));
          adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), subtitle);
          gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                          disk->path ? disk->path : _("Empty drive"), -1);
          adw_expander_row_add_action (ADW_EXPANDER_ROW (row),
                                       remove_toggle (self, row, "target", disk->target, removed,
                                                      G_CALLBACK (on_remove_disk_toggled)));

          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (bus_row), _("Bus"));
          adw_combo_row_set_model (ADW_COMBO_ROW (bus_row), G_LIST_MODEL (bus_list));
          fill_combo (ADW_COMBO_ROW (bus_row), index_of (buses, G_N_ELEMENTS (buses), disk->bus, 0));
          g_signal_connect_swapped (bus_row, "notify::selected", G_CALLBACK (on_changed), self);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (cache_row), _("Cache"));
          adw_combo_row_set_model (ADW_COMBO_ROW (cache_row), G_LIST_MODEL (cache_list));
          fill_combo (ADW_COMBO_ROW (cache_row), index_of (caches, G_N_ELEMENTS (caches), cache ? cache : "default", 0));
          g_signal_connect_swapped (cache_row, "notify::selected", G_CALLBACK (on_changed), self);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (ro_row), _("Read-Only"));
          gtk_widget_set_valign (ro_switch, GTK_ALIGN_CENTER);
          gtk_switch_set_active (GTK_SWITCH (ro_switch), disk->read_only);
          g_signal_connect_swapped (ro_switch, "notify::active", G_CALLBACK (on_changed), self);
          adw_action_row_add_suffix (ADW_ACTION_ROW (ro_row), ro_switch);
          adw_action_row_set_activatable_widget (ADW_ACTION_ROW (ro_row), ro_switch);
          adw_expander_row_add_row (ADW_EXPANDER_ROW (row), bus_row);
          adw_expander_row_add_row (ADW_EXPANDER_ROW (row), cache_row);
          adw_expander_row_add_row (ADW_EXPANDER_ROW (row), ro_row);

          g_object_set_data_full (G_OBJECT (row), "target", g_strdup (disk->target), g_free);
          g_object_set_data (G_OBJECT (row), "bus-row", bus_row);
          g_object_set_data (G_OBJECT (row), "cache-row", cache_row);
          g_object_set_data (G_OBJECT (row), "ro-switch", ro_switch);
          g_object_set_data (G_OBJECT (row), "ro-initial", GINT_TO_POINTER (disk->read_only));
          {
            DiskChoice *choice = g_hash_table_lookup (choices, disk->target);

            if (choice != NULL)
              {
                adw_combo_row_set_selected (ADW_COMBO_ROW (bus_row), choice->bus);
                adw_combo_row_set_selected (ADW_COMBO_ROW (cache_row), choice->cache);
                gtk_switch_set_active (GTK_SWITCH (ro_switch), choice->read_only);
                adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row), choice->expanded);
              }
          }
        }
      else
        {
          /* A machine file's disk: removed, not changed, here. */
          row = adw_action_row_new ();
          adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), disk->path ? disk->path : _("Empty drive"));
          adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
          if (disk->target != NULL)
            adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                       remove_toggle (self, row, "target", disk->target, removed,
                                                      G_CALLBACK (on_remove_disk_toggled)));
        }
      adw_preferences_group_add (self->disks_group, row);
      g_ptr_array_add (self->disk_rows, row);
    }

  for (guint i = 0; i < self->add_disks->len; i++)
    {
      GbEditDisk *disk = g_ptr_array_index (self->add_disks, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *size = disk->new_size ? g_format_size_full (disk->new_size, G_FORMAT_SIZE_IEC_UNITS) : NULL;
      g_autofree char *subtitle = size ? g_strdup_printf (_("New %s image, made when applied · %s"), size, disk->bus)
                                       : g_strdup_printf (_("Added when applied · %s"), disk->bus);

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     disk->path ? disk->path : disk->new_size ? _("In the pool “default”") : _("Empty drive"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), undo_button (self, disk));
      adw_preferences_group_add (self->disks_group, row);
      g_ptr_array_add (self->disk_rows, row);
    }
}

static void
fill_nics (GbMachineEditor *self,
           gboolean         keep)
{
  GPtrArray *nics = self->state ? gb_machine_config_get_nics (self->state->config) : NULL;
  g_autoptr(GHashTable) kept = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  /* What was chosen in the rows stays when they are made again for an
   * interface added or taken back: "type|model|expanded|source". */
  for (guint i = 0; keep && i < self->nic_rows->len; i++)
    {
      GObject *row = g_ptr_array_index (self->nic_rows, i);
      AdwComboRow *type_row = g_object_get_data (row, "type-row");

      if (type_row == NULL)
        continue;
      g_hash_table_insert (kept, g_strdup (g_object_get_data (row, "mac")),
                           g_strdup_printf ("%u|%u|%d|%s", adw_combo_row_get_selected (type_row),
                                            adw_combo_row_get_selected (g_object_get_data (row, "model-row")),
                                            adw_expander_row_get_expanded (ADW_EXPANDER_ROW (row)),
                                            gtk_editable_get_text (g_object_get_data (row, "source-row"))));
    }

  clear_group_rows (self->nics_group, self->nic_rows);

  for (guint i = 0; nics && i < nics->len; i++)
    {
      const GbConfigNic *nic = g_ptr_array_index (nics, i);
      g_autofree char *subtitle = g_strdup_printf ("%s %s · %s", nic->type ? nic->type : "",
                                                   nic->source ? nic->source : "",
                                                   nic->model ? nic->model : _("default model"));
      gboolean editable_kind = g_strcmp0 (nic->type, "network") == 0 || g_strcmp0 (nic->type, "bridge") == 0;
      GtkWidget *row;

      if (nic->mac != NULL && editable_kind && (self->caps & GB_EDIT_CAP_DEVICES))
        {
          /* Where it connects and its model, inside its row. */
          static const char *const type_labels[] = { N_("Virtual network"), N_("Host bridge") };
          static const char *const model_labels[] = { N_("VirtIO"), N_("e1000e"), N_("rtl8139") };
          g_autoptr(GtkStringList) type_list = gtk_string_list_new (NULL);
          g_autoptr(GtkStringList) model_list = gtk_string_list_new (NULL);
          GtkWidget *type_row = adw_combo_row_new ();
          GtkWidget *source_row = adw_entry_row_new ();
          GtkWidget *model_row = adw_combo_row_new ();

          for (guint t = 0; t < G_N_ELEMENTS (type_labels); t++)
            gtk_string_list_append (type_list, _(type_labels[t]));
          for (guint m = 0; m < G_N_ELEMENTS (model_labels); m++)
            gtk_string_list_append (model_list, _(model_labels[m]));

          row = adw_expander_row_new ();
          adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), nic->mac);
          adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), subtitle);
          gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, nic->mac, -1);
          adw_expander_row_add_action (ADW_EXPANDER_ROW (row),
                                       remove_toggle (self, row, "mac", nic->mac,
                                                      g_hash_table_contains (self->remove_nics, nic->mac),
                                                      G_CALLBACK (on_remove_nic_toggled)));
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (type_row), _("Connect To"));
          adw_combo_row_set_model (ADW_COMBO_ROW (type_row), G_LIST_MODEL (type_list));
          fill_combo (ADW_COMBO_ROW (type_row), g_strcmp0 (nic->type, "bridge") == 0 ? 1 : 0);
          g_signal_connect_swapped (type_row, "notify::selected", G_CALLBACK (on_changed), self);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (source_row), _("Network or Bridge Name"));
          gtk_editable_set_text (GTK_EDITABLE (source_row), nic->source ? nic->source : "");
          g_signal_connect_swapped (source_row, "changed", G_CALLBACK (on_changed), self);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (model_row), _("Model"));
          adw_combo_row_set_model (ADW_COMBO_ROW (model_row), G_LIST_MODEL (model_list));
          /* An unknown model (ne2k_pci) shows as VirtIO and stays unless
           * another is picked (fill_combo). */
          fill_combo (ADW_COMBO_ROW (model_row), index_of (models, G_N_ELEMENTS (models), nic->model, 0));
          g_signal_connect_swapped (model_row, "notify::selected", G_CALLBACK (on_changed), self);
          adw_expander_row_add_row (ADW_EXPANDER_ROW (row), type_row);
          adw_expander_row_add_row (ADW_EXPANDER_ROW (row), source_row);
          adw_expander_row_add_row (ADW_EXPANDER_ROW (row), model_row);
          g_object_set_data_full (G_OBJECT (row), "mac", g_strdup (nic->mac), g_free);
          g_object_set_data_full (G_OBJECT (row), "source", g_strdup (nic->source ? nic->source : ""), g_free);
          g_object_set_data_full (G_OBJECT (row), "model", g_strdup (nic->model), g_free);
          g_object_set_data (G_OBJECT (row), "type-row", type_row);
          g_object_set_data (G_OBJECT (row), "source-row", source_row);
          g_object_set_data (G_OBJECT (row), "model-row", model_row);
          if (g_hash_table_contains (kept, nic->mac))
            {
              g_auto(GStrv) parts = g_strsplit (g_hash_table_lookup (kept, nic->mac), "|", 4);

              adw_combo_row_set_selected (ADW_COMBO_ROW (type_row), (guint) g_ascii_strtoull (parts[0], NULL, 10));
              adw_combo_row_set_selected (ADW_COMBO_ROW (model_row), (guint) g_ascii_strtoull (parts[1], NULL, 10));
              adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row), g_str_equal (parts[2], "1"));
              gtk_editable_set_text (GTK_EDITABLE (source_row), parts[3] ? parts[3] : "");
            }
        }
      else
        {
          g_autofree char *key = NULL;

          row = adw_action_row_new ();
          adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), nic->mac ? nic->mac : _("Automatic address"));
          adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
          /* Removed by its MAC, or (a machine file's NIC without one) by
           * its place: "#0". */
          key = nic->mac ? g_strdup (nic->mac) : (self->caps & GB_EDIT_CAP_NIC_BY_PLACE) ? g_strdup_printf ("#%u", i) : NULL;
          if (key != NULL)
            adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                       remove_toggle (self, row, "mac", key,
                                                      g_hash_table_contains (self->remove_nics, key),
                                                      G_CALLBACK (on_remove_nic_toggled)));
        }
      adw_preferences_group_add (self->nics_group, row);
      g_ptr_array_add (self->nic_rows, row);
    }

  for (guint i = 0; i < self->add_nics->len; i++)
    {
      GbEditNic *nic = g_ptr_array_index (self->add_nics, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *subtitle = g_strdup_printf (_("Added when applied · %s %s"), nic->type,
                                                   nic->source ? nic->source : "");

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     nic->mac && *nic->mac ? nic->mac : _("Automatic address"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), undo_button (self, nic));
      adw_preferences_group_add (self->nics_group, row);
      g_ptr_array_add (self->nic_rows, row);
    }
}

static void
on_remove_keyed_toggled (GtkToggleButton *button,
                         GbMachineEditor *self)
{
  GHashTable *set = g_object_get_data (G_OBJECT (button), "set");
  const char *key = g_object_get_data (G_OBJECT (button), "key");
  GtkWidget *row = g_object_get_data (G_OBJECT (button), "row");

  if (gtk_toggle_button_get_active (button))
    g_hash_table_add (set, g_strdup (key));
  else
    g_hash_table_remove (set, key);
  gtk_widget_set_opacity (row, gtk_toggle_button_get_active (button) ? 0.5 : 1.0);
  on_changed (self);
}

static void fill_shares_usb (GbMachineEditor *self);

static void
on_undo_device_clicked (GtkButton       *button,
                        GbMachineEditor *self)
{
  gpointer item = g_object_get_data (G_OBJECT (button), "item");

  if (!g_ptr_array_remove (self->add_shares, item))
    g_ptr_array_remove (self->add_usb, item);
  fill_shares_usb (self);
}

static void
add_device_row (GbMachineEditor     *self,
                AdwPreferencesGroup *group,
                GPtrArray           *rows,
                const char          *title,
                const char          *subtitle,
                GHashTable          *remove_set,
                const char          *key,
                gpointer             pending)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *button;

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title ? title : "");
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle ? subtitle : "");
  if (pending != NULL)
    {
      button = gtk_button_new_from_icon_name ("edit-undo-symbolic");
      set_tip_and_name (button, _("Do not add"));
      g_object_set_data (G_OBJECT (button), "item", pending);
      g_signal_connect (button, "clicked", G_CALLBACK (on_undo_device_clicked), self);
    }
  else
    {
      gboolean active = g_hash_table_contains (remove_set, key);

      button = gtk_toggle_button_new ();
      gtk_button_set_icon_name (GTK_BUTTON (button), "user-trash-symbolic");
      set_tip_and_name (button, _("Remove when applied"));
      g_object_set_data (G_OBJECT (button), "set", remove_set);
      g_object_set_data_full (G_OBJECT (button), "key", g_strdup (key), g_free);
      g_object_set_data (G_OBJECT (button), "row", row);
      gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (button), active);
      gtk_widget_set_opacity (row, active ? 0.5 : 1.0);
      g_signal_connect (button, "toggled", G_CALLBACK (on_remove_keyed_toggled), self);
    }
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  adw_preferences_group_add (group, row);
  g_ptr_array_add (rows, row);
}

static void
fill_shares_usb (GbMachineEditor *self)
{
  GPtrArray *shares = self->state ? self->state->shares : NULL;
  GPtrArray *usb = self->state ? self->state->usb : NULL;

  clear_group_rows (self->shares_group, self->share_rows);
  clear_group_rows (self->usb_group, self->usb_rows);

  for (guint i = 0; shares && i < shares->len; i++)
    {
      GbEditShare *share = g_ptr_array_index (shares, i);
      add_device_row (self, self->shares_group, self->share_rows, share->tag, share->source,
                      self->remove_shares, share->tag, NULL);
    }
  for (guint i = 0; i < self->add_shares->len; i++)
    {
      GbEditShare *share = g_ptr_array_index (self->add_shares, i);
      g_autofree char *subtitle = g_strdup_printf (_("Added when applied · %s"), share->source);

      add_device_row (self, self->shares_group, self->share_rows, share->tag, subtitle, NULL, NULL, share);
    }
  for (guint i = 0; usb && i < usb->len; i++)
    {
      GbEditUsb *dev = g_ptr_array_index (usb, i);
      g_autofree char *key = g_strdup_printf ("%s:%s", dev->vendor, dev->product);
      const char *name = NULL;

      for (guint j = 0; self->host_usb && j < self->host_usb->len; j++)
        {
          GbEditUsb *host = g_ptr_array_index (self->host_usb, j);
          if (g_strcmp0 (host->vendor, dev->vendor) == 0 && g_strcmp0 (host->product, dev->product) == 0)
            name = host->description;
        }
      add_device_row (self, self->usb_group, self->usb_rows, key, name, self->remove_usb, key, NULL);
    }
  for (guint i = 0; i < self->add_usb->len; i++)
    {
      GbEditUsb *dev = g_ptr_array_index (self->add_usb, i);
      g_autofree char *key = g_strdup_printf ("%s:%s", dev->vendor, dev->product);
      g_autofree char *subtitle = g_strdup_printf (_("Added when applied · %s"), dev->description ? dev->description : "");

      add_device_row (self, self->usb_group, self->usb_rows, key, subtitle, NULL, NULL, dev);
    }

  /* virtiofsd on this host: the connection may be remote, but a folder
   * shared from this computer needs it here. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->share_add_group), (self->caps & GB_EDIT_CAP_SHARES) != 0);
  if (!(self->caps & GB_EDIT_CAP_SHARES))
    adw_preferences_group_set_description (self->share_add_group, _("Needs virtiofsd, which is not installed here"));
}

static void
list_usb_done (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GbMachineEditor) self = user_data;
  g_autoptr(GError) error = NULL;
  GPtrArray *list = gb_machine_edit_list_usb_finish (GB_MACHINE (object), result, &error);
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->usb_choices));

  g_clear_pointer (&self->host_usb, g_ptr_array_unref);
  self->host_usb = list;
  gtk_string_list_splice (self->usb_choices, 0, n_items, NULL);
  for (guint i = 0; list && i < list->len; i++)
    {
      GbEditUsb *usb = g_ptr_array_index (list, i);
      g_autofree char *label = g_strdup_printf ("%s:%s %s", usb->vendor, usb->product, usb->description);

      gtk_string_list_append (self->usb_choices, label);
    }
  if (list == NULL || list->len == 0)
    {
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->usb_choice_row),
                                  error ? error->message : _("The host has no USB devices to pass on"));
      gtk_widget_set_sensitive (GTK_WIDGET (self->usb_choice_row), FALSE);
    }
  else
    gtk_widget_set_sensitive (GTK_WIDGET (self->usb_choice_row), TRUE);
  update_buttons (self);
  fill_shares_usb (self);
}

static void
update_xml_hint (GbMachineEditor *self)
{
  gboolean definition = (self->caps & GB_EDIT_CAP_DEFINE_XML) != 0;
  gboolean editing = g_settings_get_boolean (self->settings, "xml-editing") && definition;

  gtk_text_view_set_editable (self->xml_view, editing);
  gtk_text_view_set_cursor_visible (self->xml_view, editing);
  if (!definition)
    gtk_label_set_label (self->xml_hint,
                         _("The machine file glassbox-vmm reads when the machine starts. The other tabs change it while the machine is off."));
  else
    gtk_label_set_label (self->xml_hint,
                         editing ? _("The definition libvirt keeps for the next start. Apply checks it against libvirt's schema before defining it.")
                                 : _("The definition libvirt keeps for the next start. Editing it can be turned on in Preferences."));
  update_buttons (self);
}

static void
fill_tab (GbMachineEditor *self,
          const char      *tab)
{
  GbEditState *st = self->state;

  self->filling = TRUE;

  if (g_strcmp0 (tab, "general") == 0)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->name_row), st ? gb_machine_config_get_name (st->config) : "");
      gtk_editable_set_text (GTK_EDITABLE (self->title_row), st && st->title ? st->title : "");
      gtk_switch_set_active (self->autostart_switch, st && st->autostart);
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->description_view),
                                st && st->description ? st->description : "", -1);
      gtk_editable_set_text (GTK_EDITABLE (self->kernel_row), st && st->kernel ? st->kernel : "");
      gtk_editable_set_text (GTK_EDITABLE (self->initrd_row), st && st->initrd ? st->initrd : "");
      gtk_editable_set_text (GTK_EDITABLE (self->cmdline_row), st && st->cmdline ? st->cmdline : "");
    }
  else if (g_strcmp0 (tab, "cpu") == 0 && st != NULL)
    {
      gtk_spin_button_set_value (self->max_vcpus_spin, st->max_vcpus);
      gtk_spin_button_set_value (self->vcpus_spin, st->vcpus);
      /* Without a <topology>, libvirt gives each vCPU its own socket. */
      gtk_spin_button_set_value (self->sockets_spin, st->sockets ? st->sockets : st->max_vcpus);
      gtk_spin_button_set_value (self->cores_spin, st->cores ? st->cores : 1);
      gtk_spin_button_set_value (self->threads_spin, st->threads ? st->threads : 1);
      gtk_spin_button_set_value (self->max_memory_spin, st->max_memory_kib / 1024);
      gtk_spin_button_set_value (self->memory_spin, st->memory_kib / 1024);
    }
  else if (g_strcmp0 (tab, "disks") == 0)
    {
      g_ptr_array_set_size (self->add_disks, 0);
      g_hash_table_remove_all (self->remove_disks);
      gtk_editable_set_text (GTK_EDITABLE (self->disk_path_row), "");
      fill_disks (self, FALSE);
    }
  else if (g_strcmp0 (tab, "network") == 0)
    {
      g_ptr_array_set_size (self->add_nics, 0);
      g_hash_table_remove_all (self->remove_nics);
      gtk_editable_set_text (GTK_EDITABLE (self->nic_source_row), "");
      gtk_editable_set_text (GTK_EDITABLE (self->nic_mac_row), "");
      fill_nics (self, FALSE);
    }
  else if (g_strcmp0 (tab, "devices") == 0 && st != NULL && (self->caps & GB_EDIT_CAP_DEVICES))
    {
      g_autofree char *order = g_strjoinv (",", st->boot_order);
      guint boot = index_of (boot_orders, G_N_ELEMENTS (boot_orders), order,
                             st->boot_order && st->boot_order[0] && g_str_equal (st->boot_order[0], "cdrom") ? 1 :
                             st->boot_order && st->boot_order[0] && g_str_equal (st->boot_order[0], "network") ? 2 : 0);

      fill_combo (self->boot_order_row, boot);
      gtk_switch_set_active (self->boot_menu_switch, st->boot_menu);
      fill_combo (self->firmware_row, index_of (firmwares, G_N_ELEMENTS (firmwares), st->firmware, 0));
      fill_combo (self->cpu_mode_row, index_of (cpu_modes, G_N_ELEMENTS (cpu_modes), st->cpu_mode, 0));
      gtk_editable_set_text (GTK_EDITABLE (self->cpu_model_row), st->cpu_model ? st->cpu_model : "");
      fill_combo (self->video_row, index_of (videos, G_N_ELEMENTS (videos), st->video_model ? st->video_model : "none", 1));
      fill_combo (self->sound_row, index_of (sounds, G_N_ELEMENTS (sounds), st->sound_model ? st->sound_model : "none", 1));
      gtk_switch_set_active (self->rng_switch, st->rng);
      gtk_switch_set_active (self->serial_switch, st->serial);
      gtk_switch_set_active (self->tpm_switch, st->tpm);
      /* Firmware is chosen while the machine is off (as virt-manager, before
       * a system is installed); a TPM needs swtpm on this host. */
      gtk_widget_set_sensitive (GTK_WIDGET (self->firmware_row), !st->running && !st->ever_started);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->firmware_row),
                                   st->ever_started ? _("Chosen before the first start: the installed system needs it")
                                                     : _("Choose it before installing a system"));
      gtk_widget_set_sensitive (GTK_WIDGET (self->tpm_switch), st->tpm || (self->caps & GB_EDIT_CAP_TPM));
      if (!(self->caps & GB_EDIT_CAP_TPM))
        adw_action_row_set_subtitle (self->tpm_row, _("Needs swtpm, which is not installed here"));
      gtk_widget_set_visible (GTK_WIDGET (self->cpu_model_row),
                              adw_combo_row_get_selected (self->cpu_mode_row) == 3);
      g_ptr_array_set_size (self->add_shares, 0);
      g_ptr_array_set_size (self->add_usb, 0);
      g_hash_table_remove_all (self->remove_shares);
      g_hash_table_remove_all (self->remove_usb);
      gtk_editable_set_text (GTK_EDITABLE (self->share_source_row), "");
      gtk_editable_set_text (GTK_EDITABLE (self->share_tag_row), "");
      fill_shares_usb (self);
      if (self->machine != NULL && (self->caps & GB_EDIT_CAP_USB))
        gb_machine_edit_list_usb_async (self->machine, self->cancellable, list_usb_done, g_object_ref (self));
    }
  else if (g_strcmp0 (tab, "xml") == 0)
    {
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->xml_view), st ? st->xml : "", -1);
      update_xml_hint (self);
    }

  self->filling = FALSE;
}

static void
fill_all (GbMachineEditor *self)
{
  static const char *const tabs[] = { "general", "cpu", "disks", "network", "devices", "xml" };

  for (guint i = 0; i < G_N_ELEMENTS (tabs); i++)
    fill_tab (self, tabs[i]);
  update_buttons (self);
}

static void take_state (GbMachineEditor *self, GbEditState *state, const char *tab, GError *error);

typedef struct {
  GbMachineEditor *self;
  char            *tab;     /* NULL: all tabs */
} LoadData;

static void
load_done (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autofree LoadData *ld = user_data;
  g_autofree char *tab = ld->tab;
  g_autoptr(GError) error = NULL;
  GbEditState *state;
  GbMachineEditor *self;

  state = gb_machine_edit_load_finish (GB_MACHINE (object), result, &error);
  if (state == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = ld->self;
  set_busy (self, FALSE);
  if (self->machine != GB_MACHINE (object))
    {
      gb_edit_state_free (state);
      return;
    }
  take_state (self, state, tab, error);
}

/* Shows @state (taken), or @error when there is none. */
static void
take_state (GbMachineEditor *self,
            GbEditState     *state,
            const char      *tab,
            GError          *error)
{
  if (state == NULL)
    {
      set_status (self, error->message, TRUE);
      update_buttons (self);
      return;
    }

  g_clear_pointer (&self->state, gb_edit_state_free);
  self->state = state;
  if (tab == NULL)
    fill_all (self);
  else
    {
      fill_tab (self, tab);
      /* The XML tab always shows the definition as it now is. */
      if (g_strcmp0 (tab, "xml") != 0)
        fill_tab (self, "xml");
      update_buttons (self);
    }
}

static void
load_tab (GbMachineEditor *self,
          const char      *tab)
{
  LoadData *ld;

  if (self->machine == NULL)
    return;
  /* A machine file is in memory already: no waiting. */
  if (self->caps & GB_EDIT_CAP_LOAD_NOW)
    {
      g_autoptr(GError) error = NULL;
      GbEditState *state = gb_machine_edit_load_now (self->machine, &error);

      take_state (self, state, tab, error);
      return;
    }
  if (!(self->caps & GB_EDIT_CAP_SUPPORTED))
    return;

  ld = g_new0 (LoadData, 1);
  ld->self = self;
  ld->tab = g_strdup (tab);
  set_busy (self, TRUE);
  update_buttons (self);
  gb_machine_edit_load_async (self->machine, self->cancellable, load_done, ld);
}

static void
load (GbMachineEditor *self)
{
  load_tab (self, NULL);
}

/* Apply */

static char *
text_of (GtkTextView *view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static GbMachineEdit *
collect_edit (GbMachineEditor *self,
              const char      *tab)
{
  GbEditState *st = self->state;
  GbMachineEdit *edit = gb_machine_edit_new ();

  if (g_strcmp0 (tab, "general") == 0)
    {
      const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
      const char *title = gtk_editable_get_text (GTK_EDITABLE (self->title_row));
      g_autofree char *description = text_of (self->description_view);

      if (g_strcmp0 (name, gb_machine_config_get_name (st->config)) != 0)
        {
          edit->fields |= GB_EDIT_NAME;
          edit->name = g_strstrip (g_strdup (name));
        }
      if (g_strcmp0 (title, st->title ? st->title : "") != 0)
        {
          edit->fields |= GB_EDIT_TITLE;
          edit->title = g_strdup (title);
        }
      if (g_strcmp0 (description, st->description ? st->description : "") != 0)
        {
          edit->fields |= GB_EDIT_DESCRIPTION;
          edit->description = g_strdup (description);
        }
      if (self->caps & GB_EDIT_CAP_KERNEL)
        {
          const char *kernel = gtk_editable_get_text (GTK_EDITABLE (self->kernel_row));
          const char *initrd = gtk_editable_get_text (GTK_EDITABLE (self->initrd_row));
          const char *cmdline = gtk_editable_get_text (GTK_EDITABLE (self->cmdline_row));

          if (g_strcmp0 (kernel, st->kernel ? st->kernel : "") != 0 ||
              g_strcmp0 (initrd, st->initrd ? st->initrd : "") != 0 ||
              g_strcmp0 (cmdline, st->cmdline ? st->cmdline : "") != 0)
            {
              edit->fields |= GB_EDIT_KERNEL;
              edit->kernel = g_strdup (kernel);
              edit->initrd = g_strdup (initrd);
              edit->cmdline = g_strdup (cmdline);
            }
        }
      if (gtk_switch_get_active (self->autostart_switch) != st->autostart)
        {
          edit->fields |= GB_EDIT_AUTOSTART;
          edit->autostart = gtk_switch_get_active (self->autostart_switch);
        }
    }
  else if (g_strcmp0 (tab, "cpu") == 0)
    {
      guint vcpus = gtk_spin_button_get_value_as_int (self->vcpus_spin);
      guint max_vcpus = gtk_spin_button_get_value_as_int (self->max_vcpus_spin);
      guint64 memory = (guint64) gtk_spin_button_get_value (self->memory_spin) * 1024;
      guint64 max_memory = (guint64) gtk_spin_button_get_value (self->max_memory_spin) * 1024;

      guint sockets = gtk_spin_button_get_value_as_int (self->sockets_spin);
      guint cores = gtk_spin_button_get_value_as_int (self->cores_spin);
      guint threads = gtk_spin_button_get_value_as_int (self->threads_spin);
      gboolean topology_changed = sockets != (st->sockets ? st->sockets : max_vcpus) ||
                                  cores != (st->cores ? st->cores : 1) ||
                                  threads != (st->threads ? st->threads : 1);

      if (vcpus != st->vcpus || max_vcpus != st->max_vcpus || topology_changed)
        {
          edit->fields |= GB_EDIT_VCPUS;
          edit->vcpus = vcpus;
          edit->max_vcpus = max_vcpus;
          /* Only a topology typed here is written; otherwise one that
           * fits the new maximum is kept or made. */
          if (topology_changed)
            {
              edit->sockets = sockets;
              edit->cores = cores;
              edit->threads = threads;
            }
        }
      /* MiB in the spin buttons: a KiB remainder is not a change. */
      if (memory / 1024 != st->memory_kib / 1024 || max_memory / 1024 != st->max_memory_kib / 1024)
        {
          edit->fields |= GB_EDIT_MEMORY;
          edit->memory_kib = memory;
          edit->max_memory_kib = max_memory;
        }
    }
  else if (g_strcmp0 (tab, "disks") == 0)
    {
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, self->remove_disks);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        g_ptr_array_add (edit->remove_disks, g_strdup (key));
      g_hash_table_iter_init (&iter, self->media_rows);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          const char *now = gtk_editable_get_text (GTK_EDITABLE (value));
          const char *before = g_object_get_data (G_OBJECT (value), "medium");

          if (g_strcmp0 (now, before) != 0 && !g_hash_table_contains (self->remove_disks, key))
            {
              GbEditDisk *media = g_new0 (GbEditDisk, 1);

              media->target = g_strdup (key);
              media->path = *now ? g_strdup (now) : NULL;
              g_ptr_array_add (edit->media, media);
            }
        }
      for (guint i = 0; i < self->disk_rows->len; i++)
        {
          GObject *row = g_ptr_array_index (self->disk_rows, i);
          AdwComboRow *bus_row = g_object_get_data (row, "bus-row");
          AdwComboRow *cache_row = g_object_get_data (row, "cache-row");
          GtkSwitch *ro = g_object_get_data (row, "ro-switch");
          const char *target = g_object_get_data (row, "target");
          GbEditDisk *mod;

          if (bus_row == NULL || g_hash_table_contains (self->remove_disks, target))
            continue;
          if (!combo_changed (bus_row) && !combo_changed (cache_row) &&
              gtk_switch_get_active (ro) == GPOINTER_TO_INT (g_object_get_data (row, "ro-initial")))
            continue;
          mod = g_new0 (GbEditDisk, 1);
          mod->target = g_strdup (target);
          mod->bus = g_strdup (buses[MIN (adw_combo_row_get_selected (bus_row), G_N_ELEMENTS (buses) - 1)]);
          mod->cache = g_strdup (caches[MIN (adw_combo_row_get_selected (cache_row), G_N_ELEMENTS (caches) - 1)]);
          mod->read_only = gtk_switch_get_active (ro);
          g_ptr_array_add (edit->modify_disks, mod);
        }
      for (guint i = 0; i < self->add_disks->len; i++)
        {
          const GbEditDisk *d = g_ptr_array_index (self->add_disks, i);
          GbEditDisk *c = g_new0 (GbEditDisk, 1);

          *c = (GbEditDisk) { g_strdup (d->path), g_strdup (d->device), g_strdup (d->bus), g_strdup (d->format),
                              g_strdup (d->cache), g_strdup (d->target), d->read_only, d->new_size };
          g_ptr_array_add (edit->add_disks, c);
        }
    }
  else if (g_strcmp0 (tab, "devices") == 0)
    {
      if (combo_changed (self->boot_order_row) || gtk_switch_get_active (self->boot_menu_switch) != st->boot_menu)
        {
          edit->fields |= GB_EDIT_BOOT;
          edit->boot_order = g_strsplit (boot_orders[adw_combo_row_get_selected (self->boot_order_row)], ",", -1);
          edit->boot_menu = gtk_switch_get_active (self->boot_menu_switch);
        }
      if (combo_changed (self->firmware_row))
        {
          edit->fields |= GB_EDIT_FIRMWARE;
          edit->firmware = g_strdup (firmwares[adw_combo_row_get_selected (self->firmware_row)]);
        }
      {
        guint mode = adw_combo_row_get_selected (self->cpu_mode_row);
        const char *model = gtk_editable_get_text (GTK_EDITABLE (self->cpu_model_row));

        if (combo_changed (self->cpu_mode_row) || (mode == 3 && g_strcmp0 (model, st->cpu_model ? st->cpu_model : "") != 0))
          {
            edit->fields |= GB_EDIT_CPU_MODEL;
            edit->cpu_mode = g_strdup (cpu_modes[mode]);
            edit->cpu_model = mode == 3 ? g_strdup (model) : NULL;
          }
      }
      if (combo_changed (self->video_row))
        {
          edit->fields |= GB_EDIT_VIDEO;
          edit->video_model = g_strdup (videos[adw_combo_row_get_selected (self->video_row)]);
        }
      if (combo_changed (self->sound_row))
        {
          edit->fields |= GB_EDIT_SOUND;
          edit->sound_model = g_strdup (sounds[adw_combo_row_get_selected (self->sound_row)]);
        }
      if (gtk_switch_get_active (self->rng_switch) != st->rng)
        {
          edit->fields |= GB_EDIT_RNG;
          edit->rng = gtk_switch_get_active (self->rng_switch);
        }
      if (gtk_switch_get_active (self->serial_switch) != st->serial)
        {
          edit->fields |= GB_EDIT_SERIAL;
          edit->serial = gtk_switch_get_active (self->serial_switch);
        }
      if (gtk_switch_get_active (self->tpm_switch) != st->tpm)
        {
          edit->fields |= GB_EDIT_TPM;
          edit->tpm = gtk_switch_get_active (self->tpm_switch);
        }
      {
        GHashTableIter iter;
        gpointer key;

        for (guint i = 0; i < self->add_shares->len; i++)
          {
            GbEditShare *share = g_ptr_array_index (self->add_shares, i);
            GbEditShare *c = g_new0 (GbEditShare, 1);

            c->source = g_strdup (share->source);
            c->tag = g_strdup (share->tag);
            g_ptr_array_add (edit->add_shares, c);
          }
        for (guint i = 0; i < self->add_usb->len; i++)
          {
            GbEditUsb *usb = g_ptr_array_index (self->add_usb, i);
            GbEditUsb *c = g_new0 (GbEditUsb, 1);

            c->vendor = g_strdup (usb->vendor);
            c->product = g_strdup (usb->product);
            g_ptr_array_add (edit->add_usb, c);
          }
        g_hash_table_iter_init (&iter, self->remove_shares);
        while (g_hash_table_iter_next (&iter, &key, NULL))
          g_ptr_array_add (edit->remove_shares, g_strdup (key));
        g_hash_table_iter_init (&iter, self->remove_usb);
        while (g_hash_table_iter_next (&iter, &key, NULL))
          g_ptr_array_add (edit->remove_usb, g_strdup (key));
      }
    }
  else if (g_strcmp0 (tab, "network") == 0)
    {
      GHashTableIter iter;
      gpointer key;

      g_hash_table_iter_init (&iter, self->remove_nics);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        g_ptr_array_add (edit->remove_nics, g_strdup (key));
      for (guint i = 0; i < self->nic_rows->len; i++)
        {
          GObject *row = g_ptr_array_index (self->nic_rows, i);
          AdwComboRow *type_row = g_object_get_data (row, "type-row");
          AdwComboRow *model_row = g_object_get_data (row, "model-row");
          GtkEditable *source_row = g_object_get_data (row, "source-row");
          const char *mac = g_object_get_data (row, "mac");
          GbEditNic *mod;

          if (type_row == NULL || g_hash_table_contains (self->remove_nics, mac))
            continue;
          if (!combo_changed (type_row) && !combo_changed (model_row) &&
              g_strcmp0 (gtk_editable_get_text (source_row), g_object_get_data (row, "source")) == 0)
            continue;
          mod = g_new0 (GbEditNic, 1);
          mod->mac = g_strdup (mac);
          mod->type = g_strdup (adw_combo_row_get_selected (type_row) == 1 ? "bridge" : "network");
          mod->source = g_strdup (gtk_editable_get_text (source_row));
          mod->model = combo_changed (model_row)
                       ? g_strdup (models[MIN (adw_combo_row_get_selected (model_row), G_N_ELEMENTS (models) - 1)])
                       : g_strdup (g_object_get_data (row, "model"));
          g_ptr_array_add (edit->modify_nics, mod);
        }
      for (guint i = 0; i < self->add_nics->len; i++)
        {
          const GbEditNic *n = g_ptr_array_index (self->add_nics, i);
          GbEditNic *c = g_new0 (GbEditNic, 1);

          *c = (GbEditNic) { g_strdup (n->type), g_strdup (n->source), g_strdup (n->model), g_strdup (n->mac) };
          g_ptr_array_add (edit->add_nics, c);
        }
    }

  return edit;
}

typedef struct {
  GbMachineEditor *self;
  char            *tab;
  gboolean         define_xml;  /* the XML tab: define_xml, not apply */
} ApplyData;

static void
apply_done (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  ApplyData *ad = user_data;
  g_autofree char *tab = ad->tab;
  g_autoptr(GbMachineEditor) self = ad->self;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) notes = NULL;
  gboolean ok;

  g_free (ad);
  if (ad->define_xml)
    ok = gb_machine_edit_define_xml_finish (GB_MACHINE (object), result, &error);
  else
    ok = (notes = gb_machine_edit_apply_finish (GB_MACHINE (object), result, &error)) != NULL;

  set_busy (self, FALSE);
  if (self->machine != GB_MACHINE (object))
    return;

  if (!ok)
    {
      /* What was typed stays; libvirt says why. */
      g_autofree char *text = g_strdup_printf (_("Not applied: %s"), error->message);

      set_status (self, text, TRUE);
      update_buttons (self);
      return;
    }

  if (notes != NULL && notes[0] != NULL)
    {
      g_autofree char *list = g_strjoinv ("\n", notes);
      g_autofree char *text = g_strdup_printf (_("Applied. Waiting for the next start:\n%s"), list);

      set_status (self, text, FALSE);
    }
  else if (self->state && self->state->running && g_strcmp0 (tab, "xml") == 0)
    set_status (self, _("Defined. The running machine uses it when it next starts."), FALSE);
  else
    set_status (self, self->state && self->state->running ? _("Applied to the running machine.") : _("Applied."), FALSE);

  load_tab (self, tab);
}

static void
apply_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  GbMachineEditor *self = GB_MACHINE_EDITOR (widget);
  const char *tab = gtk_stack_get_visible_child_name (self->stack);
  ApplyData *ad;

  if (!editable (self))
    return;

  ad = g_new0 (ApplyData, 1);
  ad->self = g_object_ref (self);
  ad->tab = g_strdup (tab);

  if (g_strcmp0 (tab, "xml") == 0)
    {
      g_autofree char *xml = text_of (self->xml_view);

      if (!g_settings_get_boolean (self->settings, "xml-editing"))
        {
          g_object_unref (ad->self);
          g_free (ad->tab);
          g_free (ad);
          return;
        }
      set_busy (self, TRUE);
      update_buttons (self);
      ad->define_xml = TRUE;
      gb_machine_edit_define_xml_async (self->machine, xml, NULL, apply_done, ad);
    }
  else
    {
      g_autoptr(GbMachineEdit) edit = collect_edit (self, tab);

      if (gb_machine_edit_is_empty (edit))
        {
          set_status (self, _("Nothing to apply."), FALSE);
          g_object_unref (ad->self);
          g_free (ad->tab);
          g_free (ad);
          return;
        }
      set_busy (self, TRUE);
      update_buttons (self);
      gb_machine_edit_apply_async (self->machine, edit, NULL, apply_done, ad);
    }
}

static void
revert_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  GbMachineEditor *self = GB_MACHINE_EDITOR (widget);

  set_status (self, NULL, FALSE);
  load_tab (self, gtk_stack_get_visible_child_name (self->stack));
}

static void
add_disk_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  GbMachineEditor *self = GB_MACHINE_EDITOR (widget);
  const char *path = gtk_editable_get_text (GTK_EDITABLE (self->disk_path_row));
  gboolean cdrom = adw_combo_row_get_selected (self->disk_device_row) == 1;
  guint bus = adw_combo_row_get_selected (self->disk_bus_row);
  guint cache = adw_combo_row_get_selected (self->disk_cache_row);
  guint64 size = (guint64) gtk_spin_button_get_value (self->disk_size_spin) * 1024 * 1024 * 1024;
  GbEditDisk *disk;

  if (*path == '\0' && !cdrom && size == 0)
    {
      set_status (self, _("Type the path of the image file to add."), TRUE);
      gtk_widget_grab_focus (GTK_WIDGET (self->disk_path_row));
      return;
    }

  disk = g_new0 (GbEditDisk, 1);
  disk->path = *path ? g_strdup (path) : NULL;
  disk->device = g_strdup (cdrom ? "cdrom" : "disk");
  disk->bus = g_strdup (buses[MIN (bus, G_N_ELEMENTS (buses) - 1)]);
  /* A CD/DVD on virtio does not exist; SATA is what virt-manager picks. */
  if (cdrom && g_str_equal (disk->bus, "virtio"))
    {
      g_free (disk->bus);
      disk->bus = g_strdup ("sata");
    }
  disk->cache = g_strdup (caches[MIN (cache, G_N_ELEMENTS (caches) - 1)]);
  disk->read_only = gtk_switch_get_active (self->disk_readonly_switch);
  disk->new_size = cdrom ? 0 : size;
  g_ptr_array_add (self->add_disks, disk);
  gtk_spin_button_set_value (self->disk_size_spin, 0);
  gtk_editable_set_text (GTK_EDITABLE (self->disk_path_row), "");
  fill_disks (self, TRUE);
  on_changed (self);
}

/* A name is typed for a virtual network or a host bridge; user-mode
 * networking (libvirt's third kind, a machine file's first) has none. */
static void
on_nic_type_changed (GbMachineEditor *self)
{
  gboolean libvirt = (self->caps & GB_EDIT_CAP_DEVICES) != 0;
  guint kind = adw_combo_row_get_selected (self->nic_type_row);

  gtk_widget_set_sensitive (GTK_WIDGET (self->nic_source_row), libvirt ? kind < 2 : kind == 1);
}

static void
add_nic_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  GbMachineEditor *self = GB_MACHINE_EDITOR (widget);
  const char *source = gtk_editable_get_text (GTK_EDITABLE (self->nic_source_row));
  const char *mac = gtk_editable_get_text (GTK_EDITABLE (self->nic_mac_row));
  guint kind = adw_combo_row_get_selected (self->nic_type_row);
  gboolean bridge = kind == 1;
  gboolean user = kind == 2;
  guint model = adw_combo_row_get_selected (self->nic_model_row);
  GbEditNic *nic;

  if (*source == '\0' && bridge)
    {
      set_status (self, _("Type the name of the host bridge."), TRUE);
      gtk_widget_grab_focus (GTK_WIDGET (self->nic_source_row));
      return;
    }

  nic = g_new0 (GbEditNic, 1);
  nic->type = g_strdup (bridge ? "bridge" : user ? "user" : "network");
  nic->source = user ? NULL : g_strdup (*source ? source : "default");
  nic->model = g_strdup (models[MIN (model, G_N_ELEMENTS (models) - 1)]);
  nic->mac = *mac ? g_strdup (mac) : NULL;
  g_ptr_array_add (self->add_nics, nic);
  gtk_editable_set_text (GTK_EDITABLE (self->nic_source_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->nic_mac_row), "");
  fill_nics (self, TRUE);
  on_changed (self);
}

static void
add_share_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  GbMachineEditor *self = GB_MACHINE_EDITOR (widget);
  const char *source = gtk_editable_get_text (GTK_EDITABLE (self->share_source_row));
  const char *tag = gtk_editable_get_text (GTK_EDITABLE (self->share_tag_row));
  GbEditShare *share;

  if (!g_path_is_absolute (source) || *tag == '\0')
    {
      set_status (self, _("A shared folder needs a full host path and a tag."), TRUE);
      gtk_widget_grab_focus (GTK_WIDGET (g_path_is_absolute (source) ? self->share_tag_row : self->share_source_row));
      return;
    }
  share = g_new0 (GbEditShare, 1);
  share->source = g_strdup (source);
  share->tag = g_strdup (tag);
  g_ptr_array_add (self->add_shares, share);
  gtk_editable_set_text (GTK_EDITABLE (self->share_source_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->share_tag_row), "");
  fill_shares_usb (self);
  on_changed (self);
}

static void
add_usb_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  GbMachineEditor *self = GB_MACHINE_EDITOR (widget);
  guint i = adw_combo_row_get_selected (self->usb_choice_row);
  GbEditUsb *host, *usb;

  if (self->host_usb == NULL || i >= self->host_usb->len)
    return;
  host = g_ptr_array_index (self->host_usb, i);
  usb = g_new0 (GbEditUsb, 1);
  usb->vendor = g_strdup (host->vendor);
  usb->product = g_strdup (host->product);
  usb->description = g_strdup (host->description);
  g_ptr_array_add (self->add_usb, usb);
  fill_shares_usb (self);
  on_changed (self);
}

/* Keep maximum ≥ current while typing. */
static void
on_vcpus_changed (GbMachineEditor *self)
{
  if (gtk_spin_button_get_value (self->vcpus_spin) > gtk_spin_button_get_value (self->max_vcpus_spin))
    gtk_spin_button_set_value (self->max_vcpus_spin, gtk_spin_button_get_value (self->vcpus_spin));
}

/* Without a topology of its own, one socket per vCPU follows the maximum. */
static void
on_max_vcpus_changed (GbMachineEditor *self)
{
  if (self->state == NULL || self->state->sockets != 0 ||
      gtk_spin_button_get_value_as_int (self->cores_spin) != 1 ||
      gtk_spin_button_get_value_as_int (self->threads_spin) != 1)
    return;
  gtk_spin_button_set_value (self->sockets_spin, gtk_spin_button_get_value (self->max_vcpus_spin));
}

static void
on_memory_changed (GbMachineEditor *self)
{
  if (gtk_spin_button_get_value (self->memory_spin) > gtk_spin_button_get_value (self->max_memory_spin))
    gtk_spin_button_set_value (self->max_memory_spin, gtk_spin_button_get_value (self->memory_spin));
}

static void
on_cpu_mode_changed (GbMachineEditor *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->cpu_model_row), adw_combo_row_get_selected (self->cpu_mode_row) == 3);
}

static void
on_machine_state (GbMachineEditor *self)
{
  /* Running or not decides what applies live and whether a rename is
   * possible; the other tabs keep what is being typed. */
  load_tab (self, "xml");
}

/* GTK 4.8's GtkStackSidebar rows carry their title in a label a screen
 * reader does not read as the row's name: name each row after it. */
static void
name_sidebar_rows (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_LIST_BOX_ROW (child))
        {
          GtkWidget *label = gtk_widget_get_first_child (child);

          while (label != NULL && !GTK_IS_LABEL (label))
            label = gtk_widget_get_first_child (label);
          if (label != NULL)
            gtk_accessible_update_property (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                            gtk_label_get_text (GTK_LABEL (label)), -1);
        }
      name_sidebar_rows (child);
    }
}

/* Glassbox's own machines boot a kernel directly, on virtio devices, with
 * no autostart, description, hot-plug or firmware: their rows go, the
 * kernel's come, and the XML tab shows the machine file. */
static void
show_rows_for_kind (GbMachineEditor *self)
{
  gboolean libvirt = (self->caps & GB_EDIT_CAP_DEVICES) != 0;
  GtkStackPage *devices = gtk_stack_get_page (self->stack, gtk_stack_get_child_by_name (self->stack, "devices"));
  GtkStackPage *xml = gtk_stack_get_page (self->stack, gtk_stack_get_child_by_name (self->stack, "xml"));
  GtkWidget *hide[] = {
    gtk_widget_get_ancestor (GTK_WIDGET (self->autostart_switch), ADW_TYPE_ACTION_ROW),
    gtk_widget_get_ancestor (GTK_WIDGET (self->description_view), ADW_TYPE_PREFERENCES_GROUP),
    gtk_widget_get_ancestor (GTK_WIDGET (self->max_vcpus_spin), ADW_TYPE_ACTION_ROW),
    gtk_widget_get_ancestor (GTK_WIDGET (self->max_memory_spin), ADW_TYPE_ACTION_ROW),
    GTK_WIDGET (self->disk_device_row),
    GTK_WIDGET (self->disk_bus_row),
    GTK_WIDGET (self->disk_cache_row),
    GTK_WIDGET (self->nic_model_row),
    /* The edit branch's libvirt-only rows: topology, new images. */
    gtk_widget_get_ancestor (GTK_WIDGET (self->sockets_spin), ADW_TYPE_PREFERENCES_GROUP),
    gtk_widget_get_ancestor (GTK_WIDGET (self->disk_size_spin), ADW_TYPE_ACTION_ROW),
  };

  for (guint i = 0; i < G_N_ELEMENTS (hide); i++)
    if (hide[i] != NULL)
      gtk_widget_set_visible (hide[i], libvirt);
  gtk_widget_set_visible (GTK_WIDGET (self->boot_group), !libvirt);
  if (devices != NULL)
    gtk_stack_page_set_visible (devices, libvirt);
  if (xml != NULL)
    gtk_stack_page_set_title (xml, libvirt ? _("XML") : _("Machine File"));
  if (!libvirt)
    {
      /* A NIC here is user-mode NAT or a host bridge. */
      g_autoptr(GtkStringList) kinds = gtk_string_list_new ((const char *[]) { _("User-mode NAT"), _("Host bridge"), NULL });

      adw_combo_row_set_model (self->nic_type_row, G_LIST_MODEL (kinds));
    }
  else
    {
      /* The third: QEMU's own NAT, the one a qemu:///session machine gets. */
      g_autoptr(GtkStringList) kinds = gtk_string_list_new ((const char *[]) { _("Virtual network"), _("Host bridge"),
                                                                               _("User-mode networking"), NULL });

      adw_combo_row_set_model (self->nic_type_row, G_LIST_MODEL (kinds));
    }
  on_nic_type_changed (self);
  if (gtk_stack_get_visible_child_name (self->stack) != NULL &&
      g_str_equal (gtk_stack_get_visible_child_name (self->stack), "devices") && !libvirt)
    gtk_stack_set_visible_child_name (self->stack, "general");
  name_sidebar_rows (GTK_WIDGET (self->switcher));
  update_xml_hint (self);
}

void
gb_machine_editor_set_machine (GbMachineEditor *self,
                               GbMachine       *machine)
{
  g_return_if_fail (GB_IS_MACHINE_EDITOR (self));
  g_return_if_fail (!machine || GB_IS_MACHINE (machine));

  if (self->machine == machine)
    return;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  if (self->machine != NULL)
    g_signal_handlers_disconnect_by_data (self->machine, self);
  g_set_object (&self->machine, machine);
  g_clear_pointer (&self->state, gb_edit_state_free);
  g_ptr_array_set_size (self->add_disks, 0);
  g_ptr_array_set_size (self->add_nics, 0);
  g_hash_table_remove_all (self->remove_disks);
  g_hash_table_remove_all (self->remove_nics);
  g_ptr_array_set_size (self->add_shares, 0);
  g_ptr_array_set_size (self->add_usb, 0);
  g_hash_table_remove_all (self->remove_shares);
  g_hash_table_remove_all (self->remove_usb);
  self->busy = 0;
  set_status (self, NULL, FALSE);
  fill_all (self);

  self->caps = machine != NULL ? gb_machine_edit_get_caps (machine) : 0;
  /* Nothing to edit: the full layout, empty. */
  if (!(self->caps & GB_EDIT_CAP_SUPPORTED))
    self->caps = NO_MACHINE_CAPS;
  show_rows_for_kind (self);
  if (machine != NULL && !(self->caps & GB_EDIT_CAP_SUPPORTED))
    set_status (self, _("The settings of this machine cannot be changed here."), FALSE);
  else if (machine != NULL)
    {
      g_signal_connect_swapped (machine, "notify::state", G_CALLBACK (on_machine_state), self);
      load (self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MACHINE]);
}

static void
gb_machine_editor_dispose (GObject *object)
{
  GbMachineEditor *self = GB_MACHINE_EDITOR (object);
  GtkWidget *child;

  gb_machine_editor_set_machine (self, NULL);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), GB_TYPE_MACHINE_EDITOR);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (gb_machine_editor_parent_class)->dispose (object);
}

static void
gb_machine_editor_finalize (GObject *object)
{
  GbMachineEditor *self = GB_MACHINE_EDITOR (object);

  g_clear_pointer (&self->state, gb_edit_state_free);
  g_clear_object (&self->settings);
  g_free (self->status);
  g_ptr_array_unref (self->add_disks);
  g_ptr_array_unref (self->add_nics);
  g_ptr_array_unref (self->disk_rows);
  g_ptr_array_unref (self->nic_rows);
  g_ptr_array_unref (self->share_rows);
  g_ptr_array_unref (self->usb_rows);
  g_ptr_array_unref (self->add_shares);
  g_ptr_array_unref (self->add_usb);
  g_hash_table_unref (self->remove_shares);
  g_hash_table_unref (self->remove_usb);
  g_clear_pointer (&self->host_usb, g_ptr_array_unref);
  g_hash_table_unref (self->remove_disks);
  g_hash_table_unref (self->remove_nics);
  g_clear_pointer (&self->media_rows, g_hash_table_unref);

  G_OBJECT_CLASS (gb_machine_editor_parent_class)->finalize (object);
}

static void
gb_machine_editor_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  GbMachineEditor *self = GB_MACHINE_EDITOR (object);

  switch (prop_id)
    {
    case PROP_MACHINE:
      g_value_set_object (value, self->machine);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy > 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_machine_editor_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  GbMachineEditor *self = GB_MACHINE_EDITOR (object);

  switch (prop_id)
    {
    case PROP_MACHINE:
      gb_machine_editor_set_machine (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_machine_editor_class_init (GbMachineEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gb_machine_editor_dispose;
  object_class->finalize = gb_machine_editor_finalize;
  object_class->get_property = gb_machine_editor_get_property;
  object_class->set_property = gb_machine_editor_set_property;

  properties[PROP_MACHINE] =
    g_param_spec_object ("machine", NULL, NULL, GB_TYPE_MACHINE,
                         (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/glassbox/Glassbox/gb-machine-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, stack);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, switcher);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, status_label);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, name_row);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, title_row);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, boot_group);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, kernel_row);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, initrd_row);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, cmdline_row);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, autostart_switch);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, description_view);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, vcpus_spin);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, max_vcpus_spin);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, sockets_spin);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, cores_spin);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, threads_spin);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, memory_spin);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, max_memory_spin);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, disks_group);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, disk_path_row);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, disk_size_spin);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, disk_device_row);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, disk_bus_row);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, disk_cache_row);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, disk_readonly_switch);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, nics_group);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, nic_type_row);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, nic_source_row);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, nic_model_row);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, nic_mac_row);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, boot_order_row);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, boot_menu_switch);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, firmware_row);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, cpu_mode_row);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, cpu_model_row);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, video_row);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, sound_row);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, rng_switch);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, serial_switch);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, tpm_switch);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, tpm_row);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, shares_group);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, share_add_group);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, share_source_row);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, share_tag_row);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, usb_group);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, usb_choice_row);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, usb_choices);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, xml_hint);
  gtk_widget_class_bind_template_child (widget_class, GbMachineEditor, xml_view);
  gtk_widget_class_bind_template_callback (widget_class, on_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_tab_changed);

  gtk_widget_class_install_action (widget_class, "editor.apply", NULL, apply_action);
  gtk_widget_class_install_action (widget_class, "editor.revert", NULL, revert_action);
  gtk_widget_class_install_action (widget_class, "editor.add-disk", NULL, add_disk_action);
  gtk_widget_class_install_action (widget_class, "editor.add-nic", NULL, add_nic_action);
  gtk_widget_class_install_action (widget_class, "editor.add-share", NULL, add_share_action);
  gtk_widget_class_install_action (widget_class, "editor.add-usb", NULL, add_usb_action);
  /* F5 reads the tab again from libvirt; Ctrl+Return (Ctrl+S is
   * AdwAboutWindow's) applies it, see init (ui/help-overlay.ui). */

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "editor.revert", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
}

static void
gb_machine_editor_init (GbMachineEditor *self)
{
  self->caps = NO_MACHINE_CAPS;
  self->add_disks = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_edit_disk_free);
  self->add_nics = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_edit_nic_free);
  self->remove_disks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->remove_nics = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->media_rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->disk_rows = g_ptr_array_new ();
  self->nic_rows = g_ptr_array_new ();
  self->share_rows = g_ptr_array_new ();
  self->usb_rows = g_ptr_array_new ();
  self->add_shares = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_edit_share_free);
  self->add_usb = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_edit_usb_free);
  self->remove_shares = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->remove_usb = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  name_sidebar_rows (self->switcher);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                                  GTK_ORIENTATION_VERTICAL);

  /* Ctrl+Return applies, caught before the focused child sees it: the
   * description's and the XML's text views would insert a new line. */
  {
    GtkEventController *shortcuts = gtk_shortcut_controller_new ();

    gtk_event_controller_set_propagation_phase (shortcuts, GTK_PHASE_CAPTURE);
    gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                          gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Return, GDK_CONTROL_MASK),
                                                            gtk_named_action_new ("editor.apply")));
    gtk_widget_add_controller (GTK_WIDGET (self), shortcuts);
  }

  self->settings = g_settings_new ("org.glassbox.Glassbox");
  g_signal_connect_object (self->settings, "changed::xml-editing",
                           G_CALLBACK (update_xml_hint), self, G_CONNECT_SWAPPED);
  g_signal_connect_swapped (gtk_text_view_get_buffer (self->description_view), "changed",
                            G_CALLBACK (on_changed), self);
  g_signal_connect_swapped (self->vcpus_spin, "value-changed", G_CALLBACK (on_vcpus_changed), self);
  g_signal_connect_swapped (self->memory_spin, "value-changed", G_CALLBACK (on_memory_changed), self);
  g_signal_connect_swapped (self->max_vcpus_spin, "value-changed", G_CALLBACK (on_max_vcpus_changed), self);
  g_signal_connect_swapped (self->cpu_mode_row, "notify::selected", G_CALLBACK (on_cpu_mode_changed), self);
  g_signal_connect_swapped (self->nic_type_row, "notify::selected", G_CALLBACK (on_nic_type_changed), self);
  update_xml_hint (self);
}
