/*
 * policy_snapshot.h — an immutable, indexed generation of mysql.tls_policy.
 *
 * policy_store.c reads the table, feeds every row to a builder, and publishes
 * the finished snapshot with one pointer swap.  A login looks up the rows
 * that apply to it without locks and without SQL; its cost depends on the
 * rows of its own user name (and of the anonymous user ''), never on rows of
 * other accounts.
 *
 * Ownership: a snapshot is reference counted; tlsp_policy_snapshot_ref/unref
 * are thread safe.  Rows and their parsed requirements live as long as the
 * snapshot.
 */
#ifndef TLS_POLICY_POLICY_SNAPSHOT_H
#define TLS_POLICY_POLICY_SNAPSHOT_H

#include <stdint.h>
#include <glib.h>
#include "tls_policy/policy.h"

G_BEGIN_DECLS

typedef enum tlsp_row_mode {
  TP_ROW_ENFORCE = 0,
  TP_ROW_REPORT,
} tlsp_row_mode;

typedef struct tlsp_policy_row {
  uint64_t id;            /* mysql.tls_policy.Id */
  char *host;             /* Host pattern as stored */
  char *user;             /* User as stored ("" = any user) */
  char *requirement_text; /* Requirement as stored */
  tlsp_row_mode mode;
  char *comment;
  /* exactly one of the two is set */
  tlsp_requirement *requirement;
  char *parse_error;      /* message, when the text does not parse */
  size_t parse_error_pos; /* 0-based byte offset of the error */
} tlsp_policy_row;

typedef struct tlsp_policy_snapshot tlsp_policy_snapshot;
typedef struct tlsp_policy_snapshot_builder tlsp_policy_snapshot_builder;

tlsp_policy_snapshot_builder *tlsp_policy_snapshot_builder_new(void);
/* Copies every string; parses the requirement.  A row that does not parse is
 * kept with its error: an ENFORCE one denies its account, a REPORT one
 * reports itself and denies nobody.  Returns FALSE only for a Host or User
 * value that cannot be a pattern (error set); such a row is also kept, as an
 * invalid row on a fail-closed account (account_match.h), so an ENFORCE row
 * fails its account closed. */
gboolean tlsp_policy_snapshot_builder_add(
    tlsp_policy_snapshot_builder *b, uint64_t id, const char *host,
    const char *user, const char *requirement_text, size_t requirement_len,
    tlsp_row_mode mode, const char *comment, GError **error);
/* Consumes the builder. */
tlsp_policy_snapshot *
tlsp_policy_snapshot_builder_finish(tlsp_policy_snapshot_builder *b,
                                    uint64_t generation);
void tlsp_policy_snapshot_builder_free(tlsp_policy_snapshot_builder *b);

tlsp_policy_snapshot *tlsp_policy_snapshot_ref(tlsp_policy_snapshot *s);
void tlsp_policy_snapshot_unref(tlsp_policy_snapshot *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(tlsp_policy_snapshot, tlsp_policy_snapshot_unref)

uint64_t tlsp_policy_snapshot_generation(const tlsp_policy_snapshot *s);
guint tlsp_policy_snapshot_rows_loaded(const tlsp_policy_snapshot *s);
guint tlsp_policy_snapshot_rows_invalid(const tlsp_policy_snapshot *s);
/* All rows in table order (for views). */
const GPtrArray *tlsp_policy_snapshot_rows(const tlsp_policy_snapshot *s);

/*
 * ENFORCE and REPORT rows are looked up apart: REPORT rows never change
 * which ENFORCE rows apply to a login (the ENFORCE lookup gives the answer
 * a table without REPORT rows would give), and REPORT rows are reported
 * beside the decision.
 *
 * tlsp_policy_snapshot_lookup_mode(): the rows of `mode` of the most specific
 * (Host, User) pair that has rows of that mode and matches the login,
 * ordered as the server orders accounts; all rows of that pair are
 * alternatives.  user: as sent; host: host name or IP as the server sees it;
 * ip: numeric address or NULL (unix socket: host is "localhost").
 * Returns NULL when no row of that mode matches.  The array belongs to the
 * snapshot.  *n_examined (when non-NULL) receives the number of groups whose
 * host pattern was tested: the cost of the lookup, bounded by the groups of
 * `user` plus those of '' in that mode (tests assert it).
 */
const GPtrArray *tlsp_policy_snapshot_lookup_mode(
    const tlsp_policy_snapshot *s, tlsp_row_mode mode, const char *user,
    const char *host, const char *ip, guint *n_examined);
/* The ENFORCE rows: tlsp_policy_snapshot_lookup_mode(s, TP_ROW_ENFORCE, ...). */
const GPtrArray *tlsp_policy_snapshot_lookup(const tlsp_policy_snapshot *s,
                                             const char *user, const char *host,
                                             const char *ip);
const GPtrArray *
tlsp_policy_snapshot_lookup_counted(const tlsp_policy_snapshot *s,
                                    const char *user, const char *host,
                                    const char *ip, guint *n_examined);
/* The number of snapshots finished and not yet freed, in this process
 * (leak diagnostics; the refcount tests assert it). */
guint tlsp_policy_snapshot_live_count(void);

G_END_DECLS

#endif
