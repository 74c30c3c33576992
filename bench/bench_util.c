/*
 * bench_util.c — see bench_util.h.
 */
#define _GNU_SOURCE
#include "bench_util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <errmsg.h>
#include <mysqld_error.h>

void bu_die(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("bench: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(2);
}

const char *bu_outcome_name(bu_outcome o)
{
  switch (o)
  {
  case BU_ADMITTED:
    return "admitted";
  case BU_DENIED:
    return "denied";
  case BU_TLS_FAILED:
    return "tls_failed";
  default:
    return "other_error";
  }
}

const char *bu_transport_name(bu_transport t)
{
  switch (t)
  {
  case BU_PLAIN:
    return "plain";
  case BU_TLS:
    return "tls";
  case BU_CERT:
    return "tls+cert";
  case BU_SOCKET:
    return "socket";
  case BU_SOCKET_TLS:
    return "socket+tls";
  }
  return "?";
}

double bu_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

uint64_t bu_now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

void bu_sleep(double seconds)
{
  if (seconds <= 0)
    return;
  struct timespec ts = {(time_t) seconds,
                        (long) ((seconds - (time_t) seconds) * 1e9)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

bu_outcome bu_login_once(const bu_target *t, const bu_login *l, unsigned *err,
                         char *msg, size_t msglen)
{
  MYSQL *m = mysql_init(NULL);
  if (!m)
    bu_die("mysql_init: out of memory");
  unsigned timeout = 20;
  mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &timeout);
  mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
  bool socket = l->transport == BU_SOCKET || l->transport == BU_SOCKET_TLS;
  unsigned proto = socket ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;
  mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &proto);
  if (l->transport == BU_TLS || l->transport == BU_CERT ||
      l->transport == BU_SOCKET_TLS)
  {
    my_bool on = 1;
    mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &on);
    mysql_optionsv(m, MYSQL_OPT_SSL_CA, t->ca);
    /* Over the unix socket the server name is not 127.0.0.1: check the
     * chain only. */
    my_bool verify = !socket;
    mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
    if (l->cert)
    {
      mysql_optionsv(m, MYSQL_OPT_SSL_CERT, l->cert);
      mysql_optionsv(m, MYSQL_OPT_SSL_KEY, l->key);
    }
  }
  bu_outcome o;
  if (mysql_real_connect(m, socket ? "localhost" : t->host, l->user,
                         l->password, NULL, socket ? 0 : t->port,
                         socket ? t->socket : NULL, 0))
  {
    o = BU_ADMITTED;
    if (err)
      *err = 0;
    if (msg && msglen)
      msg[0] = 0;
  }
  else
  {
    unsigned e = mysql_errno(m);
    if (err)
      *err = e;
    if (msg && msglen)
      snprintf(msg, msglen, "%s", mysql_error(m));
    o = e == ER_ACCESS_DENIED_ERROR    ? BU_DENIED
        : e == CR_SSL_CONNECTION_ERROR ? BU_TLS_FAILED
                                       : BU_OTHER_ERROR;
  }
  mysql_close(m);
  return o;
}

MYSQL *bu_admin_connect(const bu_target *t)
{
  MYSQL *m = mysql_init(NULL);
  unsigned proto = MYSQL_PROTOCOL_SOCKET;
  mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &proto);
  for (int i = 0; i < 100; i++)
  {
    if (mysql_real_connect(m, "localhost", "root", "", NULL, 0, t->socket, 0))
      return m;
    bu_sleep(0.1);
  }
  bu_die("admin connection over %s failed: %s", t->socket, mysql_error(m));
}

static unsigned vexec(MYSQL *m, bool must, const char *fmt, va_list ap)
{
  char *q = NULL;
  if (vasprintf(&q, fmt, ap) < 0)
    bu_die("out of memory");
  unsigned e = 0;
  if (mysql_real_query(m, q, strlen(q)))
    e = mysql_errno(m);
  else
  {
    MYSQL_RES *r = mysql_store_result(m);
    if (r)
      mysql_free_result(r);
    while (mysql_more_results(m) && mysql_next_result(m) == 0)
      if ((r = mysql_store_result(m)))
        mysql_free_result(r);
  }
  if (e && must)
    bu_die("query failed: %s: %s (errno %u)", q, mysql_error(m), e);
  free(q);
  return e;
}

unsigned bu_exec(MYSQL *m, bool must, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  unsigned e = vexec(m, must, fmt, ap);
  va_end(ap);
  return e;
}

long long bu_query_ll(MYSQL *m, long long dflt, unsigned *err, const char *fmt,
                      ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *q = NULL;
  if (vasprintf(&q, fmt, ap) < 0)
    bu_die("out of memory");
  va_end(ap);
  long long v = dflt;
  if (err)
    *err = 0;
  if (mysql_real_query(m, q, strlen(q)))
  {
    if (err)
      *err = mysql_errno(m);
  }
  else
  {
    MYSQL_RES *r = mysql_store_result(m);
    MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
    if (row && row[0])
      v = strtoll(row[0], NULL, 10);
    if (r)
      mysql_free_result(r);
  }
  free(q);
  return v;
}

long long bu_status(MYSQL *m, const char *name)
{
  return bu_query_ll(
      m, -1, NULL,
      "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
      "WHERE VARIABLE_NAME = UPPER('%s')",
      name);
}

bool bu_plugin_active(MYSQL *m)
{
  return bu_query_ll(m, 0, NULL,
                     "SELECT COUNT(*) FROM information_schema.PLUGINS WHERE "
                     "PLUGIN_NAME='TLS_POLICY' AND PLUGIN_STATUS='ACTIVE'") > 0;
}

long bu_file_size(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 ? (long) st.st_size : 0;
}

int bu_errlog_last_state(const char *path, long from)
{
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  if (from > 0)
    fseek(f, from, SEEK_SET);
  int state = -1;
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0)
  {
    if (strstr(line, "tls_policy: version ") && strstr(line, " active on "))
      state = 1;
    else if (strstr(line,
                    "tls_policy: stopped; authentication handlers restored"))
      state = 0;
  }
  free(line);
  fclose(f);
  return state;
}

void bu_install(MYSQL *m, const char *errlog, double timeout)
{
  double end = bu_now() + timeout;
  for (;;)
  {
    unsigned e = bu_exec(m, false, "INSTALL SONAME 'tls_policy'");
    if (bu_plugin_active(m))
      return; /* installed now, or already was */
    if (bu_now() > end)
      bu_die("INSTALL SONAME 'tls_policy' did not succeed (last errno %u: %s)",
             e, mysql_error(m));
    bu_sleep(0.1);
  }
}

void bu_uninstall(MYSQL **m, const bu_target *t, const char *errlog,
                  double timeout)
{
  long from = bu_file_size(errlog);
  unsigned e = bu_exec(*m, false, "UNINSTALL SONAME 'tls_policy'");
  if (e == ER_SP_DOES_NOT_EXIST)
    return; /* not installed */
  if (e)
    bu_die("UNINSTALL SONAME 'tls_policy': %s (errno %u)", mysql_error(*m), e);
  /* MariaDB finishes the UNINSTALL of an audit plugin when no session
   * holds it: end this session's hold by reconnecting. */
  mysql_close(*m);
  *m = bu_admin_connect(t);
  double end = bu_now() + timeout;
  while (bu_errlog_last_state(errlog, from) != 0)
  {
    if (bu_now() > end)
      bu_die("tls_policy was not deinitialised within %.0f s (see %s)", timeout,
             errlog);
    bu_exec(*m, false, "SELECT 1");
    bu_sleep(0.05);
  }
}

void bu_wait_policy(MYSQL *m, long long rules, double quiet, double timeout)
{
  double end = bu_now() + timeout;
  long long last_refreshes = -2;
  double quiet_since = bu_now();
  for (;;)
  {
    long long loaded = bu_status(m, "Tls_policy_policy_loaded");
    long long n = bu_status(m, "Tls_policy_rules_loaded");
    long long r = bu_status(m, "Tls_policy_policy_refreshes");
    double now = bu_now();
    if (r != last_refreshes)
    {
      last_refreshes = r;
      quiet_since = now;
    }
    if (loaded == 1 && n == rules && now - quiet_since >= quiet)
      return;
    if (now > end)
      bu_die("policy not settled: loaded=%lld rules_loaded=%lld (want %lld)",
             loaded, n, rules);
    bu_sleep(0.1);
  }
}

double bu_proc_cpu_seconds(long pid)
{
  char path[64], buf[2048];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  /* Fields after the command name, which is in parentheses and may hold
   * spaces: state is field 3, utime 14, stime 15. */
  char *p = strrchr(buf, ')');
  if (!p)
    return -1;
  unsigned long long ut = 0, st = 0;
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
             &ut, &st) != 2)
    return -1;
  return (double) (ut + st) / (double) sysconf(_SC_CLK_TCK);
}

long bu_read_pid(const char *pid_file)
{
  FILE *f = fopen(pid_file, "r");
  long pid = -1;
  if (f)
  {
    if (fscanf(f, "%ld", &pid) != 1)
      pid = -1;
    fclose(f);
  }
  return pid;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

double bu_median(const double *v, size_t n)
{
  if (!n)
    return NAN;
  double *c = malloc(n * sizeof *c);
  memcpy(c, v, n * sizeof *c);
  qsort(c, n, sizeof *c, cmp_double);
  double m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
  free(c);
  return m;
}

double bu_min(const double *v, size_t n)
{
  double m = n ? v[0] : NAN;
  for (size_t i = 1; i < n; i++)
    if (v[i] < m)
      m = v[i];
  return m;
}

double bu_max(const double *v, size_t n)
{
  double m = n ? v[0] : NAN;
  for (size_t i = 1; i < n; i++)
    if (v[i] > m)
      m = v[i];
  return m;
}

double bu_stdev(const double *v, size_t n)
{
  if (n < 2)
    return 0;
  double s = 0, q = 0;
  for (size_t i = 0; i < n; i++)
    s += v[i];
  double mean = s / n;
  for (size_t i = 0; i < n; i++)
    q += (v[i] - mean) * (v[i] - mean);
  return sqrt(q / (n - 1));
}
