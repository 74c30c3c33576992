/*
 * tls_context.c — the transactional reload of the server's acceptor
 * context, its publishing and telemetry, and the module around them:
 * system and status variables, the FLUSH statement hook, start and stop
 * (see tls_context.h for the reload model and the lock order,
 * docs/tls-context.md for users).  The settings and the effective
 * configuration are in tls_context_config.c (tls_context_config.h).
 *
 * Ownership:
 *   - Settings: tls_context_config.c (the storage, the effective
 *     configuration, the file digest).
 *   - Contexts: `cur_ctx` is our own reference (SSL_CTX_up_ref) on the
 *     context we believe serves, whether we built it or the server did.
 *     The server owns its own reference inside its st_VioSSLFd holder and
 *     frees it when the holder is replaced.  Holding a reference also means
 *     the pointer cannot be reused, so comparing it with the server's
 *     current pointer reliably tells whether the server replaced it.
 *   - Telemetry: numbers are 64-bit words written atomically and shown
 *     directly; strings are copied out under tel_lock.
 */
#include <string.h>
#include <mysql/plugin.h>
#include <mysql/plugin_audit.h>
#include <mysqld_error.h>
#include <openssl/crypto.h>
#include "tls_policy/statement_text.h"
#include "tls_policy/tls_context_build.h"
#include "file_watch.h"
#include "module.h"
#include "report.h"
#include "server_abi.h"
#include "server_compat.h"
#include "tls_context.h"
#include "tls_context_config.h"
#include "tls_facts.h"

/* ---- contexts and telemetry ------------------------------------------- */

static GMutex reload_lock;
/* All below: reload_lock. */
static gboolean running;
static SSL_CTX *cur_ctx; /* our reference on the serving context */
/* Our reference on the latest context the server built around a
 * certificate it generated in memory (11.4+ zero-configuration TLS; always
 * NULL on 10.11): its certificate and key serve when nothing else is
 * configured (reload_locked). */
static SSL_CTX *srv_generated;
static gboolean
    initial_pending; /* server not started: no context captured yet */
static gboolean startup_apply_pending;
static char last_digest[65]; /* content of the files at the last attempt */

static struct {
  long long generation, reloads, failures, last_attempt, last_success;
  long long cert_not_before, cert_not_after, ca_not_after, crl_next_update;
} tel;
static GMutex tel_lock; /* protects the strings below */
static char tel_sha256[65], tel_subject[256], tel_last_error[1024];

static void tel_set(long long *field, long long v)
{
  __atomic_store_n(field, v, __ATOMIC_RELAXED);
}

static long long tel_get(const long long *field)
{
  return __atomic_load_n(field, __ATOMIC_RELAXED);
}

static long long now_unix(void) { return g_get_real_time() / G_USEC_PER_SEC; }

static const char *origin_name(tlsp_reload_origin o)
{
  switch (o)
  {
  case TP_RELOAD_MANUAL:
    return "manual reload";
  case TP_RELOAD_AUTOMATIC:
    return "automatic reload";
  case TP_RELOAD_FLUSH_SSL:
    return "FLUSH SSL";
  case TP_RELOAD_STARTUP:
    return "start";
  }
  return "reload";
}

/* ---- telemetry --------------------------------------------------------- */

/* Caller holds reload_lock. */
static void tel_set_info(const tlsp_tls_context_info *info)
{
  tel_set(&tel.cert_not_before, info ? info->server_cert_not_before : 0);
  tel_set(&tel.cert_not_after, info ? info->server_cert_not_after : 0);
  tel_set(&tel.ca_not_after, info ? info->ca_not_after : 0);
  tel_set(&tel.crl_next_update, info ? info->crl_next_update : 0);
  g_mutex_lock(&tel_lock);
  g_strlcpy(tel_sha256, info ? info->server_cert_sha256 : "",
            sizeof tel_sha256);
  g_strlcpy(tel_subject, info ? info->server_cert_subject : "",
            sizeof tel_subject);
  g_mutex_unlock(&tel_lock);
}

/* Caller holds reload_lock. */
static void tel_success(long long t)
{
  tel_set(&tel.generation, tel_get(&tel.generation) + 1);
  tel_set(&tel.reloads, tel_get(&tel.reloads) + 1);
  tel_set(&tel.last_attempt, t);
  tel_set(&tel.last_success, t);
  g_mutex_lock(&tel_lock);
  tel_last_error[0] = 0;
  g_mutex_unlock(&tel_lock);
}

static const char *error_code_name(const GError *err)
{
  if (err->domain == TP_TLS_BUILD_ERROR)
    return tlsp_tls_build_error_name(err->code);
  return "internal";
}

/* Caller holds reload_lock. */
static void tel_failure(tlsp_reload_origin origin, long long t,
                        const GError *err)
{
  tel_set(&tel.failures, tel_get(&tel.failures) + 1);
  tel_set(&tel.last_attempt, t);
  g_mutex_lock(&tel_lock);
  g_snprintf(tel_last_error, sizeof tel_last_error, "%s: [%s] %s",
             origin_name(origin), error_code_name(err), err->message);
  g_mutex_unlock(&tel_lock);
}

/* Reads the facts of a context we hold a reference on.  The read lock
 * orders this after any publication in progress (the server's rule for
 * reading what it publishes). */
static void info_from_ctx(SSL_CTX *ctx, tlsp_tls_context_info *info)
{
  memset(info, 0, sizeof *info);
  if (!ctx)
    return;
  tlsp_server_ssl_rdlock();
  tlsp_tls_context_info_from_ctx(ctx, info, NULL);
  tlsp_server_ssl_unlock();
}

static void format_time(long long t, char *buf, gsize size)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
  g_autofree char *s =
      dt ? g_date_time_format(dt, "%Y-%m-%d %H:%M:%S UTC") : NULL;
  g_strlcpy(buf, s ? s : "?", size);
}

static void expiry_warn(const char *what, long long t, long long now,
                        unsigned days, const char *ends, const char *ended)
{
  char when[40];
  format_time(t, when, sizeof when);
  if (t <= now)
    tlsp_log_warning("%s %s at %s (tls_policy_expiry_warning_days=%u)", what,
                     ended, when, days);
  else
    tlsp_log_warning(
        "%s %s at %s, in %lld days (tls_policy_expiry_warning_days=%u)", what,
        ends, when, (t - now) / 86400, days);
}

void tlsp_tls_context_expiry_check(void)
{
  unsigned days = tlsp_tc_opt_expiry_days;
  if (days == 0)
    return;
  long long now = now_unix(), limit = now + (long long) days * 86400;
  long long na = tel_get(&tel.cert_not_after), ca = tel_get(&tel.ca_not_after),
            crl = tel_get(&tel.crl_next_update);
  char subject[256], sha[65];
  g_mutex_lock(&tel_lock);
  g_strlcpy(subject, tel_subject, sizeof subject);
  g_strlcpy(sha, tel_sha256, sizeof sha);
  g_mutex_unlock(&tel_lock);
  if (na && na <= limit)
  {
    g_autofree char *what = g_strdup_printf(
        "the server certificate '%s' (sha256 %s)", subject, sha);
    expiry_warn(what, na, now, days, "expires", "expired");
  }
  if (ca && ca <= limit)
    expiry_warn("a CA certificate of the serving TLS context", ca, now, days,
                "expires", "expired");
  if (crl && crl <= limit)
    expiry_warn("a CRL of the serving TLS context", crl, now, days,
                "needs its next update", "is past its next update");
}

/* ---- publishing -------------------------------------------------------- */

/*
 * Makes `ctx` the server's acceptor context.  `ctx` is the caller's
 * reference; on success it becomes cur_ctx (the previous cur_ctx reference
 * is dropped), on failure it stays the caller's.  Allocates the server's
 * holder outside the lock; the write lock covers only the swap.  (Nothing
 * to instrument: handshakes are observed through their SSL objects,
 * tls_facts.h.)
 * Caller holds reload_lock.
 */
static gboolean publish_locked(SSL_CTX *ctx, GError **error)
{
  g_return_val_if_fail(ctx != NULL, FALSE); /* never publish NULL */
  tlsp_server_acceptor *holder = tlsp_server_acceptor_alloc(error);
  if (!holder)
    return FALSE;
  SSL_CTX_up_ref(ctx); /* the server's reference, freed by the server */
  tlsp_server_ssl_wrlock();
  tlsp_server_acceptor_publish_locked(holder, ctx);
  tlsp_server_ssl_unlock();
  const char *fp_problem = tlsp_server_fingerprint_problem_once();
  if (fp_problem)
    tlsp_log_warning(
        "the server's certificate fingerprint is not updated (%s): "
        "clients that verify the server by it (MariaDB 11.4+ "
        "clients given no CA) refuse a certificate other than the "
        "server's own",
        fp_problem);
  if (cur_ctx)
    SSL_CTX_free(cur_ctx);
  cur_ctx = ctx;
  return TRUE;
}

/* Remembers `p`, a context the server published, if it is built around a
 * certificate the server generated.  Caller holds reload_lock and a
 * reference on p (may be NULL). */
static void note_server_context_locked(SSL_CTX *p)
{
  tlsp_server_ssl_options srv;
  tlsp_server_ssl_options_get(&srv);
  SSL_CTX *keep = p && tlsp_tc_server_generates_cert(&srv) ? p : NULL;
  if (keep == srv_generated)
    return;
  if (keep)
    SSL_CTX_up_ref(keep);
  if (srv_generated)
    SSL_CTX_free(srv_generated);
  srv_generated = keep;
}

/* Takes `ctx` (a reference the caller passes) as the serving context
 * without publishing it: the server already did.  Caller holds reload_lock. */
static void adopt_locked(SSL_CTX *ctx)
{
  tlsp_tls_context_info info;
  tlsp_server_ssl_options srv;
  info_from_ctx(ctx, &info);
  tlsp_server_ssl_options_get(&srv);
  /* With neither ssl_ca nor ssl_capath the server's context trusts
   * OpenSSL's default store (viosslfactories.c): nobody configured those
   * CA certificates, so they are not reported or warned about. */
  if (!(srv.ca && *srv.ca) && !(srv.capath && *srv.capath))
    info.ca_not_after = 0;
  if (cur_ctx)
    SSL_CTX_free(cur_ctx);
  cur_ctx = ctx;
  note_server_context_locked(ctx);
  tel_set_info(ctx ? &info : NULL);
}

/*
 * Builds from the effective configuration and publishes.  When no
 * certificate file is configured (neither the plugin nor the server names
 * one) and auto_generate_cert is off, the certificate and key of `mem_src`
 * serve again (the certificate MariaDB 11.4+ generated in memory for
 * zero-configuration TLS), so that other settings can change without
 * losing it.
 * Caller holds reload_lock and a reference on mem_src (may be NULL).
 */
/* The build configuration of the effective settings (borrows from e). */
static tlsp_tls_config config_of(const tlsp_effective *e)
{
  return (tlsp_tls_config){
      .cert = e->s[S_CERT],
      .key = e->s[S_KEY],
      .ca = e->s[S_CA],
      .capath = e->s[S_CAPATH],
      .crl = e->s[S_CRL],
      .crlpath = e->s[S_CRLPATH],
      .cipher = e->s[S_CIPHER],
      .ciphersuites = e->s[S_CIPHERSUITES],
      .tls_version = e->s[S_TLS_VERSION],
      .passphrase = e->passphrase,
      .auto_generate = e->auto_generate,
  };
}

static gboolean reload_from_locked(tlsp_reload_origin origin, SSL_CTX *mem_src,
                                   GError **error)
{
  tlsp_effective e;
  tlsp_tc_effective_get(&e);
  long long t = now_unix();
  tlsp_tc_digest_compute(&e, last_digest);

  tlsp_tls_config cfg = config_of(&e);
  gboolean no_files = !cfg.cert && !cfg.key;
  if (no_files && !cfg.auto_generate && mem_src)
  {
    /* Read-only use of a context we hold a reference on; the build takes
     * its own references on both. */
    cfg.mem_cert = SSL_CTX_get0_certificate(mem_src);
    cfg.mem_key = SSL_CTX_get0_privatekey(mem_src);
  }
  tlsp_tls_context_info info;
  g_autoptr(GError) err = NULL;
  SSL_CTX *ctx = tlsp_tls_context_build(&cfg, &info, &err);
  if (ctx && !publish_locked(ctx, &err))
  {
    SSL_CTX_free(ctx);
    ctx = NULL;
  }
  if (!ctx)
  {
    tel_failure(origin, t, err);
    tlsp_log_error("%s of the TLS context failed, the current context keeps "
                   "serving: [%s] %s",
                   origin_name(origin), error_code_name(err), err->message);
    tlsp_tc_effective_clear(&e);
    g_propagate_error(error, g_steal_pointer(&err));
    return FALSE;
  }
  tel_set_info(&info);
  tel_success(t);
  char until[40];
  format_time(info.server_cert_not_after, until, sizeof until);
  tlsp_log_note("%s: TLS context generation %lld is serving: certificate '%s' "
                "(sha256 %s, valid until %s) from %s%s%s",
                origin_name(origin), tel_get(&tel.generation),
                info.server_cert_subject, info.server_cert_sha256, until,
                info.self_signed_generated ? "an auto-generated self-signed "
                                             "certificate"
                : no_files ? "the certificate the server generated (no file)"
                           : "'",
                no_files ? "" : (cfg.cert ? cfg.cert : cfg.key),
                no_files ? "" : "'");
  tlsp_tc_effective_clear(&e);
  return TRUE;
}

/* Caller holds reload_lock. */
static gboolean reload_locked(tlsp_reload_origin origin, GError **error)
{
  return reload_from_locked(origin, srv_generated, error);
}

gboolean tlsp_tls_context_reload(tlsp_reload_origin origin, GError **error)
{
  g_mutex_lock(&reload_lock);
  gboolean ok;
  if (!running)
  {
    g_set_error(error, TP_TLS_CONTEXT_ERROR, 1, "the plugin is stopping");
    ok = FALSE;
  }
  else
    ok = reload_locked(origin, error);
  g_mutex_unlock(&reload_lock);
  if (ok)
    tlsp_tls_context_expiry_check();
  return ok;
}

void tlsp_tls_context_auto_reload(void)
{
  g_mutex_lock(&reload_lock);
  if (!running || initial_pending)
  {
    g_mutex_unlock(&reload_lock);
    return;
  }
  tlsp_effective e;
  tlsp_tc_effective_get(&e);
  char digest[65];
  tlsp_tc_digest_compute(&e, digest);
  tlsp_tc_effective_clear(&e);
  gboolean ok = FALSE, tried = FALSE;
  if (strcmp(digest, last_digest) != 0)
  {
    tried = TRUE;
    ok = reload_locked(TP_RELOAD_AUTOMATIC, NULL);
  }
  g_mutex_unlock(&reload_lock);
  if (tried && ok)
    tlsp_tls_context_expiry_check();
}

/* The server replaced the context with `p` (our reference).  Caller holds
 * reload_lock. */
static void server_replaced_locked(SSL_CTX *p, tlsp_reload_origin origin)
{
  long long t = now_unix();
  if (p && tlsp_tc_plugin_configured())
  {
    /* The server rebuilt from its own ssl_* paths; the plugin's
     * configuration must serve.  Rebuild from it, or put back what served
     * before if that fails. */
    g_autoptr(GError) err = NULL;
    /* A certificate the server generated anew (11.4+ zero-configuration
     * TLS: FLUSH SSL makes a new one) is the one to serve from now on. */
    note_server_context_locked(p);
    if (reload_locked(origin, &err))
    {
      SSL_CTX_free(p);
      return;
    }
    g_autoptr(GError) err2 = NULL;
    SSL_CTX *prev = cur_ctx;
    if (prev)
      SSL_CTX_up_ref(prev); /* publish_locked drops the old cur_ctx reference */
    if (prev && publish_locked(prev, &err2))
    {
      tlsp_log_warning("%s: the previous TLS context (generation %lld) was put "
                       "back in place of the server's",
                       origin_name(origin), tel_get(&tel.generation));
      SSL_CTX_free(p);
      return;
    }
    if (prev)
    {
      SSL_CTX_free(prev);
      tlsp_log_error("%s: the previous TLS context could not be put back (%s); "
                     "the server's own context serves",
                     origin_name(origin), err2->message);
    }
  }
  adopt_locked(p);
  tel_success(t);
  tlsp_log_note("%s: the server replaced its TLS context; generation %lld, "
                "certificate '%s' (sha256 %s)",
                origin_name(origin), tel_get(&tel.generation), tel_subject,
                tel_sha256);
}

void tlsp_tls_context_sync_server(tlsp_reload_origin origin)
{
  g_mutex_lock(&reload_lock);
  if (!running || initial_pending)
  {
    g_mutex_unlock(&reload_lock);
    return;
  }
  tlsp_server_ssl_rdlock();
  SSL_CTX *p = tlsp_server_acceptor_ctx_locked();
  gboolean changed = p != cur_ctx;
  if (changed && p)
    SSL_CTX_up_ref(p);
  tlsp_server_ssl_unlock();
  if (changed)
    server_replaced_locked(p, origin);
  g_mutex_unlock(&reload_lock);
  if (changed)
    tlsp_tls_context_expiry_check();
}

/* Caller holds reload_lock. */
static void capture_initial_locked(void)
{
  tlsp_server_ssl_rdlock();
  SSL_CTX *p = tlsp_server_acceptor_ctx_locked();
  if (p)
    SSL_CTX_up_ref(p);
  tlsp_server_ssl_unlock();
  adopt_locked(p);
  tel_set(&tel.generation, p ? 1 : 0);
  initial_pending = FALSE;
}

void tlsp_tls_context_server_started(void)
{
  g_mutex_lock(&reload_lock);
  if (!running || !initial_pending)
  {
    g_mutex_unlock(&reload_lock);
    return;
  }
  capture_initial_locked();
  if (startup_apply_pending)
  {
    startup_apply_pending = FALSE;
    reload_locked(TP_RELOAD_STARTUP, NULL);
  }
  g_mutex_unlock(&reload_lock);
  tlsp_tls_context_expiry_check();
}

/* ---- watch targets ----------------------------------------------------- */

static void watch_target_free(gpointer p)
{
  tlsp_watch_target *t = p;
  g_free(t->dir);
  if (t->names)
    g_ptr_array_unref(t->names);
  g_free(t);
}

static tlsp_watch_target *target_for(GPtrArray *targets, const char *dir)
{
  for (guint i = 0; i < targets->len; i++)
  {
    tlsp_watch_target *t = targets->pdata[i];
    if (strcmp(t->dir, dir) == 0)
      return t;
  }
  tlsp_watch_target *t = g_new0(tlsp_watch_target, 1);
  t->dir = g_strdup(dir);
  t->names = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(targets, t);
  return t;
}

GPtrArray *tlsp_tls_context_watch_targets(void)
{
  GPtrArray *targets = g_ptr_array_new_with_free_func(watch_target_free);
  if (!tlsp_tc_opt_watch_files)
    return targets;
  tlsp_effective e;
  tlsp_tc_effective_get(&e);
  /* Relative paths are relative to the server's working directory (the
   * datadir), as for the build. */
  const int files[] = {S_CERT, S_KEY, S_CA, S_CRL};
  for (guint i = 0; i < G_N_ELEMENTS(files); i++)
  {
    if (!e.s[files[i]])
      continue;
    g_autofree char *abs = g_canonicalize_filename(e.s[files[i]], NULL);
    g_autofree char *dir = g_path_get_dirname(abs);
    tlsp_watch_target *t = target_for(targets, dir);
    if (t->names)
      g_ptr_array_add(t->names, g_path_get_basename(abs));
  }
  const int dirs[] = {S_CAPATH, S_CRLPATH};
  for (guint i = 0; i < G_N_ELEMENTS(dirs); i++)
  {
    if (!e.s[dirs[i]])
      continue;
    g_autofree char *abs = g_canonicalize_filename(e.s[dirs[i]], NULL);
    tlsp_watch_target *t = target_for(targets, abs);
    if (t->names)
      g_ptr_array_unref(t->names);
    t->names = NULL; /* any entry matters */
  }
  tlsp_tc_effective_clear(&e);
  return targets;
}

guint tlsp_tls_context_settle_ms(void) { return tlsp_tc_opt_settle_ms; }

/* ---- system variables ----------------------------------------------------- */

/*
 * SET GLOBAL tls_policy_reload_tls_now = ON: the whole reload runs here, in
 * the check callback, where no server lock is held, so that a failure fails
 * the statement with the reason (the update callback cannot fail).
 */
static int check_reload_now(MYSQL_THD thd, struct st_mysql_sys_var *var,
                            void *save, struct st_mysql_value *value)
{
  gboolean on = FALSE;
  if (!tlsp_sysvar_value_to_bool(value, &on))
    return 1;         /* the server reports ER_WRONG_VALUE_FOR_VAR */
  *(char *) save = 0; /* the variable always reads OFF */
  if (!on)
    return 0;
  g_autoptr(GError) error = NULL;
  if (!tlsp_tls_context_reload(TP_RELOAD_MANUAL, &error))
  {
    my_printf_error(ER_UNKNOWN_ERROR,
                    "tls_policy: TLS reload refused, the current TLS context "
                    "keeps serving: [%s] %s",
                    0, error_code_name(error), error->message);
    return 1;
  }
  return 0;
}

static void update_reload_now(MYSQL_THD thd, struct st_mysql_sys_var *var,
                              void *var_ptr, const void *save)
{
  *(char *) var_ptr = 0;
}

#define TP_PATH_NOTE \
  " Unset: the server's own setting (see docs/tls-context.md)."

static MYSQL_SYSVAR_STR(
    ssl_cert, tlsp_tc_opt_setting[S_CERT], PLUGIN_VAR_RQCMDARG,
    "Server certificate (PEM, leaf first, then its chain) for the next TLS "
    "reload." TP_PATH_NOTE,
    tlsp_tc_check_setting, tlsp_tc_update_setting, NULL);
static MYSQL_SYSVAR_STR(ssl_key, tlsp_tc_opt_setting[S_KEY],
                        PLUGIN_VAR_RQCMDARG,
                        "Private key (PEM) of ssl_cert; may be encrypted "
                        "(ssl_passphrase)." TP_PATH_NOTE,
                        tlsp_tc_check_setting, tlsp_tc_update_setting, NULL);
static MYSQL_SYSVAR_STR(
    ssl_ca, tlsp_tc_opt_setting[S_CA], PLUGIN_VAR_RQCMDARG,
    "CA bundle (PEM) trusted for client certificates." TP_PATH_NOTE,
    tlsp_tc_check_setting, tlsp_tc_update_setting, NULL);
static MYSQL_SYSVAR_STR(
    ssl_capath, tlsp_tc_opt_setting[S_CAPATH], PLUGIN_VAR_RQCMDARG,
    "Hashed directory of trusted CA certificates." TP_PATH_NOTE,
    tlsp_tc_check_setting, tlsp_tc_update_setting, NULL);
static MYSQL_SYSVAR_STR(
    ssl_crl, tlsp_tc_opt_setting[S_CRL], PLUGIN_VAR_RQCMDARG,
    "CRL file (PEM); turns on revocation checking." TP_PATH_NOTE,
    tlsp_tc_check_setting, tlsp_tc_update_setting, NULL);
static MYSQL_SYSVAR_STR(
    ssl_crlpath, tlsp_tc_opt_setting[S_CRLPATH], PLUGIN_VAR_RQCMDARG,
    "Hashed directory of CRLs; turns on revocation checking." TP_PATH_NOTE,
    tlsp_tc_check_setting, tlsp_tc_update_setting, NULL);
static MYSQL_SYSVAR_STR(
    ssl_cipher, tlsp_tc_opt_setting[S_CIPHER], PLUGIN_VAR_RQCMDARG,
    "TLS 1.2 and older cipher list (OpenSSL syntax)." TP_PATH_NOTE,
    tlsp_tc_check_setting, tlsp_tc_update_setting, NULL);
static MYSQL_SYSVAR_STR(tls_ciphersuites, tlsp_tc_opt_setting[S_CIPHERSUITES],
                        PLUGIN_VAR_RQCMDARG,
                        "TLS 1.3 ciphersuites (colon-separated)." TP_PATH_NOTE,
                        tlsp_tc_check_setting, tlsp_tc_update_setting, NULL);
static MYSQL_SYSVAR_STR(
    tls_version, tlsp_tc_opt_setting[S_TLS_VERSION], PLUGIN_VAR_RQCMDARG,
    "Allowed TLS versions, e.g. 'TLSv1.2,TLSv1.3'." TP_PATH_NOTE,
    tlsp_tc_check_setting, tlsp_tc_update_setting, NULL);
static MYSQL_SYSVAR_STR(
    ssl_passphrase, tlsp_tc_opt_passphrase_shown, PLUGIN_VAR_RQCMDARG,
    "Passphrase of an encrypted ssl_key. Write-only: shown as '****' when set.",
    tlsp_tc_check_setting, tlsp_tc_update_passphrase, NULL);
static MYSQL_SYSVAR_BOOL(
    reload_tls_now, tlsp_tc_opt_reload_now, PLUGIN_VAR_NOCMDOPT,
    "SET to ON to build, validate and install a new TLS context from the "
    "current settings; fails with the reason and changes nothing if any check "
    "fails. Always reads OFF.",
    check_reload_now, update_reload_now, 0);
static MYSQL_SYSVAR_BOOL(
    watch_files, tlsp_tc_opt_watch_files, PLUGIN_VAR_OPCMDARG,
    "Reload automatically when the configured certificate, key, CA or CRL "
    "files change.",
    NULL, tlsp_tc_update_watch_files, 0);
static MYSQL_SYSVAR_UINT(
    watch_settle_ms, tlsp_tc_opt_settle_ms, PLUGIN_VAR_RQCMDARG,
    "Milliseconds without further file changes before an automatic reload.",
    NULL, NULL, 500, 0, 600000, 0);
static MYSQL_SYSVAR_BOOL(
    auto_generate_cert, tlsp_tc_opt_auto_generate, PLUGIN_VAR_OPCMDARG,
    "When no certificate file is configured, neither by the plugin nor by "
    "the server (--skip-ssl, or 11.4+ zero-configuration TLS), reload with "
    "an in-memory self-signed ECDSA P-256 certificate.",
    NULL, NULL, 0);
static MYSQL_SYSVAR_UINT(
    expiry_warning_days, tlsp_tc_opt_expiry_days, PLUGIN_VAR_RQCMDARG,
    "Warn in the error log (daily) when the server certificate, a CA "
    "certificate or a CRL ends within this many days; 0 disables.",
    NULL, tlsp_tc_update_expiry_days, 30, 0, 36500, 0);

static struct st_mysql_sys_var *tc_sysvars[] = {
    MYSQL_SYSVAR(ssl_cert),
    MYSQL_SYSVAR(ssl_key),
    MYSQL_SYSVAR(ssl_ca),
    MYSQL_SYSVAR(ssl_capath),
    MYSQL_SYSVAR(ssl_crl),
    MYSQL_SYSVAR(ssl_crlpath),
    MYSQL_SYSVAR(ssl_cipher),
    MYSQL_SYSVAR(tls_ciphersuites),
    MYSQL_SYSVAR(tls_version),
    MYSQL_SYSVAR(ssl_passphrase),
    MYSQL_SYSVAR(reload_tls_now),
    MYSQL_SYSVAR(watch_files),
    MYSQL_SYSVAR(watch_settle_ms),
    MYSQL_SYSVAR(auto_generate_cert),
    MYSQL_SYSVAR(expiry_warning_days),
    NULL};

/* ---- status variables ------------------------------------------------- */

static int show_text(void *buff, const char *src)
{
  g_mutex_lock(&tel_lock);
  g_strlcpy(buff, src, SHOW_VAR_FUNC_BUFF_SIZE);
  g_mutex_unlock(&tel_lock);
  return 0;
}

#define TP_SHOW_TEXT_FN(fn, field)                                        \
  static int fn(MYSQL_THD thd, struct st_mysql_show_var *var, void *buff, \
                struct system_status_var *sv, enum enum_var_type scope)   \
  {                                                                       \
    var->type = SHOW_CHAR;                                                \
    var->value = buff;                                                    \
    return show_text(buff, field);                                        \
  }
TP_SHOW_TEXT_FN(show_last_error, tel_last_error)
TP_SHOW_TEXT_FN(show_sha256, tel_sha256)
TP_SHOW_TEXT_FN(show_subject, tel_subject)

static struct st_mysql_show_var tc_status[] = {
    {"tls_generation", (char *) &tel.generation, SHOW_SLONGLONG},
    {"tls_reloads", (char *) &tel.reloads, SHOW_SLONGLONG},
    {"tls_reload_failures", (char *) &tel.failures, SHOW_SLONGLONG},
    {"tls_last_reload_attempt", (char *) &tel.last_attempt, SHOW_SLONGLONG},
    {"tls_last_reload_success", (char *) &tel.last_success, SHOW_SLONGLONG},
    {"tls_last_reload_error", (char *) &show_last_error, SHOW_FUNC},
    {"server_cert_not_before", (char *) &tel.cert_not_before, SHOW_SLONGLONG},
    {"server_cert_not_after", (char *) &tel.cert_not_after, SHOW_SLONGLONG},
    {"ca_not_after", (char *) &tel.ca_not_after, SHOW_SLONGLONG},
    {"crl_next_update", (char *) &tel.crl_next_update, SHOW_SLONGLONG},
    {"server_cert_sha256", (char *) &show_sha256, SHOW_FUNC},
    {"server_cert_subject", (char *) &show_subject, SHOW_FUNC},
    {0, 0, 0}};

/* ---- statements ------------------------------------------------------- */

/* After a successful FLUSH (of any kind: the check is one pointer
 * comparison), see whether the server replaced its TLS context. */
static void tc_on_statement(MYSQL_THD thd, const struct mysql_event_general *ev)
{
  if (ev->general_error_code || !ev->general_query ||
      tlsp_stmt_classify(ev->general_query, ev->general_query_length) !=
          TP_STMT_FLUSH)
    return;
  tlsp_tls_context_sync_server(TP_RELOAD_FLUSH_SSL);
}

/* ---- start / stop ------------------------------------------------------ */

static void release_locked(void)
{
  running = FALSE;
  if (cur_ctx)
    SSL_CTX_free(cur_ctx);
  cur_ctx = NULL;
  if (srv_generated)
    SSL_CTX_free(srv_generated);
  srv_generated = NULL;
}

/* A TLS configuration of the plugin's own that cannot serve at start
 * (caller holds reload_lock): counted, kept in
 * Tls_policy_tls_last_reload_error, one [ERROR] line, and a warning to the
 * client of a runtime INSTALL SONAME.  The server's own context keeps
 * serving and the plugin loads: the login policy does not depend on it. */
static void startup_failed_locked(const GError *err)
{
  tel_failure(TP_RELOAD_STARTUP, now_unix(), err);
  tlsp_log_error("start: the TLS configuration of tls_policy is not used, the "
                 "server's own TLS context keeps serving (the login policy is "
                 "enforced): [%s] %s",
                 error_code_name(err), err->message);
  if (tlsp_server_started() && tlsp_server_current_thd())
    my_printf_error(ER_UNKNOWN_ERROR,
                    "tls_policy: the TLS configuration of tls_policy is not "
                    "used, the server's own TLS context keeps serving: "
                    "[%s] %s",
                    ME_WARNING, error_code_name(err), err->message);
}

/*
 * The TLS context is a concern apart from the login policy: a configuration
 * of the plugin's own that does not validate never fails the plugin's
 * start (the policy would then not be enforced at all).  Startup is strict
 * in what it applies: such a configuration is not applied, not even in
 * part; the server's own context keeps serving and the failure is in the
 * status (origin `start`) and the error log.  A later reload (manual,
 * automatic, FLUSH SSL) applies the configuration once it validates.
 * FALSE only when the watcher thread cannot start.
 */
/* What the file watcher (file_watch.c) calls, on its thread. */
static void watch_tick(void)
{
  /* A safety net for FLUSH SSL statements tc_on_statement did not see. */
  tlsp_tls_context_sync_server(TP_RELOAD_FLUSH_SSL);
}

static const tlsp_file_watch_hooks watch_hooks = {
    .files_changed = tlsp_tls_context_auto_reload,
    .settle_ms = tlsp_tls_context_settle_ms,
    .targets = tlsp_tls_context_watch_targets,
    .server_started = tlsp_tls_context_server_started,
    .tick = watch_tick,
    .expiry_check = tlsp_tls_context_expiry_check,
};

static gboolean tc_start(GError **error)
{
  g_autoptr(GError) cfg_error = NULL;
  g_mutex_lock(&tlsp_tc_cfg_lock);
  gboolean adopted = tlsp_tc_adopt_settings_locked(&cfg_error);
  if (!adopted)
    tlsp_tc_settings_clear_locked();
  g_mutex_unlock(&tlsp_tc_cfg_lock);

  g_mutex_lock(&reload_lock);
  memset(&tel, 0, sizeof tel);
  tel_set_info(NULL);
  g_mutex_lock(&tel_lock);
  tel_last_error[0] = 0;
  g_mutex_unlock(&tel_lock);
  cur_ctx = NULL;
  srv_generated = NULL;
  last_digest[0] = 0;
  startup_apply_pending = FALSE;
  running = TRUE;
  gboolean started = tlsp_server_started();
  initial_pending = TRUE;
  if (started)
    capture_initial_locked();

  if (!adopted)
    startup_failed_locked(cfg_error);
  else if (tlsp_tc_plugin_configured())
  {
    if (started)
    {
      /* reload_locked counts and logs a failure itself */
      if (!reload_locked(TP_RELOAD_STARTUP, &cfg_error) &&
          tlsp_server_current_thd())
        my_printf_error(ER_UNKNOWN_ERROR,
                        "tls_policy: the TLS configuration of tls_policy is "
                        "not used, the server's own TLS context keeps "
                        "serving: [%s] %s",
                        ME_WARNING, error_code_name(cfg_error),
                        cfg_error->message);
    }
    else
    {
      /* TLS is initialised after plugins at server start: validate now,
       * apply once the server runs (the watcher thread). */
      tlsp_effective e;
      tlsp_server_ssl_options srv;
      tlsp_tc_effective_get(&e);
      tlsp_server_ssl_options_get(&srv);
      tlsp_tc_digest_compute(&e, last_digest);
      tlsp_tls_config cfg = config_of(&e);
      /* 11.4+ zero-configuration TLS: the server generates its certificate
       * after this; a generated one stands in for it here, the server's
       * serves once applied (reload_locked). */
      cfg.auto_generate =
          e.auto_generate ||
          (!e.s[S_CERT] && !e.s[S_KEY] && tlsp_tc_server_generates_cert(&srv));
      SSL_CTX *ctx = tlsp_tls_context_build(&cfg, NULL, &cfg_error);
      tlsp_tc_effective_clear(&e);
      startup_apply_pending = ctx != NULL;
      SSL_CTX_free(ctx);
      if (!startup_apply_pending)
        startup_failed_locked(cfg_error);
    }
  }
  g_mutex_unlock(&reload_lock);

  if (!tlsp_file_watch_start(&watch_hooks, error))
  {
    g_mutex_lock(&reload_lock);
    release_locked();
    g_mutex_unlock(&reload_lock);
    return FALSE;
  }
  if (started)
    tlsp_tls_context_expiry_check();
  return TRUE;
}

static void tc_stop(void)
{
  tlsp_file_watch_stop();
  g_mutex_lock(&reload_lock);
  release_locked();
  g_mutex_unlock(&reload_lock);
  /* The library stays mapped after UNINSTALL, and the server does not
   * reset a string variable without a default at the next INSTALL
   * (my_getopt keeps the old pointer): forget the settings, so that a new
   * instance starts from its options and defaults, not from what was SET
   * at runtime in the old one. */
  g_mutex_lock(&tlsp_tc_cfg_lock);
  tlsp_tc_settings_clear_locked();
  g_mutex_unlock(&tlsp_tc_cfg_lock);
}

const tlsp_module tlsp_module_tls_context = {
    .name = "tls_context",
    .start = tc_start,
    .stop = tc_stop,
    .sysvars = tc_sysvars,
    .status = tc_status,
    .on_statement = tc_on_statement,
};
