/*
 * openssl_autoptr.h — g_autoptr() cleanup functions for the OpenSSL types
 * used by tls_policy, declared once for the whole project (systemd does the
 * same in openssl-util.h).
 *
 * G_DEFINE_AUTOPTR_CLEANUP_FUNC defines static inline functions with fixed
 * names, so a type must be declared exactly once per translation unit:
 * include this header instead of declaring OpenSSL cleanups privately.  Code
 * that cannot avoid a private declaration can test TP_OPENSSL_AUTOPTR.
 *
 * Stacks (STACK_OF(X)) have no plain type name; the TpX509Stack,
 * TpX509CrlStack and TpX509InfoStack typedefs give them one, and their
 * cleanup frees the elements too (sk_*_pop_free).
 *
 * No state, no locking: everything here is a pure type declaration.
 */
#ifndef TLS_POLICY_OPENSSL_AUTOPTR_H
#define TLS_POLICY_OPENSSL_AUTOPTR_H
#define TP_OPENSSL_AUTOPTR 1

#include <glib.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ASN1_INTEGER, ASN1_INTEGER_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ASN1_OBJECT, ASN1_OBJECT_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ASN1_TIME, ASN1_TIME_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BIGNUM, BN_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BIO, BIO_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EVP_MD_CTX, EVP_MD_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EVP_PKEY_CTX, EVP_PKEY_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GENERAL_NAMES, GENERAL_NAMES_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OSSL_PARAM, OSSL_PARAM_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OSSL_PARAM_BLD, OSSL_PARAM_BLD_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SSL, SSL_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SSL_CTX, SSL_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509_CRL, X509_CRL_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509_EXTENSION, X509_EXTENSION_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509_NAME, X509_NAME_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509_REVOKED, X509_REVOKED_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509_STORE, X509_STORE_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509_STORE_CTX, X509_STORE_CTX_free)

typedef STACK_OF(X509) TpX509Stack;
typedef STACK_OF(X509_CRL) TpX509CrlStack;
typedef STACK_OF(X509_INFO) TpX509InfoStack;

static inline void tlsp_x509_stack_free(TpX509Stack *sk)
{
  sk_X509_pop_free(sk, X509_free);
}
static inline void tlsp_x509_crl_stack_free(TpX509CrlStack *sk)
{
  sk_X509_CRL_pop_free(sk, X509_CRL_free);
}
static inline void tlsp_x509_info_stack_free(TpX509InfoStack *sk)
{
  sk_X509_INFO_pop_free(sk, X509_INFO_free);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TpX509Stack, tlsp_x509_stack_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TpX509CrlStack, tlsp_x509_crl_stack_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TpX509InfoStack, tlsp_x509_info_stack_free)

G_END_DECLS

#endif
