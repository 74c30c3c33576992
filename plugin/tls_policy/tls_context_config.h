/*
 * tls_context_config.h — what the module (tls_context.c: reload,
 * publishing, telemetry, system and status variables, start/stop) takes
 * from tls_context_config.c (settings storage and the effective
 * configuration).  tls_context.h is the interface to the rest of the
 * plugin; nothing else includes this header.
 *
 * Locks: tp_tc_cfg_lock protects the settings storage (see tls_context.h
 * for the lock order); the tp_tc_opt_* scalars are written by the server
 * under LOCK_global_system_variables and read without a lock.
 */
#ifndef TLS_POLICY_TLS_CONTEXT_CONFIG_H
#define TLS_POLICY_TLS_CONTEXT_CONFIG_H

#include <glib.h>
#include <mysql/plugin.h>
#include "server_abi.h"

G_BEGIN_DECLS

#define TP_TLS_CONTEXT_ERROR (tp_tls_context_error_quark())
GQuark tp_tls_context_error_quark(void);

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

/* What the string variables point at (NULL: unset); tp_tc_cfg_lock. */
extern char *tp_tc_opt_setting[S__COUNT];
extern char *tp_tc_opt_passphrase_shown; /* "****" or NULL */
extern GMutex tp_tc_cfg_lock;

extern char tp_tc_opt_reload_now;
extern char tp_tc_opt_watch_files;
extern char tp_tc_opt_auto_generate;
extern unsigned int tp_tc_opt_settle_ms;
extern unsigned int tp_tc_opt_expiry_days;

/* The configuration a reload uses: the plugin's settings, with unset ones
 * taken from the server's ssl_* options when the server itself uses TLS.
 * Settings that only make sense together fall back together: cert+key,
 * ca+capath, crl+crlpath. */
typedef struct tp_effective {
  char *s[S__COUNT];
  char *passphrase;
  gboolean auto_generate;
  gboolean plugin_configured; /* the plugin has a configuration of its own */
} tp_effective;

/* Fills `e` (takes and drops tp_tc_cfg_lock); free with
 * tp_tc_effective_clear. */
void tp_tc_effective_get(tp_effective *e);
void tp_tc_effective_clear(tp_effective *e);
/* The plugin has a TLS configuration of its own (takes tp_tc_cfg_lock). */
gboolean tp_tc_plugin_configured(void);
/* The server serves (or will serve) a certificate it generated in memory. */
gboolean tp_tc_server_generates_cert(const tp_server_ssl_options *srv);
/* SHA-256 over the content and metadata of the configured files. */
void tp_tc_digest_compute(const tp_effective *e, char out[65]);

/* System variable callbacks of the settings. */
int tp_tc_check_setting(MYSQL_THD thd, struct st_mysql_sys_var *var, void *save,
                        struct st_mysql_value *value);
void tp_tc_update_setting(MYSQL_THD thd, struct st_mysql_sys_var *var,
                          void *var_ptr, const void *save);
void tp_tc_update_passphrase(MYSQL_THD thd, struct st_mysql_sys_var *var,
                             void *var_ptr, const void *save);
void tp_tc_update_watch_files(MYSQL_THD thd, struct st_mysql_sys_var *var,
                              void *var_ptr, const void *save);
void tp_tc_update_expiry_days(MYSQL_THD thd, struct st_mysql_sys_var *var,
                              void *var_ptr, const void *save);

/* At start: copy settings that point into the server's memory into ours
 * (caller holds tp_tc_cfg_lock). */
gboolean tp_tc_adopt_settings_locked(GError **error);
/* Forget every setting of the plugin's own (caller holds tp_tc_cfg_lock). */
void tp_tc_settings_clear_locked(void);

G_END_DECLS

#endif /* TLS_POLICY_TLS_CONTEXT_CONFIG_H */
