/* test-libvirt-provider.c — GbLibvirtProvider and GbLibvirtMachine against test:///default
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libvirt's test driver keeps one shared state per process for
 * test:///default, so a second, raw connection opened here sees (and
 * changes) the same domains as the provider: that is how these tests act
 * "behind the provider's back" and check that events, not polling, keep
 * GbMachine up to date. Tests run in the order they are added and leave the
 * domain "test" running, as the driver starts it.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "gb-libvirt-machine.h"
#include "gb-libvirt-private.h"
#include "gb-libvirt-provider.h"
#include "gb-test-libvirt.h"
#include "gb-test-utils.h"

#define TEST_URI "test:///default"

static GbProvider *provider;  /* one connection for the whole program */
static virConnectPtr raw;      /* the same driver state, straight through libvirt */

/* Every wait here fails the test after 30 s (the first osinfo database
 * load takes ~10 s under valgrind). */
#define WAIT_FOR(cond) GB_TEST_WAIT_FOR (cond, 30)

typedef gboolean (*FinishFunc) (GbMachine *, GAsyncResult *, GError **);
typedef void (*AsyncFunc) (GbMachine *, GCancellable *, GAsyncReadyCallback, gpointer);

static gboolean
run_action (GbMachine  *machine,
            AsyncFunc   async,
            FinishFunc  finish,
            GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  async (machine, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  return finish (machine, result, error);
}

/* Records every state a machine announces through notify::state. */
typedef struct {
  GbMachine *machine;
  GArray    *states;
  gulong     handler;
} StateLog;

static void
on_state_notify (GbMachine  *machine,
                 GParamSpec *pspec,
                 StateLog   *log)
{
  GbMachineState state = gb_machine_get_state (machine);

  g_array_append_val (log->states, state);
}

static void
state_log_start (StateLog  *log,
                 GbMachine *machine)
{
  log->machine = machine;
  log->states = g_array_new (FALSE, FALSE, sizeof (GbMachineState));
  log->handler = g_signal_connect (machine, "notify::state", G_CALLBACK (on_state_notify), log);
}

static void
state_log_stop (StateLog *log)
{
  g_signal_handler_disconnect (log->machine, log->handler);
  g_array_unref (log->states);
}

static GbMachineState
state_log_last (StateLog *log)
{
  g_assert_cmpuint (log->states->len, >, 0);
  return g_array_index (log->states, GbMachineState, log->states->len - 1);
}

static GbMachine *
find_machine (const char *name)
{
  return gb_provider_find_machine (provider, name);
}

/* Tests */

static void
test_default_uris (void)
{
  g_auto(GStrv) as_user = _gb_libvirt_provider_default_uris (FALSE, "/home/ann/.local/share");
  g_auto(GStrv) as_root = _gb_libvirt_provider_default_uris (TRUE, "/root/.local/share");
  g_auto(GStrv) spaced = _gb_libvirt_provider_default_uris (FALSE, "/home/ann/My Data");

  g_assert_cmpuint (g_strv_length (as_user), ==, 2);
  g_assert_cmpstr (as_user[0], ==, "qemu:///session");
  g_assert_cmpstr (as_user[1], ==, "qemu:///embed?root=/home/ann/.local/share/glassbox/libvirt");

  g_assert_cmpuint (g_strv_length (as_root), ==, 2);
  g_assert_cmpstr (as_root[0], ==, "qemu:///system");
  g_assert_cmpstr (as_root[1], ==, "qemu:///embed?root=/root/.local/share/glassbox/libvirt");

  g_assert_cmpstr (spaced[1], ==, "qemu:///embed?root=/home/ann/My%20Data/glassbox/libvirt");
}

static void
test_titles (void)
{
  struct { const char *uri; const char *title; gboolean transient; } cases[] = {
    { "test:///default", "Test", FALSE },
    { "qemu:///system", "QEMU/KVM", FALSE },
    { "qemu:///session", "QEMU/KVM user session", FALSE },
    { "qemu:///embed?root=/tmp/x", "QEMU/KVM (embedded)", TRUE },
    { "qemu+ssh://ann@example.org/system", "QEMU/KVM on example.org", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GbProvider) p = gb_libvirt_provider_new (cases[i].uri);

      g_assert_cmpstr (gb_provider_get_uri (p), ==, cases[i].uri);
      g_assert_cmpstr (gb_provider_get_title (p), ==, cases[i].title);
      g_assert_cmpint (gb_provider_get_transient (p), ==, cases[i].transient);
      g_assert_cmpint (gb_provider_get_state (p), ==, GB_PROVIDER_STATE_DISCONNECTED);
      g_assert_cmpuint (g_list_model_get_n_items (gb_provider_get_machines (p)), ==, 0);
    }
}

/* The first-start logic: the first URI that opens wins; the ones that fail are skipped. */
static void
test_open_first (void)
{
  const char *uris[] = { "bogus:///nothing-here", TEST_URI, NULL };
  const char *none[] = { "bogus:///nothing-here", "test:///no/such/file.xml", NULL };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) result2 = NULL;
  g_autoptr(GbProvider) opened = NULL;
  g_autoptr(GError) error = NULL;

  _gb_libvirt_provider_open_first_async (uris, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  opened = _gb_libvirt_provider_open_first_finish (result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (opened);
  g_assert_cmpstr (gb_provider_get_uri (opened), ==, TEST_URI);
  g_assert_cmpint (gb_provider_get_state (opened), ==, GB_PROVIDER_STATE_CONNECTED);
  g_assert_nonnull (gb_provider_find_machine (opened, "test"));

  _gb_libvirt_provider_open_first_async (none, NULL, gb_test_store_result, &result2);
  WAIT_FOR (result2 != NULL);
  g_assert_null (_gb_libvirt_provider_open_first_finish (result2, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  /* Both failures are told, each with libvirt's own words. */
  g_assert_nonnull (strstr (error->message, "bogus:///nothing-here"));
  g_assert_nonnull (strstr (error->message, "test:///no/such/file.xml"));
}

/* A connection that cannot open says why, in libvirt's words, and stays down. */
static void
test_connect_error (void)
{
  g_autoptr(GbProvider) p = gb_libvirt_provider_new ("test:///no/such/file.xml");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  gb_provider_connect_async (p, NULL, gb_test_store_result, &result);
  g_assert_cmpint (gb_provider_get_state (p), ==, GB_PROVIDER_STATE_CONNECTING);
  WAIT_FOR (result != NULL);
  g_assert_false (gb_provider_connect_finish (p, result, &error));
  g_assert_error (error, GB_LIBVIRT_ERROR, VIR_ERR_XML_ERROR);
  g_assert_nonnull (strstr (error->message, "/no/such/file.xml"));
  g_assert_cmpint (gb_provider_get_state (p), ==, GB_PROVIDER_STATE_DISCONNECTED);
  g_assert_cmpstr (gb_provider_get_error (p), ==, error->message);
  g_assert_cmpuint (g_list_model_get_n_items (gb_provider_get_machines (p)), ==, 0);
}

static void
on_provider_state (GbProvider *p,
                   GParamSpec *pspec,
                   GArray     *states)
{
  GbProviderState state = gb_provider_get_state (p);

  g_array_append_val (states, state);
}

static void
test_connect_and_list (void)
{
  g_autoptr(GArray) states = g_array_new (FALSE, FALSE, sizeof (GbProviderState));
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GListModel *machines;
  GbMachine *machine;
  GbMachineConfig *config;
  gulong handler;

  handler = g_signal_connect (provider, "notify::state", G_CALLBACK (on_provider_state), states);
  gb_provider_connect_async (provider, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  g_assert_true (gb_provider_connect_finish (provider, result, &error));
  g_assert_no_error (error);
  g_signal_handler_disconnect (provider, handler);

  g_assert_cmpuint (states->len, ==, 2);
  g_assert_cmpint (g_array_index (states, GbProviderState, 0), ==, GB_PROVIDER_STATE_CONNECTING);
  g_assert_cmpint (g_array_index (states, GbProviderState, 1), ==, GB_PROVIDER_STATE_CONNECTED);
  g_assert_null (gb_provider_get_error (provider));

  machines = gb_provider_get_machines (provider);
  g_assert_true (g_list_model_get_item_type (machines) == GB_TYPE_MACHINE);
  g_assert_cmpuint (g_list_model_get_n_items (machines), ==, 1);

  machine = find_machine ("test");
  g_assert_nonnull (machine);
  g_assert_true (GB_IS_LIBVIRT_MACHINE (machine));
  g_assert_true (gb_provider_find_machine (provider, "6695eb01-f6a4-8304-79aa-97f2502e193f") == machine);
  g_assert_true (gb_machine_get_provider (machine) == provider);
  g_assert_cmpstr (gb_machine_get_uuid (machine), ==, "6695eb01-f6a4-8304-79aa-97f2502e193f");
  g_assert_cmpint (gb_machine_get_state (machine), ==, GB_MACHINE_STATE_RUNNING);
  g_assert_false (gb_machine_get_transient (machine));

  /* The definition as libvirt reports it (see `virsh -c test:///default dumpxml test`). */
  config = gb_machine_get_config (machine);
  g_assert_nonnull (config);
  g_assert_cmpuint (gb_machine_config_get_n_vcpus (config), ==, 2);
  g_assert_cmpuint (gb_machine_config_get_memory (config), ==, G_GUINT64_CONSTANT (8388608) * 1024);
  g_assert_cmpuint (gb_machine_config_get_disks (config)->len, ==, 1);
  g_assert_cmpstr (((GbConfigDisk *) gb_machine_config_get_disks (config)->pdata[0])->path, ==, "/guest/diskimage1");
  g_assert_cmpuint (gb_machine_config_get_nics (config)->len, ==, 1);
  g_assert_cmpstr (((GbConfigNic *) gb_machine_config_get_nics (config)->pdata[0])->mac, ==, "aa:bb:cc:dd:ee:ff");

  /* Consoles get the libvirt-gobject view of the same domain. */
  g_assert_cmpstr (gvir_domain_get_name (gb_libvirt_machine_get_domain (GB_LIBVIRT_MACHINE (machine))), ==, "test");
}

static void
test_lifecycle (void)
{
  GbMachine *machine = find_machine ("test");
  g_autoptr(GError) error = NULL;
  StateLog log;

  g_assert_nonnull (machine);
  g_assert_cmpint (gb_machine_get_state (machine), ==, GB_MACHINE_STATE_RUNNING);
  state_log_start (&log, machine);

#define STEP(action, expected)                                                          \
  G_STMT_START {                                                                        \
    guint before_ = log.states->len;                                                    \
    g_assert_true (run_action (machine, gb_machine_##action##_async,                    \
                               gb_machine_##action##_finish, &error));                  \
    g_assert_no_error (error);                                                          \
    WAIT_FOR (log.states->len > before_ && state_log_last (&log) == (expected));        \
    g_assert_cmpint (gb_machine_get_state (machine), ==, (expected));                   \
  } G_STMT_END

  STEP (pause, GB_MACHINE_STATE_PAUSED);
  STEP (resume, GB_MACHINE_STATE_RUNNING);
  STEP (shutdown, GB_MACHINE_STATE_SHUTOFF);
  STEP (start, GB_MACHINE_STATE_RUNNING);
  STEP (force_off, GB_MACHINE_STATE_SHUTOFF);
  STEP (start, GB_MACHINE_STATE_RUNNING);

#undef STEP

  /* Exactly one notification per change, nothing spurious in between. */
  g_assert_cmpuint (log.states->len, ==, 6);

  /* Reboot: accepted, and the machine is running afterwards.  (The test
   * driver reboots in place, so this cannot tell a reboot from nothing:
   * test_reboot shows that the reboot reaches libvirt.) */
  g_assert_true (run_action (machine, gb_machine_reboot_async, gb_machine_reboot_finish, &error));
  g_assert_no_error (error);
  g_assert_cmpint (gb_machine_get_state (machine), ==, GB_MACHINE_STATE_RUNNING);

  state_log_stop (&log);
}

/* The test driver restarts a domain in place on reboot, without an event:
 * "running before, running after" would pass if Reboot did nothing.  A
 * domain whose <on_reboot> is "destroy" shows that the reboot reached
 * libvirt: it stops, by event.  A stopped machine cannot be rebooted. */
static void
test_reboot (void)
{
  const char *xml = "<domain type='test'><name>reboots</name><memory>65536</memory>"
                    "<os><type>hvm</type></os><on_reboot>destroy</on_reboot></domain>";
  g_autoptr(GError) error = NULL;
  GbMachine *machine;
  virDomainPtr dom;
  StateLog log;

  dom = virDomainDefineXML (raw, xml);
  g_assert_nonnull (dom);
  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  WAIT_FOR (find_machine ("reboots") != NULL);
  machine = find_machine ("reboots");
  WAIT_FOR (gb_machine_get_state (machine) == GB_MACHINE_STATE_RUNNING);

  state_log_start (&log, machine);
  g_assert_true (run_action (machine, gb_machine_reboot_async, gb_machine_reboot_finish, &error));
  g_assert_no_error (error);
  WAIT_FOR (log.states->len > 0 && state_log_last (&log) == GB_MACHINE_STATE_SHUTOFF);
  g_assert_cmpint (virDomainIsActive (dom), ==, 0);
  state_log_stop (&log);

  /* Off: libvirt refuses, and the machine says why. */
  g_assert_false (run_action (machine, gb_machine_reboot_async, gb_machine_reboot_finish, &error));
  g_assert_nonnull (error);
  g_test_message ("reboot while off: %s", error->message);
  g_assert_cmpint (gb_machine_get_state (machine), ==, GB_MACHINE_STATE_SHUTOFF);

  g_assert_cmpint (virDomainUndefine (dom), ==, 0);
  virDomainFree (dom);
  WAIT_FOR (find_machine ("reboots") == NULL);
}

/* Machines libvirt reports crashed (VIR_DOMAIN_CRASHED) and suspended to
 * memory by the guest (VIR_DOMAIN_PMSUSPENDED): the test driver starts
 * domains of a node file in the state its <test:runstate> says. */
static void
test_crashed_and_suspended (void)
{
  g_autofree char *dir = gb_test_tmpdir_new ("gb-provider-states-XXXXXX");
  g_autofree char *node = g_build_filename (dir, "node.xml", NULL);
  g_autofree char *uri = g_strdup_printf ("test://%s", node);
  g_autofree char *xml = NULL;
  g_autoptr(GbProvider) p = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) result2 = NULL;
  g_autoptr(GError) error = NULL;
  GbMachine *crashed, *suspended;

  xml = g_strdup_printf (
    "<node>"
    "<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>"
    "<name>crashed</name><memory>65536</memory><os><type>hvm</type></os>"
    "<test:runstate>%d</test:runstate></domain>"
    "<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>"
    "<name>suspended</name><memory>65536</memory><os><type>hvm</type></os>"
    "<test:runstate>%d</test:runstate></domain>"
    "</node>", VIR_DOMAIN_CRASHED, VIR_DOMAIN_PMSUSPENDED);
  g_assert_true (g_file_set_contents (node, xml, -1, NULL));

  p = gb_libvirt_provider_new (uri);
  gb_provider_connect_async (p, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  g_assert_true (gb_provider_connect_finish (p, result, &error));
  g_assert_no_error (error);

  crashed = gb_provider_find_machine (p, "crashed");
  suspended = gb_provider_find_machine (p, "suspended");
  g_assert_nonnull (crashed);
  g_assert_nonnull (suspended);
  g_assert_cmpint (gb_machine_get_state (crashed), ==, GB_MACHINE_STATE_CRASHED);
  g_assert_cmpint (gb_machine_get_state (suspended), ==, GB_MACHINE_STATE_SUSPENDED);

  /* A crashed machine can be forced off, and then it is off. */
  gb_machine_force_off_async (crashed, NULL, gb_test_store_result, &result2);
  WAIT_FOR (result2 != NULL);
  g_assert_true (gb_machine_force_off_finish (crashed, result2, &error));
  g_assert_no_error (error);
  WAIT_FOR (gb_machine_get_state (crashed) == GB_MACHINE_STATE_SHUTOFF);

  gb_provider_disconnect (p);
  gb_test_tmpdir_remove (dir);
}

/* Someone else (virsh, virt-manager) changes the domain: the machine
 * follows through libvirt's lifecycle events. */
static void
test_events_from_outside (void)
{
  GbMachine *machine = find_machine ("test");
  virDomainPtr dom = virDomainLookupByName (raw, "test");
  StateLog log;

  g_assert_nonnull (dom);
  state_log_start (&log, machine);

  g_assert_cmpint (virDomainSuspend (dom), ==, 0);
  WAIT_FOR (gb_machine_get_state (machine) == GB_MACHINE_STATE_PAUSED);
  g_assert_cmpint (virDomainResume (dom), ==, 0);
  WAIT_FOR (gb_machine_get_state (machine) == GB_MACHINE_STATE_RUNNING);
  g_assert_cmpint (virDomainDestroy (dom), ==, 0);
  WAIT_FOR (gb_machine_get_state (machine) == GB_MACHINE_STATE_SHUTOFF);
  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  WAIT_FOR (gb_machine_get_state (machine) == GB_MACHINE_STATE_RUNNING);

  g_assert_cmpuint (log.states->len, ==, 4);
  g_assert_cmpint (g_array_index (log.states, GbMachineState, 0), ==, GB_MACHINE_STATE_PAUSED);
  g_assert_cmpint (g_array_index (log.states, GbMachineState, 1), ==, GB_MACHINE_STATE_RUNNING);
  g_assert_cmpint (g_array_index (log.states, GbMachineState, 2), ==, GB_MACHINE_STATE_SHUTOFF);
  g_assert_cmpint (g_array_index (log.states, GbMachineState, 3), ==, GB_MACHINE_STATE_RUNNING);

  state_log_stop (&log);
  virDomainFree (dom);
}

/* @error carries what libvirt says when @call is made directly on @name. */
static void
expect_libvirt_error (const GError *error,
                      const char   *name,
                      int         (*call) (virDomainPtr))
{
  virDomainPtr dom = virDomainLookupByName (raw, name);
  virErrorPtr direct;

  g_assert_nonnull (dom);
  g_assert_cmpint (call (dom), ==, -1);
  direct = virGetLastError ();
  g_assert_nonnull (direct);
  g_assert_nonnull (error);
  g_assert_true (error->domain == GB_LIBVIRT_ERROR);
  g_assert_cmpint (error->code, ==, direct->code);
  g_assert_cmpstr (error->message, ==, direct->message);
  virResetLastError ();
  virDomainFree (dom);
}

static void
test_errors (void)
{
  GbMachine *machine = find_machine ("test");
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;

  g_assert_cmpint (gb_machine_get_state (machine), ==, GB_MACHINE_STATE_RUNNING);

  /* libvirt's own words reach the user: the same as a direct call says. */
  g_assert_false (run_action (machine, gb_machine_start_async, gb_machine_start_finish, &error));
  expect_libvirt_error (error, "test", virDomainCreate);
  g_assert_nonnull (strstr (error->message, "already running"));

  g_assert_false (run_action (machine, gb_machine_resume_async, gb_machine_resume_finish, &error2));
  expect_libvirt_error (error2, "test", virDomainResume);

  /* Nothing changed. */
  g_assert_cmpint (gb_machine_get_state (machine), ==, GB_MACHINE_STATE_RUNNING);
}

static const char new_domain_xml[] =
  "<domain type='test'>"
  "  <name>fresh</name>"
  "  <uuid>0b6c1d3e-2f4a-4b5c-8d9e-0a1b2c3d4e5f</uuid>"
  "  <metadata>"
  "    <libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'>"
  "      <libosinfo:os id='http://debian.org/debian/11'/>"
  "    </libosinfo:libosinfo>"
  "  </metadata>"
  "  <memory unit='MiB'>256</memory>"
  "  <vcpu>3</vcpu>"
  "  <os><type>hvm</type></os>"
  "  <devices>"
  "    <disk type='file' device='disk'>"
  "      <driver name='qemu' type='qcow2'/>"
  "      <source file='%s'/>"
  "      <target dev='vda' bus='virtio'/>"
  "    </disk>"
  "    <disk type='file' device='disk'>"
  "      <source file='%s'/>"
  "      <target dev='vdb' bus='virtio'/>"
  "    </disk>"
  "    <interface type='network'>"
  "      <mac address='52:54:00:12:34:56'/>"
  "      <source network='default'/>"
  "      <model type='virtio'/>"
  "    </interface>"
  "    <graphics type='vnc' port='5907' listen='127.0.0.1'/>"
  "  </devices>"
  "</domain>";

typedef struct {
  guint added;
  guint removed;
} ItemsLog;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  ItemsLog   *log)
{
  log->added += added;
  log->removed += removed;
}

static void
test_define_and_delete (void)
{
  g_autofree char *dir = gb_test_tmpdir_new ("gb-unit-XXXXXX");
  g_autofree char *disk1 = g_build_filename (dir, "system.qcow2", NULL);
  g_autofree char *disk2 = g_build_filename (dir, "data.img", NULL);
  g_autofree char *xml = g_strdup_printf (new_domain_xml, disk1, disk2);
  GListModel *machines = gb_provider_get_machines (provider);
  const char *to_delete[] = { disk1, NULL };
  const char *not_a_disk[] = { "/etc/passwd", NULL };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) result2 = NULL;
  g_autoptr(GError) error = NULL;
  ItemsLog items = { 0 };
  GbMachineConfig *config;
  GbConfigDisk *disk;
  GbConfigNic *nic;
  GbConfigGraphics *graphics;
  virDomainPtr dom;
  GbMachine *machine;
  gulong handler;

  g_assert_true (g_file_set_contents (disk1, "qcow2 stand-in", -1, NULL));
  g_assert_true (g_file_set_contents (disk2, "raw stand-in", -1, NULL));

  handler = g_signal_connect (machines, "items-changed", G_CALLBACK (on_items_changed), &items);

  /* Defined elsewhere: it appears in the model. */
  dom = virDomainDefineXML (raw, xml);
  g_assert_nonnull (dom);
  virDomainFree (dom);
  WAIT_FOR (items.added == 1);
  g_assert_cmpuint (g_list_model_get_n_items (machines), ==, 2);

  machine = find_machine ("fresh");
  g_assert_nonnull (machine);
  g_assert_cmpint (gb_machine_get_state (machine), ==, GB_MACHINE_STATE_SHUTOFF);

  /* Its definition and OS arrive off the main thread. */
  WAIT_FOR (gb_machine_get_config (machine) != NULL);
  config = gb_machine_get_config (machine);
  g_assert_cmpuint (gb_machine_config_get_n_vcpus (config), ==, 3);
  g_assert_cmpuint (gb_machine_config_get_memory (config), ==, 256 * 1024 * 1024);
  g_assert_cmpuint (gb_machine_config_get_disks (config)->len, ==, 2);
  disk = g_ptr_array_index (gb_machine_config_get_disks (config), 0);
  g_assert_cmpstr (disk->path, ==, disk1);
  g_assert_cmpstr (disk->format, ==, "qcow2");
  g_assert_cmpstr (disk->bus, ==, "virtio");
  nic = g_ptr_array_index (gb_machine_config_get_nics (config), 0);
  g_assert_cmpstr (nic->mac, ==, "52:54:00:12:34:56");
  g_assert_cmpstr (nic->type, ==, "network");
  g_assert_cmpstr (nic->source, ==, "default");
  g_assert_cmpstr (nic->model, ==, "virtio");
  graphics = g_ptr_array_index (gb_machine_config_get_graphics (config), 0);
  g_assert_cmpstr (graphics->type, ==, "vnc");
  g_assert_cmpint (graphics->port, ==, 5907);
  g_assert_cmpstr (graphics->listen, ==, "127.0.0.1");

  g_assert_cmpstr (gb_machine_get_os_id (machine), ==, "http://debian.org/debian/11");
  WAIT_FOR (gb_machine_get_os_name (machine) != NULL);
  g_assert_cmpstr (gb_machine_get_os_name (machine), ==, "Debian 11");
  g_assert_cmpstr (gb_machine_config_get_os_name (gb_machine_get_config (machine)), ==, "Debian 11");

  /* Deleting never touches a file that is not one of the machine's disks. */
  gb_machine_delete_async (machine, not_a_disk, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  g_assert_false (gb_machine_delete_finish (machine, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_nonnull (find_machine ("fresh"));

  /* Delete with exactly one of its two disks: it leaves the model. */
  g_object_ref (machine);
  gb_machine_delete_async (machine, to_delete, NULL, gb_test_store_result, &result2);
  WAIT_FOR (result2 != NULL);
  g_assert_true (gb_machine_delete_finish (machine, result2, &error));
  g_assert_no_error (error);
  WAIT_FOR (items.removed == 1);
  g_assert_null (find_machine ("fresh"));
  g_assert_cmpuint (g_list_model_get_n_items (machines), ==, 1);
  g_object_unref (machine);

  g_assert_false (g_file_test (disk1, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (disk2, G_FILE_TEST_EXISTS));

  /* Defined and undefined by someone else: in, then out. */
  dom = virDomainDefineXML (raw, xml);
  g_assert_nonnull (dom);
  WAIT_FOR (items.added == 2);
  g_assert_cmpint (virDomainUndefine (dom), ==, 0);
  virDomainFree (dom);
  WAIT_FOR (items.removed == 2);
  g_assert_null (find_machine ("fresh"));

  g_signal_handler_disconnect (machines, handler);
  g_unlink (disk2);
  g_rmdir (dir);
}

/* A disk that is a volume of a storage pool is deleted through the pool. */
static void
test_delete_volume (void)
{
  const char *vol_xml = "<volume><name>doomed.img</name><capacity>1048576</capacity></volume>";
  virStoragePoolPtr pool = virStoragePoolLookupByName (raw, "default-pool");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *xml = NULL;
  virStorageVolPtr vol, gone;
  virDomainPtr dom;
  GbMachine *machine;
  const char *to_delete[2] = { NULL, NULL };

  g_assert_nonnull (pool);
  vol = virStorageVolCreateXML (pool, vol_xml, 0);
  g_assert_nonnull (vol);
  path = virStorageVolGetPath (vol);
  g_assert_nonnull (path);
  virStorageVolFree (vol);

  xml = g_strdup_printf ("<domain type='test'><name>with-volume</name><memory>65536</memory>"
                         "<os><type>hvm</type></os><devices>"
                         "<disk type='file' device='disk'><source file='%s'/>"
                         "<target dev='vda' bus='virtio'/></disk>"
                         "</devices></domain>", path);
  dom = virDomainDefineXML (raw, xml);
  g_assert_nonnull (dom);
  virDomainFree (dom);
  WAIT_FOR (find_machine ("with-volume") != NULL);
  machine = find_machine ("with-volume");
  WAIT_FOR (gb_machine_get_config (machine) != NULL);

  to_delete[0] = path;
  gb_machine_delete_async (machine, to_delete, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  g_assert_true (gb_machine_delete_finish (machine, result, &error));
  g_assert_no_error (error);
  WAIT_FOR (find_machine ("with-volume") == NULL);

  /* The pool no longer has it. */
  gone = virStorageVolLookupByPath (raw, path);
  g_assert_null (gone);
  virResetLastError ();
  virStoragePoolFree (pool);
}

/* A transient domain (created, never defined) shows while it runs. */
static void
test_transient_domain (void)
{
  const char *xml = "<domain type='test'><name>passing</name><memory>65536</memory>"
                    "<os><type>hvm</type></os></domain>";
  virDomainPtr dom;

  dom = virDomainCreateXML (raw, xml, 0);
  g_assert_nonnull (dom);
  WAIT_FOR (find_machine ("passing") != NULL);
  WAIT_FOR (gb_machine_get_state (find_machine ("passing")) == GB_MACHINE_STATE_RUNNING);

  g_assert_cmpint (virDomainDestroy (dom), ==, 0);
  virDomainFree (dom);
  WAIT_FOR (find_machine ("passing") == NULL);
}

static void
on_stats_updated (GbMachine *machine,
                  guint     *count)
{
  (*count)++;
}

static void
test_stats (void)
{
  GbMachine *machine = find_machine ("test");
  const GbMachineSample *samples;
  guint n_samples = 0;
  guint updates = 0;
  gulong handler;

  g_assert_cmpint (gb_machine_get_state (machine), ==, GB_MACHINE_STATE_RUNNING);

  handler = g_signal_connect (machine, "stats-updated", G_CALLBACK (on_stats_updated), &updates);
  gb_provider_set_stats_interval (provider, 100);
  WAIT_FOR (updates >= 3);
  gb_provider_set_stats_interval (provider, 0);
  g_signal_handler_disconnect (machine, handler);

  samples = gb_machine_get_samples (machine, &n_samples);
  g_assert_cmpuint (n_samples, >=, 3);
  for (guint i = 0; i < n_samples; i++)
    {
      g_assert_cmpfloat (samples[i].cpu_percent, >=, 0.0);
      g_assert_cmpfloat (samples[i].cpu_percent, <=, 100.0);
      if (i > 0)
        g_assert_cmpint (samples[i].time_us, >, samples[i - 1].time_us);
    }
  /* The test driver reports no CPU or memory figures (the QEMU test in
   * tests/libvirt/ checks real ones), so the samples say zero. */
  g_assert_cmpfloat (gb_machine_get_cpu_usage (machine), ==, samples[n_samples - 1].cpu_percent);

  /* Stopping clears the history. */
  g_assert_true (run_action (machine, gb_machine_force_off_async, gb_machine_force_off_finish, NULL));
  WAIT_FOR (gb_machine_get_state (machine) == GB_MACHINE_STATE_SHUTOFF);
  gb_machine_get_samples (machine, &n_samples);
  g_assert_cmpuint (n_samples, ==, 0);
  g_assert_cmpfloat (gb_machine_get_cpu_usage (machine), ==, 0.0);
  g_assert_true (run_action (machine, gb_machine_start_async, gb_machine_start_finish, NULL));
  WAIT_FOR (gb_machine_get_state (machine) == GB_MACHINE_STATE_RUNNING);
}

/* The figures behind the details page's graphs: rates from two records of
 * libvirt's counters, the time between them measured by the records. */
static void
test_graph_values (void)
{
  GbMachine *machine = find_machine ("test");
  GbLibvirtRawStats raw = { 0 };
  const GbMachineSample *samples;
  const GbMachineSample *last;
  guint n_samples = 0, before;
  gint64 t0 = g_get_monotonic_time () + 1000 * G_USEC_PER_SEC;

  g_assert_cmpint (gb_machine_get_state (machine), ==, GB_MACHINE_STATE_RUNNING);
  g_strlcpy (raw.uuid, gb_machine_get_uuid (machine), sizeof raw.uuid);
  raw.has_cpu = raw.has_memory = TRUE;
  raw.n_vcpus = 2;
  raw.memory_bytes = 512 << 20;
  raw.cpu_time_ns = G_GUINT64_CONSTANT (5000000000);
  raw.rd_bytes = 1000;
  raw.wr_bytes = 2000;
  raw.rx_bytes = 3000;
  raw.tx_bytes = 4000;
  raw.time_us = t0;
  _gb_libvirt_machine_update_stats (GB_LIBVIRT_MACHINE (machine), &raw);
  gb_machine_get_samples (machine, &before);

  /* Two seconds later: 4 MiB read, 1 MiB written, 2000 bytes in, 500 out;
   * one second of CPU over two vCPUs in two seconds is 25 %. */
  raw.time_us = t0 + 2 * G_USEC_PER_SEC;
  raw.cpu_time_ns += G_GUINT64_CONSTANT (1000000000);
  raw.rd_bytes += 4 << 20;
  raw.wr_bytes += 1 << 20;
  raw.rx_bytes += 2000;
  raw.tx_bytes += 500;
  _gb_libvirt_machine_update_stats (GB_LIBVIRT_MACHINE (machine), &raw);

  samples = gb_machine_get_samples (machine, &n_samples);
  g_assert_cmpuint (n_samples, ==, before + 1);
  last = &samples[n_samples - 1];
  g_assert_cmpint (last->time_us, ==, t0 + 2 * G_USEC_PER_SEC);
  g_assert_cmpfloat_with_epsilon (last->cpu_percent, 25.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (last->memory_bytes, 512 << 20, 0.5);
  g_assert_cmpfloat_with_epsilon (last->disk_read_bps, 2 << 20, 1e-6);
  g_assert_cmpfloat_with_epsilon (last->disk_write_bps, 512 << 10, 1e-6);
  g_assert_cmpfloat_with_epsilon (last->net_rx_bps, 1000, 1e-6);
  g_assert_cmpfloat_with_epsilon (last->net_tx_bps, 250, 1e-6);
  g_assert_cmpfloat (gb_machine_get_cpu_usage (machine), ==, last->cpu_percent);

  /* Counters that went back (the guest's device was reset) are no
   * negative rate: zero until they grow again. */
  raw.time_us += G_USEC_PER_SEC;
  raw.rd_bytes = 0;
  raw.rx_bytes = 0;
  _gb_libvirt_machine_update_stats (GB_LIBVIRT_MACHINE (machine), &raw);
  samples = gb_machine_get_samples (machine, &n_samples);
  last = &samples[n_samples - 1];
  g_assert_cmpfloat (last->disk_read_bps, ==, 0.0);
  g_assert_cmpfloat (last->net_rx_bps, ==, 0.0);
  g_assert_cmpfloat (last->disk_write_bps, ==, 0.0);   /* unchanged: nothing written */
}

static void
test_disconnect (void)
{
  GListModel *machines = gb_provider_get_machines (provider);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  gb_provider_disconnect (provider);
  g_assert_cmpint (gb_provider_get_state (provider), ==, GB_PROVIDER_STATE_DISCONNECTED);
  g_assert_cmpuint (g_list_model_get_n_items (machines), ==, 0);

  /* And back. */
  gb_provider_connect_async (provider, NULL, gb_test_store_result, &result);
  WAIT_FOR (result != NULL);
  g_assert_true (gb_provider_connect_finish (provider, result, &error));
  g_assert_cmpuint (g_list_model_get_n_items (machines), ==, 1);
}

static void
test_state_strings (void)
{
  g_assert_cmpstr (gb_machine_state_to_string (GB_MACHINE_STATE_RUNNING), ==, "Running");
  g_assert_cmpstr (gb_machine_state_to_string (GB_MACHINE_STATE_SHUTOFF), ==, "Shut off");
  g_assert_cmpstr (gb_machine_state_to_string (GB_MACHINE_STATE_PAUSED), ==, "Paused");
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  gb_test_libvirt_init ();

  provider = gb_libvirt_provider_new (TEST_URI);
  raw = virConnectOpen (TEST_URI);
  g_assert_nonnull (raw);

  g_test_add_func ("/libvirt-provider/default-uris", test_default_uris);
  g_test_add_func ("/libvirt-provider/titles", test_titles);
  g_test_add_func ("/libvirt-provider/state-strings", test_state_strings);
  g_test_add_func ("/libvirt-provider/open-first", test_open_first);
  g_test_add_func ("/libvirt-provider/connect-error", test_connect_error);
  g_test_add_func ("/libvirt-provider/connect-and-list", test_connect_and_list);
  g_test_add_func ("/libvirt-provider/lifecycle", test_lifecycle);
  g_test_add_func ("/libvirt-provider/reboot", test_reboot);
  g_test_add_func ("/libvirt-provider/crashed-and-suspended", test_crashed_and_suspended);
  g_test_add_func ("/libvirt-provider/events-from-outside", test_events_from_outside);
  g_test_add_func ("/libvirt-provider/errors", test_errors);
  g_test_add_func ("/libvirt-provider/define-and-delete", test_define_and_delete);
  g_test_add_func ("/libvirt-provider/delete-volume", test_delete_volume);
  g_test_add_func ("/libvirt-provider/transient-domain", test_transient_domain);
  g_test_add_func ("/libvirt-provider/stats", test_stats);
  g_test_add_func ("/libvirt-provider/graph-values", test_graph_values);
  g_test_add_func ("/libvirt-provider/disconnect", test_disconnect);

  ret = g_test_run ();

  g_clear_object (&provider);
  virConnectClose (raw);

  return ret;
}
