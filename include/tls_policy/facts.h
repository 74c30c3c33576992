/*
 * facts.h — what is known about one connection when its login is decided.
 *
 * tlsp_tls_facts is captured at the end of the TLS handshake (tls_facts.c) and
 * is immutable afterwards.  It is reference counted (g_atomic_rc_box): the
 * registry holds one reference, a login decision or a view row takes its own
 * while it reads.  It owns a reference on the peer certificate (X509_up_ref),
 * never a bare SSL pointer (hazard H1, docs/hazards.md).
 *
 * tlsp_login is built on the stack by the authentication hook for one decision
 * and only borrows what it points to.
 */
#ifndef TLS_POLICY_FACTS_H
#define TLS_POLICY_FACTS_H

#include <stdint.h>
#include <time.h>
#include <glib.h>
#include <openssl/x509.h>

typedef enum tlsp_transport {
  TP_TRANSPORT_UNKNOWN = 0,
  TP_TRANSPORT_TCP,    /* TCP/IP socket */
  TP_TRANSPORT_SOCKET, /* local unix socket */
} tlsp_transport;

typedef enum tlsp_tls_state {
  TP_TLS_UNKNOWN = 0, /* could not be established: fail closed */
  TP_TLS_NO,          /* certainly no TLS on this connection */
  TP_TLS_YES,         /* TLS, facts below are valid */
} tlsp_tls_state;

/* The names the log lines and the views show: "tcp", "socket", "unknown";
 * "yes", "no", "unknown". */
static inline const char *tlsp_transport_text(tlsp_transport t)
{
  return t == TP_TRANSPORT_TCP      ? "tcp"
         : t == TP_TRANSPORT_SOCKET ? "socket"
                                    : "unknown";
}

static inline const char *tlsp_tls_state_text(tlsp_tls_state s)
{
  return s == TP_TLS_YES ? "yes" : s == TP_TLS_NO ? "no" : "unknown";
}

typedef struct tlsp_tls_facts {
  uint64_t conn_id;     /* server connection id (thd_get_thread_id) */
  int protocol_version; /* SSL_version(): TLS1_2_VERSION, TLS1_3_VERSION */
  char protocol[16];    /* "TLSv1.3" */
  char cipher[64];      /* SSL_get_cipher_name(): "TLS_AES_256_GCM_SHA384" */
  long verify_result;   /* SSL_get_verify_result() */
  X509 *peer_cert;      /* owned reference, NULL if none was presented */
  int64_t captured_at;  /* g_get_real_time() / G_USEC_PER_SEC */
} tlsp_tls_facts;

typedef struct tlsp_login {
  const char *user; /* user name as sent by the client ("" allowed) */
  const char *host; /* host name or IP as the server sees it */
  const char *ip;   /* numeric peer address, NULL for unix socket */
  tlsp_transport transport;
  tlsp_tls_state tls_state;
  const tlsp_tls_facts *tls; /* non-NULL iff tls_state == TP_TLS_YES */
  time_t now;                /* evaluation time (certificate validity rules) */
} tlsp_login;

#endif
