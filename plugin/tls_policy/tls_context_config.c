/*
 * tls_context_config.c — the TLS settings of the plugin and the effective
 * configuration a reload uses: the storage behind the tls_policy_ssl_* /
 * tls_* system variables and their check and update callbacks, taking the
 * settings over at start and forgetting them at stop, the fallback to the
 * server's own ssl_* options, and the digest of the configured files
 * (automatic reload).
 *
 * Ownership: every string variable points at a buffer of this file (hazard
 * H5: the server's *save pointer is never kept; the variables are not
 * PLUGIN_VAR_MEMALLOC, so the server never frees them).  Writes happen in
 * the update callbacks under LOCK_global_system_variables and cfg_lock;
 * the reload path copies them under cfg_lock.  The passphrase lives in a
 * separate buffer; the variable itself only shows '****'.
 *
 * Uses nothing of tls_context.c / tls_context.h (the reload and the module).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <mysql/plugin.h>
#include <mysqld_error.h>
#include <openssl/crypto.h>
#include "tls_policy/tls_context_build.h"
#include "file_watch.h"
#include "server_abi.h"
#include "server_compat.h"
#include "tls_context_config.h"

/* clang-format off */
G_DEFINE_QUARK(tp-tls-context-error-quark, tlsp_tls_context_error)
/* clang-format on */

/* ---- settings ------------------------------------------------------------ */

/* What the server variables point at: setting_buf[i] when set, NULL when
 * unset (so that @@tls_policy_ssl_cert is NULL like the server's @@ssl_cert). */
char *tlsp_tc_opt_setting[S__COUNT];
static char setting_buf[S__COUNT][TP_SETTING_MAX]; /* tlsp_tc_cfg_lock */
char *tlsp_tc_opt_passphrase_shown;                /* "****" or NULL */
static char passphrase_mask[] = "****";
static char passphrase_buf[TP_SETTING_MAX]; /* tlsp_tc_cfg_lock */
GMutex tlsp_tc_cfg_lock;

char tlsp_tc_opt_reload_now;
char tlsp_tc_opt_watch_files;
char tlsp_tc_opt_auto_generate;
unsigned int tlsp_tc_opt_settle_ms = 500;
unsigned int tlsp_tc_opt_expiry_days = 30;

/* ---- effective configuration ------------------------------------------- */

/* tlsp_effective: tls_context_config.h. */

void tlsp_tc_effective_clear(tlsp_effective *e)
{
  for (int i = 0; i < S__COUNT; i++)
    g_free(e->s[i]);
  if (e->passphrase)
  {
    OPENSSL_cleanse(e->passphrase, strlen(e->passphrase));
    g_free(e->passphrase);
  }
  memset(e, 0, sizeof *e);
}

static char *dup_nonempty(const char *s)
{
  return s && *s ? g_strdup(s) : NULL;
}

/* Splits the server's one ssl_cipher (the server feeds it both to
 * SSL_CTX_set_cipher_list and SSL_CTX_set_ciphersuites) into its TLS 1.3
 * ciphersuite names ("TLS_...") and the rest. */
static void split_server_cipher(const char *cipher, char **list, char **suites)
{
  *list = *suites = NULL;
  if (!cipher || !*cipher)
    return;
  g_auto(GStrv) parts = g_strsplit_set(cipher, ":, ", -1);
  GString *l = g_string_new(NULL), *s = g_string_new(NULL);
  for (char **p = parts; *p; p++)
  {
    if (!**p)
      continue;
    GString *to = g_str_has_prefix(*p, "TLS_") ? s : l;
    if (to->len)
      g_string_append_c(to, ':');
    g_string_append(to, *p);
  }
  *list = l->len ? g_string_free(l, FALSE) : (g_string_free(l, TRUE), NULL);
  *suites = s->len ? g_string_free(s, FALSE) : (g_string_free(s, TRUE), NULL);
}

/* The server names a certificate file of its own that it serves. */
static gboolean server_has_cert_files(const tlsp_server_ssl_options *srv)
{
  return srv->use_ssl && ((srv->cert && *srv->cert) || (srv->key && *srv->key));
}

/* The server serves (or will serve, at start) a certificate it generated in
 * memory: zero-configuration TLS, MariaDB 11.4+ (server_compat.h). */
gboolean tlsp_tc_server_generates_cert(const tlsp_server_ssl_options *srv)
{
  return TP_SERVER_HAS_ZERO_CONFIG_TLS && srv->use_ssl &&
         !server_has_cert_files(srv);
}

/* Caller holds tlsp_tc_cfg_lock.  auto_generate_cert counts as a configuration of
 * the plugin's own whenever no certificate file is configured anywhere:
 * the server's TLS is off (--skip-ssl), or, on 11.4+, it runs
 * zero-configuration TLS (on 10.11 a server with TLS on always names its
 * certificate file). */
static gboolean plugin_configured_locked(const tlsp_server_ssl_options *srv)
{
  for (int i = 0; i < S__COUNT; i++)
    if (setting_buf[i][0])
      return TRUE;
  return passphrase_buf[0] ||
         (tlsp_tc_opt_auto_generate && !server_has_cert_files(srv));
}

void tlsp_tc_effective_get(tlsp_effective *e)
{
  tlsp_server_ssl_options srv;
  memset(e, 0, sizeof *e);
  tlsp_server_ssl_options_get(&srv);
  g_mutex_lock(&tlsp_tc_cfg_lock);
  for (int i = 0; i < S__COUNT; i++)
    e->s[i] = dup_nonempty(setting_buf[i]);
  e->passphrase = dup_nonempty(passphrase_buf);
  e->auto_generate = tlsp_tc_opt_auto_generate;
  e->plugin_configured = plugin_configured_locked(&srv);
  g_mutex_unlock(&tlsp_tc_cfg_lock);

  if (!srv.use_ssl)
    return; /* the server's ssl_* are inert: nothing to fall back to */
  if (!e->s[S_CERT] && !e->s[S_KEY])
  {
    e->s[S_CERT] = dup_nonempty(srv.cert);
    e->s[S_KEY] = dup_nonempty(srv.key);
  }
  if (!e->s[S_CA] && !e->s[S_CAPATH])
  {
    e->s[S_CA] = dup_nonempty(srv.ca);
    e->s[S_CAPATH] = dup_nonempty(srv.capath);
  }
  if (!e->s[S_CRL] && !e->s[S_CRLPATH])
  {
    e->s[S_CRL] = dup_nonempty(srv.crl);
    e->s[S_CRLPATH] = dup_nonempty(srv.crlpath);
  }
  if (!e->s[S_CIPHER] || !e->s[S_CIPHERSUITES])
  {
    char *list = NULL, *suites = NULL;
    split_server_cipher(srv.cipher, &list, &suites);
    if (!e->s[S_CIPHER])
      e->s[S_CIPHER] = g_steal_pointer(&list);
    if (!e->s[S_CIPHERSUITES])
      e->s[S_CIPHERSUITES] = g_steal_pointer(&suites);
    g_free(list);
    g_free(suites);
  }
  if (!e->s[S_TLS_VERSION] && srv.tls_version_mask)
  {
    char *v = tlsp_tls_version_to_string((unsigned) srv.tls_version_mask &
                                         TP_TLS_V_ALL);
    e->s[S_TLS_VERSION] = dup_nonempty(v);
    g_free(v);
  }
}

gboolean tlsp_tc_plugin_configured(void)
{
  tlsp_server_ssl_options srv;
  tlsp_server_ssl_options_get(&srv);
  g_mutex_lock(&tlsp_tc_cfg_lock);
  gboolean on = plugin_configured_locked(&srv);
  g_mutex_unlock(&tlsp_tc_cfg_lock);
  return on;
}

/* ---- file content digest (automatic reload) ---------------------------- */

static void digest_file(GChecksum *c, const char *path)
{
  g_checksum_update(c, (const guchar *) "F", 2);
  g_checksum_update(c, (const guchar *) path, strlen(path) + 1);
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  struct stat st;
  char meta[96];
  if (fd < 0 || fstat(fd, &st) != 0)
  {
    g_snprintf(meta, sizeof meta, "E%d", errno);
    g_checksum_update(c, (const guchar *) meta, strlen(meta) + 1);
    if (fd >= 0)
      close(fd);
    return;
  }
  g_snprintf(meta, sizeof meta, "M%o:%u:%u:%lld", (unsigned) st.st_mode,
             (unsigned) st.st_uid, (unsigned) st.st_gid,
             (long long) st.st_size);
  g_checksum_update(c, (const guchar *) meta, strlen(meta) + 1);
  if (S_ISREG(st.st_mode) && st.st_size <= (off_t) TP_TLS_FILE_MAX)
  {
    guchar buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
      if (n > 0)
        g_checksum_update(c, buf, n);
  }
  close(fd);
}

static gint compare_strings(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *) a, *(char *const *) b);
}

static void digest_dir(GChecksum *c, const char *path)
{
  g_checksum_update(c, (const guchar *) "D", 2);
  g_checksum_update(c, (const guchar *) path, strlen(path) + 1);
  /* opendir, not g_dir_open: a failing g_dir_open builds a translated
   * GError (glib_gettext -> bindtextdomain), and nothing here needs one. */
  DIR *d = opendir(path);
  if (!d)
    return;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  struct dirent *ent;
  while ((ent = readdir(d)))
    if (strcmp(ent->d_name, ".") != 0 && strcmp(ent->d_name, "..") != 0)
      g_ptr_array_add(names, g_strdup(ent->d_name));
  closedir(d);
  g_ptr_array_sort(names, compare_strings);
  for (guint i = 0; i < names->len; i++)
  {
    g_autofree char *full = g_build_filename(path, names->pdata[i], NULL);
    digest_file(c, full);
  }
}

void tlsp_tc_digest_compute(const tlsp_effective *e, char out[65])
{
  GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
  const int files[] = {S_CERT, S_KEY, S_CA, S_CRL};
  for (guint i = 0; i < G_N_ELEMENTS(files); i++)
    if (e->s[files[i]])
      digest_file(c, e->s[files[i]]);
  if (e->s[S_CAPATH])
    digest_dir(c, e->s[S_CAPATH]);
  if (e->s[S_CRLPATH])
    digest_dir(c, e->s[S_CRLPATH]);
  g_strlcpy(out, g_checksum_get_string(c), 65);
  g_checksum_free(c);
}

/* ---- system variable callbacks ------------------------------------------ */

static int setting_index(const void *var_ptr)
{
  const char *const *p = var_ptr;
  if (p >= (const char *const *) tlsp_tc_opt_setting &&
      p < (const char *const *) tlsp_tc_opt_setting + S__COUNT)
    return (int) (p - (const char *const *) tlsp_tc_opt_setting);
  return -1;
}

/* The public head of every sysvar declaration (plugin.h); once registered,
 * `name` is the full name with the plugin's prefix. */
struct tlsp_sysvar_head {
  MYSQL_PLUGIN_VAR_HEADER;
};

/* Accepts a string of at most TP_SETTING_MAX-1 bytes without NUL bytes and
 * hands a copy in the statement's memory to the update callback. */
int tlsp_tc_check_setting(MYSQL_THD thd, struct st_mysql_sys_var *var,
                          void *save, struct st_mysql_value *value)
{
  char buf[256];
  int len = sizeof buf;
  const char *s = value->val_str(value, buf, &len);
  if (s && (len >= TP_SETTING_MAX || memchr(s, 0, len)))
  {
    my_printf_error(ER_WRONG_VALUE_FOR_VAR,
                    "tls_policy: the value of %s must be shorter "
                    "than %d bytes and contain no NUL byte",
                    0, ((struct tlsp_sysvar_head *) var)->name, TP_SETTING_MAX);
    return 1;
  }
  *(const char **) save = s ? thd_strmake(thd, s, len) : NULL;
  return 0;
}

/* Runs under LOCK_global_system_variables: copies, never waits on a reload
 * (tlsp_tc_cfg_lock is only ever held for copies). */
void tlsp_tc_update_setting(MYSQL_THD thd, struct st_mysql_sys_var *var,
                            void *var_ptr, const void *save)
{
  const char *s = *(const char *const *) save;
  int i = setting_index(var_ptr);
  if (i < 0)
    return;
  g_mutex_lock(&tlsp_tc_cfg_lock);
  g_strlcpy(setting_buf[i], s ? s : "", TP_SETTING_MAX);
  tlsp_tc_opt_setting[i] = setting_buf[i][0] ? setting_buf[i] : NULL;
  g_mutex_unlock(&tlsp_tc_cfg_lock);
  tlsp_file_watch_reconfigure();
}

void tlsp_tc_update_passphrase(MYSQL_THD thd, struct st_mysql_sys_var *var,
                               void *var_ptr, const void *save)
{
  const char *s = *(const char *const *) save;
  g_mutex_lock(&tlsp_tc_cfg_lock);
  OPENSSL_cleanse(passphrase_buf, sizeof passphrase_buf);
  g_strlcpy(passphrase_buf, s ? s : "", sizeof passphrase_buf);
  tlsp_tc_opt_passphrase_shown = passphrase_buf[0] ? passphrase_mask : NULL;
  g_mutex_unlock(&tlsp_tc_cfg_lock);
}

void tlsp_tc_update_watch_files(MYSQL_THD thd, struct st_mysql_sys_var *var,
                                void *var_ptr, const void *save)
{
  *(char *) var_ptr = *(const char *) save;
  tlsp_file_watch_reconfigure();
}

void tlsp_tc_update_expiry_days(MYSQL_THD thd, struct st_mysql_sys_var *var,
                                void *var_ptr, const void *save)
{
  *(unsigned int *) var_ptr = *(const unsigned int *) save;
  tlsp_file_watch_expiry_check_soon();
}

/* ---- taking over and forgetting the settings ---------------------------- */

/* Settings given on the command line or in the configuration file point
 * into the server's memory: copy them into ours.  Statics survive
 * UNINSTALL/INSTALL (the library is pinned), so always start from the
 * variable.  Caller holds tlsp_tc_cfg_lock. */
gboolean tlsp_tc_adopt_settings_locked(GError **error)
{
  static const char *const names[S__COUNT] = {
      "ssl_cert",    "ssl_key",    "ssl_ca",           "ssl_capath", "ssl_crl",
      "ssl_crlpath", "ssl_cipher", "tls_ciphersuites", "tls_version"};
  for (int i = 0; i < S__COUNT; i++)
  {
    const char *v = tlsp_tc_opt_setting[i];
    if (v == setting_buf[i])
      continue;
    if (v && strlen(v) >= TP_SETTING_MAX)
    {
      g_set_error(error, TP_TLS_CONTEXT_ERROR, 2,
                  "tls_policy_%s is longer than %d bytes", names[i],
                  TP_SETTING_MAX - 1);
      return FALSE;
    }
    g_strlcpy(setting_buf[i], v ? v : "", TP_SETTING_MAX);
    tlsp_tc_opt_setting[i] = setting_buf[i][0] ? setting_buf[i] : NULL;
  }
  if (tlsp_tc_opt_passphrase_shown != passphrase_mask)
  {
    const char *v = tlsp_tc_opt_passphrase_shown;
    if (v && strlen(v) >= TP_SETTING_MAX)
    {
      g_set_error(error, TP_TLS_CONTEXT_ERROR, 2,
                  "tls_policy_ssl_passphrase is longer than %d bytes",
                  TP_SETTING_MAX - 1);
      return FALSE;
    }
    OPENSSL_cleanse(passphrase_buf, sizeof passphrase_buf);
    g_strlcpy(passphrase_buf, v ? v : "", sizeof passphrase_buf);
  }
  tlsp_tc_opt_passphrase_shown = passphrase_buf[0] ? passphrase_mask : NULL;
  return TRUE;
}

/* Forgets every setting of the plugin's own (caller holds tlsp_tc_cfg_lock): after
 * a setting could not be taken over at start, nothing of a partial
 * configuration may serve, and no variable may keep pointing into the
 * server's memory (hazard H5). */
void tlsp_tc_settings_clear_locked(void)
{
  for (int i = 0; i < S__COUNT; i++)
  {
    setting_buf[i][0] = 0;
    tlsp_tc_opt_setting[i] = NULL;
  }
  OPENSSL_cleanse(passphrase_buf, sizeof passphrase_buf);
  tlsp_tc_opt_passphrase_shown = NULL;
}
