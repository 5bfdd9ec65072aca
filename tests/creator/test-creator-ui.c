/* test-creator-ui.c — the New Machine wizard, driven by the keyboard
 *
 * Runs under Xvfb.  Keys are real X key events (XTest), so they travel the
 * same path as a user's: X server → GDK → shortcuts and focus.  The test
 * picks an ISO it builds (Debian 11 netinst's volume id), walks the seven
 * steps with Alt+Right, checks each step shows what a user expects, saves a
 * PNG of every step into the build directory, and creates the machine on
 * test:///default with Ctrl+Enter.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <libintl.h>
#include <locale.h>

#include <adwaita.h>
#include <gdk/x11/gdkx.h>
#include <X11/XKBlib.h>
#include <X11/extensions/XTest.h>
#include <X11/keysym.h>

#include "gb-bundled-provider.h"
#include "gb-libvirt-autoptr.h"
#include "gb-libvirt-provider.h"
#include "gb-machine-creator-window.h"
#include "gb-new-disk-dialog.h"
#include "gb-disk-creator.h"
#include "gb-test-utils.h"
#include "gb-vmm-locate.h"
#include <glib/gstdio.h>

static char *outdir;
static GbProvider *provider;     /* test:///default */
static GVirConnection *conn;     /* its connection */
static GbProvider *bundled;      /* Glassbox's own, in a temporary folder */
static GListStore *places;       /* both, as the app lists them */

static void
pump (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      while (g_main_context_pending (NULL))
        g_main_context_iteration (NULL, FALSE);
      g_usleep (5000);
    }
}

static gboolean
wait_until (gboolean (*cond) (gpointer), gpointer data, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!cond (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  return TRUE;
}

static Display *
xdisplay (void)
{
  return gdk_x11_display_get_xdisplay (gdk_display_get_default ());
}

static void
key_event (KeySym keysym,
           gboolean press)
{
  KeyCode code = XKeysymToKeycode (xdisplay (), keysym);

  g_assert_cmpint (code, !=, 0);
  XTestFakeKeyEvent (xdisplay (), code, press, CurrentTime);
}

/* Presses @keysym with modifiers (ShiftMask, ControlMask, Mod1Mask = Alt). */
static void
press (KeySym keysym,
       guint  mods)
{
  if (mods & ControlMask) key_event (XK_Control_L, TRUE);
  if (mods & Mod1Mask) key_event (XK_Alt_L, TRUE);
  if (mods & ShiftMask) key_event (XK_Shift_L, TRUE);
  key_event (keysym, TRUE);
  key_event (keysym, FALSE);
  if (mods & ShiftMask) key_event (XK_Shift_L, FALSE);
  if (mods & Mod1Mask) key_event (XK_Alt_L, FALSE);
  if (mods & ControlMask) key_event (XK_Control_L, FALSE);
  XFlush (xdisplay ());
  pump (60);
}

/* Types ASCII text; Latin-1 keysyms equal their characters. */
static void
type_text (const char *text)
{
  for (const char *p = text; *p; p++)
    {
      KeySym sym = (KeySym) (guchar) *p;
      KeyCode code = XKeysymToKeycode (xdisplay (), sym);
      gboolean shifted = XkbKeycodeToKeysym (xdisplay (), code, 0, 0) != sym;

      if (shifted) key_event (XK_Shift_L, TRUE);
      key_event (sym, TRUE);
      key_event (sym, FALSE);
      if (shifted) key_event (XK_Shift_L, FALSE);
      XFlush (xdisplay ());
      pump (5);
    }
  pump (100);
}

static void
save_png (GtkWidget  *widget,
          const char *name)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = g_build_filename (outdir, name, NULL);
  int w = gtk_widget_get_width (widget);
  int h = gtk_widget_get_height (widget);

  pump (250);
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), w, h);
  node = gtk_snapshot_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, w, h));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("saved %s (%dx%d)", path, w, h);
}

static gboolean
creator_ready (gpointer data)
{
  GbMachineCreatorWindow *win = data;

  return gb_machine_creator_get_ready (gb_machine_creator_window_get_creator (win));
}

static gboolean
action_enabled (gpointer data)
{
  GtkWidget *win = data;
  gboolean enabled = FALSE;

  /* The header bar's Next button reflects the action's state. */
  g_object_get (g_object_get_data (G_OBJECT (win), "next-button"), "sensitive", &enabled, NULL);
  return enabled;
}

static GtkWidget *
find_button (GtkWidget  *root,
             const char *action)
{
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (c) && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (c)), action) == 0)
        return c;
      if ((found = find_button (c, action)) != NULL)
        return found;
    }
  return NULL;
}

static gboolean
focus_is_text (gpointer data)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (data));

  return focus != NULL && GTK_IS_TEXT (focus);
}

static char *
build_iso (void)
{
  g_autofree char *tree = g_build_filename (outdir, "iso-tree", NULL);
  g_autofree char *cfgdir = g_build_filename (tree, "isolinux", NULL);
  g_autofree char *iso = g_build_filename (outdir, "debian11.iso", NULL);
  g_autofree char *cmd = NULL;
  int status = 0;

  if (!gb_test_have_program ("xorriso") ||
      !g_file_test ("/usr/lib/ISOLINUX/isolinux.bin", G_FILE_TEST_EXISTS))
    return NULL;
  g_mkdir_with_parents (cfgdir, 0755);
  cmd = g_strdup_printf ("cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 '%s' && "
                         "printf 'DEFAULT x\\nLABEL x\\n KERNEL /vmlinuz\\n' > '%s/isolinux.cfg' && "
                         "rm -f '%s' && xorriso -as mkisofs -quiet -V 'Debian 11.5.0 amd64 n' "
                         "-b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot "
                         "-boot-load-size 4 -boot-info-table -o '%s' '%s'",
                         cfgdir, cfgdir, iso, iso, tree);
  {
    const char *argv[] = { "sh", "-c", cmd, NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                                 NULL, NULL, &status, NULL));
  }
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return g_steal_pointer (&iso);
}

static void
created_cb (GbMachineCreatorWindow *win,
            const char             *uuid,
            gboolean                customize,
            gpointer                user_data)
{
  *(char **) user_data = g_strdup (uuid);
}

static gboolean
domain_created (gpointer data)
{
  return *(char **) data != NULL;
}

/* A key press reaches the window through the X server: on a loaded machine
 * the page may change a little after press() returns, so wait for it (up
 * to 10 s) before comparing. */
static void
assert_page (GbMachineCreatorWindow *win,
             const char             *page)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (g_strcmp0 (gb_machine_creator_window_get_page (win), page) != 0
         && g_get_monotonic_time () < deadline)
    pump (20);
  g_assert_cmpstr (gb_machine_creator_window_get_page (win), ==, page);
}

static gboolean
not_busy (gpointer data)
{
  return action_enabled (data);
}

/* What libosinfo itself recommends for @os on x86_64 (or arch "all"):
 * "ram" or "storage", in bytes; -1 when it says nothing. */
static gint64
libosinfo_recommended (OsinfoOs   *os,
                       const char *what)
{
  g_autoptr(OsinfoResourcesList) list = osinfo_os_get_recommended_resources (os);

  for (int i = 0; i < osinfo_list_get_length (OSINFO_LIST (list)); i++)
    {
      OsinfoResources *r = OSINFO_RESOURCES (osinfo_list_get_nth (OSINFO_LIST (list), i));
      const char *arch = osinfo_resources_get_architecture (r);

      if (g_strcmp0 (arch, "x86_64") != 0 && g_strcmp0 (arch, "all") != 0)
        continue;
      return g_str_equal (what, "ram") ? osinfo_resources_get_ram (r)
                                       : osinfo_resources_get_storage (r);
    }
  return -1;
}

static void
test_wizard_keyboard (void)
{
  g_autofree char *iso = build_iso ();
  GbMachineCreatorWindow *win;
  GbMachineCreator *creator;
  g_autofree char *created = NULL;
  g_autoptr(GVirDomain) found = NULL;
  GtkWidget *dialog = NULL;
  guint tabs = 0;

  if (iso == NULL)
    {
      g_test_skip ("xorriso or isolinux is not installed");
      return;
    }

  win = gb_machine_creator_window_new (NULL, G_LIST_MODEL (places), provider);
  g_object_set_data (G_OBJECT (win), "next-button", find_button (GTK_WIDGET (win), "creator.next"));
  g_assert_nonnull (g_object_get_data (G_OBJECT (win), "next-button"));
  g_signal_connect (win, "machine-created", G_CALLBACK (created_cb), &created);
  gtk_window_set_default_size (GTK_WINDOW (win), 640, 720);
  gtk_window_present (GTK_WINDOW (win));
  creator = gb_machine_creator_window_get_creator (win);

  g_assert_true (wait_until (creator_ready, win, 30000));
  pump (300);

  /* Without a window manager keyboard focus follows the pointer. */
  XTestFakeMotionEvent (xdisplay (), -1, 320, 360, CurrentTime);
  XFlush (xdisplay ());
  pump (100);

  /* 1. Source: "Installation media" is chosen; Tab to the path field. */
  assert_page (win, "source");
  while (!focus_is_text (win) && tabs++ < 40)
    press (XK_Tab, 0);
  g_assert_true (focus_is_text (win));
  type_text (iso);
  g_assert_cmpstr (gb_machine_creator_get_source_path (creator), ==, iso);
  save_png (GTK_WIDGET (win), "creator-1-source.png");

  /* 2. Operating system: detected as Debian 11. */
  press (XK_Right, Mod1Mask);
  assert_page (win, "os");
  g_assert_true (wait_until (not_busy, win, 30000));
  g_assert_cmpstr (osinfo_entity_get_id (OSINFO_ENTITY (gb_machine_creator_get_os (creator))), ==,
                   "http://debian.org/debian/11");
  g_assert_true (gb_machine_creator_get_os_detected (creator));
  save_png (GTK_WIDGET (win), "creator-2-os.png");

  /* 3. Memory and CPUs: libosinfo's recommendation for Debian 11. */
  press (XK_Right, Mod1Mask);
  assert_page (win, "resources");
  g_assert_cmpint (libosinfo_recommended (gb_machine_creator_get_os (creator), "ram"), >, 0);
  g_assert_cmpuint ((guint64) gb_machine_creator_get_memory_mib (creator) << 20, ==,
                    (guint64) libosinfo_recommended (gb_machine_creator_get_os (creator), "ram"));
  save_png (GTK_WIDGET (win), "creator-3-resources.png");

  /* 4. Storage: a new disk of libosinfo's recommended size; the New Disk
   *    dialog opens from here. */
  press (XK_Right, Mod1Mask);
  assert_page (win, "storage");
  g_assert_cmpint (gb_machine_creator_get_disk_mode (creator), ==, GB_CREATOR_DISK_NEW);
  g_assert_cmpint (libosinfo_recommended (gb_machine_creator_get_os (creator), "storage"), >, 0);
  g_assert_cmpuint (gb_machine_creator_get_disk_size (creator), ==,
                    (guint64) libosinfo_recommended (gb_machine_creator_get_os (creator), "storage"));
  save_png (GTK_WIDGET (win), "creator-4-storage.png");

  press (XK_n, ControlMask | ShiftMask);
  pump (300);
  for (GList *l = gtk_window_list_toplevels (); l; l = g_list_delete_link (l, l))
    if (GB_IS_NEW_DISK_DIALOG (l->data))
      dialog = l->data;
  g_assert_nonnull (dialog);
  XTestFakeMotionEvent (xdisplay (), -1, 100, 100, CurrentTime);
  pump (300);
  save_png (dialog, "creator-4b-new-disk.png");
  gtk_window_close (GTK_WINDOW (dialog));
  pump (200);

  /* "Use an existing disk" (Alt+E) needs a file before Next works;
   * "Create a new disk" (Alt+W: Alt+N is Next) brings the default back. */
  XTestFakeMotionEvent (xdisplay (), -1, 320, 360, CurrentTime);
  pump (100);
  press (XK_e, Mod1Mask);
  g_assert_cmpint (gb_machine_creator_get_disk_mode (creator), ==, GB_CREATOR_DISK_EXISTING);
  g_assert_false (action_enabled (win));
  save_png (GTK_WIDGET (win), "creator-4c-existing-disk.png");
  press (XK_w, Mod1Mask);
  g_assert_cmpint (gb_machine_creator_get_disk_mode (creator), ==, GB_CREATOR_DISK_NEW);
  g_assert_true (action_enabled (win));

  /* 5. Network: NAT through libvirt's "default" network. */
  XTestFakeMotionEvent (xdisplay (), -1, 320, 360, CurrentTime);
  pump (100);
  press (XK_Right, Mod1Mask);
  assert_page (win, "network");
  g_assert_cmpint (gb_machine_creator_get_network_kind (creator), ==, GB_CREATOR_NETWORK_NAT);
  save_png (GTK_WIDGET (win), "creator-5-network.png");

  /* 6. Firmware. */
  press (XK_Right, Mod1Mask);
  assert_page (win, "firmware");
  save_png (GTK_WIDGET (win), "creator-6-firmware.png");

  /* 7. Summary: the proposed name, then Back and Next again by keyboard. */
  press (XK_Right, Mod1Mask);
  assert_page (win, "summary");
  g_assert_cmpstr (gb_machine_creator_get_name (creator), ==, "debian11");
  press (XK_Left, Mod1Mask);
  assert_page (win, "firmware");
  press (XK_Right, Mod1Mask);
  assert_page (win, "summary");
  save_png (GTK_WIDGET (win), "creator-7-summary.png");

  /* A bad name is flagged inline and Create is disabled until it is fixed;
   * the name field has the focus on this page. */
  press (XK_End, 0);
  type_text (" !");
  g_assert_cmpstr (gb_machine_creator_get_name (creator), ==, "debian11 !");
  g_assert_false (gtk_widget_get_sensitive (find_button (GTK_WIDGET (win), "creator.create")));
  save_png (GTK_WIDGET (win), "creator-7b-bad-name.png");
  press (XK_BackSpace, 0);
  press (XK_BackSpace, 0);
  g_assert_cmpstr (gb_machine_creator_get_name (creator), ==, "debian11");
  g_assert_true (gtk_widget_get_sensitive (find_button (GTK_WIDGET (win), "creator.create")));

  /* Create with Ctrl+Enter; the window closes and the machine exists. */
  press (XK_Return, ControlMask);
  g_assert_true (wait_until (domain_created, &created, 30000));
  g_assert_true (gvir_connection_fetch_domains (conn, NULL, NULL));
  found = gvir_connection_find_domain_by_name (conn, "debian11");
  g_assert_nonnull (found);
  g_assert_cmpstr (gvir_domain_get_uuid (found), ==, created);
}

/* On the OS page, or back from being busy on the source page (failed). */
static gboolean
tiny_settled (gpointer data)
{
  return g_strcmp0 (gb_machine_creator_window_get_page (data), "os") == 0 ||
         action_enabled (data);
}

/* "Try a tiny Linux", chosen with its mnemonic (Alt+T): Glassbox puts it
 * together, every step still works, and Create makes a kernel-boot machine. */
static void
test_wizard_tiny_linux (void)
{
  GbMachineCreatorWindow *win = gb_machine_creator_window_new (NULL, G_LIST_MODEL (places), provider);
  GbMachineCreator *creator = gb_machine_creator_window_get_creator (win);
  g_autofree char *created = NULL;
  g_autoptr(GVirDomain) domain = NULL;
  g_autoptr(GVirConfigDomain) conf = NULL;
  g_autofree char *xml = NULL;

  g_object_set_data (G_OBJECT (win), "next-button", find_button (GTK_WIDGET (win), "creator.next"));
  g_signal_connect (win, "machine-created", G_CALLBACK (created_cb), &created);
  gtk_window_set_default_size (GTK_WINDOW (win), 640, 720);
  gtk_window_present (GTK_WINDOW (win));
  g_assert_true (wait_until (creator_ready, win, 30000));
  XTestFakeMotionEvent (xdisplay (), -1, 320, 360, CurrentTime);
  pump (300);

  press (XK_t, Mod1Mask);
  g_assert_cmpint (gb_machine_creator_get_source_kind (creator), ==, GB_CREATOR_SOURCE_TINY_LINUX);
  save_png (GTK_WIDGET (win), "tiny-1-source.png");

  /* Next assembles it (cached after the first time). */
  press (XK_Right, Mod1Mask);
  g_assert_false (action_enabled (win));     /* busy putting it together */
  g_assert_true (wait_until (tiny_settled, win, 300000));
  if (g_strcmp0 (gb_machine_creator_window_get_page (win), "os") != 0)
    {
      save_png (GTK_WIDGET (win), "tiny-1-failed.png");
      gtk_window_destroy (GTK_WINDOW (win));
      g_test_skip ("the tiny Linux could not be put together here (see tiny-1-failed.png)");
      return;
    }
  g_assert_nonnull (gb_machine_creator_get_kernel_path (creator));
  g_assert_true (g_file_test (gb_machine_creator_get_kernel_path (creator), G_FILE_TEST_IS_REGULAR));

  for (guint i = 0; i < 5; i++)
    press (XK_Right, Mod1Mask);
  assert_page (win, "summary");
  g_assert_cmpstr (gb_machine_creator_get_name (creator), ==, "tiny-linux");
  g_assert_cmpint (gb_machine_creator_get_disk_mode (creator), ==, GB_CREATOR_DISK_NONE);
  save_png (GTK_WIDGET (win), "tiny-7-summary.png");

  press (XK_Return, ControlMask);
  g_assert_true (wait_until (domain_created, &created, 30000));
  g_assert_true (gvir_connection_fetch_domains (conn, NULL, NULL));
  domain = gvir_connection_get_domain (conn, created);
  g_assert_nonnull (domain);
  conf = gvir_domain_get_config (domain, 0, NULL);
  xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (conf));
  g_assert_nonnull (strstr (xml, "<kernel>"));
  g_assert_nonnull (strstr (xml, "console=ttyS0"));
}

static gboolean
dialog_valid (gpointer data)
{
  gboolean valid = FALSE;

  g_object_get (data, "valid", &valid, NULL);
  return valid;
}

static gboolean
string_set (gpointer data)
{
  return *(char **) data != NULL;
}

static void
disk_created_cb (GbNewDiskDialog *dialog,
                 const char      *path,
                 gpointer         user_data)
{
  *(char **) user_data = g_strdup (path);
}

static GtkWidget *
find_error_label (GtkWidget *root)
{
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found;

      if (GTK_IS_LABEL (c) && gtk_widget_has_css_class (c, "error"))
        return c;
      if ((found = find_error_label (c)) != NULL)
        return found;
    }
  return NULL;
}

/* The New Disk dialog flags bad input inline, never overwrites, and makes
 * an image qemu-img accepts (in a folder, for the bundled backend). */
static void
test_new_disk_dialog (void)
{
  g_autofree char *folder = g_build_filename (outdir, "disks", NULL);
  g_autofree char *existing = g_build_filename (folder, "taken.qcow2", NULL);
  g_autofree char *created = NULL;
  g_autofree char *cmd = NULL;
  GbNewDiskDialog *dialog;
  GtkWidget *error_label;
  int status = 0;

  g_mkdir_with_parents (folder, 0755);
  g_assert_true (g_file_set_contents (existing, "keep me", -1, NULL));
  {
    g_autofree char *old = g_build_filename (folder, "new.qcow2", NULL);
    g_unlink (old);
  }

  dialog = gb_new_disk_dialog_new (NULL, provider);
  g_signal_connect (dialog, "disk-created", G_CALLBACK (disk_created_cb), &created);
  gtk_window_present (GTK_WINDOW (dialog));
  gb_new_disk_dialog_set_folder (dialog, folder);
  gb_new_disk_dialog_set_size (dialog, (guint64) 2 << 30);
  error_label = find_error_label (GTK_WIDGET (dialog));
  g_assert_nonnull (error_label);

  /* test:///default writes no files, so folders need the block engine. */
  gb_new_disk_dialog_set_disk_name (dialog, "new.qcow2");
  if (!gb_disk_can_create_in_folder (provider))
    {
      g_assert_false (dialog_valid (dialog));
      gtk_window_destroy (GTK_WINDOW (dialog));
      g_test_skip ("built without the block engine: folders need a local QEMU connection");
      return;
    }
  g_assert_true (wait_until (dialog_valid, dialog, 5000));

  /* An existing file: refused before Create is even possible. */
  gb_new_disk_dialog_set_disk_name (dialog, "taken.qcow2");
  pump (100);
  g_assert_false (dialog_valid (dialog));
  g_assert_true (gtk_widget_get_visible (error_label));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (error_label)), "never overwrites"));
  save_png (GTK_WIDGET (dialog), "new-disk-exists.png");

  /* A bad name and a bad size. */
  gb_new_disk_dialog_set_disk_name (dialog, "../escape.qcow2");
  pump (50);
  g_assert_false (dialog_valid (dialog));
  gb_new_disk_dialog_set_disk_name (dialog, "new.qcow2");
  gb_new_disk_dialog_set_size (dialog, 0);
  pump (50);
  g_assert_false (dialog_valid (dialog));
  g_assert_true (gtk_widget_get_visible (error_label));
  save_png (GTK_WIDGET (dialog), "new-disk-bad-size.png");

  gb_new_disk_dialog_set_size (dialog, (guint64) 2 << 30);
  pump (50);
  g_assert_true (dialog_valid (dialog));
  g_assert_false (gtk_widget_get_visible (error_label));

  /* Ctrl+Enter creates. */
  XTestFakeMotionEvent (xdisplay (), -1, 200, 200, CurrentTime);
  pump (100);
  press (XK_Return, ControlMask);
  g_assert_true (wait_until (string_set, &created, 30000));
  g_assert_true (g_str_has_suffix (created, "/new.qcow2"));

  {
    g_autofree char *keep = NULL;
    g_assert_true (g_file_get_contents (existing, &keep, NULL, NULL));
    g_assert_cmpstr (keep, ==, "keep me");
  }
  if (gb_test_have_program ("qemu-img"))
    {
      g_autofree char *out = NULL;

      cmd = g_strdup_printf ("qemu-img check '%s'", created);
      g_assert_true (g_spawn_command_line_sync (cmd, &out, NULL, &status, NULL));
      g_assert_true (g_spawn_check_wait_status (status, NULL));
      g_test_message ("qemu-img check: %s", out);
    }
}

static GtkWidget *
find_row (GtkWidget  *root,
          const char *title_part)
{
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found;

      if (ADW_IS_PREFERENCES_ROW (c) &&
          strstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (c)), title_part) != NULL)
        return c;
      if ((found = find_row (c, title_part)) != NULL)
        return found;
    }
  return NULL;
}

static gboolean
row_shown (GtkWidget  *root,
           const char *title_part)
{
  GtkWidget *row = find_row (root, title_part);

  g_assert_nonnull (row);
  return gtk_widget_get_visible (row);
}

/* Whether any combo row of @root offers an entry containing @text. */
static gboolean
combo_offers (GtkWidget  *root,
              const char *text)
{
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      if (ADW_IS_COMBO_ROW (c) && GTK_IS_STRING_LIST (adw_combo_row_get_model (ADW_COMBO_ROW (c))))
        {
          GtkStringList *list = GTK_STRING_LIST (adw_combo_row_get_model (ADW_COMBO_ROW (c)));

          for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (list)); i++)
            if (strstr (gtk_string_list_get_string (list, i), text) != NULL)
              return TRUE;
        }
      if (combo_offers (c, text))
        return TRUE;
    }
  return FALSE;
}

#ifdef GB_TEST_GUEST_ELF
/* Only the bundled wizard test uses these (built with the hypervisor). */
static GtkWidget *
find_switch (GtkWidget *root)
{
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found;

      if (GTK_IS_SWITCH (c))
        return c;
      if ((found = find_switch (c)) != NULL)
        return found;
    }
  return NULL;
}

/* The machine file is one glassbox-vmm runs: the tiny guest says hello. */
static void
run_config (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *vmm = gb_vmm_find_binary (&error);
  g_autofree char *out = NULL;
  const char *argv[] = { "timeout", "60", vmm, "run", "--config", path, NULL };

  if (vmm == NULL)
    {
      g_test_skip_printf ("glassbox-vmm cannot run the machine file here: %s", error->message);
      return;
    }
  g_assert_cmpint (gb_test_run (argv, &out, NULL), ==, 0);
  g_test_message ("glassbox-vmm run --config: %s", out);
  g_assert_nonnull (strstr (out, "hello from a glassbox guest"));
}
#endif

/* "This computer (Glassbox)": the wizard offers only what glassbox-vmm
 * boots, says what /dev/kvm is like here, skips the network and firmware
 * steps, makes the new qcow2 disk in the machines folder and the machine's
 * JSON file there — from a tiny guest's PVH kernel, by keyboard. */
static void
test_wizard_bundled (void)
{
#ifndef GB_TEST_GUEST_ELF
  g_test_skip ("built without the hypervisor: no tiny guest kernel");
#else
  const char *dir = gb_bundled_provider_get_machines_dir (GB_BUNDLED_PROVIDER (bundled));
  g_autofree char *disk = g_build_filename (dir, "hello.qcow2", NULL);
  g_autofree char *created = NULL;
  g_autofree char *warning = NULL;
  g_autoptr(GDir) listing = NULL;
  GbMachineCreatorWindow *win;
  GbMachineCreator *creator;
  GtkWidget *dialog = NULL;
  const char *entry;
  gboolean found = FALSE;
  guint tabs = 0;

  if (!g_file_test (GB_TEST_GUEST_ELF, G_FILE_TEST_IS_REGULAR))
    {
      g_test_skip ("the tiny guest " GB_TEST_GUEST_ELF " was not built");
      return;
    }
  /* What an earlier run left in the (build tree's) machines folder. */
  g_unlink (disk);
  listing = g_dir_open (dir, 0, NULL);
  while (listing && (entry = g_dir_read_name (listing)) != NULL)
    if (g_str_has_suffix (entry, ".json"))
      {
        g_autofree char *old = g_build_filename (dir, entry, NULL);
        g_unlink (old);
      }
  g_clear_pointer (&listing, g_dir_close);

  win = gb_machine_creator_window_new (NULL, G_LIST_MODEL (places), bundled);
  creator = gb_machine_creator_window_get_creator (win);
  g_object_set_data (G_OBJECT (win), "next-button", find_button (GTK_WIDGET (win), "creator.next"));
  g_signal_connect (win, "machine-created", G_CALLBACK (created_cb), &created);
  gtk_window_set_default_size (GTK_WINDOW (win), 640, 720);
  gtk_window_present (GTK_WINDOW (win));
  g_assert_true (wait_until (creator_ready, win, 30000));
  XTestFakeMotionEvent (xdisplay (), -1, 320, 360, CurrentTime);
  pump (300);

  /* Only the sources glassbox-vmm can boot. */
  g_assert_true (gb_machine_creator_window_get_provider (win) == bundled);
  g_assert_false (row_shown (GTK_WIDGET (win), "nstallation media"));
  g_assert_false (row_shown (GTK_WIDGET (win), "from the net_work"));
  g_assert_true (row_shown (GTK_WIDGET (win), "tiny Linux"));
  g_assert_true (row_shown (GTK_WIDGET (win), "kernel directly"));
  g_assert_true (row_shown (GTK_WIDGET (win), "mport a disk image"));

  /* The /dev/kvm diagnosis, in plain words, when there is something to say. */
  warning = gb_machine_creator_dup_host_warning (creator);
  g_assert_cmpint (row_shown (GTK_WIDGET (win), "About this computer"), ==, warning != NULL);
  if (gb_bundled_provider_get_kvm_status (GB_BUNDLED_PROVIDER (bundled), NULL) == GB_KVM_STATUS_EMULATED)
    g_assert_nonnull (strstr (warning, "will not boot in reasonable time"));
  g_test_message ("/dev/kvm here: %s", warning ? warning : "fine");

  /* Alt+K: boot a kernel directly; its field is the first text field. */
  press (XK_k, Mod1Mask);
  g_assert_cmpint (gb_machine_creator_get_source_kind (creator), ==, GB_CREATOR_SOURCE_DIRECT_KERNEL);
  while (!focus_is_text (win) && tabs++ < 40)
    press (XK_Tab, 0);
  g_assert_true (focus_is_text (win));
  type_text (GB_TEST_GUEST_ELF);
  g_assert_cmpstr (gb_machine_creator_get_kernel_path (creator), ==, GB_TEST_GUEST_ELF);
  save_png (GTK_WIDGET (win), "bundled-1-source.png");

  press (XK_Right, Mod1Mask);
  assert_page (win, "os");
  press (XK_Right, Mod1Mask);
  assert_page (win, "resources");
  gb_machine_creator_set_memory_mib (creator, gb_machine_creator_get_min_memory_mib (creator));
  press (XK_Right, Mod1Mask);
  assert_page (win, "storage");

  /* A new disk: a qcow2 file in the machines folder. */
  XTestFakeMotionEvent (xdisplay (), -1, 320, 360, CurrentTime);
  pump (100);
  g_assert_cmpint (gb_machine_creator_get_disk_mode (creator), ==, GB_CREATOR_DISK_NONE);
  adw_action_row_activate (ADW_ACTION_ROW (find_row (GTK_WIDGET (win), "a ne_w disk")));
  pump (100);
  g_assert_cmpint (gb_machine_creator_get_disk_mode (creator), ==, GB_CREATOR_DISK_NEW);
  gb_machine_creator_set_disk_size (creator, (guint64) 1 << 30);
  save_png (GTK_WIDGET (win), "bundled-4-storage.png");

  /* The New Disk dialog offers that folder, already chosen. */
  gb_machine_creator_set_name (creator, "hello");
  press (XK_n, ControlMask | ShiftMask);
  pump (300);
  for (GList *l = gtk_window_list_toplevels (); l; l = g_list_delete_link (l, l))
    if (GB_IS_NEW_DISK_DIALOG (l->data))
      dialog = l->data;
  g_assert_nonnull (dialog);
  g_assert_true (wait_until (dialog_valid, dialog, 5000));
  g_assert_true (combo_offers (dialog, "folder"));
  XTestFakeMotionEvent (xdisplay (), -1, 100, 100, CurrentTime);
  pump (300);
  save_png (dialog, "bundled-4b-new-disk.png");
  gtk_window_close (GTK_WINDOW (dialog));
  pump (200);

  /* Network: user-mode NAT by default (libslirp in glassbox-vmm), no
   * libvirt NAT row; firmware offers no choice here. */
  XTestFakeMotionEvent (xdisplay (), -1, 320, 360, CurrentTime);
  pump (100);
  press (XK_Right, Mod1Mask);
  assert_page (win, "network");
  g_assert_cmpint (gb_machine_creator_get_network_kind (creator), ==, GB_CREATOR_NETWORK_USER);
  save_png (GTK_WIDGET (win), "bundled-5-network.png");
  press (XK_Right, Mod1Mask);
  assert_page (win, "summary");
  gtk_switch_set_active (GTK_SWITCH (find_switch (GTK_WIDGET (win))), TRUE);   /* don't start it */
  save_png (GTK_WIDGET (win), "bundled-6-summary.png");

  press (XK_Return, ControlMask);
  g_assert_true (wait_until (domain_created, &created, 30000));
  g_assert_nonnull (gb_provider_find_machine (bundled, created));
  g_assert_true (g_file_test (disk, G_FILE_TEST_IS_REGULAR));

  listing = g_dir_open (dir, 0, NULL);
  while (listing && (entry = g_dir_read_name (listing)) != NULL)
    if (g_str_has_suffix (entry, ".json"))
      {
        g_autofree char *path = g_build_filename (dir, entry, NULL);
        g_autofree char *text = NULL;

        g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
        if (strstr (text, GB_TEST_GUEST_ELF) != NULL)
          {
            g_test_message ("%s:\n%s", path, text);
            g_assert_nonnull (strstr (text, disk));
            g_assert_nonnull (strstr (text, "\"hello\""));
            found = TRUE;
            run_config (path);
          }
      }
  g_assert_true (found);
#endif
}

/* Choosing another place to run re-learns that host: the sources follow. */
static void
test_place_switch (void)
{
  GbMachineCreatorWindow *win = gb_machine_creator_window_new (NULL, G_LIST_MODEL (places), bundled);
  GbMachineCreator *creator = gb_machine_creator_window_get_creator (win);
  AdwComboRow *place;

  gtk_window_set_default_size (GTK_WINDOW (win), 640, 720);
  gtk_window_present (GTK_WINDOW (win));
  g_assert_true (wait_until (creator_ready, win, 30000));
  pump (200);
  place = ADW_COMBO_ROW (find_row (GTK_WIDGET (win), "lace to run"));
  g_assert_cmpuint (adw_combo_row_get_selected (place), ==, 0);
  g_assert_false (row_shown (GTK_WIDGET (win), "nstallation media"));
  g_assert_cmpint (gb_machine_creator_get_source_kind (creator), ==, GB_CREATOR_SOURCE_TINY_LINUX);

  /* The test driver: every source, the host row says so, no warning. */
  adw_combo_row_set_selected (place, 1);
  g_assert_true (gb_machine_creator_window_get_provider (win) == provider);
  g_assert_true (wait_until (creator_ready, win, 30000));
  pump (200);
  g_assert_true (row_shown (GTK_WIDGET (win), "nstallation media"));
  g_assert_true (row_shown (GTK_WIDGET (win), "from the net_work"));
  g_assert_false (row_shown (GTK_WIDGET (win), "About this computer"));
  g_assert_true (gb_machine_creator_get_firmware_choice (creator));
  save_png (GTK_WIDGET (win), "place-switch-libvirt.png");

  /* A connection the app adds meanwhile is offered too. */
  {
    g_autoptr(GbProvider) later = gb_libvirt_provider_new ("qemu+ssh://root@example.invalid/system");
    guint pos = 0;

    g_list_store_append (places, later);
    g_assert_cmpuint (g_list_model_get_n_items (adw_combo_row_get_model (place)), ==, 3);
    g_assert_cmpuint (adw_combo_row_get_selected (place), ==, 1);    /* still the test driver */
    g_assert_true (g_list_store_find (places, later, &pos));
    g_list_store_remove (places, pos);
    g_assert_cmpuint (g_list_model_get_n_items (adw_combo_row_get_model (place)), ==, 2);
  }

  /* And back. */
  adw_combo_row_set_selected (place, 0);
  g_assert_true (wait_until (creator_ready, win, 30000));
  pump (200);
  g_assert_false (row_shown (GTK_WIDGET (win), "nstallation media"));
  g_assert_false (gb_machine_creator_get_firmware_choice (creator));
  gtk_window_destroy (GTK_WINDOW (win));
}

/* A remote libvirt host gets no disk file on this computer. */
static void
test_new_disk_remote (void)
{
  g_autoptr(GbProvider) remote = gb_libvirt_provider_new ("qemu+ssh://root@example.invalid/system");
  GbNewDiskDialog *dialog = gb_new_disk_dialog_new (NULL, remote);
  GbNewDiskDialog *local = gb_new_disk_dialog_new (NULL, provider);

  gtk_window_present (GTK_WINDOW (dialog));
  gtk_window_present (GTK_WINDOW (local));
  pump (200);
  g_assert_false (combo_offers (GTK_WIDGET (dialog), "folder"));
  g_assert_false (dialog_valid (dialog));
  g_assert_cmpint (combo_offers (GTK_WIDGET (local), "folder"), ==, gb_disk_can_create_in_folder (provider));
  save_png (GTK_WIDGET (dialog), "new-disk-remote.png");
  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (local));
}

/* The wizard in Simplified Chinese, from po/zh_CN.po. */
static void
test_wizard_zh_cn (void)
{
  const char *srcdir = g_getenv ("G_TEST_SRCDIR");
  g_autofree char *po = srcdir ? g_build_filename (srcdir, "..", "po", "zh_CN.po", NULL) : NULL;
  g_autofree char *localedir = g_build_filename (outdir, "locale", NULL);
  g_autofree char *modir = g_build_filename (localedir, "zh_CN", "LC_MESSAGES", NULL);
  g_autofree char *mo = g_build_filename (modir, GETTEXT_PACKAGE ".mo", NULL);
  g_autofree char *iso = build_iso ();
  const char *argv[] = { "msgfmt", "--check", "-o", mo, po, NULL };
  GbMachineCreatorWindow *win;
  int status = 0;

  if (po == NULL || !g_file_test (po, G_FILE_TEST_EXISTS) || !gb_test_have_program ("msgfmt") || iso == NULL)
    {
      g_test_skip ("needs G_TEST_SRCDIR, msgfmt (gettext) and xorriso");
      return;
    }
  g_mkdir_with_parents (modir, 0755);
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               NULL, NULL, &status, NULL));
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  /* gtk_test_init() leaves the "C" locale, where gettext ignores LANGUAGE;
   * set LANGUAGE first: textdomain() then drops gettext's cached lookups. */
  setlocale (LC_ALL, "C.UTF-8");
  g_setenv ("LANGUAGE", "zh_CN", TRUE);
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  win = gb_machine_creator_window_new (NULL, G_LIST_MODEL (places), provider);
  g_object_set_data (G_OBJECT (win), "next-button", find_button (GTK_WIDGET (win), "creator.next"));
  gtk_window_set_default_size (GTK_WINDOW (win), 640, 720);
  gtk_window_present (GTK_WINDOW (win));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (win)), ==, "新建虚拟机");
  g_assert_true (wait_until (creator_ready, win, 30000));
  gb_machine_creator_set_source_path (gb_machine_creator_window_get_creator (win), iso);
  XTestFakeMotionEvent (xdisplay (), -1, 320, 360, CurrentTime);
  pump (200);
  save_png (GTK_WIDGET (win), "zh_CN-1-source.png");

  press (XK_Right, Mod1Mask);
  g_assert_true (wait_until (action_enabled, win, 30000));
  save_png (GTK_WIDGET (win), "zh_CN-2-os.png");
  for (guint i = 0; i < 5; i++)
    press (XK_Right, Mod1Mask);
  assert_page (win, "summary");
  save_png (GTK_WIDGET (win), "zh_CN-7-summary.png");
  gtk_window_destroy (GTK_WINDOW (win));

  /* Glassbox's own machines, with the /dev/kvm diagnosis in Chinese. */
  win = gb_machine_creator_window_new (NULL, G_LIST_MODEL (places), bundled);
  gtk_window_set_default_size (GTK_WINDOW (win), 640, 720);
  gtk_window_present (GTK_WINDOW (win));
  g_assert_true (wait_until (creator_ready, win, 30000));
  pump (200);
  g_assert_nonnull (find_row (GTK_WIDGET (win), "运行位置"));
  if (gb_bundled_provider_get_kvm_status (GB_BUNDLED_PROVIDER (bundled), NULL) == GB_KVM_STATUS_EMULATED)
    {
      g_autofree char *warning = gb_machine_creator_dup_host_warning (gb_machine_creator_window_get_creator (win));

      g_assert_true (row_shown (GTK_WIDGET (win), "关于这台计算机"));
      g_assert_nonnull (strstr (warning, "合理时间"));
    }
  save_png (GTK_WIDGET (win), "zh_CN-bundled-1-source.png");

  g_unsetenv ("LANGUAGE");
  gtk_window_destroy (GTK_WINDOW (win));
}

static void
weak_notify_cb (gpointer  data,
                GObject  *where_the_object_was)
{
  *(gboolean *) data = TRUE;
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

static gboolean
file_gone (gpointer data)
{
  return !g_file_test (data, G_FILE_TEST_EXISTS);
}

/* Escape while the wizard is busy (detecting) and while the New Disk dialog
 * is writing a fully preallocated disk: both close at once, without a
 * warning, and the half-written disk is removed. */
static void
test_close_while_busy (void)
{
  g_autofree char *iso = build_iso ();
  g_autofree char *folder = g_build_filename (outdir, "busy", NULL);
  g_autofree char *target = g_build_filename (folder, "big.raw", NULL);
  GbMachineCreatorWindow *win;
  GbNewDiskDialog *dialog;
  gboolean gone = FALSE;

  if (iso == NULL)
    {
      g_test_skip ("xorriso or isolinux is not installed");
      return;
    }

  win = gb_machine_creator_window_new (NULL, G_LIST_MODEL (places), provider);
  g_object_weak_ref (G_OBJECT (win), weak_notify_cb, &gone);
  gtk_window_present (GTK_WINDOW (win));
  g_assert_true (wait_until (creator_ready, win, 30000));
  gb_machine_creator_set_source_path (gb_machine_creator_window_get_creator (win), iso);
  XTestFakeMotionEvent (xdisplay (), -1, 320, 360, CurrentTime);
  pump (100);
  press (XK_Right, Mod1Mask);
  press (XK_Escape, 0);
  g_assert_true (wait_until (flag_set, &gone, 10000));
  pump (500);     /* the detection finishes into a closed window */

  if (!gb_disk_can_create_in_folder (provider))
    {
      g_test_skip ("the New Disk dialog cannot create disks here (no block engine, no local QEMU)");
      return;
    }
  g_mkdir_with_parents (folder, 0755);
  g_unlink (target);
  gone = FALSE;
  dialog = gb_new_disk_dialog_new (NULL, provider);
  g_object_weak_ref (G_OBJECT (dialog), weak_notify_cb, &gone);
  gtk_window_present (GTK_WINDOW (dialog));
  gb_new_disk_dialog_set_folder (dialog, folder);
  gb_new_disk_dialog_set_disk_name (dialog, "big.raw");
  /* 8 GiB: still being written when the dialog closes 300 ms after Create
   * (an unloaded CI machine wrote 88 % of 2 GiB in that time and finished,
   * so the disk rightly stayed). */
  gb_new_disk_dialog_set_size (dialog, (guint64) 8 << 30);
  /* raw, full preallocation: the slow path, with a progress bar */
  gb_new_disk_dialog_set_format (dialog, GB_DISK_FORMAT_RAW);
  gb_new_disk_dialog_set_prealloc (dialog, GB_DISK_PREALLOC_FULL);
  g_assert_true (wait_until (dialog_valid, dialog, 5000));
  gtk_widget_activate_action (GTK_WIDGET (dialog), "disk.create", NULL);
  pump (300);
  save_png (GTK_WIDGET (dialog), "new-disk-progress.png");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_true (wait_until (flag_set, &gone, 60000));
  /* The copy stops and its half-written file is removed in the worker
   * thread, after the dialog is gone: on a loaded machine that can take
   * longer than a moment (it failed once after 200 ms in a CI run). */
  g_assert_true (wait_until (file_gone, target, 30000));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  if (!GDK_IS_X11_DISPLAY (gdk_display_get_default ()))
    {
      g_print ("1..0 # SKIP needs an X11 display (run under xvfb-run with GDK_BACKEND=x11)\n");
      return 0;
    }

  outdir = g_build_filename (g_getenv ("G_TEST_BUILDDIR") ? g_getenv ("G_TEST_BUILDDIR") : ".",
                             "creator-ui", NULL);
  g_mkdir_with_parents (outdir, 0755);

  gvir_init_object (NULL, NULL);
  provider = gb_libvirt_provider_new ("test:///default");
  {
    g_autoptr(GAsyncResult) result = NULL;

    gb_provider_connect_async (provider, NULL, gb_test_store_result, &result);
    if (!gb_provider_connect_finish (provider, gb_test_wait_result (&result), &error))
      g_error ("test:///default: %s", error->message);
  }
  conn = gb_libvirt_provider_get_connection (GB_LIBVIRT_PROVIDER (provider));
  {
    g_autofree char *machines = g_build_filename (outdir, "bundled", "machines", NULL);
    g_autofree char *runtime = g_build_filename (outdir, "bundled", "run", NULL);

    bundled = gb_bundled_provider_new_for_dirs (machines, runtime);
  }
  places = g_list_store_new (GB_TYPE_PROVIDER);
  g_list_store_append (places, bundled);
  g_list_store_append (places, provider);

  g_test_add_func ("/creator-ui/wizard-keyboard", test_wizard_keyboard);
  g_test_add_func ("/creator-ui/new-disk-dialog", test_new_disk_dialog);
  g_test_add_func ("/creator-ui/wizard-tiny-linux", test_wizard_tiny_linux);
  g_test_add_func ("/creator-ui/close-while-busy", test_close_while_busy);
  g_test_add_func ("/creator-ui/wizard-bundled", test_wizard_bundled);
  g_test_add_func ("/creator-ui/new-disk-remote", test_new_disk_remote);
  g_test_add_func ("/creator-ui/place-switch", test_place_switch);
  g_test_add_func ("/creator-ui/wizard-zh-CN", test_wizard_zh_cn);
  return g_test_run ();
}
