/* gb-test-qemu.h: a TCG QEMU with a VNC or SPICE server for the display tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef struct _GbTestQemu GbTestQemu;

/* Builds (or reuses) the test guest; NULL and a reason when it cannot. */
char       *gb_test_guest_dir       (char      **skip_reason);

/* A private directory for sockets and logs (short path: UNIX socket names
 * are limited to 108 bytes). */
const char *gb_test_tmpdir          (void);

/* @display_args: e.g. { "-vnc", "unix:/x/vnc.sock", NULL }.  @guest_dir NULL:
 * no kernel, the machine stays stopped (-S): enough for server-only tests. */
GbTestQemu *gb_test_qemu_start      (const char  *name,
                                     const char  *guest_dir,
                                     const char  *const *display_args);
void        gb_test_qemu_free       (GbTestQemu  *qemu);
/* Asks QEMU to quit over QMP and waits for the process to end. */
void        gb_test_qemu_quit       (GbTestQemu  *qemu);
char       *gb_test_qemu_qmp        (GbTestQemu  *qemu,
                                     const char  *json);
/* QMP screendump of the guest screen, as a texture. */
GdkTexture *gb_test_qemu_screendump (GbTestQemu  *qemu);
/* What the guest wrote on its first serial port so far. */
char       *gb_test_qemu_serial     (GbTestQemu  *qemu);
gboolean    gb_test_qemu_wait_serial (GbTestQemu *qemu,
                                     const char  *needle,
                                     guint        timeout_ms);

/* Runs the main loop until @cond returns TRUE or @timeout_ms passes. */
gboolean    gb_test_wait_until      (gboolean  (*cond) (gpointer data),
                                     gpointer    data,
                                     guint       timeout_ms);
void        gb_test_spin            (guint       ms);

/* Pixels that differ between two textures of the same size (-1: sizes differ). */
gssize      gb_test_texture_diff    (GdkTexture *a,
                                     GdkTexture *b);
/* Pixels that are not black. */
gsize       gb_test_texture_lit     (GdkTexture *texture);

/* Types @text with XTest key events, as a user on the X server would. */
void        gb_test_xtest_type      (const char *text);
void        gb_test_xtest_move_into (GtkWidget  *widget);
/* Renders the window to TMPDIR/NAME.png, for a person to look at. */
char       *gb_test_save_window_png (GtkWidget  *window,
                                     const char *name);
/* Presses the keys in order, releases them in reverse ("Control_L", …). */
void        gb_test_xtest_chord     (const char *const *keysyms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbTestQemu, gb_test_qemu_free)

G_END_DECLS
