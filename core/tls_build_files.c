/*
 * tls_build_files.c — reading configuration files (one read, each failure
 * with its own code) and the PEM readers for the server certificate, its
 * chain and its private key.  PEM reads never prompt for a passphrase.
 *
 * No global state, no locks: every function is reentrant.
 */
#define _POSIX_C_SOURCE 200809L /* O_CLOEXEC, O_DIRECTORY also under -std=c11 */

#include "tls_build_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>

/* ------------------------------------------------------------------ */
/* Files                                                               */

static gboolean open_error(GError **error, int e, const char *what,
                           const char *path)
{
  if (e == ENOENT || e == ENOTDIR)
    return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_FILE_MISSING, what, path,
                          "does not exist");
  if (e == EACCES || e == EPERM)
    return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_UNREADABLE, what, path,
                          "cannot be opened for reading: %s", g_strerror(e));
  return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_UNREADABLE, what, path,
                        "cannot be opened: %s", g_strerror(e));
}

/*
 * Read a whole configuration file into memory, with the checks that give
 * each failure its own code.  O_NONBLOCK so that a FIFO cannot hang us
 * before fstat tells it is not a regular file.
 */
GBytes *tlsp_tlsb_read_file(const char *what, const char *path, GError **error)
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
    tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_UNREADABLE, what, path,
                   "cannot be examined: %s", g_strerror(e));
    return NULL;
  }
  if (S_ISDIR(st.st_mode))
  {
    close(fd);
    tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_NOT_REGULAR_FILE, what, path,
                   "is a directory, not a file");
    return NULL;
  }
  if (!S_ISREG(st.st_mode))
  {
    close(fd);
    tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_NOT_REGULAR_FILE, what, path,
                   "is not a regular file");
    return NULL;
  }
  if (st.st_size > (off_t) TP_TLS_FILE_MAX)
  {
    close(fd);
    tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_TOO_LARGE, what, path,
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
      tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_UNREADABLE, what, path,
                     "cannot be read: %s", g_strerror(e));
      return NULL;
    }
    if (n == 0)
      break;
    if (buf->len + (gsize) n > TP_TLS_FILE_MAX)
    {
      close(fd);
      g_byte_array_unref(buf);
      tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_TOO_LARGE, what, path,
                     "is larger than %u bytes", (unsigned) TP_TLS_FILE_MAX);
      return NULL;
    }
    g_byte_array_append(buf, chunk, (guint) n);
  }
  close(fd);
  if (buf->len == 0)
  {
    g_byte_array_unref(buf);
    tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_EMPTY, what, path, "is empty");
    return NULL;
  }
  return g_byte_array_free_to_bytes(buf);
}

gboolean tlsp_tlsb_check_directory(const char *what, const char *path,
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
    return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_NOT_DIRECTORY, what, path,
                          "is not a directory");
  return open_error(error, e, what, path);
}

BIO *tlsp_tlsb_bio_for(GBytes *bytes)
{
  gsize len = 0;
  const void *data = g_bytes_get_data(bytes, &len);
  return BIO_new_mem_buf(data,
                         (int) len); /* len <= TP_TLS_FILE_MAX < INT_MAX */
}

/* ------------------------------------------------------------------ */
/* PEM                                                                 */

/*
 * pem_password_cb: hands over the configured passphrase and records that
 * one was wanted.  Never prompts: OpenSSL's default (PEM_def_callback) would
 * read from the terminal of mariadbd.  Used for every PEM read here, also
 * for files that should hold nothing encrypted.
 */
int tlsp_tlsb_pem_pass_cb(char *buf, int size, int rwflag, void *userdata)
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
int tlsp_tlsb_no_prompt_cb(char *buf, int size, int rwflag, void *userdata)
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
gboolean tlsp_tlsb_load_cert_chain(const char *path, GBytes *bytes,
                                   X509 **leaf_out, TpX509Stack **chain_out,
                                   GError **error)
{
  static const char what[] = "certificate file";
  pem_pass nopass = {NULL, FALSE};

  g_autoptr(BIO) bio = tlsp_tlsb_bio_for(bytes);
  g_autoptr(TpX509Stack) chain = sk_X509_new_null();
  if (bio == NULL || chain == NULL)
    return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL, what, path,
                          "out of memory");

  ERR_clear_error();
  g_autoptr(X509) leaf =
      PEM_read_bio_X509_AUX(bio, NULL, tlsp_tlsb_pem_pass_cb, &nopass);
  if (leaf == NULL)
  {
    if (pem_at_eof())
    {
      ERR_clear_error();
      return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_CERT_PARSE, what, path,
                            "no PEM certificate found (expected \"-----BEGIN "
                            "CERTIFICATE-----\")");
    }
    return tlsp_tlsb_fail(
        error, TP_TLS_BUILD_ERROR_CERT_PARSE, what, path,
        "the certificate cannot be parsed (truncated or corrupt PEM)");
  }
  for (int n = 2;; n++)
  {
    ERR_clear_error();
    X509 *c = PEM_read_bio_X509(bio, NULL, tlsp_tlsb_pem_pass_cb, &nopass);
    if (c == NULL)
    {
      if (pem_at_eof())
      {
        ERR_clear_error();
        break;
      }
      return tlsp_tlsb_fail(
          error, TP_TLS_BUILD_ERROR_CERT_PARSE, what, path,
          "certificate #%d in the file cannot be parsed (truncated or "
          "corrupt PEM)",
          n);
    }
    if (!sk_X509_push(chain, c))
    {
      X509_free(c);
      return tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL, what, path,
                            "out of memory");
    }
  }
  *leaf_out = g_steal_pointer(&leaf);
  *chain_out = g_steal_pointer(&chain);
  return TRUE;
}

EVP_PKEY *tlsp_tlsb_load_key(const char *path, gboolean from_cert_file,
                             GBytes *bytes, const char *passphrase,
                             GError **error)
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
    tlsp_tlsb_fail(
        error, TP_TLS_BUILD_ERROR_KEY_PARSE, what, path,
        "no PEM private key found (expected \"-----BEGIN PRIVATE KEY-----\")");
    return NULL;
  }
  g_autoptr(BIO) bio = tlsp_tlsb_bio_for(bytes);
  if (bio == NULL)
  {
    tlsp_tlsb_fail(error, TP_TLS_BUILD_ERROR_INTERNAL, what, path,
                   "out of memory");
    return NULL;
  }
  ERR_clear_error();
  EVP_PKEY *key =
      PEM_read_bio_PrivateKey(bio, NULL, tlsp_tlsb_pem_pass_cb, &pp);
  if (key != NULL)
  {
    ERR_clear_error(); /* decoders may leave notes about the forms they tried */
    return key;
  }
  if (pp.asked && (passphrase == NULL || passphrase[0] == '\0'))
    tlsp_tlsb_fail(
        error, TP_TLS_BUILD_ERROR_KEY_NEEDS_PASSPHRASE, what, path,
        "the private key is encrypted and no passphrase is configured");
  else if (pp.asked)
    tlsp_tlsb_fail(
        error, TP_TLS_BUILD_ERROR_KEY_BAD_PASSPHRASE, what, path,
        "the configured passphrase does not decrypt the private key");
  else
    tlsp_tlsb_fail(
        error, TP_TLS_BUILD_ERROR_KEY_PARSE, what, path,
        "the private key cannot be parsed (truncated or corrupt PEM)");
  return NULL;
}
