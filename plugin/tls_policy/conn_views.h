/*
 * conn_views.h — per-connection TLS views (docs/identity-and-sessions.md):
 * the UDFs tls_policy_connections() and tls_policy_account_cert_expiry()
 * and the views mysql.tls_policy_connections and
 * mysql.tls_policy_account_cert_expiry over them (through a stored function
 * each and JSON_TABLE, see views.h), plus the
 * helpers recheck.c shares: copying the connection registry out of its
 * locks, describing a client certificate, and JSON string escaping.
 *
 * Everything is computed from the registry of tls_facts.c (tlsp_conn_foreach):
 * the connection id, the admitted user, the client host, the transport, the
 * rule that admitted the login and the TLS facts with the peer certificate.
 * Connections the plugin did not see log in (older than INSTALL, or
 * authenticated by an uncovered plugin such as unix_socket) are not listed.
 *
 * Threads: every function is thread safe.  None runs SQL except
 * tlsp_conn_views_install(), which runs on the connection it is given.
 */
#ifndef TLS_POLICY_CONN_VIEWS_H
#define TLS_POLICY_CONN_VIEWS_H

#include <stdint.h>
#include <glib.h>
#include "module.h"
#include "tls_policy/json_text.h"
#include <mysql/plugin.h> /* UDF_INIT, UDF_ARGS */
#include "tls_policy/facts.h"

struct st_mysql;

/*
 * Creates the objects of mysql.tls_policy_connections and
 * mysql.tls_policy_account_cert_expiry (tlsp_views_create()) on `m`, a local
 * connection with all privileges and sql_log_bin=0 (the policy store's
 * refresher).  Each object is tried on its own; failures are logged.  Also
 * creates those of recheck.c's view.
 */
void tlsp_conn_views_install(struct st_mysql *m);

/* The module (module.h): the remembered certificate expiries and the
 * thread that feeds them once a second. */
extern const tlsp_module tlsp_module_conn_views;

/*
 * Merges the certificates of the live connections into the per-account
 * expiry memory.  Cheap for connections already seen.  Called once a second
 * by the module's sweeper thread and before the expiry view is read.
 */
void tlsp_conn_views_sweep(void);

/* One admitted connection, copied out of the registry. */
typedef struct tlsp_conn_copy {
  uint64_t conn_id;
  tlsp_tls_state tls_state;
  tlsp_tls_facts *facts;    /* own reference, NULL unless TLS */
  char *user, *host, *rule; /* never NULL */
  char *ip;                 /* client address, NULL for the socket */
  tlsp_transport transport;
  gboolean identity_required; /* a tls_cert session */
} tlsp_conn_copy;

/* The admitted connections (those with a recorded admission), ordered by
 * connection id.  Array of tlsp_conn_copy with a clear function: free with
 * g_array_unref(). */
GArray *tlsp_conn_views_collect(void);

/* Text forms of a certificate, all newly allocated UTF-8 (g_free). */
typedef struct tlsp_cert_text {
  char *subject;    /* X509_NAME_oneline(), what REQUIRE SUBJECT compares */
  char *subject_dn; /* RFC 4514, what SUBJECT_DN compares */
  char *issuer;     /* one-line */
  char *issuer_dn;  /* RFC 4514 */
  char *serial;     /* upper-case hex, as openssl x509 -serial */
  char *sans;       /* "DNS:a, email:b, URI:c, IP:d", raw values (may hold
                         * NUL); NULL without a subjectAltName extension */
  size_t sans_len;
  char *sha256;                 /* lower-case hex of the DER certificate */
  gint64 not_before, not_after; /* Unix seconds; G_MININT64 if unreadable */
} tlsp_cert_text;
void tlsp_cert_text_fill(X509 *cert, tlsp_cert_text *out);
void tlsp_cert_text_clear(tlsp_cert_text *t);

/* Unix seconds of an ASN.1 time, G_MININT64 if it cannot be read. */
gint64 tlsp_asn1_time_unix(const ASN1_TIME *t);
/* "2031-05-06 07:08:09" in UTC, or NULL for G_MININT64. */
char *tlsp_utc_datetime(gint64 t);

/* The objects of one view over a UDF, made by tlsp_views_create() (views.h):
 * the UDF `function`, the stored function mysql.<function>_json() and the
 * view `view` AS SELECT `select` FROM JSON_TABLE(...) COLUMNS (`columns`).
 * Every string must be static. */
void tlsp_conn_views_install_view(struct st_mysql *m, const char *view,
                                  const char *function, const char *select,
                                  const char *columns);

#endif
