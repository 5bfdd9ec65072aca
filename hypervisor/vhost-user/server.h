/* server.h — the vhost-user front door: one virtio device served to QEMU
 * (or any vhost-user front-end) over a UNIX socket.
 *
 * The server knows the socket protocol (QEMU's docs/interop/vhost-user.rst)
 * and nothing about what the device does: it negotiates features, maps the
 * guest memory the front-end sends as fds, translates ring addresses from
 * the front-end's address space to guest-physical ones, hands kick and call
 * eventfds to the device's queues and drives the device only through
 * hypervisor/virtio/device.h — exactly as the PCI transport does.
 *
 * One front-end at a time.  When it goes away the device is reset and guest
 * memory unmapped, and the server waits for the next one.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "device.h"

struct vhost_user_server;

/* Binds and listens on `socket_path` (an existing socket file there is
 * replaced; any other file is an error).  The server does not own `dev`.
 * Returns NULL with *error (g_free it) set on failure. */
struct vhost_user_server *vhost_user_server_new(const char *socket_path,
                                                struct virtio_device *dev,
                                                char **error);

/* A GLib context whose sources the server's loop runs too, in its own
 * thread (virtio-net's backend: the tap's fd, libslirp's sockets). */
void vhost_user_server_set_context(struct vhost_user_server *server, GMainContext *context);

/* What GET_QUEUE_NUM answers; the device's queue count unless set.  The
 * spec says "queues", but QEMU's vhost-user-net compares the answer with
 * its queue *pairs* (net/vhost-user.c, as DPDK's back-end answers): the
 * virtio-net back-end sets its pair count. */
void vhost_user_server_set_queue_num(struct vhost_user_server *server, unsigned int queue_num);

/* Serves front-ends one after the other until SIGTERM or SIGINT arrives
 * (the caller must have blocked both, and SIGUSR1, in every thread: the
 * server reads them from a signalfd).  SIGUSR1 prints the device's
 * counters on stderr ("vhost-user: stats …" lines, the names of
 * query-stats), as does the end.  Returns 0, or 1 after a fatal error on
 * the listening socket. */
int vhost_user_server_run(struct vhost_user_server *server);

/* Serves the requests already waiting on `fd`, a connected front-end's
 * socket, without blocking, then disconnects it (closing `fd`).  For the
 * fuzzer (hypervisor/vhost-user/fuzz-vhost-user.c) and tests; the server
 * must have no front-end connected. */
void vhost_user_server_serve_fd(struct vhost_user_server *server, int fd);

/* Stop (or resume) logging what the front-end got wrong to stderr: the
 * fuzzer sends millions of wrong requests. */
void vhost_user_set_quiet(bool quiet);

/* Closes every fd, unmaps memory and removes the socket file. */
void vhost_user_server_free(struct vhost_user_server *server);
