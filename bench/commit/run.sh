#!/usr/bin/env bash
# bench/commit/run.sh: commit rate of blitz's redo WAL (txn, SyncFull, one
# 116-byte record per commit) for 1 and 16 concurrent committers, against, in
# the same run and on the same filesystem: an append+fdatasync loop (the
# physical limit for one committer), Tokyo Cabinet's hash database with
# HDBOTSYNC and one transaction per put (cgo, libtokyocabinet-dev), and SQLite
# in WAL mode with synchronous=FULL, one INSERT per transaction (cgo,
# libsqlite3-dev). eng16think is eng16 with a pause (-think, 300µs) after
# each commit, the way the next statement of a `blitz serve` client arrives a
# round trip after its acknowledgement. Cases alternate within each run; medians and the target
# ratios are printed at the end.
#
# Environment: RUNS (5), DURATION per case (3s), DIR (a directory on the
# filesystem to measure; default: a temp dir under $TMPDIR), CASES.
set -euo pipefail
cd "$(dirname "$0")"

install() { # install Debian package $2 unless file or command $1 exists
	if [ -e "$1" ] || command -v "$1" >/dev/null 2>&1; then return; fi
	echo "installing $2" >&2
	if [ "$(id -u)" = 0 ]; then apt-get install -y "$2" >/dev/null; else sudo apt-get install -y "$2" >/dev/null; fi
}
install gcc gcc
install /usr/include/tchdb.h libtokyocabinet-dev
install /usr/include/sqlite3.h libsqlite3-dev

args=(-runs "${RUNS:-5}" -d "${DURATION:-3s}")
[ -n "${DIR:-}" ] && args+=(-dir "$DIR")
[ -n "${CASES:-}" ] && args+=(-cases "$CASES")
go build -o "${TMPDIR:-/tmp}/blitz-commit-bench" .
echo "filesystem: $(df -T "${DIR:-${TMPDIR:-/tmp}}" | awk 'NR==2 {print $2, $1}')  kernel: $(uname -r)  cpus: $(nproc)"
exec "${TMPDIR:-/tmp}/blitz-commit-bench" "${args[@]}"
