#!/usr/bin/env python3
"""One login with PyMySQL (Debian's python3-pymysql); prints the outcome.

  client_python.py --host H --port P --user U --password PW
                   [--tls 1.2|1.3] [--ca CA] [--cert CERT --key KEY]

Without --tls the connection is plain TCP.  With --tls the server is
verified against --ca (chain and host name, as a real application would)
and exactly that TLS version is offered.  Prints one line:
  admitted tls=<Ssl_version of the session, or none>
  denied <error code>          (any refused login: 1045 is the expected one)
and exits 0; anything else (TLS failure, network error) prints
"error ..." and exits 1.
"""
import argparse
import ssl
import sys

import pymysql

ap = argparse.ArgumentParser()
ap.add_argument("--host", required=True)
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--user", required=True)
ap.add_argument("--password", default="")
ap.add_argument("--tls", choices=["1.2", "1.3"])
ap.add_argument("--ca")
ap.add_argument("--cert")
ap.add_argument("--key")
a = ap.parse_args()

ctx = None
if a.tls:
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=a.ca)
    ver = ssl.TLSVersion.TLSv1_2 if a.tls == "1.2" else ssl.TLSVersion.TLSv1_3
    ctx.minimum_version = ver
    ctx.maximum_version = ver
    if a.cert:
        ctx.load_cert_chain(a.cert, a.key)

try:
    # PyMySQL takes an ssl.SSLContext as is (and then verifies as it says).
    conn = pymysql.connect(host=a.host, port=a.port, user=a.user,
                           password=a.password, ssl=ctx, connect_timeout=10)
except pymysql.err.OperationalError as e:
    code = e.args[0] if e.args else None
    # 2000..2999 are the client's own errors (network, TLS): not a refusal.
    if isinstance(code, int) and code >= 1000 and not 2000 <= code < 3000:
        print(f"denied {code}")
        sys.exit(0)
    print(f"error {e}")
    sys.exit(1)
except Exception as e:  # noqa: BLE001 - report anything else as a failure
    print(f"error {type(e).__name__}: {e}")
    sys.exit(1)

with conn.cursor() as cur:
    cur.execute("SHOW SESSION STATUS LIKE 'Ssl_version'")
    row = cur.fetchone()
conn.close()
print(f"admitted tls={row[1] or 'none'}")
