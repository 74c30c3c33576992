/*
 * report.h — counters and error-log lines.
 *
 * Counters are 64-bit, updated with atomic adds and exposed directly as
 * status variables (plugin.c).  Log lines go to the server's error log only
 * (ME_ERROR_LOG_ONLY); the client never sees them.
 */
#ifndef TLS_POLICY_REPORT_H
#define TLS_POLICY_REPORT_H

#include <stdint.h>
#include <glib.h>
#include "tls_policy/reasons.h"
#include "tls_policy/decision.h"

typedef struct tlsp_counters {
  unsigned long long logins_checked;
  unsigned long long logins_admitted;
  unsigned long long logins_denied;
  unsigned long long logins_would_deny; /* REPORT mode */
  unsigned long long break_glass_logins;
  unsigned long long report_rows_failed; /* per-row REPORT failures */
  unsigned long long denied[TP_REASON__COUNT];
  unsigned long long would_deny[TP_REASON__COUNT];
} tlsp_counters;

extern tlsp_counters tlsp_stats;

static inline void tlsp_count(unsigned long long *c)
{
  __atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

void tlsp_log_note(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void tlsp_log_warning(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void tlsp_log_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Counts a finished decision and writes its log line (denials, would-deny
 * and break-glass admissions, and admissions with a failing REPORT row;
 * plain admissions are not logged).  A failing REPORT row is named on the
 * line: row=<Id> for an admission, report_row=<Id> report_reason=<reason>
 * at the end of the others.  Denial lines are aggregated per (reason,
 * user, host) over tls_policy_log_repeat_interval (report.c); the counters
 * move for every call. */
void tlsp_report_decision(const tlsp_login *login, const char *auth_plugin,
                          const tlsp_verdict *v);

/* Counts the verdict for a login whose credentials the authentication
 * handler refused, exactly as tlsp_report_decision() would count the same
 * verdict for accepted credentials on the refusal side (checked, denied,
 * would-deny, REPORT rows), so that no status variable moves differently
 * for a right and a wrong password.  Writes no log line. */
void tlsp_report_refused_credentials(const tlsp_verdict *v);

#endif
