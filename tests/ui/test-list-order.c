/* test-list-order.c — machines are listed by name within their connection
 *
 * Defines 40 machines on test:///default in reverse order (m040 … m001) and
 * "vm10" before "vm2", then checks the order of the rows the list shows:
 * by name, as a file manager sorts names ("vm2" before "vm10").  libvirt
 * returns them in no useful order (m039, m002, m034 … before this fix).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <libvirt/libvirt.h>

#include "gb-application.h"
#include "gb-machine.h"
#include "gb-provider.h"
#include "gb-test-gtk-utils.h"
#include "gb-window.h"

#define TEST_URI "test:///default"
#define TIMEOUT_MS 20000

static GbApplication *app;

/* The names of the machine rows of the list view's model, in order. */
static GPtrArray *
listed_names (GtkWidget *window)
{
  GtkWidget *list = gb_test_find_widget (window, g_type_from_name ("GbMachineList"), NULL, NULL);
  GtkWidget *view = list ? gb_test_find_widget (list, GTK_TYPE_LIST_VIEW, NULL, NULL) : NULL;
  GListModel *model = view ? G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (view))) : NULL;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  guint n = model ? g_list_model_get_n_items (model) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkTreeListRow) row = g_list_model_get_item (model, i);
      g_autoptr(GObject) item = gtk_tree_list_row_get_item (row);

      if (GB_IS_MACHINE (item))
        g_ptr_array_add (names, g_strdup (gb_machine_get_name (GB_MACHINE (item))));
    }

  return names;
}

static gboolean
all_listed (gpointer data)
{
  g_autoptr(GPtrArray) names = listed_names (data);

  return names->len == 43;   /* test:///default's "test" and ours */
}

static void
test_list_order (void)
{
  g_autoptr(GString) got = g_string_new (NULL);
  g_autoptr(GString) want = g_string_new (NULL);
  g_autoptr(GPtrArray) names = NULL;
  const char *extra[] = { "vm10", "vm2" };
  virConnectPtr conn;
  GtkWidget *window;

  conn = virConnectOpen (TEST_URI);
  g_assert_nonnull (conn);
  for (int i = 40; i >= 1; i--)
    {
      g_autofree char *xml = g_strdup_printf ("<domain type='test'><name>m%03d</name>"
                                              "<memory unit='MiB'>64</memory>"
                                              "<os><type>hvm</type></os></domain>", i);
      virDomainPtr dom = virDomainDefineXML (conn, xml);

      g_assert_nonnull (dom);
      virDomainFree (dom);
    }
  for (guint i = 0; i < G_N_ELEMENTS (extra); i++)
    {
      g_autofree char *xml = g_strdup_printf ("<domain type='test'><name>%s</name>"
                                              "<memory unit='MiB'>64</memory>"
                                              "<os><type>hvm</type></os></domain>", extra[i]);
      virDomainPtr dom = virDomainDefineXML (conn, xml);

      g_assert_nonnull (dom);
      virDomainFree (dom);
    }

  gb_application_open_connection (app, TEST_URI);
  window = g_object_ref (GTK_WIDGET (gb_window_new (app)));
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 700);
  gtk_window_present (GTK_WINDOW (window));

  g_assert_true (gb_test_wait_until_ms (all_listed, window, TIMEOUT_MS));

  for (int i = 1; i <= 40; i++)
    g_string_append_printf (want, "m%03d ", i);
  g_string_append (want, "test vm2 vm10 ");

  names = listed_names (window);
  for (guint i = 0; i < names->len; i++)
    g_string_append_printf (got, "%s ", (char *) names->pdata[i]);
  g_assert_cmpstr (got->str, ==, want->str);

  /* A machine defined later takes its place, not the end. */
  {
    virDomainPtr dom = virDomainDefineXML (conn, "<domain type='test'><name>m020b</name>"
                                                 "<memory unit='MiB'>64</memory>"
                                                 "<os><type>hvm</type></os></domain>");
    g_autoptr(GPtrArray) later = NULL;
    gint64 deadline = g_get_monotonic_time () + TIMEOUT_MS * 1000;
    guint where = G_MAXUINT;

    g_assert_nonnull (dom);
    while (g_get_monotonic_time () < deadline)
      {
        g_clear_pointer (&later, g_ptr_array_unref);
        later = listed_names (window);
        if (later->len == 44)
          break;
        g_main_context_iteration (NULL, FALSE);
        g_usleep (1000);
      }
    g_assert_cmpuint (later->len, ==, 44);
    g_assert_true (g_ptr_array_find_with_equal_func (later, "m020b", g_str_equal, &where));
    /* m020 < m020b < m021 */
    g_assert_cmpuint (where, ==, 20);
    virDomainUndefine (dom);
    virDomainFree (dom);
  }

  gtk_test_widget_wait_for_draw (window);
  gb_test_save_png (window, "list-order.png");

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (window);
  virConnectClose (conn);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  gb_application_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);

  app = gb_test_application_new ();

  g_test_add_func ("/ui/list-order/by-name", test_list_order);

  ret = g_test_run ();

  g_clear_object (&app);
  return ret;
}
