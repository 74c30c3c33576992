/*
 * config.h — the plugin's system variables as seen by the rest of the code.
 * Defined and registered in plugin.c; read without locks (word-sized values
 * the server writes under LOCK_global_system_variables), except strings,
 * which plugin.c copies into storage it owns (hazard H5) behind a mutex.
 */
#ifndef TLS_POLICY_CONFIG_H
#define TLS_POLICY_CONFIG_H

#include <glib.h>

enum { TP_MODE_ENFORCE = 0, TP_MODE_REPORT = 1 };

extern char tp_opt_require_secure_transport;   /* my_bool */
extern unsigned long tp_opt_mode;               /* TP_MODE_* */

/* Is `user` one of tls_policy_break_glass_users (comma separated)? */
gboolean tp_config_is_break_glass_user(const char *user);

#endif
