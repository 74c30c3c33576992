/*
 * file_watch.c — the watcher thread of the TLS context module (see
 * file_watch.h).
 *
 * Everything GLib here (monitors, timers) lives in one GMainContext that
 * only the watcher thread iterates; it is the thread-default context while
 * the monitors are created, so GFileMonitor delivers their events there.
 * Other threads never touch a monitor: they attach an idle source to the
 * context (g_source_attach is thread safe and wakes the loop), so a sysvar
 * update callback, which runs under LOCK_global_system_variables, never
 * waits for the watcher.  The reloads themselves take the TLS context
 * module's locks (tls_context.h); the watcher holds none of its own while
 * calling them.
 */
#include <string.h>
#include <gio/gio.h>
#include "file_watch.h"
#include "report.h"
#include "server_abi.h"
#include "tls_context.h"

#define TP_TICK_BEFORE_START_MS 50
#define TP_TICK_MS 1000
#define TP_EXPIRY_PERIOD_S (24 * 60 * 60)

/* `lock` protects ctx and thread (start/stop against requests from other
 * threads); `stop` is atomic. */
static struct {
  GMutex lock;
  GMainContext *ctx;
  GThread *thread;
  gint stop;
} w;

/* Watcher thread only. */
static GMainContext *thread_ctx;  /* == w.ctx while the thread runs */
static GPtrArray *targets;        /* tp_watch_target*, user data of monitors */
static GPtrArray *monitors;       /* GFileMonitor* */
static GSource *settle_source;
static GSource *tick_source;
static gboolean server_started_seen;
static char *watch_description;   /* last logged watch set */

/* ---- settling and reload ------------------------------------------------ */

static gboolean settle_fire(gpointer unused)
{
  g_source_unref(settle_source);
  settle_source = NULL;
  tp_tls_context_auto_reload();
  return G_SOURCE_REMOVE;
}

/* (Re)starts the quiet period: the reload runs settle_ms after the last
 * relevant event. */
static void settle_arm(void)
{
  if (settle_source)
  {
    g_source_destroy(settle_source);
    g_source_unref(settle_source);
  }
  settle_source = g_timeout_source_new(tp_tls_context_settle_ms());
  g_source_set_callback(settle_source, settle_fire, NULL, NULL);
  g_source_attach(settle_source, thread_ctx);
}

static gboolean relevant(const tp_watch_target *t, GFile *f)
{
  if (!f)
    return FALSE;
  if (!t->names)
    return TRUE;
  g_autofree char *base = g_file_get_basename(f);
  if (!base)
    return FALSE;
  /* Kubernetes-style atomic writers swap a "..data" symlink: the
   * configured names are links through it and never change themselves. */
  if (g_str_has_prefix(base, ".."))
    return TRUE;
  for (guint i = 0; i < t->names->len; i++)
    if (strcmp(base, t->names->pdata[i]) == 0)
      return TRUE;
  return FALSE;
}

static void on_changed(GFileMonitor *m, GFile *file, GFile *other,
                       GFileMonitorEvent ev, gpointer data)
{
  const tp_watch_target *t = data;
  if (ev == G_FILE_MONITOR_EVENT_PRE_UNMOUNT || ev == G_FILE_MONITOR_EVENT_UNMOUNTED)
    return;
  if (relevant(t, file) || relevant(t, other))
    settle_arm();
}

/* ---- monitors ----------------------------------------------------------- */

static void monitors_drop(GPtrArray *mons)
{
  if (!mons)
    return;
  for (guint i = 0; i < mons->len; i++)
  {
    GFileMonitor *m = mons->pdata[i];
    g_signal_handlers_disconnect_by_func(m, on_changed, NULL);
    g_file_monitor_cancel(m);
    g_object_unref(m);
  }
  g_ptr_array_unref(mons);
}

static char *describe(GPtrArray *ts)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < ts->len; i++)
  {
    const tp_watch_target *t = ts->pdata[i];
    g_string_append_printf(s, "%s'%s' (", i ? ", " : "", t->dir);
    if (!t->names)
      g_string_append(s, "any file");
    else
      for (guint k = 0; k < t->names->len; k++)
        g_string_append_printf(s, "%s%s", k ? " " : "", (char *) t->names->pdata[k]);
    g_string_append_c(s, ')');
  }
  return g_string_free(s, FALSE);
}

/* Watcher thread: replaces the monitors by ones for the current targets.
 * The new ones are created before the old ones go, so no event between is
 * lost when the set did not change. */
static gboolean apply_targets(gpointer unused)
{
  GPtrArray *new_targets = tp_tls_context_watch_targets();
  GPtrArray *new_monitors = g_ptr_array_new();
  for (guint i = 0; i < new_targets->len; i++)
  {
    tp_watch_target *t = new_targets->pdata[i];
    g_autoptr(GFile) dir = g_file_new_for_path(t->dir);
    g_autoptr(GError) error = NULL;
    GFileMonitor *m = g_file_monitor_directory(dir, G_FILE_MONITOR_WATCH_MOVES,
                                               NULL, &error);
    if (!m)
    {
      tp_log_warning("cannot watch '%s' for TLS file changes: %s", t->dir,
                     error->message);
      continue;
    }
    g_file_monitor_set_rate_limit(m, MAX(tp_tls_context_settle_ms(), 100));
    g_signal_connect(m, "changed", G_CALLBACK(on_changed), t);
    g_ptr_array_add(new_monitors, m);
  }
  monitors_drop(monitors);
  monitors = new_monitors;
  if (targets)
    g_ptr_array_unref(targets);
  targets = new_targets;
  if (!targets->len && settle_source)
  {
    g_source_destroy(settle_source);
    g_source_unref(settle_source);
    settle_source = NULL;
  }

  g_autofree char *d = describe(targets);
  if (g_strcmp0(d, watch_description ? watch_description : "") != 0)
  {
    if (*d)
      tp_log_note("watching for TLS file changes: %s", d);
    else if (watch_description && *watch_description)
      tp_log_note("no longer watching TLS files");
    g_free(watch_description);
    watch_description = g_steal_pointer(&d);
  }
  return G_SOURCE_REMOVE;
}

/* ---- periodic work ------------------------------------------------------ */

static gboolean tick(gpointer unused);

static void tick_schedule(guint ms)
{
  if (tick_source)
  {
    g_source_destroy(tick_source);
    g_source_unref(tick_source);
  }
  tick_source = g_timeout_source_new(ms);
  g_source_set_callback(tick_source, tick, NULL, NULL);
  g_source_attach(tick_source, thread_ctx);
}

static gboolean tick(gpointer unused)
{
  if (!server_started_seen)
  {
    if (!tp_server_started())
      return G_SOURCE_CONTINUE;
    server_started_seen = TRUE;
    tp_tls_context_server_started();
    tick_schedule(TP_TICK_MS);
    return G_SOURCE_REMOVE;
  }
  /* A safety net for FLUSH SSL statements on_statement did not see. */
  tp_tls_context_sync_server(TP_RELOAD_FLUSH_SSL);
  return G_SOURCE_CONTINUE;
}

static gboolean expiry_fire(gpointer unused)
{
  tp_tls_context_expiry_check();
  return G_SOURCE_CONTINUE;
}

static gboolean expiry_once(gpointer unused)
{
  tp_tls_context_expiry_check();
  return G_SOURCE_REMOVE;
}

/* ---- thread ------------------------------------------------------------- */

static gpointer watch_main(gpointer data)
{
  GMainContext *ctx = data;
  thread_ctx = ctx;
  gboolean mysys = tp_server_thread_init();
  g_main_context_push_thread_default(ctx);

  server_started_seen = FALSE;
  tick_source = NULL;
  tick_schedule(tp_server_started() ? 0 : TP_TICK_BEFORE_START_MS);
  GSource *expiry = g_timeout_source_new_seconds(TP_EXPIRY_PERIOD_S);
  g_source_set_callback(expiry, expiry_fire, NULL, NULL);
  g_source_attach(expiry, ctx);
  apply_targets(NULL);

  while (!g_atomic_int_get(&w.stop))
    g_main_context_iteration(ctx, TRUE);

  monitors_drop(monitors);
  monitors = NULL;
  if (targets)
    g_ptr_array_unref(targets);
  targets = NULL;
  GSource **sources[] = { &settle_source, &tick_source, &expiry };
  for (guint i = 0; i < G_N_ELEMENTS(sources); i++)
    if (*sources[i])
    {
      g_source_destroy(*sources[i]);
      g_source_unref(*sources[i]);
      *sources[i] = NULL;
    }
  g_clear_pointer(&watch_description, g_free);
  /* Run what is still pending (idle requests) so nothing refers to us. */
  while (g_main_context_iteration(ctx, FALSE))
    ;
  g_main_context_pop_thread_default(ctx);
  thread_ctx = NULL;
  if (mysys)
    tp_server_thread_end();
  return NULL;
}

gboolean tp_file_watch_start(GError **error)
{
  g_mutex_lock(&w.lock);
  g_atomic_int_set(&w.stop, 0);
  w.ctx = g_main_context_new();
  w.thread = g_thread_try_new("tls_policy_watch", watch_main, w.ctx, error);
  if (!w.thread)
  {
    g_main_context_unref(w.ctx);
    w.ctx = NULL;
  }
  gboolean ok = w.thread != NULL;
  g_mutex_unlock(&w.lock);
  return ok;
}

void tp_file_watch_stop(void)
{
  g_mutex_lock(&w.lock);
  GThread *thread = w.thread;
  GMainContext *ctx = w.ctx;
  w.thread = NULL;
  w.ctx = NULL;
  g_mutex_unlock(&w.lock);
  if (!thread)
    return;
  g_atomic_int_set(&w.stop, 1);
  g_main_context_wakeup(ctx);
  g_thread_join(thread);
  g_main_context_unref(ctx);
}

static void request(GSourceFunc fn)
{
  g_mutex_lock(&w.lock);
  if (w.ctx)
  {
    GSource *s = g_idle_source_new();
    g_source_set_callback(s, fn, NULL, NULL);
    g_source_attach(s, w.ctx);
    g_source_unref(s);
  }
  g_mutex_unlock(&w.lock);
}

void tp_file_watch_reconfigure(void)
{
  request(apply_targets);
}

void tp_file_watch_expiry_check_soon(void)
{
  request(expiry_once);
}
