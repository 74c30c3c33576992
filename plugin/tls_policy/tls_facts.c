/*
 * tls_facts.c — the TLS handshake observer and the per-connection registry
 * (see tls_facts.h for the model).
 */
#include <string.h>
#include <openssl/x509.h>
#include <mysql/plugin.h>
#include "server_abi.h"
#include "tls_facts.h"

#define TP_SHARDS 16

typedef struct tp_conn_record {
  uint64_t conn_id;         /* hash key (points into the record) */
  tp_tls_facts *facts;      /* owned reference or NULL */
  uint64_t pre_serial;      /* context serial before the handshake */
  gboolean begun;           /* tp_conn_begin ran for this connection */
  gboolean resolved;
  tp_tls_state tls_state;   /* valid once resolved */
  char *user, *host, *rule; /* admission, for views */
  tp_transport transport;
} tp_conn_record;

typedef struct tp_shard {
  GMutex lock;          /* protects table */
  GHashTable *table;    /* conn_id -> tp_conn_record* (owned) */
} tp_shard;

/* Statics survive UNINSTALL/INSTALL (the library is pinned), so start and
 * stop reset them explicitly.  `active` gates the callback, which may still
 * run from contexts created before the last UNINSTALL. */
static tp_shard shards[TP_SHARDS];
static gint active;
static int ctx_serial_index = -1;
static GMutex serial_lock;   /* protects next_serial and ctx_serial_index */
static uint64_t next_serial = 1;

static tp_shard *shard_of(uint64_t id) { return &shards[id % TP_SHARDS]; }

static void record_free(gpointer p)
{
  tp_conn_record *r = p;
  if (r->facts)
    tp_tls_facts_unref(r->facts);
  g_free(r->user);
  g_free(r->host);
  g_free(r->rule);
  g_free(r);
}

static void facts_clear(gpointer p)
{
  tp_tls_facts *f = p;
  X509_free(f->peer_cert);
}

tp_tls_facts *tp_tls_facts_ref(tp_tls_facts *f)
{
  return g_atomic_rc_box_acquire(f);
}

void tp_tls_facts_unref(tp_tls_facts *f)
{
  if (f)
    g_atomic_rc_box_release_full(f, facts_clear);
}

/* Caller holds the shard lock. */
static tp_conn_record *record_get_or_add(tp_shard *s, uint64_t id)
{
  tp_conn_record *r = g_hash_table_lookup(s->table, &id);
  if (!r)
  {
    r = g_new0(tp_conn_record, 1);
    r->conn_id = id;
    g_hash_table_insert(s->table, &r->conn_id, r);
  }
  return r;
}

static uint64_t ctx_serial(SSL_CTX *ctx)
{
  if (!ctx || ctx_serial_index < 0)
    return 0;
  return (uint64_t) (uintptr_t) SSL_CTX_get_ex_data(ctx, ctx_serial_index);
}

static tp_tls_facts *capture(const SSL *ssl)
{
  tp_tls_facts *f = g_atomic_rc_box_new0(tp_tls_facts);
  f->protocol_version = SSL_version(ssl);
  g_strlcpy(f->protocol, SSL_get_version(ssl), sizeof f->protocol);
  const char *cipher = SSL_get_cipher_name(ssl);
  g_strlcpy(f->cipher, cipher ? cipher : "", sizeof f->cipher);
  f->verify_result = SSL_get_verify_result(ssl);
  f->peer_cert = SSL_get1_peer_certificate(ssl);
  f->ctx_serial = ctx_serial(SSL_get_SSL_CTX(ssl));
  f->captured_at = g_get_real_time() / G_USEC_PER_SEC;
  return f;
}

/* Runs inside OpenSSL, on the thread doing the server's sslaccept(), with
 * LOCK_ssl_refresh held for reading by the server. */
static void tp_info_callback(const SSL *ssl, int where, int ret)
{
  if (!(where & SSL_CB_HANDSHAKE_DONE) || !g_atomic_int_get(&active))
    return;
  MYSQL_THD thd = tp_server_current_thd();
  if (!thd)
    return;
  uint64_t id = thd_get_thread_id(thd);
  tp_tls_facts *f = capture(ssl);
  tp_shard *s = shard_of(id);
  g_mutex_lock(&s->lock);
  if (s->table && g_atomic_int_get(&active))
  {
    tp_conn_record *r = record_get_or_add(s, id);
    if (r->facts)
      tp_tls_facts_unref(r->facts);
    r->facts = f;
    f = NULL;
  }
  g_mutex_unlock(&s->lock);
  tp_tls_facts_unref(f);
}

void tp_tls_facts_start(void)
{
  g_mutex_lock(&serial_lock);
  if (ctx_serial_index < 0)
    ctx_serial_index = SSL_CTX_get_ex_new_index(0, (void *) "tls_policy serial",
                                                NULL, NULL, NULL);
  g_mutex_unlock(&serial_lock);
  for (int i = 0; i < TP_SHARDS; i++)
  {
    g_mutex_lock(&shards[i].lock);
    if (!shards[i].table)
      shards[i].table = g_hash_table_new_full(g_int64_hash, g_int64_equal,
                                              NULL, record_free);
    g_mutex_unlock(&shards[i].lock);
  }
  g_atomic_int_set(&active, 1);
}

void tp_tls_facts_stop(void)
{
  g_atomic_int_set(&active, 0);
  tp_server_ssl_wrlock();
  SSL_CTX *ctx = tp_server_acceptor_ctx_locked();
  if (ctx && SSL_CTX_get_info_callback(ctx) == tp_info_callback)
  {
    SSL_CTX_set_info_callback(ctx, NULL);
    SSL_CTX_set_ex_data(ctx, ctx_serial_index, NULL);
  }
  tp_server_ssl_unlock();
  for (int i = 0; i < TP_SHARDS; i++)
  {
    g_mutex_lock(&shards[i].lock);
    GHashTable *t = shards[i].table;
    shards[i].table = NULL;
    g_mutex_unlock(&shards[i].lock);
    if (t)
      g_hash_table_destroy(t);
  }
}

void tp_tls_instrument_ctx(SSL_CTX *ctx)
{
  if (!ctx || ctx_serial(ctx) != 0)
    return;
  g_mutex_lock(&serial_lock);
  uint64_t serial = next_serial++;
  g_mutex_unlock(&serial_lock);
  SSL_CTX_set_ex_data(ctx, ctx_serial_index, (void *) (uintptr_t) serial);
  SSL_CTX_set_info_callback(ctx, tp_info_callback);
}

uint64_t tp_tls_current_serial(void)
{
  tp_server_ssl_rdlock();
  uint64_t serial = ctx_serial(tp_server_acceptor_ctx_locked());
  tp_server_ssl_unlock();
  return serial;
}

uint64_t tp_tls_instrument_current(void)
{
  tp_server_ssl_rdlock();
  SSL_CTX *ctx = tp_server_acceptor_ctx_locked();
  uint64_t serial = ctx_serial(ctx);
  tp_server_ssl_unlock();
  if (!ctx || serial != 0)
    return serial;
  /* A context we have not seen (server start, FLUSH SSL): instrument it
   * under the write lock, so no handshake runs on it meanwhile and ex_data
   * is never written while another thread reads it. */
  tp_server_ssl_wrlock();
  ctx = tp_server_acceptor_ctx_locked();
  tp_tls_instrument_ctx(ctx);
  serial = ctx_serial(ctx);
  tp_server_ssl_unlock();
  return serial;
}

void tp_conn_begin(uint64_t conn_id, uint64_t pre_serial)
{
  tp_shard *s = shard_of(conn_id);
  g_mutex_lock(&s->lock);
  if (s->table)
  {
    tp_conn_record *r = record_get_or_add(s, conn_id);
    if (!r->begun && !r->resolved)
    {
      r->begun = TRUE;
      r->pre_serial = pre_serial;
    }
  }
  g_mutex_unlock(&s->lock);
}

void tp_conn_resolve(uint64_t conn_id, tp_conn_state *out)
{
  memset(out, 0, sizeof *out);
  out->tls_state = TP_TLS_UNKNOWN;
  /* Read the serial before taking the shard lock: lock order is never
   * shard -> LOCK_ssl_refresh. */
  uint64_t post_serial = tp_tls_current_serial();
  tp_shard *s = shard_of(conn_id);
  g_mutex_lock(&s->lock);
  if (!s->table)
  {
    g_mutex_unlock(&s->lock);
    return;
  }
  tp_conn_record *r = record_get_or_add(s, conn_id);
  if (!r->resolved)
  {
    out->first_login = TRUE;
    if (r->facts)
      r->tls_state = TP_TLS_YES;
    else if (r->begun && r->pre_serial == post_serial)
      /* The same instrumented context (or none at all) was in place from
       * before the greeting until now: a handshake would have been seen. */
      r->tls_state = TP_TLS_NO;
    else
      r->tls_state = TP_TLS_UNKNOWN;
    r->resolved = TRUE;
  }
  out->tls_state = r->tls_state;
  if (r->tls_state == TP_TLS_YES && r->facts)
    out->facts = tp_tls_facts_ref(r->facts);
  g_mutex_unlock(&s->lock);
}

void tp_conn_state_clear(tp_conn_state *st)
{
  if (st->facts)
    tp_tls_facts_unref(st->facts);
  st->facts = NULL;
}

void tp_conn_set_admission(uint64_t conn_id, const char *user,
                           const char *host, tp_transport transport,
                           const char *rule)
{
  tp_shard *s = shard_of(conn_id);
  g_mutex_lock(&s->lock);
  tp_conn_record *r = s->table ? g_hash_table_lookup(s->table, &conn_id) : NULL;
  if (r)
  {
    g_free(r->user);
    g_free(r->host);
    g_free(r->rule);
    r->user = g_strdup(user);
    r->host = g_strdup(host);
    r->rule = g_strdup(rule);
    r->transport = transport;
  }
  g_mutex_unlock(&s->lock);
}

void tp_conn_forget(uint64_t conn_id)
{
  tp_shard *s = shard_of(conn_id);
  g_mutex_lock(&s->lock);
  if (s->table)
    g_hash_table_remove(s->table, &conn_id);
  g_mutex_unlock(&s->lock);
}

guint tp_conn_tracked(void)
{
  guint n = 0;
  for (int i = 0; i < TP_SHARDS; i++)
  {
    g_mutex_lock(&shards[i].lock);
    if (shards[i].table)
      n += g_hash_table_size(shards[i].table);
    g_mutex_unlock(&shards[i].lock);
  }
  return n;
}

void tp_conn_foreach(void (*fn)(const tp_conn_view *v, void *data), void *data)
{
  for (int i = 0; i < TP_SHARDS; i++)
  {
    g_mutex_lock(&shards[i].lock);
    if (shards[i].table)
    {
      GHashTableIter it;
      gpointer value;
      g_hash_table_iter_init(&it, shards[i].table);
      while (g_hash_table_iter_next(&it, NULL, &value))
      {
        tp_conn_record *r = value;
        if (!r->resolved)
          continue;
        tp_conn_view v = { r->conn_id, r->tls_state, r->facts, r->user,
                           r->host, r->rule, r->transport };
        fn(&v, data);
      }
    }
    g_mutex_unlock(&shards[i].lock);
  }
}
