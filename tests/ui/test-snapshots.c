/* test-snapshots.c — the Snapshots window, the Clone dialog and Save State,
 * driven with real key presses (XTEST on Xvfb), on test:///default
 *
 * Ctrl+Shift+M opens the selected machine's snapshots; Ctrl+N takes one
 * (Enter accepts the dialog), twice, making a parent and a child; Ctrl+R
 * reverts, Delete deletes (Enter confirms).  A running UEFI machine shows
 * why libvirt 9.0 takes no internal snapshot of it.  Ctrl+Shift+L clones a
 * stopped machine with two disk files; Ctrl+Shift+V saves a running one and
 * the list says "Saved" with the time.  A machine on This computer is
 * cloned from the same dialog.  PNGs of each in the build tree.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libvirt/libvirt.h>

#ifdef HAVE_XTEST
# include <gdk/x11/gdkx.h>
# include <X11/extensions/XTest.h>
# include <X11/keysym.h>
#endif

#include "gb-application.h"
#include "gb-bundled-provider.h"
#include "gb-clone-dialog.h"
#include "gb-libvirt-snapshots.h"
#include "gb-machine-row.h"
#include "gb-snapshots-window.h"
#include "gb-test-gtk-utils.h"
#include "gb-window.h"

#define TIMEOUT_MS 20000

#ifdef HAVE_XTEST

static GbApplication *app;
static GtkWidget *window;
static virConnectPtr raw;

/* PNG names carry the language: the zh_CN run writes beside the English one. */
static void
save_png (GtkWidget  *widget,
          const char *stem)
{
  const char *lang = g_getenv ("LANGUAGE");
  g_autofree char *name = g_strdup_printf ("%s%s%s.png", stem, lang && !g_str_has_prefix (lang, "en") ? "-" : "",
                                           lang && !g_str_has_prefix (lang, "en") ? lang : "");

  gb_test_save_png (widget, name);
}

static gboolean
row_is_shown (gpointer name)
{
  return gb_test_find_machine_row (window, name) != NULL;
}

static gboolean
has_config (gpointer machine)
{
  return gb_machine_get_config (machine) != NULL;
}

static GbMachine *
select_machine (const char *name)
{
  GtkWidget *row;
  GbMachine *machine;

  g_assert_true (gb_test_wait_until_ms (row_is_shown, (gpointer) name, TIMEOUT_MS));
  row = gb_test_find_machine_row (window, name);
  machine = gb_machine_row_get_machine (GB_MACHINE_ROW (row));
  g_assert_true (gb_test_wait_until_ms (has_config, machine, TIMEOUT_MS));
  gb_window_select_machine (GB_WINDOW (window), machine);
  return machine;
}

static gboolean
snapshots_shown (gpointer data)
{
  return gb_test_find_dialog (GB_TYPE_SNAPSHOTS_WINDOW) != NULL;
}

static gboolean
snapshots_gone (gpointer data)
{
  return gb_test_find_dialog (GB_TYPE_SNAPSHOTS_WINDOW) == NULL;
}

static gboolean
message_shown (gpointer data)
{
  GtkWindow *d = gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG);
  return d != NULL && gtk_window_is_active (d);
}

static gboolean
message_gone (gpointer data)
{
  return gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG) == NULL;
}

static guint
count_rows (GtkWidget *w)
{
  GtkWidget *list = gb_test_find_widget (w, GTK_TYPE_LIST_BOX, NULL, NULL);
  guint n = 0;

  for (GtkWidget *c = gtk_widget_get_first_child (list); c; c = gtk_widget_get_next_sibling (c))
    n += ADW_IS_ACTION_ROW (c);
  return n;
}

typedef struct {
  GtkWidget *w;
  guint      n;
} RowCount;

static gboolean
has_rows (gpointer data)
{
  RowCount *rc = data;
  return count_rows (rc->w) == rc->n && gtk_widget_get_visible (gb_test_find_widget (rc->w, GTK_TYPE_LIST_BOX, NULL, NULL));
}

static gboolean
not_busy (gpointer data)
{
  /* (Only visible widgets are found: no spinner is no work.) */
  return gb_test_find_widget (data, GTK_TYPE_SPINNER, NULL, NULL) == NULL;
}

static gboolean
is_named (GtkWidget *widget,
          gpointer   data)
{
  return g_strcmp0 (gtk_widget_get_name (widget), data) == 0;
}

/* Takes a snapshot through the keyboard: Ctrl+N, a name, Enter. */
static void
take_snapshot (GtkWidget  *snapshots,
               const char *name,
               guint       rows_after)
{
  RowCount rc = { snapshots, rows_after };
  GtkWindow *dialog;

  gb_test_focus_window (snapshots);
  gb_test_press (snapshots, GDK_CONTROL_MASK, XK_n);
  g_assert_true (gb_test_wait_until_ms (message_shown, NULL, TIMEOUT_MS));
  dialog = gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG);
  /* The name field has the focus: replace its default. */
  gb_test_press (GTK_WIDGET (dialog), GDK_CONTROL_MASK, XK_a);
  gb_test_type_text (GTK_WIDGET (dialog), name);
  gb_test_press (GTK_WIDGET (dialog), 0, XK_Return);
  g_assert_true (gb_test_wait_until_ms (message_gone, NULL, TIMEOUT_MS));
  g_assert_true (gb_test_wait_until_ms (has_rows, &rc, TIMEOUT_MS));
  g_assert_true (gb_test_wait_until_ms (not_busy, snapshots, TIMEOUT_MS));
}

static void
confirm_with_enter (void)
{
  g_assert_true (gb_test_wait_until_ms (message_shown, NULL, TIMEOUT_MS));
  gb_test_press (GTK_WIDGET (gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG)), 0, XK_Return);
  g_assert_true (gb_test_wait_until_ms (message_gone, NULL, TIMEOUT_MS));
}

static gboolean
result_ready (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

static void
test_snapshots_tree (void)
{
  GbMachine *machine = select_machine ("test");
  GtkWidget *snapshots, *row;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) list = NULL;
  RowCount rc;

  gb_test_focus_window (window);
  gb_test_press (window, GDK_CONTROL_MASK | GDK_SHIFT_MASK, XK_m);
  g_assert_true (gb_test_wait_until_ms (snapshots_shown, NULL, TIMEOUT_MS));
  snapshots = GTK_WIDGET (gb_test_find_dialog (GB_TYPE_SNAPSHOTS_WINDOW));
  g_assert_true (gb_test_wait_until_ms (not_busy, snapshots, TIMEOUT_MS));
  save_png (snapshots, "snapshots-empty");

  take_snapshot (snapshots, "first", 1);
  take_snapshot (snapshots, "second", 2);
  /* The tree: "second" is a child of "first", indented, and current. */
  row = gb_test_find_widget (snapshots, ADW_TYPE_ACTION_ROW, is_named, (gpointer) "second");
  g_assert_nonnull (row);
  g_assert_nonnull (gb_test_find_widget (row, GTK_TYPE_IMAGE, NULL, NULL));
  save_png (snapshots, "snapshots-tree");

  /* Revert to "first": Ctrl+R on the selected row, Enter. */
  gtk_list_box_select_row (GTK_LIST_BOX (gb_test_find_widget (snapshots, GTK_TYPE_LIST_BOX, NULL, NULL)),
                           GTK_LIST_BOX_ROW (gb_test_find_widget (snapshots, ADW_TYPE_ACTION_ROW, is_named, (gpointer) "first")));
  gb_test_focus_window (snapshots);
  gb_test_press (snapshots, GDK_CONTROL_MASK, XK_r);
  confirm_with_enter ();
  g_assert_true (gb_test_wait_until_ms (not_busy, snapshots, TIMEOUT_MS));
  gb_libvirt_snapshots_list_async (GB_LIBVIRT_MACHINE (machine), NULL, gb_test_store_result, &result);
  g_assert_true (gb_test_wait_until_ms (result_ready, &result, TIMEOUT_MS));
  list = gb_libvirt_snapshots_list_finish (GB_LIBVIRT_MACHINE (machine), result, NULL);
  g_assert_cmpuint (list->len, ==, 2);
  for (guint i = 0; i < list->len; i++)
    {
      GbSnapshotInfo *info = list->pdata[i];
      g_assert_cmpint (info->current, ==, g_str_equal (info->name, "first"));
    }

  /* Delete the selected one: Delete, Enter. */
  gb_test_focus_window (snapshots);
  gb_test_press (snapshots, 0, XK_Delete);
  confirm_with_enter ();
  rc = (RowCount) { snapshots, 1 };
  g_assert_true (gb_test_wait_until_ms (has_rows, &rc, TIMEOUT_MS));
  g_assert_nonnull (gb_test_find_widget (snapshots, ADW_TYPE_ACTION_ROW, is_named, (gpointer) "second"));

  gb_test_focus_window (snapshots);
  gb_test_press (snapshots, 0, XK_Escape);
  g_assert_true (gb_test_wait_until_ms (snapshots_gone, NULL, TIMEOUT_MS));
}

static const char uefi_xml[] =
  "<domain type='test'><name>uefi</name><memory>65536</memory>"
  "<os><type arch='x86_64' machine='q35'>hvm</type>"
  "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>"
  "<nvram>/var/lib/libvirt/qemu/nvram/uefi_VARS.fd</nvram></os>"
  "<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
  "<source file='/var/lib/libvirt/images/uefi.qcow2'/><target dev='vda' bus='virtio'/></disk></devices>"
  "</domain>";

static gboolean
mentions_uefi (GtkWidget *widget,
               gpointer   data)
{
  return gtk_widget_get_visible (widget) && strstr (gtk_label_get_text (GTK_LABEL (widget)), "UEFI") != NULL;
}

/* The reason is in the window, naming UEFI (in either language). */
static gboolean
reason_shown (gpointer data)
{
  return gb_test_find_widget (data, GTK_TYPE_LABEL, mentions_uefi, NULL) != NULL;
}

/* A running UEFI machine: the window says why; the New dialog offers only disk-only. */
static void
test_snapshots_refused (void)
{
  virDomainPtr dom = virDomainDefineXML (raw, uefi_xml);
  GtkWidget *snapshots, *check;
  GtkWindow *dialog;

  g_assert_nonnull (dom);
  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  select_machine ("uefi");
  gb_test_focus_window (window);
  gb_test_press (window, GDK_CONTROL_MASK | GDK_SHIFT_MASK, XK_m);
  g_assert_true (gb_test_wait_until_ms (snapshots_shown, NULL, TIMEOUT_MS));
  snapshots = GTK_WIDGET (gb_test_find_dialog (GB_TYPE_SNAPSHOTS_WINDOW));
  g_assert_true (gb_test_wait_until_ms (reason_shown, snapshots, TIMEOUT_MS));
  g_assert_true (gb_test_wait_until_ms (not_busy, snapshots, TIMEOUT_MS));
  save_png (snapshots, "snapshots-refused");

  gb_test_focus_window (snapshots);
  gb_test_press (snapshots, GDK_CONTROL_MASK, XK_n);
  g_assert_true (gb_test_wait_until_ms (message_shown, NULL, TIMEOUT_MS));
  dialog = gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG);
  check = gb_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_CHECK_BUTTON, NULL, NULL);
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (check)));
  g_assert_false (gtk_widget_get_sensitive (check));
  save_png (GTK_WIDGET (dialog), "snapshot-new-refused");
  gb_test_press (GTK_WIDGET (dialog), 0, XK_Escape);
  g_assert_true (gb_test_wait_until_ms (message_gone, NULL, TIMEOUT_MS));
  gtk_window_destroy (GTK_WINDOW (snapshots));

  virDomainDestroy (dom);
  virDomainFree (dom);
}

static const char clone_xml[] =
  "<domain type='test'><name>orig</name><memory>65536</memory>"
  "<os><type arch='x86_64'>hvm</type></os><devices>"
  "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='%s'/><target dev='vda' bus='virtio'/></disk>"
  "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='%s'/><target dev='vdb' bus='virtio'/></disk>"
  "<interface type='network'><mac address='52:54:00:aa:bb:01'/><source network='default'/></interface>"
  "</devices></domain>";

static gboolean
clone_dialog_shown (gpointer data)
{
  return gb_test_find_dialog (GB_TYPE_CLONE_DIALOG) != NULL;
}

static gboolean
clone_dialog_gone (gpointer data)
{
  return gb_test_find_dialog (GB_TYPE_CLONE_DIALOG) == NULL;
}

static void
test_clone (void)
{
  g_autofree char *dir = gb_test_tmpdir_new ("gb-ui-clone-XXXXXX");
  g_autofree char *d1 = g_build_filename (dir, "orig.qcow2", NULL);
  g_autofree char *d2 = g_build_filename (dir, "orig-data.img", NULL);
  g_autofree char *c1 = g_build_filename (dir, "copy.qcow2", NULL);
  g_autofree char *c2 = g_build_filename (dir, "copy.img", NULL);
  g_autofree char *xml = NULL;
  virDomainPtr dom;
  GtkWidget *dialog;

  if (!gb_test_skip_without_program ("qemu-img", "qemu-utils"))
    return;
  {
    const char *a[] = { "qemu-img", "create", "-q", "-f", "qcow2", d1, "64M", NULL };
    const char *b[] = { "qemu-img", "create", "-q", "-f", "raw", d2, "16M", NULL };
    g_assert_cmpint (gb_test_run (a, NULL, NULL), ==, 0);
    g_assert_cmpint (gb_test_run (b, NULL, NULL), ==, 0);
  }
  xml = g_strdup_printf (clone_xml, d1, d2);
  dom = virDomainDefineXML (raw, xml);
  g_assert_nonnull (dom);
  select_machine ("orig");

  gb_test_focus_window (window);
  gb_test_press (window, GDK_CONTROL_MASK | GDK_SHIFT_MASK, XK_l);
  g_assert_true (gb_test_wait_until_ms (clone_dialog_shown, NULL, TIMEOUT_MS));
  dialog = GTK_WIDGET (gb_test_find_dialog (GB_TYPE_CLONE_DIALOG));
  g_assert_nonnull (gb_test_find_widget (dialog, ADW_TYPE_ENTRY_ROW, NULL, NULL));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (gb_test_find_widget (dialog, ADW_TYPE_ENTRY_ROW, NULL, NULL))), ==, "orig-clone");
  gb_test_focus_window (dialog);
  gtk_widget_grab_focus (gb_test_find_widget (dialog, ADW_TYPE_ENTRY_ROW, NULL, NULL));
  gb_test_press (dialog, GDK_CONTROL_MASK, XK_a);
  gb_test_type_text (dialog, "copy");
  save_png (dialog, "clone-dialog");
  gb_test_press (dialog, 0, XK_Return);
  g_assert_true (gb_test_wait_until_ms (clone_dialog_gone, NULL, TIMEOUT_MS));
  g_assert_true (gb_test_wait_until_ms (row_is_shown, (gpointer) "copy", TIMEOUT_MS));
  g_assert_true (g_file_test (c1, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (c2, G_FILE_TEST_EXISTS));

  virDomainFree (dom);
  gb_test_tmpdir_remove (dir);
}

static gboolean
saved_label_shown (gpointer data)
{
  GtkWidget *row = gb_test_find_machine_row (window, "test");
  GtkWidget *label = row ? gb_test_find_label_with_class (row, "machine-state") : NULL;
  /* Translators' "Saved %s": compare the part before the time. */
  g_auto(GStrv) parts = g_strsplit (_("Saved %s"), "%s", 2);

  return label != NULL && g_str_has_prefix (gtk_label_get_text (GTK_LABEL (label)), parts[0]);
}

static gboolean
resumed_from_save (gpointer data)
{
  return gb_machine_get_saved_at (data) == 0 && gb_machine_get_state (data) == GB_MACHINE_STATE_RUNNING;
}

static void
test_save (void)
{
  GbMachine *machine = select_machine ("test");

  g_assert_cmpint (gb_machine_get_state (machine), ==, GB_MACHINE_STATE_RUNNING);
  gb_test_focus_window (window);
  gb_test_press (window, GDK_CONTROL_MASK | GDK_SHIFT_MASK, XK_v);
  g_assert_true (gb_test_wait_until_ms (saved_label_shown, NULL, TIMEOUT_MS));
  g_assert_cmpint (gb_machine_get_saved_at (machine), >, 0);
  save_png (window, "saved-state");

  /* Starting it takes the saved state and the label goes. */
  gb_test_focus_window (window);
  gb_test_press (window, GDK_CONTROL_MASK | GDK_SHIFT_MASK, XK_s);
  g_assert_true (gb_test_wait_until_ms (resumed_from_save, machine, TIMEOUT_MS));
}

/* A machine named "tiny" on This computer, never started, with one new
 * 8 MiB qcow2 disk at @disk; *provider is its connected provider. */
static GbMachine *
new_tiny_machine (const char  *machines,
                  const char  *runtime,
                  const char  *disk,
                  GbProvider **provider)
{
  g_autofree char *spec = g_strdup_printf ("path=%s,format=qcow2", disk);
  const char *mk[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "8M", NULL };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) config = json_object_new ();
  JsonArray *disks = json_array_new ();
  GbMachine *machine;

  g_assert_cmpint (gb_test_run (mk, NULL, NULL), ==, 0);
  *provider = gb_bundled_provider_new_for_dirs (machines, runtime);
  gb_provider_connect_async (*provider, NULL, gb_test_store_result, &result);
  g_assert_true (gb_provider_connect_finish (*provider, gb_test_wait_result (&result), NULL));
  json_object_set_string_member (config, "name", "tiny");
  json_object_set_string_member (config, "kernel", "/nonexistent/kernel");
  json_object_set_int_member (config, "memory", 32);
  json_array_add_string_element (disks, spec);
  json_object_set_array_member (config, "disks", disks);
  g_clear_object (&result);
  gb_bundled_provider_create_machine_async (GB_BUNDLED_PROVIDER (*provider), config, NULL,
                                            gb_test_store_result, &result);
  machine = gb_bundled_provider_create_machine_finish (GB_BUNDLED_PROVIDER (*provider),
                                                       gb_test_wait_result (&result), NULL);
  g_assert_nonnull (machine);
  g_assert_true (gb_test_wait_until_ms (has_config, machine, TIMEOUT_MS));
  return machine;
}

/* A machine on This computer (never started): its Snapshots window takes
 * qcow2 snapshots of its disk through the block engine, by keys. */
static void
test_bundled (void)
{
  g_autofree char *dir = gb_test_tmpdir_new ("gb-ui-bsnap-XXXXXX");
  g_autofree char *machines = g_build_filename (dir, "machines", NULL);
  g_autofree char *runtime = g_build_filename (dir, "run", NULL);
  g_autofree char *disk = g_build_filename (dir, "disk.qcow2", NULL);
  g_autoptr(GbProvider) provider = NULL;
  g_autoptr(GbMachine) machine = NULL;
  GtkWidget *snapshots;
  g_autofree char *out = NULL;

  if (!gb_test_skip_without_program ("qemu-img", "qemu-utils"))
    return;
  machine = new_tiny_machine (machines, runtime, disk, &provider);

  snapshots = GTK_WIDGET (gb_snapshots_window_new (GTK_WINDOW (window), machine));
  gtk_window_present (GTK_WINDOW (snapshots));
  g_assert_true (gb_test_wait_until_ms (not_busy, snapshots, TIMEOUT_MS));
  take_snapshot (snapshots, "installed", 1);
  take_snapshot (snapshots, "configured", 2);
  save_png (snapshots, "snapshots-bundled");
  {
    const char *l[] = { "qemu-img", "snapshot", "-l", disk, NULL };
    g_assert_cmpint (gb_test_run (l, &out, NULL), ==, 0);
    g_assert_nonnull (strstr (out, "installed"));
    g_assert_nonnull (strstr (out, "configured"));
  }
  gb_test_focus_window (snapshots);
  gb_test_press (snapshots, 0, XK_Escape);
  g_assert_true (gb_test_wait_until_ms (snapshots_gone, NULL, TIMEOUT_MS));
  gb_provider_disconnect (provider);
  gb_test_tmpdir_remove (dir);
}

/* A machine on This computer (never started) cloned from the Clone dialog
 * by keys: a new name typed, Enter; the copy of its disk is next to it and
 * the provider lists the clone. */
static void
test_bundled_clone (void)
{
  g_autofree char *dir = gb_test_tmpdir_new ("gb-ui-bclone-XXXXXX");
  g_autofree char *machines = g_build_filename (dir, "machines", NULL);
  g_autofree char *runtime = g_build_filename (dir, "run", NULL);
  g_autofree char *disk = g_build_filename (dir, "disk.qcow2", NULL);
  g_autofree char *copy = g_build_filename (dir, "tiny-copy.qcow2", NULL);
  g_autoptr(GbProvider) provider = NULL;
  g_autoptr(GbMachine) machine = NULL;
  GtkWidget *dialog, *entry;

  if (!gb_test_skip_without_program ("qemu-img", "qemu-utils"))
    return;
  machine = new_tiny_machine (machines, runtime, disk, &provider);

  dialog = GTK_WIDGET (gb_clone_dialog_new (GTK_WINDOW (window), machine));
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_true (gb_test_wait_until_ms (clone_dialog_shown, NULL, TIMEOUT_MS));
  entry = gb_test_find_widget (dialog, ADW_TYPE_ENTRY_ROW, NULL, NULL);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "tiny-clone");
  gb_test_focus_window (dialog);
  gtk_widget_grab_focus (entry);
  gb_test_press (dialog, GDK_CONTROL_MASK, XK_a);
  gb_test_type_text (dialog, "tiny-copy");
  save_png (dialog, "clone-dialog-bundled");
  gb_test_press (dialog, 0, XK_Return);
  g_assert_true (gb_test_wait_until_ms (clone_dialog_gone, NULL, TIMEOUT_MS));
  g_assert_nonnull (gb_provider_find_machine (provider, "tiny-copy"));
  g_assert_true (g_file_test (copy, G_FILE_TEST_EXISTS));
  gb_provider_disconnect (provider);
  gb_test_tmpdir_remove (dir);
}

#endif

/* Why the tests cannot press keys here, for each of them to say. */
static const char *no_keys;

static void
test_no_keys (void)
{
  g_test_skip (no_keys);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_autofree char *cache = gb_test_tmpdir_new ("gb-ui-cache-XXXXXX");

  /* Snapshot screenshots go to the cache: a temporary one. */
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  gb_application_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);

#ifdef HAVE_XTEST
  {
    int ev, er, maj, min;

    app = gb_test_application_new ();
    window = g_object_ref (GTK_WIDGET (gb_window_new (app)));
    gb_application_open_connection (app, "test:///default");
    raw = virConnectOpen ("test:///default");
    gtk_window_present (GTK_WINDOW (window));
    if (!XTestQueryExtension (gdk_x11_display_get_xdisplay (gtk_widget_get_display (window)), &ev, &er, &maj, &min))
      no_keys = "the X server has no XTEST extension: keys cannot be pressed";
  }
#else
  no_keys = "built without libXtst (libxtst-dev): keys cannot be pressed";
#endif
  if (no_keys != NULL)
    {
      g_test_add_func ("/ui/snapshots/tree", test_no_keys);
      g_test_add_func ("/ui/snapshots/refused", test_no_keys);
      g_test_add_func ("/ui/snapshots/clone", test_no_keys);
      g_test_add_func ("/ui/snapshots/save", test_no_keys);
      g_test_add_func ("/ui/snapshots/bundled", test_no_keys);
      g_test_add_func ("/ui/snapshots/bundled-clone", test_no_keys);
    }
#ifdef HAVE_XTEST
  else
    {
      g_test_add_func ("/ui/snapshots/tree", test_snapshots_tree);
      g_test_add_func ("/ui/snapshots/refused", test_snapshots_refused);
      g_test_add_func ("/ui/snapshots/clone", test_clone);
      g_test_add_func ("/ui/snapshots/save", test_save);
      g_test_add_func ("/ui/snapshots/bundled", test_bundled);
      g_test_add_func ("/ui/snapshots/bundled-clone", test_bundled_clone);
    }
#endif

  ret = g_test_run ();

#ifdef HAVE_XTEST
  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&window);
  g_clear_object (&app);
  virConnectClose (raw);
#endif
  gb_test_tmpdir_remove (cache);
  return ret;
}
