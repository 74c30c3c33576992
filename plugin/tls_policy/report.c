/*
 * report.c — counting decisions and writing one bounded, cleaned error-log
 * line per denial (user, host, reason, rule, what was seen).
 *
 * Every error-log line of the plugin is written by vlog(), which cleans the
 * whole formatted message (text_clean.h, TP_TEXT_LINE): whatever a caller
 * passes — row fields, parser messages quoting input, certificate fields,
 * client-sent names, paths from variables — cannot break the line or put
 * control characters into the log.  Values shown between quotes are
 * cleaned as fields by their caller as well (tp_report_decision below).
 */
#include <stdarg.h>
#include <string.h>
#include <mysql/plugin.h>
#include <mysqld_error.h>
#include "tls_policy/text_clean.h"
#include "report.h"

/* ME_ flags from my_sys.h, which a plugin cannot include cleanly. */
#define TP_ME_ERROR_LOG_ONLY 128
#define TP_ME_NOTE 1024
#define TP_ME_WARNING 2048

tp_counters tp_stats;

G_GNUC_PRINTF(2, 0)
static void vlog(unsigned long flags, const char *fmt, va_list ap)
{
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  g_autoptr(GString) line = g_string_sized_new(strlen(msg) + 16);
  tp_text_append_escaped(line, msg, strlen(msg), TP_LOG_LINE_MAX,
                         TP_TEXT_LINE);
  my_printf_error(ER_UNKNOWN_ERROR, "tls_policy: %s",
                  TP_ME_ERROR_LOG_ONLY | flags, line->str);
}

void tp_log_note(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vlog(TP_ME_NOTE, fmt, ap);
  va_end(ap);
}

void tp_log_warning(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vlog(TP_ME_WARNING, fmt, ap);
  va_end(ap);
}

void tp_log_error(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vlog(0, fmt, ap);
  va_end(ap);
}

static const char *transport_name(tp_transport t)
{
  switch (t)
  {
  case TP_TRANSPORT_TCP: return "tcp";
  case TP_TRANSPORT_SOCKET: return "socket";
  default: return "unknown";
  }
}

static const char *tls_name(tp_tls_state s)
{
  switch (s)
  {
  case TP_TLS_YES: return "yes";
  case TP_TLS_NO: return "no";
  default: return "unknown";
  }
}

/* The counters of one verdict.  credentials_accepted FALSE: the handler
 * refused the credentials, so the login does not get in and the admission
 * side (admitted, break-glass) does not move; everything else moves as for
 * accepted credentials (security-model.md, "What an unprivileged account
 * can learn"). */
static void count_verdict(const tp_verdict *v, gboolean credentials_accepted)
{
  tp_count(&tp_stats.logins_checked);
  if (v->report_rows_failed)
    __atomic_add_fetch(&tp_stats.report_rows_failed, v->report_rows_failed,
                       __ATOMIC_RELAXED);
  if (v->reason == TP_REASON_OK)
  {
    if (credentials_accepted)
      tp_count(&tp_stats.logins_admitted);
  }
  else if (v->report_only)
  {
    tp_count(&tp_stats.logins_would_deny);
    tp_count(&tp_stats.would_deny[v->reason]);
  }
  else if (v->break_glass)
  {
    if (credentials_accepted)
      tp_count(&tp_stats.break_glass_logins);
  }
  else
  {
    tp_count(&tp_stats.logins_denied);
    tp_count(&tp_stats.denied[v->reason]);
  }
}

void tp_report_decision(const tp_login *login, const char *auth_plugin,
                        const tp_verdict *v)
{
  count_verdict(v, TRUE);
  const char *what;
  if (v->reason == TP_REASON_OK)
  {
    if (!v->report_rows_failed)
      return;
    what = "admitted, REPORT row would deny";
  }
  else if (v->report_only)
    what = "would deny (REPORT mode)";
  else if (v->break_glass)
    what = "break-glass admission over the local socket despite";
  else
    what = "denied";

  g_autoptr(GString) line = g_string_new(NULL);
  g_string_append_printf(line, "%s '", what);
  tp_text_append_clean(line, login->user, strlen(login->user), 64);
  g_string_append(line, "'@'");
  tp_text_append_clean(line, login->host, strlen(login->host), 128);
  g_string_append_printf(line, "' reason=%s rule=%s auth=%s transport=%s tls=%s",
                         tp_reason_name(v->reason == TP_REASON_OK
                                            ? v->report_reason : v->reason),
                         v->reason == TP_REASON_OK ? "report-row" : v->rule,
                         auth_plugin, transport_name(login->transport),
                         tls_name(login->tls_state));
  if (v->reason == TP_REASON_OK)
    g_string_append_printf(line, " row=%" G_GUINT64_FORMAT,
                           (guint64) v->report_row_id);
  if (login->tls)
  {
    g_string_append_printf(line, " protocol=%s cipher=", login->tls->protocol);
    tp_text_append_clean(line, login->tls->cipher, strlen(login->tls->cipher), 64);
  }
  if (v->detail && v->detail->len)
  {
    g_string_append(line, " seen='");
    tp_text_append_clean(line, v->detail->str, v->detail->len, TP_LOG_FIELD_MAX);
    g_string_append_c(line, '\'');
  }
  /* A denied (or would-deny) login names its failing REPORT row too. */
  if (v->reason != TP_REASON_OK && v->report_rows_failed)
    g_string_append_printf(line, " report_row=%" G_GUINT64_FORMAT
                           " report_reason=%s", (guint64) v->report_row_id,
                           tp_reason_name(v->report_reason));
  if (v->reason == TP_REASON_OK || v->report_only || v->break_glass)
    tp_log_note("%s", line->str);
  else
    tp_log_warning("%s", line->str);
}

void tp_report_refused_credentials(const tp_verdict *v)
{
  count_verdict(v, FALSE);
}
