/*
 * sql_worker.c — the one SQL worker thread (sql_worker.h).
 *
 * Locking: worker.lock protects every field of `worker` and the `done`,
 * `abandoned`, `error` fields of queued jobs; it is held only for queue
 * handling, never across SQL.  A job is an atomic rc box held by the caller
 * and by the queue/worker; the last release frees it.
 */
#include <string.h>
#include <mysql/plugin.h>
#include <mysql/service_sql.h>
#include "policy_store.h"
#include "report.h"
#include "server_abi.h"
#include "sql_session.h"
#include "sql_worker.h"

#define TP_SQL_WORKER_ERROR (tlsp_sql_worker_error_quark())
/* clang-format off */
static G_DEFINE_QUARK(tp-sql-worker-error-quark, tlsp_sql_worker_error)
    /* clang-format on */

    typedef struct sql_job {
  char **statements;
  tlsp_sql_job_flags flags;
  gboolean each;    /* run every statement; outcomes per statement */
  unsigned *errnos; /* each: one slot per statement */
  char **errors;    /* each: one slot per statement, owned by the job */
  guint n;
  gboolean done;
  gboolean abandoned; /* the caller stopped waiting: the worker logs */
  GError *error;
} sql_job;

/* The last reference (caller or worker) frees the job. */
static void sql_job_free(gpointer p)
{
  sql_job *job = p;
  for (guint i = 0; job->errors && i < job->n; i++)
    g_free(job->errors[i]);
  g_free(job->errors);
  g_free(job->errnos);
  g_strfreev(job->statements);
  g_clear_error(&job->error);
}

/* lock protects every field; held only for queue handling, never across
 * SQL. */
static struct {
  GMutex lock;
  GCond cond;
  GThread *thread;
  GThread *deferred; /* stopped on itself: joined at the next start */
  GQueue queue;      /* sql_job * (an atomic rc box: caller and worker) */
  gboolean stop;
} worker;

/* The session's sql_log_bin is set per job (run_job). */
static MYSQL *worker_connect(GError **error)
{
  return tlsp_sql_session_open("SQL worker", 0, TP_SQL_JOB_LOCK_WAIT, error);
}

/* Runs one job on *m (reconnecting first if needed).  sql_log_bin is set
 * for every job: the session keeps what the previous job set otherwise.
 * A plain job stops at its first failure (job->error); an "each" job runs
 * every statement and records each outcome, and job->error only says that
 * none could run.  A client-side error (the connection is gone) closes the
 * connection, so that the next job reconnects. */
static void run_job(MYSQL **m, sql_job *job)
{
  GError *error = NULL;
  tlsp_sql_session_release_at_shutdown(m);
  if (!*m)
    *m = worker_connect(&error);
  if (*m)
  {
    const char *binlog = job->flags & TP_SQL_JOB_BINLOG
                             ? "SET SESSION sql_log_bin=1"
                             : "SET SESSION sql_log_bin=0";
    if (tlsp_sql_session_run(*m, binlog, &error) && job->each)
    {
      for (guint i = 0; i < job->n && mysql_errno(*m) < 2000; i++)
      {
        g_autoptr(GError) one = NULL;
        if (!tlsp_sql_session_run(*m, job->statements[i], &one))
        {
          job->errnos[i] = mysql_errno(*m) ? mysql_errno(*m) : 1;
          job->errors[i] = g_strdup(mysql_error(*m));
        }
      }
    }
    else if (!error)
      for (char **q = job->statements; *q && !error; q++)
        tlsp_sql_session_run(*m, *q, &error);
    if (mysql_errno(*m) >= 2000)
    {
      if (job->each && !error)
        g_set_error(&error, TP_SQL_WORKER_ERROR, (int) mysql_errno(*m),
                    "the local connection was lost: %s", mysql_error(*m));
      tlsp_sql_session_close(*m);
      *m = NULL;
    }
  }
  if (!error && (job->flags & TP_SQL_JOB_REFRESH_POLICY) &&
      !tlsp_policy_store_refresh_wait(5 * G_USEC_PER_SEC))
    g_set_error_literal(&error, TP_SQL_WORKER_ERROR, 1,
                        "the policy store did not re-read mysql.tls_policy "
                        "within 5 s");
  g_mutex_lock(&worker.lock);
  job->error = error;
  job->done = TRUE;
  gboolean log = error && job->abandoned;
  g_cond_broadcast(&worker.cond);
  g_mutex_unlock(&worker.lock);
  if (log)
    tlsp_log_error("SQL worker: a job given up on by its caller failed: %s",
                   error->message);
}

static gpointer worker_main(gpointer unused)
{
  if (!tlsp_server_thread_init())
  {
    tlsp_log_error("SQL worker: thread initialisation failed");
    g_mutex_lock(&worker.lock);
    worker.stop = TRUE; /* tlsp_sql_job_run refuses from now on */
    g_cond_broadcast(&worker.cond);
    g_mutex_unlock(&worker.lock);
    return NULL;
  }
  MYSQL *m = NULL;
  g_mutex_lock(&worker.lock);
  for (;;)
  {
    while (!worker.stop && g_queue_is_empty(&worker.queue))
    {
      g_cond_wait_until(&worker.cond, &worker.lock,
                        g_get_monotonic_time() + TP_SQL_SHUTDOWN_POLL_USEC);
      if (m && tlsp_server_shutting_down())
      {
        g_mutex_unlock(&worker.lock);
        tlsp_sql_session_release_at_shutdown(&m); /* sql_session.h */
        g_mutex_lock(&worker.lock);
      }
    }
    if (worker.stop)
      break;
    sql_job *job = g_queue_pop_head(&worker.queue);
    g_mutex_unlock(&worker.lock);
    run_job(&m, job);
    g_atomic_rc_box_release_full(job, sql_job_free);
    g_mutex_lock(&worker.lock);
  }
  /* Jobs still queued at stop fail. */
  sql_job *job;
  while (worker.thread == g_thread_self() &&
         (job = g_queue_pop_head(&worker.queue)))
  {
    g_set_error_literal(&job->error, TP_SQL_WORKER_ERROR, 1,
                        "the plugin is stopping");
    job->done = TRUE;
    g_cond_broadcast(&worker.cond);
    g_atomic_rc_box_release_full(job, sql_job_free);
  }
  g_cond_broadcast(&worker.cond);
  g_mutex_unlock(&worker.lock);
  tlsp_sql_session_close(m);
  tlsp_server_thread_end();
  return NULL;
}

/* Queues job and waits for it at most timeout_usec.  Returns the job (a
 * new reference: release it) once done, NULL with error otherwise. */
static sql_job *job_queue_wait(sql_job *job, gint64 timeout_usec,
                               GError **error)
{
  g_mutex_lock(&worker.lock);
  if (!worker.thread || worker.stop || g_thread_self() == worker.thread)
  {
    g_mutex_unlock(&worker.lock);
    g_atomic_rc_box_release_full(job, sql_job_free);
    g_set_error_literal(error, TP_SQL_WORKER_ERROR, 1,
                        "the SQL worker is not running");
    return NULL;
  }
  g_queue_push_tail(&worker.queue, g_atomic_rc_box_acquire(job));
  g_cond_broadcast(&worker.cond);
  gint64 deadline = g_get_monotonic_time() + timeout_usec;
  while (!job->done)
    if (!g_cond_wait_until(&worker.cond, &worker.lock, deadline))
      break;
  gboolean done = job->done;
  job->abandoned = !done;
  g_mutex_unlock(&worker.lock);
  if (done)
    return job;
  g_set_error(error, TP_SQL_WORKER_ERROR, 1,
              "no outcome within %" G_GINT64_FORMAT " ms (the job goes on)",
              timeout_usec / 1000);
  g_atomic_rc_box_release_full(job, sql_job_free);
  return NULL;
}

static sql_job *job_new(const char *const *statements, tlsp_sql_job_flags flags,
                        gboolean each)
{
  sql_job *job = g_atomic_rc_box_new0(sql_job);
  job->statements = g_strdupv((char **) statements);
  job->n = g_strv_length(job->statements);
  job->flags = flags;
  job->each = each;
  if (each)
  {
    job->errnos = g_new0(unsigned, job->n + 1);
    job->errors = g_new0(char *, job->n + 1);
  }
  return job;
}

gboolean tlsp_sql_job_run(const char *const *statements,
                          tlsp_sql_job_flags flags, gint64 timeout_usec,
                          GError **error)
{
  sql_job *job =
      job_queue_wait(job_new(statements, flags, FALSE), timeout_usec, error);
  if (!job)
    return FALSE;
  gboolean ok = !job->error;
  if (job->error)
    g_propagate_error(error, g_error_copy(job->error));
  g_atomic_rc_box_release_full(job, sql_job_free);
  return ok;
}

gboolean tlsp_sql_job_run_each(const char *const *statements,
                               gint64 timeout_usec, unsigned *errnos,
                               char **errors, GError **error)
{
  sql_job *job =
      job_queue_wait(job_new(statements, 0, TRUE), timeout_usec, error);
  if (!job)
    return FALSE;
  if (job->error) /* the worker stopped, or could not connect */
  {
    for (guint i = 0; i < job->n; i++)
    {
      errnos[i] = job->errnos[i] ? job->errnos[i] : 1;
      errors[i] =
          g_strdup(job->errors[i] ? job->errors[i] : job->error->message);
    }
  }
  else
    for (guint i = 0; i < job->n; i++)
    {
      errnos[i] = job->errnos[i];
      errors[i] = g_steal_pointer(&job->errors[i]);
    }
  g_atomic_rc_box_release_full(job, sql_job_free);
  return TRUE;
}

static gboolean worker_start(GError **error)
{
  tlsp_thread_join_deferred(&worker.deferred);
  /* Created under the lock: the worker first looks at `worker` once
   * worker.thread is set. */
  g_mutex_lock(&worker.lock);
  worker.stop = FALSE;
  GThread *t = g_thread_try_new("tls_policy_sql", worker_main, NULL, error);
  worker.thread = t;
  g_mutex_unlock(&worker.lock);
  return t != NULL;
}

/* May run on the worker itself (deinit inside one of its statements,
 * sql_session.h): then the worker is joined at the next start; it ends when
 * its statement returns.  While it still holds worker.thread it fails the
 * jobs left in the queue. */
static void worker_stop(void)
{
  g_mutex_lock(&worker.lock);
  worker.stop = TRUE;
  g_cond_broadcast(&worker.cond);
  GThread *t = worker.thread;
  gboolean self = t == g_thread_self();
  g_mutex_unlock(&worker.lock);
  tlsp_thread_stop_join(t, &worker.deferred);
  if (!self)
  {
    g_mutex_lock(&worker.lock);
    worker.thread = NULL;
    g_mutex_unlock(&worker.lock);
  }
}

const tlsp_module tlsp_module_sql_worker = {
    .name = "sql_worker",
    .start = worker_start,
    .stop = worker_stop,
};
