/* client_c.c — one login with MariaDB Connector/C (libmariadb); prints the
 * outcome.
 *
 *   client_c --host H --port P --user U --password PW
 *            [--tls 1.2|1.3] [--ca CA] [--cert CERT --key KEY]
 *
 * Build: cc -o client_c client_c.c $(mariadb_config --cflags --libs)
 * (the MTR test clients_matrix does this into $MYSQLTEST_VARDIR/tmp).
 *
 * Without --tls the connection is plain TCP.  With --tls the server is
 * verified against --ca (chain and host name) and exactly that TLS version
 * is offered.  Prints one line:
 *   admitted tls=<Ssl_version of the session, or none>
 *   denied <error code>        (a refused login: 1045 is the expected one)
 * and exits 0; anything else prints "error ..." and exits 1.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mysql.h>
#include <errmsg.h>

int main(int argc, char **argv)
{
  static const struct option longopts[] = {
      {"host", required_argument, NULL, 'h'},
      {"port", required_argument, NULL, 'P'},
      {"user", required_argument, NULL, 'u'},
      {"password", required_argument, NULL, 'p'},
      {"tls", required_argument, NULL, 't'},
      {"ca", required_argument, NULL, 'a'},
      {"cert", required_argument, NULL, 'c'},
      {"key", required_argument, NULL, 'k'},
      {NULL, 0, NULL, 0}};
  const char *host = NULL, *user = NULL, *password = "", *tls = NULL;
  const char *ca = NULL, *cert = NULL, *key = NULL;
  unsigned int port = 0;
  int c;
  while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
  {
    switch (c)
    {
    case 'h':
      host = optarg;
      break;
    case 'P':
      port = (unsigned int) strtoul(optarg, NULL, 10);
      break;
    case 'u':
      user = optarg;
      break;
    case 'p':
      password = optarg;
      break;
    case 't':
      tls = optarg;
      break;
    case 'a':
      ca = optarg;
      break;
    case 'c':
      cert = optarg;
      break;
    case 'k':
      key = optarg;
      break;
    default:
      printf("error bad arguments\n");
      return 1;
    }
  }
  if (!host || !user || !port)
  {
    printf("error --host, --port and --user are required\n");
    return 1;
  }

  MYSQL *m = mysql_init(NULL);
  if (!m)
  {
    printf("error mysql_init failed\n");
    return 1;
  }
  unsigned int protocol = MYSQL_PROTOCOL_TCP, timeout = 10;
  mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &protocol);
  mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  if (tls)
  {
    const char *version;
    if (strcmp(tls, "1.2") == 0)
      version = "TLSv1.2";
    else if (strcmp(tls, "1.3") == 0)
      version = "TLSv1.3";
    else
    {
      printf("error bad --tls %s\n", tls);
      return 1;
    }
    my_bool on = 1;
    mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &on);
    mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
    mysql_optionsv(m, MYSQL_OPT_SSL_CA, ca);
    if (cert)
      mysql_optionsv(m, MYSQL_OPT_SSL_CERT, cert);
    if (key)
      mysql_optionsv(m, MYSQL_OPT_SSL_KEY, key);
    mysql_optionsv(m, MARIADB_OPT_TLS_VERSION, version);
  }
  if (!mysql_real_connect(m, host, user, password, NULL, port, NULL, 0))
  {
    unsigned int err = mysql_errno(m);
    /* 1000..1999 and 3000+ are server errors; 2xxx are the client's own
     * (TLS failures, network): those are not a refused login. */
    if (err >= 1000 && (err < CR_MIN_ERROR || err > CR_MAX_ERROR))
    {
      printf("denied %u\n", err);
      mysql_close(m);
      return 0;
    }
    printf("error %u %s\n", err, mysql_error(m));
    mysql_close(m);
    return 1;
  }
  if (mysql_query(m, "SHOW SESSION STATUS LIKE 'Ssl_version'"))
  {
    printf("error %u %s\n", mysql_errno(m), mysql_error(m));
    mysql_close(m);
    return 1;
  }
  MYSQL_RES *res = mysql_store_result(m);
  MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
  if (!row)
  {
    printf("error no Ssl_version row\n");
    mysql_close(m);
    return 1;
  }
  printf("admitted tls=%s\n", row[1] && row[1][0] ? row[1] : "none");
  mysql_free_result(res);
  mysql_close(m);
  return 0;
}
