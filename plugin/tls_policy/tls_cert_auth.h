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
 * handler decides itself (through tlsp_decide_login with identity_required)
 * and is never wrapped by auth_hook.c, which skips this library.
 */
#ifndef TLS_POLICY_TLS_CERT_AUTH_H
#define TLS_POLICY_TLS_CERT_AUTH_H

#include <mysql/plugin_auth.h>

/* The st_mysql_auth descriptor of the tls_cert plugin (plugin.c). */
extern struct st_mysql_auth tlsp_tls_cert_auth_descriptor;

#endif
