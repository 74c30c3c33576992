/*
 * policy_match.c — deciding one parsed Requirement for one login, and the
 * certificate matching it needs (one-line names, structured DNs, SANs,
 * SPIFFE IDs, fingerprints, validity).
 *
 * The checks run in a fixed order so that the reason reported is the one the
 * server's native acl_check_ssl() would hit first for the REQUIRE vocabulary:
 * TLS, verification, CIPHER, (certificate present), ISSUER, SUBJECT; the
 * extensions follow (docs/requirement-grammar.md, "Evaluation order").
 *
 * Everything here only reads the certificate, so one tlsp_tls_facts may be
 * evaluated by several threads at once.  All X.509 work goes through
 * OpenSSL; nothing parses DER by hand.
 */
#include "policy_internal.h"
#include "tls_policy/dn_text.h"

#include <stdarg.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/tls1.h>

/* Bound on one certificate-derived item copied into `detail`. */
#define DETAIL_ITEM_MAX 512
/* Bound on the number of SAN entries listed in `detail`. */
#define DETAIL_SAN_MAX 8

/* ------------------------------------------------------------ details */

static void detail_append_bounded(GString *detail, const char *s, size_t len)
{
  if (detail == NULL)
    return;
  if (s == NULL)
  {
    g_string_append(detail, "(null)");
    return;
  }
  /* detail is read as a C string: stop at a NUL, and say so */
  const char *nul = memchr(s, '\0', len);
  size_t n = nul ? (size_t) (nul - s) : len;
  g_string_append_len(detail, s, (gssize) MIN(n, DETAIL_ITEM_MAX));
  if (n > DETAIL_ITEM_MAX)
    g_string_append(detail, "...");
  else if (nul)
    g_string_append(detail, "(+NUL)");
}

static void detail_quoted(GString *detail, const char *s, size_t len)
{
  if (detail == NULL)
    return;
  g_string_append_c(detail, '\'');
  detail_append_bounded(detail, s, len);
  g_string_append_c(detail, '\'');
}

static void detail_printf(GString *detail, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

static void detail_printf(GString *detail, const char *fmt, ...)
{
  va_list ap;

  if (detail == NULL)
    return;
  va_start(ap, fmt);
  g_string_append_vprintf(detail, fmt, ap);
  va_end(ap);
}

/* "what 'seen' expected 'want'" */
static void detail_mismatch(GString *detail, const char *what, const char *seen,
                            size_t seen_len, const char *want, size_t want_len)
{
  if (detail == NULL)
    return;
  g_string_append(detail, what);
  g_string_append_c(detail, ' ');
  detail_quoted(detail, seen, seen_len);
  g_string_append(detail, " expected ");
  detail_quoted(detail, want, want_len);
}

/* -------------------------------------------------- native (one-line) */

/* ISSUER / SUBJECT: strcmp with X509_NAME_oneline(), as the server does. */
static tlsp_reason match_oneline(const tlsp_clause *c, const X509_NAME *name,
                                 tlsp_reason fail_reason, const char *what,
                                 GString *detail)
{
  char *line = X509_NAME_oneline(name, NULL, 0);

  if (line == NULL)
  {
    detail_printf(detail, "%s cannot be printed", what);
    return fail_reason;
  }
  tlsp_reason r = strcmp(c->text, line) == 0 ? TP_REASON_OK : fail_reason;
  if (r != TP_REASON_OK)
    detail_mismatch(detail, what, line, strlen(line), c->text, c->text_len);
  OPENSSL_free(line);
  return r;
}

/* ---------------------------------------------------- structured DNs */

typedef struct {
  int nid;
  const ASN1_OBJECT *obj;
  unsigned char *utf8; /* OPENSSL_malloc'ed */
  int len;
  gboolean used;
} cert_ava;

typedef struct {
  guint first; /* index into the cert_ava array */
  guint n;
  gboolean used;
} cert_rdn;

static gboolean ava_equal(const tlsp_dn_ava *want, const cert_ava *have)
{
  if (want->nid != NID_undef)
  {
    if (have->nid != want->nid)
      return FALSE;
  }
  else if (OBJ_cmp(want->obj, have->obj) != 0)
  {
    return FALSE;
  }
  return (size_t) have->len == want->value_len &&
         memcmp(have->utf8, want->value, want->value_len) == 0;
}

/* Multiset equality of one wanted RDN and one certificate RDN. */
static gboolean rdn_equal(const tlsp_dn_rdn *want, const cert_rdn *have,
                          cert_ava *avas)
{
  if (want->n_avas != have->n)
    return FALSE;
  for (guint k = 0; k < have->n; k++)
    avas[have->first + k].used = FALSE;
  for (guint j = 0; j < want->n_avas; j++)
  {
    gboolean found = FALSE;
    for (guint k = 0; k < have->n && !found; k++)
    {
      cert_ava *a = &avas[have->first + k];
      if (!a->used && ava_equal(&want->avas[j], a))
      {
        a->used = TRUE;
        found = TRUE;
      }
    }
    if (!found)
      return FALSE;
  }
  return TRUE;
}

/*
 * The certificate name equals `want` as a multiset of RDNs, each a multiset
 * of (type, UTF-8 value).  Equality is exact, so greedy matching decides
 * multiset equality.
 */
static gboolean dn_equal(const tlsp_dn *want, const X509_NAME *name)
{
  int n = X509_NAME_entry_count(name);
  guint n_rdns = 0;
  int last_set = -1;

  for (int i = 0; i < n; i++)
  {
    int set = X509_NAME_ENTRY_set(X509_NAME_get_entry(name, i));
    if (i == 0 || set != last_set)
      n_rdns++;
    last_set = set;
  }
  if (n_rdns != want->n_rdns)
    return FALSE;
  if (n <= 0)
    return TRUE;

  cert_ava *avas = g_new0(cert_ava, (gsize) n);
  cert_rdn *rdns = g_new0(cert_rdn, n_rdns);
  gboolean equal = TRUE;
  guint r = 0;

  for (int i = 0; i < n && equal; i++)
  {
    const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
    cert_ava *a = &avas[i];
    a->obj = X509_NAME_ENTRY_get_object(e);
    a->nid = OBJ_obj2nid(a->obj);
    a->len = ASN1_STRING_to_UTF8(&a->utf8, X509_NAME_ENTRY_get_data(e));
    /* a value that does not convert, or hides a NUL, never matches */
    if (a->len < 0 || memchr(a->utf8, '\0', (size_t) a->len) != NULL)
      equal = FALSE;
    int set = X509_NAME_ENTRY_set(e);
    if (i > 0 && set != last_set)
      r++;
    last_set = set;
    if (rdns[r].n == 0)
      rdns[r].first = (guint) i;
    rdns[r].n++;
  }

  for (guint w = 0; w < want->n_rdns && equal; w++)
  {
    gboolean found = FALSE;
    for (guint h = 0; h < n_rdns && !found; h++)
    {
      if (!rdns[h].used && rdn_equal(&want->rdns[w], &rdns[h], avas))
      {
        rdns[h].used = TRUE;
        found = TRUE;
      }
    }
    equal = found;
  }

  for (int i = 0; i < n; i++)
    OPENSSL_free(avas[i].utf8);
  g_free(avas);
  g_free(rdns);
  return equal;
}

/* ------------------------------------------------------------- SANs */

/* The subjectAltName entries, or NULL (with a detail) when there are none,
 * the extension is repeated or does not decode. */
static GENERAL_NAMES *get_sans(X509 *cert, GString *detail)
{
  int crit = -1;
  GENERAL_NAMES *gens =
      X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);

  if (gens == NULL)
  {
    if (crit == -1)
      detail_printf(detail, "certificate has no subjectAltName");
    else if (crit == -2)
      detail_printf(detail,
                    "certificate has more than one subjectAltName extension");
    else
      detail_printf(detail, "certificate subjectAltName does not decode");
  }
  return gens;
}

static int san_gen_type(tlsp_san_type t)
{
  switch (t)
  {
  case TP_SAN_DNS:
    return GEN_DNS;
  case TP_SAN_IP:
    return GEN_IPADD;
  case TP_SAN_EMAIL:
    return GEN_EMAIL;
  case TP_SAN_URI:
    return GEN_URI;
  }
  return -1;
}

static const char *san_type_label(tlsp_san_type t)
{
  switch (t)
  {
  case TP_SAN_DNS:
    return "DNS";
  case TP_SAN_IP:
    return "IP";
  case TP_SAN_EMAIL:
    return "EMAIL";
  case TP_SAN_URI:
    return "URI";
  }
  return "?";
}

static gboolean is_label_char(unsigned char c)
{
  return g_ascii_isalnum(c) || c == '-' || c == '_';
}

/* Exact, case-insensitive; a "*.rest" rule takes exactly one extra leftmost
 * label of LDH characters (so never the bare domain, never two labels). */
static gboolean dns_match(const tlsp_clause *c, const unsigned char *s,
                          size_t len)
{
  if (!c->u.dns.wildcard)
    return len == c->text_len &&
           g_ascii_strncasecmp((const char *) s, c->text, len) == 0;
  size_t label = 0;
  while (label < len && s[label] != '.')
  {
    if (!is_label_char(s[label]))
      return FALSE;
    label++;
  }
  if (label == 0 || label == len)
    return FALSE;
  const char *rest = (const char *) s + label + 1;
  size_t rest_len = len - label - 1;
  return rest_len == c->u.dns.match_len &&
         g_ascii_strncasecmp(rest, c->u.dns.match, rest_len) == 0;
}

static gboolean ip_match(const tlsp_clause *c, const unsigned char *s,
                         size_t len)
{
  size_t want = c->u.ip.family == AF_INET ? 4 : 16;

  if (len != want)
    return FALSE;
  guint full = c->u.ip.prefix / 8, rest = c->u.ip.prefix % 8;
  if (memcmp(s, c->u.ip.addr, full) != 0)
    return FALSE;
  if (rest == 0)
    return TRUE;
  guint8 mask = (guint8) (0xFF << (8 - rest));
  return (s[full] & mask) == (c->u.ip.addr[full] & mask);
}

/* Local part exact, domain case-insensitive; split at the last '@'. */
static gboolean email_match(const tlsp_clause *c, const unsigned char *s,
                            size_t len)
{
  size_t at = len;

  while (at > 0 && s[at - 1] != '@')
    at--;
  if (at == 0)
    return FALSE;
  at--; /* index of the '@' */
  size_t domain_len = len - at - 1;
  size_t want_domain_len = c->text_len - c->u.email.at - 1;
  return at == c->u.email.at && memcmp(s, c->text, at) == 0 &&
         domain_len == want_domain_len &&
         g_ascii_strncasecmp((const char *) s + at + 1,
                             c->text + c->u.email.at + 1, domain_len) == 0;
}

static gboolean uri_match(const tlsp_clause *c, const unsigned char *s,
                          size_t len)
{
  return len == c->text_len && memcmp(s, c->text, len) == 0;
}

static void detail_san_value(GString *detail, tlsp_san_type t,
                             const unsigned char *s, size_t len)
{
  if (detail == NULL)
    return;
  if (t == TP_SAN_IP && (len == 4 || len == 16))
  {
    char buf[64];
    if (inet_ntop(len == 4 ? AF_INET : AF_INET6, s, buf, sizeof buf) != NULL)
    {
      detail_quoted(detail, buf, strlen(buf));
      return;
    }
  }
  detail_quoted(detail, (const char *) s, len);
}

gboolean tlsp_match_san(const tlsp_clause *clause, X509 *cert, GString *detail)
{
  g_autoptr(GENERAL_NAMES) gens = get_sans(cert, detail);
  const int want_type = san_gen_type(clause->san_type);
  /* what was seen, kept only to explain a failure */
  g_autoptr(GString) seen = detail ? g_string_new(NULL) : NULL;
  guint listed = 0;

  if (gens == NULL)
    return FALSE;
  for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++)
  {
    const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
    int type;
    const ASN1_STRING *v = GENERAL_NAME_get0_value(g, &type);
    if (type != want_type || v == NULL)
      continue;
    const unsigned char *s = ASN1_STRING_get0_data(v);
    size_t len = (size_t) ASN1_STRING_length(v);
    gboolean hit = FALSE;
    /* a text SAN hiding a NUL never matches (no prefix tricks) */
    if (clause->san_type == TP_SAN_IP || memchr(s, '\0', len) == NULL)
    {
      switch (clause->san_type)
      {
      case TP_SAN_DNS:
        hit = dns_match(clause, s, len);
        break;
      case TP_SAN_IP:
        hit = ip_match(clause, s, len);
        break;
      case TP_SAN_EMAIL:
        hit = email_match(clause, s, len);
        break;
      case TP_SAN_URI:
        hit = uri_match(clause, s, len);
        break;
      }
    }
    if (hit)
      return TRUE;
    if (seen != NULL && listed < DETAIL_SAN_MAX)
    {
      if (listed > 0)
        g_string_append(seen, ", ");
      detail_san_value(seen, clause->san_type, s, len);
    }
    listed++;
  }
  if (detail == NULL)
    return FALSE;
  if (listed == 0)
  {
    g_string_append_printf(detail, "certificate has no %s subjectAltName",
                           san_type_label(clause->san_type));
  }
  else
  {
    g_string_append_printf(detail, "certificate %s names %s%s",
                           san_type_label(clause->san_type), seen->str,
                           listed > DETAIL_SAN_MAX ? ", ..." : "");
  }
  g_string_append(detail, "; expected ");
  detail_quoted(detail, clause->text, clause->text_len);
  return FALSE;
}

/* ----------------------------------------------------------- SPIFFE */

static gboolean spiffe_path_match(const tlsp_clause *c, GPtrArray *have)
{
  guint n = have->len;

  for (guint i = 0; i < c->u.spiffe.n_segments; i++)
  {
    const char *w = c->u.spiffe.segments[i];
    if (strcmp(w, TP_SPIFFE_ANY_REST) == 0)
      return n > i; /* one or more remaining segments (always the last) */
    if (i >= n)
      return FALSE;
    if (strcmp(w, TP_SPIFFE_ANY_ONE) == 0)
      continue; /* segments are never empty */
    if (strcmp(w, g_ptr_array_index(have, i)) != 0)
      return FALSE;
  }
  return n == c->u.spiffe.n_segments;
}

gboolean tlsp_match_spiffe(const tlsp_clause *clause, X509 *cert,
                           GString *detail)
{
  static const char scheme[] = "spiffe://";
  g_autoptr(GENERAL_NAMES) gens = get_sans(cert, detail);
  const unsigned char *id = NULL;
  size_t id_len = 0;
  guint count = 0;

  if (gens == NULL)
    return FALSE;
  for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++)
  {
    int type;
    const ASN1_STRING *v =
        GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(gens, i), &type);
    if (type != GEN_URI || v == NULL)
      continue;
    const unsigned char *s = ASN1_STRING_get0_data(v);
    size_t len = (size_t) ASN1_STRING_length(v);
    if (len >= sizeof scheme - 1 &&
        g_ascii_strncasecmp((const char *) s, scheme, sizeof scheme - 1) == 0)
    {
      id = s;
      id_len = len;
      count++;
    }
  }
  /* X.509-SVID: exactly one SPIFFE ID */
  if (count != 1)
  {
    detail_printf(detail,
                  "certificate has %u spiffe:// URI SANs, expected exactly one",
                  count);
    return FALSE;
  }
  g_autoptr(GPtrArray) segments = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *td = NULL;
  g_autoptr(GError) err = NULL;
  if (memchr(id, '\0', id_len) != NULL ||
      !tlsp_spiffe_id_split((const char *) id, id_len, FALSE, &td, segments,
                            &err))
  {
    detail_printf(detail, "certificate SPIFFE ID ");
    detail_quoted(detail, (const char *) id, id_len);
    detail_printf(detail, " is not valid: %s", err ? err->message : "NUL byte");
    return FALSE;
  }
  if (g_ascii_strcasecmp(td, clause->u.spiffe.trust_domain) == 0 &&
      spiffe_path_match(clause, segments))
    return TRUE;
  detail_mismatch(detail, "spiffe", (const char *) id, id_len, clause->text,
                  clause->text_len);
  return FALSE;
}

/* ------------------------------------------------------ fingerprints */

static void detail_hex(GString *detail, const guint8 *md, guint n)
{
  if (detail == NULL)
    return;
  for (guint i = 0; i < n; i++)
    g_string_append_printf(detail, "%s%02X", i ? ":" : "", md[i]);
}

static tlsp_reason match_digest(const tlsp_clause *c, X509 *cert,
                                GString *detail)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  const char *what =
      c->kind == TP_CLAUSE_FINGERPRINT ? "fingerprint" : "pubkey";

  if (c->kind == TP_CLAUSE_FINGERPRINT)
  {
    if (!X509_digest(cert, EVP_sha256(), md, &n))
      n = 0;
  }
  else
  {
    /* SHA-256 over the DER SubjectPublicKeyInfo (the "pin-sha256" of
     * RFC 7469); X509_pubkey_digest would hash only the key bits. */
    unsigned char *der = NULL;
    int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
    if (len <= 0 || !EVP_Digest(der, (size_t) len, md, &n, EVP_sha256(), NULL))
      n = 0;
    OPENSSL_free(der);
  }
  if (n != sizeof c->u.digest)
  {
    detail_printf(detail, "%s cannot be computed", what);
    return TP_REASON_FINGERPRINT_MISMATCH;
  }
  if (CRYPTO_memcmp(md, c->u.digest, n) == 0)
    return TP_REASON_OK;
  detail_printf(detail, "%s ", what);
  detail_hex(detail, md, n);
  detail_printf(detail, " expected ");
  detail_hex(detail, c->u.digest, n);
  return TP_REASON_FINGERPRINT_MISMATCH;
}

/* --------------------------------------------------- version, validity */

static int login_tls_version(const tlsp_tls_facts *tls)
{
  if (tls->protocol_version > 0)
    return tls->protocol_version;
  /* facts without the number: read the name ("TLSv1.3") */
  for (int v = TLS1_VERSION; v <= TLS1_3_VERSION; v++)
  {
    const char *name = tlsp_tls_version_name(v);
    if (name && strncmp(tls->protocol, name, sizeof tls->protocol) == 0)
      return v;
  }
  return 0;
}

static tlsp_reason match_tls_version(const tlsp_clause *c,
                                     const tlsp_tls_facts *tls, GString *detail)
{
  int v = login_tls_version(tls);

  if (v >= c->u.tls_version && tlsp_tls_version_name(v) != NULL)
    return TP_REASON_OK;
  if (detail != NULL)
  {
    const char *name = tlsp_tls_version_name(v);
    g_string_append(detail, "tls version ");
    if (name)
      detail_quoted(detail, name, strlen(name));
    else
      g_string_append_printf(detail, "0x%04X ('%.*s')", (unsigned) v,
                             (int) sizeof tls->protocol, tls->protocol);
    g_string_append(detail, " below minimum ");
    detail_quoted(detail, c->text, c->text_len);
  }
  return TP_REASON_TLS_VERSION_TOO_LOW;
}

static tlsp_reason match_validity(const tlsp_clause *c, X509 *cert, time_t now,
                                  GString *detail)
{
  g_autoptr(ASN1_TIME) at_now = ASN1_TIME_set(NULL, now);
  const ASN1_TIME *not_after = X509_get0_notAfter(cert);
  int days = 0, secs = 0;

  if (at_now == NULL || not_after == NULL ||
      !ASN1_TIME_diff(&days, &secs, at_now, not_after))
  {
    detail_printf(detail, "certificate notAfter cannot be read");
    return TP_REASON_CERT_EXPIRING;
  }
  gint64 left = (gint64) days * 86400 + secs;
  if (left >= (gint64) c->u.days * 86400)
    return TP_REASON_OK;
  detail_printf(detail,
                "certificate valid for %" G_GINT64_FORMAT
                " more seconds (%d days), "
                "rule requires %u days",
                left, days, c->u.days);
  return TP_REASON_CERT_EXPIRING;
}

/* -------------------------------------------------------- evaluation */

static gboolean clause_needs_cert(const tlsp_clause *c)
{
  switch (c->kind)
  {
  case TP_CLAUSE_CIPHER:
  case TP_CLAUSE_MIN_TLS_VERSION:
    return FALSE;
  case TP_CLAUSE_ISSUER:
  case TP_CLAUSE_SUBJECT:
    /* the server checks only non-empty ones */
    return c->text_len > 0;
  default:
    return TRUE;
  }
}

static tlsp_reason evaluate_clause(const tlsp_clause *c,
                                   const tlsp_login *login, X509 *cert,
                                   GString *detail)
{
  const tlsp_tls_facts *tls = login->tls;

  switch (c->kind)
  {
  case TP_CLAUSE_CIPHER:
  {
    /* an empty CIPHER is not checked: the server stores '' as "no cipher" */
    if (c->text_len == 0)
      return TP_REASON_OK;
    const char *end = memchr(tls->cipher, '\0', sizeof tls->cipher);
    size_t len = end ? (size_t) (end - tls->cipher) : sizeof tls->cipher;
    if (len == c->text_len && memcmp(tls->cipher, c->text, len) == 0)
      return TP_REASON_OK;
    detail_mismatch(detail, "cipher", tls->cipher, len, c->text, c->text_len);
    return TP_REASON_CIPHER_MISMATCH;
  }
  case TP_CLAUSE_MIN_TLS_VERSION:
    return match_tls_version(c, tls, detail);
  case TP_CLAUSE_ISSUER:
    if (c->text_len == 0)
      return TP_REASON_OK;
    return match_oneline(c, X509_get_issuer_name(cert),
                         TP_REASON_ISSUER_MISMATCH, "issuer", detail);
  case TP_CLAUSE_SUBJECT:
    if (c->text_len == 0)
      return TP_REASON_OK;
    return match_oneline(c, X509_get_subject_name(cert),
                         TP_REASON_SUBJECT_MISMATCH, "subject", detail);
  case TP_CLAUSE_ISSUER_DN:
  case TP_CLAUSE_SUBJECT_DN:
  {
    gboolean subject = c->kind == TP_CLAUSE_SUBJECT_DN;
    const X509_NAME *name =
        subject ? X509_get_subject_name(cert) : X509_get_issuer_name(cert);
    if (dn_equal(&c->u.dn, name))
      return TP_REASON_OK;
    if (detail != NULL)
    {
      /* the one display text, as in mysql.tls_policy_connections */
      g_autofree char *text = tlsp_dn_text(name);
      const char *seen = text ? text : "(unprintable name)";
      detail_mismatch(detail, subject ? "subject_dn" : "issuer_dn", seen,
                      strlen(seen), c->text, c->text_len);
    }
    return TP_REASON_DN_MISMATCH;
  }
  case TP_CLAUSE_SAN:
    return tlsp_match_san(c, cert, detail) ? TP_REASON_OK
                                           : TP_REASON_SAN_MISMATCH;
  case TP_CLAUSE_SPIFFE:
    return tlsp_match_spiffe(c, cert, detail) ? TP_REASON_OK
                                              : TP_REASON_SAN_MISMATCH;
  case TP_CLAUSE_FINGERPRINT:
  case TP_CLAUSE_PUBKEY:
    return match_digest(c, cert, detail);
  case TP_CLAUSE_MIN_VALIDITY_DAYS:
    return match_validity(c, cert, login->now, detail);
  case TP_CLAUSE__COUNT:
    break;
  }
  detail_printf(detail, "unknown clause kind %d", (int) c->kind);
  return TP_REASON_INTERNAL_ERROR;
}

tlsp_reason tlsp_requirement_evaluate(const tlsp_requirement *req,
                                      const tlsp_login *login, GString *detail)
{
  if (req == NULL || login == NULL)
  {
    detail_printf(detail, "no rule or no login facts");
    return TP_REASON_INTERNAL_ERROR;
  }
  if (req->kind == TP_REQ_NONE || req->kind == TP_REQ_EXEMPT)
    return TP_REASON_OK;

  /* Everything below needs TLS. */
  switch (login->tls_state)
  {
  case TP_TLS_YES:
    break;
  case TP_TLS_NO:
    detail_printf(detail, "connection is not TLS");
    return TP_REASON_NO_TLS;
  case TP_TLS_UNKNOWN:
  default:
    detail_printf(detail, "TLS state of the connection is unknown");
    return TP_REASON_TLS_UNKNOWN;
  }
  const tlsp_tls_facts *tls = login->tls;
  if (tls == NULL)
  {
    detail_printf(detail, "TLS facts missing");
    return TP_REASON_INTERNAL_ERROR;
  }
  if (req->kind == TP_REQ_SSL)
    return TP_REASON_OK;

  /* Only MIN_TLS_VERSION on its own is decided without verification. */
  gboolean needs_verify = req->kind == TP_REQ_X509;
  for (guint i = 0; i < req->n_clauses; i++)
    if (req->clauses[i].kind != TP_CLAUSE_MIN_TLS_VERSION)
      needs_verify = TRUE;
  if (needs_verify && tls->verify_result != X509_V_OK)
  {
    detail_printf(detail, "verify_result %ld (%s)", tls->verify_result,
                  X509_verify_cert_error_string(tls->verify_result));
    return TP_REASON_CERT_NOT_VERIFIED;
  }

  X509 *cert = tls->peer_cert;
  if (req->kind == TP_REQ_X509)
  {
    if (cert != NULL)
      return TP_REASON_OK;
    detail_printf(detail, "no client certificate");
    return TP_REASON_NO_CLIENT_CERT;
  }

  /* Clauses are sorted in evaluation order: CIPHER and MIN_TLS_VERSION
   * (no certificate needed) come before any clause that needs one. */
  for (guint i = 0; i < req->n_clauses; i++)
  {
    const tlsp_clause *c = &req->clauses[i];
    if (cert == NULL && clause_needs_cert(c))
    {
      detail_printf(detail, "no client certificate");
      return TP_REASON_NO_CLIENT_CERT;
    }
    tlsp_reason r = evaluate_clause(c, login, cert, detail);
    if (r != TP_REASON_OK)
      return r;
  }
  return TP_REASON_OK;
}
