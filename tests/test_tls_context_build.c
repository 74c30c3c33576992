/*
 * test_tls_context_build.c — unit tests of tls_context_build.c.
 *
 * Every key, certificate and CRL is generated at test time with the OpenSSL
 * API into one g_dir_make_tmp() directory (removed at the end): two CAs, an
 * intermediate, server and client certificates, expired and not-yet-valid
 * ones, an encrypted key, CRLs (valid, expired, future, badly signed,
 * revoking the server), garbage/truncated/empty files, a directory, a FIFO
 * and a mode-000 file.  Each broken configuration must fail with its own
 * error code and a message naming the file; working ones are proven with a
 * real in-memory handshake over a BIO pair.
 */
#define _POSIX_C_SOURCE 200809L /* mkfifo, open flags */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls_policy/openssl_autoptr.h"
#include "tls_policy/tls_context_build.h"

#define DAY (24L * 3600L)
#define PASSPHRASE "s3cret pass"

static char *tmpdir;
static long next_serial = 1000;

/* ------------------------------------------------------------------ */
/* Generating the material                                             */

static char *tpath(const char *name)
{
  return g_build_filename(tmpdir, name, NULL);
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
  g_assert_nonnull(ext);
  g_assert_cmpint(X509_add_ext(x, ext, -1), ==, 1);
  X509_EXTENSION_free(ext);
}

typedef enum { LEAF_SERVER, LEAF_CLIENT, CERT_CA } cert_kind;

/* A certificate for `key`, signed by issuer/issuer_key (self-signed when
 * issuer is NULL), valid from now+nb_off to now+na_off seconds. */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer,
                       EVP_PKEY *issuer_key, long nb_off, long na_off,
                       cert_kind kind)
{
  X509 *x = X509_new();
  g_assert_nonnull(x);
  g_assert_true(X509_set_version(x, X509_VERSION_3));
  g_assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), next_serial++));
  g_assert_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), nb_off));
  g_assert_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), na_off));
  X509_NAME *name = X509_get_subject_name(x);
  g_assert_true(X509_NAME_add_entry_by_txt(
      name, "O", MBSTRING_UTF8, (const unsigned char *) "tls_policy tests", -1,
      -1, 0));
  g_assert_true(X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_UTF8, (const unsigned char *) cn, -1, -1, 0));
  g_assert_true(
      X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name));
  g_assert_true(X509_set_pubkey(x, key));
  X509 *iss = issuer ? issuer : x;
  switch (kind)
  {
  case CERT_CA:
    add_ext(x, iss, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(x, iss, NID_key_usage, "critical,keyCertSign,cRLSign");
    break;
  case LEAF_SERVER:
    add_ext(x, iss, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(x, iss, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    add_ext(x, iss, NID_ext_key_usage, "serverAuth");
    add_ext(x, iss, NID_subject_alt_name, "DNS:localhost");
    break;
  case LEAF_CLIENT:
    add_ext(x, iss, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(x, iss, NID_key_usage, "critical,digitalSignature");
    add_ext(x, iss, NID_ext_key_usage, "clientAuth");
    break;
  }
  add_ext(x, iss, NID_subject_key_identifier, "hash");
  g_assert_cmpint(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()), >,
                  0);
  return x;
}

/* A CRL in the name of `ca`, signed by `sign_key`, revoking `revoked`
 * (may be NULL). */
static X509_CRL *make_crl(X509 *ca, EVP_PKEY *sign_key, long last_off,
                          long next_off, X509 *revoked)
{
  X509_CRL *crl = X509_CRL_new();
  g_assert_nonnull(crl);
  g_assert_true(X509_CRL_set_version(crl, X509_CRL_VERSION_2));
  g_assert_true(X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)));
  g_autoptr(ASN1_TIME) last = X509_gmtime_adj(NULL, last_off);
  g_autoptr(ASN1_TIME) next = X509_gmtime_adj(NULL, next_off);
  g_assert_true(X509_CRL_set1_lastUpdate(crl, last));
  g_assert_true(X509_CRL_set1_nextUpdate(crl, next));
  if (revoked != NULL)
  {
    X509_REVOKED *r = X509_REVOKED_new();
    g_autoptr(ASN1_TIME) when = X509_gmtime_adj(NULL, -3600);
    g_assert_true(
        X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(revoked)));
    g_assert_true(X509_REVOKED_set_revocationDate(r, when));
    g_assert_true(X509_CRL_add0_revoked(crl, r));
  }
  g_assert_true(X509_CRL_sort(crl));
  g_assert_cmpint(X509_CRL_sign(crl, sign_key, EVP_sha256()), >, 0);
  return crl;
}

static BIO *open_out(const char *name)
{
  g_autofree char *p = tpath(name);
  BIO *b = BIO_new_file(p, "w");
  g_assert_nonnull(b);
  return b;
}

/* Write certificates (NULL-terminated list) as one PEM file. */
static void write_certs(const char *name, ...)
{
  BIO *b = open_out(name);
  va_list ap;
  va_start(ap, name);
  for (X509 *x; (x = va_arg(ap, X509 *)) != NULL;)
    g_assert_true(PEM_write_bio_X509(b, x));
  va_end(ap);
  BIO_free(b);
}

static void write_key(const char *name, EVP_PKEY *key, const char *pass)
{
  BIO *b = open_out(name);
  if (pass != NULL)
    g_assert_true(PEM_write_bio_PrivateKey(b, key, EVP_aes_256_cbc(),
                                           (const unsigned char *) pass,
                                           (int) strlen(pass), NULL, NULL));
  else
    g_assert_true(PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL));
  BIO_free(b);
}

static void write_crl(const char *name, X509_CRL *crl)
{
  BIO *b = open_out(name);
  g_assert_true(PEM_write_bio_X509_CRL(b, crl));
  BIO_free(b);
}

static void write_text(const char *name, const char *text, gssize len)
{
  g_autofree char *p = tpath(name);
  g_autoptr(GError) err = NULL;
  g_assert_true(g_file_set_contents(p, text, len, &err));
}

static char *read_text(const char *name, gsize *len)
{
  g_autofree char *p = tpath(name);
  char *s = NULL;
  g_autoptr(GError) err = NULL;
  g_assert_true(g_file_get_contents(p, &s, len, &err));
  return s;
}

/* dst = concatenation of the given files (NULL-terminated) */
static void concat(const char *dst, ...)
{
  GString *all = g_string_new(NULL);
  va_list ap;
  va_start(ap, dst);
  for (const char *n; (n = va_arg(ap, const char *)) != NULL;)
  {
    gsize len;
    g_autofree char *s = read_text(n, &len);
    g_string_append_len(all, s, (gssize) len);
  }
  va_end(ap);
  write_text(dst, all->str, (gssize) all->len);
  g_string_free(all, TRUE);
}

/* first half of a file */
static void truncate_copy(const char *dst, const char *src)
{
  gsize len;
  g_autofree char *s = read_text(src, &len);
  write_text(dst, s, (gssize) (len / 2));
}

static void make_dir(const char *name)
{
  g_autofree char *p = tpath(name);
  g_assert_cmpint(g_mkdir(p, 0700), ==, 0);
}

static char *hash_name(const X509_NAME *name, const char *suffix)
{
  int ok = 0;
  unsigned long h = X509_NAME_hash_ex(name, NULL, NULL, &ok);
  g_assert_true(ok);
  return g_strdup_printf("%08lx.%s", h, suffix);
}

/* Material kept in memory for the assertions. */
static X509 *ca1, *ca2, *server_cert, *client_cert, *server_rsa_cert;
static EVP_PKEY *ca1_key, *ca2_key, *server_key;
static int64_t ca1_not_after_expected, crl_next_expected;

static void make_fixture(void)
{
  g_autoptr(GError) err = NULL;
  tmpdir = g_dir_make_tmp("tls_context_build-XXXXXX", &err);
  g_assert_no_error(err);

  ca1_key = EVP_EC_gen("P-256");
  ca2_key = EVP_EC_gen("P-256");
  server_key = EVP_EC_gen("P-256");
  g_autoptr(EVP_PKEY) inter_key = EVP_EC_gen("P-256");
  g_autoptr(EVP_PKEY) leaf2_key = EVP_EC_gen("P-256");
  g_autoptr(EVP_PKEY) other_key = EVP_EC_gen("P-256");
  g_autoptr(EVP_PKEY) client_key = EVP_EC_gen("P-256");
  g_autoptr(EVP_PKEY) client2_key = EVP_EC_gen("P-256");
  g_autoptr(EVP_PKEY) rsa_key = EVP_RSA_gen(2048);
  g_assert_true(ca1_key && ca2_key && server_key && inter_key && leaf2_key &&
                other_key && client_key && client2_key && rsa_key);

  ca1 = make_cert("Test CA One", ca1_key, NULL, NULL, -10 * DAY, 3650 * DAY,
                  CERT_CA);
  ca2 = make_cert("Test CA Two", ca2_key, NULL, NULL, -10 * DAY, 3650 * DAY,
                  CERT_CA);
  ca1_not_after_expected = g_get_real_time() / G_USEC_PER_SEC + 3650 * DAY;
  g_autoptr(X509) inter = make_cert("Test Intermediate", inter_key, ca1,
                                    ca1_key, -5 * DAY, 1000 * DAY, CERT_CA);
  server_cert = make_cert("server", server_key, ca1, ca1_key, -DAY, 365 * DAY,
                          LEAF_SERVER);
  server_rsa_cert = make_cert("server-rsa", rsa_key, ca1, ca1_key, -DAY,
                              365 * DAY, LEAF_SERVER);
  g_autoptr(X509) leaf2 = make_cert("server via intermediate", leaf2_key, inter,
                                    inter_key, -DAY, 365 * DAY, LEAF_SERVER);
  g_autoptr(X509) server_ca2 = make_cert("server", server_key, ca2, ca2_key,
                                         -DAY, 365 * DAY, LEAF_SERVER);
  g_autoptr(X509) expired = make_cert("expired", server_key, ca1, ca1_key,
                                      -2 * DAY, -DAY, LEAF_SERVER);
  g_autoptr(X509) future =
      make_cert("future", server_key, ca1, ca1_key, DAY, 2 * DAY, LEAF_SERVER);
  client_cert = make_cert("alice", client_key, ca1, ca1_key, -DAY, 365 * DAY,
                          LEAF_CLIENT);
  g_autoptr(X509) client_ca2 = make_cert("mallory", client2_key, ca2, ca2_key,
                                         -DAY, 365 * DAY, LEAF_CLIENT);
  g_autoptr(X509) client_revoked =
      make_cert("bob", client2_key, ca1, ca1_key, -DAY, 365 * DAY, LEAF_CLIENT);

  write_certs("ca.pem", ca1, NULL);
  write_certs("ca2.pem", ca2, NULL);
  write_certs("server.pem", server_cert, NULL);
  write_key("server.key", server_key, NULL);
  write_certs("server-rsa.pem", server_rsa_cert, NULL);
  write_key("server-rsa.key", rsa_key, NULL);
  write_certs("chain.pem", leaf2, inter, NULL);
  write_certs("leaf-only.pem", leaf2, NULL);
  write_key("chain.key", leaf2_key, NULL);
  write_certs("server-ca2.pem", server_ca2, NULL);
  write_certs("expired.pem", expired, NULL);
  write_certs("future.pem", future, NULL);
  write_key("other.key", other_key, NULL);
  write_key("server-enc.key", server_key, PASSPHRASE);
  concat("combined.pem", "server.pem", "server.key", NULL);
  write_certs("client.pem", client_cert, NULL);
  write_key("client.key", client_key, NULL);
  write_certs("client-ca2.pem", client_ca2, NULL);
  write_key("client2.key", client2_key, NULL);
  write_certs("client-revoked.pem", client_revoked, NULL);

  g_autoptr(X509_CRL) crl =
      make_crl(ca1, ca1_key, -DAY, 7 * DAY, client_revoked);
  crl_next_expected = g_get_real_time() / G_USEC_PER_SEC + 7 * DAY;
  g_autoptr(X509_CRL) crl_expired =
      make_crl(ca1, ca1_key, -2 * DAY, -DAY, NULL);
  g_autoptr(X509_CRL) crl_future = make_crl(ca1, ca1_key, DAY, 7 * DAY, NULL);
  g_autoptr(X509_CRL) crl_badsig = make_crl(ca1, ca2_key, -DAY, 7 * DAY, NULL);
  g_autoptr(X509_CRL) crl_server =
      make_crl(ca1, ca1_key, -DAY, 7 * DAY, server_cert);
  write_crl("crl.pem", crl);
  write_crl("crl-expired.pem", crl_expired);
  write_crl("crl-future.pem", crl_future);
  write_crl("crl-badsig.pem", crl_badsig);
  write_crl("crl-revokes-server.pem", crl_server);

  write_text("garbage.pem", "this is not a PEM file\n\x01\x02\xff", -1);
  truncate_copy("truncated.pem", "server.pem");
  truncate_copy("truncated.key", "server.key");
  truncate_copy("ca-truncated.pem", "ca.pem");
  write_text("empty.pem", "", 0);
  make_dir("adir");
  {
    g_autofree char *fifo = tpath("fifo.pem");
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
  }
  concat("noperm.pem", "server.pem", NULL);
  {
    g_autofree char *p = tpath("noperm.pem");
    g_assert_cmpint(g_chmod(p, 0), ==, 0);
  }

  /* hashed directories, as c_rehash makes them */
  make_dir("capath");
  make_dir("crlpath");
  make_dir("crlpath-expired");
  make_dir("crlpath-garbage");
  g_autofree char *ca_hash = hash_name(X509_get_subject_name(ca1), "0");
  g_autofree char *crl_hash = hash_name(X509_CRL_get_issuer(crl), "r0");
  g_autofree char *n1 = g_build_filename("capath", ca_hash, NULL);
  g_autofree char *n2 = g_build_filename("crlpath", crl_hash, NULL);
  g_autofree char *n3 = g_build_filename("crlpath-expired", crl_hash, NULL);
  g_autofree char *n4 = g_build_filename("crlpath-garbage", crl_hash, NULL);
  concat(n1, "ca.pem", NULL);
  concat(n2, "crl.pem", NULL);
  concat(n3, "crl-expired.pem", NULL);
  concat(n4, "garbage.pem", NULL);
}

static void remove_tree(const char *path)
{
  GDir *d = g_dir_open(path, 0, NULL);
  if (d != NULL)
  {
    const char *n;
    while ((n = g_dir_read_name(d)) != NULL)
    {
      g_autofree char *child = g_build_filename(path, n, NULL);
      remove_tree(child);
    }
    g_dir_close(d);
    g_rmdir(path);
  }
  else
  {
    g_chmod(path, 0600);
    g_unlink(path);
  }
}

static void free_fixture(void)
{
  remove_tree(tmpdir);
  g_free(tmpdir);
  X509_free(ca1);
  X509_free(ca2);
  X509_free(server_cert);
  X509_free(client_cert);
  X509_free(server_rsa_cert);
  EVP_PKEY_free(ca1_key);
  EVP_PKEY_free(ca2_key);
  EVP_PKEY_free(server_key);
}

/* ------------------------------------------------------------------ */
/* Configurations by file name                                         */

/* File settings are names inside tmpdir; the rest is taken literally. */
typedef struct cfg_names {
  const char *cert, *key, *ca, *capath, *crl, *crlpath;
  const char *cipher, *ciphersuites, *tls_version, *passphrase;
  gboolean auto_generate;
} cfg_names;

typedef struct cfg_holder {
  tlsp_tls_config cfg;
  char *paths[6];
} cfg_holder;

static const char *hold(cfg_holder *h, int i, const char *name)
{
  if (name == NULL)
    return NULL;
  h->paths[i] = tpath(name);
  return h->paths[i];
}

static void holder_init(cfg_holder *h, const cfg_names *n)
{
  memset(h, 0, sizeof *h);
  h->cfg.cert = hold(h, 0, n->cert);
  h->cfg.key = hold(h, 1, n->key);
  h->cfg.ca = hold(h, 2, n->ca);
  h->cfg.capath = hold(h, 3, n->capath);
  h->cfg.crl = hold(h, 4, n->crl);
  h->cfg.crlpath = hold(h, 5, n->crlpath);
  h->cfg.cipher = n->cipher;
  h->cfg.ciphersuites = n->ciphersuites;
  h->cfg.tls_version = n->tls_version;
  h->cfg.passphrase = n->passphrase;
  h->cfg.auto_generate = n->auto_generate;
}

static void holder_clear(cfg_holder *h)
{
  for (int i = 0; i < 6; i++)
    g_free(h->paths[i]);
}

static SSL_CTX *build_named(const cfg_names *n, tlsp_tls_context_info *info,
                            GError **error)
{
  cfg_holder h;
  holder_init(&h, n);
  SSL_CTX *ctx = tlsp_tls_context_build(&h.cfg, info, error);
  holder_clear(&h);
  return ctx;
}

static SSL_CTX *build_ok(const cfg_names *n, tlsp_tls_context_info *info)
{
  g_autoptr(GError) err = NULL;
  SSL_CTX *ctx = build_named(n, info, &err);
  g_assert_no_error(err);
  g_assert_nonnull(ctx);
  g_assert_cmpuint(ERR_peek_error(), ==, 0);
  return ctx;
}

/* ------------------------------------------------------------------ */
/* Broken configurations                                               */

typedef struct broken_case {
  const char *test; /* test path suffix */
  cfg_names cfg;
  int code; /* expected TP_TLS_BUILD_ERROR_* */
  const char *
      in_msg; /* file name (inside tmpdir) or literal text the message must contain */
  gboolean in_msg_is_file;
} broken_case;

#define SRV .cert = "server.pem", .key = "server.key"

static const broken_case broken_cases[] = {
    {"cert/missing",
     {.cert = "nosuch.pem", .key = "server.key"},
     TP_TLS_BUILD_ERROR_FILE_MISSING,
     "nosuch.pem",
     TRUE},
    {"cert/directory",
     {.cert = "adir", .key = "server.key"},
     TP_TLS_BUILD_ERROR_NOT_REGULAR_FILE,
     "adir",
     TRUE},
    {"cert/fifo",
     {.cert = "fifo.pem", .key = "server.key"},
     TP_TLS_BUILD_ERROR_NOT_REGULAR_FILE,
     "fifo.pem",
     TRUE},
    {"cert/unreadable",
     {.cert = "noperm.pem", .key = "server.key"},
     TP_TLS_BUILD_ERROR_UNREADABLE,
     "noperm.pem",
     TRUE},
    {"cert/empty",
     {.cert = "empty.pem", .key = "server.key"},
     TP_TLS_BUILD_ERROR_EMPTY,
     "empty.pem",
     TRUE},
    {"cert/garbage",
     {.cert = "garbage.pem", .key = "server.key"},
     TP_TLS_BUILD_ERROR_CERT_PARSE,
     "garbage.pem",
     TRUE},
    {"cert/truncated",
     {.cert = "truncated.pem", .key = "server.key"},
     TP_TLS_BUILD_ERROR_CERT_PARSE,
     "truncated.pem",
     TRUE},
    {"cert/key-file-only-holds-key",
     {.key = "server.key"},
     TP_TLS_BUILD_ERROR_CERT_PARSE,
     "server.key",
     TRUE},
    {"cert/expired",
     {.cert = "expired.pem", .key = "server.key"},
     TP_TLS_BUILD_ERROR_CERT_EXPIRED,
     "expired.pem",
     TRUE},
    {"cert/not-yet-valid",
     {.cert = "future.pem", .key = "server.key"},
     TP_TLS_BUILD_ERROR_CERT_NOT_YET_VALID,
     "future.pem",
     TRUE},
    {"cert/none",
     {.cert = NULL},
     TP_TLS_BUILD_ERROR_NO_CERTIFICATE,
     "no certificate configured",
     FALSE},
    {"key/missing",
     {.cert = "server.pem", .key = "nosuch.key"},
     TP_TLS_BUILD_ERROR_FILE_MISSING,
     "nosuch.key",
     TRUE},
    {"key/directory",
     {.cert = "server.pem", .key = "adir"},
     TP_TLS_BUILD_ERROR_NOT_REGULAR_FILE,
     "adir",
     TRUE},
    {"key/empty",
     {.cert = "server.pem", .key = "empty.pem"},
     TP_TLS_BUILD_ERROR_EMPTY,
     "empty.pem",
     TRUE},
    {"key/garbage",
     {.cert = "server.pem", .key = "garbage.pem"},
     TP_TLS_BUILD_ERROR_KEY_PARSE,
     "garbage.pem",
     TRUE},
    {"key/truncated",
     {.cert = "server.pem", .key = "truncated.key"},
     TP_TLS_BUILD_ERROR_KEY_PARSE,
     "truncated.key",
     TRUE},
    {"key/cert-file-without-key",
     {.cert = "server.pem"},
     TP_TLS_BUILD_ERROR_KEY_PARSE,
     "server.pem",
     TRUE},
    {"key/mismatch",
     {.cert = "server.pem", .key = "other.key"},
     TP_TLS_BUILD_ERROR_KEY_MISMATCH,
     "other.key",
     TRUE},
    {"key/encrypted-no-passphrase",
     {.cert = "server.pem", .key = "server-enc.key"},
     TP_TLS_BUILD_ERROR_KEY_NEEDS_PASSPHRASE,
     "server-enc.key",
     TRUE},
    {"key/encrypted-wrong-passphrase",
     {.cert = "server.pem", .key = "server-enc.key", .passphrase = "wrong"},
     TP_TLS_BUILD_ERROR_KEY_BAD_PASSPHRASE,
     "server-enc.key",
     TRUE},
    {"chain/other-ca",
     {.cert = "server-ca2.pem", .key = "server.key", .ca = "ca.pem"},
     TP_TLS_BUILD_ERROR_CHAIN_VERIFY,
     "server-ca2.pem",
     TRUE},
    {"chain/missing-intermediate",
     {.cert = "leaf-only.pem", .key = "chain.key", .ca = "ca.pem"},
     TP_TLS_BUILD_ERROR_CHAIN_VERIFY,
     "leaf-only.pem",
     TRUE},
    {"chain/other-capath",
     {.cert = "server-ca2.pem", .key = "server.key", .capath = "capath"},
     TP_TLS_BUILD_ERROR_CHAIN_VERIFY,
     "capath",
     TRUE},
    {"ca/missing",
     {SRV, .ca = "nosuch-ca.pem"},
     TP_TLS_BUILD_ERROR_FILE_MISSING,
     "nosuch-ca.pem",
     TRUE},
    {"ca/garbage",
     {SRV, .ca = "garbage.pem"},
     TP_TLS_BUILD_ERROR_CA_PARSE,
     "garbage.pem",
     TRUE},
    {"ca/truncated",
     {SRV, .ca = "ca-truncated.pem"},
     TP_TLS_BUILD_ERROR_CA_PARSE,
     "ca-truncated.pem",
     TRUE},
    {"ca/only-a-crl",
     {SRV, .ca = "crl.pem"},
     TP_TLS_BUILD_ERROR_CA_PARSE,
     "crl.pem",
     TRUE},
    {"ca/directory",
     {SRV, .ca = "capath"},
     TP_TLS_BUILD_ERROR_NOT_REGULAR_FILE,
     "capath",
     TRUE},
    {"capath/not-a-directory",
     {SRV, .capath = "ca.pem"},
     TP_TLS_BUILD_ERROR_NOT_DIRECTORY,
     "ca.pem",
     TRUE},
    {"capath/missing",
     {SRV, .capath = "nosuch-dir"},
     TP_TLS_BUILD_ERROR_FILE_MISSING,
     "nosuch-dir",
     TRUE},
    {"crl/garbage",
     {SRV, .ca = "ca.pem", .crl = "garbage.pem"},
     TP_TLS_BUILD_ERROR_CRL_PARSE,
     "garbage.pem",
     TRUE},
    {"crl/only-certificates",
     {SRV, .ca = "ca.pem", .crl = "ca.pem"},
     TP_TLS_BUILD_ERROR_CRL_PARSE,
     "ca.pem",
     TRUE},
    {"crl/missing",
     {SRV, .ca = "ca.pem", .crl = "nosuch-crl.pem"},
     TP_TLS_BUILD_ERROR_FILE_MISSING,
     "nosuch-crl.pem",
     TRUE},
    {"crl/expired",
     {SRV, .ca = "ca.pem", .crl = "crl-expired.pem"},
     TP_TLS_BUILD_ERROR_CRL_EXPIRED,
     "crl-expired.pem",
     TRUE},
    {"crl/not-yet-valid",
     {SRV, .ca = "ca.pem", .crl = "crl-future.pem"},
     TP_TLS_BUILD_ERROR_CRL_NOT_YET_VALID,
     "crl-future.pem",
     TRUE},
    {"crl/bad-signature",
     {SRV, .ca = "ca.pem", .crl = "crl-badsig.pem"},
     TP_TLS_BUILD_ERROR_CRL_BAD_SIGNATURE,
     "crl-badsig.pem",
     TRUE},
    {"crl/revokes-server",
     {SRV, .ca = "ca.pem", .crl = "crl-revokes-server.pem"},
     TP_TLS_BUILD_ERROR_CERT_REVOKED,
     "server.pem",
     TRUE},
    {"crl/revokes-server-no-ca",
     {SRV, .crl = "crl-revokes-server.pem"},
     TP_TLS_BUILD_ERROR_CERT_REVOKED,
     "crl-revokes-server.pem",
     TRUE},
    {"crlpath/expired",
     {SRV, .ca = "ca.pem", .crlpath = "crlpath-expired"},
     TP_TLS_BUILD_ERROR_CRL_EXPIRED,
     "crlpath-expired",
     TRUE},
    {"crlpath/garbage",
     {SRV, .ca = "ca.pem", .crlpath = "crlpath-garbage"},
     TP_TLS_BUILD_ERROR_CRL_PARSE,
     "crlpath-garbage",
     TRUE},
    {"crlpath/not-a-directory",
     {SRV, .ca = "ca.pem", .crlpath = "crl.pem"},
     TP_TLS_BUILD_ERROR_NOT_DIRECTORY,
     "crl.pem",
     TRUE},
    {"cipher/unknown",
     {SRV, .cipher = "NO-SUCH-CIPHER"},
     TP_TLS_BUILD_ERROR_CIPHER,
     "NO-SUCH-CIPHER",
     FALSE},
    {"cipher/one-unknown-element",
     {SRV, .cipher = "ECDHE-ECDSA-AES128-GCM-SHA256:TYPO-CIPHER"},
     TP_TLS_BUILD_ERROR_CIPHER,
     "TYPO-CIPHER",
     FALSE},
    {"ciphersuites/unknown",
     {SRV, .ciphersuites = "TLS_AES_128_GCM_SHA256:TLS_FAKE_SUITE"},
     TP_TLS_BUILD_ERROR_CIPHERSUITES,
     "TLS_FAKE_SUITE",
     FALSE},
    {"tls_version/unknown",
     {SRV, .tls_version = "TLSv1.2,TLSv1.4"},
     TP_TLS_BUILD_ERROR_TLS_VERSION,
     "TLSv1.4",
     FALSE},
    {"tls_version/empty-element",
     {SRV, .tls_version = "TLSv1.2,,"},
     TP_TLS_BUILD_ERROR_TLS_VERSION,
     "TLSv1.2,,",
     FALSE},
    /* an ECDSA certificate with only RSA-authenticated TLS 1.2 ciphers */
    {"tls_version/none-usable",
     {SRV, .tls_version = "TLSv1.2", .cipher = "ECDHE-RSA-AES128-GCM-SHA256"},
     TP_TLS_BUILD_ERROR_NO_USABLE_PROTOCOL,
     "server.pem",
     TRUE},
};

static void test_broken(gconstpointer data)
{
  const broken_case *c = data;

  if (c->code == TP_TLS_BUILD_ERROR_UNREADABLE)
  {
    g_autofree char *p = tpath(c->cfg.cert);
    int fd = open(p, O_RDONLY);
    if (fd >= 0)
    {
      close(fd);
      g_test_skip(
          "a mode-000 file is still readable here (running as root or with "
          "CAP_DAC_OVERRIDE), so 'unreadable' cannot be provoked");
      return;
    }
  }

  g_autoptr(GError) err = NULL;
  tlsp_tls_context_info info;
  memset(&info, 0xa5, sizeof info);
  SSL_CTX *ctx = build_named(&c->cfg, &info, &err);
  if (ctx != NULL)
    SSL_CTX_free(ctx);
  g_assert_null(ctx);
  g_assert_nonnull(err);
  g_test_message("%s: %s (%s)", c->test, err->message,
                 tlsp_tls_build_error_name(err->code));
  g_assert_error(err, TP_TLS_BUILD_ERROR, c->code);
  g_autofree char *want =
      c->in_msg_is_file ? tpath(c->in_msg) : g_strdup(c->in_msg);
  if (strstr(err->message, want) == NULL)
    g_error("message '%s' does not contain '%s'", err->message, want);
  /* no stale OpenSSL errors left behind, info zeroed */
  g_assert_cmpuint(ERR_peek_error(), ==, 0);
  g_assert_cmpint(info.server_cert_not_after, ==, 0);
  g_assert_cmpstr(info.server_cert_sha256, ==, "");
}

/* ------------------------------------------------------------------ */
/* Handshakes                                                          */

static SSL_CTX *client_ctx(const char *ca, const char *cert, const char *key)
{
  SSL_CTX *c = SSL_CTX_new(TLS_client_method());
  g_assert_nonnull(c);
  if (ca != NULL)
  {
    g_autofree char *p = tpath(ca);
    g_assert_cmpint(SSL_CTX_load_verify_locations(c, p, NULL), ==, 1);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
  }
  if (cert != NULL)
  {
    g_autofree char *pc = tpath(cert);
    g_autofree char *pk = tpath(key);
    g_assert_cmpint(SSL_CTX_use_certificate_chain_file(c, pc), ==, 1);
    g_assert_cmpint(SSL_CTX_use_PrivateKey_file(c, pk, SSL_FILETYPE_PEM), ==,
                    1);
  }
  return c;
}

typedef struct hs_result {
  gboolean ok;
  SSL *server; /* owned */
  SSL *client; /* owned */
} hs_result;

static void hs_result_clear(hs_result *r)
{
  SSL_free(r->server);
  SSL_free(r->client);
  memset(r, 0, sizeof *r);
}

/* A real handshake over a BIO pair; both ends must finish. */
static hs_result handshake(SSL_CTX *server_ctx, SSL_CTX *cctx)
{
  hs_result r = {FALSE, SSL_new(server_ctx), SSL_new(cctx)};
  BIO *bs = NULL, *bc = NULL;
  g_assert_true(r.server && r.client);
  g_assert_true(BIO_new_bio_pair(&bs, 0, &bc, 0));
  SSL_set_bio(r.server, bs, bs);
  SSL_set_bio(r.client, bc, bc);
  SSL_set_accept_state(r.server);
  SSL_set_connect_state(r.client);
  gboolean cdone = FALSE, sdone = FALSE;
  for (int i = 0; i < 32 && !(cdone && sdone); i++)
  {
    if (!cdone)
    {
      int rc = SSL_do_handshake(r.client);
      int e = SSL_get_error(r.client, rc);
      if (rc == 1)
        cdone = TRUE;
      else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        break;
    }
    if (!sdone)
    {
      int rc = SSL_do_handshake(r.server);
      int e = SSL_get_error(r.server, rc);
      if (rc == 1)
        sdone = TRUE;
      else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        break;
    }
  }
  r.ok = cdone && sdone;
  if (!r.ok)
  {
    char buf[256];
    unsigned long e;
    while ((e = ERR_get_error()) != 0)
    {
      ERR_error_string_n(e, buf, sizeof buf);
      g_test_message("handshake failed: %s", buf);
    }
  }
  ERR_clear_error();
  return r;
}

static void test_ok_basic(void)
{
  tlsp_tls_context_info info;
  cfg_names n = {SRV, .ca = "ca.pem", .crl = "crl.pem"};
  g_autoptr(SSL_CTX) ctx = build_ok(&n, &info);
  int64_t now = g_get_real_time() / G_USEC_PER_SEC;

  /* info */
  unsigned char md[32];
  unsigned mdlen = 0;
  g_assert_true(X509_digest(server_cert, EVP_sha256(), md, &mdlen));
  GString *hex = g_string_new(NULL);
  for (unsigned i = 0; i < mdlen; i++)
    g_string_append_printf(hex, "%02x", md[i]);
  g_assert_cmpstr(info.server_cert_sha256, ==, hex->str);
  g_string_free(hex, TRUE);
  g_assert_cmpstr(info.server_cert_subject, ==, "CN=server,O=tls_policy tests");
  g_assert_cmpint(llabs(info.server_cert_not_before - (now - DAY)), <=, 60);
  g_assert_cmpint(llabs(info.server_cert_not_after - (now + 365 * DAY)), <=,
                  60);
  g_assert_cmpint(llabs(info.ca_not_after - ca1_not_after_expected), <=, 60);
  g_assert_cmpint(llabs(info.crl_next_update - crl_next_expected), <=, 60);
  g_assert_false(info.self_signed_generated);
  g_assert_true(info.chain_verified);
  g_assert_true(info.usable_tls_versions & TP_TLS_V1_2);
  g_assert_true(info.usable_tls_versions & TP_TLS_V1_3);

  /* what new_VioSSLAcceptorFd sets */
  g_assert_cmpint(SSL_CTX_get_verify_mode(ctx), ==,
                  SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE);
  g_assert_null(SSL_CTX_get_verify_callback(ctx));
  g_assert_cmpint(SSL_CTX_sess_get_cache_size(ctx), ==, 128);
  g_assert_true(SSL_CTX_get_options(ctx) & SSL_OP_NO_SSLv3);
  g_assert_cmpint(SSL_CTX_sess_number(ctx), ==,
                  0); /* the build probes left nothing */
  /* CRL flags live on the store, as X509_STORE_set_flags put them there */
  X509_VERIFY_PARAM *vp = X509_STORE_get0_param(SSL_CTX_get_cert_store(ctx));
  g_assert_true(X509_VERIFY_PARAM_get_flags(vp) & X509_V_FLAG_CRL_CHECK);
  g_assert_true(X509_VERIFY_PARAM_get_flags(vp) & X509_V_FLAG_CRL_CHECK_ALL);

  /* the same facts for a context we did not build */
  tlsp_tls_context_info other;
  g_autoptr(GError) err = NULL;
  g_assert_true(tlsp_tls_context_info_from_ctx(ctx, &other, &err));
  g_assert_no_error(err);
  g_assert_cmpstr(other.server_cert_sha256, ==, info.server_cert_sha256);
  g_assert_cmpstr(other.server_cert_subject, ==, info.server_cert_subject);
  g_assert_cmpint(other.server_cert_not_after, ==, info.server_cert_not_after);
  g_assert_cmpint(other.server_cert_not_before, ==,
                  info.server_cert_not_before);
  g_assert_cmpint(other.ca_not_after, ==, info.ca_not_after);
  g_assert_cmpint(other.crl_next_update, ==, info.crl_next_update);
  g_assert_cmpuint(other.usable_tls_versions, ==, TP_TLS_V_ALL);
}

static void test_ok_variants(void)
{
  static const struct {
    const char *what;
    cfg_names n;
    gboolean chain_verified;
  } ok[] = {
      {"intermediate in cert file",
       {.cert = "chain.pem", .key = "chain.key", .ca = "ca.pem"},
       TRUE},
      {"capath", {SRV, .capath = "capath"}, TRUE},
      {"capath + crlpath",
       {SRV, .capath = "capath", .crlpath = "crlpath"},
       TRUE},
      {"no CA", {SRV}, FALSE},
      {"encrypted key",
       {.cert = "server.pem",
        .key = "server-enc.key",
        .passphrase = PASSPHRASE,
        .ca = "ca.pem"},
       TRUE},
      {"passphrase, plain key", {SRV, .passphrase = "unused"}, FALSE},
      {"cert+key in one file, key unset", {.cert = "combined.pem"}, FALSE},
      {"cert+key in one file, cert unset", {.key = "combined.pem"}, FALSE},
      {"cipher and suites",
       {SRV, .cipher = "ECDHE-ECDSA-AES128-GCM-SHA256:!aNULL:!RC4",
        .ciphersuites = "TLS_AES_256_GCM_SHA384"},
       FALSE},
      {"tls_version lower case, blanks, alias",
       {SRV, .tls_version = " tlsv1 , TLSv1.2,TLSV1.3 "},
       FALSE},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(ok); i++)
  {
    tlsp_tls_context_info info;
    g_test_message("variant: %s", ok[i].what);
    g_autoptr(SSL_CTX) ctx = build_ok(&ok[i].n, &info);
    g_assert_nonnull(ctx);
    g_assert_cmpint(info.chain_verified, ==, ok[i].chain_verified);
    g_assert_cmpuint(strlen(info.server_cert_sha256), ==, 64);
  }

  /* empty strings are "unset" */
  g_autofree char *cert = tpath("server.pem");
  g_autofree char *key = tpath("server.key");
  tlsp_tls_config cfg = {.cert = cert,
                         .key = key,
                         .ca = "",
                         .capath = "",
                         .crl = "",
                         .crlpath = "",
                         .cipher = "",
                         .ciphersuites = "",
                         .tls_version = "",
                         .passphrase = ""};
  g_autoptr(GError) err = NULL;
  g_autoptr(SSL_CTX) ctx = tlsp_tls_context_build(&cfg, NULL, &err);
  g_assert_no_error(err);
  g_assert_nonnull(ctx);
}

static void test_crlpath_info(void)
{
  tlsp_tls_context_info info;
  cfg_names n = {SRV, .ca = "ca.pem", .crlpath = "crlpath"};
  g_autoptr(SSL_CTX) ctx = build_ok(&n, &info);
  g_assert_cmpint(llabs(info.crl_next_update - crl_next_expected), <=, 60);

  /* the lazily loaded CRL is enforced: a revoked client is refused */
  g_autoptr(SSL_CTX) revoked =
      client_ctx("ca.pem", "client-revoked.pem", "client2.key");
  hs_result r = handshake(ctx, revoked);
  g_assert_false(r.ok);
  hs_result_clear(&r);
}

static void test_auto_generate(void)
{
  tlsp_tls_context_info info;
  cfg_names n = {.auto_generate = TRUE, .ca = "ca.pem"};
  g_autoptr(SSL_CTX) ctx = build_ok(&n, &info);
  int64_t now = g_get_real_time() / G_USEC_PER_SEC;
  g_assert_true(info.self_signed_generated);
  g_assert_false(info.chain_verified);
  g_assert_true(g_str_has_prefix(info.server_cert_subject,
                                 "CN=tls_policy auto-generated "));
  g_assert_cmpint(llabs(info.server_cert_not_after -
                        info.server_cert_not_before - 365 * DAY),
                  <=, 2);
  g_assert_cmpint(info.server_cert_not_before, <=, now);

  /* a client that trusts the generated certificate itself can connect */
  X509 *gen = SSL_CTX_get0_certificate(ctx);
  g_assert_nonnull(gen);
  g_autoptr(SSL_CTX) c = client_ctx(NULL, NULL, NULL);
  g_assert_true(X509_STORE_add_cert(SSL_CTX_get_cert_store(c), gen));
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
  hs_result r = handshake(ctx, c);
  g_assert_true(r.ok);
  g_assert_cmpint(SSL_get_verify_result(r.client), ==, X509_V_OK);
  hs_result_clear(&r);
}

static void test_generate(void)
{
  g_autoptr(EVP_PKEY) key = NULL;
  g_autoptr(X509) cert = NULL;
  g_autoptr(GError) err = NULL;
  g_assert_true(tlsp_tls_generate_self_signed(&key, &cert, &err));
  g_assert_no_error(err);
  g_assert_true(EVP_PKEY_is_a(key, "EC"));
  char group[32] = "";
  size_t glen = 0;
  g_assert_true(EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
                                               group, sizeof group, &glen));
  g_assert_cmpstr(group, ==, "prime256v1");
  g_assert_cmpint(X509_verify(cert, key), ==, 1);
  g_assert_cmpint(X509_check_private_key(cert, key), ==, 1);
  g_assert_cmpint(X509_check_host(cert, "localhost", 0, 0, NULL), ==, 1);
  g_assert_cmpint(X509_check_ip_asc(cert, "127.0.0.1", 0), ==, 1);
  g_assert_cmpint(X509_check_purpose(cert, X509_PURPOSE_SSL_SERVER, 0), ==, 1);
  char cn[128] = "";
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn,
                            sizeof cn);
  g_assert_true(g_str_has_prefix(cn, "tls_policy auto-generated "));
  g_assert_cmpuint(g_utf8_strlen(cn, -1), <=, 64);
  ERR_clear_error();
}

static void test_handshake_client_certs(void)
{
  tlsp_tls_context_info info;
  cfg_names n = {SRV, .ca = "ca.pem", .crl = "crl.pem"};
  g_autoptr(SSL_CTX) ctx = build_ok(&n, &info);

  /* no client certificate: accepted, verify result OK, no peer cert */
  {
    g_autoptr(SSL_CTX) c = client_ctx("ca.pem", NULL, NULL);
    hs_result r = handshake(ctx, c);
    g_assert_true(r.ok);
    g_assert_cmpint(SSL_get_verify_result(r.client), ==, X509_V_OK);
    g_assert_null(SSL_get0_peer_certificate(r.server));
    g_assert_cmpint(SSL_get_verify_result(r.server), ==, X509_V_OK);
    hs_result_clear(&r);
  }
  /* a trusted client certificate */
  {
    g_autoptr(SSL_CTX) c = client_ctx("ca.pem", "client.pem", "client.key");
    hs_result r = handshake(ctx, c);
    g_assert_true(r.ok);
    X509 *peer = SSL_get0_peer_certificate(r.server);
    g_assert_nonnull(peer);
    g_assert_cmpint(X509_cmp(peer, client_cert), ==, 0);
    g_assert_cmpint(SSL_get_verify_result(r.server), ==, X509_V_OK);
    hs_result_clear(&r);
  }
  /* an untrusted client certificate fails the handshake (as for the server) */
  {
    g_autoptr(SSL_CTX) c =
        client_ctx("ca.pem", "client-ca2.pem", "client2.key");
    hs_result r = handshake(ctx, c);
    g_assert_false(r.ok);
    hs_result_clear(&r);
  }
  /* a revoked client certificate fails it too (CRL loaded and checked) */
  {
    g_autoptr(SSL_CTX) c =
        client_ctx("ca.pem", "client-revoked.pem", "client2.key");
    hs_result r = handshake(ctx, c);
    g_assert_false(r.ok);
    hs_result_clear(&r);
  }
  /* the server chain is sent: a client trusting only the root verifies it */
  {
    cfg_names cn = {.cert = "chain.pem", .key = "chain.key", .ca = "ca.pem"};
    g_autoptr(SSL_CTX) chain_ctx = build_ok(&cn, NULL);
    g_autoptr(SSL_CTX) c = client_ctx("ca.pem", NULL, NULL);
    hs_result r = handshake(chain_ctx, c);
    g_assert_true(r.ok);
    g_assert_cmpint(SSL_get_verify_result(r.client), ==, X509_V_OK);
    hs_result_clear(&r);
  }
}

static void test_handshake_versions(void)
{
  static const struct {
    const char *tls_version;
    int client_min, client_max;
    gboolean ok;
    int negotiated;
    unsigned usable;
  } cases[] = {
      {"TLSv1.2", 0, 0, TRUE, TLS1_2_VERSION, TP_TLS_V1_2},
      {"TLSv1.3", 0, 0, TRUE, TLS1_3_VERSION, TP_TLS_V1_3},
      {"TLSv1.2,TLSv1.3", 0, 0, TRUE, TLS1_3_VERSION,
       TP_TLS_V1_2 | TP_TLS_V1_3},
      {"TLSv1.2,TLSv1.3", 0, TLS1_2_VERSION, TRUE, TLS1_2_VERSION,
       TP_TLS_V1_2 | TP_TLS_V1_3},
      {"TLSv1.2", TLS1_3_VERSION, 0, FALSE, 0, TP_TLS_V1_2},
      {"TLSv1.3", 0, TLS1_2_VERSION, FALSE, 0, TP_TLS_V1_3},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
  {
    tlsp_tls_context_info info;
    cfg_names n = {SRV, .ca = "ca.pem", .tls_version = cases[i].tls_version};
    g_autoptr(SSL_CTX) ctx = build_ok(&n, &info);
    g_assert_cmpuint(info.usable_tls_versions, ==, cases[i].usable);
    g_autoptr(SSL_CTX) c = client_ctx("ca.pem", "client.pem", "client.key");
    if (cases[i].client_min)
      SSL_CTX_set_min_proto_version(c, cases[i].client_min);
    if (cases[i].client_max)
      SSL_CTX_set_max_proto_version(c, cases[i].client_max);
    hs_result r = handshake(ctx, c);
    g_test_message("tls_version %s, client %x..%x: %s", cases[i].tls_version,
                   cases[i].client_min, cases[i].client_max,
                   r.ok ? "ok" : "refused");
    g_assert_cmpint(r.ok, ==, cases[i].ok);
    if (r.ok)
    {
      g_assert_cmpint(SSL_version(r.server), ==, cases[i].negotiated);
      g_assert_nonnull(SSL_get0_peer_certificate(r.server));
    }
    hs_result_clear(&r);
  }
}

/* OpenSSL 3 refuses TLS 1.0 at security level 1 and above (SHA-1/MD5
 * signatures): tls_version=TLSv1.0 alone leaves nothing usable, unless the
 * cipher list lowers the level, as a server admin could. */
static void test_tls10_security_level(void)
{
  g_autoptr(SSL_CTX) probe = SSL_CTX_new(TLS_server_method());
  g_assert_nonnull(probe);
  if (SSL_CTX_get_security_level(probe) < 1)
  {
    g_test_skip(
        "OpenSSL's default security level is 0 in this environment, so TLSv1.0 "
        "stays usable and cannot provoke no_usable_protocol");
    return;
  }
  cfg_names bad = {SRV, .tls_version = "TLSv1.0"};
  g_autoptr(GError) err = NULL;
  SSL_CTX *ctx = build_named(&bad, NULL, &err);
  g_assert_null(ctx);
  g_assert_error(err, TP_TLS_BUILD_ERROR,
                 TP_TLS_BUILD_ERROR_NO_USABLE_PROTOCOL);
  g_test_message("%s", err->message);
  g_assert_cmpuint(ERR_peek_error(), ==, 0);

  tlsp_tls_context_info info;
  cfg_names ok = {SRV, .tls_version = "TLSv1.0",
                  .cipher = "DEFAULT:@SECLEVEL=0"};
  g_autoptr(SSL_CTX) good = build_ok(&ok, &info);
  g_assert_cmpuint(info.usable_tls_versions, ==, TP_TLS_V1_0);
  g_autoptr(SSL_CTX) c = client_ctx("ca.pem", NULL, NULL);
  g_assert_true(SSL_CTX_set_cipher_list(c, "DEFAULT:@SECLEVEL=0"));
  g_assert_true(SSL_CTX_set_min_proto_version(c, TLS1_VERSION));
  hs_result r = handshake(good, c);
  g_assert_true(r.ok);
  g_assert_cmpint(SSL_version(r.server), ==, TLS1_VERSION);
  hs_result_clear(&r);
}

/* With SSL_VERIFY_PEER, OpenSSL refuses to resume a session unless a
 * session id context is set: resumption working proves it is. */
static void test_session_resumption(void)
{
  cfg_names n = {SRV, .ca = "ca.pem", .tls_version = "TLSv1.2"};
  g_autoptr(SSL_CTX) ctx = build_ok(&n, NULL);
  g_autoptr(SSL_CTX) c = client_ctx("ca.pem", "client.pem", "client.key");
  hs_result r1 = handshake(ctx, c);
  g_assert_true(r1.ok);
  SSL_SESSION *sess = SSL_get1_session(r1.client);
  g_assert_nonnull(sess);
  /* a connection freed without a shutdown marks its session not resumable */
  SSL_set_shutdown(r1.client, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  SSL_set_shutdown(r1.server, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  hs_result_clear(&r1);

  hs_result r2 = {FALSE, SSL_new(ctx), SSL_new(c)};
  BIO *bs = NULL, *bc = NULL;
  g_assert_true(BIO_new_bio_pair(&bs, 0, &bc, 0));
  SSL_set_bio(r2.server, bs, bs);
  SSL_set_bio(r2.client, bc, bc);
  g_assert_true(SSL_set_session(r2.client, sess));
  SSL_SESSION_free(sess);
  SSL_set_accept_state(r2.server);
  SSL_set_connect_state(r2.client);
  int cdone = 0, sdone = 0;
  for (int i = 0; i < 32 && !(cdone && sdone); i++)
  {
    if (!cdone)
      cdone = SSL_do_handshake(r2.client) == 1;
    if (!sdone)
      sdone = SSL_do_handshake(r2.server) == 1;
  }
  g_assert_true(cdone && sdone);
  g_assert_true(SSL_session_reused(r2.server));
  g_assert_cmpint(SSL_get_verify_result(r2.server), ==, X509_V_OK);
  ERR_clear_error();
  hs_result_clear(&r2);
}

/* DHE uses the server's fixed 2048-bit group (p starts A1BB7C20...). */
static void test_handshake_dhe(void)
{
  cfg_names n = {.cert = "server-rsa.pem",
                 .key = "server-rsa.key",
                 .ca = "ca.pem",
                 .tls_version = "TLSv1.2"};
  g_autoptr(SSL_CTX) ctx = build_ok(&n, NULL);
  g_autoptr(SSL_CTX) c = client_ctx("ca.pem", NULL, NULL);
  g_assert_true(SSL_CTX_set_cipher_list(c, "DHE-RSA-AES128-GCM-SHA256"));
  hs_result r = handshake(ctx, c);
  g_assert_true(r.ok);
  g_assert_cmpstr(SSL_get_cipher_name(r.client), ==,
                  "DHE-RSA-AES128-GCM-SHA256");
  EVP_PKEY *tmp = NULL;
  g_assert_true(SSL_get_peer_tmp_key(r.client, &tmp));
  g_assert_cmpint(EVP_PKEY_get_bits(tmp), ==, 2048);
  BIGNUM *p = NULL;
  g_assert_true(EVP_PKEY_get_bn_param(tmp, OSSL_PKEY_PARAM_FFC_P, &p));
  char *phex = BN_bn2hex(p);
  g_assert_true(g_str_has_prefix(phex, "A1BB7C20C55BC07B"));
  OPENSSL_free(phex);
  BN_free(p);
  EVP_PKEY_free(tmp);
  hs_result_clear(&r);
}

/* ------------------------------------------------------------------ */
/* Smaller units                                                       */

static void test_version_parse(void)
{
  static const struct {
    const char *text;
    gboolean ok;
    unsigned mask;
  } cases[] = {
      {NULL, TRUE, 0},
      {"", TRUE, 0},
      {"TLSv1.2,TLSv1.3", TRUE, TP_TLS_V1_2 | TP_TLS_V1_3},
      {"TLSv1", TRUE, TP_TLS_V1_0},
      {"tlsv1.0,TLSV1.1", TRUE, TP_TLS_V1_0 | TP_TLS_V1_1},
      {" TLSv1.3 ", TRUE, TP_TLS_V1_3},
      {"TLSv1.3,TLSv1.3", TRUE, TP_TLS_V1_3},
      {"TLSv1.4", FALSE, 0},
      {"SSLv3", FALSE, 0},
      {"TLSv1.2;TLSv1.3", FALSE, 0},
      {",", FALSE, 0},
      {" ", FALSE, 0},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
  {
    g_autoptr(GError) err = NULL;
    unsigned mask = 99;
    gboolean ok = tlsp_tls_version_parse(cases[i].text, &mask, &err);
    g_assert_cmpint(ok, ==, cases[i].ok);
    g_assert_cmpuint(mask, ==, cases[i].mask);
    if (!ok)
      g_assert_error(err, TP_TLS_BUILD_ERROR, TP_TLS_BUILD_ERROR_TLS_VERSION);
    else
      g_assert_no_error(err);
  }
  g_autofree char *s = tlsp_tls_version_to_string(TP_TLS_V1_0 | TP_TLS_V1_3);
  g_assert_cmpstr(s, ==, "TLSv1.0,TLSv1.3");
  g_autofree char *e = tlsp_tls_version_to_string(0);
  g_assert_cmpstr(e, ==, "");
}

static void test_error_names(void)
{
  GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (int c = 0; c < TP_TLS_BUILD_ERROR__COUNT; c++)
  {
    const char *name = tlsp_tls_build_error_name(c);
    g_assert_nonnull(name);
    g_assert_cmpstr(name, !=, "unknown");
    g_assert_false(g_hash_table_contains(seen, name));
    g_hash_table_add(seen, (gpointer) name);
  }
  g_hash_table_unref(seen);
  g_assert_cmpstr(tlsp_tls_build_error_name(-1), ==, "unknown");
  g_assert_cmpstr(tlsp_tls_build_error_name(TP_TLS_BUILD_ERROR__COUNT), ==,
                  "unknown");
  g_assert_cmpstr(tlsp_tls_build_error_name(TP_TLS_BUILD_ERROR_KEY_MISMATCH),
                  ==, "key_mismatch");
}

static void test_info_no_cert(void)
{
  g_autoptr(SSL_CTX) ctx = SSL_CTX_new(TLS_server_method());
  tlsp_tls_context_info info;
  g_autoptr(GError) err = NULL;
  g_assert_false(tlsp_tls_context_info_from_ctx(ctx, &info, &err));
  g_assert_error(err, TP_TLS_BUILD_ERROR, TP_TLS_BUILD_ERROR_NO_CERTIFICATE);
}

/* Subjects are one line, bounded, without control characters. */
static void test_subject_clean(void)
{
  g_autoptr(EVP_PKEY) key = EVP_EC_gen("P-256");
  g_autoptr(X509) x = X509_new();
  X509_NAME *name = X509_get_subject_name(x);
  for (int i = 0; i < 6; i++)
    g_assert_true(X509_NAME_add_entry_by_txt(
        name, "OU", MBSTRING_UTF8,
        (const unsigned char
             *) "0123456789012345678901234567890123456789012345678901234",
        -1, -1, 0));
  g_assert_true(X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_UTF8,
      (const unsigned char *) "Zo\xc3\xab\nline\x01two", -1, -1, 0));
  g_assert_true(X509_set_pubkey(x, key));
  g_assert_true(X509_sign(x, key, EVP_sha256()));
  tlsp_tls_context_info info;
  memset(&info, 0, sizeof info);
  tlsp_tls_cert_info_fill(x, &info);
  g_test_message("subject: %s", info.server_cert_subject);
  g_assert_true(g_str_has_prefix(info.server_cert_subject, "CN=Zo\xc3\xab"));
  g_assert_cmpuint(strlen(info.server_cert_subject), <,
                   sizeof info.server_cert_subject);
  g_assert_cmpuint(strlen(info.server_cert_subject), >, 200);
  g_assert_true(g_utf8_validate(info.server_cert_subject, -1, NULL));
  for (const char *p = info.server_cert_subject; *p; p++)
    g_assert_true((unsigned char) *p >= 0x20 && *p != 0x7f);
  g_assert_cmpuint(strlen(info.server_cert_sha256), ==, 64);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  make_fixture();

  for (size_t i = 0; i < G_N_ELEMENTS(broken_cases); i++)
  {
    g_autofree char *path =
        g_strconcat("/tls/build/broken/", broken_cases[i].test, NULL);
    g_test_add_data_func(path, &broken_cases[i], test_broken);
  }
  g_test_add_func("/tls/build/ok/basic", test_ok_basic);
  g_test_add_func("/tls/build/ok/variants", test_ok_variants);
  g_test_add_func("/tls/build/ok/crlpath", test_crlpath_info);
  g_test_add_func("/tls/build/ok/auto-generate", test_auto_generate);
  g_test_add_func("/tls/build/generate", test_generate);
  g_test_add_func("/tls/build/handshake/client-certs",
                  test_handshake_client_certs);
  g_test_add_func("/tls/build/handshake/tls-version", test_handshake_versions);
  g_test_add_func("/tls/build/handshake/dhe", test_handshake_dhe);
  g_test_add_func("/tls/build/handshake/resumption", test_session_resumption);
  g_test_add_func("/tls/build/handshake/tls10-security-level",
                  test_tls10_security_level);
  g_test_add_func("/tls/build/version-parse", test_version_parse);
  g_test_add_func("/tls/build/error-names", test_error_names);
  g_test_add_func("/tls/build/info/no-certificate", test_info_no_cert);
  g_test_add_func("/tls/build/info/subject-clean", test_subject_clean);

  int rc = g_test_run();
  free_fixture();
  return rc;
}
