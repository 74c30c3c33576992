/*
 * dn_text.c — the one display text of a certificate name (see dn_text.h).
 */
#include <openssl/bio.h>
#include <openssl/err.h>
#include "tls_policy/openssl_autoptr.h"
#include "tls_policy/dn_text.h"

char *tlsp_dn_text(const X509_NAME *name)
{
  if (name == NULL)
    return NULL;
  g_autoptr(BIO) bio = BIO_new(BIO_s_mem());
  if (bio == NULL || X509_NAME_print_ex(bio, name, 0, TP_DN_TEXT_FLAGS) < 0)
  {
    /* leave no error behind for the next OpenSSL caller of this thread */
    ERR_clear_error();
    return NULL;
  }
  char *data = NULL;
  long n = BIO_get_mem_data(bio, &data);
  /* an empty name prints nothing, and g_strndup(NULL, 0) is NULL */
  if (data == NULL || n <= 0)
    return g_strdup("");
  return g_strndup(data, (gsize) n);
}
