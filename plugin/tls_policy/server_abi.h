/*
 * server_abi.h — the only door to mariadbd internals.
 *
 * Everything tls_policy needs from the running server that the public plugin
 * API does not offer (the TLS acceptor context and its lock, the built-in
 * authentication plugin declarations, the current THD of a thread, a few
 * option variables) is resolved here by name at load time and checked before
 * anything is touched (docs/hazards.md §6).  No other file uses dlsym on the
 * server or knows a server structure layout.
 */
#ifndef TLS_POLICY_SERVER_ABI_H
#define TLS_POLICY_SERVER_ABI_H

#include <stdint.h>
#include <glib.h>
#include <openssl/ssl.h>
#include <mysql/plugin.h>

/*
 * Resolves and checks every symbol and layout: server series, exported
 * symbols, the built-in password plugin declarations, the OpenSSL library the
 * server uses, the lock.  Touches nothing.  On failure returns FALSE with an
 * error message fit for the error log.
 */
gboolean tlsp_server_abi_load(GError **error);

/* The running server's version string ("10.11.19-MariaDB-0+deb12u1"). */
const char *tlsp_server_version(void);
/* Non-zero once the server accepts connections (mysqld_server_started). */
gboolean tlsp_server_started(void);
/* TRUE while mariadb-install-db runs the server (--bootstrap). */
gboolean tlsp_server_bootstrap(void);
/* TRUE once the server began to shut down (abort_loop). */
gboolean tlsp_server_shutting_down(void);
/* The server's own require_secure_transport. */
gboolean tlsp_server_require_secure_transport(void);

/* mysys per-thread setup for a thread the plugin creates, before it uses
 * the SQL service (which builds a THD); and its teardown. */
gboolean tlsp_server_thread_init(void);
void tlsp_server_thread_end(void);

/* THD of the calling thread, or NULL. */
MYSQL_THD tlsp_server_current_thd(void);

/*
 * The server's record of a plugin (struct st_plugin_int).  _entry: the
 * record of the plugin declared with `name` (pass the declaration's own
 * string) of `type`, called from that plugin's init (LOCK_plugin is not
 * held then); NULL if the server functions are missing or the record does
 * not look as expected.  _state: PLUGIN_IS_* (8 READY, 2 DELETED after
 * UNINSTALL while sessions still hold it, 16 DYING while it is reaped).
 * The record is valid until the plugin's deinit has returned.
 */
const void *tlsp_server_plugin_entry(const char *name, int type);
unsigned int tlsp_server_plugin_entry_state(const void *entry);
#define TP_SERVER_PLUGIN_READY 8U

/* Wall-clock start of the session's current statement in microseconds
 * (g_get_real_time() scale), 0 if unknown. */
guint64 tlsp_server_statement_start_us(MYSQL_THD thd);

/* The built-in authentication plugin declarations (mysql_native_password,
 * mysql_old_password): a NULL-terminated array of struct st_maria_plugin. */
struct st_maria_plugin *tlsp_server_builtin_auth_declarations(void);

/*
 * LOCK_ssl_refresh.  The server holds it for reading around every TLS
 * handshake and for writing while it swaps its acceptor context.
 */
void tlsp_server_ssl_rdlock(void);
void tlsp_server_ssl_wrlock(void);
void tlsp_server_ssl_unlock(void);

/* The acceptor SSL_CTX or NULL.  Caller holds LOCK_ssl_refresh (either mode);
 * the pointer is valid only while it does. */
SSL_CTX *tlsp_server_acceptor_ctx_locked(void);

/*
 * Replaces the server's acceptor context with `ctx` (the reference passes to
 * the server, which frees it with its own allocator when it is replaced).
 * Caller holds LOCK_ssl_refresh for writing; must not fail after the
 * allocation, which is done beforehand by tlsp_server_acceptor_alloc().
 */
typedef struct tlsp_server_acceptor tlsp_server_acceptor;
/* Allocates a server-owned acceptor holder (server allocator); NULL on
 * failure with error set.  Does not take the lock. */
tlsp_server_acceptor *tlsp_server_acceptor_alloc(GError **error);
/* Frees a holder that was never published. */
void tlsp_server_acceptor_discard(tlsp_server_acceptor *holder);
/* Publishes holder with ctx inside; frees the previous one.  Caller holds
 * the write lock.  Cannot fail.  On MariaDB 11.4+ it also sets the server's
 * cached SHA-256 of its certificate to ctx's (what reinit_ssl() does), so
 * that clients verifying the server by that fingerprint accept it; see
 * server_abi.c. */
void tlsp_server_acceptor_publish_locked(tlsp_server_acceptor *holder,
                                         SSL_CTX *ctx);
/* Why the server's certificate fingerprint is not kept in step with the
 * published context (MariaDB 11.4+: the accessor is missing or does not look
 * as expected, or the buffer did not describe the serving context), the
 * first time this is asked after it became so; NULL otherwise and always on
 * 10.11.  Call with reload serialization held, after a publish. */
const char *tlsp_server_fingerprint_problem_once(void);

/* The client address the server authenticated the login with (from the
 * PROXY protocol header if there was one), NULL for a local connection. */
const char *tlsp_server_client_ip(MYSQL_THD thd);
/* The host name the server resolved for that address ("localhost" for a
 * local connection), NULL if it resolved none (skip_name_resolve).  Unlike
 * MYSQL_SERVER_AUTH_INFO.host_or_ip, which the server sets before it reads
 * a PROXY header, both are current once the client's reply was read. */
const char *tlsp_server_client_host(MYSQL_THD thd);

/* The declaration of a built-in authentication plugin that mariadbd does
 * not export (unix_socket), found by name in the server's plugin registry;
 * NULL if it cannot be found safely.  Takes LOCK_plugin briefly: never call
 * it while the server holds that lock. */
struct st_maria_plugin *tlsp_server_builtin_auth_by_name(const char *name);

/* The server's ssl_* option values (may be NULL). */
typedef struct tlsp_server_ssl_options {
  const char *cert, *key, *ca, *capath, *crl, *crlpath, *cipher;
  uint64_t
      tls_version_mask; /* server's tls_version bitmask: 1=TLSv1.0 2=1.1 4=1.2 8=1.3 */
  gboolean use_ssl;
} tlsp_server_ssl_options;
void tlsp_server_ssl_options_get(tlsp_server_ssl_options *out);

#endif
