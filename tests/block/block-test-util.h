/* block-test-util.h — helpers shared by the block engine tests: find QEMU's
 * tools, run commands, scratch directories, qemu-img info as JSON. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "block.h"

/* Parses and removes --glassbox-img PATH from argv (after g_test_init). */
void        bt_init(int *argc, char ***argv);
const char *bt_glassbox_img(void);
/* Absolute path of a QEMU tool, or NULL after calling g_test_skip() with the reason. */
const char *bt_need_tool(const char *name);

/* Runs argv (NULL-terminated); returns the exit status, or 128+signal.
 * out/err may be NULL. */
int   bt_run(char **out, char **err, const char *const *argv);
int   bt_runv(char **out, char **err, ...) G_GNUC_NULL_TERMINATED;

/* A scratch directory removed by bt_tmpdir_free. */
char *bt_tmpdir_new(void);
void  bt_tmpdir_free(char *dir);

JsonObject *bt_qemu_info(const char *path);   /* qemu-img info --output=json, parsed; unref when done */

/* Reads the whole virtual disk through our engine. */
guint8 *bt_engine_read_all(const char *path, gsize *len);
/* qemu-img convert -O raw, read into memory. */
guint8 *bt_qemu_read_all(const char *dir, const char *path, gsize *len);
void    bt_assert_same(const guint8 *a, const guint8 *b, gsize len);
