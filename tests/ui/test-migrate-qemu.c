/* test-migrate-qemu.c — a running TCG guest moves live between two libvirt hosts
 *
 * tests/libvirt/two-hosts.sh makes two private libvirtds, each in its own
 * network and mount namespace (own sockets, state, images, host_uuid),
 * joined by a veth pair and nothing else; libvirtd listens on TCP (auth
 * none) only on its veth address and QEMU's migration stream goes over the
 * veth. The app connects to both through their UNIX sockets. A Debian
 * kernel + busybox guest (tests/libvirt/guest-counter.sh) fills 48 MiB of
 * its memory and counts on its serial console (a file in each host's own
 * /var/log/libvirt). Its disk is a qcow2 volume in a folder pool that each
 * host has at the same path but not shared, so the disk is copied
 * (VIR_MIGRATE_NON_SHARED_DISK). The Migrate dialog moves it, live, at
 * 32 MiB/s so that the copy takes a few pre-copy rounds; the test checks what
 * the dialog showed (more than one round), that the machine is now on host b
 * and gone from host a, that host b's console goes on counting from where
 * host a's stopped, and saves a PNG of the dialog. A move back, slowed
 * down, is cancelled from the dialog: the machine stays on b, still
 * counting. Then a second, diskless counter guest moves from b to a
 * tunnelled (VIR_MIGRATE_TUNNELLED | VIR_MIGRATE_PEER2PEER) with the veth
 * between the hosts down, so only the libvirt connection can carry it; a's
 * console counts on.
 * Before all that, host a's Host Details and Storage page are
 * checked on the real daemon (upload and download). Namespaces and daemons
 * are removed at the end (and by a watcher if the test dies). Root only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "gb-application.h"
#include "gb-host-window.h"
#include "gb-storage-page.h"
#include "gb-libvirt-private.h"
#include "gb-migrate-dialog.h"
#include "gb-storage.h"
#include "gb-test-gtk-utils.h"
#include "gb-window.h"

#define DOMAIN_NAME "gbmig"
#define TUNNEL_NAME "gbtun"
#define MiB (1024 * 1024)

typedef struct {
  const char *path;
  guint       at_least;
} CountWait;

/* The numbers "GB-COUNT n" in a serial log, in order. */
static GArray *
read_counts (const char *path)
{
  g_autofree char *text = NULL;
  GArray *counts = g_array_new (FALSE, FALSE, sizeof (guint));
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return counts;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      const char *p = strstr (lines[i], "GB-COUNT ");
      guint n;

      if (p && sscanf (p, "GB-COUNT %u", &n) == 1)
        g_array_append_val (counts, n);
    }
  return counts;
}

static guint
last_count (const char *path)
{
  g_autoptr(GArray) counts = read_counts (path);

  return counts->len ? g_array_index (counts, guint, counts->len - 1) : 0;
}

static gboolean
count_reached (gpointer data)
{
  CountWait *wait = data;

  return last_count (wait->path) >= wait->at_least;
}

static gboolean
providers_connected (gpointer data)
{
  GbProvider **p = data;

  return gb_provider_get_state (p[0]) == GB_PROVIDER_STATE_CONNECTED &&
         gb_provider_get_state (p[1]) == GB_PROVIDER_STATE_CONNECTED;
}

static gboolean
machine_running (gpointer data)
{
  GbMachine *machine = gb_provider_find_machine (data, DOMAIN_NAME);

  return machine && gb_machine_get_state (machine) == GB_MACHINE_STATE_RUNNING;
}

static gboolean
machine_gone (gpointer data)
{
  return gb_provider_find_machine (data, DOMAIN_NAME) == NULL;
}

static gboolean
tunnel_running_on (gpointer data)
{
  GbMachine *machine = gb_provider_find_machine (data, TUNNEL_NAME);

  return machine && gb_machine_get_state (machine) == GB_MACHINE_STATE_RUNNING;
}

static gboolean
tunnel_gone_from (gpointer data)
{
  return gb_provider_find_machine (data, TUNNEL_NAME) == NULL;
}

static gboolean
host_sampled (gpointer data)
{
  return gb_host_window_get_loaded (data) && gb_host_window_get_n_samples (data) >= 3;
}

static gboolean
row_has_title (GtkWidget *widget,
               gpointer   data)
{
  return g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), data) == 0;
}

static gboolean
memory_copy_started (gpointer data)
{
  return gb_migration_get_stats (data)->mem_processed > 8 * MiB ||
         gb_migration_get_state (data) != GB_MIGRATION_STATE_RUNNING;
}

static gboolean
migration_over (gpointer data)
{
  GbMigration *migration = gb_migrate_dialog_get_migration (data);

  return migration && gb_migration_get_state (migration) != GB_MIGRATION_STATE_RUNNING;
}

static void
on_progress (GbMigration *migration,
             guint       *n)
{
  const GbMigrationStats *s = gb_migration_get_stats (migration);

  if ((*n)++ % 4 == 0)
    g_test_message ("round %llu: %llu MiB of %llu MiB left, %llu pages/s dirtied, %llu MiB/s; disks %llu of %llu MiB",
                    s->iteration, s->mem_remaining / MiB, s->mem_total / MiB,
                    s->dirty_rate, s->mem_bps / MiB, s->disk_processed / MiB, s->disk_total / MiB);
}

static void
two_hosts (const char *how,
           const char *dir,
           const char *prefix)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "libvirt", "two-hosts.sh", NULL);
  g_autofree char *pid = g_strdup_printf ("%d", getpid ());
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *argv[] = { "/bin/sh", script, how, dir, prefix, pid, NULL };

  if (g_str_equal (how, "down"))
    argv[5] = NULL;
  if (gb_test_run (argv, &out, &err) != 0)
    g_error ("two-hosts.sh %s failed:\n%s%s", how, out, err);
}

static char *
domain_xml (const char *name,
            const char *kernel,
            const char *initrd,
            gboolean    with_disk)
{
  g_autofree char *disk = g_strdup_printf (
    "    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
    "      <source file='/var/lib/libvirt/images/%s.qcow2'/><target dev='vda' bus='virtio'/></disk>", name);

  return g_strdup_printf (
    "<domain type='qemu'>"
    "  <name>%s</name>"
    "  <memory unit='MiB'>256</memory>"
    "  <vcpu>1</vcpu>"
    "  <os><type arch='x86_64' machine='pc'>hvm</type>"
    "    <kernel>%s</kernel><initrd>%s</initrd>"
    "    <cmdline>console=ttyS0 quiet no_timer_check gb.run=guest-counter.sh</cmdline></os>"
    "  <devices>%s"
    "    <serial type='file'><source path='/var/log/libvirt/%s-serial.log'/></serial>"
    "    <memballoon model='none'/>"
    "  </devices>"
    "</domain>", name, kernel, initrd, with_disk ? disk : "", name);
}

static gboolean
page_idle (gpointer data)
{
  return !gb_storage_page_get_busy (data) && gb_storage_page_get_volumes (data) != NULL;
}

static gboolean
page_has_volume (gpointer data)
{
  GPtrArray *vols = gb_storage_page_get_volumes (data);

  for (guint i = 0; vols && i < vols->len; i++)
    if (g_str_equal (((GbStorageVolumeInfo *) g_ptr_array_index (vols, i))->name, "upload.img"))
      return !gb_storage_page_get_busy (data);
  return FALSE;
}

static char *
checksum_file (const char *path)
{
  g_autofree char *data = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, len);
}

static void
storage_round_trip (GbHostWindow  *host,
                    virConnectPtr  conn,
                    const char    *dir)
{
  GbStoragePage *page = gb_host_window_get_storage_page (host);
  g_autofree char *up = g_build_filename (dir, "upload.bin", NULL);
  g_autofree char *down = g_build_filename (dir, "download.bin", NULL);
  g_autofree char *sum_up = NULL;
  g_autofree char *sum_down = NULL;
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  GbStorageVolumeSpec raw = { .name = "upload.img", .format = "raw", .capacity = 16 * MiB };

  g_assert_true (gb_storage_volume_create (conn, "images", &raw, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 16 * MiB / 4; i++)
    {
      guint32 r = g_random_int ();

      g_byte_array_append (bytes, (guint8 *) &r, 4);
    }
  g_assert_true (g_file_set_contents (up, (char *) bytes->data, bytes->len, NULL));

  gb_host_window_show_page (host, "storage");
  gb_storage_page_reload (page);
  g_assert_true (gb_test_wait_until (page_idle, page, 30));
  gb_storage_page_select_pool (page, "images");
  g_assert_true (gb_test_wait_until (page_has_volume, page, 30));
  gb_storage_page_select_volume (page, "upload.img");

  gb_storage_page_transfer (page, up, TRUE);
  g_assert_true (gb_storage_page_get_busy (page));
  g_assert_true (gb_test_wait_until (page_idle, page, 60));
  g_assert_null (gb_storage_page_get_error (page));
  gb_storage_page_select_volume (page, "upload.img");
  gb_storage_page_transfer (page, down, FALSE);
  g_assert_true (gb_test_wait_until (page_idle, page, 60));
  g_assert_null (gb_storage_page_get_error (page));

  sum_up = checksum_file (up);
  sum_down = checksum_file (down);
  g_test_message ("Storage page: uploaded and downloaded 16 MiB, sha256 %s", sum_down);
  g_assert_cmpstr (sum_up, ==, sum_down);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (host));
  gb_test_save_png (GTK_WIDGET (host), "storage-page-qemu.png");
  g_assert_true (gb_storage_volume_delete (conn, "images", "upload.img", FALSE, &error));
  g_assert_no_error (error);
}

static void
quiet (void        *data,
       virErrorPtr  err)
{
}

static void
test_migrate (void)
{
  g_autofree char *counter = g_test_build_filename (G_TEST_DIST, "libvirt", "guest-counter.sh", NULL);
  g_autofree char *dir = NULL;
  g_autofree char *prefix = g_strdup_printf ("gbmig%d", getpid ());
  g_autofree char *guest_dir = NULL;
  g_autofree char *kernel = NULL;
  g_autofree char *initrd = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *uri_a = NULL;
  g_autofree char *uri_b = NULL;
  g_autofree char *log_a = NULL;
  g_autofree char *log_b = NULL;
  g_autofree char *xml = NULL;
  g_autoptr(GbApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) counts_b = NULL;
  GbProvider *providers[2];
  GtkWidget *main_window;
  GbMigrateDialog *dialog;
  GbMigration *migration;
  GbMachine *machine;
  virConnectPtr conn_a, conn_b;
  virDomainPtr dom;
  guint n_progress = 0, before, first_b;
  gint64 t0;

  if (getuid () != 0)
    {
      g_test_skip ("two private libvirtds in their own namespaces need root");
      return;
    }
  if (!gb_test_skip_without_program ("qemu-system-x86_64", NULL) ||
      !gb_test_skip_without_program ("libvirtd", "libvirt-daemon-system") ||
      !gb_test_skip_without_program ("ip", "iproute2") ||
      !gb_test_skip_without_program ("virsh", "libvirt-clients"))
    return;

  dir = gb_test_tmpdir_new ("gb-migrate-XXXXXX");
  guest_dir = g_build_filename (dir, "guest", NULL);
  if (!gb_test_build_linux_guest (guest_dir, (const char *[]) { counter, NULL }, NULL, &reason))
    {
      g_test_skip (reason);
      return;
    }
  kernel = g_build_filename (guest_dir, "vmlinuz", NULL);
  initrd = g_build_filename (guest_dir, "initramfs.img", NULL);

  t0 = g_get_monotonic_time ();
  two_hosts ("up", dir, prefix);
  g_test_message ("two hosts up in %.1f s (namespaces %s-a, %s-b)",
                  (g_get_monotonic_time () - t0) / 1e6, prefix, prefix);
  uri_a = g_strdup_printf ("qemu+unix:///system?socket=%s/a/run/libvirt-sock", dir);
  uri_b = g_strdup_printf ("qemu+unix:///system?socket=%s/b/run/libvirt-sock", dir);
  log_a = g_build_filename (dir, "a", "log", "gbmig-serial.log", NULL);
  log_b = g_build_filename (dir, "b", "log", "gbmig-serial.log", NULL);

  /* The non-shared storage: a pool at the same path on both hosts, a volume on a. */
  conn_a = virConnectOpen (uri_a);
  conn_b = virConnectOpen (uri_b);
  g_assert_nonnull (conn_a);
  g_assert_nonnull (conn_b);
  {
    GbStoragePoolSpec pool = { .name = "images", .type = "dir", .target = "/var/lib/libvirt/images" };
    GbStorageVolumeSpec vol = { .name = "gbmig.qcow2", .format = "qcow2", .capacity = 64 * MiB };

    g_assert_true (gb_storage_pool_create (conn_a, &pool, &error));
    g_assert_no_error (error);
    g_assert_true (gb_storage_pool_create (conn_b, &pool, &error));
    g_assert_no_error (error);
    g_assert_true (gb_storage_volume_create (conn_a, "images", &vol, &error));
    g_assert_no_error (error);
  }

  /* The app, with both hosts. */
  app = gb_test_application_new ();
  main_window = g_object_ref (GTK_WIDGET (gb_window_new (app)));
  providers[0] = gb_application_open_connection (app, uri_a);
  providers[1] = gb_application_open_connection (app, uri_b);
  gtk_window_present (GTK_WINDOW (main_window));
  g_assert_true (gb_test_wait_until (providers_connected, providers, 120));

  /* Host Details of a real QEMU host: its facts and live graphs. */
  {
    GbHostWindow *host = gb_host_window_new (GTK_WINDOW (main_window), GB_LIBVIRT_PROVIDER (providers[0]));
    GtkWidget *row;

    gtk_window_present (GTK_WINDOW (host));
    g_assert_true (gb_test_wait_until (host_sampled, host, 30));
    row = gb_test_find_widget (GTK_WIDGET (host), ADW_TYPE_ACTION_ROW, row_has_title, (gpointer) "Hypervisor");
    g_test_message ("host a: %s", adw_action_row_get_subtitle (ADW_ACTION_ROW (row)));
    g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "QEMU 7."));
    row = gb_test_find_widget (GTK_WIDGET (host), ADW_TYPE_ACTION_ROW, row_has_title, (gpointer) "Acceleration");
    g_test_message ("host a: %s", adw_action_row_get_subtitle (ADW_ACTION_ROW (row)));
    g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "KVM") ||
                   g_str_has_prefix (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "TCG"));
    /* A real host reports both CPU times and memory. */
    g_assert_null (gb_test_find_label_with_text (GTK_WIDGET (host), "Not reported by this connection"));
    gtk_test_widget_wait_for_draw (GTK_WIDGET (host));
    gb_test_save_png (GTK_WIDGET (host), "host-window-qemu.png");

    /* Its Storage page: upload a file into a volume and download it back. */
    storage_round_trip (host, conn_a, dir);
    gtk_window_destroy (GTK_WINDOW (host));
  }

  xml = domain_xml (DOMAIN_NAME, kernel, initrd, TRUE);
  dom = virDomainDefineXML (conn_a, xml);
  g_assert_nonnull (dom);
  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  virDomainFree (dom);
  g_assert_true (gb_test_wait_until (machine_running, providers[0], 30));
  {
    CountWait wait = { log_a, 10 };

    if (!gb_test_wait_until (count_reached, &wait, 120))
      g_error ("the guest did not count to 10 on host a in 120 s");
  }
  g_test_message ("counting on host a: %u", last_count (log_a));

  /* The Migrate dialog: b, live, disks copied, kept on b and undefined on a. */
  machine = gb_provider_find_machine (providers[0], DOMAIN_NAME);
  dialog = gb_migrate_dialog_new (GTK_WINDOW (main_window), machine, gb_application_get_providers (app));
  g_assert_cmpuint (gb_migrate_dialog_get_n_destinations (dialog), ==, 1);
  gb_migrate_dialog_set_destination (dialog, uri_b);
  {
    GbMigrationOptions options = {
      .live = TRUE, .copy_storage = TRUE, .persistent = TRUE, .undefine_source = TRUE,
      .max_downtime_ms = 300, .bandwidth_mib = 32,
    };

    gb_migrate_dialog_set_options (dialog, &options);
  }
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (dialog));

  t0 = g_get_monotonic_time ();
  before = last_count (log_a);
  gtk_widget_activate_action (GTK_WIDGET (dialog), "migrate.start", NULL);
  migration = gb_migrate_dialog_get_migration (dialog);
  g_assert_nonnull (migration);
  g_signal_connect (migration, "progress", G_CALLBACK (on_progress), &n_progress);
  if (!gb_test_wait_until (migration_over, dialog, 150))
    g_error ("the migration did not end in 150 s");
  g_test_message ("migration %s after %.1f s: %u readings, %llu rounds, %s",
                  gb_migration_get_state (migration) == GB_MIGRATION_STATE_COMPLETED ? "completed" : "ended",
                  (g_get_monotonic_time () - t0) / 1e6, n_progress,
                  (unsigned long long) gb_migration_get_max_iteration (migration),
                  gb_migration_get_error (migration) ? gb_migration_get_error (migration) : "no error");
  gb_test_save_png (GTK_WIDGET (dialog), "migrate-qemu.png");
  g_assert_cmpint (gb_migration_get_state (migration), ==, GB_MIGRATION_STATE_COMPLETED);
  /* The dialog drew the pre-copy rounds: more than one. */
  g_assert_cmpuint (gb_migration_get_max_iteration (migration), >, 1);
  g_assert_cmpuint (gb_migration_get_history (migration)->len, >=, 2);
  g_test_message ("the guest paused for %llu ms", gb_migration_get_stats (migration)->downtime_ms);
  /* The disk was copied (NBD mirror before the memory): readings said so. */
  {
    GArray *history = gb_migration_get_history (migration);
    unsigned long long disk_total = 0;

    for (guint i = 0; i < history->len; i++)
      disk_total = MAX (disk_total, g_array_index (history, GbMigrationStats, i).disk_total);
    g_test_message ("disks copied: %llu MiB", disk_total / MiB);
    g_assert_cmpuint (disk_total, >=, 64 * MiB);
  }
  {
    g_autofree char *image_b = g_build_filename (dir, "b", "lib", "images", "gbmig.qcow2", NULL);

    g_assert_true (g_file_test (image_b, G_FILE_TEST_IS_REGULAR));
  }

  /* On b now, and gone from a. */
  g_assert_true (gb_test_wait_until (machine_running, providers[1], 30));
  g_assert_true (gb_test_wait_until (machine_gone, providers[0], 30));

  /* Host b's console goes on from where host a's stopped. */
  {
    CountWait wait = { log_b, 0 };
    guint last_a = last_count (log_a);

    counts_b = read_counts (log_b);
    wait.at_least = 1;
    g_assert_true (gb_test_wait_until (count_reached, &wait, 30));
    g_clear_pointer (&counts_b, g_array_unref);
    counts_b = read_counts (log_b);
    first_b = g_array_index (counts_b, guint, 0);
    g_test_message ("host a counted %u…%u, host b goes on at %u", before, last_a, first_b);
    g_assert_cmpuint (first_b, >, 10);
    g_assert_cmpuint (first_b, >=, last_a);
    g_assert_cmpuint (first_b, <=, last_a + 2);
    wait.at_least = first_b + 10;
    g_assert_true (gb_test_wait_until (count_reached, &wait, 60));
  }

  /* Back to a, slowly, and cancelled once the memory copy is under way:
   * the machine stays on b and goes on counting. */
  {
    GbMachine *on_b = gb_provider_find_machine (providers[1], DOMAIN_NAME);
    GbMigrateDialog *back;
    GbMigration *cancelled;
    CountWait wait = { log_b, 0 };
    GbMigrationOptions options = {
      .live = TRUE, .copy_storage = TRUE, .persistent = TRUE, .undefine_source = TRUE,
      .max_downtime_ms = 50, .bandwidth_mib = 4,
    };

    /* a still has the old image at that path: make room for the copy. */
    g_assert_true (gb_storage_volume_delete (conn_a, "images", "gbmig.qcow2", FALSE, &error));
    g_assert_no_error (error);
    back = gb_migrate_dialog_new (GTK_WINDOW (main_window), on_b, gb_application_get_providers (app));
    gb_migrate_dialog_set_destination (back, uri_a);
    gb_migrate_dialog_set_options (back, &options);
    gtk_window_present (GTK_WINDOW (back));
    gtk_widget_activate_action (GTK_WIDGET (back), "migrate.start", NULL);
    cancelled = gb_migrate_dialog_get_migration (back);
    g_assert_true (gb_test_wait_until (memory_copy_started, cancelled, 60));
    gtk_widget_activate_action (GTK_WIDGET (back), "migrate.cancel", NULL);
    g_assert_true (gb_test_wait_until (migration_over, back, 60));
    g_test_message ("cancelled after %llu MiB of memory: %s",
                    (gb_migration_get_stats (cancelled)->mem_processed) / MiB,
                    gb_migration_get_error (cancelled));
    g_assert_cmpint (gb_migration_get_state (cancelled), ==, GB_MIGRATION_STATE_CANCELLED);
    gtk_test_widget_wait_for_draw (GTK_WIDGET (back));
    gb_test_save_png (GTK_WIDGET (back), "migrate-cancelled.png");
    gtk_window_destroy (GTK_WINDOW (back));

    g_assert_true (machine_running (providers[1]));
    wait.at_least = last_count (log_b) + 5;
    g_assert_true (gb_test_wait_until (count_reached, &wait, 60));
    dom = virDomainLookupByName (conn_a, DOMAIN_NAME);
    g_assert_null (dom);
    virResetLastError ();
  }

  /* Tunnelled (peer to peer: QEMU's stream inside host b's libvirt
   * connection to host a), with the veth between the hosts down, so that
   * a direct migration could not reach a's QEMU and only libvirtd to
   * libvirtd (over a's UNIX socket) remains. A second, diskless counter
   * guest: libvirt 9.0 cannot copy disks in a tunnelled migration (NBD
   * wants the destination's host name) and calls a disk on local storage
   * unsafe to move without a copy. */
  {
    g_autofree char *veth_down = g_strdup_printf ("ip -n %s-b link set %s-vb down", prefix, prefix);
    g_autofree char *tun_xml = domain_xml (TUNNEL_NAME, kernel, initrd, FALSE);
    g_autofree char *tun_log_a = g_build_filename (dir, "a", "log", TUNNEL_NAME "-serial.log", NULL);
    g_autofree char *tun_log_b = g_build_filename (dir, "b", "log", TUNNEL_NAME "-serial.log", NULL);
    GbMigrateDialog *tunnel;
    GbMigration *tunnelled;
    CountWait wait = { tun_log_b, 10 };
    guint last_b;
    GbMigrationOptions options = {
      .live = TRUE, .tunnelled = TRUE, .persistent = TRUE, .undefine_source = TRUE,
      .max_downtime_ms = 300, .bandwidth_mib = 64,
    };

    dom = virDomainDefineXML (conn_b, tun_xml);
    g_assert_nonnull (dom);
    g_assert_cmpint (virDomainCreate (dom), ==, 0);
    virDomainFree (dom);
    g_assert_true (gb_test_wait_until (tunnel_running_on, providers[1], 30));
    if (!gb_test_wait_until (count_reached, &wait, 120))
      g_error ("the second guest did not count to 10 on host b in 120 s");
    g_assert_cmpint (gb_test_run_shell (veth_down, NULL, NULL), ==, 0);

    tunnel = gb_migrate_dialog_new (GTK_WINDOW (main_window), gb_provider_find_machine (providers[1], TUNNEL_NAME),
                                    gb_application_get_providers (app));
    gb_migrate_dialog_set_destination (tunnel, uri_a);
    gb_migrate_dialog_set_options (tunnel, &options);
    gtk_window_present (GTK_WINDOW (tunnel));
    t0 = g_get_monotonic_time ();
    gtk_widget_activate_action (GTK_WIDGET (tunnel), "migrate.start", NULL);
    tunnelled = gb_migrate_dialog_get_migration (tunnel);
    g_assert_nonnull (tunnelled);
    if (!gb_test_wait_until (migration_over, tunnel, 150))
      g_error ("the tunnelled migration did not end in 150 s");
    g_test_message ("tunnelled migration %s after %.1f s: %llu rounds, %s",
                    gb_migration_get_state (tunnelled) == GB_MIGRATION_STATE_COMPLETED ? "completed" : "ended",
                    (g_get_monotonic_time () - t0) / 1e6,
                    (unsigned long long) gb_migration_get_max_iteration (tunnelled),
                    gb_migration_get_error (tunnelled) ? gb_migration_get_error (tunnelled) : "no error");
    gtk_test_widget_wait_for_draw (GTK_WIDGET (tunnel));
    gb_test_save_png (GTK_WIDGET (tunnel), "migrate-tunnelled.png");
    g_assert_cmpint (gb_migration_get_state (tunnelled), ==, GB_MIGRATION_STATE_COMPLETED);
    gtk_window_destroy (GTK_WINDOW (tunnel));

    g_assert_true (gb_test_wait_until (tunnel_running_on, providers[0], 30));
    g_assert_true (gb_test_wait_until (tunnel_gone_from, providers[1], 30));
    last_b = last_count (tun_log_b);
    wait.path = tun_log_a;
    wait.at_least = last_b + 5;
    g_assert_true (gb_test_wait_until (count_reached, &wait, 60));
    g_test_message ("tunnelled: host b stopped at %u, host a counts on: %u", last_b, last_count (tun_log_a));
    /* Went on, not booted again: a's first number is past b's tenth. */
    {
      g_autoptr(GArray) counts_a = read_counts (tun_log_a);

      g_assert_cmpuint (g_array_index (counts_a, guint, 0), >, 10);
    }

    dom = virDomainLookupByName (conn_a, TUNNEL_NAME);
    g_assert_nonnull (dom);
    virDomainDestroy (dom);
    virDomainUndefine (dom);
    virDomainFree (dom);
  }

  /* Clean up: the guest, the app, the hosts. */
  dom = virDomainLookupByName (conn_b, DOMAIN_NAME);
  g_assert_nonnull (dom);
  virDomainDestroy (dom);
  virDomainUndefine (dom);
  virDomainFree (dom);
  virConnectClose (conn_a);
  virConnectClose (conn_b);

  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (main_window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_object_unref (main_window);
  g_clear_object (&app);

  two_hosts ("down", dir, prefix);
  gb_test_tmpdir_remove (dir);
}

int
main (int   argc,
      char *argv[])
{
  /* tests/ as G_TEST_DIST: the guest builder and the two-hosts script live there. */
  g_setenv ("G_TEST_SRCDIR", GB_TESTS_DIR, TRUE);
  gb_application_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);
  gb_test_add_ticker ();
  gb_test_drop_debug_messages ();
  virSetErrorFunc (NULL, quiet);

  g_test_add_func ("/libvirt/migrate-live-two-hosts", test_migrate);

  return g_test_run ();
}
