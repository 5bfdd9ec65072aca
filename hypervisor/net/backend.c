/* backend.c — parse --net, pick the backend, the parts all backends share. */
#include "backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
net_backend_init(struct net_backend *be, const struct net_backend_ops *ops, const char *description)
{
	be->ops = ops;
	be->description = g_strdup(description);
	be->link_up = true;
}

void
net_backend_set_link(struct net_backend *be, bool up)
{
	if (be->link_up == up)
		return;
	be->link_up = up;
	if (be->client.link_changed)
		be->client.link_changed(be->client.opaque, up);
}

bool
net_backend_start(struct net_backend *be, GMainContext *context, GError **error)
{
	return be->ops->start(be, context, error);
}

void
net_backend_free(struct net_backend *be)
{
	char *description;

	if (be == NULL)
		return;
	description = be->description;
	be->ops->free(be);
	g_free(description);
}

static bool
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &end) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = b[i];
	/* A NIC's own address is unicast (IEEE 802: bit 0 of the first octet). */
	return !(mac[0] & 1) && (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

void
net_spec_clear(struct net_spec *spec)
{
	g_free(spec->kind);
	g_free(spec->name);
	g_free(spec->helper);
	g_free(spec->socket);
	if (spec->hostfwd)
		g_ptr_array_unref(spec->hostfwd);
	memset(spec, 0, sizeof(*spec));
}

bool
net_spec_parse(const char *text, struct net_spec *spec, GError **error)
{
	g_auto(GStrv) parts = g_strsplit(text, ",", -1);

	memset(spec, 0, sizeof(*spec));
	spec->queues = 1;
	spec->hostfwd = g_ptr_array_new_with_free_func(g_free);
	for (unsigned int i = 0; parts[i]; i++) {
		const char *p = parts[i];
		const char *eq = strchr(p, '=');
		g_autofree char *key = eq ? g_strndup(p, eq - p) : g_strdup(p);
		const char *value = eq ? eq + 1 : NULL;

		if (i == 0) {
			if ((!strcmp(key, "tap") || !strcmp(key, "bridge")) && value && *value) {
				/* Linux interface names: IFNAMSIZ - 1 bytes, no '/'. */
				if (strlen(value) > 15 || strchr(value, '/') || strchr(value, ' ')) {
					g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
					            "--net %s: \"%s\" is not an interface name", text, value);
					goto fail;
				}
				spec->kind = g_strdup(key);
				spec->name = g_strdup(value);
				continue;
			}
			if ((!strcmp(key, "user") || !strcmp(key, "passt")) && value == NULL) {
				spec->kind = g_strdup(key);
				continue;
			}
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			            "--net %s: expected tap=IFNAME, bridge=BRIDGE, user or passt first", text);
			goto fail;
		}
		if (!strcmp(key, "mac") && value && parse_mac(value, spec->mac)) {
			spec->has_mac = true;
		} else if (!strcmp(key, "queues") && value) {
			char *end;
			unsigned long q = strtoul(value, &end, 10);

			if (*value < '0' || *value > '9' || *end || q < 1 || q > NET_MAX_QUEUE_PAIRS) {
				g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				            "--net %s: queues=%s: expected a number of queue pairs from 1 to %d",
				            text, value, NET_MAX_QUEUE_PAIRS);
				goto fail;
			}
			/* Only a tap has more than one queue: libslirp and passt are
			 * one stream of frames, the bridge helper passes one fd. */
			if (q > 1 && strcmp(spec->kind, "tap")) {
				g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				            "--net %s: queues=%lu needs tap=IFNAME (a tap made with multi_queue); "
				            "%s has a single queue", text, q, spec->kind);
				goto fail;
			}
			spec->queues = q;
		} else if (!strcmp(key, "vlan") && value && !strcmp(spec->kind, "bridge")) {
			char *end;
			unsigned long v = strtoul(value, &end, 10);

			/* IEEE 802.1Q: VIDs 0 (priority tag) and 4095 are reserved. */
			if (*value < '0' || *value > '9' || *end || v < 1 || v > 4094) {
				g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				            "--net %s: vlan=%s: expected a VLAN id from 1 to 4094", text, value);
				goto fail;
			}
			spec->vlan = v;
		} else if (!strcmp(key, "restrict") && value && !strcmp(spec->kind, "user") &&
		           (!strcmp(value, "on") || !strcmp(value, "off"))) {
			spec->restricted = !strcmp(value, "on");
		} else if (!strcmp(key, "hostfwd") && value &&
		           (!strcmp(spec->kind, "user") || !strcmp(spec->kind, "passt"))) {
			g_ptr_array_add(spec->hostfwd, g_strdup(value));
		} else if (!strcmp(key, "helper") && value && *value &&
		           (!strcmp(spec->kind, "bridge") || !strcmp(spec->kind, "passt"))) {
			g_free(spec->helper);
			spec->helper = g_strdup(value);
		} else if (!strcmp(key, "socket") && value && *value && !strcmp(spec->kind, "passt")) {
			g_free(spec->socket);
			spec->socket = g_strdup(value);
		} else {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			            "--net %s: cannot understand \"%s\" (expected mac=XX:XX:XX:XX:XX:XX, "
			            "hostfwd=tcp:[ADDR]:PORT-[ADDR]:PORT and restrict=on|off with user, "
			            "queues=N with tap, vlan=N and helper=PATH with bridge, hostfwd=, helper=PATH or socket=PATH with passt)",
			            text, p);
			goto fail;
		}
	}
	if (spec->kind == NULL) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--net: empty");
		goto fail;
	}
	return true;

fail:
	net_spec_clear(spec);
	return false;
}

struct net_backend *
net_backend_new(const struct net_spec *spec, GError **error)
{
	if (!strcmp(spec->kind, "tap"))
		return net_tap_open(spec->name, error);
	if (!strcmp(spec->kind, "bridge"))
		return net_bridge_open(spec->name, spec->helper, spec->vlan, error);
	if (!strcmp(spec->kind, "user"))
		return net_slirp_new(spec->hostfwd, spec->restricted, error);
	if (!strcmp(spec->kind, "passt"))
		return net_passt_new(spec->socket, spec->helper, spec->hostfwd, error);
	g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "unknown network backend \"%s\"", spec->kind);
	return NULL;
}

bool
net_backend_new_queues(const struct net_spec *spec, struct net_backend **bes, GError **error)
{
	if (spec->queues <= 1) {
		bes[0] = net_backend_new(spec, error);
		return bes[0] != NULL;
	}
	/* net_spec_parse() lets queues > 1 through only with a tap. */
	for (unsigned int i = 0; i < spec->queues; i++) {
		bes[i] = net_tap_open_queue(spec->name, i, error);
		if (bes[i] == NULL) {
			while (i > 0)
				net_backend_free(bes[--i]);
			return false;
		}
	}
	return true;
}
