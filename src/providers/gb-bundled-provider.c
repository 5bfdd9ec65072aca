/* gb-bundled-provider.c — TEMP stand-in for branch `bundled`'s provider
 *
 * Just enough for the creator: machines are JSON files in a folder, written
 * atomically; nothing is started.  Drop this file at merge.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "gb-bundled-provider.h"
#include "gb-machine.h"
#include "gb-provider-private.h"

/* A machine that is only its file. */
#define GB_TYPE_STANDIN_MACHINE (gb_standin_machine_get_type ())
G_DECLARE_FINAL_TYPE (GbStandinMachine, gb_standin_machine, GB, STANDIN_MACHINE, GbMachine)
struct _GbStandinMachine { GbMachine parent_instance; };
G_DEFINE_FINAL_TYPE (GbStandinMachine, gb_standin_machine, GB_TYPE_MACHINE)
static void gb_standin_machine_class_init (GbStandinMachineClass *klass) { }
static void gb_standin_machine_init (GbStandinMachine *self) { }

struct _GbBundledProvider
{
  GbProvider  parent_instance;
  char       *machines_dir;
  char       *runtime_dir;
};

G_DEFINE_FINAL_TYPE (GbBundledProvider, gb_bundled_provider, GB_TYPE_PROVIDER)

static void
connect_async (GbProvider          *provider,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (provider, cancellable, callback, user_data);

  _gb_provider_set_state (provider, GB_PROVIDER_STATE_CONNECTED);
  g_task_return_boolean (task, TRUE);
}

static gboolean
connect_finish (GbProvider    *provider,
                GAsyncResult  *result,
                GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
gb_bundled_provider_finalize (GObject *object)
{
  GbBundledProvider *self = (GbBundledProvider *) object;

  g_free (self->machines_dir);
  g_free (self->runtime_dir);
  G_OBJECT_CLASS (gb_bundled_provider_parent_class)->finalize (object);
}

static void
gb_bundled_provider_class_init (GbBundledProviderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gb_bundled_provider_finalize;
  GB_PROVIDER_CLASS (klass)->connect_async = connect_async;
  GB_PROVIDER_CLASS (klass)->connect_finish = connect_finish;
}

static void
gb_bundled_provider_init (GbBundledProvider *self)
{
}

GbProvider *
gb_bundled_provider_new_for_dirs (const char *machines_dir,
                                  const char *runtime_dir)
{
  GbBundledProvider *self = g_object_new (GB_TYPE_BUNDLED_PROVIDER,
                                          "title", _("This computer (Glassbox)"),
                                          "uri", "glassbox:///machines",
                                          NULL);

  self->machines_dir = g_strdup (machines_dir);
  self->runtime_dir = g_strdup (runtime_dir);
  _gb_provider_set_state (GB_PROVIDER (self), GB_PROVIDER_STATE_CONNECTED);
  return GB_PROVIDER (self);
}

GbProvider *
gb_bundled_provider_new (void)
{
  g_autofree char *machines = g_build_filename (g_get_user_data_dir (), "glassbox", "machines", NULL);
  g_autofree char *runtime = g_build_filename (g_get_user_runtime_dir (), "glassbox", NULL);

  return gb_bundled_provider_new_for_dirs (machines, runtime);
}

const char *
gb_bundled_provider_get_machines_dir (GbBundledProvider *self)
{
  return self->machines_dir;
}

void
gb_bundled_provider_create_machine_async (GbBundledProvider   *self,
                                          JsonObject          *config,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *text = NULL;
  g_autofree char *file = NULL;
  g_autofree char *path = NULL;
  const char *name;
  GbMachine *machine;

  if (!json_object_has_member (config, "uuid"))
    json_object_set_string_member (config, "uuid", (uuid = g_uuid_string_random ()));
  name = json_object_get_string_member_with_default (config, "name", uuid);
  json_node_set_object (node, config);
  text = json_to_string (node, TRUE);
  file = g_strdup_printf ("%s.json", json_object_get_string_member (config, "uuid"));
  path = g_build_filename (self->machines_dir, file, NULL);
  if (g_mkdir_with_parents (self->machines_dir, 0700) < 0 ||
      !g_file_set_contents (path, text, -1, &error))
    {
      if (error == NULL)
        g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (errno), "%s", g_strerror (errno));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  machine = g_object_new (GB_TYPE_STANDIN_MACHINE, "provider", self, "name", name,
                          "uuid", json_object_get_string_member (config, "uuid"), NULL);
  _gb_provider_add_machine (GB_PROVIDER (self), machine);
  g_task_return_pointer (task, machine, g_object_unref);
}

GbMachine *
gb_bundled_provider_create_machine_finish (GbBundledProvider  *self,
                                           GAsyncResult       *result,
                                           GError            **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

GbKvmStatus
gb_bundled_provider_get_kvm_status (GbBundledProvider  *self,
                                    const char        **explanation)
{
  GbKvmStatus status = GB_KVM_STATUS_OK;
  const char *why = NULL;
  int fd;

  if (!g_file_test ("/dev/kvm", G_FILE_TEST_EXISTS))
    status = GB_KVM_STATUS_MISSING,
    why = _("This computer has no /dev/kvm: the KVM module is not loaded, or virtualisation is off.");
  else if ((fd = open ("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0)
    status = GB_KVM_STATUS_NO_ACCESS,
    why = _("/dev/kvm is there, but you may not use it: join the group “kvm” and log in again.");
  else
    {
      close (fd);
      if (g_file_test ("/sys/module/kvm_pvm", G_FILE_TEST_IS_DIR))
        status = GB_KVM_STATUS_EMULATED,
        why = _("KVM here emulates every guest instruction (PVM).");
    }
  if (explanation)
    *explanation = why;
  return status;
}
