/*
 * test_policy_parse.c — unit tests of the Requirement parser: the REQUIRE
 * vocabulary as MariaDB accepts it, the extensions, string literals read as
 * MariaDB reads them, errors (code, offset, message), bounds, canonical text
 * and the predicates.
 */
#include <string.h>
#include <glib.h>
#include <openssl/objects.h>
#include <openssl/tls1.h>

#include "tls_policy/policy.h"
#include "../core/policy_internal.h"

/* Parses `text`, which must be valid. */
static tlsp_requirement *parse_ok(const char *text)
{
  g_autoptr(GError) error = NULL;
  size_t pos = 999;
  tlsp_requirement *req =
      tlsp_requirement_parse(text, strlen(text), &pos, &error);

  if (req == NULL)
    g_error("'%s' did not parse: %s (offset %zu)", text, error->message, pos);
  g_assert_no_error(error);
  return req;
}

/* Parses `text`, which must fail with `code` at `pos`; returns the message. */
static char *parse_fails(const char *text, size_t len, int code,
                         size_t want_pos)
{
  g_autoptr(GError) error = NULL;
  size_t pos = 999;
  tlsp_requirement *req = tlsp_requirement_parse(text, len, &pos, &error);

  if (req != NULL)
  {
    g_autofree char *s = tlsp_requirement_to_string(req);
    tlsp_requirement_free(req);
    g_error("'%.*s' parsed as '%s' but should fail", (int) MIN(len, 200), text,
            s);
  }
  g_assert_error(error, TP_POLICY_PARSE_ERROR, code);
  if (pos != want_pos)
    g_error("'%.*s': error at offset %zu, expected %zu (%s)",
            (int) MIN(len, 200), text, pos, want_pos, error->message);
  return g_strdup(error->message);
}

static void fails(const char *text, int code, size_t want_pos)
{
  g_autofree char *msg = parse_fails(text, strlen(text), code, want_pos);
  g_assert_nonnull(msg);
}

/* parse → canonical text must be `want`, and the canonical text parses to
 * the same canonical text. */
static void canon(const char *text, const char *want)
{
  g_autoptr(tlsp_requirement) req = parse_ok(text);
  g_autofree char *s = tlsp_requirement_to_string(req);
  g_assert_cmpstr(s, ==, want);
  g_autoptr(tlsp_requirement) again = parse_ok(s);
  g_autofree char *s2 = tlsp_requirement_to_string(again);
  g_assert_cmpstr(s2, ==, s);
}

/* The decoded value of the only clause of `text`. */
static void value_is(const char *text, const char *want, size_t want_len)
{
  g_autoptr(tlsp_requirement) req = parse_ok(text);
  g_assert_cmpint(req->kind, ==, TP_REQ_CLAUSES);
  g_assert_cmpuint(req->n_clauses, ==, 1);
  g_assert_cmpuint(req->clauses[0].text_len, ==, want_len);
  g_assert_cmpmem(req->clauses[0].text, req->clauses[0].text_len, want,
                  want_len);
  g_assert_cmpint(req->clauses[0].text[want_len], ==, '\0');
}

static void test_whole_rules(void)
{
  canon("NONE", "NONE");
  canon("  ssl\n", "SSL");
  canon("\tx509\r\n", "X509");
  canon("Exempt", "EXEMPT");

  g_autoptr(tlsp_requirement) none = parse_ok("none");
  g_autoptr(tlsp_requirement) ssl = parse_ok("SSL");
  g_autoptr(tlsp_requirement) x509 = parse_ok("X509");
  g_autoptr(tlsp_requirement) exempt = parse_ok("EXEMPT");
  g_assert_false(tlsp_requirement_needs_tls(none));
  g_assert_false(tlsp_requirement_needs_tls(exempt));
  g_assert_true(tlsp_requirement_needs_tls(ssl));
  g_assert_true(tlsp_requirement_needs_tls(x509));
  g_assert_true(tlsp_requirement_is_exempt(exempt));
  g_assert_false(tlsp_requirement_is_exempt(none));
  g_assert_false(tlsp_requirement_is_exempt(ssl));
  g_assert_false(tlsp_requirement_has_identity(x509));
  g_assert_false(tlsp_requirement_has_identity(none));
}

static void test_whole_rules_alone(void)
{
  /* As in MariaDB: NONE, SSL, X509 are not combined with anything. */
  g_autofree char *m1 =
      parse_fails("NONE AND SSL", 12, TP_POLICY_PARSE_ERROR_SYNTAX, 5);
  g_assert_cmpstr(
      m1, ==,
      "NONE cannot be combined with other clauses: expected end of input "
      "at offset 5, found 'AND'");
  fails("SSL CIPHER 'x'", TP_POLICY_PARSE_ERROR_SYNTAX, 4);
  fails("X509 X509", TP_POLICY_PARSE_ERROR_SYNTAX, 5);
  fails("EXEMPT SSL", TP_POLICY_PARSE_ERROR_SYNTAX, 7);
  fails("NONE EXEMPT", TP_POLICY_PARSE_ERROR_SYNTAX, 5);
  g_autofree char *m2 =
      parse_fails("CIPHER 'x' AND X509", 19, TP_POLICY_PARSE_ERROR_SYNTAX, 15);
  g_assert_cmpstr(m2, ==,
                  "X509 cannot be combined with other clauses (at offset 15)");
  fails("SUBJECT_DN 'CN=a' EXEMPT", TP_POLICY_PARSE_ERROR_SYNTAX, 18);
}

static void test_native_list(void)
{
  /* AND is optional between REQUIRE list elements, as in MariaDB. */
  canon("CIPHER 'AES256-SHA' AND ISSUER '/C=FI/CN=ca' SUBJECT '/C=FI/CN=alice'",
        "CIPHER 'AES256-SHA' AND ISSUER '/C=FI/CN=ca' AND SUBJECT "
        "'/C=FI/CN=alice'");
  canon("subject '/CN=a' issuer '/CN=b' cipher 'c'",
        "CIPHER 'c' AND ISSUER '/CN=b' AND SUBJECT '/CN=a'");
  canon("ISSUER'/CN=b'SUBJECT\"/CN=a\"", "ISSUER '/CN=b' AND SUBJECT '/CN=a'");
  canon("cipher 'x' and subject 'y'", "CIPHER 'x' AND SUBJECT 'y'");

  g_autoptr(tlsp_requirement) issuer = parse_ok("ISSUER '/CN=ca'");
  g_autoptr(tlsp_requirement) subject = parse_ok("SUBJECT '/CN=a'");
  g_autoptr(tlsp_requirement) empty_subject = parse_ok("SUBJECT ''");
  g_autoptr(tlsp_requirement) cipher = parse_ok("CIPHER 'x'");
  g_assert_false(tlsp_requirement_has_identity(issuer));
  g_assert_true(tlsp_requirement_has_identity(subject));
  g_assert_false(tlsp_requirement_has_identity(empty_subject));
  g_assert_false(tlsp_requirement_has_identity(cipher));
  g_assert_true(tlsp_requirement_needs_tls(cipher));
}

static void test_duplicates(void)
{
  g_autofree char *m = parse_fails("ISSUER 'a' ISSUER 'b'", 21,
                                   TP_POLICY_PARSE_ERROR_DUPLICATE, 11);
  g_assert_cmpstr(
      m, ==,
      "duplicate ISSUER at offset 11: the clause may be given only once");
  fails("SUBJECT 'a' AND cipher 'x' AND subject 'a'",
        TP_POLICY_PARSE_ERROR_DUPLICATE, 31);
  fails("CIPHER '' CIPHER ''", TP_POLICY_PARSE_ERROR_DUPLICATE, 10);
  fails("SUBJECT_DN 'CN=a' SUBJECT_DN 'CN=a'", TP_POLICY_PARSE_ERROR_DUPLICATE,
        18);
  fails("MIN_VALIDITY_DAYS 1 MIN_VALIDITY_DAYS 2",
        TP_POLICY_PARSE_ERROR_DUPLICATE, 20);
  fails("FINGERPRINT '"
        "0000000000000000000000000000000000000000000000000000000000000000"
        "' "
        "FINGERPRINT '"
        "0000000000000000000000000000000000000000000000000000000000000000"
        "'",
        TP_POLICY_PARSE_ERROR_DUPLICATE, 79);
  /* several SAN clauses are a conjunction, not a duplicate */
  canon("SAN DNS 'a.example' SAN DNS 'b.example' AND SAN IP '10.0.0.1'",
        "SAN DNS 'a.example' AND SAN DNS 'b.example' AND SAN IP '10.0.0.1'");
}

static void test_syntax_errors(void)
{
  g_autofree char *m0 = parse_fails("", 0, TP_POLICY_PARSE_ERROR_SYNTAX, 0);
  g_assert_cmpstr(m0, ==,
                  "empty requirement: expected NONE, SSL, X509, EXEMPT or a "
                  "clause at offset 0");
  fails(" \t\r\n ", TP_POLICY_PARSE_ERROR_SYNTAX, 5);
  g_autofree char *mnull =
      parse_fails(NULL, 0, TP_POLICY_PARSE_ERROR_SYNTAX, 0);
  g_assert_nonnull(mnull);

  g_autofree char *m1 =
      parse_fails("ISSUER 7", 8, TP_POLICY_PARSE_ERROR_SYNTAX, 7);
  g_assert_cmpstr(
      m1, ==, "expected a quoted string after ISSUER at offset 7, found '7'");
  g_autofree char *m2 =
      parse_fails("ISSUER", 6, TP_POLICY_PARSE_ERROR_SYNTAX, 6);
  g_assert_cmpstr(
      m2, ==,
      "expected a quoted string after ISSUER at offset 6, found end of input");
  g_autofree char *m3 =
      parse_fails("SUBJECT 'abc", 12, TP_POLICY_PARSE_ERROR_SYNTAX, 8);
  g_assert_cmpstr(m3, ==, "unterminated string starting at offset 8");
  fails("SUBJECT 'abc\\'", TP_POLICY_PARSE_ERROR_SYNTAX, 8);
  fails("SUBJECT \"abc'", TP_POLICY_PARSE_ERROR_SYNTAX, 8);
  g_autofree char *m4 =
      parse_fails("REQUIRE SSL", 11, TP_POLICY_PARSE_ERROR_SYNTAX, 0);
  g_assert_true(
      g_str_has_prefix(m4, "expected a clause keyword (CIPHER, ISSUER"));
  g_assert_true(g_str_has_suffix(m4, "at offset 0, found 'REQUIRE'"));
  g_autofree char *m5 =
      parse_fails("CIPHER 'a' AND", 14, TP_POLICY_PARSE_ERROR_SYNTAX, 14);
  g_assert_cmpstr(
      m5, ==, "expected a clause after AND at offset 14, found end of input");
  fails("AND CIPHER 'a'", TP_POLICY_PARSE_ERROR_SYNTAX, 0);
  fails("CIPHER 'a' AND AND ISSUER 'b'", TP_POLICY_PARSE_ERROR_SYNTAX, 15);
  fails("CIPHER 'a' OR ISSUER 'b'", TP_POLICY_PARSE_ERROR_SYNTAX, 11);
  g_autofree char *m6 = parse_fails("CIPHER 'a', ISSUER 'b'", 22,
                                    TP_POLICY_PARSE_ERROR_SYNTAX, 10);
  g_assert_cmpstr(
      m6, ==, "expected AND, a clause or end of input at offset 10, found ','");
  fails("CIPHER 'a' 'b'", TP_POLICY_PARSE_ERROR_SYNTAX, 11);
  g_autofree char *m7 =
      parse_fails("SAN 'a.example'", 15, TP_POLICY_PARSE_ERROR_SYNTAX, 4);
  g_assert_cmpstr(m7, ==,
                  "expected DNS, IP, EMAIL or URI after SAN at offset 4, found "
                  "'\\x27a.example\\x27'");
  fails("SAN MAIL 'a@b'", TP_POLICY_PARSE_ERROR_SYNTAX, 4);
  fails("MIN_VALIDITY_DAYS '30'", TP_POLICY_PARSE_ERROR_SYNTAX, 18);
  fails("MIN_VALIDITY_DAYS -1", TP_POLICY_PARSE_ERROR_SYNTAX, 18);
  fails("MIN_VALIDITY_DAYS 30days", TP_POLICY_PARSE_ERROR_SYNTAX, 20);
  fails("MIN_TLS_VERSION TLSv1", TP_POLICY_PARSE_ERROR_SYNTAX, 16);

  /* the found text is bounded and printable */
  g_autofree char *m8 =
      parse_fails("ISSUER ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOP", 49,
                  TP_POLICY_PARSE_ERROR_SYNTAX, 7);
  g_assert_cmpstr(m8, ==,
                  "expected a quoted string after ISSUER at offset 7, "
                  "found 'ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF...'");
  g_autofree char *m9 =
      parse_fails("SSL \x01", 5, TP_POLICY_PARSE_ERROR_SYNTAX, 4);
  g_assert_cmpstr(
      m9, ==,
      "SSL cannot be combined with other clauses: expected end of input "
      "at offset 4, found '\\x01'");

  /* embedded NUL in the input */
  g_autofree char *m10 =
      parse_fails("SSL\0 AND", 8, TP_POLICY_PARSE_ERROR_SYNTAX, 3);
  g_assert_cmpstr(m10, ==, "NUL byte at offset 3");
  g_autofree char *m11 =
      parse_fails("SUBJECT 'a\0b'", 13, TP_POLICY_PARSE_ERROR_SYNTAX, 10);
  g_assert_nonnull(m11);
}

static void test_strings(void)
{
  /* doubled quotes */
  value_is("SUBJECT 'it''s'", "it's", 4);
  value_is("SUBJECT \"say \"\"hi\"\"\"", "say \"hi\"", 8);
  value_is("SUBJECT \"it's\"", "it's", 4);
  value_is("SUBJECT 'say \"hi\"'", "say \"hi\"", 8);
  value_is("SUBJECT ''", "", 0);
  value_is("SUBJECT \"\"", "", 0);
  /* MariaDB backslash escapes */
  value_is("SUBJECT '\\''", "'", 1);
  value_is("SUBJECT '\\\"'", "\"", 1);
  value_is("SUBJECT \"\\\"\"", "\"", 1);
  value_is("SUBJECT '\\b\\n\\r\\t\\Z'", "\b\n\r\t\032", 5);
  value_is("SUBJECT '\\\\'", "\\", 1);
  value_is("SUBJECT 'a\\%b\\_c'", "a\\%b\\_c", 7);
  value_is("SUBJECT '\\/O=x\\q'", "/O=xq", 5);
  value_is("SUBJECT '/O=Acme\\\\/CN=alice'", "/O=Acme\\/CN=alice", 17);
  /* the LIKE escapes are case-sensitive: \z is z, \B is B */
  value_is("SUBJECT '\\z\\B\\N'", "zBN", 3);
  /* raw control bytes and UTF-8 are kept */
  value_is("SUBJECT 'a\nb\tc\xc3\xa9'", "a\nb\tc\xc3\xa9", 7);
  /* \0 is a NUL: refused */
  g_autofree char *m =
      parse_fails("SUBJECT 'a\\0b'", 14, TP_POLICY_PARSE_ERROR_VALUE, 8);
  g_assert_cmpstr(
      m, ==, "string value starting at offset 8 contains a NUL byte (\\0)");

  /* canonical quoting: ' and \ are backslash-escaped */
  canon("SUBJECT \"it's a \\\\ \"", "SUBJECT 'it\\'s a \\\\ '");
  canon("SUBJECT 'a\\%b'", "SUBJECT 'a\\\\%b'");
  canon("CIPHER 'x\\Zy'", "CIPHER 'x\032y'");
}

static void test_bounds(void)
{
  /* input length */
  g_autoptr(GString) big = g_string_new("SUBJECT '");
  while (big->len < TP_REQ_MAX_INPUT + 1)
    g_string_append_c(big, ' ');
  g_autofree char *m = parse_fails(
      big->str, big->len, TP_POLICY_PARSE_ERROR_TOO_LONG, TP_REQ_MAX_INPUT);
  g_assert_cmpstr(m, ==,
                  "requirement is 16385 bytes long; at most 16384 are allowed");

  /* one value: 4096 bytes fine, 4097 too long */
  g_autoptr(GString) v = g_string_new("SUBJECT '");
  for (guint i = 0; i < TP_REQ_MAX_VALUE; i++)
    g_string_append_c(v, 'a');
  g_string_append_c(v, '\'');
  g_autoptr(tlsp_requirement) ok = parse_ok(v->str);
  g_assert_cmpuint(ok->clauses[0].text_len, ==, TP_REQ_MAX_VALUE);
  g_string_insert_c(v, 9, 'b');
  g_autofree char *m2 =
      parse_fails(v->str, v->len, TP_POLICY_PARSE_ERROR_TOO_LONG, 8);
  g_assert_cmpstr(
      m2, ==, "string value starting at offset 8 is longer than 4096 bytes");
  /* the bound is on the decoded value: 4096 doubled quotes are 4096 bytes */
  g_autoptr(GString) q = g_string_new("SUBJECT '");
  for (guint i = 0; i < TP_REQ_MAX_VALUE; i++)
    g_string_append(q, "''");
  g_string_append_c(q, '\'');
  g_autoptr(tlsp_requirement) ok2 = parse_ok(q->str);
  g_assert_cmpuint(ok2->clauses[0].text_len, ==, TP_REQ_MAX_VALUE);

  /* clause count: 64 fine, 65 too many */
  g_autoptr(GString) c = g_string_new(NULL);
  for (guint i = 0; i < TP_REQ_MAX_CLAUSES; i++)
    g_string_append_printf(c, "%sSAN DNS 'h%u.example'", i ? " AND " : "", i);
  g_autoptr(tlsp_requirement) ok3 = parse_ok(c->str);
  g_assert_cmpuint(ok3->n_clauses, ==, 64);
  size_t at = c->len + 1;
  g_string_append(c, " SAN DNS 'last.example'");
  g_autofree char *m3 =
      parse_fails(c->str, c->len, TP_POLICY_PARSE_ERROR_TOO_LONG, at);
  g_assert_true(g_str_has_prefix(m3, "more than 64 clauses"));

  fails("MIN_VALIDITY_DAYS 36501", TP_POLICY_PARSE_ERROR_VALUE, 18);
  fails("MIN_VALIDITY_DAYS 99999999999999999999999999",
        TP_POLICY_PARSE_ERROR_VALUE, 18);
  canon("MIN_VALIDITY_DAYS 36500", "MIN_VALIDITY_DAYS 36500");
  canon("min_validity_days 0030", "MIN_VALIDITY_DAYS 30");
  canon("MIN_VALIDITY_DAYS 0", "MIN_VALIDITY_DAYS 0");
}

static void test_dn_values(void)
{
  g_autoptr(tlsp_requirement) req = parse_ok(
      "SUBJECT_DN ' CN = alice + UID=a1 , O=Acme\\\\2C Inc\\\\, Ltd,OU=x\\\\ ,"
      "2.5.4.3=b=c/d,1.2.3.4.5=\\\\#x  ,serialNumber=\\\\C3\\\\A9'");
  const tlsp_dn *dn = &req->clauses[0].u.dn;
  g_assert_cmpuint(dn->n_rdns, ==, 6);
  g_assert_cmpuint(dn->rdns[0].n_avas, ==, 2);
  g_assert_cmpint(dn->rdns[0].avas[0].nid, ==, NID_commonName);
  g_assert_cmpstr(dn->rdns[0].avas[0].value, ==, "alice");
  g_assert_cmpint(dn->rdns[0].avas[1].nid, ==, NID_userId);
  g_assert_cmpstr(dn->rdns[0].avas[1].value, ==, "a1");
  g_assert_cmpint(dn->rdns[1].avas[0].nid, ==, NID_organizationName);
  g_assert_cmpstr(dn->rdns[1].avas[0].value, ==, "Acme, Inc, Ltd");
  g_assert_cmpint(dn->rdns[2].avas[0].nid, ==, NID_organizationalUnitName);
  g_assert_cmpstr(dn->rdns[2].avas[0].value, ==, "x ");
  g_assert_cmpint(dn->rdns[3].avas[0].nid, ==, NID_commonName);
  g_assert_cmpstr(dn->rdns[3].avas[0].value, ==, "b=c/d");
  g_assert_cmpint(dn->rdns[4].avas[0].nid, ==, NID_undef);
  g_assert_nonnull(dn->rdns[4].avas[0].obj);
  g_assert_cmpstr(dn->rdns[4].avas[0].value, ==, "#x");
  g_assert_cmpint(dn->rdns[5].avas[0].nid, ==, NID_serialNumber);
  g_assert_cmpstr(dn->rdns[5].avas[0].value, ==, "\xc3\xa9");
  g_assert_true(tlsp_requirement_has_identity(req));

  /* type names are case-insensitive; SN is surname, E is emailAddress */
  g_autoptr(tlsp_requirement) t =
      parse_ok("ISSUER_DN 'cn=a,dc=b,e=c,sn=d,st=e,l=f,c=FI'");
  const tlsp_dn *tdn = &t->clauses[0].u.dn;
  g_assert_cmpint(tdn->rdns[2].avas[0].nid, ==, NID_pkcs9_emailAddress);
  g_assert_cmpint(tdn->rdns[3].avas[0].nid, ==, NID_surname);
  g_assert_false(tlsp_requirement_has_identity(t));

  /* empty DN: zero RDNs */
  g_autoptr(tlsp_requirement) e = parse_ok("SUBJECT_DN '  '");
  g_assert_cmpuint(e->clauses[0].u.dn.n_rdns, ==, 0);
  g_assert_false(tlsp_requirement_has_identity(e));

  fails("SUBJECT_DN 'CN=#04024869'", TP_POLICY_PARSE_ERROR_VALUE, 11);
  fails("SUBJECT_DN 'XX=a'", TP_POLICY_PARSE_ERROR_VALUE, 11);
  fails("SUBJECT_DN 'CN=a;O=b'", TP_POLICY_PARSE_ERROR_VALUE, 11);
  fails("SUBJECT_DN 'CN=a,,O=b'", TP_POLICY_PARSE_ERROR_VALUE, 11);
  fails("SUBJECT_DN 'CN=a,'", TP_POLICY_PARSE_ERROR_VALUE, 11);
  fails("SUBJECT_DN 'CN=a+'", TP_POLICY_PARSE_ERROR_VALUE, 11);
  fails("SUBJECT_DN 'CN'", TP_POLICY_PARSE_ERROR_VALUE, 11);
  fails("SUBJECT_DN '=a'", TP_POLICY_PARSE_ERROR_VALUE, 11);
  fails("SUBJECT_DN 'CN=a\\\\'", TP_POLICY_PARSE_ERROR_VALUE,
        11); /* dangling \ */
  fails("SUBJECT_DN 'CN=a\\\\q'", TP_POLICY_PARSE_ERROR_VALUE, 11); /* \q */
  fails("SUBJECT_DN 'CN=a\\\\4'", TP_POLICY_PARSE_ERROR_VALUE,
        11); /* half hex */
  fails("SUBJECT_DN 'CN=a\\\\00b'", TP_POLICY_PARSE_ERROR_VALUE, 11); /* NUL */
  fails("SUBJECT_DN 'CN=\\\\FF'", TP_POLICY_PARSE_ERROR_VALUE,
        11); /* not UTF-8 */
  fails("SUBJECT_DN 'CN=\"a\"'", TP_POLICY_PARSE_ERROR_VALUE, 11);
  fails("SUBJECT_DN '1.2..3=a'", TP_POLICY_PARSE_ERROR_VALUE, 11);
  fails("SUBJECT_DN '12=a'", TP_POLICY_PARSE_ERROR_VALUE, 11);
  g_autofree char *m =
      parse_fails("SUBJECT_DN 'CN=#00'", 19, TP_POLICY_PARSE_ERROR_VALUE, 11);
  g_assert_cmpstr(
      m, ==,
      "invalid SUBJECT_DN value at offset 11: values in #hex (BER) form are "
      "not supported; write the value as a string at DN offset 3");
}

static void test_san_values(void)
{
  canon("san dns '*.Example.com'", "SAN DNS '*.Example.com'");
  canon("SAN DNS '_srv.example-1.com'", "SAN DNS '_srv.example-1.com'");
  fails("SAN DNS ''", TP_POLICY_PARSE_ERROR_VALUE, 8);
  fails("SAN DNS '*'", TP_POLICY_PARSE_ERROR_VALUE, 8);
  fails("SAN DNS '*.'", TP_POLICY_PARSE_ERROR_VALUE, 8);
  fails("SAN DNS 'a.*.com'", TP_POLICY_PARSE_ERROR_VALUE, 8);
  fails("SAN DNS 'a*.com'", TP_POLICY_PARSE_ERROR_VALUE, 8);
  fails("SAN DNS 'a..com'", TP_POLICY_PARSE_ERROR_VALUE, 8);
  fails("SAN DNS 'a.com.'", TP_POLICY_PARSE_ERROR_VALUE, 8);
  fails("SAN DNS 'a b.com'", TP_POLICY_PARSE_ERROR_VALUE, 8);
  g_autofree char *m =
      parse_fails("SAN DNS 'a/b'", 13, TP_POLICY_PARSE_ERROR_VALUE, 8);
  g_assert_cmpstr(
      m, ==,
      "invalid SAN DNS value at offset 8: invalid character 0x2F in DNS name");

  g_autoptr(tlsp_requirement) ip = parse_ok("SAN IP '10.0.0.0/8'");
  g_assert_cmpint(ip->clauses[0].u.ip.prefix, ==, 8);
  canon("SAN IP '2001:db8::/32'", "SAN IP '2001:db8::/32'");
  canon("SAN IP '::1'", "SAN IP '::1'");
  canon("SAN IP '0.0.0.0/0'", "SAN IP '0.0.0.0/0'");
  fails("SAN IP '10.0.0.1/8'", TP_POLICY_PARSE_ERROR_VALUE, 7);
  fails("SAN IP '10.0.0.0/33'", TP_POLICY_PARSE_ERROR_VALUE, 7);
  fails("SAN IP '10.0.0.0/'", TP_POLICY_PARSE_ERROR_VALUE, 7);
  fails("SAN IP '10.0.0.0/x'", TP_POLICY_PARSE_ERROR_VALUE, 7);
  fails("SAN IP '10.0.0'", TP_POLICY_PARSE_ERROR_VALUE, 7);
  fails("SAN IP 'db.example'", TP_POLICY_PARSE_ERROR_VALUE, 7);
  fails("SAN IP 'fe80::1%eth0'", TP_POLICY_PARSE_ERROR_VALUE, 7);
  fails("SAN IP '2001:db8::1/129'", TP_POLICY_PARSE_ERROR_VALUE, 7);

  g_autoptr(tlsp_requirement) mail =
      parse_ok("SAN EMAIL '\"a@b\"@Example.com'");
  g_assert_cmpuint(mail->clauses[0].u.email.at, ==, 5);
  fails("SAN EMAIL 'alice'", TP_POLICY_PARSE_ERROR_VALUE, 10);
  fails("SAN EMAIL '@example.com'", TP_POLICY_PARSE_ERROR_VALUE, 10);
  fails("SAN EMAIL 'alice@'", TP_POLICY_PARSE_ERROR_VALUE, 10);

  canon("SAN URI 'https://example.com/a?b'",
        "SAN URI 'https://example.com/a?b'");
  fails("SAN URI ''", TP_POLICY_PARSE_ERROR_VALUE, 8);

  g_autoptr(tlsp_requirement) r = parse_ok("SAN URI 'x:y'");
  g_assert_true(tlsp_requirement_has_identity(r));
}

static void test_spiffe_values(void)
{
  g_autoptr(tlsp_requirement) r =
      parse_ok("SPIFFE 'spiffe://Example.org/ns/*/sa/**'");
  const tlsp_clause *c = &r->clauses[0];
  g_assert_cmpstr(c->u.spiffe.trust_domain, ==, "Example.org");
  g_assert_cmpuint(c->u.spiffe.n_segments, ==, 4);
  g_assert_cmpstr(c->u.spiffe.segments[1], ==, "*");
  g_assert_cmpstr(c->u.spiffe.segments[3], ==, "**");
  g_assert_null(c->u.spiffe.segments[4]);
  g_assert_true(tlsp_requirement_has_identity(r));

  g_autoptr(tlsp_requirement) td = parse_ok("SPIFFE 'spiffe://example.org'");
  g_assert_cmpuint(td->clauses[0].u.spiffe.n_segments, ==, 0);

  fails("SPIFFE 'https://example.org/a'", TP_POLICY_PARSE_ERROR_VALUE, 7);
  fails("SPIFFE 'spiffe://'", TP_POLICY_PARSE_ERROR_VALUE, 7);
  fails("SPIFFE 'spiffe:///a'", TP_POLICY_PARSE_ERROR_VALUE, 7);
  fails("SPIFFE 'spiffe://example.org/'", TP_POLICY_PARSE_ERROR_VALUE, 7);
  fails("SPIFFE 'spiffe://example.org/a//b'", TP_POLICY_PARSE_ERROR_VALUE, 7);
  fails("SPIFFE 'spiffe://example.org/a/../b'", TP_POLICY_PARSE_ERROR_VALUE, 7);
  fails("SPIFFE 'spiffe://example.org/a/./b'", TP_POLICY_PARSE_ERROR_VALUE, 7);
  fails("SPIFFE 'spiffe://example.org/**/b'", TP_POLICY_PARSE_ERROR_VALUE, 7);
  fails("SPIFFE 'spiffe://example.org/a*'", TP_POLICY_PARSE_ERROR_VALUE, 7);
  fails("SPIFFE 'spiffe://example.org/a?x=1'", TP_POLICY_PARSE_ERROR_VALUE, 7);
  fails("SPIFFE 'spiffe://example.org:443/a'", TP_POLICY_PARSE_ERROR_VALUE, 7);
  fails("SPIFFE 'spiffe://user@example.org/a'", TP_POLICY_PARSE_ERROR_VALUE, 7);
  fails("SPIFFE 'spiffe://*/a'", TP_POLICY_PARSE_ERROR_VALUE, 7);
  fails("SPIFFE 'spiffe://example.org/a%20b'", TP_POLICY_PARSE_ERROR_VALUE, 7);
  fails("SPIFFE 'spiffe://a' SPIFFE 'spiffe://b'",
        TP_POLICY_PARSE_ERROR_DUPLICATE, 20);
}

static void test_digest_values(void)
{
  static const char hex[] =
      "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
  g_autofree char *plain = g_strdup_printf("FINGERPRINT '%s'", hex);
  g_autoptr(tlsp_requirement) r = parse_ok(plain);
  g_assert_cmpuint(r->clauses[0].u.digest[0], ==, 0x00);
  g_assert_cmpuint(r->clauses[0].u.digest[10], ==, 0xaa);
  g_assert_cmpuint(r->clauses[0].u.digest[31], ==, 0xff);
  g_assert_true(tlsp_requirement_has_identity(r));

  g_autoptr(GString) colons = g_string_new("PUBKEY '");
  for (guint i = 0; i < 64; i += 2)
    g_string_append_printf(colons, "%s%.2s", i ? ":" : "", hex + i);
  g_string_append_c(colons, '\'');
  g_autoptr(tlsp_requirement) r2 = parse_ok(colons->str);
  g_assert_cmpmem(r2->clauses[0].u.digest, 32, r->clauses[0].u.digest, 32);
  g_assert_true(tlsp_requirement_has_identity(r2));

  fails("FINGERPRINT ''", TP_POLICY_PARSE_ERROR_VALUE, 12);
  fails("FINGERPRINT 'abcd'", TP_POLICY_PARSE_ERROR_VALUE, 12);
  g_autofree char *longer = g_strdup_printf("FINGERPRINT '%s00'", hex);
  fails(longer, TP_POLICY_PARSE_ERROR_VALUE, 12);
  g_autofree char *odd = g_strdup_printf("PUBKEY '%.63s'", hex);
  fails(odd, TP_POLICY_PARSE_ERROR_VALUE, 7);
  g_autofree char *bad = g_strdup_printf("PUBKEY '%.62sgg'", hex);
  fails(bad, TP_POLICY_PARSE_ERROR_VALUE, 7);
  g_autofree char *trailing = g_strdup_printf("PUBKEY '%s:'", hex);
  fails(trailing, TP_POLICY_PARSE_ERROR_VALUE, 7);
  g_autofree char *leading = g_strdup_printf("PUBKEY ':%s'", hex);
  fails(leading, TP_POLICY_PARSE_ERROR_VALUE, 7);
  g_autofree char *sha1 = g_strdup_printf("FINGERPRINT '%.40s'", hex);
  g_autofree char *m =
      parse_fails(sha1, strlen(sha1), TP_POLICY_PARSE_ERROR_VALUE, 12);
  g_assert_cmpstr(
      m, ==,
      "invalid FINGERPRINT value at offset 12: expected 64 hex digits "
      "(SHA-256), found 40");
}

static void test_tls_version_values(void)
{
  canon("MIN_TLS_VERSION 'tlsv1.3'", "MIN_TLS_VERSION 'TLSv1.3'");
  canon("MIN_TLS_VERSION \"TLSv1\"", "MIN_TLS_VERSION 'TLSv1'");
  g_autoptr(tlsp_requirement) r = parse_ok("MIN_TLS_VERSION 'TLSv1.1'");
  g_assert_cmpint(r->clauses[0].u.tls_version, ==, TLS1_1_VERSION);
  g_assert_false(tlsp_requirement_has_identity(r));
  g_assert_true(tlsp_requirement_needs_tls(r));
  fails("MIN_TLS_VERSION 'TLSv1.4'", TP_POLICY_PARSE_ERROR_VALUE, 16);
  fails("MIN_TLS_VERSION 'SSLv3'", TP_POLICY_PARSE_ERROR_VALUE, 16);
  fails("MIN_TLS_VERSION ' TLSv1.2'", TP_POLICY_PARSE_ERROR_VALUE, 16);
}

static void test_canonical_order(void)
{
  /* canonical text lists clauses in evaluation order; SANs keep theirs */
  canon(
      "MIN_VALIDITY_DAYS 7 AND SAN URI 'u:b' AND PUBKEY '"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "' SAN DNS 'a.example' SUBJECT_DN 'CN=a' AND CIPHER 'c' and "
      "min_tls_version 'TLSv1.2' "
      "ISSUER_DN 'CN=ca' SPIFFE 'spiffe://td/x' ISSUER 'i' SUBJECT 's' "
      "FINGERPRINT '"
      "1111111111111111111111111111111111111111111111111111111111111111'",
      "CIPHER 'c' AND MIN_TLS_VERSION 'TLSv1.2' AND ISSUER 'i' AND SUBJECT 's' "
      "AND "
      "ISSUER_DN 'CN=ca' AND SUBJECT_DN 'CN=a' AND SAN URI 'u:b' AND SAN DNS "
      "'a.example' AND "
      "SPIFFE 'spiffe://td/x' AND FINGERPRINT "
      "'1111111111111111111111111111111111111111111111111111111111111111' AND "
      "PUBKEY "
      "'0000000000000000000000000000000000000000000000000000000000000000' AND "
      "MIN_VALIDITY_DAYS 7");
  /* values are kept as written (escapes re-quoted) */
  canon("SUBJECT_DN 'CN=a\\\\, b'", "SUBJECT_DN 'CN=a\\\\, b'");
}

/* Every line of the examples block of docs/requirement-grammar.md parses. */
static void test_doc_examples(void)
{
  g_autofree char *path =
      g_build_filename(TP_TEST_SRCDIR, "docs", "requirement-grammar.md", NULL);
  g_autofree char *doc = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true(g_file_get_contents(path, &doc, NULL, &error));
  const char *section = strstr(doc, "## 7. Examples");
  g_assert_nonnull(section);
  const char *start = strstr(section, "```\n");
  g_assert_nonnull(start);
  start += 4;
  const char *end = strstr(start, "```");
  g_assert_nonnull(end);
  g_autofree char *block = g_strndup(start, (gsize) (end - start));
  g_auto(GStrv) lines = g_strsplit(block, "\n", -1);
  guint n = 0;
  for (guint i = 0; lines[i]; i++)
  {
    if (lines[i][0] == '\0')
      continue;
    g_autoptr(tlsp_requirement) req = parse_ok(lines[i]);
    g_assert_true(tlsp_requirement_needs_tls(req) ||
                  req->kind != TP_REQ_CLAUSES);
    n++;
  }
  g_assert_cmpuint(n, >=, 10);
}

static void test_error_quark(void)
{
  g_assert_cmpstr(g_quark_to_string(TP_POLICY_PARSE_ERROR), ==,
                  "tp-policy-parse-error-quark");
  g_autoptr(GError) error = NULL;
  g_assert_null(tlsp_requirement_parse("SSL AND", 7, NULL, &error));
  g_assert_true(error->domain == TP_POLICY_PARSE_ERROR);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/policy/parse/whole-rules", test_whole_rules);
  g_test_add_func("/policy/parse/whole-rules-alone", test_whole_rules_alone);
  g_test_add_func("/policy/parse/native-list", test_native_list);
  g_test_add_func("/policy/parse/duplicates", test_duplicates);
  g_test_add_func("/policy/parse/syntax-errors", test_syntax_errors);
  g_test_add_func("/policy/parse/strings", test_strings);
  g_test_add_func("/policy/parse/bounds", test_bounds);
  g_test_add_func("/policy/parse/dn", test_dn_values);
  g_test_add_func("/policy/parse/san", test_san_values);
  g_test_add_func("/policy/parse/spiffe", test_spiffe_values);
  g_test_add_func("/policy/parse/digest", test_digest_values);
  g_test_add_func("/policy/parse/tls-version", test_tls_version_values);
  g_test_add_func("/policy/parse/canonical-order", test_canonical_order);
  g_test_add_func("/policy/parse/doc-examples", test_doc_examples);
  g_test_add_func("/policy/parse/error-quark", test_error_quark);
  return g_test_run();
}
