/* test-edit.c — the Settings page driven with keys (XTEST on Xvfb)
 *
 * A stopped machine on test:///default: Ctrl+Shift+H opens its Settings,
 * the maximum processors typed and Ctrl+Return applied reach the persistent
 * XML; an image path typed and added, Ctrl+Return, is a new disk; F2 and a
 * typed name rename it; the space bar on the random number generator's
 * switch and Ctrl+Return add one; Ctrl+Shift+X shows the XML, read-only.  The
 * actions are in the row menu and the header menu.  PNGs of each tab are
 * saved (edit-*.png, with the language in the name).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>
#include <libvirt/libvirt.h>

#ifdef HAVE_XTEST
# include <gdk/x11/gdkx.h>
# include <X11/extensions/XTest.h>
# include <X11/keysym.h>
# include <X11/XKBlib.h>
#endif

#include "gb-application.h"
#include "gb-libvirt-edit.h"
#include "gb-machine-editor.h"
#include "gb-machine-row.h"
#include "gb-test-gtk-utils.h"
#include "gb-window.h"

#define TIMEOUT_MS 30000

static const char *machine_xml =
  "<domain type='test'>"
  "<name>edit-ui</name>"
  "<uuid>6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d</uuid>"
  "<memory unit='KiB'>524288</memory>"
  "<vcpu placement='static'>2</vcpu>"
  "<os><type arch='x86_64'>hvm</type></os>"
  "<devices>"
  "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
  "<source file='/var/lib/glassbox-test/root.qcow2'/><target dev='vda' bus='virtio'/></disk>"
  "<interface type='network'><mac address='52:54:00:aa:cc:01'/><source network='default'/>"
  "<model type='virtio'/></interface>"
  "</devices></domain>";

static virConnectPtr raw;

static char *
png_name (const char *what)
{
  const char *lang = g_getenv ("LANGUAGE");

  return g_strdup_printf ("edit-%s-%s.png", what, lang && *lang ? lang : "en");
}

static char *
xml_of (const char *name)
{
  virDomainPtr dom = virDomainLookupByName (raw, name);
  char *xml;

  if (dom == NULL)
    return NULL;
  xml = virDomainGetXMLDesc (dom, VIR_DOMAIN_XML_INACTIVE);
  virDomainFree (dom);
  return xml;
}

static gboolean
menu_has_action (GMenuModel *model,
                 const char *action)
{
  for (int i = 0; i < g_menu_model_get_n_items (model); i++)
    {
      g_autofree char *name = NULL;
      GMenuModel *section = g_menu_model_get_item_link (model, i, G_MENU_LINK_SECTION);

      if (section != NULL)
        {
          gboolean found = menu_has_action (section, action);
          g_object_unref (section);
          if (found)
            return TRUE;
        }
      if (g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_ACTION, "s", &name) &&
          g_strcmp0 (name, action) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
is_menu_with (GtkWidget *widget,
              gpointer   data)
{
  GMenuModel *model = gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (widget));

  return model != NULL && menu_has_action (model, data);
}

static gboolean
has_id (GtkWidget *widget,
        gpointer   data)
{
  return g_strcmp0 (gtk_buildable_get_buildable_id (GTK_BUILDABLE (widget)), data) == 0;
}

static GtkWidget *
find_id (GtkWidget  *root,
         const char *id)
{
  GtkWidget *w = gb_test_find_widget (root, GTK_TYPE_WIDGET, has_id, (gpointer) id);

  g_assert_nonnull (w);
  return w;
}

#ifdef HAVE_XTEST

typedef struct {
  GtkWidget       *window;
  GbMachineEditor *editor;
} Ctx;

static gboolean
row_is_shown (gpointer data)
{
  return gb_test_find_machine_row (data, "edit-ui") != NULL;
}

static gboolean
settings_shown (gpointer data)
{
  Ctx *ctx = data;
  return g_strcmp0 (gb_window_get_page (GB_WINDOW (ctx->window)), "settings") == 0;
}

static gboolean
editor_idle (gpointer data)
{
  Ctx *ctx = data;
  return !gb_machine_editor_get_busy (ctx->editor);
}

static gboolean
name_focused (gpointer data)
{
  Ctx *ctx = data;
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (ctx->window));
  GtkWidget *name = find_id (GTK_WIDGET (ctx->editor), "name_row");

  return focus != NULL && (focus == name || gtk_widget_is_ancestor (focus, name));
}

static gboolean
tab_is_xml (gpointer data)
{
  Ctx *ctx = data;
  return g_strcmp0 (gb_machine_editor_get_tab (ctx->editor), "xml") == 0;
}

static gboolean
xml_has (gpointer data)
{
  const char *const *args = data;
  g_autofree char *xml = xml_of (args[0]);

  return xml != NULL && strstr (xml, args[1]) != NULL;
}

/* Lets a text view finish its layout (validated in idles) and draw: keys
 * that scroll a view GTK has not laid out yet make GTK 4.8 warn of
 * snapshotting its scrollbar's slider without an allocation. */
static void
settle (GtkWidget *window)
{
  gint64 until = g_get_monotonic_time () + 300 * 1000;

  while (g_get_monotonic_time () < until)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (5000);
    }
  gtk_test_widget_wait_for_draw (window);
}

static void
focus_and_clear (GtkWidget *window,
                 GtkWidget *widget)
{
  gtk_widget_grab_focus (widget);
  gb_test_press (window, GDK_CONTROL_MASK, XK_a);
  gb_test_press (window, 0, XK_BackSpace);
}

static void
test_edit (void)
{
  g_autoptr(GbApplication) app = gb_test_application_new ();
  GtkWidget *window, *row, *editor;
  g_autofree char *png = NULL;
  Display *dpy;
  int event_base, error_base, major, minor;
  virDomainPtr dom;
  Ctx ctx;

  window = g_object_ref (GTK_WIDGET (gb_window_new (app)));
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 760);
  gb_application_open_connection (app, "test:///default");
  gtk_window_present (GTK_WINDOW (window));

  dpy = gdk_x11_display_get_xdisplay (gtk_widget_get_display (window));
  if (!XTestQueryExtension (dpy, &event_base, &error_base, &major, &minor))
    {
      g_test_skip ("the X server has no XTEST extension: keys cannot be pressed");
      gtk_window_destroy (GTK_WINDOW (window));
      g_object_unref (window);
      return;
    }

  /* The same test driver state as the app's connection (one per process). */
  raw = virConnectOpen ("test:///default");
  g_assert_nonnull (raw);
  dom = virDomainDefineXML (raw, machine_xml);
  g_assert_nonnull (dom);
  virDomainFree (dom);

  g_assert_true (gb_test_wait_until_ms (row_is_shown, window, TIMEOUT_MS));
  row = gb_test_find_machine_row (window, "edit-ui");
  gb_window_select_machine (GB_WINDOW (window), gb_machine_row_get_machine (GB_MACHINE_ROW (row)));

  /* The new actions are in the row menu and the header menu. */
  {
    const char *actions[] = { "machine.settings", "machine.xml", "machine.rename" };

    for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
      {
        g_assert_nonnull (gb_test_find_widget (row, GTK_TYPE_MENU_BUTTON, is_menu_with, (gpointer) actions[i]));
        g_assert_nonnull (gb_test_find_widget (window, GTK_TYPE_MENU_BUTTON, is_menu_with, (gpointer) actions[i]));
      }
  }

  gtk_test_widget_wait_for_draw (window);
  gb_test_focus_window (window);

  /* Ctrl+Shift+H: Settings. */
  ctx.window = window;
  gb_test_press (window, GDK_CONTROL_MASK | GDK_SHIFT_MASK, XK_h);
  g_assert_true (gb_test_wait_until_ms (settings_shown, &ctx, TIMEOUT_MS));
  editor = gb_test_find_widget (window, GB_TYPE_MACHINE_EDITOR, NULL, NULL);
  g_assert_nonnull (editor);
  ctx.editor = GB_MACHINE_EDITOR (editor);
  g_assert_true (gb_test_wait_until_ms (editor_idle, &ctx, TIMEOUT_MS));
  g_assert_cmpstr (gb_machine_editor_get_tab (ctx.editor), ==, "general");
  gtk_test_widget_wait_for_draw (window);
  png = png_name ("general");
  gb_test_save_png (window, png);

  /* Processors: maximum 4 typed, Ctrl+Return. */
  gb_machine_editor_set_tab (ctx.editor, "cpu");
  focus_and_clear (window, find_id (editor, "max_vcpus_spin"));
  gb_test_type_text (window, "4");
  gb_test_press (window, 0, XK_Tab);
  gb_test_press (window, GDK_CONTROL_MASK, XK_Return);
  {
    const char *args[] = { "edit-ui", "current='2'>4</vcpu>" };
    g_assert_true (gb_test_wait_until_ms (xml_has, args, TIMEOUT_MS));
  }
  g_assert_true (gb_test_wait_until_ms (editor_idle, &ctx, TIMEOUT_MS));
  g_assert_cmpstr (gb_machine_editor_get_status (ctx.editor), ==, _("Applied."));
  gtk_test_widget_wait_for_draw (window);
  g_free (png);
  png = png_name ("cpu");
  gb_test_save_png (window, png);

  /* Disks: a path typed, added, Ctrl+Return. */
  gb_machine_editor_set_tab (ctx.editor, "disks");
  focus_and_clear (window, find_id (editor, "disk_path_row"));
  gb_test_type_text (window, "/var/lib/glassbox-test/data.raw");
  gtk_widget_activate_action (editor, "editor.add-disk", NULL);
  /* And a new 1 GiB image in the test driver's pool folder. */
  focus_and_clear (window, find_id (editor, "disk_path_row"));
  gb_test_type_text (window, "/default-pool/edit-ui-new.qcow2");
  focus_and_clear (window, find_id (editor, "disk_size_spin"));
  gb_test_type_text (window, "1");
  gb_test_press (window, 0, XK_Tab);
  gtk_widget_activate_action (editor, "editor.add-disk", NULL);
  gtk_test_widget_wait_for_draw (window);
  g_free (png);
  png = png_name ("disks");
  gb_test_save_png (window, png);
  gb_test_focus_window (window);
  /* vda made read-only in its row: expanded, its switch, the space bar. */
  {
    GtkWidget *expander = gb_test_find_widget (editor, ADW_TYPE_EXPANDER_ROW, NULL, NULL);
    GtkWidget *ro;

    g_assert_nonnull (expander);
    adw_expander_row_set_expanded (ADW_EXPANDER_ROW (expander), TRUE);
    gtk_test_widget_wait_for_draw (window);
    ro = gb_test_find_widget (expander, GTK_TYPE_SWITCH, NULL, NULL);
    g_assert_nonnull (ro);
    gtk_widget_grab_focus (ro);
    gb_test_press (window, 0, XK_space);
    g_assert_true (gtk_switch_get_active (GTK_SWITCH (ro)));
  }
  gtk_widget_grab_focus (find_id (editor, "disk_path_row"));
  gb_test_press (window, GDK_CONTROL_MASK, XK_Return);
  {
    const char *args[] = { "edit-ui", "<source file='/var/lib/glassbox-test/data.raw'/>" };
    g_assert_true (gb_test_wait_until_ms (xml_has, args, TIMEOUT_MS));
    const char *target[] = { "edit-ui", "<target dev='vdb' bus='virtio'/>" };
    g_assert_true (gb_test_wait_until_ms (xml_has, target, TIMEOUT_MS));
    const char *created[] = { "edit-ui", "<source file='/default-pool/edit-ui-new.qcow2'/>" };
    g_assert_true (gb_test_wait_until_ms (xml_has, created, TIMEOUT_MS));
    const char *ro[] = { "edit-ui", "<target dev='vda' bus='virtio'/>\n      <readonly/>" };
    g_assert_true (gb_test_wait_until_ms (xml_has, ro, TIMEOUT_MS));
  }
  g_assert_true (gb_test_wait_until_ms (editor_idle, &ctx, TIMEOUT_MS));

  /* Boot and Devices: the random number generator switched on with the
   * space bar, Ctrl+Return. */
  gb_machine_editor_set_tab (ctx.editor, "devices");
  gtk_widget_grab_focus (find_id (editor, "rng_switch"));
  gb_test_press (window, 0, XK_space);
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (find_id (editor, "rng_switch"))));
  gb_test_press (window, GDK_CONTROL_MASK, XK_Return);
  {
    const char *args[] = { "edit-ui", "<rng model='virtio'>" };
    g_assert_true (gb_test_wait_until_ms (xml_has, args, TIMEOUT_MS));
  }
  g_assert_true (gb_test_wait_until_ms (editor_idle, &ctx, TIMEOUT_MS));

  /* A shared folder: host folder and tag typed, added, Ctrl+Return (where
   * virtiofsd is installed). */
  if (gb_libvirt_edit_have_virtiofsd ())
    {
      const char *args[] = { "edit-ui", "<target dir='hostshare'/>" };

      focus_and_clear (window, find_id (editor, "share_source_row"));
      gb_test_type_text (window, "/srv");
      focus_and_clear (window, find_id (editor, "share_tag_row"));
      gb_test_type_text (window, "hostshare");
      gtk_widget_activate_action (editor, "editor.add-share", NULL);
      gb_test_focus_window (window);
      gtk_widget_grab_focus (find_id (editor, "share_tag_row"));
      gb_test_press (window, GDK_CONTROL_MASK, XK_Return);
      g_assert_true (gb_test_wait_until_ms (xml_has, args, TIMEOUT_MS));
      g_assert_true (gb_test_wait_until_ms (editor_idle, &ctx, TIMEOUT_MS));
    }
  else
    /* Part of this test cannot run here: it says so (the rest still runs). */
    g_test_skip ("virtiofsd (qemu-system-common or virtiofsd) is not installed: the shared folder step cannot run");
  gtk_test_widget_wait_for_draw (window);
  g_free (png);
  png = png_name ("devices");
  gb_test_save_png (window, png);

  /* Network: Ctrl+Return with nothing changed says so and changes nothing. */
  gb_machine_editor_set_tab (ctx.editor, "network");
  gtk_widget_grab_focus (find_id (editor, "nic_source_row"));
  gb_test_press (window, GDK_CONTROL_MASK, XK_Return);
  g_assert_cmpstr (gb_machine_editor_get_status (ctx.editor), ==, _("Nothing to apply."));

  /* The interface moved to another network: its row expanded, the name
   * typed, Ctrl+Return. */
  {
    GtkWidget *nics = find_id (editor, "nics_group");
    GtkWidget *expander = gb_test_find_widget (nics, ADW_TYPE_EXPANDER_ROW, NULL, NULL);
    GtkWidget *source;
    const char *args[] = { "edit-ui", "<source network='othernet'/>" };

    g_assert_nonnull (expander);
    adw_expander_row_set_expanded (ADW_EXPANDER_ROW (expander), TRUE);
    gtk_test_widget_wait_for_draw (window);
    source = gb_test_find_widget (expander, ADW_TYPE_ENTRY_ROW, NULL, NULL);
    g_assert_nonnull (source);
    focus_and_clear (window, source);
    gb_test_type_text (window, "othernet");
    gtk_test_widget_wait_for_draw (window);
    g_free (png);
    png = png_name ("network");
    gb_test_save_png (window, png);
    gb_test_press (window, GDK_CONTROL_MASK, XK_Return);
    g_assert_true (gb_test_wait_until_ms (xml_has, args, TIMEOUT_MS));
    g_assert_true (gb_test_wait_until_ms (editor_idle, &ctx, TIMEOUT_MS));
  }

  /* Ctrl+Shift+X: the XML, read-only by default. */
  gb_test_focus_window (window);
  /* Out of the text field first, as a user tabbing away would. */
  gtk_window_set_focus (GTK_WINDOW (window), NULL);
  gb_test_press (window, GDK_CONTROL_MASK | GDK_SHIFT_MASK, XK_x);
  g_assert_true (gb_test_wait_until_ms (tab_is_xml, &ctx, TIMEOUT_MS));
  g_assert_false (gtk_text_view_get_editable (GTK_TEXT_VIEW (find_id (editor, "xml_view"))));
  g_assert_false (gtk_widget_is_sensitive (find_id (editor, "apply_button")));
  gtk_test_widget_wait_for_draw (window);
  g_free (png);
  png = png_name ("xml");
  gb_test_save_png (window, png);

  /* A refused Apply: renamed to the name of the driver's other machine,
   * libvirt says why, and the typed name stays in its row. */
  gb_test_focus_window (window);
  gtk_window_set_focus (GTK_WINDOW (window), NULL);
  gb_test_press (window, 0, XK_F2);
  g_assert_true (gb_test_wait_until_ms (name_focused, &ctx, TIMEOUT_MS));
  gb_test_press (window, GDK_CONTROL_MASK, XK_a);
  gb_test_press (window, 0, XK_BackSpace);
  gb_test_type_text (window, "test");
  gb_test_press (window, GDK_CONTROL_MASK, XK_Return);
  g_assert_true (gb_test_wait_until_ms (editor_idle, &ctx, TIMEOUT_MS));
  g_test_message ("status: %s", gb_machine_editor_get_status (ctx.editor));
  g_assert_nonnull (strstr (gb_machine_editor_get_status (ctx.editor), "test"));
  g_assert_true (gtk_widget_has_css_class (find_id (editor, "status_label"), "error"));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_id (editor, "name_row"))), ==, "test");
  {
    g_autofree char *still = xml_of ("edit-ui");
    g_assert_nonnull (still);
  }
  gtk_test_widget_wait_for_draw (window);
  g_free (png);
  png = png_name ("refused");
  gb_test_save_png (window, png);

  /* The XML, editable once the preference is on: a definition the schema
   * refuses is not defined and stays in the view; a valid one is. */
  {
    g_autoptr(GSettings) settings = g_settings_new ("org.glassbox.Glassbox");
    GtkTextView *view = GTK_TEXT_VIEW (find_id (editor, "xml_view"));
    GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
    g_autofree char *text = NULL;
    GtkTextIter start, end;

    g_settings_set_boolean (settings, "xml-editing", TRUE);
    gb_machine_editor_set_tab (ctx.editor, "xml");
    g_assert_true (gtk_text_view_get_editable (view));
    gtk_test_widget_wait_for_draw (window);
    /* An element libvirt's schema does not know, typed among the devices. */
    gtk_widget_grab_focus (GTK_WIDGET (view));
    gtk_text_buffer_get_start_iter (buffer, &start);
    gtk_text_buffer_place_cursor (buffer, &start);
    /* Just before </devices>.  The cursor is put there directly: keys
     * that scroll the view (Ctrl+End) make GTK 4.8 warn of snapshotting
     * a child without an allocation, which these tests make fatal. */
    {
      GtkTextIter at, match_end;

      gtk_text_buffer_get_start_iter (buffer, &at);
      g_assert_true (gtk_text_iter_forward_search (&at, "</devices>", 0, &at, &match_end, NULL));
      gtk_text_buffer_place_cursor (buffer, &at);
    }
    settle (window);
    gb_test_type_text (window, "<frob/>");
    gb_test_press (window, GDK_CONTROL_MASK, XK_Return);
    g_assert_true (gb_test_wait_until_ms (editor_idle, &ctx, TIMEOUT_MS));
    g_test_message ("status: %s", gb_machine_editor_get_status (ctx.editor));
    g_assert_true (gtk_widget_has_css_class (find_id (editor, "status_label"), "error"));
    /* libvirt names its schema file, in any language. */
    g_assert_nonnull (strstr (gb_machine_editor_get_status (ctx.editor), "domain.rng"));
    gtk_text_buffer_get_bounds (buffer, &start, &end);
    text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
    g_assert_nonnull (strstr (text, "<frob/>"));
    {
      g_autofree char *defined = xml_of ("edit-ui");
      g_assert_null (strstr (defined, "frob"));
    }
    gtk_test_widget_wait_for_draw (window);
    g_free (png);
    png = png_name ("xml-refused");
    gb_test_save_png (window, png);

    /* F5 reads it again; a title typed into it is defined. */
    gb_test_press (window, 0, XK_F5);
    g_assert_true (gb_test_wait_until_ms (editor_idle, &ctx, TIMEOUT_MS));
    settle (window);
    gtk_widget_grab_focus (GTK_WIDGET (view));
    {
      GtkTextIter at;

      /* The end of the first line, <domain …>; on that line, so that the
       * view does not grow (a new line can make GTK 4.8 warn as above). */
      gtk_text_buffer_get_start_iter (buffer, &at);
      gtk_text_iter_forward_to_line_end (&at);
      gtk_text_buffer_place_cursor (buffer, &at);
    }
    settle (window);
    gb_test_type_text (window, "<title>typed</title>");
    gb_test_press (window, GDK_CONTROL_MASK, XK_Return);
    {
      const char *args[] = { "edit-ui", "<title>typed</title>" };
      g_assert_true (gb_test_wait_until_ms (xml_has, args, TIMEOUT_MS));
    }
    g_assert_true (gb_test_wait_until_ms (editor_idle, &ctx, TIMEOUT_MS));
    g_settings_set_boolean (settings, "xml-editing", FALSE);
  }

  /* F2: rename (off), a typed name, Ctrl+Return. */
  gb_test_focus_window (window);
  gtk_window_set_focus (GTK_WINDOW (window), NULL);
  gb_test_press (window, 0, XK_F2);
  g_assert_true (gb_test_wait_until_ms (name_focused, &ctx, TIMEOUT_MS));
  g_assert_cmpstr (gb_machine_editor_get_tab (ctx.editor), ==, "general");
  gb_test_press (window, GDK_CONTROL_MASK, XK_a);
  gb_test_press (window, 0, XK_BackSpace);
  gb_test_type_text (window, "edit-ui-renamed");
  gb_test_press (window, GDK_CONTROL_MASK, XK_Return);
  {
    const char *args[] = { "edit-ui-renamed", "<name>edit-ui-renamed</name>" };
    g_assert_true (gb_test_wait_until_ms (xml_has, args, TIMEOUT_MS));
  }

  gb_window_select_machine (GB_WINDOW (window), NULL);
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (window);
  virConnectClose (raw);
}

#else

static void
test_edit (void)
{
  g_test_skip ("built without libXtst (libxtst-dev): keys cannot be pressed");
}

#endif

int
main (int   argc,
      char *argv[])
{
  gb_application_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui/edit", test_edit);

  return g_test_run ();
}
