#!/usr/bin/env python3
"""paused_login.py — one login that stops between the server's greeting and
the client's answer, so that a test can change the server's TLS context in
exactly that window (hazard H3: the handshake then runs on a context that did
not exist when the connection was greeted).

    paused_login.py --port P --user U --password PW --ready FILE --go FILE
                    [--tls [--cert C --key K]] --out FILE

Creates READY once the greeting was read, waits (up to 60 s) for GO, then
sends the SSL request and does the TLS handshake (--tls) or not, answers with
mysql_native_password and writes one line to OUT:
    admitted                       the server sent OK
    denied ERRNO                   the server sent ERR
    failed REASON                  anything else (protocol or TLS error)

It speaks the client/server protocol itself because no client library can
be paused there.  Certificates are not verified (the test checks the server,
not the client); --cert/--key present a client certificate.
"""
import argparse
import hashlib
import os
import socket
import ssl
import struct
import sys
import time

CLIENT_LONG_PASSWORD = 0x1          # also "CLIENT_MYSQL" for MariaDB
CLIENT_PROTOCOL_41 = 0x200
CLIENT_SSL = 0x800
CLIENT_TRANSACTIONS = 0x2000
CLIENT_SECURE_CONNECTION = 0x8000
CLIENT_PLUGIN_AUTH = 0x80000


def read_packet(sock):
    header = b""
    while len(header) < 4:
        chunk = sock.recv(4 - len(header))
        if not chunk:
            raise EOFError("connection closed by the server")
        header += chunk
    length = header[0] | header[1] << 8 | header[2] << 16
    seq = header[3]
    body = b""
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        if not chunk:
            raise EOFError("connection closed by the server")
        body += chunk
    return seq, body


def write_packet(sock, seq, body):
    sock.sendall(struct.pack("<I", len(body))[:3] + bytes([seq]) + body)


def parse_greeting(body):
    if body[0] != 10:
        raise ValueError("unexpected greeting (protocol %d)" % body[0])
    pos = body.index(b"\0", 1) + 1          # server version
    pos += 4                                # connection id
    salt = body[pos:pos + 8]
    pos += 8 + 1                            # part 1 + filler
    caps = struct.unpack_from("<H", body, pos)[0]
    pos += 2 + 1 + 2                        # caps low, charset, status
    caps |= struct.unpack_from("<H", body, pos)[0] << 16
    pos += 2
    salt_len = body[pos]
    pos += 1 + 10                           # length, reserved
    rest = max(13, salt_len - 8)
    salt += body[pos:pos + rest - 1]        # part 2 without its NUL
    return caps, salt


def native_scramble(password, salt):
    if not password:
        return b""
    stage1 = hashlib.sha1(password.encode()).digest()
    stage2 = hashlib.sha1(stage1).digest()
    mix = hashlib.sha1(salt + stage2).digest()
    return bytes(a ^ b for a, b in zip(stage1, mix))


def wait_for(path, seconds):
    deadline = time.monotonic() + seconds
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError("%s did not appear" % path)
        time.sleep(0.02)


def login(args):
    sock = socket.create_connection(("127.0.0.1", args.port), timeout=60)
    seq, greeting = read_packet(sock)
    server_caps, salt = parse_greeting(greeting)
    open(args.ready, "w").close()
    wait_for(args.go, 60)

    caps = (CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS |
            CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH)
    seq += 1
    if args.tls:
        if not server_caps & CLIENT_SSL:
            return "failed the server did not offer TLS"
        caps |= CLIENT_SSL
        head = struct.pack("<IIB", caps, 1 << 24, 33) + b"\0" * 23
        write_packet(sock, seq, head)
        seq += 1
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        if args.cert:
            context.load_cert_chain(args.cert, args.key)
        sock = context.wrap_socket(sock)
    scramble = native_scramble(args.password, salt)
    body = (struct.pack("<IIB", caps, 1 << 24, 33) + b"\0" * 23 +
            args.user.encode() + b"\0" + bytes([len(scramble)]) + scramble +
            b"mysql_native_password\0")
    write_packet(sock, seq, body)
    _, reply = read_packet(sock)
    if reply[0] == 0x00:
        return "admitted"
    if reply[0] == 0xFF:
        return "denied %d" % struct.unpack_from("<H", reply, 1)[0]
    return "failed unexpected reply 0x%02x" % reply[0]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", default="")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--ready", required=True)
    p.add_argument("--go", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    try:
        result = login(args)
    except (OSError, ValueError, EOFError, ssl.SSLError) as e:
        result = "failed %s: %s" % (type(e).__name__, e)
    with open(args.out + ".tmp", "w") as f:
        f.write(result + "\n")
    os.rename(args.out + ".tmp", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
