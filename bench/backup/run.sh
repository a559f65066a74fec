#!/usr/bin/env bash
# bench/backup/run.sh: hot backup throughput against cp -r of the same files,
# the longest commit latency writers see with and without a backup running,
# and the commit-rate cost of the update log (see main.go). Medians of RUNS.
#
# Environment: MB (300), RUNS (5), DURATION (3s), WRITERS (4), DIR (work
# directory on the filesystem to measure; default a temp dir), PARTS.
set -euo pipefail
cd "$(dirname "$0")/.."
args=(-mb "${MB:-300}" -runs "${RUNS:-5}" -d "${DURATION:-3s}" -writers "${WRITERS:-4}")
[ -n "${DIR:-}" ] && args+=(-dir "$DIR")
[ -n "${PARTS:-}" ] && args+=(-parts "$PARTS")
go build -o "${TMPDIR:-/tmp}/blitz-backup-bench" ./backup
echo "filesystem: $(df -T "${DIR:-${TMPDIR:-/tmp}}" | awk 'NR==2 {print $2, $1}')  kernel: $(uname -r)  cpus: $(nproc)"
exec "${TMPDIR:-/tmp}/blitz-backup-bench" "${args[@]}"
