/*
 * test_text_clean.c — the one cleaner of untrusted text for log lines and
 * messages (text_clean.c): fields and whole lines.
 */
#include <string.h>
#include <glib.h>
#include "tls_policy/text_clean.h"

static void check(const char *in, size_t len, size_t max, tlsp_text_mode mode,
                  const char *want)
{
  g_autoptr(GString) out = g_string_new(NULL);
  tlsp_text_append_escaped(out, in, len, max, mode);
  g_assert_cmpstr(out->str, ==, want);
}

static void test_field(void)
{
  check("plain", 5, 64, TP_TEXT_FIELD, "plain");
  check("a'b\\c", 5, 64, TP_TEXT_FIELD, "a\\x27b\\x5cc");
  check("a\nb\r\t", 5, 64, TP_TEXT_FIELD, "a\\x0ab\\x0d\\x09");
  check("a\0b\x7f", 4, 64, TP_TEXT_FIELD, "a\\x00b\\x7f");
  check("caf\xc3\xa9", 5, 64, TP_TEXT_FIELD, "caf\xc3\xa9"); /* UTF-8 kept */
  check("caf\xe9", 4, 64, TP_TEXT_FIELD, "caf\\xe9");        /* invalid */
  check("\xc2\x85", 2, 64, TP_TEXT_FIELD, "\\xc2\\x85");     /* C1 NEL */
  check("a\xe2\x80\xa8"
        "b",
        5, 64, TP_TEXT_FIELD, "a\\xe2\\x80\\xa8b"); /* U+2028 */
  check("abcdef", 6, 3, TP_TEXT_FIELD, "abc...");
  /* a character cut by the bound is escaped, never emitted in part */
  check("\xc3\xa9\xc3\xa9", 4, 3, TP_TEXT_FIELD, "\xc3\xa9\\xc3...");
  check(NULL, 0, 64, TP_TEXT_FIELD, "(null)");
  g_autofree char *c = tlsp_text_clean("x'\n", 64);
  g_assert_cmpstr(c, ==, "x\\x27\\x0a");
  g_autoptr(GString) out = g_string_new(NULL);
  tlsp_text_append_clean(out, "it's", 4, 64);
  g_assert_cmpstr(out->str, ==, "it\\x27s");
}

static void test_line(void)
{
  /* a newline cannot start a forged log line */
  const char *forged =
      "Host 'evil@x\n2026-12-07 14:50:00 0 [ERROR] mariadbd: forged'";
  check(forged, strlen(forged), TP_LOG_LINE_MAX, TP_TEXT_LINE,
        "Host 'evil@x\\x0a2026-12-07 14:50:00 0 [ERROR] mariadbd: forged'");
  check("a\rb\0c\x1b[31m", 10, 64, TP_TEXT_LINE, "a\\x0db\\x00c\\x1b[31m");
  check("caf\xc3\xa9 caf\xe9", 10, 64, TP_TEXT_LINE, "caf\xc3\xa9 caf\\xe9");
  check("\xc2\x85\xe2\x80\xa9", 5, 64, TP_TEXT_LINE,
        "\\xc2\\x85\\xe2\\x80\\xa9");
  /* quote and backslash are kept: a line of cleaned fields is unchanged */
  g_autoptr(GString) field = g_string_new("seen='");
  tlsp_text_append_clean(field, "a'\\\n\xe9", 5, 64);
  g_string_append_c(field, '\'');
  check(field->str, field->len, TP_LOG_LINE_MAX, TP_TEXT_LINE, field->str);
  /* bounded */
  char long_line[TP_LOG_LINE_MAX + 10];
  memset(long_line, 'x', sizeof long_line);
  g_autoptr(GString) out = g_string_new(NULL);
  tlsp_text_append_escaped(out, long_line, sizeof long_line, TP_LOG_LINE_MAX,
                           TP_TEXT_LINE);
  g_assert_cmpuint(out->len, ==, TP_LOG_LINE_MAX + 3);
  g_assert_true(g_str_has_suffix(out->str, "x..."));
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/text-clean/field", test_field);
  g_test_add_func("/text-clean/line", test_line);
  return g_test_run();
}
