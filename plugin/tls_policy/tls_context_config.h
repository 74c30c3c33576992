/*
 * tls_context_config.h — what the module (tls_context.c: reload,
 * publishing, telemetry, system and status variables, start/stop) takes
 * from tls_context_config.c (settings storage and the effective
 * configuration).  tls_context.h is the interface to the rest of the
 * plugin; nothing else includes this header.
 *
 * Locks: tlsp_tc_cfg_lock protects the settings storage (see tls_context.h
 * for the lock order); the tlsp_tc_opt_* scalars are written by the server
 * under LOCK_global_system_variables and read without a lock.
 */
#ifndef TLS_POLICY_TLS_CONTEXT_CONFIG_H
#define TLS_POLICY_TLS_CONTEXT_CONFIG_H

#include <glib.h>
#include <mysql/plugin.h>
#include "server_abi.h"

G_BEGIN_DECLS

#define TP_TLS_CONTEXT_ERROR (tlsp_tls_context_error_quark())
GQuark tlsp_tls_context_error_quark(void);

/* Longest value of a string setting, including the terminating NUL. */
#define TP_SETTING_MAX 1024

enum {
  S_CERT,
  S_KEY,
  S_CA,
  S_CAPATH,
  S_CRL,
  S_CRLPATH,
  S_CIPHER,
  S_CIPHERSUITES,
  S_TLS_VERSION,
  S__COUNT
};

/* What the string variables point at (NULL: unset); tlsp_tc_cfg_lock. */
extern char *tlsp_tc_opt_setting[S__COUNT];
extern char *tlsp_tc_opt_passphrase_shown; /* "****" or NULL */
extern GMutex tlsp_tc_cfg_lock;

extern char tlsp_tc_opt_reload_now;
extern char tlsp_tc_opt_watch_files;
extern char tlsp_tc_opt_auto_generate;
extern unsigned int tlsp_tc_opt_settle_ms;
extern unsigned int tlsp_tc_opt_expiry_days;

/* The configuration a reload uses: the plugin's settings, with unset ones
 * taken from the server's ssl_* options when the server itself uses TLS.
 * Settings that only make sense together fall back together: cert+key,
 * ca+capath, crl+crlpath. */
typedef struct tlsp_effective {
  char *s[S__COUNT];
  char *passphrase;
  gboolean auto_generate;
  gboolean plugin_configured; /* the plugin has a configuration of its own */
} tlsp_effective;

/* Fills `e` (takes and drops tlsp_tc_cfg_lock); free with
 * tlsp_tc_effective_clear. */
void tlsp_tc_effective_get(tlsp_effective *e);
void tlsp_tc_effective_clear(tlsp_effective *e);
/* The plugin has a TLS configuration of its own (takes tlsp_tc_cfg_lock). */
gboolean tlsp_tc_plugin_configured(void);
/* The server serves (or will serve) a certificate it generated in memory. */
gboolean tlsp_tc_server_generates_cert(const tlsp_server_ssl_options *srv);
/* SHA-256 over the content and metadata of the configured files. */
void tlsp_tc_digest_compute(const tlsp_effective *e, char out[65]);

/* System variable callbacks of the settings. */
int tlsp_tc_check_setting(MYSQL_THD thd, struct st_mysql_sys_var *var,
                          void *save, struct st_mysql_value *value);
void tlsp_tc_update_setting(MYSQL_THD thd, struct st_mysql_sys_var *var,
                            void *var_ptr, const void *save);
void tlsp_tc_update_passphrase(MYSQL_THD thd, struct st_mysql_sys_var *var,
                               void *var_ptr, const void *save);
void tlsp_tc_update_watch_files(MYSQL_THD thd, struct st_mysql_sys_var *var,
                                void *var_ptr, const void *save);
void tlsp_tc_update_expiry_days(MYSQL_THD thd, struct st_mysql_sys_var *var,
                                void *var_ptr, const void *save);

/* At start: copy settings that point into the server's memory into ours
 * (caller holds tlsp_tc_cfg_lock). */
gboolean tlsp_tc_adopt_settings_locked(GError **error);
/* Forget every setting of the plugin's own (caller holds tlsp_tc_cfg_lock). */
void tlsp_tc_settings_clear_locked(void);

G_END_DECLS

#endif /* TLS_POLICY_TLS_CONTEXT_CONFIG_H */
