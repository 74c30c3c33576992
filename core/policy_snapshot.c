/*
 * policy_snapshot.c — an immutable, indexed generation of mysql.tls_policy
 * (include/tls_policy/policy_snapshot.h).
 *
 * Rows with the same (Host, User, Mode) — Host compared after the server's
 * normalisation (lower case, '' = '%'), User exactly, fail-closed accounts
 * apart from valid ones — form one group; the
 * rows of a group are alternatives, kept in Id order.  ENFORCE and REPORT
 * rows never share a group and have an index each, so that REPORT rows
 * cannot change which ENFORCE rows apply: the ENFORCE lookup is the one a
 * table without REPORT rows would give.  An index is a hash from exact user
 * name to that user's groups in server order (tlsp_account_compare(), i.e.
 * acl_user_compare()), plus the array of the anonymous user's ('') groups
 * in the same order.  A lookup walks the two arrays merged in that order
 * and returns the first group whose Host matches: the same answer as the
 * server's find_by_username_or_anon(), which takes the user's first match
 * unless an anonymous account sorts strictly before it.  Its cost is the
 * groups of the login's user name and of '', independent of every other
 * user's rows.
 *
 * Ties the server never sees (two different Host texts with the same order,
 * e.g. "10.0.0.0/8" and "10.0.0.0/255.0.0.0") are broken by the smallest
 * row Id of each group, then by the order rows were added.
 *
 * Thread safety: the builder belongs to one thread.  A finished snapshot is
 * never modified; lookups need no lock.  ref/unref are atomic (GLib's
 * atomic RC box); the last unref frees every row, group and index.
 */
#include "tls_policy/policy_snapshot.h"

#include <inttypes.h>
#include <string.h>

#include "tls_policy/account_match.h"

typedef struct group {
  tlsp_account *account;
  GPtrArray *rows; /* tlsp_policy_row *, borrowed from the row list; Id order */
  tlsp_row_mode mode; /* of every row in the group */
  uint64_t min_id;
  guint seq; /* order of creation: the last tie-break */
} group;

/* The groups of one mode, indexed for lookup. */
typedef struct mode_index {
  GHashTable *by_user;  /* user name (owned by a group's account) ->
                         * GPtrArray of group *, server order */
  GPtrArray *anonymous; /* group * of User '', server order */
} mode_index;

struct tlsp_policy_snapshot_builder {
  GPtrArray *rows;         /* owns tlsp_policy_row, in the order added */
  GPtrArray *groups;       /* owns group */
  GHashTable *group_index; /* "<mode>:<x|v>:<len>:<user><host>" (owned)
                            * -> group */
  guint rows_invalid;
};

struct tlsp_policy_snapshot {
  uint64_t generation;
  GPtrArray *rows;    /* owns tlsp_policy_row, table order */
  GPtrArray *groups;  /* owns group */
  mode_index enforce; /* groups of ENFORCE rows */
  mode_index report;  /* groups of REPORT rows */
  guint rows_invalid;
};

/* Snapshots finished and not yet freed (tlsp_policy_snapshot_live_count). */
static gint live_snapshots;

static void row_free(gpointer p)
{
  tlsp_policy_row *row = p;
  if (!row)
    return;
  g_free(row->host);
  g_free(row->user);
  g_free(row->requirement_text);
  g_free(row->comment);
  if (row->requirement)
    tlsp_requirement_free(row->requirement);
  g_free(row->parse_error);
  g_free(row);
}

static void group_free(gpointer p)
{
  group *g = p;
  tlsp_account_free(g->account);
  g_ptr_array_unref(g->rows);
  g_free(g);
}

static int group_compare(const group *a, const group *b)
{
  int c = tlsp_account_compare(a->account, b->account);
  if (c)
    return c;
  if (a->min_id != b->min_id)
    return a->min_id < b->min_id ? -1 : 1;
  return a->seq < b->seq ? -1 : a->seq > b->seq ? 1 : 0;
}

static gint group_ptr_compare(gconstpointer a, gconstpointer b)
{
  return group_compare(*(group *const *) a, *(group *const *) b);
}

static gint row_id_compare(gconstpointer a, gconstpointer b)
{
  const tlsp_policy_row *ra = *(tlsp_policy_row *const *) a;
  const tlsp_policy_row *rb = *(tlsp_policy_row *const *) b;
  return ra->id < rb->id ? -1 : ra->id > rb->id ? 1 : 0;
}

/* ---- mode index ----------------------------------------------------------- */

static void mode_index_init(mode_index *x)
{
  x->anonymous = g_ptr_array_new();
  x->by_user = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                     (GDestroyNotify) g_ptr_array_unref);
}

static void mode_index_clear(mode_index *x)
{
  g_hash_table_unref(x->by_user);
  g_ptr_array_unref(x->anonymous);
}

static void mode_index_add(mode_index *x, group *g)
{
  const char *user = tlsp_account_user(g->account);
  if (*user == '\0')
  {
    g_ptr_array_add(x->anonymous, g);
    return;
  }
  GPtrArray *list = g_hash_table_lookup(x->by_user, user);
  if (!list)
  {
    list = g_ptr_array_new();
    g_hash_table_insert(x->by_user, (gpointer) user, list);
  }
  g_ptr_array_add(list, g);
}

static void mode_index_sort(mode_index *x)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, x->by_user);
  while (g_hash_table_iter_next(&it, NULL, &value))
    g_ptr_array_sort(value, group_ptr_compare);
  g_ptr_array_sort(x->anonymous, group_ptr_compare);
}

/* The first group of `x`, in server order, whose Host accepts the login. */
static const GPtrArray *mode_index_lookup(const mode_index *x, const char *user,
                                          const char *host, const char *ip,
                                          guint *n_examined)
{
  /* A NULL or empty user name has only the anonymous accounts. */
  const GPtrArray *named =
      user && *user ? g_hash_table_lookup(x->by_user, user) : NULL;
  const GPtrArray *anon = x->anonymous;
  guint i = 0, j = 0;
  guint ni = named ? named->len : 0, nj = anon->len;

  while (i < ni || j < nj)
  {
    const group *g;
    /* On a tie the named account wins, as in the server (which cannot
     * tie here anyway: the user bit of the sort differs). */
    if (j >= nj || (i < ni && group_compare(g_ptr_array_index(named, i),
                                            g_ptr_array_index(anon, j)) <= 0))
      g = g_ptr_array_index(named, i++);
    else
      g = g_ptr_array_index(anon, j++);
    (*n_examined)++;
    if (tlsp_account_matches_host(g->account, host, ip))
      return g->rows;
  }
  return NULL;
}

/* ---- builder -------------------------------------------------------------- */

tlsp_policy_snapshot_builder *tlsp_policy_snapshot_builder_new(void)
{
  tlsp_policy_snapshot_builder *b = g_new0(tlsp_policy_snapshot_builder, 1);
  b->rows = g_ptr_array_new_with_free_func(row_free);
  b->groups = g_ptr_array_new_with_free_func(group_free);
  b->group_index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  return b;
}

void tlsp_policy_snapshot_builder_free(tlsp_policy_snapshot_builder *b)
{
  if (!b)
    return;
  g_hash_table_unref(b->group_index);
  if (b->groups)
    g_ptr_array_unref(b->groups);
  if (b->rows)
    g_ptr_array_unref(b->rows);
  g_free(b);
}

/* Puts the row into the group of its (normalised Host, User); takes the
 * account when it starts a new group. */
static void builder_group_row(tlsp_policy_snapshot_builder *b,
                              tlsp_account *account, tlsp_policy_row *row)
{
  const char *user = tlsp_account_user(account);
  /* The length prefix keeps ("ab","c") and ("a","bc") apart; a
   * fail-closed account never shares a group with a valid one of the same
   * text (a User stripped of its trailing spaces may meet a valid row). */
  char *key = g_strdup_printf(
      "%d:%c:%zu:%s%s", (int) row->mode,
      tlsp_account_host_kind(account) == TP_HOST_INVALID ? 'x' : 'v',
      strlen(user), user, tlsp_account_host(account));
  group *g = g_hash_table_lookup(b->group_index, key);
  if (!g)
  {
    g = g_new0(group, 1);
    g->account = account;
    g->rows = g_ptr_array_new();
    g->mode = row->mode;
    g->min_id = row->id;
    g->seq = b->groups->len;
    g_ptr_array_add(b->groups, g);
    g_hash_table_insert(b->group_index, key, g);
  }
  else
  {
    tlsp_account_free(account);
    g_free(key);
  }
  g_ptr_array_add(g->rows, row);
  if (row->id < g->min_id)
    g->min_id = row->id;
}

gboolean tlsp_policy_snapshot_builder_add(
    tlsp_policy_snapshot_builder *b, uint64_t id, const char *host,
    const char *user, const char *requirement_text, size_t requirement_len,
    tlsp_row_mode mode, const char *comment, GError **error)
{
  g_return_val_if_fail(b != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

  if (!requirement_text)
    requirement_len = 0;

  tlsp_policy_row *row = g_new0(tlsp_policy_row, 1);
  row->id = id;
  row->host = g_strdup(host ? host : "");
  row->user = g_strdup(user ? user : "");
  /* An embedded NUL cannot be shown in a C string; the parser sees the
   * whole text and refuses it. */
  row->requirement_text =
      g_strndup(requirement_text ? requirement_text : "", requirement_len);
  row->mode = mode;
  row->comment = g_strdup(comment);

  g_autoptr(GError) account_error = NULL;
  tlsp_account *account = tlsp_account_new(host, user, &account_error);
  if (!account)
  {
    /* Fail closed: the row stays, matches every host of its user, sorts
     * first, and carries no requirement, so its account is denied. */
    row->parse_error =
        g_strdup_printf("invalid account: %s", account_error->message);
    row->parse_error_pos = 0;
    account = tlsp_account_new_fail_closed(host, user);
    /* A User that ends in spaces names the account the server knows
     * without them (account_match.h): the row fails that one closed too. */
    const char *u = user ? user : "";
    size_t n = strlen(u);
    while (n > 0 && u[n - 1] == ' ')
      n--;
    g_autofree char *stripped = g_strndup(u, n);
    if (u[n] != '\0')
      builder_group_row(b, tlsp_account_new_fail_closed(host, stripped), row);
  }
  else
  {
    g_autoptr(GError) parse_error = NULL;
    size_t pos = 0;
    row->requirement =
        tlsp_requirement_parse(requirement_text ? requirement_text : "",
                               requirement_len, &pos, &parse_error);
    if (!row->requirement)
    {
      row->parse_error = g_strdup(parse_error ? parse_error->message
                                              : "Requirement does not parse");
      row->parse_error_pos = pos;
    }
  }
  if (row->parse_error)
    b->rows_invalid++;

  g_ptr_array_add(b->rows, row);
  builder_group_row(b, account, row);

  if (account_error)
  {
    g_propagate_prefixed_error(error, g_steal_pointer(&account_error),
                               "row %" PRIu64 ": ", id);
    return FALSE;
  }
  return TRUE;
}

tlsp_policy_snapshot *
tlsp_policy_snapshot_builder_finish(tlsp_policy_snapshot_builder *b,
                                    uint64_t generation)
{
  g_return_val_if_fail(b != NULL, NULL);

  tlsp_policy_snapshot *s = g_atomic_rc_box_new0(tlsp_policy_snapshot);
  s->generation = generation;
  s->rows = g_steal_pointer(&b->rows);
  s->groups = g_steal_pointer(&b->groups);
  s->rows_invalid = b->rows_invalid;
  mode_index_init(&s->enforce);
  mode_index_init(&s->report);
  tlsp_policy_snapshot_builder_free(b);

  for (guint i = 0; i < s->groups->len; i++)
  {
    group *g = g_ptr_array_index(s->groups, i);
    g_ptr_array_sort(g->rows, row_id_compare);
    mode_index_add(g->mode == TP_ROW_REPORT ? &s->report : &s->enforce, g);
  }
  mode_index_sort(&s->enforce);
  mode_index_sort(&s->report);
  g_atomic_int_inc(&live_snapshots);
  return s;
}

/* ---- snapshot ------------------------------------------------------------- */

static void snapshot_clear(gpointer p)
{
  tlsp_policy_snapshot *s = p;
  /* The index borrows from the groups, the groups from the rows. */
  mode_index_clear(&s->enforce);
  mode_index_clear(&s->report);
  g_ptr_array_unref(s->groups);
  g_ptr_array_unref(s->rows);
  g_atomic_int_add(&live_snapshots, -1);
}

guint tlsp_policy_snapshot_live_count(void)
{
  return (guint) g_atomic_int_get(&live_snapshots);
}

tlsp_policy_snapshot *tlsp_policy_snapshot_ref(tlsp_policy_snapshot *s)
{
  g_return_val_if_fail(s != NULL, NULL);
  return g_atomic_rc_box_acquire(s);
}

void tlsp_policy_snapshot_unref(tlsp_policy_snapshot *s)
{
  if (s)
    g_atomic_rc_box_release_full(s, snapshot_clear);
}

uint64_t tlsp_policy_snapshot_generation(const tlsp_policy_snapshot *s)
{
  return s->generation;
}

guint tlsp_policy_snapshot_rows_loaded(const tlsp_policy_snapshot *s)
{
  return s->rows->len;
}

guint tlsp_policy_snapshot_rows_invalid(const tlsp_policy_snapshot *s)
{
  return s->rows_invalid;
}

const GPtrArray *tlsp_policy_snapshot_rows(const tlsp_policy_snapshot *s)
{
  return s->rows;
}

const GPtrArray *tlsp_policy_snapshot_lookup_mode(
    const tlsp_policy_snapshot *s, tlsp_row_mode mode, const char *user,
    const char *host, const char *ip, guint *n_examined)
{
  const GPtrArray *result = NULL;
  guint examined = 0;

  if (s)
    result = mode_index_lookup(mode == TP_ROW_REPORT ? &s->report : &s->enforce,
                               user, host, ip, &examined);
  if (n_examined)
    *n_examined = examined;
  return result;
}

const GPtrArray *
tlsp_policy_snapshot_lookup_counted(const tlsp_policy_snapshot *s,
                                    const char *user, const char *host,
                                    const char *ip, guint *n_examined)
{
  return tlsp_policy_snapshot_lookup_mode(s, TP_ROW_ENFORCE, user, host, ip,
                                          n_examined);
}

const GPtrArray *tlsp_policy_snapshot_lookup(const tlsp_policy_snapshot *s,
                                             const char *user, const char *host,
                                             const char *ip)
{
  return tlsp_policy_snapshot_lookup_mode(s, TP_ROW_ENFORCE, user, host, ip,
                                          NULL);
}
