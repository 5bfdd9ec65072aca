/* gb-askpass.c — ssh's passphrase and password prompts, asked in the app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A qemu+ssh:// connection runs ssh(1) without a terminal; when its key has
 * a passphrase or the server wants a password, ssh runs $SSH_ASKPASS (it
 * does so when DISPLAY is set and it has no terminal; libvirt passes
 * SSH_ASKPASS, DISPLAY and XAUTHORITY on to it). GbAskpass points
 * SSH_ASKPASS at glassbox-askpass, which brings ssh's prompt here over the
 * abstract UNIX socket "glassbox-askpass-<pid>"; the app asks in a dialog
 * and sends the answer back. Only processes of the app's own user are
 * answered (the socket's peer credentials); the secret is never stored.
 */
#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gi18n.h>
#include <unistd.h>

#include "gb-askpass.h"
#include "gb-install-dirs.h"

#define MAX_PROMPT 4096

struct _GbAskpass
{
  GObject          parent_instance;

  GtkApplication  *application;
  GSocketService  *service;
  guint            n_asked;
};

G_DEFINE_FINAL_TYPE (GbAskpass, gb_askpass, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_APPLICATION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct {
  GbAskpass         *self;
  GSocketConnection *connection;
  GByteArray        *prompt;
  GString           *answer;
} Request;

static void
request_free (Request *req)
{
  g_object_unref (req->self);
  g_object_unref (req->connection);
  g_byte_array_unref (req->prompt);
  if (req->answer)
    {
      memset (req->answer->str, 0, req->answer->len);
      g_string_free (req->answer, TRUE);
    }
  g_free (req);
}

static void
written_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Request *req = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, &error))
    g_debug ("askpass: could not answer: %s", error->message);
  g_io_stream_close (G_IO_STREAM (req->connection), NULL, NULL);
  request_free (req);
}

static void
response_cb (AdwMessageDialog *dialog,
             const char       *response,
             Request          *req)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "secret");
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (req->connection));

  req->answer = g_string_new (NULL);
  if (g_strcmp0 (response, "connect") == 0)
    {
      g_string_append_c (req->answer, '1');
      g_string_append (req->answer, gtk_editable_get_text (entry));
    }
  else
    g_string_append_c (req->answer, '0');
  /* Not left in the entry's buffer once the dialog goes. */
  gtk_editable_set_text (entry, "");
  g_output_stream_write_all_async (out, req->answer->str, req->answer->len, G_PRIORITY_DEFAULT,
                                   NULL, written_cb, req);
}

static void
ask (Request *req)
{
  g_autofree char *prompt = g_utf8_make_valid ((const char *) req->prompt->data, req->prompt->len);
  GtkWindow *parent = req->self->application ? gtk_application_get_active_window (req->self->application) : NULL;
  GtkWidget *dialog, *group, *entry;

  g_strstrip (prompt);
  req->self->n_asked++;
  dialog = adw_message_dialog_new (parent, _("Authentication Needed"), NULL);
  /* Translators: %s is ssh's own prompt, e.g. "Enter passphrase for key '/root/.ssh/id_ed25519':" */
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("Connecting over SSH. ssh asks:\n%s"), prompt);
  group = adw_preferences_group_new ();
  entry = adw_password_entry_row_new ();
  gtk_widget_set_name (entry, "askpass-secret");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (entry), _("Passphrase or password"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), entry);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), group);
  g_object_set_data (G_OBJECT (dialog), "secret", entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "connect", _("C_onnect"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "connect", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "connect");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (response_cb), req);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Request *req = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);

  if (bytes == NULL)
    {
      g_debug ("askpass: %s", error->message);
      request_free (req);
      return;
    }
  if (g_bytes_get_size (bytes) > 0 && req->prompt->len < MAX_PROMPT)
    {
      g_byte_array_append (req->prompt, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      g_input_stream_read_bytes_async (G_INPUT_STREAM (object), MAX_PROMPT, G_PRIORITY_DEFAULT,
                                       NULL, read_cb, req);
      return;
    }
  /* The whole prompt (the helper stopped writing). */
  ask (req);
}

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source,
             gpointer           user_data)
{
  GbAskpass *self = user_data;
  GSocket *socket = g_socket_connection_get_socket (connection);
  g_autoptr(GCredentials) creds = g_socket_get_credentials (socket, NULL);
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  Request *req;

  /* The abstract socket is open to the whole network namespace: answer
   * only our own user's processes. */
  if (creds == NULL || g_credentials_get_unix_user (creds, NULL) != getuid ())
    {
      g_debug ("askpass: a request from another user, refused");
      return TRUE;
    }
  req = g_new0 (Request, 1);
  req->self = g_object_ref (self);
  req->connection = g_object_ref (connection);
  req->prompt = g_byte_array_new ();
  g_input_stream_read_bytes_async (in, MAX_PROMPT, G_PRIORITY_DEFAULT, NULL, read_cb, req);
  return TRUE;
}

char *
gb_askpass_find_helper (void)
{
  g_autofree char *dir = NULL;
  char *path;

  if (gb_install_dirs_running_uninstalled ()
      && g_file_test (BUILD_ROOT "/src/hosts/glassbox-askpass", G_FILE_TEST_IS_EXECUTABLE))
    return g_strdup (BUILD_ROOT "/src/hosts/glassbox-askpass");
  dir = gb_install_dirs_get (LIBEXECDIR);
  path = g_build_filename (dir, "glassbox-askpass", NULL);
  if (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
    return path;
  g_free (path);
  path = g_build_filename (LIBEXECDIR, "glassbox-askpass", NULL);
  if (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
    return path;
  g_free (path);
  return NULL;
}

gboolean
gb_askpass_start (GbAskpass  *self,
                  GError    **error)
{
  g_autofree char *helper = NULL;
  g_autofree char *name = NULL;
  g_autoptr(GSocketAddress) address = NULL;

  g_return_val_if_fail (GB_IS_ASKPASS (self), FALSE);

  if (self->service != NULL)
    return TRUE;
  helper = gb_askpass_find_helper ();
  if (helper == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "glassbox-askpass is not installed");
      return FALSE;
    }
  name = g_strdup_printf ("glassbox-askpass-%d", (int) getpid ());
  address = g_unix_socket_address_new_with_type (name, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);
  self->service = g_socket_service_new ();
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, error))
    {
      g_clear_object (&self->service);
      return FALSE;
    }
  g_signal_connect (self->service, "incoming", G_CALLBACK (incoming_cb), self);
  g_socket_service_start (self->service);
  /* At startup, before any connection runs ssh. */
  g_setenv ("SSH_ASKPASS", helper, TRUE);
  return TRUE;
}

guint
gb_askpass_get_n_asked (GbAskpass *self)
{
  g_return_val_if_fail (GB_IS_ASKPASS (self), 0);
  return self->n_asked;
}

GbAskpass *
gb_askpass_new (GtkApplication *application)
{
  return g_object_new (GB_TYPE_ASKPASS, "application", application, NULL);
}

static void
gb_askpass_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  GbAskpass *self = GB_ASKPASS (object);

  switch (prop_id)
    {
    case PROP_APPLICATION:
      g_value_set_object (value, self->application);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_askpass_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  GbAskpass *self = GB_ASKPASS (object);

  switch (prop_id)
    {
    case PROP_APPLICATION:
      /* Not a reference: the application owns this object. */
      self->application = g_value_get_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_askpass_dispose (GObject *object)
{
  GbAskpass *self = GB_ASKPASS (object);

  if (self->service)
    {
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
      g_clear_object (&self->service);
    }
  self->application = NULL;

  G_OBJECT_CLASS (gb_askpass_parent_class)->dispose (object);
}

static void
gb_askpass_class_init (GbAskpassClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = gb_askpass_get_property;
  object_class->set_property = gb_askpass_set_property;
  object_class->dispose = gb_askpass_dispose;

  properties[PROP_APPLICATION] =
    g_param_spec_object ("application", NULL, NULL, GTK_TYPE_APPLICATION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gb_askpass_init (GbAskpass *self)
{
}
