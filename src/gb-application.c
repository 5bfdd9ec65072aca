/* gb-application.c — the Glassbox application: providers, settings, app actions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gi18n.h>

#include "gb-add-connection-dialog.h"
#include "gb-application.h"
#include "gb-askpass.h"
#include "gb-bundled-provider.h"
#include "gb-libvirt-provider.h"
#include "gb-creator-backend.h"
#include "gb-install-dirs.h"
#include "gb-machine-creator-window.h"
#include "gb-new-disk-dialog.h"
#include "gb-networks-window.h"
#include "gb-host-window.h"
#include "gb-preferences-window.h"
#include "gb-quit.h"
#include "gb-window.h"

struct _GbApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
  GListStore     *providers;
  GCancellable   *cancellable;
  /* ssh's prompts of qemu+ssh:// connections, asked in a dialog. */
  GbAskpass      *askpass;

  /* The connections were chosen (command line, settings or the default). */
  guint           opened : 1;
  /* The first local connection that works is being looked for. */
  guint           opening_default : 1;
};

G_DEFINE_FINAL_TYPE (GbApplication, gb_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_PROVIDERS,
  PROP_SETTINGS,
  PROP_OPENING_DEFAULT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const GOptionEntry main_entries[] = {
  { "connect", 'c', 0, G_OPTION_ARG_STRING, NULL,
    N_("Open only this libvirt connection, e.g. qemu:///system"), N_("URI") },
  { "show-domain-console", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Open the console of this machine (name or UUID)"), N_("NAME") },
  { "show-domain-creator", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Open the New Virtual Machine wizard"), NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Print the version and exit"), NULL },
  { NULL }
};

/* Run from the build tree, the program finds its translations in
 * <build>/po (where meson's i18n module puts them) and, unless told
 * otherwise, its compiled GSettings schema in <build>/data.  Installed, it
 * finds them through the prefix it runs from (gb-install-dirs.c); the
 * schema is GSettings' business (XDG_DATA_DIRS). */
void
gb_application_init_i18n (void)
{
  g_autofree char *localedir = NULL;
  const char *locale;

  if (gb_install_dirs_running_uninstalled ())
    {
      g_autofree char *schema_dir = g_build_filename (BUILD_ROOT, "data", NULL);

      localedir = g_strdup (BUILD_LOCALEDIR);
      g_setenv ("GSETTINGS_SCHEMA_DIR", schema_dir, FALSE);
    }
  else
    localedir = gb_install_dirs_get (LOCALEDIR);

  /* gettext ignores LANGUAGE under the plain C locale (no LANG set, as
   * for root on a fresh machine); C.UTF-8 behaves the same otherwise and
   * lets LANGUAGE=zh_CN work. */
  locale = setlocale (LC_ALL, "");
  if (locale == NULL || g_str_equal (locale, "C") || g_str_equal (locale, "POSIX"))
    setlocale (LC_ALL, "C.UTF-8");
  /* The locale is set: GTK must not set it again. */
  gtk_disable_setlocale ();

  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

GbApplication *
gb_application_new (void)
{
  return g_object_new (GB_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", "/org/glassbox/Glassbox",
                       NULL);
}

GListModel *
gb_application_get_providers (GbApplication *self)
{
  g_return_val_if_fail (GB_IS_APPLICATION (self), NULL);

  return G_LIST_MODEL (self->providers);
}

GSettings *
gb_application_get_settings (GbApplication *self)
{
  g_return_val_if_fail (GB_IS_APPLICATION (self), NULL);

  return self->settings;
}

GbProvider *
gb_application_find_provider (GbApplication *self,
                              const char    *uri)
{
  guint n;

  g_return_val_if_fail (GB_IS_APPLICATION (self), NULL);
  g_return_val_if_fail (uri != NULL, NULL);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->providers));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GbProvider) provider = g_list_model_get_item (G_LIST_MODEL (self->providers), i);

      if (g_strcmp0 (gb_provider_get_uri (provider), uri) == 0)
        return provider;
    }

  return NULL;
}

static guint
stats_interval_msec (GbApplication *self)
{
  return (guint) (g_settings_get_double (self->settings, "stats-interval") * 1000.0);
}

static void
remember_connection (GbApplication *self,
                     const char    *uri)
{
  g_auto(GStrv) uris = g_settings_get_strv (self->settings, "connections");
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) result = NULL;

  if (g_strv_contains ((const char * const *) uris, uri))
    return;

  builder = g_strv_builder_new ();
  g_strv_builder_addv (builder, (const char **) uris);
  g_strv_builder_add (builder, uri);
  result = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "connections", (const char * const *) result);
}

static void
forget_connection (GbApplication *self,
                   const char    *uri)
{
  g_auto(GStrv) uris = g_settings_get_strv (self->settings, "connections");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) result = NULL;

  for (guint i = 0; uris[i] != NULL; i++)
    if (g_strcmp0 (uris[i], uri) != 0)
      g_strv_builder_add (builder, uris[i]);

  result = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "connections", (const char * const *) result);
}

static void
add_provider (GbApplication *self,
              GbProvider    *provider)
{
  gb_provider_set_stats_interval (provider, stats_interval_msec (self));
  g_list_store_append (self->providers, provider);
}

/* The main window: the active one if it is one (the wizard or a dialog may
 * be the active window), else the first; NULL if there is none. */
static GbWindow *
find_main_window (GbApplication *self)
{
  GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (GB_IS_WINDOW (active))
    return GB_WINDOW (active);

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (GB_IS_WINDOW (l->data))
      return l->data;

  return NULL;
}

static void
show_error (GbApplication *self,
            const char    *title,
            const char    *message)
{
  GbWindow *window = find_main_window (self);

  if (window != NULL)
    gb_window_show_error (window, title, message);
  else
    g_warning ("%s: %s", title, message);
}

static void
open_connection_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GbApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  /* A failure stays visible on the connection's header row ("error"). */
  if (!gb_provider_connect_finish (GB_PROVIDER (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Could not connect to %s: %s",
             gb_provider_get_uri (GB_PROVIDER (object)), error->message);
}

/* Adds a connection for this run (the header row shows its progress and
 * errors). Returns the existing provider if that URI is already open. */
GbProvider *
gb_application_open_connection (GbApplication *self,
                                const char    *uri)
{
  g_autoptr(GbProvider) provider = NULL;
  GbProvider *existing;

  g_return_val_if_fail (GB_IS_APPLICATION (self), NULL);
  g_return_val_if_fail (uri != NULL, NULL);

  if ((existing = gb_application_find_provider (self, uri)))
    return existing;

  /* `--connect glassbox:///session`: this computer's own machines. */
  if (g_str_equal (uri, GB_BUNDLED_PROVIDER_URI))
    provider = gb_bundled_provider_new ();
  else
    provider = gb_libvirt_provider_new (uri);
  add_provider (self, provider);
  gb_provider_connect_async (provider, self->cancellable, open_connection_cb, g_object_ref (self));

  return provider;
}

static void
add_connection_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GbApplication *self = g_task_get_source_object (task);
  GbProvider *provider = GB_PROVIDER (object);
  g_autoptr(GError) error = NULL;

  if (!gb_provider_connect_finish (provider, result, &error))
    {
      gb_provider_disconnect (provider);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (gb_application_find_provider (self, gb_provider_get_uri (provider)))
    {
      gb_provider_disconnect (provider);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_EXISTS,
                               _("Glassbox is already connected to %s"),
                               gb_provider_get_uri (provider));
      return;
    }

  add_provider (self, provider);
  remember_connection (self, gb_provider_get_uri (provider));
  g_task_return_pointer (task, g_object_ref (provider), g_object_unref);
}

/* Connects first; only a connection that works is added and remembered. */
void
gb_application_add_connection_async (GbApplication       *self,
                                     const char          *uri,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GbProvider) provider = NULL;

  g_return_if_fail (GB_IS_APPLICATION (self));
  g_return_if_fail (uri != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gb_application_add_connection_async);

  if (gb_application_find_provider (self, uri))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_EXISTS,
                               _("Glassbox is already connected to %s"), uri);
      return;
    }

  provider = gb_libvirt_provider_new (uri);
  gb_provider_connect_async (provider, cancellable, add_connection_cb, g_steal_pointer (&task));
}

GbProvider *
gb_application_add_connection_finish (GbApplication  *self,
                                      GAsyncResult   *result,
                                      GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
gb_application_remove_connection (GbApplication *self,
                                  const char    *uri)
{
  guint n;

  g_return_if_fail (GB_IS_APPLICATION (self));
  g_return_if_fail (uri != NULL);

  forget_connection (self, uri);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->providers));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GbProvider) provider = g_list_model_get_item (G_LIST_MODEL (self->providers), i);

      if (g_strcmp0 (gb_provider_get_uri (provider), uri) == 0 && !GB_IS_BUNDLED_PROVIDER (provider))
        {
          gb_provider_disconnect (provider);
          g_list_store_remove (self->providers, i);
          break;
        }
    }
}

static void
set_opening_default (GbApplication *self,
                     gboolean       opening_default)
{
  if (self->opening_default == !!opening_default)
    return;

  self->opening_default = !!opening_default;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OPENING_DEFAULT]);
}

static void
open_default_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GbApplication) self = user_data;
  g_autoptr(GbProvider) provider = NULL;
  g_autoptr(GError) error = NULL;

  g_application_release (G_APPLICATION (self));
  set_opening_default (self, FALSE);

  if (!(provider = gb_libvirt_provider_open_default_finish (result, &error)))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, _("Could not open a local connection"), error->message);
      return;
    }

  if (gb_application_find_provider (self, gb_provider_get_uri (provider)))
    return;

  add_provider (self, provider);
  remember_connection (self, gb_provider_get_uri (provider));
}

static void
open_startup_connections (GbApplication *self,
                          const char    *connect_uri)
{
  g_auto(GStrv) uris = NULL;

  self->opened = TRUE;

  /* Like virt-manager's --connect: exactly this connection, for this run. */
  if (connect_uri != NULL)
    {
      gb_application_open_connection (self, connect_uri);
      return;
    }

  /* "This computer (Glassbox)" comes first, always there, never
   * remembered or removed: its machines are files in the user's data
   * folder.  It cannot fail to start (a missing or unusable /dev/kvm is
   * said on its row).  GLASSBOX_NO_BUNDLED_PROVIDER=1 leaves it out (the
   * UI tests that count libvirt connections set it). */
  if (g_strcmp0 (g_getenv ("GLASSBOX_NO_BUNDLED_PROVIDER"), "1") != 0)
    gb_application_open_connection (self, GB_BUNDLED_PROVIDER_URI);

  uris = g_settings_get_strv (self->settings, "connections");
  for (guint i = 0; uris[i] != NULL; i++)
    gb_application_open_connection (self, uris[i]);

  if (uris[0] == NULL)
    {
      /* First start: the first local connection that works. */
      g_application_hold (G_APPLICATION (self));
      set_opening_default (self, TRUE);
      gb_libvirt_provider_open_default_async (self->cancellable, open_default_cb, g_object_ref (self));
    }
}

static void
on_stats_interval_changed (GbApplication *self,
                           const char    *key,
                           GSettings     *settings)
{
  guint msec = stats_interval_msec (self);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->providers));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GbProvider) provider = g_list_model_get_item (G_LIST_MODEL (self->providers), i);
      gb_provider_set_stats_interval (provider, msec);
    }
}

static void
gb_application_activate (GApplication *app)
{
  GbApplication *self = GB_APPLICATION (app);
  GtkWindow *window;

  if (!self->opened)
    open_startup_connections (self, NULL);

  window = GTK_WINDOW (find_main_window (self));
  if (window == NULL)
    window = GTK_WINDOW (gb_window_new (self));

  gtk_window_present (window);
}

static int
gb_application_handle_local_options (GApplication *app,
                                     GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
      return 0;
    }

  return -1;
}

/* Runs a function with a provider's open connection, once it is open. */
typedef void (*WithConnectionFunc) (GbApplication  *self,
                                    GbProvider     *provider,
                                    GVirConnection *connection,
                                    const char     *arg);

static void with_connection (GbApplication      *self,
                             GbProvider         *provider,
                             WithConnectionFunc  func,
                             const char         *arg);

static void
check_machine_exists (GbApplication  *self,
                      GbProvider     *provider,
                      GVirConnection *connection,
                      const char     *name_or_uuid)
{
  g_autofree char *message = NULL;

  if (gb_provider_find_machine (provider, name_or_uuid) != NULL)
    return;

  /* Translators: the first %s is a machine's name, the second a libvirt URI */
  message = g_strdup_printf (_("There is no machine “%s” on %s."),
                             name_or_uuid, gb_provider_get_uri (provider));
  show_error (self, _("Cannot open the console"), message);
}

static int
gb_application_command_line (GApplication            *app,
                             GApplicationCommandLine *command_line)
{
  GbApplication *self = GB_APPLICATION (app);
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  const char *connect_uri = NULL;
  const char *console_name = NULL;
  GbProvider *provider = NULL;
  GbWindow *window;

  g_variant_dict_lookup (options, "connect", "&s", &connect_uri);
  g_variant_dict_lookup (options, "show-domain-console", "&s", &console_name);

  if (!self->opened)
    open_startup_connections (self, connect_uri);
  else if (connect_uri != NULL)
    gb_application_open_connection (self, connect_uri);

  g_application_activate (app);

  if (connect_uri != NULL)
    provider = gb_application_find_provider (self, connect_uri);

  /* Like virt-manager's --show-domain-console and --show-domain-creator. */
  window = find_main_window (self);
  if (console_name != NULL && window != NULL)
    {
      gb_window_show_machine (window, provider, console_name, "console");
      /* Once that connection has listed its machines, say so if there is
       * no such machine (or the connection failed). */
      if (provider != NULL && GB_IS_LIBVIRT_PROVIDER (provider))
        with_connection (self, provider, check_machine_exists, console_name);
    }

  if (g_variant_dict_contains (options, "show-domain-creator"))
    g_action_group_activate_action (G_ACTION_GROUP (self), "new-machine", NULL);

  return 0;
}

/* The creator's target: the selected machine's place, else the first
 * connected libvirt connection, else the first place that is connected,
 * else the first one.  The wizard offers the others too. */
static GbProvider *
target_provider (GbApplication *self)
{
  GbWindow *window = find_main_window (self);
  GListModel *providers = G_LIST_MODEL (self->providers);
  g_autoptr(GbProvider) first = NULL;
  guint n = g_list_model_get_n_items (providers);

  if (window != NULL && gb_window_get_selected_machine (window) != NULL)
    {
      GbProvider *provider = gb_machine_get_provider (gb_window_get_selected_machine (window));

      if (gb_creator_backend_supports (provider))
        return provider;
    }

  for (guint pass = 0; pass < 2; pass++)
    for (guint i = 0; i < n; i++)
      {
        g_autoptr(GbProvider) provider = g_list_model_get_item (providers, i);

        if (!gb_creator_backend_supports (provider) ||
            (pass == 0 && !GB_IS_LIBVIRT_PROVIDER (provider)))
          continue;
        if (gb_provider_get_state (provider) == GB_PROVIDER_STATE_CONNECTED)
          return provider;
        if (first == NULL)
          first = g_object_ref (provider);
      }

  return first;  /* the store still holds it */
}

typedef struct {
  GbApplication      *self;
  GbProvider         *provider;
  WithConnectionFunc  func;
  char               *arg;
  gulong              handler;
} WaitConnection;

static void
wait_connection_free (WaitConnection *wait)
{
  g_clear_signal_handler (&wait->handler, wait->provider);
  g_object_unref (wait->provider);
  g_object_unref (wait->self);
  g_free (wait->arg);
  g_free (wait);
}

static void
on_wait_provider_state (GbProvider     *provider,
                        GParamSpec     *pspec,
                        WaitConnection *wait)
{
  if (gb_provider_get_state (provider) == GB_PROVIDER_STATE_CONNECTING)
    return;

  with_connection (wait->self, wait->provider, wait->func, wait->arg);
  wait_connection_free (wait);
}

/* Runs @func with the provider's open connection, once it is open (a
 * connection given on the command line may still be opening). */
static void
with_connection (GbApplication      *self,
                 GbProvider         *provider,
                 WithConnectionFunc  func,
                 const char         *arg)
{
  GVirConnection *connection;

  if (provider == NULL)
    {
      show_error (self, _("No connection"),
                  _("Add a connection first (Ctrl+O): new machines and disks are made on one."));
      return;
    }

  if (gb_provider_get_state (provider) == GB_PROVIDER_STATE_CONNECTING)
    {
      WaitConnection *wait = g_new0 (WaitConnection, 1);

      wait->self = g_object_ref (self);
      wait->provider = g_object_ref (provider);
      wait->func = func;
      wait->arg = g_strdup (arg);
      wait->handler = g_signal_connect (provider, "notify::state",
                                        G_CALLBACK (on_wait_provider_state), wait);
      return;
    }

  /* Glassbox's own machines need no connection. */
  connection = GB_IS_LIBVIRT_PROVIDER (provider)
               ? gb_libvirt_provider_get_connection (GB_LIBVIRT_PROVIDER (provider)) : NULL;
  if (connection == NULL && GB_IS_LIBVIRT_PROVIDER (provider))
    {
      g_autofree char *title = g_strdup_printf (_("Not connected to %s"), gb_provider_get_uri (provider));

      show_error (self, title, gb_provider_get_error (provider));
      return;
    }

  func (self, provider, connection, arg);
}

static void
on_machine_created (GbMachineCreatorWindow *creator,
                    const char             *uuid,
                    gboolean                customize,
                    gpointer                user_data)
{
  GbProvider *provider = gb_machine_creator_window_get_provider (creator);
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (creator));
  GbWindow *window = GB_IS_APPLICATION (app) ? find_main_window (GB_APPLICATION (app)) : NULL;

  if (window == NULL)
    return;

  /* The machine shows up in the list once the connection reports it:
   * then it is selected, and its console (it is starting) or, to
   * customize it, its details are shown. */
  gb_window_show_machine (window, provider, uuid,
                          customize ? "details" : "console");
  gtk_window_present (GTK_WINDOW (window));
}

static void
open_machine_creator (GbApplication  *self,
                      GbProvider     *provider,
                      GVirConnection *connection,
                      const char     *unused)
{
  GtkWindow *parent = GTK_WINDOW (find_main_window (self));
  GbMachineCreatorWindow *creator = gb_machine_creator_window_new (parent, G_LIST_MODEL (self->providers),
                                                                   provider);

  gtk_window_set_application (GTK_WINDOW (creator), GTK_APPLICATION (self));
  g_signal_connect (creator, "machine-created", G_CALLBACK (on_machine_created), NULL);
  gtk_window_present (GTK_WINDOW (creator));
}

/* Says what New Disk made, and remembers its folder for next time. */
static void
new_disk_created_cb (GbNewDiskDialog *dialog,
                     const char      *path,
                     GbApplication   *self)
{
  GbWindow *window = find_main_window (self);
  g_autofree char *size = NULL;
  g_autofree char *text = NULL;
  g_autofree char *escaped = NULL;
  const char *folder = NULL;
  GbDiskFormat format;
  guint64 capacity;

  gb_new_disk_dialog_get_created (dialog, &format, &capacity, &folder);
  if (folder != NULL && !gb_new_disk_dialog_has_own_folder (dialog))
    g_settings_set_string (self->settings, "new-disk-folder", folder);

  if (window == NULL)
    return;
  size = g_format_size_full (capacity, G_FORMAT_SIZE_IEC_UNITS);
  /* Translators: a toast: the new disk's path, its format (qcow2 or raw) and size, e.g. "20.0 GiB" */
  text = g_strdup_printf (_("Created %s (%s, %s)"), path,
                          format == GB_DISK_FORMAT_RAW ? "raw" : "qcow2", size);
  /* libadwaita 1.2 reads a toast's title as markup. */
  escaped = g_markup_escape_text (text, -1);
  gb_window_add_toast (window, adw_toast_new (escaped));
}

static void
open_new_disk_dialog (GbApplication  *self,
                      GbProvider     *provider,
                      GVirConnection *connection,
                      const char     *unused)
{
  GtkWindow *parent = GTK_WINDOW (find_main_window (self));
  GbNewDiskDialog *dialog = gb_new_disk_dialog_new (parent, provider);
  g_autofree char *folder = g_settings_get_string (self->settings, "new-disk-folder");

  /* The folder chosen last time (Glassbox's own machines have theirs). */
  if (*folder != '\0' && !gb_new_disk_dialog_has_own_folder (dialog) && g_file_test (folder, G_FILE_TEST_IS_DIR))
    gb_new_disk_dialog_set_folder (dialog, folder);
  g_signal_connect_object (dialog, "disk-created", G_CALLBACK (new_disk_created_cb), self, 0);
  gtk_window_set_application (GTK_WINDOW (dialog), GTK_APPLICATION (self));
  gtk_window_present (GTK_WINDOW (dialog));
}

typedef struct {
  GbApplication      *self;
  WithConnectionFunc  func;
  gulong              handler;
} WaitDefault;

static gboolean
opening_default_done_cb (gpointer data)
{
  WaitDefault *wait = data;

  with_connection (wait->self, target_provider (wait->self), wait->func, NULL);
  g_object_unref (wait->self);
  g_free (wait);
  return G_SOURCE_REMOVE;
}

static void
on_opening_default_done (GbApplication *self,
                         GParamSpec    *pspec,
                         WaitDefault   *wait)
{
  if (self->opening_default)
    return;

  /* From an idle: the connection found is added right after this notification. */
  g_clear_signal_handler (&wait->handler, self);
  g_idle_add (opening_default_done_cb, wait);
}

/* On the very first start the local connection is still being looked for:
 * the creator opens on it once it is found. */
static void
with_target_connection (GbApplication      *self,
                        WithConnectionFunc  func)
{
  if (target_provider (self) == NULL && self->opening_default)
    {
      WaitDefault *wait = g_new0 (WaitDefault, 1);

      wait->self = g_object_ref (self);
      wait->func = func;
      wait->handler = g_signal_connect (self, "notify::opening-default",
                                        G_CALLBACK (on_opening_default_done), wait);
      return;
    }

  with_connection (self, target_provider (self), func, NULL);
}

static void
new_machine_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  with_target_connection (user_data, open_machine_creator);
}

static void
new_disk_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  with_target_connection (user_data, open_new_disk_dialog);
}

static void
really_quit (GbApplication *self)
{
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));

  /* Destroying the windows lets them save their size; the application
   * then quits when its last window is gone. */
  for (GList *l = windows; l != NULL; l = windows)
    {
      windows = l->next;
      gtk_window_destroy (GTK_WINDOW (l->data));
    }

  g_application_quit (G_APPLICATION (self));
}

/* app.quit: embedded connections' machines stop with the app (their row
 * says so), so with any running, ask how first (gb-quit.c). */
static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  GbApplication *self = user_data;
  g_autoptr(GPtrArray) running = gb_quit_find_embedded_machines (self);
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (running->len == 0)
    {
      really_quit (self);
      return;
    }
  if (parent == NULL)
    parent = GTK_WINDOW (find_main_window (self));
  gb_quit_ask_and_stop (self, parent, G_CALLBACK (really_quit), self);
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  GbApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  GbPreferencesWindow *prefs = gb_preferences_window_new (self);

  gtk_window_set_transient_for (GTK_WINDOW (prefs), parent);
  gtk_window_present (GTK_WINDOW (prefs));
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  static const char *developers[] = { "The Glassbox developers", NULL };
  GbApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));

  adw_show_about_window (parent,
                         "application-name", _("Glassbox"),
                         "application-icon", APP_ID,
                         "developer-name", _("The Glassbox developers"),
                         "version", PACKAGE_VERSION,
                         "comments", _("Create, run and look inside virtual machines"),
                         "website", "https://glassbox.example.org",
                         "issue-url", "https://glassbox.example.org/issues",
                         "developers", developers,
                         /* Translators: put your name here, it is shown in the About window */
                         "translator-credits", _("translator-credits"),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         NULL);
}

static void
add_connection_action (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  GbApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  GbAddConnectionDialog *dialog = gb_add_connection_dialog_new (self);

  gtk_window_set_transient_for (GTK_WINDOW (dialog), parent);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
remove_connection_action (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  gb_application_remove_connection (user_data, g_variant_get_string (parameter, NULL));
}

static void
reconnect_action (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  GbApplication *self = user_data;
  GbProvider *provider = gb_application_find_provider (self, g_variant_get_string (parameter, NULL));

  if (provider != NULL && gb_provider_get_state (provider) == GB_PROVIDER_STATE_DISCONNECTED)
    gb_provider_connect_async (provider, self->cancellable, open_connection_cb, g_object_ref (self));
}

/* GTK 4.8 names a button with a mnemonic after its raw label and its text,
 * "_Cancel Cancel" (zh_CN: "取消(_C) 取消(C)"): a screen reader reads the
 * underscore.  Buttons with a mnemonic are named after their label
 * without it: "Cancel", "取消". */
static char *
strip_mnemonic (const char *label)
{
  GString *out = g_string_new (NULL);

  for (const char *p = label; *p; p++)
    {
      /* "(_C)" after CJK text goes altogether. */
      if (p[0] == '(' && p[1] == '_' && p[2] != '\0' && p[3] == ')')
        {
          p += 3;
          continue;
        }
      if (p[0] == '_' && p[1] == '_')
        {
          g_string_append_c (out, '_');
          p++;
          continue;
        }
      if (p[0] != '_')
        g_string_append_c (out, *p);
    }

  return g_strstrip (g_string_free (out, FALSE));
}

void
gb_application_name_mnemonic_buttons (GtkWidget *root)
{
  if (GTK_IS_BUTTON (root) && gtk_button_get_use_underline (GTK_BUTTON (root)) &&
      gtk_button_get_label (GTK_BUTTON (root)) != NULL)
    {
      g_autofree char *name = strip_mnemonic (gtk_button_get_label (GTK_BUTTON (root)));

      gtk_accessible_update_property (GTK_ACCESSIBLE (root), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
    }

  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    gb_application_name_mnemonic_buttons (child);
}

static void
gb_application_window_added (GtkApplication *app,
                             GtkWindow      *window)
{
  GTK_APPLICATION_CLASS (gb_application_parent_class)->window_added (app, window);
  gb_application_name_mnemonic_buttons (GTK_WIDGET (window));
}

/* GTK 4.8 gives a tooltip's label as many "characters" of width as its
 * text has characters, each as wide as an average Latin letter; a Chinese
 * character is twice that, so "主菜单" wrapped one character a line.
 * When a tooltip window maps, count wide characters twice (and leave a
 * little room) and let it size itself again.  ("notify" allows no
 * emission hook; "map" does.) */
static void
widen_tooltip_label (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_LABEL (child))
        {
          const char *text = gtk_label_get_text (GTK_LABEL (child));
          int columns = 2;

          for (const char *p = text; *p; p = g_utf8_next_char (p))
            columns += g_unichar_iswide (g_utf8_get_char (p)) ? 2 : 1;
          /* Long tooltips still wrap, about as wide as GTK's own limit. */
          columns = MIN (columns, 50);
          if (gtk_label_get_max_width_chars (GTK_LABEL (child)) < columns)
            gtk_label_set_max_width_chars (GTK_LABEL (child), columns);
        }
      else
        widen_tooltip_label (child);
    }
}

static gboolean
tooltip_map_hook (GSignalInvocationHint *hint,
                  guint                  n_params,
                  const GValue          *params,
                  gpointer               user_data)
{
  GObject *object = g_value_get_object (&params[0]);

  if (GTK_IS_NATIVE (object) && g_str_equal (G_OBJECT_TYPE_NAME (object), "GtkTooltipWindow"))
    {
      widen_tooltip_label (GTK_WIDGET (object));
      gtk_widget_queue_resize (GTK_WIDGET (object));
    }

  return TRUE;
}

static void
install_tooltip_width_hook (void)
{
  static gsize installed;

  if (g_once_init_enter (&installed))
    {
      /* The signal exists once GtkWidget's class does. */
      g_type_class_unref (g_type_class_ref (GTK_TYPE_WIDGET));
      g_signal_add_emission_hook (g_signal_lookup ("map", GTK_TYPE_WIDGET), 0,
                                  tooltip_map_hook, NULL, NULL);
      g_once_init_leave (&installed, 1);
    }
}

/* app.networks(uri): the connection's Virtual Networks window. */
static void
networks_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  GbApplication *self = user_data;
  GbProvider *provider = gb_application_find_provider (self, g_variant_get_string (parameter, NULL));
  GbNetworksWindow *window;

  if (!GB_IS_LIBVIRT_PROVIDER (provider))
    return;
  /* Not the application's window: its Ctrl+N adds a network, where the
   * application's accelerator would open the machine wizard. */
  window = gb_networks_window_new (GTK_WINDOW (find_main_window (self)), GB_LIBVIRT_PROVIDER (provider));
  gb_application_name_mnemonic_buttons (GTK_WIDGET (window));
  gtk_window_present (GTK_WINDOW (window));
}

/* app.host(uri): the connection's Host Details (overview, storage, networks). */
static void
host_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  GbApplication *self = user_data;
  GbProvider *provider = gb_application_find_provider (self, g_variant_get_string (parameter, NULL));
  GbHostWindow *window;

  if (!GB_IS_LIBVIRT_PROVIDER (provider))
    return;
  window = gb_host_window_new (GTK_WINDOW (find_main_window (self)), GB_LIBVIRT_PROVIDER (provider));
  gtk_window_present (GTK_WINDOW (window));
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action },
  { "preferences", preferences_action },
  { "about", about_action },
  { "add-connection", add_connection_action },
  { "new-machine", new_machine_action },
  { "new-disk", new_disk_action },
  { "remove-connection", remove_connection_action, "s" },
  { "reconnect", reconnect_action, "s" },
  { "networks", networks_action, "s" },
  { "host", host_action, "s" },
};

static void
gb_application_startup (GApplication *app)
{
  GbApplication *self = GB_APPLICATION (app);
  static const struct {
    const char *action;
    const char *accels[2];
  } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.preferences", { "<Control>comma", NULL } },
    { "app.add-connection", { "<Control>o", NULL } },
    { "app.new-machine", { "<Control>n", NULL } },
    { "app.new-disk", { "<Control><Shift>n", NULL } },
  };

  G_APPLICATION_CLASS (gb_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self),
                                           accels[i].action, accels[i].accels);

  gtk_window_set_default_icon_name (APP_ID);
  install_tooltip_width_hook ();

  {
    g_autoptr(GError) error = NULL;

    self->askpass = gb_askpass_new (GTK_APPLICATION (self));
    if (!gb_askpass_start (self->askpass, &error))
      g_debug ("ssh will not ask through the app: %s", error->message);
  }
}

static void
gb_application_shutdown (GApplication *app)
{
  GbApplication *self = GB_APPLICATION (app);
  guint n;

  g_cancellable_cancel (self->cancellable);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->providers));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GbProvider) provider = g_list_model_get_item (G_LIST_MODEL (self->providers), i);
      gb_provider_disconnect (provider);
    }

  G_APPLICATION_CLASS (gb_application_parent_class)->shutdown (app);
}

static void
gb_application_dispose (GObject *object)
{
  GbApplication *self = GB_APPLICATION (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->providers);
  g_clear_object (&self->askpass);

  G_OBJECT_CLASS (gb_application_parent_class)->dispose (object);
}

static void
gb_application_finalize (GObject *object)
{
  GbApplication *self = GB_APPLICATION (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (gb_application_parent_class)->finalize (object);
}

static void
gb_application_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  GbApplication *self = GB_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_PROVIDERS:
      g_value_set_object (value, self->providers);
      break;

    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;

    case PROP_OPENING_DEFAULT:
      g_value_set_boolean (value, self->opening_default);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_application_class_init (GbApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = gb_application_dispose;
  object_class->finalize = gb_application_finalize;
  object_class->get_property = gb_application_get_property;

  app_class->activate = gb_application_activate;
  app_class->startup = gb_application_startup;
  GTK_APPLICATION_CLASS (klass)->window_added = gb_application_window_added;
  app_class->shutdown = gb_application_shutdown;
  app_class->command_line = gb_application_command_line;
  app_class->handle_local_options = gb_application_handle_local_options;

  /**
   * GbApplication:providers:
   *
   * The open connections, a #GListModel of #GbProvider, in the order
   * they were opened.
   */
  properties[PROP_PROVIDERS] =
    g_param_spec_object ("providers", NULL, NULL,
                         G_TYPE_LIST_MODEL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL,
                         G_TYPE_SETTINGS,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));

  /**
   * GbApplication:opening-default:
   *
   * Whether the first local connection that works is being looked for
   * (first start); opening the embedded driver can take a while.
   */
  properties[PROP_OPENING_DEFAULT] =
    g_param_spec_boolean ("opening-default", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gb_application_init (GbApplication *self)
{
  self->settings = g_settings_new (APP_ID);
  self->providers = g_list_store_new (GB_TYPE_PROVIDER);
  self->cancellable = g_cancellable_new ();

  g_signal_connect_object (self->settings, "changed::stats-interval",
                           G_CALLBACK (on_stats_interval_changed), self,
                           G_CONNECT_SWAPPED);

  g_application_add_main_option_entries (G_APPLICATION (self), main_entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), NULL);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Create, run and look inside virtual machines."));
}
