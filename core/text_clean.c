/*
 * text_clean.c — the project's one cleaner of untrusted text for log lines
 * and messages (see text_clean.h).  Certificate fields, client-sent names,
 * table rows and file paths can hold anything, including NUL bytes,
 * newlines and invalid UTF-8; PostgreSQL's verify_cb shows the same care.
 */
#include <string.h>
#include "tls_policy/text_clean.h"

/* A character that must not reach a log line as is: C0/C1 controls and DEL
 * (g_unichar_iscntrl) and the Unicode line and paragraph separators. */
static gboolean breaks_line(gunichar ch)
{
  return g_unichar_iscntrl(ch) || ch == 0x2028 || ch == 0x2029;
}

void tlsp_text_append_escaped(GString *out, const char *in, size_t len,
                              size_t max, tlsp_text_mode mode)
{
  if (!in)
  {
    g_string_append(out, "(null)");
    return;
  }
  gboolean truncated = len > max;
  const char *p = in;
  const char *end = in + (truncated ? max : len);
  while (p < end)
  {
    unsigned char c = (unsigned char) *p;
    if (c >= 0x20 && c < 0x7f &&
        (mode == TP_TEXT_LINE || (c != '\\' && c != '\'')))
    {
      g_string_append_c(out, (char) c);
      p++;
      continue;
    }
    if (c >= 0x80)
    {
      /* A whole, valid multi-byte UTF-8 character is kept as is. */
      gunichar ch = g_utf8_get_char_validated(p, end - p);
      if (ch != (gunichar) -1 && ch != (gunichar) -2 && !breaks_line(ch))
      {
        const char *next = g_utf8_next_char(p);
        g_string_append_len(out, p, next - p);
        p = next;
        continue;
      }
    }
    g_string_append_printf(out, "\\x%02x", c);
    p++;
  }
  if (truncated)
    g_string_append(out, "...");
}

void tlsp_text_append_clean(GString *out, const char *in, size_t len,
                            size_t max)
{
  tlsp_text_append_escaped(out, in, len, max, TP_TEXT_FIELD);
}

char *tlsp_text_clean(const char *in, size_t max)
{
  GString *out = g_string_new(NULL);
  tlsp_text_append_clean(out, in, in ? strlen(in) : 0, max);
  return g_string_free(out, FALSE);
}
