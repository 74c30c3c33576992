/*
 * login_check.c — turns one authenticated login into a decision.
 *
 * Called by the auth_hook trampolines after the original handler returned,
 * on the connection's own thread, before the OK packet.  Gathers the facts
 * (transport, the client address the server authenticated, TLS state bound
 * to the connection id), takes the current policy snapshot, calls
 * tlsp_decide() and reports.  Runs no SQL and waits for nothing but short
 * mutexes.
 *
 * The client address is the server's own (thd_client_ip): behind a proxy
 * that sends the PROXY protocol header it is the client's address from the
 * header, which is also what the server matches the account's Host with.
 * A connection that arrives over the unix socket with such a header comes
 * from the network through a local proxy: it is decided as a TCP
 * connection from that address (not secure transport, never break-glass).
 */
#include <string.h>
#include <mysql/plugin.h>
#include <mysql/plugin_auth.h>
#include "tls_policy/decision.h"
#include "settings.h"
#include "login_check.h"
#include "policy_store.h"
#include "report.h"
#include "server_abi.h"
#include "server_compat.h"
#include "tls_facts.h"

/* One login's facts.  Borrows from info; owns user, st and snap. */
typedef struct login_facts {
  uint64_t conn_id;
  tlsp_conn_state st;
  char *user;
  tlsp_login login;
  tlsp_policy_snapshot *snap;
} login_facts;

/* Where the server says whether the connection is TLS (11.4+, see
 * server_compat.h), that must agree with the observer: TLS per the server
 * without captured facts, or facts on a connection the server calls plain,
 * is tls_unknown (fail closed), never "plain". */
static void cross_check_server_tls(const MYSQL_PLUGIN_VIO_INFO *vi,
                                   tlsp_login *login)
{
  int server_tls = TP_VIO_INFO_TLS(vi);
  if (server_tls < 0 || login->tls_state == TP_TLS_UNKNOWN)
    return;
  if ((server_tls == 1) != (login->tls_state == TP_TLS_YES))
  {
    login->tls_state = TP_TLS_UNKNOWN;
    login->tls = NULL;
  }
}

static void login_facts_gather(login_facts *f, MYSQL_PLUGIN_VIO *vio,
                               MYSQL_SERVER_AUTH_INFO *info)
{
  memset(f, 0, sizeof *f);
  f->conn_id = thd_get_thread_id(info->thd);
  tlsp_conn_resolve(f->conn_id, &f->st);

  MYSQL_PLUGIN_VIO_INFO vi;
  memset(&vi, 0, sizeof vi);
  vio->info(vio, &vi);
  const char *ip = tlsp_server_client_ip(info->thd);
  tlsp_transport transport = TP_TRANSPORT_UNKNOWN;
  if (vi.protocol == MYSQL_VIO_TCP)
    transport = TP_TRANSPORT_TCP;
  else if (vi.protocol == MYSQL_VIO_SOCKET)
    transport = ip && *ip ? TP_TRANSPORT_TCP : TP_TRANSPORT_SOCKET;

  /* The server's host_or_ip: the resolved name, else the address. */
  const char *host = tlsp_server_client_host(info->thd);
  if (!host || !*host)
    host = ip && *ip ? ip : info->host_or_ip ? info->host_or_ip : "";
  f->user = g_strndup(info->user_name ? info->user_name : "",
                      info->user_name ? info->user_name_length : 0);
  f->login = (tlsp_login){
      .user = f->user,
      .host = host,
      .ip = transport == TP_TRANSPORT_TCP && ip && *ip ? ip : NULL,
      .transport = transport,
      .tls_state = f->st.tls_state,
      .tls = f->st.tls_state == TP_TLS_YES ? f->st.facts : NULL,
      .now = time(NULL),
  };
  if (f->login.tls_state == TP_TLS_YES && !f->login.tls)
    f->login.tls_state = TP_TLS_UNKNOWN;
  cross_check_server_tls(&vi, &f->login);
  f->snap = tlsp_policy_store_acquire();
}

static void login_facts_clear(login_facts *f)
{
  if (f->snap)
    tlsp_policy_snapshot_unref(f->snap);
  tlsp_conn_state_clear(&f->st);
  g_free(f->user);
}

void tlsp_login_decide(const tlsp_login *login,
                       const tlsp_policy_snapshot *snap,
                       gboolean identity_required, gboolean report_mode_applies,
                       tlsp_verdict *v)
{
  tlsp_decide_input in = {
      .login = login,
      .require_secure_transport = tlsp_opt_require_secure_transport != 0,
      .report_mode = report_mode_applies && tlsp_opt_mode == TP_MODE_REPORT,
      .policy_loaded = snap != NULL,
      .policy = snap,
      .break_glass_eligible = !identity_required &&
                              login->transport == TP_TRANSPORT_SOCKET &&
                              tlsp_settings_is_break_glass_user(login->user),
      .identity_required = identity_required,
  };
  tlsp_verdict_init(v);
  tlsp_decide(&in, v);
}

gboolean tlsp_decide_login(MYSQL_PLUGIN_VIO *vio, MYSQL_SERVER_AUTH_INFO *info,
                           const char *auth_plugin, gboolean identity_required)
{
  login_facts f;
  login_facts_gather(&f, vio, info);
  tlsp_verdict v;
  tlsp_login_decide(&f.login, f.snap, identity_required, TRUE, &v);
  tlsp_report_decision(&f.login, auth_plugin, &v);
  gboolean admit = v.admit;
  if (admit)
  {
    tlsp_admission a = {
        .user = f.user,
        .host = f.login.host,
        .ip = f.login.ip,
        .transport = f.login.transport,
        .rule = v.reason == TP_REASON_OK ? v.rule
                : v.report_only          ? "report-mode"
                                         : "break-glass",
        .identity_required = identity_required,
    };
    tlsp_conn_set_admission(f.conn_id, &a);
  }
  tlsp_verdict_clear(&v);
  login_facts_clear(&f);
  return admit;
}

void tlsp_count_refused_login(MYSQL_PLUGIN_VIO *vio,
                              MYSQL_SERVER_AUTH_INFO *info)
{
  login_facts f;
  login_facts_gather(&f, vio, info);
  tlsp_verdict v;
  tlsp_login_decide(&f.login, f.snap, FALSE, TRUE, &v);
  tlsp_report_refused_credentials(&v);
  tlsp_verdict_clear(&v);
  login_facts_clear(&f);
}
