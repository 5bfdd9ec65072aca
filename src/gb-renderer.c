/* gb-renderer.c — which GTK renderer the app draws with
 *
 * GTK 4.8 draws with its GL renderer whenever GL works, and on a machine
 * without a GPU (a VM, a remote desktop, Xvfb) GL is Mesa's software
 * rasteriser.  There the GL renderer costs ~70 MB more memory for the first
 * window than cairo (bench/startup: 201 MiB vs 129 MiB, where virt-manager
 * takes 133 MiB) and draws no faster: every pixel goes through llvmpipe
 * either way.  So on software GL the app asks for cairo, as GTK 3 apps
 * draw; on a real GPU nothing changes, and GSK_RENDERER, when set, always
 * wins.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <epoxy/gl.h>
#include <gtk/gtk.h>
#include <string.h>

#include "gb-renderer.h"

/* Call after gtk_init() and before the first window is realised: GSK
 * reads GSK_RENDERER once, when it makes its first renderer. */
void
gb_renderer_choose (void)
{
  GdkDisplay *display = gdk_display_get_default ();
  g_autoptr(GdkGLContext) context = NULL;
  const char *name;

  if (g_getenv ("GSK_RENDERER") != NULL || display == NULL)
    return;
  context = gdk_display_create_gl_context (display, NULL);
  if (context == NULL || !gdk_gl_context_realize (context, NULL))
    return;   /* no GL: GTK picks cairo on its own */
  gdk_gl_context_make_current (context);
  name = (const char *) glGetString (GL_RENDERER);
  if (name != NULL && (strstr (name, "llvmpipe") || strstr (name, "softpipe") || strstr (name, "SWR")))
    {
      g_debug ("GL renderer is %s (software): drawing with cairo", name);
      g_setenv ("GSK_RENDERER", "cairo", FALSE);
    }
  gdk_gl_context_clear_current ();
}
