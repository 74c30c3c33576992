/*
 * test_policy_match.c — unit tests of tlsp_requirement_evaluate: the reason of
 * every outcome, parity with the server's native acl_check_ssl() (order of
 * checks, one-line names as OpenSSL prints them), and the extension clauses
 * against certificates generated here with the OpenSSL API.
 */
#include <string.h>
#include <time.h>
#include <glib.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/tls1.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls_policy/policy.h"
#include "../core/policy_internal.h"

/* A fixed "now" keeps validity tests exact: 2030-01-01T00:00:00Z. */
#define TEST_NOW ((time_t) 1893456000)

static EVP_PKEY *shared_key; /* one key for most certificates: keygen is slow */

/* One attribute of a name; same_rdn joins the previous attribute's RDN. */
typedef struct {
  const char *field;
  const char *value;
  int len; /* -1: NUL-terminated */
  gboolean same_rdn;
} name_part;

#define END_OF_NAME      \
  {                      \
    NULL, NULL, 0, FALSE \
  }

static X509_NAME *make_name(const name_part *parts)
{
  X509_NAME *name = X509_NAME_new();

  for (const name_part *p = parts; p && p->field; p++)
    g_assert_true(X509_NAME_add_entry_by_txt(
        name, p->field, MBSTRING_UTF8, (const unsigned char *) p->value,
        p->len ? p->len : -1, -1, p->same_rdn ? -1 : 0));
  return name;
}

/* Adds one GENERAL_NAME of `type` with raw `value` bytes. */
static void add_general_name(GENERAL_NAMES *gens, int type, const void *value,
                             int len)
{
  GENERAL_NAME *g = GENERAL_NAME_new();
  ASN1_STRING *s = ASN1_STRING_type_new(type == GEN_IPADD ? V_ASN1_OCTET_STRING
                                                          : V_ASN1_IA5STRING);

  g_assert_true(ASN1_STRING_set(s, value, len));
  GENERAL_NAME_set0_value(g, type, s);
  sk_GENERAL_NAME_push(gens, g);
}

typedef struct {
  const name_part *subject;
  const name_part *issuer; /* NULL: /CN=Test CA */
  const char *san;         /* X509V3 conf text, e.g. "DNS:a,IP:1.2.3.4" */
  GENERAL_NAMES *raw_sans; /* or raw entries (taken) */
  long not_after_days;     /* from TEST_NOW; 0 means 365 */
  long not_after_secs;
  EVP_PKEY *key; /* NULL: shared_key */
} cert_spec;

static X509 *make_cert(const cert_spec *spec)
{
  static const name_part default_issuer[] = {{"CN", "Test CA", 0, FALSE},
                                             END_OF_NAME};
  static const name_part default_subject[] = {{"CN", "alice", 0, FALSE},
                                              END_OF_NAME};
  EVP_PKEY *key = spec->key ? spec->key : shared_key;
  X509 *x = X509_new();
  time_t now = TEST_NOW;

  g_assert_true(X509_set_version(x, X509_VERSION_3));
  g_assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x),
                                 g_random_int_range(1, G_MAXINT32)));
  g_autoptr(X509_NAME) subject =
      make_name(spec->subject ? spec->subject : default_subject);
  g_autoptr(X509_NAME) issuer =
      make_name(spec->issuer ? spec->issuer : default_issuer);
  g_assert_true(X509_set_subject_name(x, subject));
  g_assert_true(X509_set_issuer_name(x, issuer));
  g_assert_nonnull(X509_time_adj_ex(X509_getm_notBefore(x), -1, 0, &now));
  g_assert_nonnull(X509_time_adj_ex(
      X509_getm_notAfter(x), spec->not_after_days ? spec->not_after_days : 365,
      spec->not_after_secs, &now));
  g_assert_true(X509_set_pubkey(x, key));
  if (spec->san)
  {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    g_autoptr(X509_EXTENSION) ext =
        X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, spec->san);
    g_assert_nonnull(ext);
    g_assert_true(X509_add_ext(x, ext, -1));
  }
  if (spec->raw_sans)
  {
    g_assert_cmpint(X509_add1_ext_i2d(x, NID_subject_alt_name, spec->raw_sans,
                                      0, X509V3_ADD_APPEND),
                    ==, 1);
    GENERAL_NAMES_free(spec->raw_sans);
  }
  g_assert_cmpint(X509_sign(x, shared_key, EVP_sha256()), >, 0);
  return x;
}

static X509 *cert_with_subject(const name_part *subject)
{
  cert_spec spec = {.subject = subject};
  return make_cert(&spec);
}

static X509 *cert_with_san(const char *san)
{
  cert_spec spec = {.san = san};
  return make_cert(&spec);
}

/* TLS 1.3, verified, cipher TLS_AES_128_GCM_SHA256, the given certificate. */
static tlsp_tls_facts facts_for(X509 *cert)
{
  tlsp_tls_facts f = {0};

  f.conn_id = 42;
  f.protocol_version = TLS1_3_VERSION;
  g_strlcpy(f.protocol, "TLSv1.3", sizeof f.protocol);
  g_strlcpy(f.cipher, "TLS_AES_128_GCM_SHA256", sizeof f.cipher);
  f.verify_result = X509_V_OK;
  f.peer_cert = cert;
  return f;
}

static tlsp_login login_for(const tlsp_tls_facts *f)
{
  tlsp_login l = {0};

  l.user = "alice";
  l.host = "db.example";
  l.ip = "192.0.2.1";
  l.transport = TP_TRANSPORT_TCP;
  l.tls_state = f ? TP_TLS_YES : TP_TLS_NO;
  l.tls = f;
  l.now = TEST_NOW;
  return l;
}

/* Evaluates `rule` and asserts the reason (and the detail, if given). */
static void expect(const char *rule, const tlsp_login *login, tlsp_reason want,
                   const char *want_detail)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(tlsp_requirement) req =
      tlsp_requirement_parse(rule, strlen(rule), NULL, &error);

  g_assert_no_error(error);
  g_autoptr(GString) detail = g_string_new(NULL);
  tlsp_reason got = tlsp_requirement_evaluate(req, login, detail);
  if (got != want)
    g_error("rule \"%s\": got %s (%s), expected %s", rule,
            tlsp_reason_name(got), detail->str, tlsp_reason_name(want));
  if (want == TP_REASON_OK)
    g_assert_cmpstr(detail->str, ==, "");
  else
    g_assert_cmpuint(detail->len, >, 0);
  if (want_detail)
    g_assert_cmpstr(detail->str, ==, want_detail);
  /* the detail is optional */
  g_assert_cmpint(tlsp_requirement_evaluate(req, login, NULL), ==, want);
}

static void expect_cert(const char *rule, X509 *cert, tlsp_reason want)
{
  tlsp_tls_facts f = facts_for(cert);
  tlsp_login l = login_for(&f);
  expect(rule, &l, want, NULL);
}

/* ------------------------------------------------------ transport */

static void test_none_exempt(void)
{
  tlsp_login unknown = login_for(NULL);
  unknown.tls_state = TP_TLS_UNKNOWN;
  tlsp_login plain = login_for(NULL);

  expect("NONE", &unknown, TP_REASON_OK, NULL);
  expect("EXEMPT", &unknown, TP_REASON_OK, NULL);
  expect("NONE", &plain, TP_REASON_OK, NULL);
  expect("EXEMPT", &plain, TP_REASON_OK, NULL);
}

static void test_tls_state(void)
{
  tlsp_login unknown = login_for(NULL);
  unknown.tls_state = TP_TLS_UNKNOWN;
  tlsp_login plain = login_for(NULL);
  static const char *const rules[] = {
      "SSL",
      "X509",
      "CIPHER 'x'",
      "ISSUER '/CN=a'",
      "SUBJECT ''",
      "MIN_TLS_VERSION 'TLSv1'",
      "SUBJECT_DN 'CN=a'",
      "SAN DNS 'a.example'",
      "SPIFFE 'spiffe://td'",
      "MIN_VALIDITY_DAYS 0",
      "PUBKEY "
      "'0000000000000000000000000000000000000000000000000000000000000000'",
  };

  for (guint i = 0; i < G_N_ELEMENTS(rules); i++)
  {
    expect(rules[i], &unknown, TP_REASON_TLS_UNKNOWN,
           "TLS state of the connection is unknown");
    expect(rules[i], &plain, TP_REASON_NO_TLS, "connection is not TLS");
  }

  /* TLS claimed but no facts: fail closed */
  tlsp_login broken = login_for(NULL);
  broken.tls_state = TP_TLS_YES;
  expect("SSL", &broken, TP_REASON_INTERNAL_ERROR, NULL);
  g_assert_cmpint(tlsp_requirement_evaluate(NULL, &broken, NULL), ==,
                  TP_REASON_INTERNAL_ERROR);
  g_autoptr(tlsp_requirement) ssl =
      tlsp_requirement_parse("SSL", 3, NULL, NULL);
  g_assert_cmpint(tlsp_requirement_evaluate(ssl, NULL, NULL), ==,
                  TP_REASON_INTERNAL_ERROR);
}

static void test_ssl_x509(void)
{
  g_autoptr(X509) cert = cert_with_subject(NULL);
  tlsp_tls_facts nocert = facts_for(NULL);
  tlsp_login l_nocert = login_for(&nocert);
  tlsp_tls_facts withcert = facts_for(cert);
  tlsp_login l_cert = login_for(&withcert);
  tlsp_tls_facts unverified = facts_for(cert);
  unverified.verify_result = X509_V_ERR_CERT_HAS_EXPIRED;
  tlsp_login l_unverified = login_for(&unverified);

  /* SSL: TLS is enough, verification is not looked at (SSL_TYPE_ANY) */
  expect("SSL", &l_nocert, TP_REASON_OK, NULL);
  expect("SSL", &l_unverified, TP_REASON_OK, NULL);
  /* X509: TLS, verified, certificate present */
  expect("X509", &l_cert, TP_REASON_OK, NULL);
  expect("X509", &l_nocert, TP_REASON_NO_CLIENT_CERT, "no client certificate");
  expect("X509", &l_unverified, TP_REASON_CERT_NOT_VERIFIED,
         "verify_result 10 (certificate has expired)");
}

/* ----------------------------------------------- native parity: SPECIFIED */

static void test_native_cipher(void)
{
  g_autoptr(X509) cert = cert_with_subject(NULL);
  tlsp_tls_facts nocert = facts_for(NULL);
  tlsp_login l_nocert = login_for(&nocert);
  tlsp_tls_facts withcert = facts_for(cert);
  tlsp_login l_cert = login_for(&withcert);

  /* CIPHER alone needs no client certificate */
  expect("CIPHER 'TLS_AES_128_GCM_SHA256'", &l_nocert, TP_REASON_OK, NULL);
  expect("CIPHER 'TLS_AES_128_GCM_SHA256'", &l_cert, TP_REASON_OK, NULL);
  expect("CIPHER 'AES256-SHA'", &l_nocert, TP_REASON_CIPHER_MISMATCH,
         "cipher 'TLS_AES_128_GCM_SHA256' expected 'AES256-SHA'");
  /* strcmp: exact, case-sensitive */
  expect("CIPHER 'tls_aes_128_gcm_sha256'", &l_cert, TP_REASON_CIPHER_MISMATCH,
         NULL);
  expect("CIPHER 'TLS_AES_128_GCM_SHA25'", &l_cert, TP_REASON_CIPHER_MISMATCH,
         NULL);
  /* empty values check nothing (how the server stores them) */
  expect("CIPHER ''", &l_nocert, TP_REASON_OK, NULL);
  expect("SUBJECT ''", &l_nocert, TP_REASON_OK, NULL);
  expect("ISSUER '' AND SUBJECT ''", &l_nocert, TP_REASON_OK, NULL);

  /* SPECIFIED still needs a verified connection */
  tlsp_tls_facts unverified = facts_for(NULL);
  unverified.verify_result = X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
  tlsp_login l_unverified = login_for(&unverified);
  expect("CIPHER 'TLS_AES_128_GCM_SHA256'", &l_unverified,
         TP_REASON_CERT_NOT_VERIFIED, NULL);
  expect("SUBJECT ''", &l_unverified, TP_REASON_CERT_NOT_VERIFIED, NULL);
}

static void test_native_order(void)
{
  static const name_part subject[] = {
      {"C", "FI", 0, FALSE}, {"CN", "bob", 0, FALSE}, END_OF_NAME};
  g_autoptr(X509) cert = cert_with_subject(subject);
  tlsp_tls_facts nocert = facts_for(NULL);
  tlsp_login l_nocert = login_for(&nocert);
  tlsp_tls_facts withcert = facts_for(cert);
  tlsp_login l_cert = login_for(&withcert);
  tlsp_tls_facts unverified = facts_for(NULL);
  unverified.verify_result = X509_V_ERR_CERT_REVOKED;
  tlsp_login l_unverified = login_for(&unverified);

  /* ISSUER or SUBJECT without a certificate */
  expect("ISSUER '/CN=Test CA'", &l_nocert, TP_REASON_NO_CLIENT_CERT,
         "no client certificate");
  expect("SUBJECT '/C=FI/CN=bob'", &l_nocert, TP_REASON_NO_CLIENT_CERT, NULL);
  /* the server compares the cipher before it looks for a certificate */
  expect("SUBJECT '/C=FI/CN=bob' CIPHER 'AES256-SHA'", &l_nocert,
         TP_REASON_CIPHER_MISMATCH, NULL);
  /* and checks verification before the cipher */
  expect("CIPHER 'AES256-SHA' ISSUER '/CN=x'", &l_unverified,
         TP_REASON_CERT_NOT_VERIFIED, NULL);
  /* issuer before subject, whatever the written order */
  expect("SUBJECT '/CN=nobody' AND ISSUER '/CN=Other CA'", &l_cert,
         TP_REASON_ISSUER_MISMATCH,
         "issuer '/CN=Test CA' expected '/CN=Other CA'");
  expect("SUBJECT '/C=FI/CN=alice' AND ISSUER '/CN=Test CA'", &l_cert,
         TP_REASON_SUBJECT_MISMATCH,
         "subject '/C=FI/CN=bob' expected '/C=FI/CN=alice'");
  expect("SUBJECT '/C=FI/CN=bob' AND ISSUER '/CN=Test CA' AND CIPHER "
         "'TLS_AES_128_GCM_SHA256'",
         &l_cert, TP_REASON_OK, NULL);
  /* one-line names are order-sensitive and exact */
  expect("SUBJECT '/CN=bob/C=FI'", &l_cert, TP_REASON_SUBJECT_MISMATCH, NULL);
  expect("SUBJECT '/C=FI/CN=Bob'", &l_cert, TP_REASON_SUBJECT_MISMATCH, NULL);
  expect("SUBJECT '/C=FI/CN=bob '", &l_cert, TP_REASON_SUBJECT_MISMATCH, NULL);
}

/* docs/hazards.md §2: a value containing '/' is printed escaped by OpenSSL 3,
 * so the spoofed one-line form does not pass, as with the native check;
 * the structured form is unambiguous. */
static void test_native_slash(void)
{
  static const name_part one_o[] = {{"O", "Acme/CN=alice", 0, FALSE},
                                    END_OF_NAME};
  static const name_part o_cn[] = {
      {"O", "Acme", 0, FALSE}, {"CN", "alice", 0, FALSE}, END_OF_NAME};
  g_autoptr(X509) spoof = cert_with_subject(one_o);
  g_autoptr(X509) real = cert_with_subject(o_cn);

  char *line = X509_NAME_oneline(X509_get_subject_name(spoof), NULL, 0);
  g_assert_cmpstr(line, ==, "/O=Acme\\/CN=alice");
  OPENSSL_free(line);

  expect_cert("SUBJECT '/O=Acme/CN=alice'", spoof, TP_REASON_SUBJECT_MISMATCH);
  expect_cert("SUBJECT '/O=Acme/CN=alice'", real, TP_REASON_OK);
  /* the escaped form, written with a doubled backslash in the SQL string */
  expect_cert("SUBJECT '/O=Acme\\\\/CN=alice'", spoof, TP_REASON_OK);
  expect_cert("SUBJECT '/O=Acme\\\\/CN=alice'", real,
              TP_REASON_SUBJECT_MISMATCH);

  expect_cert("SUBJECT_DN 'O=Acme/CN=alice'", spoof, TP_REASON_OK);
  expect_cert("SUBJECT_DN 'O=Acme/CN=alice'", real, TP_REASON_DN_MISMATCH);
  expect_cert("SUBJECT_DN 'O=Acme,CN=alice'", real, TP_REASON_OK);
  expect_cert("SUBJECT_DN 'CN=alice,O=Acme'", real, TP_REASON_OK);
  expect_cert("SUBJECT_DN 'O=Acme,CN=alice'", spoof, TP_REASON_DN_MISMATCH);
  expect_cert("SUBJECT_DN 'O=Acme+CN=alice'", real, TP_REASON_DN_MISMATCH);
}

/* --------------------------------------------------------- structured DN */

static void test_dn(void)
{
  static const name_part multi[] = {
      {"DC", "com", 0, FALSE},       {"DC", "example", 0, FALSE},
      {"O", "Acme, Inc.", 0, FALSE}, {"CN", "alice", 0, FALSE},
      {"UID", "a1", 0, TRUE}, /* CN=alice+UID=a1 */
      {"OU", "a=b", 0, FALSE},       END_OF_NAME};
  g_autoptr(X509) cert = cert_with_subject(multi);
  tlsp_tls_facts f = facts_for(cert);
  tlsp_login l = login_for(&f);

  expect(
      "SUBJECT_DN 'CN=alice+UID=a1,OU=a=b,O=Acme\\\\, Inc.,DC=example,DC=com'",
      &l, TP_REASON_OK, NULL);
  /* order-insensitive at both levels, types by name, short or long, any case, or OID */
  expect("SUBJECT_DN 'dc=com, DC=example, uid=a1+commonName=alice, "
         "2.5.4.11=a\\\\3Db, "
         "O=Acme\\\\2C Inc.'",
         &l, TP_REASON_OK, NULL);
  /* a multi-valued RDN is not two RDNs, and the other way round */
  expect(
      "SUBJECT_DN 'CN=alice,UID=a1,OU=a=b,O=Acme\\\\, Inc.,DC=example,DC=com'",
      &l, TP_REASON_DN_MISMATCH, NULL);
  expect(
      "SUBJECT_DN 'CN=alice+UID=a1,OU=a=b,O=Acme\\\\, Inc.,DC=example+DC=com'",
      &l, TP_REASON_DN_MISMATCH, NULL);
  /* all RDNs must be there, and no more */
  expect("SUBJECT_DN 'CN=alice+UID=a1,OU=a=b,O=Acme\\\\, Inc.,DC=example'", &l,
         TP_REASON_DN_MISMATCH, NULL);
  expect("SUBJECT_DN 'CN=alice+UID=a1,OU=a=b,O=Acme\\\\, "
         "Inc.,DC=example,DC=com,DC=com'",
         &l, TP_REASON_DN_MISMATCH, NULL);
  expect("SUBJECT_DN 'CN=alice+UID=a1+UID=a1,OU=a=b,O=Acme\\\\, "
         "Inc.,DC=example,DC=com'",
         &l, TP_REASON_DN_MISMATCH, NULL);
  /* values are case-sensitive and exact */
  expect(
      "SUBJECT_DN 'CN=Alice+UID=a1,OU=a=b,O=Acme\\\\, Inc.,DC=example,DC=com'",
      &l, TP_REASON_DN_MISMATCH, NULL);
  expect("SUBJECT_DN 'CN=alice+UID=a1,OU=a=b,O=Acme\\\\, "
         "Inc.,DC=example,DC=com\\\\ '",
         &l, TP_REASON_DN_MISMATCH, NULL);
  /* types matter: DC=com is not O=com */
  expect(
      "SUBJECT_DN 'CN=alice+UID=a1,OU=a=b,O=Acme\\\\, Inc.,DC=example,O=com'",
      &l, TP_REASON_DN_MISMATCH, NULL);
  expect("SUBJECT_DN 'CN=alice'", &l, TP_REASON_DN_MISMATCH,
         "subject_dn 'OU=a=b,UID=a1+CN=alice,O=Acme\\, Inc.,DC=example,DC=com' "
         "expected 'CN=alice'");

  /* issuer */
  expect("ISSUER_DN 'CN=Test CA'", &l, TP_REASON_OK, NULL);
  expect("ISSUER_DN 'CN=Test CA,O=x'", &l, TP_REASON_DN_MISMATCH,
         "issuer_dn 'CN=Test CA' expected 'CN=Test CA,O=x'");
  /* issuer_dn is checked before subject_dn */
  expect("SUBJECT_DN 'CN=x' ISSUER_DN 'CN=y'", &l, TP_REASON_DN_MISMATCH,
         "issuer_dn 'CN=Test CA' expected 'CN=y'");

  /* requires a verified certificate */
  tlsp_tls_facts nocert = facts_for(NULL);
  tlsp_login l_nocert = login_for(&nocert);
  expect("SUBJECT_DN 'CN=alice'", &l_nocert, TP_REASON_NO_CLIENT_CERT, NULL);
  tlsp_tls_facts unverified = facts_for(cert);
  unverified.verify_result = X509_V_ERR_CERT_UNTRUSTED;
  tlsp_login l_unverified = login_for(&unverified);
  expect("ISSUER_DN 'CN=Test CA'", &l_unverified, TP_REASON_CERT_NOT_VERIFIED,
         NULL);
}

static void test_dn_unicode(void)
{
  static const name_part utf8[] = {{"CN", "J\xc3\xb6rg", 0, FALSE},
                                   END_OF_NAME};
  g_autoptr(X509) cert = cert_with_subject(utf8);

  expect_cert("SUBJECT_DN 'CN=J\xc3\xb6rg'", cert, TP_REASON_OK);
  expect_cert("SUBJECT_DN 'CN=J\\\\C3\\\\B6rg'", cert, TP_REASON_OK);
  expect_cert("SUBJECT_DN 'CN=J\\\\c3\\\\b6rg'", cert, TP_REASON_OK);
  expect_cert("SUBJECT_DN 'CN=j\xc3\xb6rg'", cert, TP_REASON_DN_MISMATCH);
  expect_cert("SUBJECT_DN 'CN=Jorg'", cert, TP_REASON_DN_MISMATCH);
  /* the certificate side of a detail is the one display text (dn_text.h),
   * the same as mysql.tls_policy_connections.Cert_subject_dn: UTF-8 kept */
  tlsp_tls_facts f = facts_for(cert);
  tlsp_login l = login_for(&f);
  expect("SUBJECT_DN 'CN=Jorg'", &l, TP_REASON_DN_MISMATCH,
         "subject_dn 'CN=J\xc3\xb6rg' expected 'CN=Jorg'");

  /* a BMPString value is compared after conversion to UTF-8 */
  static const unsigned char bmp[] = {0x00, 'J', 0x00, 0xf6,
                                      0x00, 'r', 0x00, 'g'};
  g_autoptr(X509) x = X509_dup(cert);
  X509_NAME *name = X509_get_subject_name(x);
  X509_NAME_ENTRY *old = X509_NAME_delete_entry(name, 0);
  X509_NAME_ENTRY_free(old);
  g_assert_true(X509_NAME_add_entry_by_NID(
      name, NID_commonName, V_ASN1_BMPSTRING, bmp, sizeof bmp, -1, 0));
  g_assert_cmpint(
      ASN1_STRING_type(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, 0))),
      ==, V_ASN1_BMPSTRING);
  expect_cert("SUBJECT_DN 'CN=J\xc3\xb6rg'", x, TP_REASON_OK);

  /* an unknown OID type compares by OID */
  static const name_part oid[] = {{"1.3.6.1.4.1.99999.1", "v", 0, FALSE},
                                  {"CN", "a", 0, FALSE},
                                  END_OF_NAME};
  g_autoptr(X509) o = cert_with_subject(oid);
  expect_cert("SUBJECT_DN 'CN=a,1.3.6.1.4.1.99999.1=v'", o, TP_REASON_OK);
  expect_cert("SUBJECT_DN 'CN=a,1.3.6.1.4.1.99999.2=v'", o,
              TP_REASON_DN_MISMATCH);
  expect_cert("SUBJECT_DN 'CN=a,2.5.4.10=v'", o, TP_REASON_DN_MISMATCH);

  /* the empty DN */
  static const name_part none[] = {END_OF_NAME};
  cert_spec spec = {.subject = none, .san = "DNS:x.example"};
  g_autoptr(X509) empty = make_cert(&spec);
  expect_cert("SUBJECT_DN ''", empty, TP_REASON_OK);
  expect_cert("SUBJECT_DN ''", cert, TP_REASON_DN_MISMATCH);
  expect_cert("SUBJECT_DN 'CN=a'", empty, TP_REASON_DN_MISMATCH);
}

static void test_dn_embedded_nul(void)
{
  static const name_part nul[] = {{"CN", "alice\0.evil", 11, FALSE},
                                  END_OF_NAME};
  g_autoptr(X509) cert = cert_with_subject(nul);
  const ASN1_STRING *v = X509_NAME_ENTRY_get_data(
      X509_NAME_get_entry(X509_get_subject_name(cert), 0));
  g_assert_cmpint(ASN1_STRING_length(v), ==, 11);

  expect_cert("SUBJECT_DN 'CN=alice'", cert, TP_REASON_DN_MISMATCH);
  expect_cert("SUBJECT_DN 'CN=alice.evil'", cert, TP_REASON_DN_MISMATCH);
  /* and no rule can name it: a NUL in a DN value is refused */
  g_autoptr(GError) error = NULL;
  const char *rule = "SUBJECT_DN 'CN=alice\\\\00.evil'";
  g_assert_null(tlsp_requirement_parse(rule, strlen(rule), NULL, &error));
  g_assert_error(error, TP_POLICY_PARSE_ERROR, TP_POLICY_PARSE_ERROR_VALUE);
}

/* ------------------------------------------------------------ SANs */

static void test_san_dns(void)
{
  g_autoptr(X509) cert = cert_with_san(
      "DNS:db.example.com,DNS:Other.Example.org,DNS:*.wild.example,"
      "DNS:a.b.deep.example,URI:https://x.example/");

  expect_cert("SAN DNS 'db.example.com'", cert, TP_REASON_OK);
  expect_cert("SAN DNS 'DB.Example.COM'", cert, TP_REASON_OK);
  expect_cert("SAN DNS 'other.example.org'", cert, TP_REASON_OK);
  expect_cert("SAN DNS '*.example.com'", cert, TP_REASON_OK);
  expect_cert("SAN DNS '*.EXAMPLE.ORG'", cert, TP_REASON_OK);
  /* never the bare domain, never deeper */
  expect_cert("SAN DNS 'example.com'", cert, TP_REASON_SAN_MISMATCH);
  expect_cert("SAN DNS '*.com'", cert, TP_REASON_SAN_MISMATCH);
  expect_cert("SAN DNS '*.deep.example'", cert, TP_REASON_SAN_MISMATCH);
  expect_cert("SAN DNS '*.b.deep.example'", cert, TP_REASON_OK);
  /* a wildcard in the certificate is a literal label '*', no LDH label */
  expect_cert("SAN DNS '*.wild.example'", cert, TP_REASON_SAN_MISMATCH);
  expect_cert("SAN DNS 'x.wild.example'", cert, TP_REASON_SAN_MISMATCH);
  expect_cert("SAN DNS 'db.example.co'", cert, TP_REASON_SAN_MISMATCH);
  expect_cert("SAN DNS 'b.example.com'", cert, TP_REASON_SAN_MISMATCH);
  /* several SAN clauses: all must match */
  expect_cert("SAN DNS 'db.example.com' AND SAN DNS 'other.example.org'", cert,
              TP_REASON_OK);
  expect_cert("SAN DNS 'db.example.com' AND SAN DNS 'nope.example.org'", cert,
              TP_REASON_SAN_MISMATCH);

  tlsp_tls_facts f = facts_for(cert);
  tlsp_login l = login_for(&f);
  expect("SAN DNS 'example.com'", &l, TP_REASON_SAN_MISMATCH,
         "certificate DNS names 'db.example.com', 'Other.Example.org', "
         "'*.wild.example', "
         "'a.b.deep.example'; expected 'example.com'");

  g_autoptr(X509) nosan = cert_with_subject(NULL);
  tlsp_tls_facts f2 = facts_for(nosan);
  tlsp_login l2 = login_for(&f2);
  expect("SAN DNS 'example.com'", &l2, TP_REASON_SAN_MISMATCH,
         "certificate has no subjectAltName");
  expect("SAN URI 'https://x.example/'", &l, TP_REASON_OK, NULL);
  g_autoptr(X509) ipsan = cert_with_san("IP:10.0.0.1");
  tlsp_tls_facts f3 = facts_for(ipsan);
  tlsp_login l3 = login_for(&f3);
  expect("SAN DNS 'example.com'", &l3, TP_REASON_SAN_MISMATCH,
         "certificate has no DNS subjectAltName; expected 'example.com'");
}

static void test_san_embedded_nul(void)
{
  GENERAL_NAMES *gens = GENERAL_NAMES_new();
  add_general_name(gens, GEN_DNS, "db.example.com\0.evil.example", 28);
  add_general_name(gens, GEN_EMAIL, "a@example.com\0x", 15);
  add_general_name(gens, GEN_URI, "spiffe://td/a\0b", 15);
  cert_spec spec = {.raw_sans = gens};
  g_autoptr(X509) cert = make_cert(&spec);

  tlsp_tls_facts f = facts_for(cert);
  tlsp_login l = login_for(&f);
  expect("SAN DNS 'db.example.com'", &l, TP_REASON_SAN_MISMATCH,
         "certificate DNS names 'db.example.com(+NUL)'; expected "
         "'db.example.com'");
  expect_cert("SAN DNS '*.example.com'", cert, TP_REASON_SAN_MISMATCH);
  expect_cert("SAN EMAIL 'a@example.com'", cert, TP_REASON_SAN_MISMATCH);
  expect_cert("SPIFFE 'spiffe://td/a'", cert, TP_REASON_SAN_MISMATCH);
}

static void test_san_ip(void)
{
  g_autoptr(X509) cert =
      cert_with_san("IP:10.1.2.3,IP:2001:db8::1,DNS:x.example");

  expect_cert("SAN IP '10.1.2.3'", cert, TP_REASON_OK);
  expect_cert("SAN IP '10.0.0.0/8'", cert, TP_REASON_OK);
  expect_cert("SAN IP '10.1.2.0/23'", cert, TP_REASON_OK);
  expect_cert("SAN IP '10.1.2.2/31'", cert, TP_REASON_OK);
  expect_cert("SAN IP '0.0.0.0/0'", cert, TP_REASON_OK);
  expect_cert("SAN IP '10.1.2.4'", cert, TP_REASON_SAN_MISMATCH);
  expect_cert("SAN IP '10.1.2.4/31'", cert, TP_REASON_SAN_MISMATCH);
  expect_cert("SAN IP '11.0.0.0/8'", cert, TP_REASON_SAN_MISMATCH);
  expect_cert("SAN IP '2001:db8::1'", cert, TP_REASON_OK);
  expect_cert("SAN IP '2001:DB8:0:0::1'", cert, TP_REASON_OK);
  expect_cert("SAN IP '2001:db8::/32'", cert, TP_REASON_OK);
  expect_cert("SAN IP '2001:db9::/32'", cert, TP_REASON_SAN_MISMATCH);
  expect_cert("SAN IP '::/0'", cert, TP_REASON_OK);
  /* no cross-family matching */
  expect_cert("SAN IP '::ffff:10.1.2.3'", cert, TP_REASON_SAN_MISMATCH);

  tlsp_tls_facts f = facts_for(cert);
  tlsp_login l = login_for(&f);
  expect("SAN IP '10.9.9.9'", &l, TP_REASON_SAN_MISMATCH,
         "certificate IP names '10.1.2.3', '2001:db8::1'; expected '10.9.9.9'");
}

static void test_san_email_uri(void)
{
  g_autoptr(X509) cert =
      cert_with_san("email:Alice@Example.COM,URI:https://example.com/x,"
                    "email:bob@example.com");

  expect_cert("SAN EMAIL 'Alice@example.com'", cert, TP_REASON_OK);
  expect_cert("SAN EMAIL 'Alice@EXAMPLE.com'", cert, TP_REASON_OK);
  expect_cert("SAN EMAIL 'bob@Example.Com'", cert, TP_REASON_OK);
  expect_cert("SAN EMAIL 'alice@example.com'", cert, TP_REASON_SAN_MISMATCH);
  expect_cert("SAN EMAIL 'Alice@example.co'", cert, TP_REASON_SAN_MISMATCH);
  expect_cert("SAN EMAIL 'Alic@example.com'", cert, TP_REASON_SAN_MISMATCH);
  expect_cert("SAN URI 'https://example.com/x'", cert, TP_REASON_OK);
  expect_cert("SAN URI 'https://example.com/X'", cert, TP_REASON_SAN_MISMATCH);
  expect_cert("SAN URI 'https://example.com/'", cert, TP_REASON_SAN_MISMATCH);
  /* an email in the subject DN is not a SAN */
  static const name_part subj[] = {
      {"emailAddress", "carol@example.com", 0, FALSE}, END_OF_NAME};
  g_autoptr(X509) dn_mail = cert_with_subject(subj);
  expect_cert("SAN EMAIL 'carol@example.com'", dn_mail, TP_REASON_SAN_MISMATCH);

  /* SAN checks need the certificate, verified */
  tlsp_tls_facts nocert = facts_for(NULL);
  tlsp_login l_nocert = login_for(&nocert);
  expect("SAN EMAIL 'bob@example.com'", &l_nocert, TP_REASON_NO_CLIENT_CERT,
         NULL);
  tlsp_tls_facts unverified = facts_for(cert);
  unverified.verify_result = X509_V_ERR_CERT_SIGNATURE_FAILURE;
  tlsp_login l_unverified = login_for(&unverified);
  expect("SAN EMAIL 'bob@example.com'", &l_unverified,
         TP_REASON_CERT_NOT_VERIFIED, NULL);
}

static void test_san_duplicate_extension(void)
{
  /* two subjectAltName extensions: ambiguous, never matches */
  g_autoptr(X509) cert = cert_with_san("DNS:a.example");
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
  g_autoptr(X509_EXTENSION) ext =
      X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "DNS:b.example");
  g_assert_true(X509_add_ext(cert, ext, -1));
  g_assert_cmpint(X509_sign(cert, shared_key, EVP_sha256()), >, 0);

  tlsp_tls_facts f = facts_for(cert);
  tlsp_login l = login_for(&f);
  expect("SAN DNS 'a.example'", &l, TP_REASON_SAN_MISMATCH,
         "certificate has more than one subjectAltName extension");
  expect("SAN DNS 'b.example'", &l, TP_REASON_SAN_MISMATCH, NULL);
}

/* ---------------------------------------------------------- SPIFFE */

static void test_spiffe(void)
{
  g_autoptr(X509) cert = cert_with_san(
      "URI:spiffe://Example.org/ns/prod/sa/web,URI:https://x.example/,"
      "DNS:web.example");

  expect_cert("SPIFFE 'spiffe://example.org/ns/prod/sa/web'", cert,
              TP_REASON_OK);
  expect_cert("SPIFFE 'SPIFFE://EXAMPLE.ORG/ns/prod/sa/web'", cert,
              TP_REASON_OK);
  expect_cert("SPIFFE 'spiffe://example.org/ns/*/sa/web'", cert, TP_REASON_OK);
  expect_cert("SPIFFE 'spiffe://example.org/*/*/*/*'", cert, TP_REASON_OK);
  expect_cert("SPIFFE 'spiffe://example.org/ns/**'", cert, TP_REASON_OK);
  expect_cert("SPIFFE 'spiffe://example.org/**'", cert, TP_REASON_OK);
  expect_cert("SPIFFE 'spiffe://example.org/ns/prod/sa/*'", cert, TP_REASON_OK);
  expect_cert("SPIFFE 'spiffe://example.org/ns/prod/sa/web/**'", cert,
              TP_REASON_SAN_MISMATCH);
  expect_cert("SPIFFE 'spiffe://example.org/ns/prod/sa/web/*'", cert,
              TP_REASON_SAN_MISMATCH);
  expect_cert("SPIFFE 'spiffe://example.org/ns/*'", cert,
              TP_REASON_SAN_MISMATCH);
  expect_cert("SPIFFE 'spiffe://example.org/*/*/*'", cert,
              TP_REASON_SAN_MISMATCH);
  expect_cert("SPIFFE 'spiffe://example.org/NS/prod/sa/web'", cert,
              TP_REASON_SAN_MISMATCH);
  expect_cert("SPIFFE 'spiffe://example.org.evil/ns/prod/sa/web'", cert,
              TP_REASON_SAN_MISMATCH);
  expect_cert("SPIFFE 'spiffe://evil.example.org/ns/prod/sa/web'", cert,
              TP_REASON_SAN_MISMATCH);
  expect_cert("SPIFFE 'spiffe://example.org'", cert, TP_REASON_SAN_MISMATCH);
  expect_cert("SPIFFE 'spiffe://example.org/ns/prod/sa/we'", cert,
              TP_REASON_SAN_MISMATCH);

  tlsp_tls_facts f = facts_for(cert);
  tlsp_login l = login_for(&f);
  expect("SPIFFE 'spiffe://example.org/ns/dev/**'", &l, TP_REASON_SAN_MISMATCH,
         "spiffe 'spiffe://Example.org/ns/prod/sa/web' expected "
         "'spiffe://example.org/ns/dev/**'");

  /* the trust domain alone */
  g_autoptr(X509) td = cert_with_san("URI:spiffe://example.org");
  expect_cert("SPIFFE 'spiffe://example.org'", td, TP_REASON_OK);
  expect_cert("SPIFFE 'spiffe://example.org/**'", td, TP_REASON_SAN_MISMATCH);

  /* exactly one SPIFFE ID */
  g_autoptr(X509) two =
      cert_with_san("URI:spiffe://example.org/a,URI:spiffe://example.org/b");
  tlsp_tls_facts f2 = facts_for(two);
  tlsp_login l2 = login_for(&f2);
  expect("SPIFFE 'spiffe://example.org/a'", &l2, TP_REASON_SAN_MISMATCH,
         "certificate has 2 spiffe:// URI SANs, expected exactly one");
  g_autoptr(X509) none = cert_with_san("URI:https://example.org/a");
  expect_cert("SPIFFE 'spiffe://example.org/**'", none, TP_REASON_SAN_MISMATCH);

  /* an invalid SPIFFE ID in the certificate never matches */
  g_autoptr(X509) bad = cert_with_san("URI:spiffe://example.org/a//b");
  tlsp_tls_facts f3 = facts_for(bad);
  tlsp_login l3 = login_for(&f3);
  expect("SPIFFE 'spiffe://example.org/**'", &l3, TP_REASON_SAN_MISMATCH,
         "certificate SPIFFE ID 'spiffe://example.org/a//b' is not valid: "
         "empty path segment "
         "(no \"//\" and no trailing '/')");
  g_autoptr(X509) query = cert_with_san("URI:spiffe://example.org/a?b=c");
  expect_cert("SPIFFE 'spiffe://example.org/**'", query,
              TP_REASON_SAN_MISMATCH);
  g_autoptr(X509) dots = cert_with_san("URI:spiffe://example.org/a/../b");
  expect_cert("SPIFFE 'spiffe://example.org/a/*/b'", dots,
              TP_REASON_SAN_MISMATCH);
}

/* ---------------------------------------------------- fingerprints */

static char *sha256_hex(const unsigned char *der, int len, gboolean colons,
                        gboolean upper)
{
  unsigned char md[32];
  unsigned int n = 0;
  GString *s = g_string_new(NULL);

  g_assert_true(EVP_Digest(der, (size_t) len, md, &n, EVP_sha256(), NULL));
  g_assert_cmpuint(n, ==, 32);
  for (guint i = 0; i < n; i++)
    g_string_append_printf(s, upper ? "%s%02X" : "%s%02x",
                           colons && i ? ":" : "", md[i]);
  return g_string_free(s, FALSE);
}

static char *cert_sha256(X509 *cert, gboolean colons, gboolean upper)
{
  unsigned char *der = NULL;
  int len = i2d_X509(cert, &der);
  char *hex = sha256_hex(der, len, colons, upper);
  OPENSSL_free(der);
  return hex;
}

static char *spki_sha256(EVP_PKEY *key, gboolean colons, gboolean upper)
{
  unsigned char *der = NULL;
  int len = i2d_PUBKEY(key, &der);
  char *hex = sha256_hex(der, len, colons, upper);
  OPENSSL_free(der);
  return hex;
}

static void test_fingerprints(void)
{
  g_autoptr(X509) cert = cert_with_subject(NULL);
  g_autoptr(X509) same_key =
      cert_with_subject(NULL); /* another cert, same key */
  g_autoptr(EVP_PKEY) other_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  cert_spec spec = {.key = other_key};
  g_autoptr(X509) other = make_cert(&spec);

  g_autofree char *fp = cert_sha256(cert, FALSE, FALSE);
  g_autofree char *fp_colons = cert_sha256(cert, TRUE, TRUE);
  g_autofree char *pk = spki_sha256(shared_key, FALSE, TRUE);
  g_autofree char *pk_colons = spki_sha256(shared_key, TRUE, FALSE);

  g_autofree char *r_fp = g_strdup_printf("FINGERPRINT '%s'", fp);
  g_autofree char *r_fp_colons = g_strdup_printf("FINGERPRINT '%s'", fp_colons);
  g_autofree char *r_pk = g_strdup_printf("PUBKEY '%s'", pk);
  g_autofree char *r_pk_colons = g_strdup_printf("PUBKEY '%s'", pk_colons);

  expect_cert(r_fp, cert, TP_REASON_OK);
  expect_cert(r_fp_colons, cert, TP_REASON_OK);
  expect_cert(r_fp, same_key, TP_REASON_FINGERPRINT_MISMATCH);
  expect_cert(r_pk, cert, TP_REASON_OK);
  expect_cert(r_pk_colons, cert, TP_REASON_OK);
  expect_cert(r_pk, same_key, TP_REASON_OK);
  expect_cert(r_pk, other, TP_REASON_FINGERPRINT_MISMATCH);
  expect_cert(r_fp, other, TP_REASON_FINGERPRINT_MISMATCH);

  /* detail names what was seen */
  tlsp_tls_facts f = facts_for(other);
  tlsp_login l = login_for(&f);
  g_autofree char *other_fp = cert_sha256(other, TRUE, TRUE);
  g_autofree char *want_detail =
      g_strdup_printf("fingerprint %s expected %s", other_fp, fp_colons);
  expect(r_fp, &l, TP_REASON_FINGERPRINT_MISMATCH, want_detail);

  /* fingerprints need the certificate */
  tlsp_tls_facts nocert = facts_for(NULL);
  tlsp_login l_nocert = login_for(&nocert);
  expect(r_pk, &l_nocert, TP_REASON_NO_CLIENT_CERT, NULL);
}

/* ------------------------------------------- version and validity */

static void test_min_tls_version(void)
{
  tlsp_tls_facts v12 = facts_for(NULL);
  v12.protocol_version = TLS1_2_VERSION;
  g_strlcpy(v12.protocol, "TLSv1.2", sizeof v12.protocol);
  tlsp_login l12 = login_for(&v12);

  expect("MIN_TLS_VERSION 'TLSv1.2'", &l12, TP_REASON_OK, NULL);
  expect("MIN_TLS_VERSION 'TLSv1'", &l12, TP_REASON_OK, NULL);
  expect("MIN_TLS_VERSION 'TLSv1.3'", &l12, TP_REASON_TLS_VERSION_TOO_LOW,
         "tls version 'TLSv1.2' below minimum 'TLSv1.3'");

  /* alone it needs neither a certificate nor verification */
  tlsp_tls_facts unverified = v12;
  unverified.verify_result = X509_V_ERR_CERT_HAS_EXPIRED;
  tlsp_login lu = login_for(&unverified);
  expect("MIN_TLS_VERSION 'TLSv1.2'", &lu, TP_REASON_OK, NULL);
  /* combined with anything else, verification comes first */
  expect("MIN_TLS_VERSION 'TLSv1.3' AND CIPHER 'x'", &lu,
         TP_REASON_CERT_NOT_VERIFIED, NULL);
  /* after CIPHER, before the certificate is looked for */
  expect("MIN_TLS_VERSION 'TLSv1.3' AND CIPHER 'x'", &l12,
         TP_REASON_CIPHER_MISMATCH, NULL);
  expect("SAN DNS 'a.example' AND MIN_TLS_VERSION 'TLSv1.3'", &l12,
         TP_REASON_TLS_VERSION_TOO_LOW, NULL);
  expect("SAN DNS 'a.example' AND MIN_TLS_VERSION 'TLSv1.2'", &l12,
         TP_REASON_NO_CLIENT_CERT, NULL);

  /* facts with only the protocol name */
  tlsp_tls_facts by_name = facts_for(NULL);
  by_name.protocol_version = 0;
  tlsp_login ln = login_for(&by_name);
  expect("MIN_TLS_VERSION 'TLSv1.3'", &ln, TP_REASON_OK, NULL);
  /* unknown protocol: fail closed */
  tlsp_tls_facts unknown = facts_for(NULL);
  unknown.protocol_version = 0;
  g_strlcpy(unknown.protocol, "DTLSv1.2", sizeof unknown.protocol);
  tlsp_login lunk = login_for(&unknown);
  expect("MIN_TLS_VERSION 'TLSv1'", &lunk, TP_REASON_TLS_VERSION_TOO_LOW,
         "tls version 0x0000 ('DTLSv1.2') below minimum 'TLSv1'");
}

static void test_min_validity(void)
{
  cert_spec ten = {.not_after_days = 10};
  g_autoptr(X509) cert = make_cert(&ten);
  cert_spec almost = {.not_after_days = 10, .not_after_secs = -1};
  g_autoptr(X509) short_cert = make_cert(&almost);
  cert_spec expired = {.not_after_days = -1};
  g_autoptr(X509) old = make_cert(&expired);

  expect_cert("MIN_VALIDITY_DAYS 10", cert, TP_REASON_OK);
  expect_cert("MIN_VALIDITY_DAYS 0", cert, TP_REASON_OK);
  expect_cert("MIN_VALIDITY_DAYS 11", cert, TP_REASON_CERT_EXPIRING);
  expect_cert("MIN_VALIDITY_DAYS 10", short_cert, TP_REASON_CERT_EXPIRING);
  expect_cert("MIN_VALIDITY_DAYS 9", short_cert, TP_REASON_OK);
  expect_cert("MIN_VALIDITY_DAYS 0", old, TP_REASON_CERT_EXPIRING);
  expect_cert("MIN_VALIDITY_DAYS 36500", cert, TP_REASON_CERT_EXPIRING);

  tlsp_tls_facts f = facts_for(short_cert);
  tlsp_login l = login_for(&f);
  expect("MIN_VALIDITY_DAYS 30", &l, TP_REASON_CERT_EXPIRING,
         "certificate valid for 863999 more seconds (9 days), rule requires 30 "
         "days");
  /* the evaluation time is the login's, not the clock's */
  l.now = TEST_NOW + 86400;
  expect("MIN_VALIDITY_DAYS 9", &l, TP_REASON_CERT_EXPIRING, NULL);
  expect("MIN_VALIDITY_DAYS 8", &l, TP_REASON_OK, NULL);
}

/* ---------------------------------------------------- combinations */

static void test_combined(void)
{
  static const name_part subject[] = {
      {"O", "Acme", 0, FALSE}, {"CN", "alice", 0, FALSE}, END_OF_NAME};
  cert_spec spec = {
      .subject = subject,
      .san = "DNS:alice.example,URI:spiffe://acme.example/user/alice"};
  g_autoptr(X509) cert = make_cert(&spec);
  g_autofree char *pk = spki_sha256(shared_key, FALSE, FALSE);
  g_autofree char *all =
      g_strdup_printf("CIPHER 'TLS_AES_128_GCM_SHA256' AND ISSUER '/CN=Test "
                      "CA' AND SUBJECT '/O=Acme/CN=alice' "
                      "AND ISSUER_DN 'CN=Test CA' AND SUBJECT_DN "
                      "'CN=alice,O=Acme' AND SAN DNS '*.example' "
                      "AND SPIFFE 'spiffe://acme.example/user/*' AND PUBKEY "
                      "'%s' AND MIN_TLS_VERSION 'TLSv1.3' "
                      "AND MIN_VALIDITY_DAYS 30",
                      pk);

  expect_cert(all, cert, TP_REASON_OK);
  /* the native part decides first */
  expect_cert("SUBJECT_DN 'CN=bob' AND SUBJECT '/CN=bob'", cert,
              TP_REASON_SUBJECT_MISMATCH);
  expect_cert("SAN DNS 'bob.example' AND SUBJECT_DN 'CN=bob'", cert,
              TP_REASON_DN_MISMATCH);
  expect_cert("MIN_VALIDITY_DAYS 3650 AND SAN DNS 'bob.example'", cert,
              TP_REASON_SAN_MISMATCH);
  expect_cert(
      "MIN_VALIDITY_DAYS 3650 AND SPIFFE 'spiffe://acme.example/user/alice'",
      cert, TP_REASON_CERT_EXPIRING);
  expect_cert("PUBKEY '"
              "0000000000000000000000000000000000000000000000000000000000000000"
              "' AND SPIFFE 'spiffe://acme.example/user/bob'",
              cert, TP_REASON_SAN_MISMATCH);

  /* no certificate: CIPHER and MIN_TLS_VERSION still first */
  tlsp_tls_facts nocert = facts_for(NULL);
  tlsp_login l = login_for(&nocert);
  expect(all, &l, TP_REASON_NO_CLIENT_CERT, NULL);
  expect("SUBJECT_DN 'CN=alice' AND CIPHER 'AES256-SHA'", &l,
         TP_REASON_CIPHER_MISMATCH, NULL);
}

/* A parsed rule and the facts are read-only: evaluate from many threads. */
typedef struct {
  const tlsp_requirement *req;
  const tlsp_login *login;
  guint failures;
} thread_job;

static gpointer evaluate_many(gpointer data)
{
  thread_job *job = data;
  for (guint i = 0; i < 300; i++)
  {
    g_autoptr(GString) detail = g_string_new(NULL);
    if (tlsp_requirement_evaluate(job->req, job->login, detail) != TP_REASON_OK)
      job->failures++;
  }
  return NULL;
}

static void test_threads(void)
{
  static const name_part subject[] = {
      {"CN", "alice", 0, FALSE}, {"UID", "a", 0, TRUE}, END_OF_NAME};
  cert_spec spec = {.subject = subject,
                    .san = "DNS:a.example,URI:spiffe://td/x,IP:10.0.0.1"};
  g_autoptr(X509) cert = make_cert(&spec);
  const char *rule =
      "SUBJECT '/CN=alice+UID=a' SUBJECT_DN 'UID=a+CN=alice' SAN DNS "
      "'a.example' "
      "SAN IP '10.0.0.0/8' SPIFFE 'spiffe://td/*' MIN_VALIDITY_DAYS 1";
  g_autoptr(tlsp_requirement) req =
      tlsp_requirement_parse(rule, strlen(rule), NULL, NULL);
  g_assert_nonnull(req);
  tlsp_tls_facts f = facts_for(cert);
  tlsp_login l = login_for(&f);
  thread_job jobs[4];
  GThread *threads[4];

  expect(rule, &l, TP_REASON_OK, NULL);

  for (guint i = 0; i < 4; i++)
  {
    jobs[i] = (thread_job){req, &l, 0};
    threads[i] = g_thread_new("evaluate", evaluate_many, &jobs[i]);
  }
  for (guint i = 0; i < 4; i++)
  {
    g_thread_join(threads[i]);
    g_assert_cmpuint(jobs[i].failures, ==, 0);
  }
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  shared_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  g_assert_nonnull(shared_key);

  g_test_add_func("/policy/match/none-exempt", test_none_exempt);
  g_test_add_func("/policy/match/tls-state", test_tls_state);
  g_test_add_func("/policy/match/ssl-x509", test_ssl_x509);
  g_test_add_func("/policy/match/native/cipher", test_native_cipher);
  g_test_add_func("/policy/match/native/order", test_native_order);
  g_test_add_func("/policy/match/native/slash", test_native_slash);
  g_test_add_func("/policy/match/dn", test_dn);
  g_test_add_func("/policy/match/dn-unicode", test_dn_unicode);
  g_test_add_func("/policy/match/dn-embedded-nul", test_dn_embedded_nul);
  g_test_add_func("/policy/match/san/dns", test_san_dns);
  g_test_add_func("/policy/match/san/embedded-nul", test_san_embedded_nul);
  g_test_add_func("/policy/match/san/ip", test_san_ip);
  g_test_add_func("/policy/match/san/email-uri", test_san_email_uri);
  g_test_add_func("/policy/match/san/duplicate-extension",
                  test_san_duplicate_extension);
  g_test_add_func("/policy/match/spiffe", test_spiffe);
  g_test_add_func("/policy/match/fingerprints", test_fingerprints);
  g_test_add_func("/policy/match/min-tls-version", test_min_tls_version);
  g_test_add_func("/policy/match/min-validity", test_min_validity);
  g_test_add_func("/policy/match/combined", test_combined);
  g_test_add_func("/policy/match/threads", test_threads);

  int rc = g_test_run();
  EVP_PKEY_free(shared_key);
  return rc;
}
