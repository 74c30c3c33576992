/*
 * fuzz_cert_match.c — libFuzzer target for certificate matching.
 *
 * Input: DER bytes of a certificate.  A fixed set of rules, covering every
 * clause type, is decided against a TLS login presenting that certificate.
 * Checks, beyond "no crash, no leak, no UB": the reason is a valid code, a
 * detail is written exactly on failure, the decision does not depend on
 * whether a detail was asked for, and the certificate is left untouched.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <openssl/tls1.h>

#include "tls_policy/policy.h"
#include "policy_internal.h"

#define TEST_NOW ((time_t) 1700000000)

static const char *const rule_texts[] = {
    "SSL",
    "X509",
    "CIPHER 'TLS_AES_128_GCM_SHA256'",
    "ISSUER '/CN=Test CA'",
    "SUBJECT '/O=Acme/CN=alice'",
    "CIPHER 'TLS_AES_128_GCM_SHA256' ISSUER '/CN=Test CA' SUBJECT '/CN=alice'",
    "ISSUER_DN 'CN=Test CA'",
    "SUBJECT_DN 'CN=alice,O=Acme'",
    "SUBJECT_DN 'CN=alice+UID=a1,O=Acme\\\\2C "
    "Inc.,1.3.6.1.4.1.99999.1=v,DC=example,DC=com'",
    "SUBJECT_DN ''",
    "SAN DNS 'db.example.com'",
    "SAN DNS '*.example.com'",
    "SAN IP '10.1.2.3'",
    "SAN IP '10.0.0.0/8'",
    "SAN IP '2001:db8::/32'",
    "SAN EMAIL 'alice@example.com'",
    "SAN URI 'https://example.com/x'",
    "SPIFFE 'spiffe://example.org/ns/*/sa/**'",
    "SPIFFE 'spiffe://example.org'",
    "FINGERPRINT "
    "'0000000000000000000000000000000000000000000000000000000000000000'",
    "PUBKEY "
    "'00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:"
    "88:99:aa:bb:cc:dd:ee:ff'",
    "MIN_TLS_VERSION 'TLSv1.3'",
    "MIN_VALIDITY_DAYS 0",
    "MIN_VALIDITY_DAYS 36500",
    "CIPHER 'TLS_AES_128_GCM_SHA256' AND MIN_TLS_VERSION 'TLSv1.2' AND ISSUER "
    "'/CN=Test CA' AND "
    "SUBJECT '/CN=alice' AND ISSUER_DN 'CN=Test CA' AND SUBJECT_DN 'CN=alice' "
    "AND "
    "SAN DNS 'a.example' AND SAN IP '::1' AND SAN EMAIL 'a@b.example' AND SAN "
    "URI 'u:x' AND "
    "SPIFFE 'spiffe://td/**' AND FINGERPRINT "
    "'0000000000000000000000000000000000000000000000000000000000000000' AND "
    "PUBKEY "
    "'0000000000000000000000000000000000000000000000000000000000000000' AND "
    "MIN_VALIDITY_DAYS 1",
};

static tlsp_requirement *rules[G_N_ELEMENTS(rule_texts)];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  for (guint i = 0; i < G_N_ELEMENTS(rule_texts); i++)
  {
    g_autoptr(GError) error = NULL;
    rules[i] = tlsp_requirement_parse(rule_texts[i], strlen(rule_texts[i]),
                                      NULL, &error);
    if (rules[i] == NULL)
    {
      fprintf(stderr, "fuzz_cert_match: rule %u does not parse: %s\n", i,
              error->message);
      abort();
    }
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const unsigned char *p = data;
  g_autoptr(X509) cert =
      d2i_X509(NULL, &p, (long) MIN(size, (size_t) G_MAXLONG));

  if (cert == NULL)
    return 0;

  /* the matcher only reads: the encoding must be the same afterwards */
  unsigned char *before = NULL;
  int before_len = i2d_X509(cert, &before);

  tlsp_tls_facts facts = {
      .conn_id = 1,
      .protocol_version = TLS1_3_VERSION,
      .protocol = "TLSv1.3",
      .cipher = "TLS_AES_128_GCM_SHA256",
      .verify_result = X509_V_OK,
      .peer_cert = cert,
  };
  tlsp_login login = {
      .user = "alice",
      .host = "h",
      .ip = "192.0.2.1",
      .transport = TP_TRANSPORT_TCP,
      .tls_state = TP_TLS_YES,
      .tls = &facts,
      .now = TEST_NOW,
  };

  for (guint i = 0; i < G_N_ELEMENTS(rules); i++)
  {
    g_autoptr(GString) detail = g_string_new(NULL);
    tlsp_reason r = tlsp_requirement_evaluate(rules[i], &login, detail);
    if ((unsigned) r >= TP_REASON__COUNT || r == TP_REASON_INTERNAL_ERROR ||
        (r == TP_REASON_OK) != (detail->len == 0))
    {
      fprintf(stderr, "fuzz_cert_match: rule %u: reason %d, detail '%s'\n", i,
              (int) r, detail->str);
      abort();
    }
    if (tlsp_requirement_evaluate(rules[i], &login, NULL) != r)
    {
      fprintf(stderr,
              "fuzz_cert_match: rule %u: decision depends on the detail\n", i);
      abort();
    }
  }

  unsigned char *after = NULL;
  int after_len = i2d_X509(cert, &after);
  if (before_len != after_len ||
      (before_len > 0 && memcmp(before, after, (size_t) before_len) != 0))
  {
    fprintf(stderr, "fuzz_cert_match: the certificate changed\n");
    abort();
  }
  OPENSSL_free(before);
  OPENSSL_free(after);
  return 0;
}
