/* slirp.c — `--net user`: user-mode networking through libslirp.
 *
 * libslirp is a TCP/IP stack in the VMM's own process, the one QEMU's
 * `-netdev user` uses: the guest sees 10.0.2.0/24 with a gateway at
 * 10.0.2.2, a DNS forwarder at 10.0.2.3 and a DHCP server that hands out
 * 10.0.2.15 onwards; its TCP and UDP flows become ordinary sockets of this
 * process.  No privileges, no devices, nothing to set up on the host.
 *
 * libslirp is not thread-safe: every call into it happens in the thread
 * that runs the context passed to start (the VMM's I/O thread — kicks
 * from the guest arrive there too).  It is driven by one GSource:
 * prepare asks slirp_pollfds_fill() which sockets to watch and for how
 * long, dispatch hands the results to slirp_pollfds_poll() and runs
 * slirp's timers.  Frames slirp sends to the guest are queued and handed
 * to the device from dispatch, never from inside ops->send (the device
 * holds its lock there); when the guest has no room they wait, up to
 * QUEUE_MAX frames, then are dropped (TCP retransmits, as libslirp's
 * send_packet contract allows).
 *
 * save-state / --restore (hypervisor/vmm/savestate.c): the restored VMM
 * makes a new libslirp from the same --net option; libslirp's own state
 * is not in the file.  libslirp has slirp_state_save/load, but what they
 * keep cannot be used here: a restore is a new process, so the host-side
 * sockets of the guest's flows — the client of a host port forward, the
 * outbound connections — are gone with the old one, and slirp_state_load
 * would open outbound flows afresh mid-stream to peers that know nothing
 * of them.  (It would also have to run in the I/O thread while the save
 * holds the device locks that thread may be waiting for.)  So: the guest's
 * TCP connections through libslirp end (it gets a reset), frames queued
 * here are dropped like any in flight, and the rest needs no state — the
 * guest keeps its address (10.0.2.15 onwards from the DHCP lease in its
 * own memory), libslirp learns its MAC again by ARP, and a DHCP renewal
 * asks for the address it has, which a new libslirp hands out as it is
 * free (bootp.c, request_addr).  tests/vmm/test-vmm-net.c
 * (/vmm-net/save-restore-user) checks a port forward reaches the restored
 * guest.
 */
#include "backend.h"

#include <arpa/inet.h>
#include <errno.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <string.h>

#define QUEUE_MAX 256

struct slirp_timer {
	SlirpTimerCb cb;
	void *cb_opaque;
	int64_t expire_ms;      /* -1: not armed */
};

struct slirp_backend {
	struct net_backend be;
	Slirp *slirp;
	GSource *source;
	GArray *polls;          /* gpointer tags from g_source_add_unix_fd */
	GArray *have, *want;    /* struct slirp_poll: the source's fds, libslirp's wish */
	GPtrArray *timers;      /* struct slirp_timer * */
	GQueue queue;           /* GBytes * frames for the guest */
	int64_t poll_deadline_ms;   /* when libslirp wants polling again, -1: never */
	uint64_t queue_drops;
};

struct slirp_poll {
	int fd;
	GIOCondition cond;
};

struct slirp_source {
	GSource source;
	struct slirp_backend *s;
};

/* ---- callbacks from libslirp -------------------------------------------- */

static ssize_t
cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct slirp_backend *s = opaque;

	if (g_queue_get_length(&s->queue) >= QUEUE_MAX) {
		s->queue_drops++;
		return len;
	}
	g_queue_push_tail(&s->queue, g_bytes_new(buf, len));
	if (s->source)
		g_source_set_ready_time(s->source, 0);
	return len;
}

static void
cb_guest_error(const char *msg, void *opaque)
{
	g_printerr("glassbox-vmm: user network: guest error: %s\n", msg);
}

static int64_t
cb_clock_get_ns(void *opaque)
{
	return g_get_monotonic_time() * 1000;
}

static void *
cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct slirp_backend *s = opaque;
	struct slirp_timer *t = g_new0(struct slirp_timer, 1);

	t->cb = cb;
	t->cb_opaque = cb_opaque;
	t->expire_ms = -1;
	g_ptr_array_add(s->timers, t);
	return t;
}

static void
cb_timer_free(void *timer, void *opaque)
{
	struct slirp_backend *s = opaque;

	g_ptr_array_remove_fast(s->timers, timer);   /* frees it */
}

static void
cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct slirp_timer *t = timer;

	t->expire_ms = expire_ms;
}

static void
cb_register_poll_fd(int fd, void *opaque)
{
}

static void
cb_unregister_poll_fd(int fd, void *opaque)
{
}

static void
cb_notify(void *opaque)
{
	struct slirp_backend *s = opaque;

	/* A socket may take more data: poll again soon. */
	if (s->source)
		g_source_set_ready_time(s->source, 0);
}

static const SlirpCb slirp_callbacks = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_new = cb_timer_new,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_poll_fd,
	.unregister_poll_fd = cb_unregister_poll_fd,
	.notify = cb_notify,
};

/* ---- the GSource --------------------------------------------------------- */

static int
add_poll(int fd, int events, void *opaque)
{
	struct slirp_backend *s = opaque;
	GIOCondition cond = 0;

	if (events & SLIRP_POLL_IN)
		cond |= G_IO_IN;
	if (events & SLIRP_POLL_OUT)
		cond |= G_IO_OUT;
	if (events & SLIRP_POLL_PRI)
		cond |= G_IO_PRI;
	if (events & SLIRP_POLL_ERR)
		cond |= G_IO_ERR;
	if (events & SLIRP_POLL_HUP)
		cond |= G_IO_HUP;
	/* Only noted here: slirp_source_prepare changes the source's fds
	 * when the set differs (see there). */
	g_array_append_val(s->want, ((struct slirp_poll) { fd, cond }));
	return s->want->len - 1;
}

static int
get_revents(int idx, void *opaque)
{
	struct slirp_backend *s = opaque;
	GIOCondition cond;
	int events = 0;

	if (idx < 0 || (guint) idx >= s->polls->len)
		return 0;
	cond = g_source_query_unix_fd(s->source, g_array_index(s->polls, gpointer, idx));
	if (cond & G_IO_IN)
		events |= SLIRP_POLL_IN;
	if (cond & G_IO_OUT)
		events |= SLIRP_POLL_OUT;
	if (cond & G_IO_PRI)
		events |= SLIRP_POLL_PRI;
	if (cond & G_IO_ERR)
		events |= SLIRP_POLL_ERR;
	if (cond & G_IO_HUP)
		events |= SLIRP_POLL_HUP;
	return events;
}

static void
drop_polls(struct slirp_backend *s)
{
	for (guint i = 0; i < s->polls->len; i++)
		g_source_remove_unix_fd(s->source, g_array_index(s->polls, gpointer, i));
	g_array_set_size(s->polls, 0);
	g_array_set_size(s->have, 0);
}

/* The fds libslirp asked for this time (s->want) become the source's, if
 * they are not already: adding or removing a source's fd wakes its
 * context up (g_main_context_add_poll), so doing it on every prepare
 * made the I/O thread spin. */
static void
sync_polls(struct slirp_backend *s)
{
	/* (An empty GArray's data may be NULL, which memcmp() must not get.) */
	if (s->want->len == s->have->len &&
	    (s->want->len == 0 ||
	     memcmp(s->want->data, s->have->data, s->want->len * sizeof(struct slirp_poll)) == 0))
		return;
	drop_polls(s);
	for (guint i = 0; i < s->want->len; i++) {
		struct slirp_poll *p = &g_array_index(s->want, struct slirp_poll, i);
		gpointer tag = g_source_add_unix_fd(s->source, p->fd, p->cond);

		g_array_append_val(s->polls, tag);
	}
	g_array_append_vals(s->have, s->want->data, s->want->len);
}

static gboolean
slirp_source_prepare(GSource *source, gint *timeout)
{
	struct slirp_backend *s = ((struct slirp_source *) source)->s;
	uint32_t t = UINT32_MAX;
	int64_t now_ms = g_get_monotonic_time() / 1000;

	/* The set of sockets changes as the guest opens and closes flows:
	 * ask libslirp afresh before every poll, as QEMU's main loop does. */
	g_array_set_size(s->want, 0);
	slirp_pollfds_fill(s->slirp, &t, add_poll, s);
	sync_polls(s);
	/* libslirp's own timeout (its TCP timers, a frame waiting for an
	 * ARP reply: if_start) counts even when no socket becomes ready —
	 * QEMU calls slirp_pollfds_poll after every poll, timed out or not. */
	if (t != UINT32_MAX && (s->poll_deadline_ms < 0 || now_ms + t < s->poll_deadline_ms))
		s->poll_deadline_ms = now_ms + t;
	if (s->poll_deadline_ms >= 0)
		t = (uint32_t) MAX(s->poll_deadline_ms - now_ms, 0);
	for (guint i = 0; i < s->timers->len; i++) {
		struct slirp_timer *tm = g_ptr_array_index(s->timers, i);

		if (tm->expire_ms >= 0)
			t = MIN(t, (uint32_t) MAX(tm->expire_ms - now_ms, 0));
	}
	*timeout = t == UINT32_MAX ? -1 : (gint) MIN(t, (uint32_t) G_MAXINT);
	return t == 0;
}

static gboolean
slirp_source_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
	struct slirp_backend *s = ((struct slirp_source *) source)->s;
	int64_t now_ms = g_get_monotonic_time() / 1000;
	GBytes *frame;

	g_source_set_ready_time(source, -1);
	s->poll_deadline_ms = -1;
	slirp_pollfds_poll(s->slirp, 0, get_revents, s);
	for (guint i = 0; i < s->timers->len; i++) {
		struct slirp_timer *tm = g_ptr_array_index(s->timers, i);

		if (tm->expire_ms >= 0 && tm->expire_ms <= now_ms) {
			tm->expire_ms = -1;
			tm->cb(tm->cb_opaque);   /* may free or add timers: restart */
			i = (guint) -1;
			now_ms = g_get_monotonic_time() / 1000;
		}
	}
	while ((frame = g_queue_peek_head(&s->queue)) != NULL) {
		gsize len;
		struct iovec iov;

		iov.iov_base = (void *) g_bytes_get_data(frame, &len);
		iov.iov_len = len;
		if (!s->be.client.receive(s->be.client.opaque, &iov, 1))
			break;   /* the guest has no room: wait for rx_ready */
		g_bytes_unref(g_queue_pop_head(&s->queue));
	}
	return G_SOURCE_CONTINUE;
}

/* Sockets that became ready are seen by GLib itself; a timer that ran out,
 * or libslirp's poll timeout, is ours to report. */
static gboolean
slirp_source_check(GSource *source)
{
	struct slirp_backend *s = ((struct slirp_source *) source)->s;
	int64_t now_ms = g_get_monotonic_time() / 1000;

	if (s->poll_deadline_ms >= 0 && s->poll_deadline_ms <= now_ms)
		return TRUE;
	for (guint i = 0; i < s->timers->len; i++) {
		struct slirp_timer *tm = g_ptr_array_index(s->timers, i);

		if (tm->expire_ms >= 0 && tm->expire_ms <= now_ms)
			return TRUE;
	}
	return FALSE;
}

static GSourceFuncs slirp_source_funcs = {
	.prepare = slirp_source_prepare,
	.check = slirp_source_check,
	.dispatch = slirp_source_dispatch,
};

/* ---- backend ops ---------------------------------------------------------- */

static bool
user_start(struct net_backend *be, GMainContext *context, GError **error)
{
	struct slirp_backend *s = (struct slirp_backend *) be;

	s->source = g_source_new(&slirp_source_funcs, sizeof(struct slirp_source));
	((struct slirp_source *) s->source)->s = s;
	g_source_set_name(s->source, "user network");
	g_source_attach(s->source, context);
	return true;
}

static bool
user_send(struct net_backend *be, const struct iovec *iov, unsigned int n)
{
	struct slirp_backend *s = (struct slirp_backend *) be;
	uint8_t buf[NET_MAX_FRAME];
	size_t len = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (iov[i].iov_len > sizeof(buf) - len) {
			be->tx_errors++;
			return false;
		}
		memcpy(buf + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	/* Replies slirp makes right away land in our queue (cb_send_packet). */
	slirp_input(s->slirp, buf, len);
	return true;
}

static void
user_rx_ready(struct net_backend *be)
{
	struct slirp_backend *s = (struct slirp_backend *) be;

	if (s->source && !g_queue_is_empty(&s->queue))
		g_source_set_ready_time(s->source, 0);
}

static void
user_free(struct net_backend *be)
{
	struct slirp_backend *s = (struct slirp_backend *) be;

	if (s->source) {
		drop_polls(s);
		g_source_destroy(s->source);
	}
	if (s->slirp)
		slirp_cleanup(s->slirp);
	if (s->source)
		g_source_unref(s->source);
	g_queue_clear_full(&s->queue, (GDestroyNotify) g_bytes_unref);
	g_ptr_array_unref(s->timers);
	g_array_unref(s->polls);
	g_array_unref(s->have);
	g_array_unref(s->want);
	g_free(s);
}

static const struct net_backend_ops user_ops = {
	.kind = "user",
	.start = user_start,
	.send = user_send,
	.rx_ready = user_rx_ready,
	.free = user_free,
};

/* "tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT", QEMU's hostfwd syntax.
 * An empty host address means 127.0.0.1 (QEMU's means every address: we
 * keep a guest's services off the network unless asked). */
static bool
add_hostfwd(struct slirp_backend *s, const char *rule, GError **error)
{
	char proto[4], haddr[64] = "", gaddr[64] = "";
	unsigned int hport, gport;
	struct in_addr host, guest = { 0 };
	int consumed = 0;
	bool udp;

	if (sscanf(rule, "%3[a-z]:%63[0-9.]:%u-%63[0-9.]:%u%n", proto, haddr, &hport, gaddr, &gport, &consumed) < 5 &&
	    sscanf(rule, "%3[a-z]::%u-%63[0-9.]:%u%n", proto, &hport, gaddr, &gport, &consumed) < 4 &&
	    sscanf(rule, "%3[a-z]:%63[0-9.]:%u-:%u%n", proto, haddr, &hport, &gport, &consumed) < 4 &&
	    sscanf(rule, "%3[a-z]::%u-:%u%n", proto, &hport, &gport, &consumed) < 3)
		goto bad;
	if (rule[consumed] != '\0' || hport > 65535 || gport == 0 || gport > 65535)
		goto bad;
	if (!strcmp(proto, "tcp"))
		udp = false;
	else if (!strcmp(proto, "udp"))
		udp = true;
	else
		goto bad;
	if (inet_pton(AF_INET, *haddr ? haddr : "127.0.0.1", &host) != 1)
		goto bad;
	if (*gaddr && inet_pton(AF_INET, gaddr, &guest) != 1)
		goto bad;
	if (slirp_add_hostfwd(s->slirp, udp, host, hport, guest, gport) < 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
		            "hostfwd=%s: cannot listen on %s:%u (%s)", rule, *haddr ? haddr : "127.0.0.1",
		            hport, g_strerror(errno));
		return false;
	}
	return true;

bad:
	g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
	            "hostfwd=%s: expected tcp|udp:[HOSTADDR]:PORT-[GUESTADDR]:PORT", rule);
	return false;
}

struct net_backend *
net_slirp_new(GPtrArray *hostfwd, bool restricted, GError **error)
{
	struct slirp_backend *s = g_new0(struct slirp_backend, 1);
	SlirpConfig cfg = {
		.version = 1,
		/* restrict=on: the guest reaches nothing outside; only the
		 * host's forwards reach in (QEMU's -netdev user,restrict=on). */
		.restricted = restricted,
		.in_enabled = true,
		.if_mtu = 1500,
		.if_mru = 1500,
	};

	net_backend_init(&s->be, &user_ops, restricted ? "user (restricted)" : "user");
	s->polls = g_array_new(FALSE, FALSE, sizeof(gpointer));
	s->have = g_array_new(FALSE, FALSE, sizeof(struct slirp_poll));
	s->want = g_array_new(FALSE, FALSE, sizeof(struct slirp_poll));
	s->timers = g_ptr_array_new_with_free_func(g_free);
	g_queue_init(&s->queue);
	s->poll_deadline_ms = -1;
	/* QEMU's defaults, which guides and guests expect (virtio 1.2 has
	 * nothing to say here: this is the host's side). */
	inet_pton(AF_INET, "10.0.2.0", &cfg.vnetwork);
	inet_pton(AF_INET, "255.255.255.0", &cfg.vnetmask);
	inet_pton(AF_INET, "10.0.2.2", &cfg.vhost);
	inet_pton(AF_INET, "10.0.2.15", &cfg.vdhcp_start);
	inet_pton(AF_INET, "10.0.2.3", &cfg.vnameserver);
	cfg.vhostname = "glassbox";
	s->slirp = slirp_new(&cfg, &slirp_callbacks, s);
	if (s->slirp == NULL) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "user network: libslirp would not start");
		net_backend_free(&s->be);
		return NULL;
	}
	for (guint i = 0; hostfwd && i < hostfwd->len; i++) {
		if (!add_hostfwd(s, g_ptr_array_index(hostfwd, i), error)) {
			net_backend_free(&s->be);
			return NULL;
		}
	}
	return &s->be;
}
