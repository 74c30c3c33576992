/*
 * tls_context.h — the plugin's TLS configuration and the transactional
 * reload of the server's TLS acceptor context (docs/hazards.md §3,
 * hazards H3–H5).  The module `tlsp_module_tls_context` (tls_context.c) owns the
 * tls_policy_ssl_* / tls_* system variables and the Tls_policy_tls_* status
 * variables; file_watch.c runs the watcher thread and calls the hooks the
 * module gives it.
 *
 * Reload model (HAProxy ssl_ckch, PostgreSQL be_tls_init): build a complete
 * new SSL_CTX from the effective configuration and validate it
 * (tlsp_tls_context_build), allocate the server's holder, and only then take
 * LOCK_ssl_refresh for writing to swap one pointer.  Any failure before the swap changes nothing: the
 * running context keeps serving, and the failure is counted, logged and
 * kept in Tls_policy_tls_last_reload_error.  Established sessions hold
 * their own SSL_CTX reference.
 *
 * Locks (acquisition order, left before right):
 *   LOCK_global_system_variables (server; held around sysvar updates)
 *     -> cfg_lock (settings storage)
 *   reload_lock (serializes every reload and context bookkeeping)
 *     -> cfg_lock -> LOCK_ssl_refresh (write: pointer swap only; read: peek)
 *     -> tel_lock (telemetry strings)
 * No function here is called with LOCK_ssl_refresh held, and nothing runs
 * SQL (hazard H4).
 */
#ifndef TLS_POLICY_TLS_CONTEXT_H
#define TLS_POLICY_TLS_CONTEXT_H

#include <glib.h>
#include "file_watch.h" /* tlsp_watch_target */

G_BEGIN_DECLS

typedef enum tlsp_reload_origin {
  TP_RELOAD_MANUAL,    /* SET GLOBAL tls_policy_reload_tls_now = ON */
  TP_RELOAD_AUTOMATIC, /* watched files changed (file_watch.c) */
  TP_RELOAD_FLUSH_SSL, /* the server replaced its context (FLUSH SSL) */
  TP_RELOAD_STARTUP,   /* the plugin's configuration applied at start */
} tlsp_reload_origin;

/*
 * Builds, validates and publishes a new context from the effective
 * configuration.  Atomic: on FALSE (error set, message names the setting,
 * the file and the reason) the serving context is unchanged.  Takes
 * reload_lock; call with no lock held.
 */
gboolean tlsp_tls_context_reload(tlsp_reload_origin origin, GError **error);

/*
 * Automatic reload after the watched files settled: reloads only if the
 * content of the configured files differs from what the last reload attempt
 * saw (so that touching a file, or a broken file that stays broken, does not
 * reload or log again).  Call with no lock held.
 */
void tlsp_tls_context_auto_reload(void);

/*
 * Notices a context the server published itself (FLUSH SSL, TLS coming up
 * at server start) by comparing the server's pointer with the one we hold a
 * reference on.  Counts it as a reload; if the plugin has its own
 * configuration, re-applies it (and, if that fails, puts the previous
 * context back).  Cheap when nothing changed.  Call with no lock held.
 */
void tlsp_tls_context_sync_server(tlsp_reload_origin origin);

/*
 * Called once by the watcher thread when the server accepts connections:
 * captures the initial context and applies the plugin's configuration if
 * start() deferred it (plugin loaded at server start, before init_ssl()).
 */
void tlsp_tls_context_server_started(void);

/* Logs a warning for every item (server certificate, CA, CRL) that ends
 * within tls_policy_expiry_warning_days.  Any thread. */
void tlsp_tls_context_expiry_check(void);

/* Array of tlsp_watch_target* (free func set); empty if watch_files is OFF or
 * nothing is configured. */
GPtrArray *tlsp_tls_context_watch_targets(void);
guint tlsp_tls_context_settle_ms(void);

G_END_DECLS

#endif
