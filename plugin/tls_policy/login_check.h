/*
 * login_check.h — deciding one login, and one live session again
 * (login_check.c).  The authentication hook and tls_cert call the first
 * two; the session re-check calls tlsp_login_decide() with the facts
 * recorded at admission, so that a login and its re-check are decided
 * from the same inputs in the same way.
 */
#ifndef TLS_POLICY_LOGIN_CHECK_H
#define TLS_POLICY_LOGIN_CHECK_H

#include <glib.h>
#include <mysql/plugin_auth.h>
#include "tls_policy/decision.h"

/* TRUE: admit.  identity_required: the login is a tls_cert login. */
gboolean tlsp_decide_login(MYSQL_PLUGIN_VIO *vio, MYSQL_SERVER_AUTH_INFO *info,
                           const char *auth_plugin, gboolean identity_required);

/* The handler refused the login's credentials: decide it anyway and count
 * the policy's verdict as for accepted credentials (no log line), so that
 * the counters do not reveal whether the credentials were right. */
void tlsp_count_refused_login(MYSQL_PLUGIN_VIO *vio,
                              MYSQL_SERVER_AUTH_INFO *info);

/* Decides `login` against `snap` (NULL: policy not loaded) with the
 * plugin's current settings.  report_mode_applies: FALSE for a re-check,
 * which reports what the rules say whatever tls_policy_mode is.  The
 * caller initialised nothing; it clears v with tlsp_verdict_clear(). */
void tlsp_login_decide(const tlsp_login *login,
                       const tlsp_policy_snapshot *snap,
                       gboolean identity_required, gboolean report_mode_applies,
                       tlsp_verdict *v);

#endif
