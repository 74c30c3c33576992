/*
 * refresh_bench.c — how long tls_policy takes to load a large
 * mysql.tls_policy, and whether logins wait meanwhile.
 *
 * One thread logs in continuously (one kind: plain, tls or cert) and
 * records the start and duration of every login.  Meanwhile, from the
 * DBA's side, the program
 *   1. measures a baseline (nothing changes),
 *   2. loads --rules rows for other accounts with ONE INSERT ... SELECT and
 *      times until Tls_policy_rules_loaded shows them (polled every 10 ms
 *      from another session), then until refreshes stop (settle period),
 *   3. updates ONE row of the large table and times until
 *      Tls_policy_policy_generation moves,
 *   4. times statements in the session that wrote the table (the plugin
 *      re-reads the table after each of them, plugin.c `touched`) and in a
 *      fresh session,
 *   5. times CHECKSUM TABLE mysql.tls_policy (the periodic check),
 *   6. deletes the rows again and times until the count is back.
 * For each window it reports the logins that overlapped it: count, median,
 * p99 and max latency, next to the baseline.
 *
 *   refresh_bench --port P --socket S --ca CA --cert C --key K \
 *                 [--kind tls] [--user bench_tls] [--rules 100000] [--baseline 5]
 *
 * The account must exist with a rule the login passes (run_refresh_bench.sh
 * sets it up); the program owns the rows whose Comment is 'bench-filler'.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mysql.h>
#include "bench_util.h"

static struct {
  bu_target target;
  bu_login login;
  long rules;
  double baseline;
  const char *kind;
} opt = {
    .target = {.host = "127.0.0.1", .port = 13306},
    .login = {.transport = BU_TLS, .user = "bench_tls", .password = "pw"},
    .rules = 100000,
    .baseline = 5,
    .kind = "tls",
};

/* ---- the login thread ------------------------------------------------------ */

typedef struct sample {
  double start, latency;
  bool ok;
} sample;
#define MAX_SAMPLES (4 * 1024 * 1024)
static sample *samples;
static atomic_long n_samples;
static atomic_bool stop_logins;

static void *login_main(void *unused)
{
  mysql_thread_init();
  while (!atomic_load(&stop_logins))
  {
    long i = atomic_load(&n_samples);
    if (i >= MAX_SAMPLES)
      break;
    double t0 = bu_now();
    unsigned err;
    char msg[256];
    bu_outcome o =
        bu_login_once(&opt.target, &opt.login, &err, msg, sizeof msg);
    double t1 = bu_now();
    samples[i] = (sample){t0, t1 - t0, o == BU_ADMITTED};
    if (o != BU_ADMITTED)
      fprintf(stderr, "refresh_bench: login not admitted: %u %s\n", err, msg);
    atomic_store(&n_samples, i + 1);
  }
  mysql_thread_end();
  return NULL;
}

/* ---- windows --------------------------------------------------------------- */

typedef struct window {
  const char *name;
  double from, to;
} window;
#define MAX_WINDOWS 16
static window windows[MAX_WINDOWS];
static int n_windows;

static void add_window(const char *name, double from, double to)
{
  if (n_windows < MAX_WINDOWS)
    windows[n_windows++] = (window){name, from, to};
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static void report_window(const window *w, double t_origin)
{
  long n = atomic_load(&n_samples);
  double *lat = malloc(sizeof *lat * (n ? n : 1));
  long k = 0, failed = 0;
  for (long i = 0; i < n; i++)
  {
    const sample *s = &samples[i];
    if (s->start < w->to && s->start + s->latency > w->from)
    {
      lat[k++] = s->latency * 1000;
      failed += !s->ok;
    }
  }
  qsort(lat, k, sizeof *lat, cmp_double);
  double len = w->to - w->from;
  if (k)
    printf("%-34s %8.3f %8.3f %7ld %8.1f %8.2f %8.2f %8.2f %6ld\n", w->name,
           w->from - t_origin, len, k, k / (len > 0 ? len : 1), lat[k / 2],
           lat[(long) floor(0.99 * (k - 1))], lat[k - 1], failed);
  else
    printf("%-34s %8.3f %8.3f %7d %8s %8s %8s %8s %6d\n", w->name,
           w->from - t_origin, len, 0, "-", "-", "-", "-", 0);
  free(lat);
}

/* ---- a statement on its own connection, timed -------------------------------- */

typedef struct stmt_job {
  pthread_t th;
  const char *sql;
  double start, end;
  unsigned err;
  atomic_bool done;
} stmt_job;

static void *stmt_main(void *p)
{
  stmt_job *j = p;
  mysql_thread_init();
  MYSQL *m = bu_admin_connect(&opt.target);
  j->start = bu_now();
  j->err = bu_exec(m, false, "%s", j->sql);
  j->end = bu_now();
  mysql_close(m);
  mysql_thread_end();
  atomic_store(&j->done, true);
  return NULL;
}

static void stmt_start(stmt_job *j, const char *sql)
{
  memset(j, 0, sizeof *j);
  j->sql = sql;
  if (pthread_create(&j->th, NULL, stmt_main, j))
    bu_die("pthread_create");
}

/* Polls `name` every 10 ms until it equals `want` (or, want < 0, until it
 * differs from -want-1); returns the time it was first seen. */
static double poll_status(MYSQL *m, const char *name, long long want,
                          double timeout)
{
  double end = bu_now() + timeout;
  for (;;)
  {
    long long v = bu_status(m, name);
    double now = bu_now();
    if ((want >= 0 && v == want) || (want < 0 && v != -want - 1))
      return now;
    if (now > end)
      bu_die("%s did not reach the expected value within %.0f s (is %lld)",
             name, timeout, v);
    bu_sleep(0.01);
  }
}

/* Waits until Tls_policy_policy_refreshes has not moved for `quiet` s;
 * returns the time of the last change seen. */
static double wait_refresh_quiet(MYSQL *m, double quiet, double timeout)
{
  double end = bu_now() + timeout;
  long long last = bu_status(m, "Tls_policy_policy_refreshes");
  double changed = bu_now();
  for (;;)
  {
    bu_sleep(0.02);
    long long v = bu_status(m, "Tls_policy_policy_refreshes");
    double now = bu_now();
    if (v != last)
    {
      last = v;
      changed = now;
    }
    else if (now - changed >= quiet)
      return changed;
    if (now > end)
      bu_die("refreshes did not stop within %.0f s", timeout);
  }
}

static const char filler_sql_fmt[] =
    "INSERT INTO mysql.tls_policy (Host, User, Requirement, Comment) "
    "SELECT CASE seq %% 4 WHEN 0 THEN '%%' WHEN 1 THEN CONCAT('10.', seq %% "
    "256, '.%%') "
    "  WHEN 2 THEN '192.168.0.0/255.255.0.0' ELSE CONCAT('app', seq %% 100, "
    "'.example.com') END, "
    " CONCAT('filler', LPAD(seq, 7, '0')), "
    " CASE seq %% 6 "
    "  WHEN 0 THEN 'SSL' WHEN 1 THEN 'X509' "
    "  WHEN 2 THEN CONCAT('SUBJECT ''/C=FI/O=Acme/CN=user', seq, ''' AND "
    "ISSUER ''/C=FI/O=tls_policy tests/CN=tls_policy test CA 1''') "
    "  WHEN 3 THEN CONCAT('SUBJECT_DN ''CN=user', seq, ',O=Acme,C=FI'' AND "
    "MIN_TLS_VERSION ''TLSv1.2''') "
    "  WHEN 4 THEN CONCAT('SAN DNS ''host', seq, '.example.com''') "
    "  ELSE CONCAT('SPIFFE ''spiffe://example.org/ns/prod/sa/user', seq, '''') "
    "END, "
    " 'bench-filler' FROM mysql.seq_1_to_%ld";

static void usage(void)
{
  fprintf(stderr,
          "usage: refresh_bench --port P --socket S --ca CA --cert C --key K\n"
          "                     [--kind plain|tls|cert] [--user U] [--password "
          "PW]\n"
          "                     [--rules N] [--baseline SECONDS]\n");
  exit(2);
}

int main(int argc, char **argv)
{
  static const struct option lo[] = {
      {"host", 1, 0, 'h'},  {"port", 1, 0, 'P'},     {"socket", 1, 0, 'S'},
      {"ca", 1, 0, 'A'},    {"cert", 1, 0, 'C'},     {"key", 1, 0, 'K'},
      {"kind", 1, 0, 'i'},  {"user", 1, 0, 'u'},     {"password", 1, 0, 'p'},
      {"rules", 1, 0, 'n'}, {"baseline", 1, 0, 'b'}, {0, 0, 0, 0}};
  int ch;
  while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1)
    switch (ch)
    {
    case 'h':
      opt.target.host = optarg;
      break;
    case 'P':
      opt.target.port = (unsigned) atoi(optarg);
      break;
    case 'S':
      opt.target.socket = optarg;
      break;
    case 'A':
      opt.target.ca = optarg;
      break;
    case 'C':
      opt.login.cert = optarg;
      break;
    case 'K':
      opt.login.key = optarg;
      break;
    case 'i':
      opt.kind = optarg;
      break;
    case 'u':
      opt.login.user = optarg;
      break;
    case 'p':
      opt.login.password = optarg;
      break;
    case 'n':
      opt.rules = atol(optarg);
      break;
    case 'b':
      opt.baseline = atof(optarg);
      break;
    default:
      usage();
    }
  if (!opt.target.socket || !opt.target.ca || opt.rules < 1)
    usage();
  if (strcmp(opt.kind, "plain") == 0)
    opt.login.transport = BU_PLAIN;
  else if (strcmp(opt.kind, "tls") == 0)
    opt.login.transport = BU_TLS;
  else if (strcmp(opt.kind, "cert") == 0)
    opt.login.transport = BU_CERT;
  else
    usage();
  if (opt.login.transport != BU_CERT)
    opt.login.cert = opt.login.key = NULL;
  if (mysql_library_init(0, NULL, NULL))
    bu_die("mysql_library_init");
  samples = calloc(MAX_SAMPLES, sizeof *samples);

  MYSQL *m = bu_admin_connect(&opt.target);
  if (!bu_plugin_active(m))
    bu_die("the tls_policy plugin is not installed");
  bu_exec(m, true, "DELETE FROM mysql.tls_policy WHERE Comment='bench-filler'");
  mysql_close(m);
  m = bu_admin_connect(&opt.target);
  long long base_rules =
      bu_query_ll(m, -1, NULL, "SELECT COUNT(*) FROM mysql.tls_policy");
  poll_status(m, "Tls_policy_rules_loaded", base_rules, 600);
  wait_refresh_quiet(m, 3.5, 600);

  pthread_t lt;
  if (pthread_create(&lt, NULL, login_main, NULL))
    bu_die("pthread_create");
  double t_origin = bu_now();

  /* 1. baseline */
  bu_sleep(opt.baseline);
  add_window("baseline (no change)", t_origin, bu_now());

  /* 2. bulk load in one statement */
  char *sql = NULL;
  if (asprintf(&sql, filler_sql_fmt, opt.rules) < 0)
    bu_die("oom");
  stmt_job j;
  stmt_start(&j, sql);
  double seen =
      poll_status(m, "Tls_policy_rules_loaded", base_rules + opt.rules, 600);
  pthread_join(j.th, NULL);
  if (j.err)
    bu_die("bulk INSERT failed with errno %u", j.err);
  double load_stmt = j.end - j.start, load_seen = seen - j.start;
  fprintf(stderr,
          "refresh_bench: bulk load: statement %.3f s, loaded after %.3f s\n",
          load_stmt, load_seen);
  add_window("bulk INSERT..SELECT until loaded", j.start, seen);
  double settle_from = seen;
  double last_refresh = wait_refresh_quiet(m, 3.5, 600);
  add_window("settle re-reads after the load", settle_from, last_refresh);
  double quiet_from = bu_now();
  bu_sleep(opt.baseline);
  add_window("quiet, 100k rows loaded", quiet_from, bu_now());

  /* 3. one row changed in the large table */
  long long gen = bu_status(m, "Tls_policy_policy_generation");
  stmt_start(&j, "UPDATE mysql.tls_policy SET "
                 "Requirement=IF(Requirement='SSL','X509','SSL') "
                 "WHERE Comment='bench-filler' ORDER BY Id LIMIT 1");
  double gen_seen =
      poll_status(m, "Tls_policy_policy_generation", -gen - 1, 600);
  pthread_join(j.th, NULL);
  double upd_stmt = j.end - j.start, upd_seen = gen_seen - j.start;
  fprintf(stderr,
          "refresh_bench: one-row update: statement %.3f s, new generation "
          "after %.3f s\n",
          upd_stmt, upd_seen);
  add_window("one-row UPDATE until new generation", j.start, gen_seen);
  settle_from = gen_seen;
  last_refresh = wait_refresh_quiet(m, 3.5, 600);
  add_window("settle re-reads after the UPDATE", settle_from, last_refresh);

  /* 3b. is the change visible to the next login once the UPDATE returned?
   * Account bench_probe (rule SSL, TLS logins without a certificate) is
   * switched to X509; logins right after the UPDATE's OK packet show how
   * long the old rule still decides.  Skipped without that account. */
  double probe_ms[3] = {-1, -1, -1};
  long probe_admitted[3] = {0, 0, 0};
  int probes = 0;
  {
    MYSQL *w = bu_admin_connect(&opt.target);
    if (bu_query_ll(
            w, 0, NULL,
            "SELECT COUNT(*) FROM mysql.tls_policy WHERE User='bench_probe'") ==
        1)
    {
      bu_login probe = {
          .transport = BU_TLS, .user = "bench_probe", .password = "pw"};
      for (int i = 0; i < 3; i++, probes++)
      {
        MYSQL *u = bu_admin_connect(&opt.target);
        double t0 = bu_now();
        bu_exec(u, true,
                "UPDATE mysql.tls_policy SET Requirement='X509' WHERE "
                "User='bench_probe'");
        double t_ok = bu_now();
        for (;;)
        {
          if (bu_login_once(&opt.target, &probe, NULL, NULL, 0) != BU_ADMITTED)
            break;
          probe_admitted[i]++;
          if (bu_now() - t_ok > 30)
            break;
        }
        probe_ms[i] = (bu_now() - t_ok) * 1000;
        fprintf(stderr,
                "refresh_bench: probe %d: UPDATE took %.1f ms; %ld logins "
                "admitted by the old rule "
                "after it returned, first denial after %.1f ms\n",
                i + 1, (t_ok - t0) * 1000, probe_admitted[i], probe_ms[i]);
        mysql_close(u);
        u = bu_admin_connect(&opt.target);
        bu_exec(u, true,
                "UPDATE mysql.tls_policy SET Requirement='SSL' WHERE "
                "User='bench_probe'");
        bu_exec(u, true, "SELECT 1"); /* wait for the re-read (see above) */
        mysql_close(u);
        wait_refresh_quiet(m, 3.5, 600);
      }
    }
    mysql_close(w);
  }

  /* 4. statements in a session that wrote the table, and in a fresh one */
  MYSQL *writer = bu_admin_connect(&opt.target);
  bu_exec(writer, true,
          "UPDATE mysql.tls_policy SET "
          "Requirement=IF(Requirement='SSL','X509','SSL') "
          "WHERE Comment='bench-filler' ORDER BY Id LIMIT 1");
  double touched_ms[5], fresh_ms[5];
  double tw0 = bu_now();
  for (int i = 0; i < 5; i++)
  {
    double a = bu_now();
    bu_exec(writer, true, "SELECT 1");
    touched_ms[i] = (bu_now() - a) * 1000;
  }
  add_window("5 x SELECT 1 in the writing session", tw0, bu_now());
  mysql_close(writer);
  MYSQL *fresh = bu_admin_connect(&opt.target);
  for (int i = 0; i < 5; i++)
  {
    double a = bu_now();
    bu_exec(fresh, true, "SELECT 1");
    fresh_ms[i] = (bu_now() - a) * 1000;
  }
  mysql_close(fresh);
  wait_refresh_quiet(m, 3.5, 600);

  /* 5. the periodic check's statement */
  double cs0 = bu_now();
  bu_exec(m, true, "CHECKSUM TABLE mysql.tls_policy");
  double checksum_ms = (bu_now() - cs0) * 1000;

  /* 6. delete the rows again */
  stmt_start(&j, "DELETE FROM mysql.tls_policy WHERE Comment='bench-filler'");
  seen = poll_status(m, "Tls_policy_rules_loaded", base_rules, 600);
  pthread_join(j.th, NULL);
  double del_stmt = j.end - j.start, del_seen = seen - j.start;
  add_window("DELETE of the rows until unloaded", j.start, seen);
  wait_refresh_quiet(m, 3.5, 600);
  double tail = bu_now();
  bu_sleep(opt.baseline);
  add_window("baseline again (small table)", tail, bu_now());

  atomic_store(&stop_logins, true);
  pthread_join(lt, NULL);
  mysql_close(m);

  printf("# refresh_bench: %s:%u, %ld rows for other accounts, continuous %s "
         "logins as '%s'\n",
         opt.target.host, opt.target.port, opt.rules, opt.kind, opt.login.user);
  printf("bulk INSERT..SELECT of %ld rows: statement %.3f s, rules_loaded "
         "reached after %.3f s\n",
         opt.rules, load_stmt, load_seen);
  printf("one-row UPDATE in the %ld-row table: statement %.3f s, new "
         "generation after %.3f s\n",
         opt.rules, upd_stmt, upd_seen);
  printf("DELETE of the %ld rows: statement %.3f s, rules_loaded back after "
         "%.3f s\n",
         opt.rules, del_stmt, del_seen);
  for (int i = 0; i < probes; i++)
    printf("rule changed by UPDATE (one row, %ld-row table): %ld logins still "
           "admitted by the old rule "
           "after the UPDATE returned; first login decided by the new rule "
           "after %.1f ms\n",
           opt.rules, probe_admitted[i], probe_ms[i]);
  printf("SELECT 1 in the session that wrote the table (ms):");
  for (int i = 0; i < 5; i++)
    printf(" %.1f", touched_ms[i]);
  printf("\nSELECT 1 in a fresh session (ms):");
  for (int i = 0; i < 5; i++)
    printf(" %.1f", fresh_ms[i]);
  printf("\nCHECKSUM TABLE mysql.tls_policy with %ld rows (periodic check): "
         "%.1f ms\n",
         opt.rules, checksum_ms);
  printf("\n%-34s %8s %8s %7s %8s %8s %8s %8s %6s\n",
         "window (logins overlapping it)", "from_s", "len_s", "logins", "per_s",
         "med_ms", "p99_ms", "max_ms", "failed");
  for (int i = 0; i < n_windows; i++)
    report_window(&windows[i], t_origin);
  long failed = 0;
  for (long i = 0; i < atomic_load(&n_samples); i++)
    failed += !samples[i].ok;
  printf("# logins: %ld, not admitted: %ld (must be 0)\n",
         atomic_load(&n_samples), failed);
  mysql_library_end();
  return failed ? 1 : 0;
}
