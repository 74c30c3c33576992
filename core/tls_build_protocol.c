/*
 * tls_build_protocol.c — what a context can negotiate: the tls_version
 * setting, the cipher list and TLS 1.3 ciphersuites (every element must be
 * known), the server's fixed DH group, and the build-time handshake that
 * tells which enabled versions can complete.
 *
 * No global state, no locks: every function is reentrant.
 */
#include "tls_build_internal.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>

/* ------------------------------------------------------------------ */
/* tls_version                                                         */

const tlsp_tlsb_version_def tlsp_tlsb_tls_versions[TP_TLSB_N_VERSIONS] = {
    {TP_TLS_V1_0, TLS1_VERSION, SSL_OP_NO_TLSv1, "TLSv1.0"},
    {TP_TLS_V1_1, TLS1_1_VERSION, SSL_OP_NO_TLSv1_1, "TLSv1.1"},
    {TP_TLS_V1_2, TLS1_2_VERSION, SSL_OP_NO_TLSv1_2, "TLSv1.2"},
    {TP_TLS_V1_3, TLS1_3_VERSION, SSL_OP_NO_TLSv1_3, "TLSv1.3"},
};

gboolean tlsp_tls_version_parse(const char *text, unsigned *mask,
                                GError **error)
{
  g_return_val_if_fail(mask != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  unsigned m = 0;

  *mask = 0;
  if (text == NULL || text[0] == '\0')
    return TRUE;
  gchar **parts = g_strsplit(text, ",", -1);
  for (gchar **p = parts; *p != NULL; p++)
  {
    const char *elem = g_strstrip(*p);
    unsigned bit = 0;
    if (g_ascii_strcasecmp(elem, "TLSv1") == 0)
      bit = TP_TLS_V1_0;
    for (size_t i = 0; bit == 0 && i < G_N_ELEMENTS(tlsp_tlsb_tls_versions);
         i++)
      if (g_ascii_strcasecmp(elem, tlsp_tlsb_tls_versions[i].name) == 0)
        bit = tlsp_tlsb_tls_versions[i].bit;
    if (bit == 0)
    {
      GString *e = g_string_new(NULL);
      tlsp_tlsb_append_clean(e, elem);
      tlsp_tlsb_fail(
          error, TP_TLS_BUILD_ERROR_TLS_VERSION, "tls_version", text,
          "unknown TLS version '%s' (known: TLSv1.0, TLSv1.1, TLSv1.2, "
          "TLSv1.3)",
          e->str);
      g_string_free(e, TRUE);
      g_strfreev(parts);
      return FALSE;
    }
    m |= bit;
  }
  g_strfreev(parts);
  *mask = m;
  return TRUE;
}

char *tlsp_tls_version_to_string(unsigned mask)
{
  GString *s = g_string_new(NULL);
  for (size_t i = 0; i < G_N_ELEMENTS(tlsp_tlsb_tls_versions); i++)
  {
    if (mask & tlsp_tlsb_tls_versions[i].bit)
    {
      if (s->len > 0)
        g_string_append_c(s, ',');
      g_string_append(s, tlsp_tlsb_tls_versions[i].name);
    }
  }
  return g_string_free(s, FALSE);
}

/* The server's vio_tls_protocol_options(): SSLv2/3 always off; with a mask,
 * every TLS version outside it off too. */
uint64_t tlsp_tlsb_protocol_options(unsigned mask)
{
  uint64_t o = SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3;
  if (mask == 0)
    return o;
  for (size_t i = 0; i < G_N_ELEMENTS(tlsp_tlsb_tls_versions); i++)
    if (!(mask & tlsp_tlsb_tls_versions[i].bit))
      o |= tlsp_tlsb_tls_versions[i].no_option;
  return o;
}

/* ------------------------------------------------------------------ */
/* Ciphers                                                             */

/* Positive elements of a cipher list that select nothing on their own
 * ("AES128-SHA:TYPO" is accepted by OpenSSL, which silently drops TYPO). */
gboolean tlsp_tlsb_check_cipher_list(SSL_CTX *ctx, const char *list,
                                     GError **error)
{
  ERR_clear_error();
  if (!SSL_CTX_set_cipher_list(ctx, list))
    return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_CIPHER, "cipher list", list,
                          "selects no cipher");

  g_autoptr(SSL_CTX) probe = SSL_CTX_new(TLS_server_method());
  if (probe == NULL)
    return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL, "cipher list",
                          list, "SSL_CTX_new failed");
  GString *bad = g_string_new(NULL);
  gchar **elems = g_strsplit_set(list, ": ,;", -1);
  for (gchar **p = elems; *p != NULL; p++)
  {
    const char *el = *p;
    if (el[0] == '\0' || el[0] == '!' || el[0] == '-' || el[0] == '@')
      continue; /* removing something absent is harmless; @ is a directive */
    if (el[0] == '+')
      el++;
    ERR_clear_error();
    if (el[0] != '\0' && !SSL_CTX_set_cipher_list(probe, el))
    {
      g_string_append(bad, bad->len ? ", '" : "'");
      tlsp_tlsb_append_clean(bad, el);
      g_string_append_c(bad, '\'');
    }
  }
  g_strfreev(elems);
  ERR_clear_error();
  gboolean ok = TRUE;
  if (bad->len > 0)
    ok = tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_CIPHER, "cipher list", list,
                        "unknown or empty element(s) %s", bad->str);
  g_string_free(bad, TRUE);
  return ok;
}

/* Every ciphersuite name must be known (OpenSSL ignores unknown ones). */
gboolean tlsp_tlsb_check_ciphersuites(SSL_CTX *ctx, const char *list,
                                      GError **error)
{
  g_autoptr(SSL_CTX) probe = SSL_CTX_new(TLS_server_method());
  if (probe == NULL)
    return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL, "ciphersuites",
                          list, "SSL_CTX_new failed");
  GString *bad = g_string_new(NULL);
  gchar **elems = g_strsplit(list, ":", -1);
  for (gchar **p = elems; *p != NULL; p++)
  {
    if ((*p)[0] == '\0')
      continue;
    ERR_clear_error();
    if (!SSL_CTX_set_ciphersuites(probe, *p))
    {
      g_string_append(bad, bad->len ? ", '" : "'");
      tlsp_tlsb_append_clean(bad, *p);
      g_string_append_c(bad, '\'');
    }
  }
  g_strfreev(elems);
  ERR_clear_error();
  if (bad->len > 0)
  {
    tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_CIPHERSUITES, "ciphersuites", list,
                   "unknown TLS 1.3 ciphersuite(s) %s", bad->str);
    g_string_free(bad, TRUE);
    return FALSE;
  }
  g_string_free(bad, TRUE);
  if (!SSL_CTX_set_ciphersuites(ctx, list))
    return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_CIPHERSUITES,
                          "ciphersuites", list, "selects no ciphersuite");
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* DH: the server's fixed group                                         */

/* p of get_dh2048() in MariaDB vio/viosslfactories.c ("openssl dhparam -2
 * -C 2048"), g = 2.  Same group as the server's own context. */
static const unsigned char server_dh2048_p[] = {
    0xA1, 0xBB, 0x7C, 0x20, 0xC5, 0x5B, 0xC0, 0x7B, 0x21, 0x8B, 0xD6, 0xA8,
    0x15, 0xFC, 0x3B, 0xBA, 0xAB, 0x9F, 0xDF, 0x68, 0xC4, 0x79, 0x78, 0x0D,
    0xC1, 0x12, 0x64, 0xE4, 0x15, 0xC9, 0x66, 0xDB, 0xF6, 0xCB, 0xB3, 0x39,
    0x02, 0x5B, 0x78, 0x62, 0xFB, 0x09, 0xAE, 0x09, 0x6B, 0xDD, 0xD4, 0x5D,
    0x97, 0xBC, 0xDC, 0x7F, 0xE6, 0xD6, 0xF1, 0xCB, 0xF5, 0xEB, 0xDA, 0xA7,
    0x2E, 0x5A, 0x43, 0x2B, 0xE9, 0x40, 0xE2, 0x85, 0x00, 0x1C, 0xC0, 0x0A,
    0x98, 0x77, 0xA9, 0x31, 0xDE, 0x0B, 0x75, 0x4D, 0x1E, 0x1F, 0x16, 0x83,
    0xCA, 0xDE, 0xBD, 0x21, 0xFC, 0xC1, 0x82, 0x37, 0x36, 0x33, 0x0B, 0x66,
    0x06, 0x3C, 0xF3, 0xAF, 0x21, 0x57, 0x57, 0x80, 0xF6, 0x94, 0x1B, 0xA9,
    0xD4, 0xF6, 0x8F, 0x18, 0x62, 0x0E, 0xC4, 0x22, 0xF9, 0x5B, 0x62, 0xCC,
    0x3F, 0x19, 0x95, 0xCF, 0x4B, 0x00, 0xA6, 0x6C, 0x0B, 0xAF, 0x9F, 0xD5,
    0xFA, 0x3D, 0x6D, 0xDA, 0x30, 0x83, 0x07, 0x91, 0xAC, 0x15, 0xFF, 0x8F,
    0x59, 0x54, 0xEA, 0x25, 0xBC, 0x4E, 0xEB, 0x6A, 0x54, 0xDF, 0x75, 0x09,
    0x72, 0x0F, 0xEF, 0x23, 0x70, 0xE0, 0xA8, 0x04, 0xEA, 0xFF, 0x90, 0x54,
    0xCD, 0x84, 0x18, 0xC0, 0x75, 0x91, 0x99, 0x0F, 0xA1, 0x78, 0x0C, 0x07,
    0xB7, 0xC5, 0xDE, 0x55, 0x06, 0x7B, 0x95, 0x68, 0x2C, 0x33, 0x39, 0xBC,
    0x2C, 0xD0, 0x6D, 0xDD, 0xFA, 0xDC, 0xB5, 0x8F, 0x82, 0x39, 0xF8, 0x67,
    0x44, 0xF1, 0xD8, 0xF7, 0x78, 0x11, 0x9A, 0x77, 0x9B, 0x53, 0x47, 0xD6,
    0x2B, 0x5D, 0x67, 0xB8, 0xB7, 0xBC, 0xC1, 0xD7, 0x79, 0x62, 0x15, 0xC2,
    0xC5, 0x83, 0x97, 0xA7, 0xF8, 0xB4, 0x9C, 0xF6, 0x8F, 0x9A, 0xC7, 0xDA,
    0x1B, 0xBB, 0x87, 0x07, 0xA7, 0x71, 0xAD, 0xB2, 0x8A, 0x50, 0xF8, 0x26,
    0x12, 0xB7, 0x3E, 0x0B,
};

gboolean tlsp_tlsb_set_server_dh(SSL_CTX *ctx, GError **error)
{
  ERR_clear_error();
  g_autoptr(BIGNUM) p =
      BN_bin2bn(server_dh2048_p, sizeof server_dh2048_p, NULL);
  g_autoptr(BIGNUM) g = BN_new();
  g_autoptr(OSSL_PARAM_BLD) bld = OSSL_PARAM_BLD_new();
  if (p == NULL || g == NULL || bld == NULL || !BN_set_word(g, 2) ||
      !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p) ||
      !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, g))
    return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL, "DH parameters",
                          NULL, "out of memory");
  g_autoptr(OSSL_PARAM) params = OSSL_PARAM_BLD_to_param(bld);
  g_autoptr(EVP_PKEY_CTX) pctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
  EVP_PKEY *dh = NULL;
  if (params == NULL || pctx == NULL || EVP_PKEY_fromdata_init(pctx) <= 0 ||
      EVP_PKEY_fromdata(pctx, &dh, EVP_PKEY_KEY_PARAMETERS, params) <= 0)
    return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL, "DH parameters",
                          NULL, "cannot build the 2048-bit DH group");
  if (!SSL_CTX_set0_tmp_dh_pkey(ctx, dh))
  {
    EVP_PKEY_free(dh);
    return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL, "DH parameters",
                          NULL, "SSL_CTX_set0_tmp_dh_pkey failed");
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Build-time handshake                                                */

/*
 * One in-memory handshake between `server_ctx` and a client limited to
 * `version` that accepts anything the server could offer (security level
 * 0, every cipher, no verification).  Failure reasons go to `why`.
 */
static gboolean probe_version(SSL_CTX *server_ctx, SSL_CTX *client_ctx,
                              int version, GString *why)
{
  ERR_clear_error();
  g_autoptr(SSL) c = SSL_new(client_ctx);
  g_autoptr(SSL) s = SSL_new(server_ctx);
  BIO *bc = NULL, *bs = NULL;
  if (c == NULL || s == NULL || !BIO_new_bio_pair(&bc, 0, &bs, 0))
  {
    g_string_append(why, "cannot set up the probe");
    tlsp_tlsb_append_ssl_errors(why);
    return FALSE;
  }
  SSL_set_bio(c, bc, bc);
  SSL_set_bio(s, bs, bs);
  if (!SSL_set_min_proto_version(c, version) ||
      !SSL_set_max_proto_version(c, version))
  {
    g_string_append(why, "client cannot be limited to this version");
    tlsp_tlsb_append_ssl_errors(why);
    return FALSE;
  }
  SSL_set_connect_state(c);
  SSL_set_accept_state(s);

  gboolean c_done = FALSE, s_done = FALSE;
  for (int round = 0; round < 32 && !(c_done && s_done); round++)
  {
    SSL *side[2] = {c, s};
    gboolean *done[2] = {&c_done, &s_done};
    for (int k = 0; k < 2; k++)
    {
      if (*done[k])
        continue;
      int r = SSL_do_handshake(side[k]);
      if (r == 1)
      {
        *done[k] = TRUE;
        continue;
      }
      int e = SSL_get_error(side[k], r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        continue;
      g_string_append(why, k == 1 ? "server: " : "client: ");
      size_t before = why->len;
      tlsp_tlsb_append_ssl_errors_in(why, "", "");
      if (why->len == before)
        g_string_append_printf(why, "handshake failed (SSL_get_error %d)", e);
      return FALSE;
    }
  }
  ERR_clear_error();
  if (!(c_done && s_done))
  {
    g_string_append(why, "handshake did not complete");
    return FALSE;
  }
  return TRUE;
}

/* Which of the enabled versions can complete a handshake.  The session
 * cache is switched off meanwhile so that no probe session is left in the
 * new context. */
gboolean tlsp_tlsb_probe_versions(SSL_CTX *ctx, unsigned mask, unsigned *usable,
                                  GString *why)
{
  static const char all_suites[] =
      "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_"
      "SHA256:"
      "TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256";

  *usable = 0;
  ERR_clear_error();
  g_autoptr(SSL_CTX) client = SSL_CTX_new(TLS_client_method());
  if (client == NULL)
  {
    g_string_append(why, "cannot create the probe client");
    tlsp_tlsb_append_ssl_errors(why);
    return FALSE;
  }
  SSL_CTX_set_security_level(client, 0);
  SSL_CTX_set_verify(client, SSL_VERIFY_NONE, NULL);
  if (!SSL_CTX_set_cipher_list(client, "ALL:@SECLEVEL=0") ||
      !SSL_CTX_set_ciphersuites(client, all_suites))
  {
    g_string_append(why, "cannot configure the probe client");
    tlsp_tlsb_append_ssl_errors(why);
    return FALSE;
  }

  long cache_mode = SSL_CTX_get_session_cache_mode(ctx);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  for (size_t i = 0; i < G_N_ELEMENTS(tlsp_tlsb_tls_versions); i++)
  {
    if (mask != 0 && !(mask & tlsp_tlsb_tls_versions[i].bit))
      continue;
    GString *one = g_string_new(NULL);
    if (probe_version(ctx, client, tlsp_tlsb_tls_versions[i].version, one))
      *usable |= tlsp_tlsb_tls_versions[i].bit;
    else
      g_string_append_printf(why, "%s%s: %s", why->len ? "; " : "",
                             tlsp_tlsb_tls_versions[i].name, one->str);
    g_string_free(one, TRUE);
  }
  SSL_CTX_set_session_cache_mode(ctx, cache_mode);
  ERR_clear_error();
  return TRUE;
}
