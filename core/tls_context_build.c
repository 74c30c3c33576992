/*
 * tls_context_build.c — build a complete TLS acceptor context from
 * configuration and validate it before anyone can use it.
 *
 * See tls_context_build.h for the contract.  The shape follows PostgreSQL's
 * be_tls_init() and HAProxy's ssl_ckch.c: everything is loaded and checked
 * into a private SSL_CTX that nobody else can see yet; any failure frees it
 * (g_autoptr) and returns an error naming the file and the reason; only a
 * context that passed every check is handed to the caller, who swaps it in.
 *
 * OpenSSL error queue discipline (nginx ngx_ssl_error): ERR_clear_error()
 * before every OpenSSL operation whose failure we report, and tlsp_tlsb_fail()
 * (tls_build_errors.c) drains
 * the whole queue into the message, so the queue is empty when we return.
 *
 * This file composes the steps: files and PEM (tls_build_files.c), trust
 * material (tls_build_trust.c), protocol settings and the handshake probe
 * (tls_build_protocol.c), the self-signed certificate
 * (tls_build_self_signed.c), certificate info (tls_build_cert_info.c),
 * messages (tls_build_errors.c); tls_build_internal.h declares what they
 * share.
 *
 * No global state, no locks: every function is reentrant.
 */
#include "tls_build_internal.h"

#include <string.h>

#include <openssl/err.h>

static int64_t now_unix(void) { return g_get_real_time() / G_USEC_PER_SEC; }

/* ------------------------------------------------------------------ */
/* The build                                                           */

static const char *nz(const char *s)
{
  return s != NULL && s[0] != '\0' ? s : NULL;
}

/* The verification of the server's own chain, with the store the context
 * will use for clients, CRL checks off (revocation is checked separately,
 * and a CRL for the clients' CA only must not tlsp_tlsb_fail the server's chain). */
static gboolean verify_server_chain(SSL_CTX *ctx, X509 *leaf,
                                    TpX509Stack *chain, const char *cert_path,
                                    const char *ca, const char *capath,
                                    GPtrArray *crls, GError **error)
{
  GString *against = g_string_new(NULL);
  if (ca != NULL)
  {
    g_string_append(against, "CA file '");
    tlsp_tlsb_append_clean(against, ca);
    g_string_append_c(against, '\'');
  }
  if (capath != NULL)
  {
    g_string_append(against, ca != NULL ? " and CA path '" : "CA path '");
    tlsp_tlsb_append_clean(against, capath);
    g_string_append_c(against, '\'');
  }

  ERR_clear_error();
  g_autoptr(X509_STORE_CTX) sctx = X509_STORE_CTX_new();
  if (sctx == NULL ||
      !X509_STORE_CTX_init(sctx, SSL_CTX_get_cert_store(ctx), leaf, chain) ||
      !X509_STORE_CTX_set_default(sctx, "ssl_server"))
  {
    g_string_free(against, TRUE);
    return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL,
                          "certificate file", cert_path,
                          "cannot set up chain verification");
  }
  X509_VERIFY_PARAM_clear_flags(X509_STORE_CTX_get0_param(sctx),
                                X509_V_FLAG_CRL_CHECK |
                                    X509_V_FLAG_CRL_CHECK_ALL);
  if (X509_verify_cert(sctx) != 1)
  {
    int err = X509_STORE_CTX_get_error(sctx);
    int depth = X509_STORE_CTX_get_error_depth(sctx);
    X509 *bad = X509_STORE_CTX_get_current_cert(sctx);
    char subject[256] = "";
    if (bad != NULL)
      tlsp_tlsb_name_to_line(X509_get_subject_name(bad), subject,
                             sizeof subject);
    tlsp_tlsb_fail(
        error, TP_TLS_BUILD_ERROR_CHAIN_VERIFY, "certificate file", cert_path,
        "the certificate chain does not verify against %s: %s (depth %d, '%s')",
        against->str, X509_verify_cert_error_string(err), depth, subject);
    g_string_free(against, TRUE);
    return FALSE;
  }
  g_string_free(against, TRUE);

  STACK_OF(X509) *verified = X509_STORE_CTX_get0_chain(sctx);
  for (int i = 0; i < sk_X509_num(verified); i++)
    if (!tlsp_tlsb_check_not_revoked(sk_X509_value(verified, i), i, cert_path,
                                     crls, error))
      return FALSE;
  ERR_clear_error();
  return TRUE;
}

SSL_CTX *tlsp_tls_context_build(const tlsp_tls_config *cfg,
                                tlsp_tls_context_info *info, GError **error)
{
  g_return_val_if_fail(cfg != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);

  tlsp_tls_context_info out;
  memset(&out, 0, sizeof out);
  if (info != NULL)
    memset(info, 0, sizeof *info);

  const int64_t now = now_unix();
  const char *cert_path = nz(cfg->cert), *key_path = nz(cfg->key);
  const char *ca = nz(cfg->ca), *capath = nz(cfg->capath);
  const char *crl = nz(cfg->crl), *crlpath = nz(cfg->crlpath);
  const char *passphrase = nz(cfg->passphrase);
  gboolean key_from_cert = FALSE;
  unsigned mask = 0;

  /* 1. settings that need no file */
  if (!tlsp_tls_version_parse(cfg->tls_version, &mask, error))
    return NULL;

  /* 2. server certificate and key (the server's rule: one stands in for
   *    the other when only one is given) */
  g_autoptr(X509) leaf = NULL;
  g_autoptr(TpX509Stack) chain = NULL;
  g_autoptr(EVP_PKEY) pkey = NULL;
  gboolean in_memory = FALSE; /* cfg->mem_cert: not checked against the CA */
  if (cert_path == NULL && key_path == NULL && !cfg->auto_generate &&
      cfg->mem_cert != NULL && cfg->mem_key != NULL)
  {
    if (!X509_up_ref(cfg->mem_cert) || !EVP_PKEY_up_ref(cfg->mem_key))
    {
      tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL, NULL, NULL,
                     "X509_up_ref failed");
      return NULL;
    }
    leaf = cfg->mem_cert;
    pkey = cfg->mem_key;
    in_memory = TRUE;
    chain = sk_X509_new_null();
    if (chain == NULL)
    {
      tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL, NULL, NULL,
                     "out of memory");
      return NULL;
    }
  }
  else if (cert_path == NULL && key_path == NULL)
  {
    if (!cfg->auto_generate)
    {
      tlsp_tlsb_fail(
          error, TP_TLS_BUILD_ERROR_NO_CERTIFICATE, NULL, NULL,
          "no certificate configured (cert and key unset) and auto_generate "
          "is off");
      return NULL;
    }
    if (!tlsp_tls_generate_self_signed(&pkey, &leaf, error))
      return NULL;
    chain = sk_X509_new_null();
    if (chain == NULL)
    {
      tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL, NULL, NULL,
                     "out of memory");
      return NULL;
    }
    out.self_signed_generated = TRUE;
  }
  else
  {
    if (cert_path == NULL)
      cert_path = key_path;
    if (key_path == NULL)
    {
      key_path = cert_path;
      key_from_cert = TRUE;
    }
    g_autoptr(GBytes) cert_bytes =
        tlsp_tlsb_read_file("certificate file", cert_path, error);
    if (cert_bytes == NULL ||
        !tlsp_tlsb_load_cert_chain(cert_path, cert_bytes, &leaf, &chain, error))
      return NULL;
    g_autoptr(GBytes) key_bytes = NULL;
    if (strcmp(key_path, cert_path) == 0)
      key_bytes =
          g_bytes_ref(cert_bytes); /* one read: what we check is what we use */
    else if ((key_bytes = tlsp_tlsb_read_file("key file", key_path, error)) ==
             NULL)
      return NULL;
    pkey = tlsp_tlsb_load_key(key_path, key_from_cert, key_bytes, passphrase,
                              error);
    if (pkey == NULL)
      return NULL;
  }
  const char *cert_label = out.self_signed_generated ? "(generated)"
                           : cert_path == NULL       ? "(in memory)"
                                                     : cert_path;

  ERR_clear_error();
  if (X509_check_private_key(leaf, pkey) != 1)
  {
    g_autofree char *c = tlsp_tlsb_clean_dup(cert_label);
    tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_KEY_MISMATCH, "key file", key_path,
                   "the private key does not match the certificate in '%s'", c);
    return NULL;
  }
  {
    int64_t nb = 0, na = 0;
    char tbuf[32];
    if (!tlsp_tlsb_asn1_time_to_unix(X509_get0_notBefore(leaf), &nb) ||
        !tlsp_tlsb_asn1_time_to_unix(X509_get0_notAfter(leaf), &na))
    {
      tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_CERT_PARSE, "certificate file",
                     cert_label, "the validity period cannot be read");
      return NULL;
    }
    if (nb > now)
    {
      tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_CERT_NOT_YET_VALID,
                     "certificate file", cert_label,
                     "the certificate is not valid before %s",
                     tlsp_tlsb_format_unix(nb, tbuf));
      return NULL;
    }
    if (na < now)
    {
      tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_CERT_EXPIRED, "certificate file",
                     cert_label, "the certificate expired at %s",
                     tlsp_tlsb_format_unix(na, tbuf));
      return NULL;
    }
  }

  /* 3. trust material: read and parse every file before building */
  g_autoptr(TpX509Stack) trusted =
      sk_X509_new_null(); /* CA file + CRL file certs */
  g_autoptr(GPtrArray) crls =
      g_ptr_array_new_with_free_func(tlsp_tlsb_crl_entry_free);
  g_autoptr(GPtrArray) ca_crls =
      g_ptr_array_new_with_free_func(tlsp_tlsb_crl_entry_free);
  if (trusted == NULL)
  {
    tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL, NULL, NULL,
                   "out of memory");
    return NULL;
  }
  if (ca != NULL)
  {
    int nc = 0, nr = 0;
    g_autoptr(GBytes) bytes = tlsp_tlsb_read_file("CA file", ca, error);
    if (bytes == NULL || !tlsp_tlsb_load_pem_bundle("CA file", ca, bytes,
                                                    TP_TLS_BUILD_ERROR_CA_PARSE,
                                                    CRL_FROM_CA_FILE, trusted,
                                                    ca_crls, &nc, &nr, error))
      return NULL;
    if (nc == 0)
    {
      tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_CA_PARSE, "CA file", ca,
                     "no PEM certificate found (expected \"-----BEGIN "
                     "CERTIFICATE-----\")");
      return NULL;
    }
    for (int i = 0; i < nc; i++)
    {
      int64_t na = 0;
      if (tlsp_tlsb_asn1_time_to_unix(
              X509_get0_notAfter(sk_X509_value(trusted, i)), &na) &&
          (out.ca_not_after == 0 || na < out.ca_not_after))
        out.ca_not_after = na;
    }
  }
  if (capath != NULL && !tlsp_tlsb_check_directory("CA path", capath, error))
    return NULL;
  if (crl != NULL)
  {
    int nc = 0, nr = 0;
    g_autoptr(GBytes) bytes = tlsp_tlsb_read_file("CRL file", crl, error);
    if (bytes == NULL ||
        !tlsp_tlsb_load_pem_bundle(
            "CRL file", crl, bytes, TP_TLS_BUILD_ERROR_CRL_PARSE,
            CRL_FROM_CRL_FILE, trusted, crls, &nc, &nr, error))
      return NULL;
    if (nr == 0)
    {
      tlsp_tlsb_fail(
          error, TP_TLS_BUILD_ERROR_CRL_PARSE, "CRL file", crl,
          "no PEM CRL found (expected \"-----BEGIN X509 CRL-----\")");
      return NULL;
    }
  }
  if (crlpath != NULL &&
      (!tlsp_tlsb_check_directory("CRL path", crlpath, error) ||
       !tlsp_tlsb_scan_crl_dir(crlpath, crls, error)))
    return NULL;
  const gboolean crl_check = crl != NULL || crlpath != NULL;
  if (crl_check)
  {
    /* CRLs in the CA file are used too once CRL checking is on */
    for (guint i = 0; i < ca_crls->len; i++)
    {
      crl_entry *e = g_ptr_array_index(ca_crls, i);
      if (!tlsp_tlsb_crl_list_add(crls, e->crl, CRL_FROM_CA_FILE, "CA file",
                                  ca))
      {
        tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL, NULL, NULL,
                       "X509_CRL_up_ref failed");
        return NULL;
      }
    }
    for (guint i = 0; i < crls->len; i++)
      if (!tlsp_tlsb_check_crl(g_ptr_array_index(crls, i), now, trusted,
                               &out.crl_next_update, error))
        return NULL;
  }

  /* 4. the context */
  ERR_clear_error();
  g_autoptr(SSL_CTX) ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == NULL)
  {
    tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL, NULL, NULL,
                   "SSL_CTX_new failed");
    return NULL;
  }
  SSL_CTX_set_options(ctx, tlsp_tlsb_protocol_options(mask));
  SSL_CTX_set_default_passwd_cb(ctx, tlsp_tlsb_no_prompt_cb);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL);

  if (nz(cfg->cipher) != NULL &&
      !tlsp_tlsb_check_cipher_list(ctx, cfg->cipher, error))
    return NULL;
  if (nz(cfg->ciphersuites) != NULL &&
      !tlsp_tlsb_check_ciphersuites(ctx, cfg->ciphersuites, error))
    return NULL;

  X509_STORE *store = SSL_CTX_get_cert_store(ctx);
  ERR_clear_error();
  for (int i = 0; i < sk_X509_num(trusted); i++)
    if (!X509_STORE_add_cert(store, sk_X509_value(trusted, i)))
    {
      tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL, "CA file", ca,
                     "X509_STORE_add_cert failed");
      return NULL;
    }
  for (guint i = 0; i < ca_crls->len; i++)
    if (!X509_STORE_add_crl(store,
                            ((crl_entry *) g_ptr_array_index(ca_crls, i))->crl))
    {
      tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL, "CA file", ca,
                     "X509_STORE_add_crl failed");
      return NULL;
    }
  if (capath != NULL && !X509_STORE_load_path(store, capath))
  {
    tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_UNREADABLE, "CA path", capath,
                   "cannot be used");
    return NULL;
  }
  if (ca == NULL && capath == NULL && !SSL_CTX_set_default_verify_paths(ctx))
  {
    tlsp_tlsb_fail(
        error, TP_TLS_BUILD_ERROR_INTERNAL, NULL, NULL,
        "no CA configured and OpenSSL's default verify paths cannot be loaded");
    return NULL;
  }
  if (crl_check)
  {
    for (guint i = 0; i < crls->len; i++)
    {
      crl_entry *e = g_ptr_array_index(crls, i);
      /* CA file CRLs are in already; CRL path ones are loaded lazily by
       * the hash lookup, as for the server */
      if (e->origin == CRL_FROM_CRL_FILE && !X509_STORE_add_crl(store, e->crl))
      {
        tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL, e->source, NULL,
                       "X509_STORE_add_crl failed");
        return NULL;
      }
    }
    if ((crlpath != NULL && !X509_STORE_load_path(store, crlpath)) ||
        !X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK |
                                         X509_V_FLAG_CRL_CHECK_ALL))
    {
      tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_UNREADABLE, "CRL path", crlpath,
                     "cannot be used");
      return NULL;
    }
  }

  /* 5. certificate, chain, key */
  ERR_clear_error();
  if (SSL_CTX_use_certificate(ctx, leaf) != 1)
  {
    tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_CERT_PARSE, "certificate file",
                   cert_label, "OpenSSL refuses the certificate");
    return NULL;
  }
  for (int i = 0; i < sk_X509_num(chain); i++)
    if (!SSL_CTX_add1_chain_cert(ctx, sk_X509_value(chain, i)))
    {
      tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_CERT_PARSE, "certificate file",
                     cert_label, "OpenSSL refuses chain certificate #%d",
                     i + 2);
      return NULL;
    }
  if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1)
  {
    tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_KEY_PARSE, "key file",
                   key_path ? key_path : cert_label,
                   "OpenSSL refuses the private key");
    return NULL;
  }
  if (SSL_CTX_check_private_key(ctx) != 1)
  {
    g_autofree char *c = tlsp_tlsb_clean_dup(cert_label);
    tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_KEY_MISMATCH, "key file",
                   key_path ? key_path : cert_label,
                   "the private key does not match the certificate in '%s'", c);
    return NULL;
  }

  /* 6. the server's own chain */
  if ((ca != NULL || capath != NULL) && !out.self_signed_generated &&
      !in_memory)
  {
    if (!verify_server_chain(ctx, leaf, chain, cert_path, ca, capath, crls,
                             error))
      return NULL;
    out.chain_verified = TRUE;
  }
  else if (!tlsp_tlsb_check_not_revoked(leaf, 0, cert_label, crls, error))
  {
    return NULL;
  }

  /* 7. what new_VioSSLAcceptorFd sets */
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, NULL);
  SSL_CTX_sess_set_cache_size(ctx, 128);
  {
    const SSL_CTX *self = ctx;
    if (!SSL_CTX_set_session_id_context(ctx, (const unsigned char *) &self,
                                        sizeof self))
    {
      tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL, NULL, NULL,
                     "SSL_CTX_set_session_id_context failed");
      return NULL;
    }
  }
  if (!tlsp_tlsb_set_server_dh(ctx, error))
    return NULL;

  /* 8. can anything at all be negotiated? */
  {
    GString *why = g_string_new(NULL);
    if (!tlsp_tlsb_probe_versions(ctx, mask, &out.usable_tls_versions, why) ||
        out.usable_tls_versions == 0)
    {
      g_autofree char *versions =
          tlsp_tls_version_to_string(mask ? mask : TP_TLS_V_ALL);
      g_autofree char *cl =
          tlsp_tlsb_clean_dup(nz(cfg->cipher) ? cfg->cipher : "(default)");
      g_autofree char *cs = tlsp_tlsb_clean_dup(
          nz(cfg->ciphersuites) ? cfg->ciphersuites : "(default)");
      tlsp_tlsb_fail(
          error, TP_TLS_BUILD_ERROR_NO_USABLE_PROTOCOL, "certificate file",
          cert_label,
          "no TLS version can be negotiated with this configuration (enabled: "
          "%s; "
          "cipher '%s'; ciphersuites '%s'): %s",
          versions, cl, cs, why->str);
      g_string_free(why, TRUE);
      return NULL;
    }
    g_string_free(why, TRUE);
  }

  tlsp_tls_cert_info_fill(leaf, &out);
  ERR_clear_error();
  if (info != NULL)
    *info = out;
  return g_steal_pointer(&ctx);
}
