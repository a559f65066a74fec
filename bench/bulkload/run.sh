#!/usr/bin/env bash
# bench/bulkload: 1,000,000 rows into a table with two secondary indexes, in
# transactions of 10,000 rows, through blitz's engine API (plain and
# CrashSafe table) and through the sqlite3 shell (.import per transaction,
# a script of multi-row INSERTs, and .import with a 1 GiB page cache), same
# run, alternating; prints every round, then median rows/s, ratios and peak
# RSS. See main.go's comment for what each case does.
#   bench/bulkload/run.sh [-rows N] [-tx N] [-rounds R] [-dir DIR] [-cases ...]
set -euo pipefail
cd "$(dirname "$0")"
install() { # install Debian package $2 unless file or command $1 exists
	if [ -e "$1" ] || command -v "$1" >/dev/null 2>&1; then return; fi
	echo "installing $2" >&2
	if [ "$(id -u)" = 0 ]; then apt-get install -y "$2" >/dev/null; else sudo apt-get install -y "$2" >/dev/null; fi
}
install sqlite3 sqlite3
install /usr/bin/time time
echo "sqlite3 $(sqlite3 --version | cut -d' ' -f1)  filesystem: $(df -T "${TMPDIR:-/tmp}" | awk 'NR==2 {print $2, $1}')  kernel: $(uname -r)"
go build -o "${TMPDIR:-/tmp}/blitz-bench-bulkload" .
exec "${TMPDIR:-/tmp}/blitz-bench-bulkload" "$@"
