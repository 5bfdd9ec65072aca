/* test-flatpak-manifest.c — the Flatpak manifest lists everything the app needs
 *
 * flatpak/org.glassbox.Glassbox.json cannot be built on these machines
 * (the GNOME runtime is not downloadable here), so this checks it against
 * meson's own list instead: every dependency() and find_program() of the
 * app's meson.build files (all but tests/ and bench/, which the manifest
 * turns off with -Dtests=false) is either something the GNOME runtime
 * provides or the product of one of the manifest's modules, as
 * flatpak/runtime-provides.txt says; that list of names is itself checked
 * against `meson introspect --dependencies` of this build.  Then the
 * sandbox: KVM, the display, glassbox-vmm and QEMU's driver inside it,
 * and no more access than the providers need.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#define MANIFEST GB_SOURCE_ROOT "/flatpak/" APP_ID ".json"
#define PROVIDES GB_SOURCE_ROOT "/flatpak/runtime-provides.txt"

typedef struct {
  GHashTable *deps;       /* name → first meson.build that asks for it */
  GHashTable *programs;
} MesonNeeds;

static void
meson_needs_clear (MesonNeeds *needs)
{
  g_clear_pointer (&needs->deps, g_hash_table_unref);
  g_clear_pointer (&needs->programs, g_hash_table_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MesonNeeds, meson_needs_clear)

/* The text of a meson.build without its comments (a '#' outside quotes). */
static char *
strip_comments (const char *text)
{
  GString *out = g_string_new (NULL);
  gboolean quoted = FALSE, comment = FALSE;

  for (const char *p = text; *p; p++)
    {
      if (*p == '\n')
        comment = quoted = FALSE;
      else if (comment)
        continue;
      else if (*p == '\'')
        quoted = !quoted;
      else if (*p == '#' && !quoted)
        {
          comment = TRUE;
          continue;
        }
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static void
collect (GRegex     *regex,
         const char *text,
         const char *file,
         GHashTable *into)
{
  g_autoptr(GMatchInfo) match = NULL;

  g_regex_match (regex, text, 0, &match);
  while (g_match_info_matches (match))
    {
      char *name = g_match_info_fetch (match, 1);

      if (!g_hash_table_contains (into, name))
        g_hash_table_insert (into, name, g_strdup (file));
      else
        g_free (name);
      g_match_info_next (match, NULL);
    }
}

/* A folder of the source tree that is a meson build directory (build/,
 * build-asan/ …) or hidden is not part of the project's meson files. */
static gboolean
skip_dir (const char *path,
          const char *name)
{
  g_autofree char *private = g_build_filename (path, "meson-private", NULL);

  return name[0] == '.' || g_file_test (private, G_FILE_TEST_IS_DIR);
}

static void
scan (const char *dir,
      gboolean    top,
      gboolean    app_only,
      MesonNeeds *needs)
{
  static GRegex *dep_re, *prog_re;
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autofree char *build = g_build_filename (dir, "meson.build", NULL);
  g_autofree char *text = NULL;
  const char *name;

  if (dep_re == NULL)
    {
      dep_re = g_regex_new ("\\bdependency\\(\\s*'([^']+)'", 0, 0, NULL);
      prog_re = g_regex_new ("\\bfind_program\\(\\s*'([^']+)'", 0, 0, NULL);
    }

  if (g_file_get_contents (build, &text, NULL, NULL))
    {
      g_autofree char *code = strip_comments (text);

      collect (dep_re, code, build, needs->deps);
      collect (prog_re, code, build, needs->programs);
    }

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (!g_file_test (path, G_FILE_TEST_IS_DIR) || skip_dir (path, name))
        continue;
      if (top && app_only && (g_str_equal (name, "tests") || g_str_equal (name, "bench")))
        continue;
      if (top && !app_only && !g_str_equal (name, "tests") && !g_str_equal (name, "bench"))
        continue;
      scan (path, FALSE, app_only, needs);
    }
}

/* What the app needs (app_only) or only the tests and benchmarks need. */
static void
meson_needs (gboolean    app_only,
             MesonNeeds *needs)
{
  needs->deps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  needs->programs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  scan (GB_SOURCE_ROOT, TRUE, app_only, needs);
}

static JsonNode *
load_manifest (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, MANIFEST, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_node_copy (json_parser_get_root (parser));
}

/* Every module of the manifest, nested ones too (flatpak-builder's
 * "modules" inside a module). */
static void
collect_modules (JsonArray  *modules,
                 GHashTable *into)
{
  for (guint i = 0; i < json_array_get_length (modules); i++)
    {
      JsonObject *module = json_array_get_object_element (modules, i);

      g_assert_nonnull (module);
      g_assert_true (json_object_has_member (module, "name"));
      g_hash_table_insert (into, g_strdup (json_object_get_string_member (module, "name")),
                           json_object_ref (module));
      if (json_object_has_member (module, "modules"))
        collect_modules (json_object_get_array_member (module, "modules"), into);
    }
}

static GHashTable *
manifest_modules (JsonObject *manifest)
{
  GHashTable *modules = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify) json_object_unref);

  collect_modules (json_object_get_array_member (manifest, "modules"), modules);
  return modules;
}

static gboolean
array_has_string (JsonArray  *array,
                  const char *wanted)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    if (g_strcmp0 (json_array_get_string_element (array, i), wanted) == 0)
      return TRUE;
  return FALSE;
}

static JsonArray *
config_opts (GHashTable *modules,
             const char *name)
{
  JsonObject *module = g_hash_table_lookup (modules, name);

  g_assert_nonnull (module);
  return json_object_has_member (module, "config-opts")
         ? json_object_get_array_member (module, "config-opts") : NULL;
}

/* "KIND NAME FROM" lines: kind "dependency" or "program" → NAME → FROM. */
static GHashTable *
load_provides (const char *kind)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  GHashTable *provides = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_file_get_contents (PROVIDES, &text, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      g_auto(GStrv) words = NULL;

      g_strstrip (lines[i]);
      if (lines[i][0] == '\0' || lines[i][0] == '#')
        continue;
      words = g_strsplit_set (lines[i], " \t", -1);
      {
        /* Drop the empty words the column alignment leaves. */
        GPtrArray *kept = g_ptr_array_new ();

        for (guint w = 0; words[w]; w++)
          if (words[w][0] != '\0')
            g_ptr_array_add (kept, words[w]);
        if (kept->len != 3)
          g_error ("%s: \"%s\" is not KIND NAME FROM", PROVIDES, lines[i]);
        if (g_str_equal (kept->pdata[0], kind))
          g_hash_table_insert (provides, g_strdup (kept->pdata[1]), g_strdup (kept->pdata[2]));
        g_ptr_array_free (kept, TRUE);
      }
    }
  return provides;
}

/* Each dependency() / find_program() the app's meson files ask for is in
 * the runtime or made by a module the manifest really has. */
static void
check_satisfied (GHashTable *needed,
                 const char *kind,
                 GHashTable *modules)
{
  g_autoptr(GHashTable) provides = load_provides (kind);
  GHashTableIter iter;
  const char *name, *file;
  guint n = 0;

  g_hash_table_iter_init (&iter, needed);
  while (g_hash_table_iter_next (&iter, (gpointer *) &name, (gpointer *) &file))
    {
      const char *from = g_hash_table_lookup (provides, name);

      if (from == NULL)
        g_error ("%s asks for the %s %s, which neither the GNOME runtime nor a "
                 "module of the manifest provides (add it to %s and the manifest)",
                 file, kind, name, PROVIDES);
      if (g_str_has_prefix (from, "module:") && !g_hash_table_contains (modules, from + 7))
        g_error ("%s says the %s %s comes from %s, but the manifest has no module %s",
                 PROVIDES, kind, name, from, from + 7);
      if (!g_str_has_prefix (from, "module:") && !g_str_equal (from, "runtime"))
        g_error ("%s: %s %s comes from \"%s\"; expected runtime or module:NAME",
                 PROVIDES, kind, name, from);
      n++;
    }
  g_test_message ("%u %s(s) of the app's meson.build files: all provided", n, kind);
  g_assert_cmpuint (n, >, 0);
}

static void
test_dependencies (void)
{
  g_autoptr(JsonNode) root = load_manifest ();
  g_autoptr(GHashTable) modules = manifest_modules (json_node_get_object (root));
  g_auto(MesonNeeds) app = { 0 };

  meson_needs (TRUE, &app);
  /* The libraries the issue names, as meson spells them: if one of these
   * ever leaves the app's meson files, the scan has gone wrong. */
  for (const char *const *d = (const char *const[]) { "vte-2.91-gtk4", "spice-client-glib-2.0",
         "gvnc-1.0", "libosinfo-1.0", "libvirt", "libvirt-glib-1.0", "slirp",
         "libvncserver", "json-glib-1.0", "gtk4", "libadwaita-1", NULL }; *d; d++)
    g_assert_true (g_hash_table_contains (app.deps, *d));

  check_satisfied (app.deps, "dependency", modules);
  check_satisfied (app.programs, "program", modules);
}

/* The scan of the meson files sees what meson itself sees: every
 * dependency this build found is one the scan found, in the app's files
 * or in the tests' (which the Flatpak does not build). */
static void
test_matches_meson_introspect (void)
{
  const char *argv[] = { MESON, "introspect", "--dependencies", GB_BUILD_ROOT, NULL };
  g_auto(MesonNeeds) app = { 0 };
  g_auto(MesonNeeds) tests = { 0 };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *found;
  int status;
  guint from_app = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("meson introspect failed: %s", err);

  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  found = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (found), >, 0);

  meson_needs (TRUE, &app);
  meson_needs (FALSE, &tests);
  for (guint i = 0; i < json_array_get_length (found); i++)
    {
      const char *name = json_object_get_string_member (json_array_get_object_element (found, i), "name");

      if (g_hash_table_contains (app.deps, name))
        from_app++;
      else if (!g_hash_table_contains (tests.deps, name))
        g_error ("meson found the dependency %s, which no meson.build file the scan read asks for", name);
    }
  g_test_message ("meson introspect: %u dependencies, %u of them the app's",
                  json_array_get_length (found), from_app);
  g_assert_cmpuint (from_app, ==, g_hash_table_size (app.deps));
}

static void
test_sandbox (void)
{
  g_autoptr(JsonNode) root = load_manifest ();
  JsonObject *manifest = json_node_get_object (root);
  g_autoptr(GHashTable) modules = manifest_modules (manifest);
  JsonArray *args = json_object_get_array_member (manifest, "finish-args");
  JsonArray *mods = json_object_get_array_member (manifest, "modules");
  JsonObject *app = json_array_get_object_element (mods, json_array_get_length (mods) - 1);
  JsonArray *app_opts = json_object_get_array_member (app, "config-opts");

  g_assert_cmpstr (json_object_get_string_member (manifest, "app-id"), ==, APP_ID);
  g_assert_cmpstr (json_object_get_string_member (manifest, "command"), ==, "glassbox");
  g_assert_cmpstr (json_object_get_string_member (manifest, "runtime"), ==, "org.gnome.Platform");
  g_assert_cmpstr (json_object_get_string_member (manifest, "sdk"), ==, "org.gnome.Sdk");

  /* The display, KVM for glassbox-vmm and QEMU, the network for remote
   * connections, libvirt's session and system sockets. */
  for (const char *const *a = (const char *const[]) { "--socket=wayland", "--socket=fallback-x11",
         "--share=ipc", "--device=dri", "--device=kvm", "--share=network",
         "--filesystem=xdg-run/libvirt", "--filesystem=/run/libvirt", NULL }; *a; a++)
    if (!array_has_string (args, *a))
      g_error ("finish-args lack %s", *a);
  /* … and no more: every device, the home folder or the host's buses are
   * not needed by any provider (files the user picks come through the
   * portal; machines live in the app's own data folder). */
  for (guint i = 0; i < json_array_get_length (args); i++)
    {
      const char *arg = json_array_get_string_element (args, i);

      g_assert_cmpstr (arg, !=, "--device=all");
      g_assert_false (g_str_has_prefix (arg, "--filesystem=host"));
      g_assert_false (g_str_has_prefix (arg, "--filesystem=home"));
      g_assert_false (g_str_has_prefix (arg, "--socket=session-bus"));
      g_assert_false (g_str_has_prefix (arg, "--socket=system-bus"));
    }
  g_assert_cmpuint (json_array_get_length (args), ==, 8);

  /* glassbox is the last module, built from this tree with the VMM (so
   * glassbox-vmm is inside the sandbox, in /app/bin) and without tests. */
  g_assert_cmpstr (json_object_get_string_member (app, "name"), ==, "glassbox");
  g_assert_true (array_has_string (app_opts, "-Dhypervisor=true"));
  g_assert_true (array_has_string (app_opts, "-Dapp=true"));
  g_assert_true (array_has_string (app_opts, "-Dtests=false"));

  /* The first-start connection: libvirt's QEMU driver (qemu:///session
   * and the embedded one) and a QEMU with KVM and user networking. */
  g_assert_true (array_has_string (config_opts (modules, "libvirt"), "-Ddriver_qemu=enabled"));
  g_assert_true (array_has_string (config_opts (modules, "libvirt"), "-Ddriver_remote=enabled"));
  g_assert_true (array_has_string (config_opts (modules, "vte"), "-Dgtk4=true"));
  g_assert_true (array_has_string (config_opts (modules, "qemu"), "--enable-kvm"));
  g_assert_true (array_has_string (config_opts (modules, "qemu"), "--enable-slirp"));
  g_assert_true (array_has_string (config_opts (modules, "qemu"), "--enable-spice"));
  g_assert_true (array_has_string (config_opts (modules, "qemu"), "--target-list=x86_64-softmmu"));
  g_assert_true (g_hash_table_contains (modules, "osinfo-db"));
}

/* Sources are pinned: a git source names a tag or commit, a download its
 * sha256, so the same manifest builds the same app. */
static void
test_sources_pinned (void)
{
  g_autoptr(JsonNode) root = load_manifest ();
  g_autoptr(GHashTable) modules = manifest_modules (json_node_get_object (root));
  GHashTableIter iter;
  const char *name;
  JsonObject *module;

  g_hash_table_iter_init (&iter, modules);
  while (g_hash_table_iter_next (&iter, (gpointer *) &name, (gpointer *) &module))
    {
      JsonArray *sources = json_object_get_array_member (module, "sources");

      g_assert_nonnull (sources);
      g_assert_cmpuint (json_array_get_length (sources), >, 0);
      for (guint i = 0; i < json_array_get_length (sources); i++)
        {
          JsonObject *src = json_array_get_object_element (sources, i);
          const char *type = json_object_get_string_member (src, "type");

          if (g_str_equal (type, "git"))
            {
              if (!json_object_has_member (src, "tag") && !json_object_has_member (src, "commit"))
                g_error ("module %s: git source without tag or commit", name);
            }
          else if (g_str_equal (type, "archive") || (g_str_equal (type, "file") && json_object_has_member (src, "url")))
            {
              if (!json_object_has_member (src, "sha256"))
                g_error ("module %s: %s source without sha256", name, type);
            }
          else
            g_assert_cmpstr (type, ==, "dir");
        }
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/flatpak/dependencies", test_dependencies);
  g_test_add_func ("/flatpak/matches-meson-introspect", test_matches_meson_introspect);
  g_test_add_func ("/flatpak/sandbox", test_sandbox);
  g_test_add_func ("/flatpak/sources-pinned", test_sources_pinned);
  return g_test_run ();
}
