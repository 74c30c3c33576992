/*
 * settings.h — the settings every login decision reads (settings.c).
 */
#ifndef TLS_POLICY_SETTINGS_H
#define TLS_POLICY_SETTINGS_H

#include <glib.h>
#include "module.h"

enum { TP_MODE_ENFORCE = 0, TP_MODE_REPORT = 1 };

extern char tlsp_opt_require_secure_transport; /* my_bool */
extern unsigned long tlsp_opt_mode;            /* TP_MODE_* */

/* Is `user` one of tls_policy_break_glass_users (comma separated)? */
gboolean tlsp_settings_is_break_glass_user(const char *user);

extern const tlsp_module tlsp_module_settings;

#endif
