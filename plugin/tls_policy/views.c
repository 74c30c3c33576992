/*
 * views.c — the SQL objects the plugin installs beside mysql.tls_policy
 * (docs/sql-objects.md): views over its UDFs, their tokens, the rules view.
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
 * tlsp_views_create() makes every view over a UDF (this file's, conn_views.c's
 * and recheck.c's) the same way, so that what a DBA does with the mysql
 * schema never meets a broken object:
 *   - the UDF is registered for the server process only (its mysql.func row
 *     is deleted at once): no dump carries it, no start without the plugin
 *     tries to load tls_policy.so for it, a package removal leaves no row;
 *   - the view reads the stored function mysql.<udf>_json(), whose body
 *     calls the UDF with the view's token.  A body is resolved only when it
 *     runs, so a dump's CREATE VIEW succeeds on any server that got the
 *     dump's mysql.proc rows, and without the UDF the function returns NULL
 *     and the view reads no rows instead of failing;
 *   - a logical restore into a server that runs the plugin brings the
 *     dumped server's tokens along: at the end of a CREATE VIEW of one of
 *     the views, the plugin writes every function and view again with its
 *     own tokens (views_on_statement).
 * A successful UNINSTALL of the plugin drops them again (the table and its
 * rows stay); a server shutdown leaves the views and stored functions in
 * place (they read no rows until the plugin is back).
 *
 * Who may read the policy: a UDF needs no privilege in MariaDB, so the
 * function would show every account's rule to every account.  It therefore
 * answers only when given its view's token, random per view and server
 * process and written into the body of that view's stored function: reading
 * the policy takes SELECT on mysql.tls_policy_rules and EXECUTE on
 * mysql.tls_policy_rules_json, and seeing one body (SHOW CREATE FUNCTION:
 * its definer or SELECT on mysql.proc) opens no other view's UDF.
 *
 * Statements that must not run on the session that triggered them (the
 * drops at UNINSTALL, the rewrite after a restore) go to the SQL worker
 * (sql_worker.c).
 */
#include <string.h>
#include <mysql/plugin.h>
#include <mysql/plugin_audit.h>
#include <mysql/service_sql.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "tls_policy/policy_snapshot.h"
#include "tls_policy/statement_text.h"
#include "module.h"
#include "policy_store.h"
#include "report.h"
#include "server_abi.h"
#include "sql_session.h"
#include "tlsp_sql.h"
#include "tls_policy/json_text.h"
#include "views.h"

static void rules_json(GString *out, const tlsp_policy_snapshot *snap)
{
  g_string_append_c(out, '[');
  if (snap)
  {
    const GPtrArray *rows = tlsp_policy_snapshot_rows(snap);
    guint64 generation = tlsp_policy_snapshot_generation(snap);
    for (guint i = 0; i < rows->len; i++)
    {
      const tlsp_policy_row *row = g_ptr_array_index(rows, i);
      if (i)
        g_string_append_c(out, ',');
      g_string_append_printf(
          out, "{\"id\":%" G_GUINT64_FORMAT ",\"host\":", (guint64) row->id);
      tlsp_json_append_cstring(out, row->host);
      g_string_append(out, ",\"user\":");
      tlsp_json_append_cstring(out, row->user);
      g_string_append(out, ",\"requirement\":");
      tlsp_json_append_cstring(out, row->requirement_text);
      g_string_append_printf(out, ",\"mode\":\"%s\",\"valid\":%d,\"error\":",
                             row->mode == TP_ROW_REPORT ? "REPORT" : "ENFORCE",
                             row->requirement != NULL);
      if (row->requirement)
      {
        g_autofree char *canonical =
            tlsp_requirement_to_string(row->requirement);
        g_string_append(out, "null,\"error_position\":null,\"canonical\":");
        tlsp_json_append_cstring(out, canonical);
      }
      else
      {
        tlsp_json_append_cstring(out, row->parse_error ? row->parse_error
                                                       : "does not parse");
        g_string_append_printf(
            out, ",\"error_position\":%" G_GUINT64_FORMAT ",\"canonical\":null",
            (guint64) row->parse_error_pos);
      }
      g_string_append_printf(out, ",\"generation\":%" G_GUINT64_FORMAT "}",
                             generation);
    }
  }
  g_string_append_c(out, ']');
}

/* ---- the views' tokens ------------------------------------------------- */

/*
 * One random token per view and server process (see the file comment):
 * the body of one view's stored function reveals nothing that opens
 * another view's UDF.  A slot is added on first use (a view's creation, or a
 * call of its function, whichever comes first) and kept for the life of
 * the process, so a view created by one INSTALL keeps working after the
 * next one.  `objects.lock` protects every field; held only for copying,
 * never across SQL.
 */
#define TP_VIEWS_MAX 8
static struct {
  GMutex lock;
  guint n;
  char names[TP_VIEWS_MAX][64];
  char tokens[TP_VIEWS_MAX][33];    /* "" if no random bytes: answers nobody */
  tlsp_view_def defs[TP_VIEWS_MAX]; /* .view NULL until tlsp_views_create */
} objects;

/* Caller holds objects.lock.  The slot of `view`, added if missing; -1 if
 * the table is full (a programming error: TP_VIEWS_MAX is the number of
 * views the plugin defines, with room). */
static int view_slot_locked(const char *view)
{
  for (guint i = 0; i < objects.n; i++)
    if (strcmp(objects.names[i], view) == 0)
      return (int) i;
  if (objects.n == TP_VIEWS_MAX || strlen(view) >= sizeof objects.names[0])
    return -1;
  guint i = objects.n++;
  g_strlcpy(objects.names[i], view, sizeof objects.names[i]);
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) == 1)
    for (guint k = 0; k < sizeof raw; k++)
      g_snprintf(objects.tokens[i] + 2 * k, 3, "%02x", raw[k]);
  else
    tlsp_log_error("views: no random bytes for the token of %s; it will stay "
                   "empty",
                   view);
  return (int) i;
}

const char *tlsp_views_token(const char *view)
{
  g_mutex_lock(&objects.lock);
  int i = view_slot_locked(view);
  /* Written once, before the slot was published under the lock. */
  const char *token = i < 0 ? "" : objects.tokens[i];
  g_mutex_unlock(&objects.lock);
  return token;
}

gboolean tlsp_views_token_matches(const char *view, const char *s,
                                  unsigned long len)
{
  const char *token = tlsp_views_token(view);
  size_t n = strlen(token);
  return n > 0 && s && len == n && CRYPTO_memcmp(s, token, n) == 0;
}

/* ---- the UDF behind a view: answers only with the view's token ---------- */

/* What a view UDF keeps between calls (initid->ptr). */
typedef struct udf_state {
  GString *out;
  const char *view; /* static: whose token the function wants */
} udf_state;

my_bool tlsp_views_udf_init(UDF_INIT *initid, UDF_ARGS *args, char *message,
                            const char *view)
{
  if (args->arg_count != 1 || args->arg_type[0] != STRING_RESULT)
  {
    g_snprintf(message, MYSQL_ERRMSG_SIZE,
               "this function is read through "
               "the view %s",
               view);
    return 1;
  }
  initid->maybe_null = 1;
  initid->const_item = 0;
  initid->max_length = 0xffffffffUL;
  udf_state *st = g_new0(udf_state, 1);
  st->out = g_string_new(NULL);
  st->view = view;
  initid->ptr = (char *) st;
  return 0;
}

void tlsp_views_udf_deinit(UDF_INIT *initid)
{
  udf_state *st = (udf_state *) initid->ptr;
  if (st)
  {
    g_string_free(st->out, TRUE);
    g_free(st);
  }
  initid->ptr = NULL;
}

/* NULL when the token is not the view's; else the JSON produced by fill. */
char *tlsp_views_udf_run(UDF_INIT *initid, UDF_ARGS *args,
                         unsigned long *length, char *is_null,
                         void (*fill)(GString *out))
{
  udf_state *st = (udf_state *) initid->ptr;
  g_string_truncate(st->out, 0);
  if (!tlsp_views_token_matches(st->view, args->args[0], args->lengths[0]))
  {
    *is_null = 1;
    return NULL;
  }
  fill(st->out);
  *length = st->out->len;
  return st->out->str;
}

/* ---- the rules UDF ------------------------------------------------------- */

my_bool tls_policy_rules_init(UDF_INIT *initid, UDF_ARGS *args, char *message);
char *tls_policy_rules(UDF_INIT *initid, UDF_ARGS *args, char *result,
                       unsigned long *length, char *is_null, char *error);
void tls_policy_rules_deinit(UDF_INIT *initid);

my_bool tls_policy_rules_init(UDF_INIT *initid, UDF_ARGS *args, char *message)
{
  return tlsp_views_udf_init(initid, args, message, "mysql.tls_policy_rules");
}

static void rules_fill(GString *out)
{
  g_autoptr(tlsp_policy_snapshot) snap = tlsp_policy_store_acquire();
  rules_json(out, snap);
}

/* "[]" when no snapshot is published (also after UNINSTALL: the library
 * stays mapped and the function may still be registered), whatever the
 * argument; NULL when the token is wrong. */
char *tls_policy_rules(UDF_INIT *initid, UDF_ARGS *args, char *result,
                       unsigned long *length, char *is_null, char *error)
{
  g_autoptr(tlsp_policy_snapshot) snap = tlsp_policy_store_acquire();
  if (!snap)
  {
    static const char empty[] = "[]";
    *length = 2;
    return (char *) empty;
  }
  return tlsp_views_udf_run(initid, args, length, is_null, rules_fill);
}

void tls_policy_rules_deinit(UDF_INIT *initid)
{
  tlsp_views_udf_deinit(initid);
}

/* ---- statement text --------------------------------------------------------- */

/* ---- creating and dropping the objects --------------------------------------- */

/* Runs q on m; logs a failure. */
static void install_one(MYSQL *m, const char *what, const char *q)
{
  g_autoptr(GError) error = NULL;
  if (!tlsp_sql_session_run(m, q, &error))
    tlsp_log_error("cannot create %s: %s", what, error->message);
}

/* The statements that write the stored function and the view of def with
 * the view's token: CREATE OR REPLACE, so they also replace the ones a
 * restore brought. */
static char *reader_statement(const tlsp_view_def *def)
{
  return g_strdup_printf(
      "SET STATEMENT lock_wait_timeout=%d FOR "
      "CREATE OR REPLACE DEFINER='mariadb.sys'@'localhost' "
      "FUNCTION mysql.%s_json() RETURNS LONGTEXT CHARACTER SET utf8mb4 "
      "NO SQL SQL SECURITY INVOKER "
      "COMMENT 'Reads the tls_policy UDF %s for the view %s; NULL while the "
      "UDF is not registered' "
      "BEGIN "
      /* Without the UDF (a server without the plugin, a restore): no rows
       * rather than an error. */
      "DECLARE CONTINUE HANDLER FOR SQLEXCEPTION RETURN NULL; "
      /* A string UDF's result is a binary string, and JSON_TABLE refuses
       * \u escapes in one ("Broken JSON string"): convert it to utf8mb4
       * (the JSON is valid UTF-8, tlsp_json_append_string() sees to it). */
      "RETURN CONVERT(%s('%s') USING utf8mb4); "
      "END",
      TP_SQL_JOB_LOCK_WAIT, def->function, def->function, def->view,
      def->function, tlsp_views_token(def->view));
}

static char *view_statement(const tlsp_view_def *def)
{
  return g_strdup_printf(
      "SET STATEMENT lock_wait_timeout=%d FOR "
      "CREATE OR REPLACE DEFINER='mariadb.sys'@'localhost' SQL SECURITY "
      "INVOKER "
      "VIEW %s AS SELECT %s "
      "FROM JSON_TABLE(mysql.%s_json(), '$[*]' COLUMNS (%s)) AS j%s%s",
      TP_SQL_JOB_LOCK_WAIT, def->view, def->select, def->function, def->columns,
      def->where ? " WHERE " : "", def->where ? def->where : "");
}

void tlsp_views_create(MYSQL *m, const tlsp_view_def *def)
{
  g_mutex_lock(&objects.lock);
  int i = view_slot_locked(def->view);
  if (i >= 0)
    objects.defs[i] = *def;
  g_mutex_unlock(&objects.lock);

  /* 1. The UDF, registered for this server process only. */
  g_autofree char *fn = g_strdup_printf(
      "CREATE FUNCTION IF NOT EXISTS %s RETURNS STRING SONAME 'tls_policy.so'",
      def->function);
  install_one(m, def->function, fn);
  g_autofree char *unrow = g_strdup_printf(
      "DELETE FROM mysql.func WHERE name = '%s'", def->function);
  g_autofree char *unrow_what =
      g_strdup_printf("(the mysql.func row of) %s", def->function);
  install_one(m, unrow_what, unrow);
  /* 2. The stored function that calls it with the token. */
  g_autofree char *reader_what =
      g_strdup_printf("function mysql.%s_json", def->function);
  g_autofree char *reader = reader_statement(def);
  install_one(m, reader_what, reader);
  /* 3. The view. */
  g_autofree char *view = view_statement(def);
  install_one(m, def->view, view);
}

/* The stored functions and views of every view created so far,
 * NULL-terminated (g_strfreev). */
static char **recreate_statements(void)
{
  tlsp_view_def defs[TP_VIEWS_MAX];
  guint n = 0;
  g_mutex_lock(&objects.lock);
  for (guint i = 0; i < objects.n; i++)
    if (objects.defs[i].view)
      defs[n++] = objects.defs[i];
  g_mutex_unlock(&objects.lock);
  char **q = g_new0(char *, 2 * n + 1);
  for (guint i = 0; i < n; i++)
  {
    q[2 * i] = reader_statement(&defs[i]);
    q[2 * i + 1] = view_statement(&defs[i]);
  }
  return q;
}

static const tlsp_view_def rules_view = {
    .view = "mysql.tls_policy_rules",
    .function = "tls_policy_rules",
    .select = "j.Id, j.Host, j.User, j.Requirement, j.Mode, j.Valid, j.Error, "
              "j.Error_position, j.Canonical, j.Generation",
    .columns = " Id BIGINT UNSIGNED PATH '$.id',"
               " Host VARCHAR(255) CHARACTER SET utf8mb4 PATH '$.host',"
               " User VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin "
               "PATH '$.user',"
               " Requirement TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin "
               "PATH '$.requirement',"
               " Mode VARCHAR(7) CHARACTER SET ascii PATH '$.mode',"
               " Valid TINYINT PATH '$.valid',"
               " Error TEXT CHARACTER SET utf8mb4 PATH '$.error',"
               " Error_position INT UNSIGNED PATH '$.error_position',"
               " Canonical TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH "
               "'$.canonical',"
               " Generation BIGINT UNSIGNED PATH '$.generation'",
};

/*
 * Called once on the policy store's refresher connection (sql_log_bin=0,
 * all privileges) after mysql.tls_policy was created.  Each object is tried
 * on its own; a failure is logged and does not stop the others.  A session
 * holding a metadata lock on one of the views delays this by at most
 * TP_SQL_JOB_LOCK_WAIT seconds, never the refresher for good.
 */
void tlsp_views_install_rules(struct st_mysql *m)
{
  tlsp_views_create(m, &rules_view);
  g_autofree char *native =
      g_strdup_printf("SET STATEMENT lock_wait_timeout=%d FOR %s",
                      TP_SQL_JOB_LOCK_WAIT, tlsp_sql_tls_policy_native_require);
  install_one(m, "view mysql.tls_policy_native_require", native);
  g_autofree char *proc =
      g_strdup_printf("SET STATEMENT lock_wait_timeout=%d FOR %s",
                      TP_SQL_JOB_LOCK_WAIT, tlsp_sql_tls_policy_import_native);
  install_one(m, "procedure mysql.tls_policy_import_native", proc);
}

/* The UDFs and views of conn_views.c and recheck.c are dropped by
 * recheck.c; the stored functions of all four views are dropped here. */
static const char *const drop_statements[] = {
    "DROP PROCEDURE IF EXISTS mysql.tls_policy_import_native",
    "DROP VIEW IF EXISTS mysql.tls_policy_rules, "
    "mysql.tls_policy_native_require",
    "DROP FUNCTION IF EXISTS tls_policy_rules",
    "DROP FUNCTION IF EXISTS mysql.tls_policy_rules_json",
    "DROP FUNCTION IF EXISTS mysql.tls_policy_connections_json",
    "DROP FUNCTION IF EXISTS mysql.tls_policy_account_cert_expiry_json",
    "DROP FUNCTION IF EXISTS mysql.tls_policy_recheck_json",
    NULL};

/*
 * At the end of a statement of a session (never the plugin's own, whose
 * statements start with SET STATEMENT):
 *  - after a successful UNINSTALL of this plugin (deinit comes later, once
 *    the session lets go of the plugin): drop the objects, waiting for it
 *    so that the session's next statement no longer sees them;
 *  - after a successful CREATE VIEW of a tls_policy_* view, as a logical
 *    restore writes them (with the tokens of the server the dump came
 *    from): write every view again with this process's tokens, waiting for
 *    it, so that the restored views answer at once.
 */
/* Does the statement create a view mysql.tls_policy_* (or tls_policy_* in
 * the current database, as a dump restoring mysql writes it)? */
static gboolean creates_own_view(const char *q, size_t len)
{
  g_autofree char *db = NULL;
  g_autofree char *name = tlsp_stmt_created_view(q, len, &db);
  return name && (!db || g_ascii_strcasecmp(db, "mysql") == 0) &&
         g_ascii_strncasecmp(name, "tls_policy_", 11) == 0;
}

static void views_on_statement(MYSQL_THD thd,
                               const struct mysql_event_general *ev)
{
  if (ev->general_error_code || !ev->general_query)
    return;
  if (tlsp_stmt_classify(ev->general_query, ev->general_query_length) ==
      TP_STMT_UNINSTALL_SELF)
  {
    g_autoptr(GError) error = NULL;
    if (!tlsp_sql_job_run(drop_statements, 0, 10 * G_USEC_PER_SEC, &error))
      tlsp_log_error(
          "UNINSTALL: could not drop the plugin's functions, views and "
          "procedure: %s",
          error->message);
    return;
  }
  if (creates_own_view(ev->general_query, ev->general_query_length))
  {
    g_auto(GStrv) q = recreate_statements();
    g_autoptr(GError) error = NULL;
    if (q[0] && !tlsp_sql_job_run((const char *const *) q, 0,
                                  10 * G_USEC_PER_SEC, &error))
      tlsp_log_error("could not write the plugin's views again after a CREATE "
                     "VIEW of one of them: %s; they answer after the next "
                     "server start",
                     error->message);
  }
}

/* ---- module ------------------------------------------------------------------ */

const tlsp_module tlsp_module_views = {
    .name = "views",
    .on_statement = views_on_statement,
};
