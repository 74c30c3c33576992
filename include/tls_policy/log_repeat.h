/*
 * log_repeat.h — the table that aggregates repeated denial lines
 * (tls_policy_log_repeat_interval; report.c owns the lock, the clock and
 * the log lines).
 *
 * A key is (reason, user, host as on the denial line).  The first refusal
 * of a key opens a window of `interval` and is logged in full; later
 * refusals of the key inside the window are only counted.  The window
 * closes with one summary (the count) when it ends, when the key is
 * refused again after it ended, or when its slot is taken for another key.
 *
 * The table is a fixed array of TP_REPEAT_SLOTS slots with the key bytes
 * inline: bounded memory, and no allocation on any call, so a refusal that
 * is only counted allocates nothing.  When every slot holds an open window,
 * the window that opened first is closed early (its summary is returned to
 * be written), so no count is ever dropped.  Keys longer than the inline
 * bounds are never aggregated: every such refusal is logged.
 *
 * Pure code: no locking (the caller serialises every call on one table),
 * times are passed in (monotonic microseconds).
 */
#ifndef TLS_POLICY_LOG_REPEAT_H
#define TLS_POLICY_LOG_REPEAT_H

#include <glib.h>

#define TP_REPEAT_SLOTS 128
/* Inline key bounds, in bytes: MariaDB user names are at most 128
 * characters of utf8mb3 (384 bytes), host names at most 255 bytes. */
#define TP_REPEAT_USER_MAX 512
#define TP_REPEAT_HOST_MAX 256

typedef struct tlsp_repeat_slot {
  gboolean used;
  guint32 hash;
  int reason;
  gint64 start_us; /* the logged refusal that opened the window */
  guint64 count;   /* refusals counted (not logged) since */
  char user[TP_REPEAT_USER_MAX + 1];
  char host[TP_REPEAT_HOST_MAX + 1];
} tlsp_repeat_slot;

typedef struct tlsp_repeat_table {
  tlsp_repeat_slot slot[TP_REPEAT_SLOTS];
} tlsp_repeat_table;

/* A closed window with counted refusals: what its summary line says. */
typedef struct tlsp_repeat_summary {
  int reason;
  guint64 count;  /* refusals after the logged one, not logged */
  gint64 span_us; /* window length: the interval, or less if closed early */
  char user[TP_REPEAT_USER_MAX + 1];
  char host[TP_REPEAT_HOST_MAX + 1];
} tlsp_repeat_summary;

typedef enum tlsp_repeat_action {
  TP_REPEAT_LOG,         /* write the refusal's line (a window opened) */
  TP_REPEAT_COUNT_FIRST, /* counted; the window now has a summary due */
  TP_REPEAT_COUNT,       /* counted */
} tlsp_repeat_action;

void tlsp_repeat_reset(tlsp_repeat_table *t);

/*
 * One refusal of (reason, user, host) at now_us.  interval_us <= 0: always
 * TP_REPEAT_LOG and the table is not touched.  *has_summary is set TRUE
 * (and *summary filled) when this call closed a window that had counted
 * refusals (the key's own ended window, or the slot taken for this key):
 * the caller writes that summary before the refusal's line.
 */
tlsp_repeat_action tlsp_repeat_note(tlsp_repeat_table *t, int reason,
                                    const char *user, const char *host,
                                    gint64 now_us, gint64 interval_us,
                                    tlsp_repeat_summary *summary,
                                    gboolean *has_summary);

/*
 * Closes one window that has ended by now_us (every window if all, or if
 * interval_us <= 0) and has counted refusals: TRUE and *out filled.  FALSE
 * when there is none left.  Ended windows without counted refusals are
 * freed on the way.
 */
gboolean tlsp_repeat_take_due(tlsp_repeat_table *t, gint64 now_us,
                              gint64 interval_us, gboolean all,
                              tlsp_repeat_summary *out);

/* When the next window with counted refusals ends; G_MAXINT64 if none. */
gint64 tlsp_repeat_next_due(const tlsp_repeat_table *t, gint64 interval_us);

#endif
