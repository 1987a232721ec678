"""boofuzz with MQTT 3.1.1 request definitions comparable to otproof's broker model (CONNECT,
then PUBLISH QoS 1 and SUBSCRIBE after it), for bench/fuzz_vs_boofuzz.sh. Counts test cases
into a file; the script stops it after the wall time.

usage: boofuzz_mqtt.py HOST PORT COUNT_FILE [RECV_TIMEOUT_S]
"""
import os
import sys

from boofuzz import s_block, s_byte, s_initialize, s_size, s_string, s_word

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from boofuzz_common import run  # noqa: E402

s_initialize("connect")
s_byte(0x10, name="type_flags", fuzzable=True)
s_size("connect_body", length=1, fuzzable=True, name="remaining_length")
with s_block("connect_body"):
    s_size("protocol_name", length=2, endian=">", fuzzable=True, name="name_len")
    s_string("MQTT", name="protocol_name", fuzzable=True)
    s_byte(4, name="level", fuzzable=True)
    s_byte(0x02, name="connect_flags", fuzzable=True)
    s_word(60, name="keep_alive", endian=">", fuzzable=True)
    s_size("client_id", length=2, endian=">", fuzzable=True, name="client_id_len")
    s_string("boofuzz", name="client_id", fuzzable=True)

s_initialize("publish")
s_byte(0x32, name="type_flags", fuzzable=True)
s_size("publish_body", length=1, fuzzable=True, name="remaining_length")
with s_block("publish_body"):
    s_size("topic", length=2, endian=">", fuzzable=True, name="topic_len")
    s_string("a/b", name="topic", fuzzable=True)
    s_word(1, name="packet_id", endian=">", fuzzable=True)
    s_string("hello", name="payload", fuzzable=True)

s_initialize("subscribe")
s_byte(0x82, name="type_flags", fuzzable=True)
s_size("subscribe_body", length=1, fuzzable=True, name="remaining_length")
with s_block("subscribe_body"):
    s_word(2, name="packet_id", endian=">", fuzzable=True)
    s_size("filter", length=2, endian=">", fuzzable=True, name="filter_len")
    s_string("a/#", name="filter", fuzzable=True)
    s_byte(1, name="qos", fuzzable=True)

run([["connect"], ["connect", "publish"], ["connect", "subscribe"]])
