/*
 * decision_glue.h — the entry points the authentication hook calls
 * (login_check.c).
 */
#ifndef TLS_POLICY_DECISION_GLUE_H
#define TLS_POLICY_DECISION_GLUE_H

#include <glib.h>
#include <mysql/plugin_auth.h>

/* TRUE: admit.  identity_required: the login is a tls_cert login. */
gboolean tp_decide_login(MYSQL_PLUGIN_VIO *vio, MYSQL_SERVER_AUTH_INFO *info,
                         const char *auth_plugin, gboolean identity_required);

/* The handler refused the login's credentials: decide it anyway and count
 * the policy's verdict as for accepted credentials (no log line), so that
 * the counters do not reveal whether the credentials were right. */
void tp_count_refused_login(MYSQL_PLUGIN_VIO *vio, MYSQL_SERVER_AUTH_INFO *info);

#endif
