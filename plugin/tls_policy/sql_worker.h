/*
 * sql_worker.h — the one thread that runs SQL for code that must not run
 * it on the session it was called from (a statement-end hook runs on the
 * DBA's THD, a variable's check callback on the caller's): dropping the
 * plugin's objects at UNINSTALL, writing them again after a restore,
 * mirroring native REQUIRE, killing sessions for the re-check.
 *
 * The worker has its own THD and local connection (sql_session.c).  Jobs
 * are queued and run in order.  A module (module.h): started before, and
 * stopped after, every module that queues jobs.
 */
#ifndef TLS_POLICY_SQL_WORKER_H
#define TLS_POLICY_SQL_WORKER_H

#include <glib.h>
#include "module.h"

typedef enum tlsp_sql_job_flags {
  TP_SQL_JOB_BINLOG = 1 << 0,         /* run with sql_log_bin=1 (else 0) */
  TP_SQL_JOB_REFRESH_POLICY = 1 << 1, /* after success, wait until the
                                       * policy store re-read the table */
} tlsp_sql_job_flags;

/* The worker session's lock_wait_timeout (and innodb_lock_wait_timeout),
 * seconds: a job never hangs on a lock for long. */
#define TP_SQL_JOB_LOCK_WAIT 5

/*
 * Runs `statements` (NULL-terminated, one SQL statement each, no result
 * sets needed) in order on the worker's connection, stopping at the first
 * failure, and waits at most timeout_usec for the outcome.  Safe from any
 * thread except the worker itself.  On timeout the job still completes
 * later and logs its own failure; FALSE with error.
 */
gboolean tlsp_sql_job_run(const char *const *statements,
                          tlsp_sql_job_flags flags, gint64 timeout_usec,
                          GError **error);

/*
 * Runs every statement whatever the others do, and gives each its outcome:
 * errnos[i] (0: it succeeded) and errors[i] (NULL, or the message, newly
 * allocated: the caller frees it); both arrays have one slot per statement.
 * FALSE with error (and the arrays untouched) if the job did not finish
 * within timeout_usec or the worker is not running.
 */
gboolean tlsp_sql_job_run_each(const char *const *statements,
                               gint64 timeout_usec, unsigned *errnos,
                               char **errors, GError **error);

extern const tlsp_module tlsp_module_sql_worker;

#endif
