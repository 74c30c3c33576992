/*
 * module.h — how a concern plugs into the plugin (plugin.c).
 *
 * Each concern that has system variables, status variables, a start/stop
 * step or wants to see finished statements defines one `const tlsp_module
 * tlsp_module_<name>`.  plugin.c lists the modules (a missing one fails the
 * link), collects their variables into the plugin declaration when the
 * library is loaded (before the server reads them), starts them in list
 * order and stops them in reverse.  So a concern's variables live in its
 * own file.
 */
#ifndef TLS_POLICY_MODULE_H
#define TLS_POLICY_MODULE_H

#include <glib.h>
#include <mysql/plugin.h>
#include <mysql/plugin_audit.h>

typedef struct tlsp_module {
  const char *name;
  /* Called at plugin init, after the server ABI check; FALSE (error set)
   * refuses the plugin, and modules started before are stopped. */
  gboolean (*start)(GError **error);
  void (*stop)(void);
  /* NULL-terminated; names without the tls_policy_ prefix. */
  struct st_mysql_sys_var **sysvars;
  /* {0,0,0}-terminated; names without the Tls_policy_ prefix. */
  struct st_mysql_show_var *status;
  /* After a statement finished (audit GENERAL_STATUS), on the session's own
   * thread.  No locks of ours are held; may run SQL only via its own
   * threads. */
  void (*on_statement)(MYSQL_THD thd, const struct mysql_event_general *ev);
} tlsp_module;

/* The value of a boolean "do it now" variable in a check callback: ON,
 * TRUE, YES, 1 / OFF, FALSE, NO, 0 (any case) or the integers 1 / 0.
 * FALSE for anything else (the caller reports the error).  settings.c. */
gboolean tlsp_sysvar_value_to_bool(struct st_mysql_value *value, gboolean *out);

#endif
