/*
 * recheck.h — re-checking live sessions against the current policy, CRL and
 * clock (SET GLOBAL tls_policy_recheck_sessions_now = ON), the view
 * mysql.tls_policy_recheck of the last run, and optionally killing the
 * sessions that would no longer be admitted (tls_policy_recheck_action =
 * KILL).  Module tlsp_module_recheck; see docs/identity-and-sessions.md.
 *
 * The module also owns the sessions' background thread: once a second it
 * merges live client certificates into the expiry memory of conn_views.c,
 * and it runs the few SQL statements of this concern (KILL CONNECTION, and
 * dropping the functions and views of conn_views.c and recheck.c after a
 * successful UNINSTALL) on its own local connection, never on a session's
 * THD and never from a variable's update callback (hazard H4).
 */
#ifndef TLS_POLICY_RECHECK_H
#define TLS_POLICY_RECHECK_H

struct st_mysql;

/* Creates the UDF tls_policy_recheck() and the view mysql.tls_policy_recheck
 * on `m` (called by tlsp_conn_views_install). */
void tlsp_recheck_install(struct st_mysql *m);

#endif
