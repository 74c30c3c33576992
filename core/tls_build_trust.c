/*
 * tls_build_trust.c — trust material: CA and CRL files read as PEM
 * bundles, the CRLs of a hashed CRL directory, and the checks that refuse
 * a CRL every client certificate would fail on (not yet valid, expired,
 * bad signature) or a server certificate that is revoked.
 *
 * No global state, no locks: every function is reentrant.
 */
#include "tls_build_internal.h"

#include <openssl/err.h>

void tlsp_tlsb_crl_entry_free(gpointer p)
{
  crl_entry *e = p;
  X509_CRL_free(e->crl);
  g_free(e->source);
  g_free(e);
}

gboolean tlsp_tlsb_crl_list_add(GPtrArray *crls, X509_CRL *crl,
                                crl_origin origin, const char *what,
                                const char *path)
{
  if (!X509_CRL_up_ref(crl))
    return FALSE;
  crl_entry *e = g_new0(crl_entry, 1);
  e->origin = origin;
  GString *s = g_string_new(what);
  g_string_append(s, " '");
  tlsp_tlsb_append_clean(s, path);
  g_string_append_c(s, '\'');
  e->crl = crl;
  e->source = g_string_free(s, FALSE);
  g_ptr_array_add(crls, e);
  return TRUE;
}

/*
 * Certificates and CRLs of one PEM file (PEM_X509_INFO_read_bio, the reader
 * behind X509_load_cert_crl_file that the server uses for CA and CRL files).
 * Certificates are appended to `certs` (new references), CRLs to `crls`.
 */
gboolean tlsp_tlsb_load_pem_bundle(const char *what, const char *path,
                                   GBytes *bytes,
                                   tlsp_tls_build_error_code parse_code,
                                   crl_origin origin, TpX509Stack *certs,
                                   GPtrArray *crls, int *ncerts, int *ncrls,
                                   GError **error)
{
  pem_pass nopass = {NULL, FALSE};
  g_autoptr(BIO) bio = tlsp_tlsb_bio_for(bytes);
  if (bio == NULL)
    return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL, what, path,
                          "out of memory");

  ERR_clear_error();
  g_autoptr(TpX509InfoStack) infos =
      PEM_X509_INFO_read_bio(bio, NULL, tlsp_tlsb_pem_pass_cb, &nopass);
  if (infos == NULL)
    return tlsp_tlsb_fail(
        error, parse_code, what, path,
        "a PEM block cannot be parsed (truncated or corrupt PEM)");
  ERR_clear_error();
  *ncerts = 0;
  *ncrls = 0;
  for (int i = 0; i < sk_X509_INFO_num(infos); i++)
  {
    X509_INFO *xi = sk_X509_INFO_value(infos, i);
    if (xi->x509 != NULL)
    {
      if (!X509_up_ref(xi->x509))
        return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL, what, path,
                              "X509_up_ref failed");
      if (!sk_X509_push(certs, xi->x509))
      {
        X509_free(xi->x509);
        return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL, what, path,
                              "out of memory");
      }
      (*ncerts)++;
    }
    if (xi->crl != NULL)
    {
      if (!tlsp_tlsb_crl_list_add(crls, xi->crl, origin, what, path))
        return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL, what, path,
                              "X509_CRL_up_ref failed");
      (*ncrls)++;
    }
  }
  return TRUE;
}

/* Does `name` look like a CRL in a hashed directory ("1a2b3c4d.r0")? */
static gboolean is_hashed_crl_name(const char *name)
{
  size_t i;
  for (i = 0; i < 8; i++)
    if (!g_ascii_isxdigit(name[i]))
      return FALSE;
  if (name[8] != '.' || name[9] != 'r' || name[10] == '\0')
    return FALSE;
  for (i = 10; name[i] != '\0'; i++)
    if (!g_ascii_isdigit(name[i]))
      return FALSE;
  return TRUE;
}

/*
 * Every CRL the hash-directory lookup could load from `dir`, read now so
 * that expired or broken ones are found at build time rather than by the
 * first client.
 */
gboolean tlsp_tlsb_scan_crl_dir(const char *dir, GPtrArray *crls,
                                GError **error)
{
  static const char what[] = "CRL file (in CRL path)";
  GError *local = NULL;
  GDir *d = g_dir_open(dir, 0, &local);
  if (d == NULL)
  {
    tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_UNREADABLE, "CRL path", dir,
                   "cannot be listed: %s", local->message);
    g_error_free(local);
    return FALSE;
  }
  const char *name;
  gboolean ok = TRUE;
  while (ok && (name = g_dir_read_name(d)) != NULL)
  {
    if (!is_hashed_crl_name(name))
      continue;
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autoptr(GBytes) bytes = tlsp_tlsb_read_file(what, path, error);
    if (bytes == NULL)
    {
      ok = FALSE;
      break;
    }
    g_autoptr(TpX509Stack) certs = sk_X509_new_null();
    int nc = 0, nr = 0;
    if (certs == NULL)
    {
      ok = tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL, what, path,
                          "out of memory");
      break;
    }
    ok = tlsp_tlsb_load_pem_bundle(
        what, path, bytes, TP_TLS_BUILD_ERROR_CRL_PARSE, CRL_FROM_CRL_PATH,
        certs, crls, &nc, &nr, error);
    if (ok && nr == 0)
      ok = tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_CRL_PARSE, what, path,
                          "no PEM CRL found");
  }
  g_dir_close(d);
  return ok;
}

/*
 * A CRL that is not yet valid or has expired makes OpenSSL refuse every
 * client certificate of that issuer (CRL_CHECK_ALL), and one whose signature
 * is wrong does the same: refuse to build.  The signature is checked when
 * the issuer is among `trusted` (CA file and CRL file certificates); an
 * issuer found only through CA path is left to OpenSSL.
 */
gboolean tlsp_tlsb_check_crl(const crl_entry *e, int64_t now,
                             TpX509Stack *trusted, int64_t *earliest_next,
                             GError **error)
{
  char issuer[256], tbuf[32];
  int64_t last = 0, next = 0;

  tlsp_tlsb_name_to_line(X509_CRL_get_issuer(e->crl), issuer, sizeof issuer);
  if (!tlsp_tlsb_asn1_time_to_unix(X509_CRL_get0_lastUpdate(e->crl), &last))
    return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_CRL_PARSE, e->source, NULL,
                          "the CRL of '%s' has an unreadable lastUpdate",
                          issuer);
  if (last > now)
    return tlsp_tlsb_fail(
        error, TP_TLS_BUILD_ERROR_CRL_NOT_YET_VALID, e->source, NULL,
        "the CRL of '%s' is not valid before %s (lastUpdate); every "
        "client certificate "
        "it covers would be refused",
        issuer, tlsp_tlsb_format_unix(last, tbuf));
  const ASN1_TIME *nu = X509_CRL_get0_nextUpdate(e->crl);
  if (nu != NULL)
  {
    if (!tlsp_tlsb_asn1_time_to_unix(nu, &next))
      return tlsp_tlsb_fail(
          error, TP_TLS_BUILD_ERROR_CRL_PARSE, e->source, NULL,
          "the CRL of '%s' has an unreadable nextUpdate", issuer);
    if (next < now)
      return tlsp_tlsb_fail(
          error, TP_TLS_BUILD_ERROR_CRL_EXPIRED, e->source, NULL,
          "the CRL of '%s' expired at %s (nextUpdate); every client "
          "certificate it "
          "covers would be refused",
          issuer, tlsp_tlsb_format_unix(next, tbuf));
    if (*earliest_next == 0 || next < *earliest_next)
      *earliest_next = next;
  }

  gboolean issuer_known = FALSE;
  for (int i = 0; i < sk_X509_num(trusted); i++)
  {
    X509 *ca = sk_X509_value(trusted, i);
    if (X509_NAME_cmp(X509_get_subject_name(ca), X509_CRL_get_issuer(e->crl)) !=
        0)
      continue;
    issuer_known = TRUE;
    EVP_PKEY *pub = X509_get0_pubkey(ca);
    ERR_clear_error();
    if (pub != NULL && X509_CRL_verify(e->crl, pub) == 1)
      return TRUE;
  }
  ERR_clear_error();
  if (issuer_known)
    return tlsp_tlsb_fail(
        error, TP_TLS_BUILD_ERROR_CRL_BAD_SIGNATURE, e->source, NULL,
        "the CRL of '%s' is not signed by that CA's key", issuer);
  return TRUE;
}

/* Is `cert` revoked by one of `crls`? */
gboolean tlsp_tlsb_check_not_revoked(X509 *cert, int depth,
                                     const char *cert_path, GPtrArray *crls,
                                     GError **error)
{
  for (guint i = 0; i < crls->len; i++)
  {
    const crl_entry *e = g_ptr_array_index(crls, i);
    if (X509_NAME_cmp(X509_CRL_get_issuer(e->crl),
                      X509_get_issuer_name(cert)) != 0)
      continue;
    X509_REVOKED *rev = NULL;
    if (X509_CRL_get0_by_cert(e->crl, &rev, cert) == 1)
    {
      char subject[256], tbuf[32];
      int64_t when = 0;
      tlsp_tlsb_name_to_line(X509_get_subject_name(cert), subject,
                             sizeof subject);
      (void) tlsp_tlsb_asn1_time_to_unix(X509_REVOKED_get0_revocationDate(rev),
                                         &when);
      return tlsp_tlsb_fail(
          error, TP_TLS_BUILD_ERROR_CERT_REVOKED, "certificate file", cert_path,
          "the certificate '%s' (depth %d) was revoked at %s by the CRL in %s",
          subject, depth, tlsp_tlsb_format_unix(when, tbuf), e->source);
    }
  }
  ERR_clear_error();
  return TRUE;
}
