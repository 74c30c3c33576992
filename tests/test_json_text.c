/* test_json_text.c — JSON string literals from untrusted text. */
#include <string.h>
#include <glib.h>
#include "tls_policy/json_text.h"

static void check(const char *in, size_t len, const char *want)
{
  g_autoptr(GString) out = g_string_new(NULL);
  tlsp_json_append_string(out, in, len);
  g_assert_cmpstr(out->str, ==, want);
}

static void test_escapes(void)
{
  check("plain", 5, "\"plain\"");
  check("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
  check("\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"");
  check("a\0b", 3, "\"a\\u0000b\"");
  check("\x01\x7f", 2, "\"\\u0001\\u007f\"");
  check("caf\xc3\xa9", 5, "\"caf\xc3\xa9\""); /* valid UTF-8 kept */
  check("caf\xe9", 4, "\"caf\\ufffd\"");      /* invalid byte replaced */
  check("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
  check(NULL, 0, "null");
  g_autoptr(GString) out = g_string_new(NULL);
  tlsp_json_append_cstring(out, NULL);
  tlsp_json_append_cstring(out, "x");
  g_assert_cmpstr(out->str, ==, "null\"x\"");
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/json/escapes", test_escapes);
  return g_test_run();
}
