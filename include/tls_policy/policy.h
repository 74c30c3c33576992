/*
 * policy.h — the Requirement language: parsing and evaluation of one rule.
 *
 * A Requirement is the text that follows REQUIRE in CREATE USER (NONE, SSL,
 * X509, CIPHER/ISSUER/SUBJECT with optional AND), extended by tls_policy
 * (structured DNs, SANs, SPIFFE IDs, fingerprint pins, minimum TLS version,
 * minimum remaining certificate validity, EXEMPT).  docs/requirement-grammar.md
 * is the grammar.
 *
 * A parsed tlsp_requirement is immutable and may be read by any number of
 * threads at once.  Parsing never reads global state.
 */
#ifndef TLS_POLICY_POLICY_H
#define TLS_POLICY_POLICY_H

#include <stddef.h>
#include <glib.h>
#include "tls_policy/facts.h"
#include "tls_policy/reasons.h"

G_BEGIN_DECLS

typedef struct tlsp_requirement tlsp_requirement;

#define TP_POLICY_PARSE_ERROR (tlsp_policy_parse_error_quark())
GQuark tlsp_policy_parse_error_quark(void);

typedef enum {
  TP_POLICY_PARSE_ERROR_SYNTAX, /* unexpected token, unterminated string */
  TP_POLICY_PARSE_ERROR_DUPLICATE, /* a clause given twice where REQUIRE forbids it */
  TP_POLICY_PARSE_ERROR_VALUE,    /* a value that is not valid for its clause */
  TP_POLICY_PARSE_ERROR_TOO_LONG, /* input or value beyond the documented bounds */
} tlsp_policy_parse_error_code;

/*
 * Parse `len` bytes of `text` (not necessarily NUL-terminated; embedded NUL
 * bytes are an error).  Returns NULL and sets `error` (and *error_pos, the
 * 0-based byte offset where parsing failed, if error_pos is non-NULL) when
 * the text is not a valid Requirement.
 */
tlsp_requirement *tlsp_requirement_parse(const char *text, size_t len,
                                         size_t *error_pos, GError **error);
void tlsp_requirement_free(tlsp_requirement *req);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(tlsp_requirement, tlsp_requirement_free)

/* Canonical text of the rule (keywords upper case, values re-quoted). */
char *tlsp_requirement_to_string(const tlsp_requirement *req);

/* EXEMPT: the account is exempt from the global secure-transport rule. */
gboolean tlsp_requirement_is_exempt(const tlsp_requirement *req);
/* Names a certificate identity (SUBJECT, SUBJECT_DN, SAN, SPIFFE, FINGERPRINT
 * or PUBKEY): the precondition for a tls_cert password-less login. */
gboolean tlsp_requirement_has_identity(const tlsp_requirement *req);
/* Needs TLS facts to be decided (anything but NONE / EXEMPT). */
gboolean tlsp_requirement_needs_tls(const tlsp_requirement *req);

/*
 * Decide one rule for one login.  Returns TP_REASON_OK when satisfied, else
 * the reason of the first failed clause, in the same order as the server's
 * native acl_check_ssl() for the REQUIRE vocabulary.  When `detail` is
 * non-NULL, a short description of what was seen is appended on failure
 * (unsanitized; the caller bounds and cleans it before logging).
 * tls_state TP_TLS_UNKNOWN yields TP_REASON_TLS_UNKNOWN for any rule that
 * needs TLS.
 */
tlsp_reason tlsp_requirement_evaluate(const tlsp_requirement *req,
                                      const tlsp_login *login, GString *detail);

G_END_DECLS

#endif
