/*
 * tls_build_cert_info.c — times and names of certificates in the forms
 * messages and telemetry show, and the tlsp_tls_context_info of a server
 * certificate or of any context (tls_context_build.h).
 *
 * No global state, no locks: every function is reentrant.
 */
#include "tls_policy/dn_text.h"
#include "tls_build_internal.h"

#include <string.h>

#include <openssl/err.h>

/* ------------------------------------------------------------------ */
/* Time and names                                                      */

gboolean tlsp_tlsb_asn1_time_to_unix(const ASN1_TIME *t, int64_t *out)
{
  struct tm tm;
  if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
    return FALSE;
  GDateTime *dt =
      g_date_time_new_utc(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                          tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (dt == NULL)
    return FALSE;
  *out = g_date_time_to_unix(dt);
  g_date_time_unref(dt);
  return TRUE;
}

/* "2025-01-31 23:59:59 UTC"; the buffer must hold 32 bytes. */
const char *tlsp_tlsb_format_unix(int64_t t, char buf[32])
{
  GDateTime *dt = g_date_time_new_from_unix_utc(t);
  if (dt == NULL)
  {
    g_snprintf(buf, 32, "@%" G_GINT64_FORMAT, t);
    return buf;
  }
  gchar *s = g_date_time_format(dt, "%Y-%m-%d %H:%M:%S UTC");
  g_strlcpy(buf, s != NULL ? s : "?", 32);
  g_free(s);
  g_date_time_unref(dt);
  return buf;
}

/*
 * RFC 2253/4514 one-line form of `name` into out[outsz]: UTF-8 kept
 * (ASN1_STRFLGS_ESC_MSB off), control characters removed, invalid UTF-8
 * replaced, cut at a character boundary.  Always NUL-terminated.
 */
void tlsp_tlsb_name_to_line(const X509_NAME *name, char *out, size_t outsz)
{
  out[0] = '\0';
  if (name == NULL || outsz == 0)
    return;
  /* The one display text of a name (dn_text.c), then one line of at most
   * outsz bytes for a status variable or a log line. */
  g_autofree char *data = tlsp_dn_text(name);
  if (data == NULL)
    return;
  long n = (long) strlen(data);
  GString *kept = g_string_sized_new(n > 0 ? (gsize) n : 1);
  for (long i = 0; i < n; i++)
  {
    unsigned char c = (unsigned char) data[i];
    if (c >= 0x20 && c != 0x7f)
      g_string_append_c(kept, (char) c);
  }
  gchar *valid = g_utf8_make_valid(kept->str, (gssize) kept->len);
  g_string_free(kept, TRUE);

  size_t len = strlen(valid);
  if (len >= outsz)
  {
    /* back up to the start of the character that crosses the limit */
    const char *cut = valid + outsz - 1;
    while (cut > valid && ((unsigned char) *cut & 0xC0) == 0x80)
      cut--;
    len = (size_t) (cut - valid);
  }
  memcpy(out, valid, len);
  out[len] = '\0';
  g_free(valid);
}

void tlsp_tls_cert_info_fill(X509 *cert, tlsp_tls_context_info *info)
{
  g_return_if_fail(cert != NULL && info != NULL);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;

  info->server_cert_not_before = 0;
  info->server_cert_not_after = 0;
  (void) tlsp_tlsb_asn1_time_to_unix(X509_get0_notBefore(cert),
                                     &info->server_cert_not_before);
  (void) tlsp_tlsb_asn1_time_to_unix(X509_get0_notAfter(cert),
                                     &info->server_cert_not_after);

  info->server_cert_sha256[0] = '\0';
  if (X509_digest(cert, EVP_sha256(), md, &mdlen) && mdlen == 32)
  {
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < mdlen; i++)
    {
      info->server_cert_sha256[2 * i] = hex[md[i] >> 4];
      info->server_cert_sha256[2 * i + 1] = hex[md[i] & 0xf];
    }
    info->server_cert_sha256[2 * mdlen] = '\0';
  }
  tlsp_tlsb_name_to_line(X509_get_subject_name(cert), info->server_cert_subject,
                         sizeof info->server_cert_subject);
  ERR_clear_error();
}

/* ------------------------------------------------------------------ */
/* Info for any context                                                */

gboolean tlsp_tls_context_info_from_ctx(SSL_CTX *ctx,
                                        tlsp_tls_context_info *info,
                                        GError **error)
{
  g_return_val_if_fail(ctx != NULL && info != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

  memset(info, 0, sizeof *info);
  X509 *cert = SSL_CTX_get0_certificate(ctx);
  if (cert == NULL)
    return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_NO_CERTIFICATE, NULL, NULL,
                          "the context has no server certificate");
  tlsp_tls_cert_info_fill(cert, info);

  X509_STORE *store = SSL_CTX_get_cert_store(ctx);
  if (store != NULL && X509_STORE_lock(store))
  {
    STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(store);
    for (int i = 0; i < sk_X509_OBJECT_num(objs); i++)
    {
      X509_OBJECT *o = sk_X509_OBJECT_value(objs, i);
      int64_t t = 0;
      if (X509_OBJECT_get_type(o) == X509_LU_X509)
      {
        if (tlsp_tlsb_asn1_time_to_unix(
                X509_get0_notAfter(X509_OBJECT_get0_X509(o)), &t) &&
            (info->ca_not_after == 0 || t < info->ca_not_after))
          info->ca_not_after = t;
      }
      else if (X509_OBJECT_get_type(o) == X509_LU_CRL)
      {
        const ASN1_TIME *nu =
            X509_CRL_get0_nextUpdate(X509_OBJECT_get0_X509_CRL(o));
        if (nu != NULL && tlsp_tlsb_asn1_time_to_unix(nu, &t) &&
            (info->crl_next_update == 0 || t < info->crl_next_update))
          info->crl_next_update = t;
      }
    }
    X509_STORE_unlock(store);
  }

  uint64_t opts = SSL_CTX_get_options(ctx);
  int minv = (int) SSL_CTX_get_min_proto_version(ctx);
  int maxv = (int) SSL_CTX_get_max_proto_version(ctx);
  for (size_t i = 0; i < G_N_ELEMENTS(tlsp_tlsb_tls_versions); i++)
  {
    int v = tlsp_tlsb_tls_versions[i].version;
    if ((opts & tlsp_tlsb_tls_versions[i].no_option) ||
        (minv != 0 && v < minv) || (maxv != 0 && v > maxv))
      continue;
    info->usable_tls_versions |= tlsp_tlsb_tls_versions[i].bit;
  }
  ERR_clear_error();
  return TRUE;
}
