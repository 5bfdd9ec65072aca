/* options.c — parse --disk/--serial specs and --config JSON files. */
#include "options.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "backend.h"
#include "block.h"

#define MAX_CPUS 64
#define MAX_MEMORY_MIB (1024 * 1024)

void
vmm_options_init(struct vmm_options *o)
{
	memset(o, 0, sizeof(*o));
	o->memory_mib = 256;
	o->cpus = 1;
	o->serial = OUTPUT_STDIO;
	o->rng = true;
	o->display_width = 1024;
	o->display_height = 768;
	o->disks = g_array_new(FALSE, TRUE, sizeof(struct disk_option));
	o->nets = g_ptr_array_new_with_free_func(g_free);
}

void
vmm_options_clear(struct vmm_options *o)
{
	for (unsigned int i = 0; o->disks && i < o->disks->len; i++) {
		struct disk_option *d = &g_array_index(o->disks, struct disk_option, i);
		g_free(d->path);
		g_free(d->serial);
	}
	if (o->disks)
		g_array_unref(o->disks);
	if (o->nets)
		g_ptr_array_unref(o->nets);
	g_free(o->kernel);
	g_free(o->initrd);
	g_free(o->cmdline);
	g_free(o->serial_path);
	g_free(o->console_path);
	g_free(o->api_socket);
	g_free(o->vnc_socket);
	g_free(o->vnc_password_file);
	g_free(o->restore);
	memset(o, 0, sizeof(*o));
}

static bool
parse_bool(const char *v, bool *out)
{
	if (!g_strcmp0(v, "on") || !g_strcmp0(v, "true") || !g_strcmp0(v, "yes") || !g_strcmp0(v, "1"))
		*out = true;
	else if (!g_strcmp0(v, "off") || !g_strcmp0(v, "false") || !g_strcmp0(v, "no") || !g_strcmp0(v, "0"))
		*out = false;
	else
		return false;
	return true;
}

static bool
parse_format(const char *v, int *out)
{
	if (!g_strcmp0(v, "raw"))
		*out = BLOCK_FORMAT_RAW;
	else if (!g_strcmp0(v, "qcow2"))
		*out = BLOCK_FORMAT_QCOW2;
	else if (!g_strcmp0(v, "auto"))
		*out = BLOCK_FORMAT_AUTO;
	else
		return false;
	return true;
}

bool
vmm_options_add_disk(struct vmm_options *o, const char *spec, GError **error)
{
	g_auto(GStrv) parts = g_strsplit(spec, ",", -1);
	struct disk_option d = { .format = BLOCK_FORMAT_AUTO };

	for (unsigned int i = 0; parts[i]; i++) {
		const char *eq = strchr(parts[i], '=');
		g_autofree char *key = eq ? g_strndup(parts[i], eq - parts[i]) : g_strdup(parts[i]);
		const char *value = eq ? eq + 1 : NULL;

		if (!g_strcmp0(key, "path") && value && *value) {
			g_free(d.path);
			d.path = g_strdup(value);
		} else if (!g_strcmp0(key, "format") && value && parse_format(value, &d.format)) {
		} else if (!g_strcmp0(key, "readonly") && value && parse_bool(value, &d.read_only)) {
		} else if (!g_strcmp0(key, "serial") && value) {
			g_free(d.serial);
			d.serial = g_strndup(value, 20);
		} else {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			            "--disk %s: cannot understand \"%s\" (expected path=FILE, "
			            "format=raw|qcow2, readonly=on|off, serial=ID)", spec, parts[i]);
			g_free(d.path);
			g_free(d.serial);
			return false;
		}
	}
	if (d.path == NULL) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--disk %s: path=FILE is missing", spec);
		g_free(d.serial);
		return false;
	}
	g_array_append_val(o->disks, d);
	return true;
}

bool
vmm_options_add_net(struct vmm_options *o, const char *spec, GError **error)
{
	struct net_spec parsed;

	if (!net_spec_parse(spec, &parsed, error))
		return false;
	net_spec_clear(&parsed);
	g_ptr_array_add(o->nets, g_strdup(spec));
	return true;
}

bool
vmm_options_parse_output(const char *spec, bool allow_pty, OutputKind *kind, char **path, GError **error)
{
	if (!g_strcmp0(spec, "stdio")) {
		*kind = OUTPUT_STDIO;
	} else if (!g_strcmp0(spec, "none")) {
		*kind = OUTPUT_NONE;
	} else if (allow_pty && !g_strcmp0(spec, "pty")) {
		*kind = OUTPUT_PTY;
	} else if (g_str_has_prefix(spec, "file=") && spec[5]) {
		*kind = OUTPUT_FILE;
		g_free(*path);
		*path = g_strdup(spec + 5);
	} else if (g_str_has_prefix(spec, "socket=") && spec[7]) {
		*kind = OUTPUT_SOCKET;
		g_free(*path);
		*path = g_strdup(spec + 7);
	} else {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		            "\"%s\": expected stdio,%s none, file=PATH or socket=PATH", spec, allow_pty ? " pty," : "");
		return false;
	}
	return true;
}

bool
vmm_options_parse_display(struct vmm_options *o, const char *spec, GError **error)
{
	g_auto(GStrv) parts = g_strsplit(spec, ",", -1);

	if (!g_strcmp0(spec, "none")) {
		o->display = false;
		return true;
	}
	if (g_strcmp0(parts[0], "vnc") != 0)
		goto bad;
	for (unsigned int i = 1; parts[i]; i++) {
		unsigned int *field = NULL;
		guint64 v;

		if (g_str_has_prefix(parts[i], "width="))
			field = &o->display_width;
		else if (g_str_has_prefix(parts[i], "height="))
			field = &o->display_height;
		if (field == NULL || !g_ascii_string_to_unsigned(strchr(parts[i], '=') + 1, 10, 16, 8192, &v, NULL))
			goto bad;
		*field = v;
	}
	o->display = true;
	return true;

bad:
	g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
	            "display \"%s\": expected vnc[,width=W][,height=H] (16 to 8192) or none", spec);
	return false;
}

bool
vmm_options_parse_vnc(struct vmm_options *o, const char *spec, GError **error)
{
	g_auto(GStrv) parts = g_strsplit(spec, ",", -1);
	unsigned int port = 0;
	g_autofree char *password_file = NULL;

	for (unsigned int i = 0; parts[i]; i++) {
		guint64 v;

		/* Loopback only: VNC's password scheme (DES challenge) is no
		 * protection on a network, and the traffic is not encrypted. */
		if (g_str_has_prefix(parts[i], "tcp=127.0.0.1:") || g_str_has_prefix(parts[i], "tcp=localhost:")) {
			if (!g_ascii_string_to_unsigned(strrchr(parts[i], ':') + 1, 10, 1, 65535, &v, NULL))
				goto bad;
			port = v;
		} else if (g_str_has_prefix(parts[i], "password-file=") && parts[i][14]) {
			g_free(password_file);
			password_file = g_strdup(parts[i] + 14);
		} else {
			goto bad;
		}
	}
	if (port == 0 || password_file == NULL)
		goto bad;
	o->vnc_tcp_port = port;
	g_free(o->vnc_password_file);
	o->vnc_password_file = g_steal_pointer(&password_file);
	return true;

bad:
	g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
	            "vnc \"%s\": expected tcp=127.0.0.1:PORT,password-file=FILE "
	            "(TCP on loopback only, and only with a password)", spec);
	return false;
}

static const char *
get_string(JsonObject *obj, const char *key, GError **error)
{
	JsonNode *n = json_object_get_member(obj, key);

	if (n == NULL)
		return NULL;
	if (json_node_get_value_type(n) != G_TYPE_STRING) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "\"%s\" must be a string", key);
		return NULL;
	}
	return json_node_get_string(n);
}

static bool
set_string(JsonObject *obj, const char *key, char **out, GError **error)
{
	const char *v = get_string(obj, key, error);

	if (v) {
		g_free(*out);
		*out = g_strdup(v);
	}
	return error == NULL || *error == NULL;
}

static bool
get_int(JsonObject *obj, const char *key, gint64 *out, GError **error)
{
	JsonNode *n = json_object_get_member(obj, key);

	if (n == NULL)
		return true;
	if (json_node_get_value_type(n) != G_TYPE_INT64) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "\"%s\" must be an integer", key);
		return false;
	}
	*out = json_node_get_int(n);
	return true;
}

static bool
get_bool(JsonObject *obj, const char *key, bool *out, GError **error)
{
	JsonNode *n = json_object_get_member(obj, key);

	if (n == NULL)
		return true;
	if (json_node_get_value_type(n) != G_TYPE_BOOLEAN) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "\"%s\" must be true or false", key);
		return false;
	}
	*out = json_node_get_boolean(n);
	return true;
}

static bool
load_disk(struct vmm_options *o, JsonNode *node, GError **error)
{
	struct disk_option d = { .format = BLOCK_FORMAT_AUTO };
	JsonObject *obj;
	const char *s;

	if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING)
		return vmm_options_add_disk(o, json_node_get_string(node), error);
	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "each of \"disks\" must be an object");
		return false;
	}
	obj = json_node_get_object(node);
	if (!set_string(obj, "path", &d.path, error) || d.path == NULL) {
		if (error && !*error)
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "a disk has no \"path\"");
		g_free(d.path);
		return false;
	}
	if ((s = get_string(obj, "format", error)) && !parse_format(s, &d.format)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "disk format \"%s\": expected raw or qcow2", s);
		g_free(d.path);
		return false;
	}
	if ((error && *error) || !get_bool(obj, "readonly", &d.read_only, error) ||
	    !set_string(obj, "serial", &d.serial, error)) {
		g_free(d.path);
		g_free(d.serial);
		return false;
	}
	g_array_append_val(o->disks, d);
	return true;
}

/* "net": ["user,hostfwd=tcp::2222-:22", {"tap": "tap0", "mac": "…"}, {"passt": true}, …]:
 * an object is turned into the same text --net takes. */
static bool
load_net(struct vmm_options *o, JsonNode *node, GError **error)
{
	g_autoptr(GString) spec = g_string_new(NULL);
	JsonObject *obj;
	JsonNode *fwd;
	const char *s;

	if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING)
		return vmm_options_add_net(o, json_node_get_string(node), error);
	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "each of \"net\" must be a string or an object");
		return false;
	}
	obj = json_node_get_object(node);
	if ((s = get_string(obj, "tap", error)))
		g_string_append_printf(spec, "tap=%s", s);
	else if ((s = get_string(obj, "bridge", error)))
		g_string_append_printf(spec, "bridge=%s", s);
	else if (json_object_has_member(obj, "user"))
		g_string_append(spec, "user");
	else if (json_object_has_member(obj, "passt"))
		g_string_append(spec, "passt");
	if (error && *error)
		return false;
	if (spec->len == 0) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		            "a network needs \"tap\", \"bridge\", \"user\" or \"passt\"");
		return false;
	}
	if ((s = get_string(obj, "helper", error)))
		g_string_append_printf(spec, ",helper=%s", s);
	if ((s = get_string(obj, "socket", error)))
		g_string_append_printf(spec, ",socket=%s", s);
	{
		bool restricted = false;

		if (!get_bool(obj, "restrict", &restricted, error))
			return false;
		if (restricted)
			g_string_append(spec, ",restrict=on");
	}
	if ((s = get_string(obj, "mac", error)))
		g_string_append_printf(spec, ",mac=%s", s);
	if (error && *error)
		return false;
	if (json_object_has_member(obj, "vlan")) {
		gint64 v = 0;

		if (!get_int(obj, "vlan", &v, error))
			return false;
		g_string_append_printf(spec, ",vlan=%" G_GINT64_FORMAT, v);
	}
	if (json_object_has_member(obj, "queues")) {
		gint64 q = 0;

		if (!get_int(obj, "queues", &q, error))
			return false;
		g_string_append_printf(spec, ",queues=%" G_GINT64_FORMAT, q);
	}
	fwd = json_object_get_member(obj, "hostfwd");
	if (fwd && JSON_NODE_HOLDS_ARRAY(fwd)) {
		JsonArray *a = json_node_get_array(fwd);

		for (unsigned int i = 0; i < json_array_get_length(a); i++) {
			JsonNode *e = json_array_get_element(a, i);

			if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING) {
				g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "\"hostfwd\" must hold strings");
				return false;
			}
			g_string_append_printf(spec, ",hostfwd=%s", json_node_get_string(e));
		}
	} else if (fwd && (s = get_string(obj, "hostfwd", error))) {
		g_string_append_printf(spec, ",hostfwd=%s", s);
	} else if (fwd) {
		if (!(error && *error))
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "\"hostfwd\" must be a string or an array");
		return false;
	}
	return vmm_options_add_net(o, spec->str, error);
}

bool
vmm_options_load_json(struct vmm_options *o, const char *file, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *obj;
	JsonNode *root, *disks, *nets;
	const char *s;
	gint64 n;

	if (!json_parser_load_from_file(parser, file, error)) {
		g_prefix_error(error, "--config %s: ", file);
		return false;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--config %s: expected a JSON object", file);
		return false;
	}
	obj = json_node_get_object(root);

	if (!set_string(obj, "kernel", &o->kernel, error) ||
	    !set_string(obj, "initrd", &o->initrd, error) ||
	    !set_string(obj, "cmdline", &o->cmdline, error) ||
	    !set_string(obj, "api-socket", &o->api_socket, error) ||
	    !set_string(obj, "vnc-socket", &o->vnc_socket, error) ||
	    !get_bool(obj, "hugepages", &o->hugepages, error) ||
	    !get_bool(obj, "ksm", &o->ksm, error) ||
	    !get_bool(obj, "rng", &o->rng, error) ||
	    !get_bool(obj, "paused", &o->paused, error))
		goto fail;
	n = o->memory_mib;
	if (!get_int(obj, "memory", &n, error))
		goto fail;
	o->memory_mib = n > 0 ? n : 0;
	n = o->cpus;
	if (!get_int(obj, "cpus", &n, error))
		goto fail;
	o->cpus = n > 0 && n <= MAX_CPUS ? n : 0;
	if ((s = get_string(obj, "serial", error)) &&
	    !vmm_options_parse_output(s, true, &o->serial, &o->serial_path, error))
		goto fail;
	if ((s = get_string(obj, "console", error)) &&
	    !vmm_options_parse_output(s, true, &o->console, &o->console_path, error))
		goto fail;
	if ((s = get_string(obj, "display", error)) && !vmm_options_parse_display(o, s, error))
		goto fail;
	if ((s = get_string(obj, "vnc", error)) && !vmm_options_parse_vnc(o, s, error))
		goto fail;
	if (error && *error)
		goto fail;
	disks = json_object_get_member(obj, "disks");
	if (disks) {
		if (!JSON_NODE_HOLDS_ARRAY(disks)) {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "\"disks\" must be an array");
			goto fail;
		}
		JsonArray *a = json_node_get_array(disks);
		for (unsigned int i = 0; i < json_array_get_length(a); i++)
			if (!load_disk(o, json_array_get_element(a, i), error))
				goto fail;
	}
	nets = json_object_get_member(obj, "net");
	if (nets) {
		if (!JSON_NODE_HOLDS_ARRAY(nets)) {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "\"net\" must be an array");
			goto fail;
		}
		JsonArray *a = json_node_get_array(nets);
		for (unsigned int i = 0; i < json_array_get_length(a); i++)
			if (!load_net(o, json_array_get_element(a, i), error))
				goto fail;
	}
	return true;

fail:
	g_prefix_error(error, "--config %s: ", file);
	return false;
}

bool
vmm_options_check(const struct vmm_options *o, GError **error)
{
	if (o->kernel == NULL) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--kernel FILE is required");
		return false;
	}
	if (o->memory_mib < 2 || o->memory_mib > MAX_MEMORY_MIB) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		            "--memory must be between 2 and %d MiB", MAX_MEMORY_MIB);
		return false;
	}
	if (o->cpus < 1 || o->cpus > MAX_CPUS) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		            "--cpus must be between 1 and %d",
		            MAX_CPUS);
		return false;
	}
	if (o->display && o->vnc_socket == NULL && o->api_socket == NULL) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		            "--display vnc needs --vnc-socket PATH (or --api-socket, beside which it goes)");
		return false;
	}
	if (o->vnc_tcp_port && !o->display) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--vnc needs --display vnc");
		return false;
	}
	if (o->console == OUTPUT_SOCKET) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		            "--console socket=PATH is not supported (--serial socket=PATH is)");
		return false;
	}
	if (o->hugepages && o->ksm) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		            "--hugepages and --ksm exclude each other (KSM merges only small private pages)");
		return false;
	}
	return true;
}
