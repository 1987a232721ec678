"""boofuzz with MQTT 3.1.1 request definitions comparable to otproof's broker model (CONNECT,
then PUBLISH QoS 1 and SUBSCRIBE after it), for bench/fuzz_vs_boofuzz.sh. Counts test cases
into a file; the script stops it after the wall time.

usage: boofuzz_mqtt.py HOST PORT COUNT_FILE RECV_TIMEOUT_S
"""
import sys

from boofuzz import (
    Session, Target, TCPSocketConnection, s_block, s_byte, s_get, s_initialize, s_size,
    s_static, s_string, s_word,
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
session.connect(s_get("connect"))
session.connect(s_get("connect"), s_get("publish"))
session.connect(s_get("connect"), s_get("subscribe"))
session.fuzz()
with open(count_file, "w") as f:
    f.write(str(count))
