/* vnc.h — the machine's screen, keyboard and mouse over VNC (RFB 3.8,
 * RFC 6143), served by libvncserver on a UNIX socket only.
 *
 * One display thread owns everything libvncserver touches: it accepts
 * connections on our own listening socket (mode 0600, peers checked with
 * SO_PEERCRED), reads KVM's dirty log 30 times a second and marks only the
 * changed scanlines as modified, and turns key and pointer events into
 * i8042 scancodes, and pointer events into virtio-input tablet reports
 * (PS/2 mouse packets while no tablet driver runs).  Other threads only read its
 * counters.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "device.h"
#include "devices.h"
#include "framebuffer.h"

struct vnc_server;

/* tablet: a virtio-input tablet for the pointer, or NULL (PS/2 only).
 * tcp_port: 0, or also listen on 127.0.0.1:tcp_port and ask those clients
 * for the password in the first line of password_file (VNC authentication;
 * clients on the UNIX socket get none: the file mode is their lock). */
struct vnc_server *vnc_server_new(struct framebuffer *fb, struct i8042 *kbd, struct virtio_device *tablet,
                                  const char *socket_path, unsigned int tcp_port,
                                  const char *password_file, GError **error);
/* Disconnects the clients, joins the thread, removes the socket file. */
void vnc_server_free(struct vnc_server *s);
const char *vnc_server_socket_path(struct vnc_server *s);

/* The "display" member of query-stats (docs/vmm-api.md). */
JsonNode *vnc_server_stats(struct vnc_server *s);
