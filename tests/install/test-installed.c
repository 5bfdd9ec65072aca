/* test-installed.c — the app as `meson install` lays it out runs from its prefix
 *
 * Installs this build tree into a fresh temporary folder outside it
 * (`meson install --no-rebuild --destdir`), compiles the schemas there as a
 * distribution's install trigger does (meson's post-install step stands
 * aside under DESTDIR), then checks what a user of the installed app
 * would meet:
 *
 *  - every file meson says it installs is there, with the Lab's guests, the
 *    zh_CN catalogue, the desktop file, metainfo, schema and icons;
 *  - the installed desktop file and metainfo validate;
 *  - the installed `glassbox --help` speaks Chinese under LANGUAGE=zh_CN;
 *  - the installed `glassbox`, started under this Xvfb with only the
 *    prefix's data (XDG_DATA_DIRS, GSETTINGS_SCHEMA_DIR into it, no
 *    build-tree variables, and — as root — the whole source and build tree
 *    hidden under an empty tmpfs in its own mount namespace) shows its
 *    window, starts a bundled tiny machine (the installed Lab guest) with
 *    Ctrl+Shift+S in the installed glassbox-vmm, and opens the New Virtual
 *    Machine wizard with its Chinese title.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <libintl.h>
#include <locale.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <json-glib/json-glib.h>
#include <X11/Xlib.h>
#include <X11/Xatom.h>
#include <X11/Xutil.h>
#include <X11/keysym.h>
#include <X11/extensions/XTest.h>

#define MACHINE_UUID "7d1f3c2a-9b4e-4c6d-8a21-5e0f6b3c9d47"
#define TIMEOUT_S 60
/* sh -c "HIDE_TREES …" BUILD_ROOT SOURCE_ROOT: an empty tmpfs over each
 * (the build tree first: it may lie inside the source tree or not). */
#define HIDE_TREES "mount -t tmpfs tmpfs \"$0\" && mount -t tmpfs tmpfs \"$1\" &&"

static char *tmp_dir;       /* everything of this run */
static char *dest_dir;      /* tmp_dir/dest: the DESTDIR */
static char *prefix;        /* dest_dir + PREFIX */
static char *install_error; /* why the install failed, if it did */

static char *
in_prefix (const char *configured)
{
  g_assert_true (g_str_has_prefix (configured, PREFIX));
  return g_strconcat (prefix, configured + strlen (PREFIX), NULL);
}

static gboolean
run (const char *const  *argv,
     const char *const  *envp,
     char              **out,
     char              **err)
{
  g_autoptr(GError) error = NULL;
  int status;

  if (!g_spawn_sync (NULL, (char **) argv, (char **) envp, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     out, err, &status, &error))
    g_error ("%s: %s", argv[0], error->message);
  return g_spawn_check_wait_status (status, NULL);
}

/* meson install into tmp_dir/dest, then the schema trigger. */
static void
install (void)
{
  const char *meson[] = { MESON, "install", "-C", GB_BUILD_ROOT, "--no-rebuild",
                          "--destdir", NULL, "--quiet", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *schemas = NULL;
  g_autofree char *self = g_canonicalize_filename (GB_BUILD_ROOT, NULL);

  tmp_dir = g_dir_make_tmp ("glassbox-install-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);
  /* Installed inside the build tree, the app would rightly think it runs
   * uninstalled (src/gb-install-dirs.c). */
  g_assert_false (g_str_has_prefix (tmp_dir, self));
  dest_dir = g_build_filename (tmp_dir, "dest", NULL);
  prefix = g_strconcat (dest_dir, PREFIX, NULL);
  meson[6] = dest_dir;
  if (!run (meson, NULL, &out, &err))
    {
      install_error = g_strdup_printf ("meson install failed:\n%s%s", out, err);
      return;
    }
  schemas = g_build_filename (prefix, "share", "glib-2.0", "schemas", NULL);
  if (!run ((const char *[]) { "glib-compile-schemas", "--strict", schemas, NULL }, NULL, NULL, &err))
    install_error = g_strdup_printf ("glib-compile-schemas %s failed: %s", schemas, err);
}

static gboolean
installed (void)
{
  if (install_error != NULL)
    {
      g_test_fail_printf ("%s", install_error);
      return FALSE;
    }
  return TRUE;
}

static void
assert_file (const char *configured_dir,
             const char *name,
             GFileTest   test)
{
  g_autofree char *dir = in_prefix (configured_dir);
  g_autofree char *path = g_build_filename (dir, name, NULL);

  if (!g_file_test (path, test))
    g_error ("%s is not installed", path);
}

/* Every file meson installs is where it says, and the app's run-time
 * files among them. */
static void
test_layout (void)
{
  const char *argv[] = { MESON, "introspect", "--installed", GB_BUILD_ROOT, NULL };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *lab = NULL;
  g_autoptr(GList) members = NULL;
  JsonObject *map;
  guint lab_guests = 0;

  if (!installed ())
    return;
  g_assert_true (run (argv, NULL, &out, NULL));
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  map = json_node_get_object (json_parser_get_root (parser));
  members = json_object_get_members (map);
  for (GList *l = members; l; l = l->next)
    {
      const char *target = json_object_get_string_member (map, l->data);
      g_autofree char *path = g_strconcat (dest_dir, target, NULL);

      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        g_error ("meson installs %s, but %s is missing", target, path);
    }
  g_test_message ("%u files installed under %s", g_list_length (members), dest_dir);

  assert_file (BINDIR, "glassbox", G_FILE_TEST_IS_EXECUTABLE);
  assert_file (BINDIR, "glassbox-vmm", G_FILE_TEST_IS_EXECUTABLE);
  assert_file (BINDIR, "glassbox-img", G_FILE_TEST_IS_EXECUTABLE);
  assert_file (LIBEXECDIR, "glassbox-bridge-helper", G_FILE_TEST_IS_EXECUTABLE);
  assert_file (LOCALEDIR, "zh_CN/LC_MESSAGES/" GETTEXT_PACKAGE ".mo", G_FILE_TEST_IS_REGULAR);
  assert_file (DATADIR, "applications/" APP_ID ".desktop", G_FILE_TEST_IS_REGULAR);
  assert_file (DATADIR, "metainfo/" APP_ID ".metainfo.xml", G_FILE_TEST_IS_REGULAR);
  assert_file (DATADIR, "glib-2.0/schemas/" APP_ID ".gschema.xml", G_FILE_TEST_IS_REGULAR);
  assert_file (DATADIR, "glib-2.0/schemas/gschemas.compiled", G_FILE_TEST_IS_REGULAR);
  assert_file (DATADIR, "icons/hicolor/scalable/apps/" APP_ID ".svg", G_FILE_TEST_IS_REGULAR);
  assert_file (DATADIR, "icons/hicolor/symbolic/apps/" APP_ID "-symbolic.svg", G_FILE_TEST_IS_REGULAR);

  /* The Lab's guests, where the installed app looks for them. */
  lab = in_prefix (LAB_DIR);
  {
    g_autoptr(GDir) dir = g_dir_open (lab, 0, &error);
    const char *name;

    g_assert_no_error (error);
    while ((name = g_dir_read_name (dir)) != NULL)
      if (g_str_has_prefix (name, "lab-") && g_str_has_suffix (name, ".elf"))
        lab_guests++;
  }
  g_assert_cmpuint (lab_guests, >=, 4);

  /* The installed app gets /usr/share after the prefix (for the icon
   * theme): no other Glassbox may hide there. */
  g_assert_false (g_file_test ("/usr/share/glib-2.0/schemas/" APP_ID ".gschema.xml", G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test ("/usr/share/locale/zh_CN/LC_MESSAGES/" GETTEXT_PACKAGE ".mo", G_FILE_TEST_EXISTS));
}

static void
test_validate (void)
{
  g_autofree char *apps = NULL;
  g_autofree char *metainfo = NULL;
  g_autofree char *desktop = NULL;
  g_autofree char *info = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  if (!installed ())
    return;
  apps = in_prefix (DATADIR);
  desktop = g_build_filename (apps, "applications", APP_ID ".desktop", NULL);
  info = g_build_filename (apps, "metainfo", APP_ID ".metainfo.xml", NULL);

  if (!run ((const char *[]) { "desktop-file-validate", desktop, NULL }, NULL, &out, &err))
    g_error ("desktop-file-validate %s:\n%s%s", desktop, out, err);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  if (!run ((const char *[]) { "appstreamcli", "validate", "--no-net", info, NULL }, NULL, &out, &err))
    g_error ("appstreamcli validate %s:\n%s%s", info, out, err);
}

/* A translation as the installed catalogue has it. */
static char *
installed_translation (const char *msgid)
{
  g_autofree char *localedir = in_prefix (LOCALEDIR);
  const char *old = g_getenv ("LANGUAGE");
  g_autofree char *saved = old ? g_strdup (old) : NULL;
  char *text;

  setlocale (LC_ALL, "C.UTF-8");
  g_setenv ("LANGUAGE", "zh_CN", TRUE);
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  text = g_strdup (dgettext (GETTEXT_PACKAGE, msgid));
  if (saved)
    g_setenv ("LANGUAGE", saved, TRUE);
  else
    g_unsetenv ("LANGUAGE");
  g_assert_cmpstr (text, !=, msgid);
  return text;
}

/* The environment of a desktop that has only this prefix installed. */
static char **
installed_env (const char *home)
{
  g_autofree char *share = in_prefix (DATADIR);
  g_autofree char *schemas = g_build_filename (share, "glib-2.0", "schemas", NULL);
  g_autofree char *data_home = g_build_filename (home, ".local", "share", NULL);
  g_autofree char *config_home = g_build_filename (home, ".config", NULL);
  g_autofree char *cache_home = g_build_filename (home, ".cache", NULL);
  g_autofree char *runtime = g_build_filename (home, "run", NULL);
  GPtrArray *env = g_ptr_array_new ();

  g_assert_cmpint (g_mkdir_with_parents (runtime, 0700), ==, 0);
  g_ptr_array_add (env, g_strconcat ("HOME=", home, NULL));
  g_ptr_array_add (env, g_strdup ("PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"));
  /* The prefix, then the system's data for GTK's icon theme and fonts,
   * where no Glassbox is installed (checked in test_layout()). */
  g_ptr_array_add (env, g_strconcat ("XDG_DATA_DIRS=", share, ":/usr/share", NULL));
  g_ptr_array_add (env, g_strconcat ("GSETTINGS_SCHEMA_DIR=", schemas, NULL));
  g_ptr_array_add (env, g_strconcat ("XDG_DATA_HOME=", data_home, NULL));
  g_ptr_array_add (env, g_strconcat ("XDG_CONFIG_HOME=", config_home, NULL));
  g_ptr_array_add (env, g_strconcat ("XDG_CACHE_HOME=", cache_home, NULL));
  g_ptr_array_add (env, g_strconcat ("XDG_RUNTIME_DIR=", runtime, NULL));
  g_ptr_array_add (env, g_strdup ("LANGUAGE=zh_CN"));
  g_ptr_array_add (env, g_strdup ("LANG=C.UTF-8"));
  /* No session bus: the app runs as a plain, non-unique instance and never
   * reaches a Glassbox the developer may have open. */
  g_ptr_array_add (env, g_strdup ("GSETTINGS_BACKEND=memory"));
  g_ptr_array_add (env, g_strdup ("GDK_BACKEND=x11"));
  g_ptr_array_add (env, g_strdup ("GSK_RENDERER=cairo"));
  g_ptr_array_add (env, g_strdup ("LIBGL_ALWAYS_SOFTWARE=1"));
  g_ptr_array_add (env, g_strdup ("GTK_A11Y=none"));
  g_ptr_array_add (env, g_strdup ("NO_AT_BRIDGE=1"));
  g_ptr_array_add (env, g_strdup ("GDK_DEBUG=no-portals"));
  if (g_getenv ("DISPLAY"))
    g_ptr_array_add (env, g_strconcat ("DISPLAY=", g_getenv ("DISPLAY"), NULL));
  if (g_getenv ("XAUTHORITY"))
    g_ptr_array_add (env, g_strconcat ("XAUTHORITY=", g_getenv ("XAUTHORITY"), NULL));
  g_ptr_array_add (env, NULL);
  return (char **) g_ptr_array_free (env, FALSE);
}

static void
test_help_zh_CN (void)
{
  g_autofree char *bindir = NULL;
  g_autofree char *glassbox = NULL;
  g_autofree char *home = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) env = NULL;

  if (!installed ())
    return;
  bindir = in_prefix (BINDIR);
  glassbox = g_build_filename (bindir, "glassbox", NULL);
  home = g_build_filename (tmp_dir, "home-help", NULL);
  env = installed_env (home);
  expected = installed_translation ("Print the version and exit");

  if (!run ((const char *[]) { glassbox, "--help", NULL }, (const char *const *) env, &out, &err))
    g_test_fail_printf ("glassbox --help failed: %s", err);
  else if (strstr (out, expected) == NULL)
    g_test_fail_printf ("installed glassbox --help under LANGUAGE=zh_CN lacks \"%s\":\n%s", expected, out);
}

/* ---- the installed app under Xvfb ------------------------------------- */

typedef struct {
  Display *dpy;
  Atom     net_wm_pid;
  Atom     net_wm_name;
  Atom     utf8_string;
} X;

static char *
window_title (X      *x,
              Window  win)
{
  Atom type;
  int format;
  unsigned long n, after;
  unsigned char *data = NULL;
  char *title = NULL;

  if (XGetWindowProperty (x->dpy, win, x->net_wm_name, 0, 1024, False, x->utf8_string,
                          &type, &format, &n, &after, &data) == Success && data != NULL)
    title = g_strndup ((char *) data, n);
  if (data)
    XFree (data);
  return title;
}

static long
window_pid (X      *x,
            Window  win)
{
  Atom type;
  int format;
  unsigned long n, after;
  unsigned char *data = NULL;
  long pid = 0;

  if (XGetWindowProperty (x->dpy, win, x->net_wm_pid, 0, 1, False, XA_CARDINAL,
                          &type, &format, &n, &after, &data) == Success && data != NULL && n == 1)
    pid = *(long *) data;
  if (data)
    XFree (data);
  return pid;
}

/* A viewable top-level window of process @pid titled @title. */
static Window
find_window (X          *x,
             GPid        pid,
             const char *title)
{
  Window root_ret, parent, *children = NULL, found = None;
  unsigned int n = 0;

  XSync (x->dpy, False);
  if (!XQueryTree (x->dpy, DefaultRootWindow (x->dpy), &root_ret, &parent, &children, &n))
    return None;
  for (unsigned int i = 0; i < n && found == None; i++)
    {
      XWindowAttributes attrs;
      g_autofree char *name = NULL;

      if (window_pid (x, children[i]) != pid)
        continue;
      if (!XGetWindowAttributes (x->dpy, children[i], &attrs) || attrs.map_state != IsViewable)
        continue;
      name = window_title (x, children[i]);
      if (g_strcmp0 (name, title) == 0)
        found = children[i];
    }
  if (children)
    XFree (children);
  return found;
}

static Window
wait_window (X          *x,
             GPid        pid,
             const char *title)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;
  Window win;

  while ((win = find_window (x, pid, title)) == None && g_get_monotonic_time () < deadline)
    g_usleep (100 * 1000);
  return win;
}

static void
press (X      *x,
       Window  win,
       KeySym  key,
       gboolean shift)
{
  KeyCode control = XKeysymToKeycode (x->dpy, XK_Control_L);
  KeyCode shift_l = XKeysymToKeycode (x->dpy, XK_Shift_L);
  KeyCode code = XKeysymToKeycode (x->dpy, key);

  XSetInputFocus (x->dpy, win, RevertToParent, CurrentTime);
  XSync (x->dpy, False);
  g_usleep (100 * 1000);
  XTestFakeKeyEvent (x->dpy, control, True, CurrentTime);
  if (shift)
    XTestFakeKeyEvent (x->dpy, shift_l, True, CurrentTime);
  XTestFakeKeyEvent (x->dpy, code, True, CurrentTime);
  XTestFakeKeyEvent (x->dpy, code, False, CurrentTime);
  if (shift)
    XTestFakeKeyEvent (x->dpy, shift_l, False, CurrentTime);
  XTestFakeKeyEvent (x->dpy, control, False, CurrentTime);
  XSync (x->dpy, False);
}

/* The window as a PNG next to the test, and how many of its pixels are not
 * the background (proof that it drew something). */
static guint
save_window (X          *x,
             Window      win,
             const char *file)
{
  XWindowAttributes attrs;
  XImage *image;
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_getenv ("G_TEST_BUILDDIR") ? g_getenv ("G_TEST_BUILDDIR") : ".",
                                            file, NULL);
  guint8 *pixels;
  int stride;
  guint distinct = 0;
  unsigned long first;

  g_assert_true (XGetWindowAttributes (x->dpy, win, &attrs));
  image = XGetImage (x->dpy, win, 0, 0, attrs.width, attrs.height, AllPlanes, ZPixmap);
  g_assert_nonnull (image);
  pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, attrs.width, attrs.height);
  pixels = gdk_pixbuf_get_pixels (pixbuf);
  stride = gdk_pixbuf_get_rowstride (pixbuf);
  first = XGetPixel (image, 0, 0);
  for (int yy = 0; yy < attrs.height; yy++)
    for (int xx = 0; xx < attrs.width; xx++)
      {
        unsigned long p = XGetPixel (image, xx, yy);
        guint8 *d = pixels + yy * stride + xx * 3;

        d[0] = (p >> 16) & 0xff;
        d[1] = (p >> 8) & 0xff;
        d[2] = p & 0xff;
        distinct += p != first;
      }
  XDestroyImage (image);
  gdk_pixbuf_save (pixbuf, path, "png", &error, NULL);
  g_assert_no_error (error);
  g_test_message ("saved %s (%dx%d)", path, attrs.width, attrs.height);
  return distinct;
}

/* One request on the VMM's control socket; the reply's "return". */
static JsonObject *
vmm_command (const char *socket_path,
             const char *command)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (socket_path);
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *request = g_strdup_printf ("{\"execute\": \"%s\", \"id\": 1}\n", command);

  conn = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, &error);
  if (conn == NULL)
    return NULL;
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (conn)));
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
                                            request, strlen (request), NULL, NULL, &error));
  g_assert_no_error (error);
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error);
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *reply;

      if (line == NULL)
        return NULL;
      if (!json_parser_load_from_data (parser, line, -1, NULL))
        continue;
      reply = json_node_get_object (json_parser_get_root (parser));
      if (reply != NULL && json_object_has_member (reply, "return"))
        return json_object_ref (json_object_get_object_member (reply, "return"));
    }
}

static gboolean
hide_tree_works (void)
{
  if (geteuid () != 0 || g_find_program_in_path ("unshare") == NULL)
    return FALSE;
  return run ((const char *[]) { "unshare", "-m", "sh", "-c", HIDE_TREES " true",
                                 GB_BUILD_ROOT, GB_SOURCE_ROOT, NULL },
              NULL, NULL, NULL);
}

static void
write_machine (const char *home)
{
  g_autofree char *machines = g_build_filename (home, ".local", "share", "glassbox", "machines", NULL);
  g_autofree char *file = g_build_filename (machines, MACHINE_UUID ".json", NULL);
  g_autofree char *lab = in_prefix (LAB_DIR);
  g_autofree char *kernel = g_build_filename (lab, "lab-idle.elf", NULL);
  g_autofree char *json = g_strdup_printf ("{\"name\": \"tiny\", \"uuid\": \"" MACHINE_UUID "\",\n"
                                           " \"kernel\": \"%s\", \"memory\": 32, \"cpus\": 1}\n",
                                           kernel);

  g_assert_cmpint (g_mkdir_with_parents (machines, 0700), ==, 0);
  g_assert_true (g_file_set_contents (file, json, -1, NULL));
}

static void
test_run (void)
{
  g_autofree char *bindir = NULL;
  g_autofree char *glassbox = NULL;
  g_autofree char *vmm_expected = NULL;
  g_autofree char *home = NULL;
  g_autofree char *run_dir = NULL;
  g_autofree char *api = NULL;
  g_autofree char *log = NULL;
  g_autofree char *wizard_title = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) status = NULL;
  g_auto(GStrv) env = NULL;
  X x = { 0 };
  int event_base, error_base, major, minor;
  Window main_window, wizard = None;
  GPid pid;
  gint64 vmm_pid = 0;
  gint64 deadline;
  gboolean hidden;
  g_autofree char *failure = NULL;

  if (!installed ())
    return;
  if (access ("/dev/kvm", R_OK | W_OK) != 0)
    {
      g_test_skip ("/dev/kvm is not usable here: a bundled machine cannot start");
      return;
    }
  x.dpy = XOpenDisplay (NULL);
  if (x.dpy == NULL || !XTestQueryExtension (x.dpy, &event_base, &error_base, &major, &minor))
    {
      g_test_skip ("no X display with XTEST (run under xvfb-run)");
      return;
    }
  x.net_wm_pid = XInternAtom (x.dpy, "_NET_WM_PID", False);
  x.net_wm_name = XInternAtom (x.dpy, "_NET_WM_NAME", False);
  x.utf8_string = XInternAtom (x.dpy, "UTF8_STRING", False);

  bindir = in_prefix (BINDIR);
  glassbox = g_build_filename (bindir, "glassbox", NULL);
  vmm_expected = g_build_filename (bindir, "glassbox-vmm", NULL);
  home = g_build_filename (tmp_dir, "home", NULL);
  env = installed_env (home);
  write_machine (home);
  run_dir = g_build_filename (home, "run", "glassbox", MACHINE_UUID, NULL);
  api = g_build_filename (run_dir, "api.sock", NULL);
  log = g_build_filename (run_dir, "vmm.log", NULL);
  wizard_title = installed_translation ("New Virtual Machine");

  /* As root: the source and build trees are an empty tmpfs for the app
   * (its own mount namespace; `unshare` execs, so the PID stays the app's). */
  hidden = hide_tree_works ();
  if (hidden)
    {
      g_ptr_array_add (argv, "unshare");
      g_ptr_array_add (argv, "-m");
      g_ptr_array_add (argv, "sh");
      g_ptr_array_add (argv, "-c");
      g_ptr_array_add (argv, HIDE_TREES " shift && exec \"$@\"");
      g_ptr_array_add (argv, GB_BUILD_ROOT);
      g_ptr_array_add (argv, GB_SOURCE_ROOT);
    }
  else
    g_test_message ("not root or no unshare: the build tree stays visible to the app");
  g_ptr_array_add (argv, glassbox);
  g_ptr_array_add (argv, "--connect");
  g_ptr_array_add (argv, "glassbox:///session");
  g_ptr_array_add (argv, "--show-domain-console");
  g_ptr_array_add (argv, "tiny");
  g_ptr_array_add (argv, NULL);

  g_assert_true (g_spawn_async (tmp_dir, (char **) argv->pdata, env,
                                G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                                NULL, NULL, &pid, &error));
  g_assert_no_error (error);
  g_test_message ("installed glassbox: pid %d%s", (int) pid,
                  hidden ? ", source and build trees hidden" : "");

  /* From here on a failure goes through "out", which stops what this test
   * started (the VMM outlives the app by design). */
  main_window = wait_window (&x, pid, "Glassbox");
  if (main_window == None)
    {
      failure = g_strdup_printf ("the installed glassbox showed no window within %d s", TIMEOUT_S);
      goto out;
    }

  /* Start the selected machine as a user would; again if the machine was
   * not listed yet when the keys arrived. */
  deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      gint64 retry = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

      press (&x, main_window, XK_s, TRUE);
      while (!g_file_test (api, G_FILE_TEST_EXISTS) && g_get_monotonic_time () < retry)
        g_usleep (100 * 1000);
      if (g_file_test (api, G_FILE_TEST_EXISTS))
        break;
    }
  if (!g_file_test (api, G_FILE_TEST_EXISTS))
    {
      failure = g_strdup_printf ("Ctrl+Shift+S started no glassbox-vmm (no %s)", api);
      goto out;
    }

  /* Running (the app resumes it after the launch), in the installed VMM. */
  deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;
  for (;;)
    {
      g_clear_pointer (&status, json_object_unref);
      status = vmm_command (api, "query-status");
      if (status != NULL && json_object_has_member (status, "pid"))
        vmm_pid = json_object_get_int_member (status, "pid");
      if (status != NULL && g_strcmp0 (json_object_get_string_member (status, "status"), "running") == 0)
        break;
      if (g_get_monotonic_time () > deadline)
        {
          failure = g_strdup ("the tiny machine did not reach \"running\"");
          goto out;
        }
      g_usleep (200 * 1000);
    }
  {
    g_autofree char *exe_link = g_strdup_printf ("/proc/%" G_GINT64_FORMAT "/exe", vmm_pid);
    g_autofree char *exe = g_file_read_link (exe_link, NULL);
    g_autofree char *expected = g_canonicalize_filename (vmm_expected, NULL);
    g_autofree char *text = NULL;
    g_autofree char *header = g_strconcat ("glassbox: ", vmm_expected, " ", NULL);

    if (g_strcmp0 (exe, expected) != 0)
      {
        failure = g_strdup_printf ("the machine runs in %s, not in the installed %s", exe, expected);
        goto out;
      }
    if (!g_file_get_contents (log, &text, NULL, NULL) || !g_str_has_prefix (text, header))
      {
        failure = g_strdup_printf ("%s does not start with \"%s\"", log, header);
        goto out;
      }
  }
  g_test_message ("tiny machine running in %s (pid %" G_GINT64_FORMAT ")", vmm_expected, vmm_pid);

  g_usleep (2 * G_USEC_PER_SEC);
  if (save_window (&x, main_window, "installed-zh_CN.png") < 1000)
    {
      failure = g_strdup ("the window is blank");
      goto out;
    }

  /* The wizard's title from the installed catalogue. */
  press (&x, main_window, XK_n, FALSE);
  wizard = wait_window (&x, pid, wizard_title);
  if (wizard == None)
    {
      failure = g_strdup_printf ("Ctrl+N opened no window titled \"%s\"", wizard_title);
      goto out;
    }
  save_window (&x, wizard, "installed-wizard-zh_CN.png");

out:
  if (g_file_test (api, G_FILE_TEST_EXISTS))
    {
      g_clear_pointer (&status, json_object_unref);
      status = vmm_command (api, "stop");
    }
  if (vmm_pid > 0)
    {
      g_autofree char *proc = g_strdup_printf ("/proc/%" G_GINT64_FORMAT, vmm_pid);

      for (int i = 0; i < 50 && g_file_test (proc, G_FILE_TEST_EXISTS); i++)
        g_usleep (100 * 1000);
      if (g_file_test (proc, G_FILE_TEST_EXISTS))
        kill ((pid_t) vmm_pid, SIGKILL);
    }
  kill (pid, SIGTERM);
  waitpid (pid, NULL, 0);
  g_spawn_close_pid (pid);
  XCloseDisplay (x.dpy);
  if (failure != NULL)
    g_test_fail_printf ("%s", failure);
}

static gboolean
remove_tree (const char *path)
{
  return run ((const char *[]) { "rm", "-rf", "--one-file-system", path, NULL }, NULL, NULL, NULL);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  install ();
  g_test_add_func ("/install/layout", test_layout);
  g_test_add_func ("/install/validate", test_validate);
  g_test_add_func ("/install/help-zh_CN", test_help_zh_CN);
  g_test_add_func ("/install/run", test_run);
  status = g_test_run ();
  if (tmp_dir != NULL)
    remove_tree (tmp_dir);
  return status;
}
