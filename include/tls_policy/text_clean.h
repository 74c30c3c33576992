/*
 * text_clean.h — bounding and cleaning untrusted text before it is logged or
 * shown (certificate names, user names sent by clients, rule texts).
 */
#ifndef TLS_POLICY_TEXT_CLEAN_H
#define TLS_POLICY_TEXT_CLEAN_H

#include <stddef.h>
#include <glib.h>

/* Longest value written into one log field, in bytes, before "...". */
#define TP_LOG_FIELD_MAX 256

/*
 * Appends `len` bytes of `in` to `out`, at most `max` bytes of input: ASCII
 * control characters, DEL, bytes that are not valid UTF-8, backslash and
 * single quote are written as \xNN escapes, so the result is printable, on
 * one line, and unambiguous.  A truncated value ends in "...".  `in` may
 * contain NUL bytes.  NULL `in` appends "(null)".
 */
void tp_text_append_clean(GString *out, const char *in, size_t len, size_t max);

/* Convenience: a newly allocated cleaned copy of a NUL-terminated string. */
char *tp_text_clean(const char *in, size_t max);

#endif
