"""boofuzz with a Modbus/TCP request definition equivalent to otproof's FC 3 / FC 16 model,
for bench/fuzz_vs_boofuzz.sh. Counts test cases into a file; the script stops it after the
wall time.

usage: boofuzz_modbus.py HOST PORT COUNT_FILE [RECV_TIMEOUT_S]
"""
import sys

from boofuzz import (
    Session, Target, TCPSocketConnection, s_block, s_byte, s_get, s_initialize, s_size,
    s_static, s_word, s_bytes,
)

host, port, count_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
recv_timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 5.0
count = 0


def counted(target, fuzz_data_logger, session, *args, **kwargs):
    global count
    count += 1
    if count % 50 == 0:
        with open(count_file, "w") as f:
            f.write(str(count))


s_initialize("read_holding_registers")
s_word(1, name="transaction_id", endian=">", fuzzable=True)
s_word(0, name="protocol_id", endian=">", fuzzable=True)
s_size("pdu", length=2, endian=">", offset=1, fuzzable=True, name="length")
s_byte(1, name="unit_id", fuzzable=True)
with s_block("pdu"):
    s_byte(3, name="function", fuzzable=True)
    s_word(0, name="start_address", endian=">", fuzzable=True)
    s_word(1, name="quantity", endian=">", fuzzable=True)

s_initialize("write_multiple_registers")
s_word(1, name="transaction_id", endian=">", fuzzable=True)
s_word(0, name="protocol_id", endian=">", fuzzable=True)
s_size("pdu", length=2, endian=">", offset=1, fuzzable=True, name="length")
s_byte(1, name="unit_id", fuzzable=True)
with s_block("pdu"):
    s_byte(16, name="function", fuzzable=True)
    s_word(0, name="start_address", endian=">", fuzzable=True)
    s_word(2, name="quantity", endian=">", fuzzable=True)
    s_size("values", length=1, fuzzable=True, name="byte_count")
    s_bytes(b"\x00\x01\x00\x02", name="values", fuzzable=True)

session = Session(
    target=Target(connection=TCPSocketConnection(host, port, recv_timeout=recv_timeout)),
    web_port=None,
    console_gui=False,
    fuzz_loggers=[],
    receive_data_after_fuzz=True,
    post_test_case_callbacks=[counted],
    restart_threshold=1,
    keep_web_open=False,
    db_filename=count_file + ".db",
)
session.connect(s_get("read_holding_registers"))
session.connect(s_get("write_multiple_registers"))
session.fuzz()
with open(count_file, "w") as f:
    f.write(str(count))
