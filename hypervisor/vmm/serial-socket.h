/* serial-socket.h — COM1 on a listening UNIX socket (--serial socket=PATH),
 * so that a program (the app's console) can attach and detach at will. */
#pragma once

#include <glib.h>

#include "devices.h"

struct serial_socket;

/* Listens on @path (mode 0600; a stale socket is replaced).  One client at
 * a time: the guest's output goes to it and what it sends is typed into the
 * UART; a second client is turned away until the first one leaves.  While
 * nobody is attached, output is dropped, as on a line with no terminal. */
struct serial_socket *serial_socket_new(const char *path, struct serial *serial, GError **error);
void serial_socket_free(struct serial_socket *ss);
