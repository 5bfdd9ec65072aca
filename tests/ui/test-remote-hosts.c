/* test-remote-hosts.c — connections over ssh (with a passphrase) and TLS
 *
 * /ui/ssh-askpass: the test runs in a network and mount namespace of its own (unshare() in
 * main(), root only): an sshd it starts listens on 127.0.0.1:2222 there,
 * with a host key, a client key protected by a passphrase and an
 * authorized_keys file made for this run (nothing of the host's ssh is read
 * or written: a tmpfs hides root's home in the test's mount namespace). A
 * private libvirtd (run as "nobody", session mode, like test-reconnect)
 * serves the test driver on a UNIX socket; the app connects to
 * test+ssh://root@127.0.0.1:2222/default?socket=…&keyfile=…, so libvirt
 * runs ssh, ssh needs the key's passphrase and has no terminal: it asks
 * through SSH_ASKPASS = glassbox-askpass, which brings the prompt to the
 * app. The test sees the app's dialog with ssh's prompt, types the
 * passphrase, and the connection comes up with the test driver's machine.
 * A second connection whose prompt is cancelled fails and does not hang.
 * PNG: ssh-askpass.png (-zh_CN.png with LANGUAGE=zh_CN, whose strings are
 * checked then).
 *
 * /ui/tls: a CA, a server certificate for 127.0.0.1 and a client
 * certificate made by the test with certtool (GnuTLS); a private libvirtd
 * listens with TLS on 127.0.0.1:16514 of the same namespace. With the
 * certificates (pkipath=…) the app connects; with a client certificate
 * that another CA signed, the connection fails and says in plain words
 * what is missing, libvirt's message after it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include "gb-application.h"
#include "gb-libvirt-provider.h"
#include "gb-test-gtk-utils.h"
#include "gb-test-utils.h"
#include "gb-window.h"

#define PASSPHRASE "gb-correct-horse"

static gboolean own_namespaces;

static gboolean
is_chinese (void)
{
  return g_strcmp0 (g_getenv ("LANGUAGE"), "zh_CN") == 0;
}
/* One application for both tests: a second could not register its D-Bus
 * object while the first one's is still exported. */
static GbApplication *app;

static GbApplication *
get_app (void)
{
  if (app == NULL)
    app = gb_test_application_new ();
  return app;
}

static void
run_or_die (const char *cmd)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  if (gb_test_run_shell (cmd, &out, &err) != 0)
    g_error ("%s failed:\n%s%s", cmd, out ? out : "", err ? err : "");
}

static gboolean
sshd_listening (gpointer data)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = g_socket_client_connect_to_host (client, "127.0.0.1:2222", 2222, NULL, NULL);

  return conn != NULL;
}

static GtkWidget *
find_askpass_dialog (void)
{
  GtkWidget *dialog = GTK_WIDGET (gb_test_find_dialog (ADW_TYPE_MESSAGE_DIALOG));

  if (dialog && gb_test_find_widget (dialog, ADW_TYPE_PASSWORD_ENTRY_ROW, NULL, NULL))
    return dialog;
  return NULL;
}

static gboolean
askpass_shown (gpointer data)
{
  return find_askpass_dialog () != NULL;
}

static gboolean
provider_settled (gpointer data)
{
  GbProviderState state = gb_provider_get_state (data);

  return state == GB_PROVIDER_STATE_CONNECTED || state == GB_PROVIDER_STATE_DISCONNECTED;
}

static gboolean
has_machine (gpointer data)
{
  return gb_provider_find_machine (data, "test") != NULL;
}

static void
answer (const char *response,
        const char *secret,
        const char *png)
{
  GtkWidget *dialog = find_askpass_dialog ();
  GtkWidget *entry = gb_test_find_widget (dialog, ADW_TYPE_PASSWORD_ENTRY_ROW, NULL, NULL);
  const char *body = adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog));

  g_test_message ("the app asks: %s", body);
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   is_chinese () ? "需要身份验证" : "Authentication Needed");
  /* ssh's own words, with the key it wants the passphrase of. */
  g_assert_nonnull (strstr (body, "passphrase"));
  g_assert_nonnull (strstr (body, "/id_ed25519"));
  if (secret)
    gtk_editable_set_text (GTK_EDITABLE (entry), secret);
  if (png)
    {
      g_autofree char *name = g_strdup_printf ("%s%s.png", png, is_chinese () ? "-zh_CN" : "");

      gtk_test_widget_wait_for_draw (dialog);
      gb_test_save_png (dialog, name);
    }
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), response);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
test_ssh_askpass (void)
{
  g_autofree char *ssh_keygen = g_find_program_in_path ("ssh-keygen");
  g_autofree char *nc = g_find_program_in_path ("nc");
  g_autofree char *dir = NULL;
  g_autofree char *sock = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *cmd = NULL;
  g_autofree char *config = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *sshd_log = NULL;
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(GSubprocess) sshd = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *window;
  GbProvider *provider;

  if (!own_namespaces)
    {
      g_test_skip ("needs root, for a network and mount namespace of its own (sshd on its loopback)");
      return;
    }
  if (!g_file_test ("/usr/sbin/sshd", G_FILE_TEST_IS_EXECUTABLE) || ssh_keygen == NULL)
    {
      g_test_skip ("needs sshd and ssh-keygen (openssh-server)");
      return;
    }
  if (nc == NULL)
    {
      g_test_skip ("needs nc (netcat-openbsd)");
      return;
    }
  if (!gb_test_skip_without_private_libvirtd ())
    return;

  run_or_die ("ip link set lo up");
  dir = gb_test_private_libvirtd_dir ("gb-askpass-XXXXXX");
  sock = gb_test_private_libvirtd_socket (dir);
  daemon = gb_test_private_libvirtd_start (dir, NULL);

  /* Keys of this run: the client's has a passphrase. */
  cmd = g_strdup_printf ("ssh-keygen -q -t ed25519 -N '" PASSPHRASE "' -C glassbox-test -f '%s/id_ed25519' && "
                         "ssh-keygen -q -t ed25519 -N '' -C glassbox-test-host -f '%s/host_ed25519' && "
                         "cp '%s/id_ed25519.pub' '%s/authorized_keys' && mkdir -p /run/sshd",
                         dir, dir, dir, dir);
  run_or_die (cmd);
  config = g_strdup_printf ("ListenAddress 127.0.0.1:2222\n"
                            "HostKey %s/host_ed25519\n"
                            "AuthorizedKeysFile %s/authorized_keys\n"
                            "PidFile %s/sshd.pid\n"
                            "PermitRootLogin prohibit-password\n"
                            "PasswordAuthentication no\n"
                            "KbdInteractiveAuthentication no\n"
                            "UsePAM no\n"
                            "StrictModes no\n",
                            dir, dir, dir);
  config_path = g_build_filename (dir, "sshd_config", NULL);
  g_assert_true (g_file_set_contents (config_path, config, -1, NULL));
  sshd_log = g_build_filename (dir, "sshd.log", NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_stderr_file_path (launcher, sshd_log);
  sshd = g_subprocess_launcher_spawn (launcher, &error, "/usr/sbin/sshd", "-D", "-e", "-f", config_path, NULL);
  g_assert_no_error (error);
  g_assert_true (gb_test_wait_until (sshd_listening, NULL, 30));

  uri = g_strdup_printf ("test+ssh://root@127.0.0.1:2222/default?socket=%s"
                         "&keyfile=%s/id_ed25519&no_verify=1&proxy=netcat", sock, dir);
  g_test_message ("connecting to %s", uri);

  window = g_object_ref (GTK_WIDGET (gb_window_new (get_app ())));
  gtk_window_present (GTK_WINDOW (window));

  /* Cancelled: the connection fails (ssh gives up), nothing hangs. */
  provider = gb_application_open_connection (app, uri);
  if (!gb_test_wait_until (askpass_shown, NULL, 60))
    {
      g_autofree char *log = NULL;

      g_file_get_contents (sshd_log, &log, NULL, NULL);
      g_error ("ssh's prompt did not reach the app in 60 s; sshd says:\n%s", log ? log : "");
    }
  answer ("cancel", NULL, NULL);
  g_assert_true (gb_test_wait_until (provider_settled, provider, 60));
  g_assert_cmpint (gb_provider_get_state (provider), !=, GB_PROVIDER_STATE_CONNECTED);
  gb_application_remove_connection (app, uri);

  /* The passphrase typed into the app's dialog: connected. */
  provider = gb_application_open_connection (app, uri);
  g_assert_true (gb_test_wait_until (askpass_shown, NULL, 60));
  answer ("connect", PASSPHRASE, "ssh-askpass");
  g_assert_true (gb_test_wait_until (provider_settled, provider, 60));
  g_assert_cmpint (gb_provider_get_state (provider), ==, GB_PROVIDER_STATE_CONNECTED);
  g_assert_true (gb_test_wait_until (has_machine, provider, 30));
  g_test_message ("connected over ssh; the test driver's machine \"test\" is listed");

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_object_unref (window);

  g_subprocess_send_signal (sshd, SIGTERM);
  g_subprocess_wait (sshd, NULL, NULL);
  gb_test_private_libvirtd_stop (daemon);
  gb_test_tmpdir_remove (dir);
}

static gboolean
tls_listening (gpointer data)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = g_socket_client_connect_to_host (client, "127.0.0.1:16514", 16514, NULL, NULL);

  return conn != NULL;
}

/* A CA and what it signs, with certtool's templates. */
static void
make_certificates (const char *dir)
{
  g_autofree char *cmd = g_strdup_printf (
    "set -e; cd '%s'; mkdir -p good wrong\n"
    "printf 'cn = Glassbox Test CA\\nca\\ncert_signing_key\\nexpiration_days = 2\\n' > ca.info\n"
    "printf 'organization = Glassbox Test\\ncn = 127.0.0.1\\nip_address = 127.0.0.1\\n"
    "tls_www_server\\nencryption_key\\nsigning_key\\nexpiration_days = 2\\n' > server.info\n"
    "printf 'organization = Glassbox Test\\ncn = glassbox-test-client\\n"
    "tls_www_client\\nencryption_key\\nsigning_key\\nexpiration_days = 2\\n' > client.info\n"
    "certtool -q --generate-privkey --outfile cakey.pem\n"
    "certtool -q --generate-self-signed --load-privkey cakey.pem --template ca.info --outfile good/cacert.pem\n"
    "certtool -q --generate-privkey --outfile serverkey.pem\n"
    "certtool -q --generate-certificate --load-privkey serverkey.pem --load-ca-certificate good/cacert.pem "
    "--load-ca-privkey cakey.pem --template server.info --outfile servercert.pem\n"
    "certtool -q --generate-privkey --outfile good/clientkey.pem\n"
    "certtool -q --generate-certificate --load-privkey good/clientkey.pem --load-ca-certificate good/cacert.pem "
    "--load-ca-privkey cakey.pem --template client.info --outfile good/clientcert.pem\n"
    /* Another CA, which signed this computer's certificate in "wrong". */
    "certtool -q --generate-privkey --outfile otherkey.pem\n"
    "certtool -q --generate-self-signed --load-privkey otherkey.pem --template ca.info --outfile wrong/cacert.pem\n"
    "cp good/clientkey.pem wrong/clientkey.pem\n"
    "certtool -q --generate-certificate --load-privkey wrong/clientkey.pem --load-ca-certificate wrong/cacert.pem "
    "--load-ca-privkey otherkey.pem --template client.info --outfile wrong/clientcert.pem\n"
    "chmod -R a+rX . && chown -R 65534:65534 .\n", dir);

  run_or_die (cmd);
}

static void
test_tls (void)
{
  g_autofree char *certtool = g_find_program_in_path ("certtool");
  g_autofree char *dir = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *conf_path = NULL;
  g_autofree char *uri_good = NULL;
  g_autofree char *uri_wrong = NULL;
  g_autoptr(GSubprocess) daemon = NULL;
  GtkWidget *window;
  GbProvider *provider;
  const char *message;

  if (!own_namespaces)
    {
      g_test_skip ("needs root, for a network namespace of its own (libvirtd's TLS port on its loopback)");
      return;
    }
  if (certtool == NULL)
    {
      g_test_skip ("needs certtool (gnutls-bin)");
      return;
    }
  if (!gb_test_skip_without_private_libvirtd ())
    return;

  run_or_die ("ip link set lo up");
  dir = gb_test_private_libvirtd_dir ("gb-tls-XXXXXX");
  make_certificates (dir);
  conf = g_strdup_printf ("listen_tls = 1\nlisten_tcp = 0\nlisten_addr = \"127.0.0.1\"\ntls_port = \"16514\"\n"
                          "key_file = \"%s/serverkey.pem\"\ncert_file = \"%s/servercert.pem\"\n"
                          "ca_file = \"%s/good/cacert.pem\"\nauth_tls = \"none\"\n", dir, dir, dir);
  conf_path = g_build_filename (dir, "libvirtd.conf", NULL);
  g_assert_true (g_file_set_contents (conf_path, conf, -1, NULL));
  daemon = gb_test_private_libvirtd_start (dir, conf_path);
  g_assert_true (gb_test_wait_until (tls_listening, NULL, 30));

  uri_good = g_strdup_printf ("test+tls://127.0.0.1/default?pkipath=%s/good", dir);
  uri_wrong = g_strdup_printf ("test+tls://127.0.0.1/default?pkipath=%s/wrong", dir);

  window = g_object_ref (GTK_WIDGET (gb_window_new (get_app ())));
  gtk_window_present (GTK_WINDOW (window));

  /* Certificates another CA signed: refused, in plain words. */
  provider = gb_application_open_connection (app, uri_wrong);
  g_assert_true (gb_test_wait_until (provider_settled, provider, 60));
  g_assert_cmpint (gb_provider_get_state (provider), !=, GB_PROVIDER_STATE_CONNECTED);
  message = gb_provider_get_error (provider);
  g_test_message ("wrong certificates: %s", message);
  g_assert_nonnull (message);
  g_assert_true (g_str_has_prefix (message, is_chinese () ? "此连接的 TLS 证书缺失或不匹配。"
                                                        : "The TLS certificates for this connection are missing or do not match."));
  g_assert_nonnull (strstr (message, is_chinese () ? "详细信息：" : "Details: "));
  /* libvirt's own words after it (translated by libvirt, as zh_CN shows:
   * the sentence is found in either language). */
  g_assert_nonnull (strstr (message, is_chinese () ? "对等证书验证失败" : "Failed to verify peer's certificate"));
  gb_application_remove_connection (app, uri_wrong);

  /* The right ones: connected, the test driver's machine listed. */
  provider = gb_application_open_connection (app, uri_good);
  g_assert_true (gb_test_wait_until (provider_settled, provider, 60));
  g_assert_cmpstr (gb_provider_get_error (provider), ==, NULL);
  g_assert_cmpint (gb_provider_get_state (provider), ==, GB_PROVIDER_STATE_CONNECTED);
  g_assert_true (gb_test_wait_until (has_machine, provider, 30));
  g_test_message ("connected over TLS; the test driver's machine \"test\" is listed");

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_object_unref (window);

  gb_test_private_libvirtd_stop (daemon);
  gb_test_tmpdir_remove (dir);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  /* Before any thread: a network namespace for sshd's loopback, and a
   * mount namespace whose root's home is an empty tmpfs, so that ssh reads
   * no config and writes no known_hosts of the real user. */
  if (getuid () == 0 && unshare (CLONE_NEWNET | CLONE_NEWNS) == 0)
    {
      const char *home = g_get_home_dir ();

      own_namespaces = mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
                       mount ("tmpfs", home, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") == 0;
    }
  gb_application_init_i18n ();
  gtk_test_init (&argc, &argv, NULL);
  gb_test_add_ticker ();
  gb_test_drop_debug_messages ();

  g_test_add_func ("/ui/ssh-askpass", test_ssh_askpass);
  g_test_add_func ("/ui/tls", test_tls);
  ret = g_test_run ();
  g_clear_object (&app);
  return ret;
}
