/* bridge.c — `--net bridge=BR`: a tap on a host bridge, made by a helper.
 *
 * Making a tap and enslaving it to a bridge needs CAP_NET_ADMIN; the VMM
 * should not hold it.  So, like QEMU's `-netdev bridge`, we run a small
 * privileged helper (setuid root, or run as root by the admin's choice)
 * that checks the bridge against an allow-list — qemu-bridge-helper reads
 * /etc/qemu/bridge.conf ("allow br0") — creates the tap, attaches it, and
 * hands the open tap fd back over a UNIX socket (SCM_RIGHTS).  The VMM
 * only ever holds that one fd.
 *
 * The protocol is qemu-bridge-helper's: argv is
 *   HELPER --use-vnet --br=BRIDGE --fd=N
 * where N is the helper's end of a socketpair; it sends one byte with the
 * tap fd attached and exits 0, or prints why not on stderr and exits
 * non-zero.
 *
 * qemu-bridge-helper cannot put the port in a VLAN, so `vlan=N` runs our
 * own glassbox-bridge-helper (bridge-helper.c, in libexecdir, allow-list
 * SYSCONFDIR/glassbox/bridge.conf) with `--vlan=N` added; it takes the same
 * arguments, so helper= may name it without a VLAN too.  Without vlan=
 * QEMU's stays the default: the one administrators have already set up.
 */
#include "config.h"
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_HELPER "/usr/lib/qemu/qemu-bridge-helper"
#define VLAN_HELPER LIBEXECDIR "/glassbox-bridge-helper"
#define VLAN_HELPER_CONF SYSCONFDIR "/glassbox/bridge.conf"

/* Receive one fd sent with SCM_RIGHTS; -1 if none came. */
static int
recv_fd(int sock)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *c;
	ssize_t n;
	int fd = -1;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int))) {
			if (fd >= 0)
				close(fd);
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
		}
	}
	return fd;
}

struct net_backend *
net_bridge_open(const char *bridge, const char *helper, unsigned int vlan, GError **error)
{
	g_autofree char *fd_arg = NULL, *br_arg = NULL, *vlan_arg = NULL, *description = NULL, *err_text = NULL;
	g_autoptr(GError) spawn_error = NULL;
	struct ifreq ifr = { 0 };
	int sv[2], tap_fd, status = 0, err_fd = -1;
	GPid pid;

	if (helper == NULL)
		helper = vlan ? VLAN_HELPER : DEFAULT_HELPER;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "socketpair: %s", g_strerror(errno));
		return NULL;
	}
	fd_arg = g_strdup_printf("--fd=%d", sv[1]);
	br_arg = g_strdup_printf("--br=%s", bridge);
	vlan_arg = vlan ? g_strdup_printf("--vlan=%u", vlan) : NULL;
	const char *argv[] = { helper, "--use-vnet", br_arg, fd_arg, vlan_arg, NULL };
	/* The helper's end must survive exec; ours must not. */
	fcntl(sv[1], F_SETFD, 0);
	if (!g_spawn_async_with_pipes_and_fds(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
	                                      -1, -1, -1, &sv[1], &sv[1], 1,
	                                      &pid, NULL, NULL, &err_fd, &spawn_error)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "bridge %s: cannot run %s: %s",
		            bridge, helper, spawn_error->message);
		close(sv[0]);
		close(sv[1]);
		return NULL;
	}
	close(sv[1]);
	tap_fd = recv_fd(sv[0]);
	close(sv[0]);
	/* The helper has exited or is about to; read what it said. */
	if (err_fd >= 0) {
		GString *s = g_string_new(NULL);
		char buf[256];
		ssize_t n;

		while ((n = read(err_fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
			if (n > 0)
				g_string_append_len(s, buf, n);
		close(err_fd);
		err_text = g_strstrip(g_string_free(s, FALSE));
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	g_spawn_close_pid(pid);
	if ((tap_fd < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) &&
	    strstr(helper, "glassbox-bridge-helper") && err_text && *err_text) {
		/* Ours says exactly what is wrong, and where. */
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM, "bridge %s: %s", bridge, err_text);
		if (tap_fd >= 0)
			close(tap_fd);
		return NULL;
	}
	if (tap_fd < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM,
		            "bridge %s: %s gave no tap%s%s (is the bridge allowed in its configuration, "
		            "e.g. \"allow %s\" in %s?)",
		            bridge, helper, err_text && *err_text ? ": " : "", err_text ? err_text : "", bridge,
		            strstr(helper, "glassbox-bridge-helper") ? VLAN_HELPER_CONF : "/etc/qemu/bridge.conf");
		if (tap_fd >= 0)
			close(tap_fd);
		return NULL;
	}
	if (ioctl(tap_fd, TUNGETIFF, &ifr) == 0 && vlan)
		description = g_strdup_printf("bridge %s vlan %u (%s)", bridge, vlan, ifr.ifr_name);
	else if (ioctl(tap_fd, TUNGETIFF, &ifr) == 0)
		description = g_strdup_printf("bridge %s (%s)", bridge, ifr.ifr_name);
	else if (vlan)
		description = g_strdup_printf("bridge %s vlan %u", bridge, vlan);
	else
		description = g_strdup_printf("bridge %s", bridge);
	return net_tap_from_fd(tap_fd, "bridge", description, error);
}
