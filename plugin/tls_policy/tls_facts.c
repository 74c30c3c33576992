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

typedef struct tlsp_conn_record {
  uint64_t conn_id;      /* hash key (points into the record) */
  tlsp_tls_facts *facts; /* owned reference or NULL */
  gboolean begun;        /* tlsp_conn_begin ran for this connection */
  guint ssl_pending;     /* SSL objects created for it, role not yet known */
  gboolean ssl_server;   /* one of them started a handshake as server */
  gboolean resolved;
  tlsp_tls_state tls_state; /* valid once resolved */
  /* The admission the server accepted (user NULL: none yet), and one the
   * plugin decided that the server has not accepted yet (it may still
   * refuse the login after the handler returned, e.g. a COM_CHANGE_USER
   * without access to the database asked for). */
  tlsp_admission admitted, pending;
  gboolean has_pending;
} tlsp_conn_record;

typedef struct tlsp_shard {
  GMutex lock;       /* protects table */
  GHashTable *table; /* conn_id -> tlsp_conn_record* (owned) */
} tlsp_shard;

/* Statics survive UNINSTALL/INSTALL (the library is pinned), so start and
 * stop reset them explicitly.  `active` gates both OpenSSL callbacks: the
 * SSL ex_data index (and so on_ssl_new) stays registered for the life of
 * the process, and SSL objects of connections that outlive an UNINSTALL
 * keep tlsp_info_callback. */
static tlsp_shard shards[TP_SHARDS];
static gint active;
static int ssl_index = -1; /* registered once, under index_lock, before any
                              * callback can run; the callbacks read it bare */
static GMutex index_lock;

static tlsp_shard *shard_of(uint64_t id) { return &shards[id % TP_SHARDS]; }

/* The strings of an admission held in a record are owned by it. */
static void admission_clear(tlsp_admission *a)
{
  g_free((char *) a->user);
  g_free((char *) a->host);
  g_free((char *) a->ip);
  g_free((char *) a->rule);
  memset(a, 0, sizeof *a);
}

static void admission_copy(tlsp_admission *to, const tlsp_admission *from)
{
  admission_clear(to);
  *to = (tlsp_admission){
      .user = g_strdup(from->user),
      .host = g_strdup(from->host),
      .ip = g_strdup(from->ip),
      .rule = g_strdup(from->rule),
      .transport = from->transport,
      .identity_required = from->identity_required,
  };
}

static void record_free(gpointer p)
{
  tlsp_conn_record *r = p;
  if (r->facts)
    tlsp_tls_facts_unref(r->facts);
  admission_clear(&r->admitted);
  admission_clear(&r->pending);
  g_free(r);
}

static void facts_clear(gpointer p)
{
  tlsp_tls_facts *f = p;
  X509_free(f->peer_cert);
}

tlsp_tls_facts *tlsp_tls_facts_ref(tlsp_tls_facts *f)
{
  return g_atomic_rc_box_acquire(f);
}

void tlsp_tls_facts_unref(tlsp_tls_facts *f)
{
  if (f)
    g_atomic_rc_box_release_full(f, facts_clear);
}

/* Caller holds the shard lock. */
static tlsp_conn_record *record_get_or_add(tlsp_shard *s, uint64_t id)
{
  tlsp_conn_record *r = g_hash_table_lookup(s->table, &id);
  if (!r)
  {
    r = g_new0(tlsp_conn_record, 1);
    r->conn_id = id;
    g_hash_table_insert(s->table, &r->conn_id, r);
  }
  return r;
}

static tlsp_tls_facts *capture(const SSL *ssl)
{
  tlsp_tls_facts *f = g_atomic_rc_box_new0(tlsp_tls_facts);
  f->protocol_version = SSL_version(ssl);
  g_strlcpy(f->protocol, SSL_get_version(ssl), sizeof f->protocol);
  const char *cipher = SSL_get_cipher_name(ssl);
  g_strlcpy(f->cipher, cipher ? cipher : "", sizeof f->cipher);
  f->verify_result = SSL_get_verify_result(ssl);
  f->peer_cert = SSL_get1_peer_certificate(ssl);
  f->captured_at = g_get_real_time() / G_USEC_PER_SEC;
  return f;
}

/* The connection an SSL object was created for, kept in our ex_data slot
 * until the object's role is known: the id + 1 (0 is "none"). */
static uint64_t pending_conn_of(const SSL *ssl)
{
  return (uint64_t) (uintptr_t) SSL_get_ex_data(ssl, ssl_index);
}

/* The first callback of an SSL object marked by on_ssl_new: its role is set
 * by now (SSL_accept()/SSL_connect() set it before the handshake starts), so
 * the connection's pending mark becomes "server-side SSL" or, for a client
 * SSL (e.g. an outgoing connection an auth plugin makes), goes away.
 * Caller: tlsp_info_callback, on the thread running the handshake. */
static void settle_role(SSL *ssl, uint64_t pending)
{
  SSL_set_ex_data(ssl, ssl_index, NULL);
  uint64_t id = pending - 1;
  gboolean server = SSL_is_server(ssl) != 0;
  tlsp_shard *s = shard_of(id);
  g_mutex_lock(&s->lock);
  tlsp_conn_record *r = s->table ? g_hash_table_lookup(s->table, &id) : NULL;
  if (r && !r->resolved && r->ssl_pending > 0)
  {
    r->ssl_pending--;
    if (server)
      r->ssl_server = TRUE;
  }
  g_mutex_unlock(&s->lock);
}

/* Runs inside OpenSSL, on the thread doing the server's sslaccept(), with
 * LOCK_ssl_refresh held for reading by the server.  Facts are taken only
 * until the connection is resolved: the login was decided on those, and a
 * later handshake (renegotiation) must not change what views and rechecks
 * report as the admitted identity. */
static void tlsp_info_callback(const SSL *ssl, int where, int ret)
{
  if (!g_atomic_int_get(&active))
    return;
  uint64_t pending = pending_conn_of(ssl);
  if (pending)
    settle_role((SSL *) ssl, pending);
  if (!(where & SSL_CB_HANDSHAKE_DONE) || !SSL_is_server((SSL *) ssl))
    return;
  MYSQL_THD thd = tlsp_server_current_thd();
  if (!thd)
    return;
  uint64_t id = thd_get_thread_id(thd);
  tlsp_tls_facts *f = capture(ssl);
  tlsp_shard *s = shard_of(id);
  g_mutex_lock(&s->lock);
  if (s->table && g_atomic_int_get(&active))
  {
    tlsp_conn_record *r = record_get_or_add(s, id);
    if (!r->resolved)
    {
      if (r->facts)
        tlsp_tls_facts_unref(r->facts);
      r->facts = f;
      f = NULL;
    }
  }
  g_mutex_unlock(&s->lock);
  tlsp_tls_facts_unref(f);
}

/*
 * Called by OpenSSL inside SSL_new() for every SSL object of the process
 * (the "new" function of our SSL ex_data index).  This is how handshakes
 * are observed (hazard H3): not by instrumenting the acceptor SSL_CTX,
 * which FLUSH SSL or a reload can replace between a connection's greeting
 * and its handshake, but by the SSL object every handshake needs, created
 * by the server's sslaccept() on the thread that runs the login, whatever
 * context it came from.
 *
 * Nothing about the object is read here: OpenSSL decides the order in
 * which SSL_new() fills it in, and from OpenSSL 3.2 on this function runs
 * before the object has its context or its server flag (SSL_is_server() is
 * 0 here for every object; on 3.0 it is already 1).  So every SSL object
 * created while a THD is current gets our info callback, and when that THD
 * is a registered connection not yet resolved, the object is counted as
 * pending for it (its id in our ex_data slot).  The object's first info
 * callback settles the role (settle_role).  A pending or server-side object
 * is what makes "no facts" mean tls_unknown rather than "plain"
 * (tlsp_conn_resolve): a connection registered before its greeting that had
 * no such object until it was resolved cannot have done a TLS handshake;
 * an object that never reached a callback stays pending (fail closed).
 * Setting the info callback here relies only on SSL_new() not resetting it
 * afterwards (true on OpenSSL 3.0 and 3.5); were it reset, the object would
 * stay pending and the login would be tls_unknown, never "plain".
 */
static void on_ssl_new(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
                       long argl, void *argp)
{
  SSL *ssl = parent;
  if (!ssl || !g_atomic_int_get(&active))
    return;
  MYSQL_THD thd = tlsp_server_current_thd();
  if (!thd)
    return;
  SSL_set_info_callback(ssl, tlsp_info_callback);
  uint64_t id = thd_get_thread_id(thd);
  tlsp_shard *s = shard_of(id);
  g_mutex_lock(&s->lock);
  if (s->table)
  {
    tlsp_conn_record *r = g_hash_table_lookup(s->table, &id);
    if (r && !r->resolved &&
        CRYPTO_set_ex_data(ad, idx, (void *) (uintptr_t) (id + 1)))
      r->ssl_pending++;
    else if (r && !r->resolved)
      /* No slot to settle the role later: count it as server-side, which
       * can only turn "plain" into tls_unknown. */
      r->ssl_server = TRUE;
  }
  g_mutex_unlock(&s->lock);
}

gboolean tlsp_tls_facts_start(GError **error)
{
  /* Registered once per process and never freed: freeing an index leaves a
   * dummy slot behind in OpenSSL, so an index per INSTALL would make every
   * SSL_new() slower over many install cycles.  The library is pinned, so
   * the function stays valid; `active` turns it into a no-op. */
  g_mutex_lock(&index_lock);
  if (ssl_index < 0)
    ssl_index = SSL_get_ex_new_index(
        0, (void *) "tls_policy handshake observer", on_ssl_new, NULL, NULL);
  int index = ssl_index;
  g_mutex_unlock(&index_lock);
  if (index < 0)
  {
    g_set_error(error, g_quark_from_static_string("tp-tls-facts"), 1,
                "OpenSSL refused an SSL ex_data index: TLS handshakes could "
                "not be observed");
    return FALSE;
  }
  for (int i = 0; i < TP_SHARDS; i++)
  {
    g_mutex_lock(&shards[i].lock);
    if (!shards[i].table)
      shards[i].table =
          g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, record_free);
    g_mutex_unlock(&shards[i].lock);
  }
  g_atomic_int_set(&active, 1);
  return TRUE;
}

void tlsp_tls_facts_stop(void)
{
  g_atomic_int_set(&active, 0);
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

void tlsp_conn_begin(uint64_t conn_id)
{
  tlsp_shard *s = shard_of(conn_id);
  g_mutex_lock(&s->lock);
  if (s->table)
  {
    tlsp_conn_record *r = record_get_or_add(s, conn_id);
    if (!r->resolved)
      r->begun = TRUE;
  }
  g_mutex_unlock(&s->lock);
}

void tlsp_conn_resolve(uint64_t conn_id, tlsp_conn_state *out)
{
  memset(out, 0, sizeof *out);
  out->tls_state = TP_TLS_UNKNOWN;
  tlsp_shard *s = shard_of(conn_id);
  g_mutex_lock(&s->lock);
  if (!s->table)
  {
    g_mutex_unlock(&s->lock);
    return;
  }
  tlsp_conn_record *r = record_get_or_add(s, conn_id);
  if (!r->resolved)
  {
    out->first_login = TRUE;
    if (r->facts)
      r->tls_state = TP_TLS_YES;
    else if (r->begun && r->ssl_pending == 0 && !r->ssl_server)
      /* Observed from before the greeting until now and no SSL object was
       * created for the connection but client-side ones: no server
       * handshake can have happened. */
      r->tls_state = TP_TLS_NO;
    else
      /* Not observed from the start (the login straddled INSTALL), or a
       * server-side SSL object (or one of unknown role) without a completed
       * handshake: fail closed. */
      r->tls_state = TP_TLS_UNKNOWN;
    r->resolved = TRUE;
  }
  out->tls_state = r->tls_state;
  if (r->tls_state == TP_TLS_YES && r->facts)
    out->facts = tlsp_tls_facts_ref(r->facts);
  g_mutex_unlock(&s->lock);
}

void tlsp_conn_state_clear(tlsp_conn_state *st)
{
  if (st->facts)
    tlsp_tls_facts_unref(st->facts);
  st->facts = NULL;
}

void tlsp_conn_set_admission(uint64_t conn_id, const tlsp_admission *a)
{
  tlsp_shard *s = shard_of(conn_id);
  g_mutex_lock(&s->lock);
  tlsp_conn_record *r =
      s->table ? g_hash_table_lookup(s->table, &conn_id) : NULL;
  if (r)
  {
    admission_copy(&r->pending, a);
    r->has_pending = TRUE;
  }
  g_mutex_unlock(&s->lock);
}

void tlsp_conn_admission_settle(uint64_t conn_id, gboolean accepted)
{
  tlsp_shard *s = shard_of(conn_id);
  g_mutex_lock(&s->lock);
  tlsp_conn_record *r =
      s->table ? g_hash_table_lookup(s->table, &conn_id) : NULL;
  if (r && r->has_pending)
  {
    if (accepted)
    {
      admission_clear(&r->admitted);
      r->admitted = r->pending; /* moves the strings */
      memset(&r->pending, 0, sizeof r->pending);
    }
    else
      admission_clear(&r->pending);
    r->has_pending = FALSE;
  }
  g_mutex_unlock(&s->lock);
}

void tlsp_conn_forget(uint64_t conn_id)
{
  tlsp_shard *s = shard_of(conn_id);
  g_mutex_lock(&s->lock);
  if (s->table)
    g_hash_table_remove(s->table, &conn_id);
  g_mutex_unlock(&s->lock);
}

guint tlsp_conn_tracked(void)
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

void tlsp_conn_foreach(void (*fn)(const tlsp_conn_view *v, void *data),
                       void *data)
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
        tlsp_conn_record *r = value;
        if (!r->resolved)
          continue;
        const tlsp_admission *a = &r->admitted;
        tlsp_conn_view v = {
            .conn_id = r->conn_id,
            .tls_state = r->tls_state,
            .facts = r->facts,
            .user = a->user,
            .host = a->host,
            .ip = a->ip,
            .rule = a->rule,
            .transport = a->transport,
            .identity_required = a->identity_required,
        };
        fn(&v, data);
      }
    }
    g_mutex_unlock(&shards[i].lock);
  }
}
