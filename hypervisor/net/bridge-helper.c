/* bridge-helper.c — glassbox-bridge-helper: a tap on an allowed bridge,
 * optionally an access port of one VLAN, handed to the caller as an fd.
 *
 *   glassbox-bridge-helper [--use-vnet] --br=BRIDGE --fd=N [--vlan=VID]
 *
 * The arguments are qemu-bridge-helper's (so `--net bridge=BR,helper=` may
 * name either) plus --vlan.  The VMM runs it with one end of a UNIX
 * socketpair as fd N; the helper
 *
 *   1. checks BRIDGE against the allow-list SYSCONFDIR/glassbox/bridge.conf
 *      (qemu's /etc/qemu/bridge.conf format: `allow BR`, `allow all`,
 *      `deny BR`, `deny all`, `#` comments; a deny wins; nothing listed
 *      means refused),
 *   2. asks the kernel (rtnetlink RTM_GETLINK) whether BRIDGE is a bridge,
 *      and with --vlan whether its VLAN filtering is on,
 *   3. creates a tap (/dev/net/tun, TUNSETIFF), enslaves it to the bridge
 *      (RTM_SETLINK with IFLA_MASTER), makes it an access port of VID
 *      (RTM_SETLINK, AF_BRIDGE, IFLA_AF_SPEC/IFLA_BRIDGE_VLAN_INFO with
 *      PVID and untagged; the bridge's default PVID, which every new port
 *      gets, removed with RTM_DELLINK) and sets it up,
 *   4. sends one byte with the tap fd attached (SCM_RIGHTS) and exits 0.
 * On any failure it prints why on stderr and exits 1; the tap, never made
 * persistent, disappears with its fd.
 *
 * It needs CAP_NET_ADMIN: an administrator makes it setuid root (as Debian
 * leaves qemu-bridge-helper to `dpkg-statoverride`) or runs the VMM as
 * root.  So it trusts nothing from the caller but the four arguments: the
 * allow-list path may be overridden (GLASSBOX_BRIDGE_CONF, for tests) only
 * when it runs with its caller's own credentials, and a setuid run reads
 * only a list owned by root that nobody else may write.
 *
 * Plain libc and raw rtnetlink (no GLib, no libnl): the messages are small.
 * References: rtnetlink(7), netlink(7); the kernel's
 * Documentation/userspace-api/netlink/intro.rst; include/uapi/linux/if_link.h
 * (IFLA_*, IFLA_BR_*), include/uapi/linux/if_bridge.h (IFLA_BRIDGE_VLAN_INFO,
 * struct bridge_vlan_info: "VLAN is PVID, ingress untagged" / "VLAN egresses
 * untagged"); iproute2's bridge/vlan.c does the same messages for
 * `bridge vlan add dev TAP vid 10 pvid untagged`.  unix(7) for SCM_RIGHTS.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_CONF SYSCONFDIR "/glassbox/bridge.conf"

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fputs("glassbox-bridge-helper: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* --- The allow-list ----------------------------------------------------- */

/* Which file: the built-in path, unless we run with our caller's own
 * credentials (not setuid/setgid), when a test may point elsewhere. */
static const char *
conf_path(bool *privileged)
{
	const char *env = getenv("GLASSBOX_BRIDGE_CONF");

	*privileged = getuid() != geteuid() || getgid() != getegid();
	if (!*privileged && env && *env)
		return env;
	return DEFAULT_CONF;
}

/* "allow NAME" / "deny NAME" lines (NAME may be "all").  true if BRIDGE
 * is allowed and not denied. */
static bool
bridge_allowed(const char *bridge, const char **path_out)
{
	bool privileged, allowed = false, denied = false;
	const char *path = conf_path(&privileged);
	char line[256];
	struct stat st;
	FILE *f;

	*path_out = path;
	f = fopen(path, "re");
	if (f == NULL)
		die("cannot read the allow-list %s: %s", path, strerror(errno));
	/* A setuid helper obeys only a list the administrator wrote. */
	if (privileged && (fstat(fileno(f), &st) != 0 || st.st_uid != 0 || (st.st_mode & 022)))
		die("%s must be owned by root and writable by nobody else", path);
	while (fgets(line, sizeof(line), f)) {
		char verb[16], name[IFNAMSIZ + 1];

		if (line[strspn(line, " \t")] == '#')
			continue;
		if (sscanf(line, "%15s %16s", verb, name) != 2)
			continue;
		if (strcmp(name, "all") && strcmp(name, bridge))
			continue;
		if (!strcmp(verb, "allow"))
			allowed = true;
		else if (!strcmp(verb, "deny"))
			denied = true;
	}
	fclose(f);
	return allowed && !denied;
}

/* --- rtnetlink ---------------------------------------------------------- */

/* One request: header, ifinfomsg, attributes (netlink(7): each attribute
 * is struct rtattr + payload, padded to RTA_ALIGNTO = 4 bytes). */
struct nl_req {
	struct nlmsghdr nh;
	struct ifinfomsg ifi;
	char attrs[256];
};

static struct rtattr *
nl_put(struct nl_req *r, unsigned short type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *) ((char *) r + NLMSG_ALIGN(r->nh.nlmsg_len));

	if (NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_SPACE(len) > sizeof(*r))
		die("netlink request too long");
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_SPACE(len);
	return rta;
}

/* A nested attribute: opened empty, its length fixed when closed. */
static void
nl_nest_end(struct nl_req *r, struct rtattr *nest)
{
	nest->rta_len = (char *) r + r->nh.nlmsg_len - (char *) nest;
}

static void
nl_init(struct nl_req *r, unsigned short type, unsigned char family, int ifindex)
{
	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	r->nh.nlmsg_type = type;
	r->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	r->ifi.ifi_family = family;
	r->ifi.ifi_index = ifindex;
}

/* Sends a request and reads the answer into buf: the kernel's NLMSG_ERROR
 * (error 0 is the ACK) or, for RTM_GETLINK, the RTM_NEWLINK reply first.
 * Returns 0 or a negative errno. */
static int
nl_talk(int sock, struct nl_req *r, char *buf, size_t size)
{
	static unsigned int seq;
	struct nlmsghdr *nh;
	ssize_t n;

	r->nh.nlmsg_seq = ++seq;
	if (send(sock, r, r->nh.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv(sock, buf, size, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (nh = (struct nlmsghdr *) buf; NLMSG_OK(nh, (size_t) n); nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_seq != r->nh.nlmsg_seq)
				continue;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nh);

				return e->error;
			}
			if (nh->nlmsg_type == RTM_NEWLINK) {
				/* The reply to RTM_GETLINK: keep it at the start. */
				memmove(buf, nh, nh->nlmsg_len);
				return 0;
			}
		}
	}
}

struct bridge_info {
	bool is_bridge;
	bool vlan_filtering;       /* IFLA_BR_VLAN_FILTERING */
	uint16_t default_pvid;     /* IFLA_BR_VLAN_DEFAULT_PVID: every new port's */
	uint32_t mtu;
};

/* RTM_GETLINK for the bridge: IFLA_LINKINFO { IFLA_INFO_KIND "bridge",
 * IFLA_INFO_DATA { IFLA_BR_… } } (if_link.h).  Netlink rather than /sys,
 * whose view is of the namespace it was mounted in, not necessarily ours. */
static void
query_bridge(int sock, const char *name, int ifindex, struct bridge_info *bi)
{
	static char buf[32768];
	struct nl_req r;
	struct nlmsghdr *nh = (struct nlmsghdr *) buf;
	struct rtattr *a, *li, *d;
	int len, lilen, dlen, err;

	memset(bi, 0, sizeof(*bi));
	nl_init(&r, RTM_GETLINK, AF_UNSPEC, ifindex);
	err = nl_talk(sock, &r, buf, sizeof(buf));
	if (err < 0)
		die("cannot ask the kernel about %s: %s", name, strerror(-err));
	len = IFLA_PAYLOAD(nh);
	for (a = IFLA_RTA(NLMSG_DATA(nh)); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_MTU)
			memcpy(&bi->mtu, RTA_DATA(a), sizeof(bi->mtu));
		if (a->rta_type != IFLA_LINKINFO)
			continue;
		lilen = RTA_PAYLOAD(a);
		for (li = RTA_DATA(a); RTA_OK(li, lilen); li = RTA_NEXT(li, lilen)) {
			if (li->rta_type == IFLA_INFO_KIND)
				bi->is_bridge = !strncmp(RTA_DATA(li), "bridge", RTA_PAYLOAD(li));
			if (li->rta_type != IFLA_INFO_DATA)
				continue;
			dlen = RTA_PAYLOAD(li);
			for (d = RTA_DATA(li); RTA_OK(d, dlen); d = RTA_NEXT(d, dlen)) {
				if (d->rta_type == IFLA_BR_VLAN_FILTERING)
					bi->vlan_filtering = *(uint8_t *) RTA_DATA(d);
				else if (d->rta_type == IFLA_BR_VLAN_DEFAULT_PVID)
					memcpy(&bi->default_pvid, RTA_DATA(d), sizeof(bi->default_pvid));
			}
		}
	}
}

/* `ip link set TAP mtu MTU master BRIDGE` (down: no frame moves before
 * the VLAN is set), then, separately, `ip link set TAP up`. */
static int
set_master(int sock, int tap, int bridge, uint32_t mtu)
{
	char buf[4096];
	struct nl_req r;

	nl_init(&r, RTM_SETLINK, AF_UNSPEC, tap);
	if (mtu)
		nl_put(&r, IFLA_MTU, &mtu, sizeof(mtu));
	nl_put(&r, IFLA_MASTER, &bridge, sizeof(bridge));
	return nl_talk(sock, &r, buf, sizeof(buf));
}

static int
set_up(int sock, int tap)
{
	char buf[4096];
	struct nl_req r;

	nl_init(&r, RTM_SETLINK, AF_UNSPEC, tap);
	r.ifi.ifi_flags = IFF_UP;
	r.ifi.ifi_change = IFF_UP;
	return nl_talk(sock, &r, buf, sizeof(buf));
}

/* The port's VLAN membership (if_bridge.h): family AF_BRIDGE, the port's
 * ifindex, IFLA_AF_SPEC { IFLA_BRIDGE_VLAN_INFO struct bridge_vlan_info }.
 * RTM_SETLINK adds the VLAN with `flags`, RTM_DELLINK removes it; without
 * IFLA_BRIDGE_FLAGS the bridge master (not the port's driver) does it. */
static int
port_vlan(int sock, int tap, unsigned short type, uint16_t vid, uint16_t flags)
{
	struct bridge_vlan_info info = { .flags = flags, .vid = vid };
	struct rtattr *spec;
	char buf[4096];
	struct nl_req r;

	nl_init(&r, type, AF_BRIDGE, tap);
	spec = nl_put(&r, IFLA_AF_SPEC, NULL, 0);
	nl_put(&r, IFLA_BRIDGE_VLAN_INFO, &info, sizeof(info));
	nl_nest_end(&r, spec);
	return nl_talk(sock, &r, buf, sizeof(buf));
}

/* --- The tap and the fd ------------------------------------------------- */

static int
make_tap(bool vnet, char name[IFNAMSIZ])
{
	struct ifreq ifr = { 0 };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("/dev/net/tun: %s", strerror(errno));
	/* The kernel picks the first free tapN; not persistent, so it goes
	 * away with the last fd (ours, if anything below fails). */
	strcpy(ifr.ifr_name, "tap%d");
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die("cannot create a tap: %s", strerror(errno));
	memcpy(name, ifr.ifr_name, IFNAMSIZ);
	name[IFNAMSIZ - 1] = '\0';
	return fd;
}

/* One byte with the fd attached (unix(7), SCM_RIGHTS): qemu-bridge-helper's
 * answer, which the VMM's bridge.c reads. */
static void
send_fd(int sock, int fd)
{
	char byte = 0;
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	memset(&control, 0, sizeof(control));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) != 1)
		die("cannot pass the tap on fd %d: %s", sock, strerror(errno));
}

static long
number(const char *arg, const char *text, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (*text < '0' || *text > '9' || *end || errno || v < min || v > max)
		die("%s: expected a number from %ld to %ld", arg, min, max);
	return v;
}

int
main(int argc, char **argv)
{
	const char *bridge = NULL, *conf;
	char tap_name[IFNAMSIZ];
	bool vnet = false;
	long sock = -1, vlan = 0;
	struct bridge_info bi;
	int nl, tap_fd, br_index, tap_index, err;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--use-vnet"))
			vnet = true;
		else if (!strncmp(argv[i], "--br=", 5))
			bridge = argv[i] + 5;
		else if (!strncmp(argv[i], "--fd=", 5))
			sock = number(argv[i], argv[i] + 5, 0, 65535);
		else if (!strncmp(argv[i], "--vlan=", 7))
			vlan = number(argv[i], argv[i] + 7, 1, 4094);   /* 802.1Q: 0 and 4095 are reserved */
		else
			die("unknown argument %s (usage: %s [--use-vnet] --br=BRIDGE --fd=N [--vlan=VID])",
			    argv[i], argv[0]);
	}
	if (bridge == NULL || sock < 0)
		die("usage: %s [--use-vnet] --br=BRIDGE --fd=N [--vlan=VID]", argv[0]);
	if (strlen(bridge) >= IFNAMSIZ || strchr(bridge, '/') || !*bridge)
		die("\"%s\" is not an interface name", bridge);

	if (!bridge_allowed(bridge, &conf))
		die("bridge %s is not allowed by %s (it needs a line \"allow %s\")", bridge, conf, bridge);

	br_index = if_nametoindex(bridge);
	if (br_index == 0)
		die("bridge %s does not exist", bridge);
	nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl < 0)
		die("netlink: %s", strerror(errno));
	query_bridge(nl, bridge, br_index, &bi);
	if (!bi.is_bridge)
		die("%s is not a bridge", bridge);
	if (vlan && !bi.vlan_filtering)
		die("bridge %s has VLAN filtering off, so vlan=%ld cannot be kept apart "
		    "(turn it on: ip link set %s type bridge vlan_filtering 1)", bridge, vlan, bridge);

	tap_fd = make_tap(vnet, tap_name);
	tap_index = if_nametoindex(tap_name);
	err = tap_index ? set_master(nl, tap_index, br_index, bi.mtu) : -ENODEV;
	if (err < 0)
		die("cannot attach %s to %s: %s", tap_name, bridge, strerror(-err));
	if (vlan) {
		/* An access port: frames from the guest go to VID (PVID),
		 * frames of VID leave untagged; then out of the bridge's
		 * default VLAN, which the port joined when it was enslaved. */
		err = port_vlan(nl, tap_index, RTM_SETLINK, vlan, BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED);
		if (err < 0)
			die("cannot put %s in VLAN %ld: %s", tap_name, vlan, strerror(-err));
		if (bi.default_pvid && bi.default_pvid != vlan) {
			err = port_vlan(nl, tap_index, RTM_DELLINK, bi.default_pvid, 0);
			if (err < 0 && err != -ENOENT)
				die("cannot take %s out of VLAN %u: %s", tap_name, bi.default_pvid, strerror(-err));
		}
	}
	err = set_up(nl, tap_index);
	if (err < 0)
		die("cannot set %s up: %s", tap_name, strerror(-err));
	close(nl);
	send_fd(sock, tap_fd);
	return 0;
}
