/* net.c — `glassbox-vmm vhost-user-net`: our virtio-net (hypervisor/virtio/
 * net.c, unchanged) and one of its host backends (hypervisor/net/) behind
 * the vhost-user front door (server.c), so that QEMU guests can use them:
 *
 *   glassbox-vmm vhost-user-net --socket /tmp/net.sock --net tap=tap0
 *   qemu-system-x86_64 … -chardev socket,id=n,path=/tmp/net.sock \
 *       -netdev vhost-user,id=n0,chardev=n -device virtio-net-pci,netdev=n0
 *
 * The backend's sources (the tap's fd, libslirp's sockets and timers) live
 * in a GMainContext that the server's poll loop runs, so frames, kicks and
 * protocol messages are all handled in one thread, as in glassbox-vmm run's
 * I/O thread.
 *
 * Multiqueue (`--net tap=IF,queues=N` on a multi_queue tap, QEMU's
 * `-netdev vhost-user,queues=N` and `-device virtio-net-pci,mq=on`): the
 * same N tap fds and N-pair device as `glassbox-vmm run`.  GET_QUEUE_NUM
 * answers N; QEMU runs the control queue itself and tells us which pairs
 * the driver uses by enabling their rings (the spec's "Multiple queue
 * support"), and the device's pairs follow the enabled rings.
 */
#include "config.h"

#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "device.h"
#include "server.h"
#include "vhost-user.h"

static const char description[] =
	"Serve a virtio-net device to QEMU (or any vhost-user front-end) over a\n"
	"UNIX socket, with its frames going to a tap, a bridge or libslirp:\n"
	"\n"
	"  glassbox-vmm vhost-user-net --socket /tmp/net.sock --net tap=tap0\n"
	"  qemu-system-x86_64 -object memory-backend-memfd,id=mem,size=1G,share=on \\\n"
	"      -numa node,memdev=mem -m 1G \\\n"
	"      -chardev socket,id=n,path=/tmp/net.sock \\\n"
	"      -netdev vhost-user,id=n0,chardev=n -device virtio-net-pci,netdev=n0 ...\n"
	"\n"
	"--net takes what `glassbox-vmm run --net` takes (tap=IFNAME[,queues=N],\n"
	"bridge=BR[,vlan=N][,helper=PATH], user[,hostfwd=…]); the MAC address is QEMU's\n"
	"(-device virtio-net-pci,mac=…).  Guest memory must be shared (share=on).\n"
	"With queues=N (a tap made with `ip tuntap add … multi_queue`) give QEMU\n"
	"-netdev vhost-user,queues=N,… and -device virtio-net-pci,mq=on,…: the guest's\n"
	"driver may use N queue pairs.  SIGUSR1 prints the per-queue counters on stderr.\n"
	"See docs/networking.md and docs/vhost-user.md.";

int
vhost_user_net_main(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx = NULL;
	g_autoptr(GError) gerror = NULL;
	g_autofree char *socket_path = NULL, *net = NULL;
	struct net_spec spec;
	struct net_backend *bes[NET_MAX_QUEUE_PAIRS];
	unsigned int n_pairs;
	struct virtio_device *dev;
	struct vhost_user_server *server;
	GMainContext *context;
	char *error = NULL;
	sigset_t mask;
	int status;
	GOptionEntry entries[] = {
		{ "socket", 0, 0, G_OPTION_ARG_FILENAME, &socket_path, "UNIX socket to listen on", "PATH" },
		{ "net", 0, 0, G_OPTION_ARG_STRING, &net, "Where frames go", "tap=IFNAME[,queues=N]|bridge=BR|user[,hostfwd=…]" },
		{ NULL },
	};

	g_set_prgname("glassbox-vmm vhost-user-net");
	ctx = g_option_context_new("- serve a virtio-net device to QEMU over vhost-user");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx, description);
	if (!g_option_context_parse(ctx, &argc, &argv, &gerror)) {
		g_printerr("glassbox-vmm vhost-user-net: %s\n", gerror->message);
		return 2;
	}
	if (argc > 1 || socket_path == NULL || net == NULL) {
		g_printerr("glassbox-vmm vhost-user-net: %s\n",
		           argc > 1 ? "unexpected argument" : "--socket and --net are required");
		return 2;
	}
	if (!net_spec_parse(net, &spec, &gerror)) {
		g_printerr("glassbox-vmm vhost-user-net: %s\n", gerror->message);
		return 2;
	}
	if (!spec.has_mac) {
		/* Only config space sees it; QEMU's own config is what the guest reads. */
		memcpy(spec.mac, (uint8_t[]) { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }, 6);
	}
	/* One backend per queue pair: a tap fd each with queues=N. */
	n_pairs = spec.queues;
	if (!net_backend_new_queues(&spec, bes, &gerror)) {
		g_printerr("glassbox-vmm vhost-user-net: --net %s: %s\n", net, gerror->message);
		net_spec_clear(&spec);
		return 1;
	}
	dev = virtio_net_new_mq(bes, n_pairs, spec.mac);
	net_spec_clear(&spec);

	/* Signals arrive through the server's signalfd. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	server = vhost_user_server_new(socket_path, dev, &error);
	if (server == NULL) {
		g_printerr("glassbox-vmm vhost-user-net: %s\n", error);
		g_free(error);
		virtio_device_destroy(dev);
		return 1;
	}
	/* QEMU's vhost-user-net compares GET_QUEUE_NUM with its queue pairs. */
	vhost_user_server_set_queue_num(server, n_pairs);
	context = g_main_context_new();
	vhost_user_server_set_context(server, context);
	for (unsigned int i = 0; i < n_pairs; i++) {
		if (!net_backend_start(bes[i], context, &gerror)) {
			g_printerr("glassbox-vmm vhost-user-net: %s\n", gerror->message);
			vhost_user_server_free(server);
			virtio_device_destroy(dev);
			g_main_context_unref(context);
			return 1;
		}
	}
	printf("glassbox-vmm vhost-user-net: listening on %s\n", socket_path);
	fflush(stdout);

	status = vhost_user_server_run(server);
	vhost_user_server_free(server);
	/* The backend's sources go with the device, before their context. */
	virtio_device_destroy(dev);
	g_main_context_unref(context);
	return status;
}
