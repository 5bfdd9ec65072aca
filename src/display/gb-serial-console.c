/* gb-serial-console.c: a guest's serial console in a VTE terminal
 *
 * The terminal has no child process: bytes from the guest are fed to it, and
 * what the user types ("commit") goes back to the guest.  The transport is
 * any GIOStream: what a machine's provider hands out
 * (gb_machine_open_serial_async(): a libvirt console stream, a glassbox-vmm
 * serial socket) or a UNIX socket opened here (QEMU's `-serial unix:`).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <gio/gunixsocketaddress.h>
#include <vte/vte.h>

#include "gb-serial-console.h"

struct _GbSerialConsole
{
  GtkWidget          parent_instance;

  GtkWidget         *box;
  GtkWidget         *status;
  GtkWidget         *terminal;

  GIOStream         *stream;
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

/* Reading ------------------------------------------------------------------ */

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
  GInputStream *input = g_io_stream_get_input_stream (self->stream);

  g_input_stream_read_bytes_async (input, 4096, G_PRIORITY_DEFAULT, self->cancellable, read_cb, self);
}

/**
 * gb_serial_console_open_stream:
 * @stream: a byte stream to the guest's console; the console takes a
 *   reference and closes it when done
 *
 * Shows what comes from @stream and sends it what is typed.
 */
void
gb_serial_console_open_stream (GbSerialConsole *self,
                               GIOStream       *stream)
{
  g_return_if_fail (GB_IS_SERIAL_CONSOLE (self));
  g_return_if_fail (G_IS_IO_STREAM (stream));

  gb_serial_console_close (self);
  self->stream = g_object_ref (stream);
  self->cancellable = g_cancellable_new ();
  read_next (self);
  gb_serial_console_show_status (self, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
}

gboolean
gb_serial_console_open_unix (GbSerialConsole  *self,
                             const char       *path,
                             GError          **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (GB_IS_SERIAL_CONSOLE (self), FALSE);

  gb_serial_console_close (self);
  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, &local_error);
  if (connection == NULL)
    {
      gb_serial_console_show_status (self, local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  gb_serial_console_open_stream (self, G_IO_STREAM (connection));
  return TRUE;
}

/**
 * gb_serial_console_set_status:
 * @message: (nullable): why there is nothing to show ("Connecting…", an
 *   error), or %NULL to hide the line
 *
 * Says what is going on above the terminal.
 */
void
gb_serial_console_set_status (GbSerialConsole *self,
                              const char      *message)
{
  g_return_if_fail (GB_IS_SERIAL_CONSOLE (self));

  gb_serial_console_show_status (self, message);
}

/* Writing ------------------------------------------------------------------ */

static void
on_commit (VteTerminal     *terminal,
           const char      *text,
           guint            size,
           GbSerialConsole *self)
{
  GOutputStream *output;
  g_autoptr(GError) error = NULL;

  if (self->stream == NULL)
    return;

  output = g_io_stream_get_output_stream (self->stream);
  if (g_output_stream_write_all (output, text, size, NULL, NULL, &error))
    return;

  /* Keystrokes are tiny: a full send buffer of a non-blocking stream (a
   * libvirt console stream) just drops them. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    g_debug ("serial console: %s", error->message);
  else
    gb_serial_console_closed (self, error->message);
}

void
gb_serial_console_close (GbSerialConsole *self)
{
  gboolean was_connected;

  g_return_if_fail (GB_IS_SERIAL_CONSOLE (self));

  was_connected = self->stream != NULL;

  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
  if (self->stream != NULL)
    {
      /* Closed now, so the peer sees the end at once. */
      g_io_stream_close (self->stream, NULL, NULL);
      g_clear_object (&self->stream);
    }

  if (was_connected)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
}

gboolean
gb_serial_console_get_connected (GbSerialConsole *self)
{
  g_return_val_if_fail (GB_IS_SERIAL_CONSOLE (self), FALSE);

  return self->stream != NULL;
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
