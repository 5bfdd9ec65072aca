/* test-osinfo.c — the process's one osinfo database (src/machines/gb-osinfo.c):
 * a machine's OS name comes from the OS's own osinfo-db file without the
 * whole database being loaded (the first window shows names, ~50 MB less),
 * and it is the name the whole database gives; an id without a file of its
 * own still gets the database's answer; the wizard's loader and the names
 * share one database.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <osinfo/osinfo.h>

#include "gb-osinfo.h"
#include "gb-test-utils.h"

#define OS_ID "http://debian.org/debian/11"

typedef struct {
  gboolean done;
  char *name;
  GError *error;
  OsinfoDb *db;
} Result;

static void
name_cb (GObject *object, GAsyncResult *result, gpointer data)
{
  Result *r = data;

  r->name = gb_osinfo_resolve_name_finish (result, &r->error);
  r->done = TRUE;
}

static void
db_cb (GObject *object, GAsyncResult *result, gpointer data)
{
  Result *r = data;

  r->db = gb_osinfo_load_db_finish (result, &r->error);
  r->done = TRUE;
}

static gboolean
is_done (gpointer data)
{
  return ((Result *) data)->done;
}

static void
test_names (void)
{
  Result file = { 0 }, db = { 0 }, unknown = { 0 }, again = { 0 };
  OsinfoOs *os;

  if (!g_file_test ("/usr/share/osinfo/os/debian.org/debian-11.xml", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("osinfo-db has no debian-11.xml here");
      return;
    }

  /* The name, from one file: the database stays unloaded. */
  gb_osinfo_resolve_name_async (OS_ID, NULL, name_cb, &file);
  g_assert_true (gb_test_wait_until_ms (is_done, &file, 30000));
  g_assert_no_error (file.error);
  g_assert_nonnull (file.name);
  g_assert_null (gb_osinfo_peek_db ());
  g_test_message ("%s: “%s” from its own file", OS_ID, file.name);

  /* An id with no file of its own: the whole database answers (no). */
  gb_osinfo_resolve_name_async ("http://example.org/nothing/1", NULL, name_cb, &unknown);
  g_assert_true (gb_test_wait_until_ms (is_done, &unknown, 60000));
  g_assert_error (unknown.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (gb_osinfo_peek_db ());

  /* The same name as the whole database's, and one database for all. */
  gb_osinfo_load_db_async (NULL, db_cb, &db);
  g_assert_true (gb_test_wait_until_ms (is_done, &db, 60000));
  g_assert_no_error (db.error);
  g_assert_true (db.db == gb_osinfo_peek_db ());
  os = osinfo_db_get_os (db.db, OS_ID);
  g_assert_nonnull (os);
  g_assert_cmpstr (osinfo_product_get_name (OSINFO_PRODUCT (os)), ==, file.name);

  gb_osinfo_resolve_name_async (OS_ID, NULL, name_cb, &again);
  g_assert_true (gb_test_wait_until_ms (is_done, &again, 30000));
  g_assert_cmpstr (again.name, ==, file.name);

  g_free (file.name);
  g_free (again.name);
  g_clear_error (&unknown.error);
  g_clear_object (&db.db);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/osinfo/names", test_names);
  return g_test_run ();
}
