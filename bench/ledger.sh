#!/usr/bin/env bash
# Ledger benchmark: appends (unbatched, batched), bundle verification, inclusion proofs at
# 10^6 and 10^7 leaves, next to this machine's SHA-256 and fsync rates measured in the same run.
# OTPROOF_BENCH_LEAVES=1000000 limits the largest tree (the 10^7 tree takes a few minutes and ~2 GB).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo bench -p otproof-store --bench ledger
