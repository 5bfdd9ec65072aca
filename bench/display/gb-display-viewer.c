/* gb-display-viewer.c: the smallest app around GbDisplay, for the benchmark
 *
 * usage: gb-display-viewer URI
 * Shows the console in a window at the guest's size (1:1) until killed, and
 * prints "frames N tiles M" (frames drawn with new tiles, tiles re-created)
 * once a second, so the benchmark can compare its own count with the X
 * server's and tell how much of the screen a frame repaints.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <stdio.h>

#include "gb-display-private.h"

static gboolean
report_cb (gpointer data)
{
  printf ("frames %" G_GUINT64_FORMAT " tiles %" G_GUINT64_FORMAT "\n",
          _gb_display_get_frame_count (data), _gb_display_get_tile_uploads (data));
  fflush (stdout);
  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  GtkWidget *window;
  GbDisplay *display;

  if (argc != 2)
    {
      fprintf (stderr, "usage: %s URI\n", argv[0]);
      return 2;
    }

  gtk_init ();
  adw_init ();

  window = gtk_window_new ();
  gtk_window_set_title (GTK_WINDOW (window), "gb-display-viewer");
  gtk_window_set_default_size (GTK_WINDOW (window), 1920, 1080);
  display = GB_DISPLAY (gb_display_new ());
  gb_display_set_scale_mode (display, GB_DISPLAY_SCALE_ORIGINAL);
  gb_display_set_resize_guest (display, FALSE);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (display));
  gtk_window_present (GTK_WINDOW (window));

  if (!gb_display_open_uri (display, argv[1], &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }

  g_timeout_add_seconds (1, report_cb, display);
  while (TRUE)
    g_main_context_iteration (NULL, TRUE);

  return 0;
}
