/* gb-machine.h — one virtual machine, whatever runs it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "gb-machine-config.h"

G_BEGIN_DECLS

typedef struct _GbProvider GbProvider;
/* gb-machine-edit.h */
typedef struct _GbEditState GbEditState;
typedef struct _GbMachineEdit GbMachineEdit;

typedef enum {
  GB_MACHINE_STATE_SHUTOFF,
  GB_MACHINE_STATE_RUNNING,
  GB_MACHINE_STATE_PAUSED,
  GB_MACHINE_STATE_SHUTTING_DOWN,
  GB_MACHINE_STATE_CRASHED,
  GB_MACHINE_STATE_SUSPENDED,
  GB_MACHINE_STATE_UNKNOWN,
} GbMachineState;

#define GB_TYPE_MACHINE_STATE (gb_machine_state_get_type ())
GType gb_machine_state_get_type (void) G_GNUC_CONST;

/* Translated, for labels. */
const char *gb_machine_state_to_string (GbMachineState state);

/* What a graphical console speaks; from the machine's config. */
typedef enum {
  GB_GRAPHICS_PROTOCOL_NONE,
  GB_GRAPHICS_PROTOCOL_VNC,
  GB_GRAPHICS_PROTOCOL_SPICE,
} GbGraphicsProtocol;

/* How many samples gb_machine_get_samples() keeps. */
#define GB_MACHINE_MAX_SAMPLES 60

typedef struct {
  gint64  time_us;          /* g_get_monotonic_time() when taken */
  double  cpu_percent;      /* of all the machine's vCPUs: 0..100 */
  guint64 memory_bytes;
  double  disk_read_bps;
  double  disk_write_bps;
  double  net_rx_bps;
  double  net_tx_bps;
} GbMachineSample;

#define GB_TYPE_MACHINE (gb_machine_get_type ())
G_DECLARE_DERIVABLE_TYPE (GbMachine, gb_machine, GB, MACHINE, GObject)

typedef void (*GbMachineActionFunc) (GbMachine           *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);

struct _GbMachineClass
{
  GObjectClass parent_class;

  GbMachineActionFunc start_async;
  GbMachineActionFunc shutdown_async;
  GbMachineActionFunc force_off_async;
  GbMachineActionFunc pause_async;
  GbMachineActionFunc resume_async;
  GbMachineActionFunc reboot_async;
  void     (*delete_async)  (GbMachine           *self,
                             const char * const  *disk_paths_to_delete,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data);
  /* One finish for every action above; the default propagates a boolean GTask. */
  gboolean (*action_finish) (GbMachine           *self,
                             GAsyncResult        *result,
                             GError             **error);

  /* Consoles.  open_graphics hands back a new connected file descriptor to
   * the machine's screen, speaking gb_machine_get_graphics_protocol(); SPICE
   * asks once per channel.  open_serial hands back a byte stream to a text
   * console (@device NULL: the first serial port).  The defaults fail with
   * G_IO_ERROR_NOT_SUPPORTED. */
  void       (*open_graphics_async)    (GbMachine           *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
  int        (*open_graphics_finish)   (GbMachine           *self,
                                        GAsyncResult        *result,
                                        GError             **error);
  void       (*open_serial_async)      (GbMachine           *self,
                                        const char          *device,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
  GIOStream *(*open_serial_finish)     (GbMachine           *self,
                                        GAsyncResult        *result,
                                        GError             **error);

  /* The hypervisor's view of the machine, for the Inside page: one JSON
   * object in the shape of glassbox-vmm's query-stats (docs/vmm-api.md);
   * providers that know less fill in less. */
  void       (*query_internals_async)  (GbMachine           *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
  JsonNode  *(*query_internals_finish) (GbMachine           *self,
                                        GAsyncResult        *result,
                                        GError             **error);

  /* Changing the definition, for the Settings page; see gb-machine-edit.h
   * (the dispatchers gb_machine_edit_*).  edit_get_caps returns
   * GbEditCaps; the default 0: not editable.  edit_load is for a provider
   * whose definition is in memory (GB_EDIT_CAP_LOAD_NOW); without an
   * edit_load_async the default runs it.  The other defaults fail with
   * G_IO_ERROR_NOT_SUPPORTED. */
  guint        (*edit_get_caps)          (GbMachine            *self);
  GbEditState *(*edit_load)              (GbMachine            *self,
                                          GError              **error);
  void         (*edit_load_async)        (GbMachine            *self,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
  GbEditState *(*edit_load_finish)       (GbMachine            *self,
                                          GAsyncResult         *result,
                                          GError              **error);
  void         (*edit_apply_async)       (GbMachine            *self,
                                          const GbMachineEdit  *edit,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
  GStrv        (*edit_apply_finish)      (GbMachine            *self,
                                          GAsyncResult         *result,
                                          GError              **error);
  void         (*edit_define_xml_async)  (GbMachine            *self,
                                          const char           *xml,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
  gboolean     (*edit_define_xml_finish) (GbMachine            *self,
                                          GAsyncResult         *result,
                                          GError              **error);
  void         (*edit_list_usb_async)    (GbMachine            *self,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
  GPtrArray   *(*edit_list_usb_finish)   (GbMachine            *self,
                                          GAsyncResult         *result,
                                          GError              **error);

  /*< private >*/
  gpointer padding[8];
};

GbProvider             *gb_machine_get_provider    (GbMachine     *self);
const char             *gb_machine_get_name        (GbMachine     *self);
const char             *gb_machine_get_uuid        (GbMachine     *self);
GbMachineState          gb_machine_get_state       (GbMachine     *self);
const char             *gb_machine_get_os_id       (GbMachine     *self);
const char             *gb_machine_get_os_name     (GbMachine     *self);
GbMachineConfig        *gb_machine_get_config      (GbMachine     *self);
double                  gb_machine_get_cpu_usage   (GbMachine     *self);
guint64                 gb_machine_get_memory_used (GbMachine     *self);
gboolean                gb_machine_get_transient   (GbMachine     *self);
/* When a saved state (managed save) was written: seconds since the epoch, -1 unknown, 0 none. */
gint64                  gb_machine_get_saved_at    (GbMachine     *self);
const GbMachineSample  *gb_machine_get_samples     (GbMachine     *self,
                                                    guint         *n_samples);

void     gb_machine_start_async      (GbMachine *self, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
gboolean gb_machine_start_finish     (GbMachine *self, GAsyncResult *result, GError **error);
void     gb_machine_shutdown_async   (GbMachine *self, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
gboolean gb_machine_shutdown_finish  (GbMachine *self, GAsyncResult *result, GError **error);
void     gb_machine_force_off_async  (GbMachine *self, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
gboolean gb_machine_force_off_finish (GbMachine *self, GAsyncResult *result, GError **error);
void     gb_machine_pause_async      (GbMachine *self, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
gboolean gb_machine_pause_finish     (GbMachine *self, GAsyncResult *result, GError **error);
void     gb_machine_resume_async     (GbMachine *self, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
gboolean gb_machine_resume_finish    (GbMachine *self, GAsyncResult *result, GError **error);
void     gb_machine_reboot_async     (GbMachine *self, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
gboolean gb_machine_reboot_finish    (GbMachine *self, GAsyncResult *result, GError **error);
/* Undefine, and delete exactly the listed disk files/volumes (NULL = keep all disks). */
void     gb_machine_delete_async     (GbMachine           *self,
                                      const char * const  *disk_paths_to_delete,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
gboolean gb_machine_delete_finish    (GbMachine *self, GAsyncResult *result, GError **error);

/* Consoles; see GbMachineClass. */
GbGraphicsProtocol gb_machine_get_graphics_protocol (GbMachine *self);
void       gb_machine_open_graphics_async   (GbMachine           *self,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
/* Returns: a connected fd the caller owns, or -1 with @error set. */
int        gb_machine_open_graphics_finish  (GbMachine           *self,
                                             GAsyncResult        *result,
                                             GError             **error);
void       gb_machine_open_serial_async     (GbMachine           *self,
                                             const char          *device,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
GIOStream *gb_machine_open_serial_finish    (GbMachine           *self,
                                             GAsyncResult        *result,
                                             GError             **error);

void       gb_machine_query_internals_async  (GbMachine           *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
/* Returns: (transfer full): a JSON object node in query-stats form. */
JsonNode  *gb_machine_query_internals_finish (GbMachine           *self,
                                              GAsyncResult        *result,
                                              GError             **error);

G_END_DECLS
