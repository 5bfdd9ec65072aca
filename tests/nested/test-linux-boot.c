/* test-linux-boot.c — a stock Debian kernel in glassbox-vmm on a real KVM:
 * bzImage through the 64-bit boot protocol and the same kernel's vmlinux
 * through PVH, a busybox initramfs, Linux's own virtio_pci, virtio_blk (raw
 * and qcow2, ext4 written and checked), virtio_console and virtio-rng
 * drivers, 1, 2 and 4 vCPUs, query-stats on the control socket while it
 * runs, ACPI (power button, S5 power-off, reset register), and every way a
 * guest ends itself; virtio_net on a bridge and with two queue pairs on a
 * multi_queue tap.  GLASSBOX_BED_ONLY=NAME,… runs only some scenarios.
 *
 * Where the host's /dev/kvm emulates guest instructions (PVM here), the
 * scenarios run in the nested test bed: one boot of a Debian guest under
 * QEMU TCG whose kvm_amd is a real KVM (docs/nested-kvm.md).  Where the
 * host has VT-x/AMD-V they run directly.  Either way the scenarios are the
 * shell script tests/nested/linux-boot.sh, run once for the whole program;
 * each test case below checks what one scenario left behind.
 *
 * Built twice from this file, each running some of linux-boot.sh's
 * scenarios in one outer boot:
 *  - test-linux-boot (suite `vmm`, the default test command): qcow2 (2
 *    vCPUs, Linux's virtio-blk, -console and -rng drivers, KSM, reset, the
 *    power button), raw (4 vCPUs on huge pages), bundled (a machine as the
 *    app starts it: serial input, pause, resume) and ends (PVH entry, then
 *    every way a guest ends itself, each from one saved machine);
 *  - test-linux-io (LINUX_IO=1, suite `slow`): two guests on a bridge,
 *    multiqueue, save-state in the middle of disk I/O. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "gb-test-utils.h"
#include "nested-test-util.h"
#include "vmm-test-util.h"

#ifndef LINUX_IO
#define LINUX_IO 0
#endif

/* The scenarios this program runs (bed-lib.sh's `want`). */
#define SCENARIOS (LINUX_IO ? "bridge,mq,saved" : "qcow2,raw,bundled,ends")

static NestedRun *bed;
static char *skip_reason;
static char *marker;
static gboolean have_vmlinux;

static char *
build_path(const char *first, ...) G_GNUC_NULL_TERMINATED;

static char *
build_path(const char *first, ...)
{
	va_list ap;
	char *p;

	va_start(ap, first);
	p = g_build_filename_valist(first, &ap);
	va_end(ap);
	return p;
}

/* The ELF vmlinux inside a bzImage, as the kernel's scripts/extract-vmlinux
 * finds it: the first compressed stream (xz or zstd, as Debian builds them;
 * gzip for others) that decompresses to an ELF file.  FALSE when none does. */
static gboolean
extract_vmlinux(const char *bzimage, const char *out)
{
	static const struct { const char *magic; gsize len; const char *cmd; } formats[] = {
		{ "\xfd" "7zXZ\0", 6, "xz -dc" },
		{ "\x28\xb5\x2f\xfd", 4, "zstd -dcq" },
		{ "\x1f\x8b\x08", 3, "gzip -dc" },
	};
	g_autofree char *data = NULL;
	gsize len;

	if (!g_file_get_contents(bzimage, &data, &len, NULL))
		return FALSE;
	for (unsigned int f = 0; f < G_N_ELEMENTS(formats); f++) {
		const char *at = memmem(data, len, formats[f].magic, formats[f].len);
		g_autofree char *cmd = NULL, *head = NULL;
		gsize head_len = 0;

		if (at == NULL)
			continue;
		/* The decompressor complains about the bytes after the stream;
		 * what it wrote before that is the whole vmlinux. */
		cmd = g_strdup_printf("tail -c +%zu '%s' | %s > '%s' 2>/dev/null; true",
		                      (gsize) (at - data) + 1, bzimage, formats[f].cmd, out);
		gb_test_run_shell(cmd, NULL, NULL);
		if (g_file_get_contents(out, &head, &head_len, NULL) && head_len > 4 &&
		    memcmp(head, "\177ELF", 4) == 0)
			return TRUE;
	}
	return FALSE;
}

/* Builds the inner guest and the disks, runs linux-boot.sh once. */
/* Debian's qemu-system-common; the outer guest runs it setuid root. */
#define BRIDGE_HELPER "/usr/lib/qemu/qemu-bridge-helper"

static void
run_bed(void)
{
	g_autofree char *dir = gb_test_tmpdir_new("gb-linux-XXXXXX");
	g_autofree char *src = g_strdup(g_getenv("G_TEST_SRCDIR"));
	g_autofree char *check = build_path(src, "nested", "guest-check", NULL);
	g_autofree char *script = build_path(src, "nested", "linux-boot.sh", NULL);
	g_autofree char *lib = build_path(src, "nested", "bed-lib.sh", NULL);
	g_autofree char *inner = build_path(dir, "inner", NULL);
	g_autofree char *kernel = build_path(dir, "inner-vmlinuz", NULL);
	g_autofree char *initrd = build_path(dir, "inner-initramfs.img", NULL);
	g_autofree char *vmlinux = build_path(dir, "inner-vmlinux", NULL);
	g_autofree char *fsdir = build_path(dir, "fs", NULL);
	g_autofree char *marker_file = build_path(fsdir, "marker", NULL);
	g_autofree char *raw = build_path(dir, "disk.raw", NULL);
	g_autofree char *qcow2 = build_path(dir, "disk.qcow2", NULL);
	g_autofree char *only = build_path(dir, "only", NULL);
	g_autofree char *vmm = vmm_binary();
	g_autofree char *api = build_path(g_getenv("G_TEST_BUILDDIR"), "nested", "gb-api-call", NULL);
	g_autofree char *serial_io = build_path(g_getenv("G_TEST_BUILDDIR"), "nested", "gb-serial-io", NULL);
	g_autofree char *cmd = NULL, *err = NULL;
	gboolean ok;

	if (!gb_test_have_program("mke2fs") || !gb_test_have_program("qemu-img")) {
		skip_reason = g_strdup("mke2fs (e2fsprogs) and qemu-img (qemu-utils) are needed for the test disks");
		goto out;
	}

	/* The inner guest: Debian's kernel, busybox, e2fsck, button + evdev
	 * for the ACPI power button. */
	g_setenv("GB_GUEST_EXTRA_MODULES", "button evdev", TRUE);
	ok = gb_test_build_linux_guest(inner, (const char *const[]) { check, NULL }, "/sbin/e2fsck",
	                               &skip_reason);
	g_unsetenv("GB_GUEST_EXTRA_MODULES");
	if (!ok)
		goto out;
	{
		g_autofree char *k = build_path(inner, "vmlinuz", NULL);
		g_autofree char *i = build_path(inner, "initramfs.img", NULL);
		g_assert_cmpint(g_rename(k, kernel), ==, 0);
		g_assert_cmpint(g_rename(i, initrd), ==, 0);
	}

	/* An ext4 file system with a marker, raw and as qcow2. */
	marker = g_strdup_printf("GLASSBOX-DISK-MARKER-%08x", g_random_int());
	g_mkdir(fsdir, 0755);
	g_assert_true(g_file_set_contents(marker_file, marker, -1, NULL));
	cmd = g_strdup_printf("mke2fs -q -F -t ext4 -d '%s' '%s' 24M && "
	                      "qemu-img convert -f raw -O qcow2 '%s' '%s'", fsdir, raw, raw, qcow2);
	if (gb_test_run_shell(cmd, NULL, &err) != 0)
		g_error("making the test disks failed: %s", err);

	{
		const char *only_text = g_getenv("GLASSBOX_BED_ONLY");
		g_autofree char *ip = g_find_program_in_path("ip");

		g_assert_true(g_file_set_contents(only, only_text && *only_text ? only_text : SCENARIOS, -1, NULL));
		have_vmlinux = extract_vmlinux(kernel, vmlinux);
		if (!have_vmlinux)
			g_test_message("no ELF vmlinux found in %s: the PVH scenario boots the bzImage", kernel);

		/* iproute2's ip goes along for the mq scenario (`ip tuntap …
		 * multi_queue`; busybox's ip has no tuntap); the bridge helper
		 * for the bridge scenario.  Unloaded, test-linux-boot's outer
		 * guest runs ~3 min and test-linux-io's ~5; the outer guest's
		 * script ends a hung inner machine 40 s before its limit
		 * (GB_DEADLINE, bed-lib.sh), so that what it left reaches the
		 * host; meson's timeout also covers building the guests. */
		bed = nested_run(script, (const char *const[]) { lib, kernel, initrd, raw, qcow2, only,
		                                                 have_vmlinux ? vmlinux : NULL,
		                                                 NULL },
		                 (const char *const[]) { vmm, api, serial_io,
		                                         ip ? ip : serial_io,
		                                         g_file_test(BRIDGE_HELPER, G_FILE_TEST_IS_EXECUTABLE) ?
		                                         BRIDGE_HELPER : NULL, NULL },
		                 LINUX_IO ? 1000 : 720, &skip_reason);
	}
	/* The outer guest has no KVM (bed-lib.sh's require_kvm said why). */
	if (bed) {
		g_autofree char *why = nested_read(bed, "skip");

		if (why) {
			skip_reason = g_strdup(g_strstrip(why));
			g_clear_pointer(&bed, nested_run_free);
		}
	}
	if (bed) {
		g_test_message("linux-boot.sh (%s) finished with %d after %.1f s (%s)", SCENARIOS,
		               bed->status, bed->seconds, bed->nested ? "nested test bed" : "directly on the host");
		g_printerr("# %s scenarios: %.1f s in all (%s)\n", SCENARIOS, bed->seconds,
		           bed->nested ? "nested test bed, outer boot included" : "host KVM");
		if (bed->status != 0)
			g_printerr("%s\n", bed->log ? bed->log : "(no log)");
	}
out:
	gb_test_tmpdir_remove(dir);
}

/* GLASSBOX_BED_ONLY=NAME,…: only those scenarios of linux-boot.sh run
 * (bed-lib.sh's `want`); the test cases of the others skip. */
static gboolean
scenario_selected(const char *group)
{
	const char *only = g_getenv("GLASSBOX_BED_ONLY");
	g_auto(GStrv) names = NULL;

	if (only == NULL || *only == '\0')
		return TRUE;
	names = g_strsplit(only, ",", -1);
	return g_strv_contains((const char *const *) names, group);
}

static gboolean
skip_if_no_bed(const char *group)
{
	if (!scenario_selected(group)) {
		g_autofree char *why = g_strdup_printf("scenario %s not in GLASSBOX_BED_ONLY=%s", group,
		                                       g_getenv("GLASSBOX_BED_ONLY"));
		g_test_skip(why);
		return TRUE;
	}
	if (bed)
		return FALSE;
	g_printerr("# SKIP: %s\n", skip_reason);
	g_test_skip(skip_reason);
	return TRUE;
}

/* The scenario's inner serial log; fails (printing the logs) unless the
 * VMM ended with status 0 and its last word (GLASSBOX_VMM_VERBOSE) on
 * why the VM ended contains `ended` (NULL: any). */
static char *
scenario(const char *name, const char *ended)
{
	g_autofree char *sub = g_build_filename(name, "serial.log", NULL);
	g_autofree char *st = g_build_filename(name, "status", NULL);
	g_autofree char *se = g_build_filename(name, "stderr.log", NULL);
	g_autofree char *secs = g_build_filename(name, "seconds", NULL);
	g_autofree char *status = nested_read(bed, st);
	g_autofree char *stderr_text = nested_read(bed, se);
	g_autofree char *seconds = nested_read(bed, secs);
	char *serial = nested_read(bed, sub);

	if (serial == NULL || status == NULL || atoi(status) != 0) {
		g_printerr("scenario %s: VMM status %s\n--- stderr:\n%s\n--- serial:\n%s\n--- script log:\n%s\n",
		           name, status ? status : "(none)", stderr_text ? stderr_text : "",
		           serial ? serial : "", bed->log ? bed->log : "");
	}
	g_assert_nonnull(serial);
	g_assert_nonnull(status);
	g_test_message("%s: the VMM ran %s s; %s", name, seconds ? g_strstrip(seconds) : "?",
	               stderr_text ? g_strstrip(stderr_text) : "");
	g_assert_cmpint(atoi(status), ==, 0);
	if (ended && (stderr_text == NULL || strstr(stderr_text, ended) == NULL)) {
		g_printerr("scenario %s: expected the VM to end with \"%s\"; stderr:\n%s\nserial:\n%s\n", name, ended,
		           stderr_text ? stderr_text : "", serial);
		g_assert_nonnull(stderr_text);
		g_assert_nonnull(strstr(stderr_text, ended));
	}
	return serial;
}

static void
assert_line(const char *text, const char *line)
{
	if (strstr(text, line) == NULL) {
		g_printerr("expected \"%s\" in:\n%s\n", line, text);
		g_assert_nonnull(strstr(text, line));
	}
}

static void
assert_disk_written(const char *serial)
{
	g_autofree char *m = g_strdup_printf("GB-MARKER %s", marker);

	assert_line(serial, m);
	assert_line(serial, "GB-FSCK-CLEAN");
}

/* 4 vCPUs, guest RAM on 2 MiB huge pages (glassbox-vmm refuses to start
 * without them), a raw disk; the guest's poweroff -f ends it. */
static void
test_raw_4cpu_hugepages(void)
{
	g_autofree char *serial = NULL, *disk = NULL, *cmd = NULL, *out = NULL, *err = NULL;

	if (skip_if_no_bed("raw"))
		return;
	serial = scenario("raw", "guest powered off through ACPI");
	assert_line(serial, "GB-CPUS 4");
	assert_disk_written(serial);
	/* The host agrees: a clean file system with the guest's file in it. */
	disk = nested_path(bed, "raw/disk.raw");
	cmd = g_strdup_printf("e2fsck -f -n '%s' && debugfs -R 'cat /guest-file' '%s'", disk, disk);
	g_assert_cmpint(gb_test_run_shell(cmd, &out, &err), ==, 0);
	assert_line(out, "written by the guest");
}

static void
test_qcow2_2cpu_devices(void)
{
	g_autofree char *serial = NULL, *disk = NULL, *cmd = NULL, *out = NULL, *err = NULL;
	g_autofree char *hvc0 = NULL, *stats = NULL;
	g_auto(GStrv) lines = NULL;
	gint64 first = -1, last = -1;
	int replies = 0;

	if (skip_if_no_bed("qcow2"))
		return;
	serial = scenario("qcow2", "guest powered off through ACPI");
	assert_line(serial, "GB-CPUS 2");
	assert_disk_written(serial);
	/* virtio-rng is the guest's hardware RNG and gives bytes. */
	assert_line(serial, "GB-RNG virtio_rng.0 256");
	/* virtio-console: what the guest wrote to hvc0 is in the file. */
	hvc0 = nested_read(bed, "qcow2/hvc0.log");
	g_assert_nonnull(hvc0);
	assert_line(hvc0, "GB-HVC0-HELLO from the guest");

	/* qemu-img agrees the qcow2 our engine wrote is clean. */
	disk = nested_path(bed, "qcow2/disk.qcow2");
	cmd = g_strdup_printf("qemu-img check '%s'", disk);
	if (gb_test_run_shell(cmd, &out, &err) != 0)
		g_error("qemu-img check: %s %s", out, err);
	assert_line(out, "No errors were found");

	/* query-stats during the run: KVM_RUN calls grow while Linux boots. */
	stats = nested_read(bed, "qcow2/stats.log");
	g_assert_nonnull(stats);
	lines = g_strsplit(stats, "\n", -1);
	for (unsigned int i = 0; lines[i]; i++) {
		g_autoptr(JsonParser) p = json_parser_new();
		JsonObject *o, *r, *v0;
		JsonArray *vcpus;

		if (!g_str_has_prefix(lines[i], "{\"return\"") || !json_parser_load_from_data(p, lines[i], -1, NULL))
			continue;
		o = json_node_get_object(json_parser_get_root(p));
		r = json_object_get_object_member(o, "return");
		vcpus = json_object_get_array_member(r, "vcpus");
		g_assert_cmpint(json_array_get_length(vcpus), ==, 2);
		v0 = json_array_get_object_element(vcpus, 0);
		g_assert_true(json_object_has_member(v0, "exits"));
		if (first < 0)
			first = json_object_get_int_member(v0, "kvm-run-calls");
		last = json_object_get_int_member(v0, "kvm-run-calls");
		replies++;
	}
	g_test_message("query-stats: %d replies, vCPU 0 KVM_RUN calls %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT,
	               replies, first, last);
	g_assert_cmpint(replies, >=, 2);
	g_assert_cmpint(last, >, first);
}

/* A machine as the bundled provider keeps and starts it: its JSON file
 * (kernel, initrd, command line, 2 vCPUs, user-mode NAT), --paused with
 * the control and serial sockets, then resumed.  A line typed into the
 * serial socket reaches the guest's shell; pause and resume answer; the
 * power button ends it. */
static void
test_bundled_machine(void)
{
	g_autofree char *serial = NULL;
	g_autofree char *api = NULL;
	const char *paused;

	if (skip_if_no_bed("bundled"))
		return;
	serial = scenario("bundled", "guest powered off through ACPI");
	api = nested_read(bed, "bundled/api.log");
	g_assert_nonnull(api);
	assert_line(serial, "GB-CPUS 2");
	assert_line(serial, "GB-TYPED <typed-over-the-socket 42>");
	assert_line(serial, "GB-BUTTON-PRESSED");
	/* Paused in between, then running again, then pressed. */
	paused = strstr(api, "\"status\":\"paused\"");
	if (paused == NULL || strstr(paused, "\"status\":\"running\"") == NULL)
		g_printerr("control socket log:\n%s\n", api);
	g_assert_nonnull(paused);
	g_assert_nonnull(strstr(paused, "\"status\":\"running\""));
}

/* The line of @serial that starts with @prefix, without it; NULL if none. */
static char *
line_after(const char *serial, const char *prefix)
{
	const char *p = strstr(serial, prefix);
	const char *end;

	if (p == NULL)
		return NULL;
	p += strlen(prefix);
	end = strchr(p, '\n');
	return g_strstrip(g_strndup(p, end ? (gsize) (end - p) : strlen(p)));
}

/* Two guests on one bridge in the outer guest, each VMM unprivileged with
 * a tap from qemu-bridge-helper: they ping, and 64 MiB sent by B arrive
 * at A with the same checksum. */
static void
test_bridge(void)
{
	g_autofree char *a = NULL, *b = NULL, *sent = NULL, *received = NULL;

	if (skip_if_no_bed("bridge"))
		return;
	if (!bed->nested) {
		g_test_skip("the bridge scenario runs only inside the nested test bed's outer guest, "
		            "never on this host's own network");
		return;
	}
	if (!g_file_test(BRIDGE_HELPER, G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_skip(BRIDGE_HELPER " (qemu-system-common) is not installed");
		return;
	}
	a = scenario("bridge-A", "guest powered off through ACPI");
	b = scenario("bridge-B", "guest powered off through ACPI");
	assert_line(a, "GB-NET-UP 52:54:00:00:00:0a");
	assert_line(b, "GB-NET-UP 52:54:00:00:00:0b");
	assert_line(b, "GB-NET-PING ok");
	assert_line(b, "GB-NET-SENT");
	sent = line_after(b, "GB-NET-DATA ");
	received = line_after(a, "GB-NET-DATA ");
	g_assert_nonnull(sent);
	g_assert_true(g_str_has_prefix(sent, "67108864 "));
	g_assert_cmpstr(received, ==, sent);
}

/* The packet count of virtio-net's queue @name ("rx1") in a query-stats
 * reply that gb-api-call printed (mq/stats-N.json); -1 when not there.
 * *active_pairs: the device's "active-pairs". */
static gint64
net_queue_packets(const char *file, const char *name, gint64 *active_pairs)
{
	g_autofree char *text = nested_read(bed, file);
	g_auto(GStrv) lines = NULL;

	g_assert_nonnull(text);
	lines = g_strsplit(text, "\n", -1);
	for (unsigned int i = 0; lines[i]; i++) {
		g_autoptr(JsonParser) p = json_parser_new();
		JsonObject *r;
		JsonArray *virtio;

		if (!g_str_has_prefix(lines[i], "{\"return\"") || !json_parser_load_from_data(p, lines[i], -1, NULL))
			continue;
		r = json_object_get_object_member(json_node_get_object(json_parser_get_root(p)), "return");
		virtio = json_object_get_array_member(r, "virtio");
		for (unsigned int d = 0; virtio && d < json_array_get_length(virtio); d++) {
			JsonObject *dev = json_array_get_object_element(virtio, d);
			JsonArray *queues;

			if (g_strcmp0(json_object_get_string_member_with_default(dev, "device", ""), "virtio-net"))
				continue;
			if (active_pairs)
				*active_pairs = json_object_get_int_member_with_default(dev, "active-pairs", -1);
			queues = json_object_get_array_member(dev, "queues");
			for (unsigned int q = 0; q < json_array_get_length(queues); q++) {
				JsonObject *o = json_array_get_object_element(queues, q);

				if (!g_strcmp0(json_object_get_string_member_with_default(o, "name", ""), name))
					return json_object_get_int_member(o, "packets");
			}
		}
	}
	g_printerr("no virtio-net queue %s in %s:\n%s\n", name, file, text);
	return -1;
}

/* Multiqueue with Linux's own virtio_net: 2 vCPUs, `--net
 * tap=mq0,queues=2` on a multi_queue tap in the outer guest.  Linux
 * takes both pairs by itself (rx-0 rx-1 tx-0 tx-1), four TCP flows each
 * way arrive byte for byte, both queues of each direction carry packets
 * (query-stats), and after the guest reloads its driver (a device reset)
 * it has both pairs again and the second round arrives too, the second
 * pair still carrying traffic. */
static void
test_multiqueue(void)
{
	g_autofree char *serial = NULL, *sent = NULL, *received = NULL;
	const char *const q[] = { "rx0", "rx1", "tx0", "tx1" };
	gint64 first[4], second[4], pairs1 = -1, pairs2 = -1;

	if (skip_if_no_bed("mq"))
		return;
	if (!bed->nested) {
		g_test_skip("the mq scenario runs only inside the nested test bed's outer guest, "
		            "never on this host's own network");
		return;
	}
	sent = nested_read(bed, "mq/sent");
	if (sent == NULL && nested_read(bed, "mq/serial.log") == NULL) {
		g_test_skip("the outer guest has no `ip tuntap` with multi_queue (iproute2's ip was not found here)");
		return;
	}
	serial = scenario("mq", "stopped through the control socket");
	received = nested_read(bed, "mq/received");
	g_assert_nonnull(sent);
	g_assert_nonnull(received);
	assert_line(serial, "GB-MQ-QUEUES 1 rx-0 rx-1 tx-0 tx-1");
	assert_line(serial, "GB-MQ-RELOADED");
	assert_line(serial, "GB-MQ-QUEUES 2 rx-0 rx-1 tx-0 tx-1");
	for (int round = 1; round <= 2; round++) {
		for (int i = 1; i <= 4; i++) {
			g_autofree char *prefix = g_strdup_printf("%d %d ", round, i);
			g_autofree char *guest_sent = NULL, *guest_got = NULL, *ours_sent = NULL, *ours_got = NULL;
			g_autofree char *k = NULL;

			k = g_strdup_printf("GB-MQ-SENT %s", prefix);
			guest_sent = line_after(serial, k);
			g_free(k);
			k = g_strdup_printf("GB-MQ-GOT %s", prefix);
			guest_got = line_after(serial, k);
			g_free(k);
			k = g_strdup_printf("\n%s", prefix);
			{
				g_autofree char *s2 = g_strconcat("\n", sent, NULL), *r2 = g_strconcat("\n", received, NULL);
				ours_sent = line_after(s2, k);
				ours_got = line_after(r2, k);
			}
			/* guest -> outer guest, and back, 2 MiB each, same sha256. */
			g_assert_nonnull(guest_sent);
			g_assert_true(g_str_has_prefix(guest_sent, "2097152 "));
			g_assert_cmpstr(ours_got, ==, guest_sent);
			g_assert_nonnull(ours_sent);
			g_assert_true(g_str_has_prefix(ours_sent, "2097152 "));
			g_assert_cmpstr(guest_got, ==, ours_sent);
		}
	}
	for (int i = 0; i < 4; i++) {
		first[i] = net_queue_packets("mq/stats-1.json", q[i], i ? NULL : &pairs1);
		second[i] = net_queue_packets("mq/stats-2.json", q[i], i ? NULL : &pairs2);
	}
	g_test_message("per-queue packets after round 1: rx0 %" G_GINT64_FORMAT " rx1 %" G_GINT64_FORMAT
	               " tx0 %" G_GINT64_FORMAT " tx1 %" G_GINT64_FORMAT "; after round 2: rx0 %" G_GINT64_FORMAT
	               " rx1 %" G_GINT64_FORMAT " tx0 %" G_GINT64_FORMAT " tx1 %" G_GINT64_FORMAT,
	               first[0], first[1], first[2], first[3], second[0], second[1], second[2], second[3]);
	g_printerr("# mq: per-queue packets after round 1: rx0 %" G_GINT64_FORMAT " rx1 %" G_GINT64_FORMAT
	           " tx0 %" G_GINT64_FORMAT " tx1 %" G_GINT64_FORMAT "; after round 2 (driver reloaded): rx0 %"
	           G_GINT64_FORMAT " rx1 %" G_GINT64_FORMAT " tx0 %" G_GINT64_FORMAT " tx1 %" G_GINT64_FORMAT "\n",
	           first[0], first[1], first[2], first[3], second[0], second[1], second[2], second[3]);
	g_assert_cmpint(pairs1, ==, 2);
	g_assert_cmpint(pairs2, ==, 2);
	/* Both pairs moved packets each way in round 1... */
	for (int i = 0; i < 4; i++)
		g_assert_cmpint(first[i], >, 0);
	/* ...and the second pair again after the reset. */
	g_assert_cmpint(second[1], >, first[1]);
	g_assert_cmpint(second[3], >, first[3]);
}

/* The number on the last whole "GB-LOOP N" line of @serial (first: of the
 * first one), or -1. */
static int
loop_line(const char *serial, bool first)
{
	const char *p = serial;
	int n = -1;

	while ((p = strstr(p, "GB-LOOP ")) != NULL) {
		if (strchr(p, '\n') == NULL)
			break;
		if ((p == serial || p[-1] == '\n')) {
			n = atoi(p + 8);
			if (first)
				break;
		}
		p += 8;
	}
	return n;
}

/* save-state while Linux writes and reads back its virtio-blk disk, then
 * --restore: the restored guest goes on with the next block (no new boot),
 * reads every block back as written, and its hvc0 and the rng still work. */
static void
test_save_restore(void)
{
	g_autofree char *saved = NULL, *restored = NULL, *api = NULL, *hvc = NULL;
	int saved_at, first_after, last;

	if (skip_if_no_bed("saved"))
		return;
	saved = scenario("saved", "stopped through the control socket");
	api = nested_read(bed, "saved/api.log");
	g_assert_nonnull(api);
	g_assert_null(strstr(api, "\"error\""));
	g_assert_null(strstr(saved, "BAD"));
	saved_at = loop_line(saved, false);
	g_assert_cmpint(saved_at, >=, 60);
	restored = scenario("restored", "stopped through the control socket");
	g_assert_null(strstr(restored, "GLASSBOX-GUEST-UP"));
	g_assert_null(strstr(restored, "BAD"));
	first_after = loop_line(restored, true);
	last = loop_line(restored, false);
	g_test_message("saved after block %d; restored went on with %d to %d", saved_at, first_after, last);
	/* A line cut in two by the save ends after the restore. */
	g_assert_cmpint(first_after, >=, saved_at + 1);
	g_assert_cmpint(first_after, <=, saved_at + 2);
	g_assert_cmpint(last, >=, first_after + 10);
	hvc = nested_read(bed, "restored/hvc0.log");
	g_assert_nonnull(hvc);
	g_assert_nonnull(strstr(hvc, "tick "));
}

/* reset over the control socket boots Linux again on both
 * vCPUs (KVM's paravirtual MSRs put back: the new kernel is not overwritten
 * through the old one's kvmclock page), and the ACPI power button then
 * ends the VM: button.ko sees the press, the guest's poweroff -f writes
 * S5. */
static void
test_reset_power_button(void)
{
	g_autofree char *serial = NULL;
	g_autofree char *api = NULL;
	const char *first;

	if (skip_if_no_bed("qcow2"))
		return;
	serial = scenario("qcow2", "guest powered off through ACPI");
	first = strstr(serial, "GB-BUTTON-WAIT");
	g_assert_nonnull(first);
	g_assert_nonnull(strstr(first + 1, "GB-BUTTON-WAIT"));
	first = strstr(serial, "GB-CPUS 2");
	g_assert_nonnull(first);
	g_assert_nonnull(strstr(first + 1, "GB-CPUS 2"));
	assert_line(serial, "GB-BUTTON-PRESSED");
	api = nested_read(bed, "qcow2/api.log");
	g_assert_nonnull(api);
	if (strstr(api, "\"error\"") != NULL)
		g_printerr("control socket log:\n%s\n", api);
	g_assert_null(strstr(api, "\"error\""));
}

/* The same kernel as an ELF vmlinux, entered through PVH (the bzImage
 * when none could be extracted: then this case skips, the ends below
 * still run); saved while it asks how to end, then stopped over the
 * control socket. */
static void
test_pvh(void)
{
	g_autofree char *serial = NULL, *api = NULL;

	if (skip_if_no_bed("ends"))
		return;
	serial = scenario("pvh", "stopped through the control socket");
	api = nested_read(bed, "pvh/api.log");
	g_assert_nonnull(api);
	if (strstr(api, "\"error\"") != NULL)
		g_printerr("control socket log:\n%s\n", api);
	g_assert_null(strstr(api, "\"error\""));
	if (!have_vmlinux) {
		g_test_skip("no ELF vmlinux could be extracted from the bzImage");
		return;
	}
	assert_line(serial, "GB-CPUS 1");
	assert_line(serial, "GB-END-ASK");
}

/* The ways a guest ends itself: { the test's name, the way guest-check is
 * told, how the VMM says the VM ended }. */
static const struct {
	const char *test;
	const char *way[2];
} ends[] = {
	{ "reboot-acpi", { "reboot", "ACPI reset register" } },
	{ "reboot-kbd", { "reboot-kbd", "i8042" } },
	{ "triple-fault", { "reboot-triple", "triple fault" } },
	{ "poweroff", { "poweroff", "guest powered off through ACPI" } },
	{ "sysrq-b", { "sysrq-b", "reset" } },
	{ "sysrq-o", { "sysrq-o", "guest powered off through ACPI" } },
	{ "panic", { "panic", "reset" } },
};

/* One way a guest ends itself: the machine saved in test_pvh, restored,
 * told the way on its serial port, does it; the VMM ends with status 0
 * and says why.  @data: an ends[].way. */
static void
test_end(gconstpointer data)
{
	const char *const *c = data;
	g_autofree char *name = g_strconcat("end-", c[0], NULL);
	g_autofree char *told = g_strdup_printf("GB-END-WAY <%s>", c[0]);
	g_autofree char *serial = NULL;

	if (skip_if_no_bed("ends"))
		return;
	serial = scenario(name, c[1]);
	/* Restored, not booted: the guest goes on from its question. */
	g_assert_null(strstr(serial, "Linux version"));
	assert_line(serial, told);
	g_assert_null(strstr(serial, "GB-STILL-RUNNING"));
}

/* Booted with acpi=off (the MP table instead): the control socket's
 * powerdown falls back to Ctrl+Alt+Del, and the guest's reboot through
 * the i8042 ends the VM. */
static void
test_powerdown_without_acpi(void)
{
	g_autofree char *serial = NULL;

	if (skip_if_no_bed("ends"))
		return;
	serial = scenario("noacpi", "i8042");
	assert_line(serial, "GB-CHECK-DONE");
	g_assert_null(strstr(serial, "GB-STILL-RUNNING"));
}

int
main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	if (LINUX_IO) {
		g_test_add_func("/linux/bridge-two-guests", test_bridge);
		g_test_add_func("/linux/net-multiqueue", test_multiqueue);
		g_test_add_func("/linux/save-restore", test_save_restore);
	} else {
		g_test_add_func("/linux/qcow2-2cpu-devices", test_qcow2_2cpu_devices);
		g_test_add_func("/linux/reset-power-button", test_reset_power_button);
		g_test_add_func("/linux/raw-4cpu-hugepages", test_raw_4cpu_hugepages);
		g_test_add_func("/linux/bundled-machine", test_bundled_machine);
		g_test_add_func("/linux/pvh-vmlinux", test_pvh);
		for (unsigned int i = 0; i < G_N_ELEMENTS(ends); i++) {
			g_autofree char *path = g_strconcat("/linux/end/", ends[i].test, NULL);
			g_test_add_data_func(path, ends[i].way, test_end);
		}
		g_test_add_func("/linux/end/powerdown-without-acpi", test_powerdown_without_acpi);
	}
	run_bed();
	ret = g_test_run();
	nested_run_free(bed);
	g_free(skip_reason);
	g_free(marker);
	return ret;
}
