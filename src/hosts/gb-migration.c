/* gb-migration.c — one machine moving from one libvirt host to another
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * virDomainMigrate3() (or virDomainMigrateToURI3() when tunnelled) blocks
 * until the move is over, so it runs in a worker thread. Meanwhile a timer
 * on the main loop reads virDomainGetJobStats() in another worker (a query
 * job libvirt allows beside the migration job): memory remaining, dirty
 * pages per second, the pre-copy round and the downtime QEMU expects. Every
 * reading is kept, so the dialog draws the rounds and a test can count them.
 * Cancelling is virDomainAbortJob(); the migration thread then fails with
 * libvirt's "operation aborted" and the state says cancelled.
 */
#include "config.h"

#include <glib/gi18n.h>

#include <libvirt/virterror.h>

#include "gb-libvirt-private.h"
#include "gb-migration.h"

struct _GbMigration
{
  GObject             parent_instance;

  virDomainPtr        dom;
  virConnectPtr       dconn;
  GbMigrationOptions  options;
  GbMigrationState    state;
  char               *error;
  GArray             *history;      /* GbMigrationStats */
  GbMigrationStats    last;
  guint64             max_iteration;
  guint               interval_ms;
  guint               timer_id;
  gboolean            polling;
  gboolean            downtime_set;
  gboolean            cancel_requested;
};

enum {
  PROP_0,
  PROP_STATE,
  N_PROPS
};

enum {
  PROGRESS,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (GbMigration, gb_migration, G_TYPE_OBJECT)

unsigned int
gb_migration_options_flags (const GbMigrationOptions *options)
{
  unsigned int flags = 0;

  if (options->live)
    flags |= VIR_MIGRATE_LIVE;
  if (options->tunnelled)
    flags |= VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_TUNNELLED;
  if (options->copy_storage)
    flags |= VIR_MIGRATE_NON_SHARED_DISK;
  if (options->persistent)
    flags |= VIR_MIGRATE_PERSIST_DEST;
  if (options->undefine_source)
    flags |= VIR_MIGRATE_UNDEFINE_SOURCE;
  return flags;
}

static void
set_state (GbMigration      *self,
           GbMigrationState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/* Job stats */

static gboolean
read_stats (virDomainPtr      dom,
            unsigned int      flags,
            GbMigrationStats *stats)
{
  virTypedParameterPtr params = NULL;
  int nparams = 0;
  int type = 0;

  memset (stats, 0, sizeof *stats);
  if (virDomainGetJobStats (dom, &type, &params, &nparams, flags) < 0)
    {
      virResetLastError ();
      return FALSE;
    }
  stats->time_us = g_get_monotonic_time ();
  virTypedParamsGetULLong (params, nparams, VIR_DOMAIN_JOB_TIME_ELAPSED, &stats->elapsed_ms);
  virTypedParamsGetULLong (params, nparams, VIR_DOMAIN_JOB_MEMORY_TOTAL, &stats->mem_total);
  virTypedParamsGetULLong (params, nparams, VIR_DOMAIN_JOB_MEMORY_PROCESSED, &stats->mem_processed);
  virTypedParamsGetULLong (params, nparams, VIR_DOMAIN_JOB_MEMORY_REMAINING, &stats->mem_remaining);
  virTypedParamsGetULLong (params, nparams, VIR_DOMAIN_JOB_MEMORY_BPS, &stats->mem_bps);
  virTypedParamsGetULLong (params, nparams, VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, &stats->dirty_rate);
  virTypedParamsGetULLong (params, nparams, VIR_DOMAIN_JOB_MEMORY_PAGE_SIZE, &stats->page_size);
  virTypedParamsGetULLong (params, nparams, VIR_DOMAIN_JOB_MEMORY_ITERATION, &stats->iteration);
  virTypedParamsGetULLong (params, nparams, VIR_DOMAIN_JOB_DOWNTIME, &stats->downtime_ms);
  virTypedParamsGetULLong (params, nparams, VIR_DOMAIN_JOB_DISK_TOTAL, &stats->disk_total);
  virTypedParamsGetULLong (params, nparams, VIR_DOMAIN_JOB_DISK_PROCESSED, &stats->disk_processed);
  virTypedParamsGetULLong (params, nparams, VIR_DOMAIN_JOB_DISK_REMAINING, &stats->disk_remaining);
  virTypedParamsFree (params, nparams);
  /* VIR_DOMAIN_JOB_NONE: no job (yet, or any more): nothing to draw. */
  return type != VIR_DOMAIN_JOB_NONE;
}

typedef struct {
  virDomainPtr     dom;
  guint64          max_downtime_ms;
  gboolean         set_downtime;
  gboolean         ok;
  GbMigrationStats stats;
} PollData;

static void
poll_data_free (PollData *poll)
{
  virDomainFree (poll->dom);
  g_free (poll);
}

static void
poll_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  PollData *poll = task_data;

  /* virDomainMigrateSetMaxDowntime needs the job to have begun: the first
   * reading that finds it sets it. */
  poll->ok = read_stats (poll->dom, 0, &poll->stats);
  if (poll->ok && poll->set_downtime &&
      virDomainMigrateSetMaxDowntime (poll->dom, poll->max_downtime_ms, 0) < 0)
    virResetLastError ();
  g_task_return_boolean (task, TRUE);
}

static void
record (GbMigration            *self,
        const GbMigrationStats *stats)
{
  self->last = *stats;
  g_array_append_val (self->history, *stats);
  self->max_iteration = MAX (self->max_iteration, stats->iteration);
  g_signal_emit (self, signals[PROGRESS], 0);
}

static void
poll_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GbMigration *self = GB_MIGRATION (object);
  PollData *poll = g_task_get_task_data (G_TASK (result));

  self->polling = FALSE;
  if (poll->ok && self->state == GB_MIGRATION_STATE_RUNNING)
    {
      if (poll->set_downtime)
        self->downtime_set = TRUE;
      record (self, &poll->stats);
    }
}

static gboolean
poll_tick (gpointer user_data)
{
  GbMigration *self = user_data;
  g_autoptr(GTask) task = NULL;
  PollData *poll;

  if (self->polling)
    return G_SOURCE_CONTINUE;
  self->polling = TRUE;
  poll = g_new0 (PollData, 1);
  virDomainRef (self->dom);
  poll->dom = self->dom;
  poll->max_downtime_ms = self->options.max_downtime_ms;
  poll->set_downtime = self->options.max_downtime_ms > 0 && !self->downtime_set;
  task = g_task_new (self, NULL, poll_cb, NULL);
  g_task_set_task_data (task, poll, (GDestroyNotify) poll_data_free);
  g_task_run_in_thread (task, poll_thread);
  return G_SOURCE_CONTINUE;
}

/* The migration itself */

typedef struct {
  virDomainPtr        dom;
  virConnectPtr       dconn;
  GbMigrationOptions  options;
  GbMigrationStats    final;
  gboolean            has_final;
} RunData;

static void
run_data_free (RunData *run)
{
  virDomainFree (run->dom);
  if (run->dconn)
    virConnectClose (run->dconn);
  g_free (run->options.dest_uri);
  g_free (run->options.migrate_uri);
  g_free (run);
}

static void
run_thread (GTask        *task,
            gpointer      source,
            gpointer      task_data,
            GCancellable *cancellable)
{
  RunData *run = task_data;
  virTypedParameterPtr params = NULL;
  int nparams = 0;
  int maxparams = 0;
  unsigned int flags = gb_migration_options_flags (&run->options);
  GError *error = NULL;
  gboolean ok;

  if (run->options.bandwidth_mib > 0)
    virTypedParamsAddULLong (&params, &nparams, &maxparams, VIR_MIGRATE_PARAM_BANDWIDTH,
                             run->options.bandwidth_mib);
  if (run->options.migrate_uri != NULL && !run->options.tunnelled)
    virTypedParamsAddString (&params, &nparams, &maxparams, VIR_MIGRATE_PARAM_URI,
                             run->options.migrate_uri);

  if (run->options.tunnelled || run->dconn == NULL)
    {
      ok = virDomainMigrateToURI3 (run->dom, run->options.dest_uri, params, nparams,
                                   flags | VIR_MIGRATE_PEER2PEER) == 0;
    }
  else
    {
      virDomainPtr ddom = virDomainMigrate3 (run->dom, run->dconn, params, nparams, flags);

      ok = ddom != NULL;
      if (ddom != NULL)
        {
          /* The destination keeps the finished job's numbers: the real downtime. */
          run->has_final = read_stats (ddom, VIR_DOMAIN_JOB_STATS_COMPLETED, &run->final);
          virDomainFree (ddom);
        }
    }
  if (!ok)
    gb_libvirt_set_error (&error, _("The migration failed"));
  virTypedParamsFree (params, nparams);

  if (error)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
run_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  GbMigration *self = GB_MIGRATION (object);
  RunData *run = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  g_clear_handle_id (&self->timer_id, g_source_remove);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_free (self->error);
      self->error = g_strdup (error->message);
      set_state (self, self->cancel_requested ? GB_MIGRATION_STATE_CANCELLED : GB_MIGRATION_STATE_FAILED);
      return;
    }
  if (run->has_final)
    {
      /* The pre-copy rounds are what the user watched: keep the highest. */
      run->final.iteration = MAX (run->final.iteration, self->max_iteration);
      record (self, &run->final);
    }
  set_state (self, GB_MIGRATION_STATE_COMPLETED);
}

void
gb_migration_start (GbMigration *self)
{
  g_autoptr(GTask) task = NULL;
  RunData *run;

  g_return_if_fail (GB_IS_MIGRATION (self));
  g_return_if_fail (self->state == GB_MIGRATION_STATE_READY);

  run = g_new0 (RunData, 1);
  virDomainRef (self->dom);
  run->dom = self->dom;
  if (self->dconn)
    {
      virConnectRef (self->dconn);
      run->dconn = self->dconn;
    }
  run->options = self->options;
  run->options.dest_uri = g_strdup (self->options.dest_uri);
  run->options.migrate_uri = g_strdup (self->options.migrate_uri);

  set_state (self, GB_MIGRATION_STATE_RUNNING);
  task = g_task_new (self, NULL, run_cb, NULL);
  g_task_set_task_data (task, run, (GDestroyNotify) run_data_free);
  g_task_run_in_thread (task, run_thread);
  self->timer_id = g_timeout_add (self->interval_ms, poll_tick, self);
}

static void
domain_unref (gpointer dom)
{
  virDomainFree (dom);
}

static void
abort_thread (GTask        *task,
              gpointer      source,
              gpointer      task_data,
              GCancellable *cancellable)
{
  if (virDomainAbortJob (task_data) < 0)
    virResetLastError ();
  g_task_return_boolean (task, TRUE);
}

void
gb_migration_cancel (GbMigration *self)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (GB_IS_MIGRATION (self));

  if (self->state != GB_MIGRATION_STATE_RUNNING)
    return;
  self->cancel_requested = TRUE;
  virDomainRef (self->dom);
  task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_task_data (task, self->dom, domain_unref);
  g_task_run_in_thread (task, abort_thread);
}

GbMigration *
gb_migration_new (virDomainPtr              dom,
                  virConnectPtr             dconn,
                  const GbMigrationOptions *options)
{
  GbMigration *self;

  g_return_val_if_fail (dom != NULL, NULL);
  g_return_val_if_fail (options != NULL, NULL);

  self = g_object_new (GB_TYPE_MIGRATION, NULL);
  virDomainRef (dom);
  self->dom = dom;
  if (dconn)
    {
      virConnectRef (dconn);
      self->dconn = dconn;
    }
  self->options = *options;
  self->options.dest_uri = g_strdup (options->dest_uri);
  self->options.migrate_uri = g_strdup (options->migrate_uri);
  return self;
}

GbMigrationState
gb_migration_get_state (GbMigration *self)
{
  g_return_val_if_fail (GB_IS_MIGRATION (self), GB_MIGRATION_STATE_FAILED);
  return self->state;
}

const char *
gb_migration_get_error (GbMigration *self)
{
  g_return_val_if_fail (GB_IS_MIGRATION (self), NULL);
  return self->error;
}

const GbMigrationStats *
gb_migration_get_stats (GbMigration *self)
{
  g_return_val_if_fail (GB_IS_MIGRATION (self), NULL);
  return &self->last;
}

GArray *
gb_migration_get_history (GbMigration *self)
{
  g_return_val_if_fail (GB_IS_MIGRATION (self), NULL);
  return self->history;
}

guint64
gb_migration_get_max_iteration (GbMigration *self)
{
  g_return_val_if_fail (GB_IS_MIGRATION (self), 0);
  return self->max_iteration;
}

void
gb_migration_set_interval (GbMigration *self,
                           guint        interval_ms)
{
  g_return_if_fail (GB_IS_MIGRATION (self));
  self->interval_ms = MAX (interval_ms, 50);
}

static void
gb_migration_finalize (GObject *object)
{
  GbMigration *self = GB_MIGRATION (object);

  g_clear_handle_id (&self->timer_id, g_source_remove);
  virDomainFree (self->dom);
  if (self->dconn)
    virConnectClose (self->dconn);
  g_free (self->options.dest_uri);
  g_free (self->options.migrate_uri);
  g_free (self->error);
  g_array_unref (self->history);

  G_OBJECT_CLASS (gb_migration_parent_class)->finalize (object);
}

static void
gb_migration_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  GbMigration *self = GB_MIGRATION (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_migration_class_init (GbMigrationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gb_migration_finalize;
  object_class->get_property = gb_migration_get_property;

  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL,
                      GB_MIGRATION_STATE_READY, GB_MIGRATION_STATE_CANCELLED, GB_MIGRATION_STATE_READY,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A new job-stats reading: gb_migration_get_stats(). */
  signals[PROGRESS] = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
gb_migration_init (GbMigration *self)
{
  self->history = g_array_new (FALSE, TRUE, sizeof (GbMigrationStats));
  self->interval_ms = 250;
}
