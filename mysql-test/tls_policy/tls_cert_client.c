/*
 * tls_cert_client.c — a minimal Connector/C client for the tls_cert tests
 * (t/auth_tls_cert.test builds it with cc ... -lmariadb).
 *
 *   tls_cert_client HOST PORT USER CA CERT KEY [PASSWORD]
 *
 * Connects over TCP with TLS (CA "-": without TLS), presenting the client
 * certificate CERT with key KEY (CERT "-": none), with PASSWORD or, if it is
 * omitted, no password at all; no client-side option or plugin for
 * tls_cert.  Prints "admitted as <CURRENT_USER()> tls=<cipher or none>" and
 * exits 0, or prints "ERROR <errno> (<sqlstate>): <message>" and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mysql.h>

int main(int argc, char **argv)
{
  if (argc != 7 && argc != 8)
  {
    fprintf(stderr, "usage: %s HOST PORT USER CA CERT KEY [PASSWORD]\n",
            argv[0]);
    return 2;
  }
  const char *host = argv[1], *user = argv[3], *ca = argv[4];
  const char *cert = argv[5], *key = argv[6];
  const char *password = argc == 8 ? argv[7] : NULL;
  unsigned int port = (unsigned int) strtoul(argv[2], NULL, 10);
  unsigned int protocol = MYSQL_PROTOCOL_TCP;

  MYSQL *m = mysql_init(NULL);
  if (!m)
    return 2;
  mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &protocol);
  if (strcmp(ca, "-") != 0)
  {
    mysql_optionsv(m, MYSQL_OPT_SSL_CA, ca);
    if (strcmp(cert, "-") != 0)
    {
      mysql_optionsv(m, MYSQL_OPT_SSL_CERT, cert);
      mysql_optionsv(m, MYSQL_OPT_SSL_KEY, key);
    }
  }
  if (!mysql_real_connect(m, host, user, password, NULL, port, NULL, 0) ||
      mysql_query(m, "SELECT CURRENT_USER()"))
  {
    printf("ERROR %u (%s): %s\n", mysql_errno(m), mysql_sqlstate(m),
           mysql_error(m));
    mysql_close(m);
    return 1;
  }
  MYSQL_RES *res = mysql_store_result(m);
  MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
  const char *cipher = mysql_get_ssl_cipher(m);
  printf("admitted as %s tls=%s\n", row && row[0] ? row[0] : "?",
         cipher ? cipher : "none");
  if (res)
    mysql_free_result(res);
  mysql_close(m);
  return 0;
}
