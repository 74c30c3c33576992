/*
 * decision.h — how one login is decided: the global secure-transport rule,
 * then the account's rows in mysql.tls_policy, then the rollout mode.
 *
 * Pure function of its inputs (no server, no locks, no I/O): unit tested in
 * tests/test_decision.c and called by login_check.c for every login.
 */
#ifndef TLS_POLICY_DECISION_H
#define TLS_POLICY_DECISION_H

#include <glib.h>
#include "tls_policy/facts.h"
#include "tls_policy/reasons.h"
#include "tls_policy/policy_snapshot.h"

typedef struct tlsp_decide_input {
  const tlsp_login *login;
  gboolean require_secure_transport;  /* tls_policy_require_secure_transport */
  gboolean report_mode;               /* tls_policy_mode = REPORT */
  gboolean policy_loaded;             /* a snapshot has been loaded */
  const tlsp_policy_snapshot *policy; /* NULL: no rows */
  gboolean break_glass_eligible;      /* unix socket + break-glass account */
  gboolean
      identity_required; /* tls_cert login: a row must name the certificate */
} tlsp_decide_input;

typedef struct tlsp_verdict {
  tlsp_reason reason;   /* TP_REASON_OK, or why it is (would be) denied */
  gboolean admit;       /* the login proceeds */
  gboolean report_only; /* denied by the rules, admitted by REPORT mode */
  gboolean
      break_glass; /* denied for plugin state, admitted for the administrator */
  const tlsp_policy_row *row; /* row that admitted or failed, NULL if none */
  char rule[48];   /* "global", "row 17", "none": for logs and views */
  GString *detail; /* what was seen; raw, clean before logging */
  guint
      report_rows_failed; /* REPORT rows (of the login's REPORT pair) that failed */
  tlsp_reason report_reason; /* first such failure */
  uint64_t report_row_id;
} tlsp_verdict;

void tlsp_verdict_init(tlsp_verdict *v);
void tlsp_verdict_clear(tlsp_verdict *v);

void tlsp_decide(const tlsp_decide_input *in, tlsp_verdict *out);

#endif
