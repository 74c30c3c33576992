/*
 * login_check.c — turns one authenticated login into a decision.
 *
 * Called by the auth_hook trampolines after the original handler returned
 * success, on the connection's own thread, before the OK packet.  Gathers
 * the facts (transport, peer address, TLS state bound to the connection id),
 * takes the current policy snapshot, calls tp_decide() and reports.  Runs no
 * SQL and waits for nothing but short mutexes.
 */
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <mysql/plugin.h>
#include <mysql/plugin_auth.h>
#include "tls_policy/decision.h"
#include "config.h"
#include "decision_glue.h"
#include "policy_store.h"
#include "report.h"
#include "server_compat.h"
#include "tls_facts.h"

/* Numeric peer address of a TCP socket; IPv4-mapped IPv6 shown as IPv4,
 * as the server does. */
static gboolean peer_ip(int fd, char *buf, size_t len)
{
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  if (getpeername(fd, (struct sockaddr *) &ss, &sl) != 0)
    return FALSE;
  if (ss.ss_family == AF_INET)
    return inet_ntop(AF_INET, &((struct sockaddr_in *) &ss)->sin_addr, buf, len) != NULL;
  if (ss.ss_family == AF_INET6)
  {
    struct in6_addr *a = &((struct sockaddr_in6 *) &ss)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(a))
      return inet_ntop(AF_INET, &a->s6_addr[12], buf, len) != NULL;
    return inet_ntop(AF_INET6, a, buf, len) != NULL;
  }
  return FALSE;
}

/* Where the server says whether the connection is TLS (11.4+, see
 * server_compat.h), that must agree with the observer: TLS per the server
 * without captured facts, or facts on a connection the server calls plain,
 * is tls_unknown (fail closed), never "plain". */
static void cross_check_server_tls(const MYSQL_PLUGIN_VIO_INFO *vi,
                                   tp_login *login)
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

gboolean tp_decide_login(MYSQL_PLUGIN_VIO *vio, MYSQL_SERVER_AUTH_INFO *info,
                         const char *auth_plugin, gboolean identity_required)
{
  uint64_t conn_id = thd_get_thread_id(info->thd);
  tp_conn_state st;
  tp_conn_resolve(conn_id, &st);

  MYSQL_PLUGIN_VIO_INFO vi;
  memset(&vi, 0, sizeof vi);
  vio->info(vio, &vi);
  char ip[INET6_ADDRSTRLEN] = "";
  tp_transport transport = TP_TRANSPORT_UNKNOWN;
  if (vi.protocol == MYSQL_VIO_TCP)
  {
    transport = TP_TRANSPORT_TCP;
    if (!peer_ip(vi.socket, ip, sizeof ip))
      ip[0] = 0;
  }
  else if (vi.protocol == MYSQL_VIO_SOCKET)
    transport = TP_TRANSPORT_SOCKET;

  g_autofree char *user = g_strndup(info->user_name ? info->user_name : "",
                                    info->user_name ? info->user_name_length : 0);
  const char *host = info->host_or_ip ? info->host_or_ip : "";

  tp_login login = {
    .user = user,
    .host = host,
    .ip = ip[0] ? ip : NULL,
    .transport = transport,
    .tls_state = st.tls_state,
    .tls = st.tls_state == TP_TLS_YES ? st.facts : NULL,
    .now = time(NULL),
  };
  if (login.tls_state == TP_TLS_YES && !login.tls)
    login.tls_state = TP_TLS_UNKNOWN;
  cross_check_server_tls(&vi, &login);

  tp_policy_snapshot *snap = tp_policy_store_acquire();
  tp_decide_input in = {
    .login = &login,
    .require_secure_transport = tp_opt_require_secure_transport != 0,
    .report_mode = tp_opt_mode == TP_MODE_REPORT,
    .policy_loaded = snap != NULL,
    .policy = snap,
    .break_glass_eligible = transport == TP_TRANSPORT_SOCKET &&
                            tp_config_is_break_glass_user(user),
    .identity_required = identity_required,
  };
  tp_verdict v;
  tp_verdict_init(&v);
  tp_decide(&in, &v);
  tp_report_decision(&login, auth_plugin, &v);
  gboolean admit = v.admit;
  if (admit)
    tp_conn_set_admission(conn_id, user, host, transport,
                          v.reason == TP_REASON_OK ? v.rule
                          : v.report_only ? "report-mode" : "break-glass");
  tp_verdict_clear(&v);
  if (snap)
    tp_policy_snapshot_unref(snap);
  tp_conn_state_clear(&st);
  return admit;
}
