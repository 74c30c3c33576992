/*
 * bench_util.h — helpers shared by the benchmarks in bench/: one login with
 * Connector/C, an administrator connection over the unix socket, status
 * variables, waiting for the plugin to be (un)loaded, and small statistics.
 *
 * Nothing here is timed against a threshold: the programs print what they
 * measure and leave the judgement to the reader (docs/performance.md).
 */
#ifndef TLS_POLICY_BENCH_UTIL_H
#define TLS_POLICY_BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mysql.h>

/* How one login reaches the server. */
typedef enum bu_transport {
  BU_PLAIN,  /* TCP without TLS */
  BU_TLS,    /* TCP with TLS, server certificate verified, no client cert */
  BU_CERT,   /* TCP with TLS and a client certificate */
  BU_SOCKET, /* unix socket without TLS */
  BU_SOCKET_TLS,
} bu_transport;

typedef struct bu_target {
  const char *host; /* TCP host, e.g. 127.0.0.1 */
  unsigned port;
  const char *socket; /* unix socket path */
  const char *ca;     /* CA file the client verifies the server with */
} bu_target;

typedef struct bu_login {
  bu_transport transport;
  const char *user, *password;
  const char *cert, *key; /* BU_CERT (and optional for the TLS-socket kind) */
} bu_login;

/* Outcome of one login. */
typedef enum bu_outcome {
  BU_ADMITTED,
  BU_DENIED,      /* ER_ACCESS_DENIED_ERROR (1045) */
  BU_TLS_FAILED,  /* CR_SSL_CONNECTION_ERROR (2026): handshake refused */
  BU_OTHER_ERROR, /* anything else (lost connection, too many, ...) */
} bu_outcome;

const char *bu_outcome_name(bu_outcome o);
const char *bu_transport_name(bu_transport t);

/* Connects, authenticates and closes.  *err receives mysql_errno (0 when
 * admitted) and msg (if not NULL) the client's message. */
bu_outcome bu_login_once(const bu_target *t, const bu_login *l, unsigned *err,
                         char *msg, size_t msglen);

/* Monotonic clock in seconds / nanoseconds. */
double bu_now(void);
uint64_t bu_now_ns(void);
void bu_sleep(double seconds);

/* ---- administrator connection (root over the unix socket) -------------- */

MYSQL *bu_admin_connect(const bu_target *t); /* exits on failure */
/* Runs a statement, discards any result.  Returns mysql_errno (0 = ok);
 * when must is true, exits with a message on error. */
unsigned bu_exec(MYSQL *m, bool must, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* First column of the first row as an integer; `dflt` if no row / NULL /
 * error (then *err, if given, gets mysql_errno). */
long long bu_query_ll(MYSQL *m, long long dflt, unsigned *err, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));
/* A global status variable (any case, e.g. "Tls_policy_rules_loaded"); -1
 * when it does not exist (plugin not installed). */
long long bu_status(MYSQL *m, const char *name);
/* Whether the TLS_POLICY plugin is ACTIVE. */
bool bu_plugin_active(MYSQL *m);

/* Error-log position helpers: the plugin logs "tls_policy: version ...
 * active" at init and "tls_policy: stopped; authentication handlers
 * restored" at deinit.  Returns the state named by the last such line
 * after byte `from` of the file: 1 active, 0 stopped, -1 none seen. */
int bu_errlog_last_state(const char *path, long from);
long bu_file_size(const char *path);

/* INSTALL SONAME 'tls_policy' (retrying while a deferred UNINSTALL of the
 * previous instance is still pending) / UNINSTALL and wait until the
 * server really ran the plugin's deinit (read from the error log).
 * Both exit on failure after `timeout` seconds. */
void bu_install(MYSQL *m, const char *errlog, double timeout);
void bu_uninstall(MYSQL **m, const bu_target *t, const char *errlog,
                  double timeout);

/* Waits until Tls_policy_rules_loaded == rules and no refresh happened for
 * `quiet` seconds (the refresher re-reads the table for a settle period
 * after every change).  Exits after `timeout`. */
void bu_wait_policy(MYSQL *m, long long rules, double quiet, double timeout);

/* CPU time (user + system, seconds) the process has used so far, from
 * /proc/PID/stat; -1 if unreadable.  bu_read_pid reads a pid file. */
double bu_proc_cpu_seconds(long pid);
long bu_read_pid(const char *pid_file);

/* ---- statistics ---------------------------------------------------------- */
double bu_median(const double *v, size_t n);
double bu_min(const double *v, size_t n);
double bu_max(const double *v, size_t n);
double bu_stdev(const double *v, size_t n);

/* Fatal error: prints and exits(2). */
void bu_die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
