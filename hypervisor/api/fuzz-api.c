/* fuzz-api.c — fuzz target for the control socket's request parsing
 * (api_handle_line in server.c), what any local client can send.  The
 * input is split into lines as the socket splits them (lines that are not
 * UTF-8 are dropped there, so here too); each line goes through the same
 * api_handle_line the server calls, with a handler that reads its
 * arguments as the VMM's (hypervisor/vmm/machine.c) does, and the reply
 * must be what docs/vmm-api.md promises: one line of valid JSON, an object
 * with exactly one of "return" and "error", carrying the request's "id"
 * back.
 *
 * Entry point LLVMFuzzerTestOneInput: built with libFuzzer under
 * -Dfuzzing=true (CC=clang), and always with tests/fuzz/fuzz-driver.c,
 * which the unit and slow suites run. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static JsonNode *
handler(const char *cmd, JsonObject *args, void *data, GError **error)
{
	JsonNode *ret = json_node_new(JSON_NODE_OBJECT);

	json_node_take_object(ret, json_object_new());
	if (!strcmp(cmd, "screendump") || !strcmp(cmd, "save-state")) {
		const char *file = args && json_object_has_member(args, "filename") ?
		                   json_object_get_string_member_with_default(args, "filename", NULL) : NULL;

		if (file == NULL) {
			json_node_unref(ret);
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "screendump needs a filename");
			return NULL;
		}
		json_object_set_string_member(json_node_get_object(ret), "filename", file);
	}
	return ret;
}

static void
check_reply(const char *line, JsonNode *reply)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree char *text = json_to_string(reply, FALSE);
	JsonObject *o;
	JsonNode *req_id = NULL, *reply_id;

	g_assert_true(JSON_NODE_HOLDS_OBJECT(reply));
	o = json_node_get_object(reply);
	g_assert_true(json_object_has_member(o, "return") != json_object_has_member(o, "error"));
	/* What goes on the wire is one line of valid JSON. */
	g_assert_null(strchr(text, '\n'));
	if (!json_parser_load_from_data(parser, text, -1, NULL))
		g_error("the reply to %s is not JSON: %s", line, text);

	/* The id comes back when the request was an object with one. */
	if (json_parser_load_from_data(parser, line, -1, NULL) && json_parser_get_root(parser) &&
	    JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
		req_id = json_object_get_member(json_node_get_object(json_parser_get_root(parser)), "id");
	reply_id = json_object_get_member(o, "id");
	if (req_id && strstr(text, "JSON cannot write back"))
		g_assert_null(reply_id);   /* 1e999, "\\ud800": refused, not echoed */
	else if (req_id)
		g_assert_true(reply_id && json_node_equal(req_id, reply_id));
	else
		g_assert_null(reply_id);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = g_strndup((const char *) data, size);   /* cut at a NUL, as a C string */
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (char **l = lines; *l; l++) {
		JsonNode *reply;

		if (!g_utf8_validate(*l, -1, NULL))
			continue;
		g_strstrip(*l);
		if (**l == '\0')
			continue;
		reply = api_handle_line(*l, handler, NULL);
		check_reply(*l, reply);
		json_node_unref(reply);
	}
	return 0;
}
