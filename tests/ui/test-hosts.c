/* test-hosts.c — Host Details, its Storage page and the Migrate dialog on test:///default
 *
 * The connection's row menu offers "Host Details" (app.host); the window
 * shows what the test driver says of its host and draws its CPU graph from
 * samples taken each second. The Storage page lists the driver's pool, makes
 * a volume through the New Volume dialog and deletes it, confirming; pools
 * and volumes changed by another client appear and go without a reload
 * (libvirt's pool lifecycle and refresh events). The
 * Migrate dialog of the running "test" machine offers the second connection
 * as destination, draws a series of job-stats readings (three pre-copy
 * rounds, as GbMigration hands them over), and shows libvirt's own words
 * when the test driver refuses to migrate. PNGs of each are saved in the
 * build directory; with LANGUAGE=zh_CN the Chinese strings are checked too.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>

#include "gb-application.h"
#include "gb-host-window.h"
#include "gb-libvirt-private.h"
#include "gb-machine.h"
#include "gb-migrate-dialog.h"
#include "gb-provider-row.h"
#include "gb-storage.h"
#include "gb-test-gtk-utils.h"
#include "gb-window.h"

#define TEST_URI "test:///default"
#define TIMEOUT_MS 30000

static char *second_uri;

static gboolean
is_chinese (void)
{
  return g_strcmp0 (g_getenv ("LANGUAGE"), "zh_CN") == 0;
}

static char *
png_name (const char *stem)
{
  return g_strdup_printf ("%s%s.png", stem, is_chinese () ? "-zh_CN" : "");
}

static void
save_png (GtkWidget  *widget,
          const char *stem)
{
  g_autofree char *png = png_name (stem);

  gtk_test_widget_wait_for_draw (widget);
  gb_test_save_png (widget, png);
}

static gboolean
providers_connected (gpointer data)
{
  GbProvider *a = gb_application_find_provider (data, TEST_URI);
  GbProvider *b = gb_application_find_provider (data, second_uri);

  return a && b && gb_provider_get_state (a) == GB_PROVIDER_STATE_CONNECTED &&
         gb_provider_get_state (b) == GB_PROVIDER_STATE_CONNECTED;
}

static gboolean
host_window_shown (gpointer data)
{
  return gb_test_find_dialog (GB_TYPE_HOST_WINDOW) != NULL;
}

static gboolean
host_window_sampled (gpointer data)
{
  return gb_host_window_get_loaded (data) && gb_host_window_get_n_samples (data) >= 3;
}

static gboolean
message_dialog_shown (gpointer data)
{
  return gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

static gboolean
has_name (GtkWidget *widget,
          gpointer   data)
{
  return g_strcmp0 (gtk_widget_get_name (widget), data) == 0;
}

static gboolean
row_has_title (GtkWidget *widget,
               gpointer   data)
{
  return g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), data) == 0;
}

static GbStorageVolumeInfo *
find_volume (GbStoragePage *page,
             const char    *name)
{
  GPtrArray *vols = gb_storage_page_get_volumes (page);

  for (guint i = 0; vols && i < vols->len; i++)
    {
      GbStorageVolumeInfo *info = g_ptr_array_index (vols, i);

      if (g_str_equal (info->name, name))
        return info;
    }
  return NULL;
}

static gboolean
pools_listed (gpointer data)
{
  GPtrArray *pools = gb_storage_page_get_pools (data);

  return pools && pools->len > 0 && gb_storage_page_get_volumes (data) != NULL &&
         !gb_storage_page_get_busy (data);
}

static gboolean
volume_listed (gpointer data)
{
  return !gb_storage_page_get_busy (data) && find_volume (data, "gb-ui.qcow2") != NULL;
}

static GbStoragePoolInfo *
find_pool (GbStoragePage *page,
           const char    *name)
{
  GPtrArray *pools = gb_storage_page_get_pools (page);

  for (guint i = 0; pools && i < pools->len; i++)
    if (g_str_equal (((GbStoragePoolInfo *) g_ptr_array_index (pools, i))->name, name))
      return g_ptr_array_index (pools, i);
  return NULL;
}

static gboolean
new_pool_active (gpointer data)
{
  GbStoragePoolInfo *pool = gb_storage_page_get_busy (data) ? NULL : find_pool (data, "gb-ui-pool");

  return pool && pool->active && pool->autostart && g_strcmp0 (pool->type, "dir") == 0;
}

static gboolean
new_pool_gone (gpointer data)
{
  return !gb_storage_page_get_busy (data) && gb_storage_page_get_pools (data) &&
         find_pool (data, "gb-ui-pool") == NULL;
}

static gboolean
elsewhere_pool_active (gpointer data)
{
  GbStoragePoolInfo *pool = gb_storage_page_get_busy (data) ? NULL : find_pool (data, "gb-elsewhere");

  return pool && pool->active;
}

static gboolean
elsewhere_pool_stopped (gpointer data)
{
  GbStoragePoolInfo *pool = gb_storage_page_get_busy (data) ? NULL : find_pool (data, "gb-elsewhere");

  return pool && !pool->active;
}

static gboolean
elsewhere_pool_gone (gpointer data)
{
  return !gb_storage_page_get_busy (data) && gb_storage_page_get_pools (data) &&
         find_pool (data, "gb-elsewhere") == NULL;
}

static gboolean
elsewhere_volume_listed (gpointer data)
{
  return !gb_storage_page_get_busy (data) && find_volume (data, "gb-elsewhere.img") != NULL;
}

static gboolean
elsewhere_volume_gone (gpointer data)
{
  return !gb_storage_page_get_busy (data) && gb_storage_page_get_volumes (data) &&
         find_volume (data, "gb-elsewhere.img") == NULL;
}

static gboolean
volume_used (gpointer data)
{
  GbStorageVolumeInfo *vol = gb_storage_page_get_busy (data) ? NULL : find_volume (data, "gb-ui.qcow2");

  return vol && vol->used_by && g_strv_contains ((const char * const *) vol->used_by, "gb-disk-user");
}

static gboolean
volume_gone (gpointer data)
{
  return !gb_storage_page_get_busy (data) && find_volume (data, "gb-ui.qcow2") == NULL;
}

static gboolean
migration_over (gpointer data)
{
  GbMigration *migration = gb_migrate_dialog_get_migration (data);

  return migration && gb_migration_get_state (migration) != GB_MIGRATION_STATE_RUNNING;
}

static void
test_hosts (void)
{
  g_autoptr(GbApplication) app = gb_test_application_new ();
  GtkWidget *main_window, *window, *message, *widget;
  GbStoragePage *page;
  GbMigrateDialog *dialog;
  GbMachine *machine;
  gboolean found = FALSE;

  main_window = g_object_ref (GTK_WIDGET (gb_window_new (app)));
  gb_application_open_connection (app, TEST_URI);
  gb_application_open_connection (app, second_uri);
  gtk_window_present (GTK_WINDOW (main_window));
  g_assert_true (gb_test_wait_until_ms (providers_connected, app, TIMEOUT_MS));

  /* The row menu: "Host Details" for this URI. */
  {
    GtkWidget *provider_row = gb_test_find_widget (main_window, GB_TYPE_PROVIDER_ROW, NULL, NULL);
    GtkWidget *button = gb_test_find_widget (provider_row, GTK_TYPE_MENU_BUTTON, NULL, NULL);
    GMenuModel *menu = gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (button));

    for (int i = 0; i < g_menu_model_get_n_items (menu) && !found; i++)
      {
        g_autofree char *action = NULL;
        g_autofree char *label = NULL;

        g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_ACTION, "s", &action);
        g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_LABEL, "s", &label);
        if (g_strcmp0 (action, "app.host") == 0)
          {
            g_assert_cmpstr (label, ==, is_chinese () ? "主机详情(_H)" : "_Host Details");
            found = TRUE;
          }
      }
    g_assert_true (found);
  }

  /* Host Details: the facts and a live CPU graph. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "host", g_variant_new_string (TEST_URI));
  g_assert_true (gb_test_wait_until_ms (host_window_shown, NULL, TIMEOUT_MS));
  window = GTK_WIDGET (gb_test_find_dialog (GB_TYPE_HOST_WINDOW));
  g_assert_true (gb_test_wait_until_ms (host_window_sampled, window, TIMEOUT_MS));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, is_chinese () ? "主机详情" : "Host Details");
  widget = gb_test_find_widget (window, ADW_TYPE_ACTION_ROW, row_has_title,
                                (gpointer) (is_chinese () ? "虚拟化程序" : "Hypervisor"));
  g_assert_nonnull (widget);
  g_test_message ("hypervisor: %s", adw_action_row_get_subtitle (ADW_ACTION_ROW (widget)));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (widget)), "TEST"));
  widget = gb_test_find_widget (window, ADW_TYPE_ACTION_ROW, row_has_title,
                                (gpointer) (is_chinese () ? "处理器数量" : "Processors"));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (widget)), "16 × "));
  /* The test driver reports CPU times (so a percentage), not memory. */
  g_assert_nonnull (gb_test_find_label_with_text (window, is_chinese () ? "此连接不提供" : "Not reported by this connection"));
  save_png (window, "host-window");

  /* Storage: the driver's pool; a new volume through the dialog; deleted again. */
  page = gb_host_window_get_storage_page (GB_HOST_WINDOW (window));
  gb_host_window_show_page (GB_HOST_WINDOW (window), "storage");
  g_assert_true (gb_test_wait_until_ms (pools_listed, page, TIMEOUT_MS));
  g_assert_cmpstr (((GbStoragePoolInfo *) g_ptr_array_index (gb_storage_page_get_pools (page), 0))->name,
                   ==, "default-pool");

  gtk_widget_activate_action (GTK_WIDGET (page), "storage.add-volume", NULL);
  g_assert_true (gb_test_wait_until_ms (message_dialog_shown, NULL, TIMEOUT_MS));
  message = GTK_WIDGET (gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (message)), ==,
                   is_chinese () ? "新建卷" : "New Volume");
  widget = gb_test_find_widget (message, ADW_TYPE_ENTRY_ROW, has_name, (gpointer) "volume-name");
  gtk_editable_set_text (GTK_EDITABLE (widget), "gb-ui.qcow2");
  widget = gb_test_find_widget (message, GTK_TYPE_SPIN_BUTTON, has_name, (gpointer) "volume-capacity");
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (widget), 2);
  save_png (message, "new-volume-dialog");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (message), "create");
  gtk_window_destroy (GTK_WINDOW (message));
  g_assert_true (gb_test_wait_until_ms (volume_listed, page, TIMEOUT_MS));
  g_assert_null (gb_storage_page_get_error (page));
  g_assert_cmpuint (find_volume (page, "gb-ui.qcow2")->capacity, ==, 2ull << 30);
  g_assert_nonnull (gb_test_find_widget (GTK_WIDGET (page), ADW_TYPE_ACTION_ROW, row_has_title,
                                         (gpointer) "gb-ui.qcow2"));
  /* A machine whose disk is the volume: the list says so, and deleting asks
   * with the machine's name before it goes. */
  {
    virConnectPtr conn = _gb_libvirt_provider_get_handle (gb_application_find_provider (app, TEST_URI));
    g_autofree char *xml = g_strdup_printf ("<domain type='test'><name>gb-disk-user</name><memory>65536</memory>"
                                            "<os><type>hvm</type></os><devices><disk type='file' device='disk'>"
                                            "<source file='%s'/><target dev='vda'/></disk></devices></domain>",
                                            find_volume (page, "gb-ui.qcow2")->path);
    virDomainPtr dom = virDomainDefineXML (conn, xml);

    g_assert_nonnull (dom);
    virDomainFree (dom);
  }
  gb_storage_page_reload (page);
  g_assert_true (gb_test_wait_until_ms (volume_used, page, TIMEOUT_MS));
  gb_storage_page_select_volume (page, "gb-ui.qcow2");
  g_assert_nonnull (gb_test_find_label_with_text (GTK_WIDGET (page), is_chinese () ? "使用中" : "In use"));
  save_png (window, "storage-page");

  gtk_widget_activate_action (GTK_WIDGET (page), "storage.delete-volume", NULL);
  g_assert_true (gb_test_wait_until_ms (message_dialog_shown, NULL, TIMEOUT_MS));
  message = GTK_WIDGET (gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (message)), ==,
                   is_chinese () ? "删除“gb-ui.qcow2”？" : "Delete “gb-ui.qcow2”?");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (message)), "gb-disk-user"));
  g_assert_true (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (message), "delete-anyway"));
  save_png (message, "delete-volume-in-use");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (message), "delete-anyway");
  gtk_window_destroy (GTK_WINDOW (message));
  g_assert_true (gb_test_wait_until_ms (volume_gone, page, TIMEOUT_MS));

  /* A folder pool through Add Pool; then deleted, confirming. */
  gtk_widget_activate_action (GTK_WIDGET (page), "storage.add-pool", NULL);
  g_assert_true (gb_test_wait_until_ms (message_dialog_shown, NULL, TIMEOUT_MS));
  message = GTK_WIDGET (gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (message)), ==,
                   is_chinese () ? "添加存储池" : "Add Storage Pool");
  widget = gb_test_find_widget (message, ADW_TYPE_COMBO_ROW, has_name, (gpointer) "pool-type");
  g_assert_cmpstr (gtk_string_object_get_string (adw_combo_row_get_selected_item (ADW_COMBO_ROW (widget))), ==, "dir");
  widget = gb_test_find_widget (message, ADW_TYPE_ENTRY_ROW, has_name, (gpointer) "pool-name");
  gtk_editable_set_text (GTK_EDITABLE (widget), "gb-ui-pool");
  widget = gb_test_find_widget (message, ADW_TYPE_ENTRY_ROW, has_name, (gpointer) "pool-target");
  gtk_editable_set_text (GTK_EDITABLE (widget), "/gb-ui-pool");
  save_png (message, "add-pool-dialog");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (message), "add");
  gtk_window_destroy (GTK_WINDOW (message));
  g_assert_true (gb_test_wait_until_ms (new_pool_active, page, TIMEOUT_MS));
  g_assert_null (gb_storage_page_get_error (page));

  gtk_widget_activate_action (GTK_WIDGET (page), "storage.delete-pool", NULL);
  g_assert_true (gb_test_wait_until_ms (message_dialog_shown, NULL, TIMEOUT_MS));
  message = GTK_WIDGET (gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (message)), ==,
                   is_chinese () ? "删除存储池“gb-ui-pool”？" : "Delete the pool “gb-ui-pool”?");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (message), "delete");
  gtk_window_destroy (GTK_WINDOW (message));
  g_assert_true (gb_test_wait_until_ms (new_pool_gone, page, TIMEOUT_MS));

  /* Changes made elsewhere (another client on the same host) show up
   * without a reload: a pool defined and started, a volume that appears
   * when its pool is refreshed, the pool stopped and undefined. */
  {
    virConnectPtr conn = _gb_libvirt_provider_get_handle (gb_application_find_provider (app, TEST_URI));
    GbStoragePoolSpec spec = { .name = "gb-elsewhere", .type = "dir", .target = "/gb-elsewhere" };
    g_autoptr(GError) error = NULL;
    virStoragePoolPtr pool;
    virStorageVolPtr vol;

    g_assert_true (gb_test_wait_until_ms (pools_listed, page, TIMEOUT_MS));
    gb_storage_page_select_pool (page, "default-pool");
    g_assert_true (gb_test_wait_until_ms (pools_listed, page, TIMEOUT_MS));
    g_assert_true (gb_storage_pool_create (conn, &spec, &error));
    g_assert_no_error (error);
    g_assert_true (gb_test_wait_until_ms (elsewhere_pool_active, page, TIMEOUT_MS));

    pool = virStoragePoolLookupByName (conn, "default-pool");
    g_assert_nonnull (pool);
    vol = virStorageVolCreateXML (pool, "<volume><name>gb-elsewhere.img</name>"
                                        "<capacity unit='MiB'>16</capacity></volume>", 0);
    g_assert_nonnull (vol);
    g_assert_cmpint (virStoragePoolRefresh (pool, 0), ==, 0);
    g_assert_true (gb_test_wait_until_ms (elsewhere_volume_listed, page, TIMEOUT_MS));
    save_png (window, "storage-page-events");
    g_assert_cmpint (virStorageVolDelete (vol, 0), ==, 0);
    virStorageVolFree (vol);
    g_assert_cmpint (virStoragePoolRefresh (pool, 0), ==, 0);
    virStoragePoolFree (pool);
    g_assert_true (gb_test_wait_until_ms (elsewhere_volume_gone, page, TIMEOUT_MS));

    pool = virStoragePoolLookupByName (conn, "gb-elsewhere");
    g_assert_nonnull (pool);
    g_assert_cmpint (virStoragePoolDestroy (pool), ==, 0);
    g_assert_true (gb_test_wait_until_ms (elsewhere_pool_stopped, page, TIMEOUT_MS));
    g_assert_cmpint (virStoragePoolUndefine (pool), ==, 0);
    virStoragePoolFree (pool);
    g_assert_true (gb_test_wait_until_ms (elsewhere_pool_gone, page, TIMEOUT_MS));
  }

  g_object_ref (window);
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (window);

  /* Migrate: the other connection is the destination. */
  machine = gb_provider_find_machine (gb_application_find_provider (app, TEST_URI), "test");
  g_assert_nonnull (machine);
  g_assert_cmpint (gb_machine_get_state (machine), ==, GB_MACHINE_STATE_RUNNING);
  dialog = gb_migrate_dialog_new (GTK_WINDOW (main_window), machine, gb_application_get_providers (app));
  g_assert_cmpuint (gb_migrate_dialog_get_n_destinations (dialog), ==, 1);
  gtk_window_present (GTK_WINDOW (dialog));
  {
    GbMigrationOptions options;

    gb_migrate_dialog_get_options (GB_MIGRATE_DIALOG (dialog), &options);
    g_assert_true (options.live);
    g_assert_true (options.persistent && options.undefine_source);
    g_assert_cmpstr (options.dest_uri, ==, second_uri);
    g_assert_cmpuint (options.max_downtime_ms, ==, 300);
    g_assert_cmpuint (gb_migration_options_flags (&options) & VIR_MIGRATE_LIVE, !=, 0);
    g_free (options.dest_uri);
  }
  save_png (GTK_WIDGET (dialog), "migrate-dialog");

  /* Readings as GbMigration hands them over: 1 GiB, three rounds, each
   * round copying what the guest dirtied during the last. */
  {
    g_autoptr(GArray) history = g_array_new (FALSE, TRUE, sizeof (GbMigrationStats));
    double remaining = 1024.0 * 1024 * 1024;

    for (guint i = 0; i < 24; i++)
      {
        GbMigrationStats s = { 0 };

        s.iteration = 1 + i / 10;
        if (i == 10)
          remaining = 180.0 * 1024 * 1024;
        else if (i == 20)
          remaining = 40.0 * 1024 * 1024;
        else
          remaining = MAX (remaining - 90.0 * 1024 * 1024, 8.0 * 1024 * 1024);
        s.mem_total = 1ull << 30;
        s.mem_remaining = remaining;
        s.mem_bps = 110ull << 20;
        s.dirty_rate = 4200;
        s.page_size = 4096;
        s.downtime_ms = 180;
        s.elapsed_ms = 250 * i;
        g_array_append_val (history, s);
      }
    gb_migrate_dialog_show_progress (dialog, history);
  }
  g_assert_nonnull (gb_test_find_widget (GTK_WIDGET (dialog), ADW_TYPE_ACTION_ROW, row_has_title,
                                         (gpointer) (is_chinese () ? "轮次" : "Round")));
  save_png (GTK_WIDGET (dialog), "migrate-progress");

  /* The test driver cannot migrate: the dialog says so in libvirt's words. */
  gtk_widget_activate_action (GTK_WIDGET (dialog), "migrate.start", NULL);
  g_assert_nonnull (gb_migrate_dialog_get_migration (dialog));
  g_assert_true (gb_test_wait_until_ms (migration_over, dialog, TIMEOUT_MS));
  g_assert_cmpint (gb_migration_get_state (gb_migrate_dialog_get_migration (dialog)), ==, GB_MIGRATION_STATE_FAILED);
  widget = gb_test_find_label_with_class (GTK_WIDGET (dialog), "error");
  g_assert_nonnull (widget);
  g_test_message ("migrate: %s", gtk_label_get_text (GTK_LABEL (widget)));
  save_png (GTK_WIDGET (dialog), "migrate-failed");

  g_object_ref (dialog);
  gtk_window_destroy (GTK_WINDOW (dialog));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (dialog);

  gtk_window_destroy (GTK_WINDOW (main_window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (main_window);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *dir = NULL;
  g_autofree char *node = NULL;
  int ret;

  gb_application_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);

  /* A second test-driver host: an empty node of its own. */
  dir = g_dir_make_tmp ("gb-hosts-ui-XXXXXX", NULL);
  node = g_build_filename (dir, "node.xml", NULL);
  g_assert_true (g_file_set_contents (node, "<node><cpu><mhz>2000</mhz></cpu></node>\n", -1, NULL));
  second_uri = g_strdup_printf ("test://%s", node);

  g_test_add_func ("/ui/hosts", test_hosts);
  ret = g_test_run ();

  g_unlink (node);
  g_rmdir (dir);
  g_free (second_uri);
  return ret;
}
