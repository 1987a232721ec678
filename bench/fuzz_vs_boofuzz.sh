#!/usr/bin/env bash
# otproof vs boofuzz vs the target's own ceiling, side by side in one run, each figure on a
# freshly started server: Modbus/TCP (pymodbus 3.8.6, libmodbus 3.1.6 with its default and with
# 100 us timeouts) and MQTT (Debian mosquitto). Loopback only.
#   ceiling 1 / ceiling K: valid requests per second from a plain load loop on 1 and K
#     connections (Modbus FC 3 reads; MQTT PINGREQ after CONNECT);
#   otproof 1 / otproof K: cases per second with --concurrency 1 and K;
#   boofuzz: one session with its default 5 s receive timeout, and tuned (50 ms).
#   BENCH_SECONDS=20 (per measurement)   BENCH_K=4 (connections / otproof concurrency)
#   BENCH_SERVERS="pymodbus-3.8.6 libmodbus libmodbus-100us mosquitto" (the rows)
# boofuzz and pymodbus go into folders of their own under ~/.cache/otproof-bench (their
# pinned dependencies stay out of the Python the tests use).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
T="${BENCH_SECONDS:-20}"
K="${BENCH_K:-4}"
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
pipq() { python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "$@"; }
BOOF="$HOME/.cache/otproof-bench/boofuzz-0.4.2"
[ -d "$BOOF/boofuzz" ] || pipq --target "$BOOF" boofuzz==0.4.2
PYMB="$HOME/.cache/otproof-bench/pymodbus-3.8.6"
[ -d "$PYMB/pymodbus" ] || pipq --target "$PYMB" pymodbus==3.8.6
dpkg -s libmodbus-dev >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq libmodbus-dev pkg-config; }
command -v mosquitto >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq mosquitto; }
cargo build --release -q -p otproof-cli --bin otproof
cargo build --release -q -p otproof-fuzz --example load
cc -O2 -o "$WORK/libmodbus_server" crates/fuzz/tests/servers/libmodbus_server.c $(pkg-config --cflags --libs libmodbus)
OTPROOF=target/release/otproof

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; return 1; }

start() { # name port -> pid
    case "$1" in
        pymodbus-3.8.6) PYTHONPATH="$PYMB" python3 crates/fuzz/tests/servers/pymodbus_server.py "$2" >/dev/null 2>&1 & ;;
        libmodbus) "$WORK/libmodbus_server" "$2" >/dev/null 2>&1 & ;;
        # libmodbus sleeps its response timeout (500 ms by default) before answering any
        # request it finds invalid, blocking every client.
        libmodbus-100us) "$WORK/libmodbus_server" "$2" 100us >/dev/null 2>&1 & ;;
        mosquitto)
            printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$2" >"$WORK/mosq-$2.conf"
            mosquitto -c "$WORK/mosq-$2.conf" >/dev/null 2>&1 & ;;
    esac
    echo $!
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

proto() { [ "$1" = mosquitto ] && echo mqtt || echo modbus; }

ceiling() { # server connections
    local P PID out
    P=$(port); PID=$(start "$1" "$P"); wait_port "$P"
    out=$(target/release/examples/load "$(proto "$1")" "127.0.0.1:$P" "$T" "$2")
    stop "$PID"; echo "$out"
}

boofuzz() { # server recv_timeout
    local P PID
    P=$(port); PID=$(start "$1" "$P"); wait_port "$P"
    rm -f "$WORK/bf.count"*
    PYTHONPATH="$BOOF" timeout "$T" python3 "bench/boofuzz_$(proto "$1").py" 127.0.0.1 "$P" "$WORK/bf.count" "$2" >/dev/null 2>&1 || true
    stop "$PID"
    python3 -c "print(round(int(open('$WORK/bf.count').read() or 0)/$T, 1))" 2>/dev/null || echo 0
}

otproof() { # server concurrency
    local P PID o="$WORK/o-$1-$2"
    P=$(port); PID=$(start "$1" "$P"); wait_port "$P"
    $OTPROOF fuzz "$(proto "$1")" --target "127.0.0.1:$P" --duration "${T}s" --concurrency "$2" \
        --no-minimize --out "$o" >/dev/null 2>&1 || true
    stop "$PID"
    python3 -c "import json; print(round(json.load(open('$o/evidence.json'))['result']['cases_per_second'], 1))" 2>/dev/null || echo 0
}

printf '%-16s %10s %10s %6s %10s %10s %6s %10s %10s %9s\n' server "ceiling 1" "otproof 1" "%" \
    "ceiling $K" "otproof $K" "%" "boofuzz" "bf 50ms" "ot/bf50"
for server in ${BENCH_SERVERS:-pymodbus-3.8.6 libmodbus libmodbus-100us mosquitto}; do
    C1=$(ceiling $server 1); O1=$(otproof $server 1)
    CK=$(ceiling $server "$K"); OK=$(otproof $server "$K")
    BF=$(boofuzz $server 5); BT=$(boofuzz $server 0.05)
    python3 - "$server" "$C1" "$O1" "$CK" "$OK" "$BF" "$BT" <<'PY'
import sys
name, c1, o1, ck, ok, bf, bt = sys.argv[1], *map(float, sys.argv[2:])
pct = lambda a, b: f"{100 * a / b:.0f}%" if b else "n/a"
ratio = f"{max(o1, ok) / bt:.1f}x" if bt else "n/a"
print(f"{name:<16} {c1:>8.0f}/s {o1:>8.0f}/s {pct(o1, c1):>6} {ck:>8.0f}/s {ok:>8.0f}/s {pct(ok, ck):>6} "
      f"{bf:>8.1f}/s {bt:>8.1f}/s {ratio:>9}")
PY
done
echo "(requests or cases per second; ${T} s each on a fresh server; otproof K = --concurrency $K)"
