#!/usr/bin/env bash
# Verification speed, side by side in one run:
#  1. DSSE (in-toto statement, ~1 KB payload, 1 signature, 1 trusted key): otproof-sign
#     dsse::verify against the raw Ed25519 / P-256 verification of the same crates on the same
#     PAE bytes, interleaved rounds in one process, median rate (goal: Ed25519 >= 90% of raw).
#  2. Sigstore bundles, offline, against the staging trusted root: otproof-sigstore verify vs
#     sigstore-python 4.5.1 (Verifier built from the trusted root file, no TUF refresh), both
#     in-process (no interpreter or process start-up), bundle parse + verify, median of N runs.
#     Both run in a network namespace without network (`unshare -n`) when available.
#   BENCH_ROUNDS=5  BENCH_SECONDS=1 (DSSE, per row per round)  BENCH_RUNS=50 (Sigstore)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS="${BENCH_ROUNDS:-5}"
SECS="${BENCH_SECONDS:-1}"
N="${BENCH_RUNS:-50}"
TESTDATA=testdata
SIGSTORE_VERSION=4.5.1
python3 -c "from importlib.metadata import version as v; assert v('sigstore') == '$SIGSTORE_VERSION'" 2>/dev/null \
    || python3 -m pip install --quiet --root-user-action=ignore "sigstore==$SIGSTORE_VERSION"
cargo build --release -q -p otproof-sign --example verify_bench
cargo build --release -q -p otproof-sigstore --example sigstore_bench
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

S="$TESTDATA/sigstore"
ROOT="$S/staging-trusted_root.json"
GITHUB=https://github.com/login/oauth
# artifact bundle identity issuer
CASES=(
    "$S/bundle_v3.txt" "$S/bundle_v3.txt.sigstore" william@yossarian.net "$GITHUB"
    "$S/bundle_v3_alt.txt" "$S/bundle_v3_alt.txt.sigstore" william@yossarian.net "$GITHUB"
    "$S/staging-rekor-v2.txt" "$S/staging-rekor-v2.txt.sigstore.json" jku@goto.fi "$GITHUB"
)
for f in "$ROOT" "${CASES[0]}" "${CASES[1]}" "${CASES[4]}" "${CASES[5]}" "${CASES[8]}" "${CASES[9]}"; do
    [ -f "$f" ] || { echo "missing test file: $f" >&2; exit 1; }
done

if unshare -n true 2>/dev/null; then
    OFFLINE=(unshare -n)
    NET="network namespace without network (unshare -n)"
else
    OFFLINE=()
    NET="host network namespace (unshare -n unavailable); neither verifier is asked to fetch"
fi

echo "machine: $(nproc) cores, $(uname -sm), $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "ratios measured side by side in one run"
echo

# 1. DSSE.
target/release/examples/verify_bench "$ROUNDS" "$SECS"
echo

# 2. Sigstore bundles.
"${OFFLINE[@]}" python3 bench/sigstore_python_verify.py "$N" "$ROOT" "${CASES[@]}" \
    >"$WORK/py.jsonl" 2>"$WORK/py.err" || true
"${OFFLINE[@]}" target/release/examples/sigstore_bench "$N" "$ROOT" "${CASES[@]}" \
    >"$WORK/ot.jsonl" 2>"$WORK/ot.err" || true
python3 - "$WORK/py.jsonl" "$WORK/py.err" "$WORK/ot.jsonl" "$WORK/ot.err" "$N" "$NET" "$SIGSTORE_VERSION" "${CASES[@]}" <<'PY'
import json, sys
py_out, py_err, ot_out, ot_err, n, net, version, *cases = sys.argv[1:]
def load(out, err):
    rows = {}
    for line in open(out):
        if line.strip():
            r = json.loads(line)
            rows[r["bundle"]] = r
    tail = open(err).read().strip().splitlines()
    return rows, (tail[-1] if tail else "no output")
py, py_fail = load(py_out, py_err)
ot, ot_fail = load(ot_out, ot_err)
print(f"Sigstore bundle offline verification, staging trusted root, bundle parse + verify,")
print(f"median of {n} in-process runs after 1 warm-up; {net}")
print(f"ratio = sigstore-python {version} time / otproof time (> 1: otproof faster)")
print(f"{'bundle':<36} {'sigstore-python':>16} {'otproof':>10} {'ratio':>8}")
notes = []
for bundle_path in cases[1::4]:
    name = bundle_path.rsplit("/", 1)[-1]
    cells = []
    for who, rows, fail in (("sigstore-python", py, py_fail), ("otproof", ot, ot_fail)):
        r = rows.get(name)
        if r is None:
            cells.append(None); notes.append(f"{name}: {who} produced no result: {fail}")
        elif "error" in r:
            cells.append(None); notes.append(f"{name}: {who} could not verify offline: {r['error']}")
        else:
            cells.append(r["ms"])
    p, o = cells
    ratio = f"{p / o:.2f}x" if p is not None and o else "n/a"
    fmt = lambda v: "FAILED" if v is None else f"{v:.3f} ms"
    print(f"{name:<36} {fmt(p):>16} {fmt(o):>10} {ratio:>8}")
for note in notes:
    print(f"  {note}")
print("note: both verify the chain, the signature, the log entry, its inclusion proof and checkpoint,")
print("      the signed entry timestamp and the certificate's SCTs; otproof checks the trusted root's")
print("      CA-to-CA links once when it parses the root.")
PY
