#!/usr/bin/env bash
# Runs every fuzz target for FUZZTIME each (default 20s), one after another:
# the file readers and decoders (data file, WAL frames and batches, the
# WAL's NEWEST file, update log frames, index keys, LOAD DATA files, JSON
# documents, the RENAME.pending and ULOG.pending intents), the server's statement lexer, and whole SQL
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
  "./txn FuzzParseNewest"
  "./internal/ulog FuzzParseFrame"
  "./internal/keyenc FuzzDecode"
  "./internal/keyenc FuzzOrder"
  "./internal/collate FuzzKeyOrder"
  "./sqlshim/server FuzzLex"
  "./sqlshim FuzzExec"
  "./sqlshim FuzzLoadReader"
  "./engine FuzzDecodeRow"
  "./engine FuzzIntentFiles"
  "./internal/jsondoc FuzzJSON"
)
# A run that fails with "context deadline exceeded" and writes no failing
# input is Go's own fuzz coordinator racing the -fuzztime deadline
# (go.dev/issue/75804, fixed in Go 1.27, present in the 1.26 we build with),
# not a finding: that run is repeated, up to twice. Any other failure, and
# any failure that wrote an input under testdata/fuzz/, fails the script.
for tg in "${targets[@]}"; do
  set -- $tg
  dir="$1/testdata/fuzz/$2"
  for attempt in 1 2 3; do
    echo "== fuzz $1 $2 ($t), attempt $attempt"
    before=$(ls "$dir" 2>/dev/null | sort || true)
    log=$(mktemp)
    if go test "$1" -run '^$' -fuzz "^$2\$" -fuzztime "$t" -fuzzminimizetime 5s -parallel 2 >"$log" 2>&1; then
      grep -v '^fuzz: elapsed' "$log" || true
      tail -n 3 "$log" | grep '^fuzz: elapsed' | tail -n 1 || true
      rm -f "$log"
      break
    fi
    after=$(ls "$dir" 2>/dev/null | sort || true)
    cat "$log"
    if [ "$before" = "$after" ] && grep -q '^    context deadline exceeded$' "$log" && [ "$attempt" -lt 3 ]; then
      rm -f "$log"
      echo "fuzz target $2: deadline race in Go's fuzz coordinator, no failing input written; running it again"
      continue
    fi
    rm -f "$log"
    echo "fuzz target $2 in $1 failed"; exit 1
  done
done
