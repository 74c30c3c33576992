#!/usr/bin/env bash
# client_cli.sh — one login with the stock mariadb command-line client,
# with the same arguments and output as the other tests/clients programs:
#
#   client_cli.sh --host H --port P --user U --password PW
#                 [--tls 1.2|1.3] [--ca CA] [--cert CERT --key KEY]
#
# Prints "admitted tls=<Ssl_version or none>", "denied <server error code>"
# (exit 0) or "error ..." (exit 1).  MARIADB overrides the client binary.
set -uo pipefail
host= port= user= password= tls= ca= cert= key=
while [ $# -gt 0 ]; do
  case "$1" in
  --host) host=$2 ;; --port) port=$2 ;; --user) user=$2 ;; --password) password=$2 ;;
  --tls) tls=$2 ;; --ca) ca=$2 ;; --cert) cert=$2 ;; --key) key=$2 ;;
  *) echo "error bad argument $1"; exit 1 ;;
  esac
  shift 2 || { echo "error missing value"; exit 1; }
done
args=(--no-defaults --protocol=tcp --host="$host" --port="$port" --user="$user" --password="$password"
      --connect-timeout=10)
case "$tls" in
"") args+=(--skip-ssl) ;;
1.2|1.3) args+=(--ssl --ssl-verify-server-cert --tls-version="TLSv$tls" ${ca:+--ssl-ca="$ca"}
                ${cert:+--ssl-cert="$cert"} ${key:+--ssl-key="$key"}) ;;
*) echo "error bad --tls $tls"; exit 1 ;;
esac
out=$("${MARIADB:-mariadb}" "${args[@]}" -N -B -e \
  "SELECT CONCAT('admitted tls=', IF(VARIABLE_VALUE='', 'none', VARIABLE_VALUE)) FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME='Ssl_version'" 2>&1)
rc=$?
if [ $rc = 0 ]; then
  echo "$out"; exit 0
fi
# "ERROR 1045 (28000): Access denied ..." — a server error (not 2xxx, the
# client's own codes for network and TLS failures) is a refusal.
code=$(printf '%s\n' "$out" | sed -n 's/^ERROR \([0-9]*\) ([0-9A-Z]*).*/\1/p' | head -1)
if [ -n "$code" ] && { [ "$code" -lt 2000 ] || [ "$code" -ge 3000 ]; }; then
  echo "denied $code"; exit 0
fi
echo "error $out"
exit 1
