/* gb-serial-console.c: a guest's serial console in a VTE terminal
 *
 * The terminal has no child process: bytes from the guest are fed to it, and
 * what the user types ("commit") goes back to the guest.  Two transports:
 * a libvirt console stream (virDomainOpenConsole, non-blocking, driven by
 * libvirt's event callbacks on the GLib main loop) and a UNIX socket (QEMU's
 * `-serial unix:` and the bundled backend).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <gio/gunixsocketaddress.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libvirt-glib/libvirt-glib.h>
#include <vte/vte.h>

#include "gb-display.h"
#include "gb-serial-console.h"

struct _GbSerialConsole
{
  GtkWidget          parent_instance;

  GtkWidget         *box;
  GtkWidget         *status;
  GtkWidget         *terminal;

  /* libvirt */
  virStreamPtr       stream;
  gboolean           stream_watched;

  /* UNIX socket */
  GSocketConnection *connection;
  GCancellable      *cancellable;
};

G_DEFINE_FINAL_TYPE (GbSerialConsole, gb_serial_console, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONNECTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
gb_serial_console_show_status (GbSerialConsole *self,
                               const char      *message)
{
  gtk_label_set_text (GTK_LABEL (self->status), message ? message : "");
  gtk_widget_set_visible (self->status, message != NULL);
}

static void
gb_serial_console_closed (GbSerialConsole *self,
                          const char      *message)
{
  gb_serial_console_close (self);
  gb_serial_console_show_status (self, message);
}

/* libvirt ---------------------------------------------------------------- */

static void
stream_event_cb (virStreamPtr stream,
                 int          events,
                 void        *data)
{
  GbSerialConsole *self = data;
  char buffer[4096];

  if (events & VIR_STREAM_EVENT_READABLE)
    {
      for (;;)
        {
          int n = virStreamRecv (stream, buffer, sizeof buffer);

          if (n > 0)
            {
              vte_terminal_feed (VTE_TERMINAL (self->terminal), buffer, n);
              continue;
            }
          if (n == -2)  /* would block */
            break;
          gb_serial_console_closed (self, n == 0 ? _("The serial console was closed.")
                                                 : _("The serial console failed."));
          return;
        }
    }

  if (events & (VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP))
    gb_serial_console_closed (self, _("The serial console was closed."));
}

typedef struct {
  GVirDomain *domain;
  char       *device;
} OpenConsole;

static void
open_console_free (gpointer data)
{
  OpenConsole *open = data;

  g_object_unref (open->domain);
  g_free (open->device);
  g_free (open);
}

static void
stream_free (gpointer data)
{
  virStreamPtr stream = data;

  virStreamAbort (stream);
  virStreamFree (stream);
}

/* A round trip to libvirt: in a worker thread. */
static void
open_console_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  OpenConsole *open = task_data;
  virDomainPtr handle = NULL;
  virStreamPtr stream;

  g_object_get (open->domain, "handle", &handle, NULL);
  stream = virStreamNew (virDomainGetConnect (handle), VIR_STREAM_NONBLOCK);
  if (stream == NULL || virDomainOpenConsole (handle, open->device, stream, VIR_DOMAIN_CONSOLE_FORCE) < 0)
    {
      g_task_return_new_error (task, GB_DISPLAY_ERROR, GB_DISPLAY_ERROR_FAILED,
                               _("Cannot open the serial console: %s"), virGetLastErrorMessage ());
      if (stream != NULL)
        stream_free (stream);
    }
  else
    {
      g_task_return_pointer (task, stream, stream_free);
    }
  g_boxed_free (GVIR_TYPE_DOMAIN_HANDLE, handle);
}

static void
open_console_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      data)
{
  GbSerialConsole *self = GB_SERIAL_CONSOLE (object);
  g_autoptr(GError) error = NULL;
  virStreamPtr stream = g_task_propagate_pointer (G_TASK (result), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (stream == NULL)
    {
      gb_serial_console_show_status (self, error->message);
      return;
    }

  if (virStreamEventAddCallback (stream,
                                 VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR |
                                 VIR_STREAM_EVENT_HANGUP,
                                 stream_event_cb, self, NULL) < 0)
    {
      g_autofree char *message = g_strdup_printf (_("Cannot open the serial console: %s"),
                                                  virGetLastErrorMessage ());

      stream_free (stream);
      gb_serial_console_show_status (self, message);
      return;
    }

  self->stream = stream;
  self->stream_watched = TRUE;
  gb_serial_console_show_status (self, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
}

/**
 * gb_serial_console_open_domain:
 * @device: (nullable): the console or serial alias ("serial0"); NULL for the
 *   first
 *
 * Opens the domain's console through virDomainOpenConsole, off the main
 * thread; "connected" turns TRUE when it is open, and a failure shows in the
 * console.
 */
void
gb_serial_console_open_domain (GbSerialConsole *self,
                               GVirDomain      *domain,
                               const char      *device)
{
  g_autoptr(GTask) task = NULL;
  OpenConsole *open;

  g_return_if_fail (GB_IS_SERIAL_CONSOLE (self));
  g_return_if_fail (GVIR_IS_DOMAIN (domain));

  gb_serial_console_close (self);
  /* Stream callbacks need libvirt's event loop on GLib's. */
  gvir_event_register ();
  gb_serial_console_show_status (self, _("Connecting…"));

  open = g_new0 (OpenConsole, 1);
  open->domain = g_object_ref (domain);
  open->device = g_strdup (device);
  self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, open_console_cb, NULL);
  g_task_set_task_data (task, open, open_console_free);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, open_console_thread);
}

/* UNIX socket ------------------------------------------------------------- */

static void read_next (GbSerialConsole *self);

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  GbSerialConsole *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = data;
  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      gb_serial_console_closed (self, _("The serial console was closed."));
      return;
    }

  vte_terminal_feed (VTE_TERMINAL (self->terminal),
                     g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  read_next (self);
}

static void
read_next (GbSerialConsole *self)
{
  GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (self->connection));

  g_input_stream_read_bytes_async (input, 4096, G_PRIORITY_DEFAULT, self->cancellable, read_cb, self);
}

gboolean
gb_serial_console_open_unix (GbSerialConsole  *self,
                             const char       *path,
                             GError          **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);

  g_return_val_if_fail (GB_IS_SERIAL_CONSOLE (self), FALSE);

  gb_serial_console_close (self);
  self->connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, error);
  if (self->connection == NULL)
    {
      gb_serial_console_show_status (self, (*error)->message);
      return FALSE;
    }

  self->cancellable = g_cancellable_new ();
  read_next (self);
  gb_serial_console_show_status (self, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
  return TRUE;
}

/* Both -------------------------------------------------------------------- */

static void
on_commit (VteTerminal     *terminal,
           const char      *text,
           guint            size,
           GbSerialConsole *self)
{
  if (self->stream != NULL)
    {
      /* Keystrokes are tiny; a full send buffer just drops them. */
      if (virStreamSend (self->stream, text, size) < 0 && virGetLastError () != NULL)
        g_debug ("serial console: %s", virGetLastErrorMessage ());
    }
  else if (self->connection != NULL)
    {
      GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (self->connection));
      g_autoptr(GError) error = NULL;

      if (!g_output_stream_write_all (output, text, size, NULL, NULL, &error))
        gb_serial_console_closed (self, error->message);
    }
}

void
gb_serial_console_close (GbSerialConsole *self)
{
  gboolean was_connected;

  g_return_if_fail (GB_IS_SERIAL_CONSOLE (self));

  was_connected = self->stream != NULL || self->connection != NULL;

  if (self->stream != NULL)
    {
      if (self->stream_watched)
        virStreamEventRemoveCallback (self->stream);
      virStreamAbort (self->stream);
      virStreamFree (self->stream);
      self->stream = NULL;
      self->stream_watched = FALSE;
    }
  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
  if (self->connection != NULL)
    {
      g_io_stream_close (G_IO_STREAM (self->connection), NULL, NULL);
      g_clear_object (&self->connection);
    }

  if (was_connected)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
}

gboolean
gb_serial_console_get_connected (GbSerialConsole *self)
{
  g_return_val_if_fail (GB_IS_SERIAL_CONSOLE (self), FALSE);

  return self->stream != NULL || self->connection != NULL;
}

GtkWidget *
gb_serial_console_get_terminal (GbSerialConsole *self)
{
  g_return_val_if_fail (GB_IS_SERIAL_CONSOLE (self), NULL);

  return self->terminal;
}

static void
gb_serial_console_dispose (GObject *object)
{
  GbSerialConsole *self = GB_SERIAL_CONSOLE (object);

  gb_serial_console_close (self);
  g_clear_pointer (&self->box, gtk_widget_unparent);

  G_OBJECT_CLASS (gb_serial_console_parent_class)->dispose (object);
}

static void
gb_serial_console_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  GbSerialConsole *self = GB_SERIAL_CONSOLE (object);

  switch (prop_id)
    {
    case PROP_CONNECTED:
      g_value_set_boolean (value, gb_serial_console_get_connected (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_serial_console_class_init (GbSerialConsoleClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gb_serial_console_dispose;
  object_class->get_property = gb_serial_console_get_property;

  properties[PROP_CONNECTED] =
    g_param_spec_boolean ("connected", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "gb-serial-console");
}

static void
gb_serial_console_init (GbSerialConsole *self)
{
  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));

  self->status = gtk_label_new (_("Not connected."));
  gtk_widget_add_css_class (self->status, "dim-label");
  gtk_label_set_wrap (GTK_LABEL (self->status), TRUE);
  gtk_widget_set_margin_top (self->status, 6);
  gtk_widget_set_margin_bottom (self->status, 6);
  gtk_box_append (GTK_BOX (self->box), self->status);

  self->terminal = vte_terminal_new ();
  gtk_widget_set_vexpand (self->terminal, TRUE);
  gtk_widget_set_hexpand (self->terminal, TRUE);
  vte_terminal_set_scrollback_lines (VTE_TERMINAL (self->terminal), 10000);
  g_signal_connect (self->terminal, "commit", G_CALLBACK (on_commit), self);
  gtk_box_append (GTK_BOX (self->box), self->terminal);
}

GtkWidget *
gb_serial_console_new (void)
{
  return g_object_new (GB_TYPE_SERIAL_CONSOLE, NULL);
}
