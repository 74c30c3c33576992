/*
 * tls_cert_auth.c — the `tls_cert` authentication plugin (see
 * tls_cert_auth.h; for users docs/identity-and-sessions.md).
 *
 * How a tls_cert login runs (sql_acl.cc, DESIGN-NOTES 2.1):
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
 * Threads: the handler runs on the connection's thread; sessions_lock
 * protects `sessions`.
 */
#include <string.h>
#include <mysql/plugin.h>
#include <mysql/plugin_auth.h>
#include "tls_policy/text_clean.h"
#include "decision_glue.h"
#include "conn_views.h"
#include "module.h"
#include "report.h"
#include "tls_cert_auth.h"

static gint running;

static struct {
  unsigned long long logins, admitted, denied;
} tc_stats;

/* tls_cert sessions: conn id (guint64*) -> user (char*). */
static GMutex sessions_lock;
static GHashTable *sessions;

static void sessions_set(uint64_t conn_id, const char *user)
{
  g_mutex_lock(&sessions_lock);
  if (sessions)
  {
    if (user)
      g_hash_table_replace(sessions, g_memdup2(&conn_id, sizeof conn_id),
                           g_strdup(user));
    else
      g_hash_table_remove(sessions, &conn_id);
  }
  g_mutex_unlock(&sessions_lock);
}

gboolean tp_tls_cert_is_session(uint64_t conn_id, const char *user)
{
  g_mutex_lock(&sessions_lock);
  const char *u = sessions ? g_hash_table_lookup(sessions, &conn_id) : NULL;
  gboolean yes = u && user && strcmp(u, user) == 0;
  g_mutex_unlock(&sessions_lock);
  return yes;
}

void tp_tls_cert_sessions_retain(gboolean (*alive)(uint64_t conn_id, void *data),
                                 void *data)
{
  g_mutex_lock(&sessions_lock);
  if (sessions)
  {
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, sessions);
    while (g_hash_table_iter_next(&it, &key, NULL))
      if (!alive(*(guint64 *) key, data))
        g_hash_table_iter_remove(&it);
  }
  g_mutex_unlock(&sessions_lock);
}

static int tls_cert_authenticate(MYSQL_PLUGIN_VIO *vio,
                                 MYSQL_SERVER_AUTH_INFO *info)
{
  tp_count(&tc_stats.logins);
  /* Step 2: no round trip (client_auth_plugin is NULL); fills user_name. */
  unsigned char *packet = NULL;
  if (vio->read_packet(vio, &packet) < 0)
  {
    tp_count(&tc_stats.denied);
    return CR_ERROR;
  }
  info->password_used = PASSWORD_USED_NO;
  if (!g_atomic_int_get(&running) || !info->thd)
  {
    tp_count(&tc_stats.denied);
    tp_log_warning("tls_cert: login refused: the TLS_POLICY plugin is not "
                   "running (INSTALL SONAME 'tls_policy' installs both)");
    return CR_ERROR;
  }
  uint64_t conn_id = thd_get_thread_id(info->thd);
  gboolean admit = tp_decide_login(vio, info, "tls_cert", TRUE);
  if (!admit)
  {
    tp_count(&tc_stats.denied);
    sessions_set(conn_id, NULL);
    return CR_ERROR;
  }
  g_autofree char *user = g_strndup(info->user_name ? info->user_name : "",
                                    info->user_name ? info->user_name_length : 0);
  sessions_set(conn_id, user);
  tp_count(&tc_stats.admitted);
  return CR_OK;
}

struct st_mysql_auth tp_tls_cert_auth_descriptor = {
  MYSQL_AUTHENTICATION_INTERFACE_VERSION,
  NULL,                   /* any client plugin: the server never switches */
  tls_cert_authenticate,
  NULL,                   /* no password: SET PASSWORD is refused */
  NULL,
};

/* ---- module ------------------------------------------------------------ */

static gboolean tls_cert_start(GError **error)
{
  memset(&tc_stats, 0, sizeof tc_stats);
  g_mutex_lock(&sessions_lock);
  if (sessions)
    g_hash_table_destroy(sessions);
  sessions = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  g_mutex_unlock(&sessions_lock);
  g_atomic_int_set(&running, 1);
  return TRUE;
}

static void tls_cert_stop(void)
{
  g_atomic_int_set(&running, 0);
  g_mutex_lock(&sessions_lock);
  if (sessions)
    g_hash_table_destroy(sessions);
  sessions = NULL;
  g_mutex_unlock(&sessions_lock);
}

static struct st_mysql_show_var tls_cert_status[] = {
  { "tls_cert_logins", (char *) &tc_stats.logins, SHOW_ULONGLONG },
  { "tls_cert_admitted", (char *) &tc_stats.admitted, SHOW_ULONGLONG },
  { "tls_cert_denied", (char *) &tc_stats.denied, SHOW_ULONGLONG },
  { 0, 0, 0 }
};

const tp_module tp_module_tls_cert = {
  .name = "tls_cert",
  .start = tls_cert_start,
  .stop = tls_cert_stop,
  .status = tls_cert_status,
};
