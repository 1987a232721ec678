"""The harness the boofuzz benchmark scripts share: command line, a test-case counter written
to a file (the benchmark stops boofuzz after its wall time and reads the count), and the
session with its receive timeout.

usage of a script: boofuzz_<protocol>.py HOST PORT COUNT_FILE [RECV_TIMEOUT_S]
"""
import sys

from boofuzz import Session, Target, TCPSocketConnection, s_get


def run(paths):
    """Fuzz the request paths (lists of request names, each following the one before) until
    stopped, counting test cases into COUNT_FILE."""
    host, port, count_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    recv_timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 5.0
    count = 0

    def counted(target, fuzz_data_logger, session, *args, **kwargs):
        nonlocal count
        count += 1
        if count % 50 == 0:
            with open(count_file, "w") as f:
                f.write(str(count))

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
    for path in paths:
        nodes = [s_get(name) for name in path]
        if len(nodes) == 1:
            session.connect(nodes[0])
        else:
            session.connect(nodes[-2], nodes[-1])
    session.fuzz()
    with open(count_file, "w") as f:
        f.write(str(count))
