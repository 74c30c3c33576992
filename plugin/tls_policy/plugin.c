/*
 * plugin.c — the plugin declarations, the module table, the audit event
 * dispatch and the init/deinit order.  Settings live in settings.c, the
 * policy store's variables and write-visibility marks in policy_store.c.
 *
 * tls_policy is an AUDIT plugin (interface 0x0302 is not tied to the server
 * point release, docs/hazards.md).  The audit interface is used only to
 * learn about connections ending, tables changing and statements that ran;
 * enforcement happens in the wrapped authentication handlers (auth_hook.c).
 *
 * Init order: pin the library, check the server ABI (refuse to load, touching
 * nothing, if anything is off), start the TLS observer, the policy store, and
 * finally wrap the handlers.  Deinit undoes it in reverse order.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
#include <mysql/plugin.h>
#include <mysql/plugin_audit.h>
#include <mysqld_error.h>
#include "auth_hook.h"
#include "settings.h"
#include "module.h"
#include "policy_store.h"
#include "report.h"
#include "server_abi.h"
#include "services.h"
#include "tls_cert_auth.h"
#include "tls_facts.h"
#include "conn_views.h"
#include "recheck.h"
#include "views.h"

/* ---- status variables ---------------------------------------------------- */

static int show_covered(MYSQL_THD thd, struct st_mysql_show_var *var,
                        void *buff, struct system_status_var *sv,
                        enum enum_var_type scope)
{
  var->type = SHOW_CHAR;
  var->value = buff;
  tlsp_auth_hook_covered(buff, SHOW_VAR_FUNC_BUFF_SIZE);
  return 0;
}

static int show_uncovered(MYSQL_THD thd, struct st_mysql_show_var *var,
                          void *buff, struct system_status_var *sv,
                          enum enum_var_type scope)
{
  var->type = SHOW_CHAR;
  var->value = buff;
  tlsp_auth_hook_uncovered(buff, SHOW_VAR_FUNC_BUFF_SIZE);
  return 0;
}

static const char *instance_state(void);

static int show_instance_state(MYSQL_THD thd, struct st_mysql_show_var *var,
                               void *buff, struct system_status_var *sv,
                               enum enum_var_type scope)
{
  var->type = SHOW_CHAR;
  var->value = buff;
  g_strlcpy(buff, instance_state(), SHOW_VAR_FUNC_BUFF_SIZE);
  return 0;
}

static int show_tracked(MYSQL_THD thd, struct st_mysql_show_var *var,
                        void *buff, struct system_status_var *sv,
                        enum enum_var_type scope)
{
  var->type = SHOW_ULONGLONG;
  var->value = buff;
  *(unsigned long long *) buff = tlsp_conn_tracked();
  return 0;
}

#define TP_SHOW_DENIED(sym, name, text)                          \
  {"denied_" name, (char *) &tlsp_stats.denied[TP_REASON_##sym], \
   SHOW_ULONGLONG},
#define TP_SHOW_WOULD(sym, name, text)                                   \
  {"would_deny_" name, (char *) &tlsp_stats.would_deny[TP_REASON_##sym], \
   SHOW_ULONGLONG},

static struct st_mysql_show_var tlsp_core_status[] = {
    {"logins_checked", (char *) &tlsp_stats.logins_checked, SHOW_ULONGLONG},
    {"logins_admitted", (char *) &tlsp_stats.logins_admitted, SHOW_ULONGLONG},
    {"logins_denied", (char *) &tlsp_stats.logins_denied, SHOW_ULONGLONG},
    {"logins_would_deny", (char *) &tlsp_stats.logins_would_deny,
     SHOW_ULONGLONG},
    {"break_glass_logins", (char *) &tlsp_stats.break_glass_logins,
     SHOW_ULONGLONG},
    {"report_rows_failed", (char *) &tlsp_stats.report_rows_failed,
     SHOW_ULONGLONG},
    {"instance_state", (char *) &show_instance_state, SHOW_FUNC},
    {"tracked_connections", (char *) &show_tracked, SHOW_FUNC},
    {"covered_auth_plugins", (char *) &show_covered, SHOW_FUNC},
    {"uncovered_auth_plugins", (char *) &show_uncovered, SHOW_FUNC},
    TP_DENY_REASON_LIST(TP_SHOW_DENIED)
        TP_DENY_REASON_LIST(TP_SHOW_WOULD){0, 0, 0}};

/* ---- modules ------------------------------------------------------------ */

/* Concerns in their own files (module.h), in start order.  A module that
 * is missing fails the link, never a silently smaller plugin. */
extern const tlsp_module tlsp_module_report;
extern const tlsp_module tlsp_module_sql_worker;
extern const tlsp_module tlsp_module_tls_context;
extern const tlsp_module tlsp_module_native_mirror;
extern const tlsp_module tlsp_module_views;
extern const tlsp_module tlsp_module_tls_cert;
extern const tlsp_module tlsp_module_recheck;

static const tlsp_module tlsp_module_core = {
    .name = "core",
    .status = tlsp_core_status,
};

#define TP_MAX_MODULES 16
#define TP_MAX_SYSVARS 64
#define TP_MAX_STATUS 160
static const tlsp_module *modules[TP_MAX_MODULES];
static guint n_modules;
static struct st_mysql_sys_var *tlsp_system_variables[TP_MAX_SYSVARS];
static struct st_mysql_show_var tlsp_status_inner[TP_MAX_STATUS];
static struct st_mysql_show_var tlsp_status_variables[] = {
    {"Tls_policy", (char *) tlsp_status_inner, SHOW_ARRAY}, {0, 0, 0}};

/* Runs when the library is loaded, before the server reads the plugin
 * declaration: gathers every module's variables. */
__attribute__((constructor)) static void tlsp_collect_modules(void)
{
  const tlsp_module *all[] = {
      &tlsp_module_core,          &tlsp_module_settings,
      &tlsp_module_policy_store,  &tlsp_module_report,
      &tlsp_module_sql_worker,    &tlsp_module_tls_context,
      &tlsp_module_native_mirror, &tlsp_module_views,
      &tlsp_module_conn_views,    &tlsp_module_tls_cert,
      &tlsp_module_recheck};
  guint nv = 0, ns = 0;
  n_modules = 0;
  for (guint i = 0; i < G_N_ELEMENTS(all); i++)
  {
    const tlsp_module *m = all[i];
    g_assert(n_modules < TP_MAX_MODULES);
    modules[n_modules++] = m;
    for (guint k = 0; m->sysvars && m->sysvars[k]; k++)
      if (nv < TP_MAX_SYSVARS - 1)
        tlsp_system_variables[nv++] = m->sysvars[k];
    for (guint k = 0; m->status && m->status[k].name; k++)
      if (ns < TP_MAX_STATUS - 1)
        tlsp_status_inner[ns++] = m->status[k];
  }
  tlsp_system_variables[nv] = NULL;
  memset(&tlsp_status_inner[ns], 0, sizeof tlsp_status_inner[ns]);
}

/* ---- audit events ------------------------------------------------------- */

static gint plugin_running;

static gboolean lex_eq(const char *a, size_t alen, const char *b)
{
  return alen == strlen(b) && g_ascii_strncasecmp(a, b, alen) == 0;
}

/* Set by a write to mysql.plugin, taken by the next statement end. */
static gint plugin_table_written;

/* Is the TABLE event about mysql.<name> (also as the target of a RENAME)? */
static gboolean is_table(const struct mysql_event_table *t, const char *name)
{
  return (t->database.str &&
          lex_eq(t->database.str, t->database.length, "mysql") &&
          t->table.str && lex_eq(t->table.str, t->table.length, name)) ||
         (t->new_database.str &&
          lex_eq(t->new_database.str, t->new_database.length, "mysql") &&
          t->new_table.str &&
          lex_eq(t->new_table.str, t->new_table.length, name));
}

static void tlsp_notify(MYSQL_THD thd, unsigned int event_class, const void *ev)
{
  if (!g_atomic_int_get(&plugin_running))
    return;
  if (event_class == MYSQL_AUDIT_CONNECTION_CLASS)
  {
    const struct mysql_event_connection *c = ev;
    if (c->event_subclass == MYSQL_AUDIT_CONNECTION_DISCONNECT ||
        (c->event_subclass == MYSQL_AUDIT_CONNECTION_CONNECT && c->status != 0))
    {
      tlsp_conn_forget(c->thread_id);
      tlsp_policy_store_session_ended(c->thread_id);
    }
    else if (c->event_subclass == MYSQL_AUDIT_CONNECTION_CONNECT ||
             c->event_subclass == MYSQL_AUDIT_CONNECTION_CHANGE_USER)
      tlsp_conn_admission_settle(c->thread_id, c->status == 0);
  }
  else if (event_class == MYSQL_AUDIT_TABLE_CLASS)
  {
    const struct mysql_event_table *t = ev;
    if (t->event_subclass == MYSQL_AUDIT_TABLE_LOCK && t->read_only)
      return;
    if (is_table(t, "plugin"))
    {
      /* INSTALL/UNINSTALL (whatever the statement's text) write
       * mysql.plugin before they load or unload a library: look for
       * authentication handlers once the statement has run. */
      g_atomic_int_set(&plugin_table_written, 1);
      return;
    }
    if (is_table(t, "tls_policy"))
      tlsp_policy_store_table_written(thd != NULL, t->thread_id);
  }
  else if (event_class == MYSQL_AUDIT_GENERAL_CLASS)
  {
    const struct mysql_event_general *g = ev;
    if (g->event_subclass != MYSQL_AUDIT_GENERAL_STATUS || !g->general_query)
      return;
    tlsp_policy_store_statement_ended(g->general_thread_id, g->general_query,
                                      g->general_query_length);
    if (g_atomic_int_compare_and_exchange(&plugin_table_written, 1, 0))
      tlsp_auth_hook_refresh(); /* a library may have been loaded */
    for (guint i = 0; i < n_modules; i++)
      if (modules[i]->on_statement)
        modules[i]->on_statement(thd, g);
  }
}

/* ---- init / deinit ------------------------------------------------------- */

/* Keep this library mapped after UNINSTALL SONAME: callbacks left on TLS
 * contexts still used by established connections, and logins still inside
 * a trampoline, must find code (hazard H2). */
static void pin_library(void)
{
  Dl_info self;
  if (dladdr((void *) pin_library, &self) && self.dli_fname)
  {
    void *h = dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
    if (!h)
      tlsp_log_warning("could not pin %s in memory: %s", self.dli_fname,
                       dlerror());
  }
}

/* The audit plugin's name: the server's record of the plugin points at this
 * very string (tlsp_server_plugin_entry). */
static const char tlsp_policy_plugin_name[] = "TLS_POLICY";

/*
 * UNINSTALL and INSTALL in the window of a deferred uninstall (measured on
 * MariaDB 10.11, sql_plugin.cc; MTR plugin_reinstall_pending):
 *  - UNINSTALL SONAME marks TLS_POLICY DELETED and deletes its mysql.plugin
 *    row.  The server calls deinit only when no session holds the plugin
 *    (a session holds it while a statement runs; with the thread pool an
 *    idle connection holds it too, indefinitely).  Until then this
 *    instance keeps enforcing.
 *  - INSTALL SONAME in that window skips TLS_POLICY, whose name is still in
 *    the server's hash: its init is not called, no mysql.plugin row is
 *    written, and the statement would return OK.  Only tls_cert (reaped at
 *    once) is installed again, so its init runs in that statement: it
 *    refuses when TLS_POLICY is uninstalled but not yet reaped (or was
 *    reaped while the statement ran), and the INSTALL fails with the
 *    reason instead of leaving the server without a policy once the old
 *    instance is reaped.
 * lifecycle_lock protects policy_entry, deinit_running and last_reap_us;
 * it is taken by the server's init/deinit calls and the status function,
 * never while another lock of ours is held.
 */
static GMutex lifecycle_lock;
static const void *policy_entry; /* server's record of the running instance */
static gboolean deinit_running;
static gint64 last_reap_us; /* wall clock at the end of the last deinit */

/* Instances of this library alive (initialised, not yet deinitialised).
 * MariaDB 10.11 does not call init while the previous instance is DELETED
 * and not reaped (above); should a server ever do so, a second instance
 * would run on the same (pinned, shared) state and the late deinit of the
 * first would tear it down, so init refuses. */
static gint live_instances;
/* The server calls deinit(NULL) for an audit plugin also after its init
 * failed (the failed instance is reaped like an uninstalled one), and passes
 * no instance handle.  Failed inits are counted so that their deinit calls
 * are recognised and never tear down the state of a running instance.
 * Both counters are changed only under the server's plugin serialisation
 * (INSTALL/UNINSTALL/reap), atomics keep readers honest. */
static gint failed_inits_pending;
static gint instance_running;

static int tlsp_plugin_init_checked(void);

/* Every SQL object beside mysql.tls_policy, created by the policy store's
 * refresher once the table exists.  Composed here, at the top, so that the
 * store knows no view and each view file only the layers below it. */
static void create_sql_objects(struct st_mysql *m)
{
  tlsp_views_install_rules(m);
  tlsp_conn_views_install(m);
  tlsp_recheck_install(m);
}

static int tlsp_plugin_init(void *p)
{
  tlsp_services_pin(); /* before any service call (services.c) */
  int rc = tlsp_plugin_init_checked();
  if (rc)
    g_atomic_int_inc(&failed_inits_pending);
  else
  {
    g_mutex_lock(&lifecycle_lock);
    /* The server passes no record to an audit plugin's init (p is NULL). */
    policy_entry =
        tlsp_server_plugin_entry(tlsp_policy_plugin_name, MYSQL_AUDIT_PLUGIN);
    if (!policy_entry)
      tlsp_log_warning("cannot follow the server's record of TLS_POLICY: "
                       "Tls_policy_instance_state reads ACTIVE even while an "
                       "UNINSTALL is deferred");
    g_mutex_unlock(&lifecycle_lock);
  }
  return rc;
}

static int tlsp_plugin_init_checked(void)
{
  g_autoptr(GError) error = NULL;
  if (g_atomic_int_get(&live_instances) > 0)
  {
    tlsp_log_error(
        "refusing to load: the previous tls_policy instance is still "
        "being uninstalled (sessions still hold it); retry INSTALL "
        "when they have finished their current statement");
    return 1;
  }
  if (!tlsp_server_abi_load(&error))
  {
    tlsp_log_error("refusing to load: %s", error->message);
    return 1;
  }
  pin_library();
  memset(&tlsp_stats, 0, sizeof tlsp_stats);
  if (!tlsp_tls_facts_start(&error))
  {
    tlsp_log_error("refusing to load: %s", error->message);
    return 1;
  }
  if (!tlsp_policy_store_start(create_sql_objects, &error))
  {
    tlsp_log_error("refusing to load: %s", error->message);
    tlsp_tls_facts_stop();
    return 1;
  }
  guint started = 0;
  for (; started < n_modules; started++)
    if (modules[started]->start && !modules[started]->start(&error))
      break;
  if (started < n_modules || !tlsp_auth_hook_install(&error))
  {
    tlsp_log_error("refusing to load: %s", error ? error->message : "?");
    while (started-- > 0)
      if (modules[started]->stop)
        modules[started]->stop();
    tlsp_policy_store_stop();
    tlsp_tls_facts_stop();
    return 1;
  }
  g_atomic_int_set(&plugin_running, 1);
  g_atomic_int_inc(&live_instances);
  g_atomic_int_set(&instance_running, 1);
  char covered[512], uncovered[512];
  tlsp_auth_hook_covered(covered, sizeof covered);
  tlsp_auth_hook_uncovered(uncovered, sizeof uncovered);
  tlsp_log_note(
      "version %s active on %s; checking logins of: %s; not covered: %s",
      TP_PLUGIN_VERSION, tlsp_server_version(), covered, uncovered);
  return 0;
}

static int tlsp_plugin_deinit(void *p)
{
  if (g_atomic_int_get(&failed_inits_pending) > 0)
  {
    g_atomic_int_add(&failed_inits_pending, -1);
    return 0; /* deinit after a failed init: nothing of ours to undo */
  }
  if (!g_atomic_int_compare_and_exchange(&instance_running, 1, 0))
    return 0;
  g_mutex_lock(&lifecycle_lock);
  deinit_running = TRUE;
  g_mutex_unlock(&lifecycle_lock);
  g_atomic_int_set(&plugin_running, 0);
  tlsp_auth_hook_remove();
  for (guint i = n_modules; i-- > 0;)
    if (modules[i]->stop)
      modules[i]->stop();
  tlsp_policy_store_stop();
  tlsp_tls_facts_stop();
  tlsp_log_note("stopped; authentication handlers restored; no login policy "
                "is in force until the next INSTALL SONAME 'tls_policy'");
  g_atomic_int_add(&live_instances, -1);
  g_mutex_lock(&lifecycle_lock);
  deinit_running = FALSE;
  policy_entry = NULL; /* the server frees or reuses its record next */
  last_reap_us = g_get_real_time();
  g_mutex_unlock(&lifecycle_lock);
  return 0;
}

/* What the status variable Tls_policy_instance_state shows. */
static const char *instance_state(void)
{
  const char *state = "ACTIVE";
  g_mutex_lock(&lifecycle_lock);
  if (deinit_running)
    state = "STOPPING";
  else if (policy_entry && tlsp_server_plugin_entry_state(policy_entry) !=
                               TP_SERVER_PLUGIN_READY)
    state = "UNINSTALLING";
  g_mutex_unlock(&lifecycle_lock);
  return state;
}

/*
 * init of tls_cert, the authentication plugin of this library.  Refuses
 * (and so fails the INSTALL SONAME that runs it) when the TLS_POLICY
 * instance is uninstalled but not yet reaped, or was reaped after the
 * statement began: that INSTALL would not install TLS_POLICY (see
 * lifecycle_lock above).  At server start and for any other INSTALL it
 * accepts.
 */
static int tlsp_tls_cert_plugin_init(void *p)
{
  tlsp_services_pin(); /* it may log before TLS_POLICY's init ever ran */
  MYSQL_THD thd = tlsp_server_current_thd(); /* NULL before the ABI is loaded */
  guint64 started = tlsp_server_statement_start_us(thd);
  gboolean pending = FALSE;
  g_mutex_lock(&lifecycle_lock);
  if (deinit_running)
    pending = TRUE;
  else if (g_atomic_int_get(&instance_running))
    pending = policy_entry && tlsp_server_plugin_entry_state(policy_entry) !=
                                  TP_SERVER_PLUGIN_READY;
  else
    pending = started && last_reap_us && (gint64) started <= last_reap_us;
  g_mutex_unlock(&lifecycle_lock);
  if (!pending)
    return 0;
  static const char msg[] =
      "tls_policy: INSTALL refused: the uninstalled TLS_POLICY is still held "
      "by sessions (a statement that began before the UNINSTALL, or an idle "
      "connection of the thread pool) and keeps enforcing until they release "
      "it; the server would not install a new one now. Retry once "
      "information_schema.PLUGINS no longer lists TLS_POLICY as DELETED";
  tlsp_log_error("%s", msg + strlen("tls_policy: "));
  if (thd)
    my_printf_error(ER_UNKNOWN_ERROR, "%s", 0, msg);
  return 1;
}

static struct st_mysql_audit tlsp_audit_descriptor = {
    MYSQL_AUDIT_INTERFACE_VERSION,
    NULL,
    tlsp_notify,
    {MYSQL_AUDIT_GENERAL_CLASSMASK | MYSQL_AUDIT_CONNECTION_CLASSMASK |
     MYSQL_AUDIT_TABLE_CLASSMASK}};

maria_declare_plugin(tls_policy){
    MYSQL_AUDIT_PLUGIN,
    &tlsp_audit_descriptor,
    tlsp_policy_plugin_name,
    "tls_policy developers",
    "Per-account TLS requirements and TLS context management, enforced inside "
    "the handshake",
    PLUGIN_LICENSE_GPL,
    tlsp_plugin_init,
    tlsp_plugin_deinit,
    0x0001,
    tlsp_status_variables,
    tlsp_system_variables,
    TP_PLUGIN_VERSION,
    MariaDB_PLUGIN_MATURITY_GAMMA /* loadable with the default --plugin-maturity */
},
    {MYSQL_AUTHENTICATION_PLUGIN,
     &tlsp_tls_cert_auth_descriptor, /* tls_cert_auth.c */
     "tls_cert",
     "tls_policy developers",
     "Password-less login with the client's TLS certificate, admitted by a "
     "mysql.tls_policy row that names the certificate",
     PLUGIN_LICENSE_GPL,
     tlsp_tls_cert_plugin_init,
     NULL,
     0x0001,
     NULL,
     NULL,
     TP_PLUGIN_VERSION,
     MariaDB_PLUGIN_MATURITY_GAMMA} maria_declare_plugin_end;
