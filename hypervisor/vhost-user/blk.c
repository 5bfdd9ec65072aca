/* blk.c — `glassbox-vmm vhost-user-blk`: our virtio-blk (hypervisor/virtio/
 * blk.c, unchanged) behind the vhost-user front door (server.c).
 *
 * This file only wires the two together: it parses the command line, opens
 * the disk through virtio_blk_new() and hands the device to the server.
 * It is the same device the PCI transport serves inside glassbox-vmm.
 */
#include "config.h"

#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "device.h"
#include "options.h"
#include "server.h"
#include "vhost-user.h"

static const char description[] =
	"Serve a disk image to QEMU (or any vhost-user front-end) as a virtio-blk\n"
	"device over a UNIX socket, the way qemu-storage-daemon's vhost-user-blk\n"
	"export does:\n"
	"\n"
	"  glassbox-vmm vhost-user-blk --socket /tmp/disk.sock --disk disk.qcow2\n"
	"  qemu-system-x86_64 -object memory-backend-memfd,id=mem,size=1G,share=on \\\n"
	"      -numa node,memdev=mem -m 1G \\\n"
	"      -chardev socket,id=disk,path=/tmp/disk.sock \\\n"
	"      -device vhost-user-blk-pci,chardev=disk ...\n"
	"\n"
	"Guest memory must be shared (share=on).  The server serves one QEMU at a\n"
	"time and keeps listening when it goes away; SIGTERM or SIGINT stop it.\n"
	"See docs/vhost-user.md.";

/* "FILE[,format=raw|qcow2][,readonly=on]" (the form) or the same
 * "path=FILE,…" that `glassbox-vmm run --disk` takes. */
static bool
parse_disk(struct vmm_options *opts, const char *spec, GError **error)
{
	g_autofree char *full = NULL;
	const char *comma = strchr(spec, ',');
	g_autofree char *first = comma ? g_strndup(spec, comma - spec) : g_strdup(spec);

	if (strchr(first, '=') == NULL)
		full = g_strconcat("path=", spec, NULL);
	return vmm_options_add_disk(opts, full ? full : spec, error);
}

int
vhost_user_blk_main(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx = NULL;
	g_autoptr(GError) gerror = NULL;
	g_autofree char *socket_path = NULL, *disk = NULL;
	struct vmm_options opts;
	const struct disk_option *d;
	struct virtio_device *dev;
	struct vhost_user_server *server;
	char *error = NULL;
	sigset_t mask;
	int status;
	GOptionEntry entries[] = {
		{ "socket", 0, 0, G_OPTION_ARG_FILENAME, &socket_path, "UNIX socket to listen on", "PATH" },
		{ "disk", 0, 0, G_OPTION_ARG_FILENAME, &disk, "The disk image", "FILE[,format=raw|qcow2][,readonly=on][,serial=ID]" },
		{ NULL },
	};

	g_set_prgname("glassbox-vmm vhost-user-blk");
	ctx = g_option_context_new("- serve a disk to QEMU over vhost-user");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx, description);
	if (!g_option_context_parse(ctx, &argc, &argv, &gerror)) {
		g_printerr("glassbox-vmm vhost-user-blk: %s\n", gerror->message);
		return 2;
	}
	if (argc > 1 || socket_path == NULL || disk == NULL) {
		g_printerr("glassbox-vmm vhost-user-blk: %s\n",
		           argc > 1 ? "unexpected argument" : "--socket and --disk are required");
		return 2;
	}

	vmm_options_init(&opts);
	if (!parse_disk(&opts, disk, &gerror)) {
		g_printerr("glassbox-vmm vhost-user-blk: %s\n", gerror->message);
		vmm_options_clear(&opts);
		return 2;
	}
	d = &g_array_index(opts.disks, struct disk_option, 0);
	dev = virtio_blk_new(d->path, d->format, d->read_only, d->serial, &error);
	vmm_options_clear(&opts);
	if (dev == NULL) {
		g_printerr("glassbox-vmm vhost-user-blk: %s\n", error);
		g_free(error);
		return 1;
	}

	/* Signals arrive through the server's signalfd. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	server = vhost_user_server_new(socket_path, dev, &error);
	if (server == NULL) {
		g_printerr("glassbox-vmm vhost-user-blk: %s\n", error);
		g_free(error);
		virtio_device_destroy(dev);
		return 1;
	}
	printf("glassbox-vmm vhost-user-blk: listening on %s\n", socket_path);
	fflush(stdout);

	status = vhost_user_server_run(server);
	vhost_user_server_free(server);
	/* Closing the image flushes what the engine still caches. */
	virtio_device_destroy(dev);
	return status;
}
