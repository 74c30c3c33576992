/*
 * tls_cert_auth.c — the `tls_cert` authentication plugin (see
 * tls_cert_auth.h; for users docs/identity-and-sessions.md).
 *
 * How a tls_cert login runs (sql_acl.cc, docs/hazards.md §1):
 *  1. The server's first pass with mysql_native_password (wrapped by
 *     auth_hook.c, which notes the connection and its TLS context) sends the
 *     greeting, runs the TLS handshake and reads the client's handshake
 *     response with the user name; the account uses tls_cert, so the pass
 *     ends with "restart with the account's plugin".
 *  2. The server calls tls_cert_authenticate().  client_auth_plugin is NULL
 *     ("any client plugin"), so the server never asks the client to switch
 *     plugins: one read_packet() returns at once, without a round trip, and
 *     fills in the user name.  Whatever password the client sent with its
 *     handshake response (mysql_native_password scramble, or nothing) is
 *     never looked at.  Stock clients need no option and no client plugin.
 *  3. The login is decided by decision.c with identity_required: TLS with a
 *     verified client certificate and a satisfied ENFORCE row of the account
 *     in mysql.tls_policy that names a certificate identity (SUBJECT,
 *     SUBJECT_DN, SAN, SPIFFE, FINGERPRINT or PUBKEY).  An account without
 *     such a row never logs in (no_identity_rule).
 *  4. The certificate is the only credential, so neither REPORT mode nor
 *     the break-glass rule lets a tls_cert login in: decision.c never turns
 *     an identity_required denial into an admission.
 *
 * This handler is not wrapped by auth_hook.c: auth_hook scans the built-in
 * declarations and every loaded library except its own, and tls_cert is
 * declared in this library.
 *
 * The admission it records (tls_facts.c) marks the session as a tls_cert
 * one, so that a re-check of it requires an identity rule as well.
 *
 * Threads: the handler runs on the connection's thread; it keeps no state
 * of its own but the counters (atomic).
 */
#include <string.h>
#include <mysql/plugin.h>
#include <mysql/plugin_auth.h>
#include "login_check.h"
#include "module.h"
#include "report.h"
#include "tls_cert_auth.h"

static gint running;

static struct {
  unsigned long long logins, admitted, denied;
} tc_stats;

static int tls_cert_authenticate(MYSQL_PLUGIN_VIO *vio,
                                 MYSQL_SERVER_AUTH_INFO *info)
{
  tlsp_count(&tc_stats.logins);
  /* Step 2: no round trip (client_auth_plugin is NULL); fills user_name. */
  unsigned char *packet = NULL;
  if (vio->read_packet(vio, &packet) < 0)
  {
    tlsp_count(&tc_stats.denied);
    return CR_ERROR;
  }
  info->password_used = PASSWORD_USED_NO;
  if (!g_atomic_int_get(&running) || !info->thd)
  {
    tlsp_count(&tc_stats.denied);
    tlsp_log_warning("tls_cert: login refused: the TLS_POLICY plugin is not "
                     "running (INSTALL SONAME 'tls_policy' installs both)");
    return CR_ERROR;
  }
  /* The admission records the login as a tls_cert one: its re-checks
   * require an identity rule too (recheck.c). */
  if (!tlsp_decide_login(vio, info, "tls_cert", TRUE))
  {
    tlsp_count(&tc_stats.denied);
    return CR_ERROR;
  }
  tlsp_count(&tc_stats.admitted);
  return CR_OK;
}

struct st_mysql_auth tlsp_tls_cert_auth_descriptor = {
    MYSQL_AUTHENTICATION_INTERFACE_VERSION,
    NULL, /* any client plugin: the server never switches */
    tls_cert_authenticate,
    NULL, /* no password: SET PASSWORD is refused */
    NULL,
};

/* ---- module ------------------------------------------------------------ */

static gboolean tls_cert_start(GError **error)
{
  memset(&tc_stats, 0, sizeof tc_stats);
  g_atomic_int_set(&running, 1);
  return TRUE;
}

static void tls_cert_stop(void) { g_atomic_int_set(&running, 0); }

static struct st_mysql_show_var tls_cert_status[] = {
    {"tls_cert_logins", (char *) &tc_stats.logins, SHOW_ULONGLONG},
    {"tls_cert_admitted", (char *) &tc_stats.admitted, SHOW_ULONGLONG},
    {"tls_cert_denied", (char *) &tc_stats.denied, SHOW_ULONGLONG},
    {0, 0, 0}};

const tlsp_module tlsp_module_tls_cert = {
    .name = "tls_cert",
    .start = tls_cert_start,
    .stop = tls_cert_stop,
    .status = tls_cert_status,
};
