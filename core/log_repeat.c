/*
 * log_repeat.c — the fixed-size table that aggregates repeated denial
 * lines (log_repeat.h).  A linear scan over TP_REPEAT_SLOTS slots, with a
 * hash compared before the key bytes: the table is small and only denials
 * reach it.
 */
#include <string.h>
#include "tls_policy/log_repeat.h"

void tlsp_repeat_reset(tlsp_repeat_table *t)
{
  for (guint i = 0; i < TP_REPEAT_SLOTS; i++)
    t->slot[i].used = FALSE;
}

/* FNV-1a over the reason and both strings (with their terminators, so
 * ("ab","c") and ("a","bc") differ). */
static guint32 key_hash(int reason, const char *user, size_t ulen,
                        const char *host, size_t hlen)
{
  guint32 h = 2166136261u;
  for (guint i = 0; i < sizeof reason; i++)
    h = (h ^ ((guint32) reason >> (8 * i) & 0xff)) * 16777619u;
  for (size_t i = 0; i <= ulen; i++)
    h = (h ^ (guchar) user[i]) * 16777619u;
  for (size_t i = 0; i <= hlen; i++)
    h = (h ^ (guchar) host[i]) * 16777619u;
  return h;
}

static gboolean window_ended(const tlsp_repeat_slot *s, gint64 now_us,
                             gint64 interval_us)
{
  return interval_us <= 0 || now_us - s->start_us >= interval_us;
}

/* Fills *out from the slot's window as closed at now_us. */
static void summarise(const tlsp_repeat_slot *s, gint64 now_us,
                      gint64 interval_us, tlsp_repeat_summary *out)
{
  out->reason = s->reason;
  out->count = s->count;
  gint64 span = now_us - s->start_us;
  if (interval_us > 0 && span > interval_us)
    span = interval_us;
  out->span_us = span < 0 ? 0 : span;
  memcpy(out->user, s->user, sizeof out->user);
  memcpy(out->host, s->host, sizeof out->host);
}

tlsp_repeat_action tlsp_repeat_note(tlsp_repeat_table *t, int reason,
                                    const char *user, const char *host,
                                    gint64 now_us, gint64 interval_us,
                                    tlsp_repeat_summary *summary,
                                    gboolean *has_summary)
{
  *has_summary = FALSE;
  if (interval_us <= 0)
    return TP_REPEAT_LOG;
  size_t ulen = strlen(user), hlen = strlen(host);
  if (ulen > TP_REPEAT_USER_MAX || hlen > TP_REPEAT_HOST_MAX)
    return TP_REPEAT_LOG;
  guint32 h = key_hash(reason, user, ulen, host, hlen);

  /* The key's slot; else the slot to take: a free one, or an ended window
   * with nothing counted, else the window that opened first. */
  tlsp_repeat_slot *found = NULL, *spare = NULL, *oldest = NULL;
  for (guint i = 0; i < TP_REPEAT_SLOTS; i++)
  {
    tlsp_repeat_slot *s = &t->slot[i];
    if (!s->used)
    {
      if (!spare)
        spare = s;
      continue;
    }
    if (s->hash == h && s->reason == reason && strcmp(s->user, user) == 0 &&
        strcmp(s->host, host) == 0)
    {
      found = s;
      break;
    }
    if (!spare && s->count == 0 && window_ended(s, now_us, interval_us))
      spare = s;
    if (!oldest || s->start_us < oldest->start_us)
      oldest = s;
  }

  if (found && !window_ended(found, now_us, interval_us))
  {
    found->count++;
    return found->count == 1 ? TP_REPEAT_COUNT_FIRST : TP_REPEAT_COUNT;
  }
  tlsp_repeat_slot *s = found ? found : spare ? spare : oldest;
  if (s->used && s->count > 0)
  {
    summarise(s, now_us, interval_us, summary);
    *has_summary = TRUE;
  }
  s->used = TRUE;
  s->hash = h;
  s->reason = reason;
  s->start_us = now_us;
  s->count = 0;
  memcpy(s->user, user, ulen + 1);
  memcpy(s->host, host, hlen + 1);
  return TP_REPEAT_LOG;
}

gboolean tlsp_repeat_take_due(tlsp_repeat_table *t, gint64 now_us,
                              gint64 interval_us, gboolean all,
                              tlsp_repeat_summary *out)
{
  for (guint i = 0; i < TP_REPEAT_SLOTS; i++)
  {
    tlsp_repeat_slot *s = &t->slot[i];
    if (!s->used || (!all && !window_ended(s, now_us, interval_us)))
      continue;
    s->used = FALSE;
    if (s->count > 0)
    {
      summarise(s, now_us, interval_us, out);
      return TRUE;
    }
  }
  return FALSE;
}

gint64 tlsp_repeat_next_due(const tlsp_repeat_table *t, gint64 interval_us)
{
  gint64 due = G_MAXINT64;
  for (guint i = 0; i < TP_REPEAT_SLOTS; i++)
  {
    const tlsp_repeat_slot *s = &t->slot[i];
    if (!s->used || s->count == 0)
      continue;
    gint64 end = interval_us <= 0 ? s->start_us : s->start_us + interval_us;
    if (end < due)
      due = end;
  }
  return due;
}
