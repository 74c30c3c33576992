/*
 * test_policy_snapshot.c — unit tests of policy_snapshot.c: grouping of
 * rows into (Host, User) alternatives, lookup in the server's account
 * order, fail-closed rows, cost independent of other users, refcounting.
 *
 * Requirement texts used: "SSL", "X509", "NONE" (valid in every version of
 * the grammar) and "NOT A RULE" (invalid).
 */
#include <inttypes.h>
#include <string.h>
#include <glib.h>

#include "tls_policy/account_match.h"
#include "tls_policy/policy_snapshot.h"

static void add_row(tlsp_policy_snapshot_builder *b, uint64_t id,
                    const char *host, const char *user, const char *req)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = tlsp_policy_snapshot_builder_add(
      b, id, host, user, req, strlen(req), TP_ROW_ENFORCE, NULL, &error);
  g_assert_no_error(error);
  g_assert_true(ok);
}

/* The Ids of the rows a lookup returns, "" for no match: "3,7". */
static char *lookup_ids(const tlsp_policy_snapshot *s, const char *user,
                        const char *host, const char *ip)
{
  const GPtrArray *rows = tlsp_policy_snapshot_lookup(s, user, host, ip);
  GString *out = g_string_new(NULL);
  for (guint i = 0; rows && i < rows->len; i++)
  {
    const tlsp_policy_row *r = g_ptr_array_index(rows, i);
    g_string_append_printf(out, "%s%" PRIu64, i ? "," : "", r->id);
  }
  if (rows)
    g_assert_cmpuint(rows->len, >, 0);
  return g_string_free(out, FALSE);
}

#define assert_lookup(s, user, host, ip, expected)                 \
  do                                                               \
  {                                                                \
    g_autofree char *got_ = lookup_ids((s), (user), (host), (ip)); \
    g_assert_cmpstr(got_, ==, (expected));                         \
  } while (0)

/* MariaDB's documentation example: alice@localhost and alice@'%'. */
static void test_lookup_doc_example(void)
{
  tlsp_policy_snapshot_builder *b = tlsp_policy_snapshot_builder_new();
  add_row(b, 1, "%", "alice", "X509");
  add_row(b, 2, "localhost", "alice", "SSL");
  g_autoptr(tlsp_policy_snapshot) s = tlsp_policy_snapshot_builder_finish(b, 5);

  g_assert_cmpuint(tlsp_policy_snapshot_generation(s), ==, 5);
  g_assert_cmpuint(tlsp_policy_snapshot_rows_loaded(s), ==, 2);
  g_assert_cmpuint(tlsp_policy_snapshot_rows_invalid(s), ==, 0);

  /* Unix socket. */
  assert_lookup(s, "alice", "localhost", NULL, "2");
  /* TCP from 10.1.2.3, with and without a resolved name. */
  assert_lookup(s, "alice", "10.1.2.3", "10.1.2.3", "1");
  assert_lookup(s, "alice", NULL, "10.1.2.3", "1");
  assert_lookup(s, "alice", "app.example.com", "10.1.2.3", "1");
  /* TCP to 127.0.0.1 that the server resolved to "localhost". */
  assert_lookup(s, "alice", "localhost", "127.0.0.1", "2");
  /* User names are case-sensitive; unknown users match nothing. */
  assert_lookup(s, "Alice", "localhost", NULL, "");
  assert_lookup(s, "bob", "localhost", NULL, "");
  assert_lookup(s, "", "localhost", NULL, "");
  assert_lookup(s, NULL, "localhost", NULL, "");

  const tlsp_policy_row *r = g_ptr_array_index(
      tlsp_policy_snapshot_lookup(s, "alice", "localhost", NULL), 0);
  g_assert_cmpstr(r->host, ==, "localhost");
  g_assert_cmpstr(r->user, ==, "alice");
  g_assert_cmpstr(r->requirement_text, ==, "SSL");
  g_assert_nonnull(r->requirement);
  g_assert_null(r->parse_error);
}

/* The anonymous user: the server's famous ''@localhost trap. */
static void test_lookup_anonymous(void)
{
  tlsp_policy_snapshot_builder *b = tlsp_policy_snapshot_builder_new();
  add_row(b, 1, "%", "alice", "X509");
  add_row(b, 2, "localhost", "", "SSL");
  add_row(b, 3, "%", "", "NONE");
  add_row(b, 4, "db.example.com", "carol", "SSL");
  g_autoptr(tlsp_policy_snapshot) s = tlsp_policy_snapshot_builder_finish(b, 1);

  /* ''@localhost is more specific than alice@'%': it wins locally. */
  assert_lookup(s, "alice", "localhost", NULL, "2");
  /* From elsewhere alice@'%' beats ''@'%' (same host, named user). */
  assert_lookup(s, "alice", NULL, "10.1.2.3", "1");
  /* Users without rows of their own get the anonymous ones. */
  assert_lookup(s, "bob", NULL, "10.1.2.3", "3");
  assert_lookup(s, "bob", "localhost", NULL, "2");
  assert_lookup(s, "", "localhost", NULL, "2");
  /* An exact host of the named user beats the anonymous localhost... */
  assert_lookup(s, "carol", "db.example.com", "192.0.2.1", "4");
  /* ...and both are exact: the named user (the 'u' bit) decides. */
  tlsp_policy_snapshot_builder *b2 = tlsp_policy_snapshot_builder_new();
  add_row(b2, 1, "localhost", "", "NONE");
  add_row(b2, 2, "localhost", "dave", "SSL");
  g_autoptr(tlsp_policy_snapshot) s2 =
      tlsp_policy_snapshot_builder_finish(b2, 2);
  assert_lookup(s2, "dave", "localhost", NULL, "2");
  assert_lookup(s2, "erin", "localhost", NULL, "1");
}

static void test_lookup_ip_forms(void)
{
  tlsp_policy_snapshot_builder *b = tlsp_policy_snapshot_builder_new();
  add_row(b, 10, "%", "u", "NONE");
  add_row(b, 11, "192.168.%", "u", "NONE");
  add_row(b, 12, "192.168.1.%", "u", "NONE");
  add_row(b, 13, "192.168.0.0/16", "u", "NONE");
  add_row(b, 14, "192.168.1.0/255.255.255.0", "u", "NONE");
  add_row(b, 15, "10.0.0.0/8", "u", "NONE");
  add_row(b, 16, "fd00::/8", "u", "NONE");
  add_row(b, 17, "fd00::%", "u", "NONE");
  g_autoptr(tlsp_policy_snapshot) s = tlsp_policy_snapshot_builder_finish(b, 1);

  /* Netmask (magic 0) beats 192.168.1.%, and "192.168.1.0/255.255.255.0"
   * beats the CIDR's "192.168.0.0/255.255.0.0" by descending strcmp. */
  assert_lookup(s, "u", NULL, "192.168.1.5", "14");
  /* Outside the /24: the /16 CIDR beats 192.168.% (wildcard). */
  assert_lookup(s, "u", NULL, "192.168.2.5", "13");
  assert_lookup(s, "u", NULL, "10.9.8.7", "15");
  assert_lookup(s, "u", NULL, "172.16.0.1", "10");
  /* IPv6: the CIDR beats the wildcard text pattern. */
  assert_lookup(s, "u", NULL, "fd00::1", "16");
  assert_lookup(s, "u", NULL, "fe80::1", "10");
  /* A unix socket login reaches only text patterns. */
  assert_lookup(s, "u", "localhost", NULL, "10");
}

static void test_lookup_alternatives(void)
{
  tlsp_policy_snapshot_builder *b = tlsp_policy_snapshot_builder_new();
  add_row(b, 7, "DB.example.com", "app", "X509");
  add_row(b, 9, "%", "app", "NONE");
  add_row(b, 3, "db.example.com", "app", "SSL");
  add_row(b, 5, "db.example.com", "App", "SSL");
  g_autoptr(tlsp_policy_snapshot) s = tlsp_policy_snapshot_builder_finish(b, 1);

  /* Hosts compare after lower-casing (the server stores them lower-cased):
   * ids 3 and 7 are one pair, returned in Id order. */
  assert_lookup(s, "app", "db.example.com", "192.0.2.1", "3,7");
  assert_lookup(s, "app", "DB.EXAMPLE.COM", "192.0.2.1", "3,7");
  assert_lookup(s, "app", "other.example.com", "192.0.2.1", "9");
  assert_lookup(s, "App", "db.example.com", "192.0.2.1", "5");

  /* Rows in table order (the order they were added), hosts as stored. */
  const GPtrArray *rows = tlsp_policy_snapshot_rows(s);
  g_assert_cmpuint(rows->len, ==, 4);
  const uint64_t want[] = {7, 9, 3, 5};
  for (guint i = 0; i < rows->len; i++)
    g_assert_cmpuint(((tlsp_policy_row *) g_ptr_array_index(rows, i))->id, ==,
                     want[i]);
  g_assert_cmpstr(((tlsp_policy_row *) g_ptr_array_index(rows, 0))->host, ==,
                  "DB.example.com");

  /* Empty Host is '%', the same pair. */
  tlsp_policy_snapshot_builder *b2 = tlsp_policy_snapshot_builder_new();
  add_row(b2, 2, "", "x", "SSL");
  add_row(b2, 1, "%", "x", "X509");
  g_autoptr(tlsp_policy_snapshot) s2 =
      tlsp_policy_snapshot_builder_finish(b2, 1);
  assert_lookup(s2, "x", "anywhere", "203.0.113.1", "1,2");
}

/* Two different texts the server could not tell apart: smallest Id wins. */
static void test_lookup_equal_order_tie(void)
{
  tlsp_policy_snapshot_builder *b = tlsp_policy_snapshot_builder_new();
  add_row(b, 8, "10.0.0.0/255.0.0.0", "u", "SSL");
  add_row(b, 4, "10.0.0.0/8", "u", "X509");
  g_autoptr(tlsp_policy_snapshot) s = tlsp_policy_snapshot_builder_finish(b, 1);
  assert_lookup(s, "u", NULL, "10.1.1.1", "4");
}

static void test_row_invalid_requirement(void)
{
  tlsp_policy_snapshot_builder *b = tlsp_policy_snapshot_builder_new();
  add_row(b, 1, "%", "alice", "NOT A RULE");
  add_row(b, 2, "%", "alice", "SSL");
  g_autoptr(tlsp_policy_snapshot) s = tlsp_policy_snapshot_builder_finish(b, 1);

  g_assert_cmpuint(tlsp_policy_snapshot_rows_invalid(s), ==, 1);
  const GPtrArray *rows =
      tlsp_policy_snapshot_lookup(s, "alice", NULL, "10.0.0.1");
  g_assert_nonnull(rows);
  g_assert_cmpuint(rows->len, ==, 2);
  const tlsp_policy_row *bad = g_ptr_array_index(rows, 0);
  g_assert_cmpuint(bad->id, ==, 1);
  g_assert_null(bad->requirement);
  g_assert_nonnull(bad->parse_error);
  g_assert_cmpstr(bad->requirement_text, ==, "NOT A RULE");
  const tlsp_policy_row *good = g_ptr_array_index(rows, 1);
  g_assert_nonnull(good->requirement);
  g_assert_null(good->parse_error);
}

static void test_row_invalid_host(void)
{
  tlsp_policy_snapshot_builder *b = tlsp_policy_snapshot_builder_new();
  add_row(b, 1, "localhost", "alice", "SSL");
  add_row(b, 2, "%", "bob", "NONE");
  g_autoptr(GError) error = NULL;
  gboolean ok = tlsp_policy_snapshot_builder_add(
      b, 3, "10.0.0.1/8", "alice", "NONE", 4, TP_ROW_ENFORCE, "typo", &error);
  g_assert_false(ok);
  g_assert_error(error, TP_ACCOUNT_ERROR, TP_ACCOUNT_ERROR_HOST_ADDRESS);
  g_assert_nonnull(strstr(error->message, "row 3"));
  g_autoptr(tlsp_policy_snapshot) s = tlsp_policy_snapshot_builder_finish(b, 1);

  g_assert_cmpuint(tlsp_policy_snapshot_rows_loaded(s), ==, 3);
  g_assert_cmpuint(tlsp_policy_snapshot_rows_invalid(s), ==, 1);
  /* The invalid row decides every login of alice, even the one an exact
   * row would match: it carries no requirement, so the login is denied. */
  assert_lookup(s, "alice", "localhost", NULL, "3");
  assert_lookup(s, "alice", NULL, "192.0.2.1", "3");
  const tlsp_policy_row *r = g_ptr_array_index(
      tlsp_policy_snapshot_lookup(s, "alice", NULL, "10.0.0.1"), 0);
  g_assert_null(r->requirement);
  g_assert_nonnull(r->parse_error);
  g_assert_nonnull(strstr(r->parse_error, "invalid account"));
  g_assert_cmpstr(r->host, ==, "10.0.0.1/8");
  g_assert_cmpstr(r->comment, ==, "typo");
  /* Other users are not affected. */
  assert_lookup(s, "bob", "localhost", NULL, "2");
}

/*
 * 100,000 rows for other users; alice's lookup examines only alice's and
 * the anonymous groups (counted by the snapshot, not timed).
 */
static void test_lookup_cost_independent(void)
{
  tlsp_policy_snapshot_builder *b = tlsp_policy_snapshot_builder_new();
  static const char *const hosts[] = {"%", "10.%", "localhost", "10.0.0.0/8"};
  char user[32];
  for (guint i = 0; i < 100000; i++)
  {
    g_snprintf(user, sizeof user, "user%06u", i % 25000);
    add_row(b, 1000 + i, hosts[i / 25000], user, "SSL");
  }
  add_row(b, 1, "localhost", "alice", "SSL");
  add_row(b, 2, "10.1.%", "alice", "X509");
  add_row(b, 3, "%.example.com", "alice", "NONE");
  add_row(b, 4, "192.0.2.%", "", "NONE");
  g_autoptr(tlsp_policy_snapshot) s = tlsp_policy_snapshot_builder_finish(b, 9);
  g_assert_cmpuint(tlsp_policy_snapshot_rows_loaded(s), ==, 100004);

  guint n = 0;
  /* Server order: alice@localhost (exact), alice@'%.example.com' (L=243),
   * ''@'192.0.2.%' (L=247), alice@'10.1.%' (L=250). */
  const GPtrArray *rows =
      tlsp_policy_snapshot_lookup_counted(s, "alice", "localhost", NULL, &n);
  g_assert_nonnull(rows);
  g_assert_cmpuint(n, ==, 1);
  rows = tlsp_policy_snapshot_lookup_counted(s, "alice", "a.example.com",
                                             "172.16.0.1", &n);
  g_assert_cmpuint(((tlsp_policy_row *) g_ptr_array_index(rows, 0))->id, ==, 3);
  g_assert_cmpuint(n, ==, 2);
  rows =
      tlsp_policy_snapshot_lookup_counted(s, "alice", NULL, "203.0.113.1", &n);
  g_assert_null(rows);
  g_assert_cmpuint(n, ==, 4);
  /* A user without rows: only the one anonymous group. */
  rows = tlsp_policy_snapshot_lookup_counted(s, "zed", NULL, "203.0.113.1", &n);
  g_assert_null(rows);
  g_assert_cmpuint(n, ==, 1);
  /* One of the many: its four groups and the anonymous one, in the order
   * localhost, 10.0.0.0/8, ''@'192.0.2.%', '10.%', '%'. */
  rows = tlsp_policy_snapshot_lookup_counted(s, "user000042", NULL,
                                             "203.0.113.1", &n);
  g_assert_cmpuint(((tlsp_policy_row *) g_ptr_array_index(rows, 0))->id, ==,
                   1042);
  g_assert_cmpuint(n, ==, 5);
  g_assert_cmpuint(rows->len, ==, 1);
}

/* ---- refcount ---------------------------------------------------------- */

typedef struct {
  tlsp_policy_snapshot *s;
  guint rounds;
} ref_job;

static gpointer ref_worker(gpointer data)
{
  ref_job *job = data;
  for (guint i = 0; i < job->rounds; i++)
  {
    tlsp_policy_snapshot *mine = tlsp_policy_snapshot_ref(job->s);
    g_assert_true(mine == job->s);
    const GPtrArray *rows =
        tlsp_policy_snapshot_lookup(mine, "alice", "localhost", NULL);
    g_assert_nonnull(rows);
    g_assert_cmpuint(rows->len, ==, 1);
    tlsp_policy_snapshot_unref(mine);
  }
  return NULL;
}

static void test_refcount_threads(void)
{
  guint live_before = tlsp_policy_snapshot_live_count();
  tlsp_policy_snapshot_builder *b = tlsp_policy_snapshot_builder_new();
  add_row(b, 1, "localhost", "alice", "SSL");
  tlsp_policy_snapshot *s = tlsp_policy_snapshot_builder_finish(b, 1);
  g_assert_cmpuint(tlsp_policy_snapshot_live_count(), ==, live_before + 1);

  /* Each thread also holds a reference across its whole run, dropped by
   * the thread itself, in whatever order the threads end. */
  ref_job job = {s, 20000};
  GThread *threads[8];
  for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
    threads[i] = g_thread_new("ref", ref_worker, &job);
  for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
    g_thread_join(threads[i]);

  g_assert_cmpuint(tlsp_policy_snapshot_live_count(), ==, live_before + 1);
  tlsp_policy_snapshot *extra = tlsp_policy_snapshot_ref(s);
  tlsp_policy_snapshot_unref(s);
  g_assert_cmpuint(tlsp_policy_snapshot_live_count(), ==, live_before + 1);
  tlsp_policy_snapshot_unref(extra);
  g_assert_cmpuint(tlsp_policy_snapshot_live_count(), ==, live_before);

  tlsp_policy_snapshot_unref(NULL); /* allowed, like free(NULL) */
  tlsp_policy_snapshot_builder_free(NULL);
  g_assert_null(tlsp_policy_snapshot_lookup(NULL, "alice", "localhost", NULL));
}

static gpointer hold_and_release(gpointer data)
{
  tlsp_policy_snapshot_unref(data);
  return NULL;
}

/* The last reference may be dropped on any thread. */
static void test_refcount_last_unref_elsewhere(void)
{
  guint live_before = tlsp_policy_snapshot_live_count();
  tlsp_policy_snapshot_builder *b = tlsp_policy_snapshot_builder_new();
  add_row(b, 1, "%", "u", "SSL");
  tlsp_policy_snapshot *s = tlsp_policy_snapshot_builder_finish(b, 1);
  GThread *t[4];
  for (guint i = 0; i < G_N_ELEMENTS(t); i++)
    t[i] = g_thread_new("unref", hold_and_release, tlsp_policy_snapshot_ref(s));
  tlsp_policy_snapshot_unref(s);
  for (guint i = 0; i < G_N_ELEMENTS(t); i++)
    g_thread_join(t[i]);
  g_assert_cmpuint(tlsp_policy_snapshot_live_count(), ==, live_before);
}

static void test_builder_abandoned(void)
{
  guint live_before = tlsp_policy_snapshot_live_count();
  tlsp_policy_snapshot_builder *b = tlsp_policy_snapshot_builder_new();
  add_row(b, 1, "%", "u", "SSL");
  add_row(b, 2, "%", "u", "NOT A RULE");
  tlsp_policy_snapshot_builder_free(b);
  g_assert_cmpuint(tlsp_policy_snapshot_live_count(), ==, live_before);

  /* An empty snapshot is valid and matches nothing. */
  g_autoptr(tlsp_policy_snapshot) s = tlsp_policy_snapshot_builder_finish(
      tlsp_policy_snapshot_builder_new(), 0);
  g_assert_cmpuint(tlsp_policy_snapshot_rows_loaded(s), ==, 0);
  guint n = 99;
  g_assert_null(
      tlsp_policy_snapshot_lookup_counted(s, "u", "localhost", NULL, &n));
  g_assert_cmpuint(n, ==, 0);
}

/* ENFORCE and REPORT rows are grouped and looked up apart. */
static void test_lookup_modes_apart(void)
{
  tlsp_policy_snapshot_builder *b = tlsp_policy_snapshot_builder_new();
  add_row(b, 1, "%", "alice", "X509");
  g_assert_true(tlsp_policy_snapshot_builder_add(
      b, 2, "localhost", "alice", "SSL", 3, TP_ROW_REPORT, NULL, NULL));
  g_assert_true(tlsp_policy_snapshot_builder_add(b, 3, "%", "alice", "NONE", 4,
                                                 TP_ROW_REPORT, NULL, NULL));
  /* an invalid Host: a fail-closed REPORT group, first among REPORT rows */
  g_assert_false(tlsp_policy_snapshot_builder_add(
      b, 4, "10.0.0.1/8", "", "SSL", 3, TP_ROW_REPORT, NULL, NULL));
  g_autoptr(tlsp_policy_snapshot) s = tlsp_policy_snapshot_builder_finish(b, 1);

  assert_lookup(s, "alice", "localhost", NULL, "1");
  assert_lookup(s, "bob", "localhost", NULL, "");
  guint n = 0;
  const GPtrArray *rows = tlsp_policy_snapshot_lookup_mode(
      s, TP_ROW_REPORT, "alice", "localhost", NULL, &n);
  g_assert_nonnull(rows);
  g_assert_cmpuint(rows->len, ==, 1);
  g_assert_cmpuint(((tlsp_policy_row *) g_ptr_array_index(rows, 0))->id, ==, 4);
  g_assert_cmpuint(n, ==, 1);

  b = tlsp_policy_snapshot_builder_new();
  add_row(b, 1, "%", "alice", "X509");
  g_assert_true(tlsp_policy_snapshot_builder_add(
      b, 2, "localhost", "alice", "SSL", 3, TP_ROW_REPORT, NULL, NULL));
  g_assert_true(tlsp_policy_snapshot_builder_add(b, 3, "%", "alice", "NONE", 4,
                                                 TP_ROW_REPORT, NULL, NULL));
  g_autoptr(tlsp_policy_snapshot) s2 =
      tlsp_policy_snapshot_builder_finish(b, 2);
  assert_lookup(s2, "alice", "localhost", NULL, "1");
  rows = tlsp_policy_snapshot_lookup_mode(s2, TP_ROW_REPORT, "alice",
                                          "localhost", NULL, NULL);
  g_assert_cmpuint(((tlsp_policy_row *) g_ptr_array_index(rows, 0))->id, ==, 2);
  rows = tlsp_policy_snapshot_lookup_mode(s2, TP_ROW_REPORT, "alice",
                                          "a.example.com", NULL, NULL);
  g_assert_cmpuint(((tlsp_policy_row *) g_ptr_array_index(rows, 0))->id, ==, 3);
  g_assert_null(tlsp_policy_snapshot_lookup_mode(s2, TP_ROW_REPORT, "bob",
                                                 "localhost", NULL, NULL));
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/snapshot/lookup/doc-example", test_lookup_doc_example);
  g_test_add_func("/snapshot/lookup/anonymous", test_lookup_anonymous);
  g_test_add_func("/snapshot/lookup/ip-forms", test_lookup_ip_forms);
  g_test_add_func("/snapshot/lookup/alternatives", test_lookup_alternatives);
  g_test_add_func("/snapshot/lookup/equal-order-tie",
                  test_lookup_equal_order_tie);
  g_test_add_func("/snapshot/lookup/cost-independent",
                  test_lookup_cost_independent);
  g_test_add_func("/snapshot/lookup/modes-apart", test_lookup_modes_apart);
  g_test_add_func("/snapshot/row/invalid-requirement",
                  test_row_invalid_requirement);
  g_test_add_func("/snapshot/row/invalid-host", test_row_invalid_host);
  g_test_add_func("/snapshot/refcount/threads", test_refcount_threads);
  g_test_add_func("/snapshot/refcount/last-unref-elsewhere",
                  test_refcount_last_unref_elsewhere);
  g_test_add_func("/snapshot/builder/abandoned", test_builder_abandoned);
  return g_test_run();
}
