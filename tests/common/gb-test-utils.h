/* gb-test-utils.h — what the test programs share: waiting on the
 * main loop, async results, temporary folders, host programs, QEMU's
 * image tools, a private libvirtd, the Linux test guest
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef gboolean (*GbTestPredicate) (gpointer data);

/* Main loop */
void          gb_test_add_ticker             (void);
gboolean      gb_test_wait_until             (GbTestPredicate   predicate,
                                              gpointer          data,
                                              guint             seconds);
gboolean      gb_test_wait_until_ms          (GbTestPredicate   predicate,
                                              gpointer          data,
                                              guint             timeout_ms);
void          gb_test_iterate_before         (gint64            deadline,
                                              guint             seconds,
                                              const char       *what);

/* Iterates the default main context until @cond holds; the test fails
 * (g_error) after @seconds.  Each turn is one gb_test_iterate_before(). */
#define GB_TEST_WAIT_FOR(cond, seconds)                                       \
  G_STMT_START {                                                              \
    gint64 gb_test_deadline_ = g_get_monotonic_time () +                      \
                               (gint64) (seconds) * G_USEC_PER_SEC;           \
    while (!(cond))                                                           \
      gb_test_iterate_before (gb_test_deadline_, (seconds), #cond);           \
  } G_STMT_END

/* Async results */
void          gb_test_store_result           (GObject          *object,
                                              GAsyncResult     *result,
                                              gpointer          user_data);
GAsyncResult *gb_test_wait_result            (GAsyncResult    **slot);

/* Temporary folders */
char         *gb_test_tmpdir_new             (const char       *tmpl);
void          gb_test_tmpdir_remove          (const char       *dir);

/* Programs on the host */
gboolean      gb_test_have_program           (const char       *name);
gboolean      gb_test_skip_without_program   (const char       *name,
                                              const char       *package);
int           gb_test_run                    (const char *const *argv,
                                              char            **out,
                                              char            **err);
int           gb_test_run_shell              (const char       *cmd,
                                              char            **out,
                                              char            **err);

/* QEMU's image tools (qemu-utils): each asserts that the tool exited 0.
 * gb_test_run_args() is gb_test_run() with the arguments in a list. */
int           gb_test_run_args               (const char       *program,
                                              ...) G_GNUC_NULL_TERMINATED;
void          gb_test_qemu_img_create        (const char       *path,
                                              const char       *format,
                                              const char       *size);
void          gb_test_qemu_io                (const char       *path,
                                              const char       *format,
                                              const char       *command);
void          gb_test_qemu_io_assert_pattern (const char       *path,
                                              const char       *format,
                                              const char       *command);

/* A private libvirtd: session mode, run as "nobody" (setpriv), with
 * HOME=@dir and XDG_RUNTIME_DIR=@dir/run, its output in @dir/libvirtd.log,
 * ended (SIGTERM) when the test program ends.  _dir() makes @dir from
 * @tmpl with run/ in it, both owned by nobody; _socket() is where the
 * daemon listens; _start() returns once it does. */
gboolean      gb_test_skip_without_private_libvirtd (void);
char         *gb_test_private_libvirtd_dir    (const char      *tmpl);
char         *gb_test_private_libvirtd_socket (const char      *dir);
GSubprocess  *gb_test_private_libvirtd_start  (const char      *dir,
                                               const char      *config);
void          gb_test_private_libvirtd_stop   (GSubprocess     *daemon);

/* The Linux test guest (tests/linux-guest/build-guest.sh) */
gboolean      gb_test_build_linux_guest      (const char       *outdir,
                                              const char *const *scripts,
                                              const char       *extra_binaries,
                                              char            **reason);

/* Quieter logs: drops g_debug() unless G_MESSAGES_DEBUG is set. */
void          gb_test_drop_debug_messages    (void);

G_END_DECLS
