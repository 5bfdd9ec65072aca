/* test-savestate.c — "save-state" and --restore: a guest that counts on
 * its serial port is saved, the VMM stops, a new VMM restores the file and
 * the guest goes on from the next number (not from a fresh boot).  Files
 * for another memory size, files that are no saved state and requests
 * without a file name are refused.  A guest doing virtio-blk I/O is saved
 * mid-run and goes on reading back what it wrote before the save; without
 * its disk the restore is refused naming the device.  (virtio-net is in
 * tests/vmm/test-vmm-net.c, which makes network namespaces; the screen and
 * the tablet in tests/vmm/test-display.c, which has a VNC client.) */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gb-test-utils.h"
#include "vmm-test-util.h"

/* The last "count N" line, or -1. */
static int
last_count(const char *serial)
{
	const char *p = serial, *last = NULL;

	while ((p = strstr(p, "count ")) != NULL) {
		if (strchr(p, '\n') == NULL)
			break;      /* a line still being written */
		last = p;
		p += 6;
	}
	return last ? atoi(last + 6) : -1;
}

static JsonObject *
save_state(ApiClient *api, const char *file)
{
	g_autofree char *text = g_strdup_printf("{\"execute\": \"save-state\", \"arguments\": {\"filename\": \"%s\"}, \"id\": \"s\"}", file);

	return api_raw(api, text);
}

static void
test_counter_continues(void)
{
	g_autofree char *dir = gb_test_tmpdir_new("gb-savestate-XXXXXX");
	g_autofree char *state = g_build_filename(dir, "counter.state", NULL);
	g_autofree char *serial = NULL, *serial2 = NULL, *after = NULL;
	g_autoptr(JsonObject) r = NULL, r2 = NULL, r3 = NULL;
	JsonObject *ret;
	struct stat st;
	int status = -1, saved_at, first_after;

	{
		g_autoptr(VmmRun) run = vmm_spawn("counter", NULL, TRUE);
		g_autoptr(ApiClient) api = api_connect(run->socket_path);

		r = api_call(api, "resume");
		g_assert_true(json_object_has_member(r, "return"));
		g_assert_true(vmm_wait_serial(run, "count 5\n", 60000));

		/* No file name: refused. */
		r2 = api_raw(api, "{\"execute\": \"save-state\", \"id\": \"s\"}");
		g_assert_true(json_object_has_member(r2, "error"));

		r3 = save_state(api, state);
		if (!json_object_has_member(r3, "return"))
			g_error("save-state: %s", json_to_string(json_node_init_object(json_node_alloc(), r3), FALSE));
		ret = json_object_get_object_member(r3, "return");
		g_assert_cmpstr(json_object_get_string_member(ret, "status"), ==, "paused");
		g_assert_nonnull(api_wait_event(api, "STATE_CHANGE", 10000));
		serial = vmm_serial(run);
		saved_at = last_count(serial);
		g_assert_cmpint(saved_at, >=, 5);
		/* Paused: no more counting. */
		g_usleep(300 * 1000);
		serial2 = vmm_serial(run);
		g_assert_cmpstr(serial, ==, serial2);

		g_clear_pointer(&r, json_object_unref);
		r = api_call(api, "stop");
		g_assert_true(vmm_wait(run, 30000, &status));
		g_assert_cmpint(status, ==, 0);
	}

	/* The file: whole (no .part left), RAM sparse. */
	g_assert_cmpint(stat(state, &st), ==, 0);
	g_assert_cmpint(st.st_size, >, 32 << 20);
	g_assert_cmpint((gint64) st.st_blocks * 512, <, 8 << 20);
	{
		g_autofree char *part = g_strconcat(state, ".part", NULL);
		g_assert_false(g_file_test(part, G_FILE_TEST_EXISTS));
	}

	/* Restored: the count goes on from where it was. */
	{
		const char *extra[] = { "--restore", state, NULL };
		g_autoptr(VmmRun) run = vmm_spawn("counter", extra, TRUE);
		g_autoptr(ApiClient) api = api_connect(run->socket_path);
		g_autofree char *want = g_strdup_printf("count %d\n", saved_at + 3);

		g_clear_pointer(&r, json_object_unref);
		r = api_call(api, "resume");
		g_assert_true(json_object_has_member(r, "return"));
		if (!vmm_wait_serial(run, want, 60000)) {
			g_autofree char *err = vmm_stderr(run);
			g_autofree char *out = vmm_serial(run);
			g_error("after --restore, no \"%s\"; serial:\n%s\nstderr:\n%s", want, out, err);
		}
		after = vmm_serial(run);
		/* Not booted again, and the first number is the next one. */
		g_assert_null(strstr(after, "counter starting"));
		g_assert_true(g_str_has_prefix(after, "count "));
		first_after = atoi(after + 6);
		g_test_message("saved at count %d; the restored guest went on with %d", saved_at, first_after);
		g_assert_cmpint(first_after, ==, saved_at + 1);
		g_clear_pointer(&r, json_object_unref);
		r = api_call(api, "stop");
		g_assert_true(vmm_wait(run, 30000, &status));
		g_assert_cmpint(status, ==, 0);
	}

	/* Another memory size: refused with the reason. */
	{
		const char *extra[] = { "--restore", state, "--memory", "64", NULL };
		g_autoptr(VmmRun) run = vmm_spawn("counter", extra, FALSE);
		g_autofree char *err = NULL;

		g_assert_true(vmm_wait(run, 30000, &status));
		g_assert_cmpint(status, !=, 0);
		err = vmm_stderr(run);
		g_assert_nonnull(strstr(err, "32 MiB"));
	}
	/* Not a saved state. */
	{
		g_autofree char *junk = g_build_filename(dir, "junk", NULL);
		const char *extra[] = { "--restore", junk, NULL };
		g_autoptr(VmmRun) run = NULL;
		g_autofree char *err = NULL;

		g_assert_true(g_file_set_contents(junk, "hello, not a state", -1, NULL));
		run = vmm_spawn("counter", extra, FALSE);
		g_assert_true(vmm_wait(run, 30000, &status));
		g_assert_cmpint(status, !=, 0);
		err = vmm_stderr(run);
		g_assert_nonnull(strstr(err, "not a glassbox-vmm saved state"));
	}
	gb_test_tmpdir_remove(dir);
}

/* The last "round N ok" line's N, or -1; fails the test on any round
 * that went wrong. */
static int
last_round(const char *serial)
{
	const char *p = serial, *last = NULL;

	g_assert_null(strstr(serial, "MISMATCH"));
	g_assert_null(strstr(serial, "failed"));
	while ((p = strstr(p, "round ")) != NULL) {
		const char *eol = strchr(p, '\n');

		if (eol == NULL)
			break;
		if (g_str_has_prefix(eol - 3, " ok"))
			last = p;
		p = eol;
	}
	return last ? atoi(last + 6) : -1;
}

static void
make_disk(const char *disk)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_set_contents(disk, "", 0, &error));
	g_assert_cmpint(truncate(disk, 16 << 20), ==, 0);
}

/* virtio-blk saved while the guest does I/O ten times a second: after
 * --restore (same --disk) the next round writes, reads back, and reads
 * back the block written just before the save: the queue's addresses and
 * ring positions, the transport's registers and the disk all came back. */
static void
test_blk_continues(void)
{
	g_autofree char *dir = gb_test_tmpdir_new("gb-savestate-XXXXXX");
	g_autofree char *state = g_build_filename(dir, "blk.state", NULL);
	g_autofree char *disk = g_build_filename(dir, "disk.raw", NULL);
	g_autofree char *disk_arg = g_strconcat("--disk=path=", disk, ",format=raw", NULL);
	g_autofree char *serial = NULL, *after = NULL;
	g_autoptr(JsonObject) r = NULL, r2 = NULL;
	int status = -1, saved_at, first_after;

	make_disk(disk);
	{
		const char *extra[] = { disk_arg, NULL };
		g_autoptr(VmmRun) run = vmm_spawn("blk-loop", extra, TRUE);
		g_autoptr(ApiClient) api = api_connect(run->socket_path);

		r = api_call(api, "resume");
		g_assert_true(json_object_has_member(r, "return"));
		if (!vmm_wait_serial(run, "round 5 ok\n", 60000)) {
			g_autofree char *out = vmm_serial(run);
			g_error("blk-loop did not get to round 5; serial:\n%s", out);
		}
		r2 = save_state(api, state);
		if (!json_object_has_member(r2, "return"))
			g_error("save-state: %s", json_to_string(json_node_init_object(json_node_alloc(), r2), FALSE));
		g_assert_nonnull(api_wait_event(api, "STATE_CHANGE", 10000));
		serial = vmm_serial(run);
		saved_at = last_round(serial);
		g_assert_cmpint(saved_at, >=, 5);
		g_clear_pointer(&r, json_object_unref);
		r = api_call(api, "stop");
		g_assert_true(vmm_wait(run, 30000, &status));
		g_assert_cmpint(status, ==, 0);
	}
	{
		const char *extra[] = { disk_arg, "--restore", state, NULL };
		g_autoptr(VmmRun) run = vmm_spawn("blk-loop", extra, TRUE);
		g_autoptr(ApiClient) api = api_connect(run->socket_path);
		g_autofree char *want = g_strdup_printf("round %d ok\n", saved_at + 5);

		g_clear_pointer(&r, json_object_unref);
		r = api_call(api, "resume");
		g_assert_true(json_object_has_member(r, "return"));
		if (!vmm_wait_serial(run, want, 60000)) {
			g_autofree char *err = vmm_stderr(run);
			g_autofree char *out = vmm_serial(run);
			g_error("after --restore, no \"%s\"; serial:\n%s\nstderr:\n%s", want, out, err);
		}
		after = vmm_serial(run);
		g_assert_null(strstr(after, "blk-loop starting"));
		/* The first whole line: a line the save cut in two ends first. */
		{
			const char *first = g_str_has_prefix(after, "round ") ? after : strstr(after, "\nround ");
			gboolean cut = serial[0] && serial[strlen(serial) - 1] != '\n';

			g_assert_nonnull(first);
			if (first[0] == '\n')
				first++;
			first_after = atoi(first + 6);
			g_test_message("saved after round %d%s; the restored guest went on with round %d", saved_at,
			               cut ? " (and part of the next line)" : "", first_after);
			g_assert_cmpint(first_after, ==, saved_at + (cut ? 2 : 1));
		}
		g_assert_cmpint(last_round(after), >=, saved_at + 5);
		g_clear_pointer(&r, json_object_unref);
		r = api_call(api, "stop");
		g_assert_true(vmm_wait(run, 30000, &status));
		g_assert_cmpint(status, ==, 0);
	}
	/* Another disk size: refused, the guest would see another capacity. */
	{
		const char *extra[] = { disk_arg, "--restore", state, NULL };
		g_autoptr(VmmRun) run = NULL;
		g_autofree char *err = NULL;

		g_assert_cmpint(truncate(disk, 32 << 20), ==, 0);
		run = vmm_spawn("blk-loop", extra, FALSE);
		g_assert_true(vmm_wait(run, 30000, &status));
		g_assert_cmpint(status, !=, 0);
		err = vmm_stderr(run);
		g_assert_nonnull(strstr(err, "virtio-blk"));
		g_assert_null(strstr(err, "Sanitizer"));
	}
	/* Without the disk: the devices do not match. */
	{
		const char *extra[] = { "--restore", state, NULL };
		g_autoptr(VmmRun) run = vmm_spawn("blk-loop", extra, FALSE);
		g_autofree char *err = NULL;

		g_assert_true(vmm_wait(run, 30000, &status));
		g_assert_cmpint(status, !=, 0);
		err = vmm_stderr(run);
		g_test_message("refused: %s", err);
		g_assert_nonnull(strstr(err, "held virtio-blk (--disk) when the state was saved, now"));
		g_assert_null(strstr(err, "Sanitizer"));
	}
	gb_test_tmpdir_remove(dir);
}

static void
test_no_kvm(void)
{
	g_test_skip("no usable /dev/kvm here");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	if (access("/dev/kvm", R_OK | W_OK) != 0) {
		g_test_add_func("/savestate/kvm-available", test_no_kvm);
		return g_test_run();
	}
	g_test_add_func("/savestate/counter-continues", test_counter_continues);
	g_test_add_func("/savestate/blk-continues", test_blk_continues);
	return g_test_run();
}
