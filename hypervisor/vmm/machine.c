/* machine.c — assemble a PC from the parts and run it.
 *
 * Threads: one per vCPU (kvm/vcpu.c) doing port/MMIO emulation inline;
 * one I/O thread running the virtio devices (kick eventfds, interrupt
 * fallbacks), so that disk I/O never holds up the control socket; and this
 * main thread running a GLib main loop for the control socket, serial and
 * console input, and events raised by the other threads (handed over with
 * idle sources).
 */
#include "config.h"
#include "machine.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "acpi.h"
#include "api.h"
#include "backend.h"
#include "boot.h"
#include "devices.h"
#include "pci.h"
#include "savestate.h"
#include "serial-socket.h"
#include "stats.h"
#include "virtio-pci.h"
#include "vm.h"
#include "vnc.h"

#define COM1_PORT 0x3f8
#define COM1_IRQ  4

struct machine {
	struct vmm_options opts;
	struct boot_config boot;
	struct vm *vm;
	struct pci_bus *pci;
	struct serial *serial;
	struct serial_socket *serial_socket;   /* --serial socket=PATH */
	struct i8042 *kbd;
	struct rtc *rtc;
	struct acpi_pm *acpi;
	struct framebuffer *fb;       /* --display: NULL without */
	struct vnc_server *vnc;
	struct virtio_device *tablet;  /* owned by its virtio_pci */
	GPtrArray *virtio;            /* struct virtio_pci * */
	GMainContext *io_context;     /* the I/O thread's */
	GMainLoop *io_loop;
	GThread *io_thread;
	struct api_server *api;
	GMainLoop *loop;
	int serial_out, serial_in;    /* -1: none */
	int console_out, console_in;
	struct virtio_device *console;
	guint serial_in_watch, console_in_watch, sigterm_watch, sigint_watch;
	int64_t start_us;
	int exit_status;
};

/* ---- events from any thread -------------------------------------------- */

struct pending_event {
	struct machine *m;
	char *event;
	char *detail;
};

static JsonNode *
status_node(const char *status)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "status");
	json_builder_add_string_value(b, status);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static JsonNode *
detail_node(const char *key, const char *value, const char *key2, const char *value2)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, key);
	json_builder_add_string_value(b, value ? value : "");
	if (key2) {
		json_builder_set_member_name(b, key2);
		json_builder_add_string_value(b, value2 ? value2 : "");
	}
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static const char *
stop_reason_name(VmStopReason r)
{
	switch (r) {
	case VM_STOP_GUEST_RESET: return "guest-reset";
	case VM_STOP_GUEST_POWEROFF: return "guest-poweroff";
	case VM_STOP_REQUESTED: return "requested";
	case VM_STOP_ERROR: return "error";
	default: return "none";
	}
}

static gboolean
dispatch_event(gpointer data)
{
	struct pending_event *ev = data;
	struct machine *m = ev->m;

	if (!strcmp(ev->event, "STOP")) {
		VmStopReason reason = m->vm->stop_reason;

		if (reason == VM_STOP_GUEST_RESET)
			api_server_emit(m->api, "GUEST_RESET", detail_node("detail", ev->detail, NULL, NULL));
		else if (reason == VM_STOP_GUEST_POWEROFF)
			api_server_emit(m->api, "GUEST_POWEROFF", detail_node("detail", ev->detail, NULL, NULL));
		else if (reason == VM_STOP_ERROR)
			api_server_emit(m->api, "VM_ERROR", detail_node("detail", ev->detail, NULL, NULL));
		m->exit_status = reason == VM_STOP_ERROR ? 1 : 0;
		if (m->loop)
			g_main_loop_quit(m->loop);
	} else if (!strcmp(ev->event, "DEVICE_ERROR")) {
		/* Not fatal: the device stays broken until the driver resets it. */
		g_printerr("glassbox-vmm: device error: %s\n", ev->detail);
		api_server_emit(m->api, "DEVICE_ERROR", detail_node("detail", ev->detail, NULL, NULL));
	}
	return G_SOURCE_REMOVE;
}

static void
pending_event_free(gpointer data)
{
	struct pending_event *ev = data;

	g_free(ev->event);
	g_free(ev->detail);
	g_free(ev);
}

static void
on_vm_event(struct vm *vm, const char *event, const char *detail, void *data)
{
	struct pending_event *ev = g_new0(struct pending_event, 1);
	GSource *idle = g_idle_source_new();

	ev->m = data;
	ev->event = g_strdup(event);
	ev->detail = g_strdup(detail);
	g_source_set_callback(idle, dispatch_event, ev, pending_event_free);
	g_source_attach(idle, NULL);
	g_source_unref(idle);
}

/* ---- control socket commands --------------------------------------------- */

static const char *
state_name(struct vm *vm)
{
	switch (vm->state) {
	case VM_STATE_CREATED: return "created";
	case VM_STATE_RUNNING: return "running";
	case VM_STATE_PAUSED: return "paused";
	default: return "shutdown";
	}
}

static void
add_int(JsonBuilder *b, const char *name, gint64 v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, v);
}

static bool
machine_reset(struct machine *m, GError **error)
{
	vcpus_pause(m->vm);
	if (m->vm->stop_requested) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "the machine is shutting down");
		return false;
	}
	serial_reset(m->serial);
	i8042_reset(m->kbd);
	acpi_pm_reset(m->acpi);
	for (unsigned int i = 0; i < m->virtio->len; i++)
		virtio_pci_reset(g_ptr_array_index(m->virtio, i));
	if (!vcpus_reset(m->vm)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "could not reset the vCPUs");
		vm_request_stop(m->vm, VM_STOP_ERROR, "reset failed");
		return false;
	}
	/* Back to the kernel's first instruction, as a firmware would. */
	if (!boot_load(m->vm, &m->boot, error)) {
		vm_request_stop(m->vm, VM_STOP_ERROR, "reset: reloading the kernel failed");
		return false;
	}
	vcpus_resume(m->vm);
	return true;
}

static JsonNode *
handle_command(const char *cmd, JsonObject *args, void *data, GError **error)
{
	struct machine *m = data;
	struct vm *vm = m->vm;

	if (!strcmp(cmd, "query-status")) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "status");
		json_builder_add_string_value(b, state_name(vm));
		add_int(b, "vcpus", vm->n_vcpus);
		add_int(b, "memory-mib", vm->ram.size >> 20);
		add_int(b, "uptime-ms", (g_get_monotonic_time() - m->start_us) / 1000);
		add_int(b, "pid", getpid());
		json_builder_end_object(b);
		return json_builder_get_root(b);
	}
	if (!strcmp(cmd, "query-stats")) {
		JsonNode *stats = vmm_stats(m->vm, m->virtio);

		if (m->vnc)
			json_object_set_member(json_node_get_object(stats), "display", vnc_server_stats(m->vnc));
		return stats;
	}
	if (!strcmp(cmd, "query-display")) {
		if (m->vnc == NULL) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "this machine has no display (--display vnc)");
			return NULL;
		}
		return vnc_server_stats(m->vnc);
	}
	if (!strcmp(cmd, "screendump")) {
		const char *file = args && json_object_has_member(args, "filename") ?
		                   json_object_get_string_member_with_default(args, "filename", NULL) : NULL;

		if (m->fb == NULL) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "this machine has no display (--display vnc)");
			return NULL;
		}
		if (file == NULL || !g_path_is_absolute(file)) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			            "screendump needs \"arguments\": {\"filename\": absolute path}");
			return NULL;
		}
		if (!framebuffer_screendump(m->fb, file, error))
			return NULL;
		return detail_node("filename", file, "format", "ppm");
	}
	if (!strcmp(cmd, "pause")) {
		if (vm->state == VM_STATE_RUNNING) {
			vcpus_pause(vm);
			api_server_emit(m->api, "STATE_CHANGE", status_node("paused"));
		}
		return status_node(state_name(vm));
	}
	if (!strcmp(cmd, "resume")) {
		if (vm->state == VM_STATE_PAUSED) {
			vcpus_resume(vm);
			api_server_emit(m->api, "STATE_CHANGE", status_node("running"));
		}
		return status_node(state_name(vm));
	}
	if (!strcmp(cmd, "powerdown")) {
		/* The ACPI power button, as libvirt's "shut down" presses it.  A
		 * guest that never touched the ACPI registers (acpi=off) gets
		 * Ctrl+Alt+Del instead: Linux reboots, and the reset ends us. */
		if (!acpi_pm_power_button(m->acpi))
			i8042_ctrl_alt_del(m->kbd);
		return status_node(state_name(vm));
	}
	if (!strcmp(cmd, "reset")) {
		bool was_paused = vm->state == VM_STATE_PAUSED;

		if (!machine_reset(m, error))
			return NULL;
		if (was_paused)
			vcpus_pause(vm);
		api_server_emit(m->api, "RESET", detail_node("by", "control socket", NULL, NULL));
		return status_node(state_name(vm));
	}
	if (!strcmp(cmd, "save-state")) {
		const char *file = args && json_object_has_member(args, "filename") ?
		                   json_object_get_string_member_with_default(args, "filename", NULL) : NULL;
		bool was_running = vm->state == VM_STATE_RUNNING;

		if (file == NULL || !g_path_is_absolute(file)) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			            "save-state needs \"arguments\": {\"filename\": absolute path}");
			return NULL;
		}
		/* Devices whose state the format does not hold (a NIC on
		 * passt, a broken device), once a driver runs them: refuse,
		 * write nothing. */
		for (unsigned int i = 0; i < m->virtio->len; i++)
			if (!virtio_pci_can_save(g_ptr_array_index(m->virtio, i), error))
				return NULL;
		vcpus_pause(vm);
		if (vm->stop_requested) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "the machine is shutting down");
			return NULL;
		}
		if (!savestate_write(vm, m->serial, m->virtio, m->fb, file, error)) {
			if (was_running)
				vcpus_resume(vm);
			return NULL;
		}
		/* Paused: "stop" makes it a managed save, "resume" a checkpoint. */
		if (was_running)
			api_server_emit(m->api, "STATE_CHANGE", status_node("paused"));
		return detail_node("filename", file, "status", state_name(vm));
	}
	if (!strcmp(cmd, "stop")) {
		vm_request_stop(vm, VM_STOP_REQUESTED, "stopped through the control socket");
		return status_node("shutdown");
	}
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "unknown command \"%s\"", cmd);
	return NULL;
}

/* ---- host side of the serial port ---------------------------------------- */

/* One read from a host input fd: the bytes read (> 0), 0 when there is
 * nothing to read just now, or -1 at end of file or on an error. */
static ssize_t
read_host_input(int fd, uint8_t *buf, size_t size)
{
	ssize_t n = read(fd, buf, size);

	if (n > 0)
		return n;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	return -1;
}

static gboolean
serial_readable(gint fd, GIOCondition cond, gpointer data)
{
	struct machine *m = data;
	uint8_t buf[64];
	ssize_t n = read_host_input(fd, buf, sizeof(buf));

	if (n < 0) {
		m->serial_in_watch = 0;   /* EOF: nothing more to type */
		return G_SOURCE_REMOVE;
	}
	if (n > 0)
		serial_input(m->serial, buf, n);
	return G_SOURCE_CONTINUE;
}

static gboolean
console_readable(gint fd, GIOCondition cond, gpointer data)
{
	struct machine *m = data;
	uint8_t buf[256];
	ssize_t n = read_host_input(fd, buf, sizeof(buf));

	if (n < 0) {
		m->console_in_watch = 0;
		return G_SOURCE_REMOVE;
	}
	if (n > 0)
		virtio_console_input(m->console, buf, n);
	return G_SOURCE_CONTINUE;
}

static bool
open_output(OutputKind kind, const char *path, const char *what, int *out, int *in, GError **error)
{
	*out = -1;
	if (in)
		*in = -1;
	switch (kind) {
	case OUTPUT_NONE:
	case OUTPUT_SOCKET:   /* attached later: see serial-socket.c */
		return true;
	case OUTPUT_STDIO:
		*out = dup(STDOUT_FILENO);
		if (in)
			*in = dup(STDIN_FILENO);
		return true;
	case OUTPUT_FILE:
		*out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (*out < 0) {
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			            "%s file %s: %s", what, path, g_strerror(errno));
			return false;
		}
		return true;
	case OUTPUT_PTY: {
		struct termios t;
		int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);

		if (fd < 0 || grantpt(fd) < 0 || unlockpt(fd) < 0) {
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			            "%s pty: %s", what, g_strerror(errno));
			if (fd >= 0)
				close(fd);
			return false;
		}
		/* Raw: bytes pass untouched both ways, as on a real line. */
		if (tcgetattr(fd, &t) == 0) {
			cfmakeraw(&t);
			tcsetattr(fd, TCSANOW, &t);
		}
		fprintf(stderr, "glassbox-vmm: %s on %s\n", what, ptsname(fd));
		*out = fd;
		if (in)
			*in = dup(fd);
		return true;
	}
	}
	return false;
}

static gboolean
on_term_signal(gpointer data)
{
	struct machine *m = data;

	vm_request_stop(m->vm, VM_STOP_REQUESTED, "terminated by a signal");
	return G_SOURCE_CONTINUE;
}

/* ---- build and run ------------------------------------------------------ */

static gpointer
io_thread_main(gpointer data)
{
	struct machine *m = data;

	g_main_context_push_thread_default(m->io_context);
	g_main_loop_run(m->io_loop);
	g_main_context_pop_thread_default(m->io_context);
	return NULL;
}

static gboolean
io_thread_quit(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

static void
io_thread_stop(struct machine *m)
{
	GSource *quit;

	if (m->io_thread == NULL)
		return;
	/* Quit from inside the loop: a g_main_loop_quit() that came before
	 * the thread reached g_main_loop_run() would be lost. */
	quit = g_idle_source_new();
	g_source_set_callback(quit, io_thread_quit, m->io_loop, NULL);
	g_source_attach(quit, m->io_context);
	g_source_unref(quit);
	g_thread_join(m->io_thread);
	m->io_thread = NULL;
}

/* One --net: its backend (tap, bridge helper, libslirp) behind a
 * virtio-net; frames move in the I/O thread with the device's kicks. */
static bool
add_nic(struct machine *m, const char *text, GError **error)
{
	struct net_spec spec;
	struct net_backend *bes[NET_MAX_QUEUE_PAIRS];
	struct virtio_device *vdev;
	struct virtio_pci *vp;
	unsigned int n_pairs;

	if (!net_spec_parse(text, &spec, error))
		return false;
	/* A queue pair is worth having per vCPU that can run its driver's
	 * interrupt and transmit path; more only costs fds and vectors. */
	if (spec.queues > m->opts.cpus) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		            "--net %s: queues=%u is more than the machine's %u vCPUs (--cpus)",
		            text, spec.queues, (unsigned int) m->opts.cpus);
		net_spec_clear(&spec);
		return false;
	}
	if (!spec.has_mac) {
		/* QEMU's OUI with a random tail: two machines on one bridge
		 * should not share an address. */
		uint32_t r = g_random_int();

		spec.mac[0] = 0x52, spec.mac[1] = 0x54, spec.mac[2] = 0x00;
		spec.mac[3] = r >> 16, spec.mac[4] = r >> 8, spec.mac[5] = r;
	}
	if (!net_backend_new_queues(&spec, bes, error)) {
		g_prefix_error(error, "--net %s: ", text);
		net_spec_clear(&spec);
		return false;
	}
	n_pairs = spec.queues;
	vdev = virtio_net_new_mq(bes, n_pairs, spec.mac);
	if (!spec.has_mac)
		virtio_net_set_mac_made_up(vdev);
	net_spec_clear(&spec);
	vp = virtio_pci_create(m->vm, m->pci, vdev, m->io_context, error);
	if (vp == NULL)
		return false;
	g_ptr_array_add(m->virtio, vp);
	for (unsigned int i = 0; i < n_pairs; i++)
		if (!net_backend_start(bes[i], m->io_context, error))
			return false;
	return true;
}

struct machine *
machine_new(const struct vmm_options *opts, GError **error)
{
	struct machine *m = g_new0(struct machine, 1);
	struct virtio_device *vdev;

	m->opts = *opts;   /* borrowed strings: opts outlives the machine */
	m->serial_out = m->serial_in = m->console_out = m->console_in = -1;
	m->virtio = g_ptr_array_new();
	m->exit_status = 0;
	m->io_context = g_main_context_new();
	m->io_loop = g_main_loop_new(m->io_context, FALSE);

	m->vm = vm_create(opts->cpus, opts->memory_mib << 20, opts->hugepages, opts->ksm, error);
	if (m->vm == NULL)
		goto fail;
	m->vm->on_event = on_vm_event;
	m->vm->on_event_data = m;

	if (!open_output(opts->serial, opts->serial_path, "serial", &m->serial_out, &m->serial_in, error))
		goto fail;
	if (!open_output(opts->console, opts->console_path, "console", &m->console_out, &m->console_in, error))
		goto fail;
	/* One terminal, one reader: with both on stdio, typing goes to the
	 * virtio-console (hvc0), output of both still shows. */
	if (opts->console == OUTPUT_STDIO && opts->serial == OUTPUT_STDIO && m->serial_in >= 0) {
		close(m->serial_in);
		m->serial_in = -1;
	}

	m->serial = serial_create(m->vm, COM1_PORT, COM1_IRQ, m->serial_out);
	if (opts->serial == OUTPUT_SOCKET &&
	    !(m->serial_socket = serial_socket_new(opts->serial_path, m->serial, error)))
		goto fail;
	m->kbd = i8042_create(m->vm);
	m->rtc = rtc_create(m->vm);
	m->acpi = acpi_pm_create(m->vm);
	m->pci = pci_bus_create(m->vm);

	for (unsigned int i = 0; i < opts->disks->len; i++) {
		struct disk_option *d = &g_array_index(opts->disks, struct disk_option, i);
		g_autofree char *msg = NULL;

		vdev = virtio_blk_new(d->path, d->format, d->read_only, d->serial, &msg);
		if (vdev == NULL) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "--disk %s", msg);
			goto fail;
		}
		struct virtio_pci *vp = virtio_pci_create(m->vm, m->pci, vdev, m->io_context, error);
		if (vp == NULL)
			goto fail;
		g_ptr_array_add(m->virtio, vp);
	}
	for (unsigned int i = 0; i < opts->nets->len; i++)
		if (!add_nic(m, g_ptr_array_index(opts->nets, i), error))
			goto fail;
	if (m->console_out >= 0) {
		struct virtio_pci *vp;

		m->console = virtio_console_new(m->console_out);
		vp = virtio_pci_create(m->vm, m->pci, m->console, m->io_context, error);
		if (vp == NULL)
			goto fail;
		g_ptr_array_add(m->virtio, vp);
	}
	if (opts->rng) {
		struct virtio_pci *vp = virtio_pci_create(m->vm, m->pci, virtio_rng_new(), m->io_context, error);
		if (vp == NULL)
			goto fail;
		g_ptr_array_add(m->virtio, vp);
	}

	/* After the virtio devices: their PCI slots stay the same with or
	 * without a screen. */
	if (opts->display) {
		m->fb = framebuffer_create(m->vm, m->pci, opts->display_width, opts->display_height, error);
		if (m->fb == NULL)
			goto fail;
		m->boot.fb_base = framebuffer_base(m->fb);
		m->boot.fb_size = framebuffer_size(m->fb);
		m->boot.fb_width = framebuffer_width(m->fb);
		m->boot.fb_height = framebuffer_height(m->fb);
		m->boot.fb_stride = framebuffer_stride(m->fb);

		/* An absolute pointer beside it: the guest's cursor follows the
		 * host's (the PS/2 mouse stands in until a driver runs this). */
		m->tablet = virtio_tablet_new();
		struct virtio_pci *vp = virtio_pci_create(m->vm, m->pci, m->tablet, m->io_context, error);
		if (vp == NULL) {
			m->tablet = NULL;   /* freed by virtio_pci_create() */
			goto fail;
		}
		g_ptr_array_add(m->virtio, vp);
	}

	m->boot.kernel = opts->kernel;
	m->boot.initrd = opts->initrd;
	m->boot.cmdline = opts->cmdline;
	for (unsigned int i = 0; i < m->virtio->len && i < G_N_ELEMENTS(m->boot.pci_irqs); i++) {
		struct pci_device *pci = virtio_pci_get_pci(g_ptr_array_index(m->virtio, i));
		m->boot.pci_irqs[m->boot.n_pci_irqs++] = (struct boot_pci_irq) { pci->slot, pci->irq };
	}
	if (!boot_load(m->vm, &m->boot, error))
		goto fail;
	/* --restore: RAM, vCPUs and chips as "save-state" left them, on top
	 * of the freshly loaded kernel. */
	if (opts->restore && !savestate_read(m->vm, m->serial, m->virtio, m->fb, opts->restore, error))
		goto fail;

	if (opts->api_socket) {
		m->api = api_server_new(opts->api_socket, NULL, handle_command, m, error);
		if (m->api == NULL)
			goto fail;
	}
	if (m->fb) {
		g_autofree char *path = opts->vnc_socket ? g_strdup(opts->vnc_socket)
		                                         : g_strconcat(opts->api_socket, ".vnc", NULL);

		m->vnc = vnc_server_new(m->fb, m->kbd, m->tablet, path, opts->vnc_tcp_port,
		                        opts->vnc_password_file, error);
		if (m->vnc == NULL)
			goto fail;
	}
	return m;

fail:
	machine_free(m);
	return NULL;
}

int
machine_run(struct machine *m)
{
	g_autoptr(GError) error = NULL;

	m->loop = g_main_loop_new(NULL, FALSE);
	if (m->serial_in >= 0) {
		g_unix_set_fd_nonblocking(m->serial_in, TRUE, NULL);
		m->serial_in_watch = g_unix_fd_add(m->serial_in, G_IO_IN | G_IO_HUP, serial_readable, m);
	}
	if (m->console_in >= 0 && m->console) {
		g_unix_set_fd_nonblocking(m->console_in, TRUE, NULL);
		m->console_in_watch = g_unix_fd_add(m->console_in, G_IO_IN | G_IO_HUP, console_readable, m);
	}
	m->sigterm_watch = g_unix_signal_add(SIGTERM, on_term_signal, m);
	m->sigint_watch = g_unix_signal_add(SIGINT, on_term_signal, m);

	m->io_thread = g_thread_new("virtio-io", io_thread_main, m);
	m->start_us = g_get_monotonic_time();
	/* --paused: the threads park before their first KVM_RUN. */
	m->vm->pause_requested = m->opts.paused;
	if (!vcpus_start(m->vm, &error)) {
		g_printerr("glassbox-vmm: %s\n", error->message);
		return 1;
	}
	if (m->opts.paused)
		vcpus_pause(m->vm);
	api_server_emit(m->api, "STATE_CHANGE", status_node(state_name(m->vm)));
	g_main_loop_run(m->loop);

	vcpus_stop(m->vm);
	api_server_emit(m->api, "STATE_CHANGE", status_node("shutdown"));
	api_server_emit(m->api, "STOP", detail_node("reason", stop_reason_name(m->vm->stop_reason),
	                                            "detail", m->vm->stop_detail));
	if (m->vm->stop_reason == VM_STOP_ERROR)
		g_printerr("glassbox-vmm: guest stopped: %s\n", m->vm->stop_detail);
	else if (g_getenv("GLASSBOX_VMM_VERBOSE"))
		g_printerr("glassbox-vmm: %s\n", m->vm->stop_detail);
	return m->exit_status;
}

void
machine_free(struct machine *m)
{
	if (m == NULL)
		return;
	if (m->vm)
		vcpus_stop(m->vm);
	/* The devices' sources run in the I/O thread: stop it before they go. */
	io_thread_stop(m);
	/* Events still queued for the loop refer to m: run them out first. */
	while (g_main_context_iteration(NULL, FALSE))
		;
	api_server_free(m->api);
	vnc_server_free(m->vnc);
	if (m->serial_in_watch)
		g_source_remove(m->serial_in_watch);
	if (m->console_in_watch)
		g_source_remove(m->console_in_watch);
	if (m->sigterm_watch)
		g_source_remove(m->sigterm_watch);
	if (m->sigint_watch)
		g_source_remove(m->sigint_watch);
	for (unsigned int i = 0; i < m->virtio->len; i++)
		virtio_pci_destroy(g_ptr_array_index(m->virtio, i));
	g_ptr_array_unref(m->virtio);
	framebuffer_destroy(m->fb);
	pci_bus_destroy(m->pci);
	serial_socket_free(m->serial_socket);
	serial_destroy(m->serial);
	i8042_destroy(m->kbd);
	rtc_destroy(m->rtc);
	acpi_pm_destroy(m->acpi);
	vm_destroy(m->vm);
	if (m->serial_out >= 0)
		close(m->serial_out);
	if (m->serial_in >= 0)
		close(m->serial_in);
	if (m->console_out >= 0)
		close(m->console_out);
	if (m->console_in >= 0)
		close(m->console_in);
	if (m->loop)
		g_main_loop_unref(m->loop);
	g_main_loop_unref(m->io_loop);
	g_main_context_unref(m->io_context);
	g_free(m);
}
