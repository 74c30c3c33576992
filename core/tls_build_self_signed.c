/*
 * tls_build_self_signed.c — the P-256 self-signed server certificate used
 * when no certificate is configured and auto_generate is on.
 *
 * No global state, no locks: every function is reentrant.
 */
#include "tls_build_internal.h"

#include <openssl/err.h>
#include <openssl/rand.h>

/* ------------------------------------------------------------------ */
/* Self-signed certificate                                             */

static gboolean add_ext(X509 *cert, X509V3_CTX *v3, int nid, const char *value)
{
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, v3, nid, value);
  if (ext == NULL)
    return FALSE;
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return ok == 1;
}

gboolean tlsp_tls_generate_self_signed(EVP_PKEY **key, X509 **cert,
                                       GError **error)
{
  g_return_val_if_fail(key != NULL && cert != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  static const char what[] = "self-signed certificate";

  ERR_clear_error();
  g_autoptr(EVP_PKEY) pkey = EVP_EC_gen("P-256");
  if (pkey == NULL)
    return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_GENERATE, what, NULL,
                          "P-256 key generation failed");

  g_autoptr(X509) x = X509_new();
  g_autoptr(BIGNUM) serial = BN_new();
  unsigned char rnd[16];
  if (x == NULL || serial == NULL || RAND_bytes(rnd, sizeof rnd) != 1)
    return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_GENERATE, what, NULL,
                          "out of memory or entropy");
  rnd[0] &= 0x7f; /* positive */
  rnd[0] |= 0x40; /* and full length */
  if (BN_bin2bn(rnd, sizeof rnd, serial) == NULL ||
      BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) == NULL ||
      !X509_set_version(x, X509_VERSION_3))
    return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_GENERATE, what, NULL,
                          "cannot set the serial");

  /* valid from five minutes ago (client clock skew) for one year */
  if (X509_gmtime_adj(X509_getm_notBefore(x), -300) == NULL ||
      X509_time_adj_ex(X509_getm_notAfter(x), 365, -300, NULL) == NULL)
    return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_GENERATE, what, NULL,
                          "cannot set the validity");

  g_autofree gchar *host = g_utf8_make_valid(g_get_host_name(), -1);
  g_autofree gchar *cn_full =
      g_strconcat("tls_policy auto-generated ", host, NULL);
  g_autofree gchar *cn =
      g_utf8_substring(cn_full, 0, MIN(g_utf8_strlen(cn_full, -1), 64));
  X509_NAME *name = X509_get_subject_name(x);
  if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                  (const unsigned char *) cn, -1, -1, 0) ||
      !X509_set_issuer_name(x, name) || !X509_set_pubkey(x, pkey))
    return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_GENERATE, what, NULL,
                          "cannot set the names");

  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
  if (!add_ext(x, &v3, NID_basic_constraints, "critical,CA:FALSE") ||
      !add_ext(x, &v3, NID_key_usage, "critical,digitalSignature") ||
      !add_ext(x, &v3, NID_ext_key_usage, "serverAuth") ||
      !add_ext(x, &v3, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1") ||
      !add_ext(x, &v3, NID_subject_key_identifier, "hash"))
    return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_GENERATE, what, NULL,
                          "cannot add the extensions");
  if (X509_sign(x, pkey, EVP_sha256()) <= 0)
    return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_GENERATE, what, NULL,
                          "signing failed");

  ERR_clear_error();
  *key = g_steal_pointer(&pkey);
  *cert = g_steal_pointer(&x);
  return TRUE;
}
