#!/bin/bash
# quickstart.toml before/after: today's fixed f = 4 (accuracy none) against the shipped adaptive
# settings (interpolation "auto", accuracy "dataset"), one after the other on the same machine
# (benchmarks/ESTIMATES.md). Usage: bash benchmarks/quickstart_before_after.sh [tmpdir]
set -e
cd "$(dirname "$0")/.."
TMP=${1:-$(mktemp -d)}
export PYTHONPATH=src
TIMEFORMAT='wall %R s, user %U s, sys %S s'
sed 's/^interpolation = "auto".*/interpolation = 4\naccuracy = "none"/' configs/quickstart.toml > "$TMP/quick-f4.toml"
rm -rf "$TMP/qa" "$TMP/qb"
echo "== f4 (before)"; { time nice -n 10 python3 -m synthstem run "$TMP/quick-f4.toml" --out "$TMP/qa" --workers 1 --no-progress --no-preview --no-report 2>&1 | grep -v "Warning\|return simulate" ; } 2>&1
echo "== auto (after)"; { time nice -n 10 python3 -m synthstem run configs/quickstart.toml --out "$TMP/qb" --workers 1 --no-progress --no-preview --no-report 2>&1 | grep -v "Warning\|return simulate" ; } 2>&1
