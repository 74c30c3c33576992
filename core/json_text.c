/*
 * json_text.c — writing untrusted text as JSON string literals (see
 * json_text.h).
 */
#include <string.h>
#include "tls_policy/json_text.h"

void tlsp_json_append_string(GString *out, const char *s, size_t len)
{
  if (!s)
  {
    g_string_append(out, "null");
    return;
  }
  const char *p = s, *end = s + len;
  g_string_append_c(out, '"');
  while (p < end)
  {
    unsigned char c = (unsigned char) *p;
    if (c >= 0x80)
    {
      gunichar u = g_utf8_get_char_validated(p, end - p);
      if (u == (gunichar) -1 || u == (gunichar) -2 ||
          (u >= 0xd800 && u <= 0xdfff))
      {
        g_string_append(out, "\\ufffd");
        p++;
      }
      else
      {
        const char *next = g_utf8_next_char(p);
        g_string_append_len(out, p, next - p);
        p = next;
      }
      continue;
    }
    switch (c)
    {
    case '"':
      g_string_append(out, "\\\"");
      break;
    case '\\':
      g_string_append(out, "\\\\");
      break;
    case '\n':
      g_string_append(out, "\\n");
      break;
    case '\r':
      g_string_append(out, "\\r");
      break;
    case '\t':
      g_string_append(out, "\\t");
      break;
    case '\b':
      g_string_append(out, "\\b");
      break;
    case '\f':
      g_string_append(out, "\\f");
      break;
    default:
      if (c < 0x20 || c == 0x7f)
        g_string_append_printf(out, "\\u%04x", c);
      else
        g_string_append_c(out, (char) c);
    }
    p++;
  }
  g_string_append_c(out, '"');
}

void tlsp_json_append_cstring(GString *out, const char *s)
{
  tlsp_json_append_string(out, s, s ? strlen(s) : 0);
}
