/* test-zh-cn.c — the app in Simplified Chinese, as a zh_CN user reads it
 *
 *  - nic: the details page says 虚拟网络“default”, not "network default"
 *    (libvirt's word put together at run time);
 *  - tooltip: a tooltip shows on one line ("主菜单", not 主/菜/单 one
 *    character a line): the pointer is moved onto a header button with
 *    XTEST and the tooltip's label is measured;
 *  - mnemonics: no two controls in one view (a page of the main window, a
 *    page of the wizard, New Disk, Virtual Networks, Add Connection, and
 *    each menu) share a mnemonic letter: Alt+N must not mean both
 *    从网络安装(N) and 下一步(N).  The views are walked as shown, so what
 *    a page hides is not counted against it.
 *
 * Run with LANGUAGE=zh_CN (its meson test does); with another language it
 * checks that language's mnemonics the same way.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <adwaita.h>

#ifdef HAVE_XTEST
# include <gdk/x11/gdkx.h>
# include <X11/extensions/XTest.h>
#endif

#include "gb-application.h"
#include "gb-add-connection-dialog.h"
#include "gb-machine-creator-window.h"
#include "gb-machine-row.h"
#include "gb-networks-window.h"
#include "gb-new-disk-dialog.h"
#include "gb-test-gtk-utils.h"
#include "gb-window.h"

#define TEST_URI "test:///default"
#define TIMEOUT_MS 30000

static GbApplication *app;

static gboolean
is_chinese (void)
{
  return g_str_has_prefix (g_getenv ("LANGUAGE") ? g_getenv ("LANGUAGE") : "", "zh");
}

static char *
png_name (const char *stem)
{
  return g_strdup_printf ("%s%s.png", stem, is_chinese () ? "-zh_CN" : "");
}

static gboolean
row_is_shown (gpointer data)
{
  return gb_test_find_machine_row (data, "test") != NULL;
}

static gboolean
dialog_shown (gpointer data)
{
  return gb_test_find_dialog (GPOINTER_TO_SIZE (data)) != NULL;
}

static gboolean
creator_ready (gpointer data)
{
  return gb_machine_creator_get_ready (gb_machine_creator_window_get_creator (data));
}

static void
settle (GtkWidget *window)
{
  gtk_test_widget_wait_for_draw (window);
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
}

static GtkWidget *
open_window (gboolean select_test)
{
  GtkWidget *window;

  gb_application_open_connection (app, TEST_URI);
  window = g_object_ref (GTK_WIDGET (gb_window_new (app)));
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 760);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (gb_test_wait_until_ms (row_is_shown, window, TIMEOUT_MS));
  if (select_test)
    {
      GtkWidget *row = gb_test_find_machine_row (window, "test");

      gb_window_select_machine (GB_WINDOW (window), gb_machine_row_get_machine (GB_MACHINE_ROW (row)));
    }
  settle (window);
  return window;
}

static void
close_window (GtkWidget *window)
{
  gb_window_select_machine (GB_WINDOW (window), NULL);
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_object_unref (window);
}

/* ------------------------------------------------------------------ */

static gboolean
subtitle_has (GtkWidget *widget,
              gpointer   data)
{
  const char *subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (widget));

  return subtitle != NULL && strstr (subtitle, data) != NULL;
}

static gboolean
nic_row_shown (gpointer data)
{
  return gb_test_find_widget (data, ADW_TYPE_ACTION_ROW, subtitle_has, (gpointer) "default") != NULL;
}

static void
test_nic (void)
{
  GtkWidget *window = open_window (TRUE);
  GtkWidget *row;
  const char *subtitle;

  gb_window_set_page (GB_WINDOW (window), "details");
  g_assert_true (gb_test_wait_until_ms (nic_row_shown, window, TIMEOUT_MS));
  row = gb_test_find_widget (window, ADW_TYPE_ACTION_ROW, subtitle_has, (gpointer) "default");
  subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
  g_test_message ("network card: %s", subtitle);
  g_assert_null (strstr (subtitle, "network default"));
  g_assert_nonnull (strstr (subtitle, is_chinese () ? "虚拟网络“default”" : "Virtual network “default”"));

  close_window (window);
}

/* One unit system: the disk of test:///default's machine (just under
 * 1 TiB) and its 8 GiB of memory in IEC units, as the wizard says them;
 * before, the same page said "1.1 TB". */
static gboolean
subtitle_has_disk (GtkWidget *widget,
                   gpointer   data)
{
  const char *subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (widget));

  return subtitle != NULL && g_str_has_prefix (subtitle, "vda");
}

static gboolean
disk_row_shown (gpointer data)
{
  return gb_test_find_widget (data, ADW_TYPE_ACTION_ROW, subtitle_has_disk, NULL) != NULL;
}

static void
test_units (void)
{
  GtkWidget *window = open_window (TRUE);
  GtkWidget *row;
  const char *subtitle;

  gb_window_set_page (GB_WINDOW (window), "details");
  g_assert_true (gb_test_wait_until_ms (disk_row_shown, window, TIMEOUT_MS));
  row = gb_test_find_widget (window, ADW_TYPE_ACTION_ROW, subtitle_has_disk, NULL);
  subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
  g_test_message ("disk: %s", subtitle);
  g_assert_true (strstr (subtitle, "\u00a0GiB") != NULL || strstr (subtitle, "\u00a0TiB") != NULL);
  g_assert_null (strstr (subtitle, "\u00a0GB"));
  g_assert_null (strstr (subtitle, "\u00a0TB"));
  g_assert_nonnull (gb_test_find_label_with_text (window, "8.0\u00a0GiB"));

  close_window (window);
}

/* ------------------------------------------------------------------ */

#ifdef HAVE_XTEST
static gboolean
is_tooltip_window (GtkWidget *widget,
                   gpointer   data)
{
  return g_str_equal (G_OBJECT_TYPE_NAME (widget), "GtkTooltipWindow") && gtk_widget_get_mapped (widget);
}

static gboolean
tooltip_shown (gpointer data)
{
  return gb_test_find_widget (data, GTK_TYPE_WIDGET, is_tooltip_window, NULL) != NULL;
}

static gboolean
has_tooltip (GtkWidget *widget,
             gpointer   data)
{
  return g_strcmp0 (gtk_widget_get_tooltip_text (widget), data) == 0 && gtk_widget_get_mapped (widget);
}

/* Moves the pointer onto the middle of @widget. */
static void
point_at (GtkWidget *widget)
{
  GtkNative *native = gtk_widget_get_native (widget);
  Display *dpy = gdk_x11_display_get_xdisplay (gtk_widget_get_display (widget));
  Window xid = gdk_x11_surface_get_xid (gtk_native_get_surface (native));
  graphene_point_t in = GRAPHENE_POINT_INIT (gtk_widget_get_width (widget) / 2.f,
                                             gtk_widget_get_height (widget) / 2.f);
  graphene_point_t out;
  double nx, ny;
  int rx, ry;
  Window child;

  g_assert_true (gtk_widget_compute_point (widget, GTK_WIDGET (native), &in, &out));
  gtk_native_get_surface_transform (native, &nx, &ny);
  XTranslateCoordinates (dpy, xid, DefaultRootWindow (dpy), (int) (out.x + nx), (int) (out.y + ny),
                         &rx, &ry, &child);
  /* From elsewhere first: GTK shows a tooltip on motion. */
  XTestFakeMotionEvent (dpy, -1, rx + 40, ry + 40, CurrentTime);
  XFlush (dpy);
  settle (widget);
  XTestFakeMotionEvent (dpy, -1, rx, ry, CurrentTime);
  XFlush (dpy);
}
#endif

static void
test_tooltip (void)
{
#ifdef HAVE_XTEST
  const char *text = is_chinese () ? "主菜单" : "Main Menu";
  GtkWidget *window = open_window (FALSE);
  GtkWidget *button, *tooltip, *label;
  PangoLayout *layout;
  int width, text_width;
  g_autofree char *png = NULL;

  button = gb_test_find_widget (window, GTK_TYPE_WIDGET, has_tooltip, (gpointer) text);
  g_assert_nonnull (button);
  point_at (button);
  g_assert_true (gb_test_wait_until_ms (tooltip_shown, window, TIMEOUT_MS));
  tooltip = gb_test_find_widget (window, GTK_TYPE_WIDGET, is_tooltip_window, NULL);
  settle (tooltip);
  label = gb_test_find_widget (tooltip, GTK_TYPE_LABEL, NULL, NULL);
  g_assert_nonnull (label);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (label)), ==, text);

  /* One line, as wide as its text. */
  layout = gtk_label_get_layout (GTK_LABEL (label));
  pango_layout_get_pixel_size (layout, &text_width, NULL);
  width = gtk_widget_get_width (label);
  g_test_message ("tooltip \"%s\": label %d px wide, %d line(s), text %d px",
                  text, width, pango_layout_get_line_count (layout), text_width);
  g_assert_cmpint (pango_layout_get_line_count (layout), ==, 1);
  g_assert_cmpint (width, >=, text_width);

  png = png_name ("tooltip");
  gb_test_save_png (tooltip, png);
  close_window (window);
#else
  g_test_skip ("built without XTEST (libxtst-dev): the pointer cannot be moved");
#endif
}

/* ------------------------------------------------------------------ */
/* Mnemonics                                                          */

typedef struct {
  GHashTable *seen;      /* keyval → first label's text */
  GPtrArray  *clashes;
  const char *view;
} MnemonicScan;

static void
note_mnemonic (MnemonicScan *scan,
               guint         keyval,
               const char   *what)
{
  const char *first;

  keyval = gdk_keyval_to_lower (keyval);
  first = g_hash_table_lookup (scan->seen, GUINT_TO_POINTER (keyval));
  if (first == NULL)
    g_hash_table_insert (scan->seen, GUINT_TO_POINTER (keyval), g_strdup (what));
  else if (!g_str_equal (first, what))
    g_ptr_array_add (scan->clashes, g_strdup_printf ("%s: (%s) for “%s” and “%s”", scan->view,
                                                     gdk_keyval_name (gdk_keyval_to_upper (keyval)),
                                                     first, what));
}

/* Every mapped label with a mnemonic under @widget: what Alt+letter reaches
 * in the view as shown. */
static void
scan_labels (GtkWidget    *widget,
             MnemonicScan *scan)
{
  if (!gtk_widget_get_mapped (widget))
    return;

  if (GTK_IS_LABEL (widget) && gtk_label_get_use_underline (GTK_LABEL (widget)) &&
      gtk_label_get_mnemonic_keyval (GTK_LABEL (widget)) != GDK_KEY_VoidSymbol)
    note_mnemonic (scan, gtk_label_get_mnemonic_keyval (GTK_LABEL (widget)), gtk_label_get_label (GTK_LABEL (widget)));

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    scan_labels (child, scan);
}

static void
scan_view (GtkWidget  *root,
           const char *view,
           GPtrArray  *clashes)
{
  MnemonicScan scan = { g_hash_table_new_full (NULL, NULL, NULL, g_free), clashes, view };

  settle (root);
  scan_labels (root, &scan);
  g_test_message ("%s: %u mnemonics", view, g_hash_table_size (scan.seen));
  g_hash_table_unref (scan.seen);
}

/* The items of a menu (with its sections and submenus flattened: they show
 * together) share the letters of one popover. */
static void
scan_menu_items (GMenuModel   *menu,
                 MnemonicScan *scan)
{
  for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autofree char *label = NULL;
      GMenuModel *section = g_menu_model_get_item_link (menu, i, G_MENU_LINK_SECTION);

      if (section != NULL)
        {
          scan_menu_items (section, scan);
          g_object_unref (section);
        }
      if (g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_LABEL, "s", &label))
        {
          const char *u = strchr (label, '_');

          if (u != NULL && u[1] != '\0' && u[1] != '_')
            note_mnemonic (scan, gdk_unicode_to_keyval (g_utf8_get_char (u + 1)), label);
        }
    }
}

static void
scan_menus (GtkWidget *widget,
            GPtrArray *clashes)
{
  if (GTK_IS_MENU_BUTTON (widget) && gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (widget)) != NULL)
    {
      g_autofree char *view = g_strdup_printf ("menu “%s”", gtk_widget_get_tooltip_text (widget)
                                               ? gtk_widget_get_tooltip_text (widget) : "?");
      MnemonicScan scan = { g_hash_table_new_full (NULL, NULL, NULL, g_free), clashes, view };

      scan_menu_items (gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (widget)), &scan);
      g_hash_table_unref (scan.seen);
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    scan_menus (child, clashes);
}

static gboolean
stack_has_summary (GtkWidget *widget,
                   gpointer   data)
{
  return gtk_stack_get_child_by_name (GTK_STACK (widget), "summary") != NULL;
}

static void
close_dialog (GType type)
{
  GtkWindow *dialog = gb_test_find_dialog (type);

  if (dialog != NULL)
    gtk_window_destroy (dialog);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
test_mnemonics (void)
{
  static const char *pages[] = { "source", "os", "resources", "storage", "network", "firmware", "summary" };
  static const char *window_pages[] = { "details", "console", "inside" };
  g_autoptr(GPtrArray) clashes = g_ptr_array_new_with_free_func (g_free);
  GtkWidget *window = open_window (TRUE);
  GtkWindow *dialog;
  GtkStack *stack;

  for (guint i = 0; i < G_N_ELEMENTS (window_pages); i++)
    {
      g_autofree char *view = g_strdup_printf ("main window, %s page", window_pages[i]);

      gb_window_set_page (GB_WINDOW (window), window_pages[i]);
      scan_view (window, view, clashes);
    }
  scan_menus (window, clashes);

  g_action_group_activate_action (G_ACTION_GROUP (app), "new-machine", NULL);
  g_assert_true (gb_test_wait_until_ms (dialog_shown, GSIZE_TO_POINTER (GB_TYPE_MACHINE_CREATOR_WINDOW), TIMEOUT_MS));
  dialog = gb_test_find_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW);
  g_assert_true (gb_test_wait_until_ms (creator_ready, dialog, TIMEOUT_MS));
  stack = GTK_STACK (gb_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_STACK, stack_has_summary, NULL));
  g_assert_nonnull (stack);
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      g_autofree char *view = g_strdup_printf ("wizard, %s page", pages[i]);

      /* The last page shows Create where the others show Next. */
      gtk_stack_set_visible_child_name (stack, pages[i]);
      scan_view (GTK_WIDGET (dialog), view, clashes);
    }
  close_dialog (GB_TYPE_MACHINE_CREATOR_WINDOW);

  g_action_group_activate_action (G_ACTION_GROUP (app), "new-disk", NULL);
  g_assert_true (gb_test_wait_until_ms (dialog_shown, GSIZE_TO_POINTER (GB_TYPE_NEW_DISK_DIALOG), TIMEOUT_MS));
  scan_view (GTK_WIDGET (gb_test_find_dialog (GB_TYPE_NEW_DISK_DIALOG)), "New Disk", clashes);
  close_dialog (GB_TYPE_NEW_DISK_DIALOG);

  g_action_group_activate_action (G_ACTION_GROUP (app), "networks", g_variant_new_string (TEST_URI));
  g_assert_true (gb_test_wait_until_ms (dialog_shown, GSIZE_TO_POINTER (GB_TYPE_NETWORKS_WINDOW), TIMEOUT_MS));
  scan_view (GTK_WIDGET (gb_test_find_dialog (GB_TYPE_NETWORKS_WINDOW)), "Virtual Networks", clashes);
  scan_menus (GTK_WIDGET (gb_test_find_dialog (GB_TYPE_NETWORKS_WINDOW)), clashes);
  close_dialog (GB_TYPE_NETWORKS_WINDOW);

  g_action_group_activate_action (G_ACTION_GROUP (app), "add-connection", NULL);
  g_assert_true (gb_test_wait_until_ms (dialog_shown, GSIZE_TO_POINTER (GB_TYPE_ADD_CONNECTION_DIALOG), TIMEOUT_MS));
  scan_view (GTK_WIDGET (gb_test_find_dialog (GB_TYPE_ADD_CONNECTION_DIALOG)), "Add Connection", clashes);
  close_dialog (GB_TYPE_ADD_CONNECTION_DIALOG);

  close_window (window);

  if (clashes->len > 0)
    {
      g_autoptr(GString) all = g_string_new (NULL);

      for (guint i = 0; i < clashes->len; i++)
        g_string_append_printf (all, "\n  %s", (char *) clashes->pdata[i]);
      g_error ("%u mnemonic letters are used twice in one view:%s", clashes->len, all->str);
    }
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  gb_application_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);

  app = gb_test_application_new ();

  g_test_add_func ("/ui/zh_CN/nic", test_nic);
  g_test_add_func ("/ui/zh_CN/units", test_units);
  g_test_add_func ("/ui/zh_CN/tooltip", test_tooltip);
  g_test_add_func ("/ui/zh_CN/mnemonics", test_mnemonics);

  ret = g_test_run ();

  g_clear_object (&app);
  return ret;
}
