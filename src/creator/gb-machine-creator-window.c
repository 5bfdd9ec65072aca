/* gb-machine-creator-window.c — the New Virtual Machine wizard
 *
 * Seven pages in a GtkStack, Back/Next in the header bar.  The pages only
 * show and set properties of a GbMachineCreator; every libvirt, glassbox-vmm
 * and libosinfo call happens there (and in its backend), asynchronously.
 *
 * The first page also says where the machine will run: the providers the
 * wizard can make machines on ("This computer (Glassbox)" and each libvirt
 * connection).  Each place offers what it can boot, and pages that offer no
 * choice there (network and firmware for Glassbox's own machines) are
 * skipped.
 *
 * Keyboard: Tab moves between choices, Space picks one, Alt+Right / Alt+Left
 * (or Enter in a text field) go forward / back, Ctrl+Enter creates, Escape
 * cancels.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "gb-creator-backend.h"
#include "gb-machine-creator-window.h"
#include "gb-new-disk-dialog.h"
#include "gb-creator-osinfo.h"

#define GIB ((guint64) 1 << 30)
#define MAX_OS_ROWS 150

static const char * const pages[] = {
  "source", "os", "resources", "storage", "network", "firmware", "summary",
};

struct _GbMachineCreatorWindow
{
  AdwWindow          parent_instance;

  GbProvider        *provider;        /* the place chosen first */
  GListModel        *providers;       /* nullable: the places to offer */
  GPtrArray         *places;          /* GbProvider*, as in place_model */
  GbMachineCreator  *creator;
  GCancellable      *cancellable;
  gboolean           busy;
  gboolean           updating;         /* model → widgets, not the reverse */
  char              *detected_for;     /* the source path detection ran on */
  gboolean           tiny_ready;

  /* Template widgets */
  AdwToastOverlay   *toast_overlay;
  AdwComboRow       *place_row;
  GtkStringList     *place_model;
  AdwActionRow      *host_warning_row;
  AdwActionRow      *source_media_row;
  AdwActionRow      *source_import_row;
  AdwActionRow      *source_kernel_row;
  AdwActionRow      *source_url_row;
  AdwActionRow      *source_tiny_row;
  AdwWindowTitle    *window_title;
  GtkStack          *stack;
  GtkStack          *forward_stack;
  GtkSpinner        *busy_spinner;

  GtkCheckButton    *source_media_check;
  GtkCheckButton    *source_import_check;
  GtkCheckButton    *source_kernel_check;
  GtkCheckButton    *source_url_check;
  GtkCheckButton    *source_tiny_check;
  AdwEntryRow       *path_row;
  GtkLabel          *path_error_label;  /* under the source options */
  AdwActionRow      *sum_changes_row;   /* what Create also starts on the host */
  AdwEntryRow       *kernel_row;
  AdwEntryRow       *initrd_row;
  AdwEntryRow       *cmdline_row;
  AdwActionRow      *tiny_row;
  GtkSpinner        *tiny_spinner;

  AdwActionRow      *os_status_row;
  GtkSpinner        *os_spinner;
  GtkSearchEntry    *os_search;
  GtkListBox        *os_list;

  AdwActionRow      *memory_row;
  GtkSpinButton     *memory_spin;
  GtkAdjustment     *memory_adjustment;
  AdwActionRow      *cpus_row;
  GtkSpinButton     *cpus_spin;
  GtkAdjustment     *cpus_adjustment;

  GtkCheckButton    *disk_new_check;
  GtkCheckButton    *disk_existing_check;
  GtkCheckButton    *disk_none_check;
  AdwActionRow      *disk_size_row;
  GtkSpinButton     *disk_size_spin;
  AdwComboRow       *pool_row;
  GtkStringList     *pool_model;
  AdwComboRow       *volume_row;
  GtkStringList     *volume_model;
  AdwEntryRow       *disk_path_row;
  AdwActionRow      *bus_row;

  GtkCheckButton    *net_nat_check;
  GtkCheckButton    *net_bridge_check;
  GtkCheckButton    *net_user_check;
  AdwActionRow      *net_user_row;
  AdwActionRow      *net_nat_row;
  AdwActionRow      *net_bridge_row;
  AdwPreferencesGroup *bridge_group;
  AdwComboRow       *bridge_row;
  GtkStringList     *bridge_model;

  GtkCheckButton    *fw_bios_check;
  GtkCheckButton    *fw_uefi_check;
  AdwActionRow      *fw_uefi_row;

  AdwEntryRow       *name_row;
  GtkLabel          *name_error_label;
  AdwActionRow      *sum_source_row;
  AdwActionRow      *sum_os_row;
  AdwActionRow      *sum_resources_row;
  AdwActionRow      *sum_storage_row;
  AdwActionRow      *sum_network_row;
  AdwActionRow      *sum_firmware_row;
  AdwActionRow      *sum_host_row;
  GtkSwitch         *customize_switch;
};

G_DEFINE_FINAL_TYPE (GbMachineCreatorWindow, gb_machine_creator_window, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_PROVIDER,
  PROP_PROVIDERS,
  PROP_CREATOR,
  PROP_PAGE,
  N_PROPS
};

enum {
  MACHINE_CREATED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void show_place (GbMachineCreatorWindow *self);

static void update_page (GbMachineCreatorWindow *self);

/* Pages that offer no choice where the machine runs are skipped. */
static gboolean
page_applies (GbMachineCreatorWindow *self,
              guint                   index)
{
  GbMachineCreator *c = self->creator;

  if (g_str_equal (pages[index], "network"))
    return gb_machine_creator_offers_network (c, GB_CREATOR_NETWORK_NAT) ||
           gb_machine_creator_offers_network (c, GB_CREATOR_NETWORK_BRIDGE) ||
           gb_machine_creator_offers_network (c, GB_CREATOR_NETWORK_USER);
  if (g_str_equal (pages[index], "firmware"))
    return gb_machine_creator_get_firmware_choice (c);
  return TRUE;
}

/* The next (@step 1) or previous (@step -1) page that applies; -1 if none. */
static int
neighbour_page (GbMachineCreatorWindow *self,
                guint                   index,
                int                     step)
{
  for (int i = (int) index + step; i >= 0 && i < (int) G_N_ELEMENTS (pages); i += step)
    if (page_applies (self, i))
      return i;
  return -1;
}

static guint
page_index (GbMachineCreatorWindow *self)
{
  const char *name = gtk_stack_get_visible_child_name (self->stack);

  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    if (g_strcmp0 (pages[i], name) == 0)
      return i;
  return 0;
}

const char *
gb_machine_creator_window_get_page (GbMachineCreatorWindow *self)
{
  return gtk_stack_get_visible_child_name (self->stack);
}

GbMachineCreator *
gb_machine_creator_window_get_creator (GbMachineCreatorWindow *self)
{
  return self->creator;
}

static void
toast (GbMachineCreatorWindow *self,
       const char             *message)
{
  AdwToast *t = adw_toast_new (message);

  adw_toast_set_timeout (t, 8);
  adw_toast_overlay_add_toast (self->toast_overlay, t);
}

static void
set_busy (GbMachineCreatorWindow *self,
          gboolean                busy)
{
  self->busy = busy;
  gtk_spinner_set_spinning (self->busy_spinner, busy);
  update_page (self);
}

static char *
format_mib (guint mib)
{
  return g_format_size_full ((guint64) mib << 20, G_FORMAT_SIZE_IEC_UNITS);
}

static const char *
os_name (OsinfoOs *os)
{
  return os ? osinfo_product_get_name (OSINFO_PRODUCT (os)) : _("Unknown");
}

/* ------------------------------------------------------------------ */
/* Validity of the current page                                       */

static gboolean
text_set (const char *s)
{
  return s != NULL && *s != '\0';
}

static gboolean
current_page_complete (GbMachineCreatorWindow *self)
{
  GbMachineCreator *c = self->creator;
  const char *page = gb_machine_creator_window_get_page (self);

  if (!gb_machine_creator_get_ready (c))
    return FALSE;

  if (g_str_equal (page, "source"))
    {
      switch (gb_machine_creator_get_source_kind (c))
        {
        case GB_CREATOR_SOURCE_IMPORT_DISK:
          /* Without firmware the disk boots through a kernel given with it. */
          return gb_machine_creator_check_source_path (c, NULL) &&
                 (gb_machine_creator_get_firmware_choice (c) ||
                  text_set (gb_machine_creator_get_kernel_path (c)));
        case GB_CREATOR_SOURCE_INSTALL_MEDIA:
          return gb_machine_creator_check_source_path (c, NULL);
        case GB_CREATOR_SOURCE_NETWORK_INSTALL:
          return text_set (gb_machine_creator_get_source_path (c));
        case GB_CREATOR_SOURCE_DIRECT_KERNEL:
          return text_set (gb_machine_creator_get_kernel_path (c));
        case GB_CREATOR_SOURCE_TINY_LINUX:
        default:
          return TRUE;
        }
    }
  if (g_str_equal (page, "os"))
    return gb_machine_creator_get_os (c) != NULL;
  if (g_str_equal (page, "storage"))
    return gb_machine_creator_get_disk_mode (c) != GB_CREATOR_DISK_EXISTING ||
           text_set (gb_machine_creator_get_disk_path (c));
  if (g_str_equal (page, "network"))
    return gb_machine_creator_get_network_kind (c) != GB_CREATOR_NETWORK_BRIDGE ||
           text_set (gb_machine_creator_get_bridge_name (c));
  if (g_str_equal (page, "summary"))
    return gb_machine_creator_validate_name (c, gb_machine_creator_get_name (c), NULL);
  return TRUE;
}

static void
update_page (GbMachineCreatorWindow *self)
{
  guint i = page_index (self);
  gboolean last = i == G_N_ELEMENTS (pages) - 1;
  gboolean complete = !self->busy && current_page_complete (self);
  g_autofree char *subtitle = NULL;
  guint step = 0, steps = 0;

  for (guint k = 0; k < G_N_ELEMENTS (pages); k++)
    if (page_applies (self, k))
      {
        steps++;
        if (k <= i)
          step++;
      }
  subtitle = g_strdup_printf (_("Step %u of %u: %s"), step, steps,
                              gtk_stack_page_get_title (gtk_stack_get_page (self->stack,
                                                                            gtk_stack_get_visible_child (self->stack))));
  adw_window_title_set_subtitle (self->window_title, subtitle);

  gtk_stack_set_visible_child_name (self->forward_stack, last ? "create" : "next");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "creator.back", i > 0 && !self->busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->place_row), !self->busy || !gb_machine_creator_get_ready (self->creator));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "creator.next", !last && complete);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "creator.create", last && complete);
}

/* ------------------------------------------------------------------ */
/* Page 1: source                                                     */

static GbCreatorSource
checked_source (GbMachineCreatorWindow *self)
{
  if (gtk_check_button_get_active (self->source_import_check))
    return GB_CREATOR_SOURCE_IMPORT_DISK;
  if (gtk_check_button_get_active (self->source_kernel_check))
    return GB_CREATOR_SOURCE_DIRECT_KERNEL;
  if (gtk_check_button_get_active (self->source_url_check))
    return GB_CREATOR_SOURCE_NETWORK_INSTALL;
  if (gtk_check_button_get_active (self->source_tiny_check))
    return GB_CREATOR_SOURCE_TINY_LINUX;
  return GB_CREATOR_SOURCE_INSTALL_MEDIA;
}

static void
show_source_details (GbMachineCreatorWindow *self)
{
  GbCreatorSource kind = gb_machine_creator_get_source_kind (self->creator);
  gboolean path = kind == GB_CREATOR_SOURCE_INSTALL_MEDIA ||
                  kind == GB_CREATOR_SOURCE_IMPORT_DISK ||
                  kind == GB_CREATOR_SOURCE_NETWORK_INSTALL;
  /* Without firmware (Glassbox's own machines) a disk needs a kernel too. */
  gboolean kernel = kind == GB_CREATOR_SOURCE_DIRECT_KERNEL ||
                    (kind == GB_CREATOR_SOURCE_IMPORT_DISK &&
                     !gb_machine_creator_get_firmware_choice (self->creator));
  const char *path_title;

  switch (kind)
    {
    case GB_CREATOR_SOURCE_IMPORT_DISK:
      path_title = _("Disk image file");
      break;
    case GB_CREATOR_SOURCE_NETWORK_INSTALL:
      path_title = _("Address of the installer, e.g. https://deb.debian.org/debian/dists/bookworm/main/installer-amd64/");
      break;
    default:
      path_title = _("ISO file or CD device");
      break;
    }

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->path_row), path_title);
  gtk_widget_set_visible (GTK_WIDGET (self->path_row), path);
  gtk_widget_set_visible (GTK_WIDGET (self->kernel_row), kernel);
  gtk_widget_set_visible (GTK_WIDGET (self->initrd_row), kernel);
  gtk_widget_set_visible (GTK_WIDGET (self->cmdline_row), kernel);
  gtk_widget_set_visible (GTK_WIDGET (self->tiny_row), kind == GB_CREATOR_SOURCE_TINY_LINUX);
}

static void show_path_error (GbMachineCreatorWindow *self);

static void
source_toggled_cb (GbMachineCreatorWindow *self,
                   GtkCheckButton         *button)
{
  if (!gtk_check_button_get_active (button) || self->updating)
    return;

  gb_machine_creator_set_source_kind (self->creator, checked_source (self));
  /* The kernel fields may now be someone else's: put the tiny Linux
   * together (from its cache) again when it is chosen again. */
  if (checked_source (self) != GB_CREATOR_SOURCE_TINY_LINUX)
    self->tiny_ready = FALSE;
  /* The path field is shared between the kinds that have one. */
  gb_machine_creator_set_source_path (self->creator, gtk_editable_get_text (GTK_EDITABLE (self->path_row)));
  show_source_details (self);
  show_path_error (self);
  update_page (self);
}

/* The path is checked where it is typed or chosen: a missing or unreadable
 * file says so under the field (not only later, as "not recognised"). An
 * empty field just keeps Next off until something is typed. */
static void
show_path_error (GbMachineCreatorWindow *self)
{
  g_autoptr(GError) error = NULL;
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->path_row));
  gboolean bad = gtk_widget_get_visible (GTK_WIDGET (self->path_row)) && text[0] != '\0' &&
                 !gb_machine_creator_check_source_path (self->creator, &error);

  gtk_label_set_text (self->path_error_label, bad ? error->message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->path_error_label), bad);
  if (bad)
    gtk_widget_add_css_class (GTK_WIDGET (self->path_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->path_row), "error");
}

static void
path_changed_cb (GbMachineCreatorWindow *self)
{
  if (self->updating)
    return;
  gb_machine_creator_set_source_path (self->creator, gtk_editable_get_text (GTK_EDITABLE (self->path_row)));
  show_path_error (self);
  update_page (self);
}

static void
kernel_changed_cb (GbMachineCreatorWindow *self)
{
  if (self->updating)
    return;
  gb_machine_creator_set_kernel_path (self->creator, gtk_editable_get_text (GTK_EDITABLE (self->kernel_row)));
  gb_machine_creator_set_initrd_path (self->creator, gtk_editable_get_text (GTK_EDITABLE (self->initrd_row)));
  gb_machine_creator_set_kernel_cmdline (self->creator, gtk_editable_get_text (GTK_EDITABLE (self->cmdline_row)));
  update_page (self);
}

static void
entry_activated_cb (GbMachineCreatorWindow *self)
{
  if (gtk_widget_activate_action (GTK_WIDGET (self), "creator.next", NULL))
    return;
  gtk_widget_activate_action (GTK_WIDGET (self), "creator.create", NULL);
}

static void
file_chosen_cb (GtkNativeDialog *dialog,
                int              response,
                gpointer         user_data)
{
  AdwEntryRow *row = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path != NULL)
        gtk_editable_set_text (GTK_EDITABLE (row), path);
    }
  g_object_unref (dialog);
}

static void
choose_file_for (GbMachineCreatorWindow *self,
                 AdwEntryRow            *row,
                 const char             *title)
{
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (title, GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_OPEN,
                                         _("_Choose"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (file_chosen_cb), row);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
choose_path_cb (GbMachineCreatorWindow *self)
{
  choose_file_for (self, self->path_row,
                   gb_machine_creator_get_source_kind (self->creator) == GB_CREATOR_SOURCE_IMPORT_DISK
                   ? _("Choose a Disk Image") : _("Choose Installation Media"));
}

static void
choose_kernel_cb (GbMachineCreatorWindow *self)
{
  choose_file_for (self, self->kernel_row, _("Choose a Kernel"));
}

static void
choose_initrd_cb (GbMachineCreatorWindow *self)
{
  choose_file_for (self, self->initrd_row, _("Choose an Initrd"));
}

/* ------------------------------------------------------------------ */
/* Page 2: operating system                                           */

static void
select_os_row (GbMachineCreatorWindow *self)
{
  OsinfoOs *current = gb_machine_creator_get_os (self->creator);

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->os_list));
       row != NULL; row = gtk_widget_get_next_sibling (row))
    if (GTK_IS_LIST_BOX_ROW (row) && g_object_get_data (G_OBJECT (row), "os") == (gpointer) current)
      {
        gtk_list_box_select_row (self->os_list, GTK_LIST_BOX_ROW (row));
        return;
      }
  gtk_list_box_unselect_all (self->os_list);
}

static gboolean
os_matches (OsinfoOs   *os,
            char      **words)
{
  const char *name = osinfo_product_get_name (OSINFO_PRODUCT (os));
  const char *short_id = osinfo_product_get_short_id (OSINFO_PRODUCT (os));
  g_autofree char *hay = g_utf8_casefold (name ? name : "", -1);

  for (guint i = 0; words[i]; i++)
    {
      if (*words[i] == '\0')
        continue;
      if (strstr (hay, words[i]) == NULL && (short_id == NULL || strstr (short_id, words[i]) == NULL))
        return FALSE;
    }
  return TRUE;
}

/* Released versions by version, newest first; "testing" and the like last. */
static int
compare_newest_first (gconstpointer a,
                      gconstpointer b)
{
  const char *va = osinfo_product_get_version (*(OsinfoProduct **) a);
  const char *vb = osinfo_product_get_version (*(OsinfoProduct **) b);
  gboolean da = va && g_ascii_isdigit (*va);
  gboolean db = vb && g_ascii_isdigit (*vb);

  if (da != db)
    return da ? -1 : 1;
  return strverscmp (vb ? vb : "", va ? va : "");
}

static void
fill_os_list (GbMachineCreatorWindow *self)
{
  OsinfoDb *db = gb_osinfo_peek_db ();
  OsinfoOs *current = gb_machine_creator_get_os (self->creator);
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->os_search));
  g_autofree char *folded = g_utf8_casefold (text, -1);
  g_auto(GStrv) words = g_strsplit (folded, " ", -1);
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) matches = g_ptr_array_new ();
  const char *distro = current ? osinfo_os_get_distro (current) : NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->os_list))) != NULL)
    gtk_list_box_remove (self->os_list, child);

  if (db == NULL)
    return;

  /* With no search: the current system's family, newest first (else the
   * whole list); a search looks through every system in the database. */
  all = gb_osinfo_list_os (db);
  for (guint pass = 0; pass < 2 && matches->len == 0; pass++)
    for (guint i = 0; i < all->len; i++)
      {
        OsinfoOs *os = g_ptr_array_index (all, i);

        if (*text != '\0')
          {
            if (!os_matches (os, words))
              continue;
          }
        else if (pass == 0 && (distro == NULL || g_strcmp0 (osinfo_os_get_distro (os), distro) != 0))
          continue;
        g_ptr_array_add (matches, os);
      }
  if (*text == '\0')
    g_ptr_array_sort (matches, compare_newest_first);

  for (guint i = 0; i < matches->len && i < MAX_OS_ROWS; i++)
    {
      OsinfoOs *os = g_ptr_array_index (matches, i);
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), os_name (os));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                                   osinfo_product_get_short_id (OSINFO_PRODUCT (os)));
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      g_object_set_data_full (G_OBJECT (row), "os", g_object_ref (os), g_object_unref);
      gtk_list_box_append (self->os_list, row);
    }

  select_os_row (self);
}

static void
os_search_changed_cb (GbMachineCreatorWindow *self)
{
  fill_os_list (self);
}

static void
os_row_activated_cb (GbMachineCreatorWindow *self,
                     GtkListBoxRow          *row)
{
  OsinfoOs *os = g_object_get_data (G_OBJECT (row), "os");

  if (os == NULL)
    return;
  gb_machine_creator_set_os (self->creator, os);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->os_status_row), os_name (os));
  adw_action_row_set_subtitle (self->os_status_row, _("Chosen from the list."));
  update_page (self);
}

static void
show_os_status (GbMachineCreatorWindow *self)
{
  GbMachineCreator *c = self->creator;
  OsinfoOs *os = gb_machine_creator_get_os (c);
  GbCreatorSource kind = gb_machine_creator_get_source_kind (c);
  g_autofree char *subtitle = NULL;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->os_status_row), os_name (os));
  if (kind == GB_CREATOR_SOURCE_TINY_LINUX)
    subtitle = g_strdup (_("Glassbox’s tiny Linux: nothing to choose here."));
  else if (gb_machine_creator_get_os_detected (c))
    subtitle = g_strdup_printf (_("Detected on “%s”. Pick another below if this is wrong."),
                                gb_machine_creator_get_volume_id (c) ? gb_machine_creator_get_volume_id (c) : "");
  else if (gb_machine_creator_get_volume_id (c) != NULL)
    subtitle = g_strdup_printf (_("“%s” is not in Glassbox’s list of systems, maybe because it is newer. "
                                  "This is the closest match; pick the right one below if you know it."),
                                gb_machine_creator_get_volume_id (c));
  else
    subtitle = g_strdup (_("Not recognised. Pick the closest match below; “Generic Linux” works for most Linux systems."));
  adw_action_row_set_subtitle (self->os_status_row, subtitle);
  fill_os_list (self);
}

static void
detect_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GbMachineCreatorWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  gb_machine_creator_detect_os_finish (GB_MACHINE_CREATOR (object), result, &error);
  if (g_cancellable_is_cancelled (self->cancellable))
    return;     /* the window is closing */
  gtk_spinner_set_spinning (self->os_spinner, FALSE);
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    toast (self, error->message);
  show_os_status (self);
  set_busy (self, FALSE);
}

static void
enter_os_page (GbMachineCreatorWindow *self)
{
  GbCreatorSource kind = gb_machine_creator_get_source_kind (self->creator);
  const char *path = gb_machine_creator_get_source_path (self->creator);
  gboolean detectable = kind == GB_CREATOR_SOURCE_INSTALL_MEDIA ||
                        kind == GB_CREATOR_SOURCE_NETWORK_INSTALL;

  if (detectable && text_set (path) && g_strcmp0 (path, self->detected_for) != 0)
    {
      g_free (self->detected_for);
      self->detected_for = g_strdup (path);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->os_status_row), _("Looking at the media…"));
      adw_action_row_set_subtitle (self->os_status_row, "");
      gtk_spinner_set_spinning (self->os_spinner, TRUE);
      set_busy (self, TRUE);
      gb_machine_creator_detect_os_async (self->creator, self->cancellable, detect_cb, g_object_ref (self));
      return;
    }
  show_os_status (self);
}

/* ------------------------------------------------------------------ */
/* Page 3: memory and CPUs                                            */

static void
enter_resources_page (GbMachineCreatorWindow *self)
{
  GbMachineCreator *c = self->creator;
  g_autofree char *rec = format_mib (gb_machine_creator_get_memory_mib (c));
  g_autofree char *min = format_mib (gb_machine_creator_get_min_memory_mib (c));
  g_autofree char *host = format_mib (gb_machine_creator_get_max_memory_mib (c));
  g_autofree char *mem_hint = NULL;
  g_autofree char *cpu_hint = NULL;

  self->updating = TRUE;
  gtk_adjustment_configure (self->memory_adjustment, gb_machine_creator_get_memory_mib (c),
                            gb_machine_creator_get_min_memory_mib (c),
                            gb_machine_creator_get_max_memory_mib (c), 128, 1024, 0);
  gtk_adjustment_configure (self->cpus_adjustment, gb_machine_creator_get_vcpus (c), 1,
                            gb_machine_creator_get_max_vcpus (c), 1, 1, 0);
  self->updating = FALSE;

  mem_hint = g_strdup_printf (_("%s suggests %s and needs at least %s. This computer has %s in all."),
                              os_name (gb_machine_creator_get_os (c)), rec, min, host);
  cpu_hint = g_strdup_printf (ngettext ("More processors let the machine do several things at once. This computer has %u processor.",
                                        "More processors let the machine do several things at once. This computer has %u processors.",
                                        gb_machine_creator_get_max_vcpus (c)),
                              gb_machine_creator_get_max_vcpus (c));
  adw_action_row_set_subtitle (self->memory_row, mem_hint);
  adw_action_row_set_subtitle (self->cpus_row, cpu_hint);
}

static void
memory_changed_cb (GbMachineCreatorWindow *self)
{
  if (!self->updating)
    gb_machine_creator_set_memory_mib (self->creator, (guint) gtk_spin_button_get_value (self->memory_spin));
}

static void
cpus_changed_cb (GbMachineCreatorWindow *self)
{
  if (!self->updating)
    gb_machine_creator_set_vcpus (self->creator, (guint) gtk_spin_button_get_value (self->cpus_spin));
}

/* ------------------------------------------------------------------ */
/* Page 4: storage                                                    */

static void
show_disk_details (GbMachineCreatorWindow *self)
{
  GbCreatorDisk mode = gb_machine_creator_get_disk_mode (self->creator);

  gtk_widget_set_visible (GTK_WIDGET (self->disk_size_row), mode == GB_CREATOR_DISK_NEW);
  /* Drivers without a storage API (embedded QEMU) get a plain folder. */
  gtk_widget_set_visible (GTK_WIDGET (self->pool_row),
                          mode == GB_CREATOR_DISK_NEW &&
                          gb_machine_creator_get_storage_available (self->creator));
  gtk_widget_set_visible (GTK_WIDGET (self->disk_path_row), mode == GB_CREATOR_DISK_EXISTING);
  gtk_widget_set_visible (GTK_WIDGET (self->volume_row),
                          mode == GB_CREATOR_DISK_EXISTING &&
                          g_list_model_get_n_items (G_LIST_MODEL (self->volume_model)) > 1);
  gtk_widget_set_visible (GTK_WIDGET (self->bus_row), mode != GB_CREATOR_DISK_NONE);
}

static void
enter_storage_page (GbMachineCreatorWindow *self)
{
  GbMachineCreator *c = self->creator;
  g_auto(GStrv) pools = gb_machine_creator_list_pools (c);
  g_auto(GStrv) volumes = gb_machine_creator_list_volumes (c);
  const char *pool = gb_machine_creator_get_pool_name (c);
  const char *disk_path = gb_machine_creator_get_disk_path (c);
  guint selected = 0;

  self->updating = TRUE;
  /* First entry: none of them (type or choose a file instead). */
  gtk_string_list_splice (self->volume_model, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->volume_model)),
                          (const char * const[]) { _("None: a file below"), NULL });
  gtk_string_list_splice (self->volume_model, 1, 0, (const char * const *) volumes);
  adw_combo_row_set_selected (self->volume_row, 0);
  for (guint i = 0; volumes[i]; i++)
    if (g_strcmp0 (volumes[i], disk_path) == 0)
      adw_combo_row_set_selected (self->volume_row, i + 1);

  gtk_string_list_splice (self->pool_model, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->pool_model)),
                          (const char * const *) pools);
  if (pools[0] == NULL && pool != NULL)
    gtk_string_list_append (self->pool_model, pool);   /* made when creating */
  for (guint i = 0; pools[i]; i++)
    if (g_strcmp0 (pools[i], pool) == 0)
      selected = i;
  adw_combo_row_set_selected (self->pool_row, selected);

  gtk_spin_button_set_value (self->disk_size_spin,
                             (double) ((gb_machine_creator_get_disk_size (c) + GIB - 1) / GIB));
  switch (gb_machine_creator_get_disk_mode (c))
    {
    case GB_CREATOR_DISK_EXISTING:
      gtk_check_button_set_active (self->disk_existing_check, TRUE);
      break;
    case GB_CREATOR_DISK_NONE:
      gtk_check_button_set_active (self->disk_none_check, TRUE);
      break;
    case GB_CREATOR_DISK_NEW:
    default:
      gtk_check_button_set_active (self->disk_new_check, TRUE);
      break;
    }
  gtk_editable_set_text (GTK_EDITABLE (self->disk_path_row),
                         gb_machine_creator_get_disk_path (c) ? gb_machine_creator_get_disk_path (c) : "");
  self->updating = FALSE;

  if (!gb_machine_creator_get_storage_available (c))
    {
      g_autofree char *folder = gb_machine_creator_dup_image_folder (c);
      g_autofree char *where = g_strdup_printf (_("Saved in %s"), folder);

      adw_action_row_set_subtitle (self->disk_size_row, where);
    }

  adw_action_row_set_subtitle (self->bus_row,
                               gb_machine_creator_get_disk_virtio (c)
                               ? _("virtio: fast, and this system has a driver for it.")
                               : _("SATA: slower, but every system has a driver for it."));
  show_disk_details (self);
}

static void
disk_toggled_cb (GbMachineCreatorWindow *self,
                 GtkCheckButton         *button)
{
  GbCreatorDisk mode = GB_CREATOR_DISK_NEW;

  if (!gtk_check_button_get_active (button) || self->updating)
    return;
  if (gtk_check_button_get_active (self->disk_existing_check))
    mode = GB_CREATOR_DISK_EXISTING;
  else if (gtk_check_button_get_active (self->disk_none_check))
    mode = GB_CREATOR_DISK_NONE;
  gb_machine_creator_set_disk_mode (self->creator, mode);
  show_disk_details (self);
  update_page (self);
}

static void
disk_size_changed_cb (GbMachineCreatorWindow *self)
{
  if (!self->updating)
    gb_machine_creator_set_disk_size (self->creator,
                                      (guint64) gtk_spin_button_get_value (self->disk_size_spin) * GIB);
}

static void
pool_selected_cb (GbMachineCreatorWindow *self)
{
  guint i = adw_combo_row_get_selected (self->pool_row);
  const char *name;

  if (self->updating || i == GTK_INVALID_LIST_POSITION)
    return;
  name = gtk_string_list_get_string (self->pool_model, i);
  if (name != NULL)
    gb_machine_creator_set_pool_name (self->creator, name);
}

static void
volume_selected_cb (GbMachineCreatorWindow *self)
{
  guint i = adw_combo_row_get_selected (self->volume_row);

  if (self->updating || i == 0 || i == GTK_INVALID_LIST_POSITION)
    return;
  gtk_editable_set_text (GTK_EDITABLE (self->disk_path_row),
                         gtk_string_list_get_string (self->volume_model, i));
}

static void
disk_path_changed_cb (GbMachineCreatorWindow *self)
{
  if (self->updating)
    return;
  gb_machine_creator_set_disk_path (self->creator, gtk_editable_get_text (GTK_EDITABLE (self->disk_path_row)));
  update_page (self);
}

static void
choose_disk_cb (GbMachineCreatorWindow *self)
{
  choose_file_for (self, self->disk_path_row, _("Choose a Disk Image"));
}

static void
disk_created_cb (GbMachineCreatorWindow *self,
                 const char             *path)
{
  gb_machine_creator_set_disk_mode (self->creator, GB_CREATOR_DISK_EXISTING);
  gb_machine_creator_set_disk_path (self->creator, path);
  enter_storage_page (self);
  update_page (self);
}

static void
new_disk_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  GbMachineCreatorWindow *self = GB_MACHINE_CREATOR_WINDOW (widget);
  GbNewDiskDialog *dialog = gb_new_disk_dialog_new (GTK_WINDOW (self), gb_machine_creator_get_provider (self->creator));
  g_autofree char *name = g_strdup_printf ("%s.qcow2", gb_machine_creator_get_name (self->creator));

  if (!gb_machine_creator_get_storage_available (self->creator))
    {
      g_autofree char *folder = gb_machine_creator_dup_image_folder (self->creator);

      gb_new_disk_dialog_set_folder (dialog, folder);
    }
  gb_new_disk_dialog_set_disk_name (dialog, name);
  gb_new_disk_dialog_set_size (dialog, gb_machine_creator_get_disk_size (self->creator));
  g_signal_connect_object (dialog, "disk-created", G_CALLBACK (disk_created_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ------------------------------------------------------------------ */
/* Page 5: network                                                    */

static void
enter_network_page (GbMachineCreatorWindow *self)
{
  GbMachineCreator *c = self->creator;
  g_auto(GStrv) bridges = gb_machine_creator_list_bridges (c);
  gboolean nat = gb_machine_creator_get_nat_available (c);

  self->updating = TRUE;
  gtk_string_list_splice (self->bridge_model, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->bridge_model)),
                          (const char * const *) bridges);
  /* Only what the place to run offers (glassbox-vmm: user-mode NAT and bridges). */
  gtk_widget_set_visible (GTK_WIDGET (self->net_nat_row),
                          gb_machine_creator_offers_network (c, GB_CREATOR_NETWORK_NAT));
  gtk_widget_set_visible (GTK_WIDGET (self->net_user_row),
                          gb_machine_creator_offers_network (c, GB_CREATOR_NETWORK_USER));
  gtk_widget_set_sensitive (GTK_WIDGET (self->net_nat_row), nat);
  if (!nat)
    adw_action_row_set_subtitle (self->net_nat_row,
                                 _("This connection has no libvirt networks (for example an embedded one)."));
  gtk_widget_set_sensitive (GTK_WIDGET (self->net_bridge_row), bridges[0] != NULL);
  if (bridges[0] == NULL)
    adw_action_row_set_subtitle (self->net_bridge_row, _("This computer has no network bridge."));
  gtk_widget_set_visible (GTK_WIDGET (self->bridge_group), bridges[0] != NULL);

  switch (gb_machine_creator_get_network_kind (c))
    {
    case GB_CREATOR_NETWORK_BRIDGE:
      gtk_check_button_set_active (self->net_bridge_check, TRUE);
      break;
    case GB_CREATOR_NETWORK_USER:
      gtk_check_button_set_active (self->net_user_check, TRUE);
      break;
    case GB_CREATOR_NETWORK_NAT:
    default:
      gtk_check_button_set_active (self->net_nat_check, TRUE);
      break;
    }
  self->updating = FALSE;

  if (bridges[0] != NULL && gb_machine_creator_get_bridge_name (c) == NULL)
    gb_machine_creator_set_bridge_name (c, bridges[0]);
}

static void
network_toggled_cb (GbMachineCreatorWindow *self,
                    GtkCheckButton         *button)
{
  GbCreatorNetwork kind = GB_CREATOR_NETWORK_NAT;

  if (!gtk_check_button_get_active (button) || self->updating)
    return;
  if (gtk_check_button_get_active (self->net_bridge_check))
    kind = GB_CREATOR_NETWORK_BRIDGE;
  else if (gtk_check_button_get_active (self->net_user_check))
    kind = GB_CREATOR_NETWORK_USER;
  gb_machine_creator_set_network_kind (self->creator, kind);
  update_page (self);
}

static void
bridge_selected_cb (GbMachineCreatorWindow *self)
{
  guint i = adw_combo_row_get_selected (self->bridge_row);

  if (!self->updating && i != GTK_INVALID_LIST_POSITION)
    gb_machine_creator_set_bridge_name (self->creator, gtk_string_list_get_string (self->bridge_model, i));
}

/* ------------------------------------------------------------------ */
/* Page 6: firmware                                                   */

static void
enter_firmware_page (GbMachineCreatorWindow *self)
{
  GbMachineCreator *c = self->creator;
  gboolean uefi = gb_machine_creator_get_uefi_available (c);
  g_autofree char *why = gb_machine_creator_dup_uefi_unavailable_reason (c);

  if (why == NULL)
    why = g_strdup (_("Modern firmware, needed by some newer systems and for Secure Boot."));

  self->updating = TRUE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->fw_uefi_row), uefi);
  adw_action_row_set_subtitle (self->fw_uefi_row, why);
  gtk_check_button_set_active (gb_machine_creator_get_firmware (c) == GB_CREATOR_FIRMWARE_UEFI
                               ? self->fw_uefi_check : self->fw_bios_check, TRUE);
  self->updating = FALSE;
}

static void
firmware_toggled_cb (GbMachineCreatorWindow *self,
                     GtkCheckButton         *button)
{
  if (!gtk_check_button_get_active (button) || self->updating)
    return;
  gb_machine_creator_set_firmware (self->creator,
                                   gtk_check_button_get_active (self->fw_uefi_check)
                                   ? GB_CREATOR_FIRMWARE_UEFI : GB_CREATOR_FIRMWARE_BIOS);
}

/* ------------------------------------------------------------------ */
/* Page 7: summary                                                    */

static void
show_name_error (GbMachineCreatorWindow *self)
{
  g_autoptr(GError) error = NULL;

  if (gb_machine_creator_validate_name (self->creator, gb_machine_creator_get_name (self->creator), &error))
    {
      gtk_widget_set_visible (GTK_WIDGET (self->name_error_label), FALSE);
      gtk_widget_remove_css_class (GTK_WIDGET (self->name_row), "error");
      return;
    }
  gtk_label_set_text (self->name_error_label, error->message);
  gtk_widget_set_visible (GTK_WIDGET (self->name_error_label), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->name_row), "error");
}

static void
name_changed_cb (GbMachineCreatorWindow *self)
{
  if (self->updating)
    return;
  gb_machine_creator_set_name (self->creator, gtk_editable_get_text (GTK_EDITABLE (self->name_row)));
  show_name_error (self);
  update_page (self);
}

static const char *
source_label (GbCreatorSource kind)
{
  switch (kind)
    {
    case GB_CREATOR_SOURCE_IMPORT_DISK: return _("Imported disk image");
    case GB_CREATOR_SOURCE_DIRECT_KERNEL: return _("Linux kernel, booted directly");
    case GB_CREATOR_SOURCE_NETWORK_INSTALL: return _("Network installation");
    case GB_CREATOR_SOURCE_TINY_LINUX: return _("Glassbox’s tiny Linux");
    case GB_CREATOR_SOURCE_INSTALL_MEDIA:
    default: return _("Installation media");
    }
}

static void
enter_summary_page (GbMachineCreatorWindow *self)
{
  GbMachineCreator *c = self->creator;
  GbCreatorSource kind = gb_machine_creator_get_source_kind (c);
  g_autofree char *source = NULL;
  g_autofree char *mem = format_mib (gb_machine_creator_get_memory_mib (c));
  g_autofree char *resources = NULL;
  g_autofree char *storage = NULL;
  g_autofree char *host = NULL;
  g_autofree char *changes = NULL;
  const char *detail = NULL;
  const char *network = NULL;

  self->updating = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->name_row),
                         gb_machine_creator_get_name (c) ? gb_machine_creator_get_name (c) : "");
  self->updating = FALSE;
  show_name_error (self);

  if (kind == GB_CREATOR_SOURCE_DIRECT_KERNEL)
    detail = gb_machine_creator_get_kernel_path (c);
  else if (kind != GB_CREATOR_SOURCE_TINY_LINUX)
    detail = gb_machine_creator_get_source_path (c);
  source = detail ? g_strdup_printf ("%s — %s", source_label (kind), detail) : g_strdup (source_label (kind));
  adw_action_row_set_subtitle (self->sum_source_row, source);
  adw_action_row_set_subtitle (self->sum_os_row, os_name (gb_machine_creator_get_os (c)));

  resources = g_strdup_printf (ngettext ("%s, %u processor", "%s, %u processors",
                                         gb_machine_creator_get_vcpus (c)),
                               mem, gb_machine_creator_get_vcpus (c));
  adw_action_row_set_subtitle (self->sum_resources_row, resources);

  switch (gb_machine_creator_get_disk_mode (c))
    {
    case GB_CREATOR_DISK_NEW:
      {
        g_autofree char *size = g_format_size_full (gb_machine_creator_get_disk_size (c), G_FORMAT_SIZE_IEC_UNITS);

        if (gb_machine_creator_get_storage_available (c))
          storage = g_strdup_printf (_("New %s qcow2 disk in pool “%s”, on %s"), size,
                                     gb_machine_creator_get_pool_name (c),
                                     gb_machine_creator_get_disk_virtio (c) ? "virtio" : "SATA");
        else
          {
            g_autofree char *folder = gb_machine_creator_dup_image_folder (c);

            storage = g_strdup_printf (_("New %s qcow2 disk in %s, on %s"), size, folder,
                                       gb_machine_creator_get_disk_virtio (c) ? "virtio" : "SATA");
          }
      }
      break;
    case GB_CREATOR_DISK_EXISTING:
      storage = g_strdup (gb_machine_creator_get_disk_path (c));
      break;
    case GB_CREATOR_DISK_NONE:
    default:
      storage = g_strdup (_("No disk"));
      break;
    }
  adw_action_row_set_subtitle (self->sum_storage_row, storage);

  switch (gb_machine_creator_get_network_kind (c))
    {
    case GB_CREATOR_NETWORK_BRIDGE: network = gb_machine_creator_get_bridge_name (c); break;
    case GB_CREATOR_NETWORK_USER: network = _("User-mode networking"); break;
    case GB_CREATOR_NETWORK_NONE: network = _("No network"); break;
    case GB_CREATOR_NETWORK_NAT:
    default: network = _("Shared connection (NAT, libvirt “default” network)"); break;
    }
  adw_action_row_set_subtitle (self->sum_network_row, network);
  adw_action_row_set_subtitle (self->sum_firmware_row,
                               !gb_machine_creator_get_firmware_choice (c)
                               ? _("None: Glassbox starts the kernel directly")
                               : gb_machine_creator_get_firmware (c) == GB_CREATOR_FIRMWARE_UEFI
                               ? _("UEFI") : _("BIOS"));

  host = gb_machine_creator_describe_host (c);
  adw_action_row_set_subtitle (self->sum_host_row, host);

  /* Said before Create, which alone changes anything on the host. */
  changes = gb_machine_creator_dup_host_changes (c);
  adw_action_row_set_subtitle (self->sum_changes_row, changes ? changes : "");
  gtk_widget_set_visible (GTK_WIDGET (self->sum_changes_row), changes != NULL);
}

/* ------------------------------------------------------------------ */
/* Navigation                                                         */

static void
go_to_page (GbMachineCreatorWindow *self,
            guint                   index)
{
  const char *name = pages[index];

  gtk_stack_set_visible_child_name (self->stack, name);

  if (g_str_equal (name, "source"))
    show_source_details (self);
  else if (g_str_equal (name, "os"))
    enter_os_page (self);
  else if (g_str_equal (name, "resources"))
    enter_resources_page (self);
  else if (g_str_equal (name, "storage"))
    enter_storage_page (self);
  else if (g_str_equal (name, "network"))
    enter_network_page (self);
  else if (g_str_equal (name, "firmware"))
    enter_firmware_page (self);
  else if (g_str_equal (name, "summary"))
    enter_summary_page (self);

  /* Keyboard focus goes to the page's first choice (the name, last). */
  if (g_str_equal (name, "summary"))
    gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
  else
    gtk_widget_child_focus (gtk_stack_get_visible_child (self->stack), GTK_DIR_TAB_FORWARD);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAGE]);
  update_page (self);
}

static void
tiny_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GbMachineCreatorWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = gb_machine_creator_assemble_tiny_linux_finish (GB_MACHINE_CREATOR (object), result, &error);

  if (g_cancellable_is_cancelled (self->cancellable))
    return;     /* the window is closing */
  gtk_spinner_set_spinning (self->tiny_spinner, FALSE);
  if (!ok)
    {
      adw_action_row_set_subtitle (self->tiny_row, error->message);
      set_busy (self, FALSE);
      return;
    }
  set_busy (self, FALSE);
  /* Another source was chosen while it was being put together (or the
   * page changed): the result is no reason to move on. */
  if (gb_machine_creator_get_source_kind (self->creator) != GB_CREATOR_SOURCE_TINY_LINUX ||
      !g_str_equal (pages[page_index (self)], "source"))
    {
      adw_action_row_set_subtitle (self->tiny_row, "");
      update_page (self);
      return;
    }
  self->tiny_ready = TRUE;
  adw_action_row_set_subtitle (self->tiny_row, _("Ready."));
  go_to_page (self, neighbour_page (self, page_index (self), 1));
}

static void
next_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  GbMachineCreatorWindow *self = GB_MACHINE_CREATOR_WINDOW (widget);
  guint i = page_index (self);

  if (self->busy || i + 1 >= G_N_ELEMENTS (pages) || !current_page_complete (self))
    return;

  /* Leaving the source page with "tiny Linux": put it together first. */
  if (g_str_equal (pages[i], "source") &&
      gb_machine_creator_get_source_kind (self->creator) == GB_CREATOR_SOURCE_TINY_LINUX &&
      !self->tiny_ready)
    {
      adw_action_row_set_subtitle (self->tiny_row,
                                   _("Putting it together… The first time this can take a minute."));
      gtk_spinner_set_spinning (self->tiny_spinner, TRUE);
      set_busy (self, TRUE);
      gb_machine_creator_assemble_tiny_linux_async (self->creator, self->cancellable, tiny_cb,
                                                    g_object_ref (self));
      return;
    }

  go_to_page (self, neighbour_page (self, i, 1));
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  GbMachineCreatorWindow *self = GB_MACHINE_CREATOR_WINDOW (widget);
  guint i = page_index (self);

  if (i > 0 && !self->busy && neighbour_page (self, i, -1) >= 0)
    go_to_page (self, neighbour_page (self, i, -1));
}

static void
create_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GbMachineCreatorWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = NULL;

  uuid = gb_machine_creator_create_finish (GB_MACHINE_CREATOR (object), result, &error);
  if (g_cancellable_is_cancelled (self->cancellable))
    return;     /* the window is closing (a machine made anyway stays) */
  set_busy (self, FALSE);
  if (uuid == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, error->message);
      return;
    }

  g_signal_emit (self, signals[MACHINE_CREATED], 0, uuid,
                 gtk_switch_get_active (self->customize_switch));
  gtk_window_close (GTK_WINDOW (self));
}

static void
create_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  GbMachineCreatorWindow *self = GB_MACHINE_CREATOR_WINDOW (widget);

  if (self->busy || page_index (self) != G_N_ELEMENTS (pages) - 1 || !current_page_complete (self))
    return;

  set_busy (self, TRUE);
  gb_machine_creator_create_async (self->creator,
                                   !gtk_switch_get_active (self->customize_switch),
                                   self->cancellable, create_cb, g_object_ref (self));
}

static void
prepare_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GbMachineCreatorWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  gboolean ok = gb_machine_creator_prepare_finish (GB_MACHINE_CREATOR (object), result, &error);

  if (g_cancellable_is_cancelled (self->cancellable))
    return;     /* the window is closing */
  if (!ok && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    toast (self, error->message);
  if (ok)
    show_place (self);
  set_busy (self, FALSE);
}

/* ------------------------------------------------------------------ */
/* The place to run                                                   */

/* The places offered: the providers the wizard can make machines on, as
 * the app lists them now (a connection found later joins the list). */
static void
fill_places (GbMachineCreatorWindow *self)
{
  guint n = self->providers ? g_list_model_get_n_items (self->providers) : 0;
  GbProvider *current = self->creator ? gb_machine_creator_get_provider (self->creator) : self->provider;
  guint selected = 0;

  g_clear_pointer (&self->places, g_ptr_array_unref);
  self->places = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GbProvider) provider = g_list_model_get_item (self->providers, i);

      if (gb_creator_backend_supports (provider))
        g_ptr_array_add (self->places, g_steal_pointer (&provider));
    }
  if (!g_ptr_array_find (self->places, current, &selected))
    {
      g_ptr_array_insert (self->places, 0, g_object_ref (current));
      selected = 0;
    }

  self->updating = TRUE;
  gtk_string_list_splice (self->place_model, 0, g_list_model_get_n_items (G_LIST_MODEL (self->place_model)), NULL);
  for (guint i = 0; i < self->places->len; i++)
    gtk_string_list_append (self->place_model, gb_provider_get_title (g_ptr_array_index (self->places, i)));
  adw_combo_row_set_selected (self->place_row, selected);
  self->updating = FALSE;
}

/* What the chosen place offers, once the model has learnt it. */
static void
show_place (GbMachineCreatorWindow *self)
{
  GbMachineCreator *c = self->creator;
  g_autofree char *warning = gb_machine_creator_dup_host_warning (c);
  struct { GbCreatorSource kind; AdwActionRow *row; GtkCheckButton *check; } sources[] = {
    { GB_CREATOR_SOURCE_INSTALL_MEDIA, self->source_media_row, self->source_media_check },
    { GB_CREATOR_SOURCE_IMPORT_DISK, self->source_import_row, self->source_import_check },
    { GB_CREATOR_SOURCE_DIRECT_KERNEL, self->source_kernel_row, self->source_kernel_check },
    { GB_CREATOR_SOURCE_NETWORK_INSTALL, self->source_url_row, self->source_url_check },
    { GB_CREATOR_SOURCE_TINY_LINUX, self->source_tiny_row, self->source_tiny_check },
  };

  self->updating = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    {
      gtk_widget_set_visible (GTK_WIDGET (sources[i].row), gb_machine_creator_offers_source (c, sources[i].kind));
      if (gb_machine_creator_get_source_kind (c) == sources[i].kind)
        gtk_check_button_set_active (sources[i].check, TRUE);
    }
  self->updating = FALSE;

  /* The /dev/kvm diagnosis: a warning, never a refusal. */
  gtk_widget_set_visible (GTK_WIDGET (self->host_warning_row), warning != NULL);
  adw_action_row_set_subtitle (self->host_warning_row, warning ? warning : "");

  show_source_details (self);
  update_page (self);
}

static void
place_selected_cb (GbMachineCreatorWindow *self)
{
  guint i = adw_combo_row_get_selected (self->place_row);

  if (self->updating || self->places == NULL || i >= self->places->len ||
      g_ptr_array_index (self->places, i) == gb_machine_creator_get_provider (self->creator))
    return;

  gtk_widget_set_visible (GTK_WIDGET (self->host_warning_row), FALSE);
  gb_machine_creator_set_provider (self->creator, g_ptr_array_index (self->places, i));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROVIDER]);
  set_busy (self, TRUE);
  gb_machine_creator_prepare_async (self->creator, self->cancellable, prepare_cb, g_object_ref (self));
}

/* The place the machine will be made on. */
GbProvider *
gb_machine_creator_window_get_provider (GbMachineCreatorWindow *self)
{
  return gb_machine_creator_get_provider (self->creator);
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */

static void
gb_machine_creator_window_constructed (GObject *object)
{
  GbMachineCreatorWindow *self = (GbMachineCreatorWindow *) object;

  G_OBJECT_CLASS (gb_machine_creator_window_parent_class)->constructed (object);

  g_assert (self->provider != NULL);
  self->creator = gb_machine_creator_new (self->provider);
  fill_places (self);
  if (self->providers != NULL)
    g_signal_connect_object (self->providers, "items-changed", G_CALLBACK (fill_places), self, G_CONNECT_SWAPPED);
  /* Whatever changes the model (a page, or the app through
   * gb_machine_creator_window_get_creator()) re-checks Next/Create. */
  g_signal_connect_object (self->creator, "notify", G_CALLBACK (update_page), self, G_CONNECT_SWAPPED);
  show_source_details (self);
  set_busy (self, TRUE);
  gb_machine_creator_prepare_async (self->creator, self->cancellable, prepare_cb, g_object_ref (self));
}

static gboolean
gb_machine_creator_window_close_request (GtkWindow *window)
{
  GbMachineCreatorWindow *self = (GbMachineCreatorWindow *) window;

  g_cancellable_cancel (self->cancellable);
  return GTK_WINDOW_CLASS (gb_machine_creator_window_parent_class)->close_request (window);
}

static void
gb_machine_creator_window_unrealize (GtkWidget *widget)
{
  /* gtk_window_destroy() does not ask close_request. */
  g_cancellable_cancel (GB_MACHINE_CREATOR_WINDOW (widget)->cancellable);
  GTK_WIDGET_CLASS (gb_machine_creator_window_parent_class)->unrealize (widget);
}

static void
gb_machine_creator_window_dispose (GObject *object)
{
  GbMachineCreatorWindow *self = (GbMachineCreatorWindow *) object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), GB_TYPE_MACHINE_CREATOR_WINDOW);

  G_OBJECT_CLASS (gb_machine_creator_window_parent_class)->dispose (object);
}

static void
gb_machine_creator_window_finalize (GObject *object)
{
  GbMachineCreatorWindow *self = (GbMachineCreatorWindow *) object;

  g_clear_object (&self->creator);
  g_clear_object (&self->provider);
  g_clear_object (&self->providers);
  g_clear_pointer (&self->places, g_ptr_array_unref);
  g_clear_object (&self->cancellable);
  g_free (self->detected_for);

  G_OBJECT_CLASS (gb_machine_creator_window_parent_class)->finalize (object);
}

static void
gb_machine_creator_window_get_property (GObject    *object,
                                        guint       prop_id,
                                        GValue     *value,
                                        GParamSpec *pspec)
{
  GbMachineCreatorWindow *self = GB_MACHINE_CREATOR_WINDOW (object);

  switch (prop_id)
    {
    case PROP_PROVIDER:
      g_value_set_object (value, self->creator ? gb_machine_creator_get_provider (self->creator) : self->provider);
      break;
    case PROP_PROVIDERS:
      g_value_set_object (value, self->providers);
      break;
    case PROP_CREATOR:
      g_value_set_object (value, self->creator);
      break;
    case PROP_PAGE:
      g_value_set_string (value, gb_machine_creator_window_get_page (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_machine_creator_window_set_property (GObject      *object,
                                        guint         prop_id,
                                        const GValue *value,
                                        GParamSpec   *pspec)
{
  GbMachineCreatorWindow *self = GB_MACHINE_CREATOR_WINDOW (object);

  switch (prop_id)
    {
    case PROP_PROVIDER:
      self->provider = g_value_dup_object (value);
      break;
    case PROP_PROVIDERS:
      self->providers = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_machine_creator_window_class_init (GbMachineCreatorWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = gb_machine_creator_window_constructed;
  object_class->dispose = gb_machine_creator_window_dispose;
  object_class->finalize = gb_machine_creator_window_finalize;
  object_class->get_property = gb_machine_creator_window_get_property;
  object_class->set_property = gb_machine_creator_window_set_property;
  window_class->close_request = gb_machine_creator_window_close_request;
  widget_class->unrealize = gb_machine_creator_window_unrealize;

  /* The place chosen (the one given at first, until the user picks another). */
  properties[PROP_PROVIDER] =
    g_param_spec_object ("provider", NULL, NULL, GB_TYPE_PROVIDER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_PROVIDERS] =
    g_param_spec_object ("providers", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CREATOR] =
    g_param_spec_object ("creator", NULL, NULL, GB_TYPE_MACHINE_CREATOR,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAGE] =
    g_param_spec_string ("page", NULL, NULL, "source",
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * GbMachineCreatorWindow::machine-created:
   * @uuid: the new machine's UUID, on #GbMachineCreatorWindow:provider
   * @customize: the user asked to see its details instead of starting it
   *
   * The machine exists (and runs, unless @customize).  The window closes.
   */
  signals[MACHINE_CREATED] =
    g_signal_new ("machine-created", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/glassbox/Glassbox/creator/gb-machine-creator-window.ui");

#define CHILD(name) gtk_widget_class_bind_template_child (widget_class, GbMachineCreatorWindow, name)
  CHILD (toast_overlay);
  CHILD (place_row);
  CHILD (place_model);
  CHILD (host_warning_row);
  CHILD (source_media_row);
  CHILD (source_import_row);
  CHILD (source_kernel_row);
  CHILD (source_url_row);
  CHILD (source_tiny_row);
  CHILD (window_title);
  CHILD (stack);
  CHILD (forward_stack);
  CHILD (busy_spinner);
  CHILD (source_media_check);
  CHILD (source_import_check);
  CHILD (source_kernel_check);
  CHILD (source_url_check);
  CHILD (source_tiny_check);
  CHILD (path_row);
  CHILD (kernel_row);
  CHILD (initrd_row);
  CHILD (cmdline_row);
  CHILD (tiny_row);
  CHILD (tiny_spinner);
  CHILD (os_status_row);
  CHILD (os_spinner);
  CHILD (os_search);
  CHILD (os_list);
  CHILD (memory_row);
  CHILD (memory_spin);
  CHILD (memory_adjustment);
  CHILD (cpus_row);
  CHILD (cpus_spin);
  CHILD (cpus_adjustment);
  CHILD (disk_new_check);
  CHILD (disk_existing_check);
  CHILD (disk_none_check);
  CHILD (disk_size_row);
  CHILD (disk_size_spin);
  CHILD (pool_row);
  CHILD (pool_model);
  CHILD (volume_row);
  CHILD (volume_model);
  CHILD (disk_path_row);
  CHILD (bus_row);
  CHILD (net_nat_check);
  CHILD (net_bridge_check);
  CHILD (net_user_check);
  CHILD (net_user_row);
  CHILD (net_nat_row);
  CHILD (net_bridge_row);
  CHILD (bridge_group);
  CHILD (bridge_row);
  CHILD (bridge_model);
  CHILD (fw_bios_check);
  CHILD (fw_uefi_check);
  CHILD (fw_uefi_row);
  CHILD (name_row);
  CHILD (name_error_label);
  CHILD (sum_source_row);
  CHILD (sum_os_row);
  CHILD (sum_resources_row);
  CHILD (sum_storage_row);
  CHILD (sum_network_row);
  CHILD (sum_firmware_row);
  CHILD (sum_host_row);
  CHILD (customize_switch);
#undef CHILD

  gtk_widget_class_bind_template_callback (widget_class, source_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, path_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, kernel_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, entry_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, choose_path_cb);
  gtk_widget_class_bind_template_callback (widget_class, choose_kernel_cb);
  gtk_widget_class_bind_template_callback (widget_class, choose_initrd_cb);
  gtk_widget_class_bind_template_callback (widget_class, os_search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, os_row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, disk_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, disk_path_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, choose_disk_cb);
  gtk_widget_class_bind_template_callback (widget_class, network_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, firmware_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, name_changed_cb);

  gtk_widget_class_install_action (widget_class, "creator.next", NULL, next_action);
  gtk_widget_class_install_action (widget_class, "creator.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "creator.create", NULL, create_action);
  gtk_widget_class_install_action (widget_class, "creator.new-disk", NULL, new_disk_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Right, GDK_ALT_MASK, "creator.next", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, GDK_ALT_MASK, "creator.back", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "creator.create", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Enter, GDK_CONTROL_MASK, "creator.create", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "creator.new-disk", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
gb_machine_creator_window_init (GbMachineCreatorWindow *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect_swapped (self->memory_spin, "value-changed", G_CALLBACK (memory_changed_cb), self);
  g_signal_connect_swapped (self->cpus_spin, "value-changed", G_CALLBACK (cpus_changed_cb), self);
  g_signal_connect_swapped (self->disk_size_spin, "value-changed", G_CALLBACK (disk_size_changed_cb), self);
  g_signal_connect_swapped (self->pool_row, "notify::selected", G_CALLBACK (pool_selected_cb), self);
  g_signal_connect_swapped (self->bridge_row, "notify::selected", G_CALLBACK (bridge_selected_cb), self);
  g_signal_connect_swapped (self->volume_row, "notify::selected", G_CALLBACK (volume_selected_cb), self);
  g_signal_connect_swapped (self->place_row, "notify::selected", G_CALLBACK (place_selected_cb), self);

  /* On the summary, after the network: what Create also starts. */
  self->sum_changes_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->sum_changes_row), _("Changes to this computer"));
  adw_action_row_set_subtitle_lines (self->sum_changes_row, 0);
  adw_action_row_set_icon_name (self->sum_changes_row, "dialog-information-symbolic");
  gtk_widget_set_visible (GTK_WIDGET (self->sum_changes_row), FALSE);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (gtk_widget_get_ancestor (GTK_WIDGET (self->sum_network_row),
                                                                             ADW_TYPE_PREFERENCES_GROUP)),
                             GTK_WIDGET (self->sum_changes_row));

  /* Under the source options' list, as the name's error is under its. */
  self->path_error_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->path_error_label, 0);
  gtk_label_set_wrap (self->path_error_label, TRUE);
  gtk_widget_set_margin_top (GTK_WIDGET (self->path_error_label), 6);
  gtk_widget_set_margin_start (GTK_WIDGET (self->path_error_label), 12);
  gtk_widget_add_css_class (GTK_WIDGET (self->path_error_label), "error");
  gtk_widget_set_visible (GTK_WIDGET (self->path_error_label), FALSE);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (gtk_widget_get_ancestor (GTK_WIDGET (self->path_row),
                                                                             ADW_TYPE_PREFERENCES_GROUP)),
                             GTK_WIDGET (self->path_error_label));
}

/**
 * gb_machine_creator_window_new:
 * @parent: (nullable): the window it belongs to
 * @providers: (nullable): the places to offer (those the wizard can make
 *   machines on: gb_creator_backend_supports())
 * @provider: the place chosen at first
 *
 * The New Virtual Machine wizard.  Connect to ::machine-created to open the
 * new machine's console (or its details, when the user chose to customize).
 */
GbMachineCreatorWindow *
gb_machine_creator_window_new (GtkWindow  *parent,
                               GListModel *providers,
                               GbProvider *provider)
{
  return g_object_new (GB_TYPE_MACHINE_CREATOR_WINDOW,
                       "providers", providers,
                       "provider", provider,
                       "transient-for", parent,
                       NULL);
}
