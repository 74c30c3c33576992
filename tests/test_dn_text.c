/*
 * test_dn_text.c — unit tests of tlsp_dn_text, the one display text of a
 * certificate name: multi-valued RDNs, UTF-8 and non-UTF-8 string types,
 * special characters, NUL and control bytes, a very long name; and that the
 * text logged for a name, once cleaned, is one printable line.
 */
#include <string.h>
#include <glib.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "tls_policy/dn_text.h"
#include "tls_policy/openssl_autoptr.h"
#include "tls_policy/text_clean.h"
#include "tls_policy/tls_context_build.h"

/* Appends field=value (len bytes, -1: NUL-terminated) as UTF-8; same_rdn
 * joins the previous attribute's RDN. */
static void add(X509_NAME *name, const char *field, const char *value, int len,
                gboolean same_rdn)
{
  g_assert_true(X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                           (const unsigned char *) value, len,
                                           -1, same_rdn ? -1 : 0));
}

static void expect_text(const X509_NAME *name, const char *want)
{
  g_autofree char *got = tlsp_dn_text(name);
  g_assert_nonnull(got);
  g_assert_cmpstr(got, ==, want);
}

static void test_null_and_empty(void)
{
  g_assert_null(tlsp_dn_text(NULL));
  g_autoptr(X509_NAME) empty = X509_NAME_new();
  expect_text(empty, "");
}

static void test_order_and_multi_rdn(void)
{
  g_autoptr(X509_NAME) name = X509_NAME_new();
  add(name, "C", "FI", -1, FALSE);
  add(name, "O", "Acme", -1, FALSE);
  add(name, "CN", "alice", -1, FALSE);
  add(name, "UID", "a1", -1, TRUE);
  /* most specific first, '+' inside the multi-valued RDN */
  expect_text(name, "UID=a1+CN=alice,O=Acme,C=FI");
}

static void test_special_characters(void)
{
  g_autoptr(X509_NAME) name = X509_NAME_new();
  add(name, "O", "Acme, Inc.", -1, FALSE);
  add(name, "OU", "a+b=c", -1, FALSE);
  add(name, "CN", " #eve;\"<x>\\ ", -1, FALSE);
  /* RFC 4514 escapes: ',' '+' ';' '"' '<' '>' '\', a leading space (so
   * the '#' after it is not leading), a trailing space; '=' is kept */
  expect_text(name,
              "CN=\\ #eve\\;\\\"\\<x\\>\\\\\\ ,OU=a\\+b=c,O=Acme\\, Inc.");
  /* a value cannot forge another RDN: the text has one unescaped ',' per
   * RDN boundary */
  g_autoptr(X509_NAME) spoof = X509_NAME_new();
  add(spoof, "CN", "eve,O=Acme+CN=alice", -1, FALSE);
  expect_text(spoof, "CN=eve\\,O=Acme\\+CN=alice");
  g_autoptr(X509_NAME) hash = X509_NAME_new();
  add(hash, "CN", "#04", -1, FALSE);
  expect_text(hash, "CN=\\#04");
}

static void test_utf8(void)
{
  g_autoptr(X509_NAME) name = X509_NAME_new();
  add(name, "L", "Jyv\xc3\xa4skyl\xc3\xa4", -1, FALSE);
  add(name, "CN", "\xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x94\x91", -1, FALSE);
  /* UTF-8 is kept, never written as \C3\A4 */
  expect_text(name, "CN=\xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x94\x91,"
                    "L=Jyv\xc3\xa4skyl\xc3\xa4");

  /* other string types are shown as UTF-8 too: a T61String byte 0xE9 and a
   * BMPString "J\u00f6rg" */
  g_autoptr(X509_NAME) t61 = X509_NAME_new();
  g_assert_true(
      X509_NAME_add_entry_by_NID(t61, NID_commonName, V_ASN1_T61STRING,
                                 (const unsigned char *) "caf\xe9", 4, -1, 0));
  expect_text(t61, "CN=caf\xc3\xa9");
  static const unsigned char bmp[] = {0x00, 'J', 0x00, 0xf6,
                                      0x00, 'r', 0x00, 'g'};
  g_autoptr(X509_NAME) b = X509_NAME_new();
  g_assert_true(X509_NAME_add_entry_by_NID(b, NID_commonName, V_ASN1_BMPSTRING,
                                           bmp, sizeof bmp, -1, 0));
  expect_text(b, "CN=J\xc3\xb6rg");
}

static void test_nul_and_controls(void)
{
  g_autoptr(X509_NAME) name = X509_NAME_new();
  add(name, "C", "FI", -1, FALSE);
  add(name, "CN", "alice\0evil", 10, FALSE);
  /* the NUL is written \00: the text goes on past it and holds no NUL */
  expect_text(name, "CN=alice\\00evil,C=FI");

  g_autoptr(X509_NAME) ctl = X509_NAME_new();
  add(ctl, "CN", "a\nb\rc\x1b[31m\x7f", -1, FALSE);
  g_autofree char *text = tlsp_dn_text(ctl);
  g_assert_nonnull(text);
  for (const char *p = text; *p; p++)
    g_assert_true((unsigned char) *p >= 0x20 && *p != 0x7f);
  g_assert_cmpstr(text, ==, "CN=a\\0Ab\\0Dc\\1B[31m\\7F");
}

static void test_long_name(void)
{
  g_autoptr(X509_NAME) name = X509_NAME_new();
  GString *want = g_string_new(NULL);
  char value[61];

  /* 64 characters, the most an OU may have */
  memset(value, 'v', 60);
  value[60] = '\0';
  for (int i = 0; i < 200; i++)
  {
    g_autofree char *v = g_strdup_printf("%03d-%s", i, value);
    add(name, "OU", v, -1, FALSE);
  }
  /* most specific first: the last added is printed first */
  for (int i = 199; i >= 0; i--)
    g_string_append_printf(want, "%sOU=%03d-%s", i == 199 ? "" : ",", i, value);
  /* the renderer does not cut: bounding is the caller's */
  g_autofree char *text = tlsp_dn_text(name);
  g_assert_nonnull(text);
  g_assert_cmpuint(strlen(text), ==, want->len);
  g_assert_cmpuint(strlen(text), >, 10000);
  g_assert_true(strcmp(text, want->str) == 0);
  g_string_free(want, TRUE);

  /* through the cleaner, as a log field: cut at the bound with "..." */
  g_autofree char *logged = tlsp_text_clean(text, TP_LOG_FIELD_MAX);
  g_assert_cmpuint(strlen(logged), ==, TP_LOG_FIELD_MAX + 3);
  g_assert_true(g_str_has_suffix(logged, "..."));
}

/* What goes to a log: the text through the cleaner is one printable line
 * of valid UTF-8, and a clean name passes the cleaner unchanged apart from
 * the escaped backslashes. */
static void test_cleaned_for_log(void)
{
  g_autoptr(X509_NAME) name = X509_NAME_new();
  add(name, "O", "Acme, Inc.", -1, FALSE);
  add(name, "CN", "caf\xc3\xa9\0x\xc2\x85y'", 11, FALSE);
  g_autofree char *text = tlsp_dn_text(name);
  g_autofree char *logged = tlsp_text_clean(text, TP_LOG_FIELD_MAX);
  g_assert_true(g_utf8_validate(logged, -1, NULL));
  for (const char *p = logged; *p; p++)
    g_assert_true((unsigned char) *p >= 0x20 && *p != 0x7f);
  /* U+0085 (NEL) is a C1 control: the cleaner escapes its bytes */
  g_assert_cmpstr(logged, ==,
                  "CN=caf\xc3\xa9\\x5c00x\\xc2\\x85y\\x27,O=Acme\\x5c, Inc.");
}

/* The server certificate's subject in the status variables is the same
 * text for an ordinary name. */
static void test_same_as_server_cert_subject(void)
{
  g_autoptr(EVP_PKEY) key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  g_assert_nonnull(key);
  g_autoptr(X509) x = X509_new();
  X509_NAME *name = X509_get_subject_name(x);
  add(name, "C", "FI", -1, FALSE);
  add(name, "O", "tls_policy tests, Oy", -1, FALSE);
  add(name, "CN", "localhost", -1, FALSE);
  add(name, "L", "Jyv\xc3\xa4skyl\xc3\xa4", -1, TRUE);
  g_assert_true(X509_set_pubkey(x, key));
  g_assert_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), 0));
  g_assert_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
  g_assert_cmpint(X509_sign(x, key, EVP_sha256()), >, 0);

  tlsp_tls_context_info info;
  memset(&info, 0, sizeof info);
  tlsp_tls_cert_info_fill(x, &info);
  g_autofree char *text = tlsp_dn_text(X509_get_subject_name(x));
  g_assert_cmpstr(info.server_cert_subject, ==, text);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/dn_text/null-and-empty", test_null_and_empty);
  g_test_add_func("/dn_text/order-and-multi-rdn", test_order_and_multi_rdn);
  g_test_add_func("/dn_text/special-characters", test_special_characters);
  g_test_add_func("/dn_text/utf8", test_utf8);
  g_test_add_func("/dn_text/nul-and-controls", test_nul_and_controls);
  g_test_add_func("/dn_text/long-name", test_long_name);
  g_test_add_func("/dn_text/cleaned-for-log", test_cleaned_for_log);
  g_test_add_func("/dn_text/same-as-server-cert-subject",
                  test_same_as_server_cert_subject);
  return g_test_run();
}
