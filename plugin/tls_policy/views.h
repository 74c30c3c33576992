/*
 * views.h — the SQL objects tls_policy installs beside mysql.tls_policy
 * (docs/sql-objects.md): views over the plugin's UDFs, their tokens, and
 * the rules view.
 */
#ifndef TLS_POLICY_VIEWS_H
#define TLS_POLICY_VIEWS_H

#include <glib.h>

struct st_mysql;

#include "sql_worker.h" /* TP_SQL_JOB_LOCK_WAIT in the objects' statements */

/*
 * One view of the plugin over one of its UDFs (docs/sql-objects.md):
 *   CREATE OR REPLACE ... SQL SECURITY INVOKER VIEW <view> AS
 *   SELECT <select> FROM JSON_TABLE(mysql.<function>_json(), '$[*]'
 *   COLUMNS (<columns>)) AS j [WHERE <where>]
 * Every string is static (it is kept for writing the view again).
 */
typedef struct tlsp_view_def {
  const char *view;     /* "mysql.<name>" */
  const char *function; /* the UDF, "<name>" of a function in tls_policy.so */
  const char *select;   /* select list over j */
  const char *columns;  /* JSON_TABLE columns */
  const char *where;    /* a condition over j, or NULL */
} tlsp_view_def;

/*
 * Creates on `m` (a local connection with all privileges, sql_log_bin=0)
 * the objects of one view, each on its own, logging failures:
 *   1. the UDF <function> (CREATE FUNCTION IF NOT EXISTS), and then DELETE
 *      of its row from mysql.func: it stays registered for this server
 *      process only, so no dump, restart or package removal ever meets a
 *      row that names tls_policy.so;
 *   2. the stored function mysql.<function>_json(), which returns
 *      <function>('<the view's token>') and NULL while the UDF is not
 *      registered: a stored function's body is resolved when it runs, so
 *      the view's definition names only objects that a restore of the
 *      mysql schema brings along;
 *   3. the view.
 * Remembers the definition, so that views.c can write 2. and 3. again.
 */
void tlsp_views_create(struct st_mysql *m, const tlsp_view_def *def);

/* The rules view, the native-REQUIRE view and the import procedure, on the
 * policy store's refresher connection (sql_log_bin=0, all privileges) once
 * mysql.tls_policy exists.  Each object is tried on its own; a failure is
 * logged and does not stop the others. */
void tlsp_views_install_rules(struct st_mysql *m);

/* The random token of one view (created on first use, per server process):
 * the view's stored function passes it to the UDF, so that the UDF answers
 * only through the view (docs/sql-objects.md).  Each view has its own. */
const char *tlsp_views_token(const char *view);
gboolean tlsp_views_token_matches(const char *view, const char *s,
                                  unsigned long len);

/* The UDF side of a view's function: init checks the one string argument
 * and remembers `view` (static), whose token run then requires. */
my_bool tlsp_views_udf_init(UDF_INIT *initid, UDF_ARGS *args, char *message,
                            const char *view);
void tlsp_views_udf_deinit(UDF_INIT *initid);
/* The JSON written by fill (into a buffer owned by initid), or NULL. */
char *tlsp_views_udf_run(UDF_INIT *initid, UDF_ARGS *args,
                         unsigned long *length, char *is_null,
                         void (*fill)(GString *out));

#endif
