/*
 * proxy_client.c — a Connector/C client that sends a PROXY protocol header
 * before the handshake (MARIADB_OPT_PROXY_HEADER), as HAProxy or MaxScale
 * would for a client at SRC_IP.  Built by t/login_proxy_protocol.test with
 * cc ... -lmariadb.
 *
 *   proxy_client HOST|SOCKET_PATH PORT USER PASSWORD v1|v2 SRC_IP [CA [CERT KEY]]
 *
 * HOST beginning with '/' is a unix socket path.  With CA the client uses
 * TLS (CERT/KEY: a client certificate).  Prints "admitted as
 * <CURRENT_USER()> host=<the session's host> tls=<cipher or none>" and
 * exits 0, or "ERROR <errno> (<sqlstate>)" and exits 1.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mysql.h>

/* Version 2 binary header, TCP over IPv4 (haproxy's proxy-protocol.txt). */
static size_t header_v2(unsigned char *out, const char *src, const char *dst,
                        unsigned sport, unsigned dport)
{
  static const unsigned char sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                        0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
  memcpy(out, sig, sizeof sig);
  out[12] = 0x21; /* version 2, PROXY */
  out[13] = 0x11; /* AF_INET, STREAM */
  out[14] = 0;
  out[15] = 12;
  if (inet_pton(AF_INET, src, out + 16) != 1 ||
      inet_pton(AF_INET, dst, out + 20) != 1)
    return 0;
  out[24] = sport >> 8;
  out[25] = sport & 0xff;
  out[26] = dport >> 8;
  out[27] = dport & 0xff;
  return 28;
}

int main(int argc, char **argv)
{
  if (argc != 7 && argc != 8 && argc != 10)
  {
    fprintf(stderr,
            "usage: %s HOST|SOCKET PORT USER PASSWORD v1|v2 SRC_IP [CA [CERT "
            "KEY]]\n",
            argv[0]);
    return 2;
  }
  const char *host = argv[1], *user = argv[3], *password = argv[4];
  const char *version = argv[5], *src = argv[6];
  unsigned port = (unsigned) strtoul(argv[2], NULL, 10);
  int is_socket = host[0] == '/';
  unsigned int protocol =
      is_socket ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;

  unsigned char header[108];
  size_t header_len;
  if (strcmp(version, "v1") == 0)
    header_len =
        (size_t) snprintf((char *) header, sizeof header,
                          "PROXY TCP4 %s 127.0.0.1 55555 %u\r\n", src, port);
  else
    header_len = header_v2(header, src, "127.0.0.1", 55555, port);
  if (!header_len)
    return 2;

  MYSQL *m = mysql_init(NULL);
  if (!m)
    return 2;
  mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &protocol);
  mysql_optionsv(m, MARIADB_OPT_PROXY_HEADER, header, header_len);
  if (argc >= 8)
  {
    mysql_optionsv(m, MYSQL_OPT_SSL_CA, argv[7]);
    if (argc == 10)
    {
      mysql_optionsv(m, MYSQL_OPT_SSL_CERT, argv[8]);
      mysql_optionsv(m, MYSQL_OPT_SSL_KEY, argv[9]);
    }
  }
  else
  {
    my_bool off = 0;
    mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &off);
  }
  if (!mysql_real_connect(m, is_socket ? "localhost" : host, user, password,
                          NULL, is_socket ? 0 : port, is_socket ? host : NULL,
                          0) ||
      mysql_query(m,
                  "SELECT CURRENT_USER(), (SELECT HOST FROM "
                  "information_schema.PROCESSLIST WHERE ID=CONNECTION_ID())"))
  {
    printf("ERROR %u (%s)\n", mysql_errno(m), mysql_sqlstate(m));
    mysql_close(m);
    return 1;
  }
  MYSQL_RES *res = mysql_store_result(m);
  MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
  const char *cipher = mysql_get_ssl_cipher(m);
  printf("admitted as %s host=%s tls=%s\n", row && row[0] ? row[0] : "?",
         row && row[1] ? row[1] : "?", cipher ? cipher : "none");
  if (res)
    mysql_free_result(res);
  mysql_close(m);
  return 0;
}
