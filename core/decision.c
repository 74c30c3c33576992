/*
 * decision.c — the one place where a login is decided.
 *
 * Every decision starts at deny and becomes admit only when each step
 * passed:
 *   1. the policy snapshot must be loaded (else policy_not_loaded);
 *   2. the applicable ENFORCE rows are those of the most specific
 *      (Host, User) pair that has ENFORCE rows (policy_snapshot.c); REPORT
 *      rows play no part in choosing them.  An ENFORCE row that does not
 *      parse fails the whole account (policy_invalid), whatever the other
 *      rows say;
 *   3. the global secure-transport rule: plain TCP is refused unless an
 *      ENFORCE row of the pair is EXEMPT; TLS state unknown is refused;
 *   4. the ENFORCE rows are alternatives: the first satisfied one admits;
 *      if none is, the first row's failure is the reason;
 *      beside steps 2-5, the REPORT rows of the most specific pair that has
 *      REPORT rows are evaluated and counted (an invalid one counts as a
 *      policy_invalid failure); they never change the outcome;
 *   5. a tls_cert login must be admitted by a row that names an identity;
 *   6. REPORT mode turns a denial into "would deny"; the break-glass account
 *      on the unix socket is let in only past denials caused by plugin state
 *      (policy not loaded, TLS unknown, invalid rule), never past a rule.
 *      Neither applies to a tls_cert (identity_required) login.
 */
#include <string.h>
#include "tls_policy/decision.h"
#include "tls_policy/policy.h"

void tlsp_verdict_init(tlsp_verdict *v)
{
  memset(v, 0, sizeof *v);
  v->reason = TP_REASON_INTERNAL_ERROR;
  v->detail = g_string_new(NULL);
  g_strlcpy(v->rule, "none", sizeof v->rule);
}

void tlsp_verdict_clear(tlsp_verdict *v)
{
  if (v->detail)
    g_string_free(v->detail, TRUE);
  v->detail = NULL;
}

static void set_row_rule(tlsp_verdict *v, const tlsp_policy_row *row)
{
  v->row = row;
  g_snprintf(v->rule, sizeof v->rule, "row %" G_GUINT64_FORMAT,
             (guint64) row->id);
}

/* REPORT rows: evaluated for the record only; nothing here can deny. */
static void report_rows(const tlsp_login *login, const GPtrArray *rows,
                        tlsp_verdict *v)
{
  for (guint i = 0; rows && i < rows->len; i++)
  {
    const tlsp_policy_row *row = g_ptr_array_index(rows, i);
    tlsp_reason r =
        row->requirement
            ? tlsp_requirement_evaluate(row->requirement, login, NULL)
            : TP_REASON_POLICY_INVALID;
    if (r != TP_REASON_OK && v->report_rows_failed++ == 0)
    {
      v->report_reason = r;
      v->report_row_id = row->id;
    }
  }
}

/* Steps 2-5 on the ENFORCE rows of the login's pair (NULL: none).  Returns
 * the reason; sets v->row/v->rule. */
static tlsp_reason decide_rows(const tlsp_decide_input *in,
                               const GPtrArray *rows, tlsp_verdict *v)
{
  const tlsp_login *login = in->login;
  gboolean exempt = FALSE, any_enforce = FALSE;

  for (guint i = 0; rows && i < rows->len; i++)
  {
    const tlsp_policy_row *row = g_ptr_array_index(rows, i);
    if (row->mode != TP_ROW_ENFORCE)
      continue;
    any_enforce = TRUE;
    if (!row->requirement)
    {
      set_row_rule(v, row);
      g_string_append_printf(v->detail, "rule does not parse: %s",
                             row->parse_error ? row->parse_error : "?");
      return TP_REASON_POLICY_INVALID;
    }
    if (tlsp_requirement_is_exempt(row->requirement))
      exempt = TRUE;
  }

  if (in->require_secure_transport && !exempt &&
      login->transport != TP_TRANSPORT_SOCKET)
  {
    if (login->tls_state != TP_TLS_YES)
    {
      g_strlcpy(v->rule, "global", sizeof v->rule);
      return login->tls_state == TP_TLS_UNKNOWN ? TP_REASON_TLS_UNKNOWN
                                                : TP_REASON_INSECURE_TRANSPORT;
    }
  }

  if (!any_enforce)
  {
    if (in->identity_required)
      return TP_REASON_NO_IDENTITY_RULE;
    return TP_REASON_OK;
  }

  tlsp_reason first_failure = TP_REASON_OK;
  const tlsp_policy_row *first_failed_row = NULL;
  g_autoptr(GString) first_detail = g_string_new(NULL);
  gboolean satisfied_without_identity = FALSE;
  for (guint i = 0; i < rows->len; i++)
  {
    const tlsp_policy_row *row = g_ptr_array_index(rows, i);
    if (row->mode != TP_ROW_ENFORCE)
      continue;
    g_autoptr(GString) detail = g_string_new(NULL);
    tlsp_reason r = tlsp_requirement_evaluate(row->requirement, login, detail);
    if (r == TP_REASON_OK)
    {
      if (in->identity_required &&
          !tlsp_requirement_has_identity(row->requirement))
      {
        satisfied_without_identity = TRUE;
        continue;
      }
      set_row_rule(v, row);
      return TP_REASON_OK;
    }
    if (!first_failed_row)
    {
      first_failure = r;
      first_failed_row = row;
      g_string_assign(first_detail, detail->str);
    }
  }
  if (first_failed_row)
  {
    set_row_rule(v, first_failed_row);
    g_string_append(v->detail, first_detail->str);
    if (satisfied_without_identity)
      return TP_REASON_NO_IDENTITY_RULE;
    return first_failure;
  }
  return TP_REASON_NO_IDENTITY_RULE;
}

static gboolean state_failure(tlsp_reason r)
{
  return r == TP_REASON_POLICY_NOT_LOADED || r == TP_REASON_TLS_UNKNOWN ||
         r == TP_REASON_POLICY_INVALID || r == TP_REASON_INTERNAL_ERROR;
}

void tlsp_decide(const tlsp_decide_input *in, tlsp_verdict *v)
{
  tlsp_reason reason;
  if (!in->policy_loaded)
  {
    g_strlcpy(v->rule, "none", sizeof v->rule);
    reason = TP_REASON_POLICY_NOT_LOADED;
  }
  else
  {
    const tlsp_login *l = in->login;
    const GPtrArray *rows = tlsp_policy_snapshot_lookup_mode(
        in->policy, TP_ROW_ENFORCE, l->user, l->host, l->ip, NULL);
    reason = decide_rows(in, rows, v);
    report_rows(l,
                tlsp_policy_snapshot_lookup_mode(in->policy, TP_ROW_REPORT,
                                                 l->user, l->host, l->ip, NULL),
                v);
  }
  v->reason = reason;
  v->admit = reason == TP_REASON_OK;
  /* A tls_cert login has no other credential than the certificate: neither
   * REPORT mode nor break-glass may admit it past a failed decision. */
  if (!v->admit && in->identity_required)
    return;
  if (!v->admit && in->report_mode)
  {
    v->admit = TRUE;
    v->report_only = TRUE;
  }
  else if (!v->admit && in->break_glass_eligible && state_failure(reason))
  {
    v->admit = TRUE;
    v->break_glass = TRUE;
  }
}
