/* vhost-user-test-util.c — processes the vhost-user tests start.  Every
 * process is our own child and is only ever signalled by its PID
 * (g_subprocess_send_signal). */
#include "vhost-user-test-util.h"

#include <sys/prctl.h>

#include <signal.h>
#include <string.h>

static void
die_with_parent(gpointer data)
{
	(void)data;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

GSubprocessLauncher *
vhost_test_launcher_new(GSubprocessFlags flags)
{
	GSubprocessLauncher *launcher = g_subprocess_launcher_new(flags);

	g_subprocess_launcher_set_child_setup(launcher, die_with_parent, NULL, NULL);
	return launcher;
}

char *
vhost_test_vmm_binary(void)
{
	return g_build_filename(g_getenv("G_TEST_BUILDDIR"), "..", "hypervisor", "vmm", "glassbox-vmm", NULL);
}

static void
wait_done(GObject *source, GAsyncResult *result, gpointer data)
{
	g_subprocess_wait_finish(G_SUBPROCESS(source), result, NULL);
	*(gboolean *) data = TRUE;
}

gboolean
proc_wait(GSubprocess *proc, int timeout_ms)
{
	gboolean done = FALSE;
	gint64 end = g_get_monotonic_time() + (gint64) timeout_ms * 1000;

	g_subprocess_wait_async(proc, NULL, wait_done, &done);
	while (!done && g_get_monotonic_time() < end) {
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(20000);
	}
	/* Let a pending callback run before `done` goes out of scope. */
	if (!done) {
		g_subprocess_force_exit(proc);
		while (!done)
			g_main_context_iteration(NULL, TRUE);
		return FALSE;
	}
	return TRUE;
}

gboolean
vhost_test_wait_listening(GSubprocess *proc, const char *stderr_path, char **err)
{
	g_autoptr(GDataInputStream) out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(proc));
	g_autofree char *line = g_data_input_stream_read_line(out, NULL, NULL, NULL);

	if (line != NULL && strstr(line, "listening on") != NULL)
		return TRUE;
	if (!g_file_get_contents(stderr_path, err, NULL, NULL))
		*err = g_strdup("");
	return FALSE;
}

Backend *
backend_start(const char *dir, const char *disk_spec)
{
	g_autoptr(GSubprocessLauncher) launcher = vhost_test_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
	g_autoptr(GError) error = NULL;
	g_autofree char *vmm = vhost_test_vmm_binary();
	g_autofree char *err = NULL;
	Backend *b = g_new0(Backend, 1);

	b->socket_path = g_build_filename(dir, "blk.sock", NULL);
	b->stderr_path = g_build_filename(dir, "backend.err", NULL);
	g_subprocess_launcher_set_stderr_file_path(launcher, b->stderr_path);
	b->proc = g_subprocess_launcher_spawn(launcher, &error, vmm, "vhost-user-blk",
	                                      "--socket", b->socket_path, "--disk", disk_spec, NULL);
	g_assert_no_error(error);

	if (!vhost_test_wait_listening(b->proc, b->stderr_path, &err)) {
		g_test_message("backend did not start: %s", err);
		backend_free(b);
		return NULL;
	}
	return b;
}

char *
backend_stderr(Backend *b)
{
	char *text = NULL;

	if (!g_file_get_contents(b->stderr_path, &text, NULL, NULL))
		text = g_strdup("");
	return text;
}

int
backend_stop(Backend *b)
{
	if (!g_subprocess_get_identifier(b->proc))
		goto exited;
	g_subprocess_send_signal(b->proc, SIGTERM);
	if (!proc_wait(b->proc, 60000))
		return -1;
exited:
	if (!g_subprocess_get_if_exited(b->proc))
		return -1;
	return g_subprocess_get_exit_status(b->proc);
}

void
backend_free(Backend *b)
{
	if (b == NULL)
		return;
	if (g_subprocess_get_identifier(b->proc)) {
		g_subprocess_send_signal(b->proc, SIGKILL);
		proc_wait(b->proc, 10000);
	}
	g_object_unref(b->proc);
	g_free(b->socket_path);
	g_free(b->stderr_path);
	g_free(b);
}

GSubprocess *
qemu_start(const char *guest_dir, const char *socket_path, const char *script,
           const char *serial_path, const char *stderr_path, gboolean reconnect, GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher = vhost_test_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
	g_autofree char *kernel = g_build_filename(guest_dir, "vmlinuz", NULL);
	g_autofree char *initrd = g_build_filename(guest_dir, "initramfs.img", NULL);
	g_autofree char *chardev = g_strdup_printf("socket,id=blk,path=%s%s", socket_path,
	                                           reconnect ? ",reconnect=1" : "");
	/* no_timer_check: on a loaded host the TCG vCPU can miss Linux's boot-time
	 * check that the PIT's interrupt arrives, and it then panics ("IO-APIC +
	 * timer doesn't work!"; seen in a CI run). */
	g_autofree char *append = g_strdup_printf("console=ttyS0 quiet panic=-1 no_timer_check gb.run=%s", script);
	g_autofree char *serial = g_strdup_printf("file:%s", serial_path);

	g_subprocess_launcher_set_stderr_file_path(launcher, stderr_path);
	/* vhost-user needs guest RAM the back-end can map: a shared memfd. */
	return g_subprocess_launcher_spawn(launcher, error, "qemu-system-x86_64",
		"-accel", "tcg", "-m", "512", "-smp", "1", "-nodefaults", "-display", "none", "-no-reboot",
		"-object", "memory-backend-memfd,id=mem,size=512M,share=on", "-numa", "node,memdev=mem",
		"-chardev", chardev, "-device", "vhost-user-blk-pci,chardev=blk",
		"-kernel", kernel, "-initrd", initrd, "-append", append, "-serial", serial, NULL);
}

gboolean
file_wait_for(const char *path, const char *needle, int timeout_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64) timeout_ms * 1000;

	do {
		g_autofree char *text = NULL;

		if (g_file_get_contents(path, &text, NULL, NULL) && strstr(text, needle))
			return TRUE;
		g_usleep(100000);
	} while (g_get_monotonic_time() < end);
	return FALSE;
}

char *
guest_value(const char *serial, const char *key)
{
	g_autofree char *prefix = g_strdup_printf("GB: %s ", key);
	const char *p = serial;

	while ((p = strstr(p, prefix)) != NULL) {
		if (p == serial || p[-1] == '\n') {
			const char *start = p + strlen(prefix);
			const char *end = strpbrk(start, "\r\n");

			return end ? g_strndup(start, end - start) : g_strdup(start);
		}
		p++;
	}
	return NULL;
}

int
host_run(char **out, const char *const *argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *err = NULL, *ignored = NULL;
	int status;

	/* stdout is always captured: ours speaks TAP. */
	if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, out ? out : &ignored,
	                  &err, &status, &error)) {
		g_test_message("%s: %s", argv[0], error->message);
		return -1;
	}
	if (err && *err)
		g_test_message("%s: %s", argv[0], err);
	if (!WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}
