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
 * before every OpenSSL operation whose failure we report, and fail() drains
 * the whole queue into the message, so the queue is empty when we return.
 *
 * No global state, no locks: every function is reentrant.
 */
#define _POSIX_C_SOURCE 200809L /* O_CLOEXEC, O_DIRECTORY also under -std=c11 */

#include "tls_policy/tls_context_build.h"
#include "tls_policy/text_clean.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rand.h>

/* clang-format off */
G_DEFINE_QUARK(tp-tls-build-error-quark, tp_tls_build_error)
/* clang-format on */

static const char *const build_error_names[] = {
#define TP_TLS_BUILD_ERROR_NAME(sym, name) name,
    TP_TLS_BUILD_ERROR_LIST(TP_TLS_BUILD_ERROR_NAME)
#undef TP_TLS_BUILD_ERROR_NAME
};

const char *tp_tls_build_error_name(int code)
{
  if (code < 0 || code >= TP_TLS_BUILD_ERROR__COUNT)
    return "unknown";
  return build_error_names[code];
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */

/* Longest piece of untrusted text (path, value, certificate name) copied
 * into one message. */
#define TP_MSG_FIELD_MAX 512

/* Append `s` cleaned for a message (text_clean.h, TP_TEXT_LINE: control
 * characters, DEL and invalid UTF-8 written as \xNN), at most
 * TP_MSG_FIELD_MAX bytes (then "..."). */
static void append_clean(GString *out, const char *s)
{
  tp_text_append_escaped(out, s, s ? strlen(s) : 0, TP_MSG_FIELD_MAX,
                         TP_TEXT_LINE);
}

/* A cleaned copy (append_clean) of `s`, for use as a "%s" argument. */
static char *clean_dup(const char *s)
{
  GString *out = g_string_new(NULL);
  append_clean(out, s);
  return g_string_free(out, FALSE);
}

/*
 * Append the calling thread's whole OpenSSL error queue to `msg`, between
 * `open` and `close` when it is not empty, and empty the queue (the one
 * helper that does so, like nginx's ngx_ssl_error).
 */
static void append_ssl_errors_in(GString *msg, const char *open,
                                 const char *close)
{
  enum { MAX_SHOWN = 8 };
  const char *data = NULL;
  int flags = 0;
  unsigned long e;
  unsigned n = 0;

  while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0)
  {
    if (n < MAX_SHOWN)
    {
      char buf[256];
      ERR_error_string_n(e, buf, sizeof buf);
      g_string_append(msg, n == 0 ? open : "; ");
      g_string_append(msg, buf);
      if ((flags & ERR_TXT_STRING) && data != NULL && data[0] != '\0')
      {
        g_string_append(msg, " (");
        append_clean(msg, data);
        g_string_append_c(msg, ')');
      }
    }
    n++;
  }
  if (n > MAX_SHOWN)
    g_string_append_printf(msg, "; %u more", n - MAX_SHOWN);
  if (n > 0)
    g_string_append(msg, close);
}

static void append_ssl_errors(GString *msg)
{
  append_ssl_errors_in(msg, " [openssl: ", "]");
}

static gboolean fail(GError **error, tp_tls_build_error_code code,
                     const char *what, const char *path, const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);

/*
 * Set `error` to "<what> '<path>': <reason>[ [openssl: ...]]" and return
 * FALSE.  `what` (and then `path`) may be NULL for messages about no file.
 * Always drains the OpenSSL error queue.
 */
static gboolean fail(GError **error, tp_tls_build_error_code code,
                     const char *what, const char *path, const char *fmt, ...)
{
  GString *msg = g_string_new(NULL);
  va_list ap;

  if (what != NULL)
  {
    g_string_append(msg, what);
    if (path != NULL)
    {
      g_string_append(msg, " '");
      append_clean(msg, path);
      g_string_append_c(msg, '\'');
    }
    g_string_append(msg, ": ");
  }
  va_start(ap, fmt);
  g_string_append_vprintf(msg, fmt, ap);
  va_end(ap);
  append_ssl_errors(msg);
  g_set_error_literal(error, TP_TLS_BUILD_ERROR, code, msg->str);
  g_string_free(msg, TRUE);
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Time and names                                                      */

static gboolean asn1_time_to_unix(const ASN1_TIME *t, int64_t *out)
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
static const char *format_unix(int64_t t, char buf[32])
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

static int64_t now_unix(void) { return g_get_real_time() / G_USEC_PER_SEC; }

/*
 * RFC 2253/4514 one-line form of `name` into out[outsz]: UTF-8 kept
 * (ASN1_STRFLGS_ESC_MSB off), control characters removed, invalid UTF-8
 * replaced, cut at a character boundary.  Always NUL-terminated.
 */
static void name_to_line(const X509_NAME *name, char *out, size_t outsz)
{
  out[0] = '\0';
  if (name == NULL || outsz == 0)
    return;
  BIO *bio = BIO_new(BIO_s_mem());
  if (bio == NULL)
  {
    ERR_clear_error();
    return;
  }
  if (X509_NAME_print_ex(bio, name, 0,
                         XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
  {
    BIO_free(bio);
    ERR_clear_error();
    return;
  }
  char *data = NULL;
  long n = BIO_get_mem_data(bio, &data);
  GString *kept = g_string_sized_new(n > 0 ? (gsize) n : 1);
  for (long i = 0; i < n; i++)
  {
    unsigned char c = (unsigned char) data[i];
    if (c >= 0x20 && c != 0x7f)
      g_string_append_c(kept, (char) c);
  }
  BIO_free(bio);
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

void tp_tls_cert_info_fill(X509 *cert, tp_tls_context_info *info)
{
  g_return_if_fail(cert != NULL && info != NULL);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;

  info->server_cert_not_before = 0;
  info->server_cert_not_after = 0;
  (void) asn1_time_to_unix(X509_get0_notBefore(cert),
                           &info->server_cert_not_before);
  (void) asn1_time_to_unix(X509_get0_notAfter(cert),
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
  name_to_line(X509_get_subject_name(cert), info->server_cert_subject,
               sizeof info->server_cert_subject);
  ERR_clear_error();
}

/* ------------------------------------------------------------------ */
/* tls_version                                                         */

static const struct tls_version_def {
  unsigned bit;
  int version;        /* OpenSSL's TLS1_x_VERSION */
  uint64_t no_option; /* SSL_OP_NO_TLSv1_x */
  const char *name;
} tls_versions[] = {
    {TP_TLS_V1_0, TLS1_VERSION, SSL_OP_NO_TLSv1, "TLSv1.0"},
    {TP_TLS_V1_1, TLS1_1_VERSION, SSL_OP_NO_TLSv1_1, "TLSv1.1"},
    {TP_TLS_V1_2, TLS1_2_VERSION, SSL_OP_NO_TLSv1_2, "TLSv1.2"},
    {TP_TLS_V1_3, TLS1_3_VERSION, SSL_OP_NO_TLSv1_3, "TLSv1.3"},
};

gboolean tp_tls_version_parse(const char *text, unsigned *mask, GError **error)
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
    for (size_t i = 0; bit == 0 && i < G_N_ELEMENTS(tls_versions); i++)
      if (g_ascii_strcasecmp(elem, tls_versions[i].name) == 0)
        bit = tls_versions[i].bit;
    if (bit == 0)
    {
      GString *e = g_string_new(NULL);
      append_clean(e, elem);
      fail(error, TP_TLS_BUILD_ERROR_TLS_VERSION, "tls_version", text,
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

char *tp_tls_version_to_string(unsigned mask)
{
  GString *s = g_string_new(NULL);
  for (size_t i = 0; i < G_N_ELEMENTS(tls_versions); i++)
  {
    if (mask & tls_versions[i].bit)
    {
      if (s->len > 0)
        g_string_append_c(s, ',');
      g_string_append(s, tls_versions[i].name);
    }
  }
  return g_string_free(s, FALSE);
}

/* The server's vio_tls_protocol_options(): SSLv2/3 always off; with a mask,
 * every TLS version outside it off too. */
static uint64_t protocol_options(unsigned mask)
{
  uint64_t o = SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3;
  if (mask == 0)
    return o;
  for (size_t i = 0; i < G_N_ELEMENTS(tls_versions); i++)
    if (!(mask & tls_versions[i].bit))
      o |= tls_versions[i].no_option;
  return o;
}

/* ------------------------------------------------------------------ */
/* Files                                                               */

static gboolean open_error(GError **error, int e, const char *what,
                           const char *path)
{
  if (e == ENOENT || e == ENOTDIR)
    return fail(error, TP_TLS_BUILD_ERROR_FILE_MISSING, what, path,
                "does not exist");
  if (e == EACCES || e == EPERM)
    return fail(error, TP_TLS_BUILD_ERROR_UNREADABLE, what, path,
                "cannot be opened for reading: %s", g_strerror(e));
  return fail(error, TP_TLS_BUILD_ERROR_UNREADABLE, what, path,
              "cannot be opened: %s", g_strerror(e));
}

/*
 * Read a whole configuration file into memory, with the checks that give
 * each failure its own code.  O_NONBLOCK so that a FIFO cannot hang us
 * before fstat tells it is not a regular file.
 */
static GBytes *read_file(const char *what, const char *path, GError **error)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
  {
    open_error(error, errno, what, path);
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) != 0)
  {
    int e = errno;
    close(fd);
    fail(error, TP_TLS_BUILD_ERROR_UNREADABLE, what, path,
         "cannot be examined: %s", g_strerror(e));
    return NULL;
  }
  if (S_ISDIR(st.st_mode))
  {
    close(fd);
    fail(error, TP_TLS_BUILD_ERROR_NOT_REGULAR_FILE, what, path,
         "is a directory, not a file");
    return NULL;
  }
  if (!S_ISREG(st.st_mode))
  {
    close(fd);
    fail(error, TP_TLS_BUILD_ERROR_NOT_REGULAR_FILE, what, path,
         "is not a regular file");
    return NULL;
  }
  if (st.st_size > (off_t) TP_TLS_FILE_MAX)
  {
    close(fd);
    fail(error, TP_TLS_BUILD_ERROR_TOO_LARGE, what, path,
         "is larger than %u bytes", (unsigned) TP_TLS_FILE_MAX);
    return NULL;
  }

  GByteArray *buf = g_byte_array_sized_new((guint) st.st_size + 1);
  for (;;)
  {
    guint8 chunk[65536];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0)
    {
      int e = errno;
      if (e == EINTR)
        continue;
      close(fd);
      g_byte_array_unref(buf);
      fail(error, TP_TLS_BUILD_ERROR_UNREADABLE, what, path,
           "cannot be read: %s", g_strerror(e));
      return NULL;
    }
    if (n == 0)
      break;
    if (buf->len + (gsize) n > TP_TLS_FILE_MAX)
    {
      close(fd);
      g_byte_array_unref(buf);
      fail(error, TP_TLS_BUILD_ERROR_TOO_LARGE, what, path,
           "is larger than %u bytes", (unsigned) TP_TLS_FILE_MAX);
      return NULL;
    }
    g_byte_array_append(buf, chunk, (guint) n);
  }
  close(fd);
  if (buf->len == 0)
  {
    g_byte_array_unref(buf);
    fail(error, TP_TLS_BUILD_ERROR_EMPTY, what, path, "is empty");
    return NULL;
  }
  return g_byte_array_free_to_bytes(buf);
}

static gboolean check_directory(const char *what, const char *path,
                                GError **error)
{
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0)
  {
    close(fd);
    return TRUE;
  }
  int e = errno;
  struct stat st;
  if (e == ENOTDIR && stat(path, &st) == 0)
    return fail(error, TP_TLS_BUILD_ERROR_NOT_DIRECTORY, what, path,
                "is not a directory");
  return open_error(error, e, what, path);
}

static BIO *bio_for(GBytes *bytes)
{
  gsize len = 0;
  const void *data = g_bytes_get_data(bytes, &len);
  return BIO_new_mem_buf(data,
                         (int) len); /* len <= TP_TLS_FILE_MAX < INT_MAX */
}

/* ------------------------------------------------------------------ */
/* PEM                                                                 */

typedef struct pem_pass {
  const char *passphrase; /* NULL: none configured */
  gboolean asked;         /* OpenSSL wanted a passphrase */
} pem_pass;

/*
 * pem_password_cb: hands over the configured passphrase and records that
 * one was wanted.  Never prompts: OpenSSL's default (PEM_def_callback) would
 * read from the terminal of mariadbd.  Used for every PEM read here, also
 * for files that should hold nothing encrypted.
 */
static int pem_pass_cb(char *buf, int size, int rwflag, void *userdata)
{
  pem_pass *pp = userdata;
  (void) rwflag;
  if (pp == NULL)
    return -1;
  pp->asked = TRUE;
  if (pp->passphrase == NULL || pp->passphrase[0] == '\0' || size <= 0)
    return -1;
  size_t n = strlen(pp->passphrase);
  if (n > (size_t) size)
    return -1;
  memcpy(buf, pp->passphrase, n);
  return (int) n;
}

/* For SSL_CTX_set_default_passwd_cb: nothing that uses the context later
 * may prompt either. */
static int no_prompt_cb(char *buf, int size, int rwflag, void *userdata)
{
  (void) buf;
  (void) size;
  (void) rwflag;
  (void) userdata;
  return -1;
}

/* After a failed PEM read: TRUE when it failed only because no (further)
 * PEM block of the wanted kind was found. */
static gboolean pem_at_eof(void)
{
  unsigned long e = ERR_peek_last_error();
  return ERR_GET_LIB(e) == ERR_LIB_PEM &&
         ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
}

/* The server certificate (first) and its chain, like
 * SSL_CTX_use_certificate_chain_file reads them. */
static gboolean load_cert_chain(const char *path, GBytes *bytes,
                                X509 **leaf_out, TpX509Stack **chain_out,
                                GError **error)
{
  static const char what[] = "certificate file";
  pem_pass nopass = {NULL, FALSE};

  g_autoptr(BIO) bio = bio_for(bytes);
  g_autoptr(TpX509Stack) chain = sk_X509_new_null();
  if (bio == NULL || chain == NULL)
    return fail(error, TP_TLS_BUILD_ERROR_INTERNAL, what, path,
                "out of memory");

  ERR_clear_error();
  g_autoptr(X509) leaf = PEM_read_bio_X509_AUX(bio, NULL, pem_pass_cb, &nopass);
  if (leaf == NULL)
  {
    if (pem_at_eof())
    {
      ERR_clear_error();
      return fail(error, TP_TLS_BUILD_ERROR_CERT_PARSE, what, path,
                  "no PEM certificate found (expected \"-----BEGIN "
                  "CERTIFICATE-----\")");
    }
    return fail(error, TP_TLS_BUILD_ERROR_CERT_PARSE, what, path,
                "the certificate cannot be parsed (truncated or corrupt PEM)");
  }
  for (int n = 2;; n++)
  {
    ERR_clear_error();
    X509 *c = PEM_read_bio_X509(bio, NULL, pem_pass_cb, &nopass);
    if (c == NULL)
    {
      if (pem_at_eof())
      {
        ERR_clear_error();
        break;
      }
      return fail(error, TP_TLS_BUILD_ERROR_CERT_PARSE, what, path,
                  "certificate #%d in the file cannot be parsed (truncated or "
                  "corrupt PEM)",
                  n);
    }
    if (!sk_X509_push(chain, c))
    {
      X509_free(c);
      return fail(error, TP_TLS_BUILD_ERROR_INTERNAL, what, path,
                  "out of memory");
    }
  }
  *leaf_out = g_steal_pointer(&leaf);
  *chain_out = g_steal_pointer(&chain);
  return TRUE;
}

static EVP_PKEY *load_key(const char *path, gboolean from_cert_file,
                          GBytes *bytes, const char *passphrase, GError **error)
{
  const char *what = from_cert_file
                         ? "key file (key unset, using the certificate file)"
                         : "key file";
  pem_pass pp = {passphrase, FALSE};

  gsize len = 0;
  const char *data = g_bytes_get_data(bytes, &len);
  if (g_strstr_len(data, (gssize) len, "PRIVATE KEY-----") == NULL)
  {
    /* no "-----BEGIN [RSA |EC |ENCRYPTED ]PRIVATE KEY-----" block at all */
    fail(error, TP_TLS_BUILD_ERROR_KEY_PARSE, what, path,
         "no PEM private key found (expected \"-----BEGIN PRIVATE KEY-----\")");
    return NULL;
  }
  g_autoptr(BIO) bio = bio_for(bytes);
  if (bio == NULL)
  {
    fail(error, TP_TLS_BUILD_ERROR_INTERNAL, what, path, "out of memory");
    return NULL;
  }
  ERR_clear_error();
  EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, pem_pass_cb, &pp);
  if (key != NULL)
  {
    ERR_clear_error(); /* decoders may leave notes about the forms they tried */
    return key;
  }
  if (pp.asked && (passphrase == NULL || passphrase[0] == '\0'))
    fail(error, TP_TLS_BUILD_ERROR_KEY_NEEDS_PASSPHRASE, what, path,
         "the private key is encrypted and no passphrase is configured");
  else if (pp.asked)
    fail(error, TP_TLS_BUILD_ERROR_KEY_BAD_PASSPHRASE, what, path,
         "the configured passphrase does not decrypt the private key");
  else
    fail(error, TP_TLS_BUILD_ERROR_KEY_PARSE, what, path,
         "the private key cannot be parsed (truncated or corrupt PEM)");
  return NULL;
}

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

static void crl_entry_free(gpointer p)
{
  crl_entry *e = p;
  X509_CRL_free(e->crl);
  g_free(e->source);
  g_free(e);
}

static gboolean crl_list_add(GPtrArray *crls, X509_CRL *crl, crl_origin origin,
                             const char *what, const char *path)
{
  if (!X509_CRL_up_ref(crl))
    return FALSE;
  crl_entry *e = g_new0(crl_entry, 1);
  e->origin = origin;
  GString *s = g_string_new(what);
  g_string_append(s, " '");
  append_clean(s, path);
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
static gboolean load_pem_bundle(const char *what, const char *path,
                                GBytes *bytes,
                                tp_tls_build_error_code parse_code,
                                crl_origin origin, TpX509Stack *certs,
                                GPtrArray *crls, int *ncerts, int *ncrls,
                                GError **error)
{
  pem_pass nopass = {NULL, FALSE};
  g_autoptr(BIO) bio = bio_for(bytes);
  if (bio == NULL)
    return fail(error, TP_TLS_BUILD_ERROR_INTERNAL, what, path,
                "out of memory");

  ERR_clear_error();
  g_autoptr(TpX509InfoStack) infos =
      PEM_X509_INFO_read_bio(bio, NULL, pem_pass_cb, &nopass);
  if (infos == NULL)
    return fail(error, parse_code, what, path,
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
        return fail(error, TP_TLS_BUILD_ERROR_INTERNAL, what, path,
                    "X509_up_ref failed");
      if (!sk_X509_push(certs, xi->x509))
      {
        X509_free(xi->x509);
        return fail(error, TP_TLS_BUILD_ERROR_INTERNAL, what, path,
                    "out of memory");
      }
      (*ncerts)++;
    }
    if (xi->crl != NULL)
    {
      if (!crl_list_add(crls, xi->crl, origin, what, path))
        return fail(error, TP_TLS_BUILD_ERROR_INTERNAL, what, path,
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
static gboolean scan_crl_dir(const char *dir, GPtrArray *crls, GError **error)
{
  static const char what[] = "CRL file (in CRL path)";
  GError *local = NULL;
  GDir *d = g_dir_open(dir, 0, &local);
  if (d == NULL)
  {
    fail(error, TP_TLS_BUILD_ERROR_UNREADABLE, "CRL path", dir,
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
    g_autoptr(GBytes) bytes = read_file(what, path, error);
    if (bytes == NULL)
    {
      ok = FALSE;
      break;
    }
    g_autoptr(TpX509Stack) certs = sk_X509_new_null();
    int nc = 0, nr = 0;
    if (certs == NULL)
    {
      ok =
          fail(error, TP_TLS_BUILD_ERROR_INTERNAL, what, path, "out of memory");
      break;
    }
    ok = load_pem_bundle(what, path, bytes, TP_TLS_BUILD_ERROR_CRL_PARSE,
                         CRL_FROM_CRL_PATH, certs, crls, &nc, &nr, error);
    if (ok && nr == 0)
      ok = fail(error, TP_TLS_BUILD_ERROR_CRL_PARSE, what, path,
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
static gboolean check_crl(const crl_entry *e, int64_t now, TpX509Stack *trusted,
                          int64_t *earliest_next, GError **error)
{
  char issuer[256], tbuf[32];
  int64_t last = 0, next = 0;

  name_to_line(X509_CRL_get_issuer(e->crl), issuer, sizeof issuer);
  if (!asn1_time_to_unix(X509_CRL_get0_lastUpdate(e->crl), &last))
    return fail(error, TP_TLS_BUILD_ERROR_CRL_PARSE, e->source, NULL,
                "the CRL of '%s' has an unreadable lastUpdate", issuer);
  if (last > now)
    return fail(error, TP_TLS_BUILD_ERROR_CRL_NOT_YET_VALID, e->source, NULL,
                "the CRL of '%s' is not valid before %s (lastUpdate); every "
                "client certificate "
                "it covers would be refused",
                issuer, format_unix(last, tbuf));
  const ASN1_TIME *nu = X509_CRL_get0_nextUpdate(e->crl);
  if (nu != NULL)
  {
    if (!asn1_time_to_unix(nu, &next))
      return fail(error, TP_TLS_BUILD_ERROR_CRL_PARSE, e->source, NULL,
                  "the CRL of '%s' has an unreadable nextUpdate", issuer);
    if (next < now)
      return fail(error, TP_TLS_BUILD_ERROR_CRL_EXPIRED, e->source, NULL,
                  "the CRL of '%s' expired at %s (nextUpdate); every client "
                  "certificate it "
                  "covers would be refused",
                  issuer, format_unix(next, tbuf));
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
    return fail(error, TP_TLS_BUILD_ERROR_CRL_BAD_SIGNATURE, e->source, NULL,
                "the CRL of '%s' is not signed by that CA's key", issuer);
  return TRUE;
}

/* Is `cert` revoked by one of `crls`? */
static gboolean check_not_revoked(X509 *cert, int depth, const char *cert_path,
                                  GPtrArray *crls, GError **error)
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
      name_to_line(X509_get_subject_name(cert), subject, sizeof subject);
      (void) asn1_time_to_unix(X509_REVOKED_get0_revocationDate(rev), &when);
      return fail(
          error, TP_TLS_BUILD_ERROR_CERT_REVOKED, "certificate file", cert_path,
          "the certificate '%s' (depth %d) was revoked at %s by the CRL in %s",
          subject, depth, format_unix(when, tbuf), e->source);
    }
  }
  ERR_clear_error();
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Ciphers                                                             */

/* Positive elements of a cipher list that select nothing on their own
 * ("AES128-SHA:TYPO" is accepted by OpenSSL, which silently drops TYPO). */
static gboolean check_cipher_list(SSL_CTX *ctx, const char *list,
                                  GError **error)
{
  ERR_clear_error();
  if (!SSL_CTX_set_cipher_list(ctx, list))
    return fail(error, TP_TLS_BUILD_ERROR_CIPHER, "cipher list", list,
                "selects no cipher");

  g_autoptr(SSL_CTX) probe = SSL_CTX_new(TLS_server_method());
  if (probe == NULL)
    return fail(error, TP_TLS_BUILD_ERROR_INTERNAL, "cipher list", list,
                "SSL_CTX_new failed");
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
      append_clean(bad, el);
      g_string_append_c(bad, '\'');
    }
  }
  g_strfreev(elems);
  ERR_clear_error();
  gboolean ok = TRUE;
  if (bad->len > 0)
    ok = fail(error, TP_TLS_BUILD_ERROR_CIPHER, "cipher list", list,
              "unknown or empty element(s) %s", bad->str);
  g_string_free(bad, TRUE);
  return ok;
}

/* Every ciphersuite name must be known (OpenSSL ignores unknown ones). */
static gboolean check_ciphersuites(SSL_CTX *ctx, const char *list,
                                   GError **error)
{
  g_autoptr(SSL_CTX) probe = SSL_CTX_new(TLS_server_method());
  if (probe == NULL)
    return fail(error, TP_TLS_BUILD_ERROR_INTERNAL, "ciphersuites", list,
                "SSL_CTX_new failed");
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
      append_clean(bad, *p);
      g_string_append_c(bad, '\'');
    }
  }
  g_strfreev(elems);
  ERR_clear_error();
  if (bad->len > 0)
  {
    fail(error, TP_TLS_BUILD_ERROR_CIPHERSUITES, "ciphersuites", list,
         "unknown TLS 1.3 ciphersuite(s) %s", bad->str);
    g_string_free(bad, TRUE);
    return FALSE;
  }
  g_string_free(bad, TRUE);
  if (!SSL_CTX_set_ciphersuites(ctx, list))
    return fail(error, TP_TLS_BUILD_ERROR_CIPHERSUITES, "ciphersuites", list,
                "selects no ciphersuite");
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

static gboolean set_server_dh(SSL_CTX *ctx, GError **error)
{
  ERR_clear_error();
  g_autoptr(BIGNUM) p =
      BN_bin2bn(server_dh2048_p, sizeof server_dh2048_p, NULL);
  g_autoptr(BIGNUM) g = BN_new();
  g_autoptr(OSSL_PARAM_BLD) bld = OSSL_PARAM_BLD_new();
  if (p == NULL || g == NULL || bld == NULL || !BN_set_word(g, 2) ||
      !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p) ||
      !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, g))
    return fail(error, TP_TLS_BUILD_ERROR_INTERNAL, "DH parameters", NULL,
                "out of memory");
  g_autoptr(OSSL_PARAM) params = OSSL_PARAM_BLD_to_param(bld);
  g_autoptr(EVP_PKEY_CTX) pctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
  EVP_PKEY *dh = NULL;
  if (params == NULL || pctx == NULL || EVP_PKEY_fromdata_init(pctx) <= 0 ||
      EVP_PKEY_fromdata(pctx, &dh, EVP_PKEY_KEY_PARAMETERS, params) <= 0)
    return fail(error, TP_TLS_BUILD_ERROR_INTERNAL, "DH parameters", NULL,
                "cannot build the 2048-bit DH group");
  if (!SSL_CTX_set0_tmp_dh_pkey(ctx, dh))
  {
    EVP_PKEY_free(dh);
    return fail(error, TP_TLS_BUILD_ERROR_INTERNAL, "DH parameters", NULL,
                "SSL_CTX_set0_tmp_dh_pkey failed");
  }
  return TRUE;
}

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

gboolean tp_tls_generate_self_signed(EVP_PKEY **key, X509 **cert,
                                     GError **error)
{
  g_return_val_if_fail(key != NULL && cert != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  static const char what[] = "self-signed certificate";

  ERR_clear_error();
  g_autoptr(EVP_PKEY) pkey = EVP_EC_gen("P-256");
  if (pkey == NULL)
    return fail(error, TP_TLS_BUILD_ERROR_GENERATE, what, NULL,
                "P-256 key generation failed");

  g_autoptr(X509) x = X509_new();
  g_autoptr(BIGNUM) serial = BN_new();
  unsigned char rnd[16];
  if (x == NULL || serial == NULL || RAND_bytes(rnd, sizeof rnd) != 1)
    return fail(error, TP_TLS_BUILD_ERROR_GENERATE, what, NULL,
                "out of memory or entropy");
  rnd[0] &= 0x7f; /* positive */
  rnd[0] |= 0x40; /* and full length */
  if (BN_bin2bn(rnd, sizeof rnd, serial) == NULL ||
      BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) == NULL ||
      !X509_set_version(x, X509_VERSION_3))
    return fail(error, TP_TLS_BUILD_ERROR_GENERATE, what, NULL,
                "cannot set the serial");

  /* valid from five minutes ago (client clock skew) for one year */
  if (X509_gmtime_adj(X509_getm_notBefore(x), -300) == NULL ||
      X509_time_adj_ex(X509_getm_notAfter(x), 365, -300, NULL) == NULL)
    return fail(error, TP_TLS_BUILD_ERROR_GENERATE, what, NULL,
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
    return fail(error, TP_TLS_BUILD_ERROR_GENERATE, what, NULL,
                "cannot set the names");

  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
  if (!add_ext(x, &v3, NID_basic_constraints, "critical,CA:FALSE") ||
      !add_ext(x, &v3, NID_key_usage, "critical,digitalSignature") ||
      !add_ext(x, &v3, NID_ext_key_usage, "serverAuth") ||
      !add_ext(x, &v3, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1") ||
      !add_ext(x, &v3, NID_subject_key_identifier, "hash"))
    return fail(error, TP_TLS_BUILD_ERROR_GENERATE, what, NULL,
                "cannot add the extensions");
  if (X509_sign(x, pkey, EVP_sha256()) <= 0)
    return fail(error, TP_TLS_BUILD_ERROR_GENERATE, what, NULL,
                "signing failed");

  ERR_clear_error();
  *key = g_steal_pointer(&pkey);
  *cert = g_steal_pointer(&x);
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
    append_ssl_errors(why);
    return FALSE;
  }
  SSL_set_bio(c, bc, bc);
  SSL_set_bio(s, bs, bs);
  if (!SSL_set_min_proto_version(c, version) ||
      !SSL_set_max_proto_version(c, version))
  {
    g_string_append(why, "client cannot be limited to this version");
    append_ssl_errors(why);
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
      append_ssl_errors_in(why, "", "");
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
static gboolean probe_versions(SSL_CTX *ctx, unsigned mask, unsigned *usable,
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
    append_ssl_errors(why);
    return FALSE;
  }
  SSL_CTX_set_security_level(client, 0);
  SSL_CTX_set_verify(client, SSL_VERIFY_NONE, NULL);
  if (!SSL_CTX_set_cipher_list(client, "ALL:@SECLEVEL=0") ||
      !SSL_CTX_set_ciphersuites(client, all_suites))
  {
    g_string_append(why, "cannot configure the probe client");
    append_ssl_errors(why);
    return FALSE;
  }

  long cache_mode = SSL_CTX_get_session_cache_mode(ctx);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  for (size_t i = 0; i < G_N_ELEMENTS(tls_versions); i++)
  {
    if (mask != 0 && !(mask & tls_versions[i].bit))
      continue;
    GString *one = g_string_new(NULL);
    if (probe_version(ctx, client, tls_versions[i].version, one))
      *usable |= tls_versions[i].bit;
    else
      g_string_append_printf(why, "%s%s: %s", why->len ? "; " : "",
                             tls_versions[i].name, one->str);
    g_string_free(one, TRUE);
  }
  SSL_CTX_set_session_cache_mode(ctx, cache_mode);
  ERR_clear_error();
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* The build                                                           */

static const char *nz(const char *s)
{
  return s != NULL && s[0] != '\0' ? s : NULL;
}

/* The verification of the server's own chain, with the store the context
 * will use for clients, CRL checks off (revocation is checked separately,
 * and a CRL for the clients' CA only must not fail the server's chain). */
static gboolean verify_server_chain(SSL_CTX *ctx, X509 *leaf,
                                    TpX509Stack *chain, const char *cert_path,
                                    const char *ca, const char *capath,
                                    GPtrArray *crls, GError **error)
{
  GString *against = g_string_new(NULL);
  if (ca != NULL)
  {
    g_string_append(against, "CA file '");
    append_clean(against, ca);
    g_string_append_c(against, '\'');
  }
  if (capath != NULL)
  {
    g_string_append(against, ca != NULL ? " and CA path '" : "CA path '");
    append_clean(against, capath);
    g_string_append_c(against, '\'');
  }

  ERR_clear_error();
  g_autoptr(X509_STORE_CTX) sctx = X509_STORE_CTX_new();
  if (sctx == NULL ||
      !X509_STORE_CTX_init(sctx, SSL_CTX_get_cert_store(ctx), leaf, chain) ||
      !X509_STORE_CTX_set_default(sctx, "ssl_server"))
  {
    g_string_free(against, TRUE);
    return fail(error, TP_TLS_BUILD_ERROR_INTERNAL, "certificate file",
                cert_path, "cannot set up chain verification");
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
      name_to_line(X509_get_subject_name(bad), subject, sizeof subject);
    fail(
        error, TP_TLS_BUILD_ERROR_CHAIN_VERIFY, "certificate file", cert_path,
        "the certificate chain does not verify against %s: %s (depth %d, '%s')",
        against->str, X509_verify_cert_error_string(err), depth, subject);
    g_string_free(against, TRUE);
    return FALSE;
  }
  g_string_free(against, TRUE);

  STACK_OF(X509) *verified = X509_STORE_CTX_get0_chain(sctx);
  for (int i = 0; i < sk_X509_num(verified); i++)
    if (!check_not_revoked(sk_X509_value(verified, i), i, cert_path, crls,
                           error))
      return FALSE;
  ERR_clear_error();
  return TRUE;
}

SSL_CTX *tp_tls_context_build(const tp_tls_config *cfg,
                              tp_tls_context_info *info, GError **error)
{
  g_return_val_if_fail(cfg != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);

  tp_tls_context_info out;
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
  if (!tp_tls_version_parse(cfg->tls_version, &mask, error))
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
      fail(error, TP_TLS_BUILD_ERROR_INTERNAL, NULL, NULL,
           "X509_up_ref failed");
      return NULL;
    }
    leaf = cfg->mem_cert;
    pkey = cfg->mem_key;
    in_memory = TRUE;
    chain = sk_X509_new_null();
    if (chain == NULL)
    {
      fail(error, TP_TLS_BUILD_ERROR_INTERNAL, NULL, NULL, "out of memory");
      return NULL;
    }
  }
  else if (cert_path == NULL && key_path == NULL)
  {
    if (!cfg->auto_generate)
    {
      fail(error, TP_TLS_BUILD_ERROR_NO_CERTIFICATE, NULL, NULL,
           "no certificate configured (cert and key unset) and auto_generate "
           "is off");
      return NULL;
    }
    if (!tp_tls_generate_self_signed(&pkey, &leaf, error))
      return NULL;
    chain = sk_X509_new_null();
    if (chain == NULL)
    {
      fail(error, TP_TLS_BUILD_ERROR_INTERNAL, NULL, NULL, "out of memory");
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
        read_file("certificate file", cert_path, error);
    if (cert_bytes == NULL ||
        !load_cert_chain(cert_path, cert_bytes, &leaf, &chain, error))
      return NULL;
    g_autoptr(GBytes) key_bytes = NULL;
    if (strcmp(key_path, cert_path) == 0)
      key_bytes =
          g_bytes_ref(cert_bytes); /* one read: what we check is what we use */
    else if ((key_bytes = read_file("key file", key_path, error)) == NULL)
      return NULL;
    pkey = load_key(key_path, key_from_cert, key_bytes, passphrase, error);
    if (pkey == NULL)
      return NULL;
  }
  const char *cert_label = out.self_signed_generated ? "(generated)"
                           : cert_path == NULL       ? "(in memory)"
                                                     : cert_path;

  ERR_clear_error();
  if (X509_check_private_key(leaf, pkey) != 1)
  {
    g_autofree char *c = clean_dup(cert_label);
    fail(error, TP_TLS_BUILD_ERROR_KEY_MISMATCH, "key file", key_path,
         "the private key does not match the certificate in '%s'", c);
    return NULL;
  }
  {
    int64_t nb = 0, na = 0;
    char tbuf[32];
    if (!asn1_time_to_unix(X509_get0_notBefore(leaf), &nb) ||
        !asn1_time_to_unix(X509_get0_notAfter(leaf), &na))
    {
      fail(error, TP_TLS_BUILD_ERROR_CERT_PARSE, "certificate file", cert_label,
           "the validity period cannot be read");
      return NULL;
    }
    if (nb > now)
    {
      fail(error, TP_TLS_BUILD_ERROR_CERT_NOT_YET_VALID, "certificate file",
           cert_label, "the certificate is not valid before %s",
           format_unix(nb, tbuf));
      return NULL;
    }
    if (na < now)
    {
      fail(error, TP_TLS_BUILD_ERROR_CERT_EXPIRED, "certificate file",
           cert_label, "the certificate expired at %s", format_unix(na, tbuf));
      return NULL;
    }
  }

  /* 3. trust material: read and parse every file before building */
  g_autoptr(TpX509Stack) trusted =
      sk_X509_new_null(); /* CA file + CRL file certs */
  g_autoptr(GPtrArray) crls = g_ptr_array_new_with_free_func(crl_entry_free);
  g_autoptr(GPtrArray) ca_crls = g_ptr_array_new_with_free_func(crl_entry_free);
  if (trusted == NULL)
  {
    fail(error, TP_TLS_BUILD_ERROR_INTERNAL, NULL, NULL, "out of memory");
    return NULL;
  }
  if (ca != NULL)
  {
    int nc = 0, nr = 0;
    g_autoptr(GBytes) bytes = read_file("CA file", ca, error);
    if (bytes == NULL ||
        !load_pem_bundle("CA file", ca, bytes, TP_TLS_BUILD_ERROR_CA_PARSE,
                         CRL_FROM_CA_FILE, trusted, ca_crls, &nc, &nr, error))
      return NULL;
    if (nc == 0)
    {
      fail(error, TP_TLS_BUILD_ERROR_CA_PARSE, "CA file", ca,
           "no PEM certificate found (expected \"-----BEGIN "
           "CERTIFICATE-----\")");
      return NULL;
    }
    for (int i = 0; i < nc; i++)
    {
      int64_t na = 0;
      if (asn1_time_to_unix(X509_get0_notAfter(sk_X509_value(trusted, i)),
                            &na) &&
          (out.ca_not_after == 0 || na < out.ca_not_after))
        out.ca_not_after = na;
    }
  }
  if (capath != NULL && !check_directory("CA path", capath, error))
    return NULL;
  if (crl != NULL)
  {
    int nc = 0, nr = 0;
    g_autoptr(GBytes) bytes = read_file("CRL file", crl, error);
    if (bytes == NULL ||
        !load_pem_bundle("CRL file", crl, bytes, TP_TLS_BUILD_ERROR_CRL_PARSE,
                         CRL_FROM_CRL_FILE, trusted, crls, &nc, &nr, error))
      return NULL;
    if (nr == 0)
    {
      fail(error, TP_TLS_BUILD_ERROR_CRL_PARSE, "CRL file", crl,
           "no PEM CRL found (expected \"-----BEGIN X509 CRL-----\")");
      return NULL;
    }
  }
  if (crlpath != NULL && (!check_directory("CRL path", crlpath, error) ||
                          !scan_crl_dir(crlpath, crls, error)))
    return NULL;
  const gboolean crl_check = crl != NULL || crlpath != NULL;
  if (crl_check)
  {
    /* CRLs in the CA file are used too once CRL checking is on */
    for (guint i = 0; i < ca_crls->len; i++)
    {
      crl_entry *e = g_ptr_array_index(ca_crls, i);
      if (!crl_list_add(crls, e->crl, CRL_FROM_CA_FILE, "CA file", ca))
      {
        fail(error, TP_TLS_BUILD_ERROR_INTERNAL, NULL, NULL,
             "X509_CRL_up_ref failed");
        return NULL;
      }
    }
    for (guint i = 0; i < crls->len; i++)
      if (!check_crl(g_ptr_array_index(crls, i), now, trusted,
                     &out.crl_next_update, error))
        return NULL;
  }

  /* 4. the context */
  ERR_clear_error();
  g_autoptr(SSL_CTX) ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == NULL)
  {
    fail(error, TP_TLS_BUILD_ERROR_INTERNAL, NULL, NULL, "SSL_CTX_new failed");
    return NULL;
  }
  SSL_CTX_set_options(ctx, protocol_options(mask));
  SSL_CTX_set_default_passwd_cb(ctx, no_prompt_cb);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL);

  if (nz(cfg->cipher) != NULL && !check_cipher_list(ctx, cfg->cipher, error))
    return NULL;
  if (nz(cfg->ciphersuites) != NULL &&
      !check_ciphersuites(ctx, cfg->ciphersuites, error))
    return NULL;

  X509_STORE *store = SSL_CTX_get_cert_store(ctx);
  ERR_clear_error();
  for (int i = 0; i < sk_X509_num(trusted); i++)
    if (!X509_STORE_add_cert(store, sk_X509_value(trusted, i)))
    {
      fail(error, TP_TLS_BUILD_ERROR_INTERNAL, "CA file", ca,
           "X509_STORE_add_cert failed");
      return NULL;
    }
  for (guint i = 0; i < ca_crls->len; i++)
    if (!X509_STORE_add_crl(store,
                            ((crl_entry *) g_ptr_array_index(ca_crls, i))->crl))
    {
      fail(error, TP_TLS_BUILD_ERROR_INTERNAL, "CA file", ca,
           "X509_STORE_add_crl failed");
      return NULL;
    }
  if (capath != NULL && !X509_STORE_load_path(store, capath))
  {
    fail(error, TP_TLS_BUILD_ERROR_UNREADABLE, "CA path", capath,
         "cannot be used");
    return NULL;
  }
  if (ca == NULL && capath == NULL && !SSL_CTX_set_default_verify_paths(ctx))
  {
    fail(
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
        fail(error, TP_TLS_BUILD_ERROR_INTERNAL, e->source, NULL,
             "X509_STORE_add_crl failed");
        return NULL;
      }
    }
    if ((crlpath != NULL && !X509_STORE_load_path(store, crlpath)) ||
        !X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK |
                                         X509_V_FLAG_CRL_CHECK_ALL))
    {
      fail(error, TP_TLS_BUILD_ERROR_UNREADABLE, "CRL path", crlpath,
           "cannot be used");
      return NULL;
    }
  }

  /* 5. certificate, chain, key */
  ERR_clear_error();
  if (SSL_CTX_use_certificate(ctx, leaf) != 1)
  {
    fail(error, TP_TLS_BUILD_ERROR_CERT_PARSE, "certificate file", cert_label,
         "OpenSSL refuses the certificate");
    return NULL;
  }
  for (int i = 0; i < sk_X509_num(chain); i++)
    if (!SSL_CTX_add1_chain_cert(ctx, sk_X509_value(chain, i)))
    {
      fail(error, TP_TLS_BUILD_ERROR_CERT_PARSE, "certificate file", cert_label,
           "OpenSSL refuses chain certificate #%d", i + 2);
      return NULL;
    }
  if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1)
  {
    fail(error, TP_TLS_BUILD_ERROR_KEY_PARSE, "key file",
         key_path ? key_path : cert_label, "OpenSSL refuses the private key");
    return NULL;
  }
  if (SSL_CTX_check_private_key(ctx) != 1)
  {
    g_autofree char *c = clean_dup(cert_label);
    fail(error, TP_TLS_BUILD_ERROR_KEY_MISMATCH, "key file",
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
  else if (!check_not_revoked(leaf, 0, cert_label, crls, error))
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
      fail(error, TP_TLS_BUILD_ERROR_INTERNAL, NULL, NULL,
           "SSL_CTX_set_session_id_context failed");
      return NULL;
    }
  }
  if (!set_server_dh(ctx, error))
    return NULL;

  /* 8. can anything at all be negotiated? */
  {
    GString *why = g_string_new(NULL);
    if (!probe_versions(ctx, mask, &out.usable_tls_versions, why) ||
        out.usable_tls_versions == 0)
    {
      g_autofree char *versions =
          tp_tls_version_to_string(mask ? mask : TP_TLS_V_ALL);
      g_autofree char *cl =
          clean_dup(nz(cfg->cipher) ? cfg->cipher : "(default)");
      g_autofree char *cs =
          clean_dup(nz(cfg->ciphersuites) ? cfg->ciphersuites : "(default)");
      fail(error, TP_TLS_BUILD_ERROR_NO_USABLE_PROTOCOL, "certificate file",
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

  tp_tls_cert_info_fill(leaf, &out);
  ERR_clear_error();
  if (info != NULL)
    *info = out;
  return g_steal_pointer(&ctx);
}

/* ------------------------------------------------------------------ */
/* Info for any context                                                */

gboolean tp_tls_context_info_from_ctx(SSL_CTX *ctx, tp_tls_context_info *info,
                                      GError **error)
{
  g_return_val_if_fail(ctx != NULL && info != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

  memset(info, 0, sizeof *info);
  X509 *cert = SSL_CTX_get0_certificate(ctx);
  if (cert == NULL)
    return fail(error, TP_TLS_BUILD_ERROR_NO_CERTIFICATE, NULL, NULL,
                "the context has no server certificate");
  tp_tls_cert_info_fill(cert, info);

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
        if (asn1_time_to_unix(X509_get0_notAfter(X509_OBJECT_get0_X509(o)),
                              &t) &&
            (info->ca_not_after == 0 || t < info->ca_not_after))
          info->ca_not_after = t;
      }
      else if (X509_OBJECT_get_type(o) == X509_LU_CRL)
      {
        const ASN1_TIME *nu =
            X509_CRL_get0_nextUpdate(X509_OBJECT_get0_X509_CRL(o));
        if (nu != NULL && asn1_time_to_unix(nu, &t) &&
            (info->crl_next_update == 0 || t < info->crl_next_update))
          info->crl_next_update = t;
      }
    }
    X509_STORE_unlock(store);
  }

  uint64_t opts = SSL_CTX_get_options(ctx);
  int minv = (int) SSL_CTX_get_min_proto_version(ctx);
  int maxv = (int) SSL_CTX_get_max_proto_version(ctx);
  for (size_t i = 0; i < G_N_ELEMENTS(tls_versions); i++)
  {
    int v = tls_versions[i].version;
    if ((opts & tls_versions[i].no_option) || (minv != 0 && v < minv) ||
        (maxv != 0 && v > maxv))
      continue;
    info->usable_tls_versions |= tls_versions[i].bit;
  }
  ERR_clear_error();
  return TRUE;
}
