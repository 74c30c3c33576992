/*
 * auth_hook.c — wrapping and unwrapping authentication handlers.
 *
 * Where handlers come from:
 *  - built-in mysql_native_password / mysql_old_password: the exported
 *    declarations (server_abi.c);
 *  - built-in unix_socket, which mariadbd does not export: looked up by
 *    name in the server's plugin registry (server_abi.c); if that fails it
 *    is listed in Tls_policy_uncovered_auth_plugins;
 *  - dynamically loaded plugins (ed25519, PAM, GSSAPI, ... and any installed
 *    after tls_policy): the `_maria_plugin_declarations_` (or MySQL-style
 *    `_mysql_plugin_declarations_`) symbol of every loaded shared object,
 *    rescanned whenever dl_iterate_phdr's adds/subs counters move.  The
 *    counters are compared on entry to every trampoline (a new connection's
 *    first pass, an auth switch, COM_CHANGE_USER) and after any statement
 *    that wrote mysql.plugin (plugin.c), so a handler loaded by INSTALL is
 *    wrapped before the next login that could use it, whatever the text of
 *    the statement that loaded it.
 *
 * Every handler runs the same policy, so an account with several methods
 * (IDENTIFIED VIA a OR b) gets the same decision from each: a login the
 * policy refuses with one method is refused with the next as well.
 *
 * A trampoline cannot tell from its arguments which handler it replaced, so
 * each wrapped handler gets its own slot and trampoline.  Slots are static
 * and never cleared: a login already inside a trampoline when the plugin is
 * uninstalled still finds its original handler (the library is pinned with
 * RTLD_NODELETE, hazard H2).
 *
 * Locking: hook_lock serialises scanning, wrapping and unwrapping.
 * Trampolines read slot.original with an atomic load and take no lock.
 * Handler pointers are written with atomic stores, only after checking that
 * the address lies in a writable, non-RELRO segment of a loaded object.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <string.h>
#include <mysql/plugin.h>
#include <mysql/plugin_auth.h>
#include "server_abi.h"
#include "tls_facts.h"
#include "login_check.h"
#include "report.h"
#include "auth_hook.h"

typedef int (*auth_fn)(MYSQL_PLUGIN_VIO *, MYSQL_SERVER_AUTH_INFO *);

#define TP_AUTH_SLOTS 16

typedef struct tlsp_auth_slot {
  struct st_mysql_auth *auth; /* handler struct we patched */
  auth_fn original;           /* never cleared once set (in-flight calls) */
  char name[64];              /* plugin name */
  char library[256];          /* shared object, "" for built-in */
  gboolean first_pass; /* a built-in that runs every login's first pass */
  gboolean wrapped;    /* our trampoline is in place now */
} tlsp_auth_slot;

/* Built-in handlers that mariadbd does not export, found by name in the
 * server's plugin registry. */
static const char *const registry_builtins[] = {"unix_socket"};

static GMutex hook_lock;
static tlsp_auth_slot slots[TP_AUTH_SLOTS];
static GPtrArray *uncovered; /* char*, protected by hook_lock */
static unsigned long long seen_adds, seen_subs;
static gint installed;

static int trampoline_call(int i, MYSQL_PLUGIN_VIO *vio,
                           MYSQL_SERVER_AUTH_INFO *info);

/* clang-format off */
#define TP_TRAMPOLINE(i)                                                      \
  static int trampoline_##i(MYSQL_PLUGIN_VIO *vio, MYSQL_SERVER_AUTH_INFO *info) \
  { return trampoline_call(i, vio, info); }
TP_TRAMPOLINE(0) TP_TRAMPOLINE(1) TP_TRAMPOLINE(2) TP_TRAMPOLINE(3)
TP_TRAMPOLINE(4) TP_TRAMPOLINE(5) TP_TRAMPOLINE(6) TP_TRAMPOLINE(7)
TP_TRAMPOLINE(8) TP_TRAMPOLINE(9) TP_TRAMPOLINE(10) TP_TRAMPOLINE(11)
TP_TRAMPOLINE(12) TP_TRAMPOLINE(13) TP_TRAMPOLINE(14) TP_TRAMPOLINE(15)
static const auth_fn trampolines[TP_AUTH_SLOTS] = {
  trampoline_0, trampoline_1, trampoline_2, trampoline_3, trampoline_4,
  trampoline_5, trampoline_6, trampoline_7, trampoline_8, trampoline_9,
  trampoline_10, trampoline_11, trampoline_12, trampoline_13, trampoline_14,
  trampoline_15,
};
/* clang-format on */

static int trampoline_call(int i, MYSQL_PLUGIN_VIO *vio,
                           MYSQL_SERVER_AUTH_INFO *info)
{
  tlsp_auth_slot *slot = &slots[i];
  auth_fn original = __atomic_load_n(&slot->original, __ATOMIC_ACQUIRE);
  if (!g_atomic_int_get(&installed) || !info || !info->thd)
    return original(vio, info);

  /* Pick up handlers loaded since the last look (cheap when nothing
   * changed), before this login can switch to one of them. */
  tlsp_auth_hook_refresh();
  if (slot->first_pass)
  {
    /* Before the greeting (and so before any TLS handshake) of a new
     * connection: register it so that its handshake, or the absence of
     * one, is observed (H3). */
    tlsp_conn_begin(thd_get_thread_id(info->thd));
  }

  int rc = original(vio, info);
  if (!g_atomic_int_get(&installed))
    return rc;
  if (rc == CR_OK || rc == CR_OK_HANDSHAKE_COMPLETE)
    return tlsp_decide_login(vio, info, slot->name, FALSE) ? rc : CR_ERROR;
  /* Credentials refused.  The policy's counters move the same way as if
   * they had been accepted, so that they do not tell an observer whether a
   * password was right (docs/security-model.md).  A restart with the
   * account's own plugin (no user name yet) is not a refusal. */
  if ((rc == CR_ERROR || rc == CR_AUTH_USER_CREDENTIALS) && info->user_name)
    tlsp_count_refused_login(vio, info);
  return rc;
}

/* ---- address checks ---------------------------------------------------- */

typedef struct seg_query {
  uintptr_t addr;
  gboolean found, writable;
  char name[256];
} seg_query;

static int seg_query_cb(struct dl_phdr_info *pi, size_t size, void *data)
{
  seg_query *q = data;
  gboolean in_load = FALSE, in_write = FALSE, in_relro = FALSE;
  for (int k = 0; k < pi->dlpi_phnum; k++)
  {
    const ElfW(Phdr) *ph = &pi->dlpi_phdr[k];
    uintptr_t start = pi->dlpi_addr + ph->p_vaddr;
    if (q->addr < start || q->addr >= start + ph->p_memsz)
      continue;
    if (ph->p_type == PT_LOAD)
    {
      in_load = TRUE;
      in_write = (ph->p_flags & PF_W) != 0;
    }
    else if (ph->p_type == PT_GNU_RELRO)
      in_relro = TRUE;
  }
  if (!in_load)
    return 0;
  q->found = TRUE;
  q->writable = in_write && !in_relro;
  g_strlcpy(q->name, pi->dlpi_name ? pi->dlpi_name : "", sizeof q->name);
  return 1;
}

/* Is addr inside a writable, non-RELRO segment of a loaded object (named
 * `library`, or any if NULL)? */
static gboolean address_writable(const void *addr, const char *library)
{
  seg_query q = {.addr = (uintptr_t) addr};
  dl_iterate_phdr(seg_query_cb, &q);
  if (!q.found || !q.writable)
    return FALSE;
  return library == NULL || strcmp(library, q.name) == 0;
}

static int counters_cb(struct dl_phdr_info *pi, size_t size, void *data)
{
  unsigned long long *c = data;
  c[0] = pi->dlpi_adds;
  c[1] = pi->dlpi_subs;
  return 1; /* the counters are the same in every entry: stop at once */
}

static int names_cb(struct dl_phdr_info *pi, size_t size, void *data)
{
  if (pi->dlpi_name && pi->dlpi_name[0])
    g_ptr_array_add(data, g_strdup(pi->dlpi_name));
  return 0;
}

/* ---- wrapping ------------------------------------------------------------ */

static void note_uncovered(const char *name, const char *why)
{
  for (guint k = 0; k < uncovered->len; k++)
    if (strcmp(g_ptr_array_index(uncovered, k), name) == 0)
      return;
  g_ptr_array_add(uncovered, g_strdup(name));
  tlsp_log_note("authentication plugin %s is not covered: %s", name, why);
}

static void uncovered_drop(const char *name)
{
  for (guint k = 0; k < uncovered->len; k++)
    if (strcmp(g_ptr_array_index(uncovered, k), name) == 0)
    {
      g_ptr_array_remove_index(uncovered, k);
      return;
    }
}

static int slot_of_trampoline(auth_fn fn)
{
  for (int i = 0; i < TP_AUTH_SLOTS; i++)
    if (trampolines[i] == fn)
      return i;
  return -1;
}

/* Caller holds hook_lock. */
static gboolean wrap_one(struct st_mysql_auth *auth, const char *name,
                         const char *library, gboolean first_pass)
{
  if (!auth || (auth->interface_version >> 8) !=
                   (MYSQL_AUTHENTICATION_INTERFACE_VERSION >> 8))
  {
    note_uncovered(name, "authentication interface version not supported");
    return FALSE;
  }
  auth_fn current = __atomic_load_n(&auth->authenticate_user, __ATOMIC_ACQUIRE);
  int existing = slot_of_trampoline(current);
  if (existing >= 0)
  {
    slots[existing].wrapped = TRUE; /* already ours (rescan) */
    return TRUE;
  }
  if (!current)
    return FALSE;
  if (!address_writable(&auth->authenticate_user, library))
  {
    note_uncovered(name, "its handler table is read-only");
    return FALSE;
  }
  int free_slot = -1;
  for (int i = 0; i < TP_AUTH_SLOTS; i++)
    if (!slots[i].wrapped)
    {
      free_slot = i;
      break;
    }
  if (free_slot < 0)
  {
    note_uncovered(name, "no free trampoline slot");
    return FALSE;
  }
  tlsp_auth_slot *s = &slots[free_slot];
  s->auth = auth;
  __atomic_store_n(&s->original, current, __ATOMIC_RELEASE);
  g_strlcpy(s->name, name, sizeof s->name);
  g_strlcpy(s->library, library ? library : "", sizeof s->library);
  s->first_pass = first_pass;
  s->wrapped = TRUE;
  __atomic_store_n(&auth->authenticate_user, trampolines[free_slot],
                   __ATOMIC_RELEASE);
  return TRUE;
}

/* MySQL-style declarations (st_mysql_plugin) differ in layout after `flags`
 * only; type, info and name come first in both. */
struct tlsp_mysql_plugin_head {
  int type;
  void *info;
  const char *name;
};

static void scan_library(const char *path)
{
  void *h = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
  if (!h)
    return;
  struct st_maria_plugin *maria = dlsym(h, "_maria_plugin_declarations_");
  int *sizeof_maria = dlsym(h, "_maria_sizeof_struct_st_plugin_");
  if (maria && sizeof_maria && *sizeof_maria == sizeof(struct st_maria_plugin))
  {
    for (struct st_maria_plugin *p = maria; p->type; p++)
      if (p->type == MYSQL_AUTHENTICATION_PLUGIN && p->name)
        wrap_one(p->info, p->name, path, FALSE);
  }
  void *mysql = dlsym(h, "_mysql_plugin_declarations_");
  int *sizeof_mysql = dlsym(h, "_mysql_sizeof_struct_st_plugin_");
  if (mysql && sizeof_mysql &&
      *sizeof_mysql > (int) sizeof(struct tlsp_mysql_plugin_head))
  {
    for (char *p = mysql; ((struct tlsp_mysql_plugin_head *) p)->type;
         p += *sizeof_mysql)
    {
      struct tlsp_mysql_plugin_head *hd = (struct tlsp_mysql_plugin_head *) p;
      if (hd->type == MYSQL_AUTHENTICATION_PLUGIN && hd->name)
        wrap_one(hd->info, hd->name, path, FALSE);
    }
  }
  dlclose(h);
}

/* Caller holds hook_lock.  Drops slots whose library is gone (never write
 * there again), then wraps everything loaded. */
static void rescan_locked(void)
{
  unsigned long long c[2] = {0, 0};
  dl_iterate_phdr(counters_cb, c);
  seen_adds = c[0];
  seen_subs = c[1];

  for (int i = 0; i < TP_AUTH_SLOTS; i++)
  {
    tlsp_auth_slot *s = &slots[i];
    if (!s->wrapped || !s->library[0])
      continue;
    /* Unloaded (its memory is not ours any more), or unloaded and loaded
     * again (fresh data holds the original handler): forget the slot. */
    if (!address_writable(&s->auth->authenticate_user, s->library) ||
        __atomic_load_n(&s->auth->authenticate_user, __ATOMIC_ACQUIRE) !=
            trampolines[i])
      s->wrapped = FALSE;
  }

  struct st_maria_plugin *builtin = tlsp_server_builtin_auth_declarations();
  for (struct st_maria_plugin *p = builtin; p->type; p++)
    if (p->type == MYSQL_AUTHENTICATION_PLUGIN)
      wrap_one(p->info, p->name, NULL, TRUE);

  /* A built-in that is registered is found at the first scan (every
   * plugin is registered before any is initialised); one disabled at
   * startup (--unix-socket=OFF) authenticates nobody. */
  for (guint k = 0; k < G_N_ELEMENTS(registry_builtins); k++)
  {
    const char *name = registry_builtins[k];
    struct st_maria_plugin *decl = tlsp_server_builtin_auth_by_name(name);
    if (decl && wrap_one(decl->info, name, NULL, FALSE))
      uncovered_drop(name);
    else
      note_uncovered(
          name,
          "not active in this server, or its declaration is not reachable");
  }

  Dl_info self;
  const char *self_path =
      dladdr((void *) trampoline_call, &self) ? self.dli_fname : "";
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  dl_iterate_phdr(names_cb, names);
  for (guint k = 0; k < names->len; k++)
  {
    const char *path = g_ptr_array_index(names, k);
    if (strcmp(path, self_path) != 0)
      scan_library(path);
  }
}

gboolean tlsp_auth_hook_install(GError **error)
{
  g_mutex_lock(&hook_lock);
  if (!uncovered)
    uncovered = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_set_size(uncovered, 0);
  rescan_locked();
  gboolean ok = FALSE;
  for (int i = 0; i < TP_AUTH_SLOTS; i++)
    if (slots[i].wrapped && slots[i].first_pass)
      ok = TRUE;
  g_atomic_int_set(&installed, ok);
  g_mutex_unlock(&hook_lock);
  if (!ok)
  {
    tlsp_auth_hook_remove();
    g_set_error(error, g_quark_from_static_string("tp-auth-hook"), 1,
                "could not wrap the built-in authentication handlers");
  }
  return ok;
}

void tlsp_auth_hook_remove(void)
{
  g_mutex_lock(&hook_lock);
  g_atomic_int_set(&installed, 0);
  for (int i = 0; i < TP_AUTH_SLOTS; i++)
  {
    tlsp_auth_slot *s = &slots[i];
    if (!s->wrapped)
      continue;
    s->wrapped = FALSE;
    /* Only where our trampoline is still in place, in memory still mapped.
     * Built-ins (library "") live in mariadbd itself. */
    if (!address_writable(&s->auth->authenticate_user,
                          s->library[0] ? s->library : NULL))
      continue;
    auth_fn expected = trampolines[i];
    __atomic_compare_exchange_n(&s->auth->authenticate_user, &expected,
                                s->original, FALSE, __ATOMIC_RELEASE,
                                __ATOMIC_RELAXED);
  }
  g_mutex_unlock(&hook_lock);
}

void tlsp_auth_hook_refresh(void)
{
  unsigned long long c[2] = {0, 0};
  dl_iterate_phdr(counters_cb, c);
  if (c[0] == __atomic_load_n(&seen_adds, __ATOMIC_RELAXED) &&
      c[1] == __atomic_load_n(&seen_subs, __ATOMIC_RELAXED))
    return;
  g_mutex_lock(&hook_lock);
  if (g_atomic_int_get(&installed))
    rescan_locked();
  g_mutex_unlock(&hook_lock);
}

static void join_names(char *buf, size_t len, gboolean want_covered)
{
  GString *s = g_string_new(NULL);
  g_mutex_lock(&hook_lock);
  if (want_covered)
  {
    for (int i = 0; i < TP_AUTH_SLOTS; i++)
      if (slots[i].wrapped)
        g_string_append_printf(s, "%s%s", s->len ? "," : "", slots[i].name);
  }
  else if (uncovered)
  {
    for (guint k = 0; k < uncovered->len; k++)
      g_string_append_printf(s, "%s%s", s->len ? "," : "",
                             (char *) g_ptr_array_index(uncovered, k));
  }
  g_mutex_unlock(&hook_lock);
  g_strlcpy(buf, s->str, len);
  g_string_free(s, TRUE);
}

void tlsp_auth_hook_covered(char *buf, size_t len)
{
  join_names(buf, len, TRUE);
}
void tlsp_auth_hook_uncovered(char *buf, size_t len)
{
  join_names(buf, len, FALSE);
}
