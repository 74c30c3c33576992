/*
 * auth_hook.h — the one enforcement point: wrapping the server's
 * authentication handlers (docs/hazards.md §1).
 *
 * Every authentication plugin's st_mysql_auth.authenticate_user is replaced
 * by one of a fixed table of trampolines; a trampoline calls the original
 * handler and, only when it succeeded, asks decision.c about the login.  A
 * denial returns CR_ERROR, which the server turns into ER_ACCESS_DENIED_ERROR
 * (1045) before any OK packet.
 */
#ifndef TLS_POLICY_AUTH_HOOK_H
#define TLS_POLICY_AUTH_HOOK_H

#include <glib.h>

/* Wraps the built-in and all currently loaded authentication handlers.
 * Returns FALSE (error set) if the built-in ones cannot be wrapped; then
 * nothing was changed. */
gboolean tlsp_auth_hook_install(GError **error);
/* Restores every handler it replaced that is still loaded.  Safe to call
 * while logins run: in-flight calls finish through the original handler. */
void tlsp_auth_hook_remove(void);
/* Rescans loaded libraries if the set of loaded objects changed (cheap when
 * it did not).  Called on every first pass and after INSTALL statements. */
void tlsp_auth_hook_refresh(void);

/* Comma-separated names, for status variables.  Copies into buf. */
void tlsp_auth_hook_covered(char *buf, size_t len);
void tlsp_auth_hook_uncovered(char *buf, size_t len);

#endif
