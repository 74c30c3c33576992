/*
 * policy_store.h — mysql.tls_policy: creating it, reading it into snapshots
 * in a background thread, and publishing the current snapshot to logins.
 */
#ifndef TLS_POLICY_POLICY_STORE_H
#define TLS_POLICY_POLICY_STORE_H

#include <glib.h>
#include <mysql/plugin.h>
#include "tls_policy/policy_snapshot.h"
#include "module.h"

typedef struct tlsp_store_stats {
  unsigned long long loaded;     /* 1 while a snapshot is published */
  unsigned long long generation; /* content generation */
  unsigned long long rules_loaded, rules_invalid;
  unsigned long long refreshes, refresh_failures;
  unsigned long long last_refresh; /* Unix seconds */
  unsigned long long
      unchanged_checks; /* CHECKSUM TABLE said unchanged: no read */
  unsigned long long transient_failures; /* reads failed, last snapshot kept */
  unsigned long long stale; /* 1 while the last read failed transiently */
  unsigned long long startup_waits; /* logins that waited for the first load */
  unsigned long long
      startup_wait_timeouts; /* ... and found none within the wait */
} tlsp_store_stats;
extern tlsp_store_stats tlsp_store_status; /* read by status variables */
extern unsigned int tlsp_opt_refresh_interval;
extern unsigned int
    tlsp_opt_startup_wait; /* seconds; tls_policy_startup_wait */

/* Creates the SQL objects beside the table (views, functions, procedures):
 * called on the refresher's local connection once the table exists.  The
 * store knows none of them; plugin.c passes the function that does. */
struct st_mysql;
typedef void (*tlsp_store_objects_fn)(struct st_mysql *m);

gboolean tlsp_policy_store_start(tlsp_store_objects_fn create_objects,
                                 GError **error);
void tlsp_policy_store_stop(void);

/* The current snapshot (a new reference; NULL when none is loaded).  Once
 * the first load after start has ended it never blocks on a refresh: it
 * takes one mutex for a pointer copy and a ref.  Before that (server start,
 * INSTALL) it waits for the first load, at most tlsp_opt_startup_wait
 * seconds. */
tlsp_policy_snapshot *tlsp_policy_store_acquire(void);

/* Asks the refresher thread to re-read the table for a settle period (from
 * the audit plugin's TABLE events); never blocks. */
void tlsp_policy_store_poke(void);

/* Requests a refresh and waits until it completed (or timeout).  Never call
 * from a login; from a statement-end event of the session that wrote the
 * table it makes the change visible to the next login. */
gboolean tlsp_policy_store_refresh_wait(gint64 timeout_usec);

/* Write visibility (audit events, plugin.c).  A statement wrote or
 * write-locked mysql.tls_policy (by_session: on a client session, whose
 * statements then re-read the table as they end until the change is
 * published; else, e.g. a replica's applier: only the settle loop). */
void tlsp_policy_store_table_written(gboolean by_session, guint64 conn_id);
/* A statement of conn_id ended: if the session wrote the table, re-read it
 * before returning, so that the next login sees the committed change. */
void tlsp_policy_store_statement_ended(guint64 conn_id, const char *query,
                                       size_t query_length);
void tlsp_policy_store_session_ended(guint64 conn_id);

void tlsp_policy_store_last_error(char *buf, size_t len);
/* Engine of mysql.tls_policy as the server reports it ("" until known). */
void tlsp_policy_store_engine(char *buf, size_t len);

/* The store's variables and status (no start/stop: plugin.c starts the
 * store before every module and stops it after them). */
extern const tlsp_module tlsp_module_policy_store;

#endif
