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
 *
 * Each start creates a new `tlsp_watcher` that its thread owns: its main
 * context, monitors and timers are reachable only from that thread (the
 * callbacks get the instance as user data), never from statics.  stop()
 * waits a bounded time for the thread to finish; a thread stuck inside
 * GLib (seen only with libasan preloaded into a non-ASan server, where the
 * first translated GLib string blocks on a broken glibc lock) is then left
 * behind with its own state instead of blocking UNINSTALL forever, and
 * cleans up after itself if it ever returns.  The library is pinned
 * (RTLD_NODELETE), so its code stays mapped.
 */
#include <string.h>
#include <gio/gio.h>
#include "file_watch.h"
#include "report.h"
#include "server_abi.h"

/* Set by tlsp_file_watch_start() before the thread starts; read by the
 * watcher thread only. */
static const tlsp_file_watch_hooks *hooks;

#define TP_TICK_BEFORE_START_MS 50
#define TP_TICK_MS 1000
#define TP_EXPIRY_PERIOD_S (24 * 60 * 60)
#define TP_STOP_WAIT_USEC (10 * G_USEC_PER_SEC)

typedef struct tlsp_watcher {
  gint refs;         /* the thread's and the starter's */
  gint stop;         /* atomic */
  GMainContext *ctx; /* immutable */
  GMutex lock;       /* protects exited */
  GCond cond;
  gboolean exited;
  /* Watcher thread only: */
  GPtrArray *targets;  /* tlsp_watch_target*, user data of monitors */
  GPtrArray *monitors; /* GFileMonitor* */
  GSource *settle_source;
  GSource *tick_source;
  GSource *expiry_source;
  gboolean server_started_seen;
  char *watch_description; /* last logged watch set */
} tlsp_watcher;

/* The running instance: `current_lock` protects `current` and `thread`. */
static GMutex current_lock;
static tlsp_watcher *current;
static GThread *current_thread;

static tlsp_watcher *watcher_ref(tlsp_watcher *w)
{
  g_atomic_int_inc(&w->refs);
  return w;
}

static void watcher_unref(tlsp_watcher *w)
{
  if (!g_atomic_int_dec_and_test(&w->refs))
    return;
  g_main_context_unref(w->ctx);
  g_mutex_clear(&w->lock);
  g_cond_clear(&w->cond);
  g_free(w);
}

/* ---- settling and reload ------------------------------------------------ */

static gboolean settle_fire(gpointer data)
{
  tlsp_watcher *w = data;
  g_source_unref(w->settle_source);
  w->settle_source = NULL;
  if (!g_atomic_int_get(&w->stop))
    hooks->files_changed();
  return G_SOURCE_REMOVE;
}

static void source_drop(GSource **s)
{
  if (*s)
  {
    g_source_destroy(*s);
    g_source_unref(*s);
    *s = NULL;
  }
}

/* (Re)starts the quiet period: the reload runs settle_ms after the last
 * relevant event. */
static void settle_arm(tlsp_watcher *w)
{
  source_drop(&w->settle_source);
  w->settle_source = g_timeout_source_new(hooks->settle_ms());
  g_source_set_callback(w->settle_source, settle_fire, w, NULL);
  g_source_attach(w->settle_source, w->ctx);
}

static gboolean relevant(const tlsp_watch_target *t, GFile *f)
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

typedef struct monitor_data {
  tlsp_watcher *w;
  const tlsp_watch_target *t; /* owned by w->targets */
} monitor_data;

static void on_changed(GFileMonitor *m, GFile *file, GFile *other,
                       GFileMonitorEvent ev, gpointer data)
{
  const monitor_data *md = data;
  if (ev == G_FILE_MONITOR_EVENT_PRE_UNMOUNT ||
      ev == G_FILE_MONITOR_EVENT_UNMOUNTED)
    return;
  if (relevant(md->t, file) || relevant(md->t, other))
    settle_arm(md->w);
}

/* ---- monitors ----------------------------------------------------------- */

static void monitors_drop(GPtrArray *mons)
{
  if (!mons)
    return;
  for (guint i = 0; i < mons->len; i++)
  {
    GFileMonitor *m = mons->pdata[i];
    g_signal_handlers_disconnect_by_func(
        m, on_changed, g_object_get_data(G_OBJECT(m), "tp-md"));
    g_file_monitor_cancel(m);
    g_object_unref(m); /* frees the monitor_data (set_data_full) */
  }
  g_ptr_array_unref(mons);
}

static char *describe(GPtrArray *ts)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < ts->len; i++)
  {
    const tlsp_watch_target *t = ts->pdata[i];
    g_string_append_printf(s, "%s'%s' (", i ? ", " : "", t->dir);
    if (!t->names)
      g_string_append(s, "any file");
    else
      for (guint k = 0; k < t->names->len; k++)
        g_string_append_printf(s, "%s%s", k ? " " : "",
                               (char *) t->names->pdata[k]);
    g_string_append_c(s, ')');
  }
  return g_string_free(s, FALSE);
}

/* Watcher thread: replaces the monitors by ones for the current targets.
 * The new ones are created before the old ones go, so no event between is
 * lost when the set did not change. */
static gboolean apply_targets(gpointer data)
{
  tlsp_watcher *w = data;
  if (g_atomic_int_get(&w->stop))
    return G_SOURCE_REMOVE;
  GPtrArray *new_targets = hooks->targets();
  GPtrArray *new_monitors = g_ptr_array_new();
  for (guint i = 0; i < new_targets->len; i++)
  {
    tlsp_watch_target *t = new_targets->pdata[i];
    /* The local VFS directly: g_vfs_get_default() could load GVfs modules
     * that talk to a session bus, which a server has no business with. */
    g_autoptr(GFile) dir = g_vfs_get_file_for_path(g_vfs_get_local(), t->dir);
    g_autoptr(GError) error = NULL;
    GFileMonitor *m =
        g_file_monitor_directory(dir, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
    if (!m)
    {
      tlsp_log_warning("cannot watch '%s' for TLS file changes: %s", t->dir,
                       error->message);
      continue;
    }
    g_file_monitor_set_rate_limit(m, MAX(hooks->settle_ms(), 100));
    monitor_data *md = g_new0(monitor_data, 1);
    md->w = w;
    md->t = t;
    g_object_set_data_full(G_OBJECT(m), "tp-md", md, g_free);
    g_signal_connect(m, "changed", G_CALLBACK(on_changed), md);
    g_ptr_array_add(new_monitors, m);
  }
  monitors_drop(w->monitors);
  w->monitors = new_monitors;
  if (w->targets)
    g_ptr_array_unref(w->targets);
  w->targets = new_targets;
  if (!w->targets->len)
    source_drop(&w->settle_source);

  g_autofree char *d = describe(w->targets);
  if (g_strcmp0(d, w->watch_description ? w->watch_description : "") != 0)
  {
    if (*d)
      tlsp_log_note("watching for TLS file changes: %s", d);
    else if (w->watch_description && *w->watch_description)
      tlsp_log_note("no longer watching TLS files");
    g_free(w->watch_description);
    w->watch_description = g_steal_pointer(&d);
  }
  return G_SOURCE_REMOVE;
}

/* ---- periodic work ------------------------------------------------------ */

static gboolean tick(gpointer data);

static void tick_schedule(tlsp_watcher *w, guint ms)
{
  source_drop(&w->tick_source);
  w->tick_source = g_timeout_source_new(ms);
  g_source_set_callback(w->tick_source, tick, w, NULL);
  g_source_attach(w->tick_source, w->ctx);
}

static gboolean tick(gpointer data)
{
  tlsp_watcher *w = data;
  if (g_atomic_int_get(&w->stop))
    return G_SOURCE_CONTINUE;
  if (!w->server_started_seen)
  {
    if (!tlsp_server_started())
      return G_SOURCE_CONTINUE;
    w->server_started_seen = TRUE;
    hooks->server_started();
    tick_schedule(w, TP_TICK_MS);
    return G_SOURCE_REMOVE;
  }
  /* A safety net for FLUSH SSL statements on_statement did not see. */
  hooks->tick();
  return G_SOURCE_CONTINUE;
}

static gboolean expiry_fire(gpointer data)
{
  tlsp_watcher *w = data;
  if (!g_atomic_int_get(&w->stop))
    hooks->expiry_check();
  return G_SOURCE_CONTINUE;
}

static gboolean expiry_once(gpointer data)
{
  tlsp_watcher *w = data;
  if (!g_atomic_int_get(&w->stop))
    hooks->expiry_check();
  return G_SOURCE_REMOVE;
}

/* ---- thread ------------------------------------------------------------- */

static gpointer watch_main(gpointer data)
{
  tlsp_watcher *w = data;
  gboolean mysys = tlsp_server_thread_init();
  g_main_context_push_thread_default(w->ctx);

  tick_schedule(w, tlsp_server_started() ? 0 : TP_TICK_BEFORE_START_MS);
  w->expiry_source = g_timeout_source_new_seconds(TP_EXPIRY_PERIOD_S);
  g_source_set_callback(w->expiry_source, expiry_fire, w, NULL);
  g_source_attach(w->expiry_source, w->ctx);
  apply_targets(w);

  while (!g_atomic_int_get(&w->stop))
    g_main_context_iteration(w->ctx, TRUE);

  monitors_drop(w->monitors);
  w->monitors = NULL;
  if (w->targets)
    g_ptr_array_unref(w->targets);
  w->targets = NULL;
  source_drop(&w->settle_source);
  source_drop(&w->tick_source);
  source_drop(&w->expiry_source);
  g_clear_pointer(&w->watch_description, g_free);
  /* Run what is still pending (idle requests hold a reference on w). */
  while (g_main_context_iteration(w->ctx, FALSE))
    ;
  g_main_context_pop_thread_default(w->ctx);
  if (mysys)
    tlsp_server_thread_end();

  g_mutex_lock(&w->lock);
  w->exited = TRUE;
  g_cond_broadcast(&w->cond);
  g_mutex_unlock(&w->lock);
  watcher_unref(w);
  return NULL;
}

gboolean tlsp_file_watch_start(const tlsp_file_watch_hooks *h, GError **error)
{
  hooks = h;
  tlsp_watcher *w = g_new0(tlsp_watcher, 1);
  w->refs = 1;
  w->ctx = g_main_context_new();
  g_mutex_init(&w->lock);
  g_cond_init(&w->cond);
  watcher_ref(w); /* the thread's */
  GThread *thread = g_thread_try_new("tls_policy_watch", watch_main, w, error);
  if (!thread)
  {
    watcher_unref(w); /* the thread's */
    watcher_unref(w);
    return FALSE;
  }
  g_mutex_lock(&current_lock);
  current = w;
  current_thread = thread;
  g_mutex_unlock(&current_lock);
  return TRUE;
}

void tlsp_file_watch_stop(void)
{
  g_mutex_lock(&current_lock);
  tlsp_watcher *w = current;
  GThread *thread = current_thread;
  current = NULL;
  current_thread = NULL;
  g_mutex_unlock(&current_lock);
  if (!w)
    return;
  g_atomic_int_set(&w->stop, 1);
  g_main_context_wakeup(w->ctx);

  gint64 deadline = g_get_monotonic_time() + TP_STOP_WAIT_USEC;
  g_mutex_lock(&w->lock);
  while (!w->exited)
    if (!g_cond_wait_until(&w->cond, &w->lock, deadline))
      break;
  gboolean exited = w->exited;
  g_mutex_unlock(&w->lock);
  if (exited)
    g_thread_join(thread);
  else
  {
    tlsp_log_warning("the TLS file watcher thread did not stop within %d s; "
                     "it is left to finish on its own",
                     (int) (TP_STOP_WAIT_USEC / G_USEC_PER_SEC));
    g_thread_unref(thread);
  }
  watcher_unref(w);
}

static void request(GSourceFunc fn)
{
  g_mutex_lock(&current_lock);
  if (current)
  {
    GSource *s = g_idle_source_new();
    g_source_set_callback(s, fn, watcher_ref(current),
                          (GDestroyNotify) watcher_unref);
    g_source_attach(s, current->ctx);
    g_source_unref(s);
  }
  g_mutex_unlock(&current_lock);
}

void tlsp_file_watch_reconfigure(void) { request(apply_targets); }

void tlsp_file_watch_expiry_check_soon(void) { request(expiry_once); }
