/*
 * settings.c — the settings every login decision reads: the global
 * secure-transport rule, the rollout mode and the break-glass accounts
 * (tls_policy_require_secure_transport, tls_policy_mode,
 * tls_policy_break_glass_users), and the helper the modules' "do it now"
 * variables share.  A module (module.h) with variables only.
 *
 * Word-sized values are read without locks (the server writes them under
 * LOCK_global_system_variables); the break-glass list is a plugin-owned
 * copy (hazard H5, docs/hazards.md) behind break_glass_lock.
 */
#include <string.h>
#include <mysql/plugin.h>
#include "module.h"
#include "settings.h"

char tlsp_opt_require_secure_transport;
unsigned long tlsp_opt_mode;

/* tls_policy_break_glass_users: a plugin-owned copy (hazard H5: never keep
 * the server's *save pointer).  break_glass_lock protects the buffer; the
 * server's LOCK_global_system_variables, held around update and SHOW, keeps
 * readers of the variable itself out while it changes. */
#define TP_BREAK_GLASS_MAX 512
static char break_glass_buf[TP_BREAK_GLASS_MAX] = "root";
static char *opt_break_glass_users = break_glass_buf;
static GMutex break_glass_lock;

gboolean tlsp_settings_is_break_glass_user(const char *user)
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

static MYSQL_SYSVAR_BOOL(
    require_secure_transport, tlsp_opt_require_secure_transport,
    PLUGIN_VAR_OPCMDARG,
    "Deny logins over plain TCP. TLS (over TCP or the unix socket) and the "
    "plain unix socket are secure.",
    NULL, NULL, 0);

static const char *mode_names[] = {"ENFORCE", "REPORT", NULL};
static TYPELIB mode_typelib = {G_N_ELEMENTS(mode_names) - 1, "", mode_names,
                               NULL};
static MYSQL_SYSVAR_ENUM(
    mode, tlsp_opt_mode, PLUGIN_VAR_RQCMDARG,
    "ENFORCE denies logins that fail the policy; REPORT only counts and logs "
    "them as 'would deny' and lets them in.",
    NULL, NULL, TP_MODE_ENFORCE, &mode_typelib);

static MYSQL_SYSVAR_STR(
    break_glass_users, opt_break_glass_users, PLUGIN_VAR_RQCMDARG,
    "Comma-separated user names that may still log in over the local unix "
    "socket when the plugin itself cannot decide (policy not loaded, TLS state "
    "unknown, invalid rule). Never bypasses a rule that was evaluated.",
    check_break_glass, update_break_glass, "root");

static struct st_mysql_sys_var *settings_sysvars[] = {
    MYSQL_SYSVAR(require_secure_transport), MYSQL_SYSVAR(mode),
    MYSQL_SYSVAR(break_glass_users), NULL};

/* A value given on the command line or in an option file was stored by the
 * server without our update callback: take it into our buffer. */
static gboolean settings_start(GError **error)
{
  g_mutex_lock(&break_glass_lock);
  if (opt_break_glass_users && opt_break_glass_users != break_glass_buf)
    g_strlcpy(break_glass_buf, opt_break_glass_users, sizeof break_glass_buf);
  g_mutex_unlock(&break_glass_lock);
  return TRUE;
}

const tlsp_module tlsp_module_settings = {
    .name = "settings",
    .start = settings_start,
    .sysvars = settings_sysvars,
};

gboolean tlsp_sysvar_value_to_bool(struct st_mysql_value *value, gboolean *out)
{
  if (value->value_type(value) == MYSQL_VALUE_TYPE_STRING)
  {
    char buf[16];
    int len = sizeof buf;
    const char *s = value->val_str(value, buf, &len);
    if (!s)
      return FALSE;
    static const char *const on[] = {"ON", "TRUE", "1", "YES"};
    static const char *const off[] = {"OFF", "FALSE", "0", "NO"};
    for (guint i = 0; i < G_N_ELEMENTS(on); i++)
    {
      if ((size_t) len == strlen(on[i]) &&
          g_ascii_strncasecmp(s, on[i], len) == 0)
        return *out = TRUE, TRUE;
      if ((size_t) len == strlen(off[i]) &&
          g_ascii_strncasecmp(s, off[i], len) == 0)
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
