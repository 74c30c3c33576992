/*
 * reasons.h — the one vocabulary of decision outcomes.
 *
 * Every login decision ends in exactly one reason code.  TP_REASON_OK admits;
 * every other code denies (or, in REPORT mode, "would deny").  The code's
 * name is what appears in the error log, in the status variable
 * Tls_policy_denied_<name> and in the views; keep names stable, they are a
 * public interface (docs/reference.md lists them).
 *
 * The list is an X-macro so that the enum, the name table and the status
 * variables can never drift apart.
 */
#ifndef TLS_POLICY_REASONS_H
#define TLS_POLICY_REASONS_H

/* clang-format off */
#define TP_REASON_LIST(X)                                                     \
  X(OK,                  "ok",                  "admitted")                   \
  TP_DENY_REASON_LIST(X)
/* clang-format on */

/* Every reason but OK: one status counter each. */
/* clang-format off */
#define TP_DENY_REASON_LIST(X)                                                \
  X(INSECURE_TRANSPORT,  "insecure_transport",  "plain TCP while secure transport is required") \
  X(TLS_UNKNOWN,         "tls_unknown",         "TLS state of the connection could not be established") \
  X(POLICY_NOT_LOADED,   "policy_not_loaded",   "policy table not loaded yet or unreadable") \
  X(POLICY_INVALID,      "policy_invalid",      "the applicable rule does not parse") \
  X(NO_TLS,              "no_tls",              "rule requires TLS, connection is not TLS") \
  X(NO_CLIENT_CERT,      "no_client_cert",      "rule requires a client certificate, none presented") \
  X(CERT_NOT_VERIFIED,   "cert_not_verified",   "client certificate did not verify") \
  X(CIPHER_MISMATCH,     "cipher_mismatch",     "cipher differs from the rule") \
  X(ISSUER_MISMATCH,     "issuer_mismatch",     "certificate issuer differs from the rule") \
  X(SUBJECT_MISMATCH,    "subject_mismatch",    "certificate subject differs from the rule") \
  X(DN_MISMATCH,         "dn_mismatch",         "structured DN comparison failed") \
  X(SAN_MISMATCH,        "san_mismatch",        "no subject alternative name matches the rule") \
  X(FINGERPRINT_MISMATCH,"fingerprint_mismatch","certificate or key fingerprint differs from the pin") \
  X(TLS_VERSION_TOO_LOW, "tls_version_too_low", "TLS protocol version below the rule's minimum") \
  X(CERT_EXPIRING,       "cert_expiring",       "client certificate expires sooner than the rule allows") \
  X(NO_IDENTITY_RULE,    "no_identity_rule",    "tls_cert account has no rule that names a certificate identity") \
  X(INTERNAL_ERROR,      "internal_error",      "internal error while deciding (fail closed)")
/* clang-format on */

typedef enum tlsp_reason {
#define TP_REASON_ENUM(sym, name, text) TP_REASON_##sym,
  TP_REASON_LIST(TP_REASON_ENUM)
#undef TP_REASON_ENUM
      TP_REASON__COUNT
} tlsp_reason;

/* Stable lower-case name ("no_client_cert"); never NULL. */
const char *tlsp_reason_name(tlsp_reason reason);
/* One-line English description; never NULL. */
const char *tlsp_reason_text(tlsp_reason reason);

#endif
