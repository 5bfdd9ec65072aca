#include "block-test-util.h"
#include "gb-test-utils.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char *glassbox_img;

void
bt_init(int *argc, char ***argv)
{
  for (int i = 1; i < *argc; i++) {
    if (strcmp((*argv)[i], "--glassbox-img") == 0 && i + 1 < *argc) {
      glassbox_img = g_strdup((*argv)[i + 1]);
      for (int j = i; j + 2 <= *argc; j++)
        (*argv)[j] = (*argv)[j + 2];
      *argc -= 2;
      break;
    }
  }
  if (glassbox_img == NULL)
    glassbox_img = g_strdup(g_getenv("GLASSBOX_IMG"));
}

const char *
bt_glassbox_img(void)
{
  if (glassbox_img == NULL || !g_file_test(glassbox_img, G_FILE_TEST_IS_EXECUTABLE)) {
    g_test_skip("glassbox-img was not given (--glassbox-img PATH)");
    return NULL;
  }
  return glassbox_img;
}

const char *
bt_need_tool(const char *name)
{
  static GHashTable *found;
  if (found == NULL)
    found = g_hash_table_new(g_str_hash, g_str_equal);
  char *path = g_hash_table_lookup(found, name);
  if (path == NULL) {
    path = g_find_program_in_path(name);
    if (path != NULL)
      g_hash_table_insert(found, g_strdup(name), path);
  }
  if (path == NULL) {
    g_autofree char *why = g_strdup_printf("%s not found in PATH (Debian package qemu-utils)", name);
    g_test_skip(why);
  }
  return path;
}

int
bt_run(char **out, char **err, const char *const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out_local = NULL, *err_local = NULL;
  int status = 0;

  /* Always capture: the test's own stdout speaks TAP. */
  if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                    out ? out : &out_local, err ? err : &err_local, &status, &error))
    g_error("could not run %s: %s", argv[0], error->message);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

int
bt_runv(char **out, char **err, ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new();
  va_list ap;
  const char *a;

  va_start(ap, err);
  while ((a = va_arg(ap, const char *)) != NULL)
    g_ptr_array_add(args, (gpointer) a);
  va_end(ap);
  g_ptr_array_add(args, NULL);
  return bt_run(out, err, (const char *const *) args->pdata);
}

char *
bt_tmpdir_new(void)
{
  return gb_test_tmpdir_new("gbblock-test-XXXXXX");
}

void
bt_tmpdir_free(char *dir)
{
  gb_test_tmpdir_remove(dir);
  g_free(dir);
}

JsonObject *
bt_qemu_info(const char *path)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = NULL;

  int st = bt_runv(&out, &err, bt_need_tool("qemu-img"), "info", "-U", "--output=json", path, NULL);
  if (st != 0)
    g_error("qemu-img info %s failed: %s", path, err);
  json_parser_load_from_data(parser, out, -1, &error);
  g_assert_no_error(error);
  return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

guint8 *
bt_engine_read_all(const char *path, gsize *len)
{
  char *error = NULL;
  BlockImage *img = block_open(path, BLOCK_FORMAT_AUTO, true, &error);
  if (img == NULL)
    g_error("block_open %s: %s", path, error);
  *len = block_size(img);
  guint8 *buf = g_malloc(*len + 1);
  /* Odd-sized reads, so requests straddle clusters and tables. */
  for (gsize off = 0; off < *len;) {
    gsize n = MIN(*len - off, (gsize) 3 * 65536 + 4096);
    g_assert_cmpint(block_pread(img, buf + off, n, off), ==, 0);
    off += n;
  }
  block_close(img);
  return buf;
}

guint8 *
bt_qemu_read_all(const char *dir, const char *path, gsize *len)
{
  g_autofree char *raw = g_build_filename(dir, "qemu-reference.raw", NULL);
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  char *data = NULL;

  g_unlink(raw);
  int st = bt_runv(NULL, &err, bt_need_tool("qemu-img"), "convert", "-U", "-O", "raw", path, raw, NULL);
  if (st != 0)
    g_error("qemu-img convert %s failed: %s", path, err);
  g_file_get_contents(raw, &data, len, &error);
  g_assert_no_error(error);
  g_unlink(raw);
  return (guint8 *) data;
}

void
bt_assert_same(const guint8 *a, const guint8 *b, gsize len)
{
  for (gsize i = 0; i < len; i++) {
    if (a[i] != b[i]) {
      g_autofree char *msg = g_strdup_printf("contents differ at byte %" G_GSIZE_FORMAT " (0x%02x != 0x%02x)", i, a[i], b[i]);
      g_assertion_message(G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, msg);
    }
  }
}
