/* main.c — `glassbox-vmm run …`: parse options, build the machine, run it. */
#include "config.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "machine.h"
#include "options.h"
#include "vhost-user.h"

static const char usage_text[] =
	"Run a virtual machine on /dev/kvm.\n"
	"\n"
	"  glassbox-vmm run --kernel FILE [OPTION…]\n"
	"  glassbox-vmm run --config FILE.json [OPTION…]\n"
	"\n"
	"The kernel is a Linux bzImage (64-bit boot protocol) or an ELF file with a\n"
	"PVH entry note (Linux vmlinux, small test payloads).  The guest gets COM1,\n"
	"an i8042 keyboard controller, a CMOS clock and virtio-pci devices:\n"
	"virtio-blk per --disk, virtio-net per --net, virtio-console with\n"
	"--console, virtio-rng; with --display vnc also a screen, served over\n"
	"VNC on a UNIX socket.\n"
	"The VM ends when the guest resets or powers off, on SIGTERM, or on \"stop\"\n"
	"from the control socket.  See glassbox-vmm(1) and docs/vmm-api.md.";

static gboolean
add_disk_cb(const char *name, const char *value, gpointer data, GError **error)
{
	return vmm_options_add_disk(data, value, error);
}

static gboolean
add_net_cb(const char *name, const char *value, gpointer data, GError **error)
{
	return vmm_options_add_net(data, value, error);
}

/* A command-line value, if given, replaces the one from --config. */
static void
override(char **field, char **value)
{
	if (*value) {
		g_free(*field);
		*field = g_steal_pointer(value);
	}
}

static int
cmd_run(int argc, char **argv)
{
	struct vmm_options opts;
	g_autoptr(GOptionContext) ctx = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *config = NULL, *kernel = NULL, *initrd = NULL, *cmdline = NULL;
	g_autofree char *serial = NULL, *console = NULL, *api_socket = NULL;
	g_autofree char *display = NULL, *vnc_socket = NULL, *vnc = NULL, *restore = NULL;
	gint64 memory = -1;
	int cpus = -1;
	gboolean hugepages = FALSE, ksm = FALSE, no_rng = FALSE, paused = FALSE;
	struct machine *m;
	int status;

	vmm_options_init(&opts);
	GOptionEntry entries[] = {
		{ "config", 0, 0, G_OPTION_ARG_FILENAME, &config, "Read the machine from a JSON file (options below override it)", "FILE.json" },
		{ "kernel", 0, 0, G_OPTION_ARG_FILENAME, &kernel, "Kernel: bzImage or PVH ELF", "FILE" },
		{ "initrd", 0, 0, G_OPTION_ARG_FILENAME, &initrd, "Initial ramdisk", "FILE" },
		{ "cmdline", 0, 0, G_OPTION_ARG_STRING, &cmdline, "Kernel command line", "STR" },
		{ "memory", 0, 0, G_OPTION_ARG_INT64, &memory, "Guest memory (default 256)", "MiB" },
		{ "cpus", 0, 0, G_OPTION_ARG_INT, &cpus, "Number of vCPUs (default 1)", "N" },
		{ "disk", 0, 0, G_OPTION_ARG_CALLBACK, (gpointer) add_disk_cb,
		  "A virtio-blk disk; repeat for more", "path=FILE[,format=raw|qcow2][,readonly=on][,serial=ID]" },
		{ "net", 0, 0, G_OPTION_ARG_CALLBACK, (gpointer) add_net_cb,
		  "A virtio-net NIC; repeat for more", "tap=IFNAME[,queues=N]|bridge=BR[,vlan=N]|user[,hostfwd=tcp:[ADDR]:PORT-[ADDR]:PORT][,restrict=on][,mac=MAC]" },
		{ "serial", 0, 0, G_OPTION_ARG_STRING, &serial, "Where COM1 goes (default stdio)", "stdio|pty|file=PATH|socket=PATH|none" },
		{ "console", 0, 0, G_OPTION_ARG_STRING, &console, "Add a virtio-console (hvc0) connected there", "stdio|pty|file=PATH" },
		{ "no-rng", 0, 0, G_OPTION_ARG_NONE, &no_rng, "Leave out virtio-rng", NULL },
		{ "api-socket", 0, 0, G_OPTION_ARG_FILENAME, &api_socket, "Control socket (JSON lines, mode 0600)", "PATH" },
		{ "display", 0, 0, G_OPTION_ARG_STRING, &display,
		  "A screen (framebuffer) served over VNC; default 1024x768", "vnc[,width=W,height=H]|none" },
		{ "vnc-socket", 0, 0, G_OPTION_ARG_FILENAME, &vnc_socket,
		  "UNIX socket of the VNC server (mode 0600; default <api-socket>.vnc)", "PATH" },
		{ "vnc", 0, 0, G_OPTION_ARG_STRING, &vnc,
		  "Also serve VNC on loopback TCP, with a password", "tcp=127.0.0.1:PORT,password-file=FILE" },
		{ "hugepages", 0, 0, G_OPTION_ARG_NONE, &hugepages, "Back guest memory with 2 MiB pages", NULL },
		{ "ksm", 0, 0, G_OPTION_ARG_NONE, &ksm, "Let KSM merge identical guest pages", NULL },
		{ "paused", 0, 0, G_OPTION_ARG_NONE, &paused, "Start paused; \"resume\" on the control socket starts it", NULL },
		{ "restore", 0, 0, G_OPTION_ARG_FILENAME, &restore,
		  "Go on from a state \"save-state\" wrote (same --cpus and --memory)", "FILE" },
		{ NULL },
	};
	GOptionGroup *group = g_option_group_new("run", "run", "run", &opts, NULL);

	g_option_group_add_entries(group, entries);
	ctx = g_option_context_new("- run a virtual machine");
	g_option_context_set_main_group(ctx, group);
	g_option_context_set_description(ctx, usage_text);
	if (!g_option_context_parse(ctx, &argc, &argv, &error))
		goto fail;
	if (argc > 1) {
		g_set_error(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "unexpected argument \"%s\"", argv[1]);
		goto fail;
	}

	/* The JSON file first, then the command line on top of it. */
	if (config) {
		GArray *cli_disks = opts.disks;
		GPtrArray *cli_nets = opts.nets;
		gboolean loaded;

		opts.disks = g_array_new(FALSE, TRUE, sizeof(struct disk_option));
		opts.nets = g_ptr_array_new_with_free_func(g_free);
		loaded = vmm_options_load_json(&opts, config, &error);
		g_array_append_vals(opts.disks, cli_disks->data, cli_disks->len);
		g_array_unref(cli_disks);
		/* --net on the command line adds NICs after the file's. */
		for (unsigned int i = 0; i < cli_nets->len; i++)
			g_ptr_array_add(opts.nets, g_strdup(g_ptr_array_index(cli_nets, i)));
		g_ptr_array_unref(cli_nets);
		if (!loaded)
			goto fail;
	}
	override(&opts.kernel, &kernel);
	override(&opts.initrd, &initrd);
	override(&opts.cmdline, &cmdline);
	override(&opts.api_socket, &api_socket);
	override(&opts.vnc_socket, &vnc_socket);
	override(&opts.restore, &restore);
	if (display && !vmm_options_parse_display(&opts, display, &error)) {
		g_prefix_error(&error, "--");
		goto fail;
	}
	if (vnc && !vmm_options_parse_vnc(&opts, vnc, &error)) {
		g_prefix_error(&error, "--");
		goto fail;
	}
	if (memory >= 0)
		opts.memory_mib = memory;
	if (cpus >= 0)
		opts.cpus = cpus;
	opts.hugepages |= hugepages;
	opts.ksm |= ksm;
	opts.paused |= paused;
	if (no_rng)
		opts.rng = false;
	if (serial && !vmm_options_parse_output(serial, true, &opts.serial, &opts.serial_path, &error)) {
		g_prefix_error(&error, "--serial ");
		goto fail;
	}
	if (console && !vmm_options_parse_output(console, true, &opts.console, &opts.console_path, &error)) {
		g_prefix_error(&error, "--console ");
		goto fail;
	}
	if (!vmm_options_check(&opts, &error))
		goto fail;

	m = machine_new(&opts, &error);
	if (m == NULL)
		goto fail;
	status = machine_run(m);
	machine_free(m);
	vmm_options_clear(&opts);
	return status;

fail:
	g_printerr("glassbox-vmm: %s\n", error->message);
	vmm_options_clear(&opts);
	return 2;
}

int
main(int argc, char **argv)
{
	/* For bench/vmm: where start-up time goes (exec → main → first KVM_RUN). */
	if (g_getenv("GLASSBOX_VMM_TRACE_START"))
		fprintf(stderr, "glassbox-vmm: main at %" G_GINT64_FORMAT " ns\n", g_get_monotonic_time() * 1000);
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "vhost-user-blk"))
		return vhost_user_blk_main(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "vhost-user-net"))
		return vhost_user_net_main(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
		printf("glassbox-vmm %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))) {
		printf("Usage:\n  glassbox-vmm run --kernel FILE [OPTION…]\n"
		       "  glassbox-vmm vhost-user-blk --socket PATH --disk FILE[,format=raw|qcow2][,readonly=on]\n"
		       "  glassbox-vmm vhost-user-net --socket PATH --net tap=IFNAME|bridge=BR|user[,hostfwd=…]\n"
		       "  glassbox-vmm --version\n\n%s\n\n"
		       "Run `glassbox-vmm run --help` for the options.\n", usage_text);
		return 0;
	}
	fprintf(stderr, "Usage: glassbox-vmm run --kernel FILE [OPTION…]   (glassbox-vmm --help)\n");
	return 2;
}
