/*
 * recheck.c — sessions after a change (see recheck.h; for users
 * docs/identity-and-sessions.md).
 *
 * SET GLOBAL tls_policy_recheck_sessions_now = ON evaluates every live
 * session the plugin admitted, as a new login with the same facts would be
 * evaluated now:
 *   1. decision.c with the current policy snapshot and the current time
 *      (MIN_VALIDITY_DAYS), the original TLS facts, the admitted user and
 *      client host; a tls_cert session again needs a satisfied identity row;
 *      tls_policy_mode is not applied here (a REPORT-mode rollout wants to
 *      see what would fail), per-row REPORT rows never fail a session;
 *   2. for a session with a client certificate: the certificate must not
 *      have expired since (a new TLS handshake would fail), and, when the
 *      server's current TLS context checks revocation, must not be revoked
 *      by one of its CRLs; both give reason cert_not_verified.
 * The sessions that fail are published in mysql.tls_policy_recheck (the
 * last run only) and logged, one line each.  With tls_policy_recheck_action
 * = KILL they are disconnected (KILL CONNECTION, run by the SQL worker)
 * before the SET statement returns — except while
 * tls_policy_mode is REPORT, for the session running the SET itself, and
 * for failures caused by the plugin's own state (policy_invalid,
 * tls_unknown, ...), which are listed but never killed.
 *
 * The work runs in the variable's check callback, on the DBA's thread,
 * where the server holds no global lock; the update callback does nothing
 * (hazard H4).  The re-check is refused while no policy is loaded.
 *
 * Locking: results_lock protects `results`; it is not held while a registry
 * lock or LOCK_ssl_refresh is taken, nor across the SQL worker's jobs.
 */
#include <string.h>
#include <time.h>
#include <mysql/plugin.h>
#include <mysql/plugin_audit.h>
#include <mysql/service_sql.h>
#include <mysqld_error.h>
#include <openssl/x509_vfy.h>
#include "tls_policy/decision.h"
#include "tls_policy/statement_text.h"
#include "tls_policy/openssl_autoptr.h"
#include "tls_policy/text_clean.h"
#include "settings.h"
#include "conn_views.h"
#include "module.h"
#include "policy_store.h"
#include "recheck.h"
#include "report.h"
#include "server_abi.h"
#include "login_check.h"
#include "sql_worker.h"
#include "tls_facts.h"
#include "views.h"

#define TP_RECHECK_KILL_WAIT (10 * G_USEC_PER_SEC)

enum { RECHECK_REPORT = 0, RECHECK_KILL = 1 };

static char opt_recheck_now;
static unsigned long opt_recheck_action = RECHECK_REPORT;

static struct {
  unsigned long long runs, last_run, last_checked, last_failing, killed;
} rc_stats;

typedef struct recheck_row {
  uint64_t conn_id;
  char *user, *host, *admitted_by;
  tlsp_transport transport;
  tlsp_tls_state tls_state;
  tlsp_reason reason;
  char rule[48];
  char *detail; /* what was seen, raw (certificate text), bounded */
  char *action;
  gboolean kill; /* to be killed */
} recheck_row;

static void recheck_row_free(gpointer p)
{
  recheck_row *r = p;
  g_free(r->user);
  g_free(r->host);
  g_free(r->admitted_by);
  g_free(r->detail);
  g_free(r->action);
  g_free(r);
}

static GMutex results_lock;
static struct {
  GPtrArray *rows; /* recheck_row*, of the last run */
  gint64 checked_at;
  guint64 generation;
} results;

static gboolean state_failure(tlsp_reason r)
{
  return r == TP_REASON_POLICY_NOT_LOADED || r == TP_REASON_TLS_UNKNOWN ||
         r == TP_REASON_POLICY_INVALID || r == TP_REASON_INTERNAL_ERROR;
}

/* The server's current acceptor context, with our own reference, if it
 * checks client certificates against CRLs; else NULL. */
static SSL_CTX *crl_context(void)
{
  tlsp_server_ssl_rdlock();
  SSL_CTX *ctx = tlsp_server_acceptor_ctx_locked();
  if (ctx)
    SSL_CTX_up_ref(ctx);
  tlsp_server_ssl_unlock();
  if (!ctx)
    return NULL;
  X509_STORE *store = SSL_CTX_get_cert_store(ctx);
  unsigned long flags =
      store ? X509_VERIFY_PARAM_get_flags(X509_STORE_get0_param(store)) : 0;
  if (!(flags & X509_V_FLAG_CRL_CHECK))
  {
    SSL_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

/* Is cert revoked by a CRL of its issuer in the context's store? */
static gboolean cert_revoked(SSL_CTX *ctx, X509 *cert)
{
  X509_STORE *store = SSL_CTX_get_cert_store(ctx);
  g_autoptr(X509_STORE_CTX) sctx = X509_STORE_CTX_new();
  if (!sctx || !X509_STORE_CTX_init(sctx, store, cert, NULL))
    return FALSE;
  g_autoptr(TpX509CrlStack) crls =
      X509_STORE_CTX_get1_crls(sctx, X509_get_issuer_name(cert));
  for (int i = 0; crls && i < sk_X509_CRL_num(crls); i++)
  {
    X509_REVOKED *rev = NULL;
    if (X509_CRL_get0_by_cert(sk_X509_CRL_value(crls, i), &rev, cert) == 1)
      return TRUE;
  }
  return FALSE;
}

/* Decides one session now.  Returns TP_REASON_OK if it would still be
 * admitted; else the reason, with rule and detail filled in. */
static tlsp_reason evaluate(const tlsp_conn_copy *c,
                            const tlsp_policy_snapshot *snap, SSL_CTX *crl_ctx,
                            time_t now, char rule[48], GString *detail)
{
  tlsp_login login = {
      .user = c->user,
      .host = c->host,
      .ip = c->ip,
      .transport = c->transport,
      .tls_state = c->tls_state,
      .tls = c->tls_state == TP_TLS_YES ? c->facts : NULL,
      .now = now,
  };
  if (login.tls_state == TP_TLS_YES && !login.tls)
    login.tls_state = TP_TLS_UNKNOWN;
  tlsp_verdict v;
  tlsp_login_decide(&login, snap, c->identity_required, FALSE, &v);
  tlsp_reason reason = v.admit ? TP_REASON_OK : v.reason;
  if (!v.admit)
  {
    g_strlcpy(rule, v.rule, 48);
    g_string_append_len(detail, v.detail->str,
                        MIN(v.detail->len, TP_LOG_FIELD_MAX));
  }
  tlsp_verdict_clear(&v);
  if (reason != TP_REASON_OK || !c->facts || !c->facts->peer_cert)
    return reason;

  X509 *cert = c->facts->peer_cert;
  if (X509_cmp_time(X509_get0_notAfter(cert), &now) < 0)
  {
    g_autofree char *na =
        tlsp_utc_datetime(tlsp_asn1_time_unix(X509_get0_notAfter(cert)));
    g_strlcpy(rule, "certificate", 48);
    g_string_append_printf(detail, "client certificate expired at %s UTC",
                           na ? na : "?");
    return TP_REASON_CERT_NOT_VERIFIED;
  }
  if (crl_ctx && cert_revoked(crl_ctx, cert))
  {
    g_strlcpy(rule, "crl", 48);
    g_string_append(detail, "client certificate revoked by the current CRL");
    return TP_REASON_CERT_NOT_VERIFIED;
  }
  return TP_REASON_OK;
}

/* One run.  Returns FALSE (error set for the client) if it cannot run.
 * Runs are serialised by run_lock. */
static GMutex run_lock;

static gboolean recheck_run_locked(MYSQL_THD thd);

static gboolean recheck_run(MYSQL_THD thd)
{
  g_mutex_lock(&run_lock);
  gboolean ok = recheck_run_locked(thd);
  g_mutex_unlock(&run_lock);
  return ok;
}

static gboolean recheck_run_locked(MYSQL_THD thd)
{
  g_autoptr(tlsp_policy_snapshot) snap = tlsp_policy_store_acquire();
  if (!snap)
  {
    my_printf_error(ER_UNKNOWN_ERROR,
                    "tls_policy: re-check refused: the "
                    "policy is not loaded (see Tls_policy_policy_last_error)",
                    0);
    return FALSE;
  }
  gboolean kill = opt_recheck_action == RECHECK_KILL;
  gboolean report_mode = tlsp_opt_mode == TP_MODE_REPORT;
  uint64_t self = thd ? thd_get_thread_id(thd) : 0;
  time_t now = time(NULL);
  SSL_CTX *crl_ctx = crl_context();
  g_autoptr(GArray) conns = tlsp_conn_views_collect();
  GPtrArray *rows = g_ptr_array_new_with_free_func(recheck_row_free);
  for (guint i = 0; i < conns->len; i++)
  {
    const tlsp_conn_copy *c = &g_array_index(conns, tlsp_conn_copy, i);
    char rule[48] = "none";
    g_autoptr(GString) detail = g_string_new(NULL);
    tlsp_reason reason = evaluate(c, snap, crl_ctx, now, rule, detail);
    if (reason == TP_REASON_OK)
      continue;
    recheck_row *r = g_new0(recheck_row, 1);
    r->conn_id = c->conn_id;
    r->user = g_strdup(c->user);
    r->host = g_strdup(c->host);
    r->admitted_by = g_strdup(c->rule);
    r->transport = c->transport;
    r->tls_state = c->tls_state;
    r->reason = reason;
    g_strlcpy(r->rule, rule, sizeof r->rule);
    r->detail = g_strdup(detail->str);
    if (!kill)
      r->action = g_strdup("reported");
    else if (report_mode)
      r->action = g_strdup("not killed: tls_policy_mode is REPORT");
    else if (c->conn_id == self)
      r->action = g_strdup("not killed: the session that ran the re-check");
    else if (state_failure(reason))
      r->action = g_strdup("not killed: caused by the plugin's state");
    else
      r->kill = TRUE;
    g_ptr_array_add(rows, r);
  }
  if (crl_ctx)
    SSL_CTX_free(crl_ctx);

  /* KILL CONNECTION, each on its own (one failure does not stop the rest). */
  g_autoptr(GPtrArray) stmts = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < rows->len; i++)
  {
    recheck_row *r = g_ptr_array_index(rows, i);
    if (r->kill)
      g_ptr_array_add(stmts,
                      g_strdup_printf("KILL CONNECTION %" G_GUINT64_FORMAT,
                                      (guint64) r->conn_id));
  }
  if (stmts->len)
  {
    guint n = stmts->len;
    g_ptr_array_add(stmts, NULL);
    g_autofree unsigned *errnos = g_new0(unsigned, n);
    g_autofree char **errors = g_new0(char *, n);
    g_autoptr(GError) error = NULL;
    gboolean ran =
        tlsp_sql_job_run_each((const char *const *) stmts->pdata,
                              TP_RECHECK_KILL_WAIT, errnos, errors, &error);
    guint k = 0;
    for (guint i = 0; i < rows->len; i++)
    {
      recheck_row *r = g_ptr_array_index(rows, i);
      if (!r->kill)
        continue;
      if (!ran)
        r->action = g_strdup_printf("kill failed: %s", error->message);
      else if (!errnos[k])
      {
        r->action = g_strdup("killed");
        tlsp_count(&rc_stats.killed);
      }
      else if (errnos[k] == ER_NO_SUCH_THREAD)
        r->action = g_strdup("gone before the kill");
      else
        r->action = g_strdup_printf("kill failed: %s", errors[k]);
      if (ran)
        g_free(errors[k]);
      k++;
    }
  }

  for (guint i = 0; i < rows->len; i++)
  {
    recheck_row *r = g_ptr_array_index(rows, i);
    g_autofree char *user = tlsp_text_clean(r->user, 64);
    g_autofree char *host = tlsp_text_clean(r->host, 128);
    g_autofree char *seen_text = tlsp_text_clean(r->detail, TP_LOG_FIELD_MAX);
    tlsp_log_warning("re-check: '%s'@'%s' (connection %" G_GUINT64_FORMAT ") "
                     "would no longer be admitted: reason=%s rule=%s seen='%s' "
                     "action=%s",
                     user, host, (guint64) r->conn_id,
                     tlsp_reason_name(r->reason), r->rule, seen_text,
                     r->action);
  }
  tlsp_log_note(
      "re-check of %u sessions against policy generation %" G_GUINT64_FORMAT
      ": %u would no longer be admitted (action %s)",
      conns->len, (guint64) tlsp_policy_snapshot_generation(snap), rows->len,
      kill ? "KILL" : "REPORT");

  g_mutex_lock(&results_lock);
  if (results.rows)
    g_ptr_array_unref(results.rows);
  results.rows = rows;
  results.checked_at = (gint64) now;
  results.generation = tlsp_policy_snapshot_generation(snap);
  g_mutex_unlock(&results_lock);
  rc_stats.runs++;
  rc_stats.last_run = (unsigned long long) now;
  rc_stats.last_checked = conns->len;
  rc_stats.last_failing = rows->len;
  return TRUE;
}

/* ---- the view ------------------------------------------------------------------- */

static void recheck_json(GString *out)
{
  g_autofree char *at = NULL;
  g_mutex_lock(&results_lock);
  at = results.rows ? tlsp_utc_datetime(results.checked_at) : NULL;
  g_string_append_c(out, '[');
  for (guint i = 0; results.rows && i < results.rows->len; i++)
  {
    const recheck_row *r = g_ptr_array_index(results.rows, i);
    if (i)
      g_string_append_c(out, ',');
    g_string_append_printf(
        out, "{\"id\":%" G_GUINT64_FORMAT ",\"user\":", (guint64) r->conn_id);
    tlsp_json_append_cstring(out, r->user);
    g_string_append(out, ",\"host\":");
    tlsp_json_append_cstring(out, r->host);
    g_string_append_printf(out,
                           ",\"transport\":\"%s\",\"tls\":\"%s\","
                           "\"reason\":\"%s\",\"rule\":",
                           tlsp_transport_text(r->transport),
                           tlsp_tls_state_text(r->tls_state),
                           tlsp_reason_name(r->reason));
    tlsp_json_append_cstring(out, r->rule);
    g_string_append(out, ",\"detail\":");
    tlsp_json_append_cstring(out, r->detail);
    g_string_append(out, ",\"action\":");
    tlsp_json_append_cstring(out, r->action);
    g_string_append(out, ",\"admitted_by\":");
    tlsp_json_append_cstring(out, r->admitted_by);
    g_string_append(out, ",\"checked_at\":");
    tlsp_json_append_cstring(out, at);
    g_string_append_printf(out, ",\"generation\":%" G_GUINT64_FORMAT "}",
                           results.generation);
  }
  g_string_append_c(out, ']');
  g_mutex_unlock(&results_lock);
}

my_bool tls_policy_recheck_init(UDF_INIT *initid, UDF_ARGS *args,
                                char *message);
char *tls_policy_recheck(UDF_INIT *initid, UDF_ARGS *args, char *result,
                         unsigned long *length, char *is_null, char *error);
void tls_policy_recheck_deinit(UDF_INIT *initid);

my_bool tls_policy_recheck_init(UDF_INIT *initid, UDF_ARGS *args, char *message)
{
  return tlsp_views_udf_init(initid, args, message, "mysql.tls_policy_recheck");
}

char *tls_policy_recheck(UDF_INIT *initid, UDF_ARGS *args, char *result,
                         unsigned long *length, char *is_null, char *error)
{
  return tlsp_views_udf_run(initid, args, length, is_null, recheck_json);
}

void tls_policy_recheck_deinit(UDF_INIT *initid)
{
  tlsp_views_udf_deinit(initid);
}

void tlsp_recheck_install(struct st_mysql *m)
{
  tlsp_conn_views_install_view(
      m, "mysql.tls_policy_recheck", "tls_policy_recheck",
      "j.Id, j.User, j.Host, j.Transport, j.Tls, j.Reason, j.Rule, j.Detail, "
      "j.Action, j.Admitted_by, j.Checked_at_utc, j.Policy_generation",
      " Id BIGINT UNSIGNED PATH '$.id',"
      " User VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH "
      "'$.user',"
      " Host VARCHAR(255) CHARACTER SET utf8mb4 PATH '$.host',"
      " Transport VARCHAR(7) CHARACTER SET ascii PATH '$.transport',"
      " Tls VARCHAR(7) CHARACTER SET ascii PATH '$.tls',"
      " Reason VARCHAR(32) CHARACTER SET ascii PATH '$.reason',"
      " Rule VARCHAR(48) CHARACTER SET ascii PATH '$.rule',"
      " Detail TEXT CHARACTER SET utf8mb4 PATH '$.detail',"
      " Action VARCHAR(255) CHARACTER SET utf8mb4 PATH '$.action',"
      " Admitted_by VARCHAR(48) CHARACTER SET ascii PATH '$.admitted_by',"
      " Checked_at_utc DATETIME PATH '$.checked_at',"
      " Policy_generation BIGINT UNSIGNED PATH '$.generation'");
}

static const char *const drop_statements[] = {
    "DROP VIEW IF EXISTS mysql.tls_policy_connections, "
    "mysql.tls_policy_account_cert_expiry, mysql.tls_policy_recheck",
    "DROP FUNCTION IF EXISTS tls_policy_connections",
    "DROP FUNCTION IF EXISTS tls_policy_account_cert_expiry",
    "DROP FUNCTION IF EXISTS tls_policy_recheck", NULL};

/* After a successful UNINSTALL of this plugin: drop our functions and views
 * (the library stays mapped, deinit comes later), and wait for it, so that
 * the session's next statement no longer sees them. */
static void recheck_on_statement(MYSQL_THD thd,
                                 const struct mysql_event_general *ev)
{
  if (ev->general_error_code || !ev->general_query)
    return;
  if (tlsp_stmt_classify(ev->general_query, ev->general_query_length) !=
      TP_STMT_UNINSTALL_SELF)
    return;
  guint n = g_strv_length((char **) drop_statements);
  g_autofree unsigned *errnos = g_new0(unsigned, n);
  g_autofree char **errors = g_new0(char *, n);
  g_autoptr(GError) error = NULL;
  if (!tlsp_sql_job_run_each(drop_statements, 10 * G_USEC_PER_SEC, errnos,
                             errors, &error))
  {
    tlsp_log_error("UNINSTALL: the session views and functions were not "
                   "dropped: %s",
                   error->message);
    return;
  }
  for (guint i = 0; i < n; i++)
  {
    if (errors[i])
      tlsp_log_error("UNINSTALL: %s: %s", drop_statements[i], errors[i]);
    g_free(errors[i]);
  }
}

/* ---- variables and module ------------------------------------------------------- */

/* The whole re-check runs here (never in the update callback: H4). */
static int check_recheck_now(MYSQL_THD thd, struct st_mysql_sys_var *var,
                             void *save, struct st_mysql_value *value)
{
  gboolean on = FALSE;
  if (!tlsp_sysvar_value_to_bool(value, &on))
    return 1;         /* ER_WRONG_VALUE_FOR_VAR */
  *(char *) save = 0; /* always reads OFF */
  if (!on)
    return 0;
  return recheck_run(thd) ? 0 : 1;
}

static void update_recheck_now(MYSQL_THD thd, struct st_mysql_sys_var *var,
                               void *var_ptr, const void *save)
{
  *(char *) var_ptr = 0;
}

static MYSQL_SYSVAR_BOOL(
    recheck_sessions_now, opt_recheck_now, PLUGIN_VAR_NOCMDOPT,
    "SET to ON to evaluate every live session the plugin admitted against the "
    "current policy, CRL and clock; the sessions that would no longer be "
    "admitted are listed in mysql.tls_policy_recheck (and killed when "
    "tls_policy_recheck_action is KILL). Always reads OFF.",
    check_recheck_now, update_recheck_now, 0);

static const char *action_names[] = {"REPORT", "KILL", NULL};
static TYPELIB action_typelib = {G_N_ELEMENTS(action_names) - 1, "",
                                 action_names, NULL};
static MYSQL_SYSVAR_ENUM(
    recheck_action, opt_recheck_action, PLUGIN_VAR_RQCMDARG,
    "What tls_policy_recheck_sessions_now does with a session that would no "
    "longer be admitted: REPORT lists it; KILL also disconnects it (not while "
    "tls_policy_mode is REPORT, and never for failures caused by the plugin's "
    "own state).",
    NULL, NULL, RECHECK_REPORT, &action_typelib);

static struct st_mysql_sys_var *recheck_sysvars[] = {
    MYSQL_SYSVAR(recheck_sessions_now), MYSQL_SYSVAR(recheck_action), NULL};

static struct st_mysql_show_var recheck_status[] = {
    {"recheck_runs", (char *) &rc_stats.runs, SHOW_ULONGLONG},
    {"recheck_last_run", (char *) &rc_stats.last_run, SHOW_ULONGLONG},
    {"recheck_last_sessions_checked", (char *) &rc_stats.last_checked,
     SHOW_ULONGLONG},
    {"recheck_last_sessions_failing", (char *) &rc_stats.last_failing,
     SHOW_ULONGLONG},
    {"recheck_sessions_killed", (char *) &rc_stats.killed, SHOW_ULONGLONG},
    {0, 0, 0}};

static void results_clear(void)
{
  g_mutex_lock(&results_lock);
  if (results.rows)
    g_ptr_array_unref(results.rows);
  results.rows = NULL;
  g_mutex_unlock(&results_lock);
}

static gboolean recheck_start(GError **error)
{
  memset(&rc_stats, 0, sizeof rc_stats);
  results_clear();
  return TRUE;
}

static void recheck_stop(void) { results_clear(); }

const tlsp_module tlsp_module_recheck = {
    .name = "recheck",
    .start = recheck_start,
    .stop = recheck_stop,
    .sysvars = recheck_sysvars,
    .status = recheck_status,
    .on_statement = recheck_on_statement,
};
