/* vmm-test-util.h — run glassbox-vmm on a tiny guest and talk to its
 * control socket, the way a user (or the app) would. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

typedef struct {
	GSubprocess *proc;
	char *dir;              /* private temporary directory */
	char *serial_path;
	char *socket_path;
	char *stderr_path;
} VmmRun;

char *vmm_binary(void);
char *guest_path(const char *name);

/* Starts `glassbox-vmm run --kernel <guest> --memory 32 --serial file=…`
 * plus `extra` (NULL-terminated).  With `api`, adds --api-socket and
 * --paused: the test connects, then sends "resume". */
VmmRun *vmm_spawn(const char *guest, const char *const *extra, gboolean api);
/* Waits for exit; FALSE (and kills it) after timeout_ms. */
gboolean vmm_wait(VmmRun *run, int timeout_ms, int *exit_status);
char *vmm_serial(VmmRun *run);
char *vmm_stderr(VmmRun *run);
gboolean vmm_wait_serial(VmmRun *run, const char *needle, int timeout_ms);
void vmm_run_free(VmmRun *run);

/* Runs a guest to completion; returns serial output, sets exit status. */
char *vmm_run_guest(const char *guest, const char *const *extra, int *exit_status);

typedef struct {
	GSocketConnection *conn;
	GDataInputStream *in;
	GOutputStream *out;
	GPtrArray *events;      /* JsonObject * of events seen so far */
	JsonParser *keep;
} ApiClient;

ApiClient *api_connect(const char *path);
/* Sends a command, returns the whole reply object (with "return" or
 * "error"); events read on the way are kept in client->events. */
JsonObject *api_call(ApiClient *c, const char *command);
/* Sends `text` as is (plus a newline) and returns the next non-event
 * object: for malformed requests. */
JsonObject *api_raw(ApiClient *c, const char *text);
/* An event already seen or arriving within timeout_ms, else NULL. */
JsonObject *api_wait_event(ApiClient *c, const char *event, int timeout_ms);
void api_client_free(ApiClient *c);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmmRun, vmm_run_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApiClient, api_client_free)
