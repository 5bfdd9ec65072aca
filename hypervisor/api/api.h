/* api.h — the control socket: JSON lines over a UNIX socket (mode 0600).
 *
 * Each line a client sends is one command, each line we send is one reply
 * or one event, shaped like QMP:
 *   → {"execute": "query-status", "id": 7}
 *   ← {"return": {"status": "running"}, "id": 7}
 *   ← {"error": {"class": "CommandNotFound", "desc": "…"}, "id": 7}
 *   ← {"event": "STATE_CHANGE", "data": {"status": "paused"}, "timestamp": {…}}
 * docs/vmm-api.md has every command and event.  This file knows sockets and
 * JSON, not machines: commands go to a handler the VMM supplies.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

struct api_server;

/* Returns the reply's "return" member (a new node), or NULL with *error
 * set (domain ignored; error->message becomes "desc").  `command` is one of
 * api_commands; an argument the command takes as a string, when present,
 * holds a string (checked before the handler runs). */
typedef JsonNode *(*api_command_fn)(const char *command, JsonObject *arguments,
                                    void *data, GError **error);

struct api_server *api_server_new(const char *path, GMainContext *context,
                                  api_command_fn handler, void *data, GError **error);
/* Send an event to every connected client; `data` may be NULL, is consumed. */
void api_server_emit(struct api_server *api, const char *event, JsonNode *data);
void api_server_free(struct api_server *api);

/* One line a client sent, parsed and checked, and the reply to send back
 * (a new node): the error for a malformed request, else what `handler`
 * returned for the command.  Every line a client sends goes through here;
 * it is public for the fuzzer (hypervisor/api/fuzz-api.c). */
JsonNode *api_handle_line(const char *line, api_command_fn handler, void *data);

/* The command names, for --help and the greeting. */
extern const char *const api_commands[];
