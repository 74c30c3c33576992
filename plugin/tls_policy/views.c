/*
 * views.c — the SQL objects the plugin installs beside mysql.tls_policy
 * (docs/sql-objects.md), and the SQL worker thread.
 *
 * Objects (created on the policy store's refresher connection once the
 * table exists, without binary logging, so every server installs its own):
 *   - the UDF tls_policy_rules(token), which returns the current policy
 *     snapshot as a JSON array;
 *   - the view mysql.tls_policy_rules over it (JSON_TABLE), one row per row
 *     of the snapshot with its parse error, like PostgreSQL's
 *     pg_hba_file_rules;
 *   - the view mysql.tls_policy_native_require (sql/) and the procedure
 *     mysql.tls_policy_import_native() (sql/) that copies every account's
 *     native REQUIRE into mysql.tls_policy.
 * A successful UNINSTALL of the plugin drops them again (the table and its
 * rows stay); a server shutdown leaves them in place.
 *
 * Who may read the policy: a UDF needs no privilege in MariaDB, so the
 * function would show every account's rule to every account.  It therefore
 * answers only when given a token that is random per server process and
 * written into the view's definition: reading the policy takes the
 * privileges that reading the view takes (SELECT on mysql.tls_policy_rules).
 *
 * The SQL worker is one thread with its own THD and local connection.  It
 * runs statements for code that must not run SQL on the session it was
 * called from (a statement-end hook runs on the DBA's THD): dropping the
 * objects at UNINSTALL here, mirroring native REQUIRE in native_mirror.c.
 */
#include <string.h>
#include <mysql/plugin.h>
#include <mysql/plugin_audit.h>
#include <mysql/service_sql.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "tls_policy/policy_snapshot.h"
#include "module.h"
#include "policy_store.h"
#include "report.h"
#include "server_abi.h"
#include "sql_session.h"
#include "tp_sql.h"
#include "tls_policy/json_text.h"
#include "views.h"
#include "conn_views.h"

#define TP_VIEWS_ERROR (tp_views_error_quark())
static G_DEFINE_QUARK(tp-views-error-quark, tp_views_error)

static void rules_json(GString *out, const tp_policy_snapshot *snap)
{
  g_string_append_c(out, '[');
  if (snap)
  {
    const GPtrArray *rows = tp_policy_snapshot_rows(snap);
    guint64 generation = tp_policy_snapshot_generation(snap);
    for (guint i = 0; i < rows->len; i++)
    {
      const tp_policy_row *row = g_ptr_array_index(rows, i);
      if (i)
        g_string_append_c(out, ',');
      g_string_append_printf(out, "{\"id\":%" G_GUINT64_FORMAT ",\"host\":",
                             (guint64) row->id);
      tp_json_append_cstring(out, row->host);
      g_string_append(out, ",\"user\":");
      tp_json_append_cstring(out, row->user);
      g_string_append(out, ",\"requirement\":");
      tp_json_append_cstring(out, row->requirement_text);
      g_string_append_printf(out, ",\"mode\":\"%s\",\"valid\":%d,\"error\":",
                             row->mode == TP_ROW_REPORT ? "REPORT" : "ENFORCE",
                             row->requirement != NULL);
      if (row->requirement)
      {
        g_autofree char *canonical = tp_requirement_to_string(row->requirement);
        g_string_append(out, "null,\"error_position\":null,\"canonical\":");
        tp_json_append_cstring(out, canonical);
      }
      else
      {
        tp_json_append_cstring(out, row->parse_error ? row->parse_error
                                                         : "does not parse");
        g_string_append_printf(out, ",\"error_position\":%" G_GUINT64_FORMAT
                               ",\"canonical\":null", (guint64) row->parse_error_pos);
      }
      g_string_append_printf(out, ",\"generation\":%" G_GUINT64_FORMAT "}",
                             generation);
    }
  }
  g_string_append_c(out, ']');
}

/* ---- the UDF ------------------------------------------------------------- */

/* Per-process token that the view passes to the UDF (see the file comment).
 * Written once under view_token_once (the first install, or the first UDF
 * call, whichever comes first); every reader goes through g_once, which
 * orders the write before the read. */
static char view_token[33];
static GOnce view_token_once = G_ONCE_INIT;

static gpointer make_view_token(gpointer unused)
{
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1)
  {
    /* Without a token the function answers nobody. */
    tp_log_error("views: no random bytes for the view token; "
                 "mysql.tls_policy_rules will stay empty");
    return NULL;
  }
  for (guint i = 0; i < sizeof raw; i++)
    g_snprintf(view_token + 2 * i, 3, "%02x", raw[i]);
  return NULL;
}

const char *tp_views_token(void)
{
  g_once(&view_token_once, make_view_token, NULL);
  return view_token;
}

gboolean tp_views_token_matches(const char *s, unsigned long len)
{
  g_once(&view_token_once, make_view_token, NULL);
  size_t n = strlen(view_token);
  return n > 0 && s && len == n && CRYPTO_memcmp(s, view_token, n) == 0;
}

my_bool tls_policy_rules_init(UDF_INIT *initid, UDF_ARGS *args, char *message);
char *tls_policy_rules(UDF_INIT *initid, UDF_ARGS *args, char *result,
                       unsigned long *length, char *is_null, char *error);
void tls_policy_rules_deinit(UDF_INIT *initid);

my_bool tls_policy_rules_init(UDF_INIT *initid, UDF_ARGS *args, char *message)
{
  if (args->arg_count != 1 || args->arg_type[0] != STRING_RESULT)
  {
    g_strlcpy(message, "tls_policy_rules() is read through the view "
              "mysql.tls_policy_rules", MYSQL_ERRMSG_SIZE);
    return 1;
  }
  initid->maybe_null = 1;
  initid->const_item = 0;
  initid->max_length = 0xffffffffUL;
  initid->ptr = (char *) g_string_new(NULL);
  return 0;
}

/* "[]" when no snapshot is published (also after UNINSTALL: the library
 * stays mapped and the function may still be registered); NULL when the
 * token is wrong. */
char *tls_policy_rules(UDF_INIT *initid, UDF_ARGS *args, char *result,
                       unsigned long *length, char *is_null, char *error)
{
  GString *out = (GString *) initid->ptr;
  g_string_truncate(out, 0);
  g_autoptr(tp_policy_snapshot) snap = tp_policy_store_acquire();
  if (snap && !tp_views_token_matches(args->args[0], args->lengths[0]))
  {
    *is_null = 1;
    return NULL;
  }
  rules_json(out, snap);
  *length = out->len;
  return out->str;
}

void tls_policy_rules_deinit(UDF_INIT *initid)
{
  if (initid->ptr)
    g_string_free((GString *) initid->ptr, TRUE);
  initid->ptr = NULL;
}

/* ---- the SQL worker ------------------------------------------------------ */

typedef struct sql_job {
  char **statements;
  tp_sql_job_flags flags;
  gboolean done;
  gboolean abandoned;   /* the caller stopped waiting: the worker logs */
  GError *error;
} sql_job;

static void sql_job_free(gpointer p)
{
  sql_job *job = p;
  g_strfreev(job->statements);
  g_clear_error(&job->error);
}

/* lock protects every field; held only for queue handling, never across
 * SQL. */
static struct {
  GMutex lock;
  GCond cond;
  GThread *thread;
  GThread *deferred;   /* stopped on itself: joined at the next start */
  GQueue queue;     /* sql_job * (an atomic rc box: caller and worker) */
  gboolean stop;
} worker;

static gboolean run_one(MYSQL *m, const char *q, GError **error)
{
  if (mysql_real_query(m, q, strlen(q)))
  {
    g_set_error(error, TP_VIEWS_ERROR, (int) mysql_errno(m), "%s (errno %u)",
                mysql_error(m), mysql_errno(m));
    return FALSE;
  }
  MYSQL_RES *r = mysql_store_result(m);
  if (r)
    mysql_free_result(r);
  return TRUE;
}

/* The session's sql_log_bin is set per job (run_job). */
static MYSQL *worker_connect(GError **error)
{
  return tp_sql_session_open("SQL worker", 0, TP_SQL_JOB_LOCK_WAIT, error);
}

static void run_job(MYSQL **m, sql_job *job)
{
  GError *error = NULL;
  tp_sql_session_release_at_shutdown(m);
  if (!*m)
    *m = worker_connect(&error);
  if (*m)
  {
    const char *binlog = job->flags & TP_SQL_JOB_BINLOG
                             ? "SET SESSION sql_log_bin=1"
                             : "SET SESSION sql_log_bin=0";
    if (run_one(*m, binlog, &error))
      for (char **q = job->statements; *q && !error; q++)
        run_one(*m, *q, &error);
    if (error && mysql_errno(*m) >= 2000)
    {
      tp_sql_session_close(*m);   /* client-side error: reconnect for the next job */
      *m = NULL;
    }
  }
  if (!error && (job->flags & TP_SQL_JOB_REFRESH_POLICY) &&
      !tp_policy_store_refresh_wait(5 * G_USEC_PER_SEC))
    g_set_error_literal(&error, TP_VIEWS_ERROR, 1,
                        "the policy store did not re-read mysql.tls_policy "
                        "within 5 s");
  g_mutex_lock(&worker.lock);
  job->error = error;
  job->done = TRUE;
  gboolean log = error && job->abandoned;
  g_cond_broadcast(&worker.cond);
  g_mutex_unlock(&worker.lock);
  if (log)
    tp_log_error("SQL worker: a job given up on by its caller failed: %s",
                 error->message);
}

static gpointer worker_main(gpointer unused)
{
  if (!tp_server_thread_init())
  {
    tp_log_error("SQL worker: thread initialisation failed");
    g_mutex_lock(&worker.lock);
    worker.stop = TRUE;   /* tp_sql_job_run refuses from now on */
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
      if (m && tp_server_shutting_down())
      {
        g_mutex_unlock(&worker.lock);
        tp_sql_session_release_at_shutdown(&m);   /* sql_session.h */
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
  while (worker.thread == g_thread_self() && (job = g_queue_pop_head(&worker.queue)))
  {
    g_set_error_literal(&job->error, TP_VIEWS_ERROR, 1, "the plugin is stopping");
    job->done = TRUE;
    g_atomic_rc_box_release_full(job, sql_job_free);
  }
  g_cond_broadcast(&worker.cond);
  g_mutex_unlock(&worker.lock);
  tp_sql_session_close(m);
  tp_server_thread_end();
  return NULL;
}

gboolean tp_sql_job_run(const char *const *statements, tp_sql_job_flags flags,
                        gint64 timeout_usec, GError **error)
{
  sql_job *job = g_atomic_rc_box_new0(sql_job);
  job->statements = g_strdupv((char **) statements);
  job->flags = flags;
  g_mutex_lock(&worker.lock);
  if (!worker.thread || worker.stop || g_thread_self() == worker.thread)
  {
    g_mutex_unlock(&worker.lock);
    g_atomic_rc_box_release_full(job, sql_job_free);
    g_set_error_literal(error, TP_VIEWS_ERROR, 1, "the SQL worker is not running");
    return FALSE;
  }
  g_queue_push_tail(&worker.queue, g_atomic_rc_box_acquire(job));
  g_cond_broadcast(&worker.cond);
  gint64 deadline = g_get_monotonic_time() + timeout_usec;
  while (!job->done)
    if (!g_cond_wait_until(&worker.cond, &worker.lock, deadline))
      break;
  gboolean done = job->done;
  gboolean ok = done && !job->error;
  if (done && job->error)
    g_propagate_error(error, g_error_copy(job->error));
  job->abandoned = !done;
  g_mutex_unlock(&worker.lock);
  if (!done)
    g_set_error(error, TP_VIEWS_ERROR, 1, "no outcome within %" G_GINT64_FORMAT
                " ms (the job goes on)", timeout_usec / 1000);
  g_atomic_rc_box_release_full(job, sql_job_free);
  return ok;
}

/* ---- statement text --------------------------------------------------------- */

const char *tp_sql_skip_blanks(const char *q, const char *end)
{
  for (;;)
  {
    while (q < end && g_ascii_isspace(*q))
      q++;
    if (end - q >= 2 && q[0] == '/' && q[1] == '*' && !(end - q >= 3 && q[2] == '!'))
    {
      const char *close = g_strstr_len(q + 2, end - q - 2, "*/");
      q = close ? close + 2 : end;
    }
    else if ((end - q >= 3 && q[0] == '-' && q[1] == '-' &&
              g_ascii_isspace(q[2])) ||
             (q < end && *q == '#'))
    {
      while (q < end && *q != '\n')
        q++;
    }
    else
      return q;
  }
}

char *tp_sql_next_word(const char **qp, const char *end)
{
  const char *q = tp_sql_skip_blanks(*qp, end);
  if (q >= end)
    return NULL;
  if (*q == '`' || *q == '\'' || *q == '"')
  {
    char quote = *q++;
    GString *s = g_string_new(NULL);
    while (q < end)
    {
      if (*q == quote)
      {
        if (q + 1 < end && q[1] == quote)
        {
          g_string_append_c(s, quote);
          q += 2;
          continue;
        }
        break;
      }
      if (*q == '\\' && quote != '`' && q + 1 < end)
        q++;
      g_string_append_c(s, *q++);
    }
    if (q >= end)
    {
      g_string_free(s, TRUE);
      return NULL;   /* unterminated */
    }
    *qp = q + 1;
    return g_string_free(s, FALSE);
  }
  const char *start = q;
  while (q < end && (g_ascii_isalnum(*q) || *q == '_' || *q == '$'))
    q++;
  if (q == start)
    return NULL;
  *qp = q;
  return g_strndup(start, q - start);
}

/* ---- installing and removing the objects ------------------------------------- */

static void install_one(MYSQL *m, const char *what, const char *q)
{
  g_autoptr(GError) error = NULL;
  if (!run_one(m, q, &error))
    tp_log_error("cannot create %s: %s", what, error->message);
}

/*
 * Called once on the policy store's refresher connection (sql_log_bin=0,
 * all privileges) after mysql.tls_policy was created.  Each object is tried
 * on its own; a failure is logged and does not stop the others.  A session
 * holding a metadata lock on one of the views delays this by at most
 * TP_SQL_JOB_LOCK_WAIT seconds, never the refresher for good.
 */
void tp_store_install_sql_objects(struct st_mysql *m)
{
  g_once(&view_token_once, make_view_token, NULL);
  /* A string UDF's result is a binary string, and JSON_TABLE refuses \u
   * escapes in one ("Broken JSON string"): the view converts it to utf8mb4
   * first (the JSON is valid UTF-8, tp_json_append_string() sees to it). */
  install_one(m, "function tls_policy_rules",
              "CREATE FUNCTION IF NOT EXISTS tls_policy_rules RETURNS STRING "
              "SONAME 'tls_policy.so'");
  g_autofree char *view = g_strdup_printf(
      "SET STATEMENT lock_wait_timeout=%d FOR "
      "CREATE OR REPLACE DEFINER='mariadb.sys'@'localhost' SQL SECURITY INVOKER "
      "VIEW mysql.tls_policy_rules AS "
      "SELECT r.Id, r.Host, r.User, r.Requirement, r.Mode, r.Valid, r.Error, "
      "r.Error_position, r.Canonical, r.Generation "
      "FROM JSON_TABLE(CONVERT(tls_policy_rules('%s') USING utf8mb4), '$[*]' COLUMNS ("
      " Id BIGINT UNSIGNED PATH '$.id',"
      " Host VARCHAR(255) CHARACTER SET utf8mb4 PATH '$.host',"
      " User VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$.user',"
      " Requirement TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$.requirement',"
      " Mode VARCHAR(7) CHARACTER SET ascii PATH '$.mode',"
      " Valid TINYINT PATH '$.valid',"
      " Error TEXT CHARACTER SET utf8mb4 PATH '$.error',"
      " Error_position INT UNSIGNED PATH '$.error_position',"
      " Canonical TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$.canonical',"
      " Generation BIGINT UNSIGNED PATH '$.generation')) AS r",
      TP_SQL_JOB_LOCK_WAIT, view_token);
  install_one(m, "view mysql.tls_policy_rules", view);
  g_autofree char *native = g_strdup_printf(
      "SET STATEMENT lock_wait_timeout=%d FOR %s", TP_SQL_JOB_LOCK_WAIT,
      tp_sql_tls_policy_native_require);
  install_one(m, "view mysql.tls_policy_native_require", native);
  g_autofree char *proc = g_strdup_printf(
      "SET STATEMENT lock_wait_timeout=%d FOR %s", TP_SQL_JOB_LOCK_WAIT,
      tp_sql_tls_policy_import_native);
  install_one(m, "procedure mysql.tls_policy_import_native", proc);
  tp_conn_views_install(m);
}

static const char *const drop_statements[] = {
  "DROP PROCEDURE IF EXISTS mysql.tls_policy_import_native",
  "DROP VIEW IF EXISTS mysql.tls_policy_rules, mysql.tls_policy_native_require",
  "DROP FUNCTION IF EXISTS tls_policy_rules",
  NULL
};

gboolean tp_sql_uninstalls_tls_policy(const char *q, const char *end)
{
  g_autofree char *w1 = tp_sql_next_word(&q, end);
  g_autofree char *w2 = tp_sql_next_word(&q, end);
  g_autofree char *w3 = tp_sql_next_word(&q, end);
  if (!w1 || !w2 || !w3 || g_ascii_strcasecmp(w1, "UNINSTALL") != 0)
    return FALSE;
  if (g_ascii_strcasecmp(w2, "SONAME") == 0)
    return strcmp(w3, "tls_policy") == 0 || strcmp(w3, "tls_policy.so") == 0;
  if (g_ascii_strcasecmp(w2, "PLUGIN") != 0)
    return FALSE;
  if (g_ascii_strcasecmp(w3, "IF") == 0)
  {
    g_autofree char *w4 = tp_sql_next_word(&q, end);
    g_free(w3);
    w3 = tp_sql_next_word(&q, end);
    if (!w4 || g_ascii_strcasecmp(w4, "EXISTS") != 0 || !w3)
      return FALSE;
  }
  return g_ascii_strcasecmp(w3, "tls_policy") == 0;
}

/* At the end of a successful UNINSTALL of this plugin (deinit comes later,
 * once the session lets go of the plugin): drop the objects, waiting for it
 * so that the session's next statement no longer sees them. */
static void views_on_statement(MYSQL_THD thd, const struct mysql_event_general *ev)
{
  if (ev->general_error_code || !ev->general_query)
    return;
  const char *end = ev->general_query + ev->general_query_length;
  if (!tp_sql_uninstalls_tls_policy(ev->general_query, end))
    return;
  g_autoptr(GError) error = NULL;
  if (!tp_sql_job_run(drop_statements, 0, 10 * G_USEC_PER_SEC, &error))
    tp_log_error("UNINSTALL: could not drop the plugin's functions, views and "
                 "procedure: %s", error->message);
}

/* ---- module ------------------------------------------------------------------ */

static gboolean views_start(GError **error)
{
  tp_thread_join_deferred(&worker.deferred);
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
static void views_stop(void)
{
  g_mutex_lock(&worker.lock);
  worker.stop = TRUE;
  g_cond_broadcast(&worker.cond);
  GThread *t = worker.thread;
  gboolean self = t == g_thread_self();
  g_mutex_unlock(&worker.lock);
  tp_thread_stop_join(t, &worker.deferred);
  if (!self)
  {
    g_mutex_lock(&worker.lock);
    worker.thread = NULL;
    g_mutex_unlock(&worker.lock);
  }
}

const tp_module tp_module_views = {
  .name = "views",
  .start = views_start,
  .stop = views_stop,
  .on_statement = views_on_statement,
};
