"""A Modbus/TCP server that serves one client at a time (plain sockets, no threads): it
accepts a connection, answers its requests until the client closes it, then accepts the
next. Reads (FC 1-4) answer zeros, writes (FC 5, 6, 15, 16) echo, anything else is
exception 01; a frame with a protocol id other than 0 or a bad length closes the connection.

    python3 single_client.py PORT [--die-on-fc5-address ADDR] [--answer-delay-ms MS]

With --die-on-fc5-address the process exits (status 3) on reading an FC 5 request for that
coil address, before answering: a crash on one specific request. With --answer-delay-ms each
answer takes that long (a slow device): the client it serves holds it far longer than another
client's short timeout.
"""

import socket
import struct
import sys
import time


def answer(unit, pdu):
    fc = pdu[0]
    if fc in (1, 2) and len(pdu) == 5:
        qty = struct.unpack(">H", pdu[3:5])[0]
        if 1 <= qty <= 2000:
            n = (qty + 7) // 8
            return bytes([fc, n]) + bytes(n)
        return bytes([fc | 0x80, 3])
    if fc in (3, 4) and len(pdu) == 5:
        qty = struct.unpack(">H", pdu[3:5])[0]
        if 1 <= qty <= 125:
            return bytes([fc, 2 * qty]) + bytes(2 * qty)
        return bytes([fc | 0x80, 3])
    if fc in (5, 6) and len(pdu) == 5:
        return pdu
    if fc in (15, 16) and len(pdu) >= 6:
        return pdu[:5]
    return bytes([fc | 0x80, 1])


def serve(conn, die_address, delay_s):
    buf = b""
    while True:
        data = conn.recv(4096)
        if not data:
            return
        buf += data
        while len(buf) >= 7:
            tid, proto, length = struct.unpack(">HHH", buf[:6])
            if proto != 0 or length < 2 or length > 254:
                return
            if len(buf) < 6 + length:
                break
            unit = buf[6]
            pdu = buf[7 : 6 + length]
            buf = buf[6 + length :]
            if (
                die_address is not None
                and pdu[0] == 5
                and len(pdu) >= 3
                and struct.unpack(">H", pdu[1:3])[0] == die_address
            ):
                sys.exit(3)
            resp = answer(unit, pdu)
            if delay_s:
                time.sleep(delay_s)
            conn.sendall(struct.pack(">HHHB", tid, 0, len(resp) + 1, unit) + resp)


def main():
    port = int(sys.argv[1])
    die_address = None
    delay_s = 0.0
    args = sys.argv[2:]
    while len(args) >= 2:
        if args[0] == "--die-on-fc5-address":
            die_address = int(args[1], 0)
        elif args[0] == "--answer-delay-ms":
            delay_s = int(args[1]) / 1000
        else:
            sys.exit(f"unknown option {args[0]}")
        args = args[2:]
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    while True:
        conn, _ = srv.accept()
        try:
            serve(conn, die_address, delay_s)
        except (ConnectionError, OSError):
            pass
        finally:
            conn.close()


if __name__ == "__main__":
    main()
