/*
 * test_account_match.c — unit tests of account_match.c: host pattern
 * validation, matching against logins, and the server's account order.
 *
 * The wildcard matcher is cross-checked against verbatim copies of the
 * server's wild_case_compare() (sql/sql_acl.cc) and wild_compare()
 * (mysys/mf_wcomp.c, str_is_pattern = 0) below, with the SQL wildcards that
 * sql/init.cc installs.  Expected magic numbers were computed by hand from
 * get_magic_sort() (sql/sql_acl_getsort.inl) with max_hostname_length 255.
 */
#include <string.h>
#include <glib.h>

#include "tls_policy/account_match.h"

/* ---- reference: the server's matchers, copied ------------------------- */

static const char ref_many = '%', ref_one = '_', ref_prefix = '\\';

static int ref_wild_case_compare(const char *str, const char *wildstr)
{
  int flag;
  while (*wildstr)
  {
    while (*wildstr && *wildstr != ref_many && *wildstr != ref_one)
    {
      if (*wildstr == ref_prefix && wildstr[1])
        wildstr++;
      if (g_ascii_toupper(*wildstr++) != g_ascii_toupper(*str++))
        return 1;
    }
    if (!*wildstr)
      return (*str != 0);
    if (*wildstr++ == ref_one)
    {
      if (!*str++)
        return 1;
    }
    else
    {
      if (!*wildstr)
        return 0;
      flag = (*wildstr != ref_many && *wildstr != ref_one);
      do
      {
        if (flag)
        {
          char cmp;
          if ((cmp = *wildstr) == ref_prefix && wildstr[1])
            cmp = wildstr[1];
          cmp = g_ascii_toupper(cmp);
          while (*str && g_ascii_toupper(*str) != cmp)
            str++;
          if (!*str)
            return 1;
        }
        if (ref_wild_case_compare(str, wildstr) == 0)
          return 0;
      } while (*str++);
      return 1;
    }
  }
  return (*str != '\0');
}

static int ref_wild_compare(const char *str, const char *wildstr)
{
  char cmp;
  while (*wildstr)
  {
    while (*wildstr && *wildstr != ref_many && *wildstr != ref_one)
    {
      if (*wildstr == ref_prefix && wildstr[1])
        wildstr++;
      if (*wildstr++ != *str++)
        return 1;
    }
    if (!*wildstr)
      return (*str != 0);
    if (*wildstr++ == ref_one)
    {
      if (!*str)
        return 1;
      str++;
    }
    else
    {
      for (; *wildstr == ref_many || *wildstr == ref_one; wildstr++)
        if (*wildstr == ref_one)
        {
          if (!*str++)
            return 1;
        }
      if (!*wildstr)
        return 0;
      if ((cmp = *wildstr) == ref_prefix && wildstr[1])
        cmp = wildstr[1];
      for (;; str++)
      {
        while (*str && *str != cmp)
          str++;
        if (!*str)
          return 1;
        if (ref_wild_compare(str, wildstr) == 0)
          return 0;
      }
    }
  }
  return (*str != 0);
}

/* ---- helpers ---------------------------------------------------------- */

static tlsp_account *mk_account(const char *host, const char *user)
{
  g_autoptr(GError) error = NULL;
  tlsp_account *a = tlsp_account_new(host, user, &error);
  g_assert_no_error(error);
  g_assert_nonnull(a);
  return a;
}

static gboolean host_matches(const char *pattern, const char *host,
                             const char *ip)
{
  g_autoptr(tlsp_account) a = mk_account(pattern, "u");
  return tlsp_account_matches_host(a, host, ip);
}

static void assert_invalid(const char *host, const char *user, gint code,
                           const char *message_part)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(tlsp_account) a = tlsp_account_new(host, user, &error);
  g_assert_null(a);
  g_assert_error(error, TP_ACCOUNT_ERROR, code);
  if (message_part && !strstr(error->message, message_part))
    g_error("message '%s' lacks '%s'", error->message, message_part);
}

static gint acct_ptr_compare(gconstpointer a, gconstpointer b)
{
  return tlsp_account_compare(*(tlsp_account *const *) a,
                              *(tlsp_account *const *) b);
}

/* Sorts the given hosts (all for `user`) and checks the result, given in
 * expected order, element by element. */
static void assert_order(const char *user, const char *const *expected, gsize n)
{
  g_autoptr(GPtrArray) arr =
      g_ptr_array_new_with_free_func((GDestroyNotify) tlsp_account_free);
  /* Insert in reverse and rotated order so that sorting has work to do. */
  for (gsize i = 0; i < n; i++)
    g_ptr_array_add(arr, mk_account(expected[(n - 1 - i + n / 2) % n], user));
  g_ptr_array_sort(arr, acct_ptr_compare);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpstr(tlsp_account_host(g_ptr_array_index(arr, i)), ==,
                    expected[i]);
}

/* ---- wildcard matching ------------------------------------------------ */

static void test_host_wildcard(void)
{
  g_assert_true(tlsp_wild_case_match("anything", "%"));
  g_assert_true(tlsp_wild_case_match("", "%"));
  g_assert_false(tlsp_wild_case_match("", "_"));
  g_assert_true(tlsp_wild_case_match("db1.example.com", "db_.example.com"));
  g_assert_false(tlsp_wild_case_match("db12.example.com", "db_.example.com"));
  g_assert_true(tlsp_wild_case_match("DB1.Example.COM", "db1.example.com"));
  g_assert_true(tlsp_wild_case_match("a.b.example.com", "%.example.com"));
  g_assert_false(tlsp_wild_case_match("example.com", "%.example.com"));
  g_assert_true(tlsp_wild_case_match("app-7.prod", "app-%.prod"));
  g_assert_false(tlsp_wild_case_match("app-7.prod.x", "app-%.prod"));
  /* '\' makes the next byte literal. */
  g_assert_true(tlsp_wild_case_match("a_b", "a\\_b"));
  g_assert_false(tlsp_wild_case_match("axb", "a\\_b"));
  g_assert_true(tlsp_wild_case_match("50%", "50\\%"));
  g_assert_false(tlsp_wild_case_match("500", "50\\%"));
  /* A trailing '\' is a literal backslash. */
  g_assert_true(tlsp_wild_case_match("a\\", "a\\"));
  g_assert_false(tlsp_wild_case_match("a", "a\\"));
  /* '_' is one byte, not one character (é is two bytes in UTF-8). */
  g_assert_false(tlsp_wild_case_match("caf\xc3\xa9", "caf_"));
  g_assert_true(tlsp_wild_case_match("caf\xc3\xa9", "caf__"));
  /* Only ASCII folds, as utf8mb3's to_upper table. */
  g_assert_false(tlsp_wild_case_match("\xc3\x89", "\xc3\xa9"));
  /* The IP comparison is case-sensitive. */
  g_assert_true(tlsp_wild_match("fd00::1", "fd00::%"));
  g_assert_false(tlsp_wild_match("FD00::1", "fd00::%"));
  g_assert_true(tlsp_wild_case_match("FD00::1", "fd00::%"));
}

static void test_host_wildcard_reference(void)
{
  /* Exhaustive-ish random cross-check against the server's own code; a
   * fixed seed keeps failures reproducible. */
  static const char alphabet[] = "aAb%_\\.";
  g_autoptr(GRand) rand = g_rand_new_with_seed(20240611);
  char pat[12], str[14];
  guint matches = 0;

  for (int iter = 0; iter < 300000; iter++)
  {
    int pl = g_rand_int_range(rand, 0, (gint32) sizeof pat);
    int sl = g_rand_int_range(rand, 0, (gint32) sizeof str);
    for (int i = 0; i < pl; i++)
      pat[i] =
          alphabet[g_rand_int_range(rand, 0, (gint32) sizeof alphabet - 1)];
    pat[pl] = '\0';
    for (int i = 0; i < sl; i++)
      str[i] =
          alphabet[g_rand_int_range(rand, 0, (gint32) sizeof alphabet - 1)];
    str[sl] = '\0';

    gboolean want_ci = ref_wild_case_compare(str, pat) == 0;
    gboolean want_cs = ref_wild_compare(str, pat) == 0;
    if (tlsp_wild_case_match(str, pat) != want_ci)
      g_error("wild_case_compare('%s', '%s') = %d, ours differs", str, pat,
              want_ci);
    if (tlsp_wild_match(str, pat) != want_cs)
      g_error("wild_compare('%s', '%s') = %d, ours differs", str, pat, want_cs);
    matches += want_ci ? 1u : 0u;
  }
  /* The sample must exercise both outcomes. */
  g_assert_cmpuint(matches, >, 1000);
}

static void test_host_wildcard_no_blowup(void)
{
  /* A pattern that makes a recursive backtracker exponential; this must
   * simply answer (no time threshold: a hang would time the test out). */
  GString *pat = g_string_new(NULL);
  for (int i = 0; i < 60; i++)
    g_string_append(pat, "%a");
  g_string_append(pat, "%b");
  g_autofree char *str = g_strnfill(250, 'a');
  g_assert_false(tlsp_wild_case_match(str, pat->str));
  g_string_free(pat, TRUE);
}

/* ---- normalisation and validation ------------------------------------- */

static void test_host_normalize(void)
{
  g_autoptr(tlsp_account) a = mk_account("LocalHost", "alice");
  g_assert_cmpstr(tlsp_account_host(a), ==, "localhost");
  g_assert_cmpstr(tlsp_account_user(a), ==, "alice");
  g_assert_cmpint(tlsp_account_host_kind(a), ==, TP_HOST_WILDCARD);

  g_autoptr(tlsp_account) e = mk_account("", "bob");
  g_assert_cmpstr(tlsp_account_host(e), ==, "%");
  g_autoptr(tlsp_account) n = mk_account(NULL, NULL);
  g_assert_cmpstr(tlsp_account_host(n), ==, "%");
  g_assert_cmpstr(tlsp_account_user(n), ==, "");
  g_assert_cmpuint(tlsp_account_sort(e), ==,
                   tlsp_account_sort_value("%", "bob"));

  g_autoptr(tlsp_account) v6 = mk_account("FD00::1", "u");
  g_assert_cmpstr(tlsp_account_host(v6), ==, "fd00::1");
  g_assert_true(tlsp_account_matches_host(v6, NULL, "fd00::1"));
}

static void test_host_invalid(void)
{
  assert_invalid("db@example.com", "u", TP_ACCOUNT_ERROR_HOST_CHARACTER, "'@'");
  assert_invalid("\xff\xfe", "u", TP_ACCOUNT_ERROR_HOST_CHARACTER, "UTF-8");
  g_autofree char *long_host = g_strnfill(256, 'h');
  assert_invalid(long_host, "u", TP_ACCOUNT_ERROR_HOST_TOO_LONG, "255 bytes");
  g_autofree char *max_host = g_strnfill(255, 'h');
  g_autoptr(tlsp_account) ok = mk_account(max_host, "u");
  g_assert_nonnull(ok);

  assert_invalid("10.0.0.1/8", "u", TP_ACCOUNT_ERROR_HOST_ADDRESS,
                 "outside the /8");
  assert_invalid("10.0.0.0/33", "u", TP_ACCOUNT_ERROR_HOST_ADDRESS, "1..32");
  assert_invalid("10.0.0.0/0", "u", TP_ACCOUNT_ERROR_HOST_ADDRESS, "1..32");
  assert_invalid("10.0.0.0/", "u", TP_ACCOUNT_ERROR_HOST_ADDRESS, "1..32");
  assert_invalid("10.0.0.0/+8", "u", TP_ACCOUNT_ERROR_HOST_ADDRESS, "1..32");
  assert_invalid("0.0.0.0/0.0.0.0", "u", TP_ACCOUNT_ERROR_HOST_ADDRESS,
                 "0.0.0.0 is not allowed");
  assert_invalid("192.168.1.5/255.255.255.0", "u",
                 TP_ACCOUNT_ERROR_HOST_ADDRESS, "outside the netmask");
  assert_invalid("192.168.1.%/255.255.255.0", "u",
                 TP_ACCOUNT_ERROR_HOST_ADDRESS, "'/' is allowed only");
  assert_invalid("256.0.0.0/8", "u", TP_ACCOUNT_ERROR_HOST_ADDRESS,
                 "'/' is allowed only");
  assert_invalid("a/b", "u", TP_ACCOUNT_ERROR_HOST_ADDRESS,
                 "'/' is allowed only");
  assert_invalid(" 10.0.0.0/8", "u", TP_ACCOUNT_ERROR_HOST_ADDRESS,
                 "'/' is allowed only");
  assert_invalid("fd00::1/8", "u", TP_ACCOUNT_ERROR_HOST_ADDRESS,
                 "outside the /8");
  assert_invalid("fd00::/129", "u", TP_ACCOUNT_ERROR_HOST_ADDRESS, "1..128");
  assert_invalid("fd00::/0", "u", TP_ACCOUNT_ERROR_HOST_ADDRESS, "1..128");
  assert_invalid("fd00::%/8", "u", TP_ACCOUNT_ERROR_HOST_ADDRESS,
                 "'/' is allowed only");

  g_autofree char *long_user = g_strnfill(129, 'u');
  assert_invalid("%", long_user, TP_ACCOUNT_ERROR_USER_TOO_LONG, "128");
  assert_invalid("%", "\xc3", TP_ACCOUNT_ERROR_USER_CHARACTER, "UTF-8");
  /* 128 two-byte characters are fine: the limit is in characters. */
  GString *u = g_string_new(NULL);
  for (int i = 0; i < 128; i++)
    g_string_append(u, "\xc3\xa9");
  g_autoptr(tlsp_account) uok = mk_account("%", u->str);
  g_assert_nonnull(uok);
  g_string_free(u, TRUE);

  /* Trailing spaces: the server drops them from stored account names, and
   * the table's PAD SPACE collation hides them; the row is refused. */
  assert_invalid("%", "ts ", TP_ACCOUNT_ERROR_TRAILING_SPACE,
                 "ends in a space");
  assert_invalid("%", " ", TP_ACCOUNT_ERROR_TRAILING_SPACE, "ends in a space");
  assert_invalid("% ", "ts", TP_ACCOUNT_ERROR_TRAILING_SPACE,
                 "ends in a space");
  assert_invalid("localhost  ", "ts", TP_ACCOUNT_ERROR_TRAILING_SPACE,
                 "ends in a space");
  /* leading and inner spaces, and other trailing blanks, are kept as the
   * server keeps them */
  g_autoptr(tlsp_account) lead = mk_account("%", " lead");
  g_assert_nonnull(lead);
  g_autoptr(tlsp_account) inner = mk_account("%", "sp x");
  g_assert_nonnull(inner);
  g_autoptr(tlsp_account) tab = mk_account("%", "ts\t");
  g_assert_nonnull(tab);
  g_autoptr(tlsp_account) lead_host = mk_account("  x", "u");
  g_assert_nonnull(lead_host);
}

static void test_host_fail_closed(void)
{
  g_autoptr(tlsp_account) bad =
      tlsp_account_new_fail_closed("10.0.0.1/8", "alice");
  g_assert_cmpint(tlsp_account_host_kind(bad), ==, TP_HOST_INVALID);
  g_assert_true(tlsp_account_matches_host(bad, "localhost", NULL));
  g_assert_true(tlsp_account_matches_host(bad, NULL, "203.0.113.9"));
  /* It sorts before the most specific valid account. */
  g_autoptr(tlsp_account) exact = mk_account("localhost", "alice");
  g_assert_cmpint(tlsp_account_compare(bad, exact), <, 0);
  g_assert_cmpint(tlsp_account_compare(exact, bad), >, 0);
}

/* ---- matching --------------------------------------------------------- */

static void test_host_localhost(void)
{
  /* Unix socket: host "localhost", no IP. */
  g_assert_true(host_matches("localhost", "localhost", NULL));
  g_assert_true(host_matches("LOCALHOST", "localhost", NULL));
  g_assert_true(host_matches("%", "localhost", NULL));
  g_assert_true(host_matches("local%", "localhost", NULL));
  g_assert_false(host_matches("127.0.0.1", "localhost", NULL));
  g_assert_false(host_matches("127.0.0.0/255.0.0.0", "localhost", NULL));
  g_assert_false(host_matches("127.0.0.0/8", "localhost", NULL));
  /* TCP to 127.0.0.1 resolved to "localhost": both forms match. */
  g_assert_true(host_matches("localhost", "localhost", "127.0.0.1"));
  g_assert_true(host_matches("127.0.0.1", "localhost", "127.0.0.1"));
  g_assert_true(host_matches("127.0.0.0/8", "localhost", "127.0.0.1"));
  /* ...and "localhost" sorts first (acl_user_compare's tie-break). */
  g_autoptr(tlsp_account) lh = mk_account("localhost", "root");
  g_autoptr(tlsp_account) lo = mk_account("127.0.0.1", "root");
  g_autoptr(tlsp_account) l6 = mk_account("::1", "root");
  g_assert_cmpint(tlsp_account_compare(lh, lo), <, 0);
  g_assert_cmpint(tlsp_account_compare(lh, l6), <, 0);
  /* Between the two addresses plain strcmp decides: ':' > '1'. */
  g_assert_cmpint(tlsp_account_compare(l6, lo), <, 0);
}

static void test_host_name_or_ip(void)
{
  /* compare_hostname() tries the name, then the IP. */
  g_assert_true(host_matches("%.example.com", "db1.example.com", "192.0.2.7"));
  g_assert_true(host_matches("192.0.2.%", "db1.example.com", "192.0.2.7"));
  g_assert_false(host_matches("192.0.2.%", "db1.example.com", "192.0.3.7"));
  g_assert_true(host_matches("192.0.2.7", NULL, "192.0.2.7"));
  g_assert_false(host_matches("%.example.com", NULL, "192.0.2.7"));
  g_assert_true(
      host_matches("DB1.EXAMPLE.COM", "db1.example.com", "192.0.2.7"));
}

static void test_host_netmask(void)
{
  g_assert_true(
      host_matches("192.168.1.0/255.255.255.0", "h", "192.168.1.200"));
  g_assert_false(host_matches("192.168.1.0/255.255.255.0", "h", "192.168.2.1"));
  g_assert_true(host_matches("192.168.0.0/255.255.0.0", NULL, "192.168.77.1"));
  /* Leading zeros in octets, as str2int() takes them. */
  g_assert_true(
      host_matches("192.168.001.000/255.255.255.000", NULL, "192.168.1.9"));
  /* Non-contiguous masks work bit by bit, as in the server. */
  g_assert_true(host_matches("10.0.5.0/255.0.255.0", NULL, "10.77.5.3"));
  g_assert_false(host_matches("10.0.5.0/255.0.255.0", NULL, "10.77.6.3"));
  /* No IPv4 address: the server falls back to text; nothing matches. */
  g_assert_false(host_matches("192.168.1.0/255.255.255.0", "localhost", NULL));
  g_assert_false(host_matches("192.168.1.0/255.255.255.0", "h", "fd00::1"));
  g_autoptr(tlsp_account) a = mk_account("192.168.1.0/255.255.255.0", "u");
  g_assert_cmpint(tlsp_account_host_kind(a), ==, TP_HOST_NETMASK4);
}

static void test_host_cidr(void)
{
  g_autoptr(tlsp_account) c4 = mk_account("10.0.0.0/8", "u");
  g_assert_cmpint(tlsp_account_host_kind(c4), ==, TP_HOST_CIDR4);
  g_assert_cmpstr(tlsp_account_order_text(c4), ==, "10.0.0.0/255.0.0.0");
  g_assert_true(tlsp_account_matches_host(c4, NULL, "10.255.1.2"));
  g_assert_false(tlsp_account_matches_host(c4, NULL, "11.0.0.1"));
  /* Never by name, even a name that spells the pattern. */
  g_assert_false(tlsp_account_matches_host(c4, "10.0.0.0/8", NULL));
  g_assert_false(tlsp_account_matches_host(c4, "localhost", NULL));

  g_assert_true(host_matches("192.168.1.128/25", NULL, "192.168.1.128"));
  g_assert_true(host_matches("192.168.1.128/25", NULL, "192.168.1.255"));
  g_assert_false(host_matches("192.168.1.128/25", NULL, "192.168.1.127"));
  g_assert_true(host_matches("192.0.2.7/32", NULL, "192.0.2.7"));
  g_assert_false(host_matches("192.0.2.7/32", NULL, "192.0.2.6"));
  g_assert_true(host_matches("0.0.0.0/1", NULL, "127.0.0.1"));
  g_assert_false(host_matches("0.0.0.0/1", NULL, "128.0.0.1"));

  g_autoptr(tlsp_account) c6 = mk_account("FD00::/8", "u");
  g_assert_cmpint(tlsp_account_host_kind(c6), ==, TP_HOST_CIDR6);
  g_assert_cmpstr(tlsp_account_order_text(c6), ==, "fd00::/ff00::");
  g_assert_true(tlsp_account_matches_host(c6, NULL, "fd12:3456::1"));
  g_assert_true(tlsp_account_matches_host(c6, NULL, "FD12::1"));
  g_assert_false(tlsp_account_matches_host(c6, NULL, "fe80::1"));
  g_assert_false(tlsp_account_matches_host(c6, NULL, "10.0.0.1"));
  g_assert_false(tlsp_account_matches_host(c6, "localhost", NULL));
  g_assert_true(
      host_matches("2001:db8:abcd:12::/63", NULL, "2001:db8:abcd:13::5"));
  g_assert_false(
      host_matches("2001:db8:abcd:12::/63", NULL, "2001:db8:abcd:14::5"));
  g_assert_true(host_matches("::1/128", NULL, "::1"));
  g_assert_false(host_matches("::1/128", NULL, "::2"));
  /* An IPv4 CIDR does not match an IPv6 login, nor the reverse. */
  g_assert_false(host_matches("10.0.0.0/8", NULL, "::ffff:10.0.0.1"));
}

/* ---- ordering --------------------------------------------------------- */

static void test_magic_values(void)
{
  /* No wildcard: 0, whatever the length. */
  g_assert_cmpuint(tlsp_host_magic("localhost"), ==, 0);
  g_assert_cmpuint(tlsp_host_magic("192.168.1.0/255.255.255.0"), ==, 0);
  g_assert_cmpuint(tlsp_host_magic(""), ==, 0);
  /* '%': N=0 K=1 M=0 P=0 L=255: (((511*256+1)*32+0)*256+0 */
  g_assert_cmpuint(tlsp_host_magic("%"), ==, 1071652864u);
  g_assert_cmpuint(tlsp_host_magic("%%%"), ==, 1071652864u);
  /* '192.168.1.%': N=10 K=1 P=10 L=245: (((491*256+1)*32)*256+10 */
  g_assert_cmpuint(tlsp_host_magic("192.168.1.%"), ==, 1029709834u);
  /* '192.168.%': N=8 L=247 P=8 */
  g_assert_cmpuint(tlsp_host_magic("192.168.%"), ==, 1038098440u);
  /* 'a_c': M=1 > L=0: (((2*256+0)*32+0)*256+1 */
  g_assert_cmpuint(tlsp_host_magic("a_c"), ==, 4194305u);
  /* An escaped wildcard is a literal. */
  g_assert_cmpuint(tlsp_host_magic("a\\%c"), ==, 0);
  g_assert_cmpuint(tlsp_host_magic("a\\_c"), ==, 0);

  /* "hu": one more bit, 1 for the anonymous user, then inverted. */
  g_assert_cmpuint(tlsp_account_sort_value("localhost", "alice"), ==,
                   ~(guint64) 0);
  g_assert_cmpuint(tlsp_account_sort_value("localhost", ""), ==, ~(guint64) 1);
  g_assert_cmpuint(tlsp_account_sort_value("%", "alice"), ==,
                   ~((guint64) 1071652864u << 1));
  g_assert_cmpuint(tlsp_account_sort_value("%", ""), ==,
                   ~(((guint64) 1071652864u << 1) + 1));
}

static void test_order_exact_beats_percent(void)
{
  static const char *const order[] = {"db1.example.com", "db_.example.com",
                                      "%.example.com", "%"};
  assert_order("alice", order, G_N_ELEMENTS(order));
}

static void test_order_ip_forms(void)
{
  /* Magic 0 first (exact, netmask and CIDR via its netmask text), ranked by
   * descending strcmp of the order text; then by increasing generality. */
  static const char *const order[] = {
      "localhost",                 /* 'l' > '1' */
      "192.168.1.7",               /* "...1.7" > "...1.0/..." */
      "192.168.1.0/255.255.255.0", /* > "192.168.0.0/255.255.0.0" */
      "192.168.0.0/16",
      "192.168.1.%",
      "192.168.%",
      "%",
  };
  assert_order("bob", order, G_N_ELEMENTS(order));

  /* A CIDR orders exactly as its netmask equivalent. */
  g_autoptr(tlsp_account) cidr = mk_account("10.0.0.0/8", "u");
  g_autoptr(tlsp_account) mask = mk_account("10.0.0.0/255.0.0.0", "u");
  g_assert_cmpuint(tlsp_account_sort(cidr), ==, tlsp_account_sort(mask));
  g_assert_cmpint(tlsp_account_compare(cidr, mask), ==, 0);
  g_autoptr(tlsp_account) v6 = mk_account("fd00::/8", "u");
  g_autoptr(tlsp_account) pct = mk_account("fd00::%", "u");
  g_assert_cmpint(tlsp_account_compare(v6, pct), <, 0);
}

static void test_order_user(void)
{
  /* Same host: the named user first (the 'u' bit). */
  g_autoptr(tlsp_account) named = mk_account("%", "alice");
  g_autoptr(tlsp_account) anon = mk_account("%", "");
  g_assert_cmpint(tlsp_account_compare(named, anon), <, 0);
  /* A more specific host wins whatever the user. */
  g_autoptr(tlsp_account) anon_local = mk_account("localhost", "");
  g_assert_cmpint(tlsp_account_compare(anon_local, named), <, 0);
  g_autoptr(tlsp_account) named_local = mk_account("localhost", "alice");
  g_assert_cmpint(tlsp_account_compare(named_local, anon_local), <, 0);
}

static void test_order_prefix_quirk(void)
{
  /* get_magic_sort()'s comment says "abc_" should sort before "a_bc"; its
   * code gives the larger P (prefix length) the larger magic, i.e. the
   * later place.  We follow the code the server runs. */
  g_assert_cmpuint(tlsp_host_magic("a_bc"), <, tlsp_host_magic("abc_"));
  g_autoptr(tlsp_account) early = mk_account("a_bc", "u");
  g_autoptr(tlsp_account) late = mk_account("abc_", "u");
  g_assert_cmpint(tlsp_account_compare(early, late), <, 0);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/account/host/wildcard", test_host_wildcard);
  g_test_add_func("/account/host/wildcard-reference",
                  test_host_wildcard_reference);
  g_test_add_func("/account/host/wildcard-no-blowup",
                  test_host_wildcard_no_blowup);
  g_test_add_func("/account/host/normalize", test_host_normalize);
  g_test_add_func("/account/host/invalid", test_host_invalid);
  g_test_add_func("/account/host/fail-closed", test_host_fail_closed);
  g_test_add_func("/account/host/localhost", test_host_localhost);
  g_test_add_func("/account/host/name-or-ip", test_host_name_or_ip);
  g_test_add_func("/account/host/netmask", test_host_netmask);
  g_test_add_func("/account/host/cidr", test_host_cidr);
  g_test_add_func("/account/order/magic-values", test_magic_values);
  g_test_add_func("/account/order/exact-beats-percent",
                  test_order_exact_beats_percent);
  g_test_add_func("/account/order/ip-forms", test_order_ip_forms);
  g_test_add_func("/account/order/user", test_order_user);
  g_test_add_func("/account/order/prefix-quirk", test_order_prefix_quirk);
  return g_test_run();
}
