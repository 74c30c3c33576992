/*
 * sql_session.h — the plugin's own SQL sessions (local connections through
 * mysql_real_connect_local), opened with every session setting the plugin
 * relies on set explicitly; and the join rule for the threads that own
 * them.
 */
#ifndef TLS_POLICY_SQL_SESSION_H
#define TLS_POLICY_SQL_SESSION_H

#include <glib.h>

struct st_mysql;

typedef enum tlsp_sql_session_flags {
  TP_SQL_SESSION_BINLOG = 1 << 0, /* sql_log_bin=1 (default: 0) */
} tlsp_sql_session_flags;

/*
 * Opens a local connection for the calling thread (which must have called
 * tlsp_server_thread_init()) and sets, whatever the server-wide defaults are:
 * autocommit=1; READ COMMITTED (each statement reads committed rows only,
 * and sees every row committed before it started); a fixed sql_mode with
 * NO_ENGINE_SUBSTITUTION; utf8mb4 for the connection and the results;
 * lock_wait_timeout and innodb_lock_wait_timeout of lock_wait seconds;
 * sql_log_bin; no sql_select_limit, no max_statement_time, not read-only.
 * `who` names the caller in log lines.  NULL with error when the connection
 * or one of the settings it relies on fails.
 */
struct st_mysql *tlsp_sql_session_open(const char *who,
                                       tlsp_sql_session_flags flags,
                                       unsigned lock_wait, GError **error);
void tlsp_sql_session_close(struct st_mysql *m);

/* Runs one statement on m and discards its result; FALSE with error
 * ("<message> (errno N)", code the server's errno) when it fails. */
gboolean tlsp_sql_session_run(struct st_mysql *m, const char *q,
                              GError **error);

/*
 * Server shutdown.  The server ends the client connections, then shuts the
 * storage engines down (plugin_shutdown); it does not wait for local
 * connections, and a session still open then runs against an engine being
 * shut down (InnoDB aborts the server on trx_list.empty()).  So once the
 * server begins to shut down (abort_loop), every internal thread closes its
 * session before its next statement and at least every
 * TP_SQL_SHUTDOWN_POLL_USEC while idle, and opens none
 * (tlsp_sql_session_open() refuses).  Returns TRUE (and closes *m) once the
 * server is shutting down.
 */
#define TP_SQL_SHUTDOWN_POLL_USEC (50 * 1000)
gboolean tlsp_sql_session_release_at_shutdown(struct st_mysql **m);

/*
 * Stopping a thread that owns an internal session.  The server runs an
 * audit plugin's deinit on whichever thread drops the last reference to a
 * plugin being uninstalled or shut down; the plugin's own sessions hold it
 * during each of their statements, so deinit can run on one of the
 * plugin's own threads, inside its SQL call.  That thread cannot be joined
 * by itself: tlsp_thread_stop_join() joins `t` unless it is the calling
 * thread, in which case it is left in *deferred, to be joined by the next
 * start (tlsp_thread_join_deferred()), and the thread ends on its own when
 * its SQL call returns (its loop sees the stop flag).  Call both with the
 * owner's lock not held.
 */
void tlsp_thread_stop_join(GThread *t, GThread **deferred);
void tlsp_thread_join_deferred(GThread **deferred);

#endif
