#!/usr/bin/env bash
# bench/index: blitz index rebuild vs SQLite CREATE INDEX, same rows, same run.
#   bench/index/run.sh [-rows N] [-rounds R]
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v sqlite3 >/dev/null; then
	apt-get update -qq && apt-get install -y -qq sqlite3
fi
sqlite3 --version
go build -o /tmp/blitz-bench-index .
exec /tmp/blitz-bench-index "$@"
