/* server.c — accept clients on the control socket, read JSON lines,
 * answer them, and fan events out to everyone connected. */

#include "config.h"
#include "api.h"

#include <errno.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

const char *const api_commands[] = {
	"query-status", "query-stats", "pause", "resume", "powerdown", "reset", "stop",
	"query-display", "screendump", "save-state", NULL,
};

struct client {
	struct api_server *api;
	GSocketConnection *conn;
	GDataInputStream *in;
	GCancellable *cancel;
	bool dead;             /* stopped reading: dropped at the next chance */
};

struct api_server {
	char *path;
	GSocketService *service;
	GMainContext *context;
	api_command_fn handler;
	void *data;
	GList *clients;
	guint sweep_id;        /* idle source dropping dead clients */
};

static void
client_free(struct client *c)
{
	g_cancellable_cancel(c->cancel);
	g_object_unref(c->cancel);
	g_object_unref(c->in);
	g_io_stream_close(G_IO_STREAM(c->conn), NULL, NULL);
	g_object_unref(c->conn);
	g_free(c);
}

static void
client_drop(struct client *c)
{
	c->api->clients = g_list_remove(c->api->clients, c);
	client_free(c);
}

/* Replies and events are small and the peer is local, so they are written
 * at once, without waiting for the main loop: nothing is lost if the VMM
 * exits right after.  The socket is never allowed to block us, though: a
 * client that lets the kernel's buffer (hundreds of KiB) fill up has stopped
 * reading, and is dropped rather than freezing the VMM. */
static void
client_send(struct client *c, JsonNode *node)
{
	g_autofree char *text = json_to_string(node, FALSE);
	g_autofree char *line = g_strconcat(text, "\n", NULL);
	GSocket *sock = g_socket_connection_get_socket(c->conn);
	gsize len = strlen(line), done = 0;

	while (!c->dead && done < len) {
		gssize n = g_socket_send_with_blocking(sock, line + done, len - done, FALSE, NULL, NULL);
		if (n <= 0)
			c->dead = true;
		else
			done += n;
	}
}

static JsonNode *
error_reply(const char *klass, const char *desc, JsonNode *id)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "error");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "class");
	json_builder_add_string_value(b, klass);
	json_builder_set_member_name(b, "desc");
	json_builder_add_string_value(b, desc);
	json_builder_end_object(b);
	if (id) {
		json_builder_set_member_name(b, "id");
		json_builder_add_value(b, json_node_copy(id));
	}
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static JsonNode *
handle_line(struct api_server *api, const char *line)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonObject *req, *args = NULL;
	JsonNode *root, *id, *ret;
	const char *cmd;

	if (!json_parser_load_from_data(parser, line, -1, &error))
		return error_reply("GenericError", "not valid JSON", NULL);
	root = json_parser_get_root(parser);
	if (!JSON_NODE_HOLDS_OBJECT(root))
		return error_reply("GenericError", "expected a JSON object", NULL);
	req = json_node_get_object(root);
	id = json_object_get_member(req, "id");
	if (!json_object_has_member(req, "execute") ||
	    json_node_get_value_type(json_object_get_member(req, "execute")) != G_TYPE_STRING)
		return error_reply("GenericError", "missing \"execute\"", id);
	cmd = json_object_get_string_member(req, "execute");
	if (json_object_has_member(req, "arguments")) {
		JsonNode *a = json_object_get_member(req, "arguments");
		if (!JSON_NODE_HOLDS_OBJECT(a))
			return error_reply("GenericError", "\"arguments\" must be an object", id);
		args = json_node_get_object(a);
	}
	if (!g_strv_contains(api_commands, cmd)) {
		g_autofree char *desc = g_strdup_printf("unknown command \"%s\"", cmd);
		return error_reply("CommandNotFound", desc, id);
	}

	ret = api->handler(cmd, args, api->data, &error);
	if (ret == NULL)
		return error_reply("GenericError", error ? error->message : "failed", id);

	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "return");
	json_builder_add_value(b, ret);
	if (id) {
		json_builder_set_member_name(b, "id");
		json_builder_add_value(b, json_node_copy(id));
	}
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static void read_next(struct client *c);

static void
line_read(GObject *source, GAsyncResult *res, gpointer data)
{
	struct client *c = data;
	g_autoptr(GError) error = NULL;
	g_autofree char *line = NULL;
	gsize len;

	line = g_data_input_stream_read_line_finish_utf8(G_DATA_INPUT_STREAM(source), res, &len, &error);
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;   /* the client is being freed */
	if (line == NULL) {
		client_drop(c);   /* EOF or error: the client went away */
		return;
	}
	g_strstrip(line);
	if (*line) {
		JsonNode *reply = handle_line(c->api, line);
		client_send(c, reply);
		json_node_unref(reply);
	}
	if (c->dead) {
		client_drop(c);
		return;
	}
	read_next(c);
}

static void
read_next(struct client *c)
{
	g_data_input_stream_read_line_async(c->in, G_PRIORITY_DEFAULT, c->cancel, line_read, c);
}

static gboolean
on_incoming(GSocketService *service, GSocketConnection *conn, GObject *source, gpointer data)
{
	struct api_server *api = data;
	struct client *c = g_new0(struct client, 1);
	g_autoptr(JsonBuilder) b = json_builder_new();
	JsonNode *greeting;

	c->api = api;
	c->conn = g_object_ref(conn);
	c->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(conn)));
	c->cancel = g_cancellable_new();
	api->clients = g_list_prepend(api->clients, c);

	/* A greeting tells the client what it is talking to. */
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "greeting");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "program");
	json_builder_add_string_value(b, "glassbox-vmm");
	json_builder_set_member_name(b, "version");
	json_builder_add_string_value(b, PACKAGE_VERSION);
	json_builder_set_member_name(b, "commands");
	json_builder_begin_array(b);
	for (unsigned int i = 0; api_commands[i]; i++)
		json_builder_add_string_value(b, api_commands[i]);
	json_builder_end_array(b);
	json_builder_end_object(b);
	json_builder_end_object(b);
	greeting = json_builder_get_root(b);
	client_send(c, greeting);
	json_node_unref(greeting);

	read_next(c);
	return TRUE;
}

struct api_server *
api_server_new(const char *path, GMainContext *context, api_command_fn handler, void *data, GError **error)
{
	struct api_server *api = g_new0(struct api_server, 1);
	/* Bound and listening under a temporary name, then renamed into place:
	 * a client that sees PATH can connect at once (a socket file that
	 * exists before listen() refuses connections). */
	g_autofree char *tmp = g_strdup_printf("%s.%d.tmp", path, (int) getpid());
	gboolean atomic = strlen(tmp) < sizeof(((struct sockaddr_un *) NULL)->sun_path);
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(atomic ? tmp : path);
	mode_t old_umask;
	gboolean ok;

	api->path = g_strdup(path);
	api->context = context;
	api->handler = handler;
	api->data = data;
	api->service = g_socket_service_new();

	/* Create the socket 0600 from the start: no window where another user
	 * could connect.  A stale socket from a crashed run is replaced. */
	if (g_file_test(path, G_FILE_TEST_EXISTS)) {
		struct stat st;
		if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			g_unlink(path);
	}
	old_umask = umask(0177);
	ok = g_socket_listener_add_address(G_SOCKET_LISTENER(api->service), addr, G_SOCKET_TYPE_STREAM,
	                                   G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, error);
	umask(old_umask);
	if (!ok) {
		g_prefix_error(error, "--api-socket %s: ", path);
		g_object_unref(api->service);
		g_free(api->path);
		g_free(api);
		return NULL;
	}
	chmod(atomic ? tmp : path, 0600);
	if (atomic && rename(tmp, path) != 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
		            "--api-socket %s: %s", path, g_strerror(errno));
		g_unlink(tmp);
		g_socket_listener_close(G_SOCKET_LISTENER(api->service));
		g_object_unref(api->service);
		g_free(api->path);
		g_free(api);
		return NULL;
	}
	g_signal_connect(api->service, "incoming", G_CALLBACK(on_incoming), api);
	g_socket_service_start(api->service);
	return api;
}

static gboolean
sweep_dead(gpointer data)
{
	struct api_server *api = data;

	for (GList *l = api->clients, *next; l; l = next) {
		next = l->next;
		if (((struct client *) l->data)->dead)
			client_drop(l->data);
	}
	api->sweep_id = 0;
	return G_SOURCE_REMOVE;
}

void
api_server_emit(struct api_server *api, const char *event, JsonNode *data)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	gint64 now = g_get_real_time();
	JsonNode *node;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "event");
	json_builder_add_string_value(b, event);
	if (data) {
		json_builder_set_member_name(b, "data");
		json_builder_add_value(b, data);
	}
	json_builder_set_member_name(b, "timestamp");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "seconds");
	json_builder_add_int_value(b, now / G_USEC_PER_SEC);
	json_builder_set_member_name(b, "microseconds");
	json_builder_add_int_value(b, now % G_USEC_PER_SEC);
	json_builder_end_object(b);
	json_builder_end_object(b);
	node = json_builder_get_root(b);
	if (api) {
		bool any_dead = false;

		for (GList *l = api->clients; l; l = l->next) {
			client_send(l->data, node);
			any_dead |= ((struct client *) l->data)->dead;
		}
		/* Not freed here: the emitter may be inside that client's own
		 * command handler.  An idle callback sweeps them. */
		if (any_dead && !api->sweep_id) {
			GSource *idle = g_idle_source_new();
			g_source_set_callback(idle, sweep_dead, api, NULL);
			api->sweep_id = g_source_attach(idle, api->context);
			g_source_unref(idle);
		}
	}
	json_node_unref(node);
}

void
api_server_free(struct api_server *api)
{
	if (api == NULL)
		return;
	if (api->sweep_id)
		g_source_destroy(g_main_context_find_source_by_id(api->context, api->sweep_id));
	g_socket_service_stop(api->service);
	g_socket_listener_close(G_SOCKET_LISTENER(api->service));
	g_object_unref(api->service);
	g_list_free_full(api->clients, (GDestroyNotify) client_free);
	g_unlink(api->path);
	g_free(api->path);
	g_free(api);
}
