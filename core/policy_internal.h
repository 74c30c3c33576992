/*
 * policy_internal.h — the parsed form of a Requirement, shared by the parser
 * (policy_parse.c) and the evaluator (policy_match.c).  Nothing outside those
 * two files, their unit tests and fuzz targets should look inside a
 * tlsp_requirement.
 */
#ifndef TLS_POLICY_POLICY_INTERNAL_H
#define TLS_POLICY_POLICY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "tls_policy/openssl_autoptr.h" /* g_autoptr for OpenSSL types */
#include "tls_policy/policy.h"

G_BEGIN_DECLS

/* Bounds of the language (docs/requirement-grammar.md, "Bounds"). */
#define TP_REQ_MAX_INPUT 16384u /* bytes of rule text */
#define TP_REQ_MAX_VALUE 4096u  /* bytes of one decoded string value */
#define TP_REQ_MAX_CLAUSES 64u
#define TP_REQ_MAX_DAYS 36500u

/* The whole-rule forms; TP_REQ_CLAUSES is a conjunction of clauses. */
typedef enum tlsp_req_kind {
  TP_REQ_NONE,
  TP_REQ_SSL,
  TP_REQ_X509,
  TP_REQ_EXEMPT,
  TP_REQ_CLAUSES,
} tlsp_req_kind;

/*
 * Clause kinds, in evaluation order (which is also the order of the
 * canonical text).  CIPHER, ISSUER and SUBJECT are MariaDB's own and are
 * checked exactly as acl_check_ssl() does.
 */
typedef enum tlsp_clause_kind {
  TP_CLAUSE_CIPHER,
  TP_CLAUSE_MIN_TLS_VERSION,
  TP_CLAUSE_ISSUER,
  TP_CLAUSE_SUBJECT,
  TP_CLAUSE_ISSUER_DN,
  TP_CLAUSE_SUBJECT_DN,
  TP_CLAUSE_SAN,
  TP_CLAUSE_SPIFFE,
  TP_CLAUSE_FINGERPRINT,
  TP_CLAUSE_PUBKEY,
  TP_CLAUSE_MIN_VALIDITY_DAYS,
  TP_CLAUSE__COUNT
} tlsp_clause_kind;

typedef enum tlsp_san_type {
  TP_SAN_DNS,
  TP_SAN_IP,
  TP_SAN_EMAIL,
  TP_SAN_URI,
} tlsp_san_type;

/* One attribute of a structured DN: type by NID (or by OID when OpenSSL
 * knows no NID for it) and its UTF-8 value. */
typedef struct tlsp_dn_ava {
  int nid;          /* NID_undef iff obj is set */
  ASN1_OBJECT *obj; /* owned; an OID OpenSSL has no NID for */
  char *value;      /* UTF-8, NUL-terminated, no embedded NUL */
  size_t value_len;
} tlsp_dn_ava;

typedef struct tlsp_dn_rdn {
  guint n_avas; /* >= 1 */
  tlsp_dn_ava *avas;
} tlsp_dn_rdn;

/* A DN as an unordered multiset of RDNs, each an unordered set of AVAs. */
typedef struct tlsp_dn {
  guint n_rdns; /* 0 for the empty DN */
  tlsp_dn_rdn *rdns;
} tlsp_dn;

#define TP_SPIFFE_ANY_ONE "*" /* a path segment matching exactly one segment */
#define TP_SPIFFE_ANY_REST \
  "**" /* final segment matching one or more segments */

typedef struct tlsp_clause {
  tlsp_clause_kind kind;
  tlsp_san_type san_type; /* TP_CLAUSE_SAN only */
  char *text;             /* the value as written (decoded), NUL-terminated */
  size_t text_len;
  union {
    tlsp_dn dn; /* ISSUER_DN, SUBJECT_DN */
    struct {
      gboolean wildcard; /* "*.rest" */
      const char *match; /* into text: rest after "*." */
      size_t match_len;
    } dns;
    struct {
      int family; /* AF_INET or AF_INET6 */
      guint8 addr[16];
      guint prefix; /* bits, full length if no CIDR */
    } ip;
    struct {
      size_t at; /* index of the last '@' in text */
    } email;
    struct {
      char *trust_domain; /* as written */
      char **segments;    /* NULL-terminated; may be empty */
      guint n_segments;
    } spiffe;
    guint8 digest[32]; /* FINGERPRINT, PUBKEY */
    int tls_version;   /* TLS1_VERSION .. TLS1_3_VERSION */
    guint days;        /* MIN_VALIDITY_DAYS */
  } u;
} tlsp_clause;

struct tlsp_requirement {
  tlsp_req_kind kind;
  guint n_clauses; /* TP_REQ_CLAUSES only; sorted by kind (stable) */
  tlsp_clause *clauses;
};

/*
 * Parses an RFC 4514 string DN of `len` bytes into `out` (zeroed by the
 * caller).  On error returns FALSE, sets `error` (TP_POLICY_PARSE_ERROR_VALUE)
 * and leaves `out` empty.
 */
gboolean tlsp_dn_parse(const char *text, size_t len, tlsp_dn *out,
                       GError **error);
void tlsp_dn_clear(tlsp_dn *dn);

/*
 * Splits a SPIFFE ID into its trust domain (as written, newly allocated) and
 * path segments (appended to `segments`, which must free with g_free).  With
 * `wildcards`, "*" segments and a final "**" are accepted (rules); without,
 * only literal segments (certificates).  Returns FALSE and sets `error`
 * (TP_POLICY_PARSE_ERROR_VALUE) when `s` is not a valid SPIFFE ID.
 */
gboolean tlsp_spiffe_id_split(const char *s, size_t len, gboolean wildcards,
                              char **trust_domain, GPtrArray *segments,
                              GError **error);

/* Canonical name of a TLS protocol version constant ("TLSv1.2"), or NULL. */
const char *tlsp_tls_version_name(int version);

/*
 * SAN and SPIFFE matching (policy_match.c).  Each returns TRUE iff the
 * certificate satisfies the clause; on FALSE, a short description of what
 * was seen is appended to `detail` if non-NULL.
 */
gboolean tlsp_match_san(const tlsp_clause *clause, X509 *cert, GString *detail);
gboolean tlsp_match_spiffe(const tlsp_clause *clause, X509 *cert,
                           GString *detail);

G_END_DECLS

#endif
