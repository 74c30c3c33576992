/*
 * report.c — counting decisions and writing one bounded, cleaned error-log
 * line per denial (user, host, reason, rule, what was seen).
 *
 * Every error-log line of the plugin is written by vlog(), which cleans the
 * whole formatted message (text_clean.h, TP_TEXT_LINE): whatever a caller
 * passes — row fields, parser messages quoting input, certificate fields,
 * client-sent names, paths from variables — cannot break the line or put
 * control characters into the log.  Values shown between quotes are
 * cleaned as fields by their caller as well (tlsp_report_decision below).
 *
 * Repeated denials are aggregated (tls_policy_log_repeat_interval): the
 * first denial of a (reason, user, host) key in an interval is logged in
 * full, later identical ones are only counted, and one summary line per
 * key says how many when the interval ends (written by the flusher
 * thread), when the key is denied again after it, or when its slot is
 * taken for another key (log_repeat.h: a fixed table of 128 slots, so
 * memory is bounded and a counted denial allocates nothing).  Counters
 * move for every login as before; only log lines are aggregated.
 */
#include <stdarg.h>
#include <string.h>
#include <mysql/plugin.h>
#include <mysqld_error.h>
#include "tls_policy/log_repeat.h"
#include "tls_policy/text_clean.h"
#include "module.h"
#include "report.h"
#include "server_abi.h"

/* ME_ flags from my_sys.h, which a plugin cannot include cleanly. */
#define TP_ME_ERROR_LOG_ONLY 128
#define TP_ME_NOTE 1024
#define TP_ME_WARNING 2048

tlsp_counters tlsp_stats;

G_GNUC_PRINTF(2, 0)
static void vlog(unsigned long flags, const char *fmt, va_list ap)
{
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  g_autoptr(GString) line = g_string_sized_new(strlen(msg) + 16);
  tlsp_text_append_escaped(line, msg, strlen(msg), TP_LOG_LINE_MAX,
                           TP_TEXT_LINE);
  my_printf_error(ER_UNKNOWN_ERROR, "tls_policy: %s",
                  TP_ME_ERROR_LOG_ONLY | flags, line->str);
}

void tlsp_log_note(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vlog(TP_ME_NOTE, fmt, ap);
  va_end(ap);
}

void tlsp_log_warning(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vlog(TP_ME_WARNING, fmt, ap);
  va_end(ap);
}

void tlsp_log_error(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vlog(0, fmt, ap);
  va_end(ap);
}

/* The counters of one verdict.  credentials_accepted FALSE: the handler
 * refused the credentials, so the login does not get in and the admission
 * side (admitted, break-glass) does not move; everything else moves as for
 * accepted credentials (security-model.md, "What an unprivileged account
 * can learn"). */
static void count_verdict(const tlsp_verdict *v, gboolean credentials_accepted)
{
  tlsp_count(&tlsp_stats.logins_checked);
  if (v->report_rows_failed)
    __atomic_add_fetch(&tlsp_stats.report_rows_failed, v->report_rows_failed,
                       __ATOMIC_RELAXED);
  if (v->reason == TP_REASON_OK)
  {
    if (credentials_accepted)
      tlsp_count(&tlsp_stats.logins_admitted);
  }
  else if (v->report_only)
  {
    tlsp_count(&tlsp_stats.logins_would_deny);
    tlsp_count(&tlsp_stats.would_deny[v->reason]);
  }
  else if (v->break_glass)
  {
    if (credentials_accepted)
      tlsp_count(&tlsp_stats.break_glass_logins);
  }
  else
  {
    tlsp_count(&tlsp_stats.logins_denied);
    tlsp_count(&tlsp_stats.denied[v->reason]);
  }
}

/* ---- aggregation of repeated denial lines -------------------------------- */

/* repeat_lock protects repeat_table, repeat_active, repeat_quit and reads
 * and writes of opt_log_repeat_interval after start.  It is held only for
 * a table operation (a scan of 128 slots, no allocation, no call into the
 * server); log lines are written after it is released.  repeat_cond wakes
 * the flusher when a summary becomes due earlier than it waits for, when
 * the interval changes, and to stop it. */
static GMutex repeat_lock;
static GCond repeat_cond;
static tlsp_repeat_table repeat_table;
static gboolean repeat_active; /* FALSE: every denial is logged */
static gboolean repeat_quit;
static GThread *repeat_thread; /* owned by start/stop (server's plugin
                                    serialisation) */
static unsigned int opt_log_repeat_interval;
static unsigned long long lines_suppressed;

static gint64 repeat_interval_us(void)
{
  return (gint64) opt_log_repeat_interval * G_USEC_PER_SEC;
}

static void log_summary(const tlsp_repeat_summary *s)
{
  g_autoptr(GString) line = g_string_new("denied '");
  tlsp_text_append_clean(line, s->user, strlen(s->user), 64);
  g_string_append(line, "'@'");
  tlsp_text_append_clean(line, s->host, strlen(s->host), 128);
  gint64 secs = (s->span_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
  g_string_append_printf(line,
                         "' reason=%s repeated %" G_GUINT64_FORMAT
                         " more time%s in the last %" G_GINT64_FORMAT " s",
                         tlsp_reason_name((tlsp_reason) s->reason), s->count,
                         s->count == 1 ? "" : "s", secs > 0 ? secs : 1);
  tlsp_log_warning("%s", line->str);
}

/* TRUE if the denial's line is to be written; FALSE if it was counted into
 * its key's open window.  Writes the summary of a window this closes. */
static gboolean denial_line_due(const tlsp_login *login, tlsp_reason reason)
{
  tlsp_repeat_summary summary; /* on the stack: nothing allocated here */
  gboolean has_summary = FALSE;
  tlsp_repeat_action act = TP_REPEAT_LOG;
  g_mutex_lock(&repeat_lock);
  if (repeat_active)
    act = tlsp_repeat_note(&repeat_table, reason, login->user, login->host,
                           g_get_monotonic_time(), repeat_interval_us(),
                           &summary, &has_summary);
  if (act == TP_REPEAT_COUNT_FIRST)
    g_cond_signal(&repeat_cond); /* a summary is due at this window's end */
  g_mutex_unlock(&repeat_lock);
  if (act != TP_REPEAT_LOG)
    tlsp_count(&lines_suppressed);
  if (has_summary)
    log_summary(&summary);
  return act == TP_REPEAT_LOG;
}

/* Writes the summaries of ended windows; sleeps until the next one ends. */
static gpointer flusher_main(gpointer data)
{
  gboolean mysys = tlsp_server_thread_init();
  tlsp_repeat_summary summary;
  g_mutex_lock(&repeat_lock);
  while (!repeat_quit)
  {
    gint64 interval = repeat_interval_us();
    if (tlsp_repeat_take_due(&repeat_table, g_get_monotonic_time(), interval,
                             FALSE, &summary))
    {
      g_mutex_unlock(&repeat_lock);
      log_summary(&summary);
      g_mutex_lock(&repeat_lock);
      continue;
    }
    gint64 due = tlsp_repeat_next_due(&repeat_table, interval);
    if (due == G_MAXINT64)
      g_cond_wait(&repeat_cond, &repeat_lock);
    else
      g_cond_wait_until(&repeat_cond, &repeat_lock, due);
  }
  g_mutex_unlock(&repeat_lock);
  if (mysys)
    tlsp_server_thread_end();
  return NULL;
}

static gboolean report_start(GError **error)
{
  __atomic_store_n(&lines_suppressed, 0, __ATOMIC_RELAXED);
  g_mutex_lock(&repeat_lock);
  tlsp_repeat_reset(&repeat_table);
  repeat_quit = FALSE;
  repeat_active = FALSE;
  g_mutex_unlock(&repeat_lock);
  g_autoptr(GError) thread_error = NULL;
  repeat_thread =
      g_thread_try_new("tls_policy_log", flusher_main, NULL, &thread_error);
  if (!repeat_thread)
  {
    /* Not a reason to refuse the plugin: every denial is logged. */
    tlsp_log_warning("every denial is logged, repeated ones are not "
                     "aggregated: cannot start the log thread: %s",
                     thread_error->message);
    return TRUE;
  }
  g_mutex_lock(&repeat_lock);
  repeat_active = TRUE;
  g_mutex_unlock(&repeat_lock);
  return TRUE;
}

/* Stops the flusher and writes every summary still open, so no count is
 * lost at UNINSTALL or shutdown.  Denials after this are logged one by
 * one (a login still inside a trampoline after the handlers were
 * restored). */
static void report_stop(void)
{
  g_mutex_lock(&repeat_lock);
  repeat_quit = TRUE;
  repeat_active = FALSE;
  g_cond_signal(&repeat_cond);
  g_mutex_unlock(&repeat_lock);
  if (repeat_thread)
    g_thread_join(repeat_thread);
  repeat_thread = NULL;
  tlsp_repeat_summary summary;
  for (;;)
  {
    g_mutex_lock(&repeat_lock);
    gboolean more = tlsp_repeat_take_due(&repeat_table, g_get_monotonic_time(),
                                         repeat_interval_us(), TRUE, &summary);
    g_mutex_unlock(&repeat_lock);
    if (!more)
      break;
    log_summary(&summary);
  }
}

/* The server holds LOCK_global_system_variables here; repeat_lock is never
 * held while a server lock is taken, so the order is always server, ours. */
static void update_log_repeat_interval(MYSQL_THD thd,
                                       struct st_mysql_sys_var *var,
                                       void *var_ptr, const void *save)
{
  g_mutex_lock(&repeat_lock);
  *(unsigned int *) var_ptr = *(const unsigned int *) save;
  g_cond_signal(&repeat_cond); /* 0 or shorter: summaries may be due now */
  g_mutex_unlock(&repeat_lock);
}

static MYSQL_SYSVAR_UINT(
    log_repeat_interval, opt_log_repeat_interval, PLUGIN_VAR_RQCMDARG,
    "Seconds over which identical denials (same reason, user and host) are "
    "logged once: the first is logged in full, the others are counted and "
    "one summary line gives their number when the interval ends. 0 logs "
    "every denial.",
    NULL, update_log_repeat_interval, 60, 0, 86400, 0);

static struct st_mysql_sys_var *report_sysvars[] = {
    MYSQL_SYSVAR(log_repeat_interval), NULL};

static struct st_mysql_show_var report_status[] = {
    {"denial_lines_suppressed", (char *) &lines_suppressed, SHOW_ULONGLONG},
    {0, 0, 0}};

const tlsp_module tlsp_module_report = {
    .name = "report",
    .start = report_start,
    .stop = report_stop,
    .sysvars = report_sysvars,
    .status = report_status,
};

/* ---- decisions ------------------------------------------------------------ */

void tlsp_report_decision(const tlsp_login *login, const char *auth_plugin,
                          const tlsp_verdict *v)
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
  {
    what = "denied";
    if (!denial_line_due(login, v->reason))
      return;
  }

  g_autoptr(GString) line = g_string_new(NULL);
  g_string_append_printf(line, "%s '", what);
  tlsp_text_append_clean(line, login->user, strlen(login->user), 64);
  g_string_append(line, "'@'");
  tlsp_text_append_clean(line, login->host, strlen(login->host), 128);
  g_string_append_printf(
      line, "' reason=%s rule=%s auth=%s transport=%s tls=%s",
      tlsp_reason_name(v->reason == TP_REASON_OK ? v->report_reason
                                                 : v->reason),
      v->reason == TP_REASON_OK ? "report-row" : v->rule, auth_plugin,
      tlsp_transport_text(login->transport),
      tlsp_tls_state_text(login->tls_state));
  if (v->reason == TP_REASON_OK)
    g_string_append_printf(line, " row=%" G_GUINT64_FORMAT,
                           (guint64) v->report_row_id);
  if (login->tls)
  {
    g_string_append_printf(line, " protocol=%s cipher=", login->tls->protocol);
    tlsp_text_append_clean(line, login->tls->cipher, strlen(login->tls->cipher),
                           64);
  }
  if (v->detail && v->detail->len)
  {
    g_string_append(line, " seen='");
    tlsp_text_append_clean(line, v->detail->str, v->detail->len,
                           TP_LOG_FIELD_MAX);
    g_string_append_c(line, '\'');
  }
  /* A denied (or would-deny) login names its failing REPORT row too. */
  if (v->reason != TP_REASON_OK && v->report_rows_failed)
    g_string_append_printf(
        line, " report_row=%" G_GUINT64_FORMAT " report_reason=%s",
        (guint64) v->report_row_id, tlsp_reason_name(v->report_reason));
  if (v->reason == TP_REASON_OK || v->report_only || v->break_glass)
    tlsp_log_note("%s", line->str);
  else
    tlsp_log_warning("%s", line->str);
}

void tlsp_report_refused_credentials(const tlsp_verdict *v)
{
  count_verdict(v, FALSE);
}
