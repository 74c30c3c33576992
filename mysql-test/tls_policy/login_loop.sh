#!/bin/sh
# login_loop.sh — background login load for MTR tests.
#   login_loop.sh OUT DONE COUNT mysql-client-command...
# Runs COUNT rounds of one TLS and one plain TCP login with the given client
# command and options (user, password, host, port), appending every outcome
# to OUT, then creates DONE.
out=$1; done_file=$2; count=$3; shift 3
i=0
while [ "$i" -lt "$count" ]; do
  "$@" --ssl --ssl-ca="$TP_STD_DATA/cacert.pem" -N -e "select 1" >>"$out" 2>&1
  "$@" --skip-ssl -N -e "select 1" >>"$out" 2>&1
  i=$((i + 1))
done
touch "$done_file"
