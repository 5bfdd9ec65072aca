/* vhost-user-test-util.h — run `glassbox-vmm vhost-user-blk` (and its
 * peer, qemu-storage-daemon) and a QEMU TCG guest against it. */
#pragma once

#include <gio/gio.h>

typedef struct {
	GSubprocess *proc;
	char *socket_path;
	char *stderr_path;
} Backend;

/* The glassbox-vmm binary of this build. */
char *vhost_test_vmm_binary(void);

/* A launcher whose children are killed when this test program ends, however
 * it ends (a g_error() included): no backend or QEMU outlives a failed test. */
GSubprocessLauncher *vhost_test_launcher_new(GSubprocessFlags flags);

/* Waits for a back-end's "listening on" line on its stdout pipe (it comes
 * after listen(): a front-end can connect from then on).  FALSE, with the
 * back-end's stderr (from stderr_path) in *err, if it ended first or said
 * something else. */
gboolean vhost_test_wait_listening(GSubprocess *proc, const char *stderr_path, char **err);

/* Starts `glassbox-vmm vhost-user-blk --socket DIR/blk.sock --disk SPEC`
 * and waits for its "listening" line.  NULL (test failed) if it did not. */
Backend *backend_start(const char *dir, const char *disk_spec);
/* SIGTERM by PID, then wait: returns the exit status (-1 on timeout or a
 * signal).  A sanitizer build's leak report makes the status non-zero. */
int backend_stop(Backend *b);
char *backend_stderr(Backend *b);
void backend_free(Backend *b);

/* A TCG guest: QEMU with shared memfd RAM and a vhost-user-blk-pci device
 * on `socket_path`, booting DIR/vmlinuz + DIR/initramfs.img with
 * gb.run=script.  Serial output goes to serial_path.  With `reconnect`
 * QEMU redials the socket every second after losing the back-end. */
GSubprocess *qemu_start(const char *guest_dir, const char *socket_path, const char *script,
                        const char *serial_path, const char *stderr_path, gboolean reconnect,
                        GError **error);

/* Waits for `proc` to exit within timeout_ms; FALSE on timeout. */
gboolean proc_wait(GSubprocess *proc, int timeout_ms);

/* Polls `path` until it contains `needle` (TRUE) or timeout_ms passed. */
gboolean file_wait_for(const char *path, const char *needle, int timeout_ms);

/* The text after "GB: <key> " on the first such line of `serial`, or NULL. */
char *guest_value(const char *serial, const char *key);

/* Runs a host command to completion; returns its exit status (or -1 if it
 * could not run) and, if asked, its stdout. */
int host_run(char **out, const char *const *argv);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Backend, backend_free)
