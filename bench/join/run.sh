#!/usr/bin/env bash
# bench/join/run.sh: a three-table join with aggregation, blitz vs sqlite3,
# as whole processes on the same data, same machine, same run, alternating.
#
# Data (gen.awk, fixed seed): orders 1,000,000 rows, customers 100,000,
# items 10,000, loaded once through `blitz sql -d DIR` and `sqlite3 FILE`
# (loading is timed but not the point). The query (query.sql): revenue and
# order count per customer country for three months of orders, joining
# orders->customers and orders->items, GROUP BY + ORDER BY.
#
# With ANALYZE=1 both systems ANALYZE their tables after loading and
# after indexing.
# Two phases: first without any index (blitz: hash joins; sqlite3: its
# automatic indexes), then after indexes.sql (unique indexes on
# customers.id and items.id, indexes on orders.cust_id and orders.item_id).
# Each phase checks both return the same rows, shows blitz's EXPLAIN, then
# runs each system RUNS times, alternating, and prints the median wall and
# CPU (user+sys) seconds and the ratio sqlite3/blitz (above 1: blitz faster).
#
# Environment: RUNS (5), ANALYZE (0), ORDERS (1000000), CUSTOMERS (100000), ITEMS
# (10000), BLITZ_BIN (prebuilt blitz; default: go build ../../cmd/blitz),
# WORKDIR (default: mktemp -d).
set -euo pipefail
cd "$(dirname "$0")"
RUNS=${RUNS:-5}
ORDERS=${ORDERS:-1000000}
CUSTOMERS=${CUSTOMERS:-100000}
ITEMS=${ITEMS:-10000}

install() { # install Debian package $2 if command $1 is missing
	command -v "$1" >/dev/null 2>&1 && return
	echo "installing $2" >&2
	if [ "$(id -u)" = 0 ]; then apt-get install -y "$2" >/dev/null; else sudo apt-get install -y "$2" >/dev/null; fi
}
install sqlite3 sqlite3
[ -x /usr/bin/time ] || install /usr/bin/time time

if [ -n "${WORKDIR:-}" ]; then
	WORK=$WORKDIR
	mkdir -p "$WORK"
	trap 'rm -rf "$WORK"/bdir "$WORK"/s.db* "$WORK"/load.sql' EXIT
else
	WORK=$(mktemp -d)
	trap 'rm -rf "$WORK"' EXIT
fi
BLITZ=${BLITZ_BIN:-$WORK/blitz}
if [ -z "${BLITZ_BIN:-}" ]; then
	(cd ../.. && go build -o "$BLITZ" ./cmd/blitz)
fi

awk -v orders="$ORDERS" -v customers="$CUSTOMERS" -v items="$ITEMS" -f gen.awk >"$WORK/load.sql"
rm -rf "$WORK/bdir" "$WORK"/s.db*
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
t0=$(date +%s.%N)
"$BLITZ" sql -d "$WORK/bdir" "$WORK/load.sql" >/dev/null
t1=$(date +%s.%N)
sqlite3 "$WORK/s.db" <"$WORK/load.sql"
t2=$(date +%s.%N)
echo "load: $ORDERS orders, $CUSTOMERS customers, $ITEMS items: blitz $(secs "$t0" "$t1") s, sqlite3 $(secs "$t1" "$t2") s" >&2
# ANALYZE=1: statistics for both planners (blitz: distinct-value
# estimates in T.stats; sqlite3: sqlite_stat1). Off by default: both
# systems as they come.
analyze() {
	[ "${ANALYZE:-0}" = 1 ] || return 0
	echo "ANALYZE TABLE orders, customers, items;" | "$BLITZ" sql -d "$WORK/bdir" >/dev/null
	echo "ANALYZE;" | sqlite3 "$WORK/s.db"
}
analyze

RESULTS=$WORK/results.txt
: >"$RESULTS"
# measure LABEL CMD...: run CMD with the query on stdin, record wall and
# user+sys seconds.
measure() {
	local label=$1
	shift
	/usr/bin/time -f "%e %U %S" -o "$WORK/rusage" "$@" <query.sql >/dev/null 2>"$WORK/err" || {
		echo "FAILED: $*" >&2
		cat "$WORK/err" >&2
		exit 1
	}
	echo "$label $(awk '{ printf "%s %.2f", $1, $2 + $3 }' "$WORK/rusage")" >>"$RESULTS"
}
# check: the same rows from both (blitz prints a header line, sqlite3 -tabs
# does not).
check() {
	"$BLITZ" sql -d "$WORK/bdir" <query.sql | tail -n +2 >"$WORK/b.out"
	sqlite3 -tabs "$WORK/s.db" <query.sql >"$WORK/s.out"
	if ! cmp -s "$WORK/b.out" "$WORK/s.out"; then
		echo "blitz and sqlite3 returned different rows:" >&2
		diff "$WORK/b.out" "$WORK/s.out" | head >&2
		exit 1
	fi
	echo "check: both return the same $(wc -l <"$WORK/b.out") rows" >&2
}
phase() {
	local name=$1
	check
	echo "blitz's plan ($name):" >&2
	{ printf 'EXPLAIN '; cat query.sql; } | "$BLITZ" sql -d "$WORK/bdir" | sed 's/^/  /' >&2
	for i in $(seq 1 "$RUNS"); do
		echo "$name run $i/$RUNS" >&2
		measure "blitz-$name" "$BLITZ" sql -d "$WORK/bdir"
		measure "sqlite-$name" sqlite3 "$WORK/s.db"
	done
}

phase noidx
"$BLITZ" sql -d "$WORK/bdir" indexes.sql
sqlite3 "$WORK/s.db" <indexes.sql
analyze
phase idx

median() { # median of column $2 for label $1
	awk -v l="$1" -v c="$2" '$1 == l { print $c }' "$RESULTS" | sort -g |
		awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo
echo "sqlite3 $(sqlite3 --version | cut -d' ' -f1), ANALYZE=${ANALYZE:-0}, $ORDERS orders x $CUSTOMERS customers x $ITEMS items, $RUNS runs, medians, cpus: $(nproc), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %12s %12s %8s %12s %12s %8s\n' query "blitz wall" "sqlite wall" ratio "blitz cpu" "sqlite cpu" ratio
for p in noidx idx; do
	bw=$(median "blitz-$p" 2) sw=$(median "sqlite-$p" 2) bc=$(median "blitz-$p" 3) sc=$(median "sqlite-$p" 3)
	printf '%-8s %12.3f %12.3f %8s %12.2f %12.2f %8s\n' "$p" "$bw" "$sw" "$(ratio "$sw" "$bw")" "$bc" "$sc" "$(ratio "$sc" "$bc")"
done
echo "(ratio = sqlite3's time / blitz's: 1.00 or above means blitz is no slower)"
