/*
 * services.c — the plugin's own copies of the server's service pointers.
 *
 * The server hands a plugin its services by writing into the library's
 * service pointers (sql_service, my_print_error_service, ...) when it loads
 * it, and writes the original values back when it releases the library
 * (sql_plugin.cc, restore_ptr_backup in plugin_dl_del).  This library stays
 * mapped after that (it pins itself, hazard H2), and code of it can still
 * run: a plugin thread on which the server ran deinit, inside one of that
 * thread's statements (the server reaps an uninstalled plugin on the thread
 * that drops the last reference), finishes that statement and closes its
 * connection; a login still inside a trampoline finishes its decision.  A
 * service call through the reset pointer would jump to a version number.
 *
 * So every other file of the plugin reaches the services through copies
 * taken at init (CMakeLists.txt compiles them with -Dsql_service=... etc.),
 * which the server never resets: the structures they point to are the
 * server's own and live as long as the process.  This file alone sees the
 * real pointers; it is compiled without those definitions taking effect.
 */
#undef sql_service
#undef my_print_error_service
#undef thd_alloc_service
#include <mysql/plugin.h>
#include <mysql/service_sql.h>
#include <mysql/service_my_print_error.h>
#include <mysql/service_thd_alloc.h>
#include "services.h"

struct sql_service_st *tlsp_sql_service_pin;
struct my_print_error_service_st *tlsp_print_error_service_pin;
struct thd_alloc_service_st *tlsp_thd_alloc_service_pin;

void tlsp_services_pin(void)
{
  tlsp_sql_service_pin = sql_service;
  tlsp_print_error_service_pin = my_print_error_service;
  tlsp_thd_alloc_service_pin = thd_alloc_service;
}
