/*
 * test_log_repeat.c — the table that aggregates repeated denial lines
 * (log_repeat.c): windows per key, summaries with their counts, eviction
 * without losing a count, keys too long to aggregate.
 */
#include <string.h>
#include <glib.h>
#include "tls_policy/log_repeat.h"

#define S G_USEC_PER_SEC

static tlsp_repeat_table table;

static tlsp_repeat_action note(int reason, const char *user, const char *host,
                               gint64 now, gint64 interval,
                               tlsp_repeat_summary *sum, gboolean *has)
{
  return tlsp_repeat_note(&table, reason, user, host, now, interval, sum, has);
}

static void test_window(void)
{
  tlsp_repeat_reset(&table);
  tlsp_repeat_summary sum;
  gboolean has;
  g_assert_cmpint(note(1, "u", "h", 0, 60 * S, &sum, &has), ==, TP_REPEAT_LOG);
  g_assert_false(has);
  g_assert_cmpint(tlsp_repeat_next_due(&table, 60 * S), ==, G_MAXINT64);
  g_assert_cmpint(note(1, "u", "h", 1 * S, 60 * S, &sum, &has), ==,
                  TP_REPEAT_COUNT_FIRST);
  g_assert_cmpint(tlsp_repeat_next_due(&table, 60 * S), ==, 60 * S);
  for (int i = 0; i < 18; i++)
    g_assert_cmpint(note(1, "u", "h", 2 * S, 60 * S, &sum, &has), ==,
                    TP_REPEAT_COUNT);
  g_assert_false(has);
  /* a different reason, user or host opens its own window */
  g_assert_cmpint(note(2, "u", "h", 3 * S, 60 * S, &sum, &has), ==,
                  TP_REPEAT_LOG);
  g_assert_cmpint(note(1, "v", "h", 3 * S, 60 * S, &sum, &has), ==,
                  TP_REPEAT_LOG);
  g_assert_cmpint(note(1, "u", "h2", 3 * S, 60 * S, &sum, &has), ==,
                  TP_REPEAT_LOG);
  g_assert_cmpint(note(1, "uh", "", 3 * S, 60 * S, &sum, &has), ==,
                  TP_REPEAT_LOG);
  /* nothing is due before the window ends */
  g_assert_false(tlsp_repeat_take_due(&table, 59 * S, 60 * S, FALSE, &sum));
  g_assert_true(tlsp_repeat_take_due(&table, 61 * S, 60 * S, FALSE, &sum));
  g_assert_cmpint(sum.reason, ==, 1);
  g_assert_cmpstr(sum.user, ==, "u");
  g_assert_cmpstr(sum.host, ==, "h");
  g_assert_cmpuint(sum.count, ==, 19);
  g_assert_cmpint(sum.span_us, ==, 60 * S);
  /* the other windows counted nothing: freed, no summary */
  g_assert_false(tlsp_repeat_take_due(&table, 61 * S, 60 * S, FALSE, &sum));
  /* after its summary the key starts over with a logged line */
  g_assert_cmpint(note(1, "u", "h", 62 * S, 60 * S, &sum, &has), ==,
                  TP_REPEAT_LOG);
  g_assert_false(has);
}

/* The key refused again after its window ended, before the summary was
 * taken: the summary comes back with the new logged line. */
static void test_late_refusal(void)
{
  tlsp_repeat_reset(&table);
  tlsp_repeat_summary sum;
  gboolean has;
  note(1, "u", "h", 0, 2 * S, &sum, &has);
  note(1, "u", "h", 1 * S, 2 * S, &sum, &has);
  note(1, "u", "h", 1 * S, 2 * S, &sum, &has);
  g_assert_cmpint(note(1, "u", "h", 5 * S, 2 * S, &sum, &has), ==,
                  TP_REPEAT_LOG);
  g_assert_true(has);
  g_assert_cmpuint(sum.count, ==, 2);
  g_assert_cmpint(sum.span_us, ==, 2 * S);
  g_assert_cmpint(note(1, "u", "h", 6 * S, 2 * S, &sum, &has), ==,
                  TP_REPEAT_COUNT_FIRST);
  g_assert_false(has);
}

static void test_interval_zero(void)
{
  tlsp_repeat_reset(&table);
  tlsp_repeat_summary sum;
  gboolean has;
  note(1, "u", "h", 0, 60 * S, &sum, &has);
  note(1, "u", "h", 1 * S, 60 * S, &sum, &has);
  /* 0: every refusal is logged; what was counted is due at once */
  g_assert_cmpint(note(1, "u", "h", 2 * S, 0, &sum, &has), ==, TP_REPEAT_LOG);
  g_assert_false(has);
  g_assert_cmpint(tlsp_repeat_next_due(&table, 0), ==, 0);
  g_assert_true(tlsp_repeat_take_due(&table, 3 * S, 0, FALSE, &sum));
  g_assert_cmpuint(sum.count, ==, 1);
  g_assert_cmpint(sum.span_us, ==, 3 * S);
  g_assert_false(tlsp_repeat_take_due(&table, 3 * S, 0, FALSE, &sum));
}

/* A full table closes the window that opened first, with its count. */
static void test_eviction(void)
{
  tlsp_repeat_reset(&table);
  tlsp_repeat_summary sum;
  gboolean has;
  for (int i = 0; i < TP_REPEAT_SLOTS; i++)
  {
    g_autofree char *user = g_strdup_printf("user%d", i);
    g_assert_cmpint(note(1, user, "h", i, 60 * S, &sum, &has), ==,
                    TP_REPEAT_LOG);
    g_assert_false(has);
    g_assert_cmpint(note(1, user, "h", i, 60 * S, &sum, &has), ==,
                    TP_REPEAT_COUNT_FIRST);
  }
  g_assert_cmpint(note(1, "newcomer", "h", 1000, 60 * S, &sum, &has), ==,
                  TP_REPEAT_LOG);
  g_assert_true(has);
  g_assert_cmpstr(sum.user, ==, "user0");
  g_assert_cmpuint(sum.count, ==, 1);
  g_assert_cmpint(sum.span_us, ==, 1000);
  /* every other count is still there: closing all gives 127 + 0 */
  guint n = 0;
  guint64 total = 0;
  while (tlsp_repeat_take_due(&table, 2000, 60 * S, TRUE, &sum))
    n++, total += sum.count;
  g_assert_cmpuint(n, ==, TP_REPEAT_SLOTS - 1);
  g_assert_cmpuint(total, ==, TP_REPEAT_SLOTS - 1);
  g_assert_cmpint(tlsp_repeat_next_due(&table, 60 * S), ==, G_MAXINT64);
}

/* An ended window with nothing counted is reused before any open one. */
static void test_reuse_ended(void)
{
  tlsp_repeat_reset(&table);
  tlsp_repeat_summary sum;
  gboolean has;
  for (int i = 0; i < TP_REPEAT_SLOTS; i++)
  {
    g_autofree char *user = g_strdup_printf("user%d", i);
    note(1, user, "h", i == 5 ? 0 : 100 * S, 60 * S, &sum, &has);
    if (i != 5)
      note(1, user, "h", 100 * S, 60 * S, &sum, &has);
  }
  g_assert_cmpint(note(1, "newcomer", "h", 100 * S, 60 * S, &sum, &has), ==,
                  TP_REPEAT_LOG);
  g_assert_false(has);
}

static void test_long_keys(void)
{
  tlsp_repeat_reset(&table);
  tlsp_repeat_summary sum;
  gboolean has;
  char user[TP_REPEAT_USER_MAX + 2];
  memset(user, 'u', sizeof user - 1);
  user[sizeof user - 1] = '\0';
  for (int i = 0; i < 3; i++)
    g_assert_cmpint(note(1, user, "h", i, 60 * S, &sum, &has), ==,
                    TP_REPEAT_LOG);
  char host[TP_REPEAT_HOST_MAX + 2];
  memset(host, 'h', sizeof host - 1);
  host[sizeof host - 1] = '\0';
  for (int i = 0; i < 3; i++)
    g_assert_cmpint(note(1, "u", host, i, 60 * S, &sum, &has), ==,
                    TP_REPEAT_LOG);
  /* the longest keys that fit are aggregated */
  user[TP_REPEAT_USER_MAX] = '\0';
  host[TP_REPEAT_HOST_MAX] = '\0';
  g_assert_cmpint(note(1, user, host, 0, 60 * S, &sum, &has), ==,
                  TP_REPEAT_LOG);
  g_assert_cmpint(note(1, user, host, 1, 60 * S, &sum, &has), ==,
                  TP_REPEAT_COUNT_FIRST);
  g_assert_true(tlsp_repeat_take_due(&table, 2, 60 * S, TRUE, &sum));
  g_assert_cmpuint(strlen(sum.user), ==, TP_REPEAT_USER_MAX);
  g_assert_cmpuint(strlen(sum.host), ==, TP_REPEAT_HOST_MAX);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/log_repeat/window", test_window);
  g_test_add_func("/log_repeat/late_refusal", test_late_refusal);
  g_test_add_func("/log_repeat/interval_zero", test_interval_zero);
  g_test_add_func("/log_repeat/eviction", test_eviction);
  g_test_add_func("/log_repeat/reuse_ended", test_reuse_ended);
  g_test_add_func("/log_repeat/long_keys", test_long_keys);
  return g_test_run();
}
