/*
 * server_compat.h — what differs between the MariaDB server series
 * tls_policy builds against, in one place (with server_abi.c, which holds
 * the differences in server internals).  One binary serves one series: the
 * services ABI differs (my_print_error, my_snprintf, logger services 1.x in
 * 10.11, 2.x in 11.x), so CMake builds against the installed headers and
 * passes the series they belong to:
 *
 *   TP_SERVER_SERIES       major * 100 + minor of the headers: 1011, 1108
 *   TP_SERVER_SERIES_NAME  the same as text, "10.11", "11.8"
 *   TP_HAVE_VIO_INFO_TLS   1 if MYSQL_PLUGIN_VIO_INFO has `tls` (CMake
 *                          compiles a probe against the headers)
 *
 * Supported and tested: 10.11 (Debian 12) and 11.8 (Debian 13).
 */
#ifndef TLS_POLICY_SERVER_COMPAT_H
#define TLS_POLICY_SERVER_COMPAT_H

#include <mysql/plugin_auth.h>

#ifndef TP_SERVER_SERIES
#error "TP_SERVER_SERIES is set by CMakeLists.txt"
#endif

/*
 * The server's own word on whether the connection runs TLS.
 * MariaDB 11.4 and later (authentication interface 0x0203; measured on
 * 11.8.9): MYSQL_PLUGIN_VIO_INFO has `int tls`, which the server's
 * vio->info() always writes (1 for an SSL vio).  MariaDB 10.11
 * (interface 0x0202): no such member, the server does not say.
 * Returns 1 (TLS), 0 (not TLS) or -1 (this server series does not say).
 */
#if TP_HAVE_VIO_INFO_TLS
#define TP_VIO_INFO_TLS(vi) ((vi)->tls ? 1 : 0)
#else
#define TP_VIO_INFO_TLS(vi) (-1)
#endif

/*
 * The server's cached fingerprint of its own certificate.
 * MariaDB 11.4 and later (MDEV-31855; measured on 11.8.9): the server keeps
 * the SHA-256 of the certificate of its acceptor context in a static buffer
 * and mixes it into the OK packet; clients given no CA verify the server
 * with it.  tls_policy keeps it in step whenever it publishes a context
 * (server_abi.c, tlsp_server_acceptor_publish_locked).  MariaDB 10.11: no
 * such buffer, nothing to do.
 */
#define TP_SERVER_HAS_CERT_FINGERPRINT (TP_SERVER_SERIES >= 1104)

/*
 * Zero-configuration TLS.  MariaDB 11.4 and later: TLS is on by default
 * (opt_use_ssl defaults to ON) and a server with no ssl_cert/ssl_key
 * generates a self-signed certificate in memory at start and at every
 * FLUSH SSL (measured on 11.8.9).  MariaDB 10.11: TLS is off by default
 * and a server asked for TLS without a certificate refuses to start, so a
 * serving server context always comes from the server's files.
 */
#define TP_SERVER_HAS_ZERO_CONFIG_TLS (TP_SERVER_SERIES >= 1104)

#endif
