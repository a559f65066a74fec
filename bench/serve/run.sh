#!/usr/bin/env bash
# bench/serve: `blitz serve` against MariaDB (InnoDB,
# innodb_flush_log_at_trx_commit=1), same machine, same client, same run.
#
#   1. 16 connections of go-sql-driver/mysql doing autocommit single-row
#      INSERTs into a crash-safe table (BLITZDB CRASH_SAFE / InnoDB):
#      commits per second.
#   2. 16 connections doing point SELECTs by primary key on a 10,000-row
#      table: selects per second.
#
# Both servers run privately in a temporary directory and are reached on a
# Unix socket; MariaDB is started with --no-defaults. With CEILING=1 the
# script also measures inserts that wait for no sync (a plain blitz table,
# MariaDB with innodb_flush_log_at_trx_commit=0): what this client and
# machine allow at all. Usage:
#   [RUNS=N] [CEILING=1] bench/serve/run.sh [DURATION]     (default 10s per phase, 1 round)
set -euo pipefail
cd "$(dirname "$0")"
DUR=${1:-10s}
CONNS=${CONNS:-16}
ROWS=${ROWS:-10000}
RUNS=${RUNS:-1}

command -v mariadbd >/dev/null || PATH=$PATH:/usr/sbin
apt_install() { # Debian packages, as root or through sudo
	if [ "$(id -u)" = 0 ]; then apt-get install -y "$@" >/dev/null; else sudo apt-get install -y "$@" >/dev/null; fi
}
command -v mariadbd >/dev/null || apt_install mariadb-server
command -v mariadb >/dev/null || apt_install mariadb-client
for p in mariadbd mariadb-install-db mariadb; do
	command -v "$p" >/dev/null || { echo "bench/serve: $p not found after installing mariadb-server and mariadb-client"; exit 1; }
done

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "== building"
(cd ../.. && go build -o "$tmp/blitz" ./cmd/blitz)
go build -o "$tmp/load" .

wait_sock() { # path
	for _ in $(seq 1 300); do [ -S "$1" ] && return 0; sleep 0.1; done
	echo "bench/serve: no socket at $1"; return 1
}

echo "== starting blitz serve"
"$tmp/blitz" serve -d "$tmp/bench" --listen "" --socket "$tmp/blitz.sock" >"$tmp/blitz.out" 2>"$tmp/blitz.err" &
pids+=($!)
wait_sock "$tmp/blitz.sock"

echo "== starting mariadbd ($(mariadbd --version | head -1))"
mariadb-install-db --no-defaults --datadir="$tmp/maria" --user="$(id -un)" --auth-root-authentication-method=normal >"$tmp/install.log" 2>&1
mariadbd --no-defaults --datadir="$tmp/maria" --socket="$tmp/maria.sock" --skip-networking \
	--user="$(id -un)" --pid-file="$tmp/maria.pid" --log-error="$tmp/maria.err" \
	--innodb-flush-log-at-trx-commit=1 --sync-binlog=0 --skip-log-bin \
	--innodb-buffer-pool-size=256M --max-connections=200 &
pids+=($!)
wait_sock "$tmp/maria.sock"
mariadb --no-defaults -S "$tmp/maria.sock" -uroot -e "CREATE DATABASE bench"

blitz_dsn="root@unix($tmp/blitz.sock)/bench"
maria_dsn="root@unix($tmp/maria.sock)/bench"

"$tmp/load" -dsn "$blitz_dsn" -mode setup -rows "$ROWS" -engine "ENGINE = BLITZDB, CRASH_SAFE" -plain-engine "ENGINE = BLITZDB"
"$tmp/load" -dsn "$maria_dsn" -mode setup -rows "$ROWS" -engine "ENGINE = InnoDB" -plain-engine "ENGINE = InnoDB"

rate() { awk -F'\t' '{print $3}' <<<"$1" | awk '{print $1}'; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# RUNS rounds, each measuring blitz then MariaDB back to back, so that the
# two servers see the same machine; the summary is the median of each.
bis=() mis=() bss=() mss=() ratios_i=() ratios_s=()
for r in $(seq 1 "$RUNS"); do
	echo "== round $r/$RUNS: inserts ($CONNS connections, autocommit, $DUR)"
	bi=$("$tmp/load" -dsn "$blitz_dsn" -mode insert -conns "$CONNS" -duration "$DUR" -round "$r"); echo "blitz    $bi"
	mi=$("$tmp/load" -dsn "$maria_dsn" -mode insert -conns "$CONNS" -duration "$DUR" -round "$r"); echo "mariadb  $mi"
	echo "== round $r/$RUNS: point selects ($CONNS connections, $ROWS rows, $DUR)"
	bs=$("$tmp/load" -dsn "$blitz_dsn" -mode select -conns "$CONNS" -duration "$DUR" -rows "$ROWS"); echo "blitz    $bs"
	ms=$("$tmp/load" -dsn "$maria_dsn" -mode select -conns "$CONNS" -duration "$DUR" -rows "$ROWS"); echo "mariadb  $ms"
	bis+=("$(rate "$bi")") mis+=("$(rate "$mi")") bss+=("$(rate "$bs")") mss+=("$(rate "$ms")")
	ratios_i+=("$(awk -v a="$(rate "$bi")" -v b="$(rate "$mi")" 'BEGIN {printf "%.2f", a/b}')")
	ratios_s+=("$(awk -v a="$(rate "$bs")" -v b="$(rate "$ms")" 'BEGIN {printf "%.2f", a/b}')")
done

if [ -n "${CEILING:-}" ]; then
	# What the same client gets when no commit waits for a sync: blitz into a
	# plain table (no WAL), MariaDB with innodb_flush_log_at_trx_commit=0.
	mariadb --no-defaults -S "$tmp/maria.sock" -uroot -e "SET GLOBAL innodb_flush_log_at_trx_commit = 0"
	cbs=() cms=()
	for r in $(seq 1 "$RUNS"); do
		echo "== ceiling round $r/$RUNS: inserts with no sync per commit"
		cb=$("$tmp/load" -dsn "$blitz_dsn" -mode insert -table insplain -conns "$CONNS" -duration "$DUR" -round "$r"); echo "blitz    $cb"
		cm=$("$tmp/load" -dsn "$maria_dsn" -mode insert -table insplain -conns "$CONNS" -duration "$DUR" -round "$r"); echo "mariadb  $cm"
		cbs+=("$(rate "$cb")") cms+=("$(rate "$cm")")
	done
	mariadb --no-defaults -S "$tmp/maria.sock" -uroot -e "SET GLOBAL innodb_flush_log_at_trx_commit = 1"
fi

echo "== blitz WAL counters (all rounds)"
mariadb --no-defaults -S "$tmp/blitz.sock" -uroot -N -e "SHOW STATUS" 2>/dev/null | grep -E "Blitz_wal_(commits|syncs)" || true
echo "== summary (medians of $RUNS rounds; per-round ratios: commits ${ratios_i[*]}, selects ${ratios_s[*]})"
bi=$(printf '%s\n' "${bis[@]}" | median) mi=$(printf '%s\n' "${mis[@]}" | median)
bs=$(printf '%s\n' "${bss[@]}" | median) ms=$(printf '%s\n' "${mss[@]}" | median)
ri=$(printf '%s\n' "${ratios_i[@]}" | median) rs=$(printf '%s\n' "${ratios_s[@]}" | median)
awk -v bi="$bi" -v mi="$mi" -v bs="$bs" -v ms="$ms" -v ri="$ri" -v rs="$rs" 'BEGIN {
	printf "commits/s  blitz %8.0f  mariadb %8.0f  median ratio %.2fx (target >= 2x)\n", bi, mi, ri
	printf "selects/s  blitz %8.0f  mariadb %8.0f  median ratio %.2fx (target >= 1x)\n", bs, ms, rs
}'
if [ -n "${CEILING:-}" ]; then
	cb=$(printf '%s\n' "${cbs[@]}" | median) cm=$(printf '%s\n' "${cms[@]}" | median)
	awk -v cb="$cb" -v cm="$cm" -v mi="$mi" 'BEGIN {
	printf "no-sync inserts/s  blitz plain table %8.0f  mariadb flush_log_at_trx_commit=0 %8.0f\n", cb, cm
	printf "blitz no-sync ceiling / mariadb durable commits: %.2fx\n", cb/mi
}'
fi
