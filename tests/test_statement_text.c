/*
 * test_statement_text.c — the one reader of statement text.
 */
#include <string.h>
#include "tls_policy/statement_text.h"

static tp_stmt_kind classify(const char *s)
{
  return tp_stmt_classify(s, strlen(s));
}

static void test_commit_rollback(void)
{
  g_assert_cmpint(classify("COMMIT"), ==, TP_STMT_COMMIT);
  g_assert_cmpint(classify("  commit work"), ==, TP_STMT_COMMIT);
  g_assert_cmpint(classify("/* app */ COMMIT"), ==, TP_STMT_COMMIT);
  g_assert_cmpint(classify("-- note\nCOMMIT"), ==, TP_STMT_COMMIT);
  g_assert_cmpint(classify("# note\nrollback"), ==, TP_STMT_ROLLBACK);
  g_assert_cmpint(classify("ROLLBACK WORK"), ==, TP_STMT_ROLLBACK);
  g_assert_cmpint(classify("ROLLBACK TO SAVEPOINT s"), ==, TP_STMT_OTHER);
  g_assert_cmpint(classify("ROLLBACK WORK TO s"), ==, TP_STMT_OTHER);
  g_assert_cmpint(classify("COMMITTED"), ==, TP_STMT_OTHER);
  g_assert_cmpint(classify("SELECT 'COMMIT'"), ==, TP_STMT_OTHER);
}

static void test_executable_comments(void)
{
  /* The server runs the text of an executable comment. */
  g_assert_cmpint(classify("/*!40101 COMMIT */"), ==, TP_STMT_COMMIT);
  g_assert_cmpint(classify("/*M!100100 FLUSH SSL */"), ==, TP_STMT_FLUSH);
  g_assert_cmpint(classify("/*!UNINSTALL SONAME 'tls_policy' */"), ==,
                  TP_STMT_UNINSTALL_SELF);
  /* An ordinary comment is not run. */
  g_assert_cmpint(classify("/* COMMIT */ SELECT 1"), ==, TP_STMT_OTHER);
}

static void test_flush(void)
{
  g_assert_cmpint(classify("FLUSH SSL"), ==, TP_STMT_FLUSH);
  g_assert_cmpint(classify("(flush ssl)"), ==, TP_STMT_FLUSH);
  g_assert_cmpint(classify("FLUSH LOCAL SSL"), ==, TP_STMT_FLUSH);
  g_assert_cmpint(classify("FLUSH TABLES"), ==, TP_STMT_FLUSH);
  g_assert_cmpint(classify("FLUSHX"), ==, TP_STMT_OTHER);
  g_assert_cmpint(classify("FLUSH PRIVILEGES"), ==, TP_STMT_ACCOUNT_DDL);
  g_assert_cmpint(classify("FLUSH NO_WRITE_TO_BINLOG PRIVILEGES"), ==,
                  TP_STMT_ACCOUNT_DDL);
}

static void test_uninstall(void)
{
  g_assert_cmpint(classify("UNINSTALL SONAME 'tls_policy'"), ==, TP_STMT_UNINSTALL_SELF);
  g_assert_cmpint(classify("uninstall soname \"tls_policy.so\""), ==, TP_STMT_UNINSTALL_SELF);
  g_assert_cmpint(classify("/*x*/ UNINSTALL PLUGIN tls_policy"), ==, TP_STMT_UNINSTALL_SELF);
  g_assert_cmpint(classify("UNINSTALL PLUGIN IF EXISTS `TLS_POLICY`"), ==, TP_STMT_UNINSTALL_SELF);
  g_assert_cmpint(classify("UNINSTALL PLUGIN tls_cert"), ==, TP_STMT_OTHER);
  g_assert_cmpint(classify("UNINSTALL SONAME 'auth_ed25519'"), ==, TP_STMT_OTHER);
  g_assert_cmpint(classify("UNINSTALL SONAME 'tls_policy"), ==, TP_STMT_OTHER);
  g_assert_cmpint(classify("UNINSTALL PLUGIN IF tls_policy"), ==, TP_STMT_OTHER);
}

static void test_account_ddl(void)
{
  g_assert_cmpint(classify("CREATE USER a REQUIRE SSL"), ==, TP_STMT_ACCOUNT_DDL);
  g_assert_cmpint(classify("create or replace user a"), ==, TP_STMT_ACCOUNT_DDL);
  g_assert_cmpint(classify("CREATE OR REPLACE VIEW v AS SELECT 1"), ==, TP_STMT_OTHER);
  g_assert_cmpint(classify("CREATE TABLE t (a INT)"), ==, TP_STMT_OTHER);
  g_assert_cmpint(classify("ALTER USER a REQUIRE X509"), ==, TP_STMT_ACCOUNT_DDL);
  g_assert_cmpint(classify("ALTER TABLE t ADD b INT"), ==, TP_STMT_OTHER);
  g_assert_cmpint(classify("RENAME USER a TO b"), ==, TP_STMT_ACCOUNT_DDL);
  g_assert_cmpint(classify("DROP USER a"), ==, TP_STMT_ACCOUNT_DDL);
  g_assert_cmpint(classify("GRANT SELECT ON *.* TO a"), ==, TP_STMT_ACCOUNT_DDL);
  g_assert_cmpint(classify("/* migration */ grant usage on *.* to a"), ==, TP_STMT_ACCOUNT_DDL);
}

static void test_words(void)
{
  const char *q = "  `a``b` 'it''s' \"x\\\"y\" plain_1 (";
  const char *end = q + strlen(q);
  g_autofree char *w1 = tp_stmt_next_word(&q, end);
  g_autofree char *w2 = tp_stmt_next_word(&q, end);
  g_autofree char *w3 = tp_stmt_next_word(&q, end);
  g_autofree char *w4 = tp_stmt_next_word(&q, end);
  g_autofree char *w5 = tp_stmt_next_word(&q, end);
  g_assert_cmpstr(w1, ==, "a`b");
  g_assert_cmpstr(w2, ==, "it's");
  g_assert_cmpstr(w3, ==, "x\"y");
  g_assert_cmpstr(w4, ==, "plain_1");
  g_assert_null(w5);
  const char *u = "'unterminated";
  g_assert_null(tp_stmt_next_word(&u, u + strlen(u)));
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/statement/commit-rollback", test_commit_rollback);
  g_test_add_func("/statement/executable-comments", test_executable_comments);
  g_test_add_func("/statement/flush", test_flush);
  g_test_add_func("/statement/uninstall", test_uninstall);
  g_test_add_func("/statement/account-ddl", test_account_ddl);
  g_test_add_func("/statement/words", test_words);
  return g_test_run();
}
