/*
 * dn_text.h — the one display text of a certificate name (X509_NAME), for
 * every place that shows a DN to a person: the detail of a denial line,
 * mysql.tls_policy_connections.Cert_subject_dn, the server certificate's
 * subject in the status variables.
 *
 * The form is RFC 4514 as OpenSSL prints it with TP_DN_TEXT_FLAGS: the most
 * specific RDN first, ',' between RDNs, '+' inside a multi-valued RDN,
 * special characters of a value escaped with '\', every value converted to
 * UTF-8 and kept as UTF-8, control characters (NUL included) written as
 * \XX, so the text has no NUL byte.  It is not bounded and not cleaned:
 * certificate values are attacker-chosen, so a caller that logs it passes
 * it through the project's cleaner (text_clean.h) and a view writes it as
 * JSON (json_text.h).
 *
 * This is a display form, not a comparison form: REQUIRE SUBJECT/ISSUER and
 * the SUBJECT/ISSUER clauses compare X509_NAME_oneline(), SUBJECT_DN and
 * ISSUER_DN compare attribute by attribute (policy_match.c).
 *
 * Pure: no state, safe from any thread.
 */
#ifndef TLS_POLICY_DN_TEXT_H
#define TLS_POLICY_DN_TEXT_H

#include <glib.h>
#include <openssl/asn1.h>
#include <openssl/x509.h>

/* RFC 2253/4514 printing with UTF-8 kept (not escaped as \XX). */
#define TP_DN_TEXT_FLAGS (XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB)

/*
 * The display text of `name` (see above), newly allocated (g_free); "" for
 * a name without attributes.  NULL when `name` is NULL or OpenSSL cannot
 * print it (a value that does not convert to UTF-8).
 */
char *tlsp_dn_text(const X509_NAME *name);

#endif
