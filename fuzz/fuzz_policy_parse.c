/*
 * fuzz_policy_parse.c — libFuzzer target for the Requirement parser.
 *
 * Input: rule text.  Checks, beyond "no crash, no leak, no UB":
 *   - a failed parse sets a TP_POLICY_PARSE_ERROR and an offset within the
 *     input;
 *   - the canonical text of a parsed rule parses again (or is refused as too
 *     long, when quoting made it longer than the input bound), to the same
 *     canonical text, with the same predicates and the same decision on a
 *     fixed set of logins.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <openssl/evp.h>
#include <openssl/tls1.h>

#include "tls_policy/policy.h"
#include "policy_internal.h"

#define TEST_NOW ((time_t) 1893456000)

static X509 *cert;
static tlsp_tls_facts facts_cert, facts_nocert;
static tlsp_login logins[4];

static void die(const char *what, const char *a, const char *b)
{
  fprintf(stderr, "fuzz_policy_parse: %s\n  first:  %s\n  second: %s\n", what,
          a ? a : "(null)", b ? b : "(null)");
  abort();
}

/* One certificate with a bit of everything, for semantic round-trip checks. */
static X509 *make_cert(void)
{
  g_autoptr(EVP_PKEY) key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  X509 *x = X509_new();
  time_t now = TEST_NOW;
  X509_NAME *subject = X509_get_subject_name(x);

  X509_set_version(x, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8,
                             (const unsigned char *) "Acme", -1, -1, 0);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                             (const unsigned char *) "alice", -1, -1, 0);
  X509_NAME_add_entry_by_txt(subject, "UID", MBSTRING_UTF8,
                             (const unsigned char *) "a1", -1, -1, -1);
  X509_NAME_add_entry_by_txt(X509_get_issuer_name(x), "CN", MBSTRING_UTF8,
                             (const unsigned char *) "Test CA", -1, -1, 0);
  X509_time_adj_ex(X509_getm_notBefore(x), -1, 0, &now);
  X509_time_adj_ex(X509_getm_notAfter(x), 30, 0, &now);
  X509_set_pubkey(x, key);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
  X509_EXTENSION *ext =
      X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
                          "DNS:db.example.com,IP:10.1.2.3,email:alice@example."
                          "com,URI:spiffe://example.org/ns/a");
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  X509_sign(x, key, EVP_sha256());
  return x;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  cert = make_cert();
  if (cert == NULL)
    abort();
  facts_cert = (tlsp_tls_facts){.protocol_version = TLS1_2_VERSION,
                                .protocol = "TLSv1.2",
                                .cipher = "TLS_AES_128_GCM_SHA256",
                                .verify_result = X509_V_OK,
                                .peer_cert = cert};
  facts_nocert = facts_cert;
  facts_nocert.peer_cert = NULL;
  logins[0] = (tlsp_login){.tls_state = TP_TLS_UNKNOWN, .now = TEST_NOW};
  logins[1] = (tlsp_login){.tls_state = TP_TLS_NO, .now = TEST_NOW};
  logins[2] = (tlsp_login){
      .tls_state = TP_TLS_YES, .tls = &facts_nocert, .now = TEST_NOW};
  logins[3] = (tlsp_login){
      .tls_state = TP_TLS_YES, .tls = &facts_cert, .now = TEST_NOW};
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  size_t pos = (size_t) -1;
  g_autoptr(tlsp_requirement) req =
      tlsp_requirement_parse((const char *) data, size, &pos, &error);

  if (req == NULL)
  {
    if (error == NULL || error->domain != TP_POLICY_PARSE_ERROR)
      die("parse failed without a TP_POLICY_PARSE_ERROR", NULL, NULL);
    if (pos > size)
      die("error offset beyond the input", error->message, NULL);
    if (error->message[0] == '\0')
      die("empty error message", NULL, NULL);
    return 0;
  }
  if (error != NULL)
    die("parse succeeded with an error set", error->message, NULL);

  g_autofree char *text = tlsp_requirement_to_string(req);
  size_t len = strlen(text);
  g_autoptr(GError) error2 = NULL;
  g_autoptr(tlsp_requirement) again =
      tlsp_requirement_parse(text, len, NULL, &error2);

  if (len > TP_REQ_MAX_INPUT)
  {
    /* escaping grew a long input beyond the bound: refused, never changed */
    if (again != NULL || !g_error_matches(error2, TP_POLICY_PARSE_ERROR,
                                          TP_POLICY_PARSE_ERROR_TOO_LONG))
      die("long canonical text not refused as too long", text, NULL);
    return 0;
  }
  if (again == NULL)
    die("canonical text does not parse", text, error2->message);
  g_autofree char *text2 = tlsp_requirement_to_string(again);
  if (strcmp(text, text2) != 0)
    die("canonical text is not stable", text, text2);
  if (tlsp_requirement_is_exempt(req) != tlsp_requirement_is_exempt(again) ||
      tlsp_requirement_has_identity(req) !=
          tlsp_requirement_has_identity(again) ||
      tlsp_requirement_needs_tls(req) != tlsp_requirement_needs_tls(again))
    die("predicates differ after the round trip", text, text2);
  for (guint i = 0; i < G_N_ELEMENTS(logins); i++)
  {
    g_autoptr(GString) d1 = g_string_new(NULL);
    g_autoptr(GString) d2 = g_string_new(NULL);
    tlsp_reason r1 = tlsp_requirement_evaluate(req, &logins[i], d1);
    tlsp_reason r2 = tlsp_requirement_evaluate(again, &logins[i], d2);
    if (r1 != r2 || strcmp(d1->str, d2->str) != 0)
      die("decision differs after the round trip", d1->str, d2->str);
    if ((unsigned) r1 >= TP_REASON__COUNT ||
        (r1 == TP_REASON_OK) != (d1->len == 0))
      die("reason and detail disagree", text, d1->str);
    if (!tlsp_requirement_needs_tls(req) && r1 != TP_REASON_OK)
      die("a rule that needs no TLS denied", text, d1->str);
  }
  return 0;
}
