/* test-bridge-vlan.c — `--net bridge=BR,vlan=N` proven on a kernel whose
 * bridges filter VLANs (issue 13).  This host's kernel has no
 * CONFIG_BRIDGE_VLAN_FILTERING, so tests/nested/bridge-vlan.sh runs in the
 * nested test bed's outer guest, a Debian kernel under QEMU TCG whose
 * nested KVM runs the tiny virtio-net guest (docs/nested-kvm.md), on every
 * host (even one with hardware KVM: the bridges, veths and taps then stay
 * inside that guest, never in the host's network).
 *
 * What a user would notice: the guest's frames reach a port of VLAN 10 and
 * not one of VLAN 20; the guest receives from VLAN 10 and not from VLAN 20;
 * `bridge vlan show` lists its tap in VLAN 10 only, PVID and untagged. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "gb-test-utils.h"
#include "nested-test-util.h"
#include "vmm-test-util.h"

static void
assert_contains(const char *haystack, const char *needle)
{
	if (haystack == NULL || strstr(haystack, needle) == NULL)
		g_error("expected to find \"%s\" in:\n%s", needle, haystack ? haystack : "(nothing)");
}

static void
test_bridge_vlan(void)
{
	g_autofree char *src = g_strdup(g_getenv("G_TEST_SRCDIR"));
	g_autofree char *script = g_build_filename(src, "nested", "bridge-vlan.sh", NULL);
	g_autofree char *lib = g_build_filename(src, "nested", "bed-lib.sh", NULL);
	g_autofree char *guest = guest_path("virtio-net");
	g_autofree char *vmm = vmm_binary();
	g_autofree char *helper = g_build_filename(g_getenv("G_TEST_BUILDDIR"), "..", "hypervisor", "net",
	                                           "glassbox-bridge-helper", NULL);
	g_autofree char *frame = g_build_filename(g_getenv("G_TEST_BUILDDIR"), "nested", "gb-frame", NULL);
	g_autofree char *ip = g_find_program_in_path("ip"), *bridge = g_find_program_in_path("bridge");
	g_autofree char *why = NULL, *skip = NULL, *v10 = NULL, *v20 = NULL, *serial = NULL, *status = NULL;
	g_autofree char *vlans = NULL;
	g_autoptr(NestedRun) run = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonArray *links;
	gboolean seen_tap = FALSE;

	if (ip == NULL || bridge == NULL) {
		g_test_skip("ip and bridge (iproute2) are needed in the outer guest");
		return;
	}
	/* The outer guest even where the host's KVM could run it directly
	 * (unless GLASSBOX_NESTED says otherwise). */
	g_setenv("GLASSBOX_NESTED", "nested", FALSE);
	run = nested_run(script, (const char *const[]) { lib, guest, NULL },
	                 (const char *const[]) { vmm, helper, frame, ip, bridge, NULL }, 300, &why);
	if (run == NULL) {
		g_test_skip(why);
		return;
	}
	g_test_message("%s the bed in %.0f s", run->nested ? "nested" : "direct", run->seconds);
	skip = nested_read(run, "skip");
	if (skip) {
		g_test_skip(g_strstrip(skip));
		return;
	}
	if (run->status != 0)
		g_error("bridge-vlan.sh ended with %d:\n%s", run->status, run->log);
	status = nested_read(run, "vmm.status");
	serial = nested_read(run, "serial.txt");
	v10 = nested_read(run, "vlan10.txt");
	v20 = nested_read(run, "vlan20.txt");
	vlans = nested_read(run, "vlans.json");
	g_test_message("VLAN 10 heard:\n%sVLAN 20 heard:\n%s`bridge -j vlan show`: %s", v10, v20, vlans);

	g_assert_nonnull(status);
	g_assert_cmpstr(g_strstrip(status), ==, "0");
	/* The guest's broadcast and its echo on VLAN 10 only. */
	assert_contains(v10, "hello from guest\n");
	assert_contains(v10, "echo: hello guest\n");
	g_assert_nonnull(v20);
	g_assert_null(strstr(v20, "hello from guest"));
	g_assert_null(strstr(v20, "echo:"));
	/* The guest heard VLAN 10 and not VLAN 20. */
	assert_contains(serial, "rx 25 bytes: hello guest\n");
	g_assert_null(strstr(serial, "from vlan 20"));

	/* [{"ifname":"tap0","vlans":[{"vlan":10,"flags":["PVID","Egress Untagged"]}]}, …] */
	g_assert_true(json_parser_load_from_data(parser, vlans, -1, &error));
	g_assert_no_error(error);
	links = json_node_get_array(json_parser_get_root(parser));
	for (unsigned int i = 0; i < json_array_get_length(links); i++) {
		JsonObject *link = json_array_get_object_element(links, i);
		JsonArray *v, *flags;
		g_autofree char *flat = NULL;

		if (!g_str_has_prefix(json_object_get_string_member(link, "ifname"), "tap"))
			continue;
		seen_tap = TRUE;
		v = json_object_get_array_member(link, "vlans");
		g_assert_cmpuint(json_array_get_length(v), ==, 1);
		g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(v, 0), "vlan"), ==, 10);
		flags = json_object_get_array_member(json_array_get_object_element(v, 0), "flags");
		g_assert_cmpuint(json_array_get_length(flags), ==, 2);
		g_assert_cmpstr(json_array_get_string_element(flags, 0), ==, "PVID");
		g_assert_cmpstr(json_array_get_string_element(flags, 1), ==, "Egress Untagged");
	}
	g_assert_true(seen_tap);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/nested/bridge-vlan", test_bridge_vlan);
	return g_test_run();
}
