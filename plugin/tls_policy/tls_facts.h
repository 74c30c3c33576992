/*
 * tls_facts.h — capturing TLS facts at the handshake and binding them to the
 * connection id (hazards H1 and H3 of DESIGN-NOTES).
 *
 * The server's acceptor SSL_CTX is "instrumented": it gets our info callback
 * and an ex_data serial that is unique for the life of the process.  At
 * SSL_CB_HANDSHAKE_DONE the callback copies the facts (version, cipher,
 * verify result, a reference on the peer certificate) into a registry keyed
 * by the connection id of the THD running the handshake.
 *
 * Whether a connection without captured facts is plain or an unobserved TLS
 * connection is decided from the context serial seen before the handshake
 * (tp_conn_begin) and after authentication (tp_conn_resolve): only if both
 * are the same instrumented context, or both "no context", is the connection
 * known to be plain; otherwise its TLS state is TP_TLS_UNKNOWN (fail closed).
 *
 * Threads: every function is thread safe.  The registry is sharded; each
 * shard has its own mutex, held only for hash-table operations.
 */
#ifndef TLS_POLICY_TLS_FACTS_H
#define TLS_POLICY_TLS_FACTS_H

#include <stdint.h>
#include <glib.h>
#include <openssl/ssl.h>
#include "tls_policy/facts.h"

void tp_tls_facts_start(void);
/* Removes our callback from the current context, drops all records.  Old
 * contexts still referenced by live connections keep the callback; it turns
 * into a no-op (the library stays mapped: RTLD_NODELETE). */
void tp_tls_facts_stop(void);

/* Makes sure the server's current acceptor context is instrumented and
 * returns its serial (0: the server has no TLS context).  May briefly take
 * LOCK_ssl_refresh for writing, the first time a context is seen. */
uint64_t tp_tls_instrument_current(void);
/* Instruments a context that is not published yet, or under the write lock. */
void tp_tls_instrument_ctx(SSL_CTX *ctx);
/* Serial of the current context, 0 if none or not instrumented. */
uint64_t tp_tls_current_serial(void);

tp_tls_facts *tp_tls_facts_ref(tp_tls_facts *f);
void tp_tls_facts_unref(tp_tls_facts *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(tp_tls_facts, tp_tls_facts_unref)

/* A new connection's first authentication pass is about to run. */
void tp_conn_begin(uint64_t conn_id, uint64_t pre_serial);

typedef struct tp_conn_state {
  tp_tls_state tls_state;
  tp_tls_facts *facts;   /* owned reference, NULL unless TP_TLS_YES */
  gboolean first_login;  /* FALSE for COM_CHANGE_USER on a known connection */
} tp_conn_state;
/* Called after an authentication handler succeeded: classifies the
 * connection once (later calls return the same classification). */
void tp_conn_resolve(uint64_t conn_id, tp_conn_state *out);
void tp_conn_state_clear(tp_conn_state *s);

/* Records who was admitted and by which rule, for the connection views. */
void tp_conn_set_admission(uint64_t conn_id, const char *user,
                           const char *host, tp_transport transport,
                           const char *rule);
void tp_conn_forget(uint64_t conn_id);
guint tp_conn_tracked(void);

/* Iterate records (for views); callback runs under the shard lock: keep it
 * short, copy what it needs. */
typedef struct tp_conn_view {
  uint64_t conn_id;
  tp_tls_state tls_state;
  const tp_tls_facts *facts;
  const char *user, *host, *rule;
  tp_transport transport;
} tp_conn_view;
void tp_conn_foreach(void (*fn)(const tp_conn_view *v, void *data), void *data);

#endif
