/*
 * account_match.h — MariaDB account (Host, User) patterns: validation,
 * matching against a login, and the server's "most specific first" order.
 *
 * This reproduces what MariaDB 10.11 does for mysql.global_priv accounts
 * (sql/sql_acl.cc, sql/sql_acl_getsort.inl, mysys/mf_wcomp.c):
 *
 *   - Host is stored lower-cased (sql_yacc.yy lower-cases the host part of
 *     user@host; the case fold here is ASCII-only) and an empty Host means
 *     '%' (update_hostname()).  Host is at most 255 bytes and has no '@'
 *     (check_host_name()).
 *   - A Host matches a login (compare_hostname()) when it is an IPv4
 *     "ip/netmask" and (ip & netmask) == ip-part, or else when it matches the
 *     host name case-insensitively (wild_case_compare(): ASCII case fold) or
 *     the numeric IP case-sensitively (wild_compare()).  '%' is any run of
 *     bytes, '_' exactly one byte, '\' makes the next byte literal (a
 *     trailing '\' is a literal backslash).
 *   - User is exact and case-sensitive; '' is the anonymous user (any user).
 *   - Order: acl_user_compare(): descending get_magic_sort("hu", host, user)
 *     (host specificity first, then named user before ''), then descending
 *     strcmp() of the stored host text ("localhost" before "127.0.0.1").
 *
 * Extension (not in the server): CIDR hosts "10.0.0.0/8" and "fd00::/8".
 * A CIDR host matches when the login's numeric IP is of the same family and
 * inside the prefix; it never matches by host name.  It is ordered exactly
 * as its equivalent netmask text would be ordered by the server: the order
 * text of "10.0.0.0/8" is "10.0.0.0/255.0.0.0"; for IPv6 it is
 * "<address>/<mask>" with both printed by inet_ntop() ("fd00::/ff00::").
 * Like every pattern without wildcards, that text has the highest host
 * specificity (magic 0), so a CIDR host ranks with exact hosts and
 * netmasks, above anything with '%' or '_', and among them by the server's
 * descending-strcmp tie-break applied to the order text.
 *
 * Validation is stricter than the server where the server would keep a
 * pattern that can never match (those would silently drop a TLS rule):
 * a '/' is allowed only in a well-formed netmask or CIDR host, the address
 * part must have no bits outside the mask, and a zero mask (/0, 0.0.0.0) is
 * refused.  Netmask octets are decimal digits only (the server's str2int()
 * would also skip leading blanks and take a sign).
 *
 * Trailing spaces: a User or Host that ends in a space is refused.  MariaDB
 * 10.11 keeps such a name in memory after CREATE USER 'ts '@'% ' but reads
 * it back from mysql.global_priv (CHAR columns) without the spaces at the
 * next FLUSH PRIVILEGES or restart, and mysql.tls_policy's PAD SPACE
 * collations make 'ts ' equal to 'ts' in SQL; no exact comparison can
 * agree with all three, so such a row is invalid rather than silently
 * matching nothing.
 *
 * Fail-closed accounts: a (Host, User) that does not validate can still be
 * represented (tlsp_account_new_fail_closed()); it matches every host of its
 * user and sorts before every valid account, so that the row it came from
 * decides (denies) rather than vanishes.
 *
 * Thread safety: a tlsp_account is immutable after construction; any number
 * of threads may match and compare it at once.  Nothing here reads global
 * state.
 */
#ifndef TLS_POLICY_ACCOUNT_MATCH_H
#define TLS_POLICY_ACCOUNT_MATCH_H

#include <stdint.h>
#include <glib.h>

G_BEGIN_DECLS

/* sql/sql_acl.cc max_hostname_length (HOSTNAME_LENGTH), bytes. */
#define TP_ACCOUNT_HOST_MAX_BYTES 255u
/* USERNAME_CHAR_LENGTH, characters. */
#define TP_ACCOUNT_USER_MAX_CHARS 128u

#define TP_ACCOUNT_ERROR (tlsp_account_error_quark())
GQuark tlsp_account_error_quark(void);

typedef enum {
  TP_ACCOUNT_ERROR_HOST_TOO_LONG,  /* more than 255 bytes */
  TP_ACCOUNT_ERROR_HOST_CHARACTER, /* '@' or not UTF-8 */
  TP_ACCOUNT_ERROR_HOST_ADDRESS,   /* malformed netmask or CIDR host */
  TP_ACCOUNT_ERROR_USER_TOO_LONG,  /* more than 128 characters */
  TP_ACCOUNT_ERROR_USER_CHARACTER, /* not UTF-8 */
  TP_ACCOUNT_ERROR_TRAILING_SPACE, /* User or Host ends in a space */
} tlsp_account_error_code;

typedef enum tlsp_host_kind {
  TP_HOST_WILDCARD, /* name or address text, possibly with % _ \ */
  TP_HOST_NETMASK4, /* server form a.b.c.d/m.m.m.m */
  TP_HOST_CIDR4,    /* extension: a.b.c.d/n */
  TP_HOST_CIDR6,    /* extension: IPv6/n */
  TP_HOST_INVALID,  /* fail-closed account: matches every host */
} tlsp_host_kind;

typedef struct tlsp_account tlsp_account;

/*
 * Compile one (Host, User) pair.  host NULL or "" means '%'; user NULL
 * means ''.  Returns NULL and sets error when the pair is not valid.
 */
tlsp_account *tlsp_account_new(const char *host, const char *user,
                               GError **error);
/* A fail-closed stand-in for a pair that tlsp_account_new() refused. */
tlsp_account *tlsp_account_new_fail_closed(const char *host, const char *user);
void tlsp_account_free(tlsp_account *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(tlsp_account, tlsp_account_free)

/* Host as the server would store it: lower-cased, '' -> '%'. */
const char *tlsp_account_host(const tlsp_account *a);
const char *tlsp_account_user(const tlsp_account *a);
tlsp_host_kind tlsp_account_host_kind(const tlsp_account *a);
/* The ACL_USER::sort value, get_magic_sort("hu", host, user) (larger sorts
 * first).  For CIDR hosts it is computed from the order text; for a
 * fail-closed account it is that of an exact host. */
uint64_t tlsp_account_sort(const tlsp_account *a);
/* The text the descending-strcmp tie-break uses (see the header comment). */
const char *tlsp_account_order_text(const tlsp_account *a);

/*
 * compare_hostname(): does the Host pattern accept this login?  host: the
 * resolved name or NULL (the plugin may pass the IP text again, as
 * host_or_ip); ip: the numeric address as the server prints it, or NULL
 * for a unix socket (then host is "localhost").  The user is not checked.
 */
gboolean tlsp_account_matches_host(const tlsp_account *a, const char *host,
                                   const char *ip);

/*
 * Server order (acl_user_compare() without its leading user-name strcmp,
 * which only groups equal names for binary search): negative when a sorts
 * before b, i.e. a is the more specific account.  Fail-closed accounts
 * first; then descending sort; then descending strcmp of the order text.
 * Returns 0 only for accounts the server could not tell apart; callers
 * break such ties themselves (the snapshot uses the smallest row Id).
 */
int tlsp_account_compare(const tlsp_account *a, const tlsp_account *b);

/* --- building blocks, exposed for the unit tests ---------------------- */

/* get_magic_sort()'s per-pattern magic number for one 'h' pattern (before
 * the final bit inversion): 0 for a pattern without wildcards, larger for
 * more generic patterns. */
uint64_t tlsp_host_magic(const char *pattern);
/* get_magic_sort("hu", host, user) exactly as the server computes it. */
uint64_t tlsp_account_sort_value(const char *host, const char *user);
/* wild_case_compare(utf8mb3, str, wild) == 0 (ASCII case fold). */
gboolean tlsp_wild_case_match(const char *str, const char *wild);
/* wild_compare(str, wild, 0) == 0 (case-sensitive). */
gboolean tlsp_wild_match(const char *str, const char *wild);

G_END_DECLS

#endif
