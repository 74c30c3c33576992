/*
 * account_match.c — MariaDB account patterns: validate a (Host, User) pair,
 * match it against a login, and order pairs the way the server orders
 * acl_users.  include/tls_policy/account_match.h states the rules and the
 * server functions each one follows; this file says how.
 *
 * Thread safety: everything here is either a pure function or reads an
 * immutable tlsp_account.
 */
#include "tls_policy/account_match.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* mf_wcomp.c wildcards as sql/init.cc sets them for the SQL layer. */
#define WILD_MANY '%'
#define WILD_ONE '_'
#define WILD_PREFIX '\\'

/* sql_acl.cc: max_hostname_length, the 'h' maxlen of get_magic_sort(). */
#define MAGIC_MAXLEN 255u

/*
 * A compiled wildcard pattern: one token per pattern element.  Literal
 * bytes are 0..255, escapes already resolved; runs of '%' are collapsed
 * (the server treats them as one).
 */
#define TOK_MANY (-1)
#define TOK_ONE (-2)

struct tlsp_account {
  tlsp_host_kind kind;
  char *host; /* lower-cased, '' -> '%' (fail-closed: as given, folded) */
  char *user;
  char *order_text; /* tie-break text: host, or the CIDR's netmask form */
  uint64_t sort;    /* ACL_USER::sort */
  /* TP_HOST_WILDCARD and TP_HOST_NETMASK4 (its text fallback) */
  gint16 *tokens;
  size_t n_tokens;
  /* TP_HOST_NETMASK4, TP_HOST_CIDR4: host byte order */
  uint32_t addr4, mask4;
  /* TP_HOST_CIDR6 */
  uint8_t addr6[16];
  unsigned prefix6;
};

/* clang-format off */
G_DEFINE_QUARK(tp-account-error-quark, tlsp_account_error)
/* clang-format on */

/* ---- wildcard matching (mf_wcomp.c wild_compare, sql_acl.cc
 *      wild_case_compare) -------------------------------------------------- */

static gint16 *tokenize(const char *pat, size_t *n_out)
{
  size_t len = strlen(pat);
  gint16 *tok = g_new(gint16, len + 1);
  size_t n = 0;

  for (size_t i = 0; pat[i]; i++)
  {
    if (pat[i] == WILD_MANY)
    {
      if (n == 0 || tok[n - 1] != TOK_MANY)
        tok[n++] = TOK_MANY;
    }
    else if (pat[i] == WILD_ONE)
    {
      tok[n++] = TOK_ONE;
    }
    else
    {
      /* '\' escapes the next byte, whatever it is; a trailing '\' is
       * literal — the same test as both server matchers and
       * get_magic_sort(). */
      if (pat[i] == WILD_PREFIX && pat[i + 1])
        i++;
      tok[n++] = (gint16) (unsigned char) pat[i];
    }
  }
  *n_out = n;
  return tok;
}

static inline gboolean byte_eq(gint16 lit, char c, gboolean fold)
{
  if (fold)
    return g_ascii_toupper((char) lit) == g_ascii_toupper(c);
  return (char) lit == c;
}

/*
 * Glob match with the server's semantics ('%' = any run of bytes, '_' = one
 * byte).  The server's matchers are recursive backtrackers, exponential in
 * the number of '%' for hostile inputs (a reverse-DNS name is chosen by the
 * client's network); this is the classic single-backtrack-point algorithm,
 * which accepts exactly the same strings in O(|str| * |pattern|).  The unit
 * test cross-checks it against a verbatim copy of wild_case_compare().
 */
static gboolean glob_match(const gint16 *tok, size_t nt, const char *s,
                           gboolean fold)
{
  size_t p = 0, si = 0;
  size_t star = SIZE_MAX, mark = 0;

  while (s[si])
  {
    if (p < nt && tok[p] == TOK_MANY)
    {
      star = p++;
      mark = si;
    }
    else if (p < nt && (tok[p] == TOK_ONE || byte_eq(tok[p], s[si], fold)))
    {
      p++;
      si++;
    }
    else if (star != SIZE_MAX)
    {
      p = star + 1;
      si = ++mark;
    }
    else
    {
      return FALSE;
    }
  }
  while (p < nt && tok[p] == TOK_MANY)
    p++;
  return p == nt;
}

static gboolean wild_match_text(const char *str, const char *wild,
                                gboolean fold)
{
  size_t nt;
  g_autofree gint16 *tok = tokenize(wild, &nt);
  return glob_match(tok, nt, str, fold);
}

gboolean tlsp_wild_case_match(const char *str, const char *wild)
{
  return wild_match_text(str, wild, TRUE);
}

gboolean tlsp_wild_match(const char *str, const char *wild)
{
  return wild_match_text(str, wild, FALSE);
}

/* ---- ordering (sql_acl_getsort.inl get_magic_sort) ---------------------- */

uint64_t tlsp_host_magic(const char *pat)
{
  /* A verbatim transcription, including the 32-bit unsigned arithmetic of
   * L (our validation keeps N + M <= 255, so it never wraps for hosts we
   * accept). */
  unsigned N = 0, M = 0, K = 0, P = 0;

  for (unsigned i = 0; pat[i]; i++)
  {
    if (pat[i] == WILD_MANY)
    {
      if (!K && !M)
        P = N;
      K++;
      while (pat[i + 1] == WILD_MANY)
        i++;
      continue;
    }
    if (pat[i] == WILD_ONE)
    {
      if (!K && !M)
        P = N;
      M++;
      continue;
    }
    if (pat[i] == WILD_PREFIX && pat[i + 1])
      i++;
    N++;
  }
  if (K > 31)
    K = 31;
  if (M > 31)
    M = 31;

  const unsigned maxlen = MAGIC_MAXLEN;
  uint64_t L = K ? (uint64_t) (unsigned) (maxlen - N - M) : 0;
  uint64_t d = maxlen + 1;
  uint64_t d1 = MIN(d, 32);
  if (L > M)
    return (((L * 2 + 1) * d + K) * d1 + M) * d + P;
  return (((M * 2 + 0) * d + L) * d1 + K) * d + P;
}

uint64_t tlsp_account_sort_value(const char *host, const char *user)
{
  /* get_magic_sort("hu", ...): magic_bits per 'h' pattern, then one bit
   * that is 1 for the anonymous user; the result is inverted so that the
   * more specific account has the larger value. */
  uint64_t sort = tlsp_host_magic(host ? host : "");
  sort = (sort << 1) + (user == NULL || *user == '\0');
  return ~sort;
}

/* ---- addresses ----------------------------------------------------------- */

/*
 * sql_acl.cc calc_ip(): four decimal octets separated by '.', the last one
 * followed by `end`.  Returns the position of `end` or NULL.  Unlike
 * str2int() no blanks or signs are accepted.
 */
static const char *parse_ipv4(const char *s, uint32_t *out, char end)
{
  uint32_t v = 0;
  for (int octet = 0; octet < 4; octet++)
  {
    unsigned n = 0, digits = 0;
    while (g_ascii_isdigit(*s) && digits < 4)
    {
      n = n * 10 + (unsigned) (*s - '0');
      s++;
      digits++;
    }
    if (digits == 0 || digits > 3 || n > 255)
      return NULL;
    v = (v << 8) | n;
    if (*s != (octet == 3 ? end : '.'))
      return NULL;
    if (octet < 3)
      s++;
  }
  *out = v;
  return s;
}

static gboolean parse_prefix(const char *s, unsigned max, unsigned *out)
{
  unsigned n = 0, digits = 0;
  while (g_ascii_isdigit(*s) && digits < 4)
  {
    n = n * 10 + (unsigned) (*s - '0');
    s++;
    digits++;
  }
  if (digits == 0 || digits > 3 || *s != '\0' || n > max)
    return FALSE;
  *out = n;
  return TRUE;
}

static gboolean ipv6_in_prefix(const uint8_t *addr, const uint8_t *net,
                               unsigned prefix)
{
  unsigned full = prefix / 8, rest = prefix % 8;
  if (memcmp(addr, net, full) != 0)
    return FALSE;
  if (rest == 0)
    return TRUE;
  uint8_t m = (uint8_t) (0xffu << (8 - rest));
  return (addr[full] & m) == (net[full] & m);
}

/*
 * A host containing '/' must be a netmask or a CIDR host; the server would
 * keep anything else as a text pattern that no name or address can match.
 */
static gboolean compile_address(tlsp_account *a, const char *orig,
                                GError **error)
{
  const char *host = a->host;
  const char *slash = strchr(host, '/');
  uint32_t addr = 0, mask = 0;

  /* Server form: a.b.c.d/m.m.m.m (update_hostname()). */
  if (parse_ipv4(host, &addr, '/') == slash && slash &&
      parse_ipv4(slash + 1, &mask, '\0'))
  {
    if (mask == 0)
    {
      /* The server keeps a zero mask as plain text (it matches nothing). */
      g_set_error(error, TP_ACCOUNT_ERROR, TP_ACCOUNT_ERROR_HOST_ADDRESS,
                  "Host '%s': a netmask of 0.0.0.0 is not allowed", orig);
      return FALSE;
    }
    if (addr & ~mask)
    {
      g_set_error(error, TP_ACCOUNT_ERROR, TP_ACCOUNT_ERROR_HOST_ADDRESS,
                  "Host '%s': the address has bits outside the netmask, "
                  "it can never match",
                  orig);
      return FALSE;
    }
    a->kind = TP_HOST_NETMASK4;
    a->addr4 = addr;
    a->mask4 = mask;
    a->order_text = g_strdup(a->host);
    return TRUE;
  }

  unsigned prefix = 0;
  if (parse_ipv4(host, &addr, '/') == slash && slash)
  {
    if (!parse_prefix(slash + 1, 32, &prefix) || prefix == 0)
    {
      g_set_error(error, TP_ACCOUNT_ERROR, TP_ACCOUNT_ERROR_HOST_ADDRESS,
                  "Host '%s': expected a netmask or a prefix length 1..32 "
                  "after '/'",
                  orig);
      return FALSE;
    }
    mask = prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
    if (addr & ~mask)
    {
      g_set_error(error, TP_ACCOUNT_ERROR, TP_ACCOUNT_ERROR_HOST_ADDRESS,
                  "Host '%s': the address has bits outside the /%u prefix, "
                  "it can never match",
                  orig, prefix);
      return FALSE;
    }
    a->kind = TP_HOST_CIDR4;
    a->addr4 = addr;
    a->mask4 = mask;
    /* Ordered as its netmask equivalent would be. */
    a->order_text = g_strdup_printf("%u.%u.%u.%u/%u.%u.%u.%u", addr >> 24,
                                    (addr >> 16) & 255, (addr >> 8) & 255,
                                    addr & 255, mask >> 24, (mask >> 16) & 255,
                                    (mask >> 8) & 255, mask & 255);
    return TRUE;
  }

  g_autofree char *addr_text = g_strndup(host, (gsize) (slash - host));
  struct in6_addr a6;
  if (strchr(addr_text, ':') && inet_pton(AF_INET6, addr_text, &a6) == 1)
  {
    if (!parse_prefix(slash + 1, 128, &prefix) || prefix == 0)
    {
      g_set_error(error, TP_ACCOUNT_ERROR, TP_ACCOUNT_ERROR_HOST_ADDRESS,
                  "Host '%s': expected a prefix length 1..128 after '/'", orig);
      return FALSE;
    }
    uint8_t m6[16] = {0};
    for (unsigned i = 0; i < prefix; i++)
      m6[i / 8] |= (uint8_t) (0x80u >> (i % 8));
    for (unsigned i = 0; i < 16; i++)
    {
      if (a6.s6_addr[i] & ~m6[i])
      {
        g_set_error(error, TP_ACCOUNT_ERROR, TP_ACCOUNT_ERROR_HOST_ADDRESS,
                    "Host '%s': the address has bits outside the /%u "
                    "prefix, it can never match",
                    orig, prefix);
        return FALSE;
      }
    }
    char abuf[INET6_ADDRSTRLEN], mbuf[INET6_ADDRSTRLEN];
    struct in6_addr mask6;
    memcpy(mask6.s6_addr, m6, sizeof m6);
    if (!inet_ntop(AF_INET6, &a6, abuf, sizeof abuf) ||
        !inet_ntop(AF_INET6, &mask6, mbuf, sizeof mbuf))
    {
      g_set_error(error, TP_ACCOUNT_ERROR, TP_ACCOUNT_ERROR_HOST_ADDRESS,
                  "Host '%s': cannot print the address", orig);
      return FALSE;
    }
    a->kind = TP_HOST_CIDR6;
    memcpy(a->addr6, a6.s6_addr, 16);
    a->prefix6 = prefix;
    a->order_text = g_strdup_printf("%s/%s", abuf, mbuf);
    return TRUE;
  }

  g_set_error(error, TP_ACCOUNT_ERROR, TP_ACCOUNT_ERROR_HOST_ADDRESS,
              "Host '%s': '/' is allowed only in ip/netmask "
              "(192.168.1.0/255.255.255.0) or CIDR (10.0.0.0/8, fd00::/8) form",
              orig);
  return FALSE;
}

/* ---- tlsp_account ----------------------------------------------------------- */

static tlsp_account *account_alloc(const char *host, const char *user)
{
  tlsp_account *a = g_new0(tlsp_account, 1);
  /* update_hostname(): an empty host is '%'; CREATE USER lower-cases. */
  a->host = g_ascii_strdown(host && *host ? host : "%", -1);
  a->user = g_strdup(user ? user : "");
  return a;
}

static gboolean ends_in_space(const char *s)
{
  size_t n = strlen(s);
  return n > 0 && s[n - 1] == ' ';
}

static gboolean validate_user(const char *user, GError **error)
{
  if (!g_utf8_validate(user, -1, NULL))
  {
    g_set_error(error, TP_ACCOUNT_ERROR, TP_ACCOUNT_ERROR_USER_CHARACTER,
                "User is not valid UTF-8");
    return FALSE;
  }
  /* See account_match.h: the server's account names never end in a space
   * once read from mysql.global_priv, and the table's PAD SPACE collation
   * makes 'ts ' look equal to 'ts' in SQL. */
  if (ends_in_space(user))
  {
    g_set_error(error, TP_ACCOUNT_ERROR, TP_ACCOUNT_ERROR_TRAILING_SPACE,
                "User '%s' ends in a space; MariaDB strips trailing spaces "
                "from account names, write the name without them",
                user);
    return FALSE;
  }
  if (g_utf8_strlen(user, -1) > (glong) TP_ACCOUNT_USER_MAX_CHARS)
  {
    g_set_error(error, TP_ACCOUNT_ERROR, TP_ACCOUNT_ERROR_USER_TOO_LONG,
                "User is longer than %u characters", TP_ACCOUNT_USER_MAX_CHARS);
    return FALSE;
  }
  return TRUE;
}

static gboolean validate_host(const char *host, GError **error)
{
  if (!g_utf8_validate(host, -1, NULL))
  {
    g_set_error(error, TP_ACCOUNT_ERROR, TP_ACCOUNT_ERROR_HOST_CHARACTER,
                "Host is not valid UTF-8");
    return FALSE;
  }
  /* check_host_name(): byte length, and no '@'. */
  if (strlen(host) > TP_ACCOUNT_HOST_MAX_BYTES)
  {
    g_set_error(error, TP_ACCOUNT_ERROR, TP_ACCOUNT_ERROR_HOST_TOO_LONG,
                "Host '%.40s...' is longer than %u bytes", host,
                TP_ACCOUNT_HOST_MAX_BYTES);
    return FALSE;
  }
  if (strchr(host, '@'))
  {
    g_set_error(error, TP_ACCOUNT_ERROR, TP_ACCOUNT_ERROR_HOST_CHARACTER,
                "Host '%s': malformed hostname (illegal symbol: '@')", host);
    return FALSE;
  }
  if (ends_in_space(host))
  {
    g_set_error(error, TP_ACCOUNT_ERROR, TP_ACCOUNT_ERROR_TRAILING_SPACE,
                "Host '%s' ends in a space; MariaDB strips trailing spaces "
                "from account hosts, write the host without them",
                host);
    return FALSE;
  }
  return TRUE;
}

tlsp_account *tlsp_account_new(const char *host, const char *user,
                               GError **error)
{
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);

  if (!validate_user(user ? user : "", error))
    return NULL;
  if (host && !validate_host(host, error))
    return NULL;

  g_autoptr(tlsp_account) a = account_alloc(host, user);
  if (strchr(a->host, '/'))
  {
    if (!compile_address(a, host, error))
      return NULL;
  }
  else
  {
    a->kind = TP_HOST_WILDCARD;
    a->order_text = g_strdup(a->host);
  }
  /* NETMASK4 keeps its text tokens: compare_hostname() falls back to a
   * text match when the login's address is not IPv4. */
  if (a->kind == TP_HOST_WILDCARD || a->kind == TP_HOST_NETMASK4)
    a->tokens = tokenize(a->host, &a->n_tokens);
  a->sort = tlsp_account_sort_value(a->order_text, a->user);
  return g_steal_pointer(&a);
}

tlsp_account *tlsp_account_new_fail_closed(const char *host, const char *user)
{
  tlsp_account *a = account_alloc(host, user);
  a->kind = TP_HOST_INVALID;
  a->order_text = g_strdup(a->host);
  /* The sort of an exact host: ties with the best valid accounts, and
   * tlsp_account_compare() puts fail-closed ones first anyway. */
  a->sort = tlsp_account_sort_value("", a->user);
  return a;
}

void tlsp_account_free(tlsp_account *a)
{
  if (!a)
    return;
  g_free(a->host);
  g_free(a->user);
  g_free(a->order_text);
  g_free(a->tokens);
  g_free(a);
}

const char *tlsp_account_host(const tlsp_account *a) { return a->host; }

const char *tlsp_account_user(const tlsp_account *a) { return a->user; }

tlsp_host_kind tlsp_account_host_kind(const tlsp_account *a) { return a->kind; }

uint64_t tlsp_account_sort(const tlsp_account *a) { return a->sort; }

const char *tlsp_account_order_text(const tlsp_account *a)
{
  return a->order_text;
}

gboolean tlsp_account_matches_host(const tlsp_account *a, const char *host,
                                   const char *ip)
{
  uint32_t v4 = 0;
  struct in6_addr v6;

  switch (a->kind)
  {
  case TP_HOST_INVALID:
    return TRUE; /* fail closed: the row applies to every host */
  case TP_HOST_CIDR4:
    return ip && parse_ipv4(ip, &v4, '\0') && (v4 & a->mask4) == a->addr4;
  case TP_HOST_CIDR6:
    return ip && strchr(ip, ':') && inet_pton(AF_INET6, ip, &v6) == 1 &&
           ipv6_in_prefix(v6.s6_addr, a->addr6, a->prefix6);
  case TP_HOST_NETMASK4:
    /* compare_hostname(): the mask decides alone when the IP is IPv4. */
    if (ip && parse_ipv4(ip, &v4, '\0'))
      return (v4 & a->mask4) == a->addr4;
    /* otherwise a text comparison, as the server does */
    G_GNUC_FALLTHROUGH;
  case TP_HOST_WILDCARD:
    return (host && glob_match(a->tokens, a->n_tokens, host, TRUE)) ||
           (ip && glob_match(a->tokens, a->n_tokens, ip, FALSE));
  }
  return FALSE;
}

int tlsp_account_compare(const tlsp_account *a, const tlsp_account *b)
{
  gboolean ai = a->kind == TP_HOST_INVALID, bi = b->kind == TP_HOST_INVALID;
  if (ai != bi)
    return ai ? -1 : 1;
  /* acl_compare(): larger sort first. */
  if (a->sort > b->sort)
    return -1;
  if (a->sort < b->sort)
    return 1;
  /* acl_user_compare(): -strcmp(hostname). */
  int c = strcmp(a->order_text, b->order_text);
  return c > 0 ? -1 : c < 0 ? 1 : 0;
}
