/*
 * settings.h — the settings every login decision reads (settings.c).
 */
#ifndef TLS_POLICY_SETTINGS_H
#define TLS_POLICY_SETTINGS_H

#include <glib.h>
#include "module.h"

enum { TP_MODE_ENFORCE = 0, TP_MODE_REPORT = 1 };

extern char tp_opt_require_secure_transport; /* my_bool */
extern unsigned long tp_opt_mode;            /* TP_MODE_* */

/* Is `user` one of tls_policy_break_glass_users (comma separated)? */
gboolean tp_settings_is_break_glass_user(const char *user);

extern const tp_module tp_module_settings;

#endif
