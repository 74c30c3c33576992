/*
 * file_watch.h — the watcher thread of the TLS context module.
 *
 * One thread ("tls_policy_watch") runs its own GMainContext.  It
 *   - watches the directories of the configured TLS files with GFileMonitor
 *     (G_FILE_MONITOR_WATCH_MOVES, so an atomic rename into place is seen)
 *     while tls_policy_watch_files is ON, waits until the events settle
 *     (tls_policy_watch_settle_ms of quiet) and then calls
 *     tp_tls_context_auto_reload();
 *   - once a second, compares the server's acceptor context with the one the
 *     plugin knows (tp_tls_context_sync_server), which also catches the
 *     server bringing TLS up after the plugin was loaded at server start;
 *   - checks certificate, CA and CRL expiry at start and then daily.
 *
 * The functions below may be called from any thread; none blocks on the
 * watcher (requests are queued to its main context), except stop(), which
 * waits up to 10 s for the thread to finish and joins it.
 */
#ifndef TLS_POLICY_FILE_WATCH_H
#define TLS_POLICY_FILE_WATCH_H

#include <glib.h>

G_BEGIN_DECLS

gboolean tp_file_watch_start(GError **error);
/* Stops the thread and joins it; every monitor and timer is gone
 * afterwards.  A thread that does not finish within 10 s (stuck inside
 * GLib) is logged and left to finish on its own with its own state. */
void tp_file_watch_stop(void);
/* The configured paths or tls_policy_watch_files changed: re-read the
 * watch targets.  Safe under LOCK_global_system_variables (never waits). */
void tp_file_watch_reconfigure(void);
/* Run the expiry check soon on the watcher thread (expiry_warning_days
 * changed).  Never waits. */
void tp_file_watch_expiry_check_soon(void);

G_END_DECLS

#endif
