/*
 * text_clean.h — the one cleaner that bounds untrusted text before it is
 * logged or put into a message (certificate names, user names sent by
 * clients, rule texts, table rows, file paths).
 *
 * Every error-log line of the plugin passes through it: report.c's
 * tlsp_log_note/warning/error clean the whole formatted message
 * (TP_TEXT_LINE), so no caller can put a line break or a control character
 * into the log; values inside '...' in a line are cleaned one by one
 * (TP_TEXT_FIELD) so that they stay unambiguous.  JSON for the views is
 * written by json_text.h, which escapes for JSON instead.
 */
#ifndef TLS_POLICY_TEXT_CLEAN_H
#define TLS_POLICY_TEXT_CLEAN_H

#include <stddef.h>
#include <glib.h>

/* Longest value written into one log field, in bytes, before "...". */
#define TP_LOG_FIELD_MAX 256
/* Longest log message, in bytes of input, before "...": the server writes
 * at most 511 bytes of a message (ERRMSGSIZE), "tls_policy: " included. */
#define TP_LOG_LINE_MAX 496

typedef enum tlsp_text_mode {
  /* A value shown between quotes: backslash and single quote are escaped
   * too, so the value and its end are unambiguous. */
  TP_TEXT_FIELD,
  /* A whole line: backslash and quote are kept, so text already cleaned
   * as fields passes unchanged. */
  TP_TEXT_LINE,
} tlsp_text_mode;

/*
 * Appends `len` bytes of `in` to `out`, at most `max` bytes of input: ASCII
 * and C1 control characters, DEL, U+2028/U+2029, bytes that are not valid
 * UTF-8 (and, in TP_TEXT_FIELD mode, backslash and single quote) are
 * written as \xNN escapes (one per byte), so the result is printable and on
 * one line.  Other UTF-8 is kept.  A truncated value ends in "...".  `in`
 * may contain NUL bytes.  NULL `in` appends "(null)".
 */
void tlsp_text_append_escaped(GString *out, const char *in, size_t len,
                              size_t max, tlsp_text_mode mode);

/* tlsp_text_append_escaped(..., TP_TEXT_FIELD). */
void tlsp_text_append_clean(GString *out, const char *in, size_t len,
                            size_t max);

/* Convenience: a newly allocated TP_TEXT_FIELD-cleaned copy of a
 * NUL-terminated string. */
char *tlsp_text_clean(const char *in, size_t max);

#endif
