"""boofuzz with a Modbus/TCP request definition equivalent to otproof's FC 3 / FC 16 model,
for bench/fuzz_vs_boofuzz.sh. Counts test cases into a file; the script stops it after the
wall time.

usage: boofuzz_modbus.py HOST PORT COUNT_FILE [RECV_TIMEOUT_S]
"""
import os
import sys

from boofuzz import s_block, s_byte, s_bytes, s_initialize, s_size, s_word

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from boofuzz_common import run  # noqa: E402

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

run([["read_holding_registers"], ["write_multiple_registers"]])
