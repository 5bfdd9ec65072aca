/* gb-vmm-client.c — one connection to a glassbox-vmm control socket
 *
 * The protocol is JSON lines, shaped like QMP (docs/vmm-api.md): a greeting,
 * then requests with an "id" answered by replies with the same "id", and
 * events that may arrive at any time in between.  Everything runs on the
 * thread-default main context of whoever connected; nothing blocks.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <gio/gunixsocketaddress.h>
#include <glib/gi18n.h>

#include "gb-vmm-client.h"

struct _GbVmmClient
{
  GObject            parent_instance;

  char              *socket_path;
  GSocketConnection *connection;
  GDataInputStream  *input;
  GCancellable      *cancellable;   /* the read loop's */
  GStrv              commands;
  GHashTable        *pending;       /* id (gint64 as pointer) → GTask */
  GQueue             writes;        /* GBytes waiting for the one write in flight */
  gboolean           writing;
  gboolean           write_failed;
  gint64             next_id;
  gboolean           connected;
};

G_DEFINE_FINAL_TYPE (GbVmmClient, gb_vmm_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SOCKET_PATH,
  PROP_CONNECTED,
  N_PROPS
};

enum {
  EVENT,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void gb_vmm_client_read_next (GbVmmClient *self);

static void
gb_vmm_client_fail_pending (GbVmmClient  *self,
                            const GError *error)
{
  g_autoptr(GList) tasks = g_hash_table_get_values (self->pending);

  g_hash_table_steal_all (self->pending);
  for (GList *l = tasks; l != NULL; l = l->next)
    {
      GTask *task = l->data;

      g_task_return_error (task, g_error_copy (error));
      g_object_unref (task);
    }
}

static void
gb_vmm_client_set_disconnected (GbVmmClient *self)
{
  g_autoptr(GError) error = NULL;

  if (!self->connected)
    return;

  self->connected = FALSE;
  error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                               _("The virtual machine monitor closed its control socket"));
  gb_vmm_client_fail_pending (self, error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
}

static void
gb_vmm_client_dispose (GObject *object)
{
  GbVmmClient *self = GB_VMM_CLIENT (object);

  gb_vmm_client_close (self);
  g_clear_object (&self->input);
  g_clear_object (&self->connection);
  g_clear_object (&self->cancellable);
  g_queue_clear_full (&self->writes, (GDestroyNotify) g_bytes_unref);

  G_OBJECT_CLASS (gb_vmm_client_parent_class)->dispose (object);
}

static void
gb_vmm_client_finalize (GObject *object)
{
  GbVmmClient *self = GB_VMM_CLIENT (object);

  g_free (self->socket_path);
  g_strfreev (self->commands);
  g_hash_table_unref (self->pending);

  G_OBJECT_CLASS (gb_vmm_client_parent_class)->finalize (object);
}

static void
gb_vmm_client_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  GbVmmClient *self = GB_VMM_CLIENT (object);

  switch (prop_id)
    {
    case PROP_SOCKET_PATH:
      g_value_set_string (value, self->socket_path);
      break;
    case PROP_CONNECTED:
      g_value_set_boolean (value, self->connected);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_vmm_client_class_init (GbVmmClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = gb_vmm_client_dispose;
  object_class->finalize = gb_vmm_client_finalize;
  object_class->get_property = gb_vmm_client_get_property;

  properties[PROP_SOCKET_PATH] =
    g_param_spec_string ("socket-path", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONNECTED] =
    g_param_spec_boolean ("connected", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * GbVmmClient::event:
   * @name: the event's name, e.g. "STATE_CHANGE" or "STOP"
   * @data: (nullable): its "data" object
   */
  signals[EVENT] =
    g_signal_new ("event",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, JSON_TYPE_OBJECT);
}

static void
gb_vmm_client_init (GbVmmClient *self)
{
  self->pending = g_hash_table_new (NULL, NULL);
  self->cancellable = g_cancellable_new ();
  self->next_id = 1;
}

/* One line from the VMM: a reply, an event, or (first) the greeting. */
static void
gb_vmm_client_handle_line (GbVmmClient *self,
                           const char  *line)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *message;
  JsonNode *root;

  if (!json_parser_load_from_data (parser, line, -1, NULL))
    {
      g_warning ("glassbox-vmm at %s sent a line that is not JSON", self->socket_path);
      return;
    }
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return;
  message = json_node_get_object (root);

  if (json_object_has_member (message, "event"))
    {
      const char *name = json_object_get_string_member_with_default (message, "event", "");
      JsonObject *data = NULL;

      if (json_object_has_member (message, "data")
          && JSON_NODE_HOLDS_OBJECT (json_object_get_member (message, "data")))
        data = json_object_get_object_member (message, "data");

      g_signal_emit (self, signals[EVENT], g_quark_try_string (name), name, data);
      return;
    }

  if (json_object_has_member (message, "id"))
    {
      gint64 id = json_object_get_int_member_with_default (message, "id", 0);
      GTask *task = NULL;

      if (!g_hash_table_steal_extended (self->pending, GINT_TO_POINTER (id), NULL, (gpointer *) &task))
        return;

      if (json_object_has_member (message, "error"))
        {
          JsonObject *error = json_object_get_object_member (message, "error");
          const char *desc = error ? json_object_get_string_member_with_default (error, "desc", NULL) : NULL;

          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                                   desc ? desc : _("The virtual machine monitor refused the command"));
        }
      else
        {
          JsonNode *ret = json_object_get_member (message, "return");

          g_task_return_pointer (task, ret ? json_node_copy (ret) : json_node_new (JSON_NODE_NULL),
                                 (GDestroyNotify) json_node_unref);
        }
      g_object_unref (task);
    }
}

static void
gb_vmm_client_read_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GbVmmClient) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, &error);
  if (line == NULL)
    {
      /* End of stream (the VMM exited) or an error: either way it is gone. */
      gb_vmm_client_set_disconnected (self);
      return;
    }

  gb_vmm_client_handle_line (self, line);
  if (self->connected)
    gb_vmm_client_read_next (self);
}

static void
gb_vmm_client_read_next (GbVmmClient *self)
{
  g_data_input_stream_read_line_async (self->input, G_PRIORITY_DEFAULT, self->cancellable,
                                       gb_vmm_client_read_cb, g_object_ref (self));
}

static void
gb_vmm_client_greeting_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GbVmmClient *self = g_task_get_task_data (task);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  JsonObject *greeting;
  JsonNode *root;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, &error);
  if (line == NULL)
    {
      if (error == NULL)
        error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                     _("The virtual machine monitor closed its control socket"));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!json_parser_load_from_data (parser, line, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT ((root = json_parser_get_root (parser)))
      || !json_object_has_member ((greeting = json_node_get_object (root)), "greeting"))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("%s is not the control socket of a virtual machine monitor"),
                               self->socket_path);
      return;
    }

  {
    JsonObject *g = json_object_get_object_member (greeting, "greeting");
    JsonArray *commands = g ? json_object_get_array_member (g, "commands") : NULL;
    g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

    for (guint i = 0; commands != NULL && i < json_array_get_length (commands); i++)
      g_strv_builder_add (builder, json_array_get_string_element (commands, i));
    self->commands = g_strv_builder_end (builder);
  }

  self->connected = TRUE;
  gb_vmm_client_read_next (self);
  g_task_return_pointer (task, g_object_ref (self), g_object_unref);
}

static void
gb_vmm_client_connect_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GbVmmClient *self = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  self->connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (self->connection == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  self->input = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (self->connection)));
  g_data_input_stream_set_newline_type (self->input, G_DATA_STREAM_NEWLINE_TYPE_LF);
  g_data_input_stream_read_line_async (self->input, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                       gb_vmm_client_greeting_cb, g_object_ref (task));
}

void
gb_vmm_client_new_async (const char          *socket_path,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GTask) task = NULL;
  GbVmmClient *self;

  g_return_if_fail (socket_path != NULL);

  self = g_object_new (GB_TYPE_VMM_CLIENT, NULL);
  self->socket_path = g_strdup (socket_path);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, gb_vmm_client_new_async);
  g_task_set_task_data (task, self, g_object_unref);

  address = g_unix_socket_address_new (socket_path);
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (address), cancellable,
                                 gb_vmm_client_connect_cb, g_steal_pointer (&task));
}

/**
 * gb_vmm_client_new_finish:
 *
 * Returns: (transfer full): a connected client, or %NULL with @error set
 */
GbVmmClient *
gb_vmm_client_new_finish (GAsyncResult  *result,
                          GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
gb_vmm_client_get_socket_path (GbVmmClient *self)
{
  g_return_val_if_fail (GB_IS_VMM_CLIENT (self), NULL);

  return self->socket_path;
}

gboolean
gb_vmm_client_get_connected (GbVmmClient *self)
{
  g_return_val_if_fail (GB_IS_VMM_CLIENT (self), FALSE);

  return self->connected;
}

gboolean
gb_vmm_client_has_command (GbVmmClient *self,
                           const char  *command)
{
  g_return_val_if_fail (GB_IS_VMM_CLIENT (self), FALSE);

  return self->commands != NULL && g_strv_contains ((const char * const *) self->commands, command);
}

static void gb_vmm_client_write_next (GbVmmClient *self);

static void
gb_vmm_client_write_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GbVmmClient) self = user_data;
  g_autoptr(GError) error = NULL;

  self->writing = FALSE;
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      /* The VMM has closed its end, but what it said before (a reply, the
       * STOP event saying why it ended) may still wait in our receive
       * buffer: the read loop reaches end of stream after those lines and
       * only then calls it disconnected.  Deciding here would lose them. */
      self->write_failed = TRUE;
      g_queue_clear_full (&self->writes, (GDestroyNotify) g_bytes_unref);
      return;
    }
  gb_vmm_client_write_next (self);
}

/* One write in flight at a time, so that lines never interleave. */
static void
gb_vmm_client_write_next (GbVmmClient *self)
{
  GBytes *bytes;
  GOutputStream *output;

  if (self->writing || self->write_failed || !self->connected || (bytes = g_queue_peek_head (&self->writes)) == NULL)
    return;

  g_queue_pop_head (&self->writes);
  self->writing = TRUE;
  output = g_io_stream_get_output_stream (G_IO_STREAM (self->connection));
  /* The bytes stay alive as the callback's data through the closure below. */
  g_object_set_data_full (G_OBJECT (output), "gb-vmm-client-bytes", bytes, (GDestroyNotify) g_bytes_unref);
  g_output_stream_write_all_async (output,
                                   g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                   G_PRIORITY_DEFAULT, self->cancellable,
                                   gb_vmm_client_write_cb, g_object_ref (self));
}

void
gb_vmm_client_execute_async (GbVmmClient         *self,
                             const char          *command,
                             JsonObject          *arguments,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GTask) task = NULL;
  g_autofree char *text = NULL;
  gint64 id;

  g_return_if_fail (GB_IS_VMM_CLIENT (self));
  g_return_if_fail (command != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gb_vmm_client_execute_async);

  if (!self->connected)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                               _("The virtual machine monitor is not running"));
      return;
    }

  id = self->next_id++;
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "execute");
  json_builder_add_string_value (builder, command);
  if (arguments != NULL)
    {
      json_builder_set_member_name (builder, "arguments");
      json_builder_add_value (builder, json_node_init_object (json_node_alloc (), arguments));
    }
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, id);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);

  g_hash_table_insert (self->pending, GINT_TO_POINTER (id), g_steal_pointer (&task));
  g_queue_push_tail (&self->writes, g_bytes_new_take (g_strconcat (text, "\n", NULL), strlen (text) + 1));
  gb_vmm_client_write_next (self);
}

/**
 * gb_vmm_client_execute_finish:
 *
 * Returns: (transfer full): the reply's "return" value, or %NULL with @error set
 */
JsonNode *
gb_vmm_client_execute_finish (GbVmmClient   *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (GB_IS_VMM_CLIENT (self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * gb_vmm_client_close:
 *
 * Stops reading and closes the socket; pending commands fail.  The VMM
 * keeps running.
 */
void
gb_vmm_client_close (GbVmmClient *self)
{
  g_return_if_fail (GB_IS_VMM_CLIENT (self));

  g_cancellable_cancel (self->cancellable);
  if (self->connection != NULL)
    g_io_stream_close (G_IO_STREAM (self->connection), NULL, NULL);
  gb_vmm_client_set_disconnected (self);
}
