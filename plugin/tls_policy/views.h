/*
 * views.h — the SQL objects tls_policy installs beside mysql.tls_policy
 * (docs/sql-objects.md), and the SQL worker thread that runs statements the
 * plugin must not run on a session's own THD.
 */
#ifndef TLS_POLICY_VIEWS_H
#define TLS_POLICY_VIEWS_H

#include <glib.h>

typedef enum tp_sql_job_flags {
  TP_SQL_JOB_BINLOG = 1 << 0,         /* run with sql_log_bin=1 (else 0) */
  TP_SQL_JOB_REFRESH_POLICY = 1 << 1, /* after success, wait until the
                                       * policy store re-read the table */
} tp_sql_job_flags;

/*
 * Runs `statements` (NULL-terminated, one SQL statement each, no result
 * sets needed) in order on the SQL worker's own local connection, stopping
 * at the first failure, and waits at most timeout_usec for the outcome.
 * Safe from any thread except the worker itself; never runs SQL on the
 * caller's THD.  The worker's session has lock_wait_timeout and
 * innodb_lock_wait_timeout of TP_SQL_JOB_LOCK_WAIT seconds, so a job never
 * hangs on a lock for long.  On timeout the job still completes later and
 * logs its own failure; FALSE with error.
 */
#define TP_SQL_JOB_LOCK_WAIT 5
gboolean tp_sql_job_run(const char *const *statements, tp_sql_job_flags flags,
                        gint64 timeout_usec, GError **error);

/*
 * Skips white space and SQL comments (-- and # to end of line, and
 * comment blocks that are not MariaDB executable comments) in [q, end);
 * returns the first byte of the statement (end if there is none).
 */
const char *tp_sql_skip_blanks(const char *q, const char *end);

/*
 * Reads the next keyword or identifier (letters, digits, _ and $; or a
 * `quoted` identifier, or a '...' / "..." string) from *q, skipping blanks
 * first.  Returns its text (unquoted, newly allocated) and advances *q, or
 * NULL at the end or at any other character.
 */
char *tp_sql_next_word(const char **q, const char *end);

/* Does the statement in [q, end) uninstall this plugin?  UNINSTALL SONAME
 * 'tls_policy[.so]' or UNINSTALL PLUGIN [IF EXISTS] tls_policy. */
gboolean tp_sql_uninstalls_tls_policy(const char *q, const char *end);

/* The per-process random token the plugin's views pass to their functions,
 * so that the functions answer only through the views (docs/sql-objects.md);
 * created on first use.  One token for every view of the plugin. */
const char *tp_views_token(void);
gboolean tp_views_token_matches(const char *s, unsigned long len);

#endif
