#!/usr/bin/env bash
# bench/sql/run.sh: the SQL layer end to end, as whole processes: one
# generated SQL script (gen.awk) run by `blitz sql -d FRESH_DIR script.sql`
# and by `sqlite3 FRESH.db < script.sql`, same machine, same run, alternating.
#
# The script: CREATE TABLE with an INTEGER primary key and two secondary
# indexes (one INTEGER, one VARCHAR), 100,000 rows in 100-row multi-row
# INSERTs with BEGIN/COMMIT around every 10 INSERTs, 100,000 point SELECTs
# by primary key in scattered order, 1,000 range SELECTs over the secondary
# indexes (half each, about 100 rows each). Output goes to /dev/null; before
# timing, one run of each is checked to return the same rows.
#
# Three contestants: blitz (a plain table: commits are not fsynced), sqlite3
# as shipped (rollback journal, synchronous=FULL: several fdatasyncs per
# COMMIT) and sqlite3 -cmd 'PRAGMA synchronous=OFF' (no syncs: the durability
# of blitz's plain table). The script itself is the same for all three.
#
# Environment: RUNS (5), ROWS (100000), POINTS (100000), RANGES (1000),
# BLITZ_BIN (a prebuilt blitz; default: go build ../../cmd/blitz),
# WORKDIR (default: mktemp -d; the filesystem measured).
set -euo pipefail
cd "$(dirname "$0")"
RUNS=${RUNS:-5}
ROWS=${ROWS:-100000}
POINTS=${POINTS:-100000}
RANGES=${RANGES:-1000}

install() { # install Debian package $2 if command $1 is missing
	command -v "$1" >/dev/null 2>&1 && return
	echo "installing $2" >&2
	if [ "$(id -u)" = 0 ]; then apt-get install -y "$2" >/dev/null; else sudo apt-get install -y "$2" >/dev/null; fi
}
install sqlite3 sqlite3
install bc bc
[ -x /usr/bin/time ] || install /usr/bin/time time

if [ -n "${WORKDIR:-}" ]; then
	WORK=$WORKDIR
	mkdir -p "$WORK"
	trap 'rm -rf "$WORK"/bdir "$WORK"/s.db* "$WORK"/n.db*' EXIT
else
	WORK=$(mktemp -d)
	trap 'rm -rf "$WORK"' EXIT
fi
BLITZ=${BLITZ_BIN:-$WORK/blitz}
if [ -z "${BLITZ_BIN:-}" ]; then
	(cd ../.. && go build -o "$BLITZ" ./cmd/blitz)
fi

SCRIPT=$WORK/script.sql
awk -v rows="$ROWS" -v points="$POINTS" -v ranges="$RANGES" -f gen.awk >"$SCRIPT"
echo "script: $(wc -l <"$SCRIPT") statements, $(($(wc -c <"$SCRIPT") / 1024)) KiB" >&2

fresh() { rm -rf "$WORK/bdir" "$WORK"/s.db* "$WORK"/n.db*; }

# Same rows from both? (blitz prints a header line per result set; sqlite3
# -tabs prints none; row order within a range may differ.)
fresh
"$BLITZ" sql -d "$WORK/bdir" "$SCRIPT" | grep -v -P '^id\ta\tb\tc' | sort | md5sum >"$WORK/b.sum"
sqlite3 -tabs "$WORK/s.db" <"$SCRIPT" | sort | md5sum >"$WORK/s.sum"
if ! cmp -s "$WORK/b.sum" "$WORK/s.sum"; then
	echo "blitz and sqlite3 returned different rows" >&2
	exit 1
fi
echo "check: both return the same $(grep -c . <(sqlite3 -tabs "$WORK/n.db" <"$SCRIPT")) rows" >&2

RESULTS=$WORK/results.txt
: >"$RESULTS"
# measure LABEL CMD...: run CMD (stdin from the script), record wall seconds,
# peak RSS (KB), user and system seconds.
measure() {
	local label=$1
	shift
	local t0 t1
	fresh
	sync
	t0=$(date +%s.%N)
	/usr/bin/time -f "%M %U %S" -o "$WORK/rusage" "$@" <"$SCRIPT" >/dev/null 2>"$WORK/err" || {
		echo "FAILED: $*" >&2
		cat "$WORK/err" >&2
		exit 1
	}
	t1=$(date +%s.%N)
	echo "$label $(echo "$t1 - $t0" | bc) $(tail -1 "$WORK/rusage")" >>"$RESULTS"
}

for i in $(seq 1 "$RUNS"); do
	echo "run $i/$RUNS" >&2
	measure blitz "$BLITZ" sql -d "$WORK/bdir" "$SCRIPT"
	measure sqlite sqlite3 "$WORK/s.db"
	measure sqlite-nosync sqlite3 -cmd "PRAGMA synchronous=OFF" "$WORK/n.db"
done

median() { # median of column $2 for label $1
	awk -v l="$1" -v c="$2" '$1 == l { print $c }' "$RESULTS" | sort -g |
		awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo
echo "$("$BLITZ" version 2>/dev/null | head -1 || true), sqlite3 $(sqlite3 --version | cut -d' ' -f1), $ROWS rows, $POINTS point + $RANGES range SELECTs, $RUNS runs, medians"
echo "filesystem: $(df -T "$WORK" | awk 'NR==2 {print $2, $1}')  cpus: $(nproc)"
printf '%-14s %9s %9s %9s %10s %14s\n' system "wall s" "user s" "sys s" "peak RSS" "ratio to blitz"
bl=$(median blitz 2)
for s in blitz sqlite sqlite-nosync; do
	w=$(median $s 2)
	printf '%-14s %9.3f %9.2f %9.2f %9dK %14s\n' "$s" "$w" "$(median $s 4)" "$(median $s 5)" "$(median $s 3)" "$(ratio "$w" "$bl")"
done
echo "(ratio = system's wall time / blitz's: above 1.00 means blitz is faster)"
