/*
 * tls_build_internal.h — what the files of the TLS context build share
 * among themselves: messages (tls_build_errors.c), certificate times and
 * names (tls_build_cert_info.c), protocol settings and the handshake probe
 * (tls_build_protocol.c), files and PEM (tls_build_files.c), trust material
 * (tls_build_trust.c).  Nothing outside those files and tls_context_build.c
 * includes it; tls_context_build.h is the interface.
 *
 * Every function here is reentrant and touches no global state.
 */
#ifndef TLS_POLICY_TLS_BUILD_INTERNAL_H
#define TLS_POLICY_TLS_BUILD_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include "tls_policy/openssl_autoptr.h"
#include "tls_policy/tls_context_build.h"

G_BEGIN_DECLS

/* ---- messages (tls_build_errors.c) ---- */

/* Append `s` cleaned for a message (TP_TEXT_LINE), cut at 512 bytes. */
void tlsp_tlsb_append_clean(GString *out, const char *s);
/* A cleaned copy (tlsp_tlsb_append_clean) of `s`; g_free it. */
char *tlsp_tlsb_clean_dup(const char *s);
/* Append and empty the thread's OpenSSL error queue, between `open` and
 * `close` when it is not empty. */
void tlsp_tlsb_append_ssl_errors_in(GString *msg, const char *open,
                                    const char *close);
/* The same as " [openssl: ...]". */
void tlsp_tlsb_append_ssl_errors(GString *msg);
/* Set `error` to "<what> '<path>': <reason>[ [openssl: ...]]", drain the
 * OpenSSL error queue, return FALSE. */
gboolean tlsp_tlsb_fail(GError **error, tlsp_tls_build_error_code code,
                        const char *what, const char *path, const char *fmt,
                        ...) G_GNUC_PRINTF(5, 6);

/* ---- certificate times and names (tls_build_cert_info.c) ---- */

gboolean tlsp_tlsb_asn1_time_to_unix(const ASN1_TIME *t, int64_t *out);
/* "2025-01-31 23:59:59 UTC"; the buffer must hold 32 bytes. */
const char *tlsp_tlsb_format_unix(int64_t t, char buf[32]);
/* RFC 2253 one-line form of `name`, cleaned, always NUL-terminated. */
void tlsp_tlsb_name_to_line(const X509_NAME *name, char *out, size_t outsz);

/* ---- protocol settings (tls_build_protocol.c) ---- */

typedef struct tlsp_tlsb_version_def {
  unsigned bit;
  int version;        /* OpenSSL's TLS1_x_VERSION */
  uint64_t no_option; /* SSL_OP_NO_TLSv1_x */
  const char *name;
} tlsp_tlsb_version_def;

#define TP_TLSB_N_VERSIONS 4
/* TLSv1.0 .. TLSv1.3, oldest first. */
extern const tlsp_tlsb_version_def tlsp_tlsb_tls_versions[TP_TLSB_N_VERSIONS];

/* SSL_OP_NO_* for a tls_version mask (0: every TLS version). */
uint64_t tlsp_tlsb_protocol_options(unsigned mask);
gboolean tlsp_tlsb_check_cipher_list(SSL_CTX *ctx, const char *list,
                                     GError **error);
gboolean tlsp_tlsb_check_ciphersuites(SSL_CTX *ctx, const char *list,
                                      GError **error);
gboolean tlsp_tlsb_set_server_dh(SSL_CTX *ctx, GError **error);
/* Which enabled versions complete an in-memory handshake with `ctx`. */
gboolean tlsp_tlsb_probe_versions(SSL_CTX *ctx, unsigned mask, unsigned *usable,
                                  GString *why);

/* ---- files and PEM (tls_build_files.c) ---- */

/* Userdata of tlsp_tlsb_pem_pass_cb. */
typedef struct pem_pass {
  const char *passphrase; /* NULL: none configured */
  gboolean asked;         /* OpenSSL wanted a passphrase */
} pem_pass;

GBytes *tlsp_tlsb_read_file(const char *what, const char *path, GError **error);
gboolean tlsp_tlsb_check_directory(const char *what, const char *path,
                                   GError **error);
BIO *tlsp_tlsb_bio_for(GBytes *bytes);
int tlsp_tlsb_pem_pass_cb(char *buf, int size, int rwflag, void *userdata);
int tlsp_tlsb_no_prompt_cb(char *buf, int size, int rwflag, void *userdata);
gboolean tlsp_tlsb_load_cert_chain(const char *path, GBytes *bytes,
                                   X509 **leaf_out, TpX509Stack **chain_out,
                                   GError **error);
EVP_PKEY *tlsp_tlsb_load_key(const char *path, gboolean from_cert_file,
                             GBytes *bytes, const char *passphrase,
                             GError **error);

/* ---- trust material (tls_build_trust.c) ---- */

/* Where a CRL came from: decides who puts it into the X509_STORE. */
typedef enum crl_origin {
  CRL_FROM_CA_FILE,  /* added with the CA file's certificates */
  CRL_FROM_CRL_FILE, /* added explicitly */
  CRL_FROM_CRL_PATH, /* loaded lazily by the hash-directory lookup */
} crl_origin;

/* A CRL together with the file it came from, for messages. */
typedef struct crl_entry {
  X509_CRL *crl;
  crl_origin origin;
  char *source; /* "CRL file '/path'" */
} crl_entry;

/* GDestroyNotify for a GPtrArray of crl_entry. */
void tlsp_tlsb_crl_entry_free(gpointer p);
gboolean tlsp_tlsb_crl_list_add(GPtrArray *crls, X509_CRL *crl,
                                crl_origin origin, const char *what,
                                const char *path);
gboolean tlsp_tlsb_load_pem_bundle(const char *what, const char *path,
                                   GBytes *bytes,
                                   tlsp_tls_build_error_code parse_code,
                                   crl_origin origin, TpX509Stack *certs,
                                   GPtrArray *crls, int *ncerts, int *ncrls,
                                   GError **error);
gboolean tlsp_tlsb_scan_crl_dir(const char *dir, GPtrArray *crls,
                                GError **error);
gboolean tlsp_tlsb_check_crl(const crl_entry *e, int64_t now,
                             TpX509Stack *trusted, int64_t *earliest_next,
                             GError **error);
gboolean tlsp_tlsb_check_not_revoked(X509 *cert, int depth,
                                     const char *cert_path, GPtrArray *crls,
                                     GError **error);

G_END_DECLS

#endif /* TLS_POLICY_TLS_BUILD_INTERNAL_H */
