#!/bin/sh
# wait_file.sh FILE SECONDS — waits until FILE exists; fails after SECONDS.
n=$(($2 * 10))
while [ "$n" -gt 0 ]; do
  [ -f "$1" ] && exit 0
  sleep 0.1
  n=$((n - 1))
done
echo "wait_file: $1 did not appear within $2 s" >&2
exit 1
