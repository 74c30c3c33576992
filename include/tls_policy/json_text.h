/*
 * json_text.h — JSON string literals from untrusted text, for the JSON the
 * plugin's functions return to its views (views.c, conn_views.c, recheck.c).
 */
#ifndef TLS_POLICY_JSON_TEXT_H
#define TLS_POLICY_JSON_TEXT_H

#include <stddef.h>
#include <glib.h>

/*
 * Appends `len` bytes of `s` as a JSON string literal.  Quote, backslash
 * and every control character are escaped; bytes that are not valid UTF-8
 * become U+FFFD (the text comes from table rows and parser messages, which
 * are UTF-8 by construction, so this only happens on damaged input); an
 * embedded NUL is written as \u0000.
 * A NULL `s` is written as null.
 */
void tlsp_json_append_string(GString *out, const char *s, size_t len);
/* Same for a NUL-terminated string (NULL: null). */
void tlsp_json_append_cstring(GString *out, const char *s);

#endif
