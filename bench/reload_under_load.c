/*
 * reload_under_load.c — benchmark (not a test) for the TLS context reload of
 * tls_policy (docs/tls-context.md).
 *
 * Runs N reloads (SET GLOBAL tls_policy_reload_tls_now = ON, default 1,000)
 * on one admin connection while 4 client threads loop TLS logins
 * (connect with TLS required, SELECT 1, close) against a running server.
 * Prints the number of failed logins, which must be 0 (a reload never
 * leaves a window without a usable context), and the median reload time as
 * the client sees it.  With --cert-a/--key-a/--cert-b/--key-b the reloads
 * alternate between two certificates (the SET of the paths is not timed),
 * so that every reload really changes the certificate new clients get.
 *
 *   reload_under_load --host=127.0.0.1 --port=3306 --user=root --password=...
 *                     --ssl-ca=/etc/mysql/ca.pem [--reloads=1000]
 *                     [--threads=4] [--verify-server-cert]
 *                     [--cert-a=A.pem --key-a=A.key --cert-b=B.pem --key-b=B.key]
 *
 * The admin connection uses TLS too (same CA).  Exit status: 0 when every
 * login and every reload succeeded, 1 otherwise, 2 on usage errors.
 *
 * Connector/C (libmariadb): the library is initialised once
 * (mysql_library_init) before the threads start; every thread calls
 * mysql_thread_init/mysql_thread_end.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <mysql.h>

typedef struct options {
  const char *host, *user, *password, *ssl_ca;
  unsigned port;
  long reloads;
  int threads;
  int verify;
  const char *cert_a, *key_a, *cert_b, *key_b;
} options;

static options opt = {
    .host = "127.0.0.1",
    .user = "root",
    .password = "",
    .port = 3306,
    .reloads = 1000,
    .threads = 4,
};

static atomic_int stop_clients;
static atomic_long logins_ok, logins_failed, logins_plain;
static pthread_mutex_t error_lock = PTHREAD_MUTEX_INITIALIZER;
static char first_errors[5][512]; /* error_lock */
static int n_first_errors;        /* error_lock */

static double now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void remember_error(const char *what, MYSQL *m)
{
  pthread_mutex_lock(&error_lock);
  if (n_first_errors < 5)
    snprintf(first_errors[n_first_errors++], sizeof first_errors[0],
             "%s: %u %s", what, mysql_errno(m), mysql_error(m));
  pthread_mutex_unlock(&error_lock);
}

/* A TLS connection: TLS is required (MYSQL_OPT_SSL_ENFORCE), so a server
 * that does not offer TLS is a failure, not a silent plain login. */
static MYSQL *connect_tls(MYSQL *m)
{
  my_bool on = 1;
  mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &on);
  if (opt.ssl_ca)
    mysql_options(m, MYSQL_OPT_SSL_CA, opt.ssl_ca);
  my_bool verify = opt.verify ? 1 : 0;
  mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
  unsigned timeout = 10;
  mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  return mysql_real_connect(m, opt.host, opt.user, opt.password, NULL, opt.port,
                            NULL, 0);
}

static void *client_main(void *arg)
{
  mysql_thread_init();
  while (!atomic_load(&stop_clients))
  {
    MYSQL *m = mysql_init(NULL);
    if (!m)
    {
      atomic_fetch_add(&logins_failed, 1);
      continue;
    }
    if (!connect_tls(m))
    {
      atomic_fetch_add(&logins_failed, 1);
      remember_error("login", m);
    }
    else if (!mysql_get_ssl_cipher(m))
    {
      atomic_fetch_add(&logins_plain, 1);
      atomic_fetch_add(&logins_failed, 1);
    }
    else if (mysql_query(m, "SELECT 1") != 0)
    {
      atomic_fetch_add(&logins_failed, 1);
      remember_error("query", m);
    }
    else
    {
      MYSQL_RES *r = mysql_store_result(m);
      mysql_free_result(r);
      atomic_fetch_add(&logins_ok, 1);
    }
    mysql_close(m);
  }
  mysql_thread_end();
  return NULL;
}

static int compare_double(const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static int run_sql(MYSQL *m, const char *sql)
{
  if (mysql_query(m, sql) != 0)
    return -1;
  MYSQL_RES *r = mysql_store_result(m);
  mysql_free_result(r);
  return 0;
}

/* SET GLOBAL tls_policy_ssl_cert = '<path>', tls_policy_ssl_key = '<path>' */
static int set_pair(MYSQL *m, const char *cert, const char *key)
{
  size_t lc = strlen(cert), lk = strlen(key);
  char *ec = malloc(2 * lc + 1), *ek = malloc(2 * lk + 1);
  char *sql = malloc(2 * (lc + lk) + 128);
  if (!ec || !ek || !sql)
  {
    free(ec);
    free(ek);
    free(sql);
    return -1;
  }
  mysql_real_escape_string(m, ec, cert, lc);
  mysql_real_escape_string(m, ek, key, lk);
  sprintf(sql, "SET GLOBAL tls_policy_ssl_cert='%s', tls_policy_ssl_key='%s'",
          ec, ek);
  int rc = run_sql(m, sql);
  free(ec);
  free(ek);
  free(sql);
  return rc;
}

static void usage(const char *argv0)
{
  fprintf(stderr,
          "usage: %s [--host=H] [--port=P] [--user=U] [--password=PW]\n"
          "       [--ssl-ca=FILE] [--verify-server-cert] [--reloads=N]\n"
          "       [--threads=T] [--cert-a=F --key-a=F --cert-b=F --key-b=F]\n",
          argv0);
}

static int parse_args(int argc, char **argv)
{
  static const struct option longopts[] = {
      {"host", required_argument, NULL, 'h'},
      {"port", required_argument, NULL, 'P'},
      {"user", required_argument, NULL, 'u'},
      {"password", required_argument, NULL, 'p'},
      {"ssl-ca", required_argument, NULL, 'c'},
      {"verify-server-cert", no_argument, NULL, 'v'},
      {"reloads", required_argument, NULL, 'n'},
      {"threads", required_argument, NULL, 't'},
      {"cert-a", required_argument, NULL, 1},
      {"key-a", required_argument, NULL, 2},
      {"cert-b", required_argument, NULL, 3},
      {"key-b", required_argument, NULL, 4},
      {"help", no_argument, NULL, '?'},
      {NULL, 0, NULL, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "h:P:u:p:c:vn:t:", longopts, NULL)) != -1)
  {
    switch (c)
    {
    case 'h':
      opt.host = optarg;
      break;
    case 'P':
      opt.port = (unsigned) strtoul(optarg, NULL, 10);
      break;
    case 'u':
      opt.user = optarg;
      break;
    case 'p':
      opt.password = optarg;
      break;
    case 'c':
      opt.ssl_ca = optarg;
      break;
    case 'v':
      opt.verify = 1;
      break;
    case 'n':
      opt.reloads = strtol(optarg, NULL, 10);
      break;
    case 't':
      opt.threads = atoi(optarg);
      break;
    case 1:
      opt.cert_a = optarg;
      break;
    case 2:
      opt.key_a = optarg;
      break;
    case 3:
      opt.cert_b = optarg;
      break;
    case 4:
      opt.key_b = optarg;
      break;
    default:
      usage(argv[0]);
      return -1;
    }
  }
  int pairs = !!opt.cert_a + !!opt.key_a + !!opt.cert_b + !!opt.key_b;
  if (optind != argc || opt.reloads < 1 || opt.threads < 1 ||
      opt.threads > 256 || (pairs != 0 && pairs != 4))
  {
    usage(argv[0]);
    return -1;
  }
  return 0;
}

int main(int argc, char **argv)
{
  if (parse_args(argc, argv) != 0)
    return 2;
  if (mysql_library_init(0, NULL, NULL) != 0)
  {
    fprintf(stderr, "mysql_library_init failed\n");
    return 2;
  }

  MYSQL *admin = mysql_init(NULL);
  if (!admin || !connect_tls(admin))
  {
    fprintf(stderr, "admin connection failed: %s\n",
            admin ? mysql_error(admin) : "out of memory");
    return 2;
  }
  if (run_sql(admin, "SELECT @@tls_policy_reload_tls_now") != 0)
  {
    fprintf(stderr, "tls_policy is not installed: %s\n", mysql_error(admin));
    return 2;
  }

  pthread_t *tids = calloc(opt.threads, sizeof *tids);
  double *times = calloc(opt.reloads, sizeof *times);
  if (!tids || !times)
    return 2;
  for (int i = 0; i < opt.threads; i++)
    if (pthread_create(&tids[i], NULL, client_main, NULL) != 0)
    {
      fprintf(stderr, "pthread_create failed\n");
      return 2;
    }

  long failed_reloads = 0, done = 0;
  double t_start = now_ms();
  for (long i = 0; i < opt.reloads; i++)
  {
    if (opt.cert_a)
    {
      int a = (i % 2) == 0;
      if (set_pair(admin, a ? opt.cert_a : opt.cert_b,
                   a ? opt.key_a : opt.key_b) != 0)
      {
        fprintf(stderr, "setting the certificate failed: %s\n",
                mysql_error(admin));
        failed_reloads++;
        continue;
      }
    }
    double t0 = now_ms();
    int rc = run_sql(admin, "SET GLOBAL tls_policy_reload_tls_now = ON");
    double t1 = now_ms();
    if (rc != 0)
    {
      if (failed_reloads++ < 5)
        fprintf(stderr, "reload %ld failed: %s\n", i + 1, mysql_error(admin));
      continue;
    }
    times[done++] = t1 - t0;
  }
  double elapsed = now_ms() - t_start;

  atomic_store(&stop_clients, 1);
  for (int i = 0; i < opt.threads; i++)
    pthread_join(tids[i], NULL);
  mysql_close(admin);

  qsort(times, done, sizeof *times, compare_double);
  double median = 0, p95 = 0, max = 0;
  if (done)
  {
    median = done % 2 ? times[done / 2]
                      : (times[done / 2 - 1] + times[done / 2]) / 2;
    p95 = times[(long) ((done - 1) * 0.95)];
    max = times[done - 1];
  }
  printf("reloads:            %ld (%ld failed) in %.1f s\n", opt.reloads,
         failed_reloads, elapsed / 1e3);
  printf("reload time:        median %.3f ms, p95 %.3f ms, max %.3f ms\n",
         median, p95, max);
  printf(
      "TLS logins:         %ld succeeded, %ld without TLS, %d client threads\n",
      atomic_load(&logins_ok), atomic_load(&logins_plain), opt.threads);
  printf("failed logins:      %ld\n", atomic_load(&logins_failed));
  for (int i = 0; i < n_first_errors; i++)
    printf("  %s\n", first_errors[i]);

  free(tids);
  free(times);
  mysql_library_end();
  return atomic_load(&logins_failed) == 0 && failed_reloads == 0 ? 0 : 1;
}
