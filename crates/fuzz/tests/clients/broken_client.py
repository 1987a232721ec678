"""A deliberately broken MQTT 3.1.1 client for the client-side fuzz tests (standard library
only): it connects to 127.0.0.1:$OTPROOF_PORT, subscribes to 't' and trusts the SUBACK: a
SUBACK without a return code, or with one it does not know, ends it with a traceback (an
uncaught IndexError or KeyError), as a crash. Otherwise it acknowledges QoS 1 PUBLISH packets
until the connection ends. With --die-on-pingreq it also dies (a RuntimeError) on a PINGREQ
from the broker."""
import os
import socket
import struct
import sys

GRANTED = {0: "qos0", 1: "qos1", 2: "qos2", 0x80: "failure"}


def read_packet(s):
    head = s.recv(1)
    if not head:
        sys.exit(0)
    length, shift = 0, 0
    while True:
        b = s.recv(1)
        if not b:
            sys.exit(0)
        length |= (b[0] & 0x7F) << shift
        shift += 7
        if not b[0] & 0x80:
            break
    body = b""
    while len(body) < length:
        chunk = s.recv(length - len(body))
        if not chunk:
            sys.exit(0)
        body += chunk
    return head[0], body


port = int(os.environ["OTPROOF_PORT"])
s = socket.create_connection(("127.0.0.1", port))
client_id = b"broken"
connect = b"\x00\x04MQTT\x04\x02\x00\x3c" + struct.pack(">H", len(client_id)) + client_id
s.sendall(bytes([0x10, len(connect)]) + connect)
first, body = read_packet(s)
if first != 0x20 or body[1] != 0:
    sys.exit(1)
s.sendall(b"\x82\x06\x00\x01\x00\x01t\x01")
first, body = read_packet(s)
if first == 0x90:
    # The bug: the return code is read without a length check or a default.
    print("subscribed:", GRANTED[body[2]], file=sys.stderr)
while True:
    first, body = read_packet(s)
    if first == 0xC0 and "--die-on-pingreq" in sys.argv:
        raise RuntimeError("a PINGREQ from the broker")
    if first >> 4 == 3 and (first >> 1) & 3 == 1:
        n = struct.unpack(">H", body[:2])[0]
        s.sendall(b"\x40\x02" + body[2 + n:4 + n])
