/* test-translation.c — under LANGUAGE=zh_CN the window speaks Chinese
 *
 * Run with LANGUAGE=zh_CN LANG=C.UTF-8 (tests/ui/meson.build sets them):
 * the sidebar's title and a machine's state label (a string of the core)
 * come from po/zh_CN.po through the build tree's glassbox.mo.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "gb-application.h"
#include "gb-machine-row.h"
#include "gb-test-gtk-utils.h"
#include "gb-window.h"

#define TIMEOUT_MS 20000

typedef struct {
  GtkWidget  *root;
  const char *text;
} LabelSearch;

static gboolean
label_is_shown (gpointer data)
{
  LabelSearch *search = data;

  return gb_test_find_label_with_text (search->root, search->text) != NULL;
}

static void
test_translation_zh_cn (void)
{
  g_autoptr(GbApplication) app = gb_test_application_new ();
  GtkWidget *window;
  LabelSearch title, state, uri;

  g_assert_cmpstr (g_getenv ("LANGUAGE"), ==, "zh_CN");

  gb_application_open_connection (app, "test:///default");
  window = g_object_ref (GTK_WIDGET (gb_window_new (app)));
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 760);
  gtk_window_present (GTK_WINDOW (window));

  /* "Machines", the sidebar's title (ui/gb-window.ui). */
  title = (LabelSearch) { window, "虚拟机" };
  g_assert_true (gb_test_wait_until_ms (label_is_shown, &title, TIMEOUT_MS));

  /* A row appears for test:///default's machine, its state in Chinese:
   * "Running" (C_("machine state", …) in src/machines/gb-machine.c). */
  uri = (LabelSearch) { window, "test:///default" };
  g_assert_true (gb_test_wait_until_ms (label_is_shown, &uri, TIMEOUT_MS));
  state = (LabelSearch) { window, "运行中" };
  g_assert_true (gb_test_wait_until_ms (label_is_shown, &state, TIMEOUT_MS));

  /* The details page too: "Processors" and "Performance". */
  {
    GtkWidget *row = gb_test_find_machine_row (window, "test");
    LabelSearch processors = { window, "处理器数量" };
    LabelSearch performance = { window, "性能" };

    g_assert_nonnull (row);
    gb_window_select_machine (GB_WINDOW (window), gb_machine_row_get_machine (GB_MACHINE_ROW (row)));
    g_assert_true (gb_test_wait_until_ms (label_is_shown, &processors, TIMEOUT_MS));
    g_assert_true (gb_test_wait_until_ms (label_is_shown, &performance, TIMEOUT_MS));
    g_assert_null (gb_test_find_label_with_text (window, "Processors"));
  }

  /* And the English never shows. */
  g_assert_null (gb_test_find_label_with_text (window, "Machines"));
  g_assert_null (gb_test_find_label_with_text (window, "Running"));

  gtk_test_widget_wait_for_draw (window);
  gb_test_save_png (window, "window-zh_CN.png");

  gb_window_select_machine (GB_WINDOW (window), NULL);
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (window);
}

int
main (int   argc,
      char *argv[])
{
  gb_application_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui/translation/zh_CN", test_translation_zh_cn);

  return g_test_run ();
}
