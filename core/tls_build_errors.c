/*
 * tls_build_errors.c — the error domain of the TLS context build and the
 * one way its messages are made: untrusted text cleaned (text_clean.h) and
 * the OpenSSL error queue drained into the message (nginx ngx_ssl_error).
 *
 * No global state, no locks: every function is reentrant.
 */
#include "tls_build_internal.h"
#include "tls_policy/text_clean.h"

#include <stdarg.h>
#include <string.h>

#include <openssl/err.h>

/* clang-format off */
G_DEFINE_QUARK(tp-tls-build-error-quark, tlsp_tls_build_error)
/* clang-format on */

static const char *const build_error_names[] = {
#define TP_TLS_BUILD_ERROR_NAME(sym, name) name,
    TP_TLS_BUILD_ERROR_LIST(TP_TLS_BUILD_ERROR_NAME)
#undef TP_TLS_BUILD_ERROR_NAME
};

const char *tlsp_tls_build_error_name(int code)
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
void tlsp_tlsb_append_clean(GString *out, const char *s)
{
  tlsp_text_append_escaped(out, s, s ? strlen(s) : 0, TP_MSG_FIELD_MAX,
                           TP_TEXT_LINE);
}

/* A cleaned copy (tlsp_tlsb_append_clean) of `s`, for use as a "%s" argument. */
char *tlsp_tlsb_clean_dup(const char *s)
{
  GString *out = g_string_new(NULL);
  tlsp_tlsb_append_clean(out, s);
  return g_string_free(out, FALSE);
}

/*
 * Append the calling thread's whole OpenSSL error queue to `msg`, between
 * `open` and `close` when it is not empty, and empty the queue (the one
 * helper that does so, like nginx's ngx_ssl_error).
 */
void tlsp_tlsb_append_ssl_errors_in(GString *msg, const char *open,
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
        tlsp_tlsb_append_clean(msg, data);
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

void tlsp_tlsb_append_ssl_errors(GString *msg)
{
  tlsp_tlsb_append_ssl_errors_in(msg, " [openssl: ", "]");
}

/*
 * Set `error` to "<what> '<path>': <reason>[ [openssl: ...]]" and return
 * FALSE.  `what` (and then `path`) may be NULL for messages about no file.
 * Always drains the OpenSSL error queue.
 */
gboolean tlsp_tlsb_fail(GError **error, tlsp_tls_build_error_code code,
                        const char *what, const char *path, const char *fmt,
                        ...)
{
  GString *msg = g_string_new(NULL);
  va_list ap;

  if (what != NULL)
  {
    g_string_append(msg, what);
    if (path != NULL)
    {
      g_string_append(msg, " '");
      tlsp_tlsb_append_clean(msg, path);
      g_string_append_c(msg, '\'');
    }
    g_string_append(msg, ": ");
  }
  va_start(ap, fmt);
  g_string_append_vprintf(msg, fmt, ap);
  va_end(ap);
  tlsp_tlsb_append_ssl_errors(msg);
  g_set_error_literal(error, TP_TLS_BUILD_ERROR, code, msg->str);
  g_string_free(msg, TRUE);
  return FALSE;
}
