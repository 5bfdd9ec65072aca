/* test-api-line.c — what the control socket answers to the requests that
 * fuzz-api found mishandled (tests/fuzz/corpus/api/regressions/): a
 * client must always get one line of valid JSON back, and the VMM's
 * command handler must never see an argument of the wrong type. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "api.h"

static int handler_calls;

static JsonNode *
handler(const char *cmd, JsonObject *args, void *data, GError **error)
{
	JsonNode *ret = json_node_new(JSON_NODE_OBJECT);

	handler_calls++;
	json_node_take_object(ret, json_object_new());
	if (!strcmp(cmd, "screendump") || !strcmp(cmd, "save-state"))
		json_object_set_string_member(json_node_get_object(ret), "filename",
		                              json_object_get_string_member(args, "filename"));
	return ret;
}

/* Sends `line`, checks that the reply goes on the wire as valid JSON and
 * returns it parsed. */
static JsonObject *
ask(const char *line)
{
	JsonNode *reply = api_handle_line(line, handler, NULL);
	g_autofree char *text = json_to_string(reply, FALSE);
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonObject *o;

	g_assert_true(g_utf8_validate(text, -1, NULL));
	g_assert_true(json_parser_load_from_data(parser, text, -1, &error));
	g_assert_no_error(error);
	o = json_object_ref(json_node_get_object(json_parser_get_root(parser)));
	json_node_unref(reply);
	return o;
}

static void
assert_error(JsonObject *reply, const char *klass, const char *desc)
{
	JsonObject *e = json_object_get_object_member(reply, "error");

	g_assert_nonnull(e);
	g_assert_cmpstr(json_object_get_string_member(e, "class"), ==, klass);
	g_assert_cmpstr(json_object_get_string_member(e, "desc"), ==, desc);
}

static void
test_comment_only(void)
{
	g_autoptr(JsonObject) r = ask("/* a comment is all there is */");

	assert_error(r, "GenericError", "expected a JSON object");
}

static void
test_infinite_id(void)
{
	g_autoptr(JsonObject) r = ask("{\"execute\": \"query-status\", \"id\": -1e9997}");

	assert_error(r, "GenericError", "\"id\" holds a value JSON cannot write back");
	g_assert_false(json_object_has_member(r, "id"));
}

static void
test_lone_surrogate(void)
{
	g_autoptr(JsonObject) r = ask("{\"execute\": \"\\ud800query-stats\", \"id\": 1}");
	g_autoptr(JsonObject) r2 = ask("{\"execute\": \"query-status\", \"id\": [\"\\udfff\"]}");

	assert_error(r, "GenericError", "a string that is not Unicode or a number out of range");
	g_assert_cmpint(json_object_get_int_member(r, "id"), ==, 1);
	g_assert_false(json_object_has_member(r2, "id"));
}

static void
test_string_argument(void)
{
	g_autoptr(JsonObject) bad = NULL, nul = NULL, save = NULL, good = NULL;

	handler_calls = 0;
	bad = ask("{\"execute\": \"screendump\", \"arguments\": {\"filename\": [null, true, 1.5e3]}}");
	nul = ask("{\"execute\": \"screendump\", \"arguments\": {\"filename\": null}}");
	assert_error(bad, "GenericError", "\"filename\" must be a string");
	save = ask("{\"execute\": \"save-state\", \"arguments\": {\"filename\": {}}}");
	assert_error(nul, "GenericError", "\"filename\" must be a string");
	assert_error(save, "GenericError", "\"filename\" must be a string");
	g_assert_cmpint(handler_calls, ==, 0);

	good = ask("{\"execute\": \"screendump\", \"arguments\": {\"filename\": \"/tmp/s.ppm\"}, \"id\": \"x\"}");
	g_assert_cmpint(handler_calls, ==, 1);
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(good, "return"), "filename"),
	                ==, "/tmp/s.ppm");
	g_assert_cmpstr(json_object_get_string_member(good, "id"), ==, "x");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/api/line/comment-only", test_comment_only);
	g_test_add_func("/api/line/infinite-id", test_infinite_id);
	g_test_add_func("/api/line/lone-surrogate", test_lone_surrogate);
	g_test_add_func("/api/line/string-argument", test_string_argument);
	return g_test_run();
}
