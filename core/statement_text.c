/*
 * statement_text.c — the one reader of statement text (statement_text.h).
 */
#include <string.h>
#include "tls_policy/statement_text.h"

/* Skips blanks, comments and opening parentheses; enters executable
 * comments.  Returns the first character of the next token. */
static const char *skip_blanks(const char *q, const char *end)
{
  for (;;)
  {
    while (q < end && (g_ascii_isspace(*q) || *q == '('))
      q++;
    if (end - q >= 3 && q[0] == '/' && q[1] == '*' &&
        (q[2] == '!' || (q[2] == 'M' && end - q >= 4 && q[3] == '!')))
    {
      /* Executable comment: the server runs what follows the version. */
      q += q[2] == '!' ? 3 : 4;
      while (q < end && g_ascii_isdigit(*q))
        q++;
    }
    else if (end - q >= 2 && q[0] == '/' && q[1] == '*')
    {
      const char *close = g_strstr_len(q + 2, end - q - 2, "*/");
      q = close ? close + 2 : end;
    }
    else if (end - q >= 2 && q[0] == '*' && q[1] == '/')
      q += 2; /* the end of an executable comment */
    else if ((end - q >= 3 && q[0] == '-' && q[1] == '-' &&
              (g_ascii_isspace(q[2]))) ||
             (end - q == 2 && q[0] == '-' && q[1] == '-') ||
             (q < end && *q == '#'))
    {
      while (q < end && *q != '\n')
        q++;
    }
    else
      return q;
  }
}

char *tlsp_stmt_next_word(const char **qp, const char *end)
{
  const char *q = skip_blanks(*qp, end);
  if (q >= end)
    return NULL;
  if (*q == '`' || *q == '\'' || *q == '"')
  {
    char quote = *q++;
    GString *s = g_string_new(NULL);
    while (q < end)
    {
      if (*q == quote)
      {
        if (q + 1 < end && q[1] == quote)
        {
          g_string_append_c(s, quote);
          q += 2;
          continue;
        }
        break;
      }
      if (*q == '\\' && quote != '`' && q + 1 < end)
        q++;
      g_string_append_c(s, *q++);
    }
    if (q >= end)
    {
      g_string_free(s, TRUE);
      return NULL; /* unterminated */
    }
    *qp = q + 1;
    return g_string_free(s, FALSE);
  }
  const char *start = q;
  while (q < end &&
         (g_ascii_isalnum(*q) || *q == '_' || *q == '$' || (guchar) *q >= 0x80))
    q++;
  if (q == start)
    return NULL;
  *qp = q;
  return g_strndup(start, q - start);
}

gboolean tlsp_stmt_next_is(const char **qp, const char *end,
                           const char *keyword)
{
  const char *q = skip_blanks(*qp, end);
  size_t n = strlen(keyword);
  if ((size_t) (end - q) < n || g_ascii_strncasecmp(q, keyword, n) != 0)
    return FALSE;
  if (q + n < end && (g_ascii_isalnum(q[n]) || q[n] == '_' || q[n] == '$' ||
                      (guchar) q[n] >= 0x80))
    return FALSE;
  *qp = q + n;
  return TRUE;
}

static gboolean uninstalls_self(const char *q, const char *end)
{
  if (tlsp_stmt_next_is(&q, end, "SONAME"))
  {
    g_autofree char *lib = tlsp_stmt_next_word(&q, end);
    return lib && (strcmp(lib, "tls_policy") == 0 ||
                   strcmp(lib, "tls_policy.so") == 0);
  }
  if (!tlsp_stmt_next_is(&q, end, "PLUGIN"))
    return FALSE;
  if (tlsp_stmt_next_is(&q, end, "IF") && !tlsp_stmt_next_is(&q, end, "EXISTS"))
    return FALSE;
  g_autofree char *name = tlsp_stmt_next_word(&q, end);
  return name && g_ascii_strcasecmp(name, "tls_policy") == 0;
}

tlsp_stmt_kind tlsp_stmt_classify(const char *text, size_t len)
{
  const char *q = text, *end = text + len;
  if (tlsp_stmt_next_is(&q, end, "COMMIT"))
    return TP_STMT_COMMIT;
  if (tlsp_stmt_next_is(&q, end, "ROLLBACK"))
  {
    tlsp_stmt_next_is(&q, end, "WORK");
    return tlsp_stmt_next_is(&q, end, "TO") ? TP_STMT_OTHER : TP_STMT_ROLLBACK;
  }
  if (tlsp_stmt_next_is(&q, end, "UNINSTALL"))
    return uninstalls_self(q, end) ? TP_STMT_UNINSTALL_SELF : TP_STMT_OTHER;
  if (tlsp_stmt_next_is(&q, end, "GRANT"))
    return TP_STMT_ACCOUNT_DDL;
  if (tlsp_stmt_next_is(&q, end, "ALTER") ||
      tlsp_stmt_next_is(&q, end, "RENAME") ||
      tlsp_stmt_next_is(&q, end, "DROP"))
    return tlsp_stmt_next_is(&q, end, "USER") ? TP_STMT_ACCOUNT_DDL
                                              : TP_STMT_OTHER;
  if (tlsp_stmt_next_is(&q, end, "CREATE"))
  {
    if (tlsp_stmt_next_is(&q, end, "OR") &&
        !tlsp_stmt_next_is(&q, end, "REPLACE"))
      return TP_STMT_OTHER;
    return tlsp_stmt_next_is(&q, end, "USER") ? TP_STMT_ACCOUNT_DDL
                                              : TP_STMT_OTHER;
  }
  if (tlsp_stmt_next_is(&q, end, "FLUSH"))
  {
    if (!tlsp_stmt_next_is(&q, end, "LOCAL"))
      tlsp_stmt_next_is(&q, end, "NO_WRITE_TO_BINLOG");
    return tlsp_stmt_next_is(&q, end, "PRIVILEGES") ? TP_STMT_ACCOUNT_DDL
                                                    : TP_STMT_FLUSH;
  }
  return TP_STMT_OTHER;
}

char *tlsp_stmt_created_view(const char *text, size_t len, char **db)
{
  const char *q = text, *end = text + len;
  *db = NULL;
  if (!tlsp_stmt_next_is(&q, end, "CREATE"))
    return NULL;
  /* The first word VIEW; what comes before it (OR REPLACE, ALGORITHM = x,
   * DEFINER = user@host, SQL SECURITY x) does not matter.  Those are a
   * dozen tokens at most: a statement that has not reached VIEW by then
   * creates something else (and is not read to its end). */
  for (int tokens = 0;; tokens++)
  {
    q = skip_blanks(q, end);
    if (q >= end || tokens > 24)
      return NULL;
    if (tlsp_stmt_next_is(&q, end, "VIEW"))
      break;
    g_autofree char *w = tlsp_stmt_next_word(&q, end);
    if (!w)
    {
      if (*q == '`' || *q == '\'' || *q == '"')
        return NULL; /* unterminated quote */
      q++;           /* '=', '@', ... */
    }
  }
  if (tlsp_stmt_next_is(&q, end, "IF") &&
      !(tlsp_stmt_next_is(&q, end, "NOT") &&
        tlsp_stmt_next_is(&q, end, "EXISTS")))
    return NULL;
  char *name = tlsp_stmt_next_word(&q, end);
  if (name && q < end && *q == '.')
  {
    q++;
    char *second = tlsp_stmt_next_word(&q, end);
    if (!second)
    {
      g_free(name);
      return NULL;
    }
    *db = name;
    name = second;
  }
  return name;
}
