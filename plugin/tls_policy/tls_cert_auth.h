/*
 * tls_cert_auth.h — the `tls_cert` authentication plugin: password-less
 * login with the client's TLS certificate (docs/identity-and-sessions.md).
 *
 *   CREATE USER app@'%' IDENTIFIED VIA tls_cert;
 *   INSERT INTO mysql.tls_policy (Host, User, Requirement)
 *     VALUES ('%', 'app', 'SUBJECT_DN ''CN=app,O=Acme''');
 *
 * The plugin is declared in plugin.c's maria_declare_plugin block, beside
 * the audit plugin, so INSTALL SONAME 'tls_policy' installs both.  Its
 * handler decides itself (through tp_decide_login with identity_required)
 * and is never wrapped by auth_hook.c, which skips this library.
 */
#ifndef TLS_POLICY_TLS_CERT_AUTH_H
#define TLS_POLICY_TLS_CERT_AUTH_H

#include <stdint.h>
#include <glib.h>
#include <mysql/plugin_auth.h>

/* The st_mysql_auth descriptor of the tls_cert plugin (plugin.c). */
extern struct st_mysql_auth tp_tls_cert_auth_descriptor;

/* Was connection `conn_id` admitted by tls_cert as `user` (and not changed
 * to another user since)?  Used by recheck.c: such a session must still be
 * admitted by a row that names its certificate. */
gboolean tp_tls_cert_is_session(uint64_t conn_id, const char *user);

/* Forgets tls_cert sessions for which alive() returns FALSE. */
void tp_tls_cert_sessions_retain(gboolean (*alive)(uint64_t conn_id, void *data),
                                 void *data);

#endif
