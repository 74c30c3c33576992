/*
 * tls_context_build.h — building and validating a complete TLS acceptor
 * context (SSL_CTX) from configuration, before it is swapped into the server.
 *
 * Pure OpenSSL + GLib: nothing here touches mariadbd internals, takes a lock
 * or keeps global state.  tls_context.c owns the swap (docs/hazards.md §3);
 * this file only answers "give me a fully validated context, or say exactly
 * what is wrong and with which file".
 *
 * The context is configured the way the server's new_VioSSLAcceptorFd()
 * (vio/viosslfactories.c, 10.11) configures its own:
 *   - TLS_server_method(); SSL_OP_NO_SSLv2|SSL_OP_NO_SSLv3 plus
 *     SSL_OP_NO_TLSv1_x for every version not in tls_version (an unset
 *     tls_version restricts nothing beyond OpenSSL's defaults, like the
 *     server's mask 0);
 *   - SSL_VERIFY_PEER|SSL_VERIFY_CLIENT_ONCE, no verify callback;
 *   - session cache size 128; a session id context of pointer size (the
 *     server uses its st_VioSSLFd pointer; we use the SSL_CTX pointer — the
 *     caller may overwrite it with SSL_CTX_set_session_id_context before the
 *     context is used);
 *   - the server's fixed 2048-bit DH group (the p of get_dh2048(), g = 2),
 *     via SSL_CTX_set0_tmp_dh_pkey, not SSL_CTX_set_dh_auto;
 *   - CA file and CA path as trusted certificates; with neither, OpenSSL's
 *     default verify paths (as the server does);
 *   - CRL file (certificates and CRLs in it, as X509_STORE_load_locations
 *     does for the server) and CRL path, with
 *     X509_V_FLAG_CRL_CHECK|X509_V_FLAG_CRL_CHECK_ALL.
 * Differences from the server, on purpose: files are read once into memory
 * and what was validated is exactly what is installed (no re-open between
 * check and load); an encrypted key is decrypted with cfg->passphrase and
 * never by a terminal prompt; `cipher` and `ciphersuites` are separate
 * settings (the server feeds its one ssl_cipher to both calls).
 *
 * Validation, in this order, each failure with its own code (below):
 * tls_version syntax; presence and readability of every file; PEM parsing of
 * certificate, key, CA and CRL files; key decryption; key/certificate match;
 * server certificate validity period; CRL validity periods and signatures
 * (when the CRL's issuer is in the CA file); cipher list and ciphersuites
 * (every positive element must select at least one cipher); the server
 * certificate chain against CA file/CA path (X509_verify_cert, purpose
 * "ssl_server", intermediates from the certificate file as untrusted chain;
 * skipped when no CA is configured, info->chain_verified says so);
 * revocation of the server chain by the configured CRLs; and finally one
 * in-memory handshake per enabled protocol version with a maximally
 * permissive client, which proves that at least one version can actually be
 * negotiated with this certificate, cipher configuration and OpenSSL's
 * security level (info->usable_tls_versions lists the ones that worked).
 *
 * Paths are used as given: relative paths are relative to the process's
 * working directory (the server's datadir), like the server's own ssl_*.
 *
 * Error conventions (GLib): `GError **error` is last, a function returning
 * NULL/FALSE has set it, a set error is never overwritten.  Messages name
 * the setting and the file ("certificate file '/etc/my/cert.pem': ...") and
 * end with the drained OpenSSL error queue where OpenSSL had something to
 * say.  The OpenSSL error queue of the calling thread is empty on return.
 *
 * Thread safety: every function may run in any thread, concurrently with any
 * other; none keeps state between calls.
 */
#ifndef TLS_POLICY_TLS_CONTEXT_BUILD_H
#define TLS_POLICY_TLS_CONTEXT_BUILD_H

#include <stdint.h>
#include <glib.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include "tls_policy/openssl_autoptr.h"

G_BEGIN_DECLS

/* ------------------------------------------------------------------ */
/* Errors                                                              */

#define TP_TLS_BUILD_ERROR (tlsp_tls_build_error_quark())
GQuark tlsp_tls_build_error_quark(void);

/* X-macro: the enum and the name table cannot drift apart.  The names are
 * stable (they may appear in logs and status variables). */
/* clang-format off */
#define TP_TLS_BUILD_ERROR_LIST(X)                                            \
  X(INTERNAL,            "internal")            /* OpenSSL/allocation failure not caused by the configuration */ \
  X(NO_CERTIFICATE,      "no_certificate")      /* neither cert nor key configured and auto_generate off */ \
  X(FILE_MISSING,        "file_missing")        /* a configured file or directory does not exist */ \
  X(NOT_REGULAR_FILE,    "not_regular_file")    /* a file setting names a directory, FIFO, device... */ \
  X(NOT_DIRECTORY,       "not_directory")       /* capath/crlpath names something that is not a directory */ \
  X(UNREADABLE,          "unreadable")          /* open/read failed (permission or I/O) */ \
  X(EMPTY,               "empty")               /* the file has no content */ \
  X(TOO_LARGE,           "too_large")           /* the file exceeds TP_TLS_FILE_MAX bytes */ \
  X(CERT_PARSE,          "cert_parse")          /* no PEM certificate, truncated or corrupt PEM/DER */ \
  X(KEY_PARSE,           "key_parse")           /* no PEM private key, truncated or corrupt */ \
  X(KEY_NEEDS_PASSPHRASE,"key_needs_passphrase")/* the key is encrypted and no passphrase is configured */ \
  X(KEY_BAD_PASSPHRASE,  "key_bad_passphrase")  /* the key is encrypted and the passphrase does not decrypt it */ \
  X(KEY_MISMATCH,        "key_mismatch")        /* the private key does not belong to the certificate */ \
  X(CERT_NOT_YET_VALID,  "cert_not_yet_valid")  /* server certificate notBefore is in the future */ \
  X(CERT_EXPIRED,        "cert_expired")        /* server certificate notAfter is in the past */ \
  X(CERT_REVOKED,        "cert_revoked")        /* a configured CRL revokes the server certificate or its chain */ \
  X(CHAIN_VERIFY,        "chain_verify")        /* server chain does not verify against CA file/CA path */ \
  X(CA_PARSE,            "ca_parse")            /* CA file holds no certificate or a corrupt PEM block */ \
  X(CRL_PARSE,           "crl_parse")           /* CRL file holds no CRL or a corrupt PEM block */ \
  X(CRL_NOT_YET_VALID,   "crl_not_yet_valid")   /* a CRL's lastUpdate is in the future */ \
  X(CRL_EXPIRED,         "crl_expired")         /* a CRL's nextUpdate is in the past (every client would fail) */ \
  X(CRL_BAD_SIGNATURE,   "crl_bad_signature")   /* a CRL is not signed by the CA of its issuer name */ \
  X(CIPHER,              "cipher")              /* cipher list selects nothing, or an element selects nothing */ \
  X(CIPHERSUITES,        "ciphersuites")        /* a TLS 1.3 ciphersuite name is unknown */ \
  X(TLS_VERSION,         "tls_version")         /* tls_version names an unknown version */ \
  X(NO_USABLE_PROTOCOL,  "no_usable_protocol")  /* no enabled TLS version can complete a handshake */ \
  X(GENERATE,            "generate")            /* generating the self-signed certificate failed */
/* clang-format on */

typedef enum tlsp_tls_build_error_code {
#define TP_TLS_BUILD_ERROR_ENUM(sym, name) TP_TLS_BUILD_ERROR_##sym,
  TP_TLS_BUILD_ERROR_LIST(TP_TLS_BUILD_ERROR_ENUM)
#undef TP_TLS_BUILD_ERROR_ENUM
      TP_TLS_BUILD_ERROR__COUNT
} tlsp_tls_build_error_code;

/* Stable lower-case name of a code ("key_mismatch"); "unknown" if out of
 * range; never NULL. */
const char *tlsp_tls_build_error_name(int code);

/* Largest certificate/key/CA/CRL file accepted, in bytes. */
#define TP_TLS_FILE_MAX (64u * 1024u * 1024u)

/* ------------------------------------------------------------------ */
/* TLS protocol versions (MariaDB's tls_version SET; same bits as the   */
/* server's VIO_TLSv1_x)                                               */

enum {
  TP_TLS_V1_0 = 1u << 0,
  TP_TLS_V1_1 = 1u << 1,
  TP_TLS_V1_2 = 1u << 2,
  TP_TLS_V1_3 = 1u << 3,
  TP_TLS_V_ALL = TP_TLS_V1_0 | TP_TLS_V1_1 | TP_TLS_V1_2 | TP_TLS_V1_3,
};

/*
 * Parse a tls_version value: a comma list of TLSv1.0, TLSv1.1, TLSv1.2,
 * TLSv1.3 (TLSv1 = TLSv1.0), case-insensitive, blanks around elements
 * ignored, duplicates allowed.  NULL or "" gives mask 0 (unset).  Any other
 * element, including an empty one, is TP_TLS_BUILD_ERROR_TLS_VERSION.
 */
gboolean tlsp_tls_version_parse(const char *text, unsigned *mask,
                                GError **error);

/* "TLSv1.2,TLSv1.3"; "" for 0.  Free with g_free. */
char *tlsp_tls_version_to_string(unsigned mask);

/* ------------------------------------------------------------------ */
/* Building                                                            */

/* Configuration of one context.  Borrowed by tlsp_tls_context_build for the
 * duration of the call only; nothing is kept.  Every string may be NULL or
 * "" (= unset). */
typedef struct tlsp_tls_config {
  const char *cert;   /* PEM: server certificate, then its chain (leaf first) */
  const char *key;    /* PEM private key; unset = the cert file (server rule) */
  const char *ca;     /* PEM CA bundle (trusted certificates, may hold CRLs) */
  const char *capath; /* hashed directory of CA certificates (c_rehash) */
  const char
      *crl; /* PEM CRL file (may also hold certificates, as for the server) */
  const char *crlpath; /* hashed directory of CRLs (<hash>.r<n>) */
  const char *cipher;  /* TLS <= 1.2 cipher list (SSL_CTX_set_cipher_list) */
  const char
      *ciphersuites;       /* TLS 1.3 ciphersuites (SSL_CTX_set_ciphersuites) */
  const char *tls_version; /* see tlsp_tls_version_parse */
  const char *passphrase;  /* for an encrypted key; never prompted for */
  gboolean auto_generate;  /* no cert and no key: generate a self-signed one */
  /* No cert, no key and auto_generate off: this certificate and key, held
   * in memory (the serving one that no file holds, e.g. the one MariaDB
   * 11.4+ generates with no ssl_cert); borrowed, both or neither. */
  X509 *mem_cert;
  EVP_PKEY *mem_key;
} tlsp_tls_config;

/* Facts about a built context, for status variables.  Plain data, no
 * pointers: copy it freely. */
typedef struct tlsp_tls_context_info {
  int64_t server_cert_not_before; /* Unix seconds */
  int64_t server_cert_not_after;  /* Unix seconds */
  int64_t ca_not_after;    /* earliest notAfter among CA file certs (0: none) */
  int64_t crl_next_update; /* earliest nextUpdate among CRLs (0: none) */
  char server_cert_sha256[65]; /* SHA-256 of the DER, lower-case hex */
  char server_cert_subject
      [256]; /* RFC 4514 one line, control chars removed, truncated */
  gboolean
      self_signed_generated; /* the certificate was generated (auto_generate) */
  gboolean chain_verified;   /* chain verified against CA file/path; FALSE when
                                      no CA was configured or the cert was generated
                                      or held in memory (mem_cert) */
  unsigned usable_tls_versions; /* TP_TLS_V* that completed the build-time
                                      handshake (tlsp_tls_context_info_from_ctx:
                                      versions enabled by the context options) */
} tlsp_tls_context_info;

/*
 * Build a complete, validated server context from `cfg`.
 *
 * Returns a new SSL_CTX with one reference owned by the caller (free with
 * SSL_CTX_free, or hand it over), and fills *info (if `info` is not NULL).
 * Returns NULL and sets `error` (domain TP_TLS_BUILD_ERROR) on any problem;
 * *info is then zeroed.  Atomic in the sense that matters: it either returns
 * a context that passed every check or nothing; no global state changes.
 */
SSL_CTX *tlsp_tls_context_build(const tlsp_tls_config *cfg,
                                tlsp_tls_context_info *info, GError **error);

/*
 * Generate a self-signed ECDSA P-256 certificate: CN "tls_policy
 * auto-generated <hostname>" (cut to 64 characters), valid for one year from
 * five minutes ago, SAN DNS:localhost and IP:127.0.0.1, basicConstraints
 * CA:FALSE, keyUsage digitalSignature, extendedKeyUsage serverAuth, random
 * 127-bit serial, SHA-256 signature.  On success *key and *cert receive new
 * references owned by the caller; on failure they are left untouched.
 */
gboolean tlsp_tls_generate_self_signed(EVP_PKEY **key, X509 **cert,
                                       GError **error);

/*
 * Fill `info` for a context this code did not necessarily build (e.g. the
 * server's own after FLUSH SSL): the server certificate fields from
 * SSL_CTX_get0_certificate, ca_not_after and crl_next_update from the
 * certificates and CRLs currently held in the context's X509_STORE (this
 * includes any that a hashed-directory lookup has cached), and
 * usable_tls_versions from the context's protocol options (not probed).
 * self_signed_generated and chain_verified are FALSE.
 *
 * The caller must hold a reference on `ctx` (or the lock that keeps it
 * alive) for the duration of the call; the context is not modified.
 * Returns FALSE (TP_TLS_BUILD_ERROR_NO_CERTIFICATE) if the context has no
 * certificate; `info` is then zeroed.
 */
gboolean tlsp_tls_context_info_from_ctx(SSL_CTX *ctx,
                                        tlsp_tls_context_info *info,
                                        GError **error);

/* The server-certificate part of the above, for one certificate:
 * not_before, not_after, sha256 and subject.  Other fields untouched. */
void tlsp_tls_cert_info_fill(X509 *cert, tlsp_tls_context_info *info);

G_END_DECLS

#endif
