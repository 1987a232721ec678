#!/usr/bin/env bash
# otproof vs boofuzz on the same Modbus/TCP servers (pymodbus 3.6.9, libmodbus 3.1.6), same wall
# time each, side by side in one run; plus each server's own ceiling (valid FC 3 reads per
# second from a plain load loop on 1 and on K connections). Loopback only.
#   BENCH_SECONDS=20 (per measurement)   BENCH_K=4 (connections / otproof concurrency)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
T="${BENCH_SECONDS:-20}"
K="${BENCH_K:-4}"
python3 -c "import boofuzz" 2>/dev/null || python3 -m pip install --quiet --root-user-action=ignore boofuzz==0.4.2
python3 -c "import pymodbus" 2>/dev/null || python3 -m pip install --quiet --root-user-action=ignore pymodbus==3.6.9
dpkg -s libmodbus-dev >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq libmodbus-dev pkg-config; }
cargo build --release -q -p otproof-cli --bin otproof
cargo build --release -q -p otproof-fuzz --example modbus_load
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
cc -O2 -o "$WORK/libmodbus_server" crates/fuzz/tests/servers/libmodbus_server.c $(pkg-config --cflags --libs libmodbus)
OTPROOF=target/release/otproof
LOAD=target/release/examples/modbus_load

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; return 1; }

start() { # name port -> pid
    case "$1" in
        pymodbus) python3 crates/fuzz/tests/servers/pymodbus_server.py "$2" >/dev/null 2>&1 & ;;
        libmodbus) "$WORK/libmodbus_server" "$2" >/dev/null 2>&1 & ;;
        # libmodbus sleeps its response timeout (500 ms by default) before answering any
        # request it finds invalid, blocking every client: with 100 µs the fuzzers are measured.
        libmodbus-100us) "$WORK/libmodbus_server" "$2" 100us >/dev/null 2>&1 & ;;
    esac
    echo $!
}

printf '%-14s %14s %14s %14s %14s %9s %12s\n' server "ceiling 1" "ceiling $K" "boofuzz" "otproof" ratio "of ceiling"
for server in pymodbus libmodbus libmodbus-100us; do
    P=$(port); PID=$(start $server $P); wait_port $P
    C1=$($LOAD 127.0.0.1:$P "$T" 1)
    CK=$($LOAD 127.0.0.1:$P "$T" "$K")
    kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true

    P=$(port); PID=$(start $server $P); wait_port $P
    rm -f "$WORK/bf.count"
    timeout "$T" python3 bench/boofuzz_modbus.py 127.0.0.1 $P "$WORK/bf.count" >/dev/null 2>&1 || true
    BF=$(python3 -c "print(round(int(open('$WORK/bf.count').read() or 0)/$T, 1))" 2>/dev/null || echo 0)
    kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true

    P=$(port); PID=$(start $server $P); wait_port $P
    $OTPROOF fuzz modbus --target 127.0.0.1:$P --duration "${T}s" --concurrency "$K" \
        --no-minimize --out "$WORK/o-$server" >/dev/null 2>&1 || true
    kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true
    OT=$(python3 -c "import json; print(round(json.load(open('$WORK/o-$server/evidence.json'))['result']['cases_per_second'], 1))")
    python3 - "$server" "$C1" "$CK" "$BF" "$OT" <<'PY'
import sys
name, c1, ck, bf, ot = sys.argv[1], *map(float, sys.argv[2:])
ratio = f"{ot / bf:.1f}x" if bf else "n/a"
ceil = f"{100 * ot / max(c1, ck):.0f}%" if max(c1, ck) else "n/a"
print(f"{name:<14} {c1:>12.0f}/s {ck:>12.0f}/s {bf:>12.1f}/s {ot:>12.1f}/s {ratio:>9} {ceil:>12}")
PY
done
echo "(cases or requests per second; ${T} s each; otproof concurrency $K; boofuzz runs one session)"
