#!/usr/bin/env bash
# bench/recovery/run.sh: how long blitz takes to recover a 1,000,000-row
# table with two secondary indexes after kill -9, against MariaDB's REPAIR
# TABLE of the same table in MyISAM (repair by sort), same machine, same run.
#
#   blitz:   `recovery load` fills table t (plain, then CRASH_SAFE variant),
#            keeps writing, and is SIGKILLed KILL_AFTER seconds into those
#            writes; the killed directory is kept, and each run recovers a
#            fresh copy of it: `recovery recover` times engine.Open with
#            AutoRecover (salvage check of the data file, WAL replay, index
#            rebuild), in process, and checks the rows are there.
#   MyISAM:  a private mariadbd (socket in a temp dir, no networking, as
#            testdata/sql/regen.sh) with myisam_sort_buffer_size = SORT_BUFFER;
#            the same rows (`recovery gen`) loaded with LOAD DATA into
#            ENGINE=MyISAM with the same indexes; then `REPAIR TABLE t` timed
#            (wall clock of the mariadb client, connection included).
#
# Each is timed RUNS times (default 3); the script prints medians and the
# ratio (blitz / MyISAM: below 1 means blitz recovers faster).
#
# Environment: RUNS, ROWS (1000000), KILL_AFTER (2), SORT_BUFFER (1G),
# PROFILE=1 (write a CPU profile of one recovery per variant into WORK and
# print its top), WORKDIR (default: mktemp -d).
set -euo pipefail
cd "$(dirname "$0")"
RUNS=${RUNS:-3}
ROWS=${ROWS:-1000000}
KILL_AFTER=${KILL_AFTER:-2}
SORT_BUFFER=${SORT_BUFFER:-1G}

if [ -n "${WORKDIR:-}" ]; then
	WORK=$WORKDIR
	mkdir -p "$WORK"
else
	WORK=$(mktemp -d)
fi
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	[ -n "${WORKDIR:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

command -v bc >/dev/null || { echo "needs bc" >&2; exit 1; }
go build -o "$WORK/recovery" .
REC=$WORK/recovery
RESULTS=$WORK/results.txt
: >"$RESULTS"

# crash VARIANT: load, write, kill -9; keep the directory as $WORK/base-VARIANT.
crash() {
	local v=$1 dir=$WORK/base-$1 t0 lp
	rm -rf "$dir"
	t0=$(date +%s.%N)
	"$REC" load "$dir" "$ROWS" "$v" >"$WORK/load-$v.out" 2>&1 &
	lp=$!
	for _ in $(seq 1 6000); do # at most 10 minutes
		grep -q LOADED "$WORK/load-$v.out" && break
		kill -0 "$lp" 2>/dev/null || { cat "$WORK/load-$v.out" >&2; exit 1; }
		sleep 0.1
	done
	grep -q LOADED "$WORK/load-$v.out" || { echo "load $v: not loaded after 10 minutes" >&2; kill -9 "$lp"; exit 1; }
	echo "$v: $ROWS rows loaded in $(echo "$(date +%s.%N) - $t0" | bc) s; writing for $KILL_AFTER s, then kill -9" >&2
	sleep "$KILL_AFTER"
	kill -9 "$lp"
	wait "$lp" 2>/dev/null || true
	du -sh "$dir" >&2
}

# recover VARIANT RUN: recover a fresh copy of the killed directory.
recover() {
	local v=$1 w=$WORK/w-$1 out prof=
	rm -rf "$w"
	cp -a "$WORK/base-$v" "$w"
	sync
	if [ "${PROFILE:-}" = 1 ] && [ "$2" = 1 ]; then prof=$WORK/cpu-$v.pprof; fi
	out=$("$REC" recover "$w" $prof 2>"$WORK/recover-$v.log") || { cat "$WORK/recover-$v.log" >&2; exit 1; }
	echo "blitz-$v $(echo "$out" | head -1)" >>"$RESULTS"
	echo "  blitz $v run $2: $(echo "$out" | head -1) s, $(echo "$out" | tail -1)" >&2
	rm -rf "$w"
}

crash plain
crash cs
for i in $(seq 1 "$RUNS"); do
	recover plain "$i"
	recover cs "$i"
done
grep -h 'seconds=' "$WORK"/recover-*.log | sed 's/^/  /' >&2 || true

# MariaDB MyISAM.
D=$WORK/mariadb
mkdir -p "$D"
mariadb-install-db --no-defaults --datadir="$D/data" --auth-root-authentication-method=normal \
	--skip-test-db >"$D/install.log" 2>&1 || { cat "$D/install.log"; exit 1; }
mariadbd --no-defaults --datadir="$D/data" --socket="$D/sock" --skip-networking \
	--pid-file="$D/pid" --user="$(id -un)" --secure-file-priv="$WORK" \
	--myisam-sort-buffer-size="$SORT_BUFFER" --key-buffer-size=256M \
	--myisam-max-sort-file-size=100G >"$D/server.log" 2>&1 &
pid=$!
i=0
until mariadb --no-defaults -S "$D/sock" -uroot -e 'select 1' >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 120 ]; then cat "$D/server.log"; exit 1; fi
	sleep 0.5
done
SQL="mariadb --no-defaults -S $D/sock -uroot"
VERSION=$($SQL -N -e 'select version()')
"$REC" gen "$ROWS" >"$WORK/rows.tsv"
$SQL -e "CREATE DATABASE b; CREATE TABLE b.t (id BIGINT NOT NULL PRIMARY KEY, a INT NOT NULL, b VARCHAR(16) NOT NULL,
	c INT, pad VARCHAR(64), KEY t_a (a), UNIQUE KEY t_b (b)) ENGINE=MyISAM"
t0=$(date +%s.%N)
$SQL -e "LOAD DATA INFILE '$WORK/rows.tsv' INTO TABLE b.t"
echo "myisam: $ROWS rows loaded in $(echo "$(date +%s.%N) - $t0" | bc) s ($($SQL -N -e 'select @@myisam_sort_buffer_size, @@myisam_repair_threads'))" >&2
for i in $(seq 1 "$RUNS"); do
	$SQL -e 'FLUSH TABLES'
	sync
	t0=$(date +%s.%N)
	out=$($SQL -N -e 'REPAIR TABLE b.t')
	t1=$(date +%s.%N)
	echo "  myisam run $i: $(echo "$t1 - $t0" | bc) s: $out" >&2
	echo "myisam $(echo "$t1 - $t0" | bc)" >>"$RESULTS"
done
echo "  $($SQL -N -e 'SELECT COUNT(*) FROM b.t') rows; $($SQL -N -e "SHOW TABLE STATUS FROM b LIKE 't'" | awk '{print "data", $7, "index", $9}')" >&2

median() { # median of column 2 for label $1
	awk -v l="$1" '$1 == l { print $2 }' "$RESULTS" | sort -g |
		awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
my=$(median myisam)
echo
echo "$ROWS rows, 2 secondary indexes, kill -9 after $KILL_AFTER s of writes; $VERSION MyISAM REPAIR TABLE (sort buffer $SORT_BUFFER); $RUNS runs, medians"
printf '%-22s %9s %14s\n' case seconds "vs MyISAM"
for v in plain cs; do
	bl=$(median blitz-$v)
	printf '%-22s %9.3f %14s\n' "blitz $v AutoRecover" "$bl" "$(echo "scale=2; $bl / $my" | bc)x"
done
printf '%-22s %9.3f\n' "MyISAM REPAIR TABLE" "$my"
if [ "${PROFILE:-}" = 1 ]; then
	for v in plain cs; do
		echo
		echo "CPU profile of one blitz $v recovery (top, cumulative):"
		go tool pprof -top -cum "$REC" "$WORK/cpu-$v.pprof" 2>/dev/null | head -30
	done
fi
