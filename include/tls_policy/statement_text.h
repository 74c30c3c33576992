/*
 * statement_text.h — reading the words of a statement's text, for the few
 * statements the plugin reacts to after they ran (audit GENERAL_STATUS:
 * COMMIT/ROLLBACK, FLUSH, UNINSTALL of this plugin, account DDL).
 *
 * One reader for all of them, so that they agree on what a word is: white
 * space, `/ * ... * /`, `-- ` and `#` comments and opening parentheses are
 * skipped; MariaDB's executable comments (`/ *!50100 ...` and
 * `/ *M!100100 ...`) are read as the text they hold, since the server runs
 * that text.  Quoted identifiers and strings are words too.  Pure: no
 * server, no locks.
 */
#ifndef TLS_POLICY_STATEMENT_TEXT_H
#define TLS_POLICY_STATEMENT_TEXT_H

#include <glib.h>

/* The next word of [*qp, end), newly allocated (g_free), or NULL at the end
 * of the text or at something that is not a word.  Advances *qp past it. */
char *tlsp_stmt_next_word(const char **qp, const char *end);

/* Is the next word `keyword` (case-insensitive, unquoted)?  Advances *qp
 * past it only if it is. */
gboolean tlsp_stmt_next_is(const char **qp, const char *end,
                           const char *keyword);

typedef enum tlsp_stmt_kind {
  TP_STMT_OTHER = 0,
  TP_STMT_COMMIT,         /* COMMIT [WORK] ... */
  TP_STMT_ROLLBACK,       /* ROLLBACK, not ROLLBACK TO [SAVEPOINT] */
  TP_STMT_FLUSH,          /* FLUSH of any kind */
  TP_STMT_UNINSTALL_SELF, /* UNINSTALL SONAME 'tls_policy[.so]',
                                  UNINSTALL PLUGIN [IF EXISTS] tls_policy */
  TP_STMT_ACCOUNT_DDL,    /* can change an account's native REQUIRE:
                                  GRANT, CREATE [OR REPLACE] / ALTER / RENAME /
                                  DROP USER, FLUSH [LOCAL] PRIVILEGES */
} tlsp_stmt_kind;

/* What kind of statement the text is (the first kind that applies; a FLUSH
 * PRIVILEGES is TP_STMT_ACCOUNT_DDL). */
tlsp_stmt_kind tlsp_stmt_classify(const char *q, size_t len);

/* For CREATE [OR REPLACE] [ALGORITHM=...] [DEFINER=...] [SQL SECURITY ...]
 * VIEW [IF NOT EXISTS] [db.]name: the name, and the database (NULL when
 * not given) in *db; both newly allocated.  NULL for any other statement. */
char *tlsp_stmt_created_view(const char *q, size_t len, char **db);

#endif
