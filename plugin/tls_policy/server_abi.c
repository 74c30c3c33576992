/*
 * server_abi.c — resolves and checks the mariadbd internals tls_policy
 * depends on (see server_abi.h and docs/hazards.md §1, §3, §6).
 *
 * Every symbol is looked up with dlsym() in the server process rather than
 * linked, so that a server that lacks one refuses the plugin with a clear
 * message instead of a loader error, and nothing is touched before all
 * checks passed.
 *
 * Layouts relied upon (10.11, include/violite.h and include/mysql/psi/
 * mysql_thread.h; the same in 11.8.9, checked in its binary and headers):
 *   struct st_VioSSLFd { SSL_CTX *ssl_context; };
 *   mysql_rwlock_t     { pthread_rwlock_t m_rwlock; void *m_psi; };
 *   struct st_plugin_int { LEX_CSTRING name; st_maria_plugin *plugin;
 *                          st_plugin_dl *plugin_dl; st_ptr_backup *ptr_backup;
 *                          uint nbackups; uint state; ... }   (sql_plugin.h)
 * Taking the pthread lock directly bypasses only performance-schema
 * instrumentation of the wait, never the lock itself.
 *
 * Series differences (the plugin is built per series, TP_SERVER_SERIES):
 *   - every symbol resolved below exists in 10.11 and 11.8 with the same
 *     type and size (nm -D on 10.11.19 and 11.8.9); opt_use_ssl defaults
 *     to OFF in 10.11 and to ON in 11.4+ (zero-configuration TLS);
 *   - the authentication interface is 0x0202 in 10.11 and 0x0203 in 11.x;
 *     only the major byte is compared (check_builtin_auth);
 *   - MYSQL_PLUGIN_VIO_INFO gained `tls` in 11.4 (server_compat.h);
 *   - 11.4+ caches the fingerprint of its acceptor certificate (below,
 *     "the certificate fingerprint"); 10.11 has no such cache.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <mysql/plugin.h>
#include <mysql/plugin_auth.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "server_abi.h"
#include "server_compat.h"

struct st_VioSSLFd_layout {
  SSL_CTX *ssl_context;
};

/* The head of the server's record of a plugin (sql_plugin.h); `state` is
 * one of PLUGIN_IS_* and changes under LOCK_plugin (read here without it:
 * one aligned word). */
struct st_plugin_int_layout {
  struct {
    const char *str;
    size_t length;
  } name;
  void *plugin, *plugin_dl, *ptr_backup;
  unsigned int nbackups;
  unsigned int state;
};

struct tlsp_server_acceptor {
  struct st_VioSSLFd_layout *fd;
};

typedef struct st_VioSSLFd_layout *(*new_acceptor_fn)(
    const char *key, const char *cert, const char *ca, const char *capath,
    const char *cipher, int *error, const char *crl, const char *crlpath,
    unsigned long long tls_version);
/* mysys: void *my_malloc(PSI_memory_key key, size_t size, myf flags) */
typedef void *(*my_malloc_fn)(unsigned int key, size_t size,
                              unsigned long flags);
typedef void (*free_acceptor_fn)(struct st_VioSSLFd_layout *);
typedef MYSQL_THD (*current_thd_fn)(void);

static struct {
  struct st_VioSSLFd_layout **ssl_acceptor_fd;
  pthread_rwlock_t *lock_ssl_refresh;
  current_thd_fn current_thd;
  struct st_maria_plugin *builtin_password;
  const char *server_version;
  const int *server_started;
  const char *abort_loop;                   /* volatile bool: shutdown begun */
  const char *opt_bootstrap;                /* my_bool */
  const char *opt_require_secure_transport; /* my_bool */
  const char *opt_use_ssl;                  /* my_bool */
  char *const *opt_ssl_ca, *const *opt_ssl_capath,
                               *const *opt_ssl_cert,
                                   *const *opt_ssl_cipher,
                                       *const *opt_ssl_crl,
                                           *const *opt_ssl_crlpath,
                                               *const *opt_ssl_key;
  const unsigned long long *tls_version;
  char (*my_thread_init)(void);
  void (*my_thread_end)(void);
  new_acceptor_fn new_acceptor;
  my_malloc_fn my_malloc;
  const unsigned int *key_memory_vio_ssl_fd; /* PSI_memory_key */
  free_acceptor_fn free_acceptor;
  gboolean loaded;
} abi;

/* ---- the certificate fingerprint (MariaDB 11.4+) -------------------------
 *
 * MariaDB 11.4 and later (MDEV-31855; read from the 11.8.9 binary, the
 * source was not available): the server keeps the SHA-256 of the
 * certificate of its acceptor context in a static 32-byte buffer that is not
 * exported.  It computes it as
 *   X509_digest(SSL_CTX_get0_certificate(ssl_acceptor_fd->ssl_context),
 *               EVP_sha256(), buf, &len)
 * in init_ssl() (inlined in mysqld_main, before connections are accepted)
 * and in reinit_ssl() (FLUSH SSL) right after it swapped ssl_acceptor_fd,
 * inside the same LOCK_ssl_refresh write section; nothing else writes it.
 * acl_authenticate() reads it, without the lock, through the exported C++
 * accessor `ssl_acceptor_fingerprint()` (a {pointer, length} pair returned
 * in registers: {buf, 32}) and sends SHA2(password hash, scramble,
 * fingerprint) in the OK packet; a client given no CA compares that with
 * the certificate it received.
 *
 * So whenever tls_policy publishes a context, the buffer must describe the
 * context's certificate, or such clients refuse the server.  The server has
 * no exported function that computes the fingerprint on its own (the
 * computation is inline in both callers; reinit_ssl() rebuilds the context
 * from the server's ssl_* files): publish_locked below does what reinit_ssl
 * does, in the same write section as the swap.  It writes only after
 * checking that the buffer holds exactly the fingerprint of the context
 * being replaced (all zero when TLS was off), which proves both the buffer
 * and the digest; on any mismatch it never writes again (fp.broken).
 * MariaDB 10.11: no such buffer; this part is compiled out.
 * See docs/design.md for why this and not a server re-initialisation. */
#define TP_FP_LEN 32
static struct {
  unsigned char *buf;  /* NULL: this series has none, or not usable */
  gboolean broken;     /* LOCK_ssl_refresh (write): a check failed */
  gboolean reported;   /* reload serialization (tls_context.c) */
  const char *problem; /* why it is not kept in step, or NULL */
} fp;

#if TP_SERVER_HAS_CERT_FINGERPRINT
typedef struct {
  const unsigned char *str;
  size_t length;
} tlsp_fp_span;
typedef tlsp_fp_span (*fingerprint_fn)(void);

static void fingerprint_load(void)
{
  memset(&fp, 0, sizeof fp); /* statics survive UNINSTALL/INSTALL */
  fingerprint_fn get =
      (fingerprint_fn) dlsym(RTLD_DEFAULT, "_Z24ssl_acceptor_fingerprintv");
  if (!get)
  {
    fp.problem = "the server has no ssl_acceptor_fingerprint()";
    return;
  }
  tlsp_fp_span span = get();
  /* The buffer must be the server's own static storage of 32 bytes. */
  Dl_info in_server, in_buf;
  if (span.length != TP_FP_LEN || !span.str ||
      !dladdr((void *) abi.server_version, &in_server) ||
      !dladdr((void *) span.str, &in_buf) || !in_server.dli_fbase ||
      in_server.dli_fbase != in_buf.dli_fbase)
  {
    fp.problem = "ssl_acceptor_fingerprint() does not return the server's "
                 "32-byte buffer";
    return;
  }
  fp.buf = (unsigned char *) span.str;
}

/* SHA-256 of the certificate of `ctx` into out; all zero for no context.
 * FALSE if the context has no certificate or the digest fails. */
static gboolean fingerprint_of(SSL_CTX *ctx, unsigned char out[TP_FP_LEN])
{
  memset(out, 0, TP_FP_LEN);
  if (!ctx)
    return TRUE;
  X509 *cert = SSL_CTX_get0_certificate(ctx);
  unsigned int len = TP_FP_LEN;
  if (!cert || !X509_digest(cert, EVP_sha256(), out, &len) || len != TP_FP_LEN)
  {
    ERR_clear_error();
    return FALSE;
  }
  return TRUE;
}

/* Caller holds LOCK_ssl_refresh for writing; `old` is the context being
 * replaced (NULL if none), `ctx` the one being published. */
static void fingerprint_publish_locked(SSL_CTX *old, SSL_CTX *ctx)
{
  if (!fp.buf || fp.broken)
    return;
  unsigned char was[TP_FP_LEN], now[TP_FP_LEN];
  if (!fingerprint_of(old, was) || memcmp(was, fp.buf, TP_FP_LEN) != 0)
  {
    fp.broken = TRUE;
    fp.problem = "the server's certificate fingerprint does not describe the "
                 "context it serves";
    return;
  }
  if (!fingerprint_of(ctx, now))
  {
    fp.broken = TRUE;
    fp.problem = "the fingerprint of the new certificate could not be computed";
    return;
  }
  memcpy(fp.buf, now, TP_FP_LEN);
}
#endif

#define TP_ABI_ERROR (tlsp_abi_error_quark())
/* clang-format off */
static G_DEFINE_QUARK(tp-abi-error-quark, tlsp_abi_error)
    /* clang-format on */

    static gboolean resolve(void **out, const char *name, GError **error)
{
  dlerror();
  void *p = dlsym(RTLD_DEFAULT, name);
  if (!p)
  {
    g_set_error(error, TP_ABI_ERROR, 1,
                "server symbol '%s' not found: this mariadbd is not the "
                "MariaDB " TP_SERVER_SERIES_NAME " build tls_policy was made "
                "for",
                name);
    return FALSE;
  }
  *out = p;
  return TRUE;
}

static gboolean check_builtin_auth(struct st_maria_plugin *decl, GError **error)
{
  static const char *const expected[] = {"mysql_native_password",
                                         "mysql_old_password"};
  for (guint i = 0; i < G_N_ELEMENTS(expected); i++)
  {
    struct st_maria_plugin *p = &decl[i];
    if (p->type != MYSQL_AUTHENTICATION_PLUGIN || !p->name ||
        strcmp(p->name, expected[i]) != 0 || !p->info)
    {
      g_set_error(error, TP_ABI_ERROR, 2,
                  "built-in authentication declaration %u is not %s", i,
                  expected[i]);
      return FALSE;
    }
    const struct st_mysql_auth *auth = p->info;
    if ((auth->interface_version >> 8) !=
            (MYSQL_AUTHENTICATION_INTERFACE_VERSION >> 8) ||
        !auth->authenticate_user)
    {
      g_set_error(error, TP_ABI_ERROR, 3,
                  "built-in plugin %s has authentication interface 0x%04x, "
                  "expected 0x%04x",
                  expected[i], auth->interface_version,
                  MYSQL_AUTHENTICATION_INTERFACE_VERSION);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean login_context_load(GError **error);

gboolean tlsp_server_abi_load(GError **error)
{
  void *p;
#define RESOLVE(field, name)       \
  do                               \
  {                                \
    if (!resolve(&p, name, error)) \
      return FALSE;                \
    abi.field = p;                 \
  } while (0)

  RESOLVE(server_version, "server_version");
  /* Same release series as the headers we were compiled with. */
  unsigned maj = 0, min = 0;
  if (sscanf(abi.server_version, "%u.%u.", &maj, &min) != 2 ||
      maj * 10000 + min * 100 != (TP_BUILT_VERSION_ID / 100) * 100)
  {
    g_set_error(error, TP_ABI_ERROR, 4,
                "server version %.64s is not the series tls_policy was built "
                "for (%s)",
                abi.server_version, TP_BUILT_SERVER_VERSION);
    return FALSE;
  }
  RESOLVE(ssl_acceptor_fd, "ssl_acceptor_fd");
  RESOLVE(lock_ssl_refresh, "LOCK_ssl_refresh");
  RESOLVE(current_thd, "_current_thd");
  RESOLVE(builtin_password, "builtin_maria_mysql_password_plugin");
  RESOLVE(server_started, "mysqld_server_started");
  RESOLVE(abort_loop, "abort_loop");
  RESOLVE(opt_bootstrap, "opt_bootstrap");
  RESOLVE(opt_require_secure_transport, "opt_require_secure_transport");
  RESOLVE(opt_use_ssl, "opt_use_ssl");
  RESOLVE(opt_ssl_ca, "opt_ssl_ca");
  RESOLVE(opt_ssl_capath, "opt_ssl_capath");
  RESOLVE(opt_ssl_cert, "opt_ssl_cert");
  RESOLVE(opt_ssl_cipher, "opt_ssl_cipher");
  RESOLVE(opt_ssl_crl, "opt_ssl_crl");
  RESOLVE(opt_ssl_crlpath, "opt_ssl_crlpath");
  RESOLVE(opt_ssl_key, "opt_ssl_key");
  RESOLVE(tls_version, "tls_version");
  RESOLVE(my_thread_init, "my_thread_init");
  RESOLVE(my_thread_end, "my_thread_end");
  RESOLVE(new_acceptor, "new_VioSSLAcceptorFd");
  RESOLVE(my_malloc, "my_malloc");
  RESOLVE(key_memory_vio_ssl_fd, "key_memory_vio_ssl_fd");
  RESOLVE(free_acceptor, "free_vio_ssl_acceptor_fd");
#undef RESOLVE

  if (!check_builtin_auth(abi.builtin_password, error))
    return FALSE;

  /* The server and this plugin must share one libssl: we put callbacks and
   * ex_data on the server's SSL_CTX and free contexts it will free. */
  void *server_ssl_ctx_new = dlsym(RTLD_DEFAULT, "SSL_CTX_new");
  if (server_ssl_ctx_new != (void *) &SSL_CTX_new)
  {
    g_set_error(error, TP_ABI_ERROR, 5,
                "the server does not use the same OpenSSL library as "
                "tls_policy (%s)",
                OpenSSL_version(OPENSSL_VERSION));
    return FALSE;
  }

  /* LOCK_ssl_refresh must behave as a pthread rwlock. */
  int rc = pthread_rwlock_tryrdlock(abi.lock_ssl_refresh);
  if (rc == 0)
    pthread_rwlock_unlock(abi.lock_ssl_refresh);
  else if (rc != EBUSY)
  {
    g_set_error(error, TP_ABI_ERROR, 6,
                "LOCK_ssl_refresh is not a pthread rwlock (error %d)", rc);
    return FALSE;
  }

  /* If TLS is already up, its context must look like the server's own
   * acceptor: SSL_VERIFY_PEER|SSL_VERIFY_CLIENT_ONCE, a server method. */
  gboolean layout_ok = TRUE;
  pthread_rwlock_rdlock(abi.lock_ssl_refresh);
  struct st_VioSSLFd_layout *fd = *abi.ssl_acceptor_fd;
  if (fd)
  {
    SSL_CTX *ctx = fd->ssl_context;
    layout_ok = ctx != NULL && SSL_CTX_get_ssl_method(ctx) != NULL &&
                (SSL_CTX_get_verify_mode(ctx) & SSL_VERIFY_PEER);
  }
  pthread_rwlock_unlock(abi.lock_ssl_refresh);
  if (!layout_ok)
  {
    g_set_error(error, TP_ABI_ERROR, 7,
                "ssl_acceptor_fd does not hold an acceptor SSL_CTX as "
                "expected");
    return FALSE;
  }
  if (!login_context_load(error))
    return FALSE;
#if TP_SERVER_HAS_CERT_FINGERPRINT
  fingerprint_load();
#endif
  abi.loaded = TRUE;
  return TRUE;
}

const char *tlsp_server_version(void) { return abi.server_version; }
gboolean tlsp_server_started(void)
{
  return abi.server_started && g_atomic_int_get(abi.server_started) != 0;
}
gboolean tlsp_server_shutting_down(void)
{
  return abi.abort_loop &&
         __atomic_load_n(abi.abort_loop, __ATOMIC_RELAXED) != 0;
}
gboolean tlsp_server_bootstrap(void)
{
  return abi.opt_bootstrap && *abi.opt_bootstrap;
}
gboolean tlsp_server_require_secure_transport(void)
{
  return abi.opt_require_secure_transport && *abi.opt_require_secure_transport;
}
gboolean tlsp_server_thread_init(void) { return abi.my_thread_init() == 0; }

void tlsp_server_thread_end(void) { abi.my_thread_end(); }

MYSQL_THD tlsp_server_current_thd(void)
{
  return abi.current_thd ? abi.current_thd() : NULL;
}

/* sql_plugin.cc, C++: plugin_ref plugin_lock_by_name(THD *, const
 * LEX_CSTRING *, int) and void plugin_unlock(THD *, plugin_ref); in release
 * builds (DBUG_OFF, as Debian's) plugin_ref is st_plugin_int *. */
typedef void *(*plugin_lock_by_name_fn)(MYSQL_THD,
                                        const MYSQL_CONST_LEX_STRING *, int);
typedef void (*plugin_unlock_fn)(MYSQL_THD, void *);

const void *tlsp_server_plugin_entry(const char *name, int type)
{
  plugin_lock_by_name_fn lock = (plugin_lock_by_name_fn) dlsym(
      RTLD_DEFAULT,
      "_Z19plugin_lock_by_nameP3THDPK25st_mysql_const_lex_stringi");
  plugin_unlock_fn unlock = (plugin_unlock_fn) dlsym(
      RTLD_DEFAULT, "_Z13plugin_unlockP3THDP13st_plugin_int");
  if (!lock || !unlock)
    return NULL;
  MYSQL_CONST_LEX_STRING n = {name, strlen(name)};
  /* No THD: the reference goes to no statement's list. */
  struct st_plugin_int_layout *pi = lock(NULL, &n, type);
  if (!pi)
    return NULL;
  /* The record of this very declaration, in its init: checks the layout
   * (and that plugin_ref is the record itself) before it is relied upon. */
  gboolean ok = pi->name.str == name && pi->name.length == strlen(name) &&
                pi->state == 4 /* PLUGIN_IS_UNINITIALIZED */;
  unlock(NULL, pi);
  return ok ? pi : NULL;
}

unsigned int tlsp_server_plugin_entry_state(const void *entry)
{
  const struct st_plugin_int_layout *pi = entry;
  return __atomic_load_n(&pi->state, __ATOMIC_RELAXED);
}

guint64 tlsp_server_statement_start_us(MYSQL_THD thd)
{
  /* sql_class.cc: thd->start_time in microseconds, the wall clock at which
   * the current statement started.  Optional: 0 when absent. */
  static unsigned long long (*start_utime)(MYSQL_THD);
  static gsize resolved;
  if (g_once_init_enter(&resolved))
  {
    start_utime = (unsigned long long (*)(MYSQL_THD)) dlsym(RTLD_DEFAULT,
                                                            "thd_start_utime");
    g_once_init_leave(&resolved, 1);
  }
  return thd && start_utime ? start_utime(thd) : 0;
}
struct st_maria_plugin *tlsp_server_builtin_auth_declarations(void)
{
  return abi.builtin_password;
}

void tlsp_server_ssl_rdlock(void)
{
  pthread_rwlock_rdlock(abi.lock_ssl_refresh);
}
void tlsp_server_ssl_wrlock(void)
{
  pthread_rwlock_wrlock(abi.lock_ssl_refresh);
}
void tlsp_server_ssl_unlock(void)
{
  pthread_rwlock_unlock(abi.lock_ssl_refresh);
}

SSL_CTX *tlsp_server_acceptor_ctx_locked(void)
{
  struct st_VioSSLFd_layout *fd = *abi.ssl_acceptor_fd;
  return fd ? fd->ssl_context : NULL;
}

tlsp_server_acceptor *tlsp_server_acceptor_alloc(GError **error)
{
  /* The holder is allocated exactly as new_VioSSLFd() (vio/viosslfactories.c)
   * allocates it, my_malloc(key_memory_vio_ssl_fd, sizeof(struct
   * st_VioSSLFd), MYF(0)), so that free_vio_ssl_acceptor_fd() (SSL_CTX_free +
   * my_free) can free it later.  Not through new_VioSSLAcceptorFd(): that
   * refuses to build a context without a certificate (10.11) or generates a
   * 4096-bit key and a self-signed certificate for it (11.4+); and not through
   * new_VioSSLConnectorFd(): its placeholder context loads OpenSSL's default
   * CA file (about 100 ms per reload) only to be freed at publish time.
   * The context is set at publish time. */
  struct st_VioSSLFd_layout *fd =
      abi.my_malloc(*abi.key_memory_vio_ssl_fd, sizeof *fd, 0);
  if (!fd)
  {
    g_set_error(error, TP_ABI_ERROR, 8,
                "the server could not allocate a TLS acceptor holder");
    return NULL;
  }
  fd->ssl_context = NULL;
  tlsp_server_acceptor *h = g_new0(tlsp_server_acceptor, 1);
  h->fd = fd;
  return h;
}

void tlsp_server_acceptor_discard(tlsp_server_acceptor *holder)
{
  if (!holder)
    return;
  abi.free_acceptor(holder->fd);
  g_free(holder);
}

void tlsp_server_acceptor_publish_locked(tlsp_server_acceptor *holder,
                                         SSL_CTX *ctx)
{
  SSL_CTX_free(holder->fd->ssl_context);
  holder->fd->ssl_context = ctx;
  struct st_VioSSLFd_layout *old = *abi.ssl_acceptor_fd;
#if TP_SERVER_HAS_CERT_FINGERPRINT
  /* As reinit_ssl() does: the fingerprint changes with the pointer, in the
   * same write section (acl_authenticate reads it without the lock, as it
   * does for the server's own FLUSH SSL). */
  fingerprint_publish_locked(old ? old->ssl_context : NULL, ctx);
#endif
  *abi.ssl_acceptor_fd = holder->fd;
  g_free(holder);
  if (old)
    abi.free_acceptor(old);
}

const char *tlsp_server_fingerprint_problem_once(void)
{
  if (!TP_SERVER_HAS_CERT_FINGERPRINT || fp.reported || !fp.problem)
    return NULL;
  fp.reported = TRUE;
  return fp.problem;
}

void tlsp_server_ssl_options_get(tlsp_server_ssl_options *out)
{
  out->cert = *abi.opt_ssl_cert;
  out->key = *abi.opt_ssl_key;
  out->ca = *abi.opt_ssl_ca;
  out->capath = *abi.opt_ssl_capath;
  out->crl = *abi.opt_ssl_crl;
  out->crlpath = *abi.opt_ssl_crlpath;
  out->cipher = *abi.opt_ssl_cipher;
  out->tls_version_mask = *abi.tls_version;
  out->use_ssl = *abi.opt_use_ssl;
}

/* ---- the login's client address and the plugin registry ------------------ */

/* extern "C" const char *thd_client_ip(MYSQL_THD) (sql/sql_class.cc, 10.11
 * and 11.8): the address the server authenticates the account with, taken
 * from the PROXY protocol header when there is one; NULL for a local
 * connection.  MariaDB's server_audit plugin calls it the same way. */
typedef const char *(*client_ip_fn)(MYSQL_THD);
/* extern "C" const char *thd_client_host(MYSQL_THD): the host name the
 * server resolved for it ("localhost" for the unix socket), NULL when it
 * did not resolve one (skip_name_resolve). */

/* C++ (sql/sql_plugin.cc, 10.11 and 11.8):
 *   plugin_ref plugin_lock_by_name(THD *, const LEX_CSTRING *, int type);
 *   void plugin_unlock(THD *, plugin_ref);
 * In a release build (DBUG_OFF, as Debian builds the server) plugin_ref is
 * struct st_plugin_int *, which begins with { LEX_CSTRING name;
 * struct st_maria_plugin *plugin; } (sql/sql_plugin.h).  Only that head is
 * read, and only after the name in it and the name in the declaration it
 * points to both matched: another layout fails the check, it is not
 * dereferenced further. */
typedef void *(*plugin_lock_by_name_fn)(MYSQL_THD,
                                        const MYSQL_CONST_LEX_STRING *, int);
typedef void (*plugin_unlock_fn)(MYSQL_THD, void *);
struct st_plugin_int_head {
  MYSQL_CONST_LEX_STRING name;
  struct st_maria_plugin *plugin;
};

static struct {
  client_ip_fn client_ip, client_host;
  plugin_lock_by_name_fn lock_by_name; /* optional */
  plugin_unlock_fn unlock;             /* optional */
} login_abi;

static gboolean login_context_load(GError **error)
{
  void *p;
  if (!resolve(&p, "thd_client_ip", error))
    return FALSE;
  login_abi.client_ip = (client_ip_fn) p;
  if (!resolve(&p, "thd_client_host", error))
    return FALSE;
  login_abi.client_host = (client_ip_fn) p;
  /* Optional: without them the built-in unix_socket plugin stays uncovered
   * (and is listed so). */
  login_abi.lock_by_name = (plugin_lock_by_name_fn) dlsym(
      RTLD_DEFAULT,
      "_Z19plugin_lock_by_nameP3THDPK25st_mysql_const_lex_stringi");
  login_abi.unlock = (plugin_unlock_fn) dlsym(
      RTLD_DEFAULT, "_Z13plugin_unlockP3THDP13st_plugin_int");
  return TRUE;
}

const char *tlsp_server_client_ip(MYSQL_THD thd)
{
  return thd && login_abi.client_ip ? login_abi.client_ip(thd) : NULL;
}

const char *tlsp_server_client_host(MYSQL_THD thd)
{
  return thd && login_abi.client_host ? login_abi.client_host(thd) : NULL;
}

struct st_maria_plugin *tlsp_server_builtin_auth_by_name(const char *name)
{
  if (!login_abi.lock_by_name || !login_abi.unlock)
    return NULL;
  MYSQL_CONST_LEX_STRING n = {name, strlen(name)};
  struct st_plugin_int_head *pi =
      login_abi.lock_by_name(NULL, &n, MYSQL_AUTHENTICATION_PLUGIN);
  if (!pi)
    return NULL;
  struct st_maria_plugin *decl = NULL;
  if (pi->name.str && pi->name.length == n.length &&
      memcmp(pi->name.str, name, n.length) == 0 && pi->plugin &&
      pi->plugin->type == MYSQL_AUTHENTICATION_PLUGIN && pi->plugin->name &&
      strcmp(pi->plugin->name, name) == 0 && pi->plugin->info)
    decl = pi->plugin;
  login_abi.unlock(NULL, pi);
  if (!decl)
    return NULL;
  /* Built into mariadbd itself (its declaration lives as long as the
   * process), not a loaded library that could go away. */
  Dl_info in_server, in_decl;
  if (!dladdr((void *) abi.server_version, &in_server) ||
      !dladdr((void *) decl, &in_decl) || !in_server.dli_fbase ||
      in_server.dli_fbase != in_decl.dli_fbase)
    return NULL;
  return decl;
}
