"""A Modbus/TCP server that serves many clients at once (one thread per connection) and
whose process exits (status 3) on reading one FC 5 request for one coil address, before
answering it: a crash on one specific request while other connections are in flight.
Answers are those of single_client.py.

    python3 dies_on_request.py PORT ADDR
"""

import os
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from single_client import answer  # noqa: E402


def serve(conn, die_address):
    buf = b""
    with conn:
        while True:
            try:
                data = conn.recv(4096)
            except OSError:
                return
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
                if pdu[0] == 5 and len(pdu) >= 3 and struct.unpack(">H", pdu[1:3])[0] == die_address:
                    os._exit(3)
                resp = answer(unit, pdu)
                try:
                    conn.sendall(struct.pack(">HHHB", tid, 0, len(resp) + 1, unit) + resp)
                except OSError:
                    return


def main():
    port = int(sys.argv[1])
    die_address = int(sys.argv[2], 0)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(64)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, die_address), daemon=True).start()


if __name__ == "__main__":
    main()
