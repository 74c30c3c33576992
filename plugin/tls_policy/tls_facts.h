/*
 * tls_facts.h — capturing TLS facts at the handshake and binding them to the
 * connection id (hazards H1 and H3, docs/hazards.md).
 *
 * Handshakes are observed through the SSL objects, not the acceptor
 * SSL_CTX: an SSL ex_data index with a "new" function sees every SSL_new()
 * of the process.  An SSL created on a thread whose current THD is a
 * connection being logged in gets our info callback and marks the
 * connection "TLS started" (role still unknown: OpenSSL 3.2+ sets the server
 * flag only after the "new" function ran); the first info callback tells a
 * server-side object from a client-side one, which drops the mark; at
 * SSL_CB_HANDSHAKE_DONE the callback copies the facts (version, cipher,
 * verify result, a reference on the peer certificate) of a server-side
 * object into a registry keyed by the connection id of that THD.
 * Whichever context the server used (the one before FLUSH SSL, the one
 * after, one of the plugin's reloads), the SSL object is seen.
 *
 * A connection is known to be plain only if it was registered before its
 * greeting (tlsp_conn_begin) and no SSL object was created for it until it
 * was resolved, except client-side ones that started their handshake;
 * otherwise, without facts, its TLS state is TP_TLS_UNKNOWN (fail closed).
 *
 * Threads: every function is thread safe.  The registry is sharded; each
 * shard has its own mutex, held only for hash-table operations.  No other
 * lock is taken while a shard lock is held.
 */
#ifndef TLS_POLICY_TLS_FACTS_H
#define TLS_POLICY_TLS_FACTS_H

#include <stdint.h>
#include <glib.h>
#include <openssl/ssl.h>
#include "tls_policy/facts.h"

/* Registers the SSL observer (once per process) and starts recording. */
gboolean tlsp_tls_facts_start(GError **error);
/* Stops observing and drops all records.  SSL objects of connections that
 * outlive the plugin keep our info callback and OpenSSL keeps calling the
 * "new" function; both are no-ops then (the library stays mapped:
 * RTLD_NODELETE). */
void tlsp_tls_facts_stop(void);

tlsp_tls_facts *tlsp_tls_facts_ref(tlsp_tls_facts *f);
void tlsp_tls_facts_unref(tlsp_tls_facts *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(tlsp_tls_facts, tlsp_tls_facts_unref)

/* A new connection's first authentication pass is about to run (before its
 * greeting, so before any TLS handshake). */
void tlsp_conn_begin(uint64_t conn_id);

typedef struct tlsp_conn_state {
  tlsp_tls_state tls_state;
  tlsp_tls_facts *facts; /* owned reference, NULL unless TP_TLS_YES */
  gboolean first_login;  /* FALSE for COM_CHANGE_USER on a known connection */
} tlsp_conn_state;
/* Called after an authentication handler succeeded: classifies the
 * connection once (later calls return the same classification). */
void tlsp_conn_resolve(uint64_t conn_id, tlsp_conn_state *out);
void tlsp_conn_state_clear(tlsp_conn_state *s);

/* Who the plugin admitted, from where, and by which rule: what the views
 * show and what a re-check decides again.  Strings are copied. */
typedef struct tlsp_admission {
  const char *user, *host;
  const char *ip;   /* the client address, NULL for the socket */
  const char *rule; /* "row 17", "report-mode", "break-glass" */
  tlsp_transport transport;
  gboolean identity_required; /* a tls_cert login */
} tlsp_admission;

/* Records an admission.  It stays pending until tlsp_conn_admission_settle():
 * views and re-checks see the session's identity only once the server
 * accepted the login. */
void tlsp_conn_set_admission(uint64_t conn_id, const tlsp_admission *a);
/* The server finished the login (audit CONNECT or CHANGE_USER): accepted,
 * the pending admission becomes the session's identity; refused, it is
 * dropped and the session keeps the identity it had. */
void tlsp_conn_admission_settle(uint64_t conn_id, gboolean accepted);
void tlsp_conn_forget(uint64_t conn_id);
guint tlsp_conn_tracked(void);

/* Iterate records (for views); callback runs under the shard lock: keep it
 * short, copy what it needs. */
typedef struct tlsp_conn_view {
  uint64_t conn_id;
  tlsp_tls_state tls_state;
  const tlsp_tls_facts *facts;
  const char *user, *host, *ip, *rule; /* user NULL: not admitted (yet) */
  tlsp_transport transport;
  gboolean identity_required;
} tlsp_conn_view;
void tlsp_conn_foreach(void (*fn)(const tlsp_conn_view *v, void *data),
                       void *data);

#endif
