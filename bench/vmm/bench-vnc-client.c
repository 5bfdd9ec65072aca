/* bench-vnc-client.c — watch a VNC server on a UNIX socket for a while, as
 * GbDisplay does for a local server (gvnc, Raw encoding, 32-bit pixels, one
 * incremental request per batch of rectangles), and count what arrived.
 *
 * usage: bench-vnc-client SOCKET SECONDS
 * prints: "rects N pixels P bytes B" — B is what Raw costs on the wire for
 * those rectangles (12-byte header + 4 bytes a pixel each).
 */
#include <gio/gunixsocketaddress.h>
#include <gvnc.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
	VncConnection *conn;
	VncBaseFramebuffer *fb;
	guint8 *pixels;
	gboolean ready, closed, counting;
	guint idle;
	guint64 rects, pixels_in;
} Watch;

static const VncPixelFormat format = {
	.bits_per_pixel = 32, .depth = 24, .byte_order = G_BYTE_ORDER, .true_color_flag = 1,
	.red_max = 255, .green_max = 255, .blue_max = 255,
	.red_shift = 16, .green_shift = 8, .blue_shift = 0,
};

static gboolean
request(gpointer data)
{
	Watch *w = data;

	w->idle = 0;
	vnc_connection_framebuffer_update_request(w->conn, TRUE, 0, 0, vnc_connection_get_width(w->conn),
	                                          vnc_connection_get_height(w->conn));
	return G_SOURCE_REMOVE;
}

static void
on_initialized(VncConnection *conn, Watch *w)
{
	gint32 enc[] = { VNC_CONNECTION_ENCODING_RAW };
	int width = vnc_connection_get_width(conn), height = vnc_connection_get_height(conn);

	vnc_connection_set_pixel_format(conn, &format);
	vnc_connection_set_encodings(conn, 1, enc);
	w->pixels = g_malloc0((gsize) width * height * 4);
	w->fb = vnc_base_framebuffer_new(w->pixels, width, height, width * 4, &format, &format);
	vnc_connection_set_framebuffer(conn, VNC_FRAMEBUFFER(w->fb));
	vnc_connection_framebuffer_update_request(conn, FALSE, 0, 0, width, height);
	w->ready = TRUE;
}

static void
on_update(VncConnection *conn, guint16 x, guint16 y, guint16 width, guint16 height, Watch *w)
{
	if (w->counting) {
		w->rects++;
		w->pixels_in += (guint64) width * height;
	}
	if (w->idle == 0)
		w->idle = g_idle_add_full(G_PRIORITY_HIGH_IDLE, request, w, NULL);
}

static void
on_choose(VncConnection *conn, GValueArray *types, Watch *w)
{
	vnc_connection_set_auth_type(conn, VNC_CONNECTION_AUTH_NONE);
}

static void
on_disconnected(VncConnection *conn, Watch *w)
{
	w->closed = TRUE;
}

static gboolean
set_flag(gpointer data)
{
	*(gboolean *) data = TRUE;
	return G_SOURCE_REMOVE;
}

static void
run_for(Watch *w, guint ms)
{
	gboolean done = FALSE;

	g_timeout_add(ms, set_flag, &done);
	while (!done && !w->closed)
		g_main_context_iteration(NULL, TRUE);
}

int
main(int argc, char **argv)
{
	Watch w = { 0 };
	GSocketAddress *addr;
	gint64 end;

	if (argc != 3) {
		fprintf(stderr, "usage: bench-vnc-client SOCKET SECONDS\n");
		return 2;
	}
	addr = g_unix_socket_address_new(argv[1]);
	w.conn = vnc_connection_new();
	g_signal_connect(w.conn, "vnc-initialized", G_CALLBACK(on_initialized), &w);
	g_signal_connect(w.conn, "vnc-framebuffer-update", G_CALLBACK(on_update), &w);
	g_signal_connect(w.conn, "vnc-auth-choose-type", G_CALLBACK(on_choose), &w);
	g_signal_connect(w.conn, "vnc-disconnected", G_CALLBACK(on_disconnected), &w);
	vnc_connection_set_shared(w.conn, TRUE);
	if (!vnc_connection_open_addr(w.conn, addr, NULL))
		return 1;
	end = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
	while (!w.ready && !w.closed && g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, TRUE);
	if (!w.ready) {
		fprintf(stderr, "bench-vnc-client: no connection to %s\n", argv[1]);
		return 1;
	}
	/* Start counting a second in, in steady state. */
	run_for(&w, 1000);
	w.counting = TRUE;
	printf("start\n");
	fflush(stdout);
	run_for(&w, (guint) (atof(argv[2]) * 1000));
	printf("rects %" G_GUINT64_FORMAT " pixels %" G_GUINT64_FORMAT " bytes %" G_GUINT64_FORMAT "\n",
	       w.rects, w.pixels_in, w.pixels_in * 4 + w.rects * 12);
	fflush(stdout);
	if (w.idle)
		g_source_remove(w.idle);
	vnc_connection_shutdown(w.conn);
	g_object_unref(w.conn);
	g_clear_object(&w.fb);
	g_free(w.pixels);
	g_object_unref(addr);
	return 0;
}
