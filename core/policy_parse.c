/*
 * policy_parse.c — the Requirement language: tokenizer, parser, canonical
 * text and the predicates on a parsed rule.
 *
 * The language is a strict superset of what MariaDB accepts after REQUIRE in
 * CREATE USER; docs/requirement-grammar.md is the grammar and the reference
 * for every clause.  Strings are read exactly as MariaDB's lexer reads string
 * literals (default sql_mode, UTF-8 text), so a rule copied from a CREATE
 * USER statement means the same bytes here as there.
 *
 * Parsing is pure: no global state, no I/O.  Errors say what was expected,
 * quote (bounded) what was found and carry the byte offset.
 */
#include "policy_internal.h"
#include "tls_policy/text_clean.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <openssl/objects.h>
#include <openssl/tls1.h>

/* clang-format off */
G_DEFINE_QUARK(tp-policy-parse-error-quark, tlsp_policy_parse_error)
/* clang-format on */

/* ---------------------------------------------------------------- names */

static const char *const clause_names[TP_CLAUSE__COUNT] = {
    [TP_CLAUSE_CIPHER] = "CIPHER",
    [TP_CLAUSE_MIN_TLS_VERSION] = "MIN_TLS_VERSION",
    [TP_CLAUSE_ISSUER] = "ISSUER",
    [TP_CLAUSE_SUBJECT] = "SUBJECT",
    [TP_CLAUSE_ISSUER_DN] = "ISSUER_DN",
    [TP_CLAUSE_SUBJECT_DN] = "SUBJECT_DN",
    [TP_CLAUSE_SAN] = "SAN",
    [TP_CLAUSE_SPIFFE] = "SPIFFE",
    [TP_CLAUSE_FINGERPRINT] = "FINGERPRINT",
    [TP_CLAUSE_PUBKEY] = "PUBKEY",
    [TP_CLAUSE_MIN_VALIDITY_DAYS] = "MIN_VALIDITY_DAYS",
};

static const char *const san_type_names[] = {
    [TP_SAN_DNS] = "DNS",
    [TP_SAN_IP] = "IP",
    [TP_SAN_EMAIL] = "EMAIL",
    [TP_SAN_URI] = "URI",
};

static const struct {
  const char *name;
  tlsp_req_kind kind;
} whole_rule_keywords[] = {
    {"NONE", TP_REQ_NONE},
    {"SSL", TP_REQ_SSL},
    {"X509", TP_REQ_X509},
    {"EXEMPT", TP_REQ_EXEMPT},
};

static const struct {
  const char *name;
  int version;
} tls_versions[] = {
    {"TLSv1", TLS1_VERSION},
    {"TLSv1.1", TLS1_1_VERSION},
    {"TLSv1.2", TLS1_2_VERSION},
    {"TLSv1.3", TLS1_3_VERSION},
};

const char *tlsp_tls_version_name(int version)
{
  for (guint i = 0; i < G_N_ELEMENTS(tls_versions); i++)
    if (tls_versions[i].version == version)
      return tls_versions[i].name;
  return NULL;
}

/* ---------------------------------------------------------------- lexer */

typedef enum {
  TOK_END,
  TOK_WORD,   /* [A-Za-z_][A-Za-z0-9_]* */
  TOK_STRING, /* '...' or "..." */
  TOK_NUMBER, /* [0-9]+ */
  TOK_OTHER,  /* any other byte */
} tok_type;

typedef struct {
  tok_type type;
  size_t pos;  /* offset of the first byte in the input */
  size_t len;  /* raw length in the input */
  char *value; /* TOK_STRING: decoded value, NUL-terminated (owned) */
  size_t value_len;
} token;

typedef struct {
  const char *text;
  size_t len;
  size_t pos;     /* next unread byte */
  size_t err_pos; /* where the failure was, once an error is set */
} parser;

static void token_clear(token *tok)
{
  g_clear_pointer(&tok->value, g_free);
  memset(tok, 0, sizeof *tok);
}

static gboolean is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static gboolean is_word_start(char c) { return g_ascii_isalpha(c) || c == '_'; }

static gboolean is_word_char(char c) { return g_ascii_isalnum(c) || c == '_'; }

/* Appends a bounded, printable rendering of raw input bytes, between
 * quotes (text_clean.h, TP_TEXT_FIELD). */
static void append_quoted_excerpt(GString *out, const char *s, size_t len)
{
  g_string_append_c(out, '\'');
  tlsp_text_append_clean(out, s, len, 32);
  g_string_append_c(out, '\'');
}

/* "end of input" or the quoted token text, for error messages. */
static char *describe_token(const parser *p, const token *tok)
{
  if (tok->type == TOK_END)
    return g_strdup("end of input");
  GString *s = g_string_new(NULL);
  append_quoted_excerpt(s, p->text + tok->pos, tok->len);
  return g_string_free(s, FALSE);
}

static gboolean fail(parser *p, size_t pos, GError **error, int code,
                     const char *fmt, ...) G_GNUC_PRINTF(5, 6);

static gboolean fail(parser *p, size_t pos, GError **error, int code,
                     const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  p->err_pos = pos;
  g_set_error_literal(error, TP_POLICY_PARSE_ERROR, code, msg);
  return FALSE;
}

/*
 * Reads a string literal the way MariaDB's lexer does with the default
 * sql_mode: the opening quote doubled inside is one quote; backslash escapes
 * \0 \b \n \r \t \Z and \' \" \\; \% and \_ keep their backslash (they are
 * LIKE escapes); any other \x is x.
 */
static gboolean lex_string(parser *p, token *tok, GError **error)
{
  const char quote = p->text[p->pos];
  const size_t start = p->pos;
  g_autoptr(GString) v = g_string_new(NULL);
  gboolean has_nul = FALSE;

  p->pos++;
  for (;;)
  {
    if (p->pos >= p->len)
      return fail(p, start, error, TP_POLICY_PARSE_ERROR_SYNTAX,
                  "unterminated string starting at offset %zu", start);
    char c = p->text[p->pos];
    if (c == quote)
    {
      if (p->pos + 1 < p->len && p->text[p->pos + 1] == quote)
      {
        g_string_append_c(v, quote);
        p->pos += 2;
        continue;
      }
      p->pos++;
      break;
    }
    if (c == '\\' && p->pos + 1 < p->len)
    {
      char e = p->text[p->pos + 1];
      p->pos += 2;
      switch (e)
      {
      case '0':
        g_string_append_c(v, '\0');
        has_nul = TRUE;
        break;
      case 'b':
        g_string_append_c(v, '\b');
        break;
      case 'n':
        g_string_append_c(v, '\n');
        break;
      case 'r':
        g_string_append_c(v, '\r');
        break;
      case 't':
        g_string_append_c(v, '\t');
        break;
      case 'Z':
        g_string_append_c(v, '\032');
        break;
      case '%':
      case '_':
        g_string_append_c(v, '\\');
        g_string_append_c(v, e);
        break;
      default:
        g_string_append_c(v, e);
        break;
      }
    }
    else
    {
      g_string_append_c(v, c);
      p->pos++;
    }
    if (v->len > TP_REQ_MAX_VALUE)
      return fail(p, start, error, TP_POLICY_PARSE_ERROR_TOO_LONG,
                  "string value starting at offset %zu is longer than %u bytes",
                  start, TP_REQ_MAX_VALUE);
  }
  /* A NUL would be silently truncated by the server's C-string compares;
   * refuse it rather than guess. */
  if (has_nul)
    return fail(p, start, error, TP_POLICY_PARSE_ERROR_VALUE,
                "string value starting at offset %zu contains a NUL byte (\\0)",
                start);
  tok->type = TOK_STRING;
  tok->pos = start;
  tok->len = p->pos - start;
  tok->value_len = v->len;
  tok->value = g_string_free(g_steal_pointer(&v), FALSE);
  return TRUE;
}

/* Reads the next token into *tok (clearing what it held). */
static gboolean lex_next(parser *p, token *tok, GError **error)
{
  token_clear(tok);
  while (p->pos < p->len && is_space(p->text[p->pos]))
    p->pos++;
  tok->pos = p->pos;
  if (p->pos >= p->len)
  {
    tok->type = TOK_END;
    return TRUE;
  }
  char c = p->text[p->pos];
  if (c == '\'' || c == '"')
    return lex_string(p, tok, error);
  if (is_word_start(c))
  {
    while (p->pos < p->len && is_word_char(p->text[p->pos]))
      p->pos++;
    tok->type = TOK_WORD;
  }
  else if (g_ascii_isdigit(c))
  {
    while (p->pos < p->len && g_ascii_isdigit(p->text[p->pos]))
      p->pos++;
    tok->type = TOK_NUMBER;
  }
  else
  {
    p->pos++;
    tok->type = TOK_OTHER;
  }
  tok->len = p->pos - tok->pos;
  return TRUE;
}

static gboolean word_is(const parser *p, const token *tok, const char *kw)
{
  return tok->type == TOK_WORD && strlen(kw) == tok->len &&
         g_ascii_strncasecmp(p->text + tok->pos, kw, tok->len) == 0;
}

/* ------------------------------------------------------- RFC 4514 DNs */

/* Attribute type names accepted in a DN, case-insensitively.  SN is the
 * RFC 4519 surname, as in OpenSSL; the serial number is serialNumber. */
static const struct {
  const char *name;
  int nid;
} dn_attribute_types[] = {
    {"CN", NID_commonName},
    {"commonName", NID_commonName},
    {"C", NID_countryName},
    {"countryName", NID_countryName},
    {"L", NID_localityName},
    {"localityName", NID_localityName},
    {"ST", NID_stateOrProvinceName},
    {"stateOrProvinceName", NID_stateOrProvinceName},
    {"O", NID_organizationName},
    {"organizationName", NID_organizationName},
    {"OU", NID_organizationalUnitName},
    {"organizationalUnitName", NID_organizationalUnitName},
    {"STREET", NID_streetAddress},
    {"streetAddress", NID_streetAddress},
    {"DC", NID_domainComponent},
    {"domainComponent", NID_domainComponent},
    {"UID", NID_userId},
    {"userId", NID_userId},
    {"E", NID_pkcs9_emailAddress},
    {"emailAddress", NID_pkcs9_emailAddress},
    {"serialNumber", NID_serialNumber},
    {"SN", NID_surname},
    {"surname", NID_surname},
    {"GN", NID_givenName},
    {"givenName", NID_givenName},
    {"title", NID_title},
    {"initials", NID_initials},
    {"generationQualifier", NID_generationQualifier},
    {"dnQualifier", NID_dnQualifier},
    {"pseudonym", NID_pseudonym},
    {"name", NID_name},
    {"postalCode", NID_postalCode},
    {"businessCategory", NID_businessCategory},
    {"description", NID_description},
    {"organizationIdentifier", NID_organizationIdentifier},
};

static void dn_ava_clear(tlsp_dn_ava *ava)
{
  g_clear_pointer(&ava->obj, ASN1_OBJECT_free);
  g_clear_pointer(&ava->value, g_free);
}

void tlsp_dn_clear(tlsp_dn *dn)
{
  for (guint i = 0; i < dn->n_rdns; i++)
  {
    for (guint j = 0; j < dn->rdns[i].n_avas; j++)
      dn_ava_clear(&dn->rdns[i].avas[j]);
    g_free(dn->rdns[i].avas);
  }
  g_clear_pointer(&dn->rdns, g_free);
  dn->n_rdns = 0;
}

static gboolean is_dotted_oid(const char *s, size_t len)
{
  gboolean need_digit = TRUE;
  guint dots = 0;

  for (size_t i = 0; i < len; i++)
  {
    if (g_ascii_isdigit(s[i]))
    {
      need_digit = FALSE;
    }
    else if (s[i] == '.' && !need_digit)
    {
      need_digit = TRUE;
      dots++;
    }
    else
    {
      return FALSE;
    }
  }
  return !need_digit && dots >= 1;
}

/* Resolves an attribute type (name or dotted OID) into ava->nid / ava->obj. */
static gboolean dn_resolve_type(const char *type, size_t len, tlsp_dn_ava *ava,
                                GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS(dn_attribute_types); i++)
  {
    if (strlen(dn_attribute_types[i].name) == len &&
        g_ascii_strncasecmp(dn_attribute_types[i].name, type, len) == 0)
    {
      ava->nid = dn_attribute_types[i].nid;
      return TRUE;
    }
  }
  g_autofree char *name = g_strndup(type, len);
  if (g_ascii_isalpha(type[0]))
  {
    /* Any other short or long name OpenSSL knows (exact case). */
    int nid = OBJ_txt2nid(name);
    if (nid != NID_undef)
    {
      ava->nid = nid;
      return TRUE;
    }
    g_set_error(error, TP_POLICY_PARSE_ERROR, TP_POLICY_PARSE_ERROR_VALUE,
                "unknown attribute type '%.64s'", name);
    return FALSE;
  }
  if (len > 128 || !is_dotted_oid(type, len))
  {
    g_set_error(
        error, TP_POLICY_PARSE_ERROR, TP_POLICY_PARSE_ERROR_VALUE,
        "invalid attribute type '%.64s': expected a name or a dotted OID",
        name);
    return FALSE;
  }
  g_autoptr(ASN1_OBJECT) obj = OBJ_txt2obj(name, 1);
  if (obj == NULL)
  {
    g_set_error(error, TP_POLICY_PARSE_ERROR, TP_POLICY_PARSE_ERROR_VALUE,
                "invalid OID '%.64s'", name);
    return FALSE;
  }
  /* A dotted OID of a known attribute compares by NID like its name. */
  ava->nid = OBJ_obj2nid(obj);
  if (ava->nid == NID_undef)
    ava->obj = g_steal_pointer(&obj);
  return TRUE;
}

static int hex_value(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  c = g_ascii_tolower(c);
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

static gboolean dn_error(GError **error, size_t pos, const char *what)
{
  g_set_error(error, TP_POLICY_PARSE_ERROR, TP_POLICY_PARSE_ERROR_VALUE,
              "%s at DN offset %zu", what, pos);
  return FALSE;
}

/*
 * One AVA: type '=' value.  Spaces around '=', ',' and '+' and at both ends
 * of the DN are ignored (unless escaped); a value ends at an unescaped ','
 * or '+'.  '=' and '/' are ordinary value characters.
 */
static gboolean dn_parse_ava(const char *s, size_t len, size_t *pos,
                             tlsp_dn_ava *ava, GError **error)
{
  size_t i = *pos;

  while (i < len && s[i] == ' ')
    i++;
  size_t type_start = i;
  if (i < len && g_ascii_isalpha(s[i]))
  {
    while (i < len && (g_ascii_isalnum(s[i]) || s[i] == '-'))
      i++;
  }
  else if (i < len && g_ascii_isdigit(s[i]))
  {
    while (i < len && (g_ascii_isdigit(s[i]) || s[i] == '.'))
      i++;
  }
  else
  {
    return dn_error(error, i, "expected an attribute type (e.g. CN)");
  }
  size_t type_len = i - type_start;
  while (i < len && s[i] == ' ')
    i++;
  if (i >= len || s[i] != '=')
    return dn_error(error, i, "expected '=' after the attribute type");
  i++;
  if (!dn_resolve_type(s + type_start, type_len, ava, error))
    return FALSE;

  while (i < len && s[i] == ' ')
    i++;
  if (i < len && s[i] == '#')
    return dn_error(error, i,
                    "values in #hex (BER) form are not supported; write the "
                    "value as a string");

  g_autoptr(GString) v = g_string_new(NULL);
  size_t significant = 0; /* value length without trailing unescaped spaces */
  while (i < len && s[i] != ',' && s[i] != '+')
  {
    char c = s[i];
    if (c == '\\')
    {
      if (i + 1 >= len)
        return dn_error(error, i, "dangling backslash");
      int hi = hex_value(s[i + 1]);
      if (hi >= 0)
      {
        int lo = i + 2 < len ? hex_value(s[i + 2]) : -1;
        if (lo < 0)
          return dn_error(error, i,
                          "invalid escape: expected two hex digits after '\\'");
        g_string_append_c(v, (char) (hi << 4 | lo));
        i += 3;
      }
      else if (strchr(" \"#+,;<=>\\", s[i + 1]) != NULL)
      {
        g_string_append_c(v, s[i + 1]);
        i += 2;
      }
      else
      {
        return dn_error(error, i,
                        "invalid escape: '\\' must precede a special character "
                        "or two hex digits");
      }
      significant = v->len;
      continue;
    }
    if (c == '"' || c == ';' || c == '<' || c == '>')
    {
      g_autofree char *msg =
          g_strdup_printf("unescaped '%c' in a value (write \\%c)", c, c);
      return dn_error(error, i, msg);
    }
    g_string_append_c(v, c);
    if (c != ' ')
      significant = v->len;
    i++;
  }
  g_string_truncate(v, significant);
  if (memchr(v->str, '\0', v->len) != NULL)
    return dn_error(error, type_start, "a value contains a NUL byte");
  if (!g_utf8_validate_len(v->str, v->len, NULL))
    return dn_error(error, type_start, "a value is not valid UTF-8");
  ava->value_len = v->len;
  ava->value = g_string_free(g_steal_pointer(&v), FALSE);
  *pos = i;
  return TRUE;
}

static void dn_rdn_array_free(GArray *rdns)
{
  tlsp_dn dn = {rdns->len, (tlsp_dn_rdn *) (void *) g_array_free(rdns, FALSE)};
  tlsp_dn_clear(&dn);
}

static void dn_ava_array_free(GArray *avas)
{
  for (guint i = 0; i < avas->len; i++)
    dn_ava_clear(&g_array_index(avas, tlsp_dn_ava, i));
  g_array_free(avas, TRUE);
}

typedef GArray tlsp_dn_rdn_array;
typedef GArray tlsp_dn_ava_array;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(tlsp_dn_rdn_array, dn_rdn_array_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(tlsp_dn_ava_array, dn_ava_array_free)

gboolean tlsp_dn_parse(const char *text, size_t len, tlsp_dn *out,
                       GError **error)
{
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  g_autoptr(tlsp_dn_rdn_array) rdns =
      g_array_new(FALSE, TRUE, sizeof(tlsp_dn_rdn));
  size_t pos = 0;

  memset(out, 0, sizeof *out);
  while (pos < len && text[pos] == ' ')
    pos++;
  if (pos == len)
    return TRUE; /* the empty DN */

  for (;;)
  {
    g_autoptr(tlsp_dn_ava_array) avas =
        g_array_new(FALSE, TRUE, sizeof(tlsp_dn_ava));
    for (;;)
    {
      tlsp_dn_ava ava = {0};
      if (!dn_parse_ava(text, len, &pos, &ava, error))
      {
        dn_ava_clear(&ava);
        return FALSE;
      }
      g_array_append_val(avas, ava);
      if (pos < len && text[pos] == '+')
      {
        pos++;
        continue;
      }
      break;
    }
    tlsp_dn_rdn rdn = {avas->len, NULL};
    rdn.avas =
        (tlsp_dn_ava *) (void *) g_array_free(g_steal_pointer(&avas), FALSE);
    g_array_append_val(rdns, rdn);
    if (pos >= len)
      break;
    /* dn_parse_ava stops only at ',', '+' or the end */
    g_assert(text[pos] == ',');
    pos++;
  }
  out->n_rdns = rdns->len;
  out->rdns =
      (tlsp_dn_rdn *) (void *) g_array_free(g_steal_pointer(&rdns), FALSE);
  return TRUE;
}

/* ------------------------------------------------------ value parsers */

static gboolean value_error(GError **error, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

static gboolean value_error(GError **error, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error_literal(error, TP_POLICY_PARSE_ERROR, TP_POLICY_PARSE_ERROR_VALUE,
                      msg);
  return FALSE;
}

static gboolean is_dns_label_char(char c)
{
  /* '_' is not LDH but common in service names (_srv, k8s); allow it. */
  return g_ascii_isalnum(c) || c == '-' || c == '_';
}

/* A host name of LDH labels; with `wildcard`, the first label may be "*". */
static gboolean parse_dns(tlsp_clause *c, GError **error)
{
  const char *s = c->text;
  size_t len = c->text_len;

  if (len == 0)
    return value_error(error, "empty DNS name");
  if (len > 253)
    return value_error(error, "DNS name longer than 253 bytes");
  if (len >= 2 && s[0] == '*' && s[1] == '.')
  {
    c->u.dns.wildcard = TRUE;
    s += 2;
    len -= 2;
  }
  c->u.dns.match = s;
  c->u.dns.match_len = len;
  size_t label = 0;
  for (size_t i = 0; i <= len; i++)
  {
    if (i == len || s[i] == '.')
    {
      if (label == 0)
        return value_error(error, "empty label in DNS name '%.64s'", c->text);
      if (label > 63)
        return value_error(error, "label longer than 63 bytes in DNS name");
      label = 0;
    }
    else if (s[i] == '*')
    {
      return value_error(error, "'*' is allowed only as the whole leftmost "
                                "label (\"*.example.com\")");
    }
    else if (!is_dns_label_char(s[i]))
    {
      return value_error(error, "invalid character 0x%02X in DNS name",
                         (unsigned char) s[i]);
    }
    else
    {
      label++;
    }
  }
  return TRUE;
}

/* IPv4 or IPv6 address, optionally with a /prefix (host bits must be 0). */
static gboolean parse_ip(tlsp_clause *c, GError **error)
{
  g_autofree char *addr = g_strdup(c->text);
  char *slash = strchr(addr, '/');
  int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
  guint bits = family == AF_INET ? 32 : 128;
  guint prefix = bits;

  if (slash)
  {
    *slash = '\0';
    const char *p = slash + 1;
    size_t n = strlen(p);
    if (n == 0 || n > 3 || strspn(p, "0123456789") != n)
      return value_error(error, "invalid prefix length '%.16s'", p);
    prefix = (guint) atoi(p);
    if (prefix > bits)
      return value_error(error, "prefix length %u exceeds %u", prefix, bits);
  }
  if (inet_pton(family, addr, c->u.ip.addr) != 1)
    return value_error(error, "'%.64s' is not an IPv4 or IPv6 address", addr);
  c->u.ip.family = family;
  c->u.ip.prefix = prefix;
  for (guint b = prefix; b < bits; b++)
    if (c->u.ip.addr[b / 8] & (0x80 >> (b % 8)))
      return value_error(error,
                         "address '%.64s' has bits set beyond the /%u prefix",
                         addr, prefix);
  return TRUE;
}

static gboolean parse_email(tlsp_clause *c, GError **error)
{
  const char *at = g_strrstr(c->text, "@");

  if (at == NULL || at == c->text || at[1] == '\0')
    return value_error(error, "expected an address of the form local@domain");
  c->u.email.at = (size_t) (at - c->text);
  return TRUE;
}

static gboolean parse_uri(tlsp_clause *c, GError **error)
{
  if (c->text_len == 0)
    return value_error(error, "empty URI");
  return TRUE;
}

static gboolean is_spiffe_td_char(char c)
{
  return g_ascii_isalnum(c) || c == '.' || c == '-' || c == '_';
}

static gboolean is_spiffe_path_char(char c)
{
  return g_ascii_isalnum(c) || c == '.' || c == '-' || c == '_';
}

/*
 * Splits a SPIFFE ID "spiffe://trust.domain/seg/seg" (SPIFFE ID standard:
 * trust domain of [A-Za-z0-9._-], at most 255 bytes; non-empty path segments
 * of [A-Za-z0-9._-], not "." or ".."; no query, fragment, port or user
 * info; at most 2048 bytes).  With `wildcards`, a segment may be "*" and
 * the last one "**".  Shared by the parser (rules) and the matcher
 * (certificates).
 */
gboolean tlsp_spiffe_id_split(const char *s, size_t len, gboolean wildcards,
                              char **trust_domain, GPtrArray *segments,
                              GError **error)
{
  static const char scheme[] = "spiffe://";
  const size_t scheme_len = sizeof scheme - 1;

  if (len > 2048)
    return value_error(error, "SPIFFE ID longer than 2048 bytes");
  if (len < scheme_len || g_ascii_strncasecmp(s, scheme, scheme_len) != 0)
    return value_error(error, "a SPIFFE ID starts with spiffe://");
  size_t i = scheme_len, td_start = i;
  while (i < len && s[i] != '/')
  {
    if (!is_spiffe_td_char(s[i]))
      return value_error(error, "invalid character 0x%02X in the trust domain",
                         (unsigned char) s[i]);
    i++;
  }
  if (i == td_start)
    return value_error(error, "empty trust domain");
  if (i - td_start > 255)
    return value_error(error, "trust domain longer than 255 bytes");
  g_autofree char *td = g_strndup(s + td_start, i - td_start);
  while (i < len)
  {
    i++; /* the '/' */
    size_t seg = i;
    while (i < len && s[i] != '/')
      i++;
    g_autofree char *segment = g_strndup(s + seg, i - seg);
    gboolean last = i == len;
    if (segment[0] == '\0')
      return value_error(error,
                         "empty path segment (no \"//\" and no trailing '/')");
    if (wildcards && strcmp(segment, TP_SPIFFE_ANY_ONE) == 0)
    {
      /* fine anywhere */
    }
    else if (wildcards && strcmp(segment, TP_SPIFFE_ANY_REST) == 0)
    {
      if (!last)
        return value_error(error,
                           "'**' is allowed only as the last path segment");
    }
    else
    {
      if (strcmp(segment, ".") == 0 || strcmp(segment, "..") == 0)
        return value_error(error,
                           "'.' and '..' are not allowed as path segments");
      for (const char *q = segment; *q; q++)
        if (!is_spiffe_path_char(*q))
          return value_error(error, "invalid character 0x%02X in path segment",
                             (unsigned char) *q);
    }
    g_ptr_array_add(segments, g_steal_pointer(&segment));
  }
  *trust_domain = g_steal_pointer(&td);
  return TRUE;
}

static gboolean parse_spiffe(tlsp_clause *c, GError **error)
{
  g_autoptr(GPtrArray) segments = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *td = NULL;

  if (!tlsp_spiffe_id_split(c->text, c->text_len, TRUE, &td, segments, error))
    return FALSE;
  c->u.spiffe.n_segments = segments->len;
  g_ptr_array_set_free_func(segments, NULL);
  g_ptr_array_add(segments, NULL);
  c->u.spiffe.segments =
      (char **) g_ptr_array_free(g_steal_pointer(&segments), FALSE);
  c->u.spiffe.trust_domain = g_steal_pointer(&td);
  return TRUE;
}

/* 64 hex digits, case-insensitive, optionally as colon-separated pairs. */
static gboolean parse_digest(tlsp_clause *c, GError **error)
{
  const char *s = c->text;
  guint n = 0;
  size_t i = 0;

  while (i < c->text_len)
  {
    if (n == 32)
      return value_error(error, "expected 64 hex digits (SHA-256), found more");
    int hi = hex_value(s[i]);
    int lo = i + 1 < c->text_len ? hex_value(s[i + 1]) : -1;
    if (hi < 0 || lo < 0)
      return value_error(
          error,
          "expected 64 hex digits (SHA-256), optionally colon-separated pairs");
    c->u.digest[n++] = (guint8) (hi << 4 | lo);
    i += 2;
    if (i < c->text_len && s[i] == ':')
    {
      if (i + 1 == c->text_len)
        return value_error(error, "trailing ':' in the digest");
      i++;
    }
  }
  if (n != 32)
    return value_error(error, "expected 64 hex digits (SHA-256), found %u",
                       n * 2);
  return TRUE;
}

static gboolean parse_tls_version(tlsp_clause *c, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS(tls_versions); i++)
  {
    if (g_ascii_strcasecmp(c->text, tls_versions[i].name) == 0)
    {
      c->u.tls_version = tls_versions[i].version;
      /* canonical spelling */
      g_free(c->text);
      c->text = g_strdup(tls_versions[i].name);
      c->text_len = strlen(c->text);
      return TRUE;
    }
  }
  return value_error(error,
                     "expected 'TLSv1', 'TLSv1.1', 'TLSv1.2' or 'TLSv1.3'");
}

/* ------------------------------------------------------------- parser */

static void clause_clear(tlsp_clause *c)
{
  switch (c->kind)
  {
  case TP_CLAUSE_ISSUER_DN:
  case TP_CLAUSE_SUBJECT_DN:
    tlsp_dn_clear(&c->u.dn);
    break;
  case TP_CLAUSE_SPIFFE:
    g_clear_pointer(&c->u.spiffe.trust_domain, g_free);
    g_clear_pointer(&c->u.spiffe.segments, g_strfreev);
    break;
  default:
    break;
  }
  g_clear_pointer(&c->text, g_free);
}

void tlsp_requirement_free(tlsp_requirement *req)
{
  if (req == NULL)
    return;
  for (guint i = 0; i < req->n_clauses; i++)
    clause_clear(&req->clauses[i]);
  g_free(req->clauses);
  g_free(req);
}

static gboolean clause_keyword(const parser *p, const token *tok,
                               tlsp_clause_kind *kind)
{
  for (int k = 0; k < TP_CLAUSE__COUNT; k++)
  {
    if (word_is(p, tok, clause_names[k]))
    {
      *kind = (tlsp_clause_kind) k;
      return TRUE;
    }
  }
  return FALSE;
}

static const char *whole_rule_keyword(const parser *p, const token *tok,
                                      tlsp_req_kind *kind)
{
  for (guint i = 0; i < G_N_ELEMENTS(whole_rule_keywords); i++)
  {
    if (word_is(p, tok, whole_rule_keywords[i].name))
    {
      if (kind)
        *kind = whole_rule_keywords[i].kind;
      return whole_rule_keywords[i].name;
    }
  }
  return NULL;
}

/* Validates a string value for its clause; errors are prefixed with the
 * clause and the offset of the string. */
static gboolean parse_clause_value(parser *p, tlsp_clause *c, size_t pos,
                                   GError **error)
{
  gboolean ok = TRUE;

  switch (c->kind)
  {
  case TP_CLAUSE_CIPHER:
  case TP_CLAUSE_ISSUER:
  case TP_CLAUSE_SUBJECT:
    break; /* compared byte for byte, like the server */
  case TP_CLAUSE_ISSUER_DN:
  case TP_CLAUSE_SUBJECT_DN:
    ok = tlsp_dn_parse(c->text, c->text_len, &c->u.dn, error);
    break;
  case TP_CLAUSE_SAN:
    switch (c->san_type)
    {
    case TP_SAN_DNS:
      ok = parse_dns(c, error);
      break;
    case TP_SAN_IP:
      ok = parse_ip(c, error);
      break;
    case TP_SAN_EMAIL:
      ok = parse_email(c, error);
      break;
    case TP_SAN_URI:
      ok = parse_uri(c, error);
      break;
    }
    break;
  case TP_CLAUSE_SPIFFE:
    ok = parse_spiffe(c, error);
    break;
  case TP_CLAUSE_FINGERPRINT:
  case TP_CLAUSE_PUBKEY:
    ok = parse_digest(c, error);
    break;
  case TP_CLAUSE_MIN_TLS_VERSION:
    ok = parse_tls_version(c, error);
    break;
  case TP_CLAUSE_MIN_VALIDITY_DAYS:
  case TP_CLAUSE__COUNT:
    g_assert_not_reached();
  }
  if (!ok)
  {
    if (c->kind == TP_CLAUSE_SAN)
      g_prefix_error(error, "invalid SAN %s value at offset %zu: ",
                     san_type_names[c->san_type], pos);
    else
      g_prefix_error(error,
                     "invalid %s value at offset %zu: ", clause_names[c->kind],
                     pos);
    p->err_pos = pos;
  }
  return ok;
}

/* Parses one clause whose keyword is in *tok; leaves *tok on its last token. */
static gboolean parse_clause(parser *p, token *tok, GArray *clauses,
                             guint32 *seen, GError **error)
{
  tlsp_clause_kind kind;
  const char *whole;

  if ((whole = whole_rule_keyword(p, tok, NULL)) != NULL)
    return fail(p, tok->pos, error, TP_POLICY_PARSE_ERROR_SYNTAX,
                "%s cannot be combined with other clauses (at offset %zu)",
                whole, tok->pos);
  if (!clause_keyword(p, tok, &kind))
  {
    g_autofree char *found = describe_token(p, tok);
    return fail(
        p, tok->pos, error, TP_POLICY_PARSE_ERROR_SYNTAX,
        "expected a clause keyword (CIPHER, ISSUER, SUBJECT, SUBJECT_DN, "
        "ISSUER_DN, SAN, SPIFFE, FINGERPRINT, PUBKEY, MIN_TLS_VERSION, "
        "MIN_VALIDITY_DAYS) at offset %zu, found %s",
        tok->pos, found);
  }
  const size_t kw_pos = tok->pos;
  if (kind != TP_CLAUSE_SAN && (*seen & (1u << kind)))
    return fail(p, kw_pos, error, TP_POLICY_PARSE_ERROR_DUPLICATE,
                "duplicate %s at offset %zu: the clause may be given only once",
                clause_names[kind], kw_pos);
  if (clauses->len >= TP_REQ_MAX_CLAUSES)
    return fail(p, kw_pos, error, TP_POLICY_PARSE_ERROR_TOO_LONG,
                "more than %u clauses (clause at offset %zu)",
                TP_REQ_MAX_CLAUSES, kw_pos);
  *seen |= 1u << kind;

  tlsp_clause c = {.kind = kind};
  const char *after = clause_names[kind];

  if (kind == TP_CLAUSE_SAN)
  {
    if (!lex_next(p, tok, error))
      return FALSE;
    gboolean found_type = FALSE;
    for (guint t = 0; t < G_N_ELEMENTS(san_type_names); t++)
    {
      if (word_is(p, tok, san_type_names[t]))
      {
        c.san_type = (tlsp_san_type) t;
        found_type = TRUE;
      }
    }
    if (!found_type)
    {
      g_autofree char *found = describe_token(p, tok);
      return fail(
          p, tok->pos, error, TP_POLICY_PARSE_ERROR_SYNTAX,
          "expected DNS, IP, EMAIL or URI after SAN at offset %zu, found %s",
          tok->pos, found);
    }
    after = san_type_names[c.san_type];
  }

  if (!lex_next(p, tok, error))
    return FALSE;

  if (kind == TP_CLAUSE_MIN_VALIDITY_DAYS)
  {
    if (tok->type != TOK_NUMBER)
    {
      g_autofree char *found = describe_token(p, tok);
      return fail(p, tok->pos, error, TP_POLICY_PARSE_ERROR_SYNTAX,
                  "expected a number of days after MIN_VALIDITY_DAYS at offset "
                  "%zu, found %s",
                  tok->pos, found);
    }
    guint64 days = 0;
    for (size_t i = 0; i < tok->len && days <= TP_REQ_MAX_DAYS; i++)
      days = days * 10 + (guint64) (p->text[tok->pos + i] - '0');
    if (days > TP_REQ_MAX_DAYS)
      return fail(
          p, tok->pos, error, TP_POLICY_PARSE_ERROR_VALUE,
          "invalid MIN_VALIDITY_DAYS value at offset %zu: at most %u days",
          tok->pos, TP_REQ_MAX_DAYS);
    c.u.days = (guint) days;
    c.text = g_strdup_printf("%u", c.u.days);
    c.text_len = strlen(c.text);
    g_array_append_val(clauses, c);
    return TRUE;
  }

  if (tok->type != TOK_STRING)
  {
    g_autofree char *found = describe_token(p, tok);
    return fail(p, tok->pos, error, TP_POLICY_PARSE_ERROR_SYNTAX,
                "expected a quoted string after %s at offset %zu, found %s",
                after, tok->pos, found);
  }
  c.text = g_steal_pointer(&tok->value);
  c.text_len = tok->value_len;
  if (!parse_clause_value(p, &c, tok->pos, error))
  {
    clause_clear(&c);
    return FALSE;
  }
  g_array_append_val(clauses, c);
  return TRUE;
}

static gint compare_clause_kind(gconstpointer a, gconstpointer b)
{
  const tlsp_clause *x = a, *y = b;
  return (int) x->kind - (int) y->kind;
}

static void clause_array_free(GArray *clauses)
{
  for (guint i = 0; i < clauses->len; i++)
    clause_clear(&g_array_index(clauses, tlsp_clause, i));
  g_array_free(clauses, TRUE);
}

typedef GArray tlsp_clause_array;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(tlsp_clause_array, clause_array_free)

static gboolean parse_rule(parser *p, tlsp_requirement *req, GError **error)
{
  token tok = {0};
  g_autoptr(tlsp_clause_array) clauses =
      g_array_new(FALSE, TRUE, sizeof(tlsp_clause));
  guint32 seen = 0;
  gboolean ok = FALSE;

  if (!lex_next(p, &tok, error))
    goto out;
  if (tok.type == TOK_END)
  {
    fail(p, tok.pos, error, TP_POLICY_PARSE_ERROR_SYNTAX,
         "empty requirement: expected NONE, SSL, X509, EXEMPT or a clause at "
         "offset %zu",
         tok.pos);
    goto out;
  }

  const char *whole = whole_rule_keyword(p, &tok, &req->kind);
  if (whole != NULL)
  {
    /* NONE, SSL, X509 and EXEMPT stand alone, as in REQUIRE. */
    if (!lex_next(p, &tok, error))
      goto out;
    if (tok.type != TOK_END)
    {
      g_autofree char *found = describe_token(p, &tok);
      fail(p, tok.pos, error, TP_POLICY_PARSE_ERROR_SYNTAX,
           "%s cannot be combined with other clauses: expected end of input at "
           "offset %zu, found %s",
           whole, tok.pos, found);
      goto out;
    }
    ok = TRUE;
    goto out;
  }

  req->kind = TP_REQ_CLAUSES;
  for (;;)
  {
    if (!parse_clause(p, &tok, clauses, &seen, error))
      goto out;
    if (!lex_next(p, &tok, error))
      goto out;
    if (tok.type == TOK_END)
      break;
    if (word_is(p, &tok, "AND"))
    {
      if (!lex_next(p, &tok, error))
        goto out;
      if (tok.type == TOK_END)
      {
        fail(p, tok.pos, error, TP_POLICY_PARSE_ERROR_SYNTAX,
             "expected a clause after AND at offset %zu, found end of input",
             tok.pos);
        goto out;
      }
    }
    else if (tok.type != TOK_WORD)
    {
      g_autofree char *found = describe_token(p, &tok);
      fail(p, tok.pos, error, TP_POLICY_PARSE_ERROR_SYNTAX,
           "expected AND, a clause or end of input at offset %zu, found %s",
           tok.pos, found);
      goto out;
    }
  }
  /* Evaluation order; g_array_sort is stable, so SANs keep their order. */
  g_array_sort(clauses, compare_clause_kind);
  req->n_clauses = clauses->len;
  req->clauses =
      (tlsp_clause *) (void *) g_array_free(g_steal_pointer(&clauses), FALSE);
  ok = TRUE;

out:
  token_clear(&tok);
  return ok;
}

tlsp_requirement *tlsp_requirement_parse(const char *text, size_t len,
                                         size_t *error_pos, GError **error)
{
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  parser p = {.text = text ? text : "", .len = text ? len : 0};
  g_autoptr(tlsp_requirement) req = g_new0(tlsp_requirement, 1);
  const char *nul;

  if (error_pos)
    *error_pos = 0;
  if (p.len > TP_REQ_MAX_INPUT)
  {
    fail(&p, TP_REQ_MAX_INPUT, error, TP_POLICY_PARSE_ERROR_TOO_LONG,
         "requirement is %zu bytes long; at most %u are allowed", p.len,
         TP_REQ_MAX_INPUT);
  }
  else if ((nul = memchr(p.text, '\0', p.len)) != NULL)
  {
    size_t at = (size_t) (nul - p.text);
    fail(&p, at, error, TP_POLICY_PARSE_ERROR_SYNTAX, "NUL byte at offset %zu",
         at);
  }
  else if (parse_rule(&p, req, error))
  {
    return g_steal_pointer(&req);
  }
  if (error_pos)
    *error_pos = p.err_pos;
  return NULL;
}

/* ------------------------------------------------------ canonical text */

static void append_quoted(GString *out, const char *s, size_t len)
{
  g_string_append_c(out, '\'');
  for (size_t i = 0; i < len; i++)
  {
    if (s[i] == '\'' || s[i] == '\\')
      g_string_append_c(out, '\\');
    g_string_append_c(out, s[i]);
  }
  g_string_append_c(out, '\'');
}

char *tlsp_requirement_to_string(const tlsp_requirement *req)
{
  g_return_val_if_fail(req != NULL, NULL);
  GString *out = g_string_new(NULL);

  switch (req->kind)
  {
  case TP_REQ_NONE:
    g_string_append(out, "NONE");
    break;
  case TP_REQ_SSL:
    g_string_append(out, "SSL");
    break;
  case TP_REQ_X509:
    g_string_append(out, "X509");
    break;
  case TP_REQ_EXEMPT:
    g_string_append(out, "EXEMPT");
    break;
  case TP_REQ_CLAUSES:
    for (guint i = 0; i < req->n_clauses; i++)
    {
      const tlsp_clause *c = &req->clauses[i];
      if (i > 0)
        g_string_append(out, " AND ");
      g_string_append(out, clause_names[c->kind]);
      if (c->kind == TP_CLAUSE_SAN)
      {
        g_string_append_c(out, ' ');
        g_string_append(out, san_type_names[c->san_type]);
      }
      g_string_append_c(out, ' ');
      if (c->kind == TP_CLAUSE_MIN_VALIDITY_DAYS)
        g_string_append_printf(out, "%u", c->u.days);
      else
        append_quoted(out, c->text, c->text_len);
    }
    break;
  }
  return g_string_free(out, FALSE);
}

/* ---------------------------------------------------------- predicates */

gboolean tlsp_requirement_is_exempt(const tlsp_requirement *req)
{
  return req != NULL && req->kind == TP_REQ_EXEMPT;
}

gboolean tlsp_requirement_has_identity(const tlsp_requirement *req)
{
  if (req == NULL || req->kind != TP_REQ_CLAUSES)
    return FALSE;
  for (guint i = 0; i < req->n_clauses; i++)
  {
    switch (req->clauses[i].kind)
    {
    case TP_CLAUSE_SUBJECT:
      /* SUBJECT '' checks nothing (the server skips an empty subject) */
      if (req->clauses[i].text_len > 0)
        return TRUE;
      break;
    case TP_CLAUSE_SUBJECT_DN:
      /* the empty DN is shared by every certificate without a subject
       * (typical of SPIFFE SVIDs): it names no one */
      if (req->clauses[i].u.dn.n_rdns > 0)
        return TRUE;
      break;
    case TP_CLAUSE_SAN:
    case TP_CLAUSE_SPIFFE:
    case TP_CLAUSE_FINGERPRINT:
    case TP_CLAUSE_PUBKEY:
      return TRUE;
    default:
      break;
    }
  }
  return FALSE;
}

gboolean tlsp_requirement_needs_tls(const tlsp_requirement *req)
{
  /* fail closed on a missing rule */
  if (req == NULL)
    return TRUE;
  return req->kind != TP_REQ_NONE && req->kind != TP_REQ_EXEMPT;
}
