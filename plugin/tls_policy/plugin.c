/*
 * plugin.c — plugin declarations, system and status variables, and the
 * init/deinit order.
 *
 * tls_policy is an AUDIT plugin (interface 0x0302 is not tied to the server
 * point release, DESIGN-NOTES 2.5).  The audit interface is used only to
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
#include "tls_policy/statement_text.h"
#include "auth_hook.h"
#include "config.h"
#include "module.h"
#include "policy_store.h"
#include "report.h"
#include "server_abi.h"
#include "tls_cert_auth.h"
#include "tls_facts.h"

/* ---- system variables ---------------------------------------------------- */

char tp_opt_require_secure_transport;
unsigned long tp_opt_mode;

/* tls_policy_break_glass_users: a plugin-owned copy (hazard H5: never keep
 * the server's *save pointer).  break_glass_lock protects the buffer; the
 * server's LOCK_global_system_variables, held around update and SHOW, keeps
 * readers of the variable itself out while it changes. */
#define TP_BREAK_GLASS_MAX 512
static char break_glass_buf[TP_BREAK_GLASS_MAX] = "root";
static char *opt_break_glass_users = break_glass_buf;
static GMutex break_glass_lock;

gboolean tp_config_is_break_glass_user(const char *user)
{
  gboolean found = FALSE;
  g_mutex_lock(&break_glass_lock);
  g_auto(GStrv) names = g_strsplit(break_glass_buf, ",", -1);
  g_mutex_unlock(&break_glass_lock);
  for (char **n = names; *n && !found; n++)
    found = strcmp(g_strstrip(*n), user) == 0 && **n;
  return found;
}

static int check_break_glass(MYSQL_THD thd, struct st_mysql_sys_var *var,
                             void *save, struct st_mysql_value *value)
{
  int len = 0;
  char buf[16];
  const char *s = value->val_str(value, buf, &len);
  if (!s || len >= TP_BREAK_GLASS_MAX)
    return 1;
  *(const char **) save = s;
  return 0;
}

static void update_break_glass(MYSQL_THD thd, struct st_mysql_sys_var *var,
                               void *var_ptr, const void *save)
{
  const char *s = *(const char *const *) save;
  g_mutex_lock(&break_glass_lock);
  g_strlcpy(break_glass_buf, s ? s : "", sizeof break_glass_buf);
  g_mutex_unlock(&break_glass_lock);
  *(char **) var_ptr = break_glass_buf;
}

static MYSQL_SYSVAR_BOOL(require_secure_transport,
  tp_opt_require_secure_transport, PLUGIN_VAR_OPCMDARG,
  "Deny logins over plain TCP. TLS (over TCP or the unix socket) and the "
  "plain unix socket are secure.", NULL, NULL, 0);

static const char *mode_names[] = { "ENFORCE", "REPORT", NULL };
static TYPELIB mode_typelib = { G_N_ELEMENTS(mode_names) - 1, "",
                                mode_names, NULL };
static MYSQL_SYSVAR_ENUM(mode, tp_opt_mode, PLUGIN_VAR_RQCMDARG,
  "ENFORCE denies logins that fail the policy; REPORT only counts and logs "
  "them as 'would deny' and lets them in.", NULL, NULL, TP_MODE_ENFORCE,
  &mode_typelib);

static MYSQL_SYSVAR_STR(break_glass_users, opt_break_glass_users,
  PLUGIN_VAR_RQCMDARG,
  "Comma-separated user names that may still log in over the local unix "
  "socket when the plugin itself cannot decide (policy not loaded, TLS state "
  "unknown, invalid rule). Never bypasses a rule that was evaluated.",
  check_break_glass, update_break_glass, "root");

static MYSQL_SYSVAR_UINT(refresh_interval, tp_opt_refresh_interval,
  PLUGIN_VAR_RQCMDARG,
  "Seconds between the periodic checks of mysql.tls_policy for changes "
  "that no event announced (a safety net; changes are normally seen at once).",
  NULL, NULL, 10, 1, 3600, 0);

static MYSQL_SYSVAR_UINT(startup_wait, tp_opt_startup_wait, PLUGIN_VAR_RQCMDARG,
  "Seconds a login that arrives before the first policy load (server start, "
  "INSTALL) waits for it; 0 denies such logins at once (policy_not_loaded).",
  NULL, NULL, 5, 0, 300, 0);

static struct st_mysql_sys_var *tp_core_sysvars[] = {
  MYSQL_SYSVAR(require_secure_transport),
  MYSQL_SYSVAR(refresh_interval),
  MYSQL_SYSVAR(startup_wait),
  MYSQL_SYSVAR(mode),
  MYSQL_SYSVAR(break_glass_users),
  NULL
};

/* ---- status variables ---------------------------------------------------- */

static int show_covered(MYSQL_THD thd, struct st_mysql_show_var *var,
                        void *buff, struct system_status_var *sv,
                        enum enum_var_type scope)
{
  var->type = SHOW_CHAR;
  var->value = buff;
  tp_auth_hook_covered(buff, SHOW_VAR_FUNC_BUFF_SIZE);
  return 0;
}

static int show_uncovered(MYSQL_THD thd, struct st_mysql_show_var *var,
                          void *buff, struct system_status_var *sv,
                          enum enum_var_type scope)
{
  var->type = SHOW_CHAR;
  var->value = buff;
  tp_auth_hook_uncovered(buff, SHOW_VAR_FUNC_BUFF_SIZE);
  return 0;
}

static int show_policy_error(MYSQL_THD thd, struct st_mysql_show_var *var,
                             void *buff, struct system_status_var *sv,
                             enum enum_var_type scope)
{
  var->type = SHOW_CHAR;
  var->value = buff;
  tp_policy_store_last_error(buff, SHOW_VAR_FUNC_BUFF_SIZE);
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

static int show_engine(MYSQL_THD thd, struct st_mysql_show_var *var,
                       void *buff, struct system_status_var *sv,
                       enum enum_var_type scope)
{
  var->type = SHOW_CHAR;
  var->value = buff;
  tp_policy_store_engine(buff, SHOW_VAR_FUNC_BUFF_SIZE);
  return 0;
}

static int show_tracked(MYSQL_THD thd, struct st_mysql_show_var *var,
                        void *buff, struct system_status_var *sv,
                        enum enum_var_type scope)
{
  var->type = SHOW_ULONGLONG;
  var->value = buff;
  *(unsigned long long *) buff = tp_conn_tracked();
  return 0;
}

#define TP_SHOW_DENIED(sym, name, text) \
  { "denied_" name, (char *) &tp_stats.denied[TP_REASON_##sym], SHOW_ULONGLONG },
#define TP_SHOW_WOULD(sym, name, text) \
  { "would_deny_" name, (char *) &tp_stats.would_deny[TP_REASON_##sym], SHOW_ULONGLONG },


static struct st_mysql_show_var tp_core_status[] = {
  { "logins_checked", (char *) &tp_stats.logins_checked, SHOW_ULONGLONG },
  { "logins_admitted", (char *) &tp_stats.logins_admitted, SHOW_ULONGLONG },
  { "logins_denied", (char *) &tp_stats.logins_denied, SHOW_ULONGLONG },
  { "logins_would_deny", (char *) &tp_stats.logins_would_deny, SHOW_ULONGLONG },
  { "break_glass_logins", (char *) &tp_stats.break_glass_logins, SHOW_ULONGLONG },
  { "report_rows_failed", (char *) &tp_stats.report_rows_failed, SHOW_ULONGLONG },
  { "policy_loaded", (char *) &tp_store_status.loaded, SHOW_ULONGLONG },
  { "policy_generation", (char *) &tp_store_status.generation, SHOW_ULONGLONG },
  { "rules_loaded", (char *) &tp_store_status.rules_loaded, SHOW_ULONGLONG },
  { "rules_invalid", (char *) &tp_store_status.rules_invalid, SHOW_ULONGLONG },
  { "policy_refreshes", (char *) &tp_store_status.refreshes, SHOW_ULONGLONG },
  { "policy_refresh_failures", (char *) &tp_store_status.refresh_failures, SHOW_ULONGLONG },
  { "policy_last_refresh", (char *) &tp_store_status.last_refresh, SHOW_ULONGLONG },
  { "policy_unchanged_checks", (char *) &tp_store_status.unchanged_checks, SHOW_ULONGLONG },
  { "policy_last_error", (char *) &show_policy_error, SHOW_FUNC },
  { "instance_state", (char *) &show_instance_state, SHOW_FUNC },
  { "policy_refresh_transient_failures", (char *) &tp_store_status.transient_failures, SHOW_ULONGLONG },
  { "policy_stale", (char *) &tp_store_status.stale, SHOW_ULONGLONG },
  { "policy_startup_waits", (char *) &tp_store_status.startup_waits, SHOW_ULONGLONG },
  { "policy_startup_wait_timeouts", (char *) &tp_store_status.startup_wait_timeouts, SHOW_ULONGLONG },
  { "policy_table_engine", (char *) &show_engine, SHOW_FUNC },
  { "tracked_connections", (char *) &show_tracked, SHOW_FUNC },
  { "covered_auth_plugins", (char *) &show_covered, SHOW_FUNC },
  { "uncovered_auth_plugins", (char *) &show_uncovered, SHOW_FUNC },
  TP_DENY_REASON_LIST(TP_SHOW_DENIED)
  TP_DENY_REASON_LIST(TP_SHOW_WOULD)
  { 0, 0, 0 }
};

/* ---- modules ------------------------------------------------------------ */

/* Concerns in their own files (module.h).  Weak: a module that is not built
 * is simply absent. */
extern const tp_module tp_module_report __attribute__((weak));
extern const tp_module tp_module_tls_context __attribute__((weak));
extern const tp_module tp_module_native_mirror __attribute__((weak));
extern const tp_module tp_module_views __attribute__((weak));
extern const tp_module tp_module_tls_cert __attribute__((weak));
extern const tp_module tp_module_recheck __attribute__((weak));

static const tp_module tp_module_core = {
  .name = "core",
  .sysvars = tp_core_sysvars,
  .status = tp_core_status,
};

#define TP_MAX_MODULES 8
#define TP_MAX_SYSVARS 64
#define TP_MAX_STATUS 160
static const tp_module *modules[TP_MAX_MODULES];
static guint n_modules;
static struct st_mysql_sys_var *tp_system_variables[TP_MAX_SYSVARS];
static struct st_mysql_show_var tp_status_inner[TP_MAX_STATUS];
static struct st_mysql_show_var tp_status_variables[] = {
  { "Tls_policy", (char *) tp_status_inner, SHOW_ARRAY },
  { 0, 0, 0 }
};

/* Runs when the library is loaded, before the server reads the plugin
 * declaration: gathers every module's variables. */
__attribute__((constructor)) static void tp_collect_modules(void)
{
  const tp_module *all[] = { &tp_module_core, &tp_module_report,
                             &tp_module_tls_context,
                             &tp_module_native_mirror, &tp_module_views,
                             &tp_module_tls_cert, &tp_module_recheck };
  guint nv = 0, ns = 0;
  n_modules = 0;
  for (guint i = 0; i < G_N_ELEMENTS(all); i++)
  {
    const tp_module *m = all[i];
    if (!m || n_modules >= TP_MAX_MODULES)
      continue;
    modules[n_modules++] = m;
    for (guint k = 0; m->sysvars && m->sysvars[k]; k++)
      if (nv < TP_MAX_SYSVARS - 1)
        tp_system_variables[nv++] = m->sysvars[k];
    for (guint k = 0; m->status && m->status[k].name; k++)
      if (ns < TP_MAX_STATUS - 1)
        tp_status_inner[ns++] = m->status[k];
  }
  tp_system_variables[nv] = NULL;
  memset(&tp_status_inner[ns], 0, sizeof tp_status_inner[ns]);
}

/* ---- audit events ------------------------------------------------------- */

static gint plugin_running;

/* Sessions that wrote mysql.tls_policy: after each of their statements the
 * policy is re-read before the statement's end is acknowledged to the
 * plugin, so that the next login sees the committed change.  The mark
 * keeps the policy generation of the session's first write event; it goes
 * once a published generation is newer than that (the change was read:
 * by this session's re-read or by the settle loop that the write event
 * started, whichever came first), at COMMIT/ROLLBACK and at disconnect.
 * touched_lock protects touched. */
static GMutex touched_lock;
static GHashTable *touched;   /* conn id (guint64*) -> generation (guint64*) */

static void touched_mark(guint64 id, guint64 generation)
{
  g_mutex_lock(&touched_lock);
  if (!touched)
    touched = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  if (!g_hash_table_contains(touched, &id))   /* keep the first write's */
    g_hash_table_insert(touched, g_memdup2(&id, sizeof id),
                        g_memdup2(&generation, sizeof generation));
  g_mutex_unlock(&touched_lock);
}

static void touched_unmark(guint64 id)
{
  g_mutex_lock(&touched_lock);
  if (touched)
    g_hash_table_remove(touched, &id);
  g_mutex_unlock(&touched_lock);
}

/* TRUE if the session is marked; *generation: the generation at its mark. */
static gboolean touched_get(guint64 id, guint64 *generation)
{
  g_mutex_lock(&touched_lock);
  guint64 *g = touched ? g_hash_table_lookup(touched, &id) : NULL;
  if (g)
    *generation = *g;
  g_mutex_unlock(&touched_lock);
  return g != NULL;
}

static void touched_clear_all(void)
{
  g_mutex_lock(&touched_lock);
  if (touched)
    g_hash_table_destroy(touched);
  touched = NULL;
  g_mutex_unlock(&touched_lock);
}

static gboolean lex_eq(const char *a, size_t alen, const char *b)
{
  return alen == strlen(b) && g_ascii_strncasecmp(a, b, alen) == 0;
}

/* Set by a write to mysql.plugin, taken by the next statement end. */
static gint plugin_table_written;

/* Is the TABLE event about mysql.<name> (also as the target of a RENAME)? */
static gboolean is_table(const struct mysql_event_table *t, const char *name)
{
  return (t->database.str && lex_eq(t->database.str, t->database.length, "mysql") &&
          t->table.str && lex_eq(t->table.str, t->table.length, name)) ||
         (t->new_database.str &&
          lex_eq(t->new_database.str, t->new_database.length, "mysql") &&
          t->new_table.str && lex_eq(t->new_table.str, t->new_table.length, name));
}

static void tp_notify(MYSQL_THD thd, unsigned int event_class, const void *ev)
{
  if (!g_atomic_int_get(&plugin_running))
    return;
  if (event_class == MYSQL_AUDIT_CONNECTION_CLASS)
  {
    const struct mysql_event_connection *c = ev;
    if (c->event_subclass == MYSQL_AUDIT_CONNECTION_DISCONNECT ||
        (c->event_subclass == MYSQL_AUDIT_CONNECTION_CONNECT && c->status != 0))
    {
      tp_conn_forget(c->thread_id);
      touched_unmark(c->thread_id);
    }
    else if (c->event_subclass == MYSQL_AUDIT_CONNECTION_CONNECT ||
             c->event_subclass == MYSQL_AUDIT_CONNECTION_CHANGE_USER)
      tp_conn_admission_settle(c->thread_id, c->status == 0);
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
    {
      if (thd)
        touched_mark(t->thread_id, tp_store_status.generation);
      tp_policy_store_poke();
    }
  }
  else if (event_class == MYSQL_AUDIT_GENERAL_CLASS)
  {
    const struct mysql_event_general *g = ev;
    if (g->event_subclass != MYSQL_AUDIT_GENERAL_STATUS || !g->general_query)
      return;
    guint64 marked_at;
    if (touched_get(g->general_thread_id, &marked_at))
    {
      /* The mark stays while the change may still be uncommitted; it goes
       * once a generation newer than the one at the first write is
       * published (an autocommit write has been read), or at the end of
       * the transaction.  (A transaction whose table another session
       * changes meanwhile loses its mark early; its COMMIT is then seen by
       * the settle loop or the periodic check, not synchronously.) */
      tp_policy_store_refresh_wait(5 * G_USEC_PER_SEC);
      tp_stmt_kind kind =
          tp_stmt_classify(g->general_query, g->general_query_length);
      if (tp_store_status.generation > marked_at || kind == TP_STMT_COMMIT ||
          kind == TP_STMT_ROLLBACK)
        touched_unmark(g->general_thread_id);
    }
    if (g_atomic_int_compare_and_exchange(&plugin_table_written, 1, 0))
      tp_auth_hook_refresh();   /* a library may have been loaded */
    for (guint i = 0; i < n_modules; i++)
      if (modules[i]->on_statement)
        modules[i]->on_statement(thd, g);
  }
}

/* ---- shared by the modules ------------------------------------------------ */

gboolean tp_sysvar_value_to_bool(struct st_mysql_value *value, gboolean *out)
{
  if (value->value_type(value) == MYSQL_VALUE_TYPE_STRING)
  {
    char buf[16];
    int len = sizeof buf;
    const char *s = value->val_str(value, buf, &len);
    if (!s)
      return FALSE;
    static const char *const on[] = { "ON", "TRUE", "1", "YES" };
    static const char *const off[] = { "OFF", "FALSE", "0", "NO" };
    for (guint i = 0; i < G_N_ELEMENTS(on); i++)
    {
      if ((size_t) len == strlen(on[i]) && g_ascii_strncasecmp(s, on[i], len) == 0)
        return *out = TRUE, TRUE;
      if ((size_t) len == strlen(off[i]) && g_ascii_strncasecmp(s, off[i], len) == 0)
        return *out = FALSE, TRUE;
    }
    return FALSE;
  }
  if (value->value_type(value) == MYSQL_VALUE_TYPE_INT)
  {
    long long v = 0;
    value->val_int(value, &v);
    if (v != 0 && v != 1)
      return FALSE;
    *out = v == 1;
    return TRUE;
  }
  return FALSE;
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
      tp_log_warning("could not pin %s in memory: %s", self.dli_fname, dlerror());
  }
}

/* The audit plugin's name: the server's record of the plugin points at this
 * very string (tp_server_plugin_entry). */
static const char tp_policy_plugin_name[] = "TLS_POLICY";

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
static const void *policy_entry;   /* server's record of the running instance */
static gboolean deinit_running;
static gint64 last_reap_us;        /* wall clock at the end of the last deinit */

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

static int tp_plugin_init_checked(void);

static int tp_plugin_init(void *p)
{
  int rc = tp_plugin_init_checked();
  if (rc)
    g_atomic_int_inc(&failed_inits_pending);
  else
  {
    g_mutex_lock(&lifecycle_lock);
    /* The server passes no record to an audit plugin's init (p is NULL). */
    policy_entry = tp_server_plugin_entry(tp_policy_plugin_name, MYSQL_AUDIT_PLUGIN);
    if (!policy_entry)
      tp_log_warning("cannot follow the server's record of TLS_POLICY: "
                     "Tls_policy_instance_state reads ACTIVE even while an "
                     "UNINSTALL is deferred");
    g_mutex_unlock(&lifecycle_lock);
  }
  return rc;
}

static int tp_plugin_init_checked(void)
{
  g_autoptr(GError) error = NULL;
  if (g_atomic_int_get(&live_instances) > 0)
  {
    tp_log_error("refusing to load: the previous tls_policy instance is still "
                 "being uninstalled (sessions still hold it); retry INSTALL "
                 "when they have finished their current statement");
    return 1;
  }
  if (!tp_server_abi_load(&error))
  {
    tp_log_error("refusing to load: %s", error->message);
    return 1;
  }
  pin_library();
  memset(&tp_stats, 0, sizeof tp_stats);
  /* A value given on the command line or in an option file was stored by
   * the server without our update callback: take it into our buffer. */
  g_mutex_lock(&break_glass_lock);
  if (opt_break_glass_users && opt_break_glass_users != break_glass_buf)
    g_strlcpy(break_glass_buf, opt_break_glass_users, sizeof break_glass_buf);
  g_mutex_unlock(&break_glass_lock);
  if (!tp_tls_facts_start(&error))
  {
    tp_log_error("refusing to load: %s", error->message);
    return 1;
  }
  if (!tp_policy_store_start(&error))
  {
    tp_log_error("refusing to load: %s", error->message);
    tp_tls_facts_stop();
    return 1;
  }
  guint started = 0;
  for (; started < n_modules; started++)
    if (modules[started]->start && !modules[started]->start(&error))
      break;
  if (started < n_modules || !tp_auth_hook_install(&error))
  {
    tp_log_error("refusing to load: %s", error ? error->message : "?");
    while (started-- > 0)
      if (modules[started]->stop)
        modules[started]->stop();
    tp_policy_store_stop();
    tp_tls_facts_stop();
    return 1;
  }
  g_atomic_int_set(&plugin_running, 1);
  g_atomic_int_inc(&live_instances);
  g_atomic_int_set(&instance_running, 1);
  char covered[512], uncovered[512];
  tp_auth_hook_covered(covered, sizeof covered);
  tp_auth_hook_uncovered(uncovered, sizeof uncovered);
  tp_log_note("version %s active on %s; checking logins of: %s; not covered: %s",
              TP_PLUGIN_VERSION, tp_server_version(), covered, uncovered);
  return 0;
}

static int tp_plugin_deinit(void *p)
{
  if (g_atomic_int_get(&failed_inits_pending) > 0)
  {
    g_atomic_int_add(&failed_inits_pending, -1);
    return 0;   /* deinit after a failed init: nothing of ours to undo */
  }
  if (!g_atomic_int_compare_and_exchange(&instance_running, 1, 0))
    return 0;
  g_mutex_lock(&lifecycle_lock);
  deinit_running = TRUE;
  g_mutex_unlock(&lifecycle_lock);
  g_atomic_int_set(&plugin_running, 0);
  tp_auth_hook_remove();
  for (guint i = n_modules; i-- > 0;)
    if (modules[i]->stop)
      modules[i]->stop();
  tp_policy_store_stop();
  touched_clear_all();
  tp_tls_facts_stop();
  tp_log_note("stopped; authentication handlers restored; no login policy "
              "is in force until the next INSTALL SONAME 'tls_policy'");
  g_atomic_int_add(&live_instances, -1);
  g_mutex_lock(&lifecycle_lock);
  deinit_running = FALSE;
  policy_entry = NULL;   /* the server frees or reuses its record next */
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
  else if (policy_entry &&
           tp_server_plugin_entry_state(policy_entry) != TP_SERVER_PLUGIN_READY)
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
static int tp_tls_cert_plugin_init(void *p)
{
  MYSQL_THD thd = tp_server_current_thd();   /* NULL before the ABI is loaded */
  guint64 started = tp_server_statement_start_us(thd);
  gboolean pending = FALSE;
  g_mutex_lock(&lifecycle_lock);
  if (deinit_running)
    pending = TRUE;
  else if (g_atomic_int_get(&instance_running))
    pending = policy_entry &&
              tp_server_plugin_entry_state(policy_entry) != TP_SERVER_PLUGIN_READY;
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
  tp_log_error("%s", msg + strlen("tls_policy: "));
  if (thd)
    my_printf_error(ER_UNKNOWN_ERROR, "%s", 0, msg);
  return 1;
}

static struct st_mysql_audit tp_audit_descriptor = {
  MYSQL_AUDIT_INTERFACE_VERSION,
  NULL,
  tp_notify,
  { MYSQL_AUDIT_GENERAL_CLASSMASK | MYSQL_AUDIT_CONNECTION_CLASSMASK |
    MYSQL_AUDIT_TABLE_CLASSMASK }
};

maria_declare_plugin(tls_policy)
{
  MYSQL_AUDIT_PLUGIN,
  &tp_audit_descriptor,
  tp_policy_plugin_name,
  "tls_policy developers",
  "Per-account TLS requirements and TLS context management, enforced inside the handshake",
  PLUGIN_LICENSE_GPL,
  tp_plugin_init,
  tp_plugin_deinit,
  0x0001,
  tp_status_variables,
  tp_system_variables,
  TP_PLUGIN_VERSION,
  MariaDB_PLUGIN_MATURITY_GAMMA  /* loadable with the default --plugin-maturity */
},
{
  MYSQL_AUTHENTICATION_PLUGIN,
  &tp_tls_cert_auth_descriptor,  /* tls_cert_auth.c */
  "tls_cert",
  "tls_policy developers",
  "Password-less login with the client's TLS certificate, admitted by a "
  "mysql.tls_policy row that names the certificate",
  PLUGIN_LICENSE_GPL,
  tp_tls_cert_plugin_init,
  NULL,
  0x0001,
  NULL,
  NULL,
  TP_PLUGIN_VERSION,
  MariaDB_PLUGIN_MATURITY_GAMMA
}
maria_declare_plugin_end;
