#!/usr/bin/env bash
# Runs every fuzz target for FUZZTIME each (default 20s), one after another:
# the file readers and decoders (data file, WAL frames and batches, update
# log frames, index keys), the server's statement lexer, and whole SQL
# statements against a fixture database. A target that finds a failing input
# writes it under its package's testdata/fuzz/ and this script fails; commit
# that file with the fix, and `go test` replays it from then on.
#
# -fuzzminimizetime is bounded: the default (60s per new input) makes the
# fuzzer look stalled ("0 execs/sec") while a worker minimizes an input
# that widened coverage.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${FUZZTIME:-20s}
targets=(
  "./datafile FuzzOpenSalvage"
  "./txn FuzzDecodeFrames"
  "./txn FuzzDecodeBatch"
  "./internal/ulog FuzzParseFrame"
  "./internal/keyenc FuzzDecode"
  "./internal/keyenc FuzzOrder"
  "./sqlshim/server FuzzLex"
  "./sqlshim FuzzExec"
)
for tg in "${targets[@]}"; do
  set -- $tg
  echo "== fuzz $1 $2 ($t)"
  log=$(mktemp)
  if ! go test "$1" -run '^$' -fuzz "^$2\$" -fuzztime "$t" -fuzzminimizetime 5s -parallel 2 >"$log" 2>&1; then
    cat "$log"; rm -f "$log"
    echo "fuzz target $2 in $1 failed"; exit 1
  fi
  grep -v '^fuzz: elapsed' "$log" || true
  tail -n 3 "$log" | grep '^fuzz: elapsed' | tail -n 1 || true
  rm -f "$log"
done
