/*
 * policy_store.c — mysql.tls_policy → immutable snapshots.
 *
 * One refresher thread (with its own THD through the SQL service) creates
 * the table when it is missing, reads it into a tlsp_policy_snapshot and
 * publishes it with a pointer swap.  Logins only take a reference on the
 * current snapshot (tlsp_policy_store_acquire): they never run SQL and never
 * wait for a refresh.
 *
 * When a refresh happens:
 *  - on request, synchronously for the session that changed the table
 *    (plugin.c calls tlsp_policy_store_refresh_wait() after each statement of
 *    a session that wrote mysql.tls_policy): the next login sees the change;
 *  - after a TABLE event from any thread (e.g. a replica's applier, which
 *    produces no statement events): for a settle period, because the event
 *    comes before the commit, CHECKSUM TABLE is compared repeatedly and the
 *    table re-read when it changed;
 *  - periodically (tls_policy_refresh_interval) when CHECKSUM TABLE changed:
 *    a safety net;
 *  - unconditionally every TP_FULL_READ_PERIODS periods, because CHECKSUM
 *    TABLE is a 32-bit sum of row CRCs: a change it misses by collision is
 *    read within that bound (10 minutes at the default interval).
 * CHECKSUM TABLE scans the table without parsing it (at 100,000 rows it
 * takes about 0.1 s where a read and parse takes a second),
 * so the repeated settle checks cost little; they are spaced by at least
 * twice the last CHECKSUM's duration.
 * A read that fails for a transient reason (a lock wait timeout behind
 * LOCK TABLES or DDL, a deadlock, a killed query, a shutdown, a lost local
 * connection: transient_errno()) keeps the last good snapshot published,
 * counted (policy_refresh_transient_failures) and flagged (policy_stale,
 * policy_last_error), and is retried every second.  Any other failure (the
 * table is missing or has the wrong shape) unpublishes the snapshot: logins
 * fail closed with policy_not_loaded until it can be read again.  The
 * refresher's session waits at most TP_STORE_LOCK_WAIT seconds for a lock.
 *
 * Startup: until the first load ends (published, or failed for a reason
 * that is not transient), a login that finds no snapshot waits for it, at
 * most tls_policy_startup_wait seconds (tlsp_policy_store_acquire), and is
 * then decided by it.  The refresher creates the table and the SQL objects
 * before that first read, so the first login decided also finds them.
 *
 * The table is created in InnoDB, or in Aria (crash-safe, like the server's
 * own privilege tables) when InnoDB is not available; policy_table_engine
 * shows the engine of the table in use.
 *
 * Locking: store_lock protects every field of `store`; held only for short
 * updates, never across SQL.
 */
#include <string.h>
#include <mysql/plugin.h>
#include <mysql/service_sql.h>
#include "tls_policy/policy_snapshot.h"
#include "tls_policy/statement_text.h"
#include "module.h"
#include "policy_store.h"
#include "report.h"
#include "server_abi.h"
#include "sql_session.h"
#include "tlsp_sql.h"

#define TP_SETTLE_USEC (3 * G_USEC_PER_SEC)
#define TP_SETTLE_STEP_USEC (50 * 1000) /* at least; see settle_step() */
#define TP_FULL_READ_PERIODS 60
#define TP_STORE_LOCK_WAIT 2 /* seconds, the refresher's session */
#define TP_STALE_RETRY_USEC (1 * G_USEC_PER_SEC)

unsigned int tlsp_opt_refresh_interval = 10; /* seconds; plugin.c variable */
unsigned int tlsp_opt_startup_wait = 5;      /* seconds; plugin.c variable */

static struct {
  GMutex lock;
  GCond cond;
  GThread *thread;
  GThread *deferred; /* stopped on itself: joined at next start */
  gboolean stop;
  gboolean first_load_pending;   /* logins wait (tlsp_policy_store_acquire) */
  char engine[32];               /* of mysql.tls_policy, "" if unknown */
  tlsp_policy_snapshot *current; /* NULL: not loaded / unreadable */
  uint64_t requested, completed; /* synchronous refresh requests */
  gint64 settle_until;           /* monotonic; re-read until then */
  uint64_t generation;
  char checksum[65];       /* of the content last published */
  char table_checksum[64]; /* CHECKSUM TABLE result, periodic check */
  char last_error[512];
  GQueue retired; /* retired_snapshot*, oldest first */
} store;

/* A replaced snapshot is kept for a moment before its reference is
 * dropped, so that the last reference (and with it the freeing of every
 * row, about a second for 100,000 rows) is almost always dropped here, on
 * the refresher thread, not by a login that happened to hold it: logins
 * hold a snapshot only for the microseconds of their decision.  Correctness
 * does not depend on it; the refcount does. */
#define TP_RETIRE_USEC (2 * G_USEC_PER_SEC)
typedef struct retired_snapshot {
  tlsp_policy_snapshot *snap;
  gint64 since; /* monotonic */
} retired_snapshot;

/* Takes over the caller's reference.  Refresher thread or stop only. */
static void retire(tlsp_policy_snapshot *snap)
{
  if (!snap)
    return;
  retired_snapshot *r = g_new(retired_snapshot, 1);
  r->snap = snap;
  r->since = g_get_monotonic_time();
  g_mutex_lock(&store.lock);
  g_queue_push_tail(&store.retired, r);
  g_mutex_unlock(&store.lock);
}

/* Drops the references of snapshots retired long enough ago (all with
 * `all`).  The unref runs outside store.lock. */
static void release_retired(gboolean all)
{
  gint64 now = g_get_monotonic_time();
  for (;;)
  {
    g_mutex_lock(&store.lock);
    retired_snapshot *r = g_queue_peek_head(&store.retired);
    if (r && (all || now - r->since >= TP_RETIRE_USEC))
      g_queue_pop_head(&store.retired);
    else
      r = NULL;
    g_mutex_unlock(&store.lock);
    if (!r)
      return;
    tlsp_policy_snapshot_unref(r->snap);
    g_free(r);
  }
}

tlsp_store_stats tlsp_store_status;

static void touched_clear_all(void); /* write visibility, below */

/* Set by tlsp_policy_store_start() before the refresher starts, read only by
 * the refresher. */
static tlsp_store_objects_fn store_create_objects;

static void set_error_locked(const char *msg)
{
  g_strlcpy(store.last_error, msg, sizeof store.last_error);
}

static MYSQL *connect_local(void)
{
  g_autoptr(GError) error = NULL;
  MYSQL *m =
      tlsp_sql_session_open("policy store", 0, TP_STORE_LOCK_WAIT, &error);
  if (!m)
  {
    /* Retried every 200 ms: logged when the error changes. */
    g_mutex_lock(&store.lock);
    gboolean same = strcmp(store.last_error, error->message) == 0;
    set_error_locked(error->message);
    g_mutex_unlock(&store.lock);
    if (!same)
      tlsp_log_error("%s", error->message);
  }
  return m;
}

/* Read failures after which the table is expected to be readable again
 * without anyone changing it: the last good snapshot stays published.
 * Anything else (ER_NO_SUCH_TABLE 1146, ER_BAD_FIELD_ERROR 1054, a wrong
 * result shape, ...) is structural and fails closed. */
static gboolean transient_errno(unsigned e)
{
  switch (e)
  {
  case 1205: /* ER_LOCK_WAIT_TIMEOUT: LOCK TABLES, DDL, row locks */
  case 1213: /* ER_LOCK_DEADLOCK */
  case 1317: /* ER_QUERY_INTERRUPTED: KILL QUERY */
  case 1927: /* ER_CONNECTION_KILLED */
  case 1053: /* ER_SERVER_SHUTDOWN */
  case 1969: /* ER_STATEMENT_TIMEOUT */
  case 1040: /* ER_CON_COUNT_ERROR */
  case 1041: /* ER_OUT_OF_RESOURCES */
  case 1037: /* ER_OUTOFMEMORY */
  case 1038: /* ER_OUT_OF_SORTMEMORY */
  case 1615: /* ER_NEED_REPREPARE */
  case 2006: /* CR_SERVER_GONE_ERROR */
  case 2013: /* CR_SERVER_LOST */
  case 2055: /* CR_SERVER_LOST_EXTENDED */
    return TRUE;
  default:
    return FALSE;
  }
}

static tlsp_row_mode parse_mode(const char *s)
{
  return s && g_ascii_strcasecmp(s, "REPORT") == 0 ? TP_ROW_REPORT
                                                   : TP_ROW_ENFORCE;
}

/* Reads the whole table into a new snapshot; NULL with error on failure.
 * *checksum receives the content checksum. */
static tlsp_policy_snapshot *read_table(MYSQL *m, char checksum[65],
                                        GError **error)
{
  static const char q[] = "SELECT Id, Host, User, Requirement, Mode, Comment "
                          "FROM mysql.tls_policy ORDER BY Id";
  if (mysql_real_query(m, q, sizeof q - 1))
  {
    g_set_error(error, g_quark_from_static_string("tp-policy-store"),
                (int) mysql_errno(m), "reading mysql.tls_policy: %s (errno %u)",
                mysql_error(m), mysql_errno(m));
    return NULL;
  }
  MYSQL_RES *res = mysql_store_result(m);
  if (!res || mysql_num_fields(res) != 6)
  {
    g_set_error(error, g_quark_from_static_string("tp-policy-store"), 1,
                "reading mysql.tls_policy: unexpected result shape");
    if (res)
      mysql_free_result(res);
    return NULL;
  }
  GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
  tlsp_policy_snapshot_builder *b = tlsp_policy_snapshot_builder_new();
  MYSQL_ROW row;
  while ((row = mysql_fetch_row(res)))
  {
    unsigned long *len = mysql_fetch_lengths(res);
    for (int i = 0; i < 6; i++)
    {
      g_checksum_update(sum, (const guchar *) (row[i] ? row[i] : ""),
                        row[i] ? len[i] : 0);
      g_checksum_update(sum, (const guchar *) "\x1f", 1);
    }
    uint64_t id = g_ascii_strtoull(row[0] ? row[0] : "0", NULL, 10);
    g_autoptr(GError) row_error = NULL;
    if (!tlsp_policy_snapshot_builder_add(
            b, id, row[1] ? row[1] : "", row[2] ? row[2] : "",
            row[3] ? row[3] : "", row[3] ? len[3] : 0, parse_mode(row[4]),
            row[5] ? row[5] : "", &row_error))
    {
      /* The builder's message names the row ("row N: ..."). */
      if (row_error)
        tlsp_log_warning("policy %s", row_error->message);
      else
        tlsp_log_warning("policy row %" G_GUINT64_FORMAT ": invalid",
                         (guint64) id);
    }
  }
  mysql_free_result(res);
  g_strlcpy(checksum, g_checksum_get_string(sum), 65);
  g_checksum_free(sum);
  g_mutex_lock(&store.lock);
  uint64_t next_generation = store.generation + 1;
  g_mutex_unlock(&store.lock);
  return tlsp_policy_snapshot_builder_finish(b, next_generation);
}

static gint64 last_checksum_usec; /* refresher thread only */

/* FALSE on failure; mysql_errno(m) tells why (0: no usable result). */
static gboolean table_checksum(MYSQL *m, char *out, size_t len)
{
  static const char q[] = "CHECKSUM TABLE mysql.tls_policy";
  gint64 t0 = g_get_monotonic_time();
  gboolean sent = mysql_real_query(m, q, sizeof q - 1) == 0;
  last_checksum_usec = g_get_monotonic_time() - t0;
  if (!sent)
    return FALSE;
  MYSQL_RES *res = mysql_store_result(m);
  if (!res)
    return FALSE;
  MYSQL_ROW row = mysql_fetch_row(res);
  gboolean ok = row && row[1];
  if (ok)
    g_strlcpy(out, row[1], len);
  mysql_free_result(res);
  return ok;
}

/* Spacing of the settle checks: a CHECKSUM that takes long (a big table, a
 * loaded server) is not repeated back to back. */
static gint64 settle_step(void)
{
  return MAX(TP_SETTLE_STEP_USEC, 2 * last_checksum_usec);
}

/* TRUE if CHECKSUM TABLE gives the value recorded with the published
 * snapshot (so a read would find the same content). */
static gboolean table_unchanged(MYSQL *m)
{
  char tsum[64] = "";
  if (!table_checksum(m, tsum, sizeof tsum))
    return FALSE;
  g_mutex_lock(&store.lock);
  gboolean same = store.current && store.table_checksum[0] &&
                  strcmp(tsum, store.table_checksum) == 0;
  if (same)
    tlsp_store_status.unchanged_checks++;
  g_mutex_unlock(&store.lock);
  return same;
}

/* After a failed read (error, its code the server's errno or 0): keeps
 * the published snapshot if the failure is transient, else unpublishes it.
 * Returns FALSE. */
static gboolean refresh_failed(GError *error)
{
  tlsp_policy_snapshot *old = NULL;
  gboolean transient = transient_errno((unsigned) error->code);
  g_mutex_lock(&store.lock);
  tlsp_store_status.refresh_failures++;
  set_error_locked(error->message);
  gboolean was_loaded = store.current != NULL;
  gboolean was_stale = tlsp_store_status.stale != 0;
  if (transient)
  {
    tlsp_store_status.transient_failures++;
    tlsp_store_status.stale = was_loaded;
  }
  else
  {
    old = store.current;
    store.current = NULL;
    store.checksum[0] = 0;
    tlsp_store_status.loaded = 0;
    tlsp_store_status.stale = 0;
    store.first_load_pending = FALSE; /* waiting logins: denied now */
  }
  g_cond_broadcast(&store.cond);
  g_mutex_unlock(&store.lock);
  if (transient && was_loaded && !was_stale)
    tlsp_log_warning("policy store: %s; the policy read last stays in force "
                     "until the table can be read again",
                     error->message);
  else if (!transient && was_loaded)
    tlsp_log_error("policy store: %s; logins that need the policy are denied "
                   "(policy_not_loaded) until the table can be read",
                   error->message);
  retire(old);
  return FALSE;
}

static void read_engine(MYSQL *m)
{
  static const char q[] =
      "SELECT ENGINE FROM information_schema.TABLES "
      "WHERE TABLE_SCHEMA='mysql' AND TABLE_NAME='tls_policy'";
  char engine[32] = "";
  if (mysql_real_query(m, q, sizeof q - 1) == 0)
  {
    MYSQL_RES *res = mysql_store_result(m);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    if (row && row[0])
      g_strlcpy(engine, row[0], sizeof engine);
    if (res)
      mysql_free_result(res);
  }
  g_mutex_lock(&store.lock);
  g_strlcpy(store.engine, engine, sizeof store.engine);
  g_mutex_unlock(&store.lock);
}

/* One refresh.  Publishes a new snapshot only if the content changed, or
 * nothing was published.  Returns TRUE if the table was read.  The CHECKSUM
 * is taken before the read: if the table changes in between, the recorded
 * checksum is older than the content, and the next check reads again
 * (never the other way round).  A CHECKSUM that fails for a transient
 * reason (a lock) is the refresh's outcome: the read would wait again. */
static gboolean refresh(MYSQL *m)
{
  char sum[65];
  g_autoptr(GError) error = NULL;
  char tsum[64] = "";
  g_mutex_lock(&store.lock);
  tlsp_store_status.refreshes++;
  tlsp_store_status.last_refresh = g_get_real_time() / G_USEC_PER_SEC;
  g_mutex_unlock(&store.lock);
  if (!table_checksum(m, tsum, sizeof tsum) && transient_errno(mysql_errno(m)))
  {
    g_set_error(&error, g_quark_from_static_string("tp-policy-store"),
                (int) mysql_errno(m),
                "checking mysql.tls_policy: %s (errno %u)", mysql_error(m),
                mysql_errno(m));
    return refresh_failed(error);
  }
  tlsp_policy_snapshot *snap = read_table(m, sum, &error);
  if (!snap)
    return refresh_failed(error);
  tlsp_policy_snapshot *old = NULL;
  g_mutex_lock(&store.lock);
  if (store.stop)
  {
    /* The plugin stopped while this read ran (its deinit may have run on
     * this thread, inside the read): publish nothing. */
    g_mutex_unlock(&store.lock);
    tlsp_policy_snapshot_unref(snap);
    return TRUE;
  }
  gboolean was_stale = tlsp_store_status.stale != 0;
  g_strlcpy(store.table_checksum, tsum, sizeof store.table_checksum);
  store.last_error[0] = 0;
  tlsp_store_status.stale = 0;
  store.first_load_pending = FALSE;
  if (store.current && strcmp(store.checksum, sum) == 0)
  {
    g_cond_broadcast(&store.cond);
    g_mutex_unlock(&store.lock);
    tlsp_policy_snapshot_unref(snap); /* unchanged */
    if (was_stale)
      tlsp_log_note("policy store: mysql.tls_policy can be read again");
    return TRUE;
  }
  old = store.current;
  store.current = snap;
  store.generation++;
  g_strlcpy(store.checksum, sum, sizeof store.checksum);
  tlsp_store_status.generation = store.generation;
  tlsp_store_status.loaded = 1;
  tlsp_store_status.rules_loaded = tlsp_policy_snapshot_rows_loaded(snap);
  tlsp_store_status.rules_invalid = tlsp_policy_snapshot_rows_invalid(snap);
  g_cond_broadcast(&store.cond);
  g_mutex_unlock(&store.lock);
  retire(old);
  if (was_stale)
    tlsp_log_note("policy store: mysql.tls_policy can be read again");
  read_engine(m);
  if (tlsp_policy_snapshot_rows_invalid(snap))
    tlsp_log_warning("policy generation %" G_GUINT64_FORMAT
                     ": %u of %u rows do "
                     "not parse; the accounts of such ENFORCE rows are denied "
                     "(policy_invalid), such REPORT rows deny nobody; see "
                     "mysql.tls_policy_rules",
                     (guint64) tlsp_policy_snapshot_generation(snap),
                     tlsp_policy_snapshot_rows_invalid(snap),
                     tlsp_policy_snapshot_rows_loaded(snap));
  return TRUE;
}

/* TRUE if InnoDB can create tables on this server. */
static gboolean have_innodb(MYSQL *m)
{
  static const char q[] =
      "SELECT 1 FROM information_schema.ENGINES "
      "WHERE ENGINE='InnoDB' AND SUPPORT IN ('YES','DEFAULT')";
  gboolean yes = FALSE;
  if (mysql_real_query(m, q, sizeof q - 1) == 0)
  {
    MYSQL_RES *res = mysql_store_result(m);
    yes = res && mysql_num_rows(res) > 0;
    if (res)
      mysql_free_result(res);
  }
  return yes;
}

/* Creates mysql.tls_policy when missing: the DDL of sql/, in InnoDB, or in
 * Aria (TRANSACTIONAL=1: crash-safe, as the server's privilege tables) when
 * InnoDB is not available.  An existing table is used as it is. */
static void ensure_schema(MYSQL *m)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) ddl = g_string_new(tlsp_sql_tls_policy_table);
  if (!have_innodb(m))
    g_string_replace(ddl, ") ENGINE=InnoDB ", ") ENGINE=Aria TRANSACTIONAL=1 ",
                     1);
  if (!tlsp_sql_session_run(m, ddl->str, &error))
    tlsp_log_error("policy store: cannot create mysql.tls_policy: %s",
                   error->message);
  read_engine(m);
  if (store_create_objects)
    store_create_objects(m);
}

static gpointer refresher_main(gpointer unused)
{
  if (!tlsp_server_thread_init())
  {
    tlsp_log_error("policy store: thread initialisation failed");
    return NULL;
  }
  /* Plugins are initialised before the storage engines and ACL at server
   * start: wait until the server accepts connections. */
  g_mutex_lock(&store.lock);
  while (!store.stop && !tlsp_server_started())
    g_cond_wait_until(&store.cond, &store.lock,
                      g_get_monotonic_time() + 50 * 1000);
  gboolean stop = store.stop;
  g_mutex_unlock(&store.lock);

  MYSQL *m = NULL;
  gboolean schema_done = FALSE;
  gint64 next_periodic = 0;
  unsigned periods = 0;
  while (!stop)
  {
    if (tlsp_sql_session_release_at_shutdown(&m))
      ; /* no SQL once the server shuts down (sql_session.h) */
    else if (!m && (m = connect_local()) && !schema_done)
    {
      ensure_schema(m);
      schema_done = TRUE;
    }
    g_mutex_lock(&store.lock);
    uint64_t serving = store.requested;
    gint64 now = g_get_monotonic_time();
    gboolean settling = now < store.settle_until;
    gboolean periodic_due = now >= next_periodic;
    gboolean never_loaded = store.current == NULL;
    g_mutex_unlock(&store.lock);

    if (m && !tlsp_sql_session_release_at_shutdown(&m))
    {
      /* A session that wrote the table waits for this: always read. */
      gboolean full = serving != store.completed || never_loaded ||
                      (periodic_due && periods % TP_FULL_READ_PERIODS == 0);
      if (!full && (settling || periodic_due))
        full = !table_unchanged(m);
      if (full && !refresh(m) && mysql_errno(m) >= 2000)
      {
        tlsp_sql_session_close(m); /* client-side error: reconnect next round */
        m = NULL;
      }
    }
    if (periodic_due)
    {
      periods++;
      next_periodic =
          g_get_monotonic_time() +
          (gint64) MAX(tlsp_opt_refresh_interval, 1) * G_USEC_PER_SEC;
    }

    release_retired(FALSE);
    g_mutex_lock(&store.lock);
    store.completed = serving;
    g_cond_broadcast(&store.cond);
    gint64 wake = next_periodic;
    if (!g_queue_is_empty(&store.retired))
      wake = MIN(wake, g_get_monotonic_time() + TP_RETIRE_USEC);
    if (store.settle_until > g_get_monotonic_time())
      wake = MIN(wake, g_get_monotonic_time() + settle_step());
    if (!m || store.current == NULL)
      wake = MIN(wake, g_get_monotonic_time() + 200 * 1000);
    if (tlsp_store_status.stale)
      wake = MIN(wake, g_get_monotonic_time() + TP_STALE_RETRY_USEC);
    if (m) /* notice a shutdown while idle */
      wake = MIN(wake, g_get_monotonic_time() + TP_SQL_SHUTDOWN_POLL_USEC);
    /* A poke (settle_until moved) wakes us as well as a request. */
    gint64 settle_seen = store.settle_until;
    while (!store.stop && store.requested == serving &&
           store.settle_until == settle_seen && g_get_monotonic_time() < wake)
      if (!g_cond_wait_until(&store.cond, &store.lock, wake))
        break;
    stop = store.stop;
    g_mutex_unlock(&store.lock);
  }
  tlsp_sql_session_close(m);
  tlsp_server_thread_end();
  return NULL;
}

gboolean tlsp_policy_store_start(tlsp_store_objects_fn create_objects,
                                 GError **error)
{
  store_create_objects = create_objects;
  /* A refresher that ran the previous deinit itself has ended, or ends
   * within its current statement. */
  tlsp_thread_join_deferred(&store.deferred);
  g_mutex_lock(&store.lock);
  store.stop = FALSE;
  store.first_load_pending = TRUE;
  store.engine[0] = 0;
  store.requested = store.completed = 0;
  store.settle_until = 0;
  store.checksum[0] = store.table_checksum[0] = store.last_error[0] = 0;
  memset(&tlsp_store_status, 0, sizeof tlsp_store_status);
  tlsp_store_status.generation = store.generation;
  /* Created under the lock: the thread's first look at `store` comes after
   * store.thread is set. */
  store.thread =
      g_thread_try_new("tls_policy_store", refresher_main, NULL, error);
  gboolean started = store.thread != NULL;
  g_mutex_unlock(&store.lock);
  if (!started)
    return FALSE;
  /* INSTALL SONAME on a running server: load before returning, so the very
   * next login is decided by the table (bounded wait). */
  if (tlsp_server_started())
    tlsp_policy_store_refresh_wait(10 * G_USEC_PER_SEC);
  return TRUE;
}

/* May run on the refresher itself (the server ran deinit there, inside one
 * of its statements): then the thread is not joined but deferred, and ends
 * once its statement returns (refresh() publishes nothing after stop). */
void tlsp_policy_store_stop(void)
{
  g_mutex_lock(&store.lock);
  store.stop = TRUE;
  store.first_load_pending = FALSE;
  g_cond_broadcast(&store.cond);
  GThread *t = store.thread;
  g_mutex_unlock(&store.lock);
  tlsp_thread_stop_join(t, &store.deferred);
  g_mutex_lock(&store.lock);
  store.thread = NULL;
  tlsp_policy_snapshot *old = store.current;
  store.current = NULL;
  tlsp_store_status.loaded = 0;
  g_mutex_unlock(&store.lock);
  if (old)
    tlsp_policy_snapshot_unref(old);
  release_retired(TRUE);
  touched_clear_all();
}

tlsp_policy_snapshot *tlsp_policy_store_acquire(void)
{
  g_mutex_lock(&store.lock);
  if (!store.current && store.first_load_pending && tlsp_opt_startup_wait > 0 &&
      store.thread && store.thread != g_thread_self())
  {
    /* Before the first load: wait for it (bounded), woken by every
     * publication or failure. */
    tlsp_store_status.startup_waits++;
    gint64 deadline = g_get_monotonic_time() +
                      (gint64) tlsp_opt_startup_wait * G_USEC_PER_SEC;
    while (!store.current && store.first_load_pending && !store.stop)
      if (!g_cond_wait_until(&store.cond, &store.lock, deadline))
        break;
    if (!store.current && store.first_load_pending)
      tlsp_store_status.startup_wait_timeouts++;
  }
  tlsp_policy_snapshot *s =
      store.current ? tlsp_policy_snapshot_ref(store.current) : NULL;
  g_mutex_unlock(&store.lock);
  return s;
}

void tlsp_policy_store_poke(void)
{
  g_mutex_lock(&store.lock);
  store.settle_until = g_get_monotonic_time() + TP_SETTLE_USEC;
  g_cond_broadcast(&store.cond);
  g_mutex_unlock(&store.lock);
}

gboolean tlsp_policy_store_refresh_wait(gint64 timeout_usec)
{
  g_mutex_lock(&store.lock);
  if (!store.thread || store.stop)
  {
    g_mutex_unlock(&store.lock);
    return FALSE;
  }
  uint64_t ticket = ++store.requested;
  g_cond_broadcast(&store.cond);
  gint64 deadline = g_get_monotonic_time() + timeout_usec;
  while (store.completed < ticket && !store.stop)
    if (!g_cond_wait_until(&store.cond, &store.lock, deadline))
      break;
  gboolean done = store.completed >= ticket;
  g_mutex_unlock(&store.lock);
  return done;
}

void tlsp_policy_store_last_error(char *buf, size_t len)
{
  g_mutex_lock(&store.lock);
  g_strlcpy(buf, store.last_error, len);
  g_mutex_unlock(&store.lock);
}

void tlsp_policy_store_engine(char *buf, size_t len)
{
  g_mutex_lock(&store.lock);
  g_strlcpy(buf, store.engine, len);
  g_mutex_unlock(&store.lock);
}

/* ---- write visibility ------------------------------------------------------ */

/* Sessions that wrote mysql.tls_policy: after each of their statements the
 * policy is re-read before the statement's end is acknowledged to the
 * plugin, so that the next login sees the committed change.  The mark
 * keeps the policy generation of the session's first write event; it goes
 * once a published generation is newer than that (the change was read:
 * by this session's re-read or by the settle loop that the write event
 * started, whichever came first), at COMMIT/ROLLBACK and at disconnect.
 * touched_lock protects touched. */
static GMutex touched_lock;
static GHashTable *touched; /* conn id (guint64*) -> generation (guint64*) */

static void touched_mark(guint64 id, guint64 generation)
{
  g_mutex_lock(&touched_lock);
  if (!touched)
    touched =
        g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  if (!g_hash_table_contains(touched, &id)) /* keep the first write's */
    g_hash_table_insert(touched, g_memdup2(&id, sizeof id),
                        g_memdup2(&generation, sizeof generation));
  g_mutex_unlock(&touched_lock);
}

static void touched_unmark(guint64 id)
{
  g_mutex_lock(&touched_lock);
  if (touched)
    g_hash_table_remove(touched, &id);
  g_mutex_unlock(&touched_lock);
}

/* TRUE if the session is marked; *generation: the generation at its mark. */
static gboolean touched_get(guint64 id, guint64 *generation)
{
  g_mutex_lock(&touched_lock);
  guint64 *g = touched ? g_hash_table_lookup(touched, &id) : NULL;
  if (g)
    *generation = *g;
  g_mutex_unlock(&touched_lock);
  return g != NULL;
}

static void touched_clear_all(void)
{
  g_mutex_lock(&touched_lock);
  if (touched)
    g_hash_table_destroy(touched);
  touched = NULL;
  g_mutex_unlock(&touched_lock);
}

void tlsp_policy_store_table_written(gboolean by_session, guint64 conn_id)
{
  if (by_session)
    touched_mark(conn_id, tlsp_store_status.generation);
  tlsp_policy_store_poke();
}

void tlsp_policy_store_statement_ended(guint64 conn_id, const char *query,
                                       size_t query_length)
{
  guint64 marked_at;
  if (!touched_get(conn_id, &marked_at))
    return;
  /* The mark stays while the change may still be uncommitted; it goes
   * once a generation newer than the one at the first write is published
   * (an autocommit write has been read), or at the end of the transaction.
   * (A transaction whose table another session changes meanwhile loses its
   * mark early; its COMMIT is then seen by the settle loop or the periodic
   * check, not synchronously.) */
  tlsp_policy_store_refresh_wait(5 * G_USEC_PER_SEC);
  tlsp_stmt_kind kind = tlsp_stmt_classify(query, query_length);
  if (tlsp_store_status.generation > marked_at || kind == TP_STMT_COMMIT ||
      kind == TP_STMT_ROLLBACK)
    touched_unmark(conn_id);
}

void tlsp_policy_store_session_ended(guint64 conn_id)
{
  touched_unmark(conn_id);
}

/* ---- variables --------------------------------------------------------------- */

static MYSQL_SYSVAR_UINT(
    refresh_interval, tlsp_opt_refresh_interval, PLUGIN_VAR_RQCMDARG,
    "Seconds between the periodic checks of mysql.tls_policy for changes "
    "that no event announced (a safety net; changes are normally seen at "
    "once).",
    NULL, NULL, 10, 1, 3600, 0);

static MYSQL_SYSVAR_UINT(
    startup_wait, tlsp_opt_startup_wait, PLUGIN_VAR_RQCMDARG,
    "Seconds a login that arrives before the first policy load (server start, "
    "INSTALL) waits for it; 0 denies such logins at once (policy_not_loaded).",
    NULL, NULL, 5, 0, 300, 0);

static int show_policy_error(MYSQL_THD thd, struct st_mysql_show_var *var,
                             void *buff, struct system_status_var *sv,
                             enum enum_var_type scope)
{
  var->type = SHOW_CHAR;
  var->value = buff;
  tlsp_policy_store_last_error(buff, SHOW_VAR_FUNC_BUFF_SIZE);
  return 0;
}

static int show_engine(MYSQL_THD thd, struct st_mysql_show_var *var, void *buff,
                       struct system_status_var *sv, enum enum_var_type scope)
{
  var->type = SHOW_CHAR;
  var->value = buff;
  tlsp_policy_store_engine(buff, SHOW_VAR_FUNC_BUFF_SIZE);
  return 0;
}

static struct st_mysql_sys_var *store_sysvars[] = {
    MYSQL_SYSVAR(refresh_interval), MYSQL_SYSVAR(startup_wait), NULL};

static struct st_mysql_show_var store_status[] = {
    {"policy_loaded", (char *) &tlsp_store_status.loaded, SHOW_ULONGLONG},
    {"policy_generation", (char *) &tlsp_store_status.generation,
     SHOW_ULONGLONG},
    {"rules_loaded", (char *) &tlsp_store_status.rules_loaded, SHOW_ULONGLONG},
    {"rules_invalid", (char *) &tlsp_store_status.rules_invalid,
     SHOW_ULONGLONG},
    {"policy_refreshes", (char *) &tlsp_store_status.refreshes, SHOW_ULONGLONG},
    {"policy_refresh_failures", (char *) &tlsp_store_status.refresh_failures,
     SHOW_ULONGLONG},
    {"policy_last_refresh", (char *) &tlsp_store_status.last_refresh,
     SHOW_ULONGLONG},
    {"policy_unchanged_checks", (char *) &tlsp_store_status.unchanged_checks,
     SHOW_ULONGLONG},
    {"policy_last_error", (char *) &show_policy_error, SHOW_FUNC},
    {"policy_refresh_transient_failures",
     (char *) &tlsp_store_status.transient_failures, SHOW_ULONGLONG},
    {"policy_stale", (char *) &tlsp_store_status.stale, SHOW_ULONGLONG},
    {"policy_startup_waits", (char *) &tlsp_store_status.startup_waits,
     SHOW_ULONGLONG},
    {"policy_startup_wait_timeouts",
     (char *) &tlsp_store_status.startup_wait_timeouts, SHOW_ULONGLONG},
    {"policy_table_engine", (char *) &show_engine, SHOW_FUNC},
    {0, 0, 0}};

/* Variables and status only: plugin.c starts and stops the store itself,
 * before and after every module. */
const tlsp_module tlsp_module_policy_store = {
    .name = "policy_store",
    .sysvars = store_sysvars,
    .status = store_status,
};
