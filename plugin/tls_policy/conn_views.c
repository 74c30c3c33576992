/*
 * conn_views.c — what every live connection negotiated, and when the client
 * certificates of each account expire (see conn_views.h; for users
 * docs/identity-and-sessions.md).
 *
 * Like PostgreSQL's pg_stat_ssl, but per connection it also shows the
 * transport, the full client certificate (one-line and RFC 4514 names,
 * serial, SANs, validity, SHA-256), the verification result and the rule of
 * mysql.tls_policy that admitted the login.
 *
 * Objects (created by tlsp_conn_views_install on the policy store's refresher
 * connection through tlsp_views_create(), which says what each one is;
 * dropped again after a successful UNINSTALL by recheck.c and views.c):
 *   - UDF tls_policy_connections(token) and view mysql.tls_policy_connections,
 *     which shows a reader without the PROCESS privilege only the
 *     connections SHOW PROCESSLIST shows it;
 *   - UDF tls_policy_account_cert_expiry(token) and view
 *     mysql.tls_policy_account_cert_expiry.
 * A UDF needs no privilege in MariaDB, so, as for mysql.tls_policy_rules
 * (views.c), each function answers only when given its view's token, random
 * per view and server process and written into that view's definition:
 * reading the data takes the privileges that reading the view takes.
 *
 * Expiry memory: per user, per certificate identity (subject and issuer),
 * the latest certificate seen on a connection of that user since the plugin
 * was installed.  A renewed certificate (same subject and issuer, later
 * notAfter) replaces the old one, so a rotation does not leave a stale
 * warning behind.  Fed by tlsp_conn_views_sweep() once a second and before the
 * view is read; a connection shorter than a second can be missed.  Bounded
 * to TP_EXPIRY_MAX identities; the least recently seen is forgotten first.
 *
 * Locking: sweep_lock serialises sweeps and protects `seen`; mem_lock
 * protects `mem`.  Order: sweep_lock -> registry shard lock (tls_facts.c),
 * sweep_lock -> mem_lock.  No lock of this file is held while another
 * file's function takes its own, except the shard lock inside
 * tlsp_conn_foreach, whose callbacks here take no lock.
 */
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <mysql/plugin.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include "tls_policy/openssl_autoptr.h"
#include "tls_policy/dn_text.h"
#include "conn_views.h"
#include "views.h"
#include "report.h"
#include "tls_facts.h"

#define TP_EXPIRY_MAX 10000

/* ---- certificate text ------------------------------------------------------ */

static char *name_oneline(const X509_NAME *name)
{
  char *o = name ? X509_NAME_oneline(name, NULL, 0) : NULL;
  char *copy = g_strdup(o);
  OPENSSL_free(o);
  return copy;
}

gint64 tlsp_asn1_time_unix(const ASN1_TIME *t)
{
  struct tm tm;
  if (!t || !ASN1_TIME_to_tm(t, &tm))
    return G_MININT64;
  g_autoptr(GDateTime) dt =
      g_date_time_new_utc(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                          tm.tm_hour, tm.tm_min, tm.tm_sec);
  return dt ? g_date_time_to_unix(dt) : G_MININT64;
}

char *tlsp_utc_datetime(gint64 t)
{
  if (t == G_MININT64)
    return NULL;
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
  return dt ? g_date_time_format(dt, "%Y-%m-%d %H:%M:%S") : NULL;
}

static void append_general_name(GString *s, const GENERAL_NAME *gn)
{
  if (s->len)
    g_string_append(s, ", ");
  switch (gn->type)
  {
  case GEN_DNS:
  case GEN_EMAIL:
  case GEN_URI:
  {
    const ASN1_IA5STRING *v = gn->d.ia5;
    g_string_append(s, gn->type == GEN_DNS     ? "DNS:"
                       : gn->type == GEN_EMAIL ? "email:"
                                               : "URI:");
    /* Raw bytes, NUL included: JSON escaping shows them as they are. */
    g_string_append_len(s, (const char *) ASN1_STRING_get0_data(v),
                        ASN1_STRING_length(v));
    break;
  }
  case GEN_IPADD:
  {
    const ASN1_OCTET_STRING *v = gn->d.iPAddress;
    char buf[INET6_ADDRSTRLEN] = "";
    int n = ASN1_STRING_length(v);
    const unsigned char *b = ASN1_STRING_get0_data(v);
    if (n == 4)
      inet_ntop(AF_INET, b, buf, sizeof buf);
    else if (n == 16)
      inet_ntop(AF_INET6, b, buf, sizeof buf);
    else
      g_strlcpy(buf, "<invalid>", sizeof buf);
    g_string_append_printf(s, "IP:%s", buf);
    break;
  }
  case GEN_DIRNAME:
  {
    g_autofree char *o = tlsp_dn_text(gn->d.directoryName);
    g_string_append_printf(s, "DirName:%s", o ? o : "");
    break;
  }
  case GEN_RID:
  {
    char oid[128] = "";
    OBJ_obj2txt(oid, sizeof oid, gn->d.registeredID, 1);
    g_string_append_printf(s, "RID:%s", oid);
    break;
  }
  case GEN_OTHERNAME:
  {
    char oid[128] = "";
    OBJ_obj2txt(oid, sizeof oid, gn->d.otherName->type_id, 1);
    g_string_append_printf(s, "othername:%s", oid);
    break;
  }
  default:
    g_string_append(s, "other:<unsupported>");
  }
}

void tlsp_cert_text_fill(X509 *cert, tlsp_cert_text *out)
{
  memset(out, 0, sizeof *out);
  out->not_before = out->not_after = G_MININT64;
  if (!cert)
    return;
  out->subject = name_oneline(X509_get_subject_name(cert));
  out->subject_dn = tlsp_dn_text(X509_get_subject_name(cert));
  out->issuer = name_oneline(X509_get_issuer_name(cert));
  out->issuer_dn = tlsp_dn_text(X509_get_issuer_name(cert));

  g_autoptr(BIGNUM) bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
  char *hex = bn ? BN_bn2hex(bn) : NULL;
  out->serial = g_strdup(hex);
  OPENSSL_free(hex);

  /* sans stays NULL when the certificate has no subjectAltName. */
  int crit = 0;
  g_autoptr(GENERAL_NAMES) names =
      X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);
  if (names || crit != -1)
  {
    GString *sans = g_string_new(NULL);
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++)
      append_general_name(sans, sk_GENERAL_NAME_value(names, i));
    if (!names)
      g_string_append(sans, crit == -2 ? "<several subjectAltName extensions>"
                                       : "<subjectAltName does not decode>");
    out->sans_len = sans->len;
    out->sans = g_string_free(sans, FALSE);
  }

  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  if (X509_digest(cert, EVP_sha256(), md, &mdlen) == 1)
  {
    GString *h = g_string_sized_new(2 * mdlen);
    for (unsigned int i = 0; i < mdlen; i++)
      g_string_append_printf(h, "%02x", md[i]);
    out->sha256 = g_string_free(h, FALSE);
  }
  out->not_before = tlsp_asn1_time_unix(X509_get0_notBefore(cert));
  out->not_after = tlsp_asn1_time_unix(X509_get0_notAfter(cert));
}

void tlsp_cert_text_clear(tlsp_cert_text *t)
{
  g_free(t->subject);
  g_free(t->subject_dn);
  g_free(t->issuer);
  g_free(t->issuer_dn);
  g_free(t->serial);
  g_free(t->sans);
  g_free(t->sha256);
  memset(t, 0, sizeof *t);
}

/* ---- copying the registry --------------------------------------------------- */

static void conn_copy_clear(gpointer p)
{
  tlsp_conn_copy *c = p;
  if (c->facts)
    tlsp_tls_facts_unref(c->facts);
  g_free(c->user);
  g_free(c->host);
  g_free(c->rule);
  g_free(c->ip);
}

/* Runs under a registry shard lock: copies only. */
static void collect_cb(const tlsp_conn_view *v, void *data)
{
  if (!v->user)
    return; /* resolved but not (yet) admitted: not a live login */
  tlsp_conn_copy c = {
      .conn_id = v->conn_id,
      .tls_state = v->tls_state,
      .facts = v->tls_state == TP_TLS_YES && v->facts
                   ? tlsp_tls_facts_ref((tlsp_tls_facts *) v->facts)
                   : NULL,
      .user = g_strdup(v->user),
      .host = g_strdup(v->host ? v->host : ""),
      .rule = g_strdup(v->rule ? v->rule : ""),
      .ip = g_strdup(v->ip),
      .transport = v->transport,
      .identity_required = v->identity_required,
  };
  g_array_append_val((GArray *) data, c);
}

static gint conn_copy_cmp(gconstpointer a, gconstpointer b)
{
  const tlsp_conn_copy *x = a, *y = b;
  return x->conn_id < y->conn_id ? -1 : x->conn_id > y->conn_id;
}

GArray *tlsp_conn_views_collect(void)
{
  GArray *a = g_array_new(FALSE, TRUE, sizeof(tlsp_conn_copy));
  g_array_set_clear_func(a, conn_copy_clear);
  tlsp_conn_foreach(collect_cb, a);
  g_array_sort(a, conn_copy_cmp);
  return a;
}

/* ---- expiry memory ------------------------------------------------------------ */

typedef struct expiry_cert {
  char *user;
  char *subject, *issuer, *serial, *sha256;
  gint64 not_after;
  gint64 last_seen;
} expiry_cert;

static void expiry_cert_free(gpointer p)
{
  expiry_cert *e = p;
  g_free(e->user);
  g_free(e->subject);
  g_free(e->issuer);
  g_free(e->serial);
  g_free(e->sha256);
  g_free(e);
}

/* A connection whose certificate is already in the memory. */
typedef struct seen_conn {
  char *user;
  const tlsp_tls_facts *facts; /* identity only, never dereferenced */
  char *mem_key;               /* its entry in `mem` */
  guint64 sweep;
} seen_conn;

static void seen_conn_free(gpointer p)
{
  seen_conn *s = p;
  g_free(s->user);
  g_free(s->mem_key);
  g_free(s);
}

static GMutex sweep_lock;
static GHashTable *seen; /* sweep_lock: conn id (guint64*) -> seen_conn */
static guint64 sweep_no; /* sweep_lock */

static GMutex mem_lock;
static GHashTable
    *mem; /* mem_lock: "user\x1fsubject\x1fissuer" -> expiry_cert */
static gboolean mem_full_logged;

static void memory_start(void)
{
  g_mutex_lock(&sweep_lock);
  if (seen)
    g_hash_table_destroy(seen);
  seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
                               seen_conn_free);
  g_mutex_unlock(&sweep_lock);
  g_mutex_lock(&mem_lock);
  if (mem)
    g_hash_table_destroy(mem);
  mem =
      g_hash_table_new_full(g_str_hash, g_str_equal, g_free, expiry_cert_free);
  mem_full_logged = FALSE;
  g_mutex_unlock(&mem_lock);
}

static void memory_stop(void)
{
  g_mutex_lock(&sweep_lock);
  if (seen)
    g_hash_table_destroy(seen);
  seen = NULL;
  g_mutex_unlock(&sweep_lock);
  g_mutex_lock(&mem_lock);
  if (mem)
    g_hash_table_destroy(mem);
  mem = NULL;
  g_mutex_unlock(&mem_lock);
}

/* Caller holds mem_lock. */
static void mem_evict_oldest_locked(void)
{
  GHashTableIter it;
  gpointer key, value, oldest_key = NULL;
  gint64 oldest = G_MAXINT64;
  g_hash_table_iter_init(&it, mem);
  while (g_hash_table_iter_next(&it, &key, &value))
    if (((expiry_cert *) value)->last_seen < oldest)
    {
      oldest = ((expiry_cert *) value)->last_seen;
      oldest_key = key;
    }
  if (oldest_key)
    g_hash_table_remove(mem, oldest_key);
}

/* Remembers the certificate of a connection of `user`; returns the key of
 * its identity in `mem` (newly allocated). */
static char *mem_note(const char *user, X509 *cert, gint64 now)
{
  tlsp_cert_text t;
  tlsp_cert_text_fill(cert, &t);
  char *key =
      g_strdup_printf("%s\x1f%s\x1f%s", user, t.subject ? t.subject : "",
                      t.issuer ? t.issuer : "");
  g_mutex_lock(&mem_lock);
  if (mem)
  {
    expiry_cert *e = g_hash_table_lookup(mem, key);
    if (!e)
    {
      if (g_hash_table_size(mem) >= TP_EXPIRY_MAX)
      {
        if (!mem_full_logged)
          tlsp_log_warning(
              "account certificate memory is full (%d identities); "
              "the least recently seen are forgotten",
              TP_EXPIRY_MAX);
        mem_full_logged = TRUE;
        mem_evict_oldest_locked();
      }
      e = g_new0(expiry_cert, 1);
      e->user = g_strdup(user);
      e->not_after = G_MININT64;
      g_hash_table_insert(mem, g_strdup(key), e);
    }
    /* The same identity with a later notAfter is a renewal: it replaces the
     * remembered certificate.  An older one seen again (clients still on the
     * old certificate) only refreshes last_seen; the live part of the view
     * still shows it. */
    if (e->not_after == G_MININT64 || t.not_after > e->not_after)
    {
      g_free(e->subject);
      g_free(e->issuer);
      g_free(e->serial);
      g_free(e->sha256);
      e->subject = g_steal_pointer(&t.subject);
      e->issuer = g_steal_pointer(&t.issuer);
      e->serial = g_steal_pointer(&t.serial);
      e->sha256 = g_steal_pointer(&t.sha256);
      e->not_after = t.not_after;
    }
    e->last_seen = now;
  }
  g_mutex_unlock(&mem_lock);
  tlsp_cert_text_clear(&t);
  return key;
}

typedef struct sweep_todo {
  uint64_t conn_id;
  char *user;
  X509 *cert; /* own reference */
  const tlsp_tls_facts *facts;
} sweep_todo;

typedef struct sweep_ctx {
  GArray *todo; /* sweep_todo */
  guint64 no;
} sweep_ctx;

/* Under a shard lock; the caller of tlsp_conn_foreach holds sweep_lock. */
static void sweep_cb(const tlsp_conn_view *v, void *data)
{
  sweep_ctx *ctx = data;
  if (!v->user || v->tls_state != TP_TLS_YES || !v->facts ||
      !v->facts->peer_cert)
    return;
  uint64_t id = v->conn_id;
  seen_conn *s = g_hash_table_lookup(seen, &id);
  if (s && s->facts == v->facts && strcmp(s->user, v->user) == 0)
  {
    s->sweep = ctx->no;
    return;
  }
  X509_up_ref(v->facts->peer_cert);
  sweep_todo t = {id, g_strdup(v->user), v->facts->peer_cert, v->facts};
  g_array_append_val(ctx->todo, t);
}

static gboolean seen_stale(gpointer key, gpointer value, gpointer data)
{
  return ((seen_conn *) value)->sweep != *(guint64 *) data;
}

void tlsp_conn_views_sweep(void)
{
  g_mutex_lock(&sweep_lock);
  if (!seen)
  {
    g_mutex_unlock(&sweep_lock);
    return;
  }
  sweep_ctx ctx = {g_array_new(FALSE, FALSE, sizeof(sweep_todo)), ++sweep_no};
  tlsp_conn_foreach(sweep_cb, &ctx);
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  for (guint i = 0; i < ctx.todo->len; i++)
  {
    sweep_todo *t = &g_array_index(ctx.todo, sweep_todo, i);
    seen_conn *s = g_new0(seen_conn, 1);
    s->mem_key = mem_note(t->user, t->cert, now);
    s->user = t->user;
    s->facts = t->facts;
    s->sweep = ctx.no;
    g_hash_table_replace(seen, g_memdup2(&t->conn_id, sizeof t->conn_id), s);
    X509_free(t->cert);
  }
  g_array_free(ctx.todo, TRUE);
  /* Forget connections that are gone; the certificates of the others are
   * still in use: last seen now. */
  g_hash_table_foreach_remove(seen, seen_stale, &ctx.no);
  g_mutex_lock(&mem_lock);
  if (mem)
  {
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, seen);
    while (g_hash_table_iter_next(&it, NULL, &value))
    {
      expiry_cert *e = g_hash_table_lookup(mem, ((seen_conn *) value)->mem_key);
      if (e)
        e->last_seen = now;
    }
  }
  g_mutex_unlock(&mem_lock);
  g_mutex_unlock(&sweep_lock);
}

/* ---- the UDFs ------------------------------------------------------------------ */

static void append_time_field(GString *out, const char *name, gint64 t)
{
  g_autofree char *s = tlsp_utc_datetime(t);
  g_string_append_printf(out, ",\"%s\":", name);
  tlsp_json_append_cstring(out, s);
}

/* ,"days_left":N.N — with a '.' whatever the process locale. */
static void append_days_left(GString *out, gint64 not_after, gint64 now)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (not_after == G_MININT64)
    return;
  g_string_append_printf(out, ",\"days_left\":%s",
                         g_ascii_formatd(buf, sizeof buf, "%.1f",
                                         (double) (not_after - now) / 86400.0));
}

static void connections_json(GString *out)
{
  g_autoptr(GArray) conns = tlsp_conn_views_collect();
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  g_string_append_c(out, '[');
  for (guint i = 0; i < conns->len; i++)
  {
    const tlsp_conn_copy *c = &g_array_index(conns, tlsp_conn_copy, i);
    if (i)
      g_string_append_c(out, ',');
    g_string_append_printf(
        out, "{\"id\":%" G_GUINT64_FORMAT ",\"user\":", (guint64) c->conn_id);
    tlsp_json_append_cstring(out, c->user);
    g_string_append(out, ",\"host\":");
    tlsp_json_append_cstring(out, c->host);
    g_string_append_printf(out, ",\"transport\":\"%s\",\"tls\":\"%s\"",
                           tlsp_transport_text(c->transport),
                           tlsp_tls_state_text(c->tls_state));
    const tlsp_tls_facts *f = c->facts;
    g_string_append(out, ",\"version\":");
    tlsp_json_append_cstring(out, f ? f->protocol : NULL);
    g_string_append(out, ",\"cipher\":");
    tlsp_json_append_cstring(out, f ? f->cipher : NULL);
    if (f && f->peer_cert)
    {
      tlsp_cert_text t;
      tlsp_cert_text_fill(f->peer_cert, &t);
      g_string_append(out, ",\"subject\":");
      tlsp_json_append_cstring(out, t.subject);
      g_string_append(out, ",\"subject_dn\":");
      tlsp_json_append_cstring(out, t.subject_dn);
      g_string_append(out, ",\"issuer\":");
      tlsp_json_append_cstring(out, t.issuer);
      g_string_append(out, ",\"serial\":");
      tlsp_json_append_cstring(out, t.serial);
      g_string_append(out, ",\"sans\":");
      tlsp_json_append_string(out, t.sans, t.sans_len);
      append_time_field(out, "not_before", t.not_before);
      append_time_field(out, "not_after", t.not_after);
      append_days_left(out, t.not_after, now);
      g_string_append(out, ",\"sha256\":");
      tlsp_json_append_cstring(out, t.sha256);
      tlsp_cert_text_clear(&t);
    }
    if (f)
    {
      const char *vt = X509_verify_cert_error_string(f->verify_result);
      g_string_append_printf(
          out, ",\"verify_result\":%ld,\"verify_text\":", f->verify_result);
      tlsp_json_append_cstring(out, vt);
    }
    g_string_append(out, ",\"admitted_by\":");
    tlsp_json_append_cstring(out, c->rule);
    guint64 rule_id = 0;
    if (g_str_has_prefix(c->rule, "row ") &&
        g_ascii_string_to_unsigned(c->rule + 4, 10, 0, G_MAXUINT64, &rule_id,
                                   NULL))
      g_string_append_printf(out, ",\"rule_id\":%" G_GUINT64_FORMAT, rule_id);
    g_string_append_c(out, '}');
  }
  g_string_append_c(out, ']');
}

typedef struct expiry_row {
  char *user;
  gboolean has_cert;
  gint64 not_after;
  const char *subject, *issuer, *serial, *sha256; /* borrowed */
  gint64 last_seen;
  guint live, identities;
} expiry_row;

static void expiry_row_consider(expiry_row *r, gint64 not_after,
                                const char *subject, const char *issuer,
                                const char *serial, const char *sha256,
                                gint64 last_seen)
{
  if (r->has_cert && not_after >= r->not_after &&
      !(not_after == r->not_after && last_seen > r->last_seen))
    return;
  r->has_cert = TRUE;
  r->not_after = not_after;
  r->subject = subject;
  r->issuer = issuer;
  r->serial = serial;
  r->sha256 = sha256;
  r->last_seen = last_seen;
}

static gint expiry_row_cmp(gconstpointer a, gconstpointer b)
{
  const expiry_row *x = *(expiry_row *const *) a, *y = *(expiry_row *const *) b;
  return strcmp(x->user, y->user);
}

static void account_expiry_json(GString *out)
{
  tlsp_conn_views_sweep();
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  g_autoptr(GArray) conns = tlsp_conn_views_collect();
  /* Live certificates, described once each. */
  tlsp_cert_text *live = g_new0(tlsp_cert_text, conns->len ? conns->len : 1);
  g_autoptr(GHashTable) rows =
      g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
  for (guint i = 0; i < conns->len; i++)
  {
    const tlsp_conn_copy *c = &g_array_index(conns, tlsp_conn_copy, i);
    if (!c->facts || !c->facts->peer_cert)
      continue;
    tlsp_cert_text_fill(c->facts->peer_cert, &live[i]);
    expiry_row *r = g_hash_table_lookup(rows, c->user);
    if (!r)
    {
      r = g_new0(expiry_row, 1);
      r->user = c->user;
      g_hash_table_insert(rows, r->user, r);
    }
    r->live++;
    expiry_row_consider(r, live[i].not_after, live[i].subject, live[i].issuer,
                        live[i].serial, live[i].sha256, now);
  }
  g_mutex_lock(&mem_lock);
  if (mem)
  {
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, mem);
    while (g_hash_table_iter_next(&it, NULL, &value))
    {
      expiry_cert *e = value;
      expiry_row *r = g_hash_table_lookup(rows, e->user);
      if (!r)
      {
        r = g_new0(expiry_row, 1);
        r->user = e->user;
        g_hash_table_insert(rows, r->user, r);
      }
      r->identities++;
      expiry_row_consider(r, e->not_after, e->subject, e->issuer, e->serial,
                          e->sha256, e->last_seen);
    }
  }
  /* Output while mem_lock still protects the borrowed strings. */
  g_autoptr(GPtrArray) sorted = g_ptr_array_new();
  GHashTableIter rit;
  gpointer rval;
  g_hash_table_iter_init(&rit, rows);
  while (g_hash_table_iter_next(&rit, NULL, &rval))
    g_ptr_array_add(sorted, rval);
  g_ptr_array_sort(sorted, expiry_row_cmp);
  g_string_append_c(out, '[');
  for (guint i = 0; i < sorted->len; i++)
  {
    const expiry_row *r = g_ptr_array_index(sorted, i);
    if (i)
      g_string_append_c(out, ',');
    g_string_append(out, "{\"user\":");
    tlsp_json_append_cstring(out, r->user);
    append_time_field(out, "not_after", r->not_after);
    append_days_left(out, r->not_after, now);
    g_string_append(out, ",\"subject\":");
    tlsp_json_append_cstring(out, r->subject);
    g_string_append(out, ",\"issuer\":");
    tlsp_json_append_cstring(out, r->issuer);
    g_string_append(out, ",\"serial\":");
    tlsp_json_append_cstring(out, r->serial);
    g_string_append(out, ",\"sha256\":");
    tlsp_json_append_cstring(out, r->sha256);
    g_string_append_printf(out, ",\"live_connections\":%u,\"identities\":%u",
                           r->live, r->identities);
    append_time_field(out, "last_seen", r->last_seen);
    g_string_append_c(out, '}');
  }
  g_string_append_c(out, ']');
  g_mutex_unlock(&mem_lock);
  for (guint i = 0; i < conns->len; i++)
    tlsp_cert_text_clear(&live[i]);
  g_free(live);
}

my_bool tls_policy_connections_init(UDF_INIT *initid, UDF_ARGS *args,
                                    char *message);
char *tls_policy_connections(UDF_INIT *initid, UDF_ARGS *args, char *result,
                             unsigned long *length, char *is_null, char *error);
void tls_policy_connections_deinit(UDF_INIT *initid);
my_bool tls_policy_account_cert_expiry_init(UDF_INIT *initid, UDF_ARGS *args,
                                            char *message);
char *tls_policy_account_cert_expiry(UDF_INIT *initid, UDF_ARGS *args,
                                     char *result, unsigned long *length,
                                     char *is_null, char *error);
void tls_policy_account_cert_expiry_deinit(UDF_INIT *initid);

my_bool tls_policy_connections_init(UDF_INIT *initid, UDF_ARGS *args,
                                    char *message)
{
  return tlsp_views_udf_init(initid, args, message,
                             "mysql.tls_policy_connections");
}

char *tls_policy_connections(UDF_INIT *initid, UDF_ARGS *args, char *result,
                             unsigned long *length, char *is_null, char *error)
{
  return tlsp_views_udf_run(initid, args, length, is_null, connections_json);
}

void tls_policy_connections_deinit(UDF_INIT *initid)
{
  tlsp_views_udf_deinit(initid);
}

my_bool tls_policy_account_cert_expiry_init(UDF_INIT *initid, UDF_ARGS *args,
                                            char *message)
{
  return tlsp_views_udf_init(initid, args, message,
                             "mysql.tls_policy_account_cert_expiry");
}

char *tls_policy_account_cert_expiry(UDF_INIT *initid, UDF_ARGS *args,
                                     char *result, unsigned long *length,
                                     char *is_null, char *error)
{
  return tlsp_views_udf_run(initid, args, length, is_null, account_expiry_json);
}

void tls_policy_account_cert_expiry_deinit(UDF_INIT *initid)
{
  tlsp_views_udf_deinit(initid);
}

/* ---- installing ---------------------------------------------------------------- */

void tlsp_conn_views_install_view(struct st_mysql *m, const char *view,
                                  const char *function, const char *select,
                                  const char *columns)
{
  tlsp_view_def def = {
      .view = view,
      .function = function,
      .select = select,
      .columns = columns,
  };
  tlsp_views_create(m, &def);
}

/* Without the PROCESS privilege, a session sees only the connections that
 * SHOW PROCESSLIST shows it (those of its own user): the view is SQL
 * SECURITY INVOKER, so information_schema.PROCESSLIST answers for the
 * reader. */
static const tlsp_view_def connections_view = {
    .view = "mysql.tls_policy_connections",
    .function = "tls_policy_connections",
    .select =
        "j.Id, j.User, j.Host, j.Transport, j.Tls, j.Tls_version, j.Cipher, "
        "j.Cert_subject, j.Cert_subject_dn, j.Cert_issuer, j.Cert_serial, "
        "j.Cert_sans, j.Cert_not_before_utc, j.Cert_not_after_utc, "
        "j.Cert_days_left, j.Cert_sha256, j.Verify_result, j.Verify_text, "
        "j.Admitted_by, j.Rule_id",
    .columns =
        " Id BIGINT UNSIGNED PATH '$.id',"
        " User VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH "
        "'$.user',"
        " Host VARCHAR(255) CHARACTER SET utf8mb4 PATH '$.host',"
        " Transport VARCHAR(7) CHARACTER SET ascii PATH '$.transport',"
        " Tls VARCHAR(7) CHARACTER SET ascii PATH '$.tls',"
        " Tls_version VARCHAR(16) CHARACTER SET ascii PATH '$.version',"
        " Cipher VARCHAR(64) CHARACTER SET ascii PATH '$.cipher',"
        " Cert_subject TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH "
        "'$.subject',"
        " Cert_subject_dn TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH "
        "'$.subject_dn',"
        " Cert_issuer TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH "
        "'$.issuer',"
        " Cert_serial VARCHAR(64) CHARACTER SET ascii PATH '$.serial',"
        " Cert_sans TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH "
        "'$.sans',"
        " Cert_not_before_utc DATETIME PATH '$.not_before',"
        " Cert_not_after_utc DATETIME PATH '$.not_after',"
        " Cert_days_left DECIMAL(8,1) PATH '$.days_left',"
        " Cert_sha256 CHAR(64) CHARACTER SET ascii PATH '$.sha256',"
        " Verify_result INT PATH '$.verify_result',"
        " Verify_text VARCHAR(128) CHARACTER SET utf8mb4 PATH '$.verify_text',"
        " Admitted_by VARCHAR(48) CHARACTER SET ascii PATH '$.admitted_by',"
        " Rule_id BIGINT UNSIGNED PATH '$.rule_id'",
    .where = "j.Id IN (SELECT p.ID FROM information_schema.PROCESSLIST p)",
};

static const tlsp_view_def expiry_view = {
    .view = "mysql.tls_policy_account_cert_expiry",
    .function = "tls_policy_account_cert_expiry",
    .select =
        "j.User, j.Not_after_utc, j.Days_left, j.Subject, j.Issuer, j.Serial, "
        "j.Cert_sha256, j.Live_connections, j.Identities_seen, j.Last_seen_utc",
    .columns = " User VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin "
               "PATH '$.user',"
               " Not_after_utc DATETIME PATH '$.not_after',"
               " Days_left DECIMAL(8,1) PATH '$.days_left',"
               " Subject TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH "
               "'$.subject',"
               " Issuer TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH "
               "'$.issuer',"
               " Serial VARCHAR(64) CHARACTER SET ascii PATH '$.serial',"
               " Cert_sha256 CHAR(64) CHARACTER SET ascii PATH '$.sha256',"
               " Live_connections INT UNSIGNED PATH '$.live_connections',"
               " Identities_seen INT UNSIGNED PATH '$.identities',"
               " Last_seen_utc DATETIME PATH '$.last_seen'",
};

void tlsp_conn_views_install(struct st_mysql *m)
{
  tlsp_views_create(m, &connections_view);
  tlsp_views_create(m, &expiry_view);
}

/* ---- the sweeper ------------------------------------------------------------- */

/* Once a second the certificates of the live connections go into the
 * expiry memory (tlsp_conn_views_sweep).  The thread runs no SQL and holds no
 * THD.  sweeper.lock protects `sweeper`. */
static struct {
  GMutex lock;
  GCond cond;
  GThread *thread;
  gboolean stop;
} sweeper;

static gpointer sweeper_main(gpointer unused)
{
  g_mutex_lock(&sweeper.lock);
  while (!sweeper.stop)
  {
    gint64 wake = g_get_monotonic_time() + G_USEC_PER_SEC;
    while (!sweeper.stop &&
           g_cond_wait_until(&sweeper.cond, &sweeper.lock, wake))
      ;
    if (sweeper.stop)
      break;
    g_mutex_unlock(&sweeper.lock);
    tlsp_conn_views_sweep();
    g_mutex_lock(&sweeper.lock);
  }
  g_mutex_unlock(&sweeper.lock);
  return NULL;
}

static gboolean conn_views_start(GError **error)
{
  memory_start();
  g_mutex_lock(&sweeper.lock);
  sweeper.stop = FALSE;
  sweeper.thread =
      g_thread_try_new("tls_policy_sweep", sweeper_main, NULL, error);
  gboolean ok = sweeper.thread != NULL;
  g_mutex_unlock(&sweeper.lock);
  if (!ok)
    memory_stop();
  return ok;
}

/* Never called on the sweeper itself (it runs no statement, so the server
 * never runs deinit there). */
static void conn_views_stop(void)
{
  g_mutex_lock(&sweeper.lock);
  sweeper.stop = TRUE;
  g_cond_broadcast(&sweeper.cond);
  GThread *t = sweeper.thread;
  sweeper.thread = NULL;
  g_mutex_unlock(&sweeper.lock);
  if (t)
    g_thread_join(t);
  memory_stop();
}

const tlsp_module tlsp_module_conn_views = {
    .name = "conn_views",
    .start = conn_views_start,
    .stop = conn_views_stop,
};
