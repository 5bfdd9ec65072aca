/* test-libvirt-free-ui.c — no widget includes libvirt (issue 11)
 *
 * The widgets, the console view and the creator work on GbMachine and
 * GbProvider only; libvirt stays behind the providers.  This follows every
 * #include "…" of each .c and .h under src/widgets/, src/display/ and
 * src/creator/ through the project's own headers (the includer's folder
 * first, then any header of that name under src/, as the build's include
 * directories find them) and fails when one reaches a libvirt header
 * (<libvirt/…>, <libvirt-glib/…>, <libvirt-gobject/…>, <libvirt-gconfig/…>),
 * naming the chain of includes.  Headers that are not under src/ (config.h,
 * generated ones, system ones) are not followed.  Conditional includes
 * count: an #ifdef does not make a dependency go away.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <glib.h>

#define SRC GB_SOURCE_ROOT "/src"

static const char *const checked_dirs[] = { "widgets", "display", "creator" };

typedef struct {
  GHashTable *by_name;   /* basename → GPtrArray of paths under src/ */
  GHashTable *result;    /* path → chain to libvirt ("" when none) */
} Index;

static void
index_clear (Index *index)
{
  g_clear_pointer (&index->by_name, g_hash_table_unref);
  g_clear_pointer (&index->result, g_hash_table_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Index, index_clear)

static void
collect (Index      *index,
         const char *dir,
         GPtrArray  *all)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        collect (index, path, all);
      else if (g_str_has_suffix (name, ".c") || g_str_has_suffix (name, ".h"))
        {
          GPtrArray *paths = g_hash_table_lookup (index->by_name, name);

          if (paths == NULL)
            {
              paths = g_ptr_array_new_with_free_func (g_free);
              g_hash_table_insert (index->by_name, g_strdup (name), paths);
            }
          g_ptr_array_add (paths, g_strdup (path));
          if (all != NULL)
            g_ptr_array_add (all, g_strdup (path));
        }
    }
}

static gboolean
is_libvirt_header (const char *name)
{
  return g_str_has_prefix (name, "libvirt/") || g_str_has_prefix (name, "libvirt-");
}

/* The file's #include lines: "…" names with a '"' first, <…> with '<'. */
static GPtrArray *
includes_of (const char *path)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return out;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *p = lines[i];
      const char *end;
      char close;

      while (*p == ' ' || *p == '\t')
        p++;
      if (*p++ != '#')
        continue;
      while (*p == ' ' || *p == '\t')
        p++;
      if (!g_str_has_prefix (p, "include"))
        continue;
      p += strlen ("include");
      while (*p == ' ' || *p == '\t')
        p++;
      if (*p != '"' && *p != '<')
        continue;
      close = *p == '"' ? '"' : '>';
      end = strchr (p + 1, close);
      if (end == NULL)
        continue;
      g_ptr_array_add (out, g_strdup_printf ("%c%.*s", *p, (int) (end - p - 1), p + 1));
    }
  return out;
}

/* The chain from @path to a libvirt header ("a.h -> b.h -> <libvirt/…>"),
 * or NULL.  Memoised; a file being visited counts as clean (cycles). */
static const char *
reaches_libvirt (Index      *index,
                 const char *path)
{
  g_autoptr(GPtrArray) incs = NULL;
  g_autofree char *dir = NULL;
  const char *known;

  if (g_hash_table_lookup_extended (index->result, path, NULL, (gpointer *) &known))
    return *known ? known : NULL;
  g_hash_table_insert (index->result, g_strdup (path), g_strdup (""));

  incs = includes_of (path);
  dir = g_path_get_dirname (path);
  for (guint i = 0; i < incs->len; i++)
    {
      const char *inc = g_ptr_array_index (incs, i);
      const char *name = inc + 1;
      g_autofree char *local = NULL;
      g_autofree char *base = NULL;
      GPtrArray *candidates;

      if (inc[0] == '<')
        {
          if (is_libvirt_header (name))
            {
              char *chain = g_strdup_printf ("<%s>", name);

              g_hash_table_insert (index->result, g_strdup (path), chain);
              return chain;
            }
          continue;
        }

      local = g_build_filename (dir, name, NULL);
      if (g_file_test (local, G_FILE_TEST_IS_REGULAR))
        {
          const char *sub = reaches_libvirt (index, local);

          if (sub != NULL)
            {
              char *chain = g_strdup_printf ("%s -> %s", name, sub);

              g_hash_table_insert (index->result, g_strdup (path), chain);
              return chain;
            }
          continue;
        }

      base = g_path_get_basename (name);
      candidates = g_hash_table_lookup (index->by_name, base);
      for (guint c = 0; candidates != NULL && c < candidates->len; c++)
        {
          const char *sub = reaches_libvirt (index, g_ptr_array_index (candidates, c));

          if (sub != NULL)
            {
              char *chain = g_strdup_printf ("%s -> %s", name, sub);

              g_hash_table_insert (index->result, g_strdup (path), chain);
              return chain;
            }
        }
    }
  return NULL;
}

static void
index_init (Index *index)
{
  index->by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  index->result = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  collect (index, SRC, NULL);
}

/* The check itself sees libvirt where it is: the libvirt side of editing
 * includes libvirt-gconfig, and a widget that included it would fail. */
static void
test_detects (void)
{
  g_auto(Index) index = { 0 };
  const char *chain;

  index_init (&index);
  g_assert_cmpuint (g_hash_table_size (index.by_name), >, 50);

  chain = reaches_libvirt (&index, SRC "/machines/gb-libvirt-edit.h");
  g_assert_nonnull (chain);
  g_assert_true (strstr (chain, "<libvirt-gconfig/") != NULL);

  /* Through a project header: gb-libvirt-edit.c includes it. */
  chain = reaches_libvirt (&index, SRC "/machines/gb-libvirt-edit.c");
  g_assert_nonnull (chain);

  /* The libvirt-free side of editing and the machine itself. */
  g_assert_null (reaches_libvirt (&index, SRC "/machines/gb-machine-edit.h"));
  g_assert_null (reaches_libvirt (&index, SRC "/machines/gb-machine.h"));
  g_assert_null (reaches_libvirt (&index, SRC "/providers/gb-provider.h"));
}

static void
test_ui_is_libvirt_free (void)
{
  g_auto(Index) index = { 0 };
  guint checked = 0, bad = 0;

  index_init (&index);
  for (guint d = 0; d < G_N_ELEMENTS (checked_dirs); d++)
    {
      g_autofree char *dir = g_build_filename (SRC, checked_dirs[d], NULL);
      g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GHashTable) scratch = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                             (GDestroyNotify) g_ptr_array_unref);
      Index sub = { scratch, NULL };

      /* Only the file list of this folder; the names index is src/'s. */
      collect (&sub, dir, files);
      for (guint i = 0; i < files->len; i++)
        {
          const char *path = g_ptr_array_index (files, i);
          const char *chain = reaches_libvirt (&index, path);

          checked++;
          if (chain != NULL)
            {
              g_test_message ("%s includes libvirt: %s", path + strlen (SRC) + 1, chain);
              bad++;
            }
        }
    }

  g_test_message ("%u files checked in src/widgets, src/display, src/creator", checked);
  g_assert_cmpuint (checked, >, 10);
  if (bad > 0)
    g_test_fail_printf ("%u files of the UI include a libvirt header (see the messages above)", bad);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/libvirt-free-ui/detects", test_detects);
  g_test_add_func ("/libvirt-free-ui/widgets-display-creator", test_ui_is_libvirt_free);

  return g_test_run ();
}
