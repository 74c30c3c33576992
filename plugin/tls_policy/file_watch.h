/*
 * file_watch.h — the watcher thread of the TLS context module.
 *
 * One thread ("tls_policy_watch") runs its own GMainContext.  It
 *   - watches the directories of the files hooks->targets() names with
 *     GFileMonitor (G_FILE_MONITOR_WATCH_MOVES, so an atomic rename into
 *     place is seen), waits until the events settle (hooks->settle_ms() of
 *     quiet) and then calls hooks->files_changed();
 *   - calls hooks->server_started() once the server accepts connections,
 *     and hooks->tick() once a second after that;
 *   - calls hooks->expiry_check() at start and then daily.
 * The watcher knows nothing of TLS: the TLS context module (tls_context.c)
 * passes the hooks, and the hooks run on the watcher thread.
 *
 * The functions below may be called from any thread; none blocks on the
 * watcher (requests are queued to its main context), except stop(), which
 * waits up to 10 s for the thread to finish and joins it.
 */
#ifndef TLS_POLICY_FILE_WATCH_H
#define TLS_POLICY_FILE_WATCH_H

#include <glib.h>

G_BEGIN_DECLS

/* What to watch: one entry per directory; `names` holds the basenames of
 * the configured files in it, or is NULL when any entry of the directory
 * matters (capath, crlpath). */
typedef struct tlsp_watch_target {
  char *dir;
  GPtrArray *names; /* of char*, or NULL */
} tlsp_watch_target;

typedef struct tlsp_file_watch_hooks {
  void (*files_changed)(void);
  guint (*settle_ms)(void);
  /* What to watch: a new array of tlsp_watch_target* with its free function
   * set (the watcher unrefs it); empty: nothing. */
  GPtrArray *(*targets)(void);
  void (*server_started)(void);
  void (*tick)(void);
  void (*expiry_check)(void);
} tlsp_file_watch_hooks;

/* hooks must stay valid until tlsp_file_watch_stop() returned (a static). */
gboolean tlsp_file_watch_start(const tlsp_file_watch_hooks *hooks,
                               GError **error);
/* Stops the thread and joins it; every monitor and timer is gone
 * afterwards.  A thread that does not finish within 10 s (stuck inside
 * GLib) is logged and left to finish on its own with its own state. */
void tlsp_file_watch_stop(void);
/* The configured paths or tls_policy_watch_files changed: re-read the
 * watch targets.  Safe under LOCK_global_system_variables (never waits). */
void tlsp_file_watch_reconfigure(void);
/* Run the expiry check soon on the watcher thread (expiry_warning_days
 * changed).  Never waits. */
void tlsp_file_watch_expiry_check_soon(void);

G_END_DECLS

#endif
