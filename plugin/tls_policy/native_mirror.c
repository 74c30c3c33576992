/*
 * native_mirror.c — keeping the NATIVE rows of mysql.tls_policy in step
 * with the accounts' own REQUIRE settings (tls_policy_mirror_native_require).
 *
 * While the variable is ON, every successful statement that can change an
 * account's native REQUIRE (CREATE [OR REPLACE] USER, ALTER USER, GRANT,
 * RENAME USER, DROP USER, FLUSH PRIVILEGES after direct edits of the
 * privilege tables) is followed by CALL mysql.tls_policy_import_native().
 * The hook runs on the DBA's own thread at the end of the statement, where
 * no SQL may run (module.h): the CALL runs on the SQL worker's connection
 * (views.c), binary-logged so that replicas receive the same rows as they
 * receive the account statement, and the hook waits (at most 5 s) until
 * the CALL committed and the policy store re-read the table.  So the DBA's
 * next statement and every login after it see the mirrored rows.
 *
 * Statements inside stored programs are not seen (only the CALL of the
 * program is), nor are statements a replica's applier runs (they raise no
 * statement events): docs/sql-objects.md says what to do instead.
 *
 * The variable has no update callback: switching it only flips a flag
 * (hazard H4: no SQL from an update callback).
 */
#include <string.h>
#include <mysql/plugin.h>
#include <mysql/plugin_audit.h>
#include "tls_policy/statement_text.h"
#include "module.h"
#include "report.h"
#include "views.h"

static char opt_mirror_native_require;

static MYSQL_SYSVAR_BOOL(
    mirror_native_require, opt_mirror_native_require, PLUGIN_VAR_OPCMDARG,
    "After each successful CREATE USER, ALTER USER, GRANT, RENAME USER, "
    "DROP USER or FLUSH PRIVILEGES, run CALL mysql.tls_policy_import_native() "
    "so that the NATIVE rows of mysql.tls_policy mirror every account's "
    "REQUIRE setting.",
    NULL, NULL, 0);

static struct st_mysql_sys_var *mirror_sysvars[] = {
    MYSQL_SYSVAR(mirror_native_require), NULL};

static unsigned long long mirror_runs, mirror_failures;

static struct st_mysql_show_var mirror_status[] = {
    {"mirror_runs", (char *) &mirror_runs, SHOW_ULONGLONG},
    {"mirror_failures", (char *) &mirror_failures, SHOW_ULONGLONG},
    {0, 0, 0}};

static void mirror_on_statement(MYSQL_THD thd,
                                const struct mysql_event_general *ev)
{
  if (!opt_mirror_native_require || ev->general_error_code ||
      !ev->general_query)
    return;
  if (tlsp_stmt_classify(ev->general_query, ev->general_query_length) !=
      TP_STMT_ACCOUNT_DDL)
    return;
  static const char *const import[] = {"CALL mysql.tls_policy_import_native()",
                                       NULL};
  g_autoptr(GError) error = NULL;
  tlsp_count(&mirror_runs);
  if (!tlsp_sql_job_run(import, TP_SQL_JOB_BINLOG | TP_SQL_JOB_REFRESH_POLICY,
                        5 * G_USEC_PER_SEC, &error))
  {
    tlsp_count(&mirror_failures);
    tlsp_log_error("mirror_native_require: mysql.tls_policy was not updated "
                   "after an account statement: %s; run CALL "
                   "mysql.tls_policy_import_native()",
                   error->message);
  }
}

const tlsp_module tlsp_module_native_mirror = {
    .name = "native_mirror",
    .sysvars = mirror_sysvars,
    .status = mirror_status,
    .on_statement = mirror_on_statement,
};
