/*
 * sql_session.c — opening the plugin's internal SQL sessions (see
 * sql_session.h).  Every internal session (the policy store's refresher,
 * the SQL worker, the re-check thread) is opened here, so none of them
 * inherits a server-wide session default it does not expect: with
 * autocommit=0 in my.cnf a reader would keep one transaction (and one read
 * view) open forever and a writer would never commit; with
 * READ-UNCOMMITTED a reader would enforce rows that are later rolled back;
 * a global sql_select_limit would truncate the policy.
 */
#include <string.h>
#include <mysql/plugin.h>
#include <mysql/service_sql.h>
#include "report.h"
#include "server_abi.h"
#include "sql_session.h"

#define TP_SQL_SESSION_ERROR (tlsp_sql_session_error_quark())
/* clang-format off */
static G_DEFINE_QUARK(tp-sql-session-error-quark, tlsp_sql_session_error)
    /* clang-format on */

    gboolean tlsp_sql_session_run(MYSQL *m, const char *q, GError **error)
{
  if (mysql_real_query(m, q, strlen(q)))
  {
    g_set_error(error, TP_SQL_SESSION_ERROR, (int) mysql_errno(m),
                "%s (errno %u)", mysql_error(m), mysql_errno(m));
    return FALSE;
  }
  MYSQL_RES *r = mysql_store_result(m);
  if (r)
    mysql_free_result(r);
  return TRUE;
}

MYSQL *tlsp_sql_session_open(const char *who, tlsp_sql_session_flags flags,
                             unsigned lock_wait, GError **error)
{
  if (tlsp_server_shutting_down())
  {
    g_set_error(error, TP_SQL_SESSION_ERROR, 1053 /* ER_SERVER_SHUTDOWN */,
                "%s: the server is shutting down", who);
    return NULL;
  }
  MYSQL *m = mysql_init(NULL);
  if (!m)
  {
    g_set_error(error, TP_SQL_SESSION_ERROR, 1, "%s: out of memory", who);
    return NULL;
  }
  if (!mysql_real_connect_local(m))
  {
    g_set_error(error, TP_SQL_SESSION_ERROR, (int) mysql_errno(m),
                "%s: local SQL connection failed: %s", who, mysql_error(m));
    mysql_close(m);
    return NULL;
  }
  /* Rules are compared byte for byte: read them as stored (utf8mb4), not
   * converted to the server's default character set. */
  if (mysql_set_character_set(m, "utf8mb4"))
  {
    g_set_error(error, TP_SQL_SESSION_ERROR, (int) mysql_errno(m),
                "%s: cannot use utf8mb4 on the local connection: %s", who,
                mysql_error(m));
    mysql_close(m);
    return NULL;
  }
  /* What every statement of the plugin relies on.  The isolation level
   * in the standard syntax (its variable's name differs between server
   * versions). */
  g_autofree char *q = g_strdup_printf(
      "SET SESSION autocommit=1, "
      "SESSION sql_mode='STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,"
      "NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION', "
      "SESSION sql_select_limit=DEFAULT, SESSION max_statement_time=0, "
      "SESSION lock_wait_timeout=%u, SESSION sql_log_bin=%d",
      MAX(lock_wait, 1), (flags & TP_SQL_SESSION_BINLOG) ? 1 : 0);
  const char *const setup[] = {
      q, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED, READ WRITE",
      NULL};
  for (guint i = 0; setup[i]; i++)
  {
    g_autoptr(GError) set_error = NULL;
    if (!tlsp_sql_session_run(m, setup[i], &set_error))
    {
      g_set_error(error, TP_SQL_SESSION_ERROR, set_error->code,
                  "%s: cannot set up the local session: %s", who,
                  set_error->message);
      mysql_close(m);
      return NULL;
    }
  }
  /* Only where InnoDB is loaded (the variable does not exist otherwise). */
  g_autoptr(GError) innodb_error = NULL;
  g_autofree char *innodb_set = g_strdup_printf(
      "SET SESSION innodb_lock_wait_timeout=%u", MAX(lock_wait, 1));
  if (!tlsp_sql_session_run(m, innodb_set, &innodb_error) &&
      innodb_error->code != 1193 /* ER_UNKNOWN_SYSTEM_VARIABLE: no InnoDB */)
    tlsp_log_warning("%s: %s", who, innodb_error->message);
  return m;
}

void tlsp_sql_session_close(MYSQL *m)
{
  if (m)
    mysql_close(m);
}

gboolean tlsp_sql_session_release_at_shutdown(MYSQL **m)
{
  if (!tlsp_server_shutting_down())
    return FALSE;
  if (*m)
    mysql_close(*m);
  *m = NULL;
  return TRUE;
}

void tlsp_thread_stop_join(GThread *t, GThread **deferred)
{
  if (!t)
    return;
  if (t == g_thread_self())
  {
    /* Deinit runs on this very thread (see sql_session.h). */
    if (*deferred && *deferred != t)
      g_thread_unref(*deferred); /* cannot happen twice in one run */
    *deferred = t;
    return;
  }
  g_thread_join(t);
}

void tlsp_thread_join_deferred(GThread **deferred)
{
  GThread *t = *deferred;
  *deferred = NULL;
  if (t && t != g_thread_self())
    g_thread_join(t);
  else if (t)
    g_thread_unref(t);
}
