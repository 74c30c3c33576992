/*
 * login_bench.c — logins per second with and without tls_policy.
 *
 * Loops connect / authenticate / close (Connector/C, no statement) for
 * three kinds of login — plain TCP, TLS, TLS with a client certificate —
 * at each client thread count, in four configurations of ONE server:
 *
 *   a  the server without the plugin (UNINSTALL SONAME)
 *   b  the plugin installed, mysql.tls_policy empty
 *   c  the plugin with one rule for each benchmark account
 *      (plain: NONE, TLS: SSL, certificate: SUBJECT ... AND ISSUER ...)
 *   d  as (c) plus --rules (default 100000) rules for other accounts
 *
 * Configurations alternate inside one run, repetition r visiting them in
 * the order a b c d when r is even and d c b a when r is odd, so that slow
 * drift of the machine affects every configuration alike.  Every cell is
 * measured --repeats times (default 5) for --seconds each.  The report
 * gives per cell the median logins/s, min..max and stdev over the
 * repetitions, the ratio of each configuration's median to (a)'s, the
 * min..max of the per-repetition ratios, and (d)/(c).
 *
 * The accounts must exist (run_login_bench.sh creates them); the program
 * owns the rows of mysql.tls_policy whose Comment is 'bench-account' or
 * 'bench-filler' and deletes them at the end.
 *
 *   login_bench --port P --socket S --ca CA --cert C --key K \
 *               --errlog FILE --cert-rule "SUBJECT '...' AND ISSUER '...'" \
 *               [--repeats 5] [--seconds 2] [--threads 1,4] [--rules 100000]
 *               [--configs abcd] [--quiet 3] [--raw FILE] [--pid-file FILE]
 *
 * With --pid-file (the server's), each cell also reports mariadbd's CPU
 * time (user + system, from /proc/PID/stat) per login.
 *
 * Fixed-count mode (for callgrind_login.sh): N logins of one kind, one
 * thread, no configuration changes:
 *
 *   login_bench --count N --kind plain|tls|cert --port P --ca CA --cert C --key K
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

#define MAX_THREADS 64
#define MAX_TCOUNTS 8
#define MAX_REPEATS 50
#define N_KINDS 3
#define N_CONFIGS 4

static struct {
  bu_target target;
  const char *cert, *key, *errlog, *cert_rule, *plain_rule, *tls_rule, *raw;
  const char *password, *pid_file;
  const char *users[N_KINDS];
  int repeats;
  double seconds, warmup, quiet;
  int tcounts[MAX_TCOUNTS], n_tcounts;
  long rules;
  char configs[N_CONFIGS + 1];
  long count; /* fixed-count mode */
  const char *kind;
} opt = {
    .target = {.host = "127.0.0.1", .port = 13306},
    .plain_rule = "NONE",
    .tls_rule = "SSL",
    .password = "pw",
    .users = {"bench_plain", "bench_tls", "bench_cert"},
    .repeats = 5,
    .seconds = 2.0,
    .warmup = 0.5,
    .quiet = 3.0,
    .tcounts = {1, 4},
    .n_tcounts = 2,
    .rules = 100000,
    .configs = "abcd",
};

static const bu_transport kinds[N_KINDS] = {BU_PLAIN, BU_TLS, BU_CERT};
static const char *const kind_names[N_KINDS] = {"plain", "tls", "tls+cert"};

static bu_login login_of(int kind)
{
  bu_login l = {.transport = kinds[kind],
                .user = opt.users[kind],
                .password = opt.password};
  if (kinds[kind] == BU_CERT)
  {
    l.cert = opt.cert;
    l.key = opt.key;
  }
  return l;
}

/* ---- one measurement ------------------------------------------------------ */

typedef struct worker {
  pthread_t th;
  int kind;
  double end;
  pthread_barrier_t *start;
  long logins, failures;
  unsigned last_err;
  char last_msg[256];
} worker;

static void *worker_main(void *p)
{
  worker *w = p;
  bu_login l = login_of(w->kind);
  mysql_thread_init();
  pthread_barrier_wait(w->start);
  while (bu_now() < w->end)
  {
    unsigned err;
    if (bu_login_once(&opt.target, &l, &err, w->last_msg, sizeof w->last_msg) ==
        BU_ADMITTED)
      w->logins++;
    else
    {
      w->failures++;
      w->last_err = err;
    }
  }
  mysql_thread_end();
  return NULL;
}

/* Runs `threads` clients of one kind for `seconds`; returns logins/s.
 * *failures gets the number of logins that were not admitted. */
static long server_pid = -1;

static double measure(int kind, int threads, double seconds, long *failures,
                      double *cpu_us_per_login)
{
  worker w[MAX_THREADS];
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, threads + 1);
  memset(w, 0, sizeof w);
  double end_hint = bu_now() + 3600;
  for (int i = 0; i < threads; i++)
  {
    w[i].kind = kind;
    w[i].end = end_hint;
    w[i].start = &start;
  }
  for (int i = 0; i < threads; i++)
    if (pthread_create(&w[i].th, NULL, worker_main, &w[i]))
      bu_die("pthread_create failed");
  /* Set the real deadline, then release everyone at once. */
  double cpu0 = server_pid > 0 ? bu_proc_cpu_seconds(server_pid) : -1;
  double t0 = bu_now();
  for (int i = 0; i < threads; i++)
    w[i].end = t0 + seconds;
  atomic_thread_fence(memory_order_seq_cst);
  pthread_barrier_wait(&start);
  long total = 0, fail = 0;
  for (int i = 0; i < threads; i++)
  {
    pthread_join(w[i].th, NULL);
    total += w[i].logins;
    fail += w[i].failures;
    if (w[i].failures)
      fprintf(stderr, "bench: %s login failed %ld times, last: %u %s\n",
              kind_names[kind], w[i].failures, w[i].last_err, w[i].last_msg);
  }
  double elapsed = bu_now() - t0;
  double cpu1 = server_pid > 0 ? bu_proc_cpu_seconds(server_pid) : -1;
  pthread_barrier_destroy(&start);
  *failures = fail;
  if (cpu_us_per_login)
    *cpu_us_per_login =
        cpu0 >= 0 && cpu1 >= 0 && total > 0 ? (cpu1 - cpu0) * 1e6 / total : NAN;
  return total / elapsed;
}

/* ---- configurations ------------------------------------------------------- */

typedef struct table_state {
  bool installed, acct, filler;
} table_state;

static table_state state;

static const char *config_text(char c)
{
  switch (c)
  {
  case 'a':
    return "server without the plugin (UNINSTALL SONAME)";
  case 'b':
    return "plugin installed, mysql.tls_policy empty";
  case 'c':
    return "plugin, one rule per benchmark account";
  case 'd':
    return "plugin, (c) + filler rules for other accounts";
  }
  return "?";
}

static char *sql_quote(MYSQL *m, const char *s)
{
  size_t n = strlen(s);
  char *out = malloc(2 * n + 3);
  out[0] = '\'';
  unsigned long k = mysql_real_escape_string(m, out + 1, s, n);
  out[k + 1] = '\'';
  out[k + 2] = 0;
  return out;
}

static void insert_account_rows(MYSQL *m)
{
  const char *rules[N_KINDS] = {opt.plain_rule, opt.tls_rule, opt.cert_rule};
  for (int k = 0; k < N_KINDS; k++)
  {
    char *u = sql_quote(m, opt.users[k]);
    char *r = sql_quote(m, rules[k]);
    bu_exec(m, true,
            "INSERT INTO mysql.tls_policy (Host, User, Requirement, Comment) "
            "VALUES ('%%', %s, %s, 'bench-account')",
            u, r);
    free(u);
    free(r);
  }
}

/* Rules for accounts filler0000001...: a mix of the language's clause kinds
 * and host patterns, so that parsing and indexing are exercised as a
 * real table would. */
static void insert_filler_rows(MYSQL *m)
{
  bu_exec(m, true,
          "INSERT INTO mysql.tls_policy (Host, User, Requirement, Comment) "
          "SELECT CASE seq %% 4 WHEN 0 THEN '%%' WHEN 1 THEN CONCAT('10.', seq "
          "%% 256, '.%%') "
          "  WHEN 2 THEN '192.168.0.0/255.255.0.0' ELSE CONCAT('app', seq %% "
          "100, '.example.com') END, "
          " CONCAT('filler', LPAD(seq, 7, '0')), "
          " CASE seq %% 6 "
          "  WHEN 0 THEN 'SSL' WHEN 1 THEN 'X509' "
          "  WHEN 2 THEN CONCAT('SUBJECT ''/C=FI/O=Acme/CN=user', seq, ''' AND "
          "ISSUER ''/C=FI/O=tls_policy tests/CN=tls_policy test CA 1''') "
          "  WHEN 3 THEN CONCAT('SUBJECT_DN ''CN=user', seq, ',O=Acme,C=FI'' "
          "AND MIN_TLS_VERSION ''TLSv1.2''') "
          "  WHEN 4 THEN CONCAT('SAN DNS ''host', seq, '.example.com''') "
          "  ELSE CONCAT('SPIFFE ''spiffe://example.org/ns/prod/sa/user', seq, "
          "'''') END, "
          " 'bench-filler' FROM mysql.seq_1_to_%ld",
          opt.rules);
}

static long long expected_rules(void)
{
  return (state.acct ? N_KINDS : 0) + (state.filler ? opt.rules : 0);
}

static void set_config(MYSQL **m, char c)
{
  bool plugin = c != 'a';
  bool acct = c == 'c' || c == 'd';
  bool filler = c == 'd';
  double t0 = bu_now();
  if (!plugin && state.installed)
  {
    bu_uninstall(m, &opt.target, opt.errlog, 60);
    state.installed = false;
  }
  if (state.filler && !filler)
  {
    bu_exec(*m, true,
            "DELETE FROM mysql.tls_policy WHERE Comment='bench-filler'");
    state.filler = false;
  }
  if (state.acct && !acct)
  {
    bu_exec(*m, true,
            "DELETE FROM mysql.tls_policy WHERE Comment='bench-account'");
    state.acct = false;
  }
  if (!state.acct && acct)
  {
    insert_account_rows(*m);
    state.acct = true;
  }
  if (!state.filler && filler)
  {
    insert_filler_rows(*m);
    state.filler = true;
  }
  /* A fresh admin session: the plugin re-reads the whole table after every
   * later statement of a session that wrote it (plugin.c, `touched`, until
   * COMMIT/ROLLBACK or disconnect), which would keep the refresher busy. */
  mysql_close(*m);
  *m = bu_admin_connect(&opt.target);
  if (plugin && !state.installed)
  {
    bu_install(*m, opt.errlog, 60);
    state.installed = true;
  }
  if (plugin)
    bu_wait_policy(*m, expected_rules(), opt.quiet, 300);
  if (plugin != bu_plugin_active(*m))
    bu_die("configuration %c: plugin active=%d, expected %d", c, !plugin,
           plugin);
  fprintf(stderr,
          "bench: configuration %c ready in %.1f s (rules loaded: %lld)\n", c,
          bu_now() - t0,
          plugin ? bu_status(*m, "Tls_policy_rules_loaded") : -1LL);
}

/* ---- main ----------------------------------------------------------------- */

static void usage(void)
{
  fprintf(stderr, "usage: login_bench --port P --socket S --ca CA --cert C "
                  "--key K --errlog F\n"
                  "                   --cert-rule RULE [--repeats R] "
                  "[--seconds S] [--threads 1,4]\n"
                  "                   [--rules N] [--configs abcd] [--quiet S] "
                  "[--raw FILE] [--pid-file F]\n"
                  "       login_bench --count N --kind plain|tls|cert --port P "
                  "--ca CA --cert C --key K\n");
  exit(2);
}

static void parse_threads(const char *s)
{
  opt.n_tcounts = 0;
  char *copy = strdup(s), *save = NULL;
  for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
  {
    int n = atoi(t);
    if (n < 1 || n > MAX_THREADS || opt.n_tcounts >= MAX_TCOUNTS)
      usage();
    opt.tcounts[opt.n_tcounts++] = n;
  }
  free(copy);
  if (!opt.n_tcounts)
    usage();
}

static int fixed_count(void)
{
  int kind = -1;
  for (int k = 0; k < N_KINDS; k++)
    if (strcmp(opt.kind, kind_names[k]) == 0 ||
        (k == 2 && strcmp(opt.kind, "cert") == 0))
      kind = k;
  if (kind < 0)
    usage();
  bu_login l = login_of(kind);
  long fail = 0;
  double t0 = bu_now();
  for (long i = 0; i < opt.count; i++)
  {
    unsigned err;
    char msg[256];
    if (bu_login_once(&opt.target, &l, &err, msg, sizeof msg) != BU_ADMITTED)
    {
      if (!fail)
        fprintf(stderr, "login_bench: %s login failed: %u %s\n",
                kind_names[kind], err, msg);
      fail++;
    }
  }
  printf("kind=%s logins=%ld failed=%ld seconds=%.3f\n", kind_names[kind],
         opt.count, fail, bu_now() - t0);
  return fail ? 1 : 0;
}

int main(int argc, char **argv)
{
  static const struct option lo[] = {
      {"host", 1, 0, 'h'},     {"port", 1, 0, 'P'},
      {"socket", 1, 0, 'S'},   {"ca", 1, 0, 'A'},
      {"cert", 1, 0, 'C'},     {"key", 1, 0, 'K'},
      {"errlog", 1, 0, 'E'},   {"cert-rule", 1, 0, 'R'},
      {"tls-rule", 1, 0, 'T'}, {"plain-rule", 1, 0, 'N'},
      {"repeats", 1, 0, 'r'},  {"seconds", 1, 0, 's'},
      {"threads", 1, 0, 't'},  {"rules", 1, 0, 'n'},
      {"configs", 1, 0, 'c'},  {"quiet", 1, 0, 'q'},
      {"raw", 1, 0, 'w'},      {"count", 1, 0, 'k'},
      {"kind", 1, 0, 'i'},     {"warmup", 1, 0, 'W'},
      {"password", 1, 0, 'p'}, {"pid-file", 1, 0, 'F'},
      {"user-plain", 1, 0, 1}, {"user-tls", 1, 0, 2},
      {"user-cert", 1, 0, 3},  {0, 0, 0, 0}};
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
      opt.cert = optarg;
      break;
    case 'K':
      opt.key = optarg;
      break;
    case 'E':
      opt.errlog = optarg;
      break;
    case 'R':
      opt.cert_rule = optarg;
      break;
    case 'T':
      opt.tls_rule = optarg;
      break;
    case 'N':
      opt.plain_rule = optarg;
      break;
    case 'r':
      opt.repeats = atoi(optarg);
      break;
    case 's':
      opt.seconds = atof(optarg);
      break;
    case 't':
      parse_threads(optarg);
      break;
    case 'n':
      opt.rules = atol(optarg);
      break;
    case 'c':
      snprintf(opt.configs, sizeof opt.configs, "%s", optarg);
      break;
    case 'q':
      opt.quiet = atof(optarg);
      break;
    case 'w':
      opt.raw = optarg;
      break;
    case 'k':
      opt.count = atol(optarg);
      break;
    case 'i':
      opt.kind = optarg;
      break;
    case 'W':
      opt.warmup = atof(optarg);
      break;
    case 'p':
      opt.password = optarg;
      break;
    case 'F':
      opt.pid_file = optarg;
      break;
    case 1:
      opt.users[0] = optarg;
      break;
    case 2:
      opt.users[1] = optarg;
      break;
    case 3:
      opt.users[2] = optarg;
      break;
    default:
      usage();
    }
  if (mysql_library_init(0, NULL, NULL))
    bu_die("mysql_library_init failed");
  if (!opt.target.ca || !opt.cert || !opt.key)
    usage();
  if (opt.count > 0)
  {
    if (!opt.kind)
      usage();
    int rc = fixed_count();
    mysql_library_end();
    return rc;
  }
  if (!opt.target.socket || !opt.errlog || !opt.cert_rule || opt.repeats < 1 ||
      opt.repeats > MAX_REPEATS || opt.seconds <= 0 || !opt.configs[0])
    usage();
  for (const char *c = opt.configs; *c; c++)
    if (*c < 'a' || *c > 'd')
      usage();
  int nconf = (int) strlen(opt.configs);

  FILE *raw = NULL;
  if (opt.raw && !(raw = fopen(opt.raw, "w")))
    bu_die("cannot write %s", opt.raw);
  if (raw)
    fprintf(raw, "repetition\tconfig\tkind\tthreads\tlogins_per_s\tserver_cpu_"
                 "us_per_login\tfailures\n");

  MYSQL *m = bu_admin_connect(&opt.target);
  /* Start from a known state: plugin loaded or not, our rows removed. */
  state.installed = bu_plugin_active(m);
  if (bu_query_ll(m, 0, NULL,
                  "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                  "TABLE_SCHEMA='mysql' AND TABLE_NAME='tls_policy'") != 1)
    bu_die("mysql.tls_policy does not exist (INSTALL SONAME 'tls_policy' "
           "creates it)");
  bu_exec(m, true,
          "DELETE FROM mysql.tls_policy WHERE Comment IN "
          "('bench-account','bench-filler')");
  long long other_rows =
      bu_query_ll(m, -1, NULL, "SELECT COUNT(*) FROM mysql.tls_policy");
  if (other_rows != 0)
    bu_die("mysql.tls_policy holds %lld rows that are not the benchmark's: use "
           "an empty table",
           other_rows);

  /* samples[config][kind][tcount][rep] */
  static double samples[N_CONFIGS][N_KINDS][MAX_TCOUNTS][MAX_REPEATS];
  static double cpu_samples[N_CONFIGS][N_KINDS][MAX_TCOUNTS][MAX_REPEATS];
  if (opt.pid_file && (server_pid = bu_read_pid(opt.pid_file)) <= 0)
    bu_die("cannot read the server pid from %s", opt.pid_file);
  long total_failures = 0;
  double t_start = bu_now();
  for (int r = 0; r < opt.repeats; r++)
  {
    for (int ci = 0; ci < nconf; ci++)
    {
      char c = opt.configs[r % 2 == 0 ? ci : nconf - 1 - ci];
      set_config(&m, c);
      /* Warm the server's thread cache and the client after the switch. */
      for (int k = 0; k < N_KINDS; k++)
      {
        long f = 0;
        measure(k, opt.tcounts[opt.n_tcounts - 1], opt.warmup, &f, NULL);
        total_failures += f;
      }
      for (int ti = 0; ti < opt.n_tcounts; ti++)
        for (int k = 0; k < N_KINDS; k++)
        {
          long f = 0;
          double cpu = NAN;
          double rate = measure(k, opt.tcounts[ti], opt.seconds, &f, &cpu);
          samples[c - 'a'][k][ti][r] = rate;
          cpu_samples[c - 'a'][k][ti][r] = cpu;
          total_failures += f;
          fprintf(stderr,
                  "bench: rep %d config %c %-8s T=%d %9.1f logins/s %8.1f "
                  "server-us/login%s\n",
                  r + 1, c, kind_names[k], opt.tcounts[ti], rate, cpu,
                  f ? " (FAILURES)" : "");
          if (raw)
          {
            fprintf(raw, "%d\t%c\t%s\t%d\t%.1f\t%.1f\t%ld\n", r + 1, c,
                    kind_names[k], opt.tcounts[ti], rate, cpu, f);
            fflush(raw);
          }
        }
    }
  }
  double t_total = bu_now() - t_start;

  /* Leave the server as found: our rows gone, plugin installed. */
  if (!state.installed)
    bu_install(m, opt.errlog, 60);
  bu_exec(m, true,
          "DELETE FROM mysql.tls_policy WHERE Comment IN "
          "('bench-account','bench-filler')");
  mysql_close(m);
  if (raw)
    fclose(raw);

  printf("# login_bench: %s:%u, %d repetitions x %.1f s per cell, order a b c "
         "d / d c b a "
         "alternating, %ld filler rules in (d), run time %.0f s\n",
         opt.target.host, opt.target.port, opt.repeats, opt.seconds, opt.rules,
         t_total);
  for (const char *c = opt.configs; *c; c++)
    printf("#   (%c) %s\n", *c, config_text(*c));
  printf("# ratio = median(config) / median(a); paired = min..max over "
         "repetitions of "
         "config/a measured in the same repetition (d/c rows: d over c)\n");
  printf(
      "# srv-us = server CPU (user+sys of mariadbd, all threads) per login, "
      "median; "
      "cpu-ratio = srv-us(a) / srv-us(config): 1.000 = no extra server CPU\n");
  printf("%-9s %2s %4s %9s %19s %7s %7s %13s %8s %9s\n", "kind", "T", "cfg",
         "median/s", "min..max", "stdev", "ratio", "paired", "srv-us",
         "cpu-ratio");
  bool have_a = strchr(opt.configs, 'a') != NULL;
  for (int ti = 0; ti < opt.n_tcounts; ti++)
    for (int k = 0; k < N_KINDS; k++)
    {
      const double *a = samples[0][k][ti];
      double ma = bu_median(a, opt.repeats);
      double ca = bu_median(cpu_samples[0][k][ti], opt.repeats);
      for (const char *c = opt.configs; *c; c++)
      {
        const double *v = samples[*c - 'a'][k][ti];
        double med = bu_median(v, opt.repeats);
        double cpu = bu_median(cpu_samples[*c - 'a'][k][ti], opt.repeats);
        char range[40], ratio[16] = "", paired[40] = "", cratio[16] = "";
        snprintf(range, sizeof range, "%.1f..%.1f", bu_min(v, opt.repeats),
                 bu_max(v, opt.repeats));
        if (have_a && *c != 'a')
        {
          double pr[MAX_REPEATS];
          for (int r = 0; r < opt.repeats; r++)
            pr[r] = v[r] / a[r];
          snprintf(ratio, sizeof ratio, "%.3f", med / ma);
          snprintf(paired, sizeof paired, "%.3f..%.3f", bu_min(pr, opt.repeats),
                   bu_max(pr, opt.repeats));
          snprintf(cratio, sizeof cratio, "%.3f", ca / cpu);
        }
        printf("%-9s %2d %4c %9.1f %19s %7.1f %7s %13s %8.1f %9s\n",
               kind_names[k], opt.tcounts[ti], *c, med, range,
               bu_stdev(v, opt.repeats), ratio, paired, cpu, cratio);
      }
      if (strchr(opt.configs, 'c') && strchr(opt.configs, 'd'))
      {
        const double *c = samples[2][k][ti], *d = samples[3][k][ti];
        double pr[MAX_REPEATS];
        for (int r = 0; r < opt.repeats; r++)
          pr[r] = d[r] / c[r];
        char paired[40];
        snprintf(paired, sizeof paired, "%.3f..%.3f", bu_min(pr, opt.repeats),
                 bu_max(pr, opt.repeats));
        printf("%-9s %2d %4s %9s %19s %7s %7.3f %13s %8s %9.3f\n",
               kind_names[k], opt.tcounts[ti], "d/c", "", "", "",
               bu_median(d, opt.repeats) / bu_median(c, opt.repeats), paired,
               "",
               bu_median(cpu_samples[2][k][ti], opt.repeats) /
                   bu_median(cpu_samples[3][k][ti], opt.repeats));
      }
    }
  printf("# logins not admitted during the run: %ld (must be 0)\n",
         total_failures);
  mysql_library_end();
  return total_failures ? 1 : 0;
}
