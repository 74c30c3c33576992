/*
 * test_decision.c — the login decision (decision.c) as a pure function:
 * global rule, alternatives, invalid rows, exemptions, REPORT rows and mode,
 * break-glass, fail-closed on unknown TLS state.
 */
#include <string.h>
#include <glib.h>
#include "tls_policy/decision.h"

static tlsp_login plain_tcp = {.user = "app",
                               .host = "10.0.0.5",
                               .ip = "10.0.0.5",
                               .transport = TP_TRANSPORT_TCP,
                               .tls_state = TP_TLS_NO};
static tlsp_login socket_login = {.user = "root",
                                  .host = "localhost",
                                  .ip = NULL,
                                  .transport = TP_TRANSPORT_SOCKET,
                                  .tls_state = TP_TLS_NO};
static tlsp_tls_facts tls13 = {.protocol_version = 0x0304,
                               .protocol = "TLSv1.3",
                               .cipher = "TLS_AES_256_GCM_SHA384",
                               .verify_result = 0};
static tlsp_login tls_tcp = {.user = "app",
                             .host = "10.0.0.5",
                             .ip = "10.0.0.5",
                             .transport = TP_TRANSPORT_TCP,
                             .tls_state = TP_TLS_YES,
                             .tls = &tls13};
static tlsp_login unknown_tcp = {.user = "app",
                                 .host = "10.0.0.5",
                                 .ip = "10.0.0.5",
                                 .transport = TP_TRANSPORT_TCP,
                                 .tls_state = TP_TLS_UNKNOWN};

typedef struct {
  const char *host, *user, *req;
  tlsp_row_mode mode;
} row_spec;

static tlsp_policy_snapshot *snapshot(const row_spec *rows, guint n)
{
  tlsp_policy_snapshot_builder *b = tlsp_policy_snapshot_builder_new();
  for (guint i = 0; i < n; i++)
    tlsp_policy_snapshot_builder_add(b, i + 1, rows[i].host, rows[i].user,
                                     rows[i].req, strlen(rows[i].req),
                                     rows[i].mode, "", NULL);
  return tlsp_policy_snapshot_builder_finish(b, 1);
}

static tlsp_reason decide(const tlsp_login *login,
                          const tlsp_policy_snapshot *s, gboolean rst,
                          gboolean report, gboolean *admit)
{
  tlsp_decide_input in = {.login = login,
                          .require_secure_transport = rst,
                          .report_mode = report,
                          .policy_loaded = TRUE,
                          .policy = s};
  tlsp_verdict v;
  tlsp_verdict_init(&v);
  tlsp_decide(&in, &v);
  tlsp_reason r = v.reason;
  if (admit)
    *admit = v.admit;
  tlsp_verdict_clear(&v);
  return r;
}

static void test_global_rule(void)
{
  gboolean admit;
  g_assert_cmpint(decide(&plain_tcp, NULL, FALSE, FALSE, &admit), ==,
                  TP_REASON_OK);
  g_assert_true(admit);
  g_assert_cmpint(decide(&plain_tcp, NULL, TRUE, FALSE, &admit), ==,
                  TP_REASON_INSECURE_TRANSPORT);
  g_assert_false(admit);
  g_assert_cmpint(decide(&tls_tcp, NULL, TRUE, FALSE, &admit), ==,
                  TP_REASON_OK);
  g_assert_cmpint(decide(&socket_login, NULL, TRUE, FALSE, &admit), ==,
                  TP_REASON_OK);
  /* TLS state unknown fails closed, with its own reason */
  g_assert_cmpint(decide(&unknown_tcp, NULL, TRUE, FALSE, &admit), ==,
                  TP_REASON_TLS_UNKNOWN);
  g_assert_false(admit);
}

static void test_unknown_tls_rules(void)
{
  row_spec rows[] = {{"%", "app", "SSL", TP_ROW_ENFORCE}};
  g_autoptr(tlsp_policy_snapshot) s = snapshot(rows, 1);
  gboolean admit;
  g_assert_cmpint(decide(&unknown_tcp, s, FALSE, FALSE, &admit), ==,
                  TP_REASON_TLS_UNKNOWN);
  g_assert_false(admit);
  g_assert_cmpint(decide(&tls_tcp, s, FALSE, FALSE, &admit), ==, TP_REASON_OK);
  g_assert_cmpint(decide(&plain_tcp, s, FALSE, FALSE, &admit), ==,
                  TP_REASON_NO_TLS);
}

static void test_policy_not_loaded(void)
{
  tlsp_decide_input in = {.login = &plain_tcp, .policy_loaded = FALSE};
  tlsp_verdict v;
  tlsp_verdict_init(&v);
  tlsp_decide(&in, &v);
  g_assert_cmpint(v.reason, ==, TP_REASON_POLICY_NOT_LOADED);
  g_assert_false(v.admit);
  tlsp_verdict_clear(&v);
  /* break-glass over the socket passes plugin-state denials only */
  tlsp_decide_input bg = {.login = &socket_login,
                          .policy_loaded = FALSE,
                          .break_glass_eligible = TRUE};
  tlsp_verdict_init(&v);
  tlsp_decide(&bg, &v);
  g_assert_cmpint(v.reason, ==, TP_REASON_POLICY_NOT_LOADED);
  g_assert_true(v.admit);
  g_assert_true(v.break_glass);
  tlsp_verdict_clear(&v);
}

static void test_break_glass_never_passes_a_rule(void)
{
  row_spec rows[] = {{"localhost", "root", "X509", TP_ROW_ENFORCE}};
  g_autoptr(tlsp_policy_snapshot) s = snapshot(rows, 1);
  tlsp_decide_input in = {.login = &socket_login,
                          .policy_loaded = TRUE,
                          .policy = s,
                          .break_glass_eligible = TRUE};
  tlsp_verdict v;
  tlsp_verdict_init(&v);
  tlsp_decide(&in, &v);
  g_assert_cmpint(v.reason, ==, TP_REASON_NO_TLS);
  g_assert_false(v.admit);
  tlsp_verdict_clear(&v);
}

static void test_alternatives_and_invalid(void)
{
  row_spec rows[] = {{"%", "app", "X509", TP_ROW_ENFORCE},
                     {"%", "app", "SSL", TP_ROW_ENFORCE}};
  g_autoptr(tlsp_policy_snapshot) s = snapshot(rows, 2);
  gboolean admit;
  /* TLS without a certificate fails row 1 and passes row 2 */
  g_assert_cmpint(decide(&tls_tcp, s, FALSE, FALSE, &admit), ==, TP_REASON_OK);
  g_assert_true(admit);
  /* plain fails both: the first row's reason */
  g_assert_cmpint(decide(&plain_tcp, s, FALSE, FALSE, &admit), ==,
                  TP_REASON_NO_TLS);

  row_spec bad[] = {{"%", "app", "SSL", TP_ROW_ENFORCE},
                    {"%", "app", "SSL AND", TP_ROW_ENFORCE},
                    {"%", "other", "SSL", TP_ROW_ENFORCE}};
  g_autoptr(tlsp_policy_snapshot) s2 = snapshot(bad, 3);
  /* an invalid row fails its whole account, even when another row passes */
  g_assert_cmpint(decide(&tls_tcp, s2, FALSE, FALSE, &admit), ==,
                  TP_REASON_POLICY_INVALID);
  g_assert_false(admit);
}

static void test_exempt(void)
{
  row_spec rows[] = {{"10.0.0.0/8", "app", "EXEMPT", TP_ROW_ENFORCE}};
  g_autoptr(tlsp_policy_snapshot) s = snapshot(rows, 1);
  gboolean admit;
  g_assert_cmpint(decide(&plain_tcp, s, TRUE, FALSE, &admit), ==, TP_REASON_OK);
  g_assert_true(admit);
  /* a REPORT-mode exemption exempts nothing */
  row_spec rep[] = {{"10.0.0.0/8", "app", "EXEMPT", TP_ROW_REPORT}};
  g_autoptr(tlsp_policy_snapshot) s2 = snapshot(rep, 1);
  g_assert_cmpint(decide(&plain_tcp, s2, TRUE, FALSE, &admit), ==,
                  TP_REASON_INSECURE_TRANSPORT);
}

static void test_report(void)
{
  row_spec rows[] = {{"%", "app", "X509", TP_ROW_REPORT}};
  g_autoptr(tlsp_policy_snapshot) s = snapshot(rows, 1);
  tlsp_decide_input in = {
      .login = &tls_tcp, .policy_loaded = TRUE, .policy = s};
  tlsp_verdict v;
  tlsp_verdict_init(&v);
  tlsp_decide(&in, &v);
  g_assert_cmpint(v.reason, ==, TP_REASON_OK);
  g_assert_cmpuint(v.report_rows_failed, ==, 1);
  g_assert_cmpint(v.report_reason, ==, TP_REASON_NO_CLIENT_CERT);
  tlsp_verdict_clear(&v);

  gboolean admit;
  g_assert_cmpint(decide(&plain_tcp, NULL, TRUE, TRUE, &admit), ==,
                  TP_REASON_INSECURE_TRANSPORT);
  g_assert_true(admit); /* REPORT mode: would deny, admitted */
}

static void test_identity_required_never_bypassed(void)
{
  row_spec rows[] = {{"%", "app", "SSL", TP_ROW_ENFORCE}};
  g_autoptr(tlsp_policy_snapshot) s = snapshot(rows, 1);
  /* satisfied, but no identity: refused, even in REPORT mode */
  tlsp_decide_input in = {.login = &tls_tcp,
                          .policy_loaded = TRUE,
                          .policy = s,
                          .identity_required = TRUE,
                          .report_mode = TRUE};
  tlsp_verdict v;
  tlsp_verdict_init(&v);
  tlsp_decide(&in, &v);
  g_assert_cmpint(v.reason, ==, TP_REASON_NO_IDENTITY_RULE);
  g_assert_false(v.admit);
  tlsp_verdict_clear(&v);
  /* policy not loaded, break-glass eligible: still refused */
  tlsp_decide_input bg = {.login = &socket_login,
                          .policy_loaded = FALSE,
                          .identity_required = TRUE,
                          .break_glass_eligible = TRUE};
  tlsp_verdict_init(&v);
  tlsp_decide(&bg, &v);
  g_assert_cmpint(v.reason, ==, TP_REASON_POLICY_NOT_LOADED);
  g_assert_false(v.admit);
  tlsp_verdict_clear(&v);
}

/* One decision with its verdict kept (the caller clears it). */
static void decide_full(const tlsp_login *login, const tlsp_policy_snapshot *s,
                        tlsp_verdict *v)
{
  tlsp_decide_input in = {.login = login, .policy_loaded = TRUE, .policy = s};
  tlsp_verdict_init(v);
  tlsp_decide(&in, v);
}

/* REPORT rows never change which ENFORCE rows apply: a more specific pair
 * with only REPORT rows does not hide the account's ENFORCE rows. */
static void test_report_rows_never_weaken(void)
{
  row_spec rows[] = {
      {"%", "app", "X509", TP_ROW_ENFORCE},
      {"10.0.0.5", "app", "SUBJECT_DN 'CN=app,O=Acme'", TP_ROW_REPORT},
  };
  g_autoptr(tlsp_policy_snapshot) s = snapshot(rows, G_N_ELEMENTS(rows));
  tlsp_verdict v;
  decide_full(&plain_tcp, s, &v);
  g_assert_cmpint(v.reason, ==, TP_REASON_NO_TLS);
  g_assert_false(v.admit);
  g_assert_cmpstr(v.rule, ==, "row 1");
  /* the REPORT row is evaluated beside the decision and counted */
  g_assert_cmpuint(v.report_rows_failed, ==, 1);
  g_assert_cmpuint(v.report_row_id, ==, 2);
  g_assert_cmpint(v.report_reason, ==, TP_REASON_NO_TLS);
  tlsp_verdict_clear(&v);
  /* TLS without a certificate: still X509's failure */
  decide_full(&tls_tcp, s, &v);
  g_assert_cmpint(v.reason, ==, TP_REASON_NO_CLIENT_CERT);
  g_assert_false(v.admit);
  g_assert_cmpuint(v.report_rows_failed, ==, 1);
  tlsp_verdict_clear(&v);
  /* the same decision as with no REPORT row at all */
  g_autoptr(tlsp_policy_snapshot) only = snapshot(rows, 1);
  g_assert_cmpint(decide(&plain_tcp, only, FALSE, FALSE, NULL), ==,
                  TP_REASON_NO_TLS);
}

/* A REPORT row whose Host does not validate reports itself (for every
 * host of its user) and denies nobody; it does not hide ENFORCE rows. */
static void test_invalid_report_row_denies_nobody(void)
{
  row_spec rows[] = {
      {"%", "app", "X509", TP_ROW_ENFORCE},
      {"10.20.0.0/33", "app", "SUBJECT_DN 'CN=app'", TP_ROW_REPORT},
      {"%", "other", "SSL", TP_ROW_ENFORCE},
  };
  g_autoptr(tlsp_policy_snapshot) s = snapshot(rows, G_N_ELEMENTS(rows));
  g_assert_cmpuint(tlsp_policy_snapshot_rows_invalid(s), ==, 1);
  tlsp_verdict v;
  decide_full(&plain_tcp, s, &v);
  g_assert_cmpint(v.reason, ==, TP_REASON_NO_TLS);
  g_assert_false(v.admit);
  g_assert_cmpuint(v.report_rows_failed, ==, 1);
  g_assert_cmpuint(v.report_row_id, ==, 2);
  g_assert_cmpint(v.report_reason, ==, TP_REASON_POLICY_INVALID);
  tlsp_verdict_clear(&v);

  /* anonymous: one invalid REPORT row, every account keeps its rows */
  row_spec anon[] = {
      {"%", "app", "X509", TP_ROW_ENFORCE},
      {"10.0.0.1/8", "", "MIN_TLS_VERSION 'TLSv1.3'", TP_ROW_REPORT},
      {"%", "other", "SSL", TP_ROW_ENFORCE},
  };
  g_autoptr(tlsp_policy_snapshot) s2 = snapshot(anon, G_N_ELEMENTS(anon));
  decide_full(&plain_tcp, s2, &v);
  g_assert_cmpint(v.reason, ==, TP_REASON_NO_TLS);
  g_assert_false(v.admit);
  g_assert_cmpint(v.report_reason, ==, TP_REASON_POLICY_INVALID);
  tlsp_verdict_clear(&v);
  tlsp_login other = plain_tcp;
  other.user = "other";
  decide_full(&other, s2, &v);
  g_assert_cmpint(v.reason, ==, TP_REASON_NO_TLS);
  g_assert_false(v.admit);
  tlsp_verdict_clear(&v);
  /* an account without ENFORCE rows is admitted; the row reports itself */
  tlsp_login nobody = plain_tcp;
  nobody.user = "nobody";
  decide_full(&nobody, s2, &v);
  g_assert_cmpint(v.reason, ==, TP_REASON_OK);
  g_assert_true(v.admit);
  g_assert_cmpuint(v.report_rows_failed, ==, 1);
  g_assert_cmpuint(v.report_row_id, ==, 2);
  tlsp_verdict_clear(&v);

  /* a REPORT Requirement that does not parse: the same */
  row_spec bad[] = {
      {"%", "app", "SSL", TP_ROW_ENFORCE},
      {"%", "app", "SSL AND", TP_ROW_REPORT},
  };
  g_autoptr(tlsp_policy_snapshot) s3 = snapshot(bad, G_N_ELEMENTS(bad));
  decide_full(&tls_tcp, s3, &v);
  g_assert_cmpint(v.reason, ==, TP_REASON_OK);
  g_assert_true(v.admit);
  g_assert_cmpint(v.report_reason, ==, TP_REASON_POLICY_INVALID);
  tlsp_verdict_clear(&v);
  decide_full(&plain_tcp, s3, &v);
  g_assert_cmpint(v.reason, ==, TP_REASON_NO_TLS);
  tlsp_verdict_clear(&v);
}

/* An ENFORCE row whose Host does not validate fails its own user on every
 * host, whatever that user's other rows say, and no other named user. */
static void test_invalid_enforce_account_scope(void)
{
  row_spec rows[] = {
      {"10.0.0.1/8", "app", "NONE", TP_ROW_ENFORCE},
      {"10.0.0.5", "app", "NONE", TP_ROW_ENFORCE},
      {"%", "other", "NONE", TP_ROW_ENFORCE},
  };
  g_autoptr(tlsp_policy_snapshot) s = snapshot(rows, G_N_ELEMENTS(rows));
  tlsp_verdict v;
  decide_full(&tls_tcp, s, &v);
  g_assert_cmpint(v.reason, ==, TP_REASON_POLICY_INVALID);
  g_assert_false(v.admit);
  g_assert_cmpstr(v.rule, ==, "row 1");
  tlsp_verdict_clear(&v);
  tlsp_login other = plain_tcp;
  other.user = "other";
  g_assert_cmpint(decide(&other, s, FALSE, FALSE, NULL), ==, TP_REASON_OK);
  other.user = "nobody";
  g_assert_cmpint(decide(&other, s, FALSE, FALSE, NULL), ==, TP_REASON_OK);
  /* The anonymous account may apply to any login, and its Host is not
   * known: such a row fails every login closed (break-glass passes it). */
  row_spec anon[] = {
      {"10.0.0.1/8", "", "NONE", TP_ROW_ENFORCE},
      {"%", "other", "NONE", TP_ROW_ENFORCE},
  };
  g_autoptr(tlsp_policy_snapshot) s2 = snapshot(anon, G_N_ELEMENTS(anon));
  other.user = "other";
  g_assert_cmpint(decide(&other, s2, FALSE, FALSE, NULL), ==,
                  TP_REASON_POLICY_INVALID);
}

/* A row whose User or Host ends in a space is invalid (the server has no
 * such account once it reads mysql.global_priv; SQL's PAD SPACE shows the
 * row for 'ts'): an ENFORCE one fails 'ts' (and 'ts ') closed, a REPORT one
 * reports itself. */
static void test_trailing_space_rows(void)
{
  tlsp_login ts = plain_tcp, ts_space = plain_tcp, other = plain_tcp;
  ts.user = "ts";
  ts_space.user = "ts ";
  other.user = "other";
  row_spec user_rows[] = {{"%", "ts ", "X509", TP_ROW_ENFORCE}};
  g_autoptr(tlsp_policy_snapshot) s = snapshot(user_rows, 1);
  g_assert_cmpuint(tlsp_policy_snapshot_rows_invalid(s), ==, 1);
  tlsp_verdict v;
  decide_full(&ts, s, &v);
  g_assert_cmpint(v.reason, ==, TP_REASON_POLICY_INVALID);
  g_assert_false(v.admit);
  g_assert_nonnull(strstr(v.detail->str, "ends in a space"));
  tlsp_verdict_clear(&v);
  g_assert_cmpint(decide(&ts_space, s, FALSE, FALSE, NULL), ==,
                  TP_REASON_POLICY_INVALID);
  g_assert_cmpint(decide(&other, s, FALSE, FALSE, NULL), ==, TP_REASON_OK);

  /* whatever the order of the rows and the other rows of the user */
  row_spec after[] = {{"%", "ts", "NONE", TP_ROW_ENFORCE},
                      {"10.0.0.5", "ts", "NONE", TP_ROW_ENFORCE},
                      {"%", "ts ", "X509", TP_ROW_ENFORCE}};
  g_autoptr(tlsp_policy_snapshot) s1 = snapshot(after, 3);
  g_assert_cmpint(decide(&ts, s1, FALSE, FALSE, NULL), ==,
                  TP_REASON_POLICY_INVALID);
  tlsp_login ts_other_host = ts;
  ts_other_host.host = ts_other_host.ip = "192.0.2.1";
  g_assert_cmpint(decide(&ts_other_host, s1, FALSE, FALSE, NULL), ==,
                  TP_REASON_POLICY_INVALID);

  row_spec host_rows[] = {{"% ", "ts", "X509", TP_ROW_ENFORCE},
                          {"%", "ts", "NONE", TP_ROW_ENFORCE}};
  g_autoptr(tlsp_policy_snapshot) s2 = snapshot(host_rows, 2);
  g_assert_cmpint(decide(&ts, s2, FALSE, FALSE, NULL), ==,
                  TP_REASON_POLICY_INVALID);
  g_assert_cmpint(decide(&other, s2, FALSE, FALSE, NULL), ==, TP_REASON_OK);

  row_spec report_rows[] = {{"%", "ts ", "X509", TP_ROW_REPORT}};
  g_autoptr(tlsp_policy_snapshot) s3 = snapshot(report_rows, 1);
  decide_full(&ts, s3, &v);
  g_assert_cmpint(v.reason, ==, TP_REASON_OK);
  g_assert_true(v.admit);
  g_assert_cmpint(v.report_reason, ==, TP_REASON_POLICY_INVALID);
  tlsp_verdict_clear(&v);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/decision/global-rule", test_global_rule);
  g_test_add_func("/decision/unknown-tls", test_unknown_tls_rules);
  g_test_add_func("/decision/policy-not-loaded", test_policy_not_loaded);
  g_test_add_func("/decision/break-glass-never-passes-a-rule",
                  test_break_glass_never_passes_a_rule);
  g_test_add_func("/decision/alternatives-and-invalid",
                  test_alternatives_and_invalid);
  g_test_add_func("/decision/exempt", test_exempt);
  g_test_add_func("/decision/report", test_report);
  g_test_add_func("/decision/identity-required-never-bypassed",
                  test_identity_required_never_bypassed);
  g_test_add_func("/decision/report-rows-never-weaken",
                  test_report_rows_never_weaken);
  g_test_add_func("/decision/invalid-report-row-denies-nobody",
                  test_invalid_report_row_denies_nobody);
  g_test_add_func("/decision/invalid-enforce-account-scope",
                  test_invalid_enforce_account_scope);
  g_test_add_func("/decision/trailing-space-rows", test_trailing_space_rows);
  return g_test_run();
}
