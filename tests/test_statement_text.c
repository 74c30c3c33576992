/*
 * test_statement_text.c — the one reader of statement text.
 */
#include <string.h>
#include "tls_policy/statement_text.h"

static tlsp_stmt_kind classify(const char *s)
{
  return tlsp_stmt_classify(s, strlen(s));
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
  g_assert_cmpint(classify("UNINSTALL SONAME 'tls_policy'"), ==,
                  TP_STMT_UNINSTALL_SELF);
  g_assert_cmpint(classify("uninstall soname \"tls_policy.so\""), ==,
                  TP_STMT_UNINSTALL_SELF);
  g_assert_cmpint(classify("/*x*/ UNINSTALL PLUGIN tls_policy"), ==,
                  TP_STMT_UNINSTALL_SELF);
  g_assert_cmpint(classify("UNINSTALL PLUGIN IF EXISTS `TLS_POLICY`"), ==,
                  TP_STMT_UNINSTALL_SELF);
  g_assert_cmpint(classify("UNINSTALL PLUGIN tls_cert"), ==, TP_STMT_OTHER);
  g_assert_cmpint(classify("UNINSTALL SONAME 'auth_ed25519'"), ==,
                  TP_STMT_OTHER);
  g_assert_cmpint(classify("UNINSTALL SONAME 'tls_policy"), ==, TP_STMT_OTHER);
  g_assert_cmpint(classify("UNINSTALL PLUGIN IF tls_policy"), ==,
                  TP_STMT_OTHER);
}

static void test_account_ddl(void)
{
  g_assert_cmpint(classify("CREATE USER a REQUIRE SSL"), ==,
                  TP_STMT_ACCOUNT_DDL);
  g_assert_cmpint(classify("create or replace user a"), ==,
                  TP_STMT_ACCOUNT_DDL);
  g_assert_cmpint(classify("CREATE OR REPLACE VIEW v AS SELECT 1"), ==,
                  TP_STMT_OTHER);
  g_assert_cmpint(classify("CREATE TABLE t (a INT)"), ==, TP_STMT_OTHER);
  g_assert_cmpint(classify("ALTER USER a REQUIRE X509"), ==,
                  TP_STMT_ACCOUNT_DDL);
  g_assert_cmpint(classify("ALTER TABLE t ADD b INT"), ==, TP_STMT_OTHER);
  g_assert_cmpint(classify("RENAME USER a TO b"), ==, TP_STMT_ACCOUNT_DDL);
  g_assert_cmpint(classify("DROP USER a"), ==, TP_STMT_ACCOUNT_DDL);
  g_assert_cmpint(classify("GRANT SELECT ON *.* TO a"), ==,
                  TP_STMT_ACCOUNT_DDL);
  g_assert_cmpint(classify("/* migration */ grant usage on *.* to a"), ==,
                  TP_STMT_ACCOUNT_DDL);
}

static void test_words(void)
{
  const char *q = "  `a``b` 'it''s' \"x\\\"y\" plain_1 (";
  const char *end = q + strlen(q);
  g_autofree char *w1 = tlsp_stmt_next_word(&q, end);
  g_autofree char *w2 = tlsp_stmt_next_word(&q, end);
  g_autofree char *w3 = tlsp_stmt_next_word(&q, end);
  g_autofree char *w4 = tlsp_stmt_next_word(&q, end);
  g_autofree char *w5 = tlsp_stmt_next_word(&q, end);
  g_assert_cmpstr(w1, ==, "a`b");
  g_assert_cmpstr(w2, ==, "it's");
  g_assert_cmpstr(w3, ==, "x\"y");
  g_assert_cmpstr(w4, ==, "plain_1");
  g_assert_null(w5);
  const char *u = "'unterminated";
  g_assert_null(tlsp_stmt_next_word(&u, u + strlen(u)));
}

static void assert_view(const char *stmt, const char *db, const char *name)
{
  g_autofree char *d = NULL;
  g_autofree char *n = tlsp_stmt_created_view(stmt, strlen(stmt), &d);
  g_assert_cmpstr(n, ==, name);
  g_assert_cmpstr(d, ==, db);
}

static void test_created_view(void)
{
  assert_view("CREATE VIEW mysql.tls_policy_rules AS SELECT 1", "mysql",
              "tls_policy_rules");
  assert_view(
      "create or replace algorithm=merge definer=`mariadb.sys`@`localhost` "
      "sql security invoker view `mysql`.`tls_policy_x` as select 1",
      "mysql", "tls_policy_x");
  assert_view(
      "/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50013 "
      "DEFINER=`root`@`localhost` "
      "SQL SECURITY INVOKER */ /*!50001 VIEW `tls_policy_rules` AS select 1 */",
      NULL, "tls_policy_rules");
  assert_view("CREATE VIEW IF NOT EXISTS v AS SELECT 1", NULL, "v");
  assert_view("CREATE TABLE mysql.tls_policy_rules (a INT)", NULL, NULL);
  assert_view("CREATE DEFINER='view'@'%' FUNCTION f() RETURNS INT RETURN 1",
              NULL, NULL);
  assert_view("SELECT 'CREATE VIEW v'", NULL, NULL);
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
  g_test_add_func("/statement/created-view", test_created_view);
  return g_test_run();
}
