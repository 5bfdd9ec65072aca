/* gb-storage-page.c — a libvirt connection's storage pools and their volumes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Pools on the left, the selected pool's volumes on the right. Every libvirt
 * call goes through gb_storage_run_async() (a worker thread); after a change
 * the page reads the pools and volumes again, so what it shows is what
 * libvirt has. Results come back through the page's cancellable: a closed
 * window never waits for libvirt and is never touched after it went.
 *
 * Changes made elsewhere (virsh, another client, autostart) arrive as
 * libvirt's storage pool events: lifecycle (defined, started, stopped,
 * undefined) and refresh. Either reloads the page, a burst of them once.
 * libvirt has no volume events; a volume made by someone else shows up
 * when its pool is refreshed (by them, or with the page's Refresh button).
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gb-libvirt-private.h"
#include "gb-storage.h"
#include "gb-storage-page.h"

#define GiB (1024.0 * 1024.0 * 1024.0)

struct _GbStoragePage
{
  AdwBin              parent_instance;

  GtkListBox         *pool_list;
  GtkListBox         *volume_list;
  AdwPreferencesGroup *pool_group;
  AdwActionRow       *pool_state_row;
  AdwActionRow       *pool_target_row;
  AdwActionRow       *pool_usage_row;
  GtkSwitch          *autostart_switch;
  GtkLabel           *volumes_title;
  GtkRevealer        *transfer_revealer;
  GtkLabel           *transfer_label;
  GtkProgressBar     *transfer_bar;
  GtkLabel           *error_label;

  GbLibvirtProvider  *provider;
  GCancellable       *cancellable;
  GPtrArray          *pools;
  GPtrArray          *volumes;
  char              **pool_types;
  char               *selected_pool;
  char               *selected_volume;
  char               *error;
  guint               busy;
  gboolean            updating;

  /* Pool events of the connection: ids on watch_conn, -1 when none. */
  virConnectPtr       watch_conn;
  int                 watch_lifecycle;
  int                 watch_refresh;
  guint               event_reload;

  /* The running upload or download. */
  GCancellable       *transfer_cancellable;
  struct Op          *transfer_op;
  guint               transfer_timer;
};

G_DEFINE_FINAL_TYPE (GbStoragePage, gb_storage_page, ADW_TYPE_BIN)

/* One change, done in a worker thread. */
typedef enum {
  OP_POOL_CREATE,
  OP_POOL_ACT,
  OP_VOLUME_CREATE,
  OP_VOLUME_RESIZE,
  OP_VOLUME_DELETE,
  OP_VOLUME_TRANSFER,
} OpKind;

typedef struct Op {
  OpKind               kind;
  char                *pool;
  char                *volume;
  char                *type;
  char                *target;
  char                *source_host;
  char                *source_path;
  char                *source_name;
  char                *format;
  char                *backing;
  char                *local_path;
  guint64              capacity;
  GbStoragePoolAction  action;
  gboolean             force;
  gboolean             upload;
  guint64              total;
  gsize                done;
} Op;

static void
op_free (gpointer data)
{
  Op *op = data;

  g_free (op->pool);
  g_free (op->volume);
  g_free (op->type);
  g_free (op->target);
  g_free (op->source_host);
  g_free (op->source_path);
  g_free (op->source_name);
  g_free (op->format);
  g_free (op->backing);
  g_free (op->local_path);
  g_free (op);
}

static gpointer
op_run (virConnectPtr   conn,
        gpointer        data,
        GCancellable   *cancellable,
        GError        **error)
{
  Op *op = data;
  gboolean ok = FALSE;

  switch (op->kind)
    {
    case OP_POOL_CREATE:
      {
        GbStoragePoolSpec spec = {
          .name = op->pool, .type = op->type, .target = op->target,
          .source_host = op->source_host, .source_name = op->source_name,
        };

        /* netfs exports a folder; fs, disk and iscsi name a device or an IQN. */
        if (g_strcmp0 (op->type, "netfs") == 0)
          spec.source_dir = op->source_path;
        else
          spec.source_device = op->source_path;
        ok = gb_storage_pool_create (conn, &spec, error);
      }
      break;
    case OP_POOL_ACT:
      ok = gb_storage_pool_act (conn, op->pool, op->action, error);
      break;
    case OP_VOLUME_CREATE:
      {
        GbStorageVolumeSpec spec = {
          .name = op->volume, .format = op->format, .capacity = op->capacity,
          .backing = op->backing,
        };

        /* A backing file's own format: qcow2 unless its name says raw. */
        if (op->backing && *op->backing && !g_str_has_suffix (op->backing, ".qcow2"))
          spec.backing_format = "raw";
        ok = gb_storage_volume_create (conn, op->pool, &spec, error);
      }
      break;
    case OP_VOLUME_RESIZE:
      ok = gb_storage_volume_resize (conn, op->pool, op->volume, op->capacity, error);
      break;
    case OP_VOLUME_DELETE:
      ok = gb_storage_volume_delete (conn, op->pool, op->volume, op->force, error);
      break;
    case OP_VOLUME_TRANSFER:
      ok = gb_storage_volume_transfer (conn, op->pool, op->volume, op->local_path, op->upload,
                                       &op->total, &op->done, cancellable, error);
      break;
    }
  return ok ? GINT_TO_POINTER (TRUE) : NULL;
}

static virConnectPtr
get_conn (GbStoragePage *self)
{
  return self->provider ? _gb_libvirt_provider_get_handle (GB_PROVIDER (self->provider)) : NULL;
}

static void
set_error (GbStoragePage *self,
           const char    *message)
{
  g_free (self->error);
  self->error = g_strdup (message);
  gtk_label_set_label (self->error_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

static GbStoragePoolInfo *
selected_pool (GbStoragePage *self)
{
  for (guint i = 0; self->pools && self->selected_pool && i < self->pools->len; i++)
    {
      GbStoragePoolInfo *info = g_ptr_array_index (self->pools, i);

      if (g_str_equal (info->name, self->selected_pool))
        return info;
    }
  return NULL;
}

static GbStorageVolumeInfo *
selected_volume (GbStoragePage *self)
{
  for (guint i = 0; self->volumes && self->selected_volume && i < self->volumes->len; i++)
    {
      GbStorageVolumeInfo *info = g_ptr_array_index (self->volumes, i);

      if (g_str_equal (info->name, self->selected_volume))
        return info;
    }
  return NULL;
}

static void
update_actions (GbStoragePage *self)
{
  GbStoragePoolInfo *pool = selected_pool (self);
  GbStorageVolumeInfo *vol = selected_volume (self);
  gboolean idle = self->busy == 0 && get_conn (self) != NULL;
  gboolean transferring = self->transfer_op != NULL;
  gboolean vol_ok = idle && !transferring && pool && pool->active && vol;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "storage.add-pool", idle);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "storage.start-pool", idle && pool && !pool->active);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "storage.stop-pool", idle && !transferring && pool && pool->active);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "storage.refresh-pool", idle && pool && pool->active);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "storage.delete-pool", idle && !transferring && pool);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "storage.add-volume", idle && pool && pool->active);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "storage.resize-volume", vol_ok);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "storage.delete-volume", vol_ok);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "storage.upload-volume", vol_ok);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "storage.download-volume", vol_ok);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "storage.cancel-transfer", transferring);
}

static char *
format_size (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
}

static void
show_pool_details (GbStoragePage *self)
{
  GbStoragePoolInfo *pool = selected_pool (self);
  g_autofree char *title = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->pool_group), pool != NULL);
  if (pool == NULL)
    {
      gtk_label_set_label (self->volumes_title, _("Volumes"));
      return;
    }

  self->updating = TRUE;
  gtk_switch_set_active (self->autostart_switch, pool->autostart);
  self->updating = FALSE;
  adw_action_row_set_subtitle (self->pool_state_row, pool->active ? _("Active") : _("Stopped"));
  adw_action_row_set_subtitle (self->pool_target_row, pool->target ? pool->target : "");
  if (pool->active)
    {
      g_autofree char *used = format_size (pool->allocation);
      g_autofree char *cap = format_size (pool->capacity);
      g_autofree char *free_text = format_size (pool->available);
      /* Translators: "12 GiB used of 100 GiB, 88 GiB free" */
      g_autofree char *text = g_strdup_printf (_("%s used of %s, %s free"), used, cap, free_text);

      adw_action_row_set_subtitle (self->pool_usage_row, text);
    }
  else
    adw_action_row_set_subtitle (self->pool_usage_row, _("Unknown while the pool is stopped"));

  /* Translators: the heading of the volume list, %s is the pool's name */
  title = g_strdup_printf (_("Volumes in “%s”"), pool->name);
  gtk_label_set_label (self->volumes_title, title);
}

static char *
volume_subtitle (GbStorageVolumeInfo *vol)
{
  g_autofree char *cap = format_size (vol->capacity);
  g_autofree char *alloc = format_size (vol->allocation);
  GString *s = g_string_new (NULL);

  /* Translators: "qcow2 · 10 GiB, 196 KiB on disk" */
  g_string_append_printf (s, _("%s · %s, %s on disk"), vol->format ? vol->format : _("unknown format"), cap, alloc);
  if (vol->backing)
    {
      g_string_append (s, "\n");
      /* Translators: %s is a file path */
      g_string_append_printf (s, _("Backing file: %s"), vol->backing);
    }
  if (vol->used_by && vol->used_by[0])
    {
      g_autofree char *users = g_strjoinv (", ", vol->used_by);

      g_string_append (s, "\n");
      /* Translators: %s is a list of machine names */
      g_string_append_printf (s, _("Used by %s"), users);
    }
  return g_string_free (s, FALSE);
}

static void
remove_all_rows (GtkListBox *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (box))))
    gtk_list_box_remove (box, child);
}

static void
fill_volumes (GbStoragePage *self)
{
  GtkListBoxRow *select = NULL;

  self->updating = TRUE;
  remove_all_rows (self->volume_list);
  for (guint i = 0; self->volumes && i < self->volumes->len; i++)
    {
      GbStorageVolumeInfo *vol = g_ptr_array_index (self->volumes, i);
      g_autofree char *subtitle = volume_subtitle (vol);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *icon = gtk_image_new_from_icon_name ("drive-harddisk-symbolic");

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), vol->name);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 3);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
      if (vol->used_by && vol->used_by[0])
        {
          GtkWidget *badge = gtk_label_new (_("In use"));

          gtk_widget_add_css_class (badge, "dim-label");
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), badge);
        }
      g_object_set_data_full (G_OBJECT (row), "volume", g_strdup (vol->name), g_free);
      gtk_list_box_append (self->volume_list, row);
      if (g_strcmp0 (vol->name, self->selected_volume) == 0)
        select = GTK_LIST_BOX_ROW (row);
    }
  if (self->volumes && self->volumes->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No volumes"));
      gtk_list_box_row_set_selectable (GTK_LIST_BOX_ROW (row), FALSE);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
      gtk_widget_add_css_class (row, "dim-label");
      gtk_list_box_append (self->volume_list, row);
    }
  if (select == NULL)
    g_clear_pointer (&self->selected_volume, g_free);
  gtk_list_box_select_row (self->volume_list, select);
  self->updating = FALSE;
  update_actions (self);
}

static void
volumes_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *vols = gb_storage_run_finish (result, &error);
  GbStoragePage *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = GB_STORAGE_PAGE (user_data);
  self->busy--;
  g_clear_pointer (&self->volumes, g_ptr_array_unref);
  self->volumes = vols;
  if (error)
    set_error (self, error->message);
  fill_volumes (self);
}

static gpointer
list_volumes_run (virConnectPtr   conn,
                  gpointer        data,
                  GCancellable   *cancellable,
                  GError        **error)
{
  return gb_storage_list_volumes (conn, data, error);
}

static void
load_volumes (GbStoragePage *self)
{
  GbStoragePoolInfo *pool = selected_pool (self);
  virConnectPtr conn = get_conn (self);

  if (pool == NULL || !pool->active || conn == NULL)
    {
      g_clear_pointer (&self->volumes, g_ptr_array_unref);
      fill_volumes (self);
      return;
    }
  self->busy++;
  gb_storage_run_async (conn, list_volumes_run, g_strdup (pool->name), g_free,
                        (GDestroyNotify) g_ptr_array_unref, self->cancellable, volumes_cb, self);
}

static void
fill_pools (GbStoragePage *self)
{
  GtkListBoxRow *select = NULL;

  self->updating = TRUE;
  remove_all_rows (self->pool_list);
  for (guint i = 0; self->pools && i < self->pools->len; i++)
    {
      GbStoragePoolInfo *pool = g_ptr_array_index (self->pools, i);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *icon = gtk_image_new_from_icon_name (pool->active ? "folder-symbolic" : "media-playback-stop-symbolic");
      g_autofree char *subtitle = NULL;

      /* Translators: a pool's type and state, e.g. "dir · active" */
      subtitle = g_strdup_printf (_("%s · %s"), pool->type ? pool->type : "?",
                                  pool->active ? _("active") : _("stopped"));
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), pool->name);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
      g_object_set_data_full (G_OBJECT (row), "pool", g_strdup (pool->name), g_free);
      gtk_list_box_append (self->pool_list, row);
      if (g_strcmp0 (pool->name, self->selected_pool) == 0 || (self->selected_pool == NULL && i == 0))
        select = GTK_LIST_BOX_ROW (row);
    }
  if (select != NULL)
    {
      g_free (self->selected_pool);
      self->selected_pool = g_strdup (g_object_get_data (G_OBJECT (select), "pool"));
    }
  else
    g_clear_pointer (&self->selected_pool, g_free);
  gtk_list_box_select_row (self->pool_list, select);
  self->updating = FALSE;
  show_pool_details (self);
  update_actions (self);
}

static void
pools_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *pools = gb_storage_run_finish (result, &error);
  GbStoragePage *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = GB_STORAGE_PAGE (user_data);
  self->busy--;
  g_clear_pointer (&self->pools, g_ptr_array_unref);
  self->pools = pools;
  if (error)
    set_error (self, error->message);
  fill_pools (self);
  load_volumes (self);
}

static gpointer
list_pools_run (virConnectPtr   conn,
                gpointer        data,
                GCancellable   *cancellable,
                GError        **error)
{
  return gb_storage_list_pools (conn, error);
}

static gpointer
pool_types_run (virConnectPtr   conn,
                gpointer        data,
                GCancellable   *cancellable,
                GError        **error)
{
  return gb_storage_pool_types (conn);
}

static void
pool_types_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  char **types = gb_storage_run_finish (result, &error);
  GbStoragePage *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = GB_STORAGE_PAGE (user_data);
  g_strfreev (self->pool_types);
  self->pool_types = types;
}

static void watch (GbStoragePage *self);

void
gb_storage_page_reload (GbStoragePage *self)
{
  virConnectPtr conn;

  g_return_if_fail (GB_IS_STORAGE_PAGE (self));

  conn = get_conn (self);
  if (conn == NULL)
    {
      set_error (self, _("The connection is closed"));
      update_actions (self);
      return;
    }
  /* The first time, or the provider connected again with a new handle. */
  if (self->watch_conn != conn)
    watch (self);
  if (self->pool_types == NULL)
    gb_storage_run_async (conn, pool_types_run, NULL, NULL, (GDestroyNotify) g_strfreev,
                          self->cancellable, pool_types_cb, self);
  self->busy++;
  update_actions (self);
  gb_storage_run_async (conn, list_pools_run, NULL, NULL, (GDestroyNotify) g_ptr_array_unref,
                        self->cancellable, pools_cb, self);
}

/* Pool events */

typedef struct {
  int lifecycle;
  int refresh;
} WatchIds;

static gboolean
event_reload_cb (gpointer data)
{
  GbStoragePage *self = data;

  self->event_reload = 0;
  gb_storage_page_reload (self);
  return G_SOURCE_REMOVE;
}

static void
pool_changed (virConnectPtr     conn,
              virStoragePoolPtr pool,
              void             *opaque)
{
  g_autoptr(GbStoragePage) self = g_weak_ref_get (opaque);

  if (self == NULL || conn != self->watch_conn || conn != get_conn (self))
    return;
  g_debug ("storage pool %s changed", virStoragePoolGetName (pool));
  /* A pool started by virsh comes with "defined" and "started" at once:
   * one reload for both. */
  if (self->event_reload == 0)
    self->event_reload = g_timeout_add (100, event_reload_cb, self);
}

static void
pool_lifecycle_cb (virConnectPtr     conn,
                   virStoragePoolPtr pool,
                   int               event,
                   int               detail,
                   void             *opaque)
{
  pool_changed (conn, pool, opaque);
}

static void
pool_refresh_cb (virConnectPtr     conn,
                 virStoragePoolPtr pool,
                 void             *opaque)
{
  pool_changed (conn, pool, opaque);
}

/* Registering is a round trip to the daemon on a remote connection: in a
 * worker thread, like every other call. Each weak reference belongs to
 * libvirt once its callback is registered; libvirt frees it with the
 * callback. */
typedef struct {
  GWeakRef *lifecycle_ref;
  GWeakRef *refresh_ref;
} WatchRefs;

static void
watch_refs_free (gpointer data)
{
  WatchRefs *refs = data;

  g_clear_pointer (&refs->lifecycle_ref, gb_libvirt_weak_ref_free);
  g_clear_pointer (&refs->refresh_ref, gb_libvirt_weak_ref_free);
  g_free (refs);
}

static gpointer
watch_run (virConnectPtr   conn,
           gpointer        data,
           GCancellable   *cancellable,
           GError        **error)
{
  WatchRefs *refs = data;
  WatchIds *ids = g_new (WatchIds, 1);

  ids->lifecycle = virConnectStoragePoolEventRegisterAny (conn, NULL, VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE,
                                                          VIR_STORAGE_POOL_EVENT_CALLBACK (pool_lifecycle_cb),
                                                          refs->lifecycle_ref, gb_libvirt_weak_ref_free);
  if (ids->lifecycle >= 0)
    refs->lifecycle_ref = NULL;
  ids->refresh = virConnectStoragePoolEventRegisterAny (conn, NULL, VIR_STORAGE_POOL_EVENT_ID_REFRESH,
                                                        VIR_STORAGE_POOL_EVENT_CALLBACK (pool_refresh_cb),
                                                        refs->refresh_ref, gb_libvirt_weak_ref_free);
  if (ids->refresh >= 0)
    refs->refresh_ref = NULL;
  if (ids->lifecycle < 0 && ids->refresh < 0)
    {
      g_free (ids);
      gb_libvirt_set_error (error, NULL);
      return NULL;
    }
  return ids;
}

static gpointer
unwatch_run (virConnectPtr   conn,
             gpointer        data,
             GCancellable   *cancellable,
             GError        **error)
{
  WatchIds *ids = data;

  if (ids->lifecycle >= 0)
    virConnectStoragePoolEventDeregisterAny (conn, ids->lifecycle);
  if (ids->refresh >= 0)
    virConnectStoragePoolEventDeregisterAny (conn, ids->refresh);
  return GINT_TO_POINTER (TRUE);
}

static void
unwatch_later (virConnectPtr conn,
               WatchIds     *ids)
{
  gb_storage_run_async (conn, unwatch_run, ids, g_free, NULL, NULL, NULL, NULL);
}

static void
unwatch (GbStoragePage *self)
{
  WatchIds ids = { self->watch_lifecycle, self->watch_refresh };

  g_clear_handle_id (&self->event_reload, g_source_remove);
  if (self->watch_conn == NULL)
    return;
  if (ids.lifecycle >= 0 || ids.refresh >= 0)
    unwatch_later (self->watch_conn, g_memdup2 (&ids, sizeof ids));
  self->watch_lifecycle = self->watch_refresh = -1;
  g_clear_pointer (&self->watch_conn, virConnectClose);
}

typedef struct {
  GWeakRef      *page;
  virConnectPtr  conn;
} WatchContext;

/* Not through the page's cancellable: a registration that finishes after
 * the page went (or moved to another connection) must still be undone. */
static void
watch_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  WatchContext *ctx = user_data;
  g_autoptr(GbStoragePage) self = g_weak_ref_get (ctx->page);
  g_autoptr(GError) error = NULL;
  WatchIds *ids = gb_storage_run_finish (result, &error);

  if (ids == NULL)
    g_debug ("No storage pool events: %s", error->message);
  else if (self == NULL || self->watch_conn != ctx->conn ||
           self->watch_lifecycle >= 0 || self->watch_refresh >= 0)
    unwatch_later (ctx->conn, ids);
  else
    {
      self->watch_lifecycle = ids->lifecycle;
      self->watch_refresh = ids->refresh;
      g_free (ids);
    }
  gb_libvirt_weak_ref_free (ctx->page);
  virConnectClose (ctx->conn);
  g_free (ctx);
}

static void
watch (GbStoragePage *self)
{
  virConnectPtr conn = get_conn (self);
  WatchRefs *refs;
  WatchContext *ctx;

  unwatch (self);
  if (conn == NULL)
    return;
  virConnectRef (conn);
  self->watch_conn = conn;
  refs = g_new0 (WatchRefs, 1);
  refs->lifecycle_ref = gb_libvirt_weak_ref_new (self);
  refs->refresh_ref = gb_libvirt_weak_ref_new (self);
  ctx = g_new0 (WatchContext, 1);
  ctx->page = gb_libvirt_weak_ref_new (self);
  virConnectRef (conn);
  ctx->conn = conn;
  gb_storage_run_async (conn, watch_run, refs, watch_refs_free, g_free, NULL, watch_cb, ctx);
}

/* Changes */

static void
op_cb (GObject      *object,
       GAsyncResult *result,
       gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  GbStoragePage *self;

  gb_storage_run_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = GB_STORAGE_PAGE (user_data);
  self->busy--;
  set_error (self, error ? error->message : NULL);
  gb_storage_page_reload (self);
}

static void
run_op (GbStoragePage *self,
        Op            *op)
{
  virConnectPtr conn = get_conn (self);

  if (conn == NULL)
    {
      op_free (op);
      return;
    }
  self->busy++;
  update_actions (self);
  gb_storage_run_async (conn, op_run, op, op_free, NULL, self->cancellable, op_cb, self);
}

static Op *
op_new (GbStoragePage *self,
        OpKind         kind)
{
  Op *op = g_new0 (Op, 1);

  op->kind = kind;
  op->pool = g_strdup (self->selected_pool);
  op->volume = g_strdup (self->selected_volume);
  return op;
}

static void
pool_act (GbStoragePage       *self,
          GbStoragePoolAction  action)
{
  Op *op = op_new (self, OP_POOL_ACT);

  op->action = action;
  run_op (self, op);
}

static void
pool_selected_cb (GbStoragePage *self,
                  GtkListBoxRow *row)
{
  const char *name = row ? g_object_get_data (G_OBJECT (row), "pool") : NULL;

  if (self->updating || name == NULL || g_strcmp0 (name, self->selected_pool) == 0)
    return;
  g_free (self->selected_pool);
  self->selected_pool = g_strdup (name);
  g_clear_pointer (&self->selected_volume, g_free);
  set_error (self, NULL);
  show_pool_details (self);
  load_volumes (self);
}

static void
volume_selected_cb (GbStoragePage *self,
                    GtkListBoxRow *row)
{
  const char *name = row ? g_object_get_data (G_OBJECT (row), "volume") : NULL;

  if (self->updating)
    return;
  g_free (self->selected_volume);
  self->selected_volume = g_strdup (name);
  update_actions (self);
}

static void
autostart_cb (GbStoragePage *self)
{
  if (self->updating || selected_pool (self) == NULL)
    return;
  pool_act (self, gtk_switch_get_active (self->autostart_switch) ? GB_STORAGE_POOL_AUTOSTART_ON
                                                                  : GB_STORAGE_POOL_AUTOSTART_OFF);
}

/* Dialogs */

static GtkWindow *
toplevel (GbStoragePage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static AdwMessageDialog *
dialog_new (GbStoragePage *self,
            const char    *heading,
            const char    *body,
            const char    *ok_id,
            const char    *ok_label,
            gboolean       destructive)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (toplevel (self), heading, body));

  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), ok_id, ok_label, NULL);
  adw_message_dialog_set_response_appearance (dialog, ok_id,
                                              destructive ? ADW_RESPONSE_DESTRUCTIVE : ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, destructive ? "cancel" : ok_id);
  adw_message_dialog_set_close_response (dialog, "cancel");
  return dialog;
}

static GtkWidget *
entry_row (GtkWidget  *group,
           const char *name,
           const char *title,
           const char *text)
{
  GtkWidget *row = adw_entry_row_new ();

  gtk_widget_set_name (row, name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (text)
    gtk_editable_set_text (GTK_EDITABLE (row), text);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  return row;
}

static GtkWidget *
spin_row (GtkWidget  *group,
          const char *name,
          const char *title,
          double      value,
          double      max)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *spin = gtk_spin_button_new_with_range (0.1, max, 1);

  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (spin), 1);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), value);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  gtk_widget_set_name (spin, name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  return spin;
}

static const char *
row_text (GtkWidget *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static char *
nonempty (const char *text)
{
  return text && *text ? g_strdup (text) : NULL;
}

/* Add Pool */

typedef struct {
  GtkWidget *name, *type, *target, *host, *path, *source_name;
} PoolDialog;

static void
pool_type_changed_cb (GtkWidget  *combo,
                      GParamSpec *pspec,
                      PoolDialog *d)
{
  GtkStringObject *item = adw_combo_row_get_selected_item (ADW_COMBO_ROW (combo));
  const char *type = item ? gtk_string_object_get_string (item) : "dir";
  gboolean netfs = g_str_equal (type, "netfs");
  gboolean iscsi = g_str_equal (type, "iscsi");

  gtk_widget_set_visible (d->host, netfs || iscsi);
  gtk_widget_set_visible (d->path, !g_str_equal (type, "dir") && !g_str_equal (type, "logical"));
  gtk_widget_set_visible (d->source_name, g_str_equal (type, "logical"));
  gtk_widget_set_visible (d->target, !iscsi);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (d->path),
                                 netfs ? _("Exported folder") : iscsi ? _("Target IQN") : _("Device"));
}

static void
add_pool_response_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      GbStoragePage    *self)
{
  PoolDialog *d = g_object_get_data (G_OBJECT (dialog), "pool-dialog");
  GtkStringObject *item;
  Op *op;

  if (!g_str_equal (response, "add") || *row_text (d->name) == '\0')
    return;
  item = adw_combo_row_get_selected_item (ADW_COMBO_ROW (d->type));
  op = op_new (self, OP_POOL_CREATE);
  g_free (op->pool);
  op->pool = g_strdup (row_text (d->name));
  op->type = g_strdup (item ? gtk_string_object_get_string (item) : "dir");
  op->target = nonempty (row_text (d->target));
  op->source_host = nonempty (row_text (d->host));
  op->source_path = nonempty (row_text (d->path));
  op->source_name = nonempty (row_text (d->source_name));
  g_free (self->selected_pool);
  self->selected_pool = g_strdup (op->pool);
  run_op (self, op);
}

static void
add_pool_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  GbStoragePage *self = GB_STORAGE_PAGE (widget);
  AdwMessageDialog *dialog = dialog_new (self, _("Add Storage Pool"),
                                         _("A pool is a place for disk images: a folder, a file system, a network share, a volume group, an iSCSI target or a whole disk."),
                                         "add", _("_Add"), FALSE);
  GtkWidget *group = adw_preferences_group_new ();
  const char *fallback[] = { "dir", NULL };
  PoolDialog *d = g_new0 (PoolDialog, 1);
  GtkStringList *types = gtk_string_list_new ((const char * const *) (self->pool_types ? self->pool_types : (char **) fallback));

  d->name = entry_row (group, "pool-name", _("Name"), "pool");
  d->type = adw_combo_row_new ();
  gtk_widget_set_name (d->type, "pool-type");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (d->type), _("Type"));
  adw_combo_row_set_model (ADW_COMBO_ROW (d->type), G_LIST_MODEL (types));
  g_object_unref (types);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), d->type);
  d->target = entry_row (group, "pool-target", _("Folder on the host"), NULL);
  d->host = entry_row (group, "pool-host", _("Server"), NULL);
  d->path = entry_row (group, "pool-source", _("Device"), NULL);
  d->source_name = entry_row (group, "pool-source-name", _("Volume group"), NULL);
  g_signal_connect (d->type, "notify::selected-item", G_CALLBACK (pool_type_changed_cb), d);
  pool_type_changed_cb (d->type, NULL, d);
  g_object_set_data_full (G_OBJECT (dialog), "pool-dialog", d, g_free);
  adw_message_dialog_set_extra_child (dialog, group);
  g_signal_connect (dialog, "response", G_CALLBACK (add_pool_response_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* New Volume */

typedef struct {
  GtkWidget *name, *format, *capacity, *backing;
} VolumeDialog;

static void
add_volume_response_cb (AdwMessageDialog *dialog,
                        const char       *response,
                        GbStoragePage    *self)
{
  VolumeDialog *d = g_object_get_data (G_OBJECT (dialog), "volume-dialog");
  Op *op;

  if (!g_str_equal (response, "create") || *row_text (d->name) == '\0')
    return;
  op = op_new (self, OP_VOLUME_CREATE);
  g_free (op->volume);
  op->volume = g_strdup (row_text (d->name));
  op->format = g_strdup (adw_combo_row_get_selected (ADW_COMBO_ROW (d->format)) == 1 ? "raw" : "qcow2");
  op->capacity = (guint64) (gtk_spin_button_get_value (GTK_SPIN_BUTTON (d->capacity)) * GiB);
  op->backing = nonempty (row_text (d->backing));
  g_free (self->selected_volume);
  self->selected_volume = g_strdup (op->volume);
  run_op (self, op);
}

static void
add_volume_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  GbStoragePage *self = GB_STORAGE_PAGE (widget);
  AdwMessageDialog *dialog = dialog_new (self, _("New Volume"), NULL, "create", _("C_reate"), FALSE);
  GtkWidget *group = adw_preferences_group_new ();
  VolumeDialog *d = g_new0 (VolumeDialog, 1);
  const char *formats[] = { "qcow2", "raw", NULL };
  GtkStringList *list = gtk_string_list_new (formats);

  d->name = entry_row (group, "volume-name", _("Name"), "disk.qcow2");
  d->format = adw_combo_row_new ();
  gtk_widget_set_name (d->format, "volume-format");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (d->format), _("Format"));
  adw_combo_row_set_model (ADW_COMBO_ROW (d->format), G_LIST_MODEL (list));
  g_object_unref (list);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), d->format);
  d->capacity = spin_row (group, "volume-capacity", _("Size (GiB)"), 10, 65536);
  d->backing = entry_row (group, "volume-backing", _("Backing file (optional)"), NULL);
  g_object_set_data_full (G_OBJECT (dialog), "volume-dialog", d, g_free);
  adw_message_dialog_set_extra_child (dialog, group);
  g_signal_connect (dialog, "response", G_CALLBACK (add_volume_response_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Resize */

static void
resize_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    GbStoragePage    *self)
{
  GtkWidget *spin = g_object_get_data (G_OBJECT (dialog), "capacity");
  Op *op;

  if (!g_str_equal (response, "resize"))
    return;
  op = op_new (self, OP_VOLUME_RESIZE);
  op->capacity = (guint64) (gtk_spin_button_get_value (GTK_SPIN_BUTTON (spin)) * GiB);
  run_op (self, op);
}

static void
resize_volume_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  GbStoragePage *self = GB_STORAGE_PAGE (widget);
  GbStorageVolumeInfo *vol = selected_volume (self);
  g_autofree char *heading = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *group;
  GtkWidget *spin;

  if (vol == NULL)
    return;
  /* Translators: %s is a volume's name */
  heading = g_strdup_printf (_("Resize “%s”"), vol->name);
  dialog = dialog_new (self, heading,
                       _("A guest sees the new size after it restarts or rescans its disks; its partitions and file systems stay as they are."),
                       "resize", _("_Resize"), FALSE);
  group = adw_preferences_group_new ();
  spin = spin_row (group, "resize-capacity", _("New size (GiB)"), vol->capacity / GiB, 65536);
  g_object_set_data (G_OBJECT (dialog), "capacity", spin);
  adw_message_dialog_set_extra_child (dialog, group);
  g_signal_connect (dialog, "response", G_CALLBACK (resize_response_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Delete */

static void
delete_volume_response_cb (AdwMessageDialog *dialog,
                           const char       *response,
                           GbStoragePage    *self)
{
  Op *op;

  if (g_str_equal (response, "cancel"))
    return;
  op = op_new (self, OP_VOLUME_DELETE);
  g_free (op->volume);
  op->volume = g_strdup (g_object_get_data (G_OBJECT (dialog), "volume"));
  op->force = g_str_equal (response, "delete-anyway");
  run_op (self, op);
}

static void
delete_volume_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  GbStoragePage *self = GB_STORAGE_PAGE (widget);
  GbStorageVolumeInfo *vol = selected_volume (self);
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;
  gboolean used;

  if (vol == NULL)
    return;
  used = vol->used_by && vol->used_by[0];
  /* Translators: %s is a volume's name */
  heading = g_strdup_printf (_("Delete “%s”?"), vol->name);
  if (used)
    {
      g_autofree char *users = g_strjoinv (", ", vol->used_by);

      /* Translators: %s is a list of machine names */
      body = g_strdup_printf (_("It is a disk of %s. That machine will not find it any more, and its data is lost."), users);
      dialog = dialog_new (self, heading, body, "delete-anyway", _("Delete _Anyway"), TRUE);
    }
  else
    dialog = dialog_new (self, heading, _("Its data is lost."), "delete", _("_Delete"), TRUE);
  g_object_set_data_full (G_OBJECT (dialog), "volume", g_strdup (vol->name), g_free);
  g_signal_connect (dialog, "response", G_CALLBACK (delete_volume_response_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
delete_pool_response_cb (AdwMessageDialog *dialog,
                         const char       *response,
                         GbStoragePage    *self)
{
  if (!g_str_equal (response, "delete"))
    return;
  pool_act (self, GB_STORAGE_POOL_DELETE);
  g_clear_pointer (&self->selected_pool, g_free);
}

static void
delete_pool_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  GbStoragePage *self = GB_STORAGE_PAGE (widget);
  GbStoragePoolInfo *pool = selected_pool (self);
  g_autofree char *heading = NULL;
  AdwMessageDialog *dialog;

  if (pool == NULL)
    return;
  /* Translators: %s is a pool's name */
  heading = g_strdup_printf (_("Delete the pool “%s”?"), pool->name);
  dialog = dialog_new (self, heading,
                       _("Libvirt forgets the pool. Its volumes stay where they are; an empty folder is removed."),
                       "delete", _("_Delete"), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (delete_pool_response_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
pool_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  GbStoragePage *self = GB_STORAGE_PAGE (widget);

  if (g_str_equal (action_name, "storage.start-pool"))
    pool_act (self, GB_STORAGE_POOL_START);
  else if (g_str_equal (action_name, "storage.stop-pool"))
    pool_act (self, GB_STORAGE_POOL_STOP);
  else
    pool_act (self, GB_STORAGE_POOL_REFRESH);
}

/* Upload and download */

static gboolean
transfer_tick (gpointer user_data)
{
  GbStoragePage *self = user_data;
  Op *op = self->transfer_op;
  guint64 total;
  gsize done;

  if (op == NULL)
    return G_SOURCE_CONTINUE;
  total = op->total;
  done = (gsize) g_atomic_pointer_get (&op->done);
  if (total > 0)
    {
      g_autofree char *a = format_size (done);
      g_autofree char *b = format_size (total);
      /* Translators: "12 MiB of 100 MiB" */
      g_autofree char *text = g_strdup_printf (_("%s of %s"), a, b);

      gtk_progress_bar_set_fraction (self->transfer_bar, CLAMP ((double) done / total, 0, 1));
      gtk_progress_bar_set_text (self->transfer_bar, text);
    }
  else
    gtk_progress_bar_pulse (self->transfer_bar);
  return G_SOURCE_CONTINUE;
}

static void
transfer_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  GbStoragePage *self;

  /* The page holds itself for the transfer (see start_transfer()). */
  self = GB_STORAGE_PAGE (user_data);
  gb_storage_run_finish (result, &error);
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      g_object_unref (self);
      return;
    }
  self->transfer_op = NULL;
  g_clear_handle_id (&self->transfer_timer, g_source_remove);
  g_clear_object (&self->transfer_cancellable);
  gtk_revealer_set_reveal_child (self->transfer_revealer, FALSE);
  set_error (self, error && !g_error_matches (error, GB_STORAGE_ERROR, GB_STORAGE_ERROR_CANCELLED) &&
                   !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                   ? error->message : NULL);
  gb_storage_page_reload (self);
  g_object_unref (self);
}

static void
start_transfer (GbStoragePage *self,
                const char    *local_path,
                gboolean       upload)
{
  virConnectPtr conn = get_conn (self);
  g_autofree char *label = NULL;
  g_autofree char *base = g_path_get_basename (local_path);
  Op *op;

  if (conn == NULL || self->transfer_op != NULL || selected_volume (self) == NULL)
    return;
  op = op_new (self, OP_VOLUME_TRANSFER);
  op->local_path = g_strdup (local_path);
  op->upload = upload;
  self->transfer_op = op;
  /* The page's cancellable ends it with the window; this one is the Cancel button's. */
  self->transfer_cancellable = g_cancellable_new ();
  g_signal_connect_object (self->cancellable, "cancelled", G_CALLBACK (g_cancellable_cancel),
                           self->transfer_cancellable, G_CONNECT_SWAPPED);

  /* Translators: "Uploading disk.img into data.qcow2" */
  label = upload ? g_strdup_printf (_("Uploading %s into %s"), base, op->volume)
                 : g_strdup_printf (_("Downloading %s to %s"), op->volume, base);
  gtk_label_set_label (self->transfer_label, label);
  gtk_progress_bar_set_fraction (self->transfer_bar, 0);
  gtk_progress_bar_set_text (self->transfer_bar, NULL);
  gtk_revealer_set_reveal_child (self->transfer_revealer, TRUE);
  self->transfer_timer = g_timeout_add (100, transfer_tick, self);
  set_error (self, NULL);
  update_actions (self);
  gb_storage_run_async (conn, op_run, op, op_free, NULL, self->transfer_cancellable, transfer_cb,
                        g_object_ref (self));
}

void
gb_storage_page_transfer (GbStoragePage *self,
                          const char    *local_path,
                          gboolean       upload)
{
  g_return_if_fail (GB_IS_STORAGE_PAGE (self));
  g_return_if_fail (local_path != NULL);

  start_transfer (self, local_path, upload);
}

static void
file_chosen_cb (GtkNativeDialog *chooser,
                int              response,
                GbStoragePage   *self)
{
  gboolean upload = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (chooser), "upload"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path)
        start_transfer (self, path, upload);
    }
  g_object_unref (chooser);
}

static void
transfer_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  GbStoragePage *self = GB_STORAGE_PAGE (widget);
  gboolean upload = g_str_equal (action_name, "storage.upload-volume");
  GbStorageVolumeInfo *vol = selected_volume (self);
  GtkFileChooserNative *chooser;

  if (vol == NULL)
    return;
  chooser = gtk_file_chooser_native_new (upload ? _("Upload a File into the Volume") : _("Download the Volume"),
                                         toplevel (self),
                                         upload ? GTK_FILE_CHOOSER_ACTION_OPEN : GTK_FILE_CHOOSER_ACTION_SAVE,
                                         upload ? _("_Upload") : _("_Save"), _("_Cancel"));
  if (!upload)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), vol->name);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_object_set_data (G_OBJECT (chooser), "upload", GINT_TO_POINTER (upload));
  g_signal_connect (chooser, "response", G_CALLBACK (file_chosen_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
cancel_transfer_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  GbStoragePage *self = GB_STORAGE_PAGE (widget);

  if (self->transfer_cancellable)
    g_cancellable_cancel (self->transfer_cancellable);
}

/* Public */

GtkWidget *
gb_storage_page_new (void)
{
  return g_object_new (GB_TYPE_STORAGE_PAGE, NULL);
}

void
gb_storage_page_set_provider (GbStoragePage     *self,
                              GbLibvirtProvider *provider)
{
  g_return_if_fail (GB_IS_STORAGE_PAGE (self));

  if (!g_set_object (&self->provider, provider))
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->busy = 0;
  g_clear_pointer (&self->selected_pool, g_free);
  g_clear_pointer (&self->selected_volume, g_free);
  g_clear_pointer (&self->pool_types, g_strfreev);
  unwatch (self);
  if (provider)
    gb_storage_page_reload (self);
}

GPtrArray *
gb_storage_page_get_pools (GbStoragePage *self)
{
  g_return_val_if_fail (GB_IS_STORAGE_PAGE (self), NULL);
  return self->pools;
}

GPtrArray *
gb_storage_page_get_volumes (GbStoragePage *self)
{
  g_return_val_if_fail (GB_IS_STORAGE_PAGE (self), NULL);
  return self->volumes;
}

gboolean
gb_storage_page_get_busy (GbStoragePage *self)
{
  g_return_val_if_fail (GB_IS_STORAGE_PAGE (self), FALSE);
  return self->busy > 0 || self->transfer_op != NULL;
}

const char *
gb_storage_page_get_error (GbStoragePage *self)
{
  g_return_val_if_fail (GB_IS_STORAGE_PAGE (self), NULL);
  return self->error;
}

static void
select_row_with (GtkListBox *box,
                 const char *key,
                 const char *name)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (box)); child;
       child = gtk_widget_get_next_sibling (child))
    if (g_strcmp0 (g_object_get_data (G_OBJECT (child), key), name) == 0)
      {
        gtk_list_box_select_row (box, GTK_LIST_BOX_ROW (child));
        return;
      }
}

void
gb_storage_page_select_pool (GbStoragePage *self,
                             const char    *name)
{
  g_return_if_fail (GB_IS_STORAGE_PAGE (self));
  select_row_with (self->pool_list, "pool", name);
}

void
gb_storage_page_select_volume (GbStoragePage *self,
                               const char    *name)
{
  g_return_if_fail (GB_IS_STORAGE_PAGE (self));
  select_row_with (self->volume_list, "volume", name);
}

static void
gb_storage_page_dispose (GObject *object)
{
  GbStoragePage *self = GB_STORAGE_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->transfer_cancellable)
    g_cancellable_cancel (self->transfer_cancellable);
  g_clear_handle_id (&self->transfer_timer, g_source_remove);
  self->transfer_op = NULL;
  unwatch (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), GB_TYPE_STORAGE_PAGE);

  G_OBJECT_CLASS (gb_storage_page_parent_class)->dispose (object);
}

static void
gb_storage_page_finalize (GObject *object)
{
  GbStoragePage *self = GB_STORAGE_PAGE (object);

  g_clear_object (&self->provider);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->transfer_cancellable);
  g_clear_pointer (&self->pools, g_ptr_array_unref);
  g_clear_pointer (&self->volumes, g_ptr_array_unref);
  g_strfreev (self->pool_types);
  g_free (self->selected_pool);
  g_free (self->selected_volume);
  g_free (self->error);

  G_OBJECT_CLASS (gb_storage_page_parent_class)->finalize (object);
}

static void
gb_storage_page_class_init (GbStoragePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gb_storage_page_dispose;
  object_class->finalize = gb_storage_page_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/glassbox/Glassbox/hosts/gb-storage-page.ui");
  gtk_widget_class_bind_template_child (widget_class, GbStoragePage, pool_list);
  gtk_widget_class_bind_template_child (widget_class, GbStoragePage, volume_list);
  gtk_widget_class_bind_template_child (widget_class, GbStoragePage, pool_group);
  gtk_widget_class_bind_template_child (widget_class, GbStoragePage, pool_state_row);
  gtk_widget_class_bind_template_child (widget_class, GbStoragePage, pool_target_row);
  gtk_widget_class_bind_template_child (widget_class, GbStoragePage, pool_usage_row);
  gtk_widget_class_bind_template_child (widget_class, GbStoragePage, autostart_switch);
  gtk_widget_class_bind_template_child (widget_class, GbStoragePage, volumes_title);
  gtk_widget_class_bind_template_child (widget_class, GbStoragePage, transfer_revealer);
  gtk_widget_class_bind_template_child (widget_class, GbStoragePage, transfer_label);
  gtk_widget_class_bind_template_child (widget_class, GbStoragePage, transfer_bar);
  gtk_widget_class_bind_template_child (widget_class, GbStoragePage, error_label);
  gtk_widget_class_bind_template_callback (widget_class, pool_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, volume_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, autostart_cb);

  gtk_widget_class_install_action (widget_class, "storage.add-pool", NULL, add_pool_action);
  gtk_widget_class_install_action (widget_class, "storage.start-pool", NULL, pool_action);
  gtk_widget_class_install_action (widget_class, "storage.stop-pool", NULL, pool_action);
  gtk_widget_class_install_action (widget_class, "storage.refresh-pool", NULL, pool_action);
  gtk_widget_class_install_action (widget_class, "storage.delete-pool", NULL, delete_pool_action);
  gtk_widget_class_install_action (widget_class, "storage.add-volume", NULL, add_volume_action);
  gtk_widget_class_install_action (widget_class, "storage.resize-volume", NULL, resize_volume_action);
  gtk_widget_class_install_action (widget_class, "storage.delete-volume", NULL, delete_volume_action);
  gtk_widget_class_install_action (widget_class, "storage.upload-volume", NULL, transfer_action);
  gtk_widget_class_install_action (widget_class, "storage.download-volume", NULL, transfer_action);
  gtk_widget_class_install_action (widget_class, "storage.cancel-transfer", NULL, cancel_transfer_action);
}

static void
gb_storage_page_init (GbStoragePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->watch_lifecycle = self->watch_refresh = -1;
  update_actions (self);
  show_pool_details (self);
}
