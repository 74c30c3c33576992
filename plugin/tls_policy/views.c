/*
 * views.c — the SQL objects the plugin installs beside mysql.tls_policy
 * (functions and views that make its state visible from SQL).
 */
#include <string.h>
#include <mysql/plugin.h>
#include <mysql/service_sql.h>
#include "policy_store.h"
#include "report.h"
#include "tp_sql.h"

void tp_store_install_sql_objects(struct st_mysql *m)
{
  (void) m;
}
